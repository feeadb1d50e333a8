//! OSC over TCP: framed connections and servers.

mod connection;

pub use connection::{TcpConnection, DEFAULT_MAX_FRAME, MAX_FRAME_LIMIT};
