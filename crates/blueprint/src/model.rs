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
    /// The `logging` section, when present.
    pub logging: Option<Logging>,
    /// The `guardrails` section (empty when absent).
    pub guardrails: Guardrails,
    /// The `identity` section, when present.
    pub identity: Option<Identity>,
    /// The `roles` section (empty when absent).
    pub roles: Vec<Role>,
    /// The `baseline` section: what every account gets (on by default).
    pub baseline: Baseline,
    /// The `identity_center` section, when present.
    pub identity_center: Option<IdentityCenter>,
    /// The `flow_logs` section, when present.
    pub flow_logs: Option<crate::flow_logs::FlowLogs>,
    /// The `root_access` section, when present.
    pub root_access: Option<crate::root_access::RootAccess>,
    /// The `alerts` section, when present.
    pub alerts: Option<crate::alerts::Alerts>,
    /// The `sandbox` section, when present.
    pub sandbox: Option<crate::sandbox::Sandbox>,
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
    /// Role groundwork assumes in member accounts (default `OrganizationAccountAccessRole`).
    pub access_role: String,
    /// `organization.break_glass_role`: a role name every built-in that exempts the access role
    /// exempts too, and `protect-access-role` protects the same way (default: none).
    pub break_glass_role: Option<String>,
    /// `organization.deployer_role`: the role in the management account that runs groundwork;
    /// besides the management account's root, the only principal a member's access role may
    /// trust (default: none).
    pub deployer_role: Option<String>,
    /// `organization.execution_role`: a dedicated execution role groundwork creates in every
    /// member account and assumes instead of the access role once it exists (default: none).
    pub execution_role: Option<String>,
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

// ---------------------------------------------------------------------------------------------
// Sections beyond the organization: logging, guardrails, identity, roles.
//
// Policy documents are kept as JSON values exactly as written (after YAML → JSON), with the
// blueprint's template placeholders still in their strings. The planner expands them per
// account. Placeholders: `{account_id}` (the account the document is deployed in), `{account}`
// (its name), `{workload}`, `{env}` (its workload tags), `{account_id:NAME}` (any account of the
// blueprint by name), `{hub_account_id}` (the identity account), `{org_id}`,
// `{management_account_id}`, `{region}` (the home region).
// ---------------------------------------------------------------------------------------------

/// Placeholders a policy document may use (besides `{account_id:NAME}`).
pub use crate::template::DOCUMENT as DOCUMENT_PLACEHOLDERS;

/// The `logging` section: the log-archive account, its bucket and the organization trail.
#[derive(Debug, Clone)]
pub struct Logging {
    /// Name of the log-archive account (an account of the blueprint with purpose `log-archive`).
    pub account: Spanned<String>,
    /// Bucket name; may use `{account_id}` (the log-archive account), `{org_id}`, `{region}`.
    pub bucket: Spanned<String>,
    /// Trail name.
    pub trail: Spanned<String>,
    /// Trail records every region (default true).
    pub all_regions: bool,
    /// Log-file integrity validation (default true).
    pub log_file_validation: bool,
    /// Objects expire after this many days (lifecycle rule); `None` keeps them forever.
    pub retention_days: Option<u32>,
    /// Object lock, only possible when the bucket is created.
    pub object_lock: Option<ObjectLock>,
    /// A KMS key of the blueprint's own for the bucket's default encryption and the trail;
    /// `None` with `kms_key` below unless both are off (SSE-S3).
    pub kms_key_arn: Option<Spanned<String>>,
    /// The alias (without `alias/`) of the key groundwork makes and guards in the log-archive
    /// account for the bucket and the trail: on by default (`groundwork-log-archive`); `None`
    /// when the blueprint says `kms_key: false` or names its own key in `kms_key_arn`.
    pub kms_key: Option<Spanned<String>>,
    /// The one role (by name, in the log-archive account) the bucket policy lets lift a
    /// protection; `None` (the default): nobody but the root user.
    pub protection_exception_role: Option<Spanned<String>>,
    /// The blueprint accepts a bucket name without `{account_id}` (default false).
    pub global_bucket_name: bool,
    /// The access-log bucket that receives the log bucket's server access logs (same
    /// placeholders as `bucket`); `None`: no server access logging.
    pub access_log_bucket: Option<Spanned<String>>,
    /// S3 data events the trail records; `None` (the default): management events only.
    pub data_events: Option<DataEvents>,
    /// `flow_log_prefix`: the archive admits VPC flow-log delivery (`delivery.logs.amazonaws.com`,
    /// for this organization) under this key prefix, with or without a `flow_logs` section (which
    /// implies it with its own `prefix`; both must agree). What import reads back from the
    /// bucket policy. `None`: only what `flow_logs` implies.
    pub flow_log_prefix: Option<Spanned<String>>,
}

