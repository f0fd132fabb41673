//! Desired and live state of the organization, and the resource addresses that name them.

use std::fmt::{self, Write as _};

use std::collections::BTreeMap;

use groundwork_blueprint::{AccountOrigin, Blueprint, OuPath, Tags};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::resource::{DesiredResource, Ids, Kind, LiveResource};

/// Tag key marking a resource as managed by groundwork.
pub const TAG_MANAGED: &str = "groundwork:managed";
/// Tag key naming the blueprint (organization name) that manages a resource.
pub const TAG_BLUEPRINT: &str = "groundwork:blueprint";
/// Tag key recording the workload of a workload account.
pub const TAG_WORKLOAD: &str = "groundwork:workload";
/// Tag key recording the environment of a workload account.
pub const TAG_ENVIRONMENT: &str = "groundwork:environment";

/// How addresses name the management account.
const MANAGEMENT_LABEL: &str = "management";

/// A stable, human-readable name of a managed thing, e.g. `ou/Workloads/Prod`,
/// `account/jira-prod`. Never an AWS id. Ordered by its canonical string.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Address(String);

impl Address {
    /// The organization itself.
    pub fn organization() -> Self {
        Address("organization".into())
    }

    /// An OU by path.
    pub fn ou(path: &OuPath) -> Self {
        Address(format!("ou/{path}"))
    }

    /// An account by name.
    pub fn account(name: &str) -> Self {
        Address(format!("account/{name}"))
    }

    /// `kind/NAME`: a resource of the organization, named once in it.
    pub(crate) fn of(kind: Kind, name: &str) -> Self {
        Address(format!("{}/{name}", kind.prefix()))
    }

    /// `kind/ACCOUNT/NAME`: a resource named within an account (`None`: the management
    /// account, written `management`).
    pub(crate) fn in_account(kind: Kind, account: Option<&str>, name: &str) -> Self {
        Address(format!("{}/{}/{name}", kind.prefix(), account.unwrap_or(MANAGEMENT_LABEL)))
    }

    /// `kind/ACCOUNT/REGION/NAME`: a resource of a regional kind, named within an account and
    /// region. Only the kind modules build these, each through its own typed constructor.
    pub(crate) fn regional(kind: Kind, account: &str, region: &str, name: &str) -> Self {
        Address(format!("{}/{account}/{region}/{name}", kind.prefix()))
    }

    /// Trusted access of an AWS service: `service-access/cloudtrail.amazonaws.com`.
    pub fn service_access(principal: &str) -> Self {
        Address::of(Kind::ServiceAccess, principal)
    }

    /// A policy type enabled on the root: `policy-type/SERVICE_CONTROL_POLICY`.
    pub fn policy_type(policy_type: &str) -> Self {
        Address::of(Kind::PolicyType, policy_type)
    }

    /// A bucket by the blueprint account it lives in and its name as written (placeholders
    /// unexpanded): `bucket/log-archive/acme-logs-{account_id}`.
    pub fn bucket(account: &str, name: &str) -> Self {
        Address::in_account(Kind::Bucket, Some(account), name)
    }

    /// The organization trail: `trail/org-trail`.
    pub fn trail(name: &str) -> Self {
        Address::of(Kind::Trail, name)
    }

    /// A service control policy: `scp/deny-leave-org`.
    pub fn scp(name: &str) -> Self {
        Address::of(Kind::Scp, name)
    }

    /// An SCP attached to a target (`Root`, `ou:PATH`, `account:NAME`):
    /// `scp-attachment/deny-leave-org@Root`.
    pub fn scp_attachment(policy: &str, target: &str) -> Self {
        Address::of(Kind::ScpAttachment, &format!("{policy}@{target}"))
    }

    /// An account's password policy: `password-policy/identity`.
    pub fn password_policy(account: Option<&str>) -> Self {
        Address(format!("{}/{}", Kind::PasswordPolicy.prefix(), account.unwrap_or(MANAGEMENT_LABEL)))
    }

    /// A customer-managed IAM policy: `iam-policy/identity/ForceMFA`.
    pub fn managed_policy(account: Option<&str>, name: &str) -> Self {
        Address::in_account(Kind::ManagedPolicy, account, name)
    }

    /// An IAM group: `iam-group/identity/jira-admins`.
    pub fn group(account: Option<&str>, name: &str) -> Self {
        Address::in_account(Kind::Group, account, name)
    }

    /// An IAM user: `iam-user/identity/alice`.
    pub fn user(account: Option<&str>, name: &str) -> Self {
        Address::in_account(Kind::User, account, name)
    }

