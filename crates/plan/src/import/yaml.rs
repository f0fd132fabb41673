//! A small YAML writer for blueprints: block mappings and sequences, short lists and mappings of
//! scalars in flow style, strings plain when they read back as the same string and double-quoted
//! otherwise. Only what a blueprint needs; the output is always parsed again by the validator.

use serde_json::{Map, Value};

/// Longest line a flow collection may make before it is written as a block.
const MAX_FLOW_LINE: usize = 100;

/// Words YAML parsers read as something other than a string.
const RESERVED: &[&str] =
    &["true", "false", "yes", "no", "on", "off", "y", "n", "null", "~", ".inf", "-.inf", "+.inf", ".nan"];

/// Whether `s` may be written as a plain scalar and read back as the same string.
fn plain_ok(s: &str, flow: bool) -> bool {
    let Some(first) = s.chars().next() else { return false };
    if s.trim() != s || !(first.is_ascii_alphanumeric() || matches!(first, '_' | '/' | '.')) {
        return false;
    }
    let allowed = |c: char| {
        c.is_ascii_alphanumeric()
            || matches!(
                c,
                ' ' | '_' | '-' | '.' | '/' | ':' | '@' | '+' | '=' | '*' | '(' | ')' | '\'' | ';' | '!' | '?'
            )
            || (!flow && c == ',')
    };
    if !s.chars().all(allowed) || s.contains(": ") || s.ends_with(':') || s.contains(" #") {
        return false;
    }
    if RESERVED.iter().any(|r| s.eq_ignore_ascii_case(r)) {
        return false;
    }
    // Numbers, dates, times and sexagesimals ("2012-10-17", "1e3", "0x1f", "1:20") are not strings.
    let lower = s.to_ascii_lowercase();
    if ["0x", "0o", "0b"].iter().any(|p| lower.starts_with(p)) {
        return false;
    }
    let numberish = s.chars().all(|c| c.is_ascii_digit() || matches!(c, '.' | '+' | '-' | '_' | ':' | 'e' | 'E'));
    let starts = s.starts_with(|c: char| c.is_ascii_digit() || matches!(c, '.' | '+' | '-'));
    !(numberish && starts && s.chars().any(|c| c.is_ascii_digit()))
}

/// A string as a YAML scalar.
pub(crate) fn string(s: &str, flow: bool) -> String {
    if plain_ok(s, flow) { s.to_owned() } else { quoted(s) }
}

/// A double-quoted YAML string (JSON's escapes are YAML's).
pub(crate) fn quoted(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".to_owned())
}

/// A mapping key: plain unless it needs quotes or holds a `:` (condition keys such as
/// `aws:SourceArn` read better quoted).
pub(crate) fn key(s: &str) -> String {
    if plain_ok(s, true) && !s.contains(':') { s.to_owned() } else { quoted(s) }
}

fn scalar(v: &Value, flow: bool) -> Option<String> {
    match v {
        Value::String(s) => Some(string(s, flow)),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        Value::Null => Some("null".to_owned()),
        Value::Array(a) if a.is_empty() => Some("[]".to_owned()),
        Value::Object(m) if m.is_empty() => Some("{}".to_owned()),
        _ => None,
    }
}

/// A value in flow style, when it is a scalar or a collection of scalars (or of such
/// collections), else `None`.
pub(crate) fn flow(v: &Value) -> Option<String> {
    if let Some(s) = scalar(v, true) {
        return Some(s);
    }
    match v {
        Value::Array(items) => {
            let parts: Option<Vec<String>> = items.iter().map(flow).collect();
            Some(format!("[{}]", parts?.join(", ")))
        }
        Value::Object(m) => {
            let parts: Option<Vec<String>> = m.iter().map(|(k, v)| Some(format!("{}: {}", key(k), flow(v)?))).collect();
            Some(format!("{{ {} }}", parts?.join(", ")))
        }
        _ => None,
    }
}

/// Whether a value is written in flow style after `head` (a key and colon).
fn flow_after(head: &str, v: &Value) -> Option<String> {
    let nested = |v: &Value| matches!(v, Value::Array(_) | Value::Object(_));
    let simple = match v {
        Value::Array(items) => {
            items.iter().all(|i| !nested(i) || matches!(i, Value::Object(m) if m.values().all(|x| !nested(x))))
        }
        Value::Object(m) => m.values().all(|x| match x {
            Value::Array(items) => items.iter().all(|i| !nested(i)),
            Value::Object(_) => false,
            _ => true,
        }),
        _ => true,
    };
    let text = flow(v)?;
    (simple && head.len() + 1 + text.len() <= MAX_FLOW_LINE).then_some(text)
}

/// The entries of a mapping in block style, each line indented by `indent` spaces.
pub(crate) fn mapping(out: &mut Vec<String>, m: &Map<String, Value>, indent: usize) {
    let pad = " ".repeat(indent);
    for (k, v) in m {
        let head = format!("{pad}{}:", key(k));
        if let Some(s) = scalar(v, false) {
            out.push(format!("{head} {s}"));
        } else if let Some(text) = flow_after(&head, v) {
            out.push(format!("{head} {text}"));
        } else {
            out.push(head);
            value(out, v, indent + 2);
        }
    }
}

