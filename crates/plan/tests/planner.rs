//! Planner tests: a pure function of desired and live state, no AWS.

use groundwork_blueprint::{OuPath, Tags};
use groundwork_plan::synthetic::converged;
use groundwork_plan::{
    Action, Address, CreateRequest, Desired, Difference, Drift, DriftKind, Live, LiveAccount, LiveOrganization, LiveOu,
    Operation, PlanOptions, Render, TAG_BLUEPRINT, TAG_MANAGED, plan, render_text,
};

fn desired() -> Desired {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../blueprints/landing-zone.yaml");
    Desired::from_blueprint(&groundwork_blueprint::load(&path).unwrap().blueprint)
}

fn org() -> LiveOrganization {
    converged(&desired()).organization.unwrap()
}

fn management() -> LiveAccount {
    converged(&desired()).accounts.into_iter().find(|a| a.id == "123456789012").unwrap()
}

#[test]
fn empty_emulator_creates_everything_in_dependency_order() {
    let d = desired();
    let p = plan(&d, &Live::default(), PlanOptions::default());
    let s = p.summary();
    // Every resource but the read-only checks (the access roles, which the plan only reads).
    let writable = d.resources.iter().filter(|r| !r.at.kind.report_only()).count();
    assert_eq!((s.add, s.change, s.adopt), (1 + d.ous.len() + d.accounts.len() + writable, 0, 0));
    assert_eq!(p.changes[0].address, Address::organization());
    let pos = |a: &str| p.changes.iter().position(|c| c.address.as_str() == a).unwrap();
    assert!(pos("ou/Workloads") < pos("ou/Workloads/Prod"));
    assert!(pos("ou/Workloads/Prod") < pos("account/jira-prod"));
    let jira = p.change(&Address::account("jira-prod")).unwrap();
    assert!(jira.depends_on.contains(&Address::ou(&OuPath::parse("Workloads/Prod"))));
    insta::assert_snapshot!("create_everything_text", render_text(&p));
}

#[test]
fn converged_state_plans_nothing() {
    let d = desired();
    let p = plan(&d, &converged(&d), PlanOptions::default());
    assert!(p.is_empty(), "{}", render_text(&p));
    assert!(p.drift.is_empty() && p.errors.is_empty() && p.warnings.is_empty());
    assert!(render_text(&p).ends_with("No changes. The organization matches the blueprint.\n"));
}

/// Moves jira-prod to Sandbox in a live state; returns its id.
fn move_jira_to_sandbox(live: &mut Live) -> String {
    let jira = live.accounts.iter_mut().find(|a| a.name == "jira-prod").unwrap();
    jira.parent = OuPath::parse("Sandbox");
    jira.id.clone()
}

#[test]
fn moved_account_is_one_update_with_a_drift_note() {
    let d = desired();
    let mut live = converged(&d);
    move_jira_to_sandbox(&mut live);
    let p = plan(&d, &live, PlanOptions::default());
    assert_eq!(p.changes.len(), 1);
    let c = &p.changes[0];
    assert_eq!(c.action, Action::Update);
    assert!(matches!(&c.operation, Operation::UpdateAccount { move_from: Some(f), move_to: Some(t), set_tags, .. }
        if f.to_string() == "Sandbox" && t.to_string() == "Workloads/Prod" && set_tags.is_empty()));
    assert_eq!(p.drift.len(), 1);
    insta::assert_snapshot!("moved_account_text", render_text(&p));
    let mut json = serde_json::to_value(&p).unwrap();
    json["live_fingerprint"] = "[fingerprint]".into();
    insta::assert_json_snapshot!("moved_account_json", json);
}

#[test]
fn matching_email_is_adopted_and_strangers_are_left_alone() {
    let d = desired();
    let mut live = converged(&d);
    let identity = live.accounts.iter_mut().find(|a| a.name == "identity").unwrap();
    identity.tags = Tags::new();
    identity.name = "Identity (legacy)".into();
    identity.parent = OuPath::root();
    live.accounts.push(LiveAccount {
        id: "999999999999".into(),
        name: "stranger".into(),
        email: "someone@else.example".into(),
        status: "ACTIVE".into(),
        parent: OuPath::root(),
        tags: Tags::new(),
    });
    live.ous.push(LiveOu { id: "ou-x".into(), path: OuPath::parse("Legacy"), tags: Tags::new() });
    let p = plan(&d, &live, PlanOptions::default());
    assert_eq!(p.changes.len(), 1);
    let c = &p.changes[0];
    assert_eq!((c.address.as_str(), c.action), ("account/identity", Action::Adopt));
    let Operation::UpdateAccount { set_tags, move_to, .. } = &c.operation else { panic!() };
    assert_eq!(set_tags.get(TAG_MANAGED).map(String::as_str), Some("true"));
    assert_eq!(move_to.as_ref().map(ToString::to_string).as_deref(), Some("Security"));
    assert!(p.warnings.iter().any(|w| w.contains("does not rename")), "{:?}", p.warnings);
    let names: Vec<&str> = p.unmanaged.iter().map(|u| u.name.as_str()).collect();
    assert_eq!(names, ["Legacy", "stranger <someone@else.example>"]);
    assert!(p.summary().adopt == 1);
}

