//! The access-role check (`access-role/<account>`), read-only: whom a member account's access
//! role trusts. Anything beyond the management account (and the deployer role) is drift that
//! the plan reports and apply leaves alone, since rewriting the access role's trust could lock
//! groundwork out. The guardrails exempt that role, so whoever can assume it is exempt.

use std::collections::BTreeSet;

use groundwork_blueprint::Blueprint;
use groundwork_blueprint::template::IdRef;
use serde::{Deserialize, Serialize};

use super::{Kind, KindMeta, Scope, Spec};
use crate::resource::{DesiredResource, Locator};
use crate::state::Address;

/// Whom the access role trusts (desired: whom it may trust).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccessRoleSpec {
    /// Principals as text: IAM ARNs (an account as its `:root` ARN), `*`, `Service:…`.
    pub trusted_principals: Vec<String>,
}

impl KindMeta for AccessRoleSpec {
    const KIND: Kind = Kind::AccessRole;
    const PREFIX: &'static str = "access-role";
    const RANK: usize = 0;
    const SCOPE: Scope = Scope::Account;
    const REPORT_ONLY: bool = true;
}

impl Spec for AccessRoleSpec {}

impl AccessRoleSpec {
    /// The principals `live` trusts beyond these, in `live`'s order.
    #[must_use]
    pub fn beyond(&self, live: &AccessRoleSpec) -> Vec<String> {
        let allowed: BTreeSet<&str> = self.trusted_principals.iter().map(String::as_str).collect();
        live.trusted_principals.iter().filter(|t| !allowed.contains(t.as_str())).cloned().collect()
    }
}

/// The principals a member account's access role may trust: the management account's root
/// (which is how AWS Organizations creates the role) and the deployer role, when the blueprint
/// names one.
pub fn access_role_principals(deployer_role: Option<&str>) -> Vec<String> {
    let mut out = vec![format!("arn:aws:iam::{}:root", IdRef::Management)];
    if let Some(role) = deployer_role {
        out.push(format!("arn:aws:iam::{}:role/{role}", IdRef::Management));
    }
    out
}

/// One check per member account.
pub(crate) fn lower(bp: &Blueprint, out: &mut Vec<DesiredResource>) {
    let role = &bp.organization.access_role;
    let spec = AccessRoleSpec { trusted_principals: access_role_principals(bp.organization.deployer_role.as_deref()) };
    for a in &bp.accounts {
        let name = &a.name.value;
        out.push(DesiredResource {
            address: Address::access_role(name),
            at: Locator::new(Kind::AccessRole, Some(name.clone()), role.clone()),
            spec: spec.to_value(),
            after: Vec::new(),
        });
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn the_json_keeps_the_shape_saved_plans_hold() {
        let spec = AccessRoleSpec { trusted_principals: access_role_principals(Some("Deployer")) };
        let v = spec.to_value();
        assert_eq!(
            v,
            json!({ "trusted_principals": [
                "arn:aws:iam::{{management_account_id}}:root",
                "arn:aws:iam::{{management_account_id}}:role/Deployer"
            ] })
        );
        assert_eq!(AccessRoleSpec::from_value(&v).unwrap(), spec);
        let live = AccessRoleSpec { trusted_principals: vec!["*".into(), spec.trusted_principals[0].clone()] };
        assert_eq!(spec.beyond(&live), ["*"]);
    }

    #[test]
    fn a_missing_key_is_an_error_naming_the_kind() {
        let err = AccessRoleSpec::from_value(&json!({})).unwrap_err().to_string();
        assert!(err.contains("access-role") && err.contains("trusted_principals"), "{err}");
    }
}
