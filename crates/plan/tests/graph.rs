//! `render_graph`: the organization picture in Mermaid and DOT, drawn from the blueprint alone.

use groundwork_blueprint::{
    Account, AccountOrigin, Blueprint, Grant, Group, Guardrail, Identity, OrganizationalUnit, OuPath, PasswordPolicy,
    Purpose, Role, RoleTrust, Span, Spanned, Tags, Target,
};
use groundwork_plan::{GraphFormat, render_graph};

fn load(relative: &str) -> Blueprint {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(relative);
    groundwork_blueprint::load(&path).unwrap().blueprint
}

fn s<T>(value: T) -> Spanned<T> {
    Spanned::new(value, Span::default())
}

fn ou(path: &str) -> OrganizationalUnit {
    let path = OuPath::parse(path);
    OrganizationalUnit { name: s(path.name().to_owned()), path, tags: Tags::new() }
}

fn account(name: &str, ou: &str, purpose: Purpose) -> Account {
    Account {
        name: s(name.to_owned()),
        email: s(format!("aws+{name}@acme.example")),
        ou: s(OuPath::parse(ou)),
        purpose,
        tags: Tags::new(),
        origin: AccountOrigin::Explicit,
    }
}

fn group(name: &str, grants: &[(&str, &[&str])]) -> Group {
    Group {
        name: s(name.to_owned()),
        grants: grants
            .iter()
            .map(|(role, accounts)| Grant {
                role: (*role).to_owned(),
                path: groundwork_blueprint::DEFAULT_ROLE_PATH.to_owned(),
                accounts: accounts.iter().map(|a| (*a).to_owned()).collect(),
            })
            .collect(),
        managed_policies: Vec::new(),
        statements: Vec::new(),
    }
}

fn role(name: &str, accounts: &[&str], trust: RoleTrust) -> Role {
    Role {
        name: s(name.to_owned()),
        description: String::new(),
        accounts: accounts.iter().map(|a| (*a).to_owned()).collect(),
        trust,
        path: groundwork_blueprint::DEFAULT_ROLE_PATH.to_owned(),
        max_session_seconds: 3600,
        managed_policies: Vec::new(),
        statements: Vec::new(),
    }
}

fn identity(hub: Option<&str>, groups: Vec<Group>) -> Identity {
    Identity {
        account: hub.map(|h| s(h.to_owned())),
        password_policy: PasswordPolicy::default(),
        password_policy_everywhere: false,
        require_mfa: true,
        groups,
        users: Vec::new(),
        access_keys: groundwork_blueprint::AccessKeys::default(),
    }
}

/// The minimal example with an identity hub, two groups and grants to two roles added by hand
/// (the parser of this branch leaves `identity` and `roles` empty).
fn with_identity() -> Blueprint {
    let mut bp = load("examples/minimal.yaml");
    bp.organizational_units.push(ou("Security"));
    bp.accounts.push(account("identity", "Security", Purpose::Identity));
    bp.accounts.push(account("app-dev", "Workloads", Purpose::Workload));
    bp.roles = vec![
        role(
            "ReadOnly",
            &["app-dev", "app-prod"],
            RoleTrust::Hub {
                max_mfa_age_seconds: groundwork_blueprint::DEFAULT_MAX_MFA_AGE_SECONDS,
                session_name: groundwork_blueprint::SessionName::Username,
            },
        ),
        role(
            "Admin",
            &["app-dev", "app-prod"],
            RoleTrust::Hub { max_mfa_age_seconds: 3600, session_name: groundwork_blueprint::SessionName::Username },
        ),
    ];
    bp.identity = Some(identity(
        Some("identity"),
        vec![
            group("Admins", &[("Admin", &["app-dev", "app-prod"])]),
            group("Developers", &[("Admin", &["app-dev"]), ("ReadOnly", &["app-prod"])]),
        ],
    ));
    bp
}

