//! API-call accounting: an SDK interceptor that counts every call by `service:Operation` and
//! classifies it as a read or a write. Tests use it to prove a rerun makes zero writes; users see
//! it with `--stats`.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex};

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::BeforeSerializationInterceptorContextRef;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use serde::Serialize;

/// Whether an operation changes anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CallKind {
    /// Describe/List/Get/Head, and STS calls that only issue credentials.
    Read,
    /// Everything else.
    Write,
}

/// Classifies an operation by name.
pub fn classify(service: &str, operation: &str) -> CallKind {
    const READ_PREFIXES: &[&str] = &["Describe", "List", "Get", "Head", "Lookup", "Search", "Select"];
    let sts_read = service.eq_ignore_ascii_case("sts") && operation.starts_with("Assume");
    if sts_read || READ_PREFIXES.iter().any(|p| operation.starts_with(p)) { CallKind::Read } else { CallKind::Write }
}

/// Counts per operation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CallStats {
    /// `service:Operation` -> count (each HTTP request, retries included).
    pub by_operation: BTreeMap<String, u64>,
    /// The same counts by principal: `caller` (the credentials groundwork runs with, in the
    /// management account), or `ACCOUNT_ID/ROLE` for a role assumed in a member account.
    pub by_principal: BTreeMap<String, BTreeMap<String, u64>>,
}

impl CallStats {
    /// Calls of one kind.
    pub fn total(&self, kind: CallKind) -> u64 {
        self.by_operation
            .iter()
            .filter(|(op, _)| {
                let (service, name) = op.split_once(':').unwrap_or(("", op));
                classify(service, name) == kind
            })
            .map(|(_, n)| n)
            .sum()
    }

    /// Read calls.
    pub fn reads(&self) -> u64 {
        self.total(CallKind::Read)
    }

    /// Write calls.
    pub fn writes(&self) -> u64 {
        self.total(CallKind::Write)
    }

    /// Count of one `service:Operation`.
    pub fn count(&self, op: &str) -> u64 {
        self.by_operation.get(op).copied().unwrap_or(0)
    }

    /// The write operations called, for error messages.
    pub fn write_operations(&self) -> Vec<String> {
        self.by_operation
            .keys()
            .filter(|op| {
                let (service, name) = op.split_once(':').unwrap_or(("", op));
                classify(service, name) == CallKind::Write
            })
            .cloned()
            .collect()
    }
}

impl fmt::Display for CallStats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{:<52} {:>5} {:>7}", "AWS API calls", "kind", "count")?;
        for (op, n) in &self.by_operation {
            let (service, name) = op.split_once(':').unwrap_or(("", op));
            let kind = match classify(service, name) {
                CallKind::Read => "read",
                CallKind::Write => "write",
            };
            writeln!(f, "{op:<52} {kind:>5} {n:>7}")?;
        }
        write!(f, "{:<52} {:>5} {:>7}\n{:<52} {:>5} {:>7}", "total", "read", self.reads(), "", "write", self.writes())
    }
}

/// The interceptor; clone it into every client. All clones share one tally.
#[derive(Debug, Clone, Default)]
pub struct CallCounter {
    inner: Arc<Mutex<CallStats>>,
    principal: Option<Arc<str>>,
}

impl CallCounter {
    /// A fresh counter.
    pub fn new() -> Self {
        Self::default()
    }

    /// A copy of the counts so far.
    pub fn snapshot(&self) -> CallStats {
        self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }

    /// Forgets all counts.
    pub fn reset(&self) {
        *self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = CallStats::default();
    }

    /// A counter sharing this tally that also records calls under `principal` (an account id
    /// and role, `ACCOUNT_ID/ROLE`) instead of `caller`.
    #[must_use]
    pub fn for_principal(&self, principal: &str) -> Self {
        CallCounter { inner: Arc::clone(&self.inner), principal: Some(Arc::from(principal)) }
    }

    fn record(&self, service: &str, operation: &str) {
        let key = format!("{}:{operation}", service.to_lowercase().replace(' ', ""));
        let mut stats = self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let principal = self.principal.as_deref().unwrap_or("caller").to_owned();
        *stats.by_principal.entry(principal).or_default().entry(key.clone()).or_default() += 1;
        *stats.by_operation.entry(key).or_default() += 1;
    }
}

// Client interceptors' `read_before_execution` runs before the operation's configuration (which
// holds its `Metadata`) is applied, so count in `read_before_serialization`: once per call.
impl Intercept for CallCounter {
    fn name(&self) -> &'static str {
        "groundwork-call-counter"
    }

    fn read_before_serialization(
        &self,
        _context: &BeforeSerializationInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Some(m) = cfg.load::<Metadata>() {
            self.record(m.service(), m.name());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_reads_and_writes() {
        assert_eq!(classify("organizations", "ListAccounts"), CallKind::Read);
        assert_eq!(classify("organizations", "DescribeOrganization"), CallKind::Read);
        assert_eq!(classify("sts", "AssumeRole"), CallKind::Read);
        assert_eq!(classify("sts", "GetCallerIdentity"), CallKind::Read);
        assert_eq!(classify("organizations", "CreateAccount"), CallKind::Write);
        assert_eq!(classify("organizations", "TagResource"), CallKind::Write);
        assert_eq!(classify("iam", "AssumeRolePolicy"), CallKind::Write);
    }

    #[test]
    fn totals_by_kind() {
        let c = CallCounter::new();
        c.record("Organizations", "ListRoots");
        c.record("Organizations", "ListRoots");
        c.record("Organizations", "CreateAccount");
        let s = c.snapshot();
        assert_eq!(s.count("organizations:ListRoots"), 2);
        assert_eq!((s.reads(), s.writes()), (2, 1));
        assert_eq!(s.write_operations(), vec!["organizations:CreateAccount".to_owned()]);
        c.for_principal("111122223333/Exec").record("IAM", "GetRole");
        let s = c.snapshot();
        assert_eq!(s.by_principal["caller"].values().sum::<u64>(), 3);
        assert_eq!(s.by_principal["111122223333/Exec"]["iam:GetRole"], 1);
        assert_eq!(s.count("iam:GetRole"), 1);
    }
}
