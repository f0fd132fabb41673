//! The `assertions` section:
//!
//! ```yaml
//! assertions:
//!   - name: jira admins cannot touch the web app
//!     principal: { group: jira-admins }          # or { user: alice }, { role: auditor }
//!     cannot: [ec2:TerminateInstances, ec2:StopInstances]
//!     on: { account: webapp-prod, resource: "arn:aws:ec2:*:{account_id}:instance/*", tags: { workload: webapp } }
//!   - name: jira admins can operate jira
//!     principal: { group: jira-admins }
//!     can: [ec2:TerminateInstances]
//!     on: { account: jira-prod, tags: { workload: jira } }
//!     with: { mfa: true }
//!   - builtin: grants-only                       # opting out of a built-in assertion
//!     skip: "reason"
//! ```

use groundwork_blueprint::yaml::{Node, NodeKind};
use groundwork_blueprint::{Blueprint, Diagnostic, Span, Spanned};

use crate::model::{get, items};
use crate::{Model, Question, ask, path_line};

/// Who an assertion is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// Any member of a hub group.
    Group(String),
    /// A hub user (through all their groups).
    User(String),
    /// A session of a role in the assertion's account.
    Role(String),
    /// A single-sign-on session of an Identity Center permission set in the assertion's
    /// account (through any group the set is assigned to there).
    PermissionSet(String),
}

/// `can` or `cannot`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// Some path must allow each action.
    Can,
    /// No path may allow any action.
    Cannot,
}

/// One assertion.
#[derive(Debug, Clone)]
pub struct Assertion {
    /// Its name.
    pub name: Spanned<String>,
    /// Who.
    pub principal: Principal,
    /// `can` or `cannot`.
    pub expect: Expect,
    /// The actions.
    pub actions: Vec<Spanned<String>>,
    /// The account.
    pub account: String,
    /// The resource pattern.
    pub resource: Option<String>,
    /// Resource tags.
    pub tags: Vec<(String, String)>,
    /// `with: { mfa }`: `None` checks a `cannot` with and without MFA, a `can` with it.
    pub mfa: Option<bool>,
}

const KEYS: &[&str] = &["name", "principal", "can", "cannot", "on", "with", "builtin", "skip"];

fn text(n: &Node) -> Option<Spanned<String>> {
    match &n.kind {
        NodeKind::Scalar { value, .. } => Some(Spanned { value: value.clone(), span: n.span }),
        _ => None,
    }
}

fn err(out: &mut Vec<Diagnostic>, span: Span, msg: impl Into<String>, help: &str) {
    out.push(Diagnostic::error("blueprint::assertion", span, msg).label("here").help(help.to_owned()));
}

/// Reads the section: the assertions, and the built-ins skipped with their reasons.
pub(crate) fn read(out: &mut Vec<Diagnostic>, root: &Node, bp: &Blueprint) -> (Vec<Assertion>, Vec<(String, String)>) {
    let mut assertions = Vec::new();
    let mut skips = Vec::new();
    let Some(section) = get(root, "assertions") else { return (assertions, skips) };
    if !matches!(section.kind, NodeKind::Seq(_)) {
        err(
            out,
            section.span,
            "`assertions` must be a list",
            "list assertions, each with `name`, `principal`, `can` or `cannot`, and `on`",
        );
        return (assertions, skips);
    }
    for item in items(Some(section)) {
        let NodeKind::Map(entries) = &item.kind else {
            err(out, item.span, "an assertion must be a mapping", "write `- name: ...`");
            continue;
        };
        for (k, _) in entries {
            if let Some(k) = text(k).filter(|k| !KEYS.contains(&k.value.as_str())) {
                err(
                    out,
                    k.span,
                    format!("unknown key `{}` in an assertion", k.value),
                    "an assertion has name, principal, can or cannot, on and with; a skipped built-in has builtin and skip",
                );
            }
        }
        if let Some(b) = get(item, "builtin").and_then(text) {
            if !crate::BUILTINS.iter().any(|(n, _)| *n == b.value) {
                let names: Vec<&str> = crate::BUILTINS.iter().map(|(n, _)| *n).collect();
                err(
                    out,
                    b.span,
                    format!("no built-in assertion is named `{}`", b.value),
                    &format!("the built-in assertions are {}", names.join(", ")),
                );
                continue;
            }
            match get(item, "skip").and_then(text) {
                Some(r) if !r.value.trim().is_empty() => skips.push((b.value, r.value)),
                Some(r) => err(
                    out,
                    r.span,
                    "skipping a built-in assertion needs a reason",
                    "say why, and when it was reviewed",
                ),
                None => err(
                    out,
                    b.span,
                    "a `builtin` entry skips that built-in assertion and needs `skip: \"<reason>\"`",
                    "add `skip: \"<reason>\"`",
                ),
            }
            continue;
        }
        if let Some(a) = read_one(out, item, bp) {
            assertions.push(a);
        }
    }
    (assertions, skips)
}

