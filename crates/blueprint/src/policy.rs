//! Policy documents written in a blueprint: their `{placeholders}`, the shape checks of a service
//! control policy, and the size AWS will measure once the placeholders are expanded.

use std::collections::HashMap;
use std::ops::Range;

use serde_json::Value;

use crate::diag::Diagnostic;
use crate::schema::{Cx, did_you_mean};
use crate::template::{self, Context, DOCUMENT as DOCUMENT_PLACEHOLDERS, Name, Template, suggest};
use crate::yaml::{Node, NodeKind, Span};

/// The policy language version every document uses.
pub const POLICY_VERSION: &str = "2012-10-17";
/// The size AWS will measure for a service control policy: the characters of its minified JSON,
/// with each account ID placeholder (`{account_id:NAME}`, `{management_account_id}`,
/// `{hub_account_id}`) counted as 12 characters, `{org_id}` as 34 and `{region}` as the longest
/// region code.
pub fn scp_size(document: &Value) -> usize {
    let longest = Context::longest();
    let measured = template::map_json(document, true, &|s| Template::document(s).expand(&longest));
    serde_json::to_string(&measured).map_or(0, |s| s.chars().count())
}

/// The span of `value[range]` inside the scalar at `span` in `src`: exact for plain scalars and
/// for quoted ones without escapes before it; the whole scalar when it cannot be found.
pub(crate) fn piece_span(src: &str, span: Span, value: &str, range: Range<usize>) -> Span {
    let hay = src.get(span.start..span.end).unwrap_or("");
    let needle = &value[range.clone()];
    let nth = value[..range.start].matches(needle).count();
    let mut from = 0;
    for _ in 0..nth {
        match hay[from..].find(needle) {
            Some(i) => from += i + needle.len(),
            None => return span,
        }
    }
    let Some(i) = hay[from..].find(needle).map(|i| from + i) else { return span };
    let before = &hay[..i];
    let (line, col) = match before.rfind('\n') {
        Some(nl) => (span.line + before.matches('\n').count(), before[nl + 1..].chars().count() + 1),
        None => (span.line, span.col + before.chars().count()),
    };
    Span { start: span.start + i, end: span.start + i + needle.len(), line, col }
}

/// What a document's placeholders may refer to.
pub(crate) struct PlaceholderRules<'a> {
    /// Account names `{account_id:NAME}` may use.
    pub(crate) accounts: &'a [&'a str],
    /// Placeholders that have no value where the document is used.
    pub(crate) meaningless: &'a [&'a str],
    /// Why they have none (help text).
    pub(crate) why: &'a str,
}

/// Checks every placeholder in the strings (keys included) of a document. Returns whether all
/// were fine.
pub(crate) fn check_placeholders(cx: &mut Cx, src: &str, node: &Node, rules: &PlaceholderRules<'_>) -> bool {
    match &node.kind {
        NodeKind::Scalar { value, .. } => check_string(cx, src, node.span, value, rules),
        NodeKind::Seq(items) => items.iter().fold(true, |ok, n| check_placeholders(cx, src, n, rules) & ok),
        NodeKind::Map(entries) => entries.iter().fold(true, |ok, (k, v)| {
            let key = check_placeholders(cx, src, k, rules);
            check_placeholders(cx, src, v, rules) & key & ok
        }),
    }
}

