//! Member accounts' root user credentials through privileged root sessions (IAM's centralized
//! root access): from the management account, `sts:AssumeRoot` into a member account with an
//! AWS-managed task policy, then IAM calls WITHOUT a `UserName`, which then mean the root user.
//!
//! - Audit ([`Aws::read_member_roots`]): a session of `IAMAuditRootUserCredentials`, then
//!   `iam:GetLoginProfile`, `iam:ListAccessKeys`, `iam:ListMFADevices`,
//!   `iam:ListSigningCertificates` (read-only).
//! - Enforce ([`Aws::remove_member_roots`]): a session of `IAMDeleteRootUserCredentials`, then
//!   `iam:DeleteLoginProfile`, `iam:DeleteAccessKey`, `iam:DeactivateMFADevice` and, for a
//!   virtual device, `iam:DeleteVirtualMFADevice`, `iam:DeleteSigningCertificate`: exactly the
//!   credentials listed to the operator, each removal idempotent (`NoSuchEntity` is "already
//!   gone"), then a new audit session reads back what is left.
//!
//! A rerun, or a run after a kill, reads again and removes only what is still there. A virtual
//! MFA device deactivated by a run killed before `DeleteVirtualMFADevice` is no longer the root
//! user's (it is unassigned and cannot sign anyone in); the audit does not list it.
//!
//! Sessions are short (AssumeRoot allows at most 900 seconds) and opened per account and task.

use std::sync::Arc;
use std::time::SystemTime;

use aws_config::Region;
use aws_config::retry::RetryConfig;
use aws_credential_types::Credentials;
use aws_sdk_sts::types::PolicyDescriptorType;
use groundwork_apply::{ErrorKind, ProviderError};
use groundwork_audit::{MemberRoot, RootRemoval, RootUserCredentials};
use groundwork_plan::kinds::root_access::{AUDIT_ROOT_TASK, DELETE_ROOT_TASK};
use groundwork_plan::{AccountStatus, Live};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::Aws;
use crate::audit::AUDIT_CONCURRENCY;
use crate::call::Idempotency;

/// The longest root session AWS allows; groundwork's sessions last as long (a few calls).
const SESSION_SECONDS: i32 = 900;

fn no_such_entity(e: &ProviderError) -> bool {
    e.code.as_deref() == Some("NoSuchEntity")
}

impl Aws {
    /// The organization features of IAM's centralized root access that are on
    /// (`iam:ListOrganizationsFeatures` in the management account), sorted; none while IAM has
    /// no trusted access. The audit looks at member roots only when both are on.
    pub async fn root_access_features(&self, live: &Live) -> Result<Vec<String>, ProviderError> {
        let management = live.organization.as_ref().map(|o| o.management_account_id.clone()).unwrap_or_default();
        let c = self.account(&management, &management).await?;
        let out = self
            .run("iam:ListOrganizationsFeatures", Idempotency::Safe, || c.iam.list_organizations_features().send())
            .await;
        let mut features: Vec<String> = match out {
            Ok(o) => o.enabled_features().iter().map(|f| f.as_str().to_owned()).collect(),
            Err(e) if e.code.as_deref() == Some("ServiceAccessNotEnabledException") => Vec::new(),
            Err(e) => return Err(e),
        };
        features.sort();
        Ok(features)
    }

    /// Opens a privileged root session in member account `account` for the task policy `task`,
    /// and returns an IAM client on its credentials (counted under `ACCOUNT/root-session`).
    async fn root_session(&self, account: &str, task: &str) -> Result<aws_sdk_iam::Client, ProviderError> {
        let out = self
            .run("sts:AssumeRoot", Idempotency::Safe, || {
                self.sts
                    .assume_root()
                    .target_principal(account)
                    .task_policy_arn(PolicyDescriptorType::builder().arn(task).build())
                    .duration_seconds(SESSION_SECONDS)
                    .send()
            })
            .await?;
        let c = out.credentials().ok_or_else(|| ProviderError {
            operation: "sts:AssumeRoot".into(),
            code: None,
            message: "AssumeRoot returned no credentials".into(),
            kind: ErrorKind::Rejected,
        })?;
        let credentials = Credentials::new(
            c.access_key_id(),
            c.secret_access_key(),
            Some(c.session_token().to_owned()),
            SystemTime::try_from(*c.expiration()).ok(),
            "groundwork-assume-root",
        );
        let conf = aws_sdk_iam::config::Builder::from(&self.config)
            .region(Region::new("us-east-1"))
            .retry_config(RetryConfig::disabled())
            .interceptor(self.counter.for_principal(&format!("{account}/root-session")))
            .credentials_provider(credentials)
            .build();
        Ok(aws_sdk_iam::Client::from_conf(conf))
    }

