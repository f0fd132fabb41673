//! Delete as a first-class action: an SCP groundwork owns that the blueprint no longer lists is
//! named by `plan`, deleted (detached first) only with `--prune` (on the command line or in a
//! saved plan made with it), and an SCP groundwork does not own (no tags, or another
//! blueprint's) is never deleted.

use std::collections::BTreeSet;

use aws_sdk_organizations::types::{PolicyType, Tag};

use crate::common::Env;

const HEAD: &str = "version: 1
organization:
  name: pruned
  home_region: us-east-1
  management_account:
    email: master@example.com
organizational_units:
  - name: Workloads
accounts:
  - name: app
    email: aws+app@pruned.example
    ou: Workloads
    purpose: workload
guardrails:
  policies:
    - name: keep
      builtin: deny-leave-organization
      targets: [Root]
";

const OLD_A: &str = "    - name: old-a
      builtin: deny-root-user
      targets: [{ ou: Workloads }, { account: app }]
";

const OLD_B: &str = "    - name: old-b
      description: Deny deleting flow logs
      document:
        Version: \"2012-10-17\"
        Statement:
          - Sid: DenyFlowLogDeletion
            Effect: Deny
            Action: ec2:DeleteFlowLogs
            Resource: \"*\"
      targets: [Root]
";

const DOC: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"ec2:DeleteVpc","Resource":"*"}]}"#;

/// SCPs of the organization but FullAWSAccess, by name: their target ids.
async fn scps(env: &Env) -> std::collections::BTreeMap<String, BTreeSet<String>> {
    let org = env.org();
    let list = org.list_policies().filter(PolicyType::ServiceControlPolicy).send().await.unwrap();
    let mut out = std::collections::BTreeMap::new();
    for p in list.policies().iter().filter(|p| p.name() != Some("FullAWSAccess")) {
        let targets = org.list_targets_for_policy().policy_id(p.id().unwrap()).send().await.unwrap();
        out.insert(
            p.name().unwrap().to_owned(),
            targets.targets().iter().map(|t| t.target_id().unwrap().to_owned()).collect(),
        );
    }
    out
}

