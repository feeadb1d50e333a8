//! Dispatch: routing decoded messages to handlers through a fixed-capacity table.
//!
//! With the `small` feature, every message is compared with every route in turn, with the same
//! results in the same order (no hash index of the literal routes, no sorted walk, no remembered
//! pattern): less code, and a dispatch that costs one comparison or match per route.

// With `small`, the walk for incoming patterns and its index are compiled out by `cfg!` tests.
#![cfg_attr(feature = "small", allow(dead_code))]

use core::cmp::Ordering;
use core::fmt;

use heapless::Vec;

use crate::bundle::{Bundle, Elements};
use crate::decode::{Element, ElementMessage, MAX_DEPTH_LIMIT};
use crate::message::Message;
use crate::packet::Packet;
use crate::pattern::{self, bytes_eq, AddressError, Part, Parts, Split, MAX_PARTS};
use crate::reply::Replies;
use crate::timetag::TimeTag;
use crate::types::Args;

/// What a handler sees of one dispatched message.
#[derive(Debug)]
pub struct Request<'p, 's, A> {
    /// The message. Its address has the text of the incoming one; when a literal route was reached,
    /// it is that route's own string (the same text), which spares a bundle element a second UTF-8
    /// check of its address.
    pub message: Message<'p>,
    /// The timetag of the bundle that holds the message; `None` for a message sent on its own.
    pub timetag: Option<TimeTag>,
    /// The sender, as the adapter identifies it (e.g. a socket address).
    pub sender: &'s A,
    /// The registered address or pattern that matched (empty for the default handler).
    pub route: &'s str,
}

impl<'p, 's, A> Request<'p, 's, A> {
    /// The parts of the incoming address that the wildcard parts of the matched route stood for,
    /// in order (see [`pattern::captures`]): for a handler registered under `/ch/*/mix/{fader,pan}`,
    /// the message `/ch/07/mix/pan` gives `"07"` and `"pan"`. Nothing for a literal route, for the
    /// default handler, or for an incoming pattern (the wildcards were the sender's).
    ///
    /// ```
    /// use osc_core::{Arg, Dispatcher, Message, Packet, Replies, Request};
    ///
    /// let mut channels = [0.0f32; 32];
    /// let mut d: Dispatcher<fn(&mut [f32; 32], &Request<'_, '_, ()>, &mut Replies<'_>), 4> =
    ///     Dispatcher::new();
    /// d.map("/ch/*/mix/fader", |ch, req, _| {
    ///     let n: Option<usize> = req.captures().next().and_then(|n| n.parse().ok());
    ///     if let (Some(slot), Ok((level,))) = (n.and_then(|n| ch.get_mut(n)), req.message.get()) {
    ///         *slot = level;
    ///     }
    /// })
    /// .map_err(|e| e.kind)?;
    ///
    /// let fader = [Arg::Float(0.75)];
    /// let packet = Packet::Message(Message::new("/ch/07/mix/fader", &fader));
    /// d.dispatch(&packet, &mut channels, &(), &mut Replies::none());
    /// assert_eq!(channels[7], 0.75);
    /// # Ok::<(), osc_core::MapErrorKind>(())
    /// ```
    pub fn captures(&self) -> pattern::Captures<'s, 'p> {
        pattern::route_captures(self.route, self.message.address())
    }
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
    /// Bundles dropped because they were timed further ahead than the scheduler's
    /// [horizon](crate::Scheduler::set_horizon).
    pub too_far: usize,
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
        self.too_far += o.too_far;
        self.too_deep += o.too_deep;
    }
}

#[derive(Debug)]
struct Route<'r, H> {
    address: &'r str,
    is_pattern: bool,
    handler: H,
}

/// A literal route in the sorted index: its index in `routes`, how many leading parts its address
/// shares with the previous one in the index (0 for the first), how many parts it has (at most
/// `u16::MAX`), and its last part's entry in [`Dispatcher::lasts`].
#[derive(Clone, Copy, Debug)]
struct Sorted {
    index: u16,
    shared_parts: u16,
    parts: u16,
    last_id: u16,
}

impl Sorted {
    /// The entry for route `index` at `address`, with `shared_parts` still to be set
    /// ([`Dispatcher::share`]).
    fn new(index: u16, address: &str, last_id: u16) -> Self {
        let parts = address.bytes().filter(|&b| b == b'/').count();
        Self {
            index,
            shared_parts: 0,
            parts: u16::try_from(parts).unwrap_or(u16::MAX),
            last_id,
        }
    }
}

/// A distinct last part of the literal routes (every route that ends in the same part shares one):
/// a route that has it, whether the pattern of dispatch `seen` (an epoch) matches it, and the
/// routes that end in it:
/// `Dispatcher::by_last[from..from + len]`, their places in the sorted index, in order. A walk
/// matches each distinct last part once, however many routes end in it; a finite last part finds
/// its routes without looking at the others.
#[derive(Clone, Copy, Debug)]
struct Last {
    route: u16,
    seen: u16,
    hit: bool,
    from: u32,
    len: u32,
}

/// The message being dispatched, with what its handlers are shown besides.
struct Incoming<'a, 'p, A> {
    message: &'a Message<'p>,
    timetag: Option<TimeTag>,
    sender: &'a A,
}

impl<H> Route<'_, H> {
    /// Runs the handler on `incoming`.
    #[inline]
    fn call<C, A>(&mut self, incoming: &Incoming<'_, '_, A>, ctx: &mut C, replies: &mut Replies<'_>)
    where
        H: Handler<C, A>,
    {
        call(&mut self.handler, self.address, incoming, ctx, replies);
    }
}

/// Runs `handler` on `incoming`, reached through `route`. With `small`, one copy for every route
/// and the default handler.
#[cfg_attr(not(feature = "small"), inline)]
#[cfg_attr(feature = "small", inline(never))]
fn call<H: Handler<C, A>, C, A>(
    handler: &mut H,
    route: &str,
    incoming: &Incoming<'_, '_, A>,
    ctx: &mut C,
    replies: &mut Replies<'_>,
) {
    let request = Request {
        message: *incoming.message,
        timetag: incoming.timetag,
        sender: incoming.sender,
        route,
    };
    handler.handle(ctx, &request, replies);
}

/// The capacity of the dispatcher's indexes: `N`, and none with `small`, whose dispatch scans the
/// routes (so that a firmware's dispatcher holds its routes and nothing else).
#[cfg(not(feature = "small"))]
type Index<T, const N: usize> = Vec<T, N>;
#[cfg(feature = "small")]
type Index<T, const N: usize> = Vec<T, 0>;

