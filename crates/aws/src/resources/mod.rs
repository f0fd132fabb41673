//! Discovery and convergence of the generic resources (see `groundwork_plan::resource`): each
//! kind reads its live spec in the same shape as the desired one, and converges a resource
//! with only the writes whose part differs.

mod account_public_access_block;
pub(crate) mod alerts;
mod budget;
mod ebs_encryption;
mod flow_log;
pub(crate) mod iam;
mod kms;
mod org_policy;
mod policy_type;
mod root_access;
mod s3;
mod scp;
mod scp_attachment;
mod service_access;
pub(crate) mod sso;
mod trail;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use groundwork_apply::ProviderError;
use groundwork_blueprint::org_policies::OrgPolicyType;
use groundwork_plan::kinds::Spec;
use groundwork_plan::kinds::access_key::AccessKeySpec;
use groundwork_plan::kinds::access_role::AccessRoleSpec;
use groundwork_plan::kinds::account_public_access_block::AccountPublicAccessBlockSpec;
use groundwork_plan::kinds::bucket::BucketSpec;
use groundwork_plan::kinds::budget::BudgetSpec;
use groundwork_plan::kinds::ebs_encryption::EbsEncryptionSpec;
use groundwork_plan::kinds::flow_log::FlowLogSpec;
use groundwork_plan::kinds::group::GroupSpec;
use groundwork_plan::kinds::instance_profile::InstanceProfileSpec;
use groundwork_plan::kinds::kms_key::KmsKeySpec;
use groundwork_plan::kinds::log_group::LogGroupSpec;
use groundwork_plan::kinds::managed_policy::ManagedPolicySpec;
use groundwork_plan::kinds::metric_alarm::MetricAlarmSpec;
use groundwork_plan::kinds::metric_filter::MetricFilterSpec;
use groundwork_plan::kinds::org_policy::OrgPolicySpec;
use groundwork_plan::kinds::org_policy_attachment::OrgPolicyAttachmentSpec;
use groundwork_plan::kinds::password_policy::PasswordPolicySpec;
use groundwork_plan::kinds::permission_set::PermissionSetSpec;
use groundwork_plan::kinds::policy_type::PolicyTypeSpec;
use groundwork_plan::kinds::role::RoleSpec;
use groundwork_plan::kinds::root_access::RootAccessSpec;
use groundwork_plan::kinds::scp::ScpSpec;
use groundwork_plan::kinds::scp_attachment::ScpAttachmentSpec;
use groundwork_plan::kinds::service_access::ServiceAccessSpec;
use groundwork_plan::kinds::sns_topic::SnsTopicSpec;
use groundwork_plan::kinds::sso_assignment::SsoAssignmentSpec;
use groundwork_plan::kinds::sso_group::SsoGroupSpec;
use groundwork_plan::kinds::sso_membership::SsoMembershipSpec;
use groundwork_plan::kinds::sso_user::SsoUserSpec;
use groundwork_plan::kinds::trail::TrailSpec;
use groundwork_plan::kinds::user::UserSpec;
use groundwork_plan::kinds::{
    api_destination::ApiDestinationSpec, event_bus::EventBusSpec, event_connection::EventConnectionSpec,
    event_rule::EventRuleSpec,
};
use groundwork_plan::{Desired, Ids, Kind, Live, LiveResource, Locator};
use serde_json::Value;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::accounts::AccountClients;
use crate::{Aws, AwsError};
use iam::snapshot::{AccountIam, IamWants};
pub(crate) use kms::KeyAliases;
pub(crate) use s3::BucketLists;

/// Reads at once while discovering resources.
const RESOURCE_CONCURRENCY: usize = 16;

/// What every reader of one discovery shares: ids, the organization's SCPs by name (name →
/// id), OU paths by id, and the policy types enabled on the root (from discovery's ListRoots).
pub(crate) struct Shared {
    pub(crate) ids: Ids,
    pub(crate) scps: HashMap<String, String>,
    /// The organization's policies beyond SCPs, name → (type, id); listed only when the
    /// blueprint has some.
    pub(crate) org_policies: HashMap<String, (OrgPolicyType, String)>,
    pub(crate) ou_paths: HashMap<String, String>,
    /// The aliases of the accounts that hold a KMS key of the blueprint.
    pub(crate) key_aliases: kms::KeyAliases,
    pub(crate) policy_types: Vec<String>,
    /// Each account's bucket listing, made once by its first bucket reader.
    pub(crate) bucket_lists: s3::BucketLists,
    /// Identity Center's instance, permission sets, groups and assignments, read on first use.
    pub(crate) sso: sso::SsoCache,
    /// The alerts' metric filters and alarms, listed once per account.
    pub(crate) alerts: alerts::AlertsCache,
}

