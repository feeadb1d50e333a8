//! Interop with liblo's command-line tools (Debian `liblo-tools`, 0.31): `oscsend` → `osc dump` and
//! `osc send` → `oscdump`, over UDP and TCP on loopback, with every type each side supports; and
//! recordings both ways: `oscdump`'s output played by `osc replay`, `osc dump --timestamps`'s by
//! `oscsendfile`.
//!
//! liblo 0.31's `oscsend` writes `i h f d s S c m T F N I` (no `b`, `t`, `r` or arrays); its `oscdump`
//! prints every type liblo decodes: those plus `b` and `t` (it rejects `r` and arrays as invalid
//! messages). Without the tools the tests print SKIPPED, or fail when `CI` is set.

mod cli_support;

use std::time::Duration;

use cli_support::{osc_ok, osc_with_input, skip, spawn_dump, Proc, TempFile};

fn have_liblo(test: &str) -> bool {
    let ok = cli_support::on_path("oscsend") && cli_support::on_path("oscdump");
    if !ok {
        skip(
            test,
            "liblo's oscsend/oscdump are not installed (apt-get install liblo-tools)",
        );
    }
    ok
}

fn oscsend(url: &str, message: &[&str]) {
    let mut cmd = std::process::Command::new("oscsend");
    cmd.arg(url).args(message);
    let out = cli_support::run_with_input(cmd, b"");
    assert_eq!(out.code, 0, "oscsend {url} {message:?}: {}", out.stderr);
}

/// Every type `oscsend` 0.31 accepts, with values it parses exactly.
const LIBLO_TYPES: [&str; 10] = [
    "/liblo/all",
    "ihfdsScmTFNI",
    "-2147483648",
    "-9223372036854775807",
    "0.1",
    "-1234.5678",
    "hello world",
    "sym",
    "A",
    "00903c7f",
];

const LIBLO_TYPES_JSON: &str = concat!(
    r#"{"address":"/liblo/all","args":[{"i":-2147483648},{"h":-9223372036854775807},{"f":0.1},"#,
    r#"{"d":-1234.5678},{"s":"hello world"},{"S":"sym"},{"c":"A"},{"m":[0,144,60,127]},"#,
    r#"{"T":true},{"F":false},{"N":null},{"I":null}]}"#
);

