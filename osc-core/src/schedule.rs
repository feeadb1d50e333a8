//! Timetag scheduling: bundles due in the future wait in a fixed-capacity queue until their time.

use core::fmt;
use core::time::Duration;

use heapless::Vec;

use crate::bundle::Bundle;
use crate::decode::{DecodeConfig, MAX_DEPTH_LIMIT};
use crate::dispatch::{walk, Dispatcher, Handler, Outcome, Visit};
use crate::packet::Packet;
use crate::reply::Replies;
use crate::timetag::TimeTag;

/// What to do with bundle timetags.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum TimePolicy {
    /// Dispatch everything at once; timetags are only shown to handlers.
    Immediate,
    /// Dispatch bundles at their timetag; past ones at once.
    Schedule,
    /// Like `Schedule`, but drop a bundle that arrives more than `tolerance` after its timetag.
    DropLate {
        /// How late a bundle may arrive and still be dispatched.
        tolerance: Duration,
    },
}

/// Why a bundle could not be queued.
#[non_exhaustive]
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum ScheduleError {
    /// All `SLOTS` entries are in use.
    QueueFull,
    /// The arena has not enough free bytes for this bundle.
    ArenaFull {
        /// Bytes the bundle needs.
        needed: usize,
        /// Bytes free.
        free: usize,
    },
}

impl fmt::Display for ScheduleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::QueueFull => f.write_str("scheduler queue is full"),
            Self::ArenaFull { needed, free } => write!(
                f,
                "scheduler arena is full: bundle needs {needed} bytes, {free} free"
            ),
        }
    }
}

impl core::error::Error for ScheduleError {}

/// Running totals of a [`Scheduler`].
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct SchedulerStats {
    /// Bundles queued.
    pub scheduled: u64,
    /// Queued bundles dispatched by `poll`.
    pub fired: u64,
    /// Bundles dropped for arriving late.
    pub late: u64,
    /// Bundles dropped because the queue or arena was full.
    pub overflow: u64,
    /// Bundles dropped because they were timed further ahead than the
    /// [horizon](Scheduler::set_horizon).
    pub too_far: u64,
    /// Queued bundles dropped because `poll`'s scratch buffer was too small for them.
    pub scratch_too_small: u64,
}

#[derive(Debug, Clone)]
struct Entry<A> {
    due: TimeTag,
    offset: usize,
    len: usize,
    sender: A,
}

