//! UDP clients and servers on loopback: round trips for every server form, replies to the sender,
//! bad input, panics, timed bundles, counters and shutdown.

mod common;

use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use common::{
    dispatcher, eventually, quiet_deliberate_panics, spawn_blocking, spawn_threaded, Ctx, GARBAGE,
    PATIENCE,
};
use osc_core::{Arg, DecodeErrorKind, Dispatcher, HandlerFn, Packet, TimePolicy, TimeTag};
use osc_std::udp::{UdpServer, UdpServerBuilder, SCHEDULER_SLOTS};
use osc_std::{time, DispatchClient, Error, MalformedError, ServerHandle, UdpClient};

fn spawn_reuse_port(builder: UdpServerBuilder) -> (ServerHandle, Ctx) {
    let ctx = Ctx::default();
    let shared = ctx.clone();
    let handle = builder
        .bind_reuse_port("127.0.0.1:0")
        .unwrap()
        .spawn(move |_| (dispatcher(), shared.clone()))
        .unwrap();
    (handle, ctx)
}

/// Sends `/echo i` and checks that the reply comes back from the server's address.
fn echo(client: &mut UdpClient, server: SocketAddr, i: i32) {
    client
        .send_message("/echo", &[Arg::Int(i), Arg::String("x")])
        .unwrap();
    let (reply, from) = client.recv(Some(PATIENCE)).unwrap().expect("an echo");
    assert_eq!(from, server, "the reply comes from the server's own socket");
    let msg = reply.as_message().unwrap();
    assert_eq!(msg.address(), "/echo");
    assert_eq!(msg.get::<(i32, &str)>().unwrap(), (i, "x"));
}

fn round_trips(handle: &ServerHandle, clients: usize, per_client: i32) {
    let addr = handle.local_addr();
    std::thread::scope(|s| {
        for _ in 0..clients {
            s.spawn(|| {
                let mut client = UdpClient::connect(addr).unwrap();
                for i in 0..per_client {
                    echo(&mut client, addr, i);
                }
            });
        }
    });
    let total = clients as u64 * per_client as u64;
    // A reply is counted just after it is sent: give the counter a moment.
    assert!(eventually(PATIENCE, || handle.stats().replies == total));
    let stats = handle.stats();
    assert_eq!(
        (
            stats.received,
            stats.messages,
            stats.replies,
            stats.malformed
        ),
        (total, total, total, 0)
    );
}

#[test]
fn blocking_server_replies_to_the_sender() {
    let (handle, _) = spawn_blocking(UdpServerBuilder::new(), "127.0.0.1:0");
    round_trips(&handle, 3, 50);
    // Two replies to one packet, in order.
    let mut client = UdpClient::connect(handle.local_addr()).unwrap();
    client.send_message("/reply2", &[]).unwrap();
    for want in [1, 2] {
        let (p, _) = client.recv(Some(PATIENCE)).unwrap().unwrap();
        assert_eq!(p.as_message().unwrap().get::<(i32,)>().unwrap(), (want,));
    }
    handle.stop().unwrap();
}

#[test]
fn threaded_server_replies_to_the_sender() {
    let (handle, _) = spawn_threaded(UdpServerBuilder::new().workers(3));
    round_trips(&handle, 4, 50);
    handle.stop().unwrap();
}

/// Pushes from the server's socket (`client()`) reach a peer from the server's address while the
/// server keeps replying on the same socket.
#[test]
fn pushes_go_out_from_the_servers_own_port_while_it_serves() {
    let server = UdpServerBuilder::new()
        .workers(2)
        .bind_threaded("127.0.0.1:0")
        .unwrap();
    let mut pusher = server.client().unwrap();
    let ctx = Ctx::default();
    let handle = server.spawn(move |_| (dispatcher(), ctx.clone())).unwrap();
    let addr = handle.local_addr();
    let mut peer = UdpClient::connect(addr).unwrap();
    let to = peer.local_addr().unwrap();
    for i in 0..20 {
        pusher
            .send_message_to("/meter", &[Arg::Int(i)], to)
            .unwrap();
        let (packet, from) = peer.recv(Some(PATIENCE)).unwrap().expect("a push");
        assert_eq!(from, addr);
        let msg = packet.as_message().unwrap();
        assert_eq!(
            (msg.address(), msg.get::<(i32,)>().unwrap()),
            ("/meter", (i,))
        );
        echo(&mut peer, addr, i);
    }
    let stats = handle.stop().unwrap();
    assert_eq!(
        (stats.messages, stats.replies, stats.malformed),
        (20, 20, 0)
    );
}

