//! Where the app finds its database, engine config, task templates and external API.
//!
//! Run from the app folder, the app needs nothing but `DATABASE_URL`; every other
//! setting has a default, and each default gives way to the environment (or to a
//! `.env` file in the app folder):
//!
//! | variable               | default                              |
//! |------------------------|--------------------------------------|
//! | `DATABASE_URL`         | (required by everything but `fake-api`) |
//! | `TASKER_ENV`           | `development`                        |
//! | `TASKER_CONFIG_PATH`   | `config/tasker/<TASKER_ENV>.toml`    |
//! | `TASKER_TEMPLATE_PATH` | `workflows`                          |
//! | `API_BASE_URL`         | the URL the app's `main` gives (`App::api_base_url`) |
//!
//! `postgres://` URLs are rewritten to `postgresql://` (the engine refuses the
//! short form), and unless the URL sets a search path the app adds
//! `options=-c search_path=tasker,public`: the engine names its tables and
//! functions without their schema.
//!
//! The engine reads these variables itself, so [`Settings::load`] writes the
//! resolved values back into the process environment. It must run before any
//! thread starts (see `App::main`), because changing the environment is only sound
//! while the process is single-threaded.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use tasker_app_db::files;

use crate::package::Package;

/// The environments the engine accepts in `TASKER_ENV`.
pub const ENVIRONMENTS: [&str; 3] = ["test", "development", "production"];

/// The resolved settings of this process.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The app this process runs.
    pub package: Package,
    /// Folder the relative defaults are resolved against.
    pub app_dir: PathBuf,
    /// `DATABASE_URL`, normalised to `postgresql://`. `None` when unset.
    pub database_url: Option<String>,
    /// Base URL of the external API the step handlers call.
    pub api_base_url: String,
    /// `test`, `development` or `production`.
    pub environment: String,
    /// The merged engine configuration file.
    pub config_path: PathBuf,
    /// Folder searched (recursively) for task template YAML files.
    pub template_path: PathBuf,
}

impl Settings {
    /// Resolve every setting and publish it to the process environment.
    ///
    /// `default_log` is the log filter used when neither `RUST_LOG` nor
    /// `LOG_LEVEL` is set; `api_base_url` is used when `API_BASE_URL` is not.
    ///
    /// # Safety
    /// Call it while the process has a single thread: it sets environment variables.
    pub unsafe fn load(
        default_log: &str,
        package: Package,
        api_base_url: &str,
    ) -> Result<Settings> {
        let app_dir = find_app_dir(package.dir);
        // A .env in the app folder fills in whatever the shell did not set.
        // Only a regular file of bounded size: a FIFO would block, a device never ends.
        let dotenv = app_dir.join(".env");
        if std::fs::symlink_metadata(&dotenv).is_ok() {
            let bytes = files::read_regular(&dotenv, files::MAX_ENV_FILE)
                .with_context(|| format!("could not read {}", dotenv.display()))?;
            dotenvy::from_read(bytes.as_slice())
                .with_context(|| format!("could not read {}", dotenv.display()))?;
        }

        let environment = var("TASKER_ENV").unwrap_or_else(|| "development".to_string());
        if !ENVIRONMENTS.contains(&environment.as_str()) {
            bail!(
                "TASKER_ENV is `{environment}`; the engine accepts only {}",
                ENVIRONMENTS.join(", ")
            );
        }

        let config_path = match var("TASKER_CONFIG_PATH") {
            Some(path) => PathBuf::from(path),
            None => app_dir.join(format!("config/tasker/{environment}.toml")),
        };
        if config_path.extension().is_none_or(|ext| ext != "toml") {
            bail!(
                "TASKER_CONFIG_PATH must name a .toml file, got {}",
                config_path.display()
            );
        }
        let template_path = match var("TASKER_TEMPLATE_PATH") {
            Some(path) => PathBuf::from(path),
            None => app_dir.join("workflows"),
        };

        let database_url = match var("DATABASE_URL") {
            Some(url) => Some(normalize_database_url(&url)?),
            None => None,
        };
        if let Some(url) = &database_url {
            check_driver_files(url)?;
        }
        let api_base_url = var("API_BASE_URL")
            .unwrap_or_else(|| api_base_url.to_string())
            .trim_end_matches('/')
            .to_string();

        // SAFETY: the caller guarantees no other thread is running.
        unsafe {
            std::env::set_var("TASKER_ENV", &environment);
            std::env::set_var("TASKER_CONFIG_PATH", &config_path);
            std::env::set_var("TASKER_TEMPLATE_PATH", &template_path);
            std::env::set_var("API_BASE_URL", &api_base_url);
            if let Some(url) = &database_url {
                std::env::set_var("DATABASE_URL", url);
            }
            if var("RUST_LOG").is_none() && var("LOG_LEVEL").is_none() {
                std::env::set_var("RUST_LOG", default_log);
            }
            if var("TASKER_WORKER_ID").is_none() {
                let id = format!("{}-{}", package.name, std::process::id());
                std::env::set_var("TASKER_WORKER_ID", id.replace('_', "-"));
            }
            if cfg!(feature = "observability") {
                set_default("TELEMETRY_ENABLED", "true");
                set_default("OTEL_SERVICE_NAME", package.name);
                set_default("OTEL_SERVICE_VERSION", package.version);
                set_default("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4317");
            }
        }

        Ok(Settings {
            package,
            app_dir,
            database_url,
            api_base_url,
            environment,
            config_path,
            template_path,
        })
    }

    /// `DATABASE_URL`, or an error that says how to provide it.
    pub fn require_database_url(&self) -> Result<&str> {
        self.database_url.as_deref().context(
            "DATABASE_URL is not set. Export it (e.g. \
             DATABASE_URL=postgresql://postgres:postgres@127.0.0.1:5432/my_app) \
             or put it in .env in the app folder",
        )
    }

