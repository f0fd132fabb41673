//! The `alerts` section from what was found (the reverse of `crate::kinds::log_group`,
//! `metric_filter`, `metric_alarm`, `sns_topic` and `slack`).
//!
//! The section is written when the organization trail delivers to a CloudWatch Logs group and
//! that group was read. The CIS catalogue is recognised from the filters and alarms present
//! (a control whose filter and alarm are both missing is excluded); the other filters and
//! alarms are custom entries. `slack` comes from the central account's connection (the token's
//! source from its description, never the secret), API destination and IAM rule;
//! `iam_changes` from the forwarding rule's pattern, written only when it differs from the
//! default. What cannot be said is a `Not imported` comment in the section.

use std::collections::{BTreeMap, BTreeSet};

use groundwork_blueprint::{
    CIS_CONTROLS, DEFAULT_IAM_EVENTS, DEFAULT_LOG_GROUP, DEFAULT_LOG_RETENTION_DAYS, DEFAULT_NAMESPACE,
    DEFAULT_PERIOD_SECONDS, DEFAULT_SLACK_ENDPOINT, DEFAULT_THRESHOLD, DEFAULT_TOPIC, SecretSource, TAMPER_EVENTS,
    cis_name,
};
use serde_json::{Map, Value, json};

use super::Cx;
use crate::import::reverse::strings;
use crate::kinds::Spec;
use crate::kinds::api_destination::ApiDestinationSpec;
use crate::kinds::event_connection::EventConnectionSpec;
use crate::kinds::event_rule::EventRuleSpec;
use crate::kinds::log_group::{LogGroupSpec, address};
use crate::kinds::metric_alarm::{COMPARISON, MetricAlarmSpec, STATISTIC, TREAT_MISSING_DATA};
use crate::kinds::metric_filter::{METRIC_VALUE, MetricFilterSpec};
use crate::kinds::slack::{self, CENTRAL_REGION, FORWARD_RULE, IAM_RULE, SLACK, iam_message};
use crate::kinds::sns_topic::SnsTopicSpec;
use crate::kinds::trail::TrailSpec;
use crate::resource::Kind;

/// The `alerts` section as found, and what in it cannot be imported.
pub(in crate::import) struct AlertsDraft {
    /// The section's value.
    pub(in crate::import) value: Value,
    /// Why a part was left out, one line each.
    pub(in crate::import) not_imported: Vec<String>,
    /// What was written otherwise than the catalogue says, one line each.
    pub(in crate::import) comments: Vec<String>,
    /// The real ARN of the topic the section writes (a sandbox budget may notify it).
    pub(in crate::import) topic_arn: String,
}

/// The log group name of a trail's destination ARN (`arn:aws:logs:R:A:log-group:NAME:*`).
fn group_of(arn: &str) -> Option<&str> {
    let (_, rest) = arn.split_once(":log-group:")?;
    Some(rest.strip_suffix(":*").unwrap_or(rest))
}

/// The channel of a central rule's message, when the transformer is the one groundwork writes.
fn channel_of(rule: &EventRuleSpec) -> Option<String> {
    let t = rule.targets.first()?.input_transformer.as_ref()?;
    let rest = t.template.strip_prefix("{\"channel\": \"")?;
    let (channel, _) = rest.split_once("\", \"text\": ")?;
    (iam_message(channel) == *t).then(|| channel.to_owned())
}

/// Whether an alarm is one groundwork writes (apart from its name, metric, threshold, period
/// and description), notifying `topic`.
fn standard(a: &MetricAlarmSpec, topic: &str) -> bool {
    a.statistic == STATISTIC
        && a.evaluation_periods == 1
        && a.comparison == COMPARISON
        && a.treat_missing_data == TREAT_MISSING_DATA
        && a.alarm_actions == [topic]
}

/// A whole positive threshold.
fn whole(threshold: f64) -> Option<u64> {
    (threshold >= 1.0 && threshold.fract() == 0.0 && threshold <= f64::from(u32::MAX)).then(|| {
        // Checked whole and in range above.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let n = threshold as u64;
        n
    })
}

