//! The blocking UDP server's batched receive and send (`recvmmsg` / `sendmmsg` on Linux, one
//! datagram per call elsewhere): datagrams queued before the server runs arrive in batches of
//! mixed senders and sizes, and every reply still reaches its own sender, in order.

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use common::{dispatcher, eventually, Ctx, PATIENCE};
use osc_core::Arg;
use osc_std::udp::{UdpServer, UdpServerBuilder};
use osc_std::{ServerHandle, UdpClient};

/// Binds a server, lets `send` queue datagrams in its socket before it runs, then runs it.
fn queued_then_served(builder: UdpServerBuilder, send: impl FnOnce(SocketAddr)) -> ServerHandle {
    let server: UdpServer = builder.bind("127.0.0.1:0").unwrap();
    send(server.local_addr().unwrap());
    server.spawn(dispatcher(), Ctx::default()).unwrap()
}

fn expect_echo(client: &mut UdpClient, server: SocketAddr, i: i32, len: usize) {
    let (reply, from) = client.recv(Some(PATIENCE)).unwrap().expect("an echo");
    assert_eq!(from, server);
    let (got, blob) = reply.as_message().unwrap().get::<(i32, &[u8])>().unwrap();
    assert_eq!((got, blob.len()), (i, len), "echoes come back in order");
}

#[test]
fn a_queued_burst_from_several_senders_is_answered_to_each_in_order() {
    for batch in [1, 7, 32, 64] {
        let mut clients: Vec<UdpClient> = Vec::new();
        const PER_CLIENT: i32 = 40;
        let handle = queued_then_served(UdpServerBuilder::new().recv_batch(batch), |addr| {
            for _ in 0..3 {
                clients.push(UdpClient::connect(addr).unwrap());
            }
            // Interleaved, so that every batch holds several senders.
            for i in 0..PER_CLIENT {
                for c in &mut clients {
                    c.send_message("/echo", &[Arg::Int(i), Arg::Blob(&[1; 8])])
                        .unwrap();
                }
            }
        });
        let addr = handle.local_addr();
        for c in &mut clients {
            for i in 0..PER_CLIENT {
                expect_echo(c, addr, i, 8);
            }
        }
        let total = 3 * PER_CLIENT as u64;
        assert!(eventually(PATIENCE, || handle.stats().replies == total));
        let s = handle.stats();
        assert_eq!(
            (s.received, s.messages, s.malformed, s.reply_errors),
            (total, total, 0, 0),
            "batch {batch}"
        );
        handle.stop().unwrap();
    }
}

#[test]
fn large_and_small_datagrams_share_a_batch_whole_and_large_replies_are_all_sent() {
    // The 64 KiB reply batch holds two 30 000-byte echoes, so it is sent in several calls.
    const SIZES: [usize; 7] = [4, 30_000, 4, 48_000, 30_000, 30_000, 4];
    let mut client = None;
    let handle = queued_then_served(
        UdpServerBuilder::new()
            .recv_batch(64)
            .recv_buffer_size(1 << 20)
            .reply_buffer_size(70_000),
        |addr| {
            let mut c = UdpClient::connect(addr).unwrap();
            // Room for all the echoes before the client reads them.
            socket2::SockRef::from(c.socket())
                .set_recv_buffer_size(1 << 20)
                .unwrap();
            for (i, &n) in SIZES.iter().enumerate() {
                let blob = vec![0xAB; n];
                c.send_message("/echo", &[Arg::Int(i as i32), Arg::Blob(&blob)])
                    .unwrap();
            }
            client = Some(c);
        },
    );
    let mut client = client.unwrap();
    let addr = handle.local_addr();
    for (i, &n) in SIZES.iter().enumerate() {
        expect_echo(&mut client, addr, i as i32, n);
    }
    assert!(eventually(PATIENCE, || handle.stats().replies == SIZES.len() as u64));
    let s = handle.stats();
    assert_eq!((s.received, s.malformed, s.reply_errors), (7, 0, 0));
    assert!(client
        .recv(Some(Duration::from_millis(20)))
        .unwrap()
        .is_none());
    handle.stop().unwrap();
}

#[test]
fn replies_reach_ipv6_senders() {
    if !common::ipv6_loopback_available() {
        eprintln!("SKIPPED: no [::1] on this host");
        return;
    }
    let handle = UdpServerBuilder::new()
        .bind("[::1]:0")
        .unwrap()
        .spawn(dispatcher(), Ctx::default())
        .unwrap();
    let mut a = UdpClient::connect(handle.local_addr()).unwrap();
    let mut b = UdpClient::connect(handle.local_addr()).unwrap();
    for i in 0..20 {
        a.send_message("/echo", &[Arg::Int(i), Arg::Blob(&[])])
            .unwrap();
        b.send_message("/echo", &[Arg::Int(-i), Arg::Blob(&[])])
            .unwrap();
    }
    for i in 0..20 {
        expect_echo(&mut a, handle.local_addr(), i, 0);
        expect_echo(&mut b, handle.local_addr(), -i, 0);
    }
    assert!(a.recv(Some(Duration::from_millis(20))).unwrap().is_none());
    handle.stop().unwrap();
}

#[test]
fn a_reply_leaves_only_after_its_packet_and_those_before_it_in_the_batch_are_counted() {
    // One queued batch: the counters of a batch are added together, but never after a reply to one
    // of its packets could have reached its sender.
    let mut client = None;
    let handle = queued_then_served(UdpServerBuilder::new().recv_batch(64), |addr| {
        let mut c = UdpClient::connect(addr).unwrap();
        c.socket().send(b"not osc").unwrap();
        c.send_message("/count", &[]).unwrap();
        c.send_message("/count", &[]).unwrap();
        c.send_message("/echo", &[Arg::Int(1), Arg::Blob(&[])])
            .unwrap();
        c.socket().send(b"\0\0\0\0").unwrap();
        c.send_message("/echo", &[Arg::Int(2), Arg::Blob(&[])])
            .unwrap();
        client = Some(c);
    });
    let mut client = client.unwrap();
    let addr = handle.local_addr();
    expect_echo(&mut client, addr, 1, 0);
    let s = handle.stats();
    assert!(
        s.malformed >= 1 && s.messages >= 3,
        "counted before the first echo left: {s:?}"
    );
    expect_echo(&mut client, addr, 2, 0);
    let s = handle.stats();
    assert_eq!(
        (s.received, s.malformed, s.messages),
        (6, 2, 4),
        "counted before the second echo left"
    );
    assert!(eventually(PATIENCE, || handle.stats().replies == 2));
    handle.stop().unwrap();
}

#[test]
fn replies_sent_in_the_middle_of_a_batch_find_their_packets_counted() {
    // Four reply slots: the third packet's replies push out the first four, while the batch's
    // last packet still sleeps in its handler.
    let mut client = None;
    let handle = queued_then_served(UdpServerBuilder::new().recv_batch(4), |addr| {
        let mut c = UdpClient::connect(addr).unwrap();
        for _ in 0..3 {
            c.send_message("/reply2", &[]).unwrap();
        }
        c.send_message("/sleep", &[Arg::Int(300)]).unwrap();
        client = Some(c);
    });
    let mut client = client.unwrap();
    for _ in 0..4 {
        client.recv(Some(PATIENCE)).unwrap().expect("a reply");
    }
    let s = handle.stats();
    assert!(s.messages >= 2, "the answered packets are counted: {s:?}");
    handle.stop().unwrap();
}
