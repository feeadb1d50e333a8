//! Helpers shared by the osc-std integration tests: a test dispatcher, bounded waiting, quiet
//! deliberate panics, packets encoded and framed by hand.
#![allow(dead_code, unreachable_pub)]

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Once};
use std::time::{Duration, Instant};

use osc_core::{Arg, Dispatcher, HandlerFn, Message, Replies, Request};
use osc_std::Framing;

/// What every test handler can reach: a counter of handled `/count` messages.
#[derive(Clone, Debug, Default)]
pub struct Ctx {
    pub counted: Arc<AtomicU64>,
}

pub type TestDispatcher = Dispatcher<'static, HandlerFn<Ctx, SocketAddr>, 8>;

pub const PANIC_TEXT: &str = "deliberate handler panic";

/// `/echo` replies with the message itself; `/count` counts; `/panic` panics; `/reply2` sends two
/// replies; `/sleep ms` sleeps, then counts.
pub fn dispatcher() -> TestDispatcher {
    fn echo(_: &mut Ctx, req: &Request<'_, '_, SocketAddr>, replies: &mut Replies<'_>) {
        let _ = replies.send(&req.message);
    }
    fn count(ctx: &mut Ctx, _: &Request<'_, '_, SocketAddr>, _: &mut Replies<'_>) {
        ctx.counted.fetch_add(1, Ordering::SeqCst);
    }
    fn panic(_: &mut Ctx, _: &Request<'_, '_, SocketAddr>, _: &mut Replies<'_>) {
        std::panic::panic_any(PANIC_TEXT);
    }
    fn reply2(_: &mut Ctx, _: &Request<'_, '_, SocketAddr>, replies: &mut Replies<'_>) {
        let _ = replies.message_with("/r", |m| m.int(1));
        let _ = replies.message_with("/r", |m| m.int(2));
    }
    fn sleep(ctx: &mut Ctx, req: &Request<'_, '_, SocketAddr>, _: &mut Replies<'_>) {
        let ms = req.message.get::<(i32,)>().map_or(0, |(ms,)| ms);
        std::thread::sleep(Duration::from_millis(u64::try_from(ms).unwrap_or(0)));
        ctx.counted.fetch_add(1, Ordering::SeqCst);
    }
    let mut d = TestDispatcher::new();
    d.map("/sleep", sleep).map_err(|e| e.kind).unwrap();
    d.map("/echo", echo).map_err(|e| e.kind).unwrap();
    d.map("/count", count).map_err(|e| e.kind).unwrap();
    d.map("/panic", panic).map_err(|e| e.kind).unwrap();
    d.map("/reply2", reply2).map_err(|e| e.kind).unwrap();
    d
}

/// Keeps the deliberate handler panics out of the test output; other panics print as usual.
pub fn quiet_deliberate_panics() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if info.payload().downcast_ref::<&str>() != Some(&PANIC_TEXT) {
                default(info);
            }
        }));
    });
}

/// Polls `done` every millisecond for at most `limit`; returns whether it became true.
pub fn eventually(limit: Duration, mut done: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    loop {
        if done() {
            return true;
        }
        if start.elapsed() >= limit {
            return false;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// The longest any test waits for something that should happen at once.
pub const PATIENCE: Duration = Duration::from_secs(5);

/// Whether this host can bind `[::1]`.
pub fn ipv6_loopback_available() -> bool {
    std::net::UdpSocket::bind("[::1]:0").is_ok()
}

/// Bytes that are not an OSC packet: neither `/` nor `#bundle` first.
pub const GARBAGE: &[u8] = b"not osc!";

/// A blocking UDP server on `addr` with [`dispatcher`] and a fresh [`Ctx`], on its own thread.
pub fn spawn_blocking(
    builder: osc_std::udp::UdpServerBuilder,
    addr: &str,
) -> (osc_std::ServerHandle, Ctx) {
    let ctx = Ctx::default();
    let handle = builder
        .bind(addr)
        .unwrap()
        .spawn(dispatcher(), ctx.clone())
        .unwrap();
    (handle, ctx)
}

/// A threaded UDP server on an ephemeral loopback port, every worker with [`dispatcher`] and a
/// clone of one [`Ctx`].
pub fn spawn_threaded(builder: osc_std::udp::UdpServerBuilder) -> (osc_std::ServerHandle, Ctx) {
    let ctx = Ctx::default();
    let shared = ctx.clone();
    let handle = builder
        .bind_threaded("127.0.0.1:0")
        .unwrap()
        .spawn(move |_| (dispatcher(), shared.clone()))
        .unwrap();
    (handle, ctx)
}

/// The bytes of the message `address args…`.
pub fn encode(address: &str, args: &[Arg<'_>]) -> Vec<u8> {
    let msg = Message::new(address, args);
    let mut buf = vec![0u8; msg.encoded_len()];
    msg.encode(&mut buf).unwrap();
    buf
}

/// `packet` in `framing`.
pub fn framed(framing: Framing, packet: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    framing.encode(packet, &mut out).unwrap().to_vec()
}
