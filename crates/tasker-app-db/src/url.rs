/*!
The one rule for database URLs: what `tasker-app` (build, install-database-objects,
validate-environment, the wizard) accepts is exactly what a generated app
accepts, because both ask [`parse`]. Pure text work, no driver.

Three readers meet here, and a URL must suit all of them:
- the CLI's driver (`postgres` 0.19) and its TLS settings;
- the app's driver (sqlx 0.8);
- the Tasker engine's configuration loader, which checks `DATABASE_URL`
  against `postgresql://[USER:PASSWORD@]HOST[:PORT]/DBNAME[?...]` (user of
  letters, digits, `_`, `-`; host a name or IPv4 address; database name of
  letters, digits, `_`, `-`) and stops the app otherwise.

So [`parse`] accepts both forms PostgreSQL has (a `postgresql://` or
`postgres://` URL, or a `key=value` string with libpq's quoting), reads them
into one list of parameters, and refuses, naming the fix, what one of the
three could not use: another scheme, an ambiguous `@`, no host or no user,
a Unix socket, an IPv6 or several hosts, a database name the engine
refuses, a parameter outside [`PARAMETERS`], a bad `sslmode` or port.
[`ConnInfo::app_url`] writes what was accepted in the one form all three
read the same way (what `build` writes to the app's `.env`, and what the
app hands the engine): a user or password the engine's pattern would
not take moves into the query (`?user=...&password=...`), every value is
percent-encoded.

Errors never hold the password: they name keys and the other values only.
*/

use crate::redact::{after_scheme, percent_decode, userinfo_end};
use std::path::PathBuf;

/// Parameters accepted besides host, port, user, password and dbname (in a
/// URL: in the query). Each means the same to both drivers, or (marked) is
/// read by the CLI and ignored by sqlx.
pub const PARAMETERS: [&str; 6] = [
    "sslmode",
    "sslrootcert",
    "application_name",
    "options",
    "hostaddr",
    // the CLI's connect timeout (sqlx ignores it: the app waits 10 s itself)
    "connect_timeout",
];

/// The `sslmode` values both sides implement with libpq's meaning.
pub const SSL_MODES: [&str; 5] = ["disable", "prefer", "require", "verify-ca", "verify-full"];

/// The example every refusal ends with.
pub const EXAMPLE: &str = "write it as postgresql://USER:PASSWORD@HOST:PORT/DBNAME[?sslmode=verify-full&sslrootcert=/path/ca.pem] \
     (percent-encode @ : / ? # & in the password, e.g. @ as %40), or as key=value pairs: \
     host=HOST port=PORT user=USER password=PASSWORD dbname=DBNAME";

/// A database URL that passed the rule: its parameters, values decoded.
#[derive(Clone, PartialEq, Eq)]
pub struct ConnInfo {
    pub host: String,
    pub port: Option<u16>,
    pub user: String,
    pub password: Option<String>,
    pub dbname: String,
    /// Keys of [`PARAMETERS`] with their values, in the order given (a key
    /// given twice keeps its last value, as both drivers do).
    pub params: Vec<(String, String)>,
}

impl std::fmt::Debug for ConnInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnInfo")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("user", &self.user)
            .field(
                "password",
                &self.password.as_ref().map(|_| crate::redact::MASK),
            )
            .field("dbname", &self.dbname)
            .field("params", &self.params)
            .finish()
    }
}