#[test]
fn an_scp_or_user_groundwork_did_not_create_is_adopted_when_only_its_tags_differ() {
    let d = desired();
    let mut live = converged(&d);
    let scp = "scp/deny-leave-org".parse::<Address>().unwrap();
    live.resources.get_mut(&scp).unwrap().spec["tags"] = serde_json::json!({});
    let alice = "iam-user/identity/alice".parse::<Address>().unwrap();
    live.resources.get_mut(&alice).unwrap().spec["tags"] = serde_json::json!({ "Team": "it" });
    let p = plan(&d, &live, PlanOptions::default());
    let actions: Vec<(&str, Action)> = p.changes.iter().map(|c| (c.address.as_str(), c.action)).collect();
    assert_eq!(actions, [("scp/deny-leave-org", Action::Adopt), ("iam-user/identity/alice", Action::Adopt)]);
    assert!(p.drift.is_empty(), "{:?}", p.drift);
    // Owned by groundwork (tagged), a tag difference is drift, and another difference is never adoption.
    let mut live = converged(&d);
    live.resources.get_mut(&alice).unwrap().spec["tags"]["Team"] = "ops".into();
    live.resources.get_mut(&scp).unwrap().spec["tags"] = serde_json::json!({});
    live.resources.get_mut(&scp).unwrap().spec["description"] = "edited".into();
    let p = plan(&d, &live, PlanOptions::default());
    assert!(p.changes.iter().all(|c| c.action == Action::Update), "{}", render_text(&p));
    assert_eq!(p.drift.len(), 2);
}

#[test]
fn preflight_errors_block_the_plan() {
    let d = desired();
    // Another organization.
    let mut live = converged(&d);
    live.organization.as_mut().unwrap().management_email = "root@other.example".into();
    assert!(plan(&d, &live, PlanOptions::default()).errors[0].contains("another organization"));
    // Quota.
    let live = Live { organization: Some(org()), accounts: vec![management()], ..Live::default() };
    let p = plan(&d, &live, PlanOptions { account_quota: Some(5) });
    assert!(!p.applyable());
    assert!(p.errors.iter().any(|e| e.contains("quota of 5")), "{:?}", p.errors);
    // Owned by another blueprint.
    let mut live = converged(&d);
    let a = live.accounts.iter_mut().find(|a| a.name == "jira-dev").unwrap();
    a.tags.insert(TAG_BLUEPRINT.into(), "other".into());
    assert!(plan(&d, &live, PlanOptions::default()).errors.iter().any(|e| e.contains("refusing to take it over")));
}

#[test]
fn in_progress_request_is_resumed_not_duplicated() {
    let d = desired();
    let mut live = converged(&d);
    live.accounts.retain(|a| a.name != "webapp-prod");
    live.create_requests.push(CreateRequest {
        id: "car-1".into(),
        account_name: "webapp-prod".into(),
        state: "IN_PROGRESS".into(),
        failure_reason: None,
    });
    live.resources.retain(|_, r| r.at.account.as_deref() != Some("webapp-prod"));
    let p = plan(&d, &live, PlanOptions::default());
    let accounts: Vec<_> = p.changes.iter().filter(|c| c.address.as_str().starts_with("account/")).collect();
    assert_eq!(accounts.len(), 1);
    assert!(accounts[0].reason.contains("car-1"), "{}", accounts[0].reason);
    // Its roles wait for it: they depend on the account's change.
    let role = p.change(&"iam-role/webapp-prod/webapp-admin".parse::<Address>().unwrap()).unwrap();
    assert!(role.depends_on.contains(&Address::account("webapp-prod")), "{:?}", role.depends_on);
}

#[test]
fn fingerprint_ignores_order_but_not_content() {
    let d = desired();
    let a = converged(&d);
    let mut b = a.clone();
    b.accounts.reverse();
    assert_eq!(a.fingerprint(), b.fingerprint());
    b.accounts[0].parent = OuPath::parse("Sandbox");
    assert_ne!(a.fingerprint(), b.fingerprint());
}

#[test]
fn saved_plan_round_trips_through_json() {
    let d = desired();
    let p = plan(&d, &Live::default(), PlanOptions::default());
    let text = serde_json::to_string(&p).unwrap();
    let back: groundwork_plan::Plan = serde_json::from_str(&text).unwrap();
    assert_eq!(back, p);
}

