//! Properties checked by the fuzz targets (`osc-core/fuzz`) and by the regression test that replays the
//! committed corpus and every crash input ever found (`tests/fuzz_regressions.rs`). Each function panics
//! when a property fails; none may panic for any input otherwise.
#![allow(dead_code, unreachable_pub)]

use osc_core::len_prefix::{self, LenPrefixDecoder};
use osc_core::slip::{self, SlipDecoder};
use osc_core::{decode, Arg, DecodeConfig, FrameError, Packet};

/// Decoding arbitrary bytes never panics, and whatever decodes can be walked completely.
pub fn decode_any(data: &[u8]) {
    for cfg in [
        DecodeConfig::new(),
        DecodeConfig::strict(),
        DecodeConfig::new().max_depth(1),
        DecodeConfig::new().max_depth(osc_core::MAX_DEPTH_LIMIT),
    ] {
        if let Ok(p) = cfg.decode(data) {
            walk(&p);
            let _ = p.to_string();
        }
    }
}

/// decode → encode → decode gives the same packet; strict acceptance implies tolerant acceptance of
/// the same value; what we encode is accepted by the strict profile and re-encodes to the same bytes.
pub fn roundtrip(data: &[u8]) {
    let strict = DecodeConfig::strict().decode(data);
    let Ok(p) = decode(data) else {
        assert!(strict.is_err(), "strict accepted what tolerant refused");
        return;
    };
    if let Ok(s) = strict {
        assert_eq!(s, p);
    }
    let mut out = vec![0u8; p.encoded_len()];
    // Encoding may refuse what decoding tolerated (e.g. an address with a space); nothing else.
    let Ok(n) = p.encode(&mut out) else { return };
    assert_eq!(n, out.len(), "encoded_len is exact");
    let again = DecodeConfig::strict()
        .max_depth(osc_core::MAX_DEPTH_LIMIT)
        .decode(&out)
        .expect("our own output decodes strictly");
    assert_eq!(again, p);
    let mut out2 = vec![0u8; again.encoded_len()];
    again.encode(&mut out2).expect("re-encode");
    assert_eq!(out2, out);
}

fn walk(p: &Packet<'_>) -> usize {
    match p {
        Packet::Message(m) => m.iter().map(|a| walk_arg(&a)).sum::<usize>() + 1,
        Packet::Bundle(b) => b.elements().map(|e| walk(&e)).sum::<usize>() + 1,
    }
}

fn walk_arg(a: &Arg<'_>) -> usize {
    match a {
        Arg::Array(inner) => inner.iter().map(|x| walk_arg(&x)).sum::<usize>() + 1,
        _ => 1,
    }
}

/// Splits fuzz input into a chunking seed and a body.
fn split(data: &[u8]) -> (u64, &[u8]) {
    match data.split_first_chunk::<8>() {
        Some((seed, rest)) => (u64::from_le_bytes(*seed), rest),
        None => (0, data),
    }
}

/// Chunk lengths from a seed: 1..=17 bytes, deterministic.
fn chunks(mut seed: u64, body: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut rest = body;
    while !rest.is_empty() {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let n = ((seed >> 33) % 17 + 1) as usize;
        let (a, b) = rest.split_at(n.min(rest.len()));
        out.push(a);
        rest = b;
    }
    out
}

type Events = Vec<Result<Vec<u8>, FrameError>>;

/// Feeds `parts` through a stream decoder's `feed` (given as a closure) and collects what it yields,
/// checking the `feed` contract on the way.
fn feed_all(
    buf_len: usize,
    parts: &[&[u8]],
    mut feed: impl FnMut(&[u8]) -> (usize, Option<Result<Vec<u8>, FrameError>>),
) -> Events {
    let mut events = Vec::new();
    for part in parts {
        let mut input = *part;
        while !input.is_empty() {
            let (n, ev) = feed(input);
            assert!(n > 0 && n <= input.len(), "feed consumes 1..=len bytes");
            if let Some(ev) = ev {
                if let Ok(frame) = &ev {
                    assert!(frame.len() <= buf_len);
                }
                events.push(ev);
            }
            input = &input[n..];
        }
    }
    events
}

