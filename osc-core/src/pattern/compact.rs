//! The pattern engine of the `small` feature: one walk over a pattern part that checks its syntax
//! and, in the same pass, steps the part's automaton by one address byte.
//!
//! The automaton is the one of the bit-parallel engine in [`matcher`](super::matcher): its states
//! are byte positions in the part, position `part.len()` meaning "matched the whole part". A literal
//! or `?` takes one byte and moves to the next position, `*` takes a byte and stays, a `[...]` that
//! holds the byte jumps past its `]`; without taking a byte, a state moves past `*` and `}`, from a
//! `{` to the start of each alternative, and from the end of an alternative (a `,`) past the group.
//! Every move goes forward (or stays, for `*`), so one pass in order over the part applies the moves
//! on a byte and then every move that follows without one. The context that pass keeps (the group
//! it is in; each set is read whole at its `[`) is all that checking the part needs too: with empty
//! state sets, the walk is the validator.
//!
//! Parts of up to [`MAX_COMPLEX_PART_LEN`] bytes are matched by the walk, whose state sets have one
//! bit per position. The longer parts that a valid pattern may have (literal, `*` `?` `[...]` only,
//! or one `{...}` alone) go through [`glob`], a glob matcher with one restart point.

use super::error::AddressErrorKind as Kind;
use super::matcher::split_part;
use super::syntax::{class, set_bounds, Class, SyntaxError};
use super::MAX_COMPLEX_PART_LEN;

/// The positions `0..=MAX_COMPLEX_PART_LEN` of a part, one bit each, in 32-bit words (native on
/// the smallest targets).
type Bits = [u32; 8];

/// Whether position `i` is in `bits` (never past the last word).
#[inline(never)]
fn has(bits: &Bits, i: usize) -> bool {
    bits.get(i / 32)
        .is_some_and(|word| word.wrapping_shr(i as u32) & 1 != 0)
}

/// Adds position `i` to `bits` (nothing past the last word).
fn put(bits: &mut Bits, i: usize) {
    if let Some(word) = bits.get_mut(i / 32) {
        *word |= 1u32.wrapping_shl(i as u32);
    }
}

/// Checks `pattern` as [`validate_pattern_bytes`](super::validate_pattern_bytes) does: the same
/// errors, at the same offsets.
pub(super) fn check(pattern: &[u8]) -> Result<(), SyntaxError> {
    match pattern {
        [] => return Err((Kind::Empty, 0)),
        [b'/', ..] => {}
        _ => return Err((Kind::MissingSlash, 0)),
    }
    // The root `/` has no parts.
    let mut at = usize::from(pattern.len() == 1);
    let mut states = [0; 8];
    while at < pattern.len() {
        let (start, part) = step(pattern, at, &mut states)?;
        at = start.wrapping_add(part.len());
    }
    Ok(())
}

/// Reads and checks the step of `pattern` introduced by the `/` at `at`: returns where its part
/// starts (after `//`, one byte later) and the part, and sets `states` to the states of the part's
/// automaton before any byte.
fn step<'p>(
    pattern: &'p [u8],
    at: usize,
    states: &mut Bits,
) -> Result<(usize, &'p [u8]), SyntaxError> {
    let mut start = at.wrapping_add(1);
    if pattern.get(start) == Some(&b'/') {
        if pattern.get(start.wrapping_add(1)) == Some(&b'/') {
            return Err((Kind::TooManySlashes, start.wrapping_add(1)));
        }
        start = start.wrapping_add(1);
    }
    let part = split_part(pattern.get(start..).unwrap_or_default()).0;
    if part.is_empty() {
        return Err((Kind::EmptyPart, start.wrapping_sub(1)));
    }
    // Position 0, and (with no states to step) what follows it without a byte.
    *states = [0; 8];
    put(states, 0);
    walk(part, 0, &[0; 8], states).map_err(|(kind, i)| (kind, start.wrapping_add(i)))?;
    Ok((start, part))
}

