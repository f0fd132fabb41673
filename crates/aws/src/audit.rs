//! The credential audit: every active account of the organization is read (read-only, at most
//! [`AUDIT_CONCURRENCY`] accounts at a time) for root-user credentials, IAM users' access keys,
//! console users without MFA, policies attached directly to users, and the account password
//! policy; [`Aws::deactivate_keys`] is the enforcement: it sets non-compliant access keys to
//! `Inactive` (it never deletes one) and reads the status back.
//!
//! The evaluation itself is pure ([`key_findings`], [`password_weaknesses`]) so that it is unit
//! tested without AWS; ages are measured at [`AuditPolicy::as_of`], which is how tests (and
//! "what will be non-compliant at the end of the quarter" questions) age keys.
//!
//! ```no_run
//! # async fn demo(aws: groundwork_aws::Aws, bp: groundwork_blueprint::Blueprint) -> Result<(), groundwork_aws::AwsError> {
//! use groundwork_aws::AuditPolicy;
//! let live = aws.discover().await?;
//! let policy = AuditPolicy::for_blueprint(&bp, &live, std::time::SystemTime::now());
//! let report = aws.audit(&live, &policy).await?;
//! println!("{} findings", report.findings.len());
//! # Ok(()) }
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use aws_sdk_iam::types::{StatusType, SummaryKeyType};
use aws_smithy_types::DateTime;
use aws_smithy_types::date_time::Format;
use groundwork_apply::ProviderError;
use groundwork_blueprint::{Blueprint, PasswordPolicy};
use groundwork_plan::{Live, LiveAccount};
use serde::Serialize;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::accounts::AccountClients;
use crate::call::Idempotency;
use crate::{Aws, AwsError};

/// Accounts read at once.
pub const AUDIT_CONCURRENCY: usize = 8;
/// Version of the serialized [`AuditReport`]; bumped on any change a consumer must know.
pub const AUDIT_FORMAT_VERSION: u32 = 1;

const DAY: i64 = 86_400;

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Full control of an account is one stolen secret away.
    Critical,
    /// A long-lived credential or a password-only sign-in.
    High,
    /// Weakens the controls around credentials.
    Medium,
    /// Hygiene.
    Low,
}

impl Severity {
    /// Every severity, most severe first.
    pub const ALL: [Severity; 4] = [Severity::Critical, Severity::High, Severity::Medium, Severity::Low];

    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::High => "high",
            Severity::Medium => "medium",
            Severity::Low => "low",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The rules, with their severity and what they check.
pub mod rule {
    /// The root user has no MFA device (the management account's; members' with
    /// [`AuditPolicy::member_root_mfa`](super::AuditPolicy::member_root_mfa)).
    pub const ROOT_MFA: &str = "root-mfa";
    /// The root user has access keys.
    pub const ROOT_ACCESS_KEYS: &str = "root-access-keys";
    /// An active access key is older than the maximum age.
    pub const KEY_TOO_OLD: &str = "key-too-old";
    /// An active access key was not used for longer than the threshold (or never, and is older).
    pub const KEY_UNUSED: &str = "key-unused";
    /// A user with a console password and no MFA device.
    pub const CONSOLE_WITHOUT_MFA: &str = "console-without-mfa";
    /// A user with more than one MFA device. The first enrolment is trust on first use (IAM
    /// allows eight devices per user), so an extra device is worth a look: it may be a
    /// second key a person keeps, or one someone else enrolled.
    pub const SEVERAL_MFA_DEVICES: &str = "several-mfa-devices";
    /// A user with policies attached directly (managed) or inline.
    pub const USER_DIRECT_POLICY: &str = "user-direct-policy";
    /// The account password policy is missing or weaker than the blueprint's.
    pub const PASSWORD_POLICY: &str = "password-policy";

    /// Every rule name.
    pub const ALL: [&str; 8] = [
        ROOT_MFA,
        ROOT_ACCESS_KEYS,
        KEY_TOO_OLD,
        KEY_UNUSED,
        CONSOLE_WITHOUT_MFA,
        SEVERAL_MFA_DEVICES,
        USER_DIRECT_POLICY,
        PASSWORD_POLICY,
    ];
}

/// One non-compliant credential or setting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The account's id.
    pub account_id: String,
    /// The account's name.
    pub account_name: String,
    /// How bad it is.
    pub severity: Severity,
    /// The rule (see [`rule`]).
    pub rule: String,
    /// What it is about: `root`, a user name, `user/access-key-id`, or `password policy`.
    pub subject: String,
    /// What is wrong, with the numbers.
    pub detail: String,
    /// The IAM user, for user and key findings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// The access key id, for key findings (never a secret).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access_key_id: Option<String>,
}

