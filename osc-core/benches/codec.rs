//! Codec benchmarks: workloads W1–W4 of `shared/bench/WORKLOADS.md`, osc-core and rosc in the same run.
//!
//! Results read `W<n>/<op>/<variant>`:
//!
//! - `W<n>/decode/osc-core`, `W<n>/decode/rosc`: parse the golden bytes, read every argument of every
//!   message (scalars by value, strings and blobs as pointer + length), walk bundles element by element,
//!   fold the WORKLOADS digest (without the blob byte sum) and `black_box` it.
//! - `W<n>/encode/osc-core`: `Message::new`/`Bundle::new` (values and element arrays built inside the op),
//!   then `encode` into a stack buffer. The buffer is the caller's, declared once per benchmark and
//!   reused, as with oscpack's `OutboundPacketStream`: the API writes into it and allocates nothing.
//! - `W<n>/encode/osc-core-builder`: `MessageBuilder`/`BundleBuilder` into the same kind of buffer.
//! - `W<n>/encode/rosc`: build an `OscPacket` (owned `String`s and `Vec`s) + `encoder::encode` (a new `Vec`).
//! - `W<n>/encode/rosc-build-encode_into`: build + `encoder::encode_into` a reused `Vec`.
//! - `W<n>/encode/rosc-prebuilt-encode_into`: `encoder::encode_into` of an already-built packet.
//!
//! Inputs (constants, the blob data and the golden bytes) pass through `black_box` inside every op, so
//! neither library gets constant-folded. Before timing, every encode variant's output is compared with
//! the golden bytes and every decoder's digest (with the blob byte sum) with `expected.json`; a mismatch
//! panics. `benches/ratios.sh` runs this and prints the osc-core/rosc ratio table.

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkGroup, Criterion};
use osc_core::{Arg, Bundle, BundleBuilder, Message, MessageBuilder, Packet, TimeTag};
use rosc::{OscBundle, OscMessage, OscPacket, OscTime, OscType};

// ---------------------------------------------------------------------------------------------------
// Golden bytes and expected digests

const W1_HEX: &str = include_str!("../tests/vectors/W1.hex");
const W2_HEX: &str = include_str!("../tests/vectors/W2.hex");
const W3_HEX: &str = include_str!("../tests/vectors/W3.hex");
const W4_HEX: &str = include_str!("../tests/vectors/W4.hex");
const EXPECTED_JSON: &str = include_str!("../tests/vectors/expected.json");

fn unhex(s: &str) -> Vec<u8> {
    let s = s.trim();
    assert!(s.len().is_multiple_of(2), "odd hex length");
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex digit"))
        .collect()
}

