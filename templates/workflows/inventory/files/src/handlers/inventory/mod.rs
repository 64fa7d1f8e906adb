//! inventory/stock_management (workflows/inventory/stock_management.yaml):
//!
//! ```text
//! monitor_stock_levels -> identify_low_stock -> (create_purchase_orders || notify_warehouse)
//!                      -> update_inventory_report
//! ```
//! One handler per step, in the file named after it. Each step's result is the
//! serialised struct its file defines; later steps read it back with
//! `StepInput::dependency`.

mod create_purchase_orders;
mod identify_low_stock;
mod monitor_stock_levels;
mod notify_warehouse;
mod update_inventory_report;

pub use create_purchase_orders::CreatePurchaseOrders;
pub use identify_low_stock::IdentifyLowStock;
pub use monitor_stock_levels::MonitorStockLevels;
pub use notify_warehouse::NotifyWarehouse;
pub use update_inventory_report::UpdateInventoryReport;

#[cfg(test)]
mod workflow_tests;
