//! The commands: validate, graph, plan, apply, drift (audit and import have their own modules;
//! what each prints is a document of `crate::output` or of the plan crate).

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use groundwork_apply::Journal;
use groundwork_apply::journal::last_interrupted;
use groundwork_apply::{ExecOptions, Progress, ProgressMode, execute};
use groundwork_aws::{Aws, CallStats, ConnectOptions};
use groundwork_blueprint::Blueprint;
use groundwork_plan::{
    Desired, Drift, FORMAT_VERSION, GITHUB_COMMENT_LIMIT, GraphFormat, Live, Plan, PlanOptions, Render as _, count,
    render_graph, render_markdown,
};

use crate::Exit;
use crate::cli::{
    ApplyArgs, Cli, Command, DriftArgs, Global, GraphArgs, GraphFormatArg, InitArgs, PlanArgs, PlanFormatArg,
    PlanningArgs, ValidateArgs,
};
use crate::output::apply::Applied;
use crate::output::stats::Stats;
use crate::output::validate::{Checked, FileReport, Validate};
use crate::printer::{Printer, To};

/// State of one invocation: the AWS connection, once made, so `--stats` can report the calls
/// made whatever way the command ends.
#[derive(Default)]
pub(crate) struct Session {
    aws: std::sync::OnceLock<Aws>,
}

pub(crate) async fn run(cli: &Cli, printer: &Printer) -> Result<Exit> {
    let session = Session::default();
    let result = match &cli.command {
        Command::Validate(args) => Ok(validate(args, printer)),
        Command::Graph(args) => graph(args, printer),
        Command::Permissions(args) => crate::permissions::run(args, printer),
        Command::Explain(args) => crate::explain::run(args, printer),
        Command::Plan(args) => plan(&session, &cli.global, args, printer).await,
        Command::Apply(args) => Box::pin(apply(&session, &cli.global, args, printer)).await,
        Command::Drift(args) => drift(&session, &cli.global, args, printer).await,
        Command::Audit(args) => crate::audit::audit(&session, &cli.global, args, printer).await,
        Command::Import(args) => Box::pin(crate::import::run(&session, &cli.global, args, printer)).await,
        Command::Alerts(crate::cli::AlertsCommand::Test(args)) => {
            Box::pin(crate::slack::alerts_test(&session, &cli.global, args, printer)).await
        }
        Command::Keys(crate::cli::KeysCommand::Rotate(args)) => {
            Box::pin(crate::keys::rotate(&session, &cli.global, args, printer)).await
        }
        Command::Init(args) if args.from_import => {
            Box::pin(crate::import::run(&session, &cli.global, &args.import, printer)).await
        }
        Command::Init(_) | Command::Schema | Command::Completions(_) | Command::Man => {
            crate::tooling::run(&cli.command, printer)
        }
    };
    match session.aws.get() {
        Some(aws) => print_stats(&cli.global, &aws.counter().snapshot(), printer),
        // Nothing was sent to AWS (e.g. an invalid blueprint): say so.
        None if !matches!(
            cli.command,
            Command::Validate(_)
                | Command::Graph(_)
                | Command::Permissions(_)
                | Command::Explain(_)
                | Command::Init(InitArgs { from_import: false, .. })
                | Command::Schema
                | Command::Completions(_)
                | Command::Man
        ) =>
        {
            print_stats(&cli.global, &CallStats::default(), printer);
        }
        None => {}
    }
    result
}

fn validate(args: &ValidateArgs, printer: &Printer) -> Exit {
    let files = args
        .files
        .iter()
        .map(|file| FileReport {
            path: file.clone(),
            checked: match groundwork_blueprint::load(file) {
                Ok(parsed) => {
                    // Access assertions, once the rest is valid (docs/assertions.md).
                    let w = &parsed.warnings;
                    let failed = groundwork_assertions::check(&w.name, &w.source, &parsed.blueprint);
                    if failed.is_empty() {
                        Checked::Valid {
                            ous: parsed.blueprint.organizational_units.len(),
                            accounts: parsed.blueprint.accounts.len(),
                            wildcards: groundwork_blueprint::wildcard_actions(&parsed.blueprint),
                            warnings: parsed.warnings,
                        }
                    } else {
                        let mut d = parsed.warnings;
                        d.items.extend(failed);
                        d.items.sort_by_key(|d| (d.span.start, d.code));
                        Checked::Invalid(d)
                    }
                }
                Err(d) => Checked::Invalid(d),
            },
        })
        .collect();
    let doc = Validate { files, quiet: printer.quiet };
    printer.print(&doc, To::Stderr);
    if doc.failed() { Exit::Error } else { Exit::Ok }
}

