//! The `alerts` section: the detective half of the landing zone. The organization trail also
//! delivers to a CloudWatch Logs group in the management account's home region; metric filters
//! on that group count what CIS AWS Foundations section 4 (controls 4.1 to 4.15) asks to
//! watch, and an alarm per metric notifies an SNS topic.
//!
//! ```yaml
//! alerts:
//!   log_group:                     # all optional
//!     name: groundwork-org-trail   # default
//!     retention_days: 365          # default
//!     kms_key_arn: arn:aws:kms:... # default: CloudWatch Logs' own encryption
//!   namespace: CISBenchmark        # default: the namespace of every filter and alarm
//!   cis:                           # default: every control 4.1 to 4.15; `cis: false`: none
//!     exclude: ["4.15"]
//!   custom:                        # more filters and alarms
//!     - name: ConsoleLoginFailuresBurst
//!       pattern: '{ ($.eventName = ConsoleLogin) && ($.errorMessage = "Failed authentication") }'
//!       threshold: 5               # default 1
//!     - name: RootUsageAlarmTwo    # no pattern: an alarm on the metric of another filter
//!       metric: RootAccountUsage
//!   topic:
//!     name: groundwork-alerts      # default
//!     email: [secops@example.com]  # optional subscribers
//! ```
//!
//! Defaults live here ([`DEFAULT_LOG_GROUP`], ...), never in a reader or writer. The lint at
//! validate time checks that every alarm's metric is produced by a filter in the same namespace:
//! a silent mismatch is the most common reason a CIS alarm never fires.

use std::collections::BTreeSet;

use crate::diag::Diagnostic;
use crate::logging::boolean;
use crate::model::Spanned;
use crate::schema::{Cx, did_you_mean};
use crate::yaml::{Node, NodeKind, Span};

/// Keys of the `alerts` section.
pub(crate) const ALERTS_KEYS: &[&str] = &["log_group", "namespace", "cis", "custom", "topic", "slack", "iam_changes"];
/// Keys of `alerts.log_group`.
pub(crate) const LOG_GROUP_KEYS: &[&str] = &["name", "retention_days", "kms_key_arn"];
/// Keys of `alerts.cis` written as a mapping.
pub(crate) const CIS_KEYS: &[&str] = &["exclude"];
/// Keys of an entry of `alerts.custom`.
pub(crate) const CUSTOM_KEYS: &[&str] =
    &["name", "pattern", "metric", "namespace", "alarm", "threshold", "period", "description"];
/// Keys of `alerts.topic`.
pub(crate) const TOPIC_KEYS: &[&str] = &["name", "email"];

/// The log group's default name.
pub const DEFAULT_LOG_GROUP: &str = "groundwork-org-trail";
/// The log group's default retention, in days.
pub const DEFAULT_LOG_RETENTION_DAYS: u32 = 365;
/// The namespace of the metrics, by default (the one CIS and Security Hub examples use).
pub const DEFAULT_NAMESPACE: &str = "CISBenchmark";
/// The SNS topic's default name.
pub const DEFAULT_TOPIC: &str = "groundwork-alerts";
/// An alarm's default threshold: one matching event in a period.
pub const DEFAULT_THRESHOLD: u32 = 1;
/// An alarm's default period, in seconds.
pub const DEFAULT_PERIOD_SECONDS: u32 = 300;
/// The retention periods CloudWatch Logs accepts, in days.
pub(crate) const RETENTION_DAYS: &[u32] =
    &[1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];

/// One control of the built-in catalogue: CIS AWS Foundations section 4 (Monitoring).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CisControl {
    /// Its id, e.g. `4.3`.
    pub id: &'static str,
    /// The metric its filter produces and its alarm watches (the names CIS's examples use).
    pub metric: &'static str,
    /// What it detects, for people (the alarm's description).
    pub detects: &'static str,
    /// The metric filter's pattern.
    pub pattern: &'static str,
}

