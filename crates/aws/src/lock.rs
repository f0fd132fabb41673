//! One apply at a time per organization: a lease, held in an object of groundwork's state
//! bucket in the management account (`groundwork-state-<account-id>-<region>`, at
//! `locks/apply.json`).
//!
//! - **Taking it** is a conditional write: `If-None-Match: *` when there is no lease, which S3
//!   makes atomic (of two concurrent writers exactly one succeeds, the other gets
//!   `412 PreconditionFailed`).
//! - **Holding it**: the holder renews it every [`LeaseTerms::renew_every`] with `If-Match` on the
//!   ETag it last wrote, so a renewal succeeds only while nobody else has written the object.
//! - **Fencing**: a renewal that finds another ETag (the lease was taken over) trips the
//!   connection's [`Fence`](crate::Fence), and so does a lease not confirmed for longer than
//!   [`LeaseTerms::safe_age`] (half the expiry), measured on the holder's own clocks: from then on
//!   the run sends no write.
//! - **Taking over**: a later run that finds a lease whose object S3 last wrote more than its
//!   expiry ago (the holder's own, recorded in the lease) replaces it with `If-Match` on the ETag
//!   it read, so of two runs taking over at once exactly one wins. The old holder stopped writing
//!   at half that age, even if its clock and S3's disagree by up to the other half.
//! - **Releasing** deletes the object with `If-Match` on the holder's ETag: never someone else's.
//!
//! The lease is taken only when a plan has changes, so a converged rerun still makes zero writes.
//! The bucket is hardened like the log archive (see [`Aws::acquire_lock`]).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    AbortIncompleteMultipartUpload, BucketLifecycleConfiguration, ExpirationStatus, LifecycleRule, LifecycleRuleFilter,
    NoncurrentVersionExpiration,
};
use aws_smithy_types::date_time::Format;
use groundwork_apply::{ErrorKind, ProviderError};
use groundwork_plan::{STATE_ABORT_MULTIPART_DAYS, STATE_NONCURRENT_DAYS, state_bucket_spec};
use serde::{Deserialize, Serialize};
use tokio::sync::Notify;
use tokio::task::JoinHandle;

use crate::call::Idempotency;
use crate::{Aws, AwsError};

/// The lease object's key in the state bucket.
pub const LOCK_KEY: &str = "locks/apply.json";

/// The state bucket's lifecycle rule for old versions of the lease object.
const LOCK_VERSIONS_RULE: &str = "groundwork-expire-old-lock-versions";

/// How long a lease lasts without renewal, and what follows from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LeaseTerms {
    /// A lease not renewed for this long may be taken over by the next run.
    pub expiry: Duration,
}

impl Default for LeaseTerms {
    fn default() -> Self {
        LeaseTerms { expiry: Self::DEFAULT_EXPIRY }
    }
}

impl LeaseTerms {
    /// Two minutes: a dead run blocks the next for at most that long, and a live one renews
    /// six times in it.
    pub const DEFAULT_EXPIRY: Duration = Duration::from_mins(2);

    /// How often the holder renews: a sixth of the expiry.
    #[must_use]
    pub fn renew_every(self) -> Duration {
        self.expiry / 6
    }

    /// How long after its last confirmed renewal the holder may still write: half the expiry.
    /// The other half covers a disagreement between the holder's clock and S3's.
    #[must_use]
    pub fn safe_age(self) -> Duration {
        self.expiry / 2
    }
}

/// Who holds the lease, as recorded in the lease object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockInfo {
    /// `user@host`.
    pub holder: String,
    /// The caller's ARN.
    pub caller: String,
    /// Process id on the holder's host.
    pub pid: u32,
    /// The holder's run id (also in its journal).
    pub run: String,
    /// RFC 3339 time the lease was taken.
    pub since: String,
    /// RFC 3339 time of the holder's last renewal (the time it was taken until the first).
    #[serde(default)]
    pub renewed: String,
    /// Renewals so far.
    #[serde(default)]
    pub renewals: u64,
    /// Seconds without renewal after which the lease may be taken over (0 in a lock written by
    /// a groundwork before leases: the default expiry applies).
    #[serde(default)]
    pub expiry_secs: u64,
}

