//! The reads behind `groundwork import`'s guesses (read-only): the organization trails and
//! their home regions, which member account holds a bucket, which accounts member roles trust,
//! and whether an account's IAM users are in groups. The choices are made by the caller (see
//! `groundwork_plan::import::guess`); these only read.

use groundwork_apply::ProviderError;
use groundwork_plan::import::guess::Trust;
use serde_json::Value;

use crate::call::Idempotency;
use crate::import::pages;
use crate::resources::parse_document;
use crate::{Aws, AwsError};

/// Items per IAM page (IAM's maximum).
const MAX_ITEMS: i32 = 1000;

/// An organization trail as DescribeTrails shows it from any region (shadow trails included).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgTrail {
    /// Its name.
    pub name: String,
    /// The region it lives in.
    pub home_region: String,
    /// The bucket it delivers to.
    pub bucket: String,
}

/// An account's IAM users that are members of groups.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GroupedUsers {
    /// Users in at least one group.
    pub users: usize,
    /// Groups with at least one user.
    pub groups: usize,
}

impl Aws {
    /// The organization trails visible from the management account (one DescribeTrails with
    /// shadow trails: a multi-region trail shows from every region), sorted by name.
    pub async fn organization_trails(&self, management: &str) -> Result<Vec<OrgTrail>, AwsError> {
        let c = self.account(management, management).await.map_err(|e| AwsError::call("the management account", e))?;
        let out = self
            .run("cloudtrail:DescribeTrails", Idempotency::Safe, || {
                c.cloudtrail.describe_trails().include_shadow_trails(true).send()
            })
            .await
            .map_err(|e| AwsError::call("listing the organization trails", e))?;
        let mut trails: Vec<OrgTrail> = out
            .trail_list()
            .iter()
            .filter(|t| t.is_organization_trail().unwrap_or(false))
            .filter_map(|t| {
                Some(OrgTrail {
                    name: t.name()?.to_owned(),
                    home_region: t.home_region()?.to_owned(),
                    bucket: t.s3_bucket_name().unwrap_or_default().to_owned(),
                })
            })
            .collect();
        trails.sort_by(|a, b| a.name.cmp(&b.name).then(a.home_region.cmp(&b.home_region)));
        trails.dedup();
        Ok(trails)
    }

    /// The first of `accounts` (ids, in the order given) whose bucket listing (one ListBuckets
    /// each) holds `bucket`. An account that cannot be read is skipped.
    pub async fn bucket_owner(&self, bucket: &str, accounts: &[&str], management: &str) -> Option<String> {
        for id in accounts {
            let Ok(c) = self.account(id, management).await else { continue };
            let listed =
                self.run("s3:ListBuckets", Idempotency::Safe, || c.s3.list_buckets().prefix(bucket).send()).await;
            if listed.is_ok_and(|out| out.buckets().iter().any(|b| b.name() == Some(bucket))) {
                return Some((*id).to_owned());
            }
        }
        None
    }

    /// The roles of `accounts` (ids; one ListRoles each, paged) whose trust policy names the
    /// root of another account, but for the access role and AWS's service roles. An account that
    /// cannot be read is skipped (import reports it when it reads the account).
    pub async fn hub_trusts(&self, accounts: &[&str], management: &str) -> Vec<Trust> {
        let mut out = Vec::new();
        for id in accounts {
            let Ok(c) = self.account(id, management).await else { continue };
            let iam = &c.iam;
            let Ok(roles) = pages(|marker| async move {
                let page = self
                    .run("iam:ListRoles", Idempotency::Safe, || {
                        iam.list_roles().max_items(MAX_ITEMS).set_marker(marker.clone()).send()
                    })
                    .await?;
                let next = if page.is_truncated() { page.marker().map(str::to_owned) } else { None };
                Ok((page.roles().to_vec(), next))
            })
            .await
            else {
                continue;
            };
            for r in roles {
                let name = r.role_name();
                if name == self.access_role() || name.starts_with("AWSServiceRoleFor") || r.path().starts_with("/aws-")
                {
                    continue;
                }
                let Some(Ok(trust)) = r.assume_role_policy_document().map(|d| parse_document("iam:ListRoles", d))
                else {
                    continue;
                };
                for trusted in trusted_accounts(&trust) {
                    out.push(Trust { role_account: (*id).to_owned(), role: name.to_owned(), trusted });
                }
            }
        }
        out
    }