fn read_one(out: &mut Vec<Diagnostic>, item: &Node, bp: &Blueprint) -> Option<Assertion> {
    let Some(name) = get(item, "name").and_then(text) else {
        err(
            out,
            item.span,
            "an assertion needs a `name`",
            "name it after what it proves, e.g. `jira admins cannot touch the web app`",
        );
        return None;
    };
    let Some(p) = get(item, "principal") else {
        err(out, name.span, "an assertion needs a `principal`", "e.g. `principal: { group: jira-admins }`");
        return None;
    };
    let found =
        ["group", "user", "role", "permission_set"].iter().find_map(|k| get(p, k).and_then(text).map(|v| (*k, v)));
    let ic = bp.identity_center.as_ref();
    let principal = match found {
        Some(("group", g))
            if bp.identity.as_ref().is_some_and(|i| i.groups.iter().any(|x| x.name.value == g.value))
                || ic.is_some_and(|i| i.groups.iter().any(|x| x.name.value == g.value)) =>
        {
            Principal::Group(g.value)
        }
        Some(("user", u)) if bp.identity.as_ref().is_some_and(|i| i.users.iter().any(|x| x.name.value == u.value)) => {
            Principal::User(u.value)
        }
        Some(("role", r)) if crate::model::all_roles(bp).iter().any(|x| x.name.value == r.value) => {
            Principal::Role(r.value)
        }
        Some(("permission_set", p))
            if ic.is_some_and(|i| i.permission_sets.iter().any(|x| x.name.value == p.value)) =>
        {
            Principal::PermissionSet(p.value)
        }
        Some((kind, v)) => {
            err(
                out,
                v.span,
                format!("no {kind} `{}` in the blueprint", v.value),
                "name a group or user of `identity`, a role of `roles`, or a group or permission set of `identity_center`",
            );
            return None;
        }
        None => {
            err(
                out,
                p.span,
                "`principal` is `{ group: NAME }`, `{ user: NAME }` or `{ role: NAME }`",
                "e.g. `principal: { group: jira-admins }`",
            );
            return None;
        }
    };
    let (expect, list) = match (get(item, "can"), get(item, "cannot")) {
        (Some(l), None) => (Expect::Can, l),
        (None, Some(l)) => (Expect::Cannot, l),
        _ => {
            err(
                out,
                name.span,
                "an assertion has exactly one of `can` and `cannot`",
                "list the actions, e.g. `cannot: [ec2:TerminateInstances]`",
            );
            return None;
        }
    };
    let actions: Vec<Spanned<String>> = match &list.kind {
        NodeKind::Seq(xs) => xs.iter().filter_map(text).collect(),
        NodeKind::Scalar { .. } => text(list).into_iter().collect(),
        NodeKind::Map(_) => Vec::new(),
    };
    if actions.is_empty() {
        err(out, list.span, "list at least one action", "e.g. `[ec2:TerminateInstances]`");
        return None;
    }
    let iam = groundwork_blueprint::iam::Reference::get();
    for a in &actions {
        let known = a.value.split_once(':').is_some_and(|(s, n)| iam.action(s, n).is_some());
        if !known {
            let (svc, name) = a.value.split_once(':').unwrap_or(("", a.value.as_str()));
            let suggestion = iam.service(svc).and_then(|s| {
                s.actions
                    .iter()
                    .map(|x| (x.name.as_str(), strsim::jaro_winkler(&name.to_lowercase(), &x.name.to_lowercase())))
                    .filter(|(_, score)| *score >= 0.8)
                    .max_by(|x, y| x.1.total_cmp(&y.1))
                    .map(|(n, _)| format!("did you mean `{}:{n}`? ", s.prefix))
            });
            let help = format!(
                "{}assertions name one action each, e.g. `ec2:TerminateInstances` (no wildcards)",
                suggestion.unwrap_or_default()
            );
            err(out, a.span, format!("`{}` is not an AWS action", a.value), &help);
            return None;
        }
    }
    let Some(on) = get(item, "on") else {
        err(out, name.span, "an assertion needs `on: { account: NAME }`", "name the account the action happens in");
        return None;
    };
    let Some(account) = get(on, "account").and_then(text) else {
        err(out, on.span, "`on` needs `account`", "e.g. `on: { account: webapp-prod }`");
        return None;
    };
    if bp.account(&account.value).is_none() {
        err(
            out,
            account.span,
            format!("no account `{}` in the blueprint", account.value),
            "name an account of `accounts` or an expanded workload account",
        );
        return None;
    }
    let resource = get(on, "resource").and_then(text).map(|r| r.value);
    let tags = match get(on, "tags").map(|t| &t.kind) {
        Some(NodeKind::Map(e)) => e.iter().filter_map(|(k, v)| Some((text(k)?.value, text(v)?.value))).collect(),
        _ => Vec::new(),
    };
    let mfa = get(item, "with").and_then(|w| get(w, "mfa")).and_then(text).map(|v| v.value == "true");
    Some(Assertion { name, principal, expect, actions, account: account.value, resource, tags, mfa })
}

