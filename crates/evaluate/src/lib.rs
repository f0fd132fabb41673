//! The subset of AWS's IAM policy evaluation logic that groundwork needs to prove access
//! assertions from a blueprint, offline: one concrete request (principal, action, resource,
//! request context) against the policies in force, layer by layer, as AWS documents it in
//! "Policy evaluation logic" (IAM User Guide, reference_policies_evaluation-logic):
//!
//! 1. an explicit `Deny` in any policy (identity, permissions boundary, service control policy,
//!    resource policy) decides;
//! 2. every level of service control policies (root, each OU, the account) must allow;
//! 3. within one account, a resource policy that allows the principal suffices;
//! 4. a permissions boundary, when there is one, must allow;
//! 5. an identity policy must allow. Across accounts, the identity side (2, 4, 5) and the
//!    resource policy must both allow.
//!
//! Not modelled: session policies, VPC endpoint policies, resource control policies, and
//! resource policies of services groundwork does not manage (see `docs/assertions.md`).
//!
//! ```
//! use groundwork_evaluate::{Decision, Policies, Policy, Request, evaluate};
//! use serde_json::json;
//! let allow = json!({"Version": "2012-10-17", "Statement": [
//!     {"Effect": "Allow", "Action": "ec2:TerminateInstances", "Resource": "*",
//!      "Condition": {"StringEquals": {"aws:ResourceTag/workload": "jira"}}}]});
//! let policies = Policies { identity: vec![Policy::new("jira-admin", &allow)], ..Policies::default() };
//! let mut request = Request::new(
//!     "arn:aws:sts::111111111111:assumed-role/jira-admin/alice",
//!     "ec2:TerminateInstances",
//!     "arn:aws:ec2:eu-west-1:111111111111:instance/i-0example",
//! );
//! request.context.set("aws:ResourceTag/workload", "webapp");
//! assert_eq!(evaluate(&policies, &request).decision, Decision::ImplicitDeny);
//! request.context.set("aws:ResourceTag/workload", "jira");
//! assert_eq!(evaluate(&policies, &request).decision, Decision::Allow);
//! ```

mod condition;
mod matching;

use std::collections::BTreeMap;

use serde_json::Value;

pub use matching::{arn_like, wildcard_match};

/// The request context: condition keys (compared without regard to case) and their values.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Context {
    keys: BTreeMap<String, Vec<String>>,
}

impl Context {
    /// An empty context.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets a single-valued key.
    pub fn set(&mut self, key: &str, value: impl Into<String>) -> &mut Self {
        self.keys.insert(key.to_ascii_lowercase(), vec![value.into()]);
        self
    }

    /// Sets a multivalued key (`aws:TagKeys`, `aws:CalledVia`).
    pub fn set_many(&mut self, key: &str, values: &[&str]) -> &mut Self {
        self.keys.insert(key.to_ascii_lowercase(), values.iter().map(|v| (*v).to_owned()).collect());
        self
    }

    /// Removes a key.
    pub fn remove(&mut self, key: &str) -> &mut Self {
        self.keys.remove(&key.to_ascii_lowercase());
        self
    }

    /// The values of a key, if the request carries it.
    pub fn get(&self, key: &str) -> Option<&[String]> {
        self.keys.get(&key.to_ascii_lowercase()).map(Vec::as_slice)
    }

    /// Every key and its values, keys lowercased.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &[String])> {
        self.keys.iter().map(|(k, v)| (k.as_str(), v.as_slice()))
    }
}

/// One request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The principal's ARN (`arn:aws:iam::ACCOUNT:user/NAME`,
    /// `arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION`, `arn:aws:iam::ACCOUNT:role/ROLE`).
    pub principal: String,
    /// `service:Action`.
    pub action: String,
    /// The resource's ARN (or `*` for actions without a resource).
    pub resource: String,
    /// The request context.
    pub context: Context,
}

impl Request {
    /// A request with an empty context.
    pub fn new(principal: &str, action: &str, resource: &str) -> Self {
        Request {
            principal: principal.to_owned(),
            action: action.to_owned(),
            resource: resource.to_owned(),
            context: Context::new(),
        }
    }