fn check_string(cx: &mut Cx, src: &str, span: Span, value: &str, rules: &PlaceholderRules<'_>) -> bool {
    let parsed = Template::document(value);
    match parsed.problem() {
        None => {}
        Some(problem) => {
            let open = problem.at();
            cx.push(
                Diagnostic::error(
                    "blueprint::template",
                    piece_span(src, span, value, open..value.len()),
                    format!("unclosed `{{` in `{value}`"),
                )
                .label("never closed")
                .help("placeholders are written `{name}`; IAM policy variables `${aws:username}`"),
            );
            return false;
        }
    }
    let mut ok = true;
    for p in parsed.placeholders() {
        let at = piece_span(src, span, value, p.range.clone());
        if let Some(account) = p.name.strip_prefix("account_id:") {
            if rules.accounts.contains(&account) {
                continue;
            }
            ok = false;
            let mut d = Diagnostic::error(
                "blueprint::unknown-account",
                at,
                format!("`{{{}}}` names account `{account}`, which is not in the blueprint", p.name),
            )
            .label("unknown account");
            d = match suggest(account, rules.accounts) {
                Some(s) => d.help(format!("did you mean `{{account_id:{s}}}`?")),
                None => d.help("use the name of an account of `accounts` or of an expanded workload"),
            };
            cx.push(d);
        } else if rules.meaningless.contains(&p.name) {
            ok = false;
            cx.push(
                Diagnostic::error(
                    "blueprint::placeholder-context",
                    at,
                    format!("placeholder `{{{}}}` has no value here", p.name),
                )
                .label("no single value")
                .help(rules.why.to_owned()),
            );
        } else if !DOCUMENT_PLACEHOLDERS.contains(&p.name) {
            ok = false;
            let known: Vec<&str> =
                DOCUMENT_PLACEHOLDERS.iter().copied().filter(|n| !rules.meaningless.contains(n)).collect();
            let list = known.iter().map(|n| Name::parse(n).to_string()).collect::<Vec<_>>().join(", ");
            let mut d = Diagnostic::error(
                "blueprint::unknown-placeholder",
                at,
                format!("unknown placeholder `{{{}}}` in policy document", p.name),
            )
            .label("not a placeholder");
            d = match suggest(p.name, &known) {
                Some(s) => d.help(format!("did you mean `{{{s}}}`? placeholders here are {list}, {{account_id:NAME}}")),
                None => d.help(format!(
                    "placeholders here are {list}, {{account_id:NAME}}; IAM policy variables are written `${{...}}`"
                )),
            };
            cx.push(d);
        }
    }
    ok
}

const DOCUMENT_KEYS: &[&str] = &["Version", "Id", "Statement"];
const STATEMENT_KEYS: &[&str] =
    &["Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Condition", "Principal", "NotPrincipal"];
/// IAM condition operators (without the `IfExists` suffix and the set prefixes).
const CONDITION_OPERATORS: &[&str] = &[
    "StringEquals",
    "StringNotEquals",
    "StringEqualsIgnoreCase",
    "StringNotEqualsIgnoreCase",
    "StringLike",
    "StringNotLike",
    "NumericEquals",
    "NumericNotEquals",
    "NumericLessThan",
    "NumericLessThanEquals",
    "NumericGreaterThan",
    "NumericGreaterThanEquals",
    "DateEquals",
    "DateNotEquals",
    "DateLessThan",
    "DateLessThanEquals",
    "DateGreaterThan",
    "DateGreaterThanEquals",
    "Bool",
    "BinaryEquals",
    "IpAddress",
    "NotIpAddress",
    "ArnEquals",
    "ArnLike",
    "ArnNotEquals",
    "ArnNotLike",
    "Null",
];

/// The key node of `key` in a mapping node.
pub(crate) fn key_node<'n>(node: &'n Node, key: &str) -> Option<&'n Node> {
    let NodeKind::Map(entries) = &node.kind else { return None };
    entries.iter().map(|(k, _)| k).find(|k| matches!(&k.kind, NodeKind::Scalar { value, .. } if value == key))
}

fn wrong_type(cx: &mut Cx, node: &Node, expected: &str, what: &str) {
    cx.push(
        Diagnostic::error(
            "blueprint::wrong-type",
            node.span,
            format!("{what} must be {expected}, found {}", node.type_name()),
        )
        .label(format!("expected {expected}")),
    );
}

