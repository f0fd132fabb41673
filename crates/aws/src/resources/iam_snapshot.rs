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

use aws_sdk_iam::types::{EntityType, GroupDetail, InstanceProfile, ManagedPolicyDetail, Role, RoleDetail, UserDetail};
use groundwork_apply::ProviderError;
use groundwork_plan::{Kind, Locator};
use serde_json::{Map, Value};
use tokio::sync::OnceCell;

use super::access_role::access_role_spec;
use super::iam::{
    RoleParts, attached_arns, canonical_document, group_spec, managed_policy_spec, profile_spec, user_spec,
};
use crate::Aws;
use crate::accounts::AccountClients;
use crate::call::Idempotency;
use crate::import::pages;

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
struct IamSnapshot {
    roles: HashMap<String, RoleDetail>,
    listed: HashMap<String, Role>,
    groups: HashMap<String, GroupDetail>,
    users: HashMap<String, UserDetail>,
    policies: HashMap<String, ManagedPolicyDetail>,
    profiles: HashMap<String, InstanceProfile>,
}

/// What a snapshot says about one resource.
enum Lookup {
    /// It exists with this spec (or, for a user, these parts of it).
    Found(Value),
    /// The bulk read lists every entity of the kind, and not this one.
    Absent,
    /// The bulk read cannot tell: read it per entity.
    Ask,
}

/// Inline policies as the details carry them, name → canonical document.
fn inline(list: &[aws_sdk_iam::types::PolicyDetail]) -> Result<Map<String, Value>, ProviderError> {
    let mut out = Map::new();
    for p in list {
        let Some(name) = p.policy_name() else { continue };
        out.insert(name.to_owned(), canonical_document(OP, p.policy_document().unwrap_or("{}"))?);
    }
    Ok(out)
}

impl IamSnapshot {
    fn role(&self, name: &str) -> Result<Lookup, ProviderError> {
        let Some(d) = self.roles.get(name) else { return Ok(Lookup::Absent) };
        let Some(listed) = self.listed.get(name) else { return Ok(Lookup::Ask) };
        Ok(Lookup::Found(
            RoleParts {
                path: d.path().unwrap_or("/"),
                tags: d.tags(),
                description: listed.description(),
                max_session_seconds: listed.max_session_duration(),
                trust: canonical_document(OP, d.assume_role_policy_document().unwrap_or("{}"))?,
                managed: attached_arns(d.attached_managed_policies()),
                inline: inline(d.role_policy_list())?,
            }
            .spec(),
        ))
    }

    fn access_role(&self, name: &str) -> Result<Lookup, ProviderError> {
        Ok(match self.listed.get(name) {
            Some(r) => Lookup::Found(access_role_spec("iam:ListRoles", r.assume_role_policy_document())?),
            None => Lookup::Absent,
        })
    }

    fn group(&self, name: &str) -> Result<Lookup, ProviderError> {
        Ok(match self.groups.get(name) {
            Some(g) => Lookup::Found(group_spec(
                &attached_arns(g.attached_managed_policies()),
                &inline(g.group_policy_list())?,
            )),
            None => Lookup::Absent,
        })
    }

    /// A user's spec without its console access (`console: false`; the caller reads it).
    fn user(&self, name: &str) -> Lookup {
        match self.users.get(name) {
            Some(u) => Lookup::Found(user_spec(
                &u.group_list().iter().cloned().collect(),
                false,
                u.tags(),
                &attached_arns(u.attached_managed_policies()),
                &u.user_policy_list().iter().filter_map(|p| p.policy_name().map(str::to_owned)).collect(),
            )),
            None => Lookup::Absent,
        }
    }

    fn managed_policy(&self, arn: &str) -> Result<Lookup, ProviderError> {
        let Some(p) = self.policies.get(arn) else { return Ok(Lookup::Absent) };
        let default = p
            .policy_version_list()
            .iter()
            .find(|v| v.is_default_version() || (v.version_id().is_some() && v.version_id() == p.default_version_id()));
        Ok(match default.and_then(|v| v.document()) {
            Some(doc) => Lookup::Found(managed_policy_spec(OP, doc)?),
            None => Lookup::Ask,
        })
    }

    /// Profiles appear only under the role they hold; an untagged one is read again in case
    /// the nested copy lacks tags.
    fn instance_profile(&self, name: &str) -> Lookup {
        match self.profiles.get(name) {
            Some(p) if !p.tags().is_empty() => Lookup::Found(profile_spec(p)),
            _ => Lookup::Ask,
        }
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

    /// Reads an IAM resource from its account's bulk read (made on first use), and per entity
    /// only what that read cannot tell (or everything, without a bulk read).
    pub(crate) async fn read_iam(
        &self,
        at: &Locator,
        c: &AccountClients,
        account: Option<&AccountIam>,
    ) -> Result<Option<Value>, ProviderError> {
        let Some(account) = account else { return self.read_one(at, c).await };
        let snap = account.snapshot.get_or_try_init(|| self.iam_snapshot(c, account.wants)).await?;
        let name = at.name.as_str();
        let found = match at.kind {
            Kind::Role => snap.role(name)?,
            Kind::AccessRole => snap.access_role(name)?,
            Kind::Group => snap.group(name)?,
            Kind::User => snap.user(name),
            Kind::ManagedPolicy => snap.managed_policy(&Self::policy_arn(c, name))?,
            Kind::InstanceProfile => snap.instance_profile(name),
            _ => Lookup::Ask,
        };
        match (found, at.kind) {
            (Lookup::Found(mut spec), Kind::User) => {
                spec["console"] = Value::Bool(self.read_console(c, name).await?);
                Ok(Some(spec))
            }
            (Lookup::Found(spec), _) => Ok(Some(spec)),
            (Lookup::Absent, _) => Ok(None),
            (Lookup::Ask, _) => self.read_one(at, c).await,
        }
    }

    /// The per-entity read of an IAM resource.
    async fn read_one(&self, at: &Locator, c: &AccountClients) -> Result<Option<Value>, ProviderError> {
        match at.kind {
            Kind::Role => self.read_role(c, &at.name).await,
            Kind::AccessRole => self.read_access_role(c, &at.name).await,
            Kind::Group => self.read_group(c, &at.name).await,
            Kind::User => Box::pin(self.read_user(c, &at.name)).await,
            Kind::ManagedPolicy => self.read_managed_policy(c, &at.name).await,
            Kind::InstanceProfile => self.read_instance_profile(c, &at.name).await,
            other => Err(crate::organizations::internal(&format!("{other} is not an IAM entity"))),
        }
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
