/*!
A one-line prompt for a value that may hold a password (the database URL, the
API base URL): what is typed reaches the screen only in its masked form, key by
key. So no password is ever drawn, and nothing has to be wiped afterwards:
not after Ctrl-C or Esc, not after an error, not after the answer is accepted,
and not from the scrollback when a long answer would have wrapped.

dialoguer's `Input` echoes every key as typed and `Password` shows nothing at
all (no way to check a URL you cannot see); neither it nor console offers an
echo filter, hence this small editor on console's raw key reads. Editing is at
the end of the line (Backspace, Ctrl-U clears, Ctrl-W deletes a word): with a
masked echo, a cursor inside the text would point at characters not shown.
The line never wraps: when the answer is wider than the terminal, its end is
shown after `…`.
*/

use console::{Key, Term};
use dialoguer::theme::Theme;
use std::io;
use tasker_app_db::redact::{MASK, after_scheme, redact};

/// How a prompt ended without an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Abandoned {
    CtrlC,
    Escape,
}

/// `typed` as it may be shown while it is still being typed. On top of
/// [`redact`] (a complete URL or key=value string), everything after the first
/// `:` of a URL's authority is hidden until an `@` is typed: until then
/// `postgresql://app:secr` cannot be told from `postgresql://host:5432`, so it
/// is taken to be a password. The same for a value without a scheme that looks
/// like `user:password@host` (neither a URL nor key=value).
pub fn mask_partial(typed: &str) -> String {
    let shown = redact(typed);
    let start = match after_scheme(&shown) {
        Some(start) => start,
        None if !shown.contains('=') => 0,
        None => return shown,
    };
    let rest = &shown[start..];
    match (colon_of(rest), rest.rfind('@')) {
        // No `@` yet: what follows the `:` may be a password.
        (Some(colon), None) => format!("{}{MASK}", &shown[..start + colon + 1]),
        // Without a scheme, redact knows no user part: hide it here.
        (Some(colon), Some(at)) if start == 0 && colon < at => {
            format!("{}{MASK}{}", &shown[..colon + 1], &shown[at..])
        }
        _ => shown,
    }
}

/// `value` as it may stay on screen once accepted: a complete URL is redacted,
/// its port shown when it is one (digits); anything else as while typing.
pub fn mask_final(value: &str) -> String {
    let shown = redact(value);
    let Some(start) = after_scheme(&shown) else {
        return mask_partial(value);
    };
    let rest = &shown[start..];
    if rest.contains('@') {
        return shown;
    }
    match colon_of(rest) {
        Some(colon) => {
            let port = rest[colon + 1..].split(['/', '?']).next().unwrap_or("");
            if port.chars().all(|c| c.is_ascii_digit()) {
                shown
            } else {
                format!("{}{MASK}", &shown[..start + colon + 1])
            }
        }
        None => shown,
    }
}

/// The first `:` of a URL's authority that can start a password or a port
/// (an IPv6 host's own colons, inside `[...]`, cannot).
fn colon_of(rest: &str) -> Option<usize> {
    if rest.starts_with('[') {
        let close = rest.find(']')?;
        rest[close..].find(':').map(|i| close + i)
    } else {
        rest.find(':')
    }
}

