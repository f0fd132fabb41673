//! The schema walker: turns the spanned YAML tree into raw blueprint sections, reporting every
//! unknown key, wrong type and missing key it finds (it never stops at the first).

use std::collections::BTreeMap;

use crate::diag::Diagnostic;
use crate::model::{FeatureSet, Purpose, Spanned, Tags};
use crate::yaml::{Node, NodeKind, PlainType, Span, scalar_type};

/// The blueprint versions this build reads.
pub(crate) const SUPPORTED_VERSIONS: &[u32] = &[1];

/// The top-level keys of a version 1 blueprint.
pub(crate) const TOP_KEYS: &[&str] = &[
    "version",
    "organization",
    "organizational_units",
    "accounts",
    "workload_defaults",
    "workloads",
    "logging",
    "guardrails",
    "identity",
    "roles",
    "baseline",
    "identity_center",
    "flow_logs",
    "root_access",
    "alerts",
    "sandbox",
    // Read by groundwork-assertions once the rest is valid.
    "assertions",
];

/// Raw `organization` section.
#[derive(Debug, Clone)]
pub(crate) struct RawOrganization {
    pub(crate) name: Spanned<String>,
    pub(crate) home_region: Spanned<String>,
    pub(crate) management_email: Spanned<String>,
    pub(crate) management_name: Option<Spanned<String>>,
    pub(crate) feature_set: FeatureSet,
    pub(crate) access_role: Option<Spanned<String>>,
    pub(crate) break_glass_role: Option<Spanned<String>>,
    pub(crate) deployer_role: Option<Spanned<String>>,
    pub(crate) execution_role: Option<Spanned<String>>,
}

/// Raw OU tree node.
#[derive(Debug, Clone)]
pub(crate) struct RawOu {
    pub(crate) name: Spanned<String>,
    pub(crate) tags: Tags,
    pub(crate) children: Vec<RawOu>,
}

/// Raw explicit account.
#[derive(Debug, Clone)]
pub(crate) struct RawAccount {
    pub(crate) name: Spanned<String>,
    pub(crate) email: Spanned<String>,
    pub(crate) ou: Spanned<String>,
    pub(crate) purpose: Purpose,
    pub(crate) tags: Tags,
}

/// Templates that expand a workload × environment into an account.
#[derive(Debug, Clone, Default)]
pub(crate) struct RawTemplates {
    pub(crate) account_name: Option<Spanned<String>>,
    pub(crate) email: Option<Spanned<String>>,
    pub(crate) ou: Option<Spanned<String>>,
    pub(crate) purpose: Option<Spanned<Purpose>>,
    pub(crate) tags: Tags,
}

/// Raw workload.
#[derive(Debug, Clone)]
pub(crate) struct RawWorkload {
    pub(crate) name: Spanned<String>,
    pub(crate) environments: Vec<Spanned<String>>,
    pub(crate) templates: RawTemplates,
}

/// Every raw section (each `None`/empty when missing or broken).
#[derive(Debug, Clone, Default)]
pub(crate) struct RawBlueprint {
    pub(crate) version: Option<Spanned<u32>>,
    pub(crate) organization: Option<RawOrganization>,
    pub(crate) ous: Vec<RawOu>,
    pub(crate) accounts: Vec<RawAccount>,
    pub(crate) defaults: RawTemplates,
    pub(crate) workloads: Vec<RawWorkload>,
    pub(crate) logging: Option<crate::logging::RawLogging>,
    pub(crate) guardrails: Option<crate::guardrails::RawGuardrails>,
    pub(crate) identity: Option<crate::identity::RawIdentity>,
    pub(crate) roles: Vec<crate::identity::RawRole>,
    pub(crate) baseline: Option<crate::baseline::RawBaseline>,
    pub(crate) identity_center: Option<crate::identity_center::RawIdentityCenter>,
    pub(crate) flow_logs: Option<crate::flow_logs::RawFlowLogs>,
    pub(crate) root_access: Option<crate::root_access::RawRootAccess>,
    pub(crate) alerts: Option<crate::alerts::RawAlerts>,
    pub(crate) sandbox: Option<crate::sandbox::RawSandbox>,
}

/// Collects diagnostics while walking the tree.
pub(crate) struct Cx {
    pub(crate) diags: Vec<Diagnostic>,
}

/// The keys of one mapping, after duplicate and unknown keys were reported.
pub(crate) struct Fields<'n> {
    span: Span,
    entries: Vec<(&'n Node, &'n Node, String)>,
}

