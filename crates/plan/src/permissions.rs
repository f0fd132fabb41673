//! The least-privilege IAM policy groundwork needs for one blueprint, computed offline from the
//! blueprint's lowering: the deployer (the principal groundwork runs as, in the management
//! account) and the execution role in member accounts, one permission set per account purpose
//! (log-archive, hub, workloads and the other members).
//!
//! Resources are scoped to what the blueprint names: the log bucket's ARN, the IAM users,
//! groups, policies, roles and instance profiles by name, the trail's ARN, the access and
//! execution roles, and the state bucket `groundwork-state-*`. Account ids are `*` in IAM ARNs:
//! an identity policy can only act on IAM objects of its own account, so `*` there names the
//! account the policy is attached in. Organizations actions that cannot be scoped run on `*`,
//! conditioned on the policy type or service principal where IAM offers a key.
//!
//! [`iam_actions`] maps an SDK operation to the IAM action(s) that authorize it; [`allows`] is a
//! small evaluator of Allow and Deny statements with wildcards, for proving that what the tool
//! does stays inside what it prints.
//!
//! ```
//! let bp = groundwork_blueprint::parse("x.yaml", b"version: 1
//! organization: { name: x, home_region: us-east-1, management_account: { email: root@x.example } }
//! ").unwrap().blueprint;
//! let p = groundwork_plan::permissions(&bp);
//! let deployer = &p.sets[0];
//! assert!(groundwork_plan::allows(&deployer.documents(), "organizations:CreateAccount", None));
//! ```

use std::collections::{BTreeMap, BTreeSet};

use groundwork_blueprint::Blueprint;
use groundwork_blueprint::template::Template;
use serde::Serialize;
use serde_json::{Value, json};

use crate::lower::{CLOUDTRAIL_PRINCIPAL, SCP_TYPE, hub};
use crate::resource::{DesiredResource, Kind};
use crate::state::{Desired, TAG_BLUEPRINT, TAG_MANAGED};
use groundwork_blueprint::org_policies::OrgPolicyType;

/// Version of the JSON document `groundwork permissions --json` prints.
pub const PERMISSIONS_FORMAT_VERSION: u32 = 1;
/// IAM's limit on a customer-managed policy, whitespace not counted.
pub const MANAGED_POLICY_MAX_CHARS: usize = 6_144;
/// The prefix of the state bucket (`groundwork-state-<account-id>-<region>`).
pub const STATE_BUCKET_PREFIX: &str = "groundwork-state-";

/// SDK operations whose IAM action is not `service:Operation`. One line per operation; every
/// operation not listed here maps to the action of the same name (`iam:CreateRole`).
/// An empty list: the operation needs no permission.
const OPERATION_ACTIONS: &[(&str, &[&str])] = &[
    ("sts:GetCallerIdentity", &[]),
    ("s3:HeadBucket", &["s3:ListBucket"]),
    ("s3:ListBuckets", &["s3:ListAllMyBuckets"]),
    ("s3:HeadObject", &["s3:GetObject"]),
    ("s3:GetBucketLifecycleConfiguration", &["s3:GetLifecycleConfiguration"]),
    ("s3:PutBucketLifecycleConfiguration", &["s3:PutLifecycleConfiguration"]),
    ("s3:DeleteBucketLifecycle", &["s3:PutLifecycleConfiguration"]),
    ("s3:GetBucketEncryption", &["s3:GetEncryptionConfiguration"]),
    ("s3:PutBucketEncryption", &["s3:PutEncryptionConfiguration"]),
    ("s3:GetPublicAccessBlock", &["s3:GetBucketPublicAccessBlock"]),
    ("s3:PutPublicAccessBlock", &["s3:PutBucketPublicAccessBlock"]),
    ("s3:GetObjectLockConfiguration", &["s3:GetBucketObjectLockConfiguration"]),
    ("s3:PutObjectLockConfiguration", &["s3:PutBucketObjectLockConfiguration"]),
    ("s3:ListObjectsV2", &["s3:ListBucket"]),
    ("s3:ListObjectVersions", &["s3:ListBucketVersions"]),
    ("servicequotas:GetServiceQuota", &["servicequotas:GetServiceQuota"]),
    ("service-quotas:GetServiceQuota", &["servicequotas:GetServiceQuota"]),
    ("s3control:GetPublicAccessBlock", &["s3:GetAccountPublicAccessBlock"]),
    ("s3control:PutPublicAccessBlock", &["s3:PutAccountPublicAccessBlock"]),
    // AWS Budgets authorizes every read with ViewBudget and every write with ModifyBudget.
    ("budgets:DescribeBudget", &["budgets:ViewBudget"]),
    ("budgets:DescribeNotificationsForBudget", &["budgets:ViewBudget"]),
    ("budgets:DescribeSubscribersForNotification", &["budgets:ViewBudget"]),
    ("budgets:CreateBudget", &["budgets:ModifyBudget"]),
    ("budgets:UpdateBudget", &["budgets:ModifyBudget"]),
    ("budgets:CreateNotification", &["budgets:ModifyBudget"]),
    ("budgets:DeleteNotification", &["budgets:ModifyBudget"]),
];

/// The IAM actions that authorize an SDK operation (`s3:HeadBucket` → `s3:ListBucket`); empty
/// when it needs none (`sts:GetCallerIdentity`).
pub fn iam_actions(operation: &str) -> Vec<String> {
    match OPERATION_ACTIONS.iter().find(|(op, _)| op.eq_ignore_ascii_case(operation)) {
        Some((_, actions)) => actions.iter().map(|a| (*a).to_owned()).collect(),
        // The SDK calls CloudWatch Logs `cloudwatchlogs`; IAM's prefix is `logs`.
        None => match operation.strip_prefix("cloudwatchlogs:") {
            Some(op) => vec![format!("logs:{op}")],
            // The SDK calls EventBridge `eventbridge`; IAM's prefix is `events`.
            None => match operation.strip_prefix("eventbridge:") {
                Some(op) => vec![format!("events:{op}")],
                None => vec![operation.to_owned()],
            },
        },
    }
}

/// One statement of a permission set, with why groundwork needs it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Statement {
    /// The statement id.
    pub sid: String,
    /// `Allow` or `Deny`.
    pub effect: &'static str,
    /// Actions, sorted.
    pub actions: Vec<String>,
    /// Resource ARNs (or `*`), sorted.
    pub resources: Vec<String>,
    /// An IAM condition block, when one narrows the statement.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub condition: Option<Value>,
    /// What it is for.
    pub why: String,
}

impl Statement {
    fn document(&self) -> Value {
        let mut s = json!({
            "Sid": self.sid,
            "Effect": self.effect,
            "Action": self.actions,
            "Resource": self.resources,
        });
        if let Some(c) = &self.condition {
            s["Condition"] = c.clone();
        }
        s
    }
}

/// Who a permission set is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Holder {
    /// The principal groundwork runs as in the management account.
    Deployer,
    /// The execution role in the log-archive account(s).
    LogArchive,
    /// The execution role in the identity hub.
    Hub,
    /// The execution role in every other member account.
    Workloads,
}

impl Holder {
    /// The set's name (and file name): `deployer`, `member-log-archive`, ….
    pub fn name(self) -> &'static str {
        match self {
            Holder::Deployer => "deployer",
            Holder::LogArchive => "member-log-archive",
            Holder::Hub => "member-hub",
            Holder::Workloads => "member-workloads",
        }
    }
}

