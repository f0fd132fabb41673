//! The commands around the tool rather than the organization: `init` (a starter blueprint),
//! `schema` (the blueprint's JSON Schema, for editors), `completions` (shell completion scripts)
//! and `man` (the man page). None contacts AWS; all but `init` write to stdout.

use anyhow::{Context, Result};
use clap::CommandFactory;

use crate::Exit;
use crate::cli::{Cli, Command, InitArgs, Shell};
use crate::printer::Printer;

pub(crate) fn run(command: &Command, printer: &Printer) -> Result<Exit> {
    match command {
        Command::Init(args) => init(args, printer)?,
        Command::Schema => printer.out(&groundwork_blueprint::json_schema_text()),
        Command::Completions(args) => printer.out(&completions(args.shell)),
        Command::Man => printer.out(&man_page()?),
        _ => unreachable!("not a tooling command"),
    }
    Ok(Exit::Ok)
}

/// Writes the starter blueprint to `--out`, never over an existing file without `--force`.
fn init(args: &InitArgs, printer: &Printer) -> Result<()> {
    use std::io::Write as _;
    let i = &args.import;
    if i.name.is_some() || i.home_region.is_some() || i.hub.is_some() || i.log_archive.is_some() {
        anyhow::bail!("--name, --home-region, --hub and --log-archive are import flags: pass --from-import too");
    }
    let args = i;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .create_new(!args.force)
        .open(&args.out)
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::AlreadyExists => {
                anyhow::anyhow!("{} exists; pass --force to overwrite it. Nothing was written.", args.out.display())
            }
            _ => anyhow::Error::new(e).context(format!("creating {}", args.out.display())),
        })?;
    file.write_all(groundwork_blueprint::STARTER_BLUEPRINT.as_bytes())
        .with_context(|| format!("writing {}", args.out.display()))?;
    let dir = args.out.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(std::path::Path::new("."));
    printer.info(&format!(
        "Wrote {}: replace the `example` names and emails, then `groundwork validate {}`.\n\
         For completion and checks in your editor: groundwork schema > {}",
        args.out.display(),
        args.out.display(),
        dir.join("blueprint.schema.json").display()
    ));
    Ok(())
}

/// The completion script for `shell`.
pub(crate) fn completions(shell: Shell) -> String {
    let mut cmd = Cli::command();
    let mut out = Vec::new();
    match shell {
        Shell::Bash => clap_complete::generate(clap_complete::Shell::Bash, &mut cmd, "groundwork", &mut out),
        Shell::Zsh => clap_complete::generate(clap_complete::Shell::Zsh, &mut cmd, "groundwork", &mut out),
        Shell::Fish => clap_complete::generate(clap_complete::Shell::Fish, &mut cmd, "groundwork", &mut out),
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The man page, in roff: the command, its options and every subcommand.
pub(crate) fn man_page() -> Result<String> {
    let cmd = Cli::command();
    let mut out = Vec::new();
    clap_mangen::Man::new(cmd.clone()).render(&mut out).context("rendering the man page")?;
    // clap_mangen renders one command per page: append each subcommand's synopsis, description
    // and options under a heading of its own, so one page documents every flag.
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        let bin_name = format!("groundwork {}", sub.get_name());
        out.extend_from_slice(format!(".SH \"{}\"\n", bin_name.to_uppercase()).as_bytes());
        let man = clap_mangen::Man::new(sub.clone().bin_name(bin_name));
        man.render_synopsis_section(&mut out).context("rendering the man page")?;
        man.render_description_section(&mut out).context("rendering the man page")?;
        man.render_options_section(&mut out).context("rendering the man page")?;
    }
    Ok(String::from_utf8_lossy(&out).into_owned())
}