/// A finding left out of the counts: `RULE` or `RULE@ACCOUNT_ID` (an accepted exception).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ignore {
    /// The rule.
    pub rule: String,
    /// Only in this account, when given.
    pub account_id: Option<String>,
}

impl Ignore {
    /// Whether this exception covers `f`.
    pub fn covers(&self, f: &Finding) -> bool {
        f.rule == self.rule && self.account_id.as_ref().is_none_or(|a| *a == f.account_id)
    }
}

impl FromStr for Ignore {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (rule, account) = match s.split_once('@') {
            Some((r, a)) => (r, Some(a)),
            None => (s, None),
        };
        if !rule::ALL.contains(&rule) {
            return Err(format!("unknown rule `{rule}`; the rules are {}", rule::ALL.join(", ")));
        }
        if let Some(a) = account
            && (a.len() != 12 || !a.bytes().all(|b| b.is_ascii_digit()))
        {
            return Err(format!("`{a}` is not a 12-digit account id"));
        }
        Ok(Ignore { rule: rule.to_owned(), account_id: account.map(str::to_owned) })
    }
}

impl fmt::Display for Ignore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.account_id {
            Some(a) => write!(f, "{}@{a}", self.rule),
            None => f.write_str(&self.rule),
        }
    }
}

/// Where the password policy is checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasswordScope {
    /// In every account.
    Everywhere,
    /// Only in these accounts (ids).
    Accounts(BTreeSet<String>),
}

impl PasswordScope {
    fn includes(&self, account_id: &str) -> bool {
        match self {
            PasswordScope::Everywhere => true,
            PasswordScope::Accounts(ids) => ids.contains(account_id),
        }
    }
}

/// What the audit checks against.
#[derive(Debug, Clone)]
pub struct AuditPolicy {
    /// Ages are measured at this instant (now, or `--as-of`).
    pub as_of: SystemTime,
    /// Active access keys older than this many days are findings.
    pub max_key_age_days: u32,
    /// Active access keys not used for longer than this many days are findings.
    pub max_unused_days: u32,
    /// The password policy accounts must meet or exceed.
    pub password_policy: PasswordPolicy,
    /// Where the password policy is checked.
    pub password_scope: PasswordScope,
    /// Also require root MFA in member accounts (off by default: see docs/audit.md).
    pub member_root_mfa: bool,
    /// Accepted exceptions: matching findings are reported apart and not counted.
    pub ignore: Vec<Ignore>,
}

impl AuditPolicy {
    /// The policy a blueprint implies, with the default thresholds (90 days each): the
    /// blueprint's password policy where it applies it (the identity hub, the management account
    /// when the hub is not named, or every account with `password_policy_everywhere`), or the
    /// default policy in every account when the blueprint has no `identity` section.
    pub fn for_blueprint(blueprint: &Blueprint, live: &Live, as_of: SystemTime) -> Self {
        let (password_policy, password_scope) = match &blueprint.identity {
            None => (PasswordPolicy::default(), PasswordScope::Everywhere),
            Some(identity) if identity.password_policy_everywhere => {
                (identity.password_policy, PasswordScope::Everywhere)
            }
            Some(identity) => {
                let hub = match &identity.account {
                    Some(name) => blueprint
                        .account(&name.value)
                        .and_then(|a| live.account_by_email(&a.email.value))
                        .map(|a| a.id.clone()),
                    None => live.organization.as_ref().map(|o| o.management_account_id.clone()),
                };
                (identity.password_policy, PasswordScope::Accounts(hub.into_iter().collect()))
            }
        };
        AuditPolicy {
            as_of,
            max_key_age_days: 90,
            max_unused_days: 90,
            password_policy,
            password_scope,
            member_root_mfa: false,
            ignore: Vec::new(),
        }
    }

    fn as_of_secs(&self) -> i64 {
        system_secs(self.as_of)
    }
}

fn system_secs(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_secs()).unwrap_or(i64::MAX),
    }
}

/// `2026-01-31T12:00:00Z` for seconds since the epoch.
pub fn rfc3339(secs: i64) -> String {
    DateTime::from_secs(secs).fmt(Format::DateTime).unwrap_or_else(|_| secs.to_string())
}

fn date(secs: i64) -> String {
    rfc3339(secs).chars().take(10).collect()
}

/// Whole days from `from` to `to` (0 when `to` is earlier).
pub fn whole_days(from: i64, to: i64) -> i64 {
    (to - from).max(0) / DAY
}

/// What the audit knows about one access key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyFacts {
    /// Created at (seconds since the epoch).
    pub created: i64,
    /// Last used at, when IAM recorded a use.
    pub last_used: Option<i64>,
    /// Status `Active`.
    pub active: bool,
}

