//! Issue 17: app.

#[allow(unused_imports)]
use super::*;
