//! Command-line arguments.

use std::path::PathBuf;

use std::time::SystemTime;

use clap::{Args, Parser, Subcommand, ValueEnum};
use groundwork_audit::Ignore;

/// groundwork: build and reconcile a secure multi-account AWS landing zone from one YAML
/// blueprint.
#[derive(Debug, Parser)]
#[command(name = "groundwork", version, about, long_about = None, propagate_version = true)]
pub(crate) struct Cli {
    #[command(flatten)]
    pub(crate) global: Global,
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// When to use colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Color {
    /// When stdout/stderr is a terminal and NO_COLOR is unset.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// Options of every command.
#[derive(Debug, Args)]
pub(crate) struct Global {
    /// AWS named profile (else AWS_PROFILE, else the default chain).
    #[arg(long, global = true, env = "AWS_PROFILE", hide_env_values = true)]
    pub(crate) profile: Option<String>,
    /// AWS region for regional calls (else AWS_REGION or the profile's).
    #[arg(long, global = true)]
    pub(crate) region: Option<String>,
    /// Send every AWS call to this endpoint instead of AWS (a local emulator).
    #[arg(long, global = true, value_name = "URL")]
    pub(crate) endpoint_url: Option<String>,
    /// Colour output.
    #[arg(long, global = true, value_enum, default_value_t = Color::Auto)]
    pub(crate) color: Color,
    /// Print only results and errors.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub(crate) quiet: bool,
    /// More logging on stderr (-v info, -vv debug, -vvv trace).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub(crate) verbose: u8,
    /// Machine-readable JSON on stdout.
    #[arg(long, global = true)]
    pub(crate) json: bool,
    /// No progress bars, even on a terminal.
    #[arg(long, global = true)]
    pub(crate) no_progress: bool,
    /// Print the AWS API calls made, by operation, read vs write (on stderr).
    #[arg(long, global = true)]
    pub(crate) stats: bool,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Check blueprints: every problem at once, with file:line:column. Never contacts AWS.
    Validate(ValidateArgs),
    /// Draw the organization the blueprint describes (OU tree, accounts, guardrails, identity
    /// hub, groups and the roles they may assume) as Mermaid or Graphviz DOT. Never contacts AWS.
    Graph(GraphArgs),
    /// Print the least-privilege IAM policy groundwork needs for this blueprint: the deployer in
    /// the management account and the execution role in members, by account purpose. Never
    /// contacts AWS.
    Permissions(PermissionsArgs),
    /// May this principal do this action in this account, and by which path? Answered from the
    /// blueprint alone, like an access assertion. Never contacts AWS.
    Explain(ExplainArgs),
    /// Discover the organization (read-only) and show what apply would change.
    Plan(PlanArgs),
    /// Make the organization match the blueprint (or a saved plan).
    Apply(ApplyArgs),
    /// Report what differs from the blueprint, grouped by account; read-only, for scheduled CI
    /// jobs. Exit 0 when clean, 2 when drift exists, 1 on error.
    Drift(DriftArgs),
    /// Audit credentials in every account (root user, access keys, console MFA, policies on
    /// users, password policy); read-only unless --enforce. Exit 0 when clean, 2 when findings
    /// exist, 1 on error.
    Audit(AuditArgs),
    /// Read the organization (read-only) and write a blueprint describing it; what a blueprint
    /// cannot express is written as comments. Planning the file shows no changes but adoptions.
    Import(ImportArgs),
    /// Programmatic users' access keys (`programmatic: true`): `keys rotate`.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Write a commented starter blueprint (the reference layout with placeholder names and
    /// emails) that validates as written; with --from-import, the blueprint of an organization
    /// that already exists, as `import` writes it (the import flags apply then).
    #[command(mut_arg("out", |a| a.required(false).default_value("blueprint.yaml")))]
    Init(InitArgs),
    /// Print the blueprint's JSON Schema (draft 2020-12), for editors (docs/editor.md).
    Schema,
    /// Print a shell completion script (docs: README, Install).
    Completions(CompletionsArgs),
    /// Print groundwork's man page (roff) on stdout.
    Man,
    /// The alerts' Slack delivery: `alerts test`.
    #[command(subcommand)]
    Alerts(AlertsCommand),
}

/// `init`: `import`'s flags (`--out` defaults to `blueprint.yaml` here), and `--from-import`.
#[derive(Debug, Args)]
pub(crate) struct InitArgs {
    /// Import the organization the credentials reach (read-only) instead of writing the starter:
    /// the same as `groundwork import`, with the same flags.
    #[arg(long)]
    pub(crate) from_import: bool,
    #[command(flatten)]
    pub(crate) import: ImportArgs,
}

/// `completions`.
#[derive(Debug, Args)]
pub(crate) struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    pub(crate) shell: Shell,
}

