//! IAM policy documents written in a blueprint: statement shape, the least-privilege lint,
//! placeholders, sizes, and the policies groundwork generates itself (ForceMFA, AssumeRole).
//!
//! The lint, statement by statement:
//! - error: `Effect: Allow` of `Action: "*"` on `Resource: "*"` (administrator access);
//! - error: `Effect: Allow` of `iam:*`, `sts:*` or `organizations:*` on `Resource: "*"`;
//! - warning: `Effect: Allow` with `NotAction` (allows every action not listed, including
//!   actions AWS adds later).
//!
//! A statement with `approved_exception: "<reason>"` is exempt from all three; the key is
//! removed from the JSON groundwork deploys.

use std::collections::HashMap;

use serde_json::{Map, Value, json};

use crate::diag::Diagnostic;
use crate::model::{Account, AccountOrigin, Baseline, Grant, Group, Role};
use crate::schema::{Cx, did_you_mean};
use crate::severity::Severity;
use crate::template::{self, Context, DOCUMENT as DOCUMENT_PLACEHOLDERS, Name, Template, suggest};
use crate::yaml::{Node, NodeKind, Span};

pub(crate) use crate::policy::POLICY_VERSION;
/// IAM: the inline policies of one role total at most 10,240 characters (whitespace excluded).
pub const MAX_ROLE_INLINE_POLICY_CHARS: usize = 10_240;
/// IAM: the inline policies of one group total at most 5,120 characters.
pub const MAX_GROUP_INLINE_POLICY_CHARS: usize = 5_120;
/// IAM: a managed policy is at most 6,144 characters.
pub const MAX_MANAGED_POLICY_CHARS: usize = 6_144;
/// IAM (default quota): at most 10 managed policies attached to one group or role.
pub const MAX_MANAGED_POLICIES: usize = 10;
/// IAM: a user belongs to at most 10 groups.
pub const MAX_GROUPS_PER_USER: usize = 10;
/// Characters an account id placeholder (`{account_id}`, `{account_id:NAME}`,
/// `{hub_account_id}`, `{management_account_id}`) takes once expanded.
pub const ACCOUNT_ID_CHARS: usize = crate::template::ACCOUNT_ID_LEN;
/// `Sid` of the statement groundwork adds to a group's inline policy to let members assume the
/// roles granted to the group.
pub const ASSUME_ROLE_SID: &str = "AssumeGrantedRoles";
/// `Sid` of the statement groundwork adds to the inline policy of a group the account
/// baseline's roles name in their `groups`.
pub const ASSUME_BASELINE_SID: &str = "AssumeBaselineRoles";
/// The statement key that exempts a statement from the least-privilege lint (with a reason).
pub const EXCEPTION_KEY: &str = "approved_exception";

/// Services whose wildcard on every resource amounts to administrator access.
const PRIVILEGED_SERVICES: &[&str] = &["iam", "sts", "organizations"];
/// The keys a statement may have (`Principal` is read only to say it has no place here).
pub(crate) const STATEMENT_KEYS: &[&str] = &[
    "Sid",
    "Effect",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
    "Principal",
    "NotPrincipal",
    EXCEPTION_KEY,
];

/// `{"Version": "2012-10-17", "Statement": [...]}`.
pub fn policy_document(statements: Vec<Value>) -> Value {
    let mut doc = Map::new();
    doc.insert("Version".to_owned(), Value::from(POLICY_VERSION));
    doc.insert("Statement".to_owned(), Value::Array(statements));
    Value::Object(doc)
}

