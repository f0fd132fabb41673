//! Organizations policies beyond SCPs that a guardrail may be: tag policies and AI-services
//! opt-out policies (`type: tag`, `type: ai_services_opt_out`, or a built-in of that type), and
//! `guardrails.tag_conventions`, the blueprint's own tag conventions that the built-in
//! `tag-conventions` turns into a tag policy.
//!
//! They are listed in `guardrails.policies` with the SCPs and share their names, targets,
//! descriptions and `prune`, but land in [`Guardrails::organization_policies`]: everything that
//! reads `Guardrails::policies` (the policy evaluator, assertions, lints) reads SCPs only.
//!
//! [`Guardrails::organization_policies`]: crate::Guardrails::organization_policies

use std::collections::HashMap;

use serde_json::{Map, Value, json};

use crate::diag::Diagnostic;
use crate::model::{Account, Spanned, Target};
use crate::schema::{Cx, did_you_mean};
use crate::yaml::{Node, NodeKind, Span};

/// The values of a guardrail's `type:`; the first, the default, is an SCP.
pub const POLICY_TYPE_NAMES: &[&str] = &["service_control", "tag", "ai_services_opt_out"];
/// The keys of one entry of `guardrails.tag_conventions`.
pub const TAG_CONVENTION_KEYS: &[&str] = &["key", "values", "enforced_for"];
/// The built-in AI-services opt-out policy: every AI service, every account below its targets.
pub const AI_SERVICES_OPT_OUT: &str = "ai-services-opt-out";
/// The built-in tag policy generated from `guardrails.tag_conventions`.
pub const TAG_CONVENTIONS: &str = "tag-conventions";
/// AWS: a tag key is at most 128 characters, a value at most 256.
const MAX_TAG_KEY: usize = 128;
const MAX_TAG_VALUE: usize = 256;

/// An Organizations policy type beyond SCPs; serialized as the API names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
pub enum OrgPolicyType {
    /// `TAG_POLICY`: which tag keys and values resources use, and where non-compliant tagging
    /// is refused (`enforced_for`).
    #[serde(rename = "TAG_POLICY")]
    Tag,
    /// `AISERVICES_OPT_OUT_POLICY`: whether AWS AI services may store and use content.
    #[serde(rename = "AISERVICES_OPT_OUT_POLICY")]
    AiServicesOptOut,
}

impl OrgPolicyType {
    /// Every type, in the order they are enabled and listed.
    pub const ALL: &'static [OrgPolicyType] = &[OrgPolicyType::Tag, OrgPolicyType::AiServicesOptOut];

    /// The type as the Organizations API names it.
    pub fn api_name(self) -> &'static str {
        match self {
            OrgPolicyType::Tag => "TAG_POLICY",
            OrgPolicyType::AiServicesOptOut => "AISERVICES_OPT_OUT_POLICY",
        }
    }

    /// The type of an API name.
    pub fn from_api_name(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|t| t.api_name() == name)
    }

    /// The type as a guardrail's `type:` writes it.
    pub fn blueprint_name(self) -> &'static str {
        match self {
            OrgPolicyType::Tag => "tag",
            OrgPolicyType::AiServicesOptOut => "ai_services_opt_out",
        }
    }

    /// The type for people.
    pub fn describe(self) -> &'static str {
        match self {
            OrgPolicyType::Tag => "tag policy",
            OrgPolicyType::AiServicesOptOut => "AI-services opt-out policy",
        }
    }

    /// The type for people, with its article (`a tag policy`).
    pub fn a(self) -> &'static str {
        match self {
            OrgPolicyType::Tag => "a tag policy",
            OrgPolicyType::AiServicesOptOut => "an AI-services opt-out policy",
        }
    }

    /// AWS: the largest document of this type, in characters (tag 10,000, AI opt-out 2,500).
    pub fn max_chars(self) -> usize {
        match self {
            OrgPolicyType::Tag => 10_000,
            OrgPolicyType::AiServicesOptOut => 2_500,
        }
    }

    /// AWS: at most this many policies of the type attached to one target (tag 10, AI opt-out 5).
    pub fn max_per_target(self) -> usize {
        match self {
            OrgPolicyType::Tag => 10,
            OrgPolicyType::AiServicesOptOut => 5,
        }
    }

    /// The one top-level key of a document of this type.
    fn top_key(self) -> &'static str {
        match self {
            OrgPolicyType::Tag => "tags",
            OrgPolicyType::AiServicesOptOut => "services",
        }
    }
}

