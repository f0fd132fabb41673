//! The `baseline` section: the account baseline every account of the organization gets, on by
//! default, narrowed by an optional target list (the syntax of guardrail targets) and placed in
//! regions by a region selector (`home`, `allowed`, or a list).
//!
//! ```yaml
//! baseline:
//!   targets: [Root]              # default; or [{ ou: Workloads }, { account: shared-network }]
//!   regions: allowed             # default; or `home`, or [eu-west-1, eu-central-1]
//!   s3_public_access_block: true # default
//!   ebs_encryption: true         # default
//!   password_policy: true        # default: identity.password_policy, else its defaults
//!   support_role: true           # default with an identity hub; or { name, groups: [...] }
//!   security_audit_role: true    # the same
//! ```
//!
//! The defaults live in [`Baseline::default`] and the model's `DEFAULT_*` constants; this
//! module only reads what is written and checks it (unknown targets, regions and groups, and a
//! role name a blueprint role already has, are errors at their `file:line:column`).

use std::collections::HashMap;

use crate::diag::Diagnostic;
use crate::guardrails::{RawTarget, Scope, read_target, resolve_target};
use crate::identity::{RawIdentity, RawRole, check_iam_name, check_reserved};
use crate::logging::boolean;
use crate::model::{
    Baseline, BaselineRole, DEFAULT_ROLE_PATH, DEFAULT_SECURITY_AUDIT_ROLE, DEFAULT_SUPPORT_ROLE, Regions, Spanned,
    Target,
};
use crate::regions::check_region_list;
use crate::schema::Cx;
use crate::yaml::{Node, NodeKind, Span};

/// Keys of the `baseline` section.
pub(crate) const BASELINE_KEYS: &[&str] = &[
    "enabled",
    "targets",
    "regions",
    "s3_public_access_block",
    "ebs_encryption",
    "password_policy",
    "support_role",
    "security_audit_role",
];
/// Keys of `support_role` and `security_audit_role` written as a mapping.
pub(crate) const ROLE_KEYS: &[&str] = &["name", "groups"];

/// The words `regions` takes besides a list.
const REGION_WORDS: &[&str] = &["home", "allowed"];

/// Raw `regions`.
#[derive(Debug, Clone)]
enum RawRegions {
    /// `home` or `allowed`, as written.
    Word(Spanned<String>),
    /// A list of regions, and the span of the list.
    List(Vec<Spanned<String>>, Span),
}

/// Raw `baseline` section; every field `None` when missing or broken (already reported).
#[derive(Debug, Clone, Default)]
pub(crate) struct RawBaseline {
    enabled: Option<bool>,
    /// The targets and the span of the list.
    targets: Option<(Vec<RawTarget>, Span)>,
    regions: Option<RawRegions>,
    s3_public_access_block: Option<bool>,
    ebs_encryption: Option<bool>,
    password_policy: Option<bool>,
    support_role: Option<RawBaselineRole>,
    security_audit_role: Option<RawBaselineRole>,
}

/// Raw `support_role` or `security_audit_role`: `true`, `false` or `{ name, groups }`.
#[derive(Debug, Clone)]
struct RawBaselineRole {
    /// Where it is written.
    span: Span,
    /// `false` turns it off.
    on: bool,
    name: Option<Spanned<String>>,
    groups: Vec<Spanned<String>>,
}

fn read_role(cx: &mut Cx, node: &Node, what: &str) -> Option<RawBaselineRole> {
    if let NodeKind::Map(_) = &node.kind {
        let f = cx.map(node, what, ROLE_KEYS)?;
        let name = f.get("name").and_then(|n| cx.string(n, &format!("{what}.name")));
        let groups = f.get("groups").and_then(|n| crate::selector::strings(cx, n, "a group name")).unwrap_or_default();
        return Some(RawBaselineRole { span: node.span, on: true, name, groups });
    }
    let on = boolean(cx, node, what)?;
    Some(RawBaselineRole { span: node.span, on, name: None, groups: Vec::new() })
}

