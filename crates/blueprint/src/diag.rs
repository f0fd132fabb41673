//! Diagnostics: every problem found in a blueprint, with its location, label and help.

use std::fmt::{self, Write as _};
use std::sync::Arc;

use miette::{Diagnostic as MietteDiagnostic, LabeledSpan, NamedSource, Severity as MietteSeverity};

use crate::severity::Severity;
use crate::yaml::Span;

/// A secondary location shown with a diagnostic (e.g. "first defined here").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Related {
    /// Where.
    pub span: Span,
    /// What the place is.
    pub label: String,
}

/// One finding in a blueprint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Stable code, e.g. `blueprint::unknown-key`.
    pub code: &'static str,
    /// [`Severity::Error`] or [`Severity::Warning`].
    pub severity: Severity,
    /// One-line message.
    pub message: String,
    /// Where the problem is.
    pub span: Span,
    /// Text drawn under the span.
    pub label: String,
    /// Other places involved.
    pub related: Vec<Related>,
    /// How to fix it.
    pub help: Option<String>,
}

impl Diagnostic {
    /// A new error.
    pub fn error(code: &'static str, span: Span, message: impl Into<String>) -> Self {
        Diagnostic {
            code,
            severity: Severity::Error,
            message: message.into(),
            span,
            label: "here".into(),
            related: Vec::new(),
            help: None,
        }
    }

    /// A new warning.
    pub fn warning(code: &'static str, span: Span, message: impl Into<String>) -> Self {
        Diagnostic { severity: Severity::Warning, ..Diagnostic::error(code, span, message) }
    }

    /// Sets the label under the primary span.
    #[must_use]
    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = label.into();
        self
    }

    /// Sets the help text.
    #[must_use]
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Adds a secondary location.
    #[must_use]
    pub fn related(mut self, span: Span, label: impl Into<String>) -> Self {
        self.related.push(Related { span, label: label.into() });
        self
    }
}

/// All findings for one blueprint file, with its source for rendering.
#[derive(Debug, Clone)]
pub struct Diagnostics {
    /// The file name as given by the user.
    pub name: String,
    /// The file's text (lossy for invalid UTF-8, which only ever has one diagnostic).
    pub source: Arc<str>,
    /// Findings sorted by position.
    pub items: Vec<Diagnostic>,
}

impl Diagnostics {
    /// Number of errors.
    pub fn error_count(&self) -> usize {
        self.items.iter().filter(|d| d.severity == Severity::Error).count()
    }

    /// Number of warnings.
    pub fn warning_count(&self) -> usize {
        self.items.iter().filter(|d| d.severity == Severity::Warning).count()
    }

    /// Whether any finding is an error.
    pub fn has_errors(&self) -> bool {
        self.error_count() > 0
    }

    /// `file:line:column` of a diagnostic.
    pub fn location(&self, d: &Diagnostic) -> String {
        format!("{}:{}:{}", self.name, d.span.line, d.span.col)
    }

    /// Each finding as a renderable miette diagnostic bound to the source.
    pub fn reports(&self) -> impl Iterator<Item = Rendered<'_>> {
        let source = NamedSource::new(self.name.clone(), Arc::clone(&self.source)).with_language("yaml");
        let len = self.source.len();
        self.items.iter().map(move |d| Rendered { diag: d, source: source.clone(), location: self.location(d), len })
    }

    /// Renders every finding with carets on the source lines, without colour: the form used in
    /// snapshots and when colour is off.
    pub fn render_plain(&self) -> String {
        let handler = miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode_nocolor())
            .with_width(100)
            .with_links(false);
        let mut out = String::new();
        for r in self.reports() {
            let _ = handler.render_report(&mut out, &r);
        }
        out
    }

    /// One line per finding: `file:line:col: severity[code]: message`.
    pub fn render_short(&self) -> String {
        let mut out = String::new();
        for d in &self.items {
            let _ = writeln!(out, "{}: {}[{}]: {}", self.location(d), d.severity, d.code, d.message);
        }
        out
    }
}

/// A diagnostic bound to its source, implementing [`miette::Diagnostic`].
#[derive(Debug)]
pub struct Rendered<'a> {
    diag: &'a Diagnostic,
    source: NamedSource<Arc<str>>,
    location: String,
    len: usize,
}

impl Rendered<'_> {
    /// A span clamped to the source, so a label at the very end still renders.
    fn clamp(&self, span: Span) -> (usize, usize) {
        if self.len == 0 {
            return (0, 0);
        }
        let start = span.start.min(self.len - 1);
        let end = span.end.clamp(start + 1, self.len);
        (start, end - start)
    }
}

impl fmt::Display for Rendered<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.location, self.diag.message)
    }
}

impl std::error::Error for Rendered<'_> {}

impl MietteDiagnostic for Rendered<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        Some(Box::new(self.diag.code))
    }

    fn severity(&self) -> Option<MietteSeverity> {
        // A diagnostic is built only by `Diagnostic::error` or `Diagnostic::warning`.
        Some(if self.diag.severity == Severity::Warning { MietteSeverity::Warning } else { MietteSeverity::Error })
    }

    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.diag.help.as_ref().map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        Some(&self.source)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let d = self.diag;
        let primary = LabeledSpan::new_primary_with_span(Some(d.label.clone()), self.clamp(d.span));
        let related = d.related.iter().map(|r| LabeledSpan::new_with_span(Some(r.label.clone()), self.clamp(r.span)));
        Some(Box::new(std::iter::once(primary).chain(related)))
    }
}
