//! [`Severity`]: how serious a finding is, the one scale of the code base. A blueprint
//! diagnostic is an `Error` or a `Warning`; a credential-audit finding (the `groundwork-audit`
//! crate) is `Critical`, `High`, `Medium` or `Low`. It lives here because every crate that
//! reports findings depends on the blueprint crate, and this crate depends on none of them.

use std::fmt;

use serde::Serialize;

/// How serious a finding is. Each family is ordered most severe first; diagnostics and audit
/// findings are never compared with each other.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Audit: full control of an account is one stolen secret away.
    Critical,
    /// Audit: a long-lived credential or a password-only sign-in.
    High,
    /// Audit: weakens the controls around credentials.
    Medium,
    /// Audit: hygiene.
    Low,
    /// Diagnostic: the blueprint cannot be used; errors stop every command.
    Error,
    /// Diagnostic: the blueprint is valid but something is unwise; printed, does not stop.
    Warning,
}

impl Severity {
    /// The severities of audit findings, most severe first.
    pub const AUDIT: [Severity; 4] = [Severity::Critical, Severity::High, Severity::Medium, Severity::Low];

    /// The lowercase name, as text and JSON output show it.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::High => "high",
            Severity::Medium => "medium",
            Severity::Low => "low",
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_the_json() {
        for s in
            [Severity::Critical, Severity::High, Severity::Medium, Severity::Low, Severity::Error, Severity::Warning]
        {
            assert_eq!(serde_json::to_value(s).unwrap(), serde_json::json!(s.as_str()));
            assert_eq!(s.to_string(), s.as_str());
        }
        assert!(Severity::AUDIT.windows(2).all(|w| w[0] < w[1]), "most severe first");
    }
}
