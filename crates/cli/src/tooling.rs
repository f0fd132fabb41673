//! The commands around the tool rather than the organization: `schema` (the blueprint's JSON
//! Schema, for editors), `completions` (shell completion scripts) and `man` (the man page). None
//! contacts AWS; each writes to stdout.

use anyhow::{Context, Result};
use clap::CommandFactory;

use crate::Exit;
use crate::cli::{Cli, Command, Shell};
use crate::printer::Printer;

pub(crate) fn run(command: &Command, printer: &Printer) -> Result<Exit> {
    match command {
        Command::Schema => printer.out(&groundwork_blueprint::json_schema_text()),
        Command::Completions(args) => printer.out(&completions(args.shell)),
        Command::Man => printer.out(&man_page()?),
        _ => unreachable!("not a tooling command"),
    }
    Ok(Exit::Ok)
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
