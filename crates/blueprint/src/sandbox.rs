//! The `sandbox` section: which accounts are sandboxes (every account with `purpose: sandbox`
//! unless a selector says otherwise), the instance types the built-in guardrail
//! `sandbox-limits` allows there, and each sandbox's monthly budget with its notifications to the
//! account owner's e-mail.
//!
//! ```yaml
//! sandbox:
//!   accounts: [sandbox-alice]          # optional selector; default: every `purpose: sandbox` account
//!   instance_types: [t3.micro, t3.small]
//!   budget: { monthly_limit_usd: 100, thresholds: [50, 80, 100], owner_email_tag: OwnerEmail }
//! ```

use std::collections::BTreeMap;

use crate::diag::Diagnostic;
use crate::model::{Account, OuPath, Purpose, Spanned};
use crate::schema::Cx;
use crate::selector::{RawSelector, SELECTOR_KEYS};
use crate::yaml::{Node, Span};

/// The built-in guardrail attached to every sandbox account.
pub const SANDBOX_LIMITS: &str = "sandbox-limits";
/// The name of each sandbox's budget (in the sandbox account itself).
pub const SANDBOX_BUDGET: &str = "groundwork-sandbox";
/// The keys of `sandbox` beyond the selector's.
pub const SANDBOX_KEYS: &[&str] = &["instance_types", "budget"];
/// The keys of `sandbox.budget`.
pub const BUDGET_KEYS: &[&str] = &["monthly_limit_usd", "thresholds", "owner_email_tag", "owner_email"];
/// Default instance types: the small sizes of the burstable general-purpose families.
pub const DEFAULT_INSTANCE_TYPES: &[&str] = &[
    "t3.nano",
    "t3.micro",
    "t3.small",
    "t3.medium",
    "t3a.nano",
    "t3a.micro",
    "t3a.small",
    "t3a.medium",
    "t4g.nano",
    "t4g.micro",
    "t4g.small",
    "t4g.medium",
];
/// Default monthly limit, in USD.
pub const DEFAULT_MONTHLY_LIMIT_USD: u64 = 100;
/// Default thresholds, in percent of the limit (actual spend).
pub const DEFAULT_THRESHOLDS: &[u64] = &[50, 80, 100];
/// Default account tag that holds the owner's e-mail.
pub const DEFAULT_OWNER_EMAIL_TAG: &str = "OwnerEmail";
/// AWS Budgets: a notification threshold is a percentage up to 1,000 here (groundwork's bound;
/// AWS allows up to 15,000 percent).
const MAX_THRESHOLD: u64 = 1000;

/// The `sandbox` section, validated.
#[derive(Debug, Clone)]
pub struct Sandbox {
    /// The sandbox accounts, sorted by name, each with its owner's e-mail.
    pub accounts: Vec<SandboxAccount>,
    /// Instance types (`ec2:InstanceType` patterns) `sandbox-limits` allows.
    pub instance_types: Vec<String>,
    /// The budget every sandbox gets.
    pub budget: SandboxBudget,
    /// The `sandbox:` section in the blueprint (where its diagnostics point).
    pub site: Span,
}

/// One sandbox account.
#[derive(Debug, Clone)]
pub struct SandboxAccount {
    /// Its blueprint name.
    pub name: String,
    /// Where its budget's notifications go.
    pub owner_email: String,
}

/// A sandbox's monthly budget.
#[derive(Debug, Clone)]
pub struct SandboxBudget {
    /// The monthly cost limit, in USD.
    pub monthly_limit_usd: u64,
    /// Notification thresholds, in percent of the limit (actual spend), ascending.
    pub thresholds: Vec<u64>,
}

/// Raw `sandbox` section.
#[derive(Debug, Clone, Default)]
pub(crate) struct RawSandbox {
    span: Span,
    selector: RawSelector,
    selects: bool,
    instance_types: Option<(Vec<Spanned<String>>, Span)>,
    monthly_limit: Option<Spanned<u64>>,
    thresholds: Option<(Vec<Spanned<u64>>, Span)>,
    owner_email_tag: Option<Spanned<String>>,
    owner_email: Option<Spanned<String>>,
}

