//! Semantic validation and lowering: AWS limits, references, duplicates (after workload
//! expansion), templates. Produces the [`Blueprint`] when no error was found.

use std::collections::{BTreeMap, HashMap};

use crate::diag::Diagnostic;
use crate::model::{Account, AccountOrigin, Blueprint, OrganizationalUnit, OuPath, Purpose, Spanned, Tags};
use crate::schema::{Cx, RawBlueprint, RawOu, RawTemplates, did_you_mean};
use crate::template::{self, Context, Problem, Syntax, Template};
use crate::yaml::Span;

/// AWS Organizations: OUs nest at most five levels below the root.
pub const MAX_OU_DEPTH: usize = 5;
/// AWS Organizations: account names are 1–50 characters.
pub const MAX_ACCOUNT_NAME: usize = 50;
/// AWS Organizations: OU names are 1–128 characters.
pub const MAX_OU_NAME: usize = 128;
/// AWS Organizations: account emails are 6–64 characters.
pub(crate) const EMAIL_LEN: (usize, usize) = (6, 64);
/// AWS allows 50 tags per resource; groundwork uses up to four of them.
pub(crate) const MAX_USER_TAGS: usize = 46;
/// The placeholders a workload template may use.
pub(crate) use crate::template::ACCOUNT_TEMPLATE as PLACEHOLDERS;

/// Checks an email the way AWS Organizations does (`[^\s@]+@[^\s@]+\.[^\s@]+`, 6–64 chars).
pub fn email_problem(email: &str) -> Option<String> {
    let n = email.chars().count();
    if n < EMAIL_LEN.0 || n > EMAIL_LEN.1 {
        return Some(format!("`{email}` is {n} characters; AWS accepts {} to {}", EMAIL_LEN.0, EMAIL_LEN.1));
    }
    let Some((local, domain)) = email.split_once('@') else {
        return Some(format!("`{email}` has no `@`"));
    };
    let bad = |s: &str| s.is_empty() || s.chars().any(|c| c.is_whitespace() || c == '@');
    if bad(local) || bad(domain) {
        return Some(format!("`{email}` is not a single `local@domain` address"));
    }
    match domain.rsplit_once('.') {
        Some((host, tld)) if !host.is_empty() && !tld.is_empty() => None,
        _ => Some(format!("the domain of `{email}` has no `.`")),
    }
}

fn check_email(cx: &mut Cx, email: &Spanned<String>, span: Span) {
    if let Some(problem) = email_problem(&email.value) {
        cx.push(
            Diagnostic::error("blueprint::email", span, format!("malformed email: {problem}"))
                .label("not a valid account email")
                .help("account emails look like `aws+name@example.com`"),
        );
    }
}

fn check_account_name(cx: &mut Cx, name: &str, span: Span) {
    let n = name.chars().count();
    if n == 0 || n > MAX_ACCOUNT_NAME {
        cx.push(
            Diagnostic::error(
                "blueprint::name-length",
                span,
                format!("account name `{name}` is {n} characters; AWS accepts 1 to {MAX_ACCOUNT_NAME}"),
            )
            .label("too long or empty")
            .help("shorten the name (or the workload's account_name template)"),
        );
    } else if !name.chars().all(|c| (' '..='~').contains(&c)) {
        cx.push(
            Diagnostic::error(
                "blueprint::name-chars",
                span,
                format!("account name `{name}` has characters AWS does not accept"),
            )
            .help("account names use printable ASCII characters"),
        );
    }
}

/// A flattened OU with the spans needed for later diagnostics.
struct FlatOu {
    path: OuPath,
    name: Spanned<String>,
    tags: Tags,
}

