//! One apply at a time per organization: a lock object written with an S3 conditional write
//! (`If-None-Match: *`), which S3 makes atomic: of two concurrent writers exactly one succeeds,
//! the other gets `412 PreconditionFailed`.
//!
//! The lock lives in a groundwork state bucket in the management account
//! (`groundwork-state-<account-id>-<region>`, public access blocked), at `locks/apply.json`. It
//! is taken only when a plan has changes, so a converged rerun still makes zero writes.

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    AbortIncompleteMultipartUpload, BucketLifecycleConfiguration, BucketLocationConstraint, BucketVersioningStatus,
    CreateBucketConfiguration, ExpirationStatus, LifecycleRule, LifecycleRuleFilter, NoncurrentVersionExpiration,
    ObjectOwnership, OwnershipControls, OwnershipControlsRule, PublicAccessBlockConfiguration, ServerSideEncryption,
    ServerSideEncryptionByDefault, ServerSideEncryptionConfiguration, ServerSideEncryptionRule,
    VersioningConfiguration,
};
use groundwork_apply::{ErrorKind, ProviderError};
use serde::{Deserialize, Serialize};

use crate::call::{Idempotency, call};
use crate::{Aws, AwsError};

/// The lock object's key in the state bucket.
pub const LOCK_KEY: &str = "locks/apply.json";

/// The state bucket's lifecycle rule: old versions of the lock object expire.
pub(crate) const LOCK_VERSIONS_RULE: &str = "groundwork-expire-old-lock-versions";
/// Days a noncurrent version of the lock object is kept (a short audit trail of holders).
pub(crate) const NONCURRENT_DAYS: i32 = 30;
/// Days after which an incomplete multipart upload into the state bucket is aborted.
pub(crate) const ABORT_MULTIPART_DAYS: i32 = 7;

/// The state bucket's policy: every request without TLS is denied.
#[must_use]
pub(crate) fn tls_only_policy(bucket: &str) -> serde_json::Value {
    let arn = format!("arn:aws:s3:::{bucket}");
    serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [arn.clone(), format!("{arn}/*")],
            "Condition": { "Bool": { "aws:SecureTransport": "false" } }
        }]
    })
}

