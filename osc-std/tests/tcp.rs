//! TCP connections and the threaded TCP server on loopback: both framings, auto-detection,
//! partial and coalesced writes, bad frames, panics, limits, timeouts, timed bundles, shutdown.

mod common;

use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

use common::{dispatcher, encode, eventually, framed, quiet_deliberate_panics, Ctx, PATIENCE};
use osc_core::{slip, Arg, FrameError};
use osc_std::tcp::{TcpServer, TcpServerBuilder};
use osc_std::{time, Error, Framing, FramingMode, MalformedError, ServerHandle, TcpConnection};

fn spawn(builder: TcpServerBuilder, addr: &str) -> ServerHandle {
    builder
        .bind(addr)
        .unwrap()
        .spawn(|_peer| (dispatcher(), Ctx::default()))
        .unwrap()
}

fn expect_echo(conn: &mut TcpConnection, i: i32) {
    let p = conn.recv(Some(PATIENCE)).unwrap().expect("an echo");
    let msg = p.as_message().unwrap();
    assert_eq!(msg.address(), "/echo");
    assert_eq!(msg.get::<(i32,)>().unwrap(), (i,));
}

#[test]
fn connections_exchange_packets_in_both_framings() {
    for framing in [Framing::Slip, Framing::LengthPrefix] {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let mut a = TcpConnection::connect(listener.local_addr().unwrap(), framing).unwrap();
        let (stream, peer) = listener.accept().unwrap();
        assert_eq!(peer, a.local_addr().unwrap());
        let mut b = TcpConnection::from_stream(stream, framing);
        assert_eq!(b.peer_addr().unwrap(), a.local_addr().unwrap());

        a.send_message("/a", &[Arg::Int(1), Arg::String("two")])
            .unwrap();
        a.send_raw(&encode("/b", &[Arg::Blob(&[0xC0, 0xDB, 0x00])]))
            .unwrap();
        let p = b.recv(Some(PATIENCE)).unwrap().unwrap();
        assert_eq!(
            p.as_message().unwrap().get::<(i32, &str)>().unwrap(),
            (1, "two")
        );
        let p = b.recv(Some(PATIENCE)).unwrap().unwrap();
        assert_eq!(
            p.as_message().unwrap().get::<(&[u8],)>().unwrap(),
            (&[0xC0, 0xDB, 0][..],)
        );

        b.send_message("/back", &[]).unwrap();
        assert_eq!(
            a.recv(Some(PATIENCE))
                .unwrap()
                .unwrap()
                .as_message()
                .unwrap()
                .address(),
            "/back"
        );

        // Nothing more: a timeout, then the end of the stream.
        assert!(b.recv(Some(Duration::from_millis(20))).unwrap().is_none());
        a.shutdown().unwrap();
        assert!(matches!(b.recv(Some(PATIENCE)), Err(Error::Closed)));
    }
}

#[test]
fn connection_bytes_on_the_wire_are_exact() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let packet = encode("/a", &[]);
    for (framing, wire) in [
        (
            Framing::Slip,
            [&[slip::END][..], &packet, &[slip::END]].concat(),
        ),
        (Framing::LengthPrefix, [&[0, 0, 0, 8][..], &packet].concat()),
    ] {
        let mut conn = TcpConnection::connect(addr, framing).unwrap();
        let (mut raw, _) = listener.accept().unwrap();
        conn.send_message("/a", &[]).unwrap();
        let mut got = vec![0u8; wire.len()];
        raw.read_exact(&mut got).unwrap();
        assert_eq!(got, wire, "{framing}");
    }
}

#[test]
fn a_connection_keeps_a_partial_frame_across_a_timeout_and_reports_bad_frames() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let mut tx =
        TcpConnection::connect(listener.local_addr().unwrap(), Framing::LengthPrefix).unwrap();
    let mut rx = TcpConnection::from_stream(listener.accept().unwrap().0, Framing::LengthPrefix)
        .with_max_frame_size(64);
    let whole = framed(Framing::LengthPrefix, &encode("/x", &[Arg::Int(3)]));
    tx.write_unframed(&whole[..5]).unwrap();
    assert!(rx.recv(Some(Duration::from_millis(30))).unwrap().is_none());
    assert!(rx.has_partial_frame());
    tx.write_unframed(&whole[5..]).unwrap();
    assert_eq!(
        rx.recv(Some(PATIENCE))
            .unwrap()
            .unwrap()
            .as_message()
            .unwrap()
            .address(),
        "/x"
    );

    // A frame that is not OSC, one too long, then a good one: two errors, then the packet.
    tx.send_raw(b"junk").unwrap();
    tx.send_raw(&[0u8; 100]).unwrap();
    tx.send_message("/ok", &[]).unwrap();
    assert!(matches!(rx.recv(Some(PATIENCE)), Err(Error::Decode(_))));
    assert!(matches!(rx.recv(Some(PATIENCE)), Err(Error::Frame(_))));
    assert_eq!(
        rx.recv(Some(PATIENCE))
            .unwrap()
            .unwrap()
            .as_message()
            .unwrap()
            .address(),
        "/ok"
    );
    // A zero timeout only looks at what is there.
    assert!(rx.recv(Some(Duration::ZERO)).unwrap().is_none());
    // And the connection can still send after a non-blocking receive.
    rx.send_message("/still", &[]).unwrap();
    assert!(tx.recv(Some(PATIENCE)).unwrap().is_some());
}

