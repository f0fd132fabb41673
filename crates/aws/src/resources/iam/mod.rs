//! IAM resources, one module per kind (the password policy, customer-managed policies, groups,
//! users, roles, instance profiles, and the read-only access-role check), each implementing
//! [`Converge`](super::Converge) on its typed spec from `groundwork_plan::kinds`. Discovery reads
//! an account's IAM in bulk ([`snapshot`]); writes read back per entity.
//!
//! Shared here: IAM's eventual consistency (the first use of something just created, such as
//! attaching a new policy or adding a new role to a profile, is retried within a bound),
//! groundwork's tags, and converging the policies of a group or role.

mod access_key;
mod access_role;
mod group;
mod instance_profile;
mod managed_policy;
mod password_policy;
mod role;
pub(crate) mod snapshot;
mod user;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use aws_sdk_iam::types::{AttachedPolicy, Tag};
use groundwork_apply::{ErrorKind, ProviderError};
use groundwork_plan::kinds::tags::Tags;
use groundwork_plan::{canonical_policy, compact_policy};
use serde_json::{Map, Value};

use super::parse_document;
use crate::Aws;
use crate::accounts::AccountClients;
use crate::call::Idempotency;

/// How long the first use of a just-created IAM entity is retried.
const IAM_SETTLE: Duration = Duration::from_mins(2);

fn no_such_entity(e: &ProviderError) -> bool {
    e.code.as_deref() == Some("NoSuchEntity")
}

fn exists(e: &ProviderError) -> bool {
    e.code.as_deref() == Some("EntityAlreadyExists")
}

/// What a writer says when it had nothing to do, else what it did.
fn done_text(done: &[String]) -> String {
    if done.is_empty() { "already as the blueprint says".into() } else { done.join(", ") }
}

/// Only groundwork's own tags (`groundwork:…`) are part of a role's or instance profile's spec:
/// tags others add (cost allocation, owners) are left alone and never drift.
const OWN_TAG_PREFIX: &str = "groundwork:";

/// groundwork's tags among an IAM entity's tags, sorted by key.
fn own_tags(tags: &[Tag]) -> Tags {
    all_tags(tags.iter().filter(|t| t.key().starts_with(OWN_TAG_PREFIX)))
}

/// Tags as a spec holds them, sorted by key.
fn all_tags<'a>(tags: impl IntoIterator<Item = &'a Tag>) -> Tags {
    // A programmatic user's access-key bookkeeping is its access key's, not the user's.
    let sorted: BTreeMap<&str, &str> = tags
        .into_iter()
        .filter(|t| !groundwork_plan::kinds::access_key::is_key_tag(t.key()))
        .map(|t| (t.key(), t.value()))
        .collect();
    sorted.into_iter().collect()
}

/// A spec's tags as IAM tags.
fn sdk_tags(op: &str, tags: &Tags) -> Result<Vec<Tag>, ProviderError> {
    tags.iter()
        .map(|(k, v)| {
            Tag::builder().key(k).value(v).build().map_err(|e| ProviderError {
                operation: op.to_owned(),
                code: None,
                message: format!("tag {k}: {e}"),
                kind: ErrorKind::Rejected,
            })
        })
        .collect()
}

/// A number of a spec as IAM takes it.
fn to_i32(op: &str, what: &str, n: u32) -> Result<i32, ProviderError> {
    i32::try_from(n).map_err(|_| ProviderError {
        operation: op.to_owned(),
        code: None,
        message: format!("{what} {n} is out of IAM's range"),
        kind: ErrorKind::Rejected,
    })
}

/// A part of IAM's answer that IAM always returns; its absence is an error, never a default.
fn required<T>(op: &str, what: &str, v: Option<T>) -> Result<T, ProviderError> {
    v.ok_or_else(|| ProviderError {
        operation: op.to_owned(),
        code: None,
        message: format!("IAM's answer lacks {what}"),
        kind: ErrorKind::Rejected,
    })
}

