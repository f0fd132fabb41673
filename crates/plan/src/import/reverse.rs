//! What the reverse lowerings of the kinds (`crate::kinds::*::reverse*`) share: policy documents
//! in reading order, the statements of groundwork's own inline policy, tags a blueprint may set,
//! and the parts of ARNs and trust policies import reads back.

use groundwork_blueprint::POLICY_VERSION;
use serde_json::{Map, Value, json};

use crate::kinds::iam::INLINE_POLICY;
use crate::resource::compact_policy;

/// Tags without groundwork's own (a blueprint may not set them).
pub(crate) fn user_tags(tags: impl IntoIterator<Item = (String, String)>) -> Map<String, Value> {
    tags.into_iter().filter(|(k, _)| !k.starts_with("groundwork:")).map(|(k, v)| (k, Value::String(v))).collect()
}

pub(crate) fn strings(v: &Value) -> Vec<String> {
    match v {
        Value::Array(a) => a.iter().filter_map(|s| s.as_str().map(str::to_owned)).collect(),
        Value::String(s) => vec![s.clone()],
        _ => Vec::new(),
    }
}

/// A policy document with its keys in reading order (`Version`, `Id`, `Statement`; a
/// statement's `Sid`, `Effect`, `Action`, `Resource`, `Condition`), one-item lists as the item.
pub(crate) fn readable(doc: &Value) -> Value {
    const DOC: &[&str] = &["Version", "Id", "Statement"];
    const STATEMENT: &[&str] =
        &["Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource", "NotResource", "Condition"];
    fn ordered(v: &Value, order: &[&str]) -> Value {
        let Value::Object(m) = v else { return v.clone() };
        let mut out = Map::new();
        for k in order {
            if let Some(x) = m.get(*k) {
                out.insert((*k).to_owned(), x.clone());
            }
        }
        for (k, x) in m {
            if !out.contains_key(k) {
                out.insert(k.clone(), x.clone());
            }
        }
        Value::Object(out)
    }
    let mut doc = ordered(&compact_policy(doc), DOC);
    if let Some(Value::Array(statements)) = doc.get_mut("Statement") {
        for s in statements.iter_mut() {
            *s = ordered(s, STATEMENT);
        }
    }
    doc
}

/// The statements of a policy document, compacted and in reading order.
pub(crate) fn readable_statements(statements: &[Value]) -> Vec<Value> {
    let doc = readable(&json!({ "Version": POLICY_VERSION, "Statement": statements }));
    doc["Statement"].as_array().cloned().unwrap_or_default()
}

/// The statements of the one inline policy groundwork writes (`groundwork`); `Err` when there are
/// others or the document has more than a version and statements.
pub(crate) fn groundwork_statements(inline: &Value) -> Result<Vec<Value>, String> {
    let Some(m) = inline.as_object() else { return Ok(Vec::new()) };
    let others: Vec<&str> = m.keys().filter(|k| *k != INLINE_POLICY).map(String::as_str).collect();
    if !others.is_empty() {
        return Err(format!(
            "it has inline policies groundwork does not write ({}); groundwork keeps one, named `{INLINE_POLICY}`, and would delete them",
            others.join(", ")
        ));
    }
    let Some(doc) = m.get(INLINE_POLICY) else { return Ok(Vec::new()) };
    let extra: Vec<&str> = doc
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, _)| k.as_str())
        .filter(|k| *k != "Version" && *k != "Statement")
        .collect();
    if doc.get("Version").and_then(Value::as_str) != Some(POLICY_VERSION) || !extra.is_empty() {
        return Err(format!("its inline policy `{INLINE_POLICY}` is not a plain version {POLICY_VERSION} document"));
    }
    Ok(match &doc["Statement"] {
        Value::Array(a) => a.clone(),
        other => vec![other.clone()],
    })
}

/// `arn:aws:iam::ACCOUNT:role/PATH/NAME` → (account id, role name); the path is groundwork's
/// (`identity.role_path`), checked by planning the imported blueprint against what exists.
pub(crate) fn role_arn(arn: &str) -> Option<(&str, &str)> {
    let rest = arn.strip_prefix("arn:aws:iam::")?;
    let (account, path_name) = rest.split_once(":role/")?;
    let name = path_name.rsplit('/').next()?;
    (account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()) && !name.is_empty() && !name.contains('*'))
        .then_some((account, name))
}

/// The `aws:MultiFactorAuthAge` bound of a trust policy, if any.
pub(crate) fn mfa_age(trust: &Value) -> Option<u32> {
    trust["Statement"].as_array()?.iter().find_map(|s| {
        let v = &s["Condition"]["NumericLessThan"]["aws:MultiFactorAuthAge"];
        strings(v).first().and_then(|x| x.parse().ok())
    })
}
