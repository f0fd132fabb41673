//! The log bucket and its access-log bucket: existence, owner and region, versioning, the four
//! public-access blocks, default encryption, object ownership, the retention lifecycle rule,
//! object lock, server access logging and the policy.
//!
//! Every call on a bucket sets `ExpectedBucketOwner` (the id of the account it should be in), so
//! AWS refuses to read or write a bucket of that name that another account owns; discovery also
//! checks the account's own bucket list, so such a bucket is named and refused before any write.

use aws_sdk_s3::types::{
    BucketLifecycleConfiguration, BucketLocationConstraint, BucketLoggingStatus, BucketVersioningStatus,
    CreateBucketConfiguration, DefaultRetention, ExpirationStatus, LifecycleExpiration, LifecycleRule,
    LifecycleRuleFilter, LoggingEnabled, ObjectLockConfiguration, ObjectLockEnabled, ObjectLockRetentionMode,
    ObjectLockRule, ObjectOwnership, OwnershipControls, OwnershipControlsRule, PublicAccessBlockConfiguration,
    ServerSideEncryption, ServerSideEncryptionByDefault, ServerSideEncryptionConfiguration, ServerSideEncryptionRule,
    VersioningConfiguration,
};
use groundwork_apply::{ErrorKind, ProviderError};
use groundwork_plan::kinds::KindMeta;
use groundwork_plan::kinds::bucket::{AccessLogging, BucketSpec, Encryption, ObjectLock, PublicAccessBlock};
use groundwork_plan::{Locator, canonical_policy, compact_policy};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::OnceCell;

use super::{Converge, ListCx, ReadCx, WriteCx, parse_document};
use crate::Aws;
use crate::call::Idempotency;

/// ID of the lifecycle rule groundwork owns.
const RETENTION_RULE: &str = "groundwork-retention";

fn missing(e: &ProviderError, codes: &[&str]) -> bool {
    e.code.as_deref().is_some_and(|c| codes.contains(&c))
}

fn rejected(op: &str, message: String) -> ProviderError {
    ProviderError { operation: op.to_owned(), code: None, message, kind: ErrorKind::Rejected }
}

fn to_i32(n: u32) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

/// A bucket of this name exists, but not in the account groundwork expects it in.
fn foreign(name: &str, owner: &str) -> ProviderError {
    rejected(
        "s3:ListBuckets",
        format!(
            "bucket {name} exists but is not owned by account {owner}, where the blueprint puts it; groundwork \
             neither reads nor writes another account's bucket: choose another name (put `{{account_id}}` in it)"
        ),
    )
}

/// The policy as sent: compact, with its `Allow` statements first. The order means nothing to
/// AWS; the emulator's check of a logging target's policy reads the statements in order and
/// cannot read one whose principal is `"*"`, so the grant must come before the denies.
fn policy_text(doc: &Value) -> String {
    let mut compact = compact_policy(doc);
    if let Some(statements) = compact.get_mut("Statement").and_then(Value::as_array_mut) {
        statements.sort_by_key(|st| st["Effect"] != "Allow");
    }
    compact.to_string()
}

/// The buckets one account owns, as one ListBuckets returned them: name → region (AWS names
/// each bucket's region in the listing; an emulator that does not leaves it `None`, and the
/// reader asks GetBucketLocation instead).
type Listing = HashMap<String, Option<String>>;

/// Each account's bucket listing, made once per discovery by the first bucket reader of that
/// account (so an account's buckets cost one ListBuckets together, not one each).
#[derive(Default)]
pub(crate) struct BucketLists(Mutex<HashMap<String, Arc<OnceCell<Arc<Listing>>>>>);

impl BucketLists {
    /// The listing of the account `s3` reads, made on first use.
    async fn of(&self, aws: &Aws, s3: &aws_sdk_s3::Client, account: &str) -> Result<Arc<Listing>, ProviderError> {
        let cell = {
            let mut map = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            Arc::clone(map.entry(account.to_owned()).or_default())
        };
        let listing = cell.get_or_try_init(|| async { aws.list_owned_buckets(s3, None).await.map(Arc::new) }).await?;
        Ok(Arc::clone(listing))
    }
}

