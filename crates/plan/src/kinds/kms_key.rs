//! The archive's KMS key: a customer-managed key in the log-archive account, in the home
//! region, found by its alias, with rotation on and the key policy CloudTrail needs. The trail
//! encrypts its log files with it and the log bucket uses it as its default encryption; the
//! `protect-cloudtrail` guardrail denies disabling it, scheduling its deletion, turning its
//! rotation off or changing its policy or alias.

use std::collections::BTreeMap;

use groundwork_blueprint::Blueprint;
use groundwork_blueprint::template::IdRef;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{Kind, KindMeta, Scope, Spec};
use crate::lower::{CLOUDTRAIL_PRINCIPAL, trail_arn};
use crate::resource::{DesiredResource, Locator, canonical_policy};
use crate::state::{Address, TAG_BLUEPRINT, TAG_MANAGED};

/// The state of a KMS key, as AWS writes it (`KeyState`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum KeyState {
    /// Usable.
    Enabled,
    /// Disabled: nothing can encrypt or decrypt with it until it is enabled.
    Disabled,
    /// Scheduled for deletion: disabled, and gone once the waiting period ends.
    PendingDeletion,
    /// Any other state (being created, imported, unavailable).
    #[serde(other)]
    Other,
}

/// A customer-managed symmetric key, identified by its alias.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KmsKeySpec {
    /// What it is for.
    pub description: String,
    /// Its state.
    pub state: KeyState,
    /// Automatic yearly rotation of its key material.
    pub rotation: bool,
    /// The key policy, canonical.
    pub policy: Value,
    /// Its tags (groundwork's ownership tags among them).
    pub tags: BTreeMap<String, String>,
}

impl KindMeta for KmsKeySpec {
    const KIND: Kind = Kind::KmsKey;
    const PREFIX: &'static str = "kms-key";
    const RANK: usize = 0;
    const SCOPE: Scope = Scope::Region;
}

impl Spec for KmsKeySpec {}

/// `alias/NAME`, the key's name in its locator.
pub fn alias_name(alias: &str) -> String {
    format!("alias/{alias}")
}

/// The ARN of the alias, which the bucket and the trail name the key by (the key's own id is
/// only known once it exists).
pub fn alias_arn(region: &str, account_id: &str, alias: &str) -> String {
    format!("arn:aws:kms:{region}:{account_id}:alias/{alias}")
}

/// The archive key's address: `kms-key/log-archive/us-east-1/groundwork-log-archive`.
pub fn address(account: &str, region: &str, alias: &str) -> Address {
    Address::regional(Kind::KmsKey, account, region, alias)
}

/// The key policy: the log-archive account administers the key through IAM (without that
/// statement nobody could ever change the key again); CloudTrail may generate data keys for the
/// organization trail only (`aws:SourceArn`, and the encryption context of the management
/// account's trails) and describe the key; principals of the log-archive account may decrypt the
/// trail's log files.
pub fn key_policy(region: &str, trail: &str, log_account: &str) -> Value {
    let log_root = format!("arn:aws:iam::{}:root", IdRef::Account(log_account));
    let trail_arn = trail_arn(region, trail);
    let trail_context = format!("arn:aws:cloudtrail:*:{}:trail/*", IdRef::Management);
    canonical_policy(&json!({
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "LogArchiveAccountAdministers",
                "Effect": "Allow",
                "Principal": { "AWS": log_root },
                "Action": "kms:*",
                "Resource": "*",
            },
            {
                "Sid": "CloudTrailEncryptsTheOrganizationTrail",
                "Effect": "Allow",
                "Principal": { "Service": CLOUDTRAIL_PRINCIPAL },
                "Action": "kms:GenerateDataKey*",
                "Resource": "*",
                "Condition": {
                    "StringEquals": { "aws:SourceArn": trail_arn },
                    "StringLike": { "kms:EncryptionContext:aws:cloudtrail:arn": trail_context },
                },
            },
            {
                "Sid": "CloudTrailDescribesTheKey",
                "Effect": "Allow",
                "Principal": { "Service": CLOUDTRAIL_PRINCIPAL },
                "Action": "kms:DescribeKey",
                "Resource": "*",
                "Condition": { "StringEquals": { "aws:SourceArn": trail_arn } },
            },
            {
                "Sid": "LogArchiveReadersDecryptTrailLogs",
                "Effect": "Allow",
                "Principal": { "AWS": log_root },
                "Action": ["kms:Decrypt", "kms:ReEncryptFrom"],
                "Resource": "*",
                "Condition": {
                    "StringEquals": { "kms:CallerAccount": IdRef::Account(log_account).to_string() },
                    "StringLike": { "kms:EncryptionContext:aws:cloudtrail:arn": trail_context },
                },
            },
        ],
    }))
}