fn feed_slip(buf_len: usize, parts: &[&[u8]]) -> Events {
    let mut dec = SlipDecoder::new(vec![0u8; buf_len]);
    feed_all(buf_len, parts, |input| {
        let (n, ev) = dec.feed(input);
        (n, ev.map(|r| r.map(<[u8]>::to_vec)))
    })
}

fn feed_len(buf_len: usize, parts: &[&[u8]]) -> Events {
    let mut dec = LenPrefixDecoder::new(vec![0u8; buf_len]);
    feed_all(buf_len, parts, |input| {
        let (n, ev) = dec.feed(input);
        (n, ev.map(|r| r.map(<[u8]>::to_vec)))
    })
}

/// Packets cut from the body at `sep` bytes (so the fuzzer controls payloads and their count).
fn payloads(body: &[u8], sep: u8) -> Vec<&[u8]> {
    body.split(|&b| b == sep)
        .filter(|p| !p.is_empty())
        .collect()
}

/// The SLIP decoder gives the same events for every chunking of arbitrary bytes, and recovers exactly the
/// payloads of a stream our encoder wrote, whatever the chunking.
pub fn slip_stream(data: &[u8]) {
    let (seed, body) = split(data);
    let whole = feed_slip(64, &[body]);
    assert_eq!(
        feed_slip(64, &chunks(seed, body)),
        whole,
        "chunking changed SLIP events"
    );
    let bytes: Vec<&[u8]> = body.iter().map(core::slice::from_ref).collect();
    assert_eq!(feed_slip(64, &bytes), whole);

    let packets = payloads(body, b'|');
    let mut stream = Vec::new();
    for p in &packets {
        let mut out = vec![0u8; slip::encoded_len(p)];
        assert_eq!(slip::encode(p, &mut out), Ok(out.len()));
        stream.extend_from_slice(&out);
    }
    let got = feed_slip(body.len().max(1), &chunks(seed, &stream));
    let want: Events = packets.iter().map(|p| Ok(p.to_vec())).collect();
    assert_eq!(got, want, "SLIP stream lost or changed a frame");
}

/// The same for the OSC 1.0 length prefix.
pub fn len_prefix_stream(data: &[u8]) {
    let (seed, body) = split(data);
    let whole = feed_len(64, &[body]);
    assert_eq!(
        feed_len(64, &chunks(seed, body)),
        whole,
        "chunking changed events"
    );
    let bytes: Vec<&[u8]> = body.iter().map(core::slice::from_ref).collect();
    assert_eq!(feed_len(64, &bytes), whole);

    let packets = payloads(body, b'|');
    let mut stream = Vec::new();
    for p in &packets {
        let mut out = vec![0u8; len_prefix::encoded_len(p)];
        assert_eq!(len_prefix::encode(p, &mut out), Ok(out.len()));
        stream.extend_from_slice(&out);
    }
    let got = feed_len(body.len().max(1), &chunks(seed, &stream));
    let want: Events = packets.iter().map(|p| Ok(p.to_vec())).collect();
    assert_eq!(got, want, "length-prefixed stream lost or changed a frame");
}

use osc_core::pattern::{self, validate_pattern_bytes};

#[path = "../support/reference_matcher.rs"]
mod reference_matcher;

/// The matcher agrees with the reference matcher (on inputs small enough for the reference), never
/// matches with a malformed pattern, and never panics.
pub fn matcher(data: &[u8]) {
    let (p, a) = match data.iter().position(|&b| b == b'\n') {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => data.split_at(data.len() / 2),
    };
    let got = pattern::matches_bytes(p, a);
    if validate_pattern_bytes(p).is_err() {
        assert!(!got, "a malformed pattern matched");
    }
    if p.len() <= 24 && a.len() <= 32 && p.iter().filter(|&&b| b == b'*').count() <= 4 {
        assert_eq!(
            got,
            reference_matcher::reference(p, a),
            "{:?} vs {:?}",
            p,
            a
        );
    }
    if let (Ok(p), Ok(a)) = (core::str::from_utf8(p), core::str::from_utf8(a)) {
        assert_eq!(pattern::matches(p, a), got);
        // Captures exist exactly for a match, and each is a piece of the address.
        let captures = pattern::captures(p, a);
        assert_eq!(captures.is_some(), got);
        for c in captures.into_iter().flatten() {
            assert!(a.contains(c), "{c:?} is not in {a:?}");
        }
    }
}

