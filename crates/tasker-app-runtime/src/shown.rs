//! What the app prints of what it was given: no password of any URL and no
//! control character reaches the terminal.
//!
//! - URLs the app formats itself are shown through [`url`] (the one redaction
//!   of `tasker_app_db::redact`, shared with the tasker-app CLI: `user:****@`,
//!   `?password=****`).
//! - Every error the app prints goes through [`error`]: it also hides the
//!   password of every URL the process was given (its arguments, and
//!   `DATABASE_URL`, `API_BASE_URL`, `TASKER_ORCHESTRATION_URL`) wherever it
//!   appears, so a third-party message that repeats a URL (an HTTP client's,
//!   a driver's) cannot leak one either, percent-encoded or not.
//! - Values echoed from arguments ([`value`]) and whole messages
//!   ([`message`]) have their control characters escaped (`ESC` as
//!   `\u001b`, the CLI's rule): an argument cannot recolour, retitle or
//!   clear the terminal.

use std::sync::OnceLock;

use tasker_app_db::redact::{hide_secret, raw_password, redact};

/// Environment variables that hold URLs the app connects to.
const URL_VARIABLES: [&str; 3] = ["DATABASE_URL", "API_BASE_URL", "TASKER_ORCHESTRATION_URL"];

/// Passwords of the URLs this process was given, set once at start.
static SECRETS: OnceLock<Vec<String>> = OnceLock::new();

/// Records the passwords of every URL in `args` and in the URL variables, for
/// [`error`]. Called by `App::main` before anything is printed.
pub fn remember_secrets(args: impl IntoIterator<Item = String>) {
    let env = URL_VARIABLES
        .iter()
        .filter_map(|name| std::env::var(name).ok());
    let _ = SECRETS.set(secrets_of(args.into_iter().chain(env)));
}

/// The passwords of the URLs among `values` (also `--flag=URL`), raw and as a
/// URL parser writes them back (percent-encoded).
pub fn secrets_of(values: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut out = Vec::new();
    for value in values {
        let url = match value.split_once('=') {
            Some((flag, url)) if flag.starts_with("--") => url.to_string(),
            _ => value,
        };
        let Some(password) = raw_password(&url).filter(|p| !p.is_empty()) else {
            continue;
        };
        if let Some(encoded) = reqwest::Url::parse(&url)
            .ok()
            .and_then(|u| u.password().map(str::to_string))
        {
            out.push(encoded);
        }
        out.push(tasker_app_db::redact::percent_decode(&password));
        out.push(password);
    }
    // Longest first: a password that contains another is hidden whole.
    out.sort_by_key(|s| std::cmp::Reverse(s.len()));
    out.dedup();
    out
}

/// A URL for a message: password hidden, control characters escaped.
pub fn url(url: &str) -> String {
    value(&redact(url))
}

/// An error as printed (`{:#}`): passwords of known URLs hidden, control
/// characters escaped (line breaks kept).
pub fn error(error: &anyhow::Error) -> String {
    text(&format!("{error:#}"))
}

/// Any text from elsewhere (a third party's error): passwords of known URLs
/// hidden, control characters escaped (line breaks kept).
pub fn text(text: &str) -> String {
    let mut text = text.to_string();
    for secret in SECRETS.get().map(Vec::as_slice).unwrap_or_default() {
        text = hide_secret(&text, secret);
    }
    message(&text)
}

/// One value echoed from input: every control character escaped, line
/// breaks included (a value is one line).
pub fn value(text: &str) -> String {
    escape(text, false)
}

/// A message: control characters escaped, but its own line breaks, tabs
/// and CRLFs kept.
pub fn message(text: &str) -> String {
    escape(text, true)
}

/// The rule of the tasker-app CLI's `terminal_text::escape`, so the CLI and
/// the app show one text the same way: every control character (C0, DEL,
/// C1) and the bidirectional formatting characters that reorder what is
/// displayed are written as `\uXXXX` (JSON's spelling: an escaped JSON
/// document stays the same document).
fn escape(text: &str, keep_lines: bool) -> String {
    let needs = |c: char| {
        (c.is_control() && !(keep_lines && (c == '\n' || c == '\t')))
            || matches!(c, '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    };
    if !text.chars().any(needs) {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len() + 16);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if keep_lines && c == '\r' && chars.peek() == Some(&'\n') {
            out.push(c);
        } else if needs(c) {
            out.push_str(&format!("\\u{:04x}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_escaped_c0_del_and_c1() {
        assert_eq!(value("a\x1b[2Jb\x07"), "a\\u001b[2Jb\\u0007");
        assert_eq!(value("x\u{9b}31m\u{7f}"), "x\\u009b31m\\u007f");
        assert_eq!(value("one\ntwo"), "one\\u000atwo");
        assert_eq!(value("rtl\u{202e}txt"), "rtl\\u202etxt");
        assert_eq!(
            message("one\n\ttwo\r\n\x1b\r"),
            "one\n\ttwo\r\n\\u001b\\u000d"
        );
        assert_eq!(value("plain ünïcode"), "plain ünïcode");
    }

    #[test]
    fn the_passwords_of_given_urls_are_found_raw_and_encoded() {
        let found = secrets_of([
            "run".to_string(),
            "--orchestration-url=http://ops:pa%40ss w@h:1".to_string(),
            "postgresql://app:s3cret@db/shop".to_string(),
            "http://no-password@h".to_string(),
        ]);
        assert!(found.contains(&"pa%40ss w".to_string()), "{found:?}");
        assert!(found.contains(&"pa@ss w".to_string()), "{found:?}");
        assert!(found.contains(&"s3cret".to_string()), "{found:?}");
        assert!(found.iter().any(|s| s.contains("%20")), "{found:?}");
        assert_eq!(
            found.iter().filter(|s| s.contains("no-password")).count(),
            0
        );
    }

    #[test]
    fn a_url_is_shown_without_its_password_or_controls() {
        assert_eq!(
            url("http://user:hunter2@orch:8080/x\x1b"),
            "http://user:****@orch:8080/x\\u001b"
        );
    }
}
