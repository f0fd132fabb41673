//! The built-in guardrails: service control policies groundwork writes itself.
//!
//! Each generator returns the policy document with the blueprint's placeholders still in it
//! (`{management_account_id}`, `{account_id:NAME}`); the planner expands them. See
//! `docs/guardrails.md` for what each one denies and why.

use serde_json::{Value, json};

use crate::policy::POLICY_VERSION;
use crate::template::{Context, Name, Template};

/// The built-in guardrails, by the name used in `builtin:`.
pub const BUILTIN_GUARDRAILS: &[&str] = &[
    "deny-leave-organization",
    "protect-cloudtrail",
    "deny-root-user",
    "deny-regions-outside",
    "deny-iam-users-outside-identity",
    "protect-access-role",
    crate::org_policies::AI_SERVICES_OPT_OUT,
    crate::org_policies::TAG_CONVENTIONS,
    crate::sandbox::SANDBOX_LIMITS,
];

/// The built-ins that exempt groundwork's access role (and the break-glass role): whenever one
/// of them is in the blueprint, `protect-access-role` is attached at Root too.
pub const EXEMPTING_BUILTINS: &[&str] = &["protect-cloudtrail", "deny-regions-outside", crate::sandbox::SANDBOX_LIMITS];

/// The IAM writes `protect-access-role` denies on the access role (and the break-glass role)
/// unless the caller is one of them: AWS Control Tower's AWS-GR_IAM_ROLE_CHANGE_PROHIBITED for
/// its own role.
pub const ACCESS_ROLE_PROTECTED_ACTIONS: &[&str] = &[
    "iam:CreateRole",
    "iam:DeleteRole",
    "iam:UpdateAssumeRolePolicy",
    "iam:UpdateRole",
    "iam:AttachRolePolicy",
    "iam:DetachRolePolicy",
    "iam:PutRolePolicy",
    "iam:DeleteRolePolicy",
    "iam:PutRolePermissionsBoundary",
    "iam:DeleteRolePermissionsBoundary",
    "iam:TagRole",
    "iam:UntagRole",
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

/// The KMS actions that would make the archive key unusable or hand it to someone else:
/// disabling it, scheduling its deletion, turning its rotation off, rewriting its policy or
/// grants, and moving or deleting its alias. Denied by `protect-cloudtrail` on the key (matched by
/// its alias, `kms:ResourceAliases`) and on the alias itself.
pub const LOG_KEY_PROTECTED_ACTIONS: &[&str] = &[
    "kms:DisableKey",
    "kms:ScheduleKeyDeletion",
    "kms:DisableKeyRotation",
    "kms:PutKeyPolicy",
    "kms:CreateGrant",
    "kms:DeleteAlias",
    "kms:UpdateAlias",
];

/// Actions of the global services, exempted from `deny-regions-outside`: their endpoints live in
/// one region (mostly us-east-1), so a region lock must not apply to them. The list is AWS Control
/// Tower's Region deny control (GRREGIONDENY, and CT.MULTISERVICE.PV.1 for an OU), as the Control
/// Tower controls reference publishes it; see `docs/guardrails.md`. Only `chatbot:*`,
/// `route53-recovery-*` and the rest of groundwork's earlier list were there already.
pub const GLOBAL_SERVICE_ACTIONS: &[&str] = &[
    "a4b:*",
    "access-analyzer:*",
    "account:*",
    "acm:*",
    "activate:*",
    "artifact:*",
    "aws-marketplace-management:*",
    "aws-marketplace:*",
    "aws-portal:*",
    "billing:*",
    "billingconductor:*",
    "budgets:*",
    "ce:*",
    "chatbot:*",
    "chime:*",
    "cloudfront:*",
    "cloudtrail:LookupEvents",
    "compute-optimizer:*",
    "config:*",
    "consoleapp:*",
    "consolidatedbilling:*",
    "cur:*",
    "datapipeline:GetAccountLimits",
    "devicefarm:*",
    "directconnect:*",
    "ec2:DescribeRegions",
    "ec2:DescribeTransitGateways",
    "ec2:DescribeVpnGateways",
    "ecr-public:*",
    "fms:*",
    "freetier:*",
    "globalaccelerator:*",
    "health:*",
    "iam:*",
    "importexport:*",
    "invoicing:*",
    "iq:*",
    "kms:*",
    "license-manager:ListReceivedLicenses",
    "lightsail:Get*",
    "mobileanalytics:*",
    "networkmanager:*",
    "notifications-contacts:*",
    "notifications:*",
    "organizations:*",
    "payments:*",
    "pricing:*",
    "quicksight:DescribeAccountSubscription",
    "resource-explorer-2:*",
    "route53-recovery-cluster:*",
    "route53-recovery-control-config:*",
    "route53-recovery-readiness:*",
    "route53:*",
    "route53domains:*",
    "s3:CreateMultiRegionAccessPoint",
    "s3:DeleteMultiRegionAccessPoint",
    "s3:DescribeMultiRegionAccessPointOperation",
    "s3:GetAccountPublicAccessBlock",
    "s3:GetBucketLocation",
    "s3:GetBucketPolicyStatus",
    "s3:GetBucketPublicAccessBlock",
    "s3:GetMultiRegionAccessPoint",
    "s3:GetMultiRegionAccessPointPolicy",
    "s3:GetMultiRegionAccessPointPolicyStatus",
    "s3:GetStorageLensConfiguration",
    "s3:GetStorageLensDashboard",
    "s3:ListAllMyBuckets",
    "s3:ListMultiRegionAccessPoints",
    "s3:ListStorageLensConfigurations",
    "s3:PutAccountPublicAccessBlock",
    "s3:PutMultiRegionAccessPointPolicy",
    "savingsplans:*",
    "shield:*",
    "sso:*",
    "sts:*",
    "support:*",
    "supportapp:*",
    "supportplans:*",
    "sustainability:*",
    "tag:GetResources",
    "tax:*",
    "trustedadvisor:*",
    "vendor-insights:ListEntitledSecurityProfiles",
    "waf-regional:*",
    "waf:*",
    "wafv2:*",
];

/// The description stored with a built-in when the blueprint gives none.
pub(crate) fn default_description(builtin: &str) -> &'static str {
    match builtin {
        "deny-leave-organization" => "Member accounts cannot leave the organization",
        "protect-cloudtrail" => {
            "Member accounts (a CloudTrail delegated administrator included) cannot change the organization trail or weaken its log bucket"
        }
        "deny-root-user" => "The root user of member accounts can do nothing",
        "deny-regions-outside" => "Regional services only in the allowed regions",
        "deny-iam-users-outside-identity" => "IAM users and access keys only in the identity account",
        "protect-access-role" => "Only groundwork's access role (and the break-glass role) can change those roles",
        crate::sandbox::SANDBOX_LIMITS => {
            "Sandboxes: no network path out, no long-term commitment, no IAM user or access key, small instances only"
        }
        crate::org_policies::AI_SERVICES_OPT_OUT => "AWS AI services do not store or use content of member accounts",
        crate::org_policies::TAG_CONVENTIONS => "Tag keys and values follow the blueprint's tag conventions",
        _ => DEFAULT_DESCRIPTION,
    }
}

