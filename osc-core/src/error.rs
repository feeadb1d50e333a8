//! Error types of the codec: decoding, encoding and typed argument extraction.
//!
//! Every error is a small `Copy` value with a [`Display`](core::fmt::Display) text that says what failed
//! and, for decoding, at which byte offset of the input.

use core::fmt;

use crate::types::TypeTag;

/// What was wrong with a packet that could not be decoded.
///
/// Carried by [`DecodeError`] together with the byte offset where the problem was found.
#[non_exhaustive]
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum DecodeErrorKind {
    /// The input is empty.
    Empty,
    /// The packet starts with neither `/` (a message) nor `#bundle\0` (a bundle).
    NotOscPacket,
    /// The packet starts with `#` but not with the 8 bytes `#bundle\0`.
    BadBundleTag,
    /// The input ended before a field was complete.
    UnexpectedEnd,
    /// An OSC-string has no terminating NUL before the end of the input.
    UnterminatedString,
    /// A string, symbol or address is not valid UTF-8.
    BadUtf8,
    /// A padding byte after a string or blob is not zero (strict profile only).
    NonZeroPadding,
    /// The message has no type-tag string (strict profile only).
    MissingTypeTags,
    /// The type-tag string does not start with `,`.
    BadTypeTagString,
    /// A type tag that this library does not know; the size of its argument cannot be known.
    UnknownTypeTag(u8),
    /// A `]` without a matching `[`, or a `[` that is never closed.
    UnbalancedArray,
    /// Arrays or bundles are nested deeper than the configured limit.
    DepthExceeded,
    /// A blob's size is negative.
    NegativeBlobSize,
    /// A `c` argument is not a Unicode scalar value.
    BadChar,
    /// Bytes follow the last argument of a message (strict profile only).
    TrailingBytes,
    /// A bundle element's size is negative.
    ElementSizeNegative,
    /// A bundle element's size is zero.
    ElementSizeZero,
    /// A bundle element's size is not a multiple of 4.
    ElementSizeUnaligned,
    /// A bundle element's size points beyond the end of its enclosing bundle.
    ElementTooLong,
    /// A bundle element is neither a message nor a bundle.
    BadElement,
}

impl DecodeErrorKind {
    fn describe(self) -> &'static str {
        match self {
            Self::Empty => "empty packet",
            Self::NotOscPacket => "not an OSC packet (expected '/' or '#bundle')",
            Self::BadBundleTag => "bad bundle tag (expected \"#bundle\\0\")",
            Self::UnexpectedEnd => "unexpected end of packet",
            Self::UnterminatedString => "string without terminating NUL",
            Self::BadUtf8 => "string is not valid UTF-8",
            Self::NonZeroPadding => "non-zero padding byte",
            Self::MissingTypeTags => "missing type-tag string",
            Self::BadTypeTagString => "type-tag string does not start with ','",
            Self::UnknownTypeTag(_) => "unknown type tag",
            Self::UnbalancedArray => "unbalanced array brackets",
            Self::DepthExceeded => "nesting deeper than the configured limit",
            Self::NegativeBlobSize => "negative blob size",
            Self::BadChar => "char argument is not a Unicode scalar value",
            Self::TrailingBytes => "trailing bytes after the last argument",
            Self::ElementSizeNegative => "negative bundle element size",
            Self::ElementSizeZero => "zero bundle element size",
            Self::ElementSizeUnaligned => "bundle element size is not a multiple of 4",
            Self::ElementTooLong => "bundle element size exceeds the enclosing bundle",
            Self::BadElement => "bundle element is neither a message nor a bundle",
        }
    }
}

/// A packet could not be decoded: what went wrong and at which byte offset of the input.
///
/// ```
/// use osc_core::{decode, DecodeErrorKind};
///
/// let err = decode(b"/a\0\0,x\0\0").unwrap_err();
/// assert_eq!(err.kind(), DecodeErrorKind::UnknownTypeTag(b'x'));
/// assert_eq!(err.offset(), 5);
/// assert_eq!(err.to_string(), "unknown type tag 'x' at byte 5");
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct DecodeError {
    kind: DecodeErrorKind,
    offset: usize,
}

impl DecodeError {
    pub(crate) const fn new(kind: DecodeErrorKind, offset: usize) -> Self {
        Self { kind, offset }
    }

