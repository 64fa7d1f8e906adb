//! Issue 17: paths.

#[allow(unused_imports)]
use super::*;