/// One Organizations policy of a type beyond SCPs, and where it is attached.
#[derive(Debug, Clone)]
pub struct OrgPolicy {
    /// Policy name (its address: `org-policy/<name>`); unique among all guardrails.
    pub name: Spanned<String>,
    /// Description stored with the policy.
    pub description: String,
    /// Its type.
    pub policy_type: OrgPolicyType,
    /// The built-in it came from, or `None` for a custom one.
    pub builtin: Option<String>,
    /// The policy document (built-ins already generated).
    pub document: Value,
    /// Where it is attached.
    pub targets: Vec<Spanned<Target>>,
}

/// One of the blueprint's tag conventions (`guardrails.tag_conventions`).
#[derive(Debug, Clone)]
pub struct TagConvention {
    /// The tag key, capitalized as resources must carry it.
    pub key: Spanned<String>,
    /// The values allowed; empty: any value.
    pub values: Vec<String>,
    /// Resource types (`ec2:instance`, `s3:bucket`, `ec2:ALL_SUPPORTED`) on which AWS refuses
    /// a non-compliant tagging operation; empty: reported by AWS's compliance view only.
    pub enforced_for: Vec<String>,
}

/// Raw `guardrails.tag_conventions` entry.
#[derive(Debug, Clone)]
pub(crate) struct RawConvention {
    key: Option<Spanned<String>>,
    values: Option<(Vec<Spanned<String>>, Span)>,
    enforced_for: Vec<Spanned<String>>,
}

/// Reads `guardrails.tag_conventions`.
pub(crate) fn read_conventions(cx: &mut Cx, node: &Node) -> Vec<RawConvention> {
    let Some(items) = cx.list(node, "guardrails.tag_conventions") else { return Vec::new() };
    let mut out = Vec::new();
    for item in items {
        let Some(f) = cx.map(item, "a tag convention", TAG_CONVENTION_KEYS) else { continue };
        let key = cx.required(&f, "key", "a tag convention").and_then(|n| cx.string(n, "the tag key"));
        let values = f.get("values").and_then(|v| {
            let items = cx.list(v, "values")?;
            Some((items.iter().filter_map(|n| cx.string(n, "a tag value")).collect(), v.span))
        });
        let enforced_for = f
            .get("enforced_for")
            .and_then(|v| cx.list(v, "enforced_for"))
            .map(|items| items.iter().filter_map(|n| cx.string(n, "a resource type")).collect())
            .unwrap_or_default();
        out.push(RawConvention { key, values, enforced_for });
    }
    out
}

