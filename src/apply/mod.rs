/*!
Carrying out a plan. Planning decided everything; applying only writes.
*/

pub mod env_file;
pub mod fs;
pub mod links;
pub mod lock;
pub mod staging;