/// A number IAM returned, as a spec holds it.
fn from_i32(op: &str, what: &str, n: i32) -> Result<u32, ProviderError> {
    u32::try_from(n).map_err(|_| ProviderError {
        operation: op.to_owned(),
        code: None,
        message: format!("IAM returned a negative {what} ({n})"),
        kind: ErrorKind::Rejected,
    })
}

// The live specs are built from whichever read returned their parts: the per-entity reads of
// each kind's module (after a write, and for import) and the account's bulk read in discovery
// ([`snapshot`]); both build the same typed spec.

/// A policy document as IAM returns it (URL-encoded), parsed and put in canonical form.
fn canonical_document(op: &str, text: &str) -> Result<Value, ProviderError> {
    Ok(canonical_policy(&parse_document(op, text)?))
}

/// The ARNs of attached managed policies.
fn attached_arns(attached: &[AttachedPolicy]) -> BTreeSet<String> {
    attached.iter().filter_map(|p| p.policy_arn().map(str::to_owned)).collect()
}

/// A group or a role: what holds managed and inline policies.
#[derive(Clone, Copy)]
enum Holder<'a> {
    Group(&'a str),
    Role(&'a str),
}

/// The policies of a group or role: managed ARNs and inline documents by name.
#[derive(Clone, Copy)]
struct Policies<'a> {
    managed: &'a BTreeSet<String>,
    inline: &'a Map<String, Value>,
}

impl Aws {
    /// Attaches the managed policies `want` lists and `have` lacks, detaches the others, and
    /// puts or deletes inline policies the same way: only the parts that differ are written.
    /// `have: None` is a holder whose policies are not known (every wanted one is written).
    async fn converge_policies(
        &self,
        c: &AccountClients,
        holder: Holder<'_>,
        want: Policies<'_>,
        have: Option<Policies<'_>>,
        done: &mut Vec<String>,
    ) -> Result<(), ProviderError> {
        let iam = &c.iam;
        let (no_managed, no_inline) = (BTreeSet::new(), Map::new());
        let have = have.unwrap_or(Policies { managed: &no_managed, inline: &no_inline });
        for arn in want.managed.difference(have.managed) {
            match holder {
                Holder::Group(g) => self
                    .attach(arn, || {
                        self.run_settled(
                            "iam:AttachGroupPolicy",
                            || iam.attach_group_policy().group_name(g).policy_arn(arn).send(),
                            || self.has_managed_policy(c, holder, arn),
                        )
                    })
                    .await
                    .map(drop)?,
                Holder::Role(r) => self
                    .attach(arn, || {
                        self.run_settled(
                            "iam:AttachRolePolicy",
                            || iam.attach_role_policy().role_name(r).policy_arn(arn).send(),
                            || self.has_managed_policy(c, holder, arn),
                        )
                    })
                    .await
                    .map(drop)?,
            }
            done.push(format!("attached {arn}"));
        }
        for arn in have.managed.difference(want.managed) {
            match holder {
                Holder::Group(g) => self
                    .run_removal("iam:DetachGroupPolicy", || {
                        iam.detach_group_policy().group_name(g).policy_arn(arn).send()
                    })
                    .await
                    .map(drop)?,
                Holder::Role(r) => self
                    .run_removal("iam:DetachRolePolicy", || {
                        iam.detach_role_policy().role_name(r).policy_arn(arn).send()
                    })
                    .await
                    .map(drop)?,
            }
            done.push(format!("detached {arn} (not in the blueprint)"));
        }
        for (policy, doc) in want.inline.iter().filter(|(k, doc)| have.inline.get(*k) != Some(*doc)) {
            let text = compact_policy(doc).to_string();
            match holder {
                Holder::Group(g) => self
                    .run("iam:PutGroupPolicy", Idempotency::Safe, || {
                        iam.put_group_policy().group_name(g).policy_name(policy).policy_document(&text).send()
                    })
                    .await
                    .map(drop)?,
                Holder::Role(r) => self
                    .run("iam:PutRolePolicy", Idempotency::Safe, || {
                        iam.put_role_policy().role_name(r).policy_name(policy).policy_document(&text).send()
                    })
                    .await
                    .map(drop)?,
            }
            done.push(format!("inline policy {policy} set"));
        }
        for policy in have.inline.keys().filter(|k| !want.inline.contains_key(*k)) {
            match holder {
                Holder::Group(g) => self
                    .run_removal("iam:DeleteGroupPolicy", || {
                        iam.delete_group_policy().group_name(g).policy_name(policy).send()
                    })
                    .await
                    .map(drop)?,
                Holder::Role(r) => self
                    .run_removal("iam:DeleteRolePolicy", || {
                        iam.delete_role_policy().role_name(r).policy_name(policy).send()
                    })
                    .await
                    .map(drop)?,
            }
            done.push(format!("inline policy {policy} removed (not in the blueprint)"));
        }
        Ok(())
    }

