//! An IAM group in the identity hub (`iam-group/<hub>/<name>`): its managed policies (the
//! blueprint's, plus ForceMFA when MFA is required) and groundwork's inline policy, which holds
//! the generated `sts:AssumeRole` statements for the roles it grants.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use groundwork_blueprint::template::Reverse;
use groundwork_blueprint::{ASSUME_BASELINE_SID, ASSUME_ROLE_SID, Blueprint, assume_baseline_statement};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::iam::inline;
use super::managed_policy::{FORCE_MFA_POLICY, force_mfa_address, force_mfa_arn};
use super::{Kind, KindMeta, Scope, Spec};
use crate::import::reverse::{groundwork_statements, readable_statements, role_arn, strings};
use crate::lower::{TemplateCx, account_cx, expand, expand_json, hub};
use crate::resource::{DesiredResource, Locator, canonical_policy};
use crate::state::Address;

/// A group: the managed policies attached to it and its inline policies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupSpec {
    /// ARNs of the attached managed policies.
    pub managed_policies: BTreeSet<String>,
    /// Inline policies, name → canonical document.
    pub inline_policies: Map<String, Value>,
}

impl KindMeta for GroupSpec {
    const KIND: Kind = Kind::Group;
    const PREFIX: &'static str = "iam-group";
    const RANK: usize = 2;
    const SCOPE: Scope = Scope::Account;
}

impl Spec for GroupSpec {}

/// The hub's groups, each after the ForceMFA policy when MFA is required.
pub(crate) fn lower(bp: &Blueprint, out: &mut Vec<DesiredResource>) {
    let Some(identity) = &bp.identity else { return };
    let hub_account = hub(bp);
    let hub_cx = match hub_account {
        Some(h) => account_cx(bp, h, Some(h)),
        None => TemplateCx { account: None, workload: None, hub: None, region: &bp.organization.home_region.value },
    };
    for g in &identity.groups {
        let policy = groundwork_blueprint::group_document(g, &bp.baseline);
        let policy = policy.map(|d| expand_json(&d, &hub_cx));
        let mut managed: BTreeSet<String> = g.managed_policies.iter().map(|p| expand(&p.value, &hub_cx)).collect();
        let mut after = Vec::new();
        if identity.require_mfa {
            managed.insert(force_mfa_arn(hub_account));
            after.push(force_mfa_address(hub_account));
        }
        out.push(DesiredResource {
            address: Address::group(hub_account, &g.name.value),
            at: Locator::new(Kind::Group, hub_account.map(str::to_owned), g.name.value.clone()),
            spec: GroupSpec { managed_policies: managed, inline_policies: inline(policy) }.to_value(),
            after,
        });
    }
}

/// The baseline roles (among `roles`: name, path) a live statement grants, when it is exactly
/// the statement [`lower`] writes for them in the organization `org_id`; `None` otherwise.
pub(crate) fn reverse_baseline_grant(statement: &Value, roles: &[(&str, &str)], org_id: &str) -> Option<Vec<String>> {
    if statement["Sid"] != ASSUME_BASELINE_SID {
        return None;
    }
    let named: Vec<(&str, &str)> = strings(&statement["Resource"])
        .iter()
        .map(|arn| roles.iter().find(|(n, p)| *arn == groundwork_blueprint::role_arn("*", p, n)).copied())
        .collect::<Option<_>>()?;
    let canonical = |s: Value| canonical_policy(&groundwork_blueprint::policy_document(vec![s]));
    (!named.is_empty() && canonical(assume_baseline_statement(&named, org_id)) == canonical(statement.clone()))
        .then(|| named.iter().map(|(n, _)| (*n).to_owned()).collect())
}

/// The roles a group's statements may be turned back into grants of: the `roles` section's
/// (name → accounts it is deployed in, with `names`: account id → name), and the baseline's
/// imported ones (name, path) in the organization `org_id`.
pub(crate) struct Grantable<'a> {
    pub(crate) roles: &'a BTreeMap<&'a str, &'a BTreeSet<String>>,
    pub(crate) names: &'a HashMap<String, String>,
    pub(crate) baseline: &'a [(&'a str, &'a str)],
    pub(crate) org_id: &'a str,
}

