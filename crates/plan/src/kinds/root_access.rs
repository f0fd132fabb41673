//! IAM's centralized root access for member accounts (`root-access/organization`): the
//! organization features `RootCredentialsManagement` and `RootSessions`, enabled from the
//! management account once IAM has trusted access (`service-access/iam.amazonaws.com`).

use groundwork_blueprint::Blueprint;
use serde::{Deserialize, Serialize};

use super::{Kind, KindMeta, Scope, Spec};
use crate::resource::{DesiredResource, Locator};
use crate::state::Address;

/// IAM's service principal, which needs trusted access first.
pub const IAM_PRINCIPAL: &str = "iam.amazonaws.com";
/// The organization feature that lets the management account manage members' root credentials.
pub const ROOT_CREDENTIALS_MANAGEMENT: &str = "RootCredentialsManagement";
/// The organization feature that allows privileged root sessions (`sts:AssumeRoot`).
pub const ROOT_SESSIONS: &str = "RootSessions";
/// The name in the locator and address (one per organization).
pub const NAME: &str = "organization";
/// The AWS-managed task policy of a root session that reads the root user's credentials
/// (`audit`).
pub const AUDIT_ROOT_TASK: &str = "arn:aws:iam::aws:policy/root-task/IAMAuditRootUserCredentials";
/// The AWS-managed task policy of a root session that deletes the root user's credentials
/// (`audit --enforce`).
pub const DELETE_ROOT_TASK: &str = "arn:aws:iam::aws:policy/root-task/IAMDeleteRootUserCredentials";

/// The centralized root access features enabled in the organization.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RootAccessSpec {
    /// The enabled features as IAM names them, sorted.
    pub features: Vec<String>,
}

impl KindMeta for RootAccessSpec {
    const KIND: Kind = Kind::RootAccess;
    const PREFIX: &'static str = "root-access";
    const RANK: usize = 1;
    const SCOPE: Scope = Scope::Organization;
}

impl Spec for RootAccessSpec {}

/// `root-access/organization`.
pub fn address() -> Address {
    Address::of(Kind::RootAccess, NAME)
}

/// The `root_access` section: trusted access for IAM, then the features it turns on.
pub(crate) fn lower(bp: &Blueprint, out: &mut Vec<DesiredResource>) {
    let Some(r) = &bp.root_access else { return };
    let access = super::service_access::desired(IAM_PRINCIPAL);
    let after = vec![access.address.clone()];
    out.push(access);
    let mut features = Vec::new();
    if r.credentials_management {
        features.push(ROOT_CREDENTIALS_MANAGEMENT.to_owned());
    }
    if r.root_sessions {
        features.push(ROOT_SESSIONS.to_owned());
    }
    features.sort();
    out.push(DesiredResource {
        address: address(),
        at: Locator::new(Kind::RootAccess, None, NAME.to_owned()),
        spec: RootAccessSpec { features }.to_value(),
        after,
    });
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn the_section_lowers_to_trusted_access_and_both_features() {
        let bp = groundwork_blueprint::parse(
            "t.yaml",
            b"version: 1
organization: { name: acme, home_region: eu-west-1, management_account: { email: root@acme.example } }
root_access: {}
",
        )
        .unwrap()
        .blueprint;
        let mut out = Vec::new();
        lower(&bp, &mut out);
        assert_eq!(out[0].address.as_str(), "service-access/iam.amazonaws.com");
        assert_eq!(out[1].address.as_str(), "root-access/organization");
        assert_eq!(out[1].spec, json!({ "features": ["RootCredentialsManagement", "RootSessions"] }));
        assert_eq!(out[1].after, vec![out[0].address.clone()]);
        let err = RootAccessSpec::from_value(&json!({})).unwrap_err().to_string();
        assert!(err.contains("root-access") && err.contains("features"), "{err}");
    }
}
