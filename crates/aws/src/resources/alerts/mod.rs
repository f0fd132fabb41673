//! The `alerts` section's kinds on the AWS side: the log group and its metric filters
//! (CloudWatch Logs), the alarms (CloudWatch) and the topic (SNS), all in the management
//! account's home region, through the account's lazily built alert clients.
//!
//! The filters and the alarms of an account are each listed once per discovery (one paginated
//! `DescribeMetricFilters`, one paginated `DescribeAlarms`) and shared by their readers.

pub(crate) mod alarm;
mod events;
mod log_group;
pub(crate) mod metric_filter;
mod topic;

use std::collections::HashMap;
use std::sync::Arc;

use groundwork_apply::ProviderError;
use groundwork_plan::Locator;
use groundwork_plan::kinds::metric_alarm::MetricAlarmSpec;
use groundwork_plan::kinds::metric_filter::MetricFilterSpec;
use tokio::sync::Mutex;

use crate::accounts::AlertClients;
use crate::resources::ReadCx;

/// The region of a regional locator.
pub(crate) fn region(at: &Locator) -> Result<&str, ProviderError> {
    at.region.as_deref().ok_or_else(|| crate::organizations::internal(&format!("{} has no region", at.kind)))
}

/// An account's filters or alarms by name, listed once per (account, region).
type Listing<S> = Mutex<HashMap<String, Arc<HashMap<String, S>>>>;

/// The listings of one discovery.
#[derive(Default)]
pub(crate) struct AlertsCache {
    filters: Listing<MetricFilterSpec>,
    alarms: Listing<MetricAlarmSpec>,
}

/// `cx`'s account and region's listing in `cache`, made on first use from the pages `page`
/// returns (given the account's alert clients and the page token: the page's entries by name
/// and the next token), then shared by every reader of the discovery.
pub(crate) async fn cached<S, F, Fut>(
    cx: &ReadCx<'_>,
    cache: &Listing<S>,
    mut page: F,
) -> Result<Arc<HashMap<String, S>>, ProviderError>
where
    F: FnMut(AlertClients, Option<String>) -> Fut,
    Fut: Future<Output = Result<(Vec<(String, S)>, Option<String>), ProviderError>>,
{
    let region = region(cx.at)?;
    let key = format!("{}/{region}", cx.clients.id);
    let mut cache = cache.lock().await;
    if let Some(listing) = cache.get(&key) {
        return Ok(Arc::clone(listing));
    }
    let mut all = HashMap::new();
    let mut token: Option<String> = None;
    loop {
        let (entries, next) = page(cx.clients.alerts(region), token).await?;
        all.extend(entries);
        token = next;
        if token.is_none() {
            break;
        }
    }
    let listing = Arc::new(all);
    cache.insert(key, Arc::clone(&listing));
    Ok(listing)
}

/// groundwork's own tags among `tags` (a user's own tags are never drift).
pub(crate) fn own_tags<'a>(
    tags: impl IntoIterator<Item = (&'a String, &'a String)>,
) -> std::collections::BTreeMap<String, String> {
    tags.into_iter().filter(|(k, _)| k.starts_with("groundwork:")).map(|(k, v)| (k.clone(), v.clone())).collect()
}
