//! The reference blueprint's assertions hold, and each mutation of the acceptance list
//! breaks one with a message naming the path and its line:column.

const FILE: &str = "landing-zone.yaml";

fn source() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../blueprints/landing-zone.yaml")).unwrap()
}

fn check(src: &str) -> Vec<groundwork_blueprint::Diagnostic> {
    let parsed = groundwork_blueprint::parse(FILE, src.as_bytes()).unwrap_or_else(|d| panic!("{}", d.render_plain()));
    groundwork_assertions::check(FILE, src, &parsed.blueprint)
}

#[test]
fn the_reference_blueprint_assertions_hold() {
    let found = check(&source());
    assert!(found.is_empty(), "{:#?}", found.iter().map(|d| &d.message).collect::<Vec<_>>());
}

/// The failures of a mutated reference blueprint, as `code: message` lines.
fn failures(mutate: impl Fn(&str) -> String) -> Vec<String> {
    let src = mutate(&source());
    check(&src).iter().map(|d| format!("{}:{}: {}", d.span.line, d.span.col, d.message)).collect()
}

fn replace_once(src: &str, from: &str, to: &str) -> String {
    assert_eq!(src.matches(from).count(), 1, "{from}");
    src.replace(from, to)
}

#[test]
fn removing_the_tag_condition_from_jira_admins_statement_fails() {
    let found = failures(|s| {
        replace_once(
            s,
            "        Condition:\n          StringEquals: { \"aws:ResourceTag/workload\": \"{workload}\" }\n",
            "",
        )
    });
    assert_eq!(found.len(), 1, "{found:#?}");
    assert!(found[0].contains("assertion `and only jira instances there` fails"), "{}", found[0]);
    assert!(found[0].contains("role jira-admin, statement OperateJiraInstances (156:9)"), "{}", found[0]);
    assert!(found[0].contains("group jira-admins, its grants (AssumeGrantedRoles) (129:7)"), "{}", found[0]);
}

#[test]
fn granting_jira_admins_the_webapp_role_fails() {
    let found = failures(|s| {
        replace_once(s, "        - role: jira-admin\n", "        - role: jira-admin\n        - role: webapp-admin\n")
    });
    assert!(!found.is_empty());
    assert!(
        found.iter().any(|f| f.contains("assertion `jira admins cannot write the web app's bucket` fails")),
        "{found:#?}"
    );
    let f = found.iter().find(|f| f.contains("bucket")).unwrap();
    assert!(
        f.contains("via role webapp-admin in webapp-prod") || f.contains("role webapp-admin in webapp-prod:"),
        "{f}"
    );
    assert!(f.contains("role webapp-admin, statement ManageWebappBucket (168:9)"), "{f}");
}

#[test]
fn selecting_the_jira_admin_role_into_the_webapp_accounts_fails() {
    let found = failures(|s| {
        replace_once(
            s,
            "    select: { workloads: [jira] }\n    max_mfa_age_seconds",
            "    select: { workloads: [jira, webapp] }\n    max_mfa_age_seconds",
        )
    });
    assert!(found.iter().any(|f| f.contains("assertion `jira admins cannot touch the web app` fails")), "{found:#?}");
    let f = found.iter().find(|f| f.contains("cannot touch the web app")).unwrap();
    assert!(f.contains("role jira-admin in webapp-prod"), "{f}");
    assert!(f.contains("role jira-admin, statement OperateJiraInstances (156:9)"), "{f}");
}

#[test]
fn dropping_the_mfa_requirement_from_a_roles_trust_fails() {
    let src = source();
    let parsed = groundwork_blueprint::parse(FILE, src.as_bytes()).unwrap();
    let root = groundwork_blueprint::yaml::parse(&src).unwrap().unwrap();
    let mut model = groundwork_assertions::Model::new(&parsed.blueprint, &root);
    let trust = model.trusts.get_mut(&("jira-prod".to_owned(), "jira-admin".to_owned())).unwrap();
    let condition = trust["Statement"][0]["Condition"].as_object_mut().unwrap();
    assert!(condition.shift_remove("Bool").is_some() && condition.shift_remove("NumericLessThan").is_some());
    let found: Vec<String> = groundwork_assertions::check_model(&model, &root)
        .iter()
        .map(|d| format!("{}:{}: {}", d.span.line, d.span.col, d.message))
        .collect();
    assert_eq!(found.len(), 1, "{found:#?}");
    assert!(found[0].contains("built-in assertion `mfa-for-every-role` fails"), "{}", found[0]);
    assert!(found[0].contains("role jira-admin in jira-prod"), "{}", found[0]);
    assert!(found[0].contains("its trust (hub users, MFA no older than 3600 s) (150:5)"), "{}", found[0]);
}

