//! The Slack half of `alerts` against stock moto: the us-east-1 rule in every account forwarding
//! IAM changes to the central bus, the bus's organization-only policy, the connection (only its
//! fingerprint readable) and the API destination, read back with plain SDK calls; a rerun
//! writes nothing; the token is never in stdout or stderr at -vvv, the journal or a plan; a new
//! token plans an update of the connection only; a removed member rule, a disabled central rule
//! and a loosened bus policy are named by `drift` and restored by `apply`. The two delivery
//! tests (a small blueprint's: an IAM change, `alerts test` and an alarm going off; the
//! reference's `alerts test`) run moto through the testkit's launcher.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::common::Env;

const TOKEN: &str = "xoxb-1111-2222-notarealtokenatall";

fn blueprint_text(token_file: &Path, endpoint: &str) -> String {
    format!(
        r##"version: 1
organization:
  name: acme
  home_region: eu-west-1
  management_account:
    email: master@example.com
organizational_units:
  - name: Security
  - name: Workloads
accounts:
  - name: log-archive
    email: aws+log-archive@acme.example
    ou: Security
    purpose: log-archive
  - name: jira-prod
    email: aws+jira-prod@acme.example
    ou: Workloads
    purpose: workload
logging:
  account: log-archive
  bucket: acme-cloudtrail-{{account_id}}
  trail: org-trail
  kms_key: false
baseline:
  enabled: false
alerts:
  cis:
    exclude: ["4.9"]
  slack:
    account: log-archive
    channel: "#security-alerts"
    token_file: {}
    endpoint: {endpoint}
"##,
        token_file.display()
    )
}

/// The blueprint, its token file holding `token`.
pub(crate) fn blueprint(env: &Env, endpoint: &str, token: &str) -> PathBuf {
    let token_file = env.path("slack-token");
    std::fs::write(&token_file, format!("{token}\n")).unwrap();
    let path = env.path("alerts.yaml");
    std::fs::write(&path, blueprint_text(&token_file, endpoint)).unwrap();
    path
}

/// The organization's accounts by blueprint name (the management account as `management`).
pub(crate) async fn ids(env: &Env) -> std::collections::BTreeMap<String, String> {
    let org = env.org();
    let (_, accounts) = crate::common::read_org(&org).await;
    let management = org.describe_organization().send().await.unwrap();
    let management = management.organization().unwrap().master_account_id().unwrap().to_owned();
    let mut out: std::collections::BTreeMap<String, String> =
        accounts.values().filter(|a| a.id != management).map(|a| (a.name.clone(), a.id.clone())).collect();
    out.insert("management".into(), management);
    out
}

async fn events(env: &Env, account: &str, region: &str) -> aws_sdk_eventbridge::Client {
    aws_sdk_eventbridge::Client::new(&env.moto.member_config(account, region).await)
}

/// Puts one event on `eb`'s default bus; it must be accepted.
async fn put(eb: &aws_sdk_eventbridge::Client, source: &str, detail_type: &str, detail: &Value) {
    let entry = aws_sdk_eventbridge::types::PutEventsRequestEntry::builder()
        .source(source)
        .detail_type(detail_type)
        .detail(detail.to_string())
        .build();
    let out = eb.put_events().entries(entry).send().await.unwrap();
    assert_eq!(out.failed_entry_count(), 0);
}

