//! The hash group. (Placeholder: the commands land in the next commits.)

use crate::table::CommandSpec;

/// The hash group's rows.
pub static COMMANDS: &[CommandSpec] = &[];
