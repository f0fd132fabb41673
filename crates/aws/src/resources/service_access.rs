//! Trusted access of an AWS service to the organization (`service-access/<principal>`).

use groundwork_apply::ProviderError;
use groundwork_plan::kinds::service_access::ServiceAccessSpec;

use groundwork_plan::Locator;
use groundwork_plan::kinds::KindMeta;

use super::{Converge, ListCx, ReadCx, WriteCx};
use crate::Aws;
use crate::call::Idempotency;
use crate::organizations::paginate;

#[async_trait::async_trait]
impl Converge for ServiceAccessSpec {
    async fn read(cx: &ReadCx<'_>) -> Result<Option<Self>, ProviderError> {
        cx.aws.read_service_access(&cx.at.name).await
    }

    /// Every service principal with trusted access (one listing).
    async fn list(cx: &ListCx<'_>) -> Result<Vec<(Locator, Self)>, ProviderError> {
        let mut enabled = cx.aws.enabled_service_principals().await?;
        enabled.sort();
        Ok(enabled.iter().map(|p| (cx.locator(Self::KIND, p), ServiceAccessSpec::ENABLED)).collect())
    }

    async fn put(&self, cx: &WriteCx<'_>, _live: Option<&Self>) -> Result<String, ProviderError> {
        let aws = cx.aws;
        let principal = cx.at.name.as_str();
        aws.run("organizations:EnableAWSServiceAccess", Idempotency::Safe, || {
            aws.org.enable_aws_service_access().service_principal(principal).send()
        })
        .await?;
        Ok(format!("trusted access enabled for {principal}"))
    }
}

impl Aws {
    /// Trusted access of `principal`: enabled, or `None`. Read-only.
    pub(crate) async fn read_service_access(
        &self,
        principal: &str,
    ) -> Result<Option<ServiceAccessSpec>, ProviderError> {
        let enabled = self.enabled_service_principals().await?;
        Ok(enabled.iter().any(|p| p == principal).then_some(ServiceAccessSpec::ENABLED))
    }

    /// The service principals with trusted access to the organization. Read-only.
    async fn enabled_service_principals(&self) -> Result<Vec<String>, ProviderError> {
        paginate!(
            self,
            "organizations:ListAWSServiceAccessForOrganization",
            |t| self.org.list_aws_service_access_for_organization().set_next_token(t).send(),
            |p: &aws_sdk_organizations::operation::list_aws_service_access_for_organization::ListAwsServiceAccessForOrganizationOutput| p
                .enabled_service_principals()
                .iter()
                .filter_map(|s| s.service_principal().map(str::to_owned))
                .collect::<Vec<_>>()
        )
    }
}
