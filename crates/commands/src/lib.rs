//! ferrite-commands
