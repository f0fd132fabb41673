//! The audit's view of the access-key lifecycle of programmatic users
//! ([`crate::rotation`]): a key rotating out is reported as rotating, not as a finding; a key
//! groundwork created that is past the age limit stays a `key-too-old` finding whose remedy is
//! `groundwork keys rotate`; and every such key is listed with its status (the HTML report's
//! rotation table).

use groundwork_blueprint::AccessKeys;
use serde::Serialize;

use crate::report::AuditReport;
use crate::rotation::{KeyStatus, UserKey, next_step, status};
use crate::rule::Rule;

/// The programmatic users of the identity hub and their keys, as `keys rotate` reads them.
#[derive(Debug, Clone)]
pub struct ProgrammaticKeys {
    /// The hub's account id.
    pub account_id: String,
    /// Each programmatic user with its keys (`ours`: groundwork created it).
    pub users: Vec<(String, Vec<UserKey>)>,
    /// The blueprint's rotation settings.
    pub policy: AccessKeys,
}

/// One key groundwork created, and where it is in its lifecycle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyLifecycle {
    /// The hub's account id.
    pub account_id: String,
    /// The user.
    pub user: String,
    /// The key id (never a secret).
    pub access_key_id: String,
    /// `current`, `new (rotation under way)` or `rotating out`.
    pub status: &'static str,
    /// Active or not.
    pub active: bool,
    /// The user's next rotation step, for people.
    pub next: String,
}

/// The remedy a programmatic user's old key names.
pub const ROTATE_REMEDY: &str = "rotate it with `groundwork keys rotate`";

impl AuditReport {
    /// Applies the lifecycle of programmatic users' keys at `as_of` (seconds since the epoch):
    /// findings on keys rotating out are taken out (they are listed in
    /// [`rotation`](AuditReport::rotation) instead), `key-too-old` on a key groundwork created
    /// names `groundwork keys rotate`, and the counts are made again.
    pub fn apply_lifecycle(&mut self, keys: &ProgrammaticKeys, as_of: i64) {
        let of = |user: &str| keys.users.iter().find(|(u, _)| u == user).map(|(_, k)| k.as_slice());
        self.findings.retain_mut(|f| {
            let (Some(user), Some(id)) = (&f.user, &f.access_key_id) else { return true };
            if f.account_id != keys.account_id {
                return true;
            }
            let Some(user_keys) = of(user) else { return true };
            match status(user_keys, id) {
                KeyStatus::Rotating => false,
                KeyStatus::Current | KeyStatus::New if f.rule == Rule::KeyTooOld => {
                    f.detail = f.detail.replace("; rotate it", &format!("; {ROTATE_REMEDY}"));
                    true
                }
                _ => true,
            }
        });
        for (user, user_keys) in &keys.users {
            let next = next_step(user_keys, as_of, &keys.policy).describe();
            for k in user_keys.iter().filter(|k| k.ours) {
                let Some(label) = status(user_keys, &k.id).label() else { continue };
                self.rotation.push(KeyLifecycle {
                    account_id: keys.account_id.clone(),
                    user: user.clone(),
                    access_key_id: k.id.clone(),
                    status: label,
                    active: k.active,
                    next: next.clone(),
                });
            }
        }
        self.recount();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{AUDIT_FORMAT_VERSION, AuditSummary, Finding};

    const DAY: i64 = 86_400;
    const NOW: i64 = 1_780_000_000;

    fn too_old(id: &str) -> Finding {
        Finding {
            account_id: "111111111111".into(),
            account_name: "identity".into(),
            severity: groundwork_blueprint::Severity::High,
            rule: Rule::KeyTooOld,
            subject: format!("ci/{id}"),
            detail: "active key created 2026-01-01 is 100 days old (maximum 90); rotate it".into(),
            user: Some("ci".into()),
            access_key_id: Some(id.into()),
        }
    }

    fn report(findings: Vec<Finding>) -> AuditReport {
        AuditReport {
            format_version: AUDIT_FORMAT_VERSION,
            organization_id: "o-x".into(),
            management_account_id: "222222222222".into(),
            as_of: String::new(),
            max_key_age_days: 90,
            max_unused_days: 90,
            ignore: vec![],
            summary: AuditSummary::default(),
            accounts: vec![],
            findings,
            ignored: vec![],
            rotation: vec![],
            member_roots: None,
        }
    }

    fn key(id: &str, days: i64, active: bool) -> UserKey {
        UserKey { id: id.into(), active, created: NOW - days * DAY, last_used: None, ours: true }
    }

    #[test]
    fn a_key_rotating_out_is_not_a_finding_and_an_old_one_names_keys_rotate() {
        let keys = |k: Vec<UserKey>| ProgrammaticKeys {
            account_id: "111111111111".into(),
            users: vec![("ci".into(), k)],
            policy: AccessKeys::default(),
        };
        let mut before = report(vec![too_old("A")]);
        before.apply_lifecycle(&keys(vec![key("A", 100, true)]), NOW);
        assert_eq!(before.findings.len(), 1);
        assert!(before.findings[0].detail.ends_with("rotate it with `groundwork keys rotate`"));
        assert_eq!(before.summary.findings, 1);
        assert_eq!(before.rotation[0].status, "current");

        let mut during = report(vec![too_old("A")]);
        during.apply_lifecycle(&keys(vec![key("A", 100, true), key("B", 1, true)]), NOW);
        assert!(during.findings.is_empty());
        assert_eq!(during.summary.findings, 0);
        let statuses: Vec<&str> = during.rotation.iter().map(|r| r.status).collect();
        assert_eq!(statuses, ["rotating out", "new (rotation under way)"]);
        assert!(during.rotation[0].next.starts_with("rotating: deactivate"), "{}", during.rotation[0].next);
    }
}
