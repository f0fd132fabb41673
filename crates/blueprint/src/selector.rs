//! Account selectors: which accounts a role is deployed to, or a grant lets people assume it in.
//!
//! ```yaml
//! select: { accounts: [shared-network], ous: [Workloads/Prod], workloads: [jira], environments: [prod] }
//! ```
//!
//! The base set is the union of `accounts` and the members of `ous` (an OU and every OU below
//! it); all member accounts of the blueprint when neither is given. `workloads` and
//! `environments` then keep only the workload accounts of those workloads and environments.
//! The result is sorted and deduplicated; an empty result is an error.

use std::collections::{BTreeMap, BTreeSet};

use crate::diag::Diagnostic;
use crate::model::{Account, AccountOrigin, OuPath, Spanned};
use crate::schema::{Cx, Fields, did_you_mean};
use crate::yaml::{Node, Span};

/// The keys of a selector.
pub(crate) const SELECTOR_KEYS: &[&str] = &["accounts", "ous", "workloads", "environments"];

/// A selector as written.
#[derive(Debug, Clone, Default)]
pub(crate) struct RawSelector {
    /// Where to point when the selector selects nothing.
    pub(crate) span: Span,
    pub(crate) accounts: Option<Vec<Spanned<String>>>,
    pub(crate) ous: Option<Vec<Spanned<String>>>,
    pub(crate) workloads: Option<Vec<Spanned<String>>>,
    pub(crate) environments: Option<Vec<Spanned<String>>>,
    /// A key had the wrong type (already reported): do not resolve.
    pub(crate) broken: bool,
}

/// A list of strings (a single string is accepted as a list of one).
pub(crate) fn strings(cx: &mut Cx, node: &Node, what: &str) -> Option<Vec<Spanned<String>>> {
    if let crate::yaml::NodeKind::Scalar { .. } = &node.kind
        && !node.is_null()
    {
        return cx.string(node, what).map(|s| vec![s]);
    }
    let items = cx.list(node, what)?;
    let before = cx.diags.len();
    let out: Vec<Spanned<String>> = items.iter().filter_map(|n| cx.string(n, what)).collect();
    (cx.diags.len() == before).then_some(out)
}

/// Where a selector is: its keys and values when they share a line (as in a flow mapping),
/// otherwise its first key and value; the whole mapping when it has no selector key.
fn selector_span(node: &Node) -> Span {
    let crate::yaml::NodeKind::Map(entries) = &node.kind else { return node.span };
    let keys: Vec<&(Node, Node)> = entries
        .iter()
        .filter(|(k, _)| {
            matches!(&k.kind, crate::yaml::NodeKind::Scalar { value, .. } if SELECTOR_KEYS.contains(&value.as_str()))
        })
        .collect();
    let (Some((first, first_value)), Some((last_key, last))) = (keys.first(), keys.last()) else { return node.span };
    let end = if last_key.span.line == first.span.line { last.span.end } else { first_value.span.end };
    Span { end: end.max(first.span.end), ..first.span }
}

/// Reads the selector keys of a mapping `node` (the rest of its keys belong to the caller).
pub(crate) fn read(cx: &mut Cx, fields: &Fields<'_>, node: &Node) -> RawSelector {
    let mut sel = RawSelector { span: selector_span(node), ..RawSelector::default() };
    let mut one = |cx: &mut Cx, key: &str, what: &str| -> Option<Vec<Spanned<String>>> {
        let node = fields.get(key)?;
        let out = strings(cx, node, what);
        if out.is_none() {
            sel.broken = true;
        }
        out
    };
    let accounts = one(cx, "accounts", "an account name");
    let ous = one(cx, "ous", "an OU path");
    let workloads = one(cx, "workloads", "a workload name");
    let environments = one(cx, "environments", "an environment name");
    RawSelector { accounts, ous, workloads, environments, ..sel }
}

/// Reads a selector written as its own mapping (`select: {...}`).
pub(crate) fn read_map(cx: &mut Cx, node: &Node, what: &str) -> Option<RawSelector> {
    let fields = cx.map(node, what, SELECTOR_KEYS)?;
    Some(read(cx, &fields, node))
}

fn unknown(cx: &mut Cx, code: &'static str, name: &Spanned<String>, what: &str, known: &[&str], help: &str) {
    let mut d = Diagnostic::error(code, name.span, format!("{what} `{}` is not in the blueprint", name.value))
        .label(format!("unknown {what}"));
    d = match did_you_mean(&name.value, known.iter().copied()) {
        Some(s) => d.help(format!("did you mean `{s}`?")),
        None if known.is_empty() => d.help(help.to_owned()),
        None => d.help(format!("{help}; known: {}", known.join(", "))),
    };
    cx.push(d);
}

fn listed(set: &BTreeSet<String>) -> Vec<&str> {
    set.iter().map(String::as_str).collect()
}

