//! The resource kinds, one module each, registered in one list ([`registry!`] below).
//!
//! A kind's module on this side holds what the planner knows of it: its typed spec (a serde
//! struct whose JSON is exactly the spec a saved plan holds), its [`KindMeta`] (address prefix,
//! ordering rank, scope, whether it is only reported on) and, as kinds move here, its lowering
//! from the blueprint and the reverse that import uses. Its counterpart in `groundwork-aws`
//! (`crates/aws/src/resources/`) reads and writes the same typed spec, so a key the reader and
//! the lowering disagree on does not compile.
//!
//! The planner still compares specs as JSON (ADR 0008): one generic comparison for every kind,
//! placeholders resolved in one pass, plan files any tool can read. A spec is built from its
//! struct by the lowering and by the AWS reader, and read through it by the AWS writer: a
//! missing or mistyped setting is an error, never a silent default.
//!
//! Adding a kind: `docs/adding-a-kind.md`.

pub mod access_key;
pub mod access_role;
pub mod account_public_access_block;
pub mod api_destination;
pub mod bucket;
pub mod budget;
pub mod ebs_encryption;
pub mod event_bus;
pub mod event_connection;
pub mod event_rule;
pub mod flow_log;
pub mod group;
pub mod iam;
pub mod identity_center;
pub mod instance_profile;
pub mod kms_key;
pub mod log_group;
pub mod managed_policy;
pub mod metric_alarm;
pub mod metric_filter;
pub mod org_policy;
pub mod org_policy_attachment;
pub mod password_policy;
pub mod permission_set;
pub mod policy_type;
pub mod role;
pub mod root_access;
pub mod scp;
pub mod scp_attachment;
pub mod service_access;
pub mod slack;
pub mod sns_topic;
pub mod sso_assignment;
pub mod sso_group;
pub mod sso_membership;
pub mod sso_user;
pub mod tags;
pub mod trail;
pub mod user;

use std::fmt;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Where a kind's objects live, and so what its locator names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Scope {
    /// Once in the organization, written from the management account (trusted access, SCPs).
    Organization,
    /// Once per account (IAM, which is global; a bucket, whose name is global).
    Account,
    /// Once per (account, region).
    Region,
}

/// What the planner knows of a kind without looking at a spec.
pub trait KindMeta {
    /// The kind.
    const KIND: Kind;
    /// The address prefix, e.g. `bucket`.
    const PREFIX: &'static str;
    /// Ordering rank: a change of a lower rank is listed (and, with a dependency, run) first.
    const RANK: usize;
    /// Where its objects live.
    const SCOPE: Scope;
    /// Whether the plan only reports on this kind: it is read and compared, a difference is
    /// drift, and it is never written.
    const REPORT_ONLY: bool = false;
}

/// A kind's typed spec.
pub trait Spec: KindMeta + Serialize + DeserializeOwned {
    /// The spec as the planner compares it and a saved plan holds it.
    fn to_value(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }

    /// The typed spec of a JSON spec (a saved plan's, or one the planner resolved).
    ///
    /// # Errors
    /// A [`SpecError`] naming the kind and what does not fit.
    fn from_value(spec: &Value) -> Result<Self, SpecError> {
        Self::deserialize(spec).map_err(|e| SpecError { kind: Self::KIND, message: e.to_string() })
    }
}

/// A JSON spec that does not have its kind's shape.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the {kind} spec does not have the shape groundwork writes: {message}")]
pub struct SpecError {
    /// The kind.
    pub kind: Kind,
    /// What serde says.
    pub message: String,
}

