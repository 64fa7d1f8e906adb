//! `validate_registration_data`: check and normalise the registration
//! (email, username, plan, optional full name, locale and timezone). Every
//! problem is reported at once; none of them is worth a retry.

use serde::{Deserialize, Serialize};

use tasker_app_runtime::plausible_email;
use tasker_app_runtime::prelude::*;

pub const PLANS: [&str; 3] = ["free", "pro", "enterprise"];
/// Names nobody may register: they would impersonate the service.
pub const RESERVED_USERNAMES: [&str; 6] =
    ["admin", "root", "support", "system", "billing", "security"];

/// The result of `validate_registration_data`: the normalised registration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Registration {
    pub email: String,
    pub username: String,
    pub plan: String,
    pub full_name: String,
    pub locale: String,
    pub timezone: String,
}

/// The raw fields, as given in the task context.
#[derive(Debug, Clone, Default)]
pub struct RawRegistration<'a> {
    pub email: &'a str,
    pub username: &'a str,
    pub plan: &'a str,
    pub full_name: Option<&'a str>,
    pub locale: Option<&'a str>,
    pub timezone: Option<&'a str>,
}

#[derive(Debug, Default)]
pub struct ValidateRegistrationData;

impl Step for ValidateRegistrationData {
    const NAME: &'static str = "customer.validate_registration_data";

    async fn run(&self, input: StepInput<'_>, _ctx: &AppContext) -> StepResult {
        let raw = RawRegistration {
            email: input.required_str("email")?,
            username: input.required_str("username")?,
            plan: input.required_str("plan")?,
            full_name: input.optional_str("full_name")?,
            locale: input.optional_str("locale")?,
            timezone: input.optional_str("timezone")?,
        };
        let registration =
            normalise(&raw).map_err(|problems| StepError::bad_input(problems.join("; ")))?;
        output(&registration)
    }
}

/// The registration in canonical form (lower-case email, username and plan;
/// defaults filled in), or every rule it breaks.
pub fn normalise(raw: &RawRegistration<'_>) -> Result<Registration, Vec<String>> {
    let mut problems = Vec::new();

    let email = raw.email.trim().to_lowercase();
    if !plausible_email(&email) {
        problems.push(format!("email `{}` is not an email address", raw.email));
    }

    let username = raw.username.trim().to_lowercase();
    if !(3..=30).contains(&username.chars().count()) {
        problems.push(format!(
            "username `{}` must be 3 to 30 characters",
            raw.username
        ));
    }
    if !username.starts_with(|c: char| c.is_ascii_alphabetic())
        || !username
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
    {
        problems.push(format!(
            "username `{}` must start with a letter and hold only letters, digits, `_`, `.` and `-`",
            raw.username
        ));
    }
    if RESERVED_USERNAMES.contains(&username.as_str()) {
        problems.push(format!("username `{username}` is reserved"));
    }

    let plan = raw.plan.trim().to_lowercase();
    if !PLANS.contains(&plan.as_str()) {
        problems.push(format!(
            "plan `{}` is not one of {}",
            raw.plan,
            PLANS.join(", ")
        ));
    }

    let full_name = match raw.full_name.map(str::trim) {
        Some(name) if name.chars().count() > 120 => {
            problems.push("full_name is longer than 120 characters".to_string());
            String::new()
        }
        Some(name) if !name.is_empty() => name.to_string(),
        _ => name_from_username(&username),
    };

    let locale = raw.locale.unwrap_or("en-US").to_string();
    if !valid_locale(&locale) {
        problems.push(format!("locale `{locale}` is not like `en` or `en-US`"));
    }
    let timezone = raw.timezone.unwrap_or("UTC").to_string();
    if !valid_timezone(&timezone) {
        problems.push(format!(
            "timezone `{timezone}` is not like `UTC` or `Europe/Berlin`"
        ));
    }

    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(Registration {
        email,
        username,
        plan,
        full_name,
        locale,
        timezone,
    })
}

/// `jane_doe` -> `Jane Doe`.
fn name_from_username(username: &str) -> String {
    username
        .split(['_', '.', '-'])
        .filter(|part| !part.is_empty())
        .map(|part| {
            let mut chars = part.chars();
            match chars.next() {
                Some(first) => first.to_uppercase().chain(chars).collect::<String>(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// `en`, `en-US`, `pt-BR`: a 2-3 letter language, optionally a 2 letter region.
fn valid_locale(locale: &str) -> bool {
    let mut parts = locale.split('-');
    let language_ok = parts
        .next()
        .is_some_and(|l| (2..=3).contains(&l.len()) && l.chars().all(|c| c.is_ascii_lowercase()));
    let region_ok = match parts.next() {
        None => true,
        Some(r) => r.len() == 2 && r.chars().all(|c| c.is_ascii_uppercase()),
    };
    language_ok && region_ok && parts.next().is_none()
}

/// `UTC` or an IANA-style `Area/Location` name.
fn valid_timezone(timezone: &str) -> bool {
    timezone == "UTC"
        || (timezone.contains('/')
            && timezone.len() <= 64
            && timezone.split('/').all(|part| {
                !part.is_empty()
                    && part
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '+'))
            }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw<'a>(email: &'a str, username: &'a str, plan: &'a str) -> RawRegistration<'a> {
        RawRegistration {
            email,
            username,
            plan,
            ..RawRegistration::default()
        }
    }

    #[test]
    fn a_good_registration_is_normalised_with_defaults() {
        let r = normalise(&raw(" Jane.Doe@Example.com ", "Jane_Doe", "PRO")).expect("valid");
        assert_eq!(r.email, "jane.doe@example.com");
        assert_eq!(r.username, "jane_doe");
        assert_eq!(r.plan, "pro");
        assert_eq!(r.full_name, "Jane Doe");
        assert_eq!(r.locale, "en-US");
        assert_eq!(r.timezone, "UTC");
    }

    #[test]
    fn every_problem_is_reported() {
        let problems = normalise(&raw("not-an-email", "1x", "gold")).unwrap_err();
        assert_eq!(problems.len(), 4, "{problems:?}");
    }

    #[test]
    fn reserved_usernames_are_refused() {
        assert!(normalise(&raw("a@example.com", "Admin", "free")).is_err());
    }

    #[test]
    fn locales_and_timezones_are_checked() {
        let mut r = raw("a@example.com", "alice", "free");
        r.locale = Some("pt-BR");
        r.timezone = Some("America/Sao_Paulo");
        assert!(normalise(&r).is_ok());
        r.locale = Some("english");
        r.timezone = Some("Mars Base");
        assert_eq!(normalise(&r).unwrap_err().len(), 2);
    }
}
