//! The tokio servers (feature `tokio`) on loopback: round trips, bad input, panics, timed bundles,
//! framing auto-detection, connection limit and shutdown; async handlers.
#![cfg(feature = "tokio")]

mod common;

use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{dispatcher, eventually, quiet_deliberate_panics, Ctx, GARBAGE, PANIC_TEXT, PATIENCE};
use osc_core::{Arg, Message};
use osc_std::tcp::TcpServerBuilder;
use osc_std::tokio::{AsyncRequest, AsyncRoutes, Responder};
use osc_std::udp::UdpServerBuilder;
use osc_std::{
    time, Counters, Error, Framing, FramingMode, OwnedMessage, Shutdown, TcpConnection, UdpClient,
};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// A tokio UDP server of `builder` on a loopback port, with its address, shutdown handle and
/// counters.
fn udp_server(
    rt: &tokio::runtime::Runtime,
    builder: UdpServerBuilder,
) -> (
    osc_std::tokio::UdpServer,
    SocketAddr,
    Shutdown,
    Arc<Counters>,
) {
    let server = rt
        .block_on(async { builder.bind_tokio("127.0.0.1:0") })
        .unwrap();
    let (addr, stop) = (server.local_addr().unwrap(), server.shutdown_handle());
    let counters = server.counters();
    (server, addr, stop, counters)
}

/// The same for a tokio TCP server.
fn tcp_server(
    rt: &tokio::runtime::Runtime,
    builder: TcpServerBuilder,
) -> (
    osc_std::tokio::TcpServer,
    SocketAddr,
    Shutdown,
    Arc<Counters>,
) {
    let server = rt
        .block_on(async { builder.bind_tokio("127.0.0.1:0") })
        .unwrap();
    let (addr, stop) = (server.local_addr().unwrap(), server.shutdown_handle());
    let counters = server.counters();
    (server, addr, stop, counters)
}

