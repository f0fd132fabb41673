//! What the log archive's own bucket policy means for groundwork: once written, it denies every
//! protected action (`groundwork_blueprint::LOG_BUCKET_PROTECTED_ACTIONS`) to every principal
//! but its exception role, groundwork's access role included. A plan that would change such a
//! setting of an existing bucket says that AWS will refuse it, and how to proceed.

use crate::permissions::wildcard as glob;
use serde_json::Value;

/// The protected S3 action each converged key of a bucket spec needs.
const KEY_ACTIONS: &[(&str, &str)] = &[
    ("versioning", "s3:PutBucketVersioning"),
    ("public_access_block", "s3:PutBucketPublicAccessBlock"),
    ("encryption", "s3:PutEncryptionConfiguration"),
    ("ownership", "s3:PutBucketOwnershipControls"),
    ("lifecycle_expiration_days", "s3:PutLifecycleConfiguration"),
    ("object_lock", "s3:PutBucketObjectLockConfiguration"),
    ("access_logging", "s3:PutBucketLogging"),
    ("policy", "s3:PutBucketPolicy"),
];

fn strings(v: &Value) -> Vec<&str> {
    match v {
        Value::String(s) => vec![s.as_str()],
        Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

/// Whether a statement of the live policy denies `action` to groundwork's access role: a Deny
/// for every principal whose only condition, if any, excepts principal ARNs the role does not match.
fn denies(statement: &Value, action: &str, access_role: &str) -> Option<Vec<String>> {
    if statement["Effect"] != "Deny" || statement["Principal"] != "*" {
        return None;
    }
    if !strings(&statement["Action"]).iter().any(|a| glob(a, action)) {
        return None;
    }
    let mut exceptions = Vec::new();
    if let Some(conditions) = statement.get("Condition").and_then(Value::as_object) {
        for (op, keys) in conditions {
            let keys = keys.as_object()?;
            for (key, values) in keys {
                if !(matches!(op.as_str(), "ArnNotLike" | "ArnNotEquals") && key == "aws:PrincipalArn") {
                    // Any other condition (e.g. no TLS) does not describe groundwork's requests.
                    return None;
                }
                exceptions.extend(strings(values).into_iter().map(str::to_owned));
            }
        }
    }
    let role = format!("arn:aws:iam::*:role/{access_role}");
    let excepted = exceptions
        .iter()
        .any(|e| e.rsplit_once(":role/").is_some_and(|(_, name)| glob(name, access_role)) || glob(e, &role));
    (!excepted).then_some(exceptions)
}

/// When converging `live` to `desired` needs protected actions that the live bucket policy
/// denies to the access role: the note that says so and how to proceed.
pub(crate) fn refused_by_own_policy(
    address: &str,
    bucket: &str,
    live: &Value,
    desired: &Value,
    access_role: &str,
) -> Option<String> {
    let statements = live["policy"]["Statement"].as_array()?;
    let mut refused = Vec::new();
    let mut exceptions = Vec::new();
    for (key, action) in KEY_ACTIONS {
        if live.get(*key) == desired.get(*key) {
            continue;
        }
        if let Some(e) = statements.iter().find_map(|s| denies(s, action, access_role)) {
            refused.push(*action);
            exceptions.extend(e);
        }
    }
    if refused.is_empty() {
        return None;
    }
    exceptions.sort();
    exceptions.dedup();
    let who = if exceptions.is_empty() {
        "every principal (no `logging.protection_exception_role` is named)".to_owned()
    } else {
        format!("every principal but {}", exceptions.join(", "))
    };
    Some(format!(
        "{address}: the bucket's own policy denies {} to {who}, and groundwork reaches the log-archive account as \
         `{access_role}`, so AWS will refuse this change. To proceed: delete the policy of bucket {bucket} as the \
         exception role (name one in `logging.protection_exception_role` before you need it), or, with none, as \
         the root user (the management account's centralized root access: `sts:AssumeRoot` with the \
         `S3UnlockBucketPolicy` task policy); then apply again: groundwork converges the settings first and \
         writes the policy last",
        refused.join(", ")
    ))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn policy(condition: Option<Value>) -> Value {
        let mut s = json!({"Sid": "DenyArchiveTampering", "Effect": "Deny", "Principal": "*",
            "Action": ["s3:PutBucketVersioning", "s3:PutBucketPublicAccessBlock"], "Resource": ["arn:aws:s3:::b"]});
        if let Some(c) = condition {
            s["Condition"] = c;
        }
        json!({"Statement": [s, {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*",
            "Action": ["s3:*"], "Condition": {"Bool": {"aws:SecureTransport": ["false"]}}}]})
    }

    #[test]
    fn a_protected_change_is_refused_unless_groundwork_is_the_exception() {
        let desired = json!({"versioning": "Enabled", "encryption": {"algorithm": "AES256"}, "policy": policy(None)});
        let mut live = desired.clone();
        live["versioning"] = json!("Suspended");
        let note =
            refused_by_own_policy("bucket/log/b", "b", &live, &desired, "OrganizationAccountAccessRole").unwrap();
        assert!(note.contains("denies s3:PutBucketVersioning to every principal (no"), "{note}");
        assert!(note.contains("S3UnlockBucketPolicy"), "{note}");
        // A change the policy does not protect (encryption is not in this statement) is not refused.
        let mut other = desired.clone();
        other["encryption"] = json!(null);
        assert_eq!(refused_by_own_policy("a", "b", &other, &desired, "Admin"), None);
        // With an exception that is not groundwork's role: still refused, naming the exception.
        let exception = json!({"ArnNotLike": {"aws:PrincipalArn": ["arn:aws:iam::111122223333:role/BreakGlass"]}});
        live["policy"] = policy(Some(exception.clone()));
        let d =
            json!({"versioning": "Enabled", "encryption": {"algorithm": "AES256"}, "policy": live["policy"].clone()});
        let note = refused_by_own_policy("a", "b", &live, &d, "OrganizationAccountAccessRole").unwrap();
        assert!(note.contains("but arn:aws:iam::111122223333:role/BreakGlass"), "{note}");
        // groundwork's own role as the exception: it may change the setting.
        assert_eq!(refused_by_own_policy("a", "b", &live, &d, "BreakGlass"), None);
        // No live policy (a bucket written before this protection): nothing is refused.
        live["policy"] = Value::Null;
        assert_eq!(refused_by_own_policy("a", "b", &live, &desired, "Admin"), None);
    }

    #[test]
    fn globs() {
        assert!(glob("s3:*", "s3:PutBucketPolicy"));
        assert!(glob("s3:Put*Policy", "s3:PutBucketPolicy"));
        assert!(!glob("s3:Get*", "s3:PutBucketPolicy"));
        assert!(glob("Break?lass", "BreakGlass"));
    }
}
