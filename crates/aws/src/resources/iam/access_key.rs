//! A programmatic user's access key: issued once (the secret goes to the operator's
//! `--credentials-file`, nowhere else), recorded in the user's `groundwork:access-keys` tag,
//! rotated by `groundwork keys rotate` ([`crate::keys`]), and keys created out of band
//! deactivated with `apply --enforce`.
//!
//! Issuing is crash-safe without an idempotency token: the user is tagged
//! `groundwork:access-key-pending` (the time) before `CreateAccessKey`, and untagged once the key
//! is written to the file and recorded. A later run that finds the pending tag treats an
//! unrecorded key created after it as a leftover of the interrupted run: recorded when its id is
//! in the credentials file (the secret was saved), deleted otherwise (nobody ever had it). So a
//! run killed between any two steps never leads to a third key, nor to a key nobody holds.

use std::time::{SystemTime, UNIX_EPOCH};

use aws_sdk_iam::types::{StatusType, Tag};
use aws_smithy_types::DateTime;
use groundwork_apply::{ErrorKind, ProviderError};
use groundwork_audit::rotation::UserKey;
use groundwork_plan::kinds::access_key::{AccessKeySpec, TAG_ACCESS_KEYS, TAG_KEY_PENDING};

use super::no_such_entity;
use crate::Aws;
use crate::accounts::AccountClients;
use crate::call::Idempotency;
use crate::resources::{Converge, ReadCx, WriteCx};
use crate::secret_file;

/// A key created this long before the pending mark still counts as created after it (clocks).
const CLOCK_SLACK_SECS: i64 = 300;

#[async_trait::async_trait]
impl Converge for AccessKeySpec {
    async fn read(cx: &ReadCx<'_>) -> Result<Option<Self>, ProviderError> {
        let Some(state) = cx.aws.key_state(cx.clients, &cx.at.name, false).await? else { return Ok(None) };
        Ok(Some(state.spec()))
    }

    async fn put(&self, cx: &WriteCx<'_>, _live: Option<&Self>) -> Result<String, ProviderError> {
        let (aws, c, user) = (cx.aws, cx.clients, cx.at.name.as_str());
        let Some(mut state) = aws.key_state(c, user, false).await? else {
            return Err(rejected("iam:ListAccessKeys", format!("user {user} does not exist")));
        };
        let mut done = aws.settle_leftovers(c, user, &mut state).await?;
        if !state.issued() {
            if state.keys.len() >= 2 {
                let ids: Vec<&str> = state.keys.iter().map(|k| k.id.as_str()).collect();
                return Err(rejected(
                    "iam:CreateAccessKey",
                    format!(
                        "user {user} already has two access keys ({}), the IAM limit, and groundwork created neither: delete one (`apply --enforce` deactivates the active ones first)",
                        ids.join(", ")
                    ),
                ));
            }
            let id = aws.issue_key(c, user, &mut state).await?;
            let file = aws.credentials_file().map(|p| p.display().to_string()).unwrap_or_default();
            done.push(format!("issued access key {id}, written to {file}"));
        }
        if aws.enforce() {
            for id in state.out_of_band() {
                aws.set_key_status(c, user, &id, false).await?;
                done.push(format!("deactivated access key {id} (not created by groundwork)"));
            }
        }
        Ok(super::done_text(&done))
    }
}

fn rejected(op: &str, message: String) -> ProviderError {
    ProviderError { operation: op.to_owned(), code: None, message, kind: ErrorKind::Rejected }
}

fn now_secs() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// A user's keys and groundwork's bookkeeping on the user.
#[derive(Debug, Clone)]
pub(crate) struct KeyState {
    /// Every key of the user (`ours`: recorded in the tag).
    pub(crate) keys: Vec<UserKey>,
    /// The ids recorded in the tag (some may no longer exist).
    pub(crate) recorded: Vec<String>,
    /// The pending mark: an interrupted issue started then (seconds since the epoch).
    pub(crate) pending: Option<i64>,
}

impl KeyState {
    /// An unrecorded key an interrupted issue may have left.
    fn leftover(&self, k: &UserKey) -> bool {
        !k.ours && self.pending.is_some_and(|p| k.created >= p - CLOCK_SLACK_SECS)
    }

    /// The user holds an active key groundwork created.
    pub(crate) fn issued(&self) -> bool {
        self.keys.iter().any(|k| k.ours && k.active)
    }

