//! The `logging` and `guardrails` sections, lowered: the example blueprint, defaults, limits and
//! the size counting of policies with placeholders.

use std::fmt::Write as _;
use std::path::Path;

use groundwork_blueprint::{
    DEFAULT_ACCESS_ROLE, DEFAULT_MAX_PER_TARGET, DEFAULT_MAX_POLICY_CHARS, ObjectLockMode, OuPath, Target, scp_size,
};

fn load(rel: &str) -> groundwork_blueprint::Blueprint {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(rel);
    groundwork_blueprint::load(&path).unwrap_or_else(|d| panic!("{}", d.render_plain())).blueprint
}

/// A small valid organization followed by `tail`.
fn with(tail: &str) -> Result<groundwork_blueprint::Blueprint, String> {
    let src = format!(
        "version: 1
organization:
  name: acme
  home_region: eu-west-1
  management_account: {{ email: root@acme.example }}
organizational_units:
  - name: Workloads
accounts:
  - {{ name: logs, email: aws+logs@acme.example, ou: Workloads, purpose: log-archive }}
  - {{ name: app, email: aws+app@acme.example, ou: Workloads, purpose: workload }}
{tail}"
    );
    groundwork_blueprint::parse("t.yaml", src.as_bytes()).map(|p| p.blueprint).map_err(|d| d.render_short())
}

#[test]
fn example_lowers_logging_and_every_guardrail() {
    let bp = load("examples/logging-guardrails.yaml");
    assert_eq!(bp.organization.access_role, "OrganizationAccountAccessRole");
    let logging = bp.logging.as_ref().expect("logging");
    assert_eq!(logging.account.value, "log-archive");
    assert_eq!(logging.bucket.value, "acme-cloudtrail-{account_id}");
    assert_eq!(logging.trail.value, "org-trail");
    assert!(logging.all_regions && logging.log_file_validation);
    assert_eq!(logging.retention_days, Some(400));
    let lock = logging.object_lock.expect("object lock");
    assert_eq!((lock.mode, lock.days), (ObjectLockMode::Governance, 365));
    assert!(logging.kms_key_arn.is_none());

    let g = &bp.guardrails;
    assert_eq!((g.max_policy_chars, g.max_per_target), (5120, 5));
    let builtins: Vec<Option<&str>> = g.policies.iter().map(|p| p.builtin.as_deref()).collect();
    assert_eq!(
        builtins,
        [
            Some("deny-leave-organization"),
            Some("protect-cloudtrail"),
            Some("deny-root-user"),
            Some("deny-regions-outside"),
            Some("deny-iam-users-outside-identity"),
            None,
            None,
            // Not in the file: attached at Root because protect-cloudtrail exempts the access role.
            Some("protect-access-role"),
        ]
    );
    let implied = &g.policies[7];
    assert_eq!(implied.name.value, "protect-access-role");
    assert_eq!(implied.targets.iter().map(|t| &t.value).collect::<Vec<_>>(), [&Target::Root]);
    let region_lock = &g.policies[3];
    let targets: Vec<&Target> = region_lock.targets.iter().map(|t| &t.value).collect();
    assert_eq!(targets, [&Target::Ou(OuPath::parse("Workloads")), &Target::Account("sandbox-alice".into())]);
    assert_eq!(
        region_lock.document["Statement"][0]["Condition"]["StringNotEquals"]["aws:RequestedRegion"][1],
        "eu-central-1"
    );

    let protect = &g.policies[1].document;
    assert_eq!(protect["Statement"][1]["Resource"][0], "arn:aws:s3:::acme-cloudtrail-{account_id:log-archive}");
    assert_eq!(
        g.policies[4].document["Statement"][0]["Condition"]["StringNotEquals"]["aws:PrincipalAccount"],
        "{account_id:identity}"
    );

    // Descriptions: the built-in's default, the blueprint's own, the custom default.
    assert_eq!(g.policies[0].description, "Member accounts cannot leave the organization");
    assert_eq!(g.policies[2].description, "Root users of member accounts are break-glass only");
    assert_eq!(g.policies[6].description, "Managed by groundwork");

    // Custom documents become JSON as written: the flow mapping and the YAML one alike.
    let custom = &g.policies[6].document;
    assert_eq!(custom["Statement"][0]["Condition"]["Bool"]["ram:RequestedAllowsExternalPrincipals"], "true");
    assert_eq!(g.policies[5].document["Statement"][0]["Action"][0], "ec2:DeleteVpc");
    for p in &g.policies {
        assert!(scp_size(&p.document) <= 5120, "{}", p.name);
    }
}

#[test]
fn absent_sections_lower_to_defaults() {
    let bp = load("examples/minimal.yaml");
    assert!(bp.logging.is_none());
    assert!(bp.guardrails.policies.is_empty());
    assert_eq!(bp.guardrails.max_policy_chars, DEFAULT_MAX_POLICY_CHARS);
    assert_eq!(bp.guardrails.max_per_target, DEFAULT_MAX_PER_TARGET);
    assert_eq!(bp.organization.access_role, DEFAULT_ACCESS_ROLE);
}

#[test]
fn logging_defaults_and_access_role() {
    let bp = with("logging: { account: logs, bucket: \"a-{org_id}-{region}-{account_id}\", trail: t01 }\n").unwrap();
    let l = bp.logging.unwrap();
    assert!(l.all_regions && l.log_file_validation);
    assert!(!l.global_bucket_name && l.protection_exception_role.is_none());
    assert!(l.access_log_bucket.is_none() && l.data_events.is_none());
    assert_eq!((l.retention_days, l.object_lock), (None, None));

    let src = "version: 1\norganization:\n  name: acme\n  home_region: eu-west-1\n  management_account: { email: \
               root@acme.example }\n  access_role: GroundworkAdmin\n";
    let bp = groundwork_blueprint::parse("t.yaml", src.as_bytes()).unwrap().blueprint;
    assert_eq!(bp.organization.access_role, "GroundworkAdmin");
}

