//! The `guardrails` section: service control policies, built-in or written in the blueprint, and
//! where they are attached. Also `organization.access_role`, the role the guardrails exempt.

use std::collections::{BTreeMap, HashMap};

use crate::builtins::{self, BUILTIN_GUARDRAILS};
use crate::diag::Diagnostic;
use crate::model::{Account, Guardrail, Guardrails, Logging, OuPath, Purpose, Spanned, Target};
use crate::policy::{PlaceholderRules, check_placeholders, check_scp_document, key_node, scp_size};
use crate::schema::{Cx, did_you_mean};
use crate::yaml::{Node, NodeKind, Span};

/// AWS default: an SCP is at most 5,120 characters.
pub const DEFAULT_MAX_POLICY_CHARS: usize = 5120;
/// AWS default: at most 5 SCPs attached to the root, an OU or an account (`FullAWSAccess`
/// included).
pub const DEFAULT_MAX_PER_TARGET: usize = 5;
/// The role groundwork assumes in member accounts unless `organization.access_role` says
/// otherwise: the one AWS Organizations creates in every account it creates.
pub const DEFAULT_ACCESS_ROLE: &str = "OrganizationAccountAccessRole";
/// AWS Organizations: a policy description is at most 512 characters.
const MAX_DESCRIPTION: usize = 512;

pub(crate) const GUARDRAILS_KEYS: &[&str] =
    &["limits", "policies", "access_role_protection", "prune", "tag_conventions"];
pub(crate) const PROTECTION_KEYS: &[&str] = &["disabled", "reason"];
/// The name of the built-in that protects the access role (and of the SCP groundwork attaches
/// at Root when the blueprint does not list it).
pub const PROTECT_ACCESS_ROLE: &str = "protect-access-role";
pub(crate) const LIMITS_KEYS: &[&str] = &["max_policy_chars", "max_per_target"];
/// Keys of a target written as a mapping.
pub(crate) const TARGET_KEYS: &[&str] = &["ou", "account"];
pub(crate) const POLICY_KEYS: &[&str] =
    &["name", "description", "type", "builtin", "document", "allowed_regions", "targets"];
/// Placeholders that have no single value in an SCP.
const NOT_IN_SCP: &[&str] = &["account_id", "account", "workload", "env"];

/// Raw target as written.
#[derive(Debug, Clone)]
pub(crate) enum RawTarget {
    /// A plain string (only `Root` is valid).
    Bare(Spanned<String>),
    /// `{ ou: PATH }`; the span is the whole entry.
    Ou(Spanned<String>, Span),
    /// `{ account: NAME }`; the span is the whole entry.
    Account(Spanned<String>, Span),
}

/// Raw guardrail.
#[derive(Debug, Clone)]
pub(crate) struct RawPolicy {
    name: Option<Spanned<String>>,
    description: Option<Spanned<String>>,
    /// `type:`: the Organizations policy type (default: an SCP).
    policy_type: Option<Spanned<String>>,
    builtin: Option<Spanned<String>>,
    /// The `document:` value and the span of its key.
    document: Option<(Node, Span)>,
    /// The `allowed_regions:` regions, the span of the key and of the value.
    allowed_regions: Option<(Vec<Spanned<String>>, Span, Span)>,
    targets: Vec<RawTarget>,
}

/// Raw `guardrails` section.
#[derive(Debug, Clone, Default)]
pub(crate) struct RawGuardrails {
    max_policy_chars: Option<Spanned<u64>>,
    max_per_target: Option<Spanned<u64>>,
    policies: Vec<RawPolicy>,
    /// `access_role_protection:`: `disabled`, `reason`, and the span of the key.
    protection: Option<(Option<bool>, Option<Spanned<String>>, Span)>,
    /// `prune:`: delete the SCPs groundwork owns that the blueprint no longer lists.
    prune: Option<bool>,
    /// `tag_conventions:`, when present.
    tag_conventions: Option<Vec<crate::org_policies::RawConvention>>,
}

