//! Dispatcher and scheduler behaviour: routing in both directions, order, capacity, default handler,
//! replies, bundles, timetag scheduling and its policies, and the D1–D3 workloads.

#![allow(clippy::type_complexity)] // a `dyn FnMut` handler type spelled out on purpose

mod common;

use core::time::Duration;

use common::{hex, raw_bundle, raw_message};
use osc_core::{
    decode, Arg, Bundle, BundleBuilder, Dispatcher, HandlerFn, MapErrorKind, Message, Outcome,
    Packet, Replies, Request, Scheduler, TimePolicy, TimeTag,
};

/// What the handlers saw: (route, address, first int, timetag).
type Log = Vec<(String, String, Option<i32>, Option<TimeTag>)>;

fn record(log: &mut Log, req: &Request<'_, '_, u8>, _: &mut Replies<'_>) {
    log.push((
        req.route.to_string(),
        req.message.address().to_string(),
        req.message.get_prefix::<(i32,)>().ok().map(|t| t.0),
        req.timetag,
    ));
}

fn record_b(log: &mut Log, req: &Request<'_, '_, u8>, r: &mut Replies<'_>) {
    record(log, req, r);
    log.last_mut().expect("just pushed").0.push_str("#b");
}

type D<const N: usize> = Dispatcher<'static, HandlerFn<Log, u8>, N>;

fn run<const N: usize>(d: &mut D<N>, bytes: &[u8]) -> Log {
    let mut log = Log::new();
    let mut out = [0u8; 256];
    let mut replies = Replies::new(&mut out);
    d.dispatch(&decode(bytes).unwrap(), &mut log, &0u8, &mut replies);
    log
}

fn msg(address: &str, i: i32) -> Vec<u8> {
    let args = [Arg::Int(i)];
    let m = Message::new(address, &args);
    let mut buf = vec![0u8; m.encoded_len()];
    m.encode(&mut buf).unwrap();
    buf
}

fn routes(log: &Log) -> Vec<&str> {
    log.iter().map(|e| e.0.as_str()).collect()
}

#[test]
fn capacity_and_invalid_routes() {
    let mut d: D<2> = Dispatcher::new();
    d.map("/a", record).unwrap();
    d.map("/b/*", record).unwrap();
    let e = d.map("/c", record).unwrap_err();
    assert_eq!(e.kind, MapErrorKind::Full);
    assert_eq!(e.to_string(), "dispatch table is full");
    assert_eq!(d.len(), 2);

    let mut d: D<4> = Dispatcher::new();
    for bad in ["", "no-slash", "/a\tb", "/a,b", "/x/[a", "/x/[\u{e9}]"] {
        let e = d.map(bad, record).unwrap_err();
        assert!(
            matches!(e.kind, MapErrorKind::InvalidAddress(_)),
            "{bad}: {:?}",
            e.kind
        );
    }
    assert!(d.is_empty());
}

#[test]
fn routes_with_spaces_hashes_and_non_ascii_characters() {
    let mut d: D<8> = Dispatcher::new();
    d.map("/millumin/layer:Layer 1/opacity", record).unwrap();
    d.map("/cue/\u{dc}berblende #2/go", record).unwrap();
    d.map("/millumin/layer:*/opacity", record_b).unwrap();
    d.map("/caf\u{e9}/{th\u{e9},lait}", record).unwrap();

    let log = run(&mut d, &raw_message("/millumin/layer:Layer 1/opacity", 5));
    assert_eq!(
        routes(&log),
        [
            "/millumin/layer:Layer 1/opacity",
            "/millumin/layer:*/opacity#b"
        ]
    );
    assert_eq!(log[0].2, Some(5));
    let log = run(&mut d, &raw_message("/millumin/layer:Layer 2/opacity", 6));
    assert_eq!(routes(&log), ["/millumin/layer:*/opacity#b"]);
    let log = run(&mut d, &raw_message("/cue/\u{dc}berblende #2/go", 7));
    assert_eq!(routes(&log), ["/cue/\u{dc}berblende #2/go"]);
    let log = run(&mut d, &raw_message("/caf\u{e9}/th\u{e9}", 8));
    assert_eq!(routes(&log), ["/caf\u{e9}/{th\u{e9},lait}"]);
    // An incoming pattern with a space reaches the literal route.
    let log = run(&mut d, &raw_message("/millumin/layer:Layer ?/opacity", 9));
    assert_eq!(routes(&log), ["/millumin/layer:Layer 1/opacity"]);
    assert!(run(&mut d, &raw_message("/millumin/layer:Layer 1/Opacity", 1)).is_empty());

    // The same messages as elements of a bundle.
    let bundle = raw_bundle(&[
        &raw_message("/cue/\u{dc}berblende #2/go", 10),
        &raw_message("/caf\u{e9}/lait", 11),
    ]);
    let log = run(&mut d, &bundle);
    assert_eq!(
        log.iter()
            .map(|e| (e.0.as_str(), e.1.as_str(), e.2))
            .collect::<Vec<_>>(),
        [
            (
                "/cue/\u{dc}berblende #2/go",
                "/cue/\u{dc}berblende #2/go",
                Some(10)
            ),
            ("/caf\u{e9}/{th\u{e9},lait}", "/caf\u{e9}/lait", Some(11)),
        ]
    );
}