#[test]
fn the_access_role_is_exempted() {
    let src = "version: 1\norganization:\n  name: acme\n  home_region: eu-west-1\n  management_account: { email: \
               root@acme.example }\n  access_role: GroundworkAdmin\nguardrails:\n  policies:\n    - { name: r, builtin: \
               deny-regions-outside, allowed_regions: [eu-west-1], targets: [Root] }\n";
    let bp = groundwork_blueprint::parse("t.yaml", src.as_bytes()).unwrap_or_else(|d| panic!("{}", d.render_plain()));
    let doc = &bp.blueprint.guardrails.policies[0].document;
    assert_eq!(
        doc["Statement"][0]["Condition"]["ArnNotLike"]["aws:PrincipalArn"],
        "arn:aws:iam::*:role/GroundworkAdmin"
    );
}

fn five_on_root(limits: &str) -> String {
    let mut tail = format!("guardrails:\n{limits}  policies:\n");
    for i in 0..5 {
        let _ = writeln!(tail, "    - {{ name: p{i}, builtin: deny-root-user, targets: [Root] }}");
    }
    tail
}

#[test]
fn per_target_limit_counts_full_aws_access_and_can_be_raised() {
    let err = with(&five_on_root("")).unwrap_err();
    assert!(
        err.contains("the root would have 6 SCPs attached (5 guardrails and FullAWSAccess); AWS allows 5"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    let bp = with(&five_on_root("  limits: { max_per_target: 6 }\n")).unwrap();
    assert_eq!(bp.guardrails.max_per_target, 6);
}

#[test]
fn size_limit_counts_placeholders_expanded() {
    let doc = "{ Version: \"2012-10-17\", Statement: [{ Effect: Deny, Action: \"s3:*\", Resource: \"arn:aws:s3:::{org_id}\" }] }";
    let json = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{ "Effect": "Deny", "Action": "s3:*", "Resource": "arn:aws:s3:::{org_id}" }],
    });
    let written = serde_json::to_string(&json).unwrap().len();
    let measured = scp_size(&json);
    assert_eq!(measured, written - "{org_id}".len() + 34);
    let tail = |limit: usize| {
        format!(
            "guardrails:\n  limits: {{ max_policy_chars: {limit} }}\n  policies:\n    - {{ name: c, document: {doc}, targets: [Root] }}\n"
        )
    };
    // The written text fits, the expanded policy does not.
    let err = with(&tail(written)).unwrap_err();
    assert!(
        err.contains(&format!("guardrail `c` is {measured} characters, more than the {written} an SCP may have")),
        "{err}"
    );
    with(&tail(measured)).unwrap();
}

#[test]
fn protect_access_role_is_attached_at_root_unless_listed_or_opted_out() {
    let base = "guardrails:\n  policies:\n    - { name: lock, builtin: deny-regions-outside, allowed_regions: [eu-west-1], targets: [{ ou: Workloads }] }\n";
    let names = |bp: &groundwork_blueprint::Blueprint| {
        bp.guardrails.policies.iter().map(|p| p.name.value.clone()).collect::<Vec<_>>()
    };
    // Implied: at Root, with the access role's ARN as resource and exemption.
    let bp = with(base).unwrap();
    assert_eq!(names(&bp), ["lock", "protect-access-role"]);
    let doc = &bp.guardrails.policies[1].document["Statement"][0];
    assert_eq!(doc["Resource"], "arn:aws:iam::*:role/OrganizationAccountAccessRole");
    assert_eq!(doc["Action"].as_array().unwrap().len(), 12);
    assert_eq!(doc["Condition"]["ArnNotLike"]["aws:PrincipalArn"], "arn:aws:iam::*:role/OrganizationAccountAccessRole");
    // Listed at Root: once, as written.
    let listed =
        with(&format!("{base}    - {{ name: protect-access-role, builtin: protect-access-role, targets: [Root] }}\n"))
            .unwrap();
    assert_eq!(names(&listed), ["lock", "protect-access-role"]);
    // Opted out with a reason: not attached, and the reason is kept.
    let off = with(&format!(
        "{base}  access_role_protection: {{ disabled: true, reason: \"tested in a sandbox organization\" }}\n"
    ))
    .unwrap();
    assert_eq!(names(&off), ["lock"]);
    assert_eq!(off.guardrails.access_role_protection_disabled.as_deref(), Some("tested in a sandbox organization"));
    // Nothing exempts the access role: nothing to protect.
    let plain =
        with("guardrails:\n  policies:\n    - { name: stay, builtin: deny-leave-organization, targets: [Root] }\n")
            .unwrap();
    assert_eq!(names(&plain), ["stay"]);
}

#[test]
fn prune_is_off_unless_the_section_says_true() {
    assert!(!load("examples/minimal.yaml").guardrails.prune);
    assert!(!with("guardrails: { policies: [] }\n").unwrap().guardrails.prune);
    assert!(with("guardrails: { prune: true, policies: [] }\n").unwrap().guardrails.prune);
    assert!(!with("guardrails: { prune: false }\n").unwrap().guardrails.prune);
    let err = with("guardrails:\n  prune: yes\n").unwrap_err();
    assert!(
        err.contains("t.yaml:12:10: error[blueprint::wrong-type]: guardrails.prune must be true or false"),
        "{err}"
    );
}