#[test]
fn reuse_port_workers_share_one_port_and_reply_from_it() {
    let (handle, _) = spawn_reuse_port(UdpServerBuilder::new().workers(3));
    round_trips(&handle, 6, 20);
    handle.stop().unwrap();
}

#[test]
fn ipv6_round_trip_on_loopback() {
    if !common::ipv6_loopback_available() {
        println!("skipped: [::1] is not available here");
        return;
    }
    let (handle, _) = spawn_blocking(UdpServerBuilder::new(), "[::1]:0");
    assert!(handle.local_addr().is_ipv6());
    let mut client = UdpClient::connect(handle.local_addr()).unwrap();
    assert!(
        client.local_addr().unwrap().is_ipv6(),
        "connect binds the remote's family"
    );
    echo(&mut client, handle.local_addr(), 6);
    handle.stop().unwrap();
}

#[test]
fn malformed_datagrams_are_counted_exactly_and_good_ones_all_served() {
    let (handle, ctx) = spawn_blocking(UdpServerBuilder::new(), "127.0.0.1:0");
    let addr = handle.local_addr();
    let mut client = UdpClient::connect(addr).unwrap();
    // A valid message cut short, an empty datagram, junk, a bundle with a lying element size.
    let mut truncated = [0u8; 64];
    let n = osc_core::Message::new("/echo", &[Arg::Int(1)])
        .encode(&mut truncated)
        .unwrap();
    let bad: [&[u8]; 4] = [
        &truncated[..n - 2],
        b"",
        GARBAGE,
        b"#bundle\0\0\0\0\0\0\0\0\x01\0\0\0\x40/x\0\0",
    ];
    let (mut good, mut malformed) = (0u64, 0u64);
    for i in 0..200 {
        if i % 5 == 4 {
            client.send_raw(bad[(i / 5) % bad.len()]).unwrap();
            malformed += 1;
        } else {
            // Lock step on the replies, so no datagram can be lost to a full socket buffer.
            echo(&mut client, addr, i as i32);
            client.send_message("/count", &[]).unwrap();
            good += 2;
        }
    }
    let total = good + malformed;
    // The server publishes its counters in batches, `received` first: wait for the last one too.
    assert!(eventually(PATIENCE, || {
        let stats = handle.stats();
        stats.received == total && stats.malformed == malformed
    }));
    assert!(eventually(PATIENCE, || ctx.counted.load(Ordering::SeqCst) == good / 2));
    let stats = handle.stats();
    assert_eq!(stats.malformed, malformed);
    assert_eq!(stats.messages, good);
    assert_eq!(stats.received, stats.messages + stats.malformed);
    assert!(eventually(PATIENCE, || handle.stats().replies == good / 2));
    // The last bad datagram was the bundle whose element claims 64 bytes of the 4 left.
    let last = handle
        .counters()
        .last_malformed()
        .expect("a malformed datagram noted");
    assert_eq!(last.from, client.local_addr().unwrap());
    assert_eq!(last.len, 24);
    let MalformedError::Decode(e) = last.error else {
        panic!("{last}")
    };
    assert_eq!(
        (e.kind(), e.offset()),
        (DecodeErrorKind::ElementTooLong, 16)
    );
    handle.stop().unwrap();
}

#[test]
fn the_largest_datagram_is_received_whole() {
    let (handle, ctx) = spawn_blocking(UdpServerBuilder::new(), "127.0.0.1:0");
    let mut client = UdpClient::connect(handle.local_addr()).unwrap();
    // 65 504 bytes: the largest OSC packet (a multiple of 4) in a UDP datagram over IPv4 (65 507).
    let blob = vec![7u8; 65_504 - 16];
    let sent = client.send_message("/count", &[Arg::Blob(&blob)]).unwrap();
    assert_eq!(sent, 65_504);
    assert!(eventually(PATIENCE, || ctx.counted.load(Ordering::SeqCst) == 1));
    assert_eq!(handle.stats().malformed, 0);
    handle.stop().unwrap();
}

fn panics_are_contained(handle: ServerHandle) {
    quiet_deliberate_panics();
    let addr = handle.local_addr();
    let mut client = UdpClient::connect(addr).unwrap();
    for i in 0..3 {
        client.send_message("/panic", &[]).unwrap();
        echo(&mut client, addr, i);
    }
    assert!(eventually(PATIENCE, || handle.stats().panics == 3));
    assert!(eventually(PATIENCE, || handle.stats().replies == 3));
    assert_eq!(
        handle.stats().messages,
        3,
        "the messages whose handler panicked are not counted"
    );
    handle.stop().unwrap();
}

