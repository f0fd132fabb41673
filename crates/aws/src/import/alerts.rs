//! The `alerts` section's reads for `groundwork import`: after the first pass, and only when the
//! organization trail delivers to a CloudWatch Logs group (so an organization without alerts
//! costs no read more). The log group, its metric filters, the alarms on their metrics and the
//! topic they notify, in the group's region of the management account; then, when the
//! management account's us-east-1 forwarding rule exists, the central bus's account (the
//! rule's target), its connection (never its secret: the description names only where the
//! token is read and its fingerprint), its API destination and its two rules, and each member
//! account's us-east-1 forwarding rule.

use groundwork_apply::ProviderError;
use groundwork_plan::import::{Found, address_of, written_accounts};
use groundwork_plan::kinds::Spec;
use groundwork_plan::kinds::metric_alarm::MetricAlarmSpec;
use groundwork_plan::kinds::slack::{
    ALARMS_FORWARD_RULE, ALARMS_RULE, BUS, CENTRAL_REGION, FORWARD_RULE, IAM_RULE, SLACK,
};
use groundwork_plan::kinds::trail::TrailSpec;
use groundwork_plan::{Ids, Kind, Live, LiveResource, Locator};

use crate::Aws;
use crate::accounts::AccountClients;
use crate::resources::alerts::{alarm, metric_filter};
use crate::resources::{ReadCx, Shared};

/// The region and name of a log group's ARN (`arn:aws:logs:REGION:ACCOUNT:log-group:NAME:*`).
fn log_group_of(arn: &str) -> Option<(&str, &str)> {
    let rest = arn.strip_prefix("arn:aws:logs:")?;
    let (region, rest) = rest.split_once(':')?;
    let (_, rest) = rest.split_once(":log-group:")?;
    Some((region, rest.strip_suffix(":*").unwrap_or(rest)))
}

/// The name of an SNS topic's ARN.
fn topic_of(arn: &str) -> Option<&str> {
    arn.strip_prefix("arn:aws:sns:")?.rsplit(':').next()
}

/// The account id of an event bus's ARN.
fn bus_account(arn: &str) -> Option<&str> {
    arn.strip_prefix("arn:aws:events:")?.split(':').nth(1)
}

impl Aws {
    /// Reads the alerts' resources into `live` (see the module's documentation); what cannot be
    /// read is a problem noted in `found`.
    pub(super) async fn read_alerts(
        &self,
        live: &mut Live,
        management: &str,
        ids: &Ids,
        shared: &Shared,
        found: &mut Found,
    ) {
        let destination = live
            .resources
            .values()
            .filter(|r| r.at.kind == Kind::Trail && r.at.region.is_none())
            .find_map(|r| TrailSpec::from_value(&r.spec).ok()?.cloud_watch_logs);
        let Some(destination) = destination else { return };
        let Some((region, group)) = log_group_of(&destination.log_group_arn) else {
            found.problems.push(format!("the trail's log group {} is not an ARN", destination.log_group_arn));
            return;
        };
        if let Err(e) = self.read_alerts_in(live, management, ids, shared, region, group).await {
            found.problems.push(format!("the alerts of the management account: {e}"));
        }
    }