/// Reads the `guardrails` section.
pub(crate) fn read(cx: &mut Cx, node: &Node) -> RawGuardrails {
    let mut raw = RawGuardrails::default();
    let Some(f) = cx.map(node, "guardrails", GUARDRAILS_KEYS) else { return raw };
    if let Some(l) = f.get("limits")
        && let Some(lf) = cx.map(l, "guardrails.limits", LIMITS_KEYS)
    {
        raw.max_policy_chars = lf.get("max_policy_chars").and_then(|n| cx.integer(n, "max_policy_chars"));
        raw.max_per_target = lf.get("max_per_target").and_then(|n| cx.integer(n, "max_per_target"));
    }
    if let Some(p) = f.get("policies")
        && let Some(items) = cx.list(p, "guardrails.policies")
    {
        raw.policies = items.iter().filter_map(|n| read_policy(cx, n)).collect();
    }
    if let Some(p) = f.get("access_role_protection")
        && let Some(pf) = cx.map(p, "guardrails.access_role_protection", PROTECTION_KEYS)
    {
        let disabled =
            pf.get("disabled").and_then(|n| crate::logging::boolean(cx, n, "access_role_protection.disabled"));
        let reason = pf.get("reason").and_then(|n| cx.string(n, "access_role_protection.reason"));
        let key = key_node(node, "access_role_protection").map_or(p.span, |k| k.span);
        raw.protection = Some((disabled, reason, key));
    }
    raw.prune = f.get("prune").and_then(|n| crate::logging::boolean(cx, n, "guardrails.prune"));
    raw.tag_conventions = f.get("tag_conventions").map(|n| crate::org_policies::read_conventions(cx, n));
    raw
}

fn read_policy(cx: &mut Cx, node: &Node) -> Option<RawPolicy> {
    let f = cx.map(node, "a guardrail", POLICY_KEYS)?;
    let name = cx.required(&f, "name", "a guardrail").and_then(|n| cx.string(n, "the guardrail name"));
    let description = f.get("description").and_then(|n| cx.string(n, "description"));
    let builtin = f.get("builtin").and_then(|n| cx.string(n, "builtin"));
    let policy_type = f.get("type").and_then(|n| cx.string(n, "the policy type"));
    let key_span = |key: &str| key_node(node, key).map_or(node.span, |k| k.span);
    let document = f.get("document").map(|d| (d.clone(), key_span("document")));
    match (f.get("builtin"), f.get("document")) {
        (Some(_), Some(_)) => cx.push(
            Diagnostic::error(
                "blueprint::guardrail-kind",
                key_span("document"),
                "a guardrail has either `builtin` or `document`, not both",
            )
            .label("second kind of policy")
            .related(key_span("builtin"), "built-in named here")
            .help("split it into two guardrails, one built-in and one with the custom document"),
        ),
        (None, None) => cx.push(
            Diagnostic::error(
                "blueprint::guardrail-kind",
                Span { end: node.span.start, ..node.span },
                "a guardrail needs `builtin` or `document`",
            )
            .label("guardrail starts here")
            .help(format!("name a built-in ({}) or write the policy under `document:`", BUILTIN_GUARDRAILS.join(", "))),
        ),
        _ => {}
    }
    let mut allowed_regions = None;
    if let Some(ar) = f.get("allowed_regions")
        && let Some(items) = cx.list(ar, "allowed_regions")
    {
        let regions = items.iter().filter_map(|n| cx.string(n, "a region")).collect();
        allowed_regions = Some((regions, key_span("allowed_regions"), ar.span));
    }
    let mut targets = Vec::new();
    if let Some(t) = cx.required(&f, "targets", "a guardrail")
        && let Some(items) = cx.list(t, "targets")
    {
        if items.is_empty() {
            cx.push(
                Diagnostic::error("blueprint::no-target", t.span, "a guardrail needs at least one target")
                    .label("no target")
                    .help("attach it to `Root`, `{ ou: PATH }` or `{ account: NAME }`"),
            );
        }
        targets = items.iter().filter_map(|n| read_target(cx, n)).collect();
    }
    Some(RawPolicy { name, description, policy_type, builtin, document, allowed_regions, targets })
}

pub(crate) fn read_target(cx: &mut Cx, node: &Node) -> Option<RawTarget> {
    if let NodeKind::Scalar { .. } = &node.kind {
        return cx.string(node, "a target").map(RawTarget::Bare);
    }
    let f = cx.map(node, "a target", TARGET_KEYS)?;
    match (f.get("ou"), f.get("account")) {
        (Some(ou), None) => cx.string(ou, "the target OU").map(|s| RawTarget::Ou(s, node.span)),
        (None, Some(a)) => cx.string(a, "the target account").map(|s| RawTarget::Account(s, node.span)),
        (Some(_), Some(_)) => {
            cx.push(
                Diagnostic::error("blueprint::target", node.span, "a target is an OU or an account, not both")
                    .label("two targets in one")
                    .help("list them as two targets: `[{ ou: ... }, { account: ... }]`"),
            );
            None
        }
        (None, None) => {
            cx.push(
                Diagnostic::error("blueprint::target", node.span, "a target needs `ou` or `account`")
                    .label("empty target")
                    .help("a target is `Root`, `{ ou: PATH }` or `{ account: NAME }`"),
            );
            None
        }
    }
}

