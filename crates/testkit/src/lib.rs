//! ferrite-testkit
