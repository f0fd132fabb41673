//! An IAM role in a member account (`iam-role/<account>/<name>`): the blueprint's cross-account
//! and workload roles (trusted by the hub with MFA, or by EC2), and groundwork's execution role
//! (`organization.execution_role`), which carries the member permissions `groundwork
//! permissions` prints for its account and is created through the access role (see the AWS
//! crate's `writer_account`).

use std::collections::BTreeSet;

use groundwork_blueprint::template::{IdRef, Reverse};
use groundwork_blueprint::{
    BaselineRole, Blueprint, DEFAULT_MAX_MFA_AGE_SECONDS, MANAGEMENT_HUB, RoleTrust, SECURITY_AUDIT_POLICY_ARN,
    SUPPORT_POLICY_ARN, SessionName,
};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::iam::{INLINE_POLICY, inline, ownership};
use super::tags::Tags;
use super::{Kind, KindMeta, Scope, Spec, instance_profile};
use crate::import::reverse::{groundwork_statements, mfa_age, readable_statements};
use crate::lower::{account_cx, expand, expand_json, hub};
use crate::resource::{DesiredResource, Ids, Locator, canonical_policy};
use crate::state::Address;

/// A role. Only groundwork's own tags (`groundwork:…`) are part of it: tags others add (cost
/// allocation, owners) are left alone and never drift.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleSpec {
    /// Its IAM path (IAM cannot move a role: a new path replaces it).
    pub path: String,
    /// groundwork's tags on it.
    pub tags: Tags,
    /// Its description.
    pub description: String,
    /// Its trust policy, canonical.
    pub trust: Value,
    /// Its maximum session duration.
    pub max_session_seconds: u32,
    /// ARNs of the attached managed policies.
    pub managed_policies: BTreeSet<String>,
    /// Inline policies, name → canonical document.
    pub inline_policies: Map<String, Value>,
}

impl KindMeta for RoleSpec {
    const KIND: Kind = Kind::Role;
    const PREFIX: &'static str = "iam-role";
    const RANK: usize = 1;
    const SCOPE: Scope = Scope::Account;
}

impl Spec for RoleSpec {}

/// The trust policy of a role. A hub-trusted role trusts the hub account (its root as the
/// principal) but only its IAM users (`aws:PrincipalArn`), signed in with MFA no older than the
/// bound, and by default only with their own name as the session name, so CloudTrail in the
/// member account names the person.
pub fn trust_policy(trust: RoleTrust, hub: Option<&str>) -> Value {
    let statement = match trust {
        RoleTrust::Hub { max_mfa_age_seconds, session_name } => {
            let hub_id = IdRef::account_or_management(hub);
            let hub_root = format!("arn:aws:iam::{hub_id}:root");
            let mut condition = json!({
                "Bool": { "aws:MultiFactorAuthPresent": "true" },
                "NumericLessThan": { "aws:MultiFactorAuthAge": max_mfa_age_seconds.to_string() },
                "ArnLike": { "aws:PrincipalArn": format!("arn:aws:iam::{hub_id}:user/*") },
            });
            if session_name == SessionName::Username {
                condition["StringEquals"] = json!({ "sts:RoleSessionName": "${aws:username}" });
            }
            json!({
                "Sid": "AssumeFromHubWithMfa",
                "Effect": "Allow",
                "Principal": { "AWS": hub_root },
                "Action": "sts:AssumeRole",
                "Condition": condition
            })
        }
        RoleTrust::Ec2 => json!({
            "Sid": "Ec2Instances",
            "Effect": "Allow",
            "Principal": { "Service": "ec2.amazonaws.com" },
            "Action": "sts:AssumeRole"
        }),
    };
    canonical_policy(&groundwork_blueprint::policy_document(vec![statement]))
}

/// The execution role's trust policy: the management account, only its deployer role when the
/// blueprint names one.
/// A role an AWS service assumes to deliver for the alerts: `trust` names the service, `policy`
/// is its one inline policy; path `/`, groundwork's tags, one-hour sessions.
pub(crate) fn service_role(
    bp: &Blueprint,
    account: Option<&str>,
    name: &str,
    description: String,
    trust: Value,
    policy: Value,
) -> DesiredResource {
    let mut inline = Map::new();
    inline.insert(INLINE_POLICY.to_owned(), policy);
    DesiredResource {
        address: Address::role(account, name),
        at: Locator::new(Kind::Role, account.map(str::to_owned), name.to_owned()),
        spec: RoleSpec {
            path: "/".into(),
            tags: ownership(bp),
            description,
            trust,
            max_session_seconds: 3600,
            managed_policies: BTreeSet::new(),
            inline_policies: inline,
        }
        .to_value(),
        after: Vec::new(),
    }
}

