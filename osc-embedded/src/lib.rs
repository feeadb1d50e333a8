//! # osc-embedded
//!
//! Open Sound Control endpoints for microcontrollers (and anything else without an OS socket API):
//! [smoltcp](https://docs.rs/smoltcp) UDP and TCP sockets, any `embedded-io` byte stream (UART, USB CDC)
//! and [embassy-net](https://docs.rs/embassy-net). No allocation, no `unsafe`, every buffer is yours.
//!
//! The endpoints are thin drivers around [`osc_core`], which this crate re-exports: they move bytes
//! between a transport and the core's codec, stream framing ([`slip`](osc_core::slip),
//! [`len_prefix`](osc_core::len_prefix)), [`Dispatcher`](osc_core::Dispatcher) and
//! [`Scheduler`](osc_core::Scheduler). One loop, the same on every transport:
//! receive → decode → [`Service::handle`] (dispatch now, or schedule by timetag) → send the handler's
//! [`Replies`](osc_core::Replies) back to the sender.
//!
//! | transport | type | feature |
//! |---|---|---|
//! | smoltcp `udp::Socket` | [`udp::UdpEndpoint`] | `smoltcp` (default) |
//! | smoltcp `tcp::Socket`, client or server, SLIP or length prefix | [`tcp::TcpEndpoint`] | `smoltcp` (default) |
//! | `embedded_io::Read + Write` (UART, USB CDC, …) | [`stream::StreamEndpoint`] | `embedded-io` (default) |
//! | `embedded_io_async::Read + Write`, embassy-net `TcpSocket` | [`stream::StreamEndpoint`] `*_async` methods | `embedded-io-async` |
//! | embassy-net `UdpSocket` | `embassy::UdpEndpoint` | `embassy` |
//!
//! ## Embedded quick start
//!
//! `Cargo.toml` of a firmware (no global allocator needed):
//!
//! ```toml
//! [dependencies]
//! osc-embedded = { version = "0.1", default-features = false, features = ["smoltcp"] }
//! smoltcp = { version = ">=0.13.1, <0.14", default-features = false, features = ["medium-ethernet", "proto-ipv4", "socket-udp"] }
//! ```
//!
//! Add `embedded-io` for a UART, `defmt` for logging, `embassy` for embassy-net. Keep smoltcp's default
//! features off everywhere (they turn on `log`, which cannot coexist with `defmt`) and keep exactly one
//! smoltcp version in the build (0.13.x, the one embassy-net 0.9 uses).
//!
//! A minimal `main` loop: a UDP server on port 9000 that answers `/ping` with `/pong` and stores
//! `/led` values. The network interface, device and socket set are ordinary smoltcp.
//!
//! ```
//! # #[cfg(feature = "smoltcp")] fn main() {
//! use osc_embedded::osc_core::{Dispatcher, HandlerFn, Replies, Request};
//! use osc_embedded::udp::{IpEndpoint, UdpEndpoint};
//! use osc_embedded::Immediate;
//! use smoltcp::socket::udp;
//!
//! struct App { led: i32 }
//!
//! fn ping(_: &mut App, _: &Request<'_, '_, IpEndpoint>, replies: &mut Replies<'_>) {
//!     let _ = replies.message_with("/pong", |m| Ok(m));
//! }
//! fn led(app: &mut App, req: &Request<'_, '_, IpEndpoint>, _: &mut Replies<'_>) {
//!     if let Ok((v,)) = req.message.get::<(i32,)>() {
//!         app.led = v;
//!     }
//! }
//!
//! // Socket storage: yours, on the stack or in statics.
//! let (mut rx_meta, mut rx_data) = ([udp::PacketMetadata::EMPTY; 4], [0u8; 512]);
//! let (mut tx_meta, mut tx_data) = ([udp::PacketMetadata::EMPTY; 4], [0u8; 512]);
//! let mut socket = udp::Socket::new(
//!     udp::PacketBuffer::new(&mut rx_meta[..], &mut rx_data[..]),
//!     udp::PacketBuffer::new(&mut tx_meta[..], &mut tx_data[..]),
//! );
//! socket.bind(9000).unwrap();
//!
//! let mut routes: Dispatcher<HandlerFn<App, IpEndpoint>, 8> = Dispatcher::new();
//! routes.map("/ping", ping).map_err(|e| e.kind).unwrap();
//! routes.map("/led", led).map_err(|e| e.kind).unwrap();
//! let mut app = App { led: 0 };
//!
//! let mut reply_buf = [0u8; 128]; // replies of one packet, and outgoing packets
//! let mut osc = UdpEndpoint::new(&mut reply_buf);
//!
//! // In the main loop, after `iface.poll(now, &mut device, &mut sockets)`:
//! let outcome = osc.poll(&mut socket, &mut Immediate::new(&mut routes, &mut app));
//! assert_eq!(outcome.messages, 0); // nothing arrived in this doctest
//! # }
//! # #[cfg(not(feature = "smoltcp"))] fn main() {}
//! ```
//!
//! To honour bundle timetags, pass a [`Scheduled`] service instead of [`Immediate`]; it needs the
//! current time as a [`TimeTag`](osc_core::TimeTag) and a scratch buffer for due bundles.
//!
//! ## Guarantees
//!
//! - No allocation anywhere (the crate is `no_std` without `alloc`; a firmware that links it without a
//!   global allocator is part of CI) and no `unsafe`.
//! - No panics on any input: malformed datagrams and frames are counted ([`Stats`]) or returned as
//!   [`Error`]; stream decoders resynchronise by themselves.
//! - Bounded work per call: a smoltcp `poll` handles what is queued in the socket, a stream `poll` one frame.
//!
//! ## Footprint
//!
//! Measured by `bash tests/ci/footprint.sh` on `thumbv6m-none-eabi` (Cortex-M0), opt-level `"z"`, fat LTO:
//! a UART firmware that decodes SLIP-framed OSC, dispatches over 8 routes and encodes replies takes
//! 9 128 bytes of flash more than the same I/O without OSC (osc-core's codec, dispatcher and builders,
//! the 8 handlers, and `memcpy`/`memclr`; the osc-embedded endpoint itself is about 0.35 KiB), 280 bytes
//! of static RAM besides your packet and reply buffers, and 788 bytes of stack for decoding, dispatching
//! and replying to a message (1 716 bytes when bundles are dispatched, 1 764 bytes for a
//! `StreamEndpoint::poll`). Measured on 2026-11-24 with Rust 1.95; the repository README has the
//! breakdown.
//!
//! ## Feature flags
//!
//! - `smoltcp` (default): [`udp`] and [`tcp`] endpoints over smoltcp 0.13 sockets.
//! - `embedded-io` (default): [`stream`] over blocking `embedded_io` 0.7 streams.
//! - `embedded-io-async`: the `*_async` methods of [`stream::StreamEndpoint`] over `embedded_io_async` 0.7
//!   (embassy-net's `TcpSocket` implements it).
//! - `embassy`: `embassy::UdpEndpoint` over embassy-net 0.9 (implies `smoltcp` and `embedded-io-async`).
//! - `defmt`: `defmt::Format` for the public types, forwarded to osc-core, smoltcp, embedded-io and
//!   embassy-net.
//!
//! ## MSRV
//!
//! Rust 1.91 (set by smoltcp 0.13).
#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing,
        clippy::todo,
        clippy::unimplemented
    )
)]

pub use osc_core;

mod error;
pub mod framing;
mod service;

#[cfg(feature = "smoltcp")]
pub mod tcp;
#[cfg(feature = "smoltcp")]
pub mod udp;

#[cfg(feature = "embedded-io")]
pub mod stream;

#[cfg(feature = "embassy")]
pub mod embassy;

pub use error::{Error, Stats};
pub use framing::Framing;
pub use service::{Immediate, Scheduled, Service};