fn load(path: &str) -> Desired {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(path);
    Desired::from_blueprint(&groundwork_blueprint::load(&path).unwrap().blueprint)
}

/// The organization in place, none of the resources yet.
fn organization_only(d: &Desired) -> Live {
    Live { resources: std::collections::BTreeMap::new(), ..converged(d) }
}

#[test]
fn identity_lowers_to_hub_resources_and_roles_scoped_per_account() {
    let d = load("examples/identity.yaml");
    let live = organization_only(&d);
    let ids = live.ids(&d);
    let p = plan(&d, &live, PlanOptions::default());
    let spec = |a: &str| match &p.change(&a.parse::<Address>().unwrap()).unwrap_or_else(|| panic!("no {a}")).operation {
        Operation::Put { spec, .. } => spec.clone(),
        other => panic!("{a}: {other:?}"),
    };
    let (hub, jira_prod) = (&ids.accounts["identity"], &ids.accounts["jira-prod"]);

    // The password policy lives in every account (the baseline's `password_policy`, on by
    // default), the management account included, with the hub's settings.
    let policies: Vec<&str> =
        p.changes.iter().map(|c| c.address.as_str()).filter(|a| a.starts_with("password-policy/")).collect();
    assert_eq!(policies.len(), d.accounts.len() + 1, "{policies:?}");
    assert!(policies.contains(&"password-policy/identity") && policies.contains(&"password-policy/management"));
    assert_eq!(spec("password-policy/identity")["min_length"], 16);
    assert_eq!(spec("password-policy/jira-prod")["min_length"], 16);

    // jira-admins may assume jira-admin in jira-prod only (environments: [prod]), and auditor in
    // the jira accounts: exactly those ARNs, ids filled in.
    let group = spec("iam-group/identity/jira-admins");
    let statements = group["inline_policies"]["groundwork"]["Statement"].as_array().unwrap();
    let assume = statements.iter().find(|s| s["Sid"] == "AssumeGrantedRoles").unwrap();
    let resources: Vec<&str> = assume["Resource"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    assert!(
        resources.contains(&format!("arn:aws:iam::{jira_prod}:role/groundwork/jira-admin").as_str()),
        "{resources:?}"
    );
    assert!(!resources.iter().any(|r| r.contains('*')), "no wildcard over accounts: {resources:?}");
    assert!(!resources.iter().any(|r| r.contains(ids.accounts["jira-dev"].as_str()) && r.ends_with("/jira-admin")));
    let managed = group["managed_policies"].as_array().unwrap();
    assert!(managed.contains(&serde_json::json!(format!("arn:aws:iam::{hub}:policy/groundwork-force-mfa"))));

    // Roles: trust the hub with MFA; resources expanded for their own account only.
    let role = spec("iam-role/jira-prod/jira-admin");
    let trust = &role["trust"]["Statement"][0];
    assert_eq!(trust["Principal"]["AWS"][0], format!("arn:aws:iam::{hub}:root"));
    assert_eq!(trust["Condition"]["Bool"]["aws:MultiFactorAuthPresent"][0], "true");
    assert_eq!(trust["Condition"]["NumericLessThan"]["aws:MultiFactorAuthAge"][0], "3600");
    // Only the hub's IAM users, each under their own name.
    assert_eq!(trust["Condition"]["ArnLike"]["aws:PrincipalArn"][0], format!("arn:aws:iam::{hub}:user/*"));
    assert_eq!(trust["Condition"]["StringEquals"]["sts:RoleSessionName"][0], "${aws:username}");
    // groundwork's marker: the path and the ownership tags.
    assert_eq!(role["path"], "/groundwork/");
    assert_eq!(role["tags"], serde_json::json!({ "groundwork:managed": "true", "groundwork:blueprint": d.blueprint }));
    let text = role["inline_policies"].to_string();
    assert!(text.contains(&format!(":{jira_prod}:instance/*")), "{text}");
    assert!(text.contains("\"jira\""), "{{workload}} expanded: {text}");
    assert!(p.change(&"iam-role/webapp-prod/jira-admin".parse::<Address>().unwrap()).is_none());

    // A workload role with its instance profile, after the role.
    let profile = p.change(&"instance-profile/webapp-prod/webapp-app".parse::<Address>().unwrap()).unwrap();
    assert!(profile.depends_on.contains(&"iam-role/webapp-prod/webapp-app".parse::<Address>().unwrap()));
    assert_eq!(
        spec("iam-role/webapp-prod/webapp-app")["trust"]["Statement"][0]["Principal"]["Service"][0],
        "ec2.amazonaws.com"
    );

    // Users: groups only, nothing of their own.
    let alice = spec("iam-user/identity/alice");
    assert_eq!(alice["console"], true);
    assert_eq!(alice["managed_policies"], serde_json::json!([]));
    assert_eq!(alice["inline_policies"], serde_json::json!([]));

    // And a converged organization plans nothing.
    let again = plan(&d, &converged(&d), PlanOptions::default());
    assert!(again.changes.is_empty(), "{}", render_text(&again));
}

#[test]
fn a_management_account_hub_puts_identity_in_the_management_account() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/identity.yaml");
    let src = std::fs::read_to_string(path).unwrap().replace("  account: identity\n", "  account: management\n");
    let parsed = groundwork_blueprint::parse("hub.yaml", src.as_bytes()).unwrap();
    assert!(!parsed.warnings.items.is_empty(), "a management hub is warned against");
    let d = Desired::from_blueprint(&parsed.blueprint);
    let live = organization_only(&d);
    let p = plan(&d, &live, PlanOptions::default());
    let change = |a: &str| p.change(&a.parse::<Address>().unwrap()).unwrap_or_else(|| panic!("no {a}"));
    let Operation::Put { at, .. } = &change("iam-group/management/jira-admins").operation else { panic!() };
    assert_eq!(at.account, None, "the group lives in the management account");
    let Operation::Put { spec, .. } = &change("iam-role/jira-prod/jira-admin").operation else { panic!() };
    assert_eq!(spec["trust"]["Statement"][0]["Principal"]["AWS"][0], "arn:aws:iam::123456789012:root");
    assert!(change("password-policy/management").after.is_some());
}

