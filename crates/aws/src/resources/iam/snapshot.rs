//! One account's IAM, read in bulk for discovery. `iam:GetAccountAuthorizationDetails`
//! (paginated, filtered to the entity types the blueprint has in that account) returns every
//! role, group, user and customer-managed policy with their inline documents, attached managed
//! policies, tags, group memberships, policy versions with documents, and each role's instance
//! profiles. `iam:ListRoles` adds what the details leave out of a role: its description and
//! maximum session duration (the access-role check reads its trust there too). So the IAM kinds
//! of an account cost two reads (plus pages), not three to five per entity.
//!
//! Read per entity, and only for that: a user's console access (`GetLoginProfile`; the details
//! have no login profiles), the password policy (not an entity), an instance profile the
//! details do not show with its tags (they list profiles only under a role, so an empty one is
//! invisible), and a role or policy the two reads disagree on (changed between them). Writes
//! read back per entity as before: a snapshot is only for the plan.

use std::collections::HashMap;
use std::future::Future;

use aws_sdk_iam::types::{EntityType, GroupDetail, InstanceProfile, ManagedPolicyDetail, Role, RoleDetail, UserDetail};
use groundwork_apply::ProviderError;
use groundwork_plan::Kind;
use groundwork_plan::kinds::access_role::AccessRoleSpec;
use groundwork_plan::kinds::group::GroupSpec;
use groundwork_plan::kinds::instance_profile::InstanceProfileSpec;
use groundwork_plan::kinds::managed_policy::ManagedPolicySpec;
use groundwork_plan::kinds::role::RoleSpec;
use groundwork_plan::kinds::user::UserSpec;
use serde_json::{Map, Value};
use tokio::sync::OnceCell;

use super::role::RoleParts;
use super::{access_role, all_tags, attached_arns, canonical_document, instance_profile, managed_policy, required};
use crate::Aws;
use crate::accounts::AccountClients;
use crate::call::Idempotency;
use crate::import::pages;
use crate::resources::{ListCx, ReadCx};

/// The operation named in errors about documents the bulk read returned.
const OP: &str = "iam:GetAccountAuthorizationDetails";
/// Items per page (IAM's maximum).
const MAX_ITEMS: i32 = 1000;

/// Which parts of an account's IAM its resources need.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct IamWants {
    /// Role details (roles, instance profiles).
    roles: bool,
    /// The role listing (roles, the access role).
    role_list: bool,
    groups: bool,
    users: bool,
    policies: bool,
}

impl IamWants {
    /// Adds what reading a resource of `kind` needs. False for kinds the bulk read does not
    /// cover.
    pub(crate) fn add(&mut self, kind: Kind) -> bool {
        match kind {
            Kind::Role => {
                self.roles = true;
                self.role_list = true;
            }
            Kind::InstanceProfile => self.roles = true,
            Kind::AccessRole => self.role_list = true,
            Kind::Group => self.groups = true,
            Kind::User => self.users = true,
            Kind::ManagedPolicy => self.policies = true,
            _ => return false,
        }
        true
    }

    /// The entity types to ask GetAccountAuthorizationDetails for.
    fn filter(self) -> Vec<EntityType> {
        [
            (self.roles, EntityType::Role),
            (self.groups, EntityType::Group),
            (self.users, EntityType::User),
            (self.policies, EntityType::LocalManagedPolicy),
        ]
        .into_iter()
        .filter_map(|(wanted, t)| wanted.then_some(t))
        .collect()
    }
}

/// One account's bulk read, made once by the first resource that needs it.
#[derive(Default)]
pub(crate) struct AccountIam {
    wants: IamWants,
    snapshot: OnceCell<IamSnapshot>,
}

impl AccountIam {
    pub(crate) fn new(wants: IamWants) -> Self {
        AccountIam { wants, snapshot: OnceCell::new() }
    }
}

/// One account's IAM as the bulk reads returned it, by name (customer policies by ARN).
#[derive(Default)]
pub(crate) struct IamSnapshot {
    roles: HashMap<String, RoleDetail>,
    listed: HashMap<String, Role>,
    groups: HashMap<String, GroupDetail>,
    users: HashMap<String, UserDetail>,
    policies: HashMap<String, ManagedPolicyDetail>,
    profiles: HashMap<String, InstanceProfile>,
}

/// What a snapshot says about one resource.
pub(crate) enum Lookup<T> {
    /// It exists with this spec (for a user, without its console access).
    Found(T),
    /// The bulk read lists every entity of the kind, and not this one.
    Absent,
    /// The bulk read cannot tell (or there is none): read it per entity.
    Ask,
}

