//! Service control policies (`scp/<name>`): listed once per discovery (ListPolicies), each read
//! with DescribePolicy and ListTagsForResource, and its attachments per policy with
//! ListTargetsForPolicy (never per target). SCPs the blueprint does not name cost one read each
//! (their tags), and only those groundwork owns are reported, so that a plan can name them and
//! `--prune` can delete them.

use std::collections::HashMap;

use aws_sdk_organizations::types::{PolicyType, Tag, TargetType};
use groundwork_apply::ProviderError;
use groundwork_blueprint::org_policies::OrgPolicyType;
use groundwork_plan::kinds::scp::{ScpSpec, TagList};
use groundwork_plan::kinds::scp_attachment::ScpAttachmentSpec;
use groundwork_plan::kinds::{KindMeta, Spec};
use groundwork_plan::{Address, Kind, LiveResource, Locator, canonical_policy, compact_policy, is_managed_by};
use serde_json::Value;

use super::{Converge, ListCx, ReadCx, Shared, WriteCx, parse_document};
use crate::Aws;
use crate::call::Idempotency;
use crate::organizations::{internal, paginate};

pub(crate) fn scp_type() -> PolicyType {
    PolicyType::ServiceControlPolicy
}

/// One SCP as ListPolicies lists it.
#[derive(Debug, Clone)]
pub(crate) struct ScpListing {
    pub(crate) name: String,
    pub(crate) id: String,
    /// AWS's own (`FullAWSAccess`): never groundwork's.
    pub(crate) aws_managed: bool,
    /// Its type beyond SCPs; `None`: an SCP.
    pub(crate) policy_type: Option<OrgPolicyType>,
}

#[async_trait::async_trait]
impl Converge for ScpSpec {
    async fn read(cx: &ReadCx<'_>) -> Result<Option<Self>, ProviderError> {
        let Some(id) = cx.shared.scps.get(&cx.at.name) else { return Ok(None) };
        cx.aws.read_scp(id).await.map(Some)
    }

    /// The SCPs of the discovery's listing (`Shared::scps`), by name.
    async fn list(cx: &ListCx<'_>) -> Result<Vec<(Locator, Self)>, ProviderError> {
        let mut names: Vec<String> = cx.shared.scps.keys().cloned().collect();
        names.sort();
        cx.read_each(names).await
    }

    async fn put(&self, cx: &WriteCx<'_>, live: Option<&Self>) -> Result<String, ProviderError> {
        cx.aws.put_scp(&cx.at.name, self, live.is_some(), live).await
    }

    /// Only a leftover groundwork owns (the planner deletes nothing else): its tags are read
    /// again and must still name the blueprint the live spec names; then it is detached from
    /// every target and deleted. A policy already gone is done.
    async fn delete(cx: &WriteCx<'_>, live: &Self) -> Result<String, ProviderError> {
        cx.aws.delete_policy(scp_type(), &cx.at.name, &live.tags).await
    }
}

impl Aws {
    /// Deletes the leftover policy `name` of `policy_type` that groundwork owns (`tags`, its
    /// live tags, and its tags read again, must name the same blueprint): detached from every
    /// target, then deleted. A policy already gone is done.
    pub(crate) async fn delete_policy(
        &self,
        policy_type: PolicyType,
        name: &str,
        tags: &TagList,
    ) -> Result<String, ProviderError> {
        let aws = self;
        let Some(id) = aws.policies_by_name(policy_type).await?.remove(name) else {
            return Ok(format!("{name} was already gone"));
        };
        let blueprint = tags.get(groundwork_plan::TAG_BLUEPRINT).unwrap_or_default();
        let now = aws.scp_tags(&id).await?;
        if !is_managed_by(&tags.to_map(), blueprint) || !is_managed_by(&now.to_map(), blueprint) {
            return Err(internal(&format!(
                "{name} ({id}) does not carry groundwork's tags for blueprint {blueprint:?} (any more); it was not deleted"
            )));
        }
        let mut detached = Vec::new();
        for (target, _) in aws.scp_targets(&id).await? {
            aws.detach_policy(&id, &target).await?;
            detached.push(target);
        }
        let gone =
            aws.run_removal("organizations:DeletePolicy", || aws.org.delete_policy().policy_id(&id).send()).await?;
        let from = if detached.is_empty() { String::new() } else { format!("detached from {}, ", detached.join(", ")) };
        Ok(if gone { format!("{id}: {from}deleted") } else { format!("{id}: {from}already deleted") })
    }
}

impl Aws {
    /// Every SCP of the organization.
    pub(crate) async fn list_scps(&self) -> Result<Vec<ScpListing>, ProviderError> {
        self.list_policies_of(scp_type()).await
    }

