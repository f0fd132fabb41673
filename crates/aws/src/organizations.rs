//! AWS Organizations: discovery (read-only, top-down, paginated, concurrent per level) and the
//! write operations of the executor.

use std::collections::HashSet;
use std::sync::Arc;

use async_trait::async_trait;
use aws_sdk_organizations::types::{CreateAccountState, OrganizationFeatureSet, PolicyTypeStatus, Tag};
use groundwork_apply::{CreateState, FoundAccount, Provider, ProviderError};
use groundwork_blueprint::{OuPath, Tags};
use groundwork_plan::{CreateRequest, Desired, Live, LiveAccount, LiveOrganization, LiveOu};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::call::{Idempotency, call};
use crate::{Aws, AwsError};

/// One parent's children: its path, child OUs (id, name) and accounts.
type Level = (OuPath, Vec<(String, String)>, Vec<LiveAccount>);

/// Calls in flight at once during discovery (the rate limiter still applies per operation).
const DISCOVERY_CONCURRENCY: usize = 32;
/// The Service Quotas code of "Default maximum number of accounts".
const ACCOUNT_QUOTA_CODE: &str = "L-29A0C5DF";

fn to_tags(tags: &Tags) -> Vec<Tag> {
    tags.iter().filter_map(|(k, v)| Tag::builder().key(k).value(v).build().ok()).collect()
}

/// Pages of one list call. `$call` is a closure from `Option<String>` (the token) to the future
/// of one page; `$items` and `$next` read a page. Stops when a token repeats (some emulators
/// return the same token forever).
macro_rules! paginate {
    ($aws:expr, $op:literal, $call:expr, $items:expr) => {
        async {
            let mut out = Vec::new();
            let mut token: Option<String> = None;
            let mut seen: std::collections::HashSet<String> = std::collections::HashSet::new();
            loop {
                let t = token.clone();
                let page = $crate::call::call(
                    &$aws.retry,
                    &$aws.limiter,
                    &$aws.journal,
                    &$aws.fence,
                    $op,
                    $crate::call::Idempotency::Safe,
                    || $call(t.clone()),
                )
                .await?;
                out.extend($items(&page));
                match page.next_token() {
                    Some(next) if !next.is_empty() && seen.insert(next.to_owned()) => token = Some(next.to_owned()),
                    _ => break,
                }
            }
            Ok::<_, ProviderError>(out)
        }
        .await
    };
}
pub(crate) use paginate;

/// What discovery reads besides the tree itself: everything (for `import` and `audit`, which
/// have no blueprint, or a blueprint they are about to write), or what planning `desired` needs.
///
/// Planning a blueprint needs the tags of the OUs and accounts it names (tags are converged
/// additively: a tag the blueprint does not set is never drift, so an object it does not name
/// needs no tag read), and the CreateAccount requests and the account quota only when one of
/// its accounts is missing (they serve creations: resuming a request a dead run left in
/// flight, the word on a failed one, the quota pre-flight). A converged rerun therefore makes
/// none of these three reads for objects it does not manage.
#[derive(Debug, Clone, Default)]
pub struct Focus {
    /// OU paths and (lowercase) account emails whose tags to read; `None`: every object's.
    tagged: Option<(HashSet<OuPath>, HashSet<String>)>,
    /// Emails of the accounts the blueprint names; `None`: always read requests and quota.
    emails: Option<HashSet<String>>,
}

impl Focus {
    /// Everything: every object's tags, the requests and the quota.
    pub fn everything() -> Self {
        Focus::default()
    }

    /// What planning `desired` needs.
    pub fn blueprint(desired: &Desired) -> Self {
        let ous = desired.ous.iter().filter(|o| !o.tags.is_empty()).map(|o| o.path.clone()).collect();
        let tagged = desired.accounts.iter().filter(|a| !a.tags.is_empty()).map(|a| a.email.to_lowercase()).collect();
        let emails = desired.accounts.iter().map(|a| a.email.to_lowercase()).collect();
        Focus { tagged: Some((ous, tagged)), emails: Some(emails) }
    }

