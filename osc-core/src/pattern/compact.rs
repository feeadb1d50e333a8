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
//! or one `{...}` alone) go through [`long`], a glob matcher with one restart point.

use super::error::AddressErrorKind as Kind;
use super::syntax::{class, Class, SyntaxError};
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
#[inline(never)]
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
        [b'/'] => return Ok(()),
        [b'/', ..] => {}
        _ => return Err((Kind::MissingSlash, 0)),
    }
    // `at` indexes the `/` that introduces the next step.
    let mut at = 0usize;
    while at < pattern.len() {
        let mut start = at.wrapping_add(1);
        if pattern.get(start) == Some(&b'/') {
            if pattern.get(start.wrapping_add(1)) == Some(&b'/') {
                return Err((Kind::TooManySlashes, start.wrapping_add(1)));
            }
            start = start.wrapping_add(1);
        }
        let part = split_part(pattern.get(start..).unwrap_or(&[])).0;
        if part.is_empty() {
            return Err((Kind::EmptyPart, start.wrapping_sub(1)));
        }
        let none = [0; 8];
        walk(part, 0, &none, &mut [0; 8]).map_err(|(kind, i)| (kind, start.wrapping_add(i)))?;
        if part.len() > MAX_COMPLEX_PART_LEN && complex(part) {
            return Err((Kind::TooComplex, start.wrapping_add(MAX_COMPLEX_PART_LEN)));
        }
        at = start.wrapping_add(part.len());
    }
    Ok(())
}

/// Whether the checked part `part` has a `{...}` together with another `{...}`, a `*`, a `?` or a
/// `[...]`: the parts that only the walk matches, hence limited to [`MAX_COMPLEX_PART_LEN`] bytes.
fn complex(part: &[u8]) -> bool {
    let (mut groups, mut wild) = (false, false);
    for &b in part {
        match b {
            b'{' if groups => return true,
            b'{' => groups = true,
            b'*' | b'?' | b'[' => wild = true,
            _ => {}
        }
    }
    groups && wild
}

/// Splits `a` at its first `/`.
fn split_part(a: &[u8]) -> (&[u8], &[u8]) {
    match a.iter().position(|&b| b == b'/') {
        Some(end) => a.split_at_checked(end).unwrap_or((a, &[])),
        None => (a, &[]),
    }
}

/// See [`super::matches_bytes`]: the pattern is checked whole first, then matched part by part,
/// with one restart point at the most recent `//`.
pub(super) fn matches_small(pattern: &[u8], address: &[u8]) -> bool {
    if pattern.len() <= 1 || address.len() <= 1 {
        return pattern == b"/" && address == b"/";
    }
    if check(pattern).is_err() {
        return false;
    }
    let (mut p, mut a) = (pattern, address);
    // The most recent `//`: the pattern after it, and the address it absorbs parts of.
    let mut restart: Option<(&[u8], &[u8])> = None;
    loop {
        match (p, a) {
            ([], []) => return true,
            ([b'/', rest @ ..], _) if rest.first() == Some(&b'/') => {
                restart = Some((rest, a));
                p = rest;
                continue;
            }
            ([b'/', pp @ ..], [b'/', ap @ ..]) => {
                let ((part, p_rest), (seg, a_rest)) = (split_part(pp), split_part(ap));
                if seg.is_empty() {
                    return false;
                }
                if part_matches(part, seg) {
                    (p, a) = (p_rest, a_rest);
                    continue;
                }
            }
            _ => {}
        }
        // A mismatch: let the last `//` absorb one more address part, or give up.
        let Some((rp, ra)) = restart else {
            return false;
        };
        let Some((seg, ra)) = ra.strip_prefix(b"/").map(split_part) else {
            return false;
        };
        if seg.is_empty() {
            return false;
        }
        restart = Some((rp, ra));
        (p, a) = (rp, ra);
    }
}

/// Whether the checked part `part` matches the address part `seg`. A part of up to
/// [`MAX_COMPLEX_PART_LEN`] bytes: one walk to start, then one per byte of `seg`, O(p × s) with two
/// 32-byte sets.
#[inline(never)]
fn part_matches(part: &[u8], seg: &[u8]) -> bool {
    if part.len() > MAX_COMPLEX_PART_LEN {
        return long(part, seg);
    }
    let mut current: Bits = [0; 8];
    let mut next: Bits = [0; 8];
    put(&mut next, 0);
    // With no states to step, the first walk only moves on from position 0 without a byte.
    let _ = walk(part, 0, &current, &mut next);
    for &c in seg {
        (current, next) = (next, [0; 8]);
        let _ = walk(part, c, &current, &mut next);
    }
    has(&next, part.len())
}