    /// Every policy of `policy_type` in the organization (SCPs, tag policies, ...).
    pub(crate) async fn list_policies_of(&self, policy_type: PolicyType) -> Result<Vec<ScpListing>, ProviderError> {
        paginate!(
            self,
            "organizations:ListPolicies",
            |t| self.org.list_policies().filter(policy_type.clone()).set_next_token(t).send(),
            |p: &aws_sdk_organizations::operation::list_policies::ListPoliciesOutput| p
                .policies()
                .iter()
                .filter_map(|s| {
                    Some(ScpListing {
                        name: s.name()?.to_owned(),
                        id: s.id()?.to_owned(),
                        aws_managed: s.aws_managed(),
                        policy_type: s.r#type().and_then(|t| OrgPolicyType::from_api_name(t.as_str())),
                    })
                })
                .collect::<Vec<_>>()
        )
    }

    /// Every policy of `policy_type`, name → id.
    pub(crate) async fn policies_by_name(
        &self,
        policy_type: PolicyType,
    ) -> Result<HashMap<String, String>, ProviderError> {
        Ok(self.list_policies_of(policy_type).await?.into_iter().map(|s| (s.name, s.id)).collect())
    }

    pub(crate) async fn scp_id(&self, name: &str) -> Result<String, ProviderError> {
        self.policy_id(scp_type(), name).await
    }

    /// The id of the policy `name` of `policy_type`.
    pub(crate) async fn policy_id(&self, policy_type: PolicyType, name: &str) -> Result<String, ProviderError> {
        let what = if policy_type == scp_type() {
            "service control policy".to_owned()
        } else {
            format!("{policy_type} policy")
        };
        self.policies_by_name(policy_type)
            .await?
            .remove(name)
            .ok_or_else(|| internal(&format!("{what} {name} does not exist")))
    }

    /// Whether the policy `name` of `policy_type` exists with `document` (read back after a
    /// lost answer).
    async fn policy_has_document(
        &self,
        policy_type: PolicyType,
        name: &str,
        document: &Value,
    ) -> Result<bool, ProviderError> {
        let Some(id) = self.policies_by_name(policy_type).await?.remove(name) else { return Ok(false) };
        let out = self
            .run("organizations:DescribePolicy", Idempotency::Safe, || self.org.describe_policy().policy_id(&id).send())
            .await?;
        let content = out.policy().and_then(|p| p.content()).unwrap_or("{}");
        Ok(canonical_policy(&parse_document("organizations:DescribePolicy", content)?) == canonical_policy(document))
    }

    /// The `groundwork:` tags of a policy, in the order AWS lists them.
    pub(crate) async fn scp_tags(&self, id: &str) -> Result<TagList, ProviderError> {
        let out = self
            .run("organizations:ListTagsForResource", Idempotency::Safe, || {
                self.org.list_tags_for_resource().resource_id(id).send()
            })
            .await?;
        Ok(TagList(
            out.tags()
                .iter()
                .filter(|t| t.key().starts_with("groundwork:"))
                .map(|t| (t.key().to_owned(), t.value().to_owned()))
                .collect(),
        ))
    }

    /// The live spec of the SCP `id`: its description, canonical document and groundwork tags.
    pub(crate) async fn read_scp(&self, id: &str) -> Result<ScpSpec, ProviderError> {
        let (described, tags) = tokio::join!(
            self.run("organizations:DescribePolicy", Idempotency::Safe, || {
                self.org.describe_policy().policy_id(id).send()
            }),
            self.scp_tags(id),
        );
        let policy = described?.policy.ok_or_else(|| internal("DescribePolicy returned no policy"))?;
        let content = policy.content().unwrap_or("{}");
        let document = canonical_policy(&parse_document("organizations:DescribePolicy", content)?);
        let description = policy.policy_summary().and_then(|s| s.description()).unwrap_or_default().to_owned();
        Ok(ScpSpec { description, document, tags: tags? })
    }

    /// An SCP the blueprint does not name, as a live resource when groundwork owns it for
    /// `blueprint` (its tags say so), so the plan can name it and `--prune` delete it; `None`
    /// for anyone else's. One read (the tags), and DescribePolicy only for an owned one.
    pub(crate) async fn leftover_scp(
        &self,
        scp: &ScpListing,
        blueprint: &str,
    ) -> Result<Option<(Address, LiveResource)>, ProviderError> {
        if scp.aws_managed || !is_managed_by(&self.scp_tags(&scp.id).await?.to_map(), blueprint) {
            return Ok(None);
        }
        let spec = self.read_scp(&scp.id).await?;
        let spec = match &scp.policy_type {
            None => spec.to_value(),
            Some(t) => super::org_policy::spec_of(*t, spec).to_value(),
        };
        let kind = if scp.policy_type.is_some() { Kind::OrgPolicy } else { ScpSpec::KIND };
        let address = if scp.policy_type.is_some() {
            groundwork_plan::kinds::org_policy::address(&scp.name)
        } else {
            Address::scp(&scp.name)
        };
        Ok(Some((address, LiveResource { at: Locator::new(kind, None, scp.name.clone()), spec })))
    }

