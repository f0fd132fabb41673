//! The `identity` and `roles` sections: the hub where people sign in (password policy, groups,
//! users) and the roles deployed into member accounts, which groups are granted to assume.
//!
//! Reading (`read_identity`, `read_roles`) checks shapes, names and ranges; `lower` resolves
//! selectors and references against the accounts and runs the least-privilege lint.

use std::collections::{BTreeMap, HashMap};

use crate::access_keys::{AccessKeys, read_access_keys};
use crate::diag::Diagnostic;
use crate::lint::{self, Env, Scope, SizeVars};
use crate::logging::boolean;
use crate::model::{
    Account, AccountOrigin, DEFAULT_MAX_MFA_AGE_SECONDS, DEFAULT_ROLE_PATH, Grant, Group, Identity, OuPath,
    PasswordPolicy, Purpose, Role, RoleTrust, SessionName, Spanned, Tags, User,
};
use crate::schema::{Cx, RawOrganization, did_you_mean};
use crate::selector::{self, RawSelector};
use crate::template::{Segment, Template};
use crate::yaml::{Node, Span};

/// `identity.account: management` puts the hub in the management account (allowed, warned
/// against).
pub const MANAGEMENT_HUB: &str = "management";
/// The shortest password groundwork accepts without `allow_weak: true`.
pub const MIN_PASSWORD_LENGTH: u32 = 14;

/// IAM: a path is at most this many characters.
const MAX_PATH_CHARS: usize = 512;
/// IAM: roles, users and groups take at most this many tags; groundwork uses up to four.
const MAX_IAM_TAGS: usize = 46;

/// `roles[].max_session_seconds`' default.
pub(crate) const DEFAULT_MAX_SESSION_SECONDS: u32 = 3600;
pub(crate) const IDENTITY_KEYS: &[&str] =
    &["account", "require_mfa", "password_policy", "role_path", "groups", "users", "access_keys"];
pub(crate) const PASSWORD_KEYS: &[&str] = &[
    "min_length",
    "require_uppercase",
    "require_lowercase",
    "require_numbers",
    "require_symbols",
    "max_age_days",
    "reuse_prevention",
    "allow_users_to_change",
    "apply_to_all_accounts",
    "allow_weak",
];
pub(crate) const GROUP_KEYS: &[&str] = &["name", "grants", "managed_policies", "statements", "programmatic"];
pub(crate) const GRANT_KEYS: &[&str] = &["role", "accounts", "ous", "workloads", "environments"];
pub(crate) const USER_KEYS: &[&str] = &["name", "groups", "console", "tags", "programmatic"];
pub(crate) const ROLE_KEYS: &[&str] = &[
    "name",
    "description",
    "select",
    "trust",
    "max_mfa_age_seconds",
    "session_name",
    "max_session_seconds",
    "managed_policies",
    "statements",
];

/// Raw `identity` section.
#[derive(Debug, Clone)]
pub(crate) struct RawIdentity {
    /// `None` when missing or unreadable (reported).
    account: Option<Spanned<String>>,
    require_mfa: bool,
    password_policy: PasswordPolicy,
    password_policy_everywhere: bool,
    /// `role_path`, checked (the default when absent or broken).
    role_path: String,
    groups: Vec<RawGroup>,
    users: Vec<RawUser>,
    access_keys: AccessKeys,
}

impl RawIdentity {
    /// `role_path`, checked (the default when absent or broken).
    pub(crate) fn role_path(&self) -> &str {
        &self.role_path
    }

    /// The names of its groups, as written.
    pub(crate) fn group_names(&self) -> impl Iterator<Item = &Spanned<String>> {
        self.groups.iter().map(|g| &g.name)
    }

    /// Where a statement of group `group` has the `Sid` `sid`, if one has.
    pub(crate) fn statement_sid(&self, group: &str, sid: &str) -> Option<Span> {
        let g = self.groups.iter().find(|g| g.name.value == group)?;
        g.statements.iter().find_map(|s| {
            let crate::yaml::NodeKind::Map(entries) = &s.kind else { return None };
            entries.iter().find_map(|(k, v)| {
                let is = |n: &Node, text: &str| {
                    matches!(&n.kind, crate::yaml::NodeKind::Scalar { value, .. } if value == text)
                };
                (is(k, "Sid") && is(v, sid)).then_some(v.span)
            })
        })
    }
}

impl RawRole {
    /// Its name, as written.
    pub(crate) fn name(&self) -> &Spanned<String> {
        &self.name
    }
}

#[derive(Debug, Clone)]
struct RawGroup {
    name: Spanned<String>,
    grants: Vec<RawGrant>,
    managed_policies: Vec<Spanned<String>>,
    statements: Vec<Node>,
    programmatic: bool,
}

#[derive(Debug, Clone)]
struct RawGrant {
    role: Spanned<String>,
    selector: RawSelector,
}

#[derive(Debug, Clone)]
struct RawUser {
    name: Spanned<String>,
    groups: Vec<Spanned<String>>,
    console: bool,
    tags: Tags,
    programmatic: bool,
}

/// Raw role.
#[derive(Debug, Clone)]
pub(crate) struct RawRole {
    name: Spanned<String>,
    description: String,
    select: RawSelector,
    trust: Spanned<RoleTrust>,
    max_session_seconds: u32,
    managed_policies: Vec<Spanned<String>>,
    statements: Vec<Node>,
    /// It had an error (reported): kept only so that grants naming it are not reported too.
    broken: bool,
}

/// An integer within `lo..=hi`.
fn bounded(cx: &mut Cx, node: &Node, what: &str, lo: u32, hi: u32) -> Option<Spanned<u32>> {
    let n = cx.integer(node, what)?;
    match u32::try_from(n.value) {
        Ok(v) if (lo..=hi).contains(&v) => Some(Spanned::new(v, n.span)),
        _ => {
            cx.push(
                Diagnostic::error(
                    "blueprint::out-of-range",
                    n.span,
                    format!("{what} is {}; IAM accepts {lo} to {hi}", n.value),
                )
                .label("out of range"),
            );
            None
        }
    }
}

/// IAM user, group and role names: 1 to `max` of letters, digits and `_+=,.@-`.
pub(crate) fn check_iam_name(cx: &mut Cx, name: &Spanned<String>, what: &str, max: usize) -> bool {
    let n = name.value.chars().count();
    let bad = name.value.chars().find(|c| !(c.is_ascii_alphanumeric() || "_+=,.@-".contains(*c)));
    let problem = match bad {
        _ if n == 0 || n > max => format!("{what} `{}` is {n} characters; IAM accepts 1 to {max}", name.value),
        Some(c) => format!("{what} `{}` contains {c:?}, which IAM does not accept in names", name.value),
        None => return true,
    };
    cx.push(
        Diagnostic::error("blueprint::iam-name", name.span, problem)
            .label("not a valid IAM name")
            .help(format!("IAM {what}s are 1 to {max} ASCII letters, digits and _ + = , . @ -")),
    );
    false
}

/// Reports a name seen before, compared case-insensitively as IAM does.
fn check_unique(cx: &mut Cx, seen: &mut HashMap<String, Span>, name: &Spanned<String>, kind: &str) -> bool {
    let key = name.value.to_lowercase();
    if let Some(first) = seen.get(&key) {
        let code = match kind {
            "role" => "blueprint::duplicate-role",
            "group" => "blueprint::duplicate-group",
            _ => "blueprint::duplicate-user",
        };
        cx.push(
            Diagnostic::error(code, name.span, format!("{kind} `{}` is defined twice", name.value))
                .label("second definition")
                .related(*first, "first defined here")
                .help("IAM names are unique regardless of case"),
        );
        return false;
    }
    seen.insert(key, name.span);
    true
}

