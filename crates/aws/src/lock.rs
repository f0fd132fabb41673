//! One apply at a time per organization: a lock object written with an S3 conditional write
//! (`If-None-Match: *`), which S3 makes atomic: of two concurrent writers exactly one succeeds,
//! the other gets `412 PreconditionFailed`.
//!
//! The lock lives in a groundwork state bucket in the management account
//! (`groundwork-state-<account-id>-<region>`, public access blocked), at `locks/apply.json`. It
//! is taken only when a plan has changes, so a converged rerun still makes zero writes.

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{BucketLocationConstraint, CreateBucketConfiguration, PublicAccessBlockConfiguration};
use serde::{Deserialize, Serialize};

use crate::call::{Idempotency, call, call_settled};
use crate::{Aws, AwsError};

/// The lock object's key in the state bucket.
pub const LOCK_KEY: &str = "locks/apply.json";

/// Who holds the lock.
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
    /// RFC 3339 time the lock was taken.
    pub since: String,
}

impl LockInfo {
    /// A holder that cannot be named (the lock object is unreadable or already gone).
    fn unknown(why: &str) -> Self {
        LockInfo { holder: why.to_owned(), caller: String::new(), pid: 0, run: String::new(), since: String::new() }
    }
}

/// A lock this process holds.
#[derive(Debug, Clone)]
pub struct Lock {
    /// The state bucket.
    pub bucket: String,
    /// What was written.
    pub info: LockInfo,
}

/// Why the lock could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Another run holds it.
    #[error(
        "another groundwork apply holds the lock on this organization: {} ({}, pid {}, run {}) since {}; wait for it, or if that run is dead, rerun with --break-lock",
        .0.holder, .0.caller, .0.pid, .0.run, .0.since
    )]
    Held(LockInfo),
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

impl Aws {
    /// The state bucket's name for this caller's account and region.
    pub async fn state_bucket(&self) -> Result<String, AwsError> {
        let account = self.caller_account().await?;
        let region = self.sdk_config().region().map_or_else(|| "us-east-1".to_owned(), ToString::to_string);
        Ok(format!("groundwork-state-{account}-{region}"))
    }

    async fn ensure_state_bucket(&self, bucket: &str) -> Result<(), AwsError> {
        let exists = call(&self.retry, &self.limiter, &self.journal, "s3:HeadBucket", Idempotency::Safe, || {
            self.s3.head_bucket().bucket(bucket).send()
        })
        .await;
        if exists.is_ok() {
            return Ok(());
        }
        let region = self.sdk_config().region().map(ToString::to_string).unwrap_or_default();
        let head = || async {
            let found = call(&self.retry, &self.limiter, &self.journal, "s3:HeadBucket", Idempotency::Safe, || {
                self.s3.head_bucket().bucket(bucket).send()
            })
            .await;
            match found {
                Ok(_) => Ok(true),
                Err(e) if matches!(e.code.as_deref(), Some("NotFound" | "NoSuchBucket")) => Ok(false),
                Err(e) => Err(e),
            }
        };
        let created = call_settled(
            &self.retry,
            &self.limiter,
            &self.journal,
            "s3:CreateBucket",
            || {
                let mut req = self.s3.create_bucket().bucket(bucket);
                if !region.is_empty() && region != "us-east-1" {
                    req = req.create_bucket_configuration(
                        CreateBucketConfiguration::builder()
                            .location_constraint(BucketLocationConstraint::from(region.as_str()))
                            .build(),
                    );
                }
                req.send()
            },
            head,
        )
        .await;
        match created {
            Ok(_) => {}
            Err(e) if e.code.as_deref() == Some("BucketAlreadyOwnedByYou") => {}
            Err(e) => return Err(AwsError::call(format!("creating the state bucket {bucket}"), e)),
        }
        call(&self.retry, &self.limiter, &self.journal, "s3:PutPublicAccessBlock", Idempotency::Safe, || {
            self.s3
                .put_public_access_block()
                .bucket(bucket)
                .public_access_block_configuration(
                    PublicAccessBlockConfiguration::builder()
                        .block_public_acls(true)
                        .ignore_public_acls(true)
                        .block_public_policy(true)
                        .restrict_public_buckets(true)
                        .build(),
                )
                .send()
        })
        .await
        .map_err(|e| AwsError::call(format!("blocking public access to {bucket}"), e))?;
        Ok(())
    }

