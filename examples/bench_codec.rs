//! Codec benchmark of WORKLOADS.md: W1–W4 encode and decode, for osc-core and for rosc 0.11.4,
//! in the same run. Prints one JSON result line per (peer, workload, op).
//!
//! ```text
//! cargo run --release -p osc-examples --example bench_codec [-- --quick]
//! ```
//!
//! `OSC_BENCH_SCALE` scales the iteration counts (`--quick`: 0.1), `OSC_BENCH_REPS` sets the
//! repetitions (7). Before timing, each encoder's output is checked against the golden bytes and
//! each decoder's digest against `expected.json`.

use std::hint::black_box;

use osc_core::{Arg, Bundle, Message, Packet, TimeTag};
use osc_examples::bench::{self, consume, expected, CountingAlloc, Protocol};
use rosc::{OscBundle, OscMessage, OscPacket, OscTime, OscType};

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc::new();

// ---------------------------------------------------------------------------------------------
// The workloads' values
// ---------------------------------------------------------------------------------------------

const W1_ADDR: &str = "/synth/1/freq";
const W2_ADDR: &str = "/mixer/channel/12/eq/band/3";
const W2_STR: &str = "abcdefghijklmnopqrstuvwx";
const W2_TIME: (u32, u32) = (3_900_000_000, 0x8000_0000);
const W4_ADDR: &str = "/data/blob";

fn w2_blob() -> [u8; 64] {
    std::array::from_fn(|k| k as u8)
}

fn w4_blob() -> Vec<u8> {
    (0..8192).map(|k| (k & 0xff) as u8).collect()
}

// ---------------------------------------------------------------------------------------------
// Digests
// ---------------------------------------------------------------------------------------------

fn osc_term(a: Arg<'_>, blob_sum: bool) -> u64 {
    match a {
        Arg::Int(v) => i64::from(v) as u64,
        Arg::Long(v) => v as u64,
        Arg::Float(v) => u64::from(v.to_bits()),
        Arg::Double(v) => v.to_bits(),
        Arg::String(s) => s.len() as u64,
        Arg::Blob(b) => {
            let sum = if blob_sum {
                b.iter().map(|&x| u64::from(x)).sum()
            } else {
                0
            };
            (b.len() as u64).wrapping_add(sum)
        }
        Arg::Bool(true) => 1,
        Arg::Bool(false) => 2,
        Arg::Nil => 3,
        Arg::Time(t) => t.to_bits(),
        _ => 0,
    }
}

fn osc_digest(p: &Packet<'_>, blob_sum: bool) -> u64 {
    match p {
        Packet::Message(m) => m.args().into_iter().fold(m.address().len() as u64, |d, a| {
            d.wrapping_add(osc_term(a, blob_sum))
        }),
        Packet::Bundle(b) => b.elements().fold(b.timetag().to_bits(), |d, e| {
            d.wrapping_add(osc_digest(&e, blob_sum))
        }),
    }
}

fn rosc_term(a: &OscType, blob_sum: bool) -> u64 {
    match a {
        OscType::Int(v) => i64::from(*v) as u64,
        OscType::Long(v) => *v as u64,
        OscType::Float(v) => u64::from(v.to_bits()),
        OscType::Double(v) => v.to_bits(),
        OscType::String(s) => s.len() as u64,
        OscType::Blob(b) => {
            let sum = if blob_sum {
                b.iter().map(|&x| u64::from(x)).sum()
            } else {
                0
            };
            (b.len() as u64).wrapping_add(sum)
        }
        OscType::Bool(true) => 1,
        OscType::Bool(false) => 2,
        OscType::Nil => 3,
        OscType::Time(t) => (u64::from(t.seconds) << 32) | u64::from(t.fractional),
        _ => 0,
    }
}

fn rosc_digest(p: &OscPacket, blob_sum: bool) -> u64 {
    match p {
        OscPacket::Message(m) => m.args.iter().fold(m.addr.len() as u64, |d, a| {
            d.wrapping_add(rosc_term(a, blob_sum))
        }),
        OscPacket::Bundle(b) => {
            let t = (u64::from(b.timetag.seconds) << 32) | u64::from(b.timetag.fractional);
            b.content
                .iter()
                .fold(t, |d, e| d.wrapping_add(rosc_digest(e, blob_sum)))
        }
    }
}

// ---------------------------------------------------------------------------------------------
// osc-core: build the values, encode into the caller's buffer
// ---------------------------------------------------------------------------------------------

