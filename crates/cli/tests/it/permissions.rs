//! `groundwork permissions`: snapshots of its text and JSON, the proof that everything a first
//! apply, a rerun, `drift` and `audit` of the reference blueprint call is allowed by the policy
//! it prints for that account, and the execution role (created with that policy and a trust
//! in the deployer role, then assumed on the rerun, which makes zero writes).

use std::collections::BTreeMap;

use groundwork_plan::{allows, iam_actions};
use serde_json::Value;

use crate::common::{Env, Run, bare, read_org, reference};

pub(crate) fn permissions(home: &std::path::Path, blueprint: &std::path::Path, json: bool) -> Run {
    let mut args = vec!["permissions".to_owned(), blueprint.to_str().unwrap().to_owned()];
    if json {
        args.push("--json".into());
    }
    Run::from_output(&bare(home).args(&args).output().unwrap()).ok()
}

#[test]
fn permissions_of_the_reference_blueprint_text_and_json() {
    let home = tempfile::tempdir().unwrap();
    let text = permissions(home.path(), &reference(), false);
    insta::assert_snapshot!("permissions_reference_text", text.stdout);
    let json = permissions(home.path(), &reference(), true);
    insta::assert_snapshot!("permissions_reference_json", json.stdout);
    // --out-dir writes one attachable document per set, each within IAM's limit.
    let dir = home.path().join("policies");
    Run::from_output(
        &bare(home.path())
            .args(["permissions", reference().to_str().unwrap(), "--out-dir", dir.to_str().unwrap()])
            .output()
            .unwrap(),
    )
    .ok();
    let mut files: Vec<String> =
        std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    files.sort();
    // The deployer's set takes two documents since the reference has root access, a sandbox and
    // flow logs; the log archive's, since it holds the alerts' central bus and Slack path.
    assert_eq!(
        files,
        [
            "deployer-1.json",
            "deployer-2.json",
            "member-hub.json",
            "member-log-archive-1.json",
            "member-log-archive-2.json",
            "member-workloads.json"
        ]
    );
    for f in &files {
        let doc: Value = serde_json::from_str(&std::fs::read_to_string(dir.join(f)).unwrap()).unwrap();
        assert_eq!(doc["Version"], "2012-10-17");
        assert!(groundwork_plan::policy_chars(&doc) <= groundwork_plan::MANAGED_POLICY_MAX_CHARS, "{f}");
        let sets = json.json()["sets"].as_array().unwrap().clone();
        let set = sets.iter().find(|s| s["files"].as_array().unwrap().iter().any(|x| x == f)).unwrap();
        let i = set["files"].as_array().unwrap().iter().position(|x| x == f).unwrap();
        assert_eq!(doc, set["documents"][i], "{f} is the printed document");
    }
}

/// The printed documents of each set, by blueprint account name (`management` for the deployer).
fn documents_by_account(printed: &Value) -> BTreeMap<String, Vec<Value>> {
    let mut out = BTreeMap::new();
    for set in printed["sets"].as_array().unwrap() {
        let docs = set["documents"].as_array().unwrap().clone();
        for a in set["accounts"].as_array().unwrap() {
            out.insert(a.as_str().unwrap().to_owned(), docs.clone());
        }
    }
    out
}

/// What the AWS-managed task policies `root-task/IAMAuditRootUserCredentials` and
/// `root-task/IAMDeleteRootUserCredentials` allow on a member account's root user (IAM User
/// Guide, "Perform a privileged task on an AWS Organizations member account").
const ROOT_TASK_ACTIONS: &[&str] = &[
    "iam:GetLoginProfile",
    "iam:ListAccessKeys",
    "iam:ListMFADevices",
    "iam:ListSigningCertificates",
    "iam:DeleteLoginProfile",
    "iam:DeleteAccessKey",
    "iam:DeactivateMFADevice",
    "iam:DeleteVirtualMFADevice",
    "iam:DeleteSigningCertificate",
];