fn server_round_trip(mode: FramingMode, client_framing: Framing) {
    let handle = spawn(TcpServerBuilder::new().framing(mode), "127.0.0.1:0");
    let mut conn = TcpConnection::connect(handle.local_addr(), client_framing).unwrap();
    for i in 0..20 {
        conn.send_message("/echo", &[Arg::Int(i)]).unwrap();
        expect_echo(&mut conn, i);
    }
    conn.send_message("/reply2", &[]).unwrap();
    for want in [1, 2] {
        let p = conn.recv(Some(PATIENCE)).unwrap().unwrap();
        assert_eq!(p.as_message().unwrap().get::<(i32,)>().unwrap(), (want,));
    }
    assert!(eventually(PATIENCE, || handle.stats().replies == 22));
    let s = handle.stats();
    assert_eq!(
        (s.received, s.messages, s.malformed, s.connections),
        (21, 21, 0, 1)
    );
    handle.stop().unwrap();
}

#[test]
fn server_replies_on_the_connection_with_slip() {
    server_round_trip(FramingMode::Slip, Framing::Slip);
}

#[test]
fn server_replies_on_the_connection_with_length_prefix() {
    server_round_trip(FramingMode::LengthPrefix, Framing::LengthPrefix);
}

#[test]
fn auto_framing_detects_each_connection() {
    server_round_trip(FramingMode::Auto, Framing::Slip);
    server_round_trip(FramingMode::Auto, Framing::LengthPrefix);

    // A single-END SLIP sender (`packet END`, no leading END) is detected by its `/`.
    let handle = spawn(
        TcpServerBuilder::new().framing(FramingMode::Auto),
        "127.0.0.1:0",
    );
    let mut conn = TcpConnection::connect(handle.local_addr(), Framing::Slip).unwrap();
    let mut wire = encode("/echo", &[Arg::Int(9)]);
    wire.push(slip::END);
    conn.write_unframed(&wire).unwrap();
    expect_echo(&mut conn, 9);
    handle.stop().unwrap();
}

#[test]
fn many_frames_in_one_write_and_one_byte_per_write() {
    for framing in [Framing::Slip, Framing::LengthPrefix] {
        let handle = spawn(
            TcpServerBuilder::new().framing(FramingMode::Auto),
            "127.0.0.1:0",
        );
        let mut conn = TcpConnection::connect(handle.local_addr(), framing).unwrap();
        let stream: Vec<u8> = (0..100)
            .flat_map(|i| framed(framing, &encode("/echo", &[Arg::Int(i)])))
            .collect();
        conn.write_unframed(&stream).unwrap();
        for i in 0..100 {
            expect_echo(&mut conn, i);
        }
        let short: Vec<u8> = (0..10)
            .flat_map(|i| framed(framing, &encode("/echo", &[Arg::Int(i)])))
            .collect();
        for byte in &short {
            conn.write_unframed(&[*byte]).unwrap();
        }
        for i in 0..10 {
            expect_echo(&mut conn, i);
        }
        let s = handle.stats();
        assert_eq!((s.received, s.malformed), (110, 0), "{framing}");
        handle.stop().unwrap();
    }
}

