//! The set group. (Placeholder: the commands land in the next commits.)

use crate::table::CommandSpec;

/// The set group's rows.
pub static COMMANDS: &[CommandSpec] = &[];
