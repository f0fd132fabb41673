//! The account password policy: read with `iam:GetAccountPasswordPolicy` (it is not an entity,
//! so the bulk read does not cover it), written whole with `iam:UpdateAccountPasswordPolicy`.

use groundwork_apply::ProviderError;
use groundwork_plan::Locator;
use groundwork_plan::kinds::password_policy::PasswordPolicySpec;

use super::{from_i32, no_such_entity, required, to_i32};
use crate::Aws;
use crate::accounts::AccountClients;
use crate::call::Idempotency;
use crate::resources::{Converge, ListCx, ReadCx, WriteCx};

#[async_trait::async_trait]
impl Converge for PasswordPolicySpec {
    /// The account's password policy (named `account`), when it has one.
    async fn list(cx: &ListCx<'_>) -> Result<Vec<(Locator, Self)>, ProviderError> {
        cx.read_each(["account".to_owned()]).await
    }

    async fn read(cx: &ReadCx<'_>) -> Result<Option<Self>, ProviderError> {
        cx.aws.read_password_policy(cx.clients).await
    }

    async fn put(&self, cx: &WriteCx<'_>, _live: Option<&Self>) -> Result<String, ProviderError> {
        cx.aws.put_password_policy(cx.clients, self).await
    }
}

impl Aws {
    /// The account's password policy, or `None` when it has none. IAM leaves out the expiry
    /// and the reuse rule when they are not set: those read as 0, as the spec says.
    pub(crate) async fn read_password_policy(
        &self,
        c: &AccountClients,
    ) -> Result<Option<PasswordPolicySpec>, ProviderError> {
        const OP: &str = "iam:GetAccountPasswordPolicy";
        let out = match self.run(OP, Idempotency::Safe, || c.iam.get_account_password_policy().send()).await {
            Ok(out) => out,
            Err(e) if no_such_entity(&e) => return Ok(None),
            Err(e) => return Err(e),
        };
        let Some(p) = out.password_policy() else { return Ok(None) };
        let min_length = required(OP, "the minimum password length", p.minimum_password_length())?;
        Ok(Some(PasswordPolicySpec {
            min_length: from_i32(OP, "minimum password length", min_length)?,
            require_uppercase: p.require_uppercase_characters(),
            require_lowercase: p.require_lowercase_characters(),
            require_numbers: p.require_numbers(),
            require_symbols: p.require_symbols(),
            max_age_days: from_i32(OP, "maximum password age", p.max_password_age().unwrap_or(0))?,
            reuse_prevention: from_i32(OP, "password reuse prevention", p.password_reuse_prevention().unwrap_or(0))?,
            allow_users_to_change: p.allow_users_to_change_password(),
        }))
    }

    /// Sets every setting of the policy.
    pub(crate) async fn put_password_policy(
        &self,
        c: &AccountClients,
        spec: &PasswordPolicySpec,
    ) -> Result<String, ProviderError> {
        const OP: &str = "iam:UpdateAccountPasswordPolicy";
        let min_length = to_i32(OP, "min_length", spec.min_length)?;
        let max_age = to_i32(OP, "max_age_days", spec.max_age_days)?;
        let reuse = to_i32(OP, "reuse_prevention", spec.reuse_prevention)?;
        self.run(OP, Idempotency::Safe, || {
            c.iam
                .update_account_password_policy()
                .minimum_password_length(min_length)
                .require_uppercase_characters(spec.require_uppercase)
                .require_lowercase_characters(spec.require_lowercase)
                .require_numbers(spec.require_numbers)
                .require_symbols(spec.require_symbols)
                .max_password_age(max_age)
                .password_reuse_prevention(reuse)
                .allow_users_to_change_password(spec.allow_users_to_change)
                .send()
        })
        .await?;
        Ok(format!("password policy set in {}", c.id))
    }
}
