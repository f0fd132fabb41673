//! The `logging` section: the log-archive account, its bucket and the organization trail.

use std::fmt::Write as _;

use crate::diag::Diagnostic;
use crate::model::{Account, DataEvents, Logging, ObjectLock, ObjectLockMode, Purpose, Spanned};
use crate::policy::piece_span;
use crate::schema::{Cx, did_you_mean};
use crate::template::{self, ACCOUNT_ID_LEN, Context, ORG_ID_MAX_LEN, Placeholder, Template};
use crate::yaml::{Node, NodeKind, PlainType, scalar_type};

/// Keys of the `logging` section.
pub(crate) const LOGGING_KEYS: &[&str] = &[
    "account",
    "bucket",
    "trail",
    "all_regions",
    "log_file_validation",
    "retention_days",
    "object_lock",
    "kms_key_arn",
    "kms_key",
    "protection_exception_role",
    "global_bucket_name",
    "access_log_bucket",
    "data_events",
    "flow_log_prefix",
];

/// Keys of `logging.object_lock`.
pub(crate) const OBJECT_LOCK_KEYS: &[&str] = &["mode", "days"];
/// Keys of `logging.kms_key` written as a mapping.
pub(crate) const KMS_KEY_KEYS: &[&str] = &["alias"];

/// Placeholders a bucket name may use.
pub use crate::template::BUCKET as BUCKET_PLACEHOLDERS;

/// Raw `object_lock`.
#[derive(Debug, Clone)]
pub(crate) struct RawObjectLock {
    mode: ObjectLockMode,
    days: Spanned<u32>,
}

/// The alias of the archive key groundwork makes when the blueprint names none.
pub const DEFAULT_LOG_KEY_ALIAS: &str = "groundwork-log-archive";

/// Raw `kms_key`: `false`, `true`, or `{ alias: NAME }`.
#[derive(Debug, Clone)]
pub(crate) enum RawKmsKey {
    /// `kms_key: false`: SSE-S3, no key.
    Off,
    /// `kms_key: true`, or `{ alias: … }` (`None`: the default alias).
    On(crate::yaml::Span, Option<Spanned<String>>),
}

/// Raw `logging` section; every field `None` when missing or broken (already reported).
#[derive(Debug, Clone, Default)]
pub(crate) struct RawLogging {
    account: Option<Spanned<String>>,
    bucket: Option<Spanned<String>>,
    trail: Option<Spanned<String>>,
    all_regions: Option<bool>,
    log_file_validation: Option<bool>,
    retention_days: Option<Spanned<u32>>,
    object_lock: Option<RawObjectLock>,
    kms_key_arn: Option<Spanned<String>>,
    kms_key: Option<RawKmsKey>,
    protection_exception_role: Option<Spanned<String>>,
    global_bucket_name: Option<bool>,
    access_log_bucket: Option<Spanned<String>>,
    data_events: Option<DataEvents>,
    flow_log_prefix: Option<Spanned<String>>,
}

/// A boolean scalar.
pub(crate) fn boolean(cx: &mut Cx, node: &Node, what: &str) -> Option<bool> {
    if let NodeKind::Scalar { value, plain: true } = &node.kind
        && scalar_type(value) == PlainType::Bool
    {
        return Some(value.eq_ignore_ascii_case("true"));
    }
    cx.push(
        Diagnostic::error(
            "blueprint::wrong-type",
            node.span,
            format!("{what} must be true or false, found {}", node.type_name()),
        )
        .label("expected true or false")
        .help("write `true` or `false` (`yes`, `no`, `on` and `off` are strings in YAML 1.2)"),
    );
    None
}

/// A whole number of days, at least 1.
fn days(cx: &mut Cx, node: &Node, what: &str) -> Option<Spanned<u32>> {
    let n = cx.integer(node, what)?;
    match u32::try_from(n.value) {
        Ok(d) if d >= 1 => Some(Spanned::new(d, n.span)),
        _ => {
            cx.push(
                Diagnostic::error("blueprint::days", n.span, format!("{what} must be at least 1, found {}", n.value))
                    .label("out of range"),
            );
            None
        }
    }
}

