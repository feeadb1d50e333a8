//! Interop with python-osc 1.10.2, both directions, over loopback:
//!
//! - python-osc `SimpleUDPClient` → `osc dump udp://…`, and `SimpleTCPClient` in mode "1.0" (length
//!   prefix) and "1.1" (SLIP) → `osc dump tcp://…` with the matching `--framing` and with `auto`;
//! - `osc send udp://…` → python-osc `BlockingOSCUDPServer`, and `osc send tcp://… --framing length|slip`
//!   → `BlockingOSCTCPServer` and `ThreadingOSCTCPServer` in mode 1.0/1.1, each time with the server's
//!   reply printed by `osc send --reply`.
//!
//! The peer is `tests/python/cli_peer.py`. The interpreter is `$OSC_PYTHON` if set, else a virtualenv
//! created under the target directory with `pip install python-osc==1.10.2`. If neither works the tests
//! print SKIPPED, or fail when `CI` is set.

mod cli_support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

use cli_support::{osc, skip, spawn_dump, try_run_timeout, Proc};

const PEER: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/python/cli_peer.py");

/// Checks that `python` imports python-osc 1.10.2.
fn check_python(python: &Path) -> Result<(), String> {
    let mut cmd = Command::new(python);
    cmd.args([
        "-c",
        "import importlib.metadata as m; print(m.version('python-osc'))",
    ]);
    let out = try_run_timeout(cmd, b"", Duration::from_secs(60))?;
    match out.stdout.trim() {
        "1.10.2" => Ok(()),
        v if out.code == 0 => Err(format!(
            "{} has python-osc {v}, not 1.10.2",
            python.display()
        )),
        _ => Err(format!(
            "{} cannot import python-osc: {}",
            python.display(),
            out.stderr.trim()
        )),
    }
}

/// The interpreter with python-osc, or why there is none.
fn python() -> Result<&'static Path, &'static str> {
    static PY: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let r = PY.get_or_init(|| {
        if let Some(p) = std::env::var_os("OSC_PYTHON") {
            let p = PathBuf::from(p);
            return check_python(&p).map(|()| p);
        }
        let (target_dir, _) = cli_support::target_dirs();
        let venv = target_dir.join("cli-python-osc-venv");
        let py = venv.join("bin/python");
        if py.exists() && check_python(&py).is_ok() {
            return Ok(py);
        }
        let mut cmd = Command::new("python3");
        cmd.args(["-m", "venv", "--clear"]).arg(&venv);
        let out = try_run_timeout(cmd, b"", Duration::from_secs(300))?;
        if out.code != 0 {
            return Err(format!("python3 -m venv failed: {}", out.stderr.trim()));
        }
        let mut cmd = Command::new(venv.join("bin/pip"));
        cmd.args([
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "python-osc==1.10.2",
        ]);
        let out = try_run_timeout(cmd, b"", Duration::from_secs(600))?;
        if out.code != 0 {
            return Err(format!(
                "pip install python-osc==1.10.2 failed: {}",
                out.stderr.trim()
            ));
        }
        check_python(&py).map(|()| py)
    });
    r.as_deref().map_err(String::as_str)
}

fn peer(python: &Path, args: &[&str]) -> Proc {
    let mut cmd = Command::new(python);
    cmd.arg(PEER).args(args).env("PYTHONIOENCODING", "utf-8");
    Proc::spawn_cmd(cmd)
}

macro_rules! need_python {
    ($test:literal) => {
        match python() {
            Ok(p) => p,
            Err(why) => {
                skip($test, why);
                return;
            }
        }
    };
}