    fn ou_tags(&self, path: &OuPath) -> bool {
        self.tagged.as_ref().is_none_or(|(ous, _)| ous.contains(path))
    }

    fn account_tags(&self, email: &str) -> bool {
        self.tagged.as_ref().is_none_or(|(_, emails)| emails.contains(&email.to_lowercase()))
    }

    /// Whether the requests and the quota matter, once the tree's accounts are known.
    fn creations_possible(&self, accounts: &[LiveAccount]) -> bool {
        let Some(wanted) = &self.emails else { return true };
        let found: HashSet<String> = accounts.iter().map(|a| a.email.to_lowercase()).collect();
        !wanted.is_subset(&found)
    }
}

impl Aws {
    /// Reads the whole organization: [`Aws::discover_for`] with [`Focus::everything`].
    pub async fn discover(&self) -> Result<Live, AwsError> {
        self.discover_for(&Focus::everything()).await
    }

    /// Reads the organization: itself, its root, the OU tree top-down (per parent: child OUs
    /// and accounts), the tags of the OUs and accounts `focus` names, and, when `focus` says
    /// an account may have to be created, the unfinished CreateAccount requests and the
    /// account quota. Read-only. Everything that does not depend on an earlier answer runs
    /// concurrently: the organization and its root together, then the tree walk (each parent's
    /// children and each object's tags as soon as it is found).
    pub async fn discover_for(&self, focus: &Focus) -> Result<Live, AwsError> {
        let mut live = Live::default();
        let (described, root) = tokio::join!(
            call(
                &self.retry,
                &self.limiter,
                &self.journal,
                &self.fence,
                "organizations:DescribeOrganization",
                Idempotency::Safe,
                || { self.org.describe_organization().send() }
            ),
            self.root()
        );
        let org = match described {
            Ok(out) => out.organization.ok_or_else(|| {
                AwsError::call("describing the organization", internal("DescribeOrganization returned no organization"))
            })?,
            Err(e) if e.code.as_deref() == Some("AWSOrganizationsNotInUseException") => return Ok(live),
            Err(e) => return Err(AwsError::call("describing the organization", e)),
        };
        let (root_id, policy_types) = root.map_err(|e| AwsError::call("listing roots", e))?;
        live.organization = Some(LiveOrganization {
            id: org.id().unwrap_or_default().to_owned(),
            feature_set: org.feature_set().map_or("ALL", OrganizationFeatureSet::as_str).into(),
            management_account_id: org.master_account_id().unwrap_or_default().to_owned(),
            management_email: org.master_account_email().unwrap_or_default().to_owned(),
            root_id: root_id.clone(),
            policy_types,
        });
        (live.ous, live.accounts) =
            self.walk_tree(root_id, focus).await.map_err(|e| AwsError::call("discovering the OU tree", e))?;
        if focus.creations_possible(&live.accounts) {
            let (requests, quota) = tokio::join!(self.unfinished_requests(), self.account_quota());
            live.create_requests = requests.map_err(|e| AwsError::call("listing CreateAccount requests", e))?;
            live.account_quota = quota;
        }
        live.normalize();
        Ok(live)
    }

