//! Guardrails beyond SCPs end to end: the built-in AI-services opt-out policy at Root and the
//! tag policy generated from the blueprint's tag conventions on an OU, with their policy types
//! enabled on the root, read back with plain Organizations calls; a rerun writes nothing; a
//! policy changed and an attachment removed out of band are named by `drift` and restored by
//! `apply`; `import` writes them back as guardrails of their type, and the imported blueprint
//! plans nothing.

use std::collections::BTreeSet;

use aws_sdk_organizations::types::PolicyType;
use serde_json::{Value, json};

use crate::common::Env;

const BLUEPRINT: &str = "version: 1
organization:
  name: tagged
  home_region: us-east-1
  management_account:
    email: master@example.com
organizational_units:
  - name: Workloads
accounts:
  - name: app
    email: aws+app@tagged.example
    ou: Workloads
    purpose: workload
    tags: { CostCenter: product, Owner: alice }
guardrails:
  tag_conventions:
    - key: CostCenter
      values: [product, platform]
      enforced_for: [ec2:instance, s3:bucket]
    - key: Owner
  policies:
    - name: deny-leave-org
      builtin: deny-leave-organization
      targets: [Root]
    - name: ai-opt-out
      builtin: ai-services-opt-out
      targets: [Root]
    - name: tagging
      builtin: tag-conventions
      targets: [{ ou: Workloads }]
";

/// The policies of `policy_type` (AWS's own left out), by name: (id, document, target ids).
async fn policies(env: &Env, policy_type: PolicyType) -> Vec<(String, String, Value, BTreeSet<String>)> {
    let org = env.org();
    let list = org.list_policies().filter(policy_type).send().await.unwrap();
    let mut out = Vec::new();
    for p in list.policies().iter().filter(|p| !p.aws_managed()) {
        let id = p.id().unwrap().to_owned();
        let described = org.describe_policy().policy_id(&id).send().await.unwrap();
        let content: Value = serde_json::from_str(described.policy().unwrap().content().unwrap()).unwrap();
        let targets = org.list_targets_for_policy().policy_id(&id).send().await.unwrap();
        let targets = targets.targets().iter().map(|t| t.target_id().unwrap().to_owned()).collect();
        out.push((p.name().unwrap().to_owned(), id, content, targets));
    }
    out
}

fn tag_policy() -> Value {
    json!({ "tags": {
        "costcenter": {
            "enforced_for": { "@@assign": ["ec2:instance", "s3:bucket"] },
            "tag_key": { "@@assign": "CostCenter" },
            "tag_value": { "@@assign": ["product", "platform"] }
        },
        "owner": { "tag_key": { "@@assign": "Owner" } }
    } })
}