/// What `osc dump --json` prints for the packets `cli_peer.py` sends (see `send_test_packets` there).
const FROM_PYTHON: [&str; 4] = [
    concat!(
        r#"{"address":"/py/infer","args":[{"i":1},{"h":-2147483648},{"h":1099511627776},{"f":0.5},"#,
        r#"{"f":0.1},{"f":"inf"},{"s":"sine"},{"s":"é"},{"b":"0001ff"},{"T":true},{"F":false},{"N":null},"#,
        r#"{"[":[{"i":1},{"[":[{"f":2.5},{"s":"x"}]}]},{"m":[0,144,60,127]}]}"#
    ),
    r#"{"address":"/py/explicit","args":[{"d":1.5},{"r":4278190335},{"m":[1,2,3,4]},{"h":7},{"i":-3},{"f":2.0}]}"#,
    r#"{"address":"/py/empty","args":[]}"#,
    concat!(
        r#"{"timetag":1,"elements":[{"address":"/py/bundled","args":[{"s":"a"},{"i":1}]},"#,
        r#"{"timetag":13782501949230284800,"elements":[{"address":"/py/inner","args":[{"i":42}]}]}]}"#
    ),
];

#[test]
fn python_udp_client_to_osc_dump() {
    let py = need_python!("python_udp_client_to_osc_dump");
    let (dump, port) = spawn_dump("udp://127.0.0.1", &["--json"]);
    let mut sender = peer(py, &["udp-send", &port.to_string()]);
    assert_eq!(sender.wait(), 0, "{}", sender.stderr_text());
    assert_eq!(dump.lines(FROM_PYTHON.len()), FROM_PYTHON);
}

#[test]
fn python_udp_client_to_osc_dump_text() {
    let py = need_python!("python_udp_client_to_osc_dump_text");
    let (dump, port) = spawn_dump("udp://127.0.0.1", &[]);
    let mut sender = peer(py, &["udp-send", &port.to_string()]);
    assert_eq!(sender.wait(), 0, "{}", sender.stderr_text());
    assert_eq!(
        dump.lines(5),
        [
            "/py/infer ihhfffssbTFN[i[fs]]m 1 -2147483648 1099511627776 0.500000 0.100000 inf \"sine\" \"é\" \
             [3b 0x00 0x01 0xff] #T #F Nil [1 [2.500000 \"x\"]] MIDI [0x00 0x90 0x3c 0x7f]",
            "/py/explicit drmhif 1.500000 RGBA [0xff 0x00 0x00 0xff] MIDI [0x01 0x02 0x03 0x04] 7 -3 2.000000",
            "/py/empty",
            "00000000.00000001 /py/bundled si \"a\" 1",
            "bf454880.00000000 /py/inner i 42",
        ]
    );
}

#[test]
fn python_tcp_client_to_osc_dump() {
    let py = need_python!("python_tcp_client_to_osc_dump");
    for (mode, framing) in [
        ("1.0", "length"),
        ("1.1", "slip"),
        ("1.0", "auto"),
        ("1.1", "auto"),
    ] {
        let (dump, port) = spawn_dump("tcp://127.0.0.1", &["--json", "--framing", framing]);
        let mut sender = peer(py, &["tcp-send", &port.to_string(), mode]);
        assert_eq!(sender.wait(), 0, "mode {mode}: {}", sender.stderr_text());
        assert_eq!(
            dump.lines(FROM_PYTHON.len()),
            FROM_PYTHON,
            "python-osc TCP mode {mode} → osc dump --framing {framing}"
        );
    }
}

/// Every type python-osc decodes (it skips `S`, `c` and `I`), as `osc send` arguments.
const TO_PYTHON: [&str; 13] = [
    "/osc/all",
    "ihfdsbrmtTFN[i[f]]",
    "-5",
    "1234567890123",
    "0.1",
    "0.1",
    "é x",
    "00ff10",
    "ff0000ff",
    "00903c7f",
    "e8754700.80000000",
    "7",
    "0.25",
];

