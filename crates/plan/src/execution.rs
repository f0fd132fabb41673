//! Lowering of `organization.execution_role`: a role in every member account, trusted only by
//! the management account's deployer role (`organization.deployer_role`; without one, by the
//! management account, like the access role), carrying the member permissions
//! `groundwork permissions` prints for that account's purpose as inline policies. groundwork
//! creates it through the access role, then assumes it instead (see the AWS crate's accounts).

use groundwork_blueprint::Blueprint;
use serde_json::{Map, Value, json};

use groundwork_blueprint::template::IdRef;

use crate::identity::INLINE_POLICY;
use crate::resource::{DesiredResource, Kind, Locator, canonical_policy};
use crate::state::{Address, TAG_BLUEPRINT, TAG_MANAGED};

/// The execution role's trust policy.
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

/// Appends the execution role of every member account to `out` (which holds the blueprint's
/// other resources, from which its permissions are computed).
pub(crate) fn resources(bp: &Blueprint, out: &mut Vec<DesiredResource>) {
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
            // At the root path, so that the ARN groundwork assumes (`role/NAME`) is the role's ARN.
            spec: json!({
                "path": "/",
                "tags": { TAG_MANAGED: "true", TAG_BLUEPRINT: bp.organization.name.value },
                "description": format!("groundwork's execution role ({})", set.name),
                "trust": trust,
                "max_session_seconds": 3600,
                "managed_policies": [],
                "inline_policies": inline,
            }),
            after: Vec::new(),
        });
    }
}
