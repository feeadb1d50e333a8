//! The error returned by address and pattern validation.

use core::fmt;

/// Why an address or an address pattern was rejected.
///
/// Returned inside [`AddressError`], which also carries the byte offset.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum AddressErrorKind {
    /// The string is empty.
    Empty,
    /// The string does not start with `/`.
    MissingSlash,
    /// A byte that is not allowed at this position: a control character (`0x00..=0x1f`) or DEL
    /// anywhere, `,` outside `{...}`, a non-ASCII byte inside `[...]`, and in an address also
    /// `* ? [ ] { }`.
    InvalidChar,
    /// An empty part: a trailing `/` (offset of that `/`), or `//` in an address (offset of the
    /// second `/`).
    EmptyPart,
    /// Three or more `/` in a row in a pattern (offset of the third).
    TooManySlashes,
    /// A `[` with no `]` before the end of its part (offset of the `[`).
    UnclosedBracket,
    /// A `{` with no `}` before the end of its part (offset of the `{`).
    UnclosedBrace,
    /// A `]` with no `[` before it.
    UnmatchedBracket,
    /// A `}` with no `{` before it.
    UnmatchedBrace,
    /// `[]` or `[!]`: a set with no characters (offset of the `[`).
    EmptySet,
    /// A range such as `[z-a]` whose start is after its end (offset of the start).
    ReversedRange,
    /// A wildcard or bracket inside `[...]` or `{...}`: `*` `?` `[` `{` in either, `}` in a set,
    /// `]` in a group.
    NestedMeta,
    /// A part that needs the general matcher (a `{...}` together with another `{...}`, `*`, `?`
    /// or `[...]`) and is longer than [`MAX_COMPLEX_PART_LEN`](super::MAX_COMPLEX_PART_LEN)
    /// bytes. The offset is that of the first byte past the limit.
    TooComplex,
}

impl AddressErrorKind {
    /// A short description, used by `Display`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Empty => "empty string",
            Self::MissingSlash => "must start with '/'",
            Self::InvalidChar => "character not allowed here",
            Self::EmptyPart => "empty part (a trailing '/', or '//' in an address)",
            Self::TooManySlashes => "more than two '/' in a row",
            Self::UnclosedBracket => "'[' not closed by ']' in the same part",
            Self::UnclosedBrace => "'{' not closed by '}' in the same part",
            Self::UnmatchedBracket => "']' without '['",
            Self::UnmatchedBrace => "'}' without '{'",
            Self::EmptySet => "empty character set",
            Self::ReversedRange => "range start is after range end",
            Self::NestedMeta => "wildcard or bracket inside '[...]' or '{...}'",
            Self::TooComplex => "part with '{...}' and other wildcards is longer than 255 bytes",
        }
    }
}

impl fmt::Display for AddressErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An invalid OSC address or address pattern: what is wrong, and where.
///
/// ```
/// use osc_core::pattern::{validate_address, AddressErrorKind};
///
/// let err = validate_address("/mixer/?7").unwrap_err();
/// assert_eq!(err.kind(), AddressErrorKind::InvalidChar);
/// assert_eq!(err.offset(), 7);
/// assert_eq!(
///     err.to_string(),
///     "invalid address: '?' at byte 7: character not allowed here"
/// );
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Debug, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct AddressError {
    kind: AddressErrorKind,
    offset: usize,
    /// The byte at `offset`, for `Display`; `None` only for [`AddressErrorKind::Empty`].
    byte: Option<u8>,
}

impl AddressError {
    /// Builds the error for `kind` at `offset` in `input`.
    pub(super) fn at(kind: AddressErrorKind, input: &[u8], offset: usize) -> Self {
        Self {
            kind,
            offset,
            byte: input.get(offset).copied(),
        }
    }

    /// What is wrong.
    pub const fn kind(&self) -> AddressErrorKind {
        self.kind
    }

    /// The byte offset in the input of the offending character (0 for
    /// [`AddressErrorKind::Empty`]).
    pub const fn offset(&self) -> usize {
        self.offset
    }
}

impl fmt::Display for AddressError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("invalid address: ")?;
        match self.byte {
            Some(b @ 0x20..=0x7e) => write!(f, "'{}' at byte {}: ", char::from(b), self.offset)?,
            Some(b) => write!(f, "byte 0x{b:02x} at byte {}: ", self.offset)?,
            None => {}
        }
        f.write_str(self.kind.as_str())
    }
}

impl core::error::Error for AddressError {}
