//! `osc send` → `osc dump` over loopback: every type, UDP (IPv4 and IPv6) and TCP in each framing,
//! bundles, `--count`, `--timestamps`, `--sender`; and both against a device on a serial line (a pseudo-terminal). Both ends are our own, so this checks the tool's plumbing; the
//! interop proofs are `cli_liblo.rs` and `cli_python.rs`.

mod cli_support;

use cli_support::{osc, osc_bin, osc_ok, spawn_dump, Proc};

/// Every type tag, in one message, as `osc send` arguments.
const EVERY_TYPE: [&str; 15] = [
    "/every/type",
    "ihfdsScbmtrTFNI[i[s]]",
    "-2147483648",
    "-9223372036854775808",
    "0.1",
    "2.718281828459045",
    "quote \" back\\slash",
    "sym",
    "é",
    "0001ff",
    "0,144,60,127",
    "e8754700.80000000",
    "#ff0000ff",
    "7",
    "in",
];

const EVERY_TYPE_TEXT: &str = "/every/type ihfdsScbmtrTFNI[i[s]] -2147483648 -9223372036854775808 \
0.100000 2.718282 \"quote \\\" back\\\\slash\" 'sym 'é' [3b 0x00 0x01 0xff] MIDI [0x00 0x90 0x3c 0x7f] \
e8754700.80000000 RGBA [0xff 0x00 0x00 0xff] #T #F Nil Infinitum [7 [\"in\"]]";

const EVERY_TYPE_JSON: &str = concat!(
    r#"{"address":"/every/type","args":[{"i":-2147483648},{"h":-9223372036854775808},{"f":0.1},"#,
    r#"{"d":2.718281828459045},{"s":"quote \" back\\slash"},{"S":"sym"},{"c":"é"},{"b":"0001ff"},"#,
    r#"{"m":[0,144,60,127]},{"t":16750372456547483648},{"r":4278190335},{"T":true},{"F":false},"#,
    r#"{"N":null},{"I":null},{"[":[{"i":7},{"[":[{"s":"in"}]}]}]}"#
);

fn send(url: &str, options: &[&str], message: &[&str]) {
    let mut args = vec!["send"];
    args.extend_from_slice(options);
    args.push(url);
    args.extend_from_slice(message);
    osc_ok(&args);
}

#[test]
fn udp_every_type_text_and_json() {
    let (dump, port) = spawn_dump("udp://127.0.0.1", &[]);
    let url = format!("udp://127.0.0.1:{port}");
    send(&url, &[], &EVERY_TYPE);
    assert_eq!(dump.line(), EVERY_TYPE_TEXT);

    let (dump, port) = spawn_dump("udp://127.0.0.1", &["--json"]);
    send(&format!("udp://127.0.0.1:{port}"), &[], &EVERY_TYPE);
    assert_eq!(dump.line(), EVERY_TYPE_JSON);
}

#[test]
fn udp_ipv6() {
    if std::net::UdpSocket::bind("[::1]:0").is_err() {
        cli_support::skip("udp_ipv6", "no IPv6 loopback on this machine");
        return;
    }
    let (dump, port) = spawn_dump("udp://[::1]", &["--json"]);
    send(
        &format!("udp://[::1]:{port}"),
        &[],
        &["/v6", "is", "1", "x"],
    );
    assert_eq!(
        dump.line(),
        r#"{"address":"/v6","args":[{"i":1},{"s":"x"}]}"#
    );
}

#[test]
fn tcp_every_framing() {
    for (dump_framing, send_framing) in [
        ("slip", "slip"),
        ("length", "length"),
        ("auto", "slip"),
        ("auto", "length"),
    ] {
        let (dump, port) = spawn_dump("tcp://127.0.0.1", &["--json", "--framing", dump_framing]);
        let url = format!("tcp://127.0.0.1:{port}");
        send(&url, &["--framing", send_framing], &EVERY_TYPE);
        assert_eq!(
            dump.line(),
            EVERY_TYPE_JSON,
            "dump {dump_framing} / send {send_framing}"
        );
        send(
            &url,
            &["--framing", send_framing, "--bundle"],
            &["/b", "i", "1"],
        );
        assert_eq!(
            dump.line(),
            r#"{"timetag":1,"elements":[{"address":"/b","args":[{"i":1}]}]}"#
        );
    }
}