/// The permissions of one principal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PermissionSet {
    /// `deployer`, `member-log-archive`, `member-hub` or `member-workloads`.
    pub name: &'static str,
    /// Who holds it.
    pub holder: Holder,
    /// The role that carries it: the deployer role (or `null`: whatever principal runs
    /// groundwork), or the execution role (else the access role) in members.
    pub role: Option<String>,
    /// The blueprint accounts it applies in (`management` for the deployer).
    pub accounts: Vec<String>,
    /// The statements.
    pub statements: Vec<Statement>,
}

impl PermissionSet {
    /// Ready-to-attach policy documents: the statements packed in order into as few documents
    /// as IAM's managed-policy limit (6,144 characters, whitespace not counted) allows.
    pub fn documents(&self) -> Vec<Value> {
        let mut docs: Vec<Vec<Value>> = Vec::new();
        let envelope = policy_chars(&json!({ "Version": "2012-10-17", "Statement": [] }));
        let mut used = 0;
        for s in &self.statements {
            let doc = s.document();
            let size = policy_chars(&doc) + 1;
            match docs.last_mut() {
                Some(current) if used + size <= MANAGED_POLICY_MAX_CHARS => {
                    current.push(doc);
                    used += size;
                }
                _ => {
                    docs.push(vec![doc]);
                    used = envelope + size;
                }
            }
        }
        docs.into_iter().map(|statements| json!({ "Version": "2012-10-17", "Statement": statements })).collect()
    }
}

/// Characters of a policy as IAM counts them: its JSON without whitespace.
pub fn policy_chars(doc: &Value) -> usize {
    doc.to_string().chars().filter(|c| !c.is_whitespace()).count()
}

/// Every permission set of a blueprint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Permissions {
    /// [`PERMISSIONS_FORMAT_VERSION`].
    pub format_version: u32,
    /// The blueprint's `organization.name`.
    pub blueprint: String,
    /// The role groundwork assumes in members to bootstrap (`organization.access_role`).
    pub access_role: String,
    /// The dedicated execution role in members (`organization.execution_role`), if any.
    pub execution_role: Option<String>,
    /// The deployer first, then the member sets that have accounts.
    pub sets: Vec<PermissionSet>,
}

impl Permissions {
    /// The set that applies in a blueprint account (`None`: the management account).
    pub fn set_for(&self, account: Option<&str>) -> Option<&PermissionSet> {
        let name = account.unwrap_or("management");
        self.sets.iter().find(|s| s.accounts.iter().any(|a| a == name))
    }
}

/// Statements accumulated per (sid): actions, resources and a condition, merged.
#[derive(Default)]
struct Builder {
    order: Vec<String>,
    by_sid: BTreeMap<String, (Statement, BTreeSet<String>, BTreeSet<String>)>,
}

impl Builder {
    fn add(&mut self, sid: &str, why: &str, actions: &[&str], resources: &[String], condition: Option<Value>) {
        self.push(sid, "Allow", why, actions, resources, condition);
    }

    fn push(
        &mut self,
        sid: &str,
        effect: &'static str,
        why: &str,
        actions: &[&str],
        resources: &[String],
        condition: Option<Value>,
    ) {
        let entry = self.by_sid.entry(sid.to_owned()).or_insert_with(|| {
            self.order.push(sid.to_owned());
            (
                Statement {
                    sid: sid.to_owned(),
                    effect,
                    actions: Vec::new(),
                    resources: Vec::new(),
                    condition: None,
                    why: why.to_owned(),
                },
                BTreeSet::new(),
                BTreeSet::new(),
            )
        });
        entry.1.extend(actions.iter().map(|a| (*a).to_owned()));
        entry.2.extend(resources.iter().cloned());
        if let Some(c) = condition {
            entry.0.condition = Some(merge_condition(entry.0.condition.take(), c));
        }
    }

    fn finish(self) -> Vec<Statement> {
        let mut by_sid = self.by_sid;
        self.order
            .iter()
            .filter_map(|sid| by_sid.remove(sid))
            .map(|(mut s, actions, resources)| {
                s.actions = actions.into_iter().collect();
                s.resources = if resources.contains("*") { vec!["*".into()] } else { resources.into_iter().collect() };
                s
            })
            .collect()
    }
}

/// Merges two condition blocks: values of the same operator and key become one sorted set.
fn merge_condition(a: Option<Value>, b: Value) -> Value {
    let Some(mut a) = a else { return b };
    if let (Value::Object(am), Value::Object(bm)) = (&mut a, b) {
        for (op, keys) in bm {
            let slot = am.entry(op).or_insert_with(|| json!({}));
            if let (Value::Object(sk), Value::Object(keys)) = (slot, keys) {
                for (k, v) in keys {
                    let mut set: BTreeSet<String> = BTreeSet::new();
                    for x in [sk.get(&k).cloned(), Some(v)].into_iter().flatten() {
                        match x {
                            Value::Array(items) => {
                                set.extend(items.iter().filter_map(Value::as_str).map(str::to_owned));
                            }
                            Value::String(s) => {
                                set.insert(s);
                            }
                            _ => {}
                        }
                    }
                    sk.insert(k, json!(set.into_iter().collect::<Vec<_>>()));
                }
            }
        }
    }
    a
}

/// A name with the planner's `{{…}}` id placeholders made `*` (ids are unknown offline).
fn wild(name: &str) -> String {
    Template::ids(name).map(|_| Some("*".into()))
}

fn iam_arn(kind: &str, name: &str) -> String {
    format!("arn:aws:iam::*:{kind}/{}", wild(name))
}

/// A role's ARNs at the root path and under any path (roles may live under `/groundwork/`).
fn role_arns(name: &str) -> Vec<String> {
    vec![iam_arn("role", name), iam_arn("role", &format!("*/{name}"))]
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array().map(|a| a.iter().filter_map(Value::as_str).map(wild).collect()).unwrap_or_default()
}

fn policy_arn_condition(arns: &[String]) -> Option<Value> {
    (!arns.is_empty()).then(|| json!({ "ArnLike": { "iam:PolicyARN": arns } }))
}

/// Discovery reads an account's IAM in bulk (`GetAccountAuthorizationDetails`, `ListRoles`);
/// neither has a resource narrower than the account.
fn iam_discovery(b: &mut Builder, actions: &[&str]) {
    b.add(
        "IamDiscovery",
        "read the account's IAM in bulk for the plan: roles (and the access role's trust), groups, users, customer-managed policies",
        actions,
        &["*".into()],
        None,
    );
}

const IAM_BULK_READS: &[&str] = &["iam:GetAccountAuthorizationDetails", "iam:ListRoles"];

