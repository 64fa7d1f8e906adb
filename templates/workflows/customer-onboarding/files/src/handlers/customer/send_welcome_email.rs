//! `send_welcome_email`: write the plan's welcome email into the outbox
//! (`app.record_notification`, template `welcome`). Runs beside
//! `setup_preferences`; a retry rewrites the same outbox row.

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::create_account::Account;
use super::setup_preferences::plan_defaults;
use tasker_app_runtime::prelude::*;

/// The result of `send_welcome_email`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WelcomeEmail {
    pub notification_id: i64,
    pub recipient: String,
    pub subject: String,
}

pub struct SendWelcomeEmail;

impl Step for SendWelcomeEmail {
    const NAME: &'static str = "customer.send_welcome_email";

    async fn run(&self, input: StepInput<'_>, ctx: &AppContext) -> StepResult {
        let account: Account = input.dependency("create_account")?;
        let (subject, body) = welcome_text(&account);

        let notification_id: i64 = sqlx::query_scalar(
            "SELECT app.record_notification($1, 'email', 'welcome', $2, $3, $4, $5)",
        )
        .bind(input.task_uuid())
        .bind(&account.email)
        .bind(&subject)
        .bind(&body)
        .bind(json!({ "customer_id": account.customer_id, "plan": account.plan, "username": account.username }))
        .fetch_one(&ctx.db)
        .await
        .map_err(|e| StepError::database("queuing the welcome email", e))?;

        let email = WelcomeEmail {
            notification_id,
            recipient: account.email,
            subject,
        };
        output(&email)
    }
}

/// Subject and body, naming what the plan includes.
fn welcome_text(account: &Account) -> (String, String) {
    let product = env!("CARGO_PKG_NAME");
    let features = plan_defaults(&account.plan).features;
    let projects = match features["projects"].as_i64() {
        Some(n) => n.to_string(),
        None => "unlimited".to_string(),
    };
    let subject = format!("Welcome to {product}, {}!", account.full_name);
    let body = format!(
        "Hello {},\n\n\
         your {} account `{}` is ready.\n\n\
         Your {} plan includes:\n\
         \x20 - projects: {projects}\n\
         \x20 - seats: {}\n\
         \x20 - API requests per day: {}\n\
         \x20 - support: {}\n\n\
         Sign in with {} to get started.\n",
        account.full_name,
        product,
        account.username,
        account.plan,
        features["seats"],
        features["api_requests_per_day"],
        features["support"].as_str().unwrap_or("community"),
        account.email,
    );
    (subject, body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_welcome_email_describes_the_plan() {
        let account = Account {
            customer_id: 1,
            external_user_id: 13,
            email: "jane@example.com".into(),
            username: "jane".into(),
            full_name: "Jane Doe".into(),
            plan: "enterprise".into(),
            created: true,
        };
        let (subject, body) = welcome_text(&account);
        assert!(subject.ends_with("Jane Doe!"));
        assert!(body.contains("enterprise plan"));
        assert!(body.contains("projects: unlimited"));
        assert!(body.contains("support: dedicated"));
    }
}