    /// An IAM role: `iam-role/jira-prod/JiraAdmin`.
    pub fn role(account: Option<&str>, name: &str) -> Self {
        Address::in_account(Kind::Role, account, name)
    }

    /// An instance profile: `instance-profile/webapp-prod/webapp-app`.
    pub fn instance_profile(account: Option<&str>, name: &str) -> Self {
        Address::in_account(Kind::InstanceProfile, account, name)
    }

    /// `kind/ACCOUNT/REGION`: a regional kind's one object in a region of an account.
    fn in_region(kind: Kind, account: Option<&str>, region: &str) -> Self {
        Address(format!("{}/{}/{region}", kind.prefix(), account.unwrap_or(MANAGEMENT_LABEL)))
    }

    /// An account's S3 public access block: `s3-account-public-access-block/jira-prod`.
    pub fn s3_account_public_access_block(account: Option<&str>) -> Self {
        Address(format!("{}/{}", Kind::AccountPublicAccessBlock.prefix(), account.unwrap_or(MANAGEMENT_LABEL)))
    }

    /// EBS encryption by default in a region of an account: `ebs-encryption/prod/eu-west-1`.
    pub fn ebs_encryption(account: Option<&str>, region: &str) -> Self {
        Address::in_region(Kind::EbsEncryption, account, region)
    }

    /// The check of whom a member account's access role trusts: `access-role/jira-prod`.
    pub fn access_role(account: &str) -> Self {
        Address::of(Kind::AccessRole, account)
    }

    /// The address as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for Address {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let ok = s == "organization"
            || s.strip_prefix("ou/").is_some_and(|r| !r.is_empty())
            || s.strip_prefix("account/").is_some_and(|r| !r.is_empty())
            || Kind::ALL
                .iter()
                .any(|k| s.strip_prefix(k.prefix()).and_then(|r| r.strip_prefix('/')).is_some_and(|r| !r.is_empty()));
        if ok { Ok(Address(s.to_owned())) } else { Err(format!("`{s}` is not a groundwork address")) }
    }
}

/// A state AWS reports as a string: the values groundwork acts on as variants, anything else
/// kept as AWS wrote it. Serialized as that string, so saved plans and JSON output keep it.
macro_rules! aws_state {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
            /// A value this version does not know, as AWS wrote it.
            Other(String),
        }

        impl $name {
            /// As AWS writes it.
            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $text,)+
                    Self::Other(other) => other,
                }
            }
        }

        impl From<&str> for $name {
            fn from(text: &str) -> Self {
                match text {
                    $($text => Self::$variant,)+
                    other => Self::Other(other.to_owned()),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                Ok(Self::from(String::deserialize(deserializer)?.as_str()))
            }
        }
    };
}

aws_state! {
    /// An account's status in the organization.
    AccountStatus {
        /// `ACTIVE`: usable.
        Active = "ACTIVE",
        /// `SUSPENDED`: closed or suspended by AWS.
        Suspended = "SUSPENDED",
        /// `PENDING_CLOSURE`: being closed.
        PendingClosure = "PENDING_CLOSURE",
    }
}

aws_state! {
    /// The organization's feature set.
    FeatureSet {
        /// `ALL`: all features (service control policies, organization trails).
        All = "ALL",
        /// `CONSOLIDATED_BILLING`: billing only.
        ConsolidatedBilling = "CONSOLIDATED_BILLING",
    }
}

aws_state! {
    /// The state of a CreateAccount request.
    CreateRequestState {
        /// `IN_PROGRESS`: the account is being created.
        InProgress = "IN_PROGRESS",
        /// `SUCCEEDED`: the account exists.
        Succeeded = "SUCCEEDED",
        /// `FAILED`: see the failure reason.
        Failed = "FAILED",
    }
}

/// What the blueprint asks for, lowered to resources.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Desired {
    /// The blueprint (organization) name, written into ownership tags.
    pub blueprint: String,
    /// The management account's email.
    pub management_email: String,
    /// Every OU, parents before children.
    pub ous: Vec<DesiredOu>,
    /// Every member account.
    pub accounts: Vec<DesiredAccount>,
    /// Role groundwork assumes in member accounts.
    pub access_role: String,
    /// The dedicated execution role assumed in members once it exists (`None`: the access role).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub execution_role: Option<String>,
    /// The home region (regional resources: the log bucket, the trail).
    pub home_region: String,
    /// Resources beyond the organization tree (logging, guardrails, identity, roles).
    pub resources: Vec<DesiredResource>,
    /// Which resources groundwork owns that the blueprint no longer lists are deleted (absent
    /// from a saved plan's JSON when none are).
    #[serde(default, skip_serializing_if = "Prune::is_empty")]
    pub prune: Prune,
}

