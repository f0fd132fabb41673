//! The built-in guardrails: service control policies groundwork writes itself.
//!
//! Each generator returns the policy document with the blueprint's placeholders still in it
//! (`{management_account_id}`, `{account_id:NAME}`); the planner expands them. See
//! `docs/guardrails.md` for what each one denies and why.

use serde_json::{Value, json};

use crate::policy::POLICY_VERSION;

/// The built-in guardrails, by the name used in `builtin:`.
pub const BUILTIN_GUARDRAILS: &[&str] = &[
    "deny-leave-organization",
    "protect-cloudtrail",
    "deny-root-user",
    "deny-regions-outside",
    "deny-iam-users-outside-identity",
];

/// The S3 actions that weaken, erase or leak the log archive: deleting the bucket, its objects and
/// their versions; changing or removing its policy, lifecycle, versioning, encryption, ownership
/// controls (re-enabling ACLs), public-access block, replication (copying every future log to an
/// outside bucket), server access logging, object-lock configuration, object retention and legal
/// hold; and bypassing governance-mode retention. One list, denied both by the log bucket's own
/// policy and by the `protect-cloudtrail` guardrail, so that detaching either one is not enough.
/// (IAM authorizes `DeleteBucketLifecycle`, `DeleteBucketEncryption`, `DeleteBucketReplication`
/// and `DeleteBucketOwnershipControls` with the matching `Put…` action.)
pub const LOG_BUCKET_PROTECTED_ACTIONS: &[&str] = &[
    "s3:DeleteBucket",
    "s3:DeleteObject",
    "s3:DeleteObjectVersion",
    "s3:PutBucketPolicy",
    "s3:DeleteBucketPolicy",
    "s3:PutLifecycleConfiguration",
    "s3:PutBucketVersioning",
    "s3:PutEncryptionConfiguration",
    "s3:PutBucketOwnershipControls",
    "s3:PutBucketAcl",
    "s3:PutBucketPublicAccessBlock",
    "s3:PutReplicationConfiguration",
    "s3:PutBucketLogging",
    "s3:PutBucketObjectLockConfiguration",
    "s3:PutObjectRetention",
    "s3:PutObjectLegalHold",
    "s3:BypassGovernanceRetention",
];

/// Actions of the global services, exempted from `deny-regions-outside`: their endpoints live in
/// one region (mostly us-east-1), so a region lock must not apply to them.
pub const GLOBAL_SERVICE_ACTIONS: &[&str] = &[
    "account:*",
    "acm:*",
    "aws-marketplace:*",
    "aws-marketplace-management:*",
    "aws-portal:*",
    "billing:*",
    "budgets:*",
    "ce:*",
    "chatbot:*",
    "cloudfront:*",
    "cur:*",
    "directconnect:*",
    "ec2:DescribeRegions",
    "ec2:DescribeTransitGateways",
    "ec2:DescribeVpnGateways",
    "fms:*",
    "freetier:*",
    "globalaccelerator:*",
    "health:*",
    "iam:*",
    "importexport:*",
    "invoicing:*",
    "kms:*",
    "networkmanager:*",
    "organizations:*",
    "payments:*",
    "pricing:*",
    "route53:*",
    "route53domains:*",
    "route53-recovery-cluster:*",
    "route53-recovery-control-config:*",
    "route53-recovery-readiness:*",
    "s3:GetAccountPublicAccessBlock",
    "s3:GetBucketLocation",
    "s3:ListAllMyBuckets",
    "s3:ListMultiRegionAccessPoints",
    "s3:PutAccountPublicAccessBlock",
    "shield:*",
    "sts:*",
    "support:*",
    "tax:*",
    "trustedadvisor:*",
    "waf:*",
    "waf-regional:*",
    "wafv2:*",
    "wellarchitected:*",
];

/// The description stored with a built-in when the blueprint gives none.
pub(crate) fn default_description(builtin: &str) -> &'static str {
    match builtin {
        "deny-leave-organization" => "Member accounts cannot leave the organization",
        "protect-cloudtrail" => "Nobody but groundwork can stop or change the organization trail and its log bucket",
        "deny-root-user" => "The root user of member accounts can do nothing",
        "deny-regions-outside" => "Regional services only in the allowed regions",
        "deny-iam-users-outside-identity" => "IAM users and access keys only in the identity account",
        _ => DEFAULT_DESCRIPTION,
    }
}

/// The description of a custom guardrail when the blueprint gives none.
pub(crate) const DEFAULT_DESCRIPTION: &str = "Managed by groundwork";

