//! The `ferrite-server` binary.
fn main() {}