#[test]
fn udp_server_round_trip_bad_input_panics_and_a_timed_bundle() {
    quiet_deliberate_panics();
    let rt = runtime();
    let (mut server, addr, stop, counters) = udp_server(&rt, UdpServerBuilder::new());
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
fn udp_server_takes_queued_bursts_in_batches_and_answers_each_sender_in_order() {
    // Datagrams queued before the server runs: from three senders, interleaved, of mixed sizes
    // (up to 9 000 bytes, which must arrive whole), with garbage and panics among them. Every
    // batch size must give the same echoes, in order, and exact counters. The burst (under
    // 200 KB of socket memory) fits Linux's default receive buffer limit.
    quiet_deliberate_panics();
    const PER_CLIENT: i32 = 20;
    let size = |i: i32| if i % 7 == 3 { 9_000 } else { (i as usize) % 5 };
    for batch in [1, 7, 64] {
        let rt = runtime();
        let builder = UdpServerBuilder::new()
            .recv_batch(batch)
            .recv_buffer_size(1 << 20);
        let (mut server, addr, stop, counters) = udp_server(&rt, builder);
        let mut clients: Vec<UdpClient> =
            (0..3).map(|_| UdpClient::connect(addr).unwrap()).collect();
        for c in &clients {
            socket2::SockRef::from(c.socket())
                .set_recv_buffer_size(1 << 20)
                .unwrap();
        }
        for i in 0..PER_CLIENT {
            for c in &mut clients {
                if i % 10 == 5 {
                    c.send_raw(GARBAGE).unwrap();
                    c.send_message("/panic", &[]).unwrap();
                }
                let blob = vec![0x5A; size(i)];
                c.send_message("/echo", &[Arg::Int(i), Arg::Blob(&blob)])
                    .unwrap();
            }
        }
        let task = rt.spawn(async move {
            let mut d = dispatcher();
            server.run(&mut d, &mut Ctx::default()).await
        });
        for c in &mut clients {
            for i in 0..PER_CLIENT {
                let (p, from) = c.recv(Some(PATIENCE)).unwrap().expect("an echo");
                assert_eq!(from, addr);
                let (got, blob) = p.as_message().unwrap().get::<(i32, &[u8])>().unwrap();
                assert_eq!(
                    (got, blob.len()),
                    (i, size(i)),
                    "batch {batch}: in order, whole"
                );
            }
        }
        let echoes = 3 * PER_CLIENT as u64;
        assert!(eventually(PATIENCE, || counters.snapshot().replies == echoes));
        let s = counters.snapshot();
        assert_eq!(
            (
                s.received,
                s.messages,
                s.malformed,
                s.panics,
                s.reply_errors
            ),
            // Two garbage datagrams and two panics per sender; a panicking message is not
            // counted in `messages`.
            (echoes + 12, echoes, 6, 6, 0),
            "batch {batch}"
        );
        stop.shutdown();
        rt.block_on(task).unwrap().unwrap();
    }
}

#[test]
fn tcp_server_round_trips_in_both_framings_with_bad_frames() {
    let rt = runtime();
    let builder = TcpServerBuilder::new()
        .framing(FramingMode::Auto)
        .max_frame_size(256);
    let (mut server, addr, stop, counters) = tcp_server(&rt, builder);
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
    let builder = TcpServerBuilder::new()
        .max_connections(1)
        .idle_timeout(Some(idle));
    let (mut server, addr, stop, counters) = tcp_server(&rt, builder);
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

/// The async clients against the tokio servers: many round trips from concurrent tasks, over UDP and
/// over TCP in both framings.
#[test]
fn async_clients_round_trip_with_the_tokio_servers() {
    use osc_std::tokio::{TcpConnection as AsyncTcp, UdpClient as AsyncUdp};
    let rt = runtime();
    rt.block_on(async {
        let mut udp = UdpServerBuilder::new().bind_tokio("127.0.0.1:0").unwrap();
        let mut tcp = TcpServerBuilder::new().bind_tokio("127.0.0.1:0").unwrap();
        let (udp_addr, udp_stop) = (udp.local_addr().unwrap(), udp.shutdown_handle());
        let (tcp_addr, tcp_stop) = (tcp.local_addr().unwrap(), tcp.shutdown_handle());
        let udp_task = tokio::spawn(async move {
            let mut d = dispatcher();
            udp.run(&mut d, &mut Ctx::default()).await
        });
        let tcp_task =
            tokio::spawn(async move { tcp.run(|_| (dispatcher(), Ctx::default())).await });

        let mut tasks = tokio::task::JoinSet::new();
        for t in 0..3 {
            tasks.spawn(async move {
                let mut client = AsyncUdp::connect(udp_addr).await.unwrap();
                for i in 0..100 {
                    client
                        .send_message("/echo", &[Arg::Int(t * 1000 + i)])
                        .await
                        .unwrap();
                    let (p, from) = tokio::time::timeout(PATIENCE, client.recv())
                        .await
                        .unwrap()
                        .unwrap();
                    assert_eq!(from, udp_addr);
                    let got = p.as_message().unwrap().get::<(i32,)>().unwrap();
                    assert_eq!(got, (t * 1000 + i,));
                }
            });
        }
        for framing in [Framing::Slip, Framing::LengthPrefix] {
            tasks.spawn(async move {
                let mut conn = AsyncTcp::connect(tcp_addr, framing).await.unwrap();
                for i in 0..100 {
                    conn.send_message("/echo", &[Arg::Int(i)]).await.unwrap();
                    let p = tokio::time::timeout(PATIENCE, conn.recv())
                        .await
                        .unwrap()
                        .unwrap();
                    assert_eq!(p.as_message().unwrap().get::<(i32,)>().unwrap(), (i,));
                }
                conn.shutdown().await.unwrap();
                assert!(conn.recv().await.unwrap_err().is_closed(), "{framing}");
            });
        }
        while let Some(done) = tasks.join_next().await {
            done.unwrap();
        }
        udp_stop.shutdown();
        tcp_stop.shutdown();
        udp_task.await.unwrap().unwrap();
        tcp_task.await.unwrap().unwrap();
    });
}

/// The async UDP client's receive is cancel-safe: receives cut short by a tight timeout while
/// datagrams keep arriving lose none of them.
#[test]
fn async_udp_receive_is_cancel_safe() {
    use osc_std::tokio::UdpClient as AsyncUdp;
    const COUNT: i32 = 300;
    let rt = runtime();
    rt.block_on(async {
        let mut rx = AsyncUdp::bind("127.0.0.1:0").await.unwrap();
        let mut tx = AsyncUdp::connect(rx.local_addr().unwrap()).await.unwrap();
        let sender = tokio::spawn(async move {
            for i in 0..COUNT {
                tx.send_message("/n", &[Arg::Int(i)]).await.unwrap();
                if i % 4 == 0 {
                    tokio::time::sleep(Duration::from_micros(200)).await;
                }
            }
        });
        let (mut next, mut cancelled) = (0, 0);
        let deadline = Instant::now() + PATIENCE;
        while next < COUNT && Instant::now() < deadline {
            match tokio::time::timeout(Duration::from_micros(50), rx.recv()).await {
                Ok(received) => {
                    let (p, _) = received.unwrap();
                    assert_eq!(p.as_message().unwrap().get::<(i32,)>().unwrap(), (next,));
                    next += 1;
                }
                Err(_) => cancelled += 1,
            }
        }
        sender.await.unwrap();
        assert_eq!(next, COUNT, "after {cancelled} cancelled receives");
        assert!(cancelled > 0, "the timeouts cut some receives short");
    });
}

/// The async TCP connection's receive is cancel-safe: a frame that arrives in pieces across
/// cancelled receives comes out whole, bad frames are reported and skipped, and the good frames
/// around them are all delivered.
#[test]
fn async_tcp_receive_is_cancel_safe_and_recovers_from_bad_frames() {
    use osc_core::slip;
    use osc_std::tokio::TcpConnection as AsyncTcp;
    use tokio::io::AsyncWriteExt;

    let rt = runtime();
    rt.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let mut writer = tokio::net::TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let mut conn = AsyncTcp::from_stream(listener.accept().await.unwrap().0, Framing::Slip);
        conn.set_max_frame_size(64);

        let frame = |address: &str, i: i32| {
            let args = [Arg::Int(i)];
            let mut packet = vec![0u8; 64];
            let n = osc_core::Message::new(address, &args)
                .encode(&mut packet)
                .unwrap();
            let mut out = vec![0u8; 2 * n + 2];
            let m = slip::encode(&packet[..n], &mut out).unwrap();
            out.truncate(m);
            out
        };
        let short = Duration::from_millis(20);

        // One frame, a byte at a time, each byte after a receive that timed out.
        for &b in &frame("/a", 1) {
            assert!(tokio::time::timeout(short, conn.recv()).await.is_err());
            writer.write_all(&[b]).await.unwrap();
        }
        let p = tokio::time::timeout(PATIENCE, conn.recv())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(p.as_message().unwrap().get::<(i32,)>().unwrap(), (1,));

        // A frame over the size limit, one that is not OSC, then a good one, in one write.
        let mut bytes = vec![slip::END];
        bytes.extend(std::iter::repeat_n(b'x', 100));
        bytes.push(slip::END);
        bytes.extend_from_slice(&[slip::END, b'n', b'o', slip::END]);
        bytes.extend_from_slice(&frame("/b", 2));
        writer.write_all(&bytes).await.unwrap();
        assert!(matches!(conn.recv().await, Err(Error::Frame(_))));
        assert!(matches!(conn.recv().await, Err(Error::Decode(_))));
        let p = tokio::time::timeout(PATIENCE, conn.recv())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(p.as_message().unwrap().get::<(i32,)>().unwrap(), (2,));

        // The peer stops mid-frame: the end of the stream, with a partial frame kept.
        writer.write_all(&frame("/c", 3)[..5]).await.unwrap();
        writer.shutdown().await.unwrap();
        assert!(conn.recv().await.unwrap_err().is_closed());
        assert!(conn.has_partial_frame());
    });
}