/// See [`super::matches_bytes`]: the pattern is read step by step, each part checked when it is
/// first reached and matched against the address part it reaches, with one restart point at the
/// most recent `//`. A malformed part may go unseen behind a mismatch, which gives the same answer
/// as checking the pattern first: no match.
pub(super) fn matches_small(pattern: &[u8], address: &[u8]) -> bool {
    // The root `/` has no parts: only `/` matches it, and the pattern `/` matches nothing else (an
    // address `/` has an empty part for any other pattern).
    match pattern {
        [b'/'] => return address == b"/",
        [b'/', _, ..] => {}
        _ => return false,
    }
    // `at` indexes the `/` that introduces the next step; `a` is the rest of the address, empty
    // or starting with the `/` before its next part.
    let (mut at, mut a) = (0usize, address);
    // The most recent `//`: where to read the pattern again (its second `/`), and the rest of the
    // address it absorbs parts of; an empty rest until there is one, which ends the match.
    let mut restart: (usize, &[u8]) = (0, &[]);
    let mut states = [0; 8];
    'step: loop {
        'mismatch: {
            if at >= pattern.len() {
                if a.is_empty() {
                    return true;
                }
                break 'mismatch;
            }
            let Ok((start, part)) = step(pattern, at, &mut states) else {
                return false;
            };
            if start > at.wrapping_add(1) {
                restart = (start.wrapping_sub(1), a);
            }
            at = start.wrapping_add(part.len());
            let [b'/', rest @ ..] = a else {
                break 'mismatch;
            };
            let (seg, rest) = split_part(rest);
            if seg.is_empty() {
                return false;
            }
            if !part_matches(part, seg, &mut states) {
                break 'mismatch;
            }
            a = rest;
            continue 'step;
        }
        // A mismatch: let the last `//` absorb one more address part, or give up.
        let (rp, [b'/', ra @ ..]) = restart else {
            return false;
        };
        let (seg, ra) = split_part(ra);
        if seg.is_empty() {
            return false;
        }
        restart = (rp, ra);
        (at, a) = (rp, ra);
    }
}

/// Whether the checked part `part` matches the address part `seg`, from `states` at its start
/// (see [`step`]). Up to [`MAX_COMPLEX_PART_LEN`] bytes, one walk per byte of `seg`, O(p × s) with
/// two 32-byte sets; longer parts through [`glob`].
#[inline(never)]
fn part_matches(part: &[u8], seg: &[u8], states: &mut Bits) -> bool {
    if part.len() > MAX_COMPLEX_PART_LEN {
        return glob(part, seg);
    }
    for &c in seg {
        let mut next: Bits = [0; 8];
        let _ = walk(part, c, states, &mut next);
        *states = next;
    }
    has(states, part.len())
}

/// One pass over `part` (a part of a pattern, without `/`): steps the states in `current` by the
/// byte `c` into `next`, and adds to `next` every position that follows from its states without a
/// byte. Also checks the part, and returns the first syntax error in it (offset in `part`).
///
/// With `current` empty, only the moves without a byte are made; with both empty, the walk only
/// checks the part.
fn walk(part: &[u8], c: u8, current: &Bits, next: &mut Bits) -> Result<(), SyntaxError> {
    // The `{` of the group being read; whether that `{` holds a state; whether an alternative of
    // the group has ended (at a `,`) with a state.
    let mut group: Option<usize> = None;
    let (mut enter, mut leave) = (false, false);
    // For the length limit: `WILD` once a `*` `?` `[...]` is seen, `GROUP` once a `{...}` is; a
    // `{...}` after either sets the next bit up. So 3 or more: a part with a `{...}` and another
    // `{...}`, `*`, `?` or `[...]`.
    const WILD: u8 = 1;
    const GROUP: u8 = 2;
    let mut seen = 0u8;
    let mut i = 0;
    while let Some(&b) = part.get(i) {
        let (stepped, reached) = (has(current, i), has(next, i));
        let mut after = i.wrapping_add(1);
        // Where the state at `i` goes on the byte `c` (nowhere: past the last word), and whether
        // the states at `i` also move to `after` without a byte.
        let (mut to, mut pass) = (usize::MAX, false);
        match class(b) {
            Class::Addr if b == c => to = after,
            Class::Addr => {}
            Class::Comma if group.is_some() => {
                leave |= reached;
                pass = enter;
            }
            Class::CloseBrace if group.is_some() => {
                pass = reached || leave;
                group = None;
            }
            Class::Comma | Class::Bad | Class::Slash => return Err((Kind::InvalidChar, i)),
            _ if group.is_some() => return Err((Kind::NestedMeta, i)),
            Class::Question => {
                seen |= WILD;
                to = after;
            }
            // `*` takes the byte and stays, and is passed without one.
            Class::Star => {
                seen |= WILD;
                to = i;
                pass = stepped || reached;
            }
            Class::OpenBracket => {
                seen |= WILD;
                let (close, hit) = set(part, i, c)?;
                after = close.wrapping_add(1);
                if hit {
                    to = after;
                }
            }
            Class::OpenBrace => {
                seen |= GROUP << u8::from(seen != 0);
                group = Some(i);
                (enter, leave) = (reached, false);
                pass = reached;
            }
            Class::CloseBracket => return Err((Kind::UnmatchedBracket, i)),
            Class::CloseBrace => return Err((Kind::UnmatchedBrace, i)),
        }
        if stepped {
            put(next, to);
        }
        if pass {
            put(next, after);
        }
        i = after;
    }
    if let Some(open) = group {
        return Err((Kind::UnclosedBrace, open));
    }
    if seen > GROUP && part.len() > MAX_COMPLEX_PART_LEN {
        return Err((Kind::TooComplex, MAX_COMPLEX_PART_LEN));
    }
    Ok(())
}

