//! The alerts' SNS topic: read with `GetTopicAttributes` (its policy), `ListTagsForResource`
//! and `ListSubscriptionsByTopic` (its e-mail subscribers); created with `CreateTopic` (which
//! returns the existing topic of that name, so a repeat is harmless), converged with
//! `SetTopicAttributes`, `Subscribe` / `Unsubscribe` and `TagResource`.

use aws_sdk_sns::types::Tag;
use groundwork_apply::ProviderError;
use groundwork_plan::canonical_policy;
use groundwork_plan::kinds::sns_topic::SnsTopicSpec;

use super::region;
use crate::call::Idempotency;
use crate::resources::{Converge, ReadCx, WriteCx, parse_document};

/// The topic's ARN in an account.
fn topic_arn(region: &str, account: &str, name: &str) -> String {
    format!("arn:aws:sns:{region}:{account}:{name}")
}

/// The topic's e-mail subscriptions: (endpoint, subscription ARN; `PendingConfirmation` until
/// the subscriber confirms).
async fn email_subscriptions(
    aws: &crate::Aws,
    sns: &aws_sdk_sns::Client,
    arn: &str,
) -> Result<Vec<(String, String)>, ProviderError> {
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = aws
            .run("sns:ListSubscriptionsByTopic", Idempotency::Safe, || {
                sns.list_subscriptions_by_topic().topic_arn(arn).set_next_token(token.clone()).send()
            })
            .await?;
        for s in page.subscriptions() {
            if s.protocol() == Some("email")
                && let Some(endpoint) = s.endpoint()
            {
                out.push((endpoint.to_owned(), s.subscription_arn().unwrap_or_default().to_owned()));
            }
        }
        token = page.next_token().map(str::to_owned);
        if token.is_none() {
            break;
        }
    }
    out.sort();
    Ok(out)
}

#[async_trait::async_trait]
impl Converge for SnsTopicSpec {
    async fn read(cx: &ReadCx<'_>) -> Result<Option<Self>, ProviderError> {
        let region = region(cx.at)?;
        let sns = cx.clients.alerts(region).sns;
        let arn = topic_arn(region, &cx.clients.id, &cx.at.name);
        let attrs = match cx
            .aws
            .run("sns:GetTopicAttributes", Idempotency::Safe, || sns.get_topic_attributes().topic_arn(&arn).send())
            .await
        {
            Ok(out) => out,
            Err(e) if e.code.as_deref() == Some("NotFound") => return Ok(None),
            Err(e) => return Err(e),
        };
        let policy = match attrs.attributes().and_then(|a| a.get("Policy")) {
            Some(text) => canonical_policy(&parse_document("sns:GetTopicAttributes", text)?),
            None => serde_json::Value::Null,
        };
        let tags = cx
            .aws
            .run("sns:ListTagsForResource", Idempotency::Safe, || {
                sns.list_tags_for_resource().resource_arn(&arn).send()
            })
            .await?;
        let mut email: Vec<String> =
            email_subscriptions(cx.aws, &sns, &arn).await?.into_iter().map(|(endpoint, _)| endpoint).collect();
        email.dedup();
        Ok(Some(SnsTopicSpec {
            policy,
            email,
            tags: tags
                .tags()
                .iter()
                .filter(|t| t.key().starts_with("groundwork:"))
                .map(|t| (t.key().to_owned(), t.value().to_owned()))
                .collect(),
        }))
    }

    async fn put(&self, cx: &WriteCx<'_>, live: Option<&Self>) -> Result<String, ProviderError> {
        let region = region(cx.at)?;
        let sns = cx.clients.alerts(region).sns;
        let name = cx.at.name.as_str();
        let tags: Vec<Tag> =
            self.tags.iter().filter_map(|(k, v)| Tag::builder().key(k).value(v).build().ok()).collect();
        let mut done = Vec::new();
        let arn = if live.is_none() {
            let out = cx
                .aws
                .run("sns:CreateTopic", Idempotency::Safe, || {
                    sns.create_topic().name(name).set_tags(Some(tags.clone())).send()
                })
                .await?;
            done.push(format!("created topic {name}"));
            out.topic_arn().map_or_else(|| topic_arn(region, &cx.clients.id, name), str::to_owned)
        } else {
            topic_arn(region, &cx.clients.id, name)
        };
        if live.is_none_or(|l| l.policy != self.policy) {
            let text = self.policy.to_string();
            cx.aws
                .run("sns:SetTopicAttributes", Idempotency::Safe, || {
                    sns.set_topic_attributes().topic_arn(&arn).attribute_name("Policy").attribute_value(&text).send()
                })
                .await?;
            done.push("policy set".into());
        }
        if live.is_some_and(|l| l.tags != self.tags) {
            cx.aws
                .run("sns:TagResource", Idempotency::Safe, || {
                    sns.tag_resource().resource_arn(&arn).set_tags(Some(tags.clone())).send()
                })
                .await?;
            done.push("tags set".into());
        }
        let live_email: &[String] = live.map_or(&[], |l| &l.email);
        for endpoint in self.email.iter().filter(|e| !live_email.contains(e)) {
            cx.aws
                .run("sns:Subscribe", Idempotency::Safe, || {
                    sns.subscribe().topic_arn(&arn).protocol("email").endpoint(endpoint).send()
                })
                .await?;
            done.push(format!("{endpoint} subscribed (until confirmed, pending)"));
        }
        if live_email.iter().any(|e| !self.email.contains(e)) {
            for (endpoint, sub) in email_subscriptions(cx.aws, &sns, &arn).await? {
                if self.email.contains(&endpoint) || !sub.starts_with("arn:") {
                    // Wanted, or a pending subscription, which cannot be removed (it expires).
                    continue;
                }
                cx.aws
                    .run("sns:Unsubscribe", Idempotency::Safe, || sns.unsubscribe().subscription_arn(&sub).send())
                    .await?;
                done.push(format!("{endpoint} unsubscribed"));
            }
        }
        Ok(if done.is_empty() { "already as the blueprint says".into() } else { done.join(", ") })
    }
}