/// ARN pattern of groundwork's access role in every member account.
fn access_role_arn(access_role: &str) -> String {
    format!("arn:aws:iam::*:role/{access_role}")
}

/// `deny-leave-organization`: no member account may leave.
pub(crate) fn deny_leave_organization() -> Value {
    json!({
        "Version": POLICY_VERSION,
        "Statement": [{
            "Sid": "DenyLeaveOrganization",
            "Effect": "Deny",
            "Action": "organizations:LeaveOrganization",
            "Resource": "*",
        }],
    })
}

/// `protect-cloudtrail`: the organization trail and its bucket can be changed only by
/// groundwork's access role. `bucket` is the bucket name as written in `logging.bucket`; its
/// `{account_id}` means the log-archive account `log_account`.
pub(crate) fn protect_cloudtrail(trail: &str, bucket: &str, log_account: &str, access_role: &str) -> Value {
    let bucket = bucket.replace("{account_id}", &format!("{{account_id:{log_account}}}"));
    let exempt = json!({ "ArnNotLike": { "aws:PrincipalArn": access_role_arn(access_role) } });
    json!({
        "Version": POLICY_VERSION,
        "Statement": [
            {
                "Sid": "ProtectOrganizationTrail",
                "Effect": "Deny",
                "Action": [
                    "cloudtrail:StopLogging",
                    "cloudtrail:DeleteTrail",
                    "cloudtrail:UpdateTrail",
                    "cloudtrail:PutEventSelectors",
                    "cloudtrail:PutInsightSelectors",
                ],
                "Resource": format!("arn:aws:cloudtrail:*:{{management_account_id}}:trail/{trail}"),
                "Condition": exempt,
            },
            {
                "Sid": "ProtectLogBucket",
                "Effect": "Deny",
                "Action": [
                    "s3:DeleteBucket",
                    "s3:PutBucketPolicy",
                    "s3:DeleteBucketPolicy",
                    "s3:PutLifecycleConfiguration",
                    "s3:PutBucketVersioning",
                    "s3:PutBucketPublicAccessBlock",
                    "s3:PutEncryptionConfiguration",
                    "s3:DeleteObject",
                    "s3:DeleteObjectVersion",
                ],
                "Resource": [format!("arn:aws:s3:::{bucket}"), format!("arn:aws:s3:::{bucket}/*")],
                "Condition": exempt,
            },
        ],
    })
}

/// `deny-root-user`: the root user of an account the policy applies to can do nothing. (SCPs
/// never apply to the management account.)
pub(crate) fn deny_root_user() -> Value {
    json!({
        "Version": POLICY_VERSION,
        "Statement": [{
            "Sid": "DenyRootUser",
            "Effect": "Deny",
            "Action": "*",
            "Resource": "*",
            "Condition": { "StringLike": { "aws:PrincipalArn": "arn:aws:iam::*:root" } },
        }],
    })
}

/// `deny-regions-outside`: everything but the global services is denied outside `allowed`,
/// except for groundwork's access role.
pub(crate) fn deny_regions_outside(allowed: &[String], access_role: &str) -> Value {
    json!({
        "Version": POLICY_VERSION,
        "Statement": [{
            "Sid": "DenyOutsideAllowedRegions",
            "Effect": "Deny",
            "NotAction": GLOBAL_SERVICE_ACTIONS,
            "Resource": "*",
            "Condition": {
                "StringNotEquals": { "aws:RequestedRegion": allowed },
                "ArnNotLike": { "aws:PrincipalArn": access_role_arn(access_role) },
            },
        }],
    })
}

