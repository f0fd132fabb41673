//! The `identity_center` section: single sign-on through IAM Identity Center. Groups of the
//! identity store (synced from an identity provider, or created here with `create: true`),
//! permission sets, and assignments of a permission set to a group in the accounts its targets
//! select (the syntax of guardrail targets, narrowed by `workloads` and `environments`).
//!
//! ```yaml
//! identity_center:
//!   region: eu-west-1                    # default: organization.home_region
//!   groups:
//!     - { name: jira-admins, create: true }
//!   permission_sets:
//!     - name: JiraAdmin
//!       session: 4h                      # 1h to 12h; default 1h
//!       managed_policies: [ReadOnlyAccess]
//!       statements: [...]                # linted as a role's
//!   assignments:
//!     - { group: jira-admins, permission_set: JiraAdmin, targets: [{ ou: Workloads }], workloads: [jira] }
//! ```
//!
//! Defaults live here and in the model ([`crate::model::IdentityCenter`]); every problem is
//! reported at its `file:line:column`.

use std::collections::{BTreeSet, HashMap};

use crate::diag::Diagnostic;
use crate::guardrails::{RawTarget, Scope as TargetScope, read_target, resolve_target};
use crate::lint::{self, Env, Scope};
use crate::logging::boolean;
use crate::model::{
    Account, AccountOrigin, Boundary, IcAssignment, IcGroup, IcPermissionSet, IcUser, IdentityCenter, PolicyRef,
    Spanned, Target,
};
use crate::schema::{Cx, did_you_mean};
use crate::selector::strings;
use crate::yaml::{Node, Span};

/// Keys of the section.
pub(crate) const KEYS: &[&str] = &["region", "groups", "users", "permission_sets", "assignments"];
pub(crate) const USER_KEYS: &[&str] =
    &["name", "display_name", "given_name", "family_name", "email", "groups", "programmatic"];
pub(crate) const GROUP_KEYS: &[&str] = &["name", "create", "description"];
pub(crate) const PERMISSION_SET_KEYS: &[&str] = &[
    "name",
    "description",
    "session",
    "relay_state",
    "managed_policies",
    "customer_managed_policies",
    "statements",
    "permissions_boundary",
];
pub(crate) const POLICY_REF_KEYS: &[&str] = &["name", "path"];
pub(crate) const BOUNDARY_KEYS: &[&str] = &["managed", "name", "path"];
pub(crate) const ASSIGNMENT_KEYS: &[&str] = &["group", "permission_set", "targets", "workloads", "environments"];

/// Identity Center: a permission set holds at most this many managed policies (AWS-managed and
/// customer-managed together).
pub(crate) const MAX_PERMISSION_SET_POLICIES: usize = 20;
/// Identity Center: the shortest session a permission set may have, in minutes (1 hour).
pub(crate) const MIN_SESSION_MINUTES: u32 = 60;
/// Identity Center: the longest session a permission set may have, in minutes (12 hours).
pub(crate) const MAX_SESSION_MINUTES: u32 = 720;
/// The ARN prefix of AWS-managed policies; a short name is written after it.
const AWS_MANAGED_PREFIX: &str = "arn:aws:iam::aws:policy/";

/// Raw section.
#[derive(Debug, Clone, Default)]
pub(crate) struct RawIdentityCenter {
    region: Option<Spanned<String>>,
    groups: Vec<IcGroup>,
    users: Vec<(IcUser, Vec<Spanned<String>>)>,
    permission_sets: Vec<RawPermissionSet>,
    assignments: Vec<RawAssignment>,
}

#[derive(Debug, Clone)]
struct RawPermissionSet {
    set: IcPermissionSet,
    /// The managed policies as written (for their spans).
    managed: Vec<Spanned<String>>,
    statements: Vec<Node>,
    broken: bool,
}

#[derive(Debug, Clone)]
struct RawAssignment {
    group: Spanned<String>,
    permission_set: Spanned<String>,
    /// The targets and the span of the list.
    targets: Vec<RawTarget>,
    targets_span: Span,
    workloads: Option<Vec<Spanned<String>>>,
    environments: Option<Vec<Spanned<String>>>,
}

