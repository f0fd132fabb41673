//! The archive's KMS key, found by its alias in the log-archive account's home region: its
//! state, rotation, policy, description and groundwork's tags.
//!
//! A key has no name and no idempotency token: its alias is what makes it findable, and the
//! alias can only be created once the key exists. A run that dies between the two leaves a key
//! without an alias; the next run finds that key (customer-managed, no alias, this blueprint's
//! tags and description) and names it rather than creating another, and an ambiguous CreateKey
//! is settled the same way.

use std::collections::{BTreeMap, HashMap};

use aws_sdk_kms::types::{KeySpec, KeyUsageType, Tag};
use groundwork_apply::{ErrorKind, ProviderError};
use groundwork_plan::compact_policy;
use groundwork_plan::kinds::KindMeta;
use groundwork_plan::kinds::kms_key::{KeyState, KmsKeySpec};
use groundwork_plan::{Locator, canonical_policy};

use super::{Converge, ListCx, ReadCx, WriteCx, parse_document};
use crate::Aws;
use crate::accounts::AccountClients;
use crate::call::Idempotency;

/// The only key policy name KMS has.
const POLICY_NAME: &str = "default";

/// The aliases of the accounts (and regions) that hold a key of the blueprint, read once per
/// discovery: alias name → key id for the key's reader, and key id or ARN → alias ARN, so that a
/// trail, which AWS describes with the key's own ARN, compares equal to a spec that names the
/// key by its alias.
#[derive(Debug, Default)]
pub(crate) struct KeyAliases {
    /// (account id, `alias/NAME`) → key id.
    key_of: HashMap<(String, String), String>,
    /// Key id or key ARN → alias ARN.
    alias_of: HashMap<String, String>,
}

impl KeyAliases {
    /// The alias ARN a key id or key ARN is named by, if it is a key of the blueprint.
    pub(crate) fn alias_arn(&self, key: &str) -> Option<&str> {
        self.alias_of.get(key).map(String::as_str)
    }
}

fn rejected(op: &str, message: String) -> ProviderError {
    ProviderError { operation: op.to_owned(), code: None, message, kind: ErrorKind::Rejected }
}

fn own_tags(tags: &[Tag]) -> BTreeMap<String, String> {
    tags.iter()
        .filter(|t| t.tag_key().starts_with("groundwork:"))
        .map(|t| (t.tag_key().to_owned(), t.tag_value().to_owned()))
        .collect()
}

fn sdk_tags(tags: &BTreeMap<String, String>) -> Result<Vec<Tag>, ProviderError> {
    tags.iter()
        .map(|(k, v)| Tag::builder().tag_key(k).tag_value(v).build())
        .collect::<Result<_, _>>()
        .map_err(|e| rejected("kms:TagResource", e.to_string()))
}

#[async_trait::async_trait]
impl Converge for KmsKeySpec {
    async fn read(cx: &ReadCx<'_>) -> Result<Option<Self>, ProviderError> {
        let key = cx.shared.key_aliases.key_of.get(&(cx.clients.id.clone(), cx.at.name.clone()));
        match key {
            Some(key) => Box::pin(cx.aws.read_key(cx.clients, key)).await.map(Some),
            None => Ok(None),
        }
    }

    /// The customer's keys of the account named by an alias (from the discovery's one
    /// ListAliases of the account, `Shared::key_aliases`; AWS's `alias/aws/…` left out), each
    /// read as [`Converge::read`] reads it, in the home region.
    async fn list(cx: &ListCx<'_>) -> Result<Vec<(Locator, Self)>, ProviderError> {
        let mut named: Vec<(&String, &String)> = cx
            .shared
            .key_aliases
            .key_of
            .iter()
            .filter(|((account, alias), _)| *account == cx.clients.id && !alias.starts_with("alias/aws/"))
            .map(|((_, alias), key)| (alias, key))
            .collect();
        named.sort();
        let region = cx.aws.home_region();
        let mut out = Vec::new();
        for (alias, key) in named {
            let spec = Box::pin(cx.aws.read_key(cx.clients, key)).await?;
            let at = Locator::regional(Self::KIND, cx.account.map(str::to_owned), region.clone(), alias.clone());
            out.push((at, spec));
        }
        Ok(out)
    }

    async fn put(&self, cx: &WriteCx<'_>, live: Option<&Self>) -> Result<String, ProviderError> {
        Box::pin(cx.aws.put_key(cx.clients, cx.at, self, live)).await
    }
}