fn read_password_policy(cx: &mut Cx, node: &Node) -> Option<(PasswordPolicy, bool)> {
    let f = cx.map(node, "password_policy", PASSWORD_KEYS)?;
    let mut p = PasswordPolicy::default();
    let flag = |cx: &mut Cx, key: &str, default: bool| f.get(key).map_or(Some(default), |n| boolean(cx, n, key));
    let require_uppercase = flag(cx, "require_uppercase", true);
    let require_lowercase = flag(cx, "require_lowercase", true);
    let require_numbers = flag(cx, "require_numbers", true);
    let require_symbols = flag(cx, "require_symbols", true);
    let allow_users_to_change = flag(cx, "allow_users_to_change", true);
    let everywhere = flag(cx, "apply_to_all_accounts", false);
    if let Some(n) = f.get("apply_to_all_accounts") {
        cx.push(
            Diagnostic::warning(
                "blueprint::superseded",
                n.span,
                "`apply_to_all_accounts` is superseded by the baseline's `password_policy`",
            )
            .label("superseded")
            .help(
                "the account baseline sets this password policy in every account it targets (`baseline.password_policy`, \
                 on by default); remove `apply_to_all_accounts` (while it is here, `true` still sets it in every \
                 account, whatever the baseline's targets)",
            ),
        );
    }
    let allow_weak = flag(cx, "allow_weak", false);
    let mut ok = true;
    if let Some(n) = f.get("min_length") {
        match bounded(cx, n, "min_length", 6, 128) {
            Some(len) if len.value < MIN_PASSWORD_LENGTH => {
                let text = format!(
                    "min_length {} allows weak passwords; groundwork requires at least {MIN_PASSWORD_LENGTH}",
                    len.value
                );
                if allow_weak == Some(true) {
                    cx.push(
                        Diagnostic::warning("blueprint::weak-password", len.span, text)
                            .label("accepted with allow_weak")
                            .help(format!("raise min_length to {MIN_PASSWORD_LENGTH} or more")),
                    );
                    p.min_length = len.value;
                } else {
                    ok = false;
                    cx.push(Diagnostic::error("blueprint::weak-password", len.span, text).label("too short").help(
                        format!(
                            "raise min_length to {MIN_PASSWORD_LENGTH} or more, or set `allow_weak: true` in \
                                 password_policy if this is deliberate"
                        ),
                    ));
                }
            }
            Some(len) => p.min_length = len.value,
            None => ok = false,
        }
    }
    for (key, lo, hi, slot) in
        [("max_age_days", 1, 1095, &mut p.max_age_days), ("reuse_prevention", 1, 24, &mut p.reuse_prevention)]
    {
        if let Some(n) = f.get(key) {
            match bounded(cx, n, key, lo, hi) {
                Some(v) => *slot = v.value,
                None => ok = false,
            }
        }
    }
    p.require_uppercase = require_uppercase?;
    p.require_lowercase = require_lowercase?;
    p.require_numbers = require_numbers?;
    p.require_symbols = require_symbols?;
    p.allow_users_to_change = allow_users_to_change?;
    allow_weak?;
    ok.then_some((p, everywhere?))
}

/// A list of statements (kept as YAML for the lint, which needs their spans).
fn read_statements(cx: &mut Cx, node: &Node) -> Vec<Node> {
    cx.list(node, "statements").map(<[Node]>::to_vec).unwrap_or_default()
}

fn read_managed(cx: &mut Cx, node: &Node) -> Vec<Spanned<String>> {
    selector::strings(cx, node, "a managed policy ARN").unwrap_or_default()
}

fn read_group(cx: &mut Cx, node: &Node) -> Option<RawGroup> {
    let f = cx.map(node, "a group", GROUP_KEYS)?;
    let name = cx.required(&f, "name", "a group").and_then(|n| cx.string(n, "the group name"));
    let mut grants = Vec::new();
    if let Some(g) = f.get("grants")
        && let Some(items) = cx.list(g, "grants")
    {
        for item in items {
            let Some(gf) = cx.map(item, "a grant", GRANT_KEYS) else { continue };
            let role = cx.required(&gf, "role", "a grant").and_then(|n| cx.string(n, "the role name"));
            let selector = selector::read(cx, &gf, item);
            if let Some(role) = role {
                grants.push(RawGrant { role, selector });
            }
        }
    }
    let managed_policies = f.get("managed_policies").map(|n| read_managed(cx, n)).unwrap_or_default();
    let statements = f.get("statements").map(|n| read_statements(cx, n)).unwrap_or_default();
    let programmatic = f.get("programmatic").map_or(Some(false), |n| boolean(cx, n, "programmatic"));
    let name = name?;
    check_iam_name(cx, &name, "group name", 128).then_some(RawGroup {
        name,
        grants,
        managed_policies,
        statements,
        programmatic: programmatic.unwrap_or(false),
    })
}

fn read_user(cx: &mut Cx, node: &Node) -> Option<RawUser> {
    let f = cx.map(node, "a user", USER_KEYS)?;
    let name = cx.required(&f, "name", "a user").and_then(|n| cx.string(n, "the user name"));
    let groups = f.get("groups").and_then(|n| selector::strings(cx, n, "a group name")).unwrap_or_default();
    let console = f.get("console").map_or(Some(false), |n| boolean(cx, n, "console"));
    let tags = f.get("tags").map(|t| cx.tags(t, "tags")).unwrap_or_default();
    let programmatic = f.get("programmatic").map_or(Some(false), |n| boolean(cx, n, "programmatic"));
    let name = name?;
    if tags.len() > MAX_IAM_TAGS {
        cx.push(Diagnostic::error(
            "blueprint::tag-limit",
            name.span,
            format!("user `{}` has {} tags; at most {MAX_IAM_TAGS}", name.value, tags.len()),
        ));
    }
    check_iam_name(cx, &name, "user name", 64).then_some(RawUser {
        name,
        groups,
        console: console?,
        tags,
        programmatic: programmatic?,
    })
}

