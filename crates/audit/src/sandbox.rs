//! Each sandbox's limits as found in the organization: whether the built-in SCP
//! `sandbox-limits` is attached to the sandbox account, and its budget (limit, thresholds, whom
//! it tells). A sandbox without `sandbox-limits`, or without its budget, is a finding
//! ([`Rule::SandboxLimits`]); what was found is shown next to what the blueprint asks
//! ([`AccountAudit::sandbox_found`](crate::AccountAudit::sandbox_found)).

use crate::policy::Ignore;
use crate::report::{AuditReport, Finding};
use crate::rule::Rule;

/// One sandbox account of the blueprint's `sandbox` section, as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SandboxRead {
    /// The account's id.
    pub account_id: String,
    /// Its blueprint name.
    pub account_name: String,
    /// `sandbox-limits` is attached to the account itself.
    pub limits_attached: bool,
    /// Its budget `groundwork-sandbox`, when it has one.
    pub budget: Option<BudgetRead>,
}

/// A sandbox's budget as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BudgetRead {
    /// The monthly limit, in whole USD.
    pub monthly_limit_usd: u64,
    /// The notifications' thresholds, in percent, sorted.
    pub thresholds: Vec<u64>,
    /// Whom the notifications tell (e-mails, then SNS topics), without repeats.
    pub subscribers: Vec<String>,
}

impl SandboxRead {
    /// What was found, in one line.
    pub fn describe(&self) -> String {
        let limits = if self.limits_attached { "sandbox-limits attached" } else { "sandbox-limits NOT attached" };
        match &self.budget {
            Some(b) => {
                let at: Vec<String> = b.thresholds.iter().map(|t| format!("{t}%")).collect();
                format!(
                    "{limits}; budget {} USD a month, at {} to {}",
                    b.monthly_limit_usd,
                    at.join(", "),
                    if b.subscribers.is_empty() { "nobody".to_owned() } else { subscribers(&b.subscribers) }
                )
            }
            None => format!("{limits}; no budget"),
        }
    }
}

/// The subscribers as the blueprint names them: e-mails as they are, an SNS topic by its name
/// (`topic NAME`, the last part of its ARN).
fn subscribers(all: &[String]) -> String {
    let named: Vec<String> = all
        .iter()
        .map(|s| {
            // arn:PARTITION:sns:REGION:ACCOUNT:NAME, in any partition.
            let parts: Vec<&str> = s.split(':').collect();
            match parts.as_slice() {
                ["arn", _, "sns", _, _, topic] => format!("topic {topic}"),
                _ => s.clone(),
            }
        })
        .collect();
    named.join(", ")
}

impl AuditReport {
    /// Adds what was found of each sandbox to its account, and a finding for each sandbox
    /// without `sandbox-limits` or without its budget (then recounts; `ignore` applies).
    pub fn apply_sandboxes(&mut self, sandboxes: &[SandboxRead], ignore: &[Ignore]) {
        for s in sandboxes {
            if let Some(a) = self.accounts.iter_mut().find(|a| a.id == s.account_id) {
                a.sandbox_found = Some(s.describe());
            }
            let mut missing = Vec::new();
            if !s.limits_attached {
                missing.push("the SCP sandbox-limits is not attached to it");
            }
            if s.budget.is_none() {
                missing.push("it has no budget groundwork-sandbox");
            }
            if missing.is_empty() {
                continue;
            }
            let finding = Finding {
                account_id: s.account_id.clone(),
                account_name: s.account_name.clone(),
                severity: Rule::SandboxLimits.severity(),
                rule: Rule::SandboxLimits,
                subject: "sandbox".to_owned(),
                detail: format!(
                    "a sandbox of the blueprint, but {}; `groundwork apply` restores it",
                    missing.join(", and ")
                ),
                user: None,
                access_key_id: None,
            };
            if ignore.iter().any(|i| i.covers(&finding)) {
                self.ignored.push(finding);
            } else {
                self.findings.push(finding);
            }
        }
        self.findings.sort_by(|a, b| {
            (a.severity, &a.account_name, &a.account_id, a.rule.id(), &a.subject).cmp(&(
                b.severity,
                &b.account_name,
                &b.account_id,
                b.rule.id(),
                &b.subject,
            ))
        });
        self.recount();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn found_limits_read_as_one_line() {
        let mut s = SandboxRead {
            account_id: "1".into(),
            account_name: "sb".into(),
            limits_attached: true,
            budget: Some(BudgetRead {
                monthly_limit_usd: 100,
                thresholds: vec![50, 100],
                subscribers: vec!["a@x.example".into()],
            }),
        };
        assert_eq!(s.describe(), "sandbox-limits attached; budget 100 USD a month, at 50%, 100% to a@x.example");
        // The alerts topic by its name, as the blueprint's side reads.
        s.budget.as_mut().unwrap().subscribers.push("arn:aws:sns:eu-west-1:111111111111:groundwork-alerts".into());
        assert!(s.describe().ends_with("to a@x.example, topic groundwork-alerts"), "{}", s.describe());
        s.budget.as_mut().unwrap().subscribers[1] = "arn:aws-cn:sns:cn-north-1:111111111111:cn-alerts".into();
        assert!(s.describe().ends_with(", topic cn-alerts"), "{}", s.describe());
        s.limits_attached = false;
        s.budget = None;
        assert_eq!(s.describe(), "sandbox-limits NOT attached; no budget");
    }
}
