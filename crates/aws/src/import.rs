//! Reading an organization for `groundwork import` (read-only): its service control policies
//! with their targets, the organization trail and its bucket, the identity hub's IAM, and the
//! roles of member accounts that trust the hub or EC2. Everything is read with the same readers
//! discovery uses, so the specs have the shapes the planner compares.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::future::Future;
use std::sync::Arc;

use aws_sdk_organizations::types::{PolicyType, TargetType};
use groundwork_apply::ProviderError;
use groundwork_plan::import::{Found, FoundBucket, FoundHub, FoundKey, FoundRole, FoundScp, FoundTarget, FoundTrail};
use groundwork_plan::{CLOUDTRAIL_PRINCIPAL, FORCE_MFA_POLICY, Live, SCP_TYPE};
use serde_json::Value;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::accounts::AccountClients;
use crate::call::Idempotency;
use crate::organizations::paginate;
use crate::resources::parse_document;
use crate::{Aws, AwsError};
use groundwork_plan::kinds::Spec;
use groundwork_plan::kinds::trail::TrailSpec;

/// Member accounts read at once.
const ACCOUNT_CONCURRENCY: usize = 8;
/// The EC2 service principal.
const EC2_PRINCIPAL: &str = "ec2.amazonaws.com";

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

impl Aws {
    /// Reads what `groundwork import` writes a blueprint from, given the organization `live`
    /// (from [`Aws::discover`]), the hub's account id and the log-archive account's id. Read-only.
    /// What cannot be read in a member account (its access role refused, say) is a problem noted
    /// in [`Found::problems`], not an error.
    pub async fn read_for_import(
        &self,
        live: Live,
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
        let mut found = Found { live, ..Found::default() };
        let (scps, access) = tokio::join!(self.scps_for_import(), self.read_service_access(CLOUDTRAIL_PRINCIPAL));
        found.scps = scps.map_err(|e| AwsError::call("reading service control policies", e))?;
        // Discovery's ListRoots returned the root's policy types.
        found.scp_policy_type = org.policy_types.iter().any(|t| t == SCP_TYPE);
        if access.map_err(|e| AwsError::call("reading trusted service access", e))?.is_some() {
            found.service_access.push(CLOUDTRAIL_PRINCIPAL.to_owned());
        }
        let home = self
            .account(&management, &management)
            .await
            .map_err(|e| AwsError::call("reading the management account", e))?;
        found.org_trails =
            self.org_trails(&home).await.map_err(|e| AwsError::call("reading the organization trail", e))?;
        let region = self.home_region();
        if let (Some(trail), Some(log)) = (found.org_trails.iter().find(|t| t.home_region == region), log_archive) {
            let name = TrailSpec::from_value(&trail.spec).map(|t| t.s3_bucket).unwrap_or_default();
            match self.account(log, &management).await {
                Ok(c) => match Box::pin(self.read_bucket_spec(&c.s3, &c.id, &name)).await {
                    Ok(bucket) => {
                        let target =
                            bucket.as_ref().and_then(|b| b.access_logging.as_ref()).map(|l| l.target_bucket.clone());
                        // A key named by an alias of the log-archive account (groundwork's archive key).
                        let alias = bucket
                            .as_ref()
                            .and_then(|b| b.encryption.as_ref()?.kms_key_id.as_deref())
                            .filter(|k| k.starts_with("arn:aws:kms:") && k.contains(&format!(":{log}:alias/")))
                            .and_then(|k| k.split_once(":alias/"))
                            .map(|(_, name)| format!("alias/{name}"));
                        if let Some(alias) = alias {
                            match Box::pin(self.key_by_alias(&c, &alias)).await {
                                Ok(Some(key)) => {
                                    found.kms_key =
                                        Some(FoundKey { account_id: log.to_owned(), alias, spec: key.to_value() });
                                }
                                Ok(None) => {}
                                Err(e) => found.problems.push(format!("KMS key {alias} in account {log}: {e}")),
                            }
                        }
                        let spec = bucket.map(|b| b.to_value());
                        found.bucket = Some(FoundBucket { account_id: log.to_owned(), name, spec });
                        if let Some(target) = target {
                            match Box::pin(self.read_bucket_spec(&c.s3, &c.id, &target)).await {
                                Ok(spec) => {
                                    let spec = spec.map(|b| b.to_value());
                                    found.access_bucket =
                                        Some(FoundBucket { account_id: log.to_owned(), name: target, spec });
                                }
                                Err(e) => found.problems.push(format!("bucket {target} in account {log}: {e}")),
                            }
                        }
                    }
                    Err(e) => found.problems.push(format!("bucket {name} in account {log}: {e}")),
                },
                Err(e) => found.problems.push(format!("account {log}: {e}")),
            }
        }
        if let Some(hub) = hub {
            let c = self.account(hub, &management).await.map_err(|e| AwsError::call("reaching the identity hub", e))?;
            found.hub = Some(self.hub_for_import(&c).await.map_err(|e| AwsError::call("reading the identity hub", e))?);
        }
        self.roles_for_import(&mut found, hub).await;
        Ok(found)
    }