#[test]
fn oscsend_udp_to_osc_dump() {
    if !have_liblo("oscsend_udp_to_osc_dump") {
        return;
    }
    let (dump, port) = spawn_dump("udp://127.0.0.1", &["--json"]);
    oscsend(&format!("osc.udp://127.0.0.1:{port}"), &LIBLO_TYPES);
    assert_eq!(dump.line(), LIBLO_TYPES_JSON);
    // Special floats and an empty message.
    oscsend(
        &format!("osc.udp://127.0.0.1:{port}"),
        &["/liblo/special", "ffdd", "nan", "-inf", "inf", "1e308"],
    );
    assert_eq!(
        dump.line(),
        r#"{"address":"/liblo/special","args":[{"f":"NaN"},{"f":"-inf"},{"d":"inf"},{"d":1e+308}]}"#
    );
    oscsend(&format!("osc.udp://127.0.0.1:{port}"), &["/liblo/empty"]);
    assert_eq!(dump.line(), r#"{"address":"/liblo/empty","args":[]}"#);
}

#[test]
fn oscsend_udp_to_osc_dump_text() {
    if !have_liblo("oscsend_udp_to_osc_dump_text") {
        return;
    }
    let (dump, port) = spawn_dump("udp://127.0.0.1", &[]);
    oscsend(
        &format!("osc.udp://127.0.0.1:{port}"),
        &["/synth/1/freq", "ifs", "440", "0.5", "sine"],
    );
    assert_eq!(dump.line(), "/synth/1/freq ifs 440 0.500000 \"sine\"");
}

#[test]
fn oscsend_tcp_to_osc_dump() {
    if !have_liblo("oscsend_tcp_to_osc_dump") {
        return;
    }
    // liblo frames TCP with the OSC 1.0 length prefix: both an explicit `length` and `auto` read it.
    for framing in ["length", "auto"] {
        let (dump, port) = spawn_dump("tcp://127.0.0.1", &["--json", "--framing", framing]);
        oscsend(&format!("osc.tcp://127.0.0.1:{port}"), &LIBLO_TYPES);
        assert_eq!(dump.line(), LIBLO_TYPES_JSON, "--framing {framing}");
    }
}

/// Starts `oscdump` on `url` (it cannot report a port, so the test picks a free one) and waits until
/// it prints a probe message sent with `osc send`.
fn start_oscdump(listen: &str, send_url: &str, framing: &[&str]) -> Proc {
    let dump = Proc::spawn("oscdump", ["-L", listen]);
    for _ in 0..200 {
        let mut args = vec!["send"];
        args.extend_from_slice(framing);
        args.extend_from_slice(&[send_url, "/probe"]);
        let _ = cli_support::osc(&args);
        if let Some(line) = dump.try_line(Duration::from_millis(100)) {
            assert!(
                line.ends_with(" /probe "),
                "unexpected oscdump output {line:?}"
            );
            return dump;
        }
    }
    panic!(
        "oscdump on {listen} never printed the probe: {}",
        dump.stderr_text()
    );
}

/// `oscdump` on a free UDP port of every interface, ready, and the URL that reaches it.
fn udp_oscdump() -> (Proc, String) {
    let port = cli_support::free_udp_port();
    let url = format!("udp://127.0.0.1:{port}");
    (start_oscdump(&port.to_string(), &url, &[]), url)
}

/// The next oscdump line that is not a late copy of a readiness probe.
fn liblo_line(dump: &Proc) -> String {
    loop {
        let line = dump.line();
        if !line.ends_with(" /probe ") {
            return line;
        }
    }
}

/// oscdump 0.31 prints `SSSSSSSS.FFFFFFFF PATH TYPES ARGS…`; returns the line without the timetag.
fn strip_timetag(line: &str) -> &str {
    let (tt, rest) = line.split_once(' ').expect("timetag prefix");
    assert_eq!(tt.len(), 17, "timetag in {line:?}");
    rest
}

/// Every type liblo decodes, sent by `osc send`, and oscdump's exact text for it.
const OSC_TO_LIBLO: [&str; 12] = [
    "/osc/all",
    "ihfdsScbmtTFNI",
    "-2147483648",
    "-9223372036854775808",
    "0.1",
    "-1234.5678",
    "hello world",
    "sym",
    "A",
    "0001ff",
    "00903c7f",
    "e8754700.80000000",
];

const OSC_TO_LIBLO_TEXT: &str = "/osc/all ihfdsScbmtTFNI -2147483648 -9223372036854775808 0.100000 \
-1234.567800 \"hello world\" 'sym 'A' [3b 00 0x1 0xff] MIDI [0x00 0x90 0x3c 0x7f] e8754700.80000000 \
#T #F Nil Infinitum";

/// `osc send OPTIONS… URL` with the [`OSC_TO_LIBLO`] message.
fn send_osc_to_liblo(url: &str, options: &[&str]) {
    let mut args = vec!["send"];
    args.extend_from_slice(options);
    args.push(url);
    args.extend_from_slice(&OSC_TO_LIBLO);
    osc_ok(&args);
}

#[test]
fn osc_send_udp_to_oscdump() {
    if !have_liblo("osc_send_udp_to_oscdump") {
        return;
    }
    let (dump, url) = udp_oscdump();

    send_osc_to_liblo(&url, &[]);
    assert_eq!(strip_timetag(&liblo_line(&dump)), OSC_TO_LIBLO_TEXT);

    osc_ok(&["send", &url, "/osc/special", "ffd", "nan", "-inf", "inf"]);
    assert_eq!(
        strip_timetag(&liblo_line(&dump)),
        "/osc/special ffd nan -inf inf"
    );

    // A timed bundle: oscdump prints the bundle's timetag for each message in it.
    osc_ok(&[
        "send",
        "--at",
        "e8754700.80000000",
        &url,
        "/osc/timed",
        "s",
        "x",
    ]);
    assert_eq!(liblo_line(&dump), "e8754700.80000000 /osc/timed s \"x\"");
    let nested = r#"{"timetag":16750372456547483648,"elements":[{"address":"/osc/a","args":[{"i":1}]},{"timetag":16750372460842450944,"elements":[{"address":"/osc/b","args":[{"i":2}]}]}]}"#;
    osc_ok(&["send", "--packet", nested, &url]);
    assert_eq!(liblo_line(&dump), "e8754700.80000000 /osc/a i 1");
    assert_eq!(liblo_line(&dump), "e8754701.80000000 /osc/b i 2");
    drop(dump);
}

#[test]
fn osc_send_tcp_to_oscdump() {
    if !have_liblo("osc_send_tcp_to_oscdump") {
        return;
    }
    // liblo's TCP server detects the framing of each connection: both of ours work.
    for framing in ["length", "slip"] {
        let port = cli_support::free_tcp_port();
        let url = format!("tcp://127.0.0.1:{port}");
        let dump = start_oscdump(&format!("osc.tcp://:{port}"), &url, &["--framing", framing]);
        send_osc_to_liblo(&url, &["--framing", framing]);
        assert_eq!(
            strip_timetag(&liblo_line(&dump)),
            OSC_TO_LIBLO_TEXT,
            "--framing {framing}"
        );
    }
}

#[test]
fn osc_dump_timestamps_match_oscdump_layout() {
    if !have_liblo("osc_dump_timestamps_match_oscdump_layout") {
        return;
    }
    // The same message through both dumps: with --timestamps the lines differ only in the receive time
    // (and in blob formatting, which this message does not use).
    let (liblo, url) = udp_oscdump();
    let (ours, our_port) = spawn_dump("udp://127.0.0.1", &["--timestamps"]);
    let message = [
        "/same",
        "ihfdsScmTFNI",
        "1",
        "2",
        "0.5",
        "0.25",
        "s",
        "S",
        "c",
        "01020304",
    ];
    for u in [url.clone(), format!("udp://127.0.0.1:{our_port}")] {
        let mut args = vec!["send", u.as_str()];
        args.extend_from_slice(&message);
        osc_ok(&args);
    }
    assert_eq!(
        strip_timetag(&ours.line()),
        strip_timetag(&liblo_line(&liblo))
    );
}

#[test]
fn oscdump_recordings_play_with_osc_replay() {
    if !have_liblo("oscdump_recordings_play_with_osc_replay") {
        return;
    }
    let (liblo, url) = udp_oscdump();
    send_osc_to_liblo(&url, &[]);
    osc_ok(&[
        "send",
        &url,
        "--at",
        "e8754700.80000000",
        "/osc/timed",
        "s",
        "x",
    ]);
    let recording = format!("{}\n{}\n", liblo_line(&liblo), liblo_line(&liblo));
    drop(liblo);

    // What our own dump prints for the same packets sent directly, against what the replay brings.
    let (direct, direct_port) = spawn_dump("udp://127.0.0.1", &["--json"]);
    send_osc_to_liblo(&format!("udp://127.0.0.1:{direct_port}"), &[]);
    let (played, played_port) = spawn_dump("udp://127.0.0.1", &["--json"]);
    let out = osc_with_input(
        &["replay", &format!("udp://127.0.0.1:{played_port}")],
        recording.as_bytes(),
    );
    assert_eq!(out.code, 0, "{}\n{recording}", out.stderr);
    assert_eq!(played.line(), direct.line(), "{recording}");
    assert_eq!(
        played.line(),
        r#"{"address":"/osc/timed","args":[{"s":"x"}]}"#
    );
}

#[test]
fn osc_dump_recordings_play_with_oscsendfile() {
    if !have_liblo("osc_dump_recordings_play_with_oscsendfile") {
        return;
    }
    if !cli_support::on_path("oscsendfile") {
        skip(
            "osc_dump_recordings_play_with_oscsendfile",
            "liblo's oscsendfile is not installed",
        );
        return;
    }
    // The types oscsendfile reads back from a dump line (it splits at spaces and takes oscsend's
    // values, so no S, c, b or m, and strings without spaces).
    let message = [
        "/rec",
        "ihfdsTFNI",
        "-7",
        "1234567890123",
        "0.5",
        "-0.25",
        "word",
    ];
    let (rec, port) = spawn_dump("udp://127.0.0.1", &["--timestamps"]);
    let mut args = vec!["send".to_owned(), format!("udp://127.0.0.1:{port}")];
    args.extend(message.iter().map(|s| s.to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    osc_ok(&args);
    osc_ok(&args);
    let file = TempFile::new("oscsendfile.txt", &(rec.lines(2).join("\n") + "\n"));

    let (played, played_port) = spawn_dump("udp://127.0.0.1", &["--json"]);
    let mut cmd = std::process::Command::new("oscsendfile");
    cmd.arg(format!("osc.udp://127.0.0.1:{played_port}"))
        .arg(file.path());
    let out = cli_support::run_with_input(cmd, b"");
    assert_eq!(out.code, 0, "oscsendfile: {}", out.stderr);
    // oscsendfile sends each line in a bundle timed when it goes out.
    let want = r#"{"address":"/rec","args":[{"i":-7},{"h":1234567890123},{"f":0.5},{"d":-0.25},{"s":"word"},{"T":true},{"F":false},{"N":null},{"I":null}]}"#;
    for _ in 0..2 {
        let line = played.line();
        let elements = line
            .split_once(r#","elements":["#)
            .map(|(_, e)| e)
            .unwrap_or_else(|| panic!("not a bundle: {line}"));
        assert_eq!(elements, format!("{want}]}}"));
    }
}
