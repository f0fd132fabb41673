//! Clients for each account of the organization: the management account's own, and for a
//! member account, clients whose credentials come from assuming the organization access role
//! there (refreshed before they expire). The first assumption into an account is retried
//! within a bound, because a freshly created account's role needs time before it can be used.
//!
//! With an execution role (`organization.execution_role`), a member's clients assume it once
//! it exists there (confirmed with `iam:GetRole` under its own credentials: AssumeRole alone
//! proves nothing on emulators); until then, and for writes to the execution role itself, the
//! access role is used (bootstrap). Every client records its calls under its principal.
//!
//! The home region's clients are built with the account's; a regional kind's clients (EC2) are
//! built per (account, region) on first use and cached with the account's, on the same
//! credentials (a role is assumed once per account, not per region).

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
    /// S3 Control (account-level S3 settings), in the home region.
    pub(crate) s3control: aws_sdk_s3control::Client,
    /// IAM (global).
    pub(crate) iam: aws_sdk_iam::Client,
    /// CloudTrail in the home region.
    pub(crate) cloudtrail: aws_sdk_cloudtrail::Client,
    /// KMS in the home region.
    pub(crate) kms: aws_sdk_kms::Client,
    /// Clients of this account in other regions, built on first use.
    regional: Arc<Regional>,
}

/// What an account's regional clients are built from (its credentials, its call counter), and
/// the ones built so far, by region.
struct Regional {
    config: aws_config::SdkConfig,
    credentials: Option<SharedCredentialsProvider>,
    counter: crate::CallCounter,
    ec2: std::sync::Mutex<HashMap<String, aws_sdk_ec2::Client>>,
    sso: std::sync::Mutex<HashMap<String, SsoClients>>,
    alerts: std::sync::Mutex<HashMap<String, AlertClients>>,
    budgets: std::sync::Mutex<Option<aws_sdk_budgets::Client>>,
}

/// The alerts' clients in one region: CloudWatch Logs, CloudWatch and SNS.
#[derive(Clone)]
pub(crate) struct AlertClients {
    pub(crate) logs: aws_sdk_cloudwatchlogs::Client,
    pub(crate) cloudwatch: aws_sdk_cloudwatch::Client,
    pub(crate) sns: aws_sdk_sns::Client,
    pub(crate) events: aws_sdk_eventbridge::Client,
}

/// Identity Center's clients in one region: SSO admin and the identity store.
#[derive(Clone)]
pub(crate) struct SsoClients {
    pub(crate) admin: aws_sdk_ssoadmin::Client,
    pub(crate) store: aws_sdk_identitystore::Client,
}

impl AccountClients {
    /// Identity Center (SSO admin, identity store) in `region` of this account: built on the
    /// first call for that region, then reused, on the account's credentials.
    pub(crate) fn sso(&self, region: &str) -> SsoClients {
        let r = &self.regional;
        let mut built = r.sso.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        built
            .entry(region.to_owned())
            .or_insert_with(|| {
                let mut admin = aws_sdk_ssoadmin::config::Builder::from(&r.config)
                    .region(Region::new(region.to_owned()))
                    .retry_config(RetryConfig::disabled())
                    .interceptor(r.counter.clone());
                let mut store = aws_sdk_identitystore::config::Builder::from(&r.config)
                    .region(Region::new(region.to_owned()))
                    .retry_config(RetryConfig::disabled())
                    .interceptor(r.counter.clone());
                if let Some(c) = &r.credentials {
                    admin = admin.credentials_provider(c.clone());
                    store = store.credentials_provider(c.clone());
                }
                SsoClients {
                    admin: aws_sdk_ssoadmin::Client::from_conf(admin.build()),
                    store: aws_sdk_identitystore::Client::from_conf(store.build()),
                }
            })
            .clone()
    }

    /// The alerts' clients (CloudWatch Logs, CloudWatch, SNS) in `region` of this account: built
    /// on the first call for that region, then reused, on the account's credentials.
    pub(crate) fn alerts(&self, region: &str) -> AlertClients {
        let r = &self.regional;
        let mut built = r.alerts.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        built
            .entry(region.to_owned())
            .or_insert_with(|| {
                macro_rules! conf {
                    ($sdk:ident) => {{
                        let mut c = $sdk::config::Builder::from(&r.config)
                            .region(Region::new(region.to_owned()))
                            .retry_config(RetryConfig::disabled())
                            .interceptor(r.counter.clone());
                        if let Some(creds) = &r.credentials {
                            c = c.credentials_provider(creds.clone());
                        }
                        $sdk::Client::from_conf(c.build())
                    }};
                }
                AlertClients {
                    logs: conf!(aws_sdk_cloudwatchlogs),
                    cloudwatch: conf!(aws_sdk_cloudwatch),
                    sns: conf!(aws_sdk_sns),
                    events: conf!(aws_sdk_eventbridge),
                }
            })
            .clone()
    }

