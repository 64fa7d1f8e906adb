//! One module per subcommand.

pub mod build;
pub mod check;
pub mod completions;
pub mod generate;
pub mod install_database_objects;
pub mod list_templates;
pub mod update;
pub mod validate_environment;