/// Reads the `logging` section.
pub(crate) fn read(cx: &mut Cx, node: &Node) -> RawLogging {
    let mut raw = RawLogging::default();
    let Some(f) = cx.map(node, "logging", LOGGING_KEYS) else { return raw };
    raw.account = cx.required(&f, "account", "logging").and_then(|n| cx.string(n, "logging.account"));
    raw.bucket = cx.required(&f, "bucket", "logging").and_then(|n| cx.string(n, "logging.bucket"));
    raw.trail = cx.required(&f, "trail", "logging").and_then(|n| cx.string(n, "logging.trail"));
    raw.all_regions = f.get("all_regions").and_then(|n| boolean(cx, n, "logging.all_regions"));
    raw.log_file_validation = f.get("log_file_validation").and_then(|n| boolean(cx, n, "logging.log_file_validation"));
    raw.retention_days = f.get("retention_days").and_then(|n| days(cx, n, "logging.retention_days"));
    raw.kms_key_arn = f.get("kms_key_arn").and_then(|n| cx.string(n, "logging.kms_key_arn"));
    raw.kms_key = f.get("kms_key").and_then(|n| kms_key(cx, n));
    raw.protection_exception_role =
        f.get("protection_exception_role").and_then(|n| cx.string(n, "logging.protection_exception_role"));
    raw.global_bucket_name = f.get("global_bucket_name").and_then(|n| boolean(cx, n, "logging.global_bucket_name"));
    raw.access_log_bucket = f.get("access_log_bucket").and_then(|n| cx.string(n, "logging.access_log_bucket"));
    raw.data_events = f.get("data_events").and_then(|n| data_events(cx, n));
    raw.flow_log_prefix = f.get("flow_log_prefix").and_then(|n| cx.string(n, "logging.flow_log_prefix"));
    if let Some(ol) = f.get("object_lock")
        && let Some(of) = cx.map(ol, "logging.object_lock", OBJECT_LOCK_KEYS)
    {
        let mode = cx.required(&of, "mode", "object_lock").and_then(|n| lock_mode(cx, n));
        let days = cx.required(&of, "days", "object_lock").and_then(|n| days(cx, n, "object_lock.days"));
        if let (Some(mode), Some(days)) = (mode, days) {
            raw.object_lock = Some(RawObjectLock { mode, days });
        }
    }
    raw
}

/// `kms_key`: `true`, `false`, or `{ alias: NAME }`.
fn kms_key(cx: &mut Cx, node: &Node) -> Option<RawKmsKey> {
    if let NodeKind::Scalar { .. } = &node.kind {
        return boolean(cx, node, "logging.kms_key")
            .map(|on| if on { RawKmsKey::On(node.span, None) } else { RawKmsKey::Off });
    }
    let f = cx.map(node, "logging.kms_key", KMS_KEY_KEYS)?;
    let alias = f.get("alias").and_then(|n| cx.string(n, "logging.kms_key.alias"));
    Some(RawKmsKey::On(node.span, alias))
}

/// What is wrong with a KMS alias name (written without `alias/`), if anything.
fn alias_problem(name: &str) -> Option<&'static str> {
    if name.is_empty() || name.len() > 250 {
        Some("must be 1 to 250 characters")
    } else if name.starts_with("alias/") {
        Some("is written without the `alias/` prefix, which groundwork adds")
    } else if name.starts_with("aws/") {
        Some("must not start with `aws/`, which AWS reserves for its own keys")
    } else if !name.chars().all(|c| c.is_ascii_alphanumeric() || "/_-".contains(c)) {
        Some("may contain only letters, digits, `/`, `_` and `-`")
    } else {
        None
    }
}

