//! The matcher: iterative, allocation-free, with a small fixed stack.
//!
//! * Between parts, `//` is the only wildcard, and every other pattern part matches exactly one
//!   address part. That is glob matching over parts with `//` as the star, so one restart point
//!   (the most recent `//`) is enough: [`matches`].
//! * [`fast`] handles the common parts without scanning them first: literal parts (a byte
//!   compare, across as many parts as agree), and a literal start followed by `*` or by one
//!   `{...}` that ends the part. Everything else goes through [`slow`], which checks the part
//!   with [`next_step`] and picks an engine by its shape:
//! * Within a part without `{...}`, `?` and `[...]` match exactly one byte, so the same
//!   one-restart-point algorithm matches `*`: [`glob`].
//! * A part with exactly one `{...}` and nothing else is a prefix, an alternative and a suffix:
//!   [`one_group`].
//! * Any other part with `{...}` runs a state-set simulation over the positions of the part:
//!   [`complex`]. Its states fit a 256-bit set, hence [`MAX_COMPLEX_PART_LEN`].
//!
//! A pattern part is only declared a match once it has been read to its end, and the fast path
//! reads every byte it accepts, so a malformed pattern never matches.

use super::syntax::{class, next_step, set_matches, Class, Shape, Step};
#[cfg(doc)]
use super::MAX_COMPLEX_PART_LEN;

/// See [`super::matches_bytes`].
pub(super) fn matches(pattern: &[u8], address: &[u8]) -> bool {
    // The root `/` has no parts: only `/` matches it, and the pattern `/` matches nothing else.
    if pattern.len() <= 1 || address.len() <= 1 {
        return pattern == b"/" && address == b"/";
    }
    let mut p = pattern;
    let mut a = address;
    // The most recent `//`: the pattern after it, and the address it will absorb one more part of
    // if what follows fails to match.
    let mut restart: Option<(&[u8], &[u8])> = None;
    'step: loop {
        'mismatch: {
            let (p_at, a_at) = match fast(p, a) {
                Fast::Slow(p_at, a_at) => (p_at, a_at),
                Fast::Mismatch => break 'mismatch,
                Fast::Done(result) => return result,
            };
            match slow(p_at, a_at) {
                Slow::Part(p_rest, a_rest) => {
                    p = p_rest;
                    a = a_rest;
                }
                Slow::Descend(p_rest) => {
                    restart = Some((p_rest, a_at));
                    p = p_rest;
                    a = a_at;
                }
                Slow::Done(result) => return result,
                Slow::Mismatch => break 'mismatch,
            }
            continue 'step;
        }
        // Mismatch: let the last `//` absorb one more address part, or give up.
        let Some((rp, ra)) = restart else {
            return false;
        };
        let Some(ra) = skip_part(ra) else {
            return false;
        };
        restart = Some((rp, ra));
        p = rp;
        a = ra;
    }
}

/// How [`fast`] stopped.
enum Fast<'p, 'a> {
    /// The next step needs [`slow`], at these positions.
    Slow(&'p [u8], &'a [u8]),
    /// A part did not match.
    Mismatch,
    /// The answer: `true` at the end of both, `false` for an address with an empty part.
    Done(bool),
}