fn flatten_ous(cx: &mut Cx, parent: &OuPath, ous: &[RawOu], out: &mut Vec<FlatOu>) {
    let mut siblings: HashMap<&str, Span> = HashMap::new();
    for ou in ous {
        let name = &ou.name;
        let n = name.value.chars().count();
        if n == 0 || n > MAX_OU_NAME {
            cx.push(
                Diagnostic::error(
                    "blueprint::name-length",
                    name.span,
                    format!("OU name is {n} characters; AWS accepts 1 to {MAX_OU_NAME}"),
                )
                .label("too long or empty"),
            );
        }
        if name.value.trim() != name.value {
            cx.push(
                Diagnostic::error(
                    "blueprint::ou-name",
                    name.span,
                    format!("OU name {:?} starts or ends with whitespace", name.value),
                )
                .help("remove the surrounding spaces; OU paths are compared exactly"),
            );
            continue;
        }
        if name.value.contains('/') {
            cx.push(
                Diagnostic::error("blueprint::ou-name", name.span, format!("OU name `{}` contains `/`", name.value))
                    .help("`/` separates OU names in paths; nest the OU under `children` instead"),
            );
            continue;
        }
        if parent.is_root() && name.value == "Root" {
            cx.push(
                Diagnostic::error("blueprint::ou-name", name.span, "`Root` is reserved for the organization root")
                    .help("choose another OU name"),
            );
            continue;
        }
        if let Some(first) = siblings.get(name.value.as_str()) {
            cx.push(
                Diagnostic::error(
                    "blueprint::duplicate-ou",
                    name.span,
                    format!("OU `{}` is defined twice under {parent}", name.value),
                )
                .label("second definition")
                .related(*first, "first defined here")
                .help("OU names must be unique under one parent"),
            );
            continue;
        }
        siblings.insert(&name.value, name.span);
        let path = parent.child(&name.value);
        if path.depth() > MAX_OU_DEPTH {
            cx.push(
                Diagnostic::error(
                    "blueprint::ou-depth",
                    name.span,
                    format!("OU `{path}` is nested {} levels deep; AWS allows {MAX_OU_DEPTH}", path.depth()),
                )
                .label("too deep")
                .help("flatten the OU tree; AWS Organizations nests OUs at most five levels below the root"),
            );
            continue;
        }
        if ou.tags.len() > MAX_USER_TAGS {
            cx.push(Diagnostic::error(
                "blueprint::tag-limit",
                name.span,
                format!("OU `{path}` has {} tags; at most {MAX_USER_TAGS}", ou.tags.len()),
            ));
        }
        out.push(FlatOu { path: path.clone(), name: name.clone(), tags: ou.tags.clone() });
        flatten_ous(cx, &path, &ou.children, out);
    }
}

/// Resolves an OU reference, reporting unknown ones with a suggestion.
pub(crate) fn resolve_ou(
    cx: &mut Cx,
    text: &Spanned<String>,
    span: Span,
    known: &BTreeMap<OuPath, Span>,
) -> Option<OuPath> {
    let path = OuPath::parse(&text.value);
    if path.is_root() || known.contains_key(&path) {
        return Some(path);
    }
    let names: Vec<String> = known.keys().map(ToString::to_string).collect();
    let mut d =
        Diagnostic::error("blueprint::unknown-ou", span, format!("OU `{path}` is not defined in organizational_units"))
            .label("undefined OU");
    d = match did_you_mean(&path.to_string(), names.iter().map(String::as_str)) {
        Some(s) => d.help(format!("did you mean `{s}`?")),
        None => d.help("define it under `organizational_units`, or use `Root`"),
    };
    cx.push(d);
    None
}

/// Finds the `{placeholder}`s of a template, reporting unknown ones and stray braces.
fn check_template(cx: &mut Cx, src: &str, t: &Spanned<String>) -> bool {
    let text = &t.value;
    let parsed = Template::parse(text, Syntax::Name);
    let problem = parsed.problem();
    // What comes first: a stray `}`, a broken `{`, or neither.
    let stray = parsed.stray_close().filter(|s| problem.is_none_or(|p| *s < p.at()));
    let end = stray.or(problem.map(Problem::at)).unwrap_or(text.len());
    let mut ok = true;
    for p in parsed.placeholders().filter(|p| p.range.start < end) {
        if PLACEHOLDERS.contains(&p.name) {
            continue;
        }
        ok = false;
        let span = sub_span(src, t.span, &text[p.range.clone()]);
        let mut d = Diagnostic::error(
            "blueprint::unknown-placeholder",
            span,
            format!("unknown placeholder `{{{}}}` in template", p.name),
        )
        .label("not a placeholder");
        d = match template::suggest(p.name, PLACEHOLDERS) {
            Some(s) => d.help(format!(
                "did you mean `{{{s}}}`? placeholders are {{workload}}, {{env}}, {{Workload}}, {{Env}}, {{org}}"
            )),
            None => d.help("placeholders are {workload}, {env}, {Workload}, {Env}, {org}"),
        };
        cx.push(d);
    }
    if stray.is_some() {
        cx.push(Diagnostic::error("blueprint::template", t.span, format!("unmatched `}}` in template `{text}`")));
        return false;
    }
    match problem {
        Some(Problem::Unclosed(_)) => {
            cx.push(Diagnostic::error("blueprint::template", t.span, format!("unclosed `{{` in template `{text}`")));
            false
        }
        Some(Problem::Nested(_)) => {
            cx.push(
                Diagnostic::error("blueprint::template", t.span, format!("unclosed `{{` in template `{text}`"))
                    .help("placeholders are written `{workload}`, `{env}`, `{Workload}`, `{Env}` or `{org}`"),
            );
            false
        }
        None => ok,
    }
}