#[test]
fn reference_blueprint_mermaid() {
    insta::assert_snapshot!(
        "reference_mermaid",
        render_graph(&load("blueprints/landing-zone.yaml"), GraphFormat::Mermaid)
    );
}

#[test]
fn reference_blueprint_dot() {
    insta::assert_snapshot!("reference_dot", render_graph(&load("blueprints/landing-zone.yaml"), GraphFormat::Dot));
}

#[test]
fn minimal_example_mermaid() {
    insta::assert_snapshot!("minimal_mermaid", render_graph(&load("examples/minimal.yaml"), GraphFormat::Mermaid));
}

#[test]
fn minimal_example_dot() {
    insta::assert_snapshot!("minimal_dot", render_graph(&load("examples/minimal.yaml"), GraphFormat::Dot));
}

#[test]
fn output_is_deterministic() {
    let bp = load("blueprints/landing-zone.yaml");
    for format in [GraphFormat::Mermaid, GraphFormat::Dot] {
        assert_eq!(render_graph(&bp, format), render_graph(&bp, format));
    }
}

#[test]
fn identity_grants_become_group_to_role_at_account_edges() {
    let bp = with_identity();
    let mermaid = render_graph(&bp, GraphFormat::Mermaid);
    // One subgraph per role, in `roles` order, holding the granted role@account nodes.
    let read_only = mermaid.find("subgraph cluster_role_ReadOnly[\"role ReadOnly, trust: hub, with MFA\"]").unwrap();
    let admin = mermaid.find("subgraph cluster_role_Admin[\"role Admin, trust: hub, MFA at most 3600s old\"]").unwrap();
    assert!(read_only < admin, "{mermaid}");
    assert!(mermaid.contains("    role_Admin_app_dev[\"Admin@app-dev\"]:::role\n"), "{mermaid}");
    assert!(mermaid.contains("    role_Admin_app_prod[\"Admin@app-prod\"]:::role\n"), "{mermaid}");
    assert!(mermaid.contains("    role_ReadOnly_app_prod[\"ReadOnly@app-prod\"]:::role\n"), "{mermaid}");
    // Granted nowhere: no node.
    assert!(!mermaid.contains("ReadOnly@app-dev"), "{mermaid}");
    for edge in [
        "group_Admins --> role_Admin_app_dev",
        "group_Admins --> role_Admin_app_prod",
        "group_Developers --> role_Admin_app_dev",
        "group_Developers --> role_ReadOnly_app_prod",
        // The hub holds the groups.
        "acct_identity --- group_Admins",
        "acct_identity --- group_Developers",
    ] {
        assert!(mermaid.contains(&format!("  {edge}\n")), "{edge} missing:\n{mermaid}");
    }
    assert!(!mermaid.contains("group_Developers --> role_Admin_app_prod"), "{mermaid}");
    assert!(mermaid.contains("subgraph cluster_groups[\"IAM groups in the hub account identity\"]"), "{mermaid}");
    assert!(mermaid.contains("acct_identity(\"identity<br/>identity<br/>identity hub\"):::identity\n"), "{mermaid}");
    assert!(mermaid.contains("  class acct_identity hub\n"), "{mermaid}");

    let dot = render_graph(&bp, GraphFormat::Dot);
    assert!(dot.contains("subgraph \"cluster_role_Admin\" {"), "{dot}");
    assert!(dot.contains("label=\"role Admin, trust: hub, MFA at most 3600s old\";"), "{dot}");
    assert!(dot.contains("\"role_Admin_app_dev\" [label=\"Admin@app-dev\", shape=box"), "{dot}");
    for edge in [
        "\"group_Admins\" -> \"role_Admin_app_dev\"",
        "\"group_Admins\" -> \"role_Admin_app_prod\"",
        "\"group_Developers\" -> \"role_Admin_app_dev\"",
        "\"group_Developers\" -> \"role_ReadOnly_app_prod\"",
        "\"acct_identity\" -> \"group_Admins\" [arrowhead=none",
    ] {
        assert!(dot.contains(&format!("  {edge}")), "{edge} missing:\n{dot}");
    }
    assert!(!dot.contains("\"group_Developers\" -> \"role_Admin_app_prod\""), "{dot}");
    assert!(dot.contains("label=\"identity\\nidentity\\nidentity hub\""), "{dot}");
    assert!(dot.contains("penwidth=3"), "{dot}");
    insta::assert_snapshot!("identity_mermaid", mermaid);
    insta::assert_snapshot!("identity_dot", dot);
}

