//! What an endpoint does with each received packet: the [`Service`] trait and its two implementations.

use osc_core::{Bundle, Dispatcher, Handler, Outcome, Packet, Replies, Scheduler, TimeTag};

/// The application side of an endpoint: takes each decoded packet with its sender and may write replies.
///
/// Endpoints call [`handle`](Self::handle) for every received packet and then
/// [`poll_due`](Self::poll_due) until it returns `None`, sending the replies of each call to the sender
/// it names. [`Immediate`] dispatches at once through an osc-core [`Dispatcher`]; [`Scheduled`] goes
/// through a [`Scheduler`] so that bundles fire at their timetag. Implement it yourself to do anything
/// else with packets (forwarding, logging, a hand-written `match` on addresses).
///
/// ```
/// use osc_embedded::osc_core::{Outcome, Packet, Replies};
/// use osc_embedded::Service;
///
/// /// Counts packets and answers every one with `/ok`.
/// struct Counter(u32);
///
/// impl<A> Service<A> for Counter {
///     fn handle(&mut self, _: &Packet<'_>, _: &A, replies: &mut Replies<'_>) -> Outcome {
///         self.0 += 1;
///         let _ = replies.message_with("/ok", |m| Ok(m));
///         Outcome { messages: 1, ..Outcome::default() }
///     }
/// }
///
/// let mut out = [0u8; 32];
/// let mut replies = Replies::new(&mut out);
/// let packet = Packet::decode(b"/hi\0,\0\0\0").unwrap();
/// let mut counter = Counter(0);
/// counter.handle(&packet, &(), &mut replies);
/// assert_eq!((counter.0, replies.len()), (1, 1));
/// ```
pub trait Service<A> {
    /// Handles one packet received from `sender`; replies written to `replies` go back to it.
    fn handle(&mut self, packet: &Packet<'_>, sender: &A, replies: &mut Replies<'_>) -> Outcome;

    /// Runs the earliest piece of deferred work that is due (a scheduled bundle), if any, and returns
    /// whom its `replies` go to. The default has nothing deferred.
    fn poll_due(&mut self, replies: &mut Replies<'_>) -> Option<(A, Outcome)> {
        let _ = replies;
        None
    }
}

impl<A, S: Service<A> + ?Sized> Service<A> for &mut S {
    fn handle(&mut self, packet: &Packet<'_>, sender: &A, replies: &mut Replies<'_>) -> Outcome {
        (**self).handle(packet, sender, replies)
    }

    fn poll_due(&mut self, replies: &mut Replies<'_>) -> Option<(A, Outcome)> {
        (**self).poll_due(replies)
    }
}

/// Dispatches every packet at once through a [`Dispatcher`] (bundle timetags are shown to handlers, not
/// waited for). Built per poll from borrows, so it costs nothing to create.
///
/// ```
/// use osc_embedded::osc_core::{Dispatcher, HandlerFn, Packet, Replies};
/// use osc_embedded::{Immediate, Service};
///
/// let mut routes: Dispatcher<HandlerFn<u32, ()>, 4> = Dispatcher::new();
/// routes.map("/tick", |n, _, _| *n += 1).map_err(|e| e.kind).unwrap();
/// let mut ticks = 0u32;
///
/// let packet = Packet::decode(b"/tick\0\0\0,\0\0\0").unwrap();
/// let outcome = Immediate::new(&mut routes, &mut ticks).handle(&packet, &(), &mut Replies::none());
/// assert_eq!((outcome.handler_calls, ticks), (1, 1));
/// ```
#[derive(Debug)]
pub struct Immediate<'a, 'r, H, C, const N: usize> {
    dispatcher: &'a mut Dispatcher<'r, H, N>,
    ctx: &'a mut C,
}

#[cfg(feature = "defmt")]
impl<H, C, const N: usize> defmt::Format for Immediate<'_, '_, H, C, N> {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(f, "Immediate {{ routes: {=usize} }}", self.dispatcher.len());
    }
}

impl<'a, 'r, H, C, const N: usize> Immediate<'a, 'r, H, C, N> {
    /// A service that dispatches through `dispatcher`, handing `ctx` to the handlers.
    pub fn new(dispatcher: &'a mut Dispatcher<'r, H, N>, ctx: &'a mut C) -> Self {
        Self { dispatcher, ctx }
    }
}

impl<A, H: Handler<C, A>, C, const N: usize> Service<A> for Immediate<'_, '_, H, C, N> {
    fn handle(&mut self, packet: &Packet<'_>, sender: &A, replies: &mut Replies<'_>) -> Outcome {
        match packet {
            Packet::Message(message) => {
                let mut out = Outcome::default();
                self.dispatcher
                    .dispatch_message(message, None, self.ctx, sender, replies, &mut out);
                out
            }
            Packet::Bundle(bundle) => {
                dispatch_bundle(self.dispatcher, bundle, self.ctx, sender, replies)
            }
        }
    }
}

/// Kept out of line: walking a bundle reserves a fixed stack for the deepest nesting (about 1 KiB on a
/// 32-bit target), which a plain message should not pay for.
#[inline(never)]
fn dispatch_bundle<A, H: Handler<C, A>, C, const N: usize>(
    dispatcher: &mut Dispatcher<'_, H, N>,
    bundle: &Bundle<'_>,
    ctx: &mut C,
    sender: &A,
    replies: &mut Replies<'_>,
) -> Outcome {
    dispatcher.dispatch_bundle(bundle, ctx, sender, replies)
}