/// A key of the blueprint set out of band by its id or ARN is the same key as its alias.
fn named_by_alias(mut bucket: BucketSpec, shared: &super::Shared) -> BucketSpec {
    if let Some(e) = bucket.encryption.as_mut()
        && let Some(alias) = e.kms_key_id.as_deref().and_then(|k| shared.key_aliases.alias_arn(k))
    {
        e.kms_key_id = Some(alias.to_owned());
    }
    bucket
}

#[async_trait::async_trait]
impl Converge for BucketSpec {
    async fn read(cx: &ReadCx<'_>) -> Result<Option<Self>, ProviderError> {
        let (aws, s3, owner) = (cx.aws, &cx.clients.s3, &cx.clients.id);
        let listing = cx.shared.bucket_lists.of(aws, s3, owner).await?;
        let bucket = Box::pin(aws.read_listed_bucket(s3, owner, &cx.at.name, &listing)).await?;
        Ok(bucket.map(|b| named_by_alias(b, cx.shared)))
    }

    /// Every bucket the account owns (one ListBuckets), each read as [`Converge::read`] reads
    /// it but for the ownership check the listing already made.
    async fn list(cx: &ListCx<'_>) -> Result<Vec<(Locator, Self)>, ProviderError> {
        let (aws, s3) = (cx.aws, &cx.clients.s3);
        let listing = aws.list_owned_buckets(s3, None).await?;
        let mut names: Vec<&String> = listing.keys().collect();
        names.sort();
        let mut out = Vec::new();
        for name in names {
            if let Some(b) = Box::pin(aws.read_listed_bucket(s3, &cx.clients.id, name, &listing)).await? {
                out.push((cx.locator(Self::KIND, name), named_by_alias(b, cx.shared)));
            }
        }
        Ok(out)
    }

    async fn put(&self, cx: &WriteCx<'_>, live: Option<&Self>) -> Result<String, ProviderError> {
        Box::pin(cx.aws.put_bucket_spec(&cx.clients.s3, &cx.clients.id, &cx.at.name, self, live)).await
    }
}

impl Aws {
    /// The bucket's live spec, or `None` when it does not exist (in this account).
    pub(crate) async fn read_bucket_spec(
        &self,
        s3: &aws_sdk_s3::Client,
        owner: &str,
        name: &str,
    ) -> Result<Option<BucketSpec>, ProviderError> {
        let listing = self.list_owned_buckets(s3, Some(name)).await?;
        Box::pin(self.read_listed_bucket(s3, owner, name, &listing)).await
    }

    /// The buckets the account of `s3` owns (with `prefix`, only those whose name starts with
    /// it), each with the region the listing names.
    async fn list_owned_buckets(
        &self,
        s3: &aws_sdk_s3::Client,
        prefix: Option<&str>,
    ) -> Result<Listing, ProviderError> {
        let out = self
            .run("s3:ListBuckets", Idempotency::Safe, || s3.list_buckets().set_prefix(prefix.map(str::to_owned)).send())
            .await?;
        Ok(out
            .buckets()
            .iter()
            .filter_map(|b| {
                Some((b.name()?.to_owned(), b.bucket_region().filter(|r| !r.is_empty()).map(str::to_owned)))
            })
            .collect())
    }

    /// [`Aws::read_bucket_spec`] once ListBuckets said whether `owner` owns the bucket (it is
    /// in `listing`) and, on AWS, where it is: then GetBucketLocation is not asked.
    async fn read_listed_bucket(
        &self,
        s3: &aws_sdk_s3::Client,
        owner: &str,
        name: &str,
        listing: &Listing,
    ) -> Result<Option<BucketSpec>, ProviderError> {
        let owned = listing.contains_key(name);
        let location = match listing.get(name) {
            Some(Some(region)) => region.clone(),
            _ => match self.bucket_location(s3, owner, name, owned).await? {
                Some(region) => region,
                None => return Ok(None),
            },
        };
        if !owned {
            return Err(foreign(name, owner));
        }
        Box::pin(self.read_bucket_settings(s3, owner, name, location)).await
    }

