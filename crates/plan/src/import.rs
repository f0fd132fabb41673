//! `groundwork import`: from what was read in a live organization to a blueprint.
//!
//! [`Found`] is what discovery read (read-only): the organization, its OUs and accounts, its
//! service control policies with their targets, the organization trail and its bucket, the
//! identity hub's IAM, and roles in member accounts, each spec in the shape discovery reads it
//! (the shapes `crate::lower` and `crate::identity` produce on the desired side).
//! [`write_blueprint`] turns it into blueprint YAML. It is pure: no AWS call.
//!
//! Whatever a blueprint cannot express, or whatever a plan of it would change (anything but
//! adopting: groundwork's ownership tags on objects it did not create), is written as a YAML
//! comment instead, with the reason. This is checked, not hoped for: the text is parsed with the
//! blueprint validator and planned against what was found, and every item that fails either is
//! commented out, until the blueprint validates and its plan only adopts.
//!
//! ```
//! use groundwork_plan::import::{Found, ImportOptions, write_blueprint};
//! use groundwork_plan::{Live, LiveOrganization};
//! let found = Found {
//!     live: Live {
//!         organization: Some(LiveOrganization {
//!             id: "o-abc123".into(),
//!             feature_set: "ALL".into(),
//!             management_account_id: "111111111111".into(),
//!             management_email: "root@acme.example".into(),
//!             root_id: "r-1".into(),
//!         }),
//!         ..Live::default()
//!     },
//!     ..Found::default()
//! };
//! let options = ImportOptions { home_region: "eu-west-1".into(), date: "2026-01-01".into(), ..ImportOptions::default() };
//! let imported = write_blueprint(&found, &options).unwrap();
//! assert!(imported.yaml.contains("home_region: eu-west-1"));
//! ```

mod yaml;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use groundwork_blueprint::{
    ASSUME_ROLE_SID, DEFAULT_ACCESS_ROLE, DEFAULT_MAX_MFA_AGE_SECONDS, Diagnostics, MANAGEMENT_HUB, OuPath,
    POLICY_VERSION, RoleTrust, SessionName, Severity,
};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use groundwork_blueprint::template::Reverse;

use crate::identity::{FORCE_MFA_POLICY, INLINE_POLICY, trust_policy};
use crate::kinds::Spec;
use crate::kinds::bucket::{BucketSpec, ObjectLock};
use crate::kinds::trail::TrailSpec;
use crate::plan::{Action, Change, Operation, PlanOptions, Summary, plan};
use crate::resource::{Ids, Kind, LiveResource, compact_policy};
use crate::state::{AccountStatus, Address, Desired, Live, LiveAccount, TAG_BLUEPRINT, TAG_WORKLOAD};

/// What `groundwork import` read from a live organization.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Found {
    /// The organization, its OUs and accounts, as discovery reads them (no resources).
    pub live: Live,
    /// Whether service control policies are enabled on the root.
    pub scp_policy_type: bool,
    /// Service principals with trusted access to the organization.
    pub service_access: Vec<String>,
    /// Every service control policy.
    pub scps: Vec<FoundScp>,
    /// Organization trails seen from the home region.
    pub org_trails: Vec<FoundTrail>,
    /// The organization trail's bucket, read in the log-archive account.
    pub bucket: Option<FoundBucket>,
    /// The bucket the log bucket's server access logs go to, read in the log-archive account.
    #[serde(default)]
    pub access_bucket: Option<FoundBucket>,
    /// The identity hub's IAM (only with a hub).
    pub hub: Option<FoundHub>,
    /// Roles in member accounts that trust the hub or EC2.
    pub roles: Vec<FoundRole>,
    /// What could not be read, for people.
    pub problems: Vec<String>,
}

/// A service control policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FoundScp {
    /// `p-…`
    pub id: String,
    /// Its name.
    pub name: String,
    /// Whether AWS owns it (`FullAWSAccess`).
    pub aws_managed: bool,
    /// `{ description, document, tags }` as discovery reads an SCP (tags: `groundwork:` ones).
    pub spec: Value,
    /// Where it is attached.
    pub targets: Vec<FoundTarget>,
}

/// Where an SCP is attached, by AWS id.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "type", content = "id", rename_all = "snake_case")]
pub enum FoundTarget {
    /// The root.
    Root(String),
    /// An OU.
    Ou(String),
    /// An account.
    Account(String),
}

/// An organization trail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FoundTrail {
    /// Its name.
    pub name: String,
    /// The region it lives in.
    pub home_region: String,
    /// Its spec as discovery reads a trail (`s3_bucket`, `multi_region`, …).
    pub spec: Value,
}

/// The organization trail's bucket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FoundBucket {
    /// The account it was looked for in.
    pub account_id: String,
    /// Its name.
    pub name: String,
    /// Its spec as discovery reads a bucket; `None` when it is not in that account.
    pub spec: Option<Value>,
}

/// The identity hub's IAM.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FoundHub {
    /// The hub's account id.
    pub account_id: String,
    /// The account password policy, if any.
    pub password_policy: Option<Value>,
    /// groundwork's ForceMFA managed policy (`{ document }`), if it exists.
    pub force_mfa: Option<Value>,
    /// Groups by name (`{ managed_policies, inline_policies }`).
    pub groups: BTreeMap<String, Value>,
    /// Users by name (`{ groups, console, tags, managed_policies, inline_policies }`).
    pub users: BTreeMap<String, Value>,
}

/// A role in a member account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FoundRole {
    /// The account it is in.
    pub account_id: String,
    /// Its name.
    pub name: String,
    /// Its spec as discovery reads a role.
    pub spec: Value,
    /// The instance profile of the same name (`{ roles }`), if any.
    pub instance_profile: Option<Value>,
}

/// How to write the blueprint.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportOptions {
    /// `organization.name`; default: the `groundwork:blueprint` tag found, else `imported`.
    pub name: Option<String>,
    /// `organization.home_region`.
    pub home_region: String,
    /// The identity hub's account name (`management` for the management account).
    pub hub: Option<String>,
    /// The log-archive account's name; default: a guess (see [`log_archive_account`]).
    pub log_archive: Option<String>,
    /// The organization access role (empty: the default).
    pub access_role: String,
    /// Today, for the header (`YYYY-MM-DD`).
    pub date: String,
}

/// The blueprint written, and what to tell the operator.
#[derive(Debug, Clone)]
pub struct Imported {
    /// The blueprint text (it validates).
    pub yaml: String,
    /// Items commented out, each with the reason.
    pub commented: Vec<String>,
    /// Other things worth knowing (changes a plan will still show, guesses made).
    pub notes: Vec<String>,
    /// Warnings of the validator.
    pub warnings: Vec<String>,
    /// What `groundwork plan` of the blueprint will show against the same organization.
    pub summary: Summary,
}

/// What [`log_archive_account`] looks for in account names.
const LOG_HINT: &str = "log";
/// An OU path containing this makes an account a sandbox.
const SANDBOX_HINT: &str = "Sandbox";
/// A role's session duration when the blueprint says nothing.
const DEFAULT_SESSION: u64 = 3600;
/// Whether a name is a valid `organization.name` (1–64 letters, digits, `-`, `_`, `.`).
pub fn valid_org_name(s: &str) -> bool {
    (1..=64).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// Active member accounts (not the management account).
fn members(live: &Live) -> impl Iterator<Item = &LiveAccount> {
    let management = live.organization.as_ref().map(|o| o.management_account_id.as_str());
    live.accounts.iter().filter(move |a| Some(a.id.as_str()) != management && a.status == AccountStatus::Active)
}

/// The active member account named `name`.
pub fn member_account<'a>(live: &'a Live, name: &str) -> Option<&'a LiveAccount> {
    members(live).find(|a| a.name == name)
}

