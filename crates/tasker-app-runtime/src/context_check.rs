//! Checks a task's context against its template's `input_schema` before the
//! task is created. The engine stores `input_schema` but does not enforce it,
//! so without this check a bad context would only fail deep inside a step.
//!
//! The whole of JSON Schema, on the `jsonschema` crate (the one the engine
//! itself compiles in): `$ref`, `oneOf`, `const`, `format` and every other
//! keyword are checked, none silently ignored. `format` is asserted, not only
//! annotated: an `email` that is not one is refused.

//!
//! One rule on top of JSON Schema: where the schema says `integer`, the
//! value must be written as an integer the handlers can read (an i64 or
//! u64). JSON Schema counts `1e308` and `5.0` as integers (their fraction is
//! zero), but a handler reading a number field gets a float it cannot use:
//! such a context is refused here, not in a step.

use serde_json::Value;

/// The keyword the check adds next to every `"type": "integer"`.
const INTEGER_LITERAL: &str = "x-tasker-app-integer-literal";

/// Keywords whose values are data, not schemas (left as they are).
const DATA_KEYWORDS: [&str; 5] = ["const", "enum", "default", "examples", "example"];

/// Every way `context` breaks `schema`, one readable line each (`context.a.b: why`);
/// empty when it fits. A schema that is itself invalid is one line saying so.
pub fn violations(schema: &Value, context: &Value) -> Vec<String> {
    let mut schema = schema.clone();
    mark_integers(&mut schema);
    let validator = match jsonschema::options()
        .should_validate_formats(true)
        .with_keyword(INTEGER_LITERAL, |_, _, _| Ok(Box::new(IntegerLiteral)))
        .build(&schema)
    {
        Ok(validator) => validator,
        Err(e) => return vec![format!("the input_schema itself is invalid: {e}")],
    };
    validator
        .iter_errors(context)
        .map(|error| {
            let pointer = error.instance_path().as_str().to_string();
            format!("{}: {error}", readable_path(&pointer))
        })
        .collect()
}

/// Adds [`INTEGER_LITERAL`] to every subschema whose `type` is or includes `integer`.
fn mark_integers(schema: &mut Value) {
    match schema {
        Value::Object(map) => {
            let integer = match map.get("type") {
                Some(Value::String(t)) => t == "integer",
                Some(Value::Array(types)) => types.iter().any(|t| t == "integer"),
                _ => false,
            };
            for (key, value) in map.iter_mut() {
                if !DATA_KEYWORDS.contains(&key.as_str()) {
                    mark_integers(value);
                }
            }
            if integer {
                map.insert(INTEGER_LITERAL.to_string(), Value::Bool(true));
            }
        }
        Value::Array(items) => items.iter_mut().for_each(mark_integers),
        _ => {}
    }
}

/// A number must be an integer literal within i64/u64 (other types are the
/// `type` keyword's business).
struct IntegerLiteral;

impl jsonschema::Keyword for IntegerLiteral {
    fn validate<'i>(&self, instance: &'i Value) -> Result<(), jsonschema::ValidationError<'i>> {
        if self.is_valid(instance) {
            return Ok(());
        }
        Err(jsonschema::ValidationError::custom(format!(
            "{instance} is not a whole number in range: write an integer without a \
             fraction or exponent, from {} to {}",
            i64::MIN,
            u64::MAX
        )))
    }

    fn is_valid(&self, instance: &Value) -> bool {
        instance
            .as_number()
            .is_none_or(|n| n.is_i64() || n.is_u64())
    }
}

