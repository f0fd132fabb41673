//! The organization trail, in the management account's home region.

use groundwork_apply::ProviderError;
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
        Ok(Some(json!({
            "s3_bucket": trail.s3_bucket_name().unwrap_or_default(),
            "is_organization_trail": trail.is_organization_trail().unwrap_or(false),
            "multi_region": trail.is_multi_region_trail().unwrap_or(false),
            "log_file_validation": trail.log_file_validation_enabled().unwrap_or(false),
            "global_service_events": trail.include_global_service_events().unwrap_or(false),
            "kms_key_id": trail.kms_key_id(),
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
        if live.is_none_or(|l| l["logging"] != Value::Bool(true)) {
            self.run("cloudtrail:StartLogging", Idempotency::Safe, || ct.start_logging().name(name).send()).await?;
            done.push("logging started".into());
        }
        Ok(if done.is_empty() { "already as the blueprint says".into() } else { done.join(", ") })
    }
}
