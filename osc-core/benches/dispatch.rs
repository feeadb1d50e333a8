//! Dispatch benchmarks: workloads D1–D3 of `shared/bench/WORKLOADS.md`, osc-core's `Dispatcher` and
//! rosc in the same run, plus pathological address patterns.
//!
//! Results read `<group>/<variant>`:
//!
//! - `D1/osc-core`, `D2/osc-core`, `D3/osc-core`: `decode` the golden bytes, then
//!   `Dispatcher::dispatch` through the 64-route table of `tests/vectors/dispatch_table.txt`. The
//!   handler (a plain `fn`) counts the call and adds the first int32 argument to a sum.
//! - `D1/rosc`, …: `decoder::decode_udp`, then for each message (bundles walked element by element)
//!   `address::Matcher::new(&msg.addr)` and `match_address` against the 64 pre-built `OscAddress`
//!   values (a linear scan, as WORKLOADS.md describes the rosc peer), calling the same handler body.
//! - `D1/osc-core-predecoded`, …: `dispatch` of an already-decoded packet, to separate the
//!   dispatcher's own cost from decoding (not part of the ratio targets).
//! - `D2/osc-core-uncached`: D2 with every other op on `/synth/*/{gain,freq}` (same 48 bytes, same
//!   16 routes), so that no op finds its pattern remembered by the dispatcher from the op before:
//!   the cost of walking the routes for a pattern each time.
//! - `P1`…`P4` (pathological patterns, one `matches` call each; `osc-core` is `pattern::matches`,
//!   `rosc` is `Matcher::new` + `match_address`, where rosc accepts the pattern):
//!   - `P1`: `/*a*a*a*a*a*b` against `/` and 1023 `a` (a 1 KiB address of one part);
//!   - `P2`: `/` + `{a,aa}` × 40 + `b` against `/` and 60 `a` (C(40,20) ≈ 1.4e11 ways to split for a
//!     backtracking matcher);
//!   - `P3`: `/*{a,aa}*{a,aa}*{a,aa}*{a,aa}*b` against the 1 KiB address of P1;
//!   - `P4`: `//a//a//a//a//b` against `/a` × 512 (1 KiB, 512 parts). rosc has no `//`.
//! - `M/osc-core`: one `pattern::matches("/synth/*/{freq,gain}", "/synth/1/freq")`.
//!
//! Untimed checks before timing (a mismatch panics): per op 1, 16 and 16 handler calls for D1, D2
//! and D3, with int sums 440, 16 × 440 and 440 + 441 + … + 455, for both libraries; the expected
//! answer of every pathological match. `benches/dispatch_ratios.sh` runs this and prints the
//! osc-core/rosc ratio table.

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkGroup, Criterion};
use osc_core::{decode, pattern, Arg, Dispatcher, HandlerFn, Message, Packet, Replies, Request};
use rosc::address::{Matcher, OscAddress};
use rosc::{OscPacket, OscType};

const W1_HEX: &str = include_str!("../tests/vectors/W1.hex");
const D2_HEX: &str = include_str!("../tests/vectors/D2.hex");
const W3_HEX: &str = include_str!("../tests/vectors/W3.hex");
const TABLE: &str = include_str!("../tests/vectors/dispatch_table.txt");

fn unhex(s: &str) -> Vec<u8> {
    let s = s.trim();
    assert!(s.len().is_multiple_of(2), "odd hex length");
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex digit"))
        .collect()
}

fn table() -> impl Iterator<Item = &'static str> {
    TABLE.lines().map(str::trim).filter(|l| !l.is_empty())
}

/// What the handler accumulates: calls and the sum of first int32 arguments.
#[derive(Default, Debug, PartialEq, Eq, Clone, Copy)]
struct Counter {
    calls: u64,
    sum: i64,
}

// ---------------------------------------------------------------------------------------------------
// osc-core

type Table = Dispatcher<'static, HandlerFn<Counter, ()>, 64>;

fn on_message(c: &mut Counter, req: &Request<'_, '_, ()>, _: &mut Replies<'_>) {
    c.calls += 1;
    if let Some(Arg::Int(i)) = req.message.iter().next() {
        c.sum += i64::from(i);
    }
}

fn osc_core_table() -> Table {
    let mut d = Table::new();
    for address in table() {
        d.map(address, on_message).expect("route");
    }
    assert_eq!(d.len(), 64);
    d
}

#[inline]
fn osc_core_dispatch(d: &mut Table, bytes: &[u8], c: &mut Counter) -> usize {
    let packet = decode(bytes).expect("decode");
    osc_core_dispatch_packet(d, &packet, c)
}

#[inline]
fn osc_core_dispatch_packet(d: &mut Table, packet: &Packet<'_>, c: &mut Counter) -> usize {
    let mut replies = Replies::none();
    d.dispatch(packet, c, &(), &mut replies).handler_calls
}

// ---------------------------------------------------------------------------------------------------
// rosc

fn rosc_handler(c: &mut Counter, msg: &rosc::OscMessage) {
    c.calls += 1;
    if let Some(OscType::Int(i)) = msg.args.first() {
        c.sum += i64::from(*i);
    }
}

fn rosc_table() -> Vec<OscAddress> {
    table()
        .map(|a| OscAddress::new(a.to_string()).expect("rosc address"))
        .collect()
}

fn rosc_dispatch_packet(packet: &OscPacket, addresses: &[OscAddress], c: &mut Counter) {
    match packet {
        OscPacket::Message(msg) => {
            let Ok(matcher) = Matcher::new(&msg.addr) else {
                return;
            };
            for a in addresses {
                if matcher.match_address(a) {
                    rosc_handler(c, msg);
                }
            }
        }
        OscPacket::Bundle(b) => {
            for p in &b.content {
                rosc_dispatch_packet(p, addresses, c);
            }
        }
    }
}

