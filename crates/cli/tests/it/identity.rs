//! Identity end to end: the hub's password policy, ForceMFA, groups with generated AssumeRole
//! policies, users in groups only, console passwords written only to the operator's file;
//! cross-account and workload roles in member accounts; zero-write rerun; drift of four kinds.

use std::collections::{BTreeMap, BTreeSet};
use std::os::unix::fs::PermissionsExt as _;

use serde_json::Value;

use crate::common::{Env, read_org, reference};

/// IAM returns documents URL-encoded.
fn decode(text: &str) -> Value {
    let mut out = Vec::new();
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            out.push(u8::from_str_radix(std::str::from_utf8(&b[i + 1..i + 3]).unwrap(), 16).unwrap());
            i += 3;
        } else {
            out.push(if b[i] == b'+' { b' ' } else { b[i] });
            i += 1;
        }
    }
    let s = String::from_utf8(out).unwrap();
    serde_json::from_str(&s).unwrap_or_else(|e| panic!("{e}: {s}"))
}

fn set(v: &Value) -> BTreeSet<String> {
    match v {
        Value::Array(a) => a.iter().map(|x| x.as_str().unwrap().to_owned()).collect(),
        Value::String(s) => BTreeSet::from([s.clone()]),
        other => panic!("not a string or list: {other}"),
    }
}

fn statements(doc: &Value) -> Vec<Value> {
    match &doc["Statement"] {
        Value::Array(a) => a.clone(),
        other => vec![other.clone()],
    }
}

async fn iam_in(env: &Env, account_id: &str) -> aws_sdk_iam::Client {
    aws_sdk_iam::Client::new(&env.moto.member_config(account_id, "us-east-1").await)
}

/// Account ids by blueprint name (names are the emails' local parts in the reference).
async fn ids(env: &Env) -> BTreeMap<String, String> {
    let (_, accounts) = read_org(&env.org()).await;
    accounts.into_values().map(|a| (a.name, a.id)).collect()
}

fn apply_with_passwords(env: &Env, file: &std::path::Path) -> crate::common::Run {
    env.gw(&[
        "apply",
        reference().to_str().unwrap(),
        "--auto-approve",
        "--json",
        "--stats",
        "--no-rate-limit",
        "--password-file",
        file.to_str().unwrap(),
        "-vv",
    ])
}