impl Aws {
    /// Every alias of an account's KMS (home region): `alias/NAME` → key id (aliases of AWS
    /// managed keys included; an alias without a key left out).
    async fn aliases(&self, c: &AccountClients) -> Result<Vec<(String, String, String)>, ProviderError> {
        let kms = &c.kms;
        let mut out = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let m = marker.clone();
            let page = self
                .run("kms:ListAliases", Idempotency::Safe, || kms.list_aliases().set_marker(m.clone()).send())
                .await?;
            out.extend(page.aliases().iter().filter_map(|a| {
                Some((a.alias_name()?.to_owned(), a.target_key_id()?.to_owned(), a.alias_arn()?.to_owned()))
            }));
            match page.next_marker() {
                Some(next) if page.truncated() && Some(next) != marker.as_deref() => marker = Some(next.to_owned()),
                _ => break,
            }
        }
        Ok(out)
    }

    /// [`KeyAliases`] of the accounts that hold a key of the blueprint (one ListAliases each).
    pub(crate) async fn key_aliases(&self, accounts: &[AccountClients]) -> Result<KeyAliases, ProviderError> {
        let mut found = KeyAliases::default();
        for c in accounts {
            for (alias, key, alias_arn) in self.aliases(c).await? {
                let key_arn = match alias_arn.split_once(":alias/") {
                    Some((prefix, _)) => format!("{prefix}:key/{key}"),
                    None => continue,
                };
                found.alias_of.insert(key.clone(), alias_arn.clone());
                found.alias_of.insert(key_arn, alias_arn);
                found.key_of.insert((c.id.clone(), alias), key);
            }
        }
        Ok(found)
    }

    /// A key's live spec.
    async fn read_key(&self, c: &AccountClients, key: &str) -> Result<KmsKeySpec, ProviderError> {
        let kms = &c.kms;
        let (described, policy, tags) = tokio::join!(
            self.run("kms:DescribeKey", Idempotency::Safe, || kms.describe_key().key_id(key).send()),
            self.run("kms:GetKeyPolicy", Idempotency::Safe, || {
                kms.get_key_policy().key_id(key).policy_name(POLICY_NAME).send()
            }),
            self.run("kms:ListResourceTags", Idempotency::Safe, || kms.list_resource_tags().key_id(key).send()),
        );
        let meta = described?.key_metadata.ok_or_else(|| rejected("kms:DescribeKey", "no key metadata".into()))?;
        let state = serde_json::from_value(serde_json::Value::String(
            meta.key_state().map(|s| s.as_str().to_owned()).unwrap_or_default(),
        ))
        .unwrap_or(KeyState::Other);
        // A key pending deletion (or otherwise unusable) has no rotation to report.
        let rotation = match self
            .run("kms:GetKeyRotationStatus", Idempotency::Safe, || kms.get_key_rotation_status().key_id(key).send())
            .await
        {
            Ok(r) => r.key_rotation_enabled(),
            Err(e) if e.code.as_deref() == Some("KMSInvalidStateException") => false,
            Err(e) => return Err(e),
        };
        let policy = policy?.policy.unwrap_or_default();
        Ok(KmsKeySpec {
            description: meta.description().unwrap_or_default().to_owned(),
            state,
            rotation,
            policy: canonical_policy(&parse_document("kms:GetKeyPolicy", &policy)?),
            tags: own_tags(tags?.tags()),
        })
    }

    /// A customer-managed key of this blueprint without an alias, as a run that died between
    /// CreateKey and CreateAlias leaves it (or an ambiguous CreateKey that went through).
    async fn unnamed_key(&self, c: &AccountClients, spec: &KmsKeySpec) -> Result<Option<String>, ProviderError> {
        let kms = &c.kms;
        let named: std::collections::HashSet<String> = self.aliases(c).await?.into_iter().map(|(_, k, _)| k).collect();
        let mut marker: Option<String> = None;
        let mut keys = Vec::new();
        loop {
            let m = marker.clone();
            let page =
                self.run("kms:ListKeys", Idempotency::Safe, || kms.list_keys().set_marker(m.clone()).send()).await?;
            keys.extend(page.keys().iter().filter_map(|k| k.key_id().map(str::to_owned)));
            match page.next_marker() {
                Some(next) if page.truncated() && Some(next) != marker.as_deref() => marker = Some(next.to_owned()),
                _ => break,
            }
        }
        for key in keys.into_iter().filter(|k| !named.contains(k)) {
            let Ok(described) =
                self.run("kms:DescribeKey", Idempotency::Safe, || kms.describe_key().key_id(&key).send()).await
            else {
                continue;
            };
            let Some(meta) = described.key_metadata else { continue };
            let customer = meta.key_manager().is_some_and(|m| m.as_str() == "CUSTOMER");
            if !customer || meta.description() != Some(spec.description.as_str()) {
                continue;
            }
            let tags = self
                .run("kms:ListResourceTags", Idempotency::Safe, || kms.list_resource_tags().key_id(&key).send())
                .await?;
            if own_tags(tags.tags()) == spec.tags {
                return Ok(Some(key));
            }
        }
        Ok(None)
    }

    /// Creates the key, or finds the one a dead run left without an alias, and names it.
    async fn create_key(
        &self,
        c: &AccountClients,
        alias: &str,
        spec: &KmsKeySpec,
        policy: &str,
        done: &mut Vec<String>,
    ) -> Result<String, ProviderError> {
        let kms = &c.kms;
        let key = if let Some(key) = self.unnamed_key(c, spec).await? {
            done.push(format!("found key {key}, left without its alias by an earlier run"));
            key
        } else {
            let tags = sdk_tags(&spec.tags)?;
            let created = self
                .run_settled(
                    "kms:CreateKey",
                    || {
                        kms.create_key()
                            .description(&spec.description)
                            .key_spec(KeySpec::SymmetricDefault)
                            .key_usage(KeyUsageType::EncryptDecrypt)
                            .policy(policy)
                            .set_tags(Some(tags.clone()))
                            .send()
                    },
                    || async { Ok(self.unnamed_key(c, spec).await?.is_some()) },
                )
                .await?;
            let key = match created.and_then(|o| o.key_metadata.map(|m| m.key_id().to_owned())) {
                Some(key) => key,
                None => self
                    .unnamed_key(c, spec)
                    .await?
                    .ok_or_else(|| rejected("kms:CreateKey", "the key created is not found".into()))?,
            };
            done.push(format!("created key {key}"));
            key
        };
        self.run_settled(
            "kms:CreateAlias",
            || kms.create_alias().alias_name(alias).target_key_id(&key).send(),
            || async { Ok(self.aliases(c).await?.iter().any(|(name, target, _)| name == alias && *target == key)) },
        )
        .await?;
        done.push(format!("named it {alias}"));
        Ok(key)
    }

    /// Creates the key (or finds the one a dead run left without an alias) and names it, or
    /// converges the existing key: enabled, rotating, with the blueprint's policy, description
    /// and tags.
    async fn put_key(
        &self,
        c: &AccountClients,
        at: &Locator,
        spec: &KmsKeySpec,
        live: Option<&KmsKeySpec>,
    ) -> Result<String, ProviderError> {
        let kms = &c.kms;
        let alias = at.name.as_str();
        let policy = compact_policy(&spec.policy).to_string();
        let mut done = Vec::new();
        let key_id = if live.is_some() {
            let described =
                self.run("kms:DescribeKey", Idempotency::Safe, || kms.describe_key().key_id(alias).send()).await?;
            described
                .key_metadata
                .map(|m| m.key_id().to_owned())
                .ok_or_else(|| rejected("kms:DescribeKey", format!("{alias} names no key")))?
        } else {
            Box::pin(self.create_key(c, alias, spec, &policy, &mut done)).await?
        };
        let state = live.map_or(KeyState::Enabled, |l| l.state);
        if state == KeyState::PendingDeletion {
            self.run("kms:CancelKeyDeletion", Idempotency::Safe, || kms.cancel_key_deletion().key_id(&key_id).send())
                .await?;
            done.push("deletion cancelled".into());
        }
        if matches!(state, KeyState::PendingDeletion | KeyState::Disabled) {
            self.run("kms:EnableKey", Idempotency::Safe, || kms.enable_key().key_id(&key_id).send()).await?;
            done.push("enabled".into());
        }
        if live.is_some_and(|l| l.policy != spec.policy) {
            self.run("kms:PutKeyPolicy", Idempotency::Safe, || {
                kms.put_key_policy().key_id(&key_id).policy_name(POLICY_NAME).policy(&policy).send()
            })
            .await?;
            done.push("key policy restored".into());
        }
        if live.is_some_and(|l| l.description != spec.description) {
            self.run("kms:UpdateKeyDescription", Idempotency::Safe, || {
                kms.update_key_description().key_id(&key_id).description(&spec.description).send()
            })
            .await?;
            done.push("description restored".into());
        }
        if live.is_some_and(|l| l.tags != spec.tags) {
            let tags = sdk_tags(&spec.tags)?;
            self.run("kms:TagResource", Idempotency::Safe, || {
                kms.tag_resource().key_id(&key_id).set_tags(Some(tags.clone())).send()
            })
            .await?;
            done.push("tags set".into());
        }
        if spec.rotation && live.is_none_or(|l| !l.rotation) {
            self.run("kms:EnableKeyRotation", Idempotency::Safe, || kms.enable_key_rotation().key_id(&key_id).send())
                .await?;
            done.push("rotation enabled".into());
        }
        Ok(if done.is_empty() { "already as the blueprint says".into() } else { done.join(", ") })
    }
}
