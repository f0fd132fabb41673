//! `groundwork alerts test`: one synthetic IAM change, put on a member account's us-east-1
//! default bus, so it travels the real path (the account's forwarding rule, the central bus,
//! the central rule, the API destination) to the Slack channel; and `--alarm`: one of the
//! alerts' alarms set to ALARM, so its action and its state change travel theirs.

use aws_sdk_eventbridge::types::PutEventsRequestEntry;
use groundwork_plan::kinds::slack::{API_CALL, CENTRAL_REGION};

use crate::call::Idempotency;
use crate::{Aws, AwsError};

impl Aws {
    /// Puts one event (`source`, the CloudTrail detail type, `detail`) on the default bus of
    /// `account_id` in us-east-1; returns its event id.
    ///
    /// # Errors
    /// The account cannot be reached, or EventBridge refuses the event.
    pub async fn put_alerts_test_event(
        &self,
        management_id: &str,
        account_id: &str,
        source: &str,
        detail: &serde_json::Value,
    ) -> Result<String, AwsError> {
        let c = self
            .account(account_id, management_id)
            .await
            .map_err(|e| AwsError::call(format!("reaching account {account_id}"), e))?;
        let eb = c.alerts(CENTRAL_REGION).events;
        let entry =
            PutEventsRequestEntry::builder().source(source).detail_type(API_CALL).detail(detail.to_string()).build();
        let out = self
            .run("events:PutEvents", Idempotency::CreatesNew, || eb.put_events().entries(entry.clone()).send())
            .await
            .map_err(|e| AwsError::call("putting the test event", e))?;
        let first = out.entries().first();
        match first.and_then(|e| e.event_id()) {
            Some(id) if out.failed_entry_count() == 0 => Ok(id.to_owned()),
            _ => Err(AwsError::call(
                "putting the test event",
                groundwork_apply::ProviderError {
                    operation: "events:PutEvents".into(),
                    code: first.and_then(|e| e.error_code()).map(str::to_owned),
                    message: first.and_then(|e| e.error_message()).unwrap_or("the event was not accepted").to_owned(),
                    kind: groundwork_apply::ErrorKind::Rejected,
                },
            )),
        }
    }
}

impl Aws {
    /// `alerts test --alarm`: sets `alarm`, in the management account's `region`, to ALARM with a
    /// reason that names the test; CloudWatch sets it back at its next evaluation.
    ///
    /// # Errors
    /// CloudWatch refuses, e.g. the alarm does not exist yet.
    pub async fn set_alarm_for_test(&self, management_id: &str, region: &str, alarm: &str) -> Result<(), AwsError> {
        let c = self
            .account(management_id, management_id)
            .await
            .map_err(|e| AwsError::call("reaching the management account", e))?;
        let cw = c.alerts(region).cloudwatch;
        let reason = "groundwork alerts test: the alarm path, from the alarm to its topic and the Slack channel";
        self.run("cloudwatch:SetAlarmState", Idempotency::Safe, || {
            cw.set_alarm_state()
                .alarm_name(alarm)
                .state_value(aws_sdk_cloudwatch::types::StateValue::Alarm)
                .state_reason(reason)
                .send()
        })
        .await
        .map_err(|e| AwsError::call(format!("setting alarm {alarm} to ALARM"), e))?;
        Ok(())
    }
}