pub(crate) fn execution_trust(deployer_role: Option<&str>) -> Value {
    let mut statement = json!({
        "Sid": "AssumeFromDeployer",
        "Effect": "Allow",
        "Principal": { "AWS": format!("arn:aws:iam::{}:root", IdRef::Management) },
        "Action": "sts:AssumeRole",
    });
    if let Some(role) = deployer_role {
        statement["Condition"] = json!({
            "ArnEquals": { "aws:PrincipalArn": format!("arn:aws:iam::{}:role/{role}", IdRef::Management) }
        });
    }
    canonical_policy(&groundwork_blueprint::policy_document(vec![statement]))
}

/// The blueprint's roles in each of their accounts, each EC2 role followed by its instance
/// profile.
pub(crate) fn lower(bp: &Blueprint, out: &mut Vec<DesiredResource>) {
    let hub_account = hub(bp);
    for role in &bp.roles {
        for account in &role.accounts {
            let cx = account_cx(bp, account, hub_account);
            let policy = groundwork_blueprint::role_inline_policy(role).map(|d| expand_json(&d, &cx));
            let role_address = Address::role(Some(account), &role.name.value);
            let mut inline_policies = inline(policy);
            // `flow_logs.grants`: the generated read-only policy on the flow-log prefix.
            inline_policies.extend(super::flow_log::grant_for(bp, &role.name.value, account));
            out.push(DesiredResource {
                address: role_address.clone(),
                at: Locator::new(Kind::Role, Some(account.clone()), role.name.value.clone()),
                spec: RoleSpec {
                    path: role.path.clone(),
                    tags: ownership(bp),
                    description: role.description.clone(),
                    trust: trust_policy(role.trust, hub_account),
                    max_session_seconds: role.max_session_seconds,
                    managed_policies: role.managed_policies.iter().map(|p| expand(&p.value, &cx)).collect(),
                    inline_policies,
                }
                .to_value(),
                after: Vec::new(),
            });
            out.extend(instance_profile::for_role(bp, role, account, role_address));
        }
    }
}

/// The account baseline's roles (`baseline.support_role`, `baseline.security_audit_role`) in
/// every account it targets, the management account included: trusted by the hub with MFA as
/// the blueprint's roles are (the defaults of `trust: hub`), with their one AWS managed policy.
pub(crate) fn lower_baseline(bp: &Blueprint, out: &mut Vec<DesiredResource>) {
    let hub_account = hub(bp);
    let trust = trust_policy(
        RoleTrust::Hub { max_mfa_age_seconds: DEFAULT_MAX_MFA_AGE_SECONDS, session_name: SessionName::Username },
        hub_account,
    );
    for (role, description, policy) in baseline_roles(bp) {
        for account in crate::baseline::accounts(bp) {
            out.push(DesiredResource {
                address: Address::role(account, &role.name.value),
                at: Locator::new(Kind::Role, account.map(str::to_owned), role.name.value.clone()),
                spec: RoleSpec {
                    path: role.path.clone(),
                    tags: ownership(bp),
                    description: description.to_owned(),
                    trust: trust.clone(),
                    max_session_seconds: 3600,
                    managed_policies: [policy.to_owned()].into(),
                    inline_policies: Map::new(),
                }
                .to_value(),
                after: Vec::new(),
            });
        }
    }
}

/// The baseline's roles that are on, each with its description and its managed policy.
pub(crate) fn baseline_roles(bp: &Blueprint) -> Vec<(&BaselineRole, &'static str, &'static str)> {
    let b = &bp.baseline;
    let support = b.support_role.as_ref().map(|r| (r, SUPPORT_DESCRIPTION, SUPPORT_POLICY_ARN));
    let audit = b.security_audit_role.as_ref().map(|r| (r, SECURITY_AUDIT_DESCRIPTION, SECURITY_AUDIT_POLICY_ARN));
    support.into_iter().chain(audit).collect()
}

/// The support role's description (import recognizes the role by it).
pub const SUPPORT_DESCRIPTION: &str = "groundwork's support role: AWS Support cases, from the identity hub (CIS 1.17)";
/// The security-audit role's description (import recognizes the role by it).
pub const SECURITY_AUDIT_DESCRIPTION: &str =
    "groundwork's security-audit role: read-only security audit, from the identity hub";

