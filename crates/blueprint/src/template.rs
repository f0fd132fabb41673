//! The placeholder language, in one place: parsing, expansion, measuring and the reverse.
//!
//! Three syntaxes share one parser ([`Syntax`]):
//! - blueprint text (policy documents, policy ARNs, bucket names) writes `{account_id}`,
//!   `{account_id:NAME}`, `{org_id}`, …; `${aws:username}` is an IAM policy variable, which is
//!   IAM's business and always left as written;
//! - account templates (`workload_defaults`) write `{workload}`, `{env}`, `{Workload}`, `{Env}`,
//!   `{org}`, with no policy variables;
//! - lowered specs refer to ids that exist only once an earlier change ran with the planner's
//!   `{{account_id:NAME}}`, `{{org_id}}`, `{{management_account_id}}` ([`IdRef`]); they are
//!   resolved at plan time where known, and again at apply time.
//!
//! A [`Template`] is the parsed text: literal, policy-variable and placeholder segments, each with
//! its byte range for diagnostics. [`Template::expand`] fills placeholders from a typed
//! [`Context`] (what it does not know stays as written), [`Context::longest`] gives every
//! measurable placeholder its longest value (the size AWS will count), and [`Reverse`] turns
//! concrete ids back into placeholders, for `import`.
//!
//! ```
//! use groundwork_blueprint::template::{Context, Reverse, Syntax, Template};
//!
//! let t = Template::parse("arn:aws:s3:::logs-{account_id}/${aws:username}/*", Syntax::Document);
//! let cx = Context { account_id: Some("111122223333".into()), ..Context::default() };
//! let arn = t.expand(&cx);
//! assert_eq!(arn, "arn:aws:s3:::logs-111122223333/${aws:username}/*");
//! assert_eq!(Reverse::new().account_id("111122223333").apply(&arn), t.text());
//! ```

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;

use serde_json::Value;

use crate::regions::max_region_len;

/// Length of an AWS account ID.
pub const ACCOUNT_ID_LEN: usize = 12;
/// Longest organization ID: `o-` and up to 32 characters.
pub const ORG_ID_MAX_LEN: usize = 34;

/// Placeholders a policy document may use (besides `{account_id:NAME}`).
pub const DOCUMENT: &[&str] =
    &["account_id", "account", "workload", "env", "hub_account_id", "org_id", "management_account_id", "region"];
/// Placeholders a bucket name may use.
pub const BUCKET: &[&str] = &["account_id", "org_id", "region"];
/// Placeholders an account template (`workload_defaults`) may use.
pub const ACCOUNT_TEMPLATE: &[&str] = &["workload", "env", "Workload", "Env", "org"];

/// The known placeholder of `known` closest to `name`, for a "did you mean" help.
pub fn suggest<'a>(name: &str, known: &[&'a str]) -> Option<&'a str> {
    crate::schema::did_you_mean(name, known.iter().copied())
}

/// How a text writes its placeholders.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Syntax {
    /// `{name}`; `${…}` is an IAM policy variable, left alone.
    Document,
    /// `{name}` with no policy variables (account templates).
    Name,
    /// The planner's `{{name}}` id references.
    Ids,
}