/// What python-osc's server decodes from [`TO_PYTHON`].
const AT_PYTHON: &str = concat!(
    r#"{"address":"/osc/all","tags":",ihfdsbrmtTFN[i[f]]","args":[-5,1234567890123,0.10000000149011612,"#,
    r#"0.1,"é x",{"blob":"00ff10"},4278190335,{"midi":[0,144,60,127]},{"timetag":[3900000000,2147483648]},"#,
    r#"true,false,null,[7,[0.25]]]}"#
);

/// Sends with `osc send … --reply` and checks both what the server decoded and the reply printed.
fn send_and_check(server: &Proc, url: &str, options: &[&str]) {
    let mut args = vec!["send", "--reply", "10", "--count", "1"];
    args.extend_from_slice(options);
    args.push(url);
    args.extend_from_slice(&TO_PYTHON);
    let out = osc(&args);
    assert_eq!(server.line(), AT_PYTHON, "{options:?}");
    assert_eq!(out.code, 0, "osc send {options:?}: {}", out.stderr);
    assert_eq!(out.stdout, "/reply si \"/osc/all\" 13\n", "{options:?}");

    // A bundle, and JSON output of the reply.
    let mut args = vec![
        "send", "--reply", "10", "--count", "1", "--json", "--bundle",
    ];
    args.extend_from_slice(options);
    args.extend_from_slice(&[url, "/osc/bundled", "s", "in a bundle"]);
    let out = osc(&args);
    assert_eq!(
        server.line(),
        r#"{"address":"/osc/bundled","tags":",s","args":["in a bundle"]}"#
    );
    assert_eq!(out.code, 0, "osc send {options:?}: {}", out.stderr);
    assert_eq!(
        out.stdout,
        "{\"address\":\"/reply\",\"args\":[{\"s\":\"/osc/bundled\"},{\"i\":1}]}\n"
    );
}

fn start_server(py: &Path, args: &[&str]) -> (Proc, u16) {
    let server = peer(py, args);
    let ready = server.line();
    let port = ready
        .strip_prefix("READY ")
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("unexpected first line {ready:?}: {}", server.stderr_text()));
    (server, port)
}

#[test]
fn osc_send_udp_to_python_server() {
    let py = need_python!("osc_send_udp_to_python_server");
    let (mut server, port) = start_server(py, &["udp-server", "2"]);
    send_and_check(&server, &format!("udp://127.0.0.1:{port}"), &[]);
    assert_eq!(server.wait(), 0, "{}", server.stderr_text());
}

#[test]
fn osc_send_tcp_to_python_servers() {
    let py = need_python!("osc_send_tcp_to_python_servers");
    for (mode, kind, framing) in [
        ("1.0", "blocking", "length"),
        ("1.1", "blocking", "slip"),
        ("1.0", "threading", "length"),
        ("1.1", "threading", "slip"),
    ] {
        let (mut server, port) = start_server(py, &["tcp-server", mode, kind, "2"]);
        send_and_check(
            &server,
            &format!("tcp://127.0.0.1:{port}"),
            &["--framing", framing],
        );
        assert_eq!(
            server.wait(),
            0,
            "{kind} server mode {mode}: {}",
            server.stderr_text()
        );
    }
}

/// A python-osc program that sends `/echo` with every argument type python-osc writes, then a message
/// to a Millumin-style address (a space and a non-ASCII character), and prints, as one JSON line, the
/// replies its client receives: over UDP (`SimpleUDPClient.send_message` then `receive`) or TCP
/// (`SimpleTCPClient` in mode 1.0 or 1.1, then `get_messages`).
const ECHO_CLIENT: &str = r#"
import json, sys
from pythonosc.osc_message import OscMessage
from pythonosc.osc_message_builder import OscMessageBuilder
kind, port = sys.argv[1], int(sys.argv[2])
b = OscMessageBuilder("/echo")
for value, tag in [(7, "i"), (2**40, "h"), (0.5, "f"), (1.25, "d"), ("héllo", "s"), (b"\x00\xff", "b"),
                   (True, "T"), (False, "F"), (None, "N"), (0xff0000ff, "r"), ((0, 144, 60, 127), "m")]:
    b.add_arg(value, tag)
