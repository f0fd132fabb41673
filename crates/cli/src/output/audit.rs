//! The `audit` document: the findings table and summary, what `--enforce` will do and did; as
//! JSON, the audit report with `clean` and `enforcement`. The HTML report (in `crate::audit`)
//! uses the same pieces.

use groundwork_audit::{AuditReport, Deactivation, Finding, KeyRef, Rule, Severity};
use groundwork_plan::{Render, Style, Styled};
use serde_json::{Value, json};

/// What `--enforce` did.
pub(crate) enum Enforcement {
    /// Keys were deactivated (or failed to be); keys skipped, and why.
    Done { results: Vec<Deactivation>, skipped: Vec<(KeyRef, String)> },
    /// Nothing to deactivate (or only skipped keys).
    Nothing { skipped: Vec<(KeyRef, String)> },
    /// The operator said no at the prompt.
    Cancelled { planned: Vec<KeyRef>, skipped: Vec<(KeyRef, String)> },
    /// No terminal and no --auto-approve.
    Refused { planned: Vec<KeyRef>, skipped: Vec<(KeyRef, String)> },
}

impl Enforcement {
    fn json(&self) -> Value {
        let skipped = |s: &[(KeyRef, String)]| -> Vec<Value> {
            s.iter()
                .map(|(k, why)| {
                    let mut v = serde_json::to_value(k).unwrap_or_default();
                    v["reason"] = json!(why);
                    v
                })
                .collect()
        };
        match self {
            Enforcement::Done { results, skipped: s } => json!({
                "status": "done",
                "deactivated": results.iter().filter(|d| d.succeeded()).collect::<Vec<_>>(),
                "failed": results.iter().filter(|d| !d.succeeded()).collect::<Vec<_>>(),
                "skipped": skipped(s),
            }),
            Enforcement::Nothing { skipped: s } => {
                json!({ "status": "nothing-to-do", "deactivated": [], "failed": [], "skipped": skipped(s) })
            }
            Enforcement::Cancelled { planned, .. } => {
                json!({ "status": "cancelled", "planned": planned, "deactivated": [], "failed": [], "skipped": [] })
            }
            Enforcement::Refused { planned, .. } => {
                json!({ "status": "refused", "planned": planned, "deactivated": [], "failed": [], "skipped": [] })
            }
        }
    }

    /// How many keys could not be deactivated.
    pub(crate) fn failed(&self) -> usize {
        match self {
            Enforcement::Done { results, .. } => results.iter().filter(|d| !d.succeeded()).count(),
            _ => 0,
        }
    }

    /// The keys it meant to deactivate, and those it left alone.
    fn planned(&self) -> (Vec<&KeyRef>, &[(KeyRef, String)]) {
        match self {
            Enforcement::Done { results, skipped } => (results.iter().map(|d| &d.key).collect(), skipped),
            Enforcement::Nothing { skipped } => (Vec::new(), skipped),
            Enforcement::Cancelled { planned, skipped } | Enforcement::Refused { planned, skipped } => {
                (planned.iter().collect(), skipped)
            }
        }
    }
}

/// The `audit` document.
pub(crate) struct Audit<'a> {
    pub(crate) report: &'a AuditReport,
    /// With `--enforce`.
    pub(crate) enforcement: Option<&'a Enforcement>,
    /// The table and the keys to deactivate were shown before the confirmation question
    /// ([`Preview`]): the text holds only what came after.
    pub(crate) asked: bool,
    /// With `--enforce` and the blueprint's `root_access` section: member root credentials.
    pub(crate) root: Option<&'a super::member_root::RootEnforcement>,
    /// The root credentials to remove were shown before their question.
    pub(crate) root_asked: bool,
}

impl Render for Audit<'_> {
    fn text(&self, out: &mut Styled) {
        if !self.asked {
            table(self.report, out);
            rotation(self.report, out);
        }
        if let Some(e) = self.enforcement {
            if !self.asked {
                let (planned, skipped) = e.planned();
                plan(&planned, skipped, out);
            }
            if let Enforcement::Done { results, .. } = e {
                deactivated(results, out);
            }
        }
        if let Some(root) = self.root {
            root.text(self.root_asked, out);
        }
    }

    fn json(&self) -> Value {
        let mut doc = serde_json::to_value(self.report).unwrap_or_default();
        doc["clean"] = json!(self.report.is_clean());
        doc["enforcement"] = self.enforcement.map_or(Value::Null, Enforcement::json);
        if let Some(root) = self.root {
            doc["root_enforcement"] = root.json();
        }
        doc
    }
}

/// The rotation status of programmatic users' keys, when there are any.
fn rotation(report: &AuditReport, out: &mut Styled) {
    if report.rotation.is_empty() {
        return;
    }
    out.line(Style::Dim, "Access key rotation (programmatic users):");
    for r in &report.rotation {
        out.text(format!("  {} {} {}: {}\n", r.user, r.access_key_id, r.status, r.next));
    }
}

/// Each sandbox account and what limits it (nothing when the blueprint has no `sandbox`).
fn sandboxes(report: &AuditReport, out: &mut Styled) {
    let mut first = true;
    for a in &report.accounts {
        let Some(limits) = &a.sandbox else { continue };
        if first {
            out.text(if report.findings.is_empty() { "\nSandboxes:\n" } else { "Sandboxes:\n" });
            first = false;
        }
        out.text(format!("  {} ({}): {limits}\n", a.name, a.id));
        if let Some(found) = &a.sandbox_found {
            out.text(format!("    found: {found}\n"));
        }
    }
    if !first && !report.findings.is_empty() {
        out.text("\n");
    }
}

