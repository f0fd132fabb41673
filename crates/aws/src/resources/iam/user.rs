//! Users in the identity hub: tags, group memberships and console access (a password
//! generated here and written only to the operator's file). Users get permissions only through
//! groups: policies found on a user are removed.

use std::collections::BTreeSet;

use groundwork_apply::{ErrorKind, ProviderError};
use groundwork_plan::Locator;
use groundwork_plan::kinds::tags::Tags;
use groundwork_plan::kinds::user::UserSpec;
use rand::Rng;

use super::snapshot::{IamSnapshot, Lookup};
use super::{all_tags, attached_arns, done_text, exists, no_such_entity, sdk_tags};
use crate::Aws;
use crate::accounts::AccountClients;
use crate::call::Idempotency;
use crate::resources::{Converge, ListCx, ReadCx, WriteCx};

/// Length of generated console passwords.
const PASSWORD_LEN: usize = 40;

#[async_trait::async_trait]
impl Converge for UserSpec {
    /// Every user of the account, from its bulk read (console access read per user).
    async fn list(cx: &ListCx<'_>) -> Result<Vec<(Locator, Self)>, ProviderError> {
        let Some(snap) = cx.iam_snapshot().await? else { return Ok(Vec::new()) };
        cx.read_each(snap.user_names()).await
    }

    async fn read(cx: &ReadCx<'_>) -> Result<Option<Self>, ProviderError> {
        let (c, name) = (cx.clients, cx.at.name.as_str());
        match cx.iam_lookup(IamSnapshot::user).await? {
            // The bulk read has no login profiles.
            Lookup::Found(mut user) => {
                user.console = cx.aws.read_console(c, name).await?;
                Ok(Some(user))
            }
            other => other.or_read(|| Box::pin(cx.aws.read_user(c, name))).await,
        }
    }

    async fn put(&self, cx: &WriteCx<'_>, live: Option<&Self>) -> Result<String, ProviderError> {
        cx.aws.put_user(cx.clients, &cx.at.name, self, live).await
    }
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

impl Aws {
    /// The user's spec, or `None` when there is no such user.
    pub(crate) async fn read_user(&self, c: &AccountClients, name: &str) -> Result<Option<UserSpec>, ProviderError> {
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
        Ok(Some(UserSpec {
            groups: groups?.groups().iter().map(|g| g.group_name().to_owned()).collect(),
            console: Self::has_console(profile)?,
            tags: all_tags(tags?.tags()),
            managed_policies: attached_arns(attached?.attached_policies()),
            inline_policies: inline?.policy_names().iter().cloned().collect(),
        }))
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
    async fn read_console(&self, c: &AccountClients, name: &str) -> Result<bool, ProviderError> {
        Self::has_console(
            self.run("iam:GetLoginProfile", Idempotency::Safe, || c.iam.get_login_profile().user_name(name).send())
                .await,
        )
    }

    /// Writes a generated password to the operator's file ([`crate::secret_file`]: mode 0600,
    /// refused when others may read it), never anywhere else.
    fn record_password(&self, user: &str, account: &str, password: &str) -> Result<String, ProviderError> {
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
        crate::secret_file::append_line(&path, &format!("{account}\t{user}\t{password}")).map_err(|e| {
            ProviderError {
                operation: "iam:CreateLoginProfile".into(),
                code: None,
                message: e.to_string(),
                kind: ErrorKind::Rejected,
            }
        })?;
        Ok(path.display().to_string())
    }

    /// Creates the user when it is missing, removes policies on the user itself, converges its
    /// groups, tags (every tag is groundwork's) and console access.
    pub(crate) async fn put_user(
        &self,
        c: &AccountClients,
        name: &str,
        spec: &UserSpec,
        live: Option<&UserSpec>,
    ) -> Result<String, ProviderError> {
        let mut done = Vec::new();
        let tags = sdk_tags("iam:TagUser", &spec.tags)?;
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
        let none = BTreeSet::new();
        // Policies directly on a user: groundwork manages the user, and users get permissions
        // only through groups.
        for arn in live.map_or(&none, |l| &l.managed_policies) {
            self.run_removal("iam:DetachUserPolicy", || {
                c.iam.detach_user_policy().user_name(name).policy_arn(arn).send()
            })
            .await?;
            done.push(format!("detached {arn} from the user (permissions come from groups only)"));
        }
        for policy in live.map_or(&none, |l| &l.inline_policies) {
            self.run_removal("iam:DeleteUserPolicy", || {
                c.iam.delete_user_policy().user_name(name).policy_name(policy).send()
            })
            .await?;
            done.push(format!("removed inline policy {policy} from the user (permissions come from groups only)"));
        }
        let have_groups = live.map_or(&none, |l| &l.groups);
        for g in spec.groups.difference(have_groups) {
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
        for g in have_groups.difference(&spec.groups) {
            self.run_removal("iam:RemoveUserFromGroup", || {
                c.iam.remove_user_from_group().user_name(name).group_name(g).send()
            })
            .await?;
            done.push(format!("removed from {g}"));
        }
        if let Some(live) = live {
            self.converge_user_tags(c, name, &spec.tags, &live.tags, &tags, &mut done).await?;
        }
        let has_console = live.is_some_and(|l| l.console);
        if spec.console && !has_console {
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
        } else if !spec.console && has_console {
            self.run_removal("iam:DeleteLoginProfile", || c.iam.delete_login_profile().user_name(name).send()).await?;
            done.push("console access removed".into());
        }
        Ok(done_text(&done))
    }

    /// Tags an existing user with the tags it lacks or has otherwise, and removes the others.
    async fn converge_user_tags(
        &self,
        c: &AccountClients,
        name: &str,
        want: &Tags,
        have: &Tags,
        sdk: &[aws_sdk_iam::types::Tag],
        done: &mut Vec<String>,
    ) -> Result<(), ProviderError> {
        if want.iter().any(|(k, v)| have.get(k) != Some(v)) {
            self.run("iam:TagUser", Idempotency::Safe, || {
                c.iam.tag_user().user_name(name).set_tags(Some(sdk.to_vec())).send()
            })
            .await?;
            done.push("tagged".into());
        }
        let extra: Vec<String> = have.keys().filter(|k| !want.contains_key(k)).map(str::to_owned).collect();
        if !extra.is_empty() {
            self.run("iam:UntagUser", Idempotency::Safe, || {
                c.iam.untag_user().user_name(name).set_tag_keys(Some(extra.clone())).send()
            })
            .await?;
            done.push(format!("removed tags {}", extra.join(", ")));
        }
        Ok(())
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
