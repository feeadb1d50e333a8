//! Pattern syntax: byte classes and the scanner that splits a pattern into steps.
//!
//! Validation goes through [`next_step`], and so does the matcher for every part that its fast
//! path does not handle. The fast path accepts only what `next_step` accepts too: bytes of class
//! [`Class::Addr`], a `*` alone, and a `{...}` of such bytes and `,`.

use super::error::AddressErrorKind as Kind;
use super::MAX_COMPLEX_PART_LEN;

/// What a byte is, outside `[...]` and `{...}`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Class {
    /// Allowed in an address part and matches itself.
    Addr,
    Slash,
    Star,
    Question,
    OpenBracket,
    CloseBracket,
    OpenBrace,
    CloseBrace,
    Comma,
    /// Never allowed: the control characters (`0x00..=0x1f`) and DEL (`0x7f`).
    Bad,
}

pub(super) const fn classify(b: u8) -> Class {
    match b {
        b'/' => Class::Slash,
        b'*' => Class::Star,
        b'?' => Class::Question,
        b'[' => Class::OpenBracket,
        b']' => Class::CloseBracket,
        b'{' => Class::OpenBrace,
        b'}' => Class::CloseBrace,
        b',' => Class::Comma,
        0x00..=0x1f | 0x7f => Class::Bad,
        _ => Class::Addr,
    }
}

// Evaluated at compile time, where an out-of-range index would be a build error.
#[allow(clippy::indexing_slicing, clippy::arithmetic_side_effects)]
static CLASSES: [Class; 256] = {
    let mut table = [Class::Bad; 256];
    let mut b = 0;
    while b < 256 {
        table[b] = classify(b as u8);
        b += 1;
    }
    table
};

/// The class of `b`.
#[inline(always)]
pub(super) fn class(b: u8) -> Class {
    // With `small`, a search in two 8-byte tables instead of a 256-byte one.
    if cfg!(feature = "small") {
        return classify_small(b);
    }
    // The table has 256 entries, so the fallback is never taken (and is optimised out).
    CLASSES.get(usize::from(b)).copied().unwrap_or(Class::Bad)
}

/// [`classify`] in less code, for the `small` feature: the metacharacters looked up in a table,
/// then the control characters and DEL.
pub(super) fn classify_small(b: u8) -> Class {
    use Class as C;
    const CLASSES: [Class; 8] = [
        C::Slash,
        C::Star,
        C::Question,
        C::OpenBracket,
        C::CloseBracket,
        C::OpenBrace,
        C::CloseBrace,
        C::Comma,
    ];
    match b"/*?[]{},".iter().position(|&m| m == b) {
        Some(i) => CLASSES.get(i).copied().unwrap_or(C::Bad),
        None if b.is_ascii_control() => C::Bad,
        None => C::Addr,
    }
}

/// How a part must be matched. Every shape except `Literal` contains a metacharacter.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Shape {
    /// No metacharacter: the part matches exactly itself.
    Literal,
    /// `*`, `?` or `[...]`, and no `{...}`.
    Glob,
    /// Exactly one `{...}` and no other metacharacter; `open` and `close` index its braces.
    OneGroup { open: usize, close: usize },
    /// Anything else with a `{...}`. At most [`MAX_COMPLEX_PART_LEN`] bytes long.
    Complex,
}

/// One step of a pattern.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Step<'p> {
    /// `//`: zero or more whole address parts.
    Descend,
    /// One part (never empty), to be matched against exactly one address part.
    Part(&'p [u8], Shape),
}

/// A syntax error: what, and the offset relative to the slice that was scanned.
pub(super) type SyntaxError = (Kind, usize);

/// Reads the next step of a pattern. `p` is the rest of the pattern: empty (the end) or
/// starting with `/`. Returns the step and what follows it (again empty or starting with `/`).
///
/// The caller deals with the root pattern `/`, which is the only one with an empty part.
#[inline]
pub(super) fn next_step(p: &[u8]) -> Result<Option<(Step<'_>, &[u8])>, SyntaxError> {
    match p {
        [] => Ok(None),
        [b'/', b'/', b'/', ..] => Err((Kind::TooManySlashes, 2)),
        [b'/', b'/'] => Err((Kind::EmptyPart, 1)),
        [b'/'] => Err((Kind::EmptyPart, 0)),
        [b'/', rest @ ..] if rest.first() == Some(&b'/') => Ok(Some((Step::Descend, rest))),
        [b'/', rest @ ..] => match scan_part(rest) {
            Ok((part, shape, after)) => Ok(Some((Step::Part(part, shape), after))),
            Err((kind, at)) => Err((kind, at.wrapping_add(1))),
        },
        [_, ..] => Err((Kind::MissingSlash, 0)),
    }
}

/// Which `{...}` groups a part has seen so far.
#[derive(Clone, Copy)]
enum Groups {
    None,
    One { open: usize, close: usize },
    Many,
}