/// Which leftovers the plan deletes: resources that carry groundwork's ownership tags for this
/// blueprint and that the blueprint no longer lists. Without `--prune` or a section's
/// `prune: true`, the plan only names them. Saved with the plan (`desired`), so that applying a
/// saved plan discovers what planning it discovered.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Prune {
    /// `--prune`: leftovers of every kind groundwork can delete.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub all: bool,
    /// Kinds whose blueprint section says `prune: true`, with that setting's name (e.g.
    /// `scp` → `guardrails.prune`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub sections: BTreeMap<Kind, String>,
}

impl Prune {
    /// Nothing is pruned.
    pub fn is_empty(&self) -> bool {
        !self.all && self.sections.is_empty()
    }

    /// Why leftovers of `kind` are deleted (`--prune`, or the blueprint setting), or `None`
    /// when they are only named.
    pub fn why(&self, kind: Kind) -> Option<String> {
        if self.all {
            return Some("`--prune` was given".to_owned());
        }
        self.sections.get(&kind).map(|setting| format!("the blueprint sets `{setting}: true`"))
    }

    /// Whether leftovers of `kind` are deleted.
    pub fn covers(&self, kind: Kind) -> bool {
        self.all || self.sections.contains_key(&kind)
    }
}

/// A desired OU.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DesiredOu {
    /// Path below the root.
    pub path: OuPath,
    /// Tags including groundwork's ownership tags.
    pub tags: Tags,
}

/// A desired member account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DesiredAccount {
    /// Account name.
    pub name: String,
    /// Root email (the identity key).
    pub email: String,
    /// The OU it belongs in.
    pub ou: OuPath,
    /// Tags including groundwork's ownership tags.
    pub tags: Tags,
}

impl Desired {
    /// Lowers a validated blueprint.
    pub fn from_blueprint(bp: &Blueprint) -> Self {
        let name = bp.organization.name.value.clone();
        let ownership = |extra: &Tags| {
            let mut t = extra.clone();
            t.insert(TAG_MANAGED.into(), "true".into());
            t.insert(TAG_BLUEPRINT.into(), name.clone());
            t
        };
        Desired {
            blueprint: name.clone(),
            management_email: bp.organization.management_email.value.clone(),
            ous: bp
                .organizational_units
                .iter()
                .map(|o| DesiredOu { path: o.path.clone(), tags: ownership(&o.tags) })
                .collect(),
            accounts: bp
                .accounts
                .iter()
                .map(|a| {
                    let mut tags = ownership(&a.tags);
                    if let AccountOrigin::Workload { workload, environment } = &a.origin {
                        tags.insert(TAG_WORKLOAD.into(), workload.clone());
                        tags.insert(TAG_ENVIRONMENT.into(), environment.clone());
                    }
                    DesiredAccount {
                        name: a.name.value.clone(),
                        email: a.email.value.clone(),
                        ou: a.ou.value.clone(),
                        tags,
                    }
                })
                .collect(),
            access_role: bp.organization.access_role.clone(),
            execution_role: bp.organization.execution_role.clone(),
            home_region: bp.organization.home_region.value.clone(),
            resources: crate::lower::resources(bp),
            prune: crate::lower::prune(bp),
        }
    }
}

/// What discovery found. Ordered collections so the fingerprint is stable.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Live {
    /// The organization, or `None` when the caller's account is in none.
    pub organization: Option<LiveOrganization>,
    /// Every OU found, sorted by path then id (moto, unlike AWS, allows duplicate names).
    pub ous: Vec<LiveOu>,
    /// Every account found with its parent, sorted by email.
    pub accounts: Vec<LiveAccount>,
    /// CreateAccount requests that are in progress or failed.
    pub create_requests: Vec<CreateRequest>,
    /// The organization's account quota, when it could be read.
    pub account_quota: Option<u64>,
    /// Resources beyond the organization tree that exist, by address.
    pub resources: BTreeMap<Address, LiveResource>,
}

/// The organization.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveOrganization {
    /// `o-…`
    pub id: String,
    /// `ALL` or `CONSOLIDATED_BILLING`.
    pub feature_set: FeatureSet,
    /// Management account id.
    pub management_account_id: String,
    /// Management account email.
    pub management_email: String,
    /// `r-…`
    pub root_id: String,
    /// The policy types enabled on the root (e.g. `SERVICE_CONTROL_POLICY`), sorted: read with
    /// the root, so that the `policy-type` resources cost no read of their own.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub policy_types: Vec<String>,
}

