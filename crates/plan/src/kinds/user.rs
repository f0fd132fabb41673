//! An IAM user in the identity hub (`iam-user/<hub>/<name>`): its groups, console access and
//! tags. Users get permissions only through groups: policies attached to a user directly are
//! part of its spec so that the plan shows them and apply removes them.

use std::collections::BTreeSet;

use groundwork_blueprint::Blueprint;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::tags::Tags;
use super::{Kind, KindMeta, Scope, Spec};
use crate::import::reverse::{strings, user_tags};
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

/// The user entry (`identity.users`) of the live user `spec`, given the groups imported; `Err`
/// when it cannot be written (policies of its own, a group not imported). The reverse of
/// [`lower`].
pub(crate) fn reverse(name: &str, spec: &Value, groups: &BTreeSet<&str>) -> Result<Value, String> {
    let direct: Vec<String> =
        strings(&spec["managed_policies"]).into_iter().chain(strings(&spec["inline_policies"])).collect();
    if !direct.is_empty() {
        return Err(format!(
            "it has policies of its own ({}); users get permissions only through groups, and applying would remove them",
            direct.join(", ")
        ));
    }
    let mine = strings(&spec["groups"]);
    let missing: Vec<&str> = mine.iter().map(String::as_str).filter(|g| !groups.contains(g)).collect();
    if !missing.is_empty() {
        return Err(format!("it is in groups that are not imported ({})", missing.join(", ")));
    }
    let mut m = Map::new();
    m.insert("name".into(), json!(name));
    if !mine.is_empty() {
        m.insert("groups".into(), json!(mine));
    }
    if spec["console"] == true {
        m.insert("console".into(), json!(true));
    }
    let tags = user_tags(
        spec["tags"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned())),
    );
    if !tags.is_empty() {
        m.insert("tags".into(), Value::Object(tags));
    }
    Ok(Value::Object(m))
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