/// Every operation of `runs`, by principal, checked against the printed policy of the account
/// it was made in. Returns how many distinct (account, operation) pairs were checked.
pub(crate) fn check_runs(printed: &Value, names_by_id: &BTreeMap<String, String>, runs: &[(&str, &Run)]) -> usize {
    let docs = documents_by_account(printed);
    let mut outside = Vec::new();
    let mut checked = 0;
    for (what, run) in runs {
        let by_principal = run.stats()["by_principal"].as_object().unwrap().clone();
        assert!(!by_principal.is_empty(), "{what}: no calls recorded");
        for (principal, ops) in by_principal {
            // A privileged root session's calls are allowed by the AWS-managed task policy it was
            // opened with, not by a policy groundwork prints (the deployer's `sts:AssumeRoot` is
            // checked with the caller's calls): check them against the task policies' actions.
            if principal.ends_with("/root-session") {
                for op in ops.as_object().unwrap().keys() {
                    checked += 1;
                    if !ROOT_TASK_ACTIONS.contains(&op.as_str()) {
                        outside.push(format!("{what}: {op} outside the root-task policies as {principal}"));
                    }
                }
                continue;
            }
            let account = if principal == "caller" {
                "management".to_owned()
            } else {
                let id = principal.split('/').next().unwrap();
                names_by_id.get(id).cloned().unwrap_or_else(|| panic!("{what}: a call in unknown account {id}"))
            };
            let policy = docs.get(&account).unwrap_or_else(|| panic!("no printed policy for {account}"));
            for op in ops.as_object().unwrap().keys() {
                checked += 1;
                for action in iam_actions(op) {
                    if !allows(policy, &action, None) {
                        outside.push(format!("{what}: {op} ({action}) in {account} as {principal}"));
                    }
                }
            }
        }
    }
    assert!(outside.is_empty(), "calls outside the printed policy:\n  {}", outside.join("\n  "));
    checked
}

