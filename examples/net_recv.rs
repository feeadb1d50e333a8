//! N1 / N1b receiver of WORKLOADS.md: binds `127.0.0.1:0` (or `--bind ADDR`), prints
//! `READY <address>`, counts datagrams, and stops once at least one has arrived and none has for
//! 500 ms, or after 20 s. Then prints
//! `{"kind":"net_recv","peer":…,"received":N,"bad":N,"span_s":x}`, where `span_s` is the time
//! from the first datagram to the last.
//!
//! ```text
//! net_recv --peer osc|osc-tokio|raw-std|raw-mmsg|raw-mmsg-addr|raw-mmsg-core|rosc [--bind 127.0.0.1:0]
//! ```
//!
//! - `osc`: osc-std's blocking `UdpServer` (batched receive on Linux) with one route,
//!   `/synth/1/freq`, whose handler counts calls; datagrams that do not reach it are `bad`. The
//!   handler also reads the clock at its first call and at every 64th after it, for the first and
//!   last arrival (so the last is known to within 63 datagrams); a watcher thread applies the
//!   stop rule from the server's `received` counter, every 50 ms.
//! - `osc-tokio` (with the example crate's `tokio` feature): osc-std's tokio `UdpServer` on a
//!   current-thread runtime, with the same route and handler, and the watcher as a task.
//! - `raw-std`: a `std::net::UdpSocket::recv` loop (`bad`: not 40 bytes).
//! - `raw-mmsg`: a `recvmmsg(64, MSG_WAITFORONE)` loop into 2 KiB slots, without sender addresses
//!   (Linux; `bad`: not 40 bytes).
//! - `raw-mmsg-addr`: the same loop with what a server that replies cannot do without: each
//!   datagram's sender address, and 64 KiB slots, so that no datagram is truncated (osc-std's
//!   receive buffers). Not a WORKLOADS.md peer: the floor for osc-std's receiver.
//! - `raw-mmsg-core`: the `raw-mmsg-addr` loop calling osc-core's `decode` and `Dispatcher` (the
//!   same route and handler as `osc`) on each datagram, with its sender's address: what osc-std's
//!   server does, without the server. Not a WORKLOADS.md peer: it splits the server's cost from
//!   the codec's. `bad`: datagrams that did not reach the handler.
//! - `rosc`: `recv_from` + `rosc::decoder::decode_udp` + a `Matcher` against the one route.

use std::io::Write as _;
use std::net::{SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

use osc_core::{Dispatcher, Replies, Request};
use osc_examples::bench::json_str;
use osc_std::udp::UdpServer;

/// Stop after this long without a datagram (once one has arrived)…
const IDLE: Duration = Duration::from_millis(500);
/// …or after this long in all.
const LIMIT: Duration = Duration::from_secs(20);
/// The one route.
const ROUTE: &str = "/synth/1/freq";
/// W1's length.
const W1_LEN: usize = 40;
/// The osc receiver's handler reads the clock at its first call and every this many calls after.
const STAMP_EVERY: u64 = 64;
/// How often the osc receiver's watcher checks the stop rule.
const WATCH: Duration = Duration::from_millis(50);

/// Counts and first/last arrival times.
#[derive(Debug, Default)]
struct Tally {
    received: u64,
    bad: u64,
    first: Option<Instant>,
    last: Option<Instant>,
}

impl Tally {
    /// `n` datagrams arrived (timestamped together).
    fn arrived(&mut self, n: u64) {
        let now = Instant::now();
        self.first.get_or_insert(now);
        self.last = Some(now);
        self.received += n;
    }

    /// Whether a receive that timed out after `IDLE` ends the run.
    fn done(&self, start: Instant) -> bool {
        self.first.is_some() || start.elapsed() >= LIMIT
    }

    fn span_s(&self) -> f64 {
        match (self.first, self.last) {
            (Some(a), Some(b)) => (b - a).as_secs_f64(),
            _ => 0.0,
        }
    }
}

fn ready(addr: SocketAddr) {
    println!("READY {addr}");
    let _ = std::io::stdout().flush();
}

fn is_timeout(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
    )
}

/// What the osc receiver's handler keeps: its calls, and the clock at the first call and at every
/// [`STAMP_EVERY`]th call after it.
#[derive(Debug, Default)]
struct Calls {
    calls: u64,
    first: Option<Instant>,
    last: Option<Instant>,
}