/// Reads the `sandbox` section.
pub(crate) fn read(cx: &mut Cx, node: &Node) -> RawSandbox {
    let mut raw = RawSandbox { span: node.span, ..RawSandbox::default() };
    let keys: Vec<&str> = SELECTOR_KEYS.iter().chain(SANDBOX_KEYS).copied().collect();
    let Some(f) = cx.map(node, "sandbox", &keys) else { return raw };
    raw.selects = SELECTOR_KEYS.iter().any(|k| f.get(k).is_some());
    raw.selector = crate::selector::read(cx, &f, node);
    if let Some(t) = f.get("instance_types")
        && let Some(items) = cx.list(t, "sandbox.instance_types")
    {
        raw.instance_types = Some((items.iter().filter_map(|n| cx.string(n, "an instance type")).collect(), t.span));
    }
    if let Some(b) = f.get("budget")
        && let Some(bf) = cx.map(b, "sandbox.budget", BUDGET_KEYS)
    {
        raw.monthly_limit = bf.get("monthly_limit_usd").and_then(|n| cx.integer(n, "monthly_limit_usd"));
        if let Some(t) = bf.get("thresholds")
            && let Some(items) = cx.list(t, "thresholds")
        {
            raw.thresholds = Some((items.iter().filter_map(|n| cx.integer(n, "a threshold")).collect(), t.span));
        }
        raw.owner_email_tag = bf.get("owner_email_tag").and_then(|n| cx.string(n, "owner_email_tag"));
        raw.owner_email = bf.get("owner_email").and_then(|n| cx.string(n, "owner_email"));
    }
    raw
}

/// Validates the section: the accounts it selects, their owners' e-mails, the instance types
/// and the budget. `None` when it selects nothing usable.
pub(crate) fn lower(
    cx: &mut Cx,
    raw: &RawSandbox,
    accounts: &[&Account],
    ous: &BTreeMap<OuPath, Span>,
) -> Option<Sandbox> {
    let sandboxes: Vec<String> =
        accounts.iter().filter(|a| a.purpose == Purpose::Sandbox).map(|a| a.name.value.clone()).collect();
    let selected = if raw.selects {
        crate::selector::resolve(cx, &raw.selector, accounts, ous, None, "sandbox")
    } else if sandboxes.is_empty() {
        cx.push(
            Diagnostic::error(
                "blueprint::sandbox",
                Span { end: raw.span.start, ..raw.span },
                "`sandbox` selects no account",
            )
            .label("no account has `purpose: sandbox`")
            .help("set `purpose: sandbox` on the sandbox accounts, or select them with `accounts:` or `ous:`"),
        );
        None
    } else {
        Some(sandboxes)
    };
    let instance_types = match &raw.instance_types {
        None => DEFAULT_INSTANCE_TYPES.iter().map(|t| (*t).to_owned()).collect(),
        Some((types, span)) => {
            if types.is_empty() {
                cx.push(
                    Diagnostic::error("blueprint::sandbox", *span, "`instance_types` is empty")
                        .label("no instance type")
                        .help("an empty list would deny every instance; leave it out for the default small types"),
                );
            }
            for t in types.iter().filter(|t| !is_instance_type(&t.value)) {
                cx.push(
                    Diagnostic::error("blueprint::sandbox", t.span, format!("`{}` is not an instance type", t.value))
                        .label("expected `family.size`")
                        .help("write an EC2 instance type such as `t3.micro`; `*` and `?` match, as in `t3.*`"),
                );
            }
            types.iter().map(|t| t.value.clone()).collect()
        }
    };
    let monthly_limit_usd = match &raw.monthly_limit {
        None => DEFAULT_MONTHLY_LIMIT_USD,
        Some(l) if l.value == 0 => {
            cx.push(
                Diagnostic::error("blueprint::sandbox", l.span, "`monthly_limit_usd` must be at least 1")
                    .label("zero")
                    .help(format!("leave it out for the default, {DEFAULT_MONTHLY_LIMIT_USD} USD")),
            );
            DEFAULT_MONTHLY_LIMIT_USD
        }
        Some(l) => l.value,
    };
    let thresholds = match &raw.thresholds {
        None => DEFAULT_THRESHOLDS.to_vec(),
        Some((list, span)) => {
            if list.is_empty() {
                cx.push(
                    Diagnostic::error("blueprint::sandbox", *span, "`thresholds` is empty")
                        .label("no threshold")
                        .help("a budget without a notification tells nobody; list percentages such as `[80, 100]`"),
                );
            }
            let mut seen: Vec<u64> = Vec::new();
            for t in list {
                if t.value == 0 || t.value > MAX_THRESHOLD || seen.contains(&t.value) {
                    cx.push(
                        Diagnostic::error(
                            "blueprint::sandbox",
                            t.span,
                            format!("threshold {} is not a new percentage from 1 to {MAX_THRESHOLD}", t.value),
                        )
                        .label("invalid threshold")
                        .help("thresholds are percentages of the monthly limit, each listed once"),
                    );
                }
                seen.push(t.value);
            }
            let mut v: Vec<u64> = list.iter().map(|t| t.value).collect();
            v.sort_unstable();
            v.dedup();
            v
        }
    };
    if let Some(e) = &raw.owner_email
        && let Some(problem) = crate::validate::email_problem(&e.value)
    {
        cx.push(Diagnostic::error("blueprint::sandbox", e.span, problem).label("not an e-mail address"));
    }
    let tag = raw.owner_email_tag.as_ref().map_or(DEFAULT_OWNER_EMAIL_TAG, |t| t.value.as_str());
    let mut out = Vec::new();
    for name in selected? {
        let Some(a) = accounts.iter().find(|a| a.name.value == name) else { continue };
        let owner = match (a.tags.get(tag), &raw.owner_email) {
            (Some(e), _) => {
                if let Some(problem) = crate::validate::email_problem(e) {
                    cx.push(
                        Diagnostic::error(
                            "blueprint::sandbox",
                            a.name.span,
                            format!("the `{tag}` tag of sandbox `{name}` is not an e-mail address: {problem}"),
                        )
                        .label("tags of this account")
                        .help("the budget's notifications go to this address"),
                    );
                }
                e.clone()
            }
            (None, Some(e)) => e.value.clone(),
            (None, None) => {
                cx.push(
                    Diagnostic::error(
                        "blueprint::sandbox",
                        a.name.span,
                        format!("sandbox `{name}` has no owner to tell about its spending"),
                    )
                    .label(format!("no `{tag}` tag"))
                    .help(format!(
                        "tag the account with `{tag}: owner@example.com`, or set `sandbox.budget.owner_email`"
                    )),
                );
                continue;
            }
        };
        out.push(SandboxAccount { name, owner_email: owner });
    }
    Some(Sandbox {
        accounts: out,
        instance_types,
        budget: SandboxBudget { monthly_limit_usd, thresholds },
        site: Span { end: raw.span.start, ..raw.span },
    })
}

