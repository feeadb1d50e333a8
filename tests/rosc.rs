//! Interop with rosc 0.11.4, the most used Rust OSC crate, in both directions.
//!
//! - **rosc writes, osc-core reads** ([`rosc_encodes_osc_core_decodes`]): every `OscType` rosc has (`Int`,
//!   `Float`, `String`, `Blob`, `Time`, `Long`, `Double`, `Char`, `Color`, `Midi`, `Bool`, nested `Array`,
//!   `Nil`, `Inf`), messages without arguments, and bundles (empty, timed, nested) are written with
//!   `rosc::encoder::encode`. osc-core's *strict* decoder must accept each one and give the same values
//!   (floats compared bit for bit), and re-encoding must give rosc's bytes back.
//! - **osc-core writes, rosc reads** ([`osc_core_encodes_rosc_decodes`]): the same types (every tag but `S`,
//!   which rosc lacks) written by [`Message::encode`], [`Bundle::encode`] and the builders are read with
//!   `rosc::decoder::decode_udp`, which must see the same values, consume every byte, and write the same bytes
//!   back.
//! - The golden vectors W1–W4 are written by rosc byte for byte ([`rosc_writes_the_golden_vectors`]).
//! - [`rosc_quirks`] pins down rosc's known deviations (/work/shared/notes/landscape.md §4.1) next to what
//!   osc-core does with the same bytes. Where rosc is wrong, the test asserts *our* correct behaviour; nothing
//!   here bends osc-core to match rosc.

use osc_core::{
    decode, Arg, Args, Bundle, BundleBuilder, Color, DecodeConfig, DecodeErrorKind, EncodeError,
    Message, MessageBuilder, Midi, Packet, TimeTag,
};
use osc_tests::{golden, to_hex};
use rosc::{
    decoder, encoder, OscArray, OscBundle, OscColor, OscMessage, OscMidiMessage, OscPacket,
    OscTime, OscType,
};

// ---------------------------------------------------------------------------------------------------------
// Comparing osc-core values with rosc values
// ---------------------------------------------------------------------------------------------------------

/// Whether an osc-core argument and a rosc argument are the same OSC value (floats by bit pattern).
fn same_arg(ours: &Arg<'_>, theirs: &OscType) -> bool {
    match (*ours, theirs) {
        (Arg::Int(a), OscType::Int(b)) => a == *b,
        (Arg::Float(a), OscType::Float(b)) => a.to_bits() == b.to_bits(),
        (Arg::String(a), OscType::String(b)) => a == b,
        (Arg::Blob(a), OscType::Blob(b)) => a == b.as_slice(),
        (Arg::Long(a), OscType::Long(b)) => a == *b,
        (Arg::Double(a), OscType::Double(b)) => a.to_bits() == b.to_bits(),
        (Arg::Time(a), OscType::Time(b)) => {
            a.seconds() == b.seconds && a.fraction() == b.fractional
        }
        (Arg::Char(a), OscType::Char(b)) => a == *b,
        (Arg::Color(a), OscType::Color(b)) => {
            (a.red, a.green, a.blue, a.alpha) == (b.red, b.green, b.blue, b.alpha)
        }
        (Arg::Midi(a), OscType::Midi(b)) => {
            (a.port, a.status, a.data1, a.data2) == (b.port, b.status, b.data1, b.data2)
        }
        (Arg::Bool(a), OscType::Bool(b)) => a == *b,
        (Arg::Nil, OscType::Nil) | (Arg::Impulse, OscType::Inf) => true,
        (Arg::Array(a), OscType::Array(b)) => {
            a.len() == b.content.len() && a.iter().zip(&b.content).all(|(x, y)| same_arg(&x, y))
        }
        _ => false,
    }
}

fn assert_same_args(path: &str, ours: Args<'_>, theirs: &[OscType]) {
    let ours_v: Vec<Arg<'_>> = ours.iter().collect();
    assert_eq!(
        ours_v.len(),
        theirs.len(),
        "{path}: argument count: osc-core {ours_v:?}, rosc {theirs:?}"
    );
    for (i, (a, b)) in ours_v.iter().zip(theirs).enumerate() {
        assert!(same_arg(a, b), "{path}[{i}]: osc-core {a:?}, rosc {b:?}");
    }
}