#[test]
fn several_handlers_run_in_registration_order() {
    let mut d: D<8> = Dispatcher::new();
    d.map("/x/*", record).unwrap();
    d.map("/x/y", record).unwrap();
    d.map("/x/?", record_b).unwrap();
    d.map("/x/y", record_b).unwrap();
    d.map("/other", record).unwrap();
    let log = run(&mut d, &msg("/x/y", 1));
    assert_eq!(routes(&log), ["/x/*", "/x/y", "/x/?#b", "/x/y#b"]);
    assert!(log
        .iter()
        .all(|e| e.1 == "/x/y" && e.2 == Some(1) && e.3.is_none()));
}

#[test]
fn incoming_pattern_reaches_literal_routes() {
    let mut d: D<8> = Dispatcher::new();
    for r in [
        "/synth/1/freq",
        "/synth/2/freq",
        "/synth/1/gain",
        "/synth/10/freq",
    ] {
        d.map(r, record).unwrap();
    }
    let log = run(&mut d, &msg("/synth/?/freq", 5));
    assert_eq!(routes(&log), ["/synth/1/freq", "/synth/2/freq"]);
    let log = run(&mut d, &msg("/synth/*/{freq,gain}", 5));
    assert_eq!(log.len(), 4);
    assert!(log.iter().all(|e| e.1 == "/synth/*/{freq,gain}"));
    let log = run(&mut d, &msg("//gain", 5));
    assert_eq!(routes(&log), ["/synth/1/gain"]);
}

#[test]
fn both_wildcards_compare_as_text() {
    let mut d: D<4> = Dispatcher::new();
    d.map("/a/*", record).unwrap();
    d.map("/a/?", record).unwrap();
    let log = run(&mut d, &msg("/a/*", 1));
    assert_eq!(routes(&log), ["/a/*"]);
}

#[test]
fn a_pattern_route_gives_its_handler_the_parts_its_wildcards_matched() {
    type Seen = Vec<(String, Vec<String>)>;
    fn seen(log: &mut Seen, req: &Request<'_, '_, u8>, _: &mut Replies<'_>) {
        let captures = req.captures().map(String::from).collect();
        log.push((req.route.to_string(), captures));
    }
    let mut d: Dispatcher<'static, HandlerFn<Seen, u8>, 4> = Dispatcher::new();
    d.map("/ch/*/mix/{fader,pan}", seen).unwrap();
    d.map("/ch/01/mix/fader", seen).unwrap();
    d.map("//level", seen).unwrap();
    d.set_default(Some(seen));
    let mut dispatch = |address: &str| {
        let mut log = Seen::new();
        let packet = Packet::Message(Message::new(address, &[]));
        d.dispatch(&packet, &mut log, &0, &mut Replies::none());
        log
    };
    let own = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert_eq!(
        dispatch("/ch/01/mix/fader"),
        [
            ("/ch/*/mix/{fader,pan}".into(), own(&["01", "fader"])),
            ("/ch/01/mix/fader".into(), own(&[])),
        ]
    );
    assert_eq!(
        dispatch("/bus/2/level"),
        [("//level".into(), own(&["bus/2"]))]
    );
    // The sender's wildcards capture nothing, nor does the default handler.
    assert_eq!(
        dispatch("/ch/0?/mix/fader"),
        [("/ch/01/mix/fader".into(), own(&[]))]
    );
    assert_eq!(dispatch("/ch/*/mix/{fader,pan}")[0].1, own(&[]));
    assert_eq!(dispatch("/elsewhere"), [("".into(), own(&[]))]);
}

#[test]
fn default_handler_only_when_nothing_matches() {
    let mut d: D<4> = Dispatcher::new();
    d.map("/known", record).unwrap();
    assert!(d.set_default(Some(record_b)).is_none());
    let log = run(&mut d, &msg("/unknown", 3));
    assert_eq!(routes(&log), ["#b"]);
    let log = run(&mut d, &msg("/known", 3));
    assert_eq!(routes(&log), ["/known"]);
    assert!(d.set_default(None).is_some());
    assert!(run(&mut d, &msg("/unknown", 3)).is_empty());
}

