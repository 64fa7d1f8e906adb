//! `validate_cart`: fetch the cart (`GET /carts/{cart_id}`) and its owner
//! (`GET /users/{userId}`) and check the cart can become an order.
//!
//! An unknown cart (404) or a cart that breaks the rules below fails at once;
//! an API that is down or rate limiting is retried.

use serde::{Deserialize, Serialize};

use tasker_app_runtime::money::to_cents;
use tasker_app_runtime::plausible_email;
use tasker_app_runtime::prelude::*;

/// Most units of one product an order may hold.
pub const MAX_UNITS_PER_LINE: i64 = 100;
/// Most lines an order may hold.
pub const MAX_LINES: usize = 50;
/// Where stock is reserved unless the context names a warehouse.
pub const DEFAULT_WAREHOUSE: &str = "main";

/// The result of `validate_cart`: what the rest of the workflow works from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ValidatedCart {
    pub cart_id: i64,
    pub user_id: i64,
    pub customer_email: String,
    pub customer_name: Option<String>,
    pub warehouse: String,
    pub lines: Vec<CartLine>,
    pub total_quantity: i64,
}

/// One cart line, money in cents.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CartLine {
    pub product_id: i64,
    pub title: String,
    pub unit_price_cents: i64,
    pub quantity: i64,
    /// The product's own discount, in percent (DummyJSON's `discountPercentage`).
    pub discount_percent: f64,
}

/// `GET /carts/{id}` as DummyJSON sends it (fields we use).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ApiCart {
    id: i64,
    user_id: i64,
    products: Vec<ApiCartLine>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ApiCartLine {
    id: i64,
    title: String,
    price: f64,
    quantity: i64,
    #[serde(default)]
    discount_percentage: f64,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ApiUser {
    first_name: Option<String>,
    last_name: Option<String>,
}

pub struct ValidateCart;

impl Step for ValidateCart {
    const NAME: &'static str = "ecommerce.validate_cart";

    async fn run(&self, input: StepInput<'_>, ctx: &AppContext) -> StepResult {
        let cart_id = input.required_int("cart_id")?;
        if cart_id < 1 {
            return Err(StepError::bad_input(format!(
                "cart_id must be 1 or more, got {cart_id}"
            )));
        }
        let customer_email = input.required_str("customer_email")?.to_lowercase();
        if !plausible_email(&customer_email) {
            return Err(StepError::bad_input(format!(
                "customer_email `{customer_email}` is not an email address"
            )));
        }
        let warehouse = input
            .optional_str("warehouse")?
            .unwrap_or(DEFAULT_WAREHOUSE)
            .to_string();

        let cart: ApiCart = ctx
            .api
            .get_json(&format!("/carts/{cart_id}"))
            .await
            .map_err(|e| match StepError::from(e) {
                StepError::Permanent { code, message } if code == "API_NOT_FOUND" => {
                    StepError::permanent(
                        "CART_NOT_FOUND",
                        format!("cart {cart_id} does not exist: {message}"),
                    )
                }
                other => other,
            })?;
        let lines = check_lines(&cart.products).map_err(|problems| {
            StepError::permanent(
                "CART_INVALID",
                format!("cart {cart_id}: {}", problems.join("; ")),
            )
        })?;

        // The owner's name personalises the confirmation; a cart whose owner
        // is gone can still be ordered.
        let customer_name = match ctx
            .api
            .get_json::<ApiUser>(&format!("/users/{}", cart.user_id))
            .await
        {
            Ok(user) => full_name(user.first_name, user.last_name),
            Err(e) if e.is_not_found() => None,
            Err(e) => return Err(e.into()),
        };

        let validated = ValidatedCart {
            cart_id: cart.id,
            user_id: cart.user_id,
            customer_email,
            customer_name,
            warehouse,
            total_quantity: lines.iter().map(|l| l.quantity).sum(),
            lines,
        };
        output(&validated)
    }
}

fn full_name(first: Option<String>, last: Option<String>) -> Option<String> {
    let name = [first, last]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    let name = name.trim();
    (!name.is_empty()).then(|| name.to_string())
}

/// The cart's lines in cents, or every rule they break.
fn check_lines(products: &[ApiCartLine]) -> Result<Vec<CartLine>, Vec<String>> {
    let mut problems = Vec::new();
    if products.is_empty() {
        problems.push("the cart is empty".to_string());
    }
    if products.len() > MAX_LINES {
        problems.push(format!(
            "{} lines, at most {MAX_LINES} allowed",
            products.len()
        ));
    }
    let mut lines = Vec::with_capacity(products.len());
    for p in products {
        if !(1..=MAX_UNITS_PER_LINE).contains(&p.quantity) {
            problems.push(format!(
                "product {} has quantity {}, allowed 1 to {MAX_UNITS_PER_LINE}",
                p.id, p.quantity
            ));
        }
        if !p.price.is_finite() || p.price < 0.0 {
            problems.push(format!("product {} has an invalid price {}", p.id, p.price));
        }
        if !(0.0..=100.0).contains(&p.discount_percentage) {
            problems.push(format!(
                "product {} has an invalid discount of {}%",
                p.id, p.discount_percentage
            ));
        }
        lines.push(CartLine {
            product_id: p.id,
            title: p.title.clone(),
            unit_price_cents: to_cents(p.price),
            quantity: p.quantity,
            discount_percent: p.discount_percentage,
        });
    }
    if problems.is_empty() {
        Ok(lines)
    } else {
        Err(problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(id: i64, price: f64, quantity: i64) -> ApiCartLine {
        ApiCartLine {
            id,
            title: format!("product {id}"),
            price,
            quantity,
            discount_percentage: 10.0,
        }
    }

    #[test]
    fn a_good_cart_becomes_lines_in_cents() {
        let lines = check_lines(&[line(1, 6.49, 2), line(3, 24.5, 1)]).expect("valid");
        assert_eq!(lines[0].unit_price_cents, 649);
        assert_eq!(lines[1].unit_price_cents, 2450);
        assert_eq!(lines[0].quantity, 2);
    }

    #[test]
    fn every_broken_rule_is_reported() {
        let problems = check_lines(&[line(1, -1.0, 0), line(2, 5.0, 500)]).unwrap_err();
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert!(check_lines(&[]).is_err());
    }

    #[test]
    fn names_join_what_is_there() {
        assert_eq!(
            full_name(Some("Amara".into()), Some("Okafor".into())).as_deref(),
            Some("Amara Okafor")
        );
        assert_eq!(
            full_name(None, Some("Okafor".into())).as_deref(),
            Some("Okafor")
        );
        assert_eq!(full_name(None, None), None);
    }
}