    /// The OU tree below the root with the tags of the OUs and accounts `focus` names. Each
    /// parent's children are listed, and each object's tags read, as soon as it is known, at
    /// most [`DISCOVERY_CONCURRENCY`] calls at a time.
    async fn walk_tree(
        &self,
        root_id: String,
        focus: &Focus,
    ) -> Result<(Vec<LiveOu>, Vec<LiveAccount>), ProviderError> {
        enum Found {
            Children(Level),
            OuTags(usize, Tags),
            AccountTags(usize, Tags),
        }
        let gate = Arc::new(Semaphore::new(DISCOVERY_CONCURRENCY));
        let mut tasks: JoinSet<Result<Found, ProviderError>> = JoinSet::new();
        let spawn_children = |tasks: &mut JoinSet<Result<Found, ProviderError>>, parent_id: String, path: OuPath| {
            let (aws, gate) = (self.clone(), Arc::clone(&gate));
            tasks.spawn(async move {
                let _permit = gate.acquire_owned().await;
                let (ous, accounts) = aws.children(&parent_id, &path).await?;
                Ok(Found::Children((path, ous, accounts)))
            });
        };
        let spawn_tags = |tasks: &mut JoinSet<Result<Found, ProviderError>>,
                          id: String,
                          found: fn(usize, Tags) -> Found,
                          index: usize| {
            let (aws, gate) = (self.clone(), Arc::clone(&gate));
            tasks.spawn(async move {
                let _permit = gate.acquire_owned().await;
                Ok(found(index, aws.tags_of(&id).await?))
            });
        };
        spawn_children(&mut tasks, root_id, OuPath::root());
        let (mut ous, mut accounts) = (Vec::new(), Vec::new());
        while let Some(joined) = tasks.join_next().await {
            match joined.map_err(|e| internal(&e.to_string()))?? {
                Found::Children((path, child_ous, child_accounts)) => {
                    for (id, name) in child_ous {
                        let child = path.child(&name);
                        if focus.ou_tags(&child) {
                            spawn_tags(&mut tasks, id.clone(), Found::OuTags, ous.len());
                        }
                        spawn_children(&mut tasks, id.clone(), child.clone());
                        ous.push(LiveOu { id, path: child, tags: Tags::new() });
                    }
                    for account in child_accounts {
                        if focus.account_tags(&account.email) {
                            spawn_tags(&mut tasks, account.id.clone(), Found::AccountTags, accounts.len());
                        }
                        accounts.push(account);
                    }
                }
                Found::OuTags(i, tags) => ous[i].tags = tags,
                Found::AccountTags(i, tags) => {
                    let account: &mut LiveAccount = &mut accounts[i];
                    account.tags = tags;
                }
            }
        }
        Ok((ous, accounts))
    }

    /// The id of the organization's root.
    async fn root_id(&self) -> Result<String, ProviderError> {
        Ok(self.root().await?.0)
    }

