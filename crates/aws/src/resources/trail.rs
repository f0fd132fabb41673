//! The organization trail, in the management account's home region: its settings, its advanced
//! event selectors (management events, S3 data events) and whether it is logging.

use aws_sdk_cloudtrail::types::{AdvancedEventSelector, AdvancedFieldSelector};
use groundwork_apply::{ErrorKind, ProviderError};
use serde_json::{Value, json};

use crate::Aws;
use crate::accounts::AccountClients;
use crate::call::Idempotency;

/// Parts of a trail's spec that UpdateTrail changes.
const CONFIG_KEYS: &[&str] = &[
    "s3_bucket",
    "is_organization_trail",
    "multi_region",
    "log_file_validation",
    "global_service_events",
    "kms_key_id",
];

impl Aws {
    /// The trail's live spec, or `None` when there is no trail of that name.
    pub(crate) async fn read_trail(&self, c: &AccountClients, name: &str) -> Result<Option<Value>, ProviderError> {
        let ct = &c.cloudtrail;
        let trail = match self.run("cloudtrail:GetTrail", Idempotency::Safe, || ct.get_trail().name(name).send()).await
        {
            Ok(out) => match out.trail {
                Some(t) => t,
                None => return Ok(None),
            },
            Err(e) if e.code.as_deref() == Some("TrailNotFoundException") => return Ok(None),
            Err(e) => return Err(e),
        };
        let status = self
            .run("cloudtrail:GetTrailStatus", Idempotency::Safe, || ct.get_trail_status().name(name).send())
            .await?;
        let selectors = self
            .run("cloudtrail:GetEventSelectors", Idempotency::Safe, || ct.get_event_selectors().trail_name(name).send())
            .await?;
        let event_selectors = if selectors.event_selectors().is_empty() {
            Value::Array(selectors.advanced_event_selectors().iter().map(selector_json).collect())
        } else {
            // Basic selectors (the default of a new trail, or set out of band): shown as they are,
            // so they differ from the advanced ones the blueprint asks for.
            json!({ "basic": format!("{:?}", selectors.event_selectors()) })
        };
        Ok(Some(json!({
            "s3_bucket": trail.s3_bucket_name().unwrap_or_default(),
            "is_organization_trail": trail.is_organization_trail().unwrap_or(false),
            "multi_region": trail.is_multi_region_trail().unwrap_or(false),
            "log_file_validation": trail.log_file_validation_enabled().unwrap_or(false),
            "global_service_events": trail.include_global_service_events().unwrap_or(false),
            "kms_key_id": trail.kms_key_id(),
            "event_selectors": event_selectors,
            "logging": status.is_logging().unwrap_or(false),
        })))
    }