/// Validates the tag conventions.
pub(crate) fn lower_conventions(cx: &mut Cx, raw: &[RawConvention]) -> Vec<TagConvention> {
    let mut seen: HashMap<String, Span> = HashMap::new();
    let mut out = Vec::new();
    for c in raw {
        let Some(key) = &c.key else { continue };
        let n = key.value.chars().count();
        if n == 0 || n > MAX_TAG_KEY || key.value.to_lowercase().starts_with("aws:") {
            cx.push(
                Diagnostic::error("blueprint::tag-convention", key.span, format!("`{}` is not a tag key", key.value))
                    .label("invalid tag key")
                    .help("a tag key is 1–128 characters and does not start with `aws:`"),
            );
        }
        // Tag policies match keys without regard to case: `CostCenter` and `costcenter` are one.
        if let Some(first) = seen.get(&key.value.to_lowercase()) {
            cx.push(
                Diagnostic::error(
                    "blueprint::tag-convention",
                    key.span,
                    format!("tag key `{}` has two conventions", key.value),
                )
                .label("second convention for this key")
                .related(*first, "first one here")
                .help("tag policies compare keys without regard to case; merge the two conventions"),
            );
        } else {
            seen.insert(key.value.to_lowercase(), key.span);
        }
        if let Some((values, span)) = &c.values {
            if values.is_empty() {
                cx.push(
                    Diagnostic::error("blueprint::tag-convention", *span, format!("`{}` allows no value", key.value))
                        .label("empty list")
                        .help("list the values allowed, or leave `values` out to allow any value"),
                );
            }
            for v in values.iter().filter(|v| v.value.chars().count() > MAX_TAG_VALUE) {
                cx.push(
                    Diagnostic::error("blueprint::tag-convention", v.span, "a tag value is at most 256 characters")
                        .label("too long"),
                );
            }
        }
        for r in &c.enforced_for {
            if !is_resource_type(&r.value) {
                cx.push(
                    Diagnostic::error(
                        "blueprint::tag-convention",
                        r.span,
                        format!("`{}` is not a resource type a tag policy can enforce", r.value),
                    )
                    .label("expected `service:resource`")
                    .help(
                        "write the service prefix and the resource type, e.g. `ec2:instance`, `s3:bucket`, or \
                         `ec2:ALL_SUPPORTED` for every type of the service",
                    ),
                );
            }
        }
        out.push(TagConvention {
            key: key.clone(),
            values: c.values.as_ref().map(|(v, _)| v.iter().map(|s| s.value.clone()).collect()).unwrap_or_default(),
            enforced_for: c.enforced_for.iter().map(|s| s.value.clone()).collect(),
        });
    }
    out
}

/// `service:resource`, both parts letters, digits and `-` (the resource may be `ALL_SUPPORTED`).
fn is_resource_type(text: &str) -> bool {
    let part = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    text.split_once(':').is_some_and(|(service, resource)| {
        part(service) && service.bytes().all(|b| !b.is_ascii_uppercase()) && part(resource)
    })
}

/// The type of a built-in beyond SCPs.
pub(crate) fn builtin_type(name: &str) -> Option<OrgPolicyType> {
    match name {
        AI_SERVICES_OPT_OUT => Some(OrgPolicyType::AiServicesOptOut),
        TAG_CONVENTIONS => Some(OrgPolicyType::Tag),
        _ => None,
    }
}

/// The type a guardrail's `type:` names (`None`: an SCP), checked against its built-in; `Err`
/// after a diagnostic.
pub(crate) fn policy_type(
    cx: &mut Cx,
    written: Option<&Spanned<String>>,
    builtin: Option<&Spanned<String>>,
) -> Result<Option<OrgPolicyType>, ()> {
    let of_builtin = builtin.and_then(|b| builtin_type(&b.value));
    let Some(t) = written else { return Ok(of_builtin) };
    let named = match t.value.as_str() {
        "service_control" => None,
        other => {
            let Some(p) = OrgPolicyType::ALL.iter().copied().find(|p| p.blueprint_name() == other) else {
                let d = Diagnostic::error("blueprint::policy-type", t.span, format!("unknown policy type `{other}`"))
                    .label("not a policy type");
                cx.push(match did_you_mean(other, POLICY_TYPE_NAMES.iter().copied()) {
                    Some(s) => d.help(format!("did you mean `{s}`? types are {}", POLICY_TYPE_NAMES.join(", "))),
                    None => d.help(format!("types are {}", POLICY_TYPE_NAMES.join(", "))),
                });
                return Err(());
            };
            Some(p)
        }
    };
    if let Some(b) = builtin
        && named != of_builtin
    {
        let of = of_builtin.map_or("a service control policy", OrgPolicyType::a);
        cx.push(
            Diagnostic::error("blueprint::policy-type", t.span, format!("built-in `{}` is {of}", b.value))
                .label("not the built-in's type")
                .related(b.span, "built-in named here")
                .help("a built-in has one type; remove `type:`"),
        );
        return Err(());
    }
    Ok(named)
}

