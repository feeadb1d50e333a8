//! Re-running a test inside a private network namespace with a fresh tap device.

use std::process::Command;

/// The environment variable that tells a re-run test it is inside the namespace (value: tap name).
pub const NETNS_ENV: &str = "OSC_EMBEDDED_TAP";

/// Why the namespace cannot be made here, if it cannot.
pub fn missing_requirement() -> Option<&'static str> {
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0\n"));
    if !root {
        Some("needs root for unshare --net and a tap device")
    } else if !std::path::Path::new("/dev/net/tun").exists() {
        Some("no /dev/net/tun")
    } else if Command::new("unshare").arg("--version").output().is_err() {
        Some("no unshare")
    } else if Command::new("ip").arg("-V").output().is_err() {
        Some("no ip (iproute2)")
    } else {
        None
    }
}

/// Runs this test binary's test `name` again inside `unshare --net`, with `tap0` at 192.0.2.1/24 on the
/// kernel side, and asserts that it passed. Prints that it was skipped when that is impossible.
pub fn rerun_in_namespace(name: &str) {
    if let Some(why) = missing_requirement() {
        println!("{name}: skipped ({why})");
        return;
    }
    let exe = std::env::current_exe().unwrap();
    let script = "ip link set lo up
        ip tuntap add dev tap0 mode tap
        ip addr add 192.0.2.1/24 dev tap0
        ip link set tap0 up
        exec \"$0\" --exact \"$1\" --nocapture --test-threads=1";
    let status = Command::new("unshare")
        .args(["--net", "sh", "-ec", script])
        .arg(exe)
        .arg(name)
        .env(NETNS_ENV, "tap0")
        .status()
        .unwrap();
    assert!(
        status.success(),
        "the namespaced run of {name} failed: {status}"
    );
}