/// Reads the section.
pub(crate) fn read(cx: &mut Cx, node: &Node) -> RawIdentityCenter {
    let mut raw = RawIdentityCenter::default();
    let Some(f) = cx.map(node, "identity_center", KEYS) else { return raw };
    if let Some(r) = f.get("region")
        && let Some(region) = cx.string(r, "identity_center.region")
        && crate::regions::check_region(cx, &region)
    {
        raw.region = Some(region);
    }
    if let Some(g) = f.get("groups")
        && let Some(items) = cx.list(g, "identity_center.groups")
    {
        raw.groups = items.iter().filter_map(|n| read_group(cx, n)).collect();
    }
    if let Some(u) = f.get("users")
        && let Some(items) = cx.list(u, "identity_center.users")
    {
        raw.users = items.iter().filter_map(|n| read_user(cx, n)).collect();
    }
    if let Some(p) = f.get("permission_sets")
        && let Some(items) = cx.list(p, "identity_center.permission_sets")
    {
        raw.permission_sets = items.iter().filter_map(|n| read_permission_set(cx, n)).collect();
    }
    if let Some(a) = f.get("assignments")
        && let Some(items) = cx.list(a, "identity_center.assignments")
    {
        raw.assignments = items.iter().filter_map(|n| read_assignment(cx, n)).collect();
    }
    raw
}

fn read_group(cx: &mut Cx, node: &Node) -> Option<IcGroup> {
    let f = cx.map(node, "an Identity Center group", GROUP_KEYS)?;
    let name = cx.required(&f, "name", "an Identity Center group").and_then(|n| cx.string(n, "the group name"));
    let create = f.get("create").map_or(Some(false), |n| boolean(cx, n, "create"));
    let description = f.get("description").and_then(|n| cx.string(n, "description"));
    let name = name?;
    if name.value.is_empty() || name.value.chars().count() > 1024 {
        cx.push(
            Diagnostic::error("blueprint::ic-name", name.span, "a group's display name is 1 to 1,024 characters")
                .label("not a display name"),
        );
    }
    let description = description.map_or_else(|| format!("groundwork group {}", name.value), |d| d.value);
    Some(IcGroup { name, create: create?, description })
}

fn read_user(cx: &mut Cx, node: &Node) -> Option<(IcUser, Vec<Spanned<String>>)> {
    let what = "an Identity Center user";
    let f = cx.map(node, what, USER_KEYS)?;
    let name = cx.required(&f, "name", what).and_then(|n| cx.string(n, "the user name"));
    let given = cx.required(&f, "given_name", what).and_then(|n| cx.string(n, "given_name"));
    let family = cx.required(&f, "family_name", what).and_then(|n| cx.string(n, "family_name"));
    let display = f.get("display_name").and_then(|n| cx.string(n, "display_name"));
    let email = f.get("email").and_then(|n| cx.string(n, "email"));
    let groups = f.get("groups").and_then(|n| strings(cx, n, "a group name")).unwrap_or_default();
    if let Some(n) = f.get("programmatic") {
        crate::access_keys::programmatic_outside_hub(cx, n);
    }
    let (name, given, family) = (name?, given?, family?);
    if name.value.is_empty() || name.value.contains('/') || name.value.chars().count() > 128 {
        cx.push(
            Diagnostic::error(
                "blueprint::ic-name",
                name.span,
                format!("`{}` is not a user name groundwork accepts", name.value),
            )
            .label("not a user name")
            .help("a user name is 1 to 128 characters without `/`"),
        );
    }
    let user = IcUser {
        display_name: display.map_or_else(|| format!("{} {}", given.value, family.value), |d| d.value),
        name,
        given_name: given.value,
        family_name: family.value,
        email: email.map(|e| e.value),
        groups: groups.iter().map(|g| g.value.clone()).collect(),
    };
    Some((user, groups))
}

