//! The EventBridge API destination the central rules post to
//! (`api-destination/ACCOUNT/us-east-1/groundwork-slack`): Slack's `chat.postMessage` (or the
//! blueprint's endpoint), through the connection that holds the bot token.

use serde::{Deserialize, Serialize};

use super::{Kind, KindMeta, Scope, Spec};

/// The description groundwork writes on its API destination (how ownership is recognized: API
/// destinations take no tags).
pub const DESCRIPTION: &str = "groundwork: posts the alerts to Slack";

/// An API destination.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiDestinationSpec {
    /// The connection's name.
    pub connection: String,
    /// The URL it posts to.
    pub endpoint: String,
    /// The HTTP method.
    pub method: String,
    /// Invocations per second at most.
    pub rate_limit_per_second: u32,
    /// Its description.
    pub description: String,
}

impl KindMeta for ApiDestinationSpec {
    const KIND: Kind = Kind::ApiDestination;
    const PREFIX: &'static str = "api-destination";
    const RANK: usize = 1;
    const SCOPE: Scope = Scope::Region;
}

impl Spec for ApiDestinationSpec {}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_missing_key_is_an_error_naming_the_kind() {
        let e = ApiDestinationSpec::from_value(&json!({ "connection": "c" })).unwrap_err().to_string();
        assert!(e.contains("api-destination"), "{e}");
    }
}