/// An OU found in the organization.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveOu {
    /// `ou-…`
    pub id: String,
    /// Path by names.
    pub path: OuPath,
    /// Tags.
    pub tags: Tags,
}

/// An account found in the organization.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveAccount {
    /// 12-digit id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Email.
    pub email: String,
    /// `ACTIVE`, `SUSPENDED`, `PENDING_CLOSURE`.
    pub status: AccountStatus,
    /// Path of its parent.
    pub parent: OuPath,
    /// Tags.
    pub tags: Tags,
}

/// A CreateAccount request that has not succeeded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateRequest {
    /// `car-…`
    pub id: String,
    /// Name the account was requested with.
    pub account_name: String,
    /// `IN_PROGRESS` or `FAILED`.
    pub state: CreateRequestState,
    /// Why it failed, e.g. `EMAIL_ALREADY_EXISTS`.
    pub failure_reason: Option<String>,
}

impl Live {
    /// Puts every collection in canonical order.
    pub fn normalize(&mut self) {
        self.ous.sort_by(|a, b| (&a.path, &a.id).cmp(&(&b.path, &b.id)));
        self.accounts.sort_by(|a, b| (a.email.to_lowercase(), &a.id).cmp(&(b.email.to_lowercase(), &b.id)));
        self.create_requests.sort_by(|a, b| a.id.cmp(&b.id));
    }

    /// A fingerprint of this state: a saved plan applies only while it is unchanged.
    pub fn fingerprint(&self) -> String {
        let mut copy = self.clone();
        copy.normalize();
        let json = serde_json::to_vec(&copy).unwrap_or_default();
        let digest = Sha256::digest(&json);
        digest.iter().fold(String::with_capacity(64), |mut hex, b| {
            let _ = write!(hex, "{b:02x}");
            hex
        })
    }

    /// Ids known from this state, by blueprint names (accounts matched by email).
    pub fn ids(&self, desired: &Desired) -> Ids {
        let mut ids = Ids::default();
        if let Some(org) = &self.organization {
            ids.org_id = Some(org.id.clone());
            ids.management_account_id = Some(org.management_account_id.clone());
            ids.root_id = Some(org.root_id.clone());
        }
        for ou in &self.ous {
            ids.ous.entry(ou.path.clone()).or_insert_with(|| ou.id.clone());
        }
        for a in &desired.accounts {
            if let Some(l) = self.account_by_email(&a.email) {
                ids.accounts.insert(a.name.clone(), l.id.clone());
            }
        }
        ids
    }

    /// The first OU at a path.
    pub fn ou(&self, path: &OuPath) -> Option<&LiveOu> {
        self.ous.iter().find(|o| &o.path == path)
    }

    /// The account with this email (case-insensitive, as AWS treats emails).
    pub fn account_by_email(&self, email: &str) -> Option<&LiveAccount> {
        self.accounts.iter().find(|a| a.email.eq_ignore_ascii_case(email))
    }
}

/// Whether tags mark a resource as managed by this blueprint.
pub fn is_managed_by(tags: &Tags, blueprint: &str) -> bool {
    tags.get(TAG_MANAGED).is_some_and(|v| v == "true") && tags.get(TAG_BLUEPRINT).is_some_and(|v| v == blueprint)
}

/// Synthetic states for tests and benchmarks.
pub mod synthetic {
    use groundwork_blueprint::OuPath;

    use super::{AccountStatus, Desired, FeatureSet, Live, LiveAccount, LiveOrganization, LiveOu};

