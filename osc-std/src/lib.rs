//! # osc-std
//!
//! Open Sound Control over UDP and TCP on `std`: clients, servers, timed bundles, counters.
//!
//! This crate is a thin driver around [`osc_core`] (re-exported): osc-core holds the one codec,
//! address matcher, [`Dispatcher`](osc_core::Dispatcher), [`Scheduler`](osc_core::Scheduler) and
//! stream framing; osc-std moves bytes between sockets and those, reads the clock
//! ([`time`]), and runs threads or tokio tasks. Handlers are ordinary osc-core handlers, so the
//! same routing table serves a desktop server, an embedded device and a test.
//!
//! ## Clients
//!
//! - [`UdpClient`]: send messages, bundles or raw bytes; receive and decode replies, with a
//!   timeout. `connect` for one server, `bind` for an unconnected socket (`send_to`, receive from
//!   anyone).
//! - [`DispatchClient`]: a `UdpClient` whose received packets go to a `Dispatcher`.
//! - [`TcpConnection`]: one TCP stream in [`Framing::Slip`] (OSC 1.1) or
//!   [`Framing::LengthPrefix`] (OSC 1.0) frames.
//! - `tokio::UdpClient` and `tokio::TcpConnection` (feature `tokio`): the same, async, with
//!   cancel-safe receives, and `dispatch` / `dispatch_async` for synchronous or async handlers.
//! - [`udp::UdpServer::client`]: sends from a server's own socket, for pushes to subscribers.
//! - [`StreamConnection`]: the same framing over any byte stream (a Unix socket, a pipe), with
//!   [`handle_one`](StreamConnection::handle_one) to dispatch what arrives and reply on the stream.
//! - `serial::open` (feature `serial`): a `StreamConnection` on a serial port, the host side of a
//!   board that speaks SLIP-framed OSC over USB or a UART (Arduino and Teensy with CNMAT's
//!   `SLIPEncodedSerial`, or osc-embedded's `StreamEndpoint`).
//!
//! ```
//! use std::time::Duration;
//! use osc_core::Arg;
//! use osc_std::UdpClient;
//!
//! let mut peer = UdpClient::bind("127.0.0.1:0")?;
//! let mut client = UdpClient::connect(peer.local_addr()?)?;
//! client.send_message("/synth/1/freq", &[Arg::Int(440), Arg::Float(0.5), Arg::String("sine")])?;
//! let (packet, from) = peer.recv(Some(Duration::from_secs(5)))?.expect("a datagram");
//! assert_eq!(packet.as_message().unwrap().address(), "/synth/1/freq");
//! assert_eq!(from, client.local_addr()?);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Servers
//!
//! Every server dispatches each received packet to osc-core handlers, queues bundles timed for
//! later in a scheduler (without ever holding up the packets behind them), and sends the
//! handlers' [`Replies`](osc_core::Replies) back to the sender: UDP replies from the server's own
//! socket, TCP replies on the same connection. Each has a [`Shutdown`] handle, live [`Counters`]
//! and a `spawn` method that runs it on its own thread and returns a [`ServerHandle`].
//!
//! | form | type | threads |
//! |---|---|---|
//! | blocking UDP | [`udp::UdpServer`] | the caller's |
//! | threaded UDP | [`udp::ThreadedUdpServer`] | a receive loop + a worker pool fed through bounded queues |
//! | reuse-port UDP | [`udp::ReusePortUdpServer`] | N sockets on one port (`SO_REUSEPORT`), one thread each |
//! | threaded TCP | [`tcp::TcpServer`] | an accept loop + one thread per connection, up to a limit |
//! | async UDP / TCP | `tokio::UdpServer` / `tokio::TcpServer` | tokio tasks (feature `tokio`); synchronous handlers, or async ones with `tokio::AsyncRoutes` |
//!
//! The socket options (address reuse, multicast groups on a chosen interface, broadcast, buffer
//! sizes, time policy, reply buffer, framing, limits, timeouts) are set on
//! [`udp::UdpServerBuilder`] and [`tcp::TcpServerBuilder`].
//!
//! **Blocking UDP**: the thread that calls `run` serves until the shutdown handle fires.
//!
//! ```
//! use std::net::SocketAddr;
//! use std::time::Duration;
//! use osc_core::{Arg, Dispatcher, HandlerFn, Replies, Request};
//! use osc_std::{udp::UdpServer, UdpClient};
//!
//! fn freq(hz: &mut f32, req: &Request<'_, '_, SocketAddr>, replies: &mut Replies<'_>) {
//!     if let Ok((f,)) = req.message.get::<(f32,)>() {
//!         *hz = f;
//!         let _ = replies.message_with("/freq/ack", |m| m.float(f));
//!     }
//! }
//! let mut routes: Dispatcher<HandlerFn<f32, SocketAddr>, 8> = Dispatcher::new();
//! routes.map("/freq", freq).map_err(|e| e.kind)?;
//!
//! let mut server = UdpServer::bind("127.0.0.1:0")?;
//! let (addr, stop) = (server.local_addr()?, server.shutdown_handle());
//! let mut hz = 0.0;
//! std::thread::scope(|s| {
//!     s.spawn(|| server.run(&mut routes, &mut hz));
//!     let mut client = UdpClient::connect(addr)?;
//!     client.send_message("/freq", &[Arg::Float(440.0)])?;
//!     let (ack, _) = client.recv(Some(Duration::from_secs(5)))?.expect("an ack");
//!     assert_eq!(ack.as_message().unwrap().address(), "/freq/ack");
//!     stop.shutdown();
//!     Ok::<(), Box<dyn std::error::Error>>(())
//! })?;
//! assert_eq!(hz, 440.0);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! **Threaded UDP** and **reuse-port UDP**: `run` takes a factory that each worker calls on its
//! own thread to build its own dispatcher and context (a `Dispatcher` dispatches through
//! `&mut self`, so workers do not share one); share state through the context, e.g. an
//! `Arc<Mutex<_>>` or atomics. See [`udp::ThreadedUdpServer`] for the details.
//!
//! ```
//! use std::net::SocketAddr;
//! use std::sync::atomic::{AtomicUsize, Ordering};
//! use std::sync::Arc;
//! use osc_core::{Dispatcher, HandlerFn};
//! use osc_std::{udp::UdpServer, UdpClient};
//!
//! let hits = Arc::new(AtomicUsize::new(0));
//! let shared = hits.clone();
//! let server = UdpServer::builder()
//!     .workers(4)
//!     .bind_threaded("127.0.0.1:0")?
//!     .spawn(move |_worker| {
//!         let mut d: Dispatcher<HandlerFn<Arc<AtomicUsize>, SocketAddr>, 4> = Dispatcher::new();
//!         d.map("/hit", |hits, _, _| { hits.fetch_add(1, Ordering::Relaxed); }).unwrap();
//!         (d, shared.clone())
//!     })?;
//! UdpClient::connect(server.local_addr())?.send_message("/hit", &[])?;
//! # let t = std::time::Instant::now();
//! # while hits.load(Ordering::Relaxed) == 0 && t.elapsed().as_secs() < 5 { std::thread::sleep(std::time::Duration::from_millis(1)); }
//! server.stop()?;
//! assert_eq!(hits.load(Ordering::Relaxed), 1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ```
//! # use std::net::SocketAddr;
//! # use osc_core::{Dispatcher, HandlerFn};
//! # use osc_std::udp::UdpServer;
//! // Reuse-port: the same factory, one socket and one thread per worker.
//! let server = UdpServer::builder()
//!     .workers(2)
//!     .bind_reuse_port("127.0.0.1:0")?
//!     .spawn(|_worker| (Dispatcher::<HandlerFn<(), SocketAddr>, 4>::new(), ()))?;
//! server.stop()?;
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! **TCP**: a factory per connection; the framing is fixed or detected per connection.
//!
//! ```
//! use std::net::SocketAddr;
//! use std::time::Duration;
//! use osc_core::{Dispatcher, HandlerFn};
//! use osc_std::{tcp::TcpServer, Framing, FramingMode, TcpConnection};
//!
//! let server = TcpServer::builder()
//!     .framing(FramingMode::Auto)
//!     .bind("127.0.0.1:0")?
//!     .spawn(|_peer| {
//!         let mut d: Dispatcher<HandlerFn<(), SocketAddr>, 4> = Dispatcher::new();
//!         d.map("/echo", |_, req, replies| { let _ = replies.send(&req.message); }).unwrap();
//!         (d, ())
//!     })?;
//! let mut conn = TcpConnection::connect(server.local_addr(), Framing::LengthPrefix)?;
//! conn.send_message("/echo", &[osc_core::Arg::Int(7)])?;
//! assert!(conn.recv(Some(Duration::from_secs(5)))?.is_some());
//! server.stop()?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! **tokio**: see the `osc_std::tokio` module (feature `tokio`), where `run_async` serves async
//! handlers.
//!
//! A message that must outlive its receive buffer (for a channel, another thread or a task) is
//! copied into an [`OwnedMessage`].
//!
//! ## Guarantees
//!
//! - **Bad input never takes a server down**, nor costs a neighbouring good packet: a datagram or
//!   frame that does not decode is counted ([`Stats::malformed`]) and dropped (the last one, with
//!   its sender and what was wrong, is kept: [`Counters::last_malformed`]); a TCP stream
//!   resynchronises on the next frame (a negative length prefix, which cannot be resynchronised,
//!   closes that connection only); a handler that panics is caught and counted
//!   ([`Stats::panics`]) and the server goes on.
//! - **Nothing blocks on a timetag**: bundles due later wait in osc-core's scheduler; the receive
//!   loop wakes for the next packet or the next deadline, whichever comes first, and fires
//!   bundles within a fraction of a millisecond of their time.
//! - **Bounded memory, no allocation per packet** after start-up on the UDP servers, the TCP
//!   server and the clients (tested with a counting allocator): buffers, queues and scheduler
//!   storage are sized up front. A full queue or scheduler drops and counts ([`Stats::dropped`]).
//!   The async handlers of the tokio servers and clients are the exception: each call copies its
//!   message into an [`OwnedMessage`] and boxes its future.
//! - **No datagram is truncated**: UDP receive buffers hold 64 KiB.
//! - **Batched UDP on Linux and Android**: the blocking and reuse-port receive loops take up to 32
//!   datagrams per `recvmmsg` call and send the replies to them with one `sendmmsg`
//!   ([`udp::UdpServerBuilder::recv_batch`]); the tokio server receives the same way each time
//!   its socket is readable, and sends each reply with its own `send_to`. Elsewhere one datagram
//!   per call. Those two calls are the crate's only `unsafe` code, in one small module.
//!
//! ## Feature flags
//!
//! - `tokio`: the async servers (with synchronous or async handlers) and clients in `osc_std::tokio`
//!   (tokio 1.x).
//! - `serial`: serial ports (the `osc_std::serial` module) on the `serialport` crate, without
//!   libudev.
//! - `cli`: the `osc` command-line tool (`osc send`, `dump`, `replay`, `decode`, `encode`, over
//!   UDP, TCP and serial ports; clap 4).
//!
//! ## MSRV
//!
//! Rust 1.87, as osc-core.
#![deny(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub use osc_core;

mod counters;
mod engine;
mod error;
mod framing;
mod handle;
mod owned;
#[cfg(feature = "serial")]
#[cfg_attr(docsrs, doc(cfg(feature = "serial")))]
pub mod serial;
mod shutdown;
mod sock;
pub mod stream;
pub mod tcp;
pub mod time;
#[cfg(feature = "tokio")]
#[cfg_attr(docsrs, doc(cfg(feature = "tokio")))]
pub mod tokio;
pub mod udp;

pub use counters::{Counters, Malformed, MalformedError, Stats};
pub use engine::DEFAULT_SCHEDULE_HORIZON;
pub use error::Error;
pub use framing::{Framing, FramingMode, ParseFramingError};
pub use handle::ServerHandle;
pub use owned::OwnedMessage;
pub use shutdown::Shutdown;
pub use stream::StreamConnection;
pub use tcp::{TcpConnection, TcpServer};
pub use udp::{DispatchClient, UdpClient, UdpServer};
