//! An IAM group in the identity hub (`iam-group/<hub>/<name>`): its managed policies (the
//! blueprint's, plus ForceMFA when MFA is required) and groundwork's inline policy, which holds
//! the generated `sts:AssumeRole` statements for the roles it grants.

use std::collections::BTreeSet;

use groundwork_blueprint::Blueprint;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::iam::inline;
use super::managed_policy::{force_mfa_address, force_mfa_arn};
use super::{Kind, KindMeta, Scope, Spec};
use crate::lower::{TemplateCx, account_cx, expand, expand_json, hub};
use crate::resource::{DesiredResource, Locator};
use crate::state::Address;

/// A group: the managed policies attached to it and its inline policies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupSpec {
    /// ARNs of the attached managed policies.
    pub managed_policies: BTreeSet<String>,
    /// Inline policies, name → canonical document.
    pub inline_policies: Map<String, Value>,
}

impl KindMeta for GroupSpec {
    const KIND: Kind = Kind::Group;
    const PREFIX: &'static str = "iam-group";
    const RANK: usize = 2;
    const SCOPE: Scope = Scope::Account;
}

impl Spec for GroupSpec {}

/// The hub's groups, each after the ForceMFA policy when MFA is required.
pub(crate) fn lower(bp: &Blueprint, out: &mut Vec<DesiredResource>) {
    let Some(identity) = &bp.identity else { return };
    let hub_account = hub(bp);
    let hub_cx = match hub_account {
        Some(h) => account_cx(bp, h, Some(h)),
        None => TemplateCx { account: None, workload: None, hub: None, region: &bp.organization.home_region.value },
    };
    for g in &identity.groups {
        let policy = groundwork_blueprint::group_inline_policy(g).map(|d| expand_json(&d, &hub_cx));
        let mut managed: BTreeSet<String> = g.managed_policies.iter().map(|p| expand(&p.value, &hub_cx)).collect();
        let mut after = Vec::new();
        if identity.require_mfa {
            managed.insert(force_mfa_arn(hub_account));
            after.push(force_mfa_address(hub_account));
        }
        out.push(DesiredResource {
            address: Address::group(hub_account, &g.name.value),
            at: Locator::new(Kind::Group, hub_account.map(str::to_owned), g.name.value.clone()),
            spec: GroupSpec { managed_policies: managed, inline_policies: inline(policy) }.to_value(),
            after,
        });
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn the_json_keeps_the_shape_saved_plans_hold() {
        let spec = GroupSpec {
            managed_policies: ["b".to_owned(), "a".to_owned()].into(),
            inline_policies: inline(Some(json!({ "Version": "2012-10-17", "Statement": [] }))),
        };
        let v = spec.to_value();
        assert_eq!(
            serde_json::to_string(&v).unwrap(),
            json!({
                "managed_policies": ["a", "b"],
                "inline_policies": { "groundwork": { "Statement": [], "Version": "2012-10-17" } }
            })
            .to_string()
        );
        assert_eq!(GroupSpec::from_value(&v).unwrap(), spec);
    }

    #[test]
    fn a_missing_key_is_an_error_naming_the_kind() {
        let err = GroupSpec::from_value(&json!({ "managed_policies": [] })).unwrap_err().to_string();
        assert!(err.contains("iam-group") && err.contains("inline_policies"), "{err}");
    }
}