impl<'n> Fields<'n> {
    pub(crate) fn get(&self, key: &str) -> Option<&'n Node> {
        self.entries.iter().find(|(_, _, k)| k == key).map(|(_, v, _)| *v)
    }
}

/// The closest of `candidates` to `word`, when close enough to be a likely typo.
pub(crate) fn did_you_mean<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let lower = word.to_lowercase();
    candidates
        .into_iter()
        .map(|c| (c, strsim::jaro_winkler(&lower, &c.to_lowercase()), strsim::jaro_winkler(word, c)))
        .filter(|(_, score, _)| *score >= 0.8)
        .max_by(|a, b| a.1.total_cmp(&b.1).then(a.2.total_cmp(&b.2)))
        .map(|(c, _, _)| c)
}

impl Cx {
    pub(crate) fn new() -> Self {
        Cx { diags: Vec::new() }
    }

    pub(crate) fn push(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    fn wrong_type(&mut self, node: &Node, expected: &str, what: &str) {
        self.push(
            Diagnostic::error(
                "blueprint::wrong-type",
                node.span,
                format!("{what} must be {expected}, found {}", node.type_name()),
            )
            .label(format!("expected {expected}")),
        );
    }

    /// Reads a mapping, reporting duplicate keys and keys not in `allowed`.
    pub(crate) fn map<'n>(&mut self, node: &'n Node, what: &str, allowed: &[&str]) -> Option<Fields<'n>> {
        let NodeKind::Map(entries) = &node.kind else {
            self.wrong_type(node, "a mapping", what);
            return None;
        };
        let mut fields = Fields { span: node.span, entries: Vec::new() };
        for (k, v) in entries {
            let NodeKind::Scalar { value: key, .. } = &k.kind else {
                self.push(Diagnostic::error(
                    "blueprint::wrong-type",
                    k.span,
                    format!("keys in {what} must be strings"),
                ));
                continue;
            };
            if let Some((first, _, _)) = fields.entries.iter().find(|(_, _, seen)| seen == key) {
                let first_span = first.span;
                self.push(
                    Diagnostic::error("blueprint::duplicate-key", k.span, format!("duplicate key `{key}` in {what}"))
                        .label("repeated here")
                        .related(first_span, "first set here")
                        .help("a key may appear once per mapping; remove one of them"),
                );
                continue;
            }
            if !allowed.contains(&key.as_str()) {
                let mut d =
                    Diagnostic::error("blueprint::unknown-key", k.span, format!("unknown key `{key}` in {what}"))
                        .label("not a known key");
                d = match did_you_mean(key, allowed.iter().copied()) {
                    Some(s) => d.help(format!("did you mean `{s}`?")),
                    None => d.help(format!("known keys here: {}", allowed.join(", "))),
                };
                self.push(d);
                continue;
            }
            fields.entries.push((k, v, key.clone()));
        }
        Some(fields)
    }

    /// A key that must be present.
    pub(crate) fn required<'n>(&mut self, fields: &Fields<'n>, key: &str, what: &str) -> Option<&'n Node> {
        let found = fields.get(key);
        if found.is_none() {
            self.push(
                Diagnostic::error(
                    "blueprint::missing-key",
                    Span { end: fields.span.start, ..fields.span },
                    format!("missing required key `{key}` in {what}"),
                )
                .label(format!("{what} starts here"))
                .help(format!("add `{key}:` to {what}")),
            );
        }
        found
    }

    /// A string scalar (numbers are accepted as their text; booleans and nulls are not).
    pub(crate) fn string(&mut self, node: &Node, what: &str) -> Option<Spanned<String>> {
        if let NodeKind::Scalar { value, plain } = &node.kind {
            if *plain && matches!(scalar_type(value), PlainType::Null | PlainType::Bool) {
                self.push(
                    Diagnostic::error(
                        "blueprint::wrong-type",
                        node.span,
                        format!("{what} must be a string, found {}", node.type_name()),
                    )
                    .label("expected a string")
                    .help("quote the value if it is meant as text"),
                );
                return None;
            }
            Some(Spanned::new(value.clone(), node.span))
        } else {
            self.wrong_type(node, "a string", what);
            None
        }
    }

    /// A non-negative integer scalar.
    pub(crate) fn integer(&mut self, node: &Node, what: &str) -> Option<Spanned<u64>> {
        if let NodeKind::Scalar { value, plain: true } = &node.kind
            && scalar_type(value) == PlainType::Int
            && let Ok(n) = value.parse::<u64>()
        {
            return Some(Spanned::new(n, node.span));
        }
        self.wrong_type(node, "a non-negative integer", what);
        None
    }

    /// A sequence.
    pub(crate) fn list<'n>(&mut self, node: &'n Node, what: &str) -> Option<&'n [Node]> {
        match &node.kind {
            NodeKind::Seq(items) => Some(items),
            _ if node.is_null() => Some(&[]),
            _ => {
                self.wrong_type(node, "a list", what);
                None
            }
        }
    }

    /// A mapping of string to string (tags).
    pub(crate) fn tags(&mut self, node: &Node, what: &str) -> Tags {
        let mut tags = Tags::new();
        let mut spans: BTreeMap<String, Span> = BTreeMap::new();
        if node.is_null() {
            return tags;
        }
        let NodeKind::Map(entries) = &node.kind else {
            self.wrong_type(node, "a mapping of tag keys to values", what);
            return tags;
        };
        for (k, v) in entries {
            let Some(key) = self.string(k, "a tag key") else { continue };
            let value =
                if v.is_null() { Some(Spanned::new(String::new(), v.span)) } else { self.string(v, "a tag value") };
            let Some(value) = value else { continue };
            if let Some(first) = spans.get(&key.value) {
                let first: Span = *first;
                self.push(
                    Diagnostic::error(
                        "blueprint::duplicate-key",
                        key.span,
                        format!("duplicate tag key `{}`", key.value),
                    )
                    .related(first, "first set here"),
                );
                continue;
            }
            check_tag(self, &key, &value);
            spans.insert(key.value.clone(), key.span);
            tags.insert(key.value, value.value);
        }
        tags
    }

    fn purpose(&mut self, node: &Node) -> Option<Spanned<Purpose>> {
        let text = self.string(node, "purpose")?;
        if let Some((_, p)) = Purpose::ALL.iter().find(|(s, _)| *s == text.value) {
            return Some(Spanned::new(*p, text.span));
        }
        let names: Vec<&str> = Purpose::ALL.iter().map(|(s, _)| *s).collect();
        let mut d = Diagnostic::error(
            "blueprint::unknown-purpose",
            text.span,
            format!("unknown account purpose `{}`", text.value),
        )
        .label("not a purpose");
        d = match did_you_mean(&text.value, names.iter().copied()) {
            Some(s) => d.help(format!("did you mean `{s}`? purposes are {}", names.join(", "))),
            None => d.help(format!("purposes are {}", names.join(", "))),
        };
        self.push(d);
        None
    }
}

