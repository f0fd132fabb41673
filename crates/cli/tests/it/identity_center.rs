//! Single sign-on end to end: `examples/identity-center.yaml` applied to moto's IAM Identity
//! Center, read back with plain SSO admin and identity store calls; a rerun writes nothing; a
//! new account in a targeted OU gets exactly its assignments; out-of-band changes are named by
//! `drift` and restored by `apply`; `--prune` removes a permission set after its assignments;
//! import of the built instance plans nothing.
//!
//! moto 5.1.22 lacks a permission set's tags (ListTagsForResource, TagResource) and
//! permissions boundary (Put/Get/Delete). groundwork runs through the test proxy, which answers
//! those from the requests it saw (`ProxyConfig::identity_center`): they are tested on the
//! request side only, by what groundwork sends.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use aws_sdk_ssoadmin::types::PrincipalType;
use groundwork_testkit::{FaultProxy, ProxyConfig};
use serde_json::Value;

use crate::common::{Env, Run, read_org};

const REGION: &str = "eu-west-1";

fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/identity-center.yaml")
}

/// moto with the Identity Center shim in front of it.
struct Sso {
    env: Env,
    proxy: FaultProxy,
}

impl Sso {
    fn new() -> Self {
        let env = Env::new();
        let proxy = FaultProxy::start(env.moto.port(), ProxyConfig { identity_center: true, ..ProxyConfig::default() });
        Sso { env, proxy }
    }

    fn gw(&self, args: &[&str]) -> Run {
        Run::from_output(&self.env.command(&self.proxy.endpoint(), args).output().unwrap())
    }

    fn apply(&self, bp: &Path, extra: &[&str]) -> Run {
        let mut args = vec!["apply", bp.to_str().unwrap(), "--auto-approve", "--json", "--stats", "--no-rate-limit"];
        args.extend_from_slice(extra);
        self.gw(&args)
    }

    fn plan_json(&self, bp: &Path, extra: &[&str]) -> Value {
        let mut args = vec!["plan", bp.to_str().unwrap(), "--json", "--no-rate-limit"];
        args.extend_from_slice(extra);
        self.gw(&args).json()
    }

    fn admin(&self) -> aws_sdk_ssoadmin::Client {
        aws_sdk_ssoadmin::Client::new(
            &self.env.moto.sdk_config().into_builder().region(aws_config::Region::new(REGION)).build(),
        )
    }

    fn store(&self) -> aws_sdk_identitystore::Client {
        aws_sdk_identitystore::Client::new(
            &self.env.moto.sdk_config().into_builder().region(aws_config::Region::new(REGION)).build(),
        )
    }

    async fn instance(&self) -> (String, String) {
        let out = self.admin().list_instances().send().await.unwrap();
        let i = &out.instances()[0];
        (i.instance_arn().unwrap().to_owned(), i.identity_store_id().unwrap().to_owned())
    }

    /// Every permission set: name → ARNs (a duplicate would show as two).
    async fn sets(&self) -> BTreeMap<String, Vec<String>> {
        let (instance, _) = self.instance().await;
        let admin = self.admin();
        let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for arn in admin.list_permission_sets().instance_arn(&instance).send().await.unwrap().permission_sets() {
            let d =
                admin.describe_permission_set().instance_arn(&instance).permission_set_arn(arn).send().await.unwrap();
            out.entry(d.permission_set().unwrap().name().unwrap().to_owned()).or_default().push(arn.clone());
        }
        out
    }

    async fn set_arn(&self, name: &str) -> String {
        let sets = self.sets().await;
        assert_eq!(sets[name].len(), 1, "one permission set {name}: {sets:?}");
        sets[name][0].clone()
    }

    async fn group_id(&self, name: &str) -> String {
        let (_, store) = self.instance().await;
        let groups = self.store().list_groups().identity_store_id(&store).send().await.unwrap();
        let found: Vec<&str> = groups
            .groups()
            .iter()
            .filter(|g| g.display_name() == Some(name))
            .map(aws_sdk_identitystore::types::Group::group_id)
            .collect();
        assert_eq!(found.len(), 1, "one group {name}");
        found[0].to_owned()
    }