/// A fixed-capacity routing table: a `Dispatcher<H, N>` holds up to `N` routes (at most 65 536),
/// each an OSC address (or address pattern) and a handler
/// `H`. It never allocates; it can live in a `static`.
///
/// # Matching, in both directions
///
/// - **Incoming pattern, literal route** (the OSC spec): a message to `/synth/*/freq` reaches the routes
///   `/synth/1/freq`, `/synth/2/freq`, …
/// - **Incoming literal, pattern route** (liblo 0.32 style): a route registered as `/synth/*/freq` is
///   reached by a message to `/synth/1/freq`. The pattern syntax is the same ([`pattern`](crate::pattern)).
/// - **Both literal**: exact string equality, found through a hash table, not by scanning every
///   route.
/// - **Both carry wildcards**: the two patterns are compared as text; a message to `/synth/*` reaches a
///   route registered as `/synth/*` and no other pattern route. (Deciding whether two patterns share
///   an address is not what OSC asks for, and is expensive.)
///
/// When a message reaches several routes, their handlers run in registration order. When it reaches none,
/// the default handler (if set) runs once. Routes are validated when registered
/// ([`validate_address`](crate::pattern::validate_address) / [`validate_pattern`](crate::pattern::validate_pattern)).
///
/// # Cost
///
/// - A literal address is looked up in a hash table of the literal routes; pattern routes, if any,
///   are each matched against it. A bundle element that reaches literal routes this way (dispatched
///   at once or through a [`Scheduler`](crate::Scheduler)) is shown their own address string, so its
///   address bytes are not checked as UTF-8 a second time (decoding checked them once).
/// - An incoming pattern walks an index of the literal routes sorted part by part, so that routes that
///   share their first parts are matched once for all of them. Its last part is matched once per
///   distinct last part of the routes (`/synth/1/freq` and `/synth/2/freq` share `freq`), and a last
///   part with finitely many values (`freq`, `{freq,gain}`) finds the routes that end in them from a
///   list kept per last part, without looking at the others. Parts that are only `*` cost nothing.
/// - The routes an incoming pattern reached are remembered until the next pattern or the next change
///   of routes, so a controller that repeats a pattern pays for the walk once.
/// - Each of the `N` places for a route takes 42 bytes of index beside the route itself (on 64-bit
///   targets, with a function-pointer handler: 74 bytes in all). The indexes are rebuilt when routes
///   are removed. With osc-core's `small` feature there are no indexes (a place takes
///   the route alone: 32 bytes) and every dispatch scans the routes.
///
/// # Handlers
///
/// A handler is anything implementing [`Handler`]: in particular any
/// `FnMut(&mut C, &Request<A>, &mut Replies)` and the plain function pointer type [`HandlerFn`]. `C` is a
/// user context passed to every dispatch call (application state); a handler struct can carry its own
/// per-route state too. The [`Request`] carries the message, the enclosing bundle's timetag, the opaque
/// sender identity the adapter supplied (a socket address, an endpoint, a connection id) and the route that
/// matched; [`Replies`] collects reply packets for the adapter to send back to the sender.
///
/// All routes of one dispatcher share the handler type `H`. Every closure has a type of its own, so
/// a table of several different handlers takes plain functions as [`HandlerFn`] (name the type, as
/// below, or cast with `f as HandlerFn<C, A>`), or a type of yours (an enum, a struct) that
/// implements [`Handler`]. A handler that needs what a wildcard route matched (the voice
/// in `/synth/*/freq`) reads it from the address: `req.message.address().split('/').nth(2)`.
///
/// # Bundles
///
/// [`Dispatcher::dispatch`] walks bundles element by element, in packet order, nested bundles included,
/// and ignores timetags except to show them to handlers. To honour timetags, use a
/// [`Scheduler`](crate::Scheduler). Walking uses a fixed stack of [`MAX_DEPTH_LIMIT`] levels, not
/// recursion; deeper bundles (possible only for bundles built from values) are skipped and counted.
///
/// ```
/// use osc_core::{decode, Arg, Dispatcher, HandlerFn, Message, Replies, Request};
///
/// #[derive(Default)]
/// struct Synth { freq: i32 }
///
/// fn on_freq(synth: &mut Synth, req: &Request<'_, '_, u32>, replies: &mut Replies<'_>) {
///     if let Ok((f,)) = req.message.get::<(i32,)>() {
///         synth.freq = f;
///         let _ = replies.message_with("/ack", |m| m.int(f));
///     }
/// }
///
/// let mut d: Dispatcher<HandlerFn<Synth, u32>, 8> = Dispatcher::new();
/// d.map("/synth/1/freq", on_freq).map_err(|e| e.kind)?;
///
/// let mut buf = [0u8; 64];
/// let n = Message::new("/synth/*/freq", &[Arg::Int(440)]).encode(&mut buf)?;
/// let packet = decode(&buf[..n])?;
///
/// let mut synth = Synth::default();
/// let mut out = [0u8; 64];
/// let mut replies = Replies::new(&mut out);
/// let sender = 7u32; // whatever identifies the peer to the adapter
/// let outcome = d.dispatch(&packet, &mut synth, &sender, &mut replies);
/// assert_eq!((outcome.handler_calls, synth.freq, replies.len()), (1, 440, 1));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Dispatcher<'r, H, const N: usize> {
    /// Routes in registration order.
    routes: Vec<Route<'r, H>, N>,
    /// For each route, the dispatch of an incoming pattern (its `epoch`) that last reached it.
    marks: Index<u16, N>,
    /// Literal routes, sorted part by part ([`part_order`]), then by registration: the walk for an
    /// incoming pattern.
    literals: Index<Sorted, N>,
    /// The literal routes again, in a hash table: the lookup of a literal address.
    hashed: HashIndex<N>,
    /// Indices of pattern routes, in registration order.
    patterns: Index<u16, N>,
    /// The distinct last parts of the literal routes, in order of first registration…
    lasts: Index<Last, N>,
    /// …and their indices in `lasts` in a hash table ([`address_tag`] of the part)…
    last_tags: HashIndex<N>,
    /// …and the places in `literals` of the routes that end in each (see [`Last`]).
    by_last: Index<u16, N>,
    default: Option<H>,
    /// Counts the dispatches of incoming patterns, which mark the routes they reach (`Route::mark`).
    epoch: u16,
    /// The incoming pattern whose routes are marked with `epoch`.
    recent: Recent,
}

/// The last incoming pattern that was walked: its routes are still marked with the dispatcher's
/// epoch, so the same pattern again (a fader sending `/synth/*/gain`, say) needs no new walk.
/// Forgotten whenever a route is added or removed.
#[derive(Clone, Copy)]
struct Recent {
    /// The pattern; `len == 0` when there is none.
    bytes: [u8; Recent::MAX],
    len: usize,
    /// The lowest and highest index of a marked route.
    first: usize,
    last: usize,
}

impl Recent {
    /// The longest pattern remembered (none with `small`, which does not walk).
    const MAX: usize = if cfg!(feature = "small") { 0 } else { 48 };
    // All zeros (`first` and `last` mean nothing while `len` is 0): a `static` dispatcher can live
    // in `.bss`.
    const NONE: Self = Self {
        bytes: [0; Self::MAX],
        len: 0,
        first: 0,
        last: 0,
    };

    /// The marked range, if `pattern` is the remembered pattern.
    #[inline]
    fn get(&self, pattern: &[u8]) -> Option<(usize, usize)> {
        let remembered = self.bytes.get(..self.len)?;
        (self.len != 0 && bytes_eq(remembered, pattern)).then_some((self.first, self.last))
    }

