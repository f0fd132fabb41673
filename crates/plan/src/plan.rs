//! The planner: a pure function of desired and live state.

use std::collections::{BTreeMap, BTreeSet};

use groundwork_blueprint::{MAX_OU_DEPTH, OuPath, Tags};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::kinds::Spec;
use crate::kinds::access_role::AccessRoleSpec;
use crate::kinds::instance_profile::InstanceProfileSpec;
use crate::kinds::role::RoleSpec;
use crate::kinds::sso_assignment::SsoAssignmentSpec;
use crate::kinds::sso_group::SsoGroupSpec;
use crate::kinds::user::UserSpec;
use crate::resource::{Ids, Kind, Locator, differences, referenced_accounts};
use crate::state::{
    AccountStatus, Address, CreateRequestState, Desired, FeatureSet, Live, LiveAccount, TAG_BLUEPRINT, TAG_MANAGED,
    is_managed_by,
};

/// Version of the JSON plan format. Bump on any change a consumer must know about.
pub const FORMAT_VERSION: &str = "1.2";

/// What a change does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    /// Nothing to do (never listed in a plan's changes).
    NoOp,
    /// Create a new object.
    Create,
    /// Update an object groundwork manages.
    Update,
    /// Take ownership of an existing object that matches the blueprint.
    Adopt,
    /// Remove something groundwork manages that the blueprint no longer asks for.
    Delete,
    /// Delete and create again, where AWS cannot change the object in place (a role's path).
    Replace,
}

/// The write a change performs. Objects are referred to by their identity keys (path, email),
/// never by ids that only exist once an earlier change ran.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Operation {
    /// Create the organization with all features, then check that the caller's account is the
    /// management account the blueprint names (and undo the creation if not).
    CreateOrganization {
        /// The blueprint's management account email.
        management_email: String,
    },
    /// Create an OU under its parent path.
    CreateOu {
        /// Full path.
        path: OuPath,
        /// Tags to create it with.
        tags: Tags,
    },
    /// Set tags on an existing OU.
    TagOu {
        /// Full path.
        path: OuPath,
        /// Tags to add or overwrite.
        set_tags: Tags,
    },
    /// Create an account (asynchronous in AWS).
    CreateAccount {
        /// Name.
        name: String,
        /// Email.
        email: String,
        /// OU to move it to once created.
        ou: OuPath,
        /// Tags to create it with.
        tags: Tags,
    },
    /// Move and/or tag an existing account (also used for adoption).
    UpdateAccount {
        /// Email (identity key).
        email: String,
        /// Account id, known because the account exists.
        account_id: String,
        /// Move from this parent to `move_to`, when set.
        move_from: Option<OuPath>,
        /// Target parent, when moving.
        move_to: Option<OuPath>,
        /// Tags to add or overwrite.
        set_tags: Tags,
    },
    /// Create a resource or converge it to its spec (see `resource`).
    Put {
        /// Where it lives (its name may hold placeholders, resolved at apply time).
        at: Locator,
        /// The desired spec (placeholders resolved at apply time).
        spec: Value,
        /// The live spec it starts from, when it exists.
        live: Option<Value>,
    },
    /// Delete a resource and create it again from its spec, where AWS cannot update it in place
    /// (IAM cannot move a role or instance profile to another path). The reason says why.
    Replace {
        /// Where it lives (its name may hold placeholders, resolved at apply time).
        at: Locator,
        /// The desired spec (placeholders resolved at apply time).
        spec: Value,
        /// The live spec of the object that is deleted.
        live: Value,
    },
    /// Remove a resource (only ever one that groundwork manages).
    Delete {
        /// Where it lives.
        at: Locator,
        /// Its live spec.
        live: Value,
    },
}

/// One change in a plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    /// What it changes.
    pub address: Address,
    /// How.
    pub action: Action,
    /// The object as it is (absent for creations).
    pub before: Option<Value>,
    /// The object as it will be.
    pub after: Option<Value>,
    /// Why, for people (display only; never parse it).
    pub reason: String,
    /// The write to perform.
    pub operation: Operation,
    /// Changes that must finish first.
    pub depends_on: Vec<Address>,
}

impl Change {
    /// The deletion of a live resource, with its reason (no dependencies of its own).
    fn delete(address: &Address, l: &crate::resource::LiveResource, reason: String) -> Self {
        Change {
            address: address.clone(),
            action: Action::Delete,
            before: Some(l.spec.clone()),
            after: None,
            reason,
            operation: Operation::Delete { at: l.at.clone(), live: l.spec.clone() },
            depends_on: Vec::new(),
        }
    }
}

/// What kind of object an [`Unmanaged`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UnmanagedKind {
    /// An organizational unit.
    Ou,
    /// A member account.
    Account,
}

impl std::fmt::Display for UnmanagedKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            UnmanagedKind::Ou => "ou",
            UnmanagedKind::Account => "account",
        })
    }
}

/// An object that exists but is not in the blueprint; groundwork leaves it alone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unmanaged {
    /// `ou` or `account`.
    pub kind: UnmanagedKind,
    /// AWS id.
    pub id: String,
    /// Path or name and email.
    pub name: String,
}

/// A plan: ordered changes plus everything the operator should know.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    /// JSON format version.
    pub format_version: String,
    /// The blueprint's organization name.
    pub blueprint: String,
    /// Fingerprint of the live state the plan was made from.
    pub live_fingerprint: String,
    /// Changes in dependency order.
    pub changes: Vec<Change>,
    /// Managed objects that differ from the blueprint (out-of-band change or blueprint edit).
    pub drift: Vec<String>,
    /// Objects not in the blueprint, left untouched.
    pub unmanaged: Vec<Unmanaged>,
    /// Drift that no change repairs, because groundwork never writes there (a member's access
    /// role trusting someone else): for `drift` to report, and for people to fix by hand.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub findings: Vec<Finding>,
    /// Things worth knowing that do not stop the run.
    pub warnings: Vec<String>,
    /// Pre-flight violations: when any, the plan cannot be applied.
    pub errors: Vec<String>,
    /// Ids known when the plan was made, by blueprint names.
    #[serde(default)]
    pub ids: Ids,
    /// What the plan was made from, kept in saved plans (`--out`) so that applying one can
    /// read the same live state again and check it is unchanged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub desired: Option<Desired>,
}

