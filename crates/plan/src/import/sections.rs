//! The blueprint's sections, from what was found: the organization, its OUs and accounts
//! (written here), and each resource section through its kinds' reverse lowerings
//! (`crate::kinds::*::reverse*`); items commented out with the reason where asked to. Lines
//! come from [`super::yaml`].

use std::collections::{BTreeMap, BTreeSet, HashMap};

use groundwork_blueprint::template::Reverse;
use groundwork_blueprint::{DEFAULT_ACCESS_ROLE, MANAGEMENT_HUB, OuPath};
use serde_json::{Map, Value, json};

use super::{Found, ImportOptions, LOG_HINT, log_archive_account, valid_org_name, yaml};
use crate::import::reverse::{groundwork_statements, strings, user_tags};
use crate::kinds::Spec;
use crate::kinds::bucket::BucketSpec;
use crate::kinds::managed_policy::FORCE_MFA_POLICY;
use crate::kinds::trail::{self, TrailSpec};
use crate::kinds::{group, password_policy, role, scp, scp_attachment, user};
use crate::plan::Summary;
use crate::resource::{Ids, Kind, LiveResource};
use crate::state::{AccountStatus, Address, Live, LiveAccount, TAG_BLUEPRINT, TAG_WORKLOAD};

mod alerts;
mod baseline;
mod sandbox;

/// An OU path containing this makes an account a sandbox.
const SANDBOX_HINT: &str = "Sandbox";

/// Something the writer may comment out.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Item {
    Logging,
    Guardrail(String),
    ForceMfa,
    Group(String),
    User(String),
    Role(String),
    IdentityCenter,
    Sandbox,
    RootAccess,
    Alerts,
}

impl Item {
    pub(super) fn describe(&self) -> String {
        match self {
            Item::Logging => "logging".to_owned(),
            Item::Guardrail(n) => format!("guardrail {n}"),
            Item::ForceMfa => format!("require_mfa (policy {FORCE_MFA_POLICY})"),
            Item::Group(n) => format!("group {n}"),
            Item::User(n) => format!("user {n}"),
            Item::Role(n) => format!("role {n}"),
            Item::IdentityCenter => "identity_center".to_owned(),
            Item::Sandbox => "sandbox".to_owned(),
            Item::RootAccess => "root_access".to_owned(),
            Item::Alerts => "alerts".to_owned(),
        }
    }
}

