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
//! * Any other part with `{...}` runs a bit-parallel state-set simulation over the positions of
//!   the part: [`complex`]. Its states fit a 256-bit set, hence [`MAX_COMPLEX_PART_LEN`].
//!
//! A pattern part is only declared a match once it has been read to its end, and the fast path
//! reads every byte it accepts, so a malformed pattern never matches.

use super::syntax::{class, next_step, set_matches, split_set, Class, Shape, Step};
#[cfg(doc)]
use super::MAX_COMPLEX_PART_LEN;

/// The engine of the `small` feature (tested in every build).
pub(super) use super::compact::matches_small;

/// See [`super::matches_bytes`].
pub(super) fn matches(pattern: &[u8], address: &[u8]) -> bool {
    if cfg!(feature = "small") {
        return matches_small(pattern, address);
    }
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
                start = i.wrapping_add(1);
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
pub(super) fn split_part(a: &[u8]) -> (&[u8], &[u8]) {
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
        part.get(open.wrapping_add(1)..close),
        part.get(close.wrapping_add(1)..),
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

/// A set of positions `0..64 * W` in a part; position `part.len()` means "matched the whole
/// part". `W` is 4 (256 positions) in general, 1 for parts shorter than 64 bytes.
#[derive(Clone, Copy, PartialEq, Eq)]
struct States<const W: usize>([u64; W]);

impl<const W: usize> States<W> {
    const EMPTY: Self = Self([0; W]);

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

    #[inline]
    fn is_empty(&self) -> bool {
        self.0.iter().all(|&word| word == 0)
    }

    #[inline]
    fn and(self, other: Self) -> Self {
        let mut out = self;
        for (o, w) in out.0.iter_mut().zip(other.0) {
            *o &= w;
        }
        out
    }

    /// The positions in order, calling `f` on each.
    #[inline]
    fn for_each(&self, mut f: impl FnMut(usize)) {
        for (w, &word) in self.0.iter().enumerate() {
            let mut pending = word;
            while pending != 0 {
                f(position(w, pending));
                pending &= pending.wrapping_sub(1);
            }
        }
    }
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
    w.wrapping_mul(64)
        .wrapping_add(pending.trailing_zeros() as usize)
}

/// What each position of a part is, as sets of positions (outside `[...]`, whose bodies belong to
/// no set but `sets`, which holds their `[`).
struct Kinds<const W: usize> {
    literals: States<W>,
    any: States<W>,
    stars: States<W>,
    sets: States<W>,
    opens: States<W>,
    commas: States<W>,
    closes: States<W>,
    /// The inside of each `{...}`: from after the `{` to the `}`. Groups do not nest and never
    /// touch (a `{` stands between two), so these are runs separated by a gap.
    groups: States<W>,
}

impl<const W: usize> Kinds<W> {
    fn new(part: &[u8]) -> Self {
        let mut k = Kinds {
            literals: States::EMPTY,
            any: States::EMPTY,
            stars: States::EMPTY,
            sets: States::EMPTY,
            opens: States::EMPTY,
            commas: States::EMPTY,
            closes: States::EMPTY,
            groups: States::EMPTY,
        };
        let mut i = 0;
        let mut inside = false;
        while let Some(p) = part.get(i..).filter(|p| !p.is_empty()) {
            let mut next = i.wrapping_add(1);
            if inside {
                k.groups.insert(i);
            }
            match p {
                [b'*', ..] => k.stars.insert(i),
                [b'?', ..] => k.any.insert(i),
                [b'{', ..] => {
                    k.opens.insert(i);
                    inside = true;
                }
                [b',', ..] => k.commas.insert(i),
                [b'}', ..] => {
                    k.closes.insert(i);
                    inside = false;
                }
                [b'[', ..] => {
                    k.sets.insert(i);
                    if let Some((_, _, rest)) = split_set(p) {
                        next = part.len().wrapping_sub(rest.len());
                    }
                }
                _ => k.literals.insert(i),
            }
            i = next;
        }
        k
    }

    /// Adds to `states` every position reachable from them without consuming a byte: past a `*`
    /// (which may match nothing) or a `}`, from a `{` into each of its alternatives, and from the
    /// end of an alternative (a `,`) past the group. These moves only go forward; they are
    /// repeated until nothing is added (a few rounds: each round follows one move of each kind).
    #[inline]
    fn close(&self, states: &mut States<W>) {
        // One pass over the words, low to high, applies the three moves in turn; each shift or
        // addition carries into the next word. Words are updated in place (small stack).
        loop {
            let mut changed = false;
            let (mut skip, mut open, mut start) = (0u64, 0u64, 0u64);
            let (mut enter, mut leave) = (false, false);
            let words = states
                .0
                .iter_mut()
                .zip(self.stars.0.iter().zip(&self.closes.0))
                .zip(self.opens.0.iter().zip(&self.commas.0))
                .zip(&self.groups.0);
            for (((s, (&stars, &closes)), (&opens, &commas)), &groups) in words {
                let mut x = *s;
                // Past `*` and `}`.
                let a = x & (stars | closes);
                x |= a.wrapping_shl(1) | skip;
                skip = a.wrapping_shr(63);
                // Into the groups whose `{` is reached: the run of each, cleared by an addition
                // from its first position, holds the starts of its alternatives.
                let o = x & opens;
                let seed = o.wrapping_shl(1) | open;
                open = o.wrapping_shr(63);
                let (sum, c1) = groups.overflowing_add(seed);
                let (sum, c2) = sum.overflowing_add(u64::from(enter));
                enter = c1 || c2;
                // Alternatives start after each `{` and each `,`.
                let marks = opens | commas;
                let starts = marks.wrapping_shl(1) | start;
                start = marks.wrapping_shr(63);
                x |= groups & !sum & starts;
                // Out of the groups where an alternative ended at a `,`: the addition carries out
                // of the run to the position after the `}`.
                let (sum, c1) = groups.overflowing_add(x & commas);
                let (sum, c2) = sum.overflowing_add(u64::from(leave));
                leave = c1 || c2;
                x |= sum & !groups;
                changed |= x != *s;
                *s = x;
            }
            if !changed {
                return;
            }
        }
    }
}

/// General part matcher: simulates the pattern as a nondeterministic automaton whose states are
/// byte positions in `part`, a set of them at a time (bit-parallel, in 64-bit words). Per address
/// byte: one pass over `part` for the literals equal to it (skipped when the byte repeats), a few
/// rounds of word operations, and a loop over the active `[...]`. No backtracking.
///
/// `part` is a checked part of at most [`MAX_COMPLEX_PART_LEN`] bytes.
fn complex(part: &[u8], seg: &[u8]) -> bool {
    // A part shorter than 64 bytes fits one word.
    if part.len() < 64 {
        complex_in::<1>(part, seg)
    } else {
        complex_in::<4>(part, seg)
    }
}

/// [`complex`] with sets of `64 * W` positions. Out of line, so that its sets take stack only
/// while it runs.
#[inline(never)]
fn complex_in<const W: usize>(part: &[u8], seg: &[u8]) -> bool {
    let kinds = Kinds::<W>::new(part);
    let mut current = States::EMPTY;
    current.insert(0);
    kinds.close(&mut current);
    // The literal positions equal to `last`, the byte before (addresses often repeat one).
    let mut equal = States::EMPTY;
    let mut last = None;
    for &c in seg {
        if last != Some(c) {
            equal = States::EMPTY;
            for (i, &b) in part.iter().enumerate() {
                if b == c {
                    equal.insert(i);
                }
            }
            equal = equal.and(kinds.literals);
            last = Some(c);
        }
        // One byte: a literal equal to it or `?` moves on; `*` stays; a set that holds it jumps
        // past its `]`.
        let mut next = States::EMPTY;
        let mut carry = 0u64;
        let words = next
            .0
            .iter_mut()
            .zip(current.0.iter().zip(&equal.0))
            .zip(kinds.any.0.iter().zip(&kinds.stars.0));
        for ((n, (&c, &eq)), (&any, &stars)) in words {
            let moved = c & (eq | any);
            *n = moved.wrapping_shl(1) | carry | (c & stars);
            carry = moved.wrapping_shr(63);
        }
        current.and(kinds.sets).for_each(|i| {
            if let Some((true, rest)) = part.get(i..).and_then(|p| set_matches(p, c)) {
                next.insert(part.len().wrapping_sub(rest.len()));
            }
        });
        if next.is_empty() {
            return false;
        }
        kinds.close(&mut next);
        current = next;
    }
    current.contains(part.len())
}
