/*!
TLS for database connections, with libpq's `sslmode` meanings, on rustls
(`ring` provider; no OpenSSL).

| sslmode | encrypted | certificate checked |
|---|---|---|
| `disable` | never | - |
| `prefer` (default) | when the server offers TLS | no (chain only when `sslrootcert` is given) |
| `require` | always | no (chain only when `sslrootcert` is given, as libpq does) |
| `verify-ca` | always | chain to a trusted CA, not the host name |
| `verify-full` | always | chain and host name |

The trusted CAs are the file named by `sslrootcert=PATH` (PEM), or the
operating system's store when it is absent or `sslrootcert=system`. The driver
(`postgres` 0.19) understands only `disable|prefer|require` and no
`sslrootcert`, so [`split`] takes both out of the connection string (URL or
key=value form) before the driver sees the rest: this is the one place they
are parsed.
*/

mod connector;
mod explain;

pub use connector::connector;
pub use explain::{explain, is_tls_failure, session};

use std::path::PathBuf;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SslMode {
    Disable,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

impl SslMode {
    pub const ACCEPTED: &'static str = "disable, prefer, require, verify-ca, verify-full";

    pub fn parse(value: &str) -> Result<Self, String> {
        Ok(match value {
            "disable" => Self::Disable,
            "prefer" => Self::Prefer,
            "require" => Self::Require,
            "verify-ca" => Self::VerifyCa,
            "verify-full" => Self::VerifyFull,
            "allow" => {
                return Err(
                    "sslmode=allow (plain first, TLS only if the server insists) is not supported: use sslmode=prefer or sslmode=disable".into(),
                );
            }
            other => {
                return Err(format!(
                    "sslmode `{other}` is not known; accepted: {}",
                    Self::ACCEPTED
                ));
            }
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Disable => "disable",
            Self::Prefer => "prefer",
            Self::Require => "require",
            Self::VerifyCa => "verify-ca",
            Self::VerifyFull => "verify-full",
        }
    }
}

/// Where the trusted CAs come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Roots {
    File(PathBuf),
    System,
}

impl Roots {
    pub fn describe(&self) -> String {
        match self {
            Self::File(p) => format!("sslrootcert {}", p.display()),
            Self::System => "the system's trusted CAs".into(),
        }
    }
}

/// What is checked of the server's certificate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verify {
    Nothing,
    Chain,
    ChainAndHost,
}

/// `sslmode` and `sslrootcert` of one connection string.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsSettings {
    pub mode: SslMode,
    /// `sslrootcert` as given (`None`: not given).
    pub root_cert: Option<Roots>,
}

impl TlsSettings {
    pub fn verify(&self) -> Verify {
        match (self.mode, &self.root_cert) {
            (SslMode::Disable, _) => Verify::Nothing,
            (SslMode::Prefer | SslMode::Require, None) => Verify::Nothing,
            (SslMode::Prefer | SslMode::Require | SslMode::VerifyCa, _) => Verify::Chain,
            (SslMode::VerifyFull, _) => Verify::ChainAndHost,
        }
    }

    /// The CAs used when the chain is checked.
    pub fn roots(&self) -> Roots {
        self.root_cert.clone().unwrap_or(Roots::System)
    }

    /// The mode the driver negotiates with.
    pub fn driver_mode(&self) -> postgres::config::SslMode {
        match self.mode {
            SslMode::Disable => postgres::config::SslMode::Disable,
            SslMode::Prefer => postgres::config::SslMode::Prefer,
            _ => postgres::config::SslMode::Require,
        }
    }

    /// For messages: `sslmode=verify-full, sslrootcert /x/ca.pem`.
    pub fn describe(&self) -> String {
        match self.verify() {
            Verify::Nothing => format!("sslmode={}", self.mode.as_str()),
            _ => format!(
                "sslmode={}, {}",
                self.mode.as_str(),
                self.roots().describe()
            ),
        }
    }
}

/// Takes `sslmode` and `sslrootcert` out of a connection string (URL or
/// key=value form). Returns the rest, for the driver, and the settings.
/// Errors name the bad value; they never contain the password.
pub fn split(conn: &str) -> Result<(String, TlsSettings), String> {
    let mut mode = None;
    let mut root = None;
    let mut take = |key: &str, value: String| -> Result<bool, String> {
        match key {
            "sslmode" => mode = Some(SslMode::parse(&value)?),
            "sslrootcert" if value == "system" => root = Some(Roots::System),
            "sslrootcert" => root = Some(Roots::File(PathBuf::from(value))),
            _ => return Ok(false),
        }
        Ok(true)
    };
    let rest = if tasker_app_db::redact::after_scheme(conn).is_some() {
        split_url(conn, &mut take)?
    } else {
        split_key_values(conn, &mut take)?
    };
    if root == Some(Roots::System) {
        match mode {
            None => mode = Some(SslMode::VerifyFull),
            Some(SslMode::VerifyFull) => {}
            Some(weak) => {
                return Err(format!(
                    "sslmode={} may not be used with sslrootcert=system (as in libpq): use sslmode=verify-full",
                    weak.as_str()
                ));
            }
        }
    }
    let settings = TlsSettings {
        mode: mode.unwrap_or(SslMode::Prefer),
        root_cert: root,
    };
    Ok((rest, settings))
}

/// The driver's view of a connection string ([`split`], then the driver's
/// parser), for code that must not fail (messages, redaction).
pub fn driver_config(conn: &str) -> Option<postgres::Config> {
    split(conn).ok()?.0.parse().ok()
}

type Take<'a> = dyn FnMut(&str, String) -> Result<bool, String> + 'a;

