//! Unit tests of the import writer: hand-built organizations, no AWS.

use groundwork_blueprint::Tags;
use serde_json::{Value, json};

use super::*;
use crate::kinds::managed_policy::FORCE_MFA_POLICY;
use crate::resource::LiveResource;
use crate::state::{Desired, LiveOrganization, LiveOu, TAG_BLUEPRINT, TAG_MANAGED};
use groundwork_blueprint::{OuPath, RoleTrust};

const MGMT: &str = "111111111111";

fn tags(pairs: &[(&str, &str)]) -> Tags {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
}

fn account(id: &str, name: &str, parent: &str, pairs: &[(&str, &str)]) -> LiveAccount {
    LiveAccount {
        id: id.into(),
        name: name.into(),
        email: format!("aws+{name}@acme.example"),
        status: "ACTIVE".into(),
        parent: OuPath::parse(parent),
        tags: tags(pairs),
    }
}

fn options() -> ImportOptions {
    ImportOptions { home_region: "eu-west-1".into(), date: "2026-01-02".into(), ..ImportOptions::default() }
}

/// A small organization nobody applied groundwork to.
fn small() -> Found {
    let mut live = Live {
        organization: Some(LiveOrganization {
            id: "o-abc123".into(),
            feature_set: "ALL".into(),
            management_account_id: MGMT.into(),
            management_email: "root@acme.example".into(),
            root_id: "r-1".into(),
            policy_types: Vec::new(),
        }),
        ..Live::default()
    };
    for (id, path, t) in [
        ("ou-1", "Security", vec![("Owner", "security team")]),
        ("ou-2", "Workloads", vec![]),
        ("ou-3", "Workloads/Prod", vec![("Env", "prod")]),
        ("ou-4", "Sandbox", vec![]),
    ] {
        live.ous.push(LiveOu { id: id.into(), path: OuPath::parse(path), tags: tags(&t) });
    }
    live.accounts = vec![
        LiveAccount {
            id: MGMT.into(),
            name: "Acme".into(),
            email: "root@acme.example".into(),
            status: "ACTIVE".into(),
            parent: OuPath::root(),
            tags: Tags::new(),
        },
        account("222222222222", "log-archive", "Security", &[("CostCenter", "sec")]),
        account("333333333333", "identity", "Security", &[]),
        account("444444444444", "app-prod", "Workloads/Prod", &[("groundwork:workload", "app"), ("n", "007")]),
        account("555555555555", "sandbox-alice", "Sandbox", &[]),
        account("666666666666", "shared-net", "Root", &[]),
        LiveAccount { status: "SUSPENDED".into(), ..account("777777777777", "old", "Root", &[]) },
    ];
    live.normalize();
    let doc = |sid: &str, action: &str| {
        canonical(
            &json!({ "Version": "2012-10-17", "Statement": [{ "Sid": sid, "Effect": "Deny", "Action": action, "Resource": "*" }] }),
        )
    };
    // As the AWS side lists them: AWS's own `FullAWSAccess` is not listed; attachments name
    // their targets as discovery does (`account:#ID` for what a blueprint cannot name).
    let mut found = Found { live, ..Found::default() };
    let mut scp = |id: &str, name: &str, document: Value, targets: &[&str]| {
        found.scp_ids.insert(name.into(), id.into());
        let spec = json!({ "description": format!("{name} guardrail"), "document": document, "tags": {} });
        let at = Locator::new(Kind::Scp, None, name.into());
        found.live.resources.insert(Address::scp(name), LiveResource { at, spec });
        for t in targets {
            let a = ScpAttachmentSpec { policy: name.into(), target: (*t).into() };
            found.live.resources.insert(a.address(), LiveResource { at: a.locator(), spec: a.to_value() });
        }
    };
    scp(
        "p-2",
        "deny-leave",
        doc("DenyLeave", "organizations:LeaveOrganization"),
        &["Workloads", "Root", "account:sandbox-alice", &format!("account:#{MGMT}")],
    );
    scp("p-3", "bad-sid", doc("deny-things", "ec2:DeleteVpc"), &["Root"]);
    scp("p-4", "spare", doc("Spare", "s3:DeleteBucket"), &[]);
    found.live.resources.insert(
        Address::policy_type("SERVICE_CONTROL_POLICY"),
        LiveResource {
            at: Locator::new(Kind::PolicyType, None, "SERVICE_CONTROL_POLICY".into()),
            spec: json!({ "enabled": true }),
        },
    );
    found
}

