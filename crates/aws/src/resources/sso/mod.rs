//! IAM Identity Center: what its kinds share. The organization's instance (in the management
//! account, in the blueprint's `identity_center.region`), its permission sets by name, the
//! identity store's groups by display name and each group's assignments, read once per
//! discovery and shared by the readers ([`SsoCache`]), and the polling of Identity Center's
//! asynchronous requests (assignment creation and deletion, provisioning).
//!
//! The kinds: [`group`] (`sso-group`), [`user`] (`sso-user`, `sso-membership`),
//! [`permission_set`] (`permission-set`) and [`assignment`] (`sso-assignment`).
//!
//! Permission set ARNs are opaque (the emulator's differ from AWS's). An emulator that accepts
//! duplicate permission sets (moto) may hold several of one name: discovery reads the first by
//! ARN and names the others in the log, and the writer looks for one of that name before it
//! creates one, so groundwork never makes a duplicate itself.

pub(crate) mod assignment;
pub(crate) mod group;
pub(crate) mod permission_set;
pub(crate) mod user;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use aws_sdk_ssoadmin::types::StatusValues;
use groundwork_apply::{ErrorKind, ProviderError};
use groundwork_plan::Locator;
use tokio::sync::Mutex;

use crate::Aws;
use crate::accounts::{AccountClients, SsoClients};
use crate::call::Idempotency;

/// How long groundwork waits for one of Identity Center's asynchronous requests.
const WAIT: Duration = Duration::from_mins(10);

/// An error that is not AWS's.
pub(crate) fn rejected(op: &str, message: String) -> ProviderError {
    ProviderError { operation: op.to_owned(), code: None, message, kind: ErrorKind::Rejected }
}

/// The organization's Identity Center instance.
#[derive(Debug, Clone)]
pub(crate) struct Instance {
    /// `arn:aws:sso:::instance/ssoins-…`.
    pub(crate) arn: String,
    /// The identity store's id (`d-…`).
    pub(crate) store: String,
}

/// A group's assignments: (account id, permission set ARN).
type Assignments = Arc<Vec<(String, String)>>;

/// What one discovery read of the instance in one region: the permission sets by name, and
/// (filled on first use) groups by display name and the assignments of each group.
pub(crate) struct View {
    pub(crate) instance: Instance,
    /// Name → ARNs, sorted (more than one only on an emulator that accepts duplicates).
    pub(crate) sets: BTreeMap<String, Vec<String>>,
    groups: Mutex<HashMap<String, Option<String>>>,
    assignments: Mutex<HashMap<String, Assignments>>,
    members: Mutex<HashMap<String, Arc<Vec<String>>>>,
}

impl View {
    /// The ARN of the permission set `name` (the first, when an emulator holds duplicates).
    pub(crate) fn set_arn(&self, name: &str) -> Option<&str> {
        self.sets.get(name).and_then(|arns| arns.first()).map(String::as_str)
    }

    /// The name of the permission set `arn`, if it is the one discovery reads for its name.
    pub(crate) fn set_name(&self, arn: &str) -> Option<&str> {
        self.sets.iter().find(|(_, arns)| arns.first().is_some_and(|a| a == arn)).map(|(n, _)| n.as_str())
    }
}

/// The views of one discovery, by region, filled on first use.
#[derive(Default)]
pub(crate) struct SsoCache {
    views: Mutex<HashMap<String, Arc<View>>>,
}

/// The instance's region of a locator.
pub(crate) fn region_of(at: &Locator) -> Result<&str, ProviderError> {
    at.region.as_deref().ok_or_else(|| rejected("sso", format!("{} {} names no region", at.kind, at.name)))
}

impl Aws {
    /// The organization's instance in `region` (ListInstances); `None` when Identity Center is
    /// not enabled there.
    pub(crate) async fn sso_instance_if_enabled(&self, sso: &SsoClients) -> Result<Option<Instance>, ProviderError> {
        let out = self.run("sso:ListInstances", Idempotency::Safe, || sso.admin.list_instances().send()).await?;
        Ok(out.instances().first().map(|i| Instance {
            arn: i.instance_arn().unwrap_or_default().to_owned(),
            store: i.identity_store_id().unwrap_or_default().to_owned(),
        }))
    }

