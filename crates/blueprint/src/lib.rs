//! The groundwork blueprint language: a versioned YAML document describing an AWS organization.
//!
//! This crate owns parsing with exact source spans, schema and semantic validation (reporting
//! every problem at once, each with `file:line:column`, a label and a help text), and the
//! expansion of `workloads` × environments into ordinary accounts. It never talks to AWS.
//!
//! ```
//! let src = br#"
//! version: 1
//! organization:
//!   name: acme
//!   home_region: eu-west-1
//!   management_account: { email: aws-root@acme.example }
//! organizational_units:
//!   - name: Workloads
//!     children: [{ name: Prod }]
//! workload_defaults:
//!   email: "aws+{workload}-{env}@acme.example"
//!   ou: "Workloads/{Env}"
//! workloads:
//!   - { name: jira, environments: [prod] }
//! "#;
//! let parsed = groundwork_blueprint::parse("acme.yaml", src).unwrap();
//! assert_eq!(parsed.blueprint.accounts[0].name.value, "jira-prod");
//! ```

mod access_keys;
mod alerts;
mod baseline;
mod builtins;
mod diag;
pub mod flow_logs;
mod guardrails;
pub mod iam;
mod identity;
mod identity_center;
mod intel;
mod json_schema;
mod lint;
mod logging;
mod model;
pub mod org_policies;
mod policy;
mod posture;
pub mod regions;
pub mod root_access;
pub mod sandbox;
mod schema;
mod selector;
mod severity;
mod slack;
pub mod synthetic;
pub mod template;
mod validate;
pub mod yaml;

use std::sync::Arc;

pub use access_keys::{AccessKeys, DEFAULT_KEY_DELETE_AFTER_DAYS, DEFAULT_KEY_GRACE_DAYS, DEFAULT_MAX_KEY_AGE_DAYS};
pub use alerts::{
    AlertAlarm, AlertFilter, AlertLogGroup, AlertTopic, Alerts, CIS_CONTROLS, CisControl, DEFAULT_LOG_GROUP,
    DEFAULT_LOG_RETENTION_DAYS, DEFAULT_NAMESPACE, DEFAULT_PERIOD_SECONDS, DEFAULT_THRESHOLD, DEFAULT_TOPIC, cis_name,
};
pub use builtins::{
    ACCESS_ROLE_PROTECTED_ACTIONS, BUILTIN_GUARDRAILS, EXEMPTING_BUILTINS, GLOBAL_SERVICE_ACTIONS,
    LOG_BUCKET_PROTECTED_ACTIONS, LOG_KEY_PROTECTED_ACTIONS, SANDBOX_COMMITMENT_ACTIONS, SANDBOX_NETWORK_ACTIONS,
};
pub use diag::{Diagnostic, Diagnostics, Related};
pub use guardrails::{DEFAULT_ACCESS_ROLE, DEFAULT_MAX_PER_TARGET, DEFAULT_MAX_POLICY_CHARS, PROTECT_ACCESS_ROLE};
pub use identity::{MANAGEMENT_HUB, MIN_PASSWORD_LENGTH};
pub use intel::{check_policy_document, wildcard_actions};
pub use json_schema::{SCHEMA_DIALECT, SCHEMA_MODELINE, STARTER_BLUEPRINT, json_schema, json_schema_text};
pub use lint::{
    ACCOUNT_ID_CHARS, ASSUME_BASELINE_SID, ASSUME_ROLE_SID, EXCEPTION_KEY, MAX_GROUP_INLINE_POLICY_CHARS,
    MAX_GROUPS_PER_USER, MAX_MANAGED_POLICIES, MAX_MANAGED_POLICY_CHARS, MAX_ROLE_INLINE_POLICY_CHARS,
    assume_baseline_statement, assume_role_statement, baseline_roles_of, force_mfa_policy, group_document,
    group_inline_policy, policy_document, role_arn, role_inline_policy,
};
pub use logging::{BUCKET_PLACEHOLDERS, DEFAULT_LOG_KEY_ALIAS, LOG_BUCKET_WORD};
pub use model::{
    Account, AccountOrigin, Baseline, BaselineRole, Blueprint, Boundary, DEFAULT_MAX_MFA_AGE_SECONDS,
    DEFAULT_ROLE_PATH, DEFAULT_SECURITY_AUDIT_ROLE, DEFAULT_SUPPORT_ROLE, DOCUMENT_PLACEHOLDERS, DataEvents,
    FeatureSet, Grant, Group, Guardrail, Guardrails, IcAssignment, IcGroup, IcPermissionSet, Identity, IdentityCenter,
    Logging, ObjectLock, ObjectLockMode, Organization, OrganizationalUnit, OuPath, PasswordPolicy, PolicyRef, Purpose,
    Regions, Role, RoleTrust, SECURITY_AUDIT_POLICY_ARN, SUPPORT_POLICY_ARN, SessionName, Spanned, Tags, Target, User,
    iso_duration,
};
pub use policy::{POLICY_VERSION, scp_size};
pub use severity::Severity;
pub use slack::{AlertSlack, DEFAULT_IAM_EVENTS, DEFAULT_SLACK_ENDPOINT, SecretSource, TAMPER_EVENTS};
pub use template::{ACCOUNT_ID_LEN, ORG_ID_MAX_LEN};
pub use validate::{MAX_ACCOUNT_NAME, MAX_OU_DEPTH, MAX_OU_NAME, email_problem};
pub use yaml::{MAX_DEPTH, MAX_INPUT_BYTES, Span};

