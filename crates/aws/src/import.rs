//! Reading an organization for `groundwork import` (read-only), through discovery: each kind's
//! [`Converge::list`](crate::resources::Converge) lists its live resources in the accounts
//! import looks at, read by the same code discovery reads them with (the bulk IAM read for the
//! IAM kinds), and the result is a [`Live`] keyed as discovery keys a blueprint's resources
//! ([`address_of`]). What import needs beyond that is a filter over what was listed: the roles
//! that trust the hub or EC2, the trails of other regions.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::sync::Arc;

use groundwork_apply::ProviderError;
use groundwork_plan::import::{Found, address_of, import_ids, written_accounts};
use groundwork_plan::kinds::role::RoleSpec;
use groundwork_plan::{Kind, Live, LiveResource, Locator};
use serde_json::Value;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::resources::iam::snapshot::{AccountIam, IamWants};
use crate::resources::{ListCx, Shared};
use crate::{Aws, AwsError};
use groundwork_plan::kinds::Spec;

mod alerts;

/// Accounts read at once.
const ACCOUNT_CONCURRENCY: usize = 8;
/// The EC2 service principal.
const EC2_PRINCIPAL: &str = "ec2.amazonaws.com";
/// The kinds listed for the organization (in the management account).
const ORGANIZATION_KINDS: [Kind; 10] = [
    Kind::ServiceAccess,
    Kind::PolicyType,
    Kind::Scp,
    Kind::ScpAttachment,
    Kind::OrgPolicy,
    Kind::OrgPolicyAttachment,
    Kind::Trail,
    Kind::SsoGroup,
    Kind::PermissionSet,
    Kind::SsoAssignment,
];
/// The kinds listed in the log-archive account.
const LOG_ARCHIVE_KINDS: [Kind; 2] = [Kind::Bucket, Kind::KmsKey];
/// The kinds listed in the identity hub.
const HUB_KINDS: [Kind; 4] = [Kind::PasswordPolicy, Kind::ManagedPolicy, Kind::Group, Kind::User];
/// The kinds listed in every member account written.
const MEMBER_KINDS: [Kind; 2] = [Kind::Role, Kind::InstanceProfile];
/// The account baseline's kinds, listed in the management account and every member account
/// written (EBS encryption in the home region only).
const BASELINE_KINDS: [Kind; 4] =
    [Kind::PasswordPolicy, Kind::Role, Kind::AccountPublicAccessBlock, Kind::EbsEncryption];

/// Pages of an IAM list call (IAM pages with a marker). `page` maps the marker to the page's
/// items and the next marker. Stops when a marker repeats.
pub(crate) async fn pages<T, F, Fut>(mut page: F) -> Result<Vec<T>, ProviderError>
where
    F: FnMut(Option<String>) -> Fut,
    Fut: Future<Output = Result<(Vec<T>, Option<String>), ProviderError>>,
{
    let mut out = Vec::new();
    let mut marker = None;
    let mut seen = HashSet::new();
    loop {
        let (items, next) = page(marker.clone()).await?;
        out.extend(items);
        match next {
            Some(n) if !n.is_empty() && seen.insert(n.clone()) => marker = Some(n),
            _ => return Ok(out),
        }
    }
}

/// The principals of a policy's statements under `key` (`AWS`, `Service`).
fn principals(doc: &Value, key: &str) -> Vec<String> {
    let statements = match &doc["Statement"] {
        Value::Array(a) => a.clone(),
        other => vec![other.clone()],
    };
    statements
        .iter()
        .flat_map(|s| match &s["Principal"][key] {
            Value::String(p) => vec![p.clone()],
            Value::Array(a) => a.iter().filter_map(|p| p.as_str().map(str::to_owned)).collect(),
            _ => Vec::new(),
        })
        .collect()
}