    /// Remembers `pattern` (if it fits) and the range of the routes it marked.
    fn set(&mut self, pattern: &[u8], first: usize, last: usize) {
        *self = Self::NONE;
        if let Some(dst) = self.bytes.get_mut(..pattern.len()) {
            for (d, s) in dst.iter_mut().zip(pattern) {
                *d = *s;
            }
            self.len = pattern.len();
            self.first = first;
            self.last = last;
        }
    }
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
            marks: Vec::new(),
            literals: Vec::new(),
            hashed: HashIndex::new(),
            patterns: Vec::new(),
            lasts: Vec::new(),
            last_tags: HashIndex::new(),
            by_last: Vec::new(),
            default: None,
            epoch: 0,
            recent: Recent::NONE,
        }
    }

    /// Registers `handler` for `address`, a literal OSC address or an address pattern.
    ///
    /// Several handlers may be registered for the same address; they run in registration order. On error
    /// (table full, invalid address) the handler is handed back.
    pub fn map(&mut self, address: &'r str, handler: H) -> Result<(), MapError<H>> {
        self.recent = Recent::NONE;
        let is_pattern = pattern::is_pattern(address);
        // A string that is not a pattern passes `validate_pattern` exactly when it is a valid
        // address, with the same error otherwise: `small` keeps the one check.
        let valid = if is_pattern || cfg!(feature = "small") {
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
        // With `small`, dispatch scans the routes and needs no index.
        if cfg!(feature = "small") {
            return Ok(());
        }
        // `marks` has the capacity of `routes`.
        let _ = self.marks.push(0);
        // Both index vectors have capacity N and together hold fewer than N entries here.
        if is_pattern {
            let _ = self.patterns.push(index16);
        } else {
            let routes = &self.routes;
            let at = self.literals.partition_point(|s| {
                part_order(route_address(routes, s.index), address) != Ordering::Greater
            });
            let last_id = self.intern_last(index16);
            let _ = self
                .literals
                .insert(at, Sorted::new(index16, address, last_id));
            self.share(at);
            self.share(at.saturating_add(1));
            self.group_lasts();
            self.hashed.insert(address_tag(address.as_bytes()), index16);
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
        self.recent = Recent::NONE;
        if cfg!(feature = "small") {
            return;
        }
        self.literals.clear();
        self.hashed.clear();
        self.patterns.clear();
        self.lasts.clear();
        self.last_tags.clear();
        self.by_last.clear();
        self.marks.clear();
        let _ = self.marks.resize(self.routes.len(), 0);
        for i in 0..self.routes.len() {
            let Ok(i16) = u16::try_from(i) else { break };
            let Some(r) = self.routes.get(i) else { break };
            let (address, is_pattern) = (r.address, r.is_pattern);
            if is_pattern {
                let _ = self.patterns.push(i16);
            } else {
                self.hashed.push(address_tag(address.as_bytes()), i16);
                let last_id = self.intern_last(i16);
                let _ = self.literals.push(Sorted::new(i16, address, last_id));
            }
        }
        let routes = &self.routes;
        self.literals.sort_unstable_by(|a, b| {
            part_order(
                route_address(routes, a.index),
                route_address(routes, b.index),
            )
            .then(a.index.cmp(&b.index))
        });
        for at in 0..self.literals.len() {
            self.share(at);
        }
        self.group_lasts();
        self.hashed.finish();
    }

    /// Sets `literals[at].shared_parts`, if there is such an entry.
    fn share(&mut self, at: usize) {
        let previous = at
            .checked_sub(1)
            .and_then(|p| self.literals.get(p))
            .map_or("", |s| route_address(&self.routes, s.index));
        let Some(entry) = self.literals.get_mut(at) else {
            return;
        };
        let address = route_address(&self.routes, entry.index);
        // Both start with `/`: the parts are what follows each `/`.
        let n = previous
            .as_bytes()
            .get(1..)
            .unwrap_or_default()
            .split(|&b| b == b'/')
            .zip(
                address
                    .as_bytes()
                    .get(1..)
                    .unwrap_or_default()
                    .split(|&b| b == b'/'),
            )
            .take_while(|(a, b)| a == b)
            .count();
        entry.shared_parts = u16::try_from(n).unwrap_or(u16::MAX);
    }

    /// Fills `by_last` from `literals`: the places of the routes of each last part, in order.
    fn group_lasts(&mut self) {
        for l in self.lasts.iter_mut() {
            l.len = 0;
        }
        for s in &self.literals {
            if let Some(l) = self.lasts.get_mut(usize::from(s.last_id)) {
                l.len = l.len.saturating_add(1);
            }
        }
        let mut from = 0u32;
        for l in self.lasts.iter_mut() {
            l.from = from;
            from = from.saturating_add(l.len);
            l.len = 0;
        }
        self.by_last.clear();
        let _ = self.by_last.resize(self.literals.len(), 0);
        for (place, s) in self.literals.iter().enumerate() {
            let Some(l) = self.lasts.get_mut(usize::from(s.last_id)) else {
                continue;
            };
            let at = l.from.saturating_add(l.len);
            if let Some(slot) = usize::try_from(at)
                .ok()
                .and_then(|at| self.by_last.get_mut(at))
            {
                *slot = u16::try_from(place).unwrap_or(u16::MAX);
                l.len = l.len.saturating_add(1);
            }
        }
    }

    /// The entry in `lasts` for the last part of literal route `route`, added if no route has that
    /// last part yet.
    fn intern_last(&mut self, route: u16) -> u16 {
        let routes = &self.routes;
        let last_part = |i: u16| {
            let a = route_address(routes, i).as_bytes();
            a.get(last_start(a)..).unwrap_or_default()
        };
        let part = last_part(route);
        let tag = address_tag(part);
        let lasts = &self.lasts;
        let found = self.last_tags.bucket(tag).iter().find_map(|&(t, id)| {
            let l = lasts.get(usize::from(id))?;
            (t == tag && bytes_eq(last_part(l.route), part)).then_some(id)
        });
        match found {
            Some(id) => id,
            None => {
                // At most one entry per literal route: the pushes fit, and the id fits in a `u16`.
                let id = u16::try_from(self.lasts.len()).unwrap_or(u16::MAX);
                let _ = self.lasts.push(Last {
                    route,
                    seen: 0,
                    hit: false,
                    from: 0,
                    len: 0,
                });
                self.last_tags.insert(tag, id);
                id
            }
        }
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
            Packet::Message(message) => {
                let incoming = Incoming {
                    message,
                    timetag: None,
                    sender,
                };
                self.dispatch_one(&incoming, ctx, replies, &mut out);
            }
            Packet::Bundle(b) => return self.dispatch_bundle(b, ctx, sender, replies),
        }
        out
    }

    /// Dispatches the messages of a bundle now, in packet order (nested bundles included; timetags
    /// are shown to handlers, not waited for): [`dispatch`](Self::dispatch) of a bundle packet,
    /// for a caller that already holds the bundle.
    ///
    /// ```
    /// use osc_core::{decode, BundleBuilder, Dispatcher, HandlerFn, Replies, TimeTag};
    ///
    /// let mut routes: Dispatcher<HandlerFn<u32, ()>, 4> = Dispatcher::new();
    /// routes.map("/tick", |n, _, _| *n += 1).map_err(|e| e.kind).unwrap();
    /// let mut buf = [0u8; 64];
    /// let n = BundleBuilder::new(&mut buf, TimeTag::IMMEDIATELY)?
    ///     .message_with("/tick", |m| Ok(m))?
    ///     .message_with("/tock", |m| Ok(m))?
    ///     .finish()?;
    /// let bundle = decode(&buf[..n]).unwrap().into_bundle().unwrap();
    /// let mut ticks = 0;
    /// let out = routes.dispatch_bundle(&bundle, &mut ticks, &(), &mut Replies::none());
    /// assert_eq!((out.messages, out.unmatched, ticks), (2, 1, 1));
    /// # Ok::<(), osc_core::EncodeError>(())
    /// ```
    pub fn dispatch_bundle<C, A>(
        &mut self,
        bundle: &Bundle<'_>,
        ctx: &mut C,
        sender: &A,
        replies: &mut Replies<'_>,
    ) -> Outcome
    where
        H: Handler<C, A>,
    {
        let mut out = Outcome::default();
        // The walk of `walk`, without its callback: each message is dispatched where the element
        // iterator left it.
        let mut stack: Vec<(Elements<'_>, TimeTag), MAX_DEPTH_LIMIT> = Vec::new();
        let _ = stack.push((bundle.elements(), bundle.timetag()));
        while let Some((elements, timetag)) = stack.last_mut() {
            match elements.next_element() {
                None => {
                    stack.pop();
                }
                Some(Element::Message(message)) => {
                    let timetag = *timetag;
                    self.dispatch_element(&message, timetag, ctx, sender, replies, &mut out);
                }
                Some(Element::Packet(Packet::Message(message))) => {
                    let incoming = Incoming {
                        message: &message,
                        timetag: Some(*timetag),
                        sender,
                    };
                    self.dispatch_one(&incoming, ctx, replies, &mut out);
                }
                Some(Element::Packet(Packet::Bundle(inner))) => {
                    if stack.push((inner.elements(), inner.timetag())).is_err() {
                        out.too_deep += 1;
                    }
                }
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
        let incoming = Incoming {
            message,
            timetag,
            sender,
        };
        self.dispatch_one(&incoming, ctx, replies, out)
    }

    /// [`dispatch_message`](Self::dispatch_message), in line in each caller: the literal lookup is
    /// short, and everything else is out of line.
    #[cfg_attr(not(feature = "small"), inline(always))]
    #[cfg_attr(feature = "small", inline)]
    fn dispatch_one<C, A>(
        &mut self,
        incoming: &Incoming<'_, '_, A>,
        ctx: &mut C,
        replies: &mut Replies<'_>,
        out: &mut Outcome,
    ) -> usize
    where
        H: Handler<C, A>,
    {
        let literal = if cfg!(feature = "small") || !self.patterns.is_empty() {
            0
        } else {
            let m = incoming.message;
            let address = m.address().as_bytes();
            self.call_literal(
                address,
                m.args(),
                incoming.timetag,
                incoming.sender,
                ctx,
                replies,
            )
        };
        self.dispatch_rest(incoming, literal, ctx, replies, out)
    }

    /// A bundle element's message, whose address is still bytes: when only literal routes are
    /// registered and some have its address, they are shown the message with their own address
    /// (the same text), and the address's bytes are never made a `&str` (a UTF-8 check). Everything
    /// else goes on as [`dispatch_one`](Self::dispatch_one), out of line.
    #[inline(always)]
    pub(crate) fn dispatch_element<C, A>(
        &mut self,
        message: &ElementMessage<'_>,
        timetag: TimeTag,
        ctx: &mut C,
        sender: &A,
        replies: &mut Replies<'_>,
        out: &mut Outcome,
    ) where
        H: Handler<C, A>,
    {
        let address = message.address();
        let timetag = Some(timetag);
        if !cfg!(feature = "small") && self.patterns.is_empty() {
            let calls = self.call_literal(address, message.args(), timetag, sender, ctx, replies);
            if calls > 0 {
                out.messages += 1;
                out.handler_calls += calls;
                return;
            }
        }
        self.dispatch_element_text(message, timetag, ctx, sender, replies, out);
    }

    /// The rest of [`dispatch_element`](Self::dispatch_element), once its address is a `&str`.
    #[inline(never)]
    fn dispatch_element_text<C, A>(
        &mut self,
        message: &ElementMessage<'_>,
        timetag: Option<TimeTag>,
        ctx: &mut C,
        sender: &A,
        replies: &mut Replies<'_>,
        out: &mut Outcome,
    ) where
        H: Handler<C, A>,
    {
        // Validated: always `Some`.
        if let Some(message) = message.text() {
            let incoming = Incoming {
                message: &message,
                timetag,
                sender,
            };
            self.dispatch_rest(&incoming, 0, ctx, replies, out);
        }
    }

    /// Calls the literal routes registered under exactly `address` (only when every route is
    /// literal: they are then in its bucket, with its tag, in registration order; the bucket's other
    /// entries are skipped). Each handler is shown the message with the route's own address, which
    /// has the same text.
    #[inline(always)]
    fn call_literal<C, A>(
        &mut self,
        address: &[u8],
        args: Args<'_>,
        timetag: Option<TimeTag>,
        sender: &A,
        ctx: &mut C,
        replies: &mut Replies<'_>,
    ) -> usize
    where
        H: Handler<C, A>,
    {
        let tag = address_tag(address);
        let mut calls = 0usize;
        for &(t, i) in self.hashed.bucket(tag) {
            if t != tag {
                continue;
            }
            if let Some(r) = self.routes.get_mut(usize::from(i)) {
                if bytes_eq(r.address.as_bytes(), address) {
                    let message = Message::with_args(r.address, args);
                    let incoming = Incoming {
                        message: &message,
                        timetag,
                        sender,
                    };
                    r.call(&incoming, ctx, replies);
                    calls += 1;
                }
            }
        }
        calls
    }

    /// Dispatch after the literal routes, which made `literal` calls (0 when there are pattern routes,
    /// with `small`, or when no literal route has the address): an incoming pattern, pattern routes,
    /// the default handler.
    #[cfg_attr(not(feature = "small"), inline(always))]
    #[cfg_attr(feature = "small", inline)]
    fn dispatch_rest<C, A>(
        &mut self,
        incoming: &Incoming<'_, '_, A>,
        literal: usize,
        ctx: &mut C,
        replies: &mut Replies<'_>,
        out: &mut Outcome,
    ) -> usize
    where
        H: Handler<C, A>,
    {
        out.messages += 1;
        let mut calls = literal;
        if cfg!(feature = "small") {
            calls = self.dispatch_scan(incoming, ctx, replies);
        } else if self.patterns.is_empty() {
            // A literal route holds no wildcard: a message that reached one carries no pattern.
            if calls == 0 && pattern::is_pattern(incoming.message.address()) {
                calls = self.dispatch_pattern(incoming, ctx, replies);
            }
        } else {
            let tag = address_tag(incoming.message.address().as_bytes());
            calls = self.dispatch_mixed(incoming, tag, ctx, replies);
        }
        if calls == 0 {
            out.unmatched += 1;
            calls = self.dispatch_default(incoming, ctx, replies);
        }
        out.handler_calls += calls;
        calls
    }

    /// A message that carries a pattern: the literal routes it matches and the pattern routes
    /// registered under exactly the same pattern, in registration order.
    ///
    /// The pattern is split into parts once, then [`Walk`] goes through the literal routes part by
    /// part and marks those that match; the marked routes are then called in registration order.
    #[inline(never)]
    fn dispatch_pattern<C, A>(
        &mut self,
        incoming: &Incoming<'_, '_, A>,
        ctx: &mut C,
        replies: &mut Replies<'_>,
    ) -> usize
    where
        H: Handler<C, A>,
    {
        let address = incoming.message.address();
        let mut parts = Parts::new();
        let (first, last) = match self.recent.get(address.as_bytes()) {
            Some(range) => range,
            None => match parts.split(address.as_bytes()) {
                Split::Parts => self.mark_pattern(address, &parts),
                // Matches no literal route, and is no registered pattern (those are well formed).
                Split::Malformed => return 0,
                Split::Other => return self.dispatch_scan(incoming, ctx, replies),
            },
        };
        let epoch = self.epoch;
        let mut calls = 0;
        // One request for all the calls; only the route changes.
        let mut request = Request {
            message: *incoming.message,
            timetag: incoming.timetag,
            sender: incoming.sender,
            route: "",
        };
        let routes = self.routes.get_mut(first..=last).unwrap_or_default();
        let marks = self.marks.get(first..=last).unwrap_or_default();
        // The marks a word at a time, as a bit mask of those equal to `epoch`: whether a route was
        // reached follows no pattern that a branch predictor could learn.
        for (c, chunk) in marks.chunks(32).enumerate() {
            let mut bits = chunk
                .iter()
                .enumerate()
                .fold(0u32, |b, (k, &m)| b | (u32::from(m == epoch) << k));
            while bits != 0 {
                let k = (c * 32).saturating_add(bits.trailing_zeros() as usize);
                bits &= bits.wrapping_sub(1);
                if let Some(r) = routes.get_mut(k) {
                    request.route = r.address;
                    r.handler.handle(ctx, &request, replies);
                    calls += 1;
                }
            }
        }
        calls
    }

    /// Marks the routes that `address` (split into `parts`) reaches with a new epoch, remembers it as
    /// the recent pattern, and returns the lowest and highest index of a marked route.
    fn mark_pattern(&mut self, address: &str, parts: &Parts<'_>) -> (usize, usize) {
        let epoch = self.next_epoch();
        let mut kinds = [Part::Open; MAX_PARTS];
        Walk::<H, N>::kinds(parts, &mut kinds);
        let mut walk = Walk::new(
            (&self.routes, &mut self.marks),
            &self.literals,
            (&mut self.lasts, &self.last_tags, &self.by_last),
            parts,
            &kinds,
            epoch,
        );
        walk.run();
        for &i in &self.patterns {
            if walk.address(i) == address.as_bytes() {
                walk.mark(i);
            }
        }
        let (first, last) = (walk.first, walk.last);
        self.recent.set(address.as_bytes(), first, last);
        (first, last)
    }

    /// A new value for `epoch`, never 0 (the mark of a route that no pattern has reached yet) and
    /// greater than every route's mark.
    fn next_epoch(&mut self) -> u16 {
        self.epoch = self.epoch.wrapping_add(1);
        if self.epoch == 0 {
            for m in self.marks.iter_mut() {
                *m = 0;
            }
            for l in self.lasts.iter_mut() {
                l.seen = 0;
            }
            self.epoch = 1;
        }
        self.epoch
    }

    /// Every route in turn, with the same answers as the indexes: a literal address reaches the
    /// literal routes equal to it and the pattern routes that match it; a pattern reaches the literal
    /// routes it matches and the pattern routes equal to it as text. The whole of dispatch with
    /// `small`; otherwise only for the patterns that [`pattern::split`] leaves whole (`//`, many
    /// parts).
    #[inline(never)]
    fn dispatch_scan<C, A>(
        &mut self,
        incoming: &Incoming<'_, '_, A>,
        ctx: &mut C,
        replies: &mut Replies<'_>,
    ) -> usize
    where
        H: Handler<C, A>,
    {
        let address = incoming.message.address();
        let wild = pattern::is_pattern(address);
        let mut calls = 0;
        for r in self.routes.iter_mut() {
            let hit = match (r.is_pattern, wild) {
                (false, false) | (true, true) => r.address == address,
                (true, false) => pattern::matches(r.address, address),
                (false, true) => pattern::matches(address, r.address),
            };
            if hit {
                r.call(incoming, ctx, replies);
                calls += 1;
            }
        }
        calls
    }

    /// Any message, with pattern routes registered: the literal routes registered under exactly its
    /// address (`tag` is its [`address_tag`]) and the pattern routes that match it, merged into
    /// registration order; or [`dispatch_pattern`](Self::dispatch_pattern) if it carries a pattern.
    #[inline(never)]
    fn dispatch_mixed<C, A>(
        &mut self,
        incoming: &Incoming<'_, '_, A>,
        tag: u16,
        ctx: &mut C,
        replies: &mut Replies<'_>,
    ) -> usize
    where
        H: Handler<C, A>,
    {
        let address = incoming.message.address();
        if pattern::is_pattern(address) {
            return self.dispatch_pattern(incoming, ctx, replies);
        }
        let lits = self.hashed.bucket(tag);
        let pats = &self.patterns;
        let mut calls = 0;
        let (mut li, mut pi) = (0usize, 0usize);
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
            let next_lit = loop {
                match lits.get(li) {
                    Some(&(t, i)) if t == tag && route_address(&self.routes, i) == address => {
                        break Some(i);
                    }
                    Some(_) => li += 1,
                    None => break None,
                }
            };
            let index = match (next_lit, next_pat) {
                (Some(l), Some(p)) if l < p => {
                    li += 1;
                    l
                }
                (_, Some(p)) => {
                    next_pat = None;
                    p
                }
                (Some(l), None) => {
                    li += 1;
                    l
                }
                (None, None) => break,
            };
            if let Some(r) = self.routes.get_mut(usize::from(index)) {
                r.call(incoming, ctx, replies);
                calls += 1;
            }
        }
        calls
    }

    /// The default handler, if there is one; returns the number of calls (0 or 1).
    #[cfg_attr(not(feature = "small"), inline(never))]
    fn dispatch_default<C, A>(
        &mut self,
        incoming: &Incoming<'_, '_, A>,
        ctx: &mut C,
        replies: &mut Replies<'_>,
    ) -> usize
    where
        H: Handler<C, A>,
    {
        let Some(h) = self.default.as_mut() else {
            return 0;
        };
        call(h, "", incoming, ctx, replies);
        1
    }
}

/// The longest value of a finite last part with a literal prefix or suffix that [`Walk`] puts
/// together to look up; with a longer one, the last part is matched route by route.
const KEY_MAX: usize = 96;

/// The routes `literals[lo..hi]` share their first `j` parts, which matched; part `j` starts after
/// the `/` at `pos`. `next` is where the walk of this range goes on: an offset in the part's
/// alternatives, or the first route of its next block.
#[derive(Clone, Copy)]
struct Frame {
    j: usize,
    lo: usize,
    hi: usize,
    pos: usize,
    next: usize,
}

/// The walk of the literal routes for an incoming pattern. The sorted index keeps routes in part
/// order ([`part_order`]), so the routes that share their first parts are a range, split into
/// blocks by the part that follows. The walk goes depth first, part by part:
///
/// - a part with finitely many values ([`Part::Finite`]) takes the block of each value, found by
///   binary search (or the whole range, when its first and last routes have that value);
/// - any other part is tried once on each block's part;
/// - the last part, and any run of `*` parts before it, take the range in one pass
///   ([`flat`](Self::flat)): the routes with as many parts as the pattern whose last part matches.
///   The pattern's last part is matched once per distinct last part ([`Last`]), not once per route;
///   a finite one finds its routes from the lists of its values without looking at the others.
///
/// It marks the routes that match (`Walk::marks`) and keeps the lowest and highest route index.
struct Walk<'w, 'r, 'p, H, const N: usize> {
    routes: &'w Vec<Route<'r, H>, N>,
    marks: &'w mut [u16],
    lits: &'w [Sorted],
    lasts: &'w mut [Last],
    last_tags: &'w HashIndex<N>,
    by_last: &'w [u16],
    parts: &'w Parts<'p>,
    kinds: &'w [Part<'p>; MAX_PARTS],
    epoch: u16,
    first: usize,
    last: usize,
    /// The first part from which on every part but the last is `*`: from there the walk need not
    /// descend part by part.
    flat_from: usize,
    /// The number of parts, as a [`Sorted::parts`].
    parts_len: u16,
    /// The shortest and longest address part that the last part can match, as far as is known.
    last_len: (usize, usize),
    /// Whether every distinct last part that the last part matches is marked in `lasts` already
    /// (see [`know_finite_last`](Self::know_finite_last)), so that the others do not match.
    last_known: bool,
    /// Those distinct last parts, if `last_known` and there are at most [`WANTED_MAX`].
    wanted: Option<Vec<u16, WANTED_MAX>>,
}

