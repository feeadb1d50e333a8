//! `osc send` → `osc dump` over loopback: every type, UDP (IPv4 and IPv6) and TCP in each framing,
//! bundles, `--count`, `--timestamps`, `--sender`; `osc dump` recordings played back by `osc replay`;
//! and both against a device on a serial line (a pseudo-terminal). Both ends are our own, so this checks
//! the tool's plumbing; the interop proofs are `cli_liblo.rs` and `cli_python.rs`.

mod cli_support;

use cli_support::{osc, osc_bin, osc_ok, osc_with_input, spawn_dump, Proc, TempFile};

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

/// `osc replay URL [OPTIONS…]` with `recording` on stdin; returns its stderr, failing unless it exits 0.
fn replay(url: &str, options: &[&str], recording: &str) -> String {
    let mut args = vec!["replay", url];
    args.extend_from_slice(options);
    let out = osc_with_input(&args, recording.as_bytes());
    assert_eq!(out.code, 0, "osc {args:?}: {}", out.stderr);
    out.stderr
}

/// The seconds `osc replay` reports in `osc replay: sent N packets to URL in S s`.
fn replay_seconds(stderr: &str) -> f64 {
    stderr
        .lines()
        .find_map(|l| l.strip_prefix("osc replay: sent "))
        .and_then(|l| l.rsplit_once(" in "))
        .and_then(|(_, l)| l.split(' ').next())
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no summary in {stderr:?}"))
}

