//! `alerts.slack` and `alerts.iam_changes`: where the detective half's messages go, and which
//! IAM events are forwarded there.
//!
//! ```yaml
//! alerts:
//!   slack:
//!     account: log-archive                 # holds the central event bus (log-archive or shared)
//!     channel: "#security-alerts"          # a channel name or id the bot is a member of
//!     token_env: GROUNDWORK_SLACK_TOKEN    # the bot token (xoxb-...), from this variable,
//!     # token_file: /run/secrets/slack     # or from this file; never written here
//!     endpoint: https://slack.com/api/chat.postMessage   # default
//!   iam_changes:
//!     exclude: [CreateLoginProfile]        # narrow the default list, or
//!     # events: [...]                      # replace it
//! ```
//!
//! The token is read only from the environment or a file, at plan time, by the caller (never at
//! parse, never from YAML): a key that looks like it holds the secret itself (`token`,
//! `webhook_url`, ...) or a value that looks like a Slack token or webhook URL is an error. The
//! trail-tamper events ([`TAMPER_EVENTS`]) are always forwarded, whatever the list says.

use std::collections::BTreeSet;

use crate::diag::Diagnostic;
use crate::model::{Account, Purpose, Spanned};
use crate::schema::{Cx, did_you_mean};
use crate::yaml::{Node, NodeKind, Span};

/// Keys of `alerts.slack`.
pub(crate) const SLACK_KEYS: &[&str] = &["account", "channel", "token_env", "token_file", "endpoint"];
/// Keys that would hold the secret itself: refused with their own message.
pub(crate) const SECRET_KEYS: &[&str] = &["token", "bot_token", "webhook", "webhook_url", "url", "secret"];
/// Keys of `alerts.iam_changes`.
pub(crate) const IAM_CHANGES_KEYS: &[&str] = &["events", "exclude"];

/// Where the messages are posted by default: Slack's `chat.postMessage`.
pub const DEFAULT_SLACK_ENDPOINT: &str = "https://slack.com/api/chat.postMessage";

/// The IAM writes forwarded by default: every one that grants or widens access.
pub const DEFAULT_IAM_EVENTS: &[&str] = &[
    "AddUserToGroup",
    "AttachGroupPolicy",
    "AttachRolePolicy",
    "AttachUserPolicy",
    "CreateAccessKey",
    "CreateLoginProfile",
    "CreatePolicyVersion",
    "CreateRole",
    "CreateUser",
    "DeactivateMFADevice",
    "DeleteVirtualMFADevice",
    "PutGroupPolicy",
    "PutRolePermissionsBoundary",
    "PutRolePolicy",
    "PutUserPermissionsBoundary",
    "PutUserPolicy",
    "SetDefaultPolicyVersion",
    "UpdateAccessKey",
    "UpdateAssumeRolePolicy",
    "UpdateLoginProfile",
];

/// CloudTrail's own events that stop or blind the trail: always forwarded.
pub const TAMPER_EVENTS: &[&str] = &["DeleteTrail", "PutEventSelectors", "StopLogging", "UpdateTrail"];

/// Where the bot token is read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretSource {
    /// An environment variable's name.
    Env(String),
    /// A file's path (its content, trimmed).
    File(String),
}

impl std::fmt::Display for SecretSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SecretSource::Env(name) => write!(f, "env {name}"),
            SecretSource::File(path) => write!(f, "file {path}"),
        }
    }
}

impl SecretSource {
    /// The source a [`Display`](std::fmt::Display) rendering names (`env NAME`, `file PATH`).
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        if let Some(name) = text.strip_prefix("env ") {
            Some(SecretSource::Env(name.to_owned()))
        } else {
            text.strip_prefix("file ").map(|path| SecretSource::File(path.to_owned()))
        }
    }

    /// Reads the secret, trimmed. The error names the source, never the secret.
    ///
    /// # Errors
    /// When the variable is unset or empty, or the file cannot be read or is empty.
    pub fn read(&self) -> Result<String, String> {
        let value = match self {
            SecretSource::Env(name) => {
                std::env::var(name).map_err(|_| format!("the environment variable {name} is not set"))?
            }
            SecretSource::File(path) => {
                std::fs::read_to_string(path).map_err(|e| format!("reading the Slack token from {path}: {e}"))?
            }
        };
        let value = value.trim().to_owned();
        if value.is_empty() {
            return Err(format!("the Slack token from {self} is empty"));
        }
        Ok(value)
    }
}