/// `data_events`: `all`, or a list of bucket names or ARNs.
fn data_events(cx: &mut Cx, node: &Node) -> Option<DataEvents> {
    if let NodeKind::Scalar { value, .. } = &node.kind
        && value == "all"
    {
        return Some(DataEvents::AllBuckets);
    }
    if !matches!(node.kind, NodeKind::Seq(_)) {
        cx.push(
            Diagnostic::error(
                "blueprint::data-events",
                node.span,
                format!("logging.data_events must be `all` or a list of buckets, found {}", node.type_name()),
            )
            .label("expected `all` or a list")
            .help("write `data_events: all` (every bucket) or `data_events: [log_bucket, other-bucket-name]`"),
        );
        return None;
    }
    let items = cx.list(node, "logging.data_events")?;
    let mut out = Vec::new();
    for item in items {
        let Some(text) = cx.string(item, "a logging.data_events bucket") else { continue };
        let name = text.value.strip_prefix("arn:aws:s3:::").unwrap_or(&text.value);
        if text.value != LOG_BUCKET_WORD
            && Template::document(name).is_literal()
            && let Some(problem) = bucket_problem(name)
        {
            cx.push(
                Diagnostic::error("blueprint::bucket-name", text.span, format!("bucket name `{name}` {problem}"))
                    .label("not a bucket name or ARN")
                    .help(
                        "name a bucket (`my-bucket` or `arn:aws:s3:::my-bucket`), or `log_bucket` for the log bucket",
                    ),
            );
            continue;
        }
        out.push(text);
    }
    Some(DataEvents::Buckets(out))
}

/// In `data_events`, the log bucket itself.
pub const LOG_BUCKET_WORD: &str = "log_bucket";

/// What is wrong with an IAM role name, if anything.
fn role_problem(name: &str) -> Option<String> {
    let n = name.chars().count();
    if !(1..=64).contains(&n) {
        return Some(format!("is {n} characters; IAM accepts 1 to 64"));
    }
    name.chars()
        .find(|c| !(c.is_ascii_alphanumeric() || "+=,.@_-".contains(*c)))
        .map(|c| format!("contains {c:?}; role names use letters, digits and `+=,.@_-`"))
}

fn lock_mode(cx: &mut Cx, node: &Node) -> Option<ObjectLockMode> {
    let text = cx.string(node, "object_lock.mode")?;
    match text.value.to_ascii_lowercase().as_str() {
        "governance" => return Some(ObjectLockMode::Governance),
        "compliance" => return Some(ObjectLockMode::Compliance),
        _ => {}
    }
    let d = Diagnostic::error(
        "blueprint::object-lock-mode",
        text.span,
        format!("unknown object lock mode `{}`", text.value),
    )
    .label("not a mode");
    cx.push(match did_you_mean(&text.value, ["governance", "compliance"]) {
        Some(s) => d.help(format!("did you mean `{s}`? modes are `governance` and `compliance`")),
        None => d.help("modes are `governance` (removable with a special permission) and `compliance` (nobody can)"),
    });
    None
}