/// `deny-iam-users-outside-identity`: IAM users, their passwords and access keys are created only
/// in the identity account `identity_account`.
pub(crate) fn deny_iam_users_outside_identity(identity_account: &str) -> Value {
    json!({
        "Version": POLICY_VERSION,
        "Statement": [{
            "Sid": "DenyIamUsersOutsideIdentity",
            "Effect": "Deny",
            "Action": ["iam:CreateUser", "iam:CreateAccessKey", "iam:CreateLoginProfile", "iam:UpdateLoginProfile"],
            "Resource": "*",
            "Condition": {
                "StringNotEquals": { "aws:PrincipalAccount": format!("{{account_id:{identity_account}}}") },
            },
        }],
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::scp_size;

    /// Every statement of a generated document, after a round trip through JSON text.
    fn statements(doc: &Value) -> Vec<Value> {
        let text = serde_json::to_string(doc).unwrap();
        let back: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back["Version"], "2012-10-17");
        let list = back["Statement"].as_array().unwrap().clone();
        for s in &list {
            assert!(s["Sid"].as_str().is_some_and(|sid| sid.chars().all(|c| c.is_ascii_alphanumeric())));
            assert_eq!(s["Effect"], "Deny");
        }
        list
    }

    fn strings(v: &Value) -> Vec<&str> {
        match v {
            Value::String(s) => vec![s.as_str()],
            Value::Array(items) => items.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        }
    }

    #[test]
    fn leave_organization() {
        let s = statements(&deny_leave_organization());
        assert_eq!(s.len(), 1);
        assert_eq!(strings(&s[0]["Action"]), ["organizations:LeaveOrganization"]);
        assert_eq!(s[0]["Resource"], "*");
    }

    #[test]
    fn protect_cloudtrail_covers_trail_and_bucket_and_exempts_the_access_role() {
        let doc =
            protect_cloudtrail("org-trail", "acme-trail-{account_id}-{region}", "log-archive", "GroundworkAccess");
        let s = statements(&doc);
        assert_eq!(s.len(), 2);
        let trail_actions = strings(&s[0]["Action"]);
        for a in ["StopLogging", "DeleteTrail", "UpdateTrail", "PutEventSelectors", "PutInsightSelectors"] {
            assert!(trail_actions.contains(&format!("cloudtrail:{a}").as_str()), "{a}");
        }
        assert_eq!(s[0]["Resource"], "arn:aws:cloudtrail:*:{management_account_id}:trail/org-trail");
        let bucket_actions = strings(&s[1]["Action"]);
        assert_eq!(bucket_actions.len(), 9);
        assert!(bucket_actions.contains(&"s3:DeleteObjectVersion"));
        assert!(bucket_actions.contains(&"s3:PutBucketPolicy"));
        assert_eq!(
            strings(&s[1]["Resource"]),
            [
                "arn:aws:s3:::acme-trail-{account_id:log-archive}-{region}",
                "arn:aws:s3:::acme-trail-{account_id:log-archive}-{region}/*"
            ]
        );
        for st in &s {
            assert_eq!(st["Condition"]["ArnNotLike"]["aws:PrincipalArn"], "arn:aws:iam::*:role/GroundworkAccess");
        }
    }

    #[test]
    fn root_user() {
        let s = statements(&deny_root_user());
        assert_eq!(s[0]["Action"], "*");
        assert_eq!(s[0]["Condition"]["StringLike"]["aws:PrincipalArn"], "arn:aws:iam::*:root");
    }

    #[test]
    fn regions_outside() {
        let allowed = vec!["eu-west-1".to_owned(), "us-east-1".to_owned()];
        let s = statements(&deny_regions_outside(&allowed, "OrganizationAccountAccessRole"));
        assert!(s[0].get("Action").is_none());
        let not = strings(&s[0]["NotAction"]);
        for a in ["iam:*", "organizations:*", "sts:*", "route53:*", "cloudfront:*", "support:*", "s3:ListAllMyBuckets"]
        {
            assert!(not.contains(&a), "{a} not exempted");
        }
        assert_eq!(strings(&s[0]["Condition"]["StringNotEquals"]["aws:RequestedRegion"]), ["eu-west-1", "us-east-1"]);
        assert_eq!(
            s[0]["Condition"]["ArnNotLike"]["aws:PrincipalArn"],
            "arn:aws:iam::*:role/OrganizationAccountAccessRole"
        );
    }

    #[test]
    fn iam_users_outside_identity() {
        let s = statements(&deny_iam_users_outside_identity("identity"));
        assert_eq!(
            strings(&s[0]["Action"]),
            ["iam:CreateUser", "iam:CreateAccessKey", "iam:CreateLoginProfile", "iam:UpdateLoginProfile"]
        );
        assert_eq!(s[0]["Condition"]["StringNotEquals"]["aws:PrincipalAccount"], "{account_id:identity}");
    }

    #[test]
    fn every_builtin_fits_the_default_limit() {
        let regions: Vec<String> = crate::regions::REGIONS.iter().map(|r| (*r).to_owned()).collect();
        let long = "x".repeat(50);
        for doc in [
            deny_leave_organization(),
            protect_cloudtrail(&"t".repeat(128), &format!("{{org_id}}-{}", "b".repeat(20)), &long, &"r".repeat(64)),
            deny_root_user(),
            deny_regions_outside(&regions, &"r".repeat(64)),
            deny_iam_users_outside_identity(&long),
        ] {
            assert!(scp_size(&doc) <= 5120, "{} characters: {doc}", scp_size(&doc));
        }
    }
}