/// The description of a custom guardrail when the blueprint gives none.
pub(crate) const DEFAULT_DESCRIPTION: &str = "Managed by groundwork";

/// ARN pattern of groundwork's access role in every member account.
fn access_role_arn(access_role: &str) -> String {
    format!("arn:aws:iam::*:role/{access_role}")
}

/// The roles the built-ins exempt: groundwork's access role, and the break-glass role when the
/// blueprint names one.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Exempt<'a> {
    /// `organization.access_role`.
    pub(crate) access_role: &'a str,
    /// `organization.break_glass_role`.
    pub(crate) break_glass_role: Option<&'a str>,
}

impl Exempt<'_> {
    /// The ARN patterns of the exempt roles: one string, or a list with the break-glass role.
    fn arns(self) -> Value {
        match self.break_glass_role {
            None => json!(access_role_arn(self.access_role)),
            Some(b) => json!([access_role_arn(self.access_role), access_role_arn(b)]),
        }
    }

    /// The condition that lets the exempt roles through a deny.
    fn condition(self) -> Value {
        json!({ "ArnNotLike": { "aws:PrincipalArn": self.arns() } })
    }
}

/// `protect-access-role`: nobody but the access role (and the break-glass role) may create,
/// delete, re-trust, re-permission or re-tag those roles in a member account, so that nobody can
/// make themselves exempt from the other guardrails.
/// What `sandbox-limits` denies to open a network path out of a sandbox: transit gateway
/// attachments, VPC peering, site-to-site and client VPN, Direct Connect, and associating
/// Route 53 Resolver rules (the way a rule shared from elsewhere takes effect), or accepting a
/// resource share (how another account's transit gateway or resolver rules arrive).
pub const SANDBOX_NETWORK_ACTIONS: &[&str] = &[
    "ec2:AcceptTransitGatewayPeeringAttachment",
    "ec2:AcceptTransitGatewayVpcAttachment",
    "ec2:AcceptVpcPeeringConnection",
    "ec2:AttachVpnGateway",
    "ec2:CreateClientVpnEndpoint",
    "ec2:CreateCustomerGateway",
    "ec2:CreateTransitGatewayConnect",
    "ec2:CreateTransitGatewayPeeringAttachment",
    "ec2:CreateTransitGatewayVpcAttachment",
    "ec2:CreateVpcPeeringConnection",
    "ec2:CreateVpnConnection",
    "ec2:CreateVpnGateway",
    "directconnect:*",
    "ram:AcceptResourceShareInvitation",
    "route53resolver:AssociateResolverRule",
];