    /// The account of the principal (the fifth field of its ARN).
    pub fn principal_account(&self) -> Option<&str> {
        self.principal.split(':').nth(4).filter(|a| !a.is_empty())
    }
}

/// A policy document with a label that names it in explanations (e.g. `role jira-admin`).
#[derive(Debug, Clone, Copy)]
pub struct Policy<'a> {
    /// What the policy is, for people.
    pub label: &'a str,
    /// The JSON document.
    pub document: &'a Value,
}

impl<'a> Policy<'a> {
    /// A labelled document.
    pub fn new(label: &'a str, document: &'a Value) -> Self {
        Policy { label, document }
    }
}

/// The policies in force for one request.
#[derive(Debug, Clone, Default)]
pub struct Policies<'a> {
    /// Identity-based policies of the principal (inline, managed, its groups').
    pub identity: Vec<Policy<'a>>,
    /// The permissions boundary, if the principal has one.
    pub boundary: Option<Vec<Policy<'a>>>,
    /// Service control policies of the principal's account, one list per level from the root
    /// down to the account; empty when SCPs do not apply (no organization, or the management
    /// account).
    pub scps: Vec<Vec<Policy<'a>>>,
    /// Resource-based policies of the resource (a role's trust policy, a bucket policy).
    pub resource: Vec<Policy<'a>>,
    /// Whether the resource is in another account than the principal: then the resource policy
    /// must allow as well as the identity side.
    pub cross_account: bool,
}

/// The layer a policy belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Layer {
    /// A service control policy, at a level (0 is the root).
    Scp(usize),
    /// The resource's own policy.
    Resource,
    /// The permissions boundary.
    Boundary,
    /// An identity-based policy.
    Identity,
}

/// A statement that matched the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Match {
    /// Which layer.
    pub layer: Layer,
    /// The policy's label.
    pub policy: String,
    /// The statement's index in the policy (0-based).
    pub statement: usize,
    /// The statement's `Sid`, if any.
    pub sid: Option<String>,
}

/// The outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Allowed.
    Allow,
    /// Denied by a `Deny` statement.
    ExplicitDeny,
    /// Denied because nothing allowed it where an allow was needed.
    ImplicitDeny,
}

/// The decision and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evaluation {
    /// The decision.
    pub decision: Decision,
    /// The `Deny` statements that matched (non-empty for an explicit deny).
    pub denied_by: Vec<Match>,
    /// The `Allow` statements that matched, in every layer.
    pub allowed_by: Vec<Match>,
    /// For an implicit deny: the layer where no statement allowed.
    pub missing: Option<Layer>,
}

/// The statements of a document (`Statement` may be one object or a list).
fn statements(document: &Value) -> Vec<&Value> {
    match document.get("Statement") {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(one @ Value::Object(_)) => vec![one],
        _ => Vec::new(),
    }
}

/// A string or a list of strings.
fn strings(value: Option<&Value>) -> Option<Vec<&str>> {
    match value? {
        Value::String(s) => Some(vec![s.as_str()]),
        Value::Array(items) => Some(items.iter().filter_map(Value::as_str).collect()),
        _ => None,
    }
}

fn action_matches(statement: &Value, action: &str) -> bool {
    let hit = |patterns: Vec<&str>| patterns.iter().any(|p| wildcard_match(p, action, true));
    if let Some(p) = strings(statement.get("Action")) {
        return hit(p);
    }
    strings(statement.get("NotAction")).is_some_and(|p| !hit(p))
}

fn resource_matches(statement: &Value, request: &Request) -> bool {
    let hit = |patterns: Vec<&str>| {
        patterns.iter().any(|p| {
            matching::substitute(p, &request.context).is_some_and(|p| p == "*" || arn_like(&p, &request.resource))
        })
    };
    if let Some(p) = strings(statement.get("Resource")) {
        return hit(p);
    }
    if let Some(p) = strings(statement.get("NotResource")) {
        return !hit(p);
    }
    // A trust policy has no `Resource`: it is about the role it belongs to.
    true
}

