//! The journal: every write call groundwork makes is appended, before and after, to a local
//! JSON-lines file (address, operation, request id, outcome, time), so an interrupted run can be
//! understood, and the next `apply` can say where it stopped.
//!
//! Lines are flushed to the operating system one by one: a `kill -9` loses nothing. (A power
//! loss may lose the last lines; the journal explains, it is never the source of truth: every
//! run starts from fresh discovery.)

use std::fmt::Write as _;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

tokio::task_local! {
    /// The address of the change the current task is working on; the AWS layer reads it so
    /// each journalled call names what it was for.
    pub static CURRENT_ADDRESS: String;
}

/// The address of the change being applied by the current task, if any.
pub fn current_address() -> Option<String> {
    CURRENT_ADDRESS.try_with(Clone::clone).ok()
}

/// What a journal line records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Event {
    /// An apply started.
    RunStart,
    /// A write call is about to be sent.
    Before,
    /// A write call returned.
    After,
    /// The run lost its apply lease: no write is sent after this line.
    Fenced,
    /// The apply ended (successfully or not) without being killed.
    RunEnd,
}

/// One journal line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// RFC 3339 UTC time.
    pub time: String,
    /// Id of the run (time and process id).
    pub run: String,
    /// What happened.
    pub event: Event,
    /// The change's address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// `service:Operation`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operation: Option<String>,
    /// AWS request id, when AWS answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// `ok`, or the error; for run-end a summary.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<String>,
}

/// The current UTC time in RFC 3339, as journal lines and lock objects record it.
pub fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}

/// An append-only journal file (or none).
pub struct Journal {
    path: Option<PathBuf>,
    run: String,
    file: Mutex<Option<File>>,
}

impl Journal {
    /// A journal that records nothing.
    pub fn disabled() -> Self {
        Journal { path: None, run: String::new(), file: Mutex::new(None) }
    }

    /// Opens (creating) the journal at `path` for appending, as a new run.
    pub fn open(path: &Path) -> std::io::Result<Self> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        let file = OpenOptions::new().create(true).append(true).open(path)?;
        let run = format!("{}-{}", now_rfc3339(), std::process::id());
        Ok(Journal { path: Some(path.to_owned()), run, file: Mutex::new(Some(file)) })
    }

    /// Where the journal is written.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// This run's id.
    pub fn run_id(&self) -> &str {
        &self.run
    }

    fn write(&self, entry: &Entry) {
        let mut guard = self.file.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let (Some(f), Ok(mut line)) = (guard.as_mut(), serde_json::to_vec(entry)) {
            {
                line.push(b'\n');
                // A journal that cannot be written must not stop the apply; warn once per line.
                if let Err(e) = f.write_all(&line).and_then(|()| f.flush()) {
                    tracing::warn!(error = %e, "cannot write the journal");
                }
            }
        }
    }

    fn entry(&self, event: Event) -> Entry {
        Entry {
            time: now_rfc3339(),
            run: self.run.clone(),
            event,
            address: None,
            operation: None,
            request_id: None,
            outcome: None,
        }
    }

    /// Records the start of a run.
    pub fn run_start(&self, summary: &str) {
        self.write(&Entry { outcome: Some(summary.to_owned()), ..self.entry(Event::RunStart) });
    }

    /// Records that the run lost its apply lease (every later write is refused before it is sent).
    pub fn fenced(&self, why: &str) {
        self.write(&Entry { outcome: Some(why.to_owned()), ..self.entry(Event::Fenced) });
    }

    /// The apply ended (successfully or not).
    pub fn run_end(&self, summary: &str) {
        self.write(&Entry { outcome: Some(summary.to_owned()), ..self.entry(Event::RunEnd) });
    }

    /// Records a write call about to be sent.
    pub fn before(&self, operation: &str) {
        self.write(&Entry {
            address: current_address(),
            operation: Some(operation.to_owned()),
            ..self.entry(Event::Before)
        });
    }

    /// Records a write call's outcome.
    pub fn after(&self, operation: &str, request_id: Option<&str>, outcome: &str) {
        self.write(&Entry {
            address: current_address(),
            operation: Some(operation.to_owned()),
            request_id: request_id.map(str::to_owned),
            outcome: Some(outcome.to_owned()),
            ..self.entry(Event::After)
        });
    }
}

