//! The access-role check (`groundwork_plan::Kind::AccessRole`): whom a member account's access
//! role trusts, read through that same role (in discovery from the account's role listing, see
//! [`snapshot`](super::snapshot); else with `iam:GetRole`). Read-only: the guardrails exempt
//! the access role, so a wider trust is reported as drift and never rewritten here (a wrong
//! trust policy would lock groundwork out of the account).

use groundwork_apply::ProviderError;
use groundwork_plan::kinds::access_role::AccessRoleSpec;
use serde_json::Value;

use super::snapshot::IamSnapshot;
use super::{no_such_entity, required};
use crate::Aws;
use crate::accounts::AccountClients;
use crate::call::Idempotency;
use crate::resources::{Converge, ReadCx, WriteCx, parse_document};

#[async_trait::async_trait]
impl Converge for AccessRoleSpec {
    async fn read(cx: &ReadCx<'_>) -> Result<Option<Self>, ProviderError> {
        cx.iam_lookup(IamSnapshot::access_role)
            .await?
            .or_read(|| cx.aws.read_access_role(cx.clients, &cx.at.name))
            .await
    }

    async fn put(&self, _cx: &WriteCx<'_>, _live: Option<&Self>) -> Result<String, ProviderError> {
        Err(crate::organizations::internal("groundwork never rewrites the access role's trust"))
    }
}

/// Every principal an `Allow` statement of a trust policy names, as text: IAM ARNs (a bare
/// account id as its `:root` ARN), `*`, service and federated principals by name; sorted.
fn trusted_principals(trust: &Value) -> Vec<String> {
    let statements = match &trust["Statement"] {
        Value::Array(items) => items.clone(),
        one @ Value::Object(_) => vec![one.clone()],
        _ => Vec::new(),
    };
    let mut out = Vec::new();
    let strings = |v: &Value| -> Vec<String> {
        match v {
            Value::String(s) => vec![s.clone()],
            Value::Array(items) => items.iter().filter_map(Value::as_str).map(str::to_owned).collect(),
            _ => Vec::new(),
        }
    };
    for s in statements.iter().filter(|s| s["Effect"] == "Allow") {
        match &s["Principal"] {
            Value::String(p) => out.push(p.clone()),
            Value::Object(m) => {
                for (kind, v) in m {
                    for p in strings(v) {
                        let is_account = p.len() == 12 && p.bytes().all(|b| b.is_ascii_digit());
                        out.push(match kind.as_str() {
                            "AWS" if is_account => format!("arn:aws:iam::{p}:root"),
                            "AWS" => p,
                            other => format!("{other}:{p}"),
                        });
                    }
                }
            }
            _ => {}
        }
    }
    out.sort();
    out.dedup();
    out
}

impl Aws {
    /// Whom the access role trusts, or `None` when the role does not exist.
    async fn read_access_role(&self, c: &AccountClients, name: &str) -> Result<Option<AccessRoleSpec>, ProviderError> {
        let out = match self.run("iam:GetRole", Idempotency::Safe, || c.iam.get_role().role_name(name).send()).await {
            Ok(out) => out,
            Err(e) if no_such_entity(&e) => return Ok(None),
            Err(e) => return Err(e),
        };
        let Some(role) = out.role else { return Ok(None) };
        Ok(Some(spec("iam:GetRole", role.assume_role_policy_document())?))
    }
}

/// The live spec of an access role from its trust policy as IAM returns it.
pub(super) fn spec(op: &str, trust: Option<&str>) -> Result<AccessRoleSpec, ProviderError> {
    let trust = parse_document(op, required(op, "the role's trust policy", trust)?)?;
    Ok(AccessRoleSpec { trusted_principals: trusted_principals(&trust) })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn principals_of_every_allow_statement() {
        let trust = json!({
            "Version": "2012-10-17",
            "Statement": [
                { "Effect": "Allow", "Principal": { "AWS": "arn:aws:iam::111111111111:root" }, "Action": "sts:AssumeRole" },
                { "Effect": "Allow", "Principal": { "AWS": ["222222222222", "arn:aws:iam::111111111111:role/Deploy"], "Service": "ec2.amazonaws.com" }, "Action": "sts:AssumeRole" },
                { "Effect": "Deny", "Principal": "*", "Action": "sts:AssumeRole" }
            ]
        });
        assert_eq!(
            trusted_principals(&trust),
            [
                "Service:ec2.amazonaws.com",
                "arn:aws:iam::111111111111:role/Deploy",
                "arn:aws:iam::111111111111:root",
                "arn:aws:iam::222222222222:root"
            ]
        );
        let single = json!({ "Statement": { "Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole" } });
        assert_eq!(trusted_principals(&single), ["*"]);
    }
}
