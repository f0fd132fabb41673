//! A VPC flow log (`flow-log/<account>/<region>/<vpc-id>`), on a VPC groundwork does not own
//! but finds: the blueprint's `flow_logs` section selects accounts and regions (a
//! [`FlowLogSelection`] each, kept in [`crate::Desired::flow_logs`]), discovery lists the VPCs
//! there ([`LiveVpc`], in [`crate::Live::vpcs`]), and the planner, a pure function of both,
//! gives each selected VPC one flow log ([`expand`]).
//!
//! EC2 cannot modify a flow log: any difference is planned as a Replace ([`replace_reason`]).
//! A VPC that is no longer selected (it lost its tag) keeps its flow log, which the plan names,
//! unless `--prune`.

use std::collections::BTreeMap;

use groundwork_blueprint::flow_logs::{FlowLogDestination, FlowLogs, VpcSelection};
use groundwork_blueprint::template::IdRef;
use groundwork_blueprint::{Blueprint, DEFAULT_ROLE_PATH};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::iam::ownership;
use super::role::RoleSpec;
use super::tags::Tags;
use super::{Kind, KindMeta, Scope, Spec};
use crate::lower::{account_cx, expand as expand_template, hub};
use crate::resource::{DesiredResource, Locator, canonical_policy, differences};
use crate::state::Address;

/// The service principal that delivers flow logs to S3.
pub const LOG_DELIVERY_PRINCIPAL: &str = "delivery.logs.amazonaws.com";
/// The service principal that assumes the role of a flow log to CloudWatch Logs.
pub const FLOW_LOGS_PRINCIPAL: &str = "vpc-flow-logs.amazonaws.com";
/// The name of the inline policy groundwork adds to the roles `flow_logs.grants` names.
pub const READ_POLICY: &str = "groundwork-flow-logs-read";
/// The `Name` tag, which `flow_logs.vpcs.names` matches.
pub const NAME_TAG: &str = "Name";

/// A flow log on one VPC, as EC2 creates and describes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlowLogSpec {
    /// `ALL`, `ACCEPT` or `REJECT`.
    pub traffic_type: String,
    /// Seconds: 60 or 600.
    pub max_aggregation_interval: u32,
    /// The record format (`${version} ${account-id} ...`).
    pub log_format: String,
    /// `s3` or `cloud-watch-logs`.
    pub destination_type: String,
    /// The bucket's ARN with the prefix (`arn:aws:s3:::bucket/flow-logs`), or the log group's name.
    pub destination: String,
    /// The role the flow logs service assumes to write to CloudWatch Logs (none for S3).
    pub deliver_logs_role: Option<String>,
    /// groundwork's tags on it: only a flow log that carries them for this blueprint is read.
    pub tags: Tags,
}

impl KindMeta for FlowLogSpec {
    const KIND: Kind = Kind::FlowLog;
    const PREFIX: &'static str = "flow-log";
    const RANK: usize = 3;
    const SCOPE: Scope = Scope::Region;
}

impl Spec for FlowLogSpec {}

/// The flow log of a VPC: `flow-log/app-prod/eu-west-1/vpc-0123`.
pub fn address(account: &str, region: &str, vpc_id: &str) -> Address {
    Address::regional(Kind::FlowLog, account, region, vpc_id)
}

/// Which VPCs of one (account, region) get a flow log, and the flow log they get.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlowLogSelection {
    /// The blueprint account.
    pub account: String,
    /// The region.
    pub region: String,
    /// Every VPC there (`vpcs: all`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub all: bool,
    /// A VPC with one of these values of the tag (key → values).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, Vec<String>>,
    /// A VPC whose `Name` tag is one of these.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub names: Vec<String>,
    /// The flow log each selected VPC gets (placeholders allowed).
    pub spec: FlowLogSpec,
    /// What must be in place first (the archive bucket's policy, the CloudWatch Logs role).
    pub after: Vec<Address>,
}

impl FlowLogSelection {
    /// Whether `vpc` is selected.
    pub fn selects(&self, vpc: &LiveVpc) -> bool {
        if vpc.account != self.account || vpc.region != self.region {
            return false;
        }
        self.all
            || self.tags.iter().any(|(k, values)| vpc.tags.get(k).is_some_and(|v| values.contains(v)))
            || vpc.tags.get(NAME_TAG).is_some_and(|n| self.names.contains(n))
    }
}

