//! Programmatic users' access keys in the CLI: the checks `apply` makes on the secret files
//! before any write, the `~/.aws/config` snippet written beside the credentials file, and
//! `groundwork keys rotate` (the lifecycle is `groundwork_audit::rotation`, the writes
//! `groundwork_aws`).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, bail};
use groundwork_apply::Journal;
use groundwork_audit::rotation::Step;
use groundwork_aws::{Aws, Rotation, secret_file};
use groundwork_blueprint::Blueprint;
use groundwork_plan::kinds::Kind;
use groundwork_plan::kinds::access_key::{aws_config, role_profiles};
use groundwork_plan::{Desired, Ids, Operation, Plan, Render, Style, Styled, count};
use serde_json::{Value, json};

use crate::Exit;
use crate::cli::{ApplyArgs, Global, PlanningArgs, RotateArgs};
use crate::commands::{Session, connect, load_blueprint};
use crate::printer::{Printer, To};

/// Refuses `--password-file` and `--credentials-file` when their group or others may read them,
/// before anything is planned or written.
pub(crate) fn check_secret_files(args: &ApplyArgs) -> Result<()> {
    for path in [&args.password_file, &args.credentials_file].into_iter().flatten() {
        if let Err(e) = secret_file::check(path) {
            bail!("{e}. Nothing was changed.");
        }
    }
    Ok(())
}

/// The addresses of the programmatic users that will get a key.
fn needing_keys(plan: &Plan) -> Vec<&str> {
    plan.changes
        .iter()
        .filter(|c| {
            matches!(&c.operation, Operation::Put { at, spec, live }
                if at.kind == Kind::AccessKey
                    && spec["issued"] == true
                    && live.as_ref().is_none_or(|l| l["issued"] != true))
        })
        .map(|c| c.address.as_str())
        .collect()
}

/// Stops an apply that would issue keys without a file to write them to.
pub(crate) fn require_credentials_file(plan: &Plan, args: &ApplyArgs) -> Result<()> {
    let needing = needing_keys(plan);
    if !needing.is_empty() && args.credentials_file.is_none() {
        bail!(
            "{} will get an access key; groundwork writes access keys only to a file you name: pass --credentials-file FILE. Nothing was changed.",
            needing.join(", ")
        );
    }
    Ok(())
}

/// `FILE.config` beside the credentials file `FILE`.
fn config_path(credentials: &Path) -> PathBuf {
    let mut name = credentials.file_name().map(std::ffi::OsStr::to_os_string).unwrap_or_default();
    name.push(".config");
    credentials.with_file_name(name)
}

/// Writes the `~/.aws/config` profiles of the programmatic users beside the credentials file.
fn write_config(bp: &Blueprint, ids: &Ids, credentials: &Path, printer: &Printer) -> Result<()> {
    let hub = bp.identity.as_ref().and_then(|i| i.account.as_ref()).map(|a| a.value.as_str());
    let Some(hub_id) = ids.account_id(hub) else { return Ok(()) };
    let profiles = role_profiles(bp, ids);
    if profiles.is_empty() {
        return Ok(());
    }
    let path = config_path(credentials);
    let text = aws_config(hub_id, &bp.organization.home_region.value, &profiles);
    std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
    printer.info(&format!(
        "Wrote the AWS CLI profiles of {} to {} (their keys are in {}).",
        count(profiles.len(), "programmatic user"),
        path.display(),
        credentials.display()
    ));
    Ok(())
}

/// After an apply that issued keys: the config snippet beside the credentials file (the ids of
/// accounts this run created are read back first).
pub(crate) async fn write_aws_config(
    aws: &Aws,
    args: &ApplyArgs,
    bp: Option<&Blueprint>,
    desired: &Desired,
    plan: &Plan,
    printer: &Printer,
) {
    let (Some(bp), Some(file)) = (bp, &args.credentials_file) else { return };
    if needing_keys(plan).is_empty() {
        return;
    }
    let result = async {
        let live = aws.discover_for(&groundwork_aws::Focus::blueprint(desired)).await?;
        write_config(bp, &live.ids(desired), file, printer)
    }
    .await;
    if let Err(e) = result {
        printer.err(&format!("warning: the AWS CLI profiles were not written: {e:#}"));
    }
}

/// The programmatic users of the hub and their keys, for the audit's lifecycle view; `None`
/// without programmatic users or before the hub exists.
pub(crate) async fn programmatic_keys(
    aws: &Aws,
    bp: &Blueprint,
    live: &groundwork_plan::Live,
    desired: &Desired,
) -> Result<Option<groundwork_audit::lifecycle::ProgrammaticKeys>> {
    let (Some(identity), Some(org)) = (&bp.identity, &live.organization) else { return Ok(None) };
    let users: Vec<String> = identity.users.iter().filter(|u| u.programmatic).map(|u| u.name.value.clone()).collect();
    let ids = live.ids(desired);
    let hub = identity.account.as_ref().map(|a| a.value.as_str());
    let (false, Some(hub_id)) = (users.is_empty(), ids.account_id(hub)) else { return Ok(None) };
    let keys = aws
        .user_keys(&org.management_account_id, hub_id, &users)
        .await
        .context("reading programmatic users' access keys (read-only)")?;
    Ok(Some(groundwork_audit::lifecycle::ProgrammaticKeys {
        account_id: hub_id.to_owned(),
        users: keys,
        policy: identity.access_keys,
    }))
}