fn assert_same_packet(path: &str, ours: &Packet<'_>, theirs: &OscPacket) {
    match (ours, theirs) {
        (Packet::Message(m), OscPacket::Message(r)) => {
            assert_eq!(m.address(), r.addr, "{path}: address");
            assert_same_args(path, m.args(), &r.args);
        }
        (Packet::Bundle(b), OscPacket::Bundle(r)) => {
            let t = b.timetag();
            assert_eq!(
                (t.seconds(), t.fraction()),
                (r.timetag.seconds, r.timetag.fractional),
                "{path}: timetag"
            );
            let elements: Vec<Packet<'_>> = b.elements().collect();
            assert_eq!(elements.len(), r.content.len(), "{path}: element count");
            for (i, (e, re)) in elements.iter().zip(&r.content).enumerate() {
                assert_same_packet(&format!("{path}/{i}"), e, re);
            }
        }
        _ => panic!("{path}: osc-core {ours:?}, rosc {theirs:?}"),
    }
}

// ---------------------------------------------------------------------------------------------------------
// rosc writes, osc-core reads
// ---------------------------------------------------------------------------------------------------------

fn msg(addr: &str, args: Vec<OscType>) -> OscPacket {
    OscPacket::Message(OscMessage {
        addr: addr.to_string(),
        args,
    })
}

fn bundle(seconds: u32, fractional: u32, content: Vec<OscPacket>) -> OscPacket {
    OscPacket::Bundle(OscBundle {
        timetag: OscTime {
            seconds,
            fractional,
        },
        content,
    })
}

fn array(content: Vec<OscType>) -> OscType {
    OscType::Array(OscArray { content })
}

fn color(red: u8, green: u8, blue: u8, alpha: u8) -> OscType {
    OscType::Color(OscColor {
        red,
        green,
        blue,
        alpha,
    })
}

fn midi(port: u8, status: u8, data1: u8, data2: u8) -> OscType {
    OscType::Midi(OscMidiMessage {
        port,
        status,
        data1,
        data2,
    })
}

fn time(seconds: u32, fractional: u32) -> OscType {
    OscType::Time(OscTime {
        seconds,
        fractional,
    })
}

/// rosc values covering each of its 14 `OscType` variants with edge values, and bundles.
fn rosc_vectors() -> Vec<(&'static str, OscPacket)> {
    use OscType::*;
    let s = |x: &str| String(x.to_string());
    let all_types = vec![
        Int(-42),
        Float(0.5),
        s("str"),
        Blob(vec![0xde, 0xad, 0xbe, 0xef, 1]),
        time(3_900_000_000, 0x8000_0000),
        Long(-(1 << 40)),
        Double(0.2),
        Char('x'),
        color(0x33, 0x66, 0x99, 0xcc),
        midi(3, 0x91, 64, 100),
        Bool(true),
        Bool(false),
        array(vec![Int(1), array(vec![s("nested")])]),
        Nil,
        Inf,
    ];
    vec![
        (
            "int",
            msg(
                "/types/int",
                vec![Int(i32::MIN), Int(-1), Int(0), Int(i32::MAX)],
            ),
        ),
        (
            "float",
            msg(
                "/types/float",
                vec![
                    Float(0.5),
                    Float(-0.0),
                    Float(0.1),
                    Float(f32::INFINITY),
                    Float(f32::NEG_INFINITY),
                    Float(f32::NAN),
                    Float(f32::MAX),
                    Float(f32::from_bits(1)),
                ],
            ),
        ),
        (
            "string",
            msg(
                "/types/string",
                vec![
                    s(""),
                    s("a"),
                    s("ab"),
                    s("abc"),
                    s("abcd"),
                    s("abcde"),
                    s("h\u{e9}llo \u{65e5}\u{672c} \u{1f39b}"),
                ],
            ),
        ),
        (
            "blob",
            msg(
                "/types/blob",
                vec![
                    Blob(vec![]),
                    Blob(vec![1]),
                    Blob(vec![1, 2]),
                    Blob(vec![1, 2, 3]),
                    Blob(vec![1, 2, 3, 4]),
                    Blob(vec![0; 5]),
                    Blob((0..=255).collect()),
                ],
            ),
        ),
        (
            "time",
            msg(
                "/types/time",
                vec![
                    time(0, 1),
                    time(0, 0),
                    time(3_900_000_000, 0x8000_0000),
                    time(u32::MAX, u32::MAX),
                ],
            ),
        ),
        (
            "long",
            msg("/types/long", vec![Long(i64::MIN), Long(0), Long(i64::MAX)]),
        ),
        (
            "double",
            msg(
                "/types/double",
                vec![
                    Double(0.1),
                    Double(-0.0),
                    Double(f64::MAX),
                    Double(f64::from_bits(1)),
                    Double(f64::INFINITY),
                    Double(f64::NAN),
                ],
            ),
        ),
        (
            "char",
            msg(
                "/types/char",
                vec![
                    Char('A'),
                    Char('\u{e9}'),
                    Char('\u{1f600}'),
                    Char('\0'),
                    Char(char::MAX),
                ],
            ),
        ),
        (
            "color",
            msg(
                "/types/color",
                vec![
                    color(0, 0, 0, 0),
                    color(255, 0, 0, 255),
                    color(0x12, 0x34, 0x56, 0x78),
                ],
            ),
        ),
        (
            "midi",
            msg(
                "/types/midi",
                vec![midi(0, 0x90, 60, 127), midi(255, 255, 255, 255)],
            ),
        ),
        ("bool", msg("/types/bool", vec![Bool(true), Bool(false)])),
        (
            "array",
            msg(
                "/types/array",
                vec![
                    Int(7),
                    array(vec![]),
                    array(vec![Int(1), Float(2.5), s("x")]),
                    array(vec![
                        array(vec![Int(1), array(vec![Bool(true), Nil])]),
                        s("y"),
                        array(vec![]),
                    ]),
                    s("after"),
                ],
            ),
        ),
        ("nil", msg("/types/nil", vec![Nil, Nil])),
        ("inf", msg("/types/inf", vec![Inf, Int(1), Inf])),
        ("all_types", msg("/all/types", all_types.clone())),
        ("no_args", msg("/no/args", vec![])),
        ("address_len4", msg("/abc", vec![Int(1)])),
        (
            "bundle_immediately",
            bundle(0, 1, vec![msg("/a", vec![Int(1)]), msg("/b", vec![])]),
        ),
        (
            "bundle_timed",
            bundle(3_900_000_000, 0x8000_0000, vec![msg("/a", all_types)]),
        ),
        ("bundle_empty", bundle(0, 1, vec![])),
        (
            "bundle_nested",
            bundle(
                3_900_000_000,
                0,
                vec![
                    msg("/outer", vec![Int(1)]),
                    bundle(
                        3_900_000_001,
                        5,
                        vec![
                            msg("/middle", vec![s("m")]),
                            bundle(0, 1, vec![msg("/inner", vec![Inf])]),
                            bundle(7, 8, vec![]),
                        ],
                    ),
                    msg("/last", vec![]),
                ],
            ),
        ),
    ]
}

