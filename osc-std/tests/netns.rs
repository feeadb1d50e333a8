//! Multicast (IPv4 and IPv6) and broadcast, each inside a network namespace of its own.
//!
//! Each test re-runs itself (this test binary, that one test) under `unshare --net`, in a fresh
//! namespace where only loopback and a veth pair that never leaves the namespace exist, so no
//! datagram can reach a real network. Without root or `unshare` (and `ip`), the tests print
//! "skipped" and pass.

mod common;

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV6};
use std::process::{Command, Stdio};
use std::time::Duration;

use common::{dispatcher, Ctx, PATIENCE};
use osc_core::Arg;
use osc_std::udp::UdpServerBuilder;
use osc_std::{ServerHandle, UdpClient};

/// Set in the re-run child, inside the namespace.
const CHILD: &str = "OSC_STD_TEST_IN_NETNS";

/// Brings loopback up and adds a veth pair `oscv0`/`oscv1` with a link-local IPv6 address on
/// `oscv0` (IPv6 multicast does not loop back on `lo`), waits (at most 2 s) for the link's
/// multicast route, then runs the test binary.
const SETUP: &str = "ip link set lo up && \
    { ip link add oscv0 type veth peer name oscv1 && \
      ip link set oscv0 addrgenmode none && ip link set oscv1 addrgenmode none && \
      ip -6 addr add fe80::1/64 dev oscv0 nodad && \
      ip link set oscv0 up && ip link set oscv1 up && \
      for _ in $(seq 100); do \
        ip -6 route show table local | grep -q 'ff00::/8 dev oscv0' && break; sleep 0.02; \
      done || true; } && \
    exec \"$0\" \"$@\"";

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .map(|l| l.split_whitespace().nth(1) == Some("0"))
        })
        .unwrap_or(false)
}

fn works(cmd: &mut Command) -> bool {
    cmd.stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// In the child: true (run the test body). In the parent: runs `test` in a new namespace and
/// returns false, or prints "skipped" when that is not possible here.
fn inside_netns(test: &str) -> bool {
    if std::env::var_os(CHILD).is_some() {
        return true;
    }
    if !is_root()
        || !works(Command::new("unshare").args(["--net", "true"]))
        || !works(Command::new("ip").arg("-V"))
    {
        println!("skipped: {test} needs root, unshare and ip to make a network namespace");
        return false;
    }
    let exe = std::env::current_exe().unwrap();
    // The child's output is shown only if it fails, so that its own "test result" line does not
    // mix with this run's.
    let out = Command::new("unshare")
        .args(["--net", "sh", "-c", SETUP])
        .arg(&exe)
        .args(["--exact", test, "--nocapture", "--test-threads=1"])
        .env(CHILD, "1")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{test} failed inside its network namespace:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    false
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
    // `/proc/net` follows the namespace (`/sys/class/net` would need a remount): each line of
    // `if_inet6` is "address index(hex) prefix scope flags name".
    let index = std::fs::read_to_string("/proc/net/if_inet6")
        .unwrap_or_default()
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>())
        .find(|f| f.last() == Some(&"oscv0"))
        .and_then(|f| u32::from_str_radix(f.get(1)?, 16).ok());
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
