//! The list group. (Placeholder: the commands land in the next commits.)

use crate::table::CommandSpec;

/// The list group's rows.
pub static COMMANDS: &[CommandSpec] = &[];
