//! The per-thread state every server form drives: osc-core's scheduler and dispatcher, a reply
//! buffer, and the counters. Transports only move bytes in and out.

use std::net::SocketAddr;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::time::Duration;

use osc_core::{
    DecodeConfig, Dispatcher, Handler, Outcome, Packet, Replies, ReplyIter, Scheduler, TimePolicy,
    TimeTag,
};

use crate::counters::{Counters, Malformed, MalformedError};

/// How far ahead a server queues a timed bundle unless told otherwise (the builders'
/// `schedule_horizon`): one hour. A bundle due later is dropped and counted in
/// [`Stats::too_far`](crate::Stats::too_far), so that a peer, or a sender whose clock is off by
/// hours, cannot fill the queue with bundles that would wait for days.
pub const DEFAULT_SCHEDULE_HORIZON: Duration = Duration::from_secs(60 * 60);

/// Receive → decode → schedule or dispatch → collect replies, for one thread.
///
/// The scheduler is allocated at the first bundle: a connection or thread that only ever receives
/// messages never holds its arena (`BYTES`, 64 KiB per TCP connection), which keeps idle and
/// message-only TCP connections small. Nothing else allocates after [`Engine::new`]; handler panics
/// are caught and counted.
pub(crate) struct Engine<const SLOTS: usize, const BYTES: usize> {
    scheduler: Option<Box<Scheduler<SocketAddr, SLOTS, BYTES>>>,
    policy: TimePolicy,
    horizon: Option<Duration>,
    reply_buf: Box<[u8]>,
    reply_len: usize,
    decode: DecodeConfig,
    counters: Arc<Counters>,
    pending: Pending,
}

/// What [`Engine::handle_batched`] counted and [`Engine::publish`] has not yet added to the shared
/// counters: plain integers, so that a batch of packets costs one atomic add per counter that moved.
#[derive(Copy, Clone, Debug, Default)]
struct Pending {
    outcome: Outcome,
    malformed: u64,
    panics: u64,
}

impl<const SLOTS: usize, const BYTES: usize> Engine<SLOTS, BYTES> {
    pub(crate) fn new(
        policy: TimePolicy,
        horizon: Option<Duration>,
        reply_buffer: usize,
        decode: DecodeConfig,
        counters: Arc<Counters>,
    ) -> Self {
        Self {
            scheduler: None,
            policy,
            horizon,
            reply_buf: vec![0u8; reply_buffer].into_boxed_slice(),
            reply_len: 0,
            decode,
            counters,
            pending: Pending::default(),
        }
    }

    pub(crate) fn counters(&self) -> &Counters {
        &self.counters
    }