impl Cx<'_> {
    /// The `alerts` section: `Ok(None)` when the trail delivers to no log group, `Err` with why
    /// it cannot be written.
    pub(in crate::import) fn alerts_value(&self) -> Result<Option<AlertsDraft>, String> {
        let region = self.opts.home_region.as_str();
        let Some(trail) = self.listed(Kind::Trail).next() else { return Ok(None) };
        let Some(logs) = TrailSpec::from_value(&trail.spec).ok().and_then(|t| t.cloud_watch_logs) else {
            return Ok(None);
        };
        let group = group_of(&logs.log_group_arn).ok_or("the trail's log group is not an ARN")?;
        let lg = self
            .spec(&address(Kind::LogGroup, region, group))
            .ok_or_else(|| format!("the trail's log group {group} was not found in {region}"))?;
        let lg = LogGroupSpec::from_value(lg).map_err(|e| e.to_string())?;
        let mut m = Map::new();
        let mut not_imported = Vec::new();
        let mut comments = Vec::new();
        let mut log_group = Map::new();
        if group != DEFAULT_LOG_GROUP {
            log_group.insert("name".into(), json!(group));
        }
        match lg.retention_days {
            Some(d) if d == DEFAULT_LOG_RETENTION_DAYS => {}
            Some(d) => {
                log_group.insert("retention_days".into(), json!(d));
            }
            None => not_imported.push(format!(
                "log group {group} keeps its events forever; the section's default is {DEFAULT_LOG_RETENTION_DAYS} days"
            )),
        }
        if let Some(k) = &lg.kms_key_id {
            log_group.insert("kms_key_arn".into(), json!(k));
        }
        if !log_group.is_empty() {
            m.insert("log_group".into(), Value::Object(log_group));
        }

        let filters: BTreeMap<&str, MetricFilterSpec> = self
            .listed(Kind::MetricFilter)
            .filter(|r| r.at.account.is_none())
            .filter_map(|r| Some((r.at.name.as_str(), MetricFilterSpec::from_value(&r.spec).ok()?)))
            .filter(|(_, f)| f.log_group == group)
            .collect();
        let alarms: BTreeMap<&str, MetricAlarmSpec> = self
            .listed(Kind::MetricAlarm)
            .filter(|r| r.at.account.is_none())
            .filter_map(|r| Some((r.at.name.as_str(), MetricAlarmSpec::from_value(&r.spec).ok()?)))
            .collect();

        // The topic: the one the alarms notify (the default when there is none).
        let topic_arns: BTreeSet<&str> =
            alarms.values().flat_map(|a| a.alarm_actions.iter().map(String::as_str)).collect();
        let topic_name = match topic_arns.iter().collect::<Vec<_>>()[..] {
            [] => DEFAULT_TOPIC,
            [one] => one.rsplit(':').next().unwrap_or(DEFAULT_TOPIC),
            _ => return Err(format!("the alarms notify {} topics", topic_arns.len())),
        };
        let topic_arn = format!("arn:aws:sns:{region}:{}:{topic_name}", self.management_id);
        let topic = self
            .spec(&address(Kind::SnsTopic, region, topic_name))
            .ok_or_else(|| format!("topic {topic_name} was not found in {region}"))?;
        let topic = SnsTopicSpec::from_value(topic).map_err(|e| e.to_string())?;

        // The namespace: the CIS filters' (else the first filter's).
        let cis_filter =
            |id: &str| CIS_CONTROLS.iter().find(|c| c.id == id).and_then(|c| filters.get(cis_name(c).as_str()));
        let namespace = CIS_CONTROLS
            .iter()
            .find_map(|c| cis_filter(c.id))
            .or_else(|| filters.values().next())
            .map_or(DEFAULT_NAMESPACE, |f| f.namespace.as_str());
        if namespace != DEFAULT_NAMESPACE {
            m.insert("namespace".into(), json!(namespace));
        }

        // The CIS catalogue.
        let mut taken: BTreeSet<String> = BTreeSet::new();
        let mut exclude = Vec::new();
        for c in CIS_CONTROLS {
            let name = cis_name(c);
            let (f, a) = (filters.get(name.as_str()), alarms.get(name.as_str()));
            if f.is_none() && a.is_none() {
                exclude.push(json!(c.id));
                continue;
            }
            taken.insert(name.clone());
            let filter_ok = f.is_some_and(|f| {
                f.pattern == c.pattern
                    && f.metric_name == c.metric
                    && f.namespace == namespace
                    && f.metric_value == METRIC_VALUE
            });
            let alarm_ok = a.is_some_and(|a| {
                standard(a, &topic_arn)
                    && a.description == format!("CIS {}: {}", c.id, c.detects)
                    && a.metric_name == c.metric
                    && a.namespace == namespace
                    && whole(a.threshold) == Some(u64::from(DEFAULT_THRESHOLD))
                    && a.period == DEFAULT_PERIOD_SECONDS
            });
            if !(filter_ok && alarm_ok) {
                // Excluded, and written as a custom entry of the same name as it is.
                exclude.push(json!(c.id));
                taken.remove(&name);
                comments.push(format!(
                    "CIS {} differs from the catalogue: excluded, and {name} written as a custom entry as found",
                    c.id
                ));
            }
        }
        if exclude.len() == CIS_CONTROLS.len() {
            m.insert("cis".into(), json!(false));
        } else if !exclude.is_empty() {
            m.insert("cis".into(), json!({ "exclude": exclude }));
        }

        // Custom filters (with the alarm of the same name), then alarms of their own.
        let mut custom = Vec::new();
        let entry =
            |name: &str, metric: &str, ns: &str, alarm: Option<&MetricAlarmSpec>, e: &mut Map<String, Value>| {
                if metric != name {
                    e.insert("metric".into(), json!(metric));
                }
                if ns != namespace {
                    e.insert("namespace".into(), json!(ns));
                }
                match alarm {
                    None => {
                        e.insert("alarm".into(), json!(false));
                    }
                    Some(a) => {
                        if a.metric_name != metric || a.namespace != ns || !standard(a, &topic_arn) {
                            return Err(format!("alarm {name} is not one the section can write"));
                        }
                        let t = whole(a.threshold)
                            .ok_or_else(|| format!("alarm {name}'s threshold is not a whole number"))?;
                        if t != u64::from(DEFAULT_THRESHOLD) {
                            e.insert("threshold".into(), json!(t));
                        }
                        if a.period != DEFAULT_PERIOD_SECONDS {
                            e.insert("period".into(), json!(a.period));
                        }
                        if a.description != format!("groundwork: {name}") {
                            e.insert("description".into(), json!(a.description));
                        }
                    }
                }
                Ok(())
            };
        let custom_filters: Vec<(&&str, &MetricFilterSpec)> =
            filters.iter().filter(|(n, _)| !taken.contains(**n)).collect();
        for (name, f) in custom_filters {
            let mut e = Map::new();
            e.insert("name".into(), json!(name));
            e.insert("pattern".into(), json!(f.pattern));
            let result = if f.metric_value == METRIC_VALUE {
                entry(name, &f.metric_name, &f.namespace, alarms.get(name), &mut e)
            } else {
                Err(format!("filter {name} adds {} per event, not {METRIC_VALUE}", f.metric_value))
            };
            match result {
                Ok(()) => custom.push(Value::Object(e)),
                Err(why) => not_imported.push(why),
            }
            taken.insert((*name).to_owned());
        }
        for (name, a) in alarms.iter().filter(|(n, _)| !taken.contains(**n)) {
            let mut e = Map::new();
            e.insert("name".into(), json!(name));
            match entry(name, &a.metric_name, &a.namespace, Some(a), &mut e) {
                Ok(()) => custom.push(Value::Object(e)),
                Err(why) => not_imported.push(why),
            }
        }
        if !custom.is_empty() {
            m.insert("custom".into(), Value::Array(custom));
        }

        let mut t = Map::new();
        if topic_name != DEFAULT_TOPIC {
            t.insert("name".into(), json!(topic_name));
        }
        if !topic.email.is_empty() {
            t.insert("email".into(), json!(topic.email));
        }
        if !t.is_empty() {
            m.insert("topic".into(), Value::Object(t));
        }

        match self.slack_value() {
            Ok(Some((s, iam))) => {
                m.insert("slack".into(), s);
                if let Some(iam) = iam {
                    m.insert("iam_changes".into(), iam);
                }
            }
            Ok(None) => {}
            Err(why) => not_imported.push(format!("slack: {why}")),
        }
        Ok(Some(AlertsDraft { value: Value::Object(m), not_imported, comments, topic_arn }))
    }

    /// `alerts.slack` and `alerts.iam_changes` (`None` when it is the default), `Ok(None)`
    /// when the management account forwards no IAM events.
    fn slack_value(&self) -> Result<Option<(Value, Option<Value>)>, String> {
        let Some(forward) = self.spec(&slack::address(Kind::EventRule, None, CENTRAL_REGION, FORWARD_RULE)) else {
            return Ok(None);
        };
        let forward = EventRuleSpec::from_value(forward).map_err(|e| e.to_string())?;
        let connection = self
            .listed(Kind::EventConnection)
            .find(|r| r.at.name == SLACK)
            .ok_or("the central connection was not found")?;
        let account = connection.at.account.as_deref().ok_or("the central bus is in the management account")?;
        let conn = EventConnectionSpec::from_value(&connection.spec).map_err(|e| e.to_string())?;
        let mut s = Map::new();
        s.insert("account".into(), json!(account));
        let destination = self
            .spec(&slack::address(Kind::ApiDestination, Some(account), CENTRAL_REGION, SLACK))
            .ok_or("the API destination was not found")?;
        let destination = ApiDestinationSpec::from_value(destination).map_err(|e| e.to_string())?;
        let rule = self
            .spec(&slack::address(Kind::EventRule, Some(account), CENTRAL_REGION, IAM_RULE))
            .ok_or_else(|| format!("rule {IAM_RULE} was not found"))?;
        let rule = EventRuleSpec::from_value(rule).map_err(|e| e.to_string())?;
        let channel = channel_of(&rule).ok_or_else(|| format!("rule {IAM_RULE} renders another message"))?;
        s.insert("channel".into(), json!(channel));
        match SecretSource::parse(&conn.token_source) {
            Some(SecretSource::Env(name)) => s.insert("token_env".into(), json!(name)),
            Some(SecretSource::File(path)) => s.insert("token_file".into(), json!(path)),
            None => return Err("the connection's description does not say where the token is read".into()),
        };
        if destination.endpoint != DEFAULT_SLACK_ENDPOINT {
            s.insert("endpoint".into(), json!(destination.endpoint));
        }
        // The IAM events forwarded, without the tamper events (always forwarded).
        let events: BTreeSet<String> = strings(&forward.pattern["detail"]["eventName"])
            .into_iter()
            .filter(|e| !TAMPER_EVENTS.contains(&e.as_str()))
            .collect();
        let defaults: BTreeSet<String> = DEFAULT_IAM_EVENTS.iter().map(|e| (*e).to_owned()).collect();
        let iam = if events == defaults {
            None
        } else if events.is_subset(&defaults) && !events.is_empty() {
            Some(json!({ "exclude": defaults.difference(&events).collect::<Vec<_>>() }))
        } else {
            Some(json!({ "events": events }))
        };
        Ok(Some((Value::Object(s), iam)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_group_and_channel_are_read_back_from_what_groundwork_writes() {
        assert_eq!(group_of("arn:aws:logs:eu-west-1:111111111111:log-group:g:*"), Some("g"));
        let rule = |t| EventRuleSpec {
            bus: "b".into(),
            description: String::new(),
            pattern: json!({}),
            enabled: true,
            targets: vec![crate::kinds::event_rule::EventTarget {
                id: "slack".into(),
                arn: "x".into(),
                role_arn: None,
                input_transformer: Some(t),
            }],
            tags: BTreeMap::new(),
        };
        assert_eq!(channel_of(&rule(iam_message("#security-alerts"))).as_deref(), Some("#security-alerts"));
        let mut other = iam_message("#x");
        other.template.push(' ');
        assert_eq!(channel_of(&rule(other)), None);
        assert_eq!(whole(5.0), Some(5));
        assert_eq!(whole(0.5), None);
    }
}