impl ConnInfo {
    /// A parameter of [`PARAMETERS`], if given.
    pub fn param(&self, key: &str) -> Option<&str> {
        self.params
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Files the drivers will read, by parameter: `sslrootcert` (unless `system`).
    pub fn files(&self) -> Vec<(&'static str, PathBuf)> {
        match self.param("sslrootcert") {
            Some(path) if path != "system" => vec![("sslrootcert", PathBuf::from(path))],
            _ => Vec::new(),
        }
    }

    /// The URL the app, sqlx and the engine read alike (see the module doc).
    /// `sslrootcert=system` is left out of it: sqlx has no such word and
    /// would look for a file named `system`; without it sqlx checks against
    /// its built-in (Mozilla) roots, under the `verify-full` it implies.
    pub fn app_url(&self) -> String {
        let engine_user = is_engine_name(&self.user);
        let mut url = String::from("postgresql://");
        let mut query: Vec<(String, String)> = Vec::new();
        match &self.password {
            Some(pw) if engine_user && !pw.is_empty() => {
                url.push_str(&format!("{}:{}@", self.user, encode(pw)));
            }
            password => {
                query.push(("user".into(), self.user.clone()));
                if let Some(pw) = password {
                    query.push(("password".into(), pw.clone()));
                }
            }
        }
        url.push_str(&self.host);
        if let Some(port) = self.port {
            url.push_str(&format!(":{port}"));
        }
        url.push('/');
        url.push_str(&self.dbname);
        let system_roots = self.param("sslrootcert") == Some("system");
        let mode_given = self.param("sslmode").is_some();
        for (k, v) in &self.params {
            if k == "sslrootcert" && v == "system" {
                continue;
            }
            query.push((k.clone(), v.clone()));
        }
        if system_roots && !mode_given {
            query.push(("sslmode".into(), "verify-full".into()));
        }
        if !query.is_empty() {
            let pairs: Vec<String> = query
                .iter()
                .map(|(k, v)| format!("{k}={}", encode(v)))
                .collect();
            url.push('?');
            url.push_str(&pairs.join("&"));
        }
        url
    }
}

/// Reads a URL or key=value string by the rule; the error says what is
/// wrong and how to write it instead (without the password).
pub fn parse(input: &str) -> Result<ConnInfo, String> {
    let input = input.trim();
    if input.is_empty() {
        return Err("it is empty".into());
    }
    let pairs = match after_scheme(input) {
        Some(rest_start) => url_pairs(input, rest_start)?,
        None => key_value_pairs(input)?,
    };
    from_pairs(pairs)
}

type Pairs = Vec<(String, String)>;

fn url_pairs(url: &str, rest_start: usize) -> Result<Pairs, String> {
    let scheme = &url[..rest_start - 3];
    // Lower case only: the CLI's driver reads no other spelling.
    if !["postgresql", "postgres"].contains(&scheme) {
        return Err(format!(
            "its scheme is `{}`; a PostgreSQL URL starts with postgresql:// (lower case)",
            scheme.escape_debug()
        ));
    }
    let rest = &url[rest_start..];
    let at = userinfo_end(rest).ok_or(
        "it cannot be read safely: it has more than one `@`, or an `@` after a `/` or `?` \
         (an unencoded `@` or `/` in the password?)",
    )?;
    if rest.contains('#') {
        return Err("it holds a `#` (an unencoded `#` in the password? write it as %23)".into());
    }
    let mut pairs = Vec::new();
    let after_user = match at {
        Some(at) => {
            let userinfo = &rest[..at];
            let (user, password) = match userinfo.split_once(':') {
                Some((u, p)) => (u, Some(p)),
                None => (userinfo, None),
            };
            if !user.is_empty() {
                pairs.push(("user".into(), percent_decode(user)));
            }
            if let Some(p) = password {
                pairs.push(("password".into(), percent_decode(p)));
            }
            &rest[at + 1..]
        }
        None => rest,
    };
    let (location, query) = match after_user.split_once('?') {
        Some((l, q)) => (l, Some(q)),
        None => (after_user, None),
    };
    let (authority, path) = match location.split_once('/') {
        Some((a, p)) => (a, p),
        None => (location, ""),
    };
    if authority.contains(',') {
        return Err(
            "it names several hosts; the Tasker engine connects to one: name one host".into(),
        );
    }
    if authority.starts_with('[') {
        return Err("its host is an IPv6 address, which the Tasker engine's URL check refuses: use a host name or an IPv4 address".into());
    }
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (authority, None),
    };
    if !host.is_empty() {
        pairs.push(("host".into(), percent_decode(host)));
    }
    if let Some(port) = port {
        pairs.push(("port".into(), port.to_string()));
    }
    if !path.is_empty() {
        pairs.push(("dbname".into(), percent_decode(path)));
    }
    let mut after_password = false;
    for pair in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let key = percent_decode(k);
        let known = PARAMETERS.contains(&key.as_str())
            || matches!(
                key.as_str(),
                "host" | "port" | "user" | "password" | "dbname"
            );
        if !known && after_password {
            // Most likely the rest of a password holding an unencoded `&`:
            // name neither it nor its value.
            return Err(
                "its query has a piece after `password=` that is no parameter: an unencoded `&` in the password? \
                 percent-encode it (& as %26, = as %3D, + as %2B)"
                    .into(),
            );
        }
        after_password = key == "password";
        if matches!(key.as_str(), "host" | "port") {
            return Err(format!(
                "it sets `{key}` in the query; put the host and port before the database name: postgresql://USER:PASSWORD@HOST:PORT/DBNAME"
            ));
        }
        pairs.push((key, percent_decode(v)));
    }
    Ok(pairs)
}