/// What a placeholder stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Name<'a> {
    /// `account_id`: the account the text is deployed in.
    AccountId,
    /// `account_id:NAME`: an account of the blueprint by name.
    AccountIdOf(&'a str),
    /// `account`: the name of the account the text is deployed in.
    Account,
    /// `workload`.
    Workload,
    /// `env`.
    Env,
    /// `Workload`: the workload, capitalized.
    WorkloadTitle,
    /// `Env`: the environment, capitalized.
    EnvTitle,
    /// `org`: the organization's name.
    Org,
    /// `hub_account_id`: the identity account.
    HubAccountId,
    /// `management_account_id`.
    ManagementAccountId,
    /// `org_id`.
    OrgId,
    /// `region`: the home region.
    Region,
    /// Anything else (a mistake, unless the context knows better).
    Unknown(&'a str),
}

impl<'a> Name<'a> {
    /// The name written between the braces.
    pub fn parse(text: &'a str) -> Self {
        match text {
            "account_id" => Name::AccountId,
            "account" => Name::Account,
            "workload" => Name::Workload,
            "env" => Name::Env,
            "Workload" => Name::WorkloadTitle,
            "Env" => Name::EnvTitle,
            "org" => Name::Org,
            "hub_account_id" => Name::HubAccountId,
            "management_account_id" => Name::ManagementAccountId,
            "org_id" => Name::OrgId,
            "region" => Name::Region,
            _ => match text.strip_prefix("account_id:") {
                Some(account) => Name::AccountIdOf(account),
                None => Name::Unknown(text),
            },
        }
    }

    /// Whether it expands to an account id.
    pub fn is_account_id(self) -> bool {
        matches!(self, Name::AccountId | Name::AccountIdOf(_) | Name::HubAccountId | Name::ManagementAccountId)
    }
}

/// As written in blueprint text: `{account_id:log-archive}`.
impl fmt::Display for Name<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            Name::AccountId => "account_id",
            Name::AccountIdOf(account) => return write!(f, "{{account_id:{account}}}"),
            Name::Account => "account",
            Name::Workload => "workload",
            Name::Env => "env",
            Name::WorkloadTitle => "Workload",
            Name::EnvTitle => "Env",
            Name::Org => "org",
            Name::HubAccountId => "hub_account_id",
            Name::ManagementAccountId => "management_account_id",
            Name::OrgId => "org_id",
            Name::Region => "region",
            Name::Unknown(other) => other,
        };
        write!(f, "{{{name}}}")
    }
}

/// An id the planner refers to before it is known, written `{{…}}` in lowered specs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdRef<'a> {
    /// A member account's id, by blueprint name.
    Account(&'a str),
    /// The management account's id.
    Management,
    /// The organization's id.
    Org,
}

impl<'a> IdRef<'a> {
    /// A member account by name, or the management account for `None`.
    pub fn account_or_management(account: Option<&'a str>) -> Self {
        account.map_or(IdRef::Management, IdRef::Account)
    }
}

impl fmt::Display for IdRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IdRef::Account(name) => write!(f, "{{{{account_id:{name}}}}}"),
            IdRef::Management => f.write_str("{{management_account_id}}"),
            IdRef::Org => f.write_str("{{org_id}}"),
        }
    }
}

/// One placeholder of a template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placeholder<'a> {
    /// Byte range in the text, delimiters included.
    pub range: Range<usize>,
    /// The name between the delimiters, as written.
    pub name: &'a str,
}

impl<'a> Placeholder<'a> {
    /// What it stands for.
    pub fn kind(&self) -> Name<'a> {
        Name::parse(self.name)
    }
}

/// A piece of a template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment<'a> {
    /// Text kept as written.
    Literal(&'a str),
    /// An IAM policy variable (`${aws:username}`), kept as written.
    Variable(&'a str),
    /// A placeholder.
    Placeholder(Placeholder<'a>),
}

/// Why a template does not parse completely; the text from `at` on is kept as a literal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    /// A `{` at this byte offset is never closed.
    Unclosed(usize),
    /// A `{` at this byte offset is followed by another `{` before its `}`.
    Nested(usize),
}

impl Problem {
    /// Byte offset of the offending `{`.
    pub fn at(self) -> usize {
        match self {
            Problem::Unclosed(at) | Problem::Nested(at) => at,
        }
    }
}

/// A parsed text with placeholders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template<'a> {
    text: &'a str,
    segments: Vec<Segment<'a>>,
    problem: Option<Problem>,
}

