//! EBS encryption by default: one setting per (account, region); new volumes and snapshot
//! copies in that region are encrypted whatever the caller asks.

use groundwork_blueprint::Blueprint;
use serde::{Deserialize, Serialize};

use super::{Kind, KindMeta, Scope, Spec};
use crate::resource::{DesiredResource, Locator};
use crate::state::Address;

/// The name of the setting in its locator (one per account and region).
pub const NAME: &str = "default";

/// Whether EBS encrypts new volumes by default in one region of one account. The key stays
/// the account's default (`alias/aws/ebs` unless changed): groundwork does not manage it yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EbsEncryptionSpec {
    /// Encryption by default is on.
    pub enabled: bool,
}

impl KindMeta for EbsEncryptionSpec {
    const KIND: Kind = Kind::EbsEncryption;
    const PREFIX: &'static str = "ebs-encryption";
    const RANK: usize = 0;
    const SCOPE: Scope = Scope::Region;
}

impl Spec for EbsEncryptionSpec {}

/// Encryption on in every (account, region) pair of the baseline.
pub(crate) fn lower(bp: &Blueprint, out: &mut Vec<DesiredResource>) {
    if !bp.baseline.ebs_encryption {
        return;
    }
    for (account, region) in crate::baseline::pairs(bp) {
        out.push(DesiredResource {
            address: Address::ebs_encryption(account, &region),
            at: Locator::regional(Kind::EbsEncryption, account.map(str::to_owned), region, NAME.into()),
            spec: EbsEncryptionSpec { enabled: true }.to_value(),
            after: Vec::new(),
        });
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn the_json_is_one_flag_and_it_may_not_be_missing() {
        assert_eq!(EbsEncryptionSpec { enabled: true }.to_value(), json!({ "enabled": true }));
        let err = EbsEncryptionSpec::from_value(&json!({})).unwrap_err().to_string();
        assert!(err.contains("ebs-encryption") && err.contains("enabled"), "{err}");
        assert!(EbsEncryptionSpec::from_value(&json!({ "enabled": true, "kms": "x" })).is_err());
    }
}
