//! Resources beyond the organization tree (buckets, trails, SCPs, IAM): one generic model.
//!
//! Each resource has a desired *spec* (a JSON object lowered from the blueprint) and, when it
//! exists, a live spec of exactly the same shape read by discovery. The planner compares the
//! two semantically (policy documents are canonicalized, so reordering is not a change) and the
//! provider converges a resource from its live spec to its desired spec with as few writes as
//! it can. Specs may hold placeholders for ids that only exist once an earlier change ran
//! (`{{account_id:NAME}}`, `{{org_id}}`, `{{management_account_id}}`); they are resolved from
//! [`Ids`] at plan time where known, and again at apply time.

use groundwork_blueprint::OuPath;
use groundwork_blueprint::template::{self, AccountIds, Context, Name, Template};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

pub use crate::kinds::Kind;
use crate::state::Address;

/// Where a resource lives and how it is named there.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Locator {
    /// What it is.
    pub kind: Kind,
    /// The blueprint account it lives in; `None` is the management account.
    pub account: Option<String>,
    /// Its name in that account (may hold placeholders, e.g. a bucket named after the account id).
    pub name: String,
    /// The region it lives in, for a kind of [`Scope::Region`](crate::kinds::Scope::Region);
    /// `None` for the others (absent from a saved plan's JSON).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
}

impl Locator {
    /// A resource of an organization- or account-scoped kind (`account`: `None` is the
    /// management account).
    pub fn new(kind: Kind, account: Option<String>, name: String) -> Self {
        Locator { kind, account, name, region: None }
    }

    /// A resource of a regional kind, in `region` of `account`.
    pub fn regional(kind: Kind, account: Option<String>, region: String, name: String) -> Self {
        Locator { kind, account, name, region: Some(region) }
    }
}

/// A resource the blueprint asks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DesiredResource {
    /// Stable address, e.g. `bucket/log-archive/acme-logs-{account_id}`.
    pub address: Address,
    /// Where it lives.
    pub at: Locator,
    /// The desired spec (placeholders allowed).
    pub spec: Value,
    /// Resources that must be in place first (when they change in the same plan).
    pub after: Vec<Address>,
}

/// A resource discovery found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveResource {
    /// Where it lives.
    pub at: Locator,
    /// Its live spec, same shape as the desired one.
    pub spec: Value,
}

/// Ids known at plan or apply time, by blueprint names.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ids {
    /// `o-…`
    pub org_id: Option<String>,
    /// The management account id.
    pub management_account_id: Option<String>,
    /// `r-…`
    pub root_id: Option<String>,
    /// Account ids by blueprint account name.
    pub accounts: BTreeMap<String, String>,
    /// OU ids by path.
    pub ous: BTreeMap<OuPath, String>,
}

impl Ids {
    /// The account id of a resource's account (`None` = management).
    pub fn account_id(&self, account: Option<&str>) -> Option<&str> {
        match account {
            None => self.management_account_id.as_deref(),
            Some(name) => self.accounts.get(name).map(String::as_str),
        }
    }

    /// What the planner's `{{…}}` references expand to with these ids.
    fn context(&self) -> Context<'_> {
        Context {
            account_ids: AccountIds::Known(&self.accounts),
            management_account_id: self.management_account_id.as_deref().map(Into::into),
            org_id: self.org_id.as_deref().map(Into::into),
            ..Context::default()
        }
    }

    /// Replaces every placeholder this knows in `text`; unknown ones stay.
    pub fn resolve_str(&self, text: &str) -> String {
        Template::ids(text).expand(&self.context())
    }

    /// [`Ids::resolve_str`] over every string of a JSON value.
    pub fn resolve(&self, v: &Value) -> Value {
        let cx = self.context();
        template::map_json(v, false, &|s| Template::ids(s).expand(&cx))
    }

    /// [`Ids::resolve`], then every policy document in the spec (any object with a `Statement`)
    /// canonicalized again: resolving ids can change how set members sort.
    pub fn resolve_spec(&self, v: &Value) -> Value {
        canonical_documents(&self.resolve(v))
    }

    /// A locator with its name resolved.
    pub fn resolve_locator(&self, at: &Locator) -> Locator {
        Locator { name: self.resolve_str(&at.name), ..at.clone() }
    }
}