impl<'a> Template<'a> {
    /// Parses `text`. Never fails: a broken placeholder is reported by [`Template::problem`] and
    /// the text from there on is a literal.
    pub fn parse(text: &'a str, syntax: Syntax) -> Self {
        let (open_mark, close_mark) = if syntax == Syntax::Ids { ("{{", "}}") } else { ("{", "}") };
        let mut segments = Vec::new();
        let mut problem = None;
        let mut literal_from = 0;
        let mut from = 0;
        let push_literal = |segments: &mut Vec<Segment<'a>>, end: usize, literal_from: usize| {
            if end > literal_from {
                segments.push(Segment::Literal(&text[literal_from..end]));
            }
        };
        while let Some(rel) = text[from..].find(open_mark) {
            let open = from + rel;
            let inner = open + open_mark.len();
            let close = text[inner..].find(close_mark).map(|c| inner + c);
            if syntax == Syntax::Document && text[..open].ends_with('$') {
                // An IAM policy variable; an unclosed one is IAM's business too.
                let Some(close) = close else { break };
                push_literal(&mut segments, open - 1, literal_from);
                segments.push(Segment::Variable(&text[open - 1..=close]));
                literal_from = close + 1;
                from = close + 1;
                continue;
            }
            let Some(close) = close else {
                if syntax != Syntax::Ids {
                    problem = Some(Problem::Unclosed(open));
                }
                break;
            };
            let name = &text[inner..close];
            if syntax != Syntax::Ids && name.contains('{') {
                problem = Some(Problem::Nested(open));
                break;
            }
            push_literal(&mut segments, open, literal_from);
            let end = close + close_mark.len();
            segments.push(Segment::Placeholder(Placeholder { range: open..end, name }));
            literal_from = end;
            from = end;
        }
        push_literal(&mut segments, text.len(), literal_from);
        Template { text, segments, problem }
    }

    /// Blueprint text: [`Syntax::Document`].
    pub fn document(text: &'a str) -> Self {
        Template::parse(text, Syntax::Document)
    }

    /// A lowered spec's string: [`Syntax::Ids`].
    pub fn ids(text: &'a str) -> Self {
        Template::parse(text, Syntax::Ids)
    }

    /// The text as written.
    pub fn text(&self) -> &'a str {
        self.text
    }

    /// Its segments, in order.
    pub fn segments(&self) -> &[Segment<'a>] {
        &self.segments
    }

    /// Its placeholders, in order.
    pub fn placeholders(&self) -> impl Iterator<Item = &Placeholder<'a>> {
        self.segments.iter().filter_map(|s| match s {
            Segment::Placeholder(p) => Some(p),
            _ => None,
        })
    }

    /// Whether it has a placeholder.
    pub fn has_placeholders(&self) -> bool {
        self.placeholders().next().is_some()
    }

    /// Whether it is plain text: no placeholder, no policy variable, nothing broken.
    pub fn is_literal(&self) -> bool {
        self.problem.is_none() && self.segments.iter().all(|s| matches!(s, Segment::Literal(_)))
    }

    /// What is broken, if anything.
    pub fn problem(&self) -> Option<Problem> {
        self.problem
    }

    /// Byte offset of the first `}` outside any placeholder or policy variable.
    pub fn stray_close(&self) -> Option<usize> {
        let mut offset = 0;
        for s in &self.segments {
            match s {
                Segment::Literal(text) => {
                    if let Some(i) = text.find('}') {
                        return Some(offset + i);
                    }
                    offset += text.len();
                }
                Segment::Variable(text) => offset += text.len(),
                Segment::Placeholder(p) => offset = p.range.end,
            }
        }
        None
    }

    /// The text with each placeholder replaced by what `value` gives for it; `None` keeps it as
    /// written.
    pub fn map<'v>(&self, mut value: impl FnMut(&Placeholder<'a>) -> Option<Cow<'v, str>>) -> String {
        let mut out = String::with_capacity(self.text.len());
        for s in &self.segments {
            match s {
                Segment::Literal(text) | Segment::Variable(text) => out.push_str(text),
                Segment::Placeholder(p) => match value(p) {
                    Some(v) => out.push_str(&v),
                    None => out.push_str(&self.text[p.range.clone()]),
                },
            }
        }
        out
    }

    /// The text with every placeholder `cx` knows expanded; the others stay as written.
    pub fn expand(&self, cx: &Context<'_>) -> String {
        self.map(|p| cx.value(p.kind()))
    }
}

