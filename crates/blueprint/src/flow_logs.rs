//! The `flow_logs` section: VPC flow logs on the VPCs that host sensitive workloads. groundwork
//! does not own the VPCs: it finds them in the selected accounts and regions (by tag, by name, or
//! all of them) and gives each one flow log, to the log archive (the default) or to CloudWatch
//! Logs.
//!
//! ```yaml
//! flow_logs:
//!   select: { workloads: [jira] }    # an account selector; default: every member account
//!   regions: allowed                 # default; or `home`, or [eu-west-1, eu-central-1]
//!   vpcs:                            # required: `all`, or tags and/or names (a VPC matching any)
//!     tags: { data-classification: [confidential, restricted] }
//!     names: [payments]
//!   traffic: ALL                     # default; or ACCEPT, REJECT
//!   aggregation_interval: 600        # default; or 60 (seconds)
//!   fields: [version, account-id, interface-id, srcaddr, dstaddr, action]  # default: AWS's default format
//!   destination: archive             # default (needs `logging`); or { cloudwatch_logs: { log_group, role } }
//!   prefix: flow-logs                # the archive's key prefix (default)
//!   grants: [NetworkAuditor]         # roles of `roles` in the log-archive account: read-only on the prefix
//! ```
//!
//! The defaults live in [`FlowLogs`]'s `DEFAULT_*` constants; this module reads what is written
//! and checks it, each problem at its `file:line:column`.

use std::collections::{BTreeMap, BTreeSet};

use crate::diag::Diagnostic;
use crate::model::{Account, OuPath, Purpose, Regions, Spanned};
use crate::schema::{Cx, did_you_mean};
use crate::yaml::{Node, NodeKind, Span};

/// Keys of the `flow_logs` section.
pub(crate) const FLOW_LOGS_KEYS: &[&str] =
    &["select", "regions", "vpcs", "traffic", "aggregation_interval", "fields", "destination", "prefix", "grants"];
/// Keys of `flow_logs.vpcs` written as a mapping.
pub(crate) const VPCS_KEYS: &[&str] = &["tags", "names"];
/// Keys of `flow_logs.destination` written as a mapping.
pub(crate) const DESTINATION_KEYS: &[&str] = &["cloudwatch_logs"];
/// Keys of `flow_logs.destination.cloudwatch_logs`.
pub(crate) const CLOUDWATCH_KEYS: &[&str] = &["log_group", "role"];

/// `flow_logs.traffic`'s default.
pub const DEFAULT_FLOW_LOG_TRAFFIC: FlowLogTraffic = FlowLogTraffic::All;
/// `flow_logs.aggregation_interval`'s default (seconds).
pub const DEFAULT_FLOW_LOG_INTERVAL: u32 = 600;
/// `flow_logs.prefix`'s default: where in the archive bucket the flow logs land.
pub const DEFAULT_FLOW_LOG_PREFIX: &str = "flow-logs";
/// The role's default name with `destination: { cloudwatch_logs: ... }`.
pub const DEFAULT_FLOW_LOG_ROLE: &str = "groundwork-flow-logs";
/// The log group's default name with `destination: { cloudwatch_logs: ... }`.
pub const DEFAULT_FLOW_LOG_GROUP: &str = "/groundwork/vpc-flow-logs";
/// The fields of AWS's default flow log format (version 2), in its order: `fields`' default.
pub const DEFAULT_FLOW_LOG_FIELDS: &[&str] = FLOW_LOG_FIELDS.split_at(14).0;
/// Every field a VPC flow log record can hold (versions 2 to 5), for `fields`.
/// <https://docs.aws.amazon.com/vpc/latest/userguide/flow-log-records.html>
pub const FLOW_LOG_FIELDS: &[&str] = &[
    "version",
    "account-id",
    "interface-id",
    "srcaddr",
    "dstaddr",
    "srcport",
    "dstport",
    "protocol",
    "packets",
    "bytes",
    "start",
    "end",
    "action",
    "log-status",
    "vpc-id",
    "subnet-id",
    "instance-id",
    "tcp-flags",
    "type",
    "pkt-srcaddr",
    "pkt-dstaddr",
    "region",
    "az-id",
    "sublocation-type",
    "sublocation-id",
    "pkt-src-aws-service",
    "pkt-dst-aws-service",
    "flow-direction",
    "traffic-path",
    "ecs-cluster-arn",
    "ecs-cluster-name",
    "ecs-container-instance-arn",
    "ecs-container-instance-id",
    "ecs-container-id",
    "ecs-second-container-id",
    "ecs-service-name",
    "ecs-task-definition-arn",
    "ecs-task-arn",
    "ecs-task-id",
    "reject-reason",
];

