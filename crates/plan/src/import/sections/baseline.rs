//! The `baseline` section from what was found: each control's accounts (the management account
//! and every member account written), the controls left on and the accounts they are all in
//! place in, and the section's lines (the reverse of `crate::baseline` and the baseline kinds'
//! lowerings). The roles are recognized by [`role::reverse_baseline`], their groups by
//! `group::reverse_baseline_grant` where the groups are written.

use std::collections::{BTreeMap, BTreeSet};

use groundwork_blueprint::{DEFAULT_SECURITY_AUDIT_ROLE, DEFAULT_SUPPORT_ROLE, MANAGEMENT_HUB};
use serde_json::{Map, Value, json};

use super::{Cx, yaml};
use crate::kinds::Spec;
use crate::kinds::account_public_access_block::AccountPublicAccessBlockSpec;
use crate::kinds::ebs_encryption::EbsEncryptionSpec;
use crate::kinds::password_policy::{self, PasswordPolicySpec};
use crate::kinds::role;
use crate::resource::Kind;
use crate::state::Address;

/// One control of the account baseline as found: the accounts (`None`: the management account)
/// where it is as groundwork writes it.
pub(super) struct Control {
    /// Its key in the `baseline` section.
    key: &'static str,
    /// What it is, for comments.
    what: &'static str,
    accounts: BTreeSet<Option<String>>,
    /// For a role: the name it has (the one most accounts share).
    role: Option<String>,
}

/// The account baseline as found: the controls left on, the accounts every one of them is in
/// place in, and the section's lines but the roles' `groups` (known once the groups are).
pub(super) struct BaselineDraft {
    /// Every account import writes, the management account (`None`) first.
    universe: Vec<Option<String>>,
    on: Vec<Control>,
    off: Vec<Control>,
    /// The accounts the controls left on are all in place in.
    targets: BTreeSet<Option<String>>,
}

impl BaselineDraft {
    /// The baseline's roles left on, as the groups' reverse takes them (name, path).
    pub(super) fn roles(&self) -> Vec<(&str, &str)> {
        self.on.iter().filter_map(|c| c.role.as_deref()).map(|n| (n, groundwork_blueprint::DEFAULT_ROLE_PATH)).collect()
    }
}

