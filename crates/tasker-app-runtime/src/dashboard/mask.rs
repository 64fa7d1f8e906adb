//! What a page may show of a task's data. A context (or a step's result)
//! can carry credentials the owner passed to a workflow: the values of keys
//! that look like passwords, tokens, secrets or keys are replaced, at any
//! depth, and every string goes through [`crate::shown::text`], which hides
//! the password of every URL this process was given (`DATABASE_URL`...), and
//! through `tasker_app_db::redact` for any other URL carrying one.

use serde_json::{Map, Value};

/// What a masked value is shown as.
pub const MASK: &str = "••••••";

/// Parts of a key name (lower case, `-`/`.` as `_`) that mark its value secret.
const SECRET_WORDS: [&str; 12] = [
    "password",
    "passwd",
    "pwd",
    "secret",
    "token",
    "apikey",
    "api_key",
    "private_key",
    "credential",
    "authorization",
    "cookie",
    "session",
];

/// Whether a value under `key` is not to be shown.
pub fn is_secret_key(key: &str) -> bool {
    let key = key.to_ascii_lowercase().replace(['-', '.', ' '], "_");
    SECRET_WORDS.iter().any(|word| key.contains(word))
        || key == "auth"
        || key.ends_with("_key") && !key.ends_with("idempotency_key")
}

/// `value` with every secret masked (see the module's comment).
pub fn masked(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut out = Map::new();
            for (key, v) in map {
                let shown = if is_secret_key(key) && !v.is_null() {
                    Value::String(MASK.to_string())
                } else {
                    masked(v)
                };
                out.insert(key.clone(), shown);
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(masked).collect()),
        Value::String(text) => Value::String(text_shown(text)),
        other => other.clone(),
    }
}

/// A string from the engine's tables as a page may show it: passwords of
/// known URLs hidden, any URL's password redacted.
pub fn text_shown(text: &str) -> String {
    let text = crate::shown::text(text);
    if text.contains("://") && text.contains('@') {
        text.split(' ')
            .map(|word| {
                if word.contains("://") {
                    tasker_app_db::redact::redact(word)
                } else {
                    word.to_string()
                }
            })
            .collect::<Vec<_>>()
            .join(" ")
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn secret_looking_keys_are_masked_at_any_depth() {
        let context = json!({
            "customer_email": "a@example.com",
            "cart_id": 3,
            "password": "hunter22",
            "API-Token": "t0k3n",
            "nested": {"client_secret": "s", "items": [{"stripe_key": "k", "qty": 2}]},
            "idempotency_key": "visible",
            "auth": {"user": "x"}
        });
        let shown = masked(&context);
        let text = shown.to_string();
        for hidden in ["hunter22", "t0k3n", "\"s\"", "\"k\"", "\"x\""] {
            assert!(!text.contains(hidden), "{hidden} shown in {text}");
        }
        assert_eq!(shown["customer_email"], "a@example.com");
        assert_eq!(shown["cart_id"], 3);
        assert_eq!(shown["nested"]["items"][0]["qty"], 2);
        assert_eq!(shown["idempotency_key"], "visible");
        assert_eq!(shown["password"], MASK);
    }

    #[test]
    fn a_url_password_in_any_string_is_redacted() {
        let shown = masked(&json!({"note": "db at postgresql://app:hunter22@db/shop failed"}));
        let text = shown.to_string();
        assert!(!text.contains("hunter22"), "{text}");
        assert!(text.contains("postgresql://app:****@db/shop"), "{text}");
    }
}