fn canonical(v: &Value) -> Value {
    crate::resource::canonical_policy(v)
}

fn write(found: &Found, options: &ImportOptions) -> Imported {
    write_blueprint(found, options).unwrap_or_else(|d| panic!("{}", d.render_short()))
}

fn reparse(text: &str) -> groundwork_blueprint::Blueprint {
    groundwork_blueprint::parse("x.yaml", text.as_bytes())
        .unwrap_or_else(|d| panic!("{}\n{text}", d.render_short()))
        .blueprint
}

#[test]
fn a_small_organization_is_written_in_order_quoted_and_commented() {
    let imported = write(&small(), &options());
    let text = &imported.yaml;
    let bp = reparse(text);
    // Sections in the documented order.
    let at = |key: &str| text.find(&format!("\n{key}:")).unwrap_or_else(|| panic!("no {key} in\n{text}"));
    assert!(at("version") < at("organization") && at("organization") < at("organizational_units"));
    assert!(at("organizational_units") < at("accounts") && at("accounts") < at("guardrails"));
    assert!(text.starts_with("# yaml-language-server: $schema=blueprint.schema.json\n# Generated by `groundwork import` from organization o-abc123 (management account 111111111111) on 2026-01-02.\n"), "{text}");
    // Quoting: a number-like tag value, the policy version and `*` are quoted; a space is fine.
    assert!(text.contains("tags: { \"n\": \"007\" }"), "{text}");
    assert!(text.contains("Version: \"2012-10-17\""), "{text}");
    assert!(text.contains("Resource: \"*\""), "{text}");
    assert!(text.contains("tags: { Owner: security team }"), "{text}");
    // groundwork's own tags are dropped; purposes are guessed.
    assert!(!text.contains("groundwork:workload:"), "{text}");
    let purpose = |n: &str| bp.account(n).unwrap().purpose.as_str();
    assert_eq!(purpose("log-archive"), "log-archive");
    assert_eq!(purpose("app-prod"), "workload");
    assert_eq!(purpose("sandbox-alice"), "sandbox");
    assert_eq!(purpose("shared-net"), "shared");
    assert_eq!(purpose("identity"), "shared", "no --hub");
    assert_eq!(bp.organization.name.value, "imported");
    assert_eq!(bp.organization.management_name.as_ref().unwrap().value, "Acme");
    assert!(bp.account("old").is_none());
    assert!(text.contains("# Skipped: account old <aws+old@acme.example> (777777777777) is SUSPENDED"), "{text}");
    assert!(text.contains("could be folded into `workloads:`"), "{text}");
    // Guardrails: FullAWSAccess never; targets in order; the management account is a comment.
    assert_eq!(bp.guardrails.policies.len(), 1, "{text}");
    let g = &bp.guardrails.policies[0];
    assert_eq!(g.name.value, "deny-leave");
    assert_eq!(g.description, "deny-leave guardrail");
    let targets: Vec<String> = g.targets.iter().map(|t| t.value.to_string()).collect();
    assert_eq!(targets, ["Root", "Workloads", "account:sandbox-alice"]);
    assert!(
        text.contains("# Also attached to the management account (111111111111), which a blueprint cannot name"),
        "{text}"
    );
    assert!(text.contains("targets: [Root, { ou: Workloads }, { account: sandbox-alice }]"), "{text}");
    // Unattached and invalid SCPs are comments, with the reason.
    assert!(text.contains("# Not imported: SCP spare (p-4) is attached to nothing"), "{text}");
    assert!(text.contains("    # - name: spare"), "{text}");
    assert!(text.contains("# Not imported: it does not validate: Sid `deny-things`"), "{text}");
    assert_eq!(imported.commented.len(), 2, "{:?}", imported.commented);
    // No trail: a comment and a note.
    assert!(text.contains("# logging: no organization trail was found in eu-west-1"), "{text}");
    // The plan adopts the OUs, the accounts and the SCP, and nothing else.
    assert_eq!((imported.summary.add, imported.summary.change, imported.summary.delete), (0, 0, 0));
    assert_eq!(imported.summary.adopt, 4 + 5 + 1, "{text}");
    assert!(text.contains("#   > adopting 4 OUs, 5 accounts, 1 SCP: groundwork did not create them"), "{text}");
    // Stable.
    assert_eq!(write(&small(), &options()).yaml, imported.yaml);
}