/// A VPC discovery found in an (account, region) of a selection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveVpc {
    /// The blueprint account.
    pub account: String,
    /// The region.
    pub region: String,
    /// `vpc-…`.
    pub id: String,
    /// Its tags.
    pub tags: BTreeMap<String, String>,
}

/// The flow logs the selections give the VPCs found: one per selected VPC.
pub fn expand(selections: &[FlowLogSelection], vpcs: &[LiveVpc]) -> Vec<DesiredResource> {
    let mut out = Vec::new();
    for s in selections {
        for vpc in vpcs.iter().filter(|v| s.selects(v)) {
            out.push(DesiredResource {
                address: address(&s.account, &s.region, &vpc.id),
                at: Locator::regional(Kind::FlowLog, Some(s.account.clone()), s.region.clone(), vpc.id.clone()),
                spec: s.spec.to_value(),
                after: s.after.clone(),
            });
        }
    }
    out
}

/// Why a flow log that differs is replaced: EC2 cannot modify one.
pub fn replace_reason(live: &Value, spec: &Value) -> String {
    let changed: Vec<String> = differences(live, spec)
        .into_iter()
        .map(|(path, before, after)| match (before, after) {
            (Some(b), Some(a)) if !b.is_object() && !a.is_object() => format!("{path} {b} -> {a}"),
            _ => path,
        })
        .collect();
    format!("{}: EC2 cannot modify a flow log, so it is deleted and created again", changed.join(", "))
}

/// The ARN of the archive destination: the log bucket with the prefix.
fn archive_arn(bp: &Blueprint, prefix: &str) -> Option<(String, Address)> {
    let logging = bp.logging.as_ref()?;
    let cx = account_cx(bp, &logging.account.value, hub(bp));
    let bucket = expand_template(&logging.bucket.value, &cx);
    Some((format!("arn:aws:s3:::{bucket}/{prefix}"), crate::lower::bucket_address(logging)))
}

/// The ARN of the CloudWatch Logs role in `account`.
fn role_arn(account: &str, role: &str) -> String {
    format!("arn:aws:iam::{}:role{DEFAULT_ROLE_PATH}{role}", IdRef::Account(account))
}

/// One selection per (account, region) of the `flow_logs` section; the regions are the region
/// lock's allowed regions unless the section says otherwise.
pub fn selections(bp: &Blueprint) -> Vec<FlowLogSelection> {
    let Some(f) = &bp.flow_logs else { return Vec::new() };
    let mut out = Vec::new();
    for account in &f.accounts {
        let (destination_type, destination, role, after) = match &f.destination {
            FlowLogDestination::Archive { prefix } => {
                let Some((arn, bucket)) = archive_arn(bp, prefix) else { continue };
                ("s3", arn, None, vec![bucket])
            }
            FlowLogDestination::CloudWatchLogs { log_group, role } => (
                "cloud-watch-logs",
                log_group.clone(),
                Some(role_arn(account, role)),
                vec![Address::role(Some(account), role)],
            ),
        };
        let spec = FlowLogSpec {
            traffic_type: f.traffic.as_aws().to_owned(),
            max_aggregation_interval: f.aggregation_interval,
            log_format: f.log_format(),
            destination_type: destination_type.to_owned(),
            destination,
            deliver_logs_role: role,
            tags: ownership(bp),
        };
        let VpcSelection { all, tags, names } = &f.vpcs;
        for region in crate::baseline::regions(bp, &f.regions, Some(account)) {
            out.push(FlowLogSelection {
                account: account.clone(),
                region,
                all: *all,
                tags: tags.clone(),
                names: names.clone(),
                spec: spec.clone(),
                after: after.clone(),
            });
        }
    }
    out
}

