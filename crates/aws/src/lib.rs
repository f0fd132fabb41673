//! AWS for groundwork: the only crate that uses the AWS SDK.
//!
//! Owns the SDK configuration (flags and the standard credential chain, endpoint override),
//! read-only discovery of the organization into a [`groundwork_plan::Live`], the write
//! operations behind [`groundwork_apply::Provider`], the credential audit ([`Aws::audit`]), one
//! retry policy with client-side rate limiting ([`call`]), and API-call accounting
//! ([`CallCounter`]).
//!
//! ```no_run
//! # async fn demo() -> Result<(), groundwork_aws::AwsError> {
//! use groundwork_aws::{Aws, ConnectOptions};
//! let aws = Aws::connect(&ConnectOptions { region: Some("eu-west-1".into()), ..Default::default() }).await?;
//! let live = aws.discover().await?;
//! println!("{} accounts; {}", live.accounts.len(), aws.counter().snapshot());
//! # Ok(()) }
//! ```

mod accounts;
mod alerts_test;
mod audit;
mod call;
mod counter;
mod fence;
mod import;
mod import_guess;
mod keys;
mod lock;
mod organizations;
mod resources;
mod root_credentials;
pub mod secret_file;

use std::sync::Arc;
use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{Region, SdkConfig};
use aws_credential_types::provider::ProvideCredentials;
use groundwork_apply::{Journal, ProviderError};

pub use accounts::SETTLE_TIMEOUT;
pub use audit::AUDIT_CONCURRENCY;
pub use call::{FENCED, Idempotency, RateLimiter, RetryPolicy};
pub use counter::{CallCounter, CallKind, CallStats, classify};
pub use fence::Fence;
pub use import_guess::{GroupedUsers, OrgTrail};
pub use keys::Rotation;
pub use lock::{Acquired, HeldLease, LOCK_KEY, LeaseTerms, Lock, LockError, LockInfo};
pub use organizations::Focus;

/// Errors of this crate.
#[derive(Debug, thiserror::Error)]
pub enum AwsError {
    /// No region from flags, environment or profile.
    #[error("no AWS region is configured")]
    NoRegion,
    /// The credential chain found nothing usable.
    #[error("no AWS credentials were found")]
    NoCredentials(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// A call failed.
    #[error("{context}")]
    Call {
        /// What groundwork was doing.
        context: String,
        /// The failed call.
        #[source]
        source: ProviderError,
    },
}

impl AwsError {
    pub(crate) fn call(context: impl Into<String>, source: ProviderError) -> Self {
        AwsError::Call { context: context.into(), source }
    }
}

/// Where and as whom to connect.
#[derive(Debug, Clone, Default)]
pub struct ConnectOptions {
    /// Named profile (else `AWS_PROFILE`, else default).
    pub profile: Option<String>,
    /// Region (else the chain's).
    pub region: Option<String>,
    /// Endpoint override for every service (a local emulator).
    pub endpoint_url: Option<String>,
    /// Retry policy.
    pub retry: RetryPolicy,
    /// Client-side rate limiting at AWS's documented rates.
    pub rate_limit: bool,
    /// Account quota to assume when it cannot be read from Service Quotas.
    pub account_quota: Option<u64>,
}

/// Connected clients plus the shared retry policy, rate limiter and call counter.
#[derive(Clone)]
pub struct Aws {
    pub(crate) org: aws_sdk_organizations::Client,
    pub(crate) quotas: aws_sdk_servicequotas::Client,
    pub(crate) s3: aws_sdk_s3::Client,
    pub(crate) sts: aws_sdk_sts::Client,
    pub(crate) retry: RetryPolicy,
    pub(crate) limiter: Arc<RateLimiter>,
    pub(crate) journal: Arc<Journal>,
    pub(crate) fence: Arc<Fence>,
    pub(crate) accounts: Arc<accounts::AccountCache>,
    settings: Arc<Settings>,
    counter: CallCounter,
    config: SdkConfig,
}

/// Where a landing zone's resources live.
#[derive(Debug, Clone)]
struct Settings {
    access_role: String,
    execution_role: Option<String>,
    home_region: String,
    settle_timeout: Duration,
    password_file: Option<std::path::PathBuf>,
    credentials_file: Option<std::path::PathBuf>,
    enforce: bool,
}

/// Builds an [`SdkConfig`] from the options and the standard chain (environment, profile, SSO,
/// web identity, container and instance metadata). The SDK's own retries are disabled: every
/// call goes through [`RetryPolicy`].
pub async fn load_sdk_config(options: &ConnectOptions) -> Result<SdkConfig, AwsError> {
    let mut loader =
        aws_config::defaults(BehaviorVersion::latest()).retry_config(RetryConfig::disabled()).timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(10))
                .operation_attempt_timeout(Duration::from_mins(1))
                .build(),
        );
    if let Some(p) = &options.profile {
        loader = loader.profile_name(p);
    }
    if let Some(r) = &options.region {
        loader = loader.region(Region::new(r.clone()));
    }
    if let Some(e) = &options.endpoint_url {
        loader = loader.endpoint_url(e);
    }
    let config = loader.load().await;
    if config.region().is_none() {
        return Err(AwsError::NoRegion);
    }
    let provider = config
        .credentials_provider()
        .ok_or_else(|| AwsError::NoCredentials("no credential provider is configured".into()))?;
    provider.provide_credentials().await.map_err(|e| AwsError::NoCredentials(Box::new(e)))?;
    Ok(config)
}

impl Aws {
    /// Connects with the standard chain (see [`load_sdk_config`]).
    pub async fn connect(options: &ConnectOptions) -> Result<Self, AwsError> {
        let config = load_sdk_config(options).await?;
        Ok(Self::from_config(&config, options))
    }

