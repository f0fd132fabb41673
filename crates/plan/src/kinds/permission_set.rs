//! An Identity Center permission set (`permission-set/<name>`), as one resource: description,
//! session duration, relay state, AWS-managed policies, customer-managed policy references,
//! the inline policy (compared semantically) and the permissions boundary. After a change the
//! writer provisions it again to every account it is provisioned to.

use std::collections::BTreeMap;

use groundwork_blueprint::{Blueprint, Boundary, IcPermissionSet, iso_duration, policy_document};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::identity_center::{locator, ownership_tags, section};
use super::{Kind, KindMeta, Scope, Spec};
use crate::lower::{TemplateCx, expand_json};
use crate::resource::{DesiredResource, canonical_policy};
use crate::state::Address;

/// A customer-managed policy by name and path, as Identity Center references it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyReference {
    /// Policy name.
    pub name: String,
    /// IAM path (`/` at least).
    pub path: String,
}

/// A permissions boundary: an AWS-managed policy by ARN, or a customer-managed policy by
/// reference.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum PermissionsBoundary {
    /// `arn:aws:iam::aws:policy/...`.
    Managed(String),
    /// A customer-managed policy.
    Customer(PolicyReference),
}

/// A permission set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PermissionSetSpec {
    /// Its description.
    pub description: String,
    /// Session duration, ISO-8601 (`PT4H`).
    pub session_duration: String,
    /// Where the console opens; `None` for none.
    pub relay_state: Option<String>,
    /// AWS-managed policy ARNs, sorted.
    pub managed_policies: Vec<String>,
    /// Customer-managed policy references, sorted.
    pub customer_managed_policies: Vec<PolicyReference>,
    /// The inline policy, canonical; `null` for none.
    pub inline_policy: Value,
    /// The permissions boundary, if any.
    pub permissions_boundary: Option<PermissionsBoundary>,
    /// groundwork's tags (ownership).
    pub tags: BTreeMap<String, String>,
}

impl KindMeta for PermissionSetSpec {
    const KIND: Kind = Kind::PermissionSet;
    const PREFIX: &'static str = "permission-set";
    const RANK: usize = 2;
    const SCOPE: Scope = Scope::Organization;
}

impl Spec for PermissionSetSpec {}

/// `permission-set/NAME`.
pub fn address(name: &str) -> Address {
    Address::of(Kind::PermissionSet, name)
}

/// The spec of a permission set of the blueprint.
pub(crate) fn spec(bp: &Blueprint, p: &IcPermissionSet) -> PermissionSetSpec {
    let cx = TemplateCx { account: None, workload: None, hub: None, region: &bp.organization.home_region.value };
    let inline_policy = if p.statements.is_empty() {
        Value::Null
    } else {
        canonical_policy(&expand_json(&policy_document(p.statements.clone()), &cx))
    };
    let reference =
        |r: &groundwork_blueprint::PolicyRef| PolicyReference { name: r.name.clone(), path: r.path.clone() };
    PermissionSetSpec {
        description: p.description.clone(),
        session_duration: iso_duration(p.session_minutes),
        relay_state: p.relay_state.clone(),
        managed_policies: p.managed_policies.clone(),
        customer_managed_policies: p.customer_managed_policies.iter().map(reference).collect(),
        inline_policy,
        permissions_boundary: p.permissions_boundary.as_ref().map(|b| match b {
            Boundary::Managed(arn) => PermissionsBoundary::Managed(arn.clone()),
            Boundary::Customer(r) => PermissionsBoundary::Customer(reference(r)),
        }),
        tags: ownership_tags(bp),
    }
}

/// The blueprint's permission sets.
pub(crate) fn lower(bp: &Blueprint, out: &mut Vec<DesiredResource>) {
    let Some(ic) = section(bp) else { return };
    for p in &ic.permission_sets {
        out.push(DesiredResource {
            address: address(&p.name.value),
            at: locator(Kind::PermissionSet, ic, p.name.value.clone()),
            spec: spec(bp, p).to_value(),
            after: Vec::new(),
        });
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn the_spec_has_its_saved_shape_and_a_missing_key_is_an_error() {
        let spec = PermissionSetSpec {
            description: "d".into(),
            session_duration: "PT1H".into(),
            relay_state: None,
            managed_policies: vec!["arn:aws:iam::aws:policy/ReadOnlyAccess".into()],
            customer_managed_policies: vec![PolicyReference { name: "x".into(), path: "/".into() }],
            inline_policy: Value::Null,
            permissions_boundary: Some(PermissionsBoundary::Managed("arn:aws:iam::aws:policy/PowerUserAccess".into())),
            tags: BTreeMap::new(),
        };
        let v = spec.to_value();
        assert_eq!(v["permissions_boundary"], json!({ "managed": "arn:aws:iam::aws:policy/PowerUserAccess" }));
        assert_eq!(PermissionSetSpec::from_value(&v).unwrap(), spec);
        let mut missing = v.clone();
        missing.as_object_mut().unwrap().remove("session_duration");
        let e = PermissionSetSpec::from_value(&missing).unwrap_err().to_string();
        assert!(e.contains("permission-set") && e.contains("session_duration"), "{e}");
    }
}
