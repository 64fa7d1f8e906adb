/*!
Database URLs without their passwords, for messages: the one rule the
tasker-app CLI and every generated app's runtime both follow (no password on
screen). Pure text work, no driver.

PostgreSQL accepts two forms, and both carry passwords in several places:
- URLs (`postgres://` or `postgresql://`): `user:PASSWORD@host`, and the query
  parameter `?password=PASSWORD` (its name may be percent-encoded);
- key=value strings: `password=PASSWORD`, `password = PASSWORD`, quoted
  `password='it''s \' here'`, unquoted with backslash escapes.
*/

/// What a hidden password is shown as.
pub const MASK: &str = "****";

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
pub fn userinfo_end(rest: &str) -> Option<Option<usize>> {
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

pub fn percent_decode(s: &str) -> String {
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
pub fn raw_password(url: &str) -> Option<String> {
    let rest = &url[after_scheme(url)?..];
    let userinfo = &rest[..rest.rfind('@')?];
    Some(userinfo[userinfo.find(':')? + 1..].to_string())
}
