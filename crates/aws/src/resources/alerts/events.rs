//! The Slack half of the alerts on the AWS side (EventBridge): the central bus and its policy,
//! the rules and their targets, the connection holding the bot token, and the API destination.
//!
//! Reads: `DescribeEventBus` and `ListTagsForResource` for the bus; `DescribeRule`,
//! `ListTargetsByRule` and `ListTagsForResource` per rule; `DescribeConnection` and
//! `DescribeApiDestination`. The token is never read back (EventBridge keeps it in its own
//! secret): the connection's description carries its source and fingerprint, and the writer
//! reads the token from that source only when the fingerprint says it changed, checking it is
//! the token the plan was made with.

use std::collections::BTreeMap;

use aws_sdk_eventbridge::types::{
    ApiDestinationHttpMethod, ConnectionAuthorizationType, CreateConnectionApiKeyAuthRequestParameters,
    CreateConnectionAuthRequestParameters, RuleState, Tag, Target, UpdateConnectionApiKeyAuthRequestParameters,
    UpdateConnectionAuthRequestParameters,
};
use groundwork_apply::ProviderError;
use groundwork_blueprint::SecretSource;
use groundwork_plan::canonical_policy;
use groundwork_plan::kinds::api_destination::ApiDestinationSpec;
use groundwork_plan::kinds::event_bus::EventBusSpec;
use groundwork_plan::kinds::event_connection::{EventConnectionSpec, fingerprint, header_value};
use groundwork_plan::kinds::event_rule::{EventRuleSpec, EventTarget, InputTransformer};

use aws_sdk_eventbridge::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_eventbridge::operation::RequestId;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;

use super::region;
use crate::call::Idempotency;
use crate::resources::{Converge, ReadCx, WriteCx, parse_document};

fn not_found(e: &ProviderError) -> bool {
    e.code.as_deref() == Some("ResourceNotFoundException")
}

/// `op`'s answer about the object `cx` names, asked through `ask(client, name)` in its account
/// and region; `None` when EventBridge has no such object.
async fn describe<T, E, F, Fut>(cx: &ReadCx<'_>, op: &'static str, ask: F) -> Result<Option<T>, ProviderError>
where
    F: Fn(&aws_sdk_eventbridge::Client, &str) -> Fut,
    Fut: std::future::Future<Output = Result<T, SdkError<E, HttpResponse>>>,
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    T: RequestId,
{
    let eb = cx.clients.alerts(region(cx.at)?).events;
    let name = cx.at.name.as_str();
    match cx.aws.run(op, Idempotency::Safe, || ask(&eb, name)).await {
        Ok(out) => Ok(Some(out)),
        Err(e) if not_found(&e) => Ok(None),
        Err(e) => Err(e),
    }
}

fn tags_of(tags: &[Tag]) -> BTreeMap<String, String> {
    tags.iter()
        .filter(|t| t.key().starts_with("groundwork:"))
        .map(|t| (t.key().to_owned(), t.value().to_owned()))
        .collect()
}

fn sdk_tags(tags: &BTreeMap<String, String>) -> Vec<Tag> {
    tags.iter().filter_map(|(k, v)| Tag::builder().key(k).value(v).build().ok()).collect()
}

fn bus_arn(region: &str, account: &str, name: &str) -> String {
    format!("arn:aws:events:{region}:{account}:event-bus/{name}")
}

fn rule_arn(region: &str, account: &str, bus: &str, name: &str) -> String {
    if bus == "default" {
        format!("arn:aws:events:{region}:{account}:rule/{name}")
    } else {
        format!("arn:aws:events:{region}:{account}:rule/{bus}/{name}")
    }
}

/// The bus a rule of groundwork's is on: the central rules on the central bus, the forwarding
/// rules on the account's default bus (the locator names the rule, not its bus).
fn bus_of_rule(name: &str) -> &'static str {
    use groundwork_plan::kinds::slack::{ALARMS_RULE, BUS, IAM_RULE};
    if name == IAM_RULE || name == ALARMS_RULE { BUS } else { "default" }
}

#[async_trait::async_trait]
impl Converge for EventBusSpec {
    async fn read(cx: &ReadCx<'_>) -> Result<Option<Self>, ProviderError> {
        let Some(out) =
            describe(cx, "events:DescribeEventBus", |eb, name| eb.describe_event_bus().name(name).send()).await?
        else {
            return Ok(None);
        };
        let region = region(cx.at)?;
        let eb = cx.clients.alerts(region).events;
        let name = cx.at.name.as_str();
        let policy = match out.policy() {
            Some(text) => canonical_policy(&parse_document("events:DescribeEventBus", text)?),
            None => serde_json::Value::Null,
        };
        let arn = out.arn().map_or_else(|| bus_arn(region, &cx.clients.id, name), str::to_owned);
        let tags = cx
            .aws
            .run("events:ListTagsForResource", Idempotency::Safe, || {
                eb.list_tags_for_resource().resource_arn(&arn).send()
            })
            .await?;
        Ok(Some(EventBusSpec { policy, tags: tags_of(tags.tags()) }))
    }