/// A fixed-capacity timetag queue: a `Scheduler<A, SLOTS, BYTES>` holds up to `SLOTS` bundles whose
/// bytes it copies into a `BYTES`-byte
/// arena it owns (receive buffers are reused, so a bundle cannot stay borrowed). The clock stays outside:
/// every call takes `now` as a [`TimeTag`].
///
/// # Call order
///
/// 1. For each received packet: [`handle`](Scheduler::handle)`(now, packet, …)`. Messages and due
///    bundles are dispatched at once; bundles due later are stored (with the sender, so replies go to it).
/// 2. Sleep until the next packet or [`next_deadline`](Scheduler::next_deadline), whichever comes first.
/// 3. Call [`poll`](Scheduler::poll)`(now, scratch, …)` until it returns `None`: each call dispatches the
///    earliest due bundle and returns its sender so the adapter can send the replies. Spurious calls are
///    harmless.
///
/// No handler ever waits: a future bundle never blocks the receive loop.
///
/// # Rules
///
/// - Due bundles fire in timetag order; equal timetags in arrival order. Timetags are compared with
///   [`TimeTag::is_later_than`], so the order holds across the 2036 era boundary, and a timetag of 0 counts
///   as [`TimeTag::IMMEDIATELY`].
/// - A nested bundle is due at its own timetag or its parent's, whichever is later, so it never fires
///   before its parent. [`TimeTag::IMMEDIATELY`] inside a future bundle means "with the parent".
/// - [`TimePolicy::Immediate`] ignores timetags (they are still shown to handlers).
///   [`TimePolicy::Schedule`] dispatches past and present bundles at once and stores future ones.
///   [`TimePolicy::DropLate`] does the same but drops a bundle that *arrives* more than `tolerance` after its
///   time (counted in [`Outcome::late`]); bundles that were on time when they arrived always fire.
/// - When the queue or the arena is full, the bundle that does not fit is dropped and counted
///   ([`Outcome::overflow`], [`SchedulerStats::overflow`]); nothing already queued is touched.
/// - With a [horizon](Scheduler::set_horizon), a bundle due (or holding a bundle due) more than that
///   long after `now` is dropped and counted ([`Outcome::too_far`], [`SchedulerStats::too_far`])
///   instead of queued. Without one (the default), a peer can fill the queue with bundles timed years
///   ahead, and every later bundle then overflows until [`clear`](Scheduler::clear); with one, nothing
///   stays queued longer than the horizon.
///
/// ```
/// use core::time::Duration;
/// use osc_core::{decode, BundleBuilder, Dispatcher, HandlerFn, Replies, Scheduler, TimePolicy, TimeTag};
///
/// let mut fired: Vec<i32> = Vec::new();
/// let mut d: Dispatcher<HandlerFn<Vec<i32>, ()>, 4> = Dispatcher::new();
/// d.map("/note", |log, req, _| log.push(req.message.get::<(i32,)>().unwrap().0)).unwrap();
///
/// let now = TimeTag::new(3_900_000_000, 0);
/// let later = now.wrapping_add(Duration::from_millis(10));
/// let mut buf = [0u8; 64];
/// let n = BundleBuilder::new(&mut buf, later).unwrap()
///     .message_with("/note", |m| m.int(60)).unwrap()
///     .finish().unwrap();
///
/// let mut sched: Scheduler<(), 8, 1024> = Scheduler::new(TimePolicy::Schedule);
/// let mut out = [0u8; 64];
/// let mut replies = Replies::new(&mut out);
/// let o = sched.handle(now, &decode(&buf[..n]).unwrap(), &mut d, &mut fired, &(), &mut replies);
/// assert_eq!((o.scheduled, fired.len()), (1, 0));
/// assert_eq!(sched.next_deadline(), Some(later));
///
/// let mut scratch = [0u8; 64];
/// assert!(sched.poll(now, &mut scratch, &mut d, &mut fired, &mut replies).is_none());
/// assert!(sched.poll(later, &mut scratch, &mut d, &mut fired, &mut replies).is_some());
/// assert_eq!(fired, [60]);
/// ```
pub struct Scheduler<A, const SLOTS: usize, const BYTES: usize> {
    policy: TimePolicy,
    horizon: Option<Duration>,
    /// Sorted by due time; equal times in arrival order (insertion goes after equal ones).
    entries: Vec<Entry<A>, SLOTS>,
    arena: [u8; BYTES],
    used: usize,
    stats: SchedulerStats,
}

impl<A, const SLOTS: usize, const BYTES: usize> fmt::Debug for Scheduler<A, SLOTS, BYTES> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Scheduler")
            .field("policy", &self.policy)
            .field("horizon", &self.horizon)
            .field("queued", &self.entries.len())
            .field("bytes_used", &self.used)
            .field("stats", &self.stats)
            .finish()
    }
}

impl<A: Clone, const SLOTS: usize, const BYTES: usize> Scheduler<A, SLOTS, BYTES> {
    /// An empty scheduler.
    pub const fn new(policy: TimePolicy) -> Self {
        Self {
            policy,
            horizon: None,
            entries: Vec::new(),
            arena: [0; BYTES],
            used: 0,
            stats: SchedulerStats {
                scheduled: 0,
                fired: 0,
                late: 0,
                overflow: 0,
                too_far: 0,
                scratch_too_small: 0,
            },
        }
    }

    /// The policy.
    pub fn policy(&self) -> TimePolicy {
        self.policy
    }

    /// Changes the policy (queued bundles stay queued).
    pub fn set_policy(&mut self, policy: TimePolicy) {
        self.policy = policy;
    }

    /// How far ahead of `now` a bundle may be timed and still be queued (`None`: no limit).
    pub fn horizon(&self) -> Option<Duration> {
        self.horizon
    }

