//! The organization trail, in the management account's home region: its settings, its advanced
//! event selectors (management events, S3 data events) and whether it is logging.

use aws_sdk_cloudtrail::types::{AdvancedEventSelector, AdvancedFieldSelector};
use groundwork_apply::{ErrorKind, ProviderError};
use groundwork_plan::kinds::trail::{AdvancedSelector, EventSelectors, FieldSelector, TrailLogs, TrailSpec};

use groundwork_plan::Locator;
use groundwork_plan::kinds::KindMeta;

use super::{Converge, ListCx, ReadCx, WriteCx};
use crate::Aws;
use crate::accounts::AccountClients;
use crate::call::Idempotency;

#[async_trait::async_trait]
impl Converge for TrailSpec {
    async fn read(cx: &ReadCx<'_>) -> Result<Option<Self>, ProviderError> {
        let mut trail = cx.aws.read_trail(cx.clients, &cx.at.name).await?;
        // AWS describes the trail's key by the key's own ARN; a key of the blueprint is named by
        // its alias in the spec.
        if let Some(t) = &mut trail
            && let Some(alias) = t.kms_key_id.as_deref().and_then(|k| cx.shared.key_aliases.alias_arn(k))
        {
            t.kms_key_id = Some(alias.to_owned());
        }
        Ok(trail)
    }

    /// The organization trails visible from the home region (one DescribeTrails), each read as
    /// [`Converge::read`] reads it. A trail that lives in another region is read by its ARN and
    /// has that region in its locator.
    async fn list(cx: &ListCx<'_>) -> Result<Vec<(Locator, Self)>, ProviderError> {
        let (aws, c) = (cx.aws, cx.clients);
        let out = aws
            .run("cloudtrail:DescribeTrails", Idempotency::Safe, || {
                c.cloudtrail.describe_trails().include_shadow_trails(true).send()
            })
            .await?;
        let region = aws.home_region();
        let mut trails: Vec<(String, String, String)> = out
            .trail_list()
            .iter()
            .filter(|t| t.is_organization_trail().unwrap_or(false))
            .filter_map(|t| {
                let name = t.name()?.to_owned();
                let arn = t.trail_arn().map_or_else(|| name.clone(), str::to_owned);
                Some((name, t.home_region().unwrap_or(&region).to_owned(), arn))
            })
            .collect();
        trails.sort();
        let mut listed = Vec::new();
        for (name, home, arn) in trails {
            if home == region {
                let at = cx.locator(Self::KIND, &name);
                let read = ReadCx { aws, at: &at, clients: c, shared: cx.shared, iam: cx.iam };
                if let Some(spec) = Self::read(&read).await? {
                    listed.push((at, spec));
                }
            } else if let Some(spec) = aws.read_trail(c, &arn).await? {
                listed.push((Locator::regional(Self::KIND, None, home, name), spec));
            }
        }
        Ok(listed)
    }

    async fn put(&self, cx: &WriteCx<'_>, live: Option<&Self>) -> Result<String, ProviderError> {
        cx.aws.put_trail(cx.clients, &cx.at.name, self, live).await
    }
}

