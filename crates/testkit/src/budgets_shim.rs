//! What moto 5.1.22 lacks of AWS Budgets, answered by the proxy from the requests it saw:
//! `DescribeSubscribersForNotification` (moto keeps a notification's subscribers and cannot list
//! them) and `UpdateBudget` (not implemented: the proxy sends moto `DeleteBudget`, then
//! `CreateBudget` with the new budget and the notifications and subscribers it recorded). The
//! shim checks nothing of AWS's rules; every other budgets request goes to moto, and the
//! creates and deletes of notifications are recorded on the way.
//!
//! Enabled with [`crate::ProxyConfig::budgets`].

use std::collections::BTreeMap;

use serde_json::{Value, json};

/// The shim of the moto listening on `port`: one per emulator, shared by every proxy in front
/// of it (a test may run groundwork through a fault proxy, then through another proxy).
pub(crate) fn of(port: u16) -> std::sync::MutexGuard<'static, BudgetsShim> {
    static SHIMS: std::sync::LazyLock<std::sync::Mutex<BTreeMap<u16, &'static std::sync::Mutex<BudgetsShim>>>> =
        std::sync::LazyLock::new(Default::default);
    let shim: &'static std::sync::Mutex<BudgetsShim> = SHIMS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .entry(port)
        .or_insert_with(|| Box::leak(Box::default()));
    shim.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A budget: (account id, budget name).
type BudgetKey = (String, String);

/// Notifications and their subscribers by budget, as sent.
#[derive(Debug, Default)]
pub(crate) struct BudgetsShim {
    notifications: BTreeMap<BudgetKey, Vec<(Value, Value)>>,
}

/// What the proxy does with one budgets request.
pub(crate) enum Step {
    /// Answer it with these bytes.
    Answer(Vec<u8>),
    /// Send moto these requests (X-Amz-Target operation, JSON body) in order; the last answer
    /// is the answer.
    Forward(Vec<(&'static str, Vec<u8>)>),
    /// Forward it as it is, then [`BudgetsShim::observe`] the answer.
    Pass,
}

fn key_of(req: &Value) -> BudgetKey {
    let s = |k: &str| req[k].as_str().unwrap_or_default().to_owned();
    (
        s("AccountId"),
        if req["BudgetName"].is_string() {
            s("BudgetName")
        } else {
            req["Budget"]["BudgetName"].as_str().unwrap_or_default().to_owned()
        },
    )
}

/// A notification's identity: its type, operator, threshold and threshold type.
fn same(a: &Value, b: &Value) -> bool {
    let t = |v: &Value| v.as_f64().unwrap_or(f64::NAN);
    let kind = |v: &Value| v["ThresholdType"].as_str().unwrap_or("PERCENTAGE").to_owned();
    a["NotificationType"] == b["NotificationType"]
        && a["ComparisonOperator"] == b["ComparisonOperator"]
        && (t(&a["Threshold"]) - t(&b["Threshold"])).abs() < 1e-9
        && kind(a) == kind(b)
}

/// An HTTP answer in the JSON 1.1 protocol: 200 with `body`, or 400 with the error `code`.
fn answer(result: Result<Value, (&str, String)>) -> Vec<u8> {
    let (status, code, body) = match result {
        Ok(body) => ("200 OK", None, body.to_string()),
        Err((code, message)) => {
            ("400 Bad Request", Some(code), json!({ "__type": code, "Message": message }).to_string())
        }
    };
    let error = code.map(|c| format!("x-amzn-ErrorType: {c}\r\n")).unwrap_or_default();
    format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/x-amz-json-1.1\r\n{error}x-amzn-RequestId: budgets-shim\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

impl BudgetsShim {
    /// What to do with the budgets request `operation`.
    pub(crate) fn step(&self, operation: &str, body: &[u8]) -> Step {
        let req: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
        match operation {
            "DescribeSubscribersForNotification" => {
                let found = self
                    .notifications
                    .get(&key_of(&req))
                    .and_then(|ns| ns.iter().find(|(n, _)| same(n, &req["Notification"])));
                Step::Answer(answer(match found {
                    Some((_, subscribers)) => Ok(json!({ "Subscribers": subscribers })),
                    None => Err(("NotFoundException", "the notification does not exist".to_owned())),
                }))
            }
            "UpdateBudget" => {
                let (account, name) = key_of(&json!({ "AccountId": req["AccountId"], "Budget": req["NewBudget"] }));
                let with: Vec<Value> = self
                    .notifications
                    .get(&(account.clone(), name.clone()))
                    .into_iter()
                    .flatten()
                    .map(|(n, s)| json!({ "Notification": n, "Subscribers": s }))
                    .collect();
                let delete = json!({ "AccountId": account, "BudgetName": name });
                let create =
                    json!({ "AccountId": account, "Budget": req["NewBudget"], "NotificationsWithSubscribers": with });
                Step::Forward(vec![
                    ("DeleteBudget", delete.to_string().into_bytes()),
                    ("CreateBudget", create.to_string().into_bytes()),
                ])
            }
            _ => Step::Pass,
        }
    }

    /// Records what a forwarded request that moto accepted (`ok`) changed.
    pub(crate) fn observe(&mut self, operation: &str, body: &[u8], ok: bool) {
        if !ok {
            return;
        }
        let req: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
        let key = key_of(&req);
        match operation {
            "CreateBudget" => {
                let with = req["NotificationsWithSubscribers"].as_array().cloned().unwrap_or_default();
                self.notifications.insert(
                    key,
                    with.into_iter().map(|w| (w["Notification"].clone(), w["Subscribers"].clone())).collect(),
                );
            }
            "CreateNotification" => {
                self.notifications
                    .entry(key)
                    .or_default()
                    .push((req["Notification"].clone(), req["Subscribers"].clone()));
            }
            "DeleteNotification" => {
                if let Some(ns) = self.notifications.get_mut(&key) {
                    ns.retain(|(n, _)| !same(n, &req["Notification"]));
                }
            }
            "DeleteBudget" => {
                self.notifications.remove(&key);
            }
            _ => {}
        }
    }
}