/// Drift that groundwork reports and never repairs on its own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// What differs, e.g. `access-role/jira-prod`.
    pub address: Address,
    /// The blueprint account it is in (`None`: the management account).
    pub account: Option<String>,
    /// What is wrong and what to do about it (display only).
    pub detail: String,
    /// The offending values, e.g. the principals the access role should not trust.
    pub values: Vec<String>,
}

/// Counts for the summary line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Creations.
    pub add: usize,
    /// Updates.
    pub change: usize,
    /// Adoptions.
    pub adopt: usize,
    /// Deletions.
    pub delete: usize,
}

impl Plan {
    /// Whether there is nothing to do.
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    /// Whether the plan may be applied (no pre-flight error).
    pub fn applyable(&self) -> bool {
        self.errors.is_empty()
    }

    /// Counts by action.
    pub fn summary(&self) -> Summary {
        let mut s = Summary::default();
        for c in &self.changes {
            match c.action {
                Action::Create => s.add += 1,
                Action::Update => s.change += 1,
                Action::Adopt => s.adopt += 1,
                Action::Delete => s.delete += 1,
                // Counted as Terraform does: one object removed, one added.
                Action::Replace => {
                    s.add += 1;
                    s.delete += 1;
                }
                Action::NoOp => {}
            }
        }
        s
    }

    /// The change at an address.
    pub fn change(&self, address: &Address) -> Option<&Change> {
        self.changes.iter().find(|c| &c.address == address)
    }
}

/// Planner settings that are not part of the blueprint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PlanOptions {
    /// Accounts per organization, when known from outside discovery (overrides the live quota).
    pub account_quota: Option<u64>,
}

fn tags_to_set(desired: &Tags, live: &Tags) -> Tags {
    desired.iter().filter(|(k, v)| live.get(*k) != Some(*v)).map(|(k, v)| (k.clone(), v.clone())).collect()
}

fn ou_dependency(path: &OuPath, created: &BTreeSet<OuPath>) -> Option<Address> {
    created.contains(path).then(|| Address::ou(path))
}

fn account_json(name: &str, email: &str, ou: &OuPath, tags: &Tags, id: Option<&str>) -> Value {
    let mut v = json!({ "name": name, "email": email, "ou": ou.to_string(), "tags": tags });
    if let Some(id) = id {
        v["id"] = json!(id);
    }
    v
}