/// The most distinct last parts that a walk looks up for a finite last part and then takes route
/// by route ([`Last`]); with more, it looks at each route of the range.
const WANTED_MAX: usize = 8;

impl<'w, 'r, 'p, H, const N: usize> Walk<'w, 'r, 'p, H, N> {
    /// Sets `kinds` to how each part of `parts` matches, for [`new`](Self::new).
    fn kinds(parts: &Parts<'p>, kinds: &mut [Part<'p>; MAX_PARTS]) {
        for (j, kind) in kinds.iter_mut().enumerate().take(parts.len()) {
            *kind = parts.part(j);
        }
    }

    fn new(
        (routes, marks): (&'w Vec<Route<'r, H>, N>, &'w mut [u16]),
        lits: &'w [Sorted],
        (lasts, last_tags, by_last): (&'w mut [Last], &'w HashIndex<N>, &'w [u16]),
        parts: &'w Parts<'p>,
        kinds: &'w [Part<'p>; MAX_PARTS],
        epoch: u16,
    ) -> Self {
        let n = parts.len();
        let mut flat_from = n.saturating_sub(1);
        while flat_from > 0 && matches!(kinds.get(flat_from.saturating_sub(1)), Some(Part::Any)) {
            flat_from -= 1;
        }
        let last = parts.part(n.saturating_sub(1));
        let last_len = match last {
            Part::Finite {
                prefix,
                alts,
                suffix,
            } => {
                let fixed = prefix.len().saturating_add(suffix.len());
                let (lo, hi) = alts
                    .split(|&b| b == b',')
                    .fold((usize::MAX, 0), |(lo, hi), alt| {
                        (lo.min(alt.len()), hi.max(alt.len()))
                    });
                (fixed.saturating_add(lo).max(1), fixed.saturating_add(hi))
            }
            _ => (1, usize::MAX),
        };
        let mut walk = Self {
            routes,
            marks,
            lits,
            lasts,
            last_tags,
            by_last,
            parts,
            kinds,
            epoch,
            first: usize::MAX,
            last: 0,
            flat_from,
            parts_len: u16::try_from(n).unwrap_or(u16::MAX),
            last_len,
            last_known: false,
            wanted: None,
        };
        if let Part::Finite {
            prefix,
            alts,
            suffix,
        } = last
        {
            walk.last_known = walk.know_finite_last(prefix, alts, suffix);
        }
        walk
    }

    /// For a finite last part, marks the distinct last parts it matches in `lasts`, each found by
    /// binary search. Returns `false` (some may be marked) if a value is too long to be put together.
    fn know_finite_last(&mut self, prefix: &[u8], alts: &[u8], suffix: &[u8]) -> bool {
        let mut wanted = Some(Vec::new());
        let mut key = [0u8; KEY_MAX];
        let Some(at) = put(&mut key, 0, prefix) else {
            return false;
        };
        for alt in alts.split(|&b| b == b',') {
            // The value is `alt` itself, or put together in `key`.
            let value = if at == 0 && suffix.is_empty() {
                alt
            } else {
                let Some(end) = put(&mut key, at, alt).and_then(|end| put(&mut key, end, suffix))
                else {
                    return false;
                };
                key.get(..end).unwrap_or_default()
            };
            let tag = address_tag(value);
            let id = self.last_tags.bucket(tag).iter().find_map(|&(t, id)| {
                let l = self.lasts.get(usize::from(id))?;
                (t == tag && bytes_eq(self.last_part(l.route), value)).then_some(id)
            });
            // An empty part matches no address part.
            let Some(id) = id.filter(|_| !value.is_empty()) else {
                continue;
            };
            if let Some(l) = self
                .lasts
                .get_mut(usize::from(id))
                .filter(|l| l.seen != self.epoch)
            {
                l.seen = self.epoch;
                l.hit = true;
                if let Some(w) = wanted.as_mut() {
                    if w.push(id).is_err() {
                        wanted = None;
                    }
                }
            }
        }
        self.wanted = wanted;
        true
    }

    /// The last part of route `i`.
    fn last_part(&self, i: u16) -> &'r [u8] {
        let a = self.address(i);
        a.get(last_start(a)..).unwrap_or_default()
    }

    /// The address of route `i`.
    #[inline]
    fn address(&self, i: u16) -> &'r [u8] {
        route_address(self.routes, i).as_bytes()
    }

    /// The address of the route at `k` in the sorted index.
    #[inline]
    fn lit(&self, k: usize) -> &'r [u8] {
        self.lits.get(k).map_or(&[], |s| self.address(s.index))
    }

    #[inline]
    fn kind(&self, j: usize) -> Part<'p> {
        self.kinds.get(j).copied().unwrap_or(Part::Open)
    }

    fn mark(&mut self, i: u16) {
        let i = usize::from(i);
        if let Some(m) = self.marks.get_mut(i) {
            *m = self.epoch;
            self.first = self.first.min(i);
            self.last = self.last.max(i);
        }
    }

    fn run(&mut self) {
        let mut stack: Vec<Frame, MAX_PARTS> = Vec::new();
        // Where the addresses to look up are put together.
        self.enter(&mut stack, 0, 0, self.lits.len(), 0);
        while let Some(&frame) = stack.last() {
            let Frame {
                j,
                lo,
                hi,
                pos,
                next,
            } = frame;
            let child = match self.kind(j) {
                Part::Finite {
                    prefix,
                    alts,
                    suffix,
                } => {
                    // The next alternative; past the end of `alts` when done.
                    let Some(rest) = alts.get(next..) else {
                        stack.pop();
                        continue;
                    };
                    let len = rest.iter().position(|&b| b == b',').unwrap_or(rest.len());
                    set_next(&mut stack, next.saturating_add(len).saturating_add(1));
                    let alt = rest.get(..len).unwrap_or_default();
                    self.finite_block(lo, hi, pos, [prefix, alt, suffix])
                }
                part => {
                    let Some((k, e, seg)) = self.next_block(next.max(lo), hi, j, pos) else {
                        stack.pop();
                        continue;
                    };
                    set_next(&mut stack, e);
                    let hit = match part {
                        Part::Any => true,
                        _ => self.parts.part_matches(j, seg),
                    };
                    let end = pos.saturating_add(1).saturating_add(seg.len());
                    hit.then_some((k, e, end))
                }
            };
            if let Some((lo, hi, pos)) = child {
                self.enter(&mut stack, j.saturating_add(1), lo, hi, pos);
            }
        }
    }

    /// Goes on with part `j` for the routes `lits[lo..hi]`: pushes a frame, or, from
    /// [`flat_from`](Self::flat_from) on (the last part at the latest), finishes the range at once.
    fn enter(
        &mut self,
        stack: &mut Vec<Frame, MAX_PARTS>,
        j: usize,
        lo: usize,
        hi: usize,
        pos: usize,
    ) {
        if lo >= hi {
            return;
        }
        if j >= self.flat_from {
            self.flat(lo, hi);
            return;
        }
        let _ = stack.push(Frame {
            j,
            lo,
            hi,
            pos,
            next: 0,
        });
    }

    /// The parts from [`flat_from`](Self::flat_from) on, all `*` but the last: marks the routes of
    /// `lits[lo..hi]` with as many parts as the pattern whose last part matches (`*` matches every
    /// address part).
    fn flat(&mut self, lo: usize, hi: usize) {
        if let Some(wanted) = self.wanted.take() {
            self.flat_wanted(&wanted, lo, hi);
            self.wanted = Some(wanted);
            return;
        }
        let last_j = self.parts.len().saturating_sub(1);
        let lits: &'w [Sorted] = self.lits;
        let range = lits.get(lo..hi).unwrap_or_default();
        let (n, epoch) = (self.parts_len, self.epoch);
        for &s in range {
            if s.parts != n {
                continue;
            }
            let hit = match self.lasts.get(usize::from(s.last_id)) {
                Some(l) if l.seen == epoch => l.hit,
                _ if self.last_known => false,
                _ => self.match_last_part(last_j, s),
            };
            if hit {
                self.mark(s.index);
            }
        }
    }

    /// [`flat`](Self::flat) for a finite last part whose distinct last parts are `wanted`: only the
    /// routes that end in one of them are looked at.
    #[inline(never)]
    fn flat_wanted(&mut self, wanted: &[u16], lo: usize, hi: usize) {
        let lits: &'w [Sorted] = self.lits;
        let by_last: &'w [u16] = self.by_last;
        let n = self.parts_len;
        for &id in wanted {
            let Some(l) = self.lasts.get(usize::from(id)) else {
                continue;
            };
            let (Ok(from), Ok(len)) = (usize::try_from(l.from), usize::try_from(l.len)) else {
                continue;
            };
            let places = by_last
                .get(from..from.saturating_add(len))
                .unwrap_or_default();
            let first = places.partition_point(|&p| usize::from(p) < lo);
            for &p in places.get(first..).unwrap_or_default() {
                let p = usize::from(p);
                if p >= hi {
                    break;
                }
                if let Some(&s) = lits.get(p).filter(|s| s.parts == n) {
                    self.mark(s.index);
                }
            }
        }
    }

    /// Whether the last part (part `j`) matches the last part of route `s`; remembered in its
    /// [`Last`], so that the walk matches each distinct last part once.
    #[inline(never)]
    fn match_last_part(&mut self, j: usize, s: Sorted) -> bool {
        let id = usize::from(s.last_id);
        let seg = self.last_part(s.index);
        let hit = self.last_matches(self.kind(j), j, seg);
        if let Some(l) = self.lasts.get_mut(id) {
            l.seen = self.epoch;
            l.hit = hit;
        }
        hit
    }

    /// Whether the last part (`kind`, part `j`) matches the address part `seg` (without `/`).
    fn last_matches(&self, kind: Part<'p>, j: usize, seg: &[u8]) -> bool {
        let (min, max) = self.last_len;
        if seg.len() < min || seg.len() > max {
            return false;
        }
        match kind {
            Part::Finite {
                prefix,
                alts,
                suffix,
            } => finite_contains(seg, prefix, alts, suffix),
            Part::Any => true,
            Part::Open => self.parts.part_matches(j, seg),
        }
    }

    /// The block of `lits[lo..hi]` whose part (after the `/` at `pos`) is `pieces` put end to end:
    /// `(from, to, end of the part)`, or `None` if there is none.
    fn finite_block(
        &self,
        lo: usize,
        hi: usize,
        pos: usize,
        pieces: [&[u8]; 3],
    ) -> Option<(usize, usize, usize)> {
        let len = pieces
            .iter()
            .map(|p| p.len())
            .fold(0usize, usize::saturating_add);
        if len == 0 {
            return None;
        }
        let end = pos.saturating_add(1).saturating_add(len);
        let order = |k: usize| cmp_part(self.lit(k), pos, pieces);
        // Often the whole range has this part.
        if order(lo) == Ordering::Equal && order(hi.saturating_sub(1)) == Ordering::Equal {
            return Some((lo, hi, end));
        }
        let range = self.lits.get(lo..hi)?;
        let from = range
            .partition_point(|s| cmp_part(self.address(s.index), pos, pieces) == Ordering::Less);
        let size = range
            .get(from..)?
            .partition_point(|s| cmp_part(self.address(s.index), pos, pieces) == Ordering::Equal);
        let from = lo.saturating_add(from);
        (size > 0).then_some((from, from.saturating_add(size), end))
    }

    /// The block of routes at or after `k` (and before `hi`) with the same part `j`, after the `/` at
    /// `pos`: `(start, end, the part)`. Routes that end at `pos` are skipped.
    fn next_block(
        &self,
        k: usize,
        hi: usize,
        j: usize,
        pos: usize,
    ) -> Option<(usize, usize, &'r [u8])> {
        let mut k = k;
        while k < hi && self.lit(k).len() <= pos {
            k += 1;
        }
        if k >= hi {
            return None;
        }
        let rest = self.lit(k).get(pos.saturating_add(1)..).unwrap_or_default();
        let seg = rest
            .get(..rest.iter().position(|&b| b == b'/').unwrap_or(rest.len()))
            .unwrap_or_default();
        // The range shares its first `j` parts; the routes that follow share part `j` too as long
        // as each shares more than `j` parts with the one before it.
        let mut e = k.saturating_add(1);
        while e < hi
            && self
                .lits
                .get(e)
                .is_some_and(|s| usize::from(s.shared_parts) > j)
        {
            e += 1;
        }
        Some((k, e, seg))
    }
}

