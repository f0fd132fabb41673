//! The evaluation: what [`crate::read`] found in one account, judged against an
//! [`AuditPolicy`], as [`Finding`]s. Pure: ages are measured at [`AuditPolicy::as_of`], which is
//! how tests (and "what will be non-compliant at the end of the quarter" questions) age keys.

use groundwork_blueprint::{PasswordPolicy, Severity};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::policy::AuditPolicy;
use crate::read::{AccountCredentials, PasswordPolicyRead, UserCredentials};
use crate::report::Finding;
use crate::rule::Rule;

const DAY: i64 = 86_400;

/// `2026-01-31T12:00:00Z` for seconds since the epoch.
pub fn rfc3339(secs: i64) -> String {
    OffsetDateTime::from_unix_timestamp(secs)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| secs.to_string())
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

/// The findings for one access key at `as_of`: (rule, detail). Only active keys are findings
/// (an inactive key cannot sign requests). Too old: created more than `max_age_days` ago.
/// Unused: last used more than `max_unused_days` ago, or never used and created more than
/// `max_unused_days` ago.
pub fn key_findings(key: &KeyFacts, as_of: i64, max_age_days: u32, max_unused_days: u32) -> Vec<(Rule, String)> {
    let mut out = Vec::new();
    if !key.active {
        return out;
    }
    let age = whole_days(key.created, as_of);
    if age > i64::from(max_age_days) {
        out.push((
            Rule::KeyTooOld,
            format!("active key created {} is {age} days old (maximum {max_age_days}); rotate it", date(key.created)),
        ));
    }
    match key.last_used {
        Some(used) => {
            let idle = whole_days(used, as_of);
            if idle > i64::from(max_unused_days) {
                out.push((
                    Rule::KeyUnused,
                    format!(
                        "active key last used {} ({idle} days before; maximum {max_unused_days}); deactivate it",
                        date(used)
                    ),
                ));
            }
        }
        None if age > i64::from(max_unused_days) => out.push((
            Rule::KeyUnused,
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

/// The findings in one account (`id`, `name`), before exceptions are applied: the root user,
/// the password policy where it was read, then each user's keys, console sign-in, MFA devices
/// and policies of its own.
pub fn account_findings(
    id: &str,
    name: &str,
    read: &AccountCredentials,
    policy: &AuditPolicy,
    management_id: &str,
) -> Vec<Finding> {
    let finding = |rule: Rule, subject: &str, detail: String| Finding {
        account_id: id.to_owned(),
        account_name: name.to_owned(),
        severity: rule.severity(),
        rule,
        subject: subject.to_owned(),
        detail,
        user: None,
        access_key_id: None,
    };
    let mut findings = Vec::new();

    if read.root.access_keys_present {
        findings.push(finding(
            Rule::RootAccessKeys,
            "root",
            "the root user has access keys; delete them (root keys cannot be limited by any policy)".into(),
        ));
    }
    let is_management = id == management_id;
    if !read.root.mfa_enabled && (is_management || policy.member_root_mfa) {
        findings.push(if is_management {
            finding(
                Rule::RootMfa,
                "root",
                "the management account's root user has no MFA device; no service control policy can restrict it"
                    .into(),
            )
        } else {
            Finding {
                severity: Severity::High,
                ..finding(Rule::RootMfa, "root", "the root user has no MFA device".into())
            }
        });
    }

    // Judged where the policy says it applies (the reader reads it only there).
    let live_policy = match &read.password_policy {
        _ if !policy.password_scope.includes(id) => None,
        PasswordPolicyRead::NotRead => None,
        PasswordPolicyRead::Missing => Some(None),
        PasswordPolicyRead::Set(p) => Some(Some(p)),
    };
    if let Some(live) = live_policy {
        let weak = password_weaknesses(live, &policy.password_policy);
        if !weak.is_empty() {
            findings.push(finding(Rule::PasswordPolicy, "password policy", weak.join("; ")));
        }
    }

    let as_of = policy.as_of_secs();
    for user in &read.users {
        let user_finding =
            |rule, detail| Finding { user: Some(user.name.clone()), ..finding(rule, &user.name, detail) };
        for key in &user.access_keys {
            let facts =
                KeyFacts { created: key.created.unwrap_or(as_of), last_used: key.last_used, active: key.active };
            for (rule, detail) in key_findings(&facts, as_of, policy.max_key_age_days, policy.max_unused_days) {
                findings.push(Finding {
                    subject: format!("{}/{}", user.name, key.id),
                    access_key_id: Some(key.id.clone()),
                    ..user_finding(rule, detail)
                });
            }
        }
        user_findings(user, &mut findings, user_finding);
    }
    findings
}

/// A user's console, MFA and direct-policy findings.
fn user_findings(user: &UserCredentials, findings: &mut Vec<Finding>, finding: impl Fn(Rule, String) -> Finding) {
    let devices = &user.mfa_devices;
    if user.console_password && devices.is_empty() {
        findings.push(finding(
            Rule::ConsoleWithoutMfa,
            "can sign in to the console with a password alone: no MFA device".into(),
        ));
    }
    if devices.len() > 1 {
        findings.push(finding(
            Rule::SeveralMfaDevices,
            format!(
                "has {} MFA devices ({}); check that the person enrolled each of them",
                devices.len(),
                devices.join(", ")
            ),
        ));
    }
    let (attached, inline) = (&user.attached_policies, &user.inline_policies);
    if !attached.is_empty() || !inline.is_empty() {
        let mut parts = Vec::new();
        if !attached.is_empty() {
            parts.push(format!("attached: {}", attached.join(", ")));
        }
        if !inline.is_empty() {
            parts.push(format!("inline: {}", inline.join(", ")));
        }
        findings.push(finding(
            Rule::UserDirectPolicy,
            format!("has policies of its own ({}); grant permissions through groups", parts.join("; ")),
        ));
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use super::*;
    use crate::policy::PasswordScope;
    use crate::read::{AccessKey, RootCredentials};

    const NOW: i64 = 1_780_000_000; // 2026-05-28

    fn key(created_days_ago: i64, last_used_days_ago: Option<i64>, active: bool) -> KeyFacts {
        KeyFacts { created: NOW - created_days_ago * DAY, last_used: last_used_days_ago.map(|d| NOW - d * DAY), active }
    }

    fn rules(found: &[(Rule, String)]) -> Vec<Rule> {
        found.iter().map(|(r, _)| *r).collect()
    }

    #[test]
    fn a_fresh_used_key_is_compliant() {
        assert!(key_findings(&key(10, Some(1), true), NOW, 90, 90).is_empty());
    }

    #[test]
    fn age_is_strictly_over_the_maximum() {
        assert!(key_findings(&key(90, Some(0), true), NOW, 90, 90).is_empty(), "exactly 90 days is still fine");
        let found = key_findings(&key(91, Some(0), true), NOW, 90, 90);
        assert_eq!(rules(&found), [Rule::KeyTooOld]);
        assert_eq!(found[0].0.severity(), Severity::High);
        assert!(found[0].1.contains("91 days old (maximum 90)"), "{}", found[0].1);
    }

    #[test]
    fn unused_counts_from_the_last_use() {
        let found = key_findings(&key(200, Some(120), true), NOW, 365, 90);
        assert_eq!(rules(&found), [Rule::KeyUnused]);
        assert!(found[0].1.contains("120 days before; maximum 90"), "{}", found[0].1);
        assert!(key_findings(&key(200, Some(30), true), NOW, 365, 90).is_empty());
    }

    #[test]
    fn a_never_used_key_is_unused_once_older_than_the_threshold() {
        assert!(key_findings(&key(30, None, true), NOW, 90, 45).is_empty());
        let found = key_findings(&key(60, None, true), NOW, 90, 45);
        assert_eq!(rules(&found), [Rule::KeyUnused]);
        assert!(found[0].1.contains("never used"), "{}", found[0].1);
        let both = key_findings(&key(100, None, true), NOW, 90, 90);
        assert_eq!(rules(&both), [Rule::KeyTooOld, Rule::KeyUnused]);
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
        assert_eq!(rules(&key_findings(&k, NOW + 100 * DAY, 90, 90)), [Rule::KeyTooOld, Rule::KeyUnused]);
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

    #[test]
    fn dates_are_rfc3339_utc() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(date(NOW), "2026-05-28");
    }

    pub(crate) fn policy() -> AuditPolicy {
        AuditPolicy {
            as_of: UNIX_EPOCH + Duration::from_secs(NOW.unsigned_abs()),
            max_key_age_days: 90,
            max_unused_days: 90,
            password_policy: PasswordPolicy::default(),
            password_scope: PasswordScope::Everywhere,
            member_root_mfa: false,
            ignore: Vec::new(),
        }
    }

    fn user(name: &str) -> UserCredentials {
        UserCredentials {
            name: name.into(),
            access_keys: Vec::new(),
            console_password: false,
            mfa_devices: Vec::new(),
            attached_policies: Vec::new(),
            inline_policies: Vec::new(),
        }
    }

    fn clean() -> AccountCredentials {
        AccountCredentials {
            root: RootCredentials { access_keys_present: false, mfa_enabled: true },
            password_policy: PasswordPolicyRead::Set(PasswordPolicy::default()),
            users: vec![user("alice")],
        }
    }

    fn found(read: &AccountCredentials, policy: &AuditPolicy, id: &str) -> Vec<(Rule, Severity, String)> {
        account_findings(id, "acct", read, policy, "123456789012")
            .into_iter()
            .map(|f| (f.rule, f.severity, f.subject))
            .collect()
    }

    #[test]
    fn a_clean_account_has_no_findings() {
        assert!(found(&clean(), &policy(), "123456789012").is_empty());
        let not_read = AccountCredentials { password_policy: PasswordPolicyRead::NotRead, ..clean() };
        assert!(found(&not_read, &policy(), "123456789012").is_empty(), "a policy not read is not judged");
    }

    #[test]
    fn root_mfa_is_critical_in_the_management_account_and_high_in_members_when_asked() {
        let read =
            AccountCredentials { root: RootCredentials { access_keys_present: true, mfa_enabled: false }, ..clean() };
        assert_eq!(
            found(&read, &policy(), "123456789012"),
            [
                (Rule::RootAccessKeys, Severity::Critical, "root".to_owned()),
                (Rule::RootMfa, Severity::Critical, "root".to_owned())
            ]
        );
        assert_eq!(
            found(&read, &policy(), "111111111111"),
            [(Rule::RootAccessKeys, Severity::Critical, "root".to_owned())]
        );
        let members = AuditPolicy { member_root_mfa: true, ..policy() };
        assert_eq!(found(&read, &members, "111111111111")[1], (Rule::RootMfa, Severity::High, "root".to_owned()));
    }

    #[test]
    fn users_keys_console_devices_and_policies_are_judged() {
        let mut read = clean();
        read.password_policy = PasswordPolicyRead::Missing;
        read.users = vec![
            UserCredentials {
                access_keys: vec![
                    AccessKey { id: "AKIA1".into(), active: true, created: Some(NOW - 100 * DAY), last_used: None },
                    AccessKey { id: "AKIA2".into(), active: false, created: Some(NOW - 100 * DAY), last_used: None },
                ],
                console_password: true,
                attached_policies: vec!["AdministratorAccess".into()],
                inline_policies: vec!["own".into()],
                ..user("bob")
            },
            UserCredentials {
                mfa_devices: vec!["arn:a".into(), "arn:b".into()],
                console_password: true,
                ..user("alice")
            },
        ];
        let all = account_findings("111111111111", "acct", &read, &policy(), "123456789012");
        let summary: Vec<(Rule, &str)> = all.iter().map(|f| (f.rule, f.subject.as_str())).collect();
        assert_eq!(
            summary,
            [
                (Rule::PasswordPolicy, "password policy"),
                (Rule::KeyTooOld, "bob/AKIA1"),
                (Rule::KeyUnused, "bob/AKIA1"),
                (Rule::ConsoleWithoutMfa, "bob"),
                (Rule::UserDirectPolicy, "bob"),
                (Rule::SeveralMfaDevices, "alice"),
            ]
        );
        assert_eq!(all[1].access_key_id.as_deref(), Some("AKIA1"));
        assert_eq!(all[1].user.as_deref(), Some("bob"));
        assert_eq!(
            all[4].detail,
            "has policies of its own (attached: AdministratorAccess; inline: own); grant permissions through groups"
        );
        assert_eq!(all[5].detail, "has 2 MFA devices (arn:a, arn:b); check that the person enrolled each of them");
        assert_eq!(all[5].severity, Severity::Medium);
    }
}