/// The shells `completions` writes for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Shell {
    Bash,
    Zsh,
    Fish,
}

/// `alerts`.
#[derive(Debug, Subcommand)]
pub(crate) enum AlertsCommand {
    /// Send one synthetic IAM change (an `AttachUserPolicy` by nobody real) through the real
    /// path: PutEvents on a member account's us-east-1 bus, forwarded to the central bus and
    /// posted to the Slack channel of `alerts.slack`. Run it after connecting the channel.
    /// With --alarm, set one of the alerts' alarms to ALARM instead: its action notifies the
    /// topic (and its e-mail subscribers) and its state change goes to Slack.
    Test(AlertsTestArgs),
}

/// `alerts test`.
#[derive(Debug, Args)]
pub(crate) struct AlertsTestArgs {
    /// The blueprint.
    #[arg(value_name = "BLUEPRINT")]
    pub(crate) blueprint: PathBuf,
    /// The account whose bus the event is put on [default: the first account of the blueprint
    /// that does not hold the central bus].
    #[arg(long, value_name = "NAME", conflicts_with = "alarm")]
    pub(crate) account: Option<String>,
    /// Test the alarm path instead: set the alarm NAME (one of the blueprint's, e.g.
    /// `cis-4.3-RootAccountUsage`, the default) to ALARM with `SetAlarmState`. CloudWatch sets
    /// it back at its next evaluation.
    #[arg(long, value_name = "NAME", num_args = 0..=1, default_missing_value = "")]
    pub(crate) alarm: Option<String>,
    /// Turn off client-side rate limiting at AWS's documented rates (for local emulators only).
    #[arg(long)]
    pub(crate) no_rate_limit: bool,
}

/// `keys`.
#[derive(Debug, Subcommand)]
pub(crate) enum KeysCommand {
    /// Rotate the access keys of programmatic users whose key is older than
    /// `identity.access_keys.max_key_age_days`: issue the new key (to --credentials-file), then,
    /// in later runs, deactivate the old key once it is unused or after `grace_days`, and delete
    /// it `delete_after_days` later. One step per user and run; rerun to continue.
    Rotate(RotateArgs),
}

/// `keys rotate`.
#[derive(Debug, Args)]
pub(crate) struct RotateArgs {
    /// The blueprint.
    #[arg(value_name = "BLUEPRINT")]
    pub(crate) blueprint: PathBuf,
    /// Only this programmatic user.
    #[arg(long, value_name = "NAME")]
    pub(crate) user: Option<String>,
    /// Evaluate ages as of this date instead of now: YYYY-MM-DD (midnight UTC), RFC 3339, or days
    /// from now (`+100 days`).
    #[arg(long, value_name = "DATE", value_parser = crate::audit::parse_as_of)]
    pub(crate) as_of: Option<SystemTime>,
    /// Where the new access keys go: the credentials profile of each user is replaced (mode 0600;
    /// a file its group or others may read is refused). Keys are never printed or logged.
    #[arg(long, value_name = "FILE", env = "GROUNDWORK_CREDENTIALS_FILE")]
    pub(crate) credentials_file: PathBuf,
    /// Journal of every write call (JSON lines) [default: .groundwork/<blueprint>.journal.jsonl]
    #[arg(long, value_name = "FILE")]
    pub(crate) journal: Option<PathBuf>,
    /// Turn off client-side rate limiting at AWS's documented rates (for local emulators only).
    #[arg(long)]
    pub(crate) no_rate_limit: bool,
}

