//! Sandboxes end to end: `sandbox-limits` read back attached to each sandbox account, each
//! sandbox's budget read back with its limit, thresholds and owner's e-mail, a rerun with zero
//! writes, and a budget limit changed out of band named by `drift` and restored by `apply`.
//! moto 5.1.22 lacks UpdateBudget and DescribeSubscribersForNotification: these tests run
//! through the proxy's budgets shim (`ProxyConfig::budgets`).

use std::collections::BTreeSet;
use std::path::Path;

use aws_sdk_organizations::types::PolicyType;
use groundwork_testkit::{FaultProxy, ProxyConfig};
use serde_json::{Value, json};

use crate::common::{Env, Run, as_set, read_org, statement};

const BLUEPRINT: &str = "version: 1
organization:
  name: sandboxed
  home_region: us-east-1
  management_account:
    email: master@example.com
organizational_units:
  - name: Sandbox
  - name: Workloads
accounts:
  - name: sandbox-alice
    email: aws+sandbox-alice@sandboxed.example
    ou: Sandbox
    purpose: sandbox
    tags: { OwnerEmail: alice@sandboxed.example }
  - name: sandbox-bob
    email: aws+sandbox-bob@sandboxed.example
    ou: Sandbox
    purpose: sandbox
  - name: app
    email: aws+app@sandboxed.example
    ou: Workloads
    purpose: workload
sandbox:
  instance_types: [t3.micro, t3.small]
  budget:
    monthly_limit_usd: 200
    thresholds: [80, 100]
    owner_email: sandboxes@sandboxed.example
";

/// A limit as AWS writes it (`"200"` or `"200.0"`), in whole dollars.
fn whole(amount: &str) -> &str {
    amount.strip_suffix(".0").unwrap_or(amount)
}

struct Sandboxes {
    env: Env,
    proxy: FaultProxy,
}

impl Sandboxes {
    fn gw(&self, args: &[&str]) -> Run {
        Run::from_output(&self.env.command(&self.proxy.endpoint(), args).output().unwrap())
    }

    fn apply(&self, bp: &Path) -> Run {
        self.gw(&["apply", bp.to_str().unwrap(), "--auto-approve", "--json", "--stats", "--no-rate-limit"])
    }

    /// A budgets client in `account`, through the proxy (whose shim answers what moto lacks).
    async fn budgets(&self, account: &str) -> aws_sdk_budgets::Client {
        let member = self.env.moto.member_config(account, "us-east-1").await;
        let conf = aws_sdk_budgets::config::Builder::from(&member).endpoint_url(self.proxy.endpoint()).build();
        aws_sdk_budgets::Client::from_conf(conf)
    }

