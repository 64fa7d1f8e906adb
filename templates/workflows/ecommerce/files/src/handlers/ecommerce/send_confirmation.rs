//! `send_confirmation`: write the order confirmation email into the outbox
//! (`app.record_notification`, delivered by whatever drains `app.notifications`)
//! and mark the order confirmed (`app.confirm_order`). Idempotent: a retry
//! rewrites the same outbox row and keeps the first confirmation time.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::calculate_pricing::Pricing;
use super::create_order::PlacedOrder;
use super::validate_cart::ValidatedCart;
use tasker_app_runtime::money::format_cents;
use tasker_app_runtime::prelude::*;

/// The result of `send_confirmation`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Confirmation {
    pub notification_id: i64,
    pub recipient: String,
    pub order_number: String,
    pub confirmed_at: DateTime<Utc>,
}

pub struct SendConfirmation;

impl Step for SendConfirmation {
    const NAME: &'static str = "ecommerce.send_confirmation";

    async fn run(&self, input: StepInput<'_>, ctx: &AppContext) -> StepResult {
        let cart: ValidatedCart = input.dependency("validate_cart")?;
        let pricing: Pricing = input.dependency("calculate_pricing")?;
        let order: PlacedOrder = input.dependency("create_order")?;

        let subject = format!("Your order {} is confirmed", order.order_number);
        let body = email_body(&cart, &pricing, &order);
        let payload = json!({
            "order_id": order.order_id,
            "order_number": order.order_number,
            "grand_total": order.grand_total,
            "currency": order.currency,
        });

        let mut tx = ctx
            .db
            .begin()
            .await
            .map_err(|e| StepError::database("starting a transaction", e))?;
        let notification_id: i64 = sqlx::query_scalar(
            "SELECT app.record_notification($1, 'email', 'order_confirmation', $2, $3, $4, $5)",
        )
        .bind(input.task_uuid())
        .bind(&cart.customer_email)
        .bind(&subject)
        .bind(&body)
        .bind(payload)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| StepError::database("queuing the confirmation email", e))?;
        let confirmed_at: DateTime<Utc> = sqlx::query_scalar("SELECT app.confirm_order($1, $2)")
            .bind(order.order_id)
            .bind(notification_id)
            .fetch_one(&mut *tx)
            .await
            .map_err(|e| StepError::database("confirming the order", e))?;
        tx.commit()
            .await
            .map_err(|e| StepError::database("committing the confirmation", e))?;

        let confirmation = Confirmation {
            notification_id,
            recipient: cart.customer_email,
            order_number: order.order_number,
            confirmed_at,
        };
        output(&confirmation)
    }
}

/// The confirmation email's text.
fn email_body(cart: &ValidatedCart, pricing: &Pricing, order: &PlacedOrder) -> String {
    let greeting = match &cart.customer_name {
        Some(name) => format!("Hello {name},"),
        None => "Hello,".to_string(),
    };
    let mut body = format!(
        "{greeting}\n\nthank you for your order {}.\n\n",
        order.order_number
    );
    for line in &pricing.lines {
        body.push_str(&format!(
            "  {} x {:<40} {:>10}\n",
            line.quantity,
            line.title,
            format_cents(line.line_total_cents)
        ));
    }
    let mut total = |label: &str, cents: i64| {
        body.push_str(&format!("  {label:<44} {:>10}\n", format_cents(cents)));
    };
    total("Subtotal", pricing.subtotal_cents);
    total("Discounts", -pricing.discount_total_cents);
    total("Shipping", pricing.shipping_cents);
    total("Sales tax", pricing.tax_cents);
    total(
        &format!("Total ({})", pricing.currency),
        pricing.grand_total_cents,
    );
    body.push_str("\nWe will let you know when it ships.\n");
    body
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::handlers::ecommerce::calculate_pricing::price;
    use crate::handlers::ecommerce::validate_cart::CartLine;

    #[test]
    fn the_email_lists_lines_and_totals() {
        let lines = vec![CartLine {
            product_id: 1,
            title: "Rye Flour".into(),
            unit_price_cents: 649,
            quantity: 2,
            discount_percent: 0.0,
        }];
        let pricing = price(&lines);
        let cart = ValidatedCart {
            cart_id: 1,
            user_id: 1,
            customer_email: "a@example.com".into(),
            customer_name: Some("Amara Okafor".into()),
            warehouse: "main".into(),
            lines,
            total_quantity: 2,
        };
        let order = PlacedOrder {
            order_id: 7,
            order_number: "ORD-000007".into(),
            grand_total: format_cents(pricing.grand_total_cents),
            currency: "USD".into(),
            created: true,
        };
        let body = email_body(&cart, &pricing, &order);
        assert!(body.starts_with("Hello Amara Okafor,"));
        assert!(body.contains("ORD-000007"));
        assert!(body.contains("2 x Rye Flour"));
        assert!(body.contains(&format_cents(pricing.grand_total_cents)));
    }
}
