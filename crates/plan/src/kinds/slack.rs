//! The Slack half of the `alerts` section, lowered: the us-east-1 rule of every account (IAM
//! events exist only there) forwarding IAM changes and the trail-tamper events to the central
//! bus, the management account's rule forwarding its alarms' state changes, the central bus
//! with its organization-only policy, the connection holding the bot token, the API
//! destination, the two central rules whose input transformers render a Slack message, and the
//! roles EventBridge delivers with (ADR 0019, docs/alerts.md).

use std::collections::BTreeSet;

use groundwork_blueprint::template::IdRef;
use groundwork_blueprint::{AlertSlack, Blueprint, TAMPER_EVENTS};
use serde_json::{Value, json};

use super::api_destination::{ApiDestinationSpec, DESCRIPTION};
use super::event_bus::EventBusSpec;
use super::event_connection::{AUTH_HEADER, EventConnectionSpec};
use super::event_rule::{EventRuleSpec, EventTarget, InputTransformer};
use super::log_group::tags;
use super::{Kind, Spec};
use crate::resource::{DesiredResource, Locator, canonical_policy};
use crate::state::Address;

/// Where IAM's events are emitted, and so where the forwarding rules and the central bus live.
pub const CENTRAL_REGION: &str = "us-east-1";
/// The central bus's name.
pub const BUS: &str = "groundwork-alerts";
/// The connection's and the API destination's name.
pub const SLACK: &str = "groundwork-slack";
/// The us-east-1 rule of every account, on its default bus.
pub const FORWARD_RULE: &str = "groundwork-iam-to-central";
/// The management account's rule in its home region, forwarding its alarms' state changes.
pub const ALARMS_FORWARD_RULE: &str = "groundwork-alarms-to-central";
/// The central rule posting IAM changes.
pub const IAM_RULE: &str = "groundwork-iam-changes-to-slack";
/// The central rule posting alarm state changes.
pub const ALARMS_RULE: &str = "groundwork-alarms-to-slack";
/// The role every account's rules deliver to the central bus with.
pub const FORWARD_ROLE: &str = "groundwork-events-forward";
/// The role the central rules invoke the API destination with.
pub const SLACK_ROLE: &str = "groundwork-events-slack";
/// The roles the `alerts` section owns (the trail's to its log group, EventBridge's): import
/// reads them with the section, never as entries of `roles`.
pub const ALERTS_ROLES: [&str; 3] = [super::log_group::TRAIL_LOGS_ROLE, FORWARD_ROLE, SLACK_ROLE];
/// The fingerprint a spec carries before the token has been read (it never matches one).
pub const UNREAD: &str = "not read";
/// The detail type of a CloudTrail-recorded API call.
pub const API_CALL: &str = "AWS API Call via CloudTrail";
/// The service principal of EventBridge.
pub const EVENTS_PRINCIPAL: &str = "events.amazonaws.com";

/// The account label and locator account of an account (`None`: the management account).
fn label(account: Option<&str>) -> &str {
    account.unwrap_or("management")
}

fn at(kind: Kind, account: Option<&str>, region: &str, name: &str) -> (Address, Locator) {
    (
        Address::regional(kind, label(account), region, name),
        Locator::regional(kind, account.map(str::to_owned), region.to_owned(), name.to_owned()),
    )
}

/// The address of a regional alerts resource in an account (`None`: the management account).
#[must_use]
pub fn address(kind: Kind, account: Option<&str>, region: &str, name: &str) -> Address {
    at(kind, account, region, name).0
}

/// The central bus's ARN (placeholders for the account id).
#[must_use]
pub fn bus_arn(slack: &AlertSlack) -> String {
    format!("arn:aws:events:{CENTRAL_REGION}:{}:event-bus/{BUS}", IdRef::Account(&slack.account))
}

/// The API destination's ARN, any id (what the Slack role may invoke).
fn destination_arn(slack: &AlertSlack) -> String {
    format!("arn:aws:events:{CENTRAL_REGION}:{}:api-destination/{SLACK}/*", IdRef::Account(&slack.account))
}

fn role_arn(account: Option<&str>, name: &str) -> String {
    format!("arn:aws:iam::{}:role/{name}", IdRef::account_or_management(account))
}