/// Resolves a selector to sorted, deduplicated account names, reporting unknown names and an
/// empty result (`what` names the selector's owner in that message). `default_base` is the
/// base set when neither `accounts` nor `ous` is given (every account when `None`). `None`
/// after an error.
pub(crate) fn resolve(
    cx: &mut Cx,
    sel: &RawSelector,
    accounts: &[&Account],
    ous: &BTreeMap<OuPath, Span>,
    default_base: Option<&[String]>,
    what: &str,
) -> Option<Vec<String>> {
    if sel.broken {
        return None;
    }
    let mut ok = true;
    let names: Vec<&str> = accounts.iter().map(|a| a.name.value.as_str()).collect();
    let origin = |a: &Account| match &a.origin {
        AccountOrigin::Workload { workload, environment } => Some((workload.clone(), environment.clone())),
        AccountOrigin::Explicit => None,
    };
    let workloads: BTreeSet<String> = accounts.iter().filter_map(|a| origin(a).map(|o| o.0)).collect();
    let environments: BTreeSet<String> = accounts.iter().filter_map(|a| origin(a).map(|o| o.1)).collect();

    let mut base: BTreeSet<&str> = BTreeSet::new();
    for name in sel.accounts.iter().flatten() {
        if names.contains(&name.value.as_str()) {
            base.insert(&name.value);
        } else {
            ok = false;
            let help = if name.value == crate::identity::MANAGEMENT_HUB {
                "groundwork never deploys roles to the management account"
            } else {
                "name an account of `accounts` or an expanded workload account such as `jira-prod`"
            };
            unknown(cx, "blueprint::unknown-account", name, "account", &names, help);
        }
    }
    for text in sel.ous.iter().flatten() {
        let Some(path) = crate::validate::resolve_ou(cx, text, text.span, ous) else {
            ok = false;
            continue;
        };
        for a in accounts {
            if a.ou.value.0.starts_with(&path.0) {
                base.insert(&a.name.value);
            }
        }
    }
    if sel.accounts.is_none() && sel.ous.is_none() {
        base = match default_base {
            Some(b) => b.iter().map(String::as_str).collect(),
            None => names.iter().copied().collect(),
        };
    }
    for w in sel.workloads.iter().flatten() {
        if !workloads.contains(&w.value) {
            ok = false;
            unknown(
                cx,
                "blueprint::unknown-workload",
                w,
                "workload",
                &listed(&workloads),
                "define it under `workloads`",
            );
        }
    }
    for e in sel.environments.iter().flatten() {
        if !environments.contains(&e.value) {
            ok = false;
            let help = "environments come from the `environments` of `workloads`";
            unknown(cx, "blueprint::unknown-environment", e, "environment", &listed(&environments), help);
        }
    }
    if !ok {
        return None;
    }
    let keep = |a: &Account| {
        let o = origin(a);
        let w_ok =
            sel.workloads.as_ref().is_none_or(|ws| o.as_ref().is_some_and(|(w, _)| ws.iter().any(|x| &x.value == w)));
        let e_ok = sel
            .environments
            .as_ref()
            .is_none_or(|es| o.as_ref().is_some_and(|(_, e)| es.iter().any(|x| &x.value == e)));
        w_ok && e_ok
    };
    let selected: Vec<String> = accounts
        .iter()
        .filter(|a| base.contains(a.name.value.as_str()) && keep(a))
        .map(|a| a.name.value.clone())
        .collect();
    let mut selected = selected;
    selected.sort();
    selected.dedup();
    if selected.is_empty() {
        cx.push(
            Diagnostic::error("blueprint::selects-nothing", sel.span, format!("{what} selects no account"))
                .label("no account matches")
                .help(format!(
                    "`accounts` and `ous` give the candidates ({} when both are absent); \
                     `workloads` and `environments` then keep only matching workload accounts",
                    if default_base.is_some() { "the accounts the role is deployed in" } else { "every account" }
                )),
        );
        return None;
    }
    Some(selected)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Purpose;

    fn account(name: &str, ou: &str, origin: Option<(&str, &str)>) -> Account {
        let s = |v: &str| Spanned::new(v.to_owned(), Span::default());
        Account {
            name: s(name),
            email: s(&format!("aws+{name}@x.example")),
            ou: Spanned::new(OuPath::parse(ou), Span::default()),
            purpose: if origin.is_some() { Purpose::Workload } else { Purpose::Shared },
            tags: crate::model::Tags::new(),
            origin: origin.map_or(AccountOrigin::Explicit, |(w, e)| AccountOrigin::Workload {
                workload: w.to_owned(),
                environment: e.to_owned(),
            }),
        }
    }

    fn fixture() -> (Vec<Account>, BTreeMap<OuPath, Span>) {
        let accounts = vec![
            account("shared-network", "Infrastructure", None),
            account("jira-dev", "Workloads/Dev", Some(("jira", "dev"))),
            account("jira-prod", "Workloads/Prod", Some(("jira", "prod"))),
            account("webapp-prod", "Workloads/Prod", Some(("webapp", "prod"))),
            account("webapp-dev", "Workloads/Dev", Some(("webapp", "dev"))),
        ];
        let ous = ["Infrastructure", "Workloads", "Workloads/Dev", "Workloads/Prod"]
            .into_iter()
            .map(|p| (OuPath::parse(p), Span::default()))
            .collect();
        (accounts, ous)
    }

    fn sel(key: &str, values: &[&str]) -> RawSelector {
        let v = Some(values.iter().map(|s| Spanned::new((*s).to_owned(), Span::default())).collect());
        let mut s = RawSelector::default();
        match key {
            "accounts" => s.accounts = v,
            "ous" => s.ous = v,
            "workloads" => s.workloads = v,
            _ => s.environments = v,
        }
        s
    }

    fn run(s: &RawSelector) -> (Option<Vec<String>>, Vec<Diagnostic>) {
        let (accounts, ous) = fixture();
        let refs: Vec<&Account> = accounts.iter().collect();
        let mut cx = Cx::new();
        let out = resolve(&mut cx, s, &refs, &ous, None, "this selector");
        (out, cx.diags)
    }

    #[test]
    fn empty_selector_is_every_account_sorted() {
        let (out, _) = run(&RawSelector::default());
        assert_eq!(out.unwrap(), ["jira-dev", "jira-prod", "shared-network", "webapp-dev", "webapp-prod"]);
    }

    #[test]
    fn ous_include_nested_ous_and_union_with_accounts() {
        let mut s = sel("ous", &["Workloads/Prod"]);
        s.accounts = sel("accounts", &["shared-network", "jira-prod"]).accounts;
        assert_eq!(run(&s).0.unwrap(), ["jira-prod", "shared-network", "webapp-prod"]);
        let all_workloads = run(&sel("ous", &["Workloads"])).0.unwrap();
        assert_eq!(all_workloads, ["jira-dev", "jira-prod", "webapp-dev", "webapp-prod"]);
        assert_eq!(run(&sel("ous", &["Root"])).0.unwrap().len(), 5);
    }

    #[test]
    fn workloads_and_environments_filter_the_base_set() {
        let mut s = sel("workloads", &["jira"]);
        assert_eq!(run(&s).0.unwrap(), ["jira-dev", "jira-prod"]);
        s.environments = sel("environments", &["prod"]).environments;
        assert_eq!(run(&s).0.unwrap(), ["jira-prod"]);
        let mut s = sel("ous", &["Infrastructure", "Workloads/Dev"]);
        s.environments = sel("environments", &["dev"]).environments;
        assert_eq!(run(&s).0.unwrap(), ["jira-dev", "webapp-dev"]);
    }

    #[test]
    fn unknown_names_are_errors_with_suggestions() {
        let (out, diags) = run(&sel("workloads", &["jiraa"]));
        assert!(out.is_none());
        assert_eq!(diags[0].code, "blueprint::unknown-workload");
        assert_eq!(diags[0].help.as_deref(), Some("did you mean `jira`?"));
        let (_, diags) = run(&sel("accounts", &["jira-prd"]));
        assert_eq!(diags[0].help.as_deref(), Some("did you mean `jira-prod`?"));
        let (_, diags) = run(&sel("ous", &["Workloads/Stage"]));
        assert_eq!(diags[0].code, "blueprint::unknown-ou");
        let (_, diags) = run(&sel("environments", &["qa"]));
        assert_eq!(diags[0].code, "blueprint::unknown-environment");
    }

    #[test]
    fn a_default_base_replaces_every_account() {
        let (accounts, ous) = fixture();
        let refs: Vec<&Account> = accounts.iter().collect();
        let base = ["jira-dev".to_owned(), "jira-prod".to_owned(), "shared-network".to_owned()];
        let mut cx = Cx::new();
        let out = resolve(&mut cx, &sel("environments", &["prod"]), &refs, &ous, Some(&base), "g");
        assert_eq!(out.unwrap(), ["jira-prod"]);
        // Explicit accounts or OUs replace the default base.
        let out = resolve(&mut cx, &sel("ous", &["Workloads/Prod"]), &refs, &ous, Some(&base), "g");
        assert_eq!(out.unwrap(), ["jira-prod", "webapp-prod"]);
    }

    #[test]
    fn an_empty_result_is_an_error() {
        let mut s = sel("accounts", &["shared-network"]);
        s.workloads = sel("workloads", &["jira"]).workloads;
        let (out, diags) = run(&s);
        assert!(out.is_none());
        assert_eq!(diags[0].code, "blueprint::selects-nothing");
        assert!(diags[0].message.contains("this selector selects no account"));
    }
}