/// AWS tag rules: key 1–128, value 0–256, no `aws:` prefix; `groundwork:` is ours.
fn check_tag(cx: &mut Cx, key: &Spanned<String>, value: &Spanned<String>) {
    let k = &key.value;
    if k.is_empty() || k.chars().count() > 128 {
        cx.push(Diagnostic::error(
            "blueprint::tag-limit",
            key.span,
            format!("tag key `{k}` must be 1 to 128 characters"),
        ));
    }
    if k.to_lowercase().starts_with("aws:") {
        cx.push(Diagnostic::error(
            "blueprint::reserved-tag",
            key.span,
            format!("tag key `{k}` uses the `aws:` prefix reserved by AWS"),
        ));
    }
    if k.starts_with("groundwork:") {
        cx.push(
            Diagnostic::error(
                "blueprint::reserved-tag",
                key.span,
                format!("tag key `{k}` uses the `groundwork:` prefix"),
            )
            .help("groundwork sets its ownership tags itself; choose another key"),
        );
    }
    // AWS: letters, digits, spaces and _ . : / = + - @ (Unicode letters and digits included).
    let allowed = |c: char| c.is_alphanumeric() || c == ' ' || "_.:/=+-@".contains(c);
    if let Some(bad) = k.chars().find(|c| !allowed(*c)) {
        cx.push(
            Diagnostic::error(
                "blueprint::tag-chars",
                key.span,
                format!("tag key `{k}` contains {bad:?}, which AWS does not accept in tags"),
            )
            .help("tags may use letters, digits, spaces and _ . : / = + - @"),
        );
    }
    if let Some(bad) = value.value.chars().find(|c| !allowed(*c)) {
        cx.push(
            Diagnostic::error(
                "blueprint::tag-chars",
                value.span,
                format!("tag value `{}` contains {bad:?}, which AWS does not accept in tags", value.value),
            )
            .help("tags may use letters, digits, spaces and _ . : / = + - @"),
        );
    }
    if value.value.chars().count() > 256 {
        cx.push(Diagnostic::error("blueprint::tag-limit", value.span, "tag values are at most 256 characters"));
    }
}