/// The events the forwarding rules match: the blueprint's IAM events and the tamper events.
#[must_use]
pub fn forwarded_events(slack: &AlertSlack) -> Vec<String> {
    let all: BTreeSet<String> =
        slack.iam_events.iter().cloned().chain(TAMPER_EVENTS.iter().map(|s| (*s).to_owned())).collect();
    all.into_iter().collect()
}

/// The source of `groundwork alerts test`'s synthetic event (PutEvents refuses `aws.*` sources
/// from callers, so the rules also match this one).
pub const TEST_SOURCE: &str = "groundwork.alerts-test";

/// The pattern of the IAM rules (forwarding and central).
#[must_use]
pub fn iam_pattern(slack: &AlertSlack) -> Value {
    json!({
        "source": ["aws.cloudtrail", "aws.iam", TEST_SOURCE],
        "detail-type": [API_CALL],
        "detail": { "eventName": forwarded_events(slack) },
    })
}

/// The Slack message for an IAM change: who, what, which account, when, the target user and
/// policy, and a link to the event in CloudTrail's console.
#[must_use]
pub fn iam_message(channel: &str) -> InputTransformer {
    let paths = [
        ("what", "$.detail.eventName"),
        ("who", "$.detail.userIdentity.arn"),
        ("account", "$.detail.recipientAccountId"),
        ("region", "$.detail.awsRegion"),
        ("time", "$.detail.eventTime"),
        ("user", "$.detail.requestParameters.userName"),
        ("policy", "$.detail.requestParameters.policyArn"),
        ("id", "$.detail.eventID"),
    ];
    InputTransformer {
        paths: paths.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect(),
        template: format!(
            "{{\"channel\": \"{channel}\", \"text\": \":rotating_light: IAM change *<what>* by <who> in account <account> (<region>) at <time>. User: <user>. Policy: <policy>. Event: https://<region>.console.aws.amazon.com/cloudtrail/home?region=<region>#/events/<id>\"}}"
        ),
    }
}

/// The detail of `groundwork alerts test`'s synthetic event: a CloudTrail record of an
/// `AttachUserPolicy` in `account_id` at `time` (RFC 3339), by nobody real.
#[must_use]
pub fn test_event_detail(account_id: &str, time: &str, id: &str) -> Value {
    json!({
        "eventVersion": "1.09",
        "eventSource": "iam.amazonaws.com",
        "eventName": "AttachUserPolicy",
        "awsRegion": CENTRAL_REGION,
        "eventTime": time,
        "eventID": id,
        "recipientAccountId": account_id,
        "userIdentity": {
            "type": "AssumedRole",
            "accountId": account_id,
            "arn": format!("arn:aws:sts::{account_id}:assumed-role/groundwork-alerts-test/synthetic"),
        },
        "requestParameters": {
            "userName": "groundwork-alerts-test",
            "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess",
        },
        "groundworkTest": "a synthetic event sent by `groundwork alerts test`; nothing was changed",
    })
}

/// The Slack message for an alarm's state change.
#[must_use]
pub fn alarm_message(channel: &str) -> InputTransformer {
    let paths = [
        ("alarm", "$.detail.alarmName"),
        ("state", "$.detail.state.value"),
        ("account", "$.account"),
        ("region", "$.region"),
        ("time", "$.time"),
    ];
    InputTransformer {
        paths: paths.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect(),
        template: format!(
            "{{\"channel\": \"{channel}\", \"text\": \":bell: Alarm *<alarm>* is <state> in account <account> (<region>) at <time>. https://<region>.console.aws.amazon.com/cloudwatch/home?region=<region>#alarmsV2:alarm/<alarm>\"}}"
        ),
    }
}

/// The central bus's policy: `events:PutEvents` for principals of this organization only.
#[must_use]
pub fn bus_policy(slack: &AlertSlack) -> Value {
    canonical_policy(&json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "OrganizationForwardsEvents",
            "Effect": "Allow",
            "Principal": "*",
            "Action": "events:PutEvents",
            "Resource": bus_arn(slack),
            "Condition": { "StringEquals": { "aws:PrincipalOrgID": IdRef::Org.to_string() } },
        }],
    }))
}

