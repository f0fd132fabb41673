//! `groundwork import`: read the organization (read-only) and write a blueprint of it.

use std::io::Write as _;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use groundwork_apply::journal::now_rfc3339;
use groundwork_blueprint::{DEFAULT_ACCESS_ROLE, MANAGEMENT_HUB};
use groundwork_plan::Desired;
use groundwork_plan::import::{ImportOptions, log_archive_account, member_account, valid_org_name, write_blueprint};

use crate::Exit;
use crate::cli::{Global, ImportArgs};
use crate::commands::{Session, connect};
use crate::output::import::Import;
use crate::printer::{Printer, To};

pub(crate) async fn run(session: &Session, g: &Global, args: &ImportArgs, printer: &Printer) -> Result<Exit> {
    if args.out.exists() && !args.force {
        bail!("{} exists; pass --force to overwrite it. Nothing was read.", args.out.display());
    }
    let Some(home_region) = args.home_region.clone().or_else(|| g.region.clone()) else {
        bail!(
            "pass --home-region REGION (or --region): the blueprint names the home region, where the trail and the log bucket live"
        );
    };
    if !groundwork_blueprint::regions::is_known_region(&home_region) {
        bail!("--home-region {home_region} is not a region groundwork knows");
    }
    if let Some(name) = args.name.as_deref().filter(|n| !valid_org_name(n)) {
        bail!("--name {name}: an organization name is 1 to 64 letters, digits, `-`, `_` and `.`");
    }
    let role = &args.access_role;
    if role.is_empty() || role.len() > 64 || !role.bytes().all(|b| b.is_ascii_alphanumeric() || b"_+=,.@-".contains(&b))
    {
        bail!("--access-role {role}: a role name is 1 to 64 letters, digits and `_+=,.@-`");
    }
    // Only where to connect matters here: the access role and the home region.
    let desired = Desired {
        blueprint: args.name.clone().unwrap_or_default(),
        management_email: String::new(),
        ous: Vec::new(),
        accounts: Vec::new(),
        access_role: args.access_role.clone(),
        execution_role: None,
        home_region: home_region.clone(),
        resources: Vec::new(),
        prune: groundwork_plan::Prune::default(),
        enforce: false,
        flow_logs: Vec::new(),
    };
    let aws = connect(session, g, &args.planning, &desired).await?;
    let started = Instant::now();
    let live = aws.discover().await.context("discovering the organization (read-only)")?;
    let Some(org) = live.organization.clone() else {
        bail!("the caller's account is in no organization: there is nothing to import");
    };
    let names = || {
        let mut n: Vec<&str> = live
            .accounts
            .iter()
            .filter(|a| a.id != org.management_account_id && a.status == groundwork_plan::AccountStatus::Active)
            .map(|a| a.name.as_str())
            .collect();
        n.sort_unstable();
        n.join(", ")
    };
    let hub_id = match args.hub.as_deref() {
        None => None,
        Some(MANAGEMENT_HUB) => Some(org.management_account_id.clone()),
        Some(h) => match member_account(&live, h) {
            Some(a) => Some(a.id.clone()),
            None => bail!("--hub {h}: no active member account has that name (they are: {})", names()),
        },
    };
    let log_id = match (args.log_archive.as_deref(), log_archive_account(&live, args.log_archive.as_deref())) {
        (_, Some(a)) => Some(a.id.clone()),
        (Some(l), None) => bail!("--log-archive {l}: no active member account has that name (they are: {})", names()),
        (None, None) => None,
    };
    let found = Box::pin(aws.read_for_import(live, hub_id.as_deref(), log_id.as_deref()))
        .await
        .context("reading the organization for import (read-only)")?;
    let options = ImportOptions {
        name: args.name.clone(),
        home_region,
        hub: args.hub.clone(),
        log_archive: args.log_archive.clone(),
        access_role: if args.access_role == DEFAULT_ACCESS_ROLE { String::new() } else { args.access_role.clone() },
        date: now_rfc3339().chars().take(10).collect(),
    };
    let imported = match write_blueprint(&found, &options) {
        Ok(i) => i,
        Err(d) => {
            printer.diagnostics(&d);
            bail!(
                "the blueprint written from organization {} does not validate ({} errors above); this is a bug in groundwork import. Nothing was written.",
                org.id,
                d.error_count()
            );
        }
    };
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .create_new(!args.force)
        .open(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;
    file.write_all(imported.yaml.as_bytes()).with_context(|| format!("writing {}", args.out.display()))?;
    let doc = Import {
        file: args.out.clone(),
        organization: &org.id,
        imported: &imported,
        secs: started.elapsed().as_secs_f32(),
    };
    printer.print(&doc, To::Status);
    Ok(Exit::Ok)
}