    /// The targets of the policy `id`: (target id, type).
    pub(crate) async fn scp_targets(&self, id: &str) -> Result<Vec<(String, TargetType)>, ProviderError> {
        paginate!(
            self,
            "organizations:ListTargetsForPolicy",
            |t| self.org.list_targets_for_policy().policy_id(id).set_next_token(t).send(),
            |p: &aws_sdk_organizations::operation::list_targets_for_policy::ListTargetsForPolicyOutput| p
                .targets()
                .iter()
                .filter_map(|t| Some((t.target_id()?.to_owned(), t.r#type()?.clone())))
                .collect::<Vec<_>>()
        )
    }

    /// The attachments of one SCP, as resources addressed by the target's blueprint name.
    pub(crate) async fn scp_attachments(
        &self,
        name: &str,
        shared: &Shared,
    ) -> Result<Vec<(Address, LiveResource)>, ProviderError> {
        Ok(self
            .scp_attachment_specs(name, shared)
            .await?
            .into_iter()
            .map(|spec| (spec.address(), LiveResource { at: spec.locator(), spec: spec.to_value() }))
            .collect())
    }

    /// The attachments of one SCP to targets `shared` names (one ListTargetsForPolicy).
    pub(crate) async fn scp_attachment_specs(
        &self,
        name: &str,
        shared: &Shared,
    ) -> Result<Vec<ScpAttachmentSpec>, ProviderError> {
        let Some(id) = shared.scps.get(name) else { return Ok(Vec::new()) };
        Ok(self
            .policy_targets(id, shared)
            .await?
            .into_iter()
            .map(|target| ScpAttachmentSpec { policy: name.to_owned(), target })
            .collect())
    }

    /// The targets of the policy `id` that `shared` names, as the blueprint writes them (one
    /// ListTargetsForPolicy).
    pub(crate) async fn policy_targets(&self, id: &str, shared: &Shared) -> Result<Vec<String>, ProviderError> {
        let mut out = Vec::new();
        for (target_id, kind) in self.scp_targets(id).await? {
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
            out.push(text);
        }
        Ok(out)
    }

    /// Creates the SCP, or converges it from `live` (the document and description with one
    /// UpdatePolicy, the tags with one TagResource).
    async fn put_scp(
        &self,
        name: &str,
        spec: &ScpSpec,
        exists: bool,
        live: Option<&ScpSpec>,
    ) -> Result<String, ProviderError> {
        self.put_policy(scp_type(), name, spec, exists, live).await
    }

    /// Creates the policy `name` of `policy_type` (description, document and tags of `spec`),
    /// or converges it from `live`. SCPs are sent compact (one-item lists as the item, as AWS
    /// counts characters); other types as written, since their syntax gives lists meaning.
    pub(crate) async fn put_policy(
        &self,
        policy_type: PolicyType,
        name: &str,
        spec: &ScpSpec,
        exists: bool,
        live: Option<&ScpSpec>,
    ) -> Result<String, ProviderError> {
        let content = if policy_type == scp_type() {
            compact_policy(&spec.document).to_string()
        } else {
            canonical_policy(&spec.document).to_string()
        };
        let description = spec.description.as_str();
        let tags: Vec<Tag> =
            spec.tags.0.iter().filter_map(|(k, v)| Tag::builder().key(k).value(v).build().ok()).collect();
        if !exists {
            let created = self
                .run_settled(
                    "organizations:CreatePolicy",
                    || {
                        self.org
                            .create_policy()
                            .name(name)
                            .description(description)
                            .content(&content)
                            .r#type(policy_type.clone())
                            .set_tags(Some(tags.clone()))
                            .send()
                    },
                    || self.policy_has_document(policy_type.clone(), name, &spec.document),
                )
                .await;
            return match created {
                Ok(Some(out)) => Ok(format!(
                    "created {} ({} characters)",
                    out.policy().and_then(|p| p.policy_summary()).and_then(|s| s.id()).unwrap_or_default(),
                    content.len()
                )),
                Ok(None) => Ok(format!("created ({} characters; the answer was lost and read back)", content.len())),
                // An earlier, ambiguous attempt created it: converge that one (all of it).
                Err(e) if e.code.as_deref() == Some("DuplicatePolicyException") => {
                    Box::pin(self.put_policy(policy_type, name, spec, true, None)).await
                }
                Err(e) => Err(e),
            };
        }
        let id = self.policy_id(policy_type, name).await?;
        let mut done = Vec::new();
        if live.is_none_or(|l| l.document != spec.document || l.description != spec.description) {
            self.run("organizations:UpdatePolicy", Idempotency::Safe, || {
                self.org.update_policy().policy_id(&id).content(&content).description(description).send()
            })
            .await?;
            done.push(format!("document set ({} characters)", content.len()));
        }
        if live.is_none_or(|l| l.tags != spec.tags) {
            self.run("organizations:TagResource", Idempotency::Safe, || {
                self.org.tag_resource().resource_id(&id).set_tags(Some(tags.clone())).send()
            })
            .await?;
            done.push("tagged".into());
        }
        Ok(if done.is_empty() { "already as the blueprint says".into() } else { format!("{id}: {}", done.join(", ")) })
    }
}
