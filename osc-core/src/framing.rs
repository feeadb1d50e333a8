//! The error type shared by the stream framings ([`crate::slip`] and [`crate::len_prefix`]).

use core::fmt;

/// Why a frame could not be encoded or decoded.
///
/// Returned by the encoders when the output buffer is too small and by the decoders when the
/// stream holds a frame they cannot deliver. A decoder that returns an error has already
/// resynchronised (see the module docs of [`crate::slip`] and [`crate::len_prefix`]): keep
/// feeding it and the next good frame comes out.
///
/// ```
/// use osc_core::{slip, FrameError};
///
/// let mut out = [0u8; 3];
/// // `[0x01, 0xC0]` encodes to `C0 01 DB DC C0`: five bytes.
/// assert_eq!(
///     slip::encode(&[0x01, 0xC0], &mut out),
///     Err(FrameError::BufferTooSmall { needed: 5 })
/// );
/// assert_eq!(
///     FrameError::BufferTooSmall { needed: 5 }.to_string(),
///     "output buffer too small: 5 bytes needed"
/// );
/// ```
#[non_exhaustive]
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum FrameError {
    /// The output buffer given to an encoder is too small. Nothing usable was written; `needed`
    /// is the exact size the output must have.
    BufferTooSmall {
        /// Exact number of bytes the encoded frame occupies.
        needed: usize,
    },
    /// A frame is longer than the limit: the decoder's buffer, or for
    /// [`len_prefix::write_header`](crate::len_prefix::write_header) the largest length an
    /// int32 header can carry (`i32::MAX`).
    ///
    /// The decoder has started discarding the rest of that frame and will deliver the next one.
    TooLong {
        /// The frame's length when it is known. `None` from the SLIP decoder, which detects
        /// the overflow before it sees the frame's end. From the length-prefix decoder it is
        /// the header's value (saturated to `usize::MAX` on targets whose `usize` is
        /// narrower than 32 bits).
        len: Option<usize>,
        /// The limit that was exceeded, in bytes.
        max: usize,
    },
    /// A length-prefix header holds a negative int32. The stream is out of step and cannot be
    /// resynchronised (a length-prefixed stream has no delimiters); the decoder reads the next
    /// four bytes as a header, so closing the connection is usually the right reaction.
    NegativeLength,
    /// A SLIP escape byte (`0xDB`) is followed by something other than `0xDC` or `0xDD`,
    /// or ends the frame.
    BadEscape {
        /// Position of the escape byte within the encoded frame, counted from the first byte
        /// after the frame's opening END(s).
        offset: usize,
    },
    /// [`slip::decode_in_place`](crate::slip::decode_in_place) found an END byte (`0xC0`)
    /// between payload bytes: the slice holds more than one frame.
    EndInFrame {
        /// Position of the END byte within the encoded frame, counted from the first byte
        /// after the frame's opening END(s).
        offset: usize,
    },
}

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::BufferTooSmall { needed } => {
                write!(f, "output buffer too small: {needed} bytes needed")
            }
            Self::TooLong {
                len: Some(len),
                max,
            } => {
                write!(f, "frame of {len} bytes exceeds the {max}-byte limit")
            }
            Self::TooLong { len: None, max } => {
                write!(f, "frame exceeds the {max}-byte limit")
            }
            Self::NegativeLength => f.write_str("negative length in frame header"),
            Self::BadEscape { offset } => {
                write!(f, "invalid SLIP escape at offset {offset} in frame")
            }
            Self::EndInFrame { offset } => write!(
                f,
                "SLIP END at offset {offset} inside the frame: more than one frame"
            ),
        }
    }
}

impl core::error::Error for FrameError {}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::FrameError;
    use std::string::ToString;

    #[test]
    fn display_names_the_numbers() {
        let cases = [
            (
                FrameError::BufferTooSmall { needed: 7 },
                "output buffer too small: 7 bytes needed",
            ),
            (
                FrameError::TooLong {
                    len: Some(300),
                    max: 256,
                },
                "frame of 300 bytes exceeds the 256-byte limit",
            ),
            (
                FrameError::TooLong { len: None, max: 64 },
                "frame exceeds the 64-byte limit",
            ),
            (
                FrameError::NegativeLength,
                "negative length in frame header",
            ),
            (
                FrameError::BadEscape { offset: 3 },
                "invalid SLIP escape at offset 3 in frame",
            ),
            (
                FrameError::EndInFrame { offset: 2 },
                "SLIP END at offset 2 inside the frame: more than one frame",
            ),
        ];
        for (err, text) in cases {
            assert_eq!(err.to_string(), text);
        }
    }

    #[test]
    fn is_an_error() {
        fn takes(_: &dyn core::error::Error) {}
        takes(&FrameError::NegativeLength);
    }
}