    /// Active keys groundwork did not create (leftovers of its own interrupted runs aside).
    pub(crate) fn out_of_band(&self) -> Vec<String> {
        self.keys.iter().filter(|k| !k.ours && k.active && !self.leftover(k)).map(|k| k.id.clone()).collect()
    }

    fn spec(&self) -> AccessKeySpec {
        AccessKeySpec { issued: self.issued(), out_of_band: self.out_of_band().into_iter().collect() }
    }

    /// The ids of groundwork's existing keys, oldest first.
    fn ours(&self) -> Vec<String> {
        // `keys` is oldest first.
        self.keys.iter().filter(|k| k.ours).map(|k| k.id.clone()).collect()
    }
}

impl Aws {
    /// The user's keys and groundwork's tags on it (`None`: no such user); with `last_used`,
    /// when each active key was last used.
    pub(crate) async fn key_state(
        &self,
        c: &AccountClients,
        user: &str,
        last_used: bool,
    ) -> Result<Option<KeyState>, ProviderError> {
        let tags = match self
            .run("iam:ListUserTags", Idempotency::Safe, || c.iam.list_user_tags().user_name(user).send())
            .await
        {
            Ok(t) => t,
            Err(e) if no_such_entity(&e) => return Ok(None),
            Err(e) => return Err(e),
        };
        let tag = |key: &str| tags.tags().iter().find(|t| t.key() == key).map(|t| t.value().to_owned());
        let recorded: Vec<String> =
            tag(TAG_ACCESS_KEYS).map(|v| v.split_whitespace().map(str::to_owned).collect()).unwrap_or_default();
        let pending = tag(TAG_KEY_PENDING).and_then(|v| v.parse().ok());
        // At most two keys per user: one page.
        let listed = self
            .run("iam:ListAccessKeys", Idempotency::Safe, || c.iam.list_access_keys().user_name(user).send())
            .await?;
        let mut keys = Vec::new();
        for k in listed.access_key_metadata() {
            let Some(id) = k.access_key_id() else { continue };
            let active = k.status() == Some(&StatusType::Active);
            let used = if last_used && active {
                let out = self
                    .run("iam:GetAccessKeyLastUsed", Idempotency::Safe, || {
                        c.iam.get_access_key_last_used().access_key_id(id).send()
                    })
                    .await?;
                out.access_key_last_used().and_then(|u| u.last_used_date()).map(DateTime::secs)
            } else {
                None
            };
            keys.push(UserKey {
                id: id.to_owned(),
                active,
                created: k.create_date().map_or(0, DateTime::secs),
                last_used: used,
                ours: recorded.iter().any(|r| r == id),
            });
        }
        // Oldest first; within a second, in the order groundwork recorded them.
        let rank = |id: &str| recorded.iter().position(|r| r == id).unwrap_or(usize::MAX);
        keys.sort_by_key(|a| (a.created, rank(&a.id)));
        Ok(Some(KeyState { keys, recorded, pending }))
    }

    /// Resolves what an interrupted issue left (see the module's text): a leftover key in the
    /// credentials file is recorded, one not in it is deleted; then the pending mark goes.
    pub(crate) async fn settle_leftovers(
        &self,
        c: &AccountClients,
        user: &str,
        state: &mut KeyState,
    ) -> Result<Vec<String>, ProviderError> {
        let mut done = Vec::new();
        if state.pending.is_none() {
            return Ok(done);
        }
        let leftovers: Vec<UserKey> = state.keys.iter().filter(|k| state.leftover(k)).cloned().collect();
        let file = self.credentials_file();
        for k in leftovers {
            if file.as_deref().is_some_and(|f| secret_file::contains(f, &k.id)) {
                let mut ids = state.ours();
                ids.push(k.id.clone());
                self.record_keys(c, user, &ids).await?;
                if let Some(key) = state.keys.iter_mut().find(|x| x.id == k.id) {
                    key.ours = true;
                }
                done.push(format!("recorded access key {} an interrupted run issued", k.id));
            } else {
                self.run_removal("iam:DeleteAccessKey", || {
                    c.iam.delete_access_key().user_name(user).access_key_id(&k.id).send()
                })
                .await?;
                state.keys.retain(|x| x.id != k.id);
                done.push(format!(
                    "deleted access key {} an interrupted run created before saving it (nobody has its secret)",
                    k.id
                ));
            }
        }
        self.run("iam:UntagUser", Idempotency::Safe, || {
            c.iam.untag_user().user_name(user).tag_keys(TAG_KEY_PENDING).send()
        })
        .await?;
        state.pending = None;
        Ok(done)
    }

