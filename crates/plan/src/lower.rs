//! Lowering of the blueprint's `logging`, `guardrails`, `identity` and `roles` sections into
//! generic resources with JSON specs (see [`crate::resource`]).

use groundwork_blueprint::{AccountOrigin, Blueprint, Logging, ObjectLockMode, Target};
use serde_json::{Value, json};

use crate::resource::{DesiredResource, Kind, Locator, canonical_policy};
use crate::state::{Address, TAG_BLUEPRINT, TAG_MANAGED};

/// The service principal of CloudTrail.
pub const CLOUDTRAIL_PRINCIPAL: &str = "cloudtrail.amazonaws.com";
/// The policy type of service control policies.
pub const SCP_TYPE: &str = "SERVICE_CONTROL_POLICY";

/// What a blueprint template expands to in one place.
#[derive(Debug, Clone, Default)]
pub(crate) struct TemplateCx<'a> {
    /// The account the document is deployed in (`None`: the management account).
    pub(crate) account: Option<&'a str>,
    /// Its workload and environment, when it is a workload account.
    pub(crate) workload: Option<(&'a str, &'a str)>,
    /// The hub account (`None`: the management account).
    pub(crate) hub: Option<&'a str>,
    /// The home region.
    pub(crate) region: &'a str,
}

fn account_ref(account: Option<&str>) -> String {
    match account {
        Some(name) => format!("{{{{account_id:{name}}}}}"),
        None => "{{management_account_id}}".to_owned(),
    }
}

/// Expands the blueprint's `{…}` placeholders: names and regions become text, ids become the
/// planner's `{{…}}` placeholders. `${aws:…}` IAM policy variables are left alone.
pub(crate) fn expand(text: &str, cx: &TemplateCx<'_>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find('{') {
        let (before, after) = rest.split_at(start);
        out.push_str(before);
        let Some(end) = after.find('}') else {
            out.push_str(after);
            return out;
        };
        let name = &after[1..end];
        let iam_variable = before.ends_with('$') || after.starts_with("{{");
        let value = if iam_variable {
            None
        } else {
            match name.split_once(':') {
                Some(("account_id", account)) => Some(account_ref(Some(account))),
                Some(_) => None,
                None => match name {
                    "account_id" => Some(account_ref(cx.account)),
                    "account" => Some(cx.account.unwrap_or("management").to_owned()),
                    "workload" => cx.workload.map(|(w, _)| w.to_owned()),
                    "env" => cx.workload.map(|(_, e)| e.to_owned()),
                    "hub_account_id" => Some(account_ref(cx.hub)),
                    "org_id" => Some("{{org_id}}".to_owned()),
                    "management_account_id" => Some("{{management_account_id}}".to_owned()),
                    "region" => Some(cx.region.to_owned()),
                    _ => None,
                },
            }
        };
        if let Some(v) = value {
            out.push_str(&v);
            rest = &after[end + 1..];
        } else {
            out.push('{');
            rest = &after[1..];
        }
    }
    out.push_str(rest);
    out
}

/// [`expand`] over every string of a JSON value.
pub(crate) fn expand_json(v: &Value, cx: &TemplateCx<'_>) -> Value {
    match v {
        Value::String(s) => Value::String(expand(s, cx)),
        Value::Array(items) => Value::Array(items.iter().map(|i| expand_json(i, cx)).collect()),
        Value::Object(m) => Value::Object(m.iter().map(|(k, v)| (k.clone(), expand_json(v, cx))).collect()),
        other => other.clone(),
    }
}

/// The template context of a blueprint account.
pub(crate) fn account_cx<'a>(bp: &'a Blueprint, name: &'a str, hub: Option<&'a str>) -> TemplateCx<'a> {
    let workload = bp.account(name).and_then(|a| match &a.origin {
        AccountOrigin::Workload { workload, environment } => Some((workload.as_str(), environment.as_str())),
        AccountOrigin::Explicit => None,
    });
    TemplateCx { account: Some(name), workload, hub, region: &bp.organization.home_region.value }
}