/// Which S3 object-level reads and writes the trail records (CloudTrail data events).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DataEvents {
    /// Every bucket of the organization.
    AllBuckets,
    /// These buckets (names, or `arn:aws:s3:::NAME`; placeholders allowed; `log_bucket` is the
    /// log bucket itself).
    Buckets(Vec<Spanned<String>>),
}

/// S3 object lock default retention.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ObjectLock {
    /// Mode.
    pub mode: ObjectLockMode,
    /// Default retention in days.
    pub days: u32,
}

/// S3 object lock mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ObjectLockMode {
    /// Users with `s3:BypassGovernanceRetention` may still delete.
    Governance,
    /// Nobody, not even root, may delete before the retention ends.
    Compliance,
}

/// The `guardrails` section: service control policies.
#[derive(Debug, Clone, Default)]
pub struct Guardrails {
    /// Every guardrail, in blueprint order.
    pub policies: Vec<Guardrail>,
    /// Maximum characters of one SCP, minified (AWS default 5,120).
    pub max_policy_chars: usize,
    /// Maximum SCPs attached to one target (AWS default 5, `FullAWSAccess` included).
    pub max_per_target: usize,
    /// `guardrails.access_role_protection`: the reason given for not protecting the access role
    /// (`disabled: true`); `None`, the default, protects it.
    pub access_role_protection_disabled: Option<String>,
    /// `guardrails.prune`: SCPs groundwork owns (its tags name this blueprint) that the
    /// blueprint no longer lists are deleted (detached first) by every apply, as with
    /// `--prune`. Default `false`: the plan names them and leaves them.
    pub prune: bool,
    /// The guardrails of policy types beyond SCPs (tag, AI-services opt-out), in blueprint
    /// order; `policies` holds the SCPs only.
    pub organization_policies: Vec<crate::org_policies::OrgPolicy>,
    /// `guardrails.tag_conventions`: the blueprint's tag conventions (the built-in
    /// `tag-conventions` tag policy is generated from them).
    pub tag_conventions: Vec<crate::org_policies::TagConvention>,
}

/// One service control policy and where it is attached.
#[derive(Debug, Clone)]
pub struct Guardrail {
    /// Policy name (also its address: `scp/<name>`).
    pub name: Spanned<String>,
    /// Description stored with the policy.
    pub description: String,
    /// The built-in it came from, e.g. `deny-leave-organization`, or `None` for a custom one.
    pub builtin: Option<String>,
    /// The policy document (built-ins already generated), placeholders unexpanded.
    pub document: serde_json::Value,
    /// Where it is attached.
    pub targets: Vec<Spanned<Target>>,
    /// The regions a region lock (`deny-regions-outside`) allows; `None` for other guardrails.
    pub allowed_regions: Option<Vec<String>>,
}

/// A policy target in the organization.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Target {
    /// The root.
    Root,
    /// An OU by path.
    Ou(OuPath),
    /// An account by name.
    Account(String),
}

impl Target {
    /// Whether this target selects `account` (`None`: the management account, which only
    /// `Root` selects; SCPs never apply to it, and a baseline reaches it only through `Root`).
    pub fn selects(&self, account: Option<&Account>) -> bool {
        match (self, account) {
            (Target::Root, _) => true,
            (_, None) => false,
            (Target::Ou(path), Some(a)) => a.ou.value.0.starts_with(&path.0),
            (Target::Account(name), Some(a)) => &a.name.value == name,
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Root => f.write_str("Root"),
            Target::Ou(p) => write!(f, "{p}"),
            Target::Account(a) => write!(f, "account:{a}"),
        }
    }
}