#[test]
fn a_wider_access_role_trust_is_drift_and_a_finding_never_a_change() {
    let d = desired();
    let mut live = converged(&d);
    let address = "access-role/jira-prod".parse::<Address>().unwrap();
    let check = live.resources.get_mut(&address).expect("an access-role check per member account");
    let mut trusted = check.spec["trusted_principals"].as_array().unwrap().clone();
    trusted.push(serde_json::json!("arn:aws:iam::999999999999:root"));
    check.spec["trusted_principals"] = serde_json::Value::Array(trusted);
    let p = plan(&d, &live, PlanOptions::default());
    assert!(p.is_empty(), "apply must never rewrite the access role's trust: {}", render_text(&p));
    assert_eq!(p.findings.len(), 1);
    assert_eq!(p.findings[0].address, address);
    assert_eq!(p.findings[0].account.as_deref(), Some("jira-prod"));
    assert_eq!(p.findings[0].values, ["arn:aws:iam::999999999999:root"]);
    assert_eq!(p.drift.len(), 1);
    assert!(p.drift[0].contains("arn:aws:iam::999999999999:root"), "{:?}", p.drift);
}

#[test]
fn drift_groups_changes_then_findings_by_account_and_the_rest_under_the_organization() {
    let d = desired();
    let mut live = converged(&d);
    let jira_id = move_jira_to_sandbox(&mut live);
    let security = live.ous.iter_mut().find(|o| o.path == OuPath::parse("Security")).unwrap();
    security.tags.insert("Owner".into(), "someone".into());
    let address = "access-role/jira-prod".parse::<Address>().unwrap();
    let check = live.resources.get_mut(&address).unwrap();
    let mut trusted = check.spec["trusted_principals"].as_array().unwrap().clone();
    trusted.push(serde_json::json!("arn:aws:iam::999999999999:root"));
    check.spec["trusted_principals"] = serde_json::Value::Array(trusted);
    let p = plan(&d, &live, PlanOptions::default());
    let drift = Drift::of(&p);
    assert!(!drift.clean);
    assert_eq!(drift.differences, 3);
    let groups: Vec<&str> = drift.groups.iter().map(|g| g.group.as_str()).collect();
    assert_eq!(groups, [format!("account jira-prod ({jira_id})").as_str(), "organization"]);
    let kinds: Vec<DriftKind> = drift.groups[0]
        .differences
        .iter()
        .map(|d| match d {
            Difference::Change { kind, .. } | Difference::NotRepaired { kind, .. } => *kind,
        })
        .collect();
    assert_eq!(kinds, [DriftKind::Differs, DriftKind::NotRepaired], "changes first, then findings");
    assert_eq!(drift.summary, "Drift: 3 differences in 2 groups (1 account).");
    insta::assert_snapshot!("drift_text", drift.styled().plain());
    insta::assert_json_snapshot!("drift_json", drift.json());

    let clean = plan(&d, &converged(&d), PlanOptions::default());
    let clean = Drift::of(&clean);
    assert!(clean.clean && clean.groups.is_empty());
    assert_eq!(clean.styled().plain(), "No drift: the organization matches the blueprint.\n");
}
