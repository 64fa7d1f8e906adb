//! `create_order`: write the order, its lines and its totals
//! (`app.place_order`), which also commits this task's stock reservations.
//! Idempotent: a retry returns the order the first attempt placed.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::calculate_pricing::Pricing;
use super::check_inventory::InventoryCheck;
use super::validate_cart::ValidatedCart;
use tasker_app_runtime::money::format_cents;
use tasker_app_runtime::prelude::*;

/// The result of `create_order`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlacedOrder {
    pub order_id: i64,
    pub order_number: String,
    pub grand_total: String,
    pub currency: String,
    /// false when an earlier attempt had already placed it
    pub created: bool,
}

pub struct CreateOrder;

impl Step for CreateOrder {
    const NAME: &'static str = "ecommerce.create_order";

    async fn run(&self, input: StepInput<'_>, ctx: &AppContext) -> StepResult {
        let cart: ValidatedCart = input.dependency("validate_cart")?;
        let inventory: InventoryCheck = input.dependency("check_inventory")?;
        let pricing: Pricing = input.dependency("calculate_pricing")?;

        // Every priced line must be covered by a reservation of the same size.
        for line in &pricing.lines {
            let reserved: i64 = inventory
                .reservations
                .iter()
                .filter(|r| r.product_id == line.product_id)
                .map(|r| r.quantity)
                .sum();
            if reserved < line.quantity {
                return Err(StepError::permanent(
                    "RESERVATION_MISMATCH",
                    format!(
                        "product {} is priced for {} units but {} are reserved",
                        line.product_id, line.quantity, reserved
                    ),
                ));
            }
        }

        let pricing_json = json!({
            "currency": pricing.currency,
            "subtotal": format_cents(pricing.subtotal_cents),
            "discount_total": format_cents(pricing.discount_total_cents),
            "shipping_total": format_cents(pricing.shipping_cents),
            "tax_total": format_cents(pricing.tax_cents),
            "grand_total": format_cents(pricing.grand_total_cents),
            "rules": pricing.rules,
        });
        let lines_json: Vec<Value> = pricing
            .lines
            .iter()
            .map(|l| {
                json!({
                    "product_id": l.product_id,
                    "title": l.title,
                    "unit_price": format_cents(l.unit_price_cents),
                    "quantity": l.quantity,
                    "discount_amount": format_cents(l.discount_cents),
                    "line_total": format_cents(l.line_total_cents),
                })
            })
            .collect();

        let cart_id = i32::try_from(cart.cart_id)
            .map_err(|_| StepError::bad_input(format!("cart_id {} is too large", cart.cart_id)))?;
        let user_id = i32::try_from(cart.user_id).ok();
        let (order_id, order_number, grand_total, created): (i64, String, String, bool) =
            sqlx::query_as(
                "SELECT order_id, order_number, grand_total::text, created \
             FROM app.place_order($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(input.task_uuid())
            .bind(cart_id)
            .bind(&cart.customer_email)
            .bind(user_id)
            .bind(&inventory.warehouse)
            .bind(pricing_json)
            .bind(Value::Array(lines_json))
            .fetch_one(&ctx.db)
            .await
            .map_err(|e| StepError::database("placing the order", e))?;

        let placed = PlacedOrder {
            order_id,
            order_number,
            grand_total,
            currency: pricing.currency,
            created,
        };
        output(&placed)
    }
}
