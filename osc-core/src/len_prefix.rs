//! Length-prefix framing for OSC over stream transports, as OSC 1.0 specifies it.
//!
//! # Format
//!
//! Each packet is preceded by its size as a big-endian int32 ([`HEADER_LEN`] bytes). The
//! 8-byte packet `/a\0\0,\0\0\0` goes on the wire as
//!
//! ```text
//! 00 00 00 08  2F 61 00 00 2C 00 00 00
//! ```
//!
//! Sizes run from 0 to `i32::MAX`; a zero size is an empty frame.
//!
//! # Decoding a stream
//!
//! [`LenPrefixDecoder`] reassembles frames from bytes as they arrive, in chunks of any size.
//! Each [`feed`](LenPrefixDecoder::feed) call consumes input up to the end of at most one
//! frame and says how many bytes it took, so the caller loops until the chunk is used up:
//!
//! ```
//! use osc_core::len_prefix::LenPrefixDecoder;
//!
//! let mut decoder = LenPrefixDecoder::new([0u8; 64]);
//! let chunk: &[u8] = &[0, 0, 0, 2, 0xAA, 0xBB, 0, 0, 0, 1, 0xCC];
//!
//! let mut frames = Vec::new();
//! let mut input = chunk;
//! while !input.is_empty() {
//!     let (used, frame) = decoder.feed(input);
//!     input = &input[used..];
//!     match frame {
//!         Some(Ok(payload)) => frames.push(payload.to_vec()),
//!         Some(Err(e)) => eprintln!("dropped a frame: {e}"),
//!         None => {} // the chunk ended inside a frame: wait for more bytes
//!     }
//! }
//! assert_eq!(frames, [vec![0xAA, 0xBB], vec![0xCC]]);
//! ```
//!
//! # Errors and resynchronisation
//!
//! * A zero size is an empty frame and is skipped without a report.
//! * A size larger than the decoder's buffer yields [`FrameError::TooLong`] as soon as the
//!   header is complete, before any of the frame is read. The decoder then skips exactly that
//!   many bytes, without buffering them, and resumes with the next header, so the frame after
//!   the oversized one is delivered.
//! * A size that is negative as an int32 yields [`FrameError::NegativeLength`]. A
//!   length-prefixed stream has no delimiters to resynchronise on: the decoder reads the next
//!   four bytes as a header, but the stream is almost certainly out of step and the connection
//!   is best closed (or the decoder [`reset`](LenPrefixDecoder::reset) if the transport
//!   restarts the stream).
//!
//! **Untrusted peers:** a header can announce up to 2 GiB. After a `TooLong` error for a huge
//! size, everything that peer sends for the next 2 GiB is skipped; a garbage header leaves the
//! decoder skipping what may be the rest of the connection. A server facing untrusted clients
//! may prefer to close the connection on `TooLong` rather than wait for the skip to end.

// Nothing here may panic on any input: enforce the usual suspects.
#![deny(
    clippy::arithmetic_side_effects,
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use crate::FrameError;

/// Size of the length header: a big-endian int32.
///
/// ```
/// assert_eq!(osc_core::len_prefix::HEADER_LEN, 4);
/// ```
pub const HEADER_LEN: usize = 4;

/// The largest size a header can carry, `i32::MAX`, as a `usize` (saturated on targets whose
/// `usize` is narrower than 32 bits, where no slice can reach it anyway).
#[allow(clippy::cast_sign_loss, clippy::cast_possible_truncation)]
const MAX_LEN: usize = if usize::BITS >= 32 {
    i32::MAX as usize
} else {
    usize::MAX
};

/// Converts a header's (non-negative) size to `usize`, saturating on 16-bit targets.
fn wire_len(len: u32) -> usize {
    usize::try_from(len).unwrap_or(usize::MAX)
}

/// Exact size of `packet` once framed by [`encode`]: [`HEADER_LEN`] plus the packet.
///
/// ```
/// use osc_core::len_prefix;
///
/// assert_eq!(len_prefix::encoded_len(&[]), 4);
/// assert_eq!(len_prefix::encoded_len(b"/a\0\0,\0\0\0"), 12);
/// ```
#[must_use]
pub const fn encoded_len(packet: &[u8]) -> usize {
    packet.len().saturating_add(HEADER_LEN)
}