    /// AWS Budgets of this account (a global service, in `us-east-1`): built on the first call,
    /// then reused, on the account's credentials.
    pub(crate) fn budgets(&self) -> aws_sdk_budgets::Client {
        let r = &self.regional;
        let mut built = r.budgets.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        built
            .get_or_insert_with(|| {
                let mut conf = aws_sdk_budgets::config::Builder::from(&r.config)
                    .region(Region::new("us-east-1"))
                    .retry_config(RetryConfig::disabled())
                    .interceptor(r.counter.clone());
                if let Some(c) = &r.credentials {
                    conf = conf.credentials_provider(c.clone());
                }
                aws_sdk_budgets::Client::from_conf(conf.build())
            })
            .clone()
    }

    /// EC2 in `region` of this account: built on the first call for that region, then reused.
    /// Its credentials are the account's (an assumed role is assumed once, not per region).
    pub(crate) fn ec2(&self, region: &str) -> aws_sdk_ec2::Client {
        let r = &self.regional;
        let mut built = r.ec2.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        built
            .entry(region.to_owned())
            .or_insert_with(|| {
                let mut conf = aws_sdk_ec2::config::Builder::from(&r.config)
                    .region(Region::new(region.to_owned()))
                    .retry_config(RetryConfig::disabled())
                    .interceptor(r.counter.clone());
                if let Some(c) = &r.credentials {
                    conf = conf.credentials_provider(c.clone());
                }
                aws_sdk_ec2::Client::from_conf(conf.build())
            })
            .clone()
    }
}

/// The endpoint override (an emulator) as S3 Control's endpoint, as it is. S3 Control's
/// endpoint rules put the account id in front of the host (`ACCOUNT.s3-control.REGION…`), which
/// for an overridden endpoint gives a host that does not resolve (`111122223333.127.0.0.1`).
/// Only used when an endpoint is overridden; against AWS the SDK's rules apply.
#[derive(Debug)]
struct FixedEndpoint(String);

impl aws_sdk_s3control::config::endpoint::ResolveEndpoint for FixedEndpoint {
    fn resolve_endpoint<'a>(
        &'a self,
        _params: &'a aws_sdk_s3control::config::endpoint::Params,
    ) -> aws_sdk_s3control::config::endpoint::EndpointFuture<'a> {
        aws_sdk_s3control::config::endpoint::EndpointFuture::ready(Ok(
            aws_sdk_s3control::config::endpoint::Endpoint::builder().url(self.0.clone()).build(),
        ))
    }
}

/// Cached clients per account id.
#[derive(Default)]
pub(crate) struct AccountCache {
    clients: Mutex<HashMap<String, Arc<Mutex<Option<AccountClients>>>>>,
    bootstrap: Mutex<HashMap<String, Arc<Mutex<Option<AccountClients>>>>>,
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
        let out = call(
            &self.aws.retry,
            &self.aws.limiter,
            &self.aws.journal,
            &self.aws.fence,
            "sts:AssumeRole",
            Idempotency::Safe,
            || self.aws.sts.assume_role().role_arn(&self.role_arn).role_session_name("groundwork").send(),
        )
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
    fn clients_with(
        &self,
        id: &str,
        credentials: Option<SharedCredentialsProvider>,
        role: Option<&str>,
    ) -> AccountClients {
        let config = self.sdk_config();
        let counter = match role {
            Some(r) => self.counter().for_principal(&format!("{id}/{r}")),
            None => self.counter().clone(),
        };
        let home = Region::new(self.home_region());
        let mut s3 = aws_sdk_s3::config::Builder::from(config)
            .region(home.clone())
            .force_path_style(config.endpoint_url().is_some())
            .retry_config(RetryConfig::disabled())
            .interceptor(counter.clone());
        let mut iam = aws_sdk_iam::config::Builder::from(config)
            .region(Region::new("us-east-1"))
            .retry_config(RetryConfig::disabled())
            .interceptor(counter.clone());
        let mut s3control = aws_sdk_s3control::config::Builder::from(config)
            .region(home.clone())
            .retry_config(RetryConfig::disabled())
            .interceptor(counter.clone());
        if let Some(url) = config.endpoint_url() {
            s3control = s3control.endpoint_resolver(FixedEndpoint(url.to_owned()));
        }
        let mut cloudtrail = aws_sdk_cloudtrail::config::Builder::from(config)
            .region(home.clone())
            .retry_config(RetryConfig::disabled())
            .interceptor(counter.clone());
        let mut kms = aws_sdk_kms::config::Builder::from(config)
            .region(home)
            .retry_config(RetryConfig::disabled())
            .interceptor(counter.clone());
        if let Some(c) = &credentials {
            s3 = s3.credentials_provider(c.clone());
            s3control = s3control.credentials_provider(c.clone());
            iam = iam.credentials_provider(c.clone());
            cloudtrail = cloudtrail.credentials_provider(c.clone());
            kms = kms.credentials_provider(c.clone());
        }
        AccountClients {
            id: id.to_owned(),
            s3: aws_sdk_s3::Client::from_conf(s3.build()),
            s3control: aws_sdk_s3control::Client::from_conf(s3control.build()),
            iam: aws_sdk_iam::Client::from_conf(iam.build()),
            cloudtrail: aws_sdk_cloudtrail::Client::from_conf(cloudtrail.build()),
            kms: aws_sdk_kms::Client::from_conf(kms.build()),
            regional: Arc::new(Regional {
                config: config.clone(),
                credentials,
                counter,
                ec2: std::sync::Mutex::default(),
                sso: std::sync::Mutex::default(),
                alerts: std::sync::Mutex::default(),
                budgets: std::sync::Mutex::default(),
            }),
        }
    }