/// Whether `seg` is `prefix ++ alt ++ suffix` for one of the comma-separated alternatives `alts`.
fn finite_contains(seg: &[u8], prefix: &[u8], alts: &[u8], suffix: &[u8]) -> bool {
    seg.strip_prefix(prefix)
        .and_then(|rest| rest.strip_suffix(suffix))
        .is_some_and(|middle| alts.split(|&b| b == b',').any(|alt| bytes_eq(alt, middle)))
}

/// Sets `next` of the top frame.
fn set_next(stack: &mut Vec<Frame, MAX_PARTS>, next: usize) {
    if let Some(frame) = stack.last_mut() {
        frame.next = next;
    }
}

/// Writes `piece` into `key` at `at`; returns where it ends, or `None` if it does not fit.
#[inline]
fn put(key: &mut [u8; KEY_MAX], at: usize, piece: &[u8]) -> Option<usize> {
    let end = at.checked_add(piece.len())?;
    let dst = key.get_mut(at..end)?;
    // Parts are short: fixed-size copies (overlapping at the end), without a call to `memcpy`.
    fn copy<const K: usize>(dst: &mut [u8], src: &[u8]) {
        if let (Some(d), Some(s)) = (dst.first_chunk_mut::<K>(), src.first_chunk::<K>()) {
            *d = *s;
        }
        if let (Some(d), Some(s)) = (dst.last_chunk_mut::<K>(), src.last_chunk::<K>()) {
            *d = *s;
        }
    }
    match piece.len() {
        0 => {}
        1 => copy::<1>(dst, piece),
        2..=3 => copy::<2>(dst, piece),
        4..=7 => copy::<4>(dst, piece),
        8..=16 => copy::<8>(dst, piece),
        len => {
            let mut i = 0;
            while i < len {
                let (Some(d), Some(s)) = (dst.get_mut(i..), piece.get(i..)) else {
                    break;
                };
                copy::<8>(d, s);
                i = i.saturating_add(8);
            }
        }
    }
    Some(end)
}