/// libpq's key=value syntax: spaces around `=` allowed, values optionally
/// single-quoted, `\` escapes the next character.
fn key_value_pairs(text: &str) -> Result<Pairs, String> {
    let mut pairs = Vec::new();
    let mut chars = text.chars().peekable();
    loop {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        if chars.peek().is_none() {
            break;
        }
        let mut key = String::new();
        while let Some(c) = chars.next_if(|c| *c != '=' && !c.is_whitespace()) {
            key.push(c);
        }
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        if chars.next_if(|c| *c == '=').is_none() {
            return Err(format!(
                "`{}` is neither a postgresql:// URL nor key=value pairs (no `=` after `{}`)",
                crate::redact::redact(text),
                key.escape_debug()
            ));
        }
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        let quoted = chars.next_if(|c| *c == '\'').is_some();
        let mut value = String::new();
        let mut closed = !quoted;
        while let Some(c) = chars.next() {
            if quoted && c == '\'' {
                closed = true;
                break;
            }
            if !quoted && c.is_whitespace() {
                break;
            }
            if c == '\\' {
                if let Some(escaped) = chars.next() {
                    value.push(escaped);
                }
            } else {
                value.push(c);
            }
        }
        if !closed {
            return Err(format!(
                "the value of `{}` has no closing quote",
                key.escape_debug()
            ));
        }
        pairs.push((key, value));
    }
    Ok(pairs)
}

fn from_pairs(pairs: Pairs) -> Result<ConnInfo, String> {
    let (mut host, mut port, mut user, mut password, mut dbname) = (None, None, None, None, None);
    let mut params = Vec::new();
    for (key, value) in pairs {
        match key.as_str() {
            "host" => host = Some(value),
            "port" => port = Some(value),
            "user" => user = Some(value),
            "password" => password = Some(value),
            "dbname" => dbname = Some(value),
            k if PARAMETERS.contains(&k) => {
                check_param(k, &value)?;
                params.push((key, value));
            }
            other => {
                return Err(format!(
                    "the parameter `{}` is not supported (tasker-app and the app's driver must read it alike); \
                     accepted: host, port, user, password, dbname, {}",
                    other.escape_debug(),
                    PARAMETERS.join(", ")
                ));
            }
        }
    }
    let host = host.filter(|h| !h.is_empty()).ok_or(
        "it names no host; name the server: postgresql://USER:PASSWORD@HOST/DBNAME (127.0.0.1 for this machine)",
    )?;
    if host.starts_with('/') {
        return Err(format!(
            "its host `{}` is a Unix socket, which the Tasker engine cannot use: connect over TCP (127.0.0.1)",
            host.escape_debug()
        ));
    }
    if host.contains(',') {
        return Err(
            "it names several hosts; the Tasker engine connects to one: name one host".into(),
        );
    }
    if host.contains(':') {
        return Err("its host is an IPv6 address, which the Tasker engine's URL check refuses: use a host name or an IPv4 address".into());
    }
    if !host
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
    {
        return Err(format!(
            "its host `{}` may hold only letters, digits, `.`, `_` and `-` (the Tasker engine's rule)",
            host.escape_debug()
        ));
    }
    let port = match port {
        None => None,
        Some(p) => Some(p.parse::<u16>().ok().filter(|p| *p > 0).ok_or(format!(
            "its port `{}` is not a number from 1 to 65535",
            p.escape_debug()
        ))?),
    };
    let user = user.filter(|u| !u.is_empty()).ok_or(
        "it names no user; add one: postgresql://USER:PASSWORD@HOST/DBNAME (tasker-app does not guess it from the environment)",
    )?;
    let dbname = dbname.filter(|d| !d.is_empty()).ok_or(
        "it names no database; add one after the host: postgresql://USER:PASSWORD@HOST/DBNAME",
    )?;
    if !is_engine_name(&dbname) {
        return Err(format!(
            "its database name `{}` may hold only letters, digits, `_` and `-` (the Tasker engine's rule); create and name a database that fits",
            dbname.escape_debug()
        ));
    }
    Ok(ConnInfo {
        host,
        port,
        user,
        password,
        dbname,
        params,
    })
}