/// The findings for one access key at `as_of`: (rule, severity, detail). Only active keys are
/// findings (an inactive key cannot sign requests). Too old: created more than `max_age_days`
/// ago. Unused: last used more than `max_unused_days` ago, or never used and created more than
/// `max_unused_days` ago.
pub fn key_findings(
    key: &KeyFacts,
    as_of: i64,
    max_age_days: u32,
    max_unused_days: u32,
) -> Vec<(&'static str, Severity, String)> {
    let mut out = Vec::new();
    if !key.active {
        return out;
    }
    let age = whole_days(key.created, as_of);
    if age > i64::from(max_age_days) {
        out.push((
            rule::KEY_TOO_OLD,
            Severity::High,
            format!("active key created {} is {age} days old (maximum {max_age_days}); rotate it", date(key.created)),
        ));
    }
    match key.last_used {
        Some(used) => {
            let idle = whole_days(used, as_of);
            if idle > i64::from(max_unused_days) {
                out.push((
                    rule::KEY_UNUSED,
                    Severity::Medium,
                    format!(
                        "active key last used {} ({idle} days before; maximum {max_unused_days}); deactivate it",
                        date(used)
                    ),
                ));
            }
        }
        None if age > i64::from(max_unused_days) => out.push((
            rule::KEY_UNUSED,
            Severity::Medium,
            format!(
                "active key never used since it was created {} ({age} days; maximum {max_unused_days}); deactivate it",
                date(key.created)
            ),
        )),
        None => {}
    }
    out
}

/// How `live` (None: no password policy is set) is weaker than `want`; empty when it meets or
/// exceeds it. Compared: minimum length, the four character classes, maximum age (0 = never
/// expires), and reuse prevention. Whether users may change their own password is not a
/// strength and is not compared.
pub fn password_weaknesses(live: Option<&PasswordPolicy>, want: &PasswordPolicy) -> Vec<String> {
    let Some(live) = live else {
        return vec![
            "no password policy is set (IAM then allows 8-character passwords with no required character classes, no expiry and no reuse prevention)"
                .to_owned(),
        ];
    };
    let mut out = Vec::new();
    if live.min_length < want.min_length {
        out.push(format!("minimum length {} (blueprint: {})", live.min_length, want.min_length));
    }
    for (wanted, has, what) in [
        (want.require_uppercase, live.require_uppercase, "uppercase letters"),
        (want.require_lowercase, live.require_lowercase, "lowercase letters"),
        (want.require_numbers, live.require_numbers, "numbers"),
        (want.require_symbols, live.require_symbols, "symbols"),
    ] {
        if wanted && !has {
            out.push(format!("does not require {what}"));
        }
    }
    if want.max_age_days > 0 {
        if live.max_age_days == 0 {
            out.push(format!("passwords never expire (blueprint: {} days)", want.max_age_days));
        } else if live.max_age_days > want.max_age_days {
            out.push(format!("passwords expire after {} days (blueprint: {})", live.max_age_days, want.max_age_days));
        }
    }
    if live.reuse_prevention < want.reuse_prevention {
        out.push(format!(
            "remembers {} previous passwords (blueprint: {})",
            live.reuse_prevention, want.reuse_prevention
        ));
    }
    out
}

/// One audited account.
#[derive(Debug, Clone, Serialize)]
pub struct AccountAudit {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// The organization's management account.
    pub management: bool,
    /// IAM users found.
    pub users: usize,
    /// Access keys found (any status).
    pub access_keys: usize,
    /// Whether the password policy was checked here.
    pub password_policy_checked: bool,
    /// Findings in this account (not counting ignored ones).
    pub findings: usize,
    /// Why the account could not be (fully) read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Counts of the findings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct AuditSummary {
    /// Accounts audited (active ones).
    pub accounts: usize,
    /// Accounts with at least one finding.
    pub accounts_with_findings: usize,
    /// Accounts that could not be read.
    pub accounts_failed: usize,
    /// IAM users found.
    pub users: usize,
    /// Access keys found.
    pub access_keys: usize,
    /// Findings (ignored ones excluded).
    pub findings: usize,
    /// By severity.
    pub critical: usize,
    /// By severity.
    pub high: usize,
    /// By severity.
    pub medium: usize,
    /// By severity.
    pub low: usize,
    /// Findings covered by an accepted exception.
    pub ignored: usize,
}

impl AuditSummary {
    /// Findings of one severity.
    pub fn count(&self, s: Severity) -> usize {
        match s {
            Severity::Critical => self.critical,
            Severity::High => self.high,
            Severity::Medium => self.medium,
            Severity::Low => self.low,
        }
    }
}

