/*!
The command line of CONTRACT.md, as clap derive types. This is "what the user
typed"; `commands::*` turn it into checked options and a plan.
*/

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "tasker-app",
    version,
    about = "Create ready-to-run workflow applications on the Tasker orchestration engine",
    long_about = "Create ready-to-run workflow applications on the Tasker orchestration engine.\n\n\
`tasker-app build shop --template ecommerce` writes a Rust app wired to the published \
tasker-* crates, with real workflows, and prepares its database.",
    after_help = "Examples:\n  tasker-app build shop --template ecommerce\n  tasker-app build shop -t ecommerce,inventory --database-url postgresql://localhost/shop\n  tasker-app list-templates\n  tasker-app validate-environment --database-url postgresql://localhost/shop",
    propagate_version = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Generate a workflow app (and prepare its database when a URL is given)
    Build(BuildArgs),
    /// List the workflow templates and their steps
    ListTemplates(FormatArg),
    /// Check that this machine and database are ready, and say how to fix what is not
    ValidateEnvironment(ValidateArgs),
    /// Copy the database views and functions into an app and apply them (or check for drift)
    InstallDatabaseObjects(InstallDbArgs),
    /// Print a shell completion script
    Completions(CompletionsArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum Format {
    #[default]
    Text,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OnConflict {
    /// Stop and write nothing (exit 3)
    Abort,
    /// Keep your version
    Skip,
    /// Replace your version
    Overwrite,
    /// Keep your version as FILE.bak, then write the new one
    Backup,
}

#[derive(Debug, Args)]
pub struct FormatArg {
    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct BuildArgs {
    /// Name of the app: a Cargo package name (letters, digits, `-`, `_`).
    /// Without it, in a terminal, build asks for each value no flag gave;
    /// otherwise it is `my-tasker-app`
    pub app_name: Option<String>,

    /// Workflow templates: ecommerce, inventory, customer-onboarding (alias: customer).
    /// Repeat or separate with commas. Default: all three
    #[arg(short, long = "template", value_name = "NAME", value_delimiter = ',')]
    pub templates: Vec<String>,

    /// Parent folder; the app goes to DIR/APP_NAME
    #[arg(short, long, value_name = "DIR", default_value = ".")]
    pub output_dir: PathBuf,

    /// Database to prepare (engine migrations, views, functions) after writing
    /// files [default: $DATABASE_URL]
    #[arg(long, value_name = "URL")]
    pub database_url: Option<String>,

    /// Write files only; touch no database
    #[arg(long)]
    pub skip_db: bool,

    /// Where the workflows' external API lives (default: the app's built-in fake-api)
    #[arg(long, value_name = "URL")]
    pub api_base_url: Option<String>,

    /// Add tracing/metrics wiring and the compose services for it
    #[arg(long)]
    pub observability: bool,

    /// Print the plan (files, database steps); write nothing
    #[arg(long)]
    pub dry_run: bool,

    /// What to do with files you changed since they were generated
    /// [default: abort, or ask when run in a terminal]
    #[arg(long, value_enum, value_name = "MODE")]
    pub on_conflict: Option<OnConflict>,

    /// Never prompt
    #[arg(short, long)]
    pub yes: bool,

    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Database to check
    #[arg(long, env = "DATABASE_URL", value_name = "URL", hide_env_values = true)]
    pub database_url: Option<String>,

    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct InstallDbArgs {
    /// The app folder (default: the current folder)
    #[arg(default_value = ".")]
    pub app_dir: PathBuf,

    /// Database to install into
    #[arg(long, env = "DATABASE_URL", value_name = "URL", hide_env_values = true)]
    pub database_url: Option<String>,

    /// Compare the live database with every function and view in APP_DIR/db
    /// (yours included; tasker-app's own when there is no db/); exit 5 on drift
    #[arg(long)]
    pub check: bool,

    /// Print what would run; change nothing
    #[arg(long)]
    pub dry_run: bool,

    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to generate completions for
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_cli_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn comma_and_repeated_templates_are_the_same() {
        let parse = |args: &[&str]| match Cli::try_parse_from(args).unwrap().command {
            Command::Build(b) => b.templates,
            _ => unreachable!(),
        };
        assert_eq!(
            parse(&["tasker-app", "build", "-t", "ecommerce,inventory"]),
            parse(&[
                "tasker-app",
                "build",
                "-t",
                "ecommerce",
                "--template",
                "inventory"
            ])
        );
    }
}