#[test]
fn a_panicking_handler_is_counted_and_the_blocking_server_goes_on() {
    panics_are_contained(spawn_blocking(UdpServerBuilder::new(), "127.0.0.1:0").0);
}

#[test]
fn a_panicking_handler_is_counted_and_the_threaded_server_goes_on() {
    panics_are_contained(spawn_threaded(UdpServerBuilder::new().workers(1)).0);
}

#[test]
fn a_panicking_handler_is_counted_and_the_reuse_port_server_goes_on() {
    panics_are_contained(spawn_reuse_port(UdpServerBuilder::new().workers(2)).0);
}

/// A bundle due in 300 ms, then a plain message: the message's reply comes at once, the bundle's
/// when it is due.
fn future_bundle_does_not_block(handle: ServerHandle) {
    let mut client = UdpClient::connect(handle.local_addr()).unwrap();
    let delay = Duration::from_millis(300);
    let start = Instant::now();
    let due = time::after(delay);
    client
        .send_bundle(due, 256, |b| {
            b.message_with("/echo", |m| m.int(2)?.string("x"))
        })
        .unwrap();
    client
        .send_message("/echo", &[Arg::Int(1), Arg::String("x")])
        .unwrap();

    let (first, _) = client.recv(Some(PATIENCE)).unwrap().unwrap();
    assert_eq!(
        first.as_message().unwrap().get_prefix::<(i32,)>().unwrap(),
        (1,)
    );
    let early = start.elapsed();
    assert!(
        early < Duration::from_millis(150),
        "the message waited {early:?}"
    );

    let (second, _) = client.recv(Some(PATIENCE)).unwrap().unwrap();
    let fired = start.elapsed();
    assert_eq!(
        second.as_message().unwrap().get_prefix::<(i32,)>().unwrap(),
        (2,)
    );
    // The timetag is rounded to whole nanoseconds at most.
    assert!(time::now() >= due);
    assert!(
        fired >= delay - Duration::from_millis(1),
        "fired early: {fired:?}"
    );
    assert!(
        fired < delay + Duration::from_millis(100),
        "fired late: {fired:?}"
    );
    assert!(eventually(PATIENCE, || handle.stats().replies == 2));
    let stats = handle.stats();
    assert_eq!((stats.scheduled, stats.messages), (1, 2));
    handle.stop().unwrap();
}

#[test]
fn future_bundle_does_not_block_the_blocking_server() {
    future_bundle_does_not_block(spawn_blocking(UdpServerBuilder::new(), "127.0.0.1:0").0);
}

#[test]
fn future_bundle_does_not_block_the_threaded_server() {
    future_bundle_does_not_block(spawn_threaded(UdpServerBuilder::new().workers(1)).0);
}

#[test]
fn future_bundle_does_not_block_a_reuse_port_worker() {
    future_bundle_does_not_block(spawn_reuse_port(UdpServerBuilder::new().workers(2)).0);
}

#[test]
fn immediate_policy_dispatches_future_bundles_at_once() {
    let (handle, _) = spawn_blocking(
        UdpServerBuilder::new().time_policy(TimePolicy::Immediate),
        "127.0.0.1:0",
    );
    let mut client = UdpClient::connect(handle.local_addr()).unwrap();
    let due = time::after(Duration::from_secs(3600));
    client
        .send_bundle(due, 256, |b| {
            b.message_with("/echo", |m| m.int(1)?.string("x"))
        })
        .unwrap();
    assert!(client.recv(Some(PATIENCE)).unwrap().is_some());
    assert_eq!(handle.stats().scheduled, 0);
    handle.stop().unwrap();
}

#[test]
fn drop_late_policy_counts_late_bundles() {
    let policy = TimePolicy::DropLate {
        tolerance: Duration::from_millis(20),
    };
    let (handle, ctx) = spawn_blocking(UdpServerBuilder::new().time_policy(policy), "127.0.0.1:0");
    let mut client = UdpClient::connect(handle.local_addr()).unwrap();
    let past = TimeTag::from_bits(time::now().to_bits() - (1u64 << 32)); // a second ago
    client
        .send_bundle(past, 128, |b| b.message_with("/count", |m| Ok(m)))
        .unwrap();
    client
        .send_bundle(TimeTag::IMMEDIATELY, 128, |b| {
            b.message_with("/count", |m| Ok(m))
        })
        .unwrap();
    assert!(eventually(PATIENCE, || handle.stats().received == 2));
    assert!(eventually(PATIENCE, || ctx.counted.load(Ordering::SeqCst) == 1));
    assert_eq!(handle.stats().late, 1);
    handle.stop().unwrap();
}

