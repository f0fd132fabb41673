//! Identity end to end: the hub's password policy, ForceMFA, groups with generated AssumeRole
//! policies, users in groups only, console passwords written only to the operator's file;
//! cross-account and workload roles in member accounts; zero-write rerun; drift of four kinds.

use std::collections::{BTreeMap, BTreeSet};
use std::os::unix::fs::PermissionsExt as _;

use serde_json::Value;

use crate::common::{Env, read_org, reference};

/// IAM returns documents URL-encoded.
pub(crate) fn decode(text: &str) -> Value {
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

/// groundwork's tags among an IAM entity's tags.
fn own_tags(tags: &[aws_sdk_iam::types::Tag]) -> BTreeMap<String, String> {
    tags.iter()
        .filter(|t| t.key().starts_with("groundwork:"))
        .map(|t| (t.key().to_owned(), t.value().to_owned()))
        .collect()
}

/// The ownership tags of the reference blueprint's objects.
fn ownership() -> BTreeMap<String, String> {
    BTreeMap::from([
        ("groundwork:blueprint".to_owned(), "acme".to_owned()),
        ("groundwork:managed".to_owned(), "true".to_owned()),
    ])
}

async fn iam_in(env: &Env, account_id: &str) -> aws_sdk_iam::Client {
    aws_sdk_iam::Client::new(&env.moto.member_config(account_id, "us-east-1").await)
}

/// Account ids by blueprint name (names are the emails' local parts in the reference).
async fn ids(env: &Env) -> BTreeMap<String, String> {
    let (_, accounts) = read_org(&env.org()).await;
    accounts.into_values().map(|a| (a.name, a.id)).collect()
}

/// The reference landing zone, applied: the password file and the account ids by name.
async fn applied(env: &Env) -> (std::path::PathBuf, BTreeMap<String, String>) {
    let passwords = env.path("passwords.tsv");
    apply_with_passwords(env, &passwords).ok();
    (passwords, ids(env).await)
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
    let env = Env::reference();
    let passwords = env.path("passwords.tsv");

    // Without a password file, console users stop the run before any write.
    let bp = reference();
    let args = ["apply", bp.to_str().unwrap(), "--auto-approve", "--json", "--stats", "--no-rate-limit"];
    let refused = crate::common::Run::from_output(
        &env.command(&env.endpoint(), &args).env_remove("GROUNDWORK_PASSWORD_FILE").output().unwrap(),
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
    let deny = statements(&doc).into_iter().find(|s| s["Sid"] == "DenyAllExceptListedIfNoMFA").expect("a deny");
    assert_eq!(deny["Condition"]["BoolIfExists"]["aws:MultiFactorAuthPresent"], "false", "{doc}");
    assert!(set(&deny["NotAction"]).contains("iam:CreateVirtualMFADevice"), "{doc}");
    // A long-term access key (no MFA context at all) can neither enrol a device nor set a password.
    let key_deny =
        statements(&doc).into_iter().find(|s| s["Sid"] == "DenyCredentialSetupWithAccessKey").expect("{doc}");
    assert_eq!(key_deny["Effect"], "Deny");
    assert_eq!(set(&key_deny["Resource"]), BTreeSet::from(["*".to_owned()]));
    assert_eq!(
        set(&key_deny["Action"]),
        ["iam:ChangePassword", "iam:CreateVirtualMFADevice", "iam:EnableMFADevice", "iam:ResyncMFADevice"]
            .into_iter()
            .map(str::to_owned)
            .collect::<BTreeSet<_>>()
    );
    assert_eq!(key_deny["Condition"], serde_json::json!({ "Null": { "aws:MultiFactorAuthPresent": "true" } }));
    // Users cannot mint access keys for themselves.
    for s in statements(&doc).iter().filter(|s| s["Effect"] == "Allow") {
        assert!(!set(&s["Action"]).contains("iam:CreateAccessKey"), "{doc}");
    }

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
            format!("arn:aws:iam::{}:role/groundwork/jira-admin", ids["jira-dev"]),
            format!("arn:aws:iam::{}:role/groundwork/jira-admin", ids["jira-prod"]),
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
        // jira-admin sets max_mfa_age_seconds: 3600; only the hub's IAM users, under their own name.
        assert_eq!(t["Condition"]["NumericLessThan"]["aws:MultiFactorAuthAge"], "3600", "{trust}");
        assert_eq!(t["Condition"]["ArnLike"]["aws:PrincipalArn"], format!("arn:aws:iam::{}:user/*", ids["identity"]));
        assert_eq!(t["Condition"]["StringEquals"]["sts:RoleSessionName"], "${aws:username}");
        // groundwork's marker: its path and its ownership tags.
        assert_eq!(role.path(), "/groundwork/");
        assert_eq!(role.arn(), format!("arn:aws:iam::{}:role/groundwork/jira-admin", ids[account]));
        assert_eq!(own_tags(role.tags()), ownership());
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
    assert_eq!(profile.instance_profile().unwrap().path(), "/groundwork/");
    assert_eq!(own_tags(profile.instance_profile().unwrap().tags()), ownership());
    let app = webapp.get_role().role_name("webapp-app").send().await.unwrap();
    let trust = decode(app.role().unwrap().assume_role_policy_document().unwrap());
    assert_eq!(set(&statements(&trust)[0]["Principal"]["Service"]), BTreeSet::from(["ec2.amazonaws.com".to_owned()]));
    // A role without max_mfa_age_seconds gets the default bound, 12 hours.
    let admin = webapp.get_role().role_name("webapp-admin").send().await.unwrap();
    let trust = decode(admin.role().unwrap().assume_role_policy_document().unwrap());
    assert_eq!(statements(&trust)[0]["Condition"]["NumericLessThan"]["aws:MultiFactorAuthAge"], "43200", "{trust}");
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
    let env = Env::reference();
    let (passwords, ids) = applied(&env).await;
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

/// An organization built by an earlier version: a role and its instance profile at `/`, without
/// tags. The plan replaces both and says why; apply moves them to `/groundwork/` with their trust,
/// policies and membership; the rerun writes nothing.
#[tokio::test(flavor = "multi_thread")]
async fn a_role_at_another_path_is_a_planned_replacement() {
    let env = Env::reference();
    let (passwords, ids) = applied(&env).await;
    let iam = iam_in(&env, &ids["webapp-prod"]).await;

    // Rebuild webapp-app and its instance profile as an earlier version made them.
    let role = iam.get_role().role_name("webapp-app").send().await.unwrap();
    let trust = role.role().unwrap().assume_role_policy_document().unwrap().to_owned();
    let trust = decode(&trust).to_string();
    let inline = iam.list_role_policies().role_name("webapp-app").send().await.unwrap().policy_names().to_vec();
    let mut documents = Vec::new();
    for name in &inline {
        let doc = iam.get_role_policy().role_name("webapp-app").policy_name(name).send().await.unwrap();
        documents.push((name.clone(), decode(doc.policy_document()).to_string()));
        iam.delete_role_policy().role_name("webapp-app").policy_name(name).send().await.unwrap();
    }
    let attached = iam.list_attached_role_policies().role_name("webapp-app").send().await.unwrap();
    let managed: Vec<String> =
        attached.attached_policies().iter().filter_map(|p| p.policy_arn().map(str::to_owned)).collect();
    for arn in &managed {
        iam.detach_role_policy().role_name("webapp-app").policy_arn(arn).send().await.unwrap();
    }
    iam.remove_role_from_instance_profile()
        .instance_profile_name("webapp-app")
        .role_name("webapp-app")
        .send()
        .await
        .unwrap();
    iam.delete_instance_profile().instance_profile_name("webapp-app").send().await.unwrap();
    iam.delete_role().role_name("webapp-app").send().await.unwrap();
    iam.create_role().role_name("webapp-app").path("/").assume_role_policy_document(&trust).send().await.unwrap();
    for (name, doc) in &documents {
        iam.put_role_policy().role_name("webapp-app").policy_name(name).policy_document(doc).send().await.unwrap();
    }
    for arn in &managed {
        iam.attach_role_policy().role_name("webapp-app").policy_arn(arn).send().await.unwrap();
    }
    iam.create_instance_profile().instance_profile_name("webapp-app").path("/").send().await.unwrap();
    iam.add_role_to_instance_profile()
        .instance_profile_name("webapp-app")
        .role_name("webapp-app")
        .send()
        .await
        .unwrap();

    // The plan names the replacement and says why; it is never silent.
    let plan = env.gw(&["plan", reference().to_str().unwrap(), "--no-rate-limit"]).ok();
    for line in [
        "-/+ iam-role/webapp-prod/webapp-app will be replaced (deleted, then created)",
        "# path / -> /groundwork/: IAM cannot move a role, so it is deleted and created again with its trust, policies and instance-profile membership",
        "-/+ instance-profile/webapp-prod/webapp-app will be replaced (deleted, then created)",
        "# path / -> /groundwork/: IAM cannot move an instance profile",
    ] {
        assert!(plan.stdout.contains(line), "{line} not in:\n{}", plan.stdout);
    }
    let json = env.plan_json(&reference()).ok().json();
    let replaced: Vec<&str> = json["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["action"] == "replace")
        .map(|c| c["address"].as_str().unwrap())
        .collect();
    assert_eq!(replaced, ["iam-role/webapp-prod/webapp-app", "instance-profile/webapp-prod/webapp-app"], "{json}");

    let applied = apply_with_passwords(&env, &passwords).ok();
    assert_eq!(applied.json()["failed"], 0, "{}", applied.stdout);
    let role = iam.get_role().role_name("webapp-app").send().await.unwrap();
    let role = role.role().unwrap();
    assert_eq!(role.path(), "/groundwork/");
    assert_eq!(own_tags(role.tags()), ownership());
    assert_eq!(decode(role.assume_role_policy_document().unwrap()).to_string(), trust);
    let now_inline = iam.list_role_policies().role_name("webapp-app").send().await.unwrap();
    assert_eq!(now_inline.policy_names(), inline.as_slice());
    let now_attached = iam.list_attached_role_policies().role_name("webapp-app").send().await.unwrap();
    let now: Vec<String> =
        now_attached.attached_policies().iter().filter_map(|p| p.policy_arn().map(str::to_owned)).collect();
    assert_eq!(now, managed);
    let profile = iam.get_instance_profile().instance_profile_name("webapp-app").send().await.unwrap();
    let profile = profile.instance_profile().unwrap();
    assert_eq!(profile.path(), "/groundwork/");
    let roles: Vec<&str> = profile.roles().iter().map(aws_sdk_iam::types::Role::role_name).collect();
    assert_eq!(roles, ["webapp-app"]);

    let rerun = apply_with_passwords(&env, &passwords).ok();
    assert_eq!(rerun.writes(), 0, "{}", rerun.stderr);
}

/// IAM reads a rerun may make in one account: the bulk read, the role listing, the password
/// policy, and one login-profile read per user (the bulk read has no login profiles); and, in
/// the management account, IAM's organization features (the reference's `root_access`).
const BULK_IAM_READS: [&str; 5] = [
    "iam:GetAccountAuthorizationDetails",
    "iam:ListRoles",
    "iam:GetAccountPasswordPolicy",
    "iam:GetLoginProfile",
    "iam:ListOrganizationsFeatures",
];

/// Discovery reads each account's IAM in bulk (never per role, group or policy), and still sees
/// every part of every IAM kind: out-of-band changes the other drift tests do not make (a role's
/// inline document, session and description, and tag; a profile emptied of its role, which the
/// bulk read cannot see; a user's console access; a group's managed and inline policies) are each
/// planned as exactly that update, repaired by apply, and the rerun is clean with zero writes.
#[tokio::test(flavor = "multi_thread")]
async fn discovery_reads_iam_in_bulk_per_account_and_sees_every_part() {
    let env = Env::reference();
    let (passwords, ids) = applied(&env).await;

    let plan = env.plan_json(&reference()).ok();
    assert_eq!(plan.json()["changes"], serde_json::json!([]), "{}", plan.stdout);
    let users = 2; // alice and bob, in the hub
    let mut bulk_accounts = 0;
    for (principal, ops) in plan.stats()["by_principal"].as_object().unwrap() {
        for (op, n) in ops.as_object().unwrap().iter().filter(|(op, _)| op.starts_with("iam:")) {
            let n = n.as_u64().unwrap();
            assert!(BULK_IAM_READS.contains(&op.as_str()), "{principal}: {op} is a per-entity read");
            let bound = if op == "iam:GetLoginProfile" { users } else { 1 };
            assert!(n <= bound, "{principal}: {op} {n} times");
            bulk_accounts += u64::from(op == "iam:GetAccountAuthorizationDetails");
        }
    }
    assert!(bulk_accounts >= 4, "the hub and the workload accounts read their IAM in bulk ({bulk_accounts})");

    // Out of band, one change per part.
    let hub = iam_in(&env, &ids["identity"]).await;
    let jira = iam_in(&env, &ids["jira-prod"]).await;
    let webapp = iam_in(&env, &ids["webapp-prod"]).await;
    let dev = iam_in(&env, &ids["webapp-dev"]).await;
    let inline = jira.list_role_policies().role_name("jira-admin").send().await.unwrap().policy_names()[0].clone();
    let before = jira.get_role_policy().role_name("jira-admin").policy_name(&inline).send().await.unwrap();
    let before = decode(before.policy_document());
    let wide = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ec2:*","Resource":"*"}]}"#;
    jira.put_role_policy().role_name("jira-admin").policy_name(&inline).policy_document(wide).send().await.unwrap();
    webapp.update_role().role_name("webapp-admin").max_session_duration(43200).description("x").send().await.unwrap();
    webapp
        .remove_role_from_instance_profile()
        .instance_profile_name("webapp-app")
        .role_name("webapp-app")
        .send()
        .await
        .unwrap();
    dev.untag_role().role_name("auditor").tag_keys("groundwork:blueprint").send().await.unwrap();
    hub.delete_login_profile().user_name("alice").send().await.unwrap();
    let force_mfa = format!("arn:aws:iam::{}:policy/groundwork-force-mfa", ids["identity"]);
    hub.detach_group_policy().group_name("auditors").policy_arn(&force_mfa).send().await.unwrap();
    let group_inline =
        hub.list_group_policies().group_name("jira-admins").send().await.unwrap().policy_names()[0].clone();
    hub.delete_group_policy().group_name("jira-admins").policy_name(&group_inline).send().await.unwrap();

    let plan = env.plan_json(&reference()).ok();
    assert_eq!(plan.writes(), 0);
    let mut changed: Vec<String> = plan.json()["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| format!("{} {}", c["action"].as_str().unwrap(), c["address"].as_str().unwrap()))
        .collect();
    changed.sort();
    assert_eq!(
        changed,
        [
            "update iam-group/identity/auditors",
            "update iam-group/identity/jira-admins",
            "update iam-role/jira-prod/jira-admin",
            "update iam-role/webapp-dev/auditor",
            "update iam-role/webapp-prod/webapp-admin",
            "update iam-user/identity/alice",
            "update instance-profile/webapp-prod/webapp-app",
        ],
        "{}",
        plan.stdout
    );

    let applied = apply_with_passwords(&env, &passwords).ok();
    assert_eq!(applied.json()["failed"], 0, "{}", applied.stdout);
    // Read back independently.
    let now = jira.get_role_policy().role_name("jira-admin").policy_name(&inline).send().await.unwrap();
    assert_eq!(decode(now.policy_document()), before);
    let admin = webapp.get_role().role_name("webapp-admin").send().await.unwrap();
    assert_eq!(admin.role().unwrap().max_session_duration(), Some(7200));
    assert_ne!(admin.role().unwrap().description(), Some("x"));
    let profile = webapp.get_instance_profile().instance_profile_name("webapp-app").send().await.unwrap();
    let roles: Vec<&str> =
        profile.instance_profile().unwrap().roles().iter().map(aws_sdk_iam::types::Role::role_name).collect();
    assert_eq!(roles, ["webapp-app"]);
    let auditor = dev.get_role().role_name("auditor").send().await.unwrap();
    assert_eq!(own_tags(auditor.role().unwrap().tags()), ownership());
    assert!(hub.get_login_profile().user_name("alice").send().await.is_ok());
    let attached = hub.list_attached_group_policies().group_name("auditors").send().await.unwrap();
    assert!(attached.attached_policies().iter().any(|p| p.policy_arn() == Some(force_mfa.as_str())));
    let group_policies = hub.list_group_policies().group_name("jira-admins").send().await.unwrap();
    assert_eq!(group_policies.policy_names(), [group_inline]);

    let rerun = apply_with_passwords(&env, &passwords).ok();
    assert_eq!(rerun.writes(), 0, "{}", rerun.stderr);
}