/// Scans and checks one part: `p` starts right after a `/` and the part runs to the next `/`
/// or to the end. Returns the part, its shape and the rest (empty or starting with `/`).
#[inline]
fn scan_part(p: &[u8]) -> Result<(&[u8], Shape, &[u8]), SyntaxError> {
    let mut i = 0;
    let mut wild = false;
    let mut groups = Groups::None;
    loop {
        // Most bytes are literal: skip them in a tight loop.
        while p.get(i).is_some_and(|&b| class(b) == Class::Addr) {
            i = i.wrapping_add(1);
        }
        let Some(&b) = p.get(i) else { break };
        match class(b) {
            Class::Addr => {}
            Class::Slash => break,
            Class::Star | Class::Question => wild = true,
            Class::OpenBracket => {
                i = scan_set(p, i)?;
                wild = true;
            }
            Class::OpenBrace => {
                let close = scan_group(p, i)?;
                groups = match groups {
                    Groups::None => Groups::One { open: i, close },
                    _ => Groups::Many,
                };
                i = close;
            }
            Class::CloseBracket => return Err((Kind::UnmatchedBracket, i)),
            Class::CloseBrace => return Err((Kind::UnmatchedBrace, i)),
            Class::Comma | Class::Bad => return Err((Kind::InvalidChar, i)),
        }
        // `i` indexes a byte of `p`, so this cannot saturate.
        i = i.wrapping_add(1);
    }
    let (part, rest) = p.split_at_checked(i).unwrap_or((p, &[]));
    let shape = match (groups, wild) {
        (Groups::None, false) => Shape::Literal,
        (Groups::None, true) => Shape::Glob,
        (Groups::One { open, close }, false) => Shape::OneGroup { open, close },
        _ if part.len() > MAX_COMPLEX_PART_LEN => {
            return Err((Kind::TooComplex, MAX_COMPLEX_PART_LEN));
        }
        _ => Shape::Complex,
    };
    Ok((part, shape, rest))
}

/// Finds the end of the set that opens at `p[open]` (a `[`), checking its bytes: returns whether it
/// is negated (`[!...]`), where its items start, and the index of its `]`. The items are not empty
/// and ASCII: a set matches one byte, and a non-ASCII character takes two to four.
#[inline(always)]
pub(super) fn set_bounds(p: &[u8], open: usize) -> Result<(bool, usize, usize), SyntaxError> {
    let negated = p.get(open.wrapping_add(1)) == Some(&b'!');
    let body = open.wrapping_add(1).wrapping_add(usize::from(negated));
    let mut close = body;
    loop {
        match p.get(close).map(|&b| class(b)) {
            None | Some(Class::Slash) => return Err((Kind::UnclosedBracket, open)),
            Some(Class::CloseBracket) => break,
            Some(Class::Addr) if p.get(close).is_some_and(u8::is_ascii) => {}
            Some(Class::Addr | Class::Comma | Class::Bad) => {
                return Err((Kind::InvalidChar, close))
            }
            Some(_) => return Err((Kind::NestedMeta, close)),
        }
        close = close.wrapping_add(1);
    }
    if close == body {
        return Err((Kind::EmptySet, open));
    }
    Ok((negated, body, close))
}

/// Checks the set that opens at `p[open]` (a `[`) and returns the index of its `]`.
fn scan_set(p: &[u8], open: usize) -> Result<usize, SyntaxError> {
    let (_, body, close) = set_bounds(p, open)?;
    let set = p.get(body..close).unwrap_or(&[]);
    for (at, lo, hi) in SetItems::new(set) {
        if lo > hi {
            return Err((Kind::ReversedRange, body.wrapping_add(at)));
        }
    }
    Ok(close)
}

/// Checks the group that opens at `p[open]` (a `{`) and returns the index of its `}`.
fn scan_group(p: &[u8], open: usize) -> Result<usize, SyntaxError> {
    let mut i = open.wrapping_add(1);
    loop {
        match p.get(i).map(|&b| class(b)) {
            None | Some(Class::Slash) => return Err((Kind::UnclosedBrace, open)),
            Some(Class::CloseBrace) => return Ok(i),
            Some(Class::Addr | Class::Comma) => {}
            Some(Class::Bad) => return Err((Kind::InvalidChar, i)),
            Some(_) => return Err((Kind::NestedMeta, i)),
        }
        i = i.wrapping_add(1);
    }
}

/// The items of a set body (the bytes between `[` or `[!` and `]`), read left to right: a byte
/// followed by `-` and another byte is a range, any other byte stands for itself. So a `-`
/// first or last in the set is literal. Yields `(offset in the body, lo, hi)`.
pub(super) struct SetItems<'s> {
    rest: &'s [u8],
    at: usize,
}

impl<'s> SetItems<'s> {
    pub(super) fn new(set: &'s [u8]) -> Self {
        Self { rest: set, at: 0 }
    }
}

impl Iterator for SetItems<'_> {
    type Item = (usize, u8, u8);

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        let (item, rest) = match *self.rest {
            [lo, b'-', hi, ref rest @ ..] => ((lo, hi), rest),
            [c, ref rest @ ..] => ((c, c), rest),
            [] => return None,
        };
        let at = self.at;
        self.at = at.wrapping_add(self.rest.len().wrapping_sub(rest.len()));
        self.rest = rest;
        Some((at, item.0, item.1))
    }
}

/// Splits a set that starts at `p[0]` (a `[`) of a checked part into
/// `(negated, body, rest after the ']')`.
#[inline]
pub(super) fn split_set(p: &[u8]) -> Option<(bool, &[u8], &[u8])> {
    let (negated, body) = match p {
        [b'[', b'!', body @ ..] => (true, body),
        [b'[', body @ ..] => (false, body),
        _ => return None,
    };
    let close = body.iter().position(|&b| b == b']')?;
    let (set, rest) = body.split_at_checked(close)?;
    Some((negated, set, rest.get(1..)?))
}

/// Whether the set that starts at `p[0]` matches `c`; also returns the rest after its `]`.
#[inline]
pub(super) fn set_matches(p: &[u8], c: u8) -> Option<(bool, &[u8])> {
    let (negated, set, rest) = split_set(p)?;
    let hit = SetItems::new(set).any(|(_, lo, hi)| (lo..=hi).contains(&c));
    Some((hit != negated, rest))
}
