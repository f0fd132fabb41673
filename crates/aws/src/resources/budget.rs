//! A sandbox's budget (`budget/<account>/<name>`), in the sandbox account: DescribeBudget, then
//! DescribeNotificationsForBudget and DescribeSubscribersForNotification per notification.
//! Converged with the writes whose part differs: UpdateBudget for the limit, DeleteNotification
//! and CreateNotification (with its subscribers) for a notification that differs. Never
//! deleted.

use aws_sdk_budgets::types::{
    Budget, BudgetType, ComparisonOperator, Notification, NotificationType, NotificationWithSubscribers, Spend,
    Subscriber, SubscriptionType, ThresholdType, TimeUnit,
};
use groundwork_apply::ProviderError;
use groundwork_plan::kinds::budget::{BudgetNotification, BudgetSpec};

use groundwork_blueprint::sandbox::SANDBOX_BUDGET;
use groundwork_plan::{Kind, Locator};

use super::{Converge, ListCx, ReadCx, WriteCx};
use crate::Aws;
use crate::call::Idempotency;
use crate::organizations::internal;

/// The currency of every limit groundwork writes.
const USD: &str = "USD";

fn built<T, E: std::fmt::Display>(what: &str, r: Result<T, E>) -> Result<T, ProviderError> {
    r.map_err(|e| internal(&format!("building the {what}: {e}")))
}

/// The notification of `n`: actual spend greater than its threshold, in percent.
fn notification(n: &BudgetNotification) -> Result<Notification, ProviderError> {
    #[allow(clippy::cast_precision_loss)]
    let threshold = n.threshold_percent as f64;
    built(
        "notification",
        Notification::builder()
            .notification_type(NotificationType::Actual)
            .comparison_operator(ComparisonOperator::GreaterThan)
            .threshold(threshold)
            .threshold_type(ThresholdType::Percentage)
            .build(),
    )
}

/// The subscribers of `n`: its e-mails, then its SNS topics.
fn subscribers(n: &BudgetNotification) -> Result<Vec<Subscriber>, ProviderError> {
    let emails = n.emails.iter().map(|e| (SubscriptionType::Email, e));
    let topics = n.sns_topics.iter().map(|t| (SubscriptionType::Sns, t));
    emails
        .chain(topics)
        .map(|(kind, address)| {
            built("subscriber", Subscriber::builder().subscription_type(kind).address(address).build())
        })
        .collect()
}

/// The budget itself: a monthly cost budget named `name` with `spec`'s limit.
fn budget(name: &str, spec: &BudgetSpec) -> Result<Budget, ProviderError> {
    let limit = built("limit", Spend::builder().amount(spec.monthly_limit_usd.to_string()).unit(USD).build())?;
    built(
        "budget",
        Budget::builder()
            .budget_name(name)
            .budget_limit(limit)
            .time_unit(TimeUnit::Monthly)
            .budget_type(BudgetType::Cost)
            .build(),
    )
}

/// A limit as AWS writes it (`"100"`, `"100.0"`) in whole units.
fn whole(amount: &str) -> Option<u64> {
    let v: f64 = amount.trim().parse().ok()?;
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    (v >= 0.0).then(|| v.round() as u64)
}

#[async_trait::async_trait]
impl Converge for BudgetSpec {
    /// groundwork's sandbox budget of the account, when it has one (import lists it in the
    /// accounts `sandbox-limits` is attached to).
    async fn list(cx: &ListCx<'_>) -> Result<Vec<(Locator, Self)>, ProviderError> {
        let Some(account) = cx.account else { return Ok(Vec::new()) };
        let at = Locator::new(Kind::Budget, Some(account.to_owned()), SANDBOX_BUDGET.to_owned());
        let found = cx.aws.read_budget(&cx.clients.budgets(), &cx.clients.id, SANDBOX_BUDGET).await?;
        Ok(found.map(|spec| vec![(at, spec)]).unwrap_or_default())
    }

    async fn read(cx: &ReadCx<'_>) -> Result<Option<Self>, ProviderError> {
        cx.aws.read_budget(&cx.clients.budgets(), &cx.clients.id, &cx.at.name).await
    }