    /// What was wrong.
    pub const fn kind(&self) -> DecodeErrorKind {
        self.kind
    }

    /// The byte offset in the decoded input where the problem was found.
    pub const fn offset(&self) -> usize {
        self.offset
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.kind.describe())?;
        if let DecodeErrorKind::UnknownTypeTag(t) = self.kind {
            if t.is_ascii_graphic() {
                write!(f, " '{}'", t as char)?;
            } else {
                write!(f, " 0x{t:02x}")?;
            }
        }
        write!(f, " at byte {}", self.offset)
    }
}

impl core::error::Error for DecodeError {}

/// A packet could not be encoded.
///
/// ```
/// use osc_core::{Arg, EncodeError, Message};
///
/// let msg = Message::new("/synth/1/freq", &[Arg::Int(440)]);
/// let mut small = [0u8; 8];
/// assert_eq!(
///     msg.encode(&mut small),
///     Err(EncodeError::BufferTooSmall { needed: 24, available: 8 })
/// );
/// ```
#[non_exhaustive]
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum EncodeError {
    /// The output buffer is too small: `needed` bytes are required, `available` were given.
    ///
    /// For the builders `needed` is the size reached so far, a lower bound of the final size.
    BufferTooSmall {
        /// Bytes the encoding needs (a lower bound for builders).
        needed: usize,
        /// Bytes the buffer has.
        available: usize,
    },
    /// The address does not start with `/`.
    AddressNoSlash,
    /// The address contains a byte that is not allowed (space, `#`, NUL or another control
    /// character), at this byte offset of the address.
    AddressBadChar {
        /// Offset of the offending byte in the address.
        offset: usize,
    },
    /// A string or symbol argument contains a NUL byte at this offset of the string.
    StringHasNul {
        /// Offset of the NUL in the string.
        offset: usize,
    },
    /// A blob, string or packet is larger than an int32 size field can describe.
    TooLarge,
    /// An array was closed that was never opened, or left open at the end of a message.
    UnbalancedArray,
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::BufferTooSmall { needed, available } => write!(
                f,
                "buffer too small: {needed} bytes needed, {available} available"
            ),
            Self::AddressNoSlash => f.write_str("address does not start with '/'"),
            Self::AddressBadChar { offset } => {
                write!(f, "address has a forbidden character at byte {offset}")
            }
            Self::StringHasNul { offset } => write!(f, "string has a NUL byte at byte {offset}"),
            Self::TooLarge => f.write_str("value too large for an int32 size field"),
            Self::UnbalancedArray => f.write_str("unbalanced array brackets"),
        }
    }
}

impl core::error::Error for EncodeError {}

/// Typed extraction of arguments failed.
///
/// Returned by [`Message::get`](crate::Message::get) and [`FromArg`](crate::FromArg).
///
/// ```
/// use osc_core::{Arg, ArgError, Message, TypeTag};
///
/// let msg = Message::new("/f", &[Arg::Float(0.5)]);
/// let err = msg.get::<(i32,)>().unwrap_err();
/// assert_eq!(
///     err,
///     ArgError::TypeMismatch { index: 0, expected: "int32 (i)", found: TypeTag::Float }
/// );
/// assert_eq!(err.to_string(), "argument 0: expected int32 (i), found float32 (f)");
/// ```
#[non_exhaustive]
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum ArgError {
    /// The argument at `index` has another type.
    TypeMismatch {
        /// Position of the argument (0-based).
        index: usize,
        /// What the caller asked for.
        expected: &'static str,
        /// What the message holds.
        found: TypeTag,
    },
    /// The message has fewer arguments than asked for.
    Missing {
        /// Position of the first missing argument (0-based).
        index: usize,
    },
    /// The message has more arguments than asked for.
    TooMany {
        /// How many arguments were asked for.
        expected: usize,
        /// How many the message holds.
        found: usize,
    },
}

impl fmt::Display for ArgError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::TypeMismatch {
                index,
                expected,
                found,
            } => write!(
                f,
                "argument {index}: expected {expected}, found {}",
                found.name()
            ),
            Self::Missing { index } => write!(f, "argument {index} is missing"),
            Self::TooMany { expected, found } => {
                write!(f, "expected {expected} arguments, found {found}")
            }
        }
    }
}

impl core::error::Error for ArgError {}