/// Evaluates one assertion; a failure is an error at its name naming the path.
pub(crate) fn verify(out: &mut Vec<Diagnostic>, model: &Model<'_>, root: &Node, a: &Assertion) {
    let variants: Vec<bool> = match (a.expect, a.mfa) {
        (_, Some(m)) => vec![m],
        (Expect::Can, None) => vec![true],
        (Expect::Cannot, None) => vec![true, false],
    };
    for action in &a.actions {
        for mfa in &variants {
            let q = Question {
                principal: a.principal.clone(),
                action: action.value.clone(),
                account: a.account.clone(),
                resource: a.resource.clone(),
                tags: a.tags.clone(),
                mfa: *mfa,
            };
            let answer = ask(model, root, &q);
            match (a.expect, answer.allowed) {
                (Expect::Cannot, true) => {
                    let path = answer.paths.iter().find(|p| p.allowed).expect("an allowing path");
                    let mut d = Diagnostic::error(
                        "blueprint::assertion-failed",
                        a.name.span,
                        format!(
                            "assertion `{}` fails: {} can {} on {} ({} MFA), {}",
                            a.name.value,
                            answer.principal,
                            action.value,
                            answer.resource,
                            if *mfa { "with" } else { "without" },
                            path_line(path)
                        ),
                    )
                    .label("does not hold");
                    for l in path.steps.iter().flat_map(|s| &s.allowed_by).filter(|l| l.at.is_some()) {
                        if !d.related.iter().any(|r| r.span == l.span) {
                            d = d.related(l.span, l.what.clone());
                        }
                    }
                    out.push(d.help("break one link of the path, or change the assertion if the access is intended"));
                    return;
                }
                (Expect::Can, false) => {
                    let why: Vec<String> = answer
                        .paths
                        .iter()
                        .map(|p| {
                            let last = p.steps.last();
                            let reason = last.map_or("no step".to_owned(), |s| {
                                let denied: Vec<String> = s
                                    .denied_by
                                    .iter()
                                    .map(|l| match &l.at {
                                        Some(at) => format!("denied by {} ({at})", l.what),
                                        None => format!("denied by {}", l.what),
                                    })
                                    .collect();
                                if denied.is_empty() {
                                    s.missing.clone().unwrap_or_default()
                                } else {
                                    denied.join(", ")
                                }
                            });
                            format!("{}: {} at `{}`", p.via, reason, last.map_or("", |s| s.request.as_str()))
                        })
                        .collect();
                    let why = if why.is_empty() {
                        format!("no role in {} trusts the hub", a.account)
                    } else {
                        why.join("; ")
                    };
                    out.push(
                        Diagnostic::error(
                            "blueprint::assertion-failed",
                            a.name.span,
                            format!(
                                "assertion `{}` fails: {} cannot {} on {}: {why}",
                                a.name.value, answer.principal, action.value, answer.resource
                            ),
                        )
                        .label("does not hold")
                        .help("the missing link is named above; grant it, or change the assertion"),
                    );
                    return;
                }
                _ => {}
            }
        }
    }
}