    /// Where a bucket is (GetBucketLocation), `None` when there is no such bucket; a bucket the
    /// account does not own is refused.
    async fn bucket_location(
        &self,
        s3: &aws_sdk_s3::Client,
        owner: &str,
        name: &str,
        owned: bool,
    ) -> Result<Option<String>, ProviderError> {
        let location = match self
            .run("s3:GetBucketLocation", Idempotency::Safe, || {
                s3.get_bucket_location().bucket(name).expected_bucket_owner(owner).send()
            })
            .await
        {
            Ok(out) => match out.location_constraint() {
                None => "us-east-1".to_owned(),
                Some(l) if l.as_str().is_empty() => "us-east-1".to_owned(),
                Some(BucketLocationConstraint::Eu) => "eu-west-1".to_owned(),
                Some(l) => l.as_str().to_owned(),
            },
            Err(e) if missing(&e, &["NoSuchBucket", "NotFound"]) => return Ok(None),
            Err(e) if !owned && missing(&e, &["AccessDenied", "Forbidden"]) => return Err(foreign(name, owner)),
            Err(e) => return Err(e),
        };
        Ok(Some(location))
    }

    /// The settings of a bucket `owner` owns, in `location`.
    async fn read_bucket_settings(
        &self,
        s3: &aws_sdk_s3::Client,
        owner: &str,
        name: &str,
        location: String,
    ) -> Result<Option<BucketSpec>, ProviderError> {
        let (versioning, pab, encryption, ownership, lifecycle, lock, policy) = tokio::join!(
            self.run("s3:GetBucketVersioning", Idempotency::Safe, || s3
                .get_bucket_versioning()
                .bucket(name)
                .expected_bucket_owner(owner)
                .send()),
            self.run("s3:GetPublicAccessBlock", Idempotency::Safe, || s3
                .get_public_access_block()
                .bucket(name)
                .expected_bucket_owner(owner)
                .send()),
            self.run("s3:GetBucketEncryption", Idempotency::Safe, || s3
                .get_bucket_encryption()
                .bucket(name)
                .expected_bucket_owner(owner)
                .send()),
            self.run("s3:GetBucketOwnershipControls", Idempotency::Safe, || {
                s3.get_bucket_ownership_controls().bucket(name).expected_bucket_owner(owner).send()
            }),
            self.run("s3:GetBucketLifecycleConfiguration", Idempotency::Safe, || {
                s3.get_bucket_lifecycle_configuration().bucket(name).expected_bucket_owner(owner).send()
            }),
            self.run("s3:GetObjectLockConfiguration", Idempotency::Safe, || {
                s3.get_object_lock_configuration().bucket(name).expected_bucket_owner(owner).send()
            }),
            self.run("s3:GetBucketPolicy", Idempotency::Safe, || s3
                .get_bucket_policy()
                .bucket(name)
                .expected_bucket_owner(owner)
                .send()),
        );
        let access_logging = self
            .run("s3:GetBucketLogging", Idempotency::Safe, || {
                s3.get_bucket_logging().bucket(name).expected_bucket_owner(owner).send()
            })
            .await?
            .logging_enabled()
            .map(|l| AccessLogging {
                target_bucket: l.target_bucket().to_owned(),
                target_prefix: l.target_prefix().to_owned(),
            });
        let versioning = versioning?.status().map_or("Disabled", BucketVersioningStatus::as_str).to_owned();
        let public_access_block = match pab {
            Ok(out) => {
                out.public_access_block_configuration().map_or_else(PublicAccessBlock::default, |p| PublicAccessBlock {
                    block_public_acls: p.block_public_acls().unwrap_or(false),
                    ignore_public_acls: p.ignore_public_acls().unwrap_or(false),
                    block_public_policy: p.block_public_policy().unwrap_or(false),
                    restrict_public_buckets: p.restrict_public_buckets().unwrap_or(false),
                })
            }
            Err(e) if missing(&e, &["NoSuchPublicAccessBlockConfiguration"]) => PublicAccessBlock::default(),
            Err(e) => return Err(e),
        };
        let encryption = match encryption {
            Ok(out) => out
                .server_side_encryption_configuration()
                .and_then(|c| c.rules().first())
                .and_then(|r| r.apply_server_side_encryption_by_default())
                .map(|d| Encryption {
                    algorithm: d.sse_algorithm().as_str().to_owned(),
                    kms_key_id: d
                        .kms_master_key_id()
                        .filter(|_| d.sse_algorithm() != &ServerSideEncryption::Aes256)
                        .map(str::to_owned),
                }),
            Err(e) if missing(&e, &["ServerSideEncryptionConfigurationNotFoundError"]) => None,
            Err(e) => return Err(e),
        };
        let ownership = match ownership {
            Ok(out) => out
                .ownership_controls()
                .and_then(|o| o.rules().first())
                .map(|r| r.object_ownership().as_str().to_owned()),
            Err(e) if missing(&e, &["OwnershipControlsNotFoundError"]) => None,
            Err(e) => return Err(e),
        };
        let lifecycle_expiration_days = match lifecycle {
            Ok(out) => out
                .rules()
                .iter()
                .find(|r| r.id() == Some(RETENTION_RULE) && r.status() == &ExpirationStatus::Enabled)
                .and_then(|r| r.expiration().and_then(LifecycleExpiration::days))
                .and_then(|d| u32::try_from(d).ok()),
            Err(e) if missing(&e, &["NoSuchLifecycleConfiguration"]) => None,
            Err(e) => return Err(e),
        };
        // None: object lock is off (and can only be turned on at creation). Enabled without a
        // default retention (a run killed between CreateBucket and PutObjectLockConfiguration)
        // reads as a lock with no mode, which the next apply completes.
        let object_lock = match lock {
            Ok(out) => match out.object_lock_configuration() {
                Some(c) if c.object_lock_enabled() == Some(&ObjectLockEnabled::Enabled) => {
                    let retention = c.rule().and_then(ObjectLockRule::default_retention);
                    Some(ObjectLock {
                        mode: retention.and_then(|r| r.mode()).map(|m| m.as_str().to_owned()),
                        days: retention.and_then(DefaultRetention::days).and_then(|d| u32::try_from(d).ok()),
                    })
                }
                _ => None,
            },
            Err(e) if missing(&e, &["ObjectLockConfigurationNotFoundError"]) => None,
            Err(e) => return Err(e),
        };
        let policy = match policy {
            Ok(out) => match out.policy() {
                Some(text) => canonical_policy(&parse_document("s3:GetBucketPolicy", text)?),
                None => Value::Null,
            },
            Err(e) if missing(&e, &["NoSuchBucketPolicy"]) => Value::Null,
            Err(e) => return Err(e),
        };
        Ok(Some(BucketSpec {
            region: location,
            versioning,
            public_access_block,
            encryption,
            ownership,
            lifecycle_expiration_days,
            object_lock,
            access_logging,
            policy,
        }))
    }