/// What `sandbox-limits` denies as a long-term commitment: reserved capacity of every kind,
/// savings plans, dedicated hosts and their reservations.
pub const SANDBOX_COMMITMENT_ACTIONS: &[&str] = &[
    "ec2:AcceptReservedInstancesExchangeQuote",
    "ec2:AllocateHosts",
    "ec2:PurchaseCapacityBlock",
    "ec2:PurchaseHostReservation",
    "ec2:PurchaseReservedInstancesOffering",
    "ec2:PurchaseScheduledInstances",
    "dynamodb:PurchaseReservedCapacityOfferings",
    "elasticache:PurchaseReservedCacheNodesOffering",
    "es:PurchaseReservedInstanceOffering",
    "memorydb:PurchaseReservedNodesOffering",
    "rds:PurchaseReservedDBInstancesOffering",
    "redshift:PurchaseReservedNodeOffering",
    "savingsplans:CreateSavingsPlan",
];

/// `sandbox-limits`: no network path out, no long-term commitment, no IAM user or access key,
/// `ec2:RunInstances` only with an instance type of `instance_types`, and the sandbox's budget
/// (`budget_name`) changed by nobody but groundwork's access role (and the break-glass role).
pub(crate) fn sandbox_limits(instance_types: &[String], budget_name: &str, exempt: Exempt<'_>) -> Value {
    json!({
        "Version": POLICY_VERSION,
        "Statement": [
            { "Sid": "DenyNetworkPathsOut", "Effect": "Deny", "Action": SANDBOX_NETWORK_ACTIONS, "Resource": "*" },
            { "Sid": "DenyLongTermCommitments", "Effect": "Deny", "Action": SANDBOX_COMMITMENT_ACTIONS, "Resource": "*" },
            {
                "Sid": "DenyIamUsersAndAccessKeys",
                "Effect": "Deny",
                "Action": ["iam:CreateAccessKey", "iam:CreateUser"],
                "Resource": "*",
            },
            {
                "Sid": "DenyInstanceTypesOutsideAllowList",
                "Effect": "Deny",
                "Action": "ec2:RunInstances",
                "Resource": "arn:aws:ec2:*:*:instance/*",
                "Condition": { "StringNotLike": { "ec2:InstanceType": instance_types } },
            },
            {
                "Sid": "ProtectSandboxBudget",
                "Effect": "Deny",
                "Action": "budgets:ModifyBudget",
                "Resource": format!("arn:aws:budgets::*:budget/{budget_name}"),
                "Condition": exempt.condition(),
            },
        ],
    })
}