/// Draws the organization from the blueprint alone, like `validate` (no AWS call).
fn graph(args: &GraphArgs, printer: &Printer) -> Result<Exit> {
    let bp = load_blueprint(&args.blueprint, printer)?;
    let format = match args.format {
        GraphFormatArg::Mermaid => GraphFormat::Mermaid,
        GraphFormatArg::Dot => GraphFormat::Dot,
    };
    let text = render_graph(&bp, format);
    match &args.out {
        Some(out) => {
            std::fs::write(out, &text).with_context(|| format!("writing the graph to {}", out.display()))?;
            printer.info(&format!("Wrote the {format} graph of {} to {}.", args.blueprint.display(), out.display()));
        }
        None => printer.out(&text),
    }
    Ok(Exit::Ok)
}

/// Loads a blueprint to plan from it (plan, apply, drift): as [`load_blueprint`], then reads the
/// Slack token of `alerts.slack`, if any, to keep its fingerprint (never the token).
pub(crate) fn load_for_planning(path: &Path, printer: &Printer) -> Result<Blueprint> {
    let mut bp = load_blueprint(path, printer)?;
    crate::slack::fingerprint_token(&mut bp, path)?;
    Ok(bp)
}

/// Loads a blueprint, printing its diagnostics; an invalid one is an error before any AWS call.
pub(crate) fn load_blueprint(path: &Path, printer: &Printer) -> Result<Blueprint> {
    match groundwork_blueprint::load(path) {
        Ok(parsed) => {
            if !parsed.warnings.items.is_empty() && !printer.quiet {
                printer.diagnostics(&parsed.warnings);
            }
            Ok(parsed.blueprint)
        }
        Err(d) => {
            printer.diagnostics(&d);
            bail!("{} is not a valid blueprint ({} errors); nothing was sent to AWS", path.display(), d.error_count())
        }
    }
}

pub(crate) async fn connect(session: &Session, g: &Global, planning: &PlanningArgs, desired: &Desired) -> Result<Aws> {
    let options = ConnectOptions {
        profile: g.profile.clone(),
        region: g.region.clone(),
        endpoint_url: g.endpoint_url.clone(),
        rate_limit: !planning.no_rate_limit,
        account_quota: planning.account_quota,
        ..ConnectOptions::default()
    };
    let aws = Aws::connect(&options).await.map_err(|e| match e {
        groundwork_aws::AwsError::NoRegion => anyhow::anyhow!("no AWS region is configured: pass --region, set AWS_REGION, or set `region` in your profile"),
        groundwork_aws::AwsError::NoCredentials(source) => anyhow::anyhow!(
            "no AWS credentials were found ({source}): set AWS_PROFILE or --profile, run `aws sso login`, or export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
        ),
        other @ groundwork_aws::AwsError::Call { .. } => anyhow::Error::new(other),
    })?;
    let aws = aws
        .with_landing_zone(&desired.access_role, &desired.home_region)
        .with_execution_role(desired.execution_role.as_deref());
    let _ = session.aws.set(aws.clone());
    Ok(aws)
}

/// Reads the organization and every resource the blueprint names (read-only).
async fn discover_all(aws: &Aws, desired: &Desired) -> Result<Live> {
    let focus = groundwork_aws::Focus::blueprint(desired);
    let mut live = aws.discover_for(&focus).await.context("discovering the organization (read-only)")?;
    aws.discover_resources(desired, &mut live).await.context("discovering the landing zone's resources (read-only)")?;
    Ok(live)
}