/// Checks `organization.access_role` (IAM role name rules) and returns it, or the default.
pub(crate) fn access_role(cx: &mut Cx, role: Option<&Spanned<String>>) -> String {
    let Some(role) = role else { return DEFAULT_ACCESS_ROLE.to_owned() };
    let n = role.value.chars().count();
    let ok = (1..=64).contains(&n) && role.value.bytes().all(|b| b.is_ascii_alphanumeric() || b"_+=,.@-".contains(&b));
    if !ok {
        cx.push(
            Diagnostic::error("blueprint::role-name", role.span, format!("`{}` is not an IAM role name", role.value))
                .label("invalid role name")
                .help("IAM role names are 1–64 letters, digits and `_+=,.@-` (no path, no ARN)"),
        );
    }
    role.value.clone()
}

/// Checks an optional role name of `organization` (`break_glass_role`, `deployer_role`).
pub(crate) fn optional_role(cx: &mut Cx, role: Option<&Spanned<String>>, access_role: &str) -> Option<String> {
    let role = role?;
    let name = self::access_role(cx, Some(role));
    if name == access_role {
        cx.push(
            Diagnostic::error(
                "blueprint::role-name",
                role.span,
                format!("`{name}` is the access role; this role must be another one"),
            )
            .label("same as `organization.access_role`")
            .help("name a different role, or leave the key out"),
        );
    }
    Some(name)
}

/// What the guardrails are checked against.
pub(crate) struct Scope<'a> {
    /// The blueprint text (for spans inside strings).
    pub(crate) src: &'a str,
    /// The home region, when readable.
    pub(crate) home_region: Option<&'a str>,
    /// groundwork's access role.
    pub(crate) access_role: &'a str,
    /// The break-glass role, exempt wherever the access role is.
    pub(crate) break_glass_role: Option<&'a str>,
    /// Every account of the blueprint (explicit and expanded).
    pub(crate) accounts: &'a [&'a Account],
    /// Every OU path.
    pub(crate) ous: &'a BTreeMap<OuPath, Span>,
    /// The `logging` section, when it could be read.
    pub(crate) logging: Option<&'a Logging>,
    /// Whether the blueprint has a `logging` section at all (readable or not).
    pub(crate) has_logging: bool,
    /// The `sandbox` section, when present and valid.
    pub(crate) sandbox: Option<&'a crate::sandbox::Sandbox>,
}

fn limit(cx: &mut Cx, value: Option<&Spanned<u64>>, default: usize, what: &str) -> usize {
    let Some(v) = value else { return default };
    match usize::try_from(v.value) {
        Ok(n) if n >= 1 => n,
        _ => {
            cx.push(
                Diagnostic::error("blueprint::limit", v.span, format!("`{what}` must be at least 1"))
                    .label("out of range")
                    .help(format!("leave it out to use the AWS default, {default}")),
            );
            default
        }
    }
}

fn describe(target: &Target) -> String {
    match target {
        Target::Root => "the root".to_owned(),
        Target::Ou(p) => format!("OU `{p}`"),
        Target::Account(a) => format!("account `{a}`"),
    }
}