    /// Records `ids` as the keys groundwork created for the user.
    async fn record_keys(&self, c: &AccountClients, user: &str, ids: &[String]) -> Result<(), ProviderError> {
        let tag = Tag::builder()
            .key(TAG_ACCESS_KEYS)
            .value(ids.join(" "))
            .build()
            .map_err(|e| rejected("iam:TagUser", e.to_string()))?;
        self.run("iam:TagUser", Idempotency::Safe, || c.iam.tag_user().user_name(user).tags(tag.clone()).send())
            .await?;
        Ok(())
    }

    /// Issues a key: the pending mark, `CreateAccessKey`, the secret into the credentials file,
    /// the id recorded, the mark removed. Returns the new key's id.
    pub(crate) async fn issue_key(
        &self,
        c: &AccountClients,
        user: &str,
        state: &mut KeyState,
    ) -> Result<String, ProviderError> {
        let Some(path) = self.credentials_file() else {
            return Err(rejected(
                "iam:CreateAccessKey",
                format!(
                    "user {user} needs an access key, and groundwork writes access keys only to a file you name: pass --credentials-file FILE"
                ),
            ));
        };
        secret_file::check(&path).map_err(|e| rejected("iam:CreateAccessKey", e.to_string()))?;
        let mark = Tag::builder()
            .key(TAG_KEY_PENDING)
            .value(now_secs().to_string())
            .build()
            .map_err(|e| rejected("iam:TagUser", e.to_string()))?;
        self.run("iam:TagUser", Idempotency::Safe, || c.iam.tag_user().user_name(user).tags(mark.clone()).send())
            .await?;
        let out = self
            .run("iam:CreateAccessKey", Idempotency::CreatesNew, || c.iam.create_access_key().user_name(user).send())
            .await?;
        let Some(key) = out.access_key() else {
            return Err(rejected("iam:CreateAccessKey", "IAM answered without the key".into()));
        };
        let id = key.access_key_id().to_owned();
        let section = format!(
            "[{user}]\n# groundwork: the access key of IAM user {user} in account {}, issued {}\naws_access_key_id = {id}\naws_secret_access_key = {}\n\n",
            c.id,
            groundwork_audit::rfc3339(now_secs()),
            key.secret_access_key()
        );
        secret_file::set_section(&path, user, &section).map_err(|e| rejected("iam:CreateAccessKey", e.to_string()))?;
        let mut ids = state.ours();
        ids.push(id.clone());
        self.record_keys(c, user, &ids).await?;
        self.run("iam:UntagUser", Idempotency::Safe, || {
            c.iam.untag_user().user_name(user).tag_keys(TAG_KEY_PENDING).send()
        })
        .await?;
        state.keys.push(UserKey { id: id.clone(), active: true, created: now_secs(), last_used: None, ours: true });
        state.recorded = ids;
        state.pending = None;
        Ok(id)
    }

    /// Sets a key `Active` or `Inactive`.
    pub(crate) async fn set_key_status(
        &self,
        c: &AccountClients,
        user: &str,
        id: &str,
        active: bool,
    ) -> Result<(), ProviderError> {
        let status = if active { StatusType::Active } else { StatusType::Inactive };
        self.run("iam:UpdateAccessKey", Idempotency::Safe, || {
            c.iam.update_access_key().user_name(user).access_key_id(id).status(status.clone()).send()
        })
        .await?;
        Ok(())
    }

    /// Deletes the old key of a rotation and records only the others.
    pub(crate) async fn delete_old_key(
        &self,
        c: &AccountClients,
        user: &str,
        old: &str,
        state: &KeyState,
    ) -> Result<(), ProviderError> {
        self.run_removal("iam:DeleteAccessKey", || c.iam.delete_access_key().user_name(user).access_key_id(old).send())
            .await?;
        let rest: Vec<String> = state.ours().into_iter().filter(|id| id != old).collect();
        self.record_keys(c, user, &rest).await
    }
}
