//! The blueprint's JSON Schema (draft 2020-12), for editors (`groundwork schema`).
//!
//! Each mapping the walker reads is described once here as an [`Obj`]: its keys, with their
//! type, enum, default and description. The key names are not written twice: an `Obj` names the
//! walker's own key constants (`LOGGING_KEYS`, ...), the ones `Cx::map` checks unknown keys
//! against, and the tests prove both directions (every described key is one the walker accepts,
//! every key the walker accepts is described; every `cx.map` call in this crate uses a constant
//! an `Obj` names). Enums and defaults come from the model's constants (`Purpose::ALL`,
//! `REGIONS`, `DEFAULT_*`). Decision record: docs/decisions/0022-blueprint-json-schema.md.

use serde_json::{Map, Value, json};

use crate::model::Purpose;

/// The JSON Schema dialect of the generated schema.
pub const SCHEMA_DIALECT: &str = "https://json-schema.org/draft/2020-12/schema";

/// The first line of a blueprint groundwork writes (`import`, `init`): editors running
/// yaml-language-server read the schema from the file `groundwork schema` writes beside it.
pub const SCHEMA_MODELINE: &str = "# yaml-language-server: $schema=blueprint.schema.json";

/// The blueprint `groundwork init` writes: the reference layout with placeholder names and
/// emails, valid as written (tested against the parser and the schema).
pub const STARTER_BLUEPRINT: &str = include_str!("starter.yaml");

/// A mapping the walker reads.
pub(crate) struct Obj {
    /// Its name under `$defs`.
    pub(crate) name: &'static str,
    pub(crate) desc: &'static str,
    /// The walker's key constants for this mapping (their union), by name and value.
    pub(crate) keys: &'static [(&'static str, &'static [&'static str])],
    pub(crate) props: &'static [Prop],
}

/// One key of a mapping.
pub(crate) struct Prop {
    pub(crate) name: &'static str,
    pub(crate) ty: Ty,
    pub(crate) desc: &'static str,
    pub(crate) required: bool,
    pub(crate) default: Option<fn() -> Value>,
}