/// Reads the `identity` section, with defaults where something is broken (and reported): a
/// broken section still exists, so roles trusting the hub are not reported as lacking one.
pub(crate) fn read_identity(cx: &mut Cx, node: &Node) -> RawIdentity {
    let mut raw = RawIdentity {
        account: None,
        require_mfa: true,
        password_policy: PasswordPolicy::default(),
        password_policy_everywhere: false,
        role_path: DEFAULT_ROLE_PATH.to_owned(),
        groups: Vec::new(),
        users: Vec::new(),
        access_keys: AccessKeys::default(),
    };
    let Some(f) = cx.map(node, "identity", IDENTITY_KEYS) else { return raw };
    if let Some(n) = f.get("access_keys")
        && let Some(keys) = read_access_keys(cx, n)
    {
        raw.access_keys = keys;
    }
    raw.account = cx.required(&f, "account", "identity").and_then(|n| cx.string(n, "identity.account"));
    if let Some(n) = f.get("require_mfa") {
        raw.require_mfa = boolean(cx, n, "require_mfa").unwrap_or(true);
        if !raw.require_mfa {
            cx.push(
                Diagnostic::warning("blueprint::mfa-off", n.span, "users may work in the hub without MFA")
                    .label("ForceMFA not attached")
                    .help(
                        "with require_mfa, a signed-in user can only set up MFA and their own credentials until \
                         they use it; roles always require MFA to be assumed",
                    ),
            );
        }
    }
    if let Some(n) = f.get("password_policy")
        && let Some((policy, everywhere)) = read_password_policy(cx, n)
    {
        raw.password_policy = policy;
        raw.password_policy_everywhere = everywhere;
    }
    if let Some(n) = f.get("role_path")
        && let Some(path) = cx.string(n, "identity.role_path")
        && check_role_path(cx, &path)
    {
        raw.role_path = path.value;
    }
    if let Some(g) = f.get("groups")
        && let Some(items) = cx.list(g, "groups")
    {
        raw.groups = items.iter().filter_map(|n| read_group(cx, n)).collect();
    }
    if let Some(u) = f.get("users")
        && let Some(items) = cx.list(u, "users")
    {
        raw.users = items.iter().filter_map(|n| read_user(cx, n)).collect();
    }
    raw
}

/// IAM's path syntax (`/` or `/` + printable ASCII + `/`, at most 512 characters), without the
/// braces of groundwork's placeholders or IAM's wildcards, which ARNs naming the role would misread.
fn check_role_path(cx: &mut Cx, path: &Spanned<String>) -> bool {
    let p = &path.value;
    let problem = if p.len() > MAX_PATH_CHARS {
        Some(format!("`{p}` is {} characters; IAM accepts at most {MAX_PATH_CHARS}", p.len()))
    } else if !p.starts_with('/') || !p.ends_with('/') {
        Some(format!("`{p}` does not start and end with `/`"))
    } else if let Some(c) = p.chars().find(|c| !('!'..='~').contains(c)) {
        Some(format!("`{p}` contains {c:?}; IAM paths are printable ASCII without spaces"))
    } else if let Some(c) = p.chars().find(|c| "{}*?".contains(*c)) {
        Some(format!("`{p}` contains {c:?}, which the role ARNs groundwork writes cannot carry"))
    } else if p.contains("//") {
        Some(format!("`{p}` has an empty segment (`//`)"))
    } else {
        None
    };
    let Some(problem) = problem else { return true };
    cx.push(
        Diagnostic::error("blueprint::role-path", path.span, format!("role_path {problem}"))
            .label("not an IAM path")
            .help(
                "an IAM path is `/` or segments between slashes, e.g. `/groundwork/` (the default) or `/acme/roles/`",
            ),
    );
    false
}

/// Reads a role. A role with an error (reported) is kept, marked broken, so that grants naming
/// it are not reported as unknown; `None` only without a readable name.
fn read_role(cx: &mut Cx, node: &Node) -> Option<RawRole> {
    let before = lint::error_count(cx);
    let f = cx.map(node, "a role", ROLE_KEYS)?;
    let name = cx.required(&f, "name", "a role").and_then(|n| cx.string(n, "the role name"));
    let description = f.get("description").and_then(|n| cx.string(n, "description"));
    if let Some(d) = &description
        && (d.value.chars().count() > 1000
            || !d.value.chars().all(|c| matches!(c, '\t' | '\n' | '\r' | ' '..='~' | '\u{a1}'..='\u{ff}')))
    {
        cx.push(
            Diagnostic::error(
                "blueprint::description",
                d.span,
                "a role description is at most 1,000 characters of Latin-1 text",
            )
            .label("IAM refuses this description"),
        );
    }
    let select = cx.required(&f, "select", "a role").and_then(|n| selector::read_map(cx, n, "select"));
    let hub = RoleTrust::Hub { max_mfa_age_seconds: DEFAULT_MAX_MFA_AGE_SECONDS, session_name: SessionName::Username };
    let mut trust = match f.get("trust") {
        None => Spanned::new(hub, Span::default()),
        Some(n) => match cx.string(n, "trust") {
            Some(t) if t.value == "hub" => Spanned::new(hub, t.span),
            Some(t) if t.value == "ec2" => Spanned::new(RoleTrust::Ec2, t.span),
            Some(t) => {
                let mut d = Diagnostic::error("blueprint::trust", t.span, format!("unknown trust `{}`", t.value))
                    .label("not a trust");
                d = match did_you_mean(&t.value, ["hub", "ec2"]) {
                    Some(s) => {
                        d.help(format!("did you mean `{s}`? trusts are `hub` (people from the identity hub) and `ec2`"))
                    }
                    None => d.help("trusts are `hub` (people from the identity hub, with MFA) and `ec2` (instances)"),
                };
                cx.push(d);
                Spanned::new(hub, t.span)
            }
            None => Spanned::new(hub, n.span),
        },
    };
    let max_mfa = f.get("max_mfa_age_seconds").and_then(|n| bounded(cx, n, "max_mfa_age_seconds", 1, 129_600));
    let session = f.get("session_name").and_then(|n| read_session_name(cx, n));
    let ec2_only = |cx: &mut Cx, span: Span, key: &str| {
        cx.push(
            Diagnostic::error("blueprint::trust", span, format!("{key} applies to roles people assume (`trust: hub`)"))
                .label("not for an EC2 role")
                .related(trust.span, "EC2 trust")
                .help(format!("remove {key}, or trust the hub")),
        );
    };
    match &mut trust.value {
        RoleTrust::Hub { max_mfa_age_seconds, session_name } => {
            if let Some(age) = max_mfa {
                *max_mfa_age_seconds = age.value;
            }
            if let Some(s) = session {
                *session_name = s.value;
            }
        }
        RoleTrust::Ec2 => {
            if let Some(age) = max_mfa {
                ec2_only(cx, age.span, "max_mfa_age_seconds");
            }
            if let Some(s) = session {
                ec2_only(cx, s.span, "session_name");
            }
        }
    }
    let max_session_seconds = f
        .get("max_session_seconds")
        .and_then(|n| bounded(cx, n, "max_session_seconds", 3600, 43_200))
        .map_or(DEFAULT_MAX_SESSION_SECONDS, |s| s.value);
    let managed_policies = f.get("managed_policies").map(|n| read_managed(cx, n)).unwrap_or_default();
    let statements = f.get("statements").map(|n| read_statements(cx, n)).unwrap_or_default();
    let name = name?;
    check_iam_name(cx, &name, "role name", 64);
    Some(RawRole {
        name,
        description: description.map(|d| d.value).unwrap_or_default(),
        select: select.unwrap_or_default(),
        trust,
        max_session_seconds,
        managed_policies,
        statements,
        broken: lint::error_count(cx) > before,
    })
}

/// `session_name: username` (the default) or `any`.
fn read_session_name(cx: &mut Cx, node: &Node) -> Option<Spanned<SessionName>> {
    let t = cx.string(node, "session_name")?;
    match t.value.as_str() {
        "username" => Some(Spanned::new(SessionName::Username, t.span)),
        "any" => Some(Spanned::new(SessionName::Any, t.span)),
        other => {
            let mut d = Diagnostic::error("blueprint::session-name", t.span, format!("unknown session_name `{other}`"))
                .label("not a session name rule");
            let rule = "`username` (the session name must be the hub user's name, the default) or `any`";
            d = match did_you_mean(other, ["username", "any"]) {
                Some(s) => d.help(format!("did you mean `{s}`? session_name is {rule}")),
                None => d.help(format!("session_name is {rule}")),
            };
            cx.push(d);
            None
        }
    }
}

