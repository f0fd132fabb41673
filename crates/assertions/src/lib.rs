//! Access assertions: a blueprint says who must and must not be able to do what, and
//! `validate` proves it from the blueprint alone, offline, by evaluating the policies groundwork
//! will deploy (with [`groundwork_evaluate`], AWS's documented evaluation logic) along every
//! path a principal has: its group's policies in the hub, the roles it may assume (their trust:
//! MFA, MFA age, principal conditions), those roles' policies, and every SCP on the account's
//! path to the root.
//!
//! ```
//! let src = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../blueprints/landing-zone.yaml")).unwrap();
//! let parsed = groundwork_blueprint::parse("landing-zone.yaml", src.as_bytes()).unwrap();
//! let found = groundwork_assertions::check("landing-zone.yaml", &src, &parsed.blueprint);
//! assert!(found.is_empty(), "{found:?}");
//! ```

mod builtin;
mod explain;
mod model;
mod section;

use groundwork_blueprint::{Blueprint, Diagnostic, RoleTrust, Span};
use groundwork_evaluate::{Decision, Layer, Policies, Policy, Request, evaluate};
use serde::Serialize;

pub use builtin::BUILTINS;
pub use explain::render_text;
pub use model::{Model, Origin};
pub use section::{Assertion, Expect, Principal};

/// A question: may this principal do this action in this account?
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Question {
    /// Who.
    pub principal: Principal,
    /// `service:Action`.
    pub action: String,
    /// The account (a blueprint account name).
    pub account: String,
    /// The resource ARN (placeholders and wildcards allowed; a stand-in when absent).
    pub resource: Option<String>,
    /// Tags of the resource (`aws:ResourceTag/KEY`).
    pub tags: Vec<(String, String)>,
    /// Whether the person signed in with MFA.
    pub mfa: bool,
}

/// One link of a path, with where it is written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Link {
    /// What it is.
    pub what: String,
    /// `line:column` in the blueprint (absent for what groundwork adds everywhere).
    pub at: Option<String>,
    /// The span.
    #[serde(skip)]
    pub span: Span,
}

/// One step of a path: one request and its decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Step {
    /// The request, for people: `sts:AssumeRole on arn:...` as `principal`.
    pub request: String,
    /// `allow`, `explicit deny` or `implicit deny`.
    pub decision: &'static str,
    /// The statements that allowed it (identity, resource, SCP levels).
    pub allowed_by: Vec<Link>,
    /// The statements that denied it.
    pub denied_by: Vec<Link>,
    /// For an implicit deny: where an allow was missing.
    pub missing: Option<String>,
}

/// One path from the principal to the action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Path {
    /// `directly` or `via role NAME`.
    pub via: String,
    /// Whether the whole path allows the action.
    pub allowed: bool,
    /// Its steps, up to the first that does not allow.
    pub steps: Vec<Step>,
}

/// The answer to a question.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Answer {
    /// The principal.
    pub principal: String,
    /// The action.
    pub action: String,
    /// The account.
    pub account: String,
    /// The resource the request named.
    pub resource: String,
    /// Whether any path allows it.
    pub allowed: bool,
    /// Every path considered.
    pub paths: Vec<Path>,
}

fn decision_text(d: Decision) -> &'static str {
    match d {
        Decision::Allow => "allow",
        Decision::ExplicitDeny => "explicit deny",
        Decision::ImplicitDeny => "implicit deny",
    }
}

/// `line:col` of a span (none for the default span).
fn at(span: Span) -> Option<String> {
    (span.line > 0).then(|| format!("{}:{}", span.line, span.col))
}

/// Evaluates one request with the given identity documents (labels) in `account`, with
/// the given trust (resource policy) when assuming a role.
pub(crate) struct Asker<'m, 'b> {
    model: &'m Model<'b>,
}