/// Generates [`Kind`] and its metadata from the one list of kinds.
macro_rules! registry {
    ($( $(#[$doc:meta])* $variant:ident => $ty:ty, )*) => {
        /// What kind of thing a resource is; decides how the provider reads and writes it.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "kebab-case")]
        pub enum Kind {
            $( $(#[$doc])* $variant, )*
        }

        impl Kind {
            /// Every kind, in the registry's order.
            pub const ALL: &'static [Kind] = &[$( Kind::$variant, )*];

            /// The address prefix, e.g. `bucket`.
            pub fn prefix(self) -> &'static str {
                match self { $( Kind::$variant => <$ty as KindMeta>::PREFIX, )* }
            }

            /// Ordering rank: what must exist before what (attachments after policies, groups
            /// after policies, users after groups, instance profiles after roles).
            pub fn rank(self) -> usize {
                match self { $( Kind::$variant => <$ty as KindMeta>::RANK, )* }
            }

            /// Where its objects live.
            pub fn scope(self) -> Scope {
                match self { $( Kind::$variant => <$ty as KindMeta>::SCOPE, )* }
            }

            /// Whether the plan only reports on this kind: it is read and compared, a
            /// difference is drift, and it is never written.
            pub fn report_only(self) -> bool {
                match self { $( Kind::$variant => <$ty as KindMeta>::REPORT_ONLY, )* }
            }
        }
    };
}

registry! {
    /// Trusted access of an AWS service to the organization.
    ServiceAccess => service_access::ServiceAccessSpec,
    /// A policy type enabled on the root.
    PolicyType => policy_type::PolicyTypeSpec,
    /// An S3 bucket with its settings and policy.
    Bucket => bucket::BucketSpec,
    /// A CloudTrail trail and whether it is logging.
    Trail => trail::TrailSpec,
    /// A customer-managed KMS key, found by its alias (the archive's key).
    KmsKey => kms_key::KmsKeySpec,
    /// A service control policy.
    Scp => scp::ScpSpec,
    /// An SCP attached to a target.
    ScpAttachment => scp_attachment::ScpAttachmentSpec,
    /// An Organizations policy beyond SCPs (a tag policy, an AI-services opt-out policy).
    OrgPolicy => org_policy::OrgPolicySpec,
    /// An Organizations policy beyond SCPs attached to a target.
    OrgPolicyAttachment => org_policy_attachment::OrgPolicyAttachmentSpec,
    /// A sandbox account's monthly budget and its notifications.
    Budget => budget::BudgetSpec,
    /// An IAM account password policy.
    PasswordPolicy => password_policy::PasswordPolicySpec,
    /// A customer-managed IAM policy.
    ManagedPolicy => managed_policy::ManagedPolicySpec,
    /// An IAM group.
    Group => group::GroupSpec,
    /// An IAM user.
    User => user::UserSpec,
    /// A programmatic user's access key: one groundwork created, none created out of band.
    AccessKey => access_key::AccessKeySpec,
    /// An IAM role.
    Role => role::RoleSpec,
    /// An EC2 instance profile.
    InstanceProfile => instance_profile::InstanceProfileSpec,
    /// A check, never written: whom a member account's access role trusts. Anything beyond the
    /// management account (and the deployer role) is drift that the plan reports and apply
    /// leaves alone, since rewriting the access role's trust could lock groundwork out.
    AccessRole => access_role::AccessRoleSpec,
    /// S3's account-level public access block (the account baseline).
    AccountPublicAccessBlock => account_public_access_block::AccountPublicAccessBlockSpec,
    /// EBS encryption by default in one region of an account (the account baseline).
    EbsEncryption => ebs_encryption::EbsEncryptionSpec,
    /// A group of the Identity Center identity store (looked up, or created when the blueprint
    /// says `create: true`).
    SsoGroup => sso_group::SsoGroupSpec,
    /// A user of Identity Center's own directory.
    SsoUser => sso_user::SsoUserSpec,
    /// A user's membership of an Identity Center group.
    SsoMembership => sso_membership::SsoMembershipSpec,
    /// An Identity Center permission set.
    PermissionSet => permission_set::PermissionSetSpec,
    /// An Identity Center account assignment: a permission set for a group in one account.
    SsoAssignment => sso_assignment::SsoAssignmentSpec,
    /// A VPC flow log on a VPC discovery found (the `flow_logs` section).
    FlowLog => flow_log::FlowLogSpec,
    /// IAM's centralized root access for member accounts (the `root_access` section).
    RootAccess => root_access::RootAccessSpec,
    /// The alerts' CloudWatch Logs group, which the organization trail also delivers to.
    LogGroup => log_group::LogGroupSpec,
    /// A CloudWatch Logs metric filter of the alerts (a CIS control's, or a custom one).
    MetricFilter => metric_filter::MetricFilterSpec,
    /// A CloudWatch alarm of the alerts, on a metric a filter produces.
    MetricAlarm => metric_alarm::MetricAlarmSpec,
    /// The alerts' SNS topic, which every alarm notifies.
    SnsTopic => sns_topic::SnsTopicSpec,
    /// The alerts' central EventBridge bus, its policy admitting only this organization.
    EventBus => event_bus::EventBusSpec,
    /// An EventBridge rule of the alerts, with its targets (forwarding, or posting to Slack).
    EventRule => event_rule::EventRuleSpec,
    /// The EventBridge connection holding Slack's bot token (only its fingerprint is read).
    EventConnection => event_connection::EventConnectionSpec,
    /// The EventBridge API destination the alerts post to Slack through.
    ApiDestination => api_destination::ApiDestinationSpec,
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.prefix())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_are_unique_and_serde_names_match_the_prefix_or_kind() {
        let mut seen = std::collections::BTreeSet::new();
        for k in Kind::ALL {
            assert!(seen.insert(k.prefix()), "{k:?} repeats a prefix");
            assert!(serde_json::to_value(k).unwrap().is_string());
        }
    }
}