/// The statements one resource needs in its account.
fn resource_statements(r: &DesiredResource, b: &mut Builder) {
    let name = &r.at.name;
    if matches!(r.at.kind, Kind::ManagedPolicy | Kind::Group | Kind::User | Kind::Role | Kind::InstanceProfile) {
        iam_discovery(b, IAM_BULK_READS);
    }
    match r.at.kind {
        Kind::Bucket => {
            let arn = format!("arn:aws:s3:::{}", wild(name));
            b.add(
                "LogBucketSettings",
                "create the log bucket and converge its settings and policy",
                &[
                    "s3:CreateBucket",
                    "s3:ListBucket",
                    "s3:GetBucketLocation",
                    "s3:GetBucketVersioning",
                    "s3:PutBucketVersioning",
                    "s3:GetBucketPublicAccessBlock",
                    "s3:PutBucketPublicAccessBlock",
                    "s3:GetEncryptionConfiguration",
                    "s3:PutEncryptionConfiguration",
                    "s3:GetBucketOwnershipControls",
                    "s3:PutBucketOwnershipControls",
                    "s3:GetLifecycleConfiguration",
                    "s3:PutLifecycleConfiguration",
                    "s3:GetBucketObjectLockConfiguration",
                    "s3:PutBucketObjectLockConfiguration",
                    "s3:GetBucketPolicy",
                    "s3:PutBucketPolicy",
                    "s3:GetBucketLogging",
                    "s3:PutBucketLogging",
                    "s3:GetBucketTagging",
                ],
                std::slice::from_ref(&arn),
                None,
            );
            b.add(
                "ListOwnBuckets",
                "see whether a bucket of that name is this account's own (a bucket owned by another account is refused)",
                &["s3:ListAllMyBuckets"],
                &["*".to_owned()],
                None,
            );
            b.push(
                "NeverDeleteLogs",
                "Deny",
                "groundwork never deletes logs, the log bucket or its policy",
                &[
                    "s3:DeleteObject",
                    "s3:DeleteObjectVersion",
                    "s3:DeleteBucket",
                    "s3:DeleteBucketPolicy",
                    "s3:PutBucketAcl",
                    "s3:PutObjectAcl",
                ],
                &[arn.clone(), format!("{arn}/*")],
                None,
            );
        }
        Kind::KmsKey => {
            b.add(
                "ArchiveKey",
                "create the archive's KMS key, converge its state, rotation, policy and tags",
                &[
                    "kms:DescribeKey",
                    "kms:GetKeyPolicy",
                    "kms:PutKeyPolicy",
                    "kms:GetKeyRotationStatus",
                    "kms:EnableKeyRotation",
                    "kms:EnableKey",
                    "kms:CancelKeyDeletion",
                    "kms:UpdateKeyDescription",
                    "kms:ListResourceTags",
                    "kms:TagResource",
                ],
                &["arn:aws:kms:*:*:key/*".to_owned()],
                None,
            );
            b.add(
                "ArchiveKeyAlias",
                "name the archive key by its alias",
                &["kms:CreateAlias"],
                &["arn:aws:kms:*:*:key/*".to_owned(), format!("arn:aws:kms:*:*:{}", wild(name))],
                None,
            );
            b.add(
                "FindArchiveKey",
                "find the archive key by its alias (and a key a crashed run created before naming it)",
                &["kms:CreateKey", "kms:ListAliases", "kms:ListKeys"],
                &["*".to_owned()],
                None,
            );
        }
        Kind::Trail => {
            b.add(
                "OrganizationTrail",
                "create the organization trail, converge its settings and event selectors, start logging",
                &[
                    "cloudtrail:CreateTrail",
                    "cloudtrail:UpdateTrail",
                    "cloudtrail:GetTrail",
                    "cloudtrail:GetTrailStatus",
                    "cloudtrail:StartLogging",
                    "cloudtrail:GetEventSelectors",
                    "cloudtrail:PutEventSelectors",
                    "cloudtrail:AddTags",
                    "cloudtrail:ListTags",
                ],
                &[format!("arn:aws:cloudtrail:*:*:trail/{}", wild(name))],
                None,
            );
            b.add("DescribeTrails", "find the trail by name", &["cloudtrail:DescribeTrails"], &["*".into()], None);
            b.add(
                "OrganizationTrailPrerequisites",
                "CloudTrail's documented prerequisites for an organization trail",
                &["iam:GetRole", "organizations:ListAWSServiceAccessForOrganization"],
                &["*".into()],
                None,
            );
            b.add(
                "CloudTrailServiceLinkedRole",
                "an organization trail creates CloudTrail's service-linked role",
                &["iam:CreateServiceLinkedRole"],
                &["arn:aws:iam::*:role/aws-service-role/cloudtrail.amazonaws.com/*".into()],
                Some(json!({ "StringEquals": { "iam:AWSServiceName": [CLOUDTRAIL_PRINCIPAL] } })),
            );
        }
        Kind::ServiceAccess => b.add(
            "TrustedAccess",
            "enable trusted access for the services the blueprint uses",
            &["organizations:EnableAWSServiceAccess"],
            &["*".into()],
            Some(json!({ "StringEquals": { "organizations:ServicePrincipal": [wild(name)] } })),
        ),
        Kind::PolicyType => b.add(
            "EnablePolicyType",
            if name == SCP_TYPE {
                "enable service control policies on the root"
            } else {
                "enable the organization policy types the blueprint uses on the root"
            },
            &["organizations:EnablePolicyType"],
            &["*".into()],
            Some(json!({ "StringEquals": { "organizations:PolicyType": [name] } })),
        ),
        Kind::Budget => b.add(
            "SandboxBudget",
            "read and converge the sandbox's budget and its notifications",
            &["budgets:ViewBudget", "budgets:ModifyBudget"],
            &[format!("arn:aws:budgets::*:budget/{}", wild(name))],
            None,
        ),
        // The same statement as SCPs, its condition widened to the policy's type (the deployer
        // policy stays one document).
        Kind::OrgPolicy | Kind::OrgPolicyAttachment => b.add(
            "ServiceControlPolicies",
            "create, update, attach and detach the blueprint's service control policies",
            &[
                "organizations:CreatePolicy",
                "organizations:UpdatePolicy",
                "organizations:AttachPolicy",
                "organizations:DetachPolicy",
            ],
            &["*".into()],
            Some(json!({ "StringEquals": { "organizations:PolicyType": [r.spec["policy_type"]] } })),
        ),
        Kind::Scp | Kind::ScpAttachment => b.add(
            "ServiceControlPolicies",
            "create, update, attach and detach the blueprint's service control policies",
            &[
                "organizations:CreatePolicy",
                "organizations:UpdatePolicy",
                "organizations:AttachPolicy",
                "organizations:DetachPolicy",
            ],
            &["*".into()],
            Some(json!({ "StringEquals": { "organizations:PolicyType": [SCP_TYPE] } })),
        ),
        Kind::SsoGroup => b.add(
            "IdentityCenterGroups",
            "find the blueprint's groups in the identity store, create the ones it says to create",
            &[
                "sso:ListInstances",
                "identitystore:GetGroupId",
                "identitystore:DescribeGroup",
                "identitystore:CreateGroup",
                "identitystore:UpdateGroup",
            ],
            &["*".into()],
            None,
        ),
        Kind::SsoUser | Kind::SsoMembership => b.add(
            "IdentityCenterUsers",
            "create the users of Identity Center's own directory the blueprint lists, and their group memberships",
            &[
                "sso:ListInstances",
                "identitystore:GetUserId",
                "identitystore:DescribeUser",
                "identitystore:CreateUser",
                "identitystore:UpdateUser",
                "identitystore:GetGroupId",
                "identitystore:ListGroupMemberships",
                "identitystore:CreateGroupMembership",
            ],
            &["*".into()],
            None,
        ),
        Kind::PermissionSet => {
            b.add(
                "IdentityCenterInstance",
                "find the organization's Identity Center instance and its permission sets by name",
                &["sso:ListInstances", "sso:ListPermissionSets", "sso:DescribePermissionSet"],
                &["*".into()],
                None,
            );
            b.add(
                "PermissionSets",
                "create the blueprint's permission sets, converge their policies, session and tags, provision them again after a change, delete them with --prune",
                &[
                    "sso:CreatePermissionSet",
                    "sso:UpdatePermissionSet",
                    "sso:DeletePermissionSet",
                    "sso:ListManagedPoliciesInPermissionSet",
                    "sso:AttachManagedPolicyToPermissionSet",
                    "sso:DetachManagedPolicyFromPermissionSet",
                    "sso:ListCustomerManagedPolicyReferencesInPermissionSet",
                    "sso:AttachCustomerManagedPolicyReferenceToPermissionSet",
                    "sso:DetachCustomerManagedPolicyReferenceFromPermissionSet",
                    "sso:GetInlinePolicyForPermissionSet",
                    "sso:PutInlinePolicyToPermissionSet",
                    "sso:DeleteInlinePolicyFromPermissionSet",
                    "sso:GetPermissionsBoundaryForPermissionSet",
                    "sso:PutPermissionsBoundaryToPermissionSet",
                    "sso:DeletePermissionsBoundaryFromPermissionSet",
                    "sso:ListTagsForResource",
                    "sso:TagResource",
                    "sso:ProvisionPermissionSet",
                    "sso:DescribePermissionSetProvisioningStatus",
                    "sso:ListAccountsForProvisionedPermissionSet",
                    "sso:ListAccountAssignments",
                    "sso:DeleteAccountAssignment",
                    "sso:DescribeAccountAssignmentDeletionStatus",
                ],
                &[
                    "arn:aws:sso:::instance/*".into(),
                    "arn:aws:sso:::permissionSet/*/*".into(),
                    "arn:aws:sso:::account/*".into(),
                ],
                None,
            );
        }
        Kind::SsoAssignment => b.add(
            "AccountAssignments",
            "find the blueprint groups' assignments, assign permission sets to groups in accounts, remove assignments with --prune",
            &[
                "sso:ListInstances",
                "identitystore:GetGroupId",
                "sso:ListAccountAssignmentsForPrincipal",
                "sso:CreateAccountAssignment",
                "sso:DescribeAccountAssignmentCreationStatus",
                "sso:DeleteAccountAssignment",
                "sso:DescribeAccountAssignmentDeletionStatus",
            ],
            &["*".into()],
            None,
        ),
        Kind::PasswordPolicy => b.add(
            "PasswordPolicy",
            "read and set the account password policy (IAM has no resource for it)",
            &["iam:GetAccountPasswordPolicy", "iam:UpdateAccountPasswordPolicy"],
            &["*".into()],
            None,
        ),
        Kind::ManagedPolicy => b.add(
            "ManagedPolicies",
            "create and version the customer-managed policies groundwork owns",
            &[
                "iam:GetPolicy",
                "iam:GetPolicyVersion",
                "iam:ListPolicyVersions",
                "iam:CreatePolicy",
                "iam:CreatePolicyVersion",
                "iam:DeletePolicyVersion",
                "iam:TagPolicy",
            ],
            &[iam_arn("policy", name)],
            None,
        ),
        Kind::Group => {
            let arn = iam_arn("group", name);
            b.add(
                "Groups",
                "create the hub's groups, converge their policies and members",
                &[
                    "iam:GetGroup",
                    "iam:CreateGroup",
                    "iam:ListAttachedGroupPolicies",
                    "iam:ListGroupPolicies",
                    "iam:GetGroupPolicy",
                    "iam:PutGroupPolicy",
                    "iam:DeleteGroupPolicy",
                    "iam:DetachGroupPolicy",
                    "iam:AddUserToGroup",
                    "iam:RemoveUserFromGroup",
                ],
                std::slice::from_ref(&arn),
                None,
            );
            let managed = strings(&r.spec["managed_policies"]);
            b.add(
                "AttachGroupPolicies",
                "attach only the managed policies the blueprint names",
                &["iam:AttachGroupPolicy"],
                &[arn],
                policy_arn_condition(&managed),
            );
        }
        Kind::User => b.add(
            "Users",
            "create the hub's users, their tags, group memberships and console access; remove policies attached to them",
            &[
                "iam:GetUser",
                "iam:CreateUser",
                "iam:TagUser",
                "iam:UntagUser",
                "iam:ListUserTags",
                "iam:ListGroupsForUser",
                "iam:GetLoginProfile",
                "iam:CreateLoginProfile",
                "iam:DeleteLoginProfile",
                "iam:ListAttachedUserPolicies",
                "iam:ListUserPolicies",
                "iam:GetUserPolicy",
                "iam:DetachUserPolicy",
                "iam:DeleteUserPolicy",
            ],
            &[iam_arn("user", name)],
            None,
        ),
        Kind::AccessKey => b.add(
            "AccessKeys",
            "issue a programmatic user's access key (the secret goes only to --credentials-file), record it in the user's tags, rotate it (`keys rotate`) and deactivate keys created out of band (`apply --enforce`)",
            &[
                "iam:ListAccessKeys",
                "iam:GetAccessKeyLastUsed",
                "iam:CreateAccessKey",
                "iam:UpdateAccessKey",
                "iam:DeleteAccessKey",
                "iam:ListUserTags",
                "iam:TagUser",
                "iam:UntagUser",
            ],
            &[iam_arn("user", name)],
            None,
        ),
        Kind::Role => {
            let arns = role_arns(name);
            b.add(
                "Roles",
                "create the blueprint's roles, converge their trust, tags and policies",
                &[
                    "iam:GetRole",
                    "iam:CreateRole",
                    "iam:DeleteRole",
                    "iam:UpdateRole",
                    "iam:UpdateAssumeRolePolicy",
                    "iam:TagRole",
                    "iam:UntagRole",
                    "iam:ListRoleTags",
                    "iam:ListRolePolicies",
                    "iam:GetRolePolicy",
                    "iam:PutRolePolicy",
                    "iam:DeleteRolePolicy",
                    "iam:ListAttachedRolePolicies",
                    "iam:DetachRolePolicy",
                ],
                &arns,
                None,
            );
            let managed = strings(&r.spec["managed_policies"]);
            b.add(
                "AttachRolePolicies",
                "attach only the managed policies the blueprint names",
                &["iam:AttachRolePolicy"],
                &arns,
                policy_arn_condition(&managed),
            );
        }
        Kind::InstanceProfile => {
            b.add(
                "InstanceProfiles",
                "create the instance profiles of EC2 roles and put their role in them",
                &[
                    "iam:GetInstanceProfile",
                    "iam:CreateInstanceProfile",
                    "iam:TagInstanceProfile",
                    "iam:AddRoleToInstanceProfile",
                    "iam:RemoveRoleFromInstanceProfile",
                    "iam:DeleteInstanceProfile",
                ],
                &[iam_arn("instance-profile", name)],
                None,
            );
            b.add(
                "PassRoleToInstanceProfiles",
                "AddRoleToInstanceProfile passes the role",
                &["iam:PassRole"],
                &role_arns(name),
                Some(json!({ "StringEquals": { "iam:PassedToService": ["ec2.amazonaws.com"] } })),
            );
        }
        // Covered by `AccessRoleCheck`, which every member set carries.
        Kind::AccessRole => {}
        Kind::AccountPublicAccessBlock => b.add(
            "AccountPublicAccessBlock",
            "read and set S3's account-level public access block (the account baseline; S3 has no resource for it)",
            &["s3:GetAccountPublicAccessBlock", "s3:PutAccountPublicAccessBlock"],
            &["*".into()],
            None,
        ),
        Kind::RootAccess => {
            b.add(
                "RootAccessFeatures",
                "read and enable IAM's centralized root access for member accounts (no resource)",
                &[
                    "iam:ListOrganizationsFeatures",
                    "iam:EnableOrganizationsRootCredentialsManagement",
                    "iam:EnableOrganizationsRootSessions",
                    "iam:DisableOrganizationsRootCredentialsManagement",
                    "iam:DisableOrganizationsRootSessions",
                ],
                &["*".into()],
                None,
            );
            b.add(
                "AuditMemberRoots",
                "`audit` and `audit --enforce`: a privileged root session in a member account, only with the AWS-managed task policies that read and delete the root user's credentials",
                &["sts:AssumeRoot"],
                &["arn:aws:iam::*:root".into()],
                Some(json!({ "StringEquals": { "sts:TaskPolicyArn": [
                    crate::kinds::root_access::AUDIT_ROOT_TASK,
                    crate::kinds::root_access::DELETE_ROOT_TASK,
                ] } })),
            );
        }
        Kind::FlowLog => {
            let region = r.at.region.as_ref().map(|region| json!({ "StringEquals": { "aws:RequestedRegion": [region] } }));
            b.add(
                "FlowLogsRead",
                "find the VPCs the flow_logs section selects and their flow logs (EC2's Describe calls have no resource)",
                &["ec2:DescribeVpcs", "ec2:DescribeFlowLogs"],
                &["*".into()],
                region.clone(),
            );
            b.add(
                "FlowLogsWrite",
                "create a flow log on a selected VPC (tagged with groundwork's tags), delete one groundwork owns (a replacement, --prune)",
                &["ec2:CreateFlowLogs", "ec2:DeleteFlowLogs", "ec2:CreateTags"],
                &["*".into()],
                region,
            );
            let spec = <crate::kinds::flow_log::FlowLogSpec as crate::kinds::Spec>::from_value(&r.spec).ok();
            match spec.as_ref().and_then(|s| s.deliver_logs_role.clone()) {
                Some(role) => b.add(
                    "FlowLogsPassRole",
                    "hand the flow logs service its role for CloudWatch Logs",
                    &["iam:PassRole"],
                    &[wild(&role)],
                    Some(json!({ "StringEquals": { "iam:PassedToService": crate::kinds::flow_log::FLOW_LOGS_PRINCIPAL } })),
                ),
                None => b.add(
                    "FlowLogsToS3",
                    "a flow log to S3 sets up its log delivery (CloudWatch Logs' delivery API, no resource)",
                    &["logs:CreateLogDelivery", "logs:DeleteLogDelivery"],
                    &["*".into()],
                    None,
                ),
            }
        }
        Kind::LogGroup => {
            let region = r.at.region.as_deref().unwrap_or("*");
            let group = format!("arn:aws:logs:{region}:*:log-group:{}", wild(name));
            b.add(
                "AlertsLogGroup",
                "create the alerts' log group, converge its retention, key and tags",
                &[
                    "logs:CreateLogGroup",
                    "logs:PutRetentionPolicy",
                    "logs:AssociateKmsKey",
                    "logs:DisassociateKmsKey",
                    "logs:TagResource",
                    "logs:ListTagsForResource",
                ],
                &[group.clone(), format!("{group}:*")],
                None,
            );
            b.add(
                "ListLogGroups",
                "find the alerts' log group (DescribeLogGroups has no resource)",
                &["logs:DescribeLogGroups"],
                &["*".into()],
                None,
            );
            b.add(
                "PassTrailLogsRole",
                "the organization trail delivers to the log group through its role (CreateTrail and UpdateTrail pass it)",
                &["iam:PassRole"],
                &role_arns(crate::kinds::log_group::TRAIL_LOGS_ROLE),
                Some(json!({ "StringEquals": { "iam:PassedToService": [CLOUDTRAIL_PRINCIPAL] } })),
            );
        }
        Kind::MetricFilter => b.add(
            "AlertsMetricFilters",
            "read, write and remove the alerts' metric filters",
            &["logs:DescribeMetricFilters", "logs:PutMetricFilter", "logs:DeleteMetricFilter"],
            &["*".into()],
            None,
        ),
        Kind::MetricAlarm => {
            let region = r.at.region.as_deref().unwrap_or("*");
            b.add(
                "AlertsAlarms",
                "create the alerts' alarms, converge their settings (actions on) and tags",
                &["cloudwatch:PutMetricAlarm", "cloudwatch:TagResource", "cloudwatch:ListTagsForResource"],
                &[format!("arn:aws:cloudwatch:{region}:*:alarm:{}", wild(name))],
                None,
            );
            b.add(
                "AlertsTestAlarm",
                "`groundwork alerts test --alarm` sets one of the alerts' alarms to ALARM",
                &["cloudwatch:SetAlarmState"],
                &[format!("arn:aws:cloudwatch:{region}:*:alarm:{}", wild(name))],
                None,
            );
            b.add(
                "ReadAlarms",
                "read the alerts' alarms (DescribeAlarms has no resource)",
                &["cloudwatch:DescribeAlarms"],
                &["*".into()],
                None,
            );
        }
        Kind::SnsTopic => {
            let region = r.at.region.as_deref().unwrap_or("*");
            b.add(
                "AlertsTopic",
                "create the alerts' topic, converge its policy, tags and e-mail subscribers",
                &[
                    "sns:CreateTopic",
                    "sns:GetTopicAttributes",
                    "sns:SetTopicAttributes",
                    "sns:TagResource",
                    "sns:ListTagsForResource",
                    "sns:Subscribe",
                    "sns:ListSubscriptionsByTopic",
                ],
                &[format!("arn:aws:sns:{region}:*:{}", wild(name))],
                None,
            );
            b.add(
                "UnsubscribeFromAlertsTopic",
                "remove an e-mail subscriber the blueprint no longer lists (Unsubscribe names the subscription)",
                &["sns:Unsubscribe"],
                &["*".into()],
                None,
            );
        }
        Kind::EventBus => {
            let region = r.at.region.as_deref().unwrap_or("*");
            b.add(
                "AlertsEventBus",
                "create the alerts' central bus, converge its organization-only policy and tags",
                &["events:CreateEventBus", "events:DescribeEventBus", "events:TagResource", "events:ListTagsForResource"],
                &[format!("arn:aws:events:{region}:*:event-bus/{}", wild(name))],
                None,
            );
            b.add(
                "AlertsEventBusPolicy",
                "write the central bus's organization-only policy (PutPermission has no resource-level permissions)",
                &["events:PutPermission"],
                &["*".into()],
                None,
            );
        }
        Kind::EventRule => {
            let region = r.at.region.as_deref().unwrap_or("*");
            b.add(
                "AlertsEventRules",
                "create the alerts' rules (forwarding, posting to Slack), converge pattern, state, targets and tags",
                &[
                    "events:PutRule",
                    "events:DescribeRule",
                    "events:EnableRule",
                    "events:DisableRule",
                    "events:PutTargets",
                    "events:RemoveTargets",
                    "events:ListTargetsByRule",
                    "events:TagResource",
                    "events:ListTagsForResource",
                ],
                &[
                    format!("arn:aws:events:{region}:*:rule/{}", wild(name)),
                    format!("arn:aws:events:{region}:*:rule/*/{}", wild(name)),
                ],
                None,
            );
            if name == crate::kinds::slack::FORWARD_RULE {
                b.add(
                    "AlertsTest",
                    "`groundwork alerts test` puts one synthetic IAM event on the account's us-east-1 default bus",
                    &["events:PutEvents"],
                    &[format!("arn:aws:events:{}:*:event-bus/default", crate::kinds::slack::CENTRAL_REGION)],
                    None,
                );
            }
            b.add(
                "PassEventsRoles",
                "the rules deliver with their roles (PutTargets passes them)",
                &["iam:PassRole"],
                &[role_arns(crate::kinds::slack::FORWARD_ROLE), role_arns(crate::kinds::slack::SLACK_ROLE)].concat(),
                Some(json!({ "StringEquals": { "iam:PassedToService": [crate::kinds::slack::EVENTS_PRINCIPAL] } })),
            );
        }
        Kind::EventConnection => {
            let region = r.at.region.as_deref().unwrap_or("*");
            b.add(
                "AlertsConnection",
                "create the connection holding Slack's bot token, update it when the token's fingerprint changes",
                &["events:CreateConnection", "events:DescribeConnection", "events:UpdateConnection"],
                &[format!("arn:aws:events:{region}:*:connection/{}/*", wild(name))],
                None,
            );
            b.add(
                "ConnectionSecret",
                "EventBridge keeps the connection's token in its own Secrets Manager secret, written on the caller's behalf",
                &[
                    "secretsmanager:CreateSecret",
                    "secretsmanager:UpdateSecret",
                    "secretsmanager:DescribeSecret",
                    "secretsmanager:PutSecretValue",
                ],
                &[format!("arn:aws:secretsmanager:{region}:*:secret:events!connection/*")],
                None,
            );
        }
        Kind::ApiDestination => {
            let region = r.at.region.as_deref().unwrap_or("*");
            b.add(
                "AlertsApiDestination",
                "create the API destination the alerts post to Slack through, converge its endpoint",
                &["events:CreateApiDestination", "events:DescribeApiDestination", "events:UpdateApiDestination"],
                &[format!("arn:aws:events:{region}:*:api-destination/{}/*", wild(name))],
                None,
            );
        }
        Kind::EbsEncryption => b.add(
            "EbsEncryptionByDefault",
            "read and turn on EBS encryption by default in the baseline's regions (EC2 has no resource for it)",
            &["ec2:GetEbsEncryptionByDefault", "ec2:EnableEbsEncryptionByDefault"],
            &["*".into()],
            r.at.region.as_ref().map(|region| json!({ "StringEquals": { "aws:RequestedRegion": [region] } })),
        ),
    }
}