/// Checks the set that opens at `part[open]` (a `[`). Returns the index of its `]`, and whether
/// the set matches `c`.
fn set(part: &[u8], open: usize, c: u8) -> Result<(usize, bool), SyntaxError> {
    let (negated, body, close) = set_bounds(part, open)?;
    // The items, left to right: a byte followed by `-` and another byte is a range, any other
    // byte stands for itself.
    let mut hit = false;
    let mut i = body;
    while let Some(&[lo, ref rest @ ..]) = part.get(i..close) {
        let (hi, len) = match rest {
            [b'-', hi, ..] => (*hi, 3),
            _ => (lo, 1),
        };
        if lo > hi {
            return Err((Kind::ReversedRange, i));
        }
        hit |= (lo..=hi).contains(&c);
        i = i.wrapping_add(len);
    }
    Ok((close, hit != negated))
}

/// A part longer than [`MAX_COMPLEX_PART_LEN`] against an address part: `*`, `?`, `[...]` and
/// literals, or one `{...}` and literals (a longer part is never both). Everything but `*` and the
/// group matches exactly one byte, so one restart point is enough: after the most recent `*`, to let
/// it absorb one more byte (O(p × s) at worst), or at the next alternative of the group, to try it
/// from the same byte (O(p + s) for each alternative).
fn glob(part: &[u8], seg: &[u8]) -> bool {
    let (mut p, mut s) = (0usize, 0usize);
    // Where to read `part` again, and from which byte of `seg`: after the most recent `*`, or at the
    // alternative being tried.
    let mut restart: Option<(usize, usize)> = None;
    loop {
        let matched = match (part.get(p), seg.get(s)) {
            // Past a `*`, or into the first alternative: the restart point.
            (Some(b'*' | b'{'), _) => {
                p = p.wrapping_add(1);
                restart = Some((p, s));
                continue;
            }
            // The end of an alternative: on to the `}`, and past it.
            (Some(b','), _) => match part
                .get(p..)
                .and_then(|r| r.iter().position(|&b| b == b'}'))
            {
                Some(n) => {
                    p = p.wrapping_add(n);
                    continue;
                }
                None => return false,
            },
            (Some(b'}'), _) => {
                p = p.wrapping_add(1);
                continue;
            }
            (None, None) => return true,
            (Some(b'?'), Some(_)) => {
                p = p.wrapping_add(1);
                true
            }
            (Some(b'['), Some(&c)) => match set(part, p, c) {
                Ok((close, true)) => {
                    p = close.wrapping_add(1);
                    true
                }
                _ => false,
            },
            (Some(&b), Some(&c)) if b == c => {
                p = p.wrapping_add(1);
                true
            }
            _ => false,
        };
        if matched {
            s = s.wrapping_add(1);
            continue;
        }
        // A mismatch: the last `*` absorbs one more byte, or the next alternative is tried.
        match restart {
            Some((rp, rs)) if part.get(rp.wrapping_sub(1)) == Some(&b'*') => {
                if rs >= seg.len() {
                    return false;
                }
                (p, s) = (rp, rs.wrapping_add(1));
                restart = Some((p, s));
            }
            // The alternative tried from `rp` failed: the next one, from the same byte.
            Some((rp, rs)) => {
                let end = part
                    .iter()
                    .skip(rp)
                    .position(|&b| b == b',' || b == b'}')
                    .map_or(usize::MAX, |n| rp.wrapping_add(n));
                if part.get(end) != Some(&b',') {
                    return false;
                }
                (p, s) = (end.wrapping_add(1), rs);
                restart = Some((p, s));
            }
            None => return false,
        }
    }
}