/// The span of `needle` inside the source text of `span` (falls back to `span`).
pub(crate) fn sub_span(src: &str, span: Span, needle: &str) -> Span {
    let hay = src.get(span.start..span.end.max(span.start)).unwrap_or("");
    match hay.find(needle) {
        Some(i) => {
            let col_offset = hay[..i].chars().count();
            Span {
                start: span.start + i,
                end: span.start + i + needle.len(),
                line: span.line,
                col: span.col + col_offset,
            }
        }
        None => span,
    }
}

fn expand(template: &str, org: &str, workload: &str, env: &str) -> String {
    let cx =
        Context { workload: Some(workload.into()), env: Some(env.into()), org: Some(org.into()), ..Context::default() };
    Template::parse(template, Syntax::Name).expand(&cx)
}

fn check_slug(cx: &mut Cx, s: &Spanned<String>, what: &str) -> bool {
    let ok = !s.value.is_empty()
        && s.value.len() <= 32
        && s.value.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.value.starts_with('-');
    if !ok {
        cx.push(
            Diagnostic::error(
                "blueprint::slug",
                s.span,
                format!("{what} `{}` must be 1–32 lowercase letters, digits or dashes", s.value),
            )
            .help("these names are used in account names, emails and tags"),
        );
    }
    ok
}

/// Where an account came from, for duplicate reports.
struct Placed {
    account: Account,
    /// The span to point at when this account conflicts.
    site: Span,
}

