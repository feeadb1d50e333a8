//! The `osc` tool on multicast groups and broadcast addresses, against itself, liblo's
//! `oscsend`/`oscdump` and an osc-std server, each test inside a network namespace of its own.
//!
//! Each test re-runs itself (this test binary, that one test) under `unshare --net` with loopback
//! up, multicast on, and the route `224.0.0.0/4 dev lo`, plus a veth pair `oscv0`/`oscv1` with a
//! link-local IPv6 address (IPv6 multicast does not loop back on `lo`): no datagram can leave the
//! namespace (osc-std's `tests/support/netns.rs`, shared with its namespace tests). Without root
//! or `unshare` (and `ip`), the tests print SKIPPED and pass, or fail when `CI` is set, like the
//! other peers of these tests.

mod cli_support;
#[path = "../osc-std/tests/support/netns.rs"]
mod netns_support;

use std::net::{Ipv4Addr, SocketAddr};
use std::process::Command;
use std::time::Duration;

use cli_support::{on_path, osc, osc_bin, skip, Proc};
use osc_core::{Dispatcher, HandlerFn, Replies, Request};
use osc_std::udp::UdpServerBuilder;
use osc_std::ServerHandle;

const GROUP: Ipv4Addr = Ipv4Addr::new(239, 7, 7, 7);

/// In the child: true (run the test body). In the parent: runs `test` in its namespace (with the
/// `osc` binary built here, outside it) and returns false, or reports a skip when no namespace can be
/// made here.
fn inside_netns(test: &str) -> bool {
    let bin = osc_bin().as_os_str();
    netns_support::inside_netns(test, &[("OSC_BIN", bin)]).unwrap_or_else(|why| {
        skip(test, why);
        false
    })
}

/// `osc dump URL` in the background (killed when dropped) and the port it announced once it joined.
fn dump(url: &str) -> (Proc, u16) {
    let p = Proc::spawn(osc_bin(), ["dump", url]);
    let port = p.listening_port();
    (p, port)
}