#[test]
fn management_account_is_the_hub_when_identity_names_no_account() {
    let mut bp = with_identity();
    bp.identity.as_mut().unwrap().account = None;
    let mermaid = render_graph(&bp, GraphFormat::Mermaid);
    assert!(mermaid.contains("  management --- group_Admins\n"), "{mermaid}");
    assert!(mermaid.contains("  class management hub\n"), "{mermaid}");
    assert!(mermaid.contains("IAM groups in the management account (the hub)"), "{mermaid}");
    assert!(!mermaid.contains("identity hub"), "{mermaid}");
}

#[test]
fn names_are_escaped_and_ids_sanitized() {
    let mut bp = load("examples/minimal.yaml");
    bp.organizational_units.push(ou("Team \"A\" <x> & #1"));
    bp.organizational_units.push(ou("Team \"A\" <x> & #1/back\\slash"));
    bp.accounts.push(account("dev@team/a-1", "Team \"A\" <x> & #1/back\\slash", Purpose::Sandbox));
    // Sanitizes to the same id as the one above: gets a suffix.
    bp.accounts.push(account("dev_team_a_1", "Root", Purpose::Shared));
    bp.guardrails.policies.push(Guardrail {
        name: s("no-`ticks`".to_owned()),
        description: String::new(),
        builtin: None,
        document: serde_json::json!({}),
        targets: vec![s(Target::Ou(OuPath::parse("Team \"A\" <x> & #1"))), s(Target::Account("dev_team_a_1".into()))],
        allowed_regions: None,
    });
    bp.roles = vec![role("Ops\"Role", &["dev@team/a-1"], RoleTrust::Ec2)];
    bp.identity = Some(identity(None, vec![group("g/1", &[("Ops\"Role", &["dev@team/a-1"])])]));

    let mermaid = render_graph(&bp, GraphFormat::Mermaid);
    for expected in [
        "  OU_Team__A___x_____1[\"Team #quot;A#quot; #lt;x#gt; #amp; #35;1<br/>OU\"]:::ou\n",
        "  OU_Team__A___x_____1_back_slash[\"back\\slash<br/>OU\"]:::ou\n",
        "  acct_dev_team_a_1(\"dev@team/a-1<br/>sandbox\"):::sandbox\n",
        "  acct_dev_team_a_1_2(\"dev_team_a_1<br/>shared\"):::shared\n",
        "  scp_no__ticks_{{\"no-#96;ticks#96;<br/>SCP (custom)\"}}:::scp\n",
        "  subgraph cluster_role_Ops_Role[\"role Ops#quot;Role, trust: EC2\"]\n",
        "    role_Ops_Role_dev_team_a_1[\"Ops#quot;Role@dev@team/a-1\"]:::role\n",
        "    group_g_1>\"g/1<br/>IAM group\"]:::group\n",
        "  OU_Team__A___x_____1 --> OU_Team__A___x_____1_back_slash\n",
        "  OU_Team__A___x_____1_back_slash --> acct_dev_team_a_1\n",
        "  scp_no__ticks_ -.-> OU_Team__A___x_____1\n",
        "  scp_no__ticks_ -.-> acct_dev_team_a_1_2\n",
        "  group_g_1 --> role_Ops_Role_dev_team_a_1\n",
    ] {
        assert!(mermaid.contains(expected), "{expected:?} missing:\n{mermaid}");
    }
    // Every id is [A-Za-z0-9_]; no raw quote survives inside a label.
    for l in mermaid.lines() {
        let t = l.trim_start();
        if let Some((id, rest)) = t.split_once(['[', '(', '{', '>']).filter(|(id, _)| !id.contains(' ')) {
            assert!(id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'), "{l}");
            assert_eq!(rest.matches('"').count(), 2, "{l}");
        }
    }

    let dot = render_graph(&bp, GraphFormat::Dot);
    for expected in [
        "\"OU_Team__A___x_____1\" [label=\"Team \\\"A\\\" <x> & #1\\nOU\", shape=folder",
        "\"OU_Team__A___x_____1_back_slash\" [label=\"back\\\\slash\\nOU\", shape=folder",
        "subgraph \"cluster_OU_Team__A___x_____1_back_slash\" {",
        "label=\"Team \\\"A\\\" <x> & #1/back\\\\slash\";",
        "\"acct_dev_team_a_1\" [label=\"dev@team/a-1\\nsandbox\"",
        "\"acct_dev_team_a_1_2\" [label=\"dev_team_a_1\\nshared\"",
        "\"role_Ops_Role_dev_team_a_1\" [label=\"Ops\\\"Role@dev@team/a-1\"",
        "\"scp_no__ticks_\" -> \"OU_Team__A___x_____1\" [style=dashed, color=\"#b91c1c\", lhead=\"cluster_OU_Team__A___x_____1\"];",
        "\"group_g_1\" -> \"role_Ops_Role_dev_team_a_1\"",
    ] {
        assert!(dot.contains(expected), "{expected:?} missing:\n{dot}");
    }
}

#[test]
fn readme_picture_is_the_reference_blueprint() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md");
    let readme = std::fs::read_to_string(path).unwrap();
    let section = readme.split("## Picture of the organization\n").nth(1).expect("README section");
    let block = section.split("```mermaid\n").nth(1).and_then(|b| b.split("```").next()).expect("mermaid block");
    assert_eq!(
        block,
        render_graph(&load("blueprints/landing-zone.yaml"), GraphFormat::Mermaid),
        "the README's picture is stale: replace it with `cargo run -q -p groundwork-cli -- graph blueprints/landing-zone.yaml`"
    );
}