fn rejected(op: &str, message: &str) -> ProviderError {
    ProviderError { operation: op.to_owned(), code: None, message: message.to_owned(), kind: ErrorKind::Rejected }
}

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
    /// The account that owns the state bucket (sent as `ExpectedBucketOwner`).
    pub owner: String,
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

    /// Makes sure the state bucket exists, belongs to the caller's account and is hardened:
    /// versioning, default encryption, `BucketOwnerEnforced`, the four public-access blocks, a
    /// lifecycle rule for old lock versions and, over TLS, a TLS-only policy. Each setting is read
    /// first, so a hardened bucket costs no write; a bucket of this name owned by another account
    /// is refused before anything is written to it.
    async fn ensure_state_bucket(&self, bucket: &str, owner: &str) -> Result<(), AwsError> {
        // Ownership, independent of ExpectedBucketOwner support: ListBuckets lists only the
        // caller's own buckets.
        let listed = call(&self.retry, &self.limiter, &self.journal, "s3:ListBuckets", Idempotency::Safe, || {
            self.s3.list_buckets().send()
        })
        .await
        .map_err(|e| AwsError::call("listing the caller's buckets", e))?;
        let ours = listed.buckets().iter().any(|b| b.name() == Some(bucket));
        if !ours {
            let region = self.sdk_config().region().map(ToString::to_string).unwrap_or_default();
            let created = call(&self.retry, &self.limiter, &self.journal, "s3:CreateBucket", Idempotency::Safe, || {
                let mut req = self.s3.create_bucket().bucket(bucket);
                if !region.is_empty() && region != "us-east-1" {
                    req = req.create_bucket_configuration(
                        CreateBucketConfiguration::builder()
                            .location_constraint(BucketLocationConstraint::from(region.as_str()))
                            .build(),
                    );
                }
                req.send()
            })
            .await;
            match created {
                Ok(_) => {}
                Err(e) if e.code.as_deref() == Some("BucketAlreadyOwnedByYou") => {}
                Err(e) if e.code.as_deref() == Some("BucketAlreadyExists") => {
                    return Err(AwsError::call(
                        format!(
                            "the state bucket {bucket} exists but belongs to another account, not {owner}; \
                             groundwork refuses to use it"
                        ),
                        e,
                    ));
                }
                Err(e) => return Err(AwsError::call(format!("creating the state bucket {bucket}"), e)),
            }
        }
        self.harden_state_bucket(bucket, owner).await
    }

    async fn harden_state_bucket(&self, bucket: &str, owner: &str) -> Result<(), AwsError> {
        let s3 = &self.s3;
        let ctx = |what: &str| format!("hardening the state bucket {bucket}: {what}");
        let run = |op: &'static str| (op, Idempotency::Safe);

        let (op, i) = run("s3:GetBucketVersioning");
        let versioning = call(&self.retry, &self.limiter, &self.journal, op, i, || {
            s3.get_bucket_versioning().bucket(bucket).expected_bucket_owner(owner).send()
        })
        .await
        .map_err(|e| AwsError::call(ctx("reading versioning"), e))?;
        if versioning.status() != Some(&BucketVersioningStatus::Enabled) {
            let (op, i) = run("s3:PutBucketVersioning");
            call(&self.retry, &self.limiter, &self.journal, op, i, || {
                s3.put_bucket_versioning()
                    .bucket(bucket)
                    .expected_bucket_owner(owner)
                    .versioning_configuration(
                        VersioningConfiguration::builder().status(BucketVersioningStatus::Enabled).build(),
                    )
                    .send()
            })
            .await
            .map_err(|e| AwsError::call(ctx("enabling versioning"), e))?;
        }

        let (op, i) = run("s3:GetPublicAccessBlock");
        let pab = call(&self.retry, &self.limiter, &self.journal, op, i, || {
            s3.get_public_access_block().bucket(bucket).expected_bucket_owner(owner).send()
        })
        .await;
        let blocked = match &pab {
            Ok(out) => out.public_access_block_configuration().is_some_and(|c| {
                c.block_public_acls() == Some(true)
                    && c.ignore_public_acls() == Some(true)
                    && c.block_public_policy() == Some(true)
                    && c.restrict_public_buckets() == Some(true)
            }),
            Err(e) if e.code.as_deref() == Some("NoSuchPublicAccessBlockConfiguration") => false,
            Err(e) => return Err(AwsError::call(ctx("reading the public-access block"), e.clone())),
        };
        if !blocked {
            let (op, i) = run("s3:PutPublicAccessBlock");
            call(&self.retry, &self.limiter, &self.journal, op, i, || {
                s3.put_public_access_block()
                    .bucket(bucket)
                    .expected_bucket_owner(owner)
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
            .map_err(|e| AwsError::call(ctx("blocking public access"), e))?;
        }

        let (op, i) = run("s3:GetBucketEncryption");
        let enc = call(&self.retry, &self.limiter, &self.journal, op, i, || {
            s3.get_bucket_encryption().bucket(bucket).expected_bucket_owner(owner).send()
        })
        .await;
        let encrypted = match &enc {
            Ok(out) => out
                .server_side_encryption_configuration()
                .and_then(|c| c.rules().first())
                .and_then(|r| r.apply_server_side_encryption_by_default())
                .is_some(),
            Err(e) if e.code.as_deref() == Some("ServerSideEncryptionConfigurationNotFoundError") => false,
            Err(e) => return Err(AwsError::call(ctx("reading default encryption"), e.clone())),
        };
        if !encrypted {
            let config = ServerSideEncryptionConfiguration::builder()
                .rules(
                    ServerSideEncryptionRule::builder()
                        .apply_server_side_encryption_by_default(
                            ServerSideEncryptionByDefault::builder()
                                .sse_algorithm(ServerSideEncryption::Aes256)
                                .build()
                                .map_err(|e| rejected("s3:PutBucketEncryption", &e.to_string()))
                                .map_err(|e| AwsError::call(ctx("default encryption"), e))?,
                        )
                        .build(),
                )
                .build()
                .map_err(|e| {
                    AwsError::call(ctx("default encryption"), rejected("s3:PutBucketEncryption", &e.to_string()))
                })?;
            let (op, i) = run("s3:PutBucketEncryption");
            call(&self.retry, &self.limiter, &self.journal, op, i, || {
                s3.put_bucket_encryption()
                    .bucket(bucket)
                    .expected_bucket_owner(owner)
                    .server_side_encryption_configuration(config.clone())
                    .send()
            })
            .await
            .map_err(|e| AwsError::call(ctx("setting default encryption"), e))?;
        }

        let (op, i) = run("s3:GetBucketOwnershipControls");
        let own = call(&self.retry, &self.limiter, &self.journal, op, i, || {
            s3.get_bucket_ownership_controls().bucket(bucket).expected_bucket_owner(owner).send()
        })
        .await;
        let enforced = match &own {
            Ok(out) => out
                .ownership_controls()
                .and_then(|o| o.rules().first())
                .is_some_and(|r| r.object_ownership() == &ObjectOwnership::BucketOwnerEnforced),
            Err(e) if e.code.as_deref() == Some("OwnershipControlsNotFoundError") => false,
            Err(e) => return Err(AwsError::call(ctx("reading ownership controls"), e.clone())),
        };
        if !enforced {
            let controls = OwnershipControls::builder()
                .rules(
                    OwnershipControlsRule::builder()
                        .object_ownership(ObjectOwnership::BucketOwnerEnforced)
                        .build()
                        .map_err(|e| {
                            AwsError::call(ctx("ownership"), rejected("s3:PutBucketOwnershipControls", &e.to_string()))
                        })?,
                )
                .build()
                .map_err(|e| {
                    AwsError::call(ctx("ownership"), rejected("s3:PutBucketOwnershipControls", &e.to_string()))
                })?;
            let (op, i) = run("s3:PutBucketOwnershipControls");
            call(&self.retry, &self.limiter, &self.journal, op, i, || {
                s3.put_bucket_ownership_controls()
                    .bucket(bucket)
                    .expected_bucket_owner(owner)
                    .ownership_controls(controls.clone())
                    .send()
            })
            .await
            .map_err(|e| AwsError::call(ctx("disabling ACLs (BucketOwnerEnforced)"), e))?;
        }

        let (op, i) = run("s3:GetBucketLifecycleConfiguration");
        let life = call(&self.retry, &self.limiter, &self.journal, op, i, || {
            s3.get_bucket_lifecycle_configuration().bucket(bucket).expected_bucket_owner(owner).send()
        })
        .await;
        let has_rule = match &life {
            Ok(out) => out.rules().iter().any(|r| {
                r.id() == Some(LOCK_VERSIONS_RULE)
                    && r.status() == &ExpirationStatus::Enabled
                    && r.noncurrent_version_expiration().and_then(|n| n.noncurrent_days()) == Some(NONCURRENT_DAYS)
                    && r.abort_incomplete_multipart_upload().and_then(|a| a.days_after_initiation())
                        == Some(ABORT_MULTIPART_DAYS)
            }),
            Err(e) if e.code.as_deref() == Some("NoSuchLifecycleConfiguration") => false,
            Err(e) => return Err(AwsError::call(ctx("reading the lifecycle rules"), e.clone())),
        };
        if !has_rule {
            let lifecycle =
                |what: String| AwsError::call(ctx("lifecycle"), rejected("s3:PutBucketLifecycleConfiguration", &what));
            let rule = LifecycleRule::builder()
                .id(LOCK_VERSIONS_RULE)
                .status(ExpirationStatus::Enabled)
                .filter(LifecycleRuleFilter::builder().prefix("").build())
                .noncurrent_version_expiration(
                    NoncurrentVersionExpiration::builder().noncurrent_days(NONCURRENT_DAYS).build(),
                )
                .abort_incomplete_multipart_upload(
                    AbortIncompleteMultipartUpload::builder().days_after_initiation(ABORT_MULTIPART_DAYS).build(),
                )
                .build()
                .map_err(|e| lifecycle(e.to_string()))?;
            let config =
                BucketLifecycleConfiguration::builder().rules(rule).build().map_err(|e| lifecycle(e.to_string()))?;
            let (op, i) = run("s3:PutBucketLifecycleConfiguration");
            call(&self.retry, &self.limiter, &self.journal, op, i, || {
                s3.put_bucket_lifecycle_configuration()
                    .bucket(bucket)
                    .expected_bucket_owner(owner)
                    .lifecycle_configuration(config.clone())
                    .send()
            })
            .await
            .map_err(|e| AwsError::call(ctx("setting the lifecycle rule"), e))?;
        }

        if self.plaintext_endpoint() {
            // A TLS-only policy would deny groundwork's own lock writes over plain HTTP (only
            // an emulator endpoint can be plain HTTP); on AWS the policy is always set.
            tracing::warn!(bucket, "plain-HTTP endpoint: the TLS-only policy of the state bucket is not set");
            return Ok(());
        }
        let want = tls_only_policy(bucket);
        let (op, i) = run("s3:GetBucketPolicy");
        let pol = call(&self.retry, &self.limiter, &self.journal, op, i, || {
            s3.get_bucket_policy().bucket(bucket).expected_bucket_owner(owner).send()
        })
        .await;
        let current = match &pol {
            Ok(out) => out.policy().and_then(|p| serde_json::from_str::<serde_json::Value>(p).ok()),
            Err(e) if e.code.as_deref() == Some("NoSuchBucketPolicy") => None,
            Err(e) => return Err(AwsError::call(ctx("reading the bucket policy"), e.clone())),
        };
        let same =
            current.is_some_and(|c| groundwork_plan::canonical_policy(&c) == groundwork_plan::canonical_policy(&want));
        if !same {
            let text = want.to_string();
            let (op, i) = run("s3:PutBucketPolicy");
            call(&self.retry, &self.limiter, &self.journal, op, i, || {
                s3.put_bucket_policy().bucket(bucket).expected_bucket_owner(owner).policy(text.clone()).send()
            })
            .await
            .map_err(|e| AwsError::call(ctx("setting the TLS-only policy"), e))?;
        }
        Ok(())
    }

    /// True when the S3 endpoint is an explicit `http://` override (an emulator).
    fn plaintext_endpoint(&self) -> bool {
        self.sdk_config().endpoint_url().is_some_and(|u| u.starts_with("http://"))
    }

    /// Who holds the lock, if anyone.
    pub async fn lock_holder(&self, bucket: &str, owner: &str) -> Result<Option<LockInfo>, AwsError> {
        let got = call(&self.retry, &self.limiter, &self.journal, "s3:GetObject", Idempotency::Safe, || {
            self.s3.get_object().bucket(bucket).key(LOCK_KEY).expected_bucket_owner(owner).send()
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
        let owner = self.caller_account().await?;
        let bucket = self.state_bucket().await?;
        self.ensure_state_bucket(&bucket, &owner).await?;
        if break_lock && let Some(old) = self.lock_holder(&bucket, &owner).await? {
            tracing::warn!(holder = %old.holder, since = %old.since, run = %old.run, "breaking the lock");
            self.delete_lock(&bucket, &owner).await?;
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
        let put = call(&self.retry, &self.limiter, &self.journal, "s3:PutObject", Idempotency::Safe, || {
            self.s3
                .put_object()
                .bucket(&bucket)
                .expected_bucket_owner(&owner)
                .key(LOCK_KEY)
                .if_none_match("*")
                .content_type("application/json")
                .body(ByteStream::from(body.clone()))
                .send()
        })
        .await;
        match put {
            Ok(_) => Ok(Lock { bucket, info, owner }),
            Err(e) if matches!(e.code.as_deref(), Some("PreconditionFailed" | "ConditionalRequestConflict")) => {
                let held = self.lock_holder(&bucket, &owner).await?;
                Err(LockError::Held(
                    held.unwrap_or(LockInfo::unknown("unknown (the lock was released meanwhile; retry)")),
                ))
            }
            Err(e) => Err(AwsError::call("taking the lock", e).into()),
        }
    }

    async fn delete_lock(&self, bucket: &str, owner: &str) -> Result<(), AwsError> {
        call(&self.retry, &self.limiter, &self.journal, "s3:DeleteObject", Idempotency::Safe, || {
            self.s3.delete_object().bucket(bucket).key(LOCK_KEY).expected_bucket_owner(owner).send()
        })
        .await
        .map_err(|e| AwsError::call("removing the lock", e))?;
        Ok(())
    }

    /// Releases a lock this process holds (only if it is still ours).
    pub async fn release_lock(&self, lock: &Lock) -> Result<(), AwsError> {
        match self.lock_holder(&lock.bucket, &lock.owner).await? {
            Some(info) if info.run == lock.info.run => self.delete_lock(&lock.bucket, &lock.owner).await,
            _ => Ok(()),
        }
    }
}
