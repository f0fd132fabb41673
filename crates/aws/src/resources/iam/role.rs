//! Roles in member accounts: trust, description, session bound, groundwork's tags, managed and
//! inline policies. IAM cannot move a role to another path, so a new path is a replacement:
//! [`Converge::delete`] then [`Converge::put`]. The execution role is written through the access
//! role (`Aws::writer_account`), since it never rewrites its own permissions.

use std::collections::BTreeSet;

use aws_sdk_iam::types::Tag;
use groundwork_apply::ProviderError;
use groundwork_plan::Locator;
use groundwork_plan::compact_policy;
use groundwork_plan::kinds::role::RoleSpec;
use serde_json::{Map, Value};

use super::snapshot::IamSnapshot;
use super::{
    Holder, Policies, attached_arns, canonical_document, done_text, exists, from_i32, no_such_entity, own_tags,
    required, sdk_tags, to_i32,
};
use crate::Aws;
use crate::accounts::AccountClients;
use crate::call::Idempotency;
use crate::resources::{Converge, ListCx, ReadCx, WriteCx};

#[async_trait::async_trait]
impl Converge for RoleSpec {
    /// Every role of the account, from its bulk read.
    async fn list(cx: &ListCx<'_>) -> Result<Vec<(Locator, Self)>, ProviderError> {
        let Some(snap) = cx.iam_snapshot().await? else { return Ok(Vec::new()) };
        cx.read_each(snap.role_names()).await
    }

    async fn read(cx: &ReadCx<'_>) -> Result<Option<Self>, ProviderError> {
        cx.iam_lookup(IamSnapshot::role).await?.or_read(|| cx.aws.read_role(cx.clients, &cx.at.name)).await
    }

    async fn put(&self, cx: &WriteCx<'_>, live: Option<&Self>) -> Result<String, ProviderError> {
        cx.aws.put_role(cx.clients, &cx.at.name, self, live).await
    }

    /// Only as the first half of a replacement (IAM cannot move a role to another path).
    async fn delete(cx: &WriteCx<'_>, live: &Self) -> Result<String, ProviderError> {
        cx.aws.delete_role(cx.clients, &cx.at.name, live).await
    }
}

/// A role's parts as IAM returns them (from `GetRole` and its policy reads, or from the bulk
/// read and the role listing).
pub(super) struct RoleParts<'a> {
    pub(super) op: &'static str,
    pub(super) path: Option<&'a str>,
    pub(super) tags: &'a [Tag],
    pub(super) description: Option<&'a str>,
    pub(super) max_session_seconds: Option<i32>,
    pub(super) trust: Option<&'a str>,
    pub(super) managed: BTreeSet<String>,
    pub(super) inline: Map<String, Value>,
}

impl RoleParts<'_> {
    /// The role's spec: only groundwork's tags are part of it, and a role without a description
    /// has the empty one.
    pub(super) fn spec(self) -> Result<RoleSpec, ProviderError> {
        let op = self.op;
        let session = required(op, "the role's maximum session duration", self.max_session_seconds)?;
        Ok(RoleSpec {
            path: required(op, "the role's path", self.path)?.to_owned(),
            tags: own_tags(self.tags),
            description: self.description.unwrap_or_default().to_owned(),
            trust: canonical_document(op, required(op, "the role's trust policy", self.trust)?)?,
            max_session_seconds: from_i32(op, "maximum session duration", session)?,
            managed_policies: self.managed,
            inline_policies: self.inline,
        })
    }
}

/// A role's policies, as [`Aws::converge_policies`] takes them.
fn policies(spec: &RoleSpec) -> Policies<'_> {
    Policies { managed: &spec.managed_policies, inline: &spec.inline_policies }
}

impl Aws {
    /// The role's spec, or `None` when there is no such role.
    pub(crate) async fn read_role(&self, c: &AccountClients, name: &str) -> Result<Option<RoleSpec>, ProviderError> {
        let role = match self.run("iam:GetRole", Idempotency::Safe, || c.iam.get_role().role_name(name).send()).await {
            Ok(out) => match out.role {
                Some(r) => r,
                None => return Ok(None),
            },
            Err(e) if no_such_entity(&e) => return Ok(None),
            Err(e) => return Err(e),
        };
        let (attached, inline) = tokio::join!(
            self.run("iam:ListAttachedRolePolicies", Idempotency::Safe, || {
                c.iam.list_attached_role_policies().role_name(name).send()
            }),
            self.run("iam:ListRolePolicies", Idempotency::Safe, || c.iam.list_role_policies().role_name(name).send()),
        );
        let managed = attached_arns(attached?.attached_policies());
        let inline = self
            .inline_documents(inline?.policy_names().to_vec(), |n| async move {
                let out = self
                    .run("iam:GetRolePolicy", Idempotency::Safe, || {
                        c.iam.get_role_policy().role_name(name).policy_name(&n).send()
                    })
                    .await?;
                Ok(out.policy_document().to_owned())
            })
            .await?;
        // GetRole returns the role's tags.
        RoleParts {
            op: "iam:GetRole",
            path: Some(role.path()),
            tags: role.tags(),
            description: role.description(),
            max_session_seconds: role.max_session_duration(),
            trust: role.assume_role_policy_document(),
            managed,
            inline,
        }
        .spec()
        .map(Some)
    }

