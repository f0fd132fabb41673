//! The one place output is written: results to stdout, messages to stderr. A closed stdout pipe
//! is not an error. Documents ([`Render`]) are printed as JSON with `--json`, else as their
//! styled text, which becomes ANSI colour only here, when colour is on for that stream.

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::fmt::Write as _;
use std::io::{IsTerminal, Write};

use groundwork_blueprint::{Diagnostics, Severity};
use groundwork_plan::{Piece, Render, Style, Styled};

use crate::cli::{Color, Global};

/// Where a document's text goes (its JSON always goes to stdout).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum To {
    /// Stdout: the command's result.
    Stdout,
    /// Stderr, always (errors, diagnostics).
    Stderr,
    /// Stderr unless `--quiet`: what a command did, when its result is elsewhere (a file, AWS).
    Status,
    /// Stdout unless `--quiet`: a result that is also written elsewhere (files).
    StatusOut,
}

/// Output settings resolved from the flags and the terminal.
#[derive(Debug, Clone)]
pub(crate) struct Printer {
    pub(crate) quiet: bool,
    pub(crate) json: bool,
    pub(crate) color_out: bool,
    pub(crate) color_err: bool,
    pub(crate) progress_bars: bool,
    pub(crate) stdin_tty: bool,
}

// Methods take `&self` even where they need no field: all output goes through the one printer.
#[allow(clippy::unused_self)]
impl Printer {
    pub(crate) fn new(g: &Global) -> Self {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let decide = |tty: bool| match g.color {
            Color::Always => true,
            Color::Never => false,
            Color::Auto => tty && !no_color,
        };
        let err_tty = std::io::stderr().is_terminal();
        Printer {
            quiet: g.quiet,
            json: g.json,
            color_out: decide(std::io::stdout().is_terminal()),
            color_err: decide(err_tty),
            progress_bars: err_tty && !g.quiet && !g.json && !g.no_progress,
            stdin_tty: std::io::stdin().is_terminal(),
        }
    }

    /// A result on stdout.
    pub(crate) fn out(&self, text: &str) {
        let mut stdout = std::io::stdout().lock();
        let _ = stdout.write_all(text.as_bytes());
        let _ = stdout.flush();
    }

    /// A message on stderr (suppressed by `--quiet`).
    pub(crate) fn info(&self, text: &str) {
        if !self.quiet {
            eprintln!("{text}");
        }
    }

    /// A message on stderr, always.
    pub(crate) fn err(&self, text: &str) {
        eprintln!("{text}");
    }

    /// A document: its JSON on stdout with `--json`, else its text.
    pub(crate) fn print(&self, doc: &impl Render, to: To) {
        if self.json {
            self.out(&format!("{}\n", serde_json::to_string_pretty(&doc.json()).unwrap_or_default()));
        } else {
            self.write_text(&doc.styled(), to);
        }
    }

    /// A document shown as the command goes (before a question, or before the command's own
    /// document); `--json` prints only that final document.
    pub(crate) fn show(&self, doc: &impl Render, to: To) {
        if !self.json {
            self.write_text(&doc.styled(), to);
        }
    }

    /// A document beside the command's own, on stderr: its JSON as one line with `--json`.
    pub(crate) fn aside(&self, doc: &impl Render) {
        if self.json {
            self.err(&doc.json().to_string());
        } else {
            self.write_text(&doc.styled(), To::Stderr);
        }
    }

    /// Blueprint diagnostics on stderr.
    pub(crate) fn diagnostics(&self, d: &Diagnostics) {
        let mut out = Styled::default();
        out.diagnostics(d);
        out.text("\n");
        self.write_text(&out, To::Stderr);
    }

    fn write_text(&self, text: &Styled, to: To) {
        match to {
            To::Stdout => self.out(&self.render(text, self.color_out)),
            To::Stderr => eprint!("{}", self.render(text, self.color_err)),
            To::Status if !self.quiet => eprint!("{}", self.render(text, self.color_err)),
            To::StatusOut if !self.quiet => self.out(&self.render(text, self.color_out)),
            To::Status | To::StatusOut => {}
        }
    }

