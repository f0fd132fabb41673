//! The one retry policy and the client-side rate limiter every AWS call goes through.
//!
//! The SDK's own retries are disabled (see [`crate::connect`]) so that this is the only policy:
//! throttling (`TooManyRequestsException`, `ThrottlingException`, `Throttling`,
//! `ConcurrentModificationException`, ...) and 5xx/transport failures are retried with
//! exponential backoff and full jitter. Non-idempotent writes (CreateAccount, CreateOU, ...) are
//! retried only on errors that prove the request was not carried out (throttling); any other
//! transient failure is returned as [`ErrorKind::Ambiguous`] so the executor can check the live
//! state before trying again.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

use aws_sdk_organizations::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_organizations::operation::RequestId;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use groundwork_apply::{ErrorKind, Journal, ProviderError};
use rand::Rng;

use crate::fence::Fence;

/// Error codes that mean "slow down, the request was not carried out".
/// The error code of a write the fence stopped before it was sent.
pub const FENCED: &str = "GroundworkFenced";

const THROTTLING: &[&str] = &[
    "TooManyRequestsException",
    "ThrottlingException",
    "Throttling",
    "ThrottledException",
    "RequestLimitExceeded",
    "SlowDown",
    "RequestThrottled",
    "RequestThrottledException",
    "ConcurrentModificationException",
    "PriorRequestNotComplete",
];

/// Error codes of transient server-side failures.
const TRANSIENT: &[&str] = &[
    "ServiceUnavailable",
    "ServiceUnavailableException",
    "InternalFailure",
    "InternalError",
    "InternalException",
    "ServiceException",
];

/// Documented request rates (per second) and bursts of AWS Organizations operations
/// (shared/AWS-FACTS.md). Operations not listed are not limited on the client side.
const ORGANIZATIONS_RATES: &[(&str, f64, f64)] = &[
    ("CreateAccount", 0.1, 3.0),
    ("DescribeCreateAccountStatus", 2.0, 2.0),
    ("ListCreateAccountStatus", 2.0, 2.0),
    ("ListAccounts", 8.0, 12.0),
    ("ListChildren", 6.0, 10.0),
    ("ListParents", 5.0, 8.0),
    ("ListAccountsForParent", 5.0, 8.0),
    ("ListOrganizationalUnitsForParent", 5.0, 8.0),
    ("ListRoots", 1.0, 2.0),
    ("CreateOrganizationalUnit", 1.0, 2.0),
    ("MoveAccount", 2.0, 3.0),
    ("CreatePolicy", 2.0, 3.0),
    ("AttachPolicy", 2.0, 3.0),
    ("DetachPolicy", 2.0, 3.0),
    ("ListPoliciesForTarget", 5.0, 8.0),
    ("ListTargetsForPolicy", 5.0, 8.0),
    ("EnableAWSServiceAccess", 1.0, 2.0),
    ("RegisterDelegatedAdministrator", 1.0, 2.0),
    ("CloseAccount", 0.05, 1.0),
];

/// Retry settings.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Attempts per call, the first included.
    pub max_attempts: u32,
    /// Base of the exponential backoff.
    pub base: Duration,
    /// Largest single backoff.
    pub max_backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy { max_attempts: 8, base: Duration::from_millis(200), max_backoff: Duration::from_secs(20) }
    }
}

impl RetryPolicy {
    /// Full-jitter backoff before attempt `attempt` (1-based retries).
    fn backoff(&self, attempt: u32) -> Duration {
        let exp = self.base.saturating_mul(1u32 << attempt.min(16));
        let cap = exp.min(self.max_backoff);
        let millis = u64::try_from(cap.as_millis()).unwrap_or(u64::MAX).max(1);
        Duration::from_millis(rand::rng().random_range(0..=millis))
    }
}

struct Bucket {
    rate: f64,
    burst: f64,
    tokens: f64,
    last: Instant,
}

/// A token bucket per operation, at AWS's documented rates.
pub struct RateLimiter {
    enabled: bool,
    buckets: Mutex<HashMap<&'static str, Bucket>>,
}

impl RateLimiter {
    /// A limiter with the documented rates; `enabled: false` lets every call through.
    pub fn new(enabled: bool) -> Self {
        RateLimiter { enabled, buckets: Mutex::new(HashMap::new()) }
    }