#[test]
fn the_name_comes_from_the_blueprint_tag_and_the_log_account_is_guessed() {
    let mut found = small();
    for a in &mut found.live.accounts {
        if a.id != MGMT {
            a.tags.insert(TAG_MANAGED.into(), "true".into());
            a.tags.insert(TAG_BLUEPRINT.into(), "acme".into());
        }
    }
    assert_eq!(log_archive_account(&found.live, None).unwrap().name, "log-archive");
    assert_eq!(log_archive_account(&found.live, Some("identity")).unwrap().name, "identity");
    let imported = write(&found, &options());
    let bp = reparse(&imported.yaml);
    assert_eq!(bp.organization.name.value, "acme");
    assert!(
        imported.notes.iter().any(|n| n.contains("took log-archive as the log-archive account")),
        "{:?}",
        imported.notes
    );
    let named = write(&found, &ImportOptions { name: Some("other".into()), access_role: "Ops".into(), ..options() });
    let bp = reparse(&named.yaml);
    assert_eq!((bp.organization.name.value.as_str(), bp.organization.access_role.as_str()), ("other", "Ops"));
}

/// The reference landing zone as a perfect apply leaves it, read back as import reads it.
fn converged_reference() -> (Desired, Found) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../blueprints/landing-zone.yaml");
    let desired = Desired::from_blueprint(&groundwork_blueprint::load(&path).unwrap().blueprint);
    // Discovery's live state of the blueprint is what import lists, keyed the same way.
    let live = crate::state::synthetic::converged(&desired);
    let scp_ids = live
        .resources
        .values()
        .filter(|r| r.at.kind == Kind::Scp)
        .map(|r| (r.at.name.clone(), format!("p-{}", r.at.name)))
        .collect();
    let found = Found { live, scp_ids, ..Found::default() };
    (desired, found)
}

#[test]
fn the_reference_landing_zone_round_trips_without_a_change() {
    let (_, found) = converged_reference();
    let opts = ImportOptions { hub: Some("identity".into()), log_archive: Some("log-archive".into()), ..options() };
    let imported = write(&found, &opts);
    let text = &imported.yaml;
    assert!(imported.commented.is_empty(), "{:?}\n{text}", imported.commented);
    assert_eq!(imported.summary, Summary::default(), "{text}");
    assert!(text.contains("shows no changes.\n"), "{text}");
    let bp = reparse(text);
    // Planned against the same state, by the planner itself: nothing.
    let desired = Desired::from_blueprint(&bp);
    let mut live = found.live.clone();
    live.resources = crate::state::synthetic::converged(&desired).resources;
    assert_eq!(bp.organization.name.value, "acme");
    // What was reconstructed.
    let logging = bp.logging.as_ref().unwrap();
    assert_eq!(
        (logging.bucket.value.as_str(), logging.trail.value.as_str()),
        ("acme-cloudtrail-{account_id}", "org-trail")
    );
    assert_eq!((logging.retention_days, logging.object_lock.map(|l| l.days)), (Some(400), Some(365)));
    let identity = bp.identity.as_ref().unwrap();
    assert!(identity.require_mfa);
    assert_eq!(identity.password_policy.min_length, 16);
    let jira = identity.groups.iter().find(|g| g.name.value == "jira-admins").unwrap();
    assert_eq!(jira.grants.len(), 1);
    assert_eq!(jira.grants[0].accounts, ["jira-dev", "jira-prod"]);
    let role = |n: &str| bp.roles.iter().find(|r| r.name.value == n).unwrap_or_else(|| panic!("no role {n}"));
    assert_eq!(role("jira-admin").accounts, ["jira-dev", "jira-prod"]);
    assert_eq!(role("webapp-admin").max_session_seconds, 7200);
    assert_eq!(role("webapp-app").trust, RoleTrust::Ec2);
    // webapp-admin's bucket names hold the account name: `{account}` makes them one role.
    assert!(text.contains("arn:aws:s3:::acme-{account}-{account_id}"), "{text}");
    assert!(text.contains("\"aws:ResourceTag/workload\": jira"), "{text}");
    // Five in the file, protect-access-role, which groundwork attaches at Root, and
    // sandbox-limits, which the `sandbox` section attaches (written as the section, not as a
    // guardrail); the AI-services opt-out policy is a guardrail of its own type.
    assert_eq!(bp.guardrails.policies.len(), 7);
    assert_eq!(bp.guardrails.organization_policies.len(), 1);
    assert!(!text.contains("- name: sandbox-limits") && !text.contains("- name: protect-access-role"), "{text}");
    // The sandbox with its budget, root access, and the archive's flow-log delivery.
    let sandbox = bp.sandbox.as_ref().unwrap();
    assert_eq!(sandbox.accounts.iter().map(|a| a.name.as_str()).collect::<Vec<_>>(), ["sandbox-alice"]);
    assert_eq!(sandbox.accounts[0].owner_email, "alice@acme.example");
    assert_eq!((sandbox.budget.monthly_limit_usd, sandbox.budget.thresholds.as_slice()), (100, &[50, 80, 100][..]));
    assert!(text.contains("\nsandbox: {}\n"), "{text}");
    let root = bp.root_access.unwrap();
    assert!(root.credentials_management && root.root_sessions);
    assert_eq!(logging.flow_log_prefix.as_ref().map(|p| p.value.as_str()), Some("flow-logs"));
    assert!(bp.flow_logs.is_none(), "which VPCs were meant cannot be read back");
}