#[inline]
fn rosc_dispatch(bytes: &[u8], addresses: &[OscAddress], c: &mut Counter) {
    let (_, packet) = rosc::decoder::decode_udp(bytes).expect("rosc decode");
    rosc_dispatch_packet(&packet, addresses, c);
}

// ---------------------------------------------------------------------------------------------------
// Benchmarks

fn configure<M: criterion::measurement::Measurement>(g: &mut BenchmarkGroup<'_, M>) {
    g.warm_up_time(Duration::from_secs(1));
    g.measurement_time(Duration::from_secs(2));
}

fn workloads(c: &mut Criterion) {
    let d3_sum: i64 = (440..456).sum();
    let cases = [
        ("D1", unhex(W1_HEX), 1, 440),
        ("D2", unhex(D2_HEX), 16, 16 * 440),
        ("D3", unhex(W3_HEX), 16, d3_sum),
    ];
    let mut ours = osc_core_table();
    let theirs = rosc_table();
    for (name, bytes, calls, sum) in &cases {
        let expected = Counter {
            calls: *calls,
            sum: *sum,
        };
        // Untimed checks: one op of each variant.
        let mut got = Counter::default();
        osc_core_dispatch(&mut ours, bytes, &mut got);
        assert_eq!(got, expected, "{name}: osc-core");
        let mut got = Counter::default();
        rosc_dispatch(bytes, &theirs, &mut got);
        assert_eq!(got, expected, "{name}: rosc");
        let packet = decode(bytes).expect("decode");

        let mut g = c.benchmark_group(*name);
        configure(&mut g);
        let mut counter = Counter::default();
        g.bench_function("osc-core", |b| {
            b.iter(|| osc_core_dispatch(&mut ours, black_box(bytes), &mut counter))
        });
        g.bench_function("rosc", |b| {
            b.iter(|| rosc_dispatch(black_box(bytes), &theirs, &mut counter))
        });
        g.bench_function("osc-core-predecoded", |b| {
            b.iter(|| osc_core_dispatch_packet(&mut ours, black_box(&packet), &mut counter))
        });
        if *name == "D2" {
            let args = [Arg::Int(440), Arg::Float(0.5), Arg::String("sine")];
            let mut other = vec![0u8; bytes.len()];
            let n = Message::new("/synth/*/{gain,freq}", &args)
                .encode(&mut other)
                .expect("encode");
            assert_eq!(n, bytes.len());
            let mut got = Counter::default();
            osc_core_dispatch(&mut ours, &other, &mut got);
            assert_eq!(got, expected, "{name}: osc-core, other pattern");
            let inputs = [bytes.as_slice(), other.as_slice()];
            let mut k = 0usize;
            g.bench_function("osc-core-uncached", |b| {
                b.iter(|| {
                    k ^= 1;
                    osc_core_dispatch(&mut ours, black_box(inputs[k]), &mut counter)
                })
            });
        }
        g.finish();
        black_box(counter);
    }
}

/// A pathological case: pattern, address, the answer, and whether rosc takes part.
struct Pathological {
    name: &'static str,
    pattern: String,
    address: String,
    matches: bool,
    rosc: bool,
}

fn pathological_cases() -> Vec<Pathological> {
    let one_part_1k = format!("/{}", "a".repeat(1023));
    vec![
        Pathological {
            name: "P1",
            pattern: "/*a*a*a*a*a*b".into(),
            address: one_part_1k.clone(),
            matches: false,
            rosc: true,
        },
        Pathological {
            name: "P2",
            pattern: format!("/{}b", "{a,aa}".repeat(40)),
            address: format!("/{}", "a".repeat(60)),
            matches: false,
            rosc: true,
        },
        Pathological {
            name: "P3",
            pattern: "/*{a,aa}*{a,aa}*{a,aa}*{a,aa}*b".into(),
            address: one_part_1k,
            matches: false,
            rosc: true,
        },
        Pathological {
            name: "P4",
            pattern: "//a//a//a//a//b".into(),
            address: "/a".repeat(512),
            matches: false,
            rosc: false,
        },
    ]
}

fn pathological(c: &mut Criterion) {
    for case in pathological_cases() {
        pattern::validate_pattern(&case.pattern).expect("valid pattern");
        assert_eq!(
            pattern::matches(&case.pattern, &case.address),
            case.matches,
            "{}",
            case.name
        );
        let mut g = c.benchmark_group(case.name);
        configure(&mut g);
        g.bench_function("osc-core", |b| {
            b.iter(|| pattern::matches(black_box(&case.pattern), black_box(&case.address)))
        });
        if case.rosc {
            let address = OscAddress::new(case.address.clone()).expect("rosc address");
            g.bench_function("rosc", |b| {
                b.iter(|| {
                    Matcher::new(black_box(&case.pattern))
                        .is_ok_and(|m| m.match_address(black_box(&address)))
                })
            });
        }
        g.finish();
    }

    let mut g = c.benchmark_group("M");
    configure(&mut g);
    let (p, a) = ("/synth/*/{freq,gain}", "/synth/1/freq");
    assert!(pattern::matches(p, a));
    g.bench_function("osc-core", |b| {
        b.iter(|| pattern::matches(black_box(p), black_box(a)))
    });
    g.finish();
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    workloads(&mut c);
    pathological(&mut c);
    c.final_summary();
}