/// The account holding the organization trail's bucket: the one named, else the only active
/// member account whose name contains `log` (case-insensitive), else `None`.
pub fn log_archive_account<'a>(live: &'a Live, name: Option<&str>) -> Option<&'a LiveAccount> {
    if let Some(n) = name {
        return member_account(live, n);
    }
    let mut candidates = members(live).filter(|a| a.name.to_lowercase().contains(LOG_HINT));
    let first = candidates.next()?;
    candidates.next().is_none().then_some(first)
}

/// Something the writer may comment out.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Item {
    Logging,
    Guardrail(String),
    ForceMfa,
    Group(String),
    User(String),
    Role(String),
}

impl Item {
    fn describe(&self) -> String {
        match self {
            Item::Logging => "logging".to_owned(),
            Item::Guardrail(n) => format!("guardrail {n}"),
            Item::ForceMfa => format!("require_mfa (policy {FORCE_MFA_POLICY})"),
            Item::Group(n) => format!("group {n}"),
            Item::User(n) => format!("user {n}"),
            Item::Role(n) => format!("role {n}"),
        }
    }
}

/// Lines of the blueprint, and the item they belong to (for diagnostics).
struct Piece {
    item: Option<Item>,
    lines: Vec<String>,
}

impl Piece {
    fn text(lines: Vec<String>) -> Self {
        Piece { item: None, lines }
    }
}

/// An account by name and id.
#[derive(Debug, Clone)]
struct Named {
    name: String,
    id: String,
}

/// A role as written, once per distinct definition found.
struct RoleDraft {
    name: String,
    /// Accounts it is in, by name.
    accounts: BTreeSet<String>,
    hub_trust: bool,
    /// Its blueprint entries: one when it can be imported, one per distinct definition otherwise.
    variants: Vec<Value>,
    /// Why it cannot be imported.
    problem: Option<String>,
}

/// A guardrail as written.
struct GuardrailDraft {
    name: String,
    entry: Value,
    /// Why it cannot be imported.
    problem: Option<String>,
    /// A comment to write above it.
    note: Option<String>,
}

/// What a rendering produced besides its pieces.
#[derive(Default)]
struct Rendered {
    /// Items commented out, with the reason.
    commented: Vec<String>,
    /// Notes for the operator.
    notes: Vec<String>,
}

/// Adds an item, or its lines commented out below the reason (`reason`, else why it is in
/// `excluded`).
fn emit(
    pieces: &mut Vec<Piece>,
    out: &mut Rendered,
    excluded: &BTreeMap<Item, String>,
    item: Item,
    lines: Vec<String>,
    indent: usize,
    reason: Option<&String>,
) {
    match reason.or(excluded.get(&item)) {
        Some(why) => {
            out.commented.push(format!("{}: {why}", item.describe()));
            let mut text = vec![yaml::comment(indent, &format!("Not imported: {why}"))];
            text.extend(yaml::commented(&lines));
            pieces.push(Piece::text(text));
        }
        None => pieces.push(Piece { item: Some(item), lines }),
    }
}

/// Everything the writer knows that does not depend on what is commented out.
struct Cx<'a> {
    found: &'a Found,
    opts: &'a ImportOptions,
    org_id: String,
    management_id: String,
    name: String,
    /// Member accounts written, sorted by name, with their purpose.
    accounts: Vec<(&'a LiveAccount, &'static str)>,
    /// Account id → name, for the accounts written.
    names: HashMap<String, String>,
    /// OU id → path.
    ou_paths: HashMap<String, OuPath>,
    hub: Option<Named>,
    log: Option<Named>,
    /// Notes that do not depend on what is commented out.
    notes: Vec<String>,
    /// Comments for the accounts section.
    account_comments: Vec<String>,
}

/// Tags without groundwork's own (a blueprint may not set them).
fn user_tags(tags: impl IntoIterator<Item = (String, String)>) -> Map<String, Value> {
    tags.into_iter().filter(|(k, _)| !k.starts_with("groundwork:")).map(|(k, v)| (k, Value::String(v))).collect()
}

fn strings(v: &Value) -> Vec<String> {
    match v {
        Value::Array(a) => a.iter().filter_map(|s| s.as_str().map(str::to_owned)).collect(),
        Value::String(s) => vec![s.clone()],
        _ => Vec::new(),
    }
}

/// A policy document with its keys in reading order (`Version`, `Id`, `Statement`; a
/// statement's `Sid`, `Effect`, `Action`, `Resource`, `Condition`), one-item lists as the item.
fn readable(doc: &Value) -> Value {
    const DOC: &[&str] = &["Version", "Id", "Statement"];
    const STATEMENT: &[&str] =
        &["Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource", "NotResource", "Condition"];
    fn ordered(v: &Value, order: &[&str]) -> Value {
        let Value::Object(m) = v else { return v.clone() };
        let mut out = Map::new();
        for k in order {
            if let Some(x) = m.get(*k) {
                out.insert((*k).to_owned(), x.clone());
            }
        }
        for (k, x) in m {
            if !out.contains_key(k) {
                out.insert(k.clone(), x.clone());
            }
        }
        Value::Object(out)
    }
    let mut doc = ordered(&compact_policy(doc), DOC);
    if let Some(Value::Array(statements)) = doc.get_mut("Statement") {
        for s in statements.iter_mut() {
            *s = ordered(s, STATEMENT);
        }
    }
    doc
}

/// The statements of a policy document, compacted and in reading order.
fn readable_statements(statements: &[Value]) -> Vec<Value> {
    let doc = readable(&json!({ "Version": POLICY_VERSION, "Statement": statements }));
    doc["Statement"].as_array().cloned().unwrap_or_default()
}

/// The statements of the one inline policy groundwork writes (`groundwork`); `Err` when there are
/// others or the document has more than a version and statements.
fn groundwork_statements(inline: &Value) -> Result<Vec<Value>, String> {
    let Some(m) = inline.as_object() else { return Ok(Vec::new()) };
    let others: Vec<&str> = m.keys().filter(|k| *k != INLINE_POLICY).map(String::as_str).collect();
    if !others.is_empty() {
        return Err(format!(
            "it has inline policies groundwork does not write ({}); groundwork keeps one, named `{INLINE_POLICY}`, and would delete them",
            others.join(", ")
        ));
    }
    let Some(doc) = m.get(INLINE_POLICY) else { return Ok(Vec::new()) };
    let extra: Vec<&str> = doc
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, _)| k.as_str())
        .filter(|k| *k != "Version" && *k != "Statement")
        .collect();
    if doc.get("Version").and_then(Value::as_str) != Some(POLICY_VERSION) || !extra.is_empty() {
        return Err(format!("its inline policy `{INLINE_POLICY}` is not a plain version {POLICY_VERSION} document"));
    }
    Ok(match &doc["Statement"] {
        Value::Array(a) => a.clone(),
        other => vec![other.clone()],
    })
}

/// `arn:aws:iam::ACCOUNT:role/PATH/NAME` → (account id, role name); the path is groundwork's
/// (`identity.role_path`), checked by planning the imported blueprint against what exists.
fn role_arn(arn: &str) -> Option<(&str, &str)> {
    let rest = arn.strip_prefix("arn:aws:iam::")?;
    let (account, path_name) = rest.split_once(":role/")?;
    let name = path_name.rsplit('/').next()?;
    (account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()) && !name.is_empty() && !name.contains('*'))
        .then_some((account, name))
}

/// The `aws:MultiFactorAuthAge` bound of a trust policy, if any.
fn mfa_age(trust: &Value) -> Option<u32> {
    trust["Statement"].as_array()?.iter().find_map(|s| {
        let v = &s["Condition"]["NumericLessThan"]["aws:MultiFactorAuthAge"];
        strings(v).first().and_then(|x| x.parse().ok())
    })
}

