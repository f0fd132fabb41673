//! The alerts' central event bus (`event-bus/ACCOUNT/us-east-1/groundwork-alerts`), in the
//! account `alerts.slack` names: every account's us-east-1 rule forwards IAM changes to it, the
//! management account forwards its alarms' state changes, and its rules post to Slack. Its
//! policy admits `events:PutEvents` only from principals of this organization
//! (`aws:PrincipalOrgID`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Kind, KindMeta, Scope, Spec};

/// A custom EventBridge bus with its resource policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventBusSpec {
    /// Its resource policy, canonical.
    pub policy: Value,
    /// groundwork's tags on it.
    pub tags: BTreeMap<String, String>,
}

impl KindMeta for EventBusSpec {
    const KIND: Kind = Kind::EventBus;
    const PREFIX: &'static str = "event-bus";
    const RANK: usize = 0;
    const SCOPE: Scope = Scope::Region;
}

impl Spec for EventBusSpec {}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_missing_key_is_an_error_naming_the_kind() {
        let v = EventBusSpec { policy: json!({}), tags: BTreeMap::new() }.to_value();
        assert_eq!(v, json!({ "policy": {}, "tags": {} }));
        let e = EventBusSpec::from_value(&json!({ "policy": {} })).unwrap_err().to_string();
        assert!(e.contains("event-bus") && e.contains("tags"), "{e}");
    }
}
