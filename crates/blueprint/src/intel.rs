//! Policy intelligence: checks a statement against AWS's Service Authorization Reference
//! ([`crate::iam`]), for every policy a blueprint writes (role, group and managed-policy
//! statements, service control policies) and, through [`check`], for any other statement
//! reader (permission sets plug in here):
//! - error `blueprint::unknown-service`, `blueprint::unknown-action`: an action that does not
//!   exist grants (or denies) nothing; with a did-you-mean (`ec2:TerminateInstance` →
//!   `ec2:TerminateInstances`);
//! - error `blueprint::action-matches-nothing`: a wildcard that names no action;
//! - error `blueprint::resource-mismatch`: an action none of whose resource types any of the
//!   statement's resources can name (`iam:PassRole` on an S3 bucket), or an action that
//!   supports only `Resource: "*"` given only ARNs: the pair grants nothing;
//! - warning `blueprint::unknown-condition-key`: a condition key no service has, or one that
//!   none of the statement's actions supports.

use crate::diag::Diagnostic;
use crate::iam::{Action, Reference, Service};
use crate::schema::{Cx, did_you_mean};
use crate::yaml::{Node, NodeKind, Span};

/// A statement as the checks see it: each value with its place in the blueprint.
pub(crate) struct Statement<'a> {
    /// Whether the effect is `Deny` (for the wording: a dead action denies nothing).
    pub(crate) deny: bool,
    /// `Action` (`false`) or `NotAction` (`true`), and its values.
    pub(crate) actions: Option<(bool, &'a [(String, Span)])>,
    /// `Resource` or `NotResource`, and its values.
    pub(crate) resources: Option<(bool, &'a [(String, Span)])>,
    /// The `Condition` node, if any.
    pub(crate) condition: Option<&'a Node>,
}

/// What an action pattern of a statement names.
struct Named<'r> {
    pattern: String,
    span: Span,
    actions: Vec<(&'r Service, &'r Action)>,
}

/// Runs every check on one statement whose shape is already known to be right.
pub(crate) fn check(cx: &mut Cx, statement: &Statement<'_>) {
    let iam = Reference::get();
    let mut named: Vec<Named<'_>> = Vec::new();
    let mut every_action = false;
    if let Some((not, actions)) = statement.actions {
        for (pattern, span) in actions {
            match resolve(cx, iam, pattern, *span, statement.deny) {
                Resolved::Actions(found) => named.push(Named { pattern: pattern.clone(), span: *span, actions: found }),
                Resolved::Any => every_action = true,
                Resolved::Unknown => {}
            }
        }
        if not {
            every_action = true;
        } else if let Some((false, resources)) = statement.resources {
            check_resources(cx, &named, resources, statement.deny);
        }
    }
    if let Some(c) = statement.condition {
        check_condition_keys(cx, iam, c, if every_action { None } else { Some(&named) });
    }
}

enum Resolved<'r> {
    Actions(Vec<(&'r Service, &'r Action)>),
    /// `*`, or a service part with a wildcard: not checked.
    Any,
    /// Reported.
    Unknown,
}

