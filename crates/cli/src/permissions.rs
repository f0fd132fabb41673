//! `groundwork permissions`: renders [`groundwork_plan::permissions`] as text, one JSON
//! document (`--json`), or ready-to-attach policy files (`--out-dir`). No AWS call.

use std::fmt::Write as _;

use anyhow::{Context, Result};
use groundwork_plan::{Holder, MANAGED_POLICY_MAX_CHARS, PermissionSet, Permissions, Render, Styled, policy_chars};
use serde_json::{Value, json};

use crate::Exit;
use crate::cli::PermissionsArgs;
use crate::commands::load_blueprint;
use crate::printer::{Printer, To};

/// The file names of a set's documents: `deployer.json`, or `deployer-1.json`, `deployer-2.json`.
fn file_names(set: &PermissionSet, count: usize) -> Vec<String> {
    if count == 1 {
        vec![format!("{}.json", set.name)]
    } else {
        (1..=count).map(|i| format!("{}-{i}.json", set.name)).collect()
    }
}

fn where_text(p: &Permissions, set: &PermissionSet) -> String {
    if set.holder == Holder::Deployer {
        return match &set.role {
            Some(r) => format!("the deployer role {r} in the management account"),
            None => "the principal that runs groundwork, in the management account (set `organization.deployer_role` to name a role)".to_owned(),
        };
    }
    let role = match &p.execution_role {
        Some(r) => format!("the execution role {r}"),
        None => format!("the access role {} (set `organization.execution_role` for a dedicated one)", p.access_role),
    };
    format!("{role} in {}", set.accounts.join(", "))
}

fn wrap(items: &[String], indent: &str, width: usize) -> String {
    let mut out = String::new();
    let mut line = String::new();
    for (i, item) in items.iter().enumerate() {
        let piece = if i + 1 < items.len() { format!("{item},") } else { item.clone() };
        if !line.is_empty() && indent.len() + line.len() + 1 + piece.len() > width {
            let _ = writeln!(out, "{indent}{line}");
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(&piece);
    }
    if !line.is_empty() {
        let _ = writeln!(out, "{indent}{line}");
    }
    out
}

fn condition_text(c: &Value) -> Vec<String> {
    let mut out = Vec::new();
    if let Value::Object(ops) = c {
        for (op, keys) in ops {
            if let Value::Object(keys) = keys {
                for (k, v) in keys {
                    let values = match v {
                        Value::Array(a) => a.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(" | "),
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    out.push(format!("{op} {k} = {values}"));
                }
            }
        }
    }
    out
}

/// The `permissions` document.
pub(crate) struct PermissionsDoc<'a>(pub(crate) &'a Permissions);

impl Render for PermissionsDoc<'_> {
    fn text(&self, out: &mut Styled) {
        out.text(render_text(self.0));
    }

    fn json(&self) -> Value {
        render_json(self.0)
    }
}

/// The human rendering.
fn render_text(p: &Permissions) -> String {
    let mut t = String::new();
    let _ = writeln!(
        t,
        "Permissions groundwork needs for blueprint {} (computed from the blueprint; no AWS call was made).",
        p.blueprint
    );
    for set in &p.sets {
        let docs = set.documents();
        let sizes: Vec<String> = docs.iter().map(|d| policy_chars(d).to_string()).collect();
        let _ = writeln!(t, "\n{}: {}", set.name, where_text(p, set));
        let _ = writeln!(
            t,
            "  {} policy document{} ({} of {MANAGED_POLICY_MAX_CHARS} characters): {}",
            docs.len(),
            if docs.len() == 1 { "" } else { "s" },
            sizes.join(" + "),
            file_names(set, docs.len()).join(", ")
        );
        for s in &set.statements {
            let _ = writeln!(t, "  {} {}: {}", if s.effect == "Deny" { "-" } else { "+" }, s.sid, s.why);
            let _ = writeln!(t, "      {} {}", s.effect, if s.actions.len() == 1 { "action:" } else { "actions:" });
            t.push_str(&wrap(&s.actions, "        ", 110));
            let _ = writeln!(t, "      on:");
            t.push_str(&wrap(&s.resources, "        ", 110));
            if let Some(c) = &s.condition {
                for line in condition_text(c) {
                    let _ = writeln!(t, "      if {line}");
                }
            }
        }
    }
    t
}

/// The `--json` document: the sets with their statements, reasons and documents.
fn render_json(p: &Permissions) -> Value {
    let mut v = serde_json::to_value(p).unwrap_or(Value::Null);
    if let Some(sets) = v.get_mut("sets").and_then(Value::as_array_mut) {
        for (out, set) in sets.iter_mut().zip(&p.sets) {
            let docs = set.documents();
            out["files"] = json!(file_names(set, docs.len()));
            out["documents"] = Value::Array(docs);
        }
    }
    v
}

pub(crate) fn run(args: &PermissionsArgs, printer: &Printer) -> Result<Exit> {
    let bp = load_blueprint(&args.blueprint, printer)?;
    let p = groundwork_plan::permissions(&bp);
    if let Some(dir) = &args.out_dir {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let mut written = Vec::new();
        for set in &p.sets {
            let docs = set.documents();
            for (name, doc) in file_names(set, docs.len()).into_iter().zip(docs) {
                let path = dir.join(&name);
                std::fs::write(&path, serde_json::to_string_pretty(&doc)? + "\n")
                    .with_context(|| format!("writing {}", path.display()))?;
                written.push(name);
            }
        }
        printer.info(&format!(
            "Wrote {} policy documents to {}: {}.",
            written.len(),
            dir.display(),
            written.join(", ")
        ));
    }
    // With --out-dir the files are the result, and --quiet leaves the text out (not the JSON).
    let to = if args.out_dir.is_some() { To::StatusOut } else { To::Stdout };
    printer.print(&PermissionsDoc(&p), to);
    Ok(Exit::Ok)
}
