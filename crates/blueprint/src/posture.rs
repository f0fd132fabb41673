//! Warnings about a valid blueprint whose landing zone would be weaker than it looks: accounts
//! that guard the evidence or the identities left outside `deny-root-user`, a log archive no
//! `protect-cloudtrail` covers, and trail settings that break a CIS AWS Foundations control.
//! Warnings never stop a run; each names what it leaves open.

use crate::diag::Diagnostic;
use crate::model::{Account, Blueprint, Guardrail, OuPath, Purpose, Target};
use crate::policy::key_node;
use crate::schema::Cx;
use crate::yaml::{Node, NodeKind, Span};

/// Runs every posture check on a blueprint that passed validation. `root` is the parsed YAML,
/// for the spans of keys the model keeps without one.
pub(crate) fn check(cx: &mut Cx, root: &Node, bp: &Blueprint) {
    root_users(cx, bp);
    archive_protection(cx, root, bp);
    trail_settings(cx, root, bp);
}

/// Whether a guardrail applies to an account: attached at Root, to the account, or to its OU
/// or an OU above it.
fn covers(g: &Guardrail, account: &Account) -> bool {
    g.targets.iter().any(|t| match &t.value {
        Target::Root => true,
        Target::Account(a) => *a == account.name.value,
        Target::Ou(path) => {
            let mut at: OuPath = account.ou.value.clone();
            loop {
                if at == *path {
                    break true;
                }
                if at.is_root() {
                    break false;
                }
                at = at.parent();
            }
        }
    })
}

fn covered_by(bp: &Blueprint, builtin: &str, account: &Account) -> bool {
    bp.guardrails.policies.iter().any(|g| g.builtin.as_deref() == Some(builtin) && covers(g, account))
}

/// issue 12 item 4: the root user of the log-archive account can erase the logs, the root user
/// of the identity account can create a user and assume every role. Only for a blueprint that
/// has guardrails at all (one without SCPs has other things to fix first, and says so by
/// having none).
fn root_users(cx: &mut Cx, bp: &Blueprint) {
    if bp.guardrails.policies.is_empty() {
        return;
    }
    for a in &bp.accounts {
        let why = match a.purpose {
            Purpose::LogArchive => "its root user could weaken the log bucket and erase the logs",
            Purpose::Identity => "its root user could create an IAM user and assume every role the hub may assume",
            _ => continue,
        };
        if covered_by(bp, "deny-root-user", a) {
            continue;
        }
        cx.push(
            Diagnostic::warning(
                "blueprint::root-user-allowed",
                a.name.span,
                format!("account `{}` (purpose `{}`) is not under `deny-root-user`", a.name.value, a.purpose),
            )
            .label("root user unrestricted")
            .help(format!(
                "{why}; attach `builtin: deny-root-user` at Root (SCPs never bind the management account, so this \
                 costs nothing there)"
            )),
        );
    }
}

/// issue 13 item 1: with `logging` but no `protect-cloudtrail` at or above the log-archive
/// account, only the bucket's own policy protects the archive.
fn archive_protection(cx: &mut Cx, root: &Node, bp: &Blueprint) {
    let Some(logging) = &bp.logging else { return };
    let Some(account) = bp.account(&logging.account.value) else { return };
    if covered_by(bp, "protect-cloudtrail", account) {
        return;
    }
    let span = key_node(root, "logging").map_or(logging.account.span, |k| k.span);
    cx.push(
        Diagnostic::warning(
            "blueprint::archive-unprotected",
            span,
            format!("no `protect-cloudtrail` applies to the log-archive account `{}`", account.name.value),
        )
        .label("log archive without its guardrail")
        .help(
            "the bucket policy alone protects the archive, and an administrator of the log-archive account can \
             replace it; add `builtin: protect-cloudtrail` with `targets: [Root]` (or the log-archive account's OU)",
        ),
    );
}

/// The value node of `key` in a map node.
fn value<'n>(node: &'n Node, key: &str) -> Option<&'n Node> {
    let NodeKind::Map(entries) = &node.kind else { return None };
    entries.iter().find(|(k, _)| matches!(&k.kind, NodeKind::Scalar { value, .. } if value == key)).map(|(_, v)| v)
}

/// issue 13 item 4: trail settings that weaken the record, with the CIS AWS Foundations
/// Benchmark v3.0.0 control each one fails.
fn trail_settings(cx: &mut Cx, root: &Node, bp: &Blueprint) {
    let Some(logging) = &bp.logging else { return };
    let Some(section) = value(root, "logging") else { return };
    let site = |key: &str| value(section, key).map_or(Span::default(), |v| v.span);
    if !logging.all_regions {
        cx.push(
            Diagnostic::warning(
                "blueprint::trail-weakened",
                site("all_regions"),
                "the trail records only the home region (CIS AWS Foundations 3.1: CloudTrail enabled in all regions)",
            )
            .label("single-region trail")
            .help(
                "activity in every other region, including a region an attacker picks to hide in, goes unrecorded; \
                 leave `all_regions` out or set it to `true`",
            ),
        );
    }
    if !logging.log_file_validation {
        cx.push(
            Diagnostic::warning(
                "blueprint::trail-weakened",
                site("log_file_validation"),
                "log files carry no digest (CIS AWS Foundations 3.2: CloudTrail log file validation enabled)",
            )
            .label("no log file validation")
            .help(
                "without the digest files nobody can prove a log was not altered or removed after delivery; leave \
                 `log_file_validation` out or set it to `true`",
            ),
        );
    }
}
