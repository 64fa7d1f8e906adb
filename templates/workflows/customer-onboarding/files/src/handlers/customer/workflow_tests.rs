//! customer/user_onboarding end to end against the database at DATABASE_URL
//! and the in-process fake API (see `tasker_app_runtime::harness`). Each test registers
//! a user of its own.

use serde_json::{Value, json};

use tasker_app_runtime::harness::{Harness, fault, unique};

const WORKFLOW: &str = "customer/user_onboarding.yaml";

fn registration(plan: &str) -> (String, Value) {
    let username = unique("user");
    let context =
        json!({ "email": format!("{username}@example.com"), "username": username, "plan": plan });
    (username, context)
}

#[tokio::test]
async fn a_new_user_is_onboarded_with_preferences() {
    let Some(h) = Harness::start(crate::handlers::registry()).await else {
        return;
    };
    let (username, context) = registration("pro");
    let run = h.run(WORKFLOW, context).await;
    assert!(run.completed(), "{:?}", run.failure());

    let (status, plan, channel, features, welcome): (String, String, String, Value, Option<i64>) = sqlx::query_as(
        "SELECT p.status, p.plan, p.notification_channel, p.features, c.welcome_notification_id \
         FROM app.customer_profiles p JOIN app.customers c USING (customer_id) WHERE p.username = $1",
    )
    .bind(&username)
    .fetch_one(&h.ctx.db)
    .await
    .expect("a customer row");
    assert_eq!(status, "active");
    assert_eq!(plan, "pro");
    assert_eq!(channel, "email");
    assert_eq!(features["projects"], 50);
    assert!(welcome.is_some());
}

#[tokio::test]
async fn the_same_email_twice_is_a_duplicate() {
    let Some(h) = Harness::start(crate::handlers::registry()).await else {
        return;
    };
    let (_, context) = registration("free");
    let first = h.run(WORKFLOW, context.clone()).await;
    assert!(first.completed(), "{:?}", first.failure());
    let second = h.run(WORKFLOW, context).await;
    assert_eq!(
        second.failure(),
        Some(("check_duplicate_user", "DUPLICATE_USER"))
    );
}

#[tokio::test]
async fn an_email_the_api_already_has_is_a_duplicate() {
    let Some(h) = Harness::start(crate::handlers::registry()).await else {
        return;
    };
    let context =
        json!({ "email": "amara.okafor@example.com", "username": unique("amara"), "plan": "free" });
    let run = h.run(WORKFLOW, context).await;
    assert_eq!(
        run.failure(),
        Some(("check_duplicate_user", "DUPLICATE_USER"))
    );
}

#[tokio::test]
async fn a_failed_create_is_retried_without_a_second_api_user() {
    let Some(h) = Harness::start(crate::handlers::registry()).await else {
        return;
    };
    h.arm(fault("/users/add", 502, 1, None));
    let (_, context) = registration("enterprise");
    let run = h.run(WORKFLOW, context).await;
    assert!(run.completed(), "{:?}", run.failure());
    assert_eq!(run.attempts["create_account"], 2);
}

#[tokio::test]
async fn an_unknown_plan_fails_at_once() {
    let Some(h) = Harness::start(crate::handlers::registry()).await else {
        return;
    };
    let (_, mut context) = registration("gold");
    context["plan"] = json!("gold");
    let run = h.run(WORKFLOW, context).await;
    assert_eq!(
        run.failure(),
        Some(("validate_registration_data", "INVALID_INPUT"))
    );
    assert_eq!(run.attempts["validate_registration_data"], 1);
}
