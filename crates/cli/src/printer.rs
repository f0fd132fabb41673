//! The one place output is written: results to stdout, messages to stderr. A closed stdout pipe
//! is not an error.

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io::{IsTerminal, Write};

use crate::cli::{Color, Global};

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

    /// Wraps text in an ANSI colour when colour is on for stdout.
    pub(crate) fn paint(&self, code: &str, text: &str) -> String {
        if self.color_out { format!("\x1b[{code}m{text}\x1b[0m") } else { text.to_owned() }
    }

    /// Asks a yes/no question on the terminal.
    pub(crate) fn confirm(&self, question: &str) -> bool {
        eprint!("{question}\n  Only 'yes' will be accepted to approve.\n\n  Enter a value: ");
        let _ = std::io::stderr().flush();
        let mut answer = String::new();
        std::io::stdin().read_line(&mut answer).is_ok() && answer.trim() == "yes"
    }
}
