//! `identify_low_stock`: the warehouse's products with fewer available units
//! than the threshold, and how many of each to order
//! (`app.low_stock_products`: back up to three times the threshold, at least
//! the supplier's minimum order quantity).

use serde::{Deserialize, Serialize};

use super::monitor_stock_levels::StockCount;
use tasker_app_runtime::prelude::*;

/// The result of `identify_low_stock`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LowStock {
    pub warehouse: String,
    pub threshold: i64,
    pub products: Vec<LowStockProduct>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, sqlx::FromRow)]
pub struct LowStockProduct {
    pub product_id: i32,
    pub title: String,
    pub sku: Option<String>,
    pub supplier: String,
    pub unit_cost_cents: i64,
    pub available: i32,
    pub reorder_quantity: i32,
}

pub struct IdentifyLowStock;

impl Step for IdentifyLowStock {
    const NAME: &'static str = "inventory.identify_low_stock";

    async fn run(&self, input: StepInput<'_>, ctx: &AppContext) -> StepResult {
        let count: StockCount = input.dependency("monitor_stock_levels")?;
        let threshold = i32::try_from(count.threshold).map_err(|_| {
            StepError::bad_input(format!("threshold {} is too large", count.threshold))
        })?;

        let products: Vec<LowStockProduct> = sqlx::query_as(
            "SELECT product_id, title, sku, supplier, (unit_cost * 100)::bigint AS unit_cost_cents, \
                    available, reorder_quantity \
             FROM app.low_stock_products($1, $2)",
        )
        .bind(threshold)
        .bind(&count.warehouse)
        .fetch_all(&ctx.db)
        .await
        .map_err(|e| StepError::database("listing low-stock products", e))?;

        let low = LowStock {
            warehouse: count.warehouse,
            threshold: count.threshold,
            products,
        };
        output(&low)
    }
}
