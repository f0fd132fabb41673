//! A CloudWatch alarm on a metric of the alerts' filters (`metric-alarm/management/REGION/NAME`):
//! in alarm when the sum over one period reaches the threshold, notifying the alerts' topic.

use std::collections::BTreeMap;

use groundwork_blueprint::Blueprint;
use serde::{Deserialize, Serialize};

use super::log_group::{address, locator, tags};
use super::sns_topic::topic_arn;
use super::{Kind, KindMeta, Scope, Spec};
use crate::resource::DesiredResource;

/// How groundwork's alarms compare the metric with the threshold.
pub const COMPARISON: &str = "GreaterThanOrEqualToThreshold";
/// The statistic groundwork's alarms watch.
pub const STATISTIC: &str = "Sum";
/// No event in a period is no breach (a filter's metric has no data then).
pub const TREAT_MISSING_DATA: &str = "notBreaching";

/// A metric alarm, as groundwork writes them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricAlarmSpec {
    /// What it detects.
    pub description: String,
    /// The metric it watches.
    pub metric_name: String,
    /// The metric's namespace.
    pub namespace: String,
    /// The statistic.
    pub statistic: String,
    /// The period, in seconds.
    pub period: u32,
    /// Periods evaluated.
    pub evaluation_periods: u32,
    /// The threshold.
    pub threshold: f64,
    /// How the metric is compared with the threshold.
    pub comparison: String,
    /// What a period without data means.
    pub treat_missing_data: String,
    /// Whether its actions run (an alarm whose actions are disabled notifies nobody).
    pub actions_enabled: bool,
    /// What it notifies when it goes into alarm (sorted).
    pub alarm_actions: Vec<String>,
    /// groundwork's tags on it.
    pub tags: BTreeMap<String, String>,
}

impl KindMeta for MetricAlarmSpec {
    const KIND: Kind = Kind::MetricAlarm;
    const PREFIX: &'static str = "metric-alarm";
    const RANK: usize = 2;
    const SCOPE: Scope = Scope::Region;
}

impl Spec for MetricAlarmSpec {}

/// The alarms of the `alerts` section, each after the topic and the filters.
pub(crate) fn lower(bp: &Blueprint, out: &mut Vec<DesiredResource>) {
    let Some(alerts) = &bp.alerts else { return };
    let region = bp.organization.home_region.value.as_str();
    for a in &alerts.alarms {
        let mut after = vec![address(Kind::SnsTopic, region, &alerts.topic.name)];
        after.extend(
            alerts
                .filters
                .iter()
                .filter(|f| f.metric == a.metric && f.namespace == a.namespace)
                .map(|f| address(Kind::MetricFilter, region, &f.name)),
        );
        out.push(DesiredResource {
            address: address(Kind::MetricAlarm, region, &a.name),
            at: locator(Kind::MetricAlarm, region, &a.name),
            spec: MetricAlarmSpec {
                description: a.description.clone(),
                metric_name: a.metric.clone(),
                namespace: a.namespace.clone(),
                statistic: STATISTIC.to_owned(),
                period: a.period_seconds,
                evaluation_periods: 1,
                threshold: f64::from(a.threshold),
                comparison: COMPARISON.to_owned(),
                treat_missing_data: TREAT_MISSING_DATA.to_owned(),
                actions_enabled: true,
                alarm_actions: vec![topic_arn(region, &alerts.topic.name)],
                tags: tags(bp),
            }
            .to_value(),
            after,
        });
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn the_spec_has_its_saved_shape_and_a_missing_key_is_an_error() {
        let v = json!({
            "description": "d", "metric_name": "M", "namespace": "N", "statistic": "Sum", "period": 300,
            "evaluation_periods": 1, "threshold": 1.0, "comparison": COMPARISON, "treat_missing_data": "notBreaching",
            "actions_enabled": true, "alarm_actions": ["arn:aws:sns:eu-west-1:1:t"], "tags": {}
        });
        let spec = MetricAlarmSpec::from_value(&v).unwrap();
        assert_eq!(spec.to_value(), v);
        let mut missing = v.clone();
        missing.as_object_mut().unwrap().remove("actions_enabled");
        let e = MetricAlarmSpec::from_value(&missing).unwrap_err().to_string();
        assert!(e.contains("metric-alarm") && e.contains("actions_enabled"), "{e}");
    }
}
