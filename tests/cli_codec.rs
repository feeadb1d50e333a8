//! `osc decode` / `osc encode`: golden vectors both ways, the text and JSON forms, error exits, and
//! the help texts. No network.

mod cli_support;

use cli_support::{osc, osc_ok, osc_with_input};
use osc_core::{decode, Arg, Color, Message, Midi, Packet, TimeTag};

const VECTORS: [(&str, &str); 5] = [
    ("W1", include_str!("../osc-core/tests/vectors/W1.hex")),
    ("W2", include_str!("../osc-core/tests/vectors/W2.hex")),
    ("W3", include_str!("../osc-core/tests/vectors/W3.hex")),
    ("W4", include_str!("../osc-core/tests/vectors/W4.hex")),
    ("D2", include_str!("../osc-core/tests/vectors/D2.hex")),
];

fn unhex(s: &str) -> Vec<u8> {
    let s: String = s.split_whitespace().collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

#[test]
fn golden_vectors_round_trip_through_json() {
    for (name, hex) in VECTORS {
        let hex = hex.trim();
        let json = osc_with_input(&["decode", "--hex", "-", "--json"], hex.as_bytes());
        assert_eq!(json.code, 0, "{name}: {}", json.stderr);
        assert_eq!(
            json.stdout.lines().count(),
            1,
            "{name}: one JSON object per packet"
        );
        let back = osc_ok(&["encode", json.stdout.trim()]);
        assert_eq!(
            back.trim(),
            hex,
            "{name}: decode --json | encode changed the bytes"
        );

        // The same through stdin, raw bytes both ways.
        let raw = osc_with_input(&["decode", "--json"], &unhex(hex));
        assert_eq!(
            raw.stdout, json.stdout,
            "{name}: raw stdin decodes the same"
        );
        let bytes = osc_with_input(&["encode", "-", "--raw"], json.stdout.as_bytes());
        assert_eq!(bytes.code, 0, "{name}: {}", bytes.stderr);
        assert_eq!(bytes.stdout_bytes, unhex(hex), "{name}: --raw");
    }
}

#[test]
fn golden_vectors_text_form() {
    let w1 = osc_ok(&["decode", "--hex", VECTORS[0].1.trim()]);
    assert_eq!(w1, "/synth/1/freq ifs 440 0.500000 \"sine\"\n");

    let w2 = osc_ok(&["decode", "--hex", VECTORS[1].1.trim()]);
    let blob: Vec<String> = (0..64).map(|b| format!("0x{b:02x}")).collect();
    assert_eq!(
        w2,
        format!(
            "/mixer/channel/12/eq/band/3 ifdhsbTFNt -123456789 1234.500000 2.718282 \
             1234567890123456789 \"abcdefghijklmnopqrstuvwx\" [64b {}] #T #F Nil e8754700.80000000\n",
            blob.join(" ")
        )
    );

    let w3 = osc_ok(&["decode", "--hex", VECTORS[2].1.trim()]);
    let want: Vec<String> = (0..16)
        .map(|i| {
            format!(
                "00000000.00000001 /synth/1/freq ifs {} 0.500000 \"sine\"",
                440 + i
            )
        })
        .collect();
    assert_eq!(w3.lines().collect::<Vec<_>>(), want);

    let d2 = osc_ok(&["decode", "--hex", VECTORS[4].1.trim()]);
    assert_eq!(d2, "/synth/*/{freq,gain} ifs 440 0.500000 \"sine\"\n");
}

#[test]
fn golden_vector_json_form() {
    let w1 = osc_ok(&["decode", "--json", "--hex", VECTORS[0].1.trim()]);
    assert_eq!(
        w1,
        "{\"address\":\"/synth/1/freq\",\"args\":[{\"i\":440},{\"f\":0.5},{\"s\":\"sine\"}]}\n"
    );
    let w2 = osc_ok(&["decode", "--json", "--hex", VECTORS[1].1.trim()]);
    let blob: String = (0..64).map(|b| format!("{b:02x}")).collect();
    assert_eq!(
        w2,
        format!(
            "{{\"address\":\"/mixer/channel/12/eq/band/3\",\"args\":[{{\"i\":-123456789}},{{\"f\":1234.5}},\
             {{\"d\":2.718281828459045}},{{\"h\":1234567890123456789}},{{\"s\":\"abcdefghijklmnopqrstuvwx\"}},\
             {{\"b\":\"{blob}\"}},{{\"T\":true}},{{\"F\":false}},{{\"N\":null}},{{\"t\":16750372456547483648}}]}}\n"
        )
    );
}

/// Every type, nested arrays and a nested bundle: JSON → bytes checked by the core decoder → JSON.
#[test]
fn every_type_encodes_to_what_the_core_decodes() {
    let json = concat!(
        r#"{"timetag":16750372456547483648,"elements":["#,
        r#"{"address":"/all","args":[{"i":-1},{"f":0.25},{"s":"x y"},{"b":"00ff"},{"h":-9000000000},"#,
        r#"{"t":1},{"d":-1.5},{"S":"sym"},{"c":"é"},{"r":4278190335},{"m":[0,144,60,127]},"#,
        r#"{"T":true},{"F":false},{"N":null},{"I":null},{"[":[{"i":1},{"[":[{"s":"in"}]}]},"#,
        r#"{"f":"NaN"},{"f":"-inf"},{"d":"inf"},{"b":""}]},"#,
        r#"{"timetag":1,"elements":[{"address":"/inner","args":[]}]}]}"#
    );
    let hex = osc_ok(&["encode", json]);
    let bytes = unhex(hex.trim());
    let packet = decode(&bytes).expect("osc encode output decodes");
    let bundle = packet.as_bundle().expect("a bundle");
    assert_eq!(bundle.timetag(), TimeTag::new(0xe875_4700, 0x8000_0000));
    let elems: Vec<Packet<'_>> = bundle.elements().collect();
    let inner_array = [Arg::String("in")];
    let array = [
        Arg::Int(1),
        Arg::Array(osc_core::Args::from_slice(&inner_array)),
    ];
    let want = [
        Arg::Int(-1),
        Arg::Float(0.25),
        Arg::String("x y"),
        Arg::Blob(&[0, 255]),
        Arg::Long(-9_000_000_000),
        Arg::Time(TimeTag::IMMEDIATELY),
        Arg::Double(-1.5),
        Arg::Symbol("sym"),
        Arg::Char('é'),
        Arg::Color(Color::from_u32(0xff00_00ff)),
        Arg::Midi(Midi::from_bytes([0, 144, 60, 127])),
        Arg::Bool(true),
        Arg::Bool(false),
        Arg::Nil,
        Arg::Impulse,
        Arg::Array(osc_core::Args::from_slice(&array)),
        Arg::Float(f32::NAN),
        Arg::Float(f32::NEG_INFINITY),
        Arg::Double(f64::INFINITY),
        Arg::Blob(&[]),
    ];
    assert_eq!(elems[0], Packet::Message(Message::new("/all", &want)));
    let inner = elems[1].as_bundle().expect("nested bundle");
    assert!(inner.timetag().is_immediately());

    // And back to the same JSON.
    let back = osc_ok(&["decode", "--json", "--hex", hex.trim()]);
    assert_eq!(back.trim(), json);
}

#[test]
fn decode_errors_exit_1_with_the_byte_offset() {
    let cases: [(&[&str], &[u8], &str); 7] = [
        (
            &["decode", "--hex", "2f61000002c780000"],
            b"",
            "invalid hex",
        ),
        (
            &["decode", "--hex", "zz"],
            b"",
            "invalid hex digit 'z' at character 0",
        ),
        // "/a" ",x": unknown type tag at byte 5.
        (
            &["decode", "--hex", "2f6100002c780000"],
            b"",
            "unknown type tag 'x' at byte 5",
        ),
        // "/a" ",i" and only 2 of the 4 int bytes.
        (
            &["decode", "--hex", "2f6100002c6900000001"],
            b"",
            "at byte 10",
        ),
        (&["decode"], b"", "empty packet"),
        (&["decode"], b"hello", "not an OSC packet"),
        // Trailing bytes are accepted by default, rejected by --strict.
        (
            &["decode", "--strict", "--hex", "2f6100002c00000001020304"],
            b"",
            "trailing bytes after the last argument at byte 8",
        ),
    ];
    for (args, input, want) in cases {
        let out = osc_with_input(args, input);
        assert_eq!(out.code, 1, "osc {args:?} should fail: {out:?}");
        assert!(
            out.stdout.is_empty(),
            "osc {args:?} printed {:?}",
            out.stdout
        );
        assert!(
            out.stderr.starts_with("osc decode: error: ") && out.stderr.contains(want),
            "osc {args:?}: stderr {:?} should contain {want:?}",
            out.stderr
        );
    }
    assert_eq!(
        osc(&["decode", "--hex", "2f6100002c00000001020304"]).code,
        0
    );
}

#[test]
fn encode_errors_exit_1() {
    let cases: [(&str, &str); 7] = [
        ("{", "invalid JSON"),
        (r#"{"address":"nope"}"#, "address does not start with '/'"),
        (r#"{"address":"/a","args":[{"s":"a\u0000b"}]}"#, "NUL"),
        (
            r#"{"address":"/a","args":[{"i":2147483648}]}"#,
            "packet.args[0]",
        ),
        (
            r#"{"address":"/a","args":[{"q":1}]}"#,
            "unknown type tag \"q\"",
        ),
        (
            r#"{"timetag":1,"elements":[{"address":"/a","args":[{"b":"0"}]}]}"#,
            "packet.elements[0].args[0]",
        ),
        (r#"[]"#, "expected an object"),
    ];
    for (json, want) in cases {
        let out = osc(&["encode", json]);
        assert_eq!(out.code, 1, "{json} should fail: {out:?}");
        assert!(
            out.stderr.starts_with("osc encode: error: ") && out.stderr.contains(want),
            "{json}: stderr {:?} should contain {want:?}",
            out.stderr
        );
    }
}

#[test]
fn help_texts() {
    let top = osc_ok(&["--help"]);
    for word in [
        "send",
        "dump",
        "decode",
        "encode",
        "Examples",
        "Exit status",
    ] {
        assert!(top.contains(word), "osc --help lacks {word:?}:\n{top}");
    }
    let send = osc_ok(&["send", "--help"]);
    for word in [
        "--framing",
        "--reply",
        "--bundle",
        "--at",
        "--packet",
        "MIDI",
        "00903c7f",
        "[ ]",
    ] {
        assert!(
            send.contains(word),
            "osc send --help lacks {word:?}:\n{send}"
        );
    }
    let dump = osc_ok(&["help", "dump"]);
    for word in ["--json", "--count", "--timestamps", "Nil", "listening on"] {
        assert!(dump.contains(word), "osc help dump lacks {word:?}:\n{dump}");
    }
    assert!(osc_ok(&["encode", "--help"]).contains("{\"m\":[0,144,60,127]}"));
    assert!(osc_ok(&["decode", "--help"]).contains("--strict"));
    assert!(osc_ok(&["--version"]).starts_with("osc "));

    // Usage errors are clap's exit status 2.
    let missing = osc(&["send"]);
    assert_eq!(missing.code, 2, "{missing:?}");
    assert!(missing.stderr.contains("URL"));
}

#[test]
fn send_argument_errors_exit_1_before_sending() {
    let cases: [(&[&str], &str); 6] = [
        (
            &["send", "udp://127.0.0.1:9", "/a", "i", "x"],
            "invalid int32 (i) value \"x\"",
        ),
        (
            &["send", "udp://127.0.0.1:9", "/a", "ii", "1"],
            "needs a value",
        ),
        (
            &["send", "udp://127.0.0.1:9", "/a", "i", "1", "2"],
            "left over",
        ),
        (
            &["send", "udp://127.0.0.1:9", "/a", "q", "1"],
            "unknown type 'q'",
        ),
        (&["send", "http://127.0.0.1:9", "/a"], "unknown scheme"),
        (
            &["send", "udp://127.0.0.1:9", "a"],
            "address does not start with '/'",
        ),
    ];
    for (args, want) in cases {
        let out = osc(args);
        assert_eq!(out.code, 1, "osc {args:?}: {out:?}");
        assert!(
            out.stderr.starts_with("osc send: error: ") && out.stderr.contains(want),
            "osc {args:?}: stderr {:?} should contain {want:?}",
            out.stderr
        );
    }
}
