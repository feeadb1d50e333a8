//! Dispatch benchmark of WORKLOADS.md: D1–D3 through osc-core's `Dispatcher` and through the
//! rosc peer (`decode_udp`, then `Matcher::new` per message and `match_address` against 64
//! pre-built `OscAddress` values), in the same run. Prints one JSON result line per
//! (peer, workload).
//!
//! ```text
//! cargo run --release -p osc-examples --example bench_dispatch [-- --quick]
//! ```
//!
//! The 64 literal routes are registered in the order of `dispatch_table.txt`. Each handler
//! counts its calls and adds the first int32 argument to a sum; before timing, the calls per op
//! are checked against `expected.json` (D1: 1, D2: 16, D3: 16).

use std::hint::black_box;

use osc_core::{Arg, Dispatcher, HandlerFn, Replies, Request};
use osc_examples::bench::{self, consume, expected, CountingAlloc, Protocol};
use rosc::address::{Matcher, OscAddress};
use rosc::{OscMessage, OscPacket, OscType};

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc::new();

/// What the handlers update.
#[derive(Debug, Default)]
struct Tally {
    calls: u64,
    sum: i64,
}

fn on_message(tally: &mut Tally, req: &Request<'_, '_, ()>, _: &mut Replies<'_>) {
    tally.calls += 1;
    if let Some(Arg::Int(v)) = req.message.arg(0) {
        tally.sum += i64::from(v);
    }
}

fn rosc_handler(tally: &mut Tally, msg: &OscMessage) {
    tally.calls += 1;
    if let Some(OscType::Int(v)) = msg.args.first() {
        tally.sum += i64::from(*v);
    }
}

/// The rosc peer: every message's address is a pattern, matched against every route.
fn rosc_dispatch(packet: &OscPacket, routes: &[OscAddress], tally: &mut Tally) {
    match packet {
        OscPacket::Message(msg) => {
            let Ok(matcher) = Matcher::new(&msg.addr) else {
                return;
            };
            for route in routes {
                if matcher.match_address(route) {
                    rosc_handler(tally, msg);
                }
            }
        }
        OscPacket::Bundle(bundle) => {
            for element in &bundle.content {
                rosc_dispatch(element, routes, tally);
            }
        }
    }
}

fn main() {
    let protocol = Protocol::from_env();
    let table = bench::dispatch_table();
    assert_eq!(table.len(), 64, "dispatch_table.txt has 64 routes");

    let mut dispatcher: Dispatcher<'_, HandlerFn<Tally, ()>, 64> = Dispatcher::new();
    for address in &table {
        dispatcher
            .map(address, on_message)
            .map_err(|e| e.kind)
            .expect("a valid literal address");
    }
    let routes: Vec<OscAddress> = table
        .iter()
        .map(|a| OscAddress::new(a.clone()).expect("a valid literal address"))
        .collect();

    for (workload, vector) in [("D1", "W1"), ("D2", "D2"), ("D3", "W3")] {
        let bytes = bench::vector(vector).bytes;
        let want = expected("dispatch_calls", workload);
        let check = format!("{want} handler calls per op");

        let mut tally = Tally::default();
        let mut osc_op = |tally: &mut Tally| {
            if let Ok(packet) = osc_core::decode(black_box(&bytes)) {
                let outcome = dispatcher.dispatch(&packet, tally, &(), &mut Replies::none());
                consume(outcome);
            }
        };
        osc_op(&mut tally);
        let ok = tally.calls == want;
        bench::run_codec(
            &protocol,
            &ALLOC,
            "osc",
            workload,
            "dispatch",
            &check,
            ok,
            || osc_op(&mut tally),
        );
        consume(tally.sum);

        let mut tally = Tally::default();
        let rosc_op = |tally: &mut Tally| {
            if let Ok((_, packet)) = rosc::decoder::decode_udp(black_box(&bytes)) {
                rosc_dispatch(&packet, &routes, tally);
            }
        };
        rosc_op(&mut tally);
        let ok = tally.calls == want;
        bench::run_codec(
            &protocol,
            &ALLOC,
            "rosc",
            workload,
            "dispatch",
            &check,
            ok,
            || rosc_op(&mut tally),
        );
        consume(tally.sum);
    }
}