/// Where the last part of `address` starts: after its last `/` (0 if it has none).
fn last_start(address: &[u8]) -> usize {
    address
        .iter()
        .rposition(|&b| b == b'/')
        .map_or(0, |i| i.saturating_add(1))
}

/// Orders addresses part by part: as bytes, with `/` below every other byte. Routes that share their
/// first parts are then next to each other, ordered by the part that follows, and an address comes
/// just before those that continue it with more parts.
fn part_order(a: &str, b: &str) -> Ordering {
    let key = |c: u8| if c == b'/' { 0 } else { c };
    a.bytes().map(key).cmp(b.bytes().map(key))
}

/// Compares the part of address `a` that starts after the `/` at `pos` with `pieces` put end to
/// end. An address that ends at `pos` has no such part and comes first.
#[inline]
fn cmp_part(a: &[u8], pos: usize, pieces: [&[u8]; 3]) -> Ordering {
    let Some(rest) = a.get(pos.saturating_add(1)..) else {
        return Ordering::Less;
    };
    // Parts are short: a byte loop, stopping at the first difference.
    let mut seg = rest.iter();
    for piece in pieces {
        for &y in piece {
            match seg.next() {
                Some(&x) if x == y => {}
                // `/` (the end of the part) is below every byte of a part.
                Some(&x) if x != b'/' => return x.cmp(&y),
                _ => return Ordering::Less,
            }
        }
    }
    match seg.next() {
        None | Some(b'/') => Ordering::Equal,
        Some(_) => Ordering::Greater,
    }
}