impl<'a> Cx<'a> {
    fn new(found: &'a Found, opts: &'a ImportOptions) -> Self {
        let live = &found.live;
        let org = live.organization.clone().unwrap_or_else(|| crate::state::LiveOrganization {
            id: String::new(),
            feature_set: crate::state::FeatureSet::All,
            management_account_id: String::new(),
            management_email: String::new(),
            root_id: String::new(),
        });
        let mut notes = Vec::new();
        let mut account_comments = Vec::new();
        // Accounts: active members, unique names.
        let mut seen: BTreeMap<&str, &str> = BTreeMap::new();
        let mut written: Vec<&LiveAccount> = Vec::new();
        for a in &live.accounts {
            if a.id == org.management_account_id {
                continue;
            }
            if a.status != AccountStatus::Active {
                account_comments.push(format!(
                    "Skipped: account {} <{}> ({}) is {}; groundwork manages only ACTIVE accounts.",
                    a.name, a.email, a.id, a.status
                ));
                continue;
            }
            if let Some(first) = seen.get(a.name.as_str()) {
                account_comments.push(format!(
                    "Skipped: account {} <{}> ({}) has the same name as account {first}; blueprint account names are unique. Rename one in AWS and import again.",
                    a.name, a.email, a.id
                ));
                continue;
            }
            seen.insert(&a.name, &a.id);
            written.push(a);
        }
        written.sort_by(|a, b| a.name.cmp(&b.name));
        let names: HashMap<String, String> = written.iter().map(|a| (a.id.clone(), a.name.clone())).collect();
        let find = |name: &str| {
            written.iter().find(|a| a.name == name).map(|a| Named { name: a.name.clone(), id: a.id.clone() })
        };
        let hub = opts.hub.as_deref().and_then(|h| {
            if h == MANAGEMENT_HUB {
                Some(Named { name: MANAGEMENT_HUB.to_owned(), id: org.management_account_id.clone() })
            } else {
                find(h)
            }
        });
        let mut log = match &opts.log_archive {
            Some(n) => find(n),
            None => log_archive_account(live, None).and_then(|a| find(&a.name)),
        };
        if let (Some(l), None) = (&log, &opts.log_archive) {
            notes.push(format!(
                "took {} as the log-archive account (its name contains `{LOG_HINT}`); pass --log-archive NAME to choose another",
                l.name
            ));
        }
        if log.as_ref().zip(hub.as_ref()).is_some_and(|(l, h)| l.id == h.id) {
            notes.push(
                "the log-archive account is the identity hub; an account has one purpose, so it is the hub".into(),
            );
            log = None;
        }
        let accounts = written
            .into_iter()
            .map(|a| {
                let purpose = if hub.as_ref().is_some_and(|h| h.id == a.id) {
                    "identity"
                } else if log.as_ref().is_some_and(|l| l.id == a.id) {
                    "log-archive"
                } else if a.tags.contains_key(TAG_WORKLOAD) {
                    "workload"
                } else if a.parent.to_string().contains(SANDBOX_HINT) {
                    "sandbox"
                } else {
                    "shared"
                };
                (a, purpose)
            })
            .collect();
        // The name: given, else the blueprint tag most objects carry.
        let mut tagged: BTreeMap<&str, usize> = BTreeMap::new();
        for tags in live.ous.iter().map(|o| &o.tags).chain(live.accounts.iter().map(|a| &a.tags)) {
            if let Some(b) = tags.get(TAG_BLUEPRINT) {
                *tagged.entry(b.as_str()).or_default() += 1;
            }
        }
        let from_tags = tagged.iter().max_by_key(|(n, c)| (**c, std::cmp::Reverse(**n))).map(|(n, _)| (*n).to_owned());
        if tagged.len() > 1 {
            notes.push(format!(
                "objects carry the {TAG_BLUEPRINT} tags of several blueprints ({}); a plan refuses objects another blueprint owns",
                tagged.keys().copied().collect::<Vec<_>>().join(", ")
            ));
        }
        let name = match (&opts.name, from_tags) {
            (Some(n), _) => n.clone(),
            (None, Some(n)) if valid_org_name(&n) => n,
            _ => "imported".to_owned(),
        };
        Cx {
            found,
            opts,
            org_id: org.id.clone(),
            management_id: org.management_account_id.clone(),
            name,
            accounts,
            names,
            ou_paths: live.ous.iter().map(|o| (o.id.clone(), o.path.clone())).collect(),
            hub,
            log,
            notes,
            account_comments,
        }
    }

    /// Ids by the names this blueprint uses.
    fn ids(&self) -> Ids {
        let mut ids = Ids {
            org_id: Some(self.org_id.clone()),
            management_account_id: Some(self.management_id.clone()),
            root_id: self.found.live.organization.as_ref().map(|o| o.root_id.clone()),
            ..Ids::default()
        };
        for (a, _) in &self.accounts {
            ids.accounts.insert(a.name.clone(), a.id.clone());
        }
        ids
    }

