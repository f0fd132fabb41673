//! The built-in assertions every blueprint gets (each can be skipped, with a reason, by an
//! `assertions` entry `{ builtin: NAME, skip: "<reason>" }`):
//! - `mfa-for-every-role`: no hub principal reaches a role without MFA;
//! - `grants-only`: no group can assume a role in an account it has no grant for;
//! - `member-cannot-touch-access-role`: when a guardrail exempts the access role, not even an
//!   administrator of a member account can re-trust, re-permission or delete it;
//! - `member-cannot-touch-log-archive`: given the log bucket's policy and the guardrails, not even
//!   an administrator of the log-archive account can delete the bucket, its objects, its policy,
//!   or turn off its versioning or object lock;
//! - `no-user-policies`: no user holds a policy of their own (permissions come from groups).

use groundwork_blueprint::yaml::Node;
use groundwork_blueprint::{Diagnostic, RoleTrust};
use groundwork_evaluate::{Decision, Policies, Policy, Request, evaluate};
use serde_json::json;

use crate::{Model, Principal, Question, ask_via, path_line};

/// Name and what each built-in assertion proves.
pub const BUILTINS: &[(&str, &str)] = &[
    ("mfa-for-every-role", "no hub principal reaches a role without MFA"),
    ("grants-only", "no group can assume a role in an account it has no grant for"),
    (
        "member-cannot-touch-access-role",
        "no member principal can modify groundwork's access role, given the guardrails",
    ),
    ("no-user-policies", "no user holds a policy of their own"),
];

fn skipped(skips: &[(String, String)], name: &str) -> bool {
    skips.iter().any(|(n, _)| n == name)
}

