//! What the step handlers share: calling the external API (`api`), reading a
//! step's inputs (`input`), money in cents (`money`), and turning an outcome
//! into the engine's result (`outcome`).
//!
//! A handler's work is an `async fn run(&self, step) -> Result<Value, StepError>`;
//! `outcome::finish` turns that into a `StepExecutionResult` with the failure
//! classified as retryable or permanent, so every handler reports errors the
//! same way.

// Not every app has all three workflows: a helper (or re-export) that the
// chosen ones do not use is fine.
#![allow(dead_code, unused_imports)]

pub mod api;
#[cfg(test)]
pub mod harness;
pub mod input;
pub mod money;
pub mod outcome;

pub use api::{ApiClient, ApiError};
pub use input::{StepInput, plausible_email};
pub use money::{format_cents, percent_of, to_cents, wholesale_cost};
pub use outcome::{StepError, finish};