/// `4h`, `90m`, `1h30m` (or a number of minutes) → minutes.
fn parse_session(text: &str) -> Option<u32> {
    let text = text.trim();
    if let Ok(m) = text.parse::<u32>() {
        return Some(m);
    }
    let (hours, rest) = match text.split_once('h') {
        Some((h, rest)) => (h.trim().parse::<u32>().ok()?, rest.trim()),
        None => (0, text),
    };
    let minutes = match rest.strip_suffix('m') {
        Some(m) => m.trim().parse::<u32>().ok()?,
        None if rest.is_empty() => 0,
        None => return None,
    };
    hours.checked_mul(60)?.checked_add(minutes)
}

fn read_session(cx: &mut Cx, node: &Node) -> Option<u32> {
    let s = cx.string(node, "session")?;
    let Some(minutes) = parse_session(&s.value) else {
        cx.push(
            Diagnostic::error("blueprint::ic-session", s.span, format!("`{}` is not a session duration", s.value))
                .label("not a duration")
                .help("write hours and minutes, such as `1h`, `90m` or `4h30m`"),
        );
        return None;
    };
    if !(MIN_SESSION_MINUTES..=MAX_SESSION_MINUTES).contains(&minutes) {
        cx.push(
            Diagnostic::error(
                "blueprint::ic-session",
                s.span,
                format!("a session of `{}` is outside the 1 to 12 hours Identity Center allows", s.value),
            )
            .label("outside 1h to 12h")
            .help("a permission set's session lasts from `1h` to `12h`"),
        );
        return None;
    }
    Some(minutes)
}

fn read_policy_ref(cx: &mut Cx, node: &Node, what: &str, keys: &[&str]) -> Option<PolicyRef> {
    let f = cx.map(node, what, keys)?;
    let name = cx.required(&f, "name", what).and_then(|n| cx.string(n, "the policy name"))?;
    let path = match f.get("path").and_then(|n| cx.string(n, "the policy path")) {
        Some(p) if !(p.value.starts_with('/') && p.value.ends_with('/')) => {
            cx.push(
                Diagnostic::error("blueprint::ic-policy", p.span, format!("`{}` is not an IAM path", p.value))
                    .label("not a path")
                    .help("an IAM path starts and ends with `/`, such as `/` or `/groundwork/`"),
            );
            return None;
        }
        Some(p) => p.value,
        None => "/".to_owned(),
    };
    Some(PolicyRef { name: name.value, path })
}

/// An AWS-managed policy, by short name (`ReadOnlyAccess`, `job-function/ViewOnlyAccess`) or
/// ARN, as its ARN; `None` after an error.
fn managed_arn(cx: &mut Cx, p: &Spanned<String>) -> Option<String> {
    let arn = if p.value.starts_with("arn:") { p.value.clone() } else { format!("{AWS_MANAGED_PREFIX}{}", p.value) };
    let name = arn.strip_prefix(AWS_MANAGED_PREFIX).unwrap_or("");
    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b"_+=,.@-/".contains(&b)) {
        cx.push(
            Diagnostic::error(
                "blueprint::ic-policy",
                p.span,
                format!("`{}` is not an AWS-managed policy", p.value),
            )
            .label("not arn:aws:iam::aws:policy/NAME")
            .help(
                "`managed_policies` names AWS-managed policies (`ReadOnlyAccess` or its ARN); name your own policies \
                 under `customer_managed_policies: [{ name: ..., path: ... }]`",
            ),
        );
        return None;
    }
    Some(arn)
}