/// The header for a packet of `len` bytes: `len` as a big-endian int32.
///
/// # Errors
///
/// [`FrameError::TooLong`] when `len` exceeds `i32::MAX`, the largest size a header can carry.
///
/// ```
/// use osc_core::len_prefix;
///
/// assert_eq!(len_prefix::write_header(8), Ok([0x00, 0x00, 0x00, 0x08]));
/// assert_eq!(len_prefix::write_header(0x0102_0304), Ok([0x01, 0x02, 0x03, 0x04]));
/// assert_eq!(len_prefix::write_header(0x7FFF_FFFF), Ok([0x7F, 0xFF, 0xFF, 0xFF]));
/// ```
pub fn write_header(len: usize) -> Result<[u8; HEADER_LEN], FrameError> {
    match i32::try_from(len) {
        Ok(len) => Ok(len.to_be_bytes()),
        Err(_) => Err(FrameError::TooLong {
            len: Some(len),
            max: MAX_LEN,
        }),
    }
}

/// Writes the header and `packet` into `out` and returns the number of bytes written, which is
/// [`encoded_len(packet)`](encoded_len).
///
/// # Errors
///
/// * [`FrameError::TooLong`] when `packet` is longer than `i32::MAX` bytes.
/// * [`FrameError::BufferTooSmall`] with the exact size needed when `out` is shorter than
///   [`encoded_len(packet)`](encoded_len).
///
/// On error nothing is written.
///
/// ```
/// use osc_core::{len_prefix, FrameError};
///
/// let mut out = [0u8; 16];
/// let n = len_prefix::encode(b"/a\0\0,\0\0\0", &mut out)?;
/// assert_eq!(
///     &out[..n],
///     &[0x00, 0x00, 0x00, 0x08, 0x2F, 0x61, 0x00, 0x00, 0x2C, 0x00, 0x00, 0x00]
/// );
///
/// let mut small = [0u8; 11];
/// assert_eq!(
///     len_prefix::encode(b"/a\0\0,\0\0\0", &mut small),
///     Err(FrameError::BufferTooSmall { needed: 12 })
/// );
/// # Ok::<(), FrameError>(())
/// ```
pub fn encode(packet: &[u8], out: &mut [u8]) -> Result<usize, FrameError> {
    let header = write_header(packet.len())?;
    let needed = encoded_len(packet);
    let Some((head, body)) = out
        .get_mut(..needed)
        .and_then(<[u8]>::split_first_chunk_mut::<HEADER_LEN>)
    else {
        return Err(FrameError::BufferTooSmall { needed });
    };
    *head = header;
    body.copy_from_slice(packet);
    Ok(needed)
}

/// Where a [`LenPrefixDecoder`] is in the stream; kept apart from the buffer so both can be
/// borrowed at once.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum State {
    /// Reading a header; `have` (0..4) of its bytes are in `bytes`.
    Header {
        have: usize,
        bytes: [u8; HEADER_LEN],
    },
    /// Reading a frame of `len` bytes (`0 < len <= buffer`), `have < len` of them in the buffer.
    Body { len: usize, have: usize },
    /// Skipping the `left > 0` remaining bytes of an oversized frame.
    Skip { left: u32 },
}

impl State {
    const START: Self = Self::Header {
        have: 0,
        bytes: [0; HEADER_LEN],
    };
}

/// Streaming length-prefix decoder: reassembles frames into a caller-provided buffer.
///
/// `B` is the frame buffer, anything that is `AsMut<[u8]>`: `[u8; N]`, `&mut [u8]`, ….
/// Its length is the largest frame the decoder delivers; see the [module docs](self) for the
/// call loop and what happens to frames that are too long.
///
/// ```
/// use osc_core::len_prefix::LenPrefixDecoder;
///
/// let mut storage = [0u8; 16];
/// let mut decoder = LenPrefixDecoder::new(&mut storage[..]);
/// let input = [0, 0, 0, 1, 0x11, 0, 0, 0, 2, 0x22, 0x33];
/// // The first call stops after the first frame.
/// assert_eq!(decoder.feed(&input), (5, Some(Ok(&[0x11][..]))));
/// assert_eq!(decoder.feed(&input[5..]), (6, Some(Ok(&[0x22, 0x33][..]))));
/// ```
#[derive(Clone, Debug)]
pub struct LenPrefixDecoder<B> {
    buf: B,
    state: State,
}

