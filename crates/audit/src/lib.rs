//! The credential audit, pure: the [`Rule`]s (id, severity, text), what the AWS crate reads in
//! each account ([`read`]), the [`AuditPolicy`] a blueprint implies, the evaluation
//! ([`key_findings`], [`password_weaknesses`], [`account_findings`]) and the [`AuditReport`].
//! It makes no AWS call and runs no async code: `groundwork-aws` fills [`AccountRead`]s and
//! deactivates keys, the CLI renders the report.
//!
//! ```
//! use groundwork_audit::{AccountCredentials, AccountRead, AuditPolicy, AuditReport, PasswordPolicyRead,
//!     PasswordScope, RootCredentials, Rule};
//! let policy = AuditPolicy {
//!     as_of: std::time::SystemTime::now(),
//!     max_key_age_days: 90,
//!     max_unused_days: 90,
//!     password_policy: groundwork_blueprint::PasswordPolicy::default(),
//!     password_scope: PasswordScope::Everywhere,
//!     member_root_mfa: false,
//!     ignore: vec![],
//! };
//! let read = AccountRead {
//!     id: "123456789012".into(),
//!     name: "management".into(),
//!     credentials: Ok(AccountCredentials {
//!         root: RootCredentials { access_keys_present: true, mfa_enabled: true },
//!         password_policy: PasswordPolicyRead::Set(policy.password_policy),
//!         users: vec![],
//!     }),
//! };
//! let report = AuditReport::evaluate("o-example", "123456789012", &policy, &[read]);
//! assert_eq!(report.findings[0].rule, Rule::RootAccessKeys);
//! assert_eq!(report.findings[0].severity, groundwork_blueprint::Severity::Critical);
//! ```

mod evaluate;
pub mod lifecycle;
mod member_root;
mod policy;
pub mod read;
mod report;
pub mod rotation;
mod rule;
pub mod sandbox;

pub use evaluate::{KeyFacts, account_findings, key_findings, password_weaknesses, rfc3339, whole_days};
pub use groundwork_blueprint::Severity;
pub use member_root::{MemberRoot, MemberRoots, RootRemoval, RootUserCredentials};
pub use policy::{AuditPolicy, Ignore, PasswordScope};
pub use read::{AccessKey, AccountCredentials, AccountRead, PasswordPolicyRead, RootCredentials, UserCredentials};
pub use report::{AUDIT_FORMAT_VERSION, AccountAudit, AuditReport, AuditSummary, Deactivation, Finding, KeyRef};
pub use rule::Rule;