    /// Every SCP with its description, document, groundwork tags and targets.
    async fn scps_for_import(&self) -> Result<Vec<FoundScp>, ProviderError> {
        let list = paginate!(
            self,
            "organizations:ListPolicies",
            |t| self.org.list_policies().filter(PolicyType::ServiceControlPolicy).set_next_token(t).send(),
            |p: &aws_sdk_organizations::operation::list_policies::ListPoliciesOutput| p
                .policies()
                .iter()
                .filter_map(|s| Some((s.name()?.to_owned(), s.id()?.to_owned(), s.aws_managed())))
                .collect::<Vec<_>>()
        )?;
        let mut out = Vec::new();
        for (name, id, aws_managed) in list {
            if aws_managed {
                out.push(FoundScp { id, name, aws_managed, spec: Value::Null, targets: Vec::new() });
                continue;
            }
            let spec = self.read_scp(&id).await?.to_value();
            let targets = paginate!(
                self,
                "organizations:ListTargetsForPolicy",
                |t| self.org.list_targets_for_policy().policy_id(&id).set_next_token(t).send(),
                |p: &aws_sdk_organizations::operation::list_targets_for_policy::ListTargetsForPolicyOutput| p
                    .targets()
                    .iter()
                    .filter_map(|t| {
                        let target = t.target_id()?.to_owned();
                        match t.r#type()? {
                            TargetType::Root => Some(FoundTarget::Root(target)),
                            TargetType::OrganizationalUnit => Some(FoundTarget::Ou(target)),
                            TargetType::Account => Some(FoundTarget::Account(target)),
                            _ => None,
                        }
                    })
                    .collect::<Vec<_>>()
            )?;
            out.push(FoundScp { id, name, aws_managed, spec, targets });
        }
        Ok(out)
    }

    /// Organization trails visible from the management account's home region; the spec is read
    /// only for those that live there.
    async fn org_trails(&self, c: &AccountClients) -> Result<Vec<FoundTrail>, ProviderError> {
        let out = self
            .run("cloudtrail:DescribeTrails", Idempotency::Safe, || {
                c.cloudtrail.describe_trails().include_shadow_trails(true).send()
            })
            .await?;
        let region = self.home_region();
        let mut trails = Vec::new();
        for t in out.trail_list() {
            let (Some(name), true) = (t.name(), t.is_organization_trail().unwrap_or(false)) else { continue };
            let home_region = t.home_region().unwrap_or(&region).to_owned();
            let spec = if home_region == region {
                self.read_trail(c, name).await?.map_or(Value::Null, |t| t.to_value())
            } else {
                Value::Null
            };
            trails.push(FoundTrail { name: name.to_owned(), home_region, spec });
        }
        trails.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(trails)
    }

    /// The hub's password policy, the ForceMFA policy, every group and every user.
    async fn hub_for_import(&self, c: &AccountClients) -> Result<FoundHub, ProviderError> {
        let iam = &c.iam;
        let group_names = pages(|marker| async move {
            let out = self
                .run("iam:ListGroups", Idempotency::Safe, || iam.list_groups().set_marker(marker.clone()).send())
                .await?;
            let next = if out.is_truncated() { out.marker().map(str::to_owned) } else { None };
            Ok((out.groups().iter().map(|g| g.group_name().to_owned()).collect::<Vec<_>>(), next))
        })
        .await?;
        let user_names = pages(|marker| async move {
            let out = self
                .run("iam:ListUsers", Idempotency::Safe, || iam.list_users().set_marker(marker.clone()).send())
                .await?;
            let next = if out.is_truncated() { out.marker().map(str::to_owned) } else { None };
            Ok((out.users().iter().map(|u| u.user_name().to_owned()).collect::<Vec<_>>(), next))
        })
        .await?;
        let mut hub = FoundHub {
            account_id: c.id.clone(),
            password_policy: self.read_password_policy(c).await?.map(|p| p.to_value()),
            force_mfa: self.read_managed_policy(c, FORCE_MFA_POLICY).await?.map(|p| p.to_value()),
            groups: BTreeMap::new(),
            users: BTreeMap::new(),
        };
        for g in group_names {
            if let Some(spec) = self.read_group(c, &g).await? {
                hub.groups.insert(g, spec.to_value());
            }
        }
        for u in user_names {
            if let Some(spec) = Box::pin(self.read_user(c, &u)).await? {
                hub.users.insert(u, spec.to_value());
            }
        }
        Ok(hub)
    }

    /// The roles of one account that trust the hub or EC2, with their instance profiles.
    async fn account_roles(&self, c: &AccountClients, hub: Option<&str>) -> Result<Vec<FoundRole>, ProviderError> {
        let iam = &c.iam;
        let listed = pages(|marker| async move {
            let out = self
                .run("iam:ListRoles", Idempotency::Safe, || iam.list_roles().set_marker(marker.clone()).send())
                .await?;
            let next = if out.is_truncated() { out.marker().map(str::to_owned) } else { None };
            let roles = out
                .roles()
                .iter()
                .map(|r| {
                    (r.role_name().to_owned(), r.path().to_owned(), r.assume_role_policy_document().map(str::to_owned))
                })
                .collect::<Vec<_>>();
            Ok((roles, next))
        })
        .await?;
        let mut out = Vec::new();
        for (name, path, trust) in listed {
            let trust = parse_document("iam:ListRoles", trust.as_deref().unwrap_or("{}"))?;
            if !candidate(&name, &path, &trust, hub, self.access_role()) {
                continue;
            }
            let Some(spec) = self.read_role(c, &name).await? else { continue };
            let instance_profile = if principals(&trust, "Service").iter().any(|p| p == EC2_PRINCIPAL) {
                self.read_instance_profile(c, &name).await?
            } else {
                None
            };
            let (spec, instance_profile) = (spec.to_value(), instance_profile.map(|p| p.to_value()));
            out.push(FoundRole { account_id: c.id.clone(), name, spec, instance_profile });
        }
        Ok(out)
    }

    /// Candidate roles of every active member account, a few accounts at a time.
    async fn roles_for_import(&self, found: &mut Found, hub: Option<&str>) {
        let Some(org) = &found.live.organization else { return };
        let management = org.management_account_id.clone();
        let gate = Arc::new(Semaphore::new(ACCOUNT_CONCURRENCY));
        let mut tasks: JoinSet<(String, Result<Vec<FoundRole>, ProviderError>)> = JoinSet::new();
        let names: HashMap<String, String> =
            found.live.accounts.iter().map(|a| (a.id.clone(), a.name.clone())).collect();
        for a in found
            .live
            .accounts
            .iter()
            .filter(|a| a.id != management && a.status == groundwork_plan::AccountStatus::Active)
        {
            let (aws, gate, id, management, hub) =
                (self.clone(), Arc::clone(&gate), a.id.clone(), management.clone(), hub.map(str::to_owned));
            tasks.spawn(async move {
                let _permit = gate.acquire_owned().await;
                let roles = match aws.account(&id, &management).await {
                    Ok(c) => aws.account_roles(&c, hub.as_deref()).await,
                    Err(e) => Err(e),
                };
                (id, roles)
            });
        }
        while let Some(joined) = tasks.join_next().await {
            match joined {
                Ok((_, Ok(roles))) => found.roles.extend(roles),
                Ok((id, Err(e))) => found
                    .problems
                    .push(format!("roles of account {} ({id}): {e}", names.get(&id).map_or("?", String::as_str))),
                Err(e) => found.problems.push(format!("roles of an account: {e}")),
            }
        }
        found.roles.sort_by(|a, b| (&a.account_id, &a.name).cmp(&(&b.account_id, &b.name)));
        found.problems.sort();
    }
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
