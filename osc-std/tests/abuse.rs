//! Hostile input against the osc-std servers on loopback, with the attacker in the same process
//! on its own threads: floods of malformed packets, huge length prefixes, an endless SLIP frame,
//! a thousand idle connections, half-closed and reset peers, panicking handlers, bundles nested
//! 3000 deep, bundle element sizes that are negative or point backwards.
//!
//! Each attack must end in a typed error or a counter, the server must go on serving (a good
//! request afterwards is answered), and memory must stay bounded: every test prints the process's
//! resident set before it and its peak (`VmHWM`, reset first through `/proc/self/clear_refs`)
//! after it, and asserts a bound on the growth. The tests take one lock, so that no two measure
//! at once. Every loop is bounded in count and in time.

mod common;

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::atomic::Ordering;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use common::{
    dispatcher, encode, eventually, framed, quiet_deliberate_panics, spawn_blocking,
    spawn_threaded, Ctx, GARBAGE, PATIENCE,
};
use osc_core::{slip, Arg};
use osc_std::tcp::TcpServerBuilder;
use osc_std::udp::UdpServerBuilder;
use osc_std::{Error, Framing, FramingMode, ServerHandle, TcpConnection, UdpClient};

const MIB: u64 = 1024 * 1024;

/// The growth of the peak resident set that any single attack may cause.
const ATTACK_BUDGET: u64 = 64 * MIB;

// ---------------------------------------------------------------------------------------------
// Memory measurement
// ---------------------------------------------------------------------------------------------

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// A field of `/proc/self/status` in bytes (`VmRSS`, `VmHWM`); `None` where there is no procfs.
fn proc_status(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    let kib: u64 = line
        .trim_start_matches(field)
        .trim_start_matches(':')
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kib * 1024)
}

/// Holds the test lock and the resident set at the start of a test.
struct Memory {
    name: &'static str,
    before: Option<u64>,
    _lock: MutexGuard<'static, ()>,
}

impl Memory {
    /// Takes the lock, resets the peak resident set to the current one (Linux: writing `5` to
    /// `/proc/self/clear_refs`) and reads it.
    fn start(name: &'static str) -> Self {
        let lock = ONE_AT_A_TIME.lock().unwrap_or_else(PoisonError::into_inner);
        let reset = std::fs::write("/proc/self/clear_refs", "5").is_ok();
        let before = proc_status("VmRSS").filter(|_| reset);
        Self {
            name,
            before,
            _lock: lock,
        }
    }

