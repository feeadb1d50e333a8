//! Hosted adapters for [`osc_core`]: UDP and TCP clients and servers on `std`.
//!
//! Work in progress: see the module docs of each item.

pub use osc_core;

mod counters;
mod engine;
mod error;
mod framing;
mod handle;
mod shutdown;
mod sock;
pub mod tcp;
pub mod time;
#[cfg(feature = "tokio")]
pub mod tokio;
pub mod udp;

pub use counters::{Counters, Stats};
pub use error::Error;
pub use framing::{Framing, FramingMode, ParseFramingError};
pub use handle::ServerHandle;
pub use shutdown::Shutdown;
pub use tcp::{TcpConnection, TcpServer};
pub use udp::{DispatchClient, UdpClient, UdpServer};
