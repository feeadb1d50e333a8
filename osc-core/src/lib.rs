//! Stub: replaced by the codec commit.
#![no_std]
#![forbid(unsafe_code)]

mod framing;
pub mod len_prefix;
pub mod pattern;
pub mod slip;

pub use framing::FrameError;