impl Aws {
    /// The trail's live spec, or `None` when there is no trail of that name.
    pub(crate) async fn read_trail(&self, c: &AccountClients, name: &str) -> Result<Option<TrailSpec>, ProviderError> {
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
            EventSelectors::Advanced(selectors.advanced_event_selectors().iter().map(selector_spec).collect())
        } else {
            // Basic selectors (the default of a new trail, or set out of band): shown as they are,
            // so they differ from the advanced ones the blueprint asks for.
            EventSelectors::Basic { basic: format!("{:?}", selectors.event_selectors()) }
        };
        Ok(Some(TrailSpec {
            s3_bucket: trail.s3_bucket_name().unwrap_or_default().to_owned(),
            is_organization_trail: trail.is_organization_trail().unwrap_or(false),
            multi_region: trail.is_multi_region_trail().unwrap_or(false),
            log_file_validation: trail.log_file_validation_enabled().unwrap_or(false),
            global_service_events: trail.include_global_service_events().unwrap_or(false),
            kms_key_id: trail.kms_key_id().map(str::to_owned),
            event_selectors,
            logging: status.is_logging().unwrap_or(false),
            cloud_watch_logs: match (trail.cloud_watch_logs_log_group_arn(), trail.cloud_watch_logs_role_arn()) {
                (Some(group), Some(role)) if !group.is_empty() => {
                    Some(TrailLogs { log_group_arn: group.to_owned(), role_arn: role.to_owned() })
                }
                _ => None,
            },
        }))
    }

    /// Creates or updates the trail, then starts logging when it is not.
    pub(crate) async fn put_trail(
        &self,
        c: &AccountClients,
        name: &str,
        spec: &TrailSpec,
        live: Option<&TrailSpec>,
    ) -> Result<String, ProviderError> {
        let ct = &c.cloudtrail;
        let bad = |op: &str, e: &dyn std::fmt::Display| ProviderError {
            operation: op.to_owned(),
            code: None,
            message: e.to_string(),
            kind: ErrorKind::Rejected,
        };
        let bucket = spec.s3_bucket.as_str();
        // The CloudWatch Logs destination; an empty value removes one the trail has (UpdateTrail).
        let logs: (Option<String>, Option<String>) = match (&spec.cloud_watch_logs, live) {
            (Some(l), _) => (Some(l.log_group_arn.clone()), Some(l.role_arn.clone())),
            (None, Some(l)) if l.cloud_watch_logs.is_some() => (Some(String::new()), Some(String::new())),
            (None, _) => (None, None),
        };
        // CreateTrail and UpdateTrail take the same settings (their builders are distinct types).
        macro_rules! with_settings {
            ($req:expr) => {
                $req.name(name)
                    .s3_bucket_name(bucket)
                    .is_organization_trail(spec.is_organization_trail)
                    .is_multi_region_trail(spec.multi_region)
                    .enable_log_file_validation(spec.log_file_validation)
                    .include_global_service_events(spec.global_service_events)
                    .set_kms_key_id(spec.kms_key_id.clone())
                    .set_cloud_watch_logs_log_group_arn(logs.0.clone())
                    .set_cloud_watch_logs_role_arn(logs.1.clone())
            };
        }
        let mut done = Vec::new();
        let mut update = live.is_some_and(|l| {
            (&l.s3_bucket, l.is_organization_trail, l.multi_region, l.log_file_validation, l.global_service_events)
                != (
                    &spec.s3_bucket,
                    spec.is_organization_trail,
                    spec.multi_region,
                    spec.log_file_validation,
                    spec.global_service_events,
                )
                || l.kms_key_id != spec.kms_key_id
                || l.cloud_watch_logs != spec.cloud_watch_logs
        });
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
        if live.is_none_or(|l| l.event_selectors != spec.event_selectors) {
            let selectors = match &spec.event_selectors {
                EventSelectors::Advanced(list) => list.iter().map(selector_sdk).collect::<Result<Vec<_>, _>>()?,
                EventSelectors::Basic { .. } => {
                    return Err(bad(
                        "cloudtrail:PutEventSelectors",
                        &"groundwork writes advanced event selectors only",
                    ));
                }
            };
            self.run("cloudtrail:PutEventSelectors", Idempotency::Safe, || {
                ct.put_event_selectors().trail_name(name).set_advanced_event_selectors(Some(selectors.clone())).send()
            })
            .await?;
            done.push("event selectors set".into());
        }
        if live.is_none_or(|l| !l.logging) {
            self.run("cloudtrail:StartLogging", Idempotency::Safe, || ct.start_logging().name(name).send()).await?;
            done.push("logging started".into());
        }
        Ok(if done.is_empty() { "already as the blueprint says".into() } else { done.join(", ") })
    }
}

/// An advanced event selector in the spec's canonical shape.
fn selector_spec(s: &AdvancedEventSelector) -> AdvancedSelector {
    AdvancedSelector {
        name: s.name().map(str::to_owned),
        field_selectors: s
            .field_selectors()
            .iter()
            .map(|f| FieldSelector {
                field: f.field().to_owned(),
                equals: f.equals().to_vec(),
                starts_with: f.starts_with().to_vec(),
                ends_with: f.ends_with().to_vec(),
                not_equals: f.not_equals().to_vec(),
                not_starts_with: f.not_starts_with().to_vec(),
                not_ends_with: f.not_ends_with().to_vec(),
            })
            .collect(),
    }
    .canonical()
}

/// The SDK form of a selector of the spec.
fn selector_sdk(v: &AdvancedSelector) -> Result<AdvancedEventSelector, ProviderError> {
    let bad = |e: &dyn std::fmt::Display| ProviderError {
        operation: "cloudtrail:PutEventSelectors".into(),
        code: None,
        message: e.to_string(),
        kind: ErrorKind::Rejected,
    };
    let values = |v: &[String]| (!v.is_empty()).then(|| v.to_vec());
    let mut fields = Vec::new();
    for f in &v.field_selectors {
        fields.push(
            AdvancedFieldSelector::builder()
                .field(&f.field)
                .set_equals(values(&f.equals))
                .set_starts_with(values(&f.starts_with))
                .set_ends_with(values(&f.ends_with))
                .set_not_equals(values(&f.not_equals))
                .set_not_starts_with(values(&f.not_starts_with))
                .set_not_ends_with(values(&f.not_ends_with))
                .build()
                .map_err(|e| bad(&e))?,
        );
    }
    AdvancedEventSelector::builder()
        .set_name(v.name.clone())
        .set_field_selectors(Some(fields))
        .build()
        .map_err(|e| bad(&e))
}