    /// Every assignment of the example's groups, as (group, permission set, account id), with
    /// duplicates kept (a duplicate would show as a count of 2).
    async fn assignments(&self) -> BTreeMap<(String, String, String), usize> {
        let (instance, _) = self.instance().await;
        let names: BTreeMap<String, String> =
            self.sets().await.into_iter().flat_map(|(n, arns)| arns.into_iter().map(move |a| (a, n.clone()))).collect();
        let mut out = BTreeMap::new();
        for group in ["jira-admins", "webapp-admins", "auditors"] {
            let id = self.group_id(group).await;
            let listed = self
                .admin()
                .list_account_assignments_for_principal()
                .instance_arn(&instance)
                .principal_id(&id)
                .principal_type(PrincipalType::Group)
                .send()
                .await
                .unwrap();
            for a in listed.account_assignments() {
                let key = (
                    group.to_owned(),
                    names[a.permission_set_arn().unwrap()].clone(),
                    a.account_id().unwrap().to_owned(),
                );
                *out.entry(key).or_insert(0) += 1;
            }
        }
        out
    }

    /// Account ids by blueprint name (the management account as `management`).
    async fn account_ids(&self) -> BTreeMap<String, String> {
        let (_, accounts) = read_org(&self.env.org()).await;
        let mut out: BTreeMap<String, String> = accounts.values().map(|a| (a.name.clone(), a.id.clone())).collect();
        let management = out.values().find(|id| *id == groundwork_testkit::MANAGEMENT_ACCOUNT_ID).cloned();
        if let Some(m) = management {
            out.retain(|_, id| *id != m);
            out.insert("management".into(), m);
        }
        out
    }
}