/// CIS AWS Foundations 4.1 to 4.15, each with the filter pattern the benchmark gives.
pub const CIS_CONTROLS: &[CisControl] = &[
    CisControl {
        id: "4.1",
        metric: "UnauthorizedAPICalls",
        detects: "unauthorized API calls",
        pattern: r#"{ (($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*")) && ($.sourceIPAddress != "delivery.logs.amazonaws.com") && ($.eventName != "HeadBucket") }"#,
    },
    CisControl {
        id: "4.2",
        metric: "ConsoleSigninWithoutMFA",
        detects: "console sign-in without MFA",
        pattern: r#"{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") && ($.userIdentity.type = "IAMUser") && ($.responseElements.ConsoleLogin = "Success") }"#,
    },
    CisControl {
        id: "4.3",
        metric: "RootAccountUsage",
        detects: "usage of the root user",
        pattern: r#"{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }"#,
    },
    CisControl {
        id: "4.4",
        metric: "IAMPolicyChanges",
        detects: "IAM policy changes",
        pattern: "{ ($.eventName = DeleteGroupPolicy) || ($.eventName = DeleteRolePolicy) || ($.eventName = DeleteUserPolicy) || ($.eventName = PutGroupPolicy) || ($.eventName = PutRolePolicy) || ($.eventName = PutUserPolicy) || ($.eventName = CreatePolicy) || ($.eventName = DeletePolicy) || ($.eventName = CreatePolicyVersion) || ($.eventName = DeletePolicyVersion) || ($.eventName = SetDefaultPolicyVersion) || ($.eventName = AttachRolePolicy) || ($.eventName = DetachRolePolicy) || ($.eventName = AttachUserPolicy) || ($.eventName = DetachUserPolicy) || ($.eventName = AttachGroupPolicy) || ($.eventName = DetachGroupPolicy) }",
    },
    CisControl {
        id: "4.5",
        metric: "CloudTrailChanges",
        detects: "CloudTrail configuration changes",
        pattern: "{ ($.eventName = CreateTrail) || ($.eventName = UpdateTrail) || ($.eventName = DeleteTrail) || ($.eventName = StartLogging) || ($.eventName = StopLogging) || ($.eventName = PutEventSelectors) }",
    },
    CisControl {
        id: "4.6",
        metric: "ConsoleSigninFailures",
        detects: "console authentication failures",
        pattern: r#"{ ($.eventName = ConsoleLogin) && ($.errorMessage = "Failed authentication") }"#,
    },
    CisControl {
        id: "4.7",
        metric: "DisableOrDeleteCMK",
        detects: "disabling or scheduled deletion of customer-managed KMS keys",
        pattern: "{ ($.eventSource = kms.amazonaws.com) && (($.eventName = DisableKey) || ($.eventName = ScheduleKeyDeletion)) }",
    },
    CisControl {
        id: "4.8",
        metric: "S3BucketPolicyChanges",
        detects: "S3 bucket policy changes",
        pattern: "{ ($.eventSource = s3.amazonaws.com) && (($.eventName = PutBucketAcl) || ($.eventName = PutBucketPolicy) || ($.eventName = PutBucketCors) || ($.eventName = PutBucketLifecycle) || ($.eventName = PutBucketReplication) || ($.eventName = DeleteBucketPolicy) || ($.eventName = DeleteBucketCors) || ($.eventName = DeleteBucketLifecycle) || ($.eventName = DeleteBucketReplication)) }",
    },
    CisControl {
        id: "4.9",
        metric: "AWSConfigChanges",
        detects: "AWS Config configuration changes",
        pattern: "{ ($.eventSource = config.amazonaws.com) && (($.eventName = StopConfigurationRecorder) || ($.eventName = DeleteDeliveryChannel) || ($.eventName = PutDeliveryChannel) || ($.eventName = PutConfigurationRecorder)) }",
    },
    CisControl {
        id: "4.10",
        metric: "SecurityGroupChanges",
        detects: "security group changes",
        pattern: "{ ($.eventName = AuthorizeSecurityGroupIngress) || ($.eventName = AuthorizeSecurityGroupEgress) || ($.eventName = RevokeSecurityGroupIngress) || ($.eventName = RevokeSecurityGroupEgress) || ($.eventName = CreateSecurityGroup) || ($.eventName = DeleteSecurityGroup) }",
    },
    CisControl {
        id: "4.11",
        metric: "NACLChanges",
        detects: "network ACL changes",
        pattern: "{ ($.eventName = CreateNetworkAcl) || ($.eventName = CreateNetworkAclEntry) || ($.eventName = DeleteNetworkAcl) || ($.eventName = DeleteNetworkAclEntry) || ($.eventName = ReplaceNetworkAclEntry) || ($.eventName = ReplaceNetworkAclAssociation) }",
    },
    CisControl {
        id: "4.12",
        metric: "NetworkGatewayChanges",
        detects: "changes to network gateways",
        pattern: "{ ($.eventName = CreateCustomerGateway) || ($.eventName = DeleteCustomerGateway) || ($.eventName = AttachInternetGateway) || ($.eventName = CreateInternetGateway) || ($.eventName = DeleteInternetGateway) || ($.eventName = DetachInternetGateway) }",
    },
    CisControl {
        id: "4.13",
        metric: "RouteTableChanges",
        detects: "route table changes",
        pattern: "{ ($.eventSource = ec2.amazonaws.com) && (($.eventName = CreateRoute) || ($.eventName = CreateRouteTable) || ($.eventName = ReplaceRoute) || ($.eventName = ReplaceRouteTableAssociation) || ($.eventName = DeleteRouteTable) || ($.eventName = DeleteRoute) || ($.eventName = DisassociateRouteTable)) }",
    },
    CisControl {
        id: "4.14",
        metric: "VPCChanges",
        detects: "VPC changes",
        pattern: "{ ($.eventName = CreateVpc) || ($.eventName = DeleteVpc) || ($.eventName = ModifyVpcAttribute) || ($.eventName = AcceptVpcPeeringConnection) || ($.eventName = CreateVpcPeeringConnection) || ($.eventName = DeleteVpcPeeringConnection) || ($.eventName = RejectVpcPeeringConnection) || ($.eventName = AttachClassicLinkVpc) || ($.eventName = DetachClassicLinkVpc) || ($.eventName = DisableVpcClassicLink) || ($.eventName = EnableVpcClassicLink) }",
    },
    CisControl {
        id: "4.15",
        metric: "OrganizationsChanges",
        detects: "AWS Organizations changes",
        pattern: r#"{ ($.eventSource = organizations.amazonaws.com) && (($.eventName = "AcceptHandshake") || ($.eventName = "AttachPolicy") || ($.eventName = "CreateAccount") || ($.eventName = "CreateOrganizationalUnit") || ($.eventName = "CreatePolicy") || ($.eventName = "DeclineHandshake") || ($.eventName = "DeleteOrganization") || ($.eventName = "DeleteOrganizationalUnit") || ($.eventName = "DeletePolicy") || ($.eventName = "DetachPolicy") || ($.eventName = "DisablePolicyType") || ($.eventName = "EnablePolicyType") || ($.eventName = "InviteAccountToOrganization") || ($.eventName = "LeaveOrganization") || ($.eventName = "MoveAccount") || ($.eventName = "RemoveAccountFromOrganization") || ($.eventName = "UpdatePolicy") || ($.eventName = "UpdateOrganizationalUnit")) }"#,
    },
];