    /// Check that the engine configuration file exists before the engine reads it,
    /// so a wrong folder gives a useful message instead of a bootstrap failure.
    pub fn require_engine_files(&self) -> Result<()> {
        if !self.config_path.is_file() {
            bail!(
                "engine config {} not found. Run the app from its folder, or set \
                 TASKER_CONFIG_PATH to one of config/tasker/{{test,development,production}}.toml",
                self.config_path.display()
            );
        }
        if !self.template_path.is_dir() {
            bail!(
                "task template folder {} not found. Run the app from its folder, or set \
                 TASKER_TEMPLATE_PATH to the folder holding the workflow YAML files",
                self.template_path.display()
            );
        }
        Ok(())
    }
}

fn var(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .filter(|value| !value.trim().is_empty())
}

/// # Safety
/// Same contract as [`Settings::load`].
unsafe fn set_default(name: &str, value: &str) {
    if var(name).is_none() {
        // SAFETY: forwarded from the caller.
        unsafe { std::env::set_var(name, value) };
    }
}

/// The app folder: the working directory when it holds `config/tasker`, else the
/// folder this binary was built from (so `cargo run --manifest-path` works from
/// anywhere), else the working directory (and the error messages name the paths).
fn find_app_dir(built_from: &str) -> PathBuf {
    let here = PathBuf::from(".");
    if here.join("config/tasker").is_dir() {
        return here;
    }
    let built_from = Path::new(built_from);
    if built_from.join("config/tasker").is_dir() {
        return built_from.to_path_buf();
    }
    here
}

/// The connection option that puts the engine's schema on the search path:
/// the engine names its tables and functions without a schema (`tasker`).
const ENGINE_SEARCH_PATH: &str = "options=-c%20search_path%3Dtasker%2Cpublic";

/// `DATABASE_URL` by the one rule the tasker-app CLI follows too
/// (`tasker_app_db::url`: what `tasker-app build` accepts, the app accepts),
/// written in the one form the engine's configuration loader, sqlx and the
/// CLI read alike (it stops the process on anything else), with the
/// engine's search path added to every connection unless the URL sets one.
pub fn normalize_database_url(url: &str) -> Result<String> {
    let info = tasker_app_db::url::parse(url).map_err(|reason| {
        anyhow::anyhow!(
            "DATABASE_URL `{}` cannot be used: {reason}. {}",
            redact(url.trim()),
            tasker_app_db::url::EXAMPLE
        )
    })?;
    let url = info.app_url();
    if url.contains("search_path") {
        return Ok(url);
    }
    let separator = if url.contains('?') { '&' } else { '?' };
    Ok(format!("{url}{separator}{ENGINE_SEARCH_PATH}"))
}

/// The files sqlx will read: the URL's `sslrootcert`, and those these
/// variables name (its defaults, as libpq's). Each must be a regular file
/// of bounded size: `/dev/zero` would fill the memory, a FIFO would block
/// the connection past its timeout.
fn check_driver_files(url: &str) -> Result<()> {
    if let Ok(info) = tasker_app_db::url::parse(url) {
        for (key, path) in info.files() {
            files::check_regular(&path, files::MAX_CERT_FILE)
                .with_context(|| format!("DATABASE_URL's {key} cannot be used"))?;
        }
    }
    for name in ["PGSSLROOTCERT", "PGSSLCERT", "PGSSLKEY"] {
        if let Some(path) = var(name) {
            files::check_regular(Path::new(&path), files::MAX_CERT_FILE)
                .with_context(|| format!("{name} cannot be used"))?;
        }
    }
    Ok(())
}

/// The URL with its password hidden, for messages: the same rule the
/// tasker-app CLI follows (`tasker_app_db::redact`).
pub use tasker_app_db::redact::redact;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_scheme_is_rewritten_and_the_engine_schema_added() {
        let url = normalize_database_url("postgres://u:p@localhost:5432/shop").unwrap();
        assert_eq!(
            url,
            format!("postgresql://u:p@localhost:5432/shop?{ENGINE_SEARCH_PATH}")
        );
        let url = normalize_database_url("postgresql://u:p@h/shop?sslmode=disable").unwrap();
        assert!(url.ends_with(&format!("?sslmode=disable&{ENGINE_SEARCH_PATH}")));
        let own = "postgresql://u:p@h/shop?options=-c%20search_path%3Dx";
        assert_eq!(normalize_database_url(own).unwrap(), own);
    }

    // Issue 17: the app refused what `tasker-app build` accepted and wrote to
    // .env. The table is tasker-app-db's, the same the CLI is tested with.
    #[test]
    fn the_app_accepts_exactly_the_shared_table() {
        for (input, expected) in tasker_app_db::url::CASES {
            match (normalize_database_url(input), expected) {
                (Ok(url), Ok(app)) => {
                    assert!(url.starts_with(app), "{input}: {url}");
                }
                (Err(e), Err(word)) => {
                    let e = e.to_string();
                    assert!(e.contains(word), "{input}: {e}");
                }
                (got, _) => panic!("{input}: {got:?}"),
            }
        }
    }

    #[test]
    fn a_special_file_named_by_sslrootcert_is_refused() {
        let err = check_driver_files("postgresql://u:p@h/db?sslrootcert=/dev/zero").unwrap_err();
        let text = format!("{err:#}");
        assert!(text.contains("/dev/zero is a character device"), "{text}");
    }

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact("postgresql://u:secret@h/db"),
            "postgresql://u:****@h/db"
        );
        assert_eq!(redact("postgresql://h/db"), "postgresql://h/db");
    }
}
