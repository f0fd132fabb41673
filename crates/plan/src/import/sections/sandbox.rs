//! The `sandbox` and `root_access` sections from what was found (the reverse of
//! `crate::kinds::budget`, the `sandbox-limits` built-in and `crate::kinds::root_access`).
//!
//! A sandbox is an account the built-in SCP `sandbox-limits` is attached to; the section is
//! written when each such account has groundwork's budget, and the budgets and the SCP say the
//! same thing for all of them (one limit, one set of thresholds, one allow list of instance
//! types, the owner's e-mail from the account's tag or one address for all). Otherwise the SCP
//! stays a guardrail of its own, with the reason in a comment.

use std::collections::BTreeSet;

use groundwork_blueprint::sandbox::{
    DEFAULT_INSTANCE_TYPES, DEFAULT_MONTHLY_LIMIT_USD, DEFAULT_OWNER_EMAIL_TAG, DEFAULT_THRESHOLDS, SANDBOX_BUDGET,
    SANDBOX_LIMITS,
};
use serde_json::{Map, Value, json};

use super::Cx;
use crate::import::reverse::strings;
use crate::kinds::Spec;
use crate::kinds::budget::{self, BudgetSpec};
use crate::kinds::root_access::{ROOT_CREDENTIALS_MANAGEMENT, ROOT_SESSIONS, RootAccessSpec};
use crate::kinds::scp_attachment::ReverseTarget;
use crate::resource::Kind;
use crate::state::Address;

/// The `sandbox-limits` statement that holds the instance types.
const INSTANCE_TYPES_SID: &str = "DenyInstanceTypesOutsideAllowList";

