//! What the IAM kinds share on the plan side: groundwork's inline policy name and ownership tags.

use groundwork_blueprint::Blueprint;
use serde_json::{Map, Value};

use super::tags::Tags;
use crate::resource::canonical_policy;
use crate::state::{TAG_BLUEPRINT, TAG_MANAGED};

/// Name of the inline policy groundwork writes on groups and roles.
pub const INLINE_POLICY: &str = "groundwork";

/// The inline policies of a group or role: groundwork's one policy, or none.
pub(crate) fn inline(policy: Option<Value>) -> Map<String, Value> {
    let mut m = Map::new();
    if let Some(doc) = policy {
        m.insert(INLINE_POLICY.to_owned(), canonical_policy(&doc));
    }
    m
}

/// groundwork's ownership tags (`groundwork:managed`, then `groundwork:blueprint`).
pub(crate) fn ownership(bp: &Blueprint) -> Tags {
    Tags::from_iter([(TAG_MANAGED, "true"), (TAG_BLUEPRINT, bp.organization.name.value.as_str())])
}