/// The ForceMFA policy groundwork attaches to every group when `identity.require_mfa` is true,
/// derived from AWS's documented example "Allows MFA-authenticated IAM users to manage their own
/// credentials on the Security credentials page". `${aws:username}` is an IAM policy variable.
///
/// Without MFA a user may read the password policy, manage their own password and set up an
/// MFA device, and nothing else. Two denies:
/// - `DenyAllExceptListedIfNoMFA`: everything but that short list, when the request has no MFA
///   (`BoolIfExists aws:MultiFactorAuthPresent = false`: a console session signed in without
///   MFA, or a long-term access key);
/// - `DenyCredentialSetupWithAccessKey`: enrolling, resyncing an MFA device and changing the
///   password, when the request carries no MFA context at all (`Null
///   aws:MultiFactorAuthPresent = true`): only a long-term access key. The console sign-in has
///   the key present (as false), so console enrolment and the forced first password change
///   still work, but a leaked access key cannot mint itself an MFA device.
///
/// Unlike AWS's example, users cannot create their own access keys, signing certificates, SSH
/// keys or service credentials: programmatic access is something a blueprint grants explicitly.
/// They may still list and delete their own access keys (to retire one that leaked).
pub fn force_mfa_policy() -> Value {
    const ME: &str = "arn:aws:iam::*:user/${aws:username}";
    let allow = |sid: &str, actions: &[&str], resource: &str| json!({ "Sid": sid, "Effect": "Allow", "Action": actions, "Resource": resource });
    policy_document(vec![
        allow("AllowViewAccountInfo", &["iam:GetAccountPasswordPolicy", "iam:ListVirtualMFADevices"], "*"),
        allow("AllowManageOwnPasswords", &["iam:ChangePassword", "iam:GetUser"], ME),
        allow(
            "AllowRetireOwnAccessKeys",
            &["iam:DeleteAccessKey", "iam:GetAccessKeyLastUsed", "iam:ListAccessKeys", "iam:UpdateAccessKey"],
            ME,
        ),
        // Device names are free-form since IAM allows several MFA devices per user; the other
        // statements only let users attach a device to themselves.
        allow("AllowManageOwnVirtualMFADevice", &["iam:CreateVirtualMFADevice"], "arn:aws:iam::*:mfa/*"),
        allow(
            "AllowManageOwnUserMFA",
            &["iam:DeactivateMFADevice", "iam:EnableMFADevice", "iam:ListMFADevices", "iam:ResyncMFADevice"],
            ME,
        ),
        json!({
            "Sid": "DenyAllExceptListedIfNoMFA",
            "Effect": "Deny",
            // A new console user must change the generated password at first sign-in, before
            // any MFA device can be set up: the password change stays possible without MFA.
            "NotAction": [
                "iam:ChangePassword",
                "iam:GetAccountPasswordPolicy",
                "iam:CreateVirtualMFADevice",
                "iam:EnableMFADevice",
                "iam:GetUser",
                "iam:GetMFADevice",
                "iam:ListMFADevices",
                "iam:ListVirtualMFADevices",
                "iam:ResyncMFADevice",
                "sts:GetSessionToken"
            ],
            "Resource": "*",
            "Condition": { "BoolIfExists": { "aws:MultiFactorAuthPresent": "false" } }
        }),
        json!({
            "Sid": "DenyCredentialSetupWithAccessKey",
            "Effect": "Deny",
            "Action": [
                "iam:ChangePassword",
                "iam:CreateVirtualMFADevice",
                "iam:EnableMFADevice",
                "iam:ResyncMFADevice"
            ],
            "Resource": "*",
            "Condition": { "Null": { "aws:MultiFactorAuthPresent": "true" } }
        }),
    ])
}

/// `arn:aws:iam::ACCOUNT:role/PATH/NAME` for a role under an IAM path (`/` or `/a/b/`).
pub fn role_arn(account: &str, path: &str, name: &str) -> String {
    format!("arn:aws:iam::{account}:role{path}{name}")
}

/// The statement groundwork adds to a group's inline policy: `sts:AssumeRole` on every granted
/// role in every granted account, as `arn:aws:iam::{account_id:NAME}:role/PATH/ROLE` (placeholders
/// unexpanded). `None` without grants.
pub fn assume_role_statement(grants: &[Grant]) -> Option<Value> {
    let mut resources: Vec<String> = Vec::new();
    for g in grants {
        for a in &g.accounts {
            let arn = role_arn(&Name::AccountIdOf(a).to_string(), &g.path, &g.role);
            if !resources.contains(&arn) {
                resources.push(arn);
            }
        }
    }
    (!resources.is_empty()).then(
        || json!({ "Sid": ASSUME_ROLE_SID, "Effect": "Allow", "Action": "sts:AssumeRole", "Resource": resources }),
    )
}

/// The inline policy of a group in the hub: its own statements and the AssumeRole statement.
/// `None` when the group has neither.
pub fn group_inline_policy(group: &Group) -> Option<Value> {
    let mut statements = group.statements.clone();
    statements.extend(assume_role_statement(&group.grants));
    (!statements.is_empty()).then(|| policy_document(statements))
}