/// Checks a custom document of `ty`: a mapping whose only top-level key is the type's (`tags`
/// or `services`). Returns whether it is one.
pub(crate) fn check_document(cx: &mut Cx, node: &Node, ty: OrgPolicyType) -> bool {
    let top = ty.top_key();
    let problem = match &node.kind {
        NodeKind::Map(entries) => entries
            .iter()
            .find_map(|(k, _)| match &k.kind {
                NodeKind::Scalar { value, .. } if value == top => None,
                _ => Some((k.span, "unexpected key")),
            })
            .or_else(|| entries.is_empty().then_some((node.span, "empty document"))),
        _ => Some((node.span, "not a mapping")),
    };
    let Some((span, label)) = problem else { return true };
    cx.push(
        Diagnostic::error(
            "blueprint::policy-document",
            span,
            format!("{} document is a mapping with one key, `{top}`", ty.a()),
        )
        .label(label)
        .help(format!(
            "write the {} in AWS's management policy syntax under `{top}:` (see docs/guardrails.md), or use the \
             built-in",
            ty.describe()
        )),
    );
    false
}

/// The document of a built-in beyond SCPs; `None` after a diagnostic.
pub(crate) fn builtin_document(
    cx: &mut Cx,
    builtin: &Spanned<String>,
    conventions: &[TagConvention],
    has_conventions: bool,
) -> Option<Value> {
    match builtin.value.as_str() {
        AI_SERVICES_OPT_OUT => Some(ai_services_opt_out()),
        TAG_CONVENTIONS if conventions.is_empty() => {
            if !has_conventions {
                cx.push(
                    Diagnostic::error(
                        "blueprint::builtin-needs",
                        builtin.span,
                        "`tag-conventions` is generated from `guardrails.tag_conventions`, and there is none",
                    )
                    .label("nothing to generate")
                    .help("list the tag keys under `guardrails.tag_conventions`, or remove this guardrail"),
                );
            }
            None
        }
        TAG_CONVENTIONS => Some(tag_conventions(conventions)),
        _ => None,
    }
}

/// The AI-services opt-out policy: every AI service (`default`) opted out, for every account
/// below its targets.
pub fn ai_services_opt_out() -> Value {
    json!({ "services": { "default": { "opt_out_policy": { "@@assign": "optOut" } } } })
}

/// The tag policy of `conventions`: per key its capitalization, its allowed values and the
/// resource types on which AWS enforces them.
pub fn tag_conventions(conventions: &[TagConvention]) -> Value {
    let mut tags = Map::new();
    for c in conventions {
        let mut entry = Map::new();
        entry.insert("tag_key".into(), json!({ "@@assign": c.key.value }));
        if !c.values.is_empty() {
            entry.insert("tag_value".into(), json!({ "@@assign": c.values }));
        }
        if !c.enforced_for.is_empty() {
            entry.insert("enforced_for".into(), json!({ "@@assign": c.enforced_for }));
        }
        tags.insert(c.key.value.to_lowercase(), Value::Object(entry));
    }
    json!({ "tags": tags })
}

/// The size AWS measures: the minified document.
pub fn policy_size(doc: &Value) -> usize {
    doc.to_string().chars().count()
}