fn check_param(key: &str, value: &str) -> Result<(), String> {
    match key {
        "sslmode" if value == "allow" => Err(
            "sslmode=allow (plain first, TLS only if the server insists) is not supported: use sslmode=prefer or sslmode=disable".into(),
        ),
        "sslmode" if !SSL_MODES.contains(&value) => Err(format!(
            "sslmode `{}` is not known; accepted: {}",
            value.escape_debug(),
            SSL_MODES.join(", ")
        )),
        "sslrootcert" if value.is_empty() => {
            Err("sslrootcert is empty; give the path of the CA certificate (PEM), or `system`".into())
        }
        "hostaddr" if value.parse::<std::net::Ipv4Addr>().is_err() => Err(format!(
            "hostaddr `{}` is not an IPv4 address",
            value.escape_debug()
        )),
        "connect_timeout" if value.parse::<u32>().is_err() => Err(format!(
            "connect_timeout `{}` is not a number of seconds",
            value.escape_debug()
        )),
        _ => Ok(()),
    }
}

/// Letters, digits, `_`, `-`: the engine's pattern for user and database names.
fn is_engine_name(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// Percent-encodes all but RFC 3986's unreserved characters (so `+` and
/// spaces survive both drivers' decoding).
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The table of inputs both sides test against (the CLI's `db::url` tests and
/// the runtime's settings tests), so the two rules cannot drift apart:
/// (input, `Ok(the app URL)` or `Err(a word of the reason)`).
pub const CASES: &[(&str, Result<&str, &str>)] = &[
    (
        "postgresql://u:p@localhost:5432/shop",
        Ok("postgresql://u:p@localhost:5432/shop"),
    ),
    ("postgres://u:p@h/shop", Ok("postgresql://u:p@h/shop")),
    ("POSTGRESQL://u:p@h/shop", Err("lower case")),
    (
        "postgresql://h/db?user=u&password=a&b=c",
        Err("unencoded `&`"),
    ),
    (
        "postgresql://u:p%40ss@db.example.com:6543/my_app",
        Ok("postgresql://u:p%40ss@db.example.com:6543/my_app"),
    ),
    // no password (trust, peer over TCP, ~/.pgpass for the app): the user moves to the query
    (
        "postgresql://app@127.0.0.1/shop",
        Ok("postgresql://127.0.0.1/shop?user=app"),
    ),
    (
        "postgresql://app:@127.0.0.1/shop",
        Ok("postgresql://127.0.0.1/shop?user=app&password="),
    ),
    // a user name the engine's pattern refuses
    (
        "postgresql://my.user:pw@h/shop",
        Ok("postgresql://h/shop?user=my.user&password=pw"),
    ),
    // key=value strings become URLs
    (
        "host=127.0.0.1 port=5433 user=app password='a b\\'c' dbname=shop",
        Ok("postgresql://app:a%20b%27c@127.0.0.1:5433/shop"),
    ),
    (
        "host = h user=app dbname=shop sslmode=verify-full sslrootcert='/my certs/ca.pem'",
        Ok("postgresql://h/shop?user=app&sslmode=verify-full&sslrootcert=%2Fmy%20certs%2Fca.pem"),
    ),
    (
        "postgresql://u:p@h/shop?sslmode=require&application_name=x+y",
        Ok("postgresql://u:p@h/shop?sslmode=require&application_name=x%2By"),
    ),
    (
        "postgresql://u:p@h/shop?sslrootcert=system",
        Ok("postgresql://u:p@h/shop?sslmode=verify-full"),
    ),
    (
        "postgresql://h/shop?user=a&password=x&hostaddr=127.0.0.1",
        Ok("postgresql://a:x@h/shop?hostaddr=127.0.0.1"),
    ),
    (
        "postgresql://u:p@h/shop?options=-c%20search_path%3Dx",
        Ok("postgresql://u:p@h/shop?options=-c%20search_path%3Dx"),
    ),
    ("mysql://u:p@h/db", Err("scheme")),
    ("nonsense", Err("neither")),
    ("", Err("empty")),
    ("postgresql://u:p@ss@h/db", Err("more than one `@`")),
    ("postgresql://u:p@h", Err("no database")),
    ("postgresql://u:p@h/my.db", Err("database name")),
    ("postgresql://u:p@h:x/db", Err("port")),
    ("postgresql://u:p@h:0/db", Err("port")),
    ("postgresql://u:p@/db", Err("no host")),
    ("postgresql://h/db", Err("no user")),
    ("host=h dbname=db", Err("no user")),
    (
        "host=/var/run/postgresql user=u dbname=db",
        Err("Unix socket"),
    ),
    (
        "postgresql://u:p@%2Fvar%2Frun%2Fpostgresql/db",
        Err("Unix socket"),
    ),
    ("postgresql://u:p@[::1]/db", Err("IPv6")),
    ("postgresql://u:p@a,b/db", Err("several hosts")),
    (
        "postgresql://u:p@h/db?sslmode=verify_full",
        Err("verify-full"),
    ),
    ("postgresql://u:p@h/db?sslmode=allow", Err("prefer")),
    ("postgresql://u:p@h/db?sslcert=/c.pem", Err("not supported")),
    ("postgresql://u:p@h/db?host=other", Err("in the query")),
    ("host=h user=u dbname=db password='x", Err("closing quote")),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shared_table_holds() {
        for (input, expected) in CASES {
            match (parse(input), expected) {
                (Ok(info), Ok(url)) => assert_eq!(&info.app_url(), url, "{input}"),
                (Err(e), Err(word)) => assert!(e.contains(word), "{input}: {e}"),
                (got, _) => panic!("{input}: {got:?}"),
            }
        }
    }

    #[test]
    fn the_app_url_reads_back_to_the_same_parameters() {
        for (input, expected) in CASES {
            if expected.is_ok() && !input.contains("system") {
                let first = parse(input).unwrap();
                let again = parse(&first.app_url()).unwrap();
                assert_eq!(again.app_url(), first.app_url(), "{input}");
                assert_eq!(
                    (again.user, again.password),
                    (first.user, first.password),
                    "{input}"
                );
            }
        }
    }

    #[test]
    fn refusals_never_show_the_password() {
        for input in [
            "postgresql://u:hunter22@h/my.db",
            "host=h user=u password=hunter22 bogus",
            "host=h user=u password=hunter22 sslcert=x dbname=d",
            "postgresql://u:hunter22@h/db?sslmode=nope",
        ] {
            let err = parse(input).unwrap_err();
            assert!(!err.contains("hunter22"), "{input}: {err}");
        }
        assert!(
            !format!("{:?}", parse("postgresql://u:hunter22@h/db").unwrap()).contains("hunter22")
        );
    }
}