/// The validated `alerts.slack`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertSlack {
    /// The account holding the central event bus, the connection and the API destination.
    pub account: String,
    /// The channel messages are posted to.
    pub channel: String,
    /// Where the bot token is read from (never the token).
    pub token: SecretSource,
    /// Where `token_env` or `token_file` is written, for an error when the token cannot be read.
    pub token_site: crate::Span,
    /// The URL messages are posted to.
    pub endpoint: String,
    /// The IAM event names forwarded (sorted, the tamper events not among them).
    pub iam_events: Vec<String>,
    /// The token's fingerprint, filled by the caller after reading the token at plan time;
    /// `None` straight after parsing.
    pub token_fingerprint: Option<String>,
}

/// Raw `alerts.slack` and `alerts.iam_changes`.
#[derive(Debug, Clone, Default)]
pub(crate) struct RawSlack {
    span: Option<Span>,
    account: Option<Spanned<String>>,
    channel: Option<Spanned<String>>,
    token_env: Option<Spanned<String>>,
    token_file: Option<Spanned<String>>,
    endpoint: Option<Spanned<String>>,
    iam_span: Option<Span>,
    events: Option<Vec<Spanned<String>>>,
    exclude: Vec<Spanned<String>>,
}

/// Whether `value` looks like a Slack secret (a token or an incoming-webhook URL).
fn looks_secret(value: &str) -> bool {
    let v = value.trim();
    ["xoxb-", "xoxp-", "xoxa-", "xoxe-", "xapp-"].iter().any(|p| v.starts_with(p)) || v.contains("hooks.slack.com/")
}

fn secret_in_yaml(cx: &mut Cx, span: Span, what: &str) {
    cx.push(
        Diagnostic::error(
            "blueprint::secret-in-blueprint",
            span,
            format!("{what}: the Slack secret is never written in the blueprint"),
        )
        .label("a secret here would be in version control and in every plan")
        .help("put the bot token in an environment variable or a file and name it: `token_env: GROUNDWORK_SLACK_TOKEN` or `token_file: /path/to/token`"),
    );
}

/// Reads `alerts.slack` into `raw`.
pub(crate) fn read_slack(cx: &mut Cx, node: &Node, raw: &mut RawSlack) {
    raw.span = Some(node.span);
    if let NodeKind::Map(entries) = &node.kind {
        for (k, _) in entries {
            if let NodeKind::Scalar { value, .. } = &k.kind
                && SECRET_KEYS.contains(&value.as_str())
            {
                secret_in_yaml(cx, k.span, &format!("`alerts.slack.{value}`"));
            }
        }
    }
    let allowed: Vec<&str> = SLACK_KEYS.iter().chain(SECRET_KEYS).copied().collect();
    let Some(f) = cx.map(node, "alerts.slack", &allowed) else { return };
    let string = |cx: &mut Cx, key: &str| {
        let s = f.get(key).and_then(|n| cx.string(n, &format!("alerts.slack.{key}")))?;
        if looks_secret(&s.value) {
            secret_in_yaml(
                cx,
                s.span,
                &format!("`alerts.slack.{key}` holds what looks like a Slack token or webhook URL"),
            );
            return None;
        }
        Some(s)
    };
    raw.account = string(cx, "account");
    raw.channel = string(cx, "channel");
    raw.token_env = string(cx, "token_env");
    raw.token_file = string(cx, "token_file");
    raw.endpoint = string(cx, "endpoint");
    if raw.account.is_none() && f.get("account").is_none() {
        cx.required(&f, "account", "alerts.slack");
    }
    if raw.channel.is_none() && f.get("channel").is_none() {
        cx.required(&f, "channel", "alerts.slack");
    }
}

