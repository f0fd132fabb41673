//! An Organizations policy beyond SCPs attached to a target
//! (`org-policy-attachment/<policy>@<target>`): the root, an OU by path, or an account by its
//! blueprint name. Read per policy (ListTargetsForPolicy), as SCP attachments are.

use groundwork_blueprint::Target;
use groundwork_blueprint::org_policies::OrgPolicyType;
use serde::{Deserialize, Serialize};

use super::{Kind, KindMeta, Scope, Spec};
use crate::resource::{DesiredResource, Locator};
use crate::state::Address;

/// An attachment of the policy `policy` (of `policy_type`) to `target` (`Root`, an OU path, or
/// `account:NAME`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrgPolicyAttachmentSpec {
    /// The policy's name.
    pub policy: String,
    /// The policy's type (the writer lists policies of this type to find its id).
    pub policy_type: OrgPolicyType,
    /// The target as the blueprint writes it.
    pub target: String,
}

impl OrgPolicyAttachmentSpec {
    /// Where an attachment lives: its locator's name is `policy@target`.
    pub fn locator(&self) -> Locator {
        Locator::new(Kind::OrgPolicyAttachment, None, format!("{}@{}", self.policy, self.target))
    }

    /// Its address.
    pub fn address(&self) -> Address {
        Address::of(Kind::OrgPolicyAttachment, &format!("{}@{}", self.policy, self.target))
    }
}

impl KindMeta for OrgPolicyAttachmentSpec {
    const KIND: Kind = Kind::OrgPolicyAttachment;
    const PREFIX: &'static str = "org-policy-attachment";
    const RANK: usize = 2;
    const SCOPE: Scope = Scope::Organization;
}

impl Spec for OrgPolicyAttachmentSpec {}

/// The attachment of `policy` (at address `at`) to `target`: after the policy, and after the
/// OU or account it targets.
pub(crate) fn desired(policy: &str, policy_type: OrgPolicyType, target: &Target, at: &Address) -> DesiredResource {
    let spec = OrgPolicyAttachmentSpec { policy: policy.to_owned(), policy_type, target: target.to_string() };
    let mut after = vec![at.clone()];
    match target {
        Target::Root => {}
        Target::Ou(path) => after.push(Address::ou(path)),
        Target::Account(a) => after.push(Address::account(a)),
    }
    DesiredResource { address: spec.address(), at: spec.locator(), spec: spec.to_value(), after }
}

#[cfg(test)]
mod tests {
    use groundwork_blueprint::OuPath;

    use super::*;

    #[test]
    fn the_json_keeps_policy_type_and_target() {
        let r = desired(
            "tags",
            OrgPolicyType::Tag,
            &Target::Ou(OuPath::parse("Workloads/Prod")),
            &Address::of(Kind::OrgPolicy, "tags"),
        );
        assert_eq!(r.address.as_str(), "org-policy-attachment/tags@Workloads/Prod");
        assert_eq!(
            serde_json::to_string(&r.spec).unwrap(),
            r#"{"policy":"tags","policy_type":"TAG_POLICY","target":"Workloads/Prod"}"#
        );
        assert_eq!(r.after, vec![Address::of(Kind::OrgPolicy, "tags"), Address::ou(&OuPath::parse("Workloads/Prod"))]);
    }
}
