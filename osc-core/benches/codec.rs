//! Criterion benchmarks (filled by the benchmark commit).
fn main() {}
