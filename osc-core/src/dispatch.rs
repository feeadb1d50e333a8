//! Dispatch: routing decoded messages to handlers through a fixed-capacity table.
//!
//! A [`Dispatcher<H, N>`] holds up to `N` routes, each an OSC address (or address pattern) and a handler
//! `H`. It never allocates; it can live in a `static`.
//!
//! # Matching, in both directions
//!
//! - **Incoming pattern, literal route** (the OSC spec): a message to `/synth/*/freq` reaches the routes
//!   `/synth/1/freq`, `/synth/2/freq`, …
//! - **Incoming literal, pattern route** (liblo 0.32 style): a route registered as `/synth/*/freq` is
//!   reached by a message to `/synth/1/freq`. The pattern syntax is the same ([`pattern`](crate::pattern)).
//! - **Both literal**: exact string equality, found through a sorted index (binary search), not by
//!   scanning every route.
//! - **Both carry wildcards**: the two patterns are compared as text; a message to `/synth/*` reaches a
//!   route registered as `/synth/*` and no other pattern route. (Deciding whether two patterns share
//!   an address is not what OSC asks for, and is expensive.)
//!
//! When a message reaches several routes, their handlers run in registration order. When it reaches none,
//! the default handler (if set) runs once. Routes are validated when registered
//! ([`validate_address`](crate::pattern::validate_address) / [`validate_pattern`](crate::pattern::validate_pattern)).
//!
//! # Handlers
//!
//! A handler is anything implementing [`Handler`]: in particular any
//! `FnMut(&mut C, &Request<A>, &mut Replies)` and the plain function pointer type [`HandlerFn`]. `C` is a
//! user context passed to every dispatch call (application state); a handler struct can carry its own
//! per-route state too. The [`Request`] carries the message, the enclosing bundle's timetag, the opaque
//! sender identity the adapter supplied (a socket address, an endpoint, a connection id) and the route that
//! matched; [`Replies`] collects reply packets for the adapter to send back to the sender.
//!
//! # Bundles
//!
//! [`Dispatcher::dispatch`] walks bundles element by element, in packet order, nested bundles included,
//! and ignores timetags except to show them to handlers. To honour timetags, use a
//! [`Scheduler`](crate::Scheduler). Walking uses a fixed stack of [`MAX_DEPTH_LIMIT`] levels, not
//! recursion; deeper bundles (possible only for bundles built from values) are skipped and counted.
//!
//! ```
//! use osc_core::{decode, Arg, Dispatcher, HandlerFn, Message, Replies, Request};
//!
//! #[derive(Default)]
//! struct Synth { freq: i32 }
//!
//! fn on_freq(synth: &mut Synth, req: &Request<'_, '_, u32>, replies: &mut Replies<'_>) {
//!     if let Ok((f,)) = req.message.get::<(i32,)>() {
//!         synth.freq = f;
//!         let _ = replies.message_with("/ack", |m| m.int(f));
//!     }
//! }
//!
//! let mut d: Dispatcher<HandlerFn<Synth, u32>, 8> = Dispatcher::new();
//! d.map("/synth/1/freq", on_freq).map_err(|e| e.kind)?;
//!
//! let mut buf = [0u8; 64];
//! let n = Message::new("/synth/*/freq", &[Arg::Int(440)]).encode(&mut buf)?;
//! let packet = decode(&buf[..n])?;
//!
//! let mut synth = Synth::default();
//! let mut out = [0u8; 64];
//! let mut replies = Replies::new(&mut out);
//! let sender = 7u32; // whatever identifies the peer to the adapter
//! let outcome = d.dispatch(&packet, &mut synth, &sender, &mut replies);
//! assert_eq!((outcome.handler_calls, synth.freq, replies.len()), (1, 440, 1));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use core::fmt;

use heapless::Vec;

use crate::bundle::{Bundle, Elements};
use crate::decode::MAX_DEPTH_LIMIT;
use crate::message::Message;
use crate::packet::Packet;
use crate::pattern::{self, AddressError};
use crate::reply::Replies;
use crate::timetag::TimeTag;

/// What a handler sees of one dispatched message.
#[derive(Debug)]
pub struct Request<'p, 's, A> {
    /// The message.
    pub message: Message<'p>,
    /// The timetag of the bundle that holds the message; `None` for a message sent on its own.
    pub timetag: Option<TimeTag>,
    /// The sender, as the adapter identifies it (e.g. a socket address).
    pub sender: &'s A,
    /// The registered address or pattern that matched (empty for the default handler).
    pub route: &'s str,
}

