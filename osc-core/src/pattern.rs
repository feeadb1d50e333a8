//! OSC addresses and address patterns: validation and matching.
//!
//! An *address* names a method, such as `/mixer/ch/3/gain`. An *address pattern* may also
//! contain wildcards, such as `/mixer/ch/*/gain`, and selects every method whose address it
//! matches. This module implements OSC 1.0 pattern matching plus the OSC 1.1 `//` wildcard,
//! exactly, with no allocation, no recursion, a stack of a few hundred bytes, and a worst case
//! that is polynomial in the input lengths.
//!
//! # Addresses
//!
//! [`validate_address`] accepts a string that
//!
//! - starts with `/`;
//! - is a sequence of parts, each introduced by one `/` and each non-empty, so `//` and a
//!   trailing `/` are errors;
//! - contains no control character (`0x00..=0x1f`, DEL `0x7f`) and none of `*` `,` `?` `[` `]`
//!   `{` `}`.
//!
//! The root address `/` on its own is valid. It has no parts, and only the pattern `/` matches it.
//!
//! OSC 1.0 limits addresses to printable ASCII without space and `#`. These rules are wider on
//! purpose: Millumin, Max and other hosts send addresses with spaces (a layer or cue name) and
//! non-ASCII characters, and a dispatcher must be able to register them. The encoders are
//! stricter: they reject an address with a space, `#` or control character
//! ([`EncodeError::AddressBadChar`](crate::EncodeError::AddressBadChar)) and send non-ASCII as
//! UTF-8. So an address with a space passes [`validate_address`] but cannot be sent or replied to
//! with a builder; `send_raw`-style calls of the adapters send such bytes as they are.
//!
//! # Patterns
//!
//! [`validate_pattern`] accepts a string with the same rules, except that:
//!
//! - `*`, `?`, `[...]` and `{...}` are allowed and must be well formed:
//!   - a `[` is closed by a `]` in the same part; between them is a non-empty set of ASCII
//!     address characters (after an optional leading `!`), and a range `x-y` has `x <= y`;
//!   - a `{` is closed by a `}` in the same part; between them are address characters and `,`;
//!   - a `]` or `}` without its opening bracket is an error, as is a `,` outside `{...}`;
//!   - `*` `?` `[` `{` are not allowed inside `[...]` or `{...}`, nor `}` inside `[...]` or `]`
//!     inside `{...}`: alternatives are plain strings and set members plain characters;
//! - `//` is allowed, but not at the end (`/a//`) and not as `///`;
//! - a part that contains a `{...}` together with another `{...}`, a `*`, a `?` or a `[...]`
//!   may be at most [`MAX_COMPLEX_PART_LEN`] (255) bytes long (see *Limits*). Literal parts,
//!   and parts with only `*` `?` `[...]`, or with a single `{...}` and nothing else, have no
//!   length limit.
//!
//! Every valid address is also a valid pattern, which matches exactly that address.
//!
//! # Matching rules
//!
//! [`matches()`]`(pattern, address)` decides whether `pattern` selects `address`.
//!
//! 1. Matching goes part by part: apart from `//`, each pattern part matches exactly one
//!    address part. `*`, `?` and `[...]` never match a `/`.
//! 2. Within a part:
//!    - `?` matches any one byte (see below for non-ASCII characters).
//!    - `*` matches any sequence of bytes, including none.
//!    - `[set]` matches exactly one byte that is in the set (its members are ASCII). The set is read left to
//!      right: a character followed by `-` and another character is an inclusive range
//!      (`[a-z]`, `[0-9]`); any other character stands for itself. So a `-` that comes first or
//!      last is literal: `[-a]` and `[a-]` both mean `-` or `a`.
//!    - `[!set]` matches exactly one byte that is *not* in the set. `!` negates only
//!      directly after `[`; anywhere else it is literal: `[a!]` means `a` or `!`.
//!    - `{alt,alt,...}` matches any one of the alternatives, with full backtracking:
//!      `{foo,foobar}` matches `foobar`, and `{a,ab}c` matches `abc`. Alternatives are literal
//!      strings and may be empty: `{,s}` matches the empty string or `s`, and `{}` matches only
//!      the empty string.
//!    - Any other character matches itself, byte for byte and case-sensitively.
//! 3. `//` (OSC 1.1) matches zero or more whole parts: `//spherical` matches `/spherical` and
//!    `/position/spherical`; `/a//b` matches `/a/b`, `/a/x/b` and `/a/x/y/b`.
//! 4. Every byte of the address is literal, even `*` or `{`: `/a/?` matches `/a/*`. The
//!    address is not validated, but an address with an empty part (`/a//b`, `/a/`) is never
//!    matched.
//! 5. A malformed pattern (one that [`validate_pattern`] rejects) never matches anything. The
//!    matcher checks each part as it reaches it, so a dispatcher need not validate incoming
//!    patterns first.
//!
//! Matching is byte by byte: `?` and `[...]` take one byte, so a non-ASCII character (two to
//! four bytes in UTF-8) is matched by itself, by `*` or by a `{...}` alternative, but not by one
//! `?`. [`matches_bytes`] does the same on bytes.
//!
//! # Both directions
//!
//! OSC 1.0 puts the wildcards in the message: a dispatcher calls
//! `matches(incoming_pattern, registered_address)`. Some servers (python-osc, for example) also
//! let a method be registered under a pattern, and then call
//! `matches(registered_pattern, incoming_address)`. The rules are the same either way, because
//! only the first argument is read as a pattern. When *both* sides contain wildcards,
//! [`matches()`] treats the second one literally, which is rarely what is wanted; the dispatcher
//! decides (for example by comparing the two patterns as text). [`is_pattern`] tells which case
//! applies.
//!
//! Most messages carry a literal address. Then [`is_pattern`] is false, and comparing it with
//! the registered addresses as bytes (or looking it up in a hash or sorted table) gives the
//! same answer as [`matches()`] against each of them, for less work.
//!
//! # Limits and cost
//!
//! - No allocation and no recursion. The matcher's stack use is fixed, whatever the input: in a
//!   size-optimised build for Cortex-M0 (`thumbv6m-none-eabi`, opt-level "z"), about 300 bytes,
//!   and about 830 while a part that mixes `{...}` with other wildcards is matched (its engine
//!   keeps a dozen 32-byte position sets).
//! - A literal part is a byte compare, done in the same pass that checks its bytes, with no
//!   pre-processing of the rest of the pattern. A part that is a literal start followed by `*`
//!   or by one `{...}` is matched in that pass too. A typical match such as
//!   `/synth/*/{freq,gain}` against `/synth/1/freq` takes a few hundred instructions: tens of
//!   nanoseconds.
//! - A part with `*` `?` `[...]` costs O(p × s) at worst (p and s the lengths of the pattern
//!   part and the address part), usually O(p + s). A part with one `{...}` and nothing else
//!   costs O(p + s). Any other part with `{...}` costs O(p × s) and is limited to
//!   [`MAX_COMPLEX_PART_LEN`] bytes, because its matcher keeps one bit per byte of the part; it
//!   works on those bits a 64-bit word at a time (one word for parts under 64 bytes, four
//!   otherwise), so the O(p × s) is mostly O(s) word operations.
//! - `//` restarts the match of what follows it at each later address part, so a pattern with
//!   `//` costs at most (number of address parts) times the cost above.
//! - With the `small` feature (firmware), the same answers come from less code: the pattern is
//!   checked whole first, then every part of up to [`MAX_COMPLEX_PART_LEN`] bytes goes through one
//!   automaton that keeps its positions in two 32-byte sets and steps them one position at a time,
//!   O(p × s) for any part, in the same pass over the part that checks it; longer parts (literal,
//!   `*` `?` `[...]` only, or one `{...}` alone) use a glob matcher with one restart point, which
//!   takes the alternatives of a `{...}` in turn.
//!
//! # Examples
//!
//! ```
//! use osc_core::pattern::{matches, validate_pattern, AddressErrorKind};
//!
//! assert!(matches("/synth/*/{freq,gain}", "/synth/1/freq"));
//! assert!(matches("/ch/[0-9]", "/ch/7"));
//! assert!(!matches("/ch/[0-9]", "/ch/12"));
//! assert!(matches("//spherical", "/position/spherical"));
//!
//! let err = validate_pattern("/ch/[0-9").unwrap_err();
//! assert_eq!(err.kind(), AddressErrorKind::UnclosedBracket);
//! assert_eq!(err.offset(), 4);
//! ```