/// Runs the built-ins that are not skipped.
pub(crate) fn check(out: &mut Vec<Diagnostic>, model: &Model<'_>, root: &Node, skips: &[(String, String)]) {
    let bp = model.bp;
    let groups: Vec<&groundwork_blueprint::Group> = bp.identity.iter().flat_map(|i| &i.groups).collect();
    let hub_roles: Vec<&groundwork_blueprint::Role> =
        model.roles.iter().filter(|r| matches!(r.trust, RoleTrust::Hub { .. })).collect();
    let assume = |g: &str, role: &groundwork_blueprint::Role, account: &str, mfa: bool| {
        let q = Question {
            principal: Principal::Group(g.to_owned()),
            action: "sts:AssumeRole".into(),
            account: account.to_owned(),
            resource: None,
            tags: Vec::new(),
            mfa,
        };
        let answer = ask_via(model, root, &q, Some(&role.name.value));
        answer
            .paths
            .into_iter()
            .find(|p| p.via == format!("role {} in {account}", role.name.value))
            .filter(|p| p.steps.first().is_some_and(|s| s.decision == "allow"))
    };
    if !skipped(skips, "mfa-for-every-role") {
        // Any principal of the hub, not only group members (who also have ForceMFA): the
        // role's trust itself must require MFA.
        let admin = json!({"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]});
        let hub_id = model.hub_id().to_owned();
        let hub_levels = model.hub.as_deref().map(|h| model.scp_levels(h)).unwrap_or_default();
        let scps: Vec<Vec<Policy<'_>>> = hub_levels
            .iter()
            .map(|l| {
                l.iter().filter_map(|label| model.docs.get(label).map(|d| Policy::new(&d.label, &d.document))).collect()
            })
            .collect();
        let principal = format!("arn:aws:iam::{hub_id}:user/any-hub-principal");
        for r in &hub_roles {
            for a in &r.accounts {
                let Some(trust) = model.trusts.get(&(a.clone(), r.name.value.clone())) else { continue };
                let policies = Policies {
                    identity: vec![Policy::new("a hub administrator", &admin)],
                    scps: scps.clone(),
                    resource: vec![Policy::new("trust", trust)],
                    // A trust must allow even within one account (see `ask`).
                    cross_account: true,
                    ..Policies::default()
                };
                let arn = model.role_arn(r, a);
                let mut req = Request::new(&principal, "sts:AssumeRole", &arn);
                req.context
                    .set("aws:PrincipalArn", principal.as_str())
                    .set("aws:PrincipalAccount", hub_id.as_str())
                    .set("aws:username", "any-hub-principal")
                    .set("sts:RoleSessionName", "any-hub-principal");
                if evaluate(&policies, &req).decision == Decision::Allow {
                    let trust = model.trust_origin(root, r);
                    out.push(
                        Diagnostic::error(
                            "blueprint::assertion-failed",
                            r.name.span,
                            format!(
                                "built-in assertion `mfa-for-every-role` fails: a hub principal without MFA can assume role {} in {a}: {} ({}:{}) allows it",
                                r.name.value, trust.what, trust.span.line, trust.span.col
                            ),
                        )
                        .label("reachable without MFA")
                        .related(trust.span, trust.what)
                        .help("a hub-trusted role requires MFA in its trust; skip with `{ builtin: mfa-for-every-role, skip: \"<reason>\" }`"),
                    );
                    break;
                }
            }
        }
    }
    if !skipped(skips, "grants-only") {
        for g in &groups {
            for r in &hub_roles {
                for a in &r.accounts {
                    // A grant, or the baseline role's own `groups` (which grant it in every
                    // account the baseline reaches).
                    let granted = g.grants.iter().any(|gr| gr.role == r.name.value && gr.accounts.contains(a))
                        || groundwork_blueprint::baseline_roles_of(&bp.baseline, &g.name.value)
                            .iter()
                            .any(|(name, _)| *name == r.name.value);
                    if granted {
                        continue;
                    }
                    if let Some(mut p) = assume(&g.name.value, r, a, true) {
                        p.steps.truncate(1);
                        out.push(
                            Diagnostic::error(
                                "blueprint::assertion-failed",
                                g.name.span,
                                format!(
                                    "built-in assertion `grants-only` fails: group {} can assume role {} in {a} without a grant for it, {}",
                                    g.name.value,
                                    r.name.value,
                                    path_line(&p)
                                ),
                            )
                            .label("assumes more than its grants")
                            .help("scope the group's statements to its grants; skip with `{ builtin: grants-only, skip: \"<reason>\" }`"),
                        );
                    }
                }
            }
        }
    }
    // Only where a guardrail exempts the access role (the same rule by which groundwork attaches
    // protect-access-role): there, re-trusting the role is an escape from every guardrail.
    let exempting = bp
        .guardrails
        .policies
        .iter()
        .any(|g| g.builtin.as_deref().is_some_and(|b| groundwork_blueprint::EXEMPTING_BUILTINS.contains(&b)));
    if !skipped(skips, "member-cannot-touch-access-role")
        && exempting
        && bp.guardrails.access_role_protection_disabled.is_none()
    {
        let admin = json!({"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]});
        for a in &bp.accounts {
            let id = model.id(&a.name.value);
            let levels = model.scp_levels(&a.name.value);
            let scps: Vec<Vec<Policy<'_>>> = levels
                .iter()
                .map(|l| {
                    l.iter()
                        .filter_map(|label| model.docs.get(label).map(|d| Policy::new(&d.label, &d.document)))
                        .collect()
                })
                .collect();
            let policies =
                Policies { identity: vec![Policy::new("an administrator", &admin)], scps, ..Policies::default() };
            let access = format!("arn:aws:iam::{id}:role/{}", bp.organization.access_role);
            let someone = format!("arn:aws:iam::{id}:role/an-administrator");
            for action in ["iam:UpdateAssumeRolePolicy", "iam:AttachRolePolicy", "iam:DeleteRole"] {
                let mut r =
                    Request::new(&format!("arn:aws:sts::{id}:assumed-role/an-administrator/s"), action, &access);
                r.context.set("aws:PrincipalArn", someone.as_str()).set("aws:PrincipalAccount", id);
                if evaluate(&policies, &r).decision == Decision::Allow {
                    out.push(
                        Diagnostic::error(
                            "blueprint::assertion-failed",
                            a.name.span,
                            format!(
                                "built-in assertion `member-cannot-touch-access-role` fails: an administrator of {} can {action} on {access}: no guardrail on its path denies it",
                                a.name.value
                            ),
                        )
                        .label("access role unprotected")
                        .help("attach the protect-access-role guardrail above this account; skip with `{ builtin: member-cannot-touch-access-role, skip: \"<reason>\" }`"),
                    );
                    break;
                }
            }
        }
    }
    if !skipped(skips, "member-cannot-touch-log-archive")
        && let Some(logging) = &bp.logging
    {
        log_archive(out, model, logging);
    }
    // `no-user-policies`: the blueprint language gives users groups, never policies, so the
    // model has no user policy to find; the check stays so that a later `users[].statements`
    // cannot slip in unnoticed.
    if !skipped(skips, "no-user-policies")
        && let Some(label) = model.docs.keys().find(|l| l.starts_with("user "))
    {
        out.push(Diagnostic::error(
            "blueprint::assertion-failed",
            groundwork_blueprint::Span::default(),
            format!("built-in assertion `no-user-policies` fails: {label}"),
        ));
    }
}

/// An administrator of the log-archive account (the same account as the bucket: the bucket
/// policy's denies are what stands in the way) against the log bucket.
fn log_archive(out: &mut Vec<Diagnostic>, model: &Model<'_>, logging: &groundwork_blueprint::Logging) {
    let bp = model.bp;
    let account = &logging.account.value;
    let id = model.id(account).to_owned();
    let text =
        |s: String| model.expand(&serde_json::Value::String(s), Some(account)).as_str().unwrap_or_default().to_owned();
    let bucket = text(logging.bucket.value.clone());
    let trail = text(groundwork_plan::trail_arn(&bp.organization.home_region.value, &logging.trail.value));
    let exception =
        logging.protection_exception_role.as_ref().map(|r| text(format!("arn:aws:iam::{id}:role/{}", r.value)));
    let policy =
        model.expand(&groundwork_plan::log_bucket_policy(&bucket, &trail, exception.as_deref()), Some(account));
    let admin = json!({"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]});
    let levels = model.scp_levels(account);
    let scps: Vec<Vec<Policy<'_>>> = levels
        .iter()
        .map(|l| {
            l.iter().filter_map(|label| model.docs.get(label).map(|d| Policy::new(&d.label, &d.document))).collect()
        })
        .collect();
    let policies = Policies {
        identity: vec![Policy::new("an administrator", &admin)],
        scps,
        resource: vec![Policy::new("the log bucket's policy", &policy)],
        ..Policies::default()
    };
    let role = format!("arn:aws:iam::{id}:role/an-administrator");
    let arn = format!("arn:aws:s3:::{bucket}");
    let object = format!("{arn}/AWSLogs/{id}/CloudTrail/x.json.gz");
    for (action, resource) in [
        ("s3:DeleteBucket", &arn),
        ("s3:DeleteBucketPolicy", &arn),
        ("s3:PutBucketPolicy", &arn),
        ("s3:PutBucketVersioning", &arn),
        ("s3:PutBucketObjectLockConfiguration", &arn),
        ("s3:DeleteObject", &object),
        ("s3:DeleteObjectVersion", &object),
        ("s3:PutObject", &object),
    ] {
        let mut r = Request::new(&format!("arn:aws:sts::{id}:assumed-role/an-administrator/s"), action, resource);
        r.context
            .set("aws:PrincipalArn", role.as_str())
            .set("aws:PrincipalAccount", id.as_str())
            .set("aws:SecureTransport", "true");
        let e = evaluate(&policies, &r);
        if e.decision == Decision::Allow {
            out.push(
                Diagnostic::error(
                    "blueprint::assertion-failed",
                    logging.bucket.span,
                    format!(
                        "built-in assertion `member-cannot-touch-log-archive` fails: an administrator of {account} can {action} on {resource}: neither the log bucket's policy nor a guardrail denies it"
                    ),
                )
                .label("log archive unprotected")
                .help("skip with `{ builtin: member-cannot-touch-log-archive, skip: \"<reason>\" }`"),
            );
            return;
        }
    }
}
