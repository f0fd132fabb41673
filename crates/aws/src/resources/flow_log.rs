//! VPC flow logs, per (account, region), through the account's EC2 client for the region:
//! discovery lists the VPCs of every (account, region) the blueprint's flow-log selections name
//! (`DescribeVpcs`) and the flow logs there (`DescribeFlowLogs`), two reads per pair; a flow log
//! is groundwork's when it carries groundwork's tags for this blueprint, and only those are
//! read, replaced or deleted (anyone else's flow log on the same VPC is left alone).
//!
//! `CreateFlowLogs` carries a client token, so a resend of the same request creates nothing
//! new; before creating, `put` looks for a flow log an earlier, interrupted run left.

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_ec2::types::{FlowLogsResourceType, LogDestinationType, ResourceType, Tag, TagSpecification, TrafficType};
use groundwork_apply::ProviderError;
use groundwork_plan::kinds::flow_log::{FlowLogSpec, LiveVpc};
use groundwork_plan::kinds::tags::Tags;
use groundwork_plan::{Desired, Kind, Live, LiveResource, Locator, TAG_BLUEPRINT, TAG_MANAGED};

use super::{Converge, ReadCx, WriteCx};
use crate::Aws;
use crate::call::Idempotency;

/// The region of a regional locator.
fn region(at: &Locator) -> Result<&str, ProviderError> {
    at.region.as_deref().ok_or_else(|| crate::organizations::internal(&format!("{} has no region", at.kind)))
}

/// groundwork's own tags of an EC2 object, in the order EC2 lists them.
fn own_tags(tags: &[Tag]) -> Tags {
    let mut out = Tags::new();
    for t in tags {
        if let (Some(k), Some(v)) = (t.key(), t.value())
            && k.starts_with("groundwork:")
        {
            out.insert(k, v);
        }
    }
    out
}

/// A flow log as its spec, with its VPC and id. EC2 always describes every field read here; one
/// it left out reads as empty (or 0), so it shows as a difference, never as a silent default.
fn spec_of(f: &aws_sdk_ec2::types::FlowLog) -> (String, String, FlowLogSpec) {
    let destination_type = f.log_destination_type().map_or("", LogDestinationType::as_str);
    let destination = if destination_type == "cloud-watch-logs" {
        f.log_group_name().unwrap_or_default()
    } else {
        f.log_destination().unwrap_or_default()
    };
    let spec = FlowLogSpec {
        traffic_type: f.traffic_type().map(TrafficType::as_str).unwrap_or_default().to_owned(),
        max_aggregation_interval: f.max_aggregation_interval().and_then(|i| u32::try_from(i).ok()).unwrap_or(0),
        log_format: f.log_format().unwrap_or_default().to_owned(),
        destination_type: destination_type.to_owned(),
        destination: destination.to_owned(),
        deliver_logs_role: f.deliver_logs_permission_arn().filter(|a| !a.is_empty()).map(str::to_owned),
        tags: own_tags(f.tags()),
    };
    (f.resource_id().unwrap_or_default().to_owned(), f.flow_log_id().unwrap_or_default().to_owned(), spec)
}

/// Whether a flow log's tags say this blueprint owns it.
fn owned_by(spec: &FlowLogSpec, blueprint: Option<&str>) -> bool {
    spec.tags.get(TAG_MANAGED) == Some("true") && blueprint.is_none_or(|b| spec.tags.get(TAG_BLUEPRINT) == Some(b))
}

/// Every flow log of the region (optionally only those of one VPC), as (VPC, id, spec).
async fn flow_logs(
    aws: &Aws,
    ec2: &aws_sdk_ec2::Client,
    vpc: Option<&str>,
) -> Result<Vec<(String, String, FlowLogSpec)>, ProviderError> {
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = aws
            .run("ec2:DescribeFlowLogs", Idempotency::Safe, || {
                let mut req = ec2.describe_flow_logs().set_next_token(token.clone());
                if let Some(vpc) = vpc {
                    req = req.filter(aws_sdk_ec2::types::Filter::builder().name("resource-id").values(vpc).build());
                }
                req.send()
            })
            .await?;
        out.extend(page.flow_logs().iter().map(spec_of));
        token = page.next_token().filter(|t| !t.is_empty()).map(str::to_owned);
        if token.is_none() {
            return Ok(out);
        }
    }
}

