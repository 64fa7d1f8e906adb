//! Issue 17: terminal.

#[allow(unused_imports)]
use super::*;