/// Validates the raw sections and lowers them into a [`Blueprint`].
pub(crate) fn lower(cx: &mut Cx, src: &str, raw: RawBlueprint) -> Option<Blueprint> {
    let version = raw.version?;
    let org = raw.organization.clone();
    if let Some(org) = &org {
        let n = org.name.value.chars().count();
        if n == 0 || n > 64 || !org.name.value.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)) {
            cx.push(
                Diagnostic::error(
                    "blueprint::org-name",
                    org.name.span,
                    format!("organization name `{}` must be 1–64 letters, digits, `-`, `_` or `.`", org.name.value),
                )
                .help("it is written into the `groundwork:blueprint` tag of everything groundwork manages"),
            );
        }
        crate::regions::check_region(cx, &org.home_region);
        check_email(cx, &org.management_email, org.management_email.span);
    }
    let org_name = org.as_ref().map_or_else(String::new, |o| o.name.value.clone());

    let mut flat = Vec::new();
    flatten_ous(cx, &OuPath::root(), &raw.ous, &mut flat);
    let known: BTreeMap<OuPath, Span> = flat.iter().map(|o| (o.path.clone(), o.name.span)).collect();

    let mut placed: Vec<Placed> = Vec::new();
    for a in &raw.accounts {
        check_account_name(cx, &a.name.value, a.name.span);
        check_email(cx, &a.email, a.email.span);
        if a.tags.len() > MAX_USER_TAGS {
            cx.push(Diagnostic::error(
                "blueprint::tag-limit",
                a.name.span,
                format!("account `{}` has {} tags; at most {MAX_USER_TAGS}", a.name.value, a.tags.len()),
            ));
        }
        // An unknown OU is reported; keep the account so duplicates are still found.
        let ou = resolve_ou(cx, &a.ou, a.ou.span, &known).unwrap_or_default();
        placed.push(Placed {
            site: a.name.span,
            account: Account {
                name: a.name.clone(),
                email: a.email.clone(),
                ou: Spanned::new(ou, a.ou.span),
                purpose: a.purpose,
                tags: a.tags.clone(),
                origin: AccountOrigin::Explicit,
            },
        });
    }

    let defaults_ok = check_templates(cx, src, &raw.defaults);
    let mut workload_names: HashMap<String, Span> = HashMap::new();
    for w in &raw.workloads {
        if !check_slug(cx, &w.name, "workload name") {
            continue;
        }
        if let Some(first) = workload_names.get(&w.name.value) {
            cx.push(
                Diagnostic::error(
                    "blueprint::duplicate-workload",
                    w.name.span,
                    format!("workload `{}` is defined twice", w.name.value),
                )
                .related(*first, "first defined here"),
            );
            continue;
        }
        workload_names.insert(w.name.value.clone(), w.name.span);
        if !check_templates(cx, src, &w.templates) || !defaults_ok {
            continue;
        }
        let pick = |own: &Option<Spanned<String>>, def: &Option<Spanned<String>>| own.clone().or_else(|| def.clone());
        let name_t = pick(&w.templates.account_name, &raw.defaults.account_name)
            .unwrap_or_else(|| Spanned::new("{workload}-{env}".to_owned(), w.name.span));
        let Some(email_t) = pick(&w.templates.email, &raw.defaults.email) else {
            cx.push(
                Diagnostic::error(
                    "blueprint::missing-key",
                    w.name.span,
                    format!("workload `{}` has no email template", w.name.value),
                )
                .help(
                    "set `email:` on the workload or in `workload_defaults`, e.g. `aws+{workload}-{env}@example.com`",
                ),
            );
            continue;
        };
        let Some(ou_t) = pick(&w.templates.ou, &raw.defaults.ou) else {
            cx.push(
                Diagnostic::error(
                    "blueprint::missing-key",
                    w.name.span,
                    format!("workload `{}` has no OU template", w.name.value),
                )
                .help("set `ou:` on the workload or in `workload_defaults`, e.g. `Workloads/{Env}`"),
            );
            continue;
        };
        let purpose =
            w.templates.purpose.as_ref().or(raw.defaults.purpose.as_ref()).map_or(Purpose::Workload, |p| p.value);
        let mut tags = raw.defaults.tags.clone();
        tags.extend(w.templates.tags.clone());
        let mut envs: HashMap<&str, Span> = HashMap::new();
        for env in &w.environments {
            if !check_slug(cx, env, "environment name") {
                continue;
            }
            if let Some(first) = envs.get(env.value.as_str()) {
                cx.push(
                    Diagnostic::error(
                        "blueprint::duplicate-environment",
                        env.span,
                        format!("environment `{}` is listed twice for workload `{}`", env.value, w.name.value),
                    )
                    .related(*first, "first listed here"),
                );
                continue;
            }
            envs.insert(&env.value, env.span);
            let x =
                |t: &Spanned<String>| Spanned::new(expand(&t.value, &org_name, &w.name.value, &env.value), env.span);
            let name = x(&name_t);
            let email = x(&email_t);
            let ou_text = x(&ou_t);
            let before = cx.diags.len();
            check_account_name(cx, &name.value, env.span);
            check_email(cx, &email, env.span);
            let ou = resolve_ou(cx, &ou_text, env.span, &known);
            for d in &mut cx.diags[before..] {
                d.message = format!("{} (workload `{}`, environment `{}`)", d.message, w.name.value, env.value);
                d.related.push(crate::diag::Related { span: name_t.span, label: "expanded from this template".into() });
            }
            let ou = ou.unwrap_or_default();
            placed.push(Placed {
                site: env.span,
                account: Account {
                    name,
                    email,
                    ou: Spanned::new(ou, ou_t.span),
                    purpose,
                    tags: tags.clone(),
                    origin: AccountOrigin::Workload { workload: w.name.value.clone(), environment: env.value.clone() },
                },
            });
        }
    }

    check_duplicates(cx, &placed, org.as_ref().map(|o| &o.management_email));
    for purpose in [Purpose::LogArchive, Purpose::Identity] {
        let mut of_purpose = placed.iter().filter(|p| p.account.purpose == purpose);
        if let (Some(first), Some(second)) = (of_purpose.next(), of_purpose.next()) {
            cx.push(
                Diagnostic::error(
                    "blueprint::purpose-twice",
                    second.site,
                    format!("more than one account has purpose `{purpose}`"),
                )
                .related(first.site, "first one here")
                .help("an organization has one log-archive account and one identity hub"),
            );
        }
    }

    let accounts: Vec<&Account> = placed.iter().map(|p| &p.account).collect();
    let home_region = org.as_ref().map(|o| o.home_region.value.as_str());
    let access_role = crate::guardrails::access_role(cx, org.as_ref().and_then(|o| o.access_role.as_ref()));
    let break_glass_role =
        crate::guardrails::optional_role(cx, org.as_ref().and_then(|o| o.break_glass_role.as_ref()), &access_role);
    let deployer_role =
        crate::guardrails::optional_role(cx, org.as_ref().and_then(|o| o.deployer_role.as_ref()), &access_role);
    let execution_role =
        crate::guardrails::optional_role(cx, org.as_ref().and_then(|o| o.execution_role.as_ref()), &access_role);
    let logging = raw.logging.as_ref().and_then(|l| crate::logging::lower(cx, src, l, &accounts, home_region));
    let sandbox = raw.sandbox.as_ref().and_then(|s| crate::sandbox::lower(cx, s, &accounts, &known));
    let scope = crate::guardrails::Scope {
        src,
        home_region,
        access_role: &access_role,
        break_glass_role: break_glass_role.as_deref(),
        accounts: &accounts,
        ous: &known,
        logging: logging.as_ref(),
        has_logging: raw.logging.is_some(),
        sandbox: sandbox.as_ref(),
    };
    let guardrails = crate::guardrails::lower(cx, raw.guardrails.as_ref(), &scope);
    let baseline_roles = crate::baseline::RoleScope {
        identity: raw.identity.as_ref(),
        roles: &raw.roles,
        access_role: org.as_ref().and_then(|o| o.access_role.as_ref()),
    };
    let baseline = crate::baseline::lower(cx, raw.baseline.as_ref(), &scope, &baseline_roles);
    let env = crate::lint::Env { src, accounts: &accounts, has_hub: raw.identity.is_some(), baseline: &baseline };
    let (identity, roles) = crate::identity::lower(cx, &env, raw.identity.as_ref(), &raw.roles, org.as_ref(), &known);

    let identity_center =
        raw.identity_center.as_ref().and_then(|ic| crate::identity_center::lower(cx, ic, &scope, &env));
    if raw.identity_center.is_some() {
        crate::access_keys::prefer_sso(cx, identity.as_ref());
    }
    let flow_scope = crate::flow_logs::FlowLogScope {
        accounts: &accounts,
        ous: &known,
        has_logging: raw.logging.is_some(),
        roles: &roles,
    };
    let flow_logs = raw.flow_logs.as_ref().and_then(|f| crate::flow_logs::lower(cx, f, &flow_scope));
    crate::flow_logs::check_agreement(
        cx,
        logging.as_ref().and_then(|l| l.flow_log_prefix.as_ref()),
        flow_logs.as_ref(),
        raw.flow_logs.as_ref(),
    );
    let root_access = raw.root_access.as_ref().map(crate::root_access::lower);

    let alerts = raw.alerts.as_ref().and_then(|a| crate::alerts::lower(cx, a, raw.logging.is_some(), &accounts));

    let org = org?;
    if cx.diags.iter().any(|d| d.severity == crate::severity::Severity::Error) {
        return None;
    }
    Some(Blueprint {
        version: version.value,
        organization: crate::model::Organization {
            name: org.name,
            home_region: org.home_region,
            management_email: org.management_email,
            management_name: org.management_name,
            feature_set: org.feature_set,
            access_role,
            break_glass_role,
            deployer_role,
            execution_role,
        },
        organizational_units: flat
            .into_iter()
            .map(|f| OrganizationalUnit { path: f.path, name: f.name, tags: f.tags })
            .collect(),
        accounts: placed.into_iter().map(|p| p.account).collect(),
        logging,
        guardrails,
        identity,
        roles,
        baseline,
        identity_center,
        flow_logs,
        root_access,
        alerts,
        sandbox,
    })
}

