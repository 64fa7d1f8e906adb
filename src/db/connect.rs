/*!
Opening a connection: the one way tasker-app connects (build,
install-database-objects, validate-environment). Bounded in time (an
unreachable server fails within [`CONNECT_TIMEOUT`]), over TLS as `sslmode`
asks (see [`super::tls`]), and every failure explained with the URL redacted
and a next step. Errors that mean "the environment is not ready" carry exit
code 4.
*/

use super::tls::{self, SslMode, TlsSettings};
use super::url::{describe, redact, scrub};
use crate::error::{CliError, Exit};
use anyhow::Result;
use postgres::error::SqlState;
use postgres::{Client, Config};
use std::sync::mpsc;
use std::time::Duration;
use tokio_postgres_rustls::MakeRustlsConnect;

/// The whole connection attempt (TCP, TLS negotiation, authentication) ends
/// within this time.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

const START_HINT: &str = "start PostgreSQL (Debian/Ubuntu: `sudo scripts/provision-postgres.sh` from the tasker-app repo, or `sudo pg_ctlcluster 15 main start`; macOS: `brew services start postgresql@17`; Docker: `docker run -d -p 5432:5432 -e POSTGRES_PASSWORD=postgres ghcr.io/pgmq/pg17-pgmq:latest`), or pass the right --database-url / DATABASE_URL";

/// Parses a URL (or key=value string), refusing what the driver cannot read,
/// with the URL redacted. `sslmode` and `sslrootcert` come back apart.
pub fn parse(url: &str) -> Result<(Config, TlsSettings)> {
    let invalid = |why: String| -> anyhow::Error {
        CliError::usage(format!(
            "the database URL `{}` is not valid: {why}",
            redact(url)
        ))
        .with_help("write it as postgresql://USER:PASSWORD@HOST:PORT/DBNAME[?sslmode=verify-full&sslrootcert=/path/to/ca.pem]; sslmode is one of disable, prefer, require, verify-ca, verify-full")
        .into()
    };
    let (rest, settings) = tls::split(url).map_err(invalid)?;
    let mut config = rest
        .parse::<Config>()
        .map_err(|e| invalid(scrub(&e.to_string(), url)))?;
    config.ssl_mode(settings.driver_mode());
    Ok((config, settings))
}

/// The TLS connector for `url` (what a cancel request goes through).
pub fn connector_for(url: &str) -> Result<MakeRustlsConnect> {
    let (_, settings) = parse(url)?;
    tls::connector(&settings).map_err(|why| anyhow::anyhow!(why))
}

/// Connects, or fails within [`CONNECT_TIMEOUT`] with a message and a next step.
pub fn connect(url: &str) -> Result<Client> {
    let (mut config, settings) = parse(url)?;
    config.connect_timeout(CONNECT_TIMEOUT);
    config.application_name("tasker-app");
    if config
        .get_hosts()
        .iter()
        .all(|h| !matches!(h, postgres::config::Host::Tcp(_)))
        && !config.get_hosts().is_empty()
    {
        // A Unix socket never carries TLS; libpq ignores sslmode there too.
        config.ssl_mode(postgres::config::SslMode::Disable);
    }
    let connector = tls::connector(&settings).map_err(|why| {
        anyhow::Error::from(
            CliError::new(
                Exit::EnvironmentNotReady,
                format!("cannot connect to {} over TLS: {why}", describe(url)),
            )
            .with_help("give sslrootcert the path of a readable PEM file holding the CA certificate that signed the server's certificate"),
        )
    })?;
    let result = match attempt(config.clone(), connector.clone()) {
        Some(Err(e)) if settings.mode == SslMode::Prefer && tls::is_tls_failure(&e) => {
            // libpq's `prefer`: a failed TLS negotiation is retried without TLS.
            config.ssl_mode(postgres::config::SslMode::Disable);
            attempt(config, connector)
        }
        other => other,
    };
    match result {
        Some(Ok(client)) => Ok(client),
        Some(Err(e)) => Err(explain(url, &settings, &e)),
        None => Err(CliError::new(
            Exit::EnvironmentNotReady,
            format!(
                "cannot reach the database at {}: no answer within {} s",
                describe(url),
                CONNECT_TIMEOUT.as_secs()
            ),
        )
        .with_help(START_HINT)
        .into()),
    }
}

/// One connection attempt; `None` when it did not end within the timeout.
fn attempt(
    config: Config,
    connector: MakeRustlsConnect,
) -> Option<std::result::Result<Client, postgres::Error>> {
    let (tx, rx) = mpsc::channel();
    // The driver bounds only the TCP connect; a server that accepts and then
    // says nothing would hang the handshake. The thread bounds everything.
    std::thread::spawn(move || {
        let _ = tx.send(config.connect(connector));
    });
    rx.recv_timeout(CONNECT_TIMEOUT + Duration::from_millis(500))
        .ok()
}