    /// Prints the resident set before and the peak since, and asserts that the peak grew by less
    /// than `budget`.
    fn check(self, budget: u64) {
        let (Some(before), Some(peak)) = (self.before, proc_status("VmHWM")) else {
            println!(
                "{}: no /proc/self/status here; memory not measured",
                self.name
            );
            return;
        };
        let growth = peak.saturating_sub(before);
        println!(
            "{}: VmRSS before {:.1} MiB, VmHWM after {:.1} MiB (+{:.1} MiB, bound +{} MiB)",
            self.name,
            before as f64 / MIB as f64,
            peak as f64 / MIB as f64,
            growth as f64 / MIB as f64,
            budget / MIB
        );
        assert!(
            growth < budget,
            "{}: peak resident set grew by {growth} bytes",
            self.name
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Packets
// ---------------------------------------------------------------------------------------------

const IMMEDIATELY: [u8; 8] = [0, 0, 0, 0, 0, 0, 0, 1];

/// A bundle (timetag "immediately") of one element of the given size field and body.
fn bundle_with_element(size: u32, body: &[u8]) -> Vec<u8> {
    let mut b = b"#bundle\0".to_vec();
    b.extend_from_slice(&IMMEDIATELY);
    b.extend_from_slice(&size.to_be_bytes());
    b.extend_from_slice(body);
    b
}

/// `inner` wrapped in `depth` bundles, each holding only the next.
fn nested(depth: usize, inner: Vec<u8>) -> Vec<u8> {
    (0..depth).fold(inner, |inner, _| {
        bundle_with_element(inner.len() as u32, &inner)
    })
}

/// 3000 bundles nested in one another around a `/count` message whose blob fills the packet to
/// 65 504 bytes (the largest OSC packet a UDP datagram over IPv4 carries).
fn nested_3000_deep() -> Vec<u8> {
    const DEPTH: usize = 3000;
    let blob = vec![0x5A; 65_504 - DEPTH * 20 - 16];
    let packet = nested(DEPTH, encode("/count", &[Arg::Blob(&blob)]));
    assert_eq!(packet.len(), 65_504);
    packet
}

/// Bundles whose element size is negative as an int32, or reaches back over the bundle.
fn bad_element_sizes() -> Vec<(&'static str, Vec<u8>)> {
    let msg = encode("/count", &[]);
    vec![
        ("size -1", bundle_with_element(u32::MAX, &msg)),
        ("size i32::MIN", bundle_with_element(0x8000_0000, &msg)),
        (
            "size -16 (back to the timetag)",
            bundle_with_element((-16i32) as u32, &msg),
        ),
        (
            "size -20 (back to the bundle tag)",
            bundle_with_element((-20i32) as u32, &msg),
        ),
        (
            "size past the end",
            bundle_with_element(msg.len() as u32 + 4, &msg),
        ),
        ("size not a multiple of 4", bundle_with_element(6, &msg)),
        (
            "second element size -8",
            [
                bundle_with_element(msg.len() as u32, &msg),
                (-8i32).to_be_bytes().to_vec(),
                msg.clone(),
            ]
            .concat(),
        ),
    ]
}

/// Every kind of bad packet the floods send, each rejected by the decoder with a typed error.
fn bad_packets() -> Vec<(&'static str, Vec<u8>)> {
    let whole = encode("/count", &[Arg::Int(1), Arg::String("abc")]);
    let mut bad = vec![
        ("empty", Vec::new()),
        ("not OSC", GARBAGE.to_vec()),
        ("cut short", whole[..whole.len() - 3].to_vec()),
        ("unknown type tag", b"/x\0\0,Q\0\0".to_vec()),
        ("string without NUL", b"/x\0\0,s\0\0abcd".to_vec()),
        (
            "blob longer than the packet",
            b"/x\0\0,b\0\0\0\0\x01\0ab\0\0".to_vec(),
        ),
        ("nested 40 deep", nested(40, encode("/count", &[]))),
    ];
    bad.extend(bad_element_sizes());
    for (what, bytes) in &bad {
        let e = osc_core::decode(bytes).expect_err(what);
        // A typed error with a text.
        assert!(!e.to_string().is_empty(), "{what}");
    }
    bad
}

// ---------------------------------------------------------------------------------------------
// Servers and clients
// ---------------------------------------------------------------------------------------------

fn tcp(builder: TcpServerBuilder) -> ServerHandle {
    builder
        .bind("127.0.0.1:0")
        .unwrap()
        .spawn(|_| (dispatcher(), Ctx::default()))
        .unwrap()
}

/// A UDP `/echo i` round trip from a fresh client: the server still answers.
fn udp_still_answers(server: SocketAddr, i: i32) {
    let mut client = UdpClient::connect(server).unwrap();
    client.send_message("/echo", &[Arg::Int(i)]).unwrap();
    let (reply, from) = client.recv(Some(PATIENCE)).unwrap().expect("an echo");
    assert_eq!(from, server);
    assert_eq!(reply.as_message().unwrap().get::<(i32,)>().unwrap(), (i,));
}

/// After a flood the server's socket buffer may still be full, and the kernel then drops a
/// datagram sent to it: asks for `/echo i` again every 200 ms, at most 25 times, until answered.
fn udp_answers_after_flood(server: SocketAddr, i: i32) {
    let mut client = UdpClient::connect(server).unwrap();
    for _ in 0..25 {
        client.send_message("/echo", &[Arg::Int(i)]).unwrap();
        if let Some((reply, _)) = client.recv(Some(Duration::from_millis(200))).unwrap() {
            assert_eq!(reply.as_message().unwrap().get::<(i32,)>().unwrap(), (i,));
            return;
        }
    }
    panic!("no answer after the flood");
}

fn expect_echo(conn: &mut TcpConnection, i: i32) {
    let p = conn.recv(Some(PATIENCE)).unwrap().expect("an echo");
    assert_eq!(p.as_message().unwrap().get::<(i32,)>().unwrap(), (i,));
}

/// A TCP `/echo i` round trip on a fresh connection.
fn tcp_still_answers(server: SocketAddr, framing: Framing, i: i32) {
    let mut conn = TcpConnection::connect(server, framing).unwrap();
    conn.send_message("/echo", &[Arg::Int(i)]).unwrap();
    expect_echo(&mut conn, i);
}

/// Whether the peer has closed `stream` (EOF or reset) within `limit`.
fn closed_by_peer(stream: &TcpStream, limit: Duration) -> bool {
    let deadline = Instant::now() + limit;
    let mut buf = [0u8; 4096];
    let mut s = stream;
    while Instant::now() < deadline {
        let _ = s.set_read_timeout(Some(
            deadline
                .saturating_duration_since(Instant::now())
                .max(Duration::from_millis(1)),
        ));
        match s.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => {}
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                return false
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => return true,
        }
    }
    false
}

// ---------------------------------------------------------------------------------------------
// UDP
// ---------------------------------------------------------------------------------------------

/// Sends `total` datagrams as fast as the socket takes them, four bad ones after each good
/// `/count`, for at most `limit`; returns (sent, good sent).
fn udp_flood(server: SocketAddr, total: u64, limit: Duration) -> (u64, u64) {
    let bad = bad_packets();
    let good = encode("/count", &[]);
    let client = UdpClient::connect(server).unwrap();
    let start = Instant::now();
    let (mut sent, mut good_sent) = (0u64, 0u64);
    while sent < total && start.elapsed() < limit {
        let is_good = sent % 5 == 0;
        let bytes: &[u8] = if is_good {
            &good
        } else {
            &bad[(sent as usize) % bad.len()].1
        };
        // A full buffer on the way may refuse a datagram; it is then not counted as sent.
        if client.send_raw(bytes).is_ok() {
            sent += 1;
            good_sent += u64::from(is_good);
        }
    }
    (sent, good_sent)
}

#[test]
fn udp_flood_of_malformed_datagrams_counts_add_up_exactly() {
    let mem = Memory::start("udp flood");
    // The blocking (batched) server handles datagrams in arrival order, so once the echo sent
    // after the flood is answered, every datagram of the flood has been counted or was lost in
    // the kernel before reaching the server.
    let (handle, ctx) = spawn_blocking(UdpServerBuilder::new(), "127.0.0.1:0");
    let (sent, good_sent) = udp_flood(handle.local_addr(), 50_000, Duration::from_secs(5));
    udp_answers_after_flood(handle.local_addr(), 1);
    let counted = ctx.counted.load(Ordering::SeqCst);
    // The echoes that reached the server (one or more tries) each made one reply, counted once
    // its send call returned (which may be just after the client has it).
    let settled = |s: osc_std::Stats| s.messages == counted + s.replies + s.reply_errors;
    assert!(eventually(PATIENCE, || settled(handle.stats())));
    let s = handle.stats();
    let echoes = s.replies + s.reply_errors;
    println!(
        "udp flood, blocking server: sent {sent} ({good_sent} good) + {echoes} echo, received {} \
         (messages {}, malformed {}, dropped {}), lost in the kernel {}",
        s.received,
        s.messages,
        s.malformed,
        s.dropped,
        (sent + echoes).saturating_sub(s.received)
    );
    assert_eq!(s.received, s.messages + s.malformed + s.dropped);
    assert_eq!(
        s.messages,
        counted + echoes,
        "every good datagram received is dispatched"
    );
    assert!(s.received <= sent + echoes && counted <= good_sent);
    assert_eq!(s.panics, 0);
    handle.stop().unwrap();

    // The threaded server also drops (and counts) what its queues cannot take.
    let (handle, ctx) = spawn_threaded(UdpServerBuilder::new().workers(2).queue_capacity(8));
    let (sent, _) = udp_flood(handle.local_addr(), 50_000, Duration::from_secs(5));
    udp_answers_after_flood(handle.local_addr(), 2);
    let counted = &ctx.counted;
    let consistent = |s: osc_std::Stats| {
        s.received == s.messages + s.malformed + s.dropped
            && s.messages == counted.load(Ordering::SeqCst) + s.replies + s.reply_errors
    };
    assert!(eventually(PATIENCE, || consistent(handle.stats())));
    let s = handle.stats();
    println!(
        "udp flood, threaded server: sent {sent}, received {} (messages {}, malformed {}, \
         dropped {})",
        s.received, s.messages, s.malformed, s.dropped
    );
    assert!(consistent(s));
    handle.stop().unwrap();
    mem.check(ATTACK_BUDGET);
}

#[test]
fn a_64_kib_datagram_of_bundles_nested_3000_deep_is_rejected() {
    let mem = Memory::start("udp nested 3000 deep");
    let packet = nested_3000_deep();
    let e = osc_core::decode(&packet).unwrap_err();
    println!("nested 3000 deep: {e}");
    let (handle, ctx) = spawn_blocking(UdpServerBuilder::new(), "127.0.0.1:0");
    let client = UdpClient::connect(handle.local_addr()).unwrap();
    for i in 0..20 {
        assert_eq!(client.send_raw(&packet).unwrap(), 65_504);
        udp_still_answers(handle.local_addr(), i);
    }
    let s = handle.stats();
    assert_eq!((s.received, s.malformed, s.messages), (40, 20, 20));
    assert_eq!(ctx.counted.load(Ordering::SeqCst), 0);
    handle.stop().unwrap();
    mem.check(ATTACK_BUDGET);
}

#[test]
fn bundle_element_sizes_that_are_negative_or_point_backwards_are_rejected() {
    let mem = Memory::start("bundle element sizes");
    let (handle, ctx) = spawn_blocking(UdpServerBuilder::new(), "127.0.0.1:0");
    let client = UdpClient::connect(handle.local_addr()).unwrap();
    let cases = bad_element_sizes();
    for (i, (what, packet)) in cases.iter().enumerate() {
        let e = osc_core::decode(packet).expect_err(what);
        println!("{what}: {e}");
        client.send_raw(packet).unwrap();
        udp_still_answers(handle.local_addr(), i as i32);
    }
    let n = cases.len() as u64;
    let s = handle.stats();
    assert_eq!((s.received, s.malformed, s.messages), (2 * n, n, n));
    assert_eq!(ctx.counted.load(Ordering::SeqCst), 0);
    handle.stop().unwrap();

    // The same over TCP: counted, and the connection goes on.
    let handle = tcp(TcpServerBuilder::new().framing(Framing::LengthPrefix));
    let mut conn = TcpConnection::connect(handle.local_addr(), Framing::LengthPrefix).unwrap();
    for (i, (_, packet)) in cases.iter().enumerate() {
        conn.send_raw(packet).unwrap();
        conn.send_message("/echo", &[Arg::Int(i as i32)]).unwrap();
        expect_echo(&mut conn, i as i32);
    }
    assert_eq!(handle.stats().malformed, n);
    handle.stop().unwrap();
    mem.check(ATTACK_BUDGET);
}

#[test]
fn panicking_handlers_in_udp_batches_lose_no_neighbour() {
    quiet_deliberate_panics();
    let mem = Memory::start("udp panics");
    let (handle, _) = spawn_blocking(UdpServerBuilder::new(), "127.0.0.1:0");
    let addr = handle.local_addr();
    let mut client = UdpClient::connect(addr).unwrap();
    const ROUNDS: i32 = 25;
    const PER_ROUND: i32 = 20;
    // Each round sends 20 panics and 20 echoes back to back, so that they share receive
    // batches; all 20 echoes must come back.
    for round in 0..ROUNDS {
        for k in 0..PER_ROUND {
            client.send_message("/panic", &[]).unwrap();
            client
                .send_message("/echo", &[Arg::Int(round * PER_ROUND + k)])
                .unwrap();
        }
        for k in 0..PER_ROUND {
            let (reply, _) = client.recv(Some(PATIENCE)).unwrap().expect("an echo");
            let (i,) = reply.as_message().unwrap().get::<(i32,)>().unwrap();
            assert_eq!(i, round * PER_ROUND + k);
        }
    }
    let total = (ROUNDS * PER_ROUND) as u64;
    // Replies are counted once the send call returns, which may be after the client has them.
    assert!(eventually(PATIENCE, || handle.stats().replies == total));
    assert_eq!(handle.stats().panics, total);
    udp_still_answers(addr, -1);
    handle.stop().unwrap();

    // TCP: the same on one connection.
    let handle = tcp(TcpServerBuilder::new());
    let mut conn = TcpConnection::connect(handle.local_addr(), Framing::Slip).unwrap();
    for i in 0..total as i32 {
        conn.send_message("/panic", &[]).unwrap();
        conn.send_message("/echo", &[Arg::Int(i)]).unwrap();
        expect_echo(&mut conn, i);
    }
    assert_eq!(handle.stats().panics, total);
    handle.stop().unwrap();
    mem.check(ATTACK_BUDGET);
}

// ---------------------------------------------------------------------------------------------
// TCP
// ---------------------------------------------------------------------------------------------

#[test]
fn tcp_flood_of_malformed_frames_loses_no_good_packet() {
    let mem = Memory::start("tcp flood");
    const GOOD: i32 = 3000;
    for framing in [Framing::Slip, Framing::LengthPrefix] {
        let handle = tcp(TcpServerBuilder::new().framing(framing));
        let mut bad: Vec<Vec<u8>> = bad_packets()
            .into_iter()
            .filter(|(_, p)| !p.is_empty()) // an empty frame is no frame at all
            .map(|(_, p)| framed(framing, &p))
            .collect();
        bad.push(framed(framing, &nested_3000_deep()));
        // Longer than the server's 64 KiB frame limit: skipped whole.
        bad.push(framed(framing, &vec![b'/'; 100_000]));
        if framing == Framing::Slip {
            bad.push(vec![slip::END, b'/', slip::ESC, 0x01, b'x', slip::END]);
        }
        let mut conn = TcpConnection::connect(handle.local_addr(), framing).unwrap();
        let mut writer = conn.stream().try_clone().unwrap();
        let bad_count = bad.len();
        // The writer runs on its own thread while this one reads the echoes, so that neither
        // side's socket buffer fills up.
        let written = std::thread::spawn(move || {
            let mut chunk = Vec::with_capacity(256 * 1024);
            let mut bad_sent = 0u64;
            for i in 0..GOOD {
                chunk.extend(framed(framing, &encode("/echo", &[Arg::Int(i)])));
                chunk.extend_from_slice(&bad[i as usize % bad_count]);
                bad_sent += 1;
                if chunk.len() >= 128 * 1024 || i + 1 == GOOD {
                    writer.write_all(&chunk).unwrap();
                    chunk.clear();
                }
            }
            bad_sent
        });
        for i in 0..GOOD {
            expect_echo(&mut conn, i);
        }
        let bad_sent = written.join().unwrap();
        // A last echo on the same connection: the bad frame after echo GOOD - 1 is counted by
        // the time it is answered.
        conn.send_message("/echo", &[Arg::Int(GOOD)]).unwrap();
        expect_echo(&mut conn, GOOD);
        let s = handle.stats();
        println!(
            "tcp flood ({framing}): {} good frames all answered, {bad_sent} bad frames, \
             counters: received {}, malformed {}, messages {}",
            GOOD + 1,
            s.received,
            s.malformed,
            s.messages
        );
        assert_eq!(s.malformed, bad_sent, "{framing}");
        assert_eq!(s.received, GOOD as u64 + 1 + bad_sent, "{framing}");
        assert_eq!(s.messages, GOOD as u64 + 1, "{framing}");
        tcp_still_answers(handle.local_addr(), framing, -1);
        handle.stop().unwrap();
    }
    mem.check(ATTACK_BUDGET);
}

#[test]
fn a_4_gib_length_prefix_allocates_nothing_and_costs_only_its_connection() {
    let mem = Memory::start("tcp 4 GiB length prefix");
    for mode in [FramingMode::LengthPrefix, FramingMode::Auto] {
        let handle = tcp(TcpServerBuilder::new().framing(mode));
        let addr = handle.local_addr();
        let mut neighbour = TcpConnection::connect(addr, Framing::LengthPrefix).unwrap();

        // 0xFFFFFFFF: 4 GiB as a u32, -1 as the int32 it is. The stream cannot be resynchronised:
        // counted, and that connection is closed.
        let mut attacker = TcpStream::connect(addr).unwrap();
        // One write: the server may close the connection as soon as it reads the header.
        attacker
            .write_all(&[[0xFF; 4].as_slice(), &[0x2F; 1024]].concat())
            .unwrap();
        assert!(closed_by_peer(&attacker, PATIENCE), "{mode}: 0xFFFFFFFF");
        assert!(eventually(PATIENCE, || handle.stats().malformed == 1));

        // 0x7FFFFFFF: 2 GiB, over the 64 KiB limit. Counted, and skipped as it streams by
        // without being stored; the connection stays open.
        let mut attacker = TcpStream::connect(addr).unwrap();
        attacker.write_all(&[0x7F, 0xFF, 0xFF, 0xFF]).unwrap();
        let junk = vec![0xEE; 1024 * 1024];
        for _ in 0..32 {
            attacker.write_all(&junk).unwrap();
        }
        assert!(eventually(PATIENCE, || handle.stats().malformed == 2));
        assert!(
            !closed_by_peer(&attacker, Duration::from_millis(100)),
            "{mode}: a too-long frame is skipped, not a reason to close"
        );

        // Neighbours are served throughout.
        neighbour.send_message("/echo", &[Arg::Int(7)]).unwrap();
        expect_echo(&mut neighbour, 7);
        tcp_still_answers(addr, Framing::LengthPrefix, 8);
        let s = handle.stats();
        assert_eq!((s.malformed, s.messages), (2, 2), "{mode}");
        drop(attacker);
        handle.stop().unwrap();
    }
    mem.check(ATTACK_BUDGET);
}

#[test]
fn an_endless_slip_frame_is_dropped_at_the_limit_and_the_stream_resynchronises() {
    let mem = Memory::start("tcp endless SLIP frame");
    let handle = tcp(TcpServerBuilder::new().framing(Framing::Slip));
    let addr = handle.local_addr();
    let mut attacker = TcpConnection::connect(addr, Framing::Slip).unwrap();
    // 32 MiB without an END (no byte of it is END or ESC).
    let junk = vec![b'/'; 1024 * 1024];
    attacker.write_unframed(&[slip::END]).unwrap();
    for _ in 0..32 {
        attacker.write_unframed(&junk).unwrap();
    }
    assert!(eventually(PATIENCE, || handle.stats().malformed == 1));
    // Others are served meanwhile.
    tcp_still_answers(addr, Framing::Slip, 1);
    // The END that finally closes the junk, then a good frame on the same connection.
    attacker.write_unframed(&[slip::END]).unwrap();
    attacker.send_message("/echo", &[Arg::Int(2)]).unwrap();
    expect_echo(&mut attacker, 2);
    let s = handle.stats();
    assert_eq!((s.malformed, s.messages), (1, 2));
    handle.stop().unwrap();
    mem.check(ATTACK_BUDGET);
}

#[test]
fn half_closed_and_reset_peers_cost_only_their_connections() {
    let mem = Memory::start("tcp half-closed and reset peers");
    for framing in [Framing::Slip, Framing::LengthPrefix] {
        // A slot leaked per peer would soon reach this limit and show as a rejection.
        let handle = tcp(TcpServerBuilder::new().framing(framing).max_connections(16));
        let addr = handle.local_addr();
        const ROUNDS: i32 = 100;
        for i in 0..ROUNDS {
            // Half-closed: a request, then shutdown(Write). The reply still comes, then the end.
            let mut conn = TcpConnection::connect(addr, framing).unwrap();
            conn.send_message("/echo", &[Arg::Int(i)]).unwrap();
            conn.stream().shutdown(Shutdown::Write).unwrap();
            expect_echo(&mut conn, i);
            assert!(matches!(conn.recv(Some(PATIENCE)), Err(Error::Closed)));

            // Reset: a request and half a frame, then close with SO_LINGER 0, which sends a RST
            // (the server's reply, if it is written by then, meets the reset).
            let stream = TcpStream::connect(addr).unwrap();
            socket2::SockRef::from(&stream)
                .set_linger(Some(Duration::ZERO))
                .unwrap();
            let request = framed(framing, &encode("/echo", &[Arg::Int(i)]));
            let mut s = &stream;
            s.write_all(&request).unwrap();
            s.write_all(&request[..request.len() / 2]).unwrap();
            drop(stream);
        }
        tcp_still_answers(addr, framing, -1);
        let s = handle.stats();
        println!(
            "half-closed/reset ({framing}): {} connections, rejected {}, replies {}, reply \
             errors {}",
            s.connections, s.rejected, s.replies, s.reply_errors
        );
        assert_eq!(s.rejected, 0, "{framing}: no connection slot leaked");
        assert_eq!(s.connections, 2 * ROUNDS as u64 + 1);
        handle.stop().unwrap();
    }
    mem.check(ATTACK_BUDGET);
}

/// Makes sure this process may have `n` files open, raising the soft limit if needed.
#[cfg(any(target_os = "linux", target_os = "android"))]
#[allow(unsafe_code)]
fn allow_open_files(n: u64) -> Result<(), String> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes one `rlimit` into the struct it is given.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        return Err(format!("getrlimit: {}", io::Error::last_os_error()));
    }
    if limit.rlim_cur >= n as libc::rlim_t {
        return Ok(());
    }
    if limit.rlim_max < n as libc::rlim_t {
        return Err(format!(
            "RLIMIT_NOFILE is {} (hard {}), {n} needed",
            limit.rlim_cur, limit.rlim_max
        ));
    }
    limit.rlim_cur = n as libc::rlim_t;
    // SAFETY: setrlimit reads one `rlimit` from the struct it is given.
    if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &limit) } != 0 {
        return Err(format!("setrlimit: {}", io::Error::last_os_error()));
    }
    Ok(())
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn allow_open_files(n: u64) -> Result<(), String> {
    Err(format!(
        "cannot check this platform's open-file limit for {n} files"
    ))
}

