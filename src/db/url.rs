/*!
Database URLs as users see them in messages: never with the password.

PostgreSQL accepts two forms, and both carry passwords in several places:
- URLs (`postgres://` or `postgresql://`): `user:PASSWORD@host`, and the query
  parameter `?password=PASSWORD` (its name may be percent-encoded);
- key=value strings: `password=PASSWORD`, `password = PASSWORD`, quoted
  `password='it''s \' here'`, unquoted with backslash escapes.

[`check`] refuses, as a usage error and before anything is written, what the
one URL rule shared with every generated app refuses
([`tasker_app_db::url`]: wrong scheme, an unencoded `@` in the password, no
host, user or database, a Unix socket, a parameter one side would not read
alike...), so what `build` accepts (and writes to the app's `.env`, through
[`app_url`]) the app accepts.
Every message tasker-app prints about a database goes through [`redact`] or
[`describe`], and every error text from the driver goes through [`scrub`]; the
shell scrubs every line it prints once more (see `Shell::hide`).
*/

use crate::error::CliError;
// The redaction rules themselves are shared with the generated apps' runtime.
pub use tasker_app_db::redact::{after_scheme, hide_secret, redact};
use tasker_app_db::redact::{percent_decode, raw_password};
use tasker_app_db::url::EXAMPLE;

/// Checks that `url` is a database URL by the one rule the CLI and every
/// generated app share ([`tasker_app_db::url::parse`]: what `build` accepts,
/// the app accepts), and that the driver reads it the way the user meant
/// it; the error (exit 2) names the problem and the fix, with the password
/// hidden.
pub fn check(url: &str) -> Result<(), CliError> {
    let shown = redact(url);
    let invalid = |why: &str| {
        CliError::usage(format!(
            "the database URL `{shown}` is not valid: {}",
            scrub(why, url)
        ))
        .with_help(EXAMPLE)
    };
    tasker_app_db::url::parse(url).map_err(|why| invalid(&why))?;
    // The TLS settings (sslmode, sslrootcert) are read by tasker-app itself;
    // the rest goes to the driver's parser.
    let driver_part = super::tls::split(url).map_err(|e| invalid(&e))?;
    if let Err(e) = driver_part.0.parse::<postgres::Config>() {
        return Err(invalid(&e.to_string()));
    }
    Ok(())
}

/// The URL the app is given (its `.env`): `url` written in the one form the
/// app, its driver and the engine read alike. `None` when the rule refuses
/// it (then [`check`] says why).
pub fn app_url(url: &str) -> Option<String> {
    tasker_app_db::url::parse(url).ok().map(|c| c.app_url())
}

/// The password in a URL or key=value string, percent-decoded, if any.
pub fn password_of(url: &str) -> Option<String> {
    let config = super::tls::driver_config(url)?;
    config
        .get_password()
        .map(|p| String::from_utf8_lossy(p).into_owned())
        .filter(|p| !p.is_empty())
}

/// Every spelling of the password in `url` that could end up in a message:
/// as the driver decoded it, and as written in the user part of the URL.
pub fn secrets_of(url: &str) -> Vec<String> {
    let mut out: Vec<String> = password_of(url).into_iter().collect();
    if let Some(raw) = raw_password(url) {
        out.push(percent_decode(&raw));
        out.push(raw);
    }
    // A password equal to the user name is shown with every "as USER"; hiding
    // it would hide the user, not the password.
    let user = url
        .parse::<postgres::Config>()
        .ok()
        .and_then(|c| c.get_user().map(str::to_string));
    out.retain(|s| !s.is_empty() && Some(s) != user.as_ref());
    out.sort_by_key(|s| std::cmp::Reverse(s.len()));
    out.dedup();
    out
}

/// Removes every occurrence of the password (raw and as written in the URL)
/// from a message, then redacts URLs in it.
pub fn scrub(message: &str, url: &str) -> String {
    let mut out = message.replace(url, &redact(url));
    for secret in secrets_of(url) {
        out = hide_secret(&out, &secret);
    }
    out
}

/// `host:port/dbname as user`, for messages ("cannot reach 127.0.0.1:5432/app as postgres").
pub fn describe(url: &str) -> String {
    if check(url).is_err() {
        return redact(url);
    }
    let Some(config) = super::tls::driver_config(url) else {
        return redact(url);
    };
    let host = config
        .get_hosts()
        .first()
        .map(|h| match h {
            postgres::config::Host::Tcp(name) => name.clone(),
            #[cfg(unix)]
            postgres::config::Host::Unix(path) => path.display().to_string(),
        })
        .unwrap_or_else(|| "localhost".into());
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let db = config.get_dbname().unwrap_or("(default)");
    let user = config.get_user().unwrap_or("(default user)");
    scrub(&format!("{host}:{port}/{db} as {user}"), url)
}

#[cfg(test)]
#[path = "url_tests.rs"]
mod tests;
