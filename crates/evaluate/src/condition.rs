//! The `Condition` element: operators, `...IfExists`, `Null`, the `ForAllValues:` and
//! `ForAnyValue:` set operators, and policy variables in values, as documented in "IAM JSON
//! policy elements: Condition operators" and "Conditions with multiple context keys or values"
//! (IAM User Guide).
//!
//! - Operators AND together, keys within an operator AND together, values of one key OR
//!   together, and for a negated operator NOR together.
//! - A key the request does not carry makes a condition false, except that a negated operator
//!   (`StringNotEquals`, `ArnNotLike`, ...) is then true, `...IfExists` is then true, and `Null`
//!   tests exactly that. `ForAllValues:` is true for a missing key, `ForAnyValue:` false.

use std::net::IpAddr;

use serde_json::Value;

use crate::Context;
use crate::matching::{arn_like, substitute, wildcard_match};

/// How a policy value is compared with a context value.
#[derive(Clone, Copy)]
enum Compare {
    StringEquals,
    StringEqualsIgnoreCase,
    StringLike,
    NumericEquals,
    NumericLessThan,
    NumericLessThanEquals,
    NumericGreaterThan,
    NumericGreaterThanEquals,
    DateEquals,
    DateLessThan,
    DateLessThanEquals,
    DateGreaterThan,
    DateGreaterThanEquals,
    Bool,
    BinaryEquals,
    IpAddress,
    ArnLike,
}

/// An operator: the comparison and whether it is negated.
fn parse(op: &str) -> Option<(Compare, bool)> {
    use Compare as C;
    Some(match op {
        "StringEquals" => (C::StringEquals, false),
        "StringNotEquals" => (C::StringEquals, true),
        "StringEqualsIgnoreCase" => (C::StringEqualsIgnoreCase, false),
        "StringNotEqualsIgnoreCase" => (C::StringEqualsIgnoreCase, true),
        "StringLike" => (C::StringLike, false),
        "StringNotLike" => (C::StringLike, true),
        "NumericEquals" => (C::NumericEquals, false),
        "NumericNotEquals" => (C::NumericEquals, true),
        "NumericLessThan" => (C::NumericLessThan, false),
        "NumericLessThanEquals" => (C::NumericLessThanEquals, false),
        "NumericGreaterThan" => (C::NumericGreaterThan, false),
        "NumericGreaterThanEquals" => (C::NumericGreaterThanEquals, false),
        "DateEquals" => (C::DateEquals, false),
        "DateNotEquals" => (C::DateEquals, true),
        "DateLessThan" => (C::DateLessThan, false),
        "DateLessThanEquals" => (C::DateLessThanEquals, false),
        "DateGreaterThan" => (C::DateGreaterThan, false),
        "DateGreaterThanEquals" => (C::DateGreaterThanEquals, false),
        "Bool" => (C::Bool, false),
        "BinaryEquals" => (C::BinaryEquals, false),
        "IpAddress" => (C::IpAddress, false),
        "NotIpAddress" => (C::IpAddress, true),
        "ArnEquals" | "ArnLike" => (C::ArnLike, false),
        "ArnNotEquals" | "ArnNotLike" => (C::ArnLike, true),
        _ => return None,
    })
}

fn values(v: &Value) -> Vec<String> {
    let one = |v: &Value| match v {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    };
    match v {
        Value::Array(items) => items.iter().filter_map(one).collect(),
        other => one(other).into_iter().collect(),
    }
}

/// Seconds since the epoch of `2026-12-06`, `2026-12-06T10:00:00Z` or an epoch number.
fn date(s: &str) -> Option<f64> {
    if let Ok(n) = s.parse::<f64>() {
        return Some(n);
    }
    let (d, t) = s.split_once('T').unwrap_or((s, "00:00:00Z"));
    let mut ymd = d.split('-').map(|p| p.parse::<i64>().ok());
    let (y, m, day) = (ymd.next()??, ymd.next()??, ymd.next()??);
    let t = t.trim_end_matches('Z');
    let t = t.split(['+', '.']).next().unwrap_or(t);
    let mut hms = t.split(':').map(|p| p.parse::<i64>().ok());
    let (hh, mm, ss) =
        (hms.next().flatten().unwrap_or(0), hms.next().flatten().unwrap_or(0), hms.next().flatten().unwrap_or(0));
    // Days from civil (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    #[allow(clippy::cast_precision_loss)]
    Some((days * 86_400 + hh * 3600 + mm * 60 + ss) as f64)
}

fn in_cidr(cidr: &str, ip: &str) -> bool {
    let (net, bits) = cidr.split_once('/').unwrap_or((cidr, ""));
    let (Ok(net), Ok(ip)) = (net.parse::<IpAddr>(), ip.parse::<IpAddr>()) else { return false };
    let as_u128 = |a: IpAddr| match a {
        IpAddr::V4(v) => (u128::from(u32::from(v)), 32),
        IpAddr::V6(v) => (u128::from(v), 128),
    };
    let ((n, width), (i, width2)) = (as_u128(net), as_u128(ip));
    if width != width2 {
        return false;
    }
    let bits: u32 = bits.parse().unwrap_or(width);
    if bits == 0 {
        return true;
    }
    let shift = width - bits.min(width);
    (n >> shift) == (i >> shift)
}