    /// Sets how far ahead of `now` a bundle may be timed and still be queued. A future bundle that
    /// is due, or holds a bundle due, later than `now + horizon` is dropped whole and counted in
    /// [`Outcome::too_far`], so nothing a packet brings waits in the queue longer than the horizon.
    /// `None` (the default) queues bundles however far ahead they are. Queued bundles stay queued;
    /// [`TimePolicy::Immediate`] queues nothing, so the horizon does not apply to it.
    ///
    /// A server open to peers it does not control wants one: without it, one peer can fill the
    /// queue with bundles timed years ahead, and every bundle after them overflows. The check needs
    /// a meaningful `now`: with `now` at 0 or [`TimeTag::IMMEDIATELY`] (a clock that was never set)
    /// every future bundle counts as too far.
    ///
    /// ```
    /// use core::time::Duration;
    /// use osc_core::{decode, BundleBuilder, Dispatcher, HandlerFn, Replies, Scheduler, TimePolicy, TimeTag};
    ///
    /// let mut d: Dispatcher<HandlerFn<(), ()>, 4> = Dispatcher::new();
    /// d.map("/cue", |_, _, _| {}).unwrap();
    /// let mut sched: Scheduler<(), 8, 1024> = Scheduler::new(TimePolicy::Schedule);
    /// sched.set_horizon(Some(Duration::from_secs(60)));
    ///
    /// let now = TimeTag::new(3_900_000_000, 0);
    /// let (mut buf, mut out) = ([0u8; 64], [0u8; 64]);
    /// let mut replies = Replies::new(&mut out);
    /// for ahead in [Duration::from_secs(60), Duration::from_secs(61)] {
    ///     let n = BundleBuilder::new(&mut buf, now.wrapping_add(ahead)).unwrap()
    ///         .message_with("/cue", |m| Ok(m)).unwrap()
    ///         .finish().unwrap();
    ///     sched.handle(now, &decode(&buf[..n]).unwrap(), &mut d, &mut (), &(), &mut replies);
    /// }
    /// assert_eq!((sched.len(), sched.stats().too_far), (1, 1));
    /// ```
    pub fn set_horizon(&mut self, horizon: Option<Duration>) {
        self.horizon = horizon;
    }

    /// Number of queued bundles.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether nothing is queued.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Running totals.
    pub fn stats(&self) -> SchedulerStats {
        self.stats
    }

    /// When the earliest queued bundle is due.
    pub fn next_deadline(&self) -> Option<TimeTag> {
        self.entries.first().map(|e| e.due)
    }

    /// Drops every queued bundle.
    pub fn clear(&mut self) {
        self.entries.clear();
        self.used = 0;
    }

    /// Queues `bundle` (with `sender`) to fire at `due`.
    pub fn schedule(
        &mut self,
        due: TimeTag,
        bundle: &Bundle<'_>,
        sender: &A,
    ) -> Result<(), ScheduleError> {
        if self.entries.is_full() {
            return Err(ScheduleError::QueueFull);
        }
        let free = BYTES - self.used;
        let needed = bundle.encoded_len();
        let len = self
            .arena
            .get_mut(self.used..)
            .and_then(|room| bundle.encode(room).ok())
            .ok_or(ScheduleError::ArenaFull { needed, free })?;
        let at = self.entries.partition_point(|e| !e.due.is_later_than(due));
        let entry = Entry {
            due,
            offset: self.used,
            len,
            sender: sender.clone(),
        };
        if self.entries.insert(at, entry).is_err() {
            return Err(ScheduleError::QueueFull);
        }
        self.used += len;
        Ok(())
    }

