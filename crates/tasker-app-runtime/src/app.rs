//! The app's command line and its entry point, [`App::main`]: parse the
//! arguments, load the settings, start the async runtime, run the command.

use std::net::IpAddr;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::commands;
use crate::package::Package;
use crate::settings::Settings;
use crate::step::Registry;

#[derive(Debug, Parser)]
#[command(long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Prepare the database: the engine's migrations and the app's own (idempotent)
    Migrate {
        /// Apply nothing; compare every function and view in db/ with the
        /// database (exit 5 when one is missing or drifted)
        #[arg(long)]
        check: bool,
    },
    /// Run orchestration and a worker in one process (REST API on 127.0.0.1:8080)
    Serve,
    /// Develop: migrate if needed, then fake API + orchestration + a worker in
    /// one process; prints one `ready` line, Ctrl-C stops everything
    Dev {
        /// Port of the fake API (0: any free port)
        #[arg(long, default_value_t = 3001)]
        fake_api_port: u16,
        /// Address the fake API listens on
        #[arg(long, default_value = "127.0.0.1")]
        fake_api_host: IpAddr,
        /// Do not start the fake API (the handlers call API_BASE_URL)
        #[arg(long)]
        no_fake_api: bool,
        /// Port of the dashboard, on 127.0.0.1 (0: any free port)
        #[arg(long, default_value_t = crate::dashboard::DEV_PORT)]
        dashboard_port: u16,
        /// Do not serve the dashboard
        #[arg(long)]
        no_dashboard: bool,
    },
    /// Run orchestration only (pair it with one or more `worker` processes)
    Orchestration,
    /// Run a worker with this app's step handlers only
    Worker,
    /// Create a task; with --wait, follow it and exit 0 only if it completed
    Run(commands::run::RunArgs),
    /// Measure: create N tasks through the API, wait for all, print latency
    /// percentiles (created -> complete), tasks/s and failures by kind
    Bench(commands::bench::BenchArgs),
    /// Delete the engine's records of tasks that completed more than N days ago
    /// (and old archived queue messages); the app's own tables are kept
    Prune(commands::prune::PruneArgs),
    /// Check the workflows against the handlers: DAG, names, retry, input
    /// schema, a handler for every step and a step for every handler (the
    /// check `tasker-app check` runs; worker, serve and dev run it at start)
    Check,
    /// Serve the built-in stand-in for the external API
    FakeApi {
        /// Port to listen on
        #[arg(long, short, default_value_t = 3001)]
        port: u16,
        /// Address to listen on
        #[arg(long, default_value = "127.0.0.1")]
        host: IpAddr,
    },
}

impl Command {
    /// Log filter used unless RUST_LOG or LOG_LEVEL says otherwise: the
    /// servers report what they do, the one-shot commands only what goes wrong.
    /// The engine's own info lines stay off by default: they carry each task
    /// request whole, about 400 KB of log per ecommerce task (41 MB for 100
    /// tasks, measured); `RUST_LOG=info` brings them back.
    fn default_log(&self) -> &'static str {
        match self {
            Command::Serve | Command::Orchestration | Command::Worker | Command::FakeApi { .. } => {
                "warn,tasker_app_runtime=info,sqlx=error"
            }
            Command::Migrate { .. } => "warn,sqlx=error",
            // One `ready` line, then only what goes wrong.
            Command::Dev { .. } => "warn,sqlx=error",
            // `run` reports failures itself; the client's own log lines would repeat them.
            Command::Run(_) | Command::Bench(_) => "off",
            Command::Prune(_) => "warn,sqlx=error",
            Command::Check => "off",
        }
    }
}

/// An app: its package, its steps and the external API it calls by default.
pub struct App {
    package: Package,
    registry: fn() -> Registry,
    api_base_url: &'static str,
}

impl App {
    /// `registry` lists every step (see [`Registry`]).
    pub fn new(package: Package, registry: fn() -> Registry) -> App {
        App {
            package,
            registry,
            api_base_url: "http://127.0.0.1:3001",
        }
    }

    /// The external API the steps call unless `API_BASE_URL` says otherwise.
    #[must_use]
    pub fn api_base_url(mut self, url: &'static str) -> App {
        self.api_base_url = url;
        self
    }

    /// Run the command line: the whole of an app's `main`.
    pub fn main(self) -> ExitCode {
        self.main_with(std::env::args_os())
    }

