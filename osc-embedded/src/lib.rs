//! Embedded adapters for [`osc_core`].
//!
//! This crate re-exports `osc-core`, which already runs on bare metal without an allocator. The smoltcp
//! and embedded-io adapters are tracked in the embedded issue and are not part of this release.
#![no_std]
#![forbid(unsafe_code)]

pub use osc_core;