/// Computes the plan that makes `live` match `desired`. Pure: no I/O.
pub fn plan(desired: &Desired, live: &Live, options: PlanOptions) -> Plan {
    let mut p = Plan {
        format_version: FORMAT_VERSION.into(),
        blueprint: desired.blueprint.clone(),
        live_fingerprint: live.fingerprint(),
        changes: Vec::new(),
        drift: Vec::new(),
        unmanaged: Vec::new(),
        findings: Vec::new(),
        warnings: Vec::new(),
        errors: Vec::new(),
        ids: live.ids(desired),
        desired: None,
    };
    let org_dep: Vec<Address> = if let Some(org) = &live.organization {
        if !org.management_email.eq_ignore_ascii_case(&desired.management_email) {
            p.errors.push(format!(
                "these credentials reach organization {} whose management account is {}, but the blueprint names {}: refusing to touch another organization",
                org.id, org.management_email, desired.management_email
            ));
        }
        if org.feature_set != FeatureSet::All {
            p.errors.push(format!(
                "organization {} has feature set {}; enable all features (a handshake with every member account) before running groundwork",
                org.id, org.feature_set
            ));
        }
        Vec::new()
    } else {
        p.changes.push(Change {
            address: Address::organization(),
            action: Action::Create,
            before: None,
            after: Some(json!({ "feature_set": "ALL" })),
            reason: "the caller's account is not in an organization".into(),
            operation: Operation::CreateOrganization { management_email: desired.management_email.clone() },
            depends_on: Vec::new(),
        });
        vec![Address::organization()]
    };

    // OUs, parents first (the blueprint lists them in that order).
    let mut created_ous: BTreeSet<OuPath> = BTreeSet::new();
    let mut seen_paths: BTreeMap<&OuPath, usize> = BTreeMap::new();
    for ou in &live.ous {
        *seen_paths.entry(&ou.path).or_default() += 1;
    }
    for (path, n) in &seen_paths {
        if *n > 1 {
            p.warnings.push(format!("{n} OUs are named {path} under the same parent; groundwork uses the first"));
        }
    }
    for ou in &desired.ous {
        if ou.path.depth() > MAX_OU_DEPTH {
            p.errors.push(format!("OU {} is nested deeper than the {MAX_OU_DEPTH} levels AWS allows", ou.path));
            continue;
        }
        let address = Address::ou(&ou.path);
        match live.ou(&ou.path) {
            None => {
                let mut deps = org_dep.clone();
                deps.extend(ou_dependency(&ou.path.parent(), &created_ous));
                created_ous.insert(ou.path.clone());
                p.changes.push(Change {
                    address,
                    action: Action::Create,
                    before: None,
                    after: Some(json!({ "path": ou.path.to_string(), "tags": ou.tags })),
                    reason: format!("no OU {} under {}", ou.path.name(), ou.path.parent()),
                    operation: Operation::CreateOu { path: ou.path.clone(), tags: ou.tags.clone() },
                    depends_on: deps,
                });
            }
            Some(l) => {
                let set = tags_to_set(&ou.tags, &l.tags);
                if set.is_empty() {
                    continue;
                }
                let managed = l.tags.contains_key(TAG_MANAGED);
                if managed && !is_managed_by(&l.tags, &desired.blueprint) {
                    p.errors.push(format!(
                        "{address}: OU {} is managed by blueprint {:?}, not {:?}; refusing to take it over",
                        l.id,
                        l.tags.get(TAG_BLUEPRINT).map_or("", String::as_str),
                        desired.blueprint
                    ));
                    continue;
                }
                if managed {
                    p.drift.push(format!("{address}: tags differ from the blueprint"));
                }
                p.changes.push(Change {
                    address,
                    action: if managed { Action::Update } else { Action::Adopt },
                    before: Some(json!({ "id": l.id, "path": l.path.to_string(), "tags": l.tags })),
                    after: Some(json!({ "id": l.id, "path": ou.path.to_string(), "tags": merged(&l.tags, &set) })),
                    reason: if managed {
                        "tags differ".into()
                    } else {
                        "existing OU with this path gets groundwork's ownership tags".into()
                    },
                    operation: Operation::TagOu { path: ou.path.clone(), set_tags: set },
                    depends_on: Vec::new(),
                });
            }
        }
    }

    // Accounts, matched by email (case-insensitive) through an index: no N x M scan.
    let mut by_email: std::collections::HashMap<String, Vec<&LiveAccount>> =
        std::collections::HashMap::with_capacity(live.accounts.len());
    for l in &live.accounts {
        by_email.entry(l.email.to_lowercase()).or_default().push(l);
    }
    let in_progress: std::collections::HashMap<&str, &crate::state::CreateRequest> = live
        .create_requests
        .iter()
        .filter(|r| r.state == CreateRequestState::InProgress)
        .map(|r| (r.account_name.as_str(), r))
        .collect();
    let mut creations = 0u64;
    for a in &desired.accounts {
        let address = Address::account(&a.name);
        let matches: &[&LiveAccount] = by_email.get(&a.email.to_lowercase()).map_or(&[], Vec::as_slice);
        if matches.len() > 1 {
            let ids: Vec<&str> = matches.iter().map(|m| m.id.as_str()).collect();
            p.errors.push(format!(
                "{address}: {} accounts have email {} ({}); resolve this by hand",
                matches.len(),
                a.email,
                ids.join(", ")
            ));
            continue;
        }
        let Some(l) = matches.first() else {
            creations += 1;
            let mut deps = org_dep.clone();
            deps.extend(ou_dependency(&a.ou, &created_ous));
            let in_flight = in_progress.get(a.name.as_str());
            let reason = match in_flight {
                Some(r) => format!(
                    "a CreateAccount request for {} is already in progress ({}); apply waits for it instead of sending another",
                    a.name, r.id
                ),
                None => format!("no account with email {} in the organization", a.email),
            };
            p.changes.push(Change {
                address,
                action: Action::Create,
                before: None,
                after: Some(account_json(&a.name, &a.email, &a.ou, &a.tags, None)),
                reason,
                operation: Operation::CreateAccount {
                    name: a.name.clone(),
                    email: a.email.clone(),
                    ou: a.ou.clone(),
                    tags: a.tags.clone(),
                },
                depends_on: deps,
            });
            continue;
        };
        if l.status != AccountStatus::Active {
            p.errors.push(format!(
                "{address}: account {} ({}) is {}; groundwork only manages ACTIVE accounts",
                l.id, l.email, l.status
            ));
            continue;
        }
        if l.name != a.name {
            p.warnings.push(format!(
                "{address}: the account with email {} is named {:?} in AWS; groundwork does not rename accounts (rename it in the console, or use that name in the blueprint)",
                a.email, l.name
            ));
        }
        let owner = l.tags.get(TAG_BLUEPRINT);
        let managed = l.tags.get(TAG_MANAGED).is_some_and(|v| v == "true");
        if managed && !is_managed_by(&l.tags, &desired.blueprint) {
            p.errors.push(format!(
                "{address}: account {} is managed by blueprint {:?}, not {:?}; refusing to take it over",
                l.id,
                owner.map_or("", String::as_str),
                desired.blueprint
            ));
            continue;
        }
        let set = tags_to_set(&a.tags, &l.tags);
        let moving = l.parent != a.ou;
        if set.is_empty() && !moving {
            continue;
        }
        let mut what = Vec::new();
        if moving {
            what.push(format!("move from {} to {}", l.parent, a.ou));
        }
        if !set.is_empty() {
            what.push(format!("set tags {}", set.keys().cloned().collect::<Vec<_>>().join(", ")));
        }
        if managed {
            p.drift.push(format!(
                "{address}: {}",
                what.join("; ").replace("move from", "is in").replace(" to ", ", the blueprint says ")
            ));
        }
        let mut deps = Vec::new();
        if moving {
            deps.extend(ou_dependency(&a.ou, &created_ous));
        }
        p.changes.push(Change {
            address,
            action: if managed { Action::Update } else { Action::Adopt },
            before: Some(account_json(&l.name, &l.email, &l.parent, &l.tags, Some(&l.id))),
            after: Some(account_json(&l.name, &l.email, &a.ou, &merged(&l.tags, &set), Some(&l.id))),
            reason: if managed {
                what.join("; ")
            } else {
                format!("existing account {} has this email; adopt it ({})", l.id, what.join("; "))
            },
            operation: Operation::UpdateAccount {
                email: a.email.clone(),
                account_id: l.id.clone(),
                move_from: moving.then(|| l.parent.clone()),
                move_to: moving.then(|| a.ou.clone()),
                set_tags: set,
            },
            depends_on: deps,
        });
    }

    // Failed requests for accounts we still need to create are worth a word.
    for r in live.create_requests.iter().filter(|r| r.state == CreateRequestState::Failed) {
        if p.changes
            .iter()
            .any(|c| matches!(&c.operation, Operation::CreateAccount { name, .. } if *name == r.account_name))
        {
            p.warnings.push(format!(
                "an earlier CreateAccount request for {} ({}) failed: {}",
                r.account_name,
                r.id,
                r.failure_reason.as_deref().unwrap_or("no reason given")
            ));
        }
    }

    // Objects not in the blueprint.
    let desired_paths: BTreeSet<&OuPath> = desired.ous.iter().map(|o| &o.path).collect();
    for ou in &live.ous {
        if !desired_paths.contains(&ou.path) {
            p.unmanaged.push(Unmanaged { kind: UnmanagedKind::Ou, id: ou.id.clone(), name: ou.path.to_string() });
        }
    }
    let desired_emails: BTreeSet<String> = desired.accounts.iter().map(|a| a.email.to_lowercase()).collect();
    let management_id = live.organization.as_ref().map(|o| o.management_account_id.as_str());
    for a in &live.accounts {
        if Some(a.id.as_str()) != management_id && !desired_emails.contains(&a.email.to_lowercase()) {
            p.unmanaged.push(Unmanaged {
                kind: UnmanagedKind::Account,
                id: a.id.clone(),
                name: format!("{} <{}>", a.name, a.email),
            });
        }
    }

    plan_resources(desired, live, &mut p);

    // Pre-flight: the quota.
    if let Some(quota) = options.account_quota.or(live.account_quota) {
        let total = live.accounts.len() as u64 + creations + u64::from(live.organization.is_none());
        if creations > 0 && total > quota {
            p.errors.push(format!(
                "creating {creations} accounts would bring the organization to {total} accounts, over its quota of {quota}; raise the quota (Service Quotas, code L-29A0C5DF) first"
            ));
        }
    }
    order(&mut p.changes);
    p
}

