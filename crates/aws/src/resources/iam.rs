//! IAM resources: the password policy, customer-managed policies, groups, users (with console
//! passwords generated here and written only to the operator's file), roles and instance
//! profiles. IAM is eventually consistent: the first use of something just created (attaching a
//! new policy, adding a new role to a profile) is retried within a bound.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use aws_sdk_iam::types::{AttachedPolicy, InstanceProfile, Tag};
use groundwork_apply::{ErrorKind, ProviderError};
use groundwork_plan::{canonical_policy, compact_policy};
use rand::Rng;
use serde_json::{Map, Value, json};

use super::parse_document;
use crate::Aws;
use crate::accounts::AccountClients;
use crate::call::Idempotency;

/// How long the first use of a just-created IAM entity is retried.
const IAM_SETTLE: Duration = Duration::from_mins(2);
/// IAM keeps at most this many versions of a managed policy.
const MAX_POLICY_VERSIONS: usize = 5;
/// Length of generated console passwords.
const PASSWORD_LEN: usize = 40;

fn no_such_entity(e: &ProviderError) -> bool {
    e.code.as_deref() == Some("NoSuchEntity")
}

fn exists(e: &ProviderError) -> bool {
    e.code.as_deref() == Some("EntityAlreadyExists")
}

fn strings(v: &Value) -> BTreeSet<String> {
    v.as_array().into_iter().flatten().filter_map(|s| s.as_str().map(str::to_owned)).collect()
}

fn object(v: &Value) -> Map<String, Value> {
    v.as_object().cloned().unwrap_or_default()
}

/// Only groundwork's own tags (`groundwork:…`) are part of a role's or instance profile's spec:
/// tags others add (cost allocation, owners) are left alone and never drift.
const OWN_TAG_PREFIX: &str = "groundwork:";

/// groundwork's tags among an IAM entity's tags.
fn own_tags(tags: &[Tag]) -> BTreeMap<String, String> {
    tags.iter()
        .filter(|t| t.key().starts_with(OWN_TAG_PREFIX))
        .map(|t| (t.key().to_owned(), t.value().to_owned()))
        .collect()
}

/// The `tags` of a spec as IAM tags.
fn spec_tags(spec: &Value) -> Vec<Tag> {
    object(&spec["tags"])
        .into_iter()
        .filter_map(|(k, v)| Tag::builder().key(k).value(v.as_str().unwrap_or_default()).build().ok())
        .collect()
}

fn to_i32(v: &Value, default: i32) -> i32 {
    v.as_u64().and_then(|n| i32::try_from(n).ok()).unwrap_or(default)
}

// The live specs, built from whichever read returned their parts: the per-entity reads below
// (after a write, and for import) and the account's bulk read in discovery (`iam_snapshot`),
// so the two cannot disagree on a key.

/// A policy document as IAM returns it (URL-encoded), parsed and put in canonical form.
pub(super) fn canonical_document(op: &str, text: &str) -> Result<Value, ProviderError> {
    Ok(canonical_policy(&parse_document(op, text)?))
}

/// The ARNs of attached managed policies.
pub(super) fn attached_arns(attached: &[AttachedPolicy]) -> BTreeSet<String> {
    attached.iter().filter_map(|p| p.policy_arn().map(str::to_owned)).collect()
}

/// The spec of a role.
pub(super) struct RoleParts<'a> {
    pub(super) path: &'a str,
    pub(super) tags: &'a [Tag],
    pub(super) description: Option<&'a str>,
    pub(super) max_session_seconds: Option<i32>,
    pub(super) trust: Value,
    pub(super) managed: BTreeSet<String>,
    pub(super) inline: Map<String, Value>,
}

impl RoleParts<'_> {
    /// Only groundwork's tags are part of it.
    pub(super) fn spec(self) -> Value {
        json!({
            "path": self.path,
            "tags": own_tags(self.tags),
            "description": self.description.unwrap_or_default(),
            "trust": self.trust,
            "max_session_seconds": self.max_session_seconds.unwrap_or(3600),
            "managed_policies": self.managed,
            "inline_policies": self.inline,
        })
    }
}

/// The spec of a group: its managed policies and inline documents.
pub(super) fn group_spec(managed: &BTreeSet<String>, inline: &Map<String, Value>) -> Value {
    json!({ "managed_policies": managed, "inline_policies": inline })
}

