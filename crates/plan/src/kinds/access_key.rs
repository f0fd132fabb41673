//! A programmatic user's access key (`iam-access-key/<hub>/<user>`): the user holds an active
//! key groundwork created, and no active key groundwork did not create. The key's secret is
//! never part of a spec: the writer puts it only in the operator's `--credentials-file`.
//!
//! Which keys groundwork created is recorded on the user, in the tag [`TAG_ACCESS_KEYS`] (the
//! key ids, which are identifiers, not secrets); see `docs/decisions/0018-*`. An active key not
//! listed there is out of band: drift, which `apply --enforce` deactivates (never deletes).
//! Rotation (`groundwork keys rotate`) is not a plan change: its steps are decided in
//! `groundwork_audit::rotation`.

use std::collections::{BTreeMap, BTreeSet};

use groundwork_blueprint::Blueprint;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Kind, KindMeta, Scope, Spec};
use crate::lower::hub;
use crate::resource::{DesiredResource, Ids, Locator};
use crate::state::Address;

/// The user tag listing the ids of the access keys groundwork created for the user
/// (space-separated, at most two).
pub const TAG_ACCESS_KEYS: &str = "groundwork:access-keys";
/// The user tag set just before groundwork creates a key (the time, RFC 3339), removed once the
/// key is recorded: a key created after it and not recorded was left by an interrupted run.
pub const TAG_KEY_PENDING: &str = "groundwork:access-key-pending";

/// Whether a user tag is one of the access-key bookkeeping tags (not part of the user's spec).
#[must_use]
pub fn is_key_tag(key: &str) -> bool {
    key == TAG_ACCESS_KEYS || key == TAG_KEY_PENDING
}

/// A programmatic user's key state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccessKeySpec {
    /// The user holds an active access key groundwork created.
    pub issued: bool,
    /// Ids of the user's active keys that groundwork did not create (none in the blueprint).
    pub out_of_band: BTreeSet<String>,
}

impl KindMeta for AccessKeySpec {
    const KIND: Kind = Kind::AccessKey;
    const PREFIX: &'static str = "iam-access-key";
    const RANK: usize = 4;
    const SCOPE: Scope = Scope::Account;
}

impl Spec for AccessKeySpec {}

/// The address of `user`'s access key in the hub `hub`: `iam-access-key/identity/ci`.
#[must_use]
pub fn address(hub: Option<&str>, user: &str) -> Address {
    Address::in_account(Kind::AccessKey, hub, user)
}

/// One access key of each programmatic user, after the user.
pub(crate) fn lower(bp: &Blueprint, out: &mut Vec<DesiredResource>) {
    let Some(identity) = &bp.identity else { return };
    let hub_account = hub(bp);
    for u in identity.users.iter().filter(|u| u.programmatic) {
        out.push(DesiredResource {
            address: address(hub_account, &u.name.value),
            at: Locator::new(Kind::AccessKey, hub_account.map(str::to_owned), u.name.value.clone()),
            spec: AccessKeySpec { issued: true, out_of_band: BTreeSet::new() }.to_value(),
            after: vec![Address::user(hub_account, &u.name.value)],
        });
    }
}

/// Without `--enforce`, out-of-band keys are drift the plan names and leaves alone: the desired
/// spec takes the live one's `out_of_band`, and the returned text names them. `None` when the
/// live spec has none (or either spec is not an access key's).
pub(crate) fn tolerate_out_of_band(spec: &mut Value, live: &Value, user: &str) -> Option<String> {
    let have = AccessKeySpec::from_value(live).ok()?;
    let mut want = AccessKeySpec::from_value(spec).ok()?;
    if have.out_of_band.is_empty() {
        return None;
    }
    want.out_of_band.clone_from(&have.out_of_band);
    *spec = want.to_value();
    let ids: Vec<&str> = have.out_of_band.iter().map(String::as_str).collect();
    Some(format!(
        "user {user} has an active access key groundwork did not create ({}); `apply --enforce` deactivates it",
        ids.join(", ")
    ))
}

/// One granted role of a programmatic user, as an AWS CLI profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleProfile {
    /// Profile name: `<account>-<role>`.
    pub name: String,
    /// The role's ARN.
    pub role_arn: String,
}

