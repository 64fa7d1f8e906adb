/*!
APP_NAME validation. The name becomes a Cargo package name and a folder name, so
it must be a valid package name and can never reach outside the output folder.
Every refusal says why and offers a name that would be accepted.
*/

use crate::error::CliError;

/// Names Cargo or Rust refuse, or that would shadow something a user relies on.
const RESERVED: &[&str] = &[
    "abstract",
    "alignof",
    "alloc",
    "as",
    "async",
    "await",
    "become",
    "box",
    "break",
    "build",
    "const",
    "continue",
    "core",
    "crate",
    "deps",
    "do",
    "dyn",
    "else",
    "enum",
    "examples",
    "extern",
    "false",
    "final",
    "fn",
    "for",
    "if",
    "impl",
    "in",
    "incremental",
    "let",
    "loop",
    "macro",
    "match",
    "mod",
    "move",
    "mut",
    "offsetof",
    "override",
    "priv",
    "proc",
    "proc_macro",
    "pub",
    "pure",
    "ref",
    "return",
    "self",
    "sizeof",
    "static",
    "std",
    "struct",
    "super",
    "test",
    "trait",
    "true",
    "try",
    "type",
    "typeof",
    "unsafe",
    "unsized",
    "use",
    "virtual",
    "where",
    "while",
    "yield",
];

/// Windows device names: a folder with such a name cannot be created there
/// (the one list: `app_path::is_device_name`).
use crate::app_path::is_device_name;

const MAX_LEN: usize = 64;

/// Checks an APP_NAME; the error is a usage error naming the problem and a fix.
pub fn validate_app_name(name: &str) -> Result<(), CliError> {
    let refuse = |why: String| {
        let mut err = CliError::usage(format!("invalid app name `{name}`: {why}"));
        err.help = Some(match suggest(name) {
            Some(s) => format!(
                "use letters, digits, `-` and `_`, starting with a letter, e.g. `tasker-app build {s}`"
            ),
            None => "use letters, digits, `-` and `_`, starting with a letter, e.g. `tasker-app build my-shop`".into(),
        });
        err
    };
    if name.is_empty() {
        return Err(refuse("the name is empty".into()));
    }
    if name == "." || name == ".." || name.contains("..") {
        return Err(refuse(
            "`..` and `.` would point outside the output folder".into(),
        ));
    }
    if name.contains('/') || name.contains('\\') {
        return Err(refuse(
            "a name cannot contain path separators; choose the parent folder with --output-dir"
                .into(),
        ));
    }
    if name.chars().count() > MAX_LEN {
        return Err(refuse(format!("it is longer than {MAX_LEN} characters")));
    }
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_'))
    {
        let shown = if bad.is_whitespace() {
            "a space".to_string()
        } else {
            format!("`{bad}`")
        };
        return Err(refuse(format!(
            "it contains {shown}; only ASCII letters, digits, `-` and `_` are allowed"
        )));
    }
    let first = name.chars().next().expect("name is not empty");
    if first.is_ascii_digit() {
        return Err(refuse(
            "a Cargo package name cannot start with a digit".into(),
        ));
    }
    if first == '-' || first == '_' {
        return Err(refuse(format!(
            "it starts with `{first}`; start with a letter"
        )));
    }
    let lower = name.to_ascii_lowercase();
    if RESERVED.contains(&lower.as_str()) || RESERVED.contains(&lower.replace('-', "_").as_str()) {
        return Err(refuse("it is a reserved name in Rust or Cargo".into()));
    }
    if is_device_name(&lower) {
        return Err(refuse("it is a reserved device name on Windows".into()));
    }
    if let Some(dep) = dependency_named(name) {
        return Err(refuse(format!(
            "the generated app depends on the crate `{dep}`, and a package cannot share its name with one of its dependencies (its Cargo.lock would fail `--locked`)"
        )));
    }
    Ok(())
}

/// The crate of the generated app's lock (templates/skeleton/Cargo.lock) that
/// `name` would clash with: Cargo treats `-` and `_` alike, and crates.io
/// ignores case.
pub fn dependency_named(name: &str) -> Option<&'static str> {
    let key = |n: &str| n.to_ascii_lowercase().replace('-', "_");
    let wanted = key(name);
    crate::catalog::embedded_app_lock()
        .into_iter()
        .flat_map(crate::lockfile::dependency_names)
        .find(|dep| key(dep) == wanted)
}