/// The role the flow logs service assumes to write to CloudWatch Logs, in every selected
/// account (only with `destination: { cloudwatch_logs: ... }`).
pub(crate) fn lower(bp: &Blueprint, out: &mut Vec<DesiredResource>) {
    let Some(f) = &bp.flow_logs else { return };
    let FlowLogDestination::CloudWatchLogs { log_group, role } = &f.destination else { return };
    for account in &f.accounts {
        let id = IdRef::Account(account).to_string();
        let trust = canonical_policy(&json!({
            "Version": "2012-10-17",
            "Statement": [{
                "Sid": "FlowLogsDeliver",
                "Effect": "Allow",
                "Principal": { "Service": FLOW_LOGS_PRINCIPAL },
                "Action": "sts:AssumeRole",
                "Condition": { "StringEquals": { "aws:SourceAccount": id } }
            }]
        }));
        let group_arn = format!("arn:aws:logs:*:{id}:log-group:{log_group}");
        let write = canonical_policy(&json!({
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "WriteFlowLogs",
                    "Effect": "Allow",
                    "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                    "Resource": [group_arn.clone(), format!("{group_arn}:*")]
                },
                {
                    "Sid": "FindLogGroups",
                    "Effect": "Allow",
                    "Action": "logs:DescribeLogGroups",
                    "Resource": "*"
                }
            ]
        }));
        let mut inline = Map::new();
        inline.insert(super::iam::INLINE_POLICY.to_owned(), write);
        out.push(DesiredResource {
            address: Address::role(Some(account), role),
            at: Locator::new(Kind::Role, Some(account.clone()), role.clone()),
            spec: RoleSpec {
                path: DEFAULT_ROLE_PATH.to_owned(),
                tags: ownership(bp),
                description: ROLE_DESCRIPTION.to_owned(),
                trust,
                max_session_seconds: 3600,
                managed_policies: std::collections::BTreeSet::new(),
                inline_policies: inline,
            }
            .to_value(),
            after: Vec::new(),
        });
    }
}

/// The CloudWatch Logs role's description.
pub const ROLE_DESCRIPTION: &str = "groundwork's VPC flow logs role: delivers flow logs to CloudWatch Logs";

/// The statements the archive bucket's policy gains when the flow logs go there: log delivery
/// may check the bucket and write under the prefix, only for accounts of the organization.
pub fn bucket_statements(bucket_arn: &str, prefix: &str) -> Vec<Value> {
    let org = IdRef::Org.to_string();
    vec![
        json!({
            "Sid": "AWSLogDeliveryAclCheck",
            "Effect": "Allow",
            "Principal": { "Service": LOG_DELIVERY_PRINCIPAL },
            "Action": ["s3:GetBucketAcl", "s3:ListBucket"],
            "Resource": bucket_arn,
            "Condition": { "StringEquals": { "aws:SourceOrgID": org } }
        }),
        json!({
            "Sid": "AWSLogDeliveryWrite",
            "Effect": "Allow",
            "Principal": { "Service": LOG_DELIVERY_PRINCIPAL },
            "Action": "s3:PutObject",
            "Resource": format!("{bucket_arn}/{prefix}/AWSLogs/*"),
            "Condition": { "StringEquals": {
                "s3:x-amz-acl": "bucket-owner-full-control",
                "aws:SourceOrgID": org
            } }
        }),
    ]
}

/// The prefix under which an archive bucket's policy admits flow-log delivery (its
/// `AWSLogDeliveryWrite` statement, as [`bucket_statements`] writes it), or `None`. What import
/// writes as `logging.flow_log_prefix`: which VPCs a `flow_logs` section selects cannot be
/// read back, but the archive's side of it can.
pub fn reverse_archive_prefix(policy: &Value) -> Option<String> {
    policy["Statement"].as_array()?.iter().find_map(|s| {
        // A canonical policy holds one-item lists where AWS may answer with the item.
        fn one(v: &Value) -> Option<&str> {
            v.as_str().or_else(|| v.as_array().filter(|a| a.len() == 1)?[0].as_str())
        }
        if s["Sid"] != "AWSLogDeliveryWrite" || one(&s["Principal"]["Service"]) != Some(LOG_DELIVERY_PRINCIPAL) {
            return None;
        }
        // `arn:aws:s3:::BUCKET/PREFIX/AWSLogs/*` (the policy is the bucket's own).
        let resource = one(&s["Resource"])?.strip_prefix("arn:aws:s3:::")?;
        let prefix = resource.split_once('/')?.1.strip_suffix("/AWSLogs/*")?;
        (!prefix.is_empty()).then(|| prefix.to_owned())
    })
}