fn read_permission_set(cx: &mut Cx, node: &Node) -> Option<RawPermissionSet> {
    let before = lint::error_count(cx);
    let f = cx.map(node, "a permission set", PERMISSION_SET_KEYS)?;
    let name = cx.required(&f, "name", "a permission set").and_then(|n| cx.string(n, "the permission set name"));
    let description = f.get("description").and_then(|n| cx.string(n, "description"));
    let session = f.get("session").map(|n| read_session(cx, n));
    let relay_state = f.get("relay_state").and_then(|n| cx.string(n, "relay_state"));
    let managed = f.get("managed_policies").and_then(|n| strings(cx, n, "a managed policy")).unwrap_or_default();
    let mut customer = Vec::new();
    if let Some(c) = f.get("customer_managed_policies")
        && let Some(items) = cx.list(c, "customer_managed_policies")
    {
        customer = items
            .iter()
            .filter_map(|n| read_policy_ref(cx, n, "a customer-managed policy reference", POLICY_REF_KEYS))
            .collect();
    }
    let statements =
        f.get("statements").and_then(|n| cx.list(n, "statements")).map(<[Node]>::to_vec).unwrap_or_default();
    let boundary = f.get("permissions_boundary").and_then(|n| read_boundary(cx, n));
    let name = name?;
    let n = name.value.chars().count();
    if n == 0 || n > 32 || !name.value.chars().all(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c)) {
        cx.push(
            Diagnostic::error(
                "blueprint::ic-name",
                name.span,
                format!("permission set name `{}` is not 1 to 32 letters, digits and _ + = , . @ -", name.value),
            )
            .label("not a permission set name"),
        );
    }
    let mut arns: Vec<String> = managed.iter().filter_map(|p| managed_arn(cx, p)).collect();
    arns.sort();
    arns.dedup();
    customer.sort();
    customer.dedup();
    let total = arns.len() + customer.len();
    if total > MAX_PERMISSION_SET_POLICIES {
        cx.push(
            Diagnostic::error(
                "blueprint::too-many-policies",
                name.span,
                format!(
                    "permission set `{}` has {total} managed policies ({} AWS-managed, {} customer-managed); \
                     Identity Center attaches at most {MAX_PERMISSION_SET_POLICIES}",
                    name.value,
                    arns.len(),
                    customer.len()
                ),
            )
            .label("too many managed policies")
            .help("merge some into the inline `statements`, or split the permissions across permission sets"),
        );
    }
    let set = IcPermissionSet {
        description: description.map_or_else(|| format!("groundwork permission set {}", name.value), |d| d.value),
        name,
        session_minutes: session.flatten().unwrap_or(MIN_SESSION_MINUTES),
        relay_state: relay_state.map(|r| r.value),
        managed_policies: arns,
        customer_managed_policies: customer,
        statements: Vec::new(),
        permissions_boundary: boundary,
    };
    Some(RawPermissionSet { set, managed, statements, broken: lint::error_count(cx) > before })
}

fn read_boundary(cx: &mut Cx, node: &Node) -> Option<Boundary> {
    let f = cx.map(node, "permissions_boundary", BOUNDARY_KEYS)?;
    match (f.get("managed"), f.get("name")) {
        (Some(m), None) => {
            let m = cx.string(m, "the boundary policy")?;
            managed_arn(cx, &m).map(Boundary::Managed)
        }
        (None, Some(_)) => read_policy_ref(cx, node, "permissions_boundary", BOUNDARY_KEYS).map(Boundary::Customer),
        _ => {
            cx.push(
                Diagnostic::error(
                    "blueprint::ic-policy",
                    node.span,
                    "a permissions boundary is `{ managed: NAME }` or `{ name: NAME, path: PATH }`",
                )
                .label("one of the two")
                .help("an AWS-managed policy by name or ARN, or a customer-managed policy by name and path"),
            );
            None
        }
    }
}

fn read_assignment(cx: &mut Cx, node: &Node) -> Option<RawAssignment> {
    let what = "an assignment";
    let f = cx.map(node, what, ASSIGNMENT_KEYS)?;
    let group = cx.required(&f, "group", what).and_then(|n| cx.string(n, "the group"));
    let permission_set = cx.required(&f, "permission_set", what).and_then(|n| cx.string(n, "the permission set"));
    let targets_node = cx.required(&f, "targets", what);
    let targets = targets_node
        .and_then(|t| cx.list(t, "targets"))
        .map(|items| items.iter().filter_map(|n| read_target(cx, n)).collect::<Vec<_>>());
    let workloads = f.get("workloads").and_then(|n| strings(cx, n, "a workload name"));
    let environments = f.get("environments").and_then(|n| strings(cx, n, "an environment name"));
    Some(RawAssignment {
        group: group?,
        permission_set: permission_set?,
        targets: targets?,
        targets_span: targets_node?.span,
        workloads,
        environments,
    })
}

