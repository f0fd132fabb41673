//! A policy type enabled on the organization's root (`policy-type/SERVICE_CONTROL_POLICY`):
//! SCPs need it before any can be created or attached.

use serde::{Deserialize, Serialize};

use super::{Kind, KindMeta, Scope, Spec};
use crate::resource::{DesiredResource, Locator};
use crate::state::Address;

/// Whether the policy type is enabled on the root. Only ever desired as enabled; discovery
/// reports the resource only when it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyTypeSpec {
    /// The policy type is enabled on the root.
    pub enabled: bool,
}

impl PolicyTypeSpec {
    /// The policy type, enabled.
    pub const ENABLED: PolicyTypeSpec = PolicyTypeSpec { enabled: true };
}

impl KindMeta for PolicyTypeSpec {
    const KIND: Kind = Kind::PolicyType;
    const PREFIX: &'static str = "policy-type";
    const RANK: usize = 0;
    const SCOPE: Scope = Scope::Organization;
}

impl Spec for PolicyTypeSpec {}

/// The desired policy type (e.g. `SERVICE_CONTROL_POLICY`), enabled on the root.
pub(crate) fn desired(policy_type: &str) -> DesiredResource {
    DesiredResource {
        address: Address::policy_type(policy_type),
        at: Locator::new(Kind::PolicyType, None, policy_type.to_owned()),
        spec: PolicyTypeSpec::ENABLED.to_value(),
        after: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn the_json_keeps_the_shape_saved_plans_hold() {
        let r = desired("SERVICE_CONTROL_POLICY");
        assert_eq!(r.address.as_str(), "policy-type/SERVICE_CONTROL_POLICY");
        assert_eq!(serde_json::to_string(&r.spec).unwrap(), r#"{"enabled":true}"#);
        let err = PolicyTypeSpec::from_value(&json!({ "enabled": true, "root": "r-1" })).unwrap_err().to_string();
        assert!(err.contains("policy-type") && err.contains("root"), "{err}");
    }
}
