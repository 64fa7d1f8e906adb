//! `update_inventory_report`: file the run's report (`app.record_inventory_report`):
//! products counted, which were low, the purchase orders opened and the alert
//! sent. Idempotent per task.

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::create_purchase_orders::PurchaseOrders;
use super::identify_low_stock::LowStock;
use super::monitor_stock_levels::StockCount;
use super::notify_warehouse::WarehouseAlert;
use tasker_app_runtime::money::format_cents;
use tasker_app_runtime::prelude::*;

/// The result of `update_inventory_report`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InventoryReport {
    pub report_id: i64,
    pub warehouse: String,
    pub products_counted: i64,
    pub low_stock_count: usize,
    pub purchase_order_numbers: Vec<String>,
    pub units_ordered: i64,
    pub total_cost: String,
    pub notification_id: Option<i64>,
}

pub struct UpdateInventoryReport;

impl Step for UpdateInventoryReport {
    const NAME: &'static str = "inventory.update_inventory_report";

    async fn run(&self, input: StepInput<'_>, ctx: &AppContext) -> StepResult {
        let count: StockCount = input.dependency("monitor_stock_levels")?;
        let low: LowStock = input.dependency("identify_low_stock")?;
        let orders: PurchaseOrders = input.dependency("create_purchase_orders")?;
        let alert: WarehouseAlert = input.dependency("notify_warehouse")?;

        let po_numbers: Vec<String> = orders
            .purchase_orders
            .iter()
            .map(|o| o.po_number.clone())
            .collect();
        let total_cost = format_cents(orders.total_cost_cents);
        let summary = json!({
            "units_on_hand": count.units_on_hand,
            "out_of_stock": count.out_of_stock,
            "low_stock": low.products.iter().map(|p| json!({
                "product_id": p.product_id,
                "title": p.title,
                "available": p.available,
                "reorder_quantity": p.reorder_quantity,
            })).collect::<Vec<_>>(),
            "purchase_orders": po_numbers,
            "total_cost": total_cost,
        });

        let to_i32 = |n: i64, what: &str| {
            i32::try_from(n)
                .map_err(|_| StepError::bad_input(format!("{what} {n} is out of range")))
        };
        let report_id: i64 = sqlx::query_scalar(
            "SELECT app.record_inventory_report($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(input.task_uuid())
        .bind(&count.warehouse)
        .bind(to_i32(count.threshold, "threshold")?)
        .bind(to_i32(count.products_counted, "products counted")?)
        .bind(to_i32(low.products.len() as i64, "low-stock count")?)
        .bind(to_i32(
            orders.purchase_orders.len() as i64,
            "purchase order count",
        )?)
        .bind(to_i32(orders.units_ordered, "units ordered")?)
        .bind(alert.notification_id)
        .bind(summary)
        .fetch_one(&ctx.db)
        .await
        .map_err(|e| StepError::database("filing the inventory report", e))?;

        let report = InventoryReport {
            report_id,
            warehouse: count.warehouse,
            products_counted: count.products_counted,
            low_stock_count: low.products.len(),
            purchase_order_numbers: po_numbers,
            units_ordered: orders.units_ordered,
            total_cost,
            notification_id: alert.notification_id,
        };
        output(&report)
    }
}
