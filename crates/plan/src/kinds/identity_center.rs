//! What the Identity Center kinds share: where the instance lives (the management account, in
//! `identity_center.region`), and the ownership tags groundwork writes on a permission set.
//!
//! The kinds themselves: [`super::sso_group`] (a group of the identity store),
//! [`super::permission_set`] and [`super::sso_assignment`] (a permission set for a group in one
//! account). Identity Center has one instance per organization, in the management account, so
//! their locators name no account (`None`) and carry the instance's region.

use std::collections::BTreeMap;

use groundwork_blueprint::{Blueprint, IdentityCenter};

use crate::resource::Locator;
use crate::state::{TAG_BLUEPRINT, TAG_MANAGED};

use super::Kind;

/// The blueprint's `identity_center` section, when present.
pub(crate) fn section(bp: &Blueprint) -> Option<&IdentityCenter> {
    bp.identity_center.as_ref()
}

/// The locator of an Identity Center object: the management account, the instance's region.
pub(crate) fn locator(kind: Kind, ic: &IdentityCenter, name: String) -> Locator {
    Locator::regional(kind, None, ic.region.clone(), name)
}

/// groundwork's ownership tags for this blueprint.
pub(crate) fn ownership_tags(bp: &Blueprint) -> BTreeMap<String, String> {
    BTreeMap::from([
        (TAG_MANAGED.to_owned(), "true".to_owned()),
        (TAG_BLUEPRINT.to_owned(), bp.organization.name.value.clone()),
    ])
}