/// `validate`.
#[derive(Debug, Args)]
pub(crate) struct ValidateArgs {
    /// Blueprint files.
    #[arg(required = true, value_name = "FILE")]
    pub(crate) files: Vec<PathBuf>,
}

/// Text format of `graph`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum GraphFormatArg {
    /// A Mermaid flowchart (GitHub renders it in Markdown; `mmdc` renders SVG or PNG).
    Mermaid,
    /// A Graphviz digraph with a cluster per OU (`dot -Tsvg`).
    Dot,
}

/// `graph`.
#[derive(Debug, Args)]
pub(crate) struct GraphArgs {
    /// The blueprint.
    #[arg(value_name = "BLUEPRINT")]
    pub(crate) blueprint: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = GraphFormatArg::Mermaid)]
    pub(crate) format: GraphFormatArg,
    /// Write the graph to FILE instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub(crate) out: Option<PathBuf>,
}

/// `permissions`.
#[derive(Debug, Args)]
pub(crate) struct PermissionsArgs {
    /// The blueprint.
    #[arg(value_name = "BLUEPRINT")]
    pub(crate) blueprint: PathBuf,
    /// Also write ready-to-attach policy documents to DIR, one JSON file per role and purpose
    /// (`deployer.json`, `member-hub.json`, …; `-2`, `-3` when one exceeds IAM's 6,144 characters).
    #[arg(long, value_name = "DIR")]
    pub(crate) out_dir: Option<PathBuf>,
}

/// `explain`.
#[derive(Debug, Args)]
pub(crate) struct ExplainArgs {
    /// The blueprint.
    #[arg(value_name = "BLUEPRINT")]
    pub(crate) blueprint: PathBuf,
    /// Who: `group/NAME`, `user/NAME` (a hub user, through their groups), `role/NAME` or
    /// `permission-set/NAME` (an Identity Center permission set).
    #[arg(long)]
    pub(crate) principal: String,
    /// The action, e.g. `ec2:TerminateInstances`.
    #[arg(long)]
    pub(crate) action: String,
    /// The account the action happens in.
    #[arg(long)]
    pub(crate) account: String,
    /// The resource ARN (placeholders such as `{account_id}` allowed); a stand-in otherwise.
    #[arg(long)]
    pub(crate) resource: Option<String>,
    /// A tag of the resource, `KEY=VALUE` (repeatable).
    #[arg(long = "tag", value_name = "KEY=VALUE")]
    pub(crate) tags: Vec<String>,
    /// Ask for a session without MFA (the default is signed in with MFA).
    #[arg(long)]
    pub(crate) no_mfa: bool,
}

/// Options shared by `plan` and `apply`.
#[derive(Debug, Args)]
pub(crate) struct PlanningArgs {
    /// Account quota to check against when Service Quotas cannot be read.
    #[arg(long, value_name = "N")]
    pub(crate) account_quota: Option<u64>,
    /// Turn off client-side rate limiting at AWS's documented rates (for local emulators only).
    #[arg(long)]
    pub(crate) no_rate_limit: bool,
}

