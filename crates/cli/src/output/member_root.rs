//! The member-root part of the `audit` document: whether member accounts' root credentials
//! were read (and where some remain), what `--enforce` will remove per account and what it
//! did; as text, JSON (`member_roots` in the report, `root_enforcement`) and HTML.

use std::fmt::Write as _;

use groundwork_audit::{AuditReport, MemberRoot, MemberRoots, RootRemoval};
use groundwork_plan::{Render, Style, Styled};
use serde_json::{Value, json};

/// What `--enforce` did with member accounts' root credentials.
pub(crate) enum RootEnforcement {
    /// Removed (or failed to), each account read back.
    Done { results: Vec<RootRemoval> },
    /// No member account has root credentials (or they are ignored).
    Nothing,
    /// The operator said no at the prompt.
    Cancelled { planned: Vec<MemberRoot> },
    /// No terminal and no --auto-approve.
    Refused { planned: Vec<MemberRoot> },
}

impl RootEnforcement {
    /// Accounts whose removal failed or left something.
    pub(crate) fn failed(&self) -> usize {
        match self {
            RootEnforcement::Done { results } => results.iter().filter(|r| !r.succeeded()).count(),
            _ => 0,
        }
    }

    pub(crate) fn json(&self) -> Value {
        match self {
            RootEnforcement::Done { results } => json!({
                "status": "done",
                "removed": results.iter().filter(|r| r.succeeded()).collect::<Vec<_>>(),
                "failed": results.iter().filter(|r| !r.succeeded()).collect::<Vec<_>>(),
            }),
            RootEnforcement::Nothing => json!({ "status": "nothing-to-do", "removed": [], "failed": [] }),
            RootEnforcement::Cancelled { planned } => {
                json!({ "status": "cancelled", "planned": planned, "removed": [], "failed": [] })
            }
            RootEnforcement::Refused { planned } => {
                json!({ "status": "refused", "planned": planned, "removed": [], "failed": [] })
            }
        }
    }

    /// The text after the audit: the plan (unless it was shown before the question), then
    /// what was removed.
    pub(crate) fn text(&self, asked: bool, out: &mut Styled) {
        match self {
            RootEnforcement::Nothing => {
                out.text("\nEnforcement: no member account's root user has credentials to remove.\n");
            }
            RootEnforcement::Cancelled { planned } | RootEnforcement::Refused { planned } if !asked => {
                plan(planned, out);
            }
            RootEnforcement::Done { results } => {
                if !asked {
                    let planned: Vec<MemberRoot> = results
                        .iter()
                        .map(|r| MemberRoot {
                            account_id: r.account_id.clone(),
                            account_name: r.account_name.clone(),
                            credentials: Some(r.planned.clone()),
                            error: None,
                        })
                        .collect();
                    plan(&planned, out);
                }
                removed(results, out);
            }
            _ => {}
        }
    }
}

/// What the operator sees before `--enforce` asks to remove root credentials.
pub(crate) struct RootPreview<'a> {
    pub(crate) planned: &'a [MemberRoot],
}

impl Render for RootPreview<'_> {
    fn text(&self, out: &mut Styled) {
        plan(self.planned, out);
    }

    fn json(&self) -> Value {
        json!({ "planned_root_removals": self.planned })
    }
}

fn label(id: &str, name: &str) -> String {
    format!("{name} ({id})")
}

fn plan(planned: &[MemberRoot], out: &mut Styled) {
    out.text("\n");
    out.text(format!(
        "groundwork will remove the root user credentials of {} member account{} (in a privileged root session, task policy IAMDeleteRootUserCredentials; nothing else is touched):\n",
        planned.len(),
        if planned.len() == 1 { "" } else { "s" }
    ));
    for m in planned {
        out.text(format!("  {}:\n", label(&m.account_id, &m.account_name)));
        for item in m.credentials.as_ref().map(groundwork_audit::RootUserCredentials::items).unwrap_or_default() {
            out.line(Style::Removed, format!("    - {item}"));
        }
    }
}

