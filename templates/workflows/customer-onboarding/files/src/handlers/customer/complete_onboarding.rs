//! `complete_onboarding`: activate the customer once the preferences are saved
//! and the welcome email is queued (`app.complete_onboarding`, which refuses a
//! customer without preferences). Idempotent: the first activation time stays.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::create_account::Account;
use super::send_welcome_email::WelcomeEmail;
use super::setup_preferences::PreferencesSet;
use tasker_app_runtime::prelude::*;

/// The result of `complete_onboarding`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Onboarded {
    pub customer_id: i64,
    pub username: String,
    pub plan: String,
    pub status: String,
    pub welcome_notification_id: i64,
    pub onboarded_at: DateTime<Utc>,
}

pub struct CompleteOnboarding;

impl Step for CompleteOnboarding {
    const NAME: &'static str = "customer.complete_onboarding";

    async fn run(&self, input: StepInput<'_>, ctx: &AppContext) -> StepResult {
        let account: Account = input.dependency("create_account")?;
        let preferences: PreferencesSet = input.dependency("setup_preferences")?;
        let welcome: WelcomeEmail = input.dependency("send_welcome_email")?;
        if preferences.customer_id != account.customer_id {
            return Err(StepError::permanent(
                "CUSTOMER_MISMATCH",
                format!(
                    "preferences were saved for customer {}, the account is customer {}",
                    preferences.customer_id, account.customer_id
                ),
            ));
        }

        let onboarded_at: DateTime<Utc> =
            sqlx::query_scalar("SELECT app.complete_onboarding($1, $2)")
                .bind(account.customer_id)
                .bind(welcome.notification_id)
                .fetch_one(&ctx.db)
                .await
                .map_err(|e| StepError::database("activating the customer", e))?;

        let done = Onboarded {
            customer_id: account.customer_id,
            username: account.username,
            plan: account.plan,
            status: "active".to_string(),
            welcome_notification_id: welcome.notification_id,
            onboarded_at,
        };
        output(&done)
    }
}