/// Walks the whole document.
pub(crate) fn read(cx: &mut Cx, root: &Node) -> RawBlueprint {
    let mut raw = RawBlueprint::default();
    let Some(top) = cx.map(root, "the blueprint", TOP_KEYS) else { return raw };

    if let Some(v) = cx.required(&top, "version", "the blueprint") {
        raw.version = read_version(cx, v);
    }
    if raw.version.is_none() {
        // Without a readable, supported version, nothing else can be interpreted reliably.
        return raw;
    }
    if let Some(org) = cx.required(&top, "organization", "the blueprint") {
        raw.organization = read_organization(cx, org);
    }
    if let Some(ous) = top.get("organizational_units")
        && let Some(items) = cx.list(ous, "organizational_units")
    {
        raw.ous = items.iter().filter_map(|n| read_ou(cx, n)).collect();
    }
    if let Some(accounts) = top.get("accounts")
        && let Some(items) = cx.list(accounts, "accounts")
    {
        raw.accounts = items.iter().filter_map(|n| read_account(cx, n)).collect();
    }
    if let Some(d) = top.get("workload_defaults") {
        raw.defaults = read_templates(cx, d, "workload_defaults", TEMPLATE_KEYS).unwrap_or_default();
    }
    if let Some(w) = top.get("workloads")
        && let Some(items) = cx.list(w, "workloads")
    {
        raw.workloads = items.iter().filter_map(|n| read_workload(cx, n)).collect();
    }
    raw.logging = top.get("logging").map(|n| crate::logging::read(cx, n));
    raw.guardrails = top.get("guardrails").map(|n| crate::guardrails::read(cx, n));
    if let Some(i) = top.get("identity") {
        raw.identity = Some(crate::identity::read_identity(cx, i));
    }
    if let Some(r) = top.get("roles") {
        raw.roles = crate::identity::read_roles(cx, r);
    }
    raw.baseline = top.get("baseline").map(|n| crate::baseline::read(cx, n));
    raw.identity_center = top.get("identity_center").map(|n| crate::identity_center::read(cx, n));
    raw.flow_logs = top.get("flow_logs").map(|n| crate::flow_logs::read(cx, n));
    raw.root_access = top.get("root_access").map(|n| crate::root_access::read(cx, n));
    raw.alerts = top.get("alerts").map(|n| crate::alerts::read(cx, n));
    raw.sandbox = top.get("sandbox").map(|n| crate::sandbox::read(cx, n));
    raw
}

fn read_version(cx: &mut Cx, node: &Node) -> Option<Spanned<u32>> {
    let n = cx.integer(node, "version")?;
    match u32::try_from(n.value) {
        Ok(v) if SUPPORTED_VERSIONS.contains(&v) => Some(Spanned::new(v, n.span)),
        _ => {
            cx.push(
                Diagnostic::error(
                    "blueprint::unsupported-version",
                    n.span,
                    format!("unsupported blueprint version {}", n.value),
                )
                .label("this groundwork reads version 1")
                .help("set `version: 1`, or upgrade groundwork if the blueprint was written for a newer one"),
            );
            None
        }
    }
}

fn read_organization(cx: &mut Cx, node: &Node) -> Option<RawOrganization> {
    let f = cx.map(node, "organization", ORGANIZATION_KEYS)?;
    let name = cx.required(&f, "name", "organization").and_then(|n| cx.string(n, "organization.name"));
    let home_region =
        cx.required(&f, "home_region", "organization").and_then(|n| cx.string(n, "organization.home_region"));
    let mut management_email = None;
    let mut management_name = None;
    if let Some(m) = cx.required(&f, "management_account", "organization")
        && let Some(mf) = cx.map(m, "management_account", MANAGEMENT_KEYS)
    {
        management_email =
            cx.required(&mf, "email", "management_account").and_then(|n| cx.string(n, "management_account.email"));
        management_name = mf.get("name").and_then(|n| cx.string(n, "management_account.name"));
    }
    let mut feature_set = Some(FeatureSet::All);
    if let Some(fs) = f.get("feature_set")
        && let Some(text) = cx.string(fs, "feature_set")
        && text.value != "ALL"
    {
        feature_set = None;
        cx.push(
            Diagnostic::error("blueprint::feature-set", text.span, format!("unsupported feature set `{}`", text.value))
                .label("groundwork needs all features")
                .help("use `feature_set: ALL`; service control policies and organization trails need it"),
        );
    }
    let access_role = f.get("access_role").and_then(|n| cx.string(n, "organization.access_role"));
    let break_glass_role = f.get("break_glass_role").and_then(|n| cx.string(n, "organization.break_glass_role"));
    let deployer_role = f.get("deployer_role").and_then(|n| cx.string(n, "organization.deployer_role"));
    let execution_role = f.get("execution_role").and_then(|n| cx.string(n, "organization.execution_role"));
    Some(RawOrganization {
        name: name?,
        home_region: home_region?,
        management_email: management_email?,
        management_name,
        feature_set: feature_set?,
        access_role,
        break_glass_role,
        deployer_role,
        execution_role,
    })
}

