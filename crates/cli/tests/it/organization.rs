//! The organization slice end to end: apply, independent read-back, zero-write rerun, adoption,
//! out-of-band moves, saved plans, crash safety.

use aws_sdk_organizations::types::{OrganizationFeatureSet, Tag};

use crate::common::{Env, read_org, reference};

fn tag(k: &str, v: &str) -> Tag {
    Tag::builder().key(k).value(v).build().unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn apply_builds_the_reference_landing_zone_and_rerun_writes_nothing() {
    let env = Env::reference();
    let bp = reference();

    let plan = env.plan_json(&bp).ok();
    assert_eq!(plan.writes(), 0, "plan is read-only");
    let changes = plan.json()["changes"].as_array().unwrap().len();
    // The organization, 7 OUs, 9 accounts; the archive's KMS key, the log and access-log buckets, trusted access, the trail, the SCP
    // policy type, 6 SCPs (protect-access-role included) and their 10 attachments (deny-leave-org
    // on the 4 top-level OUs, 4 at Root, region-lock on 2 OUs); in the hub the password policy,
    // ForceMFA, 3 groups and 2 users; 13 roles in member accounts and 3 instance profiles. The
    // access-role checks are read, never written: no change. The account baseline: the S3 public
    // access block in the 10 accounts, EBS encryption in 16 (account, region) pairs (two regions
    // under the region lock's 6 accounts, the home region in the 4 others), the password policy
    // in the 9 accounts beyond the hub, the support and security-audit roles in the 10 accounts.
    // The AI-services opt-out policy, its policy type and its attachment at Root (issue 17).
    // The sandbox: sandbox-limits, its attachment to sandbox-alice and her budget; root access:
    // IAM's trusted access and the organization features. The flow logs select tagged VPCs, and
    // there is none: nothing to create (the archive's policies admit log delivery already).
    // The alerts (issue 16): in the trail's account and home region the log group, the role
    // CloudTrail writes to it with, 15 CIS filters and 15 alarms, the topic and the rule that
    // forwards alarm state changes; in the log archive's us-east-1 the central bus, the Slack
    // connection, its API destination, the role that invokes it and 2 rules; in us-east-1 of
    // each of the 10 accounts the IAM-change rule and the role it forwards with.
    let alerts = 2 + 15 + 15 + 2 + 6 + 2 * 10;
    assert_eq!(changes, 1 + 7 + 9 + 6 + 6 + 10 + 7 + 16 + 10 + 16 + 9 + 20 + 3 + 3 + 2 + alerts, "{}", plan.stdout);

    let applied = env.apply(&bp).ok();
    let report = applied.json();
    assert_eq!(report["failed"], 0);
    assert_eq!(report["applied"].as_array().unwrap().len(), changes);

    // Independent read-back.
    let (ous, accounts) = read_org(&env.org()).await;
    let paths: Vec<&str> = ous.keys().map(String::as_str).collect();
    assert_eq!(
        paths,
        ["Infrastructure", "Sandbox", "Security", "Workloads", "Workloads/Dev", "Workloads/Prod", "Workloads/Staging"]
    );
    for tags in ous.values() {
        assert_eq!(tags.get("groundwork:managed").map(String::as_str), Some("true"));
        assert_eq!(tags.get("groundwork:blueprint").map(String::as_str), Some("acme"));
    }
    assert_eq!(ous["Security"].get("Owner").map(String::as_str), Some("security-team"));
    assert_eq!(accounts.len(), 10, "9 members and the management account");
    let expect = [
        ("aws+log-archive@acme.example", "log-archive", "Security"),
        ("aws+identity@acme.example", "identity", "Security"),
        ("aws+shared-network@acme.example", "shared-network", "Infrastructure"),
        ("aws+sandbox-alice@acme.example", "sandbox-alice", "Sandbox"),
        ("aws+jira-dev@acme.example", "jira-dev", "Workloads/Dev"),
        ("aws+jira-prod@acme.example", "jira-prod", "Workloads/Prod"),
        ("aws+webapp-dev@acme.example", "webapp-dev", "Workloads/Dev"),
        ("aws+webapp-staging@acme.example", "webapp-staging", "Workloads/Staging"),
        ("aws+webapp-prod@acme.example", "webapp-prod", "Workloads/Prod"),
    ];
    for (email, name, ou) in expect {
        let a = &accounts[email];
        assert_eq!((a.name.as_str(), a.ou.as_str()), (name, ou), "{email}");
        assert_eq!(a.tags.get("groundwork:managed").map(String::as_str), Some("true"), "{email}");
    }
    let jira = &accounts["aws+jira-prod@acme.example"].tags;
    assert_eq!(jira.get("groundwork:workload").map(String::as_str), Some("jira"));
    assert_eq!(jira.get("groundwork:environment").map(String::as_str), Some("prod"));
    assert_eq!(jira.get("CostCenter").map(String::as_str), Some("it"));

    // Rerun: nothing planned, nothing written.
    let again = env.plan_json(&bp).ok();
    assert_eq!(again.json()["changes"].as_array().unwrap().len(), 0);
    let rerun = env.apply(&bp).ok();
    assert_eq!(rerun.writes(), 0, "{}", rerun.stderr);
    let detailed = env.gw(&["plan", bp.to_str().unwrap(), "--detailed-exitcode", "--no-rate-limit"]);
    assert_eq!(detailed.code, 0, "{}", detailed.stderr);
    assert!(detailed.stdout.contains("No changes."), "{}", detailed.stdout);
}

#[tokio::test(flavor = "multi_thread")]
async fn existing_account_with_matching_email_is_adopted_and_strangers_are_untouched() {
    let env = Env::reference();
    let org = env.org();
    org.create_organization().feature_set(OrganizationFeatureSet::All).send().await.unwrap();
    org.create_account().account_name("identity").email("aws+identity@acme.example").send().await.unwrap();
    org.create_account()
        .account_name("legacy")
        .email("legacy@acme.example")
        .tags(tag("Team", "old"))
        .send()
        .await
        .unwrap();
    let (_, before) = read_org(&org).await;

    let first = env.plan_json(&reference()).ok();
    let calls = first.stats()["api_calls"].clone();
    // Accounts are missing, so the plan reads what creating them needs: requests a dead run may
    // have left in flight, and the quota.
    assert_eq!(calls["organizations:ListCreateAccountStatus"], 1, "{calls}");
    assert_eq!(calls["servicequotas:GetServiceQuota"], 1, "{calls}");
    let plan = first.json();
    let adopt: Vec<&serde_json::Value> =
        plan["changes"].as_array().unwrap().iter().filter(|c| c["action"] == "adopt").collect();
    assert_eq!(adopt.len(), 1);
    assert_eq!(adopt[0]["address"], "account/identity");
    assert!(
        plan["unmanaged"]
            .as_array()
            .unwrap()
            .iter()
            .any(|u| u["name"].as_str().unwrap().contains("legacy@acme.example"))
    );
    let text = env.gw(&["plan", reference().to_str().unwrap(), "--no-rate-limit"]).ok().stdout;
    assert!(text.contains("  > account/identity will be adopted"), "{text}");
    assert!(text.contains("to adopt."), "{text}");

    env.apply(&reference()).ok();
    let (_, after) = read_org(&org).await;
    let identity = &after["aws+identity@acme.example"];
    assert_eq!(identity.id, before["aws+identity@acme.example"].id, "adopted, not recreated");
    assert_eq!(identity.ou, "Security");
    assert_eq!(identity.tags.get("groundwork:managed").map(String::as_str), Some("true"));
    assert_eq!(after["legacy@acme.example"], before["legacy@acme.example"], "unmanaged account untouched");

    // The converged rerun reads only what planning needs: the tags of the blueprint's 7 OUs, 9
    // accounts and 6 SCPs (not the stranger's, nor the management account's, which the
    // blueprint tags nowhere), no CreateAccount requests and no quota (nothing to create), and
    // one bucket listing for the log-archive account's two buckets.
    let rerun = env.plan_json(&reference()).ok();
    assert_eq!(rerun.json()["changes"], serde_json::json!([]), "{}", rerun.stdout);
    let calls = rerun.stats()["api_calls"].clone();
    // (+ 1: the AI-services opt-out policy, + 1: the sandbox's sandbox-limits; issue 17)
    assert_eq!(calls["organizations:ListTagsForResource"], 7 + 9 + 6 + 1 + 1, "{calls}");
    assert!(calls.get("organizations:ListCreateAccountStatus").is_none(), "{calls}");
    assert!(calls.get("servicequotas:GetServiceQuota").is_none(), "{calls}");
    assert_eq!(calls["s3:ListBuckets"], 1, "{calls}");
}

#[tokio::test(flavor = "multi_thread")]
async fn out_of_band_move_is_planned_as_one_move_and_fixed() {
    let env = Env::reference();
    let bp = reference();
    env.apply(&bp).ok();
    let org = env.org();
    let (_, accounts) = read_org(&org).await;
    let jira = &accounts["aws+jira-prod@acme.example"];
    let parents = org.list_parents().child_id(&jira.id).send().await.unwrap();
    let from = parents.parents()[0].id().unwrap().to_owned();
    let root = org.list_roots().send().await.unwrap().roots()[0].id().unwrap().to_owned();
    let sandbox = org.list_organizational_units_for_parent().parent_id(&root).send().await.unwrap();
    let sandbox =
        sandbox.organizational_units().iter().find(|o| o.name() == Some("Sandbox")).unwrap().id().unwrap().to_owned();
    org.move_account()
        .account_id(&jira.id)
        .source_parent_id(&from)
        .destination_parent_id(&sandbox)
        .send()
        .await
        .unwrap();

    let plan = env.plan_json(&bp).ok().json();
    let changes = plan["changes"].as_array().unwrap();
    assert_eq!(changes.len(), 1, "{plan:#}");
    assert_eq!(changes[0]["address"], "account/jira-prod");
    assert_eq!(changes[0]["action"], "update");
    assert_eq!(changes[0]["before"]["ou"], "Sandbox");
    assert_eq!(changes[0]["after"]["ou"], "Workloads/Prod");
    assert_eq!(plan["drift"].as_array().unwrap().len(), 1);

    let fixed = env.apply(&bp).ok();
    let writes = fixed.stats()["write_calls"].clone();
    let org_writes: Vec<&String> =
        writes.as_object().unwrap().keys().filter(|k| k.starts_with("organizations:")).collect();
    assert_eq!(org_writes, ["organizations:MoveAccount"], "{writes}");
    assert_eq!(writes["organizations:MoveAccount"], 1);
    let (_, accounts) = read_org(&org).await;
    assert_eq!(accounts["aws+jira-prod@acme.example"].ou, "Workloads/Prod");
    assert_eq!(env.apply(&bp).ok().writes(), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_run_killed_after_create_account_never_duplicates_the_account() {
    let env = Env::reference();
    let org = env.org();
    org.create_organization().feature_set(OrganizationFeatureSet::All).send().await.unwrap();
    // What a run killed right after sending CreateAccount leaves behind: the request went
    // through (with groundwork's tags), nothing else happened.
    org.create_account()
        .account_name("jira-prod")
        .email("aws+jira-prod@acme.example")
        .tags(tag("groundwork:managed", "true"))
        .tags(tag("groundwork:blueprint", "acme"))
        .send()
        .await
        .unwrap();

    let applied = env.apply(&reference()).ok();
    assert_eq!(applied.stats()["api_calls"]["organizations:CreateAccount"], 8, "only the 8 other accounts are created");
    let (_, accounts) = read_org(&org).await;
    assert_eq!(accounts.len(), 10);
    let jira = &accounts["aws+jira-prod@acme.example"];
    assert_eq!(jira.ou, "Workloads/Prod");
    assert_eq!(jira.tags.get("groundwork:workload").map(String::as_str), Some("jira"));
    assert_eq!(env.apply(&reference()).ok().writes(), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn saved_plan_applies_exactly_and_refuses_a_changed_organization() {
    let env = Env::reference();
    let bp = reference();
    let plan_file = env.path("plan.json");
    let p = plan_file.to_str().unwrap();
    env.gw(&["plan", bp.to_str().unwrap(), "--out", p, "--no-rate-limit"]).ok();
    let applied = env.gw(&["apply", p, "--auto-approve", "--json", "--stats", "--no-rate-limit"]).ok();
    // 62 (the archive key included), the account baseline's 55 (see the test above), the
    // AI opt-out's 3, the sandbox's 3, root access's 2 and the alerts' 60.
    assert_eq!(applied.json()["applied"].as_array().unwrap().len(), 185);

    // A plan made, then the organization changes behind its back.
    let account =
        env.org().create_account().account_name("intruder").email("intruder@acme.example").send().await.unwrap();
    assert!(account.create_account_status().is_some());
    let stale = env.path("stale.json");
    let s = stale.to_str().unwrap();
    std::fs::copy(&plan_file, &stale).unwrap();
    let refused = env.gw(&["apply", s, "--auto-approve", "--json", "--stats", "--no-rate-limit"]);
    assert_eq!(refused.code, 1);
    assert!(refused.stderr.contains("changed since"), "{}", refused.stderr);
    assert_eq!(refused.writes(), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn plan_detailed_exitcode_and_confirmation() {
    let env = Env::reference();
    let bp = reference();
    let b = bp.to_str().unwrap();
    assert_eq!(env.gw(&["plan", b, "--detailed-exitcode", "--no-rate-limit"]).code, 2);
    // Without a terminal and without --auto-approve, apply refuses and changes nothing.
    let refused = env.gw(&["apply", b, "--stats", "--json", "--no-rate-limit"]);
    assert_eq!(refused.code, 1);
    assert!(refused.stderr.contains("--auto-approve"), "{}", refused.stderr);
    assert_eq!(refused.writes(), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn preflight_quota_stops_the_run_before_any_write() {
    let env = Env::reference();
    let out = env.gw(&[
        "apply",
        reference().to_str().unwrap(),
        "--auto-approve",
        "--account-quota",
        "5",
        "--json",
        "--stats",
        "--no-rate-limit",
    ]);
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("pre-flight"), "{}", out.stderr);
    assert_eq!(out.writes(), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn wrong_organization_is_refused() {
    let env = Env::reference();
    let other = env.path("other.yaml");
    let text = std::fs::read_to_string(reference()).unwrap().replace("master@example.com", "root@someone-else.example");
    std::fs::write(&other, text).unwrap();
    env.org().create_organization().feature_set(OrganizationFeatureSet::All).send().await.unwrap();
    let out = env.apply(&other);
    assert_eq!(out.code, 1);
    assert!(
        out.stdout.contains("another organization") || out.stderr.contains("another organization"),
        "{}{}",
        out.stdout,
        out.stderr
    );
    assert_eq!(out.writes(), 0);
}

/// `organization.access_role` names the role CreateAccount creates (`RoleName`), so the role
/// groundwork assumes and the guardrails exempt is the one each new account has. Read back with
/// ListRoles in the new account; the rerun writes nothing and the access-role check is clean.
#[tokio::test(flavor = "multi_thread")]
async fn a_custom_access_role_is_the_role_new_accounts_get() {
    let env = Env::new();
    let text = std::fs::read_to_string(reference().parent().unwrap().join("../examples/minimal.yaml"))
        .unwrap()
        .replacen("  home_region: us-east-1\n", "  home_region: us-east-1\n  access_role: GroundworkAccess\n", 1);
    let bp = env.home.path().join("custom-access-role.yaml");
    std::fs::write(&bp, text).unwrap();
    env.apply(&bp).ok();

    let (_, accounts) = read_org(&env.org()).await;
    let app = accounts["aws+app-prod@minimal.example"].id.clone();
    let iam = aws_sdk_iam::Client::new(&env.moto.member_config(&app, "us-east-1").await);
    let roles = iam.list_roles().send().await.unwrap();
    let names: Vec<&str> = roles.roles().iter().map(aws_sdk_iam::types::Role::role_name).collect();
    assert!(names.contains(&"GroundworkAccess"), "{names:?}");
    assert!(!names.contains(&"OrganizationAccountAccessRole"), "CreateAccount got no RoleName: {names:?}");

    let rerun = env.apply(&bp).ok();
    assert_eq!(rerun.writes(), 0, "{}", rerun.stderr);
    let drift = env.gw(&["drift", bp.to_str().unwrap(), "--no-rate-limit"]);
    assert_eq!(drift.code, 0, "{}{}", drift.stdout, drift.stderr);
}
