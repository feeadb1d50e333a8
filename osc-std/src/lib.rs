//! Hosted adapters for [`osc_core`].
//!
//! This crate re-exports `osc-core` so that a desktop application needs one dependency. The UDP and TCP
//! clients and servers are tracked in the std issue and are not part of this release: nothing here
//! opens a socket yet.

pub use osc_core;
