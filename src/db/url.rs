/*!
Database URLs as users see them in messages: never with the password.

PostgreSQL accepts two forms, and both carry passwords in several places:
- URLs (`postgres://` or `postgresql://`): `user:PASSWORD@host`, and the query
  parameter `?password=PASSWORD` (its name may be percent-encoded);
- key=value strings: `password=PASSWORD`, `password = PASSWORD`, quoted
  `password='it''s \' here'`, unquoted with backslash escapes.

[`check`] refuses, as a usage error and before anything is written, what is not
a PostgreSQL connection string (wrong scheme, unparsable, or a URL whose
password holds an unencoded `@`, which the driver would split into a host).
Every message tasker-app prints about a database goes through [`redact`] or
[`describe`], and every error text from the driver goes through [`scrub`]; the
shell scrubs every line it prints once more (see `Shell::hide`).
*/

use crate::error::CliError;
// The redaction rules themselves are shared with the generated apps' runtime.
pub use tasker_app_db::redact::{after_scheme, hide_secret, redact};
use tasker_app_db::redact::{percent_decode, raw_password, userinfo_end};

const SCHEMES: [&str; 2] = ["postgresql://", "postgres://"];

/// Checks that `url` is a PostgreSQL connection string the driver reads the way
/// the user meant it; the error (exit 2) names the problem and the fix, with
/// the password hidden.
pub fn check(url: &str) -> Result<(), CliError> {
    let shown = redact(url);
    let example = "write it as postgresql://USER:PASSWORD@HOST:PORT/DBNAME (percent-encode @ : / ? # in the password, e.g. @ as %40), or as key=value pairs: host=HOST user=USER password=PASSWORD dbname=DB";
    if let Some(rest_start) = after_scheme(url) {
        let scheme = &url[..rest_start];
        if !SCHEMES.iter().any(|s| s.eq_ignore_ascii_case(scheme)) {
            return Err(CliError::usage(format!(
                "the database URL `{shown}` is not a PostgreSQL URL: its scheme is `{}`, tasker-app needs postgresql://",
                &url[..rest_start - 3]
            ))
            .with_help(example));
        }
        if userinfo_end(&url[rest_start..]).is_none() {
            return Err(CliError::usage(format!(
                "the database URL `{shown}` cannot be read safely: it has more than one `@`, or an `@` after a `/` or `?` (an unencoded `@` or `/` in the password?)"
            ))
            .with_help(example));
        }
    }
    // The TLS settings (sslmode, sslrootcert) are read by tasker-app itself;
    // the rest goes to the driver's parser.
    let driver_part = super::tls::split(url).map_err(|e| {
        CliError::usage(format!(
            "the database URL `{shown}` is not valid: {}",
            scrub(&e, url)
        ))
        .with_help(example)
    })?;
    if let Err(e) = driver_part.0.parse::<postgres::Config>() {
        return Err(CliError::usage(format!(
            "the database URL `{shown}` is not valid: {}",
            scrub(&e.to_string(), url)
        ))
        .with_help(example));
    }
    Ok(())
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