/// Whether a role is a candidate: not AWS's or groundwork's way in, and trusting the hub's root
/// or EC2.
fn candidate(name: &str, path: &str, trust: &Value, hub: Option<&str>, access_role: &str) -> bool {
    if name == access_role || name.starts_with("AWSServiceRoleFor") || path.starts_with("/aws-") {
        return false;
    }
    let hub_trusted =
        hub.is_some_and(|h| principals(trust, "AWS").iter().any(|p| *p == format!("arn:aws:iam::{h}:root") || p == h));
    hub_trusted || principals(trust, "Service").iter().any(|p| p == EC2_PRINCIPAL)
}

/// What the kinds of one account listed.
type Listed = Vec<(Locator, Value)>;

/// One account to list kinds in: its id, its name in addresses (`None`: the management
/// account), the kinds, and what to call it when it cannot be read (`None`: an error).
struct Listing {
    id: String,
    label: Option<String>,
    kinds: Vec<Kind>,
    problem: Option<String>,
}

impl Aws {
    /// Reads what `groundwork import` writes a blueprint from, given the organization `live`
    /// (from [`Aws::discover`]), the hub's account id and the log-archive account's id. Read-only.
    /// What cannot be read in a member account (its access role refused, say) is a problem noted
    /// in [`Found::problems`], not an error.
    pub async fn read_for_import(
        &self,
        mut live: Live,
        hub: Option<&str>,
        log_archive: Option<&str>,
    ) -> Result<Found, AwsError> {
        let Some(org) = live.organization.clone() else {
            return Err(AwsError::call(
                "reading the organization",
                crate::organizations::internal("the caller's account is in no organization"),
            ));
        };
        let management = org.management_account_id.clone();
        let ids = import_ids(&live);
        let label = |id: &str| -> Option<String> {
            (id != management).then(|| ids.accounts.iter().find(|(_, v)| *v == id).map(|(k, _)| k.clone())).flatten()
        };
        // Where each kind is listed.
        let mut listings: Vec<Listing> =
            vec![Listing { id: management.clone(), label: None, kinds: ORGANIZATION_KINDS.to_vec(), problem: None }];
        let mut add = |id: &str, kinds: &[Kind], problem: Option<String>| {
            match listings.iter_mut().find(|l| l.id == id) {
                Some(l) => {
                    let new: Vec<Kind> = kinds.iter().copied().filter(|k| !l.kinds.contains(k)).collect();
                    l.kinds.extend(new);
                    // An account that must be read stays so.
                    if problem.is_none() {
                        l.problem = None;
                    }
                }
                None => listings.push(Listing { id: id.to_owned(), label: label(id), kinds: kinds.to_vec(), problem }),
            }
        };
        if let Some(log) = log_archive {
            add(log, &LOG_ARCHIVE_KINDS, Some(format!("account {log}")));
        }
        if let Some(hub) = hub {
            add(hub, &HUB_KINDS, None);
        }
        for a in written_accounts(&live) {
            add(&a.id, &MEMBER_KINDS, Some(format!("roles of account {} ({})", a.name, a.id)));
            add(&a.id, &BASELINE_KINDS, Some(format!("the baseline of account {} ({})", a.name, a.id)));
        }
        add(&management, &BASELINE_KINDS, None);
        // What every lister shares: the SCPs (AWS's own left out), the aliases of the
        // log-archive account's keys.
        let listed = self.list_scps().await.map_err(|e| AwsError::call("listing service control policies", e))?;
        let scps: HashMap<String, String> =
            listed.into_iter().filter(|s| !s.aws_managed).map(|s| (s.name, s.id)).collect();
        // Tag and AI-services opt-out policies: listed per type enabled on the root (a policy
        // of a type not enabled cannot be attached, so there is nothing to import).
        let mut org_policies = HashMap::new();
        for t in groundwork_blueprint::org_policies::OrgPolicyType::ALL {
            if !org.policy_types.iter().any(|e| e == t.api_name()) {
                continue;
            }
            let listed = self
                .list_policies_of(aws_sdk_organizations::types::PolicyType::from(t.api_name()))
                .await
                .map_err(|e| AwsError::call("listing organization policies", e))?;
            org_policies.extend(listed.into_iter().filter(|s| !s.aws_managed).map(|s| (s.name, (*t, s.id))));
        }
        let mut found = Found {
            scp_ids: scps
                .iter()
                .map(|(n, i)| (n.clone(), i.clone()))
                .chain(org_policies.iter().map(|(n, (_, i))| (n.clone(), i.clone())))
                .collect(),
            ..Found::default()
        };
        let mut key_accounts = Vec::new();
        if let Some(log) = log_archive {
            match self.account(log, &management).await {
                Ok(c) => key_accounts.push(c),
                Err(e) => found.problems.push(format!("account {log}: {e}")),
            }
        }
        let key_aliases = match self.key_aliases(&key_accounts).await {
            Ok(k) => k,
            Err(e) => {
                found.problems.push(format!("KMS aliases of account {}: {e}", log_archive.unwrap_or_default()));
                crate::resources::KeyAliases::default()
            }
        };
        let ou_paths = live.ous.iter().map(|o| (o.id.clone(), o.path.to_string())).collect();
        let shared = Arc::new(Shared {
            ids: ids.clone(),
            scps,
            org_policies,
            ou_paths,
            policy_types: org.policy_types.clone(),
            key_aliases,
            bucket_lists: crate::resources::BucketLists::default(),
            sso: crate::resources::sso::SsoCache::default(),
            alerts: crate::resources::alerts::AlertsCache::default(),
        });
        let gate = Arc::new(Semaphore::new(ACCOUNT_CONCURRENCY));
        let mut tasks: JoinSet<(Listing, Result<Listed, ProviderError>)> = JoinSet::new();
        for listing in listings {
            let (aws, gate, shared, management) =
                (self.clone(), Arc::clone(&gate), Arc::clone(&shared), management.clone());
            tasks.spawn(async move {
                let _permit = gate.acquire_owned().await;
                let listed = aws.list_account(&listing, &management, &shared).await;
                (listing, listed)
            });
        }
        let hub_root = hub.map(str::to_owned);
        while let Some(joined) = tasks.join_next().await {
            let (listing, listed) = joined
                .map_err(|e| AwsError::call("reading for import", crate::organizations::internal(&e.to_string())))?;
            let listed = match (listed, listing.problem) {
                (Ok(l), _) => l,
                (Err(e), Some(what)) => {
                    found.problems.push(format!("{what}: {e}"));
                    continue;
                }
                (Err(e), None) => return Err(AwsError::call("reading the organization for import", e)),
            };
            for (at, spec) in listed {
                // Roles import looks at: those that trust the hub or EC2, and the alerts' own.
                if at.kind == Kind::Role
                    && !groundwork_plan::kinds::slack::ALERTS_ROLES.contains(&at.name.as_str())
                    && !RoleSpec::from_value(&spec)
                        .is_ok_and(|r| candidate(&at.name, &r.path, &r.trust, hub_root.as_deref(), self.access_role()))
                {
                    continue;
                }
                // A trail of another region is a fact, not a resource of the blueprint.
                if at.kind == Kind::Trail
                    && let Some(region) = &at.region
                {
                    found.other_trails.push((at.name.clone(), region.clone()));
                    continue;
                }
                if let Some(address) = address_of(&at, &spec, &ids) {
                    live.resources.insert(address, LiveResource { at, spec });
                }
            }
        }
        // What the first pass decides: IAM's organization features once IAM has trusted access,
        // and the budgets of the accounts `sandbox-limits` is attached to (so an organization
        // without either costs no read more).
        for listing in second_pass(&live, &management, &ids) {
            match self.list_account(&listing, &management, &shared).await {
                Ok(listed) => {
                    for (at, spec) in listed {
                        if let Some(address) = address_of(&at, &spec, &ids) {
                            live.resources.insert(address, LiveResource { at, spec });
                        }
                    }
                }
                Err(e) => found.problems.push(format!("{}: {e}", listing.problem.unwrap_or_default())),
            }
        }
        // The alerts, when the trail delivers to a log group.
        self.read_alerts(&mut live, &management, &ids, &shared, &mut found).await;
        found.other_trails.sort();
        found.problems.sort();
        // An account that cannot be reached is said once.
        found.problems.dedup();
        found.live = live;
        Ok(found)
    }