/// Plans the generic resources: create what is missing, converge what differs, delete managed
/// resources the blueprint no longer lists (only kinds whose discovery reports such leftovers).
fn plan_resources(desired: &Desired, live: &Live, p: &mut Plan) {
    let mut in_plan: BTreeSet<Address> = p.changes.iter().map(|c| c.address.clone()).collect();
    let created_accounts: BTreeSet<String> = p
        .changes
        .iter()
        .filter_map(|c| match &c.operation {
            Operation::CreateAccount { name, .. } => Some(name.clone()),
            _ => None,
        })
        .collect();
    let org_created = live.organization.is_none();
    // Roles replaced in this plan, by (account, name): their instance profiles must take them
    // back even where the profile itself is as the blueprint says.
    let mut replaced_roles: BTreeSet<(Option<String>, String)> = BTreeSet::new();
    // Flow logs on the VPCs discovery found that the blueprint's selections pick.
    let flow_logs = crate::kinds::flow_log::expand(&desired.flow_logs, &live.vpcs);
    for r in desired.resources.iter().chain(&flow_logs) {
        if r.at.kind == Kind::Role && r.at.name.eq_ignore_ascii_case(&desired.access_role) {
            // The blueprint refuses such a role; a hand-made plan or model must not get one by.
            p.errors.push(format!(
                "{}: role {} is the access role groundwork works through (organization.access_role); groundwork never converges it",
                r.address, r.at.name
            ));
            continue;
        }
        let mut spec = p.ids.resolve_spec(&r.spec);
        let at = p.ids.resolve_locator(&r.at);
        let current = live.resources.get(&r.address);
        if r.at.kind == Kind::AccessKey
            && !desired.enforce
            && let Some(l) = current
            && let Some(detail) = crate::kinds::access_key::tolerate_out_of_band(&mut spec, &l.spec, &at.name)
        {
            p.drift.push(format!("{}: {detail}", r.address));
            let values = crate::kinds::access_key::AccessKeySpec::from_value(&l.spec)
                .map(|s| s.out_of_band.into_iter().collect())
                .unwrap_or_default();
            p.findings.push(Finding { address: r.address.clone(), account: at.account.clone(), detail, values });
        }
        if r.at.kind.report_only() {
            if let Some(l) = current {
                report(r, &at, &spec, &l.spec, p);
            }
            continue;
        }
        if r.at.kind == Kind::SsoGroup && SsoGroupSpec::from_value(&spec).is_ok_and(|g| g.is_external()) {
            // A group synced from the identity provider: looked up, never written.
            if current.is_none() {
                p.errors.push(format!(
                    "{}: group {} is not in the Identity Center identity store; groups synced from an identity provider are created there (or set `create: true` to create it in the built-in directory)",
                    r.address, at.name
                ));
            }
            continue;
        }
        // An instance profile at its path that holds a role replaced in this plan: the role,
        // and the live profile as it is.
        let rejoin = (r.at.kind == Kind::InstanceProfile)
            .then(|| {
                let have = InstanceProfileSpec::from_value(&current?.spec).ok()?;
                let want = InstanceProfileSpec::from_value(&spec).ok().filter(|w| w.path == have.path)?;
                let role = want
                    .roles
                    .into_iter()
                    .find(|role| replaced_roles.contains(&(r.at.account.clone(), role.clone())))?;
                Some((role, have))
            })
            .flatten();
        if let Some(l) = current
            && l.spec == spec
            && rejoin.is_none()
        {
            continue;
        }
        let mut deps: Vec<Address> = Vec::new();
        if org_created {
            deps.push(Address::organization());
        }
        let mut accounts = Vec::new();
        referenced_accounts(&r.spec, &mut accounts);
        if let Some(a) = &r.at.account {
            accounts.push(a.clone());
        }
        for a in accounts {
            if created_accounts.contains(&a) {
                deps.push(Address::account(&a));
            }
        }
        deps.extend(r.after.iter().filter(|d| in_plan.contains(*d)).cloned());
        deps.sort();
        deps.dedup();
        if let (Some((role, have)), Some(l)) = (&rejoin, current)
            && l.spec == spec
        {
            // The live profile holds the role as it is now; after the replacement it holds none.
            let mut without = have.clone();
            without.roles.remove(role);
            let without = without.to_value();
            in_plan.insert(r.address.clone());
            p.changes.push(Change {
                address: r.address.clone(),
                action: Action::Update,
                before: Some(l.spec.clone()),
                after: Some(spec.clone()),
                reason: format!("role {role} is replaced: the new role is added back to the instance profile"),
                operation: Operation::Put { at, spec, live: Some(without) },
                depends_on: deps,
            });
            continue;
        }
        if r.at.kind == Kind::FlowLog
            && let Some(l) = current
        {
            p.drift.push(format!(
                "{}: {} differ",
                r.address,
                differences(&l.spec, &spec).into_iter().map(|(path, _, _)| path).collect::<Vec<_>>().join(", ")
            ));
            in_plan.insert(r.address.clone());
            p.changes.push(Change {
                address: r.address.clone(),
                action: Action::Replace,
                before: Some(l.spec.clone()),
                after: Some(spec.clone()),
                reason: crate::kinds::flow_log::replace_reason(&l.spec, &spec),
                operation: Operation::Replace { at, spec, live: l.spec.clone() },
                depends_on: deps,
            });
            continue;
        }
        let moved = current.and_then(|l| {
            let (from, to) = (iam_path(r.at.kind, &l.spec)?, iam_path(r.at.kind, &spec)?);
            (from != to).then_some((from, to))
        });
        if let (Some((from, to)), Some(l)) = (moved, current) {
            let what = if r.at.kind == Kind::Role { "a role" } else { "an instance profile" };
            let mut reason = format!("path {from} -> {to}: IAM cannot move {what}, so it is deleted and created again");
            if r.at.kind == Kind::Role {
                reason.push_str(" with its trust, policies and instance-profile membership");
                replaced_roles.insert((r.at.account.clone(), r.at.name.clone()));
            }
            p.drift.push(format!("{}: path is {from}, the blueprint says {to}", r.address));
            in_plan.insert(r.address.clone());
            p.changes.push(Change {
                address: r.address.clone(),
                action: Action::Replace,
                before: Some(l.spec.clone()),
                after: Some(spec.clone()),
                reason,
                operation: Operation::Replace { at, spec, live: l.spec.clone() },
                depends_on: deps,
            });
            continue;
        }
        let (action, reason) = match current {
            None if r.at.kind == Kind::SsoAssignment => (
                Action::Create,
                format!(
                    "group {} does not have permission set {} in account {}",
                    spec["group"].as_str().unwrap_or_default(),
                    spec["permission_set"].as_str().unwrap_or_default(),
                    spec["account_id"].as_str().unwrap_or_default()
                ),
            ),
            None => (Action::Create, format!("no {} {} found", r.at.kind, at.name)),
            Some(l) => {
                let paths: Vec<String> = differences(&l.spec, &spec).into_iter().map(|(path, _, _)| path).collect();
                if r.at.kind == Kind::Bucket
                    && l.spec.get("object_lock").is_some_and(Value::is_null)
                    && !spec["object_lock"].is_null()
                {
                    p.errors.push(format!(
                        "{}: object lock can only be turned on when a bucket is created, and bucket {} exists without it; remove `object_lock` from the blueprint, or move the logs to a new bucket",
                        r.address, at.name
                    ));
                    continue;
                }
                if r.at.kind == Kind::Bucket
                    && let Some(note) = crate::archive::refused_by_own_policy(
                        r.address.as_str(),
                        &at.name,
                        &l.spec,
                        &spec,
                        &desired.access_role,
                    )
                {
                    p.warnings.push(note);
                }
                // An object groundwork does not own yet, equal but for its tags, is adopted:
                // it gets the ownership tags (and the blueprint's), as OUs and accounts do.
                let unowned = l.spec.get("tags").is_some_and(|t| t.get(TAG_MANAGED).is_none());
                if unowned && paths.iter().all(|p| p == "tags" || p.starts_with("tags.")) {
                    (Action::Adopt, format!("existing {} {} gets groundwork's ownership tags", r.at.kind, at.name))
                } else {
                    p.drift.push(format!("{}: {} differ", r.address, paths.join(", ")));
                    let mut reason = format!("{} differ from the blueprint", paths.join(", "));
                    if r.at.kind == Kind::User && UserSpec::from_value(&l.spec).is_ok_and(|u| u.has_direct_policies()) {
                        reason.push_str(
                            "; the policies attached directly to this user will be removed, because groundwork manages this user and users get permissions only through groups",
                        );
                    }
                    (Action::Update, reason)
                }
            }
        };
        in_plan.insert(r.address.clone());
        p.changes.push(Change {
            address: r.address.clone(),
            action,
            before: current.map(|l| l.spec.clone()),
            after: Some(spec.clone()),
            reason,
            operation: Operation::Put { at, spec, live: current.map(|l| l.spec.clone()) },
            depends_on: deps,
        });
    }
    let wanted: BTreeSet<&Address> = desired.resources.iter().chain(&flow_logs).map(|r| &r.address).collect();
    for (address, l) in &live.resources {
        if wanted.contains(address) {
            continue;
        }
        if matches!(l.at.kind, Kind::ScpAttachment | Kind::OrgPolicyAttachment) {
            detach_unlisted(address, l, p);
        } else if l.at.kind == Kind::SsoAssignment {
            unlisted_assignment(desired, live, address, l, p);
        } else {
            leftover(desired, address, l, p);
        }
    }
    // A permission set is deleted after its assignments (AWS refuses to delete one that is
    // still assigned).
    let assignment_removals: Vec<(Address, String)> = p
        .changes
        .iter()
        .filter_map(|c| match &c.operation {
            Operation::Delete { at, live } if at.kind == Kind::SsoAssignment => {
                Some((c.address.clone(), live["permission_set"].as_str()?.to_owned()))
            }
            _ => None,
        })
        .collect();
    for c in &mut p.changes {
        if let Operation::Delete { at, .. } = &c.operation
            && at.kind == Kind::PermissionSet
        {
            c.depends_on.extend(assignment_removals.iter().filter(|(_, ps)| *ps == at.name).map(|(a, _)| a.clone()));
            c.depends_on.sort();
            c.depends_on.dedup();
        }
    }
    // A target holds at most a few SCPs (five by default): new attachments wait for the
    // detachments and SCP deletions of the same plan, which may free their target's slot.
    let removals: Vec<Address> = p
        .changes
        .iter()
        .filter(|c| {
            c.action == Action::Delete
                && matches!(&c.operation, Operation::Delete { at, .. } if matches!(at.kind, Kind::Scp | Kind::ScpAttachment | Kind::OrgPolicy | Kind::OrgPolicyAttachment))
        })
        .map(|c| c.address.clone())
        .collect();
    if !removals.is_empty() {
        for c in &mut p.changes {
            if matches!(&c.operation, Operation::Put { at, live: None, .. } if matches!(at.kind, Kind::ScpAttachment | Kind::OrgPolicyAttachment))
            {
                c.depends_on.extend(removals.iter().cloned());
                c.depends_on.sort();
                c.depends_on.dedup();
            }
        }
    }
}