    /// Builds the clients from an existing configuration (tests pass the emulator's).
    pub fn from_config(config: &SdkConfig, options: &ConnectOptions) -> Self {
        let counter = CallCounter::new();
        // Organizations is a global service served from us-east-1.
        let org = aws_sdk_organizations::config::Builder::from(config)
            .region(Region::new("us-east-1"))
            .retry_config(RetryConfig::disabled())
            .interceptor(counter.clone())
            .build();
        let quotas = aws_sdk_servicequotas::config::Builder::from(config)
            .region(Region::new("us-east-1"))
            .retry_config(RetryConfig::disabled())
            .interceptor(counter.clone())
            .build();
        // A custom endpoint (an emulator on localhost) needs path-style bucket addressing.
        let s3 = aws_sdk_s3::config::Builder::from(config)
            .force_path_style(config.endpoint_url().is_some())
            .retry_config(RetryConfig::disabled())
            .interceptor(counter.clone())
            .build();
        let sts = aws_sdk_sts::config::Builder::from(config)
            .retry_config(RetryConfig::disabled())
            .interceptor(counter.clone())
            .build();
        Aws {
            org: aws_sdk_organizations::Client::from_conf(org),
            quotas: aws_sdk_servicequotas::Client::from_conf(quotas),
            sts: aws_sdk_sts::Client::from_conf(sts),
            s3: aws_sdk_s3::Client::from_conf(s3),
            retry: options.retry,
            limiter: Arc::new(RateLimiter::new(options.rate_limit)),
            journal: Arc::new(Journal::disabled()),
            fence: Arc::new(Fence::default()),
            accounts: Arc::default(),
            settings: Arc::new(Settings {
                access_role: "OrganizationAccountAccessRole".into(),
                execution_role: None,
                home_region: config.region().map_or_else(|| "us-east-1".to_owned(), ToString::to_string),
                settle_timeout: accounts::SETTLE_TIMEOUT,
                password_file: None,
                credentials_file: None,
                enforce: false,
            }),
            counter,
            config: config.clone(),
        }
    }

    /// Uses this role in member accounts and this home region for regional resources (the
    /// blueprint's `organization.access_role` and `home_region`).
    #[must_use]
    pub fn with_landing_zone(mut self, access_role: &str, home_region: &str) -> Self {
        let mut s = (*self.settings).clone();
        access_role.clone_into(&mut s.access_role);
        home_region.clone_into(&mut s.home_region);
        self.settings = Arc::new(s);
        self.accounts = Arc::default();
        self
    }

    /// Assumes this dedicated execution role in member accounts, once it exists there (the
    /// blueprint's `organization.execution_role`); the access role stays for bootstrap.
    #[must_use]
    pub fn with_execution_role(mut self, execution_role: Option<&str>) -> Self {
        let mut s = (*self.settings).clone();
        s.execution_role = execution_role.map(str::to_owned);
        self.settings = Arc::new(s);
        self.accounts = Arc::default();
        self
    }

    pub(crate) fn execution_role(&self) -> Option<&str> {
        self.settings.execution_role.as_deref()
    }

    /// Bounds how long the first AssumeRole into an account may be retried (default
    /// [`accounts::SETTLE_TIMEOUT`]).
    #[must_use]
    pub fn with_settle_timeout(mut self, timeout: Duration) -> Self {
        let mut s = (*self.settings).clone();
        s.settle_timeout = timeout;
        self.settings = Arc::new(s);
        self
    }

    /// Writes generated console passwords to this file (created with mode 0600, appended to).
    #[must_use]
    pub fn with_password_file(mut self, path: Option<std::path::PathBuf>) -> Self {
        let mut s = (*self.settings).clone();
        s.password_file = path;
        self.settings = Arc::new(s);
        self
    }

    pub(crate) fn password_file(&self) -> Option<std::path::PathBuf> {
        self.settings.password_file.clone()
    }

    /// Writes programmatic users' access keys to this file (see [`secret_file`]), and with
    /// `enforce`, deactivates their keys groundwork did not create.
    #[must_use]
    pub fn with_access_keys(mut self, credentials_file: Option<std::path::PathBuf>, enforce: bool) -> Self {
        let mut s = (*self.settings).clone();
        s.credentials_file = credentials_file;
        s.enforce = enforce;
        self.settings = Arc::new(s);
        self
    }

    pub(crate) fn credentials_file(&self) -> Option<std::path::PathBuf> {
        self.settings.credentials_file.clone()
    }

    pub(crate) fn enforce(&self) -> bool {
        self.settings.enforce
    }

    pub(crate) fn access_role(&self) -> &str {
        &self.settings.access_role
    }

    pub(crate) fn home_region(&self) -> String {
        self.settings.home_region.clone()
    }

    pub(crate) fn settle_timeout(&self) -> Duration {
        self.settings.settle_timeout
    }

    /// Journals every write call from now on into `journal`.
    #[must_use]
    pub fn with_journal(mut self, journal: Arc<Journal>) -> Self {
        self.journal = journal;
        self
    }

    /// The call counter shared by every client of this connection.
    pub fn counter(&self) -> &CallCounter {
        &self.counter
    }

    /// The SDK configuration in use.
    pub fn sdk_config(&self) -> &SdkConfig {
        &self.config
    }

    /// The account id of the caller (STS GetCallerIdentity).
    pub async fn caller_account(&self) -> Result<String, AwsError> {
        let out = call::call(
            &self.retry,
            &self.limiter,
            &self.journal,
            &self.fence,
            "sts:GetCallerIdentity",
            Idempotency::Safe,
            || self.sts.get_caller_identity().send(),
        )
        .await
        .map_err(|e| AwsError::call("identifying the caller", e))?;
        Ok(out.account().unwrap_or_default().to_owned())
    }
}