/// Async routes for the tests: `/slow ms` waits, then replies `/done ms`; `/echo` replies with the
/// message, its route and whether it came in a bundle; `/ch/*/mix/{fader,pan}` replies with its
/// captures; `/late` panics after an await, `/panic` when called; anything else gets
/// `/unknown <address>`.
fn async_routes() -> AsyncRoutes<'static, 8> {
    let mut routes = AsyncRoutes::new();
    routes
        .map("/slow", |req: AsyncRequest| async move {
            let (ms,) = req.message.get::<(i32,)>().unwrap();
            tokio::time::sleep(Duration::from_millis(ms as u64)).await;
            req.reply
                .send_message("/done", &[Arg::Int(ms)])
                .await
                .unwrap();
        })
        .unwrap();
    routes
        .map("/echo", |req: AsyncRequest| async move {
            let message = req.message.message();
            let (i,) = message.get::<(i32,)>().unwrap();
            let args = [
                Arg::Int(i),
                Arg::String(&req.route),
                Arg::String(message.address()),
                Arg::Bool(req.timetag.is_some()),
            ];
            req.reply.send_message("/echo", &args).await.unwrap();
        })
        .unwrap();
    routes
        .map("/ch/*/mix/{fader,pan}", |req: AsyncRequest| async move {
            let parts: Vec<String> = req.captures().map(String::from).collect();
            let args: Vec<Arg<'_>> = parts.iter().map(|p| Arg::String(p)).collect();
            req.reply.send_message("/captured", &args).await.unwrap();
        })
        .unwrap();
    routes
        .map("/late", |_| async {
            tokio::task::yield_now().await;
            std::panic::panic_any(PANIC_TEXT);
        })
        .unwrap();
    routes
        .map("/panic", |_| -> std::future::Ready<()> {
            std::panic::panic_any(PANIC_TEXT)
        })
        .unwrap();
    routes.set_default(|req: AsyncRequest| async move {
        assert_eq!(&*req.route, "");
        let address = req.message.address().to_string();
        let _ = req
            .reply
            .send_message("/unknown", &[Arg::String(&address)])
            .await;
    });
    routes
}