    /// Handles a packet received at `now` from `sender`: dispatches what is due, queues what is not.
    pub fn handle<'r, H, C, const N: usize>(
        &mut self,
        now: TimeTag,
        packet: &Packet<'_>,
        dispatcher: &mut Dispatcher<'r, H, N>,
        ctx: &mut C,
        sender: &A,
        replies: &mut Replies<'_>,
    ) -> Outcome
    where
        H: Handler<C, A>,
    {
        match packet {
            Packet::Message(m) => {
                let mut out = Outcome::default();
                dispatcher.dispatch_message(m, None, ctx, sender, replies, &mut out);
                out
            }
            Packet::Bundle(b) => self.run(
                now,
                *b,
                TimeTag::from_bits(0),
                dispatcher,
                ctx,
                sender,
                replies,
            ),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn run<'r, H, C, const N: usize>(
        &mut self,
        now: TimeTag,
        bundle: Bundle<'_>,
        floor: TimeTag,
        dispatcher: &mut Dispatcher<'r, H, N>,
        ctx: &mut C,
        sender: &A,
        replies: &mut Replies<'_>,
    ) -> Outcome
    where
        H: Handler<C, A>,
    {
        let mut out = Outcome::default();
        let (policy, horizon) = (self.policy, self.horizon);
        out.too_deep = walk(bundle, floor, |visit| match visit {
            Visit::Message { message, timetag } => {
                dispatcher.dispatch_message(
                    &message,
                    Some(timetag),
                    ctx,
                    sender,
                    replies,
                    &mut out,
                );
                true
            }
            Visit::Element { message, timetag } => {
                dispatcher.dispatch_element(&message, timetag, ctx, sender, replies, &mut out);
                true
            }
            Visit::Bundle { bundle, due } => {
                let tolerance = match policy {
                    TimePolicy::Immediate => return true,
                    TimePolicy::Schedule => None,
                    TimePolicy::DropLate { tolerance } => Some(tolerance),
                };
                if due.is_later_than(now) {
                    if horizon.is_some_and(|h| beyond(now, h, bundle, due)) {
                        out.too_far += 1;
                        self.stats.too_far += 1;
                        return false;
                    }
                    match self.schedule(due, &bundle, sender) {
                        Ok(()) => {
                            out.scheduled += 1;
                            self.stats.scheduled += 1;
                        }
                        Err(_) => {
                            out.overflow += 1;
                            self.stats.overflow += 1;
                        }
                    }
                    return false;
                }
                let late = tolerance.is_some_and(|t| {
                    // Neither 0 nor IMMEDIATELY is later than anything, `floor` included.
                    due.is_later_than(floor) && now.duration_since(due).is_some_and(|by| by > t)
                });
                if late {
                    out.late += 1;
                    self.stats.late += 1;
                    return false;
                }
                true
            }
        });
        out
    }

    /// Dispatches the earliest queued bundle if it is due at `now`, and returns its sender (for the
    /// replies) and what happened. Returns `None` when nothing is due.
    ///
    /// The bundle's bytes are moved into `scratch` first (so that bundles nested in it can be queued);
    /// `scratch` must be as large as the largest queued bundle, e.g. the adapter's receive buffer. A bundle
    /// that does not fit is dropped and counted in [`SchedulerStats::scratch_too_small`].
    pub fn poll<'r, H, C, const N: usize>(
        &mut self,
        now: TimeTag,
        scratch: &mut [u8],
        dispatcher: &mut Dispatcher<'r, H, N>,
        ctx: &mut C,
        replies: &mut Replies<'_>,
    ) -> Option<(A, Outcome)>
    where
        H: Handler<C, A>,
    {
        loop {
            if self.entries.first()?.due.is_later_than(now) {
                return None;
            }
            let entry = self.entries.remove(0);
            let src = entry.offset..entry.offset + entry.len;
            let copied = match (scratch.get_mut(..entry.len), self.arena.get(src)) {
                (Some(dst), Some(src)) => {
                    dst.copy_from_slice(src);
                    true
                }
                _ => false,
            };
            self.release(entry.offset, entry.len);
            if !copied {
                self.stats.scratch_too_small += 1;
                continue;
            }
            let bytes = scratch.get(..entry.len).unwrap_or_default();
            // The bytes were encoded by this crate; nesting fits the walker's stack.
            let Ok(Packet::Bundle(bundle)) =
                DecodeConfig::new().max_depth(MAX_DEPTH_LIMIT).decode(bytes)
            else {
                continue;
            };
            self.stats.fired += 1;
            let out = self.run(
                now,
                bundle,
                entry.due,
                dispatcher,
                ctx,
                &entry.sender,
                replies,
            );
            return Some((entry.sender, out));
        }
    }

    /// Frees `len` arena bytes at `offset`, moving later bundles down.
    fn release(&mut self, offset: usize, len: usize) {
        self.arena.copy_within(offset + len..self.used, offset);
        self.used -= len;
        for e in self.entries.iter_mut() {
            if e.offset > offset {
                e.offset -= len;
            }
        }
    }
}

/// Whether `bundle`, due at `due`, or a bundle nested in it is due more than `horizon` after `now`
/// (also when the distance cannot be told: `now` unset, or half an era apart).
fn beyond(now: TimeTag, horizon: Duration, bundle: Bundle<'_>, due: TimeTag) -> bool {
    let mut latest = due;
    walk(bundle, due, |visit| {
        if let Visit::Bundle { due, .. } = visit {
            latest = latest.later(due);
        }
        true
    });
    latest
        .duration_since(now)
        .is_none_or(|ahead| ahead > horizon)
}
