//! Runnable examples: see `examples/*.rs`. The library holds what the benchmark programs share.

pub mod bench;