#[test]
fn udp_async_handlers_are_awaited_in_order_and_survive_bad_input_and_panics() {
    quiet_deliberate_panics();
    let rt = runtime();
    let (mut server, addr, stop, counters) = udp_server(&rt, UdpServerBuilder::new());
    let task = rt.spawn(async move { server.run_async(&mut async_routes()).await });

    let mut client = UdpClient::connect(addr).unwrap();
    // Long enough for the round trips below on a loaded machine.
    let delay = Duration::from_millis(1500);
    let start = Instant::now();
    client
        .send_bundle(time::after(delay), 128, |b| {
            b.message_with("/echo", |m| m.int(-1))
        })
        .unwrap();
    // Awaited one after the other: the slow one's reply comes first.
    client.send_message("/slow", &[Arg::Int(50)]).unwrap();
    client.send_message("/slow", &[Arg::Int(0)]).unwrap();
    for want in [50, 0] {
        let (p, from) = client.recv(Some(PATIENCE)).unwrap().unwrap();
        assert_eq!(from, addr);
        assert_eq!(p.as_message().unwrap().get::<(i32,)>().unwrap(), (want,));
    }
    for i in 0..20 {
        if i % 5 == 0 {
            client.send_raw(GARBAGE).unwrap();
            client.send_message("/panic", &[]).unwrap();
            client.send_message("/late", &[]).unwrap();
        }
        client.send_message("/e*o", &[Arg::Int(i)]).unwrap();
        let (p, _) = client.recv(Some(PATIENCE)).unwrap().unwrap();
        let got = p
            .as_message()
            .unwrap()
            .get::<(i32, &str, &str, bool)>()
            .unwrap();
        assert_eq!(got, (i, "/echo", "/e*o", false));
    }
    assert!(start.elapsed() < delay, "the timed bundle held nothing up");
    let (p, _) = client.recv(Some(PATIENCE)).unwrap().unwrap();
    let got = p
        .as_message()
        .unwrap()
        .get::<(i32, &str, &str, bool)>()
        .unwrap();
    assert_eq!(got, (-1, "/echo", "/echo", true));
    assert!(start.elapsed() >= delay);

    client.send_message("/ch/07/mix/pan", &[]).unwrap();
    let (p, _) = client.recv(Some(PATIENCE)).unwrap().unwrap();
    let m = p.as_message().unwrap();
    assert_eq!(
        (m.address(), m.get::<(&str, &str)>().unwrap()),
        ("/captured", ("07", "pan"))
    );

    client.send_message("/nowhere", &[]).unwrap();
    let (p, _) = client.recv(Some(PATIENCE)).unwrap().unwrap();
    let m = p.as_message().unwrap();
    assert_eq!(
        (m.address(), m.get::<(&str,)>().unwrap()),
        ("/unknown", ("/nowhere",))
    );

    // A reply is counted once sent, which can be just after it arrived.
    assert!(eventually(PATIENCE, || counters.snapshot().replies == 25));
    let s = counters.snapshot();
    assert_eq!(
        (s.received, s.malformed, s.panics, s.replies, s.reply_errors),
        (37, 4, 8, 25, 0)
    );

    // A shutdown does not wait for a handler that is still running: it is dropped.
    client.send_message("/slow", &[Arg::Int(60_000)]).unwrap();
    assert!(eventually(PATIENCE, || counters.snapshot().received == 38));
    let t = Instant::now();
    stop.shutdown();
    rt.block_on(task).unwrap().unwrap();
    assert!(t.elapsed() < PATIENCE);
}

