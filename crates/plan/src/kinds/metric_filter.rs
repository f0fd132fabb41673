//! A CloudWatch Logs metric filter on the alerts' log group
//! (`metric-filter/management/REGION/NAME`): a CIS control's pattern, or a custom one, counted
//! as a metric (value 1 per matching event) that an alarm watches.

use groundwork_blueprint::Blueprint;
use serde::{Deserialize, Serialize};

use super::log_group::{address, locator};
use super::{Kind, KindMeta, Scope, Spec};
use crate::resource::DesiredResource;

/// The value a filter adds to its metric per matching event.
pub const METRIC_VALUE: &str = "1";

/// A metric filter (one metric transformation, as groundwork writes them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricFilterSpec {
    /// The log group it filters.
    pub log_group: String,
    /// Its pattern.
    pub pattern: String,
    /// The metric it produces.
    pub metric_name: String,
    /// The metric's namespace.
    pub namespace: String,
    /// What each matching event adds.
    pub metric_value: String,
}

impl KindMeta for MetricFilterSpec {
    const KIND: Kind = Kind::MetricFilter;
    const PREFIX: &'static str = "metric-filter";
    const RANK: usize = 1;
    const SCOPE: Scope = Scope::Region;
}

impl Spec for MetricFilterSpec {}

/// The filters of the `alerts` section, each after the log group.
pub(crate) fn lower(bp: &Blueprint, out: &mut Vec<DesiredResource>) {
    let Some(alerts) = &bp.alerts else { return };
    let region = bp.organization.home_region.value.as_str();
    let group = &alerts.log_group.name;
    for f in &alerts.filters {
        out.push(DesiredResource {
            address: address(Kind::MetricFilter, region, &f.name),
            at: locator(Kind::MetricFilter, region, &f.name),
            spec: MetricFilterSpec {
                log_group: group.clone(),
                pattern: f.pattern.clone(),
                metric_name: f.metric.clone(),
                namespace: f.namespace.clone(),
                metric_value: METRIC_VALUE.to_owned(),
            }
            .to_value(),
            after: vec![address(Kind::LogGroup, region, group)],
        });
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn the_spec_has_its_saved_shape_and_a_missing_key_is_an_error() {
        let v = json!({ "log_group": "g", "pattern": "{ $.x = 1 }", "metric_name": "M", "namespace": "N", "metric_value": "1" });
        let spec = MetricFilterSpec::from_value(&v).unwrap();
        assert_eq!(spec.to_value(), v);
        let mut missing = v.clone();
        missing.as_object_mut().unwrap().remove("namespace");
        let e = MetricFilterSpec::from_value(&missing).unwrap_err().to_string();
        assert!(e.contains("metric-filter") && e.contains("namespace"), "{e}");
    }
}
