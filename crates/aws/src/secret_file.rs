//! The files groundwork writes secrets to, and only there: generated console passwords
//! (`--password-file`) and access keys (`--credentials-file`). One set of rules for both:
//! created with mode 0600; an existing file that its group or others may read (or write) is
//! refused, never silently narrowed, since the secrets already in it may have been read;
//! written by this process one change at a time (a lock), a credentials profile replaced
//! through a temporary file and a rename, so a killed run leaves the old file or the new one.
//! Nothing here prints or logs what it writes.

use std::fs::OpenOptions;
use std::io::Write as _;
use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// One writer at a time within this process.
static WRITING: Mutex<()> = Mutex::new(());

/// Why a secret file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum SecretFileError {
    /// Its group or others have access.
    #[error(
        "{path} is readable or writable by its group or others (mode {mode:03o}); groundwork writes secrets only to a file of mode 0600: run `chmod 600 {path}` (and check who read it), or name a new file"
    )]
    TooOpen {
        /// The file.
        path: String,
        /// Its permission bits.
        mode: u32,
    },
    /// Reading or writing it failed.
    #[error("writing the secret file {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> SecretFileError + '_ {
    move |source| SecretFileError::Io { path: path.display().to_string(), source }
}

/// Refuses a file that exists with any permission for its group or others; a missing file is
/// fine (it is created with mode 0600).
///
/// # Errors
/// [`SecretFileError::TooOpen`], or the error reading its metadata.
pub fn check(path: &Path) -> Result<(), SecretFileError> {
    match std::fs::metadata(path) {
        Ok(m) if m.permissions().mode() & 0o077 != 0 => {
            Err(SecretFileError::TooOpen { path: path.display().to_string(), mode: m.permissions().mode() & 0o777 })
        }
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(io(path)(e)),
    }
}

/// Appends one line (creating the file with mode 0600).
///
/// # Errors
/// The file is too open, or cannot be written.
pub(crate) fn append_line(path: &Path, line: &str) -> Result<(), SecretFileError> {
    let _one = WRITING.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    check(path)?;
    let mut file = OpenOptions::new().create(true).append(true).mode(0o600).open(path).map_err(io(path))?;
    writeln!(file, "{line}").map_err(io(path))
}

/// The file's text ("" when it does not exist).
fn read(path: &Path) -> Result<String, SecretFileError> {
    match std::fs::read_to_string(path) {
        Ok(t) => Ok(t),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(String::new()),
        Err(e) => Err(io(path)(e)),
    }
}

/// `text` with the INI section `[name]` (its header up to the next header) replaced by
/// `section` (which starts with that header), or `section` appended.
fn with_section(text: &str, name: &str, section: &str) -> String {
    let header = format!("[{name}]");
    let mut out = String::new();
    let mut skipping = false;
    let mut replaced = false;
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with('[') {
            skipping = trimmed == header;
            if skipping && !replaced {
                out.push_str(section);
                replaced = true;
            }
        }
        if !skipping {
            out.push_str(line);
            out.push('\n');
        }
    }
    if !replaced {
        if !out.is_empty() && !out.ends_with("\n\n") {
            out.push('\n');
        }
        out.push_str(section);
    }
    out
}

/// Replaces (or adds) the INI section `[name]` with `section`, through a temporary file of mode
/// 0600 renamed over the file.
///
/// # Errors
/// The file is too open, or cannot be written.
pub(crate) fn set_section(path: &Path, name: &str, section: &str) -> Result<(), SecretFileError> {
    let _one = WRITING.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    check(path)?;
    let text = with_section(&read(path)?, name, section);
    let tmp = temporary(path);
    let mut file =
        OpenOptions::new().create(true).write(true).truncate(true).mode(0o600).open(&tmp).map_err(io(&tmp))?;
    file.write_all(text.as_bytes()).map_err(io(&tmp))?;
    file.sync_all().map_err(io(&tmp))?;
    std::fs::rename(&tmp, path).map_err(io(path))
}

/// Whether the file holds `needle` (an access key id: an identifier, not a secret).
pub(crate) fn contains(path: &Path, needle: &str) -> bool {
    read(path).is_ok_and(|t| t.contains(needle))
}

fn temporary(path: &Path) -> PathBuf {
    let mut name = path.file_name().map(std::ffi::OsStr::to_os_string).unwrap_or_default();
    name.push(format!(".groundwork-{}.tmp", std::process::id()));
    path.with_file_name(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_section_is_replaced_in_place_or_appended() {
        let text = "[a]\nx = 1\n\n[b]\ny = 2\n";
        assert_eq!(with_section(text, "a", "[a]\nx = 3\n\n"), "[a]\nx = 3\n\n[b]\ny = 2\n");
        assert_eq!(with_section(text, "c", "[c]\nz = 1\n"), "[a]\nx = 1\n\n[b]\ny = 2\n\n[c]\nz = 1\n");
        assert_eq!(with_section("", "c", "[c]\nz = 1\n"), "[c]\nz = 1\n");
    }

    #[test]
    fn files_open_to_others_are_refused_and_new_ones_are_private() {
        let dir = std::env::temp_dir().join(format!("gw-secret-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let open = dir.join("open");
        std::fs::write(&open, "").unwrap();
        std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o640)).unwrap();
        let err = append_line(&open, "secret").unwrap_err();
        assert!(err.to_string().contains("mode 640") && err.to_string().contains("chmod 600"), "{err}");
        assert_eq!(std::fs::read_to_string(&open).unwrap(), "");
        let new = dir.join("new");
        set_section(&new, "ci", "[ci]\nk = v\n").unwrap();
        assert_eq!(std::fs::metadata(&new).unwrap().permissions().mode() & 0o777, 0o600);
        assert!(contains(&new, "k = v"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
