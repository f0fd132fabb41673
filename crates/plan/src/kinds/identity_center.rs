//! What the Identity Center kinds share: where the instance lives (the management account, in
//! `identity_center.region`), and the ownership tags groundwork writes on a permission set.
//!
//! The kinds themselves: [`super::sso_group`] (a group of the identity store),
//! [`super::permission_set`] and [`super::sso_assignment`] (a permission set for a group in one
//! account). Identity Center has one instance per organization, in the management account, so
//! their locators name no account (`None`) and carry the instance's region.

use std::collections::BTreeMap;

use groundwork_blueprint::{Blueprint, IdentityCenter};

use crate::resource::Locator;
use crate::state::{TAG_BLUEPRINT, TAG_MANAGED};

use super::Kind;

/// The blueprint's `identity_center` section, when present.
pub(crate) fn section(bp: &Blueprint) -> Option<&IdentityCenter> {
    bp.identity_center.as_ref()
}

/// The locator of an Identity Center object: the management account, the instance's region.
pub(crate) fn locator(kind: Kind, ic: &IdentityCenter, name: String) -> Locator {
    Locator::regional(kind, None, ic.region.clone(), name)
}

/// groundwork's ownership tags for this blueprint.
pub(crate) fn ownership_tags(bp: &Blueprint) -> BTreeMap<String, String> {
    BTreeMap::from([
        (TAG_MANAGED.to_owned(), "true".to_owned()),
        (TAG_BLUEPRINT.to_owned(), bp.organization.name.value.clone()),
    ])
}

/// A session in AWS's ISO-8601 form (`PT4H`, `PT1H30M`) as the blueprint writes it (`4h`,
/// `1h30m`); `None` when it is not of that form.
pub(crate) fn readable_session(iso: &str) -> Option<String> {
    let rest = iso.strip_prefix("PT")?;
    let (hours, rest) = match rest.split_once('H') {
        Some((h, rest)) => (h.parse::<u32>().ok()?, rest),
        None => (0, rest),
    };
    let minutes = match rest.strip_suffix('M') {
        Some(m) => m.parse::<u32>().ok()?,
        None if rest.is_empty() => 0,
        None => return None,
    };
    Some(match (hours, minutes) {
        (h, 0) => format!("{h}h"),
        (0, m) => format!("{m}m"),
        (h, m) => format!("{h}h{m}m"),
    })
}

/// What import found of Identity Center, as discovery keys it.
pub(crate) struct Found<'a> {
    /// The instance's region.
    pub(crate) region: &'a str,
    /// The permission sets, by name.
    pub(crate) sets: BTreeMap<String, &'a serde_json::Value>,
    /// Every assignment's spec.
    pub(crate) assignments: Vec<&'a serde_json::Value>,
}