/// A nearby valid name (`My Shop` -> `my-shop`, `1shop` -> `app-1shop`), if one exists.
pub fn suggest(name: &str) -> Option<String> {
    let mut out = String::new();
    for c in name.trim().chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if matches!(c, '-' | '_' | ' ' | '.' | '/' | '\\')
            && !out.ends_with('-')
            && !out.is_empty()
        {
            out.push('-');
        }
    }
    let mut out = out.trim_matches('-').to_string();
    if out.is_empty() {
        return None;
    }
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        out = format!("app-{out}");
    }
    out.truncate(MAX_LEN);
    let mut out = out.trim_end_matches('-').to_string();
    if RESERVED.contains(&out.as_str()) || is_device_name(&out) || dependency_named(&out).is_some()
    {
        out = format!("{out}-app");
    }
    (validate_app_name(&out).is_ok()).then_some(out)
}

/// The Rust crate name for a package name.
pub fn crate_name(app_name: &str) -> String {
    app_name.replace('-', "_")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn accepts_ordinary_names() {
        for ok in ["shop", "my-shop", "shop_2", "A1", "orders-v2"] {
            assert!(validate_app_name(ok).is_ok(), "{ok} should be accepted");
        }
    }

    #[test]
    fn refuses_bad_names_with_a_reason() {
        let cases = [
            ("", "empty"),
            ("1shop", "digit"),
            ("..", "outside"),
            ("a/b", "separator"),
            ("a\\b", "separator"),
            ("my shop", "a space"),
            ("self", "reserved"),
            ("test", "reserved"),
            ("-x", "starts with"),
            ("shop!", "`!`"),
            ("nul", "device"),
            ("lpt5", "device"),
            ("com9", "device"),
            ("CON", "device"),
            // Issue 11: names of the app's dependencies broke its Cargo.lock.
            ("tokio", "depends on the crate `tokio`"),
            ("serde", "depends on the crate `serde`"),
            ("tasker-worker", "depends on the crate `tasker-worker`"),
            ("tasker_worker", "depends on the crate `tasker-worker`"),
            ("Tokio", "depends on the crate `tokio`"),
        ];
        for (name, why) in cases {
            let err = validate_app_name(name).expect_err(name);
            assert!(err.message.contains(why), "{name}: {}", err.message);
            assert!(err.help.is_some());
        }
    }

    /// Every package of the embedded lock is refused, so none is hand-written.
    #[test]
    fn every_dependency_of_the_app_is_refused() {
        let lock = crate::catalog::embedded_app_lock().unwrap();
        let deps: Vec<&str> = crate::lockfile::dependency_names(lock).collect();
        assert!(deps.len() > 100, "{}", deps.len());
        for dep in deps {
            assert!(validate_app_name(dep).is_err(), "{dep} was accepted");
        }
    }

    #[test]
    fn suggests_a_valid_name() {
        assert_eq!(suggest("My Shop").as_deref(), Some("my-shop"));
        assert_eq!(suggest("1shop").as_deref(), Some("app-1shop"));
        assert_eq!(suggest("self").as_deref(), Some("self-app"));
        assert_eq!(suggest("../x").as_deref(), Some("x"));
        assert_eq!(suggest("///"), None);
        assert_eq!(suggest("tokio").as_deref(), Some("tokio-app"));
    }

    proptest! {
        #[test]
        fn accepted_names_are_single_safe_path_components(name in "\\PC{0,80}") {
            if validate_app_name(&name).is_ok() {
                let path = std::path::Path::new(&name);
                prop_assert_eq!(path.components().count(), 1);
                prop_assert!(matches!(path.components().next(), Some(std::path::Component::Normal(_))));
                prop_assert!(name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
            }
        }

        #[test]
        fn every_suggestion_is_accepted(name in "\\PC{0,80}") {
            if let Some(s) = suggest(&name) {
                prop_assert!(validate_app_name(&s).is_ok(), "{} -> {}", name, s);
            }
        }

        #[test]
        fn valid_looking_names_are_accepted(name in "[a-z][a-z0-9_-]{0,30}[a-z0-9]") {
            let reserved = RESERVED.contains(&name.as_str()) || RESERVED.contains(&name.replace('-', "_").as_str()) || is_device_name(&name) || dependency_named(&name).is_some();
            prop_assert_eq!(validate_app_name(&name).is_ok(), !reserved);
        }
    }
}