    /// The organization's root: its id and the policy types enabled on it (sorted), both from
    /// one ListRoots, so that the `policy-type` resources need no read of their own.
    async fn root(&self) -> Result<(String, Vec<String>), ProviderError> {
        let roots = paginate!(
            self,
            "organizations:ListRoots",
            |t| self.org.list_roots().set_next_token(t).send(),
            |p: &aws_sdk_organizations::operation::list_roots::ListRootsOutput| p
                .roots()
                .iter()
                .filter_map(|r| {
                    let enabled = r
                        .policy_types()
                        .iter()
                        .filter(|t| t.status() == Some(&PolicyTypeStatus::Enabled))
                        .filter_map(|t| t.r#type().map(|x| x.as_str().to_owned()));
                    Some((r.id()?.to_owned(), enabled.collect::<Vec<_>>()))
                })
                .collect::<Vec<_>>()
        )?;
        let (id, mut types) = roots.into_iter().next().ok_or_else(|| internal("the organization has no root"))?;
        types.sort();
        types.dedup();
        Ok((id, types))
    }

    /// Child OUs (id, name) and accounts of one parent.
    async fn children(
        &self,
        parent_id: &str,
        path: &OuPath,
    ) -> Result<(Vec<(String, String)>, Vec<LiveAccount>), ProviderError> {
        let ous = async {
            paginate!(
            self,
            "organizations:ListOrganizationalUnitsForParent",
            |t| self.org.list_organizational_units_for_parent().parent_id(parent_id).set_next_token(t).send(),
            |p: &aws_sdk_organizations::operation::list_organizational_units_for_parent::ListOrganizationalUnitsForParentOutput| p
                .organizational_units()
                .iter()
                .map(|o| (o.id().unwrap_or_default().to_owned(), o.name().unwrap_or_default().to_owned()))
                .collect::<Vec<_>>()
        )
        };
        let accounts = async {
            paginate!(
                self,
                "organizations:ListAccountsForParent",
                |t| self.org.list_accounts_for_parent().parent_id(parent_id).set_next_token(t).send(),
                |p: &aws_sdk_organizations::operation::list_accounts_for_parent::ListAccountsForParentOutput| p
                    .accounts()
                    .iter()
                    .map(|a| LiveAccount {
                        id: a.id().unwrap_or_default().to_owned(),
                        name: a.name().unwrap_or_default().to_owned(),
                        email: a.email().unwrap_or_default().to_owned(),
                        status: a.status().map_or("ACTIVE", |s| s.as_str()).into(),
                        parent: path.clone(),
                        tags: Tags::new(),
                    })
                    .collect::<Vec<_>>()
            )
        };
        // Both listings of a parent at once: the tree's depth costs one round trip per level.
        let (ous, accounts) = tokio::join!(ous, accounts);
        Ok((ous?, accounts?))
    }

    async fn tags_of(&self, resource_id: &str) -> Result<Tags, ProviderError> {
        let tags = paginate!(
            self,
            "organizations:ListTagsForResource",
            |t| self.org.list_tags_for_resource().resource_id(resource_id).set_next_token(t).send(),
            |p: &aws_sdk_organizations::operation::list_tags_for_resource::ListTagsForResourceOutput| p
                .tags()
                .iter()
                .map(|t| (t.key().to_owned(), t.value().to_owned()))
                .collect::<Vec<_>>()
        )?;
        Ok(tags.into_iter().collect())
    }

    async fn unfinished_requests(&self) -> Result<Vec<CreateRequest>, ProviderError> {
        paginate!(
            self,
            "organizations:ListCreateAccountStatus",
            |t| self
                .org
                .list_create_account_status()
                .states(CreateAccountState::InProgress)
                .states(CreateAccountState::Failed)
                .set_next_token(t)
                .send(),
            |p: &aws_sdk_organizations::operation::list_create_account_status::ListCreateAccountStatusOutput| p
                .create_account_statuses()
                .iter()
                .map(|s| CreateRequest {
                    id: s.id().unwrap_or_default().to_owned(),
                    account_name: s.account_name().unwrap_or_default().to_owned(),
                    state: s.state().map_or("", |x| x.as_str()).into(),
                    failure_reason: s.failure_reason().map(|r| r.as_str().to_owned()),
                })
                .collect::<Vec<_>>()
        )
    }

    /// The account quota from Service Quotas, or the configured fallback.
    async fn account_quota(&self) -> Option<u64> {
        let read = call(
            &self.retry,
            &self.limiter,
            &self.journal,
            &self.fence,
            "servicequotas:GetServiceQuota",
            Idempotency::Safe,
            || self.quotas.get_service_quota().service_code("organizations").quota_code(ACCOUNT_QUOTA_CODE).send(),
        )
        .await;
        match read {
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            Ok(out) => out.quota().and_then(aws_sdk_servicequotas::types::ServiceQuota::value).map(|v| v as u64),
            Err(e) => {
                tracing::debug!(error = %e, "account quota not readable; skipping the quota pre-flight check");
                None
            }
        }
    }
}

pub(crate) fn internal(msg: &str) -> ProviderError {
    ProviderError {
        operation: "internal".into(),
        code: None,
        message: msg.to_owned(),
        kind: groundwork_apply::ErrorKind::Rejected,
    }
}

#[async_trait]
impl Provider for Aws {
    async fn organization_ids(&self) -> Result<(String, String), ProviderError> {
        let out = call(
            &self.retry,
            &self.limiter,
            &self.journal,
            &self.fence,
            "organizations:DescribeOrganization",
            Idempotency::Safe,
            || self.org.describe_organization().send(),
        )
        .await?;
        let org = out.organization.ok_or_else(|| internal("DescribeOrganization returned no organization"))?;
        Ok((org.id().unwrap_or_default().to_owned(), org.master_account_id().unwrap_or_default().to_owned()))
    }