pub(crate) fn protect_access_role(exempt: Exempt<'_>) -> Value {
    json!({
        "Version": POLICY_VERSION,
        "Statement": [{
            "Sid": "ProtectAccessRole",
            "Effect": "Deny",
            "Action": ACCESS_ROLE_PROTECTED_ACTIONS,
            "Resource": exempt.arns(),
            "Condition": exempt.condition(),
        }],
    })
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

/// `protect-cloudtrail`: in member accounts, only groundwork's access role (and the break-glass
/// role) may change the organization trail or weaken its bucket. The trail lives in the
/// management account, where SCPs never apply; the trail statement binds the member accounts
/// that can manage organization trails, which is a CloudTrail delegated administrator (its
/// trails stay owned by, and named after, the management account). The bucket statement denies
/// exactly [`LOG_BUCKET_PROTECTED_ACTIONS`]. `bucket` is the bucket name as written in
/// `logging.bucket`; its `{account_id}` means the log-archive account `log_account`. With the
/// archive key groundwork makes (`key_alias`, without `alias/`), [`LOG_KEY_PROTECTED_ACTIONS`]
/// are denied on it and on its alias too.
pub(crate) fn protect_cloudtrail(
    trail: &str,
    bucket: &str,
    log_account: &str,
    key_alias: Option<&str>,
    exempt: Exempt<'_>,
) -> Value {
    let in_log_archive =
        Context { account_id: Some(Name::AccountIdOf(log_account).to_string().into()), ..Context::default() };
    let bucket = Template::document(bucket).expand(&in_log_archive);
    let exempt = exempt.condition();
    let mut doc = json!({
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
                "Resource": format!("arn:aws:cloudtrail:*:{}:trail/{trail}", Name::ManagementAccountId),
                "Condition": exempt,
            },
            {
                "Sid": "ProtectLogBucket",
                "Effect": "Deny",
                "Action": LOG_BUCKET_PROTECTED_ACTIONS,
                "Resource": [format!("arn:aws:s3:::{bucket}"), format!("arn:aws:s3:::{bucket}/*")],
                "Condition": exempt,
            },
        ],
    });
    if let (Some(alias), Some(statements)) = (key_alias, doc["Statement"].as_array_mut()) {
        let mut on_key = exempt.clone();
        on_key["ForAnyValue:StringEquals"] = json!({ "kms:ResourceAliases": format!("alias/{alias}") });
        statements.push(json!({
            "Sid": "ProtectLogKey",
            "Effect": "Deny",
            "Action": LOG_KEY_PROTECTED_ACTIONS,
            "Resource": "*",
            "Condition": on_key,
        }));
        statements.push(json!({
            "Sid": "ProtectLogKeyAlias",
            "Effect": "Deny",
            "Action": ["kms:DeleteAlias", "kms:UpdateAlias"],
            "Resource": format!("arn:aws:kms:*:{}:alias/{alias}", Name::AccountIdOf(log_account)),
            "Condition": exempt,
        }));
    }
    doc
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
/// except for groundwork's access role (and the break-glass role).
pub(crate) fn deny_regions_outside(allowed: &[String], exempt: Exempt<'_>) -> Value {
    json!({
        "Version": POLICY_VERSION,
        "Statement": [{
            "Sid": "DenyOutsideAllowedRegions",
            "Effect": "Deny",
            "NotAction": GLOBAL_SERVICE_ACTIONS,
            "Resource": "*",
            "Condition": {
                "StringNotEquals": { "aws:RequestedRegion": allowed },
                "ArnNotLike": { "aws:PrincipalArn": exempt.arns() },
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
                "StringNotEquals": { "aws:PrincipalAccount": Name::AccountIdOf(identity_account).to_string() },
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
        let exempt = Exempt { access_role: "GroundworkAccess", break_glass_role: None };
        let doc = protect_cloudtrail("org-trail", "acme-trail-{account_id}-{region}", "log-archive", None, exempt);
        let s = statements(&doc);
        assert_eq!(s.len(), 2);
        let trail_actions = strings(&s[0]["Action"]);
        for a in ["StopLogging", "DeleteTrail", "UpdateTrail", "PutEventSelectors", "PutInsightSelectors"] {
            assert!(trail_actions.contains(&format!("cloudtrail:{a}").as_str()), "{a}");
        }
        assert_eq!(s[0]["Resource"], "arn:aws:cloudtrail:*:{management_account_id}:trail/org-trail");
        assert_eq!(strings(&s[1]["Action"]), LOG_BUCKET_PROTECTED_ACTIONS);
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
        let exempt = Exempt { access_role: "OrganizationAccountAccessRole", break_glass_role: None };
        let s = statements(&deny_regions_outside(&allowed, exempt));
        assert!(s[0].get("Action").is_none());
        let not = strings(&s[0]["NotAction"]);
        for a in [
            "iam:*",
            "organizations:*",
            "sts:*",
            "route53:*",
            "cloudfront:*",
            "support:*",
            "s3:ListAllMyBuckets",
            "sso:*",
            "access-analyzer:*",
            "config:*",
            "cloudtrail:LookupEvents",
            "savingsplans:*",
            "tag:GetResources",
            "supportplans:*",
            "s3:GetStorageLensConfiguration",
            "s3:ListStorageLensConfigurations",
            "s3:CreateMultiRegionAccessPoint",
            "s3:GetMultiRegionAccessPoint",
        ] {
            assert!(not.contains(&a), "{a} not exempted");
        }
        let mut sorted = not.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), not.len(), "no action twice");
        assert_eq!(strings(&s[0]["Condition"]["StringNotEquals"]["aws:RequestedRegion"]), ["eu-west-1", "us-east-1"]);
        assert_eq!(
            s[0]["Condition"]["ArnNotLike"]["aws:PrincipalArn"],
            "arn:aws:iam::*:role/OrganizationAccountAccessRole"
        );
    }

    #[test]
    fn protect_cloudtrail_guards_the_archive_key_by_its_alias() {
        let exempt = Exempt { access_role: "GroundworkAccess", break_glass_role: None };
        let s = statements(&protect_cloudtrail("t", "b", "log-archive", Some("groundwork-log-archive"), exempt));
        assert_eq!(s.len(), 4);
        assert_eq!(s[2]["Sid"], "ProtectLogKey");
        assert_eq!(strings(&s[2]["Action"]), LOG_KEY_PROTECTED_ACTIONS);
        for a in ["kms:DisableKey", "kms:ScheduleKeyDeletion", "kms:PutKeyPolicy"] {
            assert!(LOG_KEY_PROTECTED_ACTIONS.contains(&a), "{a}");
        }
        assert_eq!(
            s[2]["Condition"]["ForAnyValue:StringEquals"]["kms:ResourceAliases"],
            "alias/groundwork-log-archive"
        );
        assert_eq!(s[3]["Resource"], "arn:aws:kms:*:{account_id:log-archive}:alias/groundwork-log-archive");
        assert_eq!(strings(&s[3]["Action"]), ["kms:DeleteAlias", "kms:UpdateAlias"]);
    }

    #[test]
    fn break_glass_role_is_exempt_wherever_the_access_role_is() {
        let exempt = Exempt { access_role: "Access", break_glass_role: Some("BreakGlass") };
        let both = ["arn:aws:iam::*:role/Access", "arn:aws:iam::*:role/BreakGlass"];
        let regions = statements(&deny_regions_outside(&["eu-west-1".to_owned()], exempt));
        assert_eq!(strings(&regions[0]["Condition"]["ArnNotLike"]["aws:PrincipalArn"]), both);
        for st in statements(&protect_cloudtrail("t", "b", "log", Some("k"), exempt)) {
            assert_eq!(strings(&st["Condition"]["ArnNotLike"]["aws:PrincipalArn"]), both);
        }
        let protect = statements(&protect_access_role(exempt));
        assert_eq!(strings(&protect[0]["Resource"]), both);
        assert_eq!(strings(&protect[0]["Condition"]["ArnNotLike"]["aws:PrincipalArn"]), both);
    }

    #[test]
    fn protect_access_role_denies_every_write_on_the_role_but_its_own() {
        let s = statements(&protect_access_role(Exempt {
            access_role: "OrganizationAccountAccessRole",
            break_glass_role: None,
        }));
        assert_eq!(s.len(), 1);
        assert_eq!(strings(&s[0]["Action"]), ACCESS_ROLE_PROTECTED_ACTIONS);
        assert_eq!(ACCESS_ROLE_PROTECTED_ACTIONS.len(), 12);
        assert_eq!(s[0]["Resource"], "arn:aws:iam::*:role/OrganizationAccountAccessRole");
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
        let role = "r".repeat(64);
        let exempt = Exempt { access_role: &role, break_glass_role: Some(&role) };
        for doc in [
            deny_leave_organization(),
            protect_cloudtrail(
                &"t".repeat(128),
                &format!("{{org_id}}-{}", "b".repeat(20)),
                &long,
                Some(&"k".repeat(128)),
                exempt,
            ),
            deny_root_user(),
            deny_regions_outside(&regions, exempt),
            deny_iam_users_outside_identity(&long),
            protect_access_role(exempt),
        ] {
            assert!(scp_size(&doc) <= 5120, "{} characters: {doc}", scp_size(&doc));
        }
    }
}
