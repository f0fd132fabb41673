//! The credential audit's reads: every active account of the organization is read (read-only,
//! at most [`AUDIT_CONCURRENCY`] accounts at a time) for root-user credentials, IAM users'
//! access keys, login profiles, MFA devices, policies attached directly to users, and the
//! account password policy, as the plain values of [`groundwork_audit::read`];
//! [`Aws::deactivate_keys`] is the enforcement: it sets non-compliant access keys to `Inactive`
//! (it never deletes one) and reads the status back. The rules and the report are in
//! `groundwork-audit`.
//!
//! ```no_run
//! # async fn demo(aws: groundwork_aws::Aws, bp: groundwork_blueprint::Blueprint) -> Result<(), groundwork_aws::AwsError> {
//! use groundwork_audit::{AuditPolicy, AuditReport};
//! let live = aws.discover().await?;
//! let policy = AuditPolicy::for_blueprint(&bp, &live, std::time::SystemTime::now());
//! let (org, reads) = aws.read_credentials(&live, &policy).await?;
//! let report = AuditReport::evaluate(&org.id, &org.management_account_id, &policy, &reads);
//! println!("{} findings", report.findings.len());
//! # Ok(()) }
//! ```

use std::sync::Arc;

use aws_sdk_iam::types::{StatusType, SummaryKeyType};
use aws_smithy_types::DateTime;
use groundwork_apply::ProviderError;
use groundwork_audit::{
    AccessKey, AccountCredentials, AccountRead, AuditPolicy, Deactivation, KeyRef, PasswordPolicyRead, RootCredentials,
    UserCredentials,
};
use groundwork_blueprint::PasswordPolicy;
use groundwork_plan::{Live, LiveAccount, LiveOrganization};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::accounts::AccountClients;
use crate::call::Idempotency;
use crate::{Aws, AwsError};

/// Accounts read at once.
pub const AUDIT_CONCURRENCY: usize = 8;

fn no_such_entity(e: &ProviderError) -> bool {
    e.code.as_deref() == Some("NoSuchEntity")
}

fn to_u32(v: Option<i32>) -> u32 {
    v.and_then(|n| u32::try_from(n).ok()).unwrap_or(0)
}

