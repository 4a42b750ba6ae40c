//! ferrite-config