    /// Ids as placeholders: `own` (the account a policy is deployed in) as `{account_id}`, other
    /// member accounts as `{account_id:NAME}`, the management account and the organization.
    fn id_subs(&self, own: Option<&str>) -> Reverse<'_> {
        let mut subs = Reverse::new();
        if let Some(own) = own {
            subs = subs.account_id(own.to_owned());
        }
        for (a, _) in &self.accounts {
            if Some(a.id.as_str()) != own {
                subs = subs.account(&a.name, a.id.as_str());
            }
        }
        if Some(self.management_id.as_str()) != own {
            subs = subs.management_account_id(self.management_id.as_str());
        }
        subs.org_id(self.org_id.as_str())
    }

    fn access_role(&self) -> &str {
        if self.opts.access_role.is_empty() { DEFAULT_ACCESS_ROLE } else { &self.opts.access_role }
    }

    fn organization(&self) -> Piece {
        let org = self.found.live.organization.as_ref();
        let mut management = Map::new();
        management.insert("email".into(), json!(org.map(|o| o.management_email.as_str()).unwrap_or_default()));
        if let Some(m) = self.found.live.accounts.iter().find(|a| a.id == self.management_id) {
            management.insert("name".into(), json!(m.name));
        }
        let mut o = Map::new();
        o.insert("name".into(), json!(self.name));
        o.insert("home_region".into(), json!(self.opts.home_region));
        o.insert("management_account".into(), Value::Object(management));
        if self.access_role() != DEFAULT_ACCESS_ROLE {
            o.insert("access_role".into(), json!(self.access_role()));
        }
        let mut lines = vec!["version: 1".to_owned(), String::new(), "organization:".to_owned()];
        yaml::mapping(&mut lines, &o, 2);
        Piece::text(lines)
    }

    fn organizational_units(&self) -> Piece {
        fn children(live: &Live, parent: &OuPath) -> Vec<Value> {
            let mut seen = BTreeSet::new();
            live.ous
                .iter()
                .filter(|o| o.path.depth() == parent.depth() + 1 && o.path.parent() == *parent)
                .filter(|o| seen.insert(o.path.clone()))
                .map(|o| {
                    let mut m = Map::new();
                    m.insert("name".into(), json!(o.path.name()));
                    let tags = user_tags(o.tags.clone());
                    if !tags.is_empty() {
                        m.insert("tags".into(), Value::Object(tags));
                    }
                    let kids = children(live, &o.path);
                    if !kids.is_empty() {
                        m.insert("children".into(), Value::Array(kids));
                    }
                    Value::Object(m)
                })
                .collect()
        }
        let tree = children(&self.found.live, &OuPath::root());
        let mut lines = vec![String::new()];
        if tree.is_empty() {
            lines.push("# organizational_units: the organization has none".into());
        } else {
            lines.push("organizational_units:".into());
            yaml::sequence(&mut lines, &tree, 2);
        }
        Piece::text(lines)
    }

    fn accounts(&self) -> Piece {
        let mut lines = vec![String::new()];
        let items: Vec<Value> = self
            .accounts
            .iter()
            .map(|(a, purpose)| {
                let mut m = Map::new();
                m.insert("name".into(), json!(a.name));
                m.insert("email".into(), json!(a.email));
                m.insert("ou".into(), json!(a.parent.to_string()));
                m.insert("purpose".into(), json!(purpose));
                let tags = user_tags(a.tags.clone());
                if !tags.is_empty() {
                    m.insert("tags".into(), Value::Object(tags));
                }
                Value::Object(m)
            })
            .collect();
        if items.is_empty() {
            lines.push("# accounts: the organization has no member account".into());
        } else {
            lines.push("accounts:".into());
            for c in &self.account_comments {
                lines.push(yaml::comment(2, c));
            }
            yaml::sequence(&mut lines, &items, 2);
        }
        let workloads: Vec<&str> =
            self.accounts.iter().filter(|(_, p)| *p == "workload").map(|(a, _)| a.name.as_str()).collect();
        if !workloads.is_empty() {
            lines.push(String::new());
            lines.push(yaml::comment(
                0,
                &format!(
                    "Workload accounts (tagged {TAG_WORKLOAD}) are written out one by one above: {}.",
                    workloads.join(", ")
                ),
            ));
            lines.push(yaml::comment(
                0,
                "They could be folded into `workloads:` (one entry per workload with its environments, and `workload_defaults` templates); groundwork import does not reconstruct them.",
            ));
        }
        Piece::text(lines)
    }

    /// The `logging` entry, or why there is none.
    fn logging_value(&self) -> Result<Value, String> {
        let region = &self.opts.home_region;
        let trails = &self.found.org_trails;
        let Some(trail) = trails.iter().find(|t| &t.home_region == region) else {
            return Err(match trails.first() {
                Some(t) => format!(
                    "organization trail {} lives in {}, not in the home region {region}; import with --home-region {}",
                    t.name, t.home_region, t.home_region
                ),
                None => format!(
                    "no organization trail was found in {region}; groundwork manages none until a `logging` section is added"
                ),
            });
        };
        let trail_spec = TrailSpec::from_value(&trail.spec).map_err(|e| e.to_string())?;
        let bucket_name = trail_spec.s3_bucket.as_str();
        let Some(log) = &self.log else {
            return Err(format!(
                "organization trail {} delivers to bucket {bucket_name}, and which account holds it is not known: import with --log-archive ACCOUNT",
                trail.name
            ));
        };
        let bucket = self.found.bucket.as_ref().filter(|b| b.name == bucket_name && b.account_id == log.id);
        let Some(spec) = bucket.and_then(|b| b.spec.as_ref()) else {
            return Err(format!(
                "bucket {bucket_name} of organization trail {} was not found in account {}; import with --log-archive ACCOUNT naming the account that holds it",
                trail.name, log.name
            ));
        };
        let mut m = Map::new();
        m.insert("account".into(), json!(log.name));
        m.insert("bucket".into(), json!(Reverse::new().account_id(log.id.as_str()).apply(bucket_name)));
        if !bucket_name.contains(&log.id) {
            // A name without the account id is accepted explicitly (validate refuses it otherwise).
            m.insert("global_bucket_name".into(), json!(true));
        }
        m.insert("trail".into(), json!(trail.name));
        let spec = BucketSpec::from_value(spec).map_err(|e| e.to_string())?;
        m.insert("all_regions".into(), json!(trail_spec.multi_region));
        m.insert("log_file_validation".into(), json!(trail_spec.log_file_validation));
        if let Some(days) = spec.lifecycle_expiration_days {
            m.insert("retention_days".into(), json!(days));
        }
        if let Some(ObjectLock { mode: Some(mode), days: Some(days) }) = &spec.object_lock {
            m.insert("object_lock".into(), json!({ "mode": mode.to_lowercase(), "days": days }));
        }
        if let Some(role) = exception_role(&spec.policy) {
            m.insert("protection_exception_role".into(), json!(role));
        }
        if let Some(l) = &spec.access_logging {
            m.insert(
                "access_log_bucket".into(),
                json!(Reverse::new().account_id(log.id.as_str()).apply(&l.target_bucket)),
            );
        }
        if let Some(events) = data_events(&trail.spec["event_selectors"], bucket_name, &log.id) {
            m.insert("data_events".into(), events);
        }
        let key = trail_spec.kms_key_id.as_deref().or_else(|| spec.encryption.as_ref()?.kms_key_id.as_deref());
        if let Some(key) = key {
            m.insert("kms_key_arn".into(), json!(key));
        }
        Ok(Value::Object(m))
    }

    fn target_value(&self, t: &FoundTarget) -> Result<(u8, Value), String> {
        match t {
            FoundTarget::Root(_) => Ok((0, json!("Root"))),
            FoundTarget::Ou(id) => match self.ou_paths.get(id) {
                Some(p) => Ok((1, json!({ "ou": p.to_string() }))),
                None => Err(format!("OU {id}")),
            },
            FoundTarget::Account(id) => match self.names.get(id) {
                Some(n) => Ok((2, json!({ "account": n }))),
                None if *id == self.management_id => Err(format!("the management account ({id})")),
                None => Err(format!("account {id}")),
            },
        }
    }

    /// Each SCP but AWS's own, as an entry, with why it cannot be imported or a note.
    fn guardrails(&self) -> Vec<GuardrailDraft> {
        let mut scps: Vec<&FoundScp> =
            self.found.scps.iter().filter(|s| !s.aws_managed && s.name != "FullAWSAccess").collect();
        scps.sort_by(|a, b| a.name.cmp(&b.name));
        scps.into_iter()
            .map(|s| {
                let mut targets = Vec::new();
                let mut outside = Vec::new();
                for t in &s.targets {
                    match self.target_value(t) {
                        Ok(v) => targets.push(v),
                        Err(what) => outside.push(what),
                    }
                }
                targets.sort_by_key(|a| (a.0, a.1.to_string()));
                let mut m = Map::new();
                m.insert("name".into(), json!(s.name));
                m.insert("description".into(), json!(s.spec["description"].as_str().unwrap_or_default()));
                m.insert("document".into(), readable(&self.id_subs(None).apply_json(&s.spec["document"])));
                let unattached = targets.is_empty();
                m.insert("targets".into(), Value::Array(targets.into_iter().map(|(_, v)| v).collect()));
                let (problem, note) = match (unattached, outside.is_empty()) {
                    (true, true) => (Some(format!("SCP {} ({}) is attached to nothing", s.name, s.id)), None),
                    (true, false) => (
                        Some(format!(
                            "SCP {} ({}) is attached only to {}, which a blueprint cannot name",
                            s.name,
                            s.id,
                            outside.join(", ")
                        )),
                        None,
                    ),
                    (false, true) => (None, None),
                    (false, false) => (
                        None,
                        Some(format!(
                            "Also attached to {}, which a blueprint cannot name; a plan leaves that attachment alone.",
                            outside.join(", ")
                        )),
                    ),
                };
                GuardrailDraft { name: s.name.clone(), entry: Value::Object(m), problem, note }
            })
            .collect()
    }

    /// The trust a role's live trust policy is, when it is one groundwork writes.
    fn trust_kind(&self, live: &Value) -> Option<RoleTrust> {
        if *live == trust_policy(RoleTrust::Ec2, None) {
            return Some(RoleTrust::Ec2);
        }
        let hub = self.hub.as_ref()?;
        let hub_name = (hub.name != MANAGEMENT_HUB).then_some(hub.name.as_str());
        let max_mfa_age_seconds = mfa_age(live)?;
        [SessionName::Username, SessionName::Any]
            .into_iter()
            .map(|session_name| RoleTrust::Hub { max_mfa_age_seconds, session_name })
            .find(|trust| self.ids().resolve_spec(&trust_policy(*trust, hub_name)) == *live)
    }

    /// What must be equal in every account for one role entry to describe them all.
    fn role_signature(&self, account: &str, r: &FoundRole, with_name: bool) -> Result<Value, String> {
        let id = self.ids().accounts.get(account).cloned().unwrap_or_default();
        let trust = self.trust_kind(&r.spec["trust"]).ok_or_else(|| {
            "its trust policy is not one groundwork writes (the identity hub's root with MFA present, or EC2)"
                .to_owned()
        })?;
        let statements = groundwork_statements(&r.spec["inline_policies"])?;
        let mut subs = self.id_subs(Some(&id));
        if with_name {
            subs = subs.account_name(account);
        }
        let statements = subs.apply_json(&Value::Array(statements));
        let mut session = SessionName::Username;
        let (trust, age) = match trust {
            RoleTrust::Ec2 => {
                if r.instance_profile.as_ref().map(|p| &p["roles"]) != Some(&json!([r.name])) {
                    return Err(format!(
                        "it is an EC2 role without an instance profile {} holding only it; groundwork would make one",
                        r.name
                    ));
                }
                ("ec2", None)
            }
            RoleTrust::Hub { max_mfa_age_seconds, session_name } => {
                session = session_name;
                ("hub", Some(max_mfa_age_seconds))
            }
        };
        Ok(json!({
            "description": r.spec["description"],
            "trust": trust,
            "max_mfa_age_seconds": age,
            "session_name": if session == SessionName::Any { json!("any") } else { Value::Null },
            "max_session_seconds": r.spec["max_session_seconds"],
            "managed_policies": r.spec["managed_policies"],
            "statements": statements,
        }))
    }

    fn role_entry(name: &str, accounts: &[&str], sig: &Value) -> Value {
        let mut m = Map::new();
        m.insert("name".into(), json!(name));
        if let Some(d) = sig["description"].as_str().filter(|d| !d.is_empty()) {
            m.insert("description".into(), json!(d));
        }
        m.insert("select".into(), json!({ "accounts": accounts }));
        m.insert("trust".into(), sig["trust"].clone());
        if sig["max_mfa_age_seconds"].as_u64().is_some_and(|a| a != u64::from(DEFAULT_MAX_MFA_AGE_SECONDS)) {
            m.insert("max_mfa_age_seconds".into(), sig["max_mfa_age_seconds"].clone());
        }
        if !sig["session_name"].is_null() {
            m.insert("session_name".into(), sig["session_name"].clone());
        }
        if sig["max_session_seconds"].as_u64().is_some_and(|s| s != DEFAULT_SESSION) {
            m.insert("max_session_seconds".into(), sig["max_session_seconds"].clone());
        }
        if sig["managed_policies"].as_array().is_some_and(|a| !a.is_empty()) {
            m.insert("managed_policies".into(), sig["managed_policies"].clone());
        }
        if let Some(s) = sig["statements"].as_array().filter(|a| !a.is_empty()) {
            m.insert("statements".into(), Value::Array(readable_statements(s)));
        }
        Value::Object(m)
    }

    fn roles(&self) -> Vec<RoleDraft> {
        let mut by_name: BTreeMap<&str, Vec<(&str, &FoundRole)>> = BTreeMap::new();
        for r in &self.found.roles {
            if r.name == self.access_role() || r.name == DEFAULT_ACCESS_ROLE || r.name.starts_with("AWSServiceRoleFor")
            {
                continue;
            }
            let Some(account) = self.names.get(&r.account_id) else { continue };
            by_name.entry(&r.name).or_default().push((account, r));
        }
        let mut out = Vec::new();
        for (name, mut found) in by_name {
            found.sort_by(|a, b| a.0.cmp(b.0));
            let accounts: BTreeSet<String> = found.iter().map(|(a, _)| (*a).to_owned()).collect();
            let signatures = |with_name: bool| -> Result<Vec<Value>, String> {
                found
                    .iter()
                    .map(|(a, r)| self.role_signature(a, r, with_name).map_err(|e| format!("in {a}: {e}")))
                    .collect()
            };
            let mut draft =
                RoleDraft { name: name.to_owned(), hub_trust: false, accounts, variants: Vec::new(), problem: None };
            match signatures(false) {
                Err(e) => draft.problem = Some(e),
                Ok(plain) => {
                    let named = signatures(true).unwrap_or_else(|_| plain.clone());
                    let uniform = |sigs: &[Value]| sigs.windows(2).all(|w| w[0] == w[1]);
                    let sigs = if uniform(&plain) || !uniform(&named) { plain } else { named };
                    draft.hub_trust = sigs[0]["trust"] == "hub";
                    // Group accounts by identical definition.
                    let mut variants: Vec<(Value, Vec<&str>)> = Vec::new();
                    for ((account, _), sig) in found.iter().zip(&sigs) {
                        match variants.iter_mut().find(|(s, _)| s == sig) {
                            Some((_, accounts)) => accounts.push(account),
                            None => variants.push((sig.clone(), vec![account])),
                        }
                    }
                    if variants.len() > 1 {
                        let keys: Vec<&str> = [
                            "description",
                            "trust",
                            "max_mfa_age_seconds",
                            "session_name",
                            "max_session_seconds",
                            "managed_policies",
                            "statements",
                        ]
                        .into_iter()
                        .filter(|k| variants.windows(2).any(|w| w[0].0[*k] != w[1].0[*k]))
                        .collect();
                        draft.problem = Some(format!(
                            "its {} differ between accounts ({}); one role entry deploys one definition to every account it selects",
                            keys.join(", "),
                            variants.iter().map(|(_, a)| a.join(", ")).collect::<Vec<_>>().join(" / ")
                        ));
                    }
                    draft.variants =
                        variants.iter().map(|(sig, accounts)| Self::role_entry(name, accounts, sig)).collect();
                }
            }
            out.push(draft);
        }
        out
    }

    /// `grants:` from the statement groundwork generates, when every role ARN in it names a
    /// hub-trusting role of the blueprint deployed in that account.
    fn grants(
        statement: &Value,
        roles: &BTreeMap<&str, &BTreeSet<String>>,
        names: &HashMap<String, String>,
    ) -> Option<Value> {
        let m = statement.as_object()?;
        if m.keys().any(|k| !matches!(k.as_str(), "Sid" | "Effect" | "Action" | "Resource"))
            || m.get("Effect")? != "Allow"
            || strings(m.get("Action")?) != ["sts:AssumeRole"]
        {
            return None;
        }
        let mut grants: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
        let resources = strings(m.get("Resource")?);
        for arn in &resources {
            let (id, role) = role_arn(arn)?;
            let account = names.get(id)?;
            let (role, deployed) = roles.get_key_value(role)?;
            if !deployed.contains(account) {
                return None;
            }
            grants.entry(role).or_default().insert(account.clone());
        }
        (!grants.is_empty()).then(|| {
            Value::Array(
                grants.into_iter().map(|(role, accounts)| json!({ "role": role, "accounts": accounts })).collect(),
            )
        })
    }

    fn group_value(
        &self,
        name: &str,
        spec: &Value,
        hub: &Named,
        require_mfa: bool,
        roles: &BTreeMap<&str, &BTreeSet<String>>,
    ) -> Result<Value, String> {
        let force_mfa = format!("arn:aws:iam::{}:policy/{FORCE_MFA_POLICY}", hub.id);
        let managed: Vec<String> =
            strings(&spec["managed_policies"]).into_iter().filter(|a| !(require_mfa && *a == force_mfa)).collect();
        let statements = groundwork_statements(&spec["inline_policies"])?;
        let subs = self.id_subs(Some(&hub.id));
        let mut own = Vec::new();
        let mut grants = None;
        for s in statements {
            if s["Sid"] == ASSUME_ROLE_SID {
                grants = Self::grants(&s, roles, &self.names);
                if grants.is_some() {
                    continue;
                }
                // Not all of it can be grants: it stays a statement, as it is.
            }
            own.push(subs.apply_json(&s));
        }
        let mut m = Map::new();
        m.insert("name".into(), json!(name));
        if let Some(g) = grants {
            m.insert("grants".into(), g);
        }
        if !managed.is_empty() {
            m.insert("managed_policies".into(), json!(managed));
        }
        if !own.is_empty() {
            m.insert("statements".into(), Value::Array(readable_statements(&own)));
        }
        Ok(Value::Object(m))
    }

    fn user_value(name: &str, spec: &Value, groups: &BTreeSet<&str>) -> Result<Value, String> {
        let direct: Vec<String> =
            strings(&spec["managed_policies"]).into_iter().chain(strings(&spec["inline_policies"])).collect();
        if !direct.is_empty() {
            return Err(format!(
                "it has policies of its own ({}); users get permissions only through groups, and applying would remove them",
                direct.join(", ")
            ));
        }
        let mine = strings(&spec["groups"]);
        let missing: Vec<&str> = mine.iter().map(String::as_str).filter(|g| !groups.contains(g)).collect();
        if !missing.is_empty() {
            return Err(format!("it is in groups that are not imported ({})", missing.join(", ")));
        }
        let mut m = Map::new();
        m.insert("name".into(), json!(name));
        if !mine.is_empty() {
            m.insert("groups".into(), json!(mine));
        }
        if spec["console"] == true {
            m.insert("console".into(), json!(true));
        }
        let tags = user_tags(
            spec["tags"]
                .as_object()
                .into_iter()
                .flatten()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned())),
        );
        if !tags.is_empty() {
            m.insert("tags".into(), Value::Object(tags));
        }
        Ok(Value::Object(m))
    }

    fn password_policy(spec: Option<&Value>, notes: &mut Vec<String>) -> Map<String, Value> {
        let mut m = Map::new();
        let Some(p) = spec else {
            notes.push("the hub has no password policy; applying sets groundwork's defaults".into());
            return m;
        };
        let min = p["min_length"].as_u64().unwrap_or(0);
        if min > 0 {
            m.insert("min_length".into(), json!(min));
            if min < u64::from(groundwork_blueprint::MIN_PASSWORD_LENGTH) {
                m.insert("allow_weak".into(), json!(true));
            }
        }
        for key in ["require_uppercase", "require_lowercase", "require_numbers", "require_symbols"] {
            m.insert(key.into(), json!(p[key].as_bool().unwrap_or(false)));
        }
        for (key, what) in
            [("max_age_days", "passwords never expire"), ("reuse_prevention", "old passwords may be reused")]
        {
            match p[key].as_u64() {
                Some(n) if n > 0 => {
                    m.insert(key.into(), json!(n));
                }
                _ => notes.push(format!(
                    "the hub's password policy has no {key} ({what}); a blueprint always sets one, so applying sets groundwork's default"
                )),
            }
        }
        m.insert("allow_users_to_change".into(), json!(p["allow_users_to_change"].as_bool().unwrap_or(false)));
        m
    }

    /// Every piece of the blueprint below the header, items in `excluded` commented out with
    /// the reason.
    fn pieces(&self, excluded: &BTreeMap<Item, String>) -> (Vec<Piece>, Rendered) {
        let mut out = Rendered { notes: self.notes.clone(), ..Rendered::default() };
        let mut pieces = vec![self.organization(), self.organizational_units(), self.accounts()];

        // logging
        match self.logging_value() {
            Ok(v) => {
                let mut body = vec!["logging:".to_owned()];
                yaml::mapping(&mut body, v.as_object().unwrap_or(&Map::new()), 2);
                pieces.push(Piece::text(vec![String::new()]));
                emit(&mut pieces, &mut out, excluded, Item::Logging, body, 0, None);
            }
            Err(why) => {
                pieces.push(Piece::text(vec![String::new(), yaml::comment(0, &format!("logging: {why}."))]));
                out.notes.push(format!("logging: {why}"));
            }
        }

        // guardrails
        let guardrails = self.guardrails();
        if !guardrails.is_empty() {
            let active = guardrails
                .iter()
                .any(|g| g.problem.is_none() && !excluded.contains_key(&Item::Guardrail(g.name.clone())));
            let head = ["guardrails:".to_owned(), "  policies:".to_owned()];
            let mut lines = vec![String::new()];
            lines.extend(if active { head.to_vec() } else { yaml::commented(&head) });
            pieces.push(Piece::text(lines));
            for g in &guardrails {
                let mut body = Vec::new();
                if let Some(note) = &g.note {
                    body.push(yaml::comment(4, note));
                }
                yaml::sequence(&mut body, std::slice::from_ref(&g.entry), 4);
                emit(&mut pieces, &mut out, excluded, Item::Guardrail(g.name.clone()), body, 4, g.problem.as_ref());
            }
        }

        // Roles are decided first (grants depend on them) and written last.
        let roles = self.roles();
        let active_roles: BTreeMap<&str, &BTreeSet<String>> = roles
            .iter()
            .filter(|r| r.problem.is_none() && r.hub_trust && !excluded.contains_key(&Item::Role(r.name.clone())))
            .map(|r| (r.name.as_str(), &r.accounts))
            .collect();

        // identity
        if let (Some(hub), Some(found)) = (&self.hub, &self.found.hub) {
            let force_mfa = format!("arn:aws:iam::{}:policy/{FORCE_MFA_POLICY}", hub.id);
            let everywhere = found.groups.values().all(|g| strings(&g["managed_policies"]).contains(&force_mfa));
            let require_mfa = found.force_mfa.is_some() && everywhere && !excluded.contains_key(&Item::ForceMfa);
            if found.force_mfa.is_some() && !require_mfa {
                let why = excluded
                    .get(&Item::ForceMfa)
                    .map_or_else(|| format!("policy {FORCE_MFA_POLICY} is not attached to every group"), Clone::clone);
                out.notes.push(format!("require_mfa is false: {why}"));
            }
            let mut lines = vec![String::new(), "identity:".to_owned()];
            let mut m = Map::new();
            m.insert("account".into(), json!(hub.name));
            m.insert("require_mfa".into(), json!(require_mfa));
            let mut policy_notes = Vec::new();
            let policy = Self::password_policy(found.password_policy.as_ref(), &mut policy_notes);
            if !policy.is_empty() {
                m.insert("password_policy".into(), Value::Object(policy));
            }
            yaml::mapping(&mut lines, &m, 2);
            for n in &policy_notes {
                lines.push(yaml::comment(2, &format!("{n}.")));
            }
            out.notes.extend(policy_notes);
            pieces.push(Piece::text(lines));
            let groups: Vec<(String, Result<Value, String>)> = found
                .groups
                .iter()
                .map(|(name, spec)| (name.clone(), self.group_value(name, spec, hub, require_mfa, &active_roles)))
                .collect();
            let active_groups: BTreeSet<&str> = groups
                .iter()
                .filter(|(n, r)| r.is_ok() && !excluded.contains_key(&Item::Group(n.clone())))
                .map(|(n, _)| n.as_str())
                .collect();
            let groups: Vec<(Item, Result<Value, String>)> =
                groups.iter().map(|(n, r)| (Item::Group(n.clone()), r.clone())).collect();
            list_section(&mut pieces, &mut out, excluded, "groups", &groups);
            let users: Vec<(Item, Result<Value, String>)> = found
                .users
                .iter()
                .map(|(name, spec)| (Item::User(name.clone()), Self::user_value(name, spec, &active_groups)))
                .collect();
            list_section(&mut pieces, &mut out, excluded, "users", &users);
        } else if let Some(h) = &self.opts.hub {
            let why = format!("identity: account {h} is not among the active member accounts");
            pieces.push(Piece::text(vec![String::new(), yaml::comment(0, &format!("{why}."))]));
            out.notes.push(why);
        }

        // roles
        if !roles.is_empty() {
            let active =
                roles.iter().any(|r| r.problem.is_none() && !excluded.contains_key(&Item::Role(r.name.clone())));
            pieces.push(Piece::text(vec![String::new(), if active { "roles:" } else { "# roles:" }.to_owned()]));
            for r in &roles {
                let mut body = Vec::new();
                yaml::sequence(&mut body, &r.variants, 2);
                if body.is_empty() {
                    body.push(format!("  - name: {}", yaml::string(&r.name, false)));
                }
                emit(&mut pieces, &mut out, excluded, Item::Role(r.name.clone()), body, 2, r.problem.as_ref());
            }
        }

        // baseline: not read by import yet, so written off (on by default, it would plan changes).
        pieces.push(Piece::text(vec![
            String::new(),
            yaml::comment(
                0,
                "The account baseline is not imported yet: remove `enabled: false` to have groundwork converge it.",
            ),
            "baseline: { enabled: false }".to_owned(),
        ]));
        (pieces, out)
    }

    /// The live state with every resource the blueprint names that was found, keyed as
    /// discovery keys them.
    fn live_with_resources(&self, desired: &Desired) -> Live {
        let found = self.found;
        let mut live = found.live.clone();
        let ids = live.ids(desired);
        for r in &desired.resources {
            let at = ids.resolve_locator(&r.at);
            if crate::resource::is_unresolved(&at.name) {
                continue;
            }
            let Some(account_id) = ids.account_id(at.account.as_deref()) else { continue };
            let hub = found.hub.as_ref().filter(|h| h.account_id == account_id);
            let role = || found.roles.iter().find(|x| x.account_id == account_id && x.name == at.name);
            let spec = match at.kind {
                Kind::Bucket => found
                    .bucket
                    .iter()
                    .chain(&found.access_bucket)
                    .find(|b| b.account_id == account_id && b.name == at.name)
                    .and_then(|b| b.spec.clone()),
                Kind::Trail => found
                    .org_trails
                    .iter()
                    .find(|t| t.name == at.name && t.home_region == desired.home_region)
                    .map(|t| t.spec.clone()),
                Kind::ServiceAccess => found.service_access.contains(&at.name).then(|| json!({ "enabled": true })),
                Kind::PolicyType => found.scp_policy_type.then(|| json!({ "enabled": true })),
                Kind::Scp => {
                    let scp = found.scps.iter().find(|s| s.name == at.name);
                    for t in scp.iter().flat_map(|s| &s.targets) {
                        let text = match t {
                            FoundTarget::Root(_) => Some("Root".to_owned()),
                            FoundTarget::Ou(id) => self.ou_paths.get(id).map(ToString::to_string),
                            FoundTarget::Account(id) => {
                                ids.accounts.iter().find(|(_, v)| *v == id).map(|(k, _)| format!("account:{k}"))
                            }
                        };
                        let Some(text) = text else { continue };
                        let key = format!("{}@{text}", at.name);
                        live.resources.insert(
                            Address::scp_attachment(&at.name, &text),
                            LiveResource {
                                at: crate::resource::Locator::new(Kind::ScpAttachment, None, key),
                                spec: json!({ "policy": at.name, "target": text }),
                            },
                        );
                    }
                    scp.map(|s| s.spec.clone())
                }
                // The baseline's kinds are not read by import yet (it writes the baseline off).
                Kind::ScpAttachment | Kind::AccessRole | Kind::AccountPublicAccessBlock | Kind::EbsEncryption => None,
                Kind::PasswordPolicy => hub.and_then(|h| h.password_policy.clone()),
                Kind::ManagedPolicy => hub.and_then(|h| h.force_mfa.clone()).filter(|_| at.name == FORCE_MFA_POLICY),
                Kind::Group => hub.and_then(|h| h.groups.get(&at.name).cloned()),
                Kind::User => hub.and_then(|h| h.users.get(&at.name).cloned()),
                Kind::Role => role().map(|x| x.spec.clone()),
                Kind::InstanceProfile => role().and_then(|x| x.instance_profile.clone()),
            };
            if let Some(spec) = spec {
                live.resources.insert(r.address.clone(), LiveResource { at, spec });
            }
        }
        live
    }
}

