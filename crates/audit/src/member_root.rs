//! Member accounts' root user credentials, with IAM's centralized root access: what a
//! privileged root session (`IAMAuditRootUserCredentials`) finds in each active member account
//! ([`MemberRoots`]), judged by [`Rule::MemberRootCredentials`]
//! ([`AuditReport::apply_member_roots`]), and what `audit --enforce` removes in a session of
//! `IAMDeleteRootUserCredentials` ([`RootRemoval`]). The management account's root is not here:
//! it keeps its credentials and its `root-mfa` check.

use serde::Serialize;

use crate::policy::AuditPolicy;
use crate::report::{AuditReport, Finding, sort_findings};
use crate::rule::Rule;

/// The root user's credentials in one member account.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RootUserCredentials {
    /// A console password (`iam:GetLoginProfile` found a login profile).
    pub password: bool,
    /// Access key ids (`iam:ListAccessKeys`; never a secret).
    pub access_keys: Vec<String>,
    /// MFA device serial numbers (`iam:ListMFADevices`).
    pub mfa_devices: Vec<String>,
    /// Signing certificate ids (`iam:ListSigningCertificates`).
    pub signing_certificates: Vec<String>,
}

impl RootUserCredentials {
    /// No credential at all.
    pub fn is_empty(&self) -> bool {
        !self.password
            && self.access_keys.is_empty()
            && self.mfa_devices.is_empty()
            && self.signing_certificates.is_empty()
    }

    /// Each credential as a short phrase: `password`, `access key AKIA…`, `MFA device arn:…`,
    /// `signing certificate ID`.
    pub fn items(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.password {
            out.push("password".to_owned());
        }
        out.extend(self.access_keys.iter().map(|k| format!("access key {k}")));
        out.extend(self.mfa_devices.iter().map(|d| format!("MFA device {d}")));
        out.extend(self.signing_certificates.iter().map(|c| format!("signing certificate {c}")));
        out
    }
}

/// One active member account's root user, as read, or why it could not be.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MemberRoot {
    /// The account's id.
    pub account_id: String,
    /// The account's name.
    pub account_name: String,
    /// What the root session found.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credentials: Option<RootUserCredentials>,
    /// Why it could not be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The member root credentials part of an audit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum MemberRoots {
    /// Read in a root session per active member account, by account name.
    Checked {
        /// Each member account.
        accounts: Vec<MemberRoot>,
    },
    /// Not read: the audit cannot look (centralized root access is not enabled), and says why.
    NotChecked {
        /// Why.
        reason: String,
    },
}

/// What `--enforce` did in one member account: what it meant to remove, what is left (read
/// back in a new audit session), or why it failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RootRemoval {
    /// The account's id.
    pub account_id: String,
    /// The account's name.
    pub account_name: String,
    /// The credentials it set out to remove.
    pub planned: RootUserCredentials,
    /// What the root user still has afterwards (empty when it worked).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remaining: Option<RootUserCredentials>,
    /// Why it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl RootRemoval {
    /// Nothing is left and nothing failed.
    pub fn succeeded(&self) -> bool {
        self.error.is_none() && self.remaining.as_ref().is_some_and(RootUserCredentials::is_empty)
    }
}

impl AuditReport {
    /// Adds the member root credentials: a [`Rule::MemberRootCredentials`] finding per member
    /// account whose root user has any (or to [`ignored`](Self::ignored) under `--ignore`),
    /// then sorts and counts again.
    pub fn apply_member_roots(&mut self, roots: MemberRoots, policy: &AuditPolicy) {
        if let MemberRoots::Checked { accounts } = &roots {
            for a in accounts {
                let Some(c) = a.credentials.as_ref().filter(|c| !c.is_empty()) else { continue };
                let rule = Rule::MemberRootCredentials;
                let finding = Finding {
                    account_id: a.account_id.clone(),
                    account_name: a.account_name.clone(),
                    severity: rule.severity(),
                    rule,
                    subject: "root".to_owned(),
                    detail: format!(
                        "the member account's root user still has credentials: {}; remove them with `groundwork audit --enforce`",
                        c.items().join(", ")
                    ),
                    user: None,
                    access_key_id: None,
                };
                if policy.ignore.iter().any(|i| i.covers(&finding)) {
                    self.ignored.push(finding);
                } else {
                    self.findings.push(finding);
                }
            }
        }
        sort_findings(&mut self.findings);
        sort_findings(&mut self.ignored);
        self.member_roots = Some(roots);
        self.recount();
    }