// No input may panic: no indexing, no unwrap, no overflow.
#![deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::arithmetic_side_effects
)]

mod captures;
mod compact;
mod error;
mod matcher;
mod split;
mod syntax;
#[cfg(test)]
mod tests;

pub use captures::{captures, route_captures, Captures};
pub use error::{AddressError, AddressErrorKind};
#[cfg_attr(feature = "small", allow(unused_imports))]
pub(crate) use split::{Part, Parts, Split, MAX_PARTS};

use syntax::{class, next_step, Class};

/// The longest part, in bytes, that may contain a `{...}` together with another `{...}`, a `*`,
/// a `?` or a `[...]`.
///
/// [`validate_pattern`] rejects a longer such part with [`AddressErrorKind::TooComplex`], and
/// [`matches()`] never matches it. Other parts have no length limit.
pub const MAX_COMPLEX_PART_LEN: usize = 255;

/// Checks that `address` is a valid literal OSC address, the kind a method is registered under.
///
/// See the [module docs](self#addresses) for the rules.
///
/// ```
/// use osc_core::pattern::{validate_address, AddressErrorKind};
///
/// assert!(validate_address("/mixer/ch/3/gain").is_ok());
/// assert!(validate_address("/").is_ok());
/// let err = validate_address("/mixer//gain").unwrap_err();
/// assert_eq!((err.kind(), err.offset()), (AddressErrorKind::EmptyPart, 7));
/// let err = validate_address("/mixer/*").unwrap_err();
/// assert_eq!((err.kind(), err.offset()), (AddressErrorKind::InvalidChar, 7));
/// // Wider than OSC 1.0, for the hosts that send such addresses:
/// assert!(validate_address("/millumin/layer:Layer 1/opacity").is_ok());
/// assert!(validate_address("/cue/Überblende").is_ok());
/// ```
pub fn validate_address(address: &str) -> Result<(), AddressError> {
    validate_address_bytes(address.as_bytes())
}

