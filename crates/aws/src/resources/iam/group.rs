//! Groups in the identity hub: created, then their managed and inline policies converged.

use groundwork_apply::ProviderError;
use groundwork_plan::Locator;
use groundwork_plan::kinds::group::GroupSpec;

use super::snapshot::IamSnapshot;
use super::{Holder, Policies, attached_arns, done_text, exists, no_such_entity};
use crate::Aws;
use crate::accounts::AccountClients;
use crate::call::Idempotency;
use crate::resources::{Converge, ListCx, ReadCx, WriteCx};

#[async_trait::async_trait]
impl Converge for GroupSpec {
    /// Every group of the account, from its bulk read.
    async fn list(cx: &ListCx<'_>) -> Result<Vec<(Locator, Self)>, ProviderError> {
        let Some(snap) = cx.iam_snapshot().await? else { return Ok(Vec::new()) };
        cx.read_each(snap.group_names()).await
    }

    async fn read(cx: &ReadCx<'_>) -> Result<Option<Self>, ProviderError> {
        cx.iam_lookup(IamSnapshot::group).await?.or_read(|| cx.aws.read_group(cx.clients, &cx.at.name)).await
    }

    async fn put(&self, cx: &WriteCx<'_>, live: Option<&Self>) -> Result<String, ProviderError> {
        cx.aws.put_group(cx.clients, &cx.at.name, self, live).await
    }
}

/// A group's policies, as [`Aws::converge_policies`] takes them.
fn policies(spec: &GroupSpec) -> Policies<'_> {
    Policies { managed: &spec.managed_policies, inline: &spec.inline_policies }
}

impl Aws {
    /// The group's policies, or `None` when there is no such group.
    pub(crate) async fn read_group(&self, c: &AccountClients, name: &str) -> Result<Option<GroupSpec>, ProviderError> {
        match self.run("iam:GetGroup", Idempotency::Safe, || c.iam.get_group().group_name(name).send()).await {
            Ok(_) => {}
            Err(e) if no_such_entity(&e) => return Ok(None),
            Err(e) => return Err(e),
        }
        let (attached, inline) = tokio::join!(
            self.run("iam:ListAttachedGroupPolicies", Idempotency::Safe, || {
                c.iam.list_attached_group_policies().group_name(name).send()
            }),
            self.run("iam:ListGroupPolicies", Idempotency::Safe, || c
                .iam
                .list_group_policies()
                .group_name(name)
                .send()),
        );
        let managed_policies = attached_arns(attached?.attached_policies());
        let names: Vec<String> = inline?.policy_names().to_vec();
        let inline_policies = self
            .inline_documents(names, |n| async move {
                let out = self
                    .run("iam:GetGroupPolicy", Idempotency::Safe, || {
                        c.iam.get_group_policy().group_name(name).policy_name(&n).send()
                    })
                    .await?;
                Ok(out.policy_document().to_owned())
            })
            .await?;
        Ok(Some(GroupSpec { managed_policies, inline_policies }))
    }

    /// Creates the group when it is missing, then converges its policies.
    pub(crate) async fn put_group(
        &self,
        c: &AccountClients,
        name: &str,
        spec: &GroupSpec,
        live: Option<&GroupSpec>,
    ) -> Result<String, ProviderError> {
        let mut done = Vec::new();
        if live.is_none() {
            match self
                .run_settled(
                    "iam:CreateGroup",
                    || c.iam.create_group().group_name(name).send(),
                    || {
                        self.found(
                            self.run("iam:GetGroup", Idempotency::Safe, || c.iam.get_group().group_name(name).send()),
                        )
                    },
                )
                .await
            {
                Ok(_) => done.push(format!("created group {name}")),
                Err(e) if exists(&e) => {}
                Err(e) => return Err(e),
            }
        }
        self.converge_policies(c, Holder::Group(name), policies(spec), live.map(policies), &mut done).await?;
        Ok(done_text(&done))
    }
}