/// The key policy, with log delivery's statement when VPC flow logs go to the archive.
fn with_flow_logs(mut policy: Value, bp: &Blueprint) -> Value {
    if super::flow_log::archive_prefix(bp).is_some()
        && let Some(statements) = policy["Statement"].as_array_mut()
    {
        statements.push(super::flow_log::key_statement());
        return canonical_policy(&policy);
    }
    policy
}

/// The archive key of the blueprint's `logging` section, when it asks for one (the default).
/// Returns its address and the ARN of its alias (with the log-archive account's id as a
/// placeholder), for the bucket and the trail to name it by.
pub(crate) fn lower(bp: &Blueprint, out: &mut Vec<DesiredResource>) -> Option<(Address, String)> {
    let logging = bp.logging.as_ref()?;
    let alias = &logging.kms_key.as_ref()?.value;
    let region = bp.organization.home_region.value.as_str();
    let account = logging.account.value.as_str();
    let address = address(account, region, alias);
    let tags = BTreeMap::from([
        (TAG_MANAGED.to_owned(), "true".to_owned()),
        (TAG_BLUEPRINT.to_owned(), bp.organization.name.value.clone()),
    ]);
    out.push(DesiredResource {
        address: address.clone(),
        at: Locator::regional(Kind::KmsKey, Some(account.to_owned()), region.to_owned(), alias_name(alias)),
        spec: KmsKeySpec {
            description: format!(
                "groundwork: encrypts the organization trail {} and its log bucket",
                logging.trail.value
            ),
            state: KeyState::Enabled,
            rotation: true,
            policy: with_flow_logs(key_policy(region, &logging.trail.value, account), bp),
            tags,
        }
        .to_value(),
        after: Vec::new(),
    });
    Some((address, alias_arn(region, &IdRef::Account(account).to_string(), alias)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_spec_has_its_saved_shape_and_a_missing_key_is_an_error() {
        let spec = KmsKeySpec {
            description: "d".into(),
            state: KeyState::Enabled,
            rotation: true,
            policy: json!(null),
            tags: BTreeMap::new(),
        };
        let v = spec.to_value();
        let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys, ["description", "state", "rotation", "policy", "tags"]);
        assert_eq!(v["state"], "Enabled");
        assert_eq!(KmsKeySpec::from_value(&v).unwrap(), spec);
        let mut missing = v.clone();
        missing.as_object_mut().unwrap().remove("rotation");
        let e = KmsKeySpec::from_value(&missing).unwrap_err();
        assert!(e.to_string().contains("kms-key") && e.to_string().contains("rotation"), "{e}");
        assert_eq!(serde_json::from_value::<KeyState>(json!("Creating")).unwrap(), KeyState::Other);
    }

    #[test]
    fn cloudtrail_may_use_the_key_only_for_the_organization_trail() {
        let p = key_policy("eu-west-1", "org-trail", "log-archive");
        let text = p.to_string();
        assert!(text.contains("arn:aws:cloudtrail:eu-west-1:{{management_account_id}}:trail/org-trail"));
        assert!(text.contains("arn:aws:iam::{{account_id:log-archive}}:root"));
        let generate = p["Statement"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["Sid"] == "CloudTrailEncryptsTheOrganizationTrail")
            .unwrap();
        assert_eq!(generate["Action"], json!(["kms:GenerateDataKey*"]));
        assert!(generate["Condition"]["StringEquals"]["aws:SourceArn"].is_array());
    }
}
