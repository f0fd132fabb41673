//! Human rendering of a plan, Terraform-like: a drift note first, one block per change with a
//! fixed-width symbol, then the summary line.

use std::fmt::Write as _;

use serde_json::Value;

use crate::plan::{Action, Change, Plan};
use crate::styled::{Render, Style, Styled};

/// The fixed-width symbol of an action.
pub fn symbol(action: Action) -> &'static str {
    match action {
        Action::Create => "  +",
        Action::Update => "  ~",
        Action::Adopt => "  >",
        Action::Delete => "  -",
        Action::Replace => "-/+",
        Action::NoOp => "   ",
    }
}

fn verb(action: Action) -> &'static str {
    match action {
        Action::Create => "will be created",
        Action::Update => "will be updated in place",
        Action::Adopt => "will be adopted",
        Action::Delete => "will be removed",
        Action::Replace => "will be replaced (deleted, then created)",
        Action::NoOp => "is up to date",
    }
}

fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => format!("{s:?}"),
        Value::Null => "(none)".into(),
        other => other.to_string(),
    }
}

/// Lines describing what a change does to each attribute (`      ~ ou: "A" -> "B"`).
pub fn attribute_lines(c: &Change) -> String {
    let mut out = String::new();
    attributes(c, &mut out);
    out
}

/// The leaves of a spec by path (`policy.Statement[0].Effect`); lists of plain values are one
/// leaf.
fn flatten<'v>(path: &str, v: &'v Value, out: &mut Vec<(String, &'v Value)>) {
    let join = |k: &str| if path.is_empty() { k.to_owned() } else { format!("{path}.{k}") };
    match v {
        Value::Object(m) if !m.is_empty() => m.iter().for_each(|(k, v)| flatten(&join(k), v, out)),
        Value::Array(a) if a.iter().any(|i| i.is_object() || i.is_array()) => {
            a.iter().enumerate().for_each(|(i, v)| flatten(&format!("{path}[{i}]"), v, out));
        }
        _ => out.push((path.to_owned(), v)),
    }
}

fn short(v: Option<&Value>) -> String {
    let text = v.map_or_else(|| "(none)".to_owned(), scalar);
    if text.chars().count() > 200 { format!("{}…", text.chars().take(200).collect::<String>()) } else { text }
}

fn attributes(c: &Change, out: &mut String) {
    if matches!(
        c.operation,
        crate::plan::Operation::Put { .. }
            | crate::plan::Operation::Replace { .. }
            | crate::plan::Operation::Delete { .. }
    ) {
        let null = Value::Null;
        let before = c.before.as_ref().unwrap_or(&null);
        let after = c.after.as_ref().unwrap_or(&null);
        if c.before.is_none() || c.after.is_none() {
            let shown = if c.after.is_none() { before } else { after };
            let sign = if c.after.is_none() { '-' } else { '+' };
            let mut leaves = Vec::new();
            flatten("", shown, &mut leaves);
            for (path, v) in leaves {
                let _ = writeln!(out, "      {sign} {path}: {}", short(Some(v)));
            }
            return;
        }
        for (path, old, new) in crate::resource::differences(before, after) {
            let _ = writeln!(out, "      ~ {path}: {} -> {}", short(old.as_ref()), short(new.as_ref()));
        }
        return;
    }
    let empty = serde_json::Map::new();
    let before = c.before.as_ref().and_then(Value::as_object).unwrap_or(&empty);
    let after = c.after.as_ref().and_then(Value::as_object).unwrap_or(&empty);
    for (key, new) in after {
        if key == "tags" {
            let old_tags = before.get("tags").and_then(Value::as_object);
            let Some(new_tags) = new.as_object() else { continue };
            for (tk, tv) in new_tags {
                match old_tags.and_then(|o| o.get(tk)) {
                    Some(old) if old == tv => {}
                    Some(old) => {
                        let _ = writeln!(out, "      ~ tag {tk:?}: {} -> {}", scalar(old), scalar(tv));
                    }
                    None => {
                        let _ = writeln!(out, "      + tag {tk:?}: {}", scalar(tv));
                    }
                }
            }
            continue;
        }
        match before.get(key) {
            Some(old) if old == new => {}
            Some(old) => {
                let _ = writeln!(out, "      ~ {key}: {} -> {}", scalar(old), scalar(new));
            }
            None => {
                let _ = writeln!(out, "      + {key}: {}", scalar(new));
            }
        }
    }
}

/// The style of an action's line.
pub fn action_style(action: Action) -> Style {
    match action {
        Action::Create => Style::Added,
        Action::Update => Style::Changed,
        Action::Adopt => Style::Adopted,
        Action::Delete | Action::Replace => Style::Removed,
        Action::NoOp => Style::Plain,
    }
}

/// Renders the plan for a terminal, without styles (the CLI prints [`Render::text`]).
pub fn render_text(plan: &Plan) -> String {
    plan.styled().plain()
}

impl Render for Plan {
    /// The JSON plan, as `plan --out` saves it.
    fn json(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }

    fn text(&self, out: &mut Styled) {
        let plan = self;
        for e in &plan.errors {
            out.line(Style::Error, format!("Error: {e}"));
        }
        if !plan.errors.is_empty() {
            out.text("\n");
        }
        if !plan.drift.is_empty() {
            out.line(Style::Note, "Note: objects managed by groundwork differ from the blueprint (changed outside groundwork, or the blueprint changed):");
            for d in &plan.drift {
                let _ = writeln!(out, "  - {d}");
            }
            out.text("\n");
        }
        for w in &plan.warnings {
            out.line(Style::Warning, format!("Warning: {w}"));
        }
        if !plan.warnings.is_empty() {
            out.text("\n");
        }
        if !plan.changes.is_empty() {
            out.text("groundwork will perform the following actions:\n\n");
            for c in &plan.changes {
                out.line(action_style(c.action), format!("{} {} {}", symbol(c.action), c.address, verb(c.action)));
                let _ = writeln!(out, "      # {}", c.reason);
                out.text(attribute_lines(c));
                out.text("\n");
            }
        }
        if !plan.unmanaged.is_empty() {
            let _ = writeln!(out, "Not in the blueprint, left untouched ({}):", plan.unmanaged.len());
            for u in &plan.unmanaged {
                let _ = writeln!(out, "  . {} {} ({})", u.kind, u.name, u.id);
            }
            out.text("\n");
        }
        if plan.changes.is_empty() {
            out.text("No changes. The organization matches the blueprint.\n");
        } else {
            let s = plan.summary();
            if s.delete > 0 {
                let _ = writeln!(
                    out,
                    "Plan: {} to add, {} to change, {} to adopt, {} to remove.",
                    s.add, s.change, s.adopt, s.delete
                );
            } else {
                let _ = writeln!(out, "Plan: {} to add, {} to change, {} to adopt.", s.add, s.change, s.adopt);
            }
        }
    }
}