/// The `identity_center` section of what import found (`None`: no permission set and no
/// assignment, so no section): the permission sets, the groups that have assignments (written to
/// be looked up, `create: false`, since the identity store cannot say who made a group), and
/// one assignment per (group, permission set) naming its accounts (`[Root]` when it is every
/// account written and the management account). `names`: account id → name of the accounts
/// written; what a blueprint cannot name goes into `notes`. The reverse of the lowerings of
/// [`super::sso_group`], [`super::permission_set`] and [`super::sso_assignment`].
pub(crate) fn reverse(
    found: &Found<'_>,
    home_region: &str,
    names: &std::collections::HashMap<String, String>,
    management_id: &str,
    notes: &mut Vec<String>,
) -> Option<serde_json::Value> {
    use serde_json::{Map, Value, json};

    use super::Spec;
    use super::permission_set::{PermissionSetSpec, PermissionsBoundary};
    use super::sso_assignment::SsoAssignmentSpec;

    if found.sets.is_empty() && found.assignments.is_empty() {
        return None;
    }
    let mut section = Map::new();
    if found.region != home_region {
        section.insert("region".into(), json!(found.region));
    }
    // (group, permission set) → account ids.
    let mut granted: BTreeMap<(String, String), std::collections::BTreeSet<String>> = BTreeMap::new();
    for a in &found.assignments {
        let Ok(a) = SsoAssignmentSpec::from_value(a) else { continue };
        if found.sets.contains_key(&a.permission_set) {
            granted.entry((a.group, a.permission_set)).or_default().insert(a.account_id);
        }
    }
    let groups: std::collections::BTreeSet<&String> = granted.keys().map(|(g, _)| g).collect();
    if !groups.is_empty() {
        section.insert("groups".into(), Value::Array(groups.iter().map(|g| json!({ "name": g })).collect()));
    }
    let mut sets = Vec::new();
    for (name, spec) in &found.sets {
        let Ok(p) = PermissionSetSpec::from_value(spec) else { continue };
        let mut m = Map::new();
        m.insert("name".into(), json!(name));
        m.insert("description".into(), json!(p.description));
        match readable_session(&p.session_duration) {
            Some(s) if s != "1h" => {
                m.insert("session".into(), json!(s));
            }
            Some(_) => {}
            None => notes.push(format!("permission set {name}: session {} is written as 1h", p.session_duration)),
        }
        if let Some(r) = &p.relay_state {
            m.insert("relay_state".into(), json!(r));
        }
        let short = |arn: &str| arn.strip_prefix("arn:aws:iam::aws:policy/").unwrap_or(arn).to_owned();
        if !p.managed_policies.is_empty() {
            m.insert("managed_policies".into(), json!(p.managed_policies.iter().map(|a| short(a)).collect::<Vec<_>>()));
        }
        if !p.customer_managed_policies.is_empty() {
            let refs: Vec<Value> =
                p.customer_managed_policies.iter().map(|r| json!({ "name": r.name, "path": r.path })).collect();
            m.insert("customer_managed_policies".into(), Value::Array(refs));
        }
        if let Some(statements) = p.inline_policy.get("Statement") {
            let statements = match statements {
                Value::Array(a) => a.clone(),
                other => vec![other.clone()],
            };
            m.insert("statements".into(), Value::Array(statements));
        }
        match &p.permissions_boundary {
            Some(PermissionsBoundary::Managed(arn)) => {
                m.insert("permissions_boundary".into(), json!({ "managed": short(arn) }));
            }
            Some(PermissionsBoundary::Customer(r)) => {
                m.insert("permissions_boundary".into(), json!({ "name": r.name, "path": r.path }));
            }
            None => {}
        }
        sets.push(Value::Object(m));
    }
    section.insert("permission_sets".into(), Value::Array(sets));
    let mut assignments = Vec::new();
    let every: std::collections::BTreeSet<&str> =
        names.keys().map(String::as_str).chain(std::iter::once(management_id)).collect();
    for ((group, set), ids) in &granted {
        let all = every.iter().all(|id| ids.contains(*id));
        let targets: Vec<Value> = if all {
            vec![json!("Root")]
        } else {
            let mut named: Vec<&String> = Vec::new();
            for id in ids {
                match names.get(id) {
                    Some(n) => named.push(n),
                    None if id == management_id => notes.push(format!(
                        "the assignment of {set} to {group} in the management account is not written: a blueprint assigns there only through `Root`"
                    )),
                    None => notes.push(format!(
                        "the assignment of {set} to {group} in account {id} is not written: the account is not in the blueprint"
                    )),
                }
            }
            named.sort();
            named.into_iter().map(|n| json!({ "account": n })).collect()
        };
        if targets.is_empty() {
            continue;
        }
        assignments.push(json!({ "group": group, "permission_set": set, "targets": targets }));
    }
    if !assignments.is_empty() {
        section.insert("assignments".into(), Value::Array(assignments));
    }
    Some(Value::Object(section))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_read_back_as_the_blueprint_writes_them() {
        assert_eq!(readable_session("PT4H").as_deref(), Some("4h"));
        assert_eq!(readable_session("PT1H30M").as_deref(), Some("1h30m"));
        assert_eq!(readable_session("PT90M").as_deref(), Some("90m"));
        assert_eq!(readable_session("3600"), None);
    }
}
