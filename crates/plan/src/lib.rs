//! The groundwork resource model and planner.
//!
//! Owns addresses (`ou/Workloads/Prod`, `account/jira-prod`), the desired state lowered from a
//! blueprint, the live state that discovery fills, the diff between them (a pure function, unit
//! tested without AWS), dependency ordering, text and JSON rendering (the plan and drift
//! documents, [`Render`] into [`Styled`] spans; drift grouped by account in [`Drift`]), and a picture of the
//! organization as Mermaid or Graphviz DOT ([`render_graph`]).
//!
//! ```
//! use groundwork_plan::{Desired, Live, PlanOptions, plan};
//! let bp = groundwork_blueprint::parse("x.yaml", b"version: 1
//! organization: { name: x, home_region: us-east-1, management_account: { email: root@x.example } }
//! organizational_units: [{ name: Prod }]
//! ").unwrap().blueprint;
//! let p = plan(&Desired::from_blueprint(&bp), &Live::default(), PlanOptions::default());
//! // The organization, the OU, and the account baseline in the management account (its S3
//! // public access block, EBS encryption by default in the home region, its password policy).
//! assert_eq!(p.summary().add, 5);
//! ```

mod archive;
pub mod baseline;
mod drift;
mod graph;
pub mod import;
pub mod kinds;
mod lower;
mod markdown;
mod permissions;
mod plan;
mod render;
mod resource;
mod state;
mod styled;

pub use drift::{Difference, Drift, DriftGroup, DriftKind};
pub use graph::{GraphFormat, render_graph};
pub use kinds::access_role::access_role_principals;
pub use kinds::iam::INLINE_POLICY;
pub use kinds::managed_policy::FORCE_MFA_POLICY;
pub use kinds::role::trust_policy;
pub use lower::{
    CLOUDTRAIL_PRINCIPAL, LOG_WRITER_SERVICES, S3_LOGGING_PRINCIPAL, SCP_TYPE, STATE_ABORT_MULTIPART_DAYS,
    STATE_NONCURRENT_DAYS, access_log_bucket_policy, bucket_address, log_bucket_policy,
    log_bucket_policy_with_flow_logs, state_bucket_policy, state_bucket_spec, target_text, trail_arn,
};
pub use markdown::{GITHUB_COMMENT_LIMIT, render_markdown};
pub use permissions::{
    Holder, MANAGED_POLICY_MAX_CHARS, PERMISSIONS_FORMAT_VERSION, PermissionSet, Permissions, STATE_BUCKET_PREFIX,
    Statement, allows, iam_actions, permissions, policy_chars,
};
pub use plan::{
    Action, Change, FORMAT_VERSION, Finding, Operation, Plan, PlanOptions, Summary, Unmanaged, UnmanagedKind, plan,
};
pub use render::{action_style, attribute_lines, render_text, symbol};
pub use resource::{
    DesiredResource, Ids, Kind, LiveResource, Locator, canonical_policy, compact_policy, differences, has_placeholder,
    is_unresolved, referenced_accounts,
};
pub use state::synthetic;
pub use state::{
    AccountStatus, Address, CreateRequest, CreateRequestState, Desired, DesiredAccount, DesiredOu, FeatureSet, Live,
    LiveAccount, LiveOrganization, LiveOu, Prune, TAG_BLUEPRINT, TAG_ENVIRONMENT, TAG_MANAGED, TAG_WORKLOAD,
    is_managed_by,
};
pub use styled::{Piece, Render, Style, Styled, count};