#[test]
fn bad_frames_are_counted_and_no_good_packet_is_lost() {
    for framing in [Framing::Slip, Framing::LengthPrefix] {
        let handle = spawn(
            TcpServerBuilder::new().framing(framing).max_frame_size(256),
            "127.0.0.1:0",
        );
        let mut conn = TcpConnection::connect(handle.local_addr(), framing).unwrap();
        let mut bad_frames: Vec<Vec<u8>> = vec![
            framed(framing, b"junk"),                    // not OSC
            framed(framing, &encode("/echo", &[])[..6]), // an OSC packet cut short
            framed(framing, &[b'/'; 1000]),              // longer than the limit
        ];
        if framing == Framing::Slip {
            bad_frames.push(vec![slip::END, b'/', slip::ESC, 0x01, b'x', slip::END]);
            // bad escape
        }
        let mut stream = Vec::new();
        let mut good = 0;
        for round in 0..5 {
            for bad in &bad_frames {
                stream.extend(framed(framing, &encode("/echo", &[Arg::Int(good)])));
                good += 1;
                stream.extend_from_slice(bad);
            }
            stream.extend(framed(framing, &encode("/echo", &[Arg::Int(good)])));
            good += 1;
            // Half in one write, half byte by byte.
            if round % 2 == 0 {
                conn.write_unframed(&stream).unwrap();
            } else {
                for chunk in stream.chunks(7) {
                    conn.write_unframed(chunk).unwrap();
                }
            }
            stream.clear();
        }
        for i in 0..good {
            expect_echo(&mut conn, i);
        }
        let bad = 5 * bad_frames.len() as u64;
        let s = handle.stats();
        assert_eq!(s.malformed, bad, "{framing}");
        assert_eq!(s.received, good as u64 + bad, "{framing}");
        assert_eq!(s.messages, good as u64, "{framing}");
        handle.stop().unwrap();
    }
}

#[test]
fn a_negative_length_closes_only_that_connection() {
    let handle = spawn(
        TcpServerBuilder::new().framing(Framing::LengthPrefix),
        "127.0.0.1:0",
    );
    let mut bad = TcpConnection::connect(handle.local_addr(), Framing::LengthPrefix).unwrap();
    let mut good = TcpConnection::connect(handle.local_addr(), Framing::LengthPrefix).unwrap();
    bad.write_unframed(&[0xFF, 0xFF, 0xFF, 0xF0, 1, 2, 3, 4])
        .unwrap();
    assert!(matches!(
        bad.recv(Some(PATIENCE)),
        Err(Error::Closed | Error::Io(_))
    ));
    good.send_message("/echo", &[Arg::Int(1)]).unwrap();
    expect_echo(&mut good, 1);
    assert_eq!(handle.stats().malformed, 1);
    let last = handle
        .counters()
        .last_malformed()
        .expect("the bad frame noted");
    assert_eq!(last.from, bad.local_addr().unwrap());
    assert_eq!(
        last.error,
        MalformedError::Frame(FrameError::NegativeLength)
    );
    handle.stop().unwrap();
}

#[test]
fn a_panicking_handler_is_counted_and_the_connection_goes_on() {
    quiet_deliberate_panics();
    let handle = spawn(TcpServerBuilder::new(), "127.0.0.1:0");
    let mut conn = TcpConnection::connect(handle.local_addr(), Framing::Slip).unwrap();
    for i in 0..3 {
        conn.send_message("/panic", &[]).unwrap();
        conn.send_message("/echo", &[Arg::Int(i)]).unwrap();
        expect_echo(&mut conn, i);
    }
    assert_eq!(handle.stats().panics, 3);
    handle.stop().unwrap();
}

#[test]
fn connections_over_the_limit_are_closed_and_counted() {
    let handle = spawn(TcpServerBuilder::new().max_connections(1), "127.0.0.1:0");
    let mut first = TcpConnection::connect(handle.local_addr(), Framing::Slip).unwrap();
    first.send_message("/echo", &[Arg::Int(1)]).unwrap();
    expect_echo(&mut first, 1);
    let mut second = TcpConnection::connect(handle.local_addr(), Framing::Slip).unwrap();
    assert!(matches!(
        second.recv(Some(PATIENCE)),
        Err(Error::Closed | Error::Io(_))
    ));
    assert_eq!(handle.stats().rejected, 1);
    // The slot is free again once the first connection is gone.
    drop(first);
    assert!(eventually(PATIENCE, || {
        let mut third = TcpConnection::connect(handle.local_addr(), Framing::Slip).unwrap();
        third.send_message("/echo", &[Arg::Int(3)]).is_ok()
            && matches!(third.recv(Some(Duration::from_millis(200))), Ok(Some(_)))
    }));
    handle.stop().unwrap();
}

