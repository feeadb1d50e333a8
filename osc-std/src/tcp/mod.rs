//! OSC over TCP: framed connections and servers.

mod connection;
pub(crate) mod server;

pub use connection::{TcpConnection, DEFAULT_MAX_FRAME, MAX_FRAME_LIMIT};
pub use server::{TcpServer, TcpServerBuilder, TCP_SCHEDULER_BYTES, TCP_SCHEDULER_SLOTS};
