//! The `apply` document: every change with its outcome. The text is what the operator needs
//! after the plan and the progress lines: the failures, or how long the apply took.

use groundwork_apply::{Outcome, Report};
use groundwork_plan::{Render, Style, Styled};
use serde_json::{Value, json};

use crate::printer::To;

/// What an apply did.
pub(crate) struct Applied {
    /// The outcomes, in the order the changes ended.
    pub(crate) report: Report,
    /// How long the changes took; `None` when there was nothing to do.
    pub(crate) secs: Option<f32>,
}

impl Applied {
    /// An apply with nothing to do.
    pub(crate) fn nothing() -> Self {
        Applied { report: Report::default(), secs: None }
    }

    /// Whether every change was carried out.
    pub(crate) fn complete(&self) -> bool {
        self.report.failed() == 0 && self.report.skipped() == 0
    }

    /// Failures go to stderr always; the line of a complete apply is status.
    pub(crate) fn to(&self) -> To {
        if self.complete() { To::Status } else { To::Stderr }
    }
}

impl Render for Applied {
    fn text(&self, out: &mut Styled) {
        let Some(secs) = self.secs else { return };
        if self.complete() {
            out.text(format!("Apply complete in {secs:.1}s: {} changes made.\n", self.report.done()));
            return;
        }
        for (a, o) in &self.report.results {
            if let Outcome::Failed(m) = o {
                out.line(Style::Error, format!("  {a}: {m}"));
            }
        }
    }

    fn json(&self) -> Value {
        let results: Vec<_> = self
            .report
            .results
            .iter()
            .map(|(a, o)| match o {
                Outcome::Done(m) => json!({ "address": a, "outcome": "done", "detail": m }),
                Outcome::Failed(m) => json!({ "address": a, "outcome": "failed", "detail": m }),
                Outcome::Skipped(c) => json!({ "address": a, "outcome": "skipped", "because": c }),
            })
            .collect();
        json!({ "applied": results, "failed": self.report.failed(), "skipped": self.report.skipped() })
    }
}