/// The statement that lets a group's members assume the baseline's `roles` (name, path) in
/// every account of the organization `org_id` (`{org_id}` before planning), with MFA. The
/// accounts are not listed, unlike a grant's: the baseline is in every account, and a group's
/// inline policy could not name two roles in hundreds of them. The roles' trust still admits
/// the hub only, with MFA.
pub fn assume_baseline_statement(roles: &[(&str, &str)], org_id: &str) -> Value {
    let resources: Vec<String> = roles.iter().map(|(name, path)| role_arn("*", path, name)).collect();
    json!({
        "Sid": ASSUME_BASELINE_SID,
        "Effect": "Allow",
        "Action": "sts:AssumeRole",
        "Resource": resources,
        "Condition": {
            "StringEquals": { "aws:ResourceOrgID": org_id },
            "Bool": { "aws:MultiFactorAuthPresent": "true" },
        },
    })
}

/// The baseline's roles (name, path) that name `group` among the groups that may assume them.
pub fn baseline_roles_of<'a>(baseline: &'a Baseline, group: &str) -> Vec<(&'a str, &'a str)> {
    [&baseline.support_role, &baseline.security_audit_role]
        .into_iter()
        .flatten()
        .filter(|r| r.groups.iter().any(|g| g == group))
        .map(|r| (r.name.value.as_str(), r.path.as_str()))
        .collect()
}

/// The whole inline policy groundwork writes for a group: [`group_inline_policy`] and, when
/// the baseline grants it roles, [`assume_baseline_statement`] (placeholders unexpanded).
pub fn group_document(group: &Group, baseline: &Baseline) -> Option<Value> {
    let roles = baseline_roles_of(baseline, &group.name.value);
    let mut statements = group.statements.clone();
    statements.extend(assume_role_statement(&group.grants));
    if !roles.is_empty() {
        statements.push(assume_baseline_statement(&roles, "{org_id}"));
    }
    (!statements.is_empty()).then(|| policy_document(statements))
}

/// The inline policy of a role (placeholders unexpanded); `None` without statements.
pub fn role_inline_policy(role: &Role) -> Option<Value> {
    (!role.statements.is_empty()).then(|| policy_document(role.statements.clone()))
}

/// Where a policy document is deployed, for its placeholders.
#[derive(Clone, Copy)]
pub(crate) enum Scope<'a> {
    /// A group's policy in the hub: `{account_id}`/`{account}` are the hub, which has no
    /// workload or environment.
    Hub,
    /// A role's policy, deployed in each of these accounts.
    Accounts(&'a [&'a Account]),
    /// A permission set's inline policy: one document provisioned to every account it is
    /// assigned to, so nothing that differs per account has a value.
    PermissionSet,
}

/// What the lint needs to know about the blueprint.
pub(crate) struct Env<'a> {
    /// The blueprint text, to point inside strings.
    pub(crate) src: &'a str,
    /// Every member account (for `{account_id:NAME}`).
    pub(crate) accounts: &'a [&'a Account],
    /// Whether the blueprint has an `identity` section (for `{hub_account_id}`).
    pub(crate) has_hub: bool,
    /// The account baseline (its roles add a statement to the groups they name).
    pub(crate) baseline: &'a Baseline,
}

/// Number of errors collected so far.
pub(crate) fn error_count(cx: &Cx) -> usize {
    cx.diags.iter().filter(|d| d.severity == Severity::Error).count()
}

/// The key node of `key` in a mapping node.
fn key_node<'n>(node: &'n Node, key: &str) -> Option<&'n Node> {
    let NodeKind::Map(entries) = &node.kind else { return None };
    entries.iter().find(|(k, _)| matches!(&k.kind, NodeKind::Scalar { value, .. } if value == key)).map(|(k, _)| k)
}

