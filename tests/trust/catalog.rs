//! Issue 17: catalog.

#[allow(unused_imports)]
use super::*;