#[test]
fn an_idle_connection_is_closed() {
    let idle = Duration::from_millis(100);
    let handle = spawn(
        TcpServerBuilder::new().idle_timeout(Some(idle)),
        "127.0.0.1:0",
    );
    let mut conn = TcpConnection::connect(handle.local_addr(), Framing::Slip).unwrap();
    let start = Instant::now();
    assert!(matches!(conn.recv(Some(PATIENCE)), Err(Error::Closed)));
    let took = start.elapsed();
    assert!(
        took >= idle - Duration::from_millis(5) && took < idle * 5,
        "closed after {took:?}"
    );
    handle.stop().unwrap();
}

#[test]
fn ipv6_round_trip_on_loopback() {
    if !common::ipv6_loopback_available() {
        println!("skipped: [::1] is not available here");
        return;
    }
    let handle = spawn(TcpServerBuilder::new(), "[::1]:0");
    let mut conn = TcpConnection::connect(handle.local_addr(), Framing::Slip).unwrap();
    assert!(conn.local_addr().unwrap().is_ipv6());
    conn.send_message("/echo", &[Arg::Int(6)]).unwrap();
    expect_echo(&mut conn, 6);
    handle.stop().unwrap();
}

#[test]
fn a_future_bundle_does_not_block_the_connection_and_fires_on_time() {
    let handle = spawn(TcpServerBuilder::new(), "127.0.0.1:0");
    let mut conn = TcpConnection::connect(handle.local_addr(), Framing::Slip).unwrap();
    let delay = Duration::from_millis(250);
    let start = Instant::now();
    let mut buf = [0u8; 128];
    let n = osc_core::BundleBuilder::new(&mut buf, time::after(delay))
        .unwrap()
        .message_with("/echo", |m| m.int(2))
        .unwrap()
        .finish()
        .unwrap();
    conn.send_raw(&buf[..n]).unwrap();
    conn.send_message("/echo", &[Arg::Int(1)]).unwrap();
    expect_echo(&mut conn, 1);
    assert!(start.elapsed() < Duration::from_millis(150));
    expect_echo(&mut conn, 2);
    let fired = start.elapsed();
    assert!(
        fired >= delay - Duration::from_millis(1) && fired < delay + Duration::from_millis(100),
        "{fired:?}"
    );
    assert_eq!(handle.stats().scheduled, 1);
    handle.stop().unwrap();
}

#[test]
fn shutdown_closes_open_connections_promptly() {
    let mut server = TcpServer::builder()
        .poll_interval(Duration::from_millis(20))
        .bind("127.0.0.1:0")
        .unwrap();
    let addr = server.local_addr().unwrap();
    let stop = server.shutdown_handle();
    std::thread::scope(|s| {
        let t = s.spawn(|| server.run(|_| (dispatcher(), Ctx::default())));
        let mut conn = TcpConnection::connect(addr, Framing::Slip).unwrap();
        conn.send_message("/echo", &[Arg::Int(1)]).unwrap();
        expect_echo(&mut conn, 1);
        let start = Instant::now();
        stop.shutdown();
        t.join().unwrap().unwrap();
        assert!(
            start.elapsed() < Duration::from_millis(500),
            "{:?}",
            start.elapsed()
        );
        assert!(matches!(
            conn.recv(Some(PATIENCE)),
            Err(Error::Closed | Error::Io(_))
        ));
    });
    // New connections are refused once the server is gone.
    drop(server);
    assert!(TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err());
}

#[test]
fn connect_with_a_timeout() {
    let handle = spawn(
        TcpServerBuilder::new().framing(Framing::Slip),
        "127.0.0.1:0",
    );
    let mut conn =
        TcpConnection::connect_timeout(handle.local_addr(), Framing::Slip, PATIENCE).unwrap();
    conn.send_message("/echo", &[Arg::Int(5)]).unwrap();
    expect_echo(&mut conn, 5);
    handle.stop().unwrap();
    // A port nobody listens on: the error of that address.
    let closed = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let e = TcpConnection::connect_timeout(closed, Framing::Slip, PATIENCE).unwrap_err();
    assert_eq!(e.kind(), std::io::ErrorKind::ConnectionRefused);
}

#[test]
fn the_default_server_serves_both_framings() {
    let handle = spawn(TcpServerBuilder::new(), "127.0.0.1:0");
    for framing in [Framing::Slip, Framing::LengthPrefix] {
        let mut conn = TcpConnection::connect(handle.local_addr(), framing).unwrap();
        conn.send_message("/echo", &[Arg::Int(9)]).unwrap();
        expect_echo(&mut conn, 9);
    }
    assert_eq!(handle.stop().unwrap().malformed, 0);
}