/// Reads the `roles` section.
pub(crate) fn read_roles(cx: &mut Cx, node: &Node) -> Vec<RawRole> {
    cx.list(node, "roles").map(|items| items.iter().filter_map(|n| read_role(cx, n)).collect()).unwrap_or_default()
}

/// Checks managed policy ARNs (shape, duplicates, placeholders); false after an error.
fn check_managed(cx: &mut Cx, env: &Env<'_>, scope: Scope<'_>, arns: &[Spanned<String>]) -> bool {
    let mut ok = true;
    let mut seen: HashMap<&str, Span> = HashMap::new();
    for arn in arns {
        if let Some(first) = seen.get(arn.value.as_str()) {
            ok = false;
            cx.push(
                Diagnostic::error("blueprint::managed-policy", arn.span, format!("`{}` is attached twice", arn.value))
                    .label("attached again")
                    .related(*first, "first attached here"),
            );
            continue;
        }
        seen.insert(&arn.value, arn.span);
        if !looks_like_policy_arn(&arn.value) {
            ok = false;
            cx.push(
                Diagnostic::error(
                    "blueprint::managed-policy",
                    arn.span,
                    format!("`{}` is not an IAM policy ARN", arn.value),
                )
                .label("expected arn:aws:iam::<account>:policy/<name>")
                .help("AWS managed policies look like `arn:aws:iam::aws:policy/ReadOnlyAccess`"),
            );
            continue;
        }
        ok &= lint::check_placeholders(cx, env, scope, &arn.value, arn.span);
    }
    ok
}

/// `arn:<partition>:iam::<aws|12 digits|{placeholder}>:policy/<path/><name>`.
fn looks_like_policy_arn(arn: &str) -> bool {
    let Some((head, rest)) = arn.split_once("::") else { return false };
    if !matches!(head, "arn:aws:iam" | "arn:aws-cn:iam" | "arn:aws-us-gov:iam") {
        return false;
    }
    // The account is `aws`, 12 digits, or a placeholder (which may hold a colon of its own).
    let (account, resource) = if rest.starts_with('{') {
        match rest.split_once("}:") {
            Some((placeholder, resource)) => (format!("{placeholder}}}"), resource),
            None => return false,
        }
    } else {
        match rest.split_once(':') {
            Some((account, resource)) => (account.to_owned(), resource),
            None => return false,
        }
    };
    let account_ok = account == "aws"
        || (account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()))
        || is_one_placeholder(&account);
    account_ok && policy_resource(resource)
}

/// Whether `text` is a single placeholder and nothing else.
fn is_one_placeholder(text: &str) -> bool {
    matches!(Template::document(text).segments(), [Segment::Placeholder(_)])
}

fn policy_resource(resource: &str) -> bool {
    resource.strip_prefix("policy/").is_some_and(|path| {
        let name = path.rsplit('/').next().unwrap_or("");
        !name.is_empty()
            && name.len() <= 128
            && path.bytes().all(|b| b.is_ascii_alphanumeric() || b"_+=,.@-/".contains(&b))
    })
}

fn check_managed_count(cx: &mut Cx, what: &str, name: &Spanned<String>, count: usize, note: &str) {
    if count > lint::MAX_MANAGED_POLICIES {
        cx.push(
            Diagnostic::error(
                "blueprint::too-many-policies",
                name.span,
                format!(
                    "{what} `{}` has {count} managed policies{note}; IAM attaches at most {}",
                    name.value,
                    lint::MAX_MANAGED_POLICIES
                ),
            )
            .label("too many managed policies")
            .help("merge some into the inline `statements`, or split the permissions across roles or groups"),
        );
    }
}

/// Lints a list of statements as one policy; `None` after an error.
pub(crate) fn lint_statements(
    cx: &mut Cx,
    env: &Env<'_>,
    scope: Scope<'_>,
    statements: &[Node],
) -> Option<Vec<serde_json::Value>> {
    let mut sids = HashMap::new();
    let mut out = Vec::new();
    let mut ok = true;
    for s in statements {
        match lint::statement(cx, env, scope, s, &mut sids) {
            Some(json) => out.push(json),
            None => ok = false,
        }
    }
    ok.then_some(out)
}

/// Validates `identity` and `roles` against the accounts (in `env`) and lowers them into the
/// model.
pub(crate) fn lower(
    cx: &mut Cx,
    env: &Env<'_>,
    identity: Option<&RawIdentity>,
    raw_roles: &[RawRole],
    org: Option<&RawOrganization>,
    ous: &BTreeMap<OuPath, Span>,
) -> (Option<Identity>, Vec<Role>) {
    let region = org.map_or("us-east-1", |o| o.home_region.value.as_str());
    let access_role = org.and_then(|o| o.access_role.as_ref());
    let path = identity.map_or(DEFAULT_ROLE_PATH, |i| i.role_path.as_str());
    let roles = lower_roles(cx, env, raw_roles, ous, region, access_role, path);
    let identity = identity.and_then(|i| lower_identity(cx, env, i, raw_roles, &roles, ous, region));
    (identity, roles)
}

fn lower_roles(
    cx: &mut Cx,
    env: &Env<'_>,
    raw_roles: &[RawRole],
    ous: &BTreeMap<OuPath, Span>,
    region: &str,
    access_role: Option<&Spanned<String>>,
    path: &str,
) -> Vec<Role> {
    let mut seen = HashMap::new();
    let mut roles = Vec::new();
    for r in raw_roles {
        let before = lint::error_count(cx);
        if !check_unique(cx, &mut seen, &r.name, "role") || r.broken {
            continue;
        }
        check_reserved(cx, &r.name, access_role);
        if matches!(r.trust.value, RoleTrust::Hub { .. }) && !env.has_hub {
            let (span, label) = if r.trust.span == Span::default() {
                (r.name.span, "hub trust (the default)")
            } else {
                (r.trust.span, "hub trust")
            };
            cx.push(
                Diagnostic::error(
                    "blueprint::no-hub",
                    span,
                    format!("role `{}` trusts the identity hub, but there is no `identity` section", r.name.value),
                )
                .label(label)
                .help("add an `identity:` section naming the hub account, or use `trust: ec2` for a workload role"),
            );
        }
        let what = format!("role `{}`", r.name.value);
        let Some(names) = selector::resolve(cx, &r.select, env.accounts, ous, None, &what) else { continue };
        let targets: Vec<&Account> = env.accounts.iter().copied().filter(|a| names.contains(&a.name.value)).collect();
        let scope = Scope::Accounts(&targets);
        check_managed(cx, env, scope, &r.managed_policies);
        check_managed_count(cx, "role", &r.name, r.managed_policies.len(), "");
        let statements = lint_statements(cx, env, scope, &r.statements);
        let (Some(statements), true) = (statements, lint::error_count(cx) == before) else { continue };
        let role = Role {
            name: r.name.clone(),
            description: r.description.clone(),
            accounts: names,
            trust: r.trust.value,
            path: path.to_owned(),
            max_session_seconds: r.max_session_seconds,
            managed_policies: r.managed_policies.clone(),
            statements,
        };
        if let Some(doc) = lint::role_inline_policy(&role)
            && let Some((chars, account)) = targets
                .iter()
                .map(|a| {
                    let (workload, env_name) = match &a.origin {
                        AccountOrigin::Workload { workload, environment } => (workload.as_str(), environment.as_str()),
                        AccountOrigin::Explicit => ("", ""),
                    };
                    let vars = SizeVars { account: &a.name.value, workload, env: env_name, region };
                    (lint::policy_chars(&doc, &vars), a.name.value.as_str())
                })
                .max_by_key(|(chars, _)| *chars)
            && chars > lint::MAX_ROLE_INLINE_POLICY_CHARS
        {
            cx.push(
                Diagnostic::error(
                    "blueprint::policy-too-large",
                    r.name.span,
                    format!(
                        "the inline policy of role `{}` is {chars} characters in account `{account}`; IAM allows {}",
                        r.name.value,
                        lint::MAX_ROLE_INLINE_POLICY_CHARS
                    ),
                )
                .label("inline policy too large")
                .help("measured minified with account ids expanded; move permissions into managed policies or use wildcards in action names such as `ec2:Describe*`"),
            );
            continue;
        }
        roles.push(role);
    }
    roles
}