    /// The member accounts whose root credentials `--enforce` removes: those with a (not
    /// ignored) [`Rule::MemberRootCredentials`] finding, by account name.
    pub fn root_credentials_to_remove(&self) -> Vec<MemberRoot> {
        let Some(MemberRoots::Checked { accounts }) = &self.member_roots else { return Vec::new() };
        accounts
            .iter()
            .filter(|a| {
                self.findings.iter().any(|f| f.rule == Rule::MemberRootCredentials && f.account_id == a.account_id)
            })
            .cloned()
            .collect()
    }

    /// Member accounts whose root user could not be read.
    pub fn member_roots_failed(&self) -> usize {
        match &self.member_roots {
            Some(MemberRoots::Checked { accounts }) => accounts.iter().filter(|a| a.error.is_some()).count(),
            _ => 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evaluate::tests::policy;
    use crate::policy::Ignore;

    fn root(id: &str, name: &str, c: RootUserCredentials) -> MemberRoot {
        MemberRoot { account_id: id.into(), account_name: name.into(), credentials: Some(c), error: None }
    }

    #[test]
    fn a_member_root_with_credentials_is_a_finding_and_is_to_be_removed() {
        let p = policy();
        let mut report = AuditReport::evaluate("o-1", "123456789012", &p, &[]);
        let key = RootUserCredentials { access_keys: vec!["AKIAROOT".into()], password: true, ..Default::default() };
        report.apply_member_roots(
            MemberRoots::Checked {
                accounts: vec![
                    root("111111111111", "app", key.clone()),
                    root("222222222222", "data", RootUserCredentials::default()),
                ],
            },
            &p,
        );
        assert_eq!(report.findings.len(), 1);
        let f = &report.findings[0];
        assert_eq!(
            (f.rule, f.account_id.as_str(), f.severity),
            (Rule::MemberRootCredentials, "111111111111", Rule::MemberRootCredentials.severity())
        );
        assert!(f.detail.contains("password, access key AKIAROOT"), "{}", f.detail);
        assert_eq!(report.summary.findings, 1);
        let to_remove = report.root_credentials_to_remove();
        assert_eq!(to_remove.len(), 1);
        assert_eq!(to_remove[0].credentials.as_ref(), Some(&key));
    }

    #[test]
    fn an_ignored_member_root_is_neither_counted_nor_removed() {
        let mut p = policy();
        p.ignore = vec!["member-root-credentials@111111111111".parse::<Ignore>().unwrap()];
        let mut report = AuditReport::evaluate("o-1", "123456789012", &p, &[]);
        let key = RootUserCredentials { access_keys: vec!["AKIAROOT".into()], ..Default::default() };
        report.apply_member_roots(MemberRoots::Checked { accounts: vec![root("111111111111", "app", key)] }, &p);
        assert!(report.findings.is_empty());
        assert_eq!(report.ignored.len(), 1);
        assert!(report.root_credentials_to_remove().is_empty());
    }

    #[test]
    fn not_checked_says_why_in_json() {
        let p = policy();
        let mut report = AuditReport::evaluate("o-1", "123456789012", &p, &[]);
        report.apply_member_roots(MemberRoots::NotChecked { reason: "off".into() }, &p);
        let json = serde_json::to_value(&report).unwrap();
        assert_eq!(json["member_roots"], serde_json::json!({ "status": "not-checked", "reason": "off" }));
    }
}