/// Which traffic a flow log records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlowLogTraffic {
    /// `ALL`.
    All,
    /// `ACCEPT`: accepted traffic only.
    Accept,
    /// `REJECT`: rejected traffic only.
    Reject,
}

impl FlowLogTraffic {
    /// As EC2 writes it.
    pub fn as_aws(self) -> &'static str {
        match self {
            FlowLogTraffic::All => "ALL",
            FlowLogTraffic::Accept => "ACCEPT",
            FlowLogTraffic::Reject => "REJECT",
        }
    }
}

/// Which VPCs of the selected accounts and regions get a flow log.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct VpcSelection {
    /// `vpcs: all`.
    pub all: bool,
    /// `tags`: a VPC whose tag has one of the values (key → allowed values).
    pub tags: BTreeMap<String, Vec<String>>,
    /// `names`: a VPC whose `Name` tag is one of these.
    pub names: Vec<String>,
}

/// Where the flow logs go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FlowLogDestination {
    /// `archive` (the default): the `logging` section's bucket, under `prefix`.
    Archive {
        /// The key prefix (default [`DEFAULT_FLOW_LOG_PREFIX`]).
        prefix: String,
    },
    /// `{ cloudwatch_logs: { log_group, role } }`: a log group in each VPC's account and region,
    /// written by a role groundwork makes in each account.
    CloudWatchLogs {
        /// The log group (default [`DEFAULT_FLOW_LOG_GROUP`]); the flow logs service creates it.
        log_group: String,
        /// The role's name (default [`DEFAULT_FLOW_LOG_ROLE`]).
        role: String,
    },
}

/// The `flow_logs` section, defaults filled in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowLogs {
    /// The selected accounts (sorted, deduplicated).
    pub accounts: Vec<String>,
    /// `regions` (default [`Regions::Allowed`]: the region lock's allowed regions).
    pub regions: Regions,
    /// `vpcs`.
    pub vpcs: VpcSelection,
    /// `traffic` (default [`DEFAULT_FLOW_LOG_TRAFFIC`]).
    pub traffic: FlowLogTraffic,
    /// `aggregation_interval` in seconds (default [`DEFAULT_FLOW_LOG_INTERVAL`]).
    pub aggregation_interval: u32,
    /// `fields` (default [`DEFAULT_FLOW_LOG_FIELDS`]).
    pub fields: Vec<String>,
    /// `destination` (default the archive under [`DEFAULT_FLOW_LOG_PREFIX`]).
    pub destination: FlowLogDestination,
    /// `grants`: roles of the `roles` section, deployed in the log-archive account, that get
    /// the generated read-only policy on the flow-log prefix.
    pub grants: Vec<String>,
}

impl FlowLogs {
    /// The record format EC2 takes (`${version} ${account-id} ...`).
    pub fn log_format(&self) -> String {
        self.fields.iter().map(|f| format!("${{{f}}}")).collect::<Vec<_>>().join(" ")
    }

    /// The archive's prefix, when the flow logs go there.
    pub fn archive_prefix(&self) -> Option<&str> {
        match &self.destination {
            FlowLogDestination::Archive { prefix } => Some(prefix),
            FlowLogDestination::CloudWatchLogs { .. } => None,
        }
    }
}

/// Raw `regions`.
#[derive(Debug, Clone)]
enum RawRegions {
    Word(Spanned<String>),
    List(Vec<Spanned<String>>, Span),
}

