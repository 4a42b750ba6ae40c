//! Ferrite's integration tests: one binary, one module per command family.