/// Reads the `baseline` section.
pub(crate) fn read(cx: &mut Cx, node: &Node) -> RawBaseline {
    let mut raw = RawBaseline::default();
    let Some(f) = cx.map(node, "baseline", BASELINE_KEYS) else { return raw };
    raw.enabled = f.get("enabled").and_then(|n| boolean(cx, n, "baseline.enabled"));
    raw.s3_public_access_block =
        f.get("s3_public_access_block").and_then(|n| boolean(cx, n, "baseline.s3_public_access_block"));
    raw.ebs_encryption = f.get("ebs_encryption").and_then(|n| boolean(cx, n, "baseline.ebs_encryption"));
    raw.password_policy = f.get("password_policy").and_then(|n| boolean(cx, n, "baseline.password_policy"));
    raw.support_role = f.get("support_role").and_then(|n| read_role(cx, n, "baseline.support_role"));
    raw.security_audit_role =
        f.get("security_audit_role").and_then(|n| read_role(cx, n, "baseline.security_audit_role"));
    if let Some(t) = f.get("targets")
        && let Some(items) = cx.list(t, "baseline.targets")
    {
        if items.is_empty() {
            cx.push(
                Diagnostic::error("blueprint::no-target", t.span, "the baseline needs at least one target")
                    .label("no target")
                    .help("leave `targets` out for every account, or turn the baseline off with `enabled: false`"),
            );
        }
        raw.targets = Some((items.iter().filter_map(|n| read_target(cx, n)).collect(), t.span));
    }
    if let Some(r) = f.get("regions") {
        raw.regions = read_regions(cx, r);
    }
    raw
}

fn read_regions(cx: &mut Cx, node: &Node) -> Option<RawRegions> {
    if let NodeKind::Scalar { .. } = &node.kind
        && !node.is_null()
    {
        return cx.string(node, "baseline.regions").map(RawRegions::Word);
    }
    let items = cx.list(node, "baseline.regions")?;
    let regions = items.iter().filter_map(|n| cx.string(n, "a region")).collect();
    Some(RawRegions::List(regions, node.span))
}

/// What the baseline's roles are checked against: the `identity` section (its groups, its
/// role path) and the `roles` section, as written, and the organization's access role.
pub(crate) struct RoleScope<'a> {
    pub(crate) identity: Option<&'a RawIdentity>,
    pub(crate) roles: &'a [RawRole],
    pub(crate) access_role: Option<&'a Spanned<String>>,
}

/// Checks the section and gives the baseline, defaults filled in from [`Baseline::default`]
/// (and, with an `identity` section, the two roles on under their default names).
pub(crate) fn lower(cx: &mut Cx, raw: Option<&RawBaseline>, scope: &Scope<'_>, roles: &RoleScope<'_>) -> Baseline {
    let defaults = Baseline::default();
    let empty = RawBaseline::default();
    let explicit = raw.is_some();
    let raw = raw.unwrap_or(&empty);
    let enabled = raw.enabled.unwrap_or(defaults.enabled);
    let (support_role, security_audit_role) = if enabled {
        let support = lower_role(cx, raw.support_role.as_ref(), DEFAULT_SUPPORT_ROLE, "support_role", roles, None);
        let audit = lower_role(
            cx,
            raw.security_audit_role.as_ref(),
            DEFAULT_SECURITY_AUDIT_ROLE,
            "security_audit_role",
            roles,
            support.as_ref(),
        );
        (support, audit)
    } else {
        (None, None)
    };
    if !explicit {
        return Baseline { support_role, security_audit_role, ..defaults };
    }
    Baseline {
        enabled: raw.enabled.unwrap_or(defaults.enabled),
        targets: match &raw.targets {
            Some((targets, _)) => resolve_targets(cx, targets, scope),
            None => defaults.targets,
        },
        regions: match &raw.regions {
            Some(r) => lower_regions(cx, r),
            None => defaults.regions,
        },
        s3_public_access_block: raw.s3_public_access_block.unwrap_or(defaults.s3_public_access_block),
        ebs_encryption: raw.ebs_encryption.unwrap_or(defaults.ebs_encryption),
        password_policy: raw.password_policy.unwrap_or(defaults.password_policy),
        support_role,
        security_audit_role,
    }
}

