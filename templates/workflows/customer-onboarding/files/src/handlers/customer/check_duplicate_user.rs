//! `check_duplicate_user`: make sure nobody has the email or username yet,
//! neither in the users API (`GET /users/search?q=`, exact matches only) nor
//! among the app's customers (`app.customer_conflicts`). A duplicate fails the
//! onboarding permanently and says which field collided.

use serde::{Deserialize, Serialize};

use super::validate_registration_data::Registration;
use tasker_app_runtime::prelude::*;

/// The result of `check_duplicate_user`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DuplicateCheck {
    pub email: String,
    pub username: String,
    /// Users the API search returned and that were compared.
    pub api_candidates: usize,
    pub available: bool,
}

/// `GET /users/search` (fields we use).
#[derive(Debug, Deserialize)]
pub(super) struct UserSearch {
    pub users: Vec<ApiUser>,
}

#[derive(Debug, Clone, Deserialize)]
pub(super) struct ApiUser {
    pub id: i64,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub username: Option<String>,
}

/// Users whose email or username the search `q` finds (DummyJSON matches
/// substrings of several fields; callers compare exactly).
pub(super) async fn search_users(api: &ApiClient, q: &str) -> Result<Vec<ApiUser>, ApiError> {
    let found: UserSearch = api
        .get_json_with_query("/users/search", &[("q", q), ("limit", "0")])
        .await?;
    Ok(found.users)
}

pub struct CheckDuplicateUser;

impl Step for CheckDuplicateUser {
    const NAME: &'static str = "customer.check_duplicate_user";

    async fn run(&self, input: StepInput<'_>, ctx: &AppContext) -> StepResult {
        let registration: Registration = input.dependency("validate_registration_data")?;

        let mut candidates = search_users(&ctx.api, &registration.email).await?;
        candidates.extend(search_users(&ctx.api, &registration.username).await?);
        let mut taken = collisions(&candidates, &registration);

        let local: Vec<(i64, String)> = sqlx::query_as(
            "SELECT customer_id, matched_on FROM app.customer_conflicts($1, $2, $3)",
        )
        .bind(&registration.email)
        .bind(&registration.username)
        .bind(input.task_uuid())
        .fetch_all(&ctx.db)
        .await
        .map_err(|e| StepError::database("looking up existing customers", e))?;
        taken.extend(
            local
                .into_iter()
                .map(|(id, field)| format!("{field} is taken by customer {id}")),
        );

        if !taken.is_empty() {
            return Err(StepError::permanent("DUPLICATE_USER", taken.join("; ")));
        }
        let check = DuplicateCheck {
            email: registration.email,
            username: registration.username,
            api_candidates: candidates.len(),
            available: true,
        };
        output(&check)
    }
}

/// Exact (case-insensitive) collisions of the registration with API users.
fn collisions(users: &[ApiUser], registration: &Registration) -> Vec<String> {
    let mut taken = Vec::new();
    let same =
        |a: &Option<String>, b: &str| a.as_deref().is_some_and(|a| a.eq_ignore_ascii_case(b));
    for user in users {
        if same(&user.email, &registration.email) {
            taken.push(format!("email is taken by API user {}", user.id));
        }
        if same(&user.username, &registration.username) {
            taken.push(format!("username is taken by API user {}", user.id));
        }
    }
    taken.sort();
    taken.dedup();
    taken
}

#[cfg(test)]
mod tests {
    use super::*;

    fn registration() -> Registration {
        Registration {
            email: "jane@example.com".into(),
            username: "jane".into(),
            plan: "pro".into(),
            full_name: "Jane".into(),
            locale: "en-US".into(),
            timezone: "UTC".into(),
        }
    }

    fn user(id: i64, email: &str, username: &str) -> ApiUser {
        ApiUser {
            id,
            email: Some(email.into()),
            username: Some(username.into()),
        }
    }

    #[test]
    fn only_exact_matches_collide() {
        let near = [
            user(1, "jane@example.com.au", "janet"),
            user(2, "x@example.com", "jane_doe"),
        ];
        assert!(collisions(&near, &registration()).is_empty());

        let exact = [
            user(3, "JANE@example.com", "someone"),
            user(4, "y@example.com", "Jane"),
        ];
        assert_eq!(
            collisions(&exact, &registration()),
            [
                "email is taken by API user 3",
                "username is taken by API user 4"
            ]
        );
    }

    #[test]
    fn the_same_user_found_twice_is_reported_once() {
        let twice = [
            user(5, "jane@example.com", "x"),
            user(5, "jane@example.com", "x"),
        ];
        assert_eq!(collisions(&twice, &registration()).len(), 1);
    }
}
