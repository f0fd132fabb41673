//! `groundwork import`: read the organization (read-only) and write a blueprint of it.

use std::io::Write as _;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use groundwork_apply::journal::now_rfc3339;
use groundwork_aws::{Aws, OrgTrail};
use groundwork_blueprint::{DEFAULT_ACCESS_ROLE, MANAGEMENT_HUB};
use groundwork_plan::import::guess::rank_hubs;
use groundwork_plan::import::{
    ImportOptions, log_archive_account, member_account, valid_org_name, write_blueprint, written_accounts,
};
use groundwork_plan::{AccountStatus, Desired, Live, LiveAccount};

use crate::Exit;
use crate::cli::{Global, ImportArgs};
use crate::commands::{Session, connect};
use crate::output::import::Import;
use crate::printer::{Printer, To};

pub(crate) async fn run(session: &Session, g: &Global, args: &ImportArgs, printer: &Printer) -> Result<Exit> {
    if args.out.exists() && !args.force {
        bail!("{} exists; pass --force to overwrite it. Nothing was read.", args.out.display());
    }
    if let Some(r) = args.home_region.as_deref().filter(|r| !groundwork_blueprint::regions::is_known_region(r)) {
        bail!("--home-region {r} is not a region groundwork knows");
    }
    if let Some(name) = args.name.as_deref().filter(|n| !valid_org_name(n)) {
        bail!("--name {name}: an organization name is 1 to 64 letters, digits, `-`, `_` and `.`");
    }
    let role = &args.access_role;
    if role.is_empty() || role.len() > 64 || !role.bytes().all(|b| b.is_ascii_alphanumeric() || b"_+=,.@-".contains(&b))
    {
        bail!("--access-role {role}: a role name is 1 to 64 letters, digits and `_+=,.@-`");
    }
    // Only where to connect matters here: the access role and the home region (until the
    // organization trail says which it is).
    let desired = Desired {
        blueprint: args.name.clone().unwrap_or_default(),
        management_email: String::new(),
        ous: Vec::new(),
        accounts: Vec::new(),
        access_role: args.access_role.clone(),
        execution_role: None,
        home_region: args.home_region.clone().or_else(|| g.region.clone()).unwrap_or_default(),
        resources: Vec::new(),
        prune: groundwork_plan::Prune::default(),
        enforce: false,
        flow_logs: Vec::new(),
    };
    let mut aws = connect(session, g, &args.planning, &desired).await?;
    if desired.home_region.is_empty()
        && let Some(region) = aws.sdk_config().region().map(ToString::to_string)
    {
        // No region named: the trails are looked for from the connection's region (from the
        // environment or the profile).
        aws = aws.with_landing_zone(&args.access_role, &region);
    }
    let started = Instant::now();
    let live = aws.discover().await.context("discovering the organization (read-only)")?;
    let Some(org) = live.organization.clone() else {
        bail!("the caller's account is in no organization: there is nothing to import");
    };
    let management = org.management_account_id.as_str();
    let mut guesses = Vec::new();
    let trails = aws.organization_trails(management).await.context("reading the organization trails (read-only)")?;
    let home_region = home_region(args, &aws, &trails, &mut guesses)?;
    let aws = aws.with_landing_zone(&args.access_role, &home_region);
    let names = || {
        let mut n: Vec<&str> = members(&live).map(|a| a.name.as_str()).collect();
        n.sort_unstable();
        n.join(", ")
    };
    let management_name = live.accounts.iter().find(|a| a.id == management).map(|a| a.name.as_str());
    let hub = match args.hub.as_deref() {
        None => guess_hub(&aws, &live, &mut guesses).await,
        Some(NO_HUB) => None,
        Some(MANAGEMENT_HUB) => Some((MANAGEMENT_HUB.to_owned(), management.to_owned())),
        Some(h) => match member_account(&live, h) {
            Some(a) => Some((a.name.clone(), a.id.clone())),
            None if Some(h) == management_name => Some((MANAGEMENT_HUB.to_owned(), management.to_owned())),
            None => bail!(
                "--hub {h}: no active member account has that name (they are: {}; `{MANAGEMENT_HUB}` is the management account, `{NO_HUB}` no hub)",
                names()
            ),
        },
    };
    let log = match args.log_archive.as_deref() {
        Some(l) => match log_archive_account(&live, Some(l)) {
            Some(a) => Some((a.name.clone(), a.id.clone())),
            None => bail!("--log-archive {l}: no active member account has that name (they are: {})", names()),
        },
        None => guess_log_archive(&aws, &live, &home_region, &trails, &mut guesses).await,
    };
    // The name-based guess of the log-archive account is the writer's, which notes it.
    let log_id =
        log.as_ref().map(|(_, id)| id.clone()).or_else(|| log_archive_account(&live, None).map(|a| a.id.clone()));
    let hub_id = hub.as_ref().map(|(_, id)| id.clone());
    let found = Box::pin(aws.read_for_import(live, hub_id.as_deref(), log_id.as_deref()))
        .await
        .context("reading the organization for import (read-only)")?;
    let options = ImportOptions {
        name: args.name.clone(),
        home_region,
        hub: hub.map(|(name, _)| name),
        log_archive: log.map(|(name, _)| name),
        access_role: if args.access_role == DEFAULT_ACCESS_ROLE { String::new() } else { args.access_role.clone() },
        date: now_rfc3339().chars().take(10).collect(),
    };
    let mut imported = match write_blueprint(&found, &options) {
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
    imported.notes.splice(0..0, guesses);
    let doc = Import {
        file: args.out.clone(),
        organization: &org.id,
        imported: &imported,
        secs: started.elapsed().as_secs_f32(),
    };
    printer.print(&doc, To::Status);
    Ok(Exit::Ok)
}

/// `--hub none`: no identity hub, whatever the roles trust.
const NO_HUB: &str = "none";
/// Candidates for the hub whose users are looked at, most trusted first.
const HUB_CANDIDATES: usize = 3;

/// Active member accounts.
fn members(live: &Live) -> impl Iterator<Item = &LiveAccount> {
    let management = live.organization.as_ref().map(|o| o.management_account_id.clone());
    live.accounts.iter().filter(move |a| Some(&a.id) != management.as_ref() && a.status == AccountStatus::Active)
}

/// The home region: `--home-region`, else the organization trail's home region (the one in the
/// connection's region when trails live in several), else the connection's region.
fn home_region(args: &ImportArgs, aws: &Aws, trails: &[OrgTrail], guesses: &mut Vec<String>) -> Result<String> {
    if let Some(r) = &args.home_region {
        return Ok(r.clone());
    }
    let connected = aws.sdk_config().region().map(ToString::to_string);
    let trail = trails.iter().find(|t| Some(&t.home_region) == connected.as_ref()).or_else(|| trails.first());
    if let Some(t) = trail.filter(|t| groundwork_blueprint::regions::is_known_region(&t.home_region)) {
        let others: Vec<String> = trails
            .iter()
            .filter(|o| o.home_region != t.home_region)
            .map(|o| format!("{} in {}", o.name, o.home_region))
            .collect();
        let also = if others.is_empty() {
            String::new()
        } else {
            format!(" (other organization trails: {})", others.join(", "))
        };
        guesses.push(format!(
            "took {} as the home region: organization trail {} lives there{also}; pass --home-region REGION to choose another",
            t.home_region, t.name
        ));
        return Ok(t.home_region.clone());
    }
    let Some(region) = connected else {
        bail!(
            "pass --home-region REGION (or --region): no organization trail says where the trail and the log bucket live"
        );
    };
    if !groundwork_blueprint::regions::is_known_region(&region) {
        bail!("--region {region} is not a region groundwork knows; pass --home-region REGION");
    }
    guesses.push(format!(
        "took {region} (the connection's region) as the home region: no organization trail was found; pass --home-region REGION to choose another"
    ));
    Ok(region)
}

/// The log-archive account: the member account whose bucket listing holds the home region's
/// organization trail's bucket (accounts whose id is in the bucket's name first, then those
/// whose name contains `log`). `None` when there is no such trail or no account holds it: the
/// writer then guesses by name.
async fn guess_log_archive(
    aws: &Aws,
    live: &Live,
    home_region: &str,
    trails: &[OrgTrail],
    guesses: &mut Vec<String>,
) -> Option<(String, String)> {
    let trail = trails.iter().find(|t| t.home_region == home_region && !t.bucket.is_empty())?;
    let management = &live.organization.as_ref()?.management_account_id;
    let mut accounts: Vec<&LiveAccount> = written_accounts(live);
    accounts.sort_by_key(|a| (!trail.bucket.contains(&a.id), !a.name.to_lowercase().contains("log"), a.name.clone()));
    let ids: Vec<&str> = accounts.iter().map(|a| a.id.as_str()).collect();
    let owner = aws.bucket_owner(&trail.bucket, &ids, management).await?;
    let account = accounts.iter().find(|a| a.id == owner)?;
    guesses.push(format!(
        "took {} as the log-archive account: it holds bucket {} of organization trail {}; pass --log-archive NAME to choose another",
        account.name, trail.bucket, trail.name
    ));
    Some((account.name.clone(), account.id.clone()))
}

/// The identity hub: of the accounts the roles of member accounts trust (their trust policy
/// names the account's root), the most trusted whose IAM users are in groups. The management
/// account is one too (`management`).
async fn guess_hub(aws: &Aws, live: &Live, guesses: &mut Vec<String>) -> Option<(String, String)> {
    let management = live.organization.as_ref()?.management_account_id.clone();
    let written = written_accounts(live);
    let ids: Vec<&str> = written.iter().map(|a| a.id.as_str()).collect();
    let trusts = aws.hub_trusts(&ids, &management).await;
    let organization: Vec<&str> = ids.iter().copied().chain([management.as_str()]).collect();
    let ranked = rank_hubs(&trusts, &organization);
    for c in ranked.iter().take(HUB_CANDIDATES) {
        let Ok(users) = aws.grouped_users(&c.account, &management).await else { continue };
        if users.users == 0 {
            continue;
        }
        let (name, shown) = if c.account == management {
            (MANAGEMENT_HUB.to_owned(), format!("the management account ({management})"))
        } else {
            let a = written.iter().find(|a| a.id == c.account)?;
            (a.name.clone(), a.name.clone())
        };
        guesses.push(format!(
            "took {shown} as the identity hub: {} in {} trust it, and {} of its IAM users are in {}; pass --hub NAME (or --hub {NO_HUB}) to choose another",
            plural(c.roles, "role"),
            plural(c.accounts, "member account"),
            users.users,
            plural(users.groups, "group"),
        ));
        return Some((name, c.account.clone()));
    }
    if !ranked.is_empty() {
        guesses.push(format!(
            "no identity hub: the accounts member roles trust ({}) have no IAM users in groups; pass --hub NAME to import one",
            ranked.iter().map(|c| c.account.as_str()).collect::<Vec<_>>().join(", ")
        ));
    }
    None
}

/// `n thing` or `n things`.
fn plural(n: usize, thing: &str) -> String {
    if n == 1 { format!("1 {thing}") } else { format!("{n} {thing}s") }
}