/// The validated `alerts` section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alerts {
    /// The CloudWatch Logs group the organization trail also delivers to.
    pub log_group: AlertLogGroup,
    /// The metric filters on it: the CIS controls kept, then the custom ones.
    pub filters: Vec<AlertFilter>,
    /// The alarms, each on a metric one of the filters produces.
    pub alarms: Vec<AlertAlarm>,
    /// The SNS topic every alarm notifies.
    pub topic: AlertTopic,
    /// Where alarms and IAM changes are posted (`alerts.slack`, `alerts.iam_changes`).
    pub slack: Option<crate::slack::AlertSlack>,
}

/// `alerts.log_group`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertLogGroup {
    /// Its name.
    pub name: String,
    /// How long its events are kept, in days.
    pub retention_days: u32,
    /// The KMS key that encrypts it; `None`: CloudWatch Logs' own encryption.
    pub kms_key_arn: Option<String>,
}

/// A metric filter on the log group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertFilter {
    /// The filter's name (`cis-4.3-RootAccountUsage`, or a custom entry's `name`).
    pub name: String,
    /// Its pattern.
    pub pattern: String,
    /// The metric it produces (value 1 per matching event).
    pub metric: String,
    /// The metric's namespace.
    pub namespace: String,
}

/// An alarm on one metric: in alarm when the sum over one period reaches the threshold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertAlarm {
    /// Its name (`cis-4.3-RootAccountUsage`, or a custom entry's `name`).
    pub name: String,
    /// What it detects, for people.
    pub description: String,
    /// The metric it watches.
    pub metric: String,
    /// The metric's namespace.
    pub namespace: String,
    /// Matching events in one period that raise it.
    pub threshold: u32,
    /// The period, in seconds.
    pub period_seconds: u32,
}