/// The example's assignments: (group, permission set, account name).
fn expected(accounts: &BTreeMap<String, String>) -> BTreeMap<(String, String, String), usize> {
    let mut out = BTreeMap::new();
    for name in accounts.keys() {
        let id = accounts[name].clone();
        out.insert(("auditors".to_owned(), "Auditor".to_owned(), id.clone()), 1);
        if name.starts_with("jira-") {
            out.insert(("jira-admins".to_owned(), "JiraAdmin".to_owned(), id.clone()), 1);
        }
        if name.starts_with("webapp-") {
            out.insert(("webapp-admins".to_owned(), "WebappAdmin".to_owned(), id), 1);
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn the_example_is_built_read_back_and_a_rerun_writes_nothing() {
    let sso = Sso::new();
    let bp = example();
    let applied = sso.apply(&bp, &[]).ok();
    assert_eq!(applied.json()["failed"], 0, "{}", applied.stdout);
    let (instance, _) = sso.instance().await;
    let admin = sso.admin();

    // Each permission set once, with its session, policies and description.
    let sets = sso.sets().await;
    assert_eq!(sets.keys().collect::<Vec<_>>(), ["Auditor", "JiraAdmin", "WebappAdmin"]);
    let describe = |arn: String| {
        let admin = admin.clone();
        let instance = instance.clone();
        async move { admin.describe_permission_set().instance_arn(&instance).permission_set_arn(arn).send().await.unwrap() }
    };
    let jira = sso.set_arn("JiraAdmin").await;
    let d = describe(jira.clone()).await;
    let d = d.permission_set().unwrap();
    assert_eq!(d.session_duration(), Some("PT4H"));
    assert_eq!(d.description(), Some("Operates the Jira instances of one account, and nothing else"));
    let inline = admin
        .get_inline_policy_for_permission_set()
        .instance_arn(&instance)
        .permission_set_arn(&jira)
        .send()
        .await
        .unwrap();
    let inline: Value = serde_json::from_str(inline.inline_policy().unwrap()).unwrap();
    let operate = crate::common::statement(&inline, "OperateJiraInstances");
    assert_eq!(operate["Resource"], "arn:aws:ec2:*:${aws:PrincipalAccount}:instance/*");

    let webapp = sso.set_arn("WebappAdmin").await;
    let d = describe(webapp.clone()).await;
    assert_eq!(d.permission_set().unwrap().session_duration(), Some("PT2H"));
    assert_eq!(d.permission_set().unwrap().relay_state(), Some("https://console.aws.amazon.com/s3/home"));
    let refs = admin
        .list_customer_managed_policy_references_in_permission_set()
        .instance_arn(&instance)
        .permission_set_arn(&webapp)
        .send()
        .await
        .unwrap();
    let refs: Vec<(String, Option<String>)> = refs
        .customer_managed_policy_references()
        .iter()
        .map(|r| (r.name().to_owned(), r.path().map(str::to_owned)))
        .collect();
    assert_eq!(refs, [("acme-webapp-deploy".to_owned(), Some("/acme/".to_owned()))]);

    let auditor = sso.set_arn("Auditor").await;
    assert_eq!(describe(auditor.clone()).await.permission_set().unwrap().session_duration(), Some("PT1H"));
    let managed = admin
        .list_managed_policies_in_permission_set()
        .instance_arn(&instance)
        .permission_set_arn(&auditor)
        .send()
        .await
        .unwrap();
    let managed: BTreeSet<&str> = managed.attached_managed_policies().iter().filter_map(|p| p.arn()).collect();
    assert_eq!(
        managed,
        BTreeSet::from(["arn:aws:iam::aws:policy/ReadOnlyAccess", "arn:aws:iam::aws:policy/SecurityAudit"])
    );

    // The ownership tags went with each creation (the request side: moto cannot list them).
    let creates: Vec<Value> = sso
        .proxy
        .identity_center_requests()
        .into_iter()
        .filter(|(op, _)| op == "CreatePermissionSet")
        .map(|(_, body)| body)
        .collect();
    assert_eq!(creates.len(), 3);
    for c in &creates {
        let tags: BTreeSet<(String, String)> = c["Tags"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| (t["Key"].as_str().unwrap().to_owned(), t["Value"].as_str().unwrap().to_owned()))
            .collect();
        assert!(tags.contains(&("groundwork:managed".into(), "true".into())), "{c}");
        assert!(tags.contains(&("groundwork:blueprint".into(), "acme".into())), "{c}");
        assert!(c["SessionDuration"].is_string() && c["Description"].is_string(), "always sent: {c}");
    }

    // The users of the built-in directory and their groups.
    let (_, store) = sso.instance().await;
    let users = sso.store().list_users().identity_store_id(&store).send().await.unwrap();
    let names: BTreeMap<String, String> =
        users.users().iter().map(|u| (u.user_id().to_owned(), u.user_name().unwrap().to_owned())).collect();
    assert_eq!(names.values().collect::<BTreeSet<_>>(), BTreeSet::from([&"alice".to_owned(), &"bob".to_owned()]));
    let mut members = BTreeSet::new();
    for group in ["jira-admins", "webapp-admins", "auditors"] {
        let id = sso.group_id(group).await;
        let listed = sso.store().list_group_memberships().identity_store_id(&store).group_id(&id).send().await.unwrap();
        for m in listed.group_memberships() {
            if let Some(aws_sdk_identitystore::types::MemberId::UserId(u)) = m.member_id() {
                assert!(members.insert((group.to_owned(), names[u].clone())), "one membership each");
            }
        }
    }
    let want: BTreeSet<(String, String)> = [("jira-admins", "alice"), ("auditors", "alice"), ("webapp-admins", "bob")]
        .iter()
        .map(|(g, u)| ((*g).to_owned(), (*u).to_owned()))
        .collect();
    assert_eq!(members, want);

    // Each assignment exactly once per (permission set, group, account).
    let accounts = sso.account_ids().await;
    assert_eq!(accounts.len(), 8, "{accounts:?}");
    assert_eq!(sso.assignments().await, expected(&accounts));

    // A rerun reads everything and writes nothing.
    let rerun = sso.apply(&bp, &[]).ok();
    assert_eq!(rerun.writes(), 0, "{}", rerun.stderr);
    assert_eq!(sso.sets().await.values().map(Vec::len).sum::<usize>(), 3, "no duplicate permission set");
    assert_eq!(sso.assignments().await, expected(&accounts), "no duplicate assignment");
}

/// The example with `replace` applied to its text, written into the test's home.
fn variant(sso: &Sso, name: &str, replace: &[(&str, &str)]) -> PathBuf {
    let mut text = std::fs::read_to_string(example()).unwrap();
    for (from, to) in replace {
        assert!(text.contains(from), "{from}");
        text = text.replace(from, to);
    }
    let path = sso.env.path(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// The addresses of a JSON plan's changes of the Identity Center kinds, with their actions.
fn sso_changes(plan: &Value) -> Vec<(String, String)> {
    plan["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| {
            let a = c["address"].as_str().unwrap();
            a.starts_with("sso-") || a.starts_with("permission-set/")
        })
        .map(|c| (c["action"].as_str().unwrap().to_owned(), c["address"].as_str().unwrap().to_owned()))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_new_account_in_a_targeted_ou_gets_exactly_its_assignments() {
    let sso = Sso::new();
    sso.apply(&example(), &[]).ok();
    let more = variant(&sso, "more.yaml", &[("environments: [dev, prod]", "environments: [dev, staging, prod]")]);
    let plan = sso.plan_json(&more, &[]);
    assert_eq!(
        sso_changes(&plan),
        [
            ("create".to_owned(), "sso-assignment/auditors/Auditor@jira-staging".to_owned()),
            ("create".to_owned(), "sso-assignment/jira-admins/JiraAdmin@jira-staging".to_owned()),
        ],
        "{plan:#}"
    );
    let applied = sso.apply(&more, &[]).ok();
    assert_eq!(applied.json()["failed"], 0, "{}", applied.stdout);
    let accounts = sso.account_ids().await;
    assert!(accounts.contains_key("jira-staging"));
    assert_eq!(sso.assignments().await, expected(&accounts));
    assert_eq!(sso.apply(&more, &[]).ok().writes(), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn drift_names_a_changed_inline_policy_a_detached_policy_and_a_removed_assignment_and_apply_restores_them() {
    let sso = Sso::new();
    let bp = example();
    sso.apply(&bp, &[]).ok();
    let (instance, _) = sso.instance().await;
    let admin = sso.admin();
    let accounts = sso.account_ids().await;
    let (jira, auditor, webapp) =
        (sso.set_arn("JiraAdmin").await, sso.set_arn("Auditor").await, sso.set_arn("WebappAdmin").await);

    // Behind groundwork's back.
    let open = r#"{"Version":"2012-10-17","Statement":[{"Sid":"Everything","Effect":"Allow","Action":"ec2:*","Resource":"*"}]}"#;
    admin
        .put_inline_policy_to_permission_set()
        .instance_arn(&instance)
        .permission_set_arn(&jira)
        .inline_policy(open)
        .send()
        .await
        .unwrap();
    admin
        .detach_managed_policy_from_permission_set()
        .instance_arn(&instance)
        .permission_set_arn(&auditor)
        .managed_policy_arn("arn:aws:iam::aws:policy/SecurityAudit")
        .send()
        .await
        .unwrap();
    let group = sso.group_id("webapp-admins").await;
    admin
        .delete_account_assignment()
        .instance_arn(&instance)
        .target_id(&accounts["webapp-prod"])
        .target_type(aws_sdk_ssoadmin::types::TargetType::AwsAccount)
        .permission_set_arn(&webapp)
        .principal_type(PrincipalType::Group)
        .principal_id(&group)
        .send()
        .await
        .unwrap();

    let drift = sso.gw(&["drift", bp.to_str().unwrap(), "--no-rate-limit"]);
    assert_eq!(drift.code, 2, "{}{}", drift.stdout, drift.stderr);
    for what in [
        "permission-set/JiraAdmin",
        "inline_policy",
        "permission-set/Auditor",
        "managed_policies",
        "sso-assignment/webapp-admins/WebappAdmin@webapp-prod",
    ] {
        assert!(drift.stdout.contains(what), "drift names {what}:\n{}", drift.stdout);
    }
    let plan = sso.plan_json(&bp, &[]);
    assert_eq!(
        sso_changes(&plan),
        [
            ("update".to_owned(), "permission-set/Auditor".to_owned()),
            ("update".to_owned(), "permission-set/JiraAdmin".to_owned()),
            ("create".to_owned(), "sso-assignment/webapp-admins/WebappAdmin@webapp-prod".to_owned()),
        ],
        "{plan:#}"
    );

    let applied = sso.apply(&bp, &[]).ok();
    assert_eq!(applied.json()["failed"], 0, "{}", applied.stdout);
    let calls = applied.stats()["api_calls"].clone();
    let provisioned: u64 = calls
        .as_object()
        .unwrap()
        .iter()
        .filter(|(op, _)| op.ends_with(":ProvisionPermissionSet"))
        .map(|(_, n)| n.as_u64().unwrap())
        .sum();
    assert_eq!(provisioned, 2, "each changed permission set is provisioned again: {calls:#}");
    let inline = admin
        .get_inline_policy_for_permission_set()
        .instance_arn(&instance)
        .permission_set_arn(&jira)
        .send()
        .await
        .unwrap();
    let inline: Value = serde_json::from_str(inline.inline_policy().unwrap()).unwrap();
    crate::common::statement(&inline, "OperateJiraInstances");
    let managed = admin
        .list_managed_policies_in_permission_set()
        .instance_arn(&instance)
        .permission_set_arn(&auditor)
        .send()
        .await
        .unwrap();
    assert_eq!(managed.attached_managed_policies().len(), 2);
    assert_eq!(sso.assignments().await, expected(&accounts));
    let clean = sso.gw(&["drift", bp.to_str().unwrap(), "--no-rate-limit"]);
    assert_eq!(clean.code, 0, "{}", clean.stdout);
    assert_eq!(sso.apply(&bp, &[]).ok().writes(), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn prune_deletes_a_removed_permission_set_after_its_assignments() {
    let sso = Sso::new();
    sso.apply(&example(), &[]).ok();
    let accounts = sso.account_ids().await;
    let without = variant(
        &sso,
        "without.yaml",
        &[(
            "    - { group: webapp-admins, permission_set: WebappAdmin, targets: [{ ou: Workloads }], workloads: [webapp] }\n",
            "",
        )],
    );
    let text = std::fs::read_to_string(&without).unwrap();
    let start = text.find("    - name: WebappAdmin").unwrap();
    let end = text.find("    - name: Auditor").unwrap();
    std::fs::write(&without, format!("{}{}", &text[..start], &text[end..])).unwrap();

    // Without --prune: named, nothing deleted.
    let plan = sso.plan_json(&without, &[]);
    assert_eq!(sso_changes(&plan), Vec::<(String, String)>::new(), "{plan:#}");
    let drift = sso.gw(&["drift", without.to_str().unwrap(), "--no-rate-limit"]);
    assert!(drift.stdout.contains("permission-set/WebappAdmin"), "{}", drift.stdout);

    // With --prune: the three assignments, then the permission set, and the plan says so.
    let plan = sso.plan_json(&without, &["--prune"]);
    let removed: Vec<String> = ["webapp-dev", "webapp-prod", "webapp-staging"]
        .iter()
        .map(|a| format!("sso-assignment/webapp-admins/WebappAdmin@{a}"))
        .collect();
    let mut want: Vec<(String, String)> = vec![("delete".to_owned(), "permission-set/WebappAdmin".to_owned())];
    want.extend(removed.iter().map(|a| ("delete".to_owned(), a.clone())));
    assert_eq!(sso_changes(&plan), want, "{plan:#}");
    let set =
        plan["changes"].as_array().unwrap().iter().find(|c| c["address"] == "permission-set/WebappAdmin").unwrap();
    assert_eq!(set["depends_on"], serde_json::json!(removed), "{set:#}");
    assert!(set["reason"].as_str().unwrap().contains("deleted after its assignments"), "{set:#}");
    let text = sso.gw(&["plan", without.to_str().unwrap(), "--prune", "--no-rate-limit"]);
    assert!(text.stdout.contains("- permission-set/WebappAdmin"), "{}", text.stdout);

    let applied = sso.apply(&without, &["--prune"]).ok();
    assert_eq!(applied.json()["failed"], 0, "{}", applied.stdout);
    assert!(!sso.sets().await.contains_key("WebappAdmin"));
    let mut left = expected(&accounts);
    left.retain(|(group, _, _), _| group != "webapp-admins");
    assert_eq!(sso.assignments().await, left);
    assert_eq!(sso.apply(&without, &["--prune"]).ok().writes(), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn import_of_the_built_instance_validates_and_plans_nothing() {
    let sso = Sso::new();
    sso.apply(&example(), &[]).ok();
    let out = sso.env.path("imported.yaml");
    let out_s = out.to_str().unwrap();
    let imported = sso
        .gw(&[
            "import",
            "--out",
            out_s,
            "--log-archive",
            "log-archive",
            "--home-region",
            "eu-west-1",
            "--no-rate-limit",
            "--json",
            "--stats",
        ])
        .ok();
    assert_eq!(imported.writes(), 0, "import is read-only: {}", imported.stderr);
    let report = imported.json();
    assert_eq!(report["commented"], serde_json::json!([]), "{report:#}");
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.contains("\nidentity_center:\n"), "{text}");
    for expected in ["name: JiraAdmin", "session: 4h", "acme-webapp-deploy", "SecurityAudit", "targets: [Root]"] {
        assert!(text.contains(expected), "{expected} in\n{text}");
    }
    sso.gw(&["validate", out_s]).ok();
    let plan = sso.plan_json(&out, &[]);
    assert_eq!(sso_changes(&plan), Vec::<(String, String)>::new(), "{text}");
}
