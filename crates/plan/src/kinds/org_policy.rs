//! Organizations policies beyond SCPs (`org-policy/<name>`: tag policies, AI-services opt-out
//! policies) and the lowering of the guardrails of those types: the policy type on the root,
//! then each policy followed by its attachments (`org_policy_attachment`), in blueprint order.
//! SCPs keep their own kind (`scp`), whose reads and writes these share on the AWS side.

use groundwork_blueprint::Blueprint;
use groundwork_blueprint::org_policies::OrgPolicyType;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::scp::TagList;
use super::{Kind, KindMeta, Scope, Spec};
use crate::import::reverse::readable;
use crate::resource::{DesiredResource, Locator, canonical_policy};
use crate::state::Address;

/// An Organizations policy of a type beyond SCPs: its type, description, document (keys
/// sorted) and groundwork's tags on it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrgPolicySpec {
    /// The policy type, as the API names it (`TAG_POLICY`, `AISERVICES_OPT_OUT_POLICY`); AWS
    /// cannot change it, so a different type is a Replace.
    pub policy_type: OrgPolicyType,
    /// The description stored with the policy.
    pub description: String,
    /// The policy document, keys sorted (see [`canonical_policy`]).
    pub document: Value,
    /// The `groundwork:` tags.
    pub tags: TagList,
}

impl KindMeta for OrgPolicySpec {
    const KIND: Kind = Kind::OrgPolicy;
    const PREFIX: &'static str = "org-policy";
    const RANK: usize = 1;
    const SCOPE: Scope = Scope::Organization;
}

impl Spec for OrgPolicySpec {}

/// The address of the policy `name`: `org-policy/ai-opt-out`.
pub fn address(name: &str) -> Address {
    Address::of(Kind::OrgPolicy, name)
}

/// Lowers the guardrails of types beyond SCPs (nothing when there is none): each type's
/// policy type on the root once, then per policy its spec (after its type) and its
/// attachments.
pub(crate) fn lower(bp: &Blueprint, out: &mut Vec<DesiredResource>) {
    let policies = &bp.guardrails.organization_policies;
    let mut types: Vec<OrgPolicyType> = policies.iter().map(|p| p.policy_type).collect();
    types.sort();
    types.dedup();
    for t in &types {
        out.push(super::policy_type::desired(t.api_name()));
    }
    for p in policies {
        let name = &p.name.value;
        let spec = OrgPolicySpec {
            policy_type: p.policy_type,
            description: p.description.clone(),
            document: canonical_policy(&p.document),
            tags: TagList::ownership(&bp.organization.name.value),
        };
        let policy = address(name);
        out.push(DesiredResource {
            address: policy.clone(),
            at: Locator::new(Kind::OrgPolicy, None, name.clone()),
            spec: spec.to_value(),
            after: vec![Address::policy_type(p.policy_type.api_name())],
        });
        for t in &p.targets {
            out.push(super::org_policy_attachment::desired(name, p.policy_type, &t.value, &policy));
        }
    }
}

/// The guardrail entry (`guardrails.policies`) of the live policy `spec` named `name`: its
/// `type`, description, document and `targets` (see `scp_attachment::reverse_target`). The
/// reverse of [`lower`]; built-ins come back as their documents.
pub(crate) fn reverse(name: &str, spec: &Value, targets: Vec<Value>) -> Value {
    let ty = spec["policy_type"].as_str().and_then(OrgPolicyType::from_api_name);
    let mut m = Map::new();
    m.insert("name".into(), json!(name));
    m.insert("type".into(), json!(ty.map_or("tag", OrgPolicyType::blueprint_name)));
    m.insert("description".into(), json!(spec["description"].as_str().unwrap_or_default()));
    m.insert("document".into(), readable(&spec["document"]));
    m.insert("targets".into(), Value::Array(targets));
    Value::Object(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_json_names_the_type_as_the_api_does() {
        let spec = OrgPolicySpec {
            policy_type: OrgPolicyType::AiServicesOptOut,
            description: "d".into(),
            document: json!({ "services": {} }),
            tags: TagList::ownership("acme"),
        };
        assert_eq!(
            serde_json::to_string(&spec.to_value()).unwrap(),
            r#"{"policy_type":"AISERVICES_OPT_OUT_POLICY","description":"d","document":{"services":{}},"tags":{"groundwork:managed":"true","groundwork:blueprint":"acme"}}"#
        );
        assert_eq!(OrgPolicySpec::from_value(&spec.to_value()).unwrap(), spec);
        let err = OrgPolicySpec::from_value(&json!({ "description": "d", "document": {}, "tags": {} }))
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("the org-policy spec") && err.contains("policy_type"), "{err}");
        assert_eq!(address("ai-opt-out").as_str(), "org-policy/ai-opt-out");
    }
}