/// The spec of a user: every tag (a user's tags are all groundwork's to set), and the names of
/// policies on the user itself (groundwork removes them).
pub(super) fn user_spec(
    groups: &BTreeSet<String>,
    console: bool,
    tags: &[Tag],
    managed: &BTreeSet<String>,
    inline: &BTreeSet<String>,
) -> Value {
    let tags: BTreeMap<String, String> = tags.iter().map(|t| (t.key().to_owned(), t.value().to_owned())).collect();
    json!({
        "groups": groups,
        "console": console,
        "tags": tags,
        "managed_policies": managed,
        "inline_policies": inline,
    })
}

/// The spec of an instance profile.
pub(super) fn profile_spec(p: &InstanceProfile) -> Value {
    let roles: BTreeSet<String> = p.roles().iter().map(|r| r.role_name().to_owned()).collect();
    json!({ "path": p.path(), "tags": own_tags(p.tags()), "roles": roles })
}

/// The spec of a customer-managed policy: its default version's document.
pub(super) fn managed_policy_spec(op: &str, document: &str) -> Result<Value, ProviderError> {
    Ok(json!({ "document": canonical_document(op, document)? }))
}

/// A console password: [`PASSWORD_LEN`] random characters with every character class.
pub(crate) fn generate_password() -> String {
    const UPPER: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ";
    const LOWER: &[u8] = b"abcdefghijkmnopqrstuvwxyz";
    const DIGITS: &[u8] = b"23456789";
    const SYMBOLS: &[u8] = b"!@#$%^&*()-_=+[]{}:,.?";
    let mut rng = rand::rng();
    let all: Vec<u8> = [UPPER, LOWER, DIGITS, SYMBOLS].concat();
    loop {
        let p: String = (0..PASSWORD_LEN).map(|_| char::from(all[rng.random_range(0..all.len())])).collect();
        let has = |set: &[u8]| p.bytes().any(|b| set.contains(&b));
        if has(UPPER) && has(LOWER) && has(DIGITS) && has(SYMBOLS) {
            return p;
        }
    }
}