impl<T> Lookup<T> {
    /// The spec found, or none, or what the per-entity `read` says.
    pub(crate) async fn or_read<F, Fut>(self, read: F) -> Result<Option<T>, ProviderError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Option<T>, ProviderError>>,
    {
        match self {
            Lookup::Found(spec) => Ok(Some(spec)),
            Lookup::Absent => Ok(None),
            Lookup::Ask => read().await,
        }
    }
}

impl ReadCx<'_> {
    /// What the account's bulk read (made by the first resource that needs it) says of this
    /// resource, through `look` (given the snapshot and the resource's name); [`Lookup::Ask`]
    /// without a bulk read.
    pub(crate) async fn iam_lookup<T>(
        &self,
        look: impl FnOnce(&IamSnapshot, &str) -> Result<Lookup<T>, ProviderError>,
    ) -> Result<Lookup<T>, ProviderError> {
        let Some(account) = self.iam else { return Ok(Lookup::Ask) };
        let snap = account.snapshot.get_or_try_init(|| self.aws.iam_snapshot(self.clients, account.wants)).await?;
        look(snap, &self.at.name)
    }
}

impl ListCx<'_> {
    /// The account's bulk read (made once, by the first lister that needs it); `None` without
    /// one.
    pub(crate) async fn iam_snapshot(&self) -> Result<Option<&IamSnapshot>, ProviderError> {
        let Some(account) = self.iam else { return Ok(None) };
        let snap = account.snapshot.get_or_try_init(|| self.aws.iam_snapshot(self.clients, account.wants)).await?;
        Ok(Some(snap))
    }
}

/// Sorted names.
fn sorted<'a>(names: impl Iterator<Item = &'a String>) -> Vec<String> {
    let mut v: Vec<String> = names.cloned().collect();
    v.sort();
    v
}

/// Inline policies as the details carry them, name → canonical document.
fn inline(list: &[aws_sdk_iam::types::PolicyDetail]) -> Result<Map<String, Value>, ProviderError> {
    let mut out = Map::new();
    for p in list {
        let Some(name) = p.policy_name() else { continue };
        out.insert(
            name.to_owned(),
            canonical_document(OP, required(OP, "an inline policy's document", p.policy_document())?)?,
        );
    }
    Ok(out)
}

impl IamSnapshot {
    /// Every role's name.
    pub(crate) fn role_names(&self) -> Vec<String> {
        sorted(self.roles.keys())
    }

    pub(crate) fn group_names(&self) -> Vec<String> {
        sorted(self.groups.keys())
    }

    pub(crate) fn user_names(&self) -> Vec<String> {
        sorted(self.users.keys())
    }

    /// Every instance profile held by a role.
    pub(crate) fn profile_names(&self) -> Vec<String> {
        sorted(self.profiles.keys())
    }

    /// The name of every customer-managed policy at the path `/` (from its ARN, which is how
    /// a policy is read by name: not every IAM answers with the policy's name).
    pub(crate) fn policy_names(&self) -> Vec<String> {
        let names = self.policies.keys().filter_map(|arn| arn.split_once(":policy/")).map(|(_, name)| name);
        let mut v: Vec<String> = names.filter(|n| !n.contains('/')).map(str::to_owned).collect();
        v.sort();
        v
    }

    pub(crate) fn role(&self, name: &str) -> Result<Lookup<RoleSpec>, ProviderError> {
        let Some(d) = self.roles.get(name) else { return Ok(Lookup::Absent) };
        let Some(listed) = self.listed.get(name) else { return Ok(Lookup::Ask) };
        let parts = RoleParts {
            op: OP,
            path: d.path(),
            tags: d.tags(),
            description: listed.description(),
            max_session_seconds: listed.max_session_duration(),
            trust: d.assume_role_policy_document(),
            managed: attached_arns(d.attached_managed_policies()),
            inline: inline(d.role_policy_list())?,
        };
        Ok(Lookup::Found(parts.spec()?))
    }

    pub(crate) fn access_role(&self, name: &str) -> Result<Lookup<AccessRoleSpec>, ProviderError> {
        Ok(match self.listed.get(name) {
            Some(r) => Lookup::Found(access_role::spec("iam:ListRoles", r.assume_role_policy_document())?),
            None => Lookup::Absent,
        })
    }

    pub(crate) fn group(&self, name: &str) -> Result<Lookup<GroupSpec>, ProviderError> {
        Ok(match self.groups.get(name) {
            Some(g) => Lookup::Found(GroupSpec {
                managed_policies: attached_arns(g.attached_managed_policies()),
                inline_policies: inline(g.group_policy_list())?,
            }),
            None => Lookup::Absent,
        })
    }