/// `alerts.topic`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertTopic {
    /// Its name.
    pub name: String,
    /// E-mail subscribers, sorted.
    pub email: Vec<String>,
}

/// Raw `cis`: `true`, `false`, or `{ exclude: [...] }`.
#[derive(Debug, Clone, Default)]
struct RawCis {
    off: bool,
    exclude: Vec<Spanned<String>>,
}

/// Raw entry of `custom`.
#[derive(Debug, Clone)]
struct RawCustom {
    span: Span,
    name: Option<Spanned<String>>,
    pattern: Option<Spanned<String>>,
    metric: Option<Spanned<String>>,
    namespace: Option<Spanned<String>>,
    alarm: Option<bool>,
    threshold: Option<Spanned<u64>>,
    period: Option<Spanned<u64>>,
    description: Option<Spanned<String>>,
}

/// Raw `alerts` section; every field `None` when missing or broken (already reported).
#[derive(Debug, Clone, Default)]
pub(crate) struct RawAlerts {
    span: Span,
    log_group_name: Option<Spanned<String>>,
    retention_days: Option<Spanned<u64>>,
    kms_key_arn: Option<Spanned<String>>,
    namespace: Option<Spanned<String>>,
    cis: RawCis,
    custom: Vec<RawCustom>,
    topic_name: Option<Spanned<String>>,
    email: Vec<Spanned<String>>,
    slack: crate::slack::RawSlack,
}