/// Route and address vocabulary for the dispatcher check: literal and pattern addresses over a few parts.
const PARTS: [&str; 14] = [
    "a",
    "b",
    "ab",
    "*",
    "?",
    "[ab]",
    "{a,ab}",
    "[!a]",
    "b*",
    "",
    "a b",
    "#1",
    "\u{e9}",
    "{\u{e9},a}",
];

fn address(code: &[u8]) -> String {
    let mut s = String::new();
    for &c in code.iter().take(3) {
        s.push('/');
        s.push_str(PARTS[usize::from(c) % PARTS.len()]);
    }
    if s.is_empty() {
        s.push('/');
    }
    s
}

/// Dispatcher table operations (map, unmap, dispatch) agree with a plain model: a list of routes in
/// registration order, a full scan with `pattern::matches` in the direction the rules give, and the
/// default handler when nothing matched.
pub fn dispatcher_ops(data: &[u8]) {
    use osc_core::{Dispatcher, Message, Replies, Request};

    type Log = Vec<(usize, String)>;
    struct Tagged(usize);
    impl osc_core::Handler<Log, ()> for Tagged {
        fn handle(&mut self, log: &mut Log, req: &Request<'_, '_, ()>, _: &mut Replies<'_>) {
            log.push((self.0, req.route.to_string()));
        }
    }

    // Parse first, so that the table can borrow the addresses.
    let ops: Vec<(u8, String)> = data
        .chunks(4)
        .map(|op| {
            let (kind, code) = op.split_first().unwrap_or((&0, &[]));
            (kind % 4, address(code))
        })
        .collect();
    let mut d: Dispatcher<'_, Tagged, 8> = Dispatcher::new();
    d.set_default(Some(Tagged(usize::MAX)));
    let mut model: Vec<(&str, usize)> = Vec::new();
    let mut next_id = 0usize;
    for (kind, addr) in &ops {
        let addr = addr.as_str();
        match kind {
            0 | 1 => {
                let valid = if pattern::is_pattern(addr) {
                    pattern::validate_pattern(addr).is_ok()
                } else {
                    pattern::validate_address(addr).is_ok()
                };
                let r = d.map(addr, Tagged(next_id));
                if valid && model.len() < 8 {
                    assert!(r.is_ok(), "map {addr} refused");
                    model.push((addr, next_id));
                } else {
                    assert!(r.is_err(), "map {addr} accepted");
                }
                next_id += 1;
            }
            2 => {
                let removed = d.unmap(addr);
                let before = model.len();
                model.retain(|(a, _)| *a != addr);
                assert_eq!(removed, before - model.len());
            }
            _ => {
                let incoming_is_pattern = pattern::is_pattern(addr);
                let mut want: Log = model
                    .iter()
                    .filter(
                        |(route, _)| match (incoming_is_pattern, pattern::is_pattern(route)) {
                            (true, true) => *route == addr,
                            (true, false) => pattern::matches(addr, route),
                            (false, true) => pattern::matches(route, addr),
                            (false, false) => *route == addr,
                        },
                    )
                    .map(|(route, id)| (*id, route.to_string()))
                    .collect();
                if want.is_empty() {
                    want.push((usize::MAX, String::new()));
                }
                let mut log = Log::new();
                let mut replies = Replies::none();
                let msg = Message::new(addr, &[]);
                let mut out = osc_core::Outcome::default();
                d.dispatch_message(&msg, None, &mut log, &(), &mut replies, &mut out);
                assert_eq!(log, want, "dispatch {addr}");
            }
        }
    }
    assert_eq!(d.len(), model.len());
}