/// Deleting a leftover SCP (`--prune`, `guardrails.prune`): detach it from every target, then
/// delete it, only an SCP whose tags say groundwork owns it for this blueprint.
fn prune_statements(blueprint: &str, b: &mut Builder) {
    b.add(
        "ServiceControlPolicies",
        "create, update, attach and detach the blueprint's service control policies",
        &["organizations:DetachPolicy"],
        &["*".into()],
        Some(json!({ "StringEquals": { "organizations:PolicyType": [SCP_TYPE] } })),
    );
    b.add(
        "PruneServiceControlPolicies",
        "delete an SCP groundwork owns for this blueprint that the blueprint no longer lists (with --prune or guardrails.prune), once detached",
        &["organizations:DeletePolicy"],
        &["*".into()],
        Some(json!({ "StringEquals": {
            "organizations:PolicyType": [SCP_TYPE],
            format!("aws:ResourceTag/{TAG_MANAGED}"): ["true"],
            format!("aws:ResourceTag/{TAG_BLUEPRINT}"): [blueprint],
        } })),
    );
}

/// What `audit` reads in every account, and what `audit --enforce` writes.
/// Deleting a leftover tag or AI-services opt-out policy groundwork owns (listed, as SCPs are,
/// whenever the blueprint has policies of those types).
fn org_prune_statements(blueprint: &str, b: &mut Builder) {
    let types: Vec<&str> = OrgPolicyType::ALL.iter().map(|t| t.api_name()).collect();
    b.add(
        "PruneServiceControlPolicies",
        "delete an SCP groundwork owns for this blueprint that the blueprint no longer lists (with --prune or guardrails.prune), once detached",
        &["organizations:DeletePolicy"],
        &["*".into()],
        Some(json!({ "StringEquals": {
            "organizations:PolicyType": types,
            format!("aws:ResourceTag/{TAG_MANAGED}"): ["true"],
            format!("aws:ResourceTag/{TAG_BLUEPRINT}"): [blueprint],
        } })),
    );
}