/// Reads the `alerts` section.
pub(crate) fn read(cx: &mut Cx, node: &Node) -> RawAlerts {
    let mut raw = RawAlerts { span: node.span, ..RawAlerts::default() };
    if node.is_null() {
        return raw;
    }
    let Some(f) = cx.map(node, "alerts", ALERTS_KEYS) else { return raw };
    if let Some(lg) = f.get("log_group")
        && let Some(g) = cx.map(lg, "alerts.log_group", LOG_GROUP_KEYS)
    {
        raw.log_group_name = g.get("name").and_then(|n| cx.string(n, "alerts.log_group.name"));
        raw.retention_days = g.get("retention_days").and_then(|n| cx.integer(n, "alerts.log_group.retention_days"));
        raw.kms_key_arn = g.get("kms_key_arn").and_then(|n| cx.string(n, "alerts.log_group.kms_key_arn"));
    }
    raw.namespace = f.get("namespace").and_then(|n| cx.string(n, "alerts.namespace"));
    if let Some(c) = f.get("cis") {
        if let NodeKind::Map(_) = &c.kind {
            if let Some(m) = cx.map(c, "alerts.cis", CIS_KEYS)
                && let Some(e) = m.get("exclude")
                && let Some(items) = cx.list(e, "alerts.cis.exclude")
            {
                raw.cis.exclude = items.iter().filter_map(|n| cx.string(n, "a CIS control id")).collect();
            }
        } else if let Some(on) = boolean(cx, c, "alerts.cis") {
            raw.cis.off = !on;
        }
    }
    if let Some(c) = f.get("custom")
        && let Some(items) = cx.list(c, "alerts.custom")
    {
        raw.custom = items.iter().filter_map(|n| read_custom(cx, n)).collect();
    }
    if let Some(t) = f.get("topic")
        && let Some(m) = cx.map(t, "alerts.topic", TOPIC_KEYS)
    {
        raw.topic_name = m.get("name").and_then(|n| cx.string(n, "alerts.topic.name"));
        if let Some(e) = m.get("email")
            && let Some(items) = cx.list(e, "alerts.topic.email")
        {
            raw.email = items.iter().filter_map(|n| cx.string(n, "an e-mail subscriber")).collect();
        }
    }
    if let Some(n) = f.get("slack") {
        crate::slack::read_slack(cx, n, &mut raw.slack);
    }
    if let Some(n) = f.get("iam_changes") {
        crate::slack::read_iam_changes(cx, n, &mut raw.slack);
    }
    raw
}

fn read_custom(cx: &mut Cx, node: &Node) -> Option<RawCustom> {
    let f = cx.map(node, "an alerts.custom entry", CUSTOM_KEYS)?;
    let name = cx.required(&f, "name", "an alerts.custom entry").and_then(|n| cx.string(n, "alerts.custom.name"));
    Some(RawCustom {
        span: node.span,
        name,
        pattern: f.get("pattern").and_then(|n| cx.string(n, "alerts.custom.pattern")),
        metric: f.get("metric").and_then(|n| cx.string(n, "alerts.custom.metric")),
        namespace: f.get("namespace").and_then(|n| cx.string(n, "alerts.custom.namespace")),
        alarm: f.get("alarm").and_then(|n| boolean(cx, n, "alerts.custom.alarm")),
        threshold: f.get("threshold").and_then(|n| cx.integer(n, "alerts.custom.threshold")),
        period: f.get("period").and_then(|n| cx.integer(n, "alerts.custom.period")),
        description: f.get("description").and_then(|n| cx.string(n, "alerts.custom.description")),
    })
}

/// What is wrong with a metric or namespace name, if anything.
fn metric_name_problem(name: &str) -> Option<&'static str> {
    if name.is_empty() || name.len() > 255 {
        Some("must be 1 to 255 characters")
    } else if name.starts_with(':') || name.starts_with("AWS/") {
        Some("must not start with `:` or `AWS/` (AWS reserves those namespaces)")
    } else if !name.chars().all(|c| c.is_ascii_graphic() || c == ' ') {
        Some("may contain only printable ASCII characters")
    } else {
        None
    }
}

/// What is wrong with a filter or alarm name, if anything.
fn name_problem(name: &str) -> Option<&'static str> {
    if name.is_empty() || name.len() > 255 {
        Some("must be 1 to 255 characters")
    } else if name.contains(':') || name.contains('*') {
        Some("must not contain `:` or `*`")
    } else if !name.chars().all(|c| c.is_ascii_graphic() || c == ' ') {
        Some("may contain only printable ASCII characters")
    } else {
        None
    }
}

/// The name of a CIS control's filter and alarm: `cis-4.3-RootAccountUsage`.
#[must_use]
pub fn cis_name(control: &CisControl) -> String {
    format!("cis-{}-{}", control.id, control.metric)
}