/// The result of an audit.
#[derive(Debug, Clone, Serialize)]
pub struct AuditReport {
    /// [`AUDIT_FORMAT_VERSION`].
    pub format_version: u32,
    /// `o-…`
    pub organization_id: String,
    /// The management account's id.
    pub management_account_id: String,
    /// When ages were evaluated (RFC 3339).
    pub as_of: String,
    /// Thresholds in days.
    pub max_key_age_days: u32,
    /// Thresholds in days.
    pub max_unused_days: u32,
    /// The accepted exceptions in force (`RULE` or `RULE@ACCOUNT_ID`).
    pub ignore: Vec<String>,
    /// Counts.
    pub summary: AuditSummary,
    /// Every audited account, by name.
    pub accounts: Vec<AccountAudit>,
    /// The findings, most severe first, then by account name, rule and subject.
    pub findings: Vec<Finding>,
    /// Findings covered by `ignore`, in the same order.
    pub ignored: Vec<Finding>,
}

impl AuditReport {
    /// No finding and every account read.
    pub fn is_clean(&self) -> bool {
        self.findings.is_empty() && self.summary.accounts_failed == 0
    }

    /// The access keys `--enforce` deactivates: those of `key-too-old` and `key-unused` findings
    /// (not ignored ones), once each, with the rules that flag them.
    pub fn keys_to_deactivate(&self) -> Vec<KeyRef> {
        let mut keys: BTreeMap<(String, String), KeyRef> = BTreeMap::new();
        for f in &self.findings {
            if f.rule != rule::KEY_TOO_OLD && f.rule != rule::KEY_UNUSED {
                continue;
            }
            let (Some(user), Some(key)) = (&f.user, &f.access_key_id) else { continue };
            keys.entry((f.account_id.clone(), key.clone()))
                .or_insert_with(|| KeyRef {
                    account_id: f.account_id.clone(),
                    account_name: f.account_name.clone(),
                    user: user.clone(),
                    access_key_id: key.clone(),
                    rules: Vec::new(),
                })
                .rules
                .push(f.rule.clone());
        }
        keys.into_values().collect()
    }
}

/// An access key to deactivate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyRef {
    /// Account id.
    pub account_id: String,
    /// Account name.
    pub account_name: String,
    /// The IAM user.
    pub user: String,
    /// The key id.
    pub access_key_id: String,
    /// Why (rules).
    pub rules: Vec<String>,
}

/// What happened to one key under `--enforce`.
#[derive(Debug, Clone, Serialize)]
pub struct Deactivation {
    /// The key.
    #[serde(flatten)]
    pub key: KeyRef,
    /// The status read back from IAM after the change (`Inactive` when it worked).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Why it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl Deactivation {
    /// Read back as `Inactive`.
    pub fn succeeded(&self) -> bool {
        self.error.is_none() && self.status.as_deref() == Some("Inactive")
    }
}

/// What one account's reads found.
struct AccountResult {
    users: usize,
    access_keys: usize,
    findings: Vec<Finding>,
}

fn no_such_entity(e: &ProviderError) -> bool {
    e.code.as_deref() == Some("NoSuchEntity")
}

fn to_u32(v: Option<i32>) -> u32 {
    v.and_then(|n| u32::try_from(n).ok()).unwrap_or(0)
}

