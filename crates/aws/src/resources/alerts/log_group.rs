//! The alerts' log group: read with `DescribeLogGroups` (by prefix) and `ListTagsForResource`;
//! created with `CreateLogGroup` (with its tags and key), converged with `PutRetentionPolicy`,
//! `AssociateKmsKey` / `DisassociateKmsKey` and `TagResource`.

use groundwork_apply::ProviderError;
use groundwork_plan::kinds::log_group::LogGroupSpec;

use super::{own_tags, region};
use crate::call::Idempotency;
use crate::resources::{Converge, ReadCx, WriteCx};

/// The log group's ARN without the trailing `:*` (what tagging takes).
fn group_arn(region: &str, account: &str, name: &str) -> String {
    format!("arn:aws:logs:{region}:{account}:log-group:{name}")
}

#[async_trait::async_trait]
impl Converge for LogGroupSpec {
    async fn read(cx: &ReadCx<'_>) -> Result<Option<Self>, ProviderError> {
        let region = region(cx.at)?;
        let logs = cx.clients.alerts(region).logs;
        let name = cx.at.name.as_str();
        let out = cx
            .aws
            .run("logs:DescribeLogGroups", Idempotency::Safe, || {
                logs.describe_log_groups().log_group_name_prefix(name).send()
            })
            .await?;
        let Some(group) = out.log_groups().iter().find(|g| g.log_group_name() == Some(name)) else {
            return Ok(None);
        };
        let arn = group_arn(region, &cx.clients.id, name);
        let tags = cx
            .aws
            .run("logs:ListTagsForResource", Idempotency::Safe, || {
                logs.list_tags_for_resource().resource_arn(&arn).send()
            })
            .await?;
        Ok(Some(LogGroupSpec {
            retention_days: group.retention_in_days().and_then(|d| u32::try_from(d).ok()),
            kms_key_id: group.kms_key_id().map(str::to_owned),
            tags: own_tags(tags.tags().into_iter().flatten()),
        }))
    }

    async fn put(&self, cx: &WriteCx<'_>, live: Option<&Self>) -> Result<String, ProviderError> {
        let region = region(cx.at)?;
        let logs = cx.clients.alerts(region).logs;
        let name = cx.at.name.as_str();
        let mut done = Vec::new();
        if live.is_none() {
            let created = cx
                .aws
                .run("logs:CreateLogGroup", Idempotency::Safe, || {
                    logs.create_log_group()
                        .log_group_name(name)
                        .set_kms_key_id(self.kms_key_id.clone())
                        .set_tags(Some(self.tags.clone().into_iter().collect()))
                        .send()
                })
                .await;
            match created {
                Ok(_) => done.push(format!("created log group {name}")),
                // An earlier, ambiguous attempt created it; the settings below converge it.
                Err(e) if e.code.as_deref() == Some("ResourceAlreadyExistsException") => {}
                Err(e) => return Err(e),
            }
        }
        let live_retention = live.and_then(|l| l.retention_days);
        if live_retention != self.retention_days {
            if let Some(days) = self.retention_days {
                let days = i32::try_from(days).unwrap_or(i32::MAX);
                cx.aws
                    .run("logs:PutRetentionPolicy", Idempotency::Safe, || {
                        logs.put_retention_policy().log_group_name(name).retention_in_days(days).send()
                    })
                    .await?;
                done.push(format!("retention set to {days} days"));
            } else {
                cx.aws
                    .run("logs:DeleteRetentionPolicy", Idempotency::Safe, || {
                        logs.delete_retention_policy().log_group_name(name).send()
                    })
                    .await?;
                done.push("events kept forever".into());
            }
        }
        if let Some(l) = live
            && l.kms_key_id != self.kms_key_id
        {
            if let Some(key) = &self.kms_key_id {
                cx.aws
                    .run("logs:AssociateKmsKey", Idempotency::Safe, || {
                        logs.associate_kms_key().log_group_name(name).kms_key_id(key).send()
                    })
                    .await?;
                done.push("KMS key set".into());
            } else {
                cx.aws
                    .run("logs:DisassociateKmsKey", Idempotency::Safe, || {
                        logs.disassociate_kms_key().log_group_name(name).send()
                    })
                    .await?;
                done.push("KMS key removed".into());
            }
        }
        if live.is_some_and(|l| l.tags != self.tags) {
            let arn = group_arn(region, &cx.clients.id, name);
            cx.aws
                .run("logs:TagResource", Idempotency::Safe, || {
                    logs.tag_resource()
                        .resource_arn(&arn)
                        .set_tags(Some(self.tags.clone().into_iter().collect()))
                        .send()
                })
                .await?;
            done.push("tags set".into());
        }
        Ok(if done.is_empty() { "already as the blueprint says".into() } else { done.join(", ") })
    }
}
