//! Issue 17: db.

#[allow(unused_imports)]
use super::*;
