//! Instance profiles of EC2 roles: created at the role's path with groundwork's tags, holding
//! the role. As for a role, a new path is a replacement ([`Converge::delete`], then
//! [`Converge::put`]).

use groundwork_apply::ProviderError;
use groundwork_plan::Locator;
use groundwork_plan::kinds::instance_profile::InstanceProfileSpec;

use super::snapshot::IamSnapshot;
use super::{done_text, exists, no_such_entity, own_tags, sdk_tags};
use crate::Aws;
use crate::accounts::AccountClients;
use crate::call::Idempotency;
use crate::resources::{Converge, ListCx, ReadCx, WriteCx};

#[async_trait::async_trait]
impl Converge for InstanceProfileSpec {
    /// Every instance profile a role of the account holds, from its bulk read.
    async fn list(cx: &ListCx<'_>) -> Result<Vec<(Locator, Self)>, ProviderError> {
        let Some(snap) = cx.iam_snapshot().await? else { return Ok(Vec::new()) };
        cx.read_each(snap.profile_names()).await
    }

    async fn read(cx: &ReadCx<'_>) -> Result<Option<Self>, ProviderError> {
        cx.iam_lookup(IamSnapshot::instance_profile)
            .await?
            .or_read(|| cx.aws.read_instance_profile(cx.clients, &cx.at.name))
            .await
    }

    async fn put(&self, cx: &WriteCx<'_>, live: Option<&Self>) -> Result<String, ProviderError> {
        cx.aws.put_instance_profile(cx.clients, &cx.at.name, self, live).await
    }

    /// Only as the first half of a replacement (IAM cannot move a profile to another path).
    async fn delete(cx: &WriteCx<'_>, live: &Self) -> Result<String, ProviderError> {
        cx.aws.delete_instance_profile(cx.clients, &cx.at.name, live).await
    }
}

/// The spec of an instance profile as IAM returns it: only groundwork's tags are part of it.
pub(super) fn spec(p: &aws_sdk_iam::types::InstanceProfile) -> InstanceProfileSpec {
    InstanceProfileSpec {
        path: p.path().to_owned(),
        tags: own_tags(p.tags()),
        roles: p.roles().iter().map(|r| r.role_name().to_owned()).collect(),
    }
}

impl Aws {
    /// The profile's spec, or `None` when there is no such profile.
    pub(crate) async fn read_instance_profile(
        &self,
        c: &AccountClients,
        name: &str,
    ) -> Result<Option<InstanceProfileSpec>, ProviderError> {
        match self
            .run("iam:GetInstanceProfile", Idempotency::Safe, || {
                c.iam.get_instance_profile().instance_profile_name(name).send()
            })
            .await
        {
            Ok(out) => Ok(out.instance_profile().map(spec)),
            Err(e) if no_such_entity(&e) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Creates the profile when it is missing (else converges its tags), then makes it hold
    /// exactly its roles.
    pub(crate) async fn put_instance_profile(
        &self,
        c: &AccountClients,
        name: &str,
        spec: &InstanceProfileSpec,
        live: Option<&InstanceProfileSpec>,
    ) -> Result<String, ProviderError> {
        let mut done = Vec::new();
        let path = spec.path.as_str();
        let tags = sdk_tags("iam:CreateInstanceProfile", &spec.tags)?;
        match live {
            None => match self
                .run_settled(
                    "iam:CreateInstanceProfile",
                    || {
                        c.iam
                            .create_instance_profile()
                            .instance_profile_name(name)
                            .path(path)
                            .set_tags(Some(tags.clone()))
                            .send()
                    },
                    || async move { Ok(self.read_instance_profile(c, name).await?.is_some()) },
                )
                .await
            {
                Ok(_) => done.push(format!("created instance profile {name} at {path}")),
                Err(e) if exists(&e) => {}
                Err(e) => return Err(e),
            },
            Some(l) if l.tags != spec.tags => {
                self.run("iam:TagInstanceProfile", Idempotency::Safe, || {
                    c.iam.tag_instance_profile().instance_profile_name(name).set_tags(Some(tags.clone())).send()
                })
                .await?;
                done.push("tagged".into());
            }
            Some(_) => {}
        }
        let none = std::collections::BTreeSet::new();
        let have = live.map_or(&none, |l| &l.roles);
        for role in have.difference(&spec.roles) {
            self.run_removal("iam:RemoveRoleFromInstanceProfile", || {
                c.iam.remove_role_from_instance_profile().instance_profile_name(name).role_name(role).send()
            })
            .await?;
            done.push(format!("removed role {role}"));
        }
        for role in spec.roles.difference(have) {
            self.settled(|| {
                self.run_settled(
                    "iam:AddRoleToInstanceProfile",
                    || c.iam.add_role_to_instance_profile().instance_profile_name(name).role_name(role).send(),
                    || async move {
                        let live = self.read_instance_profile(c, name).await?;
                        Ok(live.is_some_and(|p| p.roles.contains(role)))
                    },
                )
            })
            .await?;
            done.push(format!("holds role {role}"));
        }
        Ok(done_text(&done))
    }

    /// Deletes an instance profile (its roles removed first). For a replacement (a new path).
    pub(crate) async fn delete_instance_profile(
        &self,
        c: &AccountClients,
        name: &str,
        live: &InstanceProfileSpec,
    ) -> Result<String, ProviderError> {
        let mut done = Vec::new();
        // Read again: replacing its role (earlier in the same apply) took the role out already.
        let Some(now) = self.read_instance_profile(c, name).await? else {
            return Ok(format!("instance profile {name} was already gone"));
        };
        for role in &now.roles {
            self.run_removal("iam:RemoveRoleFromInstanceProfile", || {
                c.iam.remove_role_from_instance_profile().instance_profile_name(name).role_name(role).send()
            })
            .await?;
            done.push(format!("removed role {role}"));
        }
        if self
            .run_removal("iam:DeleteInstanceProfile", || {
                c.iam.delete_instance_profile().instance_profile_name(name).send()
            })
            .await?
        {
            done.push(format!("deleted instance profile {name} at {}", live.path));
        } else {
            done.push(format!("instance profile {name} was already gone"));
        }
        Ok(done.join(", "))
    }
}