/// Validates the `logging` section against the accounts. Returns the section when its required
/// keys could be read, even if other problems were reported (so later checks still run).
pub(crate) fn lower(
    cx: &mut Cx,
    src: &str,
    raw: &RawLogging,
    accounts: &[&Account],
    home_region: Option<&str>,
) -> Option<Logging> {
    if let Some(account) = &raw.account {
        check_account(cx, account, accounts);
    }
    let global = raw.global_bucket_name.unwrap_or(false);
    if let Some(bucket) = &raw.bucket {
        check_bucket(cx, src, bucket, home_region, global, "logging.bucket");
    }
    if let Some(access) = &raw.access_log_bucket {
        check_bucket(cx, src, access, home_region, global, "logging.access_log_bucket");
        if let Some(bucket) = &raw.bucket
            && bucket.value == access.value
        {
            cx.push(
                Diagnostic::error(
                    "blueprint::access-log-bucket",
                    access.span,
                    "the access-log bucket must not be the log bucket itself",
                )
                .label("same as `logging.bucket`")
                .related(bucket.span, "the log bucket")
                .help("a bucket that logs into itself logs its own log writes forever; name a separate bucket"),
            );
        }
    }
    if let Some(role) = &raw.protection_exception_role
        && let Some(problem) = role_problem(&role.value)
    {
        cx.push(
            Diagnostic::error("blueprint::role-name", role.span, format!("role name `{}` {problem}", role.value))
                .label("not an IAM role name")
                .help("name a role of the log-archive account, e.g. `LogArchiveBreakGlass` (a name, not an ARN)"),
        );
    }
    if let Some(trail) = &raw.trail {
        check_trail(cx, trail);
    }
    if let Some(arn) = &raw.kms_key_arn {
        check_kms_key(cx, arn, home_region);
    }
    let kms_key = match (&raw.kms_key, &raw.kms_key_arn) {
        (Some(RawKmsKey::On(span, _)), Some(arn)) => {
            cx.push(
                Diagnostic::error(
                    "blueprint::kms-key",
                    *span,
                    "`kms_key` asks groundwork for a key of its own, and `kms_key_arn` names another one",
                )
                .label("a key of groundwork's")
                .related(arn.span, "a key of your own")
                .help("keep `kms_key_arn` to use your key, or remove it to let groundwork make and guard one"),
            );
            None
        }
        (Some(RawKmsKey::On(_, Some(alias))), None) => {
            if let Some(problem) = alias_problem(&alias.value) {
                cx.push(
                    Diagnostic::error("blueprint::kms-alias", alias.span, format!("alias `{}` {problem}", alias.value))
                        .label("not a KMS alias name")
                        .help(format!("e.g. `{DEFAULT_LOG_KEY_ALIAS}`")),
                );
            }
            Some(alias.clone())
        }
        (Some(RawKmsKey::On(span, None)), None) => Some(Spanned::new(DEFAULT_LOG_KEY_ALIAS.to_owned(), *span)),
        (None, None) => Some(Spanned::new(
            DEFAULT_LOG_KEY_ALIAS.to_owned(),
            raw.account.as_ref().map_or_else(crate::yaml::Span::default, |a| a.span),
        )),
        (Some(RawKmsKey::Off), _) | (None, Some(_)) => None,
    };
    if let (Some(retention), Some(lock)) = (&raw.retention_days, &raw.object_lock)
        && retention.value < lock.days.value
    {
        cx.push(
            Diagnostic::error(
                "blueprint::retention",
                retention.span,
                format!(
                    "logs expire after {} days but object lock keeps them for {} days",
                    retention.value, lock.days.value
                ),
            )
            .label("shorter than the object lock")
            .related(lock.days.span, "object lock retention")
            .help(format!(
                "a locked object cannot be deleted before its lock ends; set `retention_days` to at least {} or \
                 lower `object_lock.days`",
                lock.days.value
            )),
        );
    }
    if let Some(p) = &raw.flow_log_prefix
        && !crate::flow_logs::usable_prefix(&p.value)
    {
        cx.push(crate::flow_logs::bad_prefix(p));
    }
    Some(Logging {
        account: raw.account.clone()?,
        bucket: raw.bucket.clone()?,
        trail: raw.trail.clone()?,
        all_regions: raw.all_regions.unwrap_or(true),
        log_file_validation: raw.log_file_validation.unwrap_or(true),
        retention_days: raw.retention_days.as_ref().map(|d| d.value),
        object_lock: raw.object_lock.as_ref().map(|l| ObjectLock { mode: l.mode, days: l.days.value }),
        kms_key_arn: raw.kms_key_arn.clone(),
        kms_key,
        protection_exception_role: raw.protection_exception_role.clone(),
        global_bucket_name: global,
        access_log_bucket: raw.access_log_bucket.clone(),
        data_events: raw.data_events.clone(),
        flow_log_prefix: raw.flow_log_prefix.clone(),
    })
}

