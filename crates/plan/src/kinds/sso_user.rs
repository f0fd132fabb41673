//! A user of Identity Center's own directory (`sso-user/<user name>`), created by groundwork
//! when the blueprint lists it under `identity_center.users` (people usually come from the
//! identity provider instead).

use groundwork_blueprint::Blueprint;
use serde::{Deserialize, Serialize};

use super::identity_center::{locator, section};
use super::{Kind, KindMeta, Scope, Spec};
use crate::resource::DesiredResource;
use crate::state::Address;

/// A user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SsoUserSpec {
    /// Its display name.
    pub display_name: String,
    /// Given name.
    pub given_name: String,
    /// Family name.
    pub family_name: String,
    /// Its (primary) email, if any.
    pub email: Option<String>,
}

impl KindMeta for SsoUserSpec {
    const KIND: Kind = Kind::SsoUser;
    const PREFIX: &'static str = "sso-user";
    const RANK: usize = 0;
    const SCOPE: Scope = Scope::Organization;
}

impl Spec for SsoUserSpec {}

/// `sso-user/NAME`.
pub fn address(name: &str) -> Address {
    Address::of(Kind::SsoUser, name)
}

/// The blueprint's users.
pub(crate) fn lower(bp: &Blueprint, out: &mut Vec<DesiredResource>) {
    let Some(ic) = section(bp) else { return };
    for u in &ic.users {
        out.push(DesiredResource {
            address: address(&u.name.value),
            at: locator(Kind::SsoUser, ic, u.name.value.clone()),
            spec: SsoUserSpec {
                display_name: u.display_name.clone(),
                given_name: u.given_name.clone(),
                family_name: u.family_name.clone(),
                email: u.email.clone(),
            }
            .to_value(),
            after: Vec::new(),
        });
    }
}
