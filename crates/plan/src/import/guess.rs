//! What `groundwork import` guesses when no flag says it: the identity hub, from the trust of
//! the member accounts' roles. Pure: the reads are the AWS side's (`Aws::hub_trusts`), the
//! choice and its evidence are here.
//!
//! ```
//! use groundwork_plan::import::guess::{Trust, rank_hubs};
//! let trusts = vec![
//!     Trust { role_account: "222".into(), role: "Admin".into(), trusted: "111".into() },
//!     Trust { role_account: "333".into(), role: "Admin".into(), trusted: "111".into() },
//!     Trust { role_account: "333".into(), role: "Vendor".into(), trusted: "999".into() },
//! ];
//! let ranked = rank_hubs(&trusts, &["111", "222", "333"]);
//! assert_eq!(ranked[0].account, "111");
//! assert_eq!((ranked[0].roles, ranked[0].accounts), (2, 2));
//! assert_eq!(ranked.len(), 1, "999 is not in the organization");
//! ```

use std::collections::{BTreeMap, BTreeSet};

/// One role of a member account that trusts another account's root (a hub's users assume it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trust {
    /// The id of the account the role is in.
    pub role_account: String,
    /// The role's name.
    pub role: String,
    /// The id of the account its trust policy names.
    pub trusted: String,
}

/// An account that member roles trust: a candidate for the identity hub.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HubCandidate {
    /// Its account id.
    pub account: String,
    /// How many roles trust it.
    pub roles: usize,
    /// In how many accounts.
    pub accounts: usize,
}

/// The roles (account, name) that trust an account, and their accounts.
type Trusting<'t> = (BTreeSet<(&'t str, &'t str)>, BTreeSet<&'t str>);

/// The accounts of the organization (`organization`: every account id, the management account's
/// too) that roles of other accounts trust, most trusted first (by roles, then by accounts, then
/// by id, so the order is stable).
pub fn rank_hubs(trusts: &[Trust], organization: &[&str]) -> Vec<HubCandidate> {
    let mut by: BTreeMap<&str, Trusting<'_>> = BTreeMap::new();
    for t in trusts.iter().filter(|t| t.trusted != t.role_account && organization.contains(&t.trusted.as_str())) {
        let entry = by.entry(&t.trusted).or_default();
        entry.0.insert((&t.role_account, &t.role));
        entry.1.insert(&t.role_account);
    }
    let mut ranked: Vec<HubCandidate> = by
        .into_iter()
        .map(|(account, (roles, accounts))| HubCandidate {
            account: account.to_owned(),
            roles: roles.len(),
            accounts: accounts.len(),
        })
        .collect();
    ranked.sort_by(|a, b| b.roles.cmp(&a.roles).then(b.accounts.cmp(&a.accounts)).then(a.account.cmp(&b.account)));
    ranked
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(role_account: &str, role: &str, trusted: &str) -> Trust {
        Trust { role_account: role_account.into(), role: role.into(), trusted: trusted.into() }
    }

    #[test]
    fn the_most_trusted_account_of_the_organization_comes_first_and_self_trust_does_not_count() {
        let trusts = [
            t("2", "A", "1"),
            t("3", "A", "4"),
            t("3", "B", "4"),
            t("2", "A", "1"),
            t("4", "Self", "4"),
            t("2", "X", "9"),
        ];
        let ranked = rank_hubs(&trusts, &["1", "2", "3", "4"]);
        assert_eq!(
            ranked,
            [
                HubCandidate { account: "4".into(), roles: 2, accounts: 1 },
                HubCandidate { account: "1".into(), roles: 1, accounts: 1 },
            ]
        );
        assert!(rank_hubs(&[], &["1"]).is_empty());
    }
}