/// One of the baseline's roles: on by default with an identity hub, off without one (a role
/// written on without a hub is an error); its name checked against IAM, the reserved names,
/// the `roles` section and the other baseline role (`other`); its groups against
/// `identity.groups`.
fn lower_role(
    cx: &mut Cx,
    raw: Option<&RawBaselineRole>,
    default_name: &str,
    key: &str,
    scope: &RoleScope<'_>,
    other: Option<&BaselineRole>,
) -> Option<BaselineRole> {
    if raw.is_some_and(|r| !r.on) {
        return None;
    }
    let Some(identity) = scope.identity else {
        if let Some(r) = raw {
            cx.push(
                Diagnostic::error(
                    "blueprint::no-hub",
                    r.span,
                    format!("`baseline.{key}` is assumed from the identity hub, but there is no `identity` section"),
                )
                .label("needs an identity hub")
                .help(format!(
                    "add an `identity:` section naming the hub account, or write `{key}: false` (without a hub the \
                     baseline's roles are off by default)"
                )),
            );
        }
        return None;
    };
    let name =
        raw.and_then(|r| r.name.clone()).unwrap_or_else(|| Spanned::new(default_name.to_owned(), Span::default()));
    let written = name.span != Span::default();
    let mut ok = true;
    if written {
        ok &= check_iam_name(cx, &name, "role name", 64);
        check_reserved(cx, &name, scope.access_role);
    }
    let clash = |n: &str| n.eq_ignore_ascii_case(&name.value);
    if let Some(role) = scope.roles.iter().map(RawRole::name).find(|r| clash(&r.value)) {
        ok = false;
        let d = Diagnostic::error(
            "blueprint::duplicate-role",
            if written { name.span } else { role.span },
            format!("role `{}` is both the baseline's `{key}` and a role of the `roles` section", role.value),
        );
        cx.push(if written {
            d.label("baseline role")
                .related(role.span, "the `roles` section's role")
                .help(format!("give the baseline's {key} another name, or rename the role of the `roles` section"))
        } else {
            d.label(format!("the default name of `baseline.{key}`")).help(format!(
                "rename this role, or give the baseline's role another name with `{key}: {{ name: ... }}`"
            ))
        });
    }
    if let Some(o) = other.filter(|o| clash(&o.name.value)) {
        ok = false;
        let d = Diagnostic::error(
            "blueprint::duplicate-role",
            if written { name.span } else { o.name.span },
            format!("the baseline's support_role and security_audit_role are both named `{}`", name.value),
        )
        .label("named again")
        .help("give each of the baseline's roles its own name");
        cx.push(if written && o.name.span != Span::default() { d.related(o.name.span, "first named here") } else { d });
    }
    let known: Vec<&Spanned<String>> = identity.group_names().collect();
    let mut seen: HashMap<&str, Span> = HashMap::new();
    let mut groups = Vec::new();
    for g in raw.map_or(&[][..], |r| &r.groups) {
        if let Some(first) = seen.get(g.value.as_str()) {
            ok = false;
            cx.push(
                Diagnostic::error("blueprint::duplicate-group", g.span, format!("group `{}` is listed twice", g.value))
                    .label("listed again")
                    .related(*first, "first listed here"),
            );
            continue;
        }
        seen.insert(&g.value, g.span);
        if !known.iter().any(|k| k.value == g.value) {
            ok = false;
            let names: Vec<&str> = known.iter().map(|k| k.value.as_str()).collect();
            let d = Diagnostic::error(
                "blueprint::unknown-group",
                g.span,
                format!("group `{}` is not in identity.groups", g.value),
            )
            .label("unknown group");
            cx.push(match crate::schema::did_you_mean(&g.value, names.iter().copied()) {
                Some(s) => d.help(format!("did you mean `{s}`?")),
                None if names.is_empty() => d.help("define it under `identity.groups`"),
                None => d.help(format!("groups: {}", names.join(", "))),
            });
            continue;
        }
        if let Some(span) = identity.statement_sid(&g.value, crate::lint::ASSUME_BASELINE_SID) {
            ok = false;
            cx.push(
                Diagnostic::error(
                    "blueprint::statement",
                    span,
                    format!(
                        "Sid `{}` is reserved for the statement groundwork generates",
                        crate::lint::ASSUME_BASELINE_SID
                    ),
                )
                .label("reserved")
                .related(g.span, format!("group `{}` is granted a baseline role here", g.value))
                .help("rename the statement's Sid"),
            );
            continue;
        }
        groups.push(g.value.clone());
    }
    let path = identity.role_path();
    let path = if path.is_empty() { DEFAULT_ROLE_PATH } else { path };
    ok.then(|| BaselineRole { name, path: path.to_owned(), groups })
}

fn resolve_targets(cx: &mut Cx, targets: &[RawTarget], scope: &Scope<'_>) -> Vec<Spanned<Target>> {
    let mut out: Vec<Spanned<Target>> = Vec::new();
    for t in targets {
        let Some(target) = resolve_target(cx, t, scope) else { continue };
        if let Some(first) = out.iter().find(|f| f.value == target.value) {
            cx.push(
                Diagnostic::error(
                    "blueprint::duplicate-target",
                    target.span,
                    format!("`{}` is listed twice in the baseline's targets", target.value),
                )
                .label("listed again")
                .related(first.span, "first listed here")
                .help("remove one of them"),
            );
            continue;
        }
        out.push(target);
    }
    out
}

