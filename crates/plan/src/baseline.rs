//! Where the account baseline (the blueprint's `baseline` section) lives: which accounts its
//! targets select, and the (account, region) pairs a regional kind of it expands to. Each
//! baseline kind's lowering is in its own module under [`crate::kinds`]; [`resources`] calls
//! them in turn.
//!
//! ```
//! let bp = groundwork_blueprint::parse("x.yaml", b"version: 1
//! organization: { name: x, home_region: eu-west-1, management_account: { email: root@x.example } }
//! organizational_units: [{ name: Prod }]
//! accounts: [{ name: app, email: aws+app@x.example, ou: Prod }]
//! baseline: { regions: [eu-west-1, eu-central-1] }
//! ").unwrap().blueprint;
//! let pairs = groundwork_plan::baseline::pairs(&bp);
//! assert_eq!(pairs[0], (None, "eu-west-1".to_owned())); // the management account comes first
//! assert_eq!(pairs.len(), 4);
//! ```

use groundwork_blueprint::{Account, Blueprint, Regions};

use crate::resource::DesiredResource;

/// The accounts the baseline applies in, in blueprint order with the management account
/// (`None`) first; empty when the baseline is off.
pub fn accounts(bp: &Blueprint) -> Vec<Option<&str>> {
    if !bp.baseline.enabled {
        return Vec::new();
    }
    let selected = |a: Option<&Account>| bp.baseline.targets.iter().any(|t| t.value.selects(a));
    let management = selected(None).then_some(None);
    management
        .into_iter()
        .chain(bp.accounts.iter().filter(|a| selected(Some(a))).map(|a| Some(a.name.value.as_str())))
        .collect()
}

/// The regions the region locks that apply to `account` allow: the `allowed_regions` of each
/// `deny-regions-outside` guardrail attached to the root, to the account's OU or one above it,
/// or to the account; with several, the regions every one of them allows (in the first one's
/// order). `None` when no region lock applies (always so for the management account: SCPs
/// never apply to it).
pub fn allowed_regions(bp: &Blueprint, account: Option<&str>) -> Option<Vec<String>> {
    let account = account?;
    let a = bp.account(account)?;
    let mut out: Option<Vec<String>> = None;
    for g in &bp.guardrails.policies {
        let Some(regions) = &g.allowed_regions else { continue };
        if !g.targets.iter().any(|t| t.value.selects(Some(a))) {
            continue;
        }
        out = Some(match out {
            None => regions.clone(),
            Some(so_far) => so_far.into_iter().filter(|r| regions.contains(r)).collect(),
        });
    }
    out
}

/// The regions a selector names in `account`: the home region, the region locks' allowed
/// regions (the home region where none applies), or the list as written.
pub fn regions(bp: &Blueprint, selector: &Regions, account: Option<&str>) -> Vec<String> {
    let home = || vec![bp.organization.home_region.value.clone()];
    match selector {
        Regions::Home => home(),
        Regions::Allowed => allowed_regions(bp, account).unwrap_or_else(home),
        Regions::List(list) => list.clone(),
    }
}

/// Every (account, region) pair of the baseline: each of its [`accounts`] in each of the
/// regions `baseline.regions` names there.
pub fn pairs(bp: &Blueprint) -> Vec<(Option<&str>, String)> {
    accounts(bp)
        .into_iter()
        .flat_map(|account| regions(bp, &bp.baseline.regions, account).into_iter().map(move |r| (account, r)))
        .collect()
}