/// What the operator sees before `--enforce` asks to go ahead: the table and the keys.
pub(crate) struct Preview<'a> {
    pub(crate) report: &'a AuditReport,
    pub(crate) planned: &'a [KeyRef],
    pub(crate) skipped: &'a [(KeyRef, String)],
}

impl Render for Preview<'_> {
    fn text(&self, out: &mut Styled) {
        table(self.report, out);
        plan(&self.planned.iter().collect::<Vec<_>>(), self.skipped, out);
    }

    fn json(&self) -> Value {
        json!({ "planned": self.planned })
    }
}

/// `NAME (ID)` of a finding's account.
pub(crate) fn account_label(f: &Finding) -> String {
    format!("{} ({})", f.account_name, f.account_id)
}

/// The one-line summary.
pub(crate) fn summary_line(report: &AuditReport) -> String {
    use std::fmt::Write as _;
    let s = &report.summary;
    let date = &report.as_of;
    let mut line = if report.findings.is_empty() {
        format!("No findings: {} accounts audited as of {date}", s.accounts)
    } else {
        let by: Vec<String> =
            Severity::AUDIT.iter().filter(|x| s.count(**x) > 0).map(|x| format!("{} {x}", s.count(*x))).collect();
        format!(
            "Findings: {} in {} of {} accounts ({}), as of {date}",
            s.findings,
            s.accounts_with_findings,
            s.accounts,
            by.join(", ")
        )
    };
    if s.ignored > 0 {
        let _ = write!(line, "; {} ignored ({})", s.ignored, report.ignore.join(", "));
    }
    if s.accounts_failed > 0 {
        let _ = write!(line, "; {} accounts could not be read", s.accounts_failed);
    }
    line.push('.');
    line
}

/// The findings as a table, then the summary line.
fn table(report: &AuditReport, out: &mut Styled) {
    if !report.findings.is_empty() {
        let head = ["ACCOUNT", "SEVERITY", "RULE", "SUBJECT"];
        let rows: Vec<[String; 5]> = report
            .findings
            .iter()
            .map(|f| {
                [account_label(f), f.severity.to_string(), f.rule.to_string(), f.subject.clone(), f.detail.clone()]
            })
            .collect();
        let width = |i: usize| rows.iter().map(|r| r[i].chars().count()).chain([head[i].len()]).max().unwrap_or(0);
        let w = [width(0), width(1), width(2), width(3)];
        out.text(format!(
            "{:<a$}  {:<b$}  {:<c$}  {:<d$}  DETAIL\n",
            head[0],
            head[1],
            head[2],
            head[3],
            a = w[0],
            b = w[1],
            c = w[2],
            d = w[3]
        ));
        for (f, r) in report.findings.iter().zip(&rows) {
            out.text(format!("{:<a$}  ", r[0], a = w[0]));
            out.push(Style::Severity(f.severity), format!("{:<b$}", r[1], b = w[1]));
            out.text(format!("  {:<c$}  {:<d$}  {}\n", r[2], r[3], r[4], c = w[2], d = w[3]));
        }
        out.text("\n");
    }
    // The sandboxes under the table; with no finding, the summary comes first.
    if report.findings.is_empty() {
        out.text(summary_line(report));
        out.text("\n");
        super::member_root::status(report, out);
        sandboxes(report, out);
        return;
    }
    // With findings, the one-line summary stays the last line.
    sandboxes(report, out);
    super::member_root::status(report, out);
    out.text(summary_line(report));
    out.text("\n");
}

fn key_line(k: &KeyRef) -> String {
    format!("{} ({}): {}/{} [{}]", k.account_name, k.account_id, k.user, k.access_key_id, rule_list(&k.rules))
}

/// What `--enforce` will deactivate, and what it leaves alone.
fn plan(planned: &[&KeyRef], skipped: &[(KeyRef, String)], out: &mut Styled) {
    out.text("\n");
    if planned.is_empty() {
        out.text("Enforcement: no access key to deactivate.\n");
    } else {
        out.text(format!(
            "groundwork will deactivate {} (status Inactive; nothing is deleted, a key can be reactivated):\n",
            access_keys(planned.len())
        ));
        for k in planned {
            out.line(Style::Removed, format!("  - {}", key_line(k)));
        }
    }
    for (k, why) in skipped {
        out.line(Style::Note, format!("Skipped {}: {why}", key_line(k)));
    }
}

/// `key-too-old, key-unused`.
pub(crate) fn rule_list(rules: &[Rule]) -> String {
    rules.iter().map(|r| r.id()).collect::<Vec<_>>().join(", ")
}

/// "1 access key", "2 access keys".
pub(crate) fn access_keys(n: usize) -> String {
    if n == 1 { "1 access key".to_owned() } else { format!("{n} access keys") }
}

fn deactivated(results: &[Deactivation], out: &mut Styled) {
    let ok = results.iter().filter(|d| d.succeeded()).count();
    out.text(format!("Deactivated {ok} of {} (status read back from IAM):\n", access_keys(results.len())));
    for d in results {
        let state = match (&d.status, &d.error) {
            (_, Some(e)) => format!("FAILED: {e}"),
            (Some(s), None) => s.clone(),
            (None, None) => "unknown".to_owned(),
        };
        let style = if d.succeeded() { Style::Plain } else { Style::Error };
        out.line(style, format!("  - {}: {state}", key_line(&d.key)));
    }
}