impl<B: AsMut<[u8]>> LenPrefixDecoder<B> {
    /// A decoder that assembles frames in `buf`; frames longer than `buf` are reported as
    /// [`FrameError::TooLong`] and skipped. The buffer's contents do not matter.
    ///
    /// ```
    /// use osc_core::len_prefix::LenPrefixDecoder;
    ///
    /// // `new` is `const`, so a decoder can also live in a `static` or `const`.
    /// const _: LenPrefixDecoder<[u8; 4]> = LenPrefixDecoder::new([0; 4]);
    ///
    /// let mut decoder = LenPrefixDecoder::new([0u8; 4]);
    /// assert_eq!(decoder.feed(&[0, 0, 0, 1, 0x61]), (5, Some(Ok(&[0x61][..]))));
    /// ```
    #[must_use]
    pub const fn new(buf: B) -> Self {
        Self {
            buf,
            state: State::START,
        }
    }

    /// Consumes bytes from `input` up to and including the end of at most one frame.
    ///
    /// Returns how many bytes were consumed and
    /// * `Some(Ok(payload))` when a non-empty frame completed: the payload, borrowed from the
    ///   buffer until the next call;
    /// * `Some(Err(e))` when a header was bad: [`FrameError::TooLong`] (the decoder now skips
    ///   that frame) or [`FrameError::NegativeLength`];
    /// * `None` when all of `input` was consumed without completing a frame.
    ///
    /// The count is at least 1 whenever `input` is non-empty, so
    /// `while !input.is_empty()` loops end. Zero-length frames are skipped silently.
    ///
    /// ```
    /// use osc_core::{len_prefix::LenPrefixDecoder, FrameError};
    ///
    /// let mut decoder = LenPrefixDecoder::new([0u8; 2]);
    /// // A header split across two reads, and an empty frame that is skipped.
    /// assert_eq!(decoder.feed(&[0, 0]), (2, None));
    /// assert_eq!(decoder.feed(&[0, 0, 0, 0, 0, 2, 0x01]), (7, None));
    /// assert_eq!(decoder.feed(&[0x02]), (1, Some(Ok(&[0x01, 0x02][..]))));
    /// // Three bytes do not fit a two-byte buffer: reported at once, then skipped.
    /// let input = [0, 0, 0, 3, 0x0A, 0x0B, 0x0C, 0, 0, 0, 1, 0x0D];
    /// assert_eq!(
    ///     decoder.feed(&input),
    ///     (4, Some(Err(FrameError::TooLong { len: Some(3), max: 2 })))
    /// );
    /// assert_eq!(decoder.feed(&input[4..]), (8, Some(Ok(&[0x0D][..]))));
    /// // A negative size.
    /// assert_eq!(
    ///     decoder.feed(&[0xFF, 0xFF, 0xFF, 0xFF]),
    ///     (4, Some(Err(FrameError::NegativeLength)))
    /// );
    /// ```
    pub fn feed<'d>(&'d mut self, input: &[u8]) -> (usize, Option<Result<&'d [u8], FrameError>>) {
        let buf: &'d mut [u8] = self.buf.as_mut();
        let state = &mut self.state;
        let mut rest = input;
        loop {
            match *state {
                State::Header {
                    have: start,
                    mut bytes,
                } => {
                    let need = HEADER_LEN.saturating_sub(start);
                    let (src, after) = rest.split_at_checked(need).unwrap_or((rest, &[]));
                    rest = after;
                    let have = start.saturating_add(src.len());
                    if let Some(dst) = bytes.get_mut(start..have) {
                        dst.copy_from_slice(src);
                    }
                    if have < HEADER_LEN {
                        *state = State::Header { have, bytes };
                        return (input.len(), None);
                    }
                    *state = State::START;
                    let consumed = input.len().saturating_sub(rest.len());
                    let Ok(len) = u32::try_from(i32::from_be_bytes(bytes)) else {
                        return (consumed, Some(Err(FrameError::NegativeLength)));
                    };
                    match usize::try_from(len) {
                        Ok(0) => {} // an empty frame: skip it
                        Ok(len) if len <= buf.len() => *state = State::Body { len, have: 0 },
                        _ => {
                            *state = State::Skip { left: len };
                            let error = FrameError::TooLong {
                                len: Some(wire_len(len)),
                                max: buf.len(),
                            };
                            return (consumed, Some(Err(error)));
                        }
                    }
                }
                State::Body { len, have: start } => {
                    let need = len.saturating_sub(start);
                    let (src, after) = rest.split_at_checked(need).unwrap_or((rest, &[]));
                    let have = start.saturating_add(src.len());
                    if let Some(dst) = buf.get_mut(start..have) {
                        dst.copy_from_slice(src);
                    }
                    if have < len {
                        *state = State::Body { len, have };
                        return (input.len(), None);
                    }
                    *state = State::START;
                    let buf: &'d [u8] = buf;
                    let payload = buf.get(..len).unwrap_or_default();
                    return (input.len().saturating_sub(after.len()), Some(Ok(payload)));
                }
                State::Skip { left } => {
                    let take = wire_len(left).min(rest.len());
                    rest = rest.get(take..).unwrap_or_default();
                    let left = left.saturating_sub(u32::try_from(take).unwrap_or(u32::MAX));
                    if left != 0 {
                        *state = State::Skip { left };
                        return (input.len(), None);
                    }
                    *state = State::START;
                }
            }
        }
    }

    /// Drops any partial header or frame and stops skipping: the next byte starts a header.
    ///
    /// ```
    /// use osc_core::len_prefix::LenPrefixDecoder;
    ///
    /// let mut decoder = LenPrefixDecoder::new([0u8; 8]);
    /// assert_eq!(decoder.feed(&[0, 0, 0, 5, 0x01]), (5, None));
    /// decoder.reset();
    /// assert_eq!(decoder.buffered(), 0);
    /// assert_eq!(decoder.feed(&[0, 0, 0, 1, 0x02]), (5, Some(Ok(&[0x02][..]))));
    /// ```
    pub const fn reset(&mut self) {
        self.state = State::START;
    }

    /// Bytes of the unfinished frame consumed so far, header included. Zero between frames and
    /// while skipping an oversized frame, so a non-zero value at the end of a stream means the
    /// stream stopped inside a frame.
    ///
    /// ```
    /// use osc_core::len_prefix::LenPrefixDecoder;
    ///
    /// let mut decoder = LenPrefixDecoder::new([0u8; 8]);
    /// assert_eq!(decoder.feed(&[0, 0]), (2, None));
    /// assert_eq!(decoder.buffered(), 2);
    /// assert_eq!(decoder.feed(&[0, 3, 0x01]), (3, None));
    /// assert_eq!(decoder.buffered(), 5);
    /// ```
    #[must_use]
    pub const fn buffered(&self) -> usize {
        match self.state {
            State::Header { have, .. } => have,
            State::Body { have, .. } => have.saturating_add(HEADER_LEN),
            State::Skip { .. } => 0,
        }
    }

    /// Returns the buffer, ending the decoder.
    ///
    /// ```
    /// use osc_core::len_prefix::LenPrefixDecoder;
    ///
    /// let mut decoder = LenPrefixDecoder::new([0u8; 2]);
    /// assert_eq!(decoder.feed(&[0, 0, 0, 1, 0x07]), (5, Some(Ok(&[0x07][..]))));
    /// assert_eq!(decoder.into_inner(), [0x07, 0x00]);
    /// ```
    #[must_use]
    pub fn into_inner(self) -> B {
        self.buf
    }
}

