//! The alerts' SNS topic (`sns-topic/management/REGION/NAME`): every alarm notifies it (CIS and
//! Security Hub look for an SNS action on each alarm). Its policy lets CloudWatch and
//! EventBridge publish, only on behalf of the management account; e-mail subscribers are
//! optional.

use std::collections::BTreeMap;

use groundwork_blueprint::Blueprint;
use groundwork_blueprint::template::IdRef;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::log_group::{address, locator, tags};
use super::{Kind, KindMeta, Scope, Spec};
use crate::resource::{DesiredResource, canonical_policy};

/// An SNS topic with its policy and e-mail subscribers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SnsTopicSpec {
    /// Its access policy, canonical.
    pub policy: Value,
    /// The e-mail addresses subscribed to it, sorted.
    pub email: Vec<String>,
    /// groundwork's tags on it.
    pub tags: BTreeMap<String, String>,
}

impl KindMeta for SnsTopicSpec {
    const KIND: Kind = Kind::SnsTopic;
    const PREFIX: &'static str = "sns-topic";
    const RANK: usize = 0;
    const SCOPE: Scope = Scope::Region;
}

impl Spec for SnsTopicSpec {}

/// The topic's ARN (the management account's id as a placeholder).
pub fn topic_arn(region: &str, name: &str) -> String {
    format!("arn:aws:sns:{region}:{}:{name}", IdRef::Management)
}

/// The topic's policy: the management account administers it; CloudWatch alarms and
/// EventBridge rules publish to it, only for the management account (`aws:SourceAccount`).
pub fn topic_policy(region: &str, name: &str) -> Value {
    let arn = topic_arn(region, name);
    let management = IdRef::Management.to_string();
    let publish = |sid: &str, service: &str| {
        json!({
            "Sid": sid,
            "Effect": "Allow",
            "Principal": { "Service": service },
            "Action": "sns:Publish",
            "Resource": arn,
            "Condition": { "StringEquals": { "aws:SourceAccount": management } },
        })
    };
    canonical_policy(&json!({
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ManagementAccountAdministers",
                "Effect": "Allow",
                "Principal": { "AWS": format!("arn:aws:iam::{management}:root") },
                "Action": [
                    "sns:GetTopicAttributes", "sns:SetTopicAttributes", "sns:Subscribe",
                    "sns:ListSubscriptionsByTopic", "sns:Publish",
                ],
                "Resource": arn,
            },
            publish("CloudWatchAlarmsPublish", "cloudwatch.amazonaws.com"),
            publish("EventBridgePublishes", "events.amazonaws.com"),
        ],
    }))
}

/// The topic's policy when sandbox budgets notify it too: [`topic_policy`] and a statement that
/// lets AWS Budgets publish, only for the sandbox accounts (`aws:SourceAccount`, each by its
/// id placeholder).
pub fn topic_policy_with_budgets(region: &str, name: &str, sandboxes: &[&str]) -> Value {
    let mut policy = topic_policy(region, name);
    let accounts: Vec<String> = sandboxes.iter().map(|a| IdRef::Account(a).to_string()).collect();
    if let Some(statements) = policy["Statement"].as_array_mut() {
        statements.push(json!({
            "Sid": "SandboxBudgetsPublish",
            "Effect": "Allow",
            "Principal": { "Service": "budgets.amazonaws.com" },
            "Action": "sns:Publish",
            "Resource": topic_arn(region, name),
            "Condition": { "StringEquals": { "aws:SourceAccount": accounts } },
        }));
    }
    canonical_policy(&policy)
}

/// The topic of the `alerts` section.
pub(crate) fn lower(bp: &Blueprint, out: &mut Vec<DesiredResource>) {
    let Some(alerts) = &bp.alerts else { return };
    let region = bp.organization.home_region.value.as_str();
    let name = &alerts.topic.name;
    let policy = match &bp.sandbox {
        Some(s) if !s.accounts.is_empty() => {
            let names: Vec<&str> = s.accounts.iter().map(|a| a.name.as_str()).collect();
            topic_policy_with_budgets(region, name, &names)
        }
        _ => topic_policy(region, name),
    };
    out.push(DesiredResource {
        address: address(Kind::SnsTopic, region, name),
        at: locator(Kind::SnsTopic, region, name),
        spec: SnsTopicSpec { policy, email: alerts.topic.email.clone(), tags: tags(bp) }.to_value(),
        after: Vec::new(),
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cloudwatch_may_publish_only_for_the_management_account() {
        let p = topic_policy("eu-west-1", "t");
        let cw = p["Statement"].as_array().unwrap().iter().find(|s| s["Sid"] == "CloudWatchAlarmsPublish").unwrap();
        assert!(cw["Principal"].to_string().contains("cloudwatch.amazonaws.com"));
        assert!(cw["Condition"].to_string().contains("aws:SourceAccount"));
        assert!(p.to_string().contains("arn:aws:sns:eu-west-1:{{management_account_id}}:t"));
        let v = SnsTopicSpec { policy: p, email: vec![], tags: BTreeMap::new() }.to_value();
        let e = SnsTopicSpec::from_value(&json!({ "policy": v["policy"], "tags": {} })).unwrap_err().to_string();
        assert!(e.contains("sns-topic") && e.contains("email"), "{e}");
    }
}
