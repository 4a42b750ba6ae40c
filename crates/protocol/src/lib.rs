//! ferrite-protocol
