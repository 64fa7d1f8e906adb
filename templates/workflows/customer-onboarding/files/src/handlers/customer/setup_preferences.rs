//! `setup_preferences`: give the new customer their plan's defaults
//! (newsletter, notification channel, feature limits) with the locale and
//! timezone they registered with (`app.set_customer_preferences`). Runs beside
//! `send_welcome_email`; safe to repeat.

use std::sync::Arc;
use std::time::Instant;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sqlx::PgPool;
use tasker_shared::TaskerResult;
use tasker_shared::messaging::StepExecutionResult;
use tasker_shared::types::base::TaskSequenceStep;
use tasker_worker::worker::handlers::StepHandler;

use super::create_account::Account;
use super::validate_registration_data::Registration;
use crate::context::AppContext;
use crate::handlers::support::{StepError, StepInput, finish};

/// What a plan comes with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanDefaults {
    pub newsletter_opt_in: bool,
    pub notification_channel: String,
    /// `projects` is `null` for unlimited.
    pub features: Value,
}

/// The defaults of `plan` (one of `PLANS`); unknown plans get the free tier.
pub fn plan_defaults(plan: &str) -> PlanDefaults {
    let (newsletter, features) = match plan {
        "enterprise" => (
            false, // enterprise customers hear from their account manager instead
            json!({"projects": null, "seats": 100, "api_requests_per_day": 1_000_000,
                   "support": "dedicated", "analytics": true, "sso": true}),
        ),
        "pro" => (
            true,
            json!({"projects": 50, "seats": 5, "api_requests_per_day": 50_000,
                   "support": "email", "analytics": true, "sso": false}),
        ),
        _ => (
            true,
            json!({"projects": 3, "seats": 1, "api_requests_per_day": 1_000,
                   "support": "community", "analytics": false, "sso": false}),
        ),
    };
    PlanDefaults {
        newsletter_opt_in: newsletter,
        notification_channel: "email".to_string(),
        features,
    }
}

/// The result of `setup_preferences`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PreferencesSet {
    pub customer_id: i64,
    pub plan: String,
    pub preferences: PlanDefaults,
    pub locale: String,
    pub timezone: String,
    pub updated_at: DateTime<Utc>,
}

pub struct SetupPreferences {
    db: PgPool,
}

impl SetupPreferences {
    pub fn new(ctx: Arc<AppContext>) -> SetupPreferences {
        SetupPreferences { db: ctx.db.clone() }
    }

    async fn run(&self, step: &TaskSequenceStep) -> Result<Value, StepError> {
        let input = StepInput::new(step);
        let registration: Registration = input.dependency("validate_registration_data")?;
        let account: Account = input.dependency("create_account")?;
        let defaults = plan_defaults(&account.plan);

        let updated_at: DateTime<Utc> =
            sqlx::query_scalar("SELECT app.set_customer_preferences($1, $2, $3, $4, $5, $6)")
                .bind(account.customer_id)
                .bind(defaults.newsletter_opt_in)
                .bind(&defaults.notification_channel)
                .bind(&registration.locale)
                .bind(&registration.timezone)
                .bind(&defaults.features)
                .fetch_one(&self.db)
                .await
                .map_err(|e| StepError::database("saving the preferences", e))?;

        let set = PreferencesSet {
            customer_id: account.customer_id,
            plan: account.plan,
            preferences: defaults,
            locale: registration.locale,
            timezone: registration.timezone,
            updated_at,
        };
        serde_json::to_value(set).map_err(|e| StepError::permanent("SERIALIZE", e.to_string()))
    }
}

#[async_trait]
impl StepHandler for SetupPreferences {
    async fn call(&self, step: &TaskSequenceStep) -> TaskerResult<StepExecutionResult> {
        let started = Instant::now();
        finish(step, started, self.run(step).await)
    }

    fn name(&self) -> &str {
        "customer.setup_preferences"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans_differ_in_limits_and_support() {
        let free = plan_defaults("free");
        let pro = plan_defaults("pro");
        let enterprise = plan_defaults("enterprise");
        assert_eq!(free.features["projects"], 3);
        assert_eq!(pro.features["support"], "email");
        assert!(enterprise.features["projects"].is_null());
        assert_eq!(enterprise.features["sso"], true);
        assert!(!enterprise.newsletter_opt_in);
        assert_eq!(plan_defaults("unknown"), free);
    }
}