fn check_account(cx: &mut Cx, name: &Spanned<String>, accounts: &[&Account]) {
    let log_archive = accounts.iter().find(|a| a.purpose == Purpose::LogArchive);
    let Some(account) = accounts.iter().find(|a| a.name.value == name.value) else {
        let mut d = Diagnostic::error(
            "blueprint::unknown-account",
            name.span,
            format!("account `{}` is not in the blueprint", name.value),
        )
        .label("unknown account");
        let names = accounts.iter().map(|a| a.name.value.as_str());
        d = match (did_you_mean(&name.value, names), log_archive) {
            (Some(s), _) => d.help(format!("did you mean `{s}`?")),
            (None, Some(l)) => d.help(format!("the log-archive account of this blueprint is `{}`", l.name.value)),
            (None, None) => d.help("add an account with `purpose: log-archive` under `accounts` and name it here"),
        };
        cx.push(d);
        return;
    };
    if account.purpose != Purpose::LogArchive {
        let mut d = Diagnostic::error(
            "blueprint::logging-purpose",
            name.span,
            format!("account `{}` has purpose `{}`, not `log-archive`", name.value, account.purpose),
        )
        .label("not the log-archive account")
        .related(account.name.span, "account defined here");
        d = match log_archive {
            Some(l) => d.help(format!(
                "the log-archive account is `{}`; name it here, or set `purpose: log-archive` on `{}` instead",
                l.name.value, name.value
            )),
            None => d.help(format!(
                "set `purpose: log-archive` on account `{}`: the logs belong in an account nobody works in",
                name.value
            )),
        };
        cx.push(d);
    }
}

/// What is wrong with an S3 bucket name, if anything.
pub(crate) fn bucket_problem(name: &str) -> Option<String> {
    let n = name.chars().count();
    if !(3..=63).contains(&n) {
        return Some(format!("is {n} characters; S3 accepts 3 to 63"));
    }
    if let Some(c) = name.chars().find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '.' || *c == '-')) {
        return Some(format!("contains {c:?}; bucket names use lowercase letters, digits, `.` and `-`"));
    }
    let alnum = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    if !alnum(name.chars().next()) || !alnum(name.chars().last()) {
        return Some("must start and end with a letter or digit".to_owned());
    }
    if name.contains("..") {
        return Some("has two periods in a row".to_owned());
    }
    let parts: Vec<&str> = name.split('.').collect();
    if parts.len() == 4 && parts.iter().all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit())) {
        return Some("looks like an IP address".to_owned());
    }
    if let Some(p) = ["xn--", "sthree-", "amzn-s3-demo-"].iter().find(|p| name.starts_with(*p)) {
        return Some(format!("starts with `{p}`, a prefix S3 reserves"));
    }
    if let Some(s) = ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"].iter().find(|s| name.ends_with(*s)) {
        return Some(format!("ends with `{s}`, a suffix S3 reserves"));
    }
    None
}

