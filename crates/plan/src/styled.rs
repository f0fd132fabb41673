//! Output documents: [`Render`], one implementation per command (the plan here, drift in
//! [`crate::Drift`], the others in the CLI), and [`Styled`], the text they render into: spans
//! tagged with a [`Style`] meaning, never colour codes. The printer that writes a document
//! decides whether a style becomes ANSI colour or nothing (`--color`, `NO_COLOR`, a terminal).
//!
//! ```
//! use groundwork_plan::{Style, Styled};
//! let mut out = Styled::default();
//! out.line(Style::Added, "  + ou/Prod will be created");
//! out.text("Plan: 1 to add.\n");
//! assert_eq!(out.plain(), "  + ou/Prod will be created\nPlan: 1 to add.\n");
//! ```

use std::fmt;

use groundwork_blueprint::Diagnostics;

/// What a span means; the printer picks its colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Style {
    /// No style.
    Plain,
    /// Something created.
    Added,
    /// Something changed in place.
    Changed,
    /// Something removed or replaced.
    Removed,
    /// Something taken under management as it is.
    Adopted,
    /// A warning.
    Warning,
    /// An error.
    Error,
    /// A note for the reader.
    Note,
    /// Less important text.
    Dim,
    /// How serious an audit finding is.
    Severity(groundwork_blueprint::Severity),
}

/// One piece of a [`Styled`] text.
#[derive(Debug, Clone)]
pub enum Piece {
    /// Text with a style (it may span lines; the printer styles each line on its own).
    Text(Style, String),
    /// Blueprint diagnostics, drawn by the printer with carets on the source.
    Diagnostics(Diagnostics),
}

/// Text made of styled spans; `write!` appends plain text.
#[derive(Debug, Clone, Default)]
pub struct Styled {
    pieces: Vec<Piece>,
}

impl Styled {
    /// Appends text with a style.
    pub fn push(&mut self, style: Style, text: impl Into<String>) {
        let text = text.into();
        if text.is_empty() {
            return;
        }
        if let Some(Piece::Text(last, t)) = self.pieces.last_mut()
            && *last == style
        {
            t.push_str(&text);
            return;
        }
        self.pieces.push(Piece::Text(style, text));
    }

    /// Appends plain text.
    pub fn text(&mut self, text: impl Into<String>) {
        self.push(Style::Plain, text);
    }

    /// Appends a line with a style, then a newline.
    pub fn line(&mut self, style: Style, text: impl Into<String>) {
        self.push(style, text);
        self.text("\n");
    }

    /// Appends blueprint diagnostics.
    pub fn diagnostics(&mut self, d: &Diagnostics) {
        self.pieces.push(Piece::Diagnostics(d.clone()));
    }

    /// Appends another styled text.
    pub fn append(&mut self, other: Styled) {
        for p in other.pieces {
            match p {
                Piece::Text(s, t) => self.push(s, t),
                d @ Piece::Diagnostics(_) => self.pieces.push(d),
            }
        }
    }

    /// The pieces, in order.
    pub fn pieces(&self) -> &[Piece] {
        &self.pieces
    }

    /// Whether nothing was written.
    pub fn is_empty(&self) -> bool {
        self.pieces.is_empty()
    }

    /// The text without styles (diagnostics drawn without colour).
    pub fn plain(&self) -> String {
        let mut out = String::new();
        for p in &self.pieces {
            match p {
                Piece::Text(_, t) => out.push_str(t),
                Piece::Diagnostics(d) => out.push_str(&d.render_plain()),
            }
        }
        out
    }
}

impl fmt::Write for Styled {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.text(s);
        Ok(())
    }
}

/// `1 account`, `2 accounts`: a count with its noun, plural by adding `s`.
pub fn count(n: usize, noun: &str) -> String {
    if n == 1 { format!("1 {noun}") } else { format!("{n} {noun}s") }
}

/// An output document: one per command, rendered as text or as JSON from the same value.
pub trait Render {
    /// The human form.
    fn text(&self, out: &mut Styled);
    /// The `--json` form.
    fn json(&self) -> serde_json::Value;

    /// The human form as a new [`Styled`].
    fn styled(&self) -> Styled {
        let mut out = Styled::default();
        self.text(&mut out);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_of_one_style_merge_and_plain_drops_styles() {
        let mut out = Styled::default();
        out.push(Style::Added, "a");
        out.push(Style::Added, "b");
        out.text("");
        out.line(Style::Error, "c");
        assert_eq!(out.pieces().len(), 3);
        assert_eq!(out.plain(), "abc\n");
    }

    #[test]
    fn counts_are_singular_only_for_one() {
        assert_eq!(count(0, "OU"), "0 OUs");
        assert_eq!(count(1, "account"), "1 account");
        assert_eq!(count(2, "warning"), "2 warnings");
    }
}