fn route_address<'r, H, const N: usize>(routes: &Vec<Route<'r, H>, N>, i: u16) -> &'r str {
    routes.get(usize::from(i)).map_or("", |r| r.address)
}

/// The 16-bit hash of an address that [`HashIndex`] files it under: the top bits of a word-at-a-time
/// multiply-rotate hash (FxHash's step) over the bytes, seeded with the length.
#[inline]
fn address_tag(bytes: &[u8]) -> u16 {
    const W: usize = core::mem::size_of::<usize>();
    #[cfg(target_pointer_width = "64")]
    const K: usize = 0x517c_c1b7_2722_0a95;
    #[cfg(not(target_pointer_width = "64"))]
    const K: usize = 0x9e37_79b9;
    let step =
        |h: usize, w: &[u8; W]| (h.rotate_left(5) ^ usize::from_le_bytes(*w)).wrapping_mul(K);
    let mut h = bytes.len();
    match (bytes.first_chunk::<W>(), bytes.last_chunk::<W>()) {
        // Up to two words: the first and the last, which may overlap (most addresses, on 64 bits).
        (Some(first), Some(last)) if bytes.len() <= 2 * W => h = step(step(h, first), last),
        (Some(_), Some(last)) => {
            let mut rest = bytes;
            while let Some((word, after)) = rest.split_first_chunk::<W>() {
                h = step(h, word);
                rest = after;
            }
            if !rest.is_empty() {
                h = step(h, last);
            }
        }
        // Shorter than a word: padded with zeros.
        _ => {
            let mut word = [0u8; W];
            for (d, s) in word.iter_mut().zip(bytes) {
                *d = *s;
            }
            h = step(h, &word);
        }
    }
    // The multiplication leaves its best bits at the top.
    (h >> (usize::BITS - 16)) as u16
}

