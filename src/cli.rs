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
    after_help = "Examples:\n  tasker-app build shop --template ecommerce\n  tasker-app build shop -t ecommerce,inventory --database-url postgresql://localhost/shop\n  tasker-app list-templates\n  tasker-app validate-environment --database-url postgresql://localhost/shop\n  tasker-app validate-environment --database-url 'postgresql://app:PW@db.example.com/shop?sslmode=verify-full&sslrootcert=ca.pem'",
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
    /// Bring an app to this tasker-app's templates, merging your edits (3-way)
    Update(UpdateArgs),
    /// List the workflow templates and their steps
    ListTemplates(ListArgs),
    /// Check that this machine and database are ready, and say how to fix what is not
    ValidateEnvironment(ValidateArgs),
    /// Copy the database views and functions into an app and apply them (or check for drift)
    InstallDatabaseObjects(InstallDbArgs),
    /// Work with template catalogs (`catalog export DIR`)
    #[command(subcommand)]
    Catalog(CatalogCommand),
    /// Add your own workflow or step to an app: task template, step files,
    /// registry lines and a harness test, checked before anything is written
    #[command(subcommand)]
    Generate(GenerateCommand),
    /// Check an app's workflows: DAG, names, retry, input schema, a handler
    /// for every step and a step for every handler (as the app's `check`)
    Check(CheckArgs),
    /// Print a shell completion script
    Completions(CompletionsArgs),
}

#[derive(Debug, Subcommand)]
pub enum GenerateCommand {
    /// A new workflow NAMESPACE/NAME, its steps and their order
    ///
    /// e.g. `tasker-app generate workflow billing/refund --step fetch --step
    /// price:fetch --step charge:price --input order_id:integer`. In a
    /// terminal with no --step (and no --from), asks for the steps one by one.
    Workflow(GenerateWorkflowArgs),
    /// A new step NAMESPACE/NAME.STEP in an existing workflow
    ///
    /// e.g. `tasker-app generate step billing/refund.notify --after charge`
    Step(GenerateStepArgs),
}

#[derive(Debug, Args)]
pub struct GenerateWorkflowArgs {
    /// The workflow: NAMESPACE/NAME, each snake_case (e.g. billing/refund)
    pub workflow: String,

    /// A step and the steps it waits for: NAME or NAME:PARENT,PARENT (repeatable, in any order)
    #[arg(long = "step", value_name = "NAME[:PARENTS]")]
    pub steps: Vec<String>,

    /// A field of the task's input: NAME:TYPE, TYPE one of string, email,
    /// integer, number, boolean, object, array (repeatable; all required)
    #[arg(long = "input", value_name = "NAME:TYPE")]
    pub inputs: Vec<String>,

    /// Take the steps, their order and the input schema from a task template YAML
    #[arg(long, value_name = "FILE", conflicts_with_all = ["steps", "inputs"], value_parser = Utf8Path)]
    pub from: Option<PathBuf>,

    /// The app folder [default: the current folder]
    #[arg(long = "app", value_name = "DIR", default_value = ".", value_parser = Utf8Path)]
    pub app_dir: PathBuf,