/// Raw `flow_logs` section (each field `None` when missing or broken, already reported).
#[derive(Debug, Clone, Default)]
pub(crate) struct RawFlowLogs {
    span: Span,
    select: Option<crate::selector::RawSelector>,
    regions: Option<RawRegions>,
    vpcs: Option<RawVpcs>,
    /// `vpcs` is missing.
    no_vpcs: bool,
    traffic: Option<Spanned<String>>,
    interval: Option<Spanned<u64>>,
    fields: Option<(Vec<Spanned<String>>, Span)>,
    destination: Option<RawDestination>,
    prefix: Option<Spanned<String>>,
    grants: Vec<Spanned<String>>,
}

#[derive(Debug, Clone)]
enum RawVpcs {
    All,
    Some { tags: Vec<(Spanned<String>, Vec<Spanned<String>>)>, names: Vec<Spanned<String>> },
}

#[derive(Debug, Clone)]
enum RawDestination {
    Archive(Span),
    CloudWatch { log_group: Option<Spanned<String>>, role: Option<Spanned<String>> },
}

fn strings(cx: &mut Cx, node: &Node, what: &str) -> Option<Vec<Spanned<String>>> {
    crate::selector::strings(cx, node, what)
}

/// Reads the `flow_logs` section.
pub(crate) fn read(cx: &mut Cx, node: &Node) -> RawFlowLogs {
    let mut raw = RawFlowLogs { span: node.span, ..RawFlowLogs::default() };
    let Some(f) = cx.map(node, "flow_logs", FLOW_LOGS_KEYS) else { return raw };
    raw.select = f.get("select").and_then(|n| crate::selector::read_map(cx, n, "flow_logs.select"));
    if let Some(r) = f.get("regions") {
        raw.regions = if let NodeKind::Scalar { .. } = &r.kind
            && !r.is_null()
        {
            cx.string(r, "flow_logs.regions").map(RawRegions::Word)
        } else {
            cx.list(r, "flow_logs.regions")
                .map(|items| RawRegions::List(items.iter().filter_map(|n| cx.string(n, "a region")).collect(), r.span))
        };
    }
    match f.get("vpcs") {
        None => {
            raw.no_vpcs = true;
            cx.required(&f, "vpcs", "flow_logs");
        }
        Some(v) => raw.vpcs = read_vpcs(cx, v),
    }
    raw.traffic = f.get("traffic").and_then(|n| cx.string(n, "flow_logs.traffic"));
    raw.interval = f.get("aggregation_interval").and_then(|n| cx.integer(n, "flow_logs.aggregation_interval"));
    if let Some(n) = f.get("fields")
        && let Some(items) = cx.list(n, "flow_logs.fields")
    {
        raw.fields = Some((items.iter().filter_map(|i| cx.string(i, "a flow log field")).collect(), n.span));
    }
    raw.destination = f.get("destination").and_then(|n| read_destination(cx, n));
    raw.prefix = f.get("prefix").and_then(|n| cx.string(n, "flow_logs.prefix"));
    raw.grants = f.get("grants").and_then(|n| strings(cx, n, "a role name")).unwrap_or_default();
    raw
}

fn read_vpcs(cx: &mut Cx, node: &Node) -> Option<RawVpcs> {
    if let NodeKind::Scalar { value, .. } = &node.kind {
        if value == "all" {
            return Some(RawVpcs::All);
        }
        cx.push(
            Diagnostic::error("blueprint::flow-logs", node.span, format!("`{value}` is not a VPC selection"))
                .label("not `all` or a mapping")
                .help("write `vpcs: all`, or `vpcs: { tags: { data-classification: [confidential] } }`, or `vpcs: { names: [payments] }`"),
        );
        return None;
    }
    let f = cx.map(node, "flow_logs.vpcs", VPCS_KEYS)?;
    let mut tags = Vec::new();
    // Tag keys are free-form: the mapping is read by hand.
    if let Some(t) = f.get("tags") {
        if let NodeKind::Map(entries) = &t.kind {
            for (k, v) in entries {
                let Some(key) = cx.string(k, "a tag key") else { continue };
                if let Some(values) = strings(cx, v, "a tag value") {
                    tags.push((key, values));
                }
            }
        } else {
            cx.push(
                Diagnostic::error("blueprint::wrong-type", t.span, "flow_logs.vpcs.tags must be a mapping")
                    .label("expected a mapping of tag keys to values")
                    .help("e.g. `tags: { data-classification: [confidential, restricted] }`"),
            );
            return None;
        }
    }
    let names = f.get("names").and_then(|n| strings(cx, n, "a VPC name")).unwrap_or_default();
    if tags.is_empty() && names.is_empty() {
        cx.push(
            Diagnostic::error("blueprint::flow-logs", node.span, "`flow_logs.vpcs` selects no VPC")
                .label("no tag and no name")
                .help("give `tags` or `names`, or write `vpcs: all` for every VPC of the selected accounts"),
        );
        return None;
    }
    Some(RawVpcs::Some { tags, names })
}

