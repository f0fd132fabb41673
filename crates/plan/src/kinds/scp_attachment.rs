//! An SCP attached to a target (`scp-attachment/<policy>@<target>`): the root, an OU by path,
//! or an account by its blueprint name. Discovery reads attachments per policy
//! (ListTargetsForPolicy), never per target.

use groundwork_blueprint::Target;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{Kind, KindMeta, Scope, Spec};
use crate::resource::{DesiredResource, Locator};
use crate::state::Address;

/// An attachment of the SCP `policy` to `target` (`Root`, an OU path, or `account:NAME`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScpAttachmentSpec {
    /// The SCP's name.
    pub policy: String,
    /// The target as the blueprint writes it.
    pub target: String,
}

impl ScpAttachmentSpec {
    /// Where an attachment lives: its locator's name is `policy@target`.
    pub fn locator(&self) -> Locator {
        Locator::new(Kind::ScpAttachment, None, format!("{}@{}", self.policy, self.target))
    }

    /// Its address.
    pub fn address(&self) -> Address {
        Address::scp_attachment(&self.policy, &self.target)
    }
}

impl KindMeta for ScpAttachmentSpec {
    const KIND: Kind = Kind::ScpAttachment;
    const PREFIX: &'static str = "scp-attachment";
    const RANK: usize = 2;
    const SCOPE: Scope = Scope::Organization;
}

impl Spec for ScpAttachmentSpec {}

/// The attachment of the SCP `policy` (at address `scp`) to `target`: after the SCP, and after
/// the OU or account it targets.
pub(crate) fn desired(policy: &str, target: &Target, scp: &Address) -> DesiredResource {
    let spec = ScpAttachmentSpec { policy: policy.to_owned(), target: target.to_string() };
    let mut after = vec![scp.clone()];
    match target {
        Target::Root => {}
        Target::Ou(path) => after.push(Address::ou(path)),
        Target::Account(a) => after.push(Address::account(a)),
    }
    DesiredResource { address: spec.address(), at: spec.locator(), spec: spec.to_value(), after }
}

/// Where an SCP is attached, from an attachment's target as discovery names it.
pub(crate) enum ReverseTarget<'a> {
    /// `Root`.
    Root,
    /// An OU path.
    Ou(&'a str),
    /// `account:NAME`.
    Account(&'a str),
    /// An account import cannot name (`account:#ID`, see `import::unnamed_account`): its id.
    Unnamed(&'a str),
}

impl<'a> ReverseTarget<'a> {
    /// The target of `text` (an attachment's `target`).
    pub(crate) fn parse(text: &'a str) -> Self {
        match text.strip_prefix("account:") {
            _ if text == "Root" => ReverseTarget::Root,
            Some(a) => a.strip_prefix('#').map_or(ReverseTarget::Account(a), ReverseTarget::Unnamed),
            None => ReverseTarget::Ou(text),
        }
    }
}

/// A target of an SCP as the blueprint writes it, with its rank in the order targets are
/// written (`Root`, OUs, accounts), or what it is when a blueprint cannot name it (`management`:
/// the management account's id). The reverse of [`desired`]'s target.
pub(crate) fn reverse_target(text: &str, management: &str) -> Result<(u8, Value), String> {
    match ReverseTarget::parse(text) {
        ReverseTarget::Root => Ok((0, json!("Root"))),
        ReverseTarget::Ou(path) => Ok((1, json!({ "ou": path }))),
        ReverseTarget::Account(name) => Ok((2, json!({ "account": name }))),
        ReverseTarget::Unnamed(id) if id == management => Err(format!("the management account ({id})")),
        ReverseTarget::Unnamed(id) => Err(format!("account {id}")),
    }
}

#[cfg(test)]
mod tests {
    use groundwork_blueprint::OuPath;

    use super::*;

    #[test]
    fn the_json_keeps_the_shape_saved_plans_hold() {
        let r =
            desired("deny-leave-org", &Target::Ou(OuPath::parse("Workloads/Prod")), &Address::scp("deny-leave-org"));
        assert_eq!(r.address.as_str(), "scp-attachment/deny-leave-org@Workloads/Prod");
        assert_eq!(r.at.name, "deny-leave-org@Workloads/Prod");
        assert_eq!(serde_json::to_string(&r.spec).unwrap(), r#"{"policy":"deny-leave-org","target":"Workloads/Prod"}"#);
        assert_eq!(r.after, vec![Address::scp("deny-leave-org"), Address::ou(&OuPath::parse("Workloads/Prod"))]);
    }
}