/// A string or a non-empty list of strings (`Action`, `Resource`, ...).
fn string_or_list(cx: &mut Cx, node: &Node, what: &str) -> Option<Vec<(String, Span)>> {
    if let NodeKind::Seq(items) = &node.kind {
        if items.is_empty() {
            cx.push(
                Diagnostic::error("blueprint::statement", node.span, format!("{what} is an empty list"))
                    .label("empty")
                    .help(format!("list at least one value in {what}")),
            );
            return None;
        }
        let before = cx.diags.len();
        let out: Vec<(String, Span)> =
            items.iter().filter_map(|n| cx.string(n, what)).map(|s| (s.value, s.span)).collect();
        return (cx.diags.len() == before).then_some(out);
    }
    if let NodeKind::Scalar { .. } = &node.kind {
        return cx.string(node, what).map(|s| vec![(s.value, s.span)]);
    }
    cx.push(
        Diagnostic::error(
            "blueprint::wrong-type",
            node.span,
            format!("{what} must be a string or a list of strings, found {}", node.type_name()),
        )
        .label("expected a string or a list"),
    );
    None
}

/// Exactly one of `key` and `not_key`: `(is_not, values)`.
fn one_of(
    cx: &mut Cx,
    node: &Node,
    fields: &crate::schema::Fields<'_>,
    key: &str,
    not_key: &str,
) -> Option<(bool, Vec<(String, Span)>)> {
    match (fields.get(key), fields.get(not_key)) {
        (Some(_), Some(_)) => {
            let span = key_node(node, not_key).map_or(node.span, |k| k.span);
            cx.push(
                Diagnostic::error(
                    "blueprint::statement",
                    span,
                    format!("a statement has `{key}` or `{not_key}`, not both"),
                )
                .label("second one")
                .help(format!("keep `{key}` (least privilege: list what is allowed)")),
            );
            None
        }
        (None, None) => {
            cx.push(
                Diagnostic::error(
                    "blueprint::missing-key",
                    Span { end: node.span.start, ..node.span },
                    format!("missing `{key}` (or `{not_key}`) in a policy statement"),
                )
                .label("statement starts here")
                .help(format!("add `{key}:` to the statement")),
            );
            None
        }
        (Some(v), None) => Some((false, string_or_list(cx, v, key)?)),
        (None, Some(v)) => Some((true, string_or_list(cx, v, not_key)?)),
    }
}

fn check_action(cx: &mut Cx, action: &str, span: Span) -> bool {
    let ok = action == "*"
        || action.split_once(':').is_some_and(|(service, name)| {
            !service.is_empty()
                && service.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !name.is_empty()
                && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'*' || b == b'?')
        });
    if !ok {
        cx.push(
            Diagnostic::error("blueprint::statement", span, format!("`{action}` is not an IAM action"))
                .label("expected `service:Action`")
                .help("actions look like `s3:GetObject` or `ec2:Describe*`"),
        );
    }
    ok
}

fn check_resource(cx: &mut Cx, resource: &str, span: Span) -> bool {
    let ok = resource == "*" || resource.starts_with("arn:");
    if !ok {
        cx.push(
            Diagnostic::error("blueprint::statement", span, format!("`{resource}` is neither `*` nor an ARN"))
                .label("expected an ARN")
                .help("resources are ARNs such as `arn:aws:s3:::my-bucket/*`; placeholders such as {account_id} may be used inside"),
        );
    }
    ok
}

fn check_condition(cx: &mut Cx, node: &Node) -> bool {
    let wrong = |cx: &mut Cx, n: &Node, what: &str| {
        cx.push(
            Diagnostic::error(
                "blueprint::wrong-type",
                n.span,
                format!("{what} must be a mapping, found {}", n.type_name()),
            )
            .label("expected a mapping")
            .help("conditions look like `Condition: { StringEquals: { \"aws:ResourceTag/env\": prod } }`"),
        );
    };
    let NodeKind::Map(operators) = &node.kind else {
        wrong(cx, node, "Condition");
        return false;
    };
    let mut ok = true;
    for (_, keys) in operators {
        if !matches!(keys.kind, NodeKind::Map(_)) {
            wrong(cx, keys, "a condition operator's value");
            ok = false;
        }
    }
    ok
}