impl Asker<'_, '_> {
    fn link(&self, layer: Layer, label: &str, statement: usize, trust: Option<&Origin>) -> Link {
        let origin = if layer == Layer::Resource {
            trust.cloned()
        } else {
            self.model.docs.get(label).and_then(|d| d.origin(statement)).cloned()
        };
        match origin {
            Some(o) => Link { at: at(o.span), what: o.what, span: o.span },
            None => Link { what: label.to_owned(), at: None, span: Span::default() },
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn step(
        &self,
        identity: &[String],
        boundary: Option<&str>,
        scp_account: Option<&str>,
        trust: Option<(&serde_json::Value, &Origin)>,
        cross_account: bool,
        request: &Request,
        who: &str,
    ) -> (Step, bool, bool) {
        let docs = &self.model.docs;
        let doc = |label: &String| docs.get(label).map(|d| Policy::new(&d.label, &d.document));
        let levels = scp_account.map(|a| self.model.scp_levels(a)).unwrap_or_default();
        let policies = Policies {
            identity: identity.iter().filter_map(doc).collect(),
            boundary: boundary.and_then(|l| doc(&l.to_owned())).map(|p| vec![p]),
            scps: levels.iter().map(|l| l.iter().filter_map(doc).collect()).collect(),
            resource: trust.map(|(t, _)| vec![Policy::new("trust", t)]).unwrap_or_default(),
            cross_account,
        };
        let opaque = identity.iter().any(|l| docs.get(l).is_some_and(|d| d.opaque));
        let e = evaluate(&policies, request);
        let origin = trust.map(|(_, o)| o);
        let links = |ms: &[groundwork_evaluate::Match]| {
            // The principal's own policies first, then the trust, then the SCPs.
            let rank = |l: Layer| match l {
                Layer::Identity => 0,
                Layer::Boundary => 1,
                Layer::Resource => 2,
                Layer::Scp(n) => 3 + n,
            };
            let mut ms: Vec<&groundwork_evaluate::Match> = ms.iter().collect();
            ms.sort_by_key(|m| rank(m.layer));
            let mut out: Vec<Link> = Vec::new();
            for m in ms {
                let l = self.link(m.layer, &m.policy, m.statement, origin);
                if !out.contains(&l) {
                    out.push(l);
                }
            }
            out
        };
        let missing = e.missing.map(|layer| match layer {
            Layer::Identity => format!("no policy of {who} allows it"),
            Layer::Resource => "the role's trust does not allow it".to_owned(),
            Layer::Boundary => "the permissions boundary does not allow it".to_owned(),
            Layer::Scp(level) => {
                let names = levels.get(level).map(|l| l.join(", ")).unwrap_or_default();
                format!("no SCP at level {level} of the account's path allows it ({names})")
            }
        });
        let allowed = e.decision == Decision::Allow;
        let step = Step {
            request: format!("{} on {}", request.action, request.resource),
            decision: decision_text(e.decision),
            allowed_by: links(&e.allowed_by),
            denied_by: links(&e.denied_by),
            missing,
        };
        (step, allowed, opaque)
    }
}

/// Builds the concrete resource ARN of a question: placeholders expanded for the account, a
/// `*` in the region field as the home region, any other `*` as a stand-in name; without a
/// resource, a stand-in of the action's first resource type (or `*`).
fn concrete_resource(model: &Model<'_>, q: &Question) -> String {
    let region = &model.bp.organization.home_region.value;
    let id = model.id(&q.account);
    let pattern = if let Some(r) = &q.resource {
        let v = model.expand(&serde_json::Value::String(r.clone()), Some(&q.account));
        v.as_str().unwrap_or(r).to_owned()
    } else {
        let (svc, name) = q.action.split_once(':').unwrap_or(("", ""));
        match groundwork_blueprint::iam::Reference::get().action(svc, name).and_then(|a| a.resources.first().copied()) {
            Some(t) if t.service == "s3" => format!("arn:aws:s3:::{}example", t.prefix),
            Some(t) => format!("arn:aws:{}:{region}:{id}:{}example", t.service, t.prefix),
            None => return "*".to_owned(),
        }
    };
    let mut fields: Vec<String> = pattern.splitn(6, ':').map(str::to_owned).collect();
    if fields.len() == 6 && fields[3] == "*" {
        fields[3].clone_from(region);
    }
    if fields.len() == 6 && fields[4] == "*" {
        id.clone_into(&mut fields[4]);
    }
    fields.join(":").replace('*', "example").replace('?', "x")
}

/// The hub users a principal stands for: the group's member (a stand-in name), or the user.
fn principal_text(p: &Principal) -> String {
    match p {
        Principal::Group(g) => format!("group/{g}"),
        Principal::User(u) => format!("user/{u}"),
        Principal::Role(r) => format!("role/{r}"),
        Principal::PermissionSet(p) => format!("permission-set/{p}"),
    }
}

/// Answers a question along every path.
pub fn ask(model: &Model<'_>, root: &groundwork_blueprint::yaml::Node, q: &Question) -> Answer {
    ask_via(model, root, q, None)
}

/// [`ask`], only through role `only` when given (and not directly in the hub).
pub(crate) fn ask_via(
    model: &Model<'_>,
    root: &groundwork_blueprint::yaml::Node,
    q: &Question,
    only: Option<&str>,
) -> Answer {
    let bp = model.bp;
    let asker = Asker { model };
    let resource = concrete_resource(model, q);
    let hub = model.hub.clone();
    let hub_id = model.hub_id().to_owned();
    // The region of the request: the resource's, or the home region.
    let region = resource
        .split(':')
        .nth(3)
        .filter(|r| !r.is_empty() && !r.contains(['*', '?']))
        .map_or_else(|| bp.organization.home_region.value.clone(), str::to_owned);
    let mut paths = Vec::new();
    // The identity documents of a hub principal.
    let (hub_docs, user): (Vec<String>, String) = match &q.principal {
        Principal::Group(g) => (group_docs(model, std::slice::from_ref(g)), "member".to_owned()),
        Principal::User(u) => {
            let groups = bp
                .identity
                .as_ref()
                .and_then(|i| i.users.iter().find(|x| x.name.value == *u))
                .map(|x| x.groups.clone())
                .unwrap_or_default();
            (group_docs(model, &groups), u.clone())
        }
        Principal::Role(_) | Principal::PermissionSet(_) => (Vec::new(), String::new()),
    };
    let user_arn = format!("arn:aws:iam::{hub_id}:user/{user}");
    let base_context = |r: &mut Request, principal_arn: &str, account_id: &str| {
        let cx = &mut r.context;
        // Every account of the model is in the organization: the principal's and the resource's.
        cx.set("aws:PrincipalArn", principal_arn)
            .set("aws:PrincipalAccount", account_id)
            .set("aws:PrincipalOrgID", model::ORG_ID)
            .set("aws:ResourceOrgID", model::ORG_ID)
            .set("aws:RequestedRegion", region.as_str());
        if q.mfa {
            cx.set("aws:MultiFactorAuthPresent", "true").set("aws:MultiFactorAuthAge", "60");
        }
        for (k, v) in &q.tags {
            cx.set(&format!("aws:ResourceTag/{k}"), v.as_str());
        }
    };
    let act = |principal_arn: &str, account: &str| {
        let mut r = Request::new(principal_arn, &q.action, &resource);
        base_context(&mut r, principal_arn, model.id(account));
        r
    };
    match &q.principal {
        // Its only paths are the single-sign-on ones, below.
        Principal::PermissionSet(_) => {}
        Principal::Role(role) => {
            if let Some(r) = model.roles.iter().find(|r| r.name.value == *role && r.accounts.contains(&q.account)) {
                let arn = model.role_arn(r, &q.account);
                let mut req = act(&arn, &q.account);
                req.principal = format!("arn:aws:sts::{}:assumed-role/{}/session", model.id(&q.account), r.name.value);
                let (step, ok, _) = asker.step(
                    &role_docs(model, &r.name.value, &q.account),
                    None,
                    Some(&q.account),
                    None,
                    false,
                    &req,
                    &format!("role {role}"),
                );
                paths.push(Path { via: format!("role {role} in {}", q.account), allowed: ok, steps: vec![step] });
            }
        }
        Principal::Group(_) | Principal::User(_) => {
            let who = principal_text(&q.principal);
            if only.is_none()
                && (hub.as_deref() == Some(q.account.as_str()) || (hub.is_none() && bp.account(&q.account).is_none()))
            {
                let mut req = act(&user_arn, &q.account);
                req.context.set("aws:username", user.as_str());
                let (step, ok, _) = asker.step(&hub_docs, None, hub.as_deref(), None, false, &req, &who);
                paths.push(Path { via: "directly in the hub".into(), allowed: ok, steps: vec![step] });
            }
            for r in model.roles.iter().filter(|r| {
                only.is_none_or(|o| r.name.value == o)
                    && r.accounts.contains(&q.account)
                    && matches!(r.trust, RoleTrust::Hub { .. })
            }) {
                let role_arn = model.role_arn(r, &q.account);
                let mut assume = Request::new(&user_arn, "sts:AssumeRole", &role_arn);
                base_context(&mut assume, &user_arn, &hub_id);
                assume.context.set("aws:username", user.as_str()).set("sts:RoleSessionName", user.as_str());
                for (k, _) in &q.tags {
                    assume.context.remove(&format!("aws:ResourceTag/{k}"));
                }
                let trust = model.trusts.get(&(q.account.clone(), r.name.value.clone())).cloned().unwrap_or_default();
                let origin = model.trust_origin(root, r);
                // A role's trust must allow an AssumeRole even from its own account, and with
                // the account root as principal, the caller's own policies must allow it too
                // (IAM User Guide, "Granting a user permissions to switch roles"): both sides.
                let (first, ok, _) =
                    asker.step(&hub_docs, None, hub.as_deref(), Some((&trust, &origin)), true, &assume, &who);
                let mut steps = vec![first];
                let mut allowed = false;
                if ok {
                    let session = format!("arn:aws:sts::{}:assumed-role/{}/{user}", model.id(&q.account), r.name.value);
                    let mut req = act(&role_arn, &q.account);
                    req.principal = session;
                    let (second, ok2, _) = asker.step(
                        &role_docs(model, &r.name.value, &q.account),
                        None,
                        Some(&q.account),
                        None,
                        false,
                        &req,
                        &format!("role {}", r.name.value),
                    );
                    steps.push(second);
                    allowed = ok2;
                }
                paths.push(Path { via: format!("role {} in {}", r.name.value, q.account), allowed, steps });
            }
        }
    }
    if only.is_none() {
        paths.extend(sso_paths(model, &asker, q, &user, &act));
    }
    Answer {
        principal: principal_text(&q.principal),
        action: q.action.clone(),
        account: q.account.clone(),
        resource,
        allowed: paths.iter().any(|p| p.allowed),
        paths,
    }
}

/// The single-sign-on paths: a session of each Identity Center permission set assigned in the
/// question's account to the principal (a group, a user of the built-in directory through its
/// groups, or the permission set itself), with the set's policies and every SCP level of the
/// account.
fn sso_paths(
    model: &Model<'_>,
    asker: &Asker<'_, '_>,
    q: &Question,
    user: &str,
    act: &dyn Fn(&str, &str) -> Request,
) -> Vec<Path> {
    let Some(ic) = &model.bp.identity_center else { return Vec::new() };
    let mut sets: Vec<&str> = Vec::new();
    for a in &ic.assignments {
        let here = a.accounts.iter().any(|x| x.as_deref() == Some(q.account.as_str()));
        let mine = match &q.principal {
            Principal::Group(g) => a.group == *g,
            Principal::User(u) => ic.users.iter().any(|x| x.name.value == *u && x.groups.contains(&a.group)),
            Principal::PermissionSet(p) => a.permission_set == *p,
            Principal::Role(_) => false,
        };
        if here && mine && !sets.contains(&a.permission_set.as_str()) {
            sets.push(&a.permission_set);
        }
    }
    let id = model.id(&q.account);
    let region = &ic.region;
    let name = if user.is_empty() { "member" } else { user };
    sets.into_iter()
        .map(|set| {
            let role = format!("AWSReservedSSO_{set}_0123456789abcdef");
            let role_arn = format!("arn:aws:iam::{id}:role/aws-reserved/sso.amazonaws.com/{region}/{role}");
            let mut req = act(&role_arn, &q.account);
            req.principal = format!("arn:aws:sts::{id}:assumed-role/{role}/{name}");
            let labels = model.set_labels.get(set).cloned().unwrap_or_default();
            let boundary = model.set_boundaries.get(set).map(String::as_str);
            let (step, allowed, _) =
                asker.step(&labels, boundary, Some(&q.account), None, false, &req, &format!("permission set {set}"));
            Path { via: format!("permission set {set} in {}", q.account), allowed, steps: vec![step] }
        })
        .collect()
}

fn group_docs(model: &Model<'_>, groups: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for g in groups {
        for l in model.group_labels.get(g).into_iter().flatten() {
            if !out.contains(l) {
                out.push(l.clone());
            }
        }
    }
    out
}

fn role_docs(model: &Model<'_>, role: &str, account: &str) -> Vec<String> {
    model.role_labels.get(&(role.to_owned(), account.to_owned())).cloned().unwrap_or_default()
}

/// The path of an answer as one line: each link with its `line:column`.
pub fn path_line(path: &Path) -> String {
    let mut parts = Vec::new();
    for s in &path.steps {
        for l in &s.allowed_by {
            if l.what.starts_with("FullAWSAccess") {
                continue;
            }
            parts.push(match &l.at {
                Some(at) => format!("{} ({at})", l.what),
                None => l.what.clone(),
            });
        }
    }
    format!("{}: {}", path.via, parts.join(" → "))
}

/// Checks the `assertions` section and the built-in assertions of a valid blueprint. `src` is
/// its text (for the places of statements); `_name` is how the file is shown, which the
/// diagnostics' renderer adds. Returns the failures (errors) and the problems of the section
/// itself, each with its place.
pub fn check(_name: &str, src: &str, bp: &Blueprint) -> Vec<Diagnostic> {
    let Ok(Some(root)) = groundwork_blueprint::yaml::parse(src) else { return Vec::new() };
    let model = Model::new(bp, &root);
    check_model(&model, &root)
}

/// [`check`] on a built model (tests mutate the model first).
pub fn check_model(model: &Model<'_>, root: &groundwork_blueprint::yaml::Node) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let (assertions, skips) = section::read(&mut out, root, model.bp);
    for a in &assertions {
        section::verify(&mut out, model, root, a);
    }
    builtin::check(&mut out, model, root, &skips);
    out
}
