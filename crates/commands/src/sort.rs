//! SORT and SORT_RO (work in progress).

use crate::table::CommandSpec;

/// The rows of SORT and SORT_RO.
pub static COMMANDS: &[CommandSpec] = &[];