/// A blueprint that passed validation, with any warnings found on the way.
#[derive(Debug, Clone)]
pub struct Parsed {
    /// The validated blueprint.
    pub blueprint: Blueprint,
    /// Warnings (never errors).
    pub warnings: Diagnostics,
}

/// Parses and validates a blueprint from its bytes. `name` is how the file is shown in
/// diagnostics. Returns every error found, or the blueprint.
pub fn parse(name: &str, bytes: &[u8]) -> Result<Parsed, Diagnostics> {
    let diagnostics = |source: Arc<str>, items: Vec<Diagnostic>| {
        let mut items = items;
        items.sort_by_key(|d| (d.span.start, d.code));
        Diagnostics { name: name.to_owned(), source, items }
    };
    if bytes.len() > MAX_INPUT_BYTES {
        let d = Diagnostic::error(
            "blueprint::too-large",
            Span { start: 0, end: 0, line: 1, col: 1 },
            format!("blueprint is {} bytes, more than the {MAX_INPUT_BYTES} bytes groundwork accepts", bytes.len()),
        )
        .help("a blueprint describes an organization; it is never this large");
        return Err(diagnostics(Arc::from(""), vec![d]));
    }
    let src = match std::str::from_utf8(bytes) {
        Ok(s) => s,
        Err(e) => {
            let good = &bytes[..e.valid_up_to()];
            let line = String::from_utf8_lossy(good).lines().count().max(1) + usize::from(good.ends_with(b"\n"));
            let line_start = good.iter().rposition(|b| *b == b'\n').map_or(0, |p| p + 1);
            let col = String::from_utf8_lossy(&good[line_start..]).chars().count() + 1;
            let lossy: Arc<str> = Arc::from(String::from_utf8_lossy(bytes).as_ref());
            let start = String::from_utf8_lossy(good).len();
            let d = Diagnostic::error(
                "blueprint::not-utf8",
                Span { start, end: start + 1, line, col },
                format!("blueprint is not valid UTF-8 (byte offset {})", e.valid_up_to()),
            )
            .label("invalid byte")
            .help("save the file as UTF-8");
            return Err(diagnostics(lossy, vec![d]));
        }
    };
    let source: Arc<str> = Arc::from(src);
    let root = match yaml::parse(src) {
        Ok(Some(root)) => root,
        Ok(None) => {
            let d =
                Diagnostic::error("blueprint::empty", Span { start: 0, end: 0, line: 1, col: 1 }, "blueprint is empty")
                    .help("start with `version: 1` and an `organization:` section");
            return Err(diagnostics(source, vec![d]));
        }
        Err(e) => {
            let mut d = Diagnostic::error("blueprint::yaml", e.span, e.message).label("here");
            if let Some(h) = e.help {
                d = d.help(h);
            }
            return Err(diagnostics(source, vec![d]));
        }
    };
    let mut cx = schema::Cx::new();
    let raw = schema::read(&mut cx, &root);
    let blueprint = validate::lower(&mut cx, src, raw);
    if let Some(bp) = &blueprint {
        posture::check(&mut cx, &root, bp);
    }
    let result = diagnostics(source, cx.diags);
    match blueprint {
        Some(blueprint) if !result.has_errors() => Ok(Parsed { blueprint, warnings: result }),
        _ => Err(result),
    }
}

/// Reads and parses a blueprint file. I/O errors become a diagnostic too.
pub fn load(path: &std::path::Path) -> Result<Parsed, Diagnostics> {
    use std::io::Read;
    let name = path.display().to_string();
    let read = std::fs::File::open(path).and_then(|f| {
        // Read one byte past the limit, so a huge file is rejected without reading it whole.
        let mut buf = Vec::new();
        f.take(MAX_INPUT_BYTES as u64 + 1).read_to_end(&mut buf)?;
        Ok(buf)
    });
    match read {
        Ok(bytes) => parse(&name, &bytes),
        Err(e) => Err(Diagnostics {
            name: name.clone(),
            source: Arc::from(""),
            items: vec![Diagnostic::error(
                "blueprint::io",
                Span { start: 0, end: 0, line: 1, col: 1 },
                format!("cannot read {name}: {e}"),
            )],
        }),
    }
}