/// The osc receivers' one handler: counts calls, and reads the clock at the first call and every
/// [`STAMP_EVERY`]th.
fn count(c: &mut Calls, _: &Request<'_, '_, SocketAddr>, _: &mut Replies<'_>) {
    c.calls += 1;
    if c.calls % STAMP_EVERY == 1 {
        let now = Instant::now();
        c.first.get_or_insert(now);
        c.last = Some(now);
    }
}

/// A dispatcher with [`ROUTE`] mapped to [`count`].
fn counting_dispatcher() -> Dispatcher<'static, osc_core::HandlerFn<Calls, SocketAddr>, 1> {
    let mut dispatcher = Dispatcher::new();
    dispatcher
        .map(ROUTE, count as osc_core::HandlerFn<Calls, SocketAddr>)
        .map_err(|e| e.kind)
        .expect("a valid address");
    dispatcher
}

/// Whether the osc receivers' watcher should stop the server, given the `received` counter now
/// and what it saw last (updated here).
fn watch_says_stop(start: Instant, received: u64, seen: &mut (u64, Instant)) -> bool {
    let now = Instant::now();
    if received != seen.0 {
        *seen = (received, now);
    }
    (seen.0 > 0 && now - seen.1 >= IDLE) || start.elapsed() >= LIMIT
}

/// The tally of an osc receiver from its server's `received` counter and its handler's calls.
fn osc_tally(received: u64, calls: &Calls) -> Tally {
    Tally {
        received,
        bad: received - calls.calls,
        first: calls.first,
        last: calls.last,
    }
}

/// The osc-std blocking server. Arrival times come from the handler (see [`Calls`]); a watcher
/// thread reads the server's `received` counter every [`WATCH`] for the stop rule, so the server's
/// loop is unchanged.
fn run_osc(bind: &str) -> Tally {
    let mut dispatcher = counting_dispatcher();
    let mut server = UdpServer::bind(bind).expect("bind");
    ready(server.local_addr().expect("local address"));
    let (stop, counters) = (server.shutdown_handle(), server.counters());
    let mut calls = Calls::default();
    let start = Instant::now();
    std::thread::scope(|s| {
        let serving = s.spawn(|| server.run(&mut dispatcher, &mut calls));
        let mut seen = (0u64, start);
        loop {
            std::thread::sleep(WATCH);
            if watch_says_stop(start, counters.snapshot().received, &mut seen) {
                break;
            }
        }
        stop.shutdown();
        serving.join().expect("server thread").expect("server");
    });
    osc_tally(counters.snapshot().received, &calls)
}

/// osc-std's tokio server on a current-thread runtime (one thread, like the blocking server),
/// with the same handler, and the watcher as a task on the same runtime.
#[cfg(feature = "tokio")]
fn run_osc_tokio(bind: &str) -> Tally {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let mut dispatcher = counting_dispatcher();
        let mut server = osc_std::tokio::UdpServer::bind(bind).expect("bind");
        ready(server.local_addr().expect("local address"));
        let (stop, counters) = (server.shutdown_handle(), server.counters());
        let start = Instant::now();
        let watcher = tokio::spawn({
            let counters = counters.clone();
            async move {
                let mut seen = (0u64, start);
                loop {
                    tokio::time::sleep(WATCH).await;
                    if watch_says_stop(start, counters.snapshot().received, &mut seen) {
                        break;
                    }
                }
                stop.shutdown();
            }
        });
        let mut calls = Calls::default();
        server
            .run(&mut dispatcher, &mut calls)
            .await
            .expect("server");
        watcher.await.expect("watcher");
        osc_tally(counters.snapshot().received, &calls)
    })
}

#[cfg(not(feature = "tokio"))]
fn run_osc_tokio(_: &str) -> Tally {
    eprintln!("net_recv: osc-tokio needs the example crate's `tokio` feature");
    std::process::exit(2);
}

fn run_raw_std(bind: &str) -> Tally {
    let socket = UdpSocket::bind(bind).expect("bind");
    socket.set_read_timeout(Some(IDLE)).expect("timeout");
    ready(socket.local_addr().expect("local address"));
    let mut buf = vec![0u8; 65_536];
    let mut tally = Tally::default();
    let start = Instant::now();
    loop {
        match socket.recv(&mut buf) {
            Ok(n) => {
                tally.arrived(1);
                tally.bad += u64::from(n != W1_LEN);
                if tally.received % 4096 == 0 && start.elapsed() >= LIMIT {
                    break;
                }
            }
            Err(e) if is_timeout(&e) && tally.done(start) => break,
            Err(_) => {}
        }
    }
    tally
}