/// A role may not take the name of the access role groundwork works through (the configured
/// `organization.access_role` and the default, compared without case as IAM does) or of AWS's
/// service-linked roles.
pub(crate) fn check_reserved(cx: &mut Cx, name: &Spanned<String>, access_role: Option<&Spanned<String>>) {
    let default = crate::guardrails::DEFAULT_ACCESS_ROLE;
    let taken = |n: &str| name.value.eq_ignore_ascii_case(n);
    let d = if let Some(custom) = access_role.filter(|c| taken(&c.value)) {
        Diagnostic::error(
            "blueprint::reserved-role",
            name.span,
            format!("role name `{}` is the organization's access role", name.value),
        )
        .label("reserved")
        .related(custom.span, "organization.access_role")
        .help(format!(
            "`{}` is the role groundwork works through in every member account, and the role every guardrail exempts; a blueprint role of that name would replace its trust and policies. Choose another name",
            custom.value
        ))
    } else if taken(default) {
        Diagnostic::error("blueprint::reserved-role", name.span, format!("role name `{}` is reserved", name.value))
            .label("reserved")
            .help(format!(
                "`{default}` is the role AWS Organizations creates in new accounts, and groundwork's default access role; choose another name"
            ))
    } else if name.value.to_lowercase().starts_with("awsservicerolefor") {
        Diagnostic::error("blueprint::reserved-role", name.span, format!("role name `{}` is reserved", name.value))
            .label("reserved")
            .help("`AWSServiceRoleFor...` names belong to AWS's service-linked roles; choose another name")
    } else {
        return;
    };
    cx.push(d);
}

fn lower_identity(
    cx: &mut Cx,
    env: &Env<'_>,
    raw: &RawIdentity,
    raw_roles: &[RawRole],
    roles: &[Role],
    ous: &BTreeMap<OuPath, Span>,
    region: &str,
) -> Option<Identity> {
    let before = lint::error_count(cx);
    let hub = match &raw.account {
        None => None,
        Some(account) => resolve_hub(cx, env, account),
    };
    let hub_name = hub.as_ref().map_or_else(|| "m".repeat(crate::validate::MAX_ACCOUNT_NAME), |h| h.value.clone());
    let vars = SizeVars { account: &hub_name, workload: "", env: "", region };
    let raw_roles: Vec<&str> = raw_roles.iter().map(|r| r.name.value.as_str()).collect();
    let mut seen = HashMap::new();
    let mut groups = Vec::new();
    for g in &raw.groups {
        let errors = lint::error_count(cx);
        if !check_unique(cx, &mut seen, &g.name, "group") {
            continue;
        }
        let mut grants = Vec::new();
        for grant in &g.grants {
            if let Some(gr) = lower_grant(cx, env, grant, roles, &raw_roles, ous) {
                grants.push(gr);
            }
        }
        check_managed(cx, env, Scope::Hub, &g.managed_policies);
        let count = g.managed_policies.len() + usize::from(raw.require_mfa);
        let note = if raw.require_mfa { " (ForceMFA included, as require_mfa is on)" } else { "" };
        check_managed_count(cx, "group", &g.name, count, note);
        let statements = lint_statements(cx, env, Scope::Hub, &g.statements);
        let (Some(statements), true) = (statements, lint::error_count(cx) == errors) else { continue };
        if statements.iter().any(|s| s.get("Sid").and_then(serde_json::Value::as_str) == Some(lint::ASSUME_ROLE_SID))
            && !grants.is_empty()
        {
            cx.push(
                Diagnostic::error(
                    "blueprint::statement",
                    g.name.span,
                    format!("Sid `{}` is reserved for the statement groundwork generates", lint::ASSUME_ROLE_SID),
                )
                .help("rename the statement's Sid"),
            );
            continue;
        }
        let group = Group { name: g.name.clone(), grants, managed_policies: g.managed_policies.clone(), statements };
        if let Some(doc) = lint::group_document(&group, env.baseline) {
            let chars = lint::policy_chars(&doc, &vars);
            if chars > lint::MAX_GROUP_INLINE_POLICY_CHARS {
                cx.push(
                    Diagnostic::error(
                        "blueprint::policy-too-large",
                        g.name.span,
                        format!(
                            "the inline policy of group `{}` is {chars} characters; IAM allows {}",
                            g.name.value,
                            lint::MAX_GROUP_INLINE_POLICY_CHARS
                        ),
                    )
                    .label("inline policy too large")
                    .help(if lint::baseline_roles_of(env.baseline, &g.name.value).is_empty() {
                        "it holds the group's statements and one sts:AssumeRole resource per granted role and account; \
                         split the group, or move statements into managed policies"
                    } else {
                        "it holds the group's statements, one sts:AssumeRole resource per granted role and account, \
                         and the statement for the baseline roles it may assume; split the group, move statements \
                         into managed policies, or take the group out of the baseline role's `groups`"
                    }),
                );
                continue;
            }
        }
        groups.push(group);
    }

    let group_names: Vec<&str> = raw.groups.iter().map(|g| g.name.value.as_str()).collect();
    let mut seen = HashMap::new();
    let mut users = Vec::new();
    for u in &raw.users {
        if !check_unique(cx, &mut seen, &u.name, "user") {
            continue;
        }
        let mut ok = true;
        let mut mine: HashMap<&str, Span> = HashMap::new();
        for g in &u.groups {
            if let Some(first) = mine.get(g.value.as_str()) {
                ok = false;
                cx.push(
                    Diagnostic::error(
                        "blueprint::duplicate-group",
                        g.span,
                        format!("group `{}` is listed twice", g.value),
                    )
                    .related(*first, "first listed here"),
                );
                continue;
            }
            mine.insert(&g.value, g.span);
            if !group_names.contains(&g.value.as_str()) {
                ok = false;
                let mut d = Diagnostic::error(
                    "blueprint::unknown-group",
                    g.span,
                    format!("group `{}` is not in identity.groups", g.value),
                )
                .label("unknown group");
                d = match did_you_mean(&g.value, group_names.iter().copied()) {
                    Some(s) => d.help(format!("did you mean `{s}`?")),
                    None if group_names.is_empty() => d.help("define it under `identity.groups`"),
                    None => d.help(format!("groups: {}", group_names.join(", "))),
                };
                cx.push(d);
            }
        }
        if u.groups.len() > lint::MAX_GROUPS_PER_USER {
            ok = false;
            cx.push(
                Diagnostic::error(
                    "blueprint::too-many-groups",
                    u.name.span,
                    format!(
                        "user `{}` is in {} groups; IAM allows {}",
                        u.name.value,
                        u.groups.len(),
                        lint::MAX_GROUPS_PER_USER
                    ),
                )
                .label("too many groups")
                .related(u.groups[lint::MAX_GROUPS_PER_USER].span, "one too many")
                .help("merge groups, or grant the roles of several groups to one group"),
            );
        }
        if ok {
            users.push(User {
                name: u.name.clone(),
                groups: u.groups.iter().map(|g| g.value.clone()).collect(),
                console: u.console,
                tags: u.tags.clone(),
                programmatic: u.programmatic
                    || raw.groups.iter().any(|g| g.programmatic && u.groups.iter().any(|m| m.value == g.name.value)),
            });
        }
    }
    (lint::error_count(cx) == before && raw.account.is_some()).then_some(Identity {
        account: hub,
        password_policy: raw.password_policy,
        password_policy_everywhere: raw.password_policy_everywhere,
        require_mfa: raw.require_mfa,
        groups,
        users,
        access_keys: raw.access_keys,
    })
}

