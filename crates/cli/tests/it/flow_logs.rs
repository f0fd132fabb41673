//! VPC flow logs end to end: two VPCs made out of band in two workload accounts, one tagged
//! confidential and one not; apply gives exactly the tagged one a flow log to the log-archive
//! bucket under its prefix, read back with plain SDK calls; the bucket policy's log-delivery
//! statements and the reader role's policy, scoped to the prefix, read back; a rerun writes
//! nothing; a new `traffic` is planned as a Replace that says why and is applied; a VPC that
//! loses its tag keeps its flow log until `--prune`.
//!
//! moto 5.1.22 rejects an S3 destination with a key prefix (it looks for a bucket named
//! `bucket/prefix`): the proxy's flow-log shim (`ProxyConfig::flow_logs`) forwards the bucket
//! alone and puts the prefix back in DescribeFlowLogs, so the prefix is checked on the request
//! groundwork sent as well as read back.

use std::path::Path;

use aws_sdk_ec2::types::{ResourceType, Tag, TagSpecification};
use groundwork_testkit::{FaultProxy, ProxyConfig};
use serde_json::{Value, json};

use crate::common::{Env, Run, read_org, statement};

const REGION: &str = "eu-west-1";

fn blueprint(traffic: &str) -> String {
    format!(
        "version: 1
organization:
  name: acme
  home_region: eu-west-1
  management_account: {{ email: master@example.com }}
organizational_units:
  - name: Security
  - name: Workloads
accounts:
  - {{ name: log-archive, email: aws+log-archive@acme.example, ou: Security, purpose: log-archive }}
  - {{ name: identity, email: aws+identity@acme.example, ou: Security, purpose: identity }}
  - {{ name: app-a, email: aws+app-a@acme.example, ou: Workloads, purpose: workload }}
  - {{ name: app-b, email: aws+app-b@acme.example, ou: Workloads, purpose: workload }}
logging: {{ account: log-archive, bucket: \"acme-logs-{{account_id}}\", trail: org-trail }}
identity: {{ account: identity }}
roles:
  - {{ name: NetworkAuditor, select: {{ accounts: [log-archive] }}, trust: hub }}
baseline: {{ enabled: false }}
flow_logs:
  select: {{ accounts: [app-a, app-b] }}
  regions: home
  vpcs: {{ tags: {{ data-classification: [confidential, restricted] }} }}
  traffic: {traffic}
  grants: [NetworkAuditor]
"
    )
}

/// moto with the flow-log shim in front of it.
struct Flow {
    env: Env,
    proxy: FaultProxy,
}

impl Flow {
    fn gw(&self, args: &[&str]) -> Run {
        Run::from_output(&self.env.command(&self.proxy.endpoint(), args).output().unwrap())
    }

    fn apply(&self, bp: &Path, extra: &[&str]) -> Run {
        let mut args = vec!["apply", bp.to_str().unwrap(), "--auto-approve", "--json", "--stats", "--no-rate-limit"];
        args.extend_from_slice(extra);
        self.gw(&args)
    }

    fn plan_json(&self, bp: &Path, extra: &[&str]) -> Value {
        let mut args = vec!["plan", bp.to_str().unwrap(), "--json", "--no-rate-limit"];
        args.extend_from_slice(extra);
        self.gw(&args).json()
    }

    /// An account's EC2 client, through the proxy (whose shim answers with the prefix sent).
    async fn ec2(&self, id: &str) -> aws_sdk_ec2::Client {
        let conf = aws_sdk_ec2::config::Builder::from(&self.env.moto.member_config(id, REGION).await)
            .endpoint_url(self.proxy.endpoint())
            .build();
        aws_sdk_ec2::Client::from_conf(conf)
    }

    /// Every flow log of an account's home region: (VPC, destination, traffic, tags).
    async fn flow_logs(&self, id: &str) -> Vec<(String, String, String, Vec<(String, String)>)> {
        let out = self.ec2(id).await.describe_flow_logs().send().await.unwrap();
        out.flow_logs()
            .iter()
            .map(|f| {
                (
                    f.resource_id().unwrap().to_owned(),
                    f.log_destination().unwrap_or_default().to_owned(),
                    f.traffic_type().unwrap().as_str().to_owned(),
                    f.tags().iter().map(|t| (t.key().unwrap().to_owned(), t.value().unwrap().to_owned())).collect(),
                )
            })
            .collect()
    }
}

/// A VPC made out of band, with a `data-classification` tag.
async fn vpc(ec2: &aws_sdk_ec2::Client, cidr: &str, classification: &str) -> String {
    let tags = TagSpecification::builder()
        .resource_type(ResourceType::Vpc)
        .tags(Tag::builder().key("data-classification").value(classification).build())
        .build();
    let out = ec2.create_vpc().cidr_block(cidr).tag_specifications(tags).send().await.unwrap();
    out.vpc().unwrap().vpc_id().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn tagged_vpcs_get_one_flow_log_to_the_archive_a_change_is_a_replace_and_prune_is_explicit() {
    let env = Env::new();
    let proxy = FaultProxy::start(env.moto.port(), ProxyConfig { flow_logs: true, ..ProxyConfig::default() });
    let f = Flow { env, proxy };
    let bp = f.env.path("flow-logs.yaml");
    std::fs::write(&bp, blueprint("ALL")).unwrap();

    // The accounts exist first; then the VPCs are made in them out of band.
    f.apply(&bp, &[]).ok();
    let (_, accounts) = read_org(&f.env.org()).await;
    let id = |email: &str| accounts[email].id.clone();
    let (a, b, logs) = (id("aws+app-a@acme.example"), id("aws+app-b@acme.example"), id("aws+log-archive@acme.example"));
    let confidential = vpc(&f.ec2(&a).await, "10.1.0.0/16", "confidential").await;
    let _public = vpc(&f.ec2(&b).await, "10.2.0.0/16", "public").await;

    let run = f.apply(&bp, &[]).ok();
    let applied = run.json();
    let created: Vec<&str> = applied["applied"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["address"].as_str())
        .filter(|a| a.starts_with("flow-log/"))
        .collect();
    assert_eq!(created, [format!("flow-log/app-a/{REGION}/{confidential}")], "{applied:#}");

    // Exactly one flow log, on the confidential VPC, to the archive under the prefix.
    let bucket = format!("acme-logs-{logs}");
    let destination = format!("arn:aws:s3:::{bucket}/flow-logs");
    let in_a = f.flow_logs(&a).await;
    assert_eq!(in_a.len(), 1, "{in_a:?}");
    assert_eq!(
        (in_a[0].0.as_str(), in_a[0].1.as_str(), in_a[0].2.as_str()),
        (confidential.as_str(), destination.as_str(), "ALL")
    );
    assert!(in_a[0].3.contains(&("groundwork:blueprint".into(), "acme".into())), "{in_a:?}");
    assert!(f.flow_logs(&b).await.is_empty(), "the untagged VPC has no flow log");
    // What groundwork sent (moto does not keep the prefix, nor checks the rest).
    let sent = f.proxy.flow_log_requests();
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0]["LogDestination"], destination);
    assert_eq!(sent[0]["LogDestinationType"], "s3");
    assert_eq!(sent[0]["ResourceType"], "VPC");
    assert_eq!(sent[0]["MaxAggregationInterval"], "600");
    assert!(sent[0]["LogFormat"].starts_with("${version} ${account-id}"), "{sent:?}");

    // The bucket policy lets log delivery write under the prefix, for the organization only.
    let org_id =
        f.env.org().describe_organization().send().await.unwrap().organization().unwrap().id().unwrap().to_owned();
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&f.env.moto.member_config(&logs, REGION).await)
            .force_path_style(true)
            .build(),
    );
    let policy: Value =
        serde_json::from_str(s3.get_bucket_policy().bucket(&bucket).send().await.unwrap().policy().unwrap()).unwrap();
    let write = statement(&policy, "AWSLogDeliveryWrite");
    assert_eq!(write["Principal"], json!({ "Service": "delivery.logs.amazonaws.com" }));
    assert_eq!(
        crate::common::as_set(&write["Resource"]),
        [format!("arn:aws:s3:::{bucket}/flow-logs/AWSLogs/*")].into()
    );
    assert_eq!(crate::common::as_set(&write["Condition"]["StringEquals"]["aws:SourceOrgID"]), [org_id.clone()].into());
    let check = statement(&policy, "AWSLogDeliveryAclCheck");
    assert_eq!(crate::common::as_set(&check["Condition"]["StringEquals"]["aws:SourceOrgID"]), [org_id].into());
    let writers = statement(&policy, "DenyOtherWriters");
    assert!(
        crate::common::as_set(&writers["Condition"]["StringNotEquals"]["aws:PrincipalServiceName"])
            .contains("delivery.logs.amazonaws.com"),
        "{writers:#}"
    );

    // The reader role's policy reads the prefix and nothing else of the bucket.
    let iam = aws_sdk_iam::Client::new(&f.env.moto.member_config(&logs, REGION).await);
    let got = iam
        .get_role_policy()
        .role_name("NetworkAuditor")
        .policy_name("groundwork-flow-logs-read")
        .send()
        .await
        .unwrap();
    let reader = crate::identity::decode(got.policy_document());
    let read = statement(&reader, "ReadFlowLogs");
    assert_eq!(crate::common::as_set(&read["Resource"]), [format!("arn:aws:s3:::{bucket}/flow-logs/*")].into());
    assert_eq!(crate::common::as_set(&read["Action"]), ["s3:GetObject".to_owned()].into());
    let list = statement(&reader, "ListFlowLogs");
    assert_eq!(
        crate::common::as_set(&list["Condition"]["StringLike"]["s3:prefix"]),
        ["flow-logs".to_owned(), "flow-logs/*".to_owned()].into()
    );
    for s in reader["Statement"].as_array().unwrap() {
        for r in crate::common::as_set(&s["Resource"]) {
            assert!(
                r.contains("/flow-logs") || r == format!("arn:aws:s3:::{bucket}") || r.starts_with("arn:aws:kms:"),
                "{r}"
            );
        }
    }

    // A rerun writes nothing.
    let rerun = f.apply(&bp, &[]).ok();
    assert_eq!(rerun.writes(), 0, "{}", rerun.stderr);

    // A new traffic type is a Replace, and the plan says why.
    std::fs::write(&bp, blueprint("REJECT")).unwrap();
    let plan = f.plan_json(&bp, &[]);
    let changes = plan["changes"].as_array().unwrap();
    assert_eq!(changes.len(), 1, "{plan:#}");
    assert_eq!(changes[0]["action"], "replace");
    let reason = changes[0]["reason"].as_str().unwrap();
    assert!(reason.contains("traffic_type") && reason.contains("EC2 cannot modify a flow log"), "{reason}");
    f.apply(&bp, &[]).ok();
    let in_a = f.flow_logs(&a).await;
    assert_eq!(in_a.len(), 1, "the old flow log is gone: {in_a:?}");
    assert_eq!(in_a[0].2, "REJECT");
    assert_eq!(f.apply(&bp, &[]).ok().writes(), 0);

    // The VPC loses its tag: its flow log is named, and left alone without --prune.
    f.ec2(&a)
        .await
        .create_tags()
        .resources(&confidential)
        .tags(Tag::builder().key("data-classification").value("public").build())
        .send()
        .await
        .unwrap();
    let plan = f.plan_json(&bp, &[]);
    assert!(plan["changes"].as_array().unwrap().is_empty(), "{plan:#}");
    let address = format!("flow-log/app-a/{REGION}/{confidential}");
    assert!(plan["findings"].as_array().unwrap().iter().any(|x| x["address"] == address), "{plan:#}");
    assert_eq!(f.apply(&bp, &[]).ok().writes(), 0);
    assert_eq!(f.flow_logs(&a).await.len(), 1);
    // With --prune it is deleted.
    let pruned = f.apply(&bp, &["--prune"]).ok();
    assert!(pruned.writes() > 0);
    assert!(f.flow_logs(&a).await.is_empty());
}
