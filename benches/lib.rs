//! Holder crate for the criterion benchmarks and the redis-benchmark comparison script.
