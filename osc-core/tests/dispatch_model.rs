//! The dispatcher against a plain model: a list of routes in registration order, scanned in full for
//! every message with `pattern::matches`. Whatever index or fast path the dispatcher uses, it must
//! call the same handlers in the same order.

mod common;

use common::{raw_bundle, raw_message};
use osc_core::{decode, pattern, Dispatcher, Handler, Replies, Request};
use proptest::prelude::*;

/// A handler that logs its route's registration number and the address it was shown.
#[derive(Clone, Copy, Debug)]
struct Id(usize);

#[derive(Default)]
struct Log {
    ids: Vec<usize>,
    addresses: Vec<String>,
}

impl Handler<Log, ()> for Id {
    fn handle(&mut self, log: &mut Log, req: &Request<'_, '_, ()>, _: &mut Replies<'_>) {
        log.ids.push(self.0);
        log.addresses.push(req.message.address().to_string());
    }
}

/// The handlers that the documented rules call, in order: a literal message reaches the literal routes
/// equal to it and the pattern routes that match it; a message with a pattern reaches the literal
/// routes it matches and the pattern routes that are the same text.
fn model(routes: &[(String, usize)], address: &str) -> Vec<usize> {
    let incoming_is_pattern = pattern::is_pattern(address);
    routes
        .iter()
        .filter(
            |(route, _)| match (incoming_is_pattern, pattern::is_pattern(route)) {
                (false, false) => route == address,
                (false, true) => pattern::matches(route, address),
                (true, false) => pattern::matches(address, route),
                (true, true) => route == address,
            },
        )
        .map(|&(_, id)| id)
        .collect()
}

const CAP: usize = 256;
type D = Dispatcher<'static, Id, CAP>;

/// Dispatches `address` (with a default handler, id `usize::MAX`) and checks the calls and the outcome
/// against the model: as a message on its own, then as three elements of a bundle (one of them in a
/// nested bundle), which take the dispatcher's bundle path.
fn check(d: &mut D, routes: &[(String, usize)], address: &str) -> Result<(), TestCaseError> {
    let bytes = raw_message(address, 1);
    let mut expected = model(routes, address);
    let unmatched = expected.is_empty();
    if unmatched {
        expected.push(usize::MAX);
    }
    // Packed by hand like the message: the message, a bundle holding it, the message.
    let inner = raw_bundle(&[&bytes]);
    let bundle_bytes = raw_bundle(&[&bytes, &inner, &bytes]);
    for (bytes, copies) in [(bytes, 1), (bundle_bytes, 3)] {
        let packet = decode(&bytes).expect("decode");
        let mut log = Log::default();
        let outcome = d.dispatch(&packet, &mut log, &(), &mut Replies::none());
        let expected = expected.repeat(copies);
        prop_assert_eq!(
            &log.ids,
            &expected,
            "address {:?}, {} copies, routes {:?}",
            address,
            copies,
            routes
        );
        prop_assert!(
            log.addresses.iter().all(|a| a == address),
            "{:?}",
            log.addresses
        );
        prop_assert_eq!(outcome.messages, copies);
        prop_assert_eq!(outcome.handler_calls, expected.len());
        prop_assert_eq!(outcome.unmatched, copies * usize::from(unmatched));
    }
    Ok(())
}

/// A literal part from a small alphabet, so that routes share prefixes and parts.
fn literal_part() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("a".to_string()),
        Just("b".to_string()),
        Just("ab".to_string()),
        Just("aa".to_string()),
        Just("synth".to_string()),
        Just("1".to_string()),
        Just("2".to_string()),
        Just("10".to_string()),
        Just("freq".to_string()),
        Just("gain".to_string()),
        // Bytes below `/` and above ASCII, which routes may hold (Millumin, Max).
        Just("a b".to_string()),
        Just("#1".to_string()),
        Just("\u{e9}".to_string()),
        Just("a\u{e9}".to_string()),
        "[a-c]{1,3}",
    ]
}

fn literal_address() -> impl Strategy<Value = String> {
    proptest::collection::vec(literal_part(), 1..5).prop_map(|parts| {
        parts.iter().fold(String::new(), |mut s, p| {
            s.push('/');
            s.push_str(p);
            s
        })
    })
}