impl Aws {
    /// Audits every ACTIVE account of the organization (read-only; [`AUDIT_CONCURRENCY`]
    /// accounts at a time). An account that cannot be read is reported in its
    /// [`AccountAudit::error`] and counted in [`AuditSummary::accounts_failed`]; the others are
    /// still audited.
    pub async fn audit(&self, live: &Live, policy: &AuditPolicy) -> Result<AuditReport, AwsError> {
        let Some(org) = &live.organization else {
            return Err(AwsError::call(
                "auditing the organization",
                crate::organizations::internal("the caller's account is not in an organization"),
            ));
        };
        let management = org.management_account_id.clone();
        let policy = Arc::new(policy.clone());
        let gate = Arc::new(Semaphore::new(AUDIT_CONCURRENCY));
        let mut tasks = JoinSet::new();
        for account in live.accounts.iter().filter(|a| a.status == "ACTIVE") {
            let (aws, gate, policy, management, account) =
                (self.clone(), Arc::clone(&gate), Arc::clone(&policy), management.clone(), account.clone());
            tasks.spawn(async move {
                let _permit = gate.acquire_owned().await;
                let result = Box::pin(aws.audit_account(&account, &management, &policy)).await;
                (account, result)
            });
        }
        let mut accounts = Vec::new();
        let mut all = Vec::new();
        while let Some(joined) = tasks.join_next().await {
            let (account, result) = joined
                .map_err(|e| AwsError::call("auditing accounts", crate::organizations::internal(&e.to_string())))?;
            let mut audited = AccountAudit {
                id: account.id.clone(),
                name: account.name.clone(),
                management: account.id == management,
                users: 0,
                access_keys: 0,
                password_policy_checked: policy.password_scope.includes(&account.id),
                findings: 0,
                error: None,
            };
            match result {
                Ok(r) => {
                    audited.users = r.users;
                    audited.access_keys = r.access_keys;
                    all.extend(r.findings);
                }
                Err(e) => audited.error = Some(e.to_string()),
            }
            accounts.push(audited);
        }
        accounts.sort_by(|a, b| (&a.name, &a.id).cmp(&(&b.name, &b.id)));
        all.sort_by(|a, b| {
            (a.severity, &a.account_name, &a.account_id, &a.rule, &a.subject).cmp(&(
                b.severity,
                &b.account_name,
                &b.account_id,
                &b.rule,
                &b.subject,
            ))
        });
        let (ignored, findings): (Vec<Finding>, Vec<Finding>) =
            all.into_iter().partition(|f| policy.ignore.iter().any(|i| i.covers(f)));
        for a in &mut accounts {
            a.findings = findings.iter().filter(|f| f.account_id == a.id).count();
        }
        let by = |s: Severity| findings.iter().filter(|f| f.severity == s).count();
        let summary = AuditSummary {
            accounts: accounts.len(),
            accounts_with_findings: accounts.iter().filter(|a| a.findings > 0).count(),
            accounts_failed: accounts.iter().filter(|a| a.error.is_some()).count(),
            users: accounts.iter().map(|a| a.users).sum(),
            access_keys: accounts.iter().map(|a| a.access_keys).sum(),
            findings: findings.len(),
            critical: by(Severity::Critical),
            high: by(Severity::High),
            medium: by(Severity::Medium),
            low: by(Severity::Low),
            ignored: ignored.len(),
        };
        Ok(AuditReport {
            format_version: AUDIT_FORMAT_VERSION,
            organization_id: org.id.clone(),
            management_account_id: management,
            as_of: rfc3339(policy.as_of_secs()),
            max_key_age_days: policy.max_key_age_days,
            max_unused_days: policy.max_unused_days,
            ignore: policy.ignore.iter().map(ToString::to_string).collect(),
            summary,
            accounts,
            findings,
            ignored,
        })
    }