fn read_destination(cx: &mut Cx, node: &Node) -> Option<RawDestination> {
    if let NodeKind::Scalar { value, .. } = &node.kind {
        if value == "archive" {
            return Some(RawDestination::Archive(node.span));
        }
        cx.push(
            Diagnostic::error("blueprint::flow-logs", node.span, format!("`{value}` is not a flow log destination"))
                .label("not `archive` or `{ cloudwatch_logs: ... }`")
                .help("write `destination: archive` (the log-archive bucket, the default) or `destination: { cloudwatch_logs: { log_group: /groundwork/vpc-flow-logs } }`"),
        );
        return None;
    }
    let f = cx.map(node, "flow_logs.destination", DESTINATION_KEYS)?;
    let c = cx.required(&f, "cloudwatch_logs", "flow_logs.destination")?;
    if c.is_null() {
        return Some(RawDestination::CloudWatch { log_group: None, role: None });
    }
    let g = cx.map(c, "flow_logs.destination.cloudwatch_logs", CLOUDWATCH_KEYS)?;
    let log_group = g.get("log_group").and_then(|n| cx.string(n, "flow_logs.destination.cloudwatch_logs.log_group"));
    let role = g.get("role").and_then(|n| cx.string(n, "flow_logs.destination.cloudwatch_logs.role"));
    Some(RawDestination::CloudWatch { log_group, role })
}

/// What the section is checked against.
pub(crate) struct FlowLogScope<'a> {
    pub(crate) accounts: &'a [&'a Account],
    pub(crate) ous: &'a BTreeMap<OuPath, Span>,
    /// Whether the blueprint has a `logging` section (the archive destination needs one).
    pub(crate) has_logging: bool,
    /// The `roles` section as written, with the accounts each is deployed in (resolved).
    pub(crate) roles: &'a [crate::model::Role],
}

fn flow_error(span: Span, message: impl Into<String>) -> Diagnostic {
    Diagnostic::error("blueprint::flow-logs", span, message)
}

/// Whether a flow-log key prefix in the archive is usable: letters, digits, `-`, `_`, `.` and
/// inner `/`, not starting with `AWSLogs` (CloudTrail's).
pub(crate) fn usable_prefix(p: &str) -> bool {
    !(p.is_empty()
        || p.starts_with('/')
        || p.ends_with('/')
        || p.starts_with("AWSLogs")
        || !p.chars().all(|c| c.is_ascii_alphanumeric() || "-_./".contains(c)))
}

/// The error for a prefix [`usable_prefix`] refuses.
pub(crate) fn bad_prefix(p: &Spanned<String>) -> Diagnostic {
    flow_error(p.span, format!("`{}` is not a usable prefix", p.value))
        .label("not a key prefix")
        .help("a prefix such as `flow-logs`: letters, digits, `-`, `_`, `.` and inner `/`, not starting with `AWSLogs` (CloudTrail's)")
}

/// `logging.flow_log_prefix` and the `flow_logs` section's archive prefix must agree: the
/// archive admits log delivery under one prefix.
pub(crate) fn check_agreement(
    cx: &mut Cx,
    logging: Option<&Spanned<String>>,
    flow_logs: Option<&FlowLogs>,
    raw: Option<&RawFlowLogs>,
) {
    let (Some(declared), Some(prefix)) = (logging, flow_logs.and_then(FlowLogs::archive_prefix)) else { return };
    if declared.value == prefix {
        return;
    }
    let mut d = flow_error(
        declared.span,
        format!("the archive admits flow logs under `{}`, but `flow_logs` sends them under `{prefix}`", declared.value),
    )
    .label("another prefix")
    .help(format!("write `flow_log_prefix: {prefix}`, or remove it (the `flow_logs` section implies it)"));
    if let Some(p) = raw.and_then(|r| r.prefix.as_ref()) {
        d = d.related(p.span, "the flow logs' prefix");
    }
    cx.push(d);
}

