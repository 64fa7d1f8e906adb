//! `notify_warehouse`: queue a low-stock alert for the warehouse team in the
//! outbox (`app.record_notification`, channel `warehouse`). Runs beside
//! `create_purchase_orders`. Nothing low, no alert.

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::identify_low_stock::LowStock;
use tasker_app_runtime::prelude::*;

/// The result of `notify_warehouse`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WarehouseAlert {
    pub notified: bool,
    pub notification_id: Option<i64>,
    pub recipient: String,
    pub products: usize,
}

pub struct NotifyWarehouse;

impl Step for NotifyWarehouse {
    const NAME: &'static str = "inventory.notify_warehouse";

    async fn run(&self, input: StepInput<'_>, ctx: &AppContext) -> StepResult {
        let low: LowStock = input.dependency("identify_low_stock")?;
        let recipient = format!("warehouse:{}", low.warehouse);

        let notification_id = if low.products.is_empty() {
            None
        } else {
            let (subject, body) = alert_text(&low);
            let payload = json!({
                "warehouse": low.warehouse,
                "threshold": low.threshold,
                "products": low.products,
            });
            let id: i64 = sqlx::query_scalar(
                "SELECT app.record_notification($1, 'warehouse', 'low_stock_alert', $2, $3, $4, $5)",
            )
            .bind(input.task_uuid())
            .bind(&recipient)
            .bind(subject)
            .bind(body)
            .bind(payload)
            .fetch_one(&ctx.db)
            .await
            .map_err(|e| StepError::database("queuing the warehouse alert", e))?;
            Some(id)
        };

        let alert = WarehouseAlert {
            notified: notification_id.is_some(),
            notification_id,
            recipient,
            products: low.products.len(),
        };
        output(&alert)
    }
}

/// Subject and body of the alert: one line per product, lowest first.
fn alert_text(low: &LowStock) -> (String, String) {
    let subject = format!(
        "Low stock in warehouse {}: {} product(s) below {}",
        low.warehouse,
        low.products.len(),
        low.threshold
    );
    let mut body = format!(
        "These products have fewer than {} units available in warehouse {}.\n\
         Purchase orders are being opened for the quantities shown.\n\n",
        low.threshold, low.warehouse
    );
    for p in &low.products {
        body.push_str(&format!(
            "  #{:<5} {:<40} available {:>5}  reorder {:>5}  ({})\n",
            p.product_id, p.title, p.available, p.reorder_quantity, p.supplier
        ));
    }
    (subject, body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::handlers::inventory::identify_low_stock::LowStockProduct;

    #[test]
    fn the_alert_names_every_product() {
        let low = LowStock {
            warehouse: "main".into(),
            threshold: 10,
            products: vec![LowStockProduct {
                product_id: 23,
                title: "27-inch Monitor".into(),
                sku: None,
                supplier: "Lumen Display".into(),
                unit_cost_cents: 17_340,
                available: 2,
                reorder_quantity: 28,
            }],
        };
        let (subject, body) = alert_text(&low);
        assert_eq!(
            subject,
            "Low stock in warehouse main: 1 product(s) below 10"
        );
        assert!(body.contains("27-inch Monitor"));
        assert!(body.contains("reorder    28"));
    }
}