fn check_bucket(cx: &mut Cx, src: &str, bucket: &Spanned<String>, home_region: Option<&str>, global: bool, key: &str) {
    let text = &bucket.value;
    let parsed = Template::document(text);
    if let Some(problem) = parsed.problem() {
        cx.push(
            Diagnostic::error(
                "blueprint::template",
                piece_span(src, bucket.span, text, problem.at()..text.len()),
                format!("unclosed `{{` in bucket name `{text}`"),
            )
            .label("never closed"),
        );
        return;
    }
    let found: Vec<&Placeholder<'_>> = parsed.placeholders().collect();
    let mut ok = true;
    for p in found.iter().filter(|p| !BUCKET_PLACEHOLDERS.contains(&p.name)) {
        ok = false;
        let at = piece_span(src, bucket.span, text, p.range.clone());
        let d = Diagnostic::error(
            "blueprint::unknown-placeholder",
            at,
            format!("unknown placeholder `{{{}}}` in bucket name", p.name),
        )
        .label("not a bucket placeholder");
        cx.push(match template::suggest(p.name, BUCKET_PLACEHOLDERS) {
            Some(s) => d.help(format!(
                "did you mean `{{{s}}}`? a bucket name may use {{account_id}} (the log-archive account), \
                 {{org_id}} and {{region}}"
            )),
            None => d.help("a bucket name may use {account_id} (the log-archive account), {org_id} and {region}"),
        });
    }
    if !ok {
        return;
    }
    let mut at_longest = Context::longest();
    if let Some(home) = home_region {
        at_longest.region = Some(home.into());
    }
    let region = at_longest.region.clone().unwrap_or_default();
    let longest = parsed.expand(&at_longest);
    if let Some(problem) = bucket_problem(&longest) {
        let mut message = format!("bucket name `{text}` {problem}");
        if !found.is_empty() {
            let mut counted = Vec::new();
            for p in &found {
                let what = match p.name {
                    "account_id" => format!("{{account_id}} as {ACCOUNT_ID_LEN} digits"),
                    "org_id" => format!("{{org_id}} as {ORG_ID_MAX_LEN} characters"),
                    _ => format!("{{region}} as `{region}`"),
                };
                if !counted.contains(&what) {
                    counted.push(what);
                }
            }
            let _ = write!(message, " (counting {})", counted.join(", "));
        }
        cx.push(
            Diagnostic::error("blueprint::bucket-name", bucket.span, message).label("not a valid S3 bucket name").help(
                "S3 bucket names are 3–63 lowercase letters, digits, `.` and `-`, starting and ending with a \
                     letter or digit; bucket names are global, so include `{account_id}` or `{org_id}`",
            ),
        );
        return;
    }
    if !global && !found.iter().any(|p| p.name == "account_id") {
        cx.push(
            Diagnostic::error(
                "blueprint::global-bucket-name",
                bucket.span,
                format!("bucket name `{text}` does not contain `{{account_id}}`"),
            )
            .label("a name anyone could take first")
            .help(format!(
                "bucket names are global: another AWS account can create `{text}` before you do; put \
                 `{{account_id}}` (the log-archive account) in `{key}`, or set `logging.global_bucket_name: true` \
                 to accept a name without it"
            )),
        );
    }
}

/// What is wrong with a CloudTrail trail name, if anything.
pub(crate) fn trail_problem(name: &str) -> Option<String> {
    let n = name.chars().count();
    if !(3..=128).contains(&n) {
        return Some(format!("is {n} characters; CloudTrail accepts 3 to 128"));
    }
    if let Some(c) = name.chars().find(|c| !(c.is_ascii_alphanumeric() || "._-".contains(*c))) {
        return Some(format!("contains {c:?}; trail names use letters, digits, `.`, `_` and `-`"));
    }
    let alnum = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    if !alnum(name.chars().next()) || !alnum(name.chars().last()) {
        return Some("must start and end with a letter or digit".to_owned());
    }
    let b = name.as_bytes();
    if b.windows(2).any(|w| !w[0].is_ascii_alphanumeric() && !w[1].is_ascii_alphanumeric()) {
        return Some("has two of `.`, `_`, `-` next to each other".to_owned());
    }
    let parts: Vec<&str> = name.split('.').collect();
    if parts.len() == 4 && parts.iter().all(|p| p.bytes().all(|b| b.is_ascii_digit())) {
        return Some("looks like an IP address".to_owned());
    }
    None
}

fn check_trail(cx: &mut Cx, trail: &Spanned<String>) {
    if let Some(problem) = trail_problem(&trail.value) {
        cx.push(
            Diagnostic::error("blueprint::trail-name", trail.span, format!("trail name `{}` {problem}", trail.value))
                .label("not a valid trail name")
                .help("trail names are 3–128 letters, digits, `.`, `_` and `-`, starting and ending with a letter or digit"),
        );
    }
}