/// Validates the guardrails and generates the built-in documents.
pub(crate) fn lower(cx: &mut Cx, raw: Option<&RawGuardrails>, scope: &Scope<'_>) -> Guardrails {
    let mut out = Guardrails {
        policies: Vec::new(),
        max_policy_chars: DEFAULT_MAX_POLICY_CHARS,
        max_per_target: DEFAULT_MAX_PER_TARGET,
        access_role_protection_disabled: None,
        prune: false,
        organization_policies: Vec::new(),
        tag_conventions: Vec::new(),
    };
    // Without the section, nothing but what the `sandbox` section adds.
    let absent = RawGuardrails::default();
    let raw = raw.unwrap_or(&absent);
    out.prune = raw.prune.unwrap_or(false);
    out.tag_conventions =
        raw.tag_conventions.as_deref().map(|c| crate::org_policies::lower_conventions(cx, c)).unwrap_or_default();
    crate::org_policies::lint_own_tags(cx, &out.tag_conventions, scope.accounts);
    out.max_policy_chars =
        limit(cx, raw.max_policy_chars.as_ref(), DEFAULT_MAX_POLICY_CHARS, "guardrails.limits.max_policy_chars");
    out.max_per_target =
        limit(cx, raw.max_per_target.as_ref(), DEFAULT_MAX_PER_TARGET, "guardrails.limits.max_per_target");
    let mut names: HashMap<&str, Span> = HashMap::new();
    for p in &raw.policies {
        if let Some(name) = &p.name {
            check_name(cx, name);
            if let Some(first) = names.get(name.value.as_str()) {
                cx.push(
                    Diagnostic::error(
                        "blueprint::duplicate-guardrail",
                        name.span,
                        format!("guardrail `{}` is defined twice", name.value),
                    )
                    .label("second guardrail with this name")
                    .related(*first, "first defined here")
                    .help("guardrail names are SCP names and must be unique"),
                );
            } else {
                names.insert(&name.value, name.span);
            }
        }
        if let Some(d) = &p.description
            && d.value.chars().count() > MAX_DESCRIPTION
        {
            cx.push(
                Diagnostic::error(
                    "blueprint::description",
                    d.span,
                    format!(
                        "description is {} characters; AWS accepts up to {MAX_DESCRIPTION}",
                        d.value.chars().count()
                    ),
                )
                .label("too long"),
            );
        }
        match crate::org_policies::policy_type(cx, p.policy_type.as_ref(), p.builtin.as_ref()) {
            Ok(None) => {}
            Ok(Some(ty)) => {
                lower_org_policy(
                    cx,
                    p,
                    ty,
                    scope,
                    &mut out,
                    raw.tag_conventions.as_ref().is_some_and(|c| !c.is_empty()),
                );
                continue;
            }
            Err(()) => continue,
        }
        let document = lower_document(cx, p, scope);
        if let Some((doc, site)) = &document {
            let size = scp_size(doc);
            if size > out.max_policy_chars {
                let name = p.name.as_ref().map_or("this guardrail", |n| n.value.as_str());
                cx.push(
                    Diagnostic::error(
                        "blueprint::scp-too-large",
                        *site,
                        format!(
                            "guardrail `{name}` is {size} characters, more than the {} an SCP may have",
                            out.max_policy_chars
                        ),
                    )
                    .label(format!("{size} characters once minified"))
                    .help(
                        "AWS measures the minified JSON, account IDs counted at 12 characters; split the policy \
                         into two guardrails, or, if AWS raised your organization's quota, set \
                         `guardrails.limits.max_policy_chars`",
                    ),
                );
            }
        }
        let targets = resolve_targets(cx, p, scope);
        if let Some(name) = &p.name {
            out.policies.push(Guardrail {
                name: name.clone(),
                description: match (&p.description, &p.builtin) {
                    (Some(d), _) => d.value.clone(),
                    (None, Some(b)) => builtins::default_description(&b.value).to_owned(),
                    (None, None) => builtins::DEFAULT_DESCRIPTION.to_owned(),
                },
                builtin: p.builtin.as_ref().map(|b| b.value.clone()),
                document: document.map_or(serde_json::Value::Null, |(d, _)| d),
                targets,
                allowed_regions: p
                    .allowed_regions
                    .as_ref()
                    .filter(|_| p.builtin.as_ref().is_some_and(|b| b.value == "deny-regions-outside"))
                    .map(|(regions, _, _)| regions.iter().map(|r| r.value.clone()).collect()),
            });
        }
    }
    sandbox_guardrail(cx, raw, scope, &mut out);
    protect_access_role(cx, raw, scope, &mut out);
    check_per_target(cx, &out);
    crate::org_policies::check_limits(cx, &out.organization_policies);
    out
}

/// The document of `sandbox-limits`: the `sandbox` section's instance types, or the default.
fn sandbox_limits(scope: &Scope<'_>, exempt: builtins::Exempt<'_>) -> serde_json::Value {
    let types: Vec<String> = match scope.sandbox {
        Some(s) => s.instance_types.clone(),
        None => crate::sandbox::DEFAULT_INSTANCE_TYPES.iter().map(|t| (*t).to_owned()).collect(),
    };
    builtins::sandbox_limits(&types, crate::sandbox::SANDBOX_BUDGET, exempt)
}