/// Asks `prompt` (with `[hint]` when given) and returns what was typed, or
/// how it was abandoned. The prompt line is cleared when it returns, so the
/// caller writes the answer's masked form (or nothing) in its place.
pub fn ask(
    term: &Term,
    theme: &dyn Theme,
    prompt: &str,
    hint: Option<&str>,
) -> io::Result<Result<String, Abandoned>> {
    if !term.is_term() {
        return Err(io::Error::other("the masked prompt needs a terminal"));
    }
    let mut head = String::new();
    theme
        .format_input_prompt(&mut head, prompt, hint)
        .map_err(io::Error::other)?;
    let mut typed = String::new();
    loop {
        draw(term, &head, &typed)?;
        // `raw`: Ctrl-C comes back as a key instead of killing the process
        // with the terminal half-drawn.
        match term.read_key_raw()? {
            Key::Enter => {
                term.clear_line()?;
                return Ok(Ok(typed));
            }
            Key::CtrlC => {
                term.clear_line()?;
                return Ok(Err(Abandoned::CtrlC));
            }
            Key::Escape => {
                term.clear_line()?;
                return Ok(Err(Abandoned::Escape));
            }
            Key::Backspace => {
                typed.pop();
            }
            Key::Char('\u{15}') => typed.clear(), // Ctrl-U
            Key::Char('\u{17}') => {
                // Ctrl-W: trailing spaces, then the word before them.
                let kept = typed.trim_end().len();
                typed.truncate(kept);
                let word_start = typed
                    .rfind([' ', '/', ':', '@', '?', '&'])
                    .map_or(0, |i| i + 1);
                typed.truncate(word_start);
            }
            Key::Char(c) if !c.is_control() => typed.push(c),
            _ => {} // arrows, Tab, other control keys: nothing to do
        }
    }
}

/// Redraws the prompt line: the prompt, then the masked answer, cut at its
/// start to fit on one line.
fn draw(term: &Term, head: &str, typed: &str) -> io::Result<()> {
    let width = usize::from(term.size().1).max(20);
    let head = console::truncate_str(head, width / 2, "…");
    let shown = crate::terminal_text::escape(&mask_partial(typed)).into_owned();
    let room = width - 1 - console::measure_text_width(&head);
    let line = if console::measure_text_width(&shown) <= room {
        format!("{head}{shown}")
    } else {
        let mut tail: Vec<char> = Vec::new();
        let mut used = 1; // the `…`
        for c in shown.chars().rev() {
            used += console::measure_text_width(c.encode_utf8(&mut [0; 4]));
            if used > room {
                break;
            }
            tail.push(c);
        }
        format!("{head}…{}", tail.iter().rev().collect::<String>())
    };
    term.clear_line()?;
    term.write_str(&line)?;
    term.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_is_hidden_at_every_length_typed() {
        const PW: &str = "S3cretPw";
        for full in [
            "postgresql://app:S3cretPw@db.example.com:5432/shop",
            "postgres://app:S3cretPw@[::1]/shop?sslmode=require",
            "postgresql://app:S3cretPw/with/slash@db/shop",
            "postgresql://db/shop?sslmode=require&password=S3cretPw",
            "host=db user=app password=S3cretPw dbname=shop",
            "host=db password = 'S3cretPw x' dbname=shop",
            "app:S3cretPw@db/shop",
            "https://user:S3cretPw@api.example.com/v1",
        ] {
            let mut typed = String::new();
            for c in full.chars() {
                typed.push(c);
                for shown in [mask_partial(&typed), mask_final(&typed)] {
                    // No piece of the password (3 characters or more).
                    for len in 3..=PW.len() {
                        for piece in PW.as_bytes().windows(len) {
                            let piece = std::str::from_utf8(piece).unwrap();
                            assert!(!shown.contains(piece), "`{typed}` is shown as `{shown}`");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn what_holds_no_password_is_shown() {
        let partial = |s| mask_partial(s);
        assert_eq!(
            partial("postgresql://localhost/shop"),
            "postgresql://localhost/shop"
        );
        assert_eq!(
            partial("postgresql://localhost:5432"),
            "postgresql://localhost:****"
        );
        assert_eq!(partial("postgres://[::1]/shop"), "postgres://[::1]/shop");
        assert_eq!(partial("none"), "none");
        assert_eq!(partial("https://dummyjson.com"), "https://dummyjson.com");
        for shown in [
            "postgresql://localhost:5432/shop",
            "postgres://[::1]:5432/shop?sslmode=require",
            "postgresql://app:****@db/shop",
            "http://127.0.0.1:3001",
        ] {
            assert_eq!(mask_final(shown), shown);
        }
        assert_eq!(
            mask_final("postgresql://app:pw@db/shop"),
            "postgresql://app:****@db/shop"
        );
    }
}