#[cfg(test)]
#[allow(
    clippy::arithmetic_side_effects,
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]
mod tests {
    extern crate std;

    use super::*;
    use proptest::prelude::*;
    use std::vec::Vec;

    type Outcome = Result<Vec<u8>, FrameError>;

    fn encode_vec(packet: &[u8]) -> Vec<u8> {
        let mut out = std::vec![0u8; encoded_len(packet)];
        let n = encode(packet, &mut out).expect("sized by encoded_len");
        assert_eq!(n, out.len());
        out
    }

    /// Feeds `input` in chunks of the given sizes (cycled), collecting every outcome and
    /// checking the `feed` contract on the way.
    fn feed_all<B: AsMut<[u8]>>(
        decoder: &mut LenPrefixDecoder<B>,
        input: &[u8],
        chunks: &[usize],
        max: usize,
    ) -> Vec<Outcome> {
        let mut out = Vec::new();
        let mut sizes = chunks.iter().copied().cycle();
        let mut input = input;
        while !input.is_empty() {
            let size = sizes.next().unwrap_or(1).clamp(1, input.len());
            let (mut chunk, later) = input.split_at(size);
            input = later;
            while !chunk.is_empty() {
                let (used, frame) = decoder.feed(chunk);
                assert!(
                    used >= 1 && used <= chunk.len(),
                    "used {used} of {}",
                    chunk.len()
                );
                if frame.is_none() {
                    assert_eq!(used, chunk.len());
                }
                if let Some(frame) = frame {
                    if let Ok(payload) = frame {
                        assert!(!payload.is_empty() && payload.len() <= max);
                    }
                    out.push(frame.map(<[u8]>::to_vec));
                }
                chunk = &chunk[used..];
            }
        }
        out
    }