    /// The organization's instance in `region` (ListInstances).
    pub(crate) async fn sso_instance(&self, sso: &SsoClients, region: &str) -> Result<Instance, ProviderError> {
        self.sso_instance_if_enabled(sso).await?.ok_or_else(|| {
            rejected(
                "sso:ListInstances",
                format!(
                    "IAM Identity Center has no instance in {region}; enable it in the management account (in the region the blueprint's identity_center.region names) first"
                ),
            )
        })
    }

    /// Every group of the identity store: (display name, id, description), by name (ListGroups).
    pub(crate) async fn sso_groups(
        &self,
        sso: &SsoClients,
        store: &str,
    ) -> Result<Vec<(String, String, String)>, ProviderError> {
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let t = token.clone();
            let page = self
                .run("identitystore:ListGroups", Idempotency::Safe, || {
                    sso.store.list_groups().identity_store_id(store).set_next_token(t.clone()).send()
                })
                .await?;
            out.extend(page.groups().iter().filter_map(|g| {
                Some((
                    g.display_name()?.to_owned(),
                    g.group_id().to_owned(),
                    g.description().unwrap_or_default().to_owned(),
                ))
            }));
            match page.next_token() {
                Some(next) if !next.is_empty() && Some(next) != token.as_deref() => token = Some(next.to_owned()),
                _ => break,
            }
        }
        out.sort();
        Ok(out)
    }

    /// The view of the instance in the home region for `groundwork import`, `None` when
    /// Identity Center is not enabled there.
    pub(crate) async fn sso_import_view(
        &self,
        cache: &SsoCache,
        c: &AccountClients,
    ) -> Result<Option<(String, Arc<View>)>, ProviderError> {
        let region = self.home_region();
        if self.sso_instance_if_enabled(&c.sso(&region)).await?.is_none() {
            return Ok(None);
        }
        Ok(Some((region.clone(), self.sso_view(cache, c, &region).await?)))
    }

    /// Every permission set of the instance: name → ARNs, sorted (ListPermissionSets, then
    /// DescribePermissionSet each).
    pub(crate) async fn sso_sets(
        &self,
        sso: &SsoClients,
        instance: &Instance,
    ) -> Result<BTreeMap<String, Vec<String>>, ProviderError> {
        let mut arns = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let t = token.clone();
            let page = self
                .run("sso:ListPermissionSets", Idempotency::Safe, || {
                    sso.admin.list_permission_sets().instance_arn(&instance.arn).set_next_token(t.clone()).send()
                })
                .await?;
            arns.extend(page.permission_sets().iter().cloned());
            match page.next_token() {
                Some(next) if !next.is_empty() && Some(next) != token.as_deref() => token = Some(next.to_owned()),
                _ => break,
            }
        }
        let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for arn in arns {
            let d = self
                .run("sso:DescribePermissionSet", Idempotency::Safe, || {
                    sso.admin.describe_permission_set().instance_arn(&instance.arn).permission_set_arn(&arn).send()
                })
                .await?;
            if let Some(name) = d.permission_set().and_then(|p| p.name()) {
                out.entry(name.to_owned()).or_default().push(arn);
            }
        }
        for (name, arns) in &mut out {
            arns.sort();
            if arns.len() > 1 {
                tracing::warn!(permission_set = %name, copies = arns.len(), "the instance holds permission sets of the same name; groundwork reads the first");
            }
        }
        Ok(out)
    }

    /// The view of the instance in `region` for this discovery (read on first use).
    pub(crate) async fn sso_view(
        &self,
        cache: &SsoCache,
        c: &AccountClients,
        region: &str,
    ) -> Result<Arc<View>, ProviderError> {
        let mut views = cache.views.lock().await;
        if let Some(v) = views.get(region) {
            return Ok(Arc::clone(v));
        }
        let sso = c.sso(region);
        let instance = self.sso_instance(&sso, region).await?;
        let sets = self.sso_sets(&sso, &instance).await?;
        let view = Arc::new(View {
            instance,
            sets,
            groups: Mutex::new(HashMap::new()),
            assignments: Mutex::new(HashMap::new()),
            members: Mutex::new(HashMap::new()),
        });
        views.insert(region.to_owned(), Arc::clone(&view));
        Ok(view)
    }

    /// A group's id by display name (GetGroupId), `None` when there is none.
    pub(crate) async fn sso_group_id(
        &self,
        sso: &SsoClients,
        store: &str,
        name: &str,
    ) -> Result<Option<String>, ProviderError> {
        use aws_sdk_identitystore::types::{AlternateIdentifier, UniqueAttribute};
        let attribute = UniqueAttribute::builder()
            .attribute_path("displayName")
            .attribute_value(aws_smithy_types::Document::String(name.to_owned()))
            .build()
            .map_err(|e| rejected("identitystore:GetGroupId", e.to_string()))?;
        let found = self
            .run("identitystore:GetGroupId", Idempotency::Safe, || {
                sso.store
                    .get_group_id()
                    .identity_store_id(store)
                    .alternate_identifier(AlternateIdentifier::UniqueAttribute(attribute.clone()))
                    .send()
            })
            .await;
        match found {
            Ok(out) => Ok(Some(out.group_id().to_owned())),
            Err(e) if e.code.as_deref() == Some("ResourceNotFoundException") => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// [`Aws::sso_group_id`], once per discovery and group.
    pub(crate) async fn sso_cached_group_id(
        &self,
        view: &View,
        sso: &SsoClients,
        name: &str,
    ) -> Result<Option<String>, ProviderError> {
        let mut groups = view.groups.lock().await;
        if let Some(id) = groups.get(name) {
            return Ok(id.clone());
        }
        let id = self.sso_group_id(sso, &view.instance.store, name).await?;
        groups.insert(name.to_owned(), id.clone());
        Ok(id)
    }

    /// Every assignment of the group `group_id`: (account id, permission set ARN), sorted and
    /// de-duplicated (ListAccountAssignmentsForPrincipal).
    pub(crate) async fn sso_group_assignments(
        &self,
        sso: &SsoClients,
        instance: &Instance,
        group_id: &str,
    ) -> Result<Vec<(String, String)>, ProviderError> {
        use aws_sdk_ssoadmin::types::PrincipalType;
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let t = token.clone();
            let page = self
                .run("sso:ListAccountAssignmentsForPrincipal", Idempotency::Safe, || {
                    sso.admin
                        .list_account_assignments_for_principal()
                        .instance_arn(&instance.arn)
                        .principal_id(group_id)
                        .principal_type(PrincipalType::Group)
                        .set_next_token(t.clone())
                        .send()
                })
                .await?;
            out.extend(
                page.account_assignments()
                    .iter()
                    .filter_map(|a| Some((a.account_id()?.to_owned(), a.permission_set_arn()?.to_owned()))),
            );
            match page.next_token() {
                Some(next) if !next.is_empty() && Some(next) != token.as_deref() => token = Some(next.to_owned()),
                _ => break,
            }
        }
        out.sort();
        out.dedup();
        Ok(out)
    }

    /// [`Aws::sso_group_assignments`], once per discovery and group.
    pub(crate) async fn sso_cached_assignments(
        &self,
        view: &View,
        sso: &SsoClients,
        group_id: &str,
    ) -> Result<Arc<Vec<(String, String)>>, ProviderError> {
        let mut all = view.assignments.lock().await;
        if let Some(found) = all.get(group_id) {
            return Ok(Arc::clone(found));
        }
        let found = Arc::new(self.sso_group_assignments(sso, &view.instance, group_id).await?);
        all.insert(group_id.to_owned(), Arc::clone(&found));
        Ok(found)
    }

    /// [`Aws::sso_members`], once per discovery and group.
    pub(crate) async fn sso_cached_members(
        &self,
        view: &View,
        sso: &SsoClients,
        group_id: &str,
    ) -> Result<Arc<Vec<String>>, ProviderError> {
        let mut all = view.members.lock().await;
        if let Some(found) = all.get(group_id) {
            return Ok(Arc::clone(found));
        }
        let found = Arc::new(self.sso_members(sso, &view.instance.store, group_id).await?);
        all.insert(group_id.to_owned(), Arc::clone(&found));
        Ok(found)
    }

    /// Waits for one of Identity Center's asynchronous requests ([`wait_for`]).
    pub(crate) async fn sso_wait<F, Fut>(&self, what: &str, request: &str, status: F) -> Result<(), ProviderError>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<(Option<StatusValues>, Option<String>), ProviderError>>,
    {
        wait_for(what, request, status).await
    }
}