fn unknown(cx: &mut Cx, name: &Spanned<String>, what: &str, section: &str, known: &[&str]) {
    let mut d = Diagnostic::error(
        "blueprint::ic-unknown",
        name.span,
        format!("{what} `{}` is not in identity_center.{section}", name.value),
    )
    .label(format!("unknown {what}"));
    d = match did_you_mean(&name.value, known.iter().copied()) {
        Some(s) => d.help(format!("did you mean `{s}`?")),
        None if known.is_empty() => d.help(format!("add it to identity_center.{section}")),
        None => d.help(format!("known: {}", known.join(", "))),
    };
    cx.push(d);
}

/// An account's workload and environment, when it is a workload account.
fn origin(a: &Account) -> Option<(&str, &str)> {
    match &a.origin {
        AccountOrigin::Workload { workload, environment } => Some((workload.as_str(), environment.as_str())),
        AccountOrigin::Explicit => None,
    }
}

/// Checks `workloads` or `environments` names against the blueprint's; false after an error.
fn check_filter(cx: &mut Cx, names: Option<&Vec<Spanned<String>>>, known: &BTreeSet<&str>, what: &str) -> bool {
    let mut ok = true;
    for n in names.into_iter().flatten() {
        if !known.contains(n.value.as_str()) {
            ok = false;
            let mut d = Diagnostic::error(
                "blueprint::unknown-workload",
                n.span,
                format!("{what} `{}` is not in the blueprint", n.value),
            )
            .label(format!("unknown {what}"));
            d = match did_you_mean(&n.value, known.iter().copied()) {
                Some(s) => d.help(format!("did you mean `{s}`?")),
                None => d.help(format!(
                    "{what}s of the blueprint: {}",
                    known.iter().copied().collect::<Vec<_>>().join(", ")
                )),
            };
            cx.push(d);
        }
    }
    ok
}