#[test]
fn rosc_encodes_osc_core_decodes() {
    for (name, packet) in rosc_vectors() {
        let bytes =
            encoder::encode(&packet).unwrap_or_else(|e| panic!("{name}: rosc encode: {e:?}"));
        // rosc's output for these values is canonical OSC, so the strict profile must accept it.
        let ours = DecodeConfig::strict()
            .decode(&bytes)
            .unwrap_or_else(|e| panic!("{name}: strict decode of rosc's bytes failed: {e}"));
        assert_eq!(decode(&bytes).unwrap(), ours, "{name}: tolerant != strict");
        assert_same_packet(name, &ours, &packet);

        let mut again = vec![0u8; ours.encoded_len()];
        let n = ours.encode(&mut again).unwrap();
        assert_eq!(
            to_hex(&again[..n]),
            to_hex(&bytes),
            "{name}: our re-encode differs from rosc's bytes"
        );
    }
}

// ---------------------------------------------------------------------------------------------------------
// osc-core writes, rosc reads
// ---------------------------------------------------------------------------------------------------------

/// Checks that rosc reads `bytes` (written by osc-core for `packet`) as `packet`, and writes them back.
fn rosc_reads(name: &str, bytes: &[u8], packet: &Packet<'_>) {
    let (rest, theirs) = decoder::decode_udp(bytes)
        .unwrap_or_else(|e| panic!("{name}: rosc rejected our bytes: {e:?}"));
    assert!(rest.is_empty(), "{name}: rosc left {} bytes", rest.len());
    assert_same_packet(name, packet, &theirs);
    let back = encoder::encode(&theirs).unwrap();
    assert_eq!(
        to_hex(&back),
        to_hex(bytes),
        "{name}: rosc's re-encode differs from our bytes"
    );
}

fn encode_packet(name: &str, packet: &Packet<'_>) -> Vec<u8> {
    let mut bytes = vec![0u8; packet.encoded_len()];
    let n = packet
        .encode(&mut bytes)
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(n, bytes.len(), "{name}: encoded_len");
    bytes
}