/// Checks the shape of a service control policy written in the blueprint. Returns whether it is
/// a mapping at all (when not, nothing inside it is worth checking).
pub(crate) fn check_scp_document(cx: &mut Cx, node: &Node) -> bool {
    if let NodeKind::Scalar { plain: false, .. } = &node.kind {
        cx.push(
            Diagnostic::error(
                "blueprint::wrong-type",
                node.span,
                "the policy document must be a mapping, found a string",
            )
            .label("expected a mapping")
            .help("write the document as YAML, or paste the JSON object unquoted (JSON is a YAML flow mapping)"),
        );
        return false;
    }
    let Some(f) = cx.map(node, "the policy document", DOCUMENT_KEYS) else { return false };
    if let Some(v) = cx.required(&f, "Version", "the policy document")
        && let Some(version) = cx.string(v, "Version")
        && version.value != POLICY_VERSION
    {
        cx.push(
            Diagnostic::error(
                "blueprint::policy-version",
                version.span,
                format!("policy version `{}` is not `{POLICY_VERSION}`", version.value),
            )
            .label("unsupported version")
            .help(format!("write `Version: \"{POLICY_VERSION}\"`, the current policy language")),
        );
    }
    if let Some(id) = f.get("Id") {
        cx.string(id, "Id");
    }
    let Some(st) = cx.required(&f, "Statement", "the policy document") else { return true };
    let statements: Vec<&Node> = match &st.kind {
        NodeKind::Seq(items) => items.iter().collect(),
        NodeKind::Map(_) => vec![st],
        NodeKind::Scalar { .. } => {
            wrong_type(cx, st, "a list of statements or one statement", "Statement");
            return true;
        }
    };
    if statements.is_empty() {
        cx.push(
            Diagnostic::error("blueprint::policy-statement", st.span, "a policy needs at least one statement")
                .label("no statement"),
        );
    }
    let mut sids: HashMap<String, Span> = HashMap::new();
    for s in statements {
        check_statement(cx, s, &mut sids);
    }
    true
}

/// A statement id: letters and digits, unique within its policy.
pub(crate) fn check_sid(cx: &mut Cx, node: Option<&Node>, sids: &mut HashMap<String, Span>) {
    if let Some(sid) = node.and_then(|n| cx.string(n, "Sid")) {
        if sid.value.is_empty() || !sid.value.chars().all(|c| c.is_ascii_alphanumeric()) {
            cx.push(
                Diagnostic::error(
                    "blueprint::policy-sid",
                    sid.span,
                    format!("Sid `{}` is not letters and digits", sid.value),
                )
                .label("invalid Sid")
                .help("a statement ID may use A-Z, a-z and 0-9 only"),
            );
        } else if let Some(first) = sids.get(&sid.value) {
            cx.push(
                Diagnostic::error(
                    "blueprint::policy-sid",
                    sid.span,
                    format!("Sid `{}` is used twice in this policy", sid.value),
                )
                .label("second statement with this Sid")
                .related(*first, "first statement with this Sid")
                .help("statement IDs must be unique within a policy"),
            );
        } else {
            sids.insert(sid.value, sid.span);
        }
    }
}

fn check_statement(cx: &mut Cx, node: &Node, sids: &mut HashMap<String, Span>) {
    let Some(f) = cx.map(node, "a policy statement", STATEMENT_KEYS) else { return };
    check_sid(cx, f.get("Sid"), sids);
    let effect = cx.required(&f, "Effect", "a policy statement").and_then(|e| cx.string(e, "Effect"));
    let deny = effect.as_ref().is_some_and(|e| e.value == "Deny");
    if let Some(effect) = effect
        && !matches!(effect.value.as_str(), "Allow" | "Deny")
    {
        let d =
            Diagnostic::error("blueprint::policy-effect", effect.span, format!("unknown effect `{}`", effect.value))
                .label("not an effect");
        cx.push(match did_you_mean(&effect.value, ["Allow", "Deny"]) {
            Some(s) => d.help(format!("did you mean `{s}`? the effect is `Allow` or `Deny`")),
            None => d.help("the effect is `Allow` or `Deny`"),
        });
    }
    for key in ["Principal", "NotPrincipal"] {
        if let Some(k) = key_node(node, key) {
            cx.push(
                Diagnostic::error(
                    "blueprint::scp-principal",
                    k.span,
                    format!("a service control policy cannot have `{key}`"),
                )
                .label("not allowed in an SCP")
                .help(
                    "an SCP applies to every principal of the accounts it is attached to; to exempt or single out \
                         principals use a `Condition` on `aws:PrincipalArn`",
                ),
            );
        }
    }
    let errors = crate::lint::error_count(cx);
    let actions = one_of(cx, node, &f, ["Action", "NotAction"], check_action);
    let resources = one_of(cx, node, &f, ["Resource", "NotResource"], check_resource);
    if let Some(c) = f.get("Condition") {
        check_condition(cx, c);
    }
    if crate::lint::error_count(cx) == errors {
        crate::intel::check(
            cx,
            &crate::intel::Statement {
                deny,
                actions: actions.as_ref().map(|(not, v)| (*not, v.as_slice())),
                resources: resources.as_ref().map(|(not, v)| (*not, v.as_slice())),
                condition: f.get("Condition"),
            },
        );
    }
}