impl Aws {
    /// Reads the VPCs and groundwork's flow logs of every (account, region) the blueprint's
    /// flow-log selections name into `live.vpcs` and `live.resources`. Accounts that do not
    /// exist yet are skipped (they have no VPC). Read-only.
    pub(crate) async fn discover_flow_logs(&self, desired: &Desired, live: &mut Live) -> Result<(), ProviderError> {
        let Some(org) = &live.organization else { return Ok(()) };
        let management = org.management_account_id.clone();
        let ids = live.ids(desired);
        let pairs: BTreeSet<(&str, &str)> =
            desired.flow_logs.iter().map(|s| (s.account.as_str(), s.region.as_str())).collect();
        for (account, region) in pairs {
            let Some(id) = ids.account_id(Some(account)) else { continue };
            let clients = self.account(id, &management).await?;
            let ec2 = clients.ec2(region);
            let mut token: Option<String> = None;
            loop {
                let page = self
                    .run("ec2:DescribeVpcs", Idempotency::Safe, || {
                        ec2.describe_vpcs().set_next_token(token.clone()).send()
                    })
                    .await?;
                for v in page.vpcs() {
                    let tags: BTreeMap<String, String> =
                        v.tags().iter().filter_map(|t| Some((t.key()?.to_owned(), t.value()?.to_owned()))).collect();
                    live.vpcs.push(LiveVpc {
                        account: account.to_owned(),
                        region: region.to_owned(),
                        id: v.vpc_id().unwrap_or_default().to_owned(),
                        tags,
                    });
                }
                token = page.next_token().filter(|t| !t.is_empty()).map(str::to_owned);
                if token.is_none() {
                    break;
                }
            }
            for (vpc, _, spec) in flow_logs(self, &ec2, None).await? {
                if !owned_by(&spec, Some(&desired.blueprint)) || vpc.is_empty() {
                    continue;
                }
                let address = groundwork_plan::kinds::flow_log::address(account, region, &vpc);
                let at = Locator::regional(Kind::FlowLog, Some(account.to_owned()), region.to_owned(), vpc);
                live.resources
                    .entry(address)
                    .or_insert(LiveResource { at, spec: groundwork_plan::kinds::Spec::to_value(&spec) });
            }
        }
        live.vpcs.sort_by(|a, b| (&a.account, &a.region, &a.id).cmp(&(&b.account, &b.region, &b.id)));
        Ok(())
    }
}

/// A client token for one CreateFlowLogs: the same for every resend of this put, new for the
/// next put (a replacement may create a flow log equal to one it deleted).
fn client_token(vpc: &str) -> String {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    vpc.hash(&mut h);
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos()).hash(&mut h);
    std::process::id().hash(&mut h);
    format!("groundwork-{vpc}-{:016x}", h.finish())
}

#[async_trait::async_trait]
impl Converge for FlowLogSpec {
    /// groundwork's flow log on the VPC the locator names (any blueprint's: the planner checks
    /// whose it is).
    async fn read(cx: &ReadCx<'_>) -> Result<Option<Self>, ProviderError> {
        let ec2 = cx.clients.ec2(region(cx.at)?);
        let found = flow_logs(cx.aws, &ec2, Some(&cx.at.name)).await?;
        Ok(found.into_iter().map(|(_, _, s)| s).find(|s| owned_by(s, None)))
    }