    /// Reads the root user's credentials in every ACTIVE member account (not the management
    /// account), [`AUDIT_CONCURRENCY`] accounts at a time, each in its own audit session. An
    /// account that cannot be read carries the error. By account name.
    pub async fn read_member_roots(&self, live: &Live) -> Vec<MemberRoot> {
        let management = live.organization.as_ref().map(|o| o.management_account_id.clone()).unwrap_or_default();
        let gate = Arc::new(Semaphore::new(AUDIT_CONCURRENCY));
        let mut tasks = JoinSet::new();
        for account in live.accounts.iter().filter(|a| a.status == AccountStatus::Active && a.id != management) {
            let (aws, gate, id, name) = (self.clone(), Arc::clone(&gate), account.id.clone(), account.name.clone());
            tasks.spawn(async move {
                let _permit = gate.acquire_owned().await;
                let read = Box::pin(aws.read_root(&id)).await;
                MemberRoot {
                    account_id: id,
                    account_name: name,
                    error: read.as_ref().err().map(ToString::to_string),
                    credentials: read.ok(),
                }
            });
        }
        let mut out = Vec::new();
        while let Some(joined) = tasks.join_next().await {
            match joined {
                Ok(m) => out.push(m),
                Err(e) => tracing::error!(error = %e, "a root credentials read failed"),
            }
        }
        out.sort_by(|a, b| (&a.account_name, &a.account_id).cmp(&(&b.account_name, &b.account_id)));
        out
    }

    /// One member account's root user credentials, in a new audit session. Each list is one
    /// page: a root user has at most two access keys, eight MFA devices and two signing
    /// certificates.
    async fn read_root(&self, account: &str) -> Result<RootUserCredentials, ProviderError> {
        let iam = self.root_session(account, AUDIT_ROOT_TASK).await?;
        let (profile, keys, mfa, certificates) = tokio::join!(
            self.run("iam:GetLoginProfile", Idempotency::Safe, || iam.get_login_profile().send()),
            self.run("iam:ListAccessKeys", Idempotency::Safe, || iam.list_access_keys().send()),
            self.run("iam:ListMFADevices", Idempotency::Safe, || iam.list_mfa_devices().send()),
            self.run("iam:ListSigningCertificates", Idempotency::Safe, || iam.list_signing_certificates().send()),
        );
        let password = match profile {
            Ok(_) => true,
            Err(e) if no_such_entity(&e) => false,
            Err(e) => return Err(e),
        };
        Ok(RootUserCredentials {
            password,
            access_keys: keys?
                .access_key_metadata()
                .iter()
                .filter_map(|k| k.access_key_id().map(str::to_owned))
                .collect(),
            mfa_devices: mfa?.mfa_devices().iter().map(|d| d.serial_number().to_owned()).collect(),
            signing_certificates: certificates?.certificates().iter().map(|c| c.certificate_id().to_owned()).collect(),
        })
    }

    /// Removes exactly the `planned` root credentials of each account, in a delete session per
    /// account ([`AUDIT_CONCURRENCY`] at a time), then reads back what is left in a new audit
    /// session. A failure is reported per account and does not stop the others.
    pub async fn remove_member_roots(&self, planned: &[MemberRoot]) -> Vec<RootRemoval> {
        let gate = Arc::new(Semaphore::new(AUDIT_CONCURRENCY));
        let mut tasks = JoinSet::new();
        for (i, m) in planned.iter().enumerate() {
            let (aws, gate, m) = (self.clone(), Arc::clone(&gate), m.clone());
            tasks.spawn(async move {
                let _permit = gate.acquire_owned().await;
                let want = m.credentials.clone().unwrap_or_default();
                let outcome = match Box::pin(aws.remove_root(&m.account_id, &want)).await {
                    Ok(()) => Box::pin(aws.read_root(&m.account_id)).await,
                    Err(e) => Err(e),
                };
                let (remaining, error) = match outcome {
                    Ok(left) if left.is_empty() => (Some(left), None),
                    Ok(left) => {
                        let error = Some(format!("the root user still has {}", left.items().join(", ")));
                        (Some(left), error)
                    }
                    Err(e) => (None, Some(e.to_string())),
                };
                let removal = RootRemoval {
                    account_id: m.account_id,
                    account_name: m.account_name,
                    planned: want,
                    remaining,
                    error,
                };
                (i, removal)
            });
        }
        let mut done = Vec::new();
        while let Some(joined) = tasks.join_next().await {
            match joined {
                Ok(d) => done.push(d),
                Err(e) => tracing::error!(error = %e, "a root credentials removal failed"),
            }
        }
        done.sort_by_key(|(i, _)| *i);
        done.into_iter().map(|(_, d)| d).collect()
    }

    /// Removes `want` from one member account's root user, in a delete session: the password,
    /// each access key, each MFA device (deactivated, then deleted when it is a virtual
    /// device), each signing certificate. What is already gone is not an error.
    async fn remove_root(&self, account: &str, want: &RootUserCredentials) -> Result<(), ProviderError> {
        let iam = self.root_session(account, DELETE_ROOT_TASK).await?;
        if want.password {
            self.run_removal("iam:DeleteLoginProfile", || iam.delete_login_profile().send()).await?;
        }
        for key in &want.access_keys {
            self.run_removal("iam:DeleteAccessKey", || iam.delete_access_key().access_key_id(key).send()).await?;
        }
        for serial in &want.mfa_devices {
            self.run_removal("iam:DeactivateMFADevice", || iam.deactivate_mfa_device().serial_number(serial).send())
                .await?;
            // A virtual device's serial number is its ARN (`arn:aws:iam::ACCOUNT:mfa/NAME`).
            if serial.starts_with("arn:") && serial.contains(":mfa/") {
                self.run_removal("iam:DeleteVirtualMFADevice", || {
                    iam.delete_virtual_mfa_device().serial_number(serial).send()
                })
                .await?;
            }
        }
        for certificate in &want.signing_certificates {
            self.run_removal("iam:DeleteSigningCertificate", || {
                iam.delete_signing_certificate().certificate_id(certificate).send()
            })
            .await?;
        }
        Ok(())
    }
}