#[test]
fn scheduler_overflow_is_counted_as_dropped() {
    let (handle, _) = spawn_blocking(UdpServerBuilder::new(), "127.0.0.1:0");
    let mut client = UdpClient::connect(handle.local_addr()).unwrap();
    let due = time::after(Duration::from_secs(600));
    let total = SCHEDULER_SLOTS as u64 + 40;
    for i in 1..=total {
        client
            .send_bundle(due, 128, |b| b.message_with("/count", |m| Ok(m)))
            .unwrap();
        if i % 32 == 0 {
            // Let the server catch up, so that the socket buffer never overflows.
            assert!(eventually(PATIENCE, || handle.stats().received == i));
        }
    }
    assert!(eventually(PATIENCE, || {
        let s = handle.stats();
        s.received == total && s.scheduled + s.dropped == total
    }));
    let stats = handle.stats();
    assert_eq!(stats.scheduled, SCHEDULER_SLOTS as u64);
    assert_eq!(stats.dropped, 40);
    handle.stop().unwrap();
}

/// Sends `n` bundles due a year from now, letting the server catch up every 32.
fn send_year_ahead_bundles(client: &mut UdpClient, handle: &ServerHandle, n: u64) {
    let due = time::after(Duration::from_secs(365 * 86_400));
    let before = handle.stats().received;
    for i in 1..=n {
        client
            .send_bundle(due, 128, |b| b.message_with("/count", |m| Ok(m)))
            .unwrap();
        if i % 32 == 0 {
            assert!(eventually(PATIENCE, || handle.stats().received == before + i));
        }
    }
    assert!(eventually(PATIENCE, || handle.stats().received == before + n));
}

#[test]
fn bundles_beyond_the_schedule_horizon_are_dropped_and_cannot_fill_the_queue() {
    let (handle, _) = spawn_blocking(UdpServerBuilder::new(), "127.0.0.1:0");
    let mut client = UdpClient::connect(handle.local_addr()).unwrap();
    let flood = SCHEDULER_SLOTS as u64 + 40;
    send_year_ahead_bundles(&mut client, &handle, flood);
    // `received` is counted before a batch is handled, the rest after.
    let settled = |s: osc_std::Stats| s.too_far + s.scheduled + s.dropped == flood;
    assert!(eventually(PATIENCE, || settled(handle.stats())));
    let stats = handle.stats();
    assert_eq!(
        (stats.too_far, stats.scheduled, stats.dropped),
        (flood, 0, 0)
    );
    // The queue is still free for a bundle due soon, and it fires.
    client
        .send_bundle(time::after(Duration::from_millis(50)), 256, |b| {
            b.message_with("/echo", |m| m.int(7)?.string("x"))
        })
        .unwrap();
    let (reply, _) = client
        .recv(Some(PATIENCE))
        .unwrap()
        .expect("the bundle fired");
    assert_eq!(
        reply.as_message().unwrap().get_prefix::<(i32,)>().unwrap(),
        (7,)
    );
    assert_eq!(handle.stats().scheduled, 1);
    handle.stop().unwrap();

    // Without a horizon the same bundles are queued until the queue is full.
    let (handle, _) = spawn_blocking(
        UdpServerBuilder::new().schedule_horizon(None),
        "127.0.0.1:0",
    );
    let mut client = UdpClient::connect(handle.local_addr()).unwrap();
    send_year_ahead_bundles(&mut client, &handle, flood);
    assert!(eventually(PATIENCE, || settled(handle.stats())));
    let stats = handle.stats();
    assert_eq!(
        (stats.too_far, stats.scheduled, stats.dropped),
        (0, SCHEDULER_SLOTS as u64, 40)
    );
    handle.stop().unwrap();
}

#[test]
fn threaded_server_drops_and_counts_when_its_queue_is_full() {
    let (handle, ctx) = spawn_threaded(UdpServerBuilder::new().workers(1).queue_capacity(1));
    let mut client = UdpClient::connect(handle.local_addr()).unwrap();
    let sent = 20u64;
    for _ in 0..sent {
        client.send_message("/sleep", &[Arg::Int(20)]).unwrap();
    }
    // Bounded: at most `sent` sleeps of 20 ms are ever run.
    assert!(eventually(PATIENCE, || {
        let s = handle.stats();
        s.received == sent && ctx.counted.load(Ordering::SeqCst) + s.dropped == sent
    }));
    let dropped = handle.stats().dropped;
    assert!(
        dropped > 0,
        "a one-slot queue behind a slow worker must overflow"
    );
    assert!(dropped < sent);
    handle.stop().unwrap();
}