layer = OscMessageBuilder("/millumin/layer:Layer 1/opacit\u00e9")
layer.add_arg(0.25, "f")
msgs = [b.build(), layer.build()]
replies = []
if kind == "udp":
    from pythonosc.udp_client import SimpleUDPClient
    c = SimpleUDPClient("127.0.0.1", port, timeout=10)
    for msg in msgs:
        c.send(msg)
        replies.append(OscMessage(c.receive(timeout=10)))
else:
    from pythonosc.tcp_client import SimpleTCPClient
    c = SimpleTCPClient("127.0.0.1", port, mode=kind, timeout=10)
    for msg in msgs:
        c.send(msg)
        replies.append(next(iter(c.get_messages(timeout=10))))
def conv(v):
    return v.hex() if isinstance(v, bytes) else list(v) if isinstance(v, tuple) else v
print(json.dumps([[r.address, [conv(p) for p in r.params]] for r in replies]))
"#;

/// python-osc's UDP and TCP clients send to osc-std's servers and receive the handler's reply: every
/// argument value survives python-osc → osc-std → handler → reply → python-osc, and a route with a
/// space and a non-ASCII character receives what python-osc sends to it.
#[test]
fn python_clients_get_replies_from_osc_std_servers() {
    use osc_core::{Dispatcher, HandlerFn, Message, Replies, Request};
    use osc_std::{tcp::TcpServer, udp::UdpServer, FramingMode};
    use std::net::SocketAddr;

    let py = match python() {
        Ok(p) => p,
        Err(why) => return skip("python_clients_get_replies_from_osc_std_servers", why),
    };
    fn echo(_: &mut (), req: &Request<'_, '_, SocketAddr>, r: &mut Replies<'_>) {
        let _ = r.send(&Message::with_args("/echo/reply", req.message.args()));
    }
    fn routes() -> Dispatcher<'static, HandlerFn<(), SocketAddr>, 4> {
        let mut d = Dispatcher::new();
        d.map("/echo", echo as HandlerFn<(), SocketAddr>)
            .map_err(|e| e.kind)
            .expect("route");
        d.map(
            "/millumin/layer:Layer 1/opacit\u{e9}",
            echo as HandlerFn<(), SocketAddr>,
        )
        .map_err(|e| e.kind)
        .expect("Millumin-style route");
        d
    }
    let udp = UdpServer::bind("127.0.0.1:0")
        .and_then(|s| s.spawn(routes(), ()))
        .expect("udp server");
    let tcp = TcpServer::builder()
        .framing(FramingMode::Auto)
        .bind("127.0.0.1:0")
        .and_then(|s| s.spawn(|_| (routes(), ())))
        .expect("tcp server");
    let want = r#"[["/echo/reply", [7, 1099511627776, 0.5, 1.25, "h\u00e9llo", "00ff", true, false, null, 4278190335, [0, 144, 60, 127]]], ["/echo/reply", [0.25]]]"#;
    for (kind, port) in [
        ("udp", udp.local_addr().port()),
        ("1.0", tcp.local_addr().port()),
        ("1.1", tcp.local_addr().port()),
    ] {
        let mut cmd = Command::new(py);
        cmd.args(["-c", ECHO_CLIENT, kind, &port.to_string()]);
        let out = try_run_timeout(cmd, b"", Duration::from_secs(30)).expect("python client runs");
        assert_eq!(out.code, 0, "{kind}: {}", out.stderr);
        assert_eq!(out.stdout.trim(), want, "{kind}");
    }
    let (u, t) = (udp.stats(), tcp.stats());
    assert_eq!((u.messages, u.replies, u.malformed), (2, 2, 0));
    assert_eq!((t.messages, t.replies, t.malformed), (4, 4, 0));
    udp.stop().expect("udp stop");
    tcp.stop().expect("tcp stop");
}
