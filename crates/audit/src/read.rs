//! What the audit reads in one account, as plain values: the AWS crate fills these (one IAM
//! call per field, see docs/audit.md "How it reads") and [`crate::evaluate`] judges them. Times
//! are seconds since the Unix epoch.

use groundwork_blueprint::PasswordPolicy;

/// One account as the audit lists it, with what was read there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountRead {
    /// The account's id.
    pub id: String,
    /// The account's name.
    pub name: String,
    /// What was read, or why the account could not be (fully) read.
    pub credentials: Result<AccountCredentials, String>,
}

/// Everything the rules look at in one account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountCredentials {
    /// The root user (`iam:GetAccountSummary`).
    pub root: RootCredentials,
    /// The account password policy (`iam:GetAccountPasswordPolicy`), where it is checked.
    pub password_policy: PasswordPolicyRead,
    /// Every IAM user (`iam:ListUsers`) with its credentials.
    pub users: Vec<UserCredentials>,
}

/// The root user's credentials, as `GetAccountSummary` counts them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RootCredentials {
    /// `AccountAccessKeysPresent` is not 0.
    pub access_keys_present: bool,
    /// `AccountMFAEnabled` is not 0.
    pub mfa_enabled: bool,
}

/// The account password policy, as far as it was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordPolicyRead {
    /// Not read: the audit policy does not check it in this account.
    NotRead,
    /// Read: the account has none (`NoSuchEntity`).
    Missing,
    /// Read: the account's policy.
    Set(PasswordPolicy),
}

/// One IAM user and its credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserCredentials {
    /// The user name.
    pub name: String,
    /// Its access keys, any status (`iam:ListAccessKeys`; at most two).
    pub access_keys: Vec<AccessKey>,
    /// It has a console password (`iam:GetLoginProfile` found a login profile).
    pub console_password: bool,
    /// The serial numbers of its MFA devices (`iam:ListMFADevices`).
    pub mfa_devices: Vec<String>,
    /// Names of managed policies attached to the user itself (`iam:ListAttachedUserPolicies`).
    pub attached_policies: Vec<String>,
    /// Names of its inline policies (`iam:ListUserPolicies`).
    pub inline_policies: Vec<String>,
}

/// One access key (its id; the secret is never read).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessKey {
    /// The access key id.
    pub id: String,
    /// Status `Active`: only an active key can sign requests.
    pub active: bool,
    /// Created at, when IAM says.
    pub created: Option<i64>,
    /// Last used at (`iam:GetAccessKeyLastUsed`, read for active keys only), when IAM recorded
    /// a use.
    pub last_used: Option<i64>,
}
