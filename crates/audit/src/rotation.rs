//! The access-key lifecycle of a programmatic user, pure: which of its keys groundwork created
//! (the ids recorded on the user), and from those, the keys' creation dates, statuses and last
//! use, the next step of `groundwork keys rotate` ([`next_step`]) and each key's status for the
//! audit ([`status`]). Nothing is stored anywhere else: a rerun, on any machine, reads the same
//! state back from IAM and takes the same step (`docs/decisions/0018-*`).
//!
//! The steps, one per user and run (a user needs time to take the new key into use):
//! 1. the only key groundwork created is older than `max_key_age_days` (or inactive): issue a
//!    second key (never when the user already has two);
//! 2. the old key is still active: deactivate it once it is no longer used (the new key was used
//!    and the old one not since the new one was issued) or `grace_days` after the new key was
//!    issued;
//! 3. the old key is inactive: delete it `grace_days + delete_after_days` after the new key was
//!    issued.

use groundwork_blueprint::AccessKeys;

use crate::evaluate::rfc3339;

const DAY: i64 = 86_400;

/// One of a user's access keys, as IAM lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserKey {
    /// Its id.
    pub id: String,
    /// Status `Active`.
    pub active: bool,
    /// Created at (seconds since the epoch).
    pub created: i64,
    /// Last used at, when IAM recorded a use.
    pub last_used: Option<i64>,
    /// groundwork created it (its id is recorded on the user).
    pub ours: bool,
}

/// What `keys rotate` does next for one user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// groundwork created no key for the user: `apply` issues the first one.
    NoKey,
    /// The key is younger than the maximum age: nothing to do until `due`.
    Current {
        /// The key.
        key: String,
        /// When it is due for rotation.
        due: i64,
    },
    /// Issue the new key (and write it to the credentials file).
    Issue {
        /// The key it replaces.
        old: String,
    },
    /// Deactivate the old key.
    Deactivate {
        /// The old key.
        old: String,
        /// Why now.
        why: String,
    },
    /// Delete the old (inactive) key and keep only the new one recorded.
    Delete {
        /// The old key.
        old: String,
    },
    /// A rotation is under way; the next step waits until `until`.
    Wait {
        /// The old key.
        old: String,
        /// What the next step is.
        next: &'static str,
        /// When it is taken at the latest.
        until: i64,
    },
    /// The step cannot be taken: why (e.g. two keys already, one not groundwork's).
    Blocked(String),
}

impl Step {
    /// One line for people.
    pub fn describe(&self) -> String {
        let day = |t: i64| rfc3339(t).chars().take(10).collect::<String>();
        match self {
            Step::NoKey => "no key groundwork created: `groundwork apply` issues the first one".into(),
            Step::Current { key, due } => format!("key {key} is current (rotation due {})", day(*due)),
            Step::Issue { old } => format!("issue a new key to replace {old}"),
            Step::Deactivate { old, why } => format!("deactivate the old key {old} ({why})"),
            Step::Delete { old } => format!("delete the old key {old}"),
            Step::Wait { old, next, until } => {
                format!("rotating: {next} the old key {old} once it is unused, by {} at the latest", day(*until))
            }
            Step::Blocked(why) => format!("cannot rotate: {why}"),
        }
    }
}

/// The old and the new key of a rotation under way (two keys groundwork created), oldest first
/// (`keys` lists keys created in the same second in the order groundwork recorded them).
fn rotation(keys: &[UserKey]) -> Option<(&UserKey, &UserKey)> {
    let mut ours: Vec<&UserKey> = keys.iter().filter(|k| k.ours).collect();
    if ours.len() != 2 {
        return None;
    }
    // Stable: keys created in the same second keep the order they were recorded in.
    ours.sort_by_key(|k| k.created);
    Some((ours[0], ours[1]))
}

/// The next step for a user with `keys` at `as_of`.
pub fn next_step(keys: &[UserKey], as_of: i64, policy: &AccessKeys) -> Step {
    if let Some((old, new)) = rotation(keys) {
        let grace_end = new.created + i64::from(policy.grace_days) * DAY;
        if old.active {
            let switched = new.last_used.is_some() && old.last_used.is_none_or(|u| u < new.created);
            if switched {
                return Step::Deactivate {
                    old: old.id.clone(),
                    why: "the new key is in use and the old one was not used since it was issued".into(),
                };
            }
            if as_of >= grace_end {
                return Step::Deactivate {
                    old: old.id.clone(),
                    why: format!("the {}-day grace period ended", policy.grace_days),
                };
            }
            return Step::Wait { old: old.id.clone(), next: "deactivate", until: grace_end };
        }
        let delete_at = grace_end + i64::from(policy.delete_after_days) * DAY;
        if as_of >= delete_at {
            return Step::Delete { old: old.id.clone() };
        }
        return Step::Wait { old: old.id.clone(), next: "delete", until: delete_at };
    }
    let ours: Vec<&UserKey> = keys.iter().filter(|k| k.ours).collect();
    let Some(key) = ours.first() else { return Step::NoKey };
    let due = key.created + i64::from(policy.max_key_age_days) * DAY;
    if key.active && as_of < due {
        return Step::Current { key: key.id.clone(), due };
    }
    if keys.len() >= 2 {
        let others: Vec<&str> = keys.iter().filter(|k| !k.ours).map(|k| k.id.as_str()).collect();
        return Step::Blocked(format!(
            "the user already has two access keys, the IAM limit, and groundwork did not create {}: delete it (after `apply --enforce` deactivated it)",
            others.join(", ")
        ));
    }
    Step::Issue { old: key.id.clone() }
}

