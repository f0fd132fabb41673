//! An EC2 instance profile (`instance-profile/<account>/<name>`): one per EC2-trusted role of the
//! blueprint, of the role's name and path, holding that role.

use std::collections::BTreeSet;

use groundwork_blueprint::{Blueprint, Role, RoleTrust};
use serde::{Deserialize, Serialize};

use super::iam::ownership;
use super::tags::Tags;
use super::{Kind, KindMeta, Scope, Spec};
use crate::resource::{DesiredResource, Locator};
use crate::state::Address;

/// An instance profile. Only groundwork's own tags are part of it, as for a role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InstanceProfileSpec {
    /// Its IAM path (IAM cannot move one: a new path replaces it).
    pub path: String,
    /// groundwork's tags on it.
    pub tags: Tags,
    /// The names of the roles it holds.
    pub roles: BTreeSet<String>,
}

impl KindMeta for InstanceProfileSpec {
    const KIND: Kind = Kind::InstanceProfile;
    const PREFIX: &'static str = "instance-profile";
    const RANK: usize = 2;
    const SCOPE: Scope = Scope::Account;
}

impl Spec for InstanceProfileSpec {}

/// The instance profile of `role` in `account`, after the role, when EC2 assumes it.
pub(crate) fn for_role(bp: &Blueprint, role: &Role, account: &str, role_address: Address) -> Option<DesiredResource> {
    (role.trust == RoleTrust::Ec2).then(|| DesiredResource {
        address: Address::instance_profile(Some(account), &role.name.value),
        at: Locator::new(Kind::InstanceProfile, Some(account.to_owned()), role.name.value.clone()),
        spec: InstanceProfileSpec {
            path: role.path.clone(),
            tags: ownership(bp),
            roles: BTreeSet::from([role.name.value.clone()]),
        }
        .to_value(),
        after: vec![role_address],
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn the_json_keeps_the_shape_saved_plans_hold() {
        let spec = InstanceProfileSpec {
            path: "/groundwork/".into(),
            tags: Tags::from_iter([("groundwork:managed", "true")]),
            roles: BTreeSet::from(["app".to_owned()]),
        };
        let v = spec.to_value();
        assert_eq!(
            serde_json::to_string(&v).unwrap(),
            json!({ "path": "/groundwork/", "tags": { "groundwork:managed": "true" }, "roles": ["app"] }).to_string()
        );
        assert_eq!(InstanceProfileSpec::from_value(&v).unwrap(), spec);
    }

    #[test]
    fn a_missing_key_is_an_error_naming_the_kind() {
        let err = InstanceProfileSpec::from_value(&json!({ "path": "/", "tags": {} })).unwrap_err().to_string();
        assert!(err.contains("instance-profile") && err.contains("roles"), "{err}");
    }
}