    fn too_long(len: usize, max: usize) -> FrameError {
        FrameError::TooLong {
            len: Some(len),
            max,
        }
    }

    #[test]
    fn known_vectors() {
        let cases: &[(&[u8], &[u8])] = &[
            (&[], &[0, 0, 0, 0]),
            (&[0xC0], &[0, 0, 0, 1, 0xC0]),
            (
                b"/a\0\0,i\0\0\x00\x00\x01\x00",
                b"\0\0\0\x0c/a\0\0,i\0\0\x00\x00\x01\x00",
            ),
        ];
        for &(packet, wire) in cases {
            assert_eq!(encoded_len(packet), wire.len());
            assert_eq!(encode_vec(packet), wire);
            let expected: Vec<Outcome> = if packet.is_empty() {
                Vec::new()
            } else {
                std::vec![Ok(packet.to_vec())]
            };
            for chunk in [1, 2, 3, 100] {
                let mut decoder = LenPrefixDecoder::new([0u8; 16]);
                assert_eq!(feed_all(&mut decoder, wire, &[chunk], 16), expected);
                assert_eq!(decoder.buffered(), 0);
            }
        }
        let long = [0x5A; 300];
        assert_eq!(&encode_vec(&long)[..4], &[0x00, 0x00, 0x01, 0x2C]);
    }

    #[test]
    fn headers() {
        assert_eq!(write_header(0), Ok([0, 0, 0, 0]));
        assert_eq!(write_header(0x7FFF_FFFF), Ok([0x7F, 0xFF, 0xFF, 0xFF]));
        assert_eq!(MAX_LEN, 0x7FFF_FFFF);
        #[cfg(target_pointer_width = "64")]
        {
            assert_eq!(
                write_header(0x8000_0000),
                Err(too_long(0x8000_0000, MAX_LEN))
            );
            assert_eq!(write_header(usize::MAX), Err(too_long(usize::MAX, MAX_LEN)));
        }
    }

    #[test]
    fn exact_fit_and_too_small_output() {
        let packet = [1, 2, 3];
        let mut exact = [0u8; 7];
        assert_eq!(encode(&packet, &mut exact), Ok(7));
        assert_eq!(exact, [0, 0, 0, 3, 1, 2, 3]);
        for size in 0..7 {
            let mut out = std::vec![0xEEu8; size];
            assert_eq!(
                encode(&packet, &mut out),
                Err(FrameError::BufferTooSmall { needed: 7 })
            );
            assert!(out.iter().all(|&b| b == 0xEE), "nothing written");
        }
        let mut roomy = [0xEEu8; 10];
        assert_eq!(encode(&packet, &mut roomy), Ok(7));
        assert_eq!(&roomy[7..], &[0xEE; 3]);
    }