impl Cx<'_> {
    /// The accounts (by name) `sandbox-limits` is attached to, sorted; empty when it is not.
    pub(super) fn sandbox_accounts(&self) -> Vec<String> {
        let mut accounts: Vec<String> = self
            .listed(Kind::ScpAttachment)
            .filter(|a| a.spec["policy"] == SANDBOX_LIMITS)
            .filter_map(|a| match ReverseTarget::parse(a.spec["target"].as_str().unwrap_or_default()) {
                ReverseTarget::Account(name) => Some(name.to_owned()),
                _ => None,
            })
            .collect();
        accounts.sort();
        accounts
    }

    /// The `sandbox` section as found, `Ok(None)` when `sandbox-limits` is not attached to an
    /// account, `Err` with why it cannot be written (the SCP is then a guardrail of its own).
    /// `alerts_topic`: the ARN of the alerts' topic when the `alerts` section is written (the
    /// budgets then also notify it).
    pub(super) fn sandbox_value(&self, alerts_topic: Option<&str>) -> Result<Option<Value>, String> {
        let accounts = self.sandbox_accounts();
        if accounts.is_empty() {
            return Ok(None);
        }
        let scp = self.spec(&Address::scp(SANDBOX_LIMITS)).ok_or("the SCP sandbox-limits was not read")?;
        // Anything attached elsewhere than to accounts is the guardrail's, not the section's.
        let elsewhere = self.listed(Kind::ScpAttachment).any(|a| {
            a.spec["policy"] == SANDBOX_LIMITS
                && !matches!(
                    ReverseTarget::parse(a.spec["target"].as_str().unwrap_or_default()),
                    ReverseTarget::Account(_)
                )
        });
        if elsewhere {
            return Err(format!("{SANDBOX_LIMITS} is also attached to OUs or the root"));
        }
        let mut budgets = Vec::new();
        for a in &accounts {
            let found = self
                .spec(&budget::address(a, SANDBOX_BUDGET))
                .ok_or_else(|| format!("sandbox {a} has no budget {SANDBOX_BUDGET}"))?;
            budgets.push((a, BudgetSpec::from_value(found).map_err(|e| e.to_string())?));
        }
        let (_, first) = &budgets[0];
        let limit = first.monthly_limit_usd;
        let thresholds: Vec<u64> = first.notifications.iter().map(|n| n.threshold_percent).collect();
        let mut owners: BTreeSet<&str> = BTreeSet::new();
        let mut by_tag = true;
        for (account, b) in &budgets {
            if b.monthly_limit_usd != limit
                || b.notifications.iter().map(|n| n.threshold_percent).collect::<Vec<_>>() != thresholds
            {
                return Err(format!("the budgets of {} differ in limit or thresholds", accounts.join(", ")));
            }
            let expected: Vec<&str> = alerts_topic.into_iter().collect();
            if b.notifications.iter().any(|n| n.sns_topics.iter().map(String::as_str).collect::<Vec<_>>() != expected) {
                return Err(format!("the budget of {account} notifies other SNS topics than the alerts topic"));
            }
            let emails: BTreeSet<&str> =
                b.notifications.iter().flat_map(|n| n.emails.iter().map(String::as_str)).collect();
            let [email] = emails.into_iter().collect::<Vec<_>>()[..] else {
                return Err(format!("the budget of {account} does not notify exactly one e-mail address"));
            };
            let tagged = self
                .accounts
                .iter()
                .find(|(l, _)| l.name == **account)
                .and_then(|(l, _)| l.tags.get(DEFAULT_OWNER_EMAIL_TAG));
            match tagged {
                Some(t) if t == email => {}
                Some(_) => {
                    return Err(format!(
                        "the budget of {account} notifies another address than its {DEFAULT_OWNER_EMAIL_TAG} tag"
                    ));
                }
                None => by_tag = false,
            }
            owners.insert(email);
        }
        let mut m = Map::new();
        let guessed: Vec<&str> =
            self.accounts.iter().filter(|(_, p)| *p == "sandbox").map(|(a, _)| a.name.as_str()).collect();
        if guessed != accounts.iter().map(String::as_str).collect::<Vec<_>>() {
            m.insert("accounts".into(), json!(accounts));
        }
        let types =
            sandbox_instance_types(&scp["document"]).ok_or(format!("{SANDBOX_LIMITS} has no {INSTANCE_TYPES_SID}"))?;
        let mut defaults: Vec<&str> = DEFAULT_INSTANCE_TYPES.to_vec();
        defaults.sort_unstable();
        let mut sorted: Vec<&str> = types.iter().map(String::as_str).collect();
        sorted.sort_unstable();
        if sorted != defaults {
            m.insert("instance_types".into(), json!(types));
        }
        let mut b = Map::new();
        if limit != DEFAULT_MONTHLY_LIMIT_USD {
            b.insert("monthly_limit_usd".into(), json!(limit));
        }
        if thresholds != DEFAULT_THRESHOLDS {
            b.insert("thresholds".into(), json!(thresholds));
        }
        if !by_tag {
            // Some sandboxes have no owner tag: they all share one address, or none can be said.
            let [owner] = owners.into_iter().collect::<Vec<_>>()[..] else {
                return Err("sandboxes without an OwnerEmail tag notify different addresses".to_owned());
            };
            b.insert("owner_email".into(), json!(owner));
        }
        if !b.is_empty() {
            m.insert("budget".into(), Value::Object(b));
        }
        Ok(Some(Value::Object(m)))
    }

    /// The `root_access` section as found: `None` when IAM's organization features were not
    /// read (no trusted access for IAM).
    pub(super) fn root_access_value(&self) -> Option<Value> {
        let spec = RootAccessSpec::from_value(self.spec(&crate::kinds::root_access::address())?).ok()?;
        let on = |f: &str| spec.features.iter().any(|x| x == f);
        Some(json!({
            "credentials_management": on(ROOT_CREDENTIALS_MANAGEMENT),
            "root_sessions": on(ROOT_SESSIONS),
        }))
    }
}

/// The instance types of a `sandbox-limits` document, in its order.
fn sandbox_instance_types(doc: &Value) -> Option<Vec<String>> {
    let statements = doc["Statement"].as_array()?;
    let s = statements.iter().find(|s| s["Sid"] == INSTANCE_TYPES_SID)?;
    Some(strings(&s["Condition"]["StringNotLike"]["ec2:InstanceType"]))
}