    /// Waits until `service:Operation` may be called. Reserves a token even when none is left
    /// and sleeps until it would have been there, so waiting callers are served in order.
    pub async fn acquire(&self, op: &'static str) {
        if !self.enabled {
            return;
        }
        let Some((service, name)) = op.split_once(':') else { return };
        if service != "organizations" {
            return;
        }
        let Some(&(_, rate, burst)) = ORGANIZATIONS_RATES.iter().find(|(n, _, _)| *n == name) else { return };
        let wait = {
            let mut buckets = self.buckets.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            let now = Instant::now();
            let b = buckets.entry(op).or_insert(Bucket { rate, burst, tokens: burst, last: now });
            b.tokens = (b.tokens + now.duration_since(b.last).as_secs_f64() * b.rate).min(b.burst);
            b.last = now;
            b.tokens -= 1.0;
            if b.tokens >= 0.0 { Duration::ZERO } else { Duration::from_secs_f64(-b.tokens / b.rate) }
        };
        if !wait.is_zero() {
            tracing::debug!(op, wait_ms = wait.as_millis(), "rate limited on the client side");
            tokio::time::sleep(wait).await;
        }
    }
}

/// How an error should be treated.
enum Class {
    /// Not carried out; safe to retry any call.
    Throttled,
    /// May have been carried out; retry idempotent calls only.
    Transient,
    /// Final.
    Fatal,
}

/// Error codes that mean "not carried out, try again" for one service only: Identity Center's
/// `ConflictException` (another operation on the same permission set or assignment is in
/// progress; AWS asks callers to retry with backoff). The identity store uses the same code for
/// a uniqueness violation, which is final, so it is not listed for `identitystore`.
const SERVICE_RETRYABLE: &[(&str, &str)] = &[("sso", "ConflictException")];

fn classify<E: ProvideErrorMetadata>(err: &SdkError<E, HttpResponse>, op: &str) -> Class {
    match err {
        SdkError::ServiceError(_) => {
            let code = err.code().unwrap_or_default();
            let status = err.raw_response().map_or(0, |r| r.status().as_u16());
            let service = op.split_once(':').map_or("", |(s, _)| s);
            let retryable_here = SERVICE_RETRYABLE.iter().any(|(s, c)| *s == service && *c == code);
            if THROTTLING.contains(&code) || status == 429 || retryable_here {
                Class::Throttled
            } else if TRANSIENT.contains(&code) || status >= 500 {
                Class::Transient
            } else {
                Class::Fatal
            }
        }
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => Class::Transient,
        _ => Class::Fatal,
    }
}

/// A readable message for an SDK error: code and message when AWS sent them, the source chain
/// otherwise.
pub(crate) fn message<E: ProvideErrorMetadata + std::error::Error + 'static>(
    err: &SdkError<E, HttpResponse>,
) -> String {
    if let (Some(code), msg) = (err.code(), err.message()) {
        return format!("{code}: {}", msg.unwrap_or("(no message)"));
    }
    let mut text = err.to_string();
    let mut source = std::error::Error::source(err);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// Whether a call may be repeated without effect when its outcome is unknown. A write that is
/// not ([`Idempotency::CreatesNew`]) goes through [`call_settled`], which reads back before it
/// resends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Idempotency {
    /// Reads and writes that converge (tagging, moving, enabling).
    Safe,
    /// Writes that create something new on every call.
    CreatesNew,
}

