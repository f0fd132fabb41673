//! `groundwork audit`'s look at each sandbox (kept apart from the credential audit): reads,
//! through discovery, whether `sandbox-limits` is attached where the blueprint attaches it and
//! each sandbox's budget, for [`groundwork_audit::sandbox`] to judge. Nothing is read for a
//! blueprint without a `sandbox` section.

use anyhow::{Context, Result};
use groundwork_audit::sandbox::{BudgetRead, SandboxRead};
use groundwork_blueprint::Blueprint;
use groundwork_blueprint::sandbox::{SANDBOX_BUDGET, SANDBOX_LIMITS};
use groundwork_plan::kinds::Spec;
use groundwork_plan::kinds::budget::BudgetSpec;
use groundwork_plan::{Desired, Kind, Live};

/// Each sandbox account as found, `None` without a `sandbox` section.
pub(crate) async fn read(
    aws: &groundwork_aws::Aws,
    bp: &Blueprint,
    desired: &Desired,
    live: &Live,
) -> Result<Option<Vec<SandboxRead>>> {
    let Some(sandbox) = &bp.sandbox else { return Ok(None) };
    let is_limits = |kind: Kind, name: &str| match kind {
        Kind::Scp => name == SANDBOX_LIMITS,
        Kind::ScpAttachment => name.split_once('@').is_some_and(|(p, _)| p == SANDBOX_LIMITS),
        Kind::Budget => name == SANDBOX_BUDGET,
        _ => false,
    };
    let mut focused = desired.clone();
    focused.resources.retain(|r| is_limits(r.at.kind, &r.at.name));
    focused.flow_logs.clear();
    focused.prune = groundwork_plan::Prune::default();
    let mut found = live.clone();
    aws.discover_resources(&focused, &mut found)
        .await
        .context("reading the sandboxes' limits and budgets (read-only)")?;
    let ids = found.ids(&focused);
    let attachments: Vec<&groundwork_plan::DesiredResource> =
        focused.resources.iter().filter(|r| r.at.kind == Kind::ScpAttachment).collect();
    let mut out = Vec::new();
    for a in &sandbox.accounts {
        let Some(id) = ids.account_id(Some(&a.name)) else { continue };
        let own = format!("{SANDBOX_LIMITS}@account:{}", a.name);
        // Attached where the blueprint attaches it: to the account, or (a `guardrails` entry
        // with targets of its choice) to each of those.
        let wanted: Vec<_> = match attachments.iter().find(|r| r.at.name == own) {
            Some(r) => vec![*r],
            None => attachments.iter().filter(|r| !r.at.name.contains("@account:")).copied().collect(),
        };
        let limits_attached = !wanted.is_empty() && wanted.iter().all(|r| found.resources.contains_key(&r.address));
        let budget = found
            .resources
            .get(&groundwork_plan::kinds::budget::address(&a.name, SANDBOX_BUDGET))
            .and_then(|r| BudgetSpec::from_value(&r.spec).ok())
            .map(|b| {
                let mut subscribers: Vec<String> = Vec::new();
                for n in &b.notifications {
                    for s in n.emails.iter().chain(&n.sns_topics) {
                        if !subscribers.contains(s) {
                            subscribers.push(s.clone());
                        }
                    }
                }
                BudgetRead {
                    monthly_limit_usd: b.monthly_limit_usd,
                    thresholds: b.notifications.iter().map(|n| n.threshold_percent).collect(),
                    subscribers,
                }
            });
        out.push(SandboxRead { account_id: id.to_owned(), account_name: a.name.clone(), limits_attached, budget });
    }
    Ok(Some(out))
}