impl LockInfo {
    /// A holder that cannot be named (the lease object is unreadable or already gone).
    fn unknown(why: &str) -> Self {
        LockInfo {
            holder: why.to_owned(),
            caller: String::new(),
            pid: 0,
            run: String::new(),
            since: String::new(),
            renewed: String::new(),
            renewals: 0,
            expiry_secs: 0,
        }
    }

    /// The expiry this lease's holder declared.
    #[must_use]
    pub fn expiry(&self) -> Duration {
        if self.expiry_secs == 0 { LeaseTerms::DEFAULT_EXPIRY } else { Duration::from_secs(self.expiry_secs) }
    }
}

/// The lease object as read: what it says, its ETag and how long ago S3 last wrote it.
#[derive(Debug, Clone)]
pub struct HeldLease {
    /// What the holder wrote.
    pub info: LockInfo,
    /// The object's ETag.
    pub etag: String,
    /// Time since S3 last wrote the object (by this machine's clock against S3's `Last-Modified`).
    pub age: Duration,
}

impl HeldLease {
    /// Whether the holder stopped renewing for longer than its expiry.
    #[must_use]
    pub fn expired(&self) -> bool {
        self.age > self.info.expiry()
    }
}

/// A lease this process holds.
#[derive(Debug, Clone)]
pub struct Lock {
    /// The state bucket.
    pub bucket: String,
    /// The account that owns the state bucket (sent as `ExpectedBucketOwner`).
    pub owner: String,
    /// What was written.
    pub info: LockInfo,
    /// The lease's terms.
    pub terms: LeaseTerms,
    keeper: Arc<Keeper>,
}

/// The renewal task's shared state.
#[derive(Debug)]
struct Keeper {
    /// The ETag this process last wrote.
    etag: Mutex<String>,
    /// The lease as last written.
    info: Mutex<LockInfo>,
    stop: AtomicBool,
    wake: Notify,
    task: Mutex<Option<JoinHandle<()>>>,
}

/// A lease taken, and whose it was before if it was taken over.
#[derive(Debug)]
pub struct Acquired {
    /// The lease now held.
    pub lock: Lock,
    /// The expired lease this run took over, as it was read.
    pub took_over: Option<HeldLease>,
}

/// Why the lease could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Another run holds it, and renews it.
    #[error(
        "another groundwork apply holds the lock on this organization: {} ({}, pid {}, run {}) since {}, last renewed {}s ago; its lease expires {}s after its last renewal, and the next apply then takes it over on its own. If that run is dead and you cannot wait, rerun with --break-lock",
        .0.info.holder, .0.info.caller, .0.info.pid, .0.info.run, .0.info.since, .0.age.as_secs(), .0.info.expiry().as_secs()
    )]
    Held(Box<HeldLease>),
    /// S3 failed.
    #[error(transparent)]
    Aws(#[from] AwsError),
}

fn holder() -> String {
    let user = std::env::var("USER").or_else(|_| std::env::var("USERNAME")).unwrap_or_else(|_| "unknown".into());
    let host = std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "unknown-host".into());
    format!("{user}@{host}")
}

fn precondition_failed(e: &ProviderError) -> bool {
    matches!(e.code.as_deref(), Some("PreconditionFailed" | "ConditionalRequestConflict" | "NoSuchKey"))
}

fn lock_error(e: &AwsError) -> ProviderError {
    ProviderError { operation: "s3:GetObject".into(), code: None, message: e.to_string(), kind: ErrorKind::Rejected }
}

fn body(info: &LockInfo) -> ByteStream {
    ByteStream::from(serde_json::to_vec_pretty(info).unwrap_or_default())
}

impl Aws {
    /// The state bucket's name for this caller's account and region.
    pub async fn state_bucket(&self) -> Result<String, AwsError> {
        let account = self.caller_account().await?;
        Ok(format!("groundwork-state-{account}-{}", self.state_region()))
    }

    fn state_region(&self) -> String {
        self.sdk_config().region().map_or_else(|| "us-east-1".to_owned(), ToString::to_string)
    }