    async fn put(&self, cx: &WriteCx<'_>, live: Option<&Self>) -> Result<String, ProviderError> {
        let (aws, client, account, name) = (cx.aws, cx.clients.budgets(), cx.clients.id.as_str(), cx.at.name.as_str());
        let Some(live) = live else {
            let with: Vec<NotificationWithSubscribers> = self
                .notifications
                .iter()
                .map(|n| {
                    built(
                        "notification",
                        NotificationWithSubscribers::builder()
                            .notification(notification(n)?)
                            .set_subscribers(Some(subscribers(n)?))
                            .build(),
                    )
                })
                .collect::<Result<_, _>>()?;
            let b = budget(name, self)?;
            // A lost answer is settled by reading the budget back (it exists with this limit).
            let created = aws
                .run_settled(
                    "budgets:CreateBudget",
                    || {
                        client
                            .create_budget()
                            .account_id(account)
                            .budget(b.clone())
                            .set_notifications_with_subscribers(Some(with.clone()))
                            .send()
                    },
                    || async {
                        let found = aws.read_budget(&client, account, name).await?;
                        Ok(found.is_some_and(|f| f.monthly_limit_usd == self.monthly_limit_usd))
                    },
                )
                .await;
            return match created {
                Ok(_) => Ok(format!(
                    "created ({} USD a month, {} notifications)",
                    self.monthly_limit_usd,
                    self.notifications.len()
                )),
                // An earlier, ambiguous attempt created it: converge that one.
                Err(e) if e.code.as_deref() == Some("DuplicateRecordException") => {
                    let found = aws.read_budget(&client, account, name).await?;
                    let Some(found) = found else { return Err(e) };
                    Box::pin(self.put(cx, Some(&found))).await
                }
                Err(e) => Err(e),
            };
        };
        let mut done = Vec::new();
        if live.monthly_limit_usd != self.monthly_limit_usd {
            let b = budget(name, self)?;
            aws.run("budgets:UpdateBudget", Idempotency::Safe, || {
                client.update_budget().account_id(account).new_budget(b.clone()).send()
            })
            .await?;
            done.push(format!("limit {} -> {} USD", live.monthly_limit_usd, self.monthly_limit_usd));
        }
        // A notification whose subscribers differ, or that the blueprint no longer lists, is
        // deleted; one that is missing (or was just deleted) is created with its subscribers.
        for l in &live.notifications {
            let wanted = self.notifications.iter().find(|n| n.threshold_percent == l.threshold_percent);
            if wanted == Some(l) {
                continue;
            }
            let gone = notification(l)?;
            let deleted = aws
                .run("budgets:DeleteNotification", Idempotency::Safe, || {
                    client.delete_notification().account_id(account).budget_name(name).notification(gone.clone()).send()
                })
                .await;
            // A resend after a lost answer finds it gone.
            match deleted {
                Ok(_) => {}
                Err(e) if e.code.as_deref() == Some("NotFoundException") => {}
                Err(e) => return Err(e),
            }
            done.push(format!("notification at {}% removed", l.threshold_percent));
        }
        for n in &self.notifications {
            if live.notifications.contains(n) {
                continue;
            }
            let (new, to) = (notification(n)?, subscribers(n)?);
            let created = aws
                .run("budgets:CreateNotification", Idempotency::Safe, || {
                    client
                        .create_notification()
                        .account_id(account)
                        .budget_name(name)
                        .notification(new.clone())
                        .set_subscribers(Some(to.clone()))
                        .send()
                })
                .await;
            // A resend after a lost answer finds it there, with the subscribers it was sent with.
            match created {
                Ok(_) => {}
                Err(e) if e.code.as_deref() == Some("DuplicateRecordException") => {}
                Err(e) => return Err(e),
            }
            done.push(format!("notification at {}% set", n.threshold_percent));
        }
        Ok(if done.is_empty() { "already as the blueprint says".into() } else { done.join(", ") })
    }
}

impl Aws {
    /// The budget `name` of `account`, or `None` when there is none: its limit, and each
    /// notification with its subscribers (sorted by threshold, subscribers sorted).
    pub(crate) async fn read_budget(
        &self,
        client: &aws_sdk_budgets::Client,
        account: &str,
        name: &str,
    ) -> Result<Option<BudgetSpec>, ProviderError> {
        let described = self
            .run("budgets:DescribeBudget", Idempotency::Safe, || {
                client.describe_budget().account_id(account).budget_name(name).send()
            })
            .await;
        let described = match described {
            Ok(d) => d,
            Err(e) if e.code.as_deref() == Some("NotFoundException") => return Ok(None),
            Err(e) => return Err(e),
        };
        let amount = described.budget().and_then(|b| b.budget_limit()).map(Spend::amount).unwrap_or_default();
        let monthly_limit_usd = whole(amount)
            .ok_or_else(|| internal(&format!("budget {name} has a limit groundwork cannot read: {amount:?}")))?;
        let listed = self
            .run("budgets:DescribeNotificationsForBudget", Idempotency::Safe, || {
                client.describe_notifications_for_budget().account_id(account).budget_name(name).send()
            })
            .await?;
        let mut notifications = Vec::new();
        for n in listed.notifications() {
            let subs = self
                .run("budgets:DescribeSubscribersForNotification", Idempotency::Safe, || {
                    client
                        .describe_subscribers_for_notification()
                        .account_id(account)
                        .budget_name(name)
                        .notification(n.clone())
                        .send()
                })
                .await?;
            let of = |kind: SubscriptionType| {
                let mut v: Vec<String> = subs
                    .subscribers()
                    .iter()
                    .filter(|s| *s.subscription_type() == kind)
                    .map(|s| s.address().to_owned())
                    .collect();
                v.sort();
                v
            };
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let threshold_percent = n.threshold().round() as u64;
            notifications.push(BudgetNotification {
                threshold_percent,
                emails: of(SubscriptionType::Email),
                sns_topics: of(SubscriptionType::Sns),
            });
        }
        notifications.sort_by_key(|n| n.threshold_percent);
        Ok(Some(BudgetSpec { monthly_limit_usd, notifications }))
    }
}

#[cfg(test)]
mod tests {
    use super::whole;

    #[test]
    fn limits_read_as_whole_dollars() {
        assert_eq!(whole("100"), Some(100));
        assert_eq!(whole("100.0"), Some(100));
        assert_eq!(whole("x"), None);
    }
}
