//! ecommerce/order_processing (workflows/ecommerce/order_processing.yaml):
//!
//! ```text
//! validate_cart -> (check_inventory || calculate_pricing) -> create_order -> send_confirmation
//! ```
//! One handler per step, in the file named after it. Each step's result is the
//! serialised struct its file defines; later steps read it back with
//! `StepInput::dependency`.

mod calculate_pricing;
mod check_inventory;
mod create_order;
mod send_confirmation;
mod validate_cart;

pub use calculate_pricing::CalculatePricing;
pub use check_inventory::CheckInventory;
pub use create_order::CreateOrder;
pub use send_confirmation::SendConfirmation;
pub use validate_cart::ValidateCart;

#[cfg(test)]
mod workflow_tests;