/// Exactly one of two keys (`Action`/`NotAction`), whose value is a string or a list of strings,
/// each checked with `check`. Returns whether it is the second key, and the values.
fn one_of(
    cx: &mut Cx,
    node: &Node,
    f: &crate::schema::Fields<'_>,
    keys: [&str; 2],
    check: fn(&mut Cx, &crate::model::Spanned<String>),
) -> Option<(bool, Vec<(String, Span)>)> {
    let (a, b) = (f.get(keys[0]), f.get(keys[1]));
    let value = match (a, b) {
        (Some(_), Some(_)) => {
            let second = key_node(node, keys[1]).map_or(node.span, |k| k.span);
            let first = key_node(node, keys[0]).map_or(node.span, |k| k.span);
            cx.push(
                Diagnostic::error(
                    "blueprint::policy-statement",
                    second,
                    format!("a statement has either `{}` or `{}`, not both", keys[0], keys[1]),
                )
                .label("second one")
                .related(first, "first one"),
            );
            return None;
        }
        (Some(v), None) | (None, Some(v)) => v,
        (None, None) => {
            cx.push(
                Diagnostic::error(
                    "blueprint::policy-statement",
                    Span { end: node.span.start, ..node.span },
                    format!("a policy statement needs `{}` or `{}`", keys[0], keys[1]),
                )
                .label("statement starts here"),
            );
            return None;
        }
    };
    let what = if a.is_some() { keys[0] } else { keys[1] };
    let items: Vec<&Node> = match &value.kind {
        NodeKind::Seq(items) => items.iter().collect(),
        NodeKind::Scalar { .. } => vec![value],
        NodeKind::Map(_) => {
            wrong_type(cx, value, "a string or a list of strings", what);
            return None;
        }
    };
    if items.is_empty() {
        cx.push(
            Diagnostic::error("blueprint::policy-statement", value.span, format!("`{what}` is an empty list"))
                .label("nothing listed"),
        );
    }
    let mut values = Vec::new();
    for item in items {
        if let Some(s) = cx.string(item, what) {
            check(cx, &s);
            values.push((s.value, s.span));
        }
    }
    Some((b.is_some(), values))
}

fn check_action(cx: &mut Cx, action: &crate::model::Spanned<String>) {
    let ok = action.value == "*"
        || action.value.split_once(':').is_some_and(|(service, name)| {
            !service.is_empty()
                && service.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                && !name.is_empty()
                && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'*' || b == b'?')
        });
    if !ok {
        cx.push(
            Diagnostic::error(
                "blueprint::policy-action",
                action.span,
                format!("`{}` is not an IAM action", action.value),
            )
            .label("not an action")
            .help("actions are written `service:Action` (wildcards allowed), e.g. `s3:GetObject`, `ec2:*`, or `*`"),
        );
    }
}

fn check_resource(cx: &mut Cx, resource: &crate::model::Spanned<String>) {
    if resource.value != "*" && !resource.value.starts_with("arn:") {
        cx.push(
            Diagnostic::error(
                "blueprint::policy-resource",
                resource.span,
                format!("resource `{}` is not an ARN", resource.value),
            )
            .label("not an ARN")
            .help("resources are ARNs such as `arn:aws:s3:::my-bucket/*`, or `*`"),
        );
    }
}

fn known_operator(op: &str) -> bool {
    let op = op.strip_prefix("ForAllValues:").or_else(|| op.strip_prefix("ForAnyValue:")).unwrap_or(op);
    let op = if op == "Null" { op } else { op.strip_suffix("IfExists").unwrap_or(op) };
    CONDITION_OPERATORS.contains(&op)
}

