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

/// `groundwork alerts test BLUEPRINT`: one synthetic `AttachUserPolicy` CloudTrail event on a
/// member account's us-east-1 default bus.
pub(crate) async fn alerts_test(
    session: &crate::commands::Session,
    g: &crate::cli::Global,
    args: &crate::cli::AlertsTestArgs,
    printer: &crate::printer::Printer,
) -> Result<crate::Exit> {
    use anyhow::Context;
    use groundwork_plan::kinds::slack::{CENTRAL_REGION, TEST_SOURCE, test_event_detail};

    let bp = crate::commands::load_blueprint(&args.blueprint, printer)?;
    let Some(slack) = bp.alerts.as_ref().and_then(|a| a.slack.as_ref()) else {
        bail!("{} has no `alerts.slack`: there is no channel to test", args.blueprint.display());
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
    let desired = groundwork_plan::Desired::from_blueprint(&bp);
    let planning = crate::cli::PlanningArgs { account_quota: None, no_rate_limit: args.no_rate_limit };
    let aws = crate::commands::connect(session, g, &planning, &desired).await?;
    let live = aws
        .discover_for(&groundwork_aws::Focus::blueprint(&desired))
        .await
        .context("discovering the organization (read-only)")?;
    let Some(org) = &live.organization else { bail!("the credentials' account is in no organization") };
    let ids = live.ids(&desired);
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
        .put_alerts_test_event(&org.management_account_id, account_id, TEST_SOURCE, &detail)
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