/// The `identity` section: the hub account where people sign in.
#[derive(Debug, Clone)]
pub struct Identity {
    /// The hub: an account name of the blueprint (purpose `identity`), or `None` for the
    /// management account (allowed, warned against).
    pub account: Option<Spanned<String>>,
    /// Password policy for the hub.
    pub password_policy: PasswordPolicy,
    /// Also set the password policy in every member account.
    pub password_policy_everywhere: bool,
    /// Attach the ForceMFA policy to every group (default true).
    pub require_mfa: bool,
    /// Groups.
    pub groups: Vec<Group>,
    /// Users.
    pub users: Vec<User>,
    /// When programmatic users' access keys are rotated.
    pub access_keys: crate::access_keys::AccessKeys,
}

/// IAM account password policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PasswordPolicy {
    /// Minimum length (default 14).
    pub min_length: u32,
    /// Require an uppercase letter (default true).
    pub require_uppercase: bool,
    /// Require a lowercase letter (default true).
    pub require_lowercase: bool,
    /// Require a digit (default true).
    pub require_numbers: bool,
    /// Require a symbol (default true).
    pub require_symbols: bool,
    /// Days before a password expires (default 90).
    pub max_age_days: u32,
    /// Previous passwords that cannot be reused (default 24).
    pub reuse_prevention: u32,
    /// Users may change their own password (default true).
    pub allow_users_to_change: bool,
}

impl Default for PasswordPolicy {
    /// The blueprint's documented defaults: 14 characters, every class, 90 days, 24 remembered,
    /// users may change their own.
    fn default() -> Self {
        PasswordPolicy {
            min_length: 14,
            require_uppercase: true,
            require_lowercase: true,
            require_numbers: true,
            require_symbols: true,
            max_age_days: 90,
            reuse_prevention: 24,
            allow_users_to_change: true,
        }
    }
}

/// A group in the hub.
#[derive(Debug, Clone)]
pub struct Group {
    /// Group name.
    pub name: Spanned<String>,
    /// Roles members may assume, resolved to concrete accounts.
    pub grants: Vec<Grant>,
    /// AWS-managed (or other existing) policy ARNs attached to the group.
    pub managed_policies: Vec<Spanned<String>>,
    /// Extra statements for the group's own policy in the hub (JSON statements).
    pub statements: Vec<serde_json::Value>,
}

/// Permission to assume one role in some accounts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    /// Role name (a role of the `roles` section).
    pub role: String,
    /// The role's IAM path (`/groundwork/` by default), which its ARN includes.
    pub path: String,
    /// Account names the role is assumed in (selectors already resolved, sorted, deduplicated).
    pub accounts: Vec<String>,
}

/// A user in the hub.
#[derive(Debug, Clone)]
pub struct User {
    /// User name.
    pub name: Spanned<String>,
    /// Groups (names of `identity.groups`).
    pub groups: Vec<String>,
    /// Gets a console password (generated, reset required at first sign-in).
    pub console: bool,
    /// Tags.
    pub tags: Tags,
    /// Gets one access key groundwork creates (`programmatic: true` on the user or one of its
    /// groups).
    pub programmatic: bool,
}

/// A role deployed into member accounts.
#[derive(Debug, Clone)]
pub struct Role {
    /// Role name.
    pub name: Spanned<String>,
    /// Description.
    pub description: String,
    /// Account names it is deployed in (selectors already resolved, sorted, deduplicated).
    pub accounts: Vec<String>,
    /// Who may assume it.
    pub trust: RoleTrust,
    /// IAM path the role (and its instance profile) is created under, from
    /// `identity.role_path` (default [`DEFAULT_ROLE_PATH`]).
    pub path: String,
    /// Maximum session duration in seconds (3600–43200, default 3600).
    pub max_session_seconds: u32,
    /// Managed policy ARNs attached.
    pub managed_policies: Vec<Spanned<String>>,
    /// Inline policy statements (JSON statements, placeholders unexpanded); empty for none.
    pub statements: Vec<serde_json::Value>,
}

/// IAM path of groundwork's roles and instance profiles unless `identity.role_path` says
/// otherwise: guardrails and permission policies can then name "groundwork's roles".
pub const DEFAULT_ROLE_PATH: &str = "/groundwork/";

/// `aws:MultiFactorAuthAge` bound of a hub-trusted role unless `max_mfa_age_seconds` says
/// otherwise: 12 hours, the longest console session, so a person signs in with MFA once a
/// working day while an MFA session token (up to 36 hours) stops opening roles the same day.
pub const DEFAULT_MAX_MFA_AGE_SECONDS: u32 = 43_200;

