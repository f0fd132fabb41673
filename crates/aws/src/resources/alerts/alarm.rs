//! The alerts' alarms: listed once per (account, region) with a paginated `DescribeAlarms`
//! shared by their readers, written with `PutMetricAlarm` (which creates or replaces the whole
//! alarm, its actions turned on).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use aws_sdk_cloudwatch::types::{ComparisonOperator, Statistic, Tag};
use groundwork_apply::ProviderError;
use groundwork_plan::kinds::metric_alarm::MetricAlarmSpec;

use super::region;
use crate::call::Idempotency;
use crate::resources::{Converge, ReadCx, WriteCx};

/// An alarm's ARN (what tagging takes).
fn alarm_arn(region: &str, account: &str, name: &str) -> String {
    format!("arn:aws:cloudwatch:{region}:{account}:alarm:{name}")
}

#[async_trait::async_trait]
impl Converge for MetricAlarmSpec {
    async fn read(cx: &ReadCx<'_>) -> Result<Option<Self>, ProviderError> {
        let region = region(cx.at)?;
        let Some(mut spec) = listing(cx).await?.get(&cx.at.name).cloned() else { return Ok(None) };
        let cw = cx.clients.alerts(region).cloudwatch;
        let arn = alarm_arn(region, &cx.clients.id, &cx.at.name);
        let out = cx
            .aws
            .run("cloudwatch:ListTagsForResource", Idempotency::Safe, || {
                cw.list_tags_for_resource().resource_arn(&arn).send()
            })
            .await?;
        spec.tags = out
            .tags()
            .iter()
            .filter_map(|t| Some((t.key()?.to_owned(), t.value()?.to_owned())))
            .filter(|(k, _)| k.starts_with("groundwork:"))
            .collect();
        Ok(Some(spec))
    }

    async fn put(&self, cx: &WriteCx<'_>, live: Option<&Self>) -> Result<String, ProviderError> {
        let region = region(cx.at)?;
        let cw = cx.clients.alerts(region).cloudwatch;
        let name = cx.at.name.as_str();
        let tags: Vec<Tag> = self.tags.iter().map(|(k, v)| Tag::builder().key(k).value(v).build()).collect();
        let mut done = Vec::new();
        if live.is_none_or(|l| MetricAlarmSpec { tags: self.tags.clone(), ..l.clone() } != *self) {
            cx.aws
                .run("cloudwatch:PutMetricAlarm", Idempotency::Safe, || {
                    cw.put_metric_alarm()
                        .alarm_name(name)
                        .alarm_description(&self.description)
                        .metric_name(&self.metric_name)
                        .namespace(&self.namespace)
                        .statistic(Statistic::from(self.statistic.as_str()))
                        .period(i32::try_from(self.period).unwrap_or(i32::MAX))
                        .evaluation_periods(i32::try_from(self.evaluation_periods).unwrap_or(i32::MAX))
                        .threshold(self.threshold)
                        .comparison_operator(ComparisonOperator::from(self.comparison.as_str()))
                        .treat_missing_data(&self.treat_missing_data)
                        .actions_enabled(self.actions_enabled)
                        .set_alarm_actions(Some(self.alarm_actions.clone()))
                        // Taken on creation only: an existing alarm's tags are set below.
                        .set_tags((!tags.is_empty()).then(|| tags.clone()))
                        .send()
                })
                .await?;
            done.push(match live {
                None => format!("created alarm {name} on {}/{}", self.namespace, self.metric_name),
                Some(l) if !l.actions_enabled && self.actions_enabled => "actions turned back on".to_owned(),
                Some(_) => "settings restored".to_owned(),
            });
        }
        if live.is_some_and(|l| l.tags != self.tags) {
            let arn = alarm_arn(region, &cx.clients.id, name);
            cx.aws
                .run("cloudwatch:TagResource", Idempotency::Safe, || {
                    cw.tag_resource().resource_arn(&arn).set_tags(Some(tags.clone())).send()
                })
                .await?;
            done.push("tags set".into());
        }
        Ok(if done.is_empty() { "already as the blueprint says".into() } else { done.join(", ") })
    }
}

/// The alarms of `cx`'s account and region by name, without their tags, listed once per
/// discovery (import reads the alerts' alarms through this too).
pub(crate) async fn listing(cx: &ReadCx<'_>) -> Result<Arc<HashMap<String, MetricAlarmSpec>>, ProviderError> {
    super::cached(cx, &cx.shared.alerts.alarms, |clients, token| async move {
        let cw = clients.cloudwatch;
        let out = cx
            .aws
            .run("cloudwatch:DescribeAlarms", Idempotency::Safe, || {
                cw.describe_alarms().set_next_token(token.clone()).send()
            })
            .await?;
        let alarms = out.metric_alarms().iter().filter_map(|a| {
            let mut actions = a.alarm_actions().to_vec();
            actions.sort();
            let spec = MetricAlarmSpec {
                description: a.alarm_description().unwrap_or_default().to_owned(),
                metric_name: a.metric_name().unwrap_or_default().to_owned(),
                namespace: a.namespace().unwrap_or_default().to_owned(),
                statistic: a.statistic().map(|s| s.as_str().to_owned()).unwrap_or_default(),
                period: a.period().and_then(|p| u32::try_from(p).ok()).unwrap_or_default(),
                evaluation_periods: a.evaluation_periods().and_then(|p| u32::try_from(p).ok()).unwrap_or_default(),
                threshold: a.threshold().unwrap_or_default(),
                comparison: a.comparison_operator().map(|c| c.as_str().to_owned()).unwrap_or_default(),
                treat_missing_data: a.treat_missing_data().unwrap_or("missing").to_owned(),
                actions_enabled: a.actions_enabled().unwrap_or(false),
                alarm_actions: actions,
                tags: BTreeMap::new(),
            };
            Some((a.alarm_name()?.to_owned(), spec))
        });
        Ok((alarms.collect(), out.next_token().map(str::to_owned)))
    })
    .await
}