    /// Creates the role when it is missing, then converges its tags, trust, session bound and
    /// description, and policies.
    pub(crate) async fn put_role(
        &self,
        c: &AccountClients,
        name: &str,
        spec: &RoleSpec,
        live: Option<&RoleSpec>,
    ) -> Result<String, ProviderError> {
        let trust = compact_policy(&spec.trust).to_string();
        let session = to_i32("iam:CreateRole", "max_session_seconds", spec.max_session_seconds)?;
        let (description, path) = (spec.description.as_str(), spec.path.as_str());
        let tags = sdk_tags("iam:CreateRole", &spec.tags)?;
        let mut done = Vec::new();
        // What is known of the live role: `None` when an earlier, ambiguous attempt created it.
        let mut known = live.cloned();
        if live.is_none() {
            match self
                .run_settled(
                    "iam:CreateRole",
                    || {
                        c.iam
                            .create_role()
                            .role_name(name)
                            .path(path)
                            .assume_role_policy_document(&trust)
                            .max_session_duration(session)
                            .description(description)
                            .set_tags(Some(tags.clone()))
                            .send()
                    },
                    || async move { Ok(self.read_role(c, name).await?.is_some_and(|r| r.trust == spec.trust)) },
                )
                .await
            {
                Ok(_) => {
                    done.push(format!("created role {name} at {path} in {}", c.id));
                    // Created with everything but its policies.
                    known = Some(RoleSpec {
                        managed_policies: BTreeSet::new(),
                        inline_policies: Map::new(),
                        ..spec.clone()
                    });
                }
                Err(e) if exists(&e) => {}
                Err(e) => return Err(e),
            }
        }
        let known = known.as_ref();
        if known.is_none_or(|l| l.tags != spec.tags) {
            // Tagging is in place: a role groundwork made before it tagged its roles, or adopted.
            self.run("iam:TagRole", Idempotency::Safe, || {
                c.iam.tag_role().role_name(name).set_tags(Some(tags.clone())).send()
            })
            .await?;
            done.push("tagged".into());
        }
        if known.is_none_or(|l| l.trust != spec.trust) {
            self.run("iam:UpdateAssumeRolePolicy", Idempotency::Safe, || {
                c.iam.update_assume_role_policy().role_name(name).policy_document(&trust).send()
            })
            .await?;
            done.push("trust policy restored".into());
        }
        if known.is_none_or(|l| l.max_session_seconds != spec.max_session_seconds || l.description != spec.description)
        {
            self.run("iam:UpdateRole", Idempotency::Safe, || {
                c.iam.update_role().role_name(name).max_session_duration(session).description(description).send()
            })
            .await?;
            done.push("session duration and description set".into());
        }
        self.converge_policies(c, Holder::Role(name), policies(spec), known.map(policies), &mut done).await?;
        Ok(done_text(&done))
    }

    /// Deletes a role as IAM requires: out of its instance profiles, its managed policies
    /// detached and inline policies deleted, then the role. For a replacement (a new path).
    pub(crate) async fn delete_role(
        &self,
        c: &AccountClients,
        name: &str,
        live: &RoleSpec,
    ) -> Result<String, ProviderError> {
        let mut done = Vec::new();
        let profiles = self
            .run("iam:ListInstanceProfilesForRole", Idempotency::Safe, || {
                c.iam.list_instance_profiles_for_role().role_name(name).send()
            })
            .await?;
        for p in profiles.instance_profiles() {
            let profile = p.instance_profile_name();
            self.run_removal("iam:RemoveRoleFromInstanceProfile", || {
                c.iam.remove_role_from_instance_profile().instance_profile_name(profile).role_name(name).send()
            })
            .await?;
            done.push(format!("removed from instance profile {profile}"));
        }
        let (no_managed, no_inline) = (BTreeSet::new(), Map::new());
        let none = Policies { managed: &no_managed, inline: &no_inline };
        self.converge_policies(c, Holder::Role(name), none, Some(policies(live)), &mut done).await?;
        if self.run_removal("iam:DeleteRole", || c.iam.delete_role().role_name(name).send()).await? {
            done.push(format!("deleted role {name} at {}", live.path));
        } else {
            done.push(format!("role {name} was already gone"));
        }
        Ok(done.join(", "))
    }
}