/// `  groups:` / `  users:` under `identity`, with their entries.
fn list_section(
    pieces: &mut Vec<Piece>,
    out: &mut Rendered,
    excluded: &BTreeMap<Item, String>,
    key: &str,
    entries: &[(Item, Result<Value, String>)],
) {
    if entries.is_empty() {
        return;
    }
    let active = entries.iter().any(|(i, r)| r.is_ok() && !excluded.contains_key(i));
    pieces.push(Piece::text(vec![if active { format!("  {key}:") } else { format!("  # {key}:") }]));
    for (item, result) in entries {
        match result {
            Ok(v) => {
                let mut body = Vec::new();
                yaml::sequence(&mut body, std::slice::from_ref(v), 4);
                emit(pieces, out, excluded, item.clone(), body, 4, None);
            }
            Err(why) => {
                out.commented.push(format!("{}: {why}", item.describe()));
                pieces.push(Piece::text(vec![yaml::comment(4, &format!("Not imported: {}: {why}", item.describe()))]));
            }
        }
    }
}

fn verb(action: Action) -> &'static str {
    match action {
        Action::Create => "create",
        Action::Update => "update",
        Action::Delete => "remove part of",
        Action::Adopt => "adopt",
        Action::Replace => "replace",
        Action::NoOp => "leave",
    }
}