/// Where a key is in its lifecycle, for the audit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyStatus {
    /// Not a programmatic user's key groundwork created: the audit's usual rules apply.
    Unmanaged,
    /// groundwork's current key.
    Current,
    /// The new key of a rotation under way.
    New,
    /// The old key of a rotation under way: reported as rotating, not as a finding.
    Rotating,
}

impl KeyStatus {
    /// The status as reports show it (`None` for unmanaged keys).
    pub fn label(self) -> Option<&'static str> {
        match self {
            KeyStatus::Unmanaged => None,
            KeyStatus::Current => Some("current"),
            KeyStatus::New => Some("new (rotation under way)"),
            KeyStatus::Rotating => Some("rotating out"),
        }
    }
}

/// The lifecycle status of the key `id` among a programmatic user's `keys`.
pub fn status(keys: &[UserKey], id: &str) -> KeyStatus {
    let Some(key) = keys.iter().find(|k| k.id == id) else { return KeyStatus::Unmanaged };
    if !key.ours {
        return KeyStatus::Unmanaged;
    }
    match rotation(keys) {
        Some((old, _)) if old.id == id => KeyStatus::Rotating,
        Some(_) => KeyStatus::New,
        None => KeyStatus::Current,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_780_000_000;

    fn key(id: &str, created_days_ago: i64, active: bool, used_days_ago: Option<i64>, ours: bool) -> UserKey {
        UserKey {
            id: id.into(),
            active,
            created: NOW - created_days_ago * DAY,
            last_used: used_days_ago.map(|d| NOW - d * DAY),
            ours,
        }
    }

    fn policy() -> AccessKeys {
        AccessKeys::default()
    }

    #[test]
    fn a_young_key_is_current_an_old_one_is_replaced() {
        assert_eq!(next_step(&[], NOW, &policy()), Step::NoKey);
        let young = [key("A", 10, true, Some(1), true)];
        assert!(matches!(next_step(&young, NOW, &policy()), Step::Current { .. }));
        let old = [key("A", 100, true, Some(1), true)];
        assert_eq!(next_step(&old, NOW, &policy()), Step::Issue { old: "A".into() });
        // An inactive key is replaced whatever its age.
        let off = [key("A", 10, false, None, true)];
        assert_eq!(next_step(&off, NOW, &policy()), Step::Issue { old: "A".into() });
    }

    #[test]
    fn never_a_third_key() {
        let keys = [key("A", 100, true, None, true), key("X", 5, false, None, false)];
        let Step::Blocked(why) = next_step(&keys, NOW, &policy()) else { panic!() };
        assert!(why.contains('X') && why.contains("two access keys"), "{why}");
    }

    #[test]
    fn the_old_key_goes_inactive_when_unused_or_after_the_grace_then_is_deleted() {
        // Issued a day ago, neither used since: wait.
        let keys = [key("A", 101, true, Some(2), true), key("B", 1, true, None, true)];
        assert!(matches!(next_step(&keys, NOW, &policy()), Step::Wait { next: "deactivate", .. }));
        assert_eq!(status(&keys, "A"), KeyStatus::Rotating);
        assert_eq!(status(&keys, "B"), KeyStatus::New);
        // The new key is used, the old one not since: deactivate at once.
        let switched = [key("A", 101, true, Some(2), true), key("B", 1, true, Some(0), true)];
        assert!(matches!(next_step(&switched, NOW, &policy()), Step::Deactivate { .. }));
        // The old key still in use: deactivate after the grace only.
        let both = [key("A", 101, true, Some(0), true), key("B", 1, true, Some(0), true)];
        assert!(matches!(next_step(&both, NOW, &policy()), Step::Wait { .. }));
        let late = [key("A", 108, true, Some(0), true), key("B", 8, true, Some(0), true)];
        let Step::Deactivate { why, .. } = next_step(&late, NOW, &policy()) else { panic!() };
        assert!(why.contains("grace"), "{why}");
        // Inactive: deleted after grace + delete_after.
        let off = [key("A", 110, false, None, true), key("B", 10, true, None, true)];
        assert!(matches!(next_step(&off, NOW, &policy()), Step::Wait { next: "delete", .. }));
        let gone = [key("A", 115, false, None, true), key("B", 15, true, None, true)];
        assert_eq!(next_step(&gone, NOW, &policy()), Step::Delete { old: "A".into() });
    }

    #[test]
    fn keys_groundwork_did_not_create_have_no_lifecycle() {
        let keys = [key("X", 100, true, None, false)];
        assert_eq!(status(&keys, "X"), KeyStatus::Unmanaged);
        assert_eq!(status(&keys, "nope"), KeyStatus::Unmanaged);
        assert_eq!(status(&[key("A", 1, true, None, true)], "A"), KeyStatus::Current);
    }
}