/// What a hub-trusted role requires of the session name (`sts:RoleSessionName`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SessionName {
    /// The session name is the hub user's name (`${aws:username}`), so CloudTrail in the
    /// member account names the person (the default; the console sets it so).
    #[default]
    Username,
    /// Any session name (`session_name: any`), e.g. for tools that choose their own.
    Any,
}

/// Trust of a role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoleTrust {
    /// IAM users of the hub account, with MFA present and no older than `max_mfa_age_seconds`.
    Hub {
        /// `aws:MultiFactorAuthAge` bound (default [`DEFAULT_MAX_MFA_AGE_SECONDS`]).
        max_mfa_age_seconds: u32,
        /// What the session name must be.
        session_name: SessionName,
    },
    /// EC2 instances (an instance profile of the same name is created).
    Ec2,
}

/// The `baseline` section: the account baseline groundwork converges in every account of the
/// organization (the management account included), or in the accounts of `targets`. On by
/// default: a blueprint without the section gets every control below.
///
/// Each control is a field here, with its default in [`Baseline::default`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Baseline {
    /// `enabled` (default true): `false` turns every control off.
    pub enabled: bool,
    /// `targets` (default `[Root]`: every account, the management account included): the same
    /// syntax as guardrail targets; an OU target takes its accounts and those of the OUs below.
    pub targets: Vec<Spanned<Target>>,
    /// `regions`: where the regional controls live in each account (default
    /// [`Regions::Allowed`]).
    pub regions: Regions,
    /// `s3_public_access_block` (default true): S3's account-level public access block, the
    /// four flags on, in every targeted account.
    pub s3_public_access_block: bool,
    /// `ebs_encryption` (default true): EBS encryption by default, in every targeted account
    /// and each of its regions.
    pub ebs_encryption: bool,
    /// `password_policy` (default true): the IAM password policy in every targeted account,
    /// with the settings of `identity.password_policy` (its defaults when the blueprint has no
    /// `identity` section). The identity hub gets it regardless.
    pub password_policy: bool,
    /// `support_role` (CIS 1.17): a role with `AWSSupportAccess` in every targeted account,
    /// trusted by the identity hub with MFA. On by default with an `identity` section (named
    /// [`DEFAULT_SUPPORT_ROLE`], no group granted); off without one, since nobody could assume it.
    pub support_role: Option<BaselineRole>,
    /// `security_audit_role`: a role with `SecurityAudit` in every targeted account, trusted by
    /// the identity hub with MFA, for the auditors. Defaults as [`Baseline::support_role`]
    /// (named [`DEFAULT_SECURITY_AUDIT_ROLE`]).
    pub security_audit_role: Option<BaselineRole>,
}

/// `baseline.support_role`'s default name.
pub const DEFAULT_SUPPORT_ROLE: &str = "groundwork-support";
/// `baseline.security_audit_role`'s default name.
pub const DEFAULT_SECURITY_AUDIT_ROLE: &str = "groundwork-security-audit";
/// The AWS managed policy of the support role.
pub const SUPPORT_POLICY_ARN: &str = "arn:aws:iam::aws:policy/AWSSupportAccess";
/// The AWS managed policy of the security-audit role.
pub const SECURITY_AUDIT_POLICY_ARN: &str = "arn:aws:iam::aws:policy/SecurityAudit";

/// A role of the account baseline: in every targeted account, trusted by the identity hub with
/// MFA ([`RoleTrust::Hub`] with its defaults), at `identity.role_path`, with one AWS managed
/// policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaselineRole {
    /// Its name (the default, or `name:` as written).
    pub name: Spanned<String>,
    /// Its IAM path (`identity.role_path`, default [`DEFAULT_ROLE_PATH`]).
    pub path: String,
    /// The hub groups whose members may assume it (`groups:`, default none).
    pub groups: Vec<String>,
}

impl Default for Baseline {
    /// Every control on, in every account, in the regions the region lock allows; the two roles
    /// off, as in a blueprint without an `identity` section (with one, they are on: see
    /// `baseline::lower`).
    fn default() -> Self {
        Baseline {
            enabled: true,
            targets: vec![Spanned::new(Target::Root, Span::default())],
            regions: Regions::Allowed,
            s3_public_access_block: true,
            ebs_encryption: true,
            password_policy: true,
            support_role: None,
            security_audit_role: None,
        }
    }
}

