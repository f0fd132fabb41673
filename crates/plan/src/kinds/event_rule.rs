//! An EventBridge rule of the alerts (`event-rule/ACCOUNT/REGION/NAME`) with its targets: the
//! us-east-1 rule of every account forwarding IAM changes to the central bus, the management
//! account's rule forwarding its alarms' state changes, and the central bus's rules posting to
//! Slack through the API destination with an input transformer.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Kind, KindMeta, Scope, Spec};

/// A rule on a bus, its event pattern, whether it is on, and its targets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventRuleSpec {
    /// The bus it is on (`default`, or the central bus's name).
    pub bus: String,
    /// Its description, for people.
    pub description: String,
    /// Its event pattern, as JSON.
    pub pattern: Value,
    /// Whether it is enabled (a disabled rule is the quiet way to silence it).
    pub enabled: bool,
    /// Its targets, sorted by id.
    pub targets: Vec<EventTarget>,
    /// groundwork's tags on it.
    pub tags: BTreeMap<String, String>,
}

/// One target of a rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventTarget {
    /// The target's id within the rule.
    pub id: String,
    /// What it delivers to (a bus, an API destination).
    pub arn: String,
    /// The role EventBridge assumes to deliver.
    pub role_arn: Option<String>,
    /// How the event is rendered before delivery; `None`: the event as it is.
    pub input_transformer: Option<InputTransformer>,
}

/// A target's input transformer: JSON paths into the event, and the template they fill.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InputTransformer {
    /// Variable name to JSON path.
    pub paths: BTreeMap<String, String>,
    /// The template, with `<name>` placeholders.
    pub template: String,
}

impl KindMeta for EventRuleSpec {
    const KIND: Kind = Kind::EventRule;
    const PREFIX: &'static str = "event-rule";
    const RANK: usize = 2;
    const SCOPE: Scope = Scope::Region;
}

impl Spec for EventRuleSpec {}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_missing_key_is_an_error_naming_the_kind() {
        let spec = EventRuleSpec {
            bus: "default".into(),
            description: "d".into(),
            pattern: json!({ "source": ["aws.iam"] }),
            enabled: true,
            targets: vec![EventTarget { id: "t".into(), arn: "a".into(), role_arn: None, input_transformer: None }],
            tags: BTreeMap::new(),
        };
        let v = spec.to_value();
        let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys, ["bus", "description", "pattern", "enabled", "targets", "tags"]);
        assert_eq!(EventRuleSpec::from_value(&v).unwrap(), spec);
        let e = EventRuleSpec::from_value(&json!({ "bus": "default" })).unwrap_err().to_string();
        assert!(e.contains("event-rule"), "{e}");
    }
}