#[test]
fn roles_that_differ_between_accounts_groups_with_foreign_policies_and_users_with_their_own_are_comments() {
    let (_, mut found) = converged_reference();
    // jira-admin in jira-dev gets another session duration than in jira-prod.
    let resources = &mut found.live.resources;
    resources.get_mut(&Address::role(Some("jira-dev"), "jira-admin")).unwrap().spec["max_session_seconds"] =
        json!(7200);
    resources.get_mut(&Address::group(Some("identity"), "auditors")).unwrap().spec["inline_policies"]["handmade"] =
        json!({ "Version": "2012-10-17", "Statement": [] });
    resources.get_mut(&Address::user(Some("identity"), "bob")).unwrap().spec["managed_policies"] =
        json!(["arn:aws:iam::aws:policy/ReadOnlyAccess"]);
    let opts = ImportOptions { hub: Some("identity".into()), log_archive: Some("log-archive".into()), ..options() };
    let imported = write(&found, &opts);
    let text = &imported.yaml;
    let bp = reparse(text);
    assert!(bp.roles.iter().all(|r| r.name.value != "jira-admin"), "{text}");
    assert!(text.contains("its max_session_seconds differ between accounts (jira-dev / jira-prod)"), "{text}");
    // Both variants are there to copy from.
    assert!(text.contains("  # - name: jira-admin\n    # description:"), "{text}");
    // The grant to jira-admin cannot be a grant any more: the statement is kept as it is.
    let jira = bp.identity.as_ref().unwrap().groups.iter().find(|g| g.name.value == "jira-admins").unwrap();
    assert!(jira.grants.is_empty());
    assert_eq!(jira.statements[0]["Sid"], "AssumeGrantedRoles");
    assert!(text.contains("arn:aws:iam::{account_id:jira-dev}:role/groundwork/jira-admin"), "{text}");
    // Ids in SCPs are written as placeholders.
    assert!(text.contains("Resource: \"arn:aws:cloudtrail:*:{management_account_id}:trail/org-trail\""), "{text}");
    assert!(text.contains("\"aws:PrincipalAccount\": \"{account_id:identity}\""), "{text}");
    assert!(text.contains("group auditors: it has inline policies groundwork does not write (handmade)"), "{text}");
    // alice is in auditors, which is not imported; bob has a policy of his own.
    assert!(text.contains("user alice: it is in groups that are not imported (auditors)"), "{text}");
    assert!(text.contains("user bob: it has policies of its own"), "{text}");
    assert_eq!(imported.summary, Summary::default(), "{text}");
}

#[test]
fn changes_a_plan_would_make_are_commented_out_or_reported() {
    let (_, mut found) = converged_reference();
    // The bucket is not versioned and the ForceMFA policy was edited; the hub has no password policy.
    let resources = &mut found.live.resources;
    resources.get_mut(&Address::bucket("log-archive", "acme-cloudtrail-{account_id}")).unwrap().spec["versioning"] =
        json!("Suspended");
    resources.get_mut(&Address::managed_policy(Some("identity"), FORCE_MFA_POLICY)).unwrap().spec =
        json!({ "document": canonical(&json!({ "Version": "2012-10-17", "Statement": [] })) });
    resources.remove(&Address::password_policy(Some("identity"))).unwrap();
    let opts = ImportOptions { hub: Some("identity".into()), log_archive: Some("log-archive".into()), ..options() };
    let imported = write(&found, &opts);
    let text = &imported.yaml;
    let bp = reparse(text);
    assert!(bp.logging.is_none(), "{text}");
    assert!(
        text.contains(
            "# Not imported: a plan would update bucket/log-archive/acme-cloudtrail-{account_id}: versioning differ"
        ),
        "{text}"
    );
    assert!(text.contains("# logging:\n  # account: log-archive"), "{text}");
    // ForceMFA cannot be groundwork's: require_mfa is off, and the groups keep the policy by ARN.
    let identity = bp.identity.as_ref().unwrap();
    assert!(!identity.require_mfa);
    assert!(identity.groups[0].managed_policies.iter().any(|p| p.value.ends_with(":policy/groundwork-force-mfa")));
    // The missing password policy is one change that cannot be avoided: it is said.
    assert_eq!(imported.summary.add, 1, "{text}");
    assert!(text.contains("#   + password-policy/identity"), "{text}");
    assert!(text.contains("  # the hub has no password policy"), "{text}");
}