/// Canonicalizes every policy document (an object with a `Statement`) inside a value.
pub(crate) fn canonical_documents(v: &Value) -> Value {
    match v {
        Value::Object(m) if m.contains_key("Statement") => canonical_policy(v),
        Value::Object(m) => Value::Object(m.iter().map(|(k, v)| (k.clone(), canonical_documents(v))).collect()),
        Value::Array(items) => Value::Array(items.iter().map(canonical_documents).collect()),
        other => other.clone(),
    }
}

/// The account names a value's placeholders refer to (`{{account_id:NAME}}`).
pub fn referenced_accounts(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => out.extend(Template::ids(s).placeholders().filter_map(|p| match p.kind() {
            Name::AccountIdOf(account) => Some(account.to_owned()),
            _ => None,
        })),
        Value::Array(items) => items.iter().for_each(|i| referenced_accounts(i, out)),
        Value::Object(m) => m.values().for_each(|i| referenced_accounts(i, out)),
        _ => {}
    }
}

/// Whether a value still holds a placeholder.
pub fn has_placeholder(v: &Value) -> bool {
    match v {
        Value::String(s) => is_unresolved(s),
        Value::Array(items) => items.iter().any(has_placeholder),
        Value::Object(m) => m.values().any(has_placeholder),
        _ => false,
    }
}

/// Whether a text (a spec's string, a resource's name) still holds a `{{…}}` reference.
pub fn is_unresolved(text: &str) -> bool {
    Template::ids(text).has_placeholders()
}

/// Keys of a policy statement whose values are sets (order and a single value vs a one-item
/// list do not matter to IAM).
const SET_KEYS: &[&str] = &["Action", "NotAction", "Resource", "NotResource"];

fn as_sorted_set(v: &Value) -> Value {
    let mut items: Vec<Value> = match v {
        Value::Array(a) => a.clone(),
        other => vec![other.clone()],
    };
    items.sort_by_key(Value::to_string);
    items.dedup();
    Value::Array(items)
}

fn sort_keys(v: &Value) -> Value {
    match v {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            Value::Object(keys.into_iter().map(|k| (k.clone(), sort_keys(&m[k]))).collect())
        }
        Value::Array(a) => Value::Array(a.iter().map(sort_keys).collect()),
        other => other.clone(),
    }
}

fn canonical_statement(s: &Value) -> Value {
    let Value::Object(m) = s else { return s.clone() };
    let mut out = Map::new();
    for (k, v) in m {
        let v = if SET_KEYS.contains(&k.as_str()) {
            as_sorted_set(v)
        } else if k == "Condition" {
            // Condition: { Operator: { Key: value-or-values } }: values are sets.
            match v {
                Value::Object(ops) => Value::Object(
                    ops.iter()
                        .map(|(op, keys)| {
                            let keys = match keys {
                                Value::Object(km) => {
                                    Value::Object(km.iter().map(|(ck, cv)| (ck.clone(), as_sorted_set(cv))).collect())
                                }
                                other => other.clone(),
                            };
                            (op.clone(), keys)
                        })
                        .collect(),
                ),
                other => other.clone(),
            }
        } else if k == "Principal" || k == "NotPrincipal" {
            match v {
                Value::Object(pm) => Value::Object(pm.iter().map(|(pk, pv)| (pk.clone(), as_sorted_set(pv))).collect()),
                other => other.clone(),
            }
        } else {
            v.clone()
        };
        out.insert(k.clone(), v);
    }
    sort_keys(&Value::Object(out))
}

/// The canonical form of an IAM-style policy document: keys sorted, a single statement made a
/// list, set-valued fields made sorted lists, statements sorted. Two documents IAM treats the
/// same have the same canonical form (up to Sids, which are kept).
pub fn canonical_policy(doc: &Value) -> Value {
    let Value::Object(m) = doc else { return doc.clone() };
    let mut out = Map::new();
    for (k, v) in m {
        if k == "Statement" {
            let mut statements: Vec<Value> = match v {
                Value::Array(a) => a.iter().map(canonical_statement).collect(),
                other => vec![canonical_statement(other)],
            };
            statements.sort_by_key(Value::to_string);
            out.insert(k.clone(), Value::Array(statements));
        } else {
            out.insert(k.clone(), v.clone());
        }
    }
    sort_keys(&Value::Object(out))
}