    /// Creates or updates the trail, then starts logging when it is not.
    pub(crate) async fn put_trail(
        &self,
        c: &AccountClients,
        name: &str,
        spec: &Value,
        live: Option<&Value>,
    ) -> Result<String, ProviderError> {
        let ct = &c.cloudtrail;
        let flag = |k: &str| spec[k].as_bool().unwrap_or(true);
        let bucket = spec["s3_bucket"].as_str().unwrap_or_default();
        let kms = spec["kms_key_id"].as_str().map(str::to_owned);
        // CreateTrail and UpdateTrail take the same settings (their builders are distinct types).
        macro_rules! with_settings {
            ($req:expr) => {
                $req.name(name)
                    .s3_bucket_name(bucket)
                    .is_organization_trail(flag("is_organization_trail"))
                    .is_multi_region_trail(flag("multi_region"))
                    .enable_log_file_validation(flag("log_file_validation"))
                    .include_global_service_events(flag("global_service_events"))
                    .set_kms_key_id(kms.clone())
            };
        }
        let mut done = Vec::new();
        let mut update = live.is_some_and(|l| CONFIG_KEYS.iter().any(|k| l.get(*k) != spec.get(*k)));
        if live.is_none() {
            let created = self
                .run_settled(
                    "cloudtrail:CreateTrail",
                    || with_settings!(ct.create_trail()).send(),
                    || async {
                        match self
                            .run("cloudtrail:GetTrail", Idempotency::Safe, || ct.get_trail().name(name).send())
                            .await
                        {
                            Ok(out) => Ok(out.trail().and_then(|t| t.s3_bucket_name()) == Some(bucket)),
                            Err(e) if e.code.as_deref() == Some("TrailNotFoundException") => Ok(false),
                            Err(e) => Err(e),
                        }
                    },
                )
                .await;
            match created {
                Ok(_) => done.push(format!("created trail {name} delivering to {bucket}")),
                // An earlier, ambiguous attempt created it: make sure it has our settings.
                Err(e) if e.code.as_deref() == Some("TrailAlreadyExistsException") => update = true,
                Err(e) => return Err(e),
            }
        }
        if update {
            self.run("cloudtrail:UpdateTrail", Idempotency::Safe, || with_settings!(ct.update_trail()).send()).await?;
            done.push("trail settings restored".into());
        }
        if live.is_none_or(|l| l.get("event_selectors") != spec.get("event_selectors")) {
            let selectors = spec["event_selectors"]
                .as_array()
                .map(|a| a.iter().map(selector_sdk).collect::<Result<Vec<_>, _>>())
                .transpose()?
                .unwrap_or_default();
            self.run("cloudtrail:PutEventSelectors", Idempotency::Safe, || {
                ct.put_event_selectors().trail_name(name).set_advanced_event_selectors(Some(selectors.clone())).send()
            })
            .await?;
            done.push("event selectors set".into());
        }
        if live.is_none_or(|l| l["logging"] != Value::Bool(true)) {
            self.run("cloudtrail:StartLogging", Idempotency::Safe, || ct.start_logging().name(name).send()).await?;
            done.push("logging started".into());
        }
        Ok(if done.is_empty() { "already as the blueprint says".into() } else { done.join(", ") })
    }
}

/// An advanced event selector in the spec's shape: field selectors sorted by field, each with
/// its non-empty operators, values sorted.
fn selector_json(s: &AdvancedEventSelector) -> Value {
    let mut fields: Vec<Value> = s
        .field_selectors()
        .iter()
        .map(|f| {
            let mut out = serde_json::Map::new();
            out.insert("field".into(), json!(f.field()));
            for (op, values) in [
                ("equals", f.equals()),
                ("starts_with", f.starts_with()),
                ("ends_with", f.ends_with()),
                ("not_equals", f.not_equals()),
                ("not_starts_with", f.not_starts_with()),
                ("not_ends_with", f.not_ends_with()),
            ] {
                if !values.is_empty() {
                    let mut v = values.to_vec();
                    v.sort();
                    out.insert(op.into(), json!(v));
                }
            }
            Value::Object(out)
        })
        .collect();
    fields.sort_by(|a, b| a["field"].as_str().cmp(&b["field"].as_str()));
    json!({ "name": s.name(), "field_selectors": fields })
}

/// The SDK form of a selector of the spec.
fn selector_sdk(v: &Value) -> Result<AdvancedEventSelector, ProviderError> {
    let bad = |e: &dyn std::fmt::Display| ProviderError {
        operation: "cloudtrail:PutEventSelectors".into(),
        code: None,
        message: e.to_string(),
        kind: ErrorKind::Rejected,
    };
    let strings = |f: &Value, k: &str| -> Option<Vec<String>> {
        f[k].as_array().map(|a| a.iter().filter_map(|x| x.as_str().map(str::to_owned)).collect())
    };
    let mut fields = Vec::new();
    for f in v["field_selectors"].as_array().map(Vec::as_slice).unwrap_or_default() {
        fields.push(
            AdvancedFieldSelector::builder()
                .field(f["field"].as_str().unwrap_or_default())
                .set_equals(strings(f, "equals"))
                .set_starts_with(strings(f, "starts_with"))
                .set_ends_with(strings(f, "ends_with"))
                .set_not_equals(strings(f, "not_equals"))
                .set_not_starts_with(strings(f, "not_starts_with"))
                .set_not_ends_with(strings(f, "not_ends_with"))
                .build()
                .map_err(|e| bad(&e))?,
        );
    }
    AdvancedEventSelector::builder()
        .set_name(v["name"].as_str().map(str::to_owned))
        .set_field_selectors(Some(fields))
        .build()
        .map_err(|e| bad(&e))
}
