//! The check that makes the promise of import hold: the written text is parsed with the
//! blueprint validator and planned against what was found (the part of it discovery would read
//! for that blueprint), and every item that does not validate, or that a plan would create,
//! update or remove, is commented out with the reason, until only adoptions are left.

use std::collections::{BTreeMap, BTreeSet};

use groundwork_blueprint::sandbox::SANDBOX_LIMITS;
use groundwork_blueprint::{Diagnostics, Severity};

use super::sections::{Cx, Item, header, join};
use super::{Found, ImportOptions, Imported};
use crate::kinds::managed_policy::FORCE_MFA_POLICY;
use crate::kinds::scp_attachment::ReverseTarget;
use crate::plan::{Action, Change, Operation, PlanOptions, plan};
use crate::resource::Kind;
use crate::state::{Address, Desired, Live};

/// What discovery reads for `desired`: the listed resources it names, and the attachments of
/// its SCPs to targets it can name (so a plan would detach those it does not list).
fn asked(found: &Found, desired: &Desired) -> Live {
    let wanted: BTreeSet<&Address> = desired.resources.iter().map(|r| &r.address).collect();
    let scps: BTreeSet<&str> = desired
        .resources
        .iter()
        .filter(|r| matches!(r.at.kind, Kind::Scp | Kind::OrgPolicy))
        .map(|r| r.at.name.as_str())
        .collect();
    let mut live = found.live.clone();
    live.resources.retain(|address, r| {
        wanted.contains(address)
            || (matches!(r.at.kind, Kind::ScpAttachment | Kind::OrgPolicyAttachment)
                && r.spec["policy"].as_str().is_some_and(|p| scps.contains(p))
                && !matches!(
                    ReverseTarget::parse(r.spec["target"].as_str().unwrap_or_default()),
                    ReverseTarget::Unnamed(_)
                ))
    });
    live
}

fn verb(action: Action) -> &'static str {
    match action {
        Action::Create => "create",
        Action::Update => "update",
        Action::Delete => "remove part of",
        Action::Adopt => "adopt",
        Action::Replace => "replace",
        Action::NoOp => "leave",
    }
}

/// The item a change of a plan belongs to; `None` for what cannot be commented out.
fn item_of(change: &Change) -> Option<Item> {
    let (at, spec) = match &change.operation {
        Operation::Put { at, spec, .. } | Operation::Replace { at, spec, .. } => (at, spec),
        Operation::Delete { at, live } => (at, live),
        _ => return None,
    };
    match at.kind {
        Kind::Bucket | Kind::Trail | Kind::ServiceAccess | Kind::KmsKey => Some(Item::Logging),
        Kind::Scp if at.name == SANDBOX_LIMITS => Some(Item::Sandbox),
        Kind::ScpAttachment if spec["policy"] == SANDBOX_LIMITS => Some(Item::Sandbox),
        Kind::Scp | Kind::OrgPolicy => Some(Item::Guardrail(at.name.clone())),
        Kind::ScpAttachment | Kind::OrgPolicyAttachment => {
            spec["policy"].as_str().map(|p| Item::Guardrail(p.to_owned()))
        }
        Kind::Budget => Some(Item::Sandbox),
        Kind::RootAccess => Some(Item::RootAccess),
        Kind::ManagedPolicy if at.name == FORCE_MFA_POLICY => Some(Item::ForceMfa),
        Kind::Group => Some(Item::Group(at.name.clone())),
        Kind::User | Kind::AccessKey => Some(Item::User(at.name.clone())),
        Kind::Role | Kind::InstanceProfile => Some(Item::Role(at.name.clone())),
        Kind::PasswordPolicy
        | Kind::PolicyType
        | Kind::ManagedPolicy
        | Kind::AccessRole
        | Kind::AccountPublicAccessBlock
        | Kind::EbsEncryption
        | Kind::FlowLog => None,
        Kind::LogGroup
        | Kind::MetricFilter
        | Kind::MetricAlarm
        | Kind::SnsTopic
        | Kind::EventBus
        | Kind::EventRule
        | Kind::EventConnection
        | Kind::ApiDestination => Some(Item::Alerts),
        Kind::SsoGroup | Kind::SsoUser | Kind::SsoMembership | Kind::PermissionSet | Kind::SsoAssignment => {
            Some(Item::IdentityCenter)
        }
    }
}