impl Sandbox {
    /// What limits the sandbox `account` (for `graph` and `audit`): its instance types and
    /// its budget, which also tells `alerts_topic` (the `alerts` section's topic, when the
    /// blueprint has one); `None` when it is not a sandbox.
    pub fn summary(&self, account: &str, alerts_topic: Option<&str>) -> Option<String> {
        let a = self.accounts.iter().find(|a| a.name == account)?;
        let types = if self.instance_types.len() <= 3 {
            self.instance_types.join(", ")
        } else {
            format!("{} instance types", self.instance_types.len())
        };
        let thresholds: Vec<String> = self.budget.thresholds.iter().map(|t| format!("{t}%")).collect();
        Some(format!(
            "sandbox-limits ({types}); budget {} USD a month, at {} to {}{}",
            self.budget.monthly_limit_usd,
            thresholds.join(", "),
            a.owner_email,
            alerts_topic.map(|t| format!(", topic {t}")).unwrap_or_default()
        ))
    }
}

/// `family.size` (letters, digits and `-`, `*`, `?` as wildcards).
fn is_instance_type(text: &str) -> bool {
    let part = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"-*?".contains(&b));
    text == "*" || text.split_once('.').is_some_and(|(family, size)| part(family) && part(size))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instance_types_are_family_and_size() {
        assert!(is_instance_type("t3.micro"));
        assert!(is_instance_type("t3.*"));
        assert!(!is_instance_type("micro"));
        assert!(!is_instance_type("t3."));
    }

    #[test]
    fn sandbox_limits_with_every_default_fits_an_scp() {
        let types: Vec<String> = DEFAULT_INSTANCE_TYPES.iter().map(|t| (*t).to_owned()).collect();
        let exempt = crate::builtins::Exempt {
            access_role: "OrganizationAccountAccessRole",
            break_glass_role: Some("BreakGlass"),
        };
        let doc = crate::builtins::sandbox_limits(&types, SANDBOX_BUDGET, exempt);
        let size = crate::policy::scp_size(&doc);
        assert!(size < crate::guardrails::DEFAULT_MAX_POLICY_CHARS, "{size}");
    }
}
