//! ferrite-storage