fn audit_statements(b: &mut Builder) {
    b.add(
        "Audit",
        "`audit`: root user, users, access keys, MFA devices, login profiles, policies on users, password policy",
        &[
            "iam:GetAccountSummary",
            "iam:GetAccountPasswordPolicy",
            "iam:ListUsers",
            "iam:ListAccessKeys",
            "iam:GetAccessKeyLastUsed",
            "iam:GetLoginProfile",
            "iam:ListMFADevices",
            "iam:ListAttachedUserPolicies",
            "iam:ListUserPolicies",
        ],
        &["*".into()],
        None,
    );
    b.add(
        "AuditEnforce",
        "`audit --enforce`: deactivate (never delete) failing access keys",
        &["iam:UpdateAccessKey"],
        &[iam_arn("user", "*")],
        None,
    );
}

/// The accounts of each member purpose, in blueprint order.
fn member_holder(bp: &Blueprint, account: &str) -> Holder {
    if bp.logging.as_ref().is_some_and(|l| l.account.value == account) {
        Holder::LogArchive
    } else if hub(bp) == Some(account) {
        Holder::Hub
    } else {
        Holder::Workloads
    }
}

/// The permissions groundwork needs for exactly this blueprint. Offline: no AWS call.
pub fn permissions(bp: &Blueprint) -> Permissions {
    compute(bp, &Desired::from_blueprint(bp).resources)
}