    /// Creates the bucket (with object lock when asked: only possible now) and converges each
    /// setting that differs; the policy goes last.
    pub(crate) async fn put_bucket_spec(
        &self,
        s3: &aws_sdk_s3::Client,
        owner: &str,
        name: &str,
        spec: &BucketSpec,
        live: Option<&BucketSpec>,
    ) -> Result<String, ProviderError> {
        let region = spec.region.as_str();
        let mut done = Vec::new();
        // What a bucket just created has: every setting off, no policy.
        let fresh = BucketSpec {
            region: spec.region.clone(),
            versioning: "Disabled".into(),
            public_access_block: PublicAccessBlock::default(),
            encryption: None,
            ownership: None,
            lifecycle_expiration_days: None,
            object_lock: None,
            access_logging: None,
            policy: Value::Null,
        };
        let live = if let Some(l) = live {
            l
        } else {
            let created = self
                .run_settled(
                    "s3:CreateBucket",
                    || {
                        let mut req =
                            s3.create_bucket().bucket(name).object_ownership(ObjectOwnership::BucketOwnerEnforced);
                        if region != "us-east-1" {
                            req = req.create_bucket_configuration(
                                CreateBucketConfiguration::builder()
                                    .location_constraint(BucketLocationConstraint::from(region))
                                    .build(),
                            );
                        }
                        if spec.object_lock.is_some() {
                            req = req.object_lock_enabled_for_bucket(true);
                        }
                        req.send()
                    },
                    || async {
                        // us-east-1 answers a repeated CreateBucket of one's own bucket with 200, moto
                        // with BucketAlreadyExists: either way, look for it in this account.
                        match self
                            .run("s3:HeadBucket", Idempotency::Safe, || {
                                s3.head_bucket().bucket(name).expected_bucket_owner(owner).send()
                            })
                            .await
                        {
                            Ok(_) => Ok(true),
                            Err(e) if missing(&e, &["NotFound", "NoSuchBucket", "404"]) => Ok(false),
                            Err(e) => Err(e),
                        }
                    },
                )
                .await;
            match created {
                Ok(_) => done.push(format!("created bucket {name} in account {owner}")),
                Err(e) if missing(&e, &["BucketAlreadyOwnedByYou"]) => {}
                Err(e) if missing(&e, &["BucketAlreadyExists"]) => {
                    return Err(rejected(
                        "s3:CreateBucket",
                        format!("bucket name {name} is taken by another AWS account; choose another `logging.bucket`"),
                    ));
                }
                Err(e) => return Err(e),
            }
            &fresh
        };
        if live.region != region {
            let actual = &live.region;
            return Err(rejected(
                "s3:GetBucketLocation",
                format!("bucket {name} is in {actual}, not {region}; a bucket cannot move between regions"),
            ));
        }
        if live.versioning != spec.versioning {
            self.run("s3:PutBucketVersioning", Idempotency::Safe, || {
                s3.put_bucket_versioning()
                    .bucket(name)
                    .expected_bucket_owner(owner)
                    .versioning_configuration(
                        VersioningConfiguration::builder().status(BucketVersioningStatus::Enabled).build(),
                    )
                    .send()
            })
            .await?;
            done.push("versioning enabled".into());
        }
        if live.public_access_block != spec.public_access_block {
            let p = spec.public_access_block;
            self.run("s3:PutPublicAccessBlock", Idempotency::Safe, || {
                s3.put_public_access_block()
                    .bucket(name)
                    .expected_bucket_owner(owner)
                    .public_access_block_configuration(
                        PublicAccessBlockConfiguration::builder()
                            .block_public_acls(p.block_public_acls)
                            .ignore_public_acls(p.ignore_public_acls)
                            .block_public_policy(p.block_public_policy)
                            .restrict_public_buckets(p.restrict_public_buckets)
                            .build(),
                    )
                    .send()
            })
            .await?;
            done.push("public access blocked".into());
        }
        if live.encryption != spec.encryption
            && let Some(e) = &spec.encryption
        {
            let algorithm = ServerSideEncryption::from(e.algorithm.as_str());
            let key = e.kms_key_id.clone();
            let default = ServerSideEncryptionByDefault::builder()
                .sse_algorithm(algorithm)
                .set_kms_master_key_id(key)
                .build()
                .map_err(|err| rejected("s3:PutBucketEncryption", err.to_string()))?;
            let rule = ServerSideEncryptionRule::builder()
                .apply_server_side_encryption_by_default(default)
                .bucket_key_enabled(true)
                .build();
            let config = ServerSideEncryptionConfiguration::builder()
                .rules(rule)
                .build()
                .map_err(|err| rejected("s3:PutBucketEncryption", err.to_string()))?;
            self.run("s3:PutBucketEncryption", Idempotency::Safe, || {
                s3.put_bucket_encryption()
                    .bucket(name)
                    .expected_bucket_owner(owner)
                    .server_side_encryption_configuration(config.clone())
                    .send()
            })
            .await?;
            done.push("default encryption set".into());
        }
        if live.ownership != spec.ownership && spec.ownership.is_some() {
            let rule = OwnershipControlsRule::builder()
                .object_ownership(ObjectOwnership::BucketOwnerEnforced)
                .build()
                .map_err(|err| rejected("s3:PutBucketOwnershipControls", err.to_string()))?;
            let controls = OwnershipControls::builder()
                .rules(rule)
                .build()
                .map_err(|err| rejected("s3:PutBucketOwnershipControls", err.to_string()))?;
            self.run("s3:PutBucketOwnershipControls", Idempotency::Safe, || {
                s3.put_bucket_ownership_controls()
                    .bucket(name)
                    .expected_bucket_owner(owner)
                    .ownership_controls(controls.clone())
                    .send()
            })
            .await?;
            done.push("ACLs disabled (BucketOwnerEnforced)".into());
        }
        if live.lifecycle_expiration_days != spec.lifecycle_expiration_days {
            if let Some(days) = spec.lifecycle_expiration_days {
                let rule = LifecycleRule::builder()
                    .id(RETENTION_RULE)
                    .status(ExpirationStatus::Enabled)
                    .filter(LifecycleRuleFilter::builder().prefix("").build())
                    .expiration(LifecycleExpiration::builder().days(to_i32(days)).build())
                    .noncurrent_version_expiration(
                        aws_sdk_s3::types::NoncurrentVersionExpiration::builder().noncurrent_days(to_i32(days)).build(),
                    )
                    .build()
                    .map_err(|err| rejected("s3:PutBucketLifecycleConfiguration", err.to_string()))?;
                let config = BucketLifecycleConfiguration::builder()
                    .rules(rule)
                    .build()
                    .map_err(|err| rejected("s3:PutBucketLifecycleConfiguration", err.to_string()))?;
                self.run("s3:PutBucketLifecycleConfiguration", Idempotency::Safe, || {
                    s3.put_bucket_lifecycle_configuration()
                        .bucket(name)
                        .expected_bucket_owner(owner)
                        .lifecycle_configuration(config.clone())
                        .send()
                })
                .await?;
                done.push(format!("objects expire after {days} days"));
            } else {
                self.run("s3:DeleteBucketLifecycle", Idempotency::Safe, || {
                    s3.delete_bucket_lifecycle().bucket(name).expected_bucket_owner(owner).send()
                })
                .await?;
                done.push("retention rule removed (logs kept forever)".into());
            }
        }
        if live.object_lock != spec.object_lock
            && let Some(ObjectLock { mode: Some(mode), days }) = &spec.object_lock
        {
            let mode = mode.as_str();
            let days = days.unwrap_or(1);
            let config = ObjectLockConfiguration::builder()
                .object_lock_enabled(ObjectLockEnabled::Enabled)
                .rule(
                    ObjectLockRule::builder()
                        .default_retention(
                            DefaultRetention::builder()
                                .mode(ObjectLockRetentionMode::from(mode))
                                .days(to_i32(days))
                                .build(),
                        )
                        .build(),
                )
                .build();
            self.run("s3:PutObjectLockConfiguration", Idempotency::Safe, || {
                s3.put_object_lock_configuration()
                    .bucket(name)
                    .expected_bucket_owner(owner)
                    .object_lock_configuration(config.clone())
                    .send()
            })
            .await?;
            done.push(format!("object lock {mode} for {days} days"));
        }
        // Server access logging, then the policy: once the policy is in place it denies
        // `s3:PutBucketLogging` and every other protected setting to everyone but its exception.
        if live.access_logging != spec.access_logging {
            let status = match &spec.access_logging {
                Some(l) => {
                    let enabled = LoggingEnabled::builder()
                        .target_bucket(&l.target_bucket)
                        .target_prefix(&l.target_prefix)
                        .build()
                        .map_err(|err| rejected("s3:PutBucketLogging", err.to_string()))?;
                    BucketLoggingStatus::builder().logging_enabled(enabled).build()
                }
                None => BucketLoggingStatus::builder().build(),
            };
            self.run("s3:PutBucketLogging", Idempotency::Safe, || {
                s3.put_bucket_logging()
                    .bucket(name)
                    .expected_bucket_owner(owner)
                    .bucket_logging_status(status.clone())
                    .send()
            })
            .await?;
            done.push(match &spec.access_logging {
                Some(l) => format!("server access logs to {}", l.target_bucket),
                None => "server access logging off".into(),
            });
        }
        if live.policy != spec.policy && !spec.policy.is_null() {
            let policy = policy_text(&spec.policy);
            self.run("s3:PutBucketPolicy", Idempotency::Safe, || {
                s3.put_bucket_policy().bucket(name).expected_bucket_owner(owner).policy(&policy).send()
            })
            .await?;
            done.push("bucket policy set".into());
        }
        Ok(if done.is_empty() { "already as the blueprint says".into() } else { done.join(", ") })
    }
}
