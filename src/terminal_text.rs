/*!
Text on its way to a terminal: control characters escaped.

Everything tasker-app echoes (status lines, errors and their chain, hints,
data on stdout, the wizard's lines) can hold text someone else wrote: an
argument, a manifest, a catalog, a database's error. A raw ESC or BEL in it
would be obeyed by the terminal (retitle the window, clear the screen, hide
or forge lines, ring the bell); escaped, it is shown as what it is.

[`escape`] is the one rule, applied by the one printer (`Shell`) and by the
few places that write to the terminal beside it (clap's usage errors in
`main`, the wizard's own lines):
- kept as they are: newline, tab, and a carriage return right before a
  newline (CRLF text in a diff);
- written as `\uXXXX` (the spelling JSON and JavaScript use, so a JSON
  document stays valid JSON meaning the same text): every other control
  character (C0, DEL, C1) and the bidirectional formatting characters that
  reorder what is displayed (U+061C, U+200E, U+200F, U+202A..U+202E,
  U+2066..U+2069).
*/

use std::borrow::Cow;

/// True for the characters [`escape`] rewrites (newline and tab excepted;
/// the carriage return is decided by what follows it).
fn needs_escape(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        || matches!(c, '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `text` with every control character escaped (see the module docs);
/// borrowed when there is nothing to escape.
pub fn escape(text: &str) -> Cow<'_, str> {
    if !text.chars().any(needs_escape) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\r' && chars.peek() == Some(&'\n') {
            out.push(c);
        } else if needs_escape(c) {
            out.push_str(&format!("\\u{:04x}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_are_shown_not_obeyed() {
        assert_eq!(escape("plain"), "plain");
        assert!(matches!(escape("plain ünï"), Cow::Borrowed(_)));
        assert_eq!(escape("a\u{1b}]0;x\u{7}b"), "a\\u001b]0;x\\u0007b");
        assert_eq!(escape("del\u{7f} csi\u{9b}"), "del\\u007f csi\\u009b");
        assert_eq!(escape("rtl\u{202e}txt"), "rtl\\u202etxt");
        assert_eq!(escape("nul\0"), "nul\\u0000");
    }

    #[test]
    fn lines_tabs_and_crlf_stay() {
        assert_eq!(escape("a\tb\nc\r\nd"), "a\tb\nc\r\nd");
        assert_eq!(escape("over\rwrite"), "over\\u000dwrite");
        assert_eq!(escape("end\r"), "end\\u000d");
    }

    #[test]
    fn an_escaped_json_document_is_the_same_document() {
        let value = serde_json::json!({"name": "a\u{7f}\u{9b}[2J\u{202e}b\u{1b}"});
        let text = serde_json::to_string(&value).unwrap();
        let escaped = escape(&text);
        assert!(!escaped.chars().any(needs_escape));
        let back: serde_json::Value = serde_json::from_str(&escaped).unwrap();
        assert_eq!(back, value);
    }
}
