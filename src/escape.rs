/*!
Escaping each value for the file it lands in. Every `{{ value }}` in
templates/ ends in one of these Tera filters (a unit test enforces it), so a
value can never change the structure of the file around it: no code injected
into `src/main.rs`, no broken README, TOML or YAML.

| filter      | for                                                  |
|-------------|------------------------------------------------------|
| `rust_str`  | inside a Rust `"..."` literal                        |
| `toml_str`  | inside a TOML basic string `"..."`                   |
| `yaml_str`  | inside a YAML double-quoted scalar `"..."`           |
| `md_text`   | Markdown prose (headings, paragraphs)                |
| `md_code`   | inside a Markdown code span `` `...` `` (also in tables) |
| `env_word`  | a bare word in a dotenv / shell file                 |
| `one_line`  | comments and code blocks: one line, nothing else     |

Where no faithful escape exists (a backtick in a code span, a newline in a
comment, a space in a bare word) rendering fails with a message instead of
writing a damaged file; the values tasker-app accepts never reach that point.
*/

use std::collections::HashMap;
use tera::{Result, Value};

/// Names of the filters, for the template check.
pub const FILTERS: [&str; 7] = [
    "rust_str", "toml_str", "yaml_str", "md_text", "md_code", "env_word", "one_line",
];

/// Registers every filter of this module.
pub fn register(tera: &mut tera::Tera) {
    tera.register_filter("rust_str", filter(rust_str));
    tera.register_filter("toml_str", filter(json_escaped));
    tera.register_filter("yaml_str", filter(json_escaped));
    tera.register_filter("md_text", filter(md_text));
    tera.register_filter("md_code", filter(md_code));
    tera.register_filter("env_word", filter(env_word));
    tera.register_filter("one_line", filter(one_line));
}

type Escape = fn(&str) -> std::result::Result<String, String>;

fn filter(escape: Escape) -> impl tera::Filter {
    move |value: &Value, _: &HashMap<String, Value>| -> Result<Value> {
        let text = match value {
            Value::String(s) => s.clone(),
            Value::Number(_) | Value::Bool(_) => value.to_string(),
            other => {
                return Err(tera::Error::msg(format!(
                    "cannot escape {other}: not a string"
                )));
            }
        };
        escape(&text).map(Value::String).map_err(tera::Error::msg)
    }
}

/// Rust string literal contents: `"` -> `\"`, `\` -> `\\`, controls as `\u{..}`.
pub fn rust_str(s: &str) -> std::result::Result<String, String> {
    Ok(s.chars().flat_map(char::escape_default).collect::<String>())
}

/// TOML basic strings and YAML double-quoted scalars take JSON's escapes.
pub fn json_escaped(s: &str) -> std::result::Result<String, String> {
    let quoted = serde_json::to_string(s).map_err(|e| e.to_string())?;
    Ok(quoted[1..quoted.len() - 1].to_string())
}

/// Markdown prose: every character with a meaning in Markdown gets a backslash.
pub fn md_text(s: &str) -> std::result::Result<String, String> {
    let s = one_line(s)?;
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if "\\`*_{}[]()<>#+!|~&".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    Ok(out)
}

/// Inside a code span: no backtick can be escaped there, so one is refused;
/// `|` is escaped for tables.
pub fn md_code(s: &str) -> std::result::Result<String, String> {
    let s = one_line(s)?;
    if s.contains('`') {
        return Err(format!(
            "`{s}` contains a backtick and cannot go in a Markdown code span"
        ));
    }
    Ok(s.replace('|', "\\|"))
}

/// A bare word: only characters no dotenv or shell parser treats specially.
pub fn env_word(s: &str) -> std::result::Result<String, String> {
    let ok = |c: char| c.is_ascii_alphanumeric() || "_-./:@%+,=~[]".contains(c);
    match s.chars().find(|c| !ok(*c)) {
        None => Ok(s.to_string()),
        Some(c) => Err(format!(
            "`{s}` contains {c:?} and cannot be written as a bare word"
        )),
    }
}

/// One line without control characters (comments, code blocks).
pub fn one_line(s: &str) -> std::result::Result<String, String> {
    match s.chars().find(|c| c.is_control()) {
        None => Ok(s.to_string()),
        Some(c) => Err(format!("{s:?} contains the control character {c:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_escape_keeps_the_value_inside_its_quotes() {
        assert_eq!(rust_str(r#"a"b\c"#).unwrap(), r#"a\"b\\c"#);
        assert_eq!(rust_str("x\ny").unwrap(), "x\\ny");
        assert_eq!(json_escaped(r#"a"b\c"#).unwrap(), r#"a\"b\\c"#);
        assert_eq!(md_text("a*b_[c]").unwrap(), r"a\*b\_\[c\]");
        assert_eq!(md_code("a|b").unwrap(), r"a\|b");
        assert!(md_code("a`b").is_err());
        assert!(env_word("a b").is_err());
        assert!(env_word("a'b").is_err());
        assert_eq!(env_word("shop_1").unwrap(), "shop_1");
        assert!(one_line("a\nb").is_err());
    }

    #[test]
    fn rust_escapes_parse_back_to_the_value() {
        // The escaped text inside quotes is a TOML string too (same escapes
        // for these characters), which lets the test read it back.
        for v in [
            "plain",
            r#"q"uote"#,
            r"back\slash",
            "new\nline",
            "tab\t",
            "ünï",
        ] {
            let lit = format!("v = \"{}\"", json_escaped(v).unwrap());
            let doc: toml::Table = lit.parse().unwrap();
            assert_eq!(doc["v"].as_str(), Some(v));
        }
    }

    /// Every `{{ ... }}` in templates/ ends in one of [`FILTERS`].
    #[test]
    fn every_template_value_is_escaped_for_its_file() {
        let catalog = crate::catalog::load().unwrap();
        let mut dirs = vec![catalog.skeleton];
        dirs.extend(catalog.workflows.iter().map(|w| w.files));
        for dir in dirs {
            for file in crate::render::walk(dir) {
                let path = file.path().display().to_string();
                if !path.ends_with(crate::render::TERA_SUFFIX) {
                    continue;
                }
                let text = file.contents_utf8().unwrap();
                for (i, _) in text.match_indices("{{") {
                    let end = text[i..].find("}}").map(|e| i + e).unwrap();
                    let expr = &text[i + 2..end];
                    let last = expr.rsplit('|').next().unwrap().trim();
                    assert!(
                        expr.contains('|') && FILTERS.contains(&last),
                        "{path}: `{{{{{expr}}}}}` must end in one of {FILTERS:?}"
                    );
                }
            }
        }
    }
}