/// Account ids by name, for `{account_id:NAME}`.
#[derive(Debug, Clone, Default)]
pub enum AccountIds<'a> {
    /// Not known: the placeholder stays.
    #[default]
    Unknown,
    /// Every account has this value (measuring).
    Same(Cow<'a, str>),
    /// These accounts are known (by blueprint name); others stay.
    Known(&'a BTreeMap<String, String>),
    /// The planner's reference [`IdRef::Account`], resolved once the id exists.
    Deferred,
}

/// What placeholders expand to in one place. `None` leaves a placeholder as written.
#[derive(Debug, Clone, Default)]
pub struct Context<'a> {
    /// `{account_id}`.
    pub account_id: Option<Cow<'a, str>>,
    /// `{account_id:NAME}`.
    pub account_ids: AccountIds<'a>,
    /// `{account}`.
    pub account: Option<Cow<'a, str>>,
    /// `{workload}` (and `{Workload}`, capitalized).
    pub workload: Option<Cow<'a, str>>,
    /// `{env}` (and `{Env}`, capitalized).
    pub env: Option<Cow<'a, str>>,
    /// `{org}`.
    pub org: Option<Cow<'a, str>>,
    /// `{hub_account_id}`.
    pub hub_account_id: Option<Cow<'a, str>>,
    /// `{management_account_id}`.
    pub management_account_id: Option<Cow<'a, str>>,
    /// `{org_id}`.
    pub org_id: Option<Cow<'a, str>>,
    /// `{region}`.
    pub region: Option<Cow<'a, str>>,
}

impl<'a> Context<'a> {
    /// Every measurable placeholder at its longest: account ids as 12 digits, the organization
    /// id as 34 characters, the region as the longest region code. Names stay as written.
    pub fn longest() -> Self {
        let id: Cow<'a, str> = Cow::Owned("0".repeat(ACCOUNT_ID_LEN));
        Context {
            account_id: Some(id.clone()),
            account_ids: AccountIds::Same(id.clone()),
            hub_account_id: Some(id.clone()),
            management_account_id: Some(id),
            org_id: Some(Cow::Owned("o".repeat(ORG_ID_MAX_LEN))),
            region: Some(Cow::Owned("x".repeat(max_region_len()))),
            ..Context::default()
        }
    }

    /// What `name` expands to here.
    pub fn value(&self, name: Name<'_>) -> Option<Cow<'_, str>> {
        let v = match name {
            Name::AccountId => &self.account_id,
            Name::Account => &self.account,
            Name::Workload => &self.workload,
            Name::Env => &self.env,
            Name::WorkloadTitle => return self.workload.as_deref().map(|w| Cow::Owned(capitalize(w))),
            Name::EnvTitle => return self.env.as_deref().map(|e| Cow::Owned(capitalize(e))),
            Name::Org => &self.org,
            Name::HubAccountId => &self.hub_account_id,
            Name::ManagementAccountId => &self.management_account_id,
            Name::OrgId => &self.org_id,
            Name::Region => &self.region,
            Name::AccountIdOf(account) => {
                return match &self.account_ids {
                    AccountIds::Unknown => None,
                    AccountIds::Same(v) => Some(Cow::Borrowed(v.as_ref())),
                    AccountIds::Known(ids) => ids.get(account).map(|v| Cow::Borrowed(v.as_str())),
                    AccountIds::Deferred => Some(Cow::Owned(IdRef::Account(account).to_string())),
                };
            }
            Name::Unknown(_) => return None,
        };
        v.as_deref().map(Cow::Borrowed)
    }
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_uppercase().collect::<String>() + c.as_str()).unwrap_or_default()
}

/// Characters of `text` with every measurable placeholder at its longest ([`Context::longest`]).
pub fn measure(text: &str) -> usize {
    Template::document(text).expand(&Context::longest()).chars().count()
}

/// Every string of a JSON value (with `keys`, object keys too) passed through `f`.
pub fn map_json(v: &Value, keys: bool, f: &impl Fn(&str) -> String) -> Value {
    match v {
        Value::String(s) => Value::String(f(s)),
        Value::Array(items) => Value::Array(items.iter().map(|i| map_json(i, keys, f)).collect()),
        Value::Object(m) => {
            Value::Object(m.iter().map(|(k, v)| (if keys { f(k) } else { k.clone() }, map_json(v, keys, f))).collect())
        }
        other => other.clone(),
    }
}