fn check_condition(cx: &mut Cx, node: &Node) {
    let NodeKind::Map(entries) = &node.kind else {
        wrong_type(cx, node, "a mapping of condition operators", "Condition");
        return;
    };
    let mut operators: HashMap<&str, Span> = HashMap::new();
    for (k, v) in entries {
        let Some(op) = cx.string(k, "a condition operator") else { continue };
        if let Some(first) = operators.get(op.value.as_str()) {
            cx.push(
                Diagnostic::error(
                    "blueprint::duplicate-key",
                    k.span,
                    format!("duplicate condition operator `{}`", op.value),
                )
                .label("repeated here")
                .related(*first, "first set here")
                .help("merge the two into one mapping of condition keys"),
            );
            continue;
        }
        if let NodeKind::Scalar { value, .. } = &k.kind {
            operators.insert(value, k.span);
        }
        if !known_operator(&op.value) {
            let d = Diagnostic::error(
                "blueprint::policy-condition",
                op.span,
                format!("unknown condition operator `{}`", op.value),
            )
            .label("not an operator");
            cx.push(match did_you_mean(&op.value, CONDITION_OPERATORS.iter().copied()) {
                Some(s) => d.help(format!("did you mean `{s}`?")),
                None => d.help("operators are e.g. `StringEquals`, `StringNotLike`, `ArnNotLike`, `Bool`, `Null`"),
            });
        }
        let NodeKind::Map(keys) = &v.kind else {
            wrong_type(cx, v, "a mapping of condition keys to values", &format!("`{}`", op.value));
            continue;
        };
        let mut seen: HashMap<&str, Span> = HashMap::new();
        for (ck, cv) in keys {
            let Some(key) = cx.string(ck, "a condition key") else { continue };
            if let Some(first) = seen.get(key.value.as_str()) {
                cx.push(
                    Diagnostic::error(
                        "blueprint::duplicate-key",
                        ck.span,
                        format!("duplicate condition key `{}`", key.value),
                    )
                    .label("repeated here")
                    .related(*first, "first set here"),
                );
                continue;
            }
            if let NodeKind::Scalar { value, .. } = &ck.kind {
                seen.insert(value, ck.span);
            }
            let nested = match &cv.kind {
                NodeKind::Map(_) => true,
                NodeKind::Seq(items) => items.iter().any(|i| !matches!(i.kind, NodeKind::Scalar { .. })),
                NodeKind::Scalar { .. } => false,
            };
            if nested {
                wrong_type(cx, cv, "a value or a list of values", &format!("condition key `{}`", key.value));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn size_counts_placeholders_at_their_expanded_length() {
        let plain = json!({"Version": "2012-10-17", "Statement": [{"Resource": "x"}]});
        let base = serde_json::to_string(&plain).unwrap().len();
        assert_eq!(scp_size(&plain), base);
        let with = |s: &str| json!({"Version": "2012-10-17", "Statement": [{"Resource": s}]});
        // `x` (1 char) becomes a placeholder expanding to 12, 34 or 14 characters.
        assert_eq!(scp_size(&with("{account_id:a-very-long-account-name}")), base - 1 + 12);
        assert_eq!(scp_size(&with("{management_account_id}")), base - 1 + 12);
        assert_eq!(scp_size(&with("{org_id}")), base - 1 + 34);
        assert_eq!(scp_size(&with("{region}")), base - 1 + 14);
        // Policy variables and unknown names are counted as written.
        assert_eq!(scp_size(&with("${aws:username}")), base - 1 + "${aws:username}".len());
        // Non-ASCII text counts characters, not bytes.
        assert_eq!(scp_size(&with("é")), base);
    }

    #[test]
    fn piece_span_finds_the_right_occurrence() {
        let src = "k: \"{a}-{a}\"\n";
        let span = Span { start: 3, end: 12, line: 1, col: 4 };
        let s = piece_span(src, span, "{a}-{a}", 4..7);
        assert_eq!((s.start, s.end, s.col), (8, 11, 9));
        let src = "k: |\n  x {b}\n";
        let span = Span { start: 3, end: src.len(), line: 1, col: 4 };
        let s = piece_span(src, span, "x {b}\n", 2..5);
        assert_eq!((s.line, s.col), (2, 5));
    }
}
