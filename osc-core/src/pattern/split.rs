//! A pattern checked and split into its parts once, to be matched part by part against many
//! addresses: the dispatcher's walk of its routes for an incoming pattern.
//!
//! [`matches`](super::matches) reads the pattern again for every address. A dispatcher with many
//! routes splits the incoming pattern once with [`Parts::split`], then takes it part by part: a part with
//! finitely many matches ([`Part::Finite`]: a literal, or a literal start, one `{...}` and a literal
//! end) can be looked up, and any other part is tried on each distinct address part with
//! [`Parts::part_matches`], by the same engine that [`matches`](super::matches) would use.
//!
//! [`Parts::split`] fills a caller's [`Parts`] in place: it is large, and a dispatch keeps it on its
//! stack rather than having it returned and moved.

// With `small`, the dispatcher does not walk its routes and nothing here is used.
#![cfg_attr(feature = "small", allow(dead_code))]

use heapless::Vec;

use super::matcher::part_matches;
use super::syntax::{next_step, Shape, Step};

/// The most parts a [`Parts`] holds. A longer pattern is [`Split::Other`].
pub(crate) const MAX_PARTS: usize = 8;

/// One checked part.
#[derive(Clone, Copy, Debug)]
struct Checked<'p> {
    bytes: &'p [u8],
    shape: Shape,
}

/// A pattern without `//`, as its parts.
#[derive(Debug)]
pub(crate) struct Parts<'p> {
    parts: Vec<Checked<'p>, MAX_PARTS>,
}

/// What [`Parts::split`] found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Split {
    /// A well-formed pattern without `//`, of one to [`MAX_PARTS`] parts.
    Parts,
    /// A malformed pattern, which matches nothing.
    Malformed,
    /// Anything else (the root `/`, a pattern with `//`, more than [`MAX_PARTS`] parts): match it
    /// with [`matches`](super::matches).
    Other,
}

/// How a part matches.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Part<'p> {
    /// It matches exactly the address parts `prefix ++ alt ++ suffix`, for each alternative `alt`
    /// of the comma-separated `alts` (a literal part is its own prefix, with one empty alternative).
    Finite {
        prefix: &'p [u8],
        alts: &'p [u8],
        suffix: &'p [u8],
    },
    /// Only `*`: any address part.
    Any,
    /// Anything else: see [`Parts::part_matches`].
    Open,
}

impl<'p> Parts<'p> {
    /// No parts yet.
    pub(crate) const fn new() -> Self {
        Self { parts: Vec::new() }
    }

    /// Checks `pattern` and splits it into these parts, which mean something only if this returns
    /// [`Split::Parts`].
    pub(crate) fn split(&mut self, pattern: &'p [u8]) -> Split {
        self.parts.clear();
        match pattern {
            [] => return Split::Malformed,
            [b'/'] => return Split::Other,
            _ => {}
        }
        let mut rest = pattern;
        loop {
            match next_step(rest) {
                Ok(None) => return Split::Parts,
                Ok(Some((Step::Part(bytes, shape), after))) => {
                    if self.parts.push(Checked { bytes, shape }).is_err() {
                        return Split::Other;
                    }
                    rest = after;
                }
                // The rest may still be malformed; `matches` then matches nothing, as it should.
                Ok(Some((Step::Descend, _))) => return Split::Other,
                Err(_) => return Split::Malformed,
            }
        }
    }

    /// The number of parts.
    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.parts.len()
    }

    /// How part `j` matches (`Open` past the end).
    #[inline]
    pub(crate) fn part(&self, j: usize) -> Part<'p> {
        let Some(p) = self.parts.get(j) else {
            return Part::Open;
        };
        match p.shape {
            Shape::Literal => Part::Finite {
                prefix: p.bytes,
                alts: &[],
                suffix: &[],
            },
            Shape::OneGroup { open, close } => match (
                p.bytes.get(..open),
                p.bytes.get(open.saturating_add(1)..close),
                p.bytes.get(close.saturating_add(1)..),
            ) {
                (Some(prefix), Some(alts), Some(suffix)) => Part::Finite {
                    prefix,
                    alts,
                    suffix,
                },
                _ => Part::Open,
            },
            Shape::Glob if p.bytes.iter().all(|&b| b == b'*') => Part::Any,
            _ => Part::Open,
        }
    }

    /// Whether part `j` matches the address part `seg` (not empty, without `/`), as
    /// [`matches`](super::matches) would match it.
    #[inline]
    pub(crate) fn part_matches(&self, j: usize, seg: &[u8]) -> bool {
        self.parts
            .get(j)
            .is_some_and(|p| part_matches(p.bytes, p.shape, seg))
    }
}