    /// Makes sure the state bucket exists in the caller's account and is hardened like the log
    /// archive ([`state_bucket_spec`]: versioning, SSE-S3, `BucketOwnerEnforced`, the four
    /// public-access blocks, a TLS-only policy), plus a lifecycle rule expiring old versions of
    /// the lease object. Each setting is read first, so a hardened bucket costs no write; a
    /// bucket of this name that another account owns is refused before anything is written.
    async fn ensure_state_bucket(&self, bucket: &str, owner: &str) -> Result<(), AwsError> {
        let ctx = |what: &str| format!("the state bucket {bucket}: {what}");
        let live = match Box::pin(self.read_bucket_spec(&self.s3, owner, bucket)).await {
            Ok(live) => live,
            Err(e) if e.operation == "s3:ListBuckets" && e.code.is_none() => {
                let why = format!(
                    "the state bucket {bucket} exists but belongs to another account, not {owner}: groundwork refuses \
                     to use it and writes nothing to it"
                );
                return Err(AwsError::call(why, e));
            }
            Err(e) => return Err(AwsError::call(ctx("reading it"), e)),
        };
        let mut spec = state_bucket_spec(&self.state_region(), bucket);
        if self.plaintext_endpoint() {
            // Over plain HTTP a TLS-only policy denies groundwork's own requests, as it should:
            // only an emulator endpoint can be plain HTTP. The policy there is left as it is.
            tracing::warn!(bucket, "plain-HTTP endpoint: the state bucket's TLS-only policy is not set");
            spec.policy = live.as_ref().map_or(serde_json::Value::Null, |l| l.policy.clone());
        }
        Box::pin(self.put_bucket_spec(&self.s3, owner, bucket, &spec, live.as_ref()))
            .await
            .map_err(|e| AwsError::call(ctx("hardening it"), e))?;
        self.ensure_lock_lifecycle(bucket, owner).await.map_err(|e| AwsError::call(ctx("its lifecycle rule"), e))
    }

    async fn ensure_lock_lifecycle(&self, bucket: &str, owner: &str) -> Result<(), ProviderError> {
        let life = self
            .run("s3:GetBucketLifecycleConfiguration", Idempotency::Safe, || {
                self.s3.get_bucket_lifecycle_configuration().bucket(bucket).expected_bucket_owner(owner).send()
            })
            .await;
        let has_rule = match &life {
            Ok(out) => out.rules().iter().any(|r| {
                r.id() == Some(LOCK_VERSIONS_RULE)
                    && r.status() == &ExpirationStatus::Enabled
                    && r.noncurrent_version_expiration().and_then(NoncurrentVersionExpiration::noncurrent_days)
                        == Some(STATE_NONCURRENT_DAYS)
                    && r.abort_incomplete_multipart_upload()
                        .and_then(AbortIncompleteMultipartUpload::days_after_initiation)
                        == Some(STATE_ABORT_MULTIPART_DAYS)
            }),
            Err(e) if e.code.as_deref() == Some("NoSuchLifecycleConfiguration") => false,
            Err(e) => return Err(e.clone()),
        };
        if has_rule {
            return Ok(());
        }
        let invalid = |e: aws_sdk_s3::error::BuildError| ProviderError {
            operation: "s3:PutBucketLifecycleConfiguration".into(),
            code: None,
            message: e.to_string(),
            kind: ErrorKind::Rejected,
        };
        let rule = LifecycleRule::builder()
            .id(LOCK_VERSIONS_RULE)
            .status(ExpirationStatus::Enabled)
            .filter(LifecycleRuleFilter::builder().prefix("").build())
            .noncurrent_version_expiration(
                NoncurrentVersionExpiration::builder().noncurrent_days(STATE_NONCURRENT_DAYS).build(),
            )
            .abort_incomplete_multipart_upload(
                AbortIncompleteMultipartUpload::builder().days_after_initiation(STATE_ABORT_MULTIPART_DAYS).build(),
            )
            .build()
            .map_err(invalid)?;
        let config = BucketLifecycleConfiguration::builder().rules(rule).build().map_err(invalid)?;
        self.run("s3:PutBucketLifecycleConfiguration", Idempotency::Safe, || {
            self.s3
                .put_bucket_lifecycle_configuration()
                .bucket(bucket)
                .expected_bucket_owner(owner)
                .lifecycle_configuration(config.clone())
                .send()
        })
        .await?;
        Ok(())
    }

    /// True when the S3 endpoint is an explicit `http://` override (an emulator).
    fn plaintext_endpoint(&self) -> bool {
        self.sdk_config().endpoint_url().is_some_and(|u| u.starts_with("http://"))
    }

    /// Who holds the lease, if anyone.
    pub async fn lock_holder(&self, bucket: &str, owner: &str) -> Result<Option<LockInfo>, AwsError> {
        Ok(self.read_lease(bucket, owner).await?.map(|h| h.info))
    }