async fn discover_and_plan(
    aws: &Aws,
    desired: &Desired,
    planning: &PlanningArgs,
    printer: &Printer,
) -> Result<(Live, Plan)> {
    let started = Instant::now();
    let live = discover_all(aws, desired).await?;
    printer.info(&format!(
        "Discovered {}, {} and {} in {:.1}s.",
        count(live.ous.len(), "OU"),
        count(live.accounts.len(), "account"),
        count(live.resources.len(), "other resource"),
        started.elapsed().as_secs_f32()
    ));
    let plan = groundwork_plan::plan(desired, &live, PlanOptions { account_quota: planning.account_quota });
    Ok((live, plan))
}

fn print_stats(g: &Global, stats: &CallStats, printer: &Printer) {
    if !g.stats {
        return;
    }
    printer.aside(&Stats(stats));
}

async fn plan(session: &Session, g: &Global, args: &PlanArgs, printer: &Printer) -> Result<Exit> {
    let bp = load_for_planning(&args.blueprint, printer)?;
    let mut desired = Desired::from_blueprint(&bp);
    desired.prune.all = args.prune;
    desired.enforce = args.enforce;
    let aws = connect(session, g, &args.planning, &desired).await?;
    let (_, plan) = discover_and_plan(&aws, &desired, &args.planning, printer).await?;
    match args.format {
        Some(PlanFormatArg::Markdown) => printer.out(&render_markdown(&plan, GITHUB_COMMENT_LIMIT)),
        Some(PlanFormatArg::Json) => printer.out(&format!("{}\n", serde_json::to_string_pretty(&plan.json())?)),
        Some(PlanFormatArg::Text) | None => printer.print(&plan, To::Stdout),
    }
    if let Some(out) = &args.out {
        let saved = Plan { desired: Some(desired.clone()), ..plan.clone() };
        let text = serde_json::to_string_pretty(&saved)?;
        std::fs::write(out, text + "\n").with_context(|| format!("writing the plan to {}", out.display()))?;
        printer.info(&format!(
            "Saved the plan to {}; apply exactly it with `groundwork apply {}`.",
            out.display(),
            out.display()
        ));
    }
    if !plan.applyable() {
        bail!("pre-flight checks failed, the plan cannot be applied:\n  - {}", plan.errors.join("\n  - "));
    }
    Ok(if args.detailed_exitcode && !plan.is_empty() { Exit::Changes } else { Exit::Ok })
}

fn is_saved_plan(path: &Path) -> bool {
    path.extension().is_some_and(|e| e.eq_ignore_ascii_case("json"))
}

/// `--journal`, or `.groundwork/<blueprint>.journal.jsonl`.
fn journal_path(args: &ApplyArgs, blueprint: &str) -> std::path::PathBuf {
    args.journal.clone().unwrap_or_else(|| Path::new(".groundwork").join(format!("{blueprint}.journal.jsonl")))
}

fn report_interrupted(args: &ApplyArgs, blueprint: &str, printer: &Printer) {
    if let Some(previous) = last_interrupted(&journal_path(args, blueprint)) {
        printer.err(&format!("Note: {}.", previous.describe()));
    }
}