/// A value's shape.
pub(crate) enum Ty {
    /// Text (the walker takes a number as its text, never a boolean or null).
    Str,
    /// A non-negative integer.
    Int,
    Bool,
    /// One of these words.
    Enum(&'static [&'static str]),
    /// A list (null reads as empty).
    List(&'static Ty),
    /// Text or a list of texts.
    Strings,
    /// A mapping of tag keys to values.
    Tags,
    Obj(&'static Obj),
    /// Any of these.
    OneOf(&'static [Ty]),
    /// A value the walker reads by hand (a policy document, a condition).
    Any,
    /// A key the walker knows only to refuse it with its own message.
    Refused,
}

/// Names a key constant: `keys!(crate::logging::LOGGING_KEYS)`.
macro_rules! keys {
    ($($path:path),+) => { &[$((stringify!($path), $path)),+] };
}

const fn p(name: &'static str, ty: Ty, desc: &'static str) -> Prop {
    Prop { name, ty, desc, required: false, default: None }
}
const fn req(name: &'static str, ty: Ty, desc: &'static str) -> Prop {
    Prop { name, ty, desc, required: true, default: None }
}
const fn d(name: &'static str, ty: Ty, desc: &'static str, default: fn() -> Value) -> Prop {
    Prop { name, ty, desc, required: false, default: Some(default) }
}

const PURPOSES: &[&str] = &{
    let mut out = [""; 5];
    let mut i = 0;
    while i < Purpose::ALL.len() {
        out[i] = Purpose::ALL[i].0;
        i += 1;
    }
    out
};
const REGION: Ty = Ty::Enum(crate::regions::REGIONS);
const REGION_WORDS: &[&str] = &["allowed", "home"];
const REGIONS_SETTING: &[Ty] = &[Ty::Enum(REGION_WORDS), Ty::List(&REGION)];
const TARGET: &[Ty] = &[Ty::Str, Ty::Obj(&TARGET_OBJ)];
const TARGETS: Ty = Ty::List(&Ty::OneOf(TARGET));

static TOP: Obj = Obj {
    name: "blueprint",
    desc: "A groundwork blueprint: one YAML document describing an AWS organization (docs/blueprint.md).",
    keys: keys!(crate::schema::TOP_KEYS),
    props: &[
        req("version", Ty::Enum(&["1"]), "The blueprint language version; this groundwork reads 1."),
        req("organization", Ty::Obj(&ORGANIZATION), "The organization and its management account."),
        p(
            "organizational_units",
            Ty::List(&Ty::Obj(&OU)),
            "The OU tree, nested with `children`; other sections name an OU by its path (`Workloads/Prod`).",
        ),
        p("accounts", Ty::List(&Ty::Obj(&ACCOUNT)), "Member accounts written out one by one."),
        p(
            "workload_defaults",
            Ty::Obj(&TEMPLATES),
            "Templates for every workload's accounts; a workload's own keys win.",
        ),
        p(
            "workloads",
            Ty::List(&Ty::Obj(&WORKLOAD)),
            "Workloads: one account per workload and environment, from the templates.",
        ),
        p(
            "logging",
            Ty::Obj(&LOGGING),
            "The organization trail and the log archive. Without it groundwork manages no trail.",
        ),
        p(
            "guardrails",
            Ty::Obj(&GUARDRAILS),
            "Service control policies and other Organizations policies, and where they are attached.",
        ),
        p("identity", Ty::Obj(&IDENTITY), "The identity hub: the one account where people have IAM users."),
        p("roles", Ty::List(&Ty::Obj(&ROLE)), "Roles deployed into member accounts."),
        p("baseline", Ty::Obj(&BASELINE), "Controls converged in every account (on by default)."),
        p("identity_center", Ty::Obj(&IDENTITY_CENTER), "Single sign-on through IAM Identity Center (opt-in)."),
        p("flow_logs", Ty::Obj(&FLOW_LOGS), "VPC flow logs on the VPCs the section selects."),
        p("root_access", Ty::Obj(&ROOT_ACCESS), "IAM's centralized root access for member accounts."),
        p("alerts", Ty::Obj(&ALERTS), "CIS detective controls on the organization trail (opt-in; needs `logging`)."),
        p("sandbox", Ty::Obj(&SANDBOX), "Sandbox accounts: the `sandbox-limits` guardrail and a monthly budget each."),
        p(
            "assertions",
            Ty::Any,
            "Access assertions checked by `groundwork explain` (docs/assertions.md); read by groundwork-assertions.",
        ),
    ],
};

static ORGANIZATION: Obj = Obj {
    name: "organization",
    desc: "The organization groundwork manages.",
    keys: keys!(crate::schema::ORGANIZATION_KEYS),
    props: &[
        req(
            "name",
            Ty::Str,
            "Name of the landing zone (1–64 letters, digits, `-`, `_`, `.`), written into the `groundwork:blueprint` tag.",
        ),
        req("home_region", REGION, "Where regional resources (the trail, buckets) live."),
        req("management_account", Ty::Obj(&MANAGEMENT), "The management account."),
        d(
            "feature_set",
            Ty::Enum(&["ALL"]),
            "Organizations feature set; only `ALL` (SCPs and organization trails need it).",
            || json!("ALL"),
        ),
        d(
            "access_role",
            Ty::Str,
            "The IAM role groundwork assumes in member accounts (a role name, not an ARN).",
            || json!(crate::DEFAULT_ACCESS_ROLE),
        ),
        p(
            "break_glass_role",
            Ty::Str,
            "A role name the built-in guardrails exempt and `protect-access-role` protects like the access role. Default: none.",
        ),
        p(
            "deployer_role",
            Ty::Str,
            "The role in the management account that runs groundwork; the only principal besides root a member's access role may trust. Default: none.",
        ),
        p(
            "execution_role",
            Ty::Str,
            "A dedicated role groundwork creates in every member account and assumes instead of the access role. Default: none.",
        ),
    ],
};

static MANAGEMENT: Obj = Obj {
    name: "management_account",
    desc: "The management account.",
    keys: keys!(crate::schema::MANAGEMENT_KEYS),
    props: &[
        req(
            "email",
            Ty::Str,
            "Its root email; groundwork refuses an organization whose management account has another.",
        ),
        p("name", Ty::Str, "For documentation; never changed."),
    ],
};

static OU: Obj = Obj {
    name: "organizational_unit",
    desc: "An organizational unit.",
    keys: keys!(crate::schema::OU_KEYS),
    props: &[
        req("name", Ty::Str, "1–128 characters, no `/`, unique among its siblings; `Root` is reserved at the top."),
        p("tags", Ty::Tags, "Tags of the OU."),
        p("children", Ty::List(&Ty::Obj(&OU)), "Nested OUs (at most 5 levels below the root)."),
    ],
};

static ACCOUNT: Obj = Obj {
    name: "account",
    desc: "A member account.",
    keys: keys!(crate::schema::ACCOUNT_KEYS),
    props: &[
        req("name", Ty::Str, "Account name, 1–50 printable ASCII characters, unique in the blueprint."),
        req("email", Ty::Str, "Root email; groundwork identifies accounts by email (unique, case-insensitive)."),
        req("ou", Ty::Str, "OU path (`Workloads/Prod`) or `Root`."),
        d(
            "purpose",
            Ty::Enum(PURPOSES),
            "What the account is for; at most one `log-archive` and one `identity`.",
            || json!("shared"),
        ),
        p("tags", Ty::Tags, "Tags (keys 1–128, values 0–256 characters; `aws:` and `groundwork:` are reserved)."),
    ],
};

static TEMPLATES: Obj = Obj {
    name: "workload_defaults",
    desc: "Templates for workload accounts. Placeholders: {workload}, {env}, {Workload}, {Env}, {org}.",
    keys: keys!(crate::schema::TEMPLATE_KEYS),
    props: &[
        d("account_name", Ty::Str, "The account name template.", || json!("{workload}-{env}")),
        p("email", Ty::Str, "The root email template (here or on every workload)."),
        p("ou", Ty::Str, "The OU path template, e.g. `Workloads/{Env}` (here or on every workload)."),
        d("purpose", Ty::Enum(PURPOSES), "The accounts' purpose.", || json!("workload")),
        p("tags", Ty::Tags, "Tags merged into every workload account's (a workload's own win)."),
    ],
};

static WORKLOAD: Obj = Obj {
    name: "workload",
    desc: "A workload: one account per environment.",
    keys: keys!(crate::schema::WORKLOAD_KEYS),
    props: &[
        req("name", Ty::Str, "1–32 lowercase letters, digits, dashes; unique."),
        req("environments", Ty::List(&Ty::Str), "Its environments (non-empty, no repeats)."),
        d("account_name", Ty::Str, "Overrides `workload_defaults.account_name`.", || json!("{workload}-{env}")),
        p("email", Ty::Str, "Overrides `workload_defaults.email`."),
        p("ou", Ty::Str, "Overrides `workload_defaults.ou`."),
        d("purpose", Ty::Enum(PURPOSES), "Overrides `workload_defaults.purpose`.", || json!("workload")),
        p("tags", Ty::Tags, "Merged with `workload_defaults.tags`; these win."),
    ],
};

static LOGGING: Obj = Obj {
    name: "logging",
    desc: "The organization trail and its log archive.",
    keys: keys!(crate::logging::LOGGING_KEYS),
    props: &[
        req("account", Ty::Str, "An account of the blueprint with `purpose: log-archive`."),
        req(
            "bucket",
            Ty::Str,
            "The log bucket; must contain {account_id} unless `global_bucket_name: true`. Placeholders: {account_id}, {org_id}, {region}.",
        ),
        req("trail", Ty::Str, "The CloudTrail trail name."),
        d("all_regions", Ty::Bool, "The trail records every region.", || json!(true)),
        d("log_file_validation", Ty::Bool, "CloudTrail log-file integrity validation.", || json!(true)),
        p("retention_days", Ty::Int, "Log objects expire after this many days (at least 1). Default: kept forever."),
        p(
            "object_lock",
            Ty::Obj(&OBJECT_LOCK),
            "S3 Object Lock default retention. `compliance` is irreversible. Default: none.",
        ),
        p(
            "kms_key_arn",
            Ty::Str,
            "A KMS key or alias ARN of your own, in the home region, instead of groundwork's key.",
        ),
        d(
            "kms_key",
            Ty::OneOf(&[Ty::Bool, Ty::Obj(&KMS_KEY)]),
            "The archive's KMS key groundwork makes: `true`, `false` (SSE-S3) or `{ alias: NAME }`.",
            || json!(true),
        ),
        p(
            "protection_exception_role",
            Ty::Str,
            "The one role of the log-archive account that may lift the bucket's protections. Default: none.",
        ),
        d("global_bucket_name", Ty::Bool, "Accept bucket names without {account_id}.", || json!(false)),
        p(
            "access_log_bucket",
            Ty::Str,
            "A second bucket receiving the log bucket's server access logs. Default: none.",
        ),
        p(
            "data_events",
            Ty::OneOf(&[Ty::Enum(&["all"]), Ty::List(&Ty::Str)]),
            "S3 data events the trail records: `all`, or a list of buckets (`log_bucket` is the log bucket). Default: none.",
        ),
        p(
            "flow_log_prefix",
            Ty::Str,
            "The archive admits VPC flow-log delivery under this key prefix. Default: only what `flow_logs` implies.",
        ),
    ],
};

static OBJECT_LOCK: Obj = Obj {
    name: "object_lock",
    desc: "S3 Object Lock default retention of the log bucket.",
    keys: keys!(crate::logging::OBJECT_LOCK_KEYS),
    props: &[
        req(
            "mode",
            Ty::Enum(&["governance", "compliance"]),
            "`governance` can be lifted with s3:BypassGovernanceRetention; `compliance` by nobody.",
        ),
        req("days", Ty::Int, "Retention in days (at least 1)."),
    ],
};

static KMS_KEY: Obj = Obj {
    name: "kms_key",
    desc: "The archive key groundwork makes.",
    keys: keys!(crate::logging::KMS_KEY_KEYS),
    props: &[d("alias", Ty::Str, "The key's alias, without `alias/`.", || json!(crate::DEFAULT_LOG_KEY_ALIAS))],
};

static GUARDRAILS: Obj = Obj {
    name: "guardrails",
    desc: "Organizations policies and their attachments.",
    keys: keys!(crate::guardrails::GUARDRAILS_KEYS),
    props: &[
        p("limits", Ty::Obj(&LIMITS), "The SCP quotas groundwork checks against."),
        p("policies", Ty::List(&Ty::Obj(&GUARDRAIL)), "The policies: a built-in or a custom document each."),
        p(
            "access_role_protection",
            Ty::Obj(&PROTECTION),
            "The `protect-access-role` SCP groundwork adds at Root when a guardrail exempts the access role.",
        ),
        d(
            "prune",
            Ty::Bool,
            "Delete the SCPs groundwork owns for this blueprint that `policies` no longer lists.",
            || json!(false),
        ),
        p(
            "tag_conventions",
            Ty::List(&Ty::Obj(&TAG_CONVENTION)),
            "The blueprint's tag keys and their values, for the `tag-conventions` tag policy.",
        ),
    ],
};

static LIMITS: Obj = Obj {
    name: "guardrail_limits",
    desc: "SCP quotas.",
    keys: keys!(crate::guardrails::LIMITS_KEYS),
    props: &[
        d("max_policy_chars", Ty::Int, "Largest SCP, in characters.", || json!(crate::DEFAULT_MAX_POLICY_CHARS)),
        d("max_per_target", Ty::Int, "Most SCPs attached to one target, FullAWSAccess included.", || {
            json!(crate::DEFAULT_MAX_PER_TARGET)
        }),
    ],
};

static PROTECTION: Obj = Obj {
    name: "access_role_protection",
    desc: "Turning `protect-access-role` off, with a reason.",
    keys: keys!(crate::guardrails::PROTECTION_KEYS),
    props: &[
        d("disabled", Ty::Bool, "`true` turns the protection off.", || json!(false)),
        p("reason", Ty::Str, "Why the access role may go unprotected (required with `disabled: true`)."),
    ],
};

static GUARDRAIL: Obj = Obj {
    name: "guardrail",
    desc: "An Organizations policy: exactly one of `builtin` and `document`.",
    keys: keys!(crate::guardrails::POLICY_KEYS),
    props: &[
        req("name", Ty::Str, "The policy name: 1–128 letters, digits and `_+=,.@-`; unique."),
        p(
            "description",
            Ty::Str,
            "Up to 512 characters. Default: a summary for a built-in, `Managed by groundwork` for a document.",
        ),
        d(
            "type",
            Ty::Enum(crate::org_policies::POLICY_TYPE_NAMES),
            "The Organizations policy type (a built-in has its own).",
            || json!("service_control"),
        ),
        p("builtin", Ty::Enum(crate::BUILTIN_GUARDRAILS), "A built-in guardrail (docs/guardrails.md)."),
        p(
            "document",
            Ty::Any,
            "A custom policy document, as YAML or a JSON object (docs/blueprint.md, Custom documents).",
        ),
        p("allowed_regions", Ty::List(&REGION), "For `deny-regions-outside` only: the regions allowed."),
        req("targets", TARGETS, "Where it is attached: `Root`, `{ ou: PATH }` or `{ account: NAME }`."),
    ],
};

static TARGET_OBJ: Obj = Obj {
    name: "target",
    desc: "An OU or an account (not both).",
    keys: keys!(crate::guardrails::TARGET_KEYS),
    props: &[
        p("ou", Ty::Str, "An OU path of `organizational_units`."),
        p("account", Ty::Str, "An account of the blueprint."),
    ],
};

static TAG_CONVENTION: Obj = Obj {
    name: "tag_convention",
    desc: "A tag key and its allowed values.",
    keys: keys!(crate::org_policies::TAG_CONVENTION_KEYS),
    props: &[
        req("key", Ty::Str, "The tag key as resources must write it."),
        p("values", Ty::List(&Ty::Str), "The values allowed. Default: any value."),
        p(
            "enforced_for",
            Ty::List(&Ty::Str),
            "Resource types (`ec2:instance`, ...) where AWS refuses non-compliant tagging.",
        ),
    ],
};

static IDENTITY: Obj = Obj {
    name: "identity",
    desc: "The identity hub.",
    keys: keys!(crate::identity::IDENTITY_KEYS),
    props: &[
        req("account", Ty::Str, "The hub: an account with `purpose: identity`, or `management` (with a warning)."),
        d("require_mfa", Ty::Bool, "Every group gets the ForceMFA policy.", || json!(true)),
        p("password_policy", Ty::Obj(&PASSWORD_POLICY), "The account password policy."),
        d("role_path", Ty::Str, "The IAM path of every role groundwork creates.", || json!(crate::DEFAULT_ROLE_PATH)),
        p("groups", Ty::List(&Ty::Obj(&GROUP)), "Groups in the hub."),
        p("users", Ty::List(&Ty::Obj(&USER)), "Users in the hub."),
        p("access_keys", Ty::Obj(&ACCESS_KEYS), "When programmatic users' keys are rotated."),
    ],
};

static PASSWORD_POLICY: Obj = Obj {
    name: "password_policy",
    desc: "The IAM account password policy.",
    keys: keys!(crate::identity::PASSWORD_KEYS),
    props: &[
        d("min_length", Ty::Int, "6–128; below 14 needs `allow_weak: true`.", || {
            json!(crate::PasswordPolicy::default().min_length)
        }),
        d("require_uppercase", Ty::Bool, "Passwords need an uppercase letter.", || json!(true)),
        d("require_lowercase", Ty::Bool, "Passwords need a lowercase letter.", || json!(true)),
        d("require_numbers", Ty::Bool, "Passwords need a digit.", || json!(true)),
        d("require_symbols", Ty::Bool, "Passwords need a symbol.", || json!(true)),
        d("max_age_days", Ty::Int, "1–1095.", || json!(crate::PasswordPolicy::default().max_age_days)),
        d("reuse_prevention", Ty::Int, "1–24 previous passwords that cannot be reused.", || {
            json!(crate::PasswordPolicy::default().reuse_prevention)
        }),
        d("allow_users_to_change", Ty::Bool, "Users may change their own password.", || json!(true)),
        d(
            "apply_to_all_accounts",
            Ty::Bool,
            "Superseded by `baseline.password_policy` (accepted with a warning).",
            || json!(false),
        ),
        d("allow_weak", Ty::Bool, "Accept `min_length` below 14, with a warning.", || json!(false)),
    ],
};

static GROUP: Obj = Obj {
    name: "group",
    desc: "An IAM group in the hub.",
    keys: keys!(crate::identity::GROUP_KEYS),
    props: &[
        req("name", Ty::Str, "IAM group name: 1–128 letters, digits and `_+=,.@-`."),
        p("grants", Ty::List(&Ty::Obj(&GRANT)), "Roles the members may assume, and where."),
        p("managed_policies", Ty::Strings, "Policy ARNs to attach (at most 10, ForceMFA included)."),
        p("statements", Ty::List(&Ty::Obj(&STATEMENT)), "Statements of the group's inline policy in the hub."),
        d("programmatic", Ty::Bool, "Every member is a programmatic user.", || json!(false)),
    ],
};

static GRANT: Obj = Obj {
    name: "grant",
    desc: "A role of the `roles` section (with `trust: hub`) the group's members may assume, narrowed by a selector.",
    keys: keys!(crate::identity::GRANT_KEYS),
    props: &[
        req("role", Ty::Str, "The role's name."),
        p("accounts", Ty::Strings, "Account names. Default: the role's accounts."),
        p("ous", Ty::Strings, "OU paths, with the OUs below them."),
        p("workloads", Ty::Strings, "Keep only these workloads' accounts."),
        p("environments", Ty::Strings, "Keep only these environments' accounts."),
    ],
};

static USER: Obj = Obj {
    name: "user",
    desc: "An IAM user in the hub.",
    keys: keys!(crate::identity::USER_KEYS),
    props: &[
        req("name", Ty::Str, "IAM user name: 1–64 letters, digits and `_+=,.@-`."),
        p("groups", Ty::Strings, "Groups of `identity.groups` (at most 10)."),
        d("console", Ty::Bool, "Give the user a console password.", || json!(false)),
        p("tags", Ty::Tags, "Tags (at most 46)."),
        d("programmatic", Ty::Bool, "Give the user one access key, rotated by `groundwork keys rotate`.", || {
            json!(false)
        }),
    ],
};

static ACCESS_KEYS: Obj = Obj {
    name: "access_keys",
    desc: "Rotation of programmatic users' keys (`grace_days + delete_after_days` < `max_key_age_days`).",
    keys: keys!(crate::access_keys::ACCESS_KEYS_KEYS),
    props: &[
        d("max_key_age_days", Ty::Int, "2–365: a key older than this is replaced.", || {
            json!(crate::DEFAULT_MAX_KEY_AGE_DAYS)
        }),
        d("grace_days", Ty::Int, "1–90: the old key is deactivated after this many days.", || {
            json!(crate::DEFAULT_KEY_GRACE_DAYS)
        }),
        d("delete_after_days", Ty::Int, "1–90: the deactivated key is deleted this many days later.", || {
            json!(crate::DEFAULT_KEY_DELETE_AFTER_DAYS)
        }),
    ],
};

static STATEMENT: Obj = Obj {
    name: "statement",
    desc: "An IAM policy statement written in YAML.",
    keys: keys!(crate::lint::STATEMENT_KEYS),
    props: &[
        p("Sid", Ty::Str, "Letters and digits, unique in the policy."),
        req("Effect", Ty::Enum(&["Allow", "Deny"]), "Allow or Deny."),
        p("Action", Ty::Strings, "`service:Action` patterns (or NotAction)."),
        p("NotAction", Ty::Strings, "`service:Action` patterns the statement does not cover."),
        p("Resource", Ty::Strings, "`*` or ARNs (or NotResource)."),
        p("NotResource", Ty::Strings, "ARNs the statement does not cover."),
        p("Condition", Ty::Any, "Operator → condition key → value or values."),
        p("Principal", Ty::Refused, "Not allowed: the policy belongs to the role or group itself."),
        p("NotPrincipal", Ty::Refused, "Not allowed: the policy belongs to the role or group itself."),
        p(
            "approved_exception",
            Ty::Str,
            "A reason exempting the statement from the least-privilege lint (not deployed).",
        ),
    ],
};

static ROLE: Obj = Obj {
    name: "role",
    desc: "A role deployed into member accounts.",
    keys: keys!(crate::identity::ROLE_KEYS),
    props: &[
        req("name", Ty::Str, "IAM role name: 1–64 letters, digits and `_+=,.@-`."),
        p("description", Ty::Str, "At most 1,000 characters."),
        req("select", Ty::Obj(&SELECTOR), "The accounts it is deployed in."),
        d("trust", Ty::Enum(&["hub", "ec2"]), "`hub`: the hub's IAM users with MFA; `ec2`: EC2 instances.", || {
            json!("hub")
        }),
        d("max_mfa_age_seconds", Ty::Int, "Hub trust: the MFA sign-in is at most this old (1–129,600).", || {
            json!(crate::DEFAULT_MAX_MFA_AGE_SECONDS)
        }),
        d(
            "session_name",
            Ty::Enum(&["username", "any"]),
            "Hub trust: `username` requires the session to be named after the hub user.",
            || json!("username"),
        ),
        d("max_session_seconds", Ty::Int, "3,600–43,200.", || json!(crate::identity::DEFAULT_MAX_SESSION_SECONDS)),
        p("managed_policies", Ty::Strings, "Policy ARNs to attach (at most 10)."),
        p("statements", Ty::List(&Ty::Obj(&STATEMENT)), "The role's inline policy; placeholders expand per account."),
    ],
};

static SELECTOR: Obj = Obj {
    name: "selector",
    desc: "Accounts: the union of `accounts` and `ous` (every member account without them), filtered by `workloads` and `environments`.",
    keys: keys!(crate::selector::SELECTOR_KEYS),
    props: &[
        p("accounts", Ty::Strings, "Account names (written or expanded)."),
        p("ous", Ty::Strings, "OU paths, with the OUs below them; `Root` is every account."),
        p("workloads", Ty::Strings, "Keep only these workloads' accounts."),
        p("environments", Ty::Strings, "Keep only these environments' accounts."),
    ],
};

static BASELINE: Obj = Obj {
    name: "baseline",
    desc: "Settings converged in every targeted account, the management account included.",
    keys: keys!(crate::baseline::BASELINE_KEYS),
    props: &[
        d("enabled", Ty::Bool, "`false` turns every control off.", || json!(true)),
        d("targets", TARGETS, "Which accounts: `Root`, `{ ou: PATH }`, `{ account: NAME }`.", || json!(["Root"])),
        d(
            "regions",
            Ty::OneOf(REGIONS_SETTING),
            "Where the regional controls live: `allowed`, `home`, or a list.",
            || json!("allowed"),
        ),
        d("s3_public_access_block", Ty::Bool, "S3's account-level public access block.", || json!(true)),
        d("ebs_encryption", Ty::Bool, "EBS encryption by default.", || json!(true)),
        d("password_policy", Ty::Bool, "The password policy of `identity.password_policy` in every account.", || {
            json!(true)
        }),
        p(
            "support_role",
            Ty::OneOf(&[Ty::Bool, Ty::Obj(&BASELINE_ROLE)]),
            "A role with AWSSupportAccess: `true`, `false` or `{ name, groups }`. Default: on with an `identity` section.",
        ),
        p(
            "security_audit_role",
            Ty::OneOf(&[Ty::Bool, Ty::Obj(&BASELINE_ROLE)]),
            "A role with SecurityAudit: `true`, `false` or `{ name, groups }`. Default: on with an `identity` section.",
        ),
    ],
};

static BASELINE_ROLE: Obj = Obj {
    name: "baseline_role",
    desc: "A baseline role.",
    keys: keys!(crate::baseline::ROLE_KEYS),
    props: &[
        p("name", Ty::Str, "The role's name (default `groundwork-support` / `groundwork-security-audit`)."),
        p("groups", Ty::Strings, "Hub groups whose members may assume it. Default: none."),
    ],
};

static IDENTITY_CENTER: Obj = Obj {
    name: "identity_center",
    desc: "IAM Identity Center (docs/identity-center.md).",
    keys: keys!(crate::identity_center::KEYS),
    props: &[
        p("region", REGION, "The Identity Center instance's region. Default: the home region."),
        p("groups", Ty::List(&Ty::Obj(&IC_GROUP)), "Groups of the identity store."),
        p("users", Ty::List(&Ty::Obj(&IC_USER)), "Users of the identity store."),
        p("permission_sets", Ty::List(&Ty::Obj(&PERMISSION_SET)), "Permission sets."),
        p("assignments", Ty::List(&Ty::Obj(&ASSIGNMENT)), "A permission set assigned to a group in accounts."),
    ],
};

static IC_GROUP: Obj = Obj {
    name: "identity_center_group",
    desc: "An identity store group.",
    keys: keys!(crate::identity_center::GROUP_KEYS),
    props: &[
        req("name", Ty::Str, "The group's display name."),
        d("create", Ty::Bool, "Create it (otherwise it is looked up).", || json!(false)),
        p("description", Ty::Str, "Default: `groundwork group NAME`."),
    ],
};

static IC_USER: Obj = Obj {
    name: "identity_center_user",
    desc: "An identity store user.",
    keys: keys!(crate::identity_center::USER_KEYS),
    props: &[
        req("name", Ty::Str, "The user name."),
        p("display_name", Ty::Str, "Default: given and family name."),
        req("given_name", Ty::Str, "Given name."),
        req("family_name", Ty::Str, "Family name."),
        p("email", Ty::Str, "Work email."),
        p("groups", Ty::Strings, "Groups of `identity_center.groups`."),
        p("programmatic", Ty::Refused, "Not accepted on Identity Center users."),
    ],
};

static PERMISSION_SET: Obj = Obj {
    name: "permission_set",
    desc: "A permission set.",
    keys: keys!(crate::identity_center::PERMISSION_SET_KEYS),
    props: &[
        req("name", Ty::Str, "1–32 letters, digits and `_+=,.@-`."),
        p("description", Ty::Str, "Its description."),
        d("session", Ty::Str, "Session duration, `1h` to `12h` (`90m`, `4h30m`).", || {
            json!(format!("{}h", crate::identity_center::MIN_SESSION_MINUTES / 60))
        }),
        p("relay_state", Ty::Str, "The console URL users land on."),
        p("managed_policies", Ty::Strings, "AWS-managed policies by short name or ARN."),
        p("customer_managed_policies", Ty::List(&Ty::Obj(&POLICY_REF)), "Customer-managed policy references."),
        p("statements", Ty::List(&Ty::Obj(&STATEMENT)), "The inline policy."),
        p("permissions_boundary", Ty::Obj(&BOUNDARY), "`{ managed: NAME }` or `{ name, path }`."),
    ],
};

static POLICY_REF: Obj = Obj {
    name: "policy_reference",
    desc: "A customer-managed policy, by name and path, in every assigned account.",
    keys: keys!(crate::identity_center::POLICY_REF_KEYS),
    props: &[req("name", Ty::Str, "The policy's name."), d("path", Ty::Str, "Its IAM path.", || json!("/"))],
};

static BOUNDARY: Obj = Obj {
    name: "permissions_boundary",
    desc: "An AWS-managed policy, or a customer-managed policy by name and path.",
    keys: keys!(crate::identity_center::BOUNDARY_KEYS),
    props: &[
        p("managed", Ty::Str, "An AWS-managed policy by name or ARN."),
        p("name", Ty::Str, "A customer-managed policy's name."),
        d("path", Ty::Str, "Its IAM path.", || json!("/")),
    ],
};

static ASSIGNMENT: Obj = Obj {
    name: "assignment",
    desc: "A permission set assigned to a group in the accounts of `targets`.",
    keys: keys!(crate::identity_center::ASSIGNMENT_KEYS),
    props: &[
        req("group", Ty::Str, "A group of `identity_center.groups`."),
        req("permission_set", Ty::Str, "A permission set of `identity_center.permission_sets`."),
        req("targets", TARGETS, "`Root`, `{ ou: PATH }` or `{ account: NAME }`."),
        p("workloads", Ty::Strings, "Keep only these workloads' accounts."),
        p("environments", Ty::Strings, "Keep only these environments' accounts."),
    ],
};

static FLOW_LOGS: Obj = Obj {
    name: "flow_logs",
    desc: "VPC flow logs (docs/flow-logs.md).",
    keys: keys!(crate::flow_logs::FLOW_LOGS_KEYS),
    props: &[
        p("select", Ty::Obj(&SELECTOR), "The accounts whose VPCs are looked at. Default: every member account."),
        d("regions", Ty::OneOf(REGIONS_SETTING), "`allowed`, `home`, or a list.", || json!("allowed")),
        req("vpcs", Ty::OneOf(&[Ty::Enum(&["all"]), Ty::Obj(&VPCS)]), "`all`, or `{ tags, names }`."),
        d("traffic", Ty::Enum(&["ALL", "ACCEPT", "REJECT"]), "Which traffic is logged.", || {
            json!(crate::flow_logs::DEFAULT_FLOW_LOG_TRAFFIC.as_aws())
        }),
        d("aggregation_interval", Ty::Int, "600 or 60 seconds.", || json!(crate::flow_logs::DEFAULT_FLOW_LOG_INTERVAL)),
        d("fields", Ty::List(&Ty::Enum(crate::flow_logs::FLOW_LOG_FIELDS)), "The record's fields, in order.", || {
            json!(crate::flow_logs::DEFAULT_FLOW_LOG_FIELDS)
        }),
        d(
            "destination",
            Ty::OneOf(&[Ty::Enum(&["archive"]), Ty::Obj(&DESTINATION)]),
            "`archive` (the log-archive bucket) or `{ cloudwatch_logs: ... }`.",
            || json!("archive"),
        ),
        d("prefix", Ty::Str, "The key prefix in the archive.", || json!(crate::flow_logs::DEFAULT_FLOW_LOG_PREFIX)),
        p("grants", Ty::Strings, "Roles in the log-archive account that may read the flow logs."),
    ],
};

static VPCS: Obj = Obj {
    name: "flow_log_vpcs",
    desc: "The VPCs selected by tag or by name (any match).",
    keys: keys!(crate::flow_logs::VPCS_KEYS),
    props: &[
        p("tags", Ty::Any, "Tag key → the value or values that select a VPC."),
        p("names", Ty::Strings, "Values of the VPC's `Name` tag."),
    ],
};

static DESTINATION: Obj = Obj {
    name: "flow_log_destination",
    desc: "A CloudWatch Logs destination.",
    keys: keys!(crate::flow_logs::DESTINATION_KEYS),
    props: &[req(
        "cloudwatch_logs",
        Ty::OneOf(&[Ty::Obj(&CLOUDWATCH), Ty::Any]),
        "A log group in each VPC's account and region.",
    )],
};

static CLOUDWATCH: Obj = Obj {
    name: "flow_log_cloudwatch_logs",
    desc: "The log group and the role the flow logs service writes with.",
    keys: keys!(crate::flow_logs::CLOUDWATCH_KEYS),
    props: &[
        d("log_group", Ty::Str, "The log group.", || json!(crate::flow_logs::DEFAULT_FLOW_LOG_GROUP)),
        d("role", Ty::Str, "The role's name.", || json!(crate::flow_logs::DEFAULT_FLOW_LOG_ROLE)),
    ],
};

static ROOT_ACCESS: Obj = Obj {
    name: "root_access",
    desc: "IAM centralized root access (docs/root-access.md).",
    keys: keys!(crate::root_access::ROOT_ACCESS_KEYS),
    props: &[
        d("credentials_management", Ty::Bool, "Member accounts' root credentials are managed centrally.", || {
            json!(crate::root_access::DEFAULT_ROOT_CREDENTIALS_MANAGEMENT)
        }),
        d("root_sessions", Ty::Bool, "Privileged root sessions from the management account.", || {
            json!(crate::root_access::DEFAULT_ROOT_SESSIONS)
        }),
    ],
};

static ALERTS: Obj = Obj {
    name: "alerts",
    desc: "Metric filters and alarms on the organization trail (docs/alerts.md).",
    keys: keys!(crate::alerts::ALERTS_KEYS),
    props: &[
        p("log_group", Ty::Obj(&ALERT_LOG_GROUP), "The CloudWatch Logs group the trail delivers to."),
        d("namespace", Ty::Str, "The metrics' namespace.", || json!(crate::DEFAULT_NAMESPACE)),
        d(
            "cis",
            Ty::OneOf(&[Ty::Bool, Ty::Obj(&CIS)]),
            "The CIS controls 4.1 to 4.15: `true`, `false` or `{ exclude: [...] }`.",
            || json!(true),
        ),
        p("custom", Ty::List(&Ty::Obj(&CUSTOM)), "Custom filters and alarms."),
        p("topic", Ty::Obj(&TOPIC), "The SNS topic every alarm notifies."),
        p("slack", Ty::Obj(&SLACK), "Where IAM changes and alarm state changes are posted (EventBridge to Slack)."),
        p("iam_changes", Ty::Obj(&IAM_CHANGES), "Which IAM events are forwarded to Slack (needs `slack`)."),
    ],
};

const SECRET_IN_YAML: &str =
    "Not allowed: the secret is read from `token_env` or `token_file`, never from the blueprint.";

static SLACK: Obj = Obj {
    name: "alerts_slack",
    desc: "The Slack channel: the central event bus's account, the channel, where the bot token is read from.",
    keys: keys!(crate::slack::SLACK_KEYS, crate::slack::SECRET_KEYS),
    props: &[
        req("account", Ty::Str, "The account (purpose log-archive or shared) holding the central event bus."),
        req("channel", Ty::Str, "The channel name or id the bot posts to."),
        p(
            "token_env",
            Ty::Str,
            "The environment variable holding the bot token (exactly one of `token_env`, `token_file`).",
        ),
        p("token_file", Ty::Str, "The file holding the bot token (exactly one of `token_env`, `token_file`)."),
        d("endpoint", Ty::Str, "The HTTPS endpoint messages are posted to.", || {
            json!(crate::slack::DEFAULT_SLACK_ENDPOINT)
        }),
        p("token", Ty::Refused, SECRET_IN_YAML),
        p("bot_token", Ty::Refused, SECRET_IN_YAML),
        p("webhook", Ty::Refused, SECRET_IN_YAML),
        p("webhook_url", Ty::Refused, SECRET_IN_YAML),
        p("url", Ty::Refused, SECRET_IN_YAML),
        p("secret", Ty::Refused, SECRET_IN_YAML),
    ],
};

static IAM_CHANGES: Obj = Obj {
    name: "alerts_iam_changes",
    desc: "The IAM events forwarded to Slack; the trail-tamper events are always forwarded.",
    keys: keys!(crate::slack::IAM_CHANGES_KEYS),
    props: &[
        d("events", Ty::List(&Ty::Str), "The IAM events (replaces the default list).", || {
            json!(crate::slack::DEFAULT_IAM_EVENTS)
        }),
        p("exclude", Ty::List(&Ty::Str), "Events left out of the list."),
    ],
};

static ALERT_LOG_GROUP: Obj = Obj {
    name: "alerts_log_group",
    desc: "The trail's log group in the management account's home region.",
    keys: keys!(crate::alerts::LOG_GROUP_KEYS),
    props: &[
        d("name", Ty::Str, "Its name.", || json!(crate::DEFAULT_LOG_GROUP)),
        d("retention_days", Ty::Int, "A retention CloudWatch Logs offers.", || {
            json!(crate::alerts::DEFAULT_LOG_RETENTION_DAYS)
        }),
        p("kms_key_arn", Ty::Str, "A KMS key ARN for the log group. Default: none."),
    ],
};

static CIS: Obj = Obj {
    name: "alerts_cis",
    desc: "The CIS controls, minus some.",
    keys: keys!(crate::alerts::CIS_KEYS),
    props: &[p("exclude", Ty::List(&Ty::Str), "Control ids left out, e.g. `\"4.12\"`.")],
};

static CUSTOM: Obj = Obj {
    name: "alerts_custom",
    desc: "A custom metric filter and alarm.",
    keys: keys!(crate::alerts::CUSTOM_KEYS),
    props: &[
        req("name", Ty::Str, "Its name."),
        p("pattern", Ty::Str, "The CloudWatch Logs filter pattern."),
        p("metric", Ty::Str, "The metric. Default: the name."),
        p("namespace", Ty::Str, "Default: `alerts.namespace`."),
        d("alarm", Ty::Bool, "Make an alarm on the metric.", || json!(true)),
        d("threshold", Ty::Int, "The alarm's threshold.", || json!(crate::alerts::DEFAULT_THRESHOLD)),
        d("period", Ty::Int, "The alarm's period in seconds.", || json!(crate::alerts::DEFAULT_PERIOD_SECONDS)),
        p("description", Ty::Str, "The alarm's description."),
    ],
};

static TOPIC: Obj = Obj {
    name: "alerts_topic",
    desc: "The SNS topic.",
    keys: keys!(crate::alerts::TOPIC_KEYS),
    props: &[
        d("name", Ty::Str, "Its name.", || json!(crate::DEFAULT_TOPIC)),
        p("email", Ty::List(&Ty::Str), "E-mail subscribers."),
    ],
};

static SANDBOX: Obj = Obj {
    name: "sandbox",
    desc: "Sandboxes: which accounts (a selector; default every account with `purpose: sandbox`), the instance types, the budget.",
    keys: keys!(crate::selector::SELECTOR_KEYS, crate::sandbox::SANDBOX_KEYS),
    props: &[
        p("accounts", Ty::Strings, "Account names."),
        p("ous", Ty::Strings, "OU paths, with the OUs below them."),
        p("workloads", Ty::Strings, "Keep only these workloads' accounts."),
        p("environments", Ty::Strings, "Keep only these environments' accounts."),
        d(
            "instance_types",
            Ty::List(&Ty::Str),
            "`ec2:InstanceType` patterns `sandbox-limits` lets RunInstances start.",
            || json!(crate::sandbox::DEFAULT_INSTANCE_TYPES),
        ),
        p("budget", Ty::Obj(&BUDGET), "The monthly budget in each sandbox account."),
    ],
};

static BUDGET: Obj = Obj {
    name: "sandbox_budget",
    desc: "A sandbox's monthly cost budget.",
    keys: keys!(crate::sandbox::BUDGET_KEYS),
    props: &[
        d("monthly_limit_usd", Ty::Int, "The limit in whole USD (at least 1).", || {
            json!(crate::sandbox::DEFAULT_MONTHLY_LIMIT_USD)
        }),
        d(
            "thresholds",
            Ty::List(&Ty::Int),
            "Percentages of the limit (1–1,000) at which actual spend notifies.",
            || json!(crate::sandbox::DEFAULT_THRESHOLDS),
        ),
        d("owner_email_tag", Ty::Str, "The account tag holding the owner's e-mail.", || {
            json!(crate::sandbox::DEFAULT_OWNER_EMAIL_TAG)
        }),
        p("owner_email", Ty::Str, "Where notifications go for a sandbox without that tag."),
    ],
};

/// Every described mapping, the root first.
pub(crate) fn objects() -> Vec<&'static Obj> {
    fn visit(obj: &'static Obj, out: &mut Vec<&'static Obj>) {
        if out.iter().any(|o| std::ptr::eq(*o, obj)) {
            return;
        }
        out.push(obj);
        for prop in obj.props {
            visit_ty(&prop.ty, out);
        }
    }
    fn visit_ty(ty: &'static Ty, out: &mut Vec<&'static Obj>) {
        match ty {
            Ty::Obj(o) => visit(o, out),
            Ty::List(t) => visit_ty(t, out),
            Ty::OneOf(ts) => ts.iter().for_each(|t| visit_ty(t, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    visit(&TOP, &mut out);
    out
}

fn text() -> Value {
    json!({ "type": ["string", "number"] })
}

fn ty_schema(ty: &Ty) -> Value {
    match ty {
        Ty::Str => text(),
        Ty::Int => json!({ "type": "integer", "minimum": 0 }),
        Ty::Bool => json!({ "type": "boolean" }),
        // A number written bare (`version: 1`) is read as its text too.
        Ty::Enum(words) => {
            let values: Vec<Value> =
                words.iter().map(|w| w.parse::<u64>().map_or_else(|_| json!(w), |n| json!(n))).collect();
            json!({ "enum": values })
        }
        Ty::List(item) => json!({ "type": ["array", "null"], "items": ty_schema(item) }),
        Ty::Strings => json!({ "anyOf": [text(), { "type": ["array", "null"], "items": text() }] }),
        Ty::Tags => {
            json!({ "type": ["object", "null"], "additionalProperties": { "type": ["string", "number", "null"] } })
        }
        Ty::Obj(o) => json!({ "$ref": format!("#/$defs/{}", o.name) }),
        Ty::OneOf(tys) => json!({ "anyOf": tys.iter().map(ty_schema).collect::<Vec<_>>() }),
        Ty::Any => json!({}),
        Ty::Refused => json!(false),
    }
}

fn obj_schema(obj: &Obj) -> Value {
    let mut props = Map::new();
    // The properties are the walker's keys, in its order; each is described once, below.
    for key in obj.keys.iter().flat_map(|(_, keys)| keys.iter()) {
        let prop = obj
            .props
            .iter()
            .find(|p| p.name == *key)
            .unwrap_or_else(|| panic!("`{key}` of {} is undescribed", obj.name));
        let mut s = ty_schema(&prop.ty);
        if let Value::Object(m) = &mut s {
            m.insert("description".into(), json!(prop.desc));
            if let Some(default) = prop.default {
                m.insert("default".into(), default());
            }
        } else {
            // `false`: refused keys keep their explanation.
            s = json!({ "not": {}, "description": prop.desc });
        }
        props.insert(prop.name.into(), s);
    }
    let required: Vec<&str> = obj.props.iter().filter(|p| p.required).map(|p| p.name).collect();
    let mut s = json!({
        "type": "object",
        "description": obj.desc,
        "properties": props,
        "additionalProperties": false,
    });
    if !required.is_empty() {
        s["required"] = json!(required);
    }
    s
}

/// The schema as `groundwork schema` prints it and `schema/blueprint.schema.json` holds it.
pub fn json_schema_text() -> String {
    let mut text = serde_json::to_string_pretty(&json_schema()).expect("a JSON value");
    text.push('\n');
    text
}

/// The blueprint's JSON Schema.
pub fn json_schema() -> Value {
    let objects = objects();
    let mut defs = Map::new();
    for obj in &objects[1..] {
        defs.insert(obj.name.into(), obj_schema(obj));
    }
    let mut root = obj_schema(&TOP);
    let m = root.as_object_mut().expect("an object");
    let mut head = Map::new();
    head.insert("$schema".into(), json!(SCHEMA_DIALECT));
    head.insert("title".into(), json!("groundwork blueprint, version 1"));
    head.extend(std::mem::take(m));
    head.insert("$defs".into(), Value::Object(defs));
    Value::Object(head)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    /// Both directions, for every mapping: a described key is one the walker accepts, and a
    /// key the walker accepts is described.
    #[test]
    fn every_described_mapping_has_exactly_the_walkers_keys() {
        for obj in objects() {
            let walker: BTreeSet<&str> = obj.keys.iter().flat_map(|(_, k)| k.iter().copied()).collect();
            let described: BTreeSet<&str> = obj.props.iter().map(|p| p.name).collect();
            assert_eq!(described.len(), obj.props.len(), "{}: a key described twice", obj.name);
            let missing: Vec<_> = walker.difference(&described).collect();
            let extra: Vec<_> = described.difference(&walker).collect();
            assert!(
                missing.is_empty() && extra.is_empty(),
                "{}: undescribed {missing:?}, unknown to the walker {extra:?}",
                obj.name
            );
            assert!(obj.props.iter().all(|p| !p.desc.is_empty()), "{}: a key without a description", obj.name);
        }
    }

    /// The constants `cx.map` checks keys against, named by module (`logging::LOGGING_KEYS`).
    fn named_constants() -> BTreeSet<String> {
        objects()
            .iter()
            .flat_map(|o| o.keys.iter().map(|(name, _)| name.replace(' ', "").trim_start_matches("crate::").to_owned()))
            .collect()
    }

    /// Every `cx.map(...)` in this crate checks its keys against a constant some `Obj` names, so
    /// a mapping the walker reads cannot be missing from the schema. The exceptions read a
    /// constant through a parameter (the constant is named at the call sites, checked here
    /// too) or are documents the schema leaves open.
    #[test]
    fn every_mapping_the_walker_reads_is_described() {
        const INDIRECT: &[(&str, &str)] = &[
            // read_templates(.., TEMPLATE_KEYS) / read_policy_ref(.., POLICY_REF_KEYS | BOUNDARY_KEYS)
            ("schema", "allowed"),
            ("identity_center", "keys"),
            // SELECTOR_KEYS ∪ SANDBOX_KEYS, both named by the sandbox `Obj`.
            ("sandbox", "&keys"),
            // SLACK_KEYS ∪ SECRET_KEYS, both named by the slack `Obj`.
            ("slack", "&allowed"),
            // A guardrail's `document` (any policy type) is open in the schema.
            ("policy", "DOCUMENT_KEYS"),
            ("policy", "STATEMENT_KEYS"),
        ];
        let named = named_constants();
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut calls = 0;
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let module = path.file_stem().unwrap().to_string_lossy().into_owned();
            if module == "json_schema" {
                continue;
            }
            let src = std::fs::read_to_string(&path).unwrap();
            for (at, _) in src.match_indices("cx.map(") {
                let rest = &src[at + "cx.map(".len()..];
                let mut depth = 0;
                let end = rest
                    .char_indices()
                    .find(|&(_, c)| {
                        match c {
                            '(' | '[' => depth += 1,
                            ')' | ']' if depth > 0 => depth -= 1,
                            ')' => return true,
                            _ => {}
                        }
                        false
                    })
                    .map(|(i, _)| i)
                    .unwrap();
                let last = rest[..end].rsplit(',').map(str::trim).find(|s| !s.is_empty()).unwrap();
                calls += 1;
                if INDIRECT.contains(&(module.as_str(), last)) {
                    continue;
                }
                let qualified = format!("{module}::{last}");
                assert!(
                    named.contains(&qualified),
                    "{module}.rs: cx.map(.., {last}) reads a mapping the schema does not describe"
                );
            }
        }
        assert!(calls > 30, "{calls}");
    }
}