impl Aws {
    /// Reads the credentials of every ACTIVE account of the organization (read-only;
    /// [`AUDIT_CONCURRENCY`] accounts at a time), the password policy only where `policy`
    /// checks it. An account that cannot be read carries the error; the others are still read.
    /// Returns the organization with the reads, in no particular order.
    pub async fn read_credentials<'a>(
        &self,
        live: &'a Live,
        policy: &AuditPolicy,
    ) -> Result<(&'a LiveOrganization, Vec<AccountRead>), AwsError> {
        let Some(org) = &live.organization else {
            return Err(AwsError::call(
                "auditing the organization",
                crate::organizations::internal("the caller's account is not in an organization"),
            ));
        };
        let management = org.management_account_id.clone();
        let gate = Arc::new(Semaphore::new(AUDIT_CONCURRENCY));
        let mut tasks = JoinSet::new();
        for account in live.accounts.iter().filter(|a| a.status == groundwork_plan::AccountStatus::Active) {
            let password = policy.password_scope.includes(&account.id);
            let (aws, gate, management, account) =
                (self.clone(), Arc::clone(&gate), management.clone(), account.clone());
            tasks.spawn(async move {
                let _permit = gate.acquire_owned().await;
                let result = Box::pin(aws.read_account(&account, &management, password)).await;
                AccountRead { id: account.id, name: account.name, credentials: result.map_err(|e| e.to_string()) }
            });
        }
        let mut reads = Vec::new();
        while let Some(joined) = tasks.join_next().await {
            reads
                .push(joined.map_err(|e| {
                    AwsError::call("auditing accounts", crate::organizations::internal(&e.to_string()))
                })?);
        }
        Ok((org, reads))
    }

    async fn read_account(
        &self,
        account: &LiveAccount,
        management: &str,
        password_policy: bool,
    ) -> Result<AccountCredentials, ProviderError> {
        let c = self.account(&account.id, management).await?;

        // The root user.
        let summary =
            self.run("iam:GetAccountSummary", Idempotency::Safe, || c.iam.get_account_summary().send()).await?;
        let value = |k: SummaryKeyType| summary.summary_map().and_then(|m| m.get(&k)).copied().unwrap_or(0);
        let root = RootCredentials {
            access_keys_present: value(SummaryKeyType::AccountAccessKeysPresent) > 0,
            mfa_enabled: value(SummaryKeyType::AccountMfaEnabled) > 0,
        };

        // The password policy, where it is checked.
        let password_policy = if password_policy {
            match self.password_policy(&c).await? {
                Some(p) => PasswordPolicyRead::Set(p),
                None => PasswordPolicyRead::Missing,
            }
        } else {
            PasswordPolicyRead::NotRead
        };

        // IAM users.
        let mut users = Vec::new();
        for user in self.list_users(&c).await? {
            users.push(Box::pin(self.read_user_credentials(&c, user)).await?);
        }
        Ok(AccountCredentials { root, password_policy, users })
    }

    async fn read_user_credentials(&self, c: &AccountClients, user: String) -> Result<UserCredentials, ProviderError> {
        let (keys, profile, attached, inline) = tokio::join!(
            self.run("iam:ListAccessKeys", Idempotency::Safe, || c.iam.list_access_keys().user_name(&user).send()),
            self.run("iam:GetLoginProfile", Idempotency::Safe, || c.iam.get_login_profile().user_name(&user).send()),
            // At most 10 (20 with a raised quota) managed policies per user: one page of 100.
            self.run("iam:ListAttachedUserPolicies", Idempotency::Safe, || {
                c.iam.list_attached_user_policies().user_name(&user).send()
            }),
            self.list_user_policies(c, &user),
        );
        // At most two keys per user.
        let mut access_keys = Vec::new();
        for key in keys?.access_key_metadata() {
            let Some(id) = key.access_key_id() else { continue };
            let active = key.status() == Some(&StatusType::Active);
            let last_used = if active {
                let out = self
                    .run("iam:GetAccessKeyLastUsed", Idempotency::Safe, || {
                        c.iam.get_access_key_last_used().access_key_id(id).send()
                    })
                    .await?;
                out.access_key_last_used().and_then(|u| u.last_used_date()).map(DateTime::secs)
            } else {
                None
            };
            access_keys.push(AccessKey {
                id: id.to_owned(),
                active,
                created: key.create_date().map(DateTime::secs),
                last_used,
            });
        }
        let console_password = match profile {
            Ok(_) => true,
            Err(e) if no_such_entity(&e) => false,
            Err(e) => return Err(e),
        };
        // At most eight devices per user: one page.
        let mfa = self
            .run("iam:ListMFADevices", Idempotency::Safe, || c.iam.list_mfa_devices().user_name(&user).send())
            .await?;
        let mfa_devices = mfa.mfa_devices().iter().map(|d| d.serial_number().to_owned()).collect();
        let attached_policies = attached?
            .attached_policies()
            .iter()
            .map(|p| p.policy_name().or(p.policy_arn()).unwrap_or_default().to_owned())
            .collect();
        Ok(UserCredentials {
            name: user,
            access_keys,
            console_password,
            mfa_devices,
            attached_policies,
            inline_policies: inline?,
        })
    }

    async fn password_policy(&self, c: &AccountClients) -> Result<Option<PasswordPolicy>, ProviderError> {
        let out = match self
            .run("iam:GetAccountPasswordPolicy", Idempotency::Safe, || c.iam.get_account_password_policy().send())
            .await
        {
            Ok(out) => out,
            Err(e) if no_such_entity(&e) => return Ok(None),
            Err(e) => return Err(e),
        };
        Ok(out.password_policy().map(|p| PasswordPolicy {
            min_length: to_u32(p.minimum_password_length()),
            require_uppercase: p.require_uppercase_characters(),
            require_lowercase: p.require_lowercase_characters(),
            require_numbers: p.require_numbers(),
            require_symbols: p.require_symbols(),
            max_age_days: to_u32(p.max_password_age()),
            reuse_prevention: to_u32(p.password_reuse_prevention()),
            allow_users_to_change: p.allow_users_to_change_password(),
        }))
    }

    /// Every IAM user name of the account (paginated).
    async fn list_users(&self, c: &AccountClients) -> Result<Vec<String>, ProviderError> {
        let mut users = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let page = self
                .run("iam:ListUsers", Idempotency::Safe, || c.iam.list_users().set_marker(marker.clone()).send())
                .await?;
            users.extend(page.users().iter().map(|u| u.user_name().to_owned()));
            match page.marker() {
                Some(m) if page.is_truncated() && marker.as_deref() != Some(m) => marker = Some(m.to_owned()),
                _ => break,
            }
        }
        Ok(users)
    }

    /// The names of a user's inline policies (paginated).
    async fn list_user_policies(&self, c: &AccountClients, user: &str) -> Result<Vec<String>, ProviderError> {
        let mut names = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let page = self
                .run("iam:ListUserPolicies", Idempotency::Safe, || {
                    c.iam.list_user_policies().user_name(user).set_marker(marker.clone()).send()
                })
                .await?;
            names.extend(page.policy_names().iter().cloned());
            match page.marker() {
                Some(m) if page.is_truncated() && marker.as_deref() != Some(m) => marker = Some(m.to_owned()),
                _ => break,
            }
        }
        Ok(names)
    }

    /// The access key id of the credentials this connection uses, when they are long-term
    /// keys of an IAM user (so `--enforce` never deactivates the key it runs with).
    pub async fn own_access_key_id(&self) -> Option<String> {
        use aws_credential_types::provider::ProvideCredentials as _;
        let provider = self.sdk_config().credentials_provider()?;
        provider.provide_credentials().await.ok().map(|c| c.access_key_id().to_owned())
    }

    /// Sets each key to `Inactive` (iam:UpdateAccessKey; never deletes a key) and reads its
    /// status back with iam:ListAccessKeys. Accounts are worked on [`AUDIT_CONCURRENCY`] keys at
    /// a time; a failure is reported per key and does not stop the others.
    pub async fn deactivate_keys(&self, management_id: &str, keys: &[KeyRef]) -> Vec<Deactivation> {
        let gate = Arc::new(Semaphore::new(AUDIT_CONCURRENCY));
        let mut tasks = JoinSet::new();
        for (i, key) in keys.iter().enumerate() {
            let (aws, gate, key, management) = (self.clone(), Arc::clone(&gate), key.clone(), management_id.to_owned());
            tasks.spawn(async move {
                let _permit = gate.acquire_owned().await;
                let outcome = aws.deactivate_key(&key, &management).await;
                let deactivation = match outcome {
                    Ok(status) => {
                        let error = (status != "Inactive")
                            .then(|| format!("IAM still reports the key as {status} after UpdateAccessKey"));
                        Deactivation { key, status: Some(status), error }
                    }
                    Err(e) => Deactivation { key, status: None, error: Some(e.to_string()) },
                };
                (i, deactivation)
            });
        }
        let mut done = Vec::new();
        while let Some(joined) = tasks.join_next().await {
            match joined {
                Ok(d) => done.push(d),
                Err(e) => tracing::error!(error = %e, "a deactivation task failed"),
            }
        }
        done.sort_by_key(|(i, _)| *i);
        done.into_iter().map(|(_, d)| d).collect()
    }

    async fn deactivate_key(&self, key: &KeyRef, management: &str) -> Result<String, ProviderError> {
        let c = self.account(&key.account_id, management).await?;
        self.run("iam:UpdateAccessKey", Idempotency::Safe, || {
            c.iam
                .update_access_key()
                .user_name(&key.user)
                .access_key_id(&key.access_key_id)
                .status(StatusType::Inactive)
                .send()
        })
        .await?;
        let listed = self
            .run("iam:ListAccessKeys", Idempotency::Safe, || c.iam.list_access_keys().user_name(&key.user).send())
            .await?;
        Ok(listed
            .access_key_metadata()
            .iter()
            .find(|k| k.access_key_id() == Some(key.access_key_id.as_str()))
            .and_then(|k| k.status())
            .map_or_else(|| "missing".to_owned(), |s| s.as_str().to_owned()))
    }
}