    async fn read_alerts_in(
        &self,
        live: &mut Live,
        management: &str,
        ids: &Ids,
        shared: &Shared,
        region: &str,
        group: &str,
    ) -> Result<(), ProviderError> {
        let clients = self.account(management, management).await?;
        let mut reads: Vec<Locator> = vec![Locator::regional(Kind::LogGroup, None, region.into(), group.into())];
        let probe = Locator::regional(Kind::MetricFilter, None, region.into(), String::new());
        let cx = ReadCx { aws: self, at: &probe, clients: &clients, shared, iam: None };
        let filters = metric_filter::listing(&cx).await?;
        let mut produced = Vec::new();
        for (name, f) in filters.iter().filter(|(_, f)| f.log_group == group) {
            produced.push((f.namespace.clone(), f.metric_name.clone()));
            reads.push(Locator::regional(Kind::MetricFilter, None, region.into(), name.clone()));
        }
        // The alarms on the filters' metrics, and the topics they notify.
        let alarms = alarm::listing(&cx).await?;
        let mut topics: Vec<String> = Vec::new();
        let ours = |a: &MetricAlarmSpec| produced.iter().any(|(ns, m)| *ns == a.namespace && *m == a.metric_name);
        for (name, a) in alarms.iter().filter(|(_, a)| ours(a)) {
            reads.push(Locator::regional(Kind::MetricAlarm, None, region.into(), name.clone()));
            topics.extend(a.alarm_actions.iter().filter_map(|t| topic_of(t)).map(str::to_owned));
        }
        topics.sort();
        topics.dedup();
        reads.extend(topics.into_iter().map(|t| Locator::regional(Kind::SnsTopic, None, region.into(), t)));
        reads.push(Locator::regional(Kind::EventRule, None, region.into(), ALARMS_FORWARD_RULE.into()));
        reads.push(Locator::regional(Kind::EventRule, None, CENTRAL_REGION.into(), FORWARD_RULE.into()));
        self.read_into(live, &reads, &clients, ids, shared).await?;
        // The central bus's account: the target of the management account's forwarding rule.
        let forward = groundwork_plan::kinds::slack::address(Kind::EventRule, None, CENTRAL_REGION, FORWARD_RULE);
        let Some(target) = live
            .resources
            .get(&forward)
            .and_then(|r| r.spec["targets"].as_array()?.first()?["arn"].as_str().map(str::to_owned))
        else {
            return Ok(());
        };
        let Some(id) = bus_account(&target) else { return Ok(()) };
        let label = if id == management {
            None
        } else {
            let Some((name, _)) = ids.accounts.iter().find(|(_, v)| *v == id) else { return Ok(()) };
            Some(name.clone())
        };
        let central = if label.is_none() { clients } else { self.account(id, management).await? };
        let at = |kind: Kind, name: &str| Locator::regional(kind, label.clone(), CENTRAL_REGION.into(), name.into());
        let reads = [
            at(Kind::EventBus, BUS),
            at(Kind::EventConnection, SLACK),
            at(Kind::ApiDestination, SLACK),
            at(Kind::EventRule, IAM_RULE),
            at(Kind::EventRule, ALARMS_RULE),
        ];
        self.read_into(live, &reads, &central, ids, shared).await?;
        // Every member account's forwarding rule (the management account's is read above).
        let members: Vec<(String, String)> =
            written_accounts(live).iter().map(|a| (a.name.clone(), a.id.clone())).collect();
        for (name, id) in members {
            let clients = self.account(&id, management).await?;
            let at = Locator::regional(Kind::EventRule, Some(name), CENTRAL_REGION.into(), FORWARD_RULE.into());
            self.read_into(live, &[at], &clients, ids, shared).await?;
        }
        Ok(())
    }

    /// Reads each of `reads` as discovery reads it, into `live` (those that exist).
    async fn read_into(
        &self,
        live: &mut Live,
        reads: &[Locator],
        clients: &AccountClients,
        ids: &Ids,
        shared: &Shared,
    ) -> Result<(), ProviderError> {
        for at in reads {
            let cx = ReadCx { aws: self, at, clients, shared, iam: None };
            if let Some(spec) = self.read_kind(&cx).await?
                && let Some(address) = address_of(at, &spec, ids)
            {
                live.resources.insert(address, LiveResource { at: at.clone(), spec });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arns_give_the_group_the_topic_and_the_bus_account() {
        assert_eq!(
            log_group_of("arn:aws:logs:eu-west-1:111111111111:log-group:groundwork-org-trail:*"),
            Some(("eu-west-1", "groundwork-org-trail"))
        );
        assert_eq!(log_group_of("nope"), None);
        assert_eq!(topic_of("arn:aws:sns:eu-west-1:111111111111:groundwork-alerts"), Some("groundwork-alerts"));
        assert_eq!(
            bus_account("arn:aws:events:us-east-1:222222222222:event-bus/groundwork-alerts"),
            Some("222222222222")
        );
    }
}
