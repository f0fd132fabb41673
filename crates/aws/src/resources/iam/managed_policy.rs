//! Customer-managed policies (groundwork's ForceMFA policy): the default version's document. A
//! changed document becomes a new default version; IAM keeps five, so the oldest other one goes
//! first when the limit is reached.

use groundwork_apply::ProviderError;
use groundwork_plan::Locator;
use groundwork_plan::compact_policy;
use groundwork_plan::kinds::managed_policy::ManagedPolicySpec;

use super::snapshot::IamSnapshot;
use super::{canonical_document, exists, no_such_entity, required};
use crate::Aws;
use crate::accounts::AccountClients;
use crate::call::Idempotency;
use crate::resources::{Converge, ListCx, ReadCx, WriteCx};

/// IAM keeps at most this many versions of a managed policy.
const MAX_POLICY_VERSIONS: usize = 5;

#[async_trait::async_trait]
impl Converge for ManagedPolicySpec {
    /// Every customer-managed policy of the account (at the path `/`), from its bulk read.
    async fn list(cx: &ListCx<'_>) -> Result<Vec<(Locator, Self)>, ProviderError> {
        let Some(snap) = cx.iam_snapshot().await? else { return Ok(Vec::new()) };
        cx.read_each(snap.policy_names()).await
    }

    async fn read(cx: &ReadCx<'_>) -> Result<Option<Self>, ProviderError> {
        let arn = Aws::policy_arn(cx.clients, &cx.at.name);
        cx.iam_lookup(|snap: &IamSnapshot, _| snap.managed_policy(&arn))
            .await?
            .or_read(|| cx.aws.read_managed_policy(cx.clients, &cx.at.name))
            .await
    }

    async fn put(&self, cx: &WriteCx<'_>, live: Option<&Self>) -> Result<String, ProviderError> {
        cx.aws.put_managed_policy(cx.clients, &cx.at.name, self, live).await
    }
}

/// The spec of a customer-managed policy from its default version's document as IAM returns it.
pub(super) fn spec(op: &str, document: &str) -> Result<ManagedPolicySpec, ProviderError> {
    Ok(ManagedPolicySpec { document: canonical_document(op, document)? })
}

impl Aws {
    /// The ARN of the customer-managed policy `name` in the account.
    pub(super) fn policy_arn(c: &AccountClients, name: &str) -> String {
        format!("arn:aws:iam::{}:policy/{name}", c.id)
    }

    /// The policy's default document, or `None` when there is no such policy.
    pub(crate) async fn read_managed_policy(
        &self,
        c: &AccountClients,
        name: &str,
    ) -> Result<Option<ManagedPolicySpec>, ProviderError> {
        let arn = Self::policy_arn(c, name);
        let policy =
            match self.run("iam:GetPolicy", Idempotency::Safe, || c.iam.get_policy().policy_arn(&arn).send()).await {
                Ok(out) => out.policy,
                Err(e) if no_such_entity(&e) => return Ok(None),
                Err(e) => return Err(e),
            };
        let Some(version) = policy.and_then(|p| p.default_version_id) else { return Ok(None) };
        let out = self
            .run("iam:GetPolicyVersion", Idempotency::Safe, || {
                c.iam.get_policy_version().policy_arn(&arn).version_id(&version).send()
            })
            .await?;
        let text = required(
            "iam:GetPolicyVersion",
            "the policy version's document",
            out.policy_version().and_then(|v| v.document()),
        )?;
        Ok(Some(spec("iam:GetPolicyVersion", text)?))
    }

    /// Whether the policy's default version is `spec`'s document (read back after a lost answer).
    async fn has_policy_document(
        &self,
        c: &AccountClients,
        name: &str,
        spec: &ManagedPolicySpec,
    ) -> Result<bool, ProviderError> {
        let want = groundwork_plan::canonical_policy(&spec.document);
        Ok(self.read_managed_policy(c, name).await?.is_some_and(|p| p.document == want))
    }

    /// Creates the policy, or makes the desired document its new default version (deleting
    /// the oldest non-default version first when IAM's limit of five is reached).
    pub(crate) async fn put_managed_policy(
        &self,
        c: &AccountClients,
        name: &str,
        spec: &ManagedPolicySpec,
        live: Option<&ManagedPolicySpec>,
    ) -> Result<String, ProviderError> {
        let document = compact_policy(&spec.document).to_string();
        let arn = Self::policy_arn(c, name);
        if live.is_none() {
            match self
                .run_settled(
                    "iam:CreatePolicy",
                    || c.iam.create_policy().policy_name(name).policy_document(&document).send(),
                    || self.has_policy_document(c, name, spec),
                )
                .await
            {
                Ok(_) => return Ok(format!("created {arn}")),
                Err(e) if exists(&e) => {}
                Err(e) => return Err(e),
            }
        }
        let versions = self
            .run("iam:ListPolicyVersions", Idempotency::Safe, || c.iam.list_policy_versions().policy_arn(&arn).send())
            .await?;
        let mut old: Vec<_> = versions.versions().iter().filter(|v| !v.is_default_version()).collect();
        let mut note = String::new();
        if versions.versions().len() >= MAX_POLICY_VERSIONS {
            old.sort_by_key(|v| v.create_date().map(aws_smithy_types::DateTime::secs));
            if let Some(oldest) = old.first().and_then(|v| v.version_id()) {
                self.run_removal("iam:DeletePolicyVersion", || {
                    c.iam.delete_policy_version().policy_arn(&arn).version_id(oldest).send()
                })
                .await?;
                note = format!(" (deleted the oldest version {oldest}: IAM keeps {MAX_POLICY_VERSIONS})");
            }
        }
        // A resend after a lost answer would add a second version (and could reach the limit of
        // five): the versions are read back first.
        let created = self
            .run_settled(
                "iam:CreatePolicyVersion",
                || {
                    c.iam
                        .create_policy_version()
                        .policy_arn(&arn)
                        .policy_document(&document)
                        .set_as_default(true)
                        .send()
                },
                || self.has_policy_document(c, name, spec),
            )
            .await?;
        let id = created
            .as_ref()
            .and_then(|v| v.policy_version())
            .and_then(|v| v.version_id())
            .unwrap_or("(created by an attempt whose answer was lost)")
            .to_owned();
        Ok(format!("{arn}: new default version {id}{note}"))
    }
}
