//! A group of the identity store (`sso-group`): found by display name (GetGroupId), its
//! description read with DescribeGroup. A group the blueprint says to create is created in the
//! built-in directory; one synced from an identity provider is only looked up (the planner
//! refuses a plan where it is missing).

use groundwork_apply::ProviderError;
use groundwork_plan::kinds::sso_group::SsoGroupSpec;

use super::{region_of, rejected};
use crate::call::Idempotency;
use groundwork_plan::Locator;
use groundwork_plan::kinds::KindMeta;

use crate::resources::{Converge, ListCx, ReadCx, WriteCx};

#[async_trait::async_trait]
impl Converge for SsoGroupSpec {
    async fn read(cx: &ReadCx<'_>) -> Result<Option<Self>, ProviderError> {
        let region = region_of(cx.at)?;
        let view = cx.aws.sso_view(&cx.shared.sso, cx.clients, region).await?;
        let sso = cx.clients.sso(region);
        let Some(id) = cx.aws.sso_cached_group_id(&view, &sso, &cx.at.name).await? else { return Ok(None) };
        let store = view.instance.store.clone();
        let d = cx
            .aws
            .run("identitystore:DescribeGroup", Idempotency::Safe, || {
                sso.store.describe_group().identity_store_id(&store).group_id(&id).send()
            })
            .await?;
        Ok(Some(SsoGroupSpec { description: Some(d.description().unwrap_or_default().to_owned()) }))
    }

    /// Every group of the identity store (for import), with its description.
    async fn list(cx: &ListCx<'_>) -> Result<Vec<(Locator, Self)>, ProviderError> {
        let Some((region, view)) = cx.aws.sso_import_view(&cx.shared.sso, cx.clients).await? else {
            return Ok(Vec::new());
        };
        let groups = cx.aws.sso_groups(&cx.clients.sso(&region), &view.instance.store).await?;
        Ok(groups
            .into_iter()
            .map(|(name, _, description)| {
                (
                    Locator::regional(Self::KIND, None, region.clone(), name),
                    SsoGroupSpec { description: Some(description) },
                )
            })
            .collect())
    }

    async fn put(&self, cx: &WriteCx<'_>, live: Option<&Self>) -> Result<String, ProviderError> {
        let Some(description) = &self.description else {
            return Err(rejected(
                "identitystore:CreateGroup",
                format!("group {} comes from the identity provider; groundwork never writes it", cx.at.name),
            ));
        };
        let region = region_of(cx.at)?;
        let sso = cx.clients.sso(region);
        let instance = cx.aws.sso_instance(&sso, region).await?;
        let name = cx.at.name.as_str();
        let store = instance.store.as_str();
        if live.is_none() {
            cx.aws
                .run_settled(
                    "identitystore:CreateGroup",
                    || {
                        sso.store
                            .create_group()
                            .identity_store_id(store)
                            .display_name(name)
                            .description(description)
                            .send()
                    },
                    || async { Ok(cx.aws.sso_group_id(&sso, store, name).await?.is_some()) },
                )
                .await?;
            return Ok(format!("created group {name} in the identity store"));
        }
        let id = cx
            .aws
            .sso_group_id(&sso, store, name)
            .await?
            .ok_or_else(|| rejected("identitystore:GetGroupId", format!("group {name} is gone")))?;
        let operation = aws_sdk_identitystore::types::AttributeOperation::builder()
            .attribute_path("description")
            .attribute_value(aws_smithy_types::Document::String(description.clone()))
            .build()
            .map_err(|e| rejected("identitystore:UpdateGroup", e.to_string()))?;
        cx.aws
            .run("identitystore:UpdateGroup", Idempotency::Safe, || {
                sso.store.update_group().identity_store_id(store).group_id(&id).operations(operation.clone()).send()
            })
            .await?;
        Ok("description restored".into())
    }
}