/// The items of a sequence in block style.
pub(crate) fn sequence(out: &mut Vec<String>, items: &[Value], indent: usize) {
    let pad = " ".repeat(indent);
    for item in items {
        match item {
            Value::Object(m) if !m.is_empty() => {
                let mut lines = Vec::new();
                mapping(&mut lines, m, indent + 2);
                for (i, line) in lines.into_iter().enumerate() {
                    if i == 0 {
                        out.push(format!("{pad}- {}", &line[indent + 2..]));
                    } else {
                        out.push(line);
                    }
                }
            }
            other => match scalar(other, false).or_else(|| flow(other)) {
                Some(s) => out.push(format!("{pad}- {s}")),
                None => out.push(format!("{pad}- {}", serde_json::to_string(other).unwrap_or_default())),
            },
        }
    }
}

/// Any value in block style below a key.
pub(crate) fn value(out: &mut Vec<String>, v: &Value, indent: usize) {
    match v {
        Value::Object(m) => mapping(out, m, indent),
        Value::Array(items) => sequence(out, items, indent),
        other => out.push(format!("{}{}", " ".repeat(indent), scalar(other, false).unwrap_or_default())),
    }
}

/// Lines turned into comments, keeping their indentation (so removing `# ` restores them).
pub(crate) fn commented(lines: &[String]) -> Vec<String> {
    lines
        .iter()
        .map(|l| {
            let body = l.trim_start();
            let pad = &l[..l.len() - body.len()];
            format!("{pad}# {body}")
        })
        .collect()
}

/// A comment line at `indent`; text on one line.
pub(crate) fn comment(indent: usize, text: &str) -> String {
    let one_line: String = text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    format!("{}# {one_line}", " ".repeat(indent))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn strings_are_quoted_only_when_they_need_it() {
        for plain in [
            "acme",
            "eu-west-1",
            "arn:aws:s3:::b/*",
            "ec2:Describe*",
            "Workloads/Prod",
            "a b",
            "it's",
            "e1",
            "1a",
            "x-0x1",
        ] {
            assert_eq!(string(plain, false), plain, "{plain}");
        }
        for needs in [
            "",
            "*",
            "true",
            "No",
            "null",
            "~",
            "2012-10-17",
            "123456789012",
            "1e3",
            "0x1f",
            "1:20",
            ".inf",
            "a: b",
            "a #b",
            "-x",
            "{account_id}",
            "acme-{account_id}",
            "'x",
            "tab\there",
            " lead",
            "trail:",
            "[x]",
            "&a",
            "!t",
            "%p",
            "@x",
            "`x",
            "|",
            ">",
            "?",
            "\"q\"",
            "é",
            "1.5",
            "+1",
            "-.5",
        ] {
            let q = string(needs, false);
            assert!(q.starts_with('"'), "{needs} -> {q}");
            assert_eq!(serde_json::from_str::<String>(&q).unwrap(), needs);
        }
        assert_eq!(string("a,b", false), "a,b");
        // Whatever is written reads back as the same string, as a value, in a flow list and as a key.
        let all = [
            "acme",
            "eu-west-1",
            "arn:aws:s3:::b/*",
            "ec2:Describe*",
            "it's",
            "e1",
            "1a",
            "*",
            "true",
            "No",
            "~",
            "2012-10-17",
            "123456789012",
            "1e3",
            "0x1f",
            "1:20",
            ".inf",
            "a: b",
            "a #b",
            "-x",
            "{account_id}",
            "a,b",
            "x]",
            "tab\there",
            "é",
            "1.5",
            "-.5",
            "aws:SourceArn",
            "arn:aws:iam::*:user/${aws:username}",
        ];
        for s in all {
            let text = format!("k: {}\nl: [{}]\n{}: v\n", string(s, false), string(s, true), key(s));
            let node = crate::import::tests_support::parse_yaml(&text);
            assert_eq!(node, json!({ "k": s, "l": [s], s: "v" }), "{text}");
        }
        assert_eq!(string("a,b", true), "\"a,b\"");
        assert_eq!(key("aws:SourceArn"), "\"aws:SourceArn\"");
        assert_eq!(key("Owner"), "Owner");
    }

    #[test]
    fn collections_are_flow_when_short_and_block_otherwise() {
        let mut out = Vec::new();
        mapping(
            &mut out,
            json!({
                "name": "x",
                "tags": { "Owner": "team a", "n": "1" },
                "targets": ["Root", { "ou": "Workloads/Prod" }],
                "statements": [{ "Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "*",
                                 "Condition": { "StringEquals": { "aws:SourceArn": "arn:x" } } }],
                "empty": [],
            })
            .as_object()
            .unwrap(),
            0,
        );
        assert_eq!(
            out,
            [
                "name: x",
                "tags: { Owner: team a, \"n\": \"1\" }",
                "targets: [Root, { ou: Workloads/Prod }]",
                "statements:",
                "  - Effect: Allow",
                "    Action: [s3:GetObject]",
                "    Resource: \"*\"",
                "    Condition:",
                "      StringEquals: { \"aws:SourceArn\": arn:x }",
                "empty: []",
            ]
        );
        assert_eq!(commented(&out[3..5]), ["# statements:", "  # - Effect: Allow"]);
        assert_eq!(comment(2, "a\nb"), "  # a b");
    }
}
