//! The organization trail's spec.

use groundwork_blueprint::template::Reverse;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::bucket::{BucketSpec, ObjectLock, reverse_exception_role};
use super::{Kind, KindMeta, Scope, Spec};

/// A CloudTrail trail: where it delivers, how widely it records, its event selectors and
/// whether it is logging.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrailSpec {
    /// The bucket it delivers to.
    pub s3_bucket: String,
    /// An organization trail (records every account).
    pub is_organization_trail: bool,
    /// Records every region.
    pub multi_region: bool,
    /// Writes digest files, so tampering with a log file shows.
    pub log_file_validation: bool,
    /// Records global services (IAM, STS, CloudFront).
    pub global_service_events: bool,
    /// The KMS key its files are encrypted with, if not SSE-S3.
    pub kms_key_id: Option<String>,
    /// What it records.
    pub event_selectors: EventSelectors,
    /// Whether it is logging.
    pub logging: bool,
    /// Its CloudWatch Logs destination (the `alerts` section's log group); absent from the JSON
    /// when there is none, so saved plans without alerts read as before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cloud_watch_logs: Option<TrailLogs>,
}

/// Where a trail also delivers its events: a CloudWatch Logs group, through a role CloudTrail
/// assumes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrailLogs {
    /// The log group's ARN (ending in `:*`).
    pub log_group_arn: String,
    /// The role's ARN.
    pub role_arn: String,
}

impl KindMeta for TrailSpec {
    const KIND: Kind = Kind::Trail;
    const PREFIX: &'static str = "trail";
    const RANK: usize = 2;
    const SCOPE: Scope = Scope::Account;
}

impl Spec for TrailSpec {}

/// A trail's event selectors: advanced ones (what groundwork writes), or basic ones (a new
/// trail's default, or set out of band), kept as AWS's text so they differ from any advanced set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum EventSelectors {
    /// Advanced event selectors, in a canonical order.
    Advanced(Vec<AdvancedSelector>),
    /// Basic event selectors, as AWS describes them.
    Basic {
        /// AWS's description.
        basic: String,
    },
}

/// One advanced event selector: its field selectors sorted by field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdvancedSelector {
    /// Its name.
    pub name: Option<String>,
    /// Its conditions, sorted by field.
    pub field_selectors: Vec<FieldSelector>,
}

/// One condition of an advanced event selector: a field and its non-empty operators, each with
/// its values sorted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldSelector {
    /// The field, e.g. `eventCategory`.
    pub field: String,
    /// Values the field equals.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub equals: Vec<String>,
    /// Prefixes the field starts with.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub starts_with: Vec<String>,
    /// Suffixes the field ends with.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ends_with: Vec<String>,
    /// Values the field does not equal.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_equals: Vec<String>,
    /// Prefixes the field does not start with.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_starts_with: Vec<String>,
    /// Suffixes the field does not end with.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_ends_with: Vec<String>,
}

impl FieldSelector {
    /// Sorts each operator's values (the canonical form both sides compare).
    #[must_use]
    pub fn canonical(mut self) -> Self {
        for v in [
            &mut self.equals,
            &mut self.starts_with,
            &mut self.ends_with,
            &mut self.not_equals,
            &mut self.not_starts_with,
            &mut self.not_ends_with,
        ] {
            v.sort();
            v.dedup();
        }
        self
    }
}

impl AdvancedSelector {
    /// Sorts the field selectors by field and their values.
    #[must_use]
    pub fn canonical(mut self) -> Self {
        self.field_selectors = self.field_selectors.into_iter().map(FieldSelector::canonical).collect();
        self.field_selectors.sort_by(|a, b| a.field.cmp(&b.field));
        self
    }
}

/// The trail's advanced event selectors: every management event (read and write), and the S3
/// data events the blueprint asks for (`Some(&[])`: every bucket).
#[must_use]
pub fn event_selectors(data: Option<&[String]>) -> EventSelectors {
    let field = |field: &str, equals: &str| FieldSelector {
        field: field.to_owned(),
        equals: vec![equals.to_owned()],
        ..FieldSelector::default()
    };
    let mut out = vec![AdvancedSelector {
        name: Some("Management events".into()),
        field_selectors: vec![field("eventCategory", "Management")],
    }];
    if let Some(buckets) = data {
        let mut fields = vec![field("eventCategory", "Data"), field("resources.type", "AWS::S3::Object")];
        if !buckets.is_empty() {
            fields.push(FieldSelector {
                field: "resources.ARN".into(),
                starts_with: buckets.iter().map(|b| format!("arn:aws:s3:::{b}/")).collect(),
                ..FieldSelector::default()
            });
        }
        out.push(AdvancedSelector { name: Some("S3 data events".into()), field_selectors: fields }.canonical());
    }
    EventSelectors::Advanced(out)
}

