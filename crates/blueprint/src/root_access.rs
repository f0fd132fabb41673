//! The `root_access` section: IAM's centralized root access for member accounts. groundwork
//! enables trusted access for IAM in the organization, then the two organization features:
//! root credentials management (the management account can remove and audit member accounts'
//! root credentials) and privileged root sessions (`sts:AssumeRoot` with AWS's task policies).
//!
//! ```yaml
//! root_access:
//!   credentials_management: true   # default
//!   root_sessions: true            # default
//! ```
//!
//! Without the section groundwork leaves both features as they are. The management account's
//! own root is not concerned: its MFA stays a credential-audit check (`groundwork audit`).

use crate::logging::boolean;
use crate::schema::Cx;
use crate::yaml::Node;

/// Keys of the `root_access` section.
pub(crate) const ROOT_ACCESS_KEYS: &[&str] = &["credentials_management", "root_sessions"];

/// `root_access.credentials_management`'s default.
pub const DEFAULT_ROOT_CREDENTIALS_MANAGEMENT: bool = true;
/// `root_access.root_sessions`'s default.
pub const DEFAULT_ROOT_SESSIONS: bool = true;

/// The `root_access` section, defaults filled in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RootAccess {
    /// `credentials_management` (default [`DEFAULT_ROOT_CREDENTIALS_MANAGEMENT`]): the
    /// organization feature `RootCredentialsManagement`.
    pub credentials_management: bool,
    /// `root_sessions` (default [`DEFAULT_ROOT_SESSIONS`]): the organization feature
    /// `RootSessions`.
    pub root_sessions: bool,
}

/// Raw `root_access` section.
#[derive(Debug, Clone, Default)]
pub(crate) struct RawRootAccess {
    credentials_management: Option<bool>,
    root_sessions: Option<bool>,
}

/// Reads the `root_access` section.
pub(crate) fn read(cx: &mut Cx, node: &Node) -> RawRootAccess {
    let mut raw = RawRootAccess::default();
    if node.is_null() {
        return raw;
    }
    let Some(f) = cx.map(node, "root_access", ROOT_ACCESS_KEYS) else { return raw };
    raw.credentials_management =
        f.get("credentials_management").and_then(|n| boolean(cx, n, "root_access.credentials_management"));
    raw.root_sessions = f.get("root_sessions").and_then(|n| boolean(cx, n, "root_access.root_sessions"));
    raw
}

/// Fills in the defaults (the keys were checked when read).
pub(crate) fn lower(raw: &RawRootAccess) -> RootAccess {
    RootAccess {
        credentials_management: raw.credentials_management.unwrap_or(DEFAULT_ROOT_CREDENTIALS_MANAGEMENT),
        root_sessions: raw.root_sessions.unwrap_or(DEFAULT_ROOT_SESSIONS),
    }
}
