//! [`Counters`]: what a running server has seen, readable from any thread, and the last packet it
//! could not use ([`Malformed`]).

use std::fmt;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use osc_core::{DecodeError, FrameError, Outcome};

/// Live counters of a server, shared through an `Arc` and readable while it runs.
///
/// Every server form owns one (`server.counters()` returns the `Arc`); all its threads add to it
/// with relaxed atomics, so reading is cheap and never blocks the server. [`snapshot`](Self::snapshot)
/// copies the values into a plain [`Stats`]. The batched UDP receive loops add the counts of a
/// batch of datagrams together once it is handled, and always before a reply to one of them is
/// sent.
///
/// Besides the counts it keeps the last packet the server could not use
/// ([`last_malformed`](Self::last_malformed)), so that a count of malformed packets that goes up
/// can be traced to a sender and a reason.
///
/// ```
/// use osc_std::Counters;
///
/// let c = Counters::default();
/// assert_eq!(c.snapshot().received, 0);
/// assert!(c.last_malformed().is_none());
/// ```
#[derive(Debug, Default)]
pub struct Counters {
    received: AtomicU64,
    malformed: AtomicU64,
    messages: AtomicU64,
    unmatched: AtomicU64,
    scheduled: AtomicU64,
    late: AtomicU64,
    too_far: AtomicU64,
    dropped: AtomicU64,
    panics: AtomicU64,
    replies: AtomicU64,
    reply_errors: AtomicU64,
    connections: AtomicU64,
    rejected: AtomicU64,
    last_malformed: Mutex<Option<Malformed>>,
}

/// A copy of a server's [`Counters`] at one moment.
///
/// For a datagram server, `received == (datagrams that decoded) + malformed`, exactly; for a stream
/// server the same holds for frames.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Stats {
    /// Datagrams (UDP) or frames (TCP) received, good or bad.
    pub received: u64,
    /// Datagrams or frames that are not valid OSC packets, plus stream framing errors (a frame too
    /// long, a bad SLIP escape, a negative length prefix).
    pub malformed: u64,
    /// Messages dispatched (each message of a bundle counts), at once or when their bundle fired.
    /// The messages of a packet whose handler panicked are not counted here (see `panics`); with
    /// async handlers (`tokio::AsyncRoutes`) a message counts when it is dispatched, before its
    /// handler's future runs, so one whose future panics is counted both here and in `panics`.
    pub messages: u64,
    /// Messages that matched no route (the default handler, if any, ran for them).
    pub unmatched: u64,
    /// Bundles queued by the scheduler to fire later.
    pub scheduled: u64,
    /// Bundles dropped for arriving too late ([`TimePolicy::DropLate`](osc_core::TimePolicy)).
    pub late: u64,
    /// Bundles dropped for being timed further ahead than the server's schedule horizon (the
    /// builders' `schedule_horizon`, default [`DEFAULT_SCHEDULE_HORIZON`](crate::DEFAULT_SCHEDULE_HORIZON)).
    pub too_far: u64,
    /// Packets or bundles dropped for lack of room: scheduler full, worker queue full, or a
    /// bundle nested deeper than the dispatcher walks.
    pub dropped: u64,
    /// Handler panics caught; the server went on with the next packet.
    pub panics: u64,
    /// Reply packets sent.
    pub replies: u64,
    /// Reply packets that could not be sent (a socket error, or a peer gone).
    pub reply_errors: u64,
    /// Connections accepted (TCP).
    pub connections: u64,
    /// Connections refused because the server was at its connection limit (TCP).
    pub rejected: u64,
}

macro_rules! bump {
    ($($(#[$doc:meta])* $name:ident => $field:ident;)*) => {
        $(
            $(#[$doc])*
            pub(crate) fn $name(&self, n: u64) {
                if n != 0 {
                    self.$field.fetch_add(n, Ordering::Relaxed);
                }
            }
        )*
    };
}

impl Counters {
    /// Fresh counters, all zero.
    pub fn new() -> Self {
        Self::default()
    }

    /// The current values.
    pub fn snapshot(&self) -> Stats {
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        Stats {
            received: get(&self.received),
            malformed: get(&self.malformed),
            messages: get(&self.messages),
            unmatched: get(&self.unmatched),
            scheduled: get(&self.scheduled),
            late: get(&self.late),
            too_far: get(&self.too_far),
            dropped: get(&self.dropped),
            panics: get(&self.panics),
            replies: get(&self.replies),
            reply_errors: get(&self.reply_errors),
            connections: get(&self.connections),
            rejected: get(&self.rejected),
        }
    }

    bump! {
        add_received => received;
        add_malformed => malformed;
        add_dropped => dropped;
        add_panics => panics;
        add_replies => replies;
        add_reply_errors => reply_errors;
        add_connections => connections;
        add_rejected => rejected;
    }

    /// The last datagram or frame that was counted in [`Stats::malformed`]: who sent it and what was
    /// wrong, with the byte offset. `None` until there has been one.
    ///
    /// It is recorded when the packet is dropped, which can be just before the count moves.
    pub fn last_malformed(&self) -> Option<Malformed> {
        *self.last_malformed_slot()
    }

    /// Records `m` as the last malformed packet (the caller counts it).
    pub(crate) fn note_malformed(&self, m: Malformed) {
        *self.last_malformed_slot() = Some(m);
    }

    /// The last malformed packet, locked (a poisoned lock still holds a whole `Option`).
    fn last_malformed_slot(&self) -> MutexGuard<'_, Option<Malformed>> {
        self.last_malformed
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Adds what a dispatch or scheduler call reports.
    pub(crate) fn add_outcome(&self, o: &Outcome) {
        let add = |a: &AtomicU64, n: usize| {
            if n != 0 {
                a.fetch_add(n as u64, Ordering::Relaxed);
            }
        };
        add(&self.messages, o.messages);
        add(&self.unmatched, o.unmatched);
        add(&self.scheduled, o.scheduled);
        add(&self.late, o.late);
        add(&self.too_far, o.too_far);
        add(&self.dropped, o.overflow + o.too_deep);
    }
}

/// A datagram or stream frame that a server dropped because it could not use it
/// ([`Counters::last_malformed`]).
///
/// ```
/// use osc_std::{Malformed, MalformedError};
///
/// let error = osc_std::osc_core::decode(b"/a\0\0,q\0\0").unwrap_err();
/// let m = Malformed {
///     from: "127.0.0.1:9000".parse().unwrap(),
///     error: MalformedError::Decode(error),
///     len: 8,
/// };
/// assert_eq!(
///     m.to_string(),
///     "8-byte packet from 127.0.0.1:9000: unknown type tag 'q' at byte 5"
/// );
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Malformed {
    /// The sender (UDP) or the peer of the connection (TCP).
    pub from: SocketAddr,
    /// What was wrong.
    pub error: MalformedError,
    /// The length of the datagram or frame in bytes; 0 for a framing error (no frame was delivered).
    pub len: usize,
}

/// Why a packet was dropped: see [`Malformed`].
#[non_exhaustive]
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum MalformedError {
    /// The datagram or frame is not a valid OSC packet (with the byte offset of the fault).
    Decode(DecodeError),
    /// The stream could not be cut into a frame (too long, a bad SLIP escape, a negative length
    /// prefix).
    Frame(FrameError),
}

impl fmt::Display for Malformed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.error {
            MalformedError::Decode(e) => {
                write!(f, "{}-byte packet from {}: {e}", self.len, self.from)
            }
            MalformedError::Frame(e) => write!(f, "bad stream frame from {}: {e}", self.from),
        }
    }
}
