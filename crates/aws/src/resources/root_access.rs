//! IAM's centralized root access (`root-access/organization`), through the management account's
//! IAM client: read with `ListOrganizationsFeatures` (nothing enabled while IAM has no trusted
//! access, which IAM answers with `ServiceAccessNotEnabledException`), converged with
//! `Enable…`/`Disable…OrganizationsRootCredentialsManagement` and `…RootSessions`, only the
//! features that differ. Each is idempotent (enabling an enabled feature changes nothing).

use groundwork_apply::ProviderError;
use groundwork_plan::kinds::root_access::{NAME, ROOT_CREDENTIALS_MANAGEMENT, ROOT_SESSIONS, RootAccessSpec};
use groundwork_plan::{Kind, Locator};

use super::{Converge, ListCx, ReadCx, WriteCx};
use crate::call::Idempotency;

#[async_trait::async_trait]
impl Converge for RootAccessSpec {
    /// The organization's features, when any is on (import lists them once IAM has trusted
    /// access; with none on there is nothing a `root_access` section would keep).
    async fn list(cx: &ListCx<'_>) -> Result<Vec<(Locator, Self)>, ProviderError> {
        let at = Locator::new(Kind::RootAccess, None, NAME.to_owned());
        let read = ReadCx { aws: cx.aws, at: &at, clients: cx.clients, shared: cx.shared, iam: cx.iam };
        let found = Self::read(&read).await?.filter(|s| !s.features.is_empty());
        Ok(found.map(|spec| vec![(at, spec)]).unwrap_or_default())
    }

    async fn read(cx: &ReadCx<'_>) -> Result<Option<Self>, ProviderError> {
        let iam = &cx.clients.iam;
        let out = cx
            .aws
            .run("iam:ListOrganizationsFeatures", Idempotency::Safe, || iam.list_organizations_features().send())
            .await;
        let mut features: Vec<String> = match out {
            Ok(o) => o.enabled_features().iter().map(|f| f.as_str().to_owned()).collect(),
            // No trusted access for IAM yet: no feature can be on.
            Err(e) if e.code.as_deref() == Some("ServiceAccessNotEnabledException") => Vec::new(),
            Err(e) => return Err(e),
        };
        features.sort();
        Ok(Some(RootAccessSpec { features }))
    }

    async fn put(&self, cx: &WriteCx<'_>, live: Option<&Self>) -> Result<String, ProviderError> {
        let iam = &cx.clients.iam;
        let have: &[String] = live.map_or(&[], |l| &l.features);
        let mut done = Vec::new();
        for feature in [ROOT_CREDENTIALS_MANAGEMENT, ROOT_SESSIONS] {
            let (want, is) = (self.features.iter().any(|f| f == feature), have.iter().any(|f| f == feature));
            match (want, is, feature) {
                (true, false, ROOT_CREDENTIALS_MANAGEMENT) => {
                    cx.aws
                        .run("iam:EnableOrganizationsRootCredentialsManagement", Idempotency::Safe, || {
                            iam.enable_organizations_root_credentials_management().send()
                        })
                        .await?;
                }
                (true, false, _) => {
                    cx.aws
                        .run("iam:EnableOrganizationsRootSessions", Idempotency::Safe, || {
                            iam.enable_organizations_root_sessions().send()
                        })
                        .await?;
                }
                (false, true, ROOT_CREDENTIALS_MANAGEMENT) => {
                    cx.aws
                        .run("iam:DisableOrganizationsRootCredentialsManagement", Idempotency::Safe, || {
                            iam.disable_organizations_root_credentials_management().send()
                        })
                        .await?;
                }
                (false, true, _) => {
                    cx.aws
                        .run("iam:DisableOrganizationsRootSessions", Idempotency::Safe, || {
                            iam.disable_organizations_root_sessions().send()
                        })
                        .await?;
                }
                _ => continue,
            }
            done.push(format!("{feature} {}", if want { "enabled" } else { "disabled" }));
        }
        Ok(if done.is_empty() { "already as the blueprint says".into() } else { done.join(", ") })
    }
}
