//! Organizations policies beyond SCPs (`org-policy/<name>`: tag and AI-services opt-out
//! policies) and their attachments (`org-policy-attachment/<policy>@<target>`). They are read
//! and written by the same code as SCPs (`scp.rs`, `scp_attachment.rs`), with their type:
//! listed once per type per discovery (ListPolicies), each read with DescribePolicy and
//! ListTagsForResource, and its attachments per policy (ListTargetsForPolicy).

use aws_sdk_organizations::types::PolicyType;
use groundwork_apply::ProviderError;
use groundwork_blueprint::org_policies::OrgPolicyType;
use groundwork_plan::kinds::Spec;
use groundwork_plan::kinds::org_policy::OrgPolicySpec;
use groundwork_plan::kinds::org_policy_attachment::OrgPolicyAttachmentSpec;
use groundwork_plan::kinds::scp::ScpSpec;
use groundwork_plan::{Address, LiveResource, Locator};

use super::scp_attachment::target_id;
use super::{Converge, ListCx, ReadCx, Shared, WriteCx};
use crate::Aws;
use crate::organizations::internal;

/// The API's policy type of `t`.
pub(crate) fn api_type(t: OrgPolicyType) -> PolicyType {
    PolicyType::from(t.api_name())
}

/// The spec of a policy of type `t`, from its description, document and tags as read.
pub(crate) fn spec_of(t: OrgPolicyType, body: ScpSpec) -> OrgPolicySpec {
    OrgPolicySpec { policy_type: t, description: body.description, document: body.document, tags: body.tags }
}

/// The same, the other way: what the shared writer takes.
fn body_of(spec: &OrgPolicySpec) -> ScpSpec {
    ScpSpec { description: spec.description.clone(), document: spec.document.clone(), tags: spec.tags.clone() }
}

#[async_trait::async_trait]
impl Converge for OrgPolicySpec {
    async fn read(cx: &ReadCx<'_>) -> Result<Option<Self>, ProviderError> {
        let Some((t, id)) = cx.shared.org_policies.get(&cx.at.name) else { return Ok(None) };
        Ok(Some(spec_of(*t, cx.aws.read_scp(id).await?)))
    }

    /// The policies of the discovery's listings (`Shared::org_policies`), by name.
    async fn list(cx: &ListCx<'_>) -> Result<Vec<(Locator, Self)>, ProviderError> {
        let mut names: Vec<String> = cx.shared.org_policies.keys().cloned().collect();
        names.sort();
        cx.read_each(names).await
    }

    /// AWS cannot change a policy's type: a live policy of another type is refused, never
    /// rewritten.
    async fn put(&self, cx: &WriteCx<'_>, live: Option<&Self>) -> Result<String, ProviderError> {
        if let Some(l) = live
            && l.policy_type != self.policy_type
        {
            return Err(internal(&format!(
                "{} is a {} in AWS and a {} in the blueprint; AWS cannot change a policy's type: rename it in the blueprint",
                cx.at.name,
                l.policy_type.describe(),
                self.policy_type.describe()
            )));
        }
        let live_body = live.map(body_of);
        cx.aws
            .put_policy(api_type(self.policy_type), &cx.at.name, &body_of(self), live.is_some(), live_body.as_ref())
            .await
    }

    /// Only a leftover groundwork owns: detached from every target, then deleted (as an SCP).
    async fn delete(cx: &WriteCx<'_>, live: &Self) -> Result<String, ProviderError> {
        cx.aws.delete_policy(api_type(live.policy_type), &cx.at.name, &live.tags).await
    }
}

#[async_trait::async_trait]
impl Converge for OrgPolicyAttachmentSpec {
    /// Found with their policy (`Aws::org_policy_attachments`), never per target.
    async fn read(_cx: &ReadCx<'_>) -> Result<Option<Self>, ProviderError> {
        Ok(None)
    }

    /// The attachments of every listed policy to targets the discovery names.
    async fn list(cx: &ListCx<'_>) -> Result<Vec<(Locator, Self)>, ProviderError> {
        let mut names: Vec<&String> = cx.shared.org_policies.keys().collect();
        names.sort();
        let mut out = Vec::new();
        for name in names {
            out.extend(
                cx.aws.org_policy_attachment_specs(name, cx.shared).await?.into_iter().map(|a| (a.locator(), a)),
            );
        }
        Ok(out)
    }

    async fn put(&self, cx: &WriteCx<'_>, _live: Option<&Self>) -> Result<String, ProviderError> {
        let t = api_type(self.policy_type);
        let policy_id = cx.aws.policy_id(t.clone(), &self.policy).await?;
        let target_id = target_id(&self.target, cx.ids)?;
        cx.aws.attach_policy(t, &policy_id, &target_id).await
    }

    /// Detaches the policy from a target the blueprint no longer lists for it.
    async fn delete(cx: &WriteCx<'_>, live: &Self) -> Result<String, ProviderError> {
        let policy_id = cx.aws.policy_id(api_type(live.policy_type), &live.policy).await?;
        let target_id = target_id(&live.target, cx.ids)?;
        cx.aws.detach_policy(&policy_id, &target_id).await
    }
}

impl Aws {
    /// The policies of every type beyond SCPs, name → (type, id): one ListPolicies per type.
    pub(crate) async fn list_org_policies(&self) -> Result<Vec<super::scp::ScpListing>, ProviderError> {
        let mut out = Vec::new();
        for t in OrgPolicyType::ALL {
            out.extend(self.list_policies_of(api_type(*t)).await?);
        }
        Ok(out)
    }

    /// The attachments of one policy to targets `shared` names (one ListTargetsForPolicy).
    pub(crate) async fn org_policy_attachment_specs(
        &self,
        name: &str,
        shared: &Shared,
    ) -> Result<Vec<OrgPolicyAttachmentSpec>, ProviderError> {
        let Some((t, id)) = shared.org_policies.get(name) else { return Ok(Vec::new()) };
        Ok(self
            .policy_targets(id, shared)
            .await?
            .into_iter()
            .map(|target| OrgPolicyAttachmentSpec { policy: name.to_owned(), policy_type: *t, target })
            .collect())
    }

    /// The attachments of one policy, as resources addressed by the target's blueprint name.
    pub(crate) async fn org_policy_attachments(
        &self,
        name: &str,
        shared: &Shared,
    ) -> Result<Vec<(Address, LiveResource)>, ProviderError> {
        Ok(self
            .org_policy_attachment_specs(name, shared)
            .await?
            .into_iter()
            .map(|spec| (spec.address(), LiveResource { at: spec.locator(), spec: spec.to_value() }))
            .collect())
    }
}