/// What the journal says about the last run, when it did not end cleanly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interrupted {
    /// The run's id.
    pub run: String,
    /// When it started.
    pub started: String,
    /// Its last line.
    pub last: Entry,
    /// Write calls sent whose outcome was never recorded.
    pub unanswered: Vec<Entry>,
    /// Write calls that completed.
    pub completed: usize,
}

impl Interrupted {
    /// A human summary.
    pub fn describe(&self) -> String {
        let mut text = format!("the previous apply (run {}, started {}) was interrupted", self.run, self.started);
        let _ = match self.unanswered.last() {
            Some(e) => write!(
                text,
                " while {} was in flight for {} (sent {}; its outcome is unknown; this run checks before repeating it)",
                e.operation.as_deref().unwrap_or("?"),
                e.address.as_deref().unwrap_or("?"),
                e.time
            ),
            None => write!(
                text,
                "; its last recorded write was {} for {} at {} ({})",
                self.last.operation.as_deref().unwrap_or("none"),
                self.last.address.as_deref().unwrap_or("-"),
                self.last.time,
                self.last.outcome.as_deref().unwrap_or("no outcome")
            ),
        };
        let _ = write!(text, "; {} write calls had completed", self.completed);
        text
    }
}

/// Reads a journal and reports its last run if that run has no `run-end` line.
pub fn last_interrupted(path: &Path) -> Option<Interrupted> {
    let file = File::open(path).ok()?;
    let mut runs: Vec<Vec<Entry>> = Vec::new();
    for line in BufReader::new(file).lines().map_while(Result::ok) {
        let Ok(entry) = serde_json::from_str::<Entry>(&line) else { continue };
        if entry.event == Event::RunStart || runs.is_empty() {
            runs.push(Vec::new());
        }
        if let Some(run) = runs.last_mut() {
            run.push(entry);
        }
    }
    let last_run = runs.pop()?;
    if last_run.iter().any(|e| e.event == Event::RunEnd) {
        return None;
    }
    let first = last_run.first()?.clone();
    let mut open: Vec<Entry> = Vec::new();
    let mut completed = 0;
    for e in &last_run {
        match e.event {
            Event::Before => open.push(e.clone()),
            Event::After => {
                completed += 1;
                if let Some(i) = open.iter().position(|o| o.operation == e.operation && o.address == e.address) {
                    open.remove(i);
                }
            }
            _ => {}
        }
    }
    Some(Interrupted {
        run: first.run.clone(),
        started: first.time.clone(),
        last: last_run.last()?.clone(),
        unanswered: open,
        completed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn records_and_finds_an_interrupted_run() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.jsonl");
        let j = Journal::open(&path).unwrap();
        j.run_start("17 changes");
        j.before("organizations:CreateOrganization");
        j.after("organizations:CreateOrganization", Some("req-1"), "ok");
        j.run_end("done");
        assert_eq!(last_interrupted(&path), None, "a clean run is not interrupted");

        let j = Journal::open(&path).unwrap();
        j.run_start("3 changes");
        CURRENT_ADDRESS
            .scope("account/jira-prod".to_owned(), async {
                j.before("organizations:CreateAccount");
            })
            .await;
        let found = last_interrupted(&path).expect("interrupted");
        assert_eq!(found.unanswered.len(), 1);
        assert_eq!(found.unanswered[0].address.as_deref(), Some("account/jira-prod"));
        assert!(found.describe().contains("CreateAccount was in flight for account/jira-prod"), "{}", found.describe());
    }
}