/// [`validate_address`] on bytes. It checks the rules above only: non-ASCII bytes are accepted
/// whether or not they are valid UTF-8.
pub fn validate_address_bytes(address: &[u8]) -> Result<(), AddressError> {
    let error = |kind, offset| Err(AddressError::at(kind, address, offset));
    match address {
        [] => return error(AddressErrorKind::Empty, 0),
        [b'/'] => return Ok(()),
        [b'/', ..] => {}
        _ => return error(AddressErrorKind::MissingSlash, 0),
    }
    let mut after_slash = false;
    for (i, &b) in address.iter().enumerate() {
        match class(b) {
            Class::Addr => after_slash = false,
            Class::Slash if after_slash => return error(AddressErrorKind::EmptyPart, i),
            Class::Slash => after_slash = true,
            _ => return error(AddressErrorKind::InvalidChar, i),
        }
    }
    if after_slash {
        return error(AddressErrorKind::EmptyPart, address.len().wrapping_sub(1));
    }
    Ok(())
}

/// Checks that `pattern` is a well-formed OSC address pattern.
///
/// See the [module docs](self#patterns) for the rules. [`matches()`] never matches a pattern that
/// this rejects, so calling it first is needed only to report *why*.
///
/// ```
/// use osc_core::pattern::{validate_pattern, AddressErrorKind};
///
/// assert!(validate_pattern("/synth/*/{freq,gain}").is_ok());
/// assert!(validate_pattern("//spherical").is_ok());
/// let err = validate_pattern("/a///b").unwrap_err();
/// assert_eq!((err.kind(), err.offset()), (AddressErrorKind::TooManySlashes, 4));
/// let err = validate_pattern("/note/[z-a]").unwrap_err();
/// assert_eq!((err.kind(), err.offset()), (AddressErrorKind::ReversedRange, 7));
/// ```
pub fn validate_pattern(pattern: &str) -> Result<(), AddressError> {
    validate_pattern_bytes(pattern.as_bytes())
}

/// [`validate_pattern`] on bytes. Like [`validate_address_bytes`], it does not check UTF-8.
pub fn validate_pattern_bytes(pattern: &[u8]) -> Result<(), AddressError> {
    // With `small`, the checker that is also the matcher's walk (same errors, same offsets).
    if cfg!(feature = "small") {
        return compact::check(pattern).map_err(|(kind, at)| AddressError::at(kind, pattern, at));
    }
    validate_steps(pattern)
}

