//! Clients for each account of the organization: the management account's own, and for a
//! member account, clients whose credentials come from assuming the organization access role
//! there (refreshed before they expire). The first assumption into an account is retried
//! within a bound, because a freshly created account's role needs time before it can be used.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use aws_config::Region;
use aws_config::retry::RetryConfig;
use aws_credential_types::Credentials;
use aws_credential_types::provider::error::CredentialsError;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider, future};
use groundwork_apply::{ErrorKind, ProviderError};
use tokio::sync::Mutex;

use crate::Aws;
use crate::call::{Idempotency, call};

/// How long the first AssumeRole into an account may keep failing with AccessDenied (IAM
/// settling in a just-created account) before groundwork gives up.
pub const SETTLE_TIMEOUT: Duration = Duration::from_mins(2);

/// The clients of one account.
#[derive(Clone)]
pub(crate) struct AccountClients {
    /// The account id.
    pub(crate) id: String,
    /// S3 in the home region.
    pub(crate) s3: aws_sdk_s3::Client,
    /// IAM (global).
    pub(crate) iam: aws_sdk_iam::Client,
    /// CloudTrail in the home region.
    pub(crate) cloudtrail: aws_sdk_cloudtrail::Client,
}

/// Cached clients per account id.
#[derive(Default)]
pub(crate) struct AccountCache {
    clients: Mutex<HashMap<String, Arc<Mutex<Option<AccountClients>>>>>,
}

/// Credentials from AssumeRole, cached until five minutes before they expire.
struct AssumedRole {
    aws: Aws,
    role_arn: String,
    cached: Mutex<Option<Credentials>>,
}

impl fmt::Debug for AssumedRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AssumedRole").field("role_arn", &self.role_arn).finish_non_exhaustive()
    }
}

impl AssumedRole {
    async fn get(&self) -> Result<Credentials, ProviderError> {
        let mut cached = self.cached.lock().await;
        if let Some(c) = cached.as_ref()
            && c.expiry().is_none_or(|e| e > SystemTime::now() + Duration::from_mins(5))
        {
            return Ok(c.clone());
        }
        let out =
            call(&self.aws.retry, &self.aws.limiter, &self.aws.journal, "sts:AssumeRole", Idempotency::Safe, || {
                self.aws.sts.assume_role().role_arn(&self.role_arn).role_session_name("groundwork").send()
            })
            .await?;
        let c = out.credentials().ok_or_else(|| ProviderError {
            operation: "sts:AssumeRole".into(),
            code: None,
            message: "AssumeRole returned no credentials".into(),
            kind: ErrorKind::Rejected,
        })?;
        let expiry = SystemTime::try_from(*c.expiration()).ok();
        let creds = Credentials::new(
            c.access_key_id(),
            c.secret_access_key(),
            Some(c.session_token().to_owned()),
            expiry,
            "groundwork-assume-role",
        );
        *cached = Some(creds.clone());
        Ok(creds)
    }
}

impl ProvideCredentials for AssumedRole {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        future::ProvideCredentials::new(async move { self.get().await.map_err(CredentialsError::provider_error) })
    }
}

impl Aws {
    fn clients_with(&self, id: &str, credentials: Option<SharedCredentialsProvider>) -> AccountClients {
        let config = self.sdk_config();
        let home = Region::new(self.home_region());
        let mut s3 = aws_sdk_s3::config::Builder::from(config)
            .region(home.clone())
            .force_path_style(config.endpoint_url().is_some())
            .retry_config(RetryConfig::disabled())
            .interceptor(self.counter().clone());
        let mut iam = aws_sdk_iam::config::Builder::from(config)
            .region(Region::new("us-east-1"))
            .retry_config(RetryConfig::disabled())
            .interceptor(self.counter().clone());
        let mut cloudtrail = aws_sdk_cloudtrail::config::Builder::from(config)
            .region(home)
            .retry_config(RetryConfig::disabled())
            .interceptor(self.counter().clone());
        if let Some(c) = credentials {
            s3 = s3.credentials_provider(c.clone());
            iam = iam.credentials_provider(c.clone());
            cloudtrail = cloudtrail.credentials_provider(c);
        }
        AccountClients {
            id: id.to_owned(),
            s3: aws_sdk_s3::Client::from_conf(s3.build()),
            iam: aws_sdk_iam::Client::from_conf(iam.build()),
            cloudtrail: aws_sdk_cloudtrail::Client::from_conf(cloudtrail.build()),
        }
    }

    /// The clients of account `id`: the caller's own credentials for the management account,
    /// else the access role assumed there. The first assumption into an account is retried on
    /// AccessDenied for up to [`SETTLE_TIMEOUT`], since a new account's role takes time to work.
    pub(crate) async fn account(&self, id: &str, management_id: &str) -> Result<AccountClients, ProviderError> {
        let slot = {
            let mut map = self.accounts.clients.lock().await;
            Arc::clone(map.entry(id.to_owned()).or_default())
        };
        let mut slot = slot.lock().await;
        if let Some(c) = slot.as_ref() {
            return Ok(c.clone());
        }
        if id == management_id {
            let c = self.clients_with(id, None);
            *slot = Some(c.clone());
            return Ok(c);
        }
        let role = AssumedRole {
            aws: self.clone(),
            role_arn: format!("arn:aws:iam::{id}:role/{}", self.access_role()),
            cached: Mutex::new(None),
        };
        let started = tokio::time::Instant::now();
        let mut wait = Duration::from_secs(2);
        loop {
            match role.get().await {
                Ok(_) => break,
                Err(e)
                    if e.code.as_deref() == Some("AccessDenied")
                        && started.elapsed() + wait < self.settle_timeout() =>
                {
                    tracing::info!(account = id, "the access role is not usable yet; waiting for IAM to settle");
                    tokio::time::sleep(wait).await;
                    wait = (wait * 2).min(Duration::from_secs(15));
                }
                Err(e) => {
                    return Err(ProviderError {
                        message: format!(
                            "assuming {} in account {id}: {} (after {:.0}s)",
                            role.role_arn,
                            e.message,
                            started.elapsed().as_secs_f32()
                        ),
                        ..e
                    });
                }
            }
        }
        let c = self.clients_with(id, Some(SharedCredentialsProvider::new(role)));
        *slot = Some(c.clone());
        Ok(c)
    }
}
