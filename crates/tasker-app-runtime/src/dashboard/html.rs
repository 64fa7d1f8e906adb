//! HTML by hand: one escaping function for text and attribute values, the
//! page frame, and small helpers. No template engine: none is in the
//! engine's dependency tree, the pages are few, and every interpolated value
//! goes through [`esc`] (or [`json_pretty`], which escapes too), so the one
//! rule to review is here and tested below.

use std::fmt::Write as _;

use chrono::NaiveDateTime;
use serde_json::Value;

/// `text` safe inside an HTML element or a double- or single-quoted attribute.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Control characters (other than tab and newline) are shown, not sent.
            c if c.is_control() && c != '\n' && c != '\t' => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

/// A query-string component (`a b&c` -> `a%20b%26c`).
pub fn url_component(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~/".contains(&b) {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// Pretty JSON, escaped for a `<pre>`.
pub fn json_pretty(value: &Value) -> String {
    esc(&serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string()))
}

/// A timestamp as the engine stores it (UTC), to the millisecond.
pub fn time(at: &NaiveDateTime) -> String {
    at.format("%Y-%m-%d %H:%M:%S%.3f").to_string()
}

/// Milliseconds as people read them: `840 ms`, `2.4 s`, `3 min 5 s`.
pub fn duration_ms(ms: f64) -> String {
    if !ms.is_finite() || ms < 0.0 {
        return "-".to_string();
    }
    if ms < 1000.0 {
        format!("{ms:.0} ms")
    } else if ms < 60_000.0 {
        format!("{:.1} s", ms / 1000.0)
    } else {
        let s = (ms / 1000.0).round() as u64;
        format!("{} min {} s", s / 60, s % 60)
    }
}

/// The CSS class of a task or step state (colours in [`super::assets::CSS`]).
pub fn state_class(state: &str) -> &'static str {
    match state {
        "complete" | "resolved_manually" => "ok",
        "error" | "blocked_by_failures" | "cancelled" => "bad",
        "waiting_for_retry" | "enqueued_as_error_for_orchestration" => "retry",
        "in_progress"
        | "enqueued"
        | "enqueued_for_orchestration"
        | "steps_in_process"
        | "initializing"
        | "enqueuing_steps"
        | "evaluating_results" => "busy",
        _ => "idle",
    }
}

/// A state as a coloured badge.
pub fn badge(state: &str) -> String {
    format!(
        "<span class=\"badge {}\" data-state=\"{}\">{}</span>",
        state_class(state),
        esc(state),
        esc(state)
    )
}

/// A task id as the lists show it: its start (a UUIDv7's start is its
/// time, alike for runs of one minute) and its end.
pub fn short_id(id: &uuid::Uuid) -> String {
    let id = id.to_string();
    format!("{}…{}", &id[..8], &id[id.len() - 6..])
}

/// Which page of the navigation is the current one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nav {
    Runs,
    Start,
    Health,
}

/// A whole page: `<head>` with the inline CSS, the navigation, `body`, and
/// the inline script. `app` is the app's name.
pub fn page(app: &str, title: &str, nav: Nav, body: &str) -> String {
    let link = |href: &str, label: &str, this: Nav| {
        let current = if nav == this {
            " aria-current=\"page\""
        } else {
            ""
        };
        format!("<a href=\"{href}\"{current}>{label}</a>")
    };
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title} · {app}</title><style>{css}</style></head>\
         <body><header><strong class=\"app\">{app}</strong><nav>{runs}{start}{health}</nav></header>\
         <main>{body}</main><script>{js}</script></body></html>\n",
        title = esc(title),
        app = esc(app),
        css = super::assets::CSS,
        js = super::assets::JS,
        runs = link("/", "Runs", Nav::Runs),
        start = link("/new", "Start a run", Nav::Start),
        health = link("/health", "Health", Nav::Health),
    )
}

/// A notice at the top of a page (`ok` or `bad`), e.g. what an action did.
pub fn notice(kind: &str, text: &str) -> String {
    format!(
        "<p class=\"notice {}\" role=\"status\">{}</p>",
        esc(kind),
        esc(text)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_and_quotes_are_escaped() {
        assert_eq!(
            esc("<script>alert('x')</script> & \"y\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;y&quot;"
        );
        assert_eq!(esc("plain text, é ✓"), "plain text, é ✓");
        assert_eq!(esc("a\u{1b}[31m"), "a\\u{1b}[31m");
    }

    #[test]
    fn json_is_escaped_inside_pre() {
        let v = serde_json::json!({"x": "</pre><script>"});
        let out = json_pretty(&v);
        assert!(
            !out.contains("</pre>") && out.contains("&lt;/pre&gt;"),
            "{out}"
        );
    }

    #[test]
    fn url_components_are_percent_encoded() {
        assert_eq!(url_component("a b&c=d"), "a%20b%26c%3Dd");
        assert_eq!(
            url_component("ecommerce/order_processing"),
            "ecommerce/order_processing"
        );
        assert_eq!(url_component("\"><"), "%22%3E%3C");
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(duration_ms(840.0), "840 ms");
        assert_eq!(duration_ms(2400.0), "2.4 s");
        assert_eq!(duration_ms(185_000.0), "3 min 5 s");
        assert_eq!(duration_ms(f64::NAN), "-");
    }

    #[test]
    fn the_page_frame_escapes_its_title_and_marks_the_current_page() {
        let html = page("shop", "<b>", Nav::Health, "<p>body</p>");
        assert!(html.contains("<title>&lt;b&gt; · shop</title>"));
        assert!(html.contains("<a href=\"/health\" aria-current=\"page\">Health</a>"));
        assert!(
            !html.contains("http://") && !html.contains("https://"),
            "no external asset"
        );
    }
}
