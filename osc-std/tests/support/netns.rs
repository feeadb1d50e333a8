//! Running one test inside a network namespace of its own, shared by osc-std's `tests/netns.rs` and
//! the workspace's `tests/cli_multicast.rs` (included there by path).
//!
//! A test calls [`inside_netns`] first: in the parent it re-runs this test binary, that one test,
//! under `unshare --net` after [`SETUP`], and in that child it returns true so the body runs. The
//! namespace holds loopback (up, multicast on, with the route `224.0.0.0/4 dev lo`) and a veth pair
//! `oscv0`/`oscv1` with a link-local IPv6 address (IPv6 multicast does not loop back on `lo`), so no
//! datagram can reach a real network.

#![allow(dead_code)]

use std::ffi::OsStr;
use std::process::{Command, Stdio};

/// Set in the re-run child, inside the namespace.
const CHILD: &str = "OSC_TEST_IN_NETNS";

/// Brings loopback up with an IPv4 multicast route, adds the veth pair, waits (at most 2 s) for its
/// IPv6 multicast route, then runs the test binary. Without veth support the pair is left out.
const SETUP: &str = "ip link set lo up && ip link set lo multicast on && \
    ip route add 224.0.0.0/4 dev lo && \
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

/// In the child: `Ok(true)` (run the test body). In the parent: runs `test` in a new namespace with
/// `envs` added to its environment, fails if it failed, and returns `Ok(false)`; or `Err(why)` when
/// no namespace can be made here (the caller skips or fails).
pub(crate) fn inside_netns(test: &str, envs: &[(&str, &OsStr)]) -> Result<bool, &'static str> {
    if std::env::var_os(CHILD).is_some() {
        return Ok(true);
    }
    if !is_root()
        || !works(Command::new("unshare").args(["--net", "true"]))
        || !works(Command::new("ip").arg("-V"))
    {
        return Err("needs root, unshare and ip to make a network namespace");
    }
    // The child's output is shown only if it fails, so that its own "test result" line does not
    // mix with this run's.
    let out = Command::new("unshare")
        .args(["--net", "sh", "-c", SETUP])
        .arg(std::env::current_exe().unwrap())
        .args(["--exact", test, "--nocapture", "--test-threads=1"])
        .env(CHILD, "1")
        .envs(envs.iter().copied())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{test} failed inside its network namespace:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(false)
}

/// The index of the namespace's `oscv0`, if it was made. `/proc/net` follows the namespace
/// (`/sys/class/net` would need a remount): each line of `if_inet6` is
/// "address index(hex) prefix scope flags name".
pub(crate) fn veth_index() -> Option<u32> {
    std::fs::read_to_string("/proc/net/if_inet6")
        .unwrap_or_default()
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>())
        .find(|f| f.last() == Some(&"oscv0"))
        .and_then(|f| u32::from_str_radix(f.get(1)?, 16).ok())
}
