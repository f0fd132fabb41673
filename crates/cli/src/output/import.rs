//! The `import` document: the file written, what a plan of it will show, and what could not be
//! expressed. The text is status on stderr (the result is the file).

use std::path::PathBuf;

use groundwork_plan::import::Imported;
use groundwork_plan::{Render, Style, Styled};
use serde_json::{Value, json};

/// What `import` wrote.
pub(crate) struct Import<'a> {
    /// The blueprint file.
    pub(crate) file: PathBuf,
    /// The organization id it describes.
    pub(crate) organization: &'a str,
    /// The blueprint and the notes.
    pub(crate) imported: &'a Imported,
    /// How long reading and writing took.
    pub(crate) secs: f32,
}

impl Render for Import<'_> {
    fn text(&self, out: &mut Styled) {
        let s = &self.imported.summary;
        let file = self.file.display();
        out.text(format!(
            "Wrote {file} from organization {} in {:.1}s; `groundwork plan {file}` will show {} to adopt, {} to add, {} to change.\n",
            self.organization, self.secs, s.adopt, s.add, s.change
        ));
        if !self.imported.commented.is_empty() {
            out.text("Commented out (see the file):\n");
            for c in &self.imported.commented {
                out.text(format!("  - {c}\n"));
            }
        }
        for n in self.imported.notes.iter().chain(&self.imported.warnings) {
            out.line(Style::Note, format!("Note: {n}"));
        }
    }

    fn json(&self) -> Value {
        let s = &self.imported.summary;
        json!({
            "file": self.file.display().to_string(),
            "organization": self.organization,
            "plan": { "add": s.add, "change": s.change, "adopt": s.adopt, "delete": s.delete },
            "commented": self.imported.commented,
            "notes": self.imported.notes,
            "warnings": self.imported.warnings,
        })
    }
}
