//! The alerts' CloudWatch Logs group (`log-group/management/REGION/NAME`): in the management
//! account's home region, where the organization trail also delivers, with its retention and
//! optional KMS key. This module also lowers what connects the trail to it: the trail's
//! CloudWatch Logs destination ([`trail_destination`]) and the role CloudTrail writes with
//! ([`lower_trail_role`]).

use std::collections::BTreeMap;

use groundwork_blueprint::Blueprint;
use groundwork_blueprint::template::IdRef;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::trail::TrailLogs;
use super::{Kind, KindMeta, Scope, Spec};
use crate::lower::CLOUDTRAIL_PRINCIPAL;
use crate::resource::{DesiredResource, Locator, canonical_policy};
use crate::state::{Address, TAG_BLUEPRINT, TAG_MANAGED};

/// The name of the role CloudTrail assumes to write the trail's events into the log group.
pub const TRAIL_LOGS_ROLE: &str = "groundwork-cloudtrail-logs";

/// A CloudWatch Logs group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogGroupSpec {
    /// How long events are kept, in days; `None`: forever.
    pub retention_days: Option<u32>,
    /// The KMS key that encrypts it; `None`: CloudWatch Logs' own encryption.
    pub kms_key_id: Option<String>,
    /// groundwork's tags on it.
    pub tags: BTreeMap<String, String>,
}

impl KindMeta for LogGroupSpec {
    const KIND: Kind = Kind::LogGroup;
    const PREFIX: &'static str = "log-group";
    const RANK: usize = 0;
    const SCOPE: Scope = Scope::Region;
}

impl Spec for LogGroupSpec {}

/// The address of an alerts resource: they all live in the management account's home region,
/// e.g. `log-group/management/eu-west-1/groundwork-org-trail`.
pub fn address(kind: Kind, region: &str, name: &str) -> Address {
    Address::regional(kind, "management", region, name)
}

/// The locator of an alerts resource (management account, home region).
pub(crate) fn locator(kind: Kind, region: &str, name: &str) -> Locator {
    Locator::regional(kind, None, region.to_owned(), name.to_owned())
}

/// groundwork's ownership tags, as a map.
pub(crate) fn tags(bp: &Blueprint) -> BTreeMap<String, String> {
    BTreeMap::from([
        (TAG_MANAGED.to_owned(), "true".to_owned()),
        (TAG_BLUEPRINT.to_owned(), bp.organization.name.value.clone()),
    ])
}

/// The log group's ARN as CloudTrail takes it (with `:*`).
pub fn trail_log_group_arn(region: &str, name: &str) -> String {
    format!("arn:aws:logs:{region}:{}:log-group:{name}:*", IdRef::Management)
}

/// The ARN of the role CloudTrail writes with.
pub fn trail_role_arn() -> String {
    format!("arn:aws:iam::{}:role/{TRAIL_LOGS_ROLE}", IdRef::Management)
}

/// The log group of the `alerts` section.
pub(crate) fn lower(bp: &Blueprint, out: &mut Vec<DesiredResource>) {
    let Some(alerts) = &bp.alerts else { return };
    let region = bp.organization.home_region.value.as_str();
    let lg = &alerts.log_group;
    out.push(DesiredResource {
        address: address(Kind::LogGroup, region, &lg.name),
        at: locator(Kind::LogGroup, region, &lg.name),
        spec: LogGroupSpec {
            retention_days: Some(lg.retention_days),
            kms_key_id: lg.kms_key_arn.clone(),
            tags: tags(bp),
        }
        .to_value(),
        after: Vec::new(),
    });
}

/// The `alerts` section's resources: the log group and the role CloudTrail delivers to it with,
/// the topic, the metric filters and the alarms.
pub(crate) fn lower_section(bp: &Blueprint, out: &mut Vec<DesiredResource>) {
    lower(bp, out);
    lower_trail_role(bp, out);
    super::sns_topic::lower(bp, out);
    super::metric_filter::lower(bp, out);
    super::metric_alarm::lower(bp, out);
    super::slack::lower(bp, out);
}

/// The trail's CloudWatch Logs destination, when the blueprint has `alerts`, with what must be
/// in place first (the log group and the role).
pub(crate) fn trail_destination(bp: &Blueprint) -> Option<(TrailLogs, Vec<Address>)> {
    let alerts = bp.alerts.as_ref()?;
    let region = bp.organization.home_region.value.as_str();
    let name = &alerts.log_group.name;
    Some((
        TrailLogs { log_group_arn: trail_log_group_arn(region, name), role_arn: trail_role_arn() },
        vec![address(Kind::LogGroup, region, name), Address::role(None, TRAIL_LOGS_ROLE)],
    ))
}

/// The role CloudTrail assumes to deliver the organization trail's events to the log group: in
/// the management account, trusted by CloudTrail for this account's trails only, allowed only
/// to create streams and put events in that one group.
pub(crate) fn lower_trail_role(bp: &Blueprint, out: &mut Vec<DesiredResource>) {
    let Some(alerts) = &bp.alerts else { return };
    let region = bp.organization.home_region.value.as_str();
    let management = IdRef::Management.to_string();
    let trust = canonical_policy(&json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "CloudTrailDeliversTheOrganizationTrail",
            "Effect": "Allow",
            "Principal": { "Service": CLOUDTRAIL_PRINCIPAL },
            "Action": "sts:AssumeRole",
            "Condition": { "StringEquals": { "aws:SourceAccount": management } },
        }],
    }));
    let streams = format!("arn:aws:logs:{region}:{management}:log-group:{}:log-stream:*", alerts.log_group.name);
    let policy = canonical_policy(&json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "WriteTheTrailsEvents",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": streams,
        }],
    }));
    out.push(super::role::service_role(
        bp,
        None,
        TRAIL_LOGS_ROLE,
        "groundwork: CloudTrail delivers the organization trail to the alerts' log group".into(),
        trust,
        policy,
    ));
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;

    fn keys(v: &Value) -> Vec<&str> {
        v.as_object().unwrap().keys().map(String::as_str).collect()
    }

    #[test]
    fn the_spec_has_its_saved_shape_and_a_missing_key_is_an_error() {
        let spec = LogGroupSpec { retention_days: Some(365), kms_key_id: None, tags: BTreeMap::new() };
        let v = spec.to_value();
        assert_eq!(keys(&v), ["retention_days", "kms_key_id", "tags"]);
        assert_eq!(LogGroupSpec::from_value(&v).unwrap(), spec);
        let e = LogGroupSpec::from_value(&json!({ "retention_days": 1, "kms_key_id": null })).unwrap_err().to_string();
        assert!(e.contains("log-group") && e.contains("tags"), "{e}");
    }

    #[test]
    fn the_trail_writes_only_into_its_log_group() {
        assert_eq!(
            trail_log_group_arn("eu-west-1", "g"),
            "arn:aws:logs:eu-west-1:{{management_account_id}}:log-group:g:*"
        );
        assert_eq!(address(Kind::LogGroup, "eu-west-1", "g").to_string(), "log-group/management/eu-west-1/g");
    }
}