#[test]
fn identity_center_draws_group_to_permission_set_to_accounts() {
    let bp = load("examples/identity-center.yaml");
    let mermaid = render_graph(&bp, GraphFormat::Mermaid);
    for expected in [
        "sso_jira_admins>\"jira-admins<br/>SSO group (created)\"]:::group",
        "ps_jira_admins_JiraAdmin[\"JiraAdmin<br/>permission set, session 4h\"]:::role",
        "sso_jira_admins --> ps_jira_admins_JiraAdmin",
        "ps_jira_admins_JiraAdmin --> acct_jira_prod",
        "ps_auditors_Auditor --> management",
    ] {
        assert!(mermaid.contains(expected), "{expected:?} missing:\n{mermaid}");
    }
    assert!(!mermaid.contains("ps_jira_admins_JiraAdmin --> acct_webapp"), "Jira admins only in Jira accounts");
    insta::assert_snapshot!("identity_center_mermaid", mermaid);
    insta::assert_snapshot!("identity_center_dot", render_graph(&bp, GraphFormat::Dot));
}

#[test]
fn readme_single_sign_on_picture_is_the_identity_center_example() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md");
    let readme = std::fs::read_to_string(path).unwrap();
    let section = readme.split("### Single sign-on\n").nth(1).expect("README section");
    let block = section.split("```mermaid\n").nth(1).and_then(|b| b.split("```").next()).expect("mermaid block");
    assert_eq!(
        block,
        render_graph(&load("examples/identity-center.yaml"), GraphFormat::Mermaid),
        "the README's picture is stale: replace it with `cargo run -q -p groundwork-cli -- graph examples/identity-center.yaml`"
    );
}