/// The statement the archive key's policy gains when the flow logs go to the archive: log
/// delivery may encrypt with it, only for accounts of the organization.
pub fn key_statement() -> Value {
    json!({
        "Sid": "LogDeliveryEncryptsFlowLogs",
        "Effect": "Allow",
        "Principal": { "Service": LOG_DELIVERY_PRINCIPAL },
        "Action": ["kms:Encrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
        "Resource": "*",
        "Condition": { "StringEquals": { "aws:SourceOrgID": IdRef::Org.to_string() } }
    })
}

/// The prefix in the archive, when the blueprint sends flow logs there (`flow_logs`), or says
/// the archive admits them (`logging.flow_log_prefix`, what import writes).
pub fn archive_prefix(bp: &Blueprint) -> Option<&str> {
    bp.flow_logs
        .as_ref()
        .and_then(FlowLogs::archive_prefix)
        .or_else(|| bp.logging.as_ref()?.flow_log_prefix.as_ref().map(|p| p.value.as_str()))
}

/// The archive key a reader decrypts with: a key ARN (or `key/*`), and the alias that narrows
/// `key/*` to groundwork's archive key.
#[derive(Debug, Clone, Copy)]
pub struct ReadKey<'a> {
    /// The key's ARN, or the account's `key/*`.
    pub resource: &'a str,
    /// The alias (`alias/NAME`) the key must carry.
    pub alias: Option<&'a str>,
}

