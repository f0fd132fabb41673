//! S3's account-level public access block: one per account, the four flags always written
//! together (`PutPublicAccessBlock` replaces the whole configuration).

use groundwork_blueprint::Blueprint;
use serde::{Deserialize, Serialize};

use super::{Kind, KindMeta, Scope, Spec};
use crate::resource::{DesiredResource, Locator};
use crate::state::Address;

/// The name of an account's one public access block in its locator.
pub const NAME: &str = "account";

/// The account's public access block: what S3 refuses or ignores in every bucket of the account,
/// whatever a bucket's own settings say. AWS's answer when none is set reads as all four off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountPublicAccessBlockSpec {
    /// Refuse requests that set public ACLs.
    pub block_public_acls: bool,
    /// Ignore public ACLs.
    pub ignore_public_acls: bool,
    /// Refuse public bucket policies.
    pub block_public_policy: bool,
    /// Restrict access under a public policy to AWS services and the owner.
    pub restrict_public_buckets: bool,
}

impl AccountPublicAccessBlockSpec {
    /// All four on: what the baseline asks for.
    pub const ALL: Self = AccountPublicAccessBlockSpec {
        block_public_acls: true,
        ignore_public_acls: true,
        block_public_policy: true,
        restrict_public_buckets: true,
    };
}

impl KindMeta for AccountPublicAccessBlockSpec {
    const KIND: Kind = Kind::AccountPublicAccessBlock;
    const PREFIX: &'static str = "s3-account-public-access-block";
    const RANK: usize = 0;
    const SCOPE: Scope = Scope::Account;
}

impl Spec for AccountPublicAccessBlockSpec {}

/// One block, all four flags on, in every account of the baseline.
pub(crate) fn lower(bp: &Blueprint, out: &mut Vec<DesiredResource>) {
    if !bp.baseline.s3_public_access_block {
        return;
    }
    for account in crate::baseline::accounts(bp) {
        out.push(DesiredResource {
            address: Address::s3_account_public_access_block(account),
            at: Locator::new(Kind::AccountPublicAccessBlock, account.map(str::to_owned), NAME.into()),
            spec: AccountPublicAccessBlockSpec::ALL.to_value(),
            after: Vec::new(),
        });
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn the_json_is_the_four_flags_and_none_may_be_missing() {
        let v = AccountPublicAccessBlockSpec::ALL.to_value();
        assert_eq!(
            v,
            json!({ "block_public_acls": true, "ignore_public_acls": true, "block_public_policy": true,
                    "restrict_public_buckets": true })
        );
        assert_eq!(AccountPublicAccessBlockSpec::from_value(&v).unwrap(), AccountPublicAccessBlockSpec::ALL);
        let mut partial = v.clone();
        partial.as_object_mut().unwrap().remove("ignore_public_acls");
        let err = AccountPublicAccessBlockSpec::from_value(&partial).unwrap_err().to_string();
        assert!(err.contains("s3-account-public-access-block") && err.contains("ignore_public_acls"), "{err}");
    }
}