/// `groundwork keys rotate`.
pub(crate) async fn rotate(session: &Session, g: &Global, args: &RotateArgs, printer: &Printer) -> Result<Exit> {
    let bp = load_blueprint(&args.blueprint, printer)?;
    if let Err(e) = secret_file::check(&args.credentials_file) {
        bail!("{e}. Nothing was changed.");
    }
    let Some(identity) = &bp.identity else {
        bail!("{} has no `identity` section, so no programmatic users", args.blueprint.display());
    };
    let mut users: Vec<String> =
        identity.users.iter().filter(|u| u.programmatic).map(|u| u.name.value.clone()).collect();
    if let Some(only) = &args.user {
        if !users.contains(only) {
            bail!(
                "user {only} is not a programmatic user of {} (`programmatic: true` on the user or one of its groups)",
                args.blueprint.display()
            );
        }
        users = vec![only.clone()];
    }
    if users.is_empty() {
        printer.info("No programmatic users: nothing to rotate.");
        return Ok(Exit::Ok);
    }
    let desired = Desired::from_blueprint(&bp);
    let planning = PlanningArgs { account_quota: None, no_rate_limit: args.no_rate_limit };
    let aws = connect(session, g, &planning, &desired).await?;
    let live = aws
        .discover_for(&groundwork_aws::Focus::blueprint(&desired))
        .await
        .context("discovering the organization (read-only)")?;
    let Some(org) = &live.organization else { bail!("the credentials' account is in no organization") };
    let ids = live.ids(&desired);
    let hub = identity.account.as_ref().map(|a| a.value.as_str());
    let Some(hub_id) = ids.account_id(hub) else {
        bail!("the identity hub {} does not exist yet: run `groundwork apply` first", hub.unwrap_or("management"));
    };
    let journal_path = args
        .journal
        .clone()
        .unwrap_or_else(|| Path::new(".groundwork").join(format!("{}.journal.jsonl", bp.organization.name.value)));
    let journal = Arc::new(
        Journal::open(&journal_path).with_context(|| format!("opening the journal {}", journal_path.display()))?,
    );
    let aws = aws.with_journal(Arc::clone(&journal)).with_access_keys(Some(args.credentials_file.clone()), false);
    let as_of = args.as_of.unwrap_or_else(SystemTime::now);
    let as_of_secs = as_of.duration_since(UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    journal.run_start(&format!("keys rotate: {} programmatic users", users.len()));
    let rotations = aws
        .rotate_keys(&org.management_account_id, hub_id, &users, &identity.access_keys, as_of_secs)
        .await
        .context("rotating access keys")?;
    // A user the lifecycle cannot move on (two keys, one not groundwork's) needs a person: a
    // scheduled run must not pass over it.
    let failed = rotations.iter().filter(|r| r.error.is_some() || matches!(r.step, Step::Blocked(_))).count();
    journal.run_end(&format!("keys rotate: {} users, {failed} failed", rotations.len()));
    let doc = Rotated { rotations: &rotations, as_of: groundwork_audit::rfc3339(as_of_secs) };
    printer.print(&doc, To::Stdout);
    if rotations.iter().any(|r| matches!(r.step, Step::Issue { .. }) && r.error.is_none()) {
        write_config(&bp, &ids, &args.credentials_file, printer)?;
    }
    if failed > 0 {
        bail!(
            "{failed} of {} users could not be rotated (see above); fix what blocks them, then rerun `groundwork keys rotate` to continue",
            rotations.len()
        );
    }
    Ok(Exit::Ok)
}

/// The `keys rotate` document: per user, the step and what was done.
struct Rotated<'a> {
    rotations: &'a [Rotation],
    as_of: String,
}

impl Render for Rotated<'_> {
    fn text(&self, out: &mut Styled) {
        out.line(Style::Dim, format!("Access keys as of {}:", self.as_of));
        for r in self.rotations {
            let style = match (&r.error, &r.step) {
                (Some(_), _) | (_, Step::Blocked(_)) => Style::Error,
                (_, Step::Issue { .. }) => Style::Added,
                (_, Step::Deactivate { .. } | Step::Delete { .. }) => Style::Removed,
                (_, Step::Wait { .. }) => Style::Changed,
                _ => Style::Plain,
            };
            out.push(style, format!("  {}: ", r.user));
            out.text(format!("{}\n", r.step.describe()));
            for d in &r.done {
                out.line(Style::Note, format!("    {d}"));
            }
        }
    }

    fn json(&self) -> Value {
        json!({
            "as_of": self.as_of,
            "users": self.rotations.iter().map(|r| json!({
                "user": r.user,
                "step": step_name(&r.step),
                "detail": r.step.describe(),
                "done": r.done,
                "error": r.error,
            })).collect::<Vec<_>>(),
        })
    }
}

fn step_name(step: &Step) -> &'static str {
    match step {
        Step::NoKey => "no-key",
        Step::Current { .. } => "current",
        Step::Issue { .. } => "issue",
        Step::Deactivate { .. } => "deactivate",
        Step::Delete { .. } => "delete",
        Step::Wait { .. } => "wait",
        Step::Blocked(_) => "blocked",
    }
}
