//! The groundwork executor: applies a [`groundwork_plan::Plan`] through a [`Provider`].
//!
//! Changes run in dependency order with bounded concurrency; CreateAccount is asynchronous and
//! crash-safe (look for the account and for an in-flight request before sending another);
//! progress shows as bars on a terminal and as plain lines in CI.
//!
//! ```no_run
//! # async fn demo(plan: groundwork_plan::Plan, live: groundwork_plan::Live, provider: std::sync::Arc<dyn groundwork_apply::Provider>) {
//! use std::sync::Arc;
//! use groundwork_apply::{ExecOptions, Progress, ProgressMode, execute};
//! let progress = Arc::new(Progress::new(ProgressMode::Lines, plan.changes.len()));
//! let report = execute(&plan, &live, provider, ExecOptions::default(), progress).await;
//! assert_eq!(report.failed(), 0);
//! # }
//! ```

mod executor;
pub mod journal;
mod progress;
mod provider;

pub use executor::{ExecOptions, Outcome, Report, execute};
pub use journal::Journal;
pub use progress::{ItemBar, Progress, ProgressMode};
pub use provider::{CreateState, ErrorKind, FoundAccount, Provider, ProviderError};