    async fn put_resource(
        &self,
        at: &groundwork_plan::Locator,
        spec: &serde_json::Value,
        live: Option<&serde_json::Value>,
        ids: &groundwork_plan::Ids,
    ) -> Result<String, ProviderError> {
        self.put(at, spec, live, ids).await
    }

    async fn delete_resource(
        &self,
        at: &groundwork_plan::Locator,
        live: &serde_json::Value,
        ids: &groundwork_plan::Ids,
    ) -> Result<String, ProviderError> {
        self.delete(at, live, ids).await
    }

    async fn create_organization(&self) -> Result<(String, String), ProviderError> {
        let created = call(
            &self.retry,
            &self.limiter,
            &self.journal,
            &self.fence,
            "organizations:CreateOrganization",
            Idempotency::Safe,
            || self.org.create_organization().feature_set(OrganizationFeatureSet::All).send(),
        )
        .await;
        match created {
            Ok(_) => {}
            Err(e) if e.code.as_deref() == Some("AlreadyInOrganizationException") => {}
            Err(e) => return Err(e),
        }
        let described = call(
            &self.retry,
            &self.limiter,
            &self.journal,
            &self.fence,
            "organizations:DescribeOrganization",
            Idempotency::Safe,
            || self.org.describe_organization().send(),
        )
        .await?;
        let email = described.organization().and_then(|o| o.master_account_email()).unwrap_or_default().to_owned();
        Ok((self.root_id().await?, email))
    }

    async fn delete_organization(&self) -> Result<(), ProviderError> {
        call(
            &self.retry,
            &self.limiter,
            &self.journal,
            &self.fence,
            "organizations:DeleteOrganization",
            Idempotency::Safe,
            || self.org.delete_organization().send(),
        )
        .await?;
        Ok(())
    }

    async fn account_email(&self, account_id: &str) -> Result<String, ProviderError> {
        let out = call(
            &self.retry,
            &self.limiter,
            &self.journal,
            &self.fence,
            "organizations:DescribeAccount",
            Idempotency::Safe,
            || self.org.describe_account().account_id(account_id).send(),
        )
        .await?;
        Ok(out.account().and_then(|a| a.email()).unwrap_or_default().to_owned())
    }

    async fn find_ou(&self, parent_id: &str, name: &str) -> Result<Option<String>, ProviderError> {
        let (ous, _) = self.children(parent_id, &OuPath::root()).await?;
        Ok(ous.into_iter().find(|(_, n)| n == name).map(|(id, _)| id))
    }

    async fn create_ou(&self, parent_id: &str, name: &str, tags: &Tags) -> Result<String, ProviderError> {
        let out = call(
            &self.retry,
            &self.limiter,
            &self.journal,
            &self.fence,
            "organizations:CreateOrganizationalUnit",
            Idempotency::CreatesNew,
            || {
                self.org
                    .create_organizational_unit()
                    .parent_id(parent_id)
                    .name(name)
                    .set_tags(Some(to_tags(tags)))
                    .send()
            },
        )
        .await?;
        Ok(out.organizational_unit().and_then(|o| o.id()).unwrap_or_default().to_owned())
    }

    async fn tag_resource(&self, resource_id: &str, tags: &Tags) -> Result<(), ProviderError> {
        if tags.is_empty() {
            return Ok(());
        }
        call(
            &self.retry,
            &self.limiter,
            &self.journal,
            &self.fence,
            "organizations:TagResource",
            Idempotency::Safe,
            || self.org.tag_resource().resource_id(resource_id).set_tags(Some(to_tags(tags))).send(),
        )
        .await?;
        Ok(())
    }

