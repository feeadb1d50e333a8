//! Golden vectors: the benchmark workloads W1–W4 and D2 (shared/bench/WORKLOADS.md) and the OSC 1.0
//! specification's own examples decode to the documented values and encode back to identical bytes.

mod common;

use common::{digest, hex, w1_args};
use osc_core::{
    decode, Arg, Bundle, BundleBuilder, DecodeConfig, Message, MessageBuilder, Packet, TimeTag,
};

const EXPECTED: &str = include_str!("vectors/expected.json");

fn expected_digest(name: &str) -> u64 {
    let key = format!("\"{name}\": \"");
    let start = EXPECTED.find(&key).expect("digest listed") + key.len();
    let end = EXPECTED[start..].find('"').expect("closing quote") + start;
    EXPECTED[start..end].parse().expect("a number")
}

fn reencode(p: &Packet<'_>) -> Vec<u8> {
    let mut out = vec![0u8; p.encoded_len()];
    let n = p.encode(&mut out).expect("re-encode");
    assert_eq!(n, out.len());
    out
}

#[test]
fn w1_small_message() {
    let bytes = hex(include_str!("vectors/W1.hex"));
    assert_eq!(bytes.len(), 40);
    let p = decode(&bytes).unwrap();
    assert_eq!(digest(&p, true), expected_digest("W1"));
    let m = p.as_message().unwrap();
    assert_eq!(m.address(), "/synth/1/freq");
    assert_eq!(m.get::<(i32, f32, &str)>(), Ok((440, 0.5, "sine")));
    assert_eq!(reencode(&p), bytes);

    let args = w1_args(440);
    let msg = Message::new("/synth/1/freq", &args);
    let mut buf = [0u8; 64];
    let n = msg.encode(&mut buf).unwrap();
    assert_eq!(&buf[..n], &bytes[..]);
    let n = MessageBuilder::new(&mut buf, "/synth/1/freq")
        .and_then(|b| b.int(440)?.float(0.5)?.string("sine"))
        .and_then(MessageBuilder::finish)
        .unwrap();
    assert_eq!(&buf[..n], &bytes[..]);
}

fn w2_blob() -> [u8; 64] {
    core::array::from_fn(|i| i as u8)
}

#[test]
fn w2_mixed_message() {
    let bytes = hex(include_str!("vectors/W2.hex"));
    assert_eq!(bytes.len(), 168);
    let p = decode(&bytes).unwrap();
    assert_eq!(digest(&p, true), expected_digest("W2"));
    let blob = w2_blob();
    let tt = TimeTag::new(3_900_000_000, 0x8000_0000);
    let args = [
        Arg::Int(-123_456_789),
        Arg::Float(1234.5),
        Arg::Double(core::f64::consts::E),
        Arg::Long(1_234_567_890_123_456_789),
        Arg::String("abcdefghijklmnopqrstuvwx"),
        Arg::Blob(&blob),
        Arg::Bool(true),
        Arg::Bool(false),
        Arg::Nil,
        Arg::Time(tt),
    ];
    let want = Message::new("/mixer/channel/12/eq/band/3", &args);
    assert_eq!(p, Packet::Message(want));
    assert_eq!(
        p.as_message().unwrap().args().type_tags(),
        Some("ifdhsbTFNt")
    );
    let mut buf = [0u8; 256];
    let n = want.encode(&mut buf).unwrap();
    assert_eq!(&buf[..n], &bytes[..]);
    assert_eq!(reencode(&p), bytes);
}

