//! The organization trail's spec.

use serde::{Deserialize, Serialize};

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