/// A pattern part: a literal, a lone `*`, a lone group, a glob, a group mixed with other wildcards.
fn pattern_part() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => literal_part(),
        2 => Just("*".to_string()),
        2 => Just("{freq,gain}".to_string()),
        1 => Just("{a,ab,aa}".to_string()),
        1 => Just("{,a}".to_string()),
        1 => Just("?".to_string()),
        1 => Just("[0-9]".to_string()),
        1 => Just("{\u{e9},a}".to_string()),
        1 => Just("*\u{e9}".to_string()),
        1 => Just("[ #]*".to_string()),
        1 => Just("[!a]*".to_string()),
        1 => Just("a*".to_string()),
        1 => Just("*b".to_string()),
        1 => Just("s{yn,ynth}*".to_string()),
        1 => Just("{a,b}?".to_string()),
        1 => Just("*{1,2}".to_string()),
        1 => Just("synth".to_string()),
    ]
}

/// A pattern: parts, each introduced by `/` or (rarely) `//`; sometimes malformed.
fn any_pattern() -> impl Strategy<Value = String> {
    let step = (pattern_part(), 0..10u8).prop_map(|(part, k)| match k {
        0 => format!("//{part}"),
        _ => format!("/{part}"),
    });
    let pattern = proptest::collection::vec(step, 1..5).prop_map(|steps| steps.concat());
    prop_oneof![
        8 => pattern,
        1 => Just("/synth/*/{freq,gain".to_string()),
        1 => Just("/a/[".to_string()),
    ]
}

/// An incoming address: literal or pattern.
fn incoming() -> impl Strategy<Value = String> {
    prop_oneof![literal_address(), any_pattern()]
}

/// A route: mostly literal, sometimes a pattern.
fn route() -> impl Strategy<Value = String> {
    prop_oneof![6 => literal_address(), 1 => any_pattern()]
}

fn build(addresses: &[String]) -> (D, Vec<(String, usize)>) {
    let mut d = D::new();
    let mut routes = Vec::new();
    for (id, a) in addresses.iter().enumerate() {
        let leaked: &'static str = Box::leak(a.clone().into_boxed_str());
        if d.map(leaked, Id(id)).is_ok() {
            routes.push((a.clone(), id));
        }
    }
    d.set_default(Some(Id(usize::MAX)));
    (d, routes)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn dispatch_agrees_with_the_model(
        addresses in proptest::collection::vec(route(), 0..48),
        messages in proptest::collection::vec(incoming(), 1..12),
    ) {
        let (mut d, routes) = build(&addresses);
        for m in &messages {
            check(&mut d, &routes, m)?;
        }
        // Every registered address reaches at least its own routes.
        for (a, _) in &routes {
            check(&mut d, &routes, a)?;
        }
    }

    #[test]
    fn dispatch_agrees_with_the_model_after_unmap(
        addresses in proptest::collection::vec(route(), 1..48),
        drop in proptest::collection::vec(any::<prop::sample::Index>(), 1..6),
        messages in proptest::collection::vec(incoming(), 1..8),
    ) {
        let (mut d, mut routes) = build(&addresses);
        for i in &drop {
            let victim = addresses[i.index(addresses.len())].clone();
            d.unmap(&victim);
            routes.retain(|(a, _)| *a != victim);
        }
        for m in messages.iter().chain(addresses.iter()) {
            check(&mut d, &routes, m)?;
        }
        // Mapping again after a re-index keeps registration order.
        for (k, a) in addresses.iter().take(4).enumerate() {
            let id = 1000 + k;
            let leaked: &'static str = Box::leak(a.clone().into_boxed_str());
            if d.map(leaked, Id(id)).is_ok() {
                routes.push((a.clone(), id));
            }
        }
        for m in messages.iter().chain(addresses.iter()) {
            check(&mut d, &routes, m)?;
        }
    }
}

