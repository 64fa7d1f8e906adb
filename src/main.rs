//! The `tasker-app` binary: parse, run, print the error chain, exit with the
//! contract's code (0 done, 1 failed, 2 usage, 3 conflict, 4 environment, 5 drift).

use clap::Parser;
use std::process::ExitCode;
use tasker_app::error::{Exit, exit_code_of, help_of};
use tasker_app::shell::Shell;

fn main() -> ExitCode {
    let cli = match tasker_app::cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // clap prints help/version to stdout (exit 0) and usage errors to stderr (exit 2).
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { Exit::Usage as u8 } else { 0 });
        }
    };
    let shell = Shell::from_env();
    match tasker_app::run(cli, &shell) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            if is_broken_pipe(&err) {
                return ExitCode::SUCCESS;
            }
            shell.error(format!("{err:#}"));
            if let Some(help) = help_of(&err) {
                shell.help(help);
            }
            ExitCode::from(exit_code_of(&err) as u8)
        }
    }
}

/// `tasker-app list-templates | head` is not an error.
fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain()
        .filter_map(|c| c.downcast_ref::<std::io::Error>())
        .any(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
}