/// Concrete ids back into placeholders, for `import`: the reverse of [`Template::expand`].
///
/// Substitutions are tried in the order they were added, at every position. A digit id
/// matches only as a whole number (not inside a longer run of digits), and nothing is replaced
/// right after a `$`.
#[derive(Debug, Clone, Default)]
pub struct Reverse<'a> {
    subs: Vec<(Cow<'a, str>, String)>,
}

impl<'a> Reverse<'a> {
    /// No substitutions yet.
    pub fn new() -> Self {
        Reverse::default()
    }

    /// `id` (the account the text is deployed in) as `{account_id}`.
    #[must_use]
    pub fn account_id(self, id: impl Into<Cow<'a, str>>) -> Self {
        self.sub(id, Name::AccountId)
    }

    /// Account `name`'s `id` as `{account_id:NAME}` (skipped for a name with braces, which
    /// would not read back as one placeholder).
    #[must_use]
    pub fn account(self, name: &str, id: impl Into<Cow<'a, str>>) -> Self {
        if name.contains(['{', '}']) {
            return self;
        }
        self.sub(id, Name::AccountIdOf(name))
    }

    /// The name of the account the text is deployed in as `{account}`.
    #[must_use]
    pub fn account_name(self, name: impl Into<Cow<'a, str>>) -> Self {
        self.sub(name, Name::Account)
    }

    /// The management account's `id` as `{management_account_id}`.
    #[must_use]
    pub fn management_account_id(self, id: impl Into<Cow<'a, str>>) -> Self {
        self.sub(id, Name::ManagementAccountId)
    }

    /// The organization's `id` as `{org_id}`.
    #[must_use]
    pub fn org_id(self, id: impl Into<Cow<'a, str>>) -> Self {
        self.sub(id, Name::OrgId)
    }

    fn sub(mut self, id: impl Into<Cow<'a, str>>, name: Name<'_>) -> Self {
        let id = id.into();
        if !id.is_empty() {
            self.subs.push((id, name.to_string()));
        }
        self
    }

    /// `text` with every id replaced by its placeholder.
    pub fn apply(&self, text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        'outer: while let Some(c) = rest.chars().next() {
            for (id, placeholder) in &self.subs {
                let digits = id.bytes().all(|b| b.is_ascii_digit());
                let bounded = !digits
                    || (!out.ends_with(|c: char| c.is_ascii_digit())
                        && !rest[id.len().min(rest.len())..].starts_with(|c: char| c.is_ascii_digit()));
                if rest.starts_with(id.as_ref()) && !out.ends_with('$') && bounded {
                    out.push_str(placeholder);
                    rest = &rest[id.len()..];
                    continue 'outer;
                }
            }
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
        out
    }

