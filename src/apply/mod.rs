/*!
Carrying out a plan. Planning decided everything; applying only writes.
*/

pub mod fs;
pub mod staging;