    /// The clients of account `id`: the caller's own credentials for the management account,
    /// else the execution role when one is configured and exists there, else the access role.
    /// The first assumption of the access role is retried on AccessDenied for up to
    /// [`SETTLE_TIMEOUT`], since a new account's role takes time to work.
    pub(crate) async fn account(&self, id: &str, management_id: &str) -> Result<AccountClients, ProviderError> {
        let slot = {
            let mut map = self.accounts.clients.lock().await;
            Arc::clone(map.entry(id.to_owned()).or_default())
        };
        let mut slot = slot.lock().await;
        if let Some(c) = slot.as_ref() {
            return Ok(c.clone());
        }
        let c = if id == management_id {
            self.clients_with(id, None, None)
        } else if let Some(c) = self.execution_clients(id).await {
            c
        } else {
            self.bootstrap_account(id).await?
        };
        *slot = Some(c.clone());
        Ok(c)
    }

    /// The execution role's clients in member `id`, when the role is configured, assumable and
    /// exists there; `None` means bootstrap through the access role.
    async fn execution_clients(&self, id: &str) -> Option<AccountClients> {
        let role_name = self.execution_role()?.to_owned();
        let role = AssumedRole {
            aws: self.clone(),
            role_arn: format!("arn:aws:iam::{id}:role/{role_name}"),
            cached: Mutex::new(None),
        };
        if let Err(e) = role.get().await {
            tracing::info!(account = id, error = %e.message, "the execution role is not assumable; using the access role");
            return None;
        }
        let c = self.clients_with(id, Some(SharedCredentialsProvider::new(role)), Some(&role_name));
        let found = self.run("iam:GetRole", Idempotency::Safe, || c.iam.get_role().role_name(&role_name).send()).await;
        match found {
            Ok(_) => Some(c),
            Err(e) => {
                tracing::info!(account = id, error = %e.message, "the execution role does not exist yet; using the access role");
                None
            }
        }
    }

    /// The clients of member `id` through the access role (bootstrap; writes to the execution
    /// role itself), cached apart from [`Aws::account`]'s.
    async fn bootstrap_account(&self, id: &str) -> Result<AccountClients, ProviderError> {
        let slot = {
            let mut map = self.accounts.bootstrap.lock().await;
            Arc::clone(map.entry(id.to_owned()).or_default())
        };
        let mut slot = slot.lock().await;
        if let Some(c) = slot.as_ref() {
            return Ok(c.clone());
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
        let c = self.clients_with(id, Some(SharedCredentialsProvider::new(role)), Some(self.access_role()));
        *slot = Some(c.clone());
        Ok(c)
    }

    /// The clients that write resource `at` in member `id`: the access role for the execution
    /// role itself (it never rewrites its own permissions), else [`Aws::account`]'s.
    pub(crate) async fn writer_account(
        &self,
        at: &groundwork_plan::Locator,
        id: &str,
        management_id: &str,
    ) -> Result<AccountClients, ProviderError> {
        if id != management_id
            && at.kind == groundwork_plan::Kind::Role
            && self.execution_role() == Some(at.name.as_str())
        {
            self.bootstrap_account(id).await
        } else {
            self.account(id, management_id).await
        }
    }
}