/// A message handler. Implemented for every `FnMut(&mut C, &Request<A>, &mut Replies)`.
pub trait Handler<C, A> {
    /// Handles one message.
    fn handle(&mut self, ctx: &mut C, request: &Request<'_, '_, A>, replies: &mut Replies<'_>);
}

impl<C, A, F> Handler<C, A> for F
where
    F: FnMut(&mut C, &Request<'_, '_, A>, &mut Replies<'_>),
{
    fn handle(&mut self, ctx: &mut C, request: &Request<'_, '_, A>, replies: &mut Replies<'_>) {
        self(ctx, request, replies)
    }
}

/// A plain function handler: the usual `H` of a [`Dispatcher`] with handlers of different functions.
pub type HandlerFn<C, A> = fn(&mut C, &Request<'_, '_, A>, &mut Replies<'_>);

/// Why a route could not be registered.
#[non_exhaustive]
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum MapErrorKind {
    /// The table already holds `N` routes.
    Full,
    /// The address or pattern is not valid.
    InvalidAddress(AddressError),
}

impl fmt::Display for MapErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Full => f.write_str("dispatch table is full"),
            Self::InvalidAddress(e) => write!(f, "cannot route: {e}"),
        }
    }
}

impl core::error::Error for MapErrorKind {}

/// A route was refused; the handler is handed back.
pub struct MapError<H> {
    /// Why.
    pub kind: MapErrorKind,
    /// The handler that was not registered.
    pub handler: H,
}

impl<H> fmt::Display for MapError<H> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.kind, f)
    }
}

impl<H> fmt::Debug for MapError<H> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MapError")
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

impl<H> core::error::Error for MapError<H> {}

/// What happened to a dispatched packet.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Outcome {
    /// Messages dispatched.
    pub messages: usize,
    /// Handler calls made (several per message when several routes match; the default handler counts).
    pub handler_calls: usize,
    /// Messages that matched no route.
    pub unmatched: usize,
    /// Bundles stored by a scheduler for later.
    pub scheduled: usize,
    /// Bundles dropped because they arrived late (drop-if-late policy).
    pub late: usize,
    /// Bundles dropped because the scheduler was full.
    pub overflow: usize,
    /// Bundles nested deeper than [`MAX_DEPTH_LIMIT`], skipped.
    pub too_deep: usize,
}

impl Outcome {
    /// Adds another outcome's counts to this one.
    pub fn add(&mut self, o: &Outcome) {
        self.messages += o.messages;
        self.handler_calls += o.handler_calls;
        self.unmatched += o.unmatched;
        self.scheduled += o.scheduled;
        self.late += o.late;
        self.overflow += o.overflow;
        self.too_deep += o.too_deep;
    }
}

#[derive(Debug)]
struct Route<'r, H> {
    address: &'r str,
    is_pattern: bool,
    handler: H,
}

/// A fixed-capacity routing table of up to `N` routes (at most 65 536).
///
/// See the [module docs](self) for the matching rules.
pub struct Dispatcher<'r, H, const N: usize> {
    /// Routes in registration order.
    routes: Vec<Route<'r, H>, N>,
    /// Indices of literal routes, sorted by address, then registration order.
    literals: Vec<u16, N>,
    /// Indices of pattern routes, in registration order.
    patterns: Vec<u16, N>,
    default: Option<H>,
}

impl<'r, H, const N: usize> Default for Dispatcher<'r, H, N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<'r, H, const N: usize> fmt::Debug for Dispatcher<'r, H, N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Dispatcher")
            .field("routes", &self.routes.len())
            .field("capacity", &N)
            .field("default", &self.default.is_some())
            .finish()
    }
}

impl<'r, H, const N: usize> Dispatcher<'r, H, N> {
    const CAPACITY_FITS_U16: () = assert!(N <= 1 << 16, "a Dispatcher holds at most 65536 routes");

    /// An empty table.
    pub const fn new() -> Self {
        let () = Self::CAPACITY_FITS_U16;
        Self {
            routes: Vec::new(),
            literals: Vec::new(),
            patterns: Vec::new(),
            default: None,
        }
    }