    /// How many of the account's IAM users are in groups, and in how many groups (one
    /// GetAccountAuthorizationDetails for users, paged).
    pub async fn grouped_users(&self, account: &str, management: &str) -> Result<GroupedUsers, AwsError> {
        let c = self.account(account, management).await.map_err(|e| AwsError::call(format!("account {account}"), e))?;
        let iam = &c.iam;
        let pages = pages(|marker| async move {
            let page = self
                .run("iam:GetAccountAuthorizationDetails", Idempotency::Safe, || {
                    iam.get_account_authorization_details()
                        .filter(aws_sdk_iam::types::EntityType::User)
                        .max_items(MAX_ITEMS)
                        .set_marker(marker.clone())
                        .send()
                })
                .await?;
            let next = if page.is_truncated() { page.marker().map(str::to_owned) } else { None };
            Ok::<_, ProviderError>((vec![page], next))
        })
        .await
        .map_err(|e| AwsError::call(format!("listing the IAM users of account {account}"), e))?;
        let mut groups = std::collections::BTreeSet::new();
        let mut users = 0;
        for u in pages.iter().flat_map(aws_sdk_iam::operation::get_account_authorization_details::GetAccountAuthorizationDetailsOutput::user_detail_list) {
            if !u.group_list().is_empty() {
                users += 1;
                groups.extend(u.group_list().iter().cloned());
            }
        }
        Ok(GroupedUsers { users, groups: groups.len() })
    }
}

/// The account ids whose root (`arn:aws:iam::ID:root` or a bare id) an `Allow` statement of a
/// trust policy names as an `AWS` principal.
fn trusted_accounts(trust: &Value) -> Vec<String> {
    let statements = match &trust["Statement"] {
        Value::Array(a) => a.clone(),
        other => vec![other.clone()],
    };
    let mut out: Vec<String> = statements
        .iter()
        .filter(|s| s["Effect"] == "Allow")
        .flat_map(|s| match &s["Principal"]["AWS"] {
            Value::String(p) => vec![p.clone()],
            Value::Array(a) => a.iter().filter_map(|p| p.as_str().map(str::to_owned)).collect(),
            _ => Vec::new(),
        })
        .filter_map(|p| {
            let id = p.strip_prefix("arn:aws:iam::").and_then(|r| r.strip_suffix(":root")).unwrap_or(&p);
            (id.len() == 12 && id.bytes().all(|b| b.is_ascii_digit())).then(|| id.to_owned())
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn trusted_accounts_are_roots_and_bare_ids_of_allow_statements() {
        let trust = json!({ "Statement": [
            { "Effect": "Allow", "Principal": { "AWS": ["arn:aws:iam::111111111111:root", "222222222222"] }, "Action": "sts:AssumeRole" },
            { "Effect": "Allow", "Principal": { "AWS": "arn:aws:iam::333333333333:role/x" }, "Action": "sts:AssumeRole" },
            { "Effect": "Deny", "Principal": { "AWS": "arn:aws:iam::444444444444:root" }, "Action": "sts:AssumeRole" },
            { "Effect": "Allow", "Principal": { "Service": "ec2.amazonaws.com" }, "Action": "sts:AssumeRole" }
        ]});
        assert_eq!(trusted_accounts(&trust), ["111111111111", "222222222222"]);
        let one = json!({ "Statement": { "Effect": "Allow", "Principal": { "AWS": "111111111111" } } });
        assert_eq!(trusted_accounts(&one), ["111111111111"]);
    }
}