/// The item a change of a plan belongs to; `None` for what cannot be commented out.
fn item_of(change: &Change) -> Option<Item> {
    let (at, spec) = match &change.operation {
        Operation::Put { at, spec, .. } | Operation::Replace { at, spec, .. } => (at, spec),
        Operation::Delete { at, live } => (at, live),
        _ => return None,
    };
    match at.kind {
        Kind::Bucket | Kind::Trail | Kind::ServiceAccess => Some(Item::Logging),
        Kind::Scp => Some(Item::Guardrail(at.name.clone())),
        Kind::ScpAttachment => spec["policy"].as_str().map(|p| Item::Guardrail(p.to_owned())),
        Kind::ManagedPolicy if at.name == FORCE_MFA_POLICY => Some(Item::ForceMfa),
        Kind::Group => Some(Item::Group(at.name.clone())),
        Kind::User => Some(Item::User(at.name.clone())),
        Kind::Role | Kind::InstanceProfile => Some(Item::Role(at.name.clone())),
        Kind::PasswordPolicy
        | Kind::PolicyType
        | Kind::ManagedPolicy
        | Kind::AccessRole
        | Kind::AccountPublicAccessBlock
        | Kind::EbsEncryption => None,
    }
}

/// Joins pieces; returns the text and, per item, its 1-based line range.
fn join(pieces: &[Piece]) -> (String, Vec<(std::ops::RangeInclusive<usize>, Item)>) {
    let mut text = String::new();
    let mut spans = Vec::new();
    let mut line = 1;
    for p in pieces {
        if let Some(item) = &p.item
            && !p.lines.is_empty()
        {
            spans.push((line..=line + p.lines.len() - 1, item.clone()));
        }
        for l in &p.lines {
            text.push_str(l);
            text.push('\n');
        }
        line += p.lines.len();
    }
    (text, spans)
}