/// `plan`.
#[derive(Debug, Args)]
pub(crate) struct PlanArgs {
    /// The blueprint.
    #[arg(value_name = "BLUEPRINT")]
    pub(crate) blueprint: PathBuf,
    /// Save the plan as JSON, for `groundwork apply FILE`.
    #[arg(long, value_name = "FILE")]
    pub(crate) out: Option<PathBuf>,
    /// Exit 0 when there is nothing to do, 2 when there are changes, 1 on error.
    #[arg(long)]
    pub(crate) detailed_exitcode: bool,
    /// Delete what groundwork owns (its tags name this blueprint) and the blueprint no longer
    /// lists; without it the plan only names such leftovers. Saved with `--out`.
    #[arg(long)]
    pub(crate) prune: bool,
    /// Deactivate programmatic users' access keys that groundwork did not create (see `apply
    /// --enforce`). Saved with `--out`.
    #[arg(long)]
    pub(crate) enforce: bool,
    /// Output format: `text` (default), `json` (as `--json`), or `markdown` for a pull-request
    /// comment (collapsible, grouped by account, within GitHub's comment size limit).
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub(crate) format: Option<PlanFormatArg>,
    #[command(flatten)]
    pub(crate) planning: PlanningArgs,
}

/// Output format of `plan`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum PlanFormatArg {
    /// The human plan.
    Text,
    /// The JSON plan (as `--json`).
    Json,
    /// GitHub-flavoured Markdown for a pull-request comment.
    Markdown,
}

/// `apply`.
#[derive(Debug, Args)]
pub(crate) struct ApplyArgs {
    /// A blueprint (plans, then applies), or a plan saved by `plan --out`.
    #[arg(value_name = "BLUEPRINT|PLAN")]
    pub(crate) input: PathBuf,
    /// Do not ask for confirmation (required when stdin is not a terminal).
    #[arg(long)]
    pub(crate) auto_approve: bool,
    /// Delete what groundwork owns (its tags name this blueprint) and the blueprint no longer
    /// lists; without it the plan only names such leftovers. Not with a saved plan, which holds
    /// the deletes it was made with.
    #[arg(long)]
    pub(crate) prune: bool,
    /// Changes in flight at once.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub(crate) parallelism: u16,
    /// CreateAccount requests in flight at once (AWS allows at most 5).
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u8).range(1..=5))]
    pub(crate) max_account_creations: u8,
    /// Journal of every write call (JSON lines) [default: .groundwork/<blueprint>.journal.jsonl]
    #[arg(long, value_name = "FILE")]
    pub(crate) journal: Option<PathBuf>,
    /// Remove the lock even though its holder renewed it recently, then take it. A lock whose
    /// holder stopped renewing it (a killed run) is taken over without this. Check the holder
    /// named in the error first: breaking the lock of a live run lets two runs collide.
    #[arg(long)]
    pub(crate) break_lock: bool,
    /// Seconds this run's lock lasts without renewal; it renews every sixth of that and stops
    /// writing if it cannot renew for half of it. A later run takes over a lock not renewed
    /// for this long.
    #[arg(long, default_value_t = 120, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(6..=3600))]
    pub(crate) lease_expiry: u64,
    /// Give up waiting for one CreateAccount request after this many seconds.
    #[arg(long, default_value_t = 1800, value_name = "SECONDS")]
    pub(crate) create_timeout: u64,
    /// Where to write the console passwords groundwork generates for new console users (created
    /// with mode 0600, appended to; one `account<TAB>user<TAB>password` line each). Passwords
    /// are never printed or logged; users must change them at first sign-in.
    #[arg(long, value_name = "FILE", env = "GROUNDWORK_PASSWORD_FILE")]
    pub(crate) password_file: Option<PathBuf>,
    /// Where to write the access keys groundwork creates for programmatic users: one
    /// `~/.aws/credentials` profile per user, replaced on rotation (mode 0600; a file its group
    /// or others may read is refused), and beside it FILE.config, the `~/.aws/config` profiles
    /// of their roles. Keys are never printed, logged, journalled or planned.
    #[arg(long, value_name = "FILE", env = "GROUNDWORK_CREDENTIALS_FILE")]
    pub(crate) credentials_file: Option<PathBuf>,
    /// Deactivate (never delete) programmatic users' active access keys that groundwork did not
    /// create; without it the plan names them as drift. Not with a saved plan (plan with it).
    #[arg(long)]
    pub(crate) enforce: bool,
    #[command(flatten)]
    pub(crate) planning: PlanningArgs,
}

