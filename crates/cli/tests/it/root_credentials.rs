//! Member accounts' root credentials in `audit` and `audit --enforce`: before centralized root
//! access is on, the audit says it cannot look; once it is, a member given root credentials
//! out of band (an access key, a password, a virtual MFA device, a signing certificate) is a
//! finding, read in a privileged root session (`sts:AssumeRoot`, IAMAuditRootUserCredentials);
//! `--enforce` refuses without a terminal, and with `--auto-approve` removes exactly them in a
//! session of IAMDeleteRootUserCredentials; a second audit is clean and a rerun removes nothing.
//! The management account keeps its `root-mfa` check throughout.
//!
//! moto 5.1.22 has no AssumeRoot and no root user: the proxy's root-access shim answers them
//! (`ProxyConfig::root_access`, `FaultProxy::seed_root_user`), honouring each session's task
//! policy.

use groundwork_testkit::{FaultProxy, MANAGEMENT_ACCOUNT_ID, ProxyConfig, RootUser};
use serde_json::Value;

use crate::common::{Env, Run};

const BLUEPRINT: &str = "version: 1
organization:
  name: acme
  home_region: eu-west-1
  management_account: { email: master@example.com }
organizational_units:
  - name: Workloads
accounts:
  - { name: app, email: aws+app@acme.example, ou: Workloads }
  - { name: data, email: aws+data@acme.example, ou: Workloads }
baseline: { enabled: false }
root_access:
  credentials_management: true
  root_sessions: true
";

const ROOT_KEY: &str = "AKIAROOTAPP000000001";
const CERTIFICATE: &str = "ROOTCERTIFICATE0000000000001";
const ROOT_RULE: &str = "member-root-credentials";

