//! `setup_preferences`: give the new customer their plan's defaults
//! (newsletter, notification channel, feature limits) with the locale and
//! timezone they registered with (`app.set_customer_preferences`). Runs beside
//! `send_welcome_email`; safe to repeat.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::create_account::Account;
use super::validate_registration_data::Registration;
use tasker_app_runtime::prelude::*;

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

pub struct SetupPreferences;

impl Step for SetupPreferences {
    const NAME: &'static str = "customer.setup_preferences";

    async fn run(&self, input: StepInput<'_>, ctx: &AppContext) -> StepResult {
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
                .fetch_one(&ctx.db)
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
        output(&set)
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
