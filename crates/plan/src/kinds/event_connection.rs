//! The EventBridge connection holding Slack's bot token
//! (`event-connection/ACCOUNT/us-east-1/groundwork-slack`). EventBridge keeps the token in its
//! own Secrets Manager secret and never returns it; groundwork reads it from an environment
//! variable or a file at plan time and keeps only a fingerprint, written into the connection's
//! description, so a changed token plans an update of the connection and nothing else, and
//! drift shows without reading the secret back.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{Kind, KindMeta, Scope, Spec};

/// The header the token is sent in.
pub const AUTH_HEADER: &str = "Authorization";
/// What a description groundwork writes starts with.
pub const DESCRIPTION_PREFIX: &str = "groundwork: Slack bot token";

/// A connection with API-key authorization.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventConnectionSpec {
    /// The header the key is sent in.
    pub header: String,
    /// Where groundwork reads the token (`env NAME` or `file PATH`).
    pub token_source: String,
    /// The token's fingerprint ([`fingerprint`]); never the token.
    pub fingerprint: String,
}

impl KindMeta for EventConnectionSpec {
    const KIND: Kind = Kind::EventConnection;
    const PREFIX: &'static str = "event-connection";
    const RANK: usize = 0;
    const SCOPE: Scope = Scope::Region;
}

impl Spec for EventConnectionSpec {}

impl EventConnectionSpec {
    /// The description that carries the source and the fingerprint.
    #[must_use]
    pub fn description(&self) -> String {
        format!("{DESCRIPTION_PREFIX} from {}, fingerprint {}", self.token_source, self.fingerprint)
    }

    /// The spec a description groundwork wrote says; `None` for any other description.
    #[must_use]
    pub fn from_description(header: &str, description: &str) -> Option<Self> {
        let rest = description.strip_prefix(DESCRIPTION_PREFIX)?.strip_prefix(" from ")?;
        let (source, fp) = rest.rsplit_once(", fingerprint ")?;
        Some(EventConnectionSpec {
            header: header.to_owned(),
            token_source: source.to_owned(),
            fingerprint: fp.to_owned(),
        })
    }
}

/// The fingerprint of a token: the first 16 hex digits of SHA-256 over a fixed prefix and the
/// token, enough to see a change, not enough to stand for the token.
#[must_use]
pub fn fingerprint(token: &str) -> String {
    let digest = Sha256::digest(format!("groundwork-slack-token:{token}").as_bytes());
    let hex: String = digest.iter().take(8).fold(String::new(), |mut out, b| {
        let _ = write!(out, "{b:02x}");
        out
    });
    format!("sha256:{hex}")
}

/// The value of the authorization header for a bot token.
#[must_use]
pub fn header_value(token: &str) -> String {
    format!("Bearer {token}")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn the_description_round_trips_and_never_holds_the_token() {
        let token = "xoxb-test-token";
        let spec = EventConnectionSpec {
            header: AUTH_HEADER.into(),
            token_source: "env GROUNDWORK_SLACK_TOKEN".into(),
            fingerprint: fingerprint(token),
        };
        let d = spec.description();
        assert!(!d.contains(token), "{d}");
        assert_eq!(EventConnectionSpec::from_description(AUTH_HEADER, &d), Some(spec.clone()));
        assert_eq!(EventConnectionSpec::from_description(AUTH_HEADER, "someone else's"), None);
        assert_ne!(fingerprint(token), fingerprint("xoxb-other"));
        let e = EventConnectionSpec::from_value(&json!({ "header": "h" })).unwrap_err().to_string();
        assert!(e.contains("event-connection"), "{e}");
    }
}
