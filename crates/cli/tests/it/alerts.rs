//! The `alerts` section end to end: the trail's CloudWatch Logs destination and its role, the
//! log group, each CIS filter's pattern, each alarm's metric, threshold and action, and the
//! topic's policy, read back with plain SDK calls; a rerun writes nothing; a deleted filter, an
//! alarm whose actions were turned off, a shortened retention and the trail's destination
//! removed are named by `drift` and restored by `apply`.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde_json::Value;

use crate::common::{Env, as_set, statement};

const BLUEPRINT: &str = r#"version: 1
organization:
  name: acme
  home_region: eu-west-1
  management_account:
    email: master@example.com
organizational_units:
  - name: Security
accounts:
  - name: log-archive
    email: aws+log-archive@acme.example
    ou: Security
    purpose: log-archive
logging:
  account: log-archive
  bucket: acme-cloudtrail-{account_id}
  trail: org-trail
  kms_key: false
baseline:
  enabled: false
alerts:
  log_group:
    retention_days: 90
  cis:
    exclude: ["4.9", "4.12"]
  custom:
    - name: BreakGlassUse
      pattern: '{ $.userIdentity.arn = "*:role/BreakGlass*" }'
      threshold: 1
    - name: RootUsagePage
      metric: RootAccountUsage
      threshold: 3
      period: 600
  topic:
    email: [secops@acme.example]
"#;

fn blueprint(env: &Env) -> PathBuf {
    let path = env.path("alerts.yaml");
    std::fs::write(&path, BLUEPRINT).unwrap();
    path
}

/// Management-account clients in the home region.
fn config(env: &Env) -> aws_config::SdkConfig {
    env.moto.sdk_config().into_builder().region(aws_config::Region::new("eu-west-1")).build()
}