fn lower_regions(cx: &mut Cx, raw: &RawRegions) -> Regions {
    match raw {
        RawRegions::Word(w) if w.value == "home" => Regions::Home,
        RawRegions::Word(w) if w.value == "allowed" => Regions::Allowed,
        RawRegions::Word(w) => {
            let d = Diagnostic::error(
                "blueprint::baseline-regions",
                w.span,
                format!("`{}` is not a region selector", w.value),
            )
            .label("not `home`, `allowed` or a list");
            cx.push(match crate::schema::did_you_mean(&w.value, REGION_WORDS.iter().copied()) {
                Some(s) => d.help(format!("did you mean `{s}`?")),
                None if crate::regions::is_known_region(&w.value) => {
                    d.help(format!("a list of regions is written `[{}]`", w.value))
                }
                None => d.help(
                    "`regions` is `home` (the home region), `allowed` (the region lock's allowed regions, the \
                     default) or a list such as `[eu-west-1, eu-central-1]`",
                ),
            });
            Regions::Allowed
        }
        RawRegions::List(regions, span) => {
            if regions.is_empty() {
                cx.push(
                    Diagnostic::error("blueprint::baseline-regions", *span, "`baseline.regions` is empty")
                        .label("no region")
                        .help("list at least one region, or write `home` or `allowed`"),
                );
            }
            check_region_list(cx, "blueprint::baseline-regions", regions);
            Regions::List(regions.iter().map(|r| r.value.clone()).collect())
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::model::{Baseline, DEFAULT_SECURITY_AUDIT_ROLE, DEFAULT_SUPPORT_ROLE, Regions, Target};

    fn parse(extra: &str) -> Result<crate::Blueprint, crate::Diagnostics> {
        let src = format!(
            "version: 1
organization: {{ name: acme, home_region: eu-west-1, management_account: {{ email: root@acme.example }} }}
organizational_units: [{{ name: Workloads, children: [{{ name: Prod }}] }}]
accounts:
  - {{ name: app, email: aws+app@acme.example, ou: Workloads/Prod }}
{extra}"
        );
        crate::parse("t.yaml", src.as_bytes()).map(|p| p.blueprint)
    }

    #[test]
    fn a_blueprint_without_the_section_gets_the_default_baseline() {
        let bp = parse("").unwrap();
        assert_eq!(bp.baseline, Baseline::default());
        assert!(bp.baseline.enabled && bp.baseline.s3_public_access_block && bp.baseline.ebs_encryption);
        assert_eq!(bp.baseline.targets[0].value, Target::Root);
        assert_eq!(bp.baseline.regions, Regions::Allowed);
    }

    #[test]
    fn the_section_narrows_and_turns_off() {
        let bp = parse("baseline: { enabled: false }\n").unwrap();
        assert!(!bp.baseline.enabled);
        let bp = parse(
            "baseline:\n  targets: [{ ou: Workloads }, { account: app }]\n  regions: [eu-central-1, eu-west-1]\n  \
             ebs_encryption: false\n",
        )
        .unwrap();
        let targets: Vec<String> = bp.baseline.targets.iter().map(|t| t.value.to_string()).collect();
        assert_eq!(targets, ["Workloads", "account:app"]);
        assert_eq!(bp.baseline.regions, Regions::List(vec!["eu-central-1".into(), "eu-west-1".into()]));
        assert!(bp.baseline.s3_public_access_block && !bp.baseline.ebs_encryption);
        assert_eq!(parse("baseline: { regions: home }\n").unwrap().baseline.regions, Regions::Home);
    }

    const HUB: &str = "  - { name: identity, email: aws+identity@acme.example, ou: Workloads, purpose: identity }
identity:
  account: identity
  role_path: /acme/
  groups: [{ name: auditors }, { name: ops }]
";

    #[test]
    fn the_roles_are_on_with_an_identity_hub_and_off_without() {
        let bp = parse("").unwrap();
        assert!(bp.baseline.password_policy);
        assert_eq!((bp.baseline.support_role, bp.baseline.security_audit_role), (None, None));
        let bp = parse(HUB).unwrap();
        let support = bp.baseline.support_role.unwrap();
        assert_eq!((support.name.value.as_str(), support.path.as_str()), (DEFAULT_SUPPORT_ROLE, "/acme/"));
        assert!(support.groups.is_empty());
        assert_eq!(bp.baseline.security_audit_role.unwrap().name.value, DEFAULT_SECURITY_AUDIT_ROLE);
        let bp = parse(&format!(
            "{HUB}baseline:\n  support_role: false\n  security_audit_role: {{ name: Audit, groups: [auditors] }}\n  \
             password_policy: false\n"
        ))
        .unwrap();
        assert!(bp.baseline.support_role.is_none() && !bp.baseline.password_policy);
        let audit = bp.baseline.security_audit_role.unwrap();
        assert_eq!((audit.name.value.as_str(), audit.groups), ("Audit", vec!["auditors".to_owned()]));
        // Turned off as a whole: no role either.
        let bp = parse(&format!("{HUB}baseline: {{ enabled: false }}\n")).unwrap();
        assert!(bp.baseline.support_role.is_none() && bp.baseline.security_audit_role.is_none());
    }

    /// A group whose own statements leave less room than the baseline's statement needs: its
    /// inline policy, as groundwork writes it, is too large.
    #[test]
    fn the_baseline_statement_counts_toward_a_groups_inline_policy_size() {
        let resources: Vec<String> = (0..148).map(|i| format!("\"arn:aws:s3:::acme-bucket-{i:03}/*\"")).collect();
        let group = format!(
            "  - {{ name: identity, email: aws+identity@acme.example, ou: Workloads, purpose: identity }}
identity:
  account: identity
  groups:
    - name: ops
      statements:
        - {{ Sid: Read, Effect: Allow, Action: [s3:GetObject], Resource: [{}] }}
",
            resources.join(", ")
        );
        let fits = parse(&group);
        assert!(
            fits.is_ok(),
            "{:?}",
            fits.err().map(|d| d.items.iter().map(|i| i.message.clone()).collect::<Vec<_>>())
        );
        let err = parse(&format!("{group}baseline:\n  support_role: {{ groups: [ops] }}\n")).unwrap_err();
        let messages: Vec<&str> = err.items.iter().map(|i| i.message.as_str()).collect();
        assert!(
            messages
                .iter()
                .any(|m| m.starts_with("the inline policy of group `ops` is") && m.ends_with("IAM allows 5120")),
            "{messages:?}"
        );
    }

    #[test]
    fn apply_to_all_accounts_is_accepted_with_a_warning_pointing_to_the_baseline() {
        let src = "version: 1
organization: { name: acme, home_region: eu-west-1, management_account: { email: root@acme.example } }
organizational_units: [{ name: Workloads }]
accounts:
  - { name: identity, email: aws+identity@acme.example, ou: Workloads, purpose: identity }
identity:
  account: identity
  password_policy: { apply_to_all_accounts: true }
";
        let parsed = crate::parse("t.yaml", src.as_bytes()).unwrap_or_else(|d| panic!("{}", d.render_plain()));
        assert!(parsed.blueprint.identity.unwrap().password_policy_everywhere);
        let w = &parsed.warnings.items;
        assert_eq!(w.len(), 1, "{w:?}");
        assert_eq!(w[0].code, "blueprint::superseded");
        assert!(w[0].help.as_deref().unwrap().contains("baseline.password_policy"), "{w:?}");
    }

    #[test]
    fn unknown_targets_and_regions_are_errors_at_their_place() {
        let err = parse(
            "baseline:\n  targets: [{ ou: Workload }, { account: nobody }, Root, Root]\n  regions: [eu-west-9, \
             eu-west-1, eu-west-1]\n",
        )
        .unwrap_err();
        let found: Vec<(String, usize, usize)> =
            err.items.iter().map(|d| (d.message.clone(), d.span.line, d.span.col)).collect();
        assert_eq!(
            found,
            [
                ("OU `Workload` is not defined in organizational_units".to_owned(), 7, 19),
                ("account `nobody` is not in the blueprint".to_owned(), 7, 42),
                ("`Root` is listed twice in the baseline's targets".to_owned(), 7, 58),
                ("`eu-west-9` is not a known AWS region".to_owned(), 8, 13),
                ("region `eu-west-1` is listed twice".to_owned(), 8, 35),
            ]
        );
        let err = parse("baseline: { regions: allowd, enabled: maybe }\n").unwrap_err();
        assert!(err.items.iter().any(|d| d.help.as_deref() == Some("did you mean `allowed`?")), "{err:?}");
        assert!(err.items.iter().any(|d| d.message.contains("baseline.enabled must be true or false")), "{err:?}");
    }
}
