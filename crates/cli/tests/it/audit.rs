//! `groundwork audit`: findings across accounts, `--as-of`, `--enforce` (deactivate, never
//! delete), the HTML report, and a clean organization.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sdk_iam::primitives::{DateTime, DateTimeFormat};
use aws_sdk_iam::types::StatusType;
use groundwork_testkit::MANAGEMENT_ACCOUNT_ID;
use serde_json::Value;

use crate::common::{Env, read_org, reference};

/// `now + days` as RFC 3339.
fn days_from_now(days: u64) -> String {
    let t = SystemTime::now() + Duration::from_secs(days * 86_400);
    let secs = i64::try_from(t.duration_since(UNIX_EPOCH).unwrap().as_secs()).unwrap();
    DateTime::from_secs(secs).fmt(DateTimeFormat::DateTime).unwrap()
}

fn findings(report: &Value) -> Vec<(String, String, String)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["account_id"].as_str().unwrap().to_owned(),
                f["rule"].as_str().unwrap().to_owned(),
                f["subject"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn has(found: &[(String, String, String)], account: &str, rule: &str, subject: &str) -> bool {
    found.iter().any(|(a, r, s)| a == account && r == rule && s == subject)
}

async fn member_iam(env: &Env, account: &str) -> aws_sdk_iam::Client {
    aws_sdk_iam::Client::new(&env.moto.member_config(account, "us-east-1").await)
}

/// A user with one access key; returns (key id, secret).
async fn user_with_key(iam: &aws_sdk_iam::Client, user: &str) -> (String, String) {
    iam.create_user().user_name(user).send().await.unwrap();
    let key = iam.create_access_key().user_name(user).send().await.unwrap();
    let key = key.access_key().unwrap();
    (key.access_key_id().to_owned(), key.secret_access_key().to_owned())
}

async fn key_status(iam: &aws_sdk_iam::Client, user: &str, key: &str) -> String {
    let out = iam.list_access_keys().user_name(user).send().await.unwrap();
    let k = out.access_key_metadata().iter().find(|k| k.access_key_id() == Some(key)).expect("the key still exists");
    k.status().unwrap().as_str().to_owned()
}

async fn compliant_password_policy(iam: &aws_sdk_iam::Client) {
    iam.update_account_password_policy()
        .minimum_password_length(16)
        .require_uppercase_characters(true)
        .require_lowercase_characters(true)
        .require_numbers(true)
        .require_symbols(true)
        .max_password_age(90)
        .password_reuse_prevention(24)
        .allow_users_to_change_password(true)
        .send()
        .await
        .unwrap();
}

/// What a console user does at first sign-in under ForceMFA: enrol a virtual MFA device.
async fn enroll_console_users_in_mfa(iam: &aws_sdk_iam::Client) {
    for user in iam.list_users().send().await.unwrap().users() {
        let name = user.user_name();
        if iam.get_login_profile().user_name(name).send().await.is_err() {
            continue;
        }
        if !iam.list_mfa_devices().user_name(name).send().await.unwrap().mfa_devices().is_empty() {
            continue;
        }
        let device = iam.create_virtual_mfa_device().virtual_mfa_device_name(name).send().await.unwrap();
        let serial = device.virtual_mfa_device().unwrap().serial_number();
        iam.enable_mfa_device()
            .user_name(name)
            .serial_number(serial)
            .authentication_code1("123456")
            .authentication_code2("654321")
            .send()
            .await
            .unwrap();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn audit_flags_old_keys_console_without_mfa_and_direct_policies_and_enforce_deactivates_the_keys() {
    let env = Env::reference();
    let bp = reference();
    let b = bp.to_str().unwrap();
    env.apply(&bp).ok();
    let (_, accounts) = read_org(&env.org()).await;
    let jira = accounts["aws+jira-prod@acme.example"].id.clone();
    let member = member_iam(&env, &jira).await;
    let management = aws_sdk_iam::Client::new(&env.moto.sdk_config());

    let (ci_key, ci_secret) = user_with_key(&member, "ci-deployer").await;
    let (export_key, export_secret) = user_with_key(&management, "billing-export").await;
    member.create_user().user_name("bob").send().await.unwrap();
    member.create_login_profile().user_name("bob").password("Correct-Horse-Battery-1").send().await.unwrap();
    member.create_user().user_name("legacy-admin").send().await.unwrap();
    member
        .attach_user_policy()
        .user_name("legacy-admin")
        .policy_arn("arn:aws:iam::aws:policy/AdministratorAccess")
        .send()
        .await
        .unwrap();
    // A weak password policy where the blueprint applies one (the identity hub; every account
    // when the blueprint has no identity section).
    let hub = member_iam(&env, &accounts["aws+identity@acme.example"].id).await;
    hub.update_account_password_policy()
        .minimum_password_length(8)
        .require_symbols(true)
        .require_numbers(true)
        .require_uppercase_characters(true)
        .require_lowercase_characters(true)
        .max_password_age(90)
        .password_reuse_prevention(24)
        .send()
        .await
        .unwrap();
    let identity = accounts["aws+identity@acme.example"].id.clone();

    // Today the keys are fresh: no key findings, but the console user and the direct policy are.
    let today = env.gw(&["audit", b, "--json", "--stats", "--no-rate-limit"]);
    assert_eq!(today.code, 2, "{}", today.stderr);
    let found = findings(&today.json());
    assert!(!found.iter().any(|(_, r, _)| r.starts_with("key-")), "{found:?}");
    assert!(has(&found, &jira, "console-without-mfa", "bob"), "{found:?}");
    assert!(has(&found, &jira, "user-direct-policy", "legacy-admin"), "{found:?}");
    assert_eq!(today.writes(), 0, "audit is read-only");

    // 100 days from now both keys are too old and, never used, unused.
    let as_of = days_from_now(100);
    let report_path = env.path("audit report.html");
    let later = env.gw(&[
        "audit",
        b,
        "--as-of",
        &as_of,
        "--report",
        report_path.to_str().unwrap(),
        "--json",
        "--stats",
        "--no-rate-limit",
    ]);
    assert_eq!(later.code, 2, "{}", later.stderr);
    assert_eq!(later.writes(), 0, "audit is read-only");
    let report = later.json();
    assert_eq!(report["clean"], false);
    assert_eq!(report["summary"]["accounts"], 10, "{:#}", report["summary"]);
    let found = findings(&report);
    let ci = format!("ci-deployer/{ci_key}");
    let export = format!("billing-export/{export_key}");
    for rule in ["key-too-old", "key-unused"] {
        assert!(has(&found, &jira, rule, &ci), "{rule} {found:?}");
        assert!(has(&found, MANAGEMENT_ACCOUNT_ID, rule, &export), "{rule} {found:?}");
    }
    assert!(has(&found, &jira, "console-without-mfa", "bob"), "{found:?}");
    assert!(has(&found, &jira, "user-direct-policy", "legacy-admin"), "{found:?}");
    assert!(has(&found, MANAGEMENT_ACCOUNT_ID, "root-mfa", "root"), "{found:?}");
    let weak = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "password-policy" && f["account_id"] == identity.as_str())
        .expect("the hub's 8-character policy is weaker than the blueprint's");
    assert!(weak["detail"].as_str().unwrap().contains("minimum length 8 (blueprint: 1"), "{weak:#}");
    let old = report["findings"].as_array().unwrap().iter().find(|f| f["subject"] == ci.as_str()).unwrap();
    assert_eq!(old["severity"], "high");
    assert_eq!(old["access_key_id"], ci_key.as_str());
    assert_eq!(old["account_name"], "jira-prod");
    for out in [&today.stdout, &today.stderr, &later.stdout, &later.stderr] {
        assert!(!out.contains(&ci_secret) && !out.contains(&export_secret), "a secret key was printed");
    }

    // The HTML report: self-contained, every finding's subject and the summary.
    let html = std::fs::read_to_string(&report_path).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(!html.contains("src=") && !html.contains("href=") && !html.contains("@import"), "no external assets");
    for f in report["findings"].as_array().unwrap() {
        assert!(html.contains(f["subject"].as_str().unwrap()), "{} is missing from the report", f["subject"]);
    }
    assert!(html.contains(&format!("Findings: {} in ", report["summary"]["findings"])), "summary missing");
    assert!(html.contains("class=\"badge critical\""));
    assert!(!html.contains(&ci_secret));

    // The table, and its one-line summary.
    let text = env.gw(&["audit", b, "--as-of", &as_of, "--no-rate-limit"]);
    assert_eq!(text.code, 2, "{}", text.stderr);
    assert!(text.stdout.starts_with("ACCOUNT"), "{}", text.stdout);
    assert!(text.stdout.contains(&ci), "{}", text.stdout);
    let last = text.stdout.trim_end().lines().last().unwrap();
    assert!(last.starts_with("Findings: ") && last.contains("critical"), "{last}");

    // --enforce without a terminal and without --auto-approve: refused, nothing changed.
    let refused = env.gw(&["audit", b, "--as-of", &as_of, "--enforce", "--json", "--stats", "--no-rate-limit"]);
    assert_eq!(refused.code, 1, "{}", refused.stderr);
    assert!(refused.stderr.contains("--auto-approve"), "{}", refused.stderr);
    assert_eq!(refused.writes(), 0);
    assert_eq!(key_status(&member, "ci-deployer", &ci_key).await, "Active");

    // --enforce --auto-approve: both keys Inactive (not deleted), read back independently.
    let enforced =
        env.gw(&["audit", b, "--as-of", &as_of, "--enforce", "--auto-approve", "--json", "--stats", "--no-rate-limit"]);
    assert_eq!(enforced.code, 2, "findings existed: {}", enforced.stderr);
    let doc = enforced.json();
    assert_eq!(doc["enforcement"]["status"], "done", "{:#}", doc["enforcement"]);
    let deactivated: Vec<&str> = doc["enforcement"]["deactivated"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            assert_eq!(d["status"], "Inactive");
            d["access_key_id"].as_str().unwrap()
        })
        .collect();
    assert_eq!(deactivated.len(), 2, "{deactivated:?}");
    assert!(deactivated.contains(&ci_key.as_str()) && deactivated.contains(&export_key.as_str()));
    let stats = enforced.stats();
    assert_eq!(enforced.writes(), 2, "{stats}");
    assert_eq!(stats["write_calls"]["iam:UpdateAccessKey"], 2, "{stats}");
    assert_eq!(key_status(&member, "ci-deployer", &ci_key).await, StatusType::Inactive.as_str());
    assert_eq!(key_status(&management, "billing-export", &export_key).await, StatusType::Inactive.as_str());

    // Audited again: the keys are no longer active, so no longer flagged; the rest still is.
    let again = env.gw(&["audit", b, "--as-of", &as_of, "--json", "--stats", "--no-rate-limit"]);
    assert_eq!(again.code, 2, "{}", again.stderr);
    let found = findings(&again.json());
    assert!(!found.iter().any(|(_, r, _)| r == "key-too-old" || r == "key-unused"), "{found:?}");
    assert!(has(&found, &jira, "console-without-mfa", "bob"), "{found:?}");
    // Nothing left to deactivate: --enforce makes no write.
    let noop =
        env.gw(&["audit", b, "--as-of", &as_of, "--enforce", "--auto-approve", "--json", "--stats", "--no-rate-limit"]);
    assert_eq!(noop.json()["enforcement"]["status"], "nothing-to-do");
    assert_eq!(noop.writes(), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn audit_of_a_clean_organization_exits_0() {
    let env = Env::reference();
    let bp = reference();
    let b = bp.to_str().unwrap();
    env.apply(&bp).ok();
    // A password policy at least as strong as the blueprint's in every account (it is checked
    // in the hub, or everywhere for a blueprint without an identity section), and every console
    // user the blueprint made has enrolled an MFA device.
    let (_, accounts) = read_org(&env.org()).await;
    for a in accounts.values() {
        let iam = if a.id == MANAGEMENT_ACCOUNT_ID {
            aws_sdk_iam::Client::new(&env.moto.sdk_config())
        } else {
            member_iam(&env, &a.id).await
        };
        compliant_password_policy(&iam).await;
        enroll_console_users_in_mfa(&iam).await;
    }

    // moto always reports AccountMFAEnabled = 0 (it cannot enable root MFA), so the management
    // root is the one finding; member roots are not assessed by default (docs/audit.md).
    let run = env.gw(&["audit", b, "--json", "--stats", "--no-rate-limit"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    let found = findings(&run.json());
    assert_eq!(found, [(MANAGEMENT_ACCOUNT_ID.to_owned(), "root-mfa".to_owned(), "root".to_owned())]);
    assert_eq!(run.json()["findings"][0]["severity"], "critical");

    // With that one finding accepted for the management account, the organization is clean.
    let ignore = format!("root-mfa@{MANAGEMENT_ACCOUNT_ID}");
    let clean = env.gw(&["audit", b, "--ignore", &ignore, "--json", "--stats", "--no-rate-limit"]);
    assert_eq!(clean.code, 0, "{}{}", clean.stdout, clean.stderr);
    let report = clean.json();
    assert_eq!(report["clean"], true);
    assert_eq!(report["summary"]["findings"], 0);
    assert_eq!(report["summary"]["ignored"], 1);
    assert_eq!(report["ignored"][0]["rule"], "root-mfa");
    assert_eq!(clean.writes(), 0);
    let text = env.gw(&["audit", b, "--ignore", &ignore, "--no-rate-limit"]);
    assert_eq!(text.code, 0, "{}", text.stderr);
    assert!(text.stdout.starts_with("No findings: 10 accounts audited as of "), "{}", text.stdout);

    // --member-root-mfa also requires MFA on the members' root users.
    let strict = env.gw(&["audit", b, "--ignore", &ignore, "--member-root-mfa", "--json", "--no-rate-limit"]);
    assert_eq!(strict.code, 2);
    let found = findings(&strict.json());
    assert_eq!(found.len(), 9, "{found:?}");
    assert!(found.iter().all(|(a, r, _)| r == "root-mfa" && a != MANAGEMENT_ACCOUNT_ID), "{found:?}");

    // An unknown rule is a usage error before any AWS call.
    let bad = env.gw(&["audit", b, "--ignore", "root"]);
    assert_eq!(bad.code, 2, "clap usage errors exit 2");
    assert!(bad.stderr.contains("unknown rule `root`"), "{}", bad.stderr);
}

/// Enables one more virtual MFA device for a user.
async fn enable_virtual_mfa(iam: &aws_sdk_iam::Client, user: &str, device: &str) -> String {
    let made = iam.create_virtual_mfa_device().virtual_mfa_device_name(device).send().await.unwrap();
    let serial = made.virtual_mfa_device().unwrap().serial_number().to_owned();
    iam.enable_mfa_device()
        .user_name(user)
        .serial_number(&serial)
        .authentication_code1("123456")
        .authentication_code2("654321")
        .send()
        .await
        .unwrap();
    serial
}

#[tokio::test(flavor = "multi_thread")]
async fn a_hub_user_with_a_second_mfa_device_is_flagged_and_one_device_is_clean() {
    let env = Env::reference();
    let bp = reference();
    let b = bp.to_str().unwrap();
    env.apply(&bp).ok();
    let (_, accounts) = read_org(&env.org()).await;
    let identity = accounts["aws+identity@acme.example"].id.clone();
    let hub = member_iam(&env, &identity).await;
    // alice (console) enrols one device as ForceMFA asks; bob (no console) has one too.
    enroll_console_users_in_mfa(&hub).await;
    enable_virtual_mfa(&hub, "bob", "bob").await;
    let one = env.gw(&["audit", b, "--json", "--no-rate-limit"]);
    let found = findings(&one.json());
    assert!(!found.iter().any(|(_, r, _)| r == "several-mfa-devices"), "one device each is clean: {found:?}");

    // A second device for alice: trust on first use no longer tells who enrolled it.
    let second = enable_virtual_mfa(&hub, "alice", "alice-second").await;
    let run = env.gw(&["audit", b, "--json", "--stats", "--no-rate-limit"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    let report = run.json();
    let found = findings(&report);
    assert!(has(&found, &identity, "several-mfa-devices", "alice"), "{found:?}");
    assert!(!has(&found, &identity, "several-mfa-devices", "bob"), "{found:?}");
    let finding = report["findings"].as_array().unwrap().iter().find(|f| f["rule"] == "several-mfa-devices").unwrap();
    assert_eq!(finding["severity"], "medium");
    assert_eq!(finding["user"], "alice");
    assert!(finding["detail"].as_str().unwrap().contains(&second), "{finding}");
    assert_eq!(run.writes(), 0);
    // The legend explains the rule.
    let text = env.gw(&["audit", b, "--no-rate-limit"]);
    assert!(text.stdout.contains("several-mfa-devices"), "{}", text.stdout);
}
