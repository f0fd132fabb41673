//! What moto 5.1.22 lacks of IAM Identity Center's admin API, answered by the proxy from the
//! requests it saw: the tags of a permission set (sent with CreatePermissionSet or TagResource,
//! which moto accepts and cannot list) and a permission set's permissions boundary (Put, Get,
//! Delete, which moto does not implement). The shim checks the request side (what groundwork
//! sends) and hands it back on the read side, nothing more: it enforces none of AWS's rules.
//!
//! Enabled with [`crate::ProxyConfig::identity_center`]; every other request goes to moto.

use std::collections::{BTreeMap, HashMap};

use serde_json::{Value, json};

/// The operations the shim answers itself (CreatePermissionSet is forwarded, then recorded).
const ANSWERED: &[&str] = &[
    "TagResource",
    "UntagResource",
    "ListTagsForResource",
    "PutPermissionsBoundaryToPermissionSet",
    "GetPermissionsBoundaryForPermissionSet",
    "DeletePermissionsBoundaryFromPermissionSet",
];

/// Tags by resource ARN and boundaries by permission set ARN, as sent.
#[derive(Debug, Default)]
pub(crate) struct SsoShim {
    tags: HashMap<String, BTreeMap<String, String>>,
    boundaries: HashMap<String, Value>,
    /// Every request the shim saw: (operation, body).
    pub(crate) seen: Vec<(String, Value)>,
}

/// Whether the shim answers `operation` of `service` itself.
pub(crate) fn answers(service: &str, operation: &str) -> bool {
    service == "sso" && ANSWERED.contains(&operation)
}

fn tags_of(v: &Value) -> BTreeMap<String, String> {
    v.as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| Some((t["Key"].as_str()?.to_owned(), t["Value"].as_str()?.to_owned())))
        .collect()
}

/// An HTTP answer in the JSON 1.1 protocol: 200 with `body`, or 400 with the error `code`.
fn answer(result: Result<Value, (&str, String)>) -> Vec<u8> {
    let (status, code, body) = match result {
        Ok(body) => ("200 OK", None, body.to_string()),
        Err((code, message)) => {
            ("400 Bad Request", Some(code), json!({ "__type": code, "message": message }).to_string())
        }
    };
    let error = code.map(|c| format!("x-amzn-ErrorType: {c}\r\n")).unwrap_or_default();
    format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/x-amz-json-1.1\r\n{error}x-amzn-RequestId: sso-shim\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

impl SsoShim {
    /// Answers one of [`ANSWERED`].
    pub(crate) fn handle(&mut self, operation: &str, body: &[u8]) -> Vec<u8> {
        let req: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
        self.seen.push((operation.to_owned(), req.clone()));
        let str_of = |k: &str| req[k].as_str().unwrap_or_default().to_owned();
        let result = match operation {
            "TagResource" => {
                self.tags.entry(str_of("ResourceArn")).or_default().extend(tags_of(&req["Tags"]));
                Ok(json!({}))
            }
            "UntagResource" => {
                let tags = self.tags.entry(str_of("ResourceArn")).or_default();
                for k in req["TagKeys"].as_array().into_iter().flatten().filter_map(Value::as_str) {
                    tags.remove(k);
                }
                Ok(json!({}))
            }
            "ListTagsForResource" => {
                let tags = self.tags.get(&str_of("ResourceArn")).cloned().unwrap_or_default();
                let tags: Vec<Value> = tags.into_iter().map(|(k, v)| json!({ "Key": k, "Value": v })).collect();
                Ok(json!({ "Tags": tags }))
            }
            "PutPermissionsBoundaryToPermissionSet" => {
                self.boundaries.insert(str_of("PermissionSetArn"), req["PermissionsBoundary"].clone());
                Ok(json!({}))
            }
            "GetPermissionsBoundaryForPermissionSet" => match self.boundaries.get(&str_of("PermissionSetArn")) {
                Some(b) => Ok(json!({ "PermissionsBoundary": b })),
                None => Err(("ResourceNotFoundException", "the permission set has no permissions boundary".into())),
            },
            "DeletePermissionsBoundaryFromPermissionSet" => match self.boundaries.remove(&str_of("PermissionSetArn")) {
                Some(_) => Ok(json!({})),
                None => Err(("ResourceNotFoundException", "the permission set has no permissions boundary".into())),
            },
            other => Err(("UnknownOperationException", format!("{other} is not answered by the shim"))),
        };
        answer(result)
    }

    /// Records the tags of a CreatePermissionSet request under the ARN moto answered with.
    pub(crate) fn created(&mut self, request: &[u8], response: &[u8]) {
        let req: Value = serde_json::from_slice(request).unwrap_or(Value::Null);
        self.seen.push(("CreatePermissionSet".to_owned(), req.clone()));
        let Some(start) = response.windows(4).position(|w| w == b"\r\n\r\n") else { return };
        let Ok(out) = serde_json::from_slice::<Value>(&response[start + 4..]) else { return };
        if let Some(arn) = out["PermissionSet"]["PermissionSetArn"].as_str() {
            self.tags.insert(arn.to_owned(), tags_of(&req["Tags"]));
        }
    }
}