#[tokio::test(flavor = "multi_thread")]
async fn everything_the_tool_does_is_inside_the_policy_it_prints() {
    let env = Env::reference();
    let bp = reference();
    let b = bp.to_str().unwrap();
    let printed = permissions(env.home.path(), &bp, true).json();
    let first = env.apply(&bp).ok();
    let rerun = env.apply(&bp).ok();
    assert_eq!(rerun.writes(), 0, "the rerun writes nothing");
    let drift = env.gw(&["drift", b, "--json", "--stats", "--no-rate-limit"]).ok();
    let audit = env.gw(&["audit", b, "--json", "--stats", "--no-rate-limit"]);
    assert!(matches!(audit.code, 0 | 2), "audit: {}", audit.stderr);
    let (_, accounts) = read_org(&env.org()).await;
    let names_by_id: BTreeMap<String, String> = accounts.values().map(|a| (a.id.clone(), a.name.clone())).collect();
    let checked = check_runs(
        &printed,
        &names_by_id,
        &[("apply", &first), ("rerun", &rerun), ("drift", &drift), ("audit", &audit)],
    );
    assert!(checked > 100, "only {checked} operations were recorded");
    // audit worked in every member account, through the access role (no execution role here).
    let principals: Vec<String> = audit.stats()["by_principal"].as_object().unwrap().keys().cloned().collect();
    for a in accounts.values().filter(|a| names_by_id.contains_key(&a.id) && a.tags.contains_key("groundwork:managed"))
    {
        assert!(
            principals.contains(&format!("{}/OrganizationAccountAccessRole", a.id)),
            "no call in {} ({}): {principals:?}",
            a.name,
            a.id
        );
    }
    // The evaluator is not vacuous: what the tool must never do stays outside.
    let docs = documents_by_account(&printed);
    assert!(!allows(&docs["log-archive"], "s3:DeleteObject", None));
    assert!(!allows(&docs["jira-prod"], "iam:CreateUser", None));
    // The hub holds the baseline's two roles, and no other.
    assert!(!allows(&docs["identity"], "iam:CreateRole", Some("arn:aws:iam::111122223333:role/groundwork/jira-admin")));
    assert!(!allows(&docs["management"], "organizations:CloseAccount", None));
    assert!(!allows(&docs["management"], "organizations:DeleteOrganization", None));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_execution_role_is_created_with_the_printed_policy_and_used_on_the_rerun() {
    let env = Env::reference();
    let text = std::fs::read_to_string(reference()).unwrap().replace(
        "  feature_set: ALL\n",
        "  feature_set: ALL\n  deployer_role: groundwork-deployer\n  execution_role: groundwork-execution\n",
    );
    let bp = env.path("landing-zone.yaml");
    std::fs::write(&bp, text).unwrap();
    let printed = permissions(env.home.path(), &bp, true).json();
    let first = env.apply(&bp).ok();
    let (_, accounts) = read_org(&env.org()).await;
    let jira = accounts.values().find(|a| a.name == "jira-prod").unwrap().clone();
    let log = accounts.values().find(|a| a.name == "log-archive").unwrap().clone();
    let management = "123456789012"; // moto's management account
    for (account, set) in [(&jira, "member-workloads"), (&log, "member-log-archive")] {
        let iam = aws_sdk_iam::Client::new(&env.moto.member_config(&account.id, "us-east-1").await);
        let role = iam.get_role().role_name("groundwork-execution").send().await.unwrap().role.unwrap();
        let trust: Value = serde_json::from_str(&percent_decode(role.assume_role_policy_document().unwrap())).unwrap();
        let st = &trust["Statement"][0];
        assert_eq!(st["Principal"]["AWS"], format!("arn:aws:iam::{management}:root"));
        let condition = &st["Condition"]["ArnEquals"]["aws:PrincipalArn"];
        assert!(
            condition == &Value::from(format!("arn:aws:iam::{management}:role/groundwork-deployer"))
                || condition[0] == format!("arn:aws:iam::{management}:role/groundwork-deployer"),
            "{trust}"
        );
        let inline =
            iam.get_role_policy().role_name("groundwork-execution").policy_name("groundwork").send().await.unwrap();
        let doc: Value = serde_json::from_str(&percent_decode(inline.policy_document())).unwrap();
        let printed_doc =
            printed["sets"].as_array().unwrap().iter().find(|s| s["name"] == set).unwrap()["documents"][0].clone();
        assert_eq!(
            groundwork_plan::canonical_policy(&doc),
            groundwork_plan::canonical_policy(&printed_doc),
            "{} carries the printed {set} policy",
            account.name
        );
    }
    // The first apply bootstrapped through the access role; the rerun assumes the execution role.
    let first_principals: Vec<String> = first.stats()["by_principal"].as_object().unwrap().keys().cloned().collect();
    assert!(first_principals.contains(&format!("{}/OrganizationAccountAccessRole", jira.id)));
    let rerun = env.apply(&bp).ok();
    assert_eq!(rerun.writes(), 0, "{}", rerun.stderr);
    let by_principal = rerun.stats()["by_principal"].as_object().unwrap().clone();
    let members: Vec<&String> = by_principal.keys().filter(|p| *p != "caller").collect();
    assert!(!members.is_empty());
    for p in &members {
        assert!(p.ends_with("/groundwork-execution"), "the rerun worked in a member as {p}");
    }
    assert!(members.contains(&&format!("{}/groundwork-execution", jira.id)));
    let names_by_id: BTreeMap<String, String> = accounts.values().map(|a| (a.id.clone(), a.name.clone())).collect();
    check_runs(&printed, &names_by_id, &[("rerun", &rerun)]);
}

fn percent_decode(s: &str) -> String {
    if s.trim_start().starts_with('{') {
        return s.to_owned();
    }
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Ok(b) = u8::from_str_radix(std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap(), 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(if bytes[i] == b'+' { b' ' } else { bytes[i] });
        i += 1;
    }
    String::from_utf8(out).unwrap()
}