/// Matches as many parts as it can without scanning either part first: runs of literal parts,
/// and parts made of a literal start and then `*` or one `{...}`. Stops at the first part that
/// differs, or that needs [`slow`]. `p` and `a` are empty or start with `/`.
#[inline]
fn fast<'p, 'a>(mut p: &'p [u8], mut a: &'a [u8]) -> Fast<'p, 'a> {
    loop {
        let ([b'/', pp @ ..], [b'/', ap @ ..]) = (p, a) else {
            return match (p, a) {
                ([], []) => Fast::Done(true),
                _ => Fast::Slow(p, a),
            };
        };
        // Compare literal bytes, across single `/`, as long as pattern and address agree.
        // `start` is where the current part starts.
        let mut n = pp.len().min(ap.len());
        let mut start = 0;
        for (i, (&x, &y)) in pp.iter().zip(ap).enumerate() {
            if x == y && class(x) == Class::Addr {
                continue;
            }
            if x == y && x == b'/' && i > start {
                start = i.saturating_add(1);
                continue;
            }
            n = i;
            break;
        }
        let literal = n > start;
        let (Some(pr), Some(ar)) = (pp.get(n..), ap.get(n..)) else {
            return Fast::Slow(p, a);
        };
        (p, a) = match pr {
            // The whole pattern part is literal: it matches if the address part ends here too.
            [] | [b'/', ..] if literal => match ar {
                [] | [b'/', ..] => (pr, ar),
                _ => return Fast::Mismatch,
            },
            // A literal byte differs: the part cannot match, whatever follows in it. (A
            // malformed rest of the part is reported if this part is ever reached with a
            // matching address.)
            [b, ..] if class(*b) == Class::Addr => return Fast::Mismatch,
            // An empty address part, where the pattern part needs a wildcard: never matches.
            [b'*' | b'{', ..] if !literal && matches!(ar, [] | [b'/', ..]) => {
                return Fast::Done(false);
            }
            // `literal*`: matches whatever is left of the address part.
            [b'*', rest @ ..] if matches!(rest, [] | [b'/', ..]) => (rest, split_part(ar).1),
            // `literal{alt,...}`: one of the alternatives is what is left of the address part.
            [b'{', group @ ..] => match group_fast(group, ar) {
                Some(Some(rests)) => rests,
                Some(None) => return Fast::Mismatch,
                None => return slow_after(pp, ap, start, p, a),
            },
            // Anything else, and `//` or a trailing `/`: the general path, after the literal
            // parts that did match.
            _ => return slow_after(pp, ap, start, p, a),
        };
    }
}

/// [`Fast::Slow`] at the start of the part that starts at `start` in `pp` and `ap`.
fn slow_after<'p, 'a>(
    pp: &'p [u8],
    ap: &'a [u8],
    start: usize,
    p: &'p [u8],
    a: &'a [u8],
) -> Fast<'p, 'a> {
    match start.checked_sub(1).map(|at| (pp.get(at..), ap.get(at..))) {
        Some((Some(p), Some(a))) => Fast::Slow(p, a),
        _ => Fast::Slow(p, a),
    }
}

/// `{alt,...}` at the end of a part: checks the group and compares each alternative with the
/// address part at the start of `ar`. `group` follows the `{`. Returns the rests after a match,
/// `Some(None)` for no match, and `None` if the group is malformed or does not end the part.
#[inline]
#[allow(clippy::option_option)]
fn group_fast<'p, 'a>(group: &'p [u8], ar: &'a [u8]) -> Option<Option<(&'p [u8], &'a [u8])>> {
    let end = group
        .iter()
        .position(|&b| b != b',' && class(b) != Class::Addr)?;
    let (alts, rest) = group.split_at_checked(end)?;
    let [b'}', rest @ ..] = rest else { return None };
    if !matches!(rest, [] | [b'/', ..]) {
        return None;
    }
    let (seg, ar) = split_part(ar);
    let hit = alts
        .split(|&b| b == b',')
        .any(|alt| alt.len() == seg.len() && alt.iter().zip(seg).all(|(x, y)| x == y));
    Some(hit.then_some((rest, ar)))
}