/// A role EventBridge assumes in `account`, allowed `action` on `resource`.
fn events_role(
    bp: &Blueprint,
    account: Option<&str>,
    name: &str,
    what: &str,
    action: &str,
    resource: &str,
) -> DesiredResource {
    let trust = canonical_policy(&json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "EventBridgeDelivers",
            "Effect": "Allow",
            "Principal": { "Service": EVENTS_PRINCIPAL },
            "Action": "sts:AssumeRole",
            "Condition": { "StringEquals": { "aws:SourceAccount": IdRef::account_or_management(account).to_string() } },
        }],
    }));
    let policy = canonical_policy(&json!({
        "Version": "2012-10-17",
        "Statement": [{ "Sid": "Deliver", "Effect": "Allow", "Action": action, "Resource": resource }],
    }));
    super::role::service_role(bp, account, name, format!("groundwork: {what}"), trust, policy)
}

fn rule(account: Option<&str>, region: &str, name: &str, spec: &EventRuleSpec, after: Vec<Address>) -> DesiredResource {
    let (address, at) = at(Kind::EventRule, account, region, name);
    DesiredResource { address, at, spec: spec.to_value(), after }
}

/// The Slack half's resources, when the blueprint has `alerts.slack`.
pub(crate) fn lower(bp: &Blueprint, out: &mut Vec<DesiredResource>) {
    let Some(alerts) = &bp.alerts else { return };
    let Some(slack) = &alerts.slack else { return };
    let central = Some(slack.account.as_str());
    let tags = tags(bp);
    let bus = address(Kind::EventBus, central, CENTRAL_REGION, BUS);

    // The central bus, the connection, the API destination.
    let (address_, at_) = at(Kind::EventBus, central, CENTRAL_REGION, BUS);
    out.push(DesiredResource {
        address: address_,
        at: at_,
        spec: EventBusSpec { policy: bus_policy(slack), tags: tags.clone() }.to_value(),
        after: Vec::new(),
    });
    let (connection, at_) = at(Kind::EventConnection, central, CENTRAL_REGION, SLACK);
    out.push(DesiredResource {
        address: connection.clone(),
        at: at_,
        spec: EventConnectionSpec {
            header: AUTH_HEADER.into(),
            token_source: slack.token.to_string(),
            fingerprint: slack.token_fingerprint.clone().unwrap_or_else(|| UNREAD.to_owned()),
        }
        .to_value(),
        after: Vec::new(),
    });
    let (destination, at_) = at(Kind::ApiDestination, central, CENTRAL_REGION, SLACK);
    out.push(DesiredResource {
        address: destination.clone(),
        at: at_,
        spec: ApiDestinationSpec {
            connection: SLACK.into(),
            endpoint: slack.endpoint.clone(),
            method: "POST".into(),
            rate_limit_per_second: 1,
            description: DESCRIPTION.into(),
        }
        .to_value(),
        after: vec![connection],
    });

    // The central rules, posting through the API destination.
    out.push(events_role(
        bp,
        central,
        SLACK_ROLE,
        "EventBridge posts the alerts to Slack through the API destination",
        "events:InvokeApiDestination",
        &destination_arn(slack),
    ));
    let slack_role = Address::role(central, SLACK_ROLE);
    let destination_target = |transformer: InputTransformer| EventTarget {
        id: "slack".into(),
        arn: format!("arn:aws:events:{CENTRAL_REGION}:{}:api-destination/{SLACK}", IdRef::Account(&slack.account)),
        role_arn: Some(role_arn(central, SLACK_ROLE)),
        input_transformer: Some(transformer),
    };
    let after = vec![bus.clone(), destination.clone(), slack_role.clone()];
    let central_rule = |description: &str, pattern: Value, transformer: InputTransformer| EventRuleSpec {
        bus: BUS.into(),
        description: format!("groundwork: {description}"),
        pattern,
        enabled: true,
        targets: vec![destination_target(transformer)],
        tags: tags.clone(),
    };
    out.push(rule(
        central,
        CENTRAL_REGION,
        IAM_RULE,
        &central_rule("posts IAM changes to Slack", iam_pattern(slack), iam_message(&slack.channel)),
        after.clone(),
    ));
    out.push(rule(
        central,
        CENTRAL_REGION,
        ALARMS_RULE,
        &central_rule(
            "posts the alarms' state changes to Slack",
            json!({ "source": ["aws.cloudwatch"], "detail-type": ["CloudWatch Alarm State Change"] }),
            alarm_message(&slack.channel),
        ),
        after,
    ));

    // Every account forwards from us-east-1; the management account also forwards its alarms.
    let to_bus = |account: Option<&str>| EventTarget {
        id: "central-bus".into(),
        arn: bus_arn(slack),
        role_arn: Some(role_arn(account, FORWARD_ROLE)),
        input_transformer: None,
    };
    let accounts = std::iter::once(None).chain(bp.accounts.iter().map(|a| Some(a.name.value.as_str())));
    for account in accounts {
        out.push(events_role(
            bp,
            account,
            FORWARD_ROLE,
            "EventBridge forwards IAM changes and alarms to the alerts' central bus",
            "events:PutEvents",
            &bus_arn(slack),
        ));
        let spec = EventRuleSpec {
            bus: "default".into(),
            description: "groundwork: forwards IAM changes to the alerts' central bus".into(),
            pattern: iam_pattern(slack),
            enabled: true,
            targets: vec![to_bus(account)],
            tags: tags.clone(),
        };
        out.push(rule(
            account,
            CENTRAL_REGION,
            FORWARD_RULE,
            &spec,
            vec![bus.clone(), Address::role(account, FORWARD_ROLE)],
        ));
    }
    // Sorted: a pattern's list is a set, and the same alarms make the same rule whether the
    // catalogue or a custom entry declares them (as import writes a control that differs).
    let mut alarms: Vec<&str> = alerts.alarms.iter().map(|a| a.name.as_str()).collect();
    alarms.sort_unstable();
    if alarms.is_empty() {
        return;
    }
    let spec = EventRuleSpec {
        bus: "default".into(),
        description: "groundwork: forwards the alarms' state changes to the alerts' central bus".into(),
        pattern: json!({
            "source": ["aws.cloudwatch"],
            "detail-type": ["CloudWatch Alarm State Change"],
            "detail": { "alarmName": alarms },
        }),
        enabled: true,
        targets: vec![to_bus(None)],
        tags,
    };
    let home = bp.organization.home_region.value.as_str();
    out.push(rule(None, home, ALARMS_FORWARD_RULE, &spec, vec![bus, Address::role(None, FORWARD_ROLE)]));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bp() -> Blueprint {
        let text = include_str!("../../../../examples/alerts.yaml");
        groundwork_blueprint::parse("alerts.yaml", text.as_bytes()).unwrap().blueprint
    }

    #[test]
    fn every_account_forwards_from_us_east_1_and_the_bus_admits_the_organization_only() {
        let bp = bp();
        let mut out = Vec::new();
        lower(&bp, &mut out);
        let names: Vec<String> = out.iter().map(|r| r.address.to_string()).collect();
        for a in ["management", "log-archive", "webapp-prod"] {
            assert!(names.contains(&format!("event-rule/{a}/us-east-1/{FORWARD_RULE}")), "{names:?}");
            assert!(names.contains(&format!("iam-role/{a}/{FORWARD_ROLE}")), "{names:?}");
        }
        assert!(names.contains(&format!("event-rule/management/eu-west-1/{ALARMS_FORWARD_RULE}")));
        assert!(names.contains(&format!("api-destination/log-archive/us-east-1/{SLACK}")));
        let bus = out.iter().find(|r| r.address.to_string().starts_with("event-bus/")).unwrap();
        assert!(bus.spec["policy"].to_string().contains("aws:PrincipalOrgID"));
        let connection = out.iter().find(|r| r.at.kind == Kind::EventConnection).unwrap();
        assert_eq!(connection.spec["token_source"], "env GROUNDWORK_SLACK_TOKEN");
        assert_eq!(connection.spec["fingerprint"], UNREAD);
    }

    #[test]
    fn the_message_template_is_json_once_filled() {
        let t = iam_message("#security");
        let mut text = t.template.clone();
        for k in t.paths.keys() {
            text = text.replace(&format!("<{k}>"), "x");
        }
        let v: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["channel"], "#security");
        assert!(!forwarded_events(&bp().alerts.unwrap().slack.unwrap()).contains(&"CreateRole".to_owned()));
        let events = forwarded_events(&bp().alerts.unwrap().slack.unwrap());
        assert!(events.contains(&"AttachUserPolicy".to_owned()) && events.contains(&"StopLogging".to_owned()));
    }
}