/// Which regions of an account a regional resource lives in.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Regions {
    /// `home`: the home region only.
    Home,
    /// `allowed` (the default): the regions the region locks that apply to the account allow
    /// (the `allowed_regions` of every `deny-regions-outside` guardrail attached to it, its OU,
    /// an OU above or the root; with several, the regions all of them allow); the home region
    /// where no region lock applies (the management account: SCPs never apply to it).
    #[default]
    Allowed,
    /// A list of regions, the same in every account.
    List(Vec<String>),
}

/// The `identity_center` section: single sign-on through IAM Identity Center, on the
/// organization's instance (run from the management account). Opt-in: a blueprint without it
/// has no Identity Center resources.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityCenter {
    /// `region`: the instance's home region (default `organization.home_region`).
    pub region: String,
    /// `groups`, by display name.
    pub groups: Vec<IcGroup>,
    /// `users` of Identity Center's own directory, with their groups (optional; people usually
    /// come from the identity provider).
    pub users: Vec<IcUser>,
    /// `permission_sets`.
    pub permission_sets: Vec<IcPermissionSet>,
    /// `assignments`, each expanded to its accounts.
    pub assignments: Vec<IcAssignment>,
}

/// A group of the identity store, by display name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IcGroup {
    /// Display name (unique in the identity store).
    pub name: Spanned<String>,
    /// `create` (default false): groundwork creates the group in the built-in directory; when
    /// false it must exist (synced from the identity provider), and a missing one is a plan error.
    pub create: bool,
    /// `description` (default `groundwork group NAME`), set only on a group groundwork creates.
    pub description: String,
}

/// A user of Identity Center's own directory, created by groundwork.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IcUser {
    /// User name (unique in the identity store; no `/`).
    pub name: Spanned<String>,
    /// `display_name` (default `GIVEN FAMILY`).
    pub display_name: String,
    /// `given_name`.
    pub given_name: String,
    /// `family_name`.
    pub family_name: String,
    /// `email`, when given.
    pub email: Option<String>,
    /// `groups` it is a member of (names of `identity_center.groups`).
    pub groups: Vec<String>,
}

/// A customer-managed policy referenced by name and path (it must exist, under that name, in
/// every account the permission set is provisioned to).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct PolicyRef {
    /// Policy name.
    pub name: String,
    /// IAM path (default `/`).
    pub path: String,
}

/// A permission set's permissions boundary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Boundary {
    /// An AWS-managed policy, by ARN.
    Managed(String),
    /// A customer-managed policy, by name and path.
    Customer(PolicyRef),
}

/// A permission set: what a group gets in the accounts it is assigned to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IcPermissionSet {
    /// Name (1–32 characters of `[\w+=,.@-]`).
    pub name: Spanned<String>,
    /// `description` (default `groundwork permission set NAME`).
    pub description: String,
    /// `session` in minutes (default 60; AWS allows 1 to 12 hours).
    pub session_minutes: u32,
    /// `relay_state`: where the console opens (default none).
    pub relay_state: Option<String>,
    /// `managed_policies`: AWS-managed policy ARNs (short names already expanded), sorted.
    pub managed_policies: Vec<String>,
    /// `customer_managed_policies`, sorted.
    pub customer_managed_policies: Vec<PolicyRef>,
    /// `statements`: the inline policy's statements (linted as a role's); empty for none.
    pub statements: Vec<serde_json::Value>,
    /// `permissions_boundary` (default none).
    pub permissions_boundary: Option<Boundary>,
}

/// The session duration of a permission set in AWS's ISO-8601 form (`PT1H`, `PT1H30M`).
pub fn iso_duration(minutes: u32) -> String {
    match (minutes / 60, minutes % 60) {
        (h, 0) => format!("PT{h}H"),
        (0, m) => format!("PT{m}M"),
        (h, m) => format!("PT{h}H{m}M"),
    }
}

/// One `assignments` entry: a group gets a permission set in accounts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IcAssignment {
    /// The group's display name.
    pub group: String,
    /// The permission set's name.
    pub permission_set: String,
    /// The accounts its targets select, by blueprint name (`None`: the management account,
    /// which only `Root` selects), the management account first, then in blueprint order.
    pub accounts: Vec<Option<String>>,
}