/// Connects; when the database itself does not exist yet, creates it through
/// the server's `postgres` database first (what `createdb` would do).
/// Returns the client and whether the database was created.
pub fn connect_or_create(url: &str) -> Result<(Client, bool)> {
    match connect(url) {
        Ok(c) => Ok((c, false)),
        Err(e) if is_missing_database(&e) => {
            let (config, _) = parse(url)?;
            let name = config.get_dbname().unwrap_or("postgres").to_string();
            let maintenance = maintenance_url(url, &name)?;
            let mut admin = connect(&maintenance)?;
            let created = create_database(&mut admin, &name).map_err(|err| {
                anyhow::Error::from(
                    CliError::new(
                        Exit::EnvironmentNotReady,
                        format!(
                            "database `{name}` does not exist at {} and could not be created: {}",
                            describe(url),
                            db_error_text(&err, url)
                        ),
                    )
                    .with_help(format!(
                        "create it yourself (`createdb {name}`), or grant CREATEDB to the role"
                    )),
                )
            })?;
            Ok((connect(url)?, created))
        }
        Err(e) => Err(e),
    }
}

/// Creates database `name` unless it exists, race-safe: concurrent runs take
/// turns on a session advisory lock (two CREATE DATABASE from one template at
/// once can fail), and one that finds the database made meanwhile (or gets
/// 42P04 duplicate_database) is content. Returns whether this run created it.
fn create_database(admin: &mut Client, name: &str) -> Result<bool, postgres::Error> {
    // A fixed key per database name, distinct from sqlx's migration lock.
    let key = super::engine::lock_id(&format!("tasker-app create {name}"));
    admin.execute("SELECT pg_advisory_lock($1)", &[&key])?;
    let result = (|| {
        let exists = admin
            .query_opt("SELECT 1 FROM pg_database WHERE datname = $1", &[&name])?
            .is_some();
        if exists {
            return Ok(false);
        }
        match admin.batch_execute(&format!("CREATE DATABASE {}", quote_ident(name))) {
            Ok(()) => Ok(true),
            Err(e) if e.code() == Some(&SqlState::DUPLICATE_DATABASE) => Ok(false),
            Err(e) => Err(e),
        }
    })();
    let _ = admin.execute("SELECT pg_advisory_unlock($1)", &[&key]);
    result
}

/// The server answered that the database does not exist (SQLSTATE 3D000).
pub fn is_missing_database(err: &anyhow::Error) -> bool {
    err.chain().any(|c| c.to_string().contains("(3D000)"))
}

/// The same server and credentials, database `postgres` (or `template1` when
/// the target is `postgres`).
pub fn maintenance_url(url: &str, target: &str) -> Result<String> {
    let other = if target == "postgres" {
        "template1"
    } else {
        "postgres"
    };
    if let Some(scheme_end) = super::url::after_scheme(url) {
        let path_start = url[scheme_end..].find('/').map(|i| scheme_end + i);
        let query_start = url.find('?');
        let prefix = &url[..path_start.or(query_start).unwrap_or(url.len())];
        let query = query_start.map_or("", |q| &url[q..]);
        Ok(format!("{prefix}/{other}{query}"))
    } else {
        Ok(format!("{url} dbname={other}"))
    }
}

pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// A query refused for lack of a privilege (SQLSTATE 42501) anywhere in the
/// chain becomes "environment not ready" (exit 4), naming what the server
/// refused and how to get it; any other error is returned as it is.
pub fn explain_privilege(err: anyhow::Error, url: &str, doing: &str) -> anyhow::Error {
    let refused = err
        .chain()
        .filter_map(|c| c.downcast_ref::<postgres::Error>())
        .find(|e| e.code() == Some(&SqlState::INSUFFICIENT_PRIVILEGE));
    let Some(pg) = refused else { return err };
    let user = url
        .parse::<Config>()
        .ok()
        .and_then(|c| c.get_user().map(str::to_string));
    let user = user.unwrap_or_else(|| "<role>".into());
    CliError::new(
        Exit::EnvironmentNotReady,
        format!(
            "{doing} at {}: the role lacks a privilege: {}",
            describe(url),
            db_error_text(pg, url)
        ),
    )
    .with_help(format!(
        "reading the tracking schema needs USAGE on schemas tasker_app and app and SELECT on their tables: as a superuser run `GRANT USAGE ON SCHEMA tasker_app, app TO {user}; GRANT SELECT ON ALL TABLES IN SCHEMA tasker_app TO {user}; GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA tasker_app TO {user}`, or run the command as the role that installed the objects"
    ))
    .into()
}