fn header(
    cx: &Cx<'_>,
    summary: Summary,
    adopted: &BTreeMap<(u8, &'static str), usize>,
    kept: &[String],
    commented: usize,
) -> Vec<String> {
    let mut h = vec![
        format!(
            "# Generated by `groundwork import` from organization {} (management account {}) on {}.",
            cx.org_id, cx.management_id, cx.opts.date
        ),
        "# Review it before applying it.".to_owned(),
        "#".to_owned(),
    ];
    if summary.add + summary.change + summary.delete + summary.adopt == 0 {
        h.push("# `groundwork plan` of this file against the same organization shows no changes.".into());
    } else {
        h.push("# `groundwork plan` of this file against the same organization shows no changes except:".into());
        if summary.adopt > 0 {
            let what: Vec<String> =
                adopted.iter().map(|((_, k), n)| format!("{n} {k}{}", if *n == 1 { "" } else { "s" })).collect();
            h.push(format!(
                "#   > adopting {}: groundwork did not create them, so they get its ownership tags",
                what.join(", ")
            ));
            h.push(format!(
                "#     ({}=true, {TAG_BLUEPRINT}={}); nothing else about them changes.",
                crate::state::TAG_MANAGED,
                cx.name
            ));
        }
        for k in kept {
            h.push(yaml::comment(0, &format!("  {k}")));
        }
    }
    if commented > 0 {
        h.push(format!(
            "# {commented} item{} could not be expressed or would be changed by apply: commented out below with the reason",
            if commented == 1 { "" } else { "s" }
        ));
        h.push("# (search for \"Not imported\").".into());
    }
    for p in &cx.found.problems {
        h.push(yaml::comment(0, &format!("Could not read: {p}")));
    }
    h.push(String::new());
    h
}

/// Writes the blueprint for what was found: valid, readable, and planning no change against the
/// same organization but adoptions. `Err` (a bug) when the text does not validate and no item
/// can be commented out to fix it.
pub fn write_blueprint(found: &Found, options: &ImportOptions) -> Result<Imported, Diagnostics> {
    let cx = Cx::new(found, options);
    let mut excluded: BTreeMap<Item, String> = BTreeMap::new();
    // Comment out what does not validate, then what a plan would change, until neither is left.
    // Each round comments out at least one more item, so this ends.
    let (body, rendered, summary, adopted, kept) = loop {
        let (pieces, rendered) = cx.pieces(&excluded);
        let (text, spans) = join(&pieces);
        let parsed = match groundwork_blueprint::parse("imported.yaml", text.as_bytes()) {
            Ok(p) => p,
            Err(d) => {
                let mut progressed = false;
                for diag in d.items.iter().filter(|x| x.severity == Severity::Error) {
                    let Some((_, item)) = spans.iter().find(|(range, _)| range.contains(&diag.span.line)) else {
                        return Err(d);
                    };
                    if !excluded.contains_key(item) {
                        excluded.insert(item.clone(), format!("it does not validate: {}", diag.message));
                        progressed = true;
                    }
                }
                if !progressed {
                    return Err(d);
                }
                continue;
            }
        };
        let desired = Desired::from_blueprint(&parsed.blueprint);
        let p = plan(&desired, &cx.live_with_resources(&desired), PlanOptions::default());
        let mut progressed = false;
        let mut kept = Vec::new();
        let mut adopted: BTreeMap<(u8, &'static str), usize> = BTreeMap::new();
        for c in &p.changes {
            if c.action == Action::Adopt {
                let kind = match c.address.as_str().split('/').next() {
                    Some("ou") => (0, "OU"),
                    Some("account") => (1, "account"),
                    Some("scp") => (2, "SCP"),
                    Some("iam-user") => (3, "user"),
                    _ => (4, "other object"),
                };
                *adopted.entry(kind).or_default() += 1;
                continue;
            }
            match item_of(c) {
                Some(item) if !excluded.contains_key(&item) => {
                    excluded.insert(item, format!("a plan would {} {}: {}", verb(c.action), c.address, c.reason));
                    progressed = true;
                }
                _ => kept.push(format!("{} {}: {}", crate::render::symbol(c.action).trim(), c.address, c.reason)),
            }
        }
        kept.extend(p.errors.iter().map(|e| format!("error: {e}")));
        if !progressed {
            break (text, rendered, p.summary(), adopted, kept);
        }
    };
    let mut text = header(&cx, summary, &adopted, &kept, rendered.commented.len()).join("\n");
    text.push('\n');
    text.push_str(&body);
    // The header is comments only; check anyway, as the file is what the operator gets.
    let parsed = groundwork_blueprint::parse("imported.yaml", text.as_bytes())?;
    let mut notes = rendered.notes;
    notes.extend(kept.iter().map(|k| format!("a plan will still show: {k}")));
    Ok(Imported {
        yaml: text,
        commented: rendered.commented,
        notes,
        warnings: parsed
            .warnings
            .items
            .iter()
            .map(|d| format!("{}: {}", parsed.warnings.location(d), d.message))
            .collect(),
        summary,
    })
}

/// The role a log bucket's policy exempts from its tamper protection (`DenyArchiveTampering`).
fn exception_role(policy: &Value) -> Option<String> {
    let statements = policy["Statement"].as_array()?;
    let tamper = statements.iter().find(|s| s["Sid"] == "DenyArchiveTampering")?;
    let arn = &tamper["Condition"]["ArnNotLike"]["aws:PrincipalArn"];
    let arn = arn.as_str().or_else(|| arn.as_array().and_then(|a| a.first()).and_then(Value::as_str))?;
    arn.split_once(":role/").map(|(_, name)| name.rsplit('/').next().unwrap_or(name).to_owned())
}

/// The `data_events` value of a trail's S3 data-event selector: `all`, or the buckets it names
/// (the log bucket as `log_bucket`, others with the log-archive id as `{account_id}`).
fn data_events(selectors: &Value, log_bucket: &str, log_id: &str) -> Option<Value> {
    let in_log_archive = Reverse::new().account_id(log_id);
    let data = selectors.as_array()?.iter().find(|s| {
        s["field_selectors"]
            .as_array()
            .is_some_and(|f| f.iter().any(|f| f["field"] == "eventCategory" && f["equals"] == json!(["Data"])))
    })?;
    let prefixes = data["field_selectors"]
        .as_array()?
        .iter()
        .find(|f| f["field"] == "resources.ARN")
        .and_then(|f| f["starts_with"].as_array());
    let Some(prefixes) = prefixes else { return Some(json!("all")) };
    let buckets: Vec<String> =
        prefixes
            .iter()
            .filter_map(Value::as_str)
            .map(|p| p.trim_start_matches("arn:aws:s3:::").trim_end_matches('/'))
            .map(|b| {
                if b == log_bucket { groundwork_blueprint::LOG_BUCKET_WORD.to_owned() } else { in_log_archive.apply(b) }
            })
            .collect();
    Some(json!(buckets))
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod tests_support {
    /// Parses YAML with the blueprint's own parser, as JSON.
    pub(super) fn parse_yaml(text: &str) -> serde_json::Value {
        groundwork_blueprint::yaml::parse(text).unwrap().unwrap().to_json()
    }
}