/// A fixed-capacity hash table of byte strings (the literal routes' addresses, or their distinct last
/// parts): `(tag, index)` entries sorted by tag (see [`address_tag`]), then index, and the start of
/// each bucket, a bucket being the entries whose tags share their top `BITS` bits. With `1 << BITS`
/// buckets for at most `N` entries (`BITS = floor(log2 N)`), a bucket holds about one or two.
struct HashIndex<const N: usize> {
    entries: Index<(u16, u16), N>,
    /// `starts[b]`: the first entry of bucket `b` (or later). Empty until the first entry is filed.
    starts: Index<u16, N>,
}

impl<const N: usize> HashIndex<N> {
    /// `floor(log2 N)`, at most 16 (N is at most 65 536), and 0 for N = 0.
    const BITS: u32 = if N > 1 { N.ilog2() } else { 0 };

    const fn new() -> Self {
        Self {
            entries: Vec::new(),
            starts: Vec::new(),
        }
    }

    /// The bucket of `tag`.
    #[inline]
    fn bucket_of(tag: u16) -> usize {
        usize::from(tag).wrapping_shr(16u32.saturating_sub(Self::BITS))
    }

    /// The entries of the bucket that `tag` belongs to; entries with other tags are among them.
    #[inline]
    fn bucket(&self, tag: u16) -> &[(u16, u16)] {
        let b = Self::bucket_of(tag);
        let start = self.starts.get(b).map_or(0, |&s| usize::from(s));
        let end = self
            .starts
            .get(b.wrapping_add(1))
            .map_or(self.entries.len(), |&s| usize::from(s));
        self.entries.get(start..end).unwrap_or_default()
    }

    fn clear(&mut self) {
        self.entries.clear();
        self.starts.clear();
    }

    /// Adds an entry for `index`, greater than every index already in the table.
    fn insert(&mut self, tag: u16, index: u16) {
        let at = self.entries.partition_point(|&(t, _)| t <= tag);
        if self.entries.insert(at, (tag, index)).is_ok() {
            self.index_buckets();
        }
    }

    /// Adds an entry in any order; [`finish`](Self::finish) sorts them.
    fn push(&mut self, tag: u16, index: u16) {
        let _ = self.entries.push((tag, index));
    }

    fn finish(&mut self) {
        self.entries.sort_unstable();
        self.index_buckets();
    }

    /// Recomputes `starts` from `entries`.
    fn index_buckets(&mut self) {
        self.starts.clear();
        let mut at = 0usize;
        for b in 0..1usize << Self::BITS {
            while self
                .entries
                .get(at)
                .is_some_and(|&(t, _)| Self::bucket_of(t) < b)
            {
                at += 1;
            }
            // There are at most N buckets, so the push succeeds. `at` exceeds `u16::MAX` only for
            // N = 65 536 and buckets after the last entry: their range then takes in the last entry,
            // which a lookup skips because its tag differs.
            let _ = self.starts.push(u16::try_from(at).unwrap_or(u16::MAX));
        }
    }
}

/// One step of a bundle walk.
pub(crate) enum Visit<'p> {
    /// A message and the timetag of the bundle holding it.
    Message {
        message: Message<'p>,
        timetag: TimeTag,
    },
    /// The same, for a message read from the wire: its address not yet made a `&str`, which
    /// [`Dispatcher`] can skip when a literal route has the address (never with `small`).
    Element {
        message: ElementMessage<'p>,
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
    let due = floor.later(root.timetag());
    if !visit(Visit::Bundle { bundle: root, due }) {
        return 0;
    }
    let mut too_deep = 0;
    let mut stack: Vec<(Elements<'p>, TimeTag, TimeTag), MAX_DEPTH_LIMIT> = Vec::new();
    let _ = stack.push((root.elements(), root.timetag(), due));
    while let Some((elements, own, due)) = stack.last_mut() {
        let (own, due) = (*own, *due);
        match elements.next_element() {
            None => {
                stack.pop();
            }
            Some(Element::Message(message)) => {
                visit(Visit::Element {
                    message,
                    timetag: own,
                });
            }
            Some(Element::Packet(Packet::Message(message))) => {
                visit(Visit::Message {
                    message,
                    timetag: own,
                });
            }
            Some(Element::Packet(Packet::Bundle(b))) => {
                let due = due.later(b.timetag());
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
