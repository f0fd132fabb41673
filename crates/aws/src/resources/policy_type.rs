//! A policy type enabled on the root (`policy-type/SERVICE_CONTROL_POLICY`). Its read costs
//! nothing: discovery's ListRoots already returned the root's policy types
//! (`LiveOrganization::policy_types`).

use aws_sdk_organizations::types::PolicyType;
use groundwork_apply::ProviderError;
use groundwork_plan::kinds::policy_type::PolicyTypeSpec;

use groundwork_plan::Locator;
use groundwork_plan::kinds::KindMeta;

use super::{Converge, ListCx, ReadCx, WriteCx};
use crate::call::Idempotency;
use crate::organizations::internal;

#[async_trait::async_trait]
impl Converge for PolicyTypeSpec {
    async fn read(cx: &ReadCx<'_>) -> Result<Option<Self>, ProviderError> {
        Ok(cx.shared.policy_types.contains(&cx.at.name).then_some(PolicyTypeSpec::ENABLED))
    }

    /// The policy types enabled on the root (no read: discovery's ListRoots returned them).
    async fn list(cx: &ListCx<'_>) -> Result<Vec<(Locator, Self)>, ProviderError> {
        Ok(cx.shared.policy_types.iter().map(|t| (cx.locator(Self::KIND, t), PolicyTypeSpec::ENABLED)).collect())
    }

    async fn put(&self, cx: &WriteCx<'_>, _live: Option<&Self>) -> Result<String, ProviderError> {
        let (aws, policy_type) = (cx.aws, cx.at.name.as_str());
        let root = cx.ids.root_id.clone().ok_or_else(|| internal("the root's id is not known"))?;
        let enabled = aws
            .run("organizations:EnablePolicyType", Idempotency::Safe, || {
                aws.org.enable_policy_type().root_id(&root).policy_type(PolicyType::from(policy_type)).send()
            })
            .await;
        match enabled {
            Ok(_) => Ok(format!("{policy_type} enabled on {root}")),
            Err(e) if e.code.as_deref() == Some("PolicyTypeAlreadyEnabledException") => {
                Ok(format!("{policy_type} was already enabled"))
            }
            Err(e) => Err(e),
        }
    }
}