/// `/items/0/sku` as `context.items[0].sku`.
fn readable_path(pointer: &str) -> String {
    let mut out = String::from("context");
    for segment in pointer.split('/').skip(1) {
        let segment = segment.replace("~1", "/").replace("~0", "~");
        if !segment.is_empty() && segment.chars().all(|c| c.is_ascii_digit()) {
            out.push_str(&format!("[{segment}]"));
        } else {
            out.push('.');
            out.push_str(&segment);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn schema() -> Value {
        json!({
            "type": "object",
            "required": ["cart_id", "customer_email"],
            "properties": {
                "cart_id": {"type": "integer", "minimum": 1},
                "customer_email": {"type": "string", "format": "email"},
                "plan": {"enum": ["free", "pro"]},
                "items": {"type": "array", "items": {"$ref": "#/$defs/item"}},
                "channel": {"const": "web"},
                "contact": {"oneOf": [{"type": "string"}, {"type": "integer"}]}
            },
            "$defs": {"item": {"type": "object", "required": ["sku"]}}
        })
    }

    #[test]
    fn a_fitting_context_has_no_violations() {
        let ok = json!({"cart_id": 1, "customer_email": "a@example.com", "plan": "pro",
                        "items": [{"sku": "x"}], "channel": "web", "contact": 3});
        assert_eq!(violations(&schema(), &ok), Vec::<String>::new());
    }

    #[test]
    fn each_violation_names_where_and_why() {
        let bad = json!({"cart_id": 0, "plan": "gold"});
        let found = violations(&schema(), &bad);
        assert_eq!(found.len(), 3, "{found:?}");
        assert!(
            found
                .iter()
                .any(|v| v.starts_with("context: ") && v.contains("customer_email"))
        );
        assert!(found.iter().any(|v| v.starts_with("context.cart_id: ")));
        assert!(found.iter().any(|v| v.starts_with("context.plan: ")));
    }

    #[test]
    fn keywords_a_hand_written_subset_ignored_are_checked() {
        for (context, at) in [
            (
                json!({"cart_id": 1, "customer_email": "not-an-email"}),
                "context.customer_email",
            ),
            (
                json!({"cart_id": 1, "customer_email": "a@b.co", "items": [{}]}),
                "context.items[0]",
            ),
            (
                json!({"cart_id": 1, "customer_email": "a@b.co", "channel": "phone"}),
                "context.channel",
            ),
            (
                json!({"cart_id": 1, "customer_email": "a@b.co", "contact": true}),
                "context.contact",
            ),
        ] {
            let found = violations(&schema(), &context);
            assert_eq!(found.len(), 1, "{context}: {found:?}");
            assert!(found[0].starts_with(&format!("{at}: ")), "{found:?}");
        }
    }

    /// Issue 17: `cart_id: 1e308` passed an integer schema (JSON Schema
    /// counts it as an integer); the handler could not read it.
    #[test]
    fn an_integer_must_be_written_as_one_the_handlers_can_read() {
        for bad in ["1e308", "5.0", "1E3", "18446744073709551616"] {
            let context: Value = serde_json::from_str(&format!(
                r#"{{"cart_id": {bad}, "customer_email": "a@b.co"}}"#
            ))
            .unwrap();
            let found = violations(&schema(), &context);
            assert_eq!(found.len(), 1, "{bad}: {found:?}");
            assert!(
                found[0].starts_with("context.cart_id: ") && found[0].contains("whole number"),
                "{found:?}"
            );
        }
        // Through `$ref` and in a type list too; a string stays the type's business.
        let schema = json!({"$defs": {"id": {"type": ["integer", "string"]}},
                            "properties": {"id": {"$ref": "#/$defs/id"}, "n": {"const": {"type": "integer"}}}});
        assert_eq!(violations(&schema, &json!({"id": 2.5e10})).len(), 1);
        assert!(violations(&schema, &json!({"id": "x", "n": {"type": "integer"}})).is_empty());
        assert!(violations(&schema, &json!({"id": 9_007_199_254_740_993_u64})).is_empty());
    }

    #[test]
    fn an_invalid_schema_is_reported_not_ignored() {
        let found = violations(&json!({"type": "no-such-type"}), &json!({}));
        assert_eq!(found.len(), 1);
        assert!(
            found[0].contains("input_schema itself is invalid"),
            "{found:?}"
        );
    }
}