    /// [`App::main`] with these arguments (the first is the program's name).
    /// Call it while the process has a single thread (see `Settings::load`).
    pub fn main_with<I, T>(self, args: I) -> ExitCode
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        let args: Vec<std::ffi::OsString> = args.into_iter().map(Into::into).collect();
        // Before anything is printed: the passwords no message may show.
        crate::shown::remember_secrets(args.iter().map(|a| a.to_string_lossy().into_owned()));
        let cli = match Cli::parse_for(&self.package, args) {
            Ok(cli) => cli,
            Err(code) => return code,
        };

        // SAFETY: no other thread exists yet; the runtime is built below.
        let loaded =
            unsafe { Settings::load(cli.command.default_log(), self.package, self.api_base_url) };
        let settings = match loaded {
            Ok(settings) => settings,
            Err(e) => {
                eprintln!("error: {}", crate::shown::error(&e));
                return ExitCode::FAILURE;
            }
        };

        let runtime = match tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
        {
            Ok(runtime) => runtime,
            Err(e) => {
                eprintln!("error: could not start the async runtime: {e}");
                return ExitCode::FAILURE;
            }
        };

        match runtime.block_on(dispatch(cli.command, settings, self.registry)) {
            Ok(code) => code,
            Err(e) => {
                eprintln!("error: {}", crate::shown::error(&e));
                ExitCode::from(commands::exit_code(&e))
            }
        }
    }
}

impl Cli {
    /// Parse the arguments under the app's own name, version and description.
    /// A usage error is printed here (exit 2), with the control characters of
    /// the values it repeats escaped; `--help` and `--version` print as usual.
    fn parse_for(package: &Package, args: Vec<std::ffi::OsString>) -> Result<Cli, ExitCode> {
        use clap::{CommandFactory, FromArgMatches};
        let command = Cli::command()
            .name(package.name)
            .bin_name(package.name)
            .version(package.version)
            .about(package.description);
        let parsed = command
            .try_get_matches_from(args)
            .and_then(|matches| Cli::from_arg_matches(&matches));
        match parsed {
            Ok(cli) => Ok(cli),
            Err(e) if !e.use_stderr() => e.exit(),
            Err(e) => {
                eprint!("{}", crate::shown::message(&e.render().to_string()));
                Err(ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2)))
            }
        }
    }
}

/// Whether the subcommand `command` has the flag `--long` (for tests of the
/// hints that name flags).
#[cfg(test)]
pub(crate) fn has_flag(command: &str, long: &str) -> bool {
    use clap::CommandFactory;
    Cli::command()
        .find_subcommand(command)
        .is_some_and(|c| c.get_arguments().any(|a| a.get_long() == Some(long)))
}

async fn dispatch(
    command: Command,
    settings: Settings,
    registry: fn() -> Registry,
) -> anyhow::Result<ExitCode> {
    // Settings problems first, before any log line could bury them.
    if matches!(
        command,
        Command::Serve | Command::Orchestration | Command::Worker | Command::Dev { .. }
    ) {
        settings.require_database_url()?;
        settings.require_engine_files()?;
        // The workflows against the handlers, before anything starts.
        if !matches!(command, Command::Orchestration) {
            commands::check::run(&settings, &registry())?;
        }
    }

    // The engine's logging: console, plus OpenTelemetry export when
    // TELEMETRY_ENABLED=true (on by default in apps built with observability).
    tasker_shared::logging::init_tracing();

    match command {
        Command::Migrate { check: false } => commands::migrate::execute(&settings).await?,
        Command::Migrate { check: true } => {
            if !commands::migrate::check(&settings).await? {
                // The same code as `tasker-app install-database-objects --check`.
                return Ok(ExitCode::from(5));
            }
        }
        Command::Serve => commands::serve::execute(&settings, registry()).await?,
        Command::Dev {
            fake_api_port,
            fake_api_host,
            no_fake_api,
            dashboard_port,
            no_dashboard,
        } => {
            let fake_api = commands::dev::fake_api_addr(fake_api_host, fake_api_port, no_fake_api);
            let dashboard = (!no_dashboard)
                .then(|| std::net::SocketAddr::from(([127, 0, 0, 1], dashboard_port)));
            commands::dev::execute(&settings, registry(), fake_api, dashboard).await?
        }
        Command::Orchestration => commands::orchestration::execute(&settings).await?,
        Command::Worker => commands::worker::execute(&settings, registry()).await?,
        Command::Run(args) => return commands::run::execute(&settings, args).await,
        Command::Bench(args) => commands::bench::execute(&settings, args).await?,
        Command::Prune(args) => commands::prune::execute(&settings, args).await?,
        Command::FakeApi { port, host } => commands::fake_api::execute(host, port).await?,
        Command::Check => commands::check::execute(&settings, &registry())?,
    }
    Ok(ExitCode::SUCCESS)
}