impl Cx<'_> {
    /// The account baseline as found in every account written (and the management account):
    /// each control's accounts, then the controls left on and the accounts they are all in place
    /// in. A control in place nowhere is off; while the controls left on share no account, the
    /// one in place in the fewest accounts is turned off too.
    pub(super) fn baseline(&self) -> BaselineDraft {
        let universe: Vec<Option<String>> =
            std::iter::once(None).chain(self.accounts.iter().map(|(a, _)| Some(a.name.clone()))).collect();
        let ids = self.ids();
        let hub_at = self.hub.as_ref().map(|h| (h.name != MANAGEMENT_HUB).then_some(h.name.as_str()));
        let policy = match hub_at {
            Some(at) => password_policy::from_reversed(&password_policy::reverse(
                self.spec(&Address::password_policy(at)),
                &mut Vec::new(),
            )),
            None => PasswordPolicySpec::from(groundwork_blueprint::PasswordPolicy::default()),
        };
        let with = |ok: &dyn Fn(Option<&str>) -> bool| -> BTreeSet<Option<String>> {
            universe.iter().filter(|a| ok(a.as_deref())).cloned().collect()
        };
        let mut controls = vec![
            Control {
                key: "password_policy",
                what: "the password policy",
                accounts: with(&|a| {
                    self.spec(&Address::password_policy(a)).and_then(|v| PasswordPolicySpec::from_value(v).ok())
                        == Some(policy)
                }),
                role: None,
            },
            Control {
                key: "s3_public_access_block",
                what: "S3's account-level public access block (all four flags on)",
                accounts: with(&|a| {
                    self.spec(&Address::s3_account_public_access_block(a))
                        .and_then(|v| AccountPublicAccessBlockSpec::from_value(v).ok())
                        == Some(AccountPublicAccessBlockSpec::ALL)
                }),
                role: None,
            },
            Control {
                key: "ebs_encryption",
                what: "EBS encryption by default in the home region",
                accounts: with(&|a| {
                    self.spec(&Address::ebs_encryption(a, &self.opts.home_region))
                        .and_then(|v| EbsEncryptionSpec::from_value(v).ok())
                        .is_some_and(|e| e.enabled)
                }),
                role: None,
            },
        ];
        if let Some(hub) = &self.hub {
            for (support, key, what) in [
                (true, "support_role", "the support role (AWSSupportAccess, trusting the hub with MFA)"),
                (false, "security_audit_role", "the security-audit role (SecurityAudit, trusting the hub with MFA)"),
            ] {
                let mut by_name: BTreeMap<&str, BTreeSet<Option<String>>> = BTreeMap::new();
                for r in self.listed(Kind::Role) {
                    let account = r.at.account.clone();
                    if universe.contains(&account) && role::reverse_baseline(&r.spec, &hub.name, &ids) == Some(support)
                    {
                        by_name.entry(r.at.name.as_str()).or_default().insert(account);
                    }
                }
                let default = if support { DEFAULT_SUPPORT_ROLE } else { DEFAULT_SECURITY_AUDIT_ROLE };
                let best = by_name
                    .iter()
                    .max_by_key(|(n, a)| (a.len(), **n == default, std::cmp::Reverse(**n)))
                    .map(|(n, a)| ((*n).to_owned(), a.clone()));
                let (name, accounts) = best.unwrap_or_else(|| (default.to_owned(), BTreeSet::new()));
                controls.push(Control { key, what, accounts, role: Some(name) });
            }
        }
        let (mut on, mut off): (Vec<Control>, Vec<Control>) =
            controls.into_iter().partition(|c| !c.accounts.is_empty());
        let shared = |on: &[Control]| -> BTreeSet<Option<String>> {
            universe.iter().filter(|a| on.iter().all(|c| c.accounts.contains(*a))).cloned().collect()
        };
        // Only `Root` selects the management account: a narrower target list leaves it out.
        let targets = loop {
            let mut t = shared(&on);
            if t.len() < universe.len() {
                t.remove(&None);
            }
            if !t.is_empty() || on.is_empty() {
                break t;
            }
            let fewest = (0..on.len()).min_by_key(|i| on[*i].accounts.len()).unwrap_or(0);
            off.push(on.remove(fewest));
        };
        BaselineDraft { universe, on, off, targets }
    }

    /// The `baseline` section of `draft`, its roles granted to the groups in `groups` (role →
    /// groups), with a comment for each control turned off and for narrowed targets.
    pub(super) fn baseline_lines(draft: &BaselineDraft, groups: &BTreeMap<String, Vec<String>>) -> Vec<String> {
        let mut lines = vec![String::new()];
        let n = draft.universe.len();
        let label = |a: &Option<String>| a.clone().unwrap_or_else(|| "the management account".to_owned());
        if draft.on.is_empty() {
            lines.push(yaml::comment(
                0,
                "No control of the account baseline is as groundwork writes it in any account.",
            ));
            lines.push("baseline: { enabled: false }".to_owned());
            return lines;
        }
        let mut m = Map::new();
        if draft.targets.len() < n {
            let missing: Vec<String> =
                draft.universe.iter().filter(|a| !draft.targets.contains(*a)).map(label).collect();
            lines.push(yaml::comment(
                0,
                &format!(
                    "baseline.targets: the accounts where every control left on is in place already; not in {} \
                     (only `Root` selects the management account). Widen them to have groundwork converge the rest.",
                    missing.join(", ")
                ),
            ));
            let targets: Vec<Value> = draft.targets.iter().flatten().map(|a| json!({ "account": a })).collect();
            m.insert("targets".into(), Value::Array(targets));
        }
        if draft.on.iter().any(|c| c.key == "ebs_encryption") {
            lines.push(yaml::comment(0, "baseline.regions: import reads EBS encryption in the home region only."));
            m.insert("regions".into(), json!("home"));
        }
        for c in &draft.off {
            let found = if c.accounts.is_empty() {
                "in no account".to_owned()
            } else {
                format!(
                    "in {} of {n} accounts ({})",
                    c.accounts.len(),
                    c.accounts.iter().map(label).collect::<Vec<_>>().join(", ")
                )
            };
            lines.push(yaml::comment(
                0,
                &format!("baseline.{}: false: {} is as groundwork writes it {found}.", c.key, c.what),
            ));
            m.insert(c.key.into(), json!(false));
        }
        for c in &draft.on {
            let Some(name) = &c.role else { continue };
            let default = if c.key == "support_role" { DEFAULT_SUPPORT_ROLE } else { DEFAULT_SECURITY_AUDIT_ROLE };
            let mut r = Map::new();
            if name != default {
                r.insert("name".into(), json!(name));
            }
            if let Some(g) = groups.get(name).filter(|g| !g.is_empty()) {
                r.insert("groups".into(), json!(g));
            }
            if !r.is_empty() {
                m.insert(c.key.into(), Value::Object(r));
            }
        }
        if m.is_empty() {
            lines.push(yaml::comment(0, "The account baseline is in place in every account."));
            lines.push("baseline: {}".to_owned());
        } else {
            lines.push("baseline:".to_owned());
            yaml::mapping(&mut lines, &m, 2);
        }
        lines
    }
}
