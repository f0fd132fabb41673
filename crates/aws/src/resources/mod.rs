//! Discovery and convergence of the generic resources (see `groundwork_plan::resource`): each
//! kind reads its live spec in the same shape as the desired one, and converges a resource
//! with only the writes whose part differs.

mod access_role;
mod account_public_access_block;
mod ebs_encryption;
mod iam;
mod iam_snapshot;
mod org;
mod s3;
mod trail;

use std::collections::HashMap;
use std::sync::Arc;

use groundwork_apply::ProviderError;
use groundwork_plan::kinds::Spec;
use groundwork_plan::kinds::account_public_access_block::AccountPublicAccessBlockSpec;
use groundwork_plan::kinds::bucket::BucketSpec;
use groundwork_plan::kinds::ebs_encryption::EbsEncryptionSpec;
use groundwork_plan::kinds::trail::TrailSpec;
use groundwork_plan::{Desired, Ids, Kind, Live, LiveResource, Locator};
use serde_json::Value;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::accounts::AccountClients;
use crate::{Aws, AwsError};
use iam_snapshot::{AccountIam, IamWants};

/// Reads at once while discovering resources.
const RESOURCE_CONCURRENCY: usize = 16;

/// What every reader of one discovery shares: ids and the organization's SCPs by name.
pub(crate) struct Shared {
    pub(crate) ids: Ids,
    pub(crate) scps: HashMap<String, String>,
    pub(crate) ou_paths: HashMap<String, String>,
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
    /// blueprint does not list (so the plan can remove them). Read-only.
    pub async fn discover_resources(&self, desired: &Desired, live: &mut Live) -> Result<(), AwsError> {
        let Some(org) = &live.organization else { return Ok(()) };
        if desired.resources.is_empty() {
            return Ok(());
        }
        let ids = live.ids(desired);
        let management = org.management_account_id.clone();
        let wants_scps = desired.resources.iter().any(|r| matches!(r.at.kind, Kind::Scp | Kind::ScpAttachment));
        let scps = if wants_scps {
            self.scps_by_name().await.map_err(|e| AwsError::call("listing service control policies", e))?
        } else {
            HashMap::new()
        };
        let ou_paths = live.ous.iter().map(|o| (o.id.clone(), o.path.to_string())).collect();
        let shared = Arc::new(Shared { ids, scps, ou_paths });
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
                let cx = ReadCx { aws: &aws, at: &at, clients: &clients, shared: &shared, iam: iam.get(&account_id) };
                if let Some(spec) = aws.read(&cx).await? {
                    found.push((address, LiveResource { at, spec }));
                }
                Ok(found)
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
        Ok(())
    }

    /// The live spec of one resource, through its kind's [`Converge::read`].
    async fn read(&self, cx: &ReadCx<'_>) -> Result<Option<Value>, ProviderError> {
        Box::pin(self.read_kind(cx)).await
    }

    /// What the kinds not yet on [`Converge`] read.
    async fn read_legacy(&self, cx: &ReadCx<'_>) -> Result<Option<Value>, ProviderError> {
        let (at, c, shared) = (cx.at, cx.clients, cx.shared);
        match at.kind {
            Kind::ServiceAccess => self.read_service_access(&at.name).await,
            Kind::PolicyType => self.read_policy_type(&at.name).await,
            Kind::Scp => self.read_scp(&at.name, shared).await,
            Kind::ScpAttachment => Ok(None),
            Kind::PasswordPolicy => self.read_password_policy(c).await,
            Kind::ManagedPolicy | Kind::Group | Kind::User | Kind::Role | Kind::InstanceProfile | Kind::AccessRole => {
                Box::pin(self.read_iam(at, c, cx.iam)).await
            }
            other => Err(crate::organizations::internal(&format!("no reader for {other}"))),
        }
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

    /// What the kinds not yet on [`Converge`] write.
    async fn put_legacy(&self, cx: &WriteCx<'_>, spec: &Value, live: Option<&Value>) -> Result<String, ProviderError> {
        let (at, c, ids) = (cx.at, cx.clients, cx.ids);
        match at.kind {
            Kind::ServiceAccess => self.put_service_access(&at.name).await,
            Kind::PolicyType => self.put_policy_type(&at.name, ids).await,
            Kind::Scp => self.put_scp(&at.name, spec, live).await,
            Kind::ScpAttachment => self.attach_scp(spec, ids).await,
            Kind::PasswordPolicy => self.put_password_policy(c, spec).await,
            Kind::ManagedPolicy => self.put_managed_policy(c, &at.name, spec, live).await,
            Kind::Group => self.put_group(c, &at.name, spec, live).await,
            Kind::User => self.put_user(c, &at.name, spec, live).await,
            Kind::Role => self.put_role(c, &at.name, spec, live).await,
            Kind::InstanceProfile => self.put_instance_profile(c, &at.name, spec, live).await,
            Kind::AccessRole => {
                Err(crate::organizations::internal("groundwork never rewrites the access role's trust"))
            }
            other => Err(crate::organizations::internal(&format!("no writer for {other}"))),
        }
    }

    pub(crate) async fn delete(&self, at: &Locator, live: &Value, ids: &Ids) -> Result<String, ProviderError> {
        let management = ids.management_account_id.clone().unwrap_or_default();
        let account_id = account_id_of(at, ids)?;
        let c = self.account(&account_id, &management).await?;
        let cx = WriteCx { aws: self, at, clients: &c, ids };
        Box::pin(self.delete_kind(&cx, live)).await
    }

    /// What the kinds not yet on [`Converge`] delete.
    async fn delete_legacy(&self, cx: &WriteCx<'_>, live: &Value) -> Result<String, ProviderError> {
        let (at, c, ids) = (cx.at, cx.clients, cx.ids);
        match at.kind {
            Kind::ScpAttachment => self.detach_scp(live, ids).await,
            // Only as the first half of a replacement (IAM cannot move them to another path).
            Kind::Role => self.delete_role(c, &at.name, live).await,
            Kind::InstanceProfile => self.delete_instance_profile(c, &at.name, live).await,
            other => Err(crate::organizations::internal(&format!("groundwork never deletes a {other}"))),
        }
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

/// The one list of kinds on this side: each kind's [`Converge`] implementation. A kind missing
/// here falls to the legacy readers and writers until it has moved.
macro_rules! registry {
    ($($variant:ident => $ty:ty,)*) => {
        impl Aws {
            async fn read_kind(&self, cx: &ReadCx<'_>) -> Result<Option<Value>, ProviderError> {
                match cx.at.kind {
                    $( Kind::$variant => Ok(<$ty as Converge>::read(cx).await?.map(|s| s.to_value())), )*
                    #[allow(unreachable_patterns)]
                    _ => self.read_legacy(cx).await,
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
                    #[allow(unreachable_patterns)]
                    _ => self.put_legacy(cx, spec, live).await,
                }
            }

            async fn delete_kind(&self, cx: &WriteCx<'_>, live: &Value) -> Result<String, ProviderError> {
                match cx.at.kind {
                    $( Kind::$variant => {
                        let live: $ty = typed(concat!(stringify!($variant), ": live spec"), live)?;
                        <$ty as Converge>::delete(cx, &live).await
                    } )*
                    #[allow(unreachable_patterns)]
                    _ => self.delete_legacy(cx, live).await,
                }
            }
        }
    };
}

registry! {
    Bucket => BucketSpec,
    Trail => TrailSpec,
    AccountPublicAccessBlock => AccountPublicAccessBlockSpec,
    EbsEncryption => EbsEncryptionSpec,
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
