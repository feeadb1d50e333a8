//! OSC over UDP: clients and servers.

pub(crate) mod batch;
mod client;
pub(crate) mod server;
mod threaded;

pub(crate) use client::REPLY_BUFFER_SIZE;
pub use client::{DispatchClient, UdpClient, MAX_DATAGRAM};
pub use server::{MulticastGroup, UdpServer, UdpServerBuilder, SCHEDULER_BYTES, SCHEDULER_SLOTS};
pub use threaded::{ReusePortUdpServer, ThreadedUdpServer};
