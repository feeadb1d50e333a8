//! The tokio servers (feature `tokio`) on loopback: round trips, bad input, panics, timed bundles,
//! framing auto-detection, connection limit and shutdown.
#![cfg(feature = "tokio")]

mod common;

use std::time::{Duration, Instant};

use common::{dispatcher, eventually, quiet_deliberate_panics, Ctx, GARBAGE, PATIENCE};
use osc_core::Arg;
use osc_std::tcp::TcpServerBuilder;
use osc_std::udp::UdpServerBuilder;
use osc_std::{time, Error, Framing, FramingMode, TcpConnection, UdpClient};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn udp_server_round_trip_bad_input_panics_and_a_timed_bundle() {
    quiet_deliberate_panics();
    let rt = runtime();
    let mut server = rt
        .block_on(async { UdpServerBuilder::new().bind_tokio("127.0.0.1:0") })
        .unwrap();
    let (addr, stop, counters) = (
        server.local_addr().unwrap(),
        server.shutdown_handle(),
        server.counters(),
    );
    let task = rt.spawn(async move {
        let mut d = dispatcher();
        server.run(&mut d, &mut Ctx::default()).await
    });

    let mut client = UdpClient::connect(addr).unwrap();
    let delay = Duration::from_millis(200);
    let start = Instant::now();
    client
        .send_bundle(time::after(delay), 128, |b| {
            b.message_with("/echo", |m| m.int(-1))
        })
        .unwrap();
    for i in 0..50 {
        if i % 10 == 0 {
            client.send_raw(GARBAGE).unwrap();
            client.send_message("/panic", &[]).unwrap();
        }
        client.send_message("/echo", &[Arg::Int(i)]).unwrap();
        let (p, from) = client.recv(Some(PATIENCE)).unwrap().unwrap();
        assert_eq!(from, addr);
        assert_eq!(p.as_message().unwrap().get::<(i32,)>().unwrap(), (i,));
    }
    assert!(start.elapsed() < delay, "the bundle held nothing up");
    let (p, _) = client.recv(Some(PATIENCE)).unwrap().unwrap();
    assert_eq!(p.as_message().unwrap().get::<(i32,)>().unwrap(), (-1,));
    let fired = start.elapsed();
    assert!(
        fired >= delay - Duration::from_millis(1) && fired < delay + Duration::from_millis(100),
        "{fired:?}"
    );

    let s = counters.snapshot();
    assert_eq!(
        (s.received, s.malformed, s.panics, s.scheduled),
        (61, 5, 5, 1)
    );
    assert!(eventually(PATIENCE, || counters.snapshot().replies == 51));

    let t = Instant::now();
    stop.shutdown();
    rt.block_on(task).unwrap().unwrap();
    assert!(t.elapsed() < Duration::from_millis(500));
}

#[test]
fn tcp_server_round_trips_in_both_framings_with_bad_frames() {
    let rt = runtime();
    let mut server = rt
        .block_on(async {
            TcpServerBuilder::new()
                .framing(FramingMode::Auto)
                .max_frame_size(256)
                .bind_tokio("127.0.0.1:0")
        })
        .unwrap();
    let (addr, stop, counters) = (
        server.local_addr().unwrap(),
        server.shutdown_handle(),
        server.counters(),
    );
    let task = rt.spawn(async move { server.run(|_| (dispatcher(), Ctx::default())).await });

    for framing in [Framing::Slip, Framing::LengthPrefix] {
        let mut conn = TcpConnection::connect(addr, framing).unwrap();
        for i in 0..20 {
            conn.send_message("/echo", &[Arg::Int(i)]).unwrap();
            conn.send_raw(b"junk").unwrap();
            conn.send_raw(&[b'/'; 1000]).unwrap();
        }
        for i in 0..20 {
            let p = conn.recv(Some(PATIENCE)).unwrap().unwrap();
            assert_eq!(p.as_message().unwrap().get::<(i32,)>().unwrap(), (i,));
        }
        // One byte per write.
        let mut wire = Vec::new();
        let packet = [b"/echo\0\0\0,i\0\0".as_slice(), &7i32.to_be_bytes()].concat();
        let wire = framing.encode(&packet, &mut wire).unwrap().to_vec();
        for b in wire {
            conn.write_unframed(&[b]).unwrap();
        }
        let p = conn.recv(Some(PATIENCE)).unwrap().unwrap();
        assert_eq!(p.as_message().unwrap().get::<(i32,)>().unwrap(), (7,));
    }
    let s = counters.snapshot();
    assert_eq!(
        (s.received, s.malformed, s.messages, s.connections),
        (122, 80, 42, 2)
    );

    // A connection open at shutdown is closed.
    let mut open = TcpConnection::connect(addr, Framing::Slip).unwrap();
    open.send_message("/echo", &[Arg::Int(1)]).unwrap();
    assert!(open.recv(Some(PATIENCE)).unwrap().is_some());
    let t = Instant::now();
    stop.shutdown();
    rt.block_on(task).unwrap().unwrap();
    assert!(t.elapsed() < Duration::from_millis(500));
    assert!(matches!(
        open.recv(Some(PATIENCE)),
        Err(Error::Closed | Error::Io(_))
    ));
}

#[test]
fn tcp_server_limits_connections_and_closes_idle_ones() {
    let rt = runtime();
    let idle = Duration::from_millis(150);
    let mut server = rt
        .block_on(async {
            TcpServerBuilder::new()
                .max_connections(1)
                .idle_timeout(Some(idle))
                .bind_tokio("127.0.0.1:0")
        })
        .unwrap();
    let (addr, stop, counters) = (
        server.local_addr().unwrap(),
        server.shutdown_handle(),
        server.counters(),
    );
    let task = rt.spawn(async move { server.run(|_| (dispatcher(), Ctx::default())).await });

    let mut first = TcpConnection::connect(addr, Framing::Slip).unwrap();
    first.send_message("/echo", &[Arg::Int(1)]).unwrap();
    assert!(first.recv(Some(PATIENCE)).unwrap().is_some());
    let mut second = TcpConnection::connect(addr, Framing::Slip).unwrap();
    assert!(matches!(
        second.recv(Some(PATIENCE)),
        Err(Error::Closed | Error::Io(_))
    ));
    assert_eq!(counters.snapshot().rejected, 1);
    // The first one goes idle and is closed.
    let start = Instant::now();
    assert!(matches!(first.recv(Some(PATIENCE)), Err(Error::Closed)));
    assert!(start.elapsed() < idle * 5);

    stop.shutdown();
    rt.block_on(task).unwrap().unwrap();
}