/// With a `sandbox` section, `sandbox-limits` is attached to every sandbox account, unless the
/// blueprint lists that built-in itself (then where it says).
fn sandbox_guardrail(cx: &mut Cx, raw: &RawGuardrails, scope: &Scope<'_>, out: &mut Guardrails) {
    let Some(sandbox) = scope.sandbox else { return };
    if raw.policies.iter().any(|p| p.builtin.as_ref().is_some_and(|b| b.value == crate::sandbox::SANDBOX_LIMITS)) {
        return;
    }
    let site = sandbox.site;
    if let Some(taken) =
        raw.policies.iter().find_map(|p| p.name.as_ref().filter(|n| n.value == crate::sandbox::SANDBOX_LIMITS))
    {
        cx.push(
            Diagnostic::error(
                "blueprint::sandbox",
                taken.span,
                format!(
                    "the name `{}` is reserved for the built-in the `sandbox` section attaches",
                    crate::sandbox::SANDBOX_LIMITS
                ),
            )
            .label("not the built-in")
            .help("rename this guardrail, or write `builtin: sandbox-limits` to attach it where you choose"),
        );
        return;
    }
    let exempt = builtins::Exempt { access_role: scope.access_role, break_glass_role: scope.break_glass_role };
    let document = sandbox_limits(scope, exempt);
    let size = scp_size(&document);
    if size > out.max_policy_chars {
        cx.push(
            Diagnostic::error(
                "blueprint::scp-too-large",
                site,
                format!(
                    "guardrail `sandbox-limits` is {size} characters, more than the {} an SCP may have",
                    out.max_policy_chars
                ),
            )
            .label(format!("{size} characters once minified"))
            .help("list fewer instance types (patterns such as `t3.*` count once)"),
        );
    }
    out.policies.push(Guardrail {
        name: Spanned::new(crate::sandbox::SANDBOX_LIMITS.to_owned(), site),
        description: builtins::default_description(crate::sandbox::SANDBOX_LIMITS).to_owned(),
        builtin: Some(crate::sandbox::SANDBOX_LIMITS.to_owned()),
        document,
        targets: sandbox.accounts.iter().map(|a| Spanned::new(Target::Account(a.name.clone()), site)).collect(),
        allowed_regions: None,
    });
}

/// A guardrail of a policy type beyond SCPs (`crate::org_policies`): its document (the
/// built-in's, or a custom one of its type's shape) and targets, into
/// `organization_policies`.
fn lower_org_policy(
    cx: &mut Cx,
    p: &RawPolicy,
    ty: crate::org_policies::OrgPolicyType,
    scope: &Scope<'_>,
    out: &mut Guardrails,
    has_conventions: bool,
) {
    if let Some((_, key, _)) = &p.allowed_regions {
        cx.push(
            Diagnostic::error(
                "blueprint::allowed-regions",
                *key,
                "only the built-in `deny-regions-outside` takes `allowed_regions`",
            )
            .label(format!("not used by a {}", ty.describe())),
        );
    }
    let document = match (&p.builtin, &p.document) {
        (Some(b), None) => crate::org_policies::builtin_document(cx, b, &out.tag_conventions, has_conventions),
        (None, Some((d, _))) => crate::org_policies::check_document(cx, d, ty).then(|| d.to_json()),
        _ => None,
    };
    let targets = resolve_targets(cx, p, scope);
    let (Some(name), Some(document)) = (&p.name, document) else { return };
    out.organization_policies.push(crate::org_policies::OrgPolicy {
        name: name.clone(),
        description: match (&p.description, &p.builtin) {
            (Some(d), _) => d.value.clone(),
            (None, Some(b)) => builtins::default_description(&b.value).to_owned(),
            (None, None) => builtins::DEFAULT_DESCRIPTION.to_owned(),
        },
        policy_type: ty,
        builtin: p.builtin.as_ref().map(|b| b.value.clone()),
        document,
        targets,
    });
}

