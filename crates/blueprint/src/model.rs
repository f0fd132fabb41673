//! The validated blueprint: what the rest of groundwork consumes.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::yaml::Span;

/// A value with the place it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spanned<T> {
    /// The value.
    pub value: T,
    /// Where it is in the blueprint.
    pub span: Span,
}

impl<T> Spanned<T> {
    /// Wraps a value with its span.
    pub fn new(value: T, span: Span) -> Self {
        Spanned { value, span }
    }
}

impl<T: fmt::Display> fmt::Display for Spanned<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.value.fmt(f)
    }
}

/// Tags as written in the blueprint (sorted by key).
pub type Tags = BTreeMap<String, String>;

/// A parsed and validated blueprint.
#[derive(Debug, Clone)]
pub struct Blueprint {
    /// Schema version (always 1 for now).
    pub version: u32,
    /// The organization itself.
    pub organization: Organization,
    /// Every OU, flattened, parents before children.
    pub organizational_units: Vec<OrganizationalUnit>,
    /// Every member account: the `accounts` section, then the expanded `workloads`.
    pub accounts: Vec<Account>,
}

impl Blueprint {
    /// The account with this name, if any.
    pub fn account(&self, name: &str) -> Option<&Account> {
        self.accounts.iter().find(|a| a.name.value == name)
    }
}

/// The `organization` section.
#[derive(Debug, Clone)]
pub struct Organization {
    /// Name of the landing zone; recorded in the `groundwork:blueprint` tag.
    pub name: Spanned<String>,
    /// The home region (where regional resources such as the trail live).
    pub home_region: Spanned<String>,
    /// The management account, identified by its email.
    pub management_email: Spanned<String>,
    /// The management account's display name, when given (checked, never changed).
    pub management_name: Option<Spanned<String>>,
    /// Organization feature set.
    pub feature_set: FeatureSet,
}

/// AWS Organizations feature set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum FeatureSet {
    /// All features (required for SCPs and organization trails).
    All,
}

impl fmt::Display for FeatureSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ALL")
    }
}

/// Path of an OU below the root, by names. The empty path is the root.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
#[serde(into = "String", from = "String")]
pub struct OuPath(pub Vec<String>);

impl OuPath {
    /// The root.
    pub fn root() -> Self {
        OuPath(Vec::new())
    }

    /// Parses `Workloads/Prod`; `Root`, `/` and the empty string are the root.
    pub fn parse(text: &str) -> Self {
        let trimmed = text.trim().trim_matches('/');
        if trimmed.is_empty() || trimmed == "Root" {
            return OuPath::root();
        }
        OuPath(trimmed.split('/').map(|s| s.trim().to_owned()).collect())
    }

    /// Whether this is the root.
    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }

    /// Number of OU levels below the root.
    pub fn depth(&self) -> usize {
        self.0.len()
    }

    /// The parent path (the root's parent is the root).
    #[must_use]
    pub fn parent(&self) -> OuPath {
        let mut v = self.0.clone();
        v.pop();
        OuPath(v)
    }

    /// The last name, or `Root`.
    pub fn name(&self) -> &str {
        self.0.last().map_or("Root", String::as_str)
    }

    /// A child path.
    #[must_use]
    pub fn child(&self, name: &str) -> OuPath {
        let mut v = self.0.clone();
        v.push(name.to_owned());
        OuPath(v)
    }
}

impl fmt::Display for OuPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() { f.write_str("Root") } else { f.write_str(&self.0.join("/")) }
    }
}

impl From<String> for OuPath {
    fn from(s: String) -> OuPath {
        OuPath::parse(&s)
    }
}

impl From<OuPath> for String {
    fn from(p: OuPath) -> String {
        p.to_string()
    }
}

/// One organizational unit.
#[derive(Debug, Clone)]
pub struct OrganizationalUnit {
    /// Full path; its parent is `path.parent()`.
    pub path: OuPath,
    /// The name as written.
    pub name: Spanned<String>,
    /// Tags to set on the OU.
    pub tags: Tags,
}

/// What an account is for; it decides which baselines apply to it in later sections.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Purpose {
    /// Holds the organization's CloudTrail logs.
    LogArchive,
    /// Holds IAM users and groups (the hub).
    Identity,
    /// Runs one workload in one environment.
    Workload,
    /// An experiment account under guardrails.
    Sandbox,
    /// Shared services (networking, CI, ...).
    Shared,
}

impl Purpose {
    /// Every purpose with its blueprint spelling.
    pub const ALL: [(&'static str, Purpose); 5] = [
        ("log-archive", Purpose::LogArchive),
        ("identity", Purpose::Identity),
        ("workload", Purpose::Workload),
        ("sandbox", Purpose::Sandbox),
        ("shared", Purpose::Shared),
    ];

    /// The blueprint spelling.
    pub fn as_str(self) -> &'static str {
        Purpose::ALL.iter().find(|(_, p)| *p == self).map_or("workload", |(s, _)| s)
    }
}

impl fmt::Display for Purpose {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where an account definition came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountOrigin {
    /// Written in `accounts`.
    Explicit,
    /// Expanded from a workload and one of its environments.
    Workload {
        /// Workload name.
        workload: String,
        /// Environment name.
        environment: String,
    },
}

/// One member account.
#[derive(Debug, Clone)]
pub struct Account {
    /// Account name (1–50 characters).
    pub name: Spanned<String>,
    /// Root email; how groundwork identifies the account in AWS.
    pub email: Spanned<String>,
    /// The OU it belongs in.
    pub ou: Spanned<OuPath>,
    /// What it is for.
    pub purpose: Purpose,
    /// Tags from the blueprint (groundwork adds its own ownership tags).
    pub tags: Tags,
    /// Where the definition came from.
    pub origin: AccountOrigin,
}