/// The alerts example as a perfect apply leaves it, read back as import reads it.
fn alerts_found(desired: &Desired) -> Found {
    Found { live: crate::state::synthetic::converged(desired), ..Found::default() }
}

#[test]
fn the_alerts_example_round_trips_without_a_change() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/alerts.yaml");
    let desired = Desired::from_blueprint(&groundwork_blueprint::load(&path).unwrap().blueprint);
    let found = alerts_found(&desired);
    let opts = ImportOptions { log_archive: Some("log-archive".into()), ..options() };
    let imported = write(&found, &opts);
    let text = &imported.yaml;
    assert!(imported.commented.is_empty(), "{:?}\n{text}", imported.commented);
    assert_eq!(imported.summary, Summary::default(), "{text}");
    let alerts = text.split("\nalerts:\n").nth(1).unwrap().split("\n\n").next().unwrap();
    assert_eq!(
        alerts,
        r##"  log_group: { retention_days: 90 }
  cis: { exclude: ["4.9"] }
  custom:
    - name: BreakGlassUse
      pattern: "{ $.userIdentity.arn = \"*:assumed-role/BreakGlass/*\" }"
    - name: RootUsageRepeated
      metric: RootAccountUsage
      threshold: 3
      period: 900
  topic: { email: [secops@acme.example] }
  slack: { account: log-archive, channel: "#security-alerts", token_env: GROUNDWORK_SLACK_TOKEN }
  iam_changes: { exclude: [CreateRole] }"##,
        "{text}"
    );
    let bp = reparse(text);
    let (a, b) = (bp.alerts.unwrap(), groundwork_blueprint::load(&path).unwrap().blueprint.alerts.unwrap());
    assert_eq!((a.log_group, a.filters, a.alarms, a.topic), (b.log_group, b.filters, b.alarms, b.topic));
}

#[test]
fn alerts_that_differ_from_the_catalogue_are_said_in_the_section() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/alerts.yaml");
    let desired = Desired::from_blueprint(&groundwork_blueprint::load(&path).unwrap().blueprint);
    let mut found = alerts_found(&desired);
    for r in found.live.resources.values_mut() {
        if r.at.kind == Kind::MetricFilter && r.at.name == "cis-4.5-CloudTrailChanges" {
            r.spec["pattern"] = json!("{ $.eventName = StopLogging }");
        }
    }
    let opts = ImportOptions { log_archive: Some("log-archive".into()), ..options() };
    let imported = write(&found, &opts);
    let text = &imported.yaml;
    assert_eq!(imported.summary, Summary::default(), "{text}");
    assert!(text.contains("\n  cis: { exclude: [\"4.5\", \"4.9\"] }\n"), "{text}");
    assert!(
        text.contains("  # CIS 4.5 differs from the catalogue: excluded, and cis-4.5-CloudTrailChanges written as a custom entry as found\n")
            && text.contains("    - name: cis-4.5-CloudTrailChanges\n      pattern: \"{ $.eventName = StopLogging }\"\n      metric: CloudTrailChanges\n      description: \"CIS 4.5: CloudTrail configuration changes\"\n"),
        "{text}"
    );
    // What a plan would change comments the section out, with the reason.
    for r in found.live.resources.values_mut().filter(|r| r.at.kind == Kind::LogGroup) {
        r.spec["retention_days"] = Value::Null;
    }
    let imported = write(&found, &opts);
    let text = &imported.yaml;
    assert!(text.contains("  # # Not imported: log group groundwork-org-trail keeps its events forever"), "{text}");
    assert!(imported.commented.iter().any(|c| c.starts_with("alerts: a plan would update log-group/")), "{text}");
}