/// The exemption of the access role is worth nothing if anyone can create that role, re-trust
/// it or give it policies: `protect-access-role` at Root closes that, and is attached there
/// whenever a guardrail exempts the access role, unless the blueprint lists it itself or opts
/// out with a reason.
fn protect_access_role(cx: &mut Cx, raw: &RawGuardrails, scope: &Scope<'_>, out: &mut Guardrails) {
    let builtin =
        |p: &&RawPolicy, names: &[&str]| p.builtin.as_ref().is_some_and(|b| names.contains(&b.value.as_str()));
    // The built-ins written in the blueprint, or the `sandbox-limits` the `sandbox` section adds.
    let (exempting_span, exempting_name) = match raw.policies.iter().find(|p| builtin(p, builtins::EXEMPTING_BUILTINS))
    {
        Some(e) => (
            e.builtin.as_ref().map_or_else(Span::default, |b| b.span),
            e.builtin.as_ref().map_or("", |b| b.value.as_str()),
        ),
        None => match out.policies.iter().find(|g| g.builtin.as_deref() == Some(crate::sandbox::SANDBOX_LIMITS)) {
            Some(g) => (g.name.span, crate::sandbox::SANDBOX_LIMITS),
            None => return,
        },
    };
    if let Some((disabled, reason, key)) = &raw.protection {
        let reason = reason.as_ref().filter(|r| !r.value.trim().is_empty());
        match (disabled, reason) {
            (Some(true), Some(r)) => {
                out.access_role_protection_disabled = Some(r.value.clone());
                return;
            }
            (Some(true), None) => {
                cx.push(
                    Diagnostic::error(
                        "blueprint::access-role-unprotected",
                        *key,
                        "turning off the access role's protection needs a reason",
                    )
                    .label("no `reason`")
                    .help(
                        "without `protect-access-role`, an administrator of a member account can create or re-trust                          the access role and so escape every guardrail that exempts it; say why that is accepted in                          `reason: \"...\"`, or remove `access_role_protection`",
                    ),
                );
                return;
            }
            _ => {}
        }
    }
    let why = format!(
        "`{exempting_name}` exempts `arn:aws:iam::*:role/{}`; without `{PROTECT_ACCESS_ROLE}` at Root, an \
         administrator of any member account could create or re-trust that role and escape the guardrail",
        scope.access_role
    );
    if let Some(listed) = raw.policies.iter().find(|p| p.name.as_ref().is_some_and(|n| n.value == PROTECT_ACCESS_ROLE))
    {
        let listed_name = listed.name.as_ref().map_or(exempting_span, |n| n.span);
        if !builtin(&listed, &[PROTECT_ACCESS_ROLE]) {
            cx.push(
                Diagnostic::error(
                    "blueprint::access-role-unprotected",
                    listed_name,
                    format!(
                        "the name `{PROTECT_ACCESS_ROLE}` is reserved for the built-in that protects the access role"
                    ),
                )
                .label("not the built-in")
                .related(exempting_span, "exempts the access role")
                .help(format!("{why}; rename this guardrail, or write `builtin: {PROTECT_ACCESS_ROLE}`")),
            );
            return;
        }
        let at_root = out
            .policies
            .iter()
            .find(|g| g.name.value == PROTECT_ACCESS_ROLE)
            .is_some_and(|g| g.targets.iter().any(|t| t.value == Target::Root));
        if !at_root {
            let site = listed.targets.first().map(|t| match t {
                RawTarget::Bare(s) | RawTarget::Ou(s, _) | RawTarget::Account(s, _) => s.span,
            });
            cx.push(
                Diagnostic::error(
                    "blueprint::access-role-unprotected",
                    site.unwrap_or(listed_name),
                    "the access role is exempted, and protected only in part of the organization",
                )
                .label(format!("`{PROTECT_ACCESS_ROLE}` is not attached at Root"))
                .related(exempting_span, "exempts the access role")
                .help(format!(
                    "{why}; use `targets: [Root]`, or opt out with `guardrails.access_role_protection: {{ disabled: \
                     true, reason: \"...\" }}`"
                )),
            );
        }
        return;
    }
    let exempt = builtins::Exempt { access_role: scope.access_role, break_glass_role: scope.break_glass_role };
    out.policies.push(Guardrail {
        name: Spanned::new(PROTECT_ACCESS_ROLE.to_owned(), exempting_span),
        description: builtins::default_description(PROTECT_ACCESS_ROLE).to_owned(),
        builtin: Some(PROTECT_ACCESS_ROLE.to_owned()),
        document: builtins::protect_access_role(exempt),
        targets: vec![Spanned::new(Target::Root, exempting_span)],
        allowed_regions: None,
    });
}

fn check_name(cx: &mut Cx, name: &Spanned<String>) {
    let n = name.value.chars().count();
    let ok = (1..=128).contains(&n) && name.value.bytes().all(|b| b.is_ascii_alphanumeric() || b"_+=,.@-".contains(&b));
    if !ok {
        cx.push(
            Diagnostic::error("blueprint::guardrail-name", name.span, format!("`{}` is not an SCP name", name.value))
                .label("invalid name")
                .help("SCP names are 1–128 letters, digits and `_+=,.@-`"),
        );
    }
}