/// What [`slow`] did.
enum Slow<'p, 'a> {
    /// The next pattern part matched the next address part; the rests follow.
    Part(&'p [u8], &'a [u8]),
    /// The pattern continues with `//`; the rest of the pattern follows.
    Descend(&'p [u8]),
    /// The next pattern part does not match here (or the address ended too soon, or the pattern
    /// ended too soon).
    Mismatch,
    /// The answer: `true` at the end of both, `false` for a malformed pattern or an address
    /// with an empty part.
    Done(bool),
}

/// One step of any kind, by scanning and checking the pattern part first. `p` and `a` are
/// empty or start with `/`.
#[inline(never)]
fn slow<'p, 'a>(p: &'p [u8], a: &'a [u8]) -> Slow<'p, 'a> {
    match next_step(p) {
        Err(_) => Slow::Done(false),
        Ok(None) if a.is_empty() => Slow::Done(true),
        Ok(None) => Slow::Mismatch,
        Ok(Some((Step::Descend, rest))) => Slow::Descend(rest),
        Ok(Some((Step::Part(part, shape), rest))) => {
            let Some(a) = a.strip_prefix(b"/") else {
                return Slow::Mismatch;
            };
            let (seg, a_rest) = split_part(a);
            if seg.is_empty() {
                return Slow::Done(false);
            }
            if part_matches(part, shape, seg) {
                Slow::Part(rest, a_rest)
            } else {
                Slow::Mismatch
            }
        }
    }
}

/// Whether the checked pattern part `part`, of shape `shape`, matches the address part `seg`
/// (which is not empty).
#[inline]
pub(super) fn part_matches(part: &[u8], shape: Shape, seg: &[u8]) -> bool {
    match shape {
        Shape::Literal => part == seg,
        Shape::Glob => glob(part, seg),
        Shape::OneGroup { open, close } => one_group(part, open, close, seg),
        Shape::Complex => complex(part, seg),
    }
}

/// Splits `a` at its first `/`.
#[inline]
fn split_part(a: &[u8]) -> (&[u8], &[u8]) {
    match a.iter().position(|&b| b == b'/') {
        Some(end) => a.split_at_checked(end).unwrap_or((a, &[])),
        None => (a, &[]),
    }
}

/// Skips the first part of `a` (which starts with `/`). `None` at the end of the address, or if
/// that part is empty (such an address never matches).
fn skip_part(a: &[u8]) -> Option<&[u8]> {
    let (seg, rest) = split_part(a.strip_prefix(b"/")?);
    (!seg.is_empty()).then_some(rest)
}

/// `*`, `?` and `[...]` within one part. Everything but `*` matches exactly one byte, so only
/// the most recent `*` needs a restart point: O(|p| x |s|) at worst.
fn glob(mut p: &[u8], mut s: &[u8]) -> bool {
    let mut restart: Option<(&[u8], &[u8])> = None;
    loop {
        match p {
            [b'*', rest @ ..] => {
                if rest.is_empty() {
                    return true;
                }
                restart = Some((rest, s));
                p = rest;
                continue;
            }
            [] => {
                if s.is_empty() {
                    return true;
                }
            }
            _ => {
                if let [c, s_rest @ ..] = s {
                    if let Some(p_rest) = one(p, *c) {
                        p = p_rest;
                        s = s_rest;
                        continue;
                    }
                }
            }
        }
        // Mismatch: let the last `*` absorb one more byte, or give up.
        let Some((rp, [_, rs @ ..])) = restart else {
            return false;
        };
        restart = Some((rp, rs));
        p = rp;
        s = rs;
    }
}

/// Matches the one-byte item at the start of `p` (`?`, `[...]` or a literal) against `c`;
/// returns the rest of `p` on a match.
#[inline]
fn one(p: &[u8], c: u8) -> Option<&[u8]> {
    match p {
        [b'?', rest @ ..] => Some(rest),
        [b'[', ..] => match set_matches(p, c) {
            Some((true, rest)) => Some(rest),
            _ => None,
        },
        [b, rest @ ..] => (*b == c).then_some(rest),
        [] => None,
    }
}

/// `prefix{alt,alt,...}suffix` with literal prefix, alternatives and suffix.
fn one_group(part: &[u8], open: usize, close: usize, seg: &[u8]) -> bool {
    let (Some(prefix), Some(alts), Some(suffix)) = (
        part.get(..open),
        part.get(open.saturating_add(1)..close),
        part.get(close.saturating_add(1)..),
    ) else {
        return false;
    };
    let Some(middle) = seg
        .strip_prefix(prefix)
        .and_then(|m| m.strip_suffix(suffix))
    else {
        return false;
    };
    alts.split(|&b| b == b',').any(|alt| alt == middle)
}

const WORDS: usize = 4;

/// A set of positions `0..256` in a part; position `part.len()` means "matched the whole part".
#[derive(Clone, Copy)]
struct States([u64; WORDS]);

impl States {
    const EMPTY: Self = Self([0; WORDS]);

