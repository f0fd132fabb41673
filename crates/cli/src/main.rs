//! The `groundwork` binary.

mod audit;
mod cli;
mod commands;
mod explain;
mod import;
mod keys;
mod member_root;
mod output;
mod permissions;
mod printer;
mod sandbox_audit;
mod slack;
mod tooling;

use std::fmt::Write as _;
use std::process::ExitCode;

use clap::Parser;

use crate::cli::Cli;
use crate::printer::Printer;

/// Exit codes: 0 success, 1 error, 2 changes pending (plan --detailed-exitcode).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Exit {
    Ok,
    Error,
    Changes,
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> ExitCode {
        match e {
            Exit::Ok => ExitCode::SUCCESS,
            Exit::Error => ExitCode::from(1),
            Exit::Changes => ExitCode::from(2),
        }
    }
}

fn init_logging(verbose: u8, quiet: bool, color: bool) {
    let level = match (quiet, verbose) {
        (true, _) => "error",
        (false, 0) => "warn",
        (false, 1) => "groundwork=info,warn",
        (false, 2) => "groundwork=debug,info",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("GROUNDWORK_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(color)
        .with_target(verbose >= 2)
        .try_init();
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let printer = Printer::new(&cli.global);
    init_logging(cli.global.verbose, cli.global.quiet, printer.color_err);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            printer.err(&format!("error: cannot start the async runtime: {e}"));
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(commands::run(&cli, &printer)) {
        Ok(exit) => exit.into(),
        Err(e) => {
            let mut text = format!("error: {e}");
            for cause in e.chain().skip(1) {
                let _ = write!(text, "\n  Caused by: {cause}");
            }
            printer.err(&text);
            ExitCode::from(1)
        }
    }
}