/// The policy document and the span to point at when it is too large.
fn lower_document(cx: &mut Cx, p: &RawPolicy, scope: &Scope<'_>) -> Option<(serde_json::Value, Span)> {
    if let Some((_, key, _)) = &p.allowed_regions
        && p.builtin.as_ref().is_none_or(|b| b.value != "deny-regions-outside")
    {
        let d = Diagnostic::error(
            "blueprint::allowed-regions",
            *key,
            "only the built-in `deny-regions-outside` takes `allowed_regions`",
        );
        cx.push(if p.builtin.is_some() {
            d.label("not used by this built-in")
                .help("remove `allowed_regions`, or use `builtin: deny-regions-outside`")
        } else {
            d.label("not used by a custom document")
                .help("write the regions into the document's `aws:RequestedRegion` condition")
        });
    }
    if let Some((document, key)) = &p.document {
        if !check_scp_document(cx, document) {
            return None;
        }
        let accounts: Vec<&str> = scope.accounts.iter().map(|a| a.name.value.as_str()).collect();
        let rules = PlaceholderRules {
            accounts: &accounts,
            meaningless: NOT_IN_SCP,
            why: "an SCP is attached to the root, OUs and accounts rather than deployed in one account, so it has \
                  no account of its own; name one with `{account_id:NAME}`",
        };
        check_placeholders(cx, scope.src, document, &rules);
        if p.builtin.is_some() {
            return None;
        }
        return Some((document.to_json(), *key));
    }
    let b = p.builtin.as_ref()?;
    let exempt = builtins::Exempt { access_role: scope.access_role, break_glass_role: scope.break_glass_role };
    let doc = match b.value.as_str() {
        "deny-leave-organization" => builtins::deny_leave_organization(),
        "protect-access-role" => builtins::protect_access_role(exempt),
        "deny-root-user" => builtins::deny_root_user(),
        "protect-cloudtrail" => match scope.logging {
            Some(l) => builtins::protect_cloudtrail(
                &l.trail.value,
                &l.bucket.value,
                &l.account.value,
                l.kms_key.as_ref().map(|k| k.value.as_str()),
                exempt,
            ),
            None if scope.has_logging => return None,
            None => {
                cx.push(
                    Diagnostic::error(
                        "blueprint::builtin-needs",
                        b.span,
                        "`protect-cloudtrail` protects the trail and bucket of the `logging` section, and there is none",
                    )
                    .label("nothing to protect")
                    .help("add a `logging:` section (account, bucket, trail), or remove this guardrail"),
                );
                return None;
            }
        },
        crate::sandbox::SANDBOX_LIMITS => sandbox_limits(scope, exempt),
        "deny-regions-outside" => {
            let regions = allowed_regions(cx, p, b, scope)?;
            builtins::deny_regions_outside(&regions, exempt)
        }
        "deny-iam-users-outside-identity" => {
            let Some(identity) = scope.accounts.iter().find(|a| a.purpose == Purpose::Identity) else {
                cx.push(
                    Diagnostic::error(
                        "blueprint::builtin-needs",
                        b.span,
                        "`deny-iam-users-outside-identity` needs an account with `purpose: identity`",
                    )
                    .label("no identity account")
                    .help("set `purpose: identity` on the account where IAM users live, or remove this guardrail"),
                );
                return None;
            };
            builtins::deny_iam_users_outside_identity(&identity.name.value)
        }
        other => {
            let d = Diagnostic::error(
                "blueprint::unknown-builtin",
                b.span,
                format!("unknown built-in guardrail `{other}`"),
            )
            .label("not a built-in");
            cx.push(match did_you_mean(other, BUILTIN_GUARDRAILS.iter().copied()) {
                Some(s) => d.help(format!("did you mean `{s}`? built-ins are {}", BUILTIN_GUARDRAILS.join(", "))),
                None => d.help(format!("built-ins are {}", BUILTIN_GUARDRAILS.join(", "))),
            });
            return None;
        }
    };
    Some((doc, b.span))
}

/// The regions of `deny-regions-outside`, each checked; `None` when they are missing.
fn allowed_regions(cx: &mut Cx, p: &RawPolicy, b: &Spanned<String>, scope: &Scope<'_>) -> Option<Vec<String>> {
    let Some((regions, _, list_span)) = &p.allowed_regions else {
        cx.push(
            Diagnostic::error("blueprint::allowed-regions", b.span, "`deny-regions-outside` needs `allowed_regions`")
                .label("which regions?")
                .help("list the regions people may use, e.g. `allowed_regions: [eu-west-1, eu-central-1]`"),
        );
        return None;
    };
    if regions.is_empty() {
        cx.push(
            Diagnostic::error("blueprint::allowed-regions", *list_span, "`allowed_regions` is empty")
                .label("no region")
                .help("an empty list would deny every regional service everywhere; list at least one region"),
        );
    }
    crate::regions::check_region_list(cx, "blueprint::allowed-regions", regions);
    if let Some(home) = scope.home_region
        && !regions.is_empty()
        && !regions.iter().any(|r| r.value == home)
    {
        cx.push(
            Diagnostic::warning(
                "blueprint::home-region-denied",
                *list_span,
                format!("the home region `{home}` is not in `allowed_regions`"),
            )
            .label(format!("no `{home}` here"))
            .help("the trail and the log bucket live in the home region; add it unless that is intended"),
        );
    }
    Some(regions.iter().map(|r| r.value.clone()).collect())
}

