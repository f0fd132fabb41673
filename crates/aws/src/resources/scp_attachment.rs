//! SCP attachments (`scp-attachment/<policy>@<target>`). Discovery reads them per policy
//! (`Aws::scp_attachments`, with the SCP), so this kind's own read reports nothing.

use aws_sdk_organizations::types::PolicyType;
use groundwork_apply::ProviderError;
use groundwork_blueprint::OuPath;
use groundwork_plan::kinds::scp_attachment::ScpAttachmentSpec;
use groundwork_plan::{Ids, Locator};

use super::scp::scp_type;
use super::{Converge, ListCx, ReadCx, WriteCx};
use crate::Aws;
use crate::call::Idempotency;
use crate::organizations::internal;

#[async_trait::async_trait]
impl Converge for ScpAttachmentSpec {
    /// Found with their policy (`Aws::scp_attachments`), never per target.
    async fn read(_cx: &ReadCx<'_>) -> Result<Option<Self>, ProviderError> {
        Ok(None)
    }

    /// The attachments of every SCP of the discovery's listing to targets it names, read per
    /// policy as discovery reads them.
    async fn list(cx: &ListCx<'_>) -> Result<Vec<(Locator, Self)>, ProviderError> {
        let mut names: Vec<&String> = cx.shared.scps.keys().collect();
        names.sort();
        let mut out = Vec::new();
        for name in names {
            out.extend(cx.aws.scp_attachment_specs(name, cx.shared).await?.into_iter().map(|a| (a.locator(), a)));
        }
        Ok(out)
    }

    async fn put(&self, cx: &WriteCx<'_>, _live: Option<&Self>) -> Result<String, ProviderError> {
        let policy_id = cx.aws.scp_id(&self.policy).await?;
        let target_id = target_id(&self.target, cx.ids)?;
        cx.aws.attach_policy(scp_type(), &policy_id, &target_id).await
    }

    /// Detaches the SCP from a target the blueprint no longer lists for it.
    async fn delete(cx: &WriteCx<'_>, live: &Self) -> Result<String, ProviderError> {
        let policy_id = cx.aws.scp_id(&live.policy).await?;
        let target_id = target_id(&live.target, cx.ids)?;
        cx.aws.detach_policy(&policy_id, &target_id).await
    }
}

/// The id of a target as the blueprint writes it (`Root`, an OU path, `account:NAME`).
pub(crate) fn target_id(target: &str, ids: &Ids) -> Result<String, ProviderError> {
    let id = if target == "Root" {
        ids.root_id.clone()
    } else if let Some(account) = target.strip_prefix("account:") {
        ids.accounts.get(account).cloned()
    } else {
        ids.ous.get(&OuPath::parse(target)).cloned()
    };
    id.ok_or_else(|| internal(&format!("the id of {target} is not known (was it created?)")))
}

impl Aws {
    /// Attaches the policy `policy_id` (of `policy_type`) to `target_id`; settled after a lost
    /// answer by listing the target's policies of that type.
    pub(crate) async fn attach_policy(
        &self,
        policy_type: PolicyType,
        policy_id: &str,
        target_id: &str,
    ) -> Result<String, ProviderError> {
        let attached = self
            .run_settled(
                "organizations:AttachPolicy",
                || self.org.attach_policy().policy_id(policy_id).target_id(target_id).send(),
                || async {
                    let out = self
                        .run("organizations:ListPoliciesForTarget", Idempotency::Safe, || {
                            self.org.list_policies_for_target().target_id(target_id).filter(policy_type.clone()).send()
                        })
                        .await?;
                    Ok(out.policies().iter().any(|p| p.id() == Some(policy_id)))
                },
            )
            .await;
        match attached {
            Ok(_) => Ok(format!("attached {policy_id} to {target_id}")),
            Err(e) if e.code.as_deref() == Some("DuplicatePolicyAttachmentException") => {
                Ok(format!("{policy_id} was already attached to {target_id}"))
            }
            Err(e) => Err(e),
        }
    }

    /// Detaches the policy `policy_id` from `target_id`; one that is not attached is done
    /// (a resend after a lost answer sees `PolicyNotAttachedException`).
    pub(crate) async fn detach_policy(&self, policy_id: &str, target_id: &str) -> Result<String, ProviderError> {
        let detached = self
            .run("organizations:DetachPolicy", Idempotency::Safe, || {
                self.org.detach_policy().policy_id(policy_id).target_id(target_id).send()
            })
            .await;
        match detached {
            Ok(_) => Ok(format!("detached {policy_id} from {target_id}")),
            Err(e) if e.code.as_deref() == Some("PolicyNotAttachedException") => {
                Ok(format!("{policy_id} was not attached to {target_id}"))
            }
            Err(e) => Err(e),
        }
    }
}