/// Reads `alerts.iam_changes` into `raw`.
pub(crate) fn read_iam_changes(cx: &mut Cx, node: &Node, raw: &mut RawSlack) {
    raw.iam_span = Some(node.span);
    let Some(f) = cx.map(node, "alerts.iam_changes", IAM_CHANGES_KEYS) else { return };
    if let Some(e) = f.get("events")
        && let Some(items) = cx.list(e, "alerts.iam_changes.events")
    {
        raw.events = Some(items.iter().filter_map(|n| cx.string(n, "an IAM event name")).collect());
    }
    if let Some(e) = f.get("exclude")
        && let Some(items) = cx.list(e, "alerts.iam_changes.exclude")
    {
        raw.exclude = items.iter().filter_map(|n| cx.string(n, "an IAM event name")).collect();
    }
}

/// Validates `alerts.slack` and `alerts.iam_changes`; `None` when there is no `slack`.
pub(crate) fn lower(cx: &mut Cx, raw: &RawSlack, accounts: &[&Account]) -> Option<AlertSlack> {
    let Some(span) = raw.span else {
        if let Some(iam) = raw.iam_span {
            cx.push(
                Diagnostic::error(
                    "blueprint::iam-changes-without-slack",
                    iam,
                    "`alerts.iam_changes` needs `alerts.slack`",
                )
                .label("the IAM changes are forwarded to the Slack channel")
                .help("add `alerts.slack` with the account of the central bus, the channel and the token's source"),
            );
        }
        return None;
    };
    let errors = cx.diags.len();
    if let Some(a) = &raw.account {
        check_account(cx, a, accounts);
    }
    let token = match (&raw.token_env, &raw.token_file) {
        (Some(e), None) => {
            if e.value.is_empty() || !e.value.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                cx.push(
                    Diagnostic::error(
                        "blueprint::slack-token-source",
                        e.span,
                        format!("`{}` is not an environment variable name", e.value),
                    )
                    .label("letters, digits and `_` only")
                    .help("name the variable that holds the bot token, e.g. GROUNDWORK_SLACK_TOKEN"),
                );
            }
            Some(SecretSource::Env(e.value.clone()))
        }
        (None, Some(f)) => Some(SecretSource::File(f.value.clone())),
        (Some(_), Some(f)) => {
            cx.push(
                Diagnostic::error("blueprint::slack-token-source", f.span, "give the token's source once")
                    .label("`token_env` is set too")
                    .help("keep `token_env` or `token_file`, not both"),
            );
            None
        }
        (None, None) => {
            cx.push(
                Diagnostic::error(
                    "blueprint::slack-token-source",
                    Span { end: span.start, ..span },
                    "alerts.slack needs the bot token's source",
                )
                .label("alerts.slack starts here")
                .help("add `token_env: GROUNDWORK_SLACK_TOKEN` (or `token_file: PATH`); the token itself is never written here"),
            );
            None
        }
    };
    if let Some(c) = &raw.channel
        && (c.value.is_empty() || c.value.len() > 80 || c.value.contains(['"', '\\', '<', '>']))
    {
        cx.push(
            Diagnostic::error("blueprint::slack-channel", c.span, format!("`{}` is not a Slack channel", c.value))
                .label("1 to 80 characters, without quotes, backslashes or angle brackets")
                .help("a channel name (`#security-alerts`) or id (`C0123456789`)"),
        );
    }
    if let Some(e) = &raw.endpoint
        && !endpoint_ok(&e.value)
    {
        cx.push(
            Diagnostic::error(
                "blueprint::slack-endpoint",
                e.span,
                format!("`{}` is not an endpoint EventBridge posts to", e.value),
            )
            .label("expected an https:// URL")
            .help(
                "leave it out for Slack's chat.postMessage; http:// is accepted only on a loopback address, for tests",
            ),
        );
    }
    let iam_events = iam_events(cx, raw);
    if cx.diags.len() > errors {
        return None;
    }
    Some(AlertSlack {
        account: raw.account.as_ref()?.value.clone(),
        channel: raw.channel.as_ref()?.value.clone(),
        token: token?,
        token_site: raw.token_env.as_ref().or(raw.token_file.as_ref()).map_or(span, |t| t.span),
        endpoint: raw.endpoint.as_ref().map_or_else(|| DEFAULT_SLACK_ENDPOINT.to_owned(), |e| e.value.clone()),
        iam_events,
        token_fingerprint: None,
    })
}