/// Validates the section and applies its defaults. `has_logging`: whether the blueprint has a
/// `logging` section (its organization trail is what delivers to the log group).
pub(crate) fn lower(
    cx: &mut Cx,
    raw: &RawAlerts,
    has_logging: bool,
    accounts: &[&crate::model::Account],
) -> Option<Alerts> {
    let errors = cx.diags.len();
    if !has_logging {
        cx.push(
            Diagnostic::error("blueprint::alerts-without-logging", raw.span, "`alerts` needs the `logging` section")
                .label("the alarms watch the organization trail's events")
                .help("add a `logging` section: its organization trail delivers to the alerts' log group"),
        );
    }
    let check_name = |cx: &mut Cx, s: &Spanned<String>, what: &str, problem: fn(&str) -> Option<&'static str>| {
        if let Some(p) = problem(&s.value) {
            cx.push(
                Diagnostic::error("blueprint::alerts-name", s.span, format!("{what} `{}` {p}", s.value))
                    .label("not a valid name"),
            );
        }
    };
    let namespace = raw.namespace.as_ref().map_or(DEFAULT_NAMESPACE.to_owned(), |n| n.value.clone());
    if let Some(n) = &raw.namespace {
        check_name(cx, n, "namespace", metric_name_problem);
    }
    let retention_days = match &raw.retention_days {
        None => DEFAULT_LOG_RETENTION_DAYS,
        Some(d) => {
            let days = u32::try_from(d.value).unwrap_or(0);
            if !RETENTION_DAYS.contains(&days) {
                cx.push(
                    Diagnostic::error(
                        "blueprint::log-retention",
                        d.span,
                        format!(
                            "alerts.log_group.retention_days must be a retention CloudWatch Logs offers, found {}",
                            d.value
                        ),
                    )
                    .label("not one of CloudWatch Logs' retention periods")
                    .help(format!(
                        "one of {}",
                        RETENTION_DAYS.iter().map(u32::to_string).collect::<Vec<_>>().join(", ")
                    )),
                );
            }
            days
        }
    };
    if let Some(k) = &raw.kms_key_arn
        && !k.value.starts_with("arn:aws:kms:")
    {
        cx.push(
            Diagnostic::error("blueprint::kms-key-arn", k.span, format!("`{}` is not a KMS key ARN", k.value))
                .label("expected arn:aws:kms:REGION:ACCOUNT:key/ID")
                .help("name the key by its ARN; CloudWatch Logs needs the full ARN"),
        );
    }
    if let Some(n) = &raw.log_group_name
        && (n.value.is_empty()
            || n.value.len() > 512
            || !n.value.chars().all(|c| c.is_ascii_alphanumeric() || "_-/.#".contains(c)))
    {
        cx.push(
            Diagnostic::error("blueprint::alerts-name", n.span, format!("log group name `{}` is not valid", n.value))
                .label("1 to 512 of letters, digits, `_`, `-`, `/`, `.` and `#`"),
        );
    }

    let mut filters = Vec::new();
    let mut alarms = Vec::new();
    let mut excluded = BTreeSet::new();
    for id in &raw.cis.exclude {
        if CIS_CONTROLS.iter().any(|c| c.id == id.value) {
            excluded.insert(id.value.as_str());
            continue;
        }
        let mut d = Diagnostic::error(
            "blueprint::unknown-cis-control",
            id.span,
            format!("`{}` is not a CIS control groundwork knows", id.value),
        )
        .label("not in the catalogue");
        d = match did_you_mean(&id.value, CIS_CONTROLS.iter().map(|c| c.id)) {
            Some(s) => d.help(format!("did you mean `{s}`? The catalogue is CIS AWS Foundations 4.1 to 4.15")),
            None => d.help("the catalogue is CIS AWS Foundations 4.1 to 4.15 (write the id as a string: \"4.3\")"),
        };
        cx.push(d);
    }
    if !raw.cis.off {
        for c in CIS_CONTROLS.iter().filter(|c| !excluded.contains(c.id)) {
            filters.push(AlertFilter {
                name: cis_name(c),
                pattern: c.pattern.to_owned(),
                metric: c.metric.to_owned(),
                namespace: namespace.clone(),
            });
            alarms.push(AlertAlarm {
                name: cis_name(c),
                description: format!("CIS {}: {}", c.id, c.detects),
                metric: c.metric.to_owned(),
                namespace: namespace.clone(),
                threshold: DEFAULT_THRESHOLD,
                period_seconds: DEFAULT_PERIOD_SECONDS,
            });
        }
    }
    // Custom alarms are checked against every filter once all are known.
    let mut custom_alarms: Vec<(&RawCustom, AlertAlarm)> = Vec::new();
    let mut seen: Vec<Spanned<String>> = Vec::new();
    for c in &raw.custom {
        let Some(name) = &c.name else { continue };
        check_name(cx, name, "name", name_problem);
        if let Some(first) = seen.iter().find(|s| s.value == name.value) {
            cx.push(
                Diagnostic::error(
                    "blueprint::duplicate-alert",
                    name.span,
                    format!("`{}` names two alerts.custom entries", name.value),
                )
                .related(first.span, "first here")
                .help("each custom filter and alarm needs its own name"),
            );
        }
        seen.push(name.clone());
        let metric = c.metric.as_ref().map_or_else(|| name.value.clone(), |m| m.value.clone());
        if let Some(m) = &c.metric {
            check_name(cx, m, "metric", metric_name_problem);
        }
        if let Some(n) = &c.namespace {
            check_name(cx, n, "namespace", metric_name_problem);
        }
        let ns = c.namespace.as_ref().map_or_else(|| namespace.clone(), |n| n.value.clone());
        let alarm = c.alarm.unwrap_or(true);
        match &c.pattern {
            Some(p) => {
                if p.value.trim().is_empty() || p.value.len() > 1024 {
                    cx.push(
                        Diagnostic::error(
                            "blueprint::filter-pattern",
                            p.span,
                            "a filter pattern must be 1 to 1024 characters",
                        )
                        .label("empty or too long"),
                    );
                }
                filters.push(AlertFilter {
                    name: name.value.clone(),
                    pattern: p.value.clone(),
                    metric: metric.clone(),
                    namespace: ns.clone(),
                });
            }
            None if !alarm => {
                cx.push(
                    Diagnostic::error(
                        "blueprint::empty-alert",
                        c.span,
                        format!("`{}` has neither a pattern nor an alarm", name.value),
                    )
                    .label("does nothing")
                    .help("give it a `pattern` (a metric filter), or leave `alarm` on"),
                );
            }
            None => {}
        }
        let positive = |cx: &mut Cx, v: &Option<Spanned<u64>>, what: &str, default: u32| match v {
            None => default,
            Some(v) => match u32::try_from(v.value) {
                Ok(n) if n >= 1 => n,
                _ => {
                    cx.push(
                        Diagnostic::error("blueprint::alerts-number", v.span, format!("{what} must be at least 1"))
                            .label("out of range"),
                    );
                    default
                }
            },
        };
        let threshold = positive(cx, &c.threshold, "alerts.custom.threshold", DEFAULT_THRESHOLD);
        let period = positive(cx, &c.period, "alerts.custom.period", DEFAULT_PERIOD_SECONDS);
        if let Some(p) = &c.period
            && period % 60 != 0
        {
            cx.push(
                Diagnostic::error(
                    "blueprint::alerts-number",
                    p.span,
                    "alerts.custom.period must be a multiple of 60 seconds",
                )
                .label("not a multiple of 60"),
            );
        }
        if alarm {
            custom_alarms.push((
                c,
                AlertAlarm {
                    name: name.value.clone(),
                    description: c
                        .description
                        .as_ref()
                        .map_or_else(|| format!("groundwork: {}", name.value), |d| d.value.clone()),
                    metric,
                    namespace: ns,
                    threshold,
                    period_seconds: period,
                },
            ));
        }
    }
    for (c, alarm) in custom_alarms {
        lint_alarm(cx, c, &alarm, &filters);
        alarms.push(alarm);
    }
    let mut email: Vec<String> = Vec::new();
    for e in &raw.email {
        if let Some(problem) = crate::validate::email_problem(&e.value) {
            cx.push(
                Diagnostic::error("blueprint::email", e.span, format!("e-mail subscriber `{}` {problem}", e.value))
                    .label("not an e-mail address"),
            );
        }
        email.push(e.value.clone());
    }
    email.sort();
    email.dedup();
    let slack = crate::slack::lower(cx, &raw.slack, accounts);
    if cx.diags.len() > errors {
        return None;
    }
    Some(Alerts {
        log_group: AlertLogGroup {
            name: raw.log_group_name.as_ref().map_or(DEFAULT_LOG_GROUP.to_owned(), |n| n.value.clone()),
            retention_days,
            kms_key_arn: raw.kms_key_arn.as_ref().map(|k| k.value.clone()),
        },
        filters,
        alarms,
        topic: AlertTopic {
            name: raw.topic_name.as_ref().map_or(DEFAULT_TOPIC.to_owned(), |n| n.value.clone()),
            email,
        },
        slack,
    })
}