#[test]
fn tcp_async_handlers_reply_on_their_connection_now_and_later() {
    quiet_deliberate_panics();
    let rt = runtime();
    let builder = TcpServerBuilder::new().framing(FramingMode::Auto);
    let (mut server, addr, stop, counters) = tcp_server(&rt, builder);
    // Responders kept by `/subscribe`, to push to later.
    let subscribers: Arc<Mutex<Vec<Responder>>> = Arc::default();
    let kept = subscribers.clone();
    let task = rt.spawn(async move {
        server
            .run_async(move |_peer| {
                let mut routes = async_routes();
                let kept = kept.clone();
                routes
                    .map("/subscribe", move |req: AsyncRequest| {
                        kept.lock().unwrap().push(req.reply);
                        std::future::ready(())
                    })
                    .unwrap();
                routes
            })
            .await
    });

    let mut conns = Vec::new();
    for framing in [Framing::Slip, Framing::LengthPrefix] {
        let mut conn = TcpConnection::connect(addr, framing).unwrap();
        conn.send_message("/slow", &[Arg::Int(50)]).unwrap();
        conn.send_raw(b"junk").unwrap();
        conn.send_message("/panic", &[]).unwrap();
        conn.send_message("/e?ho", &[Arg::Int(7)]).unwrap();
        conn.send_message("/subscribe", &[]).unwrap();
        let p = conn.recv(Some(PATIENCE)).unwrap().unwrap();
        assert_eq!(p.as_message().unwrap().get::<(i32,)>().unwrap(), (50,));
        let p = conn.recv(Some(PATIENCE)).unwrap().unwrap();
        let got = p
            .as_message()
            .unwrap()
            .get::<(i32, &str, &str, bool)>()
            .unwrap();
        assert_eq!(got, (7, "/echo", "/e?ho", false));
        conns.push(conn);
    }
    assert!(eventually(PATIENCE, || subscribers.lock().unwrap().len() == 2));

    // Pushed later, from outside any handler, each in its connection's framing.
    let pushed: Vec<Responder> = subscribers.lock().unwrap().clone();
    for (i, r) in pushed.iter().enumerate() {
        rt.block_on(r.send_message("/update", &[Arg::Int(i as i32)]))
            .unwrap();
    }
    for (i, conn) in conns.iter_mut().enumerate() {
        let p = conn.recv(Some(PATIENCE)).unwrap().unwrap();
        let m = p.as_message().unwrap();
        assert_eq!(
            (m.address(), m.get::<(i32,)>().unwrap()),
            ("/update", (i as i32,))
        );
    }

    // Once a connection has ended, its responder says so.
    let gone = conns.remove(0);
    let peer = gone.local_addr().unwrap();
    drop(gone);
    let r = pushed.iter().find(|r| r.peer() == peer).unwrap();
    assert!(eventually(PATIENCE, || r.is_closed()));
    assert!(matches!(
        rt.block_on(r.send_message("/update", &[])),
        Err(Error::Closed)
    ));
    // The other one is still there, and takes bytes that are a packet already.
    let open = pushed.iter().find(|r| r.peer() != peer).unwrap();
    assert!(!open.is_closed());
    let copy = OwnedMessage::new(&Message::new("/copy", &[Arg::Int(9)])).unwrap();
    rt.block_on(open.send_raw(copy.as_bytes())).unwrap();
    let p = conns[0].recv(Some(PATIENCE)).unwrap().unwrap();
    assert_eq!(copy, *p.as_message().unwrap());

    let s = counters.snapshot();
    assert_eq!((s.connections, s.malformed, s.panics), (2, 2, 2));
    assert_eq!((s.replies, s.reply_errors), (7, 1));

    // Nor for a connection's handler that is still running; its responders are closed.
    let busy = &mut conns[0];
    busy.send_message("/slow", &[Arg::Int(60_000)]).unwrap();
    let received = s.received + 1;
    assert!(eventually(PATIENCE, || counters.snapshot().received == received));
    let t = Instant::now();
    stop.shutdown();
    rt.block_on(task).unwrap().unwrap();
    assert!(t.elapsed() < PATIENCE);
    assert!(matches!(
        busy.recv(Some(PATIENCE)),
        Err(Error::Closed | Error::Io(_))
    ));
    assert!(open.is_closed());
    assert!(matches!(
        rt.block_on(open.send_message("/late", &[])),
        Err(Error::Closed)
    ));
}

