//! Cross-crate and cross-peer tests live in `tests/*.rs`.
