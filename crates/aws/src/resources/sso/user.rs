//! A user of Identity Center's own directory (`sso-user`), found by user name (GetUserId), read
//! with DescribeUser, created with CreateUser; a changed name or email is set with UpdateUser.
//! Memberships (`sso-membership`) are read per group (ListGroupMemberships, once per group and
//! discovery) and created with CreateGroupMembership.

use aws_sdk_identitystore::types::{AlternateIdentifier, AttributeOperation, Email, MemberId, Name, UniqueAttribute};
use aws_smithy_types::Document;
use groundwork_apply::ProviderError;
use groundwork_plan::kinds::sso_membership::SsoMembershipSpec;
use groundwork_plan::kinds::sso_user::SsoUserSpec;

use super::{region_of, rejected};
use crate::Aws;
use crate::accounts::SsoClients;
use crate::call::Idempotency;
use crate::resources::{Converge, ReadCx, WriteCx};

impl Aws {
    /// A user's id by user name, `None` when there is none.
    pub(crate) async fn sso_user_id(
        &self,
        sso: &SsoClients,
        store: &str,
        name: &str,
    ) -> Result<Option<String>, ProviderError> {
        let attribute = UniqueAttribute::builder()
            .attribute_path("userName")
            .attribute_value(Document::String(name.to_owned()))
            .build()
            .map_err(|e| rejected("identitystore:GetUserId", e.to_string()))?;
        let found = self
            .run("identitystore:GetUserId", Idempotency::Safe, || {
                sso.store
                    .get_user_id()
                    .identity_store_id(store)
                    .alternate_identifier(AlternateIdentifier::UniqueAttribute(attribute.clone()))
                    .send()
            })
            .await;
        match found {
            Ok(out) => Ok(Some(out.user_id().to_owned())),
            Err(e) if e.code.as_deref() == Some("ResourceNotFoundException") => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The user ids of a group's members (ListGroupMemberships).
    pub(crate) async fn sso_members(
        &self,
        sso: &SsoClients,
        store: &str,
        group: &str,
    ) -> Result<Vec<String>, ProviderError> {
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let t = token.clone();
            let page = self
                .run("identitystore:ListGroupMemberships", Idempotency::Safe, || {
                    sso.store
                        .list_group_memberships()
                        .identity_store_id(store)
                        .group_id(group)
                        .set_next_token(t.clone())
                        .send()
                })
                .await?;
            out.extend(page.group_memberships().iter().filter_map(|m| match m.member_id() {
                Some(MemberId::UserId(id)) => Some(id.clone()),
                _ => None,
            }));
            match page.next_token() {
                Some(next) if !next.is_empty() && Some(next) != token.as_deref() => token = Some(next.to_owned()),
                _ => break,
            }
        }
        out.sort();
        out.dedup();
        Ok(out)
    }
}

#[async_trait::async_trait]
impl Converge for SsoUserSpec {
    async fn read(cx: &ReadCx<'_>) -> Result<Option<Self>, ProviderError> {
        let region = region_of(cx.at)?;
        let view = cx.aws.sso_view(&cx.shared.sso, cx.clients, region).await?;
        let sso = cx.clients.sso(region);
        let store = view.instance.store.clone();
        let Some(id) = cx.aws.sso_user_id(&sso, &store, &cx.at.name).await? else { return Ok(None) };
        let d = cx
            .aws
            .run("identitystore:DescribeUser", Idempotency::Safe, || {
                sso.store.describe_user().identity_store_id(&store).user_id(&id).send()
            })
            .await?;
        let email = d.emails().iter().find(|e| e.primary()).or_else(|| d.emails().first()).and_then(|e| e.value());
        Ok(Some(SsoUserSpec {
            display_name: d.display_name().unwrap_or_default().to_owned(),
            given_name: d.name().and_then(|n| n.given_name()).unwrap_or_default().to_owned(),
            family_name: d.name().and_then(|n| n.family_name()).unwrap_or_default().to_owned(),
            email: email.map(str::to_owned),
        }))
    }

