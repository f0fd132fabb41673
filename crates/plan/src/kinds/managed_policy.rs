//! A customer-managed IAM policy (`iam-policy/<account>/<name>`): today groundwork's ForceMFA
//! policy in the identity hub, which every group gets when `identity.require_mfa` is on.

use groundwork_blueprint::Blueprint;
use groundwork_blueprint::template::IdRef;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Kind, KindMeta, Scope, Spec};
use crate::lower::hub;
use crate::resource::{DesiredResource, Locator, canonical_policy};
use crate::state::Address;

/// Name of the customer-managed policy that denies everything until MFA is set up.
pub const FORCE_MFA_POLICY: &str = "groundwork-force-mfa";

/// A customer-managed policy: its default version's document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManagedPolicySpec {
    /// The document, canonical.
    pub document: Value,
}

impl KindMeta for ManagedPolicySpec {
    const KIND: Kind = Kind::ManagedPolicy;
    const PREFIX: &'static str = "iam-policy";
    const RANK: usize = 1;
    const SCOPE: Scope = Scope::Account;
}

impl Spec for ManagedPolicySpec {}

/// The address of the ForceMFA policy in the hub (`None`: the management account).
pub(crate) fn force_mfa_address(hub: Option<&str>) -> Address {
    Address::managed_policy(hub, FORCE_MFA_POLICY)
}

/// The ARN of the ForceMFA policy in the hub, with the hub's id as a placeholder.
pub(crate) fn force_mfa_arn(hub: Option<&str>) -> String {
    format!("arn:aws:iam::{}:policy/{FORCE_MFA_POLICY}", IdRef::account_or_management(hub))
}

/// The ForceMFA policy in the hub, when the blueprint requires MFA.
pub(crate) fn lower(bp: &Blueprint, out: &mut Vec<DesiredResource>) {
    let Some(identity) = &bp.identity else { return };
    if !identity.require_mfa {
        return;
    }
    let hub_account = hub(bp);
    out.push(DesiredResource {
        address: force_mfa_address(hub_account),
        at: Locator::new(Kind::ManagedPolicy, hub_account.map(str::to_owned), FORCE_MFA_POLICY.into()),
        spec: ManagedPolicySpec { document: canonical_policy(&groundwork_blueprint::force_mfa_policy()) }.to_value(),
        after: Vec::new(),
    });
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn the_json_keeps_the_shape_saved_plans_hold() {
        let spec = ManagedPolicySpec { document: json!({ "Version": "2012-10-17", "Statement": [] }) };
        let v = spec.to_value();
        assert_eq!(v, json!({ "document": { "Version": "2012-10-17", "Statement": [] } }));
        assert_eq!(ManagedPolicySpec::from_value(&v).unwrap(), spec);
    }

    #[test]
    fn a_missing_document_is_an_error() {
        let err = ManagedPolicySpec::from_value(&json!({})).unwrap_err().to_string();
        assert!(err.contains("iam-policy") && err.contains("document"), "{err}");
    }
}
