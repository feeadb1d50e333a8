//! OSC over UDP: clients and servers.

mod client;

pub use client::{DispatchClient, UdpClient, MAX_DATAGRAM};
