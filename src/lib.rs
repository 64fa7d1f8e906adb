/*!
`tasker-app`: create ready-to-run workflow applications on the Tasker
orchestration engine. `main.rs` parses and reports; this crate does the work.
See docs/ARCHITECTURE.md for the map.
*/

pub mod api_url;
pub mod app_folder;
pub mod app_path;
pub mod apply;
pub mod catalog;
pub mod catalog_dir;
pub mod catalog_source;
pub mod cli;
pub mod commands;
pub mod db;
pub mod environment;
pub mod error;
pub mod escape;
pub mod generate;
pub mod lockfile;
pub mod manifest;
pub mod merge;
pub mod names;
pub mod plan;
pub mod plan_types;
pub mod process;
pub mod render;
pub mod shell;
pub mod terminal_text;
pub mod vendor;
pub mod wizard;
pub mod workflow_check;

use cli::{Cli, Command};
use shell::Shell;

/// Runs one parsed command line.
pub fn run(cli: Cli, shell: &Shell) -> anyhow::Result<()> {
    match cli.command {
        Command::Build(args) => commands::build::run(args, shell),
        Command::Update(args) => commands::update::run(args, shell),
        Command::Catalog(cli::CatalogCommand::Export { dir }) => {
            let count = catalog_dir::export(&dir)?;
            shell.status(
                "Finished",
                format!("{count} catalog files written to {}", dir.display()),
            );
            shell.info(format!(
                "Use it: tasker-app build APP --catalog {}",
                dir.display()
            ));
            Ok(())
        }
        Command::ListTemplates(args) => commands::list_templates::run(args, shell),
        Command::Completions(args) => commands::completions::run(args),
        Command::ValidateEnvironment(args) => commands::validate_environment::run(args, shell),
        Command::InstallDatabaseObjects(args) => {
            commands::install_database_objects::run(args, shell)
        }
        Command::Generate(cli::GenerateCommand::Workflow(args)) => {
            commands::generate::workflow(args, shell)
        }
        Command::Generate(cli::GenerateCommand::Step(args)) => {
            commands::generate::step(args, shell)
        }
        Command::Check(args) => commands::check::run(args, shell),
    }
}