    /// The sandbox budget of `account`: its limit and (threshold, subscriber addresses).
    async fn budget(&self, account: &str) -> (String, Vec<(f64, BTreeSet<String>)>) {
        let c = self.budgets(account).await;
        let b = c.describe_budget().account_id(account).budget_name("groundwork-sandbox").send().await.unwrap();
        let limit = b.budget().unwrap().budget_limit().unwrap().amount().to_owned();
        let listed = c
            .describe_notifications_for_budget()
            .account_id(account)
            .budget_name("groundwork-sandbox")
            .send()
            .await
            .unwrap();
        let mut out = Vec::new();
        for n in listed.notifications() {
            assert_eq!(n.notification_type().as_str(), "ACTUAL");
            assert_eq!(n.comparison_operator().as_str(), "GREATER_THAN");
            let subs = c
                .describe_subscribers_for_notification()
                .account_id(account)
                .budget_name("groundwork-sandbox")
                .notification(n.clone())
                .send()
                .await
                .unwrap();
            out.push((n.threshold(), subs.subscribers().iter().map(|s| s.address().to_owned()).collect()));
        }
        out.sort_by(|a, b| a.0.total_cmp(&b.0));
        (limit, out)
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn sandboxes_get_their_limits_and_a_budget_read_back_and_repaired() {
    let env = Env::new();
    let proxy = FaultProxy::start(env.moto.port(), ProxyConfig { budgets: true, ..ProxyConfig::default() });
    let s = Sandboxes { env, proxy };
    let bp = s.env.path("sandboxed.yaml");
    std::fs::write(&bp, BLUEPRINT).unwrap();
    let b = bp.to_str().unwrap();
    s.apply(&bp).ok();

    let (_, accounts) = read_org(&s.env.org()).await;
    let id = |email: &str| accounts[email].id.clone();
    let (alice, bob, app) = (
        id("aws+sandbox-alice@sandboxed.example"),
        id("aws+sandbox-bob@sandboxed.example"),
        id("aws+app@sandboxed.example"),
    );

    // sandbox-limits is attached to both sandbox accounts, and to nothing else.
    let org = s.env.org();
    let scps = org.list_policies().filter(PolicyType::ServiceControlPolicy).send().await.unwrap();
    let limits = scps.policies().iter().find(|p| p.name() == Some("sandbox-limits")).expect("sandbox-limits exists");
    let limits_id = limits.id().unwrap().to_owned();
    let targets = org.list_targets_for_policy().policy_id(limits.id().unwrap()).send().await.unwrap();
    let targets: BTreeSet<String> = targets.targets().iter().map(|t| t.target_id().unwrap().to_owned()).collect();
    assert_eq!(targets, BTreeSet::from([alice.clone(), bob.clone()]));
    assert!(!targets.contains(&app));
    let described = org.describe_policy().policy_id(limits.id().unwrap()).send().await.unwrap();
    let doc: Value = serde_json::from_str(described.policy().unwrap().content().unwrap()).unwrap();
    let types = statement(&doc, "DenyInstanceTypesOutsideAllowList");
    assert_eq!(
        as_set(&types["Condition"]["StringNotLike"]["ec2:InstanceType"]),
        BTreeSet::from(["t3.micro".to_owned(), "t3.small".to_owned()])
    );
    assert!(as_set(&statement(&doc, "DenyIamUsersAndAccessKeys")["Action"]).contains("iam:CreateAccessKey"));
    assert!(as_set(&statement(&doc, "DenyNetworkPathsOut")["Action"]).contains("ec2:CreateVpcPeeringConnection"));
    assert!(as_set(&statement(&doc, "DenyLongTermCommitments")["Action"]).contains("savingsplans:CreateSavingsPlan"));

    // Each sandbox has its budget: the limit, a notification per threshold, to its owner.
    let alice_budget = s.budget(&alice).await;
    assert_eq!(whole(&alice_budget.0), "200");
    let to = |who: &str| BTreeSet::from([who.to_owned()]);
    assert_eq!(alice_budget.1, vec![(80.0, to("alice@sandboxed.example")), (100.0, to("alice@sandboxed.example"))]);
    let bob_budget = s.budget(&bob).await;
    assert_eq!(
        bob_budget.1,
        vec![(80.0, to("sandboxes@sandboxed.example")), (100.0, to("sandboxes@sandboxed.example"))]
    );

    // A rerun writes nothing.
    let rerun = s.apply(&bp).ok();
    assert_eq!(rerun.writes(), 0, "{}", rerun.stderr);

    // Out of band: alice's limit raised to 5,000 USD.
    let c = s.budgets(&alice).await;
    let raised = aws_sdk_budgets::types::Budget::builder()
        .budget_name("groundwork-sandbox")
        .budget_limit(aws_sdk_budgets::types::Spend::builder().amount("5000").unit("USD").build().unwrap())
        .time_unit(aws_sdk_budgets::types::TimeUnit::Monthly)
        .budget_type(aws_sdk_budgets::types::BudgetType::Cost)
        .build()
        .unwrap();
    c.update_budget().account_id(&alice).new_budget(raised).send().await.unwrap();
    assert_eq!(whole(&s.budget(&alice).await.0), "5000");

    let drift = s.gw(&["drift", b, "--stats", "--json", "--no-rate-limit"]);
    assert_eq!(drift.code, 2, "{}{}", drift.stdout, drift.stderr);
    assert_eq!(drift.writes(), 0, "drift is read-only");
    let report = drift.json();
    let named: Vec<&str> = report["groups"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|g| g["differences"].as_array().unwrap())
        .map(|d| d["address"].as_str().unwrap())
        .collect();
    assert_eq!(named, ["budget/sandbox-alice/groundwork-sandbox"], "{report:#}");

    let repaired = s.apply(&bp).ok();
    let writes = repaired.stats()["write_calls"].clone();
    assert_eq!(writes["budgets:UpdateBudget"], json!(1), "{writes}");
    let after = s.budget(&alice).await;
    assert_eq!(whole(&after.0), "200");
    assert_eq!(after.1.len(), 2, "the notifications stay");
    let clean = s.gw(&["drift", b, "--no-rate-limit"]);
    assert_eq!(clean.code, 0, "not repaired:\n{}{}", clean.stdout, clean.stderr);

    // `graph` and `audit` show each sandbox's limits.
    let limits = "sandbox-limits (t3.micro, t3.small); budget 200 USD a month, at 80%, 100% to";
    let graph = s.gw(&["graph", b]).ok();
    assert!(graph.stdout.contains(&format!("{limits} alice@sandboxed.example")), "{}", graph.stdout);
    let audit = s.gw(&["audit", b, "--json", "--no-rate-limit"]);
    let report = audit.json();
    let sandbox_of = |name: &str| {
        report["accounts"].as_array().unwrap().iter().find(|a| a["name"] == name).map(|a| a["sandbox"].clone())
    };
    assert_eq!(sandbox_of("sandbox-bob"), Some(json!(format!("{limits} sandboxes@sandboxed.example"))), "{report:#}");
    assert_eq!(sandbox_of("app"), Some(Value::Null), "{report:#}");
    let text = s.gw(&["audit", b, "--no-rate-limit"]);
    assert!(
        text.stdout.contains(&format!("Sandboxes:\n  sandbox-alice ({alice}): {limits} alice@sandboxed.example")),
        "{}",
        text.stdout
    );
    // And what audit found: sandbox-limits attached and the budget read back, no finding.
    let found_of = |report: &Value, name: &str| {
        report["accounts"].as_array().unwrap().iter().find(|a| a["name"] == name).map(|a| a["sandbox_found"].clone())
    };
    assert_eq!(
        found_of(&report, "sandbox-bob"),
        Some(json!("sandbox-limits attached; budget 200 USD a month, at 80%, 100% to sandboxes@sandboxed.example")),
        "{report:#}"
    );
    let sandbox_findings = |report: &Value| -> Vec<String> {
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["rule"] == "sandbox-limits")
            .map(|f| f["account_name"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(sandbox_findings(&report), Vec::<String>::new(), "{report:#}");
    // Out of band: sandbox-limits detached from bob: a finding for bob.
    org.detach_policy().policy_id(&limits_id).target_id(&bob).send().await.unwrap();
    let report = s.gw(&["audit", b, "--json", "--no-rate-limit"]).json();
    assert_eq!(sandbox_findings(&report), ["sandbox-bob"], "{report:#}");
    assert!(found_of(&report, "sandbox-bob").unwrap().as_str().unwrap().starts_with("sandbox-limits NOT attached"));
}

/// Sandboxes in a blueprint with `alerts`: the budget's notifications also go to the alerts
/// topic, whose policy lets AWS Budgets publish for the sandbox accounts only.
const WITH_ALERTS: &str = "version: 1
organization:
  name: sandboxed
  home_region: us-east-1
  management_account:
    email: master@example.com
organizational_units:
  - name: Security
  - name: Sandbox
accounts:
  - name: log-archive
    email: aws+log-archive@sandboxed.example
    ou: Security
    purpose: log-archive
  - name: sandbox-alice
    email: aws+sandbox-alice@sandboxed.example
    ou: Sandbox
    purpose: sandbox
    tags: { OwnerEmail: alice@sandboxed.example }
logging:
  account: log-archive
  bucket: sandboxed-cloudtrail-{account_id}
  trail: org-trail
  kms_key: false
baseline:
  enabled: false
sandbox:
  budget: { monthly_limit_usd: 50, thresholds: [100] }
alerts:
  topic:
    email: [secops@sandboxed.example]
";

#[tokio::test(flavor = "multi_thread")]
async fn with_alerts_each_budget_also_notifies_the_alerts_topic() {
    let env = Env::new();
    let proxy = FaultProxy::start(env.moto.port(), ProxyConfig { budgets: true, ..ProxyConfig::default() });
    let s = Sandboxes { env, proxy };
    let bp = s.env.path("sandboxed.yaml");
    std::fs::write(&bp, WITH_ALERTS).unwrap();
    s.apply(&bp).ok();

    let (_, accounts) = read_org(&s.env.org()).await;
    let alice = accounts["aws+sandbox-alice@sandboxed.example"].id.clone();
    let management = accounts["master@example.com"].id.clone();
    let topic = format!("arn:aws:sns:us-east-1:{management}:groundwork-alerts");
    let (limit, notifications) = s.budget(&alice).await;
    assert_eq!(whole(&limit), "50");
    assert_eq!(
        notifications,
        vec![(100.0, BTreeSet::from(["alice@sandboxed.example".to_owned(), topic.clone()]))],
        "the owner and the alerts topic"
    );

    // The topic's policy lets AWS Budgets publish, only for the sandbox account.
    let sns = aws_sdk_sns::Client::new(&s.env.moto.sdk_config());
    let attrs = sns.get_topic_attributes().topic_arn(&topic).send().await.unwrap();
    let policy: Value = serde_json::from_str(&attrs.attributes().unwrap()["Policy"]).unwrap();
    let budgets = statement(&policy, "SandboxBudgetsPublish");
    assert_eq!(as_set(&budgets["Principal"]["Service"]), BTreeSet::from(["budgets.amazonaws.com".to_owned()]));
    assert_eq!(as_set(&budgets["Condition"]["StringEquals"]["aws:SourceAccount"]), BTreeSet::from([alice.clone()]));

    let rerun = s.apply(&bp).ok();
    assert_eq!(rerun.writes(), 0, "{}", rerun.stderr);
}