/// [`validate_pattern_bytes`] through [`next_step`], the scanner of the matcher's slow path.
fn validate_steps(pattern: &[u8]) -> Result<(), AddressError> {
    match pattern {
        [] => return Err(AddressError::at(AddressErrorKind::Empty, pattern, 0)),
        [b'/'] => return Ok(()),
        _ => {}
    }
    let mut rest = pattern;
    loop {
        match next_step(rest) {
            Ok(None) => return Ok(()),
            Ok(Some((_, after))) => rest = after,
            Err((kind, at)) => {
                let offset = pattern.len().wrapping_sub(rest.len()).wrapping_add(at);
                return Err(AddressError::at(kind, pattern, offset));
            }
        }
    }
}

/// Whether `pattern` matches `address`. Only `pattern` is read as a pattern: every byte of
/// `address` is literal.
///
/// See the [module docs](self#matching-rules) for the rules. A malformed pattern never matches.
///
/// ```
/// use osc_core::pattern::matches;
///
/// assert!(matches("/synth/*/{freq,gain}", "/synth/1/gain"));
/// assert!(matches("/a/{foo,foobar}", "/a/foobar"));
/// assert!(matches("/a//b", "/a/x/y/b"));
/// assert!(!matches("/synth/*", "/synth/1/freq")); // `*` does not cross `/`
/// assert!(!matches("/ch/[0-9", "/ch/1")); // malformed
/// ```
#[inline]
pub fn matches(pattern: &str, address: &str) -> bool {
    matcher::matches(pattern.as_bytes(), address.as_bytes())
}

/// [`matches()`] on bytes.
#[inline]
pub fn matches_bytes(pattern: &[u8], address: &[u8]) -> bool {
    matcher::matches(pattern, address)
}

/// Whether `a == b`, compared in line a word at a time: for the short strings of addresses, a call
/// to `memcmp` costs as much as the comparison.
#[inline]
pub(crate) fn bytes_eq(a: &[u8], b: &[u8]) -> bool {
    if cfg!(feature = "small") {
        return a == b;
    }
    if a.len() != b.len() {
        return false;
    }
    if let (Some(la), Some(lb)) = (a.last_chunk::<8>(), b.last_chunk::<8>()) {
        let (mut x, mut y) = (a, b);
        while let (Some((wx, rx)), Some((wy, ry))) =
            (x.split_first_chunk::<8>(), y.split_first_chunk::<8>())
        {
            if wx != wy {
                return false;
            }
            (x, y) = (rx, ry);
        }
        // The last word, overlapping bytes already compared.
        return la == lb;
    }
    match (
        a.first_chunk::<4>(),
        b.first_chunk::<4>(),
        a.last_chunk::<4>(),
        b.last_chunk::<4>(),
    ) {
        // 4 to 7 bytes: the first and last 4, which may overlap.
        (Some(fa), Some(fb), Some(la), Some(lb)) => fa == fb && la == lb,
        _ => a.iter().zip(b).all(|(x, y)| x == y),
    }
}

/// Whether `s` contains a wildcard: one of `*` `?` `[` `]` `{` `}`, or `//`.
///
/// A string without any is matched by [`matches()`] only against itself (if valid), so a
/// dispatcher can look it up by plain comparison or hashing.
///
/// ```
/// use osc_core::pattern::is_pattern;
///
/// assert!(!is_pattern("/synth/1/freq"));
/// assert!(is_pattern("/synth/?/freq"));
/// assert!(is_pattern("//freq"));
/// ```
pub fn is_pattern(s: &str) -> bool {
    literal_prefix_len(s) < s.len()
}

/// The length of the literal start of `pattern`: every address that `pattern` matches starts
/// with `&pattern[..n]`. It is the whole string if [`is_pattern`] is false, and otherwise ends
/// just before the first of `*` `?` `[` `]` `{` `}`, or just before the second `/` of the first
/// `//`. A dispatcher can use it to index registered patterns by prefix.
///
/// ```
/// use osc_core::pattern::literal_prefix_len;
///
/// assert_eq!(literal_prefix_len("/synth/*/freq"), "/synth/".len());
/// assert_eq!(literal_prefix_len("/a//b"), "/a/".len());
/// assert_eq!(literal_prefix_len("/synth/1/freq"), "/synth/1/freq".len());
/// ```
pub fn literal_prefix_len(pattern: &str) -> usize {
    let mut after_slash = false;
    for (i, &b) in pattern.as_bytes().iter().enumerate() {
        match b {
            b'*' | b'?' | b'[' | b']' | b'{' | b'}' => return i,
            b'/' if after_slash => return i,
            _ => after_slash = b == b'/',
        }
    }
    pattern.len()
}