#[test]
fn w3_bundle() {
    let bytes = hex(include_str!("vectors/W3.hex"));
    assert_eq!(bytes.len(), 720);
    let p = decode(&bytes).unwrap();
    assert_eq!(digest(&p, true), expected_digest("W3"));
    let b = p.as_bundle().unwrap();
    assert_eq!(b.timetag(), TimeTag::IMMEDIATELY);
    for (i, e) in b.elements().enumerate() {
        let m = e.into_message().unwrap();
        assert_eq!(m.address(), "/synth/1/freq");
        assert_eq!(
            m.get::<(i32, f32, &str)>(),
            Ok((440 + i as i32, 0.5, "sine"))
        );
    }
    assert_eq!(b.elements().count(), 16);

    let argv: Vec<[Arg<'_>; 3]> = (0..16).map(|i| w1_args(440 + i)).collect();
    let elems: Vec<Packet<'_>> = argv
        .iter()
        .map(|a| Packet::Message(Message::new("/synth/1/freq", a)))
        .collect();
    let bundle = Bundle::new(TimeTag::IMMEDIATELY, &elems);
    let mut buf = [0u8; 1024];
    let n = bundle.encode(&mut buf).unwrap();
    assert_eq!(&buf[..n], &bytes[..]);
    assert_eq!(p, Packet::Bundle(bundle));

    let mut bb = BundleBuilder::new(&mut buf, TimeTag::IMMEDIATELY).unwrap();
    for i in 0..16 {
        bb = bb
            .message_with("/synth/1/freq", |m| {
                m.int(440 + i)?.float(0.5)?.string("sine")
            })
            .unwrap();
    }
    let n = bb.finish().unwrap();
    assert_eq!(&buf[..n], &bytes[..]);
}

#[test]
fn w4_large_blob() {
    let bytes = hex(include_str!("vectors/W4.hex"));
    assert_eq!(bytes.len(), 8212);
    let p = decode(&bytes).unwrap();
    assert_eq!(digest(&p, true), expected_digest("W4"));
    let data: Vec<u8> = (0..8192).map(|k| (k & 0xff) as u8).collect();
    let (blob,): (&[u8],) = p.as_message().unwrap().get().unwrap();
    assert_eq!(blob, &data[..]);
    // Zero-copy: the blob points into the input.
    assert_eq!(blob.as_ptr(), bytes[20..].as_ptr());
    let args = [Arg::Blob(&data)];
    let mut buf = vec![0u8; 8212];
    let n = Message::new("/data/blob", &args).encode(&mut buf).unwrap();
    assert_eq!(&buf[..n], &bytes[..]);
}

#[test]
fn d2_pattern_message() {
    let bytes = hex(include_str!("vectors/D2.hex"));
    assert_eq!(bytes.len(), 48);
    let m = decode(&bytes).unwrap().into_message().unwrap();
    assert_eq!(m.address(), "/synth/*/{freq,gain}");
    assert_eq!(m.get::<(i32, f32, &str)>(), Ok((440, 0.5, "sine")));
}

/// The examples of the OSC 1.0 specification, byte for byte.
#[test]
fn spec_examples() {
    // OSC-string examples.
    let m = Message::new("/OSC", &[]);
    let mut buf = [0u8; 64];
    let n = m.encode(&mut buf).unwrap();
    assert_eq!(&buf[..8], b"/OSC\0\0\0\0");
    assert_eq!(n, 12);

    // "/oscillator/4/frequency" ,f 440.0
    let bytes = [
        0x2f, 0x6f, 0x73, 0x63, 0x69, 0x6c, 0x6c, 0x61, 0x74, 0x6f, 0x72, 0x2f, 0x34, 0x2f, 0x66,
        0x72, 0x65, 0x71, 0x75, 0x65, 0x6e, 0x63, 0x79, 0x00, 0x2c, 0x66, 0x00, 0x00, 0x43, 0xdc,
        0x00, 0x00,
    ];
    let args = [Arg::Float(440.0)];
    let msg = Message::new("/oscillator/4/frequency", &args);
    let n = msg.encode(&mut buf).unwrap();
    assert_eq!(&buf[..n], &bytes[..]);
    assert_eq!(decode(&bytes).unwrap(), Packet::Message(msg));

    // "/foo" ,iisff 1000 -1 "hello" 1.234 5.678
    let bytes = [
        0x2f, 0x66, 0x6f, 0x6f, 0x00, 0x00, 0x00, 0x00, 0x2c, 0x69, 0x69, 0x73, 0x66, 0x66, 0x00,
        0x00, 0x00, 0x00, 0x03, 0xe8, 0xff, 0xff, 0xff, 0xff, 0x68, 0x65, 0x6c, 0x6c, 0x6f, 0x00,
        0x00, 0x00, 0x3f, 0x9d, 0xf3, 0xb6, 0x40, 0xb5, 0xb2, 0x2d,
    ];
    let args = [
        Arg::Int(1000),
        Arg::Int(-1),
        Arg::String("hello"),
        Arg::Float(1.234),
        Arg::Float(5.678),
    ];
    let msg = Message::new("/foo", &args);
    let n = msg.encode(&mut buf).unwrap();
    assert_eq!(&buf[..n], &bytes[..]);
    assert_eq!(decode(&bytes).unwrap(), Packet::Message(msg));
    // Both profiles accept spec-conforming packets.
    assert!(DecodeConfig::strict().decode(&bytes).is_ok());
}