/// Checks one statement; returns its JSON (without `approved_exception`) when it has no error.
/// `sids` collects the statement ids of the policy, which IAM wants unique.
pub(crate) fn statement(
    cx: &mut Cx,
    env: &Env<'_>,
    scope: Scope<'_>,
    node: &Node,
    sids: &mut HashMap<String, Span>,
) -> Option<Value> {
    let errors = error_count(cx);
    let fields = cx.map(node, "a policy statement", STATEMENT_KEYS)?;
    for key in ["Principal", "NotPrincipal"] {
        if let Some(k) = key_node(node, key).filter(|_| fields.get(key).is_some()) {
            cx.push(
                Diagnostic::error(
                    "blueprint::principal",
                    k.span,
                    format!("`{key}` has no place in a role's or group's own policy"),
                )
                .label("not allowed here")
                .help(
                    "these policies apply to whoever holds the role or is in the group; \
                     who may assume a role is set by its `trust`",
                ),
            );
        }
    }
    crate::policy::check_sid(cx, fields.get("Sid"), sids);
    let allow = match cx.required(&fields, "Effect", "a policy statement").and_then(|n| cx.string(n, "Effect")) {
        Some(e) if e.value == "Allow" => Some(true),
        Some(e) if e.value == "Deny" => Some(false),
        Some(e) => {
            let mut d = Diagnostic::error(
                "blueprint::statement",
                e.span,
                format!("Effect `{}` is not `Allow` or `Deny`", e.value),
            )
            .label("unknown effect");
            d = match did_you_mean(&e.value, ["Allow", "Deny"]) {
                Some(s) => d.help(format!("did you mean `{s}`? (IAM is case-sensitive here)")),
                None => d.help("write `Effect: Allow` or `Effect: Deny`"),
            };
            cx.push(d);
            None
        }
        None => None,
    };
    let actions = one_of(cx, node, &fields, "Action", "NotAction");
    for (a, span) in actions.iter().flat_map(|(_, v)| v) {
        check_action(cx, a, *span);
    }
    let resources = one_of(cx, node, &fields, "Resource", "NotResource");
    for (r, span) in resources.iter().flat_map(|(_, v)| v) {
        check_resource(cx, r, *span);
    }
    if let Some(c) = fields.get("Condition") {
        check_condition(cx, c);
    }
    if error_count(cx) == errors {
        crate::intel::check(
            cx,
            &crate::intel::Statement {
                deny: allow == Some(false),
                actions: actions.as_ref().map(|(not, v)| (*not, v.as_slice())),
                resources: resources.as_ref().map(|(not, v)| (*not, v.as_slice())),
                condition: fields.get("Condition"),
            },
        );
    }
    let exception = fields.get(EXCEPTION_KEY).and_then(|n| cx.string(n, EXCEPTION_KEY));
    // Any `approved_exception` exempts the statement; an empty reason is an error of its own.
    let exempt = exception.is_some();
    if let Some(reason) = &exception
        && reason.value.trim().is_empty()
    {
        cx.push(
            Diagnostic::error("blueprint::empty-exception", reason.span, "an approved exception needs a reason")
                .label("empty reason")
                .help(
                    "say why the statement is needed and when it was reviewed, \
                     e.g. \"break-glass role, reviewed 2026-10\"",
                ),
        );
    }
    walk_strings(cx, env, scope, node);

    // The least-privilege lint.
    let mut findings: Vec<Diagnostic> = Vec::new();
    if let (Some(true), Some((false, actions)), Some((false, resources))) = (allow, &actions, &resources)
        && let Some((_, rspan)) = resources.iter().find(|(r, _)| r == "*")
    {
        if let Some((_, aspan)) = actions.iter().find(|(a, _)| a == "*") {
            findings.push(
                Diagnostic::error("blueprint::lint-admin", *aspan, "statement allows every action on every resource")
                    .label("`*` action")
                    .related(*rspan, "on every resource")
                    .help(
                        "list the actions and resources needed; for a reviewed break-glass role, \
                         add `approved_exception: \"<reason>\"` to the statement",
                    ),
            );
        } else if let Some((a, aspan)) = actions.iter().find(|(a, _)| {
            a.split_once(':')
                .is_some_and(|(s, n)| n == "*" && PRIVILEGED_SERVICES.iter().any(|p| s.eq_ignore_ascii_case(p)))
        }) {
            findings.push(
                Diagnostic::error(
                    "blueprint::lint-privileged",
                    *aspan,
                    format!("statement allows `{a}` on every resource"),
                )
                .label("every action of a privileged service")
                .related(*rspan, "on every resource")
                .help(
                    "whoever holds this can grant themselves anything (iam), become anyone (sts) or \
                     reshape the organization (organizations); list the actions and resources needed, \
                     or add `approved_exception: \"<reason>\"`",
                ),
            );
        }
    }
    if let (Some(true), Some((true, _))) = (allow, &actions) {
        let span = key_node(node, "NotAction").map_or(node.span, |k| k.span);
        findings.push(
            Diagnostic::warning(
                "blueprint::lint-not-action",
                span,
                "`NotAction` with `Effect: Allow` allows every action not listed",
            )
            .label("allow by exclusion")
            .help(
                "this includes actions AWS adds later; list the allowed actions under `Action`, \
                 or add `approved_exception: \"<reason>\"`",
            ),
        );
    }
    if exempt {
        if findings.is_empty()
            && let Some(reason) = exception.as_ref().filter(|r| !r.value.trim().is_empty())
        {
            let span = key_node(node, EXCEPTION_KEY).map_or(reason.span, |k| k.span);
            cx.push(
                Diagnostic::warning(
                    "blueprint::unneeded-exception",
                    span,
                    "approved_exception on a statement the least-privilege lint does not flag",
                )
                .label("nothing to except")
                .help("remove it, so that a real exception stands out in review"),
            );
        }
    } else {
        for d in findings {
            cx.push(d);
        }
    }
    if error_count(cx) > errors {
        return None;
    }
    let mut json = node.to_json();
    if let Value::Object(map) = &mut json {
        map.shift_remove(EXCEPTION_KEY);
    }
    Some(json)
}

