//! An account assignment (`sso-assignment/<group>/<permission set>@<account>`): a permission
//! set for a group in one account. The blueprint's `assignments` expand to these at plan time,
//! so a new account in a targeted OU shows up as planned assignments.
//!
//! The locator's name is `PERMISSION_SET/ACCOUNT_ID/GROUP` (the account id a placeholder until
//! the account exists), which is what the reader and writer need; permission set names cannot
//! hold a `/` and account ids are digits, so the group's display name is the rest.

use groundwork_blueprint::Blueprint;
use groundwork_blueprint::template::IdRef;
use serde::{Deserialize, Serialize};

use super::identity_center::{locator, section};
use super::{Kind, KindMeta, Scope, Spec, permission_set, sso_group};
use crate::resource::DesiredResource;
use crate::state::Address;

/// An assignment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SsoAssignmentSpec {
    /// The permission set's name.
    pub permission_set: String,
    /// The group's display name.
    pub group: String,
    /// The account's id (a placeholder until it is known).
    pub account_id: String,
}

impl SsoAssignmentSpec {
    /// The locator's name: `PERMISSION_SET/ACCOUNT_ID/GROUP`.
    pub fn name(&self) -> String {
        format!("{}/{}/{}", self.permission_set, self.account_id, self.group)
    }

    /// The spec a locator name holds (see [`SsoAssignmentSpec::name`]).
    pub fn parse(name: &str) -> Option<Self> {
        let (permission_set, rest) = name.split_once('/')?;
        let (account_id, group) = rest.split_once('/')?;
        Some(SsoAssignmentSpec {
            permission_set: permission_set.to_owned(),
            group: group.to_owned(),
            account_id: account_id.to_owned(),
        })
    }
}

impl KindMeta for SsoAssignmentSpec {
    const KIND: Kind = Kind::SsoAssignment;
    const PREFIX: &'static str = "sso-assignment";
    const RANK: usize = 3;
    const SCOPE: Scope = Scope::Organization;
}

impl Spec for SsoAssignmentSpec {}

/// `sso-assignment/GROUP/PERMISSION_SET@ACCOUNT` (`ACCOUNT`: a blueprint account name, or
/// `management`).
pub fn address(group: &str, permission_set: &str, account: Option<&str>) -> Address {
    Address::of(Kind::SsoAssignment, &format!("{group}/{permission_set}@{}", account.unwrap_or("management")))
}

/// Every (permission set, group, account) of the blueprint's assignments, once: after the
/// permission set and the group (and the account, when it is created in the same plan, through
/// its id's placeholder).
pub(crate) fn lower(bp: &Blueprint, out: &mut Vec<DesiredResource>) {
    let Some(ic) = section(bp) else { return };
    let mut seen = std::collections::BTreeSet::new();
    for a in &ic.assignments {
        for account in &a.accounts {
            if !seen.insert((a.permission_set.clone(), a.group.clone(), account.clone())) {
                continue;
            }
            let spec = SsoAssignmentSpec {
                permission_set: a.permission_set.clone(),
                group: a.group.clone(),
                account_id: IdRef::account_or_management(account.as_deref()).to_string(),
            };
            out.push(DesiredResource {
                address: address(&a.group, &a.permission_set, account.as_deref()),
                at: locator(Kind::SsoAssignment, ic, spec.name()),
                spec: spec.to_value(),
                after: vec![permission_set::address(&a.permission_set), sso_group::address(&a.group)],
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_name_holds_what_the_reader_needs() {
        let s = SsoAssignmentSpec {
            permission_set: "JiraAdmin".into(),
            group: "Jira admins/EU".into(),
            account_id: "{{account_id:jira-prod}}".into(),
        };
        assert_eq!(s.name(), "JiraAdmin/{{account_id:jira-prod}}/Jira admins/EU");
        assert_eq!(SsoAssignmentSpec::parse(&s.name()), Some(s));
        assert_eq!(address("g", "P", None).as_str(), "sso-assignment/g/P@management");
    }
}
