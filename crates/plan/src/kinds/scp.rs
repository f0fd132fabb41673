//! Service control policies (`scp/<name>`) and the lowering of the blueprint's `guardrails`
//! section: the SCP policy type on the root, then each guardrail's SCP followed by its
//! attachments, in blueprint order.

use std::fmt;

use groundwork_blueprint::Blueprint;
use groundwork_blueprint::template::Reverse;
use serde::de::{MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value, json};

use super::{Kind, KindMeta, Scope, Spec};
use crate::import::reverse::readable;
use crate::lower::{SCP_TYPE, TemplateCx, expand_json, hub};
use crate::resource::{DesiredResource, Locator, canonical_policy};
use crate::state::{Address, TAG_BLUEPRINT, TAG_MANAGED};

/// A service control policy: its description, its document (canonical) and groundwork's tags
/// on it (only the `groundwork:` ones; others are not groundwork's to judge).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScpSpec {
    /// The description stored with the policy.
    pub description: String,
    /// The policy document, canonical (see [`canonical_policy`]).
    pub document: Value,
    /// The `groundwork:` tags.
    pub tags: TagList,
}

impl KindMeta for ScpSpec {
    const KIND: Kind = Kind::Scp;
    const PREFIX: &'static str = "scp";
    const RANK: usize = 1;
    const SCOPE: Scope = Scope::Organization;
}

impl Spec for ScpSpec {}

/// Tags as a JSON object, in the order they were written (the lowering's, or the order AWS
/// lists them), so a spec's JSON, and a plan that shows it, is the same from run to run.
/// Compared as a set: order is never a difference.
#[derive(Debug, Clone, Default, Eq)]
pub struct TagList(pub Vec<(String, String)>);

impl TagList {
    /// groundwork's ownership tags for `blueprint`: `groundwork:managed=true`,
    /// `groundwork:blueprint=<blueprint>`.
    pub fn ownership(blueprint: &str) -> Self {
        TagList(vec![(TAG_MANAGED.to_owned(), "true".to_owned()), (TAG_BLUEPRINT.to_owned(), blueprint.to_owned())])
    }

    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    /// The tags as a sorted map (what [`crate::is_managed_by`] reads).
    pub fn to_map(&self) -> groundwork_blueprint::Tags {
        self.0.iter().cloned().collect()
    }

    fn sorted(&self) -> Vec<&(String, String)> {
        let mut v: Vec<_> = self.0.iter().collect();
        v.sort();
        v
    }
}

impl PartialEq for TagList {
    fn eq(&self, other: &Self) -> bool {
        self.sorted() == other.sorted()
    }
}

impl Serialize for TagList {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for TagList {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Tags;
        impl<'de> Visitor<'de> for Tags {
            type Value = TagList;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map of tag keys to string values")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<TagList, A::Error> {
                let mut out = Vec::new();
                while let Some(entry) = map.next_entry::<String, String>()? {
                    out.push(entry);
                }
                Ok(TagList(out))
            }
        }
        deserializer.deserialize_map(Tags)
    }
}

/// Lowers the `guardrails` section (nothing when it has no policy): the SCP policy type, then
/// per guardrail its SCP (after the policy type) and its attachments (after the SCP, and after
/// the OU or account they target).
pub(crate) fn lower(bp: &Blueprint, out: &mut Vec<DesiredResource>) {
    if bp.guardrails.policies.is_empty() {
        return;
    }
    let policy_type = super::policy_type::desired(SCP_TYPE);
    let after = vec![policy_type.address.clone()];
    out.push(policy_type);
    let cx = TemplateCx { account: None, workload: None, hub: hub(bp), region: &bp.organization.home_region.value };
    for g in &bp.guardrails.policies {
        let name = &g.name.value;
        let scp = Address::scp(name);
        let spec = ScpSpec {
            description: g.description.clone(),
            document: canonical_policy(&expand_json(&g.document, &cx)),
            tags: TagList::ownership(&bp.organization.name.value),
        };
        out.push(DesiredResource {
            address: scp.clone(),
            at: Locator::new(Kind::Scp, None, name.clone()),
            spec: spec.to_value(),
            after: after.clone(),
        });
        for t in &g.targets {
            out.push(super::scp_attachment::desired(name, &t.value, &scp));
        }
    }
}

/// The guardrail entry (`guardrails.policies`) of the live SCP `spec` named `name`: its
/// description, its document in reading order with ids as placeholders (`subs`), and its
/// `targets` as the blueprint writes them (see `scp_attachment::reverse_target`). The reverse
/// of [`lower`].
pub(crate) fn reverse(name: &str, spec: &Value, targets: Vec<Value>, subs: &Reverse<'_>) -> Value {
    let mut m = Map::new();
    m.insert("name".into(), json!(name));
    m.insert("description".into(), json!(spec["description"].as_str().unwrap_or_default()));
    m.insert("document".into(), readable(&subs.apply_json(&spec["document"])));
    m.insert("targets".into(), Value::Array(targets));
    Value::Object(m)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn the_json_keeps_the_shape_saved_plans_hold() {
        let spec = ScpSpec {
            description: "d".into(),
            document: json!({ "Version": "2012-10-17" }),
            tags: TagList::ownership("acme"),
        };
        assert_eq!(
            serde_json::to_string(&spec.to_value()).unwrap(),
            r#"{"description":"d","document":{"Version":"2012-10-17"},"tags":{"groundwork:managed":"true","groundwork:blueprint":"acme"}}"#
        );
        let back = ScpSpec::from_value(&spec.to_value()).unwrap();
        assert_eq!(back, spec);
        // Tags compare as a set, and keep the order they were read in.
        let reordered = ScpSpec::from_value(&json!({
            "description": "d", "document": { "Version": "2012-10-17" },
            "tags": { "groundwork:blueprint": "acme", "groundwork:managed": "true" }
        }))
        .unwrap();
        assert_eq!(reordered, spec);
        assert_eq!(reordered.tags.0[0].0, "groundwork:blueprint");
        assert_eq!(reordered.tags.get(TAG_MANAGED), Some("true"));
        let err = ScpSpec::from_value(&json!({ "description": "d", "document": {}, "tags": { "k": 1 } }))
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("the scp spec"), "{err}");
        let err = ScpSpec::from_value(&json!({ "document": {}, "tags": {} })).unwrap_err().to_string();
        assert!(err.contains("description"), "{err}");
    }
}