fn osc_encode(workload: &str, blob2: &[u8], blob4: &[u8], out: &mut [u8]) -> usize {
    match workload {
        "W1" => Message::new(
            black_box(W1_ADDR),
            &[
                Arg::Int(black_box(440)),
                Arg::Float(black_box(0.5)),
                Arg::String(black_box("sine")),
            ],
        )
        .encode(out),
        "W2" => Message::new(
            black_box(W2_ADDR),
            &[
                Arg::Int(black_box(-123_456_789)),
                Arg::Float(black_box(1234.5)),
                Arg::Double(black_box(std::f64::consts::E)),
                Arg::Long(black_box(1_234_567_890_123_456_789)),
                Arg::String(black_box(W2_STR)),
                Arg::Blob(black_box(blob2)),
                Arg::Bool(black_box(true)),
                Arg::Bool(black_box(false)),
                Arg::Nil,
                Arg::Time(TimeTag::new(black_box(W2_TIME.0), black_box(W2_TIME.1))),
            ],
        )
        .encode(out),
        "W3" => {
            let base = black_box(440);
            let args: [[Arg<'_>; 3]; 16] = std::array::from_fn(|i| {
                [
                    Arg::Int(base + i as i32),
                    Arg::Float(black_box(0.5)),
                    Arg::String(black_box("sine")),
                ]
            });
            let elements: [Packet<'_>; 16] =
                std::array::from_fn(|i| Message::new(black_box(W1_ADDR), &args[i]).into());
            Bundle::new(TimeTag::from_bits(black_box(1)), &elements).encode(out)
        }
        "W4" => Message::new(black_box(W4_ADDR), &[Arg::Blob(black_box(blob4))]).encode(out),
        other => panic!("unknown workload {other}"),
    }
    .expect("the output buffer holds every workload")
}

// ---------------------------------------------------------------------------------------------
// rosc: build the values (owned strings and vectors), then encode
// ---------------------------------------------------------------------------------------------

fn rosc_w1(freq: i32) -> OscMessage {
    OscMessage {
        addr: black_box(W1_ADDR).to_string(),
        args: vec![
            OscType::Int(black_box(freq)),
            OscType::Float(black_box(0.5)),
            OscType::String(black_box("sine").to_string()),
        ],
    }
}

fn rosc_build(workload: &str, blob2: &[u8], blob4: &[u8]) -> OscPacket {
    match workload {
        "W1" => OscPacket::Message(rosc_w1(440)),
        "W2" => OscPacket::Message(OscMessage {
            addr: black_box(W2_ADDR).to_string(),
            args: vec![
                OscType::Int(black_box(-123_456_789)),
                OscType::Float(black_box(1234.5)),
                OscType::Double(black_box(std::f64::consts::E)),
                OscType::Long(black_box(1_234_567_890_123_456_789)),
                OscType::String(black_box(W2_STR).to_string()),
                OscType::Blob(black_box(blob2).to_vec()),
                OscType::Bool(black_box(true)),
                OscType::Bool(black_box(false)),
                OscType::Nil,
                OscType::Time(OscTime::from((black_box(W2_TIME.0), black_box(W2_TIME.1)))),
            ],
        }),
        "W3" => OscPacket::Bundle(OscBundle {
            timetag: OscTime::from((0, black_box(1))),
            content: (0..16)
                .map(|i| OscPacket::Message(rosc_w1(black_box(440) + i)))
                .collect(),
        }),
        "W4" => OscPacket::Message(OscMessage {
            addr: black_box(W4_ADDR).to_string(),
            args: vec![OscType::Blob(black_box(blob4).to_vec())],
        }),
        other => panic!("unknown workload {other}"),
    }
}

fn main() {
    let protocol = Protocol::from_env();
    let blob2 = w2_blob();
    let blob4 = w4_blob();
    let mut out = vec![0u8; 16 * 1024];
    let mut reused: Vec<u8> = Vec::new();
    for name in ["W1", "W2", "W3", "W4"] {
        let golden = bench::vector(name).bytes;
        let digest = expected("digests", name);
        let digest_check = format!("digest {digest}");

        // osc-core encode.
        let n = osc_encode(name, &blob2, &blob4, &mut out);
        let ok = out[..n] == golden[..];
        bench::run_codec(
            &protocol,
            &ALLOC,
            "osc",
            name,
            "encode",
            "golden bytes",
            ok,
            || consume(osc_encode(name, &blob2, &blob4, black_box(&mut out))),
        );

        // rosc encode: build + encode (a new Vec), build + encode_into a reused Vec, and
        // encode_into of a packet built once.
        let bytes = rosc::encoder::encode(&rosc_build(name, &blob2, &blob4)).unwrap();
        let ok = bytes == golden;
        bench::run_codec(
            &protocol,
            &ALLOC,
            "rosc",
            name,
            "encode",
            "golden bytes",
            ok,
            || consume(rosc::encoder::encode(&rosc_build(name, &blob2, &blob4)).unwrap()),
        );
        bench::run_codec(
            &protocol,
            &ALLOC,
            "rosc/encode_into",
            name,
            "encode",
            "golden bytes",
            ok,
            || {
                let packet = rosc_build(name, &blob2, &blob4);
                reused.clear();
                consume(rosc::encoder::encode_into(&packet, &mut reused).unwrap());
            },
        );
        let built = rosc_build(name, &blob2, &blob4);
        bench::run_codec(
            &protocol,
            &ALLOC,
            "rosc/prebuilt",
            name,
            "encode",
            "golden bytes",
            ok,
            || {
                reused.clear();
                consume(rosc::encoder::encode_into(black_box(&built), &mut reused).unwrap());
            },
        );

        // Decode: parse, then read every argument of every message.
        let ok = osc_core::decode(&golden).map(|p| osc_digest(&p, true)) == Ok(digest);
        bench::run_codec(
            &protocol,
            &ALLOC,
            "osc",
            name,
            "decode",
            &digest_check,
            ok,
            || {
                consume(osc_core::decode(black_box(&golden)).map(|p| osc_digest(&p, false)));
            },
        );
        let ok = rosc::decoder::decode_udp(&golden)
            .map(|(_, p)| rosc_digest(&p, true))
            .ok()
            == Some(digest);
        bench::run_codec(
            &protocol,
            &ALLOC,
            "rosc",
            name,
            "decode",
            &digest_check,
            ok,
            || {
                consume(
                    rosc::decoder::decode_udp(black_box(&golden))
                        .map(|(_, p)| rosc_digest(&p, false)),
                );
            },
        );
    }
}