    async fn put(&self, cx: &WriteCx<'_>, live: Option<&Self>) -> Result<String, ProviderError> {
        let region = region(cx.at)?;
        let eb = cx.clients.alerts(region).events;
        let name = cx.at.name.as_str();
        let arn = bus_arn(region, &cx.clients.id, name);
        let mut done = Vec::new();
        if live.is_none() {
            let created = cx
                .aws
                .run("events:CreateEventBus", Idempotency::Safe, || {
                    eb.create_event_bus().name(name).set_tags(Some(sdk_tags(&self.tags))).send()
                })
                .await;
            match created {
                Ok(_) => done.push(format!("created bus {name}")),
                // A repeat of a create whose answer was lost.
                Err(e) if e.code.as_deref() == Some("ResourceAlreadyExistsException") => {}
                Err(e) => return Err(e),
            }
        }
        if live.is_none_or(|l| l.policy != self.policy) {
            let text = self.policy.to_string();
            cx.aws
                .run("events:PutPermission", Idempotency::Safe, || {
                    eb.put_permission().event_bus_name(name).policy(&text).send()
                })
                .await?;
            done.push("policy set".into());
        }
        if live.is_some_and(|l| l.tags != self.tags) {
            cx.aws
                .run("events:TagResource", Idempotency::Safe, || {
                    eb.tag_resource().resource_arn(&arn).set_tags(Some(sdk_tags(&self.tags))).send()
                })
                .await?;
            done.push("tags set".into());
        }
        Ok(if done.is_empty() { "already as the blueprint says".into() } else { done.join(", ") })
    }
}

fn target_of(t: &aws_sdk_eventbridge::types::Target) -> EventTarget {
    EventTarget {
        id: t.id().to_owned(),
        arn: t.arn().to_owned(),
        role_arn: t.role_arn().map(str::to_owned),
        input_transformer: t.input_transformer().map(|it| InputTransformer {
            paths: it
                .input_paths_map()
                .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                .unwrap_or_default(),
            template: it.input_template().to_owned(),
        }),
    }
}

fn sdk_target(t: &EventTarget) -> Option<Target> {
    let mut b = Target::builder().id(&t.id).arn(&t.arn).set_role_arn(t.role_arn.clone());
    if let Some(it) = &t.input_transformer {
        b = b.input_transformer(
            aws_sdk_eventbridge::types::InputTransformer::builder()
                .set_input_paths_map(Some(it.paths.clone().into_iter().collect()))
                .input_template(&it.template)
                .build()
                .ok()?,
        );
    }
    b.build().ok()
}