/// Each programmatic user's AWS CLI profiles (one per granted role and account whose id is
/// known), by user name.
#[must_use]
pub fn role_profiles(bp: &Blueprint, ids: &Ids) -> BTreeMap<String, Vec<RoleProfile>> {
    let mut out = BTreeMap::new();
    let Some(identity) = &bp.identity else { return out };
    for u in identity.users.iter().filter(|u| u.programmatic) {
        let mut profiles = Vec::new();
        for g in identity.groups.iter().filter(|g| u.groups.contains(&g.name.value)) {
            for grant in &g.grants {
                for account in &grant.accounts {
                    let Some(id) = ids.account_id(Some(account)) else { continue };
                    profiles.push(RoleProfile {
                        name: format!("{account}-{}", grant.role),
                        role_arn: groundwork_blueprint::role_arn(id, &grant.path, &grant.role),
                    });
                }
            }
        }
        profiles.sort_by(|a, b| a.name.cmp(&b.name));
        profiles.dedup_by(|a, b| a.name == b.name);
        out.insert(u.name.value.clone(), profiles);
    }
    out
}

/// The `~/.aws/config` snippet of the programmatic users: per user, a comment and one profile
/// per granted role, assumed from the user's credentials profile with MFA (`mfa_serial`, the
/// virtual device named after the user, as ForceMFA lets users enrol) and the user's name as
/// the session name (roles trusting the hub require it by default).
#[must_use]
pub fn aws_config(hub_id: &str, region: &str, profiles: &BTreeMap<String, Vec<RoleProfile>>) -> String {
    use std::fmt::Write as _;
    let mut out = String::from(
        "# AWS CLI profiles for groundwork's programmatic users: give each user their block, to add to\n\
         # ~/.aws/config. Their access key goes in ~/.aws/credentials under the profile named after them.\n",
    );
    for (user, roles) in profiles {
        let _ = write!(out, "\n# {user}\n");
        for (i, p) in roles.iter().enumerate() {
            let _ = write!(
                out,
                "{}[profile {}]\nsource_profile = {user}\nrole_arn = {}\nmfa_serial = arn:aws:iam::{hub_id}:mfa/{user}\nrole_session_name = {user}\nregion = {region}\n",
                if i == 0 { "" } else { "\n" },
                p.name,
                p.role_arn
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn the_json_has_two_keys_and_a_missing_one_names_the_kind() {
        let spec = AccessKeySpec { issued: true, out_of_band: BTreeSet::from(["AKIA1".to_owned()]) };
        assert_eq!(spec.to_value(), json!({ "issued": true, "out_of_band": ["AKIA1"] }));
        let err = AccessKeySpec::from_value(&json!({ "issued": true })).unwrap_err();
        assert_eq!(err.kind, Kind::AccessKey);
        assert!(err.to_string().contains("out_of_band"), "{err}");
    }

    #[test]
    fn out_of_band_keys_are_tolerated_and_named() {
        let mut want = json!({ "issued": true, "out_of_band": [] });
        let live = json!({ "issued": false, "out_of_band": ["AKIAX"] });
        let note = tolerate_out_of_band(&mut want, &live, "ci").unwrap();
        assert_eq!(want, json!({ "issued": true, "out_of_band": ["AKIAX"] }));
        assert!(note.contains("user ci") && note.contains("AKIAX") && note.contains("--enforce"), "{note}");
        let clean = json!({ "issued": true, "out_of_band": [] });
        assert_eq!(tolerate_out_of_band(&mut want, &clean, "ci"), None);
    }

    #[test]
    fn the_config_snippet_assumes_each_role_with_mfa() {
        let profiles = BTreeMap::from([(
            "ci".to_owned(),
            vec![RoleProfile {
                name: "jira-prod-JiraAdmin".into(),
                role_arn: "arn:aws:iam::222222222222:role/groundwork/JiraAdmin".into(),
            }],
        )]);
        let text = aws_config("111111111111", "eu-west-1", &profiles);
        assert!(text.contains(
            "[profile jira-prod-JiraAdmin]\nsource_profile = ci\nrole_arn = arn:aws:iam::222222222222:role/groundwork/JiraAdmin\nmfa_serial = arn:aws:iam::111111111111:mfa/ci\nrole_session_name = ci\n"
        ), "{text}");
    }
}