fn names(v: &serde_json::Value) -> Vec<String> {
    v.as_array().unwrap().iter().map(|c| c["address"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn an_owned_scp_no_longer_in_the_blueprint_is_deleted_only_with_prune() {
    let env = Env::new();
    let all = env.path("all.yaml");
    std::fs::write(&all, format!("{HEAD}{OLD_A}{OLD_B}")).unwrap();
    env.apply(&all).ok();
    let built = scps(&env).await;
    assert_eq!(built.keys().collect::<Vec<_>>(), ["keep", "old-a", "old-b"]);
    assert_eq!(built["old-a"].len(), 2, "old-a is on the OU and the account");

    // Out of band: an SCP made by hand (no tags) and one tagged for another blueprint, both on
    // the root. Neither is groundwork's to delete.
    let org = env.org();
    let root = org.list_roots().send().await.unwrap().roots()[0].id().unwrap().to_owned();
    let tag = |k: &str, v: &str| Tag::builder().key(k).value(v).build().unwrap();
    for (name, tags) in [
        ("by-hand", vec![]),
        ("foreign", vec![tag("groundwork:managed", "true"), tag("groundwork:blueprint", "someone-else")]),
    ] {
        let made = org
            .create_policy()
            .name(name)
            .description("made by hand")
            .content(DOC)
            .r#type(PolicyType::ServiceControlPolicy)
            .set_tags(Some(tags))
            .send()
            .await
            .unwrap();
        let id = made.policy().unwrap().policy_summary().unwrap().id().unwrap().to_owned();
        org.attach_policy().policy_id(id).target_id(&root).send().await.unwrap();
    }

    // old-a leaves the blueprint. Without --prune: no change, but the plan names it.
    let without_a = env.path("without-a.yaml");
    std::fs::write(&without_a, format!("{HEAD}{OLD_B}")).unwrap();
    let wa = without_a.to_str().unwrap();
    let plan = env.plan_json(&without_a).ok();
    let doc = plan.json();
    assert_eq!(names(&doc["changes"]), Vec::<String>::new(), "{doc:#}");
    assert_eq!(doc["drift"], serde_json::json!(["scp/old-a: is no longer in the blueprint; `--prune` deletes it"]));
    assert_eq!(doc["findings"][0]["address"], "scp/old-a");
    assert_eq!(plan.writes(), 0);
    let text = env.gw(&["plan", wa, "--no-rate-limit"]).ok();
    assert!(text.stdout.contains("scp/old-a: is no longer in the blueprint; `--prune` deletes it"), "{}", text.stdout);
    assert!(!text.stdout.contains("will be removed"), "{}", text.stdout);
    assert!(text.stdout.contains("No changes."), "{}", text.stdout);
    let drift = env.gw(&["drift", wa, "--no-rate-limit"]);
    assert_eq!(drift.code, 2, "{}{}", drift.stdout, drift.stderr);
    assert!(drift.stdout.contains("! scp/old-a [not-repaired]"), "{}", drift.stdout);
    // A plain apply changes nothing either.
    let applied = env.apply(&without_a).ok();
    assert_eq!(applied.writes(), 0, "{}", applied.stderr);
    assert!(scps(&env).await.contains_key("old-a"));

    // With --prune: detached from both targets, then deleted; nothing else is touched.
    let pruned = env.gw(&["apply", wa, "--prune", "--auto-approve", "--json", "--stats", "--no-rate-limit"]).ok();
    let stats = pruned.stats();
    assert_eq!(stats["write_calls"]["organizations:DetachPolicy"], 2, "{stats}");
    assert_eq!(stats["write_calls"]["organizations:DeletePolicy"], 1, "{stats}");
    let now = scps(&env).await;
    assert_eq!(now.keys().collect::<Vec<_>>(), ["by-hand", "foreign", "keep", "old-b"]);
    assert_eq!(now["keep"], built["keep"]);
    assert_eq!(now["by-hand"], BTreeSet::from([root.clone()]));
    assert_eq!(now["foreign"], BTreeSet::from([root.clone()]));

    // old-b leaves too: a plan saved with --prune holds the delete, and applying it deletes.
    let keep_only = env.path("keep-only.yaml");
    std::fs::write(&keep_only, HEAD).unwrap();
    let k = keep_only.to_str().unwrap();
    let saved = env.path("pruned.json");
    let s = saved.to_str().unwrap();
    env.gw(&["plan", k, "--prune", "--out", s, "--no-rate-limit"]).ok();
    let file: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&saved).unwrap()).unwrap();
    assert_eq!(names(&file["changes"]), ["scp/old-b"]);
    assert_eq!(file["changes"][0]["action"], "delete");
    assert!(file["changes"][0]["reason"].as_str().unwrap().contains("`--prune` was given"), "{file:#}");
    assert_eq!(file["desired"]["prune"], serde_json::json!({ "all": true }));
    let refused = env.gw(&["apply", s, "--prune", "--auto-approve", "--no-rate-limit"]);
    assert_eq!(refused.code, 1, "{}", refused.stderr);
    assert!(refused.stderr.contains("--prune is for planning"), "{}", refused.stderr);
    env.gw(&["apply", s, "--auto-approve", "--no-rate-limit"]).ok();
    assert_eq!(scps(&env).await.keys().collect::<Vec<_>>(), ["by-hand", "foreign", "keep"]);

    // The rerun, with --prune: nothing to do and no write. Of the SCPs the blueprint does not
    // name, only the tags are read; only the blueprint's own SCP is described.
    let rerun = env.gw(&["apply", k, "--prune", "--auto-approve", "--json", "--stats", "--no-rate-limit"]).ok();
    assert_eq!(rerun.writes(), 0, "{}", rerun.stderr);
    let plan = env.gw(&["plan", k, "--prune", "--json", "--stats", "--no-rate-limit"]).ok();
    assert_eq!(names(&plan.json()["changes"]), Vec::<String>::new());
    let calls = &plan.stats()["api_calls"];
    assert_eq!(calls["organizations:DescribePolicy"], 1, "{calls}");
    // One OU and one account (app: the management account's tags are not read, as the
    // blueprint tags it nowhere), keep, by-hand and foreign.
    assert_eq!(calls["organizations:ListTagsForResource"], 5, "{calls}");
    assert_eq!(calls["organizations:ListRoots"], 1, "{calls}");
    assert_eq!(scps(&env).await.keys().collect::<Vec<_>>(), ["by-hand", "foreign", "keep"]);
}

/// `guardrails: { prune: true }` deletes owned leftovers on a plain `apply`, with the reason.
#[tokio::test(flavor = "multi_thread")]
async fn the_guardrails_prune_setting_deletes_without_the_flag() {
    let env = Env::new();
    let all = env.path("all.yaml");
    std::fs::write(&all, format!("{HEAD}{OLD_B}")).unwrap();
    env.apply(&all).ok();
    let setting = env.path("setting.yaml");
    std::fs::write(&setting, HEAD.replace("guardrails:\n", "guardrails:\n  prune: true\n")).unwrap();
    let plan = env.plan_json(&setting).ok().json();
    assert_eq!(names(&plan["changes"]), ["scp/old-b"]);
    assert!(
        plan["changes"][0]["reason"].as_str().unwrap().contains("the blueprint sets `guardrails.prune: true`"),
        "{plan:#}"
    );
    env.apply(&setting).ok();
    assert_eq!(scps(&env).await.keys().collect::<Vec<_>>(), ["keep"]);
    assert_eq!(env.apply(&setting).ok().writes(), 0);
}