/// `drift`.
#[derive(Debug, Args)]
pub(crate) struct DriftArgs {
    /// The blueprint.
    #[arg(value_name = "BLUEPRINT")]
    pub(crate) blueprint: PathBuf,
    #[command(flatten)]
    pub(crate) planning: PlanningArgs,
}

/// `audit`.
#[derive(Debug, Args)]
pub(crate) struct AuditArgs {
    /// The blueprint: the organization to audit, its access role, and its password policy.
    #[arg(value_name = "BLUEPRINT")]
    pub(crate) blueprint: PathBuf,
    /// Active access keys older than this are findings (90: quarterly rotation).
    #[arg(long, default_value_t = 90, value_name = "DAYS")]
    pub(crate) max_key_age: u32,
    /// Active access keys not used for longer than this (or never used and older) are findings.
    #[arg(long, default_value_t = 90, value_name = "DAYS")]
    pub(crate) max_unused: u32,
    /// Evaluate ages as of this date instead of now: YYYY-MM-DD (midnight UTC), RFC 3339, or days
    /// from now (`+100 days`).
    #[arg(long, value_name = "DATE", value_parser = crate::audit::parse_as_of)]
    pub(crate) as_of: Option<SystemTime>,
    /// Also write a self-contained HTML report (inline CSS, no external assets) to this file.
    #[arg(long, value_name = "FILE.html")]
    pub(crate) report: Option<PathBuf>,
    /// Deactivate (set Inactive, never delete) the access keys found too old or unused, after
    /// confirmation; reads their status back. With the blueprint's `root_access` section, also
    /// remove member accounts' root credentials in a privileged root session, after
    /// confirmation.
    #[arg(long)]
    pub(crate) enforce: bool,
    /// With --enforce: do not ask for confirmation (required when stdin is not a terminal).
    #[arg(long, requires = "enforce")]
    pub(crate) auto_approve: bool,
    /// Also require MFA on the root user of member accounts (by default only the management
    /// account's root user must have MFA; see docs/audit.md).
    #[arg(long)]
    pub(crate) member_root_mfa: bool,
    /// Accept the findings of RULE, in every account or only in ACCOUNT_ID: they are listed as
    /// ignored and not counted. Repeatable.
    #[arg(long, value_name = "RULE[@ACCOUNT_ID]")]
    pub(crate) ignore: Vec<Ignore>,
    /// Turn off client-side rate limiting at AWS's documented rates (for local emulators only).
    #[arg(long)]
    pub(crate) no_rate_limit: bool,
}

/// `import`.
#[derive(Debug, Args)]
pub(crate) struct ImportArgs {
    /// Where to write the blueprint.
    #[arg(long, value_name = "FILE")]
    pub(crate) out: PathBuf,
    /// Overwrite FILE when it exists.
    #[arg(long)]
    pub(crate) force: bool,
    /// `organization.name` [default: the groundwork:blueprint tag found on OUs and accounts, else
    /// `imported`]
    #[arg(long, value_name = "NAME")]
    pub(crate) name: Option<String>,
    /// `organization.home_region`, where the trail and buckets live [default: the organization
    /// trail's home region, else --region]
    #[arg(long, value_name = "REGION")]
    pub(crate) home_region: Option<String>,
    /// The identity hub: import its groups, users and password policy, and the roles that trust
    /// it. `management` (or the management account's name) for the management account, `none`
    /// for no hub [default: the account member roles trust whose IAM users are in groups]
    #[arg(long, value_name = "ACCOUNT_NAME")]
    pub(crate) hub: Option<String>,
    /// The account holding the organization trail's bucket [default: the account whose bucket
    /// listing holds it, else the one account whose name contains "log"]
    #[arg(long, value_name = "ACCOUNT_NAME")]
    pub(crate) log_archive: Option<String>,
    /// The role groundwork assumes in member accounts.
    #[arg(long, value_name = "NAME", default_value = "OrganizationAccountAccessRole")]
    pub(crate) access_role: String,
    #[command(flatten)]
    pub(crate) planning: PlanningArgs,
}