/// Checks the section and fills in the defaults.
pub(crate) fn lower(cx: &mut Cx, raw: &RawFlowLogs, scope: &FlowLogScope<'_>) -> Option<FlowLogs> {
    let before = cx.diags.len();
    let mut members: Vec<String> = scope.accounts.iter().map(|a| a.name.value.clone()).collect();
    members.sort();
    let accounts = match &raw.select {
        Some(sel) => crate::selector::resolve(cx, sel, scope.accounts, scope.ous, None, "flow_logs.select"),
        None => Some(members),
    };
    let regions = match &raw.regions {
        None => Regions::Allowed,
        Some(RawRegions::Word(w)) if w.value == "home" => Regions::Home,
        Some(RawRegions::Word(w)) if w.value == "allowed" => Regions::Allowed,
        Some(RawRegions::Word(w)) => {
            cx.push(
                flow_error(w.span, format!("`{}` is not a region selector", w.value))
                    .label("not `home`, `allowed` or a list")
                    .help("`regions` is `home`, `allowed` (the region lock's allowed regions, the default) or a list such as `[eu-west-1]`"),
            );
            Regions::Allowed
        }
        Some(RawRegions::List(list, span)) => {
            if list.is_empty() {
                cx.push(
                    flow_error(*span, "`flow_logs.regions` is empty")
                        .label("no region")
                        .help("list at least one region, or write `home` or `allowed`"),
                );
            }
            crate::regions::check_region_list(cx, "blueprint::flow-logs", list);
            Regions::List(list.iter().map(|r| r.value.clone()).collect())
        }
    };
    let vpcs = match &raw.vpcs {
        Some(RawVpcs::All) => VpcSelection { all: true, ..VpcSelection::default() },
        Some(RawVpcs::Some { tags, names }) => {
            let mut out = VpcSelection::default();
            for (k, values) in tags {
                if values.is_empty() {
                    cx.push(
                        flow_error(k.span, format!("tag `{}` lists no value", k.value))
                            .label("no value")
                            .help("list the values that select a VPC, e.g. `[confidential, restricted]`"),
                    );
                }
                out.tags.insert(k.value.clone(), values.iter().map(|v| v.value.clone()).collect());
            }
            out.names = names.iter().map(|n| n.value.clone()).collect();
            out
        }
        None => VpcSelection::default(),
    };
    let traffic = match &raw.traffic {
        None => DEFAULT_FLOW_LOG_TRAFFIC,
        Some(t) => match t.value.to_ascii_uppercase().as_str() {
            "ALL" => FlowLogTraffic::All,
            "ACCEPT" => FlowLogTraffic::Accept,
            "REJECT" => FlowLogTraffic::Reject,
            _ => {
                cx.push(
                    flow_error(t.span, format!("`{}` is not a traffic type", t.value))
                        .label("not ALL, ACCEPT or REJECT")
                        .help("`traffic` is ALL (the default), ACCEPT or REJECT"),
                );
                DEFAULT_FLOW_LOG_TRAFFIC
            }
        },
    };
    let aggregation_interval = match &raw.interval {
        None => DEFAULT_FLOW_LOG_INTERVAL,
        Some(i) if i.value == 60 || i.value == 600 => u32::try_from(i.value).unwrap_or(DEFAULT_FLOW_LOG_INTERVAL),
        Some(i) => {
            cx.push(
                flow_error(i.span, format!("an aggregation interval of {} seconds is not possible", i.value))
                    .label("not 60 or 600")
                    .help("EC2 aggregates flow log records over 60 or 600 seconds (the default)"),
            );
            DEFAULT_FLOW_LOG_INTERVAL
        }
    };
    let fields = match &raw.fields {
        None => DEFAULT_FLOW_LOG_FIELDS.iter().map(|f| (*f).to_owned()).collect(),
        Some((list, span)) => {
            if list.is_empty() {
                cx.push(
                    flow_error(*span, "`flow_logs.fields` is empty")
                        .label("no field")
                        .help("leave `fields` out for AWS's default format, or list the fields to record"),
                );
            }
            let mut seen: BTreeMap<&str, Span> = BTreeMap::new();
            for f in list {
                if let Some(first) = seen.get(f.value.as_str()) {
                    cx.push(
                        flow_error(f.span, format!("field `{}` is listed twice", f.value))
                            .label("listed again")
                            .related(*first, "first listed here"),
                    );
                    continue;
                }
                seen.insert(&f.value, f.span);
                if !FLOW_LOG_FIELDS.contains(&f.value.as_str()) {
                    let d = flow_error(f.span, format!("`{}` is not a flow log field", f.value)).label("unknown field");
                    cx.push(match did_you_mean(&f.value, FLOW_LOG_FIELDS.iter().copied()) {
                        Some(s) => d.help(format!("did you mean `{s}`?")),
                        None => d.help("the fields are listed at https://docs.aws.amazon.com/vpc/latest/userguide/flow-log-records.html"),
                    });
                }
            }
            list.iter().map(|f| f.value.clone()).collect()
        }
    };
    let destination = match &raw.destination {
        None | Some(RawDestination::Archive(_)) => {
            if !scope.has_logging {
                let span = match &raw.destination {
                    Some(RawDestination::Archive(s)) => *s,
                    _ => Span { end: raw.span.start, ..raw.span },
                };
                cx.push(
                    flow_error(span, "the flow logs go to the log archive, but there is no `logging` section")
                        .label("needs the log-archive bucket")
                        .help("add a `logging` section, or send the flow logs to CloudWatch Logs with `destination: { cloudwatch_logs: {} }`"),
                );
            }
            let prefix = raw.prefix.as_ref().map_or(DEFAULT_FLOW_LOG_PREFIX.to_owned(), |p| p.value.clone());
            if let Some(p) = &raw.prefix
                && !usable_prefix(&p.value)
            {
                cx.push(bad_prefix(p));
            }
            FlowLogDestination::Archive { prefix }
        }
        Some(RawDestination::CloudWatch { log_group, role }) => {
            if let Some(p) = &raw.prefix {
                cx.push(
                    flow_error(p.span, "`prefix` is for the archive, but the flow logs go to CloudWatch Logs")
                        .label("not used")
                        .help("remove `prefix`, or send the flow logs to the archive"),
                );
            }
            if let Some(r) = role {
                crate::identity::check_iam_name(cx, r, "role name", 64);
            }
            FlowLogDestination::CloudWatchLogs {
                log_group: log_group.as_ref().map_or(DEFAULT_FLOW_LOG_GROUP.to_owned(), |g| g.value.clone()),
                role: role.as_ref().map_or(DEFAULT_FLOW_LOG_ROLE.to_owned(), |r| r.value.clone()),
            }
        }
    };
    let log_archive = scope.accounts.iter().find(|a| a.purpose == Purpose::LogArchive).map(|a| a.name.value.as_str());
    let mut grants = Vec::new();
    let mut seen = BTreeSet::new();
    for g in &raw.grants {
        if !seen.insert(g.value.as_str()) {
            cx.push(flow_error(g.span, format!("role `{}` is granted twice", g.value)).label("listed again"));
            continue;
        }
        if matches!(destination, FlowLogDestination::CloudWatchLogs { .. }) {
            cx.push(
                flow_error(g.span, "`grants` reads the archive, but the flow logs go to CloudWatch Logs")
                    .label("nothing to read")
                    .help("remove `grants`, or send the flow logs to the archive"),
            );
            continue;
        }
        match scope.roles.iter().find(|r| r.name.value == g.value) {
            None => {
                let names: Vec<&str> = scope.roles.iter().map(|r| r.name.value.as_str()).collect();
                let d = flow_error(g.span, format!("role `{}` is not in the `roles` section", g.value))
                    .label("unknown role");
                cx.push(match did_you_mean(&g.value, names.iter().copied()) {
                    Some(s) => d.help(format!("did you mean `{s}`?")),
                    None => d.help("grant a role of the `roles` section deployed in the log-archive account; hub groups read through it with a grant in `identity.groups`"),
                });
            }
            Some(r) if !log_archive.is_some_and(|l| r.accounts.iter().any(|a| a == l)) => {
                cx.push(
                    flow_error(g.span, format!("role `{}` is not deployed in the log-archive account", g.value))
                        .label("cannot read the archive")
                        .help(format!(
                            "add `{}` to the role's accounts: the flow logs are read where they are kept",
                            log_archive.unwrap_or("the log-archive account")
                        )),
                );
            }
            Some(_) => grants.push(g.value.clone()),
        }
    }
    if raw.no_vpcs || cx.diags.len() != before {
        return None;
    }
    Some(FlowLogs { accounts: accounts?, regions, vpcs, traffic, aggregation_interval, fields, destination, grants })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(section: &str) -> Result<crate::Blueprint, crate::Diagnostics> {
        let src = format!(
            "version: 1
organization: {{ name: acme, home_region: eu-west-1, management_account: {{ email: root@acme.example }} }}
organizational_units: [{{ name: Security }}, {{ name: Workloads }}]
accounts:
  - {{ name: logs, email: aws+logs@acme.example, ou: Security, purpose: log-archive }}
  - {{ name: app, email: aws+app@acme.example, ou: Workloads, purpose: workload }}
  - {{ name: hub, email: aws+hub@acme.example, ou: Security, purpose: identity }}
logging: {{ account: logs, bucket: \"acme-logs-{{account_id}}\", trail: org-trail }}
roles:
  - {{ name: NetworkAuditor, select: {{ accounts: [logs] }}, trust: hub }}
identity: {{ account: hub }}
{section}"
        );
        crate::parse("t.yaml", src.as_bytes()).map(|p| p.blueprint)
    }

    #[test]
    fn defaults_are_the_archive_all_traffic_ten_minutes_and_the_default_format() {
        let bp = parse("flow_logs: { vpcs: { tags: { data-classification: [confidential, restricted] } } }\n")
            .unwrap_or_else(|d| panic!("{}", d.render_plain()));
        let f = bp.flow_logs.unwrap();
        assert_eq!(f.accounts, ["app", "hub", "logs"]);
        assert_eq!(f.regions, Regions::Allowed);
        assert_eq!(f.traffic, FlowLogTraffic::All);
        assert_eq!(f.aggregation_interval, 600);
        assert_eq!(f.archive_prefix(), Some("flow-logs"));
        assert!(f.log_format().starts_with("${version} ${account-id} ${interface-id}"));
        assert_eq!(f.vpcs.tags["data-classification"], ["confidential", "restricted"]);
    }

    #[test]
    fn grants_name_roles_in_the_log_archive_account() {
        let bp = parse("flow_logs: { vpcs: all, grants: [NetworkAuditor], select: { accounts: [app] } }\n")
            .unwrap_or_else(|d| panic!("{}", d.render_plain()));
        let f = bp.flow_logs.unwrap();
        assert_eq!(f.grants, ["NetworkAuditor"]);
        assert_eq!(f.accounts, ["app"]);
        let err = parse("flow_logs: { vpcs: all, grants: [Nope] }\n").unwrap_err().render_plain();
        assert!(err.contains("role `Nope` is not in the `roles` section"), "{err}");
    }

    #[test]
    fn cloudwatch_logs_has_its_defaults() {
        let bp = parse("flow_logs: { vpcs: all, destination: { cloudwatch_logs: {} }, traffic: REJECT }\n")
            .unwrap_or_else(|d| panic!("{}", d.render_plain()));
        let f = bp.flow_logs.unwrap();
        assert_eq!(
            f.destination,
            FlowLogDestination::CloudWatchLogs {
                log_group: DEFAULT_FLOW_LOG_GROUP.into(),
                role: DEFAULT_FLOW_LOG_ROLE.into()
            }
        );
        assert_eq!(f.traffic, FlowLogTraffic::Reject);
    }
}
