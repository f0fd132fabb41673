//! The drift report: a [`Plan`]'s changes and findings grouped by the account they are in
//! (everything else under the organization), with what kind of difference each is. A pure
//! function of the plan; `groundwork drift` prints it as text or JSON.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use crate::plan::{Action, Change, FORMAT_VERSION, Finding, Operation, Plan, Unmanaged};
use crate::render::{action_style, attribute_lines, symbol};
use crate::state::Address;
use crate::styled::{Render, Style, Styled, count};

/// What kind of difference a drift entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DriftKind {
    /// In the blueprint, not in AWS.
    Missing,
    /// In AWS as the blueprint says, without groundwork's tags.
    NotManagedYet,
    /// In AWS, not as the blueprint says.
    Differs,
    /// In AWS, managed by groundwork, no longer in the blueprint.
    Unexpected,
    /// Reported, never repaired by apply.
    NotRepaired,
}

impl DriftKind {
    /// The kind of difference a planned change repairs.
    pub fn of(action: Action) -> DriftKind {
        match action {
            Action::Create => DriftKind::Missing,
            Action::Adopt => DriftKind::NotManagedYet,
            Action::Update | Action::Replace | Action::NoOp => DriftKind::Differs,
            Action::Delete => DriftKind::Unexpected,
        }
    }

    /// The name text and JSON show.
    pub fn as_str(self) -> &'static str {
        match self {
            DriftKind::Missing => "missing",
            DriftKind::NotManagedYet => "not-managed-yet",
            DriftKind::Differs => "differs",
            DriftKind::Unexpected => "unexpected",
            DriftKind::NotRepaired => "not-repaired",
        }
    }
}

/// One difference: a change apply would make, or a finding it never repairs.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum Difference<'p> {
    /// A change apply would make.
    Change {
        /// What differs.
        address: &'p Address,
        /// How.
        kind: DriftKind,
        /// Why (the change's reason).
        detail: &'p str,
        /// As it is.
        before: &'p Option<Value>,
        /// As the blueprint says.
        after: &'p Option<Value>,
        /// The change itself, for its attribute lines.
        #[serde(skip)]
        change: &'p Change,
    },
    /// A finding apply never repairs.
    NotRepaired {
        /// What differs.
        address: &'p Address,
        /// Always [`DriftKind::NotRepaired`].
        kind: DriftKind,
        /// What is wrong and what to do.
        detail: &'p str,
        /// The offending values.
        values: &'p [String],
    },
}

/// The differences in one account, or in the organization.
#[derive(Debug, Clone, Serialize)]
pub struct DriftGroup<'p> {
    /// `account NAME (ID)`, `account NAME` when it does not exist yet, or `organization`.
    pub group: String,
    /// Changes first, in plan order, then findings.
    pub differences: Vec<Difference<'p>>,
}

/// The drift report of a plan.
#[derive(Debug, Clone, Serialize)]
pub struct Drift<'p> {
    /// The plan format version.
    pub format_version: &'static str,
    /// No difference at all.
    pub clean: bool,
    /// How many differences.
    pub differences: usize,
    /// By group label.
    pub groups: Vec<DriftGroup<'p>>,
    /// What exists and is not in the blueprint (left alone).
    pub unmanaged: &'p [Unmanaged],
    /// The last line of the text.
    pub summary: String,
}

impl<'p> Drift<'p> {
    /// Groups a plan's changes and findings: a change of an account, or of a resource in an
    /// account, under that account; everything else under the organization (the management
    /// account's).
    pub fn of(plan: &'p Plan) -> Drift<'p> {
        let group_of = |account: Option<&str>| match account {
            Some(name) => match plan.ids.accounts.get(name) {
                Some(id) => format!("account {name} ({id})"),
                None => format!("account {name}"),
            },
            None => "organization".to_owned(),
        };
        let mut groups: BTreeMap<String, Vec<Difference<'p>>> = BTreeMap::new();
        for c in &plan.changes {
            let resource_account = match &c.operation {
                Operation::Put { at, .. } | Operation::Replace { at, .. } | Operation::Delete { at, .. } => {
                    at.account.as_deref()
                }
                _ => None,
            };
            let group = group_of(c.address.as_str().strip_prefix("account/").or(resource_account));
            groups.entry(group).or_default().push(Difference::Change {
                address: &c.address,
                kind: DriftKind::of(c.action),
                detail: &c.reason,
                before: &c.before,
                after: &c.after,
                change: c,
            });
        }
        // Findings after every change, so a group lists its changes first.
        let mut findings: BTreeMap<String, Vec<&'p Finding>> = BTreeMap::new();
        for f in &plan.findings {
            findings.entry(group_of(f.account.as_deref())).or_default().push(f);
        }
        for (group, found) in findings {
            groups.entry(group).or_default().extend(found.into_iter().map(|f| Difference::NotRepaired {
                address: &f.address,
                kind: DriftKind::NotRepaired,
                detail: &f.detail,
                values: &f.values,
            }));
        }
        let differences = plan.changes.len() + plan.findings.len();
        let accounts = groups.keys().filter(|k| k.starts_with("account ")).count();
        let summary = if differences == 0 {
            "No drift: the organization matches the blueprint.".to_owned()
        } else {
            format!(
                "Drift: {} in {} ({}).",
                count(differences, "difference"),
                count(groups.len(), "group"),
                count(accounts, "account")
            )
        };
        Drift {
            format_version: FORMAT_VERSION,
            clean: differences == 0,
            differences,
            groups: groups.into_iter().map(|(group, differences)| DriftGroup { group, differences }).collect(),
            unmanaged: &plan.unmanaged,
            summary,
        }
    }
}

impl Render for Drift<'_> {
    fn text(&self, out: &mut Styled) {
        for g in &self.groups {
            out.text(format!("{}:\n", g.group));
            for d in &g.differences {
                match d {
                    Difference::Change { address, kind, detail, change, .. } => {
                        out.line(
                            action_style(change.action),
                            format!("{} {address} [{}] {detail}", symbol(change.action), kind.as_str()),
                        );
                        out.text(attribute_lines(change));
                    }
                    Difference::NotRepaired { address, kind, detail, .. } => {
                        out.line(Style::Warning, format!("  ! {address} [{}] {detail}", kind.as_str()));
                    }
                }
            }
            out.text("\n");
        }
        out.text(format!("{}\n", self.summary));
    }

    fn json(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_named_as_the_json_says() {
        for k in [
            DriftKind::Missing,
            DriftKind::NotManagedYet,
            DriftKind::Differs,
            DriftKind::Unexpected,
            DriftKind::NotRepaired,
        ] {
            assert_eq!(serde_json::to_value(k).unwrap(), Value::from(k.as_str()));
        }
    }
}