/// Dispatches through a [`Scheduler`]: messages and due bundles at once, future bundles at their
/// timetag (from [`poll_due`](Service::poll_due), which endpoints call on every poll).
///
/// Create it for each poll with the current time. `scratch` receives a due bundle's bytes while it is
/// dispatched, so it must be as large as the largest bundle you accept (e.g. your receive buffer);
/// bundles that do not fit are dropped and counted in the scheduler's stats. A device open to peers
/// it does not control should give the scheduler a [horizon](Scheduler::set_horizon): its few slots
/// are otherwise easy to fill with bundles timed years ahead.
///
/// ```
/// use core::time::Duration;
/// use osc_embedded::osc_core::{
///     decode, BundleBuilder, Dispatcher, HandlerFn, Replies, Scheduler, TimePolicy, TimeTag,
/// };
/// use osc_embedded::{Scheduled, Service};
///
/// let mut routes: Dispatcher<HandlerFn<u32, ()>, 4> = Dispatcher::new();
/// routes.map("/tick", |n, _, _| *n += 1).map_err(|e| e.kind).unwrap();
/// let mut scheduler: Scheduler<(), 4, 256> = Scheduler::new(TimePolicy::Schedule);
/// scheduler.set_horizon(Some(Duration::from_secs(60)));
/// let (mut ticks, mut scratch) = (0u32, [0u8; 64]);
///
/// let t0 = TimeTag::new(3_900_000_000, 0);
/// let t1 = t0.wrapping_add(Duration::from_millis(5));
/// let mut buf = [0u8; 64];
/// let n = BundleBuilder::new(&mut buf, t1).unwrap().message_with("/tick", |m| Ok(m)).unwrap().finish().unwrap();
/// let bundle = decode(&buf[..n]).unwrap();
///
/// let mut now = Scheduled::new(t0, &mut scheduler, &mut routes, &mut ticks, &mut scratch);
/// assert_eq!(now.handle(&bundle, &(), &mut Replies::none()).scheduled, 1);
/// assert!(now.poll_due(&mut Replies::none()).is_none());
///
/// let mut later = Scheduled::new(t1, &mut scheduler, &mut routes, &mut ticks, &mut scratch);
/// assert!(later.poll_due(&mut Replies::none()).is_some());
/// assert_eq!(ticks, 1);
/// ```
#[derive(Debug)]
pub struct Scheduled<'a, 'r, H, C, A, const N: usize, const SLOTS: usize, const BYTES: usize> {
    now: TimeTag,
    scheduler: &'a mut Scheduler<A, SLOTS, BYTES>,
    dispatcher: &'a mut Dispatcher<'r, H, N>,
    ctx: &'a mut C,
    scratch: &'a mut [u8],
}

impl<'a, 'r, H, C, A, const N: usize, const SLOTS: usize, const BYTES: usize>
    Scheduled<'a, 'r, H, C, A, N, SLOTS, BYTES>
{
    /// A service for time `now` over `scheduler` and `dispatcher`, handing `ctx` to the handlers.
    pub fn new(
        now: TimeTag,
        scheduler: &'a mut Scheduler<A, SLOTS, BYTES>,
        dispatcher: &'a mut Dispatcher<'r, H, N>,
        ctx: &'a mut C,
        scratch: &'a mut [u8],
    ) -> Self {
        Self {
            now,
            scheduler,
            dispatcher,
            ctx,
            scratch,
        }
    }

    /// The time the service acts at.
    pub fn now(&self) -> TimeTag {
        self.now
    }

    /// Moves the service to a new time (for long-lived services).
    pub fn set_now(&mut self, now: TimeTag) {
        self.now = now;
    }

    /// When the earliest queued bundle is due: sleep no longer than that.
    pub fn next_deadline(&self) -> Option<TimeTag>
    where
        A: Clone,
    {
        self.scheduler.next_deadline()
    }
}

#[cfg(feature = "defmt")]
impl<H, C, A: Clone, const N: usize, const SLOTS: usize, const BYTES: usize> defmt::Format
    for Scheduled<'_, '_, H, C, A, N, SLOTS, BYTES>
{
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(
            f,
            "Scheduled {{ now: {}, queued: {=usize}, routes: {=usize} }}",
            self.now,
            self.scheduler.len(),
            self.dispatcher.len()
        );
    }
}

impl<A, H, C, const N: usize, const SLOTS: usize, const BYTES: usize> Service<A>
    for Scheduled<'_, '_, H, C, A, N, SLOTS, BYTES>
where
    A: Clone,
    H: Handler<C, A>,
{
    fn handle(&mut self, packet: &Packet<'_>, sender: &A, replies: &mut Replies<'_>) -> Outcome {
        self.scheduler
            .handle(self.now, packet, self.dispatcher, self.ctx, sender, replies)
    }

    fn poll_due(&mut self, replies: &mut Replies<'_>) -> Option<(A, Outcome)> {
        self.scheduler
            .poll(self.now, self.scratch, self.dispatcher, self.ctx, replies)
    }
}