async fn apply(session: &Session, g: &Global, args: &ApplyArgs, printer: &Printer) -> Result<Exit> {
    let from_saved = is_saved_plan(&args.input);
    if from_saved && args.prune {
        bail!(
            "--prune is for planning: the saved plan {} holds the deletes it was made with (make it with `groundwork plan --prune --out FILE`). Nothing was changed.",
            args.input.display()
        );
    }
    if from_saved && args.enforce {
        bail!(
            "--enforce is for planning: the saved plan {} holds what it was made with (make it with `groundwork plan --enforce --out FILE`). Nothing was changed.",
            args.input.display()
        );
    }
    crate::keys::check_secret_files(args)?;
    let (aws, mut live, mut plan, desired, bp) = if from_saved {
        let text = std::fs::read_to_string(&args.input).with_context(|| format!("reading {}", args.input.display()))?;
        let saved: Plan = serde_json::from_str(&text)
            .with_context(|| format!("{} is not a groundwork plan", args.input.display()))?;
        if saved.format_version != FORMAT_VERSION {
            bail!(
                "{} has plan format {}, this groundwork reads {FORMAT_VERSION}; make the plan again",
                args.input.display(),
                saved.format_version
            );
        }
        let Some(desired) = saved.desired.clone() else {
            bail!(
                "{} does not say what it was planned from; make the plan again with `groundwork plan --out`",
                args.input.display()
            );
        };
        let aws = connect(session, g, &args.planning, &desired).await?;
        let live = discover_all(&aws, &desired).await?;
        report_interrupted(args, &saved.blueprint, printer);
        if live.fingerprint() != saved.live_fingerprint {
            bail!(
                "the organization changed since {} was made (its live-state fingerprint differs); run `groundwork plan` again. Nothing was changed.",
                args.input.display()
            );
        }
        printer.show(&saved, To::Stdout);
        (aws, live, saved, desired, None)
    } else {
        let bp = load_for_planning(&args.input, printer)?;
        report_interrupted(args, &bp.organization.name.value, printer);
        let mut desired = Desired::from_blueprint(&bp);
        desired.prune.all = args.prune;
        desired.enforce = args.enforce;
        let aws = connect(session, g, &args.planning, &desired).await?;
        let (live, plan) = discover_and_plan(&aws, &desired, &args.planning, printer).await?;
        printer.show(&plan, To::Stdout);
        (aws, live, plan, desired, Some(bp))
    };
    if !plan.applyable() {
        bail!(
            "pre-flight checks failed, the plan cannot be applied; nothing was changed:\n  - {}",
            plan.errors.join("\n  - ")
        );
    }
    if plan.is_empty() {
        printer.print(&Applied::nothing(), To::Stdout);
        return Ok(Exit::Ok);
    }
    let needs_passwords: Vec<&str> = plan
        .changes
        .iter()
        .filter(|c| {
            matches!(&c.operation, groundwork_plan::Operation::Put { at, spec, live }
                if at.kind == groundwork_plan::Kind::User
                    && spec["console"] == true
                    && live.as_ref().is_none_or(|l| l["console"] != true))
        })
        .map(|c| c.address.as_str())
        .collect();
    if !needs_passwords.is_empty() && args.password_file.is_none() {
        bail!(
            "{} will get a console password; groundwork writes generated passwords only to a file you name: pass --password-file FILE. Nothing was changed.",
            needs_passwords.join(", ")
        );
    }
    crate::keys::require_credentials_file(&plan, args)?;
    let aws = aws
        .with_password_file(args.password_file.clone())
        .with_access_keys(args.credentials_file.clone(), desired.enforce);
    if !args.auto_approve {
        if !printer.stdin_tty {
            bail!(
                "refusing to apply without confirmation: stdin is not a terminal; review the plan and pass --auto-approve"
            );
        }
        if !printer.confirm("Do you want to perform these actions?") {
            printer.err("Apply cancelled. Nothing was changed.");
            return Ok(Exit::Error);
        }
    }
    let mode = if printer.quiet || printer.json {
        ProgressMode::Quiet
    } else if printer.progress_bars {
        ProgressMode::Bars
    } else {
        ProgressMode::Lines
    };
    let options = ExecOptions {
        parallelism: usize::from(args.parallelism),
        max_account_creations: usize::from(args.max_account_creations),
        create_timeout: Duration::from_secs(args.create_timeout),
        ..ExecOptions::default()
    };
    let journal_path = journal_path(args, &plan.blueprint);
    let journal = Arc::new(
        Journal::open(&journal_path).with_context(|| format!("opening the journal {}", journal_path.display()))?,
    );
    let aws = aws.with_journal(Arc::clone(&journal));
    let terms = groundwork_aws::LeaseTerms { expiry: Duration::from_secs(args.lease_expiry) };
    let acquired = aws.acquire_lock(journal.run_id(), args.break_lock, terms).await?;
    let lock = acquired.lock;
    aws.keep_lease(&lock);
    if let Some(old) = &acquired.took_over {
        printer.err(&format!(
            "Took over the apply lock of {} ({}, pid {}, run {}), taken at {} and last renewed {}s ago, longer than its {}s expiry: that run is gone.",
            old.info.holder,
            old.info.caller,
            old.info.pid,
            old.info.run,
            old.info.since,
            old.age.as_secs(),
            old.info.expiry().as_secs()
        ));
    }
    // Under the lock, make sure nothing changed since the plan was made (another run may have
    // finished while this one planned, or the run whose lock was taken over got some way).
    let now = discover_all(&aws, &desired).await.context("checking the organization under the lock")?;
    if now.fingerprint() != plan.live_fingerprint {
        if acquired.took_over.is_none() || from_saved {
            let _ = aws.release_lock(&lock).await;
            bail!(
                "the organization changed while this apply was planning (another run?); run it again. Nothing was changed."
            );
        }
        printer.info("The organization changed since the plan was made (the run whose lock was taken over wrote to it); planning again.");
        plan = groundwork_plan::plan(&desired, &now, PlanOptions { account_quota: args.planning.account_quota });
        live = now;
        printer.show(&plan, To::Stdout);
        let confirmed = plan.applyable()
            && !plan.is_empty()
            && (args.auto_approve || (printer.stdin_tty && printer.confirm("Do you want to perform these actions?")));
        if !confirmed {
            let _ = aws.release_lock(&lock).await;
            if !plan.applyable() {
                bail!(
                    "pre-flight checks failed, the plan cannot be applied; nothing was changed:\n  - {}",
                    plan.errors.join("\n  - ")
                );
            }
            if plan.is_empty() {
                printer.info("Nothing left to do.");
                return Ok(Exit::Ok);
            }
            printer.err("Apply cancelled. Nothing was changed.");
            return Ok(Exit::Error);
        }
    }
    printer.info(&format!(
        "Took the apply lock (s3://{}/{}, renewed every {}s); journal: {}",
        lock.bucket,
        groundwork_aws::LOCK_KEY,
        terms.renew_every().as_secs(),
        journal_path.display()
    ));
    journal.run_start(&format!("{} changes for blueprint {}", plan.changes.len(), plan.blueprint));
    let started = Instant::now();
    let progress = Arc::new(Progress::new(mode, plan.changes.len()));
    let report = execute(&plan, &live, Arc::new(aws.clone()), options, progress).await;
    let secs = started.elapsed().as_secs_f32();
    let fenced = aws.fenced();
    if let Err(e) = aws.release_lock(&lock).await {
        printer.err(&format!(
            "warning: could not release the apply lock: {e}; the next apply takes it over once it expires ({}s)",
            args.lease_expiry
        ));
    }
    journal.run_end(&format!("{} done, {} failed, {} skipped", report.done(), report.failed(), report.skipped()));
    let applied = Applied { report, secs: Some(secs) };
    printer.print(&applied, applied.to());
    crate::keys::write_aws_config(&aws, args, bp.as_ref(), &desired, &plan, printer).await;
    let report = &applied.report;
    if !applied.complete() {
        if let Some(why) = fenced {
            bail!(
                "apply stopped after {secs:.1}s: {why}. This run sent no write after that; {} done, {} not done. The run that holds the lock now carries on.",
                report.done(),
                report.failed() + report.skipped()
            );
        }
        bail!(
            "apply failed after {secs:.1}s: {} done, {} failed, {} skipped; rerun `groundwork apply` to continue (nothing is created twice)",
            report.done(),
            report.failed(),
            report.skipped()
        );
    }
    Ok(Exit::Ok)
}

async fn drift(session: &Session, g: &Global, args: &DriftArgs, printer: &Printer) -> Result<Exit> {
    let bp = load_for_planning(&args.blueprint, printer)?;
    let desired = Desired::from_blueprint(&bp);
    let aws = connect(session, g, &args.planning, &desired).await?;
    let (_, plan) = discover_and_plan(&aws, &desired, &args.planning, printer).await?;
    if !plan.applyable() {
        bail!("cannot compare with this organization:\n  - {}", plan.errors.join("\n  - "));
    }
    let report = Drift::of(&plan);
    printer.print(&report, To::Stdout);
    Ok(if report.clean { Exit::Ok } else { Exit::Changes })
}