/// The region of a KMS key or alias ARN, or what is wrong with it.
pub(crate) fn kms_key_region(arn: &str) -> Result<&str, String> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let [prefix, partition, service, region, account, resource] = parts[..] else {
        return Err("does not have the six parts of an ARN".to_owned());
    };
    if prefix != "arn" || !["aws", "aws-cn", "aws-us-gov"].contains(&partition) || service != "kms" {
        return Err("is not a KMS ARN (`arn:aws:kms:...`)".to_owned());
    }
    if region.is_empty() {
        return Err("has no region".to_owned());
    }
    if account.len() != ACCOUNT_ID_LEN || !account.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("has account `{account}`, not a 12-digit account ID"));
    }
    if let Some(id) = resource.strip_prefix("key/") {
        if id.is_empty() || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
            return Err(format!("has key ID `{id}`"));
        }
    } else if let Some(alias) = resource.strip_prefix("alias/") {
        if alias.is_empty() || !alias.bytes().all(|b| b.is_ascii_alphanumeric() || b"/_-".contains(&b)) {
            return Err(format!("has alias `{alias}`"));
        }
        if alias.starts_with("aws/") {
            return Err(format!(
                "names the AWS managed key `alias/{alias}`, whose policy CloudTrail cannot be granted"
            ));
        }
    } else {
        return Err("names neither `key/...` nor `alias/...`".to_owned());
    }
    Ok(region)
}

fn check_kms_key(cx: &mut Cx, arn: &Spanned<String>, home_region: Option<&str>) {
    match kms_key_region(&arn.value) {
        Err(problem) => cx.push(
            Diagnostic::error("blueprint::kms-key", arn.span, format!("`{}` {problem}", arn.value))
                .label("not a KMS key ARN")
                .help(
                    "give a customer managed key or alias ARN, e.g. \
                     `arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab`",
                ),
        ),
        Ok(region) => {
            if let Some(home) = home_region
                && region != home
            {
                cx.push(
                    Diagnostic::error(
                        "blueprint::kms-key",
                        arn.span,
                        format!("the KMS key is in `{region}`, but the trail and its bucket are in `{home}`"),
                    )
                    .label("key in another region")
                    .help(format!(
                        "CloudTrail needs the key in the bucket's region; use a key (or a multi-Region replica) \
                         in `{home}`"
                    )),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_names() {
        assert_eq!(bucket_problem("acme-cloudtrail-123456789012"), None);
        assert_eq!(bucket_problem("logs.acme.example"), None);
        assert!(bucket_problem("ab").unwrap().contains("2 characters"));
        assert!(bucket_problem(&"a".repeat(64)).unwrap().contains("64 characters"));
        assert!(bucket_problem("Acme-Logs").unwrap().contains("'A'"));
        assert!(bucket_problem("acme_logs").unwrap().contains("'_'"));
        assert!(bucket_problem("-acme").unwrap().contains("start and end"));
        assert!(bucket_problem("acme.").unwrap().contains("start and end"));
        assert!(bucket_problem("acme..logs").unwrap().contains("two periods"));
        assert!(bucket_problem("192.168.5.4").unwrap().contains("IP address"));
        assert!(bucket_problem("xn--acme").unwrap().contains("prefix"));
        assert!(bucket_problem("acme-s3alias").unwrap().contains("suffix"));
    }

    #[test]
    fn trail_names() {
        assert_eq!(trail_problem("org-trail"), None);
        assert_eq!(trail_problem("Org_Trail.2"), None);
        assert!(trail_problem("ab").is_some());
        assert!(trail_problem("-trail").is_some());
        assert!(trail_problem("trail-").is_some());
        assert!(trail_problem("my--trail").is_some());
        assert!(trail_problem("my-_trail").is_some());
        assert!(trail_problem("my trail").is_some());
        assert!(trail_problem("10.0.0.1").is_some());
        assert!(trail_problem(&"t".repeat(129)).is_some());
    }

    #[test]
    fn kms_arns() {
        assert_eq!(
            kms_key_region("arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"),
            Ok("eu-west-1")
        );
        assert_eq!(kms_key_region("arn:aws:kms:us-east-1:111122223333:alias/cloudtrail"), Ok("us-east-1"));
        assert!(kms_key_region("arn:aws:kms:us-east-1:111122223333:alias/aws/s3").is_err());
        assert!(kms_key_region("arn:aws:s3:::bucket").is_err());
        assert!(kms_key_region("arn:aws:kms:us-east-1:1111:key/abc").is_err());
        assert!(kms_key_region("1234abcd-12ab-34cd-56ef-1234567890ab").is_err());
    }
}