/// The text of a driver error, with its SQLSTATE, detail and hint, scrubbed.
pub fn db_error_text(err: &postgres::Error, url: &str) -> String {
    let text = match err.as_db_error() {
        Some(db) => {
            let mut s = format!("{} ({})", db.message(), db.code().code());
            if let Some(d) = db.detail() {
                s.push_str(&format!("; detail: {d}"));
            }
            if let Some(h) = db.hint() {
                s.push_str(&format!("; hint: {h}"));
            }
            s
        }
        None => {
            let mut s = err.to_string();
            let mut source = std::error::Error::source(err);
            while let Some(cause) = source {
                let c = cause.to_string();
                if !s.contains(&c) {
                    s.push_str(&format!(": {c}"));
                }
                source = cause.source();
            }
            s
        }
    };
    scrub(&text, url)
}

fn explain(url: &str, settings: &TlsSettings, err: &postgres::Error) -> anyhow::Error {
    let target = describe(url);
    let text = db_error_text(err, url);
    let host = first_host(url);
    let (message, help) = match err.code() {
        None if tls::explain(err, settings, &target, &host).is_some() => {
            // Built from `target` (already redacted) and the certificate: no
            // password can be in it, and scrubbing would mangle a password
            // that equals the user name.
            tls::explain(err, settings, &target, &host).expect("checked just above")
        }
        Some(c) if *c == SqlState::INVALID_PASSWORD || *c == SqlState::INVALID_AUTHORIZATION_SPECIFICATION => (
            format!("the database at {target} refused the login: {text}"),
            "check the user name and password in --database-url / DATABASE_URL (the password is never printed)".to_string(),
        ),
        Some(c) if *c == SqlState::INVALID_CATALOG_NAME => (
            format!("the database at {target} does not exist: {text}"),
            "create it (`createdb NAME`), or point --database-url at an existing database".to_string(),
        ),
        Some(c) if *c == SqlState::TOO_MANY_CONNECTIONS || *c == SqlState::CANNOT_CONNECT_NOW => (
            format!("the database at {target} is not accepting connections: {text}"),
            "wait for the server to finish starting, or raise max_connections".to_string(),
        ),
        Some(_) => (format!("cannot connect to the database at {target}: {text}"), START_HINT.to_string()),
        None if text.contains("password missing") => (
            format!("the database at {target} asks for a password, and the URL gives none"),
            "put the password in the URL: postgresql://USER:PASSWORD@HOST:PORT/DB (percent-encode @ : / ? # in it, e.g. @ as %40), or add password=PASSWORD to a key=value string; tasker-app does not read PGPASSWORD or ~/.pgpass".to_string(),
        ),
        None => (format!("cannot reach the database at {target}: {text}"), START_HINT.to_string()),
    };
    CliError::new(Exit::EnvironmentNotReady, message)
        .with_help(help)
        .into()
}

/// The host name a certificate is checked against (the first host).
fn first_host(url: &str) -> String {
    parse(url)
        .ok()
        .and_then(|(c, _)| {
            c.get_hosts().first().map(|h| match h {
                postgres::config::Host::Tcp(name) => name.clone(),
                #[cfg(unix)]
                postgres::config::Host::Unix(p) => p.display().to_string(),
            })
        })
        .unwrap_or_else(|| "localhost".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maintenance_url_keeps_credentials_and_query() {
        assert_eq!(
            maintenance_url("postgresql://u:p@h:1/app?sslmode=disable", "app").unwrap(),
            "postgresql://u:p@h:1/postgres?sslmode=disable"
        );
        assert_eq!(
            maintenance_url("postgresql://u:p@h/postgres", "postgres").unwrap(),
            "postgresql://u:p@h/template1"
        );
        assert_eq!(
            maintenance_url("postgresql://u:p@h", "u").unwrap(),
            "postgresql://u:p@h/postgres"
        );
    }

    #[test]
    fn a_closed_port_fails_fast_with_a_next_step_and_no_password() {
        let started = std::time::Instant::now();
        let Err(err) = connect("postgresql://u:hunter2secret@127.0.0.1:1/x") else {
            panic!("port 1 accepted a connection")
        };
        assert!(started.elapsed() < CONNECT_TIMEOUT);
        let text = format!("{err:#}");
        assert!(
            text.contains("cannot reach the database at 127.0.0.1:1/x as u"),
            "{text}"
        );
        assert!(!text.contains("hunter2secret"));
        assert_eq!(crate::error::exit_code_of(&err), Exit::EnvironmentNotReady);
    }
}
