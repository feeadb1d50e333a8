//! Helpers shared by the integration tests.
#![allow(dead_code, unreachable_pub)]

pub mod alloc_counter;
pub mod app;
pub mod netns;
pub mod wire;