#[test]
fn bundles_are_flattened_with_their_timetag() {
    let (dump, port) = spawn_dump("udp://127.0.0.1", &[]);
    let url = format!("udp://127.0.0.1:{port}");
    send(&url, &["--at", "0xe875470080000000"], &["/later", "i", "1"]);
    assert_eq!(dump.line(), "e8754700.80000000 /later i 1");
    send(&url, &["--bundle"], &["/now"]);
    assert_eq!(dump.line(), "00000000.00000001 /now");
    let nested = r#"{"timetag":5,"elements":[{"address":"/a"},{"timetag":6,"elements":[{"address":"/b","args":[{"T":true}]}]},{"address":"/c"}]}"#;
    send(&url, &["--packet", nested], &[]);
    assert_eq!(
        dump.lines(3),
        [
            "00000000.00000005 /a",
            "00000000.00000006 /b T #T",
            "00000000.00000005 /c"
        ]
    );
}

#[test]
fn timestamps_like_oscdump() {
    let (dump, port) = spawn_dump("udp://127.0.0.1", &["--timestamps"]);
    let url = format!("udp://127.0.0.1:{port}");
    send(&url, &[], &["/plain", "i", "1"]);
    send(&url, &["--bundle"], &["/immediate"]);
    send(&url, &["--at", "e8754700.80000000"], &["/timed"]);
    for want in ["/plain i 1", "/immediate"] {
        let line = dump.line();
        let (tt, rest) = line.split_once(' ').expect("a timetag prefix");
        assert_eq!(rest, want);
        // The receive time: a current NTP time (era 0, after 2020).
        let secs = u32::from_str_radix(&tt[..8], 16).expect("hex seconds");
        assert!(secs > 0xe1b7_7000, "{line}");
        assert_eq!(tt.as_bytes()[8], b'.');
    }
    assert_eq!(dump.line(), "e8754700.80000000 /timed");
}

