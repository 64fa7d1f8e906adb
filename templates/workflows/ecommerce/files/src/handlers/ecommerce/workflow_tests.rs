//! ecommerce/order_processing end to end against the database at
//! DATABASE_URL and the in-process fake API (see `tasker_app_runtime::harness`).
//! Each test reserves stock in a warehouse of its own.

use serde_json::{Value, json};

use tasker_app_runtime::harness::{Harness, fault, unique};

const WORKFLOW: &str = "ecommerce/order_processing.yaml";

fn context(cart_id: i64, warehouse: &str) -> Value {
    json!({ "cart_id": cart_id, "customer_email": "Amara.Okafor@example.com", "warehouse": warehouse })
}

#[tokio::test]
async fn an_order_is_placed_priced_and_confirmed() {
    let Some(h) = Harness::start(crate::handlers::registry()).await else {
        return;
    };
    let run = h.run(WORKFLOW, context(1, &unique("wh-"))).await;
    assert!(run.completed(), "{:?}", run.failure());

    let pricing = &run.results["calculate_pricing"];
    let (status, lines, units, total, email): (String, i32, i32, String, String) = sqlx::query_as(
        "SELECT status, line_count, units, grand_total::text, customer_email \
         FROM app.order_summaries WHERE task_uuid = $1",
    )
    .bind(run.task_uuid)
    .fetch_one(&h.ctx.db)
    .await
    .expect("an order row");
    assert_eq!(status, "confirmed");
    assert_eq!(lines, 3);
    assert_eq!(units, 4);
    assert_eq!(email, "amara.okafor@example.com");
    let cents = pricing["grand_total_cents"].as_i64().expect("cents");
    assert_eq!(total, format!("{}.{:02}", cents / 100, cents % 100));

    let committed: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM app.stock_reservations WHERE task_uuid = $1 AND status = 'committed'",
    )
    .bind(run.task_uuid)
    .fetch_one(&h.ctx.db)
    .await
    .expect("reservations");
    assert_eq!(committed, 3);
}

#[tokio::test]
async fn running_the_same_task_again_writes_nothing_twice() {
    let Some(h) = Harness::start(crate::handlers::registry()).await else {
        return;
    };
    let warehouse = unique("wh-");
    let first = h.run(WORKFLOW, context(2, &warehouse)).await;
    assert!(first.completed(), "{:?}", first.failure());
    let again = h
        .run_task(WORKFLOW, first.task_uuid, context(2, &warehouse))
        .await;
    assert!(again.completed(), "{:?}", again.failure());
    assert_eq!(again.results["create_order"]["created"], false);
    assert_eq!(
        again.results["create_order"]["order_id"],
        first.results["create_order"]["order_id"]
    );

    let (orders, notifications, reserved): (i64, i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM app.orders WHERE task_uuid = $1), \
                (SELECT count(*) FROM app.notifications WHERE task_uuid = $1), \
                (SELECT COALESCE(sum(reserved), 0) FROM app.product_stock WHERE warehouse = $2)",
    )
    .bind(first.task_uuid)
    .bind(&warehouse)
    .fetch_one(&h.ctx.db)
    .await
    .expect("counts");
    assert_eq!((orders, notifications, reserved), (1, 1, 0));
}

#[tokio::test]
async fn an_api_outage_is_retried_until_the_cart_comes_through() {
    let Some(h) = Harness::start(crate::handlers::registry()).await else {
        return;
    };
    h.arm(fault("/carts/3", 503, 2, None));
    let run = h.run(WORKFLOW, context(3, &unique("wh-"))).await;
    assert!(run.completed(), "{:?}", run.failure());
    assert_eq!(run.attempts["validate_cart"], 3);
}

#[tokio::test]
async fn rate_limiting_passes_retry_after_to_the_engine() {
    let Some(h) = Harness::start(crate::handlers::registry()).await else {
        return;
    };
    // More 429s than attempts: the last failure is what the engine would see.
    h.arm(fault("/products/*", 429, 10, Some(2)));
    let run = h.run(WORKFLOW, context(4, &unique("wh-"))).await;
    let (step, result) = run.failed.as_ref().expect("the step runs out of attempts");
    assert_eq!(step, "check_inventory");
    assert_eq!(run.attempts["check_inventory"], 4);
    assert_eq!(
        result.metadata.error_code.as_deref(),
        Some("API_RATE_LIMITED")
    );
    let metadata = result
        .orchestration_metadata
        .as_ref()
        .expect("orchestration metadata");
    assert_eq!(
        metadata.headers.get("retry-after").map(String::as_str),
        Some("2")
    );
}

#[tokio::test]
async fn an_unknown_cart_fails_at_once() {
    let Some(h) = Harness::start(crate::handlers::registry()).await else {
        return;
    };
    let run = h.run(WORKFLOW, context(999_999, &unique("wh-"))).await;
    assert_eq!(run.failure(), Some(("validate_cart", "CART_NOT_FOUND")));
    assert_eq!(run.attempts["validate_cart"], 1);
}

#[tokio::test]
async fn a_cart_the_warehouse_cannot_cover_reserves_nothing() {
    let Some(h) = Harness::start(crate::handlers::registry()).await else {
        return;
    };
    let warehouse = unique("wh-");
    // Cart 7 wants 3 of product 23, which has 2 in stock.
    let run = h.run(WORKFLOW, context(7, &warehouse)).await;
    assert_eq!(
        run.failure(),
        Some(("check_inventory", "INSUFFICIENT_STOCK"))
    );
    let held: i64 =
        sqlx::query_scalar("SELECT count(*) FROM app.stock_reservations WHERE warehouse = $1")
            .bind(&warehouse)
            .fetch_one(&h.ctx.db)
            .await
            .expect("count");
    assert_eq!(held, 0);
}

#[tokio::test]
async fn a_bad_email_is_refused_before_any_call() {
    let Some(h) = Harness::start(crate::handlers::registry()).await else {
        return;
    };
    let run = h
        .run(
            WORKFLOW,
            json!({ "cart_id": 1, "customer_email": "not-an-email" }),
        )
        .await;
    assert_eq!(run.failure(), Some(("validate_cart", "INVALID_INPUT")));
}