    /// Decodes one received packet: a message is dispatched at once, whatever the time; a bundle goes
    /// to the scheduler (allocated now if this is the first), which dispatches what is due and queues
    /// the rest. Counts a malformed packet, the outcome or a panic; the replies are then in
    /// [`replies`](Self::replies), for `from`. `received` is counted by the caller.
    ///
    /// `now` is called only for a bundle.
    pub(crate) fn handle<'r, H, C, const N: usize>(
        &mut self,
        now: impl FnOnce() -> TimeTag,
        bytes: &[u8],
        from: SocketAddr,
        dispatcher: &mut Dispatcher<'r, H, N>,
        ctx: &mut C,
    ) where
        H: Handler<C, SocketAddr>,
    {
        self.handle_batched(now, bytes, &from, dispatcher, ctx);
        self.publish();
    }

    /// [`handle`](Self::handle), keeping the counts for the next [`publish`](Self::publish): a
    /// receive loop publishes once per batch, and before the replies of a packet can leave (so that
    /// a peer that got a reply sees its packet counted).
    ///
    /// The decoded packet, the sender and the counts stay where they are (a reference to each is
    /// passed on) rather than being copied as values just written: a load that spans several
    /// recent smaller stores stalls the processor until they are written.
    pub(crate) fn handle_batched<'r, H, C, const N: usize>(
        &mut self,
        now: impl FnOnce() -> TimeTag,
        bytes: &[u8],
        from: &SocketAddr,
        dispatcher: &mut Dispatcher<'r, H, N>,
        ctx: &mut C,
    ) where
        H: Handler<C, SocketAddr>,
    {
        self.reply_len = 0;
        let decoded = self.decode.decode(bytes);
        let packet = match &decoded {
            Ok(packet) => packet,
            Err(e) => {
                self.pending.malformed += 1;
                self.counters.note_malformed(Malformed {
                    from: *from,
                    error: MalformedError::Decode(*e),
                    len: bytes.len(),
                });
                return;
            }
        };
        let mut replies = Replies::new(&mut self.reply_buf);
        let (scheduler, pending) = (&mut self.scheduler, &mut self.pending);
        let (policy, horizon) = (self.policy, self.horizon);
        // The counts of a packet whose handler panics are dropped (see `Stats::messages`).
        let before = pending.outcome;
        let result = catch_unwind(AssertUnwindSafe(|| match packet {
            // What the scheduler does with a message: dispatch it at once, here into the counts.
            Packet::Message(m) => {
                dispatcher.dispatch_message(m, None, ctx, from, &mut replies, &mut pending.outcome);
            }
            Packet::Bundle(_) => {
                let scheduler = scheduler.get_or_insert_with(|| {
                    let mut s = Box::new(Scheduler::new(policy));
                    s.set_horizon(horizon);
                    s
                });
                let outcome = scheduler.handle(now(), packet, dispatcher, ctx, from, &mut replies);
                pending.outcome.add(&outcome);
            }
        }));
        // Replies made before a panic are kept: their handlers' side effects happened too.
        self.reply_len = replies.as_length_prefixed().len();
        if result.is_err() {
            pending.outcome = before;
            pending.panics += 1;
        }
    }

    /// Adds the counts kept by [`handle_batched`](Self::handle_batched) to the shared counters.
    pub(crate) fn publish(&mut self) {
        let Pending {
            outcome,
            malformed,
            panics,
        } = std::mem::take(&mut self.pending);
        self.counters.add_malformed(malformed);
        self.counters.add_panics(panics);
        self.counters.add_outcome(&outcome);
    }

    /// Fires the earliest queued bundle if it is due at `now`; returns its sender, whose replies are
    /// then in [`replies`](Self::replies). `None` when nothing (more) is due. A handler panic is
    /// counted, its replies dropped, and the next due bundle tried.
    ///
    /// `scratch` must hold the largest queued bundle (the receive buffer will do).
    pub(crate) fn poll<'r, H, C, const N: usize>(
        &mut self,
        now: TimeTag,
        scratch: &mut [u8],
        dispatcher: &mut Dispatcher<'r, H, N>,
        ctx: &mut C,
    ) -> Option<SocketAddr>
    where
        H: Handler<C, SocketAddr>,
    {
        loop {
            self.reply_len = 0;
            let scheduler = self.scheduler.as_mut()?;
            let mut replies = Replies::new(&mut self.reply_buf);
            let before = scheduler.stats().scratch_too_small;
            let result = catch_unwind(AssertUnwindSafe(|| {
                scheduler.poll(now, scratch, dispatcher, ctx, &mut replies)
            }));
            let reply_len = replies.as_length_prefixed().len();
            let lost = scheduler.stats().scratch_too_small - before;
            self.counters.add_dropped(lost);
            match result {
                Ok(None) => return None,
                Ok(Some((to, outcome))) => {
                    self.counters.add_outcome(&outcome);
                    self.reply_len = reply_len;
                    return Some(to);
                }
                Err(_) => self.counters.add_panics(1),
            }
        }
    }

    /// The replies of the last [`handle`](Self::handle) or [`poll`](Self::poll), one encoded packet each.
    pub(crate) fn replies(&self) -> ReplyIter<'_> {
        ReplyIter::new(self.reply_buf.get(..self.reply_len).unwrap_or_default())
    }

    /// Whether the last [`handle`](Self::handle) or [`poll`](Self::poll) made any reply.
    pub(crate) fn has_replies(&self) -> bool {
        self.reply_len != 0
    }

    /// When the earliest queued bundle is due.
    pub(crate) fn next_deadline(&self) -> Option<TimeTag> {
        self.scheduler.as_ref()?.next_deadline()
    }

    /// How long to wait for input: until the next deadline (zero if it has passed), at most `cap`.
    pub(crate) fn wait(&self, now: TimeTag, cap: Duration) -> Duration {
        match self.next_deadline() {
            Some(due) => due.duration_since(now).unwrap_or(Duration::ZERO).min(cap),
            None => cap,
        }
    }

    /// How a thread that blocks in socket reads should wait for input: see [`Wait`].
    pub(crate) fn read_wait(&self, now: TimeTag, cap: Duration) -> Wait {
        match self.next_deadline() {
            None => Wait::Block(cap),
            Some(due) => {
                let left = due.duration_since(now).unwrap_or(Duration::ZERO);
                match left.checked_sub(PRECISE_WINDOW) {
                    Some(coarse) if !coarse.is_zero() => Wait::Block(coarse.min(cap)),
                    _ => Wait::Spin(left.min(SPIN_STEP)),
                }
            }
        }
    }
}

/// A socket read timeout (`SO_RCVTIMEO`) is kept in scheduler ticks by some kernels (Linux: 1 to
/// 10 ms), so a blocking read may return that much later than asked. Within this window of a
/// bundle's deadline, threads stop blocking in reads.
const PRECISE_WINDOW: Duration = Duration::from_millis(10);

/// The sleep between non-blocking reads inside [`PRECISE_WINDOW`]: a bundle fires at most about
/// this late, and a packet arriving then waits at most this long.
const SPIN_STEP: Duration = Duration::from_micros(200);

/// How to wait for input before the next bundle deadline.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Wait {
    /// Block in a read with this timeout (it ends well before the deadline, or there is none).
    Block(Duration),
    /// The deadline is near: read without blocking, and if nothing is there sleep this long
    /// (`thread::sleep` is precise to tens of microseconds).
    Spin(Duration),
}

impl Wait {
    /// The read timeout to set: `ZERO` means a non-blocking read.
    pub(crate) fn read_timeout(self) -> Duration {
        match self {
            Self::Block(d) => d,
            Self::Spin(_) => Duration::ZERO,
        }
    }

    /// What to do when the read found nothing: sleep a little when spinning.
    pub(crate) fn after_timeout(self) {
        if let Self::Spin(d) = self {
            std::thread::sleep(d);
        }
    }
}
