//! Stub: replaced by the codec commit.
#![no_std]
#![forbid(unsafe_code)]

pub mod len_prefix;
pub mod pattern;
pub mod slip;