    async fn find_account(&self, email: &str) -> Result<Option<FoundAccount>, ProviderError> {
        let accounts = paginate!(
            self,
            "organizations:ListAccounts",
            |t| self.org.list_accounts().set_next_token(t).send(),
            |p: &aws_sdk_organizations::operation::list_accounts::ListAccountsOutput| p
                .accounts()
                .iter()
                .filter(|a| a.email().is_some_and(|e| e.eq_ignore_ascii_case(email)))
                .filter_map(|a| a.id().map(str::to_owned))
                .collect::<Vec<_>>()
        )?;
        let Some(id) = accounts.into_iter().next() else { return Ok(None) };
        let parents = call(
            &self.retry,
            &self.limiter,
            &self.journal,
            &self.fence,
            "organizations:ListParents",
            Idempotency::Safe,
            || self.org.list_parents().child_id(&id).send(),
        )
        .await?;
        let parent_id = parents.parents().first().and_then(|p| p.id()).unwrap_or_default().to_owned();
        Ok(Some(FoundAccount { id, parent_id }))
    }

    async fn find_create_request(&self, name: &str) -> Result<Option<String>, ProviderError> {
        let requests = self.unfinished_requests().await?;
        Ok(requests
            .into_iter()
            .find(|r| r.account_name == name && r.state == groundwork_plan::CreateRequestState::InProgress)
            .map(|r| r.id))
    }

    async fn create_account(&self, name: &str, email: &str, tags: &Tags) -> Result<String, ProviderError> {
        let out = call(
            &self.retry,
            &self.limiter,
            &self.journal,
            &self.fence,
            "organizations:CreateAccount",
            Idempotency::CreatesNew,
            // `RoleName`: the new account's access role is the one groundwork assumes and the
            // guardrails exempt (`organization.access_role`), not always AWS's default name.
            || {
                self.org
                    .create_account()
                    .account_name(name)
                    .email(email)
                    .role_name(self.access_role())
                    .set_tags(Some(to_tags(tags)))
                    .send()
            },
        )
        .await?;
        Ok(out.create_account_status().and_then(|s| s.id()).unwrap_or_default().to_owned())
    }

    async fn create_account_status(&self, request_id: &str) -> Result<CreateState, ProviderError> {
        let out = call(
            &self.retry,
            &self.limiter,
            &self.journal,
            &self.fence,
            "organizations:DescribeCreateAccountStatus",
            Idempotency::Safe,
            || self.org.describe_create_account_status().create_account_request_id(request_id).send(),
        )
        .await?;
        let status = out.create_account_status();
        Ok(match status.and_then(|s| s.state()) {
            Some(CreateAccountState::Succeeded) => {
                CreateState::Succeeded(status.and_then(|s| s.account_id()).unwrap_or_default().to_owned())
            }
            Some(CreateAccountState::Failed) => CreateState::Failed(
                status
                    .and_then(|s| s.failure_reason())
                    .map_or_else(|| "no reason given".to_owned(), |r| r.as_str().to_owned()),
            ),
            _ => CreateState::InProgress,
        })
    }

    async fn move_account(
        &self,
        account_id: &str,
        from_parent_id: &str,
        to_parent_id: &str,
    ) -> Result<(), ProviderError> {
        call(
            &self.retry,
            &self.limiter,
            &self.journal,
            &self.fence,
            "organizations:MoveAccount",
            Idempotency::Safe,
            || {
                self.org
                    .move_account()
                    .account_id(account_id)
                    .source_parent_id(from_parent_id)
                    .destination_parent_id(to_parent_id)
                    .send()
            },
        )
        .await?;
        Ok(())
    }
}
