/*!
Database URLs as users see them in messages: never with the password. Every
message tasker-app prints about a database goes through [`redact`], and every
error text from the driver goes through [`scrub`], so a password cannot leak
even if a library echoes it.
*/

/// `postgresql://user:secret@host/db` -> `postgresql://user:****@host/db`.
/// Also hides `password=...` in key=value strings and in the query part.
pub fn redact(url: &str) -> String {
    let mut out = url.to_string();
    if let Some(scheme_end) = out.find("://") {
        let rest_start = scheme_end + 3;
        let authority_end = out[rest_start..]
            .find(['/', '?'])
            .map_or(out.len(), |i| rest_start + i);
        if let Some(at) = out[rest_start..authority_end].rfind('@') {
            let userinfo = &out[rest_start..rest_start + at];
            if let Some(colon) = userinfo.find(':') {
                let start = rest_start + colon + 1;
                out.replace_range(start..rest_start + at, "****");
            }
        }
    }
    hide_password_params(&out)
}

/// Replaces the value of every `password=` parameter (query string or
/// key=value form) with `****`.
fn hide_password_params(text: &str) -> String {
    let lower = text.to_ascii_lowercase();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while let Some(pos) = lower[i..].find("password=") {
        let value_start = i + pos + "password=".len();
        out.push_str(&text[i..value_start]);
        let quoted = text[value_start..].starts_with('\'');
        let value_end = if quoted {
            text[value_start + 1..]
                .find('\'')
                .map_or(text.len(), |e| value_start + 1 + e + 1)
        } else {
            text[value_start..]
                .find(['&', ' ', '\n'])
                .map_or(text.len(), |e| value_start + e)
        };
        out.push_str("****");
        i = value_end;
    }
    out.push_str(&text[i..]);
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

/// Removes every occurrence of the password (raw and as written in the URL)
/// from a message, then redacts URLs in it.
pub fn scrub(message: &str, url: &str) -> String {
    let mut out = message.to_string();
    if let Some(pw) = password_of(url) {
        if pw.len() >= 3 {
            out = out.replace(&pw, "****");
        }
    }
    if let Some(raw) = raw_password(url) {
        if raw.len() >= 3 {
            out = out.replace(&raw, "****");
        }
    }
    out = out.replace(url, &redact(url));
    out
}

fn raw_password(url: &str) -> Option<String> {
    let rest = &url[url.find("://")? + 3..];
    let authority = &rest[..rest.find(['/', '?']).unwrap_or(rest.len())];
    let userinfo = &authority[..authority.rfind('@')?];
    Some(userinfo[userinfo.find(':')? + 1..].to_string())
}

/// `host:port/dbname as user`, for messages ("cannot reach 127.0.0.1:5432/app as postgres").
pub fn describe(url: &str) -> String {
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
    format!("{host}:{port}/{db} as {user}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hides_the_password_in_every_form() {
        assert_eq!(
            redact("postgresql://app:s3cr%40t@db:5432/shop"),
            "postgresql://app:****@db:5432/shop"
        );
        assert_eq!(
            redact("postgresql://app@db/shop"),
            "postgresql://app@db/shop"
        );
        assert_eq!(
            redact("postgresql://db/shop?user=a&password=x&sslmode=disable"),
            "postgresql://db/shop?user=a&password=****&sslmode=disable"
        );
        assert_eq!(
            redact("host=db password='a b' user=x"),
            "host=db password=**** user=x"
        );
    }

    #[test]
    fn scrub_removes_the_decoded_password_too() {
        let url = "postgresql://app:s3cr%40t@db/shop";
        let msg = format!("failed: {url} with s3cr@t");
        let out = scrub(&msg, url);
        assert!(!out.contains("s3cr"), "{out}");
    }

    #[test]
    fn describe_names_host_port_db_and_user() {
        assert_eq!(
            describe("postgresql://app:pw@db:6543/shop"),
            "db:6543/shop as app"
        );
    }
}
