//! # osc-core
//!
//! An [Open Sound Control](https://opensoundcontrol.stanford.edu/) 1.0 and 1.1 implementation that runs
//! unchanged from a Cortex-M0 to a desktop: `#![no_std]`, no `alloc`, no `unsafe`, and no panics on any
//! input. It is *sans-I/O*: it encodes into buffers you own, decodes zero-copy from bytes you lend it,
//! frames streams, and never touches a socket or a clock; time comes in as a [`TimeTag`] value.
//!
//! ## Layers
//!
//! - **Codec** — [`decode`] validates a packet in one pass and returns a [`Packet`]: a [`Message`]
//!   (address + [`Args`]) or a [`Bundle`] (a [`TimeTag`] + elements). Strings and blobs borrow from the
//!   input. After validation, iterating arguments and elements cannot fail. [`DecodeConfig`] selects the
//!   tolerant (default) or strict profile and the nesting limit.
//! - **Encoding** — [`Message::encode`], [`Bundle::encode`] and [`Packet::encode`] write into `&mut [u8]`
//!   after computing the exact [`encoded_len`](Packet::encoded_len); [`MessageBuilder`] and
//!   [`BundleBuilder`] build in place without any intermediate value. Handlers reply through
//!   [`Replies`], with [`Replies::message`] (chained `&mut` calls, the least code) or
//!   [`Replies::message_with`].
//! - **Typed access** — [`Message::get`] extracts `(i32, f32, &str)`-style tuples in one call via
//!   [`FromArg`].
//! - **Time** — [`TimeTag`]: NTP 64-bit timestamps with exact integer conversions.
//! - **Stream framing** — [`slip`] (OSC 1.1) and [`len_prefix`] (OSC 1.0) encoders and incremental
//!   decoders.
//! - **Address patterns** — [`pattern`]: validation and the spec-exact matcher, OSC 1.1 `//` included,
//!   and the address parts a pattern's wildcards matched ([`pattern::captures`]).
//!
//! ## Guarantees
//!
//! - No input, however malformed, makes any function here panic, allocate, or use stack that grows with
//!   the input: nesting is validated iteratively and limited ([`DEFAULT_MAX_DEPTH`]).
//! - Every failure is a typed error ([`DecodeError`] with the byte offset, [`EncodeError`], [`ArgError`]) with
//!   a `Display` text and `core::error::Error`.
//! - Encoding never writes a truncated packet: a short buffer is [`EncodeError::BufferTooSmall`] with the
//!   number of bytes needed.
//!
//! ## Example
//!
//! ```
//! use osc_core::{decode, Arg, Message};
//!
//! let mut buf = [0u8; 64];
//! let msg = Message::new("/synth/1/freq", &[Arg::Int(440), Arg::Float(0.5), Arg::String("sine")]);
//! let n = msg.encode(&mut buf)?;
//!
//! let packet = decode(&buf[..n])?;
//! let msg = packet.as_message().unwrap();
//! let (freq, gain, wave): (i32, f32, &str) = msg.get()?;
//! assert_eq!((freq, gain, wave), (440, 0.5, "sine"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Feature flags
//!
//! - `defmt` — derive `defmt::Format` for the public types (for logging on embedded targets).
//! - `small` — prefer code size to speed, for firmware: the same results and errors from less code
//!   (see the feature's description in `Cargo.toml`).
//!
//! ## MSRV
//!
//! Rust 1.87 (set by `heapless` 0.9).
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

mod builder;
mod bundle;
mod decode;
mod dispatch;
mod display;
mod error;
mod extract;
mod framing;
mod message;
mod packet;
mod reply;
mod schedule;
mod timetag;
mod types;
mod wire;

pub mod len_prefix;
pub mod pattern;
pub mod slip;

pub use builder::{BundleBuilder, MessageBuilder};
pub use bundle::{Bundle, Elements};
pub use decode::{DecodeConfig, BUNDLE_TAG, DEFAULT_MAX_DEPTH, MAX_DEPTH_LIMIT};
pub use dispatch::{Dispatcher, Handler, HandlerFn, MapError, MapErrorKind, Outcome, Request};
pub use error::{ArgError, DecodeError, DecodeErrorKind, EncodeError};
pub use extract::{FromArg, FromArgs, Num};
pub use framing::FrameError;
pub use message::Message;
pub use packet::{decode, Packet};
pub use reply::{Replies, ReplyIter, ReplyMessage};
pub use schedule::{ScheduleError, Scheduler, SchedulerStats, TimePolicy};
pub use timetag::{TimeTag, TimeTagError, NTP_UNIX_OFFSET};
pub use types::{Arg, ArgIter, Args, Color, Midi, TypeTag};