/// One pass over `part` (a part of a pattern, without `/`): steps the states in `current` by the
/// byte `c` into `next`, and adds to `next` every position that follows from its states without a
/// byte. Also checks the part, but for its length limit (see [`check`]), and returns the first
/// syntax error in it (offset in `part`).
///
/// With `current` empty, only the moves without a byte are made; with both empty, the walk only
/// checks the part.
fn walk(part: &[u8], c: u8, current: &Bits, next: &mut Bits) -> Result<(), SyntaxError> {
    // The `{` of the group being read; whether that `{` holds a state; whether an alternative of
    // the group has ended (at a `,`) with a state.
    let mut group: Option<usize> = None;
    let (mut enter, mut leave) = (false, false);
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
            Class::Question => to = after,
            // `*` takes the byte and stays, and is passed without one.
            Class::Star => {
                to = i;
                pass = stepped || reached;
            }
            Class::OpenBracket => {
                let (close, hit) = set(part, i, c)?;
                after = close.wrapping_add(1);
                if hit {
                    to = after;
                }
            }
            Class::OpenBrace => {
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
    match group {
        Some(open) => Err((Kind::UnclosedBrace, open)),
        None => Ok(()),
    }
}

/// Checks the set that opens at `part[open]` (a `[`). Returns the index of its `]`, and whether
/// the set matches `c`.
fn set(part: &[u8], open: usize, c: u8) -> Result<(usize, bool), SyntaxError> {
    let negated = part.get(open.wrapping_add(1)) == Some(&b'!');
    let body = open.wrapping_add(1).wrapping_add(usize::from(negated));
    let mut close = body;
    loop {
        match part.get(close).map(|&b| class(b)) {
            None | Some(Class::Slash) => return Err((Kind::UnclosedBracket, open)),
            Some(Class::CloseBracket) => break,
            Some(Class::Addr) => {}
            Some(Class::Comma | Class::Bad) => return Err((Kind::InvalidChar, close)),
            Some(_) => return Err((Kind::NestedMeta, close)),
        }
        close = close.wrapping_add(1);
    }
    if close == body {
        return Err((Kind::EmptySet, open));
    }
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

/// A part longer than [`MAX_COMPLEX_PART_LEN`] (literal, `*` `?` `[...]` only, or one `{...}` and
/// nothing else) against an address part: [`glob`] with each alternative of the group in turn.
fn long(part: &[u8], seg: &[u8]) -> bool {
    // Commas appear only in the group.
    let alternatives = part.iter().filter(|&&b| b == b',').count();
    (0..=alternatives).any(|k| glob(part, seg, k))
}

/// `*`, `?`, `[...]` and literals, with the `{...}` of the part (if any) read as its alternative
/// `k`. Everything but `*` matches exactly one byte, so only the most recent `*` needs a restart
/// point: O(p × s) at worst.
fn glob(part: &[u8], seg: &[u8], k: usize) -> bool {
    let (mut p, mut s) = (0usize, 0usize);
    // The pattern after the most recent `*`, and where in `seg` it was last tried.
    let mut star: Option<(usize, usize)> = None;
    loop {
        let c = seg.get(s).copied();
        let to = match (part.get(p), c) {
            (Some(b'*'), _) => {
                p = p.wrapping_add(1);
                star = Some((p, s));
                continue;
            }
            // Into alternative `k`: past `k` commas.
            (Some(b'{'), _) => {
                let mut commas = 0;
                p = p.wrapping_add(1);
                while commas < k && p < part.len() {
                    if part.get(p) == Some(&b',') {
                        commas = commas.wrapping_add(1);
                    }
                    p = p.wrapping_add(1);
                }
                continue;
            }
            // Out of the group, at the end of the alternative.
            (Some(b','), _) => {
                p = part
                    .iter()
                    .skip(p)
                    .position(|&b| b == b'}')
                    .map_or(usize::MAX, |n| p.wrapping_add(n));
                continue;
            }
            (Some(b'}'), _) => {
                p = p.wrapping_add(1);
                continue;
            }
            (None, None) => return true,
            (Some(b'?'), Some(_)) => Some(p.wrapping_add(1)),
            (Some(b'['), Some(c)) => match set(part, p, c) {
                Ok((close, true)) => Some(close.wrapping_add(1)),
                _ => None,
            },
            (Some(&b), Some(c)) if b == c => Some(p.wrapping_add(1)),
            _ => None,
        };
        match (to, star) {
            (Some(to), _) => {
                p = to;
                s = s.wrapping_add(1);
            }
            // A mismatch: let the last `*` absorb one more byte, or give up.
            (None, Some((sp, ss))) if ss < seg.len() => {
                s = ss.wrapping_add(1);
                p = sp;
                star = Some((sp, s));
            }
            (None, _) => return false,
        }
    }
}
