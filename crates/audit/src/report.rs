//! The report: [`AuditReport::evaluate`] turns what was read in every account into findings,
//! applies the accepted exceptions, counts and sorts; plus the keys `--enforce` deactivates and
//! what happened to each. Its JSON is the `audit --json` document (docs/audit.md "Output").

use std::collections::BTreeMap;

use groundwork_blueprint::Severity;
use serde::Serialize;

use crate::evaluate::{account_findings, rfc3339};
use crate::policy::AuditPolicy;
use crate::read::AccountRead;
use crate::rule::Rule;

/// Version of the serialized [`AuditReport`]; bumped on any change a consumer must know.
pub const AUDIT_FORMAT_VERSION: u32 = 1;

/// One non-compliant credential or setting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The account's id.
    pub account_id: String,
    /// The account's name.
    pub account_name: String,
    /// How bad it is (the rule's, except a member account's `root-mfa`).
    pub severity: Severity,
    /// The rule.
    pub rule: Rule,
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
    /// For a sandbox of the blueprint's `sandbox` section: what limits it (the instance types
    /// `sandbox-limits` allows, the budget and whom it tells).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sandbox: Option<String>,
    /// For such a sandbox: what was found (`sandbox-limits` attached or not, the budget read
    /// back), see [`crate::sandbox`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sandbox_found: Option<String>,
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
    /// Findings of one severity (0 for the diagnostic severities, which findings never have).
    pub fn count(&self, s: Severity) -> usize {
        match s {
            Severity::Critical => self.critical,
            Severity::High => self.high,
            Severity::Medium => self.medium,
            Severity::Low => self.low,
            Severity::Error | Severity::Warning => 0,
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
    /// Programmatic users' keys groundwork created, with where each is in its lifecycle
    /// ([`AuditReport::apply_lifecycle`]); absent from the JSON when there are none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rotation: Vec<crate::lifecycle::KeyLifecycle>,
    /// Member accounts' root user credentials, with the blueprint's `root_access` section
    /// ([`AuditReport::apply_member_roots`]); absent from the JSON without it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub member_roots: Option<crate::member_root::MemberRoots>,
}

/// Most severe first, then by account name, account id, rule and subject.
pub(crate) fn sort_findings(findings: &mut [Finding]) {
    findings.sort_by(|a, b| {
        (a.severity, &a.account_name, &a.account_id, a.rule.id(), &a.subject).cmp(&(
            b.severity,
            &b.account_name,
            &b.account_id,
            b.rule.id(),
            &b.subject,
        ))
    });
}

impl AuditReport {
    /// Judges what was read in each account of organization `organization_id` against `policy`:
    /// an account that could not be read is listed with its error and counted in
    /// [`AuditSummary::accounts_failed`]; findings covered by [`AuditPolicy::ignore`] go to
    /// [`ignored`](Self::ignored).
    pub fn evaluate(
        organization_id: &str,
        management_account_id: &str,
        policy: &AuditPolicy,
        reads: &[AccountRead],
    ) -> AuditReport {
        let mut accounts = Vec::new();
        let mut all = Vec::new();
        for read in reads {
            let mut audited = AccountAudit {
                id: read.id.clone(),
                name: read.name.clone(),
                management: read.id == management_account_id,
                users: 0,
                access_keys: 0,
                password_policy_checked: policy.password_scope.includes(&read.id),
                findings: 0,
                error: None,
                sandbox: None,
                sandbox_found: None,
            };
            match &read.credentials {
                Ok(c) => {
                    audited.users = c.users.len();
                    audited.access_keys = c.users.iter().map(|u| u.access_keys.len()).sum();
                    all.extend(account_findings(&read.id, &read.name, c, policy, management_account_id));
                }
                Err(e) => audited.error = Some(e.clone()),
            }
            accounts.push(audited);
        }
        accounts.sort_by(|a, b| (&a.name, &a.id).cmp(&(&b.name, &b.id)));
        sort_findings(&mut all);
        let (ignored, findings): (Vec<Finding>, Vec<Finding>) =
            all.into_iter().partition(|f| policy.ignore.iter().any(|i| i.covers(f)));
        let summary = summarize(&mut accounts, &findings, &ignored);
        AuditReport {
            format_version: AUDIT_FORMAT_VERSION,
            organization_id: organization_id.to_owned(),
            management_account_id: management_account_id.to_owned(),
            as_of: rfc3339(policy.as_of_secs()),
            max_key_age_days: policy.max_key_age_days,
            max_unused_days: policy.max_unused_days,
            ignore: policy.ignore.iter().map(ToString::to_string).collect(),
            summary,
            accounts,
            findings,
            ignored,
            rotation: Vec::new(),
            member_roots: None,
        }
    }

    /// Counts the findings again (after [`AuditReport::apply_lifecycle`] took some out).
    pub(crate) fn recount(&mut self) {
        self.summary = summarize(&mut self.accounts, &self.findings, &self.ignored);
    }

    /// No finding and every account read (member roots too, where they are read).
    pub fn is_clean(&self) -> bool {
        self.findings.is_empty() && self.summary.accounts_failed == 0 && self.member_roots_failed() == 0
    }

    /// The access keys `--enforce` deactivates: those of `key-too-old` and `key-unused` findings
    /// (not ignored ones), once each, with the rules that flag them.
    pub fn keys_to_deactivate(&self) -> Vec<KeyRef> {
        let mut keys: BTreeMap<(String, String), KeyRef> = BTreeMap::new();
        for f in self.findings.iter().filter(|f| f.rule.deactivates_key()) {
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
                .push(f.rule);
        }
        keys.into_values().collect()
    }
}

/// The per-account finding counts, and the summary.
fn summarize(accounts: &mut [AccountAudit], findings: &[Finding], ignored: &[Finding]) -> AuditSummary {
    for a in accounts.iter_mut() {
        a.findings = findings.iter().filter(|f| f.account_id == a.id).count();
    }
    let by = |s: Severity| findings.iter().filter(|f| f.severity == s).count();
    AuditSummary {
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
    /// Why.
    pub rules: Vec<Rule>,
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

#[cfg(test)]
mod tests {
    use groundwork_blueprint::PasswordPolicy;

    use super::*;
    use crate::evaluate::tests::policy;
    use crate::policy::{Ignore, PasswordScope};
    use crate::read::{AccessKey, AccountCredentials, PasswordPolicyRead, RootCredentials, UserCredentials};

    const NOW: i64 = 1_780_000_000;

    fn finding(rule: Rule, account: &str, key: Option<&str>) -> Finding {
        Finding {
            account_id: account.into(),
            account_name: "acct".into(),
            severity: Severity::High,
            rule,
            subject: "s".into(),
            detail: "d".into(),
            user: key.map(|_| "u".to_owned()),
            access_key_id: key.map(str::to_owned),
        }
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
                finding(Rule::KeyTooOld, "111111111111", Some("AKIA1")),
                finding(Rule::KeyUnused, "111111111111", Some("AKIA1")),
                finding(Rule::KeyUnused, "111111111111", Some("AKIA2")),
                finding(Rule::ConsoleWithoutMfa, "111111111111", None),
            ],
            ignored: vec![],
            rotation: vec![],
            member_roots: None,
        };
        let keys = report.keys_to_deactivate();
        assert_eq!(keys.len(), 2);
        assert_eq!(keys[0].access_key_id, "AKIA1");
        assert_eq!(keys[0].rules, [Rule::KeyTooOld, Rule::KeyUnused]);
        assert_eq!(keys[1].rules, [Rule::KeyUnused]);
    }

    fn read(id: &str, name: &str, credentials: Result<AccountCredentials, String>) -> AccountRead {
        AccountRead { id: id.into(), name: name.into(), credentials }
    }

    #[test]
    fn the_report_counts_sorts_and_sets_ignored_findings_apart() {
        let weak = AccountCredentials {
            root: RootCredentials { access_keys_present: false, mfa_enabled: false },
            password_policy: PasswordPolicyRead::Missing,
            users: vec![UserCredentials {
                name: "ci".into(),
                access_keys: vec![AccessKey { id: "AKIA1".into(), active: true, created: Some(0), last_used: None }],
                console_password: false,
                mfa_devices: vec![],
                attached_policies: vec![],
                inline_policies: vec![],
            }],
        };
        let mut policy =
            AuditPolicy { password_scope: PasswordScope::Accounts(["222222222222".to_owned()].into()), ..policy() };
        policy.password_policy = PasswordPolicy::default();
        policy.ignore = vec!["root-mfa@123456789012".parse::<Ignore>().unwrap()];
        let reads = [
            read("222222222222", "workload", Ok(weak.clone())),
            read("123456789012", "management", Ok(weak)),
            read("333333333333", "broken", Err("AccessDenied".into())),
        ];
        let report = AuditReport::evaluate("o-x", "123456789012", &policy, &reads);
        let rows: Vec<(Severity, &str, &str)> =
            report.findings.iter().map(|f| (f.severity, f.account_name.as_str(), f.rule.id())).collect();
        assert_eq!(
            rows,
            [
                (Severity::High, "management", "key-too-old"),
                (Severity::High, "workload", "key-too-old"),
                (Severity::Medium, "management", "key-unused"),
                (Severity::Medium, "workload", "key-unused"),
                (Severity::Medium, "workload", "password-policy"),
            ]
        );
        assert_eq!(report.ignored.len(), 1);
        assert_eq!(report.ignored[0].rule, Rule::RootMfa);
        let names: Vec<&str> = report.accounts.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(names, ["broken", "management", "workload"]);
        assert_eq!(report.accounts[0].error.as_deref(), Some("AccessDenied"));
        assert!(report.accounts[2].password_policy_checked && !report.accounts[1].password_policy_checked);
        assert_eq!(
            report.summary,
            AuditSummary {
                accounts: 3,
                accounts_with_findings: 2,
                accounts_failed: 1,
                users: 2,
                access_keys: 2,
                findings: 5,
                critical: 0,
                high: 2,
                medium: 3,
                low: 0,
                ignored: 1,
            }
        );
        assert_eq!(report.ignore, ["root-mfa@123456789012"]);
        assert!(!report.is_clean());
        let json = serde_json::to_value(&report.findings[0]).unwrap();
        assert_eq!((json["severity"].as_str(), json["rule"].as_str()), (Some("high"), Some("key-too-old")));
    }
}
