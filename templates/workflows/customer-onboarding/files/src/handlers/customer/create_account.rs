//! `create_account`: create the user in the users API (`POST /users/add`) and
//! the customer in the app's database (`app.register_customer`, status
//! `pending` until onboarding completes).
//!
//! Retry-safe: the API user an earlier attempt created is found again by its
//! email instead of being created twice, and the database function returns
//! the customer this task already registered.

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::check_duplicate_user::search_users;
use super::validate_registration_data::Registration;
use tasker_app_runtime::prelude::*;

/// The result of `create_account`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    pub customer_id: i64,
    pub external_user_id: i64,
    pub email: String,
    pub username: String,
    pub full_name: String,
    pub plan: String,
    /// false when an earlier attempt had already registered the customer
    pub created: bool,
}

#[derive(Debug, Deserialize)]
struct CreatedUser {
    id: i64,
}

pub struct CreateAccount;

impl Step for CreateAccount {
    const NAME: &'static str = "customer.create_account";

    async fn run(&self, input: StepInput<'_>, ctx: &AppContext) -> StepResult {
        let registration: Registration = input.dependency("validate_registration_data")?;

        let external_user_id = api_user(&ctx.api, &registration).await?;
        let external_id = i32::try_from(external_user_id).ok();

        let (customer_id, created): (i64, bool) = sqlx::query_as(
            "SELECT customer_id, created FROM app.register_customer($1, $2, $3, $4, $5, $6)",
        )
        .bind(input.task_uuid())
        .bind(&registration.email)
        .bind(&registration.username)
        .bind(&registration.full_name)
        .bind(&registration.plan)
        .bind(external_id)
        .fetch_one(&ctx.db)
        .await
        .map_err(|e| match &e {
            sqlx::Error::Database(db) if db.code().as_deref() == Some("23505") => {
                StepError::permanent(
                    "DUPLICATE_USER",
                    format!(
                        "another onboarding registered `{}` / `{}` first",
                        registration.email, registration.username
                    ),
                )
            }
            _ => StepError::database("registering the customer", e),
        })?;

        let account = Account {
            customer_id,
            external_user_id,
            email: registration.email,
            username: registration.username,
            full_name: registration.full_name,
            plan: registration.plan,
            created,
        };
        output(&account)
    }
}

/// The API user for this registration: the one an earlier attempt made,
/// or a new one.
async fn api_user(api: &ApiClient, registration: &Registration) -> Result<i64, StepError> {
    let existing = search_users(api, &registration.email).await?;
    let mine = existing.iter().find(|u| {
        u.email
            .as_deref()
            .is_some_and(|e| e.eq_ignore_ascii_case(&registration.email))
            && u.username
                .as_deref()
                .is_some_and(|n| n.eq_ignore_ascii_case(&registration.username))
    });
    if let Some(user) = mine {
        return Ok(user.id);
    }
    let (first_name, last_name) = split_name(&registration.full_name);
    let created: CreatedUser = api
        .post_json(
            "/users/add",
            &json!({
                "firstName": first_name,
                "lastName": last_name,
                "username": registration.username,
                "email": registration.email,
                "role": "user",
            }),
        )
        .await?;
    Ok(created.id)
}

/// `"Jane van Doe"` -> (`"Jane"`, `"van Doe"`); one word is a first name.
fn split_name(full_name: &str) -> (&str, &str) {
    match full_name.trim().split_once(' ') {
        Some((first, last)) => (first, last.trim()),
        None => (full_name.trim(), ""),
    }
}

#[cfg(test)]
mod tests {
    use super::split_name;

    #[test]
    fn names_split_at_the_first_space() {
        assert_eq!(split_name("Jane van Doe"), ("Jane", "van Doe"));
        assert_eq!(split_name("Cher"), ("Cher", ""));
        assert_eq!(split_name("  Ana  Lima "), ("Ana", "Lima"));
    }
}