/// Waits for one of Identity Center's asynchronous requests: `status` reads it (its state
/// and AWS's failure reason) until it succeeds or fails; a failure is returned with AWS's
/// reason word for word.
pub(crate) async fn wait_for<F, Fut>(what: &str, request: &str, mut status: F) -> Result<(), ProviderError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<(Option<StatusValues>, Option<String>), ProviderError>>,
{
    let started = tokio::time::Instant::now();
    let mut interval = Duration::from_millis(500);
    loop {
        match status().await {
            Ok((Some(StatusValues::Succeeded), _)) => return Ok(()),
            Ok((Some(StatusValues::Failed), reason)) => {
                return Err(ProviderError {
                    operation: what.to_owned(),
                    code: Some("Failed".into()),
                    message: format!("request {request} failed: {}", reason.as_deref().unwrap_or("AWS gave no reason")),
                    kind: ErrorKind::Rejected,
                });
            }
            Ok(_) => {}
            Err(e) if e.kind == ErrorKind::Ambiguous => {}
            Err(e) => return Err(e),
        }
        if started.elapsed() >= WAIT {
            return Err(ProviderError {
                operation: what.to_owned(),
                code: None,
                message: format!("request {request} still in progress after {}s; rerun apply later", WAIT.as_secs()),
                kind: ErrorKind::Ambiguous,
            });
        }
        tokio::time::sleep(interval).await;
        interval = (interval * 2).min(Duration::from_secs(10));
    }
}