/// AWS's limits on documents of each type and on policies of each type per target.
pub(crate) fn check_limits(cx: &mut Cx, policies: &[OrgPolicy]) {
    for p in policies {
        let size = policy_size(&p.document);
        let max = p.policy_type.max_chars();
        if size > max {
            cx.push(
                Diagnostic::error(
                    "blueprint::policy-too-large",
                    p.name.span,
                    format!(
                        "{} `{}` is {size} characters; AWS accepts up to {max}",
                        p.policy_type.describe(),
                        p.name.value
                    ),
                )
                .label(format!("{size} characters once minified"))
                .help("split it into two policies of the same type"),
            );
        }
    }
    let mut running: HashMap<(OrgPolicyType, &Target), usize> = HashMap::new();
    for p in policies {
        for t in &p.targets {
            let n = running.entry((p.policy_type, &t.value)).or_default();
            *n += 1;
            if *n == p.policy_type.max_per_target() + 1 {
                cx.push(
                    Diagnostic::error(
                        "blueprint::too-many-policies",
                        t.span,
                        format!(
                            "{} would have {n} {}s attached; AWS allows {}",
                            describe_target(&t.value),
                            p.policy_type.describe(),
                            p.policy_type.max_per_target()
                        ),
                    )
                    .label(format!("{} number {n} here", p.policy_type.describe()))
                    .help("merge policies of this type, or attach some to a parent OU (they are inherited)"),
                );
            }
        }
    }
}

fn describe_target(target: &Target) -> String {
    match target {
        Target::Root => "the root".to_owned(),
        Target::Ou(p) => format!("OU `{p}`"),
        Target::Account(a) => format!("account `{a}`"),
    }
}

/// Warns about the blueprint's own account tags that break its tag conventions: a value the
/// convention does not allow, or a key capitalized differently.
pub(crate) fn lint_own_tags(cx: &mut Cx, conventions: &[TagConvention], accounts: &[&Account]) {
    for a in accounts {
        for (k, v) in &a.tags {
            let Some(c) = conventions.iter().find(|c| c.key.value.eq_ignore_ascii_case(k)) else { continue };
            let problem = if c.key.value != *k {
                Some(format!(
                    "tag `{k}` of account `{}` is written `{}` by the tag conventions",
                    a.name.value, c.key.value
                ))
            } else if !c.values.is_empty() && !c.values.contains(v) {
                Some(format!(
                    "account `{}` is tagged `{k}: {v}`, a value the tag conventions do not allow",
                    a.name.value
                ))
            } else {
                None
            };
            if let Some(message) = problem {
                cx.push(
                    Diagnostic::warning("blueprint::tag-convention", a.name.span, message)
                        .label("tags of this account")
                        .related(c.key.span, "convention here")
                        .help(format!(
                            "the tag policy reports this tag as non-compliant; allowed values of `{}`: {}",
                            c.key.value,
                            if c.values.is_empty() { "any".to_owned() } else { c.values.join(", ") }
                        )),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_generated_tag_policy_follows_the_management_policy_syntax() {
        let c = TagConvention {
            key: Spanned::new("CostCenter".into(), Span::default()),
            values: vec!["it".into(), "product".into()],
            enforced_for: vec!["ec2:instance".into()],
        };
        let owner =
            TagConvention { key: Spanned::new("Owner".into(), Span::default()), values: vec![], enforced_for: vec![] };
        assert_eq!(
            tag_conventions(&[c, owner]),
            json!({ "tags": {
                "costcenter": {
                    "tag_key": { "@@assign": "CostCenter" },
                    "tag_value": { "@@assign": ["it", "product"] },
                    "enforced_for": { "@@assign": ["ec2:instance"] }
                },
                "owner": { "tag_key": { "@@assign": "Owner" } }
            } })
        );
        assert!(policy_size(&ai_services_opt_out()) < OrgPolicyType::AiServicesOptOut.max_chars());
    }

    #[test]
    fn resource_types_are_service_and_resource() {
        assert!(is_resource_type("ec2:instance"));
        assert!(is_resource_type("ec2:ALL_SUPPORTED"));
        assert!(!is_resource_type("instance"));
        assert!(!is_resource_type("EC2:instance"));
        assert!(!is_resource_type("ec2:"));
    }
}