    #[inline]
    fn insert(&mut self, i: usize) {
        if let Some(word) = self.0.get_mut(i / 64) {
            *word |= bit(i);
        }
    }

    #[inline]
    fn contains(&self, i: usize) -> bool {
        self.0.get(i / 64).is_some_and(|word| word & bit(i) != 0)
    }

    fn is_empty(&self) -> bool {
        self.0.iter().all(|&word| word == 0)
    }
}

/// How many words of a [`States`] the positions `0..=part.len()` use.
#[inline]
fn words_for(part: &[u8]) -> usize {
    (part.len() / 64).saturating_add(1).min(WORDS)
}

/// The bit of position `i` within its word.
#[inline]
fn bit(i: usize) -> u64 {
    // `wrapping_shl` takes the shift modulo 64, which is exactly the position within the word.
    1u64.wrapping_shl(i as u32)
}

/// The position of the lowest set bit of `pending`, in word `w`.
#[inline]
fn position(w: usize, pending: u64) -> usize {
    w.saturating_mul(64)
        .saturating_add(pending.trailing_zeros() as usize)
}

/// General part matcher: simulates the pattern as a nondeterministic automaton whose states
/// are byte positions in `part`. O(|part|) per address byte; no backtracking.
///
/// `part` is a checked part of at most [`MAX_COMPLEX_PART_LEN`] bytes.
fn complex(part: &[u8], seg: &[u8]) -> bool {
    let words = words_for(part);
    let mut current = States::EMPTY;
    current.insert(0);
    close(part, words, &mut current);
    for &c in seg {
        let mut next = States::EMPTY;
        for w in 0..words {
            let Some(&word) = current.0.get(w) else { break };
            let mut pending = word;
            while pending != 0 {
                let i = position(w, pending);
                pending &= pending.wrapping_sub(1);
                let Some(p) = part.get(i..) else { continue };
                match p {
                    [b'*', ..] => next.insert(i),
                    [b'?', ..] => next.insert(i.saturating_add(1)),
                    [b'[', ..] => {
                        if let Some((true, rest)) = set_matches(p, c) {
                            next.insert(part.len().saturating_sub(rest.len()));
                        }
                    }
                    // Not consuming: their successors are already in the set.
                    [b'{' | b',' | b'}', ..] => {}
                    [b, ..] => {
                        if *b == c {
                            next.insert(i.saturating_add(1));
                        }
                    }
                    [] => {}
                }
            }
        }
        if next.is_empty() {
            return false;
        }
        close(part, words, &mut next);
        current = next;
    }
    current.contains(part.len())
}

/// Adds to `states` every position reachable from them without consuming a byte (from `*`,
/// `{`, `,` and `}`). Such moves only go forward, so one sweep in increasing order finds them
/// all: O(|part|).
fn close(part: &[u8], words: usize, states: &mut States) {
    // The `}` of the group that the sweep is in, once found, so that each `,` need not search
    // for it again.
    let mut group_end = 0;
    for w in 0..words {
        let Some(&word) = states.0.get(w) else { break };
        let mut pending = word;
        while pending != 0 {
            let i = position(w, pending);
            pending &= pending.wrapping_sub(1);
            let mut add = |t: usize| {
                states.insert(t);
                if t / 64 == w {
                    pending |= bit(t);
                }
            };
            match part.get(i) {
                // `*` may match nothing; `}` ends the last alternative.
                Some(b'*' | b'}') => add(i.saturating_add(1)),
                // Enter every alternative: the first, and one after each `,`.
                Some(b'{') => {
                    let mut k = i;
                    while let Some(&b) = part.get(k) {
                        if b == b'}' {
                            break;
                        }
                        if b == b'{' || b == b',' {
                            add(k.saturating_add(1));
                        }
                        k = k.saturating_add(1);
                    }
                    group_end = k;
                }
                // The end of an alternative: leave the group.
                Some(b',') => {
                    if group_end <= i {
                        group_end = i;
                        while part.get(group_end).is_some_and(|&b| b != b'}') {
                            group_end = group_end.saturating_add(1);
                        }
                    }
                    add(group_end.saturating_add(1));
                }
                _ => {}
            }
        }
    }
}
