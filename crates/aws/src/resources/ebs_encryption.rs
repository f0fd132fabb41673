//! EBS encryption by default, per (account, region): read with `GetEbsEncryptionByDefault`,
//! turned on with `EnableEbsEncryptionByDefault` (and off, should a spec ever say so, with
//! `DisableEbsEncryptionByDefault`), through the account's EC2 client for the locator's region.

use groundwork_apply::ProviderError;
use groundwork_plan::kinds::ebs_encryption::EbsEncryptionSpec;

use super::{Converge, ReadCx, WriteCx};
use crate::call::Idempotency;

/// The region of a regional locator.
fn region(at: &groundwork_plan::Locator) -> Result<&str, ProviderError> {
    at.region.as_deref().ok_or_else(|| crate::organizations::internal(&format!("{} has no region", at.kind)))
}

#[async_trait::async_trait]
impl Converge for EbsEncryptionSpec {
    /// The setting in the home region (import writes `regions: home`): one read.
    async fn list(cx: &super::ListCx<'_>) -> Result<Vec<(groundwork_plan::Locator, Self)>, ProviderError> {
        let region = cx.aws.home_region();
        let at = groundwork_plan::Locator::regional(
            groundwork_plan::Kind::EbsEncryption,
            cx.account.map(str::to_owned),
            region,
            groundwork_plan::kinds::ebs_encryption::NAME.to_owned(),
        );
        let read = super::ReadCx { aws: cx.aws, at: &at, clients: cx.clients, shared: cx.shared, iam: cx.iam };
        Ok(Self::read(&read).await?.map(|spec| vec![(at, spec)]).unwrap_or_default())
    }

    async fn read(cx: &ReadCx<'_>) -> Result<Option<Self>, ProviderError> {
        let ec2 = cx.clients.ec2(region(cx.at)?);
        let out = cx
            .aws
            .run("ec2:GetEbsEncryptionByDefault", Idempotency::Safe, || ec2.get_ebs_encryption_by_default().send())
            .await?;
        // The setting always exists (off in a new account); EC2 leaves nothing out in practice.
        Ok(Some(EbsEncryptionSpec { enabled: out.ebs_encryption_by_default().unwrap_or(false) }))
    }

    async fn put(&self, cx: &WriteCx<'_>, live: Option<&Self>) -> Result<String, ProviderError> {
        let region = region(cx.at)?;
        if live == Some(self) {
            return Ok("already as the blueprint says".into());
        }
        let ec2 = cx.clients.ec2(region);
        let id = &cx.clients.id;
        if self.enabled {
            cx.aws
                .run("ec2:EnableEbsEncryptionByDefault", Idempotency::Safe, || {
                    ec2.enable_ebs_encryption_by_default().send()
                })
                .await?;
            Ok(format!("EBS encryption by default turned on in {region} of account {id}"))
        } else {
            cx.aws
                .run("ec2:DisableEbsEncryptionByDefault", Idempotency::Safe, || {
                    ec2.disable_ebs_encryption_by_default().send()
                })
                .await?;
            Ok(format!("EBS encryption by default turned off in {region} of account {id}"))
        }
    }
}
