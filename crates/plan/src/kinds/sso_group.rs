//! A group of the Identity Center identity store, by display name (`sso-group/<name>`).
//!
//! Most organizations sync groups from their identity provider: such a group (`create: false`,
//! the default) is only looked up, and a missing one is a plan error that names it. A group
//! with `create: true` is created in the built-in directory with its description.

use groundwork_blueprint::Blueprint;
use serde::{Deserialize, Serialize};

use super::identity_center::{locator, section};
use super::{Kind, KindMeta, Scope, Spec};
use crate::resource::DesiredResource;
use crate::state::Address;

/// A group. The desired spec of a group groundwork only looks up has no description (`None`);
/// discovery reads the live one's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SsoGroupSpec {
    /// Its description: the blueprint's for a group groundwork creates; `None` for a group that
    /// must already exist (synced from an identity provider), which groundwork never changes.
    pub description: Option<String>,
}

impl SsoGroupSpec {
    /// Whether groundwork only looks the group up (it must exist, and is never written).
    pub fn is_external(&self) -> bool {
        self.description.is_none()
    }
}

impl KindMeta for SsoGroupSpec {
    const KIND: Kind = Kind::SsoGroup;
    const PREFIX: &'static str = "sso-group";
    const RANK: usize = 0;
    const SCOPE: Scope = Scope::Organization;
}

impl Spec for SsoGroupSpec {}

/// `sso-group/NAME`.
pub fn address(name: &str) -> Address {
    Address::of(Kind::SsoGroup, name)
}

/// The blueprint's groups.
pub(crate) fn lower(bp: &Blueprint, out: &mut Vec<DesiredResource>) {
    let Some(ic) = section(bp) else { return };
    for g in &ic.groups {
        out.push(DesiredResource {
            address: address(&g.name.value),
            at: locator(Kind::SsoGroup, ic, g.name.value.clone()),
            spec: SsoGroupSpec { description: g.create.then(|| g.description.clone()) }.to_value(),
            after: Vec::new(),
        });
    }
}