fn journal(env: &Env) -> String {
    std::fs::read_to_string(env.path(".groundwork/acme.journal.jsonl")).unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_slack_path_is_built_read_back_kept_secret_and_restored_after_tampering() {
    let env = Env::new();
    let endpoint = "http://127.0.0.1:9/api/chat.postMessage";
    let bp = blueprint(&env, endpoint, TOKEN);
    let b = bp.to_str().unwrap();
    let applied = env.gw(&["apply", b, "--auto-approve", "--json", "--stats", "--no-rate-limit", "-vvv"]).ok();
    assert_eq!(applied.json()["failed"], 0, "{}", applied.stdout);
    let ids = ids(&env).await;
    let central = &ids["log-archive"];
    let org_id = env.org().describe_organization().send().await.unwrap();
    let org_id = org_id.organization().unwrap().id().unwrap().to_owned();
    let bus_arn = format!("arn:aws:events:us-east-1:{central}:event-bus/groundwork-alerts");

    // The us-east-1 rule in every account forwards IAM changes to the central bus, with a role.
    for (name, id) in &ids {
        let eb = events(&env, id, "us-east-1").await;
        let rule = eb.describe_rule().name("groundwork-iam-to-central").send().await.unwrap();
        assert_eq!(rule.state().map(aws_sdk_eventbridge::types::RuleState::as_str), Some("ENABLED"), "{name}");
        let pattern: Value = serde_json::from_str(rule.event_pattern().unwrap()).unwrap();
        let names = pattern["detail"]["eventName"].as_array().unwrap();
        for e in ["AttachUserPolicy", "CreateAccessKey", "StopLogging", "DeleteTrail"] {
            assert!(names.contains(&Value::from(e)), "{name}: {e} in {pattern}");
        }
        let targets = eb.list_targets_by_rule().rule("groundwork-iam-to-central").send().await.unwrap();
        let t = &targets.targets()[0];
        assert_eq!(t.arn(), bus_arn, "{name}");
        assert_eq!(t.role_arn(), Some(format!("arn:aws:iam::{id}:role/groundwork-events-forward").as_str()));
    }
    // The management account forwards its alarms' state changes from its home region.
    let home = events(&env, &ids["management"], "eu-west-1").await;
    let alarms = home.describe_rule().name("groundwork-alarms-to-central").send().await.unwrap();
    assert!(alarms.event_pattern().unwrap().contains("cis-4.3-RootAccountUsage"));

    // The central bus admits this organization only.
    let eb = events(&env, central, "us-east-1").await;
    let bus = eb.describe_event_bus().name("groundwork-alerts").send().await.unwrap();
    let policy = bus.policy().unwrap();
    assert!(policy.contains("aws:PrincipalOrgID") && policy.contains(&org_id), "{policy}");
    // The API destination points at the recorder's address, through the connection.
    let dest = eb.describe_api_destination().name("groundwork-slack").send().await.unwrap();
    assert_eq!(dest.invocation_endpoint(), Some(endpoint));
    assert!(dest.connection_arn().unwrap().contains(":connection/groundwork-slack/"));
    let connection = eb.describe_connection().name("groundwork-slack").send().await.unwrap();
    let description = connection.description().unwrap();
    assert!(description.contains("fingerprint sha256:") && !description.contains(TOKEN), "{description}");
    // The central rules post through the API destination, rendering a message.
    let targets = eb
        .list_targets_by_rule()
        .rule("groundwork-iam-changes-to-slack")
        .event_bus_name("groundwork-alerts")
        .send()
        .await
        .unwrap();
    let t = &targets.targets()[0];
    assert!(t.arn().contains(":api-destination/groundwork-slack"));
    assert!(t.input_transformer().unwrap().input_template().contains("#security-alerts"));

    // A rerun writes nothing.
    let rerun = env.apply(&bp).ok();
    assert_eq!(rerun.writes(), 0, "{}", rerun.stderr);

    // The token is nowhere: not in output at -vvv, the journal or a plan (saved or printed).
    let plan = env.plan_json(&bp).ok();
    let saved = env.path("saved.json");
    env.gw(&["plan", b, "--no-rate-limit", "--out", saved.to_str().unwrap()]).ok();
    let saved = std::fs::read_to_string(&saved).unwrap();
    assert!(applied.stderr.len() > 10_000, "-vvv logs a lot");
    for (what, text) in [
        ("stdout", &applied.stdout),
        ("stderr", &applied.stderr),
        ("journal", &journal(&env)),
        ("plan", &plan.stdout),
        ("saved plan", &saved),
    ] {
        assert!(!text.contains(TOKEN) && !text.contains("notarealtoken"), "the token appears in {what}");
    }

    // A new token: an update of the connection, and nothing else.
    std::fs::write(env.path("slack-token"), "xoxb-3333-4444-anothertoken\n").unwrap();
    let plan = env.plan_json(&bp).ok().json();
    let changed: Vec<(String, String)> = plan["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["action"] != "no-op")
        .map(|c| (c["address"].as_str().unwrap().to_owned(), c["action"].as_str().unwrap().to_owned()))
        .collect();
    assert_eq!(
        changed,
        [("event-connection/log-archive/us-east-1/groundwork-slack".to_owned(), "update".to_owned())],
        "{plan:#}"
    );
    env.apply(&bp).ok();
    let rerun = env.apply(&bp).ok();
    assert_eq!(rerun.writes(), 0, "{}", rerun.stderr);

    // Behind groundwork's back: the member's rule removed, the central rule disabled, the bus
    // policy loosened to anyone.
    let member = events(&env, &ids["jira-prod"], "us-east-1").await;
    member.remove_targets().rule("groundwork-iam-to-central").ids("central-bus").send().await.unwrap();
    member.delete_rule().name("groundwork-iam-to-central").send().await.unwrap();
    eb.disable_rule().name("groundwork-iam-changes-to-slack").event_bus_name("groundwork-alerts").send().await.unwrap();
    let open = policy.replace("aws:PrincipalOrgID", "aws:PrincipalAccount").replace(&org_id, "111111111111");
    eb.put_permission().event_bus_name("groundwork-alerts").policy(open).send().await.unwrap();
    let drift = env.gw(&["drift", b, "--no-rate-limit"]);
    assert_eq!(drift.code, 2, "{}", drift.stdout);
    for what in [
        "event-rule/jira-prod/us-east-1/groundwork-iam-to-central",
        "event-rule/log-archive/us-east-1/groundwork-iam-changes-to-slack",
        "enabled",
        "event-bus/log-archive/us-east-1/groundwork-alerts",
        "policy",
    ] {
        assert!(drift.stdout.contains(what), "drift names {what}:\n{}", drift.stdout);
    }
    let restored = env.apply(&bp).ok();
    assert_eq!(restored.json()["failed"], 0, "{}", restored.stdout);
    assert!(member.describe_rule().name("groundwork-iam-to-central").send().await.is_ok());
    let bus = eb.describe_event_bus().name("groundwork-alerts").send().await.unwrap();
    assert!(bus.policy().unwrap().contains(&org_id));
    let clean = env.gw(&["drift", b, "--no-rate-limit"]);
    assert_eq!(clean.code, 0, "{}", clean.stdout);
}

#[test]
fn a_missing_token_is_an_error_before_any_call() {
    let env = Env::new();
    let bp = blueprint(&env, "https://slack.com/api/chat.postMessage", TOKEN);
    std::fs::remove_file(env.path("slack-token")).unwrap();
    let run = env.gw(&["plan", bp.to_str().unwrap(), "--no-rate-limit", "--stats", "--json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("alerts.slack") && run.stderr.contains("slack-token"), "{}", run.stderr);
}

/// Through the testkit's launcher (ADR 0019: moto's API-destination delivery, as EventBridge
/// does it) to the testkit's Slack recorder.
#[tokio::test(flavor = "multi_thread")]
async fn an_iam_change_in_a_member_account_reaches_slack_and_alerts_test_does_the_same() {
    let slack = groundwork_testkit::SlackRecorder::start();
    let env =
        Env { moto: groundwork_testkit::Moto::start_delivering(), home: tempfile::tempdir().unwrap(), patched: None };
    let bp = blueprint(&env, &slack.url(), TOKEN);
    let applied = env.apply(&bp).ok();
    assert_eq!(applied.json()["failed"], 0, "{}", applied.stdout);
    let ids = ids(&env).await;
    let member = &ids["jira-prod"];

    // Someone attaches AdministratorAccess to bob in jira-prod: CloudTrail's event on its bus.
    let detail = serde_json::json!({
        "eventVersion": "1.09",
        "eventSource": "iam.amazonaws.com",
        "eventName": "AttachUserPolicy",
        "awsRegion": "us-east-1",
        "eventTime": "2026-12-07T04:12:13Z",
        "eventID": "0f7c1d2e-test",
        "recipientAccountId": member,
        "userIdentity": { "type": "IAMUser", "accountId": member, "arn": format!("arn:aws:iam::{member}:user/mallory") },
        "requestParameters": { "userName": "bob", "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess" },
    });
    put(&events(&env, member, "us-east-1").await, "aws.iam", "AWS API Call via CloudTrail", &detail).await;

    let got = slack.wait_for(1, std::time::Duration::from_secs(30));
    assert_eq!(got.len(), 1, "{got:#?}");
    let post = &got[0];
    assert_eq!((post.method.as_str(), post.path.as_str()), ("POST", "/api/chat.postMessage"));
    assert_eq!(post.headers.get("authorization").map(String::as_str), Some(format!("Bearer {TOKEN}").as_str()));
    let body: Value = serde_json::from_str(&post.body).unwrap_or_else(|e| panic!("{e}: {}", post.body));
    assert_eq!(body["channel"], "#security-alerts");
    let text = body["text"].as_str().unwrap();
    for what in [
        "AttachUserPolicy",
        "user/mallory",
        "bob",
        "arn:aws:iam::aws:policy/AdministratorAccess",
        member,
        "2026-12-07T04:12:13Z",
    ] {
        assert!(text.contains(what), "the message names {what}: {text}");
    }

    // `alerts test` sends the same kind of event through the same path.
    let sent = env.gw(&["alerts", "test", bp.to_str().unwrap(), "--no-rate-limit"]).ok();
    assert!(sent.stdout.contains("jira-prod") && sent.stdout.contains("#security-alerts"), "{}", sent.stdout);
    let got = slack.wait_for(2, std::time::Duration::from_secs(30));
    assert_eq!(got.len(), 2, "{got:#?}");
    let body: Value = serde_json::from_str(&got[1].body).unwrap();
    let text = body["text"].as_str().unwrap();
    for what in ["AttachUserPolicy", "groundwork-alerts-test", member.as_str()] {
        assert!(text.contains(what), "the test message names {what}: {text}");
    }
    assert_eq!(got[1].headers.get("authorization").map(String::as_str), Some(format!("Bearer {TOKEN}").as_str()));
    assert!(!sent.stdout.contains(TOKEN) && !sent.stderr.contains(TOKEN));

    // An alarm goes off: CloudWatch's state-change event on the default bus of the management
    // account's home region, where the alarms are. Only groundwork's alarms are forwarded (to
    // the central bus in the log archive's us-east-1, then to Slack): someone else's alarm first.
    let management = &ids["management"];
    let eb = events(&env, management, "eu-west-1").await;
    for alarm in ["someone-elses-alarm", "cis-4.3-RootAccountUsage"] {
        let detail = serde_json::json!({
            "alarmName": alarm,
            "state": { "value": "ALARM", "reason": "Threshold Crossed: 1 datapoint [1.0] >= 1.0" },
            "previousState": { "value": "OK" },
        });
        put(&eb, "aws.cloudwatch", "CloudWatch Alarm State Change", &detail).await;
    }
    let got = slack.wait_for(3, std::time::Duration::from_secs(30));
    assert_eq!(got.len(), 3, "{got:#?}");
    // Nothing more comes: someone else's alarm stayed in its account.
    let got = slack.wait_for(4, std::time::Duration::from_secs(2));
    assert_eq!(got.len(), 3, "only groundwork's alarm reaches Slack: {got:#?}");
    let body: Value = serde_json::from_str(&got[2].body).unwrap_or_else(|e| panic!("{e}: {}", got[2].body));
    assert_eq!(body["channel"], "#security-alerts");
    let text = body["text"].as_str().unwrap();
    for what in [":bell:", "*cis-4.3-RootAccountUsage*", "is ALARM", management.as_str(), "(eu-west-1)"] {
        assert!(text.contains(what), "the alarm's message names {what}: {text}");
    }

    // `alerts test --alarm` sets the alarm itself to ALARM: CloudWatch's own event takes the same
    // path (the launcher sends it, as CloudWatch does on a state change).
    let sent = env.gw(&["alerts", "test", bp.to_str().unwrap(), "--alarm", "--no-rate-limit"]).ok();
    assert!(sent.stdout.contains("Set alarm cis-4.3-RootAccountUsage"), "{}", sent.stdout);
    assert!(sent.stdout.contains("#security-alerts"), "{}", sent.stdout);
    let cw = aws_sdk_cloudwatch::Client::new(&env.moto.member_config(management, "eu-west-1").await);
    let described = cw.describe_alarms().alarm_names("cis-4.3-RootAccountUsage").send().await.unwrap();
    let alarm = &described.metric_alarms()[0];
    assert_eq!(alarm.state_value().map(aws_sdk_cloudwatch::types::StateValue::as_str), Some("ALARM"));
    assert!(alarm.state_reason().unwrap().starts_with("groundwork alerts test"), "{alarm:?}");
    let got = slack.wait_for(4, std::time::Duration::from_secs(30));
    assert_eq!(got.len(), 4, "{got:#?}");
    let body: Value = serde_json::from_str(&got[3].body).unwrap_or_else(|e| panic!("{e}: {}", got[3].body));
    let text = body["text"].as_str().unwrap();
    for what in ["*cis-4.3-RootAccountUsage*", "is ALARM", management.as_str(), "(eu-west-1)"] {
        assert!(text.contains(what), "the alarm's message names {what}: {text}");
    }
    // A name that is not one of the blueprint's alarms is refused before any call.
    let refused = env.gw(&["alerts", "test", bp.to_str().unwrap(), "--alarm", "nope", "--no-rate-limit"]);
    assert_eq!(refused.code, 1);
    assert!(refused.stderr.contains("nope is not one of the alarms"), "{}", refused.stderr);
}

#[tokio::test(flavor = "multi_thread")]
async fn every_call_of_the_slack_path_is_inside_the_policy_groundwork_prints() {
    let env = Env::new();
    let bp = blueprint(&env, "https://slack.com/api/chat.postMessage", TOKEN);
    let b = bp.to_str().unwrap();
    let printed = crate::permissions::permissions(env.home.path(), &bp, true).json();
    let first = env.apply(&bp).ok();
    let rerun = env.apply(&bp).ok();
    assert_eq!(rerun.writes(), 0, "{}", rerun.stderr);
    let drift = env.gw(&["drift", b, "--json", "--stats", "--no-rate-limit"]).ok();
    let test = env.gw(&["alerts", "test", b, "--json", "--stats", "--no-rate-limit"]).ok();
    assert_eq!(test.stats()["write_calls"]["eventbridge:PutEvents"], 1, "{}", test.stderr);
    let alarm = env.gw(&["alerts", "test", b, "--alarm", "--json", "--stats", "--no-rate-limit"]).ok();
    assert_eq!(alarm.stats()["write_calls"]["cloudwatch:SetAlarmState"], 1, "{}", alarm.stderr);
    let (_, accounts) = crate::common::read_org(&env.org()).await;
    let names_by_id: std::collections::BTreeMap<String, String> =
        accounts.values().map(|a| (a.id.clone(), a.name.clone())).collect();
    let checked = crate::permissions::check_runs(
        &printed,
        &names_by_id,
        &[
            ("apply", &first),
            ("rerun", &rerun),
            ("drift", &drift),
            ("alerts test", &test),
            ("alerts test --alarm", &alarm),
        ],
    );
    assert!(checked > 30, "only {checked} operations were recorded");
    let text = printed.to_string();
    for action in ["events:PutRule", "events:PutPermission", "events:CreateConnection", "events:CreateApiDestination"] {
        assert!(text.contains(action), "{action} is in the printed policy");
    }
    assert!(!text.contains(TOKEN));
}

/// The reference blueprint's Slack path, as `scripts/demo` shows it: a copy of the reference
/// whose `alerts.slack.endpoint` is the recorder, applied through the reference's emulator
/// patches and the launcher; `alerts test` reaches the recorder with the token from
/// `GROUNDWORK_SLACK_TOKEN`, the message naming the first account that does not hold the bus.
#[tokio::test(flavor = "multi_thread")]
async fn the_reference_blueprint_s_alerts_test_reaches_slack() {
    let slack = groundwork_testkit::SlackRecorder::start();
    let env = Env::reference_delivering();
    let text = std::fs::read_to_string(crate::common::reference()).unwrap();
    assert_eq!(text.matches("\n  slack:\n").count(), 1, "the reference has one alerts.slack");
    let bp = env.path("landing-zone.yaml");
    std::fs::write(&bp, text.replace("\n  slack:\n", &format!("\n  slack:\n    endpoint: {}\n", slack.url()))).unwrap();
    let applied = env.apply(&bp).ok();
    assert_eq!(applied.json()["failed"], 0, "{}", applied.stdout);

    let sent = env.gw(&["alerts", "test", bp.to_str().unwrap(), "--no-rate-limit"]).ok();
    let ids = ids(&env).await;
    let identity = &ids["identity"];
    assert!(sent.stdout.contains(&format!("identity ({identity})")), "{}", sent.stdout);
    assert!(sent.stdout.contains("log-archive") && sent.stdout.contains("#security-alerts"), "{}", sent.stdout);
    let got = slack.wait_for(1, std::time::Duration::from_secs(30));
    assert_eq!(got.len(), 1, "{got:#?}");
    let bearer = format!("Bearer {}", crate::common::DUMMY_SLACK_TOKEN);
    assert_eq!(got[0].headers.get("authorization"), Some(&bearer));
    let body: Value = serde_json::from_str(&got[0].body).unwrap_or_else(|e| panic!("{e}: {}", got[0].body));
    assert_eq!(body["channel"], "#security-alerts");
    let message = body["text"].as_str().unwrap();
    for what in ["AttachUserPolicy", "groundwork-alerts-test", identity.as_str(), "AdministratorAccess"] {
        assert!(message.contains(what), "the message names {what}: {message}");
    }
}