#[tokio::test(flavor = "multi_thread")]
async fn tag_and_ai_opt_out_policies_are_built_attached_read_back_repaired_and_imported() {
    let env = Env::new();
    let bp = env.path("tagged.yaml");
    std::fs::write(&bp, BLUEPRINT).unwrap();
    let b = bp.to_str().unwrap();
    env.apply(&bp).ok();

    let org = env.org();
    let root = org.list_roots().send().await.unwrap().roots()[0].clone();
    let root_id = root.id().unwrap().to_owned();
    let enabled: BTreeSet<&str> =
        root.policy_types().iter().filter_map(|t| t.r#type()).map(PolicyType::as_str).collect();
    assert!(enabled.contains("TAG_POLICY") && enabled.contains("AISERVICES_OPT_OUT_POLICY"), "{enabled:?}");
    let ous = org.list_organizational_units_for_parent().parent_id(&root_id).send().await.unwrap();
    let workloads = ous.organizational_units()[0].id().unwrap().to_owned();

    let ai = policies(&env, PolicyType::AiservicesOptOutPolicy).await;
    assert_eq!(ai.len(), 1, "{ai:?}");
    assert_eq!(ai[0].0, "ai-opt-out");
    assert_eq!(ai[0].2, json!({ "services": { "default": { "opt_out_policy": { "@@assign": "optOut" } } } }));
    assert_eq!(ai[0].3, BTreeSet::from([root_id.clone()]));
    let tags = policies(&env, PolicyType::TagPolicy).await;
    assert_eq!(tags.len(), 1, "{tags:?}");
    assert_eq!(tags[0].0, "tagging");
    assert_eq!(tags[0].2, tag_policy());
    assert_eq!(tags[0].3, BTreeSet::from([workloads.clone()]));
    // Both carry groundwork's tags.
    let t = org.list_tags_for_resource().resource_id(&tags[0].1).send().await.unwrap();
    assert!(t.tags().iter().any(|t| t.key() == "groundwork:blueprint" && t.value() == "tagged"), "{t:?}");
    // The SCP beside them is untouched by their types: still one, at Root.
    let scps = org.list_policies().filter(PolicyType::ServiceControlPolicy).send().await.unwrap();
    assert!(scps.policies().iter().any(|p| p.name() == Some("deny-leave-org")));

    // A rerun writes nothing.
    let rerun = env.apply(&bp).ok();
    assert_eq!(rerun.writes(), 0, "{}", rerun.stderr);
    let stats = rerun.stats();
    assert_eq!(stats["api_calls"]["organizations:ListPolicies"].as_u64(), Some(3), "{stats:#}");

    // Out of band: the tag policy allows another value, the opt-out is detached from Root.
    org.update_policy()
        .policy_id(&tags[0].1)
        .content(r#"{"tags":{"costcenter":{"tag_key":{"@@assign":"CostCenter"}}}}"#)
        .send()
        .await
        .unwrap();
    org.detach_policy().policy_id(&ai[0].1).target_id(&root_id).send().await.unwrap();
    let drift = env.gw(&["drift", b, "--stats", "--json", "--no-rate-limit"]);
    assert_eq!(drift.code, 2, "{}{}", drift.stdout, drift.stderr);
    assert_eq!(drift.writes(), 0, "drift is read-only");
    let report = drift.json();
    let mut named: Vec<&str> = report["groups"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|g| g["differences"].as_array().unwrap())
        .map(|d| d["address"].as_str().unwrap())
        .collect();
    named.sort_unstable();
    assert_eq!(named, ["org-policy-attachment/ai-opt-out@Root", "org-policy/tagging"], "{report:#}");

    let repaired = env.apply(&bp).ok();
    let writes = repaired.stats()["write_calls"].clone();
    assert_eq!(writes["organizations:UpdatePolicy"], json!(1), "{writes}");
    assert_eq!(writes["organizations:AttachPolicy"], json!(1), "{writes}");
    assert_eq!(policies(&env, PolicyType::TagPolicy).await[0].2, tag_policy());
    assert_eq!(policies(&env, PolicyType::AiservicesOptOutPolicy).await[0].3, BTreeSet::from([root_id.clone()]));
    let after = env.gw(&["drift", b, "--no-rate-limit"]);
    assert_eq!(after.code, 0, "not repaired:\n{}{}", after.stdout, after.stderr);

    // Import writes both back as guardrails of their type, and what it wrote plans nothing.
    let out = env.path("imported.yaml");
    let out_s = out.to_str().unwrap();
    env.gw(&["import", "--out", out_s, "--home-region", "us-east-1", "--no-rate-limit"]).ok();
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.contains("name: ai-opt-out") && text.contains("type: ai_services_opt_out"), "{text}");
    assert!(text.contains("name: tagging") && text.contains("type: tag"), "{text}");
    env.gw(&["validate", out_s]).ok();
    // Its policies and attachments plan nothing but adoptions (groundwork's tags for the name
    // import gives the organization).
    let plan = env.plan_json(&out).ok().json();
    let touched: Vec<(String, String)> = plan["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["address"].as_str().unwrap().starts_with("org-policy") && c["action"] != "adopt")
        .map(|c| (c["action"].as_str().unwrap().to_owned(), c["address"].as_str().unwrap().to_owned()))
        .collect();
    assert!(touched.is_empty(), "{touched:?}\n{text}");
}
