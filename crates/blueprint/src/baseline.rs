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
//! ```
//!
//! The defaults live in [`Baseline::default`]; this module only reads what is written and
//! checks it (unknown targets and regions are errors at their `file:line:column`).

use crate::diag::Diagnostic;
use crate::guardrails::{RawTarget, Scope, read_target, resolve_target};
use crate::logging::boolean;
use crate::model::{Baseline, Regions, Spanned, Target};
use crate::regions::check_region_list;
use crate::schema::Cx;
use crate::yaml::{Node, NodeKind, Span};

/// Keys of the `baseline` section.
const BASELINE_KEYS: &[&str] = &["enabled", "targets", "regions", "s3_public_access_block", "ebs_encryption"];

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
}

/// Reads the `baseline` section.
pub(crate) fn read(cx: &mut Cx, node: &Node) -> RawBaseline {
    let mut raw = RawBaseline::default();
    let Some(f) = cx.map(node, "baseline", BASELINE_KEYS) else { return raw };
    raw.enabled = f.get("enabled").and_then(|n| boolean(cx, n, "baseline.enabled"));
    raw.s3_public_access_block =
        f.get("s3_public_access_block").and_then(|n| boolean(cx, n, "baseline.s3_public_access_block"));
    raw.ebs_encryption = f.get("ebs_encryption").and_then(|n| boolean(cx, n, "baseline.ebs_encryption"));
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

/// Checks the section and gives the baseline, defaults filled in from [`Baseline::default`].
pub(crate) fn lower(cx: &mut Cx, raw: Option<&RawBaseline>, scope: &Scope<'_>) -> Baseline {
    let defaults = Baseline::default();
    let Some(raw) = raw else { return defaults };
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
    }
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
    use crate::model::{Baseline, Regions, Target};

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