/// A parse error of a document AWS returned.
pub(crate) fn bad_document(op: &str, e: &serde_json::Error) -> ProviderError {
    ProviderError {
        operation: op.to_owned(),
        code: None,
        message: format!("the policy document AWS returned is not JSON: {e}"),
        kind: groundwork_apply::ErrorKind::Rejected,
    }
}

/// Parses a policy document as IAM returns it (URL-encoded) or as written.
pub(crate) fn parse_document(op: &str, text: &str) -> Result<Value, ProviderError> {
    let decoded = if text.trim_start().starts_with('{') { text.to_owned() } else { percent_decode(text) };
    serde_json::from_str(&decoded).map_err(|e| bad_document(op, &e))
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = (bytes[i] == b'%' && i + 2 < bytes.len())
            .then(|| std::str::from_utf8(&bytes[i + 1..i + 3]).ok().and_then(|h| u8::from_str_radix(h, 16).ok()))
            .flatten();
        match (hex, bytes[i]) {
            (Some(b), _) => {
                out.push(b);
                i += 3;
            }
            (None, b'+') => {
                out.push(b' ');
                i += 1;
            }
            (None, b) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

impl Aws {
    /// Reads every resource of `desired` that can exist (its account exists and its name is
    /// known) into `live.resources`, plus attachments of the blueprint's SCPs to targets the
    /// blueprint does not list (so the plan can remove them), and the SCPs groundwork owns for
    /// this blueprint that it no longer names (so the plan can name them, and `--prune` delete
    /// them). The organization's SCPs are listed only when the blueprint has SCPs or asks to
    /// prune them. Read-only.
    pub async fn discover_resources(&self, desired: &Desired, live: &mut Live) -> Result<(), AwsError> {
        let Some(org) = &live.organization else { return Ok(()) };
        let wants_scps = desired.resources.iter().any(|r| matches!(r.at.kind, Kind::Scp | Kind::ScpAttachment))
            || desired.prune.covers(Kind::Scp);
        if desired.resources.is_empty() && !wants_scps {
            return Ok(());
        }
        let ids = live.ids(desired);
        let management = org.management_account_id.clone();
        let listed = if wants_scps {
            self.list_scps().await.map_err(|e| AwsError::call("listing service control policies", e))?
        } else {
            Vec::new()
        };
        let named: HashSet<&str> =
            desired.resources.iter().filter(|r| r.at.kind == Kind::Scp).map(|r| r.at.name.as_str()).collect();
        let leftovers: Vec<scp::ScpListing> =
            listed.iter().filter(|s| !s.aws_managed && !named.contains(s.name.as_str())).cloned().collect();
        let scps = listed.into_iter().map(|s| (s.name, s.id)).collect();
        // Tag and AI-services opt-out policies: one ListPolicies per type, only when the
        // blueprint has a policy of those types.
        let wants_org_policies =
            desired.resources.iter().any(|r| matches!(r.at.kind, Kind::OrgPolicy | Kind::OrgPolicyAttachment));
        let org_listed = if wants_org_policies {
            self.list_org_policies().await.map_err(|e| AwsError::call("listing organization policies", e))?
        } else {
            Vec::new()
        };
        let org_named: HashSet<&str> =
            desired.resources.iter().filter(|r| r.at.kind == Kind::OrgPolicy).map(|r| r.at.name.as_str()).collect();
        let org_leftovers: Vec<scp::ScpListing> =
            org_listed.iter().filter(|s| !s.aws_managed && !org_named.contains(s.name.as_str())).cloned().collect();
        let org_policies = org_listed.into_iter().filter_map(|s| Some((s.name, (s.policy_type?, s.id)))).collect();
        let ou_paths = live.ous.iter().map(|o| (o.id.clone(), o.path.to_string())).collect();
        // One ListAliases per account that holds a key of the blueprint, shared by the keys'
        // readers and by the readers of what names a key (the trail, the bucket).
        let mut key_accounts = Vec::new();
        for r in desired.resources.iter().filter(|r| r.at.kind == Kind::KmsKey) {
            if let Some(id) = ids.account_id(r.at.account.as_deref())
                && !key_accounts.iter().any(|c: &AccountClients| c.id == id)
            {
                let clients =
                    self.account(id, &management).await.map_err(|e| AwsError::call("reading KMS aliases", e))?;
                key_accounts.push(clients);
            }
        }
        let key_aliases =
            self.key_aliases(&key_accounts).await.map_err(|e| AwsError::call("reading KMS aliases", e))?;
        let shared = Arc::new(Shared {
            ids,
            scps,
            org_policies,
            ou_paths,
            policy_types: org.policy_types.clone(),
            key_aliases,
            bucket_lists: s3::BucketLists::default(),
            sso: sso::SsoCache::default(),
            alerts: alerts::AlertsCache::default(),
        });
        // Each account's IAM resources share one bulk read, asking only for the kinds there.
        let mut wants: HashMap<String, IamWants> = HashMap::new();
        for r in &desired.resources {
            let at = shared.ids.resolve_locator(&r.at);
            if let Some(id) = shared.ids.account_id(at.account.as_deref()) {
                let mut w = wants.get(id).copied().unwrap_or_default();
                if w.add(at.kind) {
                    wants.insert(id.to_owned(), w);
                }
            }
        }
        let iam: Arc<HashMap<String, AccountIam>> =
            Arc::new(wants.into_iter().map(|(id, w)| (id, AccountIam::new(w))).collect());
        let gate = Arc::new(Semaphore::new(RESOURCE_CONCURRENCY));
        let mut tasks: JoinSet<Result<Vec<(groundwork_plan::Address, LiveResource)>, ProviderError>> = JoinSet::new();
        for r in &desired.resources {
            let at = shared.ids.resolve_locator(&r.at);
            if groundwork_plan::is_unresolved(&at.name) {
                continue;
            }
            let Some(account_id) = shared.ids.account_id(at.account.as_deref()).map(str::to_owned) else { continue };
            let (aws, gate, shared, iam, management) =
                (self.clone(), Arc::clone(&gate), Arc::clone(&shared), Arc::clone(&iam), management.clone());
            let address = r.address.clone();
            tasks.spawn(async move {
                let _permit = gate.acquire_owned().await;
                let clients = aws.account(&account_id, &management).await?;
                let mut found = Vec::new();
                if at.kind == Kind::Scp {
                    // The policy's attachments, read per policy (never per target).
                    found.extend(aws.scp_attachments(&at.name, &shared).await?);
                }
                if at.kind == Kind::OrgPolicy {
                    found.extend(aws.org_policy_attachments(&at.name, &shared).await?);
                }
                let cx = ReadCx { aws: &aws, at: &at, clients: &clients, shared: &shared, iam: iam.get(&account_id) };
                if let Some(spec) = aws.read(&cx).await? {
                    found.push((address, LiveResource { at, spec }));
                }
                Ok(found)
            });
        }
        for leftover in leftovers.into_iter().chain(org_leftovers) {
            let (aws, gate, blueprint) = (self.clone(), Arc::clone(&gate), desired.blueprint.clone());
            tasks.spawn(async move {
                let _permit = gate.acquire_owned().await;
                Ok(aws.leftover_scp(&leftover, &blueprint).await?.into_iter().collect())
            });
        }
        if let Some(wants) = sso::Leftovers::of(desired) {
            let (aws, gate, shared, management) =
                (self.clone(), Arc::clone(&gate), Arc::clone(&shared), management.clone());
            tasks.spawn(async move {
                let _permit = gate.acquire_owned().await;
                let clients = aws.account(&management, &management).await?;
                Box::pin(aws.sso_leftovers(&wants, &shared, &clients)).await
            });
        }
        while let Some(joined) = tasks.join_next().await {
            let found = joined
                .map_err(|e| AwsError::call("discovering resources", crate::organizations::internal(&e.to_string())))?
                .map_err(|e| AwsError::call("discovering resources (read-only)", e))?;
            live.resources.extend(found);
        }
        // Attachments found through their policy that the blueprint asks for are in place; only
        // unwanted ones stay listed for removal. Wanted ones are reported by `read` as well.
        if !desired.flow_logs.is_empty() {
            self.discover_flow_logs(desired, live)
                .await
                .map_err(|e| AwsError::call("discovering VPCs and their flow logs (read-only)", e))?;
        }
        Ok(())
    }

    /// The live spec of one resource, through its kind's [`Converge::read`].
    async fn read(&self, cx: &ReadCx<'_>) -> Result<Option<Value>, ProviderError> {
        Box::pin(self.read_kind(cx)).await
    }

    pub(crate) async fn put(
        &self,
        at: &Locator,
        spec: &Value,
        live: Option<&Value>,
        ids: &Ids,
    ) -> Result<String, ProviderError> {
        let management = ids.management_account_id.clone().unwrap_or_default();
        let account_id = account_id_of(at, ids)?;
        let c = self.writer_account(at, &account_id, &management).await?;
        let cx = WriteCx { aws: self, at, clients: &c, ids };
        Box::pin(self.put_kind(&cx, spec, live)).await
    }

    pub(crate) async fn delete(&self, at: &Locator, live: &Value, ids: &Ids) -> Result<String, ProviderError> {
        let management = ids.management_account_id.clone().unwrap_or_default();
        let account_id = account_id_of(at, ids)?;
        let c = self.account(&account_id, &management).await?;
        let cx = WriteCx { aws: self, at, clients: &c, ids };
        Box::pin(self.delete_kind(&cx, live)).await
    }
}

/// What a kind's reader gets: where the resource lives (placeholders resolved), that account's
/// clients, and what every reader of one discovery shares.
pub(crate) struct ReadCx<'a> {
    pub(crate) aws: &'a Aws,
    pub(crate) at: &'a Locator,
    pub(crate) clients: &'a AccountClients,
    pub(crate) shared: &'a Shared,
    pub(crate) iam: Option<&'a AccountIam>,
}

/// What a kind's lister gets: the account listed (its blueprint name; `None` is the management
/// account, and organization-wide kinds are listed there), its clients, and what every reader of
/// one discovery shares.
pub(crate) struct ListCx<'a> {
    pub(crate) aws: &'a Aws,
    pub(crate) account: Option<&'a str>,
    pub(crate) clients: &'a AccountClients,
    pub(crate) shared: &'a Shared,
    pub(crate) iam: Option<&'a AccountIam>,
}