fn endpoint_ok(url: &str) -> bool {
    let loopback = ["http://127.0.0.1:", "http://127.0.0.1/", "http://localhost:", "http://localhost/"];
    (url.starts_with("https://") && url.len() > "https://".len()) || loopback.iter().any(|p| url.starts_with(p))
}

fn check_account(cx: &mut Cx, name: &Spanned<String>, accounts: &[&Account]) {
    let Some(account) = accounts.iter().find(|a| a.name.value == name.value) else {
        let mut d = Diagnostic::error(
            "blueprint::unknown-account",
            name.span,
            format!("account `{}` is not in the blueprint", name.value),
        )
        .label("unknown account");
        d = match did_you_mean(&name.value, accounts.iter().map(|a| a.name.value.as_str())) {
            Some(s) => d.help(format!("did you mean `{s}`?")),
            None => d.help("name the log-archive account, or a `purpose: shared` security account"),
        };
        cx.push(d);
        return;
    };
    if !matches!(account.purpose, Purpose::LogArchive | Purpose::Shared) {
        cx.push(
            Diagnostic::error(
                "blueprint::slack-account",
                name.span,
                format!(
                    "account `{}` has purpose `{}`: the central bus belongs in a security account",
                    name.value, account.purpose
                ),
            )
            .label("not a log-archive or shared account")
            .help("name the log-archive account, or a `purpose: shared` account that holds security tooling"),
        );
    }
}

/// The IAM event names forwarded: the default list or `events`, minus `exclude`, sorted; an
/// unknown name is an error (a typo would silently never match).
fn iam_events(cx: &mut Cx, raw: &RawSlack) -> Vec<String> {
    let known: BTreeSet<&str> = DEFAULT_IAM_EVENTS.iter().copied().collect();
    let check = |cx: &mut Cx, e: &Spanned<String>, known: &BTreeSet<&str>| {
        if TAMPER_EVENTS.contains(&e.value.as_str()) {
            cx.push(
                Diagnostic::error(
                    "blueprint::iam-event",
                    e.span,
                    format!("`{}` is a trail-tamper event, always forwarded", e.value),
                )
                .label("always included")
                .help(format!("{} are forwarded whatever the list says; leave it out", TAMPER_EVENTS.join(", "))),
            );
            return false;
        }
        let ok = !e.value.is_empty()
            && e.value.chars().next().is_some_and(|c| c.is_ascii_uppercase())
            && e.value.chars().all(|c| c.is_ascii_alphanumeric());
        if !ok {
            let mut d = Diagnostic::error(
                "blueprint::iam-event",
                e.span,
                format!("`{}` is not an IAM API event name", e.value),
            )
            .label("expected an IAM API name such as AttachUserPolicy");
            if let Some(s) = did_you_mean(&e.value, known.iter().copied()) {
                d = d.help(format!("did you mean `{s}`?"));
            }
            cx.push(d);
        }
        ok
    };
    let mut events: BTreeSet<String> = match &raw.events {
        Some(list) => {
            let mut out = BTreeSet::new();
            for e in list {
                if check(cx, e, &known) {
                    out.insert(e.value.clone());
                }
            }
            out
        }
        None => DEFAULT_IAM_EVENTS.iter().map(|s| (*s).to_owned()).collect(),
    };
    for e in &raw.exclude {
        if !events.contains(&e.value) {
            let mut d = Diagnostic::error(
                "blueprint::iam-event",
                e.span,
                format!("`{}` is not among the forwarded IAM events", e.value),
            )
            .label("nothing to exclude");
            d = match did_you_mean(&e.value, events.iter().map(String::as_str)) {
                Some(s) => d.help(format!("did you mean `{s}`?")),
                None => {
                    d.help(format!("the forwarded events: {}", events.iter().cloned().collect::<Vec<_>>().join(", ")))
                }
            };
            cx.push(d);
        }
    }
    for e in &raw.exclude {
        events.remove(&e.value);
    }
    events.into_iter().collect()
}
