//! The OSC application: eight routes, replies built in place.
//!
//! | address | arguments | reply |
//! |---|---|---|
//! | `/ping` | | `/pong` |
//! | `/add` | `i i` | `/sum i` |
//! | `/blob` | `b` | `/blob b` (the same bytes) |
//! | `/led` | `i` | |
//! | `/gain` | `f` | `/gain f` (the value stored) |
//! | `/name` | `s` | |
//! | `/status` | | `/status i f i` (led, gain, requests so far) |
//! | `/quit` | | `/bye`, and the firmware exits |

use osc_embedded::osc_core::{Dispatcher, HandlerFn, Replies, Request};

/// The application state the handlers change.
#[derive(Default)]
pub struct App {
    pub led: i32,
    pub gain: f32,
    pub name: [u8; 16],
    pub requests: i32,
    pub quit: bool,
}

impl App {
    /// The state at start-up (all zero, so a `static` of it takes no flash).
    pub const fn new() -> Self {
        Self {
            led: 0,
            gain: 0.0,
            name: [0; 16],
            requests: 0,
            quit: false,
        }
    }
}

/// The routing table, generic over the sender type of the transport.
pub type Routes<A> = Dispatcher<'static, HandlerFn<App, A>, 8>;

/// Registers the eight routes. Returns the number registered (8 unless the table is too small).
pub fn routes<A>(d: &mut Routes<A>) -> usize {
    let mut n = 0;
    let mut map =
        |address, handler: HandlerFn<App, A>| n += usize::from(d.map(address, handler).is_ok());
    map("/ping", ping);
    map("/add", add);
    map("/blob", blob);
    map("/led", led);
    map("/gain", gain);
    map("/name", name);
    map("/status", status);
    map("/quit", quit);
    n
}

/// A reply without arguments (a reply that does not fit is dropped).
fn reply(r: &mut Replies<'_>, address: &str) {
    let _ = r.message(address).send();
}

fn ping<A>(app: &mut App, _: &Request<'_, '_, A>, r: &mut Replies<'_>) {
    app.requests += 1;
    reply(r, "/pong");
}

fn add<A>(app: &mut App, req: &Request<'_, '_, A>, r: &mut Replies<'_>) {
    app.requests += 1;
    if let Ok((a, b)) = req.message.get::<(i32, i32)>() {
        let _ = r.message("/sum").int(a.wrapping_add(b)).send();
    }
}

fn blob<A>(app: &mut App, req: &Request<'_, '_, A>, r: &mut Replies<'_>) {
    app.requests += 1;
    if let Ok((bytes,)) = req.message.get::<(&[u8],)>() {
        let _ = r.message("/blob").blob(bytes).send();
    }
}

fn led<A>(app: &mut App, req: &Request<'_, '_, A>, _: &mut Replies<'_>) {
    app.requests += 1;
    if let Ok((v,)) = req.message.get::<(i32,)>() {
        app.led = v;
    }
}

fn gain<A>(app: &mut App, req: &Request<'_, '_, A>, r: &mut Replies<'_>) {
    app.requests += 1;
    if let Ok((g,)) = req.message.get::<(f32,)>() {
        app.gain = g;
    }
    let _ = r.message("/gain").float(app.gain).send();
}

fn name<A>(app: &mut App, req: &Request<'_, '_, A>, _: &mut Replies<'_>) {
    app.requests += 1;
    if let Ok((s,)) = req.message.get::<(&str,)>() {
        let n = s.len().min(app.name.len());
        app.name = [0; 16];
        if let (Some(dst), Some(src)) = (app.name.get_mut(..n), s.as_bytes().get(..n)) {
            dst.copy_from_slice(src);
        }
    }
}

fn status<A>(app: &mut App, _: &Request<'_, '_, A>, r: &mut Replies<'_>) {
    app.requests += 1;
    let _ = r
        .message("/status")
        .int(app.led)
        .float(app.gain)
        .int(app.requests)
        .send();
}

fn quit<A>(app: &mut App, _: &Request<'_, '_, A>, r: &mut Replies<'_>) {
    app.quit = true;
    reply(r, "/bye");
}