    /// The live state a perfect apply of `desired` leaves: every OU and account in place with its
    /// tags, plus the management account, with made-up ids.
    pub fn converged(desired: &Desired) -> Live {
        let mut live = Live {
            organization: Some(LiveOrganization {
                id: "o-example".into(),
                feature_set: FeatureSet::All,
                management_account_id: "123456789012".into(),
                management_email: desired.management_email.clone(),
                root_id: "r-root".into(),
                policy_types: Vec::new(),
            }),
            ..Live::default()
        };
        for (i, ou) in desired.ous.iter().enumerate() {
            live.ous.push(LiveOu { id: format!("ou-{i}"), path: ou.path.clone(), tags: ou.tags.clone() });
        }
        live.accounts.push(LiveAccount {
            id: "123456789012".into(),
            name: "management".into(),
            email: desired.management_email.clone(),
            status: AccountStatus::Active,
            parent: OuPath::root(),
            tags: groundwork_blueprint::Tags::new(),
        });
        for (i, a) in desired.accounts.iter().enumerate() {
            live.accounts.push(LiveAccount {
                id: format!("{:012}", 100 + i),
                name: a.name.clone(),
                email: a.email.clone(),
                status: AccountStatus::Active,
                parent: a.ou.clone(),
                tags: a.tags.clone(),
            });
        }
        let ids = live.ids(desired);
        for r in &desired.resources {
            live.resources.insert(
                r.address.clone(),
                crate::resource::LiveResource { at: ids.resolve_locator(&r.at), spec: ids.resolve_spec(&r.spec) },
            );
        }
        live.normalize();
        live
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_serialize_as_aws_writes_them() {
        for (status, text) in [
            (AccountStatus::Active, "ACTIVE"),
            (AccountStatus::Suspended, "SUSPENDED"),
            (AccountStatus::PendingClosure, "PENDING_CLOSURE"),
            (AccountStatus::Other("NEW_STATE".into()), "NEW_STATE"),
        ] {
            assert_eq!(serde_json::to_string(&status).unwrap(), format!("\"{text}\""));
            assert_eq!(serde_json::from_str::<AccountStatus>(&format!("\"{text}\"")).unwrap(), status);
            assert_eq!(AccountStatus::from(text), status);
            assert_eq!(status.to_string(), text);
        }
        for (set, text) in [(FeatureSet::All, "ALL"), (FeatureSet::ConsolidatedBilling, "CONSOLIDATED_BILLING")] {
            assert_eq!(serde_json::to_value(&set).unwrap(), serde_json::json!(text));
            assert_eq!(FeatureSet::from(text), set);
        }
        for (state, text) in [
            (CreateRequestState::InProgress, "IN_PROGRESS"),
            (CreateRequestState::Succeeded, "SUCCEEDED"),
            (CreateRequestState::Failed, "FAILED"),
            (CreateRequestState::Other(String::new()), ""),
        ] {
            assert_eq!(serde_json::to_value(&state).unwrap(), serde_json::json!(text));
            assert_eq!(serde_json::from_value::<CreateRequestState>(serde_json::json!(text)).unwrap(), state);
        }
        let kinds = [crate::UnmanagedKind::Ou, crate::UnmanagedKind::Account];
        assert_eq!(serde_json::to_value(kinds).unwrap(), serde_json::json!(["ou", "account"]));
        assert_eq!(kinds.map(|k| k.to_string()), ["ou", "account"]);
    }
}

#[cfg(test)]
mod address_tests {
    use super::*;

    #[test]
    fn each_kind_has_its_constructor_and_parses_back() {
        let hub = Some("identity");
        let all = [
            (Address::organization(), "organization"),
            (Address::ou(&OuPath::parse("Workloads/Prod")), "ou/Workloads/Prod"),
            (Address::account("jira-prod"), "account/jira-prod"),
            (Address::service_access("cloudtrail.amazonaws.com"), "service-access/cloudtrail.amazonaws.com"),
            (Address::policy_type("SERVICE_CONTROL_POLICY"), "policy-type/SERVICE_CONTROL_POLICY"),
            (Address::bucket("log-archive", "acme-{account_id}"), "bucket/log-archive/acme-{account_id}"),
            (Address::trail("org-trail"), "trail/org-trail"),
            (Address::scp("deny-leave-org"), "scp/deny-leave-org"),
            (Address::scp_attachment("deny-leave-org", "Root"), "scp-attachment/deny-leave-org@Root"),
            (Address::password_policy(hub), "password-policy/identity"),
            (Address::password_policy(None), "password-policy/management"),
            (Address::managed_policy(hub, "ForceMFA"), "iam-policy/identity/ForceMFA"),
            (Address::group(hub, "jira-admins"), "iam-group/identity/jira-admins"),
            (Address::user(None, "alice"), "iam-user/management/alice"),
            (Address::role(Some("jira-prod"), "JiraAdmin"), "iam-role/jira-prod/JiraAdmin"),
            (Address::instance_profile(Some("web"), "app"), "instance-profile/web/app"),
            (Address::access_role("jira-prod"), "access-role/jira-prod"),
            (Address::s3_account_public_access_block(None), "s3-account-public-access-block/management"),
            (Address::s3_account_public_access_block(Some("prod")), "s3-account-public-access-block/prod"),
            (Address::ebs_encryption(Some("prod"), "eu-west-1"), "ebs-encryption/prod/eu-west-1"),
            (Address::ebs_encryption(None, "us-east-1"), "ebs-encryption/management/us-east-1"),
        ];
        for (address, text) in all {
            assert_eq!(address.as_str(), text);
            assert_eq!(text.parse::<Address>().unwrap(), address);
        }
        assert!("nothing/x".parse::<Address>().is_err());
    }
}
