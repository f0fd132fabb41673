//! [`Rule`]: every check the audit makes, with its id, severity and the text the reports show.
//! A rule is one variant here and one branch of the evaluation ([`crate::evaluate`]); every
//! output (the table, JSON, the HTML legend, `--ignore`) takes its names from this list.

use std::fmt;
use std::str::FromStr;

use groundwork_blueprint::Severity;
use serde::Serialize;

/// One check of the audit. Serialized as its [`id`](Rule::id).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Rule {
    /// The root user has access keys (any account).
    RootAccessKeys,
    /// The root user has no MFA device: the management account's, and members' with
    /// [`AuditPolicy::member_root_mfa`](crate::AuditPolicy::member_root_mfa) (then `High`).
    RootMfa,
    /// An active access key is older than the maximum age.
    KeyTooOld,
    /// A user with a console password and no MFA device.
    ConsoleWithoutMfa,
    /// A member account's root user still has credentials (a password, access keys, MFA
    /// devices, signing certificates), read in a privileged root session: only with the
    /// blueprint's `root_access` section (`crate::MemberRoots`).
    MemberRootCredentials,
    /// A user with more than one MFA device. The first enrolment is trust on first use (IAM
    /// allows eight devices per user), so an extra device is worth a look: it may be a second
    /// key a person keeps, or one someone else enrolled.
    SeveralMfaDevices,
    /// An active access key was not used for longer than the threshold (or never, and is older).
    KeyUnused,
    /// A user with policies attached directly (managed) or inline.
    UserDirectPolicy,
    /// The account password policy is missing or weaker than the blueprint's.
    PasswordPolicy,
    /// A sandbox of the blueprint's `sandbox` section without `sandbox-limits` attached, or
    /// without its budget (`crate::sandbox`).
    SandboxLimits,
}

impl Rule {
    /// Every rule, most severe first (the order of the HTML legend).
    pub const ALL: [Rule; 10] = [
        Rule::RootAccessKeys,
        Rule::RootMfa,
        Rule::KeyTooOld,
        Rule::ConsoleWithoutMfa,
        Rule::MemberRootCredentials,
        Rule::SandboxLimits,
        Rule::SeveralMfaDevices,
        Rule::KeyUnused,
        Rule::UserDirectPolicy,
        Rule::PasswordPolicy,
    ];

    /// The stable name: in findings, `--ignore` and every output.
    pub fn id(self) -> &'static str {
        match self {
            Rule::RootAccessKeys => "root-access-keys",
            Rule::RootMfa => "root-mfa",
            Rule::KeyTooOld => "key-too-old",
            Rule::ConsoleWithoutMfa => "console-without-mfa",
            Rule::MemberRootCredentials => "member-root-credentials",
            Rule::SeveralMfaDevices => "several-mfa-devices",
            Rule::KeyUnused => "key-unused",
            Rule::UserDirectPolicy => "user-direct-policy",
            Rule::PasswordPolicy => "password-policy",
            Rule::SandboxLimits => "sandbox-limits",
        }
    }

    /// The severity of its findings (a member account's `root-mfa` is `High`).
    pub fn severity(self) -> Severity {
        match self {
            Rule::RootAccessKeys | Rule::RootMfa => Severity::Critical,
            Rule::KeyTooOld | Rule::ConsoleWithoutMfa | Rule::MemberRootCredentials | Rule::SandboxLimits => {
                Severity::High
            }
            Rule::SeveralMfaDevices | Rule::KeyUnused | Rule::UserDirectPolicy | Rule::PasswordPolicy => {
                Severity::Medium
            }
        }
    }

    /// When it is a finding, in one or two sentences (the HTML report's legend).
    pub fn description(self) -> &'static str {
        match self {
            Rule::RootAccessKeys => "The root user has access keys (iam:GetAccountSummary AccountAccessKeysPresent).",
            Rule::RootMfa => {
                "The management account's root user has no MFA device (AccountMFAEnabled). Member accounts only with --member-root-mfa (high)."
            }
            Rule::KeyTooOld => "An active access key is older than the maximum age.",
            Rule::ConsoleWithoutMfa => "A user has a console password and no MFA device.",
            Rule::MemberRootCredentials => {
                "A member account's root user still has a password, access keys, MFA devices or signing certificates (read in a privileged root session; with the blueprint's root_access section). --enforce removes them."
            }
            Rule::SeveralMfaDevices => {
                "A user has more than one MFA device: the first enrolment is trust on first use, so check each extra one."
            }
            Rule::KeyUnused => {
                "An active access key was not used for longer than the threshold, or never used and older than it."
            }
            Rule::UserDirectPolicy => "A user has managed policies attached directly, or inline policies.",
            Rule::PasswordPolicy => {
                "The account password policy is missing or weaker than the blueprint's (length, character classes, maximum age, reuse prevention)."
            }
            Rule::SandboxLimits => {
                "A sandbox of the blueprint's `sandbox` section has no sandbox-limits SCP attached, or no budget."
            }
        }
    }

    /// Whether `--enforce` deactivates the access key of its findings.
    pub fn deactivates_key(self) -> bool {
        matches!(self, Rule::KeyTooOld | Rule::KeyUnused)
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

impl FromStr for Rule {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Rule::ALL.into_iter().find(|r| r.id() == s).ok_or_else(|| {
            let ids: Vec<&str> = Rule::ALL.iter().map(|r| r.id()).collect();
            format!("unknown rule `{s}`; the rules are {}", ids.join(", "))
        })
    }
}

impl Serialize for Rule {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.id())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_parse_back_and_serialize_as_themselves() {
        for rule in Rule::ALL {
            assert_eq!(rule.id().parse::<Rule>(), Ok(rule));
            assert_eq!(serde_json::to_value(rule).unwrap(), serde_json::json!(rule.id()));
            assert!(Severity::AUDIT.contains(&rule.severity()), "{rule}");
        }
        let err = "root".parse::<Rule>().unwrap_err();
        assert!(err.starts_with("unknown rule `root`; the rules are root-access-keys, root-mfa,"), "{err}");
    }

    #[test]
    fn the_legend_is_most_severe_first() {
        assert!(Rule::ALL.windows(2).all(|w| w[0].severity() <= w[1].severity()));
    }
}