fn resolve<'r>(cx: &mut Cx, iam: &'r Reference, pattern: &str, span: Span, deny: bool) -> Resolved<'r> {
    let nothing = if deny { "it denies nothing" } else { "it grants nothing" };
    let Some((prefix, name)) = pattern.split_once(':') else { return Resolved::Any };
    if prefix.contains(['*', '?']) {
        return Resolved::Any;
    }
    let Some(service) = iam.service(prefix) else {
        let d = Diagnostic::error(
            "blueprint::unknown-service",
            span,
            format!("`{prefix}` is not the action prefix of any AWS service: {nothing}"),
        )
        .label("unknown service");
        // Prefer a service that has an action of this name (`cloudwatchlogs:GetLogEvents` is
        // `logs:GetLogEvents`), then the closest prefix.
        let having: Vec<&str> =
            iam.prefixes().filter(|p| !name.contains(['*', '?']) && iam.action(p, name).is_some()).collect();
        let suggestion = match having.as_slice() {
            [one] => Some(*one),
            [] => did_you_mean(prefix, iam.prefixes()),
            many => did_you_mean(prefix, many.iter().copied()).or(Some(many[0])),
        };
        cx.push(match suggestion {
            Some(s) => d.help(format!("did you mean `{s}:{name}`?")),
            None => {
                d.help("action prefixes are listed in AWS's Service Authorization Reference, e.g. `s3`, `ec2`, `iam`")
            }
        });
        return Resolved::Unknown;
    };
    if name.contains(['*', '?']) {
        let found: Vec<_> = service
            .actions
            .iter()
            .filter(|a| crate::iam::wildcard_match(name, &a.name))
            .map(|a| (service, a))
            .collect();
        if found.is_empty() {
            cx.push(
                Diagnostic::error(
                    "blueprint::action-matches-nothing",
                    span,
                    format!("`{pattern}` matches no {prefix} action: {nothing}"),
                )
                .label("names nothing")
                .help(format!(
                    "check the spelling against the {prefix} actions in AWS's Service Authorization Reference"
                )),
            );
            return Resolved::Unknown;
        }
        return Resolved::Actions(found);
    }
    if let Some(a) = service.action(name) {
        Resolved::Actions(vec![(service, a)])
    } else {
        let d = Diagnostic::error(
            "blueprint::unknown-action",
            span,
            format!("`{pattern}` is not an action of {prefix}: {nothing}"),
        )
        .label("unknown action");
        cx.push(match did_you_mean(name, service.actions.iter().map(|a| a.name.as_str())) {
            Some(s) => d.help(format!("did you mean `{}:{s}`?", service.prefix)),
            None => d.help(format!("the {prefix} actions are listed in AWS's Service Authorization Reference")),
        });
        Resolved::Unknown
    }
}