fn check_templates(cx: &mut Cx, src: &str, t: &RawTemplates) -> bool {
    let mut ok = true;
    for template in [&t.account_name, &t.email, &t.ou].into_iter().flatten() {
        ok &= check_template(cx, src, template);
    }
    ok
}

fn check_duplicates(cx: &mut Cx, placed: &[Placed], management_email: Option<&Spanned<String>>) {
    let mut names: HashMap<&str, &Placed> = HashMap::new();
    let mut emails: HashMap<String, &Placed> = HashMap::new();
    for p in placed {
        let a = &p.account;
        if let Some(first) = names.get(a.name.value.as_str()) {
            cx.push(
                Diagnostic::error(
                    "blueprint::duplicate-account",
                    p.site,
                    format!("account name `{}` is used twice", a.name.value),
                )
                .label("second account with this name")
                .related(first.site, "first account with this name")
                .help("account names must be unique in the blueprint (check workload expansions)"),
            );
        } else {
            names.insert(&a.name.value, p);
        }
        let key = a.email.value.to_lowercase();
        if management_email.is_some_and(|m| m.value.to_lowercase() == key) {
            let m = management_email.map(|m| m.span).unwrap_or_default();
            cx.push(
                Diagnostic::error(
                    "blueprint::duplicate-email",
                    p.site,
                    format!("email `{}` is the management account's", a.email.value),
                )
                .related(m, "management account email")
                .help("every AWS account needs its own email"),
            );
        } else if let Some(first) = emails.get(&key) {
            cx.push(
                Diagnostic::error(
                    "blueprint::duplicate-email",
                    p.site,
                    format!("email `{}` is used by two accounts", a.email.value),
                )
                .label("second account with this email")
                .related(first.site, "first account with this email")
                .help("AWS identifies accounts by email; each account needs its own"),
            );
        } else {
            emails.insert(key, p);
        }
    }
}