/// An attachment of one of the blueprint's SCPs to a target the blueprint does not list for
/// it: removed by every apply, `--prune` or not, because it is part of that SCP's state (its
/// attachment set), which the blueprint describes in full: drift repair, not a deletion.
fn detach_unlisted(address: &Address, l: &crate::resource::LiveResource, p: &mut Plan) {
    let (policy, target) =
        (l.spec["policy"].as_str().unwrap_or_default(), l.spec["target"].as_str().unwrap_or_default());
    let kind = if l.at.kind == Kind::OrgPolicyAttachment { Kind::OrgPolicy } else { Kind::Scp };
    p.drift
        .push(format!("{address}: {kind} {policy} is attached to {target}, which the blueprint does not list for it"));
    p.changes.push(Change::delete(
        address,
        l,
        format!(
            "{kind} {policy} is attached to {target}, which its targets in the blueprint do not list: detached to restore the attachments the blueprint gives it (drift repair, with or without --prune)"
        ),
    ));
}

/// An assignment of one of the blueprint's groups that the blueprint does not list (its
/// permission set was removed from the blueprint, or its account is no longer selected).
/// Owned when its permission set carries groundwork's tags for this blueprint; deleted only
/// when pruning covers assignments, otherwise named as drift and a finding.
fn unlisted_assignment(
    desired: &Desired,
    live: &Live,
    address: &Address,
    l: &crate::resource::LiveResource,
    p: &mut Plan,
) {
    let Ok(a) = SsoAssignmentSpec::from_value(&l.spec) else { return };
    let set = live.resources.get(&crate::kinds::permission_set::address(&a.permission_set));
    let owned = set.is_some_and(|s| {
        let tags: Tags = s.spec["tags"]
            .as_object()
            .into_iter()
            .flatten()
            .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
            .collect();
        is_managed_by(&tags, &desired.blueprint)
    });
    if !owned {
        return;
    }
    let what = format!("permission set {} for group {} in account {}", a.permission_set, a.group, a.account_id);
    let Some(why) = desired.prune.why(Kind::SsoAssignment) else {
        p.drift.push(format!("{address}: is no longer in the blueprint; `--prune` deletes it"));
        p.findings.push(Finding {
            address: address.clone(),
            account: None,
            detail: format!("the assignment of {what} is no longer in the blueprint; `--prune` deletes it"),
            values: Vec::new(),
        });
        return;
    };
    p.drift.push(format!("{address}: is no longer in the blueprint"));
    p.changes.push(Change::delete(
        address,
        l,
        format!("the assignment of {what} is no longer in the blueprint, and {why}: deleted before its permission set"),
    ));
}