    /// Registers `handler` for `address`, a literal OSC address or an address pattern.
    ///
    /// Several handlers may be registered for the same address; they run in registration order. On error
    /// (table full, invalid address) the handler is handed back.
    pub fn map(&mut self, address: &'r str, handler: H) -> Result<(), MapError<H>> {
        let is_pattern = pattern::is_pattern(address);
        let valid = if is_pattern {
            pattern::validate_pattern(address)
        } else {
            pattern::validate_address(address)
        };
        if let Err(e) = valid {
            return Err(MapError {
                kind: MapErrorKind::InvalidAddress(e),
                handler,
            });
        }
        let index = self.routes.len();
        let Ok(index16) = u16::try_from(index) else {
            return Err(MapError {
                kind: MapErrorKind::Full,
                handler,
            });
        };
        if let Err(route) = self.routes.push(Route {
            address,
            is_pattern,
            handler,
        }) {
            return Err(MapError {
                kind: MapErrorKind::Full,
                handler: route.handler,
            });
        }
        // Both index vectors have capacity N and together hold fewer than N entries here.
        if is_pattern {
            let _ = self.patterns.push(index16);
        } else {
            let routes = &self.routes;
            let at = self
                .literals
                .partition_point(|&i| route_address(routes, i) <= address);
            let _ = self.literals.insert(at, index16);
        }
        Ok(())
    }

    /// Removes every route registered under exactly `address`; returns how many were removed.
    pub fn unmap(&mut self, address: &str) -> usize {
        let before = self.routes.len();
        self.retain(|a, _| a != address);
        before - self.routes.len()
    }

    /// Keeps only the routes for which `keep(address, &handler)` is true.
    pub fn retain(&mut self, mut keep: impl FnMut(&str, &H) -> bool) {
        self.routes.retain(|r| keep(r.address, &r.handler));
        self.reindex();
    }

    fn reindex(&mut self) {
        self.literals.clear();
        self.patterns.clear();
        for (i, r) in self.routes.iter().enumerate() {
            let Ok(i) = u16::try_from(i) else { break };
            let _ = if r.is_pattern {
                self.patterns.push(i)
            } else {
                self.literals.push(i)
            };
        }
        let routes = &self.routes;
        self.literals.sort_unstable_by(|&a, &b| {
            route_address(routes, a)
                .cmp(route_address(routes, b))
                .then(a.cmp(&b))
        });
    }

    /// Sets (or with `None` clears) the handler for messages that match no route; returns the old one.
    pub fn set_default(&mut self, handler: Option<H>) -> Option<H> {
        core::mem::replace(&mut self.default, handler)
    }

    /// Number of routes.
    pub fn len(&self) -> usize {
        self.routes.len()
    }

    /// Whether there are no routes.
    pub fn is_empty(&self) -> bool {
        self.routes.is_empty()
    }

