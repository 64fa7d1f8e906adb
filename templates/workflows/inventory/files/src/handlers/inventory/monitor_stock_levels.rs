//! `monitor_stock_levels`: read every product's stock from the catalogue
//! (`GET /products?limit=&skip=&select=`, page by page) and record the count
//! for the warehouse (`app.sync_product_stock`).

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use tasker_app_runtime::money::wholesale_cost;
use tasker_app_runtime::prelude::*;

/// Products per request.
pub const PAGE_SIZE: usize = 100;
/// A catalogue larger than this many pages is refused rather than read forever.
pub const MAX_PAGES: usize = 200;
pub const MAX_THRESHOLD: i64 = 100_000;

/// The result of `monitor_stock_levels`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StockCount {
    pub warehouse: String,
    pub threshold: i64,
    pub products_counted: i64,
    pub units_on_hand: i64,
    pub out_of_stock: i64,
}

#[derive(Debug, Deserialize)]
struct ProductPage {
    products: Vec<ApiStockItem>,
    total: usize,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ApiStockItem {
    id: i64,
    title: String,
    #[serde(default)]
    sku: Option<String>,
    #[serde(default)]
    brand: Option<String>,
    #[serde(default)]
    price: f64,
    stock: i64,
    #[serde(default)]
    minimum_order_quantity: Option<i64>,
}

pub struct MonitorStockLevels;

impl Step for MonitorStockLevels {
    const NAME: &'static str = "inventory.monitor_stock_levels";

    async fn run(&self, input: StepInput<'_>, ctx: &AppContext) -> StepResult {
        let (threshold, warehouse) = checked_context(&input)?;

        let items = read_catalogue(&ctx.api).await?;
        let products: Vec<Value> = items
            .iter()
            .map(|p| {
                json!({
                    "product_id": p.id,
                    "title": p.title,
                    "sku": p.sku,
                    "supplier": p.brand,
                    "unit_cost": wholesale_cost(p.price),
                    "on_hand": p.stock.max(0),
                    "min_order_quantity": p.minimum_order_quantity.unwrap_or(1).max(1),
                })
            })
            .collect();

        let recorded: i32 = sqlx::query_scalar("SELECT app.sync_product_stock($1, $2, $3)")
            .bind(input.task_uuid())
            .bind(&warehouse)
            .bind(Value::Array(products))
            .fetch_one(&ctx.db)
            .await
            .map_err(|e| StepError::database("recording the stock count", e))?;

        let count = StockCount {
            warehouse,
            threshold,
            products_counted: recorded.into(),
            units_on_hand: items.iter().map(|p| p.stock.max(0)).sum(),
            out_of_stock: items.iter().filter(|p| p.stock <= 0).count() as i64,
        };
        output(&count)
    }
}

/// Every product, page by page.
async fn read_catalogue(api: &ApiClient) -> Result<Vec<ApiStockItem>, StepError> {
    let mut items = Vec::new();
    for _ in 0..MAX_PAGES {
        let page: ProductPage = api
            .get_json(&format!(
                "/products?limit={PAGE_SIZE}&skip={}&select=title,sku,brand,price,stock,minimumOrderQuantity",
                items.len()
            ))
            .await?;
        let last = page.products.is_empty();
        items.extend(page.products);
        if last || items.len() >= page.total {
            return Ok(items);
        }
    }
    Err(StepError::permanent(
        "CATALOGUE_TOO_LARGE",
        format!(
            "the catalogue has more than {} products",
            MAX_PAGES * PAGE_SIZE
        ),
    ))
}

/// `threshold` (1 to MAX_THRESHOLD) and `warehouse` (letters, digits, `_.-`).
fn checked_context(input: &StepInput<'_>) -> Result<(i64, String), StepError> {
    let threshold = input.required_int("threshold")?;
    if !(1..=MAX_THRESHOLD).contains(&threshold) {
        return Err(StepError::bad_input(format!(
            "threshold must be between 1 and {MAX_THRESHOLD}, got {threshold}"
        )));
    }
    let warehouse = input.required_str("warehouse")?;
    if !valid_warehouse(warehouse) {
        return Err(StepError::bad_input(format!(
            "warehouse `{warehouse}` may only hold letters, digits, `_`, `.` and `-` (at most 64)"
        )));
    }
    Ok((threshold, warehouse.to_string()))
}

fn valid_warehouse(code: &str) -> bool {
    !code.is_empty()
        && code.len() <= 64
        && code
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warehouse_codes_are_checked() {
        assert!(valid_warehouse("main"));
        assert!(valid_warehouse("WH-east_2.b"));
        assert!(!valid_warehouse(""));
        assert!(!valid_warehouse("north wing"));
        assert!(!valid_warehouse("a;drop"));
        assert!(!valid_warehouse(&"x".repeat(65)));
    }
}
