//! The Slack token at plan time (plan, apply, drift): read from the source `alerts.slack` names
//! (an environment variable or a file, never the blueprint), and kept only as its fingerprint,
//! so that the plan, its JSON and the journal never hold the token, and a changed token plans an
//! update of the connection only. Commands that do not plan (validate, graph, permissions,
//! audit, `alerts test`) never read it. Also `groundwork alerts test`.

use anyhow::{Result, bail};
use groundwork_blueprint::Blueprint;
use groundwork_plan::kinds::event_connection::fingerprint;

/// Fills `alerts.slack`'s token fingerprint, reading the token from its source; an error names
/// the blueprint's `token_env` or `token_file` line (`path`: the blueprint's file).
pub(crate) fn fingerprint_token(bp: &mut Blueprint, path: &std::path::Path) -> Result<()> {
    let Some(slack) = bp.alerts.as_mut().and_then(|a| a.slack.as_mut()) else { return Ok(()) };
    match slack.token.read() {
        Ok(token) => {
            slack.token_fingerprint = Some(fingerprint(&token));
            Ok(())
        }
        Err(why) => {
            let at = slack.token_site;
            bail!(
                "{}:{}:{}: alerts.slack: {why}; the connection that holds Slack's bot token cannot be planned \
                 without it. Provide the Slack app's bot token (xoxb-...) there before plan, apply or drift \
                 (docs/alerts.md, \"Connecting a channel, step by step\"); nothing was sent to AWS",
                path.display(),
                at.line,
                at.col
            )
        }
    }
}

/// The organization as `alerts test` needs it: a connection, and the management account's and
/// the blueprint's accounts' ids.
async fn reach(
    session: &crate::commands::Session,
    g: &crate::cli::Global,
    args: &crate::cli::AlertsTestArgs,
    bp: &Blueprint,
) -> Result<(groundwork_aws::Aws, String, groundwork_plan::Ids)> {
    use anyhow::Context;
    let desired = groundwork_plan::Desired::from_blueprint(bp);
    let planning = crate::cli::PlanningArgs { account_quota: None, no_rate_limit: args.no_rate_limit };
    let aws = crate::commands::connect(session, g, &planning, &desired).await?;
    let live = aws
        .discover_for(&groundwork_aws::Focus::blueprint(&desired))
        .await
        .context("discovering the organization (read-only)")?;
    let Some(org) = &live.organization else { bail!("the credentials' account is in no organization") };
    let management = org.management_account_id.clone();
    let ids = live.ids(&desired);
    Ok((aws, management, ids))
}

/// `groundwork alerts test BLUEPRINT`: one synthetic `AttachUserPolicy` CloudTrail event on a
/// member account's us-east-1 default bus; with `--alarm`, one of the alerts' alarms set to
/// ALARM.
pub(crate) async fn alerts_test(
    session: &crate::commands::Session,
    g: &crate::cli::Global,
    args: &crate::cli::AlertsTestArgs,
    printer: &crate::printer::Printer,
) -> Result<crate::Exit> {
    use anyhow::Context;
    use groundwork_plan::kinds::slack::{CENTRAL_REGION, TEST_SOURCE, test_event_detail};

    let bp = crate::commands::load_blueprint(&args.blueprint, printer)?;
    if let Some(alarm) = &args.alarm {
        return alarm_test(session, g, args, &bp, alarm, printer).await;
    }
    let Some(slack) = bp.alerts.as_ref().and_then(|a| a.slack.as_ref()) else {
        bail!(
            "{} has no `alerts.slack`: there is no channel to test (`--alarm` tests an alarm and its topic)",
            args.blueprint.display()
        );
    };
    let account = match &args.account {
        Some(name) if name == "management" => None,
        Some(name) => {
            if bp.account(name).is_none() {
                bail!("account {name} is not in {}", args.blueprint.display());
            }
            Some(name.clone())
        }
        None => bp.accounts.iter().map(|a| a.name.value.clone()).find(|n| *n != slack.account),
    };
    let (aws, management, ids) = reach(session, g, args, &bp).await?;
    let label = account.as_deref().unwrap_or("management");
    let Some(account_id) = ids.account_id(account.as_deref()) else {
        bail!("account {label} does not exist yet: run `groundwork apply` first");
    };
    let time = groundwork_audit::rfc3339(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0)),
    );
    let detail = test_event_detail(account_id, &time, &format!("groundwork-alerts-test-{time}"));
    let id = aws
        .put_alerts_test_event(&management, account_id, TEST_SOURCE, &detail)
        .await
        .context("sending the test event")?;
    printer.out(&format!(
        "Sent a synthetic AttachUserPolicy event (id {id}) on the default bus of {label} ({account_id}) in {CENTRAL_REGION}.\n\
         It travels to the central bus in {} and should appear in {} within a minute.\n\
         If it does not: `groundwork drift {}` checks every rule, the bus policy and the API destination.",
        slack.account,
        slack.channel,
        args.blueprint.display()
    ));
    Ok(crate::Exit::Ok)
}

/// `alerts test --alarm [NAME]`: the alarm NAME (default: CIS 4.3's, else the first) set to ALARM
/// in the management account's home region, where the alerts' alarms are.
async fn alarm_test(
    session: &crate::commands::Session,
    g: &crate::cli::Global,
    args: &crate::cli::AlertsTestArgs,
    bp: &Blueprint,
    name: &str,
    printer: &crate::printer::Printer,
) -> Result<crate::Exit> {
    use anyhow::Context;
    let Some(alerts) = bp.alerts.as_ref() else {
        bail!("{} has no `alerts`: there is no alarm to test", args.blueprint.display());
    };
    if alerts.alarms.is_empty() {
        bail!(
            "{} has no alarm in `alerts` (the CIS controls are off and no custom entry has one)",
            args.blueprint.display()
        );
    }
    let alarm = if name.is_empty() {
        alerts.alarms.iter().find(|a| a.name.starts_with("cis-4.3-")).or_else(|| alerts.alarms.first())
    } else {
        alerts.alarms.iter().find(|a| a.name == name)
    };
    let Some(alarm) = alarm else {
        let names: Vec<&str> = alerts.alarms.iter().map(|a| a.name.as_str()).collect();
        bail!("{name} is not one of the alarms of {}: {}", args.blueprint.display(), names.join(", "));
    };
    let (aws, management, _) = reach(session, g, args, bp).await?;
    let region = bp.organization.home_region.value.as_str();
    aws.set_alarm_for_test(&management, region, &alarm.name).await.context("setting the alarm's state")?;
    let emails = if alerts.topic.email.is_empty() {
        String::new()
    } else {
        format!(" (e-mail to {})", alerts.topic.email.join(", "))
    };
    let slack = alerts.slack.as_ref().map_or_else(String::new, |slack| {
        format!(
            ", and its state change should appear in {} within a minute (through the central bus in {})",
            slack.channel, slack.account
        )
    });
    let out = format!(
        "Set alarm {} ({}) to ALARM in the management account ({management}), {region}.\n\
         Its action notifies the topic {}{emails}{slack}.\n\
         CloudWatch sets it back at its next evaluation (within {} s).",
        alarm.name, alarm.description, alerts.topic.name, alarm.period_seconds
    );
    printer.out(&out);
    Ok(crate::Exit::Ok)
}
