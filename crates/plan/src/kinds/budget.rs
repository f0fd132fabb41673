//! A sandbox's AWS Budget (`budget/<account>/groundwork-sandbox`), in the sandbox account
//! itself: a monthly cost limit and notifications at thresholds of actual spend, to the owner's
//! e-mail (and an SNS topic, when one is given). Lowered from the blueprint's `sandbox` section.

use groundwork_blueprint::Blueprint;
use groundwork_blueprint::sandbox::SANDBOX_BUDGET;
use serde::{Deserialize, Serialize};

use super::{Kind, KindMeta, Scope, Spec};
use crate::resource::{DesiredResource, Locator};
use crate::state::Address;

/// A cost budget with a monthly limit in USD and its notifications.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BudgetSpec {
    /// The monthly cost limit, in whole USD.
    pub monthly_limit_usd: u64,
    /// One notification per threshold, sorted by threshold.
    pub notifications: Vec<BudgetNotification>,
}

/// A notification when actual spend goes over `threshold_percent` of the limit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BudgetNotification {
    /// Percent of the limit.
    pub threshold_percent: u64,
    /// E-mail subscribers, sorted.
    pub emails: Vec<String>,
    /// SNS topic subscribers (ARNs), sorted.
    pub sns_topics: Vec<String>,
}

impl KindMeta for BudgetSpec {
    const KIND: Kind = Kind::Budget;
    const PREFIX: &'static str = "budget";
    const RANK: usize = 1;
    const SCOPE: Scope = Scope::Account;
}

impl Spec for BudgetSpec {}

/// The address of the budget `name` of `account`: `budget/sandbox-alice/groundwork-sandbox`.
pub fn address(account: &str, name: &str) -> Address {
    Address::in_account(Kind::Budget, Some(account), name)
}

/// One budget per sandbox account of the `sandbox` section, after its account.
pub(crate) fn lower(bp: &Blueprint, out: &mut Vec<DesiredResource>) {
    let Some(sandbox) = &bp.sandbox else { return };
    // The SNS topic every sandbox budget also notifies: the alerts topic, when the blueprint
    // has `alerts` (its policy lets AWS Budgets publish for the sandbox accounts); else e-mail
    // only. The budget then waits for the topic.
    let region = bp.organization.home_region.value.as_str();
    let alerts_topic: Option<(String, Address)> = bp.alerts.as_ref().map(|a| {
        (
            super::sns_topic::topic_arn(region, &a.topic.name),
            super::log_group::address(Kind::SnsTopic, region, &a.topic.name),
        )
    });
    for a in &sandbox.accounts {
        let spec = BudgetSpec {
            monthly_limit_usd: sandbox.budget.monthly_limit_usd,
            notifications: sandbox
                .budget
                .thresholds
                .iter()
                .map(|t| BudgetNotification {
                    threshold_percent: *t,
                    emails: vec![a.owner_email.clone()],
                    sns_topics: alerts_topic.iter().map(|(arn, _)| arn.clone()).collect(),
                })
                .collect(),
        };
        out.push(DesiredResource {
            address: address(&a.name, SANDBOX_BUDGET),
            at: Locator::new(Kind::Budget, Some(a.name.clone()), SANDBOX_BUDGET.to_owned()),
            spec: spec.to_value(),
            after: std::iter::once(Address::account(&a.name))
                .chain(alerts_topic.iter().map(|(_, topic)| topic.clone()))
                .collect(),
        });
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn the_json_keeps_limit_and_notifications() {
        let spec = BudgetSpec {
            monthly_limit_usd: 100,
            notifications: vec![BudgetNotification {
                threshold_percent: 80,
                emails: vec!["alice@example.com".into()],
                sns_topics: vec![],
            }],
        };
        assert_eq!(
            serde_json::to_string(&spec.to_value()).unwrap(),
            r#"{"monthly_limit_usd":100,"notifications":[{"threshold_percent":80,"emails":["alice@example.com"],"sns_topics":[]}]}"#
        );
        let err = BudgetSpec::from_value(&json!({ "notifications": [] })).unwrap_err().to_string();
        assert!(err.starts_with("the budget spec") && err.contains("monthly_limit_usd"), "{err}");
        assert_eq!(address("sandbox-alice", SANDBOX_BUDGET).as_str(), "budget/sandbox-alice/groundwork-sandbox");
    }
}
