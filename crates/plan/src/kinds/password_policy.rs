//! The IAM account password policy (`password-policy/<account>`): in the identity hub, and in
//! every account the account baseline targets (`baseline.password_policy`, on by default), with
//! the settings of `identity.password_policy` (the blueprint model's defaults without an
//! `identity` section).

use groundwork_blueprint::{Blueprint, PasswordPolicy};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::{Kind, KindMeta, Scope, Spec};
use crate::lower::hub;
use crate::resource::{DesiredResource, Locator};
use crate::state::Address;

/// An account's password policy, every setting explicit (the blueprint model holds the
/// defaults).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordPolicySpec {
    /// Minimum length.
    pub min_length: u32,
    /// Require an uppercase letter.
    pub require_uppercase: bool,
    /// Require a lowercase letter.
    pub require_lowercase: bool,
    /// Require a digit.
    pub require_numbers: bool,
    /// Require a symbol.
    pub require_symbols: bool,
    /// Days before a password expires (0: never, as IAM reports a policy without expiry).
    pub max_age_days: u32,
    /// Previous passwords that cannot be reused (0: no rule).
    pub reuse_prevention: u32,
    /// Users may change their own password.
    pub allow_users_to_change: bool,
}

impl KindMeta for PasswordPolicySpec {
    const KIND: Kind = Kind::PasswordPolicy;
    const PREFIX: &'static str = "password-policy";
    const RANK: usize = 0;
    const SCOPE: Scope = Scope::Account;
}

impl Spec for PasswordPolicySpec {}

impl From<PasswordPolicy> for PasswordPolicySpec {
    fn from(p: PasswordPolicy) -> Self {
        PasswordPolicySpec {
            min_length: p.min_length,
            require_uppercase: p.require_uppercase,
            require_lowercase: p.require_lowercase,
            require_numbers: p.require_numbers,
            require_symbols: p.require_symbols,
            max_age_days: p.max_age_days,
            reuse_prevention: p.reuse_prevention,
            allow_users_to_change: p.allow_users_to_change,
        }
    }
}

/// The password policy of the hub, of every account of the baseline
/// (`baseline.password_policy`), and of every account with the superseded
/// `identity.password_policy.apply_to_all_accounts`: one setting each, the management account
/// first.
pub(crate) fn lower(bp: &Blueprint, out: &mut Vec<DesiredResource>) {
    let policy = bp.identity.as_ref().map_or_else(PasswordPolicy::default, |i| i.password_policy);
    let spec = PasswordPolicySpec::from(policy).to_value();
    let mut targets: Vec<Option<&str>> = Vec::new();
    if let Some(identity) = &bp.identity {
        targets.push(hub(bp));
        if identity.password_policy_everywhere {
            targets.push(None);
            targets.extend(bp.accounts.iter().map(|a| Some(a.name.value.as_str())));
        }
    }
    if bp.baseline.password_policy {
        targets.extend(crate::baseline::accounts(bp));
    }
    targets.sort_unstable();
    targets.dedup();
    for account in targets {
        out.push(DesiredResource {
            address: Address::password_policy(account),
            at: Locator::new(Kind::PasswordPolicy, account.map(str::to_owned), "account".into()),
            spec: spec.clone(),
            after: Vec::new(),
        });
    }
}

/// The hub's `password_policy` settings from its live policy (none: empty), with a note for
/// each difference a plan will still show. The reverse of [`lower`].
pub(crate) fn reverse(spec: Option<&Value>, notes: &mut Vec<String>) -> Map<String, Value> {
    let mut m = Map::new();
    let Some(p) = spec else {
        notes.push("the hub has no password policy; applying sets groundwork's defaults".into());
        return m;
    };
    let min = p["min_length"].as_u64().unwrap_or(0);
    if min > 0 {
        m.insert("min_length".into(), json!(min));
        if min < u64::from(groundwork_blueprint::MIN_PASSWORD_LENGTH) {
            m.insert("allow_weak".into(), json!(true));
        }
    }
    for key in ["require_uppercase", "require_lowercase", "require_numbers", "require_symbols"] {
        m.insert(key.into(), json!(p[key].as_bool().unwrap_or(false)));
    }
    for (key, what) in [("max_age_days", "passwords never expire"), ("reuse_prevention", "old passwords may be reused")]
    {
        match p[key].as_u64() {
            Some(n) if n > 0 => {
                m.insert(key.into(), json!(n));
            }
            _ => notes.push(format!(
                "the hub's password policy has no {key} ({what}); a blueprint always sets one, so applying sets groundwork's default"
            )),
        }
    }
    m.insert("allow_users_to_change".into(), json!(p["allow_users_to_change"].as_bool().unwrap_or(false)));
    m
}

/// The policy a blueprint with the `password_policy` settings `m` (from [`reverse`]) writes.
pub(crate) fn from_reversed(m: &Map<String, Value>) -> PasswordPolicySpec {
    let mut p = PasswordPolicy::default();
    let number = |key: &str, default: u32| {
        m.get(key).and_then(Value::as_u64).and_then(|n| u32::try_from(n).ok()).unwrap_or(default)
    };
    let flag = |key: &str, default: bool| m.get(key).and_then(Value::as_bool).unwrap_or(default);
    p.min_length = number("min_length", p.min_length);
    p.max_age_days = number("max_age_days", p.max_age_days);
    p.reuse_prevention = number("reuse_prevention", p.reuse_prevention);
    p.require_uppercase = flag("require_uppercase", p.require_uppercase);
    p.require_lowercase = flag("require_lowercase", p.require_lowercase);
    p.require_numbers = flag("require_numbers", p.require_numbers);
    p.require_symbols = flag("require_symbols", p.require_symbols);
    p.allow_users_to_change = flag("allow_users_to_change", p.allow_users_to_change);
    p.into()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn the_json_keeps_the_shape_saved_plans_hold() {
        let v = PasswordPolicySpec::from(PasswordPolicy::default()).to_value();
        assert_eq!(
            serde_json::to_string(&v).unwrap(),
            json!({
                "min_length": 14, "require_uppercase": true, "require_lowercase": true,
                "require_numbers": true, "require_symbols": true, "max_age_days": 90,
                "reuse_prevention": 24, "allow_users_to_change": true
            })
            .to_string()
        );
        assert_eq!(PasswordPolicySpec::from_value(&v).unwrap(), PasswordPolicy::default().into());
    }

    #[test]
    fn a_missing_setting_is_an_error_not_a_default() {
        let mut v = PasswordPolicySpec::from(PasswordPolicy::default()).to_value();
        v.as_object_mut().unwrap().remove("require_symbols");
        let err = PasswordPolicySpec::from_value(&v).unwrap_err().to_string();
        assert!(err.contains("password-policy") && err.contains("require_symbols"), "{err}");
    }
}