#[test]
fn json_recordings_replay_exactly() {
    let (rec, port) = spawn_dump("udp://127.0.0.1", &["--json", "--timestamps"]);
    let url = format!("udp://127.0.0.1:{port}");
    send(&url, &[], &EVERY_TYPE);
    send(&url, &["--at", "e8754700.80000000"], &["/timed", "i", "1"]);
    let recorded = rec.lines(2);
    let mut recording = String::from("# a recording\n\n");
    for line in &recorded {
        assert!(line.starts_with(r#"{"time":"#), "{line}");
        recording.push_str(line);
        recording.push('\n');
    }
    // Played back from a file and from stdin: the same packets, bundles as they were.
    let (play, port) = spawn_dump("udp://127.0.0.1", &["--json"]);
    let file = TempFile::new("replay.jsonl", &recording);
    osc_ok(&["replay", &format!("udp://127.0.0.1:{port}"), file.path()]);
    let (tcp, tcp_port) = spawn_dump("tcp://127.0.0.1", &["--json"]);
    replay(
        &format!("tcp://127.0.0.1:{tcp_port}"),
        &["--framing", "length"],
        &recording,
    );
    for got in [play.lines(2), tcp.lines(2)] {
        assert_eq!(got[0], EVERY_TYPE_JSON);
        assert_eq!(
            got[1],
            r#"{"timetag":16750372456547483648,"elements":[{"address":"/timed","args":[{"i":1}]}]}"#
        );
    }
}

#[test]
fn text_recordings_replay_and_bundles_come_back_together() {
    let (rec, port) = spawn_dump("udp://127.0.0.1", &["--timestamps"]);
    let url = format!("udp://127.0.0.1:{port}");
    send(&url, &[], &EVERY_TYPE);
    let pair = r#"{"timetag":1,"elements":[{"address":"/x","args":[{"i":1}]},{"address":"/y"}]}"#;
    send(&url, &["--packet", pair], &[]);
    let recording = rec.lines(3).join("\n");
    let (play, port) = spawn_dump("udp://127.0.0.1", &[]);
    replay(&format!("udp://127.0.0.1:{port}"), &[], &recording);
    assert_eq!(play.line(), EVERY_TYPE_TEXT);
    assert_eq!(
        play.lines(2),
        ["00000000.00000001 /x i 1", "00000000.00000001 /y"]
    );
    // The two lines of one bundle share its receive time, and go out in one bundle again.
    let (json, port) = spawn_dump("udp://127.0.0.1", &["--json"]);
    replay(&format!("udp://127.0.0.1:{port}"), &[], &recording);
    json.line();
    assert_eq!(
        json.line(),
        r#"{"timetag":1,"elements":[{"address":"/x","args":[{"i":1}]},{"address":"/y","args":[]}]}"#
    );
}

#[test]
fn replay_keeps_the_recorded_pace() {
    // A line from a bundle timed by another clock (2023), then three packets 0.6 s apart (2026).
    let mut recording = String::from("e8754700.80000000 /early\n");
    for tenths in [0u64, 3, 6] {
        let time = (0xeeb0_0000u64 << 32) + tenths * (1u64 << 32) / 5;
        recording.push_str(&format!(
            "{{\"time\":{time},\"address\":\"/beat\",\"args\":[{{\"i\":{tenths}}}]}}\n"
        ));
    }
    // From a file, so that the time counted is the replay's, not the time to feed it.
    let file = TempFile::new("pace.jsonl", &recording);
    let (dump, port) = spawn_dump("udp://127.0.0.1", &[]);
    let url = format!("udp://127.0.0.1:{port}");
    // At speed 2 the 1.2 s of the recording take 0.6 s; at speed 1 they would take 1.2 s. The jump
    // between the clocks is reported, not waited for.
    let out = osc(&["replay", &url, file.path(), "--speed", "2"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stderr.contains(":2: skipped a gap of"),
        "{}",
        out.stderr
    );
    let paced = replay_seconds(&out.stderr);
    assert!((0.6..1.2).contains(&paced), "{paced} s");
    let out = osc(&["replay", &url, file.path(), "--no-wait"]);
    assert!(replay_seconds(&out.stderr) < 0.6, "{}", out.stderr);
    let played = ["/early", "/beat i 0", "/beat i 3", "/beat i 6"];
    assert_eq!(dump.lines(8), [played, played].concat());
}

#[test]
fn replay_loops_a_file_and_retimes_its_bundles() {
    // A message, a bad line, and 0.1 s later a bundle timed 1.5 s after it was received (2026).
    let t0 = 0xeeb0_0000u64 << 32;
    let (tenth, lead) = ((1u64 << 32) / 10, 3 * (1u64 << 32) / 2);
    let recording = format!(
        "{{\"time\":{t0},\"address\":\"/a\",\"args\":[{{\"i\":1}}]}}\n/b i one\n\
         {{\"time\":{},\"timetag\":{},\"elements\":[{{\"address\":\"/c\",\"args\":[]}}]}}\n",
        t0 + tenth,
        t0 + tenth + lead
    );
    let file = TempFile::new("loop.jsonl", &recording);
    let (dump, port) = spawn_dump("udp://127.0.0.1", &["--json", "--timestamps"]);
    let url = format!("udp://127.0.0.1:{port}");
    let out = osc(&[
        "replay",
        &url,
        file.path(),
        "--loop",
        "3",
        "--loop-pause",
        "0.1",
        "--retime",
        "--speed",
        "2",
    ]);
    // Three passes; the bad line is reported (and counted) once.
    out.assert_says(1, &["sent 6 packets", "(3 passes)", "1 line of"]);
    assert_eq!(out.stderr.matches("skipped: invalid int32").count(), 1);
    // Each pass takes 0.05 s (0.1 s at speed 2), with 0.1 s between passes.
    let took = replay_seconds(&out.stderr);
    assert!(took >= 0.35, "{took} s");
    // Each bundle is timed 0.75 s (1.5 s at speed 2) after it arrived, not at its recorded time.
    let got = dump.lines(6);
    for pass in got.chunks(2) {
        assert!(
            pass[0].ends_with(r#""address":"/a","args":[{"i":1}]}"#),
            "{}",
            pass[0]
        );
        let v: serde_json::Value = serde_json::from_str(&pass[1]).unwrap();
        let (Some(time), Some(timetag)) = (v["time"].as_u64(), v["timetag"].as_u64()) else {
            panic!("not a timed bundle: {}", pass[1]);
        };
        let lead = timetag.wrapping_sub(time) as i64 as f64 / 2f64.powi(32);
        assert!((0.5..0.8).contains(&lead), "lead {lead} s in {}", pass[1]);
    }
}

#[test]
fn replay_loops_only_what_it_can() {
    let (dump, port) = spawn_dump("udp://127.0.0.1", &[]);
    let url = format!("udp://127.0.0.1:{port}");
    // One line takes no recorded time: paced, it would loop without pause.
    let one = TempFile::new("one.txt", "/one i 1\n");
    let out = osc(&["replay", &url, one.path(), "--loop", "forever"]);
    out.assert_says(1, &["plays in no recorded time", "sent 1 packet to"]);
    let out = osc(&["replay", &url, one.path(), "--loop", "3", "--no-wait"]);
    out.assert_says(0, &["sent 3 packets"]);
    assert_eq!(dump.lines(4), ["/one i 1"; 4]);
    // A pass with nothing to send ends the loop.
    let none = TempFile::new("none.txt", "# nothing yet\n");
    let out = osc(&["replay", &url, none.path(), "--loop", "forever"]);
    out.assert_says(0, &["had nothing to send; stopping"]);
    // Only a file can be read again; --retime says when a bundle has no receive time to move from.
    let out = osc_with_input(&["replay", &url, "--loop", "2"], b"/a\n");
    out.assert_says(1, &["--loop needs a FILE"]);
    let out = osc_with_input(
        &["replay", &url, "--retime"],
        br#"{"timetag":"+1","elements":[]}"#,
    );
    out.assert_says(
        0,
        &["stdin:1: a bundle without a receive time goes out as recorded"],
    );
}

#[test]
fn replay_reports_bad_lines_and_sends_the_rest() {
    let (dump, port) = spawn_dump("udp://127.0.0.1", &[]);
    let recording = b"/a i 1\n/b i one\n{\"address\":7}\n/c s \"unclosed\n/e s \"\xff\"\n/d\n";
    let out = osc_with_input(&["replay", &format!("udp://127.0.0.1:{port}")], recording);
    out.assert_says(
        1,
        &[
            "stdin:2: skipped: invalid int32 (i) value \"one\"",
            "stdin:3: skipped: packet.address: expected a string",
            "stdin:4: skipped: a value opened with \" is not closed",
            "stdin:5: skipped: not UTF-8 text",
            "4 lines of stdin skipped",
        ],
    );
    assert_eq!(dump.lines(2), ["/a i 1", "/d"]);
    // Nobody listening on a UDP port (of an address no test listens on): reported, not fatal.
    let out = osc_with_input(
        &["replay", "--no-wait", "udp://127.0.0.2:9"],
        b"/a\n/b\n/c\n/d\n",
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stderr.contains("refused a packet"), "{}", out.stderr);
    let bad = osc(&["replay", "--speed", "0", "udp://127.0.0.1:1"]);
    assert_eq!(bad.code, 1);
    assert!(bad.stderr.contains("invalid --speed 0"), "{}", bad.stderr);
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
