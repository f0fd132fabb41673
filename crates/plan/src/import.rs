//! `groundwork import`: from what was read in a live organization to a blueprint.
//!
//! [`Found`] is what was read (read-only), through discovery: the organization, its OUs and
//! accounts, and a [`Live`] of every resource each kind's `list` found in the accounts import
//! looks at, keyed by the address discovery gives it in the blueprint import writes
//! ([`address_of`]), plus the few facts that are not resources (SCP ids, trails of other
//! regions). [`write_blueprint`] turns it into blueprint YAML, and plans that blueprint against
//! the part of that `Live` it asks for, as discovery would read it. It is pure: no AWS call.
//!
//! Whatever a blueprint cannot express, or whatever a plan of it would change (anything but
//! adopting: groundwork's ownership tags on objects it did not create), is written as a YAML
//! comment instead, with the reason. This is checked, not hoped for: the text is parsed with the
//! blueprint validator and planned against what was found, and every item that fails either is
//! commented out, until the blueprint validates and its plan only adopts.
//!
//! ```
//! use groundwork_plan::import::{Found, ImportOptions, write_blueprint};
//! use groundwork_plan::{Live, LiveOrganization};
//! let found = Found {
//!     live: Live {
//!         organization: Some(LiveOrganization {
//!             id: "o-abc123".into(),
//!             feature_set: "ALL".into(),
//!             management_account_id: "111111111111".into(),
//!             management_email: "root@acme.example".into(),
//!             root_id: "r-1".into(),
//!             policy_types: Vec::new(),
//!         }),
//!         ..Live::default()
//!     },
//!     ..Found::default()
//! };
//! let options = ImportOptions { home_region: "eu-west-1".into(), date: "2026-01-01".into(), ..ImportOptions::default() };
//! let imported = write_blueprint(&found, &options).unwrap();
//! assert!(imported.yaml.contains("home_region: eu-west-1"));
//! ```

mod check;
pub mod guess;
pub(crate) mod reverse;
mod sections;
mod yaml;

use std::collections::{BTreeMap, BTreeSet};

use groundwork_blueprint::Diagnostics;
use groundwork_blueprint::template::Reverse;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::kinds::Spec;
use crate::kinds::scp_attachment::ScpAttachmentSpec;
use crate::plan::Summary;
use crate::resource::{Ids, Kind, Locator};
use crate::state::{AccountStatus, Address, Live, LiveAccount};

/// What `groundwork import` read from a live organization: the organization, its OUs and
/// accounts, and every resource its kinds listed (each kind's `list` on the AWS side, read by the
/// code its `read` uses), keyed by the address discovery gives it in a blueprint that names it
/// ([`address_of`]); plus the few facts that are not resources.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Found {
    /// The organization, its OUs and accounts, and the resources listed. SCP attachments to a
    /// target no blueprint can name (the management account, an account not written) name it
    /// `account:#ID` (see [`import_ids`]).
    pub live: Live,
    /// SCP ids by name, for messages.
    pub scp_ids: BTreeMap<String, String>,
    /// Organization trails that live in another region than the home region: (name, region).
    pub other_trails: Vec<(String, String)>,
    /// What could not be read, for people.
    pub problems: Vec<String>,
}

/// The label under which [`import_ids`] names an account no blueprint written by import can
/// name (the management account, an account not ACTIVE, a second account of the same name):
/// `#` and its id.
pub fn unnamed_account(id: &str) -> String {
    format!("#{id}")
}

/// The member accounts a blueprint written by import names: active, and the first of each name.
pub fn written_accounts(live: &Live) -> Vec<&LiveAccount> {
    let mut seen = BTreeSet::new();
    members(live).filter(|a| seen.insert(a.name.as_str())).collect()
}

/// Ids by the names a blueprint written by import uses: the accounts of [`written_accounts`]
/// by name, every other account by [`unnamed_account`], OUs by path.
pub fn import_ids(live: &Live) -> Ids {
    let mut ids = Ids::default();
    if let Some(org) = &live.organization {
        ids.org_id = Some(org.id.clone());
        ids.management_account_id = Some(org.management_account_id.clone());
        ids.root_id = Some(org.root_id.clone());
    }
    for ou in &live.ous {
        ids.ous.entry(ou.path.clone()).or_insert_with(|| ou.id.clone());
    }
    for a in &live.accounts {
        ids.accounts.insert(unnamed_account(&a.id), a.id.clone());
    }
    for a in written_accounts(live) {
        ids.accounts.remove(&unnamed_account(&a.id));
        ids.accounts.insert(a.name.clone(), a.id.clone());
    }
    ids
}