/// The `logging` section from the live organization trail `trail_name` (`trail_spec`, and as
/// JSON `trail_live`), the live bucket it delivers to (`spec`, named `bucket_name`) and the key
/// they name, in the log-archive account `log_name` (`log_id`): the account's id in bucket names
/// as `{account_id}`, nothing for groundwork's archive key under its default alias (the
/// blueprint's default). The reverse of the logging lowering (bucket, trail and KMS key).
pub(crate) fn reverse_logging(
    trail_name: &str,
    trail_spec: &TrailSpec,
    trail_live: &Value,
    spec: &BucketSpec,
    bucket_name: &str,
    (log_name, log_id): (&str, &str),
) -> Value {
    let mut m = Map::new();
    m.insert("account".into(), json!(log_name));
    m.insert("bucket".into(), json!(Reverse::new().account_id(log_id).apply(bucket_name)));
    if !bucket_name.contains(log_id) {
        // A name without the account id is accepted explicitly (validate refuses it otherwise).
        m.insert("global_bucket_name".into(), json!(true));
    }
    m.insert("trail".into(), json!(trail_name));
    m.insert("all_regions".into(), json!(trail_spec.multi_region));
    m.insert("log_file_validation".into(), json!(trail_spec.log_file_validation));
    if let Some(days) = spec.lifecycle_expiration_days {
        m.insert("retention_days".into(), json!(days));
    }
    if let Some(ObjectLock { mode: Some(mode), days: Some(days) }) = &spec.object_lock {
        m.insert("object_lock".into(), json!({ "mode": mode.to_lowercase(), "days": days }));
    }
    if let Some(role) = reverse_exception_role(&spec.policy) {
        m.insert("protection_exception_role".into(), json!(role));
    }
    if let Some(l) = &spec.access_logging {
        m.insert("access_log_bucket".into(), json!(Reverse::new().account_id(log_id).apply(&l.target_bucket)));
    }
    if let Some(prefix) = super::flow_log::reverse_archive_prefix(&spec.policy) {
        m.insert("flow_log_prefix".into(), json!(prefix));
    }
    if let Some(events) = reverse_data_events(&trail_live["event_selectors"], bucket_name, log_id) {
        m.insert("data_events".into(), events);
    }
    // The bucket names a key as it was written (an alias ARN stays one); the trail, on AWS,
    // names the key itself.
    let key = spec.encryption.as_ref().and_then(|e| e.kms_key_id.as_deref()).or(trail_spec.kms_key_id.as_deref());
    let own_alias = format!(":{log_id}:alias/{}", groundwork_blueprint::DEFAULT_LOG_KEY_ALIAS);
    match key {
        // groundwork's archive key under its default alias: the blueprint's default.
        Some(key) if key.starts_with("arn:aws:kms:") && key.ends_with(&own_alias) => {}
        Some(key) => {
            m.insert("kms_key_arn".into(), json!(key));
        }
        None => {
            m.insert("kms_key".into(), json!(false));
        }
    }
    Value::Object(m)
}

/// The `data_events` value of a trail's S3 data-event selector: `all`, or the buckets it names
/// (the log bucket as `log_bucket`, others with the log-archive id as `{account_id}`).
fn reverse_data_events(selectors: &Value, log_bucket: &str, log_id: &str) -> Option<Value> {
    let in_log_archive = Reverse::new().account_id(log_id);
    let data = selectors.as_array()?.iter().find(|s| {
        s["field_selectors"]
            .as_array()
            .is_some_and(|f| f.iter().any(|f| f["field"] == "eventCategory" && f["equals"] == json!(["Data"])))
    })?;
    let prefixes = data["field_selectors"]
        .as_array()?
        .iter()
        .find(|f| f["field"] == "resources.ARN")
        .and_then(|f| f["starts_with"].as_array());
    let Some(prefixes) = prefixes else { return Some(json!("all")) };
    let buckets: Vec<String> =
        prefixes
            .iter()
            .filter_map(Value::as_str)
            .map(|p| p.trim_start_matches("arn:aws:s3:::").trim_end_matches('/'))
            .map(|b| {
                if b == log_bucket { groundwork_blueprint::LOG_BUCKET_WORD.to_owned() } else { in_log_archive.apply(b) }
            })
            .collect();
    Some(json!(buckets))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn the_json_keeps_the_shape_saved_plans_hold() {
        let spec = TrailSpec {
            s3_bucket: "logs".into(),
            is_organization_trail: true,
            multi_region: true,
            log_file_validation: true,
            global_service_events: true,
            kms_key_id: None,
            event_selectors: event_selectors(Some(&["b".to_owned(), "a".to_owned()])),
            logging: true,
            cloud_watch_logs: None,
        };
        let v = spec.to_value();
        assert_eq!(
            v,
            json!({
                "s3_bucket": "logs", "is_organization_trail": true, "multi_region": true,
                "log_file_validation": true, "global_service_events": true, "kms_key_id": null,
                "logging": true,
                "event_selectors": [
                    { "name": "Management events", "field_selectors": [{ "field": "eventCategory", "equals": ["Management"] }] },
                    { "name": "S3 data events", "field_selectors": [
                        { "field": "eventCategory", "equals": ["Data"] },
                        { "field": "resources.ARN", "starts_with": ["arn:aws:s3:::a/", "arn:aws:s3:::b/"] },
                        { "field": "resources.type", "equals": ["AWS::S3::Object"] }
                    ] }
                ]
            })
        );
        assert_eq!(TrailSpec::from_value(&v).unwrap(), spec);
    }

    #[test]
    fn a_missing_setting_is_an_error_not_a_default() {
        let mut v = TrailSpec::from_value(&json!({
            "s3_bucket": "logs", "is_organization_trail": true, "multi_region": true,
            "log_file_validation": true, "global_service_events": true, "kms_key_id": null,
            "logging": true, "event_selectors": { "basic": "[...]" }
        }))
        .unwrap()
        .to_value();
        v.as_object_mut().unwrap().remove("multi_region");
        let err = TrailSpec::from_value(&v).unwrap_err().to_string();
        assert!(err.contains("trail") && err.contains("multi_region"), "{err}");
    }
}