#[test]
fn the_log_archive_builtin_sees_an_administrator_exempted_from_the_bucket_policy_and_no_guardrail() {
    // The exception role of the bucket policy may lift its protections: made the administrator
    // the check stands for, and without the protect-cloudtrail guardrail (which protects the
    // bucket too), the built-in must see that the archive is open to it.
    let found = failures(|s| {
        let s = replace_once(
            s,
            "protection_exception_role: LogArchiveBreakGlass",
            "protection_exception_role: an-administrator",
        );
        replace_once(
            &s,
            "    - name: protect-cloudtrail\n      builtin: protect-cloudtrail\n      targets: [Root]\n",
            "",
        )
    });
    assert_eq!(found.len(), 1, "{found:#?}");
    assert!(found[0].contains("built-in assertion `member-cannot-touch-log-archive` fails"), "{}", found[0]);
    assert!(found[0].contains("an administrator of log-archive can s3:DeleteBucket on"), "{}", found[0]);
}

/// The account baseline's roles are paths too: a hub group the baseline names may assume the
/// security-audit role in every member account, so it can read there (SecurityAudit), and a
/// `cannot` on a read would fail through that role.
#[test]
fn the_baseline_roles_are_paths_for_the_groups_they_name() {
    let src = format!("{}\nbaseline:\n  security_audit_role: {{ groups: [jira-admins] }}\n", source());
    let parsed = groundwork_blueprint::parse(FILE, src.as_bytes()).unwrap_or_else(|d| panic!("{}", d.render_plain()));
    let root = groundwork_blueprint::yaml::parse(&src).unwrap().unwrap();
    let model = groundwork_assertions::Model::new(&parsed.blueprint, &root);
    let q = groundwork_assertions::Question {
        principal: groundwork_assertions::Principal::Group("jira-admins".into()),
        action: "ec2:DescribeSecurityGroups".into(),
        account: "webapp-prod".into(),
        resource: None,
        tags: Vec::new(),
        mfa: true,
    };
    let answer = groundwork_assertions::ask(&model, &root, &q);
    let via: Vec<&str> = answer.paths.iter().filter(|p| p.allowed).map(|p| p.via.as_str()).collect();
    assert_eq!(via, ["role groundwork-security-audit in webapp-prod"], "{answer:#?}");
    // Without MFA the role's trust refuses it.
    let answer = groundwork_assertions::ask(&model, &root, &groundwork_assertions::Question { mfa: false, ..q });
    assert!(!answer.allowed, "{answer:#?}");
}

/// Single sign-on is a path too: `examples/identity-center.yaml`'s assertions hold, and
/// widening the JiraAdmin permission set, or assigning it in the webapp accounts without its tag
/// condition, breaks them through the permission set, named with its statement's line:column.
#[test]
fn identity_center_permission_sets_are_paths() {
    let example =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/identity-center.yaml")).unwrap();
    assert!(check(&example).is_empty(), "{:#?}", check(&example).iter().map(|d| &d.message).collect::<Vec<_>>());
    let messages = |src: &str| check(src).iter().map(|d| d.message.clone()).collect::<Vec<_>>();

    let condition = "            StringEquals: { \"aws:ResourceTag/workload\": jira }\n";
    let wide = replace_once(&example, condition, "            StringLike: { \"aws:ResourceTag/workload\": \"*\" }\n");
    let found = messages(&wide);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert!(found[0].starts_with("assertion `and only jira instances in the jira accounts` fails"), "{found:#?}");
    assert!(found[0].contains("permission set JiraAdmin in jira-prod"), "{found:#?}");
    assert!(found[0].contains("permission set JiraAdmin, statement OperateJiraInstances ("), "{found:#?}");

    let everywhere = replace_once(
        &replace_once(&example, &format!("          Condition:\n{condition}"), ""),
        "workloads: [jira] }",
        "workloads: [jira, webapp] }",
    );
    let found = messages(&everywhere);
    assert!(
        found.iter().any(|m| m.starts_with("assertion `jira admins cannot touch the web app` fails")
            && m.contains("permission set JiraAdmin in webapp-prod")),
        "{found:#?}"
    );
}

/// A permission set's permissions boundary narrows its paths: with `ReadOnlyAccess` as the
/// boundary, JiraAdmin can no longer terminate the Jira instances it is allowed to.
#[test]
fn a_permission_sets_boundary_narrows_its_path() {
    let example =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/identity-center.yaml")).unwrap();
    let bounded = replace_once(
        &example,
        "      session: 4h\n",
        "      session: 4h\n      permissions_boundary: { managed: ReadOnlyAccess }\n",
    );
    let found: Vec<String> = check(&bounded).iter().map(|d| d.message.clone()).collect();
    assert_eq!(found.len(), 1, "{found:#?}");
    assert!(found[0].starts_with("assertion `jira admins operate jira in the jira accounts` fails"), "{found:#?}");
    assert!(found[0].contains("the permissions boundary does not allow it"), "{found:#?}");
}
