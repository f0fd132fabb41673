//! Trusted access of an AWS service to the organization (`service-access/<principal>`): the
//! organization trail needs it for `cloudtrail.amazonaws.com`.

use serde::{Deserialize, Serialize};

use super::{Kind, KindMeta, Scope, Spec};
use crate::resource::{DesiredResource, Locator};
use crate::state::Address;

/// Whether the service has trusted access. Only ever desired as enabled; discovery reports the
/// resource only when it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceAccessSpec {
    /// Trusted access is enabled.
    pub enabled: bool,
}

impl ServiceAccessSpec {
    /// Trusted access, enabled.
    pub const ENABLED: ServiceAccessSpec = ServiceAccessSpec { enabled: true };
}

impl KindMeta for ServiceAccessSpec {
    const KIND: Kind = Kind::ServiceAccess;
    const PREFIX: &'static str = "service-access";
    const RANK: usize = 0;
    const SCOPE: Scope = Scope::Organization;
}

impl Spec for ServiceAccessSpec {}

/// The desired trusted access of `principal` (e.g. `cloudtrail.amazonaws.com`), in the
/// management account.
pub(crate) fn desired(principal: &str) -> DesiredResource {
    DesiredResource {
        address: Address::service_access(principal),
        at: Locator::new(Kind::ServiceAccess, None, principal.to_owned()),
        spec: ServiceAccessSpec::ENABLED.to_value(),
        after: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn the_json_keeps_the_shape_saved_plans_hold() {
        let r = desired("cloudtrail.amazonaws.com");
        assert_eq!(r.address.as_str(), "service-access/cloudtrail.amazonaws.com");
        assert_eq!(serde_json::to_string(&r.spec).unwrap(), r#"{"enabled":true}"#);
        assert_eq!(ServiceAccessSpec::from_value(&json!({ "enabled": true })).unwrap(), ServiceAccessSpec::ENABLED);
        let err = ServiceAccessSpec::from_value(&json!({})).unwrap_err().to_string();
        assert!(err.contains("service-access") && err.contains("enabled"), "{err}");
    }
}