    /// The lease object, its ETag and its age, if there is one.
    pub async fn read_lease(&self, bucket: &str, owner: &str) -> Result<Option<HeldLease>, AwsError> {
        let got = self
            .run("s3:GetObject", Idempotency::Safe, || {
                self.s3.get_object().bucket(bucket).key(LOCK_KEY).expected_bucket_owner(owner).send()
            })
            .await;
        let out = match got {
            Ok(out) => out,
            Err(e) if matches!(e.code.as_deref(), Some("NoSuchKey" | "NoSuchBucket")) => return Ok(None),
            Err(e) => return Err(AwsError::call("reading the lock", e)),
        };
        let etag = out.e_tag().unwrap_or_default().to_owned();
        let written = out.last_modified().and_then(|t| SystemTime::try_from(*t).ok());
        let bytes =
            out.body.collect().await.map(aws_sdk_s3::primitives::AggregatedBytes::into_bytes).unwrap_or_default();
        let info: LockInfo =
            serde_json::from_slice(&bytes).unwrap_or_else(|_| LockInfo::unknown("unknown (unreadable lock object)"));
        // Without S3's time, the holder's own record of its last renewal.
        let written = written.or_else(|| {
            let at = if info.renewed.is_empty() { &info.since } else { &info.renewed };
            aws_smithy_types::DateTime::from_str(at, Format::DateTime).ok().and_then(|t| SystemTime::try_from(t).ok())
        });
        let age = written.and_then(|t| SystemTime::now().duration_since(t).ok()).unwrap_or_default();
        Ok(Some(HeldLease { info, etag, age }))
    }

    /// Takes the lease for `run`: a new one when there is none, or an expired one (taken over,
    /// and returned in [`Acquired::took_over`]). A lease its holder still renews is refused
    /// ([`LockError::Held`]) unless `break_lock`, which removes it first (the caller must have
    /// said whose lease it breaks). Renewal starts with [`Aws::keep_lease`].
    pub async fn acquire_lock(&self, run: &str, break_lock: bool, terms: LeaseTerms) -> Result<Acquired, LockError> {
        let owner = self.caller_account().await?;
        let bucket = self.state_bucket().await?;
        Box::pin(self.ensure_state_bucket(&bucket, &owner)).await?;
        if break_lock && let Some(old) = self.read_lease(&bucket, &owner).await? {
            tracing::warn!(holder = %old.info.holder, since = %old.info.since, run = %old.info.run, "breaking the lock");
            self.delete_lease(&bucket, &owner, None).await?;
        }
        let caller = self
            .run("sts:GetCallerIdentity", Idempotency::Safe, || self.sts.get_caller_identity().send())
            .await
            .map(|o| o.arn().unwrap_or_default().to_owned())
            .unwrap_or_default();
        let now = groundwork_apply::journal::now_rfc3339();
        let info = LockInfo {
            holder: holder(),
            caller,
            pid: std::process::id(),
            run: run.to_owned(),
            since: now.clone(),
            renewed: now,
            renewals: 0,
            expiry_secs: terms.expiry.as_secs().max(1),
        };
        // A lease released or taken over between our reads and writes: look again, a few times.
        for _ in 0..3 {
            let held = match self.put_lease(&bucket, &owner, &info, None).await {
                Ok(etag) => {
                    return Ok(Acquired { lock: Self::lock(bucket, owner, info, etag, terms), took_over: None });
                }
                Err(e) if precondition_failed(&e) => self.read_lease(&bucket, &owner).await?,
                Err(e) => return Err(AwsError::call("taking the lock", e).into()),
            };
            let Some(held) = held else { continue };
            if !held.expired() {
                return Err(LockError::Held(Box::new(held)));
            }
            match self.put_lease(&bucket, &owner, &info, Some(&held.etag)).await {
                Ok(etag) => {
                    tracing::warn!(holder = %held.info.holder, run = %held.info.run, renewed = %held.info.renewed,
                        age_secs = held.age.as_secs(), "took over an expired apply lease");
                    let lock = Self::lock(bucket, owner, info, etag, terms);
                    return Ok(Acquired { lock, took_over: Some(held) });
                }
                Err(e) if precondition_failed(&e) => {}
                Err(e) => return Err(AwsError::call("taking over the expired lock", e).into()),
            }
        }
        let held = self.read_lease(&bucket, &owner).await?;
        Err(LockError::Held(Box::new(held.unwrap_or(HeldLease {
            info: LockInfo::unknown("unknown (the lock changed hands while this run tried to take it; retry)"),
            etag: String::new(),
            age: Duration::ZERO,
        }))))
    }