#[async_trait::async_trait]
impl Converge for EventRuleSpec {
    async fn read(cx: &ReadCx<'_>) -> Result<Option<Self>, ProviderError> {
        let region = region(cx.at)?;
        let eb = cx.clients.alerts(region).events;
        let name = cx.at.name.as_str();
        let bus = bus_of_rule(name);
        let Some(rule) =
            describe(cx, "events:DescribeRule", |eb, name| eb.describe_rule().name(name).event_bus_name(bus).send())
                .await?
        else {
            return Ok(None);
        };
        let pattern = match rule.event_pattern() {
            Some(text) => parse_document("events:DescribeRule", text)?,
            None => serde_json::Value::Null,
        };
        let mut targets = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page = cx
                .aws
                .run("events:ListTargetsByRule", Idempotency::Safe, || {
                    eb.list_targets_by_rule().rule(name).event_bus_name(bus).set_next_token(token.clone()).send()
                })
                .await?;
            targets.extend(page.targets().iter().map(target_of));
            token = page.next_token().map(str::to_owned);
            if token.is_none() {
                break;
            }
        }
        targets.sort_by(|a, b| a.id.cmp(&b.id));
        let arn = rule.arn().map_or_else(|| rule_arn(region, &cx.clients.id, bus, name), str::to_owned);
        let tags = cx
            .aws
            .run("events:ListTagsForResource", Idempotency::Safe, || {
                eb.list_tags_for_resource().resource_arn(&arn).send()
            })
            .await?;
        Ok(Some(EventRuleSpec {
            bus: rule.event_bus_name().unwrap_or(bus).to_owned(),
            description: rule.description().unwrap_or_default().to_owned(),
            pattern,
            enabled: rule.state() == Some(&RuleState::Enabled),
            targets,
            tags: tags_of(tags.tags()),
        }))
    }

    async fn put(&self, cx: &WriteCx<'_>, live: Option<&Self>) -> Result<String, ProviderError> {
        let region = region(cx.at)?;
        let eb = cx.clients.alerts(region).events;
        let name = cx.at.name.as_str();
        let bus = self.bus.as_str();
        let mut done = Vec::new();
        let settings_differ = live.is_none_or(|l| {
            l.pattern != self.pattern
                || l.enabled != self.enabled
                || l.description != self.description
                || l.bus != self.bus
        });
        if settings_differ {
            let pattern = self.pattern.to_string();
            let state = if self.enabled { RuleState::Enabled } else { RuleState::Disabled };
            cx.aws
                .run("events:PutRule", Idempotency::Safe, || {
                    eb.put_rule()
                        .name(name)
                        .event_bus_name(bus)
                        .event_pattern(&pattern)
                        .state(state.clone())
                        .description(&self.description)
                        .set_tags(live.is_none().then(|| sdk_tags(&self.tags)))
                        .send()
                })
                .await?;
            done.push(if live.is_none() { format!("created rule {name}") } else { "rule set".into() });
        }
        if live.is_some_and(|l| l.tags != self.tags) {
            let arn = rule_arn(region, &cx.clients.id, bus, name);
            cx.aws
                .run("events:TagResource", Idempotency::Safe, || {
                    eb.tag_resource().resource_arn(&arn).set_tags(Some(sdk_tags(&self.tags))).send()
                })
                .await?;
            done.push("tags set".into());
        }
        let live_targets: &[EventTarget] = live.map_or(&[], |l| &l.targets);
        if live_targets != self.targets.as_slice() {
            let targets: Vec<Target> = self.targets.iter().filter_map(sdk_target).collect();
            cx.aws
                .run("events:PutTargets", Idempotency::Safe, || {
                    eb.put_targets().rule(name).event_bus_name(bus).set_targets(Some(targets.clone())).send()
                })
                .await?;
            let stale: Vec<String> = live_targets
                .iter()
                .filter(|t| !self.targets.iter().any(|d| d.id == t.id))
                .map(|t| t.id.clone())
                .collect();
            if !stale.is_empty() {
                cx.aws
                    .run("events:RemoveTargets", Idempotency::Safe, || {
                        eb.remove_targets().rule(name).event_bus_name(bus).set_ids(Some(stale.clone())).send()
                    })
                    .await?;
            }
            done.push("targets set".into());
        }
        Ok(if done.is_empty() { "already as the blueprint says".into() } else { done.join(", ") })
    }
}

/// The token the spec's source holds, checked against the spec's fingerprint.
fn token_for(spec: &EventConnectionSpec) -> Result<String, ProviderError> {
    let refuse = |message: String| ProviderError {
        operation: "events:CreateConnection".into(),
        code: None,
        message,
        kind: groundwork_apply::ErrorKind::Rejected,
    };
    let source = SecretSource::parse(&spec.token_source)
        .ok_or_else(|| refuse(format!("`{}` is not a token source", spec.token_source)))?;
    let token = source.read().map_err(refuse)?;
    if fingerprint(&token) != spec.fingerprint {
        return Err(refuse(format!(
            "the Slack token from {source} is not the one the plan was made with (fingerprint {}); plan again",
            spec.fingerprint
        )));
    }
    Ok(token)
}

#[async_trait::async_trait]
impl Converge for EventConnectionSpec {
    async fn read(cx: &ReadCx<'_>) -> Result<Option<Self>, ProviderError> {
        let Some(out) =
            describe(cx, "events:DescribeConnection", |eb, name| eb.describe_connection().name(name).send()).await?
        else {
            return Ok(None);
        };
        let header = out
            .auth_parameters()
            .and_then(|a| a.api_key_auth_parameters())
            .and_then(|k| k.api_key_name())
            .unwrap_or_default();
        let description = out.description().unwrap_or_default();
        // Another description (not groundwork's, or edited): drift, converged by an update.
        Ok(Some(EventConnectionSpec::from_description(header, description).unwrap_or_else(|| EventConnectionSpec {
            header: header.to_owned(),
            token_source: String::new(),
            fingerprint: String::new(),
        })))
    }