/// A canonical document made small for sending: one-item lists become the item.
pub fn compact_policy(doc: &Value) -> Value {
    fn shrink(v: &Value, depth: usize) -> Value {
        match v {
            Value::Array(a) if a.len() == 1 && depth > 1 => shrink(&a[0], depth + 1),
            Value::Array(a) => Value::Array(a.iter().map(|i| shrink(i, depth + 1)).collect()),
            Value::Object(m) => Value::Object(m.iter().map(|(k, v)| (k.clone(), shrink(v, depth + 1))).collect()),
            other => other.clone(),
        }
    }
    shrink(&canonical_policy(doc), 0)
}

/// The paths at which two specs differ, e.g. `policy.Statement[0].Effect`, with both values.
pub fn differences(before: &Value, after: &Value) -> Vec<(String, Option<Value>, Option<Value>)> {
    let mut out = Vec::new();
    diff_into("", Some(before), Some(after), &mut out);
    out
}

fn diff_into(path: &str, a: Option<&Value>, b: Option<&Value>, out: &mut Vec<(String, Option<Value>, Option<Value>)>) {
    let join = |k: &str| if path.is_empty() { k.to_owned() } else { format!("{path}.{k}") };
    match (a, b) {
        (Some(Value::Object(x)), Some(Value::Object(y))) => {
            for (k, v) in y {
                diff_into(&join(k), x.get(k), Some(v), out);
            }
            for (k, v) in x {
                if !y.contains_key(k) {
                    diff_into(&join(k), Some(v), None, out);
                }
            }
        }
        (Some(Value::Array(x)), Some(Value::Array(y))) if x.len() == y.len() => {
            for (i, (p, q)) in x.iter().zip(y).enumerate() {
                diff_into(&format!("{path}[{i}]"), Some(p), Some(q), out);
            }
        }
        (x, y) if x == y => {}
        (x, y) => out.push((path.to_owned(), x.cloned(), y.cloned())),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn reordering_a_policy_is_not_a_change() {
        let a = json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Deny", "Action": ["b:B", "a:A"], "Resource": "*"},
            {"Sid": "X", "Effect": "Allow", "Action": "s3:GetObject", "Resource": ["arn:1"],
             "Condition": {"StringEquals": {"k": "v"}}}
        ]});
        let b = json!({"Statement": [
            {"Resource": "arn:1", "Sid": "X", "Action": ["s3:GetObject"], "Effect": "Allow",
             "Condition": {"StringEquals": {"k": ["v"]}}},
            {"Resource": ["*"], "Action": ["a:A", "b:B", "a:A"], "Effect": "Deny"}
        ], "Version": "2012-10-17"});
        assert_eq!(canonical_policy(&a), canonical_policy(&b));
        let c = json!({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}});
        assert_ne!(canonical_policy(&a), canonical_policy(&c));
        assert_eq!(canonical_policy(&compact_policy(&a)), canonical_policy(&a));
        assert!(compact_policy(&c).to_string().len() <= c.to_string().len() + 2);
    }

    #[test]
    fn placeholders_resolve_when_known() {
        let mut ids = Ids { org_id: Some("o-1".into()), ..Ids::default() };
        ids.accounts.insert("log".into(), "111122223333".into());
        let v = json!({"a": "arn:aws:s3:::x-{{account_id:log}}/AWSLogs/{{org_id}}/*", "b": ["{{account_id:new}}"]});
        let r = ids.resolve(&v);
        assert_eq!(r["a"], "arn:aws:s3:::x-111122223333/AWSLogs/o-1/*");
        assert_eq!(r["b"][0], "{{account_id:new}}");
        assert!(has_placeholder(&r));
        let mut names = Vec::new();
        referenced_accounts(&v, &mut names);
        assert_eq!(names, ["log", "new"]);
        assert_eq!(ids.resolve_str("${aws:username}"), "${aws:username}");
    }

    #[test]
    fn differences_name_paths() {
        let a = json!({"x": 1, "p": {"S": [{"E": "Allow"}]}, "gone": true});
        let b = json!({"x": 1, "p": {"S": [{"E": "Deny"}]}, "new": 2});
        let d: Vec<String> = differences(&a, &b).into_iter().map(|(p, _, _)| p).collect();
        assert_eq!(d, ["p.S[0].E", "new", "gone"]);
    }
}