async fn filters(logs: &aws_sdk_cloudwatchlogs::Client) -> BTreeMap<String, (String, String, String)> {
    let out = logs.describe_metric_filters().log_group_name("groundwork-org-trail").send().await.unwrap();
    out.metric_filters()
        .iter()
        .map(|f| {
            let t = &f.metric_transformations()[0];
            (
                f.filter_name().unwrap().to_owned(),
                (f.filter_pattern().unwrap().to_owned(), t.metric_namespace().to_owned(), t.metric_name().to_owned()),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn alerts_are_built_read_back_and_restored_after_tampering() {
    let env = Env::new();
    let bp = blueprint(&env);
    let applied = env.apply(&bp).ok();
    assert_eq!(applied.json()["failed"], 0, "{}", applied.stdout);
    let conf = config(&env);
    let management = env.org().describe_organization().send().await.unwrap();
    let management = management.organization().unwrap().master_account_id().unwrap().to_owned();

    // The trail also delivers to the log group, through its role.
    let ct = aws_sdk_cloudtrail::Client::new(&conf);
    let trail = ct.get_trail().name("org-trail").send().await.unwrap().trail.unwrap();
    assert_eq!(
        trail.cloud_watch_logs_log_group_arn(),
        Some(format!("arn:aws:logs:eu-west-1:{management}:log-group:groundwork-org-trail:*").as_str())
    );
    let role_arn = format!("arn:aws:iam::{management}:role/groundwork-cloudtrail-logs");
    assert_eq!(trail.cloud_watch_logs_role_arn(), Some(role_arn.as_str()));
    let iam = aws_sdk_iam::Client::new(&env.moto.sdk_config());
    let role = iam.get_role().role_name("groundwork-cloudtrail-logs").send().await.unwrap();
    let trust = role.role().unwrap().assume_role_policy_document().unwrap();
    assert!(trust.contains("cloudtrail.amazonaws.com"), "{trust}");

    // The log group with its retention.
    let logs = aws_sdk_cloudwatchlogs::Client::new(&conf);
    let groups = logs.describe_log_groups().log_group_name_prefix("groundwork-org-trail").send().await.unwrap();
    assert_eq!(groups.log_groups()[0].retention_in_days(), Some(90));

    // Each CIS filter's pattern (4.9 and 4.12 excluded), and the custom one.
    let found = filters(&logs).await;
    let cis: Vec<_> = groundwork_blueprint::CIS_CONTROLS.iter().filter(|c| c.id != "4.9" && c.id != "4.12").collect();
    assert_eq!(found.len(), cis.len() + 1, "{found:#?}");
    for c in &cis {
        let (pattern, ns, metric) = &found[&groundwork_blueprint::cis_name(c)];
        assert_eq!((pattern.as_str(), ns.as_str(), metric.as_str()), (c.pattern, "CISBenchmark", c.metric));
    }
    assert_eq!(found["BreakGlassUse"].2, "BreakGlassUse");

    // Each alarm's metric, threshold and action.
    let cw = aws_sdk_cloudwatch::Client::new(&conf);
    let topic_arn = format!("arn:aws:sns:eu-west-1:{management}:groundwork-alerts");
    let alarms = cw.describe_alarms().send().await.unwrap();
    let alarms: BTreeMap<&str, _> = alarms.metric_alarms().iter().map(|a| (a.alarm_name().unwrap(), a)).collect();
    assert_eq!(alarms.len(), cis.len() + 2, "{:?}", alarms.keys());
    for c in &cis {
        let a = alarms[groundwork_blueprint::cis_name(c).as_str()];
        assert_eq!((a.namespace(), a.metric_name()), (Some("CISBenchmark"), Some(c.metric)));
        assert_eq!(a.threshold(), Some(1.0));
        assert_eq!(a.alarm_actions(), std::slice::from_ref(&topic_arn));
        assert_eq!(a.actions_enabled(), Some(true));
    }
    let page = alarms["RootUsagePage"];
    assert_eq!((page.metric_name(), page.threshold(), page.period()), (Some("RootAccountUsage"), Some(3.0), Some(600)));

    // The topic: CloudWatch may publish, for this account only; the subscriber is there.
    let sns = aws_sdk_sns::Client::new(&conf);
    let attrs = sns.get_topic_attributes().topic_arn(&topic_arn).send().await.unwrap();
    let policy: Value = serde_json::from_str(&attrs.attributes().unwrap()["Policy"]).unwrap();
    let cw_publish = statement(&policy, "CloudWatchAlarmsPublish");
    assert_eq!(as_set(&cw_publish["Principal"]["Service"]), ["cloudwatch.amazonaws.com".to_owned()].into());
    assert_eq!(as_set(&cw_publish["Action"]), ["sns:Publish".to_owned()].into());
    assert_eq!(as_set(&cw_publish["Condition"]["StringEquals"]["aws:SourceAccount"]), [management.clone()].into());
    let subs = sns.list_subscriptions_by_topic().topic_arn(&topic_arn).send().await.unwrap();
    assert_eq!(subs.subscriptions()[0].endpoint(), Some("secops@acme.example"));

    // A rerun reads everything and writes nothing.
    let rerun = env.apply(&bp).ok();
    assert_eq!(rerun.writes(), 0, "{}", rerun.stderr);

    // Behind groundwork's back: a filter deleted, an alarm's actions turned off.
    logs.delete_metric_filter()
        .log_group_name("groundwork-org-trail")
        .filter_name("cis-4.3-RootAccountUsage")
        .send()
        .await
        .unwrap();
    // Its actions turned off, rewriting the alarm as it is (moto 5.1.22 does not implement
    // DisableAlarmActions, which has the same effect on AWS).
    let silenced = cw.describe_alarms().alarm_names("cis-4.4-IAMPolicyChanges").send().await.unwrap();
    let a = &silenced.metric_alarms()[0];
    cw.put_metric_alarm()
        .alarm_name("cis-4.4-IAMPolicyChanges")
        .set_alarm_description(a.alarm_description().map(str::to_owned))
        .set_metric_name(a.metric_name().map(str::to_owned))
        .set_namespace(a.namespace().map(str::to_owned))
        .set_statistic(a.statistic().cloned())
        .set_period(a.period())
        .set_evaluation_periods(a.evaluation_periods())
        .set_threshold(a.threshold())
        .set_comparison_operator(a.comparison_operator().cloned())
        .set_treat_missing_data(a.treat_missing_data().map(str::to_owned))
        .set_alarm_actions(Some(a.alarm_actions().to_vec()))
        .actions_enabled(false)
        .send()
        .await
        .unwrap();
    // The log group's retention shortened, and the trail's CloudWatch Logs destination removed.
    logs.put_retention_policy().log_group_name("groundwork-org-trail").retention_in_days(1).send().await.unwrap();
    ct.update_trail()
        .name("org-trail")
        .cloud_watch_logs_log_group_arn("")
        .cloud_watch_logs_role_arn("")
        .send()
        .await
        .unwrap();
    let drift = env.gw(&["drift", bp.to_str().unwrap(), "--no-rate-limit"]);
    assert_eq!(drift.code, 2, "{}", drift.stdout);
    for what in [
        "metric-filter/management/eu-west-1/cis-4.3-RootAccountUsage",
        "metric-alarm/management/eu-west-1/cis-4.4-IAMPolicyChanges",
        "actions_enabled",
        "log-group/management/eu-west-1/groundwork-org-trail",
        "retention_days",
        "trail/org-trail",
        "cloud_watch_logs",
    ] {
        assert!(drift.stdout.contains(what), "drift names {what}:\n{}", drift.stdout);
    }
    let restored = env.apply(&bp).ok();
    assert_eq!(restored.json()["failed"], 0, "{}", restored.stdout);
    assert!(filters(&logs).await.contains_key("cis-4.3-RootAccountUsage"));
    let a = cw.describe_alarms().alarm_names("cis-4.4-IAMPolicyChanges").send().await.unwrap();
    assert_eq!(a.metric_alarms()[0].actions_enabled(), Some(true));
    let groups = logs.describe_log_groups().log_group_name_prefix("groundwork-org-trail").send().await.unwrap();
    assert_eq!(groups.log_groups()[0].retention_in_days(), Some(90));
    let trail = ct.get_trail().name("org-trail").send().await.unwrap().trail.unwrap();
    assert_eq!(trail.cloud_watch_logs_role_arn(), Some(role_arn.as_str()));
    let clean = env.gw(&["drift", bp.to_str().unwrap(), "--no-rate-limit"]);
    assert_eq!(clean.code, 0, "{}", clean.stdout);
}

#[tokio::test(flavor = "multi_thread")]
async fn every_call_of_the_alerts_is_inside_the_policy_groundwork_prints() {
    let env = Env::new();
    let bp = blueprint(&env);
    let b = bp.to_str().unwrap();
    let printed = crate::permissions::permissions(env.home.path(), &bp, true).json();
    let first = env.apply(&bp).ok();
    let rerun = env.apply(&bp).ok();
    assert_eq!(rerun.writes(), 0, "{}", rerun.stderr);
    let drift = env.gw(&["drift", b, "--json", "--stats", "--no-rate-limit"]).ok();
    let (_, accounts) = crate::common::read_org(&env.org()).await;
    let names_by_id: BTreeMap<String, String> = accounts.values().map(|a| (a.id.clone(), a.name.clone())).collect();
    let checked = crate::permissions::check_runs(
        &printed,
        &names_by_id,
        &[("apply", &first), ("rerun", &rerun), ("drift", &drift)],
    );
    assert!(checked > 30, "only {checked} operations were recorded");
    let text = printed.to_string();
    for action in ["logs:PutMetricFilter", "cloudwatch:PutMetricAlarm", "sns:SetTopicAttributes", "iam:PassRole"] {
        assert!(text.contains(action), "{action} is in the printed policy");
    }
}

/// `import` reads the alerts back (issue 16): examples/alerts.yaml applied, imported with no
/// flag, validates and plans nothing; the section says what the example says, the token only by
/// where it is read.
#[tokio::test(flavor = "multi_thread")]
async fn import_of_the_alerts_example_writes_the_section_and_plans_nothing() {
    let env = Env::new();
    let example = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/alerts.yaml");
    env.apply(&example).ok();
    let out = env.path("imported.yaml");
    let out_s = out.to_str().unwrap();
    let imported = env.gw(&["import", "--out", out_s, "--no-rate-limit", "--json", "--stats"]).ok();
    assert_eq!(imported.writes(), 0, "import is read-only: {}", imported.stderr);
    assert_eq!(imported.json()["commented"], serde_json::json!([]), "{}", imported.stdout);
    let text = std::fs::read_to_string(&out).unwrap();
    let alerts = text.split("\nalerts:\n").nth(1).unwrap_or_else(|| panic!("no alerts in\n{text}"));
    let alerts = alerts.split("\n\n").next().unwrap();
    for line in [
        "retention_days: 90",
        "exclude: [\"4.9\"]",
        "name: BreakGlassUse",
        "name: RootUsageRepeated",
        "metric: RootAccountUsage",
        "threshold: 3",
        "period: 900",
        "email: [secops@acme.example]",
        "account: log-archive",
        "channel: \"#security-alerts\"",
        "token_env: GROUNDWORK_SLACK_TOKEN",
        "exclude: [CreateRole]",
    ] {
        assert!(alerts.contains(line), "{line} not in\n{alerts}");
    }
    assert!(!alerts.contains("Not imported") && !text.contains(crate::common::DUMMY_SLACK_TOKEN), "{text}");
    env.gw(&["validate", out_s]).ok();
    let plan = env.plan_json(&out).ok();
    let changes: Vec<String> = plan.json()["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| format!("{} {}", c["action"].as_str().unwrap(), c["address"].as_str().unwrap()))
        .collect();
    assert_eq!(changes, Vec::<String>::new(), "{text}");
    assert_eq!(plan.writes(), 0);
}