/// Whether one context value satisfies one policy value.
fn compare(c: Compare, policy: &str, actual: &str) -> bool {
    let num = |s: &str| s.parse::<f64>().ok();
    let pair = |f: fn(&str) -> Option<f64>| f(policy).zip(f(actual));
    match c {
        Compare::StringEquals | Compare::BinaryEquals => policy == actual,
        Compare::StringEqualsIgnoreCase => {
            policy.eq_ignore_ascii_case(actual) || policy.to_lowercase() == actual.to_lowercase()
        }
        Compare::StringLike => wildcard_match(policy, actual, false),
        Compare::NumericEquals => pair(num).is_some_and(|(p, a)| (p - a).abs() < f64::EPSILON),
        Compare::NumericLessThan => pair(num).is_some_and(|(p, a)| a < p),
        Compare::NumericLessThanEquals => pair(num).is_some_and(|(p, a)| a <= p),
        Compare::NumericGreaterThan => pair(num).is_some_and(|(p, a)| a > p),
        Compare::NumericGreaterThanEquals => pair(num).is_some_and(|(p, a)| a >= p),
        Compare::DateEquals => pair(date).is_some_and(|(p, a)| (p - a).abs() < f64::EPSILON),
        Compare::DateLessThan => pair(date).is_some_and(|(p, a)| a < p),
        Compare::DateLessThanEquals => pair(date).is_some_and(|(p, a)| a <= p),
        Compare::DateGreaterThan => pair(date).is_some_and(|(p, a)| a > p),
        Compare::DateGreaterThanEquals => pair(date).is_some_and(|(p, a)| a >= p),
        Compare::Bool => policy.eq_ignore_ascii_case(actual),
        Compare::IpAddress => in_cidr(policy, actual),
        Compare::ArnLike => arn_like(policy, actual),
    }
}

/// Whether a context value matches any of the policy values (variables substituted; one that
/// cannot be resolved matches nothing).
fn any_value(c: Compare, policy: &[String], actual: &str, context: &Context) -> bool {
    policy.iter().filter_map(|p| substitute(p, context)).any(|p| compare(c, &p, actual))
}

/// One `operator: { key: values }` entry for one key.
fn key_holds(operator: &str, key: &str, policy: &[String], context: &Context) -> bool {
    let actual = context.get(key).filter(|v| !v.is_empty());
    if operator == "Null" {
        let want_absent = policy.iter().any(|v| v.eq_ignore_ascii_case("true"));
        return actual.is_none() == want_absent;
    }
    let (set, op) = if let Some(op) = operator.strip_prefix("ForAllValues:") {
        (Some(true), op)
    } else if let Some(op) = operator.strip_prefix("ForAnyValue:") {
        (Some(false), op)
    } else {
        (None, operator)
    };
    let (op, if_exists) = match op.strip_suffix("IfExists") {
        Some(base) => (base, true),
        None => (op, false),
    };
    let Some((c, negated)) = parse(op) else { return false };
    let Some(actual) = actual else {
        return match set {
            Some(all) => all,
            None => if_exists || negated,
        };
    };
    let one = |a: &String| any_value(c, policy, a, context) != negated;
    match set {
        Some(true) => actual.iter().all(one),
        Some(false) => actual.iter().any(one),
        // A single-valued key (a multivalued one without a set operator: any of its values).
        None if negated => !actual.iter().any(|a| any_value(c, policy, a, context)),
        None => actual.iter().any(|a| any_value(c, policy, a, context)),
    }
}

/// Whether a whole `Condition` element holds for the request context.
pub(crate) fn holds(condition: &Value, context: &Context) -> bool {
    let Value::Object(operators) = condition else { return false };
    operators.iter().all(|(operator, keys)| {
        let Value::Object(keys) = keys else { return false };
        keys.iter().all(|(key, v)| key_holds(operator, key, &values(v), context))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_parse_to_epoch_seconds() {
        assert_eq!(date("1970-01-01T00:00:00Z"), Some(0.0));
        assert_eq!(date("2020-01-01T00:00:00Z"), Some(1_577_836_800.0));
        assert_eq!(date("2020-01-01"), Some(1_577_836_800.0));
        assert_eq!(date("1577836800"), Some(1_577_836_800.0));
    }

    #[test]
    fn cidrs() {
        assert!(in_cidr("203.0.113.0/24", "203.0.113.7"));
        assert!(!in_cidr("203.0.113.0/24", "203.0.114.7"));
        assert!(in_cidr("2001:db8::/32", "2001:db8::1"));
        assert!(!in_cidr("2001:db8::/32", "203.0.113.7"));
    }
}