/// The identity hub's account name (`None`: the management account).
pub(crate) fn hub(bp: &Blueprint) -> Option<&str> {
    bp.identity.as_ref().and_then(|i| i.account.as_ref()).map(|a| a.value.as_str())
}

fn ownership(bp: &Blueprint) -> Value {
    json!({ TAG_MANAGED: "true", TAG_BLUEPRINT: bp.organization.name.value })
}

/// The ARN of the organization trail (always in the management account, home region).
pub fn trail_arn(region: &str, trail: &str) -> String {
    format!("arn:aws:cloudtrail:{region}:{{{{management_account_id}}}}:trail/{trail}")
}

/// The log bucket's policy: CloudTrail may check the ACL and write under the organization's and
/// the management account's prefixes, only for this trail; no request without TLS; no deletion.
pub fn log_bucket_policy(bucket: &str, trail_arn: &str) -> Value {
    let arn = format!("arn:aws:s3:::{bucket}");
    json!({
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AWSCloudTrailAclCheck",
                "Effect": "Allow",
                "Principal": { "Service": CLOUDTRAIL_PRINCIPAL },
                "Action": "s3:GetBucketAcl",
                "Resource": arn,
                "Condition": { "StringEquals": { "aws:SourceArn": trail_arn } }
            },
            {
                "Sid": "AWSCloudTrailWrite",
                "Effect": "Allow",
                "Principal": { "Service": CLOUDTRAIL_PRINCIPAL },
                "Action": "s3:PutObject",
                "Resource": [
                    format!("{arn}/AWSLogs/{{{{management_account_id}}}}/*"),
                    format!("{arn}/AWSLogs/{{{{org_id}}}}/*")
                ],
                "Condition": { "StringEquals": {
                    "s3:x-amz-acl": "bucket-owner-full-control",
                    "aws:SourceArn": trail_arn
                } }
            },
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [arn.clone(), format!("{arn}/*")],
                "Condition": { "Bool": { "aws:SecureTransport": "false" } }
            },
            {
                "Sid": "DenyLogDeletion",
                "Effect": "Deny",
                "Principal": "*",
                "Action": ["s3:DeleteObject", "s3:DeleteObjectVersion"],
                "Resource": format!("{arn}/*")
            }
        ]
    })
}

/// Address of the log bucket.
pub fn bucket_address(logging: &Logging) -> Address {
    Address::new(format!("bucket/{}/{}", logging.account.value, logging.bucket.value))
}

fn logging_resources(bp: &Blueprint, out: &mut Vec<DesiredResource>) {
    let Some(logging) = &bp.logging else { return };
    let region = bp.organization.home_region.value.as_str();
    let cx = account_cx(bp, &logging.account.value, hub(bp));
    let bucket = expand(&logging.bucket.value, &cx);
    let trail_arn = trail_arn(region, &logging.trail.value);
    let encryption = match &logging.kms_key_arn {
        Some(key) => json!({ "algorithm": "aws:kms", "kms_key_id": key.value }),
        None => json!({ "algorithm": "AES256" }),
    };
    let object_lock = logging.object_lock.map_or(Value::Null, |l| {
        let mode = match l.mode {
            ObjectLockMode::Governance => "GOVERNANCE",
            ObjectLockMode::Compliance => "COMPLIANCE",
        };
        json!({ "mode": mode, "days": l.days })
    });
    let bucket_address = bucket_address(logging);
    out.push(DesiredResource {
        address: bucket_address.clone(),
        at: Locator { kind: Kind::Bucket, account: Some(logging.account.value.clone()), name: bucket.clone() },
        spec: json!({
            "region": region,
            "versioning": "Enabled",
            "public_access_block": {
                "block_public_acls": true,
                "ignore_public_acls": true,
                "block_public_policy": true,
                "restrict_public_buckets": true
            },
            "encryption": encryption,
            "ownership": "BucketOwnerEnforced",
            "lifecycle_expiration_days": logging.retention_days,
            "object_lock": object_lock,
            "policy": canonical_policy(&log_bucket_policy(&bucket, &trail_arn)),
        }),
        after: Vec::new(),
    });
    let access = Address::new(format!("service-access/{CLOUDTRAIL_PRINCIPAL}"));
    out.push(DesiredResource {
        address: access.clone(),
        at: Locator { kind: Kind::ServiceAccess, account: None, name: CLOUDTRAIL_PRINCIPAL.into() },
        spec: json!({ "enabled": true }),
        after: Vec::new(),
    });
    out.push(DesiredResource {
        address: Address::new(format!("trail/{}", logging.trail.value)),
        at: Locator { kind: Kind::Trail, account: None, name: logging.trail.value.clone() },
        spec: json!({
            "s3_bucket": bucket,
            "is_organization_trail": true,
            "multi_region": logging.all_regions,
            "log_file_validation": logging.log_file_validation,
            "global_service_events": true,
            "kms_key_id": logging.kms_key_arn.as_ref().map(|k| k.value.clone()),
            "logging": true,
        }),
        after: vec![bucket_address, access],
    });
}