    /// The routes' addresses and handlers, in registration order.
    pub fn routes(&self) -> impl Iterator<Item = (&'r str, &H)> + '_ {
        self.routes.iter().map(|r| (r.address, &r.handler))
    }

    /// Dispatches a packet now: a message to its routes, a bundle's messages in packet order (timetags are
    /// shown to handlers, not waited for).
    pub fn dispatch<C, A>(
        &mut self,
        packet: &Packet<'_>,
        ctx: &mut C,
        sender: &A,
        replies: &mut Replies<'_>,
    ) -> Outcome
    where
        H: Handler<C, A>,
    {
        let mut out = Outcome::default();
        match packet {
            Packet::Message(m) => {
                self.dispatch_message(m, None, ctx, sender, replies, &mut out);
            }
            Packet::Bundle(b) => {
                out.too_deep = walk(*b, TimeTag::from_bits(0), |visit| {
                    if let Visit::Message { message, timetag } = visit {
                        self.dispatch_message(
                            &message,
                            Some(timetag),
                            ctx,
                            sender,
                            replies,
                            &mut out,
                        );
                    }
                    true
                });
            }
        }
        out
    }

    /// Dispatches one message with the timetag of its enclosing bundle (if any); returns the number of
    /// handler calls and adds to `out`.
    pub fn dispatch_message<C, A>(
        &mut self,
        message: &Message<'_>,
        timetag: Option<TimeTag>,
        ctx: &mut C,
        sender: &A,
        replies: &mut Replies<'_>,
        out: &mut Outcome,
    ) -> usize
    where
        H: Handler<C, A>,
    {
        out.messages += 1;
        let address = message.address();
        let mut calls = 0usize;
        let mut call = |routes: &mut Vec<Route<'r, H>, N>, index: u16| {
            if let Some(r) = routes.get_mut(usize::from(index)) {
                let request = Request {
                    message: *message,
                    timetag,
                    sender,
                    route: r.address,
                };
                r.handler.handle(ctx, &request, replies);
                calls += 1;
            }
        };
        if pattern::is_pattern(address) {
            for i in 0..self.routes.len() {
                let hit = match self.routes.get(i) {
                    Some(r) if r.is_pattern => r.address == address,
                    Some(r) => pattern::matches(address, r.address),
                    None => false,
                };
                if hit {
                    call(&mut self.routes, i as u16);
                }
            }
        } else {
            let routes = &self.routes;
            let lo = self
                .literals
                .partition_point(|&i| route_address(routes, i) < address);
            let hits = self.literals.get(lo..).unwrap_or_default();
            let n = hits
                .iter()
                .take_while(|&&i| route_address(routes, i) == address)
                .count();
            let lits = hits.get(..n).unwrap_or_default();
            let pats = &self.patterns;
            let (mut li, mut pi) = (0usize, 0usize);
            // Merge literal hits and matching pattern routes by registration index.
            let mut next_pat: Option<u16> = None;
            let mut pats_done = false;
            loop {
                if next_pat.is_none() && !pats_done {
                    next_pat = loop {
                        match pats.get(pi) {
                            None => {
                                pats_done = true;
                                break None;
                            }
                            Some(&i) => {
                                pi += 1;
                                if pattern::matches(route_address(&self.routes, i), address) {
                                    break Some(i);
                                }
                            }
                        }
                    };
                }
                let index = match (lits.get(li), next_pat) {
                    (Some(&l), Some(p)) if l < p => {
                        li += 1;
                        l
                    }
                    (_, Some(p)) => {
                        next_pat = None;
                        p
                    }
                    (Some(&l), None) => {
                        li += 1;
                        l
                    }
                    (None, None) => break,
                };
                call(&mut self.routes, index);
            }
        }
        if calls == 0 {
            out.unmatched += 1;
            if let Some(h) = self.default.as_mut() {
                let request = Request {
                    message: *message,
                    timetag,
                    sender,
                    route: "",
                };
                h.handle(ctx, &request, replies);
                calls = 1;
            }
        }
        out.handler_calls += calls;
        calls
    }
}

fn route_address<'r, H, const N: usize>(routes: &Vec<Route<'r, H>, N>, i: u16) -> &'r str {
    routes.get(usize::from(i)).map_or("", |r| r.address)
}

/// One step of a bundle walk.
pub(crate) enum Visit<'p> {
    /// A message and the timetag of the bundle holding it.
    Message {
        message: Message<'p>,
        timetag: TimeTag,
    },
    /// A bundle and the time it is due: its own timetag or its parent's, whichever is later.
    Bundle { bundle: Bundle<'p>, due: TimeTag },
}

/// Walks `root` and its nested bundles in packet order without recursion. `visit` returns whether to
/// enter a bundle (for messages the value is ignored). Returns the number of bundles skipped for being
/// nested deeper than [`MAX_DEPTH_LIMIT`].
pub(crate) fn walk<'p>(
    root: Bundle<'p>,
    floor: TimeTag,
    mut visit: impl FnMut(Visit<'p>) -> bool,
) -> usize {
    let due = floor.max(root.timetag());
    if !visit(Visit::Bundle { bundle: root, due }) {
        return 0;
    }
    let mut too_deep = 0;
    let mut stack: Vec<(Elements<'p>, TimeTag, TimeTag), MAX_DEPTH_LIMIT> = Vec::new();
    let _ = stack.push((root.elements(), root.timetag(), due));
    while let Some((elements, own, due)) = stack.last_mut() {
        let (own, due) = (*own, *due);
        match elements.next() {
            None => {
                stack.pop();
            }
            Some(Packet::Message(message)) => {
                visit(Visit::Message {
                    message,
                    timetag: own,
                });
            }
            Some(Packet::Bundle(b)) => {
                let due = due.max(b.timetag());
                if visit(Visit::Bundle { bundle: b, due })
                    && stack.push((b.elements(), b.timetag(), due)).is_err()
                {
                    too_deep += 1;
                }
            }
        }
    }
    too_deep
}