fn resolve_targets(cx: &mut Cx, p: &RawPolicy, scope: &Scope<'_>) -> Vec<Spanned<Target>> {
    let mut out: Vec<Spanned<Target>> = Vec::new();
    for t in &p.targets {
        let Some(target) = resolve_target(cx, t, scope) else { continue };
        if let Some(first) = out.iter().find(|f| f.value == target.value) {
            let name = p.name.as_ref().map_or("this guardrail", |n| n.value.as_str());
            cx.push(
                Diagnostic::error(
                    "blueprint::duplicate-target",
                    target.span,
                    format!("{} is listed twice in the targets of guardrail `{name}`", describe(&target.value)),
                )
                .label("listed again")
                .related(first.span, "first listed here")
                .help("a policy is attached to a target once; remove one of them"),
            );
            continue;
        }
        out.push(target);
    }
    out
}

pub(crate) fn resolve_target(cx: &mut Cx, t: &RawTarget, scope: &Scope<'_>) -> Option<Spanned<Target>> {
    let ou_names = || scope.ous.keys().map(ToString::to_string).collect::<Vec<_>>();
    match t {
        RawTarget::Bare(s) if s.value == "Root" => Some(Spanned::new(Target::Root, s.span)),
        RawTarget::Bare(s) => {
            let path = OuPath::parse(&s.value);
            let help = if scope.ous.contains_key(&path) {
                format!("to attach it to the OU, write `{{ ou: {path} }}`")
            } else if scope.accounts.iter().any(|a| a.name.value == s.value) {
                format!("to attach it to the account, write `{{ account: {} }}`", s.value)
            } else if did_you_mean(&s.value, ["Root"]).is_some() {
                "did you mean `Root`?".to_owned()
            } else {
                "a target is `Root`, `{ ou: PATH }` or `{ account: NAME }`".to_owned()
            };
            cx.push(
                Diagnostic::error("blueprint::target", s.span, format!("`{}` is not a target", s.value))
                    .label("not Root, an OU or an account")
                    .help(help),
            );
            None
        }
        RawTarget::Ou(text, entry) => {
            let path = OuPath::parse(&text.value);
            if path.is_root() {
                return Some(Spanned::new(Target::Root, *entry));
            }
            if scope.ous.contains_key(&path) {
                return Some(Spanned::new(Target::Ou(path), *entry));
            }
            let names = ou_names();
            let d = Diagnostic::error(
                "blueprint::unknown-ou",
                text.span,
                format!("OU `{path}` is not defined in organizational_units"),
            )
            .label("undefined OU");
            cx.push(match did_you_mean(&path.to_string(), names.iter().map(String::as_str)) {
                Some(s) => d.help(format!("did you mean `{s}`?")),
                None => d.help("OU targets are paths of `organizational_units`, such as `Workloads/Prod`"),
            });
            None
        }
        RawTarget::Account(name, entry) => {
            if scope.accounts.iter().any(|a| a.name.value == name.value) {
                return Some(Spanned::new(Target::Account(name.value.clone()), *entry));
            }
            let d = Diagnostic::error(
                "blueprint::unknown-account",
                name.span,
                format!("account `{}` is not in the blueprint", name.value),
            )
            .label("unknown account");
            cx.push(match did_you_mean(&name.value, scope.accounts.iter().map(|a| a.name.value.as_str())) {
                Some(s) => d.help(format!("did you mean `{s}`?")),
                None => d.help(
                    "account targets name an account of `accounts` or an expanded workload (SCPs never apply to \
                     the management account)",
                ),
            });
            None
        }
    }
}

/// AWS attaches at most `max_per_target` SCPs to one target, and groundwork always keeps
/// `FullAWSAccess` attached: reports the attachment that goes over.
fn check_per_target(cx: &mut Cx, g: &Guardrails) {
    let mut totals: HashMap<&Target, usize> = HashMap::new();
    for p in &g.policies {
        for t in &p.targets {
            *totals.entry(&t.value).or_default() += 1;
        }
    }
    let mut running: HashMap<&Target, usize> = HashMap::new();
    for p in &g.policies {
        for t in &p.targets {
            let n = running.entry(&t.value).or_default();
            *n += 1;
            // + 1: FullAWSAccess.
            if *n == g.max_per_target {
                let total = totals[&t.value] + 1;
                cx.push(
                    Diagnostic::error(
                        "blueprint::too-many-scps",
                        t.span,
                        format!(
                            "{} would have {total} SCPs attached ({} guardrails and FullAWSAccess); AWS allows {}",
                            describe(&t.value),
                            total - 1,
                            g.max_per_target
                        ),
                    )
                    .label(format!("SCP number {} on {}", *n + 1, describe(&t.value)))
                    .help(
                        "groundwork keeps the AWS-managed FullAWSAccess policy attached everywhere; merge guardrails, \
                         attach some to a parent OU (SCPs are inherited), or, if AWS raised your organization's \
                         quota, set `guardrails.limits.max_per_target`",
                    ),
                );
            }
        }
    }
}
