//! A plan as GitHub-flavoured Markdown, for a pull-request comment (`plan --format markdown`):
//! the summary line, the drift note, errors and warnings, then the changes grouped by account
//! (as [`Drift`] groups them), each account a collapsible `<details>` block with the changes as
//! a `diff` code block. The text stays within a size limit (GitHub's comment limit,
//! [`GITHUB_COMMENT_LIMIT`]): changes that do not fit are left out and counted. Pure.
//!
//! ```
//! use groundwork_plan::{Plan, render_markdown, GITHUB_COMMENT_LIMIT};
//! let plan: Plan = serde_json::from_value(serde_json::json!({
//!     "format_version": "1", "blueprint": "acme", "live_fingerprint": "x", "changes": [],
//!     "drift": [], "unmanaged": [], "warnings": [], "errors": []
//! })).unwrap();
//! let md = render_markdown(&plan, GITHUB_COMMENT_LIMIT);
//! assert!(md.contains("No changes."));
//! ```

use std::fmt::Write as _;

use crate::drift::{Difference, Drift};
use crate::plan::{Action, Plan};
use crate::render::{attribute_lines, symbol};
use crate::styled::count;

/// The most characters GitHub accepts in an issue or pull-request comment.
pub const GITHUB_COMMENT_LIMIT: usize = 65_536;

/// Room kept for the closing lines and the note of what was left out.
const RESERVE: usize = 600;

/// Renders `plan` as Markdown of at most `limit` characters (when `limit` leaves room for the
/// headings; at least the summary is always written).
pub fn render_markdown(plan: &Plan, limit: usize) -> String {
    let mut out = String::new();
    let summary = summary_line(plan);
    let _ = writeln!(out, "### groundwork plan: `{}`\n", plan.blueprint);
    let _ = writeln!(out, "**{summary}**\n");
    for e in &plan.errors {
        let _ = writeln!(out, "> [!CAUTION]\n> {}\n", one_line(e));
    }
    if !plan.drift.is_empty() {
        out.push_str("> [!WARNING]\n> Objects managed by groundwork differ from the blueprint (changed outside groundwork, or the blueprint changed):\n");
        for d in &plan.drift {
            let _ = writeln!(out, "> - {}", one_line(d));
        }
        out.push('\n');
    }
    for w in &plan.warnings {
        let _ = writeln!(out, "> [!NOTE]\n> {}\n", one_line(w));
    }
    let drift = Drift::of(plan);
    let changes = plan.changes.len();
    let mut shown = 0;
    let mut full = false;
    for group in &drift.groups {
        let entries: Vec<String> = group
            .differences
            .iter()
            .filter_map(|d| match d {
                Difference::Change { change, .. } => {
                    let mut text = format!(
                        "{} {} ({})\n    # {}\n",
                        symbol(change.action).trim_start(),
                        change.address,
                        action_name(change.action),
                        one_line(&change.reason)
                    );
                    text.push_str(&attribute_lines(change));
                    Some(fenced(&text))
                }
                Difference::NotRepaired { .. } => None,
            })
            .collect();
        if entries.is_empty() || full {
            continue;
        }
        let actions = group_counts(group.differences.iter().filter_map(|d| match d {
            Difference::Change { change, .. } => Some(change.action),
            Difference::NotRepaired { .. } => None,
        }));
        let open = format!("<details><summary>{}: {actions}</summary>\n\n```diff\n", escape(&group.group));
        let close = "```\n\n</details>\n\n";
        if out.len() + open.len() + close.len() + RESERVE > limit {
            full = true;
            continue;
        }
        out.push_str(&open);
        for e in entries {
            if out.len() + e.len() + close.len() + RESERVE > limit {
                full = true;
                break;
            }
            out.push_str(&e);
            shown += 1;
        }
        out.push_str(close);
    }
    if shown < changes {
        let _ = writeln!(
            out,
            "_{} not shown: the comment would be longer than {limit} characters. Run `groundwork plan` for the full plan._\n",
            count(changes - shown, "more change")
        );
    }
    if !plan.unmanaged.is_empty() {
        let _ = writeln!(out, "_{} not in the blueprint, left untouched._", count(plan.unmanaged.len(), "object"));
    }
    out
}

/// The plan's last line, as the text output writes it.
fn summary_line(plan: &Plan) -> String {
    if plan.changes.is_empty() {
        return "No changes. The organization matches the blueprint.".to_owned();
    }
    let s = plan.summary();
    if s.delete > 0 {
        format!("Plan: {} to add, {} to change, {} to adopt, {} to remove.", s.add, s.change, s.adopt, s.delete)
    } else {
        format!("Plan: {} to add, {} to change, {} to adopt.", s.add, s.change, s.adopt)
    }
}

/// `2 to add, 1 to adopt` for a group's actions.
fn group_counts(actions: impl Iterator<Item = Action>) -> String {
    let mut n = [0usize; 5];
    for a in actions {
        let i = match a {
            Action::Create => 0,
            Action::Update | Action::NoOp => 1,
            Action::Adopt => 2,
            Action::Replace => 3,
            Action::Delete => 4,
        };
        n[i] += 1;
    }
    let words = ["to add", "to change", "to adopt", "to replace", "to remove"];
    let parts: Vec<String> = n.iter().zip(words).filter(|(n, _)| **n > 0).map(|(n, w)| format!("{n} {w}")).collect();
    parts.join(", ")
}

/// An action as the JSON plan names it.
fn action_name(action: Action) -> &'static str {
    match action {
        Action::Create => "create",
        Action::Update => "update",
        Action::Adopt => "adopt",
        Action::Delete => "delete",
        Action::Replace => "replace",
        Action::NoOp => "no-op",
    }
}

/// Text safe in a quote or list item: one line.
fn one_line(s: &str) -> String {
    s.replace('\n', " ")
}

/// Text safe inside a fenced code block: no line may close the fence.
fn fenced(s: &str) -> String {
    s.replace("```", "`\u{200b}``")
}

/// Text safe in HTML (`<summary>`).
fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_counts_name_each_action_once() {
        assert_eq!(group_counts([Action::Create, Action::Adopt, Action::Create].into_iter()), "2 to add, 1 to adopt");
        assert_eq!(fenced("a ``` b"), "a `\u{200b}`` b");
        assert_eq!(escape("<x & y>"), "&lt;x &amp; y&gt;");
    }
}