/// Waits (boundedly) until `done` holds.
fn eventually(mut done: impl FnMut() -> bool) -> bool {
    let start = std::time::Instant::now();
    while start.elapsed() < cli_support::WAIT {
        if done() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    done()
}

/// An osc-std server on `0.0.0.0:port` that answers `/echo ARGS` with the same message, built by
/// `configure` (a multicast join, broadcast).
fn echo_server(configure: UdpServerBuilder, port: u16) -> ServerHandle {
    fn echo(_: &mut (), req: &Request<'_, '_, SocketAddr>, replies: &mut Replies<'_>) {
        let _ = replies.send(&req.message);
    }
    let mut d: Dispatcher<'_, HandlerFn<(), SocketAddr>, 2> = Dispatcher::new();
    d.map("/echo", echo).unwrap();
    configure
        .bind((Ipv4Addr::UNSPECIFIED, port))
        .unwrap()
        .spawn(d, ())
        .unwrap()
}

#[test]
fn two_dumps_share_a_group_with_liblo() {
    if !inside_netns("two_dumps_share_a_group_with_liblo") {
        return;
    }
    if !on_path("oscsend") || !on_path("oscdump") {
        skip(
            "two_dumps_share_a_group_with_liblo",
            "liblo's oscsend/oscdump are not installed (apt-get install liblo-tools)",
        );
        return;
    }
    // Two `osc dump`s and liblo's `oscdump` on one group and port (each shares the port).
    let (first, port) = dump(&format!("udp://{GROUP}:0"));
    let url = format!("udp://{GROUP}:{port}");
    let (second, _) = dump(&url);
    let liblo = Proc::spawn("oscdump", ["-L", &format!("osc.udp://{GROUP}:{port}")]);
    // oscdump says nothing when it is ready: send probes until it prints one.
    let mut probes = 0;
    while liblo.try_line(Duration::from_millis(100)).is_none() {
        probes += 1;
        assert!(
            probes < 100,
            "oscdump never joined: {}",
            liblo.stderr_text()
        );
        osc(&["send", &url, "/probe"]);
    }
    // Let the probes still in flight arrive, then forget them.
    std::thread::sleep(Duration::from_millis(200));
    while liblo.try_line(Duration::from_millis(10)).is_some() {}
    let skip_probes = |p: &Proc| loop {
        let line = p.line();
        if line != "/probe" {
            return line;
        }
    };

    let out = Command::new("oscsend")
        .args([
            &format!("osc.udp://{GROUP}:{port}"),
            "/from/liblo",
            "if",
            "3",
            "0.5",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "oscsend: {out:?}");
    let ttl = format!("{url}?ttl=2");
    assert_eq!(osc(&["send", &ttl, "/from/osc", "s", "hi"]).code, 0);
    for p in [&first, &second] {
        assert_eq!(skip_probes(p), "/from/liblo if 3 0.500000");
        assert_eq!(skip_probes(p), "/from/osc s \"hi\"");
    }
    // oscdump prints a timetag first.
    let line = liblo.line();
    assert!(line.ends_with(" /from/liblo if 3 0.500000"), "{line}");
    let line = liblo.line();
    assert!(line.ends_with(" /from/osc s \"hi\""), "{line}");
}

#[test]
fn osc_send_to_a_group_prints_the_members_replies() {
    if !inside_netns("osc_send_to_a_group_prints_the_members_replies") {
        return;
    }
    let port = cli_support::free_udp_port();
    let members: Vec<ServerHandle> = (0..2)
        .map(|_| {
            let builder = UdpServerBuilder::new()
                .reuse_address(true)
                .join_multicast_v4(GROUP, Ipv4Addr::UNSPECIFIED);
            echo_server(builder, port)
        })
        .collect();
    // The interface by its address, then by its name.
    for interface in ["127.0.0.1", "lo"] {
        let url = format!("udp://{GROUP}:{port}?interface={interface}");
        let out = osc(&[
            "send", &url, "--reply", "10", "--count", "2", "/echo", "i", "5",
        ]);
        assert_eq!(out.code, 0, "{}", out.stderr);
        assert_eq!(out.stdout, "/echo i 5\n/echo i 5\n");
    }
    for m in members {
        // A reply is counted just after it is sent.
        assert!(eventually(|| m.stats().replies == 2));
        m.stop().unwrap();
    }
}

#[test]
fn osc_send_to_a_broadcast_address_needs_the_flag() {
    if !inside_netns("osc_send_to_a_broadcast_address_needs_the_flag") {
        return;
    }
    let server = echo_server(UdpServerBuilder::new(), 0);
    let url = format!("udp://127.255.255.255:{}", server.local_addr().port());
    let out = osc(&["send", &url, "/echo", "s", "x"]);
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("add --broadcast"), "{}", out.stderr);
    let out = osc(&[
        "send",
        &url,
        "--broadcast",
        "--reply",
        "10",
        "--count",
        "1",
        "--sender",
        "/echo",
        "s",
        "x",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let port = server.local_addr().port();
    assert_eq!(out.stdout, format!("127.0.0.1:{port} /echo s \"x\"\n"));
    server.stop().unwrap();
}

#[test]
fn an_ipv6_group_on_a_link_by_interface_index_and_name() {
    if !inside_netns("an_ipv6_group_on_a_link_by_interface_index_and_name") {
        return;
    }
    let index = netns_support::veth_index().expect("the namespace's veth interface");
    let (dump, port) = dump(&format!("udp://[ff02::114]:0?interface={index}"));
    // Sent once on the interface given by its index, once by its name.
    for interface in [index.to_string(), "oscv0".into()] {
        let url = format!("udp://[ff02::114]:{port}?interface={interface}");
        let out = osc(&["send", &url, "/v6", "i", "6"]);
        assert_eq!(out.code, 0, "{}", out.stderr);
        assert_eq!(dump.line(), "/v6 i 6");
    }
}