/// A whole resource the blueprint no longer lists. Deleted only when groundwork owns it for this
/// blueprint (its spec's tags say `groundwork:managed=true` and `groundwork:blueprint=<this
/// blueprint>`) and pruning covers its kind (`--prune`, or the section's `prune: true`);
/// owned and not pruned, it is named as drift and a finding; anyone else's is never touched.
fn leftover(desired: &Desired, address: &Address, l: &crate::resource::LiveResource, p: &mut Plan) {
    let tags: Tags = l.spec["tags"]
        .as_object()
        .into_iter()
        .flatten()
        .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
        .collect();
    if !is_managed_by(&tags, &desired.blueprint) {
        return;
    }
    let kind = l.at.kind;
    let Some(why) = desired.prune.why(kind) else {
        let setting = match kind {
            Kind::Scp | Kind::OrgPolicy => " (or `guardrails: { prune: true }` in the blueprint)",
            _ => "",
        };
        let detail = format!(
            "{kind} {} carries groundwork's tags for blueprint {} and is no longer in the blueprint; `--prune`{setting} deletes it",
            l.at.name, desired.blueprint
        );
        p.drift.push(format!("{address}: is no longer in the blueprint; `--prune` deletes it"));
        p.findings.push(Finding {
            address: address.clone(),
            account: l.at.account.clone(),
            detail,
            values: Vec::new(),
        });
        return;
    };
    let how = match kind {
        Kind::Scp | Kind::OrgPolicy => ": detached from every target, then deleted",
        Kind::PermissionSet => ": deleted after its assignments",
        _ => "",
    };
    p.drift.push(format!("{address}: is no longer in the blueprint"));
    p.changes.push(Change::delete(
        address,
        l,
        format!(
            "{kind} {} carries groundwork's tags for blueprint {} and is no longer in the blueprint, and {why}{how}",
            l.at.name, desired.blueprint
        ),
    ));
}

/// A report-only resource (see [`Kind::report_only`]): what the live one has beyond what the
/// desired one allows becomes drift and a [`Finding`], never a change.
fn report(r: &crate::resource::DesiredResource, at: &Locator, spec: &Value, live: &Value, p: &mut Plan) {
    match r.at.kind {
        Kind::AccessRole => {
            let (allowed, extra) = match (AccessRoleSpec::from_value(spec), AccessRoleSpec::from_value(live)) {
                (Ok(want), Ok(have)) => {
                    let extra = want.beyond(&have);
                    (want.trusted_principals, extra)
                }
                (Err(e), _) | (_, Err(e)) => {
                    p.errors.push(format!("{}: {e}", r.address));
                    return;
                }
            };
            if extra.is_empty() {
                return;
            }
            let account = at.account.as_deref().unwrap_or("management");
            let detail = format!(
                "the access role {} in account {account} also trusts {}; only the management account{} may assume it. groundwork never rewrites the access role's trust (a wrong one would lock it out): remove the extra principals by hand (iam:UpdateAssumeRolePolicy)",
                at.name,
                extra.join(", "),
                if allowed.len() > 1 { " and the deployer role" } else { "" }
            );
            p.drift.push(format!("{}: {detail}", r.address));
            p.findings.push(Finding { address: r.address.clone(), account: at.account.clone(), detail, values: extra });
        }
        other => p.warnings.push(format!("{}: nothing reports on a {other}", r.address)),
    }
}