    /// Whether `arn` is attached to the group or role (read back after a lost answer).
    async fn has_managed_policy(
        &self,
        c: &AccountClients,
        holder: Holder<'_>,
        arn: &str,
    ) -> Result<bool, ProviderError> {
        let arns: Vec<String> = match holder {
            Holder::Group(g) => self
                .run("iam:ListAttachedGroupPolicies", Idempotency::Safe, || {
                    c.iam.list_attached_group_policies().group_name(g).send()
                })
                .await?
                .attached_policies()
                .iter()
                .filter_map(|p| p.policy_arn().map(str::to_owned))
                .collect(),
            Holder::Role(r) => self
                .run("iam:ListAttachedRolePolicies", Idempotency::Safe, || {
                    c.iam.list_attached_role_policies().role_name(r).send()
                })
                .await?
                .attached_policies()
                .iter()
                .filter_map(|p| p.policy_arn().map(str::to_owned))
                .collect(),
        };
        Ok(arns.iter().any(|a| a == arn))
    }

    /// Whether `f` finds the entity (read back after a lost answer): NoSuchEntity is "no".
    async fn found<T, Fut>(&self, read: Fut) -> Result<bool, ProviderError>
    where
        Fut: std::future::Future<Output = Result<T, ProviderError>>,
    {
        match read.await {
            Ok(_) => Ok(true),
            Err(e) if no_such_entity(&e) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Attaching an AWS-managed policy that does not exist is a blueprint error, not IAM settling.
    async fn attach<T, F, Fut>(&self, arn: &str, f: F) -> Result<T, ProviderError>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T, ProviderError>>,
    {
        if arn.starts_with("arn:aws:iam::aws:") {
            let mut f = f;
            return f().await;
        }
        self.settled(f).await
    }

    /// Retries `f` while it fails with NoSuchEntity (something just created is not visible to
    /// IAM yet), for up to [`IAM_SETTLE`].
    async fn settled<T, F, Fut>(&self, mut f: F) -> Result<T, ProviderError>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T, ProviderError>>,
    {
        let started = tokio::time::Instant::now();
        let mut wait = Duration::from_millis(500);
        loop {
            match f().await {
                Err(e) if no_such_entity(&e) && started.elapsed() + wait < IAM_SETTLE => {
                    tracing::info!(error = %e, "IAM has not settled yet; retrying");
                    tokio::time::sleep(wait).await;
                    wait = (wait * 2).min(Duration::from_secs(10));
                }
                other => return other,
            }
        }
    }

    /// The inline policies of a group or role, name → canonical document.
    async fn inline_documents<G, Gut>(&self, names: Vec<String>, get: G) -> Result<Map<String, Value>, ProviderError>
    where
        G: Fn(String) -> Gut,
        Gut: std::future::Future<Output = Result<String, ProviderError>>,
    {
        let mut out = Map::new();
        for n in names {
            let text = get(n.clone()).await?;
            out.insert(n, canonical_document("iam:GetInlinePolicy", &text)?);
        }
        Ok(out)
    }
}
