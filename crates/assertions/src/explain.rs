//! The text form of an [`Answer`] (`groundwork explain`); the JSON form is its serde form.

use std::fmt::Write as _;

use crate::Answer;

/// The decision and every path, step by step, each allowing or denying statement with its
/// `line:column` in the blueprint.
pub fn render_text(file: &str, a: &Answer) -> String {
    let mut out = String::new();
    let verdict = if a.allowed { "ALLOWED" } else { "DENIED" };
    let _ = writeln!(out, "{} {} on {} in {}: {verdict}", a.principal, a.action, a.resource, a.account);
    if a.paths.is_empty() {
        let _ = writeln!(out, "  no path: no role in {} trusts the hub, and it is not the hub", a.account);
    }
    for p in &a.paths {
        let _ = writeln!(out, "  {} {}", if p.allowed { "✓" } else { "✗" }, p.via);
        for (i, s) in p.steps.iter().enumerate() {
            let _ = writeln!(out, "    {}. {}: {}", i + 1, s.request, s.decision);
            for l in &s.allowed_by {
                let at = l.at.as_deref().map(|at| format!(" ({file}:{at})")).unwrap_or_default();
                let _ = writeln!(out, "       allowed by {}{at}", l.what);
            }
            for l in &s.denied_by {
                let at = l.at.as_deref().map(|at| format!(" ({file}:{at})")).unwrap_or_default();
                let _ = writeln!(out, "       denied by {}{at}", l.what);
            }
            if let Some(m) = &s.missing {
                let _ = writeln!(out, "       missing: {m}");
            }
        }
    }
    out
}