#[tokio::test(flavor = "multi_thread")]
async fn hub_groups_users_and_member_roles_are_built_read_back_and_rerun_writes_nothing() {
    let env = Env::new();
    let passwords = env.path("passwords.tsv");

    // Without a password file, console users stop the run before any write.
    let bp = reference();
    let args = ["apply", bp.to_str().unwrap(), "--auto-approve", "--json", "--stats", "--no-rate-limit"];
    let refused = crate::common::Run::from_output(
        &env.command(&env.moto.endpoint(), &args).env_remove("GROUNDWORK_PASSWORD_FILE").output().unwrap(),
    );
    assert_eq!(refused.code, 1);
    assert!(refused.stderr.contains("--password-file"), "{}", refused.stderr);
    assert_eq!(refused.writes(), 0);

    let applied = apply_with_passwords(&env, &passwords).ok();
    assert_eq!(applied.json()["failed"], 0, "{}", applied.stdout);
    let ids = ids(&env).await;
    let hub = iam_in(&env, &ids["identity"]).await;

    // The password file: mode 0600, one line for the one console user, a long password.
    let mode = std::fs::metadata(&passwords).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let text = std::fs::read_to_string(&passwords).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 1, "{text}");
    let fields: Vec<&str> = lines[0].split('\t').collect();
    assert_eq!(fields[..2], [ids["identity"].as_str(), "alice"]);
    let password = fields[2];
    assert!(password.chars().count() >= 32);
    // Never printed, logged, journalled or planned.
    let plan = env.plan_json(&reference()).ok();
    let journal = std::fs::read_dir(env.path(".groundwork"))
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .collect::<String>();
    for (what, text) in
        [("stdout", &applied.stdout), ("stderr", &applied.stderr), ("journal", &journal), ("plan", &plan.stdout)]
    {
        assert!(!text.contains(password), "the generated password appears in {what}");
    }

    // The hub's password policy.
    let policy = hub.get_account_password_policy().send().await.unwrap();
    let p = policy.password_policy().unwrap();
    assert_eq!(p.minimum_password_length(), Some(16));
    assert!(p.require_symbols() && p.require_numbers() && p.require_uppercase_characters());
    assert_eq!((p.max_password_age(), p.password_reuse_prevention()), (Some(90), Some(24)));

    // Groups, memberships and their policies.
    let force_mfa = format!("arn:aws:iam::{}:policy/groundwork-force-mfa", ids["identity"]);
    let version = hub.get_policy().policy_arn(&force_mfa).send().await.unwrap();
    let version = version.policy().unwrap().default_version_id().unwrap().to_owned();
    let doc = hub.get_policy_version().policy_arn(&force_mfa).version_id(version).send().await.unwrap();
    let doc = decode(doc.policy_version().unwrap().document().unwrap());
    let deny = statements(&doc).into_iter().find(|s| s["Effect"] == "Deny").expect("a deny statement");
    assert_eq!(deny["Condition"]["BoolIfExists"]["aws:MultiFactorAuthPresent"], "false", "{doc}");
    assert!(set(&deny["NotAction"]).contains("iam:CreateVirtualMFADevice"), "{doc}");

    let members = |group: &'static str| {
        let hub = hub.clone();
        async move {
            let g = hub.get_group().group_name(group).send().await.unwrap();
            g.users().iter().map(|u| u.user_name().to_owned()).collect::<BTreeSet<_>>()
        }
    };
    assert_eq!(members("jira-admins").await, BTreeSet::from(["alice".to_owned()]));
    assert_eq!(members("auditors").await, BTreeSet::from(["alice".to_owned()]));
    assert_eq!(members("webapp-admins").await, BTreeSet::from(["bob".to_owned()]));
    for group in ["jira-admins", "webapp-admins", "auditors"] {
        let attached = hub.list_attached_group_policies().group_name(group).send().await.unwrap();
        let arns: BTreeSet<&str> = attached.attached_policies().iter().filter_map(|p| p.policy_arn()).collect();
        assert!(arns.contains(force_mfa.as_str()), "{group}: {arns:?}");
    }
    let inline = hub.get_group_policy().group_name("jira-admins").policy_name("groundwork").send().await.unwrap();
    let inline = decode(inline.policy_document());
    let assume = statements(&inline).into_iter().find(|s| set(&s["Action"]).contains("sts:AssumeRole")).unwrap();
    assert_eq!(
        set(&assume["Resource"]),
        BTreeSet::from([
            format!("arn:aws:iam::{}:role/jira-admin", ids["jira-dev"]),
            format!("arn:aws:iam::{}:role/jira-admin", ids["jira-prod"]),
        ]),
        "exactly the role ARNs granted, no wildcard over accounts"
    );

    // Users: console profile for alice only; nobody has policies of their own.
    assert!(hub.get_login_profile().user_name("alice").send().await.is_ok());
    assert!(hub.get_login_profile().user_name("bob").send().await.is_err());
    for user in ["alice", "bob"] {
        let attached = hub.list_attached_user_policies().user_name(user).send().await.unwrap();
        assert!(attached.attached_policies().is_empty(), "{user}");
        let inline = hub.list_user_policies().user_name(user).send().await.unwrap();
        assert!(inline.policy_names().is_empty(), "{user}");
        assert!(hub.list_access_keys().user_name(user).send().await.unwrap().access_key_metadata().is_empty());
    }

    // Roles in member accounts: trust the hub with MFA, per-account resources.
    for account in ["jira-dev", "jira-prod"] {
        let iam = iam_in(&env, &ids[account]).await;
        let role = iam.get_role().role_name("jira-admin").send().await.unwrap();
        let role = role.role().unwrap();
        assert_eq!(role.max_session_duration(), Some(3600));
        let trust = decode(role.assume_role_policy_document().unwrap());
        let t = &statements(&trust)[0];
        assert_eq!(set(&t["Principal"]["AWS"]), BTreeSet::from([format!("arn:aws:iam::{}:root", ids["identity"])]));
        assert_eq!(t["Condition"]["Bool"]["aws:MultiFactorAuthPresent"], "true");
        let inline = iam.get_role_policy().role_name("jira-admin").policy_name("groundwork").send().await.unwrap();
        let inline = decode(inline.policy_document());
        let text = inline.to_string();
        assert!(text.contains(&format!("arn:aws:ec2:*:{}:instance/*", ids[account])), "{text}");
        for (other, id) in &ids {
            if other != account {
                assert!(!text.contains(id.as_str()), "{account}'s role names account {other}: {text}");
            }
        }
        // No jira role outside the jira accounts.
    }
    let webapp = iam_in(&env, &ids["webapp-prod"]).await;
    assert!(webapp.get_role().role_name("jira-admin").send().await.is_err(), "a jira role in a webapp account");
    let profile = webapp.get_instance_profile().instance_profile_name("webapp-app").send().await.unwrap();
    let roles: Vec<&str> =
        profile.instance_profile().unwrap().roles().iter().map(aws_sdk_iam::types::Role::role_name).collect();
    assert_eq!(roles, ["webapp-app"]);
    let app = webapp.get_role().role_name("webapp-app").send().await.unwrap();
    let trust = decode(app.role().unwrap().assume_role_policy_document().unwrap());
    assert_eq!(set(&statements(&trust)[0]["Principal"]["Service"]), BTreeSet::from(["ec2.amazonaws.com".to_owned()]));
    let auditor = iam_in(&env, &ids["webapp-dev"]).await;
    let attached = auditor.list_attached_role_policies().role_name("auditor").send().await.unwrap();
    let arns: Vec<&str> = attached.attached_policies().iter().filter_map(|p| p.policy_arn()).collect();
    assert_eq!(arns, ["arn:aws:iam::aws:policy/SecurityAudit"]);

    // Rerun: nothing to do, nothing written, no new password.
    let rerun = apply_with_passwords(&env, &passwords).ok();
    assert_eq!(rerun.writes(), 0, "{}", rerun.stderr);
    assert_eq!(std::fs::read_to_string(&passwords).unwrap(), text);
}

