//! [`AuditPolicy`]: what the audit checks against (thresholds, the password policy and where it
//! applies, root MFA in members, accepted exceptions), derived from the blueprint.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;
use std::time::{SystemTime, UNIX_EPOCH};

use groundwork_blueprint::{Blueprint, PasswordPolicy};
use groundwork_plan::Live;

use crate::report::Finding;
use crate::rule::Rule;

/// A finding left out of the counts: `RULE` or `RULE@ACCOUNT_ID` (an accepted exception).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ignore {
    /// The rule.
    pub rule: Rule,
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
        let rule: Rule = rule.parse()?;
        if let Some(a) = account
            && (a.len() != 12 || !a.bytes().all(|b| b.is_ascii_digit()))
        {
            return Err(format!("`{a}` is not a 12-digit account id"));
        }
        Ok(Ignore { rule, account_id: account.map(str::to_owned) })
    }
}

impl fmt::Display for Ignore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.account_id {
            Some(a) => write!(f, "{}@{a}", self.rule),
            None => write!(f, "{}", self.rule),
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
    /// Whether the password policy is checked (and so read) in this account.
    pub fn includes(&self, account_id: &str) -> bool {
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
    /// when the hub is not named, every account with `password_policy_everywhere`, and every
    /// account the baseline's `password_policy` targets), or the default policy in every account
    /// when the blueprint has no `identity` section.
    pub fn for_blueprint(blueprint: &Blueprint, live: &Live, as_of: SystemTime) -> Self {
        let (password_policy, mut password_scope) = match &blueprint.identity {
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
        if let PasswordScope::Accounts(ids) = &mut password_scope
            && blueprint.baseline.password_policy
        {
            let id_of = |name: Option<&str>| match name {
                None => live.organization.as_ref().map(|o| o.management_account_id.clone()),
                Some(name) => {
                    blueprint.account(name).and_then(|a| live.account_by_email(&a.email.value)).map(|a| a.id.clone())
                }
            };
            ids.extend(groundwork_plan::baseline::accounts(blueprint).into_iter().filter_map(id_of));
        }
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

    /// [`as_of`](Self::as_of) in seconds since the epoch.
    pub fn as_of_secs(&self) -> i64 {
        match self.as_of.duration_since(UNIX_EPOCH) {
            Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
            Err(e) => -i64::try_from(e.duration().as_secs()).unwrap_or(i64::MAX),
        }
    }
}

#[cfg(test)]
mod tests {
    use groundwork_plan::LiveAccount;

    use super::*;

    fn finding(rule: Rule, account: &str) -> Finding {
        Finding {
            account_id: account.into(),
            account_name: "acct".into(),
            severity: rule.severity(),
            rule,
            subject: "s".into(),
            detail: "d".into(),
            user: None,
            access_key_id: None,
        }
    }

    #[test]
    fn ignore_parses_and_matches_rule_and_account() {
        let any: Ignore = "root-mfa".parse().unwrap();
        let one: Ignore = "root-mfa@123456789012".parse().unwrap();
        assert!(any.covers(&finding(Rule::RootMfa, "111111111111")));
        assert!(one.covers(&finding(Rule::RootMfa, "123456789012")));
        assert!(!one.covers(&finding(Rule::RootMfa, "111111111111")));
        assert!(!any.covers(&finding(Rule::KeyUnused, "111111111111")));
        assert_eq!(one.to_string(), "root-mfa@123456789012");
        assert_eq!(any.to_string(), "root-mfa");
        assert!("root".parse::<Ignore>().unwrap_err().contains("unknown rule `root`"));
        assert!("root-mfa@12".parse::<Ignore>().unwrap_err().contains("not a 12-digit account id"));
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
            status: groundwork_plan::AccountStatus::Active,
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
                policy_types: Vec::new(),
            }),
            accounts: vec![
                account("123456789012", "master@example.com"),
                account("111111111111", "aws+hub@t.example"),
                account("222222222222", "aws+other@t.example"),
            ],
            ..Live::default()
        }
    }

    /// The baseline's password policy off: the policy is the hub's alone.
    const HUB_ONLY: &str = "baseline:\n  password_policy: false\n";

    #[test]
    fn the_password_policy_is_checked_where_the_blueprint_applies_it() {
        let ids = |s: &[&str]| PasswordScope::Accounts(s.iter().map(|x| (*x).to_owned()).collect());
        let none = AuditPolicy::for_blueprint(&blueprint(""), &live(), SystemTime::UNIX_EPOCH);
        assert_eq!(none.password_scope, PasswordScope::Everywhere);
        assert_eq!(none.password_policy, PasswordPolicy::default());
        assert_eq!((none.max_key_age_days, none.max_unused_days, none.member_root_mfa), (90, 90, false));

        let hub = AuditPolicy::for_blueprint(
            &blueprint(&format!("identity:\n  account: hub\n  password_policy:\n    min_length: 20\n{HUB_ONLY}")),
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
            &blueprint(&format!("identity:\n  account: management\n{HUB_ONLY}")),
            &live(),
            SystemTime::UNIX_EPOCH,
        );
        assert_eq!(management.password_scope, ids(&["123456789012"]));

        // A hub that does not exist yet: nothing to check.
        let mut without_hub = live();
        without_hub.accounts.retain(|a| a.id != "111111111111");
        let missing = AuditPolicy::for_blueprint(
            &blueprint(&format!("identity:\n  account: hub\n{HUB_ONLY}")),
            &without_hub,
            SystemTime::UNIX_EPOCH,
        );
        assert_eq!(missing.password_scope, ids(&[]));

        // By default the baseline puts the policy in every account it targets: each is checked.
        let baseline =
            AuditPolicy::for_blueprint(&blueprint("identity:\n  account: hub\n"), &live(), SystemTime::UNIX_EPOCH);
        assert_eq!(baseline.password_scope, ids(&["111111111111", "123456789012", "222222222222"]));
        let narrowed = AuditPolicy::for_blueprint(
            &blueprint("identity:\n  account: hub\nbaseline:\n  targets: [{ account: other }]\n"),
            &live(),
            SystemTime::UNIX_EPOCH,
        );
        assert_eq!(
            narrowed.password_scope,
            ids(&["111111111111", "222222222222"]),
            "the hub, and the baseline's target"
        );
    }
}