    /// The kinds of one account, each through its [`Converge::list`](crate::resources::Converge),
    /// sharing one bulk IAM read.
    async fn list_account(
        &self,
        listing: &Listing,
        management: &str,
        shared: &Shared,
    ) -> Result<Listed, ProviderError> {
        let clients = self.account(&listing.id, management).await?;
        let mut wants = IamWants::default();
        let iam = listing.kinds.iter().fold(false, |any, k| wants.add(*k) | any).then(|| AccountIam::new(wants));
        let cx = ListCx { aws: self, account: listing.label.as_deref(), clients: &clients, shared, iam: iam.as_ref() };
        let mut out = Vec::new();
        for kind in &listing.kinds {
            out.extend(Box::pin(self.list_kind(*kind, &cx)).await?);
        }
        Ok(out)
    }
}

/// The listings that depend on what the first pass found: IAM's organization features in the
/// management account when IAM has trusted access, and groundwork's sandbox budget in each
/// account `sandbox-limits` is attached to.
fn second_pass(live: &Live, management: &str, ids: &groundwork_plan::Ids) -> Vec<Listing> {
    use groundwork_plan::kinds::root_access::IAM_PRINCIPAL;
    let mut out = Vec::new();
    if live.resources.contains_key(&groundwork_plan::Address::service_access(IAM_PRINCIPAL)) {
        out.push(Listing {
            id: management.to_owned(),
            label: None,
            kinds: vec![Kind::RootAccess],
            problem: Some("IAM's organization features".into()),
        });
    }
    let sandboxes = live.resources.values().filter(|r| {
        r.at.kind == Kind::ScpAttachment && r.spec["policy"] == groundwork_blueprint::sandbox::SANDBOX_LIMITS
    });
    for r in sandboxes {
        let Some(name) = r.spec["target"].as_str().and_then(|t| t.strip_prefix("account:")) else { continue };
        if let Some(id) = ids.accounts.get(name).filter(|_| !name.starts_with('#')) {
            out.push(Listing {
                id: id.clone(),
                label: Some(name.to_owned()),
                kinds: vec![Kind::Budget],
                problem: Some(format!("the sandbox budget of account {name}")),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn candidates_trust_the_hub_root_or_ec2_and_are_not_aws_or_groundwork_roles() {
        let hub = json!({ "Statement": [{ "Effect": "Allow", "Principal": { "AWS": "arn:aws:iam::222222222222:root" }, "Action": "sts:AssumeRole" }] });
        let ec2 = json!({ "Statement": { "Effect": "Allow", "Principal": { "Service": ["ec2.amazonaws.com"] }, "Action": "sts:AssumeRole" } });
        let other = json!({ "Statement": [{ "Effect": "Allow", "Principal": { "AWS": "arn:aws:iam::999999999999:root" }, "Action": "sts:AssumeRole" }] });
        let hub_id = Some("222222222222");
        assert!(candidate("admin", "/", &hub, hub_id, "OrganizationAccountAccessRole"));
        assert!(!candidate("admin", "/", &hub, None, "OrganizationAccountAccessRole"));
        assert!(candidate("app", "/", &ec2, None, "OrganizationAccountAccessRole"));
        assert!(!candidate("x", "/", &other, hub_id, "OrganizationAccountAccessRole"));
        assert!(!candidate("OrganizationAccountAccessRole", "/", &hub, hub_id, "OrganizationAccountAccessRole"));
        assert!(!candidate("Ops", "/", &hub, hub_id, "Ops"));
        assert!(!candidate("AWSServiceRoleForSupport", "/aws-service-role/support.amazonaws.com/", &ec2, hub_id, "X"));
    }
}
