//! An account assignment (`sso-assignment`): found through its group's assignments
//! (ListAccountAssignmentsForPrincipal, once per group and discovery), created with
//! CreateAccountAssignment and polled until it succeeds or fails (AWS's failure reason is
//! returned word for word), removed with DeleteAccountAssignment (with `--prune`).
//!
//! CreateAccountAssignment provisions the permission set to the account when it is not there
//! yet, so a new assignment needs no provisioning of its own.

use aws_sdk_ssoadmin::types::{PrincipalType, TargetType};
use groundwork_apply::ProviderError;
use groundwork_plan::kinds::sso_assignment::SsoAssignmentSpec;

use super::{region_of, rejected};
use crate::call::Idempotency;
use groundwork_plan::Locator;
use groundwork_plan::kinds::KindMeta;

use crate::resources::{Converge, ListCx, ReadCx, WriteCx};

#[async_trait::async_trait]
impl Converge for SsoAssignmentSpec {
    async fn read(cx: &ReadCx<'_>) -> Result<Option<Self>, ProviderError> {
        let region = region_of(cx.at)?;
        let Some(want) = SsoAssignmentSpec::parse(&cx.at.name) else {
            return Err(rejected("sso", format!("{} is not an assignment's name", cx.at.name)));
        };
        let view = cx.aws.sso_view(&cx.shared.sso, cx.clients, region).await?;
        let Some(arn) = view.set_arn(&want.permission_set) else { return Ok(None) };
        let sso = cx.clients.sso(region);
        let Some(group) = cx.aws.sso_cached_group_id(&view, &sso, &want.group).await? else { return Ok(None) };
        let found = cx.aws.sso_cached_assignments(&view, &sso, &group).await?;
        Ok(found.iter().any(|(account, set)| *account == want.account_id && set == arn).then_some(want))
    }

    /// Every assignment of every group of the identity store to a permission set (for import).
    async fn list(cx: &ListCx<'_>) -> Result<Vec<(Locator, Self)>, ProviderError> {
        let Some((region, view)) = cx.aws.sso_import_view(&cx.shared.sso, cx.clients).await? else {
            return Ok(Vec::new());
        };
        let sso = cx.clients.sso(&region);
        let mut out = Vec::new();
        for (group, id, _) in cx.aws.sso_groups(&sso, &view.instance.store).await? {
            for (account, arn) in cx.aws.sso_cached_assignments(&view, &sso, &id).await?.iter() {
                let Some(set) = view.set_name(arn) else { continue };
                let spec = SsoAssignmentSpec {
                    permission_set: set.to_owned(),
                    group: group.clone(),
                    account_id: account.clone(),
                };
                out.push((Locator::regional(Self::KIND, None, region.clone(), spec.name()), spec));
            }
        }
        Ok(out)
    }

    async fn put(&self, cx: &WriteCx<'_>, live: Option<&Self>) -> Result<String, ProviderError> {
        if live.is_some() {
            return Ok("already as the blueprint says".into());
        }
        let region = region_of(cx.at)?;
        let sso = cx.clients.sso(region);
        let a = &sso.admin;
        let instance = cx.aws.sso_instance(&sso, region).await?;
        let i = instance.arn.as_str();
        let sets = cx.aws.sso_sets(&sso, &instance).await?;
        let arn = sets.get(&self.permission_set).and_then(|arns| arns.first()).ok_or_else(|| {
            rejected("sso:CreateAccountAssignment", format!("permission set {} is not found", self.permission_set))
        })?;
        let group = cx.aws.sso_group_id(&sso, &instance.store, &self.group).await?.ok_or_else(|| {
            rejected("sso:CreateAccountAssignment", format!("group {} is not in the identity store", self.group))
        })?;
        let account = self.account_id.as_str();
        let exists = || async {
            let found = cx.aws.sso_group_assignments(&sso, &instance, &group).await?;
            Ok(found.iter().any(|(acc, set)| acc == account && set == arn))
        };
        let created = cx
            .aws
            .run_settled(
                "sso:CreateAccountAssignment",
                || {
                    a.create_account_assignment()
                        .instance_arn(i)
                        .target_id(account)
                        .target_type(TargetType::AwsAccount)
                        .permission_set_arn(arn)
                        .principal_type(PrincipalType::Group)
                        .principal_id(&group)
                        .send()
                },
                exists,
            )
            .await?;
        let Some(out) = created else { return Ok("assigned (an earlier attempt went through)".into()) };
        let status = out.account_assignment_creation_status();
        let request = status.and_then(|s| s.request_id()).unwrap_or_default().to_owned();
        let mut first = Some((
            status.and_then(|s| s.status().cloned()),
            status.and_then(|s| s.failure_reason().map(str::to_owned)),
        ));
        cx.aws
            .sso_wait("sso:CreateAccountAssignment", &request, || {
                let now = first.take();
                let request = request.clone();
                async move {
                    if let Some(now) = now {
                        return Ok(now);
                    }
                    let out = cx
                        .aws
                        .run("sso:DescribeAccountAssignmentCreationStatus", Idempotency::Safe, || {
                            a.describe_account_assignment_creation_status()
                                .instance_arn(i)
                                .account_assignment_creation_request_id(&request)
                                .send()
                        })
                        .await?;
                    let s = out.account_assignment_creation_status();
                    Ok((s.and_then(|s| s.status().cloned()), s.and_then(|s| s.failure_reason().map(str::to_owned))))
                }
            })
            .await?;
        Ok(format!("assigned {} to group {} in {account}", self.permission_set, self.group))
    }

    async fn delete(cx: &WriteCx<'_>, live: &Self) -> Result<String, ProviderError> {
        let region = region_of(cx.at)?;
        let sso = cx.clients.sso(region);
        let instance = cx.aws.sso_instance(&sso, region).await?;
        let sets = cx.aws.sso_sets(&sso, &instance).await?;
        let Some(arn) = sets.get(&live.permission_set).and_then(|arns| arns.first()) else {
            return Ok(format!("permission set {} is already gone", live.permission_set));
        };
        let Some(group) = cx.aws.sso_group_id(&sso, &instance.store, &live.group).await? else {
            return Ok(format!("group {} is already gone", live.group));
        };
        cx.aws.sso_unassign(&sso, &instance.arn, arn, &live.account_id, PrincipalType::Group, &group).await?;
        Ok(format!("removed {} from group {} in {}", live.permission_set, live.group, live.account_id))
    }
}