/// The text of a target in addresses and specs: `Root`, an OU path, or `account:NAME`.
pub fn target_text(t: &Target) -> String {
    t.to_string()
}

fn guardrail_resources(bp: &Blueprint, out: &mut Vec<DesiredResource>) {
    if bp.guardrails.policies.is_empty() {
        return;
    }
    let policy_type = Address::new(format!("policy-type/{SCP_TYPE}"));
    out.push(DesiredResource {
        address: policy_type.clone(),
        at: Locator { kind: Kind::PolicyType, account: None, name: SCP_TYPE.into() },
        spec: json!({ "enabled": true }),
        after: Vec::new(),
    });
    let cx = TemplateCx { account: None, workload: None, hub: hub(bp), region: &bp.organization.home_region.value };
    for g in &bp.guardrails.policies {
        let name = &g.name.value;
        let scp = Address::new(format!("scp/{name}"));
        out.push(DesiredResource {
            address: scp.clone(),
            at: Locator { kind: Kind::Scp, account: None, name: name.clone() },
            spec: json!({
                "description": g.description,
                "document": canonical_policy(&expand_json(&g.document, &cx)),
                "tags": ownership(bp),
            }),
            after: vec![policy_type.clone()],
        });
        for t in &g.targets {
            let target = target_text(&t.value);
            let mut after = vec![scp.clone()];
            match &t.value {
                Target::Root => {}
                Target::Ou(path) => after.push(Address::ou(path)),
                Target::Account(a) => after.push(Address::account(a)),
            }
            out.push(DesiredResource {
                address: Address::new(format!("scp-attachment/{name}@{target}")),
                at: Locator { kind: Kind::ScpAttachment, account: None, name: format!("{name}@{target}") },
                spec: json!({ "policy": name, "target": target }),
                after,
            });
        }
    }
}

/// Every resource of the blueprint beyond the organization tree.
pub(crate) fn resources(bp: &Blueprint) -> Vec<DesiredResource> {
    let mut out = Vec::new();
    logging_resources(bp, &mut out);
    guardrail_resources(bp, &mut out);
    crate::identity::resources(bp, &mut out);
    crate::execution::resources(bp, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_expand_to_names_and_id_placeholders() {
        let cx =
            TemplateCx { account: Some("jira-prod"), workload: Some(("jira", "prod")), hub: None, region: "eu-west-1" };
        assert_eq!(
            expand("arn:aws:s3:::{workload}-{env}-{account_id}/*", &cx),
            "arn:aws:s3:::jira-prod-{{account_id:jira-prod}}/*"
        );
        assert_eq!(
            expand("{hub_account_id} {account_id:log} {org_id} {region}", &cx),
            "{{management_account_id}} {{account_id:log}} {{org_id}} eu-west-1"
        );
        assert_eq!(expand("arn:aws:iam::*:user/${aws:username}", &cx), "arn:aws:iam::*:user/${aws:username}");
        assert_eq!(expand("{unknown} {", &cx), "{unknown} {");
    }
}