    fn lock(bucket: String, owner: String, info: LockInfo, etag: String, terms: LeaseTerms) -> Lock {
        let keeper = Arc::new(Keeper {
            etag: Mutex::new(etag),
            info: Mutex::new(info.clone()),
            stop: AtomicBool::new(false),
            wake: Notify::new(),
            task: Mutex::new(None),
        });
        Lock { bucket, owner, info, terms, keeper }
    }

    /// Writes the lease object: only if there is none (`if_match: None`), or only over the
    /// object with that ETag. After a lost answer, the write counts as done when the object
    /// now holds this run's lease at this renewal. Returns the new ETag.
    async fn put_lease(
        &self,
        bucket: &str,
        owner: &str,
        info: &LockInfo,
        if_match: Option<&str>,
    ) -> Result<String, ProviderError> {
        let ours = || async {
            let held = self.read_lease(bucket, owner).await.map_err(|e| lock_error(&e))?;
            Ok(held.is_some_and(|h| h.info.run == info.run && h.info.renewals == info.renewals))
        };
        let put = self
            .run_settled(
                "s3:PutObject",
                || {
                    let req = self
                        .s3
                        .put_object()
                        .bucket(bucket)
                        .expected_bucket_owner(owner)
                        .key(LOCK_KEY)
                        .content_type("application/json")
                        .body(body(info));
                    match if_match {
                        Some(etag) => req.if_match(etag),
                        None => req.if_none_match("*"),
                    }
                    .send()
                },
                ours,
            )
            .await?;
        match put.and_then(|out| out.e_tag().map(str::to_owned)) {
            Some(etag) => Ok(etag),
            // Settled after a lost answer (or no ETag in the answer): read it back.
            None => Ok(self
                .read_lease(bucket, owner)
                .await
                .map_err(|e| lock_error(&e))?
                .map(|h| h.etag)
                .unwrap_or_default()),
        }
    }

    async fn delete_lease(&self, bucket: &str, owner: &str, if_match: Option<&str>) -> Result<(), AwsError> {
        let deleted = self
            .run("s3:DeleteObject", Idempotency::Safe, || {
                self.s3
                    .delete_object()
                    .bucket(bucket)
                    .key(LOCK_KEY)
                    .expected_bucket_owner(owner)
                    .set_if_match(if_match.map(str::to_owned))
                    .send()
            })
            .await;
        match deleted {
            Ok(_) => Ok(()),
            // Not ours any more (taken over) or already gone: nothing of ours to remove.
            Err(e) if if_match.is_some() && precondition_failed(&e) => Ok(()),
            Err(e) => Err(AwsError::call("removing the lock", e)),
        }
    }

    /// Starts renewing `lock` in the background and arms this connection's fence: from now on
    /// every write stops once the lease may have been lost.
    pub fn keep_lease(&self, lock: &Lock) {
        let terms = lock.terms;
        self.fence.arm(terms.safe_age(), (Instant::now(), SystemTime::now()));
        let aws = self.clone();
        let (bucket, owner, keeper) = (lock.bucket.clone(), lock.owner.clone(), Arc::clone(&lock.keeper));
        let task = tokio::spawn(async move {
            loop {
                tokio::select! {
                    () = tokio::time::sleep(terms.renew_every()) => {}
                    () = keeper.wake.notified() => {}
                }
                if keeper.stop.load(Ordering::SeqCst) || aws.fence.tripped() {
                    return;
                }
                if !aws.renew(&bucket, &owner, &keeper).await {
                    return;
                }
            }
        });
        *lock.keeper.task.lock().expect("lease task") = Some(task);
    }