/// [`permissions`] from the blueprint's resources (the execution role's lowering passes the
/// resources lowered before it).
pub(crate) fn compute(bp: &Blueprint, resources: &[DesiredResource]) -> Permissions {
    let access_role = bp.organization.access_role.clone();
    let execution_role = bp.organization.execution_role.clone();
    let deployer_role = bp.organization.deployer_role.clone();

    let mut deployer = Builder::default();
    deployer.add(
        "ReadOrganization",
        "discover the organization (read-only): tree, accounts, tags, policies, creation requests",
        &[
            "organizations:DescribeOrganization",
            "organizations:DescribeAccount",
            "organizations:DescribeCreateAccountStatus",
            "organizations:DescribePolicy",
            "organizations:ListRoots",
            "organizations:ListAccounts",
            "organizations:ListAccountsForParent",
            "organizations:ListOrganizationalUnitsForParent",
            "organizations:ListParents",
            "organizations:ListChildren",
            "organizations:ListPolicies",
            "organizations:ListTargetsForPolicy",
            "organizations:ListPoliciesForTarget",
            "organizations:ListTagsForResource",
            "organizations:ListCreateAccountStatus",
            "organizations:ListAWSServiceAccessForOrganization",
        ],
        &["*".into()],
        None,
    );
    deployer.add(
        "BuildOrganization",
        "create the organization, its OUs and accounts, move accounts, tag what groundwork owns (Organizations has no narrower resource before the ids exist)",
        &[
            "organizations:CreateOrganization",
            "organizations:CreateOrganizationalUnit",
            "organizations:CreateAccount",
            "organizations:MoveAccount",
            "organizations:TagResource",
        ],
        &["*".into()],
        None,
    );
    deployer.add(
        "OrganizationsServiceLinkedRole",
        "CreateOrganization creates the Organizations service-linked role",
        &["iam:CreateServiceLinkedRole"],
        &["arn:aws:iam::*:role/aws-service-role/organizations.amazonaws.com/*".into()],
        Some(json!({ "StringEquals": { "iam:AWSServiceName": ["organizations.amazonaws.com"] } })),
    );
    deployer.add(
        "AccountQuota",
        "check the account quota before creating accounts",
        &["servicequotas:GetServiceQuota"],
        &["*".into()],
        None,
    );
    let mut member_roles = vec![access_role.clone()];
    member_roles.extend(execution_role.clone());
    deployer.add(
        "AssumeMemberRoles",
        "work in member accounts through the execution role, or the access role to bootstrap",
        &["sts:AssumeRole"],
        &member_roles.iter().map(|r| iam_arn("role", r)).collect::<Vec<_>>(),
        None,
    );
    let state = format!("arn:aws:s3:::{STATE_BUCKET_PREFIX}*");
    deployer.add(
        "StateBucket",
        "the state bucket that holds the apply lock: create it, block public access, versioning, encryption, ownership, policy, lifecycle",
        &[
            "s3:CreateBucket",
            "s3:ListBucket",
            "s3:GetBucketLocation",
            "s3:PutBucketPublicAccessBlock",
            "s3:GetBucketPublicAccessBlock",
            "s3:PutBucketVersioning",
            "s3:GetBucketVersioning",
            "s3:PutEncryptionConfiguration",
            "s3:GetEncryptionConfiguration",
            "s3:PutBucketOwnershipControls",
            "s3:GetBucketOwnershipControls",
            "s3:PutBucketPolicy",
            "s3:GetBucketPolicy",
            "s3:PutLifecycleConfiguration",
            "s3:GetLifecycleConfiguration",
            "s3:GetBucketObjectLockConfiguration",
            "s3:GetBucketLogging",
        ],
        std::slice::from_ref(&state),
        None,
    );
    deployer.add(
        "ListOwnBuckets",
        "see whether the state bucket is this account's own (a bucket of that name owned by another account is refused)",
        &["s3:ListAllMyBuckets"],
        &["*".to_owned()],
        None,
    );
    deployer.add(
        "ApplyLock",
        "take, renew, read and release the apply lock",
        &["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
        &[format!("{state}/locks/*")],
        None,
    );

    let mut members: BTreeMap<Holder, (Vec<String>, Builder)> = BTreeMap::new();
    for a in &bp.accounts {
        let holder = member_holder(bp, &a.name.value);
        let entry = members.entry(holder).or_default();
        entry.0.push(a.name.value.clone());
        entry.1.add(
            "AccessRoleCheck",
            "read the access role's trust policy (drift of who may assume it)",
            &["iam:GetRole"],
            &[iam_arn("role", &access_role)],
            None,
        );
        // The access role's trust comes from the role listing; the execution role (a role in
        // every member) from the bulk read as well.
        iam_discovery(&mut entry.1, if execution_role.is_some() { IAM_BULK_READS } else { &["iam:ListRoles"] });
        if let Some(role) = &execution_role {
            entry.1.add(
                "ReadExecutionRole",
                "confirm the execution role and read it (its writes go through the access role)",
                &[
                    "iam:GetRole",
                    "iam:ListRolePolicies",
                    "iam:GetRolePolicy",
                    "iam:ListAttachedRolePolicies",
                    "iam:ListRoleTags",
                ],
                &role_arns(role),
                None,
            );
        }
    }
    let flow_logs = crate::kinds::flow_log::permission_probes(bp);
    for r in resources.iter().chain(&flow_logs) {
        let is_execution_role = r.at.kind == Kind::Role && execution_role.as_deref() == Some(r.at.name.as_str());
        match &r.at.account {
            None => resource_statements(r, &mut deployer),
            // The execution role is written through the access role, never by itself.
            Some(_) if is_execution_role => {}
            Some(a) => {
                let holder = member_holder(bp, a);
                let entry = members.entry(holder).or_default();
                resource_statements(r, &mut entry.1);
            }
        }
    }
    // Pruning is possible wherever discovery lists the organization's SCPs: when the blueprint
    // has some, or asks to prune them (`guardrails.prune`).
    if resources.iter().any(|r| r.at.kind == Kind::Scp) || bp.guardrails.prune {
        prune_statements(&bp.organization.name.value, &mut deployer);
    }
    if resources.iter().any(|r| r.at.kind == Kind::OrgPolicy) {
        org_prune_statements(&bp.organization.name.value, &mut deployer);
    }
    audit_statements(&mut deployer);
    let mut sets = vec![PermissionSet {
        name: Holder::Deployer.name(),
        holder: Holder::Deployer,
        role: deployer_role,
        accounts: vec!["management".into()],
        statements: deployer.finish(),
    }];
    for (holder, (accounts, mut b)) in members {
        audit_statements(&mut b);
        sets.push(PermissionSet {
            name: holder.name(),
            holder,
            role: Some(execution_role.clone().unwrap_or_else(|| access_role.clone())),
            accounts,
            statements: b.finish(),
        });
    }
    Permissions {
        format_version: PERMISSIONS_FORMAT_VERSION,
        blueprint: bp.organization.name.value.clone(),
        access_role,
        execution_role,
        sets,
    }
}

/// Whether `pattern` (IAM wildcards `*` and `?`, case-sensitive) matches `text`.
pub(crate) fn wildcard(pattern: &str, text: &str) -> bool {
    groundwork_evaluate::wildcard_match(pattern, text, false)
}

fn list(v: Option<&Value>) -> Vec<&str> {
    match v {
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

fn statement_matches(s: &Value, action: &str, resource: Option<&str>) -> bool {
    // Actions are case-insensitive in IAM; resources are not.
    let action = action.to_ascii_lowercase();
    let action_ok = list(s.get("Action")).iter().any(|a| wildcard(&a.to_ascii_lowercase(), &action));
    let resource_ok = match resource {
        None => true,
        Some(r) => list(s.get("Resource")).iter().any(|p| wildcard(p, r)),
    };
    action_ok && resource_ok
}

/// Whether policy documents allow `action` on `resource` (`None`: any resource the statements
/// name, when the caller cannot know it): some Allow statement matches and no Deny statement
/// does. Conditions are not evaluated (a statement with one counts as matching).
pub fn allows(documents: &[Value], action: &str, resource: Option<&str>) -> bool {
    let statements: Vec<&Value> = documents
        .iter()
        .flat_map(|d| match d.get("Statement") {
            Some(Value::Array(items)) => items.iter().collect(),
            Some(other) => vec![other],
            None => Vec::new(),
        })
        .collect();
    let effect = |s: &&Value, e: &str| s.get("Effect").and_then(Value::as_str) == Some(e);
    let denied = statements.iter().filter(|s| effect(s, "Deny")).any(|s| {
        // An action-level check (unknown resource) is denied only by a Deny on every resource.
        statement_matches(s, action, resource) && (resource.is_some() || list(s.get("Resource")).contains(&"*"))
    });
    !denied && statements.iter().filter(|s| effect(s, "Allow")).any(|s| statement_matches(s, action, resource))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reference() -> Blueprint {
        let text = include_str!("../../../blueprints/landing-zone.yaml");
        groundwork_blueprint::parse("landing-zone.yaml", text.as_bytes()).unwrap().blueprint
    }

    #[test]
    fn wildcards_match_like_iam() {
        assert!(wildcard("s3:Get*", "s3:GetObject"));
        assert!(wildcard("arn:aws:s3:::acme-*/*", "arn:aws:s3:::acme-1/AWSLogs/x"));
        assert!(!wildcard("arn:aws:s3:::acme-*", "arn:aws:s3:::other"));
        assert!(wildcard("a?c", "abc"));
        assert!(!wildcard("a?c", "ac"));
        assert!(wildcard("*", ""));
    }

    #[test]
    fn operations_map_to_iam_actions() {
        assert_eq!(iam_actions("s3:GetBucketVersioning"), ["s3:GetBucketVersioning"]);
        assert_eq!(iam_actions("s3:PutBucketLifecycleConfiguration"), ["s3:PutLifecycleConfiguration"]);
        assert_eq!(iam_actions("s3:HeadBucket"), ["s3:ListBucket"]);
        assert!(iam_actions("sts:GetCallerIdentity").is_empty());
        assert_eq!(iam_actions("sts:AssumeRole"), ["sts:AssumeRole"]);
    }

    #[test]
    fn sets_follow_account_purposes_and_scope_resources() {
        let p = permissions(&reference());
        let names: Vec<&str> = p.sets.iter().map(|s| s.name).collect();
        assert_eq!(names, ["deployer", "member-log-archive", "member-hub", "member-workloads"]);
        let log = p.set_for(Some("log-archive")).unwrap().documents();
        assert!(allows(&log, "s3:PutBucketPolicy", Some("arn:aws:s3:::acme-cloudtrail-111122223333")));
        assert!(!allows(&log, "s3:PutBucketPolicy", Some("arn:aws:s3:::someone-else")));
        assert!(!allows(&log, "s3:DeleteObject", Some("arn:aws:s3:::acme-cloudtrail-111122223333/AWSLogs/x")));
        assert!(!allows(&log, "iam:CreateUser", None));
        let hub = p.set_for(Some("identity")).unwrap().documents();
        assert!(allows(&hub, "iam:CreateUser", Some("arn:aws:iam::111122223333:user/alice")));
        assert!(!allows(&hub, "iam:CreateUser", Some("arn:aws:iam::111122223333:user/mallory")));
        // The hub holds the baseline's roles, and no other.
        assert!(allows(&hub, "iam:CreateRole", Some("arn:aws:iam::111122223333:role/groundwork/groundwork-support")));
        assert!(!allows(&hub, "iam:CreateRole", Some("arn:aws:iam::111122223333:role/jira-admin")));
        let work = p.set_for(Some("jira-prod")).unwrap().documents();
        assert!(allows(&work, "iam:CreateRole", Some("arn:aws:iam::111122223333:role/jira-admin")));
        assert!(allows(&work, "iam:CreateInstanceProfile", Some("arn:aws:iam::1:instance-profile/webapp-app")));
        assert!(!allows(&work, "iam:CreateRole", Some("arn:aws:iam::111122223333:role/Admin")));
        assert!(!allows(&work, "iam:CreateUser", None));
        let deployer = p.set_for(None).unwrap().documents();
        assert!(allows(&deployer, "sts:AssumeRole", Some("arn:aws:iam::1:role/OrganizationAccountAccessRole")));
        assert!(!allows(&deployer, "sts:AssumeRole", Some("arn:aws:iam::1:role/Other")));
        assert!(allows(&deployer, "s3:PutObject", Some("arn:aws:s3:::groundwork-state-1-us-east-1/locks/apply.json")));
        assert!(!allows(&deployer, "s3:PutObject", Some("arn:aws:s3:::acme-cloudtrail-1/x")));
        assert!(!allows(&deployer, "iam:CreateUser", None));
    }

    #[test]
    fn documents_respect_the_managed_policy_limit() {
        let p = permissions(&reference());
        for set in &p.sets {
            let docs = set.documents();
            assert!(!docs.is_empty());
            for d in &docs {
                assert!(policy_chars(d) <= MANAGED_POLICY_MAX_CHARS, "{} is {} chars", set.name, policy_chars(d));
            }
            let statements: usize = docs.iter().map(|d| d["Statement"].as_array().unwrap().len()).sum();
            assert_eq!(statements, set.statements.len());
        }
        // A set too large for one document is split, statement by statement.
        let big = PermissionSet {
            name: "deployer",
            holder: Holder::Deployer,
            role: None,
            accounts: vec![],
            statements: (0..40)
                .map(|i| Statement {
                    sid: format!("S{i}"),
                    effect: "Allow",
                    actions: vec!["iam:GetRole".into()],
                    resources: (0..10)
                        .map(|j| format!("arn:aws:iam::*:role/a-rather-long-role-name-{i}-{j}"))
                        .collect(),
                    condition: None,
                    why: String::new(),
                })
                .collect(),
        };
        let docs = big.documents();
        assert!(docs.len() > 1);
        assert!(docs.iter().all(|d| policy_chars(d) <= MANAGED_POLICY_MAX_CHARS));
        assert_eq!(docs.iter().map(|d| d["Statement"].as_array().unwrap().len()).sum::<usize>(), 40);
    }

    #[test]
    fn deleting_an_scp_is_allowed_where_pruning_is_possible_and_only_for_this_blueprint() {
        let deployer = |src: &str| {
            let bp = groundwork_blueprint::parse("x.yaml", src.as_bytes()).unwrap().blueprint;
            permissions(&bp).sets.remove(0)
        };
        let head = "version: 1\norganization: { name: x, home_region: us-east-1, management_account: { email: root@x.example } }\n";
        let none = deployer(head);
        assert!(!allows(&none.documents(), "organizations:DeletePolicy", None));
        // `guardrails.prune` with no policy left: detach and delete, nothing else.
        let only = deployer(&format!("{head}guardrails: {{ prune: true }}\n"));
        assert!(allows(&only.documents(), "organizations:DetachPolicy", None));
        assert!(allows(&only.documents(), "organizations:DeletePolicy", None));
        assert!(!allows(&only.documents(), "organizations:CreatePolicy", None));
        let p = permissions(&reference());
        let set = p.set_for(None).unwrap();
        assert!(allows(&set.documents(), "organizations:DeletePolicy", None));
        let prune = set.statements.iter().find(|s| s.sid == "PruneServiceControlPolicies").unwrap();
        assert_eq!(prune.actions, ["organizations:DeletePolicy"]);
        // The reference has an AI-services opt-out policy (issue 17): policies of the types beyond
        // SCPs are listed, so prunable, too.
        assert_eq!(
            prune.condition,
            Some(json!({ "StringEquals": {
                "organizations:PolicyType": ["AISERVICES_OPT_OUT_POLICY", "SERVICE_CONTROL_POLICY", "TAG_POLICY"],
                "aws:ResourceTag/groundwork:managed": ["true"],
                "aws:ResourceTag/groundwork:blueprint": ["acme"],
            } }))
        );
    }

    #[test]
    fn root_sessions_are_allowed_with_the_root_access_section_and_only_for_the_credential_tasks() {
        let deployer = |src: &str| {
            let bp = groundwork_blueprint::parse("x.yaml", src.as_bytes()).unwrap().blueprint;
            permissions(&bp).sets.remove(0)
        };
        let head = "version: 1\norganization: { name: x, home_region: us-east-1, management_account: { email: root@x.example } }\n";
        let member = Some("arn:aws:iam::111111111111:root");
        assert!(!allows(&deployer(head).documents(), "sts:AssumeRoot", member));
        let with = deployer(&format!("{head}root_access: {{}}\n"));
        assert!(allows(&with.documents(), "sts:AssumeRoot", member));
        let statement = with.statements.iter().find(|s| s.sid == "AuditMemberRoots").unwrap();
        insta::assert_json_snapshot!(statement);
    }
}
