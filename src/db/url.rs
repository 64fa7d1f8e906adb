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

const MASK: &str = "****";
const SCHEMES: [&str; 2] = ["postgresql://", "postgres://"];

/// Where the part after `SCHEME://` starts, when `url` is in URL form: it
/// begins with a scheme (a letter, then letters, digits, `+`, `-`, `.`) and
/// `://`. A key=value string is never a URL, even when a value in it holds
/// `://` (a password may).
pub fn after_scheme(url: &str) -> Option<usize> {
    let end = url.find("://")?;
    let scheme = &url[..end];
    let mut chars = scheme.chars();
    let valid = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    valid.then_some(end + 3)
}

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

/// `postgresql://user:secret@host/db` -> `postgresql://user:****@host/db`;
/// `host=h password = 'x y'` -> `host=h password = ****`. A URL whose user part
/// cannot be told apart from its host, path or query (more than one `@`, or an
/// `@` after a `/` or `?`) is hidden whole after the scheme: there is no safe
/// way to tell which part of it is the password.
pub fn redact(url: &str) -> String {
    let Some(rest_start) = after_scheme(url) else {
        return hide_keyword_values(url);
    };
    let Some(at) = userinfo_end(&url[rest_start..]) else {
        return format!("{}{MASK}", &url[..rest_start]);
    };
    let mut out = url.to_string();
    if let Some(at) = at.map(|i| rest_start + i) {
        if let Some(colon) = url[rest_start..at].find(':') {
            out.replace_range(rest_start + colon + 1..at, MASK);
        }
    }
    hide_query_password(&out)
}

/// Where the user part of a URL (after `scheme://`) ends: `Some(None)` when it
/// has none, `None` when it is ambiguous (see [`redact`]).
fn userinfo_end(rest: &str) -> Option<Option<usize>> {
    let mut ats = rest.match_indices('@').map(|(i, _)| i);
    match (ats.next(), ats.next()) {
        (None, _) => Some(None),
        (Some(at), None) if !rest[..at].contains(['/', '?']) => Some(Some(at)),
        _ => None,
    }
}

/// Hides the value of every query parameter whose (percent-decoded) name is
/// `password`.
fn hide_query_password(url: &str) -> String {
    let Some(q) = url.find('?') else {
        return url.to_string();
    };
    let mut params: Vec<String> = Vec::new();
    let mut in_password = false;
    for param in url[q + 1..].split('&') {
        match param.split_once('=') {
            Some((key, _)) if is_password_key(&percent_decode(key)) => {
                params.push(format!("{key}={MASK}"));
                in_password = true;
            }
            // An unencoded `&` in the password: what follows, up to the next
            // parameter PostgreSQL knows, is still the password.
            _ if in_password && !is_known_param(param) => {}
            _ => {
                params.push(param.to_string());
                in_password = false;
            }
        }
    }
    format!("{}?{}", &url[..q], params.join("&"))
}

/// Query parameters the driver knows (a piece after `password=` that is none
/// of these is taken to be part of the password).
fn is_known_param(param: &str) -> bool {
    const KNOWN: [&str; 22] = [
        "user",
        "password",
        "dbname",
        "options",
        "application_name",
        "sslmode",
        "sslcert",
        "sslkey",
        "sslrootcert",
        "sslnegotiation",
        "host",
        "hostaddr",
        "port",
        "connect_timeout",
        "tcp_user_timeout",
        "keepalives",
        "keepalives_idle",
        "keepalives_interval",
        "keepalives_retries",
        "target_session_attrs",
        "channel_binding",
        "load_balance_hosts",
    ];
    param.split_once('=').is_some_and(|(k, _)| {
        KNOWN
            .iter()
            .any(|n| n.eq_ignore_ascii_case(&percent_decode(k)))
    })
}

fn is_password_key(key: &str) -> bool {
    key.trim().eq_ignore_ascii_case("password")
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            if let Some(b) = s
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
            {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// key=value form: hides the value after every `password` keyword, with or
/// without spaces around `=`, quoted (`'...'` with `\'` and `\\` escapes) or
/// unquoted (up to unescaped whitespace).
fn hide_keyword_values(text: &str) -> String {
    let lower = text.to_ascii_lowercase();
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut search = 0;
    while let Some(pos) = lower[search..].find("password") {
        let key_start = search + pos;
        let mut i = key_start + "password".len();
        search = i;
        // Only a whole keyword: not `xpassword`.
        if key_start > 0
            && (bytes[key_start - 1].is_ascii_alphanumeric() || bytes[key_start - 1] == b'_')
        {
            continue;
        }
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        if i >= bytes.len() || bytes[i] != b'=' {
            continue;
        }
        i += 1;
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        let value_start = i;
        if i < bytes.len() && bytes[i] == b'\'' {
            i += 1;
            while i < bytes.len() && bytes[i] != b'\'' {
                i += if bytes[i] == b'\\' { 2 } else { 1 };
            }
            i = (i + 1).min(bytes.len());
        } else {
            while i < bytes.len() && !bytes[i].is_ascii_whitespace() {
                i += if bytes[i] == b'\\' { 2 } else { 1 };
            }
            i = i.min(bytes.len());
        }
        out.push_str(&text[copied..value_start]);
        out.push_str(MASK);
        copied = i;
        search = i;
    }
    out.push_str(&text[copied..]);
    out
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

/// Replaces each whole-word occurrence of `secret` in `text` (not inside a
/// longer word: a password `postgres` leaves `postgresql://` alone). Secrets
/// shorter than 3 characters are left to the structural redaction (replacing
/// every `a` would garble the message).
pub fn hide_secret(text: &str, secret: &str) -> String {
    if secret.chars().count() < 3 {
        return text.to_string();
    }
    let word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric());
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find(secret) {
        let before = rest[..i].chars().next_back();
        let after = rest[i + secret.len()..].chars().next();
        let inside_word = (word(before) && word(secret.chars().next()))
            || (word(after) && word(secret.chars().next_back()));
        out.push_str(&rest[..i]);
        out.push_str(if inside_word { secret } else { MASK });
        rest = &rest[i + secret.len()..];
    }
    out.push_str(rest);
    out
}

/// The user part's password of a URL as written: from the first `:` after the
/// scheme to the last `@` (the widest reading, so nothing of it is missed).
fn raw_password(url: &str) -> Option<String> {
    let rest = &url[after_scheme(url)?..];
    let userinfo = &rest[..rest.rfind('@')?];
    Some(userinfo[userinfo.find(':')? + 1..].to_string())
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