/// Whether a `Principal` value names the request's principal.
fn principal_named(value: &Value, request: &Request) -> bool {
    match value {
        Value::String(s) => s == "*",
        Value::Object(map) => map.iter().any(|(kind, v)| {
            let names = strings(Some(v)).unwrap_or_default();
            match kind.as_str() {
                "AWS" => names.iter().any(|n| {
                    *n == "*"
                        || *n == request.principal
                        || request
                            .principal_account()
                            .is_some_and(|acct| *n == acct || *n == format!("arn:aws:iam::{acct}:root"))
                        || assumed_role_of(&request.principal).is_some_and(|role| *n == role)
                }),
                _ => names.iter().any(|n| *n == request.principal),
            }
        }),
        _ => false,
    }
}

/// `arn:aws:iam::A:role/R` for a session `arn:aws:sts::A:assumed-role/R/S`.
fn assumed_role_of(principal: &str) -> Option<String> {
    let rest = principal.strip_prefix("arn:aws:sts::")?;
    let (account, rest) = rest.split_once(':')?;
    let rest = rest.strip_prefix("assumed-role/")?;
    let (role, _) = rest.rsplit_once('/')?;
    Some(format!("arn:aws:iam::{account}:role/{role}"))
}

fn principal_matches(statement: &Value, request: &Request) -> bool {
    if let Some(p) = statement.get("Principal") {
        return principal_named(p, request);
    }
    if let Some(p) = statement.get("NotPrincipal") {
        return !principal_named(p, request);
    }
    true
}

/// Whether one statement applies to the request (its effect aside). `resource_policy`: the
/// statement belongs to a resource policy and must name the principal.
pub fn statement_applies(statement: &Value, request: &Request, resource_policy: bool) -> bool {
    action_matches(statement, &request.action)
        && resource_matches(statement, request)
        && (!resource_policy || principal_matches(statement, request))
        && statement.get("Condition").is_none_or(|c| condition::holds(c, &request.context))
}

/// The statements of `policies` that apply, split by effect.
fn matches(policies: &[Policy<'_>], layer: Layer, request: &Request, allow: &mut Vec<Match>, deny: &mut Vec<Match>) {
    for p in policies {
        for (i, s) in statements(p.document).into_iter().enumerate() {
            if !statement_applies(s, request, layer == Layer::Resource) {
                continue;
            }
            let m = Match {
                layer,
                policy: p.label.to_owned(),
                statement: i,
                sid: s.get("Sid").and_then(Value::as_str).map(str::to_owned),
            };
            match s.get("Effect").and_then(Value::as_str) {
                Some("Deny") => deny.push(m),
                Some("Allow") => allow.push(m),
                _ => {}
            }
        }
    }
}

/// Evaluates one request against the policies in force.
pub fn evaluate(policies: &Policies<'_>, request: &Request) -> Evaluation {
    let mut allowed_by = Vec::new();
    let mut denied_by = Vec::new();
    for (level, scps) in policies.scps.iter().enumerate() {
        matches(scps, Layer::Scp(level), request, &mut allowed_by, &mut denied_by);
    }
    matches(&policies.resource, Layer::Resource, request, &mut allowed_by, &mut denied_by);
    if let Some(boundary) = &policies.boundary {
        matches(boundary, Layer::Boundary, request, &mut allowed_by, &mut denied_by);
    }
    matches(&policies.identity, Layer::Identity, request, &mut allowed_by, &mut denied_by);
    let done = |decision, missing| Evaluation {
        decision,
        denied_by: denied_by.clone(),
        allowed_by: allowed_by.clone(),
        missing,
    };
    if !denied_by.is_empty() {
        return done(Decision::ExplicitDeny, None);
    }
    let allows = |layer: Layer| allowed_by.iter().any(|m| m.layer == layer);
    if let Some(level) = (0..policies.scps.len()).find(|l| !allows(Layer::Scp(*l))) {
        return done(Decision::ImplicitDeny, Some(Layer::Scp(level)));
    }
    let resource_allows = allows(Layer::Resource);
    if policies.cross_account && !resource_allows {
        return done(Decision::ImplicitDeny, Some(Layer::Resource));
    }
    if resource_allows && !policies.cross_account {
        return done(Decision::Allow, None);
    }
    if policies.boundary.is_some() && !allows(Layer::Boundary) {
        return done(Decision::ImplicitDeny, Some(Layer::Boundary));
    }
    if !allows(Layer::Identity) {
        return done(Decision::ImplicitDeny, Some(Layer::Identity));
    }
    done(Decision::Allow, None)
}
