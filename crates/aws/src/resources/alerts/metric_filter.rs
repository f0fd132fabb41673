//! The alerts' metric filters: listed once per (account, region) with a paginated
//! `DescribeMetricFilters` shared by their readers, written with `PutMetricFilter` (which
//! creates or replaces a filter of that name on the log group).

use std::collections::HashMap;
use std::sync::Arc;

use aws_sdk_cloudwatchlogs::types::MetricTransformation;
use groundwork_apply::{ErrorKind, ProviderError};
use groundwork_plan::kinds::metric_filter::MetricFilterSpec;

use super::region;
use crate::call::Idempotency;
use crate::resources::{Converge, ReadCx, WriteCx};

#[async_trait::async_trait]
impl Converge for MetricFilterSpec {
    async fn read(cx: &ReadCx<'_>) -> Result<Option<Self>, ProviderError> {
        Ok(listing(cx).await?.get(&cx.at.name).cloned())
    }

    async fn put(&self, cx: &WriteCx<'_>, live: Option<&Self>) -> Result<String, ProviderError> {
        if live == Some(self) {
            return Ok("already as the blueprint says".into());
        }
        let region = region(cx.at)?;
        let logs = cx.clients.alerts(region).logs;
        let name = cx.at.name.as_str();
        let transformation = MetricTransformation::builder()
            .metric_name(&self.metric_name)
            .metric_namespace(&self.namespace)
            .metric_value(&self.metric_value)
            .build()
            .map_err(|e| ProviderError {
                operation: "logs:PutMetricFilter".into(),
                code: None,
                message: e.to_string(),
                kind: ErrorKind::Rejected,
            })?;
        cx.aws
            .run("logs:PutMetricFilter", Idempotency::Safe, || {
                logs.put_metric_filter()
                    .log_group_name(&self.log_group)
                    .filter_name(name)
                    .filter_pattern(&self.pattern)
                    .metric_transformations(transformation.clone())
                    .send()
            })
            .await?;
        Ok(match live {
            None => format!("created metric filter {name} ({}/{})", self.namespace, self.metric_name),
            Some(_) => format!("metric filter {name} restored"),
        })
    }
}

/// The filters of `cx`'s account and region by name, listed once per discovery (import reads
/// the alerts' filters through this too).
pub(crate) async fn listing(cx: &ReadCx<'_>) -> Result<Arc<HashMap<String, MetricFilterSpec>>, ProviderError> {
    super::cached(cx, &cx.shared.alerts.filters, |clients, token| async move {
        let logs = clients.logs;
        let out = cx
            .aws
            .run("logs:DescribeMetricFilters", Idempotency::Safe, || {
                logs.describe_metric_filters().set_next_token(token.clone()).send()
            })
            .await?;
        let filters = out.metric_filters().iter().filter_map(|f| {
            let t = f.metric_transformations().first()?;
            let spec = MetricFilterSpec {
                log_group: f.log_group_name().unwrap_or_default().to_owned(),
                pattern: f.filter_pattern().unwrap_or_default().to_owned(),
                metric_name: t.metric_name().to_owned(),
                namespace: t.metric_namespace().to_owned(),
                metric_value: t.metric_value().to_owned(),
            };
            Some((f.filter_name()?.to_owned(), spec))
        });
        Ok((filters.collect(), out.next_token().map(str::to_owned)))
    })
    .await
}
