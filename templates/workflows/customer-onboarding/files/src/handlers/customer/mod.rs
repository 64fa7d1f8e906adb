//! customer/user_onboarding (workflows/customer/user_onboarding.yaml):
//!
//! ```text
//! validate_registration_data -> check_duplicate_user -> create_account
//!     -> (setup_preferences || send_welcome_email) -> complete_onboarding
//! ```
//! One handler per step, in the file named after it. Each step's result is the
//! serialised struct its file defines; later steps read it back with
//! `StepInput::dependency`.

mod check_duplicate_user;
mod complete_onboarding;
mod create_account;
mod send_welcome_email;
mod setup_preferences;
mod validate_registration_data;

pub use check_duplicate_user::CheckDuplicateUser;
pub use complete_onboarding::CompleteOnboarding;
pub use create_account::CreateAccount;
pub use send_welcome_email::SendWelcomeEmail;
pub use setup_preferences::SetupPreferences;
pub use validate_registration_data::ValidateRegistrationData;

#[cfg(test)]
mod workflow_tests;
