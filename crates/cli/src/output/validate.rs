//! The `validate` document: per file, valid (with its counts and warnings) or not (with its
//! diagnostics). The text goes to stderr, the JSON to stdout.

use std::path::PathBuf;

use groundwork_blueprint::Diagnostics;
use groundwork_plan::{Render, Style, Styled, count};
use serde_json::{Value, json};

/// What `validate` found in one file.
pub(crate) enum Checked {
    /// Valid; `warnings` may hold warnings.
    Valid { ous: usize, accounts: usize, warnings: Diagnostics, wildcards: Vec<(String, usize)> },
    /// Not valid.
    Invalid(Diagnostics),
}

/// One file checked.
pub(crate) struct FileReport {
    /// As the user named it.
    pub(crate) path: PathBuf,
    pub(crate) checked: Checked,
}

/// The `validate` document.
pub(crate) struct Validate {
    pub(crate) files: Vec<FileReport>,
    /// `--quiet`: the line that says a file is valid is left out (diagnostics stay).
    pub(crate) quiet: bool,
}

impl Validate {
    /// Whether any file is invalid.
    pub(crate) fn failed(&self) -> bool {
        self.files.iter().any(|f| matches!(f.checked, Checked::Invalid(_)))
    }
}

/// A file's diagnostics as JSON, with their locations.
pub(crate) fn diagnostics_json(d: &Diagnostics) -> Value {
    json!({
        "file": d.name,
        "valid": !d.has_errors(),
        "errors": d.error_count(),
        "warnings": d.warning_count(),
        "diagnostics": d.items.iter().map(|x| json!({
            "severity": x.severity,
            "code": x.code,
            "message": x.message,
            "line": x.span.line,
            "column": x.span.col,
            "help": x.help,
            "related": x.related.iter().map(|r| json!({ "line": r.span.line, "column": r.span.col, "label": r.label })).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    })
}

impl Render for Validate {
    fn text(&self, out: &mut Styled) {
        for f in &self.files {
            let path = f.path.display();
            match &f.checked {
                Checked::Valid { ous, accounts, warnings, .. } => {
                    if !warnings.items.is_empty() {
                        out.diagnostics(warnings);
                        out.text("\n");
                    }
                    if !self.quiet {
                        out.text(format!(
                            "{path}: valid ({}, {}, {})\n",
                            count(*ous, "OU"),
                            count(*accounts, "account"),
                            count(warnings.warning_count(), "warning")
                        ));
                    }
                }
                Checked::Invalid(d) => {
                    out.diagnostics(d);
                    out.text("\n");
                    out.line(
                        Style::Error,
                        format!("{path}: {} errors, {} warnings", d.error_count(), d.warning_count()),
                    );
                }
            }
        }
    }

    fn json(&self) -> Value {
        let files: Vec<Value> = self
            .files
            .iter()
            .map(|f| match &f.checked {
                Checked::Valid { warnings: d, wildcards, .. } => {
                    let mut v = diagnostics_json(d);
                    // What each wildcard action pattern names today (docs/blueprint.md).
                    v["wildcards"] = wildcards.iter().map(|(p, n)| json!({ "pattern": p, "actions": n })).collect();
                    v
                }
                Checked::Invalid(d) => diagnostics_json(d),
            })
            .collect();
        json!({ "files": files })
    }
}
