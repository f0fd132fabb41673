//! An IAM user in the identity hub (`iam-user/<hub>/<name>`): its groups, console access and
//! tags. Users get permissions only through groups: policies attached to a user directly are
//! part of its spec so that the plan shows them and apply removes them.

use std::collections::BTreeSet;

use groundwork_blueprint::Blueprint;
use serde::{Deserialize, Serialize};

use super::tags::Tags;
use super::{Kind, KindMeta, Scope, Spec};
use crate::lower::hub;
use crate::resource::{DesiredResource, Locator};
use crate::state::{Address, TAG_BLUEPRINT, TAG_MANAGED};

/// A user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserSpec {
    /// The groups it is in.
    pub groups: BTreeSet<String>,
    /// Whether it has a console password.
    pub console: bool,
    /// Every tag (a user's tags are all groundwork's to set).
    pub tags: Tags,
    /// ARNs of managed policies attached to the user itself (always none in the blueprint).
    pub managed_policies: BTreeSet<String>,
    /// Names of inline policies on the user itself (always none in the blueprint).
    pub inline_policies: BTreeSet<String>,
}

impl KindMeta for UserSpec {
    const KIND: Kind = Kind::User;
    const PREFIX: &'static str = "iam-user";
    const RANK: usize = 3;
    const SCOPE: Scope = Scope::Account;
}

impl Spec for UserSpec {}

impl UserSpec {
    /// Whether policies are attached to the user itself (apply removes them).
    #[must_use]
    pub fn has_direct_policies(&self) -> bool {
        !self.managed_policies.is_empty() || !self.inline_policies.is_empty()
    }
}

/// The hub's users, each after its groups.
pub(crate) fn lower(bp: &Blueprint, out: &mut Vec<DesiredResource>) {
    let Some(identity) = &bp.identity else { return };
    let hub_account = hub(bp);
    for u in &identity.users {
        let mut tags: Tags = u.tags.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        tags.insert(TAG_MANAGED, "true");
        tags.insert(TAG_BLUEPRINT, bp.organization.name.value.as_str());
        out.push(DesiredResource {
            address: Address::user(hub_account, &u.name.value),
            at: Locator::new(Kind::User, hub_account.map(str::to_owned), u.name.value.clone()),
            spec: UserSpec {
                groups: u.groups.iter().cloned().collect(),
                console: u.console,
                tags,
                managed_policies: BTreeSet::new(),
                inline_policies: BTreeSet::new(),
            }
            .to_value(),
            after: u.groups.iter().map(|g| Address::group(hub_account, g)).collect(),
        });
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn the_json_keeps_the_shape_saved_plans_hold() {
        let spec = UserSpec {
            groups: ["ops".to_owned(), "dev".to_owned()].into(),
            console: true,
            tags: Tags::from_iter([("team", "x"), (TAG_MANAGED, "true")]),
            managed_policies: BTreeSet::new(),
            inline_policies: BTreeSet::new(),
        };
        let v = spec.to_value();
        assert_eq!(
            serde_json::to_string(&v).unwrap(),
            json!({
                "groups": ["dev", "ops"], "console": true,
                "tags": { "team": "x", "groundwork:managed": "true" },
                "managed_policies": [], "inline_policies": []
            })
            .to_string()
        );
        assert_eq!(UserSpec::from_value(&v).unwrap(), spec);
        assert!(!spec.has_direct_policies());
    }

    #[test]
    fn a_missing_key_is_an_error_naming_the_kind() {
        let err = UserSpec::from_value(&json!({ "groups": [], "console": false, "tags": {}, "managed_policies": [] }))
            .unwrap_err()
            .to_string();
        assert!(err.contains("iam-user") && err.contains("inline_policies"), "{err}");
    }
}