    /// One renewal; `false` once renewing must stop (the lease was lost).
    async fn renew(&self, bucket: &str, owner: &str, keeper: &Keeper) -> bool {
        let sent = (Instant::now(), SystemTime::now());
        let info = {
            let mut info = keeper.info.lock().expect("lease").clone();
            info.renewals += 1;
            info.renewed = groundwork_apply::journal::now_rfc3339();
            info
        };
        let etag = keeper.etag.lock().expect("lease").clone();
        match self.put_lease(bucket, owner, &info, Some(&etag)).await {
            Ok(new) => {
                *keeper.etag.lock().expect("lease") = new;
                *keeper.info.lock().expect("lease") = info;
                self.fence.renewed(sent);
                true
            }
            Err(e) if precondition_failed(&e) => {
                // Stop first, then find out who took over (the message names them).
                self.fence.trip(&self.journal, "the apply lease was taken over by another run");
                let who = match self.read_lease(bucket, owner).await {
                    Ok(Some(now)) => format!(
                        "the apply lease was taken over by {} ({}, run {}) at {}",
                        now.info.holder, now.info.caller, now.info.run, now.info.since
                    ),
                    Ok(None) => "the apply lease was removed by someone else (--break-lock?)".to_owned(),
                    Err(read) => format!("the apply lease was lost ({read})"),
                };
                tracing::error!(%who, "stopping: no further writes");
                self.fence.explain(who);
                false
            }
            Err(e) if e.code.as_deref() == Some(crate::FENCED) => false,
            Err(e) => {
                // Transient: the next renewal tries again; the fence stops writes if none
                // succeeds within the safe age.
                tracing::warn!(error = %e, "renewing the apply lease failed; trying again at the next renewal");
                true
            }
        }
    }

    /// Why this connection stopped writing, if it did (its lease was lost).
    #[must_use]
    pub fn fenced(&self) -> Option<String> {
        self.fence.check().err()
    }

    /// Stops renewing and releases the lease, only if it is still ours (a conditional delete on
    /// the last ETag this run wrote). A run whose lease was taken over leaves it alone.
    pub async fn release_lock(&self, lock: &Lock) -> Result<(), AwsError> {
        lock.keeper.stop.store(true, Ordering::SeqCst);
        lock.keeper.wake.notify_one();
        let task = lock.keeper.task.lock().expect("lease task").take();
        if let Some(task) = task {
            let _ = task.await;
        }
        if self.fence.tripped() {
            return Ok(());
        }
        let etag = lock.keeper.etag.lock().expect("lease").clone();
        let released = self.delete_lease(&lock.bucket, &lock.owner, Some(&etag)).await;
        self.fence.disarm();
        released
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_terms_leave_half_the_expiry_for_clock_disagreement() {
        let t = LeaseTerms::default();
        assert_eq!(t.renew_every(), Duration::from_secs(20));
        assert_eq!(t.safe_age(), Duration::from_mins(1));
        assert!(t.renew_every() * 2 < t.safe_age(), "two renewals may fail before the holder stops");
    }

    #[test]
    fn the_state_bucket_is_specified_as_hard_as_the_archive() {
        let spec =
            groundwork_plan::kinds::Spec::to_value(&state_bucket_spec("eu-west-1", "groundwork-state-1-eu-west-1"));
        assert_eq!(spec["versioning"], "Enabled");
        assert_eq!(spec["ownership"], "BucketOwnerEnforced");
        assert_eq!(spec["encryption"]["algorithm"], "AES256");
        let pab = spec["public_access_block"].as_object().unwrap();
        assert_eq!(pab.len(), 4);
        assert!(pab.values().all(|v| v == true));
        let st = &spec["policy"]["Statement"][0];
        assert_eq!(st["Effect"], "Deny");
        assert_eq!(st["Condition"]["Bool"]["aws:SecureTransport"], serde_json::json!(["false"]));
        assert_eq!(st["Action"], serde_json::json!(["s3:*"]));
        assert!(spec["lifecycle_expiration_days"].is_null(), "nothing current expires");
    }

    #[test]
    fn a_lock_from_before_leases_reads_with_the_default_expiry() {
        let old = r#"{"holder":"a@b","caller":"arn","pid":1,"run":"r","since":"2026-11-01T00:00:00Z"}"#;
        let info: LockInfo = serde_json::from_str(old).unwrap();
        assert_eq!(info.expiry(), LeaseTerms::DEFAULT_EXPIRY);
        let held = HeldLease { info, etag: String::new(), age: Duration::from_secs(121) };
        assert!(held.expired());
        let fresh = HeldLease { age: Duration::from_secs(119), ..held };
        assert!(!fresh.expired());
    }
}