    /// [`Reverse::apply`] over every string value of a JSON value (keys stay), except statement
    /// ids (`Sid`), which are names, not templates.
    pub fn apply_json(&self, v: &Value) -> Value {
        match v {
            Value::String(s) => Value::String(self.apply(s)),
            Value::Array(items) => Value::Array(items.iter().map(|i| self.apply_json(i)).collect()),
            Value::Object(m) => Value::Object(
                m.iter().map(|(k, x)| (k.clone(), if k == "Sid" { x.clone() } else { self.apply_json(x) })).collect(),
            ),
            other => other.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn names(text: &str, syntax: Syntax) -> Vec<&str> {
        Template::parse(text, syntax).placeholders().map(|p| p.name).collect::<Vec<_>>()
    }

    #[test]
    fn parses_placeholders_and_skips_policy_variables() {
        let t = Template::document("arn:aws:s3:::{account_id:log}-{region}/${aws:username}/x");
        assert_eq!(
            t.segments(),
            [
                Segment::Literal("arn:aws:s3:::"),
                Segment::Placeholder(Placeholder { range: 13..29, name: "account_id:log" }),
                Segment::Literal("-"),
                Segment::Placeholder(Placeholder { range: 30..38, name: "region" }),
                Segment::Literal("/"),
                Segment::Variable("${aws:username}"),
                Segment::Literal("/x"),
            ]
        );
        assert_eq!(
            t.placeholders().map(Placeholder::kind).collect::<Vec<_>>(),
            [Name::AccountIdOf("log"), Name::Region]
        );
        assert!(t.problem().is_none());
        let t = Template::document("a{account_id}b${x}{env}");
        let found: Vec<(usize, &str)> = t.placeholders().map(|p| (p.range.start, p.name)).collect();
        assert_eq!(found, [(1, "account_id"), (18, "env")]);
        assert!(!Template::document("arn:aws:iam::*:user/${aws:username}").has_placeholders());
        // Without policy variables, `${x}` is a placeholder.
        assert_eq!(names("a${x}", Syntax::Name), ["x"]);
    }

    #[test]
    fn reports_unclosed_and_nested_braces() {
        assert_eq!(Template::document("arn:{account_id").problem(), Some(Problem::Unclosed(4)));
        assert_eq!(Template::document("a{b").problem(), Some(Problem::Unclosed(1)));
        assert_eq!(Template::document("a{b{c}").problem(), Some(Problem::Nested(1)));
        // An unclosed policy variable is IAM's business.
        assert_eq!(Template::document("${aws:username").problem(), None);
        assert_eq!(Template::document("${aws:username").text(), "${aws:username");
        // What came before the problem is parsed; the rest is literal.
        let t = Template::document("{org_id}-{x");
        assert_eq!(names(t.text(), Syntax::Document), ["org_id"]);
        assert_eq!(t.expand(&Context { org_id: Some("o-1".into()), ..Context::default() }), "o-1-{x");
        assert_eq!(Template::parse("{a}b}", Syntax::Name).stray_close(), Some(4));
        assert_eq!(Template::parse("{a}", Syntax::Name).stray_close(), None);
        assert!(Template::document("plain").is_literal());
        assert!(!Template::document("${aws:x}").is_literal());
        assert!(!Template::document("x{").is_literal());
    }

    #[test]
    fn id_references_use_double_braces() {
        let t = Template::ids("arn:aws:s3:::x-{{account_id:log}}/AWSLogs/{{org_id}}/{x}/{{open");
        assert_eq!(names(t.text(), Syntax::Ids), ["account_id:log", "org_id"]);
        assert_eq!(IdRef::Account("log").to_string(), "{{account_id:log}}");
        assert_eq!(IdRef::Management.to_string(), "{{management_account_id}}");
        assert_eq!(IdRef::Org.to_string(), "{{org_id}}");
        let mut ids = BTreeMap::new();
        ids.insert("log".to_owned(), "111122223333".to_owned());
        let cx = Context { account_ids: AccountIds::Known(&ids), ..Context::default() };
        assert_eq!(t.expand(&cx), "arn:aws:s3:::x-111122223333/AWSLogs/{{org_id}}/{x}/{{open");
    }

    #[test]
    fn expands_what_the_context_knows() {
        let cx = Context {
            account_id: Some(IdRef::Account("jira-prod").to_string().into()),
            account_ids: AccountIds::Deferred,
            account: Some("jira-prod".into()),
            workload: Some("jira".into()),
            env: Some("prod".into()),
            region: Some("eu-west-1".into()),
            ..Context::default()
        };
        let t = Template::document("{workload}-{env}-{account_id}/{account_id:log}/{region}/{unknown}/${aws:x}");
        assert_eq!(t.expand(&cx), "jira-prod-{{account_id:jira-prod}}/{{account_id:log}}/eu-west-1/{unknown}/${aws:x}");
        let t = Template::parse("{Workload}{Env}@{org}", Syntax::Name);
        let cx = Context { workload: Some("jira".into()), env: Some("prod".into()), ..Context::default() };
        assert_eq!(t.expand(&cx), "JiraProd@{org}");
    }

    #[test]
    fn measures_placeholders_at_their_longest() {
        assert_eq!(measure("x"), 1);
        assert_eq!(measure("{account_id:a-very-long-account-name}"), ACCOUNT_ID_LEN);
        assert_eq!(measure("{management_account_id}{hub_account_id}{account_id}"), 3 * ACCOUNT_ID_LEN);
        assert_eq!(measure("{org_id}"), ORG_ID_MAX_LEN);
        assert_eq!(measure("{region}"), "ap-southeast-1".len());
        assert_eq!(measure("${aws:username}"), "${aws:username}".len());
        assert_eq!(measure("{account}"), "{account}".len());
        assert_eq!(measure("é"), 1);
    }

    #[test]
    fn names_print_as_written() {
        for text in DOCUMENT.iter().chain(ACCOUNT_TEMPLATE).chain(&["account_id:log", "nope"]) {
            assert_eq!(Name::parse(text).to_string(), format!("{{{text}}}"));
        }
        assert_eq!(suggest("acount_id", DOCUMENT), Some("account_id"));
        assert_eq!(suggest("zzz", BUCKET), None);
    }

    #[test]
    fn reverse_keeps_digit_runs_and_policy_variables() {
        let r = Reverse::new().account_id("111122223333").account("log", "444455556666").org_id("o-abc");
        assert_eq!(r.apply("b-111122223333-444455556666/o-abc"), "b-{account_id}-{account_id:log}/{org_id}");
        assert_eq!(r.apply("91111222233339"), "91111222233339");
        assert_eq!(Reverse::new().org_id("o-x").apply("$o-x o-x"), "$o-x {org_id}");
        assert_eq!(Reverse::new().org_id("").apply("x"), "x");
        let doc = serde_json::json!({ "Sid": "o-abc", "111122223333": ["arn:aws:iam::111122223333:root"] });
        let want = serde_json::json!({ "Sid": "o-abc", "111122223333": ["arn:aws:iam::{account_id}:root"] });
        assert_eq!(r.apply_json(&doc), want);
        assert_eq!(Reverse::new().account("a{b", "1").account_name("jira").apply("1 jira"), "1 {account}");
    }

    fn concrete(cx: &Context<'_>, t: &str) -> String {
        Template::document(t).expand(cx)
    }

    proptest! {
        /// Expanding a template with concrete ids and reversing gives the template back, as long
        /// as its literal text does not itself hold one of the ids.
        #[test]
        fn expand_then_reverse_is_the_template(
            parts in prop::collection::vec(
                prop_oneof![
                    "[a-z:*.-]{0,6}",
                    Just("{account_id}".to_owned()),
                    Just("{account_id:log}".to_owned()),
                    Just("{account_id:jira-prod}".to_owned()),
                    Just("{management_account_id}".to_owned()),
                    Just("{org_id}".to_owned()),
                    Just("${aws:username}".to_owned()),
                ],
                0..8,
            ),
        ) {
            // Separated, so two ids never touch (a digit id matches only as a whole number).
            let template = parts.join("/");
            let mut ids = BTreeMap::new();
            ids.insert("log".to_owned(), "444455556666".to_owned());
            ids.insert("jira-prod".to_owned(), "777788889999".to_owned());
            let cx = Context {
                account_id: Some("111122223333".into()),
                account_ids: AccountIds::Known(&ids),
                management_account_id: Some("123456789012".into()),
                org_id: Some("o-exampleorg".into()),
                ..Context::default()
            };
            let expanded = concrete(&cx, &template);
            prop_assert!(!Template::document(&expanded).has_placeholders());
            let reverse = Reverse::new()
                .account_id("111122223333")
                .account("log", "444455556666")
                .account("jira-prod", "777788889999")
                .management_account_id("123456789012")
                .org_id("o-exampleorg");
            prop_assert_eq!(reverse.apply(&expanded), template);
        }

        /// Parsing never panics and never loses text: mapping nothing gives the text back.
        #[test]
        fn parse_is_lossless(text in "[a-z{}$:]{0,24}") {
            for syntax in [Syntax::Document, Syntax::Name, Syntax::Ids] {
                let t = Template::parse(&text, syntax);
                prop_assert_eq!(t.map(|_| None), text.clone());
                for p in t.placeholders() {
                    prop_assert!(text[p.range.clone()].contains(p.name));
                }
            }
        }
    }
}