#[test]
fn unmap_and_retain() {
    let mut d: D<8> = Dispatcher::new();
    d.map("/a", record).unwrap();
    d.map("/b", record).unwrap();
    d.map("/a", record_b).unwrap();
    d.map("/c/*", record).unwrap();
    assert_eq!(d.unmap("/a"), 2);
    assert_eq!(d.unmap("/a"), 0);
    assert!(run(&mut d, &msg("/a", 1)).is_empty());
    assert_eq!(routes(&run(&mut d, &msg("/b", 1))), ["/b"]);
    d.retain(|a, _| a != "/c/*");
    assert!(run(&mut d, &msg("/c/x", 1)).is_empty());
    assert_eq!(d.routes().map(|(a, _)| a).collect::<Vec<_>>(), ["/b"]);
    // Freed capacity can be used again.
    d.map("/z", record).unwrap();
    assert_eq!(routes(&run(&mut d, &msg("/z", 1))), ["/z"]);
}

#[test]
fn bundles_dispatch_in_order_with_their_timetag() {
    let mut d: D<4> = Dispatcher::new();
    d.map("/m", record).unwrap();
    let t1 = TimeTag::new(3_900_000_000, 0);
    let t2 = TimeTag::new(3_900_000_001, 0);
    let mut buf = [0u8; 256];
    let n = BundleBuilder::new(&mut buf, t1)
        .unwrap()
        .message_with("/m", |m| m.int(1))
        .unwrap()
        .bundle_with(t2, |b| b.message_with("/m", |m| m.int(2)))
        .unwrap()
        .message_with("/m", |m| m.int(3))
        .unwrap()
        .finish()
        .unwrap();
    let log = run(&mut d, &buf[..n]);
    let seen: Vec<_> = log.iter().map(|e| (e.2, e.3)).collect();
    assert_eq!(
        seen,
        [
            (Some(1), Some(t1)),
            (Some(2), Some(t2)),
            (Some(3), Some(t1))
        ]
    );
}

/// Bundle elements go through their own path (a literal hit is shown the route's address without a
/// UTF-8 check of the element's); every other kind of element must be dispatched as on its own.
#[test]
fn bundle_elements_of_every_kind() {
    let t = TimeTag::new(3_900_000_000, 0);
    let mut buf = [0u8; 512];
    let n = BundleBuilder::new(&mut buf, t)
        .unwrap()
        .message_with("/a/1", |m| m.int(1))
        .unwrap()
        .message_with("/caf\u{e9}", |m| m.int(2))
        .unwrap()
        .message_with("/a/*", |m| m.int(3))
        .unwrap()
        .bundle_with(t, |b| b.message_with("/a/2", |m| m.int(4)))
        .unwrap()
        .message_with("/zz", |m| m.int(5))
        .unwrap()
        .finish()
        .unwrap();
    let packet = &buf[..n];
    let literal_only = [
        ("/a/1", "/a/1", 1),
        ("", "/caf\u{e9}", 2),
        ("/a/1", "/a/*", 3),
        ("/a/2", "/a/*", 3),
        ("/a/2", "/a/2", 4),
        ("", "/zz", 5),
    ];
    let with_pattern_route = [
        ("/a/1", "/a/1", 1),
        ("/a/?", "/a/1", 1),
        ("", "/caf\u{e9}", 2),
        ("/a/1", "/a/*", 3),
        ("/a/2", "/a/*", 3),
        ("/a/2", "/a/2", 4),
        ("/a/?", "/a/2", 4),
        ("", "/zz", 5),
    ];
    let seen = |log: &Log| -> Vec<(String, String, i32)> {
        log.iter()
            .map(|e| (e.0.clone(), e.1.clone(), e.2.unwrap_or(0)))
            .collect()
    };
    let own = |e: &[(&str, &str, i32)]| -> Vec<(String, String, i32)> {
        e.iter()
            .map(|&(r, a, i)| (r.to_string(), a.to_string(), i))
            .collect()
    };
    // The same bundle dispatched at once, and through a scheduler (what the servers do), at its time
    // and queued until then.
    let through_scheduler = |d: &mut D<4>, policy: TimePolicy| -> Log {
        let mut s: Scheduler<u8, 4, 1024> = Scheduler::new(policy);
        let mut log = Log::new();
        let early = TimeTag::new(3_899_999_999, 0);
        let out = s.handle(
            early,
            &decode(packet).unwrap(),
            d,
            &mut log,
            &0,
            &mut Replies::none(),
        );
        if policy == TimePolicy::Immediate {
            assert_eq!(out.messages, 5);
        } else {
            assert_eq!((out.messages, out.scheduled), (0, 1));
            poll_all(&mut s, d, t, &mut log);
        }
        log
    };
    let mut d: D<4> = Dispatcher::new();
    d.map("/a/1", record).unwrap();
    d.map("/a/2", record).unwrap();
    d.set_default(Some(record));
    let log = run(&mut d, packet);
    assert_eq!(seen(&log), own(&literal_only));
    assert!(log.iter().all(|e| e.3 == Some(t)));
    for policy in [TimePolicy::Immediate, TimePolicy::Schedule] {
        let log = through_scheduler(&mut d, policy);
        assert_eq!(seen(&log), own(&literal_only), "{policy:?}");
        assert!(log.iter().all(|e| e.3 == Some(t)));
    }
    // With a pattern route, the literal and the pattern routes are merged in registration order.
    d.map("/a/?", record).unwrap();
    assert_eq!(seen(&run(&mut d, packet)), own(&with_pattern_route));
    for policy in [TimePolicy::Immediate, TimePolicy::Schedule] {
        let log = through_scheduler(&mut d, policy);
        assert_eq!(seen(&log), own(&with_pattern_route), "{policy:?}");
    }
}