#[test]
fn a_thousand_idle_connections_leave_the_server_responsive_and_are_reaped() {
    const IDLE: usize = 1000;
    // Both ends of every connection live in this process, plus the harness's own files.
    if let Err(why) = allow_open_files(2 * IDLE as u64 + 256) {
        println!("SKIPPED: {why}");
        return;
    }
    let mem = Memory::start("tcp 1000 idle connections");
    let idle_timeout = Duration::from_secs(2);
    let handle = tcp(TcpServerBuilder::new()
        .framing(FramingMode::Auto)
        .max_connections(IDLE + 1)
        .backlog(1024)
        .idle_timeout(Some(idle_timeout)));
    let addr = handle.local_addr();
    let start = Instant::now();
    let idle: Vec<TcpStream> = (0..IDLE)
        .map(|_| TcpStream::connect(addr).unwrap())
        .collect();
    assert!(eventually(PATIENCE, || handle.stats().connections == IDLE as u64));
    let opened = start.elapsed();

    // A fresh client is answered at once, by the last free slot.
    let asked = Instant::now();
    let mut fresh = TcpConnection::connect(addr, Framing::Slip).unwrap();
    fresh.send_message("/echo", &[Arg::Int(1)]).unwrap();
    expect_echo(&mut fresh, 1);
    let answered = asked.elapsed();
    // One more is over the limit: refused and counted.
    let extra = TcpStream::connect(addr).unwrap();
    assert!(closed_by_peer(&extra, PATIENCE));
    assert_eq!(handle.stats().rejected, 1);

    // The idle timeout closes every idle connection.
    let reap_limit = idle_timeout + PATIENCE;
    for (i, s) in idle.iter().enumerate() {
        let left = reap_limit.saturating_sub(start.elapsed());
        assert!(closed_by_peer(s, left), "idle connection {i} not closed");
    }
    let reaped = start.elapsed();
    drop(idle);
    drop(fresh);
    println!(
        "{IDLE} idle connections: opened in {opened:?}; a fresh client answered in {answered:?}; \
         all closed by the {idle_timeout:?} idle timeout {reaped:?} after the first connect"
    );
    // The slots are free again.
    assert!(eventually(PATIENCE, || {
        TcpConnection::connect(addr, Framing::Slip)
            .and_then(|mut c| {
                c.send_message("/echo", &[Arg::Int(2)])
                    .map_err(io::Error::other)?;
                Ok(matches!(
                    c.recv(Some(Duration::from_millis(500))),
                    Ok(Some(_))
                ))
            })
            .unwrap_or(false)
    }));
    handle.stop().unwrap();
    // Each connection has its own thread, stack and buffers, about 50 KiB resident while idle (the
    // 64 KiB bundle scheduler is allocated at a connection's first bundle): bounded by the
    // connection limit, not by traffic.
    mem.check(IDLE as u64 * 96 * 1024);
}