/// Checks the section against the rest of the blueprint and gives the model.
pub(crate) fn lower(
    cx: &mut Cx,
    raw: &RawIdentityCenter,
    scope: &TargetScope<'_>,
    env: &Env<'_>,
) -> Option<IdentityCenter> {
    let before = lint::error_count(cx);
    let mut groups: Vec<IcGroup> = Vec::new();
    let mut seen: HashMap<&str, Span> = HashMap::new();
    for g in &raw.groups {
        if let Some(first) = seen.get(g.name.value.as_str()) {
            cx.push(
                Diagnostic::error(
                    "blueprint::ic-duplicate",
                    g.name.span,
                    format!("group `{}` is listed twice", g.name.value),
                )
                .label("listed again")
                .related(*first, "first listed here"),
            );
            continue;
        }
        seen.insert(&g.name.value, g.name.span);
        groups.push(g.clone());
    }
    let group_names: Vec<&str> = raw.groups.iter().map(|g| g.name.value.as_str()).collect();
    let mut users: Vec<IcUser> = Vec::new();
    let mut seen: HashMap<&str, Span> = HashMap::new();
    for (u, groups) in &raw.users {
        if let Some(first) = seen.get(u.name.value.as_str()) {
            cx.push(
                Diagnostic::error(
                    "blueprint::ic-duplicate",
                    u.name.span,
                    format!("user `{}` is listed twice", u.name.value),
                )
                .label("listed again")
                .related(*first, "first listed here"),
            );
            continue;
        }
        seen.insert(&u.name.value, u.name.span);
        for g in groups.iter().filter(|g| !group_names.contains(&g.value.as_str())) {
            unknown(cx, g, "group", "groups", &group_names);
        }
        users.push(u.clone());
    }
    let mut sets: Vec<IcPermissionSet> = Vec::new();
    let mut seen: HashMap<String, Span> = HashMap::new();
    for p in &raw.permission_sets {
        let key = p.set.name.value.to_lowercase();
        if let Some(first) = seen.get(&key) {
            cx.push(
                Diagnostic::error(
                    "blueprint::ic-duplicate",
                    p.set.name.span,
                    format!("permission set `{}` is defined twice", p.set.name.value),
                )
                .label("second definition")
                .related(*first, "first defined here")
                .help("permission set names are unique regardless of case"),
            );
            continue;
        }
        seen.insert(key, p.set.name.span);
        let _ = &p.managed;
        let statements = crate::identity::lint_statements(cx, env, Scope::PermissionSet, &p.statements);
        if p.broken {
            continue;
        }
        if let Some(statements) = statements {
            sets.push(IcPermissionSet { statements, ..p.set.clone() });
        }
    }
    let set_names: Vec<&str> = raw.permission_sets.iter().map(|p| p.set.name.value.as_str()).collect();
    let workloads: BTreeSet<&str> = env.accounts.iter().filter_map(|a| origin(a).map(|o| o.0)).collect();
    let environments: BTreeSet<&str> = env.accounts.iter().filter_map(|a| origin(a).map(|o| o.1)).collect();
    let mut assignments: Vec<IcAssignment> = Vec::new();
    for a in &raw.assignments {
        let mut ok = true;
        if !group_names.contains(&a.group.value.as_str()) {
            unknown(cx, &a.group, "group", "groups", &group_names);
            ok = false;
        }
        if !set_names.contains(&a.permission_set.value.as_str()) {
            unknown(cx, &a.permission_set, "permission set", "permission_sets", &set_names);
            ok = false;
        }
        if a.targets.is_empty() {
            cx.push(
                Diagnostic::error("blueprint::no-target", a.targets_span, "an assignment needs at least one target")
                    .label("no target")
                    .help("a target is `Root`, `{ ou: PATH }` or `{ account: NAME }`"),
            );
            ok = false;
        }
        let targets: Vec<Spanned<Target>> = a.targets.iter().filter_map(|t| resolve_target(cx, t, scope)).collect();
        ok &= targets.len() == a.targets.len();
        ok &= check_filter(cx, a.workloads.as_ref(), &workloads, "workload");
        ok &= check_filter(cx, a.environments.as_ref(), &environments, "environment");
        if !ok {
            continue;
        }
        let filtered = a.workloads.is_some() || a.environments.is_some();
        let keep = |acc: Option<&Account>| {
            if !targets.iter().any(|t| t.value.selects(acc)) {
                return false;
            }
            if !filtered {
                return true;
            }
            let Some((w, e)) = acc.and_then(|a| origin(a)) else { return false };
            a.workloads.as_ref().is_none_or(|ws| ws.iter().any(|x| x.value == w))
                && a.environments.as_ref().is_none_or(|es| es.iter().any(|x| x.value == e))
        };
        let mut selected: Vec<Option<String>> = Vec::new();
        if keep(None) {
            selected.push(None);
        }
        selected.extend(env.accounts.iter().filter(|acc| keep(Some(acc))).map(|acc| Some(acc.name.value.clone())));
        if selected.is_empty() {
            cx.push(
                Diagnostic::error(
                    "blueprint::empty-selection",
                    a.targets_span,
                    format!("the assignment of `{}` to `{}` selects no account", a.permission_set.value, a.group.value),
                )
                .label("no account here")
                .help("its targets hold no account of the selected workloads and environments"),
            );
            continue;
        }
        assignments.push(IcAssignment {
            group: a.group.value.clone(),
            permission_set: a.permission_set.value.clone(),
            accounts: selected,
        });
    }
    if lint::error_count(cx) > before {
        return None;
    }
    let region = raw.region.as_ref().map(|r| r.value.clone()).or_else(|| scope.home_region.map(str::to_owned))?;
    Some(IdentityCenter { region, groups, users, permission_sets: sets, assignments })
}

#[cfg(test)]
mod tests {
    use super::parse_session;
    use crate::model::iso_duration;