    async fn audit_account(
        &self,
        account: &LiveAccount,
        management: &str,
        policy: &AuditPolicy,
    ) -> Result<AccountResult, ProviderError> {
        let c = self.account(&account.id, management).await?;
        let finding = |severity: Severity, rule: &str, subject: &str, detail: String| Finding {
            account_id: account.id.clone(),
            account_name: account.name.clone(),
            severity,
            rule: rule.to_owned(),
            subject: subject.to_owned(),
            detail,
            user: None,
            access_key_id: None,
        };
        let mut findings = Vec::new();

        // The root user.
        let summary =
            self.run("iam:GetAccountSummary", Idempotency::Safe, || c.iam.get_account_summary().send()).await?;
        let value = |k: SummaryKeyType| summary.summary_map().and_then(|m| m.get(&k)).copied().unwrap_or(0);
        if value(SummaryKeyType::AccountAccessKeysPresent) > 0 {
            findings.push(finding(
                Severity::Critical,
                rule::ROOT_ACCESS_KEYS,
                "root",
                "the root user has access keys; delete them (root keys cannot be limited by any policy)".into(),
            ));
        }
        let is_management = account.id == management;
        if value(SummaryKeyType::AccountMfaEnabled) == 0 && (is_management || policy.member_root_mfa) {
            let (severity, detail) = if is_management {
                (
                    Severity::Critical,
                    "the management account's root user has no MFA device; no service control policy can restrict it",
                )
            } else {
                (Severity::High, "the root user has no MFA device")
            };
            findings.push(finding(severity, rule::ROOT_MFA, "root", detail.into()));
        }

        // The password policy, where the blueprint applies it.
        if policy.password_scope.includes(&account.id) {
            let live = self.password_policy(&c).await?;
            let weak = password_weaknesses(live.as_ref(), &policy.password_policy);
            if !weak.is_empty() {
                findings.push(finding(Severity::Medium, rule::PASSWORD_POLICY, "password policy", weak.join("; ")));
            }
        }

        // IAM users.
        let users = self.list_users(&c).await?;
        let mut access_keys = 0;
        let as_of = policy.as_of_secs();
        for user in &users {
            let (keys, profile, attached, inline) = tokio::join!(
                self.run("iam:ListAccessKeys", Idempotency::Safe, || c.iam.list_access_keys().user_name(user).send()),
                self.run("iam:GetLoginProfile", Idempotency::Safe, || c.iam.get_login_profile().user_name(user).send()),
                // At most 10 (20 with a raised quota) managed policies per user: one page of 100.
                self.run("iam:ListAttachedUserPolicies", Idempotency::Safe, || {
                    c.iam.list_attached_user_policies().user_name(user).send()
                }),
                self.list_user_policies(&c, user),
            );
            let user_finding =
                |severity, rule, detail| Finding { user: Some(user.clone()), ..finding(severity, rule, user, detail) };
            // At most two keys per user.
            for key in keys?.access_key_metadata() {
                access_keys += 1;
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
                let facts = KeyFacts { created: key.create_date().map_or(as_of, DateTime::secs), last_used, active };
                for (rule, severity, detail) in
                    key_findings(&facts, as_of, policy.max_key_age_days, policy.max_unused_days)
                {
                    findings.push(Finding {
                        subject: format!("{user}/{id}"),
                        access_key_id: Some(id.to_owned()),
                        ..user_finding(severity, rule, detail)
                    });
                }
            }
            let console = match profile {
                Ok(_) => true,
                Err(e) if no_such_entity(&e) => false,
                Err(e) => return Err(e),
            };
            // At most eight devices per user: one page.
            let mfa = self
                .run("iam:ListMFADevices", Idempotency::Safe, || c.iam.list_mfa_devices().user_name(user).send())
                .await?;
            let devices: Vec<&str> =
                mfa.mfa_devices().iter().map(aws_sdk_iam::types::MfaDevice::serial_number).collect();
            if console && devices.is_empty() {
                findings.push(user_finding(
                    Severity::High,
                    rule::CONSOLE_WITHOUT_MFA,
                    "can sign in to the console with a password alone: no MFA device".into(),
                ));
            }
            if devices.len() > 1 {
                findings.push(user_finding(
                    Severity::Medium,
                    rule::SEVERAL_MFA_DEVICES,
                    format!(
                        "has {} MFA devices ({}); check that the person enrolled each of them",
                        devices.len(),
                        devices.join(", ")
                    ),
                ));
            }
            let attached: Vec<String> = attached?
                .attached_policies()
                .iter()
                .map(|p| p.policy_name().or(p.policy_arn()).unwrap_or_default().to_owned())
                .collect();
            let inline = inline?;
            if !attached.is_empty() || !inline.is_empty() {
                let mut parts = Vec::new();
                if !attached.is_empty() {
                    parts.push(format!("attached: {}", attached.join(", ")));
                }
                if !inline.is_empty() {
                    parts.push(format!("inline: {}", inline.join(", ")));
                }
                findings.push(user_finding(
                    Severity::Medium,
                    rule::USER_DIRECT_POLICY,
                    format!("has policies of its own ({}); grant permissions through groups", parts.join("; ")),
                ));
            }
        }
        Ok(AccountResult { users: users.len(), access_keys, findings })
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

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_780_000_000; // 2026-05-28

    fn key(created_days_ago: i64, last_used_days_ago: Option<i64>, active: bool) -> KeyFacts {
        KeyFacts { created: NOW - created_days_ago * DAY, last_used: last_used_days_ago.map(|d| NOW - d * DAY), active }
    }

    fn rules(found: &[(&'static str, Severity, String)]) -> Vec<&'static str> {
        found.iter().map(|(r, _, _)| *r).collect()
    }

    #[test]
    fn a_fresh_used_key_is_compliant() {
        assert!(key_findings(&key(10, Some(1), true), NOW, 90, 90).is_empty());
    }

    #[test]
    fn age_is_strictly_over_the_maximum() {
        assert!(key_findings(&key(90, Some(0), true), NOW, 90, 90).is_empty(), "exactly 90 days is still fine");
        let found = key_findings(&key(91, Some(0), true), NOW, 90, 90);
        assert_eq!(rules(&found), [rule::KEY_TOO_OLD]);
        assert_eq!(found[0].1, Severity::High);
        assert!(found[0].2.contains("91 days old (maximum 90)"), "{}", found[0].2);
    }

    #[test]
    fn unused_counts_from_the_last_use() {
        let found = key_findings(&key(200, Some(120), true), NOW, 365, 90);
        assert_eq!(rules(&found), [rule::KEY_UNUSED]);
        assert!(found[0].2.contains("120 days before; maximum 90"), "{}", found[0].2);
        assert!(key_findings(&key(200, Some(30), true), NOW, 365, 90).is_empty());
    }

    #[test]
    fn a_never_used_key_is_unused_once_older_than_the_threshold() {
        assert!(key_findings(&key(30, None, true), NOW, 90, 45).is_empty());
        let found = key_findings(&key(60, None, true), NOW, 90, 45);
        assert_eq!(rules(&found), [rule::KEY_UNUSED]);
        assert!(found[0].2.contains("never used"), "{}", found[0].2);
        let both = key_findings(&key(100, None, true), NOW, 90, 90);
        assert_eq!(rules(&both), [rule::KEY_TOO_OLD, rule::KEY_UNUSED]);
    }

    #[test]
    fn inactive_keys_are_not_findings() {
        assert!(key_findings(&key(1000, None, false), NOW, 90, 90).is_empty());
    }

    #[test]
    fn a_key_created_after_as_of_is_zero_days_old() {
        assert_eq!(whole_days(NOW + DAY, NOW), 0);
        assert!(key_findings(&key(-5, None, true), NOW, 0, 0).is_empty());
    }

    #[test]
    fn thresholds_move_with_as_of() {
        let k = key(0, None, true);
        assert!(key_findings(&k, NOW, 90, 90).is_empty());
        assert_eq!(rules(&key_findings(&k, NOW + 100 * DAY, 90, 90)), [rule::KEY_TOO_OLD, rule::KEY_UNUSED]);
    }

    #[test]
    fn the_default_policy_meets_itself_and_stronger_ones_pass() {
        let want = PasswordPolicy::default();
        assert!(password_weaknesses(Some(&want), &want).is_empty());
        let stronger = PasswordPolicy {
            min_length: 20,
            max_age_days: 30,
            reuse_prevention: 24,
            allow_users_to_change: false,
            ..want
        };
        assert!(password_weaknesses(Some(&stronger), &want).is_empty());
    }

    #[test]
    fn a_missing_policy_is_weaker() {
        let weak = password_weaknesses(None, &PasswordPolicy::default());
        assert_eq!(weak.len(), 1);
        assert!(weak[0].starts_with("no password policy is set"), "{weak:?}");
    }

    #[test]
    fn every_weaker_part_is_named() {
        let want = PasswordPolicy::default();
        let live = PasswordPolicy {
            min_length: 8,
            require_uppercase: false,
            require_lowercase: true,
            require_numbers: false,
            require_symbols: true,
            max_age_days: 0,
            reuse_prevention: 5,
            allow_users_to_change: true,
        };
        assert_eq!(
            password_weaknesses(Some(&live), &want),
            [
                "minimum length 8 (blueprint: 14)",
                "does not require uppercase letters",
                "does not require numbers",
                "passwords never expire (blueprint: 90 days)",
                "remembers 5 previous passwords (blueprint: 24)",
            ]
        );
        let long_expiry = PasswordPolicy { max_age_days: 180, ..want };
        assert_eq!(password_weaknesses(Some(&long_expiry), &want), ["passwords expire after 180 days (blueprint: 90)"]);
    }

    #[test]
    fn no_expiry_wanted_accepts_any_expiry() {
        let want = PasswordPolicy { max_age_days: 0, ..PasswordPolicy::default() };
        let live = PasswordPolicy { max_age_days: 0, ..want };
        assert!(password_weaknesses(Some(&live), &want).is_empty());
        let classes_off = PasswordPolicy {
            require_uppercase: false,
            require_lowercase: false,
            require_numbers: false,
            require_symbols: false,
            ..want
        };
        assert!(password_weaknesses(Some(&want), &classes_off).is_empty(), "a stronger live policy is fine");
    }

    fn finding(rule: &str, account: &str, key: Option<&str>) -> Finding {
        Finding {
            account_id: account.into(),
            account_name: "acct".into(),
            severity: Severity::High,
            rule: rule.into(),
            subject: "s".into(),
            detail: "d".into(),
            user: key.map(|_| "u".to_owned()),
            access_key_id: key.map(str::to_owned),
        }
    }

    #[test]
    fn ignore_parses_and_matches_rule_and_account() {
        let any: Ignore = "root-mfa".parse().unwrap();
        let one: Ignore = "root-mfa@123456789012".parse().unwrap();
        assert!(any.covers(&finding("root-mfa", "111111111111", None)));
        assert!(one.covers(&finding("root-mfa", "123456789012", None)));
        assert!(!one.covers(&finding("root-mfa", "111111111111", None)));
        assert!(!any.covers(&finding("key-unused", "111111111111", None)));
        assert_eq!(one.to_string(), "root-mfa@123456789012");
        assert!("root".parse::<Ignore>().unwrap_err().contains("unknown rule `root`"));
        assert!("root-mfa@12".parse::<Ignore>().unwrap_err().contains("not a 12-digit account id"));
    }

    #[test]
    fn keys_to_deactivate_are_deduplicated_with_their_rules() {
        let report = AuditReport {
            format_version: AUDIT_FORMAT_VERSION,
            organization_id: "o-x".into(),
            management_account_id: "123456789012".into(),
            as_of: rfc3339(NOW),
            max_key_age_days: 90,
            max_unused_days: 90,
            ignore: vec![],
            summary: AuditSummary::default(),
            accounts: vec![],
            findings: vec![
                finding(rule::KEY_TOO_OLD, "111111111111", Some("AKIA1")),
                finding(rule::KEY_UNUSED, "111111111111", Some("AKIA1")),
                finding(rule::KEY_UNUSED, "111111111111", Some("AKIA2")),
                finding(rule::CONSOLE_WITHOUT_MFA, "111111111111", None),
            ],
            ignored: vec![],
        };
        let keys = report.keys_to_deactivate();
        assert_eq!(keys.len(), 2);
        assert_eq!(keys[0].access_key_id, "AKIA1");
        assert_eq!(keys[0].rules, [rule::KEY_TOO_OLD, rule::KEY_UNUSED]);
        assert_eq!(keys[1].rules, [rule::KEY_UNUSED]);
    }

    fn blueprint(identity: &str) -> Blueprint {
        let text = format!(
            "version: 1
organization:
  name: t
  home_region: us-east-1
  management_account:
    email: master@example.com
organizational_units:
  - name: Security
accounts:
  - name: hub
    email: aws+hub@t.example
    ou: Security
    purpose: identity
  - name: other
    email: aws+other@t.example
    ou: Security
{identity}"
        );
        match groundwork_blueprint::parse("t.yaml", text.as_bytes()) {
            Ok(p) => p.blueprint,
            Err(d) => panic!("{:?}", d.items.iter().map(|i| &i.message).collect::<Vec<_>>()),
        }
    }

    fn live() -> Live {
        let account = |id: &str, email: &str| LiveAccount {
            id: id.into(),
            name: email.into(),
            email: email.into(),
            status: "ACTIVE".into(),
            parent: groundwork_blueprint::OuPath::root(),
            tags: groundwork_blueprint::Tags::new(),
        };
        Live {
            organization: Some(groundwork_plan::LiveOrganization {
                id: "o-test".into(),
                feature_set: "ALL".into(),
                management_account_id: "123456789012".into(),
                management_email: "master@example.com".into(),
                root_id: "r-test".into(),
            }),
            accounts: vec![
                account("123456789012", "master@example.com"),
                account("111111111111", "aws+hub@t.example"),
                account("222222222222", "aws+other@t.example"),
            ],
            ..Live::default()
        }
    }

    #[test]
    fn the_password_policy_is_checked_where_the_blueprint_applies_it() {
        let ids = |s: &[&str]| PasswordScope::Accounts(s.iter().map(|x| (*x).to_owned()).collect());
        let none = AuditPolicy::for_blueprint(&blueprint(""), &live(), SystemTime::UNIX_EPOCH);
        assert_eq!(none.password_scope, PasswordScope::Everywhere);
        assert_eq!(none.password_policy, PasswordPolicy::default());
        assert_eq!((none.max_key_age_days, none.max_unused_days, none.member_root_mfa), (90, 90, false));

        let hub = AuditPolicy::for_blueprint(
            &blueprint("identity:\n  account: hub\n  password_policy:\n    min_length: 20\n"),
            &live(),
            SystemTime::UNIX_EPOCH,
        );
        assert_eq!(hub.password_scope, ids(&["111111111111"]));
        assert_eq!(hub.password_policy.min_length, 20);
        assert_eq!(hub.password_policy.reuse_prevention, 24, "unset keys keep their defaults");

        let everywhere = AuditPolicy::for_blueprint(
            &blueprint("identity:\n  account: hub\n  password_policy:\n    apply_to_all_accounts: true\n"),
            &live(),
            SystemTime::UNIX_EPOCH,
        );
        assert_eq!(everywhere.password_scope, PasswordScope::Everywhere);

        let management = AuditPolicy::for_blueprint(
            &blueprint("identity:\n  account: management\n"),
            &live(),
            SystemTime::UNIX_EPOCH,
        );
        assert_eq!(management.password_scope, ids(&["123456789012"]));

        // A hub that does not exist yet: nothing to check.
        let mut without_hub = live();
        without_hub.accounts.retain(|a| a.id != "111111111111");
        let missing =
            AuditPolicy::for_blueprint(&blueprint("identity:\n  account: hub\n"), &without_hub, SystemTime::UNIX_EPOCH);
        assert_eq!(missing.password_scope, ids(&[]));
    }

    #[test]
    fn dates_are_rfc3339_utc() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(date(NOW), "2026-05-28");
    }
}