impl ListCx<'_> {
    /// The locator of a resource of this account.
    pub(crate) fn locator(&self, kind: Kind, name: &str) -> Locator {
        Locator::new(kind, self.account.map(str::to_owned), name.to_owned())
    }

    /// Each of `names`, read as discovery reads it ([`Converge::read`]); the ones gone since
    /// they were listed are left out.
    pub(crate) async fn read_each<S: Converge>(
        &self,
        names: impl IntoIterator<Item = String>,
    ) -> Result<Vec<(Locator, S)>, ProviderError> {
        let mut out = Vec::new();
        for name in names {
            let at = self.locator(S::KIND, &name);
            let cx = ReadCx { aws: self.aws, at: &at, clients: self.clients, shared: self.shared, iam: self.iam };
            if let Some(spec) = S::read(&cx).await? {
                out.push((at, spec));
            }
        }
        Ok(out)
    }
}

/// What a kind's writer gets: where the resource lives (placeholders resolved), that account's
/// clients, and the ids known so far.
pub(crate) struct WriteCx<'a> {
    pub(crate) aws: &'a Aws,
    pub(crate) at: &'a Locator,
    pub(crate) clients: &'a AccountClients,
    pub(crate) ids: &'a Ids,
}

/// A kind's reads and writes, on the same typed spec as its lowering (`groundwork_plan::kinds`):
/// a key the reader and the lowering disagree on does not compile. No default lives here: a
/// setting the spec lacks is an error where the JSON is read ([`Spec::from_value`]).
#[async_trait::async_trait]
pub(crate) trait Converge: Spec + Send + Sync {
    /// The live spec, or `None` when the object does not exist. Read-only.
    async fn read(cx: &ReadCx<'_>) -> Result<Option<Self>, ProviderError>;

    /// Every live object of this kind in `cx`'s account (or the organization), each with its
    /// locator and its spec as [`Converge::read`] reads it (`groundwork import` reads through
    /// this). Read-only. Kinds that cannot be listed keep this default, which lists nothing.
    async fn list(cx: &ListCx<'_>) -> Result<Vec<(Locator, Self)>, ProviderError> {
        let _ = cx;
        Ok(Vec::new())
    }

    /// Creates the object, or converges it from `live` with only the writes whose part differs.
    /// Returns what it did, for people.
    async fn put(&self, cx: &WriteCx<'_>, live: Option<&Self>) -> Result<String, ProviderError>;

    /// Deletes the object (only ever one groundwork owns; a replacement's first half, or a
    /// `--prune`). Kinds that are never deleted keep this default, which refuses.
    async fn delete(cx: &WriteCx<'_>, live: &Self) -> Result<String, ProviderError> {
        let _ = (cx, live);
        Err(crate::organizations::internal(&format!("groundwork never deletes a {}", Self::KIND)))
    }
}

/// The typed spec of a JSON spec, or an error that names the kind.
fn typed<S: Spec>(op: &str, spec: &Value) -> Result<S, ProviderError> {
    S::from_value(spec).map_err(|e| ProviderError {
        operation: op.to_owned(),
        code: None,
        message: e.to_string(),
        kind: groundwork_apply::ErrorKind::Rejected,
    })
}

/// The one list of kinds on this side: each kind's [`Converge`] implementation. The dispatch it
/// generates matches on every [`Kind`], so a kind registered on the plan side and missing here
/// does not compile.
macro_rules! registry {
    ($($variant:ident => $ty:ty,)*) => {
        impl Aws {
            pub(crate) async fn read_kind(&self, cx: &ReadCx<'_>) -> Result<Option<Value>, ProviderError> {
                match cx.at.kind {
                    $( Kind::$variant => Ok(<$ty as Converge>::read(cx).await?.map(|s| s.to_value())), )*
                }
            }

            /// [`Converge::list`] of `kind`, the specs as JSON.
            pub(crate) async fn list_kind(&self, kind: Kind, cx: &ListCx<'_>) -> Result<Vec<(Locator, Value)>, ProviderError> {
                match kind {
                    $( Kind::$variant => Ok(<$ty as Converge>::list(cx).await?.into_iter().map(|(at, s)| (at, s.to_value())).collect()), )*
                }
            }

            async fn put_kind(&self, cx: &WriteCx<'_>, spec: &Value, live: Option<&Value>) -> Result<String, ProviderError> {
                match cx.at.kind {
                    $( Kind::$variant => {
                        let op = concat!(stringify!($variant), ": desired spec");
                        let spec: $ty = typed(op, spec)?;
                        let live: Option<$ty> = live.map(|l| typed(concat!(stringify!($variant), ": live spec"), l)).transpose()?;
                        spec.put(cx, live.as_ref()).await
                    } )*
                }
            }

            async fn delete_kind(&self, cx: &WriteCx<'_>, live: &Value) -> Result<String, ProviderError> {
                match cx.at.kind {
                    $( Kind::$variant => {
                        let live: $ty = typed(concat!(stringify!($variant), ": live spec"), live)?;
                        <$ty as Converge>::delete(cx, &live).await
                    } )*
                }
            }
        }
    };
}

registry! {
    ServiceAccess => ServiceAccessSpec,
    PolicyType => PolicyTypeSpec,
    Bucket => BucketSpec,
    Trail => TrailSpec,
    KmsKey => KmsKeySpec,
    PasswordPolicy => PasswordPolicySpec,
    ManagedPolicy => ManagedPolicySpec,
    Group => GroupSpec,
    User => UserSpec,
    AccessKey => AccessKeySpec,
    Role => RoleSpec,
    InstanceProfile => InstanceProfileSpec,
    AccessRole => AccessRoleSpec,
    Scp => ScpSpec,
    ScpAttachment => ScpAttachmentSpec,
    OrgPolicy => OrgPolicySpec,
    OrgPolicyAttachment => OrgPolicyAttachmentSpec,
    Budget => BudgetSpec,
    AccountPublicAccessBlock => AccountPublicAccessBlockSpec,
    EbsEncryption => EbsEncryptionSpec,
    SsoGroup => SsoGroupSpec,
    SsoUser => SsoUserSpec,
    SsoMembership => SsoMembershipSpec,
    PermissionSet => PermissionSetSpec,
    SsoAssignment => SsoAssignmentSpec,
    FlowLog => FlowLogSpec,
    RootAccess => RootAccessSpec,
    LogGroup => LogGroupSpec,
    MetricFilter => MetricFilterSpec,
    MetricAlarm => MetricAlarmSpec,
    SnsTopic => SnsTopicSpec,
    EventBus => EventBusSpec,
    EventRule => EventRuleSpec,
    EventConnection => EventConnectionSpec,
    ApiDestination => ApiDestinationSpec,
}

/// The id of the account a resource lives in, known from discovery or an earlier change.
fn account_id_of(at: &Locator, ids: &Ids) -> Result<String, ProviderError> {
    ids.account_id(at.account.as_deref()).map(str::to_owned).ok_or_else(|| {
        crate::organizations::internal(&format!(
            "the id of account {} is not known",
            at.account.as_deref().unwrap_or("management")
        ))
    })
}