fn check_message(name: &str, address: &str, args: &[Arg<'_>]) {
    let packet = Packet::Message(Message::new(address, args));
    let bytes = encode_packet(name, &packet);
    rosc_reads(name, &bytes, &packet);
}

#[test]
fn osc_core_encodes_rosc_decodes() {
    use Arg::{Array, Blob, Bool, Char, Double, Float, Impulse, Int, Long, Nil, Time};
    check_message(
        "int",
        "/types/int",
        &[Int(i32::MIN), Int(-1), Int(0), Int(i32::MAX)],
    );
    check_message(
        "float",
        "/types/float",
        &[
            Float(0.5),
            Float(-0.0),
            Float(0.1),
            Float(f32::INFINITY),
            Float(f32::NEG_INFINITY),
            Float(f32::NAN),
            Float(f32::MAX),
            Float(f32::from_bits(1)),
        ],
    );
    check_message(
        "string",
        "/types/string",
        &[
            Arg::String(""),
            Arg::String("a"),
            Arg::String("ab"),
            Arg::String("abc"),
            Arg::String("abcd"),
            Arg::String("abcde"),
            Arg::String("h\u{e9}llo \u{65e5}\u{672c} \u{1f39b}"),
        ],
    );
    let big: Vec<u8> = (0..=255).collect();
    check_message(
        "blob",
        "/types/blob",
        &[
            Blob(&[]),
            Blob(&[1]),
            Blob(&[1, 2]),
            Blob(&[1, 2, 3]),
            Blob(&[1, 2, 3, 4]),
            Blob(&[0; 5]),
            Blob(&big),
        ],
    );
    check_message(
        "time",
        "/types/time",
        &[
            Time(TimeTag::IMMEDIATELY),
            Time(TimeTag::from_bits(0)),
            Time(TimeTag::new(3_900_000_000, 0x8000_0000)),
            Time(TimeTag::from_bits(u64::MAX)),
        ],
    );
    check_message(
        "long",
        "/types/long",
        &[Long(i64::MIN), Long(0), Long(i64::MAX)],
    );
    check_message(
        "double",
        "/types/double",
        &[
            Double(0.1),
            Double(-0.0),
            Double(f64::MAX),
            Double(f64::from_bits(1)),
            Double(f64::INFINITY),
            Double(f64::NAN),
        ],
    );
    check_message(
        "char",
        "/types/char",
        &[
            Char('A'),
            Char('\u{e9}'),
            Char('\u{1f600}'),
            Char('\0'),
            Char(char::MAX),
        ],
    );
    check_message(
        "color",
        "/types/color",
        &[
            Arg::Color(Color::from_u32(0)),
            Arg::Color(Color::from_u32(0xff00_00ff)),
            Arg::Color(Color {
                red: 0x12,
                green: 0x34,
                blue: 0x56,
                alpha: 0x78,
            }),
        ],
    );
    check_message(
        "midi",
        "/types/midi",
        &[
            Arg::Midi(Midi {
                port: 0,
                status: 0x90,
                data1: 60,
                data2: 127,
            }),
            Arg::Midi(Midi::from_bytes([255; 4])),
        ],
    );
    check_message("bool", "/types/bool", &[Bool(true), Bool(false)]);
    let flat = [Int(1), Float(2.5), Arg::String("x")];
    let deepest = [Bool(true), Nil];
    let deep = [Int(1), Array(Args::from_slice(&deepest))];
    let nested = [
        Array(Args::from_slice(&deep)),
        Arg::String("y"),
        Array(Args::empty()),
    ];
    check_message(
        "array",
        "/types/array",
        &[
            Int(7),
            Array(Args::empty()),
            Array(Args::from_slice(&flat)),
            Array(Args::from_slice(&nested)),
            Arg::String("after"),
        ],
    );
    check_message("nil", "/types/nil", &[Nil, Nil]);
    check_message("impulse", "/types/impulse", &[Impulse, Int(1), Impulse]);
    check_message("no_args", "/no/args", &[]);
    check_message("address_len4", "/abc", &[Int(1)]);

    // Every type rosc knows in one message, written by MessageBuilder.
    let inner = [Int(1), Array(Args::from_slice(&[Arg::String("nested")]))];
    let all = [
        Int(-42),
        Float(0.5),
        Arg::String("str"),
        Blob(&[0xde, 0xad, 0xbe, 0xef, 1]),
        Time(TimeTag::new(3_900_000_000, 0x8000_0000)),
        Long(-(1 << 40)),
        Double(0.2),
        Char('x'),
        Arg::Color(Color::from_u32(0x3366_99cc)),
        Arg::Midi(Midi::from_bytes([3, 0x91, 64, 100])),
        Bool(true),
        Bool(false),
        Array(Args::from_slice(&inner)),
        Nil,
        Impulse,
    ];
    let mut buf = [0u8; 256];
    let n = MessageBuilder::new(&mut buf, "/all/types")
        .and_then(|b| b.args(all.iter().copied()))
        .and_then(MessageBuilder::finish)
        .unwrap();
    rosc_reads(
        "all_types_builder",
        &buf[..n],
        &Packet::Message(Message::new("/all/types", &all)),
    );

    // Bundles, by Bundle::encode.
    let one = [Int(1)];
    let a = Packet::Message(Message::new("/a", &one));
    let b = Packet::Message(Message::new("/b", &[]));
    let all_msg = Packet::Message(Message::new("/all", &all));
    for (name, bundle) in [
        (
            "bundle_immediately",
            Bundle::new(TimeTag::IMMEDIATELY, &[a, b]),
        ),
        (
            "bundle_timed",
            Bundle::new(TimeTag::new(3_900_000_000, 0x8000_0000), &[all_msg]),
        ),
        ("bundle_empty", Bundle::new(TimeTag::IMMEDIATELY, &[])),
    ] {
        let packet = Packet::Bundle(bundle);
        rosc_reads(name, &encode_packet(name, &packet), &packet);
    }
    let inner_most = [Packet::Message(Message::new("/inner", &[Impulse]))];
    let middle_msg = [Arg::String("m")];
    let middle = [
        Packet::Message(Message::new("/middle", &middle_msg)),
        Packet::Bundle(Bundle::new(TimeTag::IMMEDIATELY, &inner_most)),
        Packet::Bundle(Bundle::new(TimeTag::new(7, 8), &[])),
    ];
    let outer = [
        Packet::Message(Message::new("/outer", &one)),
        Packet::Bundle(Bundle::new(TimeTag::new(3_900_000_001, 5), &middle)),
        Packet::Message(Message::new("/last", &[])),
    ];
    let nested = Packet::Bundle(Bundle::new(TimeTag::new(3_900_000_000, 0), &outer));
    rosc_reads(
        "bundle_nested",
        &encode_packet("bundle_nested", &nested),
        &nested,
    );

    // The same nested bundle written in place by BundleBuilder.
    let mut buf = [0u8; 512];
    let n = BundleBuilder::new(&mut buf, TimeTag::new(3_900_000_000, 0))
        .and_then(|b| b.message_with("/outer", |m| m.int(1)))
        .and_then(|b| {
            b.bundle_with(TimeTag::new(3_900_000_001, 5), |b| {
                b.message_with("/middle", |m| m.string("m"))?
                    .bundle_with(TimeTag::IMMEDIATELY, |b| {
                        b.message_with("/inner", |m| m.impulse())
                    })?
                    .bundle_with(TimeTag::new(7, 8), |b| Ok(b))
            })
        })
        .and_then(|b| b.message(&Message::new("/last", &[])))
        .and_then(BundleBuilder::finish)
        .unwrap();
    rosc_reads("bundle_nested_builder", &buf[..n], &nested);
}

// ---------------------------------------------------------------------------------------------------------
// Golden vectors
// ---------------------------------------------------------------------------------------------------------

#[test]
fn rosc_writes_the_golden_vectors() {
    use OscType::*;
    let w1 = || {
        msg(
            "/synth/1/freq",
            vec![Int(440), Float(0.5), String("sine".into())],
        )
    };
    let w2 = msg(
        "/mixer/channel/12/eq/band/3",
        vec![
            Int(-123_456_789),
            Float(1234.5),
            Double(std::f64::consts::E),
            Long(1_234_567_890_123_456_789),
            String("abcdefghijklmnopqrstuvwx".into()),
            Blob((0..64).collect()),
            Bool(true),
            Bool(false),
            Nil,
            time(3_900_000_000, 0x8000_0000),
        ],
    );
    let w3 = bundle(
        0,
        1,
        (0..16)
            .map(|k| {
                msg(
                    "/synth/1/freq",
                    vec![Int(440 + k), Float(0.5), String("sine".into())],
                )
            })
            .collect(),
    );
    let w4 = msg(
        "/data/blob",
        vec![Blob((0..8192).map(|i: u32| i as u8).collect())],
    );
    for (name, packet) in [("W1", w1()), ("W2", w2), ("W3", w3), ("W4", w4)] {
        let want = golden(name);
        let bytes = encoder::encode(&packet).unwrap();
        assert_eq!(
            to_hex(&bytes),
            to_hex(&want),
            "{name}: rosc's bytes differ from the golden vector"
        );
        let ours = DecodeConfig::strict().decode(&want).unwrap();
        assert_same_packet(name, &ours, &packet);
        let (_, theirs) = decoder::decode_udp(&want).unwrap();
        assert_same_packet(name, &ours, &theirs);
    }
}

// ---------------------------------------------------------------------------------------------------------
// rosc's known deviations, next to what osc-core does
// ---------------------------------------------------------------------------------------------------------

#[test]
fn rosc_quirks() {
    let strict = DecodeConfig::strict();

    // §4.1 #7: a message without a type-tag string (OSC 1.0 asks receivers to cope; the Behringer X32
    // sends these). rosc: an error. osc-core: zero arguments by default, an error in the strict profile.
    let no_tags = b"/ping\0\0\0";
    assert!(
        decoder::decode_udp(no_tags).is_err(),
        "rosc now reads a message without type tags"
    );
    let m = decode(no_tags).unwrap().into_message().unwrap();
    assert_eq!((m.address(), m.args().len()), ("/ping", 0));
    assert_eq!(
        strict.decode(no_tags).unwrap_err().kind(),
        DecodeErrorKind::MissingTypeTags
    );

    // §4.1 #8: a type-tag string without its leading comma. rosc silently drops the first tag and ignores
    // the data. osc-core: the strict profile rejects it.
    let no_comma = b"/a\0\0i\0\0\0\0\0\0\x05";
    let (_, p) = decoder::decode_udp(no_comma).unwrap();
    match p {
        OscPacket::Message(m) => assert!(m.args.is_empty(), "rosc: {m:?}"),
        other => panic!("rosc: {other:?}"),
    }
    assert_eq!(
        strict.decode(no_comma).unwrap_err().kind(),
        DecodeErrorKind::BadTypeTagString
    );

    // §4.1 #9: rosc encodes a string with an interior NUL into a malformed packet (the rest of the string
    // becomes "padding"). osc-core refuses to encode such a string, and its strict profile rejects rosc's bytes.
    let nul = encoder::encode(&msg("/s", vec![OscType::String("a\0bc".into())])).unwrap();
    assert_eq!(
        strict.decode(&nul).unwrap_err().kind(),
        DecodeErrorKind::NonZeroPadding
    );
    let mut buf = [0u8; 64];
    assert_eq!(
        Message::new("/s", &[Arg::String("a\0bc")]).encode(&mut buf),
        Err(EncodeError::StringHasNul { offset: 1 })
    );

    // §4.1 #9: rosc encodes an address without the leading '/'. Nobody can read that as a message: osc-core
    // reports it, and refuses to encode such an address.
    let no_slash = encoder::encode(&msg("no/slash", vec![])).unwrap();
    assert_eq!(
        decode(&no_slash).unwrap_err().kind(),
        DecodeErrorKind::NotOscPacket
    );
    assert_eq!(
        Message::new("no/slash", &[]).encode(&mut buf),
        Err(EncodeError::AddressNoSlash)
    );

    // rosc has no `S` (symbol) type: it rejects our (valid) symbol argument.
    let sym = Message::new("/sym", &[Arg::Symbol("name")]);
    let n = sym.encode(&mut buf).unwrap();
    assert!(decoder::decode_udp(&buf[..n]).is_err(), "rosc now reads S");
    assert_eq!(decode(&buf[..n]).unwrap().into_message().unwrap(), sym);

    // §4.1 #6: rosc decodes nested bundles recursively without a limit (a deep enough datagram overflows the
    // stack). osc-core validates iteratively with a depth limit: 20 levels written by rosc are refused by
    // default (limit 16) and read with a raised limit.
    let mut deep = bundle(0, 1, vec![msg("/deepest", vec![OscType::Int(20)])]);
    for _ in 1..20 {
        deep = bundle(0, 1, vec![deep]);
    }
    let bytes = encoder::encode(&deep).unwrap();
    assert_eq!(
        decode(&bytes).unwrap_err().kind(),
        DecodeErrorKind::DepthExceeded
    );
    let ours = DecodeConfig::new().max_depth(20).decode(&bytes).unwrap();
    assert_same_packet("deep", &ours, &deep);
}