fn rules_of(doc: &Value, account: &str) -> Vec<String> {
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["account_id"] == account)
        .map(|f| f["rule"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn member_root_credentials_are_audited_and_removed_in_root_sessions() {
    let env = Env::new();
    let proxy = FaultProxy::start(env.moto.port(), ProxyConfig { root_access: true, ..ProxyConfig::default() });
    let gw = |args: &[&str]| Run::from_output(&env.command(&proxy.endpoint(), args).output().unwrap());
    let bp = env.path("root-credentials.yaml");
    std::fs::write(&bp, BLUEPRINT).unwrap();
    let b = bp.to_str().unwrap();

    // The organization first, without centralized root access.
    let plain = env.path("organization.yaml");
    std::fs::write(&plain, BLUEPRINT.split("root_access:").next().unwrap()).unwrap();
    gw(&["apply", plain.to_str().unwrap(), "--auto-approve", "--no-rate-limit"]).ok();

    // Before root access is enabled: the audit cannot look, and says so.
    let before = gw(&["audit", b, "--json", "--no-rate-limit"]);
    assert_eq!(before.code, 2, "the management root has no MFA: {}", before.stderr);
    let doc = before.json();
    assert_eq!(doc["member_roots"]["status"], "not-checked", "{:#}", doc["member_roots"]);
    let reason = doc["member_roots"]["reason"].as_str().unwrap();
    assert!(reason.contains("centralized root access is not enabled"), "{reason}");
    assert!(rules_of(&doc, MANAGEMENT_ACCOUNT_ID).contains(&"root-mfa".to_owned()), "{doc:#}");
    assert!(proxy.root_session_requests().is_empty(), "{:?}", proxy.root_session_requests());
    let text = gw(&["audit", b, "--no-rate-limit"]);
    assert!(
        text.stdout.contains("Member root credentials: not checked: centralized root access is not enabled"),
        "{}",
        text.stdout
    );

    gw(&["apply", b, "--auto-approve", "--no-rate-limit"]).ok();
    let org = env.org();
    let accounts = org.list_accounts().send().await.unwrap();
    let id_of = |name: &str| {
        accounts.accounts().iter().find(|a| a.name() == Some(name)).and_then(|a| a.id()).unwrap().to_owned()
    };
    let (app, data) = (id_of("app"), id_of("data"));

    // Out of band: app's root user gets an access key, a password, a virtual MFA device and a
    // signing certificate.
    let mfa = format!("arn:aws:iam::{app}:mfa/root-account-mfa-device");
    let given = RootUser {
        password: true,
        access_keys: vec![ROOT_KEY.to_owned()],
        mfa_devices: vec![mfa.clone()],
        virtual_mfa_devices: vec![mfa.clone()],
        signing_certificates: vec![CERTIFICATE.to_owned()],
    };
    proxy.seed_root_user(&app, given.clone());

    // The audit flags app (and only app); it reads in audit sessions and deletes nothing.
    let report = env.path("audit.html");
    let audit = gw(&["audit", b, "--json", "--no-rate-limit", "--report", report.to_str().unwrap(), "-vvv"]);
    assert_eq!(audit.code, 2, "{}", audit.stderr);
    let doc = audit.json();
    assert_eq!(doc["member_roots"]["status"], "checked", "{:#}", doc["member_roots"]);
    assert!(rules_of(&doc, &app).contains(&ROOT_RULE.to_owned()), "{doc:#}");
    assert!(!rules_of(&doc, &data).contains(&ROOT_RULE.to_owned()), "{doc:#}");
    assert!(rules_of(&doc, MANAGEMENT_ACCOUNT_ID).contains(&"root-mfa".to_owned()), "{doc:#}");
    let checked = doc["member_roots"]["accounts"].as_array().unwrap();
    let app_root = checked.iter().find(|a| a["account_id"] == app.as_str()).unwrap();
    assert_eq!(app_root["credentials"]["password"], true);
    assert_eq!(app_root["credentials"]["access_keys"], serde_json::json!([ROOT_KEY]));
    assert_eq!(app_root["credentials"]["mfa_devices"], serde_json::json!([mfa]));
    assert_eq!(app_root["credentials"]["signing_certificates"], serde_json::json!([CERTIFICATE]));
    assert!(checked.iter().all(|a| a["account_id"] != MANAGEMENT_ACCOUNT_ID), "{checked:?}");
    let seen = proxy.root_session_requests();
    assert!(seen.contains(&format!("AssumeRoot IAMAuditRootUserCredentials {app}")), "{seen:?}");
    assert!(seen.iter().all(|s| !s.contains("Delete") && !s.contains("Deactivate")), "{seen:?}");
    // The session's secret never reaches the output, even at -vvv.
    for secret in ["shim-root-secret", "shim-root-token"] {
        assert!(!audit.stdout.contains(secret) && !audit.stderr.contains(secret), "{secret}");
    }
    let html = std::fs::read_to_string(&report).unwrap();
    assert!(html.contains("<h2>Member root credentials</h2>") && html.contains(ROOT_KEY), "{html}");

    // --enforce without a terminal and without --auto-approve: refused, nothing removed.
    let refused = gw(&["audit", b, "--enforce", "--json", "--no-rate-limit"]);
    assert_eq!(refused.code, 1, "{}", refused.stderr);
    assert!(refused.stderr.contains("refusing to remove root credentials"), "{}", refused.stderr);
    assert_eq!(refused.json()["root_enforcement"]["status"], "refused");
    assert_eq!(proxy.root_user(&app), given);

    // --enforce --auto-approve: exactly app's root credentials go, read back gone.
    let enforced = gw(&["audit", b, "--enforce", "--auto-approve", "--json", "--stats", "--no-rate-limit"]);
    assert_eq!(enforced.code, 2, "findings existed: {}", enforced.stderr);
    let doc = enforced.json();
    let root = &doc["root_enforcement"];
    assert_eq!(root["status"], "done", "{root:#}");
    assert_eq!(root["removed"].as_array().unwrap().len(), 1, "{root:#}");
    assert_eq!(root["removed"][0]["account_id"], app.as_str());
    assert!(root["failed"].as_array().unwrap().is_empty(), "{root:#}");
    assert_eq!(proxy.root_user(&app), RootUser::default());
    let writes = &enforced.stats()["write_calls"];
    for op in [
        "iam:DeleteLoginProfile",
        "iam:DeleteAccessKey",
        "iam:DeactivateMFADevice",
        "iam:DeleteVirtualMFADevice",
        "iam:DeleteSigningCertificate",
    ] {
        assert_eq!(writes[op], 1, "{op}: {writes}");
    }
    // Nothing else was written (the management root keeps its credentials; keys of IAM users,
    // if any, are another rule).
    assert_eq!(enforced.writes(), 5, "{writes}");
    let seen = proxy.root_session_requests();
    assert!(seen.contains(&format!("AssumeRoot IAMDeleteRootUserCredentials {app}")), "{seen:?}");
    assert!(!seen.contains(&format!("AssumeRoot IAMDeleteRootUserCredentials {data}")), "{seen:?}");

    // A second audit is clean of root credentials; the management root still has no MFA.
    let again = gw(&["audit", b, "--json", "--no-rate-limit"]);
    let doc = again.json();
    assert!(!rules_of(&doc, &app).contains(&ROOT_RULE.to_owned()), "{doc:#}");
    assert!(rules_of(&doc, MANAGEMENT_ACCOUNT_ID).contains(&"root-mfa".to_owned()), "{doc:#}");

    // An enforce rerun removes nothing.
    let rerun = gw(&["audit", b, "--enforce", "--auto-approve", "--json", "--stats", "--no-rate-limit"]);
    assert_eq!(rerun.json()["root_enforcement"]["status"], "nothing-to-do", "{}", rerun.stdout);
    assert_eq!(rerun.writes(), 0, "{}", rerun.stderr);
    let text = gw(&["audit", b, "--no-rate-limit"]);
    assert!(
        text.stdout
            .contains("Member root credentials: read in a root session in 2 member accounts; 0 with root credentials."),
        "{}",
        text.stdout
    );
}