    fn parse(extra: &str) -> Result<crate::Blueprint, crate::Diagnostics> {
        let src = format!(
            "version: 1
organization: {{ name: acme, home_region: eu-west-1, management_account: {{ email: root@acme.example }} }}
organizational_units: [{{ name: Workloads, children: [{{ name: Prod }}] }}]
accounts:
  - {{ name: app, email: aws+app@acme.example, ou: Workloads/Prod }}
workload_defaults: {{ email: \"aws+{{workload}}-{{env}}@acme.example\", ou: Workloads/Prod }}
workloads: [{{ name: jira, environments: [prod] }}]
{extra}"
        );
        crate::parse("t.yaml", src.as_bytes()).map(|p| p.blueprint)
    }

    #[test]
    fn sessions_read_as_hours_and_minutes_and_render_as_iso() {
        assert_eq!(parse_session("4h"), Some(240));
        assert_eq!(parse_session("90m"), Some(90));
        assert_eq!(parse_session("1h30m"), Some(90));
        assert_eq!(parse_session("2 h"), Some(120));
        assert_eq!(parse_session("4 hours"), None);
        assert_eq!(iso_duration(60), "PT1H");
        assert_eq!(iso_duration(90), "PT1H30M");
        assert_eq!(iso_duration(720), "PT12H");
    }

    #[test]
    fn a_blueprint_without_the_section_has_none() {
        assert!(parse("").unwrap().identity_center.is_none());
    }

    #[test]
    fn defaults_and_target_expansion() {
        let bp = parse(
            "identity_center:
  groups: [{ name: admins, create: true }, { name: auditors }]
  permission_sets:
    - { name: Admin, session: 2h, managed_policies: [ReadOnlyAccess, job-function/ViewOnlyAccess] }
    - { name: Audit, customer_managed_policies: [{ name: Audit }, { name: Extra, path: /gw/ }] }
  assignments:
    - { group: admins, permission_set: Admin, targets: [{ ou: Workloads }], workloads: [jira] }
    - { group: auditors, permission_set: Audit, targets: [Root] }
",
        )
        .unwrap();
        let ic = bp.identity_center.unwrap();
        assert_eq!(ic.region, "eu-west-1");
        assert!(ic.groups[0].create && !ic.groups[1].create);
        assert_eq!(ic.groups[1].description, "groundwork group auditors");
        let admin = &ic.permission_sets[0];
        assert_eq!(admin.session_minutes, 120);
        assert_eq!(
            admin.managed_policies,
            ["arn:aws:iam::aws:policy/ReadOnlyAccess", "arn:aws:iam::aws:policy/job-function/ViewOnlyAccess"]
        );
        assert_eq!(ic.permission_sets[1].session_minutes, 60);
        assert_eq!(ic.permission_sets[1].customer_managed_policies[1].path, "/gw/");
        assert_eq!(ic.assignments[0].accounts, [Some("jira-prod".to_owned())]);
        assert_eq!(ic.assignments[1].accounts, [None, Some("app".to_owned()), Some("jira-prod".to_owned())]);
    }

    #[test]
    fn errors_are_located() {
        let err = parse(
            "identity_center:
  groups: [{ name: admins }]
  permission_sets:
    - { name: Admin, session: 13h }
    - name: Ops
      statements:
        - { Effect: Allow, Action: s3:GetObject, Resource: \"arn:aws:s3:::logs-{account_id}/*\" }
  assignments:
    - { group: admin, permission_set: Admn, targets: [{ ou: Nowhere }], workloads: [jra] }
",
        )
        .unwrap_err();
        let found: Vec<(&str, usize, usize)> = err.items.iter().map(|d| (d.code, d.span.line, d.span.col)).collect();
        assert_eq!(
            found,
            [
                ("blueprint::ic-session", 11, 31),
                ("blueprint::permission-set-placeholder", 14, 79),
                ("blueprint::ic-unknown", 16, 16),
                ("blueprint::ic-unknown", 16, 39),
                ("blueprint::unknown-ou", 16, 61),
                ("blueprint::unknown-workload", 16, 85),
            ]
        );
    }
}