/// The hub account: `None` for the management account (warned) or after an error.
fn resolve_hub(cx: &mut Cx, env: &Env<'_>, account: &Spanned<String>) -> Option<Spanned<String>> {
    if account.value == MANAGEMENT_HUB {
        cx.push(
            Diagnostic::warning("blueprint::hub-in-management", account.span, "the identity hub is the management account")
                .label("users would sign in to the management account")
                .help(
                    "a separate account with `purpose: identity` keeps day-to-day sign-ins away from the account that \
                     controls the whole organization, where service control policies do not apply; add one and name it here",
                ),
        );
        None
    } else {
        match env.accounts.iter().find(|a| a.name.value == account.value) {
            Some(a) if a.purpose == Purpose::Identity => Some(account.clone()),
            Some(a) => {
                cx.push(
                    Diagnostic::error(
                        "blueprint::hub-purpose",
                        account.span,
                        format!("account `{}` has purpose `{}`, not `identity`", a.name.value, a.purpose),
                    )
                    .label("not an identity account")
                    .related(a.name.span, "defined here")
                    .help("the hub holds every user; give it its own account with `purpose: identity`"),
                );
                None
            }
            None => {
                let mut names: Vec<&str> = env.accounts.iter().map(|a| a.name.value.as_str()).collect();
                names.push(MANAGEMENT_HUB);
                let mut d = Diagnostic::error(
                    "blueprint::unknown-account",
                    account.span,
                    format!("account `{}` is not in the blueprint", account.value),
                )
                .label("unknown account");
                let hubs: Vec<&str> = env
                    .accounts
                    .iter()
                    .filter(|a| a.purpose == Purpose::Identity)
                    .map(|a| a.name.value.as_str())
                    .collect();
                d = match (did_you_mean(&account.value, names.iter().copied()), hubs.first()) {
                    (Some(s), _) => d.help(format!("did you mean `{s}`?")),
                    (None, Some(h)) => d.help(format!("the account with purpose `identity` is `{h}`")),
                    (None, None) => d.help("add an account with `purpose: identity` and name it here"),
                };
                cx.push(d);
                None
            }
        }
    }
}

fn lower_grant(
    cx: &mut Cx,
    env: &Env<'_>,
    grant: &RawGrant,
    roles: &[Role],
    raw_roles: &[&str],
    ous: &BTreeMap<OuPath, Span>,
) -> Option<Grant> {
    let Some(role) = roles.iter().find(|r| r.name.value == grant.role.value) else {
        if !raw_roles.contains(&grant.role.value.as_str()) {
            let mut d = Diagnostic::error(
                "blueprint::unknown-role",
                grant.role.span,
                format!("role `{}` is not in the `roles` section", grant.role.value),
            )
            .label("unknown role");
            d = match did_you_mean(&grant.role.value, raw_roles.iter().copied()) {
                Some(s) => d.help(format!("did you mean `{s}`?")),
                None => d.help("define the role under `roles`; a grant lets the group assume it"),
            };
            cx.push(d);
        }
        // A role with errors of its own was reported already.
        return None;
    };
    if role.trust == RoleTrust::Ec2 {
        cx.push(
            Diagnostic::error(
                "blueprint::grant-ec2-role",
                grant.role.span,
                format!("role `{}` trusts EC2, so people cannot assume it", role.name.value),
            )
            .label("an EC2 role")
            .related(role.name.span, "defined here")
            .help("grant a role with `trust: hub`"),
        );
        return None;
    }
    // Without `accounts` or `ous`, a grant starts from the accounts the role is deployed in.
    let what = format!("this grant of `{}`", role.name.value);
    let accounts = selector::resolve(cx, &grant.selector, env.accounts, ous, Some(&role.accounts), &what)?;
    let missing: Vec<&str> = accounts.iter().filter(|a| !role.accounts.contains(a)).map(String::as_str).collect();
    if !missing.is_empty() {
        // Point at the account when it is named; at the selector when an OU brought it in.
        let span = grant
            .selector
            .accounts
            .iter()
            .flatten()
            .find(|a| missing.contains(&a.value.as_str()))
            .map_or(grant.selector.span, |a| a.span);
        cx.push(
            Diagnostic::error(
                "blueprint::grant-outside-role",
                span,
                format!("role `{}` is not deployed in {}", role.name.value, missing.join(", ")),
            )
            .label("grant reaches beyond the role")
            .related(role.name.span, format!("deployed in {}", role.accounts.join(", ")))
            .help("narrow the grant, or widen the role's `select`"),
        );
        return None;
    }
    Some(Grant { role: role.name.value.clone(), path: role.path.clone(), accounts })
}

#[cfg(test)]
mod tests {
    use crate::Severity;

    const BASE: &str = "version: 1
organization:
  name: acme
  home_region: eu-west-1
  management_account: { email: root@acme.example }
organizational_units:
  - name: Security
  - name: Workloads
    children: [{ name: Prod }, { name: Dev }]
accounts:
  - { name: identity, email: aws+identity@acme.example, ou: Security, purpose: identity }
  - { name: shared, email: aws+shared@acme.example, ou: Security }
workload_defaults:
  email: \"aws+{workload}-{env}@acme.example\"
  ou: \"Workloads/{Env}\"
workloads:
  - { name: jira, environments: [dev, prod] }
";

    fn parse(extra: &str) -> Result<crate::Parsed, crate::Diagnostics> {
        crate::parse("t.yaml", format!("{BASE}{extra}").as_bytes())
    }

    fn codes(extra: &str) -> Vec<(&'static str, Severity)> {
        match parse(extra) {
            Ok(p) => p.warnings.items.iter().map(|d| (d.code, d.severity)).collect(),
            Err(d) => d.items.iter().map(|d| (d.code, d.severity)).collect(),
        }
    }

    const HUB: &str = "identity:\n  account: identity\n";

