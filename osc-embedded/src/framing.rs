//! Stream framing for the stream endpoints: one trait over osc-core's two incremental decoders.
//!
//! OSC 1.1 streams use SLIP ([`SlipDecoder`]), OSC 1.0 streams a big-endian int32 length prefix
//! ([`LenPrefixDecoder`]). A stream endpoint is generic over [`Framing`], so the choice is made by the
//! decoder you hand it, and only that framing's code ends up in the firmware:
//!
//! ```
//! use osc_embedded::osc_core::{len_prefix::LenPrefixDecoder, slip::SlipDecoder};
//! use osc_embedded::Framing;
//!
//! let mut frame_buf = [0u8; 64]; // the largest packet accepted
//! let mut slip = SlipDecoder::new(&mut frame_buf[..]);
//! assert_eq!(slip.feed_frame(&[0xC0, 0x2F, 0xC0]), (3, Some(Ok(&[0x2F][..]))));
//!
//! let frame = LenPrefixDecoder::<[u8; 0]>::frame(b"/a\0\0,\0\0\0").unwrap();
//! assert_eq!(frame.header(), &[0, 0, 0, 8]);
//! assert_eq!(frame.len(), 12);
//! ```
//!
//! The decoding and encoding themselves are osc-core's; this module only selects between them.

use osc_core::len_prefix::{self, LenPrefixDecoder};
use osc_core::slip::{self, SlipDecoder};
use osc_core::FrameError;

/// A stream framing: an incremental decoder for incoming frames and the encoding of outgoing ones.
///
/// Implemented by osc-core's [`SlipDecoder`] and [`LenPrefixDecoder`] over any buffer.
pub trait Framing {
    /// Consumes bytes from `input` up to the end of at most one frame; see
    /// [`SlipDecoder::feed`] and [`LenPrefixDecoder::feed`].
    fn feed_frame(&mut self, input: &[u8]) -> (usize, Option<Result<&[u8], FrameError>>);

    /// Drops any partial frame (e.g. when a new connection starts).
    fn reset_frame(&mut self);

    /// How `packet` goes on the wire as one frame.
    ///
    /// # Errors
    ///
    /// [`FrameError::TooLong`] when the framing cannot carry a packet that large.
    fn frame(packet: &[u8]) -> Result<Frame<'_>, FrameError>;
}

impl<B: AsMut<[u8]>> Framing for SlipDecoder<B> {
    fn feed_frame(&mut self, input: &[u8]) -> (usize, Option<Result<&[u8], FrameError>>) {
        self.feed(input)
    }

    fn reset_frame(&mut self) {
        self.reset();
    }

    fn frame(packet: &[u8]) -> Result<Frame<'_>, FrameError> {
        Ok(Frame {
            header: [0; len_prefix::HEADER_LEN],
            header_len: 0,
            packet,
            body: Body::Slip(slip::encode_chunks(packet)),
        })
    }
}

impl<B: AsMut<[u8]>> Framing for LenPrefixDecoder<B> {
    fn feed_frame(&mut self, input: &[u8]) -> (usize, Option<Result<&[u8], FrameError>>) {
        self.feed(input)
    }

    fn reset_frame(&mut self) {
        self.reset();
    }

    fn frame(packet: &[u8]) -> Result<Frame<'_>, FrameError> {
        Ok(Frame {
            header: len_prefix::write_header(packet.len())?,
            header_len: len_prefix::HEADER_LEN,
            packet,
            body: Body::Plain(Some(packet)),
        })
    }
}

/// One outgoing frame: a fixed header (empty for SLIP) followed by body pieces, written in order.
/// Nothing is copied: the pieces borrow the packet.
///
/// ```
/// use osc_embedded::osc_core::slip::SlipDecoder;
/// use osc_embedded::Framing;
///
/// let frame = SlipDecoder::<[u8; 0]>::frame(&[0x2F, 0xC0]).unwrap();
/// assert_eq!(frame.header(), &[]);
/// let mut wire = Vec::new();
/// for piece in frame.pieces() {
///     wire.extend_from_slice(piece);
/// }
/// assert_eq!(wire, [0xC0, 0x2F, 0xDB, 0xDC, 0xC0]);
/// ```
#[derive(Clone, Debug)]
pub struct Frame<'a> {
    header: [u8; len_prefix::HEADER_LEN],
    header_len: usize,
    /// The packet, for [`len`](Frame::len), which is computed only when asked for.
    packet: &'a [u8],
    body: Body<'a>,
}

#[derive(Clone, Debug)]
enum Body<'a> {
    Slip(slip::EncodeChunks<'a>),
    Plain(Option<&'a [u8]>),
}

impl<'a> Frame<'a> {
    /// The bytes that go before the body pieces.
    pub fn header(&self) -> &[u8] {
        self.header.get(..self.header_len).unwrap_or_default()
    }

    /// The frame's total size on the wire, header included (for SLIP, counted when asked for).
    #[allow(clippy::len_without_is_empty)] // a frame is never empty
    pub fn len(&self) -> usize {
        match self.body {
            Body::Slip(_) => slip::encoded_len(self.packet),
            Body::Plain(_) => len_prefix::encoded_len(self.packet),
        }
    }

    /// The body pieces, in order, after [`header`](Self::header).
    pub fn pieces(self) -> Pieces<'a> {
        Pieces(self.body)
    }
}

#[cfg(feature = "defmt")]
impl defmt::Format for Frame<'_> {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(
            f,
            "Frame {{ header: {=[u8]}, len: {=usize} }}",
            self.header(),
            self.len()
        );
    }
}

/// The body pieces of a [`Frame`].
#[derive(Clone, Debug)]
pub struct Pieces<'a>(Body<'a>);

impl<'a> Iterator for Pieces<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        match &mut self.0 {
            Body::Slip(chunks) => chunks.next(),
            Body::Plain(packet) => packet.take(),
        }
    }
}

/// Splits the first reply off a [`Replies`](osc_core::Replies) buffer (a sequence of int32-size-prefixed
/// packets, the layout [`Replies::as_length_prefixed`](osc_core::Replies::as_length_prefixed) documents).
#[cfg_attr(
    not(any(feature = "smoltcp", feature = "embedded-io")),
    allow(dead_code)
)]
pub(crate) fn next_reply(bytes: &[u8]) -> Option<(&[u8], &[u8])> {
    let (size, rest) = bytes.split_first_chunk::<4>()?;
    let n = usize::try_from(u32::from_be_bytes(*size)).ok()?;
    rest.split_at_checked(n)
}