fn read_ou(cx: &mut Cx, node: &Node) -> Option<RawOu> {
    let f = cx.map(node, "an organizational unit", OU_KEYS)?;
    let name = cx.required(&f, "name", "an organizational unit").and_then(|n| cx.string(n, "the OU name"));
    let tags = f.get("tags").map(|t| cx.tags(t, "tags")).unwrap_or_default();
    let mut children = Vec::new();
    if let Some(c) = f.get("children")
        && let Some(items) = cx.list(c, "children")
    {
        children = items.iter().filter_map(|n| read_ou(cx, n)).collect();
    }
    Some(RawOu { name: name?, tags, children })
}

fn read_account(cx: &mut Cx, node: &Node) -> Option<RawAccount> {
    let f = cx.map(node, "an account", ACCOUNT_KEYS)?;
    let name = cx.required(&f, "name", "an account").and_then(|n| cx.string(n, "the account name"));
    let email = cx.required(&f, "email", "an account").and_then(|n| cx.string(n, "the account email"));
    let ou = cx.required(&f, "ou", "an account").and_then(|n| cx.string(n, "the account's OU"));
    // An unknown purpose is reported; keep checking the rest of the account.
    let purpose = f.get("purpose").and_then(|p| cx.purpose(p)).map_or(Purpose::Shared, |p| p.value);
    let tags = f.get("tags").map(|t| cx.tags(t, "tags")).unwrap_or_default();
    Some(RawAccount { name: name?, email: email?, ou: ou?, purpose, tags })
}

/// Keys of `organization`.
pub(crate) const ORGANIZATION_KEYS: &[&str] = &[
    "name",
    "home_region",
    "management_account",
    "feature_set",
    "access_role",
    "break_glass_role",
    "deployer_role",
    "execution_role",
];
/// Keys of `organization.management_account`.
pub(crate) const MANAGEMENT_KEYS: &[&str] = &["email", "name"];
/// Keys of an organizational unit.
pub(crate) const OU_KEYS: &[&str] = &["name", "tags", "children"];
/// Keys of an account.
pub(crate) const ACCOUNT_KEYS: &[&str] = &["name", "email", "ou", "purpose", "tags"];
pub(crate) const TEMPLATE_KEYS: &[&str] = &["account_name", "email", "ou", "purpose", "tags"];
pub(crate) const WORKLOAD_KEYS: &[&str] = &["name", "environments", "account_name", "email", "ou", "purpose", "tags"];

fn read_templates(cx: &mut Cx, node: &Node, what: &str, allowed: &[&str]) -> Option<RawTemplates> {
    let f = cx.map(node, what, allowed)?;
    Some(templates_from(cx, &f))
}

fn templates_from(cx: &mut Cx, f: &Fields<'_>) -> RawTemplates {
    let mut t = RawTemplates {
        account_name: f.get("account_name").and_then(|n| cx.string(n, "account_name")),
        email: f.get("email").and_then(|n| cx.string(n, "email")),
        ou: f.get("ou").and_then(|n| cx.string(n, "ou")),
        purpose: f.get("purpose").and_then(|n| cx.purpose(n)),
        ..RawTemplates::default()
    };
    if let Some(tags) = f.get("tags") {
        t.tags = cx.tags(tags, "tags");
    }
    t
}

fn read_workload(cx: &mut Cx, node: &Node) -> Option<RawWorkload> {
    let f = cx.map(node, "a workload", WORKLOAD_KEYS)?;
    let name = cx.required(&f, "name", "a workload").and_then(|n| cx.string(n, "the workload name"));
    let mut environments = Vec::new();
    if let Some(envs) = cx.required(&f, "environments", "a workload")
        && let Some(items) = cx.list(envs, "environments")
    {
        environments = items.iter().filter_map(|n| cx.string(n, "an environment name")).collect();
        if items.is_empty() {
            cx.push(
                Diagnostic::error(
                    "blueprint::empty-environments",
                    envs.span,
                    "a workload needs at least one environment",
                )
                .help("list its environments, e.g. `environments: [dev, prod]`"),
            );
        }
    }
    let templates = templates_from(cx, &f);
    Some(RawWorkload { name: name?, environments, templates })
}