/// Runs one AWS call through the rate limiter and the retry policy; write calls are journalled
/// before and after each attempt.
pub(crate) async fn call<T, E, F, Fut>(
    policy: &RetryPolicy,
    limiter: &RateLimiter,
    journal: &Journal,
    fence: &Fence,
    op: &'static str,
    idempotency: Idempotency,
    mut f: F,
) -> Result<T, ProviderError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, SdkError<E, HttpResponse>>>,
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    T: RequestId,
{
    let write = {
        let (service, name) = op.split_once(':').unwrap_or(("", op));
        crate::counter::classify(service, name) == crate::counter::CallKind::Write
    };
    let mut attempt = 0u32;
    loop {
        attempt += 1;
        limiter.acquire(op).await;
        if write && let Err(why) = fence.admit(journal, || journal.before(op)) {
            return Err(ProviderError {
                operation: op.to_owned(),
                code: Some(FENCED.to_owned()),
                message: format!("not sent: {why}"),
                kind: ErrorKind::Rejected,
            });
        }
        let result = f().await;
        if write {
            let outcome = match &result {
                Ok(_) => "ok".to_owned(),
                Err(e) => message(e),
            };
            journal.after(op, result.request_id(), &outcome);
        }
        let err = match result {
            Ok(v) => return Ok(v),
            Err(e) => e,
        };
        let class = classify(&err, op);
        let retryable = match class {
            Class::Throttled => true,
            Class::Transient => idempotency == Idempotency::Safe,
            Class::Fatal => false,
        };
        if retryable && attempt < policy.max_attempts {
            let wait = policy.backoff(attempt);
            tracing::debug!(op, attempt, wait_ms = wait.as_millis(), error = %message(&err), "retrying");
            tokio::time::sleep(wait).await;
            continue;
        }
        // Out of attempts on a transient error, or a transient error on a call that creates
        // something: the caller must look at the live state before trying again.
        let kind = match class {
            Class::Fatal => ErrorKind::Rejected,
            Class::Throttled | Class::Transient => ErrorKind::Ambiguous,
        };
        let suffix = if attempt > 1 { format!(" (after {attempt} attempts)") } else { String::new() };
        return Err(ProviderError {
            operation: op.to_owned(),
            code: err.code().map(str::to_owned),
            message: format!("{}{suffix}", message(&err)),
            kind,
        });
    }
}

/// Runs a write that is not idempotent (it creates something, or fails when repeated) so that a
/// lost answer never turns into a duplicate or a false failure. Each attempt goes through
/// [`call`] as [`Idempotency::CreatesNew`], so throttling is retried there and any failure that
/// may hide a carried-out request (reset, timeout, 5xx) comes back as ambiguous. Then `settle`
/// reads the resource back: `true` means what was asked is in place (the lost attempt went
/// through), and the write counts as done (`Ok(None)`); `false` means resend. A resend that is
/// refused (`EntityAlreadyExists`, `LimitExceeded`, `PreconditionFailed`, ...) after an
/// ambiguous attempt is settled the same way: success when the read-back matches, otherwise the
/// refusal, saying that what is there does not match. A refusal with no ambiguous attempt before
/// it is returned as it is.
pub(crate) async fn call_settled<T, E, F, Fut, S, SFut>(
    policy: &RetryPolicy,
    limiter: &RateLimiter,
    journal: &Journal,
    fence: &Fence,
    op: &'static str,
    mut f: F,
    mut settle: S,
) -> Result<Option<T>, ProviderError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, SdkError<E, HttpResponse>>>,
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    T: RequestId,
    S: FnMut() -> SFut,
    SFut: std::future::Future<Output = Result<bool, ProviderError>>,
{
    let mut lost: Option<ProviderError> = None;
    for attempt in 1..=policy.max_attempts {
        match call(policy, limiter, journal, fence, op, Idempotency::CreatesNew, &mut f).await {
            Ok(v) => return Ok(Some(v)),
            Err(e) if e.kind == ErrorKind::Ambiguous => {
                tracing::info!(op, attempt, error = %e.message, "the answer was lost; reading back before resending");
                if settle().await? {
                    tracing::info!(op, "the lost attempt went through");
                    return Ok(None);
                }
                lost = Some(e);
                tokio::time::sleep(policy.backoff(attempt)).await;
            }
            Err(e) if lost.is_some() => {
                if settle().await? {
                    tracing::info!(op, code = ?e.code, "refused because the lost attempt went through");
                    return Ok(None);
                }
                return Err(ProviderError {
                    message: format!(
                        "{} (an earlier attempt's answer was lost, and what is there now does not match what was asked)",
                        e.message
                    ),
                    ..e
                });
            }
            Err(e) => return Err(e),
        }
    }
    Err(lost.unwrap_or_else(|| ProviderError {
        operation: op.to_owned(),
        code: None,
        message: "no attempt was made".into(),
        kind: ErrorKind::Ambiguous,
    }))
}