#[test]
fn shutdown_does_not_wait_for_a_peer_that_stops_reading() {
    let rt = runtime();
    let builder = TcpServerBuilder::new().write_timeout(None);
    let (mut server, addr, stop, _) = tcp_server(&rt, builder);
    // `/flood` pushes 64 MiB from a task of its own; `/echo` then waits its turn to write. The
    // pusher says when it starts, and at the end how many pushes went out and how it stopped.
    let (started_tx, started_rx) = std::sync::mpsc::channel();
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    let task = rt.spawn(async move {
        server
            .run_async(move |_| {
                let mut routes: AsyncRoutes<'static, 4> = AsyncRoutes::new();
                let (started, done) = (started_tx.clone(), done_tx.clone());
                routes
                    .map("/flood", move |req: AsyncRequest| {
                        let (started, done) = (started.clone(), done.clone());
                        tokio::spawn(async move {
                            let _ = started.send(());
                            let blob = vec![7u8; 60_000];
                            let args = [Arg::Blob(&blob)];
                            let mut sent = 0;
                            while sent < 1100 {
                                if req.reply.send_message("/b", &args).await.is_err() {
                                    break;
                                }
                                sent += 1;
                            }
                            let _ = done.send(sent);
                        });
                        std::future::ready(())
                    })
                    .unwrap();
                routes
                    .map("/echo", |req: AsyncRequest| async move {
                        let _ = req.reply.send_message("/echo", &[]).await;
                    })
                    .unwrap();
                routes
            })
            .await
    });
    let mut conn = TcpConnection::connect(addr, Framing::Slip).unwrap();
    conn.send_message("/flood", &[]).unwrap();
    conn.send_message("/echo", &[]).unwrap();
    started_rx.recv_timeout(PATIENCE).unwrap();
    // Long enough for the pusher to fill the socket buffers (a few MB) and block.
    std::thread::sleep(Duration::from_millis(300));
    let t = Instant::now();
    stop.shutdown();
    let ended = rt.block_on(async { tokio::time::timeout(PATIENCE, task).await });
    ended.expect("run_async returns").unwrap().unwrap();
    assert!(t.elapsed() < PATIENCE);
    // The push that was blocked failed when the connection was shut down.
    let sent = done_rx.recv_timeout(PATIENCE).unwrap();
    assert!(sent < 1100, "{sent} pushes");

    // The same for the replies of synchronous handlers: 60 KB echoes that are never read.
    let builder = TcpServerBuilder::new()
        .write_timeout(None)
        .reply_buffer_size(70_000);
    let (mut server, addr, stop, _) = tcp_server(&rt, builder);
    let task = rt.spawn(async move { server.run(|_| (dispatcher(), Ctx::default())).await });
    let mut conn = TcpConnection::connect(addr, Framing::Slip).unwrap();
    let sender = std::thread::spawn(move || {
        let blob = vec![7u8; 60_000];
        // Ends when the server closes the connection.
        for _ in 0..1100 {
            if conn.send_message("/echo", &[Arg::Blob(&blob)]).is_err() {
                return true;
            }
        }
        false
    });
    std::thread::sleep(Duration::from_millis(300));
    let t = Instant::now();
    stop.shutdown();
    let ended = rt.block_on(async { tokio::time::timeout(PATIENCE, task).await });
    ended.expect("run returns").unwrap().unwrap();
    assert!(t.elapsed() < PATIENCE);
    assert!(sender.join().unwrap());
}