pub(super) fn write_blueprint(found: &Found, options: &ImportOptions) -> Result<Imported, Diagnostics> {
    let cx = Cx::new(found, options);
    let mut excluded: BTreeMap<Item, String> = BTreeMap::new();
    // Comment out what does not validate, then what a plan would change, until neither is left.
    // Each round comments out at least one more item, so this ends.
    let (body, rendered, summary, adopted, kept) = loop {
        let (pieces, rendered) = cx.pieces(&excluded);
        let (text, spans) = join(&pieces);
        let parsed = match groundwork_blueprint::parse("imported.yaml", text.as_bytes()) {
            Ok(p) => p,
            Err(d) => {
                let mut progressed = false;
                for diag in d.items.iter().filter(|x| x.severity == Severity::Error) {
                    let Some((_, item)) = spans.iter().find(|(range, _)| range.contains(&diag.span.line)) else {
                        return Err(d);
                    };
                    if !excluded.contains_key(item) {
                        excluded.insert(item.clone(), format!("it does not validate: {}", diag.message));
                        progressed = true;
                    }
                }
                if !progressed {
                    return Err(d);
                }
                continue;
            }
        };
        let mut blueprint = parsed.blueprint;
        // Import never reads the Slack token: the check takes the live connection's fingerprint
        // (a plan with another token shows the connection's update, and only that).
        if let Some(slack) = blueprint.alerts.as_mut().and_then(|a| a.slack.as_mut()) {
            slack.token_fingerprint = found
                .live
                .resources
                .values()
                .find(|r| r.at.kind == Kind::EventConnection && r.at.name == crate::kinds::slack::SLACK)
                .and_then(|r| r.spec["fingerprint"].as_str().map(str::to_owned));
        }
        let desired = Desired::from_blueprint(&blueprint);
        let p = plan(&desired, &asked(found, &desired), PlanOptions::default());
        let mut progressed = false;
        let mut kept = Vec::new();
        let mut adopted: BTreeMap<(u8, &'static str), usize> = BTreeMap::new();
        for c in &p.changes {
            if c.action == Action::Adopt {
                let kind = match c.address.as_str().split('/').next() {
                    Some("ou") => (0, "OU"),
                    Some("account") => (1, "account"),
                    Some("scp") => (2, "SCP"),
                    Some("iam-user") => (3, "user"),
                    _ => (4, "other object"),
                };
                *adopted.entry(kind).or_default() += 1;
                continue;
            }
            match item_of(c) {
                Some(item) if !excluded.contains_key(&item) => {
                    excluded.insert(item, format!("a plan would {} {}: {}", verb(c.action), c.address, c.reason));
                    progressed = true;
                }
                _ => kept.push(format!("{} {}: {}", crate::render::symbol(c.action).trim(), c.address, c.reason)),
            }
        }
        kept.extend(p.errors.iter().map(|e| format!("error: {e}")));
        if !progressed {
            break (text, rendered, p.summary(), adopted, kept);
        }
    };
    let mut text = header(&cx, summary, &adopted, &kept, rendered.commented.len()).join("\n");
    text.push('\n');
    text.push_str(&body);
    // The header is comments only; check anyway, as the file is what the operator gets.
    let parsed = groundwork_blueprint::parse("imported.yaml", text.as_bytes())?;
    let mut notes = rendered.notes;
    notes.extend(kept.iter().map(|k| format!("a plan will still show: {k}")));
    Ok(Imported {
        yaml: text,
        commented: rendered.commented,
        notes,
        warnings: parsed
            .warnings
            .items
            .iter()
            .map(|d| format!("{}: {}", parsed.warnings.location(d), d.message))
            .collect(),
        summary,
    })
}