/// The lint: an alarm's metric must be produced by a filter in the same namespace.
fn lint_alarm(cx: &mut Cx, c: &RawCustom, alarm: &AlertAlarm, filters: &[AlertFilter]) {
    if filters.iter().any(|f| f.metric == alarm.metric && f.namespace == alarm.namespace) {
        return;
    }
    let span = c.metric.as_ref().or(c.name.as_ref()).map_or(c.span, |s| s.span);
    let mut d = Diagnostic::error(
        "blueprint::alarm-without-filter",
        span,
        format!(
            "alarm `{}` watches metric `{}` in namespace `{}`, which no metric filter produces",
            alarm.name, alarm.metric, alarm.namespace
        ),
    )
    .label("no filter produces this metric here");
    let elsewhere: Vec<&str> =
        filters.iter().filter(|f| f.metric == alarm.metric).map(|f| f.namespace.as_str()).collect();
    d = if let Some(ns) = elsewhere.first() {
        d.help(format!(
            "a filter produces `{}` in namespace `{ns}`: the alarm must name the same namespace, or it never fires",
            alarm.metric
        ))
    } else {
        let near = did_you_mean(&alarm.metric, filters.iter().map(|f| f.metric.as_str()));
        match near {
            Some(m) => d.help(format!("did you mean metric `{m}`? An alarm on a metric nothing produces never fires")),
            None => d.help("add a `pattern` to produce the metric, or name a metric a filter produces (a CIS one, e.g. `RootAccountUsage`)"),
        }
    };
    cx.push(d);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalogue_is_cis_4_1_to_4_15_with_unique_metrics() {
        let ids: Vec<&str> = CIS_CONTROLS.iter().map(|c| c.id).collect();
        let expected: Vec<String> = (1..=15).map(|n| format!("4.{n}")).collect();
        assert_eq!(ids, expected);
        let metrics: BTreeSet<&str> = CIS_CONTROLS.iter().map(|c| c.metric).collect();
        assert_eq!(metrics.len(), CIS_CONTROLS.len());
        for c in CIS_CONTROLS {
            assert!(c.pattern.starts_with('{') && c.pattern.ends_with('}') && c.pattern.len() <= 1024, "{}", c.id);
            assert!(name_problem(&cis_name(c)).is_none());
        }
    }
}