#[test]
fn count_ends_the_dump() {
    let (mut dump, port) = spawn_dump("udp://127.0.0.1", &["--count", "2"]);
    let url = format!("udp://127.0.0.1:{port}");
    send(&url, &[], &["/one"]);
    send(&url, &[], &["/two"]);
    assert_eq!(dump.lines(2), ["/one", "/two"]);
    assert_eq!(dump.wait(), 0);

    let (mut dump, port) = spawn_dump("tcp://127.0.0.1", &["--count", "1", "--json"]);
    send(&format!("tcp://127.0.0.1:{port}"), &[], &["/tcp"]);
    assert_eq!(dump.line(), r#"{"address":"/tcp","args":[]}"#);
    assert_eq!(dump.wait(), 0);
}

#[test]
fn malformed_packets_are_reported_and_skipped() {
    let (dump, port) = spawn_dump("udp://127.0.0.1", &[]);
    let sock = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    sock.send_to(b"/a\0\0,x\0\0", ("127.0.0.1", port)).unwrap();
    let err = dump.err_line();
    assert!(
        err.contains("ignored a malformed packet")
            && err.contains("unknown type tag 'x' at byte 5"),
        "{err}"
    );
    send(&format!("udp://127.0.0.1:{port}"), &[], &["/after"]);
    assert_eq!(dump.line(), "/after");
}

#[test]
fn sender_addresses_lead_text_lines_and_json_objects() {
    let sock = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let me = sock.local_addr().unwrap();
    let (text, port) = spawn_dump("udp://127.0.0.1", &["--sender"]);
    sock.send_to(b"/a\0\0,i\0\0\0\0\0\x07", ("127.0.0.1", port))
        .unwrap();
    assert_eq!(text.line(), format!("{me} /a i 7"));
    let (json, port) = spawn_dump("udp://127.0.0.1", &["--sender", "--json"]);
    sock.send_to(b"/a\0\0,i\0\0\0\0\0\x07", ("127.0.0.1", port))
        .unwrap();
    assert_eq!(
        json.line(),
        format!(r#"{{"from":"{me}","address":"/a","args":[{{"i":7}}]}}"#)
    );
}

#[test]
fn no_reply_is_an_error() {
    // A bound socket that never answers.
    let quiet = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let url = format!("udp://{}", quiet.local_addr().unwrap());
    let out = osc(&["send", "--reply", "0.2", &url, "/anyone"]);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(out.stderr.contains("no reply from"), "{}", out.stderr);
    // TCP: nobody listening.
    let port = cli_support::free_tcp_port();
    let out = osc(&["send", &format!("tcp://127.0.0.1:{port}"), "/x"]);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(out.stderr.contains("cannot connect"), "{}", out.stderr);
}

/// A "device" on the far end of a pseudo-terminal, the path the tool opens as a serial port, and
/// that port's side held open (without it the device's side sees a hang-up until the tool opens it).
#[cfg(unix)]
fn serial_device() -> (
    osc_std::StreamConnection<osc_std::serial::serialport::TTYPort>,
    String,
    osc_std::serial::serialport::TTYPort,
) {
    use osc_std::serial::serialport::{SerialPort, TTYPort};
    let (mut master, slave) = TTYPort::pair().expect("a pseudo-terminal pair");
    let path = slave.name().expect("the slave's path");
    master
        .set_timeout(cli_support::WAIT)
        .expect("a read timeout");
    (
        osc_std::StreamConnection::new(master, osc_std::Framing::Slip),
        path,
        slave,
    )
}

#[cfg(unix)]
#[test]
fn serial_send_gets_replies_and_dump_prints_what_the_device_sends() {
    use osc_core::{Arg, Dispatcher, HandlerFn};

    let (mut device, path, _held) = serial_device();
    let url = format!("serial://{path}?baud=9600");
    let mut routes: Dispatcher<'_, HandlerFn<(), ()>, 2> = Dispatcher::new();
    routes
        .map("/ping", |_, req, replies| {
            let (n,) = req.message.get::<(i32,)>().unwrap();
            let _ = replies.message("/pong").int(n + 1).send();
        })
        .unwrap();
    let mut send = Proc::spawn(
        osc_bin(),
        [
            "send",
            url.as_str(),
            "--reply",
            "20",
            "--count",
            "1",
            "/ping",
            "i",
            "41",
        ],
    );
    assert!(device.handle_one(&mut routes, &mut (), &()).unwrap());
    assert_eq!(send.line(), "/pong i 42");
    assert_eq!(send.wait(), 0, "{}", send.stderr_text());

    let (mut device, path, _held) = serial_device();
    let dump = Proc::spawn(
        osc_bin(),
        [
            "dump",
            &format!("serial://{path}"),
            "--json",
            "--count",
            "2",
        ],
    );
    assert_eq!(
        dump.err_line(),
        format!("osc dump: listening on serial://{path}?baud=115200")
    );
    device
        .send_message(
            "/sensor/1",
            &[Arg::Float(0.25), Arg::Blob(&[0xC0, 0xDB, 0x0A])],
        )
        .unwrap();
    device.write_unframed(&[0xC0, b'x', 0xC0]).unwrap();
    device.send_message("/sensor/2", &[Arg::Int(-1)]).unwrap();
    assert_eq!(
        dump.lines(2),
        [
            r#"{"address":"/sensor/1","args":[{"f":0.25},{"b":"c0db0a"}]}"#,
            r#"{"address":"/sensor/2","args":[{"i":-1}]}"#
        ]
    );
    let warning = dump.err_line();
    assert!(
        warning.starts_with(&format!(
            "osc dump: ignored a malformed packet from {path}: "
        )),
        "{warning}"
    );
}
