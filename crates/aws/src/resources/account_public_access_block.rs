//! S3's account-level public access block (S3 Control), one per account: read with
//! `GetPublicAccessBlock`, written with `PutPublicAccessBlock`, the four flags always together.

use aws_sdk_s3control::types::PublicAccessBlockConfiguration;
use groundwork_apply::ProviderError;
use groundwork_plan::kinds::account_public_access_block::AccountPublicAccessBlockSpec;

use super::{Converge, ReadCx, WriteCx};
use crate::call::Idempotency;

/// What S3 Control answers when the account has no public access block.
const NONE_SET: &str = "NoSuchPublicAccessBlockConfiguration";

#[async_trait::async_trait]
impl Converge for AccountPublicAccessBlockSpec {
    /// The account's one block (none set reads as all four off, as discovery reads it).
    async fn list(cx: &super::ListCx<'_>) -> Result<Vec<(groundwork_plan::Locator, Self)>, ProviderError> {
        cx.read_each([groundwork_plan::kinds::account_public_access_block::NAME.to_owned()]).await
    }

    async fn read(cx: &ReadCx<'_>) -> Result<Option<Self>, ProviderError> {
        let c = cx.clients;
        let out = match cx
            .aws
            .run("s3control:GetPublicAccessBlock", Idempotency::Safe, || {
                c.s3control.get_public_access_block().account_id(&c.id).send()
            })
            .await
        {
            Ok(out) => out,
            Err(e) if e.code.as_deref() == Some(NONE_SET) => return Ok(None),
            Err(e) => return Err(e),
        };
        // S3 leaves out a flag that is off.
        let p = out.public_access_block_configuration();
        let flag = |f: fn(&PublicAccessBlockConfiguration) -> Option<bool>| p.and_then(f).unwrap_or(false);
        Ok(Some(AccountPublicAccessBlockSpec {
            block_public_acls: flag(PublicAccessBlockConfiguration::block_public_acls),
            ignore_public_acls: flag(PublicAccessBlockConfiguration::ignore_public_acls),
            block_public_policy: flag(PublicAccessBlockConfiguration::block_public_policy),
            restrict_public_buckets: flag(PublicAccessBlockConfiguration::restrict_public_buckets),
        }))
    }

    async fn put(&self, cx: &WriteCx<'_>, live: Option<&Self>) -> Result<String, ProviderError> {
        let c = cx.clients;
        if live == Some(self) {
            return Ok("already as the blueprint says".into());
        }
        // The whole configuration at once: a flag left out would be turned off.
        let config = PublicAccessBlockConfiguration::builder()
            .block_public_acls(self.block_public_acls)
            .ignore_public_acls(self.ignore_public_acls)
            .block_public_policy(self.block_public_policy)
            .restrict_public_buckets(self.restrict_public_buckets)
            .build();
        cx.aws
            .run("s3control:PutPublicAccessBlock", Idempotency::Safe, || {
                c.s3control
                    .put_public_access_block()
                    .account_id(&c.id)
                    .public_access_block_configuration(config.clone())
                    .send()
            })
            .await?;
        Ok(format!("S3 public access block of account {} set", c.id))
    }
}
