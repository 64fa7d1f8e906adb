//! inventory/stock_management end to end against the database at
//! DATABASE_URL and the in-process fake API (see `tasker_app_runtime::harness`).
//! Each test counts stock into a warehouse of its own.

use serde_json::json;

use tasker_app_runtime::harness::{Harness, fault, unique};

const WORKFLOW: &str = "inventory/stock_management.yaml";

#[tokio::test]
async fn low_stock_products_get_purchase_orders_an_alert_and_a_report() {
    let Some(h) = Harness::start(crate::handlers::registry()).await else {
        return;
    };
    let warehouse = unique("wh-");
    let run = h
        .run(WORKFLOW, json!({ "threshold": 10, "warehouse": warehouse }))
        .await;
    assert!(run.completed(), "{:?}", run.failure());

    // The seed has eight products under 10 units, from eight suppliers.
    let low: Vec<i32> = sqlx::query_scalar("SELECT product_id FROM app.low_stock_products(10, $1)")
        .bind(&warehouse)
        .fetch_all(&h.ctx.db)
        .await
        .expect("low stock");
    assert_eq!(low.len(), 8);

    let ordered: Vec<i32> = sqlx::query_scalar(
        "SELECT unnest(product_ids) FROM app.purchase_order_summaries WHERE task_uuid = $1 ORDER BY 1",
    )
    .bind(run.task_uuid)
    .fetch_all(&h.ctx.db)
    .await
    .expect("purchase orders");
    let mut expected = low.clone();
    expected.sort_unstable();
    assert_eq!(ordered, expected);

    let (low_count, po_count, notification): (i32, i32, Option<i64>) = sqlx::query_as(
        "SELECT low_stock_count, purchase_order_count, notification_id FROM app.inventory_reports WHERE task_uuid = $1",
    )
    .bind(run.task_uuid)
    .fetch_one(&h.ctx.db)
    .await
    .expect("a report");
    assert_eq!((low_count, po_count), (8, 8));
    assert!(notification.is_some());
}

#[tokio::test]
async fn a_threshold_of_one_orders_only_what_is_sold_out() {
    let Some(h) = Harness::start(crate::handlers::registry()).await else {
        return;
    };
    let run = h
        .run(
            WORKFLOW,
            json!({ "threshold": 1, "warehouse": unique("wh-") }),
        )
        .await;
    assert!(run.completed(), "{:?}", run.failure());
    // Product 16 has 0 units: the only one under 1.
    assert_eq!(
        run.results["create_purchase_orders"]["purchase_orders"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    assert_eq!(run.results["notify_warehouse"]["notified"], true);
}

#[tokio::test]
async fn a_rate_limited_catalogue_is_read_on_the_next_attempt() {
    let Some(h) = Harness::start(crate::handlers::registry()).await else {
        return;
    };
    h.arm(fault("/products", 429, 1, Some(1)));
    let run = h
        .run(
            WORKFLOW,
            json!({ "threshold": 5, "warehouse": unique("wh-") }),
        )
        .await;
    assert!(run.completed(), "{:?}", run.failure());
    assert_eq!(run.attempts["monitor_stock_levels"], 2);
}

#[tokio::test]
async fn a_bad_warehouse_code_is_refused() {
    let Some(h) = Harness::start(crate::handlers::registry()).await else {
        return;
    };
    let run = h
        .run(
            WORKFLOW,
            json!({ "threshold": 10, "warehouse": "north wing" }),
        )
        .await;
    assert_eq!(
        run.failure(),
        Some(("monitor_stock_levels", "INVALID_INPUT"))
    );
}