/// Checks the placeholders of every string in a statement (keys too), except its `Sid` and
/// exception reason.
fn walk_strings(cx: &mut Cx, env: &Env<'_>, scope: Scope<'_>, node: &Node) {
    match &node.kind {
        NodeKind::Scalar { value, .. } => {
            check_placeholders(cx, env, scope, value, node.span);
        }
        NodeKind::Seq(items) => {
            for item in items {
                walk_strings(cx, env, scope, item);
            }
        }
        NodeKind::Map(entries) => {
            for (k, v) in entries {
                if matches!(&k.kind, NodeKind::Scalar { value, .. } if value == "Sid" || value == EXCEPTION_KEY) {
                    continue;
                }
                walk_strings(cx, env, scope, k);
                walk_strings(cx, env, scope, v);
            }
        }
    }
}

/// Checks the placeholders of one string of a policy document or policy ARN.
pub(crate) fn check_placeholders(cx: &mut Cx, env: &Env<'_>, scope: Scope<'_>, text: &str, span: Span) -> bool {
    let parsed = Template::document(text);
    match parsed.problem() {
        None => {}
        Some(problem) => {
            let at = crate::validate::sub_span(env.src, span, &text[problem.at()..]);
            cx.push(
                Diagnostic::error("blueprint::template", at, format!("unclosed `{{` in `{text}`"))
                    .label("unclosed")
                    .help("placeholders are written `{account_id}`; IAM policy variables `${aws:username}`"),
            );
            return false;
        }
    }
    let mut ok = true;
    for p in parsed.placeholders() {
        let at = crate::validate::sub_span(env.src, span, &text[p.range.clone()]);
        if let Some(problem) = placeholder_problem(env, scope, p.name) {
            ok = false;
            cx.push(problem.at(at));
        }
    }
    ok
}

/// What is wrong with a placeholder, as a diagnostic without its span yet.
struct Problem(Diagnostic);

impl Problem {
    fn new(code: &'static str, message: String, label: &str, help: String) -> Self {
        Problem(Diagnostic::error(code, Span::default(), message).label(label).help(help))
    }

    fn at(mut self, span: Span) -> Diagnostic {
        self.0.span = span;
        self.0
    }
}

