//! Lowering of the `identity` and `roles` sections: the password policy, the ForceMFA policy,
//! groups with generated AssumeRole statements, users (groups only, never their own policies),
//! and cross-account and workload roles in member accounts.

use std::collections::BTreeSet;

use groundwork_blueprint::{Blueprint, RoleTrust, SessionName};
use serde_json::{Map, Value, json};

use groundwork_blueprint::template::IdRef;

use crate::lower::{TemplateCx, account_cx, expand, expand_json, hub};
use crate::resource::{DesiredResource, Kind, Locator, canonical_policy};
use crate::state::{Address, TAG_BLUEPRINT, TAG_MANAGED};

/// Name of the customer-managed policy that denies everything until MFA is set up.
pub const FORCE_MFA_POLICY: &str = "groundwork-force-mfa";
/// Name of the inline policy groundwork writes on groups and roles.
pub const INLINE_POLICY: &str = "groundwork";

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

/// The inline policies of a group or role: groundwork's one policy, or none.
fn inline(policy: Option<Value>) -> Value {
    let mut m = Map::new();
    if let Some(doc) = policy {
        m.insert(INLINE_POLICY.to_owned(), canonical_policy(&doc));
    }
    Value::Object(m)
}

fn sorted(items: impl IntoIterator<Item = String>) -> Vec<String> {
    items.into_iter().collect::<BTreeSet<_>>().into_iter().collect()
}

/// The password policy's spec.
fn password_spec(bp: &Blueprint) -> Option<Value> {
    let p = bp.identity.as_ref()?.password_policy;
    Some(json!({
        "min_length": p.min_length,
        "require_uppercase": p.require_uppercase,
        "require_lowercase": p.require_lowercase,
        "require_numbers": p.require_numbers,
        "require_symbols": p.require_symbols,
        "max_age_days": p.max_age_days,
        "reuse_prevention": p.reuse_prevention,
        "allow_users_to_change": p.allow_users_to_change,
    }))
}

pub(crate) fn resources(bp: &Blueprint, out: &mut Vec<DesiredResource>) {
    let hub_account = hub(bp);
    let hub_cx = match hub_account {
        Some(h) => account_cx(bp, h, Some(h)),
        None => TemplateCx { account: None, workload: None, hub: None, region: &bp.organization.home_region.value },
    };
    if let Some(identity) = &bp.identity {
        let spec = password_spec(bp).unwrap_or(Value::Null);
        let mut targets: Vec<Option<&str>> = vec![hub_account];
        if identity.password_policy_everywhere {
            targets.push(None);
            targets.extend(bp.accounts.iter().map(|a| Some(a.name.value.as_str())));
            targets.sort_unstable();
            targets.dedup();
        }
        for account in targets {
            out.push(DesiredResource {
                address: Address::password_policy(account),
                at: Locator::new(Kind::PasswordPolicy, account.map(str::to_owned), "account".into()),
                spec: spec.clone(),
                after: Vec::new(),
            });
        }
        let force_mfa = Address::managed_policy(hub_account, FORCE_MFA_POLICY);
        let force_mfa_arn =
            format!("arn:aws:iam::{}:policy/{FORCE_MFA_POLICY}", IdRef::account_or_management(hub_account));
        if identity.require_mfa {
            out.push(DesiredResource {
                address: force_mfa.clone(),
                at: Locator::new(Kind::ManagedPolicy, hub_account.map(str::to_owned), FORCE_MFA_POLICY.into()),
                spec: json!({ "document": canonical_policy(&groundwork_blueprint::force_mfa_policy()) }),
                after: Vec::new(),
            });
        }
        for g in &identity.groups {
            let policy = groundwork_blueprint::group_inline_policy(g).map(|d| expand_json(&d, &hub_cx));
            let mut managed: Vec<String> = g.managed_policies.iter().map(|p| expand(&p.value, &hub_cx)).collect();
            let mut after = Vec::new();
            if identity.require_mfa {
                managed.push(force_mfa_arn.clone());
                after.push(force_mfa.clone());
            }
            out.push(DesiredResource {
                address: Address::group(hub_account, &g.name.value),
                at: Locator::new(Kind::Group, hub_account.map(str::to_owned), g.name.value.clone()),
                spec: json!({ "managed_policies": sorted(managed), "inline_policies": inline(policy) }),
                after,
            });
        }
        for u in &identity.users {
            let mut tags = Map::new();
            for (k, v) in &u.tags {
                tags.insert(k.clone(), json!(v));
            }
            tags.insert(TAG_MANAGED.into(), json!("true"));
            tags.insert(TAG_BLUEPRINT.into(), json!(bp.organization.name.value));
            out.push(DesiredResource {
                address: Address::user(hub_account, &u.name.value),
                at: Locator::new(Kind::User, hub_account.map(str::to_owned), u.name.value.clone()),
                spec: json!({
                    "groups": sorted(u.groups.iter().cloned()),
                    "console": u.console,
                    "tags": tags,
                    "managed_policies": [],
                    "inline_policies": [],
                }),
                after: u.groups.iter().map(|g| Address::group(hub_account, g)).collect(),
            });
        }
    }
    let ownership = || {
        let mut tags = Map::new();
        tags.insert(TAG_MANAGED.into(), json!("true"));
        tags.insert(TAG_BLUEPRINT.into(), json!(bp.organization.name.value));
        Value::Object(tags)
    };
    for role in &bp.roles {
        for account in &role.accounts {
            let cx = account_cx(bp, account, hub_account);
            let policy = groundwork_blueprint::role_inline_policy(role).map(|d| expand_json(&d, &cx));
            let role_address = Address::role(Some(account), &role.name.value);
            out.push(DesiredResource {
                address: role_address.clone(),
                at: Locator::new(Kind::Role, Some(account.clone()), role.name.value.clone()),
                spec: json!({
                    "path": role.path,
                    "tags": ownership(),
                    "description": role.description,
                    "trust": trust_policy(role.trust, hub_account),
                    "max_session_seconds": role.max_session_seconds,
                    "managed_policies": sorted(role.managed_policies.iter().map(|p| expand(&p.value, &cx))),
                    "inline_policies": inline(policy),
                }),
                after: Vec::new(),
            });
            if role.trust == RoleTrust::Ec2 {
                out.push(DesiredResource {
                    address: Address::instance_profile(Some(account), &role.name.value),
                    at: Locator::new(Kind::InstanceProfile, Some(account.clone()), role.name.value.clone()),
                    spec: json!({ "path": role.path, "tags": ownership(), "roles": [role.name.value] }),
                    after: vec![role_address],
                });
            }
        }
    }
}