/// Every resource of the account baseline, kind by kind; its password policy is lowered with
/// the hub's, in `kinds::password_policy::lower` (one policy per account, whoever asks for it).
pub(crate) fn resources(bp: &Blueprint, out: &mut Vec<DesiredResource>) {
    crate::kinds::account_public_access_block::lower(bp, out);
    crate::kinds::ebs_encryption::lower(bp, out);
    crate::kinds::role::lower_baseline(bp, out);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::Address;

    fn blueprint(baseline: &str, guardrails: &str) -> Blueprint {
        let src = format!(
            "version: 1
organization: {{ name: acme, home_region: eu-west-1, management_account: {{ email: root@acme.example }} }}
organizational_units:
  - name: Security
  - name: Workloads
    children: [{{ name: Prod }}, {{ name: Dev }}]
accounts:
  - {{ name: logs, email: aws+logs@acme.example, ou: Security, purpose: log-archive }}
  - {{ name: app-prod, email: aws+app-prod@acme.example, ou: Workloads/Prod }}
  - {{ name: app-dev, email: aws+app-dev@acme.example, ou: Workloads/Dev }}
{baseline}{guardrails}"
        );
        groundwork_blueprint::parse("t.yaml", src.as_bytes())
            .unwrap_or_else(|d| panic!("{}", d.render_plain()))
            .blueprint
    }

    fn text(pairs: &[(Option<&str>, String)]) -> Vec<String> {
        pairs.iter().map(|(a, r)| format!("{}/{r}", a.unwrap_or("management"))).collect()
    }

    const LOCKS: &str = "guardrails:
  policies:
    - { name: lock, builtin: deny-regions-outside, allowed_regions: [eu-west-1, eu-central-1, us-east-1], targets: [{ ou: Workloads }] }
    - { name: lock-prod, builtin: deny-regions-outside, allowed_regions: [us-east-1, eu-west-1], targets: [{ account: app-prod }] }
";

    #[test]
    fn by_default_every_account_gets_the_region_locks_allowed_regions_else_the_home_region() {
        let bp = blueprint("", LOCKS);
        assert_eq!(accounts(&bp), [None, Some("logs"), Some("app-prod"), Some("app-dev")]);
        assert_eq!(
            text(&pairs(&bp)),
            [
                "management/eu-west-1",
                "logs/eu-west-1",
                // Both locks apply to app-prod: the regions both allow, in the first one's order.
                "app-prod/eu-west-1",
                "app-prod/us-east-1",
                "app-dev/eu-west-1",
                "app-dev/eu-central-1",
                "app-dev/us-east-1",
            ]
        );
        // Without a region lock: the home region everywhere.
        assert_eq!(
            text(&pairs(&blueprint("", ""))),
            ["management/eu-west-1", "logs/eu-west-1", "app-prod/eu-west-1", "app-dev/eu-west-1"]
        );
    }

    #[test]
    fn home_and_a_list_are_the_same_in_every_account() {
        let bp = blueprint("baseline: { regions: home }\n", LOCKS);
        assert!(pairs(&bp).iter().all(|(_, r)| r == "eu-west-1"));
        assert_eq!(pairs(&bp).len(), 4);
        let bp = blueprint("baseline: { regions: [us-west-2, eu-west-1] }\n", LOCKS);
        assert_eq!(pairs(&bp).len(), 8);
        assert_eq!(text(&pairs(&bp))[..2], ["management/us-west-2", "management/eu-west-1"]);
    }

    #[test]
    fn targets_narrow_the_accounts_and_only_root_selects_the_management_account() {
        let bp = blueprint("baseline: { targets: [{ ou: Workloads }, { account: logs }] }\n", LOCKS);
        assert_eq!(accounts(&bp), [Some("logs"), Some("app-prod"), Some("app-dev")]);
        let bp = blueprint("baseline: { targets: [{ ou: Workloads/Dev }], regions: home }\n", "");
        assert_eq!(text(&pairs(&bp)), ["app-dev/eu-west-1"]);
        assert!(pairs(&blueprint("baseline: { enabled: false }\n", LOCKS)).is_empty());
    }

    #[test]
    fn the_lowering_gives_one_block_per_account_and_one_setting_per_pair() {
        let bp = blueprint("baseline: { targets: [{ ou: Workloads/Dev }, { account: logs }] }\n", LOCKS);
        let mut out = Vec::new();
        resources(&bp, &mut out);
        let addresses: Vec<&str> = out.iter().map(|r| r.address.as_str()).collect();
        assert_eq!(
            addresses,
            [
                "s3-account-public-access-block/logs",
                "s3-account-public-access-block/app-dev",
                "ebs-encryption/logs/eu-west-1",
                "ebs-encryption/app-dev/eu-west-1",
                "ebs-encryption/app-dev/eu-central-1",
                "ebs-encryption/app-dev/us-east-1",
            ]
        );
        let ebs = out.iter().find(|r| r.address == Address::ebs_encryption(Some("app-dev"), "eu-central-1")).unwrap();
        assert_eq!(ebs.at.region.as_deref(), Some("eu-central-1"));
        assert_eq!(ebs.at.account.as_deref(), Some("app-dev"));
        assert!(
            out.iter().filter(|r| r.at.kind == crate::Kind::AccountPublicAccessBlock).all(|r| r.at.region.is_none())
        );
        let off = blueprint("baseline: { ebs_encryption: false, s3_public_access_block: false }\n", "");
        let mut none = Vec::new();
        resources(&off, &mut none);
        assert!(none.is_empty());
    }

    const HUB: &str = "  - { name: identity, email: aws+identity@acme.example, ou: Security, purpose: identity }
identity:
  account: identity
  password_policy: { min_length: 20 }
  groups: [{ name: ops }, { name: auditors }]
";

    #[test]
    fn with_a_hub_every_account_gets_the_roles_and_the_hubs_password_policy() {
        let bp = blueprint(HUB, "");
        let d = crate::Desired::from_blueprint(&bp);
        let of = |prefix: &str| -> Vec<&str> {
            d.resources.iter().map(|r| r.address.as_str()).filter(|a| a.starts_with(prefix)).collect()
        };
        assert_eq!(
            of("password-policy/"),
            [
                "password-policy/management",
                "password-policy/app-dev",
                "password-policy/app-prod",
                "password-policy/identity",
                "password-policy/logs",
            ]
        );
        assert!(
            d.resources.iter().filter(|r| r.at.kind == crate::Kind::PasswordPolicy).all(|r| r.spec["min_length"] == 20)
        );
        let roles = of("iam-role/");
        assert_eq!(roles.len(), 10, "{roles:?}");
        assert!(roles.contains(&"iam-role/management/groundwork-support"), "{roles:?}");
        assert!(roles.contains(&"iam-role/identity/groundwork-security-audit"), "{roles:?}");
        let support = d.resources.iter().find(|r| r.address.as_str() == "iam-role/app-dev/groundwork-support").unwrap();
        assert_eq!(support.spec["managed_policies"], serde_json::json!(["arn:aws:iam::aws:policy/AWSSupportAccess"]));
        assert_eq!(support.spec["path"], "/groundwork/");
        assert_eq!(
            support.spec["trust"],
            crate::trust_policy(
                groundwork_blueprint::RoleTrust::Hub {
                    max_mfa_age_seconds: groundwork_blueprint::DEFAULT_MAX_MFA_AGE_SECONDS,
                    session_name: groundwork_blueprint::SessionName::Username,
                },
                Some("identity"),
            )
        );
        // No group is named: no group gets the baseline's grant.
        assert!(!d.resources.iter().any(|r| r.spec.to_string().contains("AssumeBaselineRoles")));
    }

    #[test]
    fn the_named_groups_may_assume_the_roles_in_the_organization_with_mfa() {
        let bp = blueprint(
            &format!(
                "{HUB}baseline:\n  targets: [{{ ou: Workloads }}]\n  password_policy: false\n  support_role: {{ groups: [ops] }}\n  \
                 security_audit_role: {{ name: audit, groups: [ops, auditors] }}\n"
            ),
            "",
        );
        let d = crate::Desired::from_blueprint(&bp);
        let group = |name: &str| {
            let g = d.resources.iter().find(|r| r.address == Address::group(Some("identity"), name)).unwrap();
            g.spec["inline_policies"]["groundwork"]["Statement"].as_array().unwrap().clone()
        };
        let ops = group("ops");
        let s = ops.iter().find(|s| s["Sid"] == "AssumeBaselineRoles").unwrap();
        assert_eq!(
            s["Resource"],
            serde_json::json!([
                "arn:aws:iam::*:role/groundwork/audit",
                "arn:aws:iam::*:role/groundwork/groundwork-support"
            ])
        );
        assert_eq!(s["Condition"]["StringEquals"]["aws:ResourceOrgID"], serde_json::json!(["{{org_id}}"]));
        assert_eq!(s["Condition"]["Bool"]["aws:MultiFactorAuthPresent"], serde_json::json!(["true"]));
        let auditors = group("auditors");
        assert_eq!(auditors[0]["Resource"], serde_json::json!(["arn:aws:iam::*:role/groundwork/audit"]));
        // Narrowed targets: the roles in the Workloads accounts only; the password policy off but
        // in the hub.
        let roles: Vec<&str> =
            d.resources.iter().filter(|r| r.at.kind == crate::Kind::Role).map(|r| r.address.as_str()).collect();
        assert_eq!(
            roles,
            [
                "iam-role/app-prod/groundwork-support",
                "iam-role/app-dev/groundwork-support",
                "iam-role/app-prod/audit",
                "iam-role/app-dev/audit"
            ]
        );
        let policies: Vec<&str> = d
            .resources
            .iter()
            .filter(|r| r.at.kind == crate::Kind::PasswordPolicy)
            .map(|r| r.address.as_str())
            .collect();
        assert_eq!(policies, ["password-policy/identity"]);
    }
}