/// The group entry (`identity.groups`) of the live group `spec` in the hub `hub_id`: its managed
/// policies (groundwork's ForceMFA left out when `require_mfa`), and the statements of its
/// inline policy `groundwork`, whose `AssumeGrantedRoles` statement becomes `grants:` when every
/// role it names is among `grantable.roles`, and whose baseline grant is left to the baseline
/// section when it names only the baseline's imported roles. `Err` when it cannot be written.
/// The reverse of [`lower`].
pub(crate) fn reverse(
    name: &str,
    spec: &Value,
    hub_id: &str,
    require_mfa: bool,
    grantable: &Grantable<'_>,
    subs: &Reverse<'_>,
) -> Result<Value, String> {
    let force_mfa = format!("arn:aws:iam::{hub_id}:policy/{FORCE_MFA_POLICY}");
    let managed: Vec<String> =
        strings(&spec["managed_policies"]).into_iter().filter(|a| !(require_mfa && *a == force_mfa)).collect();
    let statements = groundwork_statements(&spec["inline_policies"])?;
    let mut own = Vec::new();
    let mut grants = None;
    for s in statements {
        // The baseline's grant is written in the baseline section (`groups:` of its roles).
        if reverse_baseline_grant(&s, grantable.baseline, grantable.org_id).is_some() {
            continue;
        }
        if s["Sid"] == ASSUME_ROLE_SID {
            grants = reverse_grants(&s, grantable.roles, grantable.names);
            if grants.is_some() {
                continue;
            }
            // Not all of it can be grants: it stays a statement, as it is.
        }
        own.push(subs.apply_json(&s));
    }
    let mut m = Map::new();
    m.insert("name".into(), json!(name));
    if let Some(g) = grants {
        m.insert("grants".into(), g);
    }
    if !managed.is_empty() {
        m.insert("managed_policies".into(), json!(managed));
    }
    if !own.is_empty() {
        m.insert("statements".into(), Value::Array(readable_statements(&own)));
    }
    Ok(Value::Object(m))
}

/// `grants:` from the statement groundwork generates, when every role ARN in it names a
/// hub-trusting role of the blueprint deployed in that account.
fn reverse_grants(
    statement: &Value,
    roles: &BTreeMap<&str, &BTreeSet<String>>,
    names: &HashMap<String, String>,
) -> Option<Value> {
    let m = statement.as_object()?;
    if m.keys().any(|k| !matches!(k.as_str(), "Sid" | "Effect" | "Action" | "Resource"))
        || m.get("Effect")? != "Allow"
        || strings(m.get("Action")?) != ["sts:AssumeRole"]
    {
        return None;
    }
    let mut grants: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    let resources = strings(m.get("Resource")?);
    for arn in &resources {
        let (id, role) = role_arn(arn)?;
        let account = names.get(id)?;
        let (role, deployed) = roles.get_key_value(role)?;
        if !deployed.contains(account) {
            return None;
        }
        grants.entry(role).or_default().insert(account.clone());
    }
    (!grants.is_empty()).then(|| {
        Value::Array(grants.into_iter().map(|(role, accounts)| json!({ "role": role, "accounts": accounts })).collect())
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn the_json_keeps_the_shape_saved_plans_hold() {
        let spec = GroupSpec {
            managed_policies: ["b".to_owned(), "a".to_owned()].into(),
            inline_policies: inline(Some(json!({ "Version": "2012-10-17", "Statement": [] }))),
        };
        let v = spec.to_value();
        assert_eq!(
            serde_json::to_string(&v).unwrap(),
            json!({
                "managed_policies": ["a", "b"],
                "inline_policies": { "groundwork": { "Statement": [], "Version": "2012-10-17" } }
            })
            .to_string()
        );
        assert_eq!(GroupSpec::from_value(&v).unwrap(), spec);
    }

    #[test]
    fn the_baseline_grant_reads_back_only_when_it_is_exactly_what_groundwork_writes() {
        let roles = [("groundwork-support", "/groundwork/"), ("audit", "/groundwork/")];
        let live = canonical_policy(&groundwork_blueprint::policy_document(vec![assume_baseline_statement(
            &roles[1..],
            "o-abc",
        )]));
        let s = &live["Statement"][0];
        assert_eq!(reverse_baseline_grant(s, &roles, "o-abc"), Some(vec!["audit".to_owned()]));
        // Another organization, a role not imported, no MFA condition: not the baseline's.
        assert_eq!(reverse_baseline_grant(s, &roles, "o-other"), None);
        assert_eq!(reverse_baseline_grant(s, &roles[..1], "o-abc"), None);
        let mut loose = s.clone();
        loose["Condition"].as_object_mut().unwrap().remove("Bool");
        assert_eq!(reverse_baseline_grant(&loose, &roles, "o-abc"), None);
    }

    #[test]
    fn a_missing_key_is_an_error_naming_the_kind() {
        let err = GroupSpec::from_value(&json!({ "managed_policies": [] })).unwrap_err().to_string();
        assert!(err.contains("iam-group") && err.contains("inline_policies"), "{err}");
    }
}