    /// Styled text as ANSI colour (each line on its own) or plain text.
    fn render(&self, text: &Styled, color: bool) -> String {
        let mut out = String::new();
        for piece in text.pieces() {
            match piece {
                Piece::Text(style, t) => match ansi(*style).filter(|_| color) {
                    Some(code) => {
                        for (i, line) in t.split('\n').enumerate() {
                            if i > 0 {
                                out.push('\n');
                            }
                            if !line.is_empty() {
                                let _ = write!(out, "\x1b[{code}m{line}\x1b[0m");
                            }
                        }
                    }
                    None => out.push_str(t),
                },
                Piece::Diagnostics(d) => {
                    let theme = if color {
                        miette::GraphicalTheme::unicode()
                    } else {
                        miette::GraphicalTheme::unicode_nocolor()
                    };
                    let handler = miette::GraphicalReportHandler::new_themed(theme).with_width(110).with_links(false);
                    for r in d.reports() {
                        let _ = handler.render_report(&mut out, &r);
                    }
                }
            }
        }
        out
    }

    /// Asks a yes/no question on the terminal.
    pub(crate) fn confirm(&self, question: &str) -> bool {
        eprint!("{question}\n  Only 'yes' will be accepted to approve.\n\n  Enter a value: ");
        let _ = std::io::stderr().flush();
        let mut answer = String::new();
        std::io::stdin().read_line(&mut answer).is_ok() && answer.trim() == "yes"
    }
}

/// The ANSI colour of a style.
fn ansi(style: Style) -> Option<&'static str> {
    Some(match style {
        Style::Plain => return None,
        Style::Added => "32",
        Style::Changed | Style::Severity(Severity::Medium | Severity::Warning) => "33",
        Style::Removed | Style::Error | Style::Severity(Severity::High) => "31",
        Style::Adopted | Style::Severity(Severity::Low) => "36",
        Style::Warning | Style::Note => "35",
        Style::Dim => "2",
        Style::Severity(Severity::Critical | Severity::Error) => "1;31",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn printer() -> Printer {
        Printer { quiet: false, json: false, color_out: true, color_err: true, progress_bars: false, stdin_tty: false }
    }

    #[test]
    fn styles_become_colour_line_by_line_only_when_colour_is_on() {
        let mut s = Styled::default();
        s.line(Style::Added, "  + ou/Prod will be created");
        s.text("      # why\n");
        s.push(Style::Error, "a\n\nb");
        s.push(Style::Severity(Severity::Critical), "critical");
        assert_eq!(
            printer().render(&s, true),
            "\x1b[32m  + ou/Prod will be created\x1b[0m\n      # why\n\x1b[31ma\x1b[0m\n\n\x1b[31mb\x1b[0m\x1b[1;31mcritical\x1b[0m"
        );
        assert_eq!(printer().render(&s, false), s.plain());
    }

    #[test]
    fn a_plan_is_coloured_by_action_and_kind_of_line() {
        let desired = groundwork_plan::Desired {
            blueprint: "x".into(),
            management_email: "root@x.example".into(),
            ous: Vec::new(),
            accounts: Vec::new(),
            access_role: "OrganizationAccountAccessRole".into(),
            execution_role: None,
            home_region: "us-east-1".into(),
            resources: Vec::new(),
            prune: groundwork_plan::Prune::default(),
            enforce: false,
            flow_logs: Vec::new(),
        };
        let plan =
            groundwork_plan::plan(&desired, &groundwork_plan::Live::default(), groundwork_plan::PlanOptions::default());
        let text = printer().render(&plan.styled(), true);
        assert!(text.contains("\x1b[32m  + organization will be created\x1b[0m\n"), "{text}");
        assert!(text.contains("\n      # the caller's account is not in an organization\n"), "{text}");
        assert_eq!(printer().render(&plan.styled(), false), groundwork_plan::render_text(&plan));
    }
}
