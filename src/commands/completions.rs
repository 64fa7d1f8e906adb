/*!
`tasker-app completions <shell>`: a completion script on stdout.
*/

use crate::cli::{Cli, CompletionsArgs};
use anyhow::Result;
use clap::CommandFactory;

pub fn run(args: CompletionsArgs) -> Result<()> {
    let mut out = std::io::stdout().lock();
    clap_complete::generate(args.shell, &mut Cli::command(), "tasker-app", &mut out);
    Ok(())
}

/// The script for one shell, as `completions/` in the repository holds it.
pub fn script(shell: clap_complete::Shell) -> Vec<u8> {
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "tasker-app", &mut buf);
    buf
}