#[tokio::test(flavor = "multi_thread")]
async fn out_of_band_identity_changes_are_named_and_restored() {
    let env = Env::new();
    let passwords = env.path("passwords.tsv");
    apply_with_passwords(&env, &passwords).ok();
    let ids = ids(&env).await;
    let hub = iam_in(&env, &ids["identity"]).await;
    let jira = iam_in(&env, &ids["jira-prod"]).await;

    // 1. A policy attached directly to a user.
    hub.attach_user_policy()
        .user_name("bob")
        .policy_arn("arn:aws:iam::aws:policy/AdministratorAccess")
        .send()
        .await
        .unwrap();
    // 2. A user removed from a group.
    hub.remove_user_from_group().user_name("alice").group_name("auditors").send().await.unwrap();
    // 3. A role's trust loosened: no MFA needed.
    let loose = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{}:root"}},"Action":"sts:AssumeRole"}}]}}"#,
        ids["identity"]
    );
    jira.update_assume_role_policy().role_name("jira-admin").policy_document(loose).send().await.unwrap();
    // 4. The managed policy edited out of band, four times, so IAM holds its five versions.
    let force_mfa = format!("arn:aws:iam::{}:policy/groundwork-force-mfa", ids["identity"]);
    for i in 0..4 {
        let doc = format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"V{i}","Effect":"Allow","Action":"*","Resource":"*"}}]}}"#
        );
        hub.create_policy_version()
            .policy_arn(&force_mfa)
            .policy_document(doc)
            .set_as_default(true)
            .send()
            .await
            .unwrap();
    }

    let text = env.gw(&["plan", reference().to_str().unwrap(), "--no-rate-limit"]);
    for address in [
        "~ iam-user/identity/bob will be updated in place",
        "~ iam-user/identity/alice will be updated in place",
        "~ iam-role/jira-prod/jira-admin will be updated in place",
        "~ iam-policy/identity/groundwork-force-mfa will be updated in place",
    ] {
        assert!(text.stdout.contains(address), "{address} not in:\n{}", text.stdout);
    }
    assert!(
        text.stdout.contains(
            "the policies attached directly to this user will be removed, because groundwork manages this user"
        ),
        "{}",
        text.stdout
    );
    let drift = env.gw(&["drift", reference().to_str().unwrap(), "--no-rate-limit"]);
    assert_eq!(drift.code, 2);
    assert!(
        drift.stdout.contains("account identity") && drift.stdout.contains("account jira-prod"),
        "{}",
        drift.stdout
    );

    let applied = apply_with_passwords(&env, &passwords).ok();
    assert_eq!(applied.json()["failed"], 0, "{}", applied.stdout);
    let attached = hub.list_attached_user_policies().user_name("bob").send().await.unwrap();
    assert!(attached.attached_policies().is_empty());
    let g = hub.get_group().group_name("auditors").send().await.unwrap();
    assert!(g.users().iter().any(|u| u.user_name() == "alice"));
    let role = jira.get_role().role_name("jira-admin").send().await.unwrap();
    let trust = decode(role.role().unwrap().assume_role_policy_document().unwrap());
    assert_eq!(statements(&trust)[0]["Condition"]["Bool"]["aws:MultiFactorAuthPresent"], "true");
    let versions = hub.list_policy_versions().policy_arn(&force_mfa).send().await.unwrap();
    assert_eq!(versions.versions().len(), 5, "the oldest non-default version made room");
    let default = versions.versions().iter().find(|v| v.is_default_version()).unwrap().version_id().unwrap().to_owned();
    let doc = hub.get_policy_version().policy_arn(&force_mfa).version_id(default).send().await.unwrap();
    let doc = decode(doc.policy_version().unwrap().document().unwrap());
    assert!(statements(&doc).iter().any(|s| s["Effect"] == "Deny"), "{doc}");

    let clean = env.gw(&["drift", reference().to_str().unwrap(), "--no-rate-limit"]);
    assert_eq!(clean.code, 0, "{}", clean.stdout);
    let rerun = apply_with_passwords(&env, &passwords).ok();
    assert_eq!(rerun.writes(), 0, "{}", rerun.stderr);
}
