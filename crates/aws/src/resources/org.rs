//! Organization-level resources: trusted service access, the SCP policy type, service control
//! policies and their attachments (read per policy with ListTargetsForPolicy, never per target).

use std::collections::HashMap;

use aws_sdk_organizations::types::{PolicyType, PolicyTypeStatus, Tag, TargetType};
use groundwork_apply::ProviderError;
use groundwork_blueprint::OuPath;
use groundwork_plan::{Address, Ids, Kind, LiveResource, Locator, canonical_policy, compact_policy};
use serde_json::{Map, Value, json};

use super::{Shared, parse_document};
use crate::Aws;
use crate::call::Idempotency;
use crate::organizations::{internal, paginate};

fn scp_type() -> PolicyType {
    PolicyType::ServiceControlPolicy
}

impl Aws {
    /// Every SCP of the organization, name → id.
    pub(crate) async fn scps_by_name(&self) -> Result<HashMap<String, String>, ProviderError> {
        let list = paginate!(
            self,
            "organizations:ListPolicies",
            |t| self.org.list_policies().filter(scp_type()).set_next_token(t).send(),
            |p: &aws_sdk_organizations::operation::list_policies::ListPoliciesOutput| p
                .policies()
                .iter()
                .filter_map(|s| Some((s.name()?.to_owned(), s.id()?.to_owned())))
                .collect::<Vec<_>>()
        )?;
        Ok(list.into_iter().collect())
    }

    async fn scp_id(&self, name: &str) -> Result<String, ProviderError> {
        self.scps_by_name()
            .await?
            .remove(name)
            .ok_or_else(|| internal(&format!("service control policy {name} does not exist")))
    }

    /// Whether the SCP named `name` exists with `document` (read back after a lost answer).
    async fn scp_has_document(&self, name: &str, document: &Value) -> Result<bool, ProviderError> {
        let Some(id) = self.scps_by_name().await?.remove(name) else { return Ok(false) };
        let out = self
            .run("organizations:DescribePolicy", Idempotency::Safe, || self.org.describe_policy().policy_id(&id).send())
            .await?;
        let content = out.policy().and_then(|p| p.content()).unwrap_or("{}");
        Ok(canonical_policy(&parse_document("organizations:DescribePolicy", content)?) == canonical_policy(document))
    }

    pub(crate) async fn read_service_access(&self, principal: &str) -> Result<Option<Value>, ProviderError> {
        let enabled = paginate!(
            self,
            "organizations:ListAWSServiceAccessForOrganization",
            |t| self.org.list_aws_service_access_for_organization().set_next_token(t).send(),
            |p: &aws_sdk_organizations::operation::list_aws_service_access_for_organization::ListAwsServiceAccessForOrganizationOutput| p
                .enabled_service_principals()
                .iter()
                .filter_map(|s| s.service_principal().map(str::to_owned))
                .collect::<Vec<_>>()
        )?;
        Ok(enabled.iter().any(|p| p == principal).then(|| json!({ "enabled": true })))
    }

    pub(crate) async fn put_service_access(&self, principal: &str) -> Result<String, ProviderError> {
        self.run("organizations:EnableAWSServiceAccess", Idempotency::Safe, || {
            self.org.enable_aws_service_access().service_principal(principal).send()
        })
        .await?;
        Ok(format!("trusted access enabled for {principal}"))
    }

    pub(crate) async fn read_policy_type(&self, policy_type: &str) -> Result<Option<Value>, ProviderError> {
        let out = self.run("organizations:ListRoots", Idempotency::Safe, || self.org.list_roots().send()).await?;
        let enabled = out.roots().iter().flat_map(aws_sdk_organizations::types::Root::policy_types).any(|t| {
            t.r#type().is_some_and(|x| x.as_str() == policy_type) && t.status() == Some(&PolicyTypeStatus::Enabled)
        });
        Ok(enabled.then(|| json!({ "enabled": true })))
    }