fn placeholder_problem(env: &Env<'_>, scope: Scope<'_>, name: &str) -> Option<Problem> {
    if let Some(account) = name.strip_prefix("account_id:") {
        if env.accounts.iter().any(|a| a.name.value == account) {
            return None;
        }
        let names: Vec<&str> = env.accounts.iter().map(|a| a.name.value.as_str()).collect();
        let help = match suggest(account, &names) {
            Some(s) => format!("did you mean `{{account_id:{s}}}`?"),
            None => "name an account of the blueprint; the management account is `{management_account_id}`".to_owned(),
        };
        return Some(Problem::new(
            "blueprint::unknown-placeholder",
            format!("`{{{name}}}` names no account of the blueprint"),
            "unknown account",
            help,
        ));
    }
    if !DOCUMENT_PLACEHOLDERS.contains(&name) {
        let list = DOCUMENT_PLACEHOLDERS.iter().map(|p| Name::parse(p).to_string()).collect::<Vec<_>>().join(", ");
        let help = if let Some(s) = suggest(name, DOCUMENT_PLACEHOLDERS) {
            format!("did you mean `{{{s}}}`? placeholders are {list} and {{account_id:NAME}}")
        } else if name.contains(':') {
            format!("IAM policy variables are written `${{{name}}}`; placeholders are {list} and {{account_id:NAME}}")
        } else {
            format!("placeholders are {list} and {{account_id:NAME}}")
        };
        return Some(Problem::new(
            "blueprint::unknown-placeholder",
            format!("unknown placeholder `{{{name}}}` in a policy"),
            "not a placeholder",
            help,
        ));
    }
    match (name, scope) {
        ("workload" | "env", Scope::Hub) => Some(Problem::new(
            "blueprint::hub-placeholder",
            format!("`{{{name}}}` has no value in a group's policy"),
            "the hub has no workload",
            "group policies live in the identity hub, where {account_id} and {account} are the hub itself; \
             name workload accounts with {account_id:NAME}, or move the statement to a role"
                .to_owned(),
        )),
        ("workload" | "env", Scope::Accounts(accounts)) => {
            let plain: Vec<&str> = accounts
                .iter()
                .filter(|a| a.origin == AccountOrigin::Explicit)
                .map(|a| a.name.value.as_str())
                .collect();
            (!plain.is_empty()).then(|| {
                Problem::new(
                    "blueprint::hub-placeholder",
                    format!("`{{{name}}}` has no value in account `{}`, which is not a workload account", plain[0]),
                    "only workload accounts have one",
                    format!(
                        "the role is also deployed to {}; select only workload accounts (e.g. `select: {{ workloads: [...] }}`) or drop the placeholder",
                        plain.join(", ")
                    ),
                )
            })
        }
        ("account_id" | "account" | "workload" | "env", Scope::PermissionSet) => Some(Problem::new(
            "blueprint::permission-set-placeholder",
            format!("`{{{name}}}` has no single value in a permission set"),
            "differs per account",
            "one permission set document serves every account it is provisioned to: use an IAM policy variable \
             such as `${aws:PrincipalAccount}` (or `${aws:PrincipalTag/...}`), name an account with \
             {account_id:NAME}, or make a separate permission set per workload"
                .to_owned(),
        )),
        ("hub_account_id", _) if !env.has_hub => Some(Problem::new(
            "blueprint::no-hub",
            "`{hub_account_id}` needs an `identity` section".to_owned(),
            "no identity hub",
            "add an `identity:` section naming the hub account".to_owned(),
        )),
        _ => None,
    }
}

/// The values placeholders take when measuring a policy document's size.
pub(crate) struct SizeVars<'a> {
    /// `{account}`.
    pub(crate) account: &'a str,
    /// `{workload}`.
    pub(crate) workload: &'a str,
    /// `{env}`.
    pub(crate) env: &'a str,
    /// `{region}`.
    pub(crate) region: &'a str,
}

fn expand_value(value: &Value, vars: &SizeVars<'_>) -> Value {
    let cx = Context {
        account: Some(vars.account.into()),
        workload: Some(vars.workload.into()),
        env: Some(vars.env.into()),
        region: Some(vars.region.into()),
        ..Context::longest()
    };
    template::map_json(value, true, &|s| Template::document(s).expand(&cx))
}

/// Characters of the minified document once its placeholders are expanded with `vars`
/// (account ids count [`ACCOUNT_ID_CHARS`], the organization id its longest form).
pub(crate) fn policy_chars(document: &Value, vars: &SizeVars<'_>) -> usize {
    expand_value(document, vars).to_string().chars().count()
}

#[cfg(test)]
mod tests {
    use super::*;

    const VARS: SizeVars<'static> =
        SizeVars { account: "jira-prod", workload: "jira", env: "prod", region: "eu-west-1" };

