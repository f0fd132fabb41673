//! Wildcards, ARNs and policy variables.

use crate::Context;

/// A literal `*` from `${*}` inside a substituted pattern.
const LITERAL_STAR: char = '\u{E000}';
/// A literal `?` from `${?}`.
const LITERAL_QUESTION: char = '\u{E001}';

/// Whether `text` matches `pattern`, where `*` is any run of characters and `?` any one.
pub fn wildcard_match(pattern: &str, text: &str, ignore_case: bool) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let same = |a: char, b: char| {
        let a = match a {
            LITERAL_STAR => '*',
            LITERAL_QUESTION => '?',
            c => c,
        };
        if ignore_case { a.eq_ignore_ascii_case(&b) } else { a == b }
    };
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || (p[pi] != '*' && same(p[pi], t[ti]))) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

/// `ArnLike`: each of the six colon-separated fields matched on its own, case-sensitively
/// (the resource part may itself contain colons).
pub fn arn_like(pattern: &str, arn: &str) -> bool {
    if pattern == "*" {
        return true;
    }
    let p: Vec<&str> = pattern.splitn(6, ':').collect();
    let a: Vec<&str> = arn.splitn(6, ':').collect();
    if p.len() != 6 || a.len() != 6 {
        return wildcard_match(pattern, arn, false);
    }
    p.iter().zip(&a).all(|(p, a)| wildcard_match(p, a, false))
}

/// Replaces the policy variables of `text` from the request context: `${aws:username}`,
/// `${aws:PrincipalTag/team, 'none'}` (with a default), and `${*}`, `${?}`, `${$}` (the literal
/// characters). `None` when a variable has no value and no default: the element that holds it
/// matches nothing ("Policy variables with no value", IAM User Guide).
pub(crate) fn substitute(text: &str, context: &Context) -> Option<String> {
    if !text.contains("${") {
        return Some(text.to_owned());
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("${") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 2..];
        let Some(end) = after.find('}') else {
            out.push_str(&rest[i..]);
            return Some(out);
        };
        let inner = after[..end].trim();
        match inner {
            "*" => out.push(LITERAL_STAR),
            "?" => out.push(LITERAL_QUESTION),
            "$" => out.push('$'),
            _ => {
                let (key, default) = match inner.split_once(',') {
                    Some((k, d)) => (k.trim(), Some(d.trim().trim_matches('\'').replace("''", "'"))),
                    None => (inner, None),
                };
                match (context.get(key), default) {
                    (Some([one]), _) => out.push_str(one),
                    (_, Some(d)) => out.push_str(&d),
                    _ => return None,
                }
            }
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards() {
        assert!(wildcard_match("ec2:Describe*", "ec2:DescribeInstances", true));
        assert!(wildcard_match("EC2:describe*", "ec2:DescribeInstances", true));
        assert!(!wildcard_match("EC2:describe*", "ec2:DescribeInstances", false));
        assert!(wildcard_match("s3:Get?bject", "s3:GetObject", true));
        assert!(!wildcard_match("s3:Get", "s3:GetObject", true));
        assert!(wildcard_match("*", "", true));
    }

    #[test]
    fn arns_match_field_by_field() {
        assert!(arn_like("arn:aws:ec2:*:111111111111:instance/*", "arn:aws:ec2:eu-west-1:111111111111:instance/i-1"));
        assert!(!arn_like("arn:aws:ec2:*:111111111111:instance/*", "arn:aws:ec2:eu-west-1:222222222222:instance/i-1"));
        // `*` in one field does not reach into the next.
        assert!(!arn_like("arn:aws:iam::*:role/x", "arn:aws:iam::111111111111:user/role/x"));
        assert!(arn_like("arn:aws:logs:*:*:log-group:a:*", "arn:aws:logs:eu-west-1:1:log-group:a:log-stream:b"));
    }

    #[test]
    fn variables() {
        let mut cx = Context::new();
        cx.set("aws:username", "alice");
        assert_eq!(substitute("arn:aws:iam::*:user/${aws:username}", &cx).unwrap(), "arn:aws:iam::*:user/alice");
        assert_eq!(substitute("${aws:PrincipalTag/team}", &cx), None);
        assert_eq!(substitute("${aws:PrincipalTag/team, 'none'}", &cx).unwrap(), "none");
        let literal = substitute("a${*}b", &cx).unwrap();
        assert!(wildcard_match(&literal, "a*b", false));
        assert!(!wildcard_match(&literal, "axb", false));
    }
}
