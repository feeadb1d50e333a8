//! The OSC application used on both sides of the network tests: a server with a few routes and a
//! client-side service that records what comes back.

use heapless::{String, Vec};
use osc_embedded::osc_core::{Dispatcher, HandlerFn, Outcome, Packet, Replies, Request};
use osc_embedded::Service;

/// Server state.
#[derive(Default, Debug)]
pub struct Server {
    pub led: i32,
    pub requests: u32,
}

pub type Routes<A> = Dispatcher<'static, HandlerFn<Server, A>, 8>;

fn ping<A>(s: &mut Server, _: &Request<'_, '_, A>, r: &mut Replies<'_>) {
    s.requests += 1;
    let _ = r.message_with("/pong", |m| m.int(1));
}

fn add<A>(s: &mut Server, req: &Request<'_, '_, A>, r: &mut Replies<'_>) {
    s.requests += 1;
    if let Ok((a, b)) = req.message.get::<(i32, i32)>() {
        let _ = r.message_with("/sum", |m| m.int(a.wrapping_add(b)));
    }
}

fn echo<A>(s: &mut Server, req: &Request<'_, '_, A>, r: &mut Replies<'_>) {
    s.requests += 1;
    let _ = r.message_with("/echo", |m| m.args(req.message.iter()));
}

fn led<A>(s: &mut Server, req: &Request<'_, '_, A>, _: &mut Replies<'_>) {
    s.requests += 1;
    if let Ok((v,)) = req.message.get::<(i32,)>() {
        s.led = v;
    }
}

/// `/ping` → `/pong 1`, `/add a b` → `/sum a+b`, `/echo …` → `/echo …`, `/led v` (no reply).
pub fn routes<A>() -> Routes<A> {
    let mut d: Routes<A> = Dispatcher::new();
    for (address, handler) in [
        ("/ping", ping::<A> as HandlerFn<Server, A>),
        ("/add", add::<A>),
        ("/echo", echo::<A>),
        ("/led", led::<A>),
    ] {
        if d.map(address, handler).is_err() {
            panic!("cannot map {address}");
        }
    }
    d
}

/// What a client received: addresses and first int arguments, in order.
#[derive(Default, Debug)]
pub struct Recorder {
    pub got: Vec<(String<16>, Option<i32>), 16>,
}

impl Recorder {
    pub fn addresses(&self) -> impl Iterator<Item = &str> {
        self.got.iter().map(|(a, _)| a.as_str())
    }

    pub fn has(&self, address: &str, value: i32) -> bool {
        self.got
            .iter()
            .any(|(a, v)| a.as_str() == address && *v == Some(value))
    }
}

impl<A> Service<A> for Recorder {
    fn handle(&mut self, packet: &Packet<'_>, _: &A, _: &mut Replies<'_>) -> Outcome {
        if let Some(m) = packet.as_message() {
            let address = String::try_from(m.address()).unwrap_or_default();
            let first = m.get_prefix::<(i32,)>().ok().map(|(v,)| v);
            let _ = self.got.push((address, first));
        }
        Outcome {
            messages: 1,
            ..Outcome::default()
        }
    }
}