    #[test]
    fn defaults_and_lowering() {
        let bp = parse(&format!(
            "{HUB}  groups:
    - name: admins
      grants: [{{ role: jira-admin, environments: [prod] }}, {{ role: reader }}]
  users:
    - {{ name: alice, groups: [admins], console: true, tags: {{ Team: it }} }}
roles:
  - name: jira-admin
    select: {{ workloads: [jira] }}
    max_mfa_age_seconds: 3600
    statements:
      - {{ Effect: Allow, Action: ec2:StartInstances, Resource: \"arn:aws:ec2:*:{{account_id}}:instance/*\" }}
  - name: reader
    select: {{ ous: [Workloads] }}
    managed_policies: [arn:aws:iam::aws:policy/ReadOnlyAccess]
  - {{ name: app, trust: ec2, select: {{ accounts: [jira-dev] }}, max_session_seconds: 7200 }}
"
        ))
        .unwrap_or_else(|d| panic!("{}", d.render_plain()));
        assert!(bp.warnings.items.is_empty(), "{}", bp.warnings.render_plain());
        let id = bp.blueprint.identity.unwrap();
        assert_eq!(id.account.unwrap().value, "identity");
        assert!(id.require_mfa && !id.password_policy_everywhere);
        assert_eq!(id.password_policy.min_length, 14);
        assert_eq!((id.password_policy.max_age_days, id.password_policy.reuse_prevention), (90, 24));
        let grants = &id.groups[0].grants;
        assert_eq!(grants[0].accounts, ["jira-prod"]);
        assert_eq!(grants[1].accounts, ["jira-dev", "jira-prod"]);
        assert!(id.users[0].console);
        let roles = &bp.blueprint.roles;
        assert_eq!(roles[0].accounts, ["jira-dev", "jira-prod"]);
        assert_eq!(
            roles[0].trust,
            crate::RoleTrust::Hub { max_mfa_age_seconds: 3600, session_name: crate::SessionName::Username }
        );
        assert_eq!(roles[0].path, "/groundwork/");
        // The defaults: MFA at most 12 hours old, the session named after the user.
        assert_eq!(
            roles[1].trust,
            crate::RoleTrust::Hub { max_mfa_age_seconds: 43_200, session_name: crate::SessionName::Username }
        );
        assert_eq!(grants[0].path, "/groundwork/");
        assert_eq!(roles[0].max_session_seconds, 3600);
        assert_eq!(roles[2].trust, crate::RoleTrust::Ec2);
        assert_eq!(roles[2].max_session_seconds, 7200);
    }

    #[test]
    fn role_path_and_session_name() {
        let y = "identity:\n  account: identity\n  role_path: /acme/roles/\nroles:\n  - { name: r, session_name: any, select: { accounts: [shared] } }\n";
        let bp = parse(y).unwrap_or_else(|d| panic!("{}", d.render_plain()));
        let r = &bp.blueprint.roles[0];
        assert_eq!(r.path, "/acme/roles/");
        assert_eq!(
            r.trust,
            crate::RoleTrust::Hub { max_mfa_age_seconds: 43_200, session_name: crate::SessionName::Any }
        );
        let path = |p: &str| codes(&format!("identity:\n  account: identity\n  role_path: \"{p}\"\n"));
        assert_eq!(path("/"), []);
        for bad in ["groundwork", "/groundwork", "/a b/", "/a//b/", "/{env}/", "/x*/"] {
            assert_eq!(path(bad), [("blueprint::role-path", Severity::Error)], "{bad}");
        }
        assert_eq!(path(&format!("/{}/", "a".repeat(511))), [("blueprint::role-path", Severity::Error)]);
        // Without an identity section, roles still get the default path.
        let bp = parse("roles: [{ name: app, trust: ec2, select: { accounts: [shared] } }]\n").unwrap();
        assert_eq!(bp.blueprint.roles[0].path, "/groundwork/");
    }

    #[test]
    fn the_access_role_is_reserved_whatever_it_is_called() {
        let y = |access: &str, role: &str| {
            let base = BASE.replace(
                "  management_account: { email: root@acme.example }\n",
                &format!("  management_account: {{ email: root@acme.example }}\n{access}"),
            );
            let text = format!("{base}roles: [{{ name: {role}, trust: ec2, select: {{ accounts: [shared] }} }}]\n");
            match crate::parse("t.yaml", text.as_bytes()) {
                Ok(_) => Vec::new(),
                Err(d) => d.items.iter().map(|d| (d.code, d.message.clone())).collect(),
            }
        };
        let custom = "  access_role: AcmeDeployer\n";
        let e = y(custom, "ACMEDEPLOYER");
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].0, "blueprint::reserved-role");
        assert!(e[0].1.contains("access role"), "{}", e[0].1);
        assert_eq!(y(custom, "organizationaccountaccessrole")[0].0, "blueprint::reserved-role");
        assert_eq!(y("", "OrganizationAccountAccessRole")[0].0, "blueprint::reserved-role");
        assert_eq!(y("", "AcmeDeployer"), []);
    }

    #[test]
    fn approved_exception_silences_the_lint_and_is_removed() {
        let role = |extra: &str| {
            format!(
                "{HUB}roles:
  - name: break-glass
    select: {{ accounts: [shared] }}
    statements:
      - Effect: Allow
        Action: \"*\"
        Resource: \"*\"
{extra}"
            )
        };
        assert_eq!(codes(&role("")), [("blueprint::lint-admin", Severity::Error)]);
        let ok = parse(&role("        approved_exception: \"break-glass, reviewed 2026-10\"\n")).unwrap();
        assert!(ok.warnings.items.is_empty());
        let s = &ok.blueprint.roles[0].statements[0];
        assert_eq!(s, &serde_json::json!({ "Effect": "Allow", "Action": "*", "Resource": "*" }));
        assert_eq!(
            codes(&role("        approved_exception: \"  \"\n")),
            [("blueprint::empty-exception", Severity::Error)]
        );
    }

    #[test]
    fn privileged_service_wildcards_are_errors_in_any_case() {
        for action in ["iam:*", "STS:*", "Organizations:*"] {
            let y = format!(
                "{HUB}roles:\n  - name: r\n    select: {{ accounts: [shared] }}\n    statements:\n      - {{ Effect: Allow, Action: [s3:GetObject, \"{action}\"], Resource: [\"arn:aws:s3:::b/*\", \"*\"] }}\n"
            );
            assert_eq!(codes(&y), [("blueprint::lint-privileged", Severity::Error)], "{action}");
        }
        // Narrow actions, a resource that is not `*`, or a Deny are fine.
        for s in [
            "{ Effect: Allow, Action: \"iam:Get*\", Resource: \"*\" }",
            "{ Effect: Allow, Action: \"iam:*\", Resource: \"arn:aws:iam::{account_id}:role/x\" }",
            "{ Effect: Deny, Action: \"*\", Resource: \"*\" }",
        ] {
            let y = format!("{HUB}roles:\n  - name: r\n    select: {{ accounts: [shared] }}\n    statements: [{s}]\n");
            assert_eq!(codes(&y), [], "{s}");
        }
    }

