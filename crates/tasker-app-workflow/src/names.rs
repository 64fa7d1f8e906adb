//! The names a workflow gives the app's code: a namespace and a step become
//! Rust modules and types, a handler's `callable` is `namespace.step`. One
//! rule for all of them, so a name `generate` accepts always compiles.

/// Rust keywords (strict and reserved, 2024 edition): not a module name.
const KEYWORDS: &[&str] = &[
    "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern",
    "false", "fn", "for", "gen", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut",
    "pub", "ref", "return", "self", "static", "struct", "super", "trait", "true", "type", "unsafe",
    "use", "where", "while", "abstract", "become", "box", "do", "final", "macro", "override",
    "priv", "try", "typeof", "unsized", "virtual", "yield", "union",
];

/// Names a step file imports (`tasker_app_runtime::prelude::*` and serde):
/// a step named after one would not compile.
const TAKEN_TYPES: &[&str] = &[
    "Step",
    "StepInput",
    "StepResult",
    "StepError",
    "AppContext",
    "ApiClient",
    "ApiError",
    "Serialize",
    "Deserialize",
    "Registry",
    "Value",
    "Option",
    "Result",
    "Some",
    "None",
    "Ok",
    "Err",
    "String",
    "Vec",
    "Box",
];

pub const MAX_LEN: usize = 48;

/// Why `name` cannot be a namespace, a task name or a step name, if so.
/// Accepted: lower-case ASCII letters, digits and `_`, starting with a
/// letter, not ending in `_`, no `__`, at most [`MAX_LEN`], not a Rust keyword,
/// and (for a step) a type name that a step file does not already use.
pub fn refuse_identifier(name: &str, what: &str) -> Option<String> {
    let shown = name.escape_debug();
    if name.is_empty() {
        return Some(format!("the {what} name is empty"));
    }
    if name.len() > MAX_LEN {
        return Some(format!(
            "the {what} name `{shown}` is longer than {MAX_LEN} characters"
        ));
    }
    if !name.starts_with(|c: char| c.is_ascii_lowercase()) {
        return Some(format!(
            "the {what} name `{shown}` must start with a lower-case letter"
        ));
    }
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_'))
    {
        return Some(format!(
            "the {what} name `{shown}` holds `{}`; use lower-case letters, digits and `_` (snake_case)",
            bad.escape_debug()
        ));
    }
    if name.ends_with('_') || name.contains("__") {
        return Some(format!(
            "the {what} name `{shown}` has a `_` at its end or two in a row"
        ));
    }
    if KEYWORDS.contains(&name) {
        return Some(format!("the {what} name `{shown}` is a Rust keyword"));
    }
    if what == "step" && TAKEN_TYPES.contains(&type_name(name).as_str()) {
        return Some(format!(
            "the step name `{shown}` would make the type `{}`, which a step file already uses",
            type_name(name)
        ));
    }
    None
}

/// `check_inventory` -> `CheckInventory`: the handler's type.
pub fn type_name(step: &str) -> String {
    step.split('_')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let mut c = p.chars();
            match c.next() {
                Some(first) => first.to_ascii_uppercase().to_string() + c.as_str(),
                None => String::new(),
            }
        })
        .collect()
}

/// `namespace.step`: a handler's `callable` and its `Step::NAME`.
pub fn callable(namespace: &str, step: &str) -> String {
    format!("{namespace}.{step}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers() {
        for ok in ["fetch", "price2", "audit_log", "a"] {
            assert_eq!(refuse_identifier(ok, "step"), None, "{ok}");
        }
        for bad in [
            "",
            "Fetch",
            "1x",
            "a-b",
            "a b",
            "fn",
            "self",
            "x_",
            "a__b",
            "step",
            "value",
            "é",
            &"a".repeat(49),
        ] {
            assert!(refuse_identifier(bad, "step").is_some(), "{bad:?}");
        }
        assert_eq!(type_name("check_inventory"), "CheckInventory");
        assert_eq!(type_name("x2_y"), "X2Y");
    }
}
