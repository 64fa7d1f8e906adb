//! `check_inventory`: look every product of the cart up in the API
//! (`GET /products/{id}`) and reserve its units in the app's database
//! (`app.reserve_stock`), all lines or none.
//!
//! A product the catalogue marks "Out of Stock", or one the warehouse cannot
//! cover, fails the order permanently and names the products. A product the
//! warehouse has never counted starts from the catalogue's stock figure.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::validate_cart::ValidatedCart;
use tasker_app_runtime::money::wholesale_cost;
use tasker_app_runtime::prelude::*;

/// The result of `check_inventory`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InventoryCheck {
    pub warehouse: String,
    pub reservations: Vec<Reservation>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reservation {
    pub product_id: i64,
    pub quantity: i64,
    /// Units still available in the warehouse after this reservation.
    pub available_after: i64,
}

/// `GET /products/{id}` (fields we use).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ApiProduct {
    id: i64,
    title: String,
    #[serde(default)]
    sku: Option<String>,
    #[serde(default)]
    brand: Option<String>,
    price: f64,
    stock: i64,
    #[serde(default)]
    availability_status: Option<String>,
}

pub struct CheckInventory;

impl Step for CheckInventory {
    const NAME: &'static str = "ecommerce.check_inventory";

    async fn run(&self, input: StepInput<'_>, ctx: &AppContext) -> StepResult {
        let cart: ValidatedCart = input.dependency("validate_cart")?;

        let mut requests = Vec::with_capacity(cart.lines.len());
        let mut unavailable = Vec::new();
        for line in &cart.lines {
            let product: ApiProduct = ctx
                .api
                .get_json(&format!("/products/{}", line.product_id))
                .await
                .map_err(|e| match StepError::from(e) {
                    StepError::Permanent { code, message } if code == "API_NOT_FOUND" => {
                        StepError::permanent(
                            "PRODUCT_NOT_FOUND",
                            format!(
                                "product {} of cart {} does not exist: {message}",
                                line.product_id, cart.cart_id
                            ),
                        )
                    }
                    other => other,
                })?;
            if product.availability_status.as_deref() == Some("Out of Stock") || product.stock <= 0
            {
                unavailable.push(format!(
                    "product {} '{}' is out of stock",
                    product.id, product.title
                ));
            }
            requests.push(json!({
                "product_id": product.id,
                "title": product.title,
                "sku": product.sku,
                "supplier": product.brand,
                "unit_cost": wholesale_cost(product.price),
                "catalogue_stock": product.stock.max(0),
                "quantity": line.quantity,
            }));
        }
        if !unavailable.is_empty() {
            return Err(StepError::permanent("OUT_OF_STOCK", unavailable.join("; ")));
        }

        let rows: Vec<(i32, i32, i32, bool)> = sqlx::query_as(
            "SELECT product_id, quantity, available, reserved FROM app.reserve_stock($1, $2, $3)",
        )
        .bind(input.task_uuid())
        .bind(&cart.warehouse)
        .bind(Value::Array(requests))
        .fetch_all(&ctx.db)
        .await
        .map_err(|e| StepError::database("reserving stock", e))?;

        if rows.iter().any(|(_, _, _, reserved)| !reserved) {
            let short: Vec<String> = rows
                .iter()
                .filter(|(_, quantity, available, _)| available < quantity)
                .map(|(product, quantity, available, _)| {
                    format!("product {product}: {quantity} wanted, {available} available")
                })
                .collect();
            return Err(StepError::permanent(
                "INSUFFICIENT_STOCK",
                format!(
                    "warehouse `{}` cannot cover cart {}: {}",
                    cart.warehouse,
                    cart.cart_id,
                    short.join("; ")
                ),
            ));
        }

        let check = InventoryCheck {
            warehouse: cart.warehouse,
            reservations: rows
                .into_iter()
                .map(|(product_id, quantity, available, _)| Reservation {
                    product_id: product_id.into(),
                    quantity: quantity.into(),
                    available_after: available.into(),
                })
                .collect(),
        };
        output(&check)
    }
}