    async fn put(&self, cx: &WriteCx<'_>, live: Option<&Self>) -> Result<String, ProviderError> {
        let region = region(cx.at)?;
        let eb = cx.clients.alerts(region).events;
        let name = cx.at.name.as_str();
        if live.is_some_and(|l| l == self) {
            return Ok("already as the blueprint says".into());
        }
        let token = token_for(self)?;
        let value = header_value(&token);
        let description = self.description();
        if live.is_none() {
            let auth = CreateConnectionAuthRequestParameters::builder()
                .api_key_auth_parameters(
                    CreateConnectionApiKeyAuthRequestParameters::builder()
                        .api_key_name(&self.header)
                        .api_key_value(&value)
                        .build()
                        .map_err(|e| crate::organizations::internal(&e.to_string()))?,
                )
                .build();
            cx.aws
                .run("events:CreateConnection", Idempotency::Safe, || {
                    eb.create_connection()
                        .name(name)
                        .description(&description)
                        .authorization_type(ConnectionAuthorizationType::ApiKey)
                        .auth_parameters(auth.clone())
                        .send()
                })
                .await?;
            return Ok(format!("created connection {name} (token {})", self.fingerprint));
        }
        let auth = UpdateConnectionAuthRequestParameters::builder()
            .api_key_auth_parameters(
                UpdateConnectionApiKeyAuthRequestParameters::builder()
                    .api_key_name(&self.header)
                    .api_key_value(&value)
                    .build(),
            )
            .build();
        cx.aws
            .run("events:UpdateConnection", Idempotency::Safe, || {
                eb.update_connection()
                    .name(name)
                    .description(&description)
                    .authorization_type(ConnectionAuthorizationType::ApiKey)
                    .auth_parameters(auth.clone())
                    .send()
            })
            .await?;
        Ok(format!("token updated (fingerprint {})", self.fingerprint))
    }
}

#[async_trait::async_trait]
impl Converge for ApiDestinationSpec {
    async fn read(cx: &ReadCx<'_>) -> Result<Option<Self>, ProviderError> {
        let Some(out) =
            describe(cx, "events:DescribeApiDestination", |eb, name| eb.describe_api_destination().name(name).send())
                .await?
        else {
            return Ok(None);
        };
        // arn:aws:events:REGION:ACCOUNT:connection/NAME/UUID
        let connection = out
            .connection_arn()
            .and_then(|a| a.split_once(":connection/"))
            .map(|(_, rest)| rest.split('/').next().unwrap_or_default().to_owned())
            .unwrap_or_default();
        Ok(Some(ApiDestinationSpec {
            connection,
            endpoint: out.invocation_endpoint().unwrap_or_default().to_owned(),
            method: out.http_method().map(|m| m.as_str().to_owned()).unwrap_or_default(),
            rate_limit_per_second: out
                .invocation_rate_limit_per_second()
                .and_then(|r| u32::try_from(r).ok())
                .unwrap_or_default(),
            description: out.description().unwrap_or_default().to_owned(),
        }))
    }

    async fn put(&self, cx: &WriteCx<'_>, live: Option<&Self>) -> Result<String, ProviderError> {
        let region = region(cx.at)?;
        let eb = cx.clients.alerts(region).events;
        let name = cx.at.name.as_str();
        if live.is_some_and(|l| l == self) {
            return Ok("already as the blueprint says".into());
        }
        let connection = cx
            .aws
            .run("events:DescribeConnection", Idempotency::Safe, || {
                eb.describe_connection().name(&self.connection).send()
            })
            .await?;
        let connection_arn = connection.connection_arn().unwrap_or_default().to_owned();
        let method = ApiDestinationHttpMethod::from(self.method.as_str());
        let rate = i32::try_from(self.rate_limit_per_second).unwrap_or(1);
        if live.is_none() {
            cx.aws
                .run("events:CreateApiDestination", Idempotency::Safe, || {
                    eb.create_api_destination()
                        .name(name)
                        .description(&self.description)
                        .connection_arn(&connection_arn)
                        .invocation_endpoint(&self.endpoint)
                        .http_method(method.clone())
                        .invocation_rate_limit_per_second(rate)
                        .send()
                })
                .await?;
            return Ok(format!("created API destination {name} posting to {}", self.endpoint));
        }
        cx.aws
            .run("events:UpdateApiDestination", Idempotency::Safe, || {
                eb.update_api_destination()
                    .name(name)
                    .description(&self.description)
                    .connection_arn(&connection_arn)
                    .invocation_endpoint(&self.endpoint)
                    .http_method(method.clone())
                    .invocation_rate_limit_per_second(rate)
                    .send()
            })
            .await?;
        Ok(format!("API destination set, posting to {}", self.endpoint))
    }
}