    #[test]
    fn force_mfa_policy_fits_a_managed_policy_and_denies_without_mfa() {
        let doc = force_mfa_policy();
        let chars = policy_chars(&doc, &VARS);
        assert!(chars <= MAX_MANAGED_POLICY_CHARS, "{chars} characters");
        assert_eq!(doc["Version"], POLICY_VERSION);
        let statements = doc["Statement"].as_array().unwrap();
        let deny = statements.iter().find(|s| s["Effect"] == "Deny").unwrap();
        assert_eq!(deny["Resource"], "*");
        assert_eq!(deny["Condition"]["BoolIfExists"]["aws:MultiFactorAuthPresent"], "false");
        let not_action: Vec<&str> = deny["NotAction"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
        for needed in ["iam:CreateVirtualMFADevice", "iam:EnableMFADevice", "iam:GetUser", "sts:GetSessionToken"] {
            assert!(not_action.contains(&needed), "{needed}");
        }
        // A long-term access key (no MFA context at all) cannot enrol a device or set a password.
        let key_deny = statements.iter().find(|s| s["Sid"] == "DenyCredentialSetupWithAccessKey").unwrap();
        assert_eq!(
            key_deny,
            &json!({
                "Sid": "DenyCredentialSetupWithAccessKey",
                "Effect": "Deny",
                "Action": ["iam:ChangePassword", "iam:CreateVirtualMFADevice", "iam:EnableMFADevice", "iam:ResyncMFADevice"],
                "Resource": "*",
                "Condition": { "Null": { "aws:MultiFactorAuthPresent": "true" } }
            })
        );
        // No self-service credential that lets a user mint keys.
        let allowed: Vec<&str> = statements
            .iter()
            .filter(|s| s["Effect"] == "Allow")
            .flat_map(|s| s["Action"].as_array().unwrap().iter().map(|a| a.as_str().unwrap()))
            .collect();
        for minting in [
            "iam:CreateAccessKey",
            "iam:UploadSigningCertificate",
            "iam:UploadSSHPublicKey",
            "iam:CreateServiceSpecificCredential",
            "iam:ResetServiceSpecificCredential",
        ] {
            assert!(!allowed.contains(&minting), "{minting}");
        }
        // Everything allowed without MFA is the user's own; Resource `*` only for reads.
        for s in statements.iter().filter(|s| s["Effect"] == "Allow") {
            let r = s["Resource"].as_str().unwrap();
            assert!(
                r == "arn:aws:iam::*:user/${aws:username}"
                    || r == "arn:aws:iam::*:mfa/*"
                    || s["Sid"] == "AllowViewAccountInfo",
                "{s}"
            );
        }
        let sids: std::collections::BTreeSet<&str> = statements.iter().map(|s| s["Sid"].as_str().unwrap()).collect();
        assert_eq!(sids.len(), statements.len());
    }

    #[test]
    fn sizes_count_account_ids_as_twelve_characters() {
        let doc =
            json!({ "R": "arn:aws:s3:::b-{env}-{account_id}/{account_id:log-archive}/{org_id}/{region}/{account}" });
        let expanded = expand_value(&doc, &VARS);
        let expected = format!("arn:aws:s3:::b-prod-{0}/{0}/{1}/eu-west-1/jira-prod", "0".repeat(12), "o".repeat(34));
        assert_eq!(expanded["R"], expected);
        assert_eq!(policy_chars(&doc, &VARS), expanded.to_string().len());
    }

    #[test]
    fn assume_role_statement_lists_every_role_and_account_once() {
        let grants = [
            Grant {
                role: "jira-admin".into(),
                path: "/groundwork/".into(),
                accounts: vec!["jira-dev".into(), "jira-prod".into()],
            },
            Grant { role: "jira-admin".into(), path: "/groundwork/".into(), accounts: vec!["jira-prod".into()] },
        ];
        let s = assume_role_statement(&grants).unwrap();
        assert_eq!(s["Action"], "sts:AssumeRole");
        assert_eq!(
            s["Resource"],
            json!([
                "arn:aws:iam::{account_id:jira-dev}:role/groundwork/jira-admin",
                "arn:aws:iam::{account_id:jira-prod}:role/groundwork/jira-admin"
            ])
        );
        assert!(assume_role_statement(&[]).is_none());
    }
}