/// The IAM path of a role or instance profile spec (IAM cannot move either: a new path is a
/// replacement); `None` for other kinds.
fn iam_path(kind: Kind, spec: &Value) -> Option<String> {
    match kind {
        Kind::Role => RoleSpec::from_value(spec).ok().map(|s| s.path),
        Kind::InstanceProfile => InstanceProfileSpec::from_value(spec).ok().map(|s| s.path),
        _ => None,
    }
}

fn merged(live: &Tags, set: &Tags) -> Tags {
    let mut t = live.clone();
    t.extend(set.clone());
    t
}

/// Sorts changes so that every change comes after its dependencies, and otherwise by kind
/// (organization, OUs, accounts) and address: a deterministic order for display and JSON.
fn order(changes: &mut [Change]) {
    let rank = |c: &Change| match c.operation {
        Operation::CreateOrganization { .. } => 0,
        Operation::CreateOu { ref path, .. } | Operation::TagOu { ref path, .. } => path.depth(),
        Operation::CreateAccount { .. } | Operation::UpdateAccount { .. } => MAX_OU_DEPTH + 1,
        Operation::Put { ref at, .. } | Operation::Replace { ref at, .. } | Operation::Delete { ref at, .. } => {
            MAX_OU_DEPTH + 2 + at.kind.rank()
        }
    };
    changes.sort_by(|a, b| (rank(a), &a.address).cmp(&(rank(b), &b.address)));
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::state::synthetic::converged;

    fn identity_example() -> Desired {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/identity.yaml");
        Desired::from_blueprint(&groundwork_blueprint::load(&path).unwrap().blueprint)
    }

    fn identity_center(groups: &str) -> Desired {
        let src = format!(
            "version: 1
organization: {{ name: acme, home_region: eu-west-1, management_account: {{ email: root@acme.example }} }}
organizational_units: [{{ name: Workloads }}]
accounts: [{{ name: app, email: aws+app@acme.example, ou: Workloads }}]
identity_center:
  groups: {groups}
  permission_sets: [{{ name: Admin }}]
  assignments: [{{ group: admins, permission_set: Admin, targets: [{{ ou: Workloads }}] }}]
"
        );
        Desired::from_blueprint(&groundwork_blueprint::parse("t.yaml", src.as_bytes()).unwrap().blueprint)
    }

    #[test]
    fn a_looked_up_group_that_is_missing_is_a_plan_error_that_names_it_and_is_never_written() {
        let d = identity_center("[{ name: admins }]");
        let mut live = converged(&d);
        let group = crate::kinds::sso_group::address("admins");
        assert!(plan(&d, &live, PlanOptions::default()).errors.is_empty());
        live.resources.remove(&group);
        let p = plan(&d, &live, PlanOptions::default());
        assert!(!p.applyable());
        assert!(
            p.errors
                .iter()
                .any(|e| e.starts_with("sso-group/admins: group admins is not in the Identity Center identity store")),
            "{:?}",
            p.errors
        );
        assert!(p.change(&group).is_none());
        // A group groundwork creates is planned like any resource.
        let d = identity_center("[{ name: admins, create: true }]");
        let mut live = converged(&d);
        live.resources.remove(&group);
        let p = plan(&d, &live, PlanOptions::default());
        assert!(p.errors.is_empty(), "{:?}", p.errors);
        assert_eq!(p.change(&group).unwrap().action, Action::Create);
    }

    #[test]
    fn a_role_named_like_the_access_role_is_refused_even_past_the_blueprint() {
        let mut d = identity_example();
        let role = d.resources.iter().find(|r| r.at.kind == Kind::Role).unwrap().clone();
        d.access_role = role.at.name.to_uppercase();
        let p = plan(&d, &converged(&d), PlanOptions::default());
        assert!(!p.applyable());
        assert!(
            p.errors.iter().any(
                |e| e.starts_with(&format!("{}: role {}", role.address, role.at.name)) && e.contains("access role")
            ),
            "{:?}",
            p.errors
        );
        assert!(p.change(&role.address).is_none());
    }

    #[test]
    fn a_role_at_another_path_is_replaced_and_its_profile_takes_it_back() {
        let d = identity_example();
        let mut live = converged(&d);
        let role = "iam-role/webapp-prod/webapp-app".parse::<Address>().unwrap();
        let profile = "instance-profile/webapp-prod/webapp-app".parse::<Address>().unwrap();
        live.resources.get_mut(&role).unwrap().spec["path"] = json!("/");
        let p = plan(&d, &live, PlanOptions::default());
        let c = p.change(&role).unwrap();
        assert_eq!(c.action, Action::Replace);
        assert_eq!(
            c.reason,
            "path / -> /groundwork/: IAM cannot move a role, so it is deleted and created again with its trust, policies and instance-profile membership"
        );
        assert!(matches!(&c.operation, Operation::Replace { live, .. } if live["path"] == "/"));
        // The profile is as the blueprint says, but loses the role when it is deleted.
        let c = p.change(&profile).unwrap();
        assert_eq!(c.action, Action::Update);
        let Operation::Put { live: Some(without), .. } = &c.operation else { panic!("{c:?}") };
        assert_eq!(without["roles"], json!([]));
        assert_eq!(p.summary(), Summary { add: 1, change: 1, adopt: 0, delete: 1 });
        assert!(crate::render_text(&p).contains("-/+ iam-role/webapp-prod/webapp-app will be replaced"));

        // Tags alone missing on a role at the right path: adopted in place, not replaced.
        let mut live = converged(&d);
        live.resources.get_mut(&role).unwrap().spec["tags"] = json!({});
        let p = plan(&d, &live, PlanOptions::default());
        assert_eq!(p.change(&role).unwrap().action, Action::Adopt);
        assert!(matches!(p.change(&role).unwrap().operation, Operation::Put { .. }));
        assert!(p.change(&profile).is_none());
    }

    /// A blueprint with guardrails, converged, plus an SCP `old-guardrail` in the organization
    /// that the blueprint does not list, tagged for `blueprint`.
    fn with_leftover(blueprint: &str, prune_setting: bool) -> (Desired, Live, Address) {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/logging-guardrails.yaml");
        let mut bp = groundwork_blueprint::load(&path).unwrap().blueprint;
        bp.guardrails.prune = prune_setting;
        let d = Desired::from_blueprint(&bp);
        let mut live = converged(&d);
        let address = Address::scp("old-guardrail");
        let spec = crate::kinds::scp::ScpSpec {
            description: "no longer wanted".into(),
            document: json!({ "Version": "2012-10-17", "Statement": [] }),
            tags: crate::kinds::scp::TagList::ownership(blueprint),
        };
        live.resources.insert(
            address.clone(),
            crate::resource::LiveResource {
                at: Locator::new(Kind::Scp, None, "old-guardrail".into()),
                spec: crate::kinds::Spec::to_value(&spec),
            },
        );
        (d, live, address)
    }

    #[test]
    fn an_owned_leftover_without_prune_is_named_and_left_alone() {
        let (d, live, address) = with_leftover("acme", false);
        let p = plan(&d, &live, PlanOptions::default());
        assert!(p.is_empty(), "{:?}", p.changes);
        assert_eq!(p.drift, ["scp/old-guardrail: is no longer in the blueprint; `--prune` deletes it"]);
        assert_eq!(p.findings.len(), 1);
        assert_eq!(p.findings[0].address, address);
        assert!(p.findings[0].detail.contains("guardrails: { prune: true }"), "{}", p.findings[0].detail);
        assert!(crate::render_text(&p).contains("No changes."));
    }

    #[test]
    fn an_owned_leftover_with_prune_is_deleted_and_the_reason_says_why() {
        let (mut d, live, address) = with_leftover("acme", false);
        d.prune.all = true;
        let p = plan(&d, &live, PlanOptions::default());
        assert_eq!(p.changes.len(), 1, "{:?}", p.changes);
        let c = p.change(&address).unwrap();
        assert_eq!(c.action, Action::Delete);
        assert_eq!(
            c.reason,
            "scp old-guardrail carries groundwork's tags for blueprint acme and is no longer in the blueprint, and `--prune` was given: detached from every target, then deleted"
        );
        assert!(
            matches!(&c.operation, Operation::Delete { at, live } if at.name == "old-guardrail" && live["description"] == "no longer wanted")
        );
        assert!(p.findings.is_empty());
        assert_eq!(p.summary(), Summary { add: 0, change: 0, adopt: 0, delete: 1 });
        assert!(crate::render_text(&p).contains("  - scp/old-guardrail will be removed"));
        // The saved plan's `desired` says so; without pruning its JSON is as before.
        assert_eq!(serde_json::to_value(&d).unwrap()["prune"], json!({ "all": true }));
        d.prune.all = false;
        assert!(serde_json::to_value(&d).unwrap().get("prune").is_none());
    }

    #[test]
    fn the_guardrails_prune_setting_deletes_owned_leftovers_too() {
        let (d, live, address) = with_leftover("acme", true);
        assert_eq!(serde_json::to_value(&d.prune).unwrap(), json!({ "sections": { "scp": "guardrails.prune" } }));
        assert_eq!(serde_json::from_value::<crate::Prune>(serde_json::to_value(&d.prune).unwrap()).unwrap(), d.prune);
        let p = plan(&d, &live, PlanOptions::default());
        let c = p.change(&address).unwrap();
        assert_eq!(c.action, Action::Delete);
        assert!(c.reason.contains("the blueprint sets `guardrails.prune: true`"), "{}", c.reason);
    }

    #[test]
    fn another_blueprints_or_an_untagged_scp_is_never_deleted_even_with_prune() {
        for owner in ["someone-else", ""] {
            let (mut d, mut live, address) = with_leftover(owner, true);
            if owner.is_empty() {
                live.resources.get_mut(&address).unwrap().spec["tags"] = json!({});
            }
            d.prune.all = true;
            let p = plan(&d, &live, PlanOptions::default());
            assert!(p.is_empty(), "{owner}: {:?}", p.changes);
            assert!(p.drift.is_empty() && p.findings.is_empty(), "{owner}: {:?}", p.drift);
        }
    }

    #[test]
    fn an_unlisted_attachment_of_a_blueprint_scp_is_detached_without_prune() {
        let (d, mut live, _) = with_leftover("acme", false);
        let spec = crate::kinds::scp_attachment::ScpAttachmentSpec {
            policy: "deny-leave-org".into(),
            target: "account:sandbox-alice".into(),
        };
        live.resources.insert(
            spec.address(),
            crate::resource::LiveResource { at: spec.locator(), spec: crate::kinds::Spec::to_value(&spec) },
        );
        let p = plan(&d, &live, PlanOptions::default());
        assert_eq!(p.changes.len(), 1, "{:?}", p.changes);
        let c = p.change(&spec.address()).unwrap();
        assert_eq!(c.action, Action::Delete);
        assert!(c.reason.contains("drift repair, with or without --prune"), "{}", c.reason);
        // A new attachment waits for the removals, which may free its target's slot.
        let (mut d, mut live, leftover) = with_leftover("acme", false);
        d.prune.all = true;
        let new = "scp-attachment/deny-leave-org@Security".parse::<Address>().unwrap();
        live.resources.remove(&new).unwrap();
        live.resources.insert(
            spec.address(),
            crate::resource::LiveResource { at: spec.locator(), spec: crate::kinds::Spec::to_value(&spec) },
        );
        let p = plan(&d, &live, PlanOptions::default());
        assert_eq!(p.change(&new).unwrap().depends_on, [spec.address(), leftover]);
    }
}