/// What discovery needs to find the Identity Center objects the blueprint no longer lists: the
/// instance's region, the blueprint's permission sets and groups, and every address it wants.
pub(crate) struct Leftovers {
    region: String,
    blueprint: String,
    sets: std::collections::BTreeSet<String>,
    groups: Vec<String>,
    wanted: std::collections::BTreeSet<groundwork_plan::Address>,
}

impl Leftovers {
    /// `None` when the blueprint has no `identity_center` section (then nothing of Identity
    /// Center is read, and nothing is ever pruned).
    pub(crate) fn of(desired: &groundwork_plan::Desired) -> Option<Self> {
        use groundwork_plan::Kind;
        let sso = |k: Kind| matches!(k, Kind::SsoGroup | Kind::PermissionSet | Kind::SsoAssignment);
        let region = desired.resources.iter().find(|r| sso(r.at.kind))?.at.region.clone()?;
        Some(Leftovers {
            region,
            blueprint: desired.blueprint.clone(),
            sets: desired
                .resources
                .iter()
                .filter(|r| r.at.kind == Kind::PermissionSet)
                .map(|r| r.at.name.clone())
                .collect(),
            groups: desired
                .resources
                .iter()
                .filter(|r| r.at.kind == Kind::SsoGroup)
                .map(|r| r.at.name.clone())
                .collect(),
            wanted: desired.resources.iter().map(|r| r.address.clone()).collect(),
        })
    }
}

