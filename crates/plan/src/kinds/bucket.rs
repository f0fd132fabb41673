//! An archive bucket's spec (the log bucket, its access-log bucket, and groundwork's state
//! bucket).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Kind, KindMeta, Scope, Spec};

/// An S3 bucket with the settings groundwork converges. The policy goes last when writing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BucketSpec {
    /// Its region (a bucket cannot move).
    pub region: String,
    /// `Enabled`, `Suspended` or `Disabled` (never enabled).
    pub versioning: String,
    /// The four public-access blocks.
    pub public_access_block: PublicAccessBlock,
    /// Default encryption, if any.
    pub encryption: Option<Encryption>,
    /// Object ownership (`BucketOwnerEnforced`: ACLs disabled), if set.
    pub ownership: Option<String>,
    /// Days after which groundwork's retention rule expires objects and old versions.
    pub lifecycle_expiration_days: Option<u32>,
    /// Object lock's default retention, if object lock is on.
    pub object_lock: Option<ObjectLock>,
    /// Where server access logs go, if anywhere.
    pub access_logging: Option<AccessLogging>,
    /// The bucket policy, canonical; null when there is none.
    pub policy: Value,
}

impl KindMeta for BucketSpec {
    const KIND: Kind = Kind::Bucket;
    const PREFIX: &'static str = "bucket";
    const RANK: usize = 1;
    const SCOPE: Scope = Scope::Account;
}

impl Spec for BucketSpec {}

/// The four public-access blocks (all off when none is set).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublicAccessBlock {
    /// Refuse requests that set public ACLs.
    #[serde(default)]
    pub block_public_acls: bool,
    /// Ignore public ACLs.
    #[serde(default)]
    pub ignore_public_acls: bool,
    /// Refuse public bucket policies.
    #[serde(default)]
    pub block_public_policy: bool,
    /// Restrict access under a public policy to AWS services and the owner.
    #[serde(default)]
    pub restrict_public_buckets: bool,
}

impl PublicAccessBlock {
    /// All four on.
    pub const ALL: PublicAccessBlock = PublicAccessBlock {
        block_public_acls: true,
        ignore_public_acls: true,
        block_public_policy: true,
        restrict_public_buckets: true,
    };
}

/// Default encryption.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Encryption {
    /// `AES256` (SSE-S3) or `aws:kms`.
    pub algorithm: String,
    /// The KMS key, for `aws:kms`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kms_key_id: Option<String>,
}

impl Encryption {
    /// SSE-S3.
    #[must_use]
    pub fn sse_s3() -> Self {
        Encryption { algorithm: "AES256".into(), kms_key_id: None }
    }
}

/// Object lock's default retention. Both `None`: object lock is on without a default retention
/// (a run killed between creating the bucket and setting it), which the next apply completes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ObjectLock {
    /// `GOVERNANCE` or `COMPLIANCE`.
    pub mode: Option<String>,
    /// Days of default retention.
    pub days: Option<u32>,
}

/// Server access logging.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccessLogging {
    /// The bucket that receives the access logs.
    pub target_bucket: String,
    /// The key prefix of the access logs.
    pub target_prefix: String,
}

/// The role a log bucket's policy exempts from its tamper protection (`DenyArchiveTampering`).
pub(crate) fn reverse_exception_role(policy: &Value) -> Option<String> {
    let statements = policy["Statement"].as_array()?;
    let tamper = statements.iter().find(|s| s["Sid"] == "DenyArchiveTampering")?;
    let arn = &tamper["Condition"]["ArnNotLike"]["aws:PrincipalArn"];
    let arn = arn.as_str().or_else(|| arn.as_array().and_then(|a| a.first()).and_then(Value::as_str))?;
    arn.split_once(":role/").map(|(_, name)| name.rsplit('/').next().unwrap_or(name).to_owned())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn the_json_keeps_the_shape_saved_plans_hold() {
        let v = json!({
            "region": "us-east-1", "versioning": "Enabled",
            "public_access_block": { "block_public_acls": true, "ignore_public_acls": true,
                "block_public_policy": true, "restrict_public_buckets": true },
            "encryption": { "algorithm": "AES256" }, "ownership": "BucketOwnerEnforced",
            "lifecycle_expiration_days": 365, "object_lock": { "mode": "COMPLIANCE", "days": 30 },
            "access_logging": { "target_bucket": "access", "target_prefix": "logs/" },
            "policy": { "Version": "2012-10-17", "Statement": [] }
        });
        let spec = BucketSpec::from_value(&v).unwrap();
        assert_eq!(spec.public_access_block, PublicAccessBlock::ALL);
        assert_eq!(spec.to_value(), v);
    }

    #[test]
    fn a_mistyped_setting_is_an_error() {
        let err =
            BucketSpec::from_value(&json!({ "region": "us-east-1", "versioning": true })).unwrap_err().to_string();
        assert!(err.contains("bucket"), "{err}");
    }
}