    #[test]
    fn warnings_for_not_action_management_hub_and_unneeded_exception() {
        let y = "identity: { account: management }
roles:
  - name: r
    select: { accounts: [shared] }
    statements:
      - { Effect: Allow, NotAction: \"iam:*\", Resource: \"*\" }
      - { Effect: Allow, Action: s3:GetObject, Resource: \"*\", approved_exception: because }
";
        let parsed = parse(y).unwrap_or_else(|d| panic!("{}", d.render_plain()));
        let codes: Vec<&str> = parsed.warnings.items.iter().map(|d| d.code).collect();
        assert_eq!(
            codes,
            ["blueprint::hub-in-management", "blueprint::lint-not-action", "blueprint::unneeded-exception"]
        );
        assert!(parsed.warnings.items.iter().all(|d| d.severity == Severity::Warning));
        assert!(parsed.blueprint.identity.unwrap().account.is_none());
    }

    #[test]
    fn statement_shape() {
        let y = |s: &str| {
            format!("{HUB}roles:\n  - name: r\n    select: {{ accounts: [shared] }}\n    statements: [{s}]\n")
        };
        assert_eq!(
            codes(&y("{ Action: s3:GetObject, Resource: \"*\" }")),
            [("blueprint::missing-key", Severity::Error)]
        );
        assert_eq!(
            codes(&y("{ Effect: Allow, Action: s3:GetObject, Resource: \"*\", Principal: \"*\" }")),
            [("blueprint::principal", Severity::Error)]
        );
        assert_eq!(
            codes(&y("{ Effect: allow, Action: s3:GetObject, Resource: \"*\" }")),
            [("blueprint::statement", Severity::Error)]
        );
        assert_eq!(
            codes(&y("{ Effect: Allow, Action: s3GetObject, Resource: \"*\" }")),
            [("blueprint::statement", Severity::Error)]
        );
        assert_eq!(
            codes(&y("{ Effect: Allow, Action: s3:GetObject, Resource: bucket }")),
            [("blueprint::statement", Severity::Error)]
        );
        assert_eq!(codes(&y("{ Effect: Allow, Action: s3:GetObject }")), [("blueprint::missing-key", Severity::Error)]);
        assert_eq!(
            codes(&y("{ Effect: Allow, Action: s3:GetObject, NotAction: s3:PutObject, Resource: \"*\" }")),
            [("blueprint::statement", Severity::Error)]
        );
    }

    #[test]
    fn placeholders_depend_on_where_the_policy_lives() {
        let role = |sel: &str, r: &str| {
            format!(
                "{HUB}roles:\n  - name: r\n    select: {sel}\n    statements: [{{ Effect: Allow, Action: s3:GetObject, Resource: \"{r}\" }}]\n"
            )
        };
        let jira = "{ workloads: [jira] }";
        assert_eq!(codes(&role(jira, "arn:aws:s3:::{workload}-{env}-{account_id}/${aws:username}/*")), []);
        assert_eq!(codes(&role(jira, "arn:aws:s3:::{account_id:identity}/*")), []);
        assert_eq!(
            codes(&role(jira, "arn:aws:s3:::{account_id:nope}/*")),
            [("blueprint::unknown-placeholder", Severity::Error)]
        );
        assert_eq!(
            codes(&role(jira, "arn:aws:s3:::{acount_id}/*")),
            [("blueprint::unknown-placeholder", Severity::Error)]
        );
        assert_eq!(
            codes(&role("{ accounts: [shared] }", "arn:aws:s3:::{workload}/*")),
            [("blueprint::hub-placeholder", Severity::Error)]
        );
        let group = |r: &str| {
            format!(
                "identity:\n  account: identity\n  groups:\n    - name: g\n      statements: [{{ Effect: Allow, Action: s3:GetObject, Resource: \"{r}\" }}]\n"
            )
        };
        assert_eq!(codes(&group("arn:aws:s3:::{account}-{account_id}/*")), []);
        assert_eq!(codes(&group("arn:aws:s3:::{env}/*")), [("blueprint::hub-placeholder", Severity::Error)]);
    }

    #[test]
    fn grants_stay_within_the_role() {
        let y = |grant: &str| {
            format!(
                "identity:\n  account: identity\n  groups:\n    - name: g\n      grants: [{grant}]\nroles:\n  - {{ name: r, select: {{ accounts: [jira-prod] }} }}\n  - {{ name: app, trust: ec2, select: {{ accounts: [jira-prod] }} }}\n"
            )
        };
        assert_eq!(codes(&y("{ role: r, accounts: [jira-prod] }")), []);
        assert_eq!(codes(&y("{ role: r, ous: [Workloads] }")), [("blueprint::grant-outside-role", Severity::Error)]);
        // Without accounts or OUs, the grant filters the role's own accounts.
        assert_eq!(codes(&y("{ role: r, workloads: [jira] }")), []);
        assert_eq!(codes(&y("{ role: r, environments: [dev] }")), [("blueprint::selects-nothing", Severity::Error)]);
        assert_eq!(codes(&y("{ role: app }")), [("blueprint::grant-ec2-role", Severity::Error)]);
        assert_eq!(codes(&y("{ role: rr }")), [("blueprint::unknown-role", Severity::Error)]);
    }

    #[test]
    fn an_error_is_reported_once_not_again_by_what_refers_to_it() {
        // A broken identity section still counts as present for roles trusting the hub.
        let y = "identity: { account: identity, require_mfa: maybe }\nroles: [{ name: r, select: { accounts: [shared] } }]\n";
        assert_eq!(codes(y), [("blueprint::wrong-type", Severity::Error)]);
        // A grant to a role with an error of its own is not reported as unknown.
        let y = "identity:\n  account: identity\n  groups: [{ name: g, grants: [{ role: r }] }]\nroles: [{ name: r, trust: lamda, select: { accounts: [shared] } }]\n";
        assert_eq!(codes(y), [("blueprint::trust", Severity::Error)]);
    }

    #[test]
    fn password_policy_limits() {
        let y = |p: &str| format!("identity:\n  account: identity\n  password_policy: {{ {p} }}\n");
        assert_eq!(codes(&y("min_length: 8")), [("blueprint::weak-password", Severity::Error)]);
        assert_eq!(codes(&y("min_length: 8, allow_weak: true")), [("blueprint::weak-password", Severity::Warning)]);
        assert_eq!(codes(&y("min_length: 5, allow_weak: true")), [("blueprint::out-of-range", Severity::Error)]);
        assert_eq!(codes(&y("max_age_days: 0")), [("blueprint::out-of-range", Severity::Error)]);
        assert_eq!(codes(&y("reuse_prevention: 25")), [("blueprint::out-of-range", Severity::Error)]);
        let p = parse(&y("min_length: 20, require_symbols: false, apply_to_all_accounts: true")).unwrap();
        let id = p.blueprint.identity.unwrap();
        assert_eq!(id.password_policy.min_length, 20);
        assert!(!id.password_policy.require_symbols && id.password_policy_everywhere);
    }

    #[test]
    fn policy_arns() {
        use super::looks_like_policy_arn as ok;
        assert!(ok("arn:aws:iam::aws:policy/ReadOnlyAccess"));
        assert!(ok("arn:aws:iam::aws:policy/job-function/ViewOnlyAccess"));
        assert!(ok("arn:aws:iam::123456789012:policy/team/Custom"));
        assert!(ok("arn:aws:iam::{account_id}:policy/Custom"));
        assert!(ok("arn:aws:iam::{account_id:shared}:policy/Custom"));
        assert!(!ok("ReadOnlyAccess"));
        assert!(!ok("arn:aws:iam::aws:role/ReadOnlyAccess"));
        assert!(!ok("arn:aws:iam::12345:policy/X"));
        assert!(!ok("arn:aws:s3:::aws:policy/X"));
    }
}