#[test]
fn async_clients_dispatch_to_synchronous_and_async_handlers() {
    let rt = runtime();
    fn wait<F: std::future::Future>(f: F) -> tokio::time::Timeout<F> {
        tokio::time::timeout(PATIENCE, f)
    }
    rt.block_on(async {
        // UDP: a device answers queries through async handlers, and once more later.
        let mut device = osc_std::tokio::UdpClient::bind("127.0.0.1:0")
            .await
            .unwrap();
        let mut asker = osc_std::tokio::UdpClient::connect(device.local_addr().unwrap())
            .await
            .unwrap();
        let mut routes = async_routes();
        asker.send_message("/slow", &[Arg::Int(10)]).await.unwrap();
        asker.send_message("/e?ho", &[Arg::Int(3)]).await.unwrap();
        for _ in 0..2 {
            let outcome = wait(device.dispatch_async(&mut routes))
                .await
                .unwrap()
                .unwrap();
            assert_eq!(outcome.handler_calls, 1);
        }
        let (p, from) = wait(asker.recv()).await.unwrap().unwrap();
        assert_eq!(from, device.local_addr().unwrap());
        assert_eq!(p.as_message().unwrap().get::<(i32,)>().unwrap(), (10,));
        let (p, _) = wait(asker.recv()).await.unwrap().unwrap();
        let got = p
            .as_message()
            .unwrap()
            .get::<(i32, &str, &str, bool)>()
            .unwrap();
        assert_eq!(got, (3, "/echo", "/e?ho", false));
        // Not OSC: an error, and the next packet is dispatched.
        asker.socket().send(GARBAGE).await.unwrap();
        let e = wait(device.dispatch_async(&mut routes)).await.unwrap();
        assert!(matches!(e, Err(Error::Decode(_))));

        // TCP, both ways: the client answers the server's requests with synchronous handlers,
        // the server answers the client's with async ones.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let mut client = osc_std::tokio::TcpConnection::connect(addr, Framing::LengthPrefix)
            .await
            .unwrap();
        let stream = listener.accept().await.unwrap().0;
        let mut server = osc_std::tokio::TcpConnection::from_stream(stream, Framing::LengthPrefix);
        let mut d = dispatcher();
        server.send_message("/reply2", &[]).await.unwrap();
        let outcome = wait(client.dispatch(&mut d, &mut Ctx::default()))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(outcome.handler_calls, 1);
        for i in 1..=2 {
            let p = wait(server.recv()).await.unwrap().unwrap();
            assert_eq!(p.as_message().unwrap().get::<(i32,)>().unwrap(), (i,));
        }
        client.send_message("/ch/3/mix/fader", &[]).await.unwrap();
        wait(server.dispatch_async(&mut routes))
            .await
            .unwrap()
            .unwrap();
        let p = wait(client.recv()).await.unwrap().unwrap();
        assert_eq!(
            p.as_message().unwrap().get::<(&str, &str)>().unwrap(),
            ("3", "fader")
        );

        // A responder kept after its connection is dropped says so.
        let kept: Arc<Mutex<Option<Responder>>> = Arc::default();
        let keep = kept.clone();
        let mut routes: AsyncRoutes<'static, 2> = AsyncRoutes::new();
        routes
            .map("/subscribe", move |req: AsyncRequest| {
                *keep.lock().unwrap() = Some(req.reply);
                std::future::ready(())
            })
            .unwrap();
        client.send_message("/subscribe", &[]).await.unwrap();
        wait(server.dispatch_async(&mut routes))
            .await
            .unwrap()
            .unwrap();
        let r = kept.lock().unwrap().take().unwrap();
        r.send_message("/later", &[]).await.unwrap();
        let p = wait(client.recv()).await.unwrap().unwrap();
        assert_eq!(p.as_message().unwrap().address(), "/later");
        // What arrives after this end has shut down its writing half is still dispatched.
        client.shutdown().await.unwrap();
        server.send_message("/count", &[]).await.unwrap();
        drop(server);
        assert!(r.is_closed());
        assert!(matches!(
            r.send_message("/later", &[]).await,
            Err(Error::Closed)
        ));
        let ctx = Ctx::default();
        let outcome = wait(client.dispatch(&mut d, &mut ctx.clone()))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (outcome.handler_calls, ctx.counted.load(Ordering::SeqCst)),
            (1, 1)
        );
        let end = wait(client.dispatch(&mut d, &mut ctx.clone()))
            .await
            .unwrap();
        assert!(matches!(end, Err(Error::Closed)));
        assert_eq!(client.peer_addr().unwrap(), addr);
    });
}