fn split_url(url: &str, take: &mut Take) -> Result<String, String> {
    let Some(q) = url.find('?') else {
        return Ok(url.to_string());
    };
    let mut kept = Vec::new();
    for pair in url[q + 1..].split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        if !take(key, tasker_app_db::redact::percent_decode(value))? {
            kept.push(pair);
        }
    }
    if kept.is_empty() {
        Ok(url[..q].to_string())
    } else {
        Ok(format!("{}?{}", &url[..q], kept.join("&")))
    }
}

/// `host=h sslmode='verify-full' ...`: libpq's key=value syntax (spaces
/// around `=` allowed, values optionally single-quoted with `\` escapes).
fn split_key_values(conn: &str, take: &mut Take) -> Result<String, String> {
    let mut kept: Vec<&str> = Vec::new();
    let mut chars = conn.char_indices().peekable();
    loop {
        while chars.next_if(|(_, c)| c.is_whitespace()).is_some() {}
        let Some(&(start, _)) = chars.peek() else {
            break;
        };
        let mut key = String::new();
        while let Some((_, c)) = chars.next_if(|(_, c)| *c != '=' && !c.is_whitespace()) {
            key.push(c);
        }
        while chars.next_if(|(_, c)| c.is_whitespace()).is_some() {}
        if chars.next_if(|(_, c)| *c == '=').is_none() {
            // Not key=value: the driver reports it.
            kept.push(conn[start..].trim_end());
            break;
        }
        while chars.next_if(|(_, c)| c.is_whitespace()).is_some() {}
        let mut value = String::new();
        let quoted = chars.next_if(|(_, c)| *c == '\'').is_some();
        let mut end = conn.len();
        while let Some(&(i, c)) = chars.peek() {
            if (quoted && c == '\'') || (!quoted && c.is_whitespace()) {
                end = if quoted { i + 1 } else { i };
                chars.next();
                break;
            }
            chars.next();
            if c == '\\' {
                if let Some((_, escaped)) = chars.next() {
                    value.push(escaped);
                }
            } else {
                value.push(c);
            }
        }
        if !take(&key, value)? {
            kept.push(&conn[start..end]);
        }
    }
    Ok(kept.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(mode: SslMode, root: Option<&str>) -> TlsSettings {
        TlsSettings {
            mode,
            root_cert: root.map(|r| Roots::File(PathBuf::from(r))),
        }
    }

    #[test]
    fn url_form_loses_only_the_tls_parameters() {
        let (rest, s) = split(
            "postgresql://u:p@db:5432/shop?sslmode=verify-full&application_name=x&sslrootcert=%2Fetc%2Fca.pem",
        )
        .unwrap();
        assert_eq!(rest, "postgresql://u:p@db:5432/shop?application_name=x");
        assert_eq!(s, settings(SslMode::VerifyFull, Some("/etc/ca.pem")));
        let (rest, s) = split("postgresql://u:p@db/shop?sslmode=require").unwrap();
        assert_eq!(rest, "postgresql://u:p@db/shop");
        assert_eq!(s, settings(SslMode::Require, None));
        let (rest, s) = split("postgresql://u:p@db/shop").unwrap();
        assert_eq!(rest, "postgresql://u:p@db/shop");
        assert_eq!(s.mode, SslMode::Prefer, "libpq's default");
    }

    #[test]
    fn key_value_form_with_quotes_and_spaces() {
        let (rest, s) = split(
            r"host=db user=u password='a b\'c' sslmode = verify-ca sslrootcert='/my certs/ca.pem' dbname=shop",
        )
        .unwrap();
        assert_eq!(rest, r"host=db user=u password='a b\'c' dbname=shop");
        assert_eq!(s, settings(SslMode::VerifyCa, Some("/my certs/ca.pem")));
        let config: postgres::Config = rest.parse().unwrap();
        assert_eq!(config.get_password(), Some(&b"a b'c"[..]));
    }

    #[test]
    fn what_each_mode_checks() {
        use Verify::*;
        let cases = [
            (SslMode::Disable, None, Nothing),
            (SslMode::Prefer, None, Nothing),
            (SslMode::Require, None, Nothing),
            (SslMode::Require, Some("/ca.pem"), Chain),
            (SslMode::VerifyCa, None, Chain),
            (SslMode::VerifyFull, None, ChainAndHost),
            (SslMode::VerifyFull, Some("/ca.pem"), ChainAndHost),
        ];
        for (mode, root, verify) in cases {
            assert_eq!(settings(mode, root).verify(), verify, "{mode:?} {root:?}");
        }
        assert_eq!(settings(SslMode::VerifyCa, None).roots(), Roots::System);
    }

    #[test]
    fn bad_values_are_refused_with_the_accepted_ones() {
        let err = split("postgresql://u:secret@db/x?sslmode=verify_full").unwrap_err();
        assert!(err.contains("verify-full"), "{err}");
        assert!(!err.contains("secret"));
        assert!(
            split("host=db sslmode=allow")
                .unwrap_err()
                .contains("prefer")
        );
    }

    #[test]
    fn sslrootcert_system_means_verify_full_as_in_libpq() {
        let (_, s) = split("postgresql://u:p@db/x?sslrootcert=system").unwrap();
        assert_eq!(s.mode, SslMode::VerifyFull);
        assert_eq!(s.root_cert, Some(Roots::System));
        let err = split("postgresql://u:p@db/x?sslrootcert=system&sslmode=require").unwrap_err();
        assert!(err.contains("verify-full"), "{err}");
    }

    #[test]
    fn a_missing_ca_file_fails_before_any_network() {
        let Err(err) = connector(&settings(SslMode::VerifyFull, Some("/nonexistent/ca.pem")))
        else {
            panic!("a missing CA file was accepted")
        };
        assert!(err.contains("/nonexistent/ca.pem"), "{err}");
    }
}