/// The read-only policy of the roles `flow_logs.grants` names: list and read the flow-log
/// prefix of the archive bucket, and decrypt with the archive key through S3; nothing else.
pub fn read_policy(bucket: &str, prefix: &str, region: &str, key: Option<ReadKey<'_>>) -> Value {
    let arn = format!("arn:aws:s3:::{bucket}");
    let mut statements = vec![
        json!({
            "Sid": "ListFlowLogs",
            "Effect": "Allow",
            "Action": "s3:ListBucket",
            "Resource": arn,
            "Condition": { "StringLike": { "s3:prefix": [prefix.to_owned(), format!("{prefix}/*")] } }
        }),
        json!({
            "Sid": "ReadFlowLogs",
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": format!("{arn}/{prefix}/*")
        }),
    ];
    if let Some(key) = key {
        let mut condition = json!({ "StringEquals": { "kms:ViaService": format!("s3.{region}.amazonaws.com") } });
        if let Some(alias) = key.alias {
            condition["ForAnyValue:StringEquals"] = json!({ "kms:ResourceAliases": alias });
        }
        statements.push(json!({
            "Sid": "DecryptFlowLogs",
            "Effect": "Allow",
            "Action": "kms:Decrypt",
            "Resource": key.resource,
            "Condition": condition
        }));
    }
    canonical_policy(&json!({ "Version": "2012-10-17", "Statement": statements }))
}

/// The generated read-only policy for `role` in `account`, when `flow_logs.grants` names it
/// and it is deployed in the log-archive account: (inline policy name, document).
pub(crate) fn grant_for(bp: &Blueprint, role: &str, account: &str) -> Option<(String, Value)> {
    let f = bp.flow_logs.as_ref()?;
    let logging = bp.logging.as_ref()?;
    if logging.account.value != account || !f.grants.iter().any(|g| g == role) {
        return None;
    }
    let prefix = f.archive_prefix()?;
    let cx = account_cx(bp, account, hub(bp));
    let bucket = expand_template(&logging.bucket.value, &cx);
    let region = bp.organization.home_region.value.as_str();
    let any_key = format!("arn:aws:kms:{region}:{}:key/*", IdRef::Account(&logging.account.value));
    let alias = logging.kms_key.as_ref().map(|a| format!("alias/{}", a.value));
    let key = match (&alias, &logging.kms_key_arn) {
        (Some(alias), _) => Some(ReadKey { resource: &any_key, alias: Some(alias) }),
        (None, Some(arn)) => Some(ReadKey { resource: &arn.value, alias: None }),
        (None, None) => None,
    };
    Some((READ_POLICY.to_owned(), read_policy(&bucket, prefix, region, key)))
}

/// For the deployer's permissions: one flow log per (account, region) of the selections, named
/// `*` (the VPCs are only known once discovered).
pub(crate) fn permission_probes(bp: &Blueprint) -> Vec<DesiredResource> {
    selections(bp)
        .into_iter()
        .map(|s| DesiredResource {
            address: address(&s.account, &s.region, "*"),
            at: Locator::regional(Kind::FlowLog, Some(s.account.clone()), s.region.clone(), "*".into()),
            spec: s.spec.to_value(),
            after: Vec::new(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blueprint(section: &str) -> Blueprint {
        let src = format!(
            "version: 1
organization: {{ name: acme, home_region: eu-west-1, management_account: {{ email: root@acme.example }} }}
organizational_units: [{{ name: Security }}, {{ name: Workloads }}]
accounts:
  - {{ name: logs, email: aws+logs@acme.example, ou: Security, purpose: log-archive }}
  - {{ name: app, email: aws+app@acme.example, ou: Workloads, purpose: workload }}
logging: {{ account: logs, bucket: \"acme-logs-{{account_id}}\", trail: org-trail }}
guardrails:
  policies:
    - {{ name: lock, builtin: deny-regions-outside, allowed_regions: [eu-west-1, us-east-1], targets: [{{ ou: Workloads }}] }}
{section}"
        );
        groundwork_blueprint::parse("t.yaml", src.as_bytes())
            .unwrap_or_else(|d| panic!("{}", d.render_plain()))
            .blueprint
    }

    fn vpc(account: &str, id: &str, tags: &[(&str, &str)]) -> LiveVpc {
        LiveVpc {
            account: account.into(),
            region: "eu-west-1".into(),
            id: id.into(),
            tags: tags.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect(),
        }
    }

    #[test]
    fn the_json_keys_and_a_missing_key_names_the_kind() {
        let bp = blueprint(
            "flow_logs: { select: { accounts: [app] }, vpcs: { tags: { data-classification: [confidential] } } }\n",
        );
        let s = &selections(&bp)[0];
        assert_eq!(
            s.spec.to_value(),
            json!({
                "traffic_type": "ALL",
                "max_aggregation_interval": 600,
                "log_format": "${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${log-status}",
                "destination_type": "s3",
                "destination": "arn:aws:s3:::acme-logs-{{account_id:logs}}/flow-logs",
                "deliver_logs_role": null,
                "tags": { "groundwork:managed": "true", "groundwork:blueprint": "acme" }
            })
        );
        let err = FlowLogSpec::from_value(&json!({ "traffic_type": "ALL" })).unwrap_err().to_string();
        assert!(err.contains("flow-log"), "{err}");
    }

    #[test]
    fn regions_default_to_the_region_lock_and_only_tagged_vpcs_are_selected() {
        let bp = blueprint(
            "flow_logs: { select: { accounts: [app] }, vpcs: { tags: { data-classification: [confidential, restricted] }, names: [core] } }\n",
        );
        let sel = selections(&bp);
        assert_eq!(sel.iter().map(|s| s.region.as_str()).collect::<Vec<_>>(), ["eu-west-1", "us-east-1"]);
        let vpcs = [
            vpc("app", "vpc-1", &[("data-classification", "confidential")]),
            vpc("app", "vpc-2", &[("data-classification", "public")]),
            vpc("app", "vpc-3", &[("Name", "core")]),
            vpc("logs", "vpc-4", &[("data-classification", "restricted")]),
        ];
        let found: Vec<String> = expand(&sel, &vpcs).into_iter().map(|r| r.address.to_string()).collect();
        assert_eq!(found, ["flow-log/app/eu-west-1/vpc-1", "flow-log/app/eu-west-1/vpc-3"]);
    }

    #[test]
    fn a_changed_flow_log_is_replaced_and_the_reason_says_why() {
        let reason = replace_reason(&json!({ "traffic_type": "ALL" }), &json!({ "traffic_type": "REJECT" }));
        assert!(reason.contains("traffic_type") && reason.contains("REJECT"), "{reason}");
        assert!(reason.contains("EC2 cannot modify a flow log"), "{reason}");
    }

    #[test]
    fn the_read_policy_is_scoped_to_the_prefix() {
        let doc = read_policy(
            "acme-logs",
            "flow-logs",
            "eu-west-1",
            Some(ReadKey {
                resource: "arn:aws:kms:eu-west-1:111111111111:key/*",
                alias: Some("alias/groundwork-log-archive"),
            }),
        );
        let text = doc.to_string();
        assert!(text.contains("arn:aws:s3:::acme-logs/flow-logs/*"), "{text}");
        assert!(!text.contains("arn:aws:s3:::acme-logs/*"), "{text}");
        assert!(groundwork_blueprint::check_policy_document(&doc).is_empty());
        let bucket = json!({ "Version": "2012-10-17", "Statement": bucket_statements("arn:aws:s3:::b", "flow-logs") });
        assert!(groundwork_blueprint::check_policy_document(&bucket).is_empty(), "{bucket}");
    }
}