    #[test]
    fn several_frames_and_empty_ones() {
        let input = [
            0, 0, 0, 0, // empty
            0, 0, 0, 1, 0x0A, //
            0, 0, 0, 0, 0, 0, 0, 0, // two empty
            0, 0, 0, 2, 0x0B, 0x0C, //
            0, 0, 0, 0, // trailing empty
        ];
        let expected = [Ok(std::vec![0x0A]), Ok(std::vec![0x0B, 0x0C])];
        for chunk in [1, 2, 3, 5, 100] {
            let mut decoder = LenPrefixDecoder::new([0u8; 2]);
            assert_eq!(feed_all(&mut decoder, &input, &[chunk], 2), expected);
            assert_eq!(decoder.buffered(), 0);
        }
        let mut decoder = LenPrefixDecoder::new([0u8; 2]);
        assert_eq!(decoder.feed(&input), (9, Some(Ok(&[0x0A][..]))));
        assert_eq!(decoder.feed(&input[9..]), (14, Some(Ok(&[0x0B, 0x0C][..]))));
        assert_eq!(decoder.feed(&input[23..]), (4, None));
    }

    #[test]
    fn exact_fit_frame_and_too_long_then_good() {
        let mut input = Vec::new();
        input.extend_from_slice(&encode_vec(&[1, 2, 3, 4]));
        input.extend_from_slice(&encode_vec(&[9; 100]));
        input.extend_from_slice(&encode_vec(&[5]));
        input.extend_from_slice(&encode_vec(&[1, 2, 3, 4, 5]));
        input.extend_from_slice(&encode_vec(&[6, 7]));
        let expected = [
            Ok(std::vec![1, 2, 3, 4]),
            Err(too_long(100, 4)),
            Ok(std::vec![5]),
            Err(too_long(5, 4)),
            Ok(std::vec![6, 7]),
        ];
        for chunk in [1, 3, 7, 1000] {
            let mut decoder = LenPrefixDecoder::new([0u8; 4]);
            assert_eq!(feed_all(&mut decoder, &input, &[chunk], 4), expected);
        }
    }

    #[test]
    fn too_long_is_reported_before_the_body_arrives() {
        let mut decoder = LenPrefixDecoder::new([0u8; 4]);
        assert_eq!(
            decoder.feed(&[0, 0, 1, 0]),
            (4, Some(Err(too_long(256, 4))))
        );
        assert_eq!(decoder.buffered(), 0);
        assert_eq!(decoder.feed(&[0; 255]), (255, None));
        // The last skipped byte and the next frame in one chunk.
        assert_eq!(
            decoder.feed(&[0xEE, 0, 0, 0, 1, 0x42]),
            (6, Some(Ok(&[0x42][..])))
        );
    }

    #[test]
    fn zero_capacity_buffer() {
        let mut decoder = LenPrefixDecoder::new([0u8; 0]);
        let input = [0, 0, 0, 0, 0, 0, 0, 1, 0x01, 0, 0, 0, 0];
        assert_eq!(
            feed_all(&mut decoder, &input, &[1], 0),
            [Err(too_long(1, 0))]
        );
    }

    #[test]
    fn negative_lengths() {
        for header in [
            [0x80, 0, 0, 0],
            [0xFF, 0xFF, 0xFF, 0xFF],
            [0xC0, 0x2F, 0x61, 0x00],
        ] {
            let mut input = header.to_vec();
            input.extend_from_slice(&encode_vec(&[0x33]));
            for chunk in [1, 2, 100] {
                let mut decoder = LenPrefixDecoder::new([0u8; 4]);
                assert_eq!(
                    feed_all(&mut decoder, &input, &[chunk], 4),
                    [Err(FrameError::NegativeLength), Ok(std::vec![0x33])]
                );
            }
        }
    }