#[test]
fn shutdown_wakes_a_blocked_server_at_once() {
    // With a 10 s poll interval, only the wake-up datagram can make these return quickly.
    let slow = || UdpServerBuilder::new().poll_interval(Duration::from_secs(10));
    for handle in [
        spawn_blocking(slow(), "127.0.0.1:0").0,
        spawn_blocking(slow(), "0.0.0.0:0").0,
        spawn_threaded(slow().workers(2)).0,
    ] {
        std::thread::sleep(Duration::from_millis(20));
        let start = Instant::now();
        handle.stop().unwrap();
        let took = start.elapsed();
        assert!(took < Duration::from_millis(500), "stop took {took:?}");
    }
}

#[test]
fn reuse_port_workers_stop_within_the_poll_interval() {
    let handle = spawn_reuse_port(UdpServerBuilder::new().workers(3)).0;
    std::thread::sleep(Duration::from_millis(20));
    let start = Instant::now();
    handle.stop().unwrap();
    let took = start.elapsed();
    assert!(took < Duration::from_millis(500), "stop took {took:?}");
}

#[test]
fn blocking_run_returns_and_can_run_again() {
    let mut server = UdpServer::bind("127.0.0.1:0").unwrap();
    let stop = server.shutdown_handle();
    let mut d = dispatcher();
    let mut ctx = Ctx::default();
    stop.shutdown();
    let start = Instant::now();
    server.run(&mut d, &mut ctx).unwrap();
    assert!(start.elapsed() < Duration::from_millis(100));
}

#[test]
fn client_reports_a_malformed_datagram_and_goes_on() {
    let mut rx = UdpClient::bind("127.0.0.1:0").unwrap();
    let tx = UdpClient::bind("127.0.0.1:0").unwrap();
    let to = rx.local_addr().unwrap();
    tx.send_raw_to(GARBAGE, to).unwrap();
    tx.send_raw_to(b"/ok\0,\0\0\0", to).unwrap();
    assert!(matches!(rx.recv(Some(PATIENCE)), Err(Error::Decode(_))));
    let (p, from) = rx.recv(Some(PATIENCE)).unwrap().unwrap();
    assert_eq!(p.as_message().unwrap().address(), "/ok");
    assert_eq!(from, tx.local_addr().unwrap());
    // Zero timeout: only what is already there.
    assert!(rx.recv(Some(Duration::ZERO)).unwrap().is_none());
    tx.send_raw_to(b"/ok\0,\0\0\0", to).unwrap();
    assert!(eventually(PATIENCE, || matches!(
        rx.recv_raw(Some(Duration::ZERO)),
        Ok(Some(_))
    )));
    // Back to a bounded wait after the non-blocking one.
    let start = Instant::now();
    assert!(rx.recv(Some(Duration::from_millis(30))).unwrap().is_none());
    assert!(start.elapsed() >= Duration::from_millis(25));
}

#[test]
fn client_send_to_and_an_unconnected_send_error() {
    let mut rx = UdpClient::bind("127.0.0.1:0").unwrap();
    let mut tx = UdpClient::bind("127.0.0.1:0").unwrap();
    let to = rx.local_addr().unwrap();
    let n = tx
        .send_to(
            &Packet::Message(osc_core::Message::new("/a", &[Arg::Float(0.5)])),
            to,
        )
        .unwrap();
    assert_eq!(n, 12);
    let (_, from) = rx.recv(Some(PATIENCE)).unwrap().unwrap();
    assert_eq!(from, tx.local_addr().unwrap());
    assert!(
        matches!(tx.send_message("/a", &[]), Err(Error::Io(_))),
        "not connected"
    );
    assert!(matches!(
        tx.send_message("no-slash", &[]),
        Err(Error::Encode(_))
    ));
}

#[test]
fn dispatch_client_dispatches_the_replies() {
    let (handle, _) = spawn_blocking(UdpServerBuilder::new(), "127.0.0.1:0");
    let mut d: Dispatcher<'_, HandlerFn<Vec<(i32, SocketAddr)>, SocketAddr>, 4> = Dispatcher::new();
    d.map("/r", |seen, req, _| {
        seen.push((req.message.get::<(i32,)>().unwrap().0, *req.sender));
    })
    .unwrap();
    let mut client = DispatchClient::new(UdpClient::connect(handle.local_addr()).unwrap(), d);
    client.send_message("/reply2", &[]).unwrap();
    let mut seen = Vec::new();
    // Returns once nothing more comes for 200 ms.
    let n = client
        .handle_messages(&mut seen, Some(Duration::from_millis(200)))
        .unwrap();
    assert_eq!(n, 2);
    assert_eq!(seen, [(1, handle.local_addr()), (2, handle.local_addr())]);
    handle.stop().unwrap();
}
