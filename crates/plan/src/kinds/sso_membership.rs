//! A user's membership of a group in Identity Center's own directory
//! (`sso-membership/<group>/<user>`), from `identity_center.users[].groups`. Its locator's name
//! is `USER/GROUP` (user names hold no `/`).

use groundwork_blueprint::Blueprint;
use serde::{Deserialize, Serialize};

use super::identity_center::{locator, section};
use super::{Kind, KindMeta, Scope, Spec, sso_group, sso_user};
use crate::resource::DesiredResource;
use crate::state::Address;

/// A membership.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SsoMembershipSpec {
    /// The group's display name.
    pub group: String,
    /// The user's name.
    pub user: String,
}

impl SsoMembershipSpec {
    /// The membership a locator's name (`USER/GROUP`) names.
    pub fn parse(name: &str) -> Option<Self> {
        let (user, group) = name.split_once('/')?;
        Some(SsoMembershipSpec { group: group.to_owned(), user: user.to_owned() })
    }
}

impl KindMeta for SsoMembershipSpec {
    const KIND: Kind = Kind::SsoMembership;
    const PREFIX: &'static str = "sso-membership";
    const RANK: usize = 1;
    const SCOPE: Scope = Scope::Organization;
}

impl Spec for SsoMembershipSpec {}

/// `sso-membership/GROUP/USER`.
pub fn address(group: &str, user: &str) -> Address {
    Address::of(Kind::SsoMembership, &format!("{group}/{user}"))
}

/// Each user's memberships, after the user and the group.
pub(crate) fn lower(bp: &Blueprint, out: &mut Vec<DesiredResource>) {
    let Some(ic) = section(bp) else { return };
    for u in &ic.users {
        for g in &u.groups {
            let spec = SsoMembershipSpec { group: g.clone(), user: u.name.value.clone() };
            out.push(DesiredResource {
                address: address(g, &u.name.value),
                at: locator(Kind::SsoMembership, ic, format!("{}/{g}", u.name.value)),
                spec: spec.to_value(),
                after: vec![sso_group::address(g), sso_user::address(&u.name.value)],
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_locator_name_holds_user_then_group() {
        assert_eq!(
            SsoMembershipSpec::parse("alice/Jira admins/EU"),
            Some(SsoMembershipSpec { group: "Jira admins/EU".into(), user: "alice".into() })
        );
    }
}