/// Lines of the blueprint, and the item they belong to (for diagnostics).
pub(super) struct Piece {
    pub(super) item: Option<Item>,
    pub(super) lines: Vec<String>,
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
pub(super) struct Rendered {
    /// Items commented out, with the reason.
    pub(super) commented: Vec<String>,
    /// Notes for the operator.
    pub(super) notes: Vec<String>,
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
pub(super) struct Cx<'a> {
    found: &'a Found,
    opts: &'a ImportOptions,
    org_id: String,
    management_id: String,
    name: String,
    /// Member accounts written, sorted by name, with their purpose.
    accounts: Vec<(&'a LiveAccount, &'static str)>,
    /// Account id → name, for the accounts written.
    names: HashMap<String, String>,
    hub: Option<Named>,
    log: Option<Named>,
    /// Notes that do not depend on what is commented out.
    notes: Vec<String>,
    /// Comments for the accounts section.
    account_comments: Vec<String>,
}

impl<'a> Cx<'a> {
    pub(super) fn new(found: &'a Found, opts: &'a ImportOptions) -> Self {
        let live = &found.live;
        let org = live.organization.clone().unwrap_or_else(|| crate::state::LiveOrganization {
            id: String::new(),
            feature_set: crate::state::FeatureSet::All,
            management_account_id: String::new(),
            management_email: String::new(),
            root_id: String::new(),
            policy_types: Vec::new(),
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
        // Only trails of the home region are listed as resources; the others are facts.
        let Some(trail) = self.listed(Kind::Trail).next() else {
            return Err(match self.found.other_trails.first() {
                Some((name, home)) => format!(
                    "organization trail {name} lives in {home}, not in the home region {region}; import with --home-region {home}"
                ),
                None => format!(
                    "no organization trail was found in {region}; groundwork manages none until a `logging` section is added"
                ),
            });
        };
        let trail_name = trail.at.name.as_str();
        let trail_spec = TrailSpec::from_value(&trail.spec).map_err(|e| e.to_string())?;
        let bucket_name = trail_spec.s3_bucket.as_str();
        let Some(log) = &self.log else {
            return Err(format!(
                "organization trail {trail_name} delivers to bucket {bucket_name}, and which account holds it is not known: import with --log-archive ACCOUNT"
            ));
        };
        let bucket = self
            .listed(Kind::Bucket)
            .find(|b| b.at.account.as_deref() == Some(log.name.as_str()) && b.at.name == bucket_name);
        let Some(spec) = bucket.map(|b| &b.spec) else {
            return Err(format!(
                "bucket {bucket_name} of organization trail {trail_name} was not found in account {}; import with --log-archive ACCOUNT naming the account that holds it",
                log.name
            ));
        };
        let spec = BucketSpec::from_value(spec).map_err(|e| e.to_string())?;
        Ok(trail::reverse_logging(trail_name, &trail_spec, &trail.spec, &spec, bucket_name, (&log.name, &log.id)))
    }

    /// The listed resources of one kind, by address.
    fn listed(&self, kind: Kind) -> impl Iterator<Item = &'a LiveResource> + 'a {
        self.found.live.resources.values().filter(move |r| r.at.kind == kind)
    }

    /// A listed resource's spec by address.
    fn spec(&self, address: &Address) -> Option<&'a Value> {
        self.found.live.resources.get(address).map(|r| &r.spec)
    }

    /// Each SCP but AWS's own, as an entry, with why it cannot be imported or a note.
    fn guardrails(&self) -> Vec<GuardrailDraft> {
        // AWS's own (`FullAWSAccess`) are not listed.
        // SCPs first, then the policies of other types (tag, AI-services opt-out).
        let kinds = [(Kind::Scp, Kind::ScpAttachment), (Kind::OrgPolicy, Kind::OrgPolicyAttachment)];
        kinds
            .into_iter()
            .flat_map(|(kind, attachment)| self.listed(kind).map(move |s| (s, attachment)))
            .filter(|(s, _)| s.at.name != "FullAWSAccess")
            .map(|(s, attachment)| {
                let (name, spec) = (s.at.name.as_str(), &s.spec);
                let id = self.found.scp_ids.get(name).map_or("?", String::as_str);
                let mut targets = Vec::new();
                let mut outside = Vec::new();
                for a in self.listed(attachment).filter(|a| a.spec["policy"] == name) {
                    match scp_attachment::reverse_target(
                        a.spec["target"].as_str().unwrap_or_default(),
                        &self.management_id,
                    ) {
                        Ok(v) => targets.push(v),
                        Err(what) => outside.push(what),
                    }
                }
                targets.sort_by_key(|a| (a.0, a.1.to_string()));
                let unattached = targets.is_empty();
                let targets = targets.into_iter().map(|(_, v)| v).collect();
                let (entry, what) = if s.at.kind == Kind::Scp {
                    (scp::reverse(name, spec, targets, &self.id_subs(None)), "SCP")
                } else {
                    (crate::kinds::org_policy::reverse(name, spec, targets), "Policy")
                };
                let (problem, note) = match (unattached, outside.is_empty()) {
                    (true, true) => (Some(format!("{what} {name} ({id}) is attached to nothing")), None),
                    (true, false) => (
                        Some(format!(
                            "{what} {name} ({id}) is attached only to {}, which a blueprint cannot name",
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
                GuardrailDraft { name: name.to_owned(), entry, problem, note }
            })
            .collect()
    }

    /// A role's signature in `account` ([`role::reverse_signature`]): its trust as groundwork
    /// writes it, its instance profile, and ids as placeholders (the account's name too, with
    /// `with_name`).
    fn role_signature(&self, account: &str, r: &LiveResource, with_name: bool) -> Result<Value, String> {
        let ids = self.ids();
        let id = ids.accounts.get(account).cloned().unwrap_or_default();
        let trust = role::reverse_trust(&r.spec["trust"], self.hub.as_ref().map(|h| h.name.as_str()), &ids);
        let mut subs = self.id_subs(Some(&id));
        if with_name {
            subs = subs.account_name(account);
        }
        let profile = self.spec(&Address::instance_profile(Some(account), &r.at.name));
        role::reverse_signature(&r.at.name, &r.spec, trust, profile, &subs)
    }

    /// The roles of the `roles` section: every listed role of a member account but groundwork's
    /// way in, AWS's own and the baseline's (`baseline`: their names).
    fn roles(&self, baseline: &[(&str, &str)]) -> Vec<RoleDraft> {
        let mut by_name: BTreeMap<&str, Vec<(&str, &LiveResource)>> = BTreeMap::new();
        for r in self.listed(Kind::Role) {
            let name = r.at.name.as_str();
            if name == self.access_role()
                || name == DEFAULT_ACCESS_ROLE
                || name.starts_with("AWSServiceRoleFor")
                || baseline.iter().any(|(b, _)| *b == name)
                || crate::kinds::slack::ALERTS_ROLES.contains(&name)
            {
                continue;
            }
            // Roles of member accounts the blueprint names.
            let Some(account) = r.at.account.as_deref().filter(|a| self.names.values().any(|n| n == a)) else {
                continue;
            };
            by_name.entry(name).or_default().push((account, r));
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
                        variants.iter().map(|(sig, accounts)| role::reverse_entry(name, accounts, sig)).collect();
                }
            }
            out.push(draft);
        }
        out
    }

    /// Every piece of the blueprint below the header, items in `excluded` commented out with
    /// the reason.
    pub(super) fn pieces(&self, excluded: &BTreeMap<Item, String>) -> (Vec<Piece>, Rendered) {
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

        // The sandbox section takes `sandbox-limits` out of the guardrails when it is written.
        // The alerts are decided first: a sandbox budget may notify their topic.
        let alerts = self.alerts_value();
        let alerts_topic = match &alerts {
            Ok(Some(a)) if !excluded.contains_key(&Item::Alerts) => Some(a.topic_arn.as_str()),
            _ => None,
        };
        let sandbox = self.sandbox_value(alerts_topic);
        let sandbox_written = matches!(sandbox, Ok(Some(_))) && !excluded.contains_key(&Item::Sandbox);

        // guardrails
        let mut guardrails = self.guardrails();
        if sandbox_written {
            // `sandbox-limits` exempts the access role, so the section brings `protect-access-role`
            // with it (a name then reserved for that built-in).
            guardrails.retain(|g| {
                g.name != groundwork_blueprint::sandbox::SANDBOX_LIMITS
                    && g.name != groundwork_blueprint::PROTECT_ACCESS_ROLE
            });
        }
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

        // sandbox
        match sandbox {
            Ok(Some(v)) => {
                let mut body = vec!["sandbox:".to_owned()];
                match v.as_object() {
                    Some(m) if !m.is_empty() => yaml::mapping(&mut body, m, 2),
                    _ => body[0].push_str(" {}"),
                }
                pieces.push(Piece::text(vec![String::new()]));
                emit(&mut pieces, &mut out, excluded, Item::Sandbox, body, 0, None);
            }
            Ok(None) => {}
            Err(why) => out.notes.push(format!(
                "sandbox: {why}; {} is written as a guardrail of its own",
                groundwork_blueprint::sandbox::SANDBOX_LIMITS
            )),
        }

        // root_access
        if let Some(v) = self.root_access_value() {
            let mut body = vec!["root_access:".to_owned()];
            yaml::mapping(&mut body, v.as_object().unwrap_or(&Map::new()), 2);
            pieces.push(Piece::text(vec![String::new()]));
            emit(&mut pieces, &mut out, excluded, Item::RootAccess, body, 0, None);
        }

        // alerts
        match alerts {
            Ok(Some(a)) => {
                let mut body = vec!["alerts:".to_owned()];
                match a.value.as_object() {
                    Some(m) if !m.is_empty() => yaml::mapping(&mut body, m, 2),
                    _ => body[0].push_str(" {}"),
                }
                body.extend(a.comments.iter().map(|c| yaml::comment(2, c)));
                body.extend(a.not_imported.iter().map(|why| yaml::comment(2, &format!("Not imported: {why}"))));
                pieces.push(Piece::text(vec![String::new()]));
                emit(&mut pieces, &mut out, excluded, Item::Alerts, body, 0, None);
            }
            Ok(None) => {}
            Err(why) => {
                pieces
                    .push(Piece::text(vec![String::new(), yaml::comment(0, &format!("Not imported: alerts: {why}."))]));
                out.notes.push(format!("alerts: {why}"));
            }
        }

        // The baseline is decided first (its roles are not the `roles` section's, and groups
        // may be granted them) and written last.
        let baseline = self.baseline();
        let baseline_roles = baseline.roles();
        let mut baseline_groups: BTreeMap<String, Vec<String>> = BTreeMap::new();
        // Roles are decided first (grants depend on them) and written last.
        let roles = self.roles(&baseline_roles);
        let active_roles: BTreeMap<&str, &BTreeSet<String>> = roles
            .iter()
            .filter(|r| r.problem.is_none() && r.hub_trust && !excluded.contains_key(&Item::Role(r.name.clone())))
            .map(|r| (r.name.as_str(), &r.accounts))
            .collect();

        // identity
        if let Some(hub) = &self.hub {
            // The hub's resources, as addresses name its account.
            let at = (hub.name != MANAGEMENT_HUB).then_some(hub.name.as_str());
            let in_hub = |kind: Kind| -> BTreeMap<String, &Value> {
                self.listed(kind)
                    .filter(|r| r.at.account.as_deref() == at)
                    .map(|r| (r.at.name.clone(), &r.spec))
                    .collect()
            };
            let (found_groups, found_users) = (in_hub(Kind::Group), in_hub(Kind::User));
            let found_force_mfa = self.spec(&Address::managed_policy(at, FORCE_MFA_POLICY));
            let force_mfa = format!("arn:aws:iam::{}:policy/{FORCE_MFA_POLICY}", hub.id);
            let everywhere = found_groups.values().all(|g| strings(&g["managed_policies"]).contains(&force_mfa));
            let require_mfa = found_force_mfa.is_some() && everywhere && !excluded.contains_key(&Item::ForceMfa);
            if found_force_mfa.is_some() && !require_mfa {
                let why = excluded
                    .get(&Item::ForceMfa)
                    .map_or_else(|| format!("policy {FORCE_MFA_POLICY} is not attached to every group"), Clone::clone);
                out.notes.push(format!("require_mfa is false: {why}"));
            }
            let mut lines = vec![String::new(), "identity:".to_owned()];
            let mut m = Map::new();
            m.insert("account".into(), json!(hub.name));
            m.insert("require_mfa".into(), json!(require_mfa));
            // The roles that trust the hub share one path: `role_path` when it is not the default.
            let paths: BTreeSet<&str> = self
                .listed(Kind::Role)
                .filter(|r| r.at.account.is_some() && active_roles.contains_key(r.at.name.as_str()))
                .filter_map(|r| r.spec["path"].as_str())
                .collect();
            if let [path] = paths.into_iter().collect::<Vec<_>>()[..]
                && path != groundwork_blueprint::DEFAULT_ROLE_PATH
            {
                m.insert("role_path".into(), json!(path));
            }
            let mut policy_notes = Vec::new();
            let policy = password_policy::reverse(self.spec(&Address::password_policy(at)), &mut policy_notes);
            if !policy.is_empty() {
                m.insert("password_policy".into(), Value::Object(policy));
            }
            yaml::mapping(&mut lines, &m, 2);
            for n in &policy_notes {
                lines.push(yaml::comment(2, &format!("{n}.")));
            }
            out.notes.extend(policy_notes);
            pieces.push(Piece::text(lines));
            let groups: Vec<(String, Result<Value, String>)> = found_groups
                .iter()
                .map(|(name, spec)| {
                    let subs = self.id_subs(Some(&hub.id));
                    let grantable = group::Grantable {
                        roles: &active_roles,
                        names: &self.names,
                        baseline: &baseline_roles,
                        org_id: &self.org_id,
                    };
                    let group = group::reverse(name, spec, &hub.id, require_mfa, &grantable, &subs);
                    (name.clone(), group)
                })
                .collect();
            for (name, spec) in &found_groups {
                if excluded.contains_key(&Item::Group(name.clone()))
                    || !groups.iter().any(|(n, r)| n == name && r.is_ok())
                {
                    continue;
                }
                let statements = groundwork_statements(&spec["inline_policies"]).unwrap_or_default();
                for granted in
                    statements.iter().filter_map(|s| group::reverse_baseline_grant(s, &baseline_roles, &self.org_id))
                {
                    for role in granted {
                        baseline_groups.entry(role).or_default().push(name.clone());
                    }
                }
            }
            let active_groups: BTreeSet<&str> = groups
                .iter()
                .filter(|(n, r)| r.is_ok() && !excluded.contains_key(&Item::Group(n.clone())))
                .map(|(n, _)| n.as_str())
                .collect();
            let groups: Vec<(Item, Result<Value, String>)> =
                groups.iter().map(|(n, r)| (Item::Group(n.clone()), r.clone())).collect();
            list_section(&mut pieces, &mut out, excluded, "groups", &groups);
            let users: Vec<(Item, Result<Value, String>)> = found_users
                .iter()
                .map(|(name, spec)| (Item::User(name.clone()), user::reverse(name, spec, &active_groups)))
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

        // identity_center
        let region =
            self.listed(Kind::PermissionSet).chain(self.listed(Kind::SsoAssignment)).find_map(|r| r.at.region.clone());
        if let Some(region) = region {
            let by_name = |kind: Kind| -> BTreeMap<String, &Value> {
                self.listed(kind).map(|r| (r.at.name.clone(), &r.spec)).collect()
            };
            let found = crate::kinds::identity_center::Found {
                region: &region,
                sets: by_name(Kind::PermissionSet),
                assignments: self.listed(Kind::SsoAssignment).map(|r| &r.spec).collect(),
            };
            let mut notes = Vec::new();
            if let Some(v) = crate::kinds::identity_center::reverse(
                &found,
                &self.opts.home_region,
                &self.names,
                &self.management_id,
                &mut notes,
            ) {
                let mut body = vec!["identity_center:".to_owned()];
                yaml::mapping(&mut body, v.as_object().unwrap_or(&Map::new()), 2);
                for n in &notes {
                    body.push(yaml::comment(2, &format!("{n}.")));
                }
                out.notes.extend(notes);
                pieces.push(Piece::text(vec![String::new()]));
                emit(&mut pieces, &mut out, excluded, Item::IdentityCenter, body, 0, None);
            }
        }

        // baseline
        pieces.push(Piece::text(Self::baseline_lines(&baseline, &baseline_groups)));
        (pieces, out)
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

/// Joins pieces; returns the text and, per item, its 1-based line range.
pub(super) fn join(pieces: &[Piece]) -> (String, Vec<(std::ops::RangeInclusive<usize>, Item)>) {
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

pub(super) fn header(
    cx: &Cx<'_>,
    summary: Summary,
    adopted: &BTreeMap<(u8, &'static str), usize>,
    kept: &[String],
    commented: usize,
) -> Vec<String> {
    let mut h = vec![
        groundwork_blueprint::SCHEMA_MODELINE.to_owned(),
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