/// The execution role of every member account. `out` holds the blueprint's other resources,
/// from which its permissions are computed.
pub(crate) fn lower_execution(bp: &Blueprint, out: &mut Vec<DesiredResource>) {
    let Some(role) = &bp.organization.execution_role else { return };
    let permissions = crate::permissions::compute(bp, out);
    let trust = execution_trust(bp.organization.deployer_role.as_deref());
    for account in &bp.accounts {
        let name = &account.name.value;
        let Some(set) = permissions.set_for(Some(name)) else { continue };
        let mut inline = Map::new();
        for (i, doc) in set.documents().into_iter().enumerate() {
            let key = if i == 0 { INLINE_POLICY.to_owned() } else { format!("{INLINE_POLICY}-{}", i + 1) };
            inline.insert(key, canonical_policy(&doc));
        }
        out.push(DesiredResource {
            address: Address::role(Some(name), role),
            at: Locator::new(Kind::Role, Some(name.clone()), role.clone()),
            spec: RoleSpec {
                // At the root path, so that the ARN groundwork assumes (`role/NAME`) is the role's ARN.
                path: "/".into(),
                tags: ownership(bp),
                description: format!("groundwork's execution role ({})", set.name),
                trust: trust.clone(),
                max_session_seconds: 3600,
                managed_policies: BTreeSet::new(),
                inline_policies: inline,
            }
            .to_value(),
            after: Vec::new(),
        });
    }
}

/// Which of the baseline's roles a live role is, when it is exactly what [`lower_baseline`]
/// writes but for groundwork's tags and its name: `Some(true)` the support role, `Some(false)`
/// the security-audit role. `hub`: the hub's account name as the blueprint writes it
/// (`management` too). The reverse of [`lower_baseline`].
pub(crate) fn reverse_baseline(live: &Value, hub: &str, ids: &Ids) -> Option<bool> {
    let live = RoleSpec::from_value(live).ok()?;
    let hub_name = (hub != MANAGEMENT_HUB).then_some(hub);
    let trust = ids.resolve_spec(&trust_policy(
        RoleTrust::Hub { max_mfa_age_seconds: DEFAULT_MAX_MFA_AGE_SECONDS, session_name: SessionName::Username },
        hub_name,
    ));
    if live.path != groundwork_blueprint::DEFAULT_ROLE_PATH
        || live.trust != trust
        || live.max_session_seconds != 3600
        || !live.inline_policies.is_empty()
    {
        return None;
    }
    [(true, SUPPORT_DESCRIPTION, SUPPORT_POLICY_ARN), (false, SECURITY_AUDIT_DESCRIPTION, SECURITY_AUDIT_POLICY_ARN)]
        .into_iter()
        .find(|(_, d, p)| live.description == *d && live.managed_policies == BTreeSet::from([(*p).to_owned()]))
        .map(|(support, _, _)| support)
}

/// A role's session duration when the blueprint says nothing.
const DEFAULT_SESSION: u64 = 3600;

/// The trust a role's live trust policy is, when it is one groundwork writes: EC2, or the hub
/// (`hub`: its account's name as the blueprint writes it, `management` too; `None` without a
/// hub) with MFA.
pub(crate) fn reverse_trust(live: &Value, hub: Option<&str>, ids: &Ids) -> Option<RoleTrust> {
    if *live == trust_policy(RoleTrust::Ec2, None) {
        return Some(RoleTrust::Ec2);
    }
    let hub = hub?;
    let hub_name = (hub != MANAGEMENT_HUB).then_some(hub);
    let max_mfa_age_seconds = mfa_age(live)?;
    [SessionName::Username, SessionName::Any]
        .into_iter()
        .map(|session_name| RoleTrust::Hub { max_mfa_age_seconds, session_name })
        .find(|trust| ids.resolve_spec(&trust_policy(*trust, hub_name)) == *live)
}

/// What must be equal in every account for one role entry to describe them all: the live
/// role's spec `spec` as a blueprint entry's settings, given the trust it was recognized as
/// (`None`: not one groundwork writes), its instance profile and the placeholders of the account
/// it is in. The reverse of [`lower`], per account.
pub(crate) fn reverse_signature(
    name: &str,
    spec: &Value,
    trust: Option<RoleTrust>,
    profile: Option<&Value>,
    subs: &Reverse<'_>,
) -> Result<Value, String> {
    let trust = trust.ok_or_else(|| {
        "its trust policy is not one groundwork writes (the identity hub's root with MFA present, or EC2)".to_owned()
    })?;
    let statements = groundwork_statements(&spec["inline_policies"])?;
    let statements = subs.apply_json(&Value::Array(statements));
    let mut session = SessionName::Username;
    let (trust, age) = match trust {
        RoleTrust::Ec2 => {
            if profile.map(|p| &p["roles"]) != Some(&json!([name])) {
                return Err(format!(
                    "it is an EC2 role without an instance profile {name} holding only it; groundwork would make one"
                ));
            }
            ("ec2", None)
        }
        RoleTrust::Hub { max_mfa_age_seconds, session_name } => {
            session = session_name;
            ("hub", Some(max_mfa_age_seconds))
        }
    };
    Ok(json!({
        "description": spec["description"],
        "trust": trust,
        "max_mfa_age_seconds": age,
        "session_name": if session == SessionName::Any { json!("any") } else { Value::Null },
        "max_session_seconds": spec["max_session_seconds"],
        "managed_policies": spec["managed_policies"],
        "statements": statements,
    }))
}