/// The address a listed resource has in a blueprint written by import (so in discovery's
/// [`Live`] of that blueprint): the kind's typed address constructor, with the placeholder the
/// writer puts in its name (a bucket named after its account's id holds `{account_id}`).
/// `None` for what no such blueprint names.
pub fn address_of(at: &Locator, spec: &Value, ids: &Ids) -> Option<Address> {
    let account = at.account.as_deref();
    Some(match at.kind {
        Kind::ServiceAccess => Address::service_access(&at.name),
        Kind::PolicyType => Address::policy_type(&at.name),
        Kind::Bucket => {
            let (name, id) = (account?, ids.account_id(account)?);
            Address::bucket(name, &Reverse::new().account_id(id).apply(&at.name))
        }
        Kind::Trail => Address::trail(&at.name),
        Kind::KmsKey => crate::kinds::kms_key::address(
            account?,
            at.region.as_deref()?,
            at.name.strip_prefix("alias/").unwrap_or(&at.name),
        ),
        Kind::Scp => Address::scp(&at.name),
        Kind::ScpAttachment => ScpAttachmentSpec::from_value(spec).ok()?.address(),
        Kind::OrgPolicy => crate::kinds::org_policy::address(&at.name),
        Kind::Budget => crate::kinds::budget::address(account?, &at.name),
        Kind::OrgPolicyAttachment => {
            crate::kinds::org_policy_attachment::OrgPolicyAttachmentSpec::from_value(spec).ok()?.address()
        }
        Kind::PasswordPolicy => Address::password_policy(account),
        Kind::ManagedPolicy => Address::managed_policy(account, &at.name),
        Kind::Group => Address::group(account, &at.name),
        Kind::User => Address::user(account, &at.name),
        Kind::AccessKey => crate::kinds::access_key::address(account, &at.name),
        Kind::Role => Address::role(account, &at.name),
        Kind::InstanceProfile => Address::instance_profile(account, &at.name),
        Kind::AccessRole => Address::access_role(account?),
        Kind::AccountPublicAccessBlock => Address::s3_account_public_access_block(account),
        Kind::EbsEncryption => Address::ebs_encryption(account, at.region.as_deref()?),
        Kind::RootAccess => crate::kinds::root_access::address(),
        // Users and memberships of Identity Center's directory are not listed (people come from
        // the identity provider). Flow logs neither: their VPCs are selected by tag, which import
        // cannot guess.
        Kind::SsoUser | Kind::SsoMembership | Kind::FlowLog => return None,
        // The alerts' resources, read by name once the trail names its log group.
        Kind::LogGroup
        | Kind::MetricFilter
        | Kind::MetricAlarm
        | Kind::SnsTopic
        | Kind::EventBus
        | Kind::EventRule
        | Kind::EventConnection
        | Kind::ApiDestination => {
            Address::regional(at.kind, account.unwrap_or("management"), at.region.as_deref()?, &at.name)
        }
        Kind::SsoGroup => crate::kinds::sso_group::address(&at.name),
        Kind::PermissionSet => crate::kinds::permission_set::address(&at.name),
        Kind::SsoAssignment => {
            let s = crate::kinds::sso_assignment::SsoAssignmentSpec::from_value(spec).ok()?;
            let account = if ids.management_account_id.as_deref() == Some(s.account_id.as_str()) {
                None
            } else {
                Some(ids.accounts.iter().find(|(_, id)| **id == s.account_id).map(|(name, _)| name.as_str())?)
            };
            crate::kinds::sso_assignment::address(&s.group, &s.permission_set, account)
        }
    })
}

/// How to write the blueprint.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportOptions {
    /// `organization.name`; default: the `groundwork:blueprint` tag found, else `imported`.
    pub name: Option<String>,
    /// `organization.home_region`.
    pub home_region: String,
    /// The identity hub's account name (`management` for the management account).
    pub hub: Option<String>,
    /// The log-archive account's name; default: a guess (see [`log_archive_account`]).
    pub log_archive: Option<String>,
    /// The organization access role (empty: the default).
    pub access_role: String,
    /// Today, for the header (`YYYY-MM-DD`).
    pub date: String,
}

/// The blueprint written, and what to tell the operator.
#[derive(Debug, Clone)]
pub struct Imported {
    /// The blueprint text (it validates).
    pub yaml: String,
    /// Items commented out, each with the reason.
    pub commented: Vec<String>,
    /// Other things worth knowing (changes a plan will still show, guesses made).
    pub notes: Vec<String>,
    /// Warnings of the validator.
    pub warnings: Vec<String>,
    /// What `groundwork plan` of the blueprint will show against the same organization.
    pub summary: Summary,
}

/// What [`log_archive_account`] looks for in account names.
const LOG_HINT: &str = "log";
/// Whether a name is a valid `organization.name` (1–64 letters, digits, `-`, `_`, `.`).
pub fn valid_org_name(s: &str) -> bool {
    (1..=64).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// Active member accounts (not the management account).
fn members(live: &Live) -> impl Iterator<Item = &LiveAccount> {
    let management = live.organization.as_ref().map(|o| o.management_account_id.as_str());
    live.accounts.iter().filter(move |a| Some(a.id.as_str()) != management && a.status == AccountStatus::Active)
}

/// The active member account named `name`.
pub fn member_account<'a>(live: &'a Live, name: &str) -> Option<&'a LiveAccount> {
    members(live).find(|a| a.name == name)
}

/// The account holding the organization trail's bucket: the one named, else the only active
/// member account whose name contains `log` (case-insensitive), else `None`.
pub fn log_archive_account<'a>(live: &'a Live, name: Option<&str>) -> Option<&'a LiveAccount> {
    if let Some(n) = name {
        return member_account(live, n);
    }
    let mut candidates = members(live).filter(|a| a.name.to_lowercase().contains(LOG_HINT));
    let first = candidates.next()?;
    candidates.next().is_none().then_some(first)
}

/// Writes the blueprint for what was found: valid, readable, and planning no change against the
/// same organization but adoptions. `Err` (a bug) when the text does not validate and no item
/// can be commented out to fix it.
pub fn write_blueprint(found: &Found, options: &ImportOptions) -> Result<Imported, Diagnostics> {
    check::write_blueprint(found, options)
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod tests_support {
    /// Parses YAML with the blueprint's own parser, as JSON.
    pub(super) fn parse_yaml(text: &str) -> serde_json::Value {
        groundwork_blueprint::yaml::parse(text).unwrap().unwrap().to_json()
    }
}
