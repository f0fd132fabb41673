//! Programmatic access: `programmatic: true` on a hub user (or a group, for all its members)
//! gives the user exactly one access key that groundwork creates, and `identity.access_keys`
//! says when `groundwork keys rotate` replaces it. The defaults live here ([`AccessKeys`]).

use serde::Serialize;

use crate::diag::Diagnostic;
use crate::model::{Identity, Spanned};
use crate::schema::Cx;
use crate::yaml::Node;

/// The keys `identity.access_keys` accepts.
pub(crate) const ACCESS_KEYS_KEYS: &[&str] = &["max_key_age_days", "grace_days", "delete_after_days"];

/// Default of `max_key_age_days`: the quarterly rotation.
pub const DEFAULT_MAX_KEY_AGE_DAYS: u32 = 90;
/// Default of `grace_days`.
pub const DEFAULT_KEY_GRACE_DAYS: u32 = 7;
/// Default of `delete_after_days`.
pub const DEFAULT_KEY_DELETE_AFTER_DAYS: u32 = 7;

/// When programmatic users' access keys are rotated (`identity.access_keys`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct AccessKeys {
    /// An active key older than this many days is rotated (default 90).
    pub max_key_age_days: u32,
    /// After the new key is issued, the old one is deactivated once it is no longer used (the
    /// new key was used and the old one not since the new one was issued), or after this many
    /// days at the latest (default 7).
    pub grace_days: u32,
    /// The deactivated old key is deleted this many days after the grace period ended
    /// (default 7): until then a user who still needed it can have it turned back on.
    pub delete_after_days: u32,
}

impl Default for AccessKeys {
    fn default() -> Self {
        AccessKeys {
            max_key_age_days: DEFAULT_MAX_KEY_AGE_DAYS,
            grace_days: DEFAULT_KEY_GRACE_DAYS,
            delete_after_days: DEFAULT_KEY_DELETE_AFTER_DAYS,
        }
    }
}

/// Reads `identity.access_keys`; `None` after an error (reported).
pub(crate) fn read_access_keys(cx: &mut Cx, node: &Node) -> Option<AccessKeys> {
    let f = cx.map(node, "access_keys", ACCESS_KEYS_KEYS)?;
    let mut keys = AccessKeys::default();
    let mut ok = true;
    let mut spans = Vec::new();
    for (key, lo, hi, slot) in [
        ("max_key_age_days", 2, 365, &mut keys.max_key_age_days),
        ("grace_days", 1, 90, &mut keys.grace_days),
        ("delete_after_days", 1, 90, &mut keys.delete_after_days),
    ] {
        if let Some(n) = f.get(key) {
            match days(cx, n, key, lo, hi) {
                Some(v) => {
                    *slot = v.value;
                    spans.push(v.span);
                }
                None => ok = false,
            }
        }
    }
    if ok && keys.grace_days + keys.delete_after_days >= keys.max_key_age_days {
        cx.push(
            Diagnostic::error(
                "blueprint::key-rotation",
                spans.first().copied().unwrap_or(node.span),
                format!(
                    "a rotation lasts grace_days + delete_after_days = {} days, not less than max_key_age_days ({})",
                    keys.grace_days + keys.delete_after_days,
                    keys.max_key_age_days
                ),
            )
            .label("the next rotation would be due before this one ends")
            .help("shorten grace_days or delete_after_days, or raise max_key_age_days"),
        );
        ok = false;
    }
    ok.then_some(keys)
}

/// An integer within `lo..=hi` days.
fn days(cx: &mut Cx, node: &Node, what: &str, lo: u32, hi: u32) -> Option<Spanned<u32>> {
    let n = cx.integer(node, what)?;
    match u32::try_from(n.value) {
        Ok(v) if (lo..=hi).contains(&v) => Some(Spanned::new(v, n.span)),
        _ => {
            cx.push(
                Diagnostic::error(
                    "blueprint::out-of-range",
                    n.span,
                    format!("{what} is {}; groundwork accepts {lo} to {hi} days", n.value),
                )
                .label("out of range"),
            );
            None
        }
    }
}

/// `programmatic` where it does not belong (an Identity Center user): reported.
pub(crate) fn programmatic_outside_hub(cx: &mut Cx, node: &Node) {
    cx.push(
        Diagnostic::error(
            "blueprint::programmatic-outside-hub",
            node.span,
            "`programmatic` is for IAM users in the identity hub (`identity.users` or `identity.groups`)",
        )
        .label("not an IAM user of the hub")
        .help(
            "Identity Center users get short-lived credentials with `aws sso login`, which is better than an access \
             key: remove `programmatic` here",
        ),
    );
}

/// With Identity Center in the blueprint, each programmatic IAM user is warned about: people
/// there get short-lived credentials with `aws sso login` instead of a long-lived key.
pub(crate) fn prefer_sso(cx: &mut Cx, identity: Option<&Identity>) {
    for u in identity.into_iter().flat_map(|i| &i.users).filter(|u| u.programmatic) {
        cx.push(
            Diagnostic::warning(
                "blueprint::prefer-sso",
                u.name.span,
                format!(
                    "user `{}` gets a long-lived access key, and this organization has Identity Center",
                    u.name.value
                ),
            )
            .label("programmatic IAM user")
            .help(
                "people in Identity Center get short-lived credentials with `aws configure sso` and `aws sso login`, \
                 and there is no key to leak or rotate; keep `programmatic` for what cannot use it",
            ),
        );
    }
}
