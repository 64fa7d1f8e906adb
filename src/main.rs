//! The `tasker-app` binary: parse, run, print the error chain, exit with the
//! contract's code (0 done, 1 failed, 2 usage, 3 conflict, 4 environment, 5 drift).
//! With `--format json`, every failure also prints one JSON document on stdout
//! (unless the command already printed its own). Everything printed passes the
//! one escaping of control characters (`terminal_text::escape`): through the
//! shell, and here for clap's usage errors.

use clap::Parser;
use std::io::Write;
use std::process::ExitCode;
use tasker_app::cli::{Format, asks_for_json};
use tasker_app::error::{CliError, Exit, exit_code_of, help_of, json_error};
use tasker_app::shell::Shell;
use tasker_app::terminal_text::escape;

fn main() -> ExitCode {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    // The rendering child of a folder catalog (see `catalog_source`): not a command.
    if let [_, arg, request] = args.as_slice()
        && arg == tasker_app::catalog_source::CHILD_ARG
    {
        return ExitCode::from(tasker_app::catalog_source::child_main(
            &request.to_string_lossy(),
        ));
    }
    let cli = match tasker_app::cli::Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        Err(e) => {
            // clap prints help/version to stdout (exit 0) and usage errors to
            // stderr (exit 2). A usage error quotes what was typed: when that
            // holds control characters, it is printed plain, escaped.
            if !e.use_stderr() {
                let _ = e.print();
                return ExitCode::SUCCESS;
            }
            let rendered = e.render().to_string();
            match escape(&rendered) {
                std::borrow::Cow::Borrowed(_) => {
                    let _ = e.print();
                }
                escaped => {
                    let _ = write!(std::io::stderr().lock(), "{escaped}");
                }
            }
            if asks_for_json(&args) {
                let first = rendered.lines().next().unwrap_or("invalid command line");
                let err = anyhow::Error::new(
                    CliError::usage(first.trim_start_matches("error: ").to_string())
                        .with_help("run with --help to see the accepted flags and values"),
                );
                Shell::from_env().data(json_error(&err, serde_json::json!({})).to_string());
            }
            return ExitCode::from(Exit::Usage as u8);
        }
    };
    let format = cli.command.format();
    let secrets = cli
        .command
        .database_url()
        .map(tasker_app::db::url::secrets_of)
        .unwrap_or_default();
    let shell = Shell::from_env().hiding(secrets);
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
            if format == Format::Json && !shell.printed_data() {
                let doc = json_error(&err, serde_json::json!({}));
                shell.data(serde_json::to_string_pretty(&doc).unwrap_or_default());
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