fn run_rosc(bind: &str) -> Tally {
    use rosc::address::{Matcher, OscAddress};
    let route = OscAddress::new(ROUTE.to_string()).expect("a valid address");
    let socket = UdpSocket::bind(bind).expect("bind");
    socket.set_read_timeout(Some(IDLE)).expect("timeout");
    ready(socket.local_addr().expect("local address"));
    let mut buf = [0u8; rosc::decoder::MTU];
    let mut tally = Tally::default();
    let mut calls = 0u64;
    let start = Instant::now();
    loop {
        match socket.recv_from(&mut buf) {
            Ok((n, _from)) => {
                tally.arrived(1);
                if let Ok((_, rosc::OscPacket::Message(msg))) = rosc::decoder::decode_udp(&buf[..n])
                {
                    if Matcher::new(&msg.addr).is_ok_and(|m| m.match_address(&route)) {
                        calls += 1;
                    }
                }
                if tally.received % 4096 == 0 && start.elapsed() >= LIMIT {
                    break;
                }
            }
            Err(e) if is_timeout(&e) && tally.done(start) => break,
            Err(_) => {}
        }
    }
    tally.bad = tally.received - calls;
    tally
}

/// What the `recvmmsg` loop does with each datagram.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mmsg {
    /// `raw-mmsg`: 2 KiB slots, no sender addresses; checks the length.
    Raw,
    /// `raw-mmsg-addr`: 64 KiB slots and each datagram's sender address, as a replying server
    /// needs; checks the length.
    Addresses,
    /// `raw-mmsg-core`: as `Addresses`, then osc-core's decoder and dispatcher on each datagram,
    /// with the sender's address and the osc receiver's route and handler.
    Core,
}

/// The `recvmmsg` loop (see [`Mmsg`]).
#[cfg(any(target_os = "linux", target_os = "android"))]
#[allow(unsafe_code)]
fn run_raw_mmsg(bind: &str, mode: Mmsg) -> Tally {
    use std::os::fd::AsRawFd;
    const BATCH: usize = 64;
    const NAME_LEN: libc::socklen_t = std::mem::size_of::<libc::sockaddr_storage>() as _;
    let addresses = mode != Mmsg::Raw;
    let slot = if addresses {
        osc_std::udp::MAX_DATAGRAM
    } else {
        2048
    };
    let socket = UdpSocket::bind(bind).expect("bind");
    socket.set_read_timeout(Some(IDLE)).expect("timeout");
    ready(socket.local_addr().expect("local address"));
    let mut buf = vec![0u8; BATCH * slot];
    // SAFETY: all-zero bytes are a valid `iovec`, `sockaddr_storage` and `mmsghdr` (integers and
    // null pointers).
    let mut iovs: Vec<libc::iovec> = (0..BATCH).map(|_| unsafe { std::mem::zeroed() }).collect();
    // SAFETY: as above.
    let mut names: Vec<libc::sockaddr_storage> =
        (0..BATCH).map(|_| unsafe { std::mem::zeroed() }).collect();
    // SAFETY: as above.
    let mut msgs: Vec<libc::mmsghdr> = (0..BATCH).map(|_| unsafe { std::mem::zeroed() }).collect();
    let base = buf.as_mut_ptr();
    let slots = iovs.iter_mut().zip(names.iter_mut()).zip(msgs.iter_mut());
    for (i, ((iov, name), msg)) in slots.enumerate() {
        iov.iov_base = base.wrapping_add(i * slot).cast();
        iov.iov_len = slot;
        msg.msg_hdr.msg_iov = iov;
        msg.msg_hdr.msg_iovlen = 1;
        if addresses {
            msg.msg_hdr.msg_name = std::ptr::from_mut(name).cast();
            msg.msg_hdr.msg_namelen = NAME_LEN;
        }
    }
    let mut tally = Tally::default();
    // `Core`'s dispatcher, its handler's calls, and a reply buffer like the osc-std server's.
    let mut core = (mode == Mmsg::Core).then(|| {
        (
            counting_dispatcher(),
            Calls::default(),
            vec![0u8; 16 * 1024],
        )
    });
    let start = Instant::now();
    loop {
        // SAFETY: the 64 headers point at 64 disjoint `slot`-byte slots of `buf`, at their own
        // `iovec`s and (with `addresses`) at their own `sockaddr_storage`, all alive and unmoved
        // for the whole loop.
        let n = unsafe {
            libc::recvmmsg(
                socket.as_raw_fd(),
                msgs.as_mut_ptr(),
                BATCH as libc::c_uint,
                libc::MSG_WAITFORONE as _,
                std::ptr::null_mut(),
            )
        };
        match usize::try_from(n) {
            Ok(n) => {
                tally.arrived(n as u64);
                if let Some((dispatcher, calls, reply_buf)) = &mut core {
                    for (i, (msg, name)) in msgs[..n].iter().zip(&names).enumerate() {
                        let bytes = &buf[i * slot..i * slot + msg.msg_len as usize];
                        let (Ok(packet), Some(from)) = (osc_core::decode(bytes), sender(name))
                        else {
                            continue;
                        };
                        let mut replies = Replies::new(reply_buf);
                        dispatcher.dispatch(&packet, calls, &from, &mut replies);
                    }
                } else {
                    tally.bad += msgs[..n]
                        .iter()
                        .filter(|m| m.msg_len as usize != W1_LEN)
                        .count() as u64;
                }
                if addresses {
                    // The kernel wrote each sender's address length.
                    for msg in &mut msgs[..n] {
                        msg.msg_hdr.msg_namelen = NAME_LEN;
                    }
                }
                if start.elapsed() >= LIMIT {
                    break;
                }
            }
            Err(_) => {
                let e = std::io::Error::last_os_error();
                if is_timeout(&e) && tally.done(start) {
                    break;
                }
            }
        }
    }
    if let Some((_, calls, _)) = &core {
        tally.bad = tally.received.saturating_sub(calls.calls);
    }
    tally
}