impl crate::Aws {
    /// [`call`] with this connection's retry policy, rate limiter and journal.
    pub(crate) async fn run<T, E, F, Fut>(
        &self,
        op: &'static str,
        idempotency: Idempotency,
        f: F,
    ) -> Result<T, ProviderError>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T, SdkError<E, HttpResponse>>>,
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
        T: RequestId,
    {
        call(&self.retry, &self.limiter, &self.journal, &self.fence, op, idempotency, f).await
    }

    /// A removal (detach, delete, remove from) through [`call`]: `Ok(true)` when it removed
    /// something, `Ok(false)` when the service answers that it is already gone (IAM's
    /// `NoSuchEntity`, Organizations' `PolicyNotFoundException`, Identity Center's
    /// `ResourceNotFoundException`). The
    /// goal holds either way; it is also how a resend sees that an attempt whose answer was
    /// lost went through.
    pub(crate) async fn run_removal<T, E, F, Fut>(&self, op: &'static str, f: F) -> Result<bool, ProviderError>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T, SdkError<E, HttpResponse>>>,
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
        T: RequestId,
    {
        match self.run(op, Idempotency::Safe, f).await {
            Ok(_) => Ok(true),
            Err(e)
                if matches!(
                    e.code.as_deref(),
                    Some(
                        "NoSuchEntity"
                            | "NoSuchEntityException"
                            | "PolicyNotFoundException"
                            | "ResourceNotFoundException"
                    )
                ) =>
            {
                tracing::info!(op, "already gone");
                Ok(false)
            }
            Err(e) => Err(e),
        }
    }

    /// [`call_settled`] with this connection's retry policy, rate limiter and journal.
    pub(crate) async fn run_settled<T, E, F, Fut, S, SFut>(
        &self,
        op: &'static str,
        f: F,
        settle: S,
    ) -> Result<Option<T>, ProviderError>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T, SdkError<E, HttpResponse>>>,
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
        T: RequestId,
        S: FnMut() -> SFut,
        SFut: std::future::Future<Output = Result<bool, ProviderError>>,
    {
        call_settled(&self.retry, &self.limiter, &self.journal, &self.fence, op, f, settle).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_is_bounded() {
        let p = RetryPolicy::default();
        for attempt in 1..40 {
            assert!(p.backoff(attempt) <= p.max_backoff);
        }
    }

    #[tokio::test]
    async fn limiter_spaces_calls_after_the_burst() {
        tokio::time::pause();
        let l = RateLimiter::new(true);
        let start = tokio::time::Instant::now();
        // ListRoots: 1/s with a burst of 2: the third call waits about a second.
        for _ in 0..3 {
            l.acquire("organizations:ListRoots").await;
        }
        assert!(start.elapsed() >= Duration::from_millis(900), "{:?}", start.elapsed());
    }

    #[test]
    fn identity_centers_conflict_is_retried_and_the_identity_stores_is_final() {
        use aws_sdk_ssoadmin::error::ErrorMetadata;
        use aws_sdk_ssoadmin::operation::attach_managed_policy_to_permission_set::AttachManagedPolicyToPermissionSetError;
        use aws_sdk_ssoadmin::types::error::ConflictException;
        use aws_smithy_runtime_api::http::StatusCode;
        use aws_smithy_types::body::SdkBody;
        let conflict = || {
            let meta = ErrorMetadata::builder().code("ConflictException").message("in progress").build();
            let e = AttachManagedPolicyToPermissionSetError::ConflictException(
                ConflictException::builder().message("in progress").meta(meta).build(),
            );
            SdkError::service_error(e, HttpResponse::new(StatusCode::try_from(400).unwrap(), SdkBody::empty()))
        };
        assert!(matches!(classify(&conflict(), "sso:AttachManagedPolicyToPermissionSet"), Class::Throttled));
        assert!(matches!(classify(&conflict(), "identitystore:CreateGroup"), Class::Fatal));
        assert!(matches!(classify(&conflict(), "organizations:CreatePolicy"), Class::Fatal));
    }

    #[tokio::test]
    async fn limiter_ignores_unlisted_operations() {
        let l = RateLimiter::new(true);
        for _ in 0..100 {
            l.acquire("organizations:DescribeOrganization").await;
            l.acquire("sts:GetCallerIdentity").await;
        }
    }
}