/// A group or a role: what holds managed and inline policies.
#[derive(Clone, Copy)]
enum Holder<'a> {
    Group(&'a str),
    Role(&'a str),
}

impl Aws {
    /// Attaches the managed policies `spec` lists and `live` lacks, detaches the others, and
    /// puts or deletes inline policies the same way: only the parts that differ are written.
    async fn converge_policies(
        &self,
        c: &AccountClients,
        holder: Holder<'_>,
        spec: &Value,
        live: &Value,
        done: &mut Vec<String>,
    ) -> Result<(), ProviderError> {
        let iam = &c.iam;
        let (want, have) = (strings(&spec["managed_policies"]), strings(&live["managed_policies"]));
        for arn in want.difference(&have) {
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
        for arn in have.difference(&want) {
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
        let (want, have) = (object(&spec["inline_policies"]), object(&live["inline_policies"]));
        for (policy, doc) in want.iter().filter(|(k, doc)| have.get(*k) != Some(*doc)) {
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
        for policy in have.keys().filter(|k| !want.contains_key(*k)) {
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

    /// Whether the policy's default version is `document` (read back after a lost answer).
    async fn has_policy_document(
        &self,
        c: &AccountClients,
        name: &str,
        document: &Value,
    ) -> Result<bool, ProviderError> {
        let want = canonical_policy(document);
        Ok(self.read_managed_policy(c, name).await?.is_some_and(|p| p["document"] == want))
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

    pub(crate) async fn read_password_policy(&self, c: &AccountClients) -> Result<Option<Value>, ProviderError> {
        let out = match self
            .run("iam:GetAccountPasswordPolicy", Idempotency::Safe, || c.iam.get_account_password_policy().send())
            .await
        {
            Ok(out) => out,
            Err(e) if no_such_entity(&e) => return Ok(None),
            Err(e) => return Err(e),
        };
        let Some(p) = out.password_policy() else { return Ok(None) };
        Ok(Some(json!({
            "min_length": p.minimum_password_length().unwrap_or(0),
            "require_uppercase": p.require_uppercase_characters(),
            "require_lowercase": p.require_lowercase_characters(),
            "require_numbers": p.require_numbers(),
            "require_symbols": p.require_symbols(),
            "max_age_days": p.max_password_age().unwrap_or(0),
            "reuse_prevention": p.password_reuse_prevention().unwrap_or(0),
            "allow_users_to_change": p.allow_users_to_change_password(),
        })))
    }

    pub(crate) async fn put_password_policy(&self, c: &AccountClients, spec: &Value) -> Result<String, ProviderError> {
        let flag = |k: &str| spec[k].as_bool().unwrap_or(true);
        self.run("iam:UpdateAccountPasswordPolicy", Idempotency::Safe, || {
            c.iam
                .update_account_password_policy()
                .minimum_password_length(to_i32(&spec["min_length"], 14))
                .require_uppercase_characters(flag("require_uppercase"))
                .require_lowercase_characters(flag("require_lowercase"))
                .require_numbers(flag("require_numbers"))
                .require_symbols(flag("require_symbols"))
                .max_password_age(to_i32(&spec["max_age_days"], 90))
                .password_reuse_prevention(to_i32(&spec["reuse_prevention"], 24))
                .allow_users_to_change_password(flag("allow_users_to_change"))
                .send()
        })
        .await?;
        Ok(format!("password policy set in {}", c.id))
    }

    pub(super) fn policy_arn(c: &AccountClients, name: &str) -> String {
        format!("arn:aws:iam::{}:policy/{name}", c.id)
    }

    pub(crate) async fn read_managed_policy(
        &self,
        c: &AccountClients,
        name: &str,
    ) -> Result<Option<Value>, ProviderError> {
        let arn = Self::policy_arn(c, name);
        let policy =
            match self.run("iam:GetPolicy", Idempotency::Safe, || c.iam.get_policy().policy_arn(&arn).send()).await {
                Ok(out) => out.policy,
                Err(e) if no_such_entity(&e) => return Ok(None),
                Err(e) => return Err(e),
            };
        let Some(version) = policy.and_then(|p| p.default_version_id) else { return Ok(None) };
        let out = self
            .run("iam:GetPolicyVersion", Idempotency::Safe, || {
                c.iam.get_policy_version().policy_arn(&arn).version_id(&version).send()
            })
            .await?;
        let text = out.policy_version().and_then(|v| v.document()).unwrap_or("{}");
        Ok(Some(managed_policy_spec("iam:GetPolicyVersion", text)?))
    }

    /// Creates the policy, or makes the desired document its new default version (deleting
    /// the oldest non-default version first when IAM's limit of five is reached).
    pub(crate) async fn put_managed_policy(
        &self,
        c: &AccountClients,
        name: &str,
        spec: &Value,
        live: Option<&Value>,
    ) -> Result<String, ProviderError> {
        let document = compact_policy(&spec["document"]).to_string();
        let arn = Self::policy_arn(c, name);
        if live.is_none() {
            match self
                .run_settled(
                    "iam:CreatePolicy",
                    || c.iam.create_policy().policy_name(name).policy_document(&document).send(),
                    || self.has_policy_document(c, name, &spec["document"]),
                )
                .await
            {
                Ok(_) => return Ok(format!("created {arn}")),
                Err(e) if exists(&e) => {}
                Err(e) => return Err(e),
            }
        }
        let versions = self
            .run("iam:ListPolicyVersions", Idempotency::Safe, || c.iam.list_policy_versions().policy_arn(&arn).send())
            .await?;
        let mut old: Vec<_> = versions.versions().iter().filter(|v| !v.is_default_version()).collect();
        let mut note = String::new();
        if versions.versions().len() >= MAX_POLICY_VERSIONS {
            old.sort_by_key(|v| v.create_date().map(aws_smithy_types::DateTime::secs));
            if let Some(oldest) = old.first().and_then(|v| v.version_id()) {
                self.run_removal("iam:DeletePolicyVersion", || {
                    c.iam.delete_policy_version().policy_arn(&arn).version_id(oldest).send()
                })
                .await?;
                note = format!(" (deleted the oldest version {oldest}: IAM keeps {MAX_POLICY_VERSIONS})");
            }
        }
        // A resend after a lost answer would add a second version (and could reach the limit of
        // five): the versions are read back first.
        let created = self
            .run_settled(
                "iam:CreatePolicyVersion",
                || {
                    c.iam
                        .create_policy_version()
                        .policy_arn(&arn)
                        .policy_document(&document)
                        .set_as_default(true)
                        .send()
                },
                || self.has_policy_document(c, name, &spec["document"]),
            )
            .await?;
        let id = created
            .as_ref()
            .and_then(|v| v.policy_version())
            .and_then(|v| v.version_id())
            .unwrap_or("(created by an attempt whose answer was lost)")
            .to_owned();
        Ok(format!("{arn}: new default version {id}{note}"))
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

    pub(crate) async fn read_group(&self, c: &AccountClients, name: &str) -> Result<Option<Value>, ProviderError> {
        match self.run("iam:GetGroup", Idempotency::Safe, || c.iam.get_group().group_name(name).send()).await {
            Ok(_) => {}
            Err(e) if no_such_entity(&e) => return Ok(None),
            Err(e) => return Err(e),
        }
        let (attached, inline) = tokio::join!(
            self.run("iam:ListAttachedGroupPolicies", Idempotency::Safe, || {
                c.iam.list_attached_group_policies().group_name(name).send()
            }),
            self.run("iam:ListGroupPolicies", Idempotency::Safe, || c
                .iam
                .list_group_policies()
                .group_name(name)
                .send()),
        );
        let managed = attached_arns(attached?.attached_policies());
        let names: Vec<String> = inline?.policy_names().to_vec();
        let inline = self
            .inline_documents(names, |n| async move {
                let out = self
                    .run("iam:GetGroupPolicy", Idempotency::Safe, || {
                        c.iam.get_group_policy().group_name(name).policy_name(&n).send()
                    })
                    .await?;
                Ok(out.policy_document().to_owned())
            })
            .await?;
        Ok(Some(group_spec(&managed, &inline)))
    }

    pub(crate) async fn put_group(
        &self,
        c: &AccountClients,
        name: &str,
        spec: &Value,
        live: Option<&Value>,
    ) -> Result<String, ProviderError> {
        let mut done = Vec::new();
        if live.is_none() {
            match self
                .run_settled(
                    "iam:CreateGroup",
                    || c.iam.create_group().group_name(name).send(),
                    || {
                        self.found(
                            self.run("iam:GetGroup", Idempotency::Safe, || c.iam.get_group().group_name(name).send()),
                        )
                    },
                )
                .await
            {
                Ok(_) => done.push(format!("created group {name}")),
                Err(e) if exists(&e) => {}
                Err(e) => return Err(e),
            }
        }
        let null = Value::Null;
        self.converge_policies(c, Holder::Group(name), spec, live.unwrap_or(&null), &mut done).await?;
        Ok(if done.is_empty() { "already as the blueprint says".into() } else { done.join(", ") })
    }

    pub(crate) async fn read_user(&self, c: &AccountClients, name: &str) -> Result<Option<Value>, ProviderError> {
        match self.run("iam:GetUser", Idempotency::Safe, || c.iam.get_user().user_name(name).send()).await {
            Ok(_) => {}
            Err(e) if no_such_entity(&e) => return Ok(None),
            Err(e) => return Err(e),
        }
        let (groups, attached, inline, tags, profile) = tokio::join!(
            self.run("iam:ListGroupsForUser", Idempotency::Safe, || c
                .iam
                .list_groups_for_user()
                .user_name(name)
                .send()),
            self.run("iam:ListAttachedUserPolicies", Idempotency::Safe, || {
                c.iam.list_attached_user_policies().user_name(name).send()
            }),
            self.run("iam:ListUserPolicies", Idempotency::Safe, || c.iam.list_user_policies().user_name(name).send()),
            self.run("iam:ListUserTags", Idempotency::Safe, || c.iam.list_user_tags().user_name(name).send()),
            self.run("iam:GetLoginProfile", Idempotency::Safe, || c.iam.get_login_profile().user_name(name).send()),
        );
        let groups: BTreeSet<String> = groups?.groups().iter().map(|g| g.group_name().to_owned()).collect();
        let attached = attached_arns(attached?.attached_policies());
        let inline: BTreeSet<String> = inline?.policy_names().iter().cloned().collect();
        let console = Self::has_console(profile)?;
        Ok(Some(user_spec(&groups, console, tags?.tags(), &attached, &inline)))
    }

    /// Whether a user has console access, from its GetLoginProfile answer.
    fn has_console<T>(profile: Result<T, ProviderError>) -> Result<bool, ProviderError> {
        match profile {
            Ok(_) => Ok(true),
            Err(e) if no_such_entity(&e) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Whether the user has console access (`iam:GetLoginProfile`: the bulk read lacks it).
    pub(super) async fn read_console(&self, c: &AccountClients, name: &str) -> Result<bool, ProviderError> {
        Self::has_console(
            self.run("iam:GetLoginProfile", Idempotency::Safe, || c.iam.get_login_profile().user_name(name).send())
                .await,
        )
    }

    /// Writes a generated password to the operator's file (mode 0600), never anywhere else.
    fn record_password(&self, user: &str, account: &str, password: &str) -> Result<String, ProviderError> {
        use std::io::Write as _;
        use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
        let Some(path) = self.password_file() else {
            return Err(ProviderError {
                operation: "iam:CreateLoginProfile".into(),
                code: None,
                message: format!(
                    "user {user} needs a console password, and groundwork writes generated passwords only to a file you name: pass --password-file FILE"
                ),
                kind: ErrorKind::Rejected,
            });
        };
        let io = |e: std::io::Error| ProviderError {
            operation: "iam:CreateLoginProfile".into(),
            code: None,
            message: format!("writing the password file {}: {e}", path.display()),
            kind: ErrorKind::Rejected,
        };
        let mut file = std::fs::OpenOptions::new().create(true).append(true).mode(0o600).open(&path).map_err(io)?;
        file.set_permissions(std::fs::Permissions::from_mode(0o600)).map_err(io)?;
        writeln!(file, "{account}\t{user}\t{password}").map_err(io)?;
        Ok(path.display().to_string())
    }

    pub(crate) async fn put_user(
        &self,
        c: &AccountClients,
        name: &str,
        spec: &Value,
        live: Option<&Value>,
    ) -> Result<String, ProviderError> {
        let mut done = Vec::new();
        let want_tags: BTreeMap<String, String> =
            object(&spec["tags"]).into_iter().map(|(k, v)| (k, v.as_str().unwrap_or_default().to_owned())).collect();
        let tags: Vec<Tag> =
            want_tags.iter().filter_map(|(k, v)| Tag::builder().key(k).value(v).build().ok()).collect();
        if live.is_none() {
            match self
                .run_settled(
                    "iam:CreateUser",
                    || c.iam.create_user().user_name(name).set_tags(Some(tags.clone())).send(),
                    || {
                        self.found(
                            self.run("iam:GetUser", Idempotency::Safe, || c.iam.get_user().user_name(name).send()),
                        )
                    },
                )
                .await
            {
                Ok(_) => done.push(format!("created user {name}")),
                Err(e) if exists(&e) => {}
                Err(e) => return Err(e),
            }
        }
        let created = live.is_none();
        let null = Value::Null;
        let live = live.unwrap_or(&null);
        // Policies directly on a user: groundwork manages the user, and users get permissions
        // only through groups.
        for arn in strings(&live["managed_policies"]) {
            self.run_removal("iam:DetachUserPolicy", || {
                c.iam.detach_user_policy().user_name(name).policy_arn(&arn).send()
            })
            .await?;
            done.push(format!("detached {arn} from the user (permissions come from groups only)"));
        }
        for policy in strings(&live["inline_policies"]) {
            self.run_removal("iam:DeleteUserPolicy", || {
                c.iam.delete_user_policy().user_name(name).policy_name(&policy).send()
            })
            .await?;
            done.push(format!("removed inline policy {policy} from the user (permissions come from groups only)"));
        }
        let (want, have) = (strings(&spec["groups"]), strings(&live["groups"]));
        for g in want.difference(&have) {
            self.settled(|| {
                self.run_settled(
                    "iam:AddUserToGroup",
                    || c.iam.add_user_to_group().user_name(name).group_name(g).send(),
                    || async move {
                        let out = self
                            .run("iam:ListGroupsForUser", Idempotency::Safe, || {
                                c.iam.list_groups_for_user().user_name(name).send()
                            })
                            .await?;
                        Ok(out.groups().iter().any(|x| x.group_name() == g))
                    },
                )
            })
            .await?;
            done.push(format!("added to {g}"));
        }
        for g in have.difference(&want) {
            self.run_removal("iam:RemoveUserFromGroup", || {
                c.iam.remove_user_from_group().user_name(name).group_name(g).send()
            })
            .await?;
            done.push(format!("removed from {g}"));
        }
        if !created {
            let have_tags: BTreeMap<String, String> = object(&live["tags"])
                .into_iter()
                .map(|(k, v)| (k, v.as_str().unwrap_or_default().to_owned()))
                .collect();
            if want_tags.iter().any(|(k, v)| have_tags.get(k) != Some(v)) {
                self.run("iam:TagUser", Idempotency::Safe, || {
                    c.iam.tag_user().user_name(name).set_tags(Some(tags.clone())).send()
                })
                .await?;
                done.push("tagged".into());
            }
            let extra: Vec<String> = have_tags.keys().filter(|k| !want_tags.contains_key(*k)).cloned().collect();
            if !extra.is_empty() {
                self.run("iam:UntagUser", Idempotency::Safe, || {
                    c.iam.untag_user().user_name(name).set_tag_keys(Some(extra.clone())).send()
                })
                .await?;
                done.push(format!("removed tags {}", extra.join(", ")));
            }
        }
        let (want_console, has_console) =
            (spec["console"].as_bool().unwrap_or(false), live["console"].as_bool().unwrap_or(false));
        if want_console && !has_console {
            let password = generate_password();
            let file = self.record_password(name, &c.id, &password)?;
            let made = self
                .settled(|| {
                    self.run_settled(
                        "iam:CreateLoginProfile",
                        || {
                            c.iam
                                .create_login_profile()
                                .user_name(name)
                                .password(&password)
                                .password_reset_required(true)
                                .send()
                        },
                        || {
                            self.found(self.run("iam:GetLoginProfile", Idempotency::Safe, || {
                                c.iam.get_login_profile().user_name(name).send()
                            }))
                        },
                    )
                })
                .await;
            match made {
                Ok(_) => done
                    .push(format!("console password generated (reset required at first sign-in), written to {file}")),
                Err(e) if exists(&e) => done.push("console access already set up".into()),
                Err(e) => return Err(e),
            }
        } else if !want_console && has_console {
            self.run_removal("iam:DeleteLoginProfile", || c.iam.delete_login_profile().user_name(name).send()).await?;
            done.push("console access removed".into());
        }
        Ok(if done.is_empty() { "already as the blueprint says".into() } else { done.join(", ") })
    }

    pub(crate) async fn read_role(&self, c: &AccountClients, name: &str) -> Result<Option<Value>, ProviderError> {
        let role = match self.run("iam:GetRole", Idempotency::Safe, || c.iam.get_role().role_name(name).send()).await {
            Ok(out) => match out.role {
                Some(r) => r,
                None => return Ok(None),
            },
            Err(e) if no_such_entity(&e) => return Ok(None),
            Err(e) => return Err(e),
        };
        let trust = canonical_document("iam:GetRole", role.assume_role_policy_document().unwrap_or("{}"))?;
        let (attached, inline) = tokio::join!(
            self.run("iam:ListAttachedRolePolicies", Idempotency::Safe, || {
                c.iam.list_attached_role_policies().role_name(name).send()
            }),
            self.run("iam:ListRolePolicies", Idempotency::Safe, || c.iam.list_role_policies().role_name(name).send()),
        );
        let managed = attached_arns(attached?.attached_policies());
        let inline = self
            .inline_documents(inline?.policy_names().to_vec(), |n| async move {
                let out = self
                    .run("iam:GetRolePolicy", Idempotency::Safe, || {
                        c.iam.get_role_policy().role_name(name).policy_name(&n).send()
                    })
                    .await?;
                Ok(out.policy_document().to_owned())
            })
            .await?;
        // GetRole returns the role's tags.
        Ok(Some(
            RoleParts {
                path: role.path(),
                tags: role.tags(),
                description: role.description(),
                max_session_seconds: role.max_session_duration(),
                trust,
                managed,
                inline,
            }
            .spec(),
        ))
    }

    pub(crate) async fn put_role(
        &self,
        c: &AccountClients,
        name: &str,
        spec: &Value,
        live: Option<&Value>,
    ) -> Result<String, ProviderError> {
        let trust = compact_policy(&spec["trust"]).to_string();
        let session = to_i32(&spec["max_session_seconds"], 3600);
        let description = spec["description"].as_str().unwrap_or_default();
        let path = spec["path"].as_str().unwrap_or("/");
        let tags = spec_tags(spec);
        let mut done = Vec::new();
        let mut live = live.cloned();
        if live.is_none() {
            match self
                .run_settled(
                    "iam:CreateRole",
                    || {
                        c.iam
                            .create_role()
                            .role_name(name)
                            .path(path)
                            .assume_role_policy_document(&trust)
                            .max_session_duration(session)
                            .description(description)
                            .set_tags(Some(tags.clone()))
                            .send()
                    },
                    || async move {
                        Ok(self.read_role(c, name).await?.is_some_and(|r| r.get("trust") == spec.get("trust")))
                    },
                )
                .await
            {
                Ok(_) => {
                    done.push(format!("created role {name} at {path} in {}", c.id));
                    live = Some(json!({
                        "path": path, "tags": spec["tags"],
                        "trust": spec["trust"], "max_session_seconds": spec["max_session_seconds"],
                        "description": description
                    }));
                }
                Err(e) if exists(&e) => live = Some(Value::Null),
                Err(e) => return Err(e),
            }
        }
        let live = live.unwrap_or(Value::Null);
        if live.get("tags") != spec.get("tags") {
            // Tagging is in place: a role groundwork made before it tagged its roles, or adopted.
            self.run("iam:TagRole", Idempotency::Safe, || {
                c.iam.tag_role().role_name(name).set_tags(Some(tags.clone())).send()
            })
            .await?;
            done.push("tagged".into());
        }
        if live.get("trust") != spec.get("trust") {
            self.run("iam:UpdateAssumeRolePolicy", Idempotency::Safe, || {
                c.iam.update_assume_role_policy().role_name(name).policy_document(&trust).send()
            })
            .await?;
            done.push("trust policy restored".into());
        }
        if live.get("max_session_seconds") != spec.get("max_session_seconds")
            || live.get("description") != spec.get("description")
        {
            self.run("iam:UpdateRole", Idempotency::Safe, || {
                c.iam.update_role().role_name(name).max_session_duration(session).description(description).send()
            })
            .await?;
            done.push("session duration and description set".into());
        }
        self.converge_policies(c, Holder::Role(name), spec, &live, &mut done).await?;
        Ok(if done.is_empty() { "already as the blueprint says".into() } else { done.join(", ") })
    }

    /// Deletes a role as IAM requires: out of its instance profiles, its managed policies
    /// detached and inline policies deleted, then the role. For a replacement (a new path).
    pub(crate) async fn delete_role(
        &self,
        c: &AccountClients,
        name: &str,
        live: &Value,
    ) -> Result<String, ProviderError> {
        let mut done = Vec::new();
        let profiles = self
            .run("iam:ListInstanceProfilesForRole", Idempotency::Safe, || {
                c.iam.list_instance_profiles_for_role().role_name(name).send()
            })
            .await?;
        for p in profiles.instance_profiles() {
            let profile = p.instance_profile_name();
            self.run_removal("iam:RemoveRoleFromInstanceProfile", || {
                c.iam.remove_role_from_instance_profile().instance_profile_name(profile).role_name(name).send()
            })
            .await?;
            done.push(format!("removed from instance profile {profile}"));
        }
        let none = json!({ "managed_policies": [], "inline_policies": {} });
        self.converge_policies(c, Holder::Role(name), &none, live, &mut done).await?;
        if self.run_removal("iam:DeleteRole", || c.iam.delete_role().role_name(name).send()).await? {
            done.push(format!("deleted role {name} at {}", live["path"].as_str().unwrap_or("/")));
        } else {
            done.push(format!("role {name} was already gone"));
        }
        Ok(done.join(", "))
    }

    /// Deletes an instance profile (its roles removed first). For a replacement (a new path).
    pub(crate) async fn delete_instance_profile(
        &self,
        c: &AccountClients,
        name: &str,
        live: &Value,
    ) -> Result<String, ProviderError> {
        let mut done = Vec::new();
        // Read again: replacing its role (earlier in the same apply) took the role out already.
        let Some(now) = self.read_instance_profile(c, name).await? else {
            return Ok(format!("instance profile {name} was already gone"));
        };
        for role in strings(&now["roles"]) {
            self.run_removal("iam:RemoveRoleFromInstanceProfile", || {
                c.iam.remove_role_from_instance_profile().instance_profile_name(name).role_name(&role).send()
            })
            .await?;
            done.push(format!("removed role {role}"));
        }
        if self
            .run_removal("iam:DeleteInstanceProfile", || {
                c.iam.delete_instance_profile().instance_profile_name(name).send()
            })
            .await?
        {
            done.push(format!("deleted instance profile {name} at {}", live["path"].as_str().unwrap_or("/")));
        } else {
            done.push(format!("instance profile {name} was already gone"));
        }
        Ok(done.join(", "))
    }

    pub(crate) async fn read_instance_profile(
        &self,
        c: &AccountClients,
        name: &str,
    ) -> Result<Option<Value>, ProviderError> {
        match self
            .run("iam:GetInstanceProfile", Idempotency::Safe, || {
                c.iam.get_instance_profile().instance_profile_name(name).send()
            })
            .await
        {
            Ok(out) => {
                let Some(p) = out.instance_profile() else { return Ok(None) };
                Ok(Some(profile_spec(p)))
            }
            Err(e) if no_such_entity(&e) => Ok(None),
            Err(e) => Err(e),
        }
    }

    pub(crate) async fn put_instance_profile(
        &self,
        c: &AccountClients,
        name: &str,
        spec: &Value,
        live: Option<&Value>,
    ) -> Result<String, ProviderError> {
        let mut done = Vec::new();
        let path = spec["path"].as_str().unwrap_or("/");
        let tags = spec_tags(spec);
        if live.is_none() {
            match self
                .run_settled(
                    "iam:CreateInstanceProfile",
                    || {
                        c.iam
                            .create_instance_profile()
                            .instance_profile_name(name)
                            .path(path)
                            .set_tags(Some(tags.clone()))
                            .send()
                    },
                    || async move { Ok(self.read_instance_profile(c, name).await?.is_some()) },
                )
                .await
            {
                Ok(_) => done.push(format!("created instance profile {name} at {path}")),
                Err(e) if exists(&e) => {}
                Err(e) => return Err(e),
            }
        } else if live.and_then(|l| l.get("tags")) != spec.get("tags") {
            self.run("iam:TagInstanceProfile", Idempotency::Safe, || {
                c.iam.tag_instance_profile().instance_profile_name(name).set_tags(Some(tags.clone())).send()
            })
            .await?;
            done.push("tagged".into());
        }
        let null = Value::Null;
        let (want, have) = (strings(&spec["roles"]), strings(&live.unwrap_or(&null)["roles"]));
        for role in have.difference(&want) {
            self.run_removal("iam:RemoveRoleFromInstanceProfile", || {
                c.iam.remove_role_from_instance_profile().instance_profile_name(name).role_name(role).send()
            })
            .await?;
            done.push(format!("removed role {role}"));
        }
        for role in want.difference(&have) {
            self.settled(|| {
                self.run_settled(
                    "iam:AddRoleToInstanceProfile",
                    || c.iam.add_role_to_instance_profile().instance_profile_name(name).role_name(role).send(),
                    || async move {
                        let live = self.read_instance_profile(c, name).await?;
                        Ok(live.is_some_and(|p| strings(&p["roles"]).contains(role.as_str())))
                    },
                )
            })
            .await?;
            done.push(format!("holds role {role}"));
        }
        Ok(if done.is_empty() { "already as the blueprint says".into() } else { done.join(", ") })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_passwords_are_long_varied_and_different() {
        let a = generate_password();
        let b = generate_password();
        assert_eq!(a.chars().count(), PASSWORD_LEN);
        const { assert!(PASSWORD_LEN >= 32) };
        assert_ne!(a, b);
        assert!(a.chars().any(|c| c.is_ascii_uppercase()) && a.chars().any(|c| c.is_ascii_digit()));
    }
}