    pub(crate) async fn put_policy_type(&self, policy_type: &str, ids: &Ids) -> Result<String, ProviderError> {
        let root = ids.root_id.clone().ok_or_else(|| internal("the root's id is not known"))?;
        let enabled = self
            .run("organizations:EnablePolicyType", Idempotency::Safe, || {
                self.org.enable_policy_type().root_id(&root).policy_type(PolicyType::from(policy_type)).send()
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

    pub(crate) async fn read_scp(&self, name: &str, shared: &Shared) -> Result<Option<Value>, ProviderError> {
        let Some(id) = shared.scps.get(name) else { return Ok(None) };
        let (described, tags) = tokio::join!(
            self.run("organizations:DescribePolicy", Idempotency::Safe, || {
                self.org.describe_policy().policy_id(id).send()
            }),
            self.run("organizations:ListTagsForResource", Idempotency::Safe, || {
                self.org.list_tags_for_resource().resource_id(id).send()
            }),
        );
        let policy = described?.policy.ok_or_else(|| internal("DescribePolicy returned no policy"))?;
        let content = policy.content().unwrap_or("{}");
        let document = canonical_policy(&parse_document("organizations:DescribePolicy", content)?);
        let tags: Map<String, Value> = tags?
            .tags()
            .iter()
            .filter(|t| t.key().starts_with("groundwork:"))
            .map(|t| (t.key().to_owned(), json!(t.value())))
            .collect();
        let description = policy.policy_summary().and_then(|s| s.description()).unwrap_or_default();
        Ok(Some(json!({ "description": description, "document": document, "tags": tags })))
    }

    /// The attachments of one SCP, as resources addressed by the target's blueprint name.
    pub(crate) async fn scp_attachments(
        &self,
        name: &str,
        shared: &Shared,
    ) -> Result<Vec<(Address, LiveResource)>, ProviderError> {
        let Some(id) = shared.scps.get(name) else { return Ok(Vec::new()) };
        let targets = paginate!(
            self,
            "organizations:ListTargetsForPolicy",
            |t| self.org.list_targets_for_policy().policy_id(id).set_next_token(t).send(),
            |p: &aws_sdk_organizations::operation::list_targets_for_policy::ListTargetsForPolicyOutput| p
                .targets()
                .iter()
                .filter_map(|t| Some((t.target_id()?.to_owned(), t.r#type()?.clone())))
                .collect::<Vec<_>>()
        )?;
        let mut out = Vec::new();
        for (target_id, kind) in targets {
            let text = match kind {
                TargetType::Root => Some("Root".to_owned()),
                TargetType::OrganizationalUnit => shared.ou_paths.get(&target_id).cloned(),
                TargetType::Account => {
                    shared.ids.accounts.iter().find(|(_, v)| **v == target_id).map(|(k, _)| format!("account:{k}"))
                }
                _ => None,
            };
            // Attachments to things outside the blueprint are not groundwork's to judge.
            let Some(text) = text else { continue };
            let key = format!("{name}@{text}");
            out.push((
                Address::scp_attachment(name, &text),
                LiveResource {
                    at: Locator::new(Kind::ScpAttachment, None, key),
                    spec: json!({ "policy": name, "target": text }),
                },
            ));
        }
        Ok(out)
    }

    pub(crate) async fn put_scp(
        &self,
        name: &str,
        spec: &Value,
        live: Option<&Value>,
    ) -> Result<String, ProviderError> {
        let content = compact_policy(&spec["document"]).to_string();
        let description = spec["description"].as_str().unwrap_or_default();
        let tags: Vec<Tag> = spec["tags"]
            .as_object()
            .into_iter()
            .flatten()
            .filter_map(|(k, v)| Tag::builder().key(k).value(v.as_str().unwrap_or_default()).build().ok())
            .collect();
        let Some(live) = live else {
            let created = self
                .run_settled(
                    "organizations:CreatePolicy",
                    || {
                        self.org
                            .create_policy()
                            .name(name)
                            .description(description)
                            .content(&content)
                            .r#type(scp_type())
                            .set_tags(Some(tags.clone()))
                            .send()
                    },
                    || self.scp_has_document(name, &spec["document"]),
                )
                .await;
            return match created {
                Ok(Some(out)) => Ok(format!(
                    "created {} ({} characters)",
                    out.policy().and_then(|p| p.policy_summary()).and_then(|s| s.id()).unwrap_or_default(),
                    content.len()
                )),
                Ok(None) => Ok(format!("created ({} characters; the answer was lost and read back)", content.len())),
                // An earlier, ambiguous attempt created it: converge that one.
                Err(e) if e.code.as_deref() == Some("DuplicatePolicyException") => {
                    Box::pin(self.put_scp(name, spec, Some(&Value::Null))).await
                }
                Err(e) => Err(e),
            };
        };
        let id = self.scp_id(name).await?;
        let mut done = Vec::new();
        if live.get("document") != spec.get("document") || live.get("description") != spec.get("description") {
            self.run("organizations:UpdatePolicy", Idempotency::Safe, || {
                self.org.update_policy().policy_id(&id).content(&content).description(description).send()
            })
            .await?;
            done.push(format!("document set ({} characters)", content.len()));
        }
        if live.get("tags") != spec.get("tags") {
            self.run("organizations:TagResource", Idempotency::Safe, || {
                self.org.tag_resource().resource_id(&id).set_tags(Some(tags.clone())).send()
            })
            .await?;
            done.push("tagged".into());
        }
        Ok(if done.is_empty() { "already as the blueprint says".into() } else { format!("{id}: {}", done.join(", ")) })
    }

    fn target_id(target: &str, ids: &Ids) -> Result<String, ProviderError> {
        let id = if target == "Root" {
            ids.root_id.clone()
        } else if let Some(account) = target.strip_prefix("account:") {
            ids.accounts.get(account).cloned()
        } else {
            ids.ous.get(&OuPath::parse(target)).cloned()
        };
        id.ok_or_else(|| internal(&format!("the id of {target} is not known (was it created?)")))
    }

    pub(crate) async fn attach_scp(&self, spec: &Value, ids: &Ids) -> Result<String, ProviderError> {
        let (policy, target) =
            (spec["policy"].as_str().unwrap_or_default(), spec["target"].as_str().unwrap_or_default());
        let policy_id = self.scp_id(policy).await?;
        let target_id = Self::target_id(target, ids)?;
        let attached = self
            .run_settled(
                "organizations:AttachPolicy",
                || self.org.attach_policy().policy_id(&policy_id).target_id(&target_id).send(),
                || async {
                    let out = self
                        .run("organizations:ListPoliciesForTarget", Idempotency::Safe, || {
                            self.org.list_policies_for_target().target_id(&target_id).filter(scp_type()).send()
                        })
                        .await?;
                    Ok(out.policies().iter().any(|p| p.id() == Some(policy_id.as_str())))
                },
            )
            .await;
        match attached {
            Ok(_) => Ok(format!("attached {policy_id} to {target_id}")),
            Err(e) if e.code.as_deref() == Some("DuplicatePolicyAttachmentException") => {
                Ok(format!("{policy_id} was already attached to {target_id}"))
            }
            Err(e) => Err(e),
        }
    }

    pub(crate) async fn detach_scp(&self, live: &Value, ids: &Ids) -> Result<String, ProviderError> {
        let (policy, target) =
            (live["policy"].as_str().unwrap_or_default(), live["target"].as_str().unwrap_or_default());
        let policy_id = self.scp_id(policy).await?;
        let target_id = Self::target_id(target, ids)?;
        let detached = self
            .run("organizations:DetachPolicy", Idempotency::Safe, || {
                self.org.detach_policy().policy_id(&policy_id).target_id(&target_id).send()
            })
            .await;
        match detached {
            Ok(_) => Ok(format!("detached {policy_id} from {target_id}")),
            Err(e) if e.code.as_deref() == Some("PolicyNotAttachedException") => {
                Ok(format!("{policy_id} was not attached to {target_id}"))
            }
            Err(e) => Err(e),
        }
    }
}