    async fn put(&self, cx: &WriteCx<'_>, live: Option<&Self>) -> Result<String, ProviderError> {
        let region = region_of(cx.at)?;
        let sso = cx.clients.sso(region);
        let instance = cx.aws.sso_instance(&sso, region).await?;
        let (store, name) = (instance.store.as_str(), cx.at.name.as_str());
        let full = Name::builder().given_name(&self.given_name).family_name(&self.family_name).build();
        let emails: Vec<Email> =
            self.email.iter().map(|e| Email::builder().value(e).primary(true).r#type("work").build()).collect();
        if live.is_none() {
            cx.aws
                .run_settled(
                    "identitystore:CreateUser",
                    || {
                        sso.store
                            .create_user()
                            .identity_store_id(store)
                            .user_name(name)
                            .display_name(&self.display_name)
                            .name(full.clone())
                            .set_emails((!emails.is_empty()).then(|| emails.clone()))
                            .send()
                    },
                    || async { Ok(cx.aws.sso_user_id(&sso, store, name).await?.is_some()) },
                )
                .await?;
            return Ok(format!("created user {name} in the identity store"));
        }
        let id = cx
            .aws
            .sso_user_id(&sso, store, name)
            .await?
            .ok_or_else(|| rejected("identitystore:GetUserId", format!("user {name} is gone")))?;
        let op = |path: &str, value: &str| {
            AttributeOperation::builder()
                .attribute_path(path)
                .attribute_value(Document::String(value.to_owned()))
                .build()
                .map_err(|e| rejected("identitystore:UpdateUser", e.to_string()))
        };
        let mut operations = vec![
            op("displayName", &self.display_name)?,
            op("name.givenName", &self.given_name)?,
            op("name.familyName", &self.family_name)?,
        ];
        if let Some(email) = &self.email {
            let entry = std::collections::HashMap::from([
                ("value".to_owned(), Document::String(email.clone())),
                ("type".to_owned(), Document::String("work".to_owned())),
                ("primary".to_owned(), Document::Bool(true)),
            ]);
            operations.push(
                AttributeOperation::builder()
                    .attribute_path("emails")
                    .attribute_value(Document::Array(vec![Document::Object(entry)]))
                    .build()
                    .map_err(|e| rejected("identitystore:UpdateUser", e.to_string()))?,
            );
        }
        cx.aws
            .run("identitystore:UpdateUser", Idempotency::Safe, || {
                sso.store
                    .update_user()
                    .identity_store_id(store)
                    .user_id(&id)
                    .set_operations(Some(operations.clone()))
                    .send()
            })
            .await?;
        Ok("names and email restored".into())
    }
}

#[async_trait::async_trait]
impl Converge for SsoMembershipSpec {
    async fn read(cx: &ReadCx<'_>) -> Result<Option<Self>, ProviderError> {
        let region = region_of(cx.at)?;
        let Some(want) = SsoMembershipSpec::parse(&cx.at.name) else {
            return Err(rejected("identitystore", format!("{} is not a membership's name", cx.at.name)));
        };
        let view = cx.aws.sso_view(&cx.shared.sso, cx.clients, region).await?;
        let sso = cx.clients.sso(region);
        let Some(group) = cx.aws.sso_cached_group_id(&view, &sso, &want.group).await? else { return Ok(None) };
        let Some(user) = cx.aws.sso_user_id(&sso, &view.instance.store, &want.user).await? else { return Ok(None) };
        let members = cx.aws.sso_cached_members(&view, &sso, &group).await?;
        Ok(members.contains(&user).then_some(want))
    }

    async fn put(&self, cx: &WriteCx<'_>, live: Option<&Self>) -> Result<String, ProviderError> {
        if live.is_some() {
            return Ok("already as the blueprint says".into());
        }
        let region = region_of(cx.at)?;
        let sso = cx.clients.sso(region);
        let instance = cx.aws.sso_instance(&sso, region).await?;
        let store = instance.store.as_str();
        let group = cx.aws.sso_group_id(&sso, store, &self.group).await?.ok_or_else(|| {
            rejected(
                "identitystore:CreateGroupMembership",
                format!("group {} is not in the identity store", self.group),
            )
        })?;
        let user = cx.aws.sso_user_id(&sso, store, &self.user).await?.ok_or_else(|| {
            rejected("identitystore:CreateGroupMembership", format!("user {} is not in the identity store", self.user))
        })?;
        cx.aws
            .run_settled(
                "identitystore:CreateGroupMembership",
                || {
                    sso.store
                        .create_group_membership()
                        .identity_store_id(store)
                        .group_id(&group)
                        .member_id(MemberId::UserId(user.clone()))
                        .send()
                },
                || async { Ok(cx.aws.sso_members(&sso, store, &group).await?.contains(&user)) },
            )
            .await?;
        Ok(format!("added {} to group {}", self.user, self.group))
    }
}
