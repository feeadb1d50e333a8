//! Multicast (IPv4 and IPv6) and broadcast, each inside a network namespace of its own.
//!
//! Each test re-runs itself (this test binary, that one test) under `unshare --net`, in a fresh
//! namespace where only loopback and a veth pair that never leaves the namespace exist, so no
//! datagram can reach a real network (`support/netns.rs`). Without root or `unshare` (and `ip`), the tests print
//! "skipped" and pass.

mod common;
#[path = "support/netns.rs"]
mod netns_support;

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV6};
use std::time::Duration;

use common::{dispatcher, Ctx, PATIENCE};
use osc_core::Arg;
use osc_std::udp::UdpServerBuilder;
use osc_std::{ServerHandle, UdpClient};

/// In the child: true (run the test body). In the parent: runs `test` in its namespace and returns
/// false, or prints "skipped" when no namespace can be made here.
fn inside_netns(test: &str) -> bool {
    netns_support::inside_netns(test, &[]).unwrap_or_else(|why| {
        println!("skipped: {test} {why}");
        false
    })
}

fn spawn(builder: UdpServerBuilder, addr: SocketAddr) -> ServerHandle {
    builder
        .bind(addr)
        .unwrap()
        .spawn(dispatcher(), Ctx::default())
        .unwrap()
}

/// Sends `/echo 1` to `to` and collects the replies that come within `PATIENCE`, until `want`.
fn echo_replies(client: &mut UdpClient, to: SocketAddr, want: usize) -> Vec<SocketAddr> {
    client.send_message_to("/echo", &[Arg::Int(1)], to).unwrap();
    let mut from = Vec::new();
    while from.len() < want {
        match client.recv(Some(PATIENCE)).unwrap() {
            Some((p, addr)) => {
                assert_eq!(p.as_message().unwrap().get::<(i32,)>().unwrap(), (1,));
                from.push(addr);
            }
            None => break,
        }
    }
    from
}

#[test]
fn multicast_v4_reaches_every_member_on_loopback() {
    if !inside_netns("multicast_v4_reaches_every_member_on_loopback") {
        return;
    }
    let group = Ipv4Addr::new(239, 255, 0, 1);
    let member = || {
        UdpServerBuilder::new()
            .reuse_address(true)
            .join_multicast_v4(group, Ipv4Addr::LOCALHOST)
    };
    let first = spawn(member(), (Ipv4Addr::UNSPECIFIED, 0).into());
    let port = first.local_addr().port();
    let second = spawn(member(), (Ipv4Addr::UNSPECIFIED, port).into());

    let mut client = UdpClient::bind("127.0.0.1:0").unwrap();
    client.set_multicast_if_v4(Ipv4Addr::LOCALHOST).unwrap();
    let replies = echo_replies(&mut client, (group, port).into(), 2);
    assert_eq!(replies.len(), 2, "both members answer");
    assert!(replies.iter().all(|a| a.port() == port));
    assert_eq!(first.stats().messages + second.stats().messages, 2);
    first.stop().unwrap();
    second.stop().unwrap();
}

#[test]
fn broadcast_v4_reaches_a_server_bound_to_the_unspecified_address() {
    if !inside_netns("broadcast_v4_reaches_a_server_bound_to_the_unspecified_address") {
        return;
    }
    let server = spawn(
        UdpServerBuilder::new().broadcast(true),
        (Ipv4Addr::UNSPECIFIED, 0).into(),
    );
    let port = server.local_addr().port();
    let mut client = UdpClient::bind("127.0.0.1:0").unwrap();
    client.set_broadcast(true).unwrap();
    let to: SocketAddr = (Ipv4Addr::new(127, 255, 255, 255), port).into();
    assert_eq!(echo_replies(&mut client, to, 1).len(), 1);
    server.stop().unwrap();
}

#[test]
fn multicast_v6_on_a_namespace_link() {
    if !inside_netns("multicast_v6_on_a_namespace_link") {
        return;
    }
    let index = netns_support::veth_index();
    let Some(index) = index else {
        println!("skipped: no veth interface in this namespace");
        return;
    };
    let group: Ipv6Addr = "ff02::114".parse().unwrap();
    let server = spawn(
        UdpServerBuilder::new()
            .join_multicast_v6(group, index)
            .multicast_loop(true),
        (Ipv6Addr::UNSPECIFIED, 0).into(),
    );
    let port = server.local_addr().port();
    let mut client = UdpClient::bind("[::]:0").unwrap();
    client.set_multicast_if_v6(index).unwrap();
    let to = SocketAddr::V6(SocketAddrV6::new(group, port, 0, index));
    let replies = echo_replies(&mut client, to, 1);
    assert_eq!(replies.len(), 1);
    // Nothing else arrives.
    assert!(client
        .recv(Some(Duration::from_millis(50)))
        .unwrap()
        .is_none());
    server.stop().unwrap();
}