    /// Who holds the lock, if anyone.
    pub async fn lock_holder(&self, bucket: &str) -> Result<Option<LockInfo>, AwsError> {
        let got = call(&self.retry, &self.limiter, &self.journal, "s3:GetObject", Idempotency::Safe, || {
            self.s3.get_object().bucket(bucket).key(LOCK_KEY).send()
        })
        .await;
        let out = match got {
            Ok(out) => out,
            Err(e) if matches!(e.code.as_deref(), Some("NoSuchKey" | "NoSuchBucket")) => return Ok(None),
            Err(e) => return Err(AwsError::call("reading the lock", e)),
        };
        let bytes =
            out.body.collect().await.map(aws_sdk_s3::primitives::AggregatedBytes::into_bytes).unwrap_or_default();
        Ok(Some(serde_json::from_slice(&bytes).unwrap_or(LockInfo::unknown("unknown (unreadable lock object)"))))
    }

    /// Takes the lock for `run`, atomically. With `break_lock`, removes a lock left by a dead
    /// run first (the caller must have told the user whose lock it breaks).
    pub async fn acquire_lock(&self, run: &str, break_lock: bool) -> Result<Lock, LockError> {
        let bucket = self.state_bucket().await?;
        self.ensure_state_bucket(&bucket).await?;
        if break_lock && let Some(old) = self.lock_holder(&bucket).await? {
            tracing::warn!(holder = %old.holder, since = %old.since, run = %old.run, "breaking the lock");
            self.delete_lock(&bucket).await?;
        }
        let caller =
            call(&self.retry, &self.limiter, &self.journal, "sts:GetCallerIdentity", Idempotency::Safe, || {
                self.sts.get_caller_identity().send()
            })
            .await
            .map(|o| o.arn().unwrap_or_default().to_owned())
            .unwrap_or_default();
        let info = LockInfo {
            holder: holder(),
            caller,
            pid: std::process::id(),
            run: run.to_owned(),
            since: groundwork_apply::journal::now_rfc3339(),
        };
        let body = serde_json::to_vec_pretty(&info).unwrap_or_default();
        // After a lost answer, PreconditionFailed may be our own write: the lock names its run.
        let ours = || async {
            let held = self.lock_holder(&bucket).await.map_err(|e| groundwork_apply::ProviderError {
                operation: "s3:GetObject".into(),
                code: None,
                message: e.to_string(),
                kind: groundwork_apply::ErrorKind::Rejected,
            })?;
            Ok(held.is_some_and(|h| h.run == run))
        };
        let put = call_settled(
            &self.retry,
            &self.limiter,
            &self.journal,
            "s3:PutObject",
            || {
                self.s3
                    .put_object()
                    .bucket(&bucket)
                    .key(LOCK_KEY)
                    .if_none_match("*")
                    .content_type("application/json")
                    .body(ByteStream::from(body.clone()))
                    .send()
            },
            ours,
        )
        .await;
        match put {
            Ok(_) => Ok(Lock { bucket, info }),
            Err(e) if matches!(e.code.as_deref(), Some("PreconditionFailed" | "ConditionalRequestConflict")) => {
                let held = self.lock_holder(&bucket).await?;
                Err(LockError::Held(
                    held.unwrap_or(LockInfo::unknown("unknown (the lock was released meanwhile; retry)")),
                ))
            }
            Err(e) => Err(AwsError::call("taking the lock", e).into()),
        }
    }

    async fn delete_lock(&self, bucket: &str) -> Result<(), AwsError> {
        call(&self.retry, &self.limiter, &self.journal, "s3:DeleteObject", Idempotency::Safe, || {
            self.s3.delete_object().bucket(bucket).key(LOCK_KEY).send()
        })
        .await
        .map_err(|e| AwsError::call("removing the lock", e))?;
        Ok(())
    }

    /// Releases a lock this process holds (only if it is still ours).
    pub async fn release_lock(&self, lock: &Lock) -> Result<(), AwsError> {
        match self.lock_holder(&lock.bucket).await? {
            Some(info) if info.run == lock.info.run => self.delete_lock(&lock.bucket).await,
            _ => Ok(()),
        }
    }
}