impl Aws {
    /// The permission sets groundwork owns for this blueprint (their tags say so) that the
    /// blueprint no longer names, and the assignments of the blueprint's groups that it does not
    /// list, to a permission set of the blueprint or to such a leftover: so that the plan can
    /// name them, and `--prune` delete them (assignments first). Read-only.
    pub(crate) async fn sso_leftovers(
        &self,
        wants: &Leftovers,
        shared: &crate::resources::Shared,
        c: &AccountClients,
    ) -> Result<Vec<(groundwork_plan::Address, groundwork_plan::LiveResource)>, ProviderError> {
        use groundwork_plan::kinds::sso_assignment::{self, SsoAssignmentSpec};
        use groundwork_plan::kinds::{Spec, permission_set};
        use groundwork_plan::{Kind, LiveResource};
        let view = self.sso_view(&shared.sso, c, &wants.region).await?;
        let sso = c.sso(&wants.region);
        let i = view.instance.arn.as_str();
        let mut out = Vec::new();
        let mut owned: std::collections::BTreeSet<&str> = wants.sets.iter().map(String::as_str).collect();
        for (name, arns) in &view.sets {
            if wants.sets.contains(name) {
                continue;
            }
            let Some(arn) = arns.first() else { continue };
            let tags = self
                .run("sso:ListTagsForResource", Idempotency::Safe, || {
                    sso.admin.list_tags_for_resource().instance_arn(i).resource_arn(arn).send()
                })
                .await?;
            let tags: groundwork_blueprint::Tags =
                tags.tags().iter().map(|t| (t.key().to_owned(), t.value().to_owned())).collect();
            if !groundwork_plan::is_managed_by(&tags, &wants.blueprint) {
                continue;
            }
            let spec = Box::pin(self.read_permission_set(&sso, &view.instance, arn)).await?;
            let at = Locator::regional(Kind::PermissionSet, None, wants.region.clone(), name.clone());
            out.push((permission_set::address(name), LiveResource { at, spec: spec.to_value() }));
            owned.insert(name);
        }
        let names: HashMap<&str, &str> =
            shared.ids.accounts.iter().map(|(name, id)| (id.as_str(), name.as_str())).collect();
        let management = shared.ids.management_account_id.as_deref();
        for group in &wants.groups {
            let Some(id) = self.sso_cached_group_id(&view, &sso, group).await? else { continue };
            for (account, arn) in self.sso_cached_assignments(&view, &sso, &id).await?.iter() {
                let Some(set) = view.set_name(arn).filter(|s| owned.contains(s)) else { continue };
                let account_name = match names.get(account.as_str()) {
                    Some(n) => Some(*n),
                    None if management == Some(account.as_str()) => None,
                    None => Some(account.as_str()),
                };
                let address = sso_assignment::address(group, set, account_name);
                if wants.wanted.contains(&address) {
                    continue;
                }
                let spec = SsoAssignmentSpec {
                    permission_set: set.to_owned(),
                    group: group.clone(),
                    account_id: account.clone(),
                };
                let at = Locator::regional(Kind::SsoAssignment, None, wants.region.clone(), spec.name());
                out.push((address, LiveResource { at, spec: spec.to_value() }));
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_request_is_polled_until_it_fails_and_the_reason_is_aws_word_for_word() {
        let mut answers = vec![
            Ok((Some(StatusValues::InProgress), None)),
            Err(ProviderError {
                operation: "x".into(),
                code: None,
                message: "reset".into(),
                kind: ErrorKind::Ambiguous,
            }),
            Ok((
                Some(StatusValues::Failed),
                Some("Received a 404 status error: Not supported policy arn:aws:iam::aws:policy/Nope.".to_owned()),
            )),
        ]
        .into_iter();
        let e = wait_for("sso:CreateAccountAssignment", "req-1", || {
            let next = answers.next().unwrap();
            async move { next }
        })
        .await
        .unwrap_err();
        assert_eq!(e.operation, "sso:CreateAccountAssignment");
        assert_eq!(
            e.message,
            "request req-1 failed: Received a 404 status error: Not supported policy arn:aws:iam::aws:policy/Nope."
        );
        let mut answers =
            vec![Ok((Some(StatusValues::InProgress), None)), Ok((Some(StatusValues::Succeeded), None))].into_iter();
        wait_for("sso:ProvisionPermissionSet", "req-2", || {
            let next = answers.next().unwrap();
            async move { next }
        })
        .await
        .unwrap();
    }

    #[tokio::test(start_paused = true)]
    async fn a_request_still_in_progress_after_the_wait_is_ambiguous() {
        let e =
            wait_for("sso:ProvisionPermissionSet", "req-3", || async { Ok((Some(StatusValues::InProgress), None)) })
                .await
                .unwrap_err();
        assert_eq!(e.kind, ErrorKind::Ambiguous);
        assert!(e.message.contains("still in progress"), "{}", e.message);
    }
}