/// The digest of `workload` from `expected.json` (`"W1": "1056965065"` inside `"digests"`).
fn expected_digest(workload: &str) -> u64 {
    let digests = &EXPECTED_JSON[EXPECTED_JSON.find("\"digests\"").expect("digests")..];
    let key = format!("\"{workload}\"");
    let after = &digests[digests.find(&key).expect("workload key") + key.len()..];
    let start = after.find(|c: char| c.is_ascii_digit()).expect("digit");
    let digits: String = after[start..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().expect("u64 digest")
}

// ---------------------------------------------------------------------------------------------------
// Plain input values

const W1_ADDR: &str = "/synth/1/freq";
const W2_ADDR: &str = "/mixer/channel/12/eq/band/3";
const W4_ADDR: &str = "/data/blob";

/// The argument values of W1 (and of each W3 element, whose int is `440 + i`).
#[derive(Clone, Copy)]
struct W1In {
    addr: &'static str,
    i: i32,
    f: f32,
    s: &'static str,
}

/// The argument values of W2.
#[derive(Clone, Copy)]
struct W2In {
    addr: &'static str,
    i: i32,
    f: f32,
    d: f64,
    h: i64,
    s: &'static str,
    b: &'static [u8],
    t_sec: u32,
    t_frac: u32,
}

/// The argument values of W4.
#[derive(Clone, Copy)]
struct W4In {
    addr: &'static str,
    b: &'static [u8],
}

const fn counting_bytes<const N: usize>() -> [u8; N] {
    let mut a = [0u8; N];
    let mut k = 0;
    while k < N {
        a[k] = (k & 0xff) as u8;
        k += 1;
    }
    a
}

static BLOB64: [u8; 64] = counting_bytes::<64>();
static BLOB8K: [u8; 8192] = counting_bytes::<8192>();

const W1_IN: W1In = W1In {
    addr: W1_ADDR,
    i: 440,
    f: 0.5,
    s: "sine",
};

static W2_IN: W2In = W2In {
    addr: W2_ADDR,
    i: -123_456_789,
    f: 1234.5,
    d: core::f64::consts::E, // 2.718281828459045, bits 4005bf0a8b145769
    h: 1_234_567_890_123_456_789,
    s: "abcdefghijklmnopqrstuvwx",
    b: &BLOB64,
    t_sec: 3_900_000_000,
    t_frac: 0x8000_0000,
};

static W4_IN: W4In = W4In {
    addr: W4_ADDR,
    b: &BLOB8K,
};

/// W3's bundle timetag: seconds 0, fraction 1.
const W3_TT: (u32, u32) = (0, 1);
const W3_N: usize = 16;

// ---------------------------------------------------------------------------------------------------
// Digests. `ptrs` folds the string/blob pointers so that they are read as pointer + length.

#[derive(Default)]
struct Acc {
    digest: u64,
    ptrs: usize,
}

impl Acc {
    #[inline(always)]
    fn add(&mut self, v: u64) {
        self.digest = self.digest.wrapping_add(v);
    }

    #[inline(always)]
    fn str(&mut self, s: &str) {
        self.ptrs ^= s.as_ptr() as usize;
        self.add(s.len() as u64);
    }

    /// Hands both words to `black_box` one by one. As a pair they were stored as two words and
    /// reloaded as one 16-byte value (x86-64, as compiled here), which store-to-load forwarding
    /// cannot serve: a stall of a few nanoseconds in every op, which is neither library's work.
    #[inline(always)]
    fn sink(self) {
        black_box(self.digest);
        black_box(self.ptrs);
    }

    #[inline(always)]
    fn bytes(&mut self, b: &[u8], blob_sum: bool) {
        self.ptrs ^= b.as_ptr() as usize;
        self.add(b.len() as u64);
        if blob_sum {
            self.add(b.iter().map(|&x| u64::from(x)).sum());
        }
    }
}

#[inline(always)]
fn core_arg(acc: &mut Acc, a: Arg<'_>, blob_sum: bool) {
    match a {
        Arg::Int(v) => acc.add(i64::from(v) as u64),
        Arg::Long(v) => acc.add(v as u64),
        Arg::Float(v) => acc.add(u64::from(v.to_bits())),
        Arg::Double(v) => acc.add(v.to_bits()),
        Arg::String(s) | Arg::Symbol(s) => acc.str(s),
        Arg::Blob(b) => acc.bytes(b, blob_sum),
        Arg::Bool(true) => acc.add(1),
        Arg::Bool(false) => acc.add(2),
        Arg::Nil => acc.add(3),
        Arg::Time(t) => acc.add(t.to_bits()),
        Arg::Char(c) => acc.add(u64::from(c)),
        Arg::Color(c) => acc.add(u64::from(c.to_u32())),
        Arg::Midi(m) => acc.add(u64::from(u32::from_be_bytes(m.to_bytes()))),
        Arg::Impulse => acc.add(4),
        Arg::Array(inner) => core_array(acc, inner, blob_sum),
    }
}

/// Arrays (none in W1–W4) recurse out of line.
#[inline(never)]
fn core_array(acc: &mut Acc, inner: osc_core::Args<'_>, blob_sum: bool) {
    for a in inner {
        core_arg(acc, a, blob_sum);
    }
}

#[inline(always)]
fn core_message(acc: &mut Acc, m: &Message<'_>, blob_sum: bool) {
    acc.str(m.address());
    for a in m.iter() {
        core_arg(acc, a, blob_sum);
    }
}

#[inline(always)]
fn core_packet(acc: &mut Acc, p: &Packet<'_>, blob_sum: bool) {
    match p {
        Packet::Message(m) => core_message(acc, m, blob_sum),
        Packet::Bundle(b) => core_bundle(acc, b, blob_sum),
    }
}

/// Bundles walk their message elements in line and recurse out of line only into nested bundles.
#[inline(never)]
fn core_bundle(acc: &mut Acc, b: &Bundle<'_>, blob_sum: bool) {
    acc.add(b.timetag().to_bits());
    for e in b.elements() {
        match &e {
            Packet::Message(m) => core_message(acc, m, blob_sum),
            Packet::Bundle(inner) => core_bundle(acc, inner, blob_sum),
        }
    }
}

/// osc-core decode op: parse, walk, digest.
#[inline(always)]
fn core_decode(bytes: &[u8], blob_sum: bool) -> Acc {
    let p = osc_core::decode(bytes).expect("osc-core decode");
    let mut acc = Acc::default();
    core_packet(&mut acc, &p, blob_sum);
    acc
}

#[inline(always)]
fn rosc_arg(acc: &mut Acc, a: &OscType, blob_sum: bool) {
    match a {
        OscType::Int(v) => acc.add(i64::from(*v) as u64),
        OscType::Long(v) => acc.add(*v as u64),
        OscType::Float(v) => acc.add(u64::from(v.to_bits())),
        OscType::Double(v) => acc.add(v.to_bits()),
        OscType::String(s) => acc.str(s),
        OscType::Blob(b) => acc.bytes(b, blob_sum),
        OscType::Bool(true) => acc.add(1),
        OscType::Bool(false) => acc.add(2),
        OscType::Nil => acc.add(3),
        OscType::Time(t) => acc.add((u64::from(t.seconds) << 32) | u64::from(t.fractional)),
        OscType::Char(c) => acc.add(u64::from(*c)),
        OscType::Color(c) => acc.add(u64::from(u32::from_be_bytes([
            c.red, c.green, c.blue, c.alpha,
        ]))),
        OscType::Midi(m) => acc.add(u64::from(u32::from_be_bytes([
            m.port, m.status, m.data1, m.data2,
        ]))),
        OscType::Inf => acc.add(4),
        OscType::Array(arr) => rosc_array(acc, &arr.content, blob_sum),
    }
}

/// Arrays (none in W1–W4) recurse out of line.
#[inline(never)]
fn rosc_array(acc: &mut Acc, content: &[OscType], blob_sum: bool) {
    for a in content {
        rosc_arg(acc, a, blob_sum);
    }
}

#[inline(always)]
fn rosc_message(acc: &mut Acc, m: &OscMessage, blob_sum: bool) {
    acc.str(&m.addr);
    for a in &m.args {
        rosc_arg(acc, a, blob_sum);
    }
}

#[inline(always)]
fn rosc_packet(acc: &mut Acc, p: &OscPacket, blob_sum: bool) {
    match p {
        OscPacket::Message(m) => rosc_message(acc, m, blob_sum),
        OscPacket::Bundle(b) => rosc_bundle(acc, b, blob_sum),
    }
}

/// Bundles walk their message elements in line and recurse out of line only into nested bundles.
#[inline(never)]
fn rosc_bundle(acc: &mut Acc, b: &OscBundle, blob_sum: bool) {
    acc.add((u64::from(b.timetag.seconds) << 32) | u64::from(b.timetag.fractional));
    for e in &b.content {
        match e {
            OscPacket::Message(m) => rosc_message(acc, m, blob_sum),
            OscPacket::Bundle(inner) => rosc_bundle(acc, inner, blob_sum),
        }
    }
}

/// rosc decode op: `decode_udp`, walk, digest.
#[inline(always)]
fn rosc_decode(bytes: &[u8], blob_sum: bool) -> Acc {
    let (_, p) = rosc::decoder::decode_udp(bytes).expect("rosc decode");
    let mut acc = Acc::default();
    rosc_packet(&mut acc, &p, blob_sum);
    acc
}

// ---------------------------------------------------------------------------------------------------
// osc-core encode: Message/Bundle values + encode, and the builders

fn core_encode_w1(inp: &W1In, buf: &mut [u8]) -> usize {
    let args = [Arg::Int(inp.i), Arg::Float(inp.f), Arg::String(inp.s)];
    Message::new(inp.addr, &args)
        .encode(buf)
        .expect("osc-core encode")
}

fn core_build_w1(inp: &W1In, buf: &mut [u8]) -> usize {
    MessageBuilder::new(buf, inp.addr)
        .and_then(|m| m.int(inp.i))
        .and_then(|m| m.float(inp.f))
        .and_then(|m| m.string(inp.s))
        .and_then(MessageBuilder::finish)
        .expect("osc-core builder")
}

fn core_encode_w2(inp: &W2In, buf: &mut [u8]) -> usize {
    let args = [
        Arg::Int(inp.i),
        Arg::Float(inp.f),
        Arg::Double(inp.d),
        Arg::Long(inp.h),
        Arg::String(inp.s),
        Arg::Blob(inp.b),
        Arg::Bool(true),
        Arg::Bool(false),
        Arg::Nil,
        Arg::Time(TimeTag::new(inp.t_sec, inp.t_frac)),
    ];
    Message::new(inp.addr, &args)
        .encode(buf)
        .expect("osc-core encode")
}

fn core_build_w2(inp: &W2In, buf: &mut [u8]) -> usize {
    MessageBuilder::new(buf, inp.addr)
        .and_then(|m| m.int(inp.i))
        .and_then(|m| m.float(inp.f))
        .and_then(|m| m.double(inp.d))
        .and_then(|m| m.long(inp.h))
        .and_then(|m| m.string(inp.s))
        .and_then(|m| m.blob(inp.b))
        .and_then(|m| m.bool(true))
        .and_then(|m| m.bool(false))
        .and_then(MessageBuilder::nil)
        .and_then(|m| m.time(TimeTag::new(inp.t_sec, inp.t_frac)))
        .and_then(MessageBuilder::finish)
        .expect("osc-core builder")
}

fn core_encode_w3(inp: &W1In, buf: &mut [u8]) -> usize {
    let args: [[Arg<'_>; 3]; W3_N] = core::array::from_fn(|k| {
        [
            Arg::Int(inp.i + k as i32),
            Arg::Float(inp.f),
            Arg::String(inp.s),
        ]
    });
    let elements: [Packet<'_>; W3_N] =
        core::array::from_fn(|k| Packet::Message(Message::new(inp.addr, &args[k])));
    Bundle::new(TimeTag::new(W3_TT.0, W3_TT.1), &elements)
        .encode(buf)
        .expect("osc-core encode")
}

fn core_build_w3(inp: &W1In, buf: &mut [u8]) -> usize {
    let mut b = BundleBuilder::new(buf, TimeTag::new(W3_TT.0, W3_TT.1)).expect("bundle builder");
    for k in 0..W3_N {
        b = b
            .message_with(inp.addr, |m| {
                m.int(inp.i + k as i32)?.float(inp.f)?.string(inp.s)
            })
            .expect("bundle builder element");
    }
    b.finish().expect("bundle builder finish")
}

fn core_encode_w4(inp: &W4In, buf: &mut [u8]) -> usize {
    Message::new(inp.addr, &[Arg::Blob(inp.b)])
        .encode(buf)
        .expect("osc-core encode")
}

fn core_build_w4(inp: &W4In, buf: &mut [u8]) -> usize {
    MessageBuilder::new(buf, inp.addr)
        .and_then(|m| m.blob(inp.b))
        .and_then(MessageBuilder::finish)
        .expect("osc-core builder")
}

// ---------------------------------------------------------------------------------------------------
// rosc packets: owned Strings and Vecs, created inside the op

fn rosc_w1(inp: &W1In) -> OscPacket {
    OscPacket::Message(OscMessage {
        addr: inp.addr.to_string(),
        args: vec![
            OscType::Int(inp.i),
            OscType::Float(inp.f),
            OscType::String(inp.s.to_string()),
        ],
    })
}

fn rosc_w2(inp: &W2In) -> OscPacket {
    OscPacket::Message(OscMessage {
        addr: inp.addr.to_string(),
        args: vec![
            OscType::Int(inp.i),
            OscType::Float(inp.f),
            OscType::Double(inp.d),
            OscType::Long(inp.h),
            OscType::String(inp.s.to_string()),
            OscType::Blob(inp.b.to_vec()),
            OscType::Bool(true),
            OscType::Bool(false),
            OscType::Nil,
            OscType::Time(OscTime {
                seconds: inp.t_sec,
                fractional: inp.t_frac,
            }),
        ],
    })
}

fn rosc_w3(inp: &W1In) -> OscPacket {
    OscPacket::Bundle(OscBundle {
        timetag: OscTime {
            seconds: W3_TT.0,
            fractional: W3_TT.1,
        },
        content: (0..W3_N)
            .map(|k| {
                rosc_w1(&W1In {
                    i: inp.i + k as i32,
                    ..*inp
                })
            })
            .collect(),
    })
}

fn rosc_w4(inp: &W4In) -> OscPacket {
    OscPacket::Message(OscMessage {
        addr: inp.addr.to_string(),
        args: vec![OscType::Blob(inp.b.to_vec())],
    })
}

// ---------------------------------------------------------------------------------------------------
// Harness

fn configure<M: criterion::measurement::Measurement>(g: &mut BenchmarkGroup<'_, M>) {
    g.warm_up_time(Duration::from_secs(1));
    g.measurement_time(Duration::from_secs(2));
}

/// One workload: the untimed checks, then `W<n>/decode/*` and `W<n>/encode/*`.
/// The op functions are generic parameters (not `fn` pointers) so that every call is direct.
fn workload<I, E, B, R, const BUF: usize>(
    c: &mut Criterion,
    name: &str,
    hex: &str,
    input: &'static I,
    core_encode: E,
    core_build: B,
    rosc_build: R,
) where
    I: Sync + 'static,
    E: Fn(&I, &mut [u8]) -> usize,
    B: Fn(&I, &mut [u8]) -> usize,
    R: Fn(&I) -> OscPacket,
{
    let golden = unhex(hex);
    let expected = expected_digest(name);

    // Untimed checks.
    let d = core_decode(&golden, true).digest;
    assert_eq!(d, expected, "{name}: osc-core decode digest");
    let d = rosc_decode(&golden, true).digest;
    assert_eq!(d, expected, "{name}: rosc decode digest");
    let mut buf = [0u8; BUF];
    let n = core_encode(input, &mut buf);
    assert_eq!(&buf[..n], &golden[..], "{name}: osc-core encode bytes");
    let mut buf = [0u8; BUF];
    let n = core_build(input, &mut buf);
    assert_eq!(&buf[..n], &golden[..], "{name}: osc-core builder bytes");
    let prebuilt = rosc_build(input);
    let v = rosc::encoder::encode(&prebuilt).expect("rosc encode");
    assert_eq!(v, golden, "{name}: rosc encode bytes");
    let mut v = Vec::new();
    rosc::encoder::encode_into(&prebuilt, &mut v).expect("rosc encode_into");
    assert_eq!(v, golden, "{name}: rosc encode_into bytes");

    {
        let mut g = c.benchmark_group(format!("{name}/decode"));
        configure(&mut g);
        g.bench_function("osc-core", |b| {
            b.iter(|| {
                core_decode(black_box(&golden[..]), false).sink();
            })
        });
        g.bench_function("rosc", |b| {
            b.iter(|| {
                rosc_decode(black_box(&golden[..]), false).sink();
            })
        });
        g.finish();
    }

    {
        let mut g = c.benchmark_group(format!("{name}/encode"));
        configure(&mut g);
        g.bench_function("osc-core", |b| {
            let mut buf = [0u8; BUF];
            b.iter(|| {
                let n = core_encode(black_box(input), &mut buf);
                black_box(&buf[..n]);
            })
        });
        g.bench_function("osc-core-builder", |b| {
            let mut buf = [0u8; BUF];
            b.iter(|| {
                let n = core_build(black_box(input), &mut buf);
                black_box(&buf[..n]);
            })
        });
        g.bench_function("rosc", |b| {
            b.iter(|| {
                let p = rosc_build(black_box(input));
                rosc::encoder::encode(&p).expect("rosc encode")
            })
        });
        g.bench_function("rosc-build-encode_into", |b| {
            let mut v: Vec<u8> = Vec::with_capacity(BUF);
            b.iter(|| {
                v.clear();
                let p = rosc_build(black_box(input));
                rosc::encoder::encode_into(&p, &mut v).expect("rosc encode_into");
                black_box(&v);
            })
        });
        g.bench_function("rosc-prebuilt-encode_into", |b| {
            let mut v: Vec<u8> = Vec::with_capacity(BUF);
            b.iter(|| {
                v.clear();
                rosc::encoder::encode_into(black_box(&prebuilt), &mut v).expect("rosc encode_into");
                black_box(&v);
            })
        });
        g.finish();
    }
}

static W1_STATIC: W1In = W1_IN;

fn codec(c: &mut Criterion) {
    workload::<W1In, _, _, _, 64>(
        c,
        "W1",
        W1_HEX,
        &W1_STATIC,
        core_encode_w1,
        core_build_w1,
        rosc_w1,
    );
    workload::<W2In, _, _, _, 256>(
        c,
        "W2",
        W2_HEX,
        &W2_IN,
        core_encode_w2,
        core_build_w2,
        rosc_w2,
    );
    workload::<W1In, _, _, _, 1024>(
        c,
        "W3",
        W3_HEX,
        &W1_STATIC,
        core_encode_w3,
        core_build_w3,
        rosc_w3,
    );
    workload::<W4In, _, _, _, 8448>(
        c,
        "W4",
        W4_HEX,
        &W4_IN,
        core_encode_w4,
        core_build_w4,
        rosc_w4,
    );
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    codec(&mut c);
    c.final_summary();
}