/// The role entry (`roles:`) for the accounts that share the signature `sig`
/// ([`reverse_signature`]), with only what differs from the blueprint's defaults.
pub(crate) fn reverse_entry(name: &str, accounts: &[&str], sig: &Value) -> Value {
    let mut m = Map::new();
    m.insert("name".into(), json!(name));
    if let Some(d) = sig["description"].as_str().filter(|d| !d.is_empty()) {
        m.insert("description".into(), json!(d));
    }
    m.insert("select".into(), json!({ "accounts": accounts }));
    m.insert("trust".into(), sig["trust"].clone());
    if sig["max_mfa_age_seconds"].as_u64().is_some_and(|a| a != u64::from(DEFAULT_MAX_MFA_AGE_SECONDS)) {
        m.insert("max_mfa_age_seconds".into(), sig["max_mfa_age_seconds"].clone());
    }
    if !sig["session_name"].is_null() {
        m.insert("session_name".into(), sig["session_name"].clone());
    }
    if sig["max_session_seconds"].as_u64().is_some_and(|s| s != DEFAULT_SESSION) {
        m.insert("max_session_seconds".into(), sig["max_session_seconds"].clone());
    }
    if sig["managed_policies"].as_array().is_some_and(|a| !a.is_empty()) {
        m.insert("managed_policies".into(), sig["managed_policies"].clone());
    }
    if let Some(s) = sig["statements"].as_array().filter(|a| !a.is_empty()) {
        m.insert("statements".into(), Value::Array(readable_statements(s)));
    }
    Value::Object(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> RoleSpec {
        RoleSpec {
            path: "/groundwork/".into(),
            tags: Tags::from_iter([("groundwork:managed", "true"), ("groundwork:blueprint", "acme")]),
            description: "d".into(),
            trust: trust_policy(RoleTrust::Ec2, None),
            max_session_seconds: 3600,
            managed_policies: ["arn:aws:iam::aws:policy/ReadOnlyAccess".to_owned()].into(),
            inline_policies: Map::new(),
        }
    }

    #[test]
    fn the_json_keeps_the_shape_saved_plans_hold() {
        let spec = spec();
        let v = spec.to_value();
        let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            ["path", "tags", "description", "trust", "max_session_seconds", "managed_policies", "inline_policies"]
        );
        let tags: Vec<&str> = v["tags"].as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(tags, ["groundwork:managed", "groundwork:blueprint"]);
        assert_eq!(v["managed_policies"], json!(["arn:aws:iam::aws:policy/ReadOnlyAccess"]));
        assert_eq!(v["inline_policies"], json!({}));
        assert_eq!(RoleSpec::from_value(&v).unwrap(), spec);
    }

    #[test]
    fn the_baseline_roles_are_recognized_by_what_groundwork_writes() {
        let mut ids = Ids::default();
        ids.accounts.insert("identity".into(), "111122223333".into());
        let hub =
            RoleTrust::Hub { max_mfa_age_seconds: DEFAULT_MAX_MFA_AGE_SECONDS, session_name: SessionName::Username };
        let mut live = RoleSpec {
            path: "/groundwork/".into(),
            tags: Tags::default(),
            description: SUPPORT_DESCRIPTION.into(),
            trust: ids.resolve_spec(&trust_policy(hub, Some("identity"))),
            max_session_seconds: 3600,
            managed_policies: [SUPPORT_POLICY_ARN.to_owned()].into(),
            inline_policies: Map::new(),
        };
        assert_eq!(reverse_baseline(&live.to_value(), "identity", &ids), Some(true));
        live.description = SECURITY_AUDIT_DESCRIPTION.into();
        live.managed_policies = [SECURITY_AUDIT_POLICY_ARN.to_owned()].into();
        assert_eq!(reverse_baseline(&live.to_value(), "identity", &ids), Some(false));
        // Another hub, another policy as well, or an inline policy: not the baseline's.
        assert_eq!(reverse_baseline(&live.to_value(), "management", &ids), None);
        live.managed_policies.insert("arn:aws:iam::aws:policy/ReadOnlyAccess".into());
        assert_eq!(reverse_baseline(&live.to_value(), "identity", &ids), None);
    }

    #[test]
    fn a_missing_key_is_an_error_naming_the_kind() {
        let mut v = spec().to_value();
        v.as_object_mut().unwrap().shift_remove("max_session_seconds");
        let err = RoleSpec::from_value(&v).unwrap_err().to_string();
        assert!(err.contains("iam-role") && err.contains("max_session_seconds"), "{err}");
    }
}
