//! Criterion benchmarks of the RESP decoder and encoder.
fn main() {}