#[test]
fn handlers_reply_and_see_the_sender() {
    fn echo(count: &mut usize, req: &Request<'_, '_, &'static str>, r: &mut Replies<'_>) {
        *count += 1;
        let tag = req.sender.to_string();
        r.message_with("/echo", |m| m.string(&tag)).unwrap();
        r.send(&req.message).unwrap();
    }
    let mut d: Dispatcher<'_, HandlerFn<usize, &'static str>, 2> = Dispatcher::new();
    d.map("/ping", echo).unwrap();
    let mut out = [0u8; 128];
    let mut replies = Replies::new(&mut out);
    let mut count = 0;
    let o = d.dispatch(
        &decode(&msg("/ping", 9)).unwrap(),
        &mut count,
        &"peer-1",
        &mut replies,
    );
    assert_eq!((o.messages, o.handler_calls, o.unmatched), (1, 1, 0));
    let got: Vec<String> = replies
        .iter()
        .map(|p| decode(p).unwrap().to_string())
        .collect();
    assert_eq!(got, ["/echo s \"peer-1\"", "/ping i 9"]);
}

#[test]
fn closures_with_state_are_handlers() {
    let mut hits = 0usize;
    {
        let mut h = |_: &mut (), _: &Request<'_, '_, ()>, _: &mut Replies<'_>| hits += 1;
        let mut d: Dispatcher<
            '_,
            &mut dyn FnMut(&mut (), &Request<'_, '_, ()>, &mut Replies<'_>),
            1,
        > = Dispatcher::new();
        d.map("/a", &mut h).unwrap();
        let mut replies = Replies::none();
        d.dispatch(&decode(&msg("/a", 1)).unwrap(), &mut (), &(), &mut replies);
        d.dispatch(&decode(&msg("/a", 1)).unwrap(), &mut (), &(), &mut replies);
    }
    assert_eq!(hits, 2);
}

/// The 64-route table of shared/bench/WORKLOADS.md and the D1–D3 call counts.
#[test]
fn workloads_d1_d2_d3() {
    fn count(sum: &mut (usize, i64), req: &Request<'_, '_, ()>, _: &mut Replies<'_>) {
        sum.0 += 1;
        if let Some(Arg::Int(i)) = req.message.arg(0) {
            sum.1 += i64::from(i);
        }
    }
    let table = include_str!("vectors/dispatch_table.txt");
    let mut d: Dispatcher<'_, HandlerFn<(usize, i64), ()>, 64> = Dispatcher::new();
    for line in table.lines() {
        d.map(line, count).unwrap();
    }
    assert_eq!(d.len(), 64);
    for (name, bytes, calls, sum) in [
        ("D1", hex(include_str!("vectors/W1.hex")), 1, 440),
        ("D2", hex(include_str!("vectors/D2.hex")), 16, 16 * 440),
        (
            "D3",
            hex(include_str!("vectors/W3.hex")),
            16,
            (440..456).sum(),
        ),
    ] {
        let mut acc = (0usize, 0i64);
        let mut replies = Replies::none();
        let o = d.dispatch(&decode(&bytes).unwrap(), &mut acc, &(), &mut replies);
        assert_eq!((acc.0, acc.1), (calls, sum), "{name}");
        assert_eq!(o.handler_calls, calls, "{name}");
    }
}

fn at(base: TimeTag, ms: u64) -> TimeTag {
    base.wrapping_add(Duration::from_millis(ms))
}

fn bundle_bytes(t: TimeTag, ints: &[i32]) -> Vec<u8> {
    let mut buf = vec![0u8; 1024];
    let mut b = BundleBuilder::new(&mut buf, t).unwrap();
    for &i in ints {
        b = b.message_with("/m", |m| m.int(i)).unwrap();
    }
    let n = b.finish().unwrap();
    buf.truncate(n);
    buf
}

fn ints(log: &Log) -> Vec<i32> {
    log.iter().filter_map(|e| e.2).collect()
}

/// Polls until nothing is due; returns the senders in firing order.
fn poll_all<const S: usize, const B: usize>(
    s: &mut Scheduler<u8, S, B>,
    d: &mut D<4>,
    now: TimeTag,
    log: &mut Log,
) -> Vec<u8> {
    let mut scratch = [0u8; 1024];
    let mut replies = Replies::none();
    let mut senders = Vec::new();
    while let Some((sender, _)) = s.poll(now, &mut scratch, d, log, &mut replies) {
        senders.push(sender);
    }
    senders
}

#[test]
fn scheduler_fires_in_timetag_order_ties_in_arrival_order() {
    let base = TimeTag::new(3_900_000_000, 0);
    let mut d: D<4> = Dispatcher::new();
    d.map("/m", record).unwrap();
    let mut s: Scheduler<u8, 8, 4096> = Scheduler::new(TimePolicy::Schedule);
    let mut log = Log::new();
    let mut replies = Replies::none();
    for (sender, (ms, v)) in [(30, 3), (10, 1), (20, 2), (10, 11), (0, 0)]
        .into_iter()
        .enumerate()
    {
        let p = bundle_bytes(at(base, ms), &[v]);
        s.handle(
            base,
            &decode(&p).unwrap(),
            &mut d,
            &mut log,
            &(sender as u8),
            &mut replies,
        );
    }
    // The bundle due "now" fired at once; the others wait.
    assert_eq!(ints(&log), [0]);
    assert_eq!(s.len(), 4);
    assert_eq!(s.next_deadline(), Some(at(base, 10)));
    assert!(poll_all(&mut s, &mut d, at(base, 9), &mut log).is_empty());
    assert_eq!(poll_all(&mut s, &mut d, at(base, 20), &mut log), [1, 3, 2]);
    assert_eq!(ints(&log), [0, 1, 11, 2]);
    assert_eq!(poll_all(&mut s, &mut d, at(base, 1000), &mut log), [0]);
    assert_eq!(ints(&log), [0, 1, 11, 2, 3]);
    assert!(s.is_empty());
    assert_eq!(s.next_deadline(), None);
    assert_eq!(s.stats().fired, 4);
}

#[test]
fn nested_bundle_never_fires_before_its_parent() {
    let base = TimeTag::new(3_900_000_000, 0);
    let mut d: D<4> = Dispatcher::new();
    d.map("/m", record).unwrap();
    let mut s: Scheduler<u8, 8, 4096> = Scheduler::new(TimePolicy::Schedule);
    let mut log = Log::new();
    let mut replies = Replies::none();
    // Parent due at +50 ms holds a message, a child claiming +10 ms, and an IMMEDIATELY child; a sibling
    // child due at +80 ms.
    let mut buf = [0u8; 512];
    let n = BundleBuilder::new(&mut buf, at(base, 50))
        .unwrap()
        .message_with("/m", |m| m.int(1))
        .unwrap()
        .bundle_with(at(base, 10), |b| b.message_with("/m", |m| m.int(2)))
        .unwrap()
        .bundle_with(TimeTag::IMMEDIATELY, |b| b.message_with("/m", |m| m.int(3)))
        .unwrap()
        .bundle_with(at(base, 80), |b| b.message_with("/m", |m| m.int(4)))
        .unwrap()
        .finish()
        .unwrap();
    let o = s.handle(
        base,
        &decode(&buf[..n]).unwrap(),
        &mut d,
        &mut log,
        &7,
        &mut replies,
    );
    assert_eq!(o.scheduled, 1);
    assert!(poll_all(&mut s, &mut d, at(base, 20), &mut log).is_empty());
    assert_eq!(poll_all(&mut s, &mut d, at(base, 50), &mut log), [7]);
    assert_eq!(ints(&log), [1, 2, 3]);
    assert_eq!(s.next_deadline(), Some(at(base, 80)));
    assert_eq!(poll_all(&mut s, &mut d, at(base, 80), &mut log), [7]);
    assert_eq!(ints(&log), [1, 2, 3, 4]);
}

#[test]
fn overflow_is_counted_and_drops_nothing_else() {
    let base = TimeTag::new(3_900_000_000, 0);
    let mut d: D<4> = Dispatcher::new();
    d.map("/m", record).unwrap();
    let mut log = Log::new();
    let mut replies = Replies::none();
    // Two slots.
    let mut s: Scheduler<u8, 2, 4096> = Scheduler::new(TimePolicy::Schedule);
    for v in 1..=3 {
        let p = bundle_bytes(at(base, 10 * v as u64), &[v]);
        let o = s.handle(
            base,
            &decode(&p).unwrap(),
            &mut d,
            &mut log,
            &0,
            &mut replies,
        );
        assert_eq!(o.overflow, usize::from(v == 3));
    }
    assert_eq!(s.stats().overflow, 1);
    poll_all(&mut s, &mut d, at(base, 100), &mut log);
    assert_eq!(ints(&log), [1, 2]);

    // 64 bytes of arena: one 32-byte bundle fits twice, not three times.
    let mut s: Scheduler<u8, 8, 64> = Scheduler::new(TimePolicy::Schedule);
    let p = bundle_bytes(at(base, 10), &[5]);
    assert_eq!(p.len(), 32);
    let mut overflow = 0;
    for _ in 0..3 {
        overflow += s
            .handle(
                base,
                &decode(&p).unwrap(),
                &mut d,
                &mut log,
                &0,
                &mut replies,
            )
            .overflow;
    }
    assert_eq!((overflow, s.len()), (1, 2));
    // Messages outside the dropped bundle were still delivered: a bare message always goes through.
    let o = s.handle(
        base,
        &decode(&msg("/m", 6)).unwrap(),
        &mut d,
        &mut log,
        &0,
        &mut replies,
    );
    assert_eq!(o.handler_calls, 1);
}

#[test]
fn late_policy_and_immediate_policy() {
    let base = TimeTag::new(3_900_000_000, 0);
    let mut d: D<4> = Dispatcher::new();
    d.map("/m", record).unwrap();
    let mut replies = Replies::none();
    let late = bundle_bytes(at(base, 0), &[1]);
    let slightly_late = bundle_bytes(at(base, 95), &[2]);
    let immediate = bundle_bytes(TimeTag::IMMEDIATELY, &[3]);
    let future = bundle_bytes(at(base, 500), &[4]);
    let now = at(base, 100);

    let mut log = Log::new();
    let mut s: Scheduler<u8, 4, 1024> = Scheduler::new(TimePolicy::DropLate {
        tolerance: Duration::from_millis(10),
    });
    let mut late_count = 0;
    for p in [&late, &slightly_late, &immediate, &future] {
        late_count += s
            .handle(now, &decode(p).unwrap(), &mut d, &mut log, &0, &mut replies)
            .late;
    }
    assert_eq!(late_count, 1);
    assert_eq!(ints(&log), [2, 3]);
    assert_eq!(s.stats().late, 1);
    assert_eq!(s.len(), 1);

    let mut log = Log::new();
    let mut s: Scheduler<u8, 4, 1024> = Scheduler::new(TimePolicy::Schedule);
    for p in [&late, &slightly_late, &immediate, &future] {
        s.handle(now, &decode(p).unwrap(), &mut d, &mut log, &0, &mut replies);
    }
    assert_eq!(ints(&log), [1, 2, 3]);

    let mut log = Log::new();
    let mut s: Scheduler<u8, 4, 1024> = Scheduler::new(TimePolicy::Immediate);
    for p in [&late, &slightly_late, &immediate, &future] {
        s.handle(now, &decode(p).unwrap(), &mut d, &mut log, &0, &mut replies);
    }
    assert_eq!(ints(&log), [1, 2, 3, 4]);
    assert!(s.is_empty());
}

/// Hands each packet to `s` at `now` (from sender 0); returns their outcomes added up.
fn feed<const S: usize, const B: usize>(
    s: &mut Scheduler<u8, S, B>,
    d: &mut D<4>,
    log: &mut Log,
    now: TimeTag,
    packets: &[&[u8]],
) -> Outcome {
    let mut replies = Replies::none();
    let mut total = Outcome::default();
    for p in packets {
        total.add(&s.handle(now, &decode(p).unwrap(), d, log, &0, &mut replies));
    }
    total
}

#[test]
fn a_horizon_keeps_far_future_bundles_from_filling_the_queue() {
    let base = TimeTag::new(3_900_000_000, 0);
    let mut d: D<4> = Dispatcher::new();
    d.map("/m", record).unwrap();
    let mut log = Log::new();
    let far = bundle_bytes(base.wrapping_add(Duration::from_secs(86_400 * 365)), &[9]);
    let near = bundle_bytes(at(base, 20), &[1]);

    // Without a horizon, two bundles timed a year ahead take both slots, and a bundle due in 20 ms
    // overflows.
    let mut s: Scheduler<u8, 2, 4096> = Scheduler::new(TimePolicy::Schedule);
    assert_eq!(s.horizon(), None);
    feed(&mut s, &mut d, &mut log, base, &[&far, &far, &near]);
    assert_eq!((s.len(), s.stats().overflow, s.stats().too_far), (2, 1, 0));

    // With a one-minute horizon they are dropped and counted, and the near bundle is queued and fires.
    let mut s: Scheduler<u8, 2, 4096> = Scheduler::new(TimePolicy::Schedule);
    s.set_horizon(Some(Duration::from_secs(60)));
    let o = feed(&mut s, &mut d, &mut log, base, &[&far, &far, &near]);
    assert_eq!((o.too_far, s.stats().too_far, s.len()), (2, 2, 1));
    assert_eq!(s.stats().overflow, 0);
    poll_all(&mut s, &mut d, at(base, 20), &mut log);
    assert_eq!(ints(&log), [1]);

    // Exactly at the horizon is queued; a millisecond beyond is not.
    let edge = bundle_bytes(at(base, 60_000), &[2]);
    let beyond = bundle_bytes(at(base, 60_001), &[3]);
    feed(&mut s, &mut d, &mut log, base, &[&edge, &beyond]);
    assert_eq!((s.len(), s.stats().too_far), (1, 3));

    // A nested bundle counts too: a parent due in 30 s holding a child due in 80 s is dropped whole;
    // one holding a child due in 50 s is queued, and the child fires at its own time.
    s.clear();
    let nested = |child_ms| {
        let mut buf = vec![0u8; 256];
        let n = BundleBuilder::new(&mut buf, at(base, 30_000))
            .unwrap()
            .message_with("/m", |m| m.int(8))
            .unwrap()
            .bundle_with(at(base, child_ms), |b| b.message_with("/m", |m| m.int(4)))
            .unwrap()
            .finish()
            .unwrap();
        buf.truncate(n);
        buf
    };
    let (far_child, near_child) = (nested(80_000), nested(50_000));
    feed(&mut s, &mut d, &mut log, base, &[&far_child, &near_child]);
    assert_eq!((s.len(), s.stats().too_far), (1, 4));
    assert_eq!(
        poll_all(&mut s, &mut d, at(base, 30_000), &mut log).len(),
        1
    );
    assert_eq!(s.next_deadline(), Some(at(base, 50_000)));
    poll_all(&mut s, &mut d, at(base, 50_000), &mut log);
    assert_eq!(ints(&log), [1, 8, 4]);

    // Past and immediate bundles are not affected; the horizon also holds across the 2036 era boundary.
    let era_end = TimeTag::new(u32::MAX, 0);
    let across = bundle_bytes(era_end.wrapping_add(Duration::from_secs(120)), &[5]);
    let past = bundle_bytes(at(base, 0), &[6]);
    let now_tag = bundle_bytes(TimeTag::IMMEDIATELY, &[7]);
    let mut log = Log::new();
    feed(&mut s, &mut d, &mut log, at(base, 1), &[&past, &now_tag]);
    let o = feed(&mut s, &mut d, &mut log, era_end, &[&across]);
    assert_eq!((ints(&log), o.too_far), (vec![6, 7], 1));
    let within = bundle_bytes(era_end.wrapping_add(Duration::from_secs(30)), &[8]);
    let o = feed(&mut s, &mut d, &mut log, era_end, &[&within]);
    assert_eq!((o.scheduled, o.too_far), (1, 0));
    poll_all(
        &mut s,
        &mut d,
        era_end.wrapping_add(Duration::from_secs(30)),
        &mut log,
    );
    assert_eq!(ints(&log), [6, 7, 8]);

    // With no clock (`now` of 0), every future bundle is too far.
    let o = feed(&mut s, &mut d, &mut log, TimeTag::from_bits(0), &[&near]);
    assert_eq!(o.too_far, 1);
}

/// The same rules one second before the NTP era boundary of 2036-02-07, where the seconds field wraps to 0:
/// instants after it have smaller raw values than instants before it.
#[test]
fn scheduling_across_the_2036_era_boundary() {
    let base = TimeTag::new(u32::MAX, 0);
    let mut d: D<4> = Dispatcher::new();
    d.map("/m", record).unwrap();
    let mut replies = Replies::none();
    let mut log = Log::new();
    let mut s: Scheduler<u8, 8, 4096> = Scheduler::new(TimePolicy::Schedule);
    // Due 1.5 s, 0.5 s and 2.5 s ahead: the first and last are in era 1. A nested bundle of the first
    // claims an era-0 time, before its parent: it fires with the parent.
    let mut buf = [0u8; 256];
    let n = BundleBuilder::new(&mut buf, at(base, 1500))
        .unwrap()
        .message_with("/m", |m| m.int(2))
        .unwrap()
        .bundle_with(at(base, 100), |b| b.message_with("/m", |m| m.int(3)))
        .unwrap()
        .finish()
        .unwrap();
    assert!(at(base, 1500) < base, "raw values wrap");
    for (sender, p) in [
        bundle_bytes(at(base, 2500), &[4]),
        buf[..n].to_vec(),
        bundle_bytes(at(base, 500), &[1]),
    ]
    .iter()
    .enumerate()
    {
        let o = s.handle(
            base,
            &decode(p).unwrap(),
            &mut d,
            &mut log,
            &(sender as u8),
            &mut replies,
        );
        assert_eq!(o.scheduled, 1);
    }
    assert!(log.is_empty());
    assert_eq!(s.next_deadline(), Some(at(base, 500)));
    assert!(poll_all(&mut s, &mut d, at(base, 400), &mut log).is_empty());
    assert_eq!(poll_all(&mut s, &mut d, at(base, 1200), &mut log), [2]);
    assert!(poll_all(&mut s, &mut d, at(base, 1400), &mut log).is_empty());
    assert_eq!(poll_all(&mut s, &mut d, at(base, 2000), &mut log), [1]);
    assert_eq!(ints(&log), [1, 2, 3]);
    assert_eq!(poll_all(&mut s, &mut d, at(base, 3000), &mut log), [0]);
    assert_eq!(ints(&log), [1, 2, 3, 4]);

    // Late by the tolerance's rule: sent for just before the boundary, arriving 0.2 s after it.
    let mut log = Log::new();
    let mut s: Scheduler<u8, 4, 1024> = Scheduler::new(TimePolicy::DropLate {
        tolerance: Duration::from_millis(100),
    });
    let now = at(base, 1200);
    for (p, late) in [
        (bundle_bytes(at(base, 900), &[1]), 1),
        (bundle_bytes(at(base, 1150), &[2]), 0),
        (bundle_bytes(TimeTag::IMMEDIATELY, &[3]), 0),
        (bundle_bytes(TimeTag::from_bits(0), &[4]), 0),
    ] {
        let o = s.handle(
            now,
            &decode(&p).unwrap(),
            &mut d,
            &mut log,
            &0,
            &mut replies,
        );
        assert_eq!(o.late, late);
    }
    assert_eq!(ints(&log), [2, 3, 4]);
    assert!(s.is_empty());
}

#[test]
fn poll_with_a_scratch_buffer_too_small_counts_and_goes_on() {
    let base = TimeTag::new(3_900_000_000, 0);
    let mut d: D<4> = Dispatcher::new();
    d.map("/m", record).unwrap();
    let mut s: Scheduler<u8, 4, 1024> = Scheduler::new(TimePolicy::Schedule);
    let mut log = Log::new();
    let mut replies = Replies::none();
    let big = bundle_bytes(at(base, 10), &[1, 2, 3, 4]);
    let small = bundle_bytes(at(base, 20), &[5]);
    for p in [&big, &small] {
        s.handle(
            base,
            &decode(p).unwrap(),
            &mut d,
            &mut log,
            &0,
            &mut replies,
        );
    }
    let mut scratch = [0u8; 40];
    let fired = s.poll(at(base, 30), &mut scratch, &mut d, &mut log, &mut replies);
    assert!(fired.is_some());
    assert_eq!(ints(&log), [5]);
    assert_eq!(s.stats().scratch_too_small, 1);
}

#[test]
fn value_bundles_dispatch_too() {
    let mut d: D<4> = Dispatcher::new();
    d.map("/m", record).unwrap();
    let a = [Arg::Int(1)];
    let elems = [Packet::Message(Message::new("/m", &a))];
    let b = Bundle::new(TimeTag::IMMEDIATELY, &elems);
    let mut log = Log::new();
    let mut replies = Replies::none();
    d.dispatch(&Packet::Bundle(b), &mut log, &0, &mut replies);
    assert_eq!(ints(&log), [1]);
}

#[test]
fn a_repeated_pattern_sees_routes_added_and_removed() {
    let mut d: D<8> = Dispatcher::new();
    d.map("/s/1/f", record).unwrap();
    d.map("/s/2/f", record).unwrap();
    let m = msg("/s/*/f", 1);
    assert_eq!(routes(&run(&mut d, &m)), ["/s/1/f", "/s/2/f"]);
    assert_eq!(routes(&run(&mut d, &m)), ["/s/1/f", "/s/2/f"]);
    d.map("/s/3/f", record).unwrap();
    assert_eq!(routes(&run(&mut d, &m)), ["/s/1/f", "/s/2/f", "/s/3/f"]);
    // Another pattern in between, then the first again.
    assert_eq!(routes(&run(&mut d, &msg("/s/2/*", 1))), ["/s/2/f"]);
    assert_eq!(routes(&run(&mut d, &m)), ["/s/1/f", "/s/2/f", "/s/3/f"]);
    assert_eq!(d.unmap("/s/1/f"), 1);
    assert_eq!(routes(&run(&mut d, &m)), ["/s/2/f", "/s/3/f"]);
    d.map("/s/*/f", record_b).unwrap();
    assert_eq!(routes(&run(&mut d, &m)), ["/s/2/f", "/s/3/f", "/s/*/f#b"]);
}