    /// A user's spec without its console access (`console: false`; the caller reads it).
    #[allow(clippy::unnecessary_wraps)] // the shape every lookup has
    pub(crate) fn user(&self, name: &str) -> Result<Lookup<UserSpec>, ProviderError> {
        Ok(match self.users.get(name) {
            Some(u) => Lookup::Found(UserSpec {
                groups: u.group_list().iter().cloned().collect(),
                console: false,
                tags: all_tags(u.tags()),
                managed_policies: attached_arns(u.attached_managed_policies()),
                inline_policies: u
                    .user_policy_list()
                    .iter()
                    .filter_map(|p| p.policy_name().map(str::to_owned))
                    .collect(),
            }),
            None => Lookup::Absent,
        })
    }

    pub(crate) fn managed_policy(&self, arn: &str) -> Result<Lookup<ManagedPolicySpec>, ProviderError> {
        let Some(p) = self.policies.get(arn) else { return Ok(Lookup::Absent) };
        let default = p
            .policy_version_list()
            .iter()
            .find(|v| v.is_default_version() || (v.version_id().is_some() && v.version_id() == p.default_version_id()));
        Ok(match default.and_then(|v| v.document()) {
            Some(doc) => Lookup::Found(managed_policy::spec(OP, doc)?),
            None => Lookup::Ask,
        })
    }

    /// Profiles appear only under the role they hold; an untagged one is read again in case
    /// the nested copy lacks tags.
    #[allow(clippy::unnecessary_wraps)] // the shape every lookup has
    pub(crate) fn instance_profile(&self, name: &str) -> Result<Lookup<InstanceProfileSpec>, ProviderError> {
        Ok(match self.profiles.get(name) {
            Some(p) if !p.tags().is_empty() => Lookup::Found(instance_profile::spec(p)),
            _ => Lookup::Ask,
        })
    }
}

impl Aws {
    /// The bulk reads `wants` calls for, every page.
    async fn iam_snapshot(&self, c: &AccountClients, wants: IamWants) -> Result<IamSnapshot, ProviderError> {
        let iam = &c.iam;
        let mut snap = IamSnapshot::default();
        let filter = wants.filter();
        if !filter.is_empty() {
            let pages = pages(|marker| {
                let filter = filter.clone();
                async move {
                    let out = self
                        .run("iam:GetAccountAuthorizationDetails", Idempotency::Safe, || {
                            iam.get_account_authorization_details()
                                .set_filter(Some(filter.clone()))
                                .max_items(MAX_ITEMS)
                                .set_marker(marker.clone())
                                .send()
                        })
                        .await?;
                    let next = if out.is_truncated() { out.marker().map(str::to_owned) } else { None };
                    Ok((vec![out], next))
                }
            })
            .await?;
            for page in pages {
                for r in page.role_detail_list() {
                    for p in r.instance_profile_list() {
                        snap.profiles.insert(p.instance_profile_name().to_owned(), p.clone());
                    }
                    if let Some(name) = r.role_name() {
                        snap.roles.insert(name.to_owned(), r.clone());
                    }
                }
                for g in page.group_detail_list() {
                    if let Some(name) = g.group_name() {
                        snap.groups.insert(name.to_owned(), g.clone());
                    }
                }
                for u in page.user_detail_list() {
                    if let Some(name) = u.user_name() {
                        snap.users.insert(name.to_owned(), u.clone());
                    }
                }
                for p in page.policies() {
                    if let Some(arn) = p.arn() {
                        snap.policies.insert(arn.to_owned(), p.clone());
                    }
                }
            }
        }
        if wants.role_list {
            let roles = pages(|marker| async move {
                let out = self
                    .run("iam:ListRoles", Idempotency::Safe, || {
                        iam.list_roles().max_items(MAX_ITEMS).set_marker(marker.clone()).send()
                    })
                    .await?;
                let next = if out.is_truncated() { out.marker().map(str::to_owned) } else { None };
                Ok((out.roles().to_vec(), next))
            })
            .await?;
            snap.listed = roles.into_iter().map(|r| (r.role_name().to_owned(), r)).collect();
        }
        Ok(snap)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_filter_names_only_what_the_account_needs() {
        let mut w = IamWants::default();
        assert!(w.filter().is_empty());
        assert!(w.add(Kind::AccessRole));
        assert!(w.filter().is_empty(), "the access role needs only the role listing");
        assert!(w.role_list);
        assert!(w.add(Kind::InstanceProfile));
        assert!(w.add(Kind::ManagedPolicy));
        assert_eq!(w.filter(), [EntityType::Role, EntityType::LocalManagedPolicy]);
        assert!(!w.add(Kind::PasswordPolicy));
        assert!(!w.add(Kind::Bucket));
        let mut all = IamWants::default();
        for k in [Kind::Role, Kind::Group, Kind::User, Kind::ManagedPolicy] {
            all.add(k);
        }
        assert_eq!(
            all.filter(),
            [EntityType::Role, EntityType::Group, EntityType::User, EntityType::LocalManagedPolicy]
        );
    }
}