fn removed(results: &[RootRemoval], out: &mut Styled) {
    let ok = results.iter().filter(|r| r.succeeded()).count();
    out.text(format!(
        "Removed the root credentials of {ok} of {} member accounts (read back in a new root session):\n",
        results.len()
    ));
    for r in results {
        let state = if r.succeeded() {
            "none left".to_owned()
        } else {
            format!("FAILED: {}", r.error.as_deref().unwrap_or("unknown"))
        };
        let style = if r.succeeded() { Style::Plain } else { Style::Error };
        out.line(style, format!("  - {}: {state}", label(&r.account_id, &r.account_name)));
    }
}

/// One line under the audit's summary: whether member accounts' root credentials were read,
/// and how many have some (nothing without the blueprint's `root_access` section).
pub(crate) fn status(report: &AuditReport, out: &mut Styled) {
    match &report.member_roots {
        None => {}
        Some(MemberRoots::NotChecked { reason }) => {
            out.line(Style::Warning, format!("Member root credentials: not checked: {reason}."));
        }
        Some(MemberRoots::Checked { accounts }) => {
            let with: Vec<&MemberRoot> =
                accounts.iter().filter(|a| a.credentials.as_ref().is_some_and(|c| !c.is_empty())).collect();
            out.text(format!(
                "Member root credentials: read in a root session in {} member accounts; {} with root credentials.\n",
                accounts.len(),
                with.len()
            ));
            for a in accounts.iter().filter(|a| a.error.is_some()) {
                out.line(
                    Style::Error,
                    format!(
                        "  {}: could not be read: {}",
                        label(&a.account_id, &a.account_name),
                        a.error.as_deref().unwrap_or("")
                    ),
                );
            }
        }
    }
}

/// The HTML report's section (nothing without the blueprint's `root_access` section).
pub(crate) fn html(
    html: &mut String,
    report: &AuditReport,
    enforcement: Option<&RootEnforcement>,
    esc: fn(&str) -> String,
) {
    let Some(roots) = &report.member_roots else { return };
    html.push_str("<h2>Member root credentials</h2>\n");
    match roots {
        MemberRoots::NotChecked { reason } => {
            let _ = writeln!(html, "<p class=\"note\">Not checked: {}.</p>", esc(reason));
        }
        MemberRoots::Checked { accounts } => {
            html.push_str("<p>Read in a privileged root session (<code>sts:AssumeRoot</code>, task policy IAMAuditRootUserCredentials) in each active member account.</p>\n<table><thead><tr><th>Account</th><th>Root credentials</th></tr></thead><tbody>\n");
            for a in accounts {
                let cell = match (&a.credentials, &a.error) {
                    (_, Some(e)) => format!("<span class=\"bad\">not read: {}</span>", esc(e)),
                    (Some(c), None) if c.is_empty() => "<span class=\"ok\">none</span>".to_owned(),
                    (Some(c), None) => format!("<span class=\"bad\">{}</span>", esc(&c.items().join(", "))),
                    (None, None) => "unknown".to_owned(),
                };
                let _ = writeln!(
                    html,
                    "<tr><td>{} <span class=\"id\">({})</span></td><td class=\"mono\">{cell}</td></tr>",
                    esc(&a.account_name),
                    esc(&a.account_id)
                );
            }
            html.push_str("</tbody></table>\n");
        }
    }
    match enforcement {
        Some(RootEnforcement::Done { results }) => {
            html.push_str("<p>Removed with <code>--enforce</code> (task policy IAMDeleteRootUserCredentials), read back in a new root session:</p>\n<ul>\n");
            for r in results {
                let state = if r.succeeded() {
                    "<span class=\"ok\">none left</span>".to_owned()
                } else {
                    format!("<span class=\"bad\">failed: {}</span>", esc(r.error.as_deref().unwrap_or("unknown")))
                };
                let _ = writeln!(
                    html,
                    "<li>{} <span class=\"id\">({})</span>: {} &mdash; {state}</li>",
                    esc(&r.account_name),
                    esc(&r.account_id),
                    esc(&r.planned.items().join(", "))
                );
            }
            html.push_str("</ul>\n");
        }
        Some(RootEnforcement::Cancelled { planned } | RootEnforcement::Refused { planned }) => {
            let _ = writeln!(
                html,
                "<p class=\"note\">The root credentials of {} member accounts were to be removed; nothing was changed (not confirmed).</p>",
                planned.len()
            );
        }
        Some(RootEnforcement::Nothing) | None => {}
    }
}