/// Each action (pattern) must act on at least one of the statement's resources.
fn check_resources(cx: &mut Cx, named: &[Named<'_>], resources: &[(String, Span)], deny: bool) {
    let (verb, nothing) = if deny { ("denies", "denied") } else { ("grants", "granted") };
    if resources.iter().any(|(r, _)| r == "*" || crate::iam::Arn::parse(r).is_none()) {
        return;
    }
    for n in named {
        if n.actions.iter().any(|(_, a)| resources.iter().any(|(r, _)| a.applies_to(r))) {
            continue;
        }
        let (service, first) = n.actions[0];
        let mut types: Vec<String> = n
            .actions
            .iter()
            .flat_map(|(_, a)| a.resources.iter())
            .map(|t| format!("arn:…:{}:…:{}…", t.service, t.prefix))
            .collect();
        types.sort();
        types.dedup();
        let (message, help) = if types.is_empty() {
            (
                format!(
                    "`{}` does not support resource-level permissions: it is {nothing} on none of these resources",
                    n.pattern
                ),
                format!(
                    "AWS authorizes `{}:{}` only on `Resource: \"*\"`; move it to a statement of its own with `Resource: \"*\"`",
                    service.prefix, first.name
                ),
            )
        } else {
            let shown: Vec<&str> = types.iter().take(4).map(String::as_str).collect();
            (
                format!("`{}` acts on none of the statement's resources: the statement {verb} it nowhere", n.pattern),
                format!(
                    "`{}` acts on {}{}; name such a resource, or move the action to a statement about it",
                    n.pattern,
                    shown.join(", "),
                    if types.len() > shown.len() { ", …" } else { "" }
                ),
            )
        };
        let mut d = Diagnostic::error("blueprint::resource-mismatch", n.span, message).label("action");
        for (_, span) in resources.iter().take(3) {
            d = d.related(*span, "a resource it cannot act on");
        }
        cx.push(d.help(help));
    }
}

/// The condition keys of a `Condition` node, with their spans.
fn condition_keys(node: &Node) -> Vec<(&str, Span)> {
    let NodeKind::Map(operators) = &node.kind else { return Vec::new() };
    operators
        .iter()
        .filter_map(|(_, v)| if let NodeKind::Map(keys) = &v.kind { Some(keys) } else { None })
        .flatten()
        .filter_map(
            |(k, _)| if let NodeKind::Scalar { value, .. } = &k.kind { Some((value.as_str(), k.span)) } else { None },
        )
        .collect()
}

/// `named`: the statement's actions, or `None` when they are every action (`*`, `NotAction`).
fn check_condition_keys(cx: &mut Cx, iam: &Reference, node: &Node, named: Option<&Vec<Named<'_>>>) {
    for (key, span) in condition_keys(node) {
        // A placeholder or policy variable inside a key is not ours to judge.
        if key.contains(['{', '$']) {
            continue;
        }
        let Some((prefix, _)) = key.split_once(':') else {
            cx.push(
                Diagnostic::warning(
                    "blueprint::unknown-condition-key",
                    span,
                    format!("`{key}` is not a condition key: keys are written `service:Name`"),
                )
                .label("unknown condition key")
                .help("e.g. `aws:MultiFactorAuthPresent`, `aws:ResourceTag/team`, `s3:prefix`"),
            );
            continue;
        };
        if iam.is_global_key(key) {
            continue;
        }
        if prefix.eq_ignore_ascii_case("aws") {
            let d = Diagnostic::warning(
                "blueprint::unknown-condition-key",
                span,
                format!("`{key}` is not a global condition key: the condition never matches as written"),
            )
            .label("unknown condition key");
            let candidates = iam.global_keys().iter().filter_map(|k| k.trim_end_matches('/').strip_prefix("aws:"));
            cx.push(match did_you_mean(&key[4..], candidates) {
                Some(s) => d.help(format!("did you mean `aws:{s}`?")),
                None => {
                    d.help("the global keys are listed in AWS's IAM User Guide, \"AWS global condition context keys\"")
                }
            });
            continue;
        }
        let Some(service) = iam.service(prefix) else {
            cx.push(
                Diagnostic::warning(
                    "blueprint::unknown-condition-key",
                    span,
                    format!("`{key}`: no AWS service has the prefix `{prefix}`"),
                )
                .label("unknown condition key")
                .help("condition keys are `aws:...` or a service's own, e.g. `s3:prefix`, `ec2:InstanceType`"),
            );
            continue;
        };
        if !service.has_key(key) {
            let d = Diagnostic::warning(
                "blueprint::unknown-condition-key",
                span,
                format!("`{key}` is not a condition key of {}", service.prefix),
            )
            .label("unknown condition key");
            let name = &key[prefix.len() + 1..];
            let candidates = service.keys.iter().filter_map(|k| k.split_once(':').map(|(_, n)| n));
            cx.push(match did_you_mean(name, candidates) {
                Some(s) => d.help(format!("did you mean `{}:{s}`?", service.prefix)),
                None => d.help(format!(
                    "the {} condition keys are listed in AWS's Service Authorization Reference",
                    service.prefix
                )),
            });
            continue;
        }
        let Some(named) = named else { continue };
        if named.is_empty() || named.iter().flat_map(|n| &n.actions).any(|(_, a)| a.has_key(key)) {
            continue;
        }
        let actions: Vec<&str> = named.iter().map(|n| n.pattern.as_str()).take(3).collect();
        cx.push(
            Diagnostic::warning(
                "blueprint::unknown-condition-key",
                span,
                format!("no action of the statement supports `{key}`"),
            )
            .label("key the request never carries")
            .help(format!(
                "{} {} not take `{key}` into account: the condition never matches (a `...IfExists` or \
                 negated operator always does); use a key those actions support",
                actions.join(", "),
                if actions.len() == 1 { "does" } else { "do" }
            )),
        );
    }
}

/// The same checks on a policy document given as JSON (a generated bucket, key or service
/// control policy, or a permission set's inline policy): the findings, each with its place in
/// the document's compact JSON text. Statements whose shape is wrong are skipped.
pub fn check_policy_document(document: &serde_json::Value) -> Vec<Diagnostic> {
    let text = document.to_string();
    let Ok(Some(root)) = crate::yaml::parse(&text) else { return Vec::new() };
    let mut cx = Cx::new();
    let statements: Vec<&Node> = match crate::policy::key_node(&root, "Statement").and(field(&root, "Statement")) {
        Some(Node { kind: NodeKind::Seq(items), .. }) => items.iter().collect(),
        Some(one) => vec![one],
        None => Vec::new(),
    };
    for st in statements {
        let values = |key: &str| -> Option<Vec<(String, Span)>> {
            match &field(st, key)?.kind {
                NodeKind::Scalar { value, .. } => Some(vec![(value.clone(), field(st, key)?.span)]),
                NodeKind::Seq(items) => items
                    .iter()
                    .map(|n| {
                        if let NodeKind::Scalar { value, .. } = &n.kind { Some((value.clone(), n.span)) } else { None }
                    })
                    .collect(),
                NodeKind::Map(_) => None,
            }
        };
        let actions = values("Action").map(|v| (false, v)).or_else(|| values("NotAction").map(|v| (true, v)));
        let resources = values("Resource").map(|v| (false, v)).or_else(|| values("NotResource").map(|v| (true, v)));
        let deny =
            matches!(field(st, "Effect").map(|n| &n.kind), Some(NodeKind::Scalar { value, .. }) if value == "Deny");
        check(
            &mut cx,
            &Statement {
                deny,
                actions: actions.as_ref().map(|(not, v)| (*not, v.as_slice())),
                resources: resources.as_ref().map(|(not, v)| (*not, v.as_slice())),
                condition: field(st, "Condition"),
            },
        );
    }
    cx.diags
}

/// Every wildcard action pattern of a blueprint's policies (roles, groups, guardrails) with the
/// number of actions it names today, for the report: `ec2:Describe*` is 160-odd actions, and
/// grows as AWS adds more. Sorted by pattern.
pub fn wildcard_actions(bp: &crate::model::Blueprint) -> Vec<(String, usize)> {
    let iam = Reference::get();
    let mut patterns: std::collections::BTreeSet<String> = std::collections::BTreeSet::new();
    let mut take = |statement: &serde_json::Value| {
        for key in ["Action", "NotAction"] {
            let values = match statement.get(key) {
                Some(serde_json::Value::String(s)) => vec![s.as_str()],
                Some(serde_json::Value::Array(xs)) => xs.iter().filter_map(serde_json::Value::as_str).collect(),
                _ => Vec::new(),
            };
            patterns.extend(values.into_iter().filter(|a| a.contains(['*', '?'])).map(str::to_owned));
        }
    };
    for r in &bp.roles {
        r.statements.iter().for_each(&mut take);
    }
    for g in bp.identity.iter().flat_map(|i| &i.groups) {
        g.statements.iter().for_each(&mut take);
    }
    for g in &bp.guardrails.policies {
        match g.document.get("Statement") {
            Some(serde_json::Value::Array(xs)) => xs.iter().for_each(&mut take),
            Some(one) => take(one),
            None => {}
        }
    }
    patterns
        .into_iter()
        .map(|p| {
            let n = iam.expand(&p).len();
            (p, n)
        })
        .collect()
}

/// The value of `key` in a mapping node.
fn field<'n>(node: &'n Node, key: &str) -> Option<&'n Node> {
    let NodeKind::Map(entries) = &node.kind else { return None };
    entries.iter().find(|(k, _)| matches!(&k.kind, NodeKind::Scalar { value, .. } if value == key)).map(|(_, v)| v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::severity::Severity;

    fn run(
        actions: &[&str],
        resources: &[&str],
        condition: Option<&str>,
    ) -> Vec<(Severity, &'static str, String, String)> {
        let span = Span::default();
        let actions: Vec<(String, Span)> = actions.iter().map(|a| ((*a).to_owned(), span)).collect();
        let resources: Vec<(String, Span)> = resources.iter().map(|r| ((*r).to_owned(), span)).collect();
        let node = condition.map(|c| crate::yaml::parse(c).unwrap().unwrap());
        let mut cx = Cx::new();
        check(
            &mut cx,
            &Statement {
                deny: false,
                actions: Some((false, &actions)),
                resources: Some((false, &resources)),
                condition: node.as_ref(),
            },
        );
        cx.diags.into_iter().map(|d| (d.severity, d.code, d.message, d.help.unwrap_or_default())).collect()
    }

    #[test]
    fn a_mistyped_action_is_an_error_with_a_suggestion() {
        let found = run(&["ec2:TerminateInstance"], &["*"], None);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].0, Severity::Error);
        assert_eq!(found[0].1, "blueprint::unknown-action");
        assert_eq!(found[0].3, "did you mean `ec2:TerminateInstances`?");
        let found = run(&["s3:GetObjekt", "iam:PassRole"], &["*"], None);
        assert_eq!(found.len(), 1);
        assert!(found[0].3.contains("`s3:GetObject`"), "{found:?}");
        let found = run(&["ec22:DescribeInstances"], &["*"], None);
        assert_eq!(found[0].1, "blueprint::unknown-service");
        assert!(found[0].3.contains("`ec2:DescribeInstances`"), "{found:?}");
        // Case does not matter, as in IAM.
        assert!(run(&["EC2:terminateinstances", "s3:getobject"], &["*"], None).is_empty());
    }

    #[test]
    fn a_wildcard_must_name_an_action() {
        assert!(run(&["ec2:Describe*", "s3:Get*", "*", "*:Describe*"], &["*"], None).is_empty());
        let found = run(&["ec2:Descibe*"], &["*"], None);
        assert_eq!(found[0].1, "blueprint::action-matches-nothing");
    }

    #[test]
    fn an_action_must_act_on_one_of_the_resources() {
        let found = run(&["iam:PassRole"], &["arn:aws:s3:::acme-webapp"], None);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].1, "blueprint::resource-mismatch");
        assert!(found[0].3.contains("arn:…:iam:…:role/…"), "{found:?}");
        assert!(run(&["iam:PassRole"], &["arn:aws:iam::{account_id}:role/app"], None).is_empty());
        // Supports only `*`.
        let found = run(&["ec2:DescribeInstances"], &["arn:aws:ec2:*:{account_id}:instance/*"], None);
        assert!(found[0].2.contains("does not support resource-level permissions"), "{found:?}");
        // One resource fits each action: fine.
        assert!(run(&["s3:GetObject", "iam:GetRole"], &["arn:aws:s3:::b/*", "arn:aws:iam::*:role/x"], None).is_empty());
        // A wildcard is fine when one of its actions fits.
        assert!(run(&["ec2:*"], &["arn:aws:ec2:*:*:instance/*"], None).is_empty());
        assert!(
            run(&["sts:AssumeRole"], &["arn:aws:iam::{account_id:jira-prod}:role/groundwork/jira-admin"], None)
                .is_empty()
        );
    }

    #[test]
    fn unknown_condition_keys_are_warnings() {
        let c = |key: &str| format!("StringEquals: {{ \"{key}\": x }}");
        let ok = |actions: &[&str], key: &str| run(actions, &["*"], Some(&c(key)));
        assert!(ok(&["ec2:TerminateInstances"], "aws:ResourceTag/workload").is_empty());
        assert!(ok(&["ec2:TerminateInstances"], "ec2:InstanceType").is_empty());
        assert!(ok(&["s3:ListBucket"], "s3:prefix").is_empty());
        assert!(ok(&["s3:ListBucket"], "aws:MultiFactorAuthPresent").is_empty());
        let found = ok(&["s3:ListBucket"], "aws:MultiFactorAuthPresnt");
        assert_eq!((found[0].0, found[0].1), (Severity::Warning, "blueprint::unknown-condition-key"));
        assert_eq!(found[0].3, "did you mean `aws:MultiFactorAuthPresent`?");
        let found = ok(&["s3:ListBucket"], "s3:prefixes");
        assert!(found[0].2.contains("not a condition key of s3"), "{found:?}");
        let found = ok(&["ec2:TerminateInstances"], "s3:prefix");
        assert!(found[0].2.contains("no action of the statement supports `s3:prefix`"), "{found:?}");
        let found = ok(&["ec2:TerminateInstances"], "nosuch:key");
        assert!(found[0].2.contains("no AWS service has the prefix"), "{found:?}");
        // Every action: only existence is checked.
        assert!(ok(&["*"], "s3:prefix").is_empty());
    }

    #[test]
    fn the_policies_groundwork_writes_itself_pass() {
        let doc = crate::lint::force_mfa_policy();
        assert_eq!(check_policy_document(&doc), Vec::new(), "ForceMFA");
        let src = include_str!("../../../blueprints/landing-zone.yaml");
        let bp = crate::parse("landing-zone.yaml", src.as_bytes()).unwrap().blueprint;
        let mut checked = 0;
        for g in &bp.guardrails.policies {
            assert_eq!(check_policy_document(&g.document), Vec::new(), "{}", g.name.value);
            checked += 1;
        }
        assert!(checked >= 5);
        let bad =
            serde_json::json!({"Statement": {"Effect": "Deny", "Action": "ec2:TerminateInstance", "Resource": "*"}});
        let found = check_policy_document(&bad);
        assert_eq!(found.len(), 1);
        assert!(found[0].message.contains("denies nothing"), "{}", found[0].message);
        let wildcards = wildcard_actions(&bp);
        let describe = wildcards.iter().find(|(p, _)| p == "ec2:Describe*").unwrap();
        assert!(describe.1 > 100, "{describe:?}");
    }
}