    async fn put(&self, cx: &WriteCx<'_>, live: Option<&Self>) -> Result<String, ProviderError> {
        let region = region(cx.at)?;
        let vpc = cx.at.name.as_str();
        if live == Some(self) {
            return Ok("already as the blueprint says".into());
        }
        let ec2 = cx.clients.ec2(region);
        let blueprint = self.tags.get(TAG_BLUEPRINT);
        // An earlier run may have created it and died before it learned so.
        let existing = flow_logs(cx.aws, &ec2, Some(vpc)).await?;
        if existing.iter().any(|(_, _, s)| s == self) {
            return Ok(format!("flow log on {vpc} found, already as the blueprint says"));
        }
        if let Some((_, id, _)) = existing.iter().find(|(_, _, s)| owned_by(s, blueprint)) {
            return Err(crate::organizations::internal(&format!(
                "VPC {vpc} already has groundwork's flow log {id} with other settings; plan again (a change is a replacement)"
            )));
        }
        let tags: Vec<Tag> = self.tags.iter().map(|(k, v)| Tag::builder().key(k).value(v).build()).collect();
        let token = client_token(vpc);
        let out = cx
            .aws
            .run("ec2:CreateFlowLogs", Idempotency::Safe, || {
                let mut req = ec2
                    .create_flow_logs()
                    .client_token(&token)
                    .resource_type(FlowLogsResourceType::Vpc)
                    .resource_ids(vpc)
                    .traffic_type(TrafficType::from(self.traffic_type.as_str()))
                    .max_aggregation_interval(i32::try_from(self.max_aggregation_interval).unwrap_or(600))
                    .log_format(&self.log_format)
                    .log_destination_type(LogDestinationType::from(self.destination_type.as_str()))
                    .tag_specifications(
                        TagSpecification::builder()
                            .resource_type(ResourceType::VpcFlowLog)
                            .set_tags(Some(tags.clone()))
                            .build(),
                    );
                req = if self.destination_type == "cloud-watch-logs" {
                    req.log_group_name(&self.destination)
                        .set_deliver_logs_permission_arn(self.deliver_logs_role.clone())
                } else {
                    req.log_destination(&self.destination)
                };
                req.send()
            })
            .await?;
        if let Some(failed) = out.unsuccessful().first() {
            let message = failed.error().and_then(|e| e.message()).unwrap_or("no reason given");
            return Err(ProviderError {
                operation: "ec2:CreateFlowLogs".into(),
                code: failed.error().and_then(|e| e.code()).map(str::to_owned),
                message: format!("EC2 did not create the flow log on {vpc}: {message}"),
                kind: groundwork_apply::ErrorKind::Rejected,
            });
        }
        let id = out.flow_log_ids().first().map_or("?", String::as_str);
        Ok(format!(
            "flow log {id} created on VPC {vpc} in {region} of account {} ({} traffic to {})",
            cx.clients.id, self.traffic_type, self.destination
        ))
    }

    /// Deletes groundwork's flow logs on the VPC (those with this blueprint's tags).
    async fn delete(cx: &WriteCx<'_>, live: &Self) -> Result<String, ProviderError> {
        let region = region(cx.at)?;
        let vpc = cx.at.name.as_str();
        let ec2 = cx.clients.ec2(region);
        let blueprint = live.tags.get(TAG_BLUEPRINT);
        let ids: Vec<String> = flow_logs(cx.aws, &ec2, Some(vpc))
            .await?
            .into_iter()
            .filter(|(_, _, s)| owned_by(s, blueprint))
            .map(|(_, id, _)| id)
            .collect();
        if ids.is_empty() {
            return Ok(format!("no flow log of groundwork's on VPC {vpc}: already gone"));
        }
        let out = cx
            .aws
            .run("ec2:DeleteFlowLogs", Idempotency::Safe, || {
                ec2.delete_flow_logs().set_flow_log_ids(Some(ids.clone())).send()
            })
            .await?;
        // A flow log already gone (an earlier attempt) is what was asked.
        if let Some(failed) =
            out.unsuccessful().iter().find(|u| u.error().and_then(|e| e.code()) != Some("InvalidFlowLogId.NotFound"))
        {
            let message = failed.error().and_then(|e| e.message()).unwrap_or("no reason given");
            return Err(ProviderError {
                operation: "ec2:DeleteFlowLogs".into(),
                code: failed.error().and_then(|e| e.code()).map(str::to_owned),
                message: format!("EC2 did not delete the flow log on {vpc}: {message}"),
                kind: groundwork_apply::ErrorKind::Rejected,
            });
        }
        Ok(format!("flow log {} deleted from VPC {vpc} in {region} of account {}", ids.join(", "), cx.clients.id))
    }
}