    /// Print what would be written; write nothing
    #[arg(long)]
    pub dry_run: bool,

    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct GenerateStepArgs {
    /// The step: NAMESPACE/NAME.STEP (e.g. billing/refund.notify)
    pub step: String,

    /// The steps it waits for (comma-separated; none: it starts with the task)
    #[arg(long, value_name = "A,B", value_delimiter = ',')]
    pub after: Vec<String>,

    /// The app folder [default: the current folder]
    #[arg(long = "app", value_name = "DIR", default_value = ".", value_parser = Utf8Path)]
    pub app_dir: PathBuf,

    /// Print what would be written; write nothing
    #[arg(long)]
    pub dry_run: bool,

    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The app folder
    #[arg(default_value = ".", value_parser = Utf8Path)]
    pub app_dir: PathBuf,

    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

#[derive(Debug, Subcommand)]
pub enum CatalogCommand {
    /// Write the built-in catalog into DIR, as a start for your own (then: tasker-app build --catalog DIR)
    Export {
        /// A new or empty folder
        #[arg(value_parser = Utf8Path)]
        dir: PathBuf,
    },
}

impl Command {
    /// The `--format` asked for (text for commands without one).
    pub fn format(&self) -> Format {
        match self {
            Command::Build(a) => a.format,
            Command::Update(a) => a.format,
            Command::ListTemplates(a) => a.format,
            Command::ValidateEnvironment(a) => a.format,
            Command::InstallDatabaseObjects(a) => a.format,
            Command::Generate(GenerateCommand::Workflow(a)) => a.format,
            Command::Generate(GenerateCommand::Step(a)) => a.format,
            Command::Check(a) => a.format,
            Command::Completions(_) | Command::Catalog(_) => Format::Text,
        }
    }

    /// The database URL given by flag or DATABASE_URL, if the command takes one.
    pub fn database_url(&self) -> Option<&str> {
        match self {
            Command::Build(a) => a.database_url.as_deref(),
            Command::Update(a) => a.database_url.as_deref(),
            Command::ValidateEnvironment(a) => a.database_url.as_deref(),
            Command::InstallDatabaseObjects(a) => a.database_url.as_deref(),
            Command::ListTemplates(_)
            | Command::Completions(_)
            | Command::Catalog(_)
            | Command::Generate(_)
            | Command::Check(_) => None,
        }
    }
}

/// `--format json` among raw arguments (for errors found before parsing ends).
pub fn asks_for_json(args: &[std::ffi::OsString]) -> bool {
    args.iter()
        .zip(args.iter().skip(1))
        .any(|(a, b)| a == "--format" && b == "json")
        || args.iter().any(|a| a == "--format=json")
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
    /// Write the three-way merge of your version and the new one, with
    /// git-style conflict markers where both changed the same lines
    Merge,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Use the template catalog in DIR (laid out like `tasker-app catalog export`)
    #[arg(long, env = "TASKER_APP_CATALOG", value_name = "DIR", value_parser = Utf8Path)]
    pub catalog: Option<PathBuf>,

    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct UpdateArgs {
    /// The app folder (it has .tasker-app/manifest.toml)
    #[arg(default_value = ".", value_parser = Utf8Path)]
    pub app_dir: PathBuf,

    /// Add a workflow template (repeat or separate with commas)
    #[arg(long, value_name = "NAME", value_delimiter = ',')]
    pub add: Vec<String>,

    /// Remove a workflow template: its unchanged files are deleted, the ones you
    /// edited are kept and named (repeat or separate with commas)
    #[arg(long, value_name = "NAME", value_delimiter = ',')]
    pub remove: Vec<String>,

    /// Use the template catalog in DIR [default: the one the app was generated from]
    #[arg(long, env = "TASKER_APP_CATALOG", value_name = "DIR", value_parser = Utf8Path)]
    pub catalog: Option<PathBuf>,

    /// Database to migrate after the files are updated (engine and app migrations,
    /// views, functions), as build does. [default: $DATABASE_URL]
    #[arg(long, value_name = "URL")]
    pub database_url: Option<String>,

    /// Write files only; touch no database
    #[arg(long)]
    pub skip_db: bool,

    /// Print unified diffs of everything that would change; write nothing
    #[arg(long)]
    pub dry_run: bool,

    /// What to do where your edits and the new templates change the same lines
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
pub struct BuildArgs {
    /// Name of the app: a Cargo package name (letters, digits, `-`, `_`).
    /// Without it, in a terminal, build asks for each value no flag gave;
    /// otherwise it is `my-tasker-app`
    pub app_name: Option<String>,

    /// Workflow templates: ecommerce, inventory, customer-onboarding (alias: customer).
    /// Repeat or separate with commas. Default: all three
    #[arg(short, long = "template", value_name = "NAME", value_delimiter = ',')]
    pub templates: Vec<String>,

    /// Parent folder; the app goes to DIR/APP_NAME (a UTF-8 path). DIR/APP_NAME
    /// must be new, empty, or an app tasker-app generated (it has
    /// .tasker-app/manifest.toml); any other folder is refused (exit 3)
    #[arg(short, long, value_name = "DIR", default_value = ".", value_parser = Utf8Path)]
    pub output_dir: PathBuf,

    /// Database to prepare (engine migrations, views, functions) after writing files
    ///
    /// postgresql://USER:PASSWORD@HOST:PORT/DB, or key=value form. TLS with
    /// `?sslmode=`: disable, prefer (default: TLS when the server offers it),
    /// require (encrypted, certificate not checked), verify-ca (signed by a
    /// trusted CA), verify-full (CA and host name); `&sslrootcert=/path/ca.pem`
    /// names the CA (default: the system's trusted CAs). [default: $DATABASE_URL]
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

    /// Compile the app's dependencies in its own target/, not in the build folder
    /// every app on this machine shares (CARGO_HOME/tasker-app/build/)
    #[arg(long)]
    pub no_shared_build: bool,

    /// Use the template catalog in DIR (laid out like `tasker-app catalog export`)
    /// [default: the one the app was generated from, else the built-in one]
    #[arg(long, env = "TASKER_APP_CATALOG", value_name = "DIR", value_parser = Utf8Path)]
    pub catalog: Option<PathBuf>,

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
    ///
    /// postgresql://USER:PASSWORD@HOST:PORT/DB, or key=value form. TLS with
    /// `?sslmode=`: disable, prefer (default: TLS when the server offers it),
    /// require (encrypted, certificate not checked), verify-ca (signed by a
    /// trusted CA), verify-full (CA and host name); `&sslrootcert=/path/ca.pem`
    /// names the CA (default: the system's trusted CAs).
    #[arg(long, env = "DATABASE_URL", value_name = "URL", hide_env_values = true)]
    pub database_url: Option<String>,

    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct InstallDbArgs {
    /// The app folder: it must exist and be a tasker-app app (it has
    /// .tasker-app/manifest.toml, or a Cargo.toml and a db/ folder).
    /// Default: the current folder, under the same rule
    #[arg(default_value = ".", value_parser = Utf8Path)]
    pub app_dir: PathBuf,

    /// Database to install into
    ///
    /// postgresql://USER:PASSWORD@HOST:PORT/DB, or key=value form. TLS with
    /// `?sslmode=`: disable, prefer (default: TLS when the server offers it),
    /// require (encrypted, certificate not checked), verify-ca (signed by a
    /// trusted CA), verify-full (CA and host name); `&sslrootcert=/path/ca.pem`
    /// names the CA (default: the system's trusted CAs).
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

/// Paths tasker-app writes to must be UTF-8: they appear in the app's files,
/// in messages and in JSON, and a lossy copy would name another folder. Refused
/// at parse time (exit 2) with the reason and the way out.
#[derive(Clone)]
struct Utf8Path;

impl clap::builder::TypedValueParser for Utf8Path {
    type Value = PathBuf;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<PathBuf, clap::Error> {
        match value.to_str() {
            Some(text) => Ok(PathBuf::from(text)),
            None => {
                let name = arg.map_or_else(|| "PATH".to_string(), |a| a.to_string());
                let message = format!(
                    "the path `{}` given to {name} is not valid UTF-8; tasker-app writes paths into the app's files and JSON, so it only works in folders with UTF-8 names: rename the folder or choose another\n",
                    value.to_string_lossy()
                );
                Err(clap::Error::raw(clap::error::ErrorKind::InvalidUtf8, message).with_cmd(cmd))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_cli_is_well_formed() {
        Cli::command().debug_assert();
    }

    /// Issue 17: a help text named a flag its command rejects. Every `--flag`
    /// in every command's help is one that command accepts; on a line that
    /// names another command (`tasker-app build ... --catalog`), one that
    /// command accepts.
    #[test]
    fn every_flag_named_in_a_help_is_accepted_there() {
        fn flags_of(line: &str) -> Vec<&str> {
            let mut out = Vec::new();
            for (i, _) in line.match_indices("--") {
                let before = line[..i].chars().next_back();
                if before.is_some_and(|c| c.is_alphanumeric() || c == '-') {
                    continue;
                }
                let rest = &line[i + 2..];
                let end = rest
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
                    .unwrap_or(rest.len());
                if end > 0 && rest.as_bytes()[0].is_ascii_alphabetic() {
                    out.push(&rest[..end]);
                }
            }
            out
        }
        fn accepts(cmd: &clap::Command, flag: &str) -> bool {
            cmd.get_arguments().any(|a| {
                a.get_long() == Some(flag)
                    || a.get_all_aliases()
                        .is_some_and(|names| names.contains(&flag))
            })
        }
        fn find<'a>(root: &'a clap::Command, path: &[&str]) -> Option<&'a clap::Command> {
            path.iter()
                .try_fold(root, |cmd, name| cmd.find_subcommand(name))
        }
        fn check(root: &clap::Command, path: Vec<&str>, wrong: &mut Vec<String>) {
            let cmd = find(root, &path).expect("a command");
            let help = cmd.clone().render_long_help().to_string();
            for line in help.lines() {
                // `tasker-app SUB [SUB2] ...` on the line: its flags are SUB's.
                let named: Option<Vec<&str>> = line.split("tasker-app ").nth(1).map(|rest| {
                    let words: Vec<&str> = rest.split_whitespace().collect();
                    let mut sub = Vec::new();
                    for w in words {
                        let mut next = sub.clone();
                        next.push(w);
                        if find(root, &next).is_none() {
                            break;
                        }
                        sub = next;
                    }
                    sub
                });
                let (owner, owner_path) = match &named {
                    Some(sub) if !sub.is_empty() => (find(root, sub).unwrap(), sub.clone()),
                    _ => (cmd, path.clone()),
                };
                for flag in flags_of(line) {
                    if !accepts(owner, flag) {
                        wrong.push(format!(
                            "`tasker-app {}` help names --{flag}, which `tasker-app {}` rejects: {}",
                            path.join(" "),
                            owner_path.join(" "),
                            line.trim()
                        ));
                    }
                }
            }
            for sub in cmd.get_subcommands() {
                let mut next = path.clone();
                next.push(sub.get_name());
                check(root, next, wrong);
            }
        }
        let mut root = Cli::command().term_width(10_000);
        root.build();
        let mut wrong = Vec::new();
        check(&root, Vec::new(), &mut wrong);
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
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