/// The sender address the kernel wrote into `name` (IPv4 or IPv6; `None` for another family).
#[cfg(any(target_os = "linux", target_os = "android"))]
#[allow(unsafe_code)]
fn sender(name: &libc::sockaddr_storage) -> Option<SocketAddr> {
    let family = i32::from(name.ss_family);
    let name = std::ptr::from_ref(name);
    match family {
        libc::AF_INET => {
            // SAFETY: `sockaddr_storage` is large and aligned enough for every socket address
            // type, and every bit pattern is a valid `sockaddr_in` (integers only).
            let sin = unsafe { &*name.cast::<libc::sockaddr_in>() };
            let ip = std::net::Ipv4Addr::from(u32::from_be(sin.sin_addr.s_addr));
            Some(SocketAddr::from((ip, u16::from_be(sin.sin_port))))
        }
        libc::AF_INET6 => {
            // SAFETY: as above, for `sockaddr_in6`.
            let sin6 = unsafe { &*name.cast::<libc::sockaddr_in6>() };
            let ip = std::net::Ipv6Addr::from(sin6.sin6_addr.s6_addr);
            Some(SocketAddr::V6(std::net::SocketAddrV6::new(
                ip,
                u16::from_be(sin6.sin6_port),
                sin6.sin6_flowinfo,
                sin6.sin6_scope_id,
            )))
        }
        _ => None,
    }
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn run_raw_mmsg(_: &str, _: Mmsg) -> Tally {
    eprintln!("net_recv: recvmmsg is Linux-only");
    std::process::exit(2);
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let value = |flag: &str| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let peer = value("--peer").unwrap_or_else(|| "osc".into());
    let bind = value("--bind").unwrap_or_else(|| "127.0.0.1:0".into());
    let tally = match peer.as_str() {
        "osc" => run_osc(&bind),
        "osc-tokio" => run_osc_tokio(&bind),
        "raw-std" => run_raw_std(&bind),
        "raw-mmsg" => run_raw_mmsg(&bind, Mmsg::Raw),
        "raw-mmsg-addr" => run_raw_mmsg(&bind, Mmsg::Addresses),
        "raw-mmsg-core" => run_raw_mmsg(&bind, Mmsg::Core),
        "rosc" => run_rosc(&bind),
        other => {
            eprintln!(
                "net_recv: unknown --peer {other} (osc, osc-tokio, raw-std, raw-mmsg, raw-mmsg-addr, raw-mmsg-core, rosc)"
            );
            std::process::exit(2);
        }
    };
    println!(
        "{{\"kind\":\"net_recv\",\"peer\":{},\"received\":{},\"bad\":{},\"span_s\":{:.6}}}",
        json_str(&peer),
        tally.received,
        tally.bad,
        tally.span_s()
    );
}