    #[test]
    fn max_length_skip_counts_down_across_chunks() {
        let mut decoder = LenPrefixDecoder::new([0u8; 64]);
        assert_eq!(
            decoder.feed(&[0x7F, 0xFF, 0xFF, 0xFF]),
            (4, Some(Err(too_long(0x7FFF_FFFF, 64))))
        );
        // Skipping never copies, so 2 GiB goes by in 1 MiB chunks quickly.
        let zeros = std::vec![0u8; 1 << 20];
        let mut left: usize = 0x7FFF_FFFF;
        while left > zeros.len() {
            assert_eq!(decoder.feed(&zeros), (zeros.len(), None));
            left -= zeros.len();
        }
        assert_eq!(left, (1 << 20) - 1);
        assert_eq!(decoder.feed(&zeros[..left - 1]), (left - 1, None));
        assert_eq!(decoder.buffered(), 0);
        // One skipped byte left; then a header and a frame, in one chunk.
        let tail = [0xAB, 0, 0, 0, 2, 0x01, 0x02];
        assert_eq!(decoder.feed(&tail), (7, Some(Ok(&[0x01, 0x02][..]))));
        assert_eq!(decoder.buffered(), 0);
    }

    #[test]
    fn buffered_and_reset() {
        let mut decoder = LenPrefixDecoder::new([0u8; 8]);
        assert_eq!(decoder.feed(&[0, 0, 0]), (3, None));
        assert_eq!(decoder.buffered(), 3);
        assert_eq!(decoder.feed(&[4, 1, 2]), (3, None));
        assert_eq!(decoder.buffered(), 6);
        decoder.reset();
        assert_eq!(decoder.buffered(), 0);
        assert_eq!(decoder.feed(&[0, 0, 0, 1, 9]), (5, Some(Ok(&[9][..]))));
        assert_eq!(decoder.feed(&[0, 0, 0, 9]), (4, Some(Err(too_long(9, 8)))));
        decoder.reset();
        assert_eq!(decoder.feed(&[0, 0, 0, 1, 7]), (5, Some(Ok(&[7][..]))));
    }

    fn payloads() -> impl Strategy<Value = Vec<Vec<u8>>> {
        prop::collection::vec(prop::collection::vec(any::<u8>(), 0..80), 0..12)
    }

    fn chunkings() -> impl Strategy<Value = Vec<usize>> {
        prop_oneof![
            1 => Just(std::vec![1]),
            3 => prop::collection::vec(1usize..40, 1..10),
        ]
    }

    proptest! {
        #[test]
        fn roundtrip(packets in payloads(), chunks in chunkings()) {
            let stream: Vec<u8> = packets.iter().flat_map(|p| encode_vec(p)).collect();
            let expected: Vec<Outcome> = packets
                .iter()
                .filter(|p| !p.is_empty())
                .map(|p| Ok(p.clone()))
                .collect();
            let mut decoder = LenPrefixDecoder::new([0u8; 80]);
            prop_assert_eq!(feed_all(&mut decoder, &stream, &chunks, 80), expected);
            prop_assert_eq!(decoder.buffered(), 0);
        }

        #[test]
        fn oversized_frames_do_not_hide_others(
            packets in payloads(),
            chunks in chunkings(),
            max in 0usize..40,
        ) {
            let stream: Vec<u8> = packets.iter().flat_map(|p| encode_vec(p)).collect();
            let expected: Vec<Outcome> = packets
                .iter()
                .filter(|p| !p.is_empty())
                .map(|p| if p.len() <= max { Ok(p.clone()) } else { Err(too_long(p.len(), max)) })
                .collect();
            let mut buf = [0u8; 40];
            let mut decoder = LenPrefixDecoder::new(&mut buf[..max]);
            prop_assert_eq!(feed_all(&mut decoder, &stream, &chunks, max), expected);
        }

        #[test]
        fn random_bytes_never_panic(
            bytes in prop::collection::vec(
                // Small sizes are more interesting than random 2 GiB ones.
                prop_oneof![3 => any::<u8>(), 3 => Just(0u8), 1 => 1u8..80],
                0..600,
            ),
            chunks in chunkings(),
            max in 0usize..64,
        ) {
            let mut buf = [0u8; 64];
            let mut decoder = LenPrefixDecoder::new(&mut buf[..max]);
            // feed_all asserts the contract: progress, full consumption on None, sizes.
            for outcome in feed_all(&mut decoder, &bytes, &chunks, max) {
                if let Err(e) = outcome {
                    let known = e == FrameError::NegativeLength
                        || matches!(e, FrameError::TooLong { len: Some(len), max: m }
                            if m == max && len > max);
                    prop_assert!(known, "{:?}", e);
                }
            }
        }
    }
}
