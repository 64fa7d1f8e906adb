//! `create_purchase_orders`: one purchase order per supplier for the low-stock
//! products (`app.create_purchase_order`), all in one transaction. Nothing low,
//! nothing ordered. Idempotent per (task, supplier).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::identify_low_stock::{LowStock, LowStockProduct};
use tasker_app_runtime::money::format_cents;
use tasker_app_runtime::prelude::*;

/// The result of `create_purchase_orders`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PurchaseOrders {
    pub purchase_orders: Vec<PurchaseOrder>,
    pub units_ordered: i64,
    pub total_cost_cents: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, sqlx::FromRow)]
pub struct PurchaseOrder {
    pub purchase_order_id: i64,
    pub po_number: String,
    #[sqlx(skip)]
    pub supplier: String,
    pub total_cost_cents: i64,
    pub line_count: i32,
    pub units: i32,
    pub created: bool,
}

pub struct CreatePurchaseOrders;

impl Step for CreatePurchaseOrders {
    const NAME: &'static str = "inventory.create_purchase_orders";

    async fn run(&self, input: StepInput<'_>, ctx: &AppContext) -> StepResult {
        let low: LowStock = input.dependency("identify_low_stock")?;

        let mut tx = ctx
            .db
            .begin()
            .await
            .map_err(|e| StepError::database("starting a transaction", e))?;
        let mut orders = Vec::new();
        for (supplier, products) in by_supplier(&low.products) {
            let lines: Vec<Value> = products
                .iter()
                .map(|p| {
                    json!({
                        "product_id": p.product_id,
                        "title": p.title,
                        "quantity": p.reorder_quantity,
                        "unit_cost": format_cents(p.unit_cost_cents),
                    })
                })
                .collect();
            let mut order: PurchaseOrder = sqlx::query_as(
                "SELECT purchase_order_id, po_number, (total_cost * 100)::bigint AS total_cost_cents, \
                        line_count, units, created \
                 FROM app.create_purchase_order($1, $2, $3, $4)",
            )
            .bind(input.task_uuid())
            .bind(&low.warehouse)
            .bind(supplier)
            .bind(Value::Array(lines))
            .fetch_one(&mut *tx)
            .await
            .map_err(|e| StepError::database(&format!("opening a purchase order with {supplier}"), e))?;
            order.supplier = supplier.to_string();
            orders.push(order);
        }
        tx.commit()
            .await
            .map_err(|e| StepError::database("committing the purchase orders", e))?;

        let result = PurchaseOrders {
            units_ordered: orders.iter().map(|o| i64::from(o.units)).sum(),
            total_cost_cents: orders.iter().map(|o| o.total_cost_cents).sum(),
            purchase_orders: orders,
        };
        output(&result)
    }
}

/// Products grouped by supplier, suppliers in name order (stable PO numbering).
fn by_supplier(products: &[LowStockProduct]) -> BTreeMap<&str, Vec<&LowStockProduct>> {
    let mut groups: BTreeMap<&str, Vec<&LowStockProduct>> = BTreeMap::new();
    for product in products.iter().filter(|p| p.reorder_quantity > 0) {
        groups
            .entry(product.supplier.as_str())
            .or_default()
            .push(product);
    }
    groups
}

#[cfg(test)]
mod tests {
    use super::*;

    fn product(id: i32, supplier: &str, reorder: i32) -> LowStockProduct {
        LowStockProduct {
            product_id: id,
            title: format!("product {id}"),
            sku: None,
            supplier: supplier.into(),
            unit_cost_cents: 100,
            available: 1,
            reorder_quantity: reorder,
        }
    }

    #[test]
    fn products_are_grouped_per_supplier_in_name_order() {
        let products = [
            product(1, "Sonara", 5),
            product(2, "Dewdrop", 3),
            product(3, "Sonara", 8),
            product(4, "Zed", 0),
        ];
        let groups = by_supplier(&products);
        let suppliers: Vec<&str> = groups.keys().copied().collect();
        assert_eq!(suppliers, ["Dewdrop", "Sonara"]);
        assert_eq!(groups["Sonara"].len(), 2);
    }
}