/// The 64-route table of the D workloads, with many patterns against it.
#[test]
fn workload_table_against_the_model() {
    let table: Vec<String> = include_str!("vectors/dispatch_table.txt")
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect();
    let (mut d, routes) = build(&table);
    assert_eq!(routes.len(), 64);
    let patterns = [
        "/synth/*/{freq,gain}",
        "/synth/*/freq",
        "/synth/1/*",
        "/synth/?/{attack,decay,sustain,release}",
        "/synth/[1-4]/*",
        "/synth/[!1-4]/{pan,mute}",
        "/synth/*/*",
        "/*/*/*",
        "/*/1/freq",
        "//freq",
        "/synth//gain",
        "//*",
        "/synth/*",
        "/synth/*/{freq,gain}/x",
        "/s*/{1,8}/*e*",
        "/synth/{1,2,3}/{freq,gain}",
        "/synth/{1,2,3}*/freq",
        "/synth/*/{}",
        "/synth/1/freq",
        "/synth/9/freq",
        "/synth/*/{freq,gain",
    ];
    for p in patterns
        .iter()
        .copied()
        .chain(table.iter().map(String::as_str))
    {
        check(&mut d, &routes, p).unwrap_or_else(|e| panic!("{p}: {e}"));
    }
}

/// Ranges of more routes than the walk compares one by one: the values of a finite last part are
/// looked up in the hash table instead; long addresses do not fit its key buffer.
#[test]
fn large_ranges_against_the_model() {
    let long = "x".repeat(120);
    let mut table: Vec<String> = Vec::new();
    for i in 0..60 {
        table.push(format!("/k/{i}"));
        table.push(format!("/k/{i}/x"));
        table.push(format!("/{long}/{i}"));
    }
    table.push("/k".to_string());
    table.push("/k/5".to_string());
    let (mut d, routes) = build(&table);
    assert_eq!(routes.len(), table.len());
    let patterns = [
        "/k/{5,50,59,60,}".to_string(),
        "/k/{1,2}{0,1}".to_string(),
        "/k/{5,50}/x".to_string(),
        "/k/*".to_string(),
        "/k/?".to_string(),
        "/k/*/x".to_string(),
        "/k/[1-3]*/{x,y}".to_string(),
        "/{k,q}/{7,8}".to_string(),
        "/*/{7,8}".to_string(),
        format!("/{long}/{{1,2,3}}"),
        format!("/{long}/*"),
        "/*/{1,2,3}".to_string(),
    ];
    for p in &patterns {
        check(&mut d, &routes, p).unwrap_or_else(|e| panic!("{p}: {e}"));
    }
}

/// Many routes whose hashes share buckets: every one is still found, and only it.
#[test]
fn many_literal_routes_each_found() {
    const N: usize = 512;
    let addresses: Vec<String> = (0..N).map(|i| format!("/m/{}/x", i % 300)).collect();
    let mut d: Dispatcher<'static, Id, N> = Dispatcher::new();
    for (id, a) in addresses.iter().enumerate() {
        let leaked: &'static str = Box::leak(a.clone().into_boxed_str());
        d.map(leaked, Id(id)).expect("room");
    }
    for i in 0..300 {
        let address = format!("/m/{i}/x");
        let bytes = raw_message(&address, 1);
        let mut log = Log::default();
        d.dispatch(
            &decode(&bytes).expect("decode"),
            &mut log,
            &(),
            &mut Replies::none(),
        );
        let expected: Vec<usize> = (0..N).filter(|&id| addresses[id] == address).collect();
        assert_eq!(log.ids, expected, "{address}");
    }
}

/// Routes longer than 64 KiB (past any 16-bit offset) beside short ones that end in the same parts.
#[test]
fn routes_longer_than_64_kib() {
    let long = "a".repeat(70_000);
    let table: Vec<String> = [
        format!("/{long}/freq"),
        format!("/{long}/gain"),
        format!("/{long}/x/freq"),
        format!("/{long}b/freq"),
        "/b/freq".to_string(),
        "/b/gain".to_string(),
        "/ab/x/freq".to_string(),
    ]
    .into();
    let (mut d, routes) = build(&table);
    assert_eq!(routes.len(), table.len());
    let patterns = [
        "/*/{freq,gain}",
        "/*/freq",
        "/*/f*",
        "/a*/{freq,gain}",
        "/a*/f*",
        "/*/*/freq",
        "/a*/*/{freq,x}",
        "/*/*",
        "/b/*",
    ];
    for p in &patterns {
        check(&mut d, &routes, p).unwrap_or_else(|e| panic!("{p}: {e}"));
    }
}
