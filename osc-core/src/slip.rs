//! SLIP framing (RFC 1055) for OSC over stream transports, as OSC 1.1 specifies it.
//!
//! # Format
//!
//! A frame is the packet with two bytes escaped, between END bytes:
//!
//! | byte in the packet | bytes on the wire               |
//! |--------------------|---------------------------------|
//! | `0xC0` ([`END`])   | `0xDB 0xDC` ([`ESC`] [`ESC_END`]) |
//! | `0xDB` ([`ESC`])   | `0xDB 0xDD` ([`ESC`] [`ESC_ESC`]) |
//! | anything else      | itself                          |
//!
//! [`encode`] writes the *double-END* form OSC 1.1 uses, `END escaped-packet END`: the
//! leading END flushes any line noise the receiver has buffered. The packet `[0x2F, 0xC0]`
//! becomes `C0 2F DB DC C0`.
//!
//! # Decoding a stream
//!
//! [`SlipDecoder`] reassembles frames from bytes as they arrive, in chunks of any size. Each
//! [`feed`](SlipDecoder::feed) call consumes input up to the end of at most one frame and says how
//! many bytes it took, so the caller loops until the chunk is used up:
//!
//! ```
//! use osc_core::slip::SlipDecoder;
//!
//! let mut decoder = SlipDecoder::new([0u8; 64]);
//! // Two frames, double-END style, the second one holding an escaped 0xC0.
//! let chunk: &[u8] = &[0xC0, 0x01, 0x02, 0xC0, 0xC0, 0xDB, 0xDC, 0xC0];
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
//! assert_eq!(frames, [vec![0x01, 0x02], vec![0xC0]]);
//! ```
//!
//! The decoder accepts both the double-END form and the single-END form `packet END packet END`
//! that plain RFC 1055 senders use. Empty frames (the `END END` between two double-END frames,
//! any run of ENDs) carry nothing and are skipped without a report.
//!
//! For a frame the caller has already cut out of the stream, [`decode_in_place`] does the
//! un-escaping without a second buffer.
//!
//! # Resynchronisation
//!
//! An END byte never occurs inside an encoded packet, so every END is a frame boundary and the
//! decoder always recovers at the next one:
//!
//! * A frame that does not fit the decoder's buffer yields
//!   [`FrameError::TooLong`] once; the decoder then discards bytes up to the next END and
//!   resumes with the frame after it.
//! * An ESC followed by anything but `ESC_END`/`ESC_ESC` yields [`FrameError::BadEscape`] once
//!   and the same discarding. If the byte after the ESC is END, that END closes the bad frame and
//!   nothing more is discarded.
//!
//! In both cases the next well-formed frame is delivered. A decoder that is attached to a line
//! in the middle of a frame delivers that frame's tail as a (probably unparsable) frame; SLIP
//! cannot tell it apart from a single-END frame.

// Nothing here may panic on any input: enforce the usual suspects.
#![deny(
    clippy::arithmetic_side_effects,
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use crate::FrameError;

/// Frame delimiter, `0xC0`.
pub const END: u8 = 0xC0;
/// Escape byte, `0xDB`: the next byte is [`ESC_END`] or [`ESC_ESC`].
pub const ESC: u8 = 0xDB;
/// `0xDC`: after [`ESC`], stands for a literal [`END`] byte.
pub const ESC_END: u8 = 0xDC;
/// `0xDD`: after [`ESC`], stands for a literal [`ESC`] byte.
pub const ESC_ESC: u8 = 0xDD;

const WORD: usize = core::mem::size_of::<usize>();
/// `0x0101…01`: one in every byte of a word.
const LO: usize = usize::MAX / 0xFF;
/// `0x8080…80`: the top bit of every byte of a word.
const HI: usize = LO << 7;

/// Marks the bytes of `word` that are zero. The lowest marked byte is exact (higher ones may be
/// false positives caused by a borrow), which is all [`find_special`] needs.
#[inline]
const fn zero_bytes(word: usize) -> usize {
    word.wrapping_sub(LO) & !word & HI
}

/// Index of the first [`END`] or [`ESC`] in `bytes`.
#[inline]
fn find_special(bytes: &[u8]) -> Option<usize> {
    find2(bytes, END, ESC)
}

/// Index of the first `a` or `b` in `bytes`, a machine word at a time (SWAR): several times
/// faster than a byte loop on packet-sized input, without `unsafe` or a dependency. Blocks of
/// four words are tested together first, which pays off beyond a few dozen bytes.
///
/// With the `small` feature, a byte loop.
#[inline]
fn find2(bytes: &[u8], a: u8, b: u8) -> Option<usize> {
    if cfg!(feature = "small") {
        return bytes.iter().position(|&x| x == a || x == b);
    }
    const BLOCK: usize = 4 * WORD;
    let splat_a = LO * usize::from(a);
    let splat_b = LO * usize::from(b);
    let hits = |chunk: &[u8]| {
        // A chunk is always exactly WORD bytes; 0 (no hit) keeps the fallback harmless.
        let word = <[u8; WORD]>::try_from(chunk).map_or(0, usize::from_le_bytes);
        zero_bytes(word ^ splat_a) | zero_bytes(word ^ splat_b)
    };
    let mut base: usize = 0;
    let mut blocks = bytes.chunks_exact(BLOCK);
    let mut tail = blocks.remainder();
    for block in &mut blocks {
        if block
            .chunks_exact(WORD)
            .fold(0, |any, chunk| any | hits(chunk))
            != 0
        {
            tail = block;
            break;
        }
        base = base.saturating_add(BLOCK);
    }
    let mut words = tail.chunks_exact(WORD);
    for chunk in &mut words {
        let found = hits(chunk);
        if found != 0 {
            // Little-endian load: byte 0 of the chunk is the least significant byte.
            return Some(base.saturating_add((found.trailing_zeros() / 8) as usize));
        }
        base = base.saturating_add(WORD);
    }
    words
        .remainder()
        .iter()
        .position(|&x| x == a || x == b)
        .map(|p| base.saturating_add(p))
}

/// Exact size of `packet` once SLIP-encoded by [`encode`]: two ENDs, plus one byte per packet
/// byte, plus one more for every `0xC0` and `0xDB` in it.
///
/// ```
/// use osc_core::slip;
///
/// assert_eq!(slip::encoded_len(&[]), 2);
/// assert_eq!(slip::encoded_len(&[0x2F, 0x61]), 4);
/// assert_eq!(slip::encoded_len(&[0xC0, 0xDB]), 6); // C0 DB DC DB DD C0
/// ```
#[must_use]
pub fn encoded_len(packet: &[u8]) -> usize {
    // Counting into u8 lanes, 255 bytes at a time, lets the compiler vectorise this.
    let specials: usize = packet
        .chunks(255)
        .map(|block| {
            let count = block.iter().fold(0u8, |n, &b| {
                n.wrapping_add(u8::from(b == END) | u8::from(b == ESC))
            });
            usize::from(count)
        })
        .sum();
    // Saturation is unreachable: a slice holds at most isize::MAX bytes.
    packet.len().saturating_add(specials).saturating_add(2)
}

/// SLIP-encodes `packet` into `out` in the double-END form and returns the number of bytes
/// written, which is [`encoded_len(packet)`](encoded_len).
///
/// # Errors
///
/// [`FrameError::BufferTooSmall`] with the exact size needed when `out` is shorter than
/// [`encoded_len(packet)`](encoded_len). Nothing is written then.
///
/// # Performance
///
/// An `out` of at least `2 * packet.len() + 2` bytes (the worst case) is encoded in a single
/// pass; a tighter one costs a (fast) counting pass first, to write nothing when it is too small.
///
/// ```
/// use osc_core::{slip, FrameError};
///
/// let mut out = [0u8; 8];
/// let n = slip::encode(&[0x2F, 0xC0, 0xDB], &mut out)?;
/// assert_eq!(&out[..n], &[0xC0, 0x2F, 0xDB, 0xDC, 0xDB, 0xDD, 0xC0]);
///
/// let mut small = [0u8; 6];
/// assert_eq!(
///     slip::encode(&[0x2F, 0xC0, 0xDB], &mut small),
///     Err(FrameError::BufferTooSmall { needed: 7 })
/// );
/// # Ok::<(), FrameError>(())
/// ```
pub fn encode(packet: &[u8], out: &mut [u8]) -> Result<usize, FrameError> {
    let worst_case = packet.len().saturating_mul(2).saturating_add(2);
    if out.len() < worst_case {
        let needed = encoded_len(packet);
        if out.len() < needed {
            return Err(FrameError::BufferTooSmall { needed });
        }
    }
    // `out` is large enough now, so `None` cannot happen; report it the same way regardless.
    encode_into(packet, out).ok_or_else(|| FrameError::BufferTooSmall {
        needed: encoded_len(packet),
    })
}

/// One pass over `packet`; `None` if `out` runs out of room.
#[inline]
fn encode_into(packet: &[u8], out: &mut [u8]) -> Option<usize> {
    let total = out.len();
    let (first, mut dst) = out.split_first_mut()?;
    *first = END;
    let mut src = packet;
    while let Some(pos) = find_special(src) {
        let (run, tail) = src.split_at_checked(pos)?;
        let (&special, after) = tail.split_first()?;
        let (copy_to, rest) = core::mem::take(&mut dst).split_at_mut_checked(pos)?;
        copy_to.copy_from_slice(run);
        let (pair, rest) = rest.split_first_chunk_mut::<2>()?;
        *pair = [ESC, if special == END { ESC_END } else { ESC_ESC }];
        dst = rest;
        src = after;
    }
    let (copy_to, rest) = dst.split_at_mut_checked(src.len())?;
    copy_to.copy_from_slice(src);
    let (last, rest) = rest.split_first_mut()?;
    *last = END;
    Some(total.saturating_sub(rest.len()))
}

/// The pieces of `packet`'s SLIP frame (double-END form), in order, without a buffer: for
/// writing a frame straight into a byte sink that takes slices (a UART, a TCP send buffer, an
/// `embedded_io::Write`). The pieces are the opening END, runs of packet bytes that need no
/// escaping, two-byte escape pairs and the closing END; their concatenation is exactly what
/// [`encode`] writes, and their lengths add up to [`encoded_len`].
///
/// ```
/// use osc_core::slip;
///
/// let packet = [0x2F, 0xC0, 0x61, 0x62];
/// let pieces: Vec<&[u8]> = slip::encode_chunks(&packet).collect();
/// assert_eq!(pieces, [&[0xC0][..], &[0x2F], &[0xDB, 0xDC], &[0x61, 0x62], &[0xC0]]);
///
/// let mut whole = [0u8; 8];
/// let n = slip::encode(&packet, &mut whole)?;
/// assert_eq!(pieces.concat(), &whole[..n]);
/// # Ok::<(), osc_core::FrameError>(())
/// ```
#[must_use]
pub fn encode_chunks(packet: &[u8]) -> EncodeChunks<'_> {
    EncodeChunks {
        rest: packet,
        state: ChunkState::Start,
    }
}

/// Iterator over the pieces of a SLIP frame; see [`encode_chunks`].
#[derive(Clone, Debug)]
pub struct EncodeChunks<'a> {
    rest: &'a [u8],
    state: ChunkState,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum ChunkState {
    Start,
    Body,
    Done,
}

impl<'a> Iterator for EncodeChunks<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        const END_PIECE: &[u8] = &[END];
        const ESCAPED_END: &[u8] = &[ESC, ESC_END];
        const ESCAPED_ESC: &[u8] = &[ESC, ESC_ESC];
        match self.state {
            ChunkState::Start => {
                self.state = ChunkState::Body;
                Some(END_PIECE)
            }
            ChunkState::Body => {
                let Some((&first, after)) = self.rest.split_first() else {
                    self.state = ChunkState::Done;
                    return Some(END_PIECE);
                };
                if first == END || first == ESC {
                    self.rest = after;
                    return Some(if first == END {
                        ESCAPED_END
                    } else {
                        ESCAPED_ESC
                    });
                }
                let pos = find_special(self.rest).unwrap_or(self.rest.len());
                let (run, rest) = self.rest.split_at_checked(pos).unwrap_or((self.rest, &[]));
                self.rest = rest;
                Some(run)
            }
            ChunkState::Done => None,
        }
    }
}

impl core::iter::FusedIterator for EncodeChunks<'_> {}

/// Decodes one SLIP frame that the caller already holds, in place, and returns the payload
/// length: the payload is then `frame[..len]`.
///
/// Any number of leading and trailing ENDs are allowed (double-END, single-END or none at
/// all). A slice of nothing but ENDs is an empty frame and gives `Ok(0)`. Bytes after the
/// payload are left in an unspecified state.
///
/// # Errors
///
/// * [`FrameError::BadEscape`] when an ESC is followed by anything but `ESC_END`/`ESC_ESC`,
///   or is the last byte before the trailing ENDs.
/// * [`FrameError::EndInFrame`] when an END sits between payload bytes: the slice holds more
///   than one frame. Use [`SlipDecoder`] for such input.
///
/// Offsets count from the first byte after the leading ENDs. On error `frame` is partially
/// decoded.
///
/// ```
/// use osc_core::{slip, FrameError};
///
/// let mut frame = [0xC0, 0x2F, 0xDB, 0xDC, 0xDB, 0xDD, 0xC0];
/// let len = slip::decode_in_place(&mut frame)?;
/// assert_eq!(&frame[..len], &[0x2F, 0xC0, 0xDB]);
///
/// let mut bad = [0xC0, 0x2F, 0xDB, 0x00, 0xC0];
/// assert_eq!(slip::decode_in_place(&mut bad), Err(FrameError::BadEscape { offset: 1 }));
/// # Ok::<(), FrameError>(())
/// ```
pub fn decode_in_place(frame: &mut [u8]) -> Result<usize, FrameError> {
    let start = frame.iter().position(|&b| b != END).unwrap_or(frame.len());
    let end = frame
        .iter()
        .rposition(|&b| b != END)
        .map_or(start, |last| last.saturating_add(1));
    // Read position `read` never falls behind write position `write`.
    let mut read = start;
    let mut write = 0;
    loop {
        let body = frame.get(read..end).unwrap_or_default();
        let Some(pos) = find_special(body) else {
            let run = body.len();
            move_run(frame, read, write, run);
            return Ok(write.saturating_add(run));
        };
        move_run(frame, read, write, pos);
        write = write.saturating_add(pos);
        read = read.saturating_add(pos);
        let offset = read.saturating_sub(start);
        let pair = frame.get(read..end).unwrap_or_default();
        let byte = match pair {
            [END, ..] => return Err(FrameError::EndInFrame { offset }),
            [ESC, ESC_END, ..] => END,
            [ESC, ESC_ESC, ..] => ESC,
            _ => return Err(FrameError::BadEscape { offset }),
        };
        if let Some(slot) = frame.get_mut(write) {
            *slot = byte;
        }
        write = write.saturating_add(1);
        read = read.saturating_add(2);
    }
}

/// Moves `frame[from..from + len]` to `frame[to..]` (`to <= from`); nothing if out of range.
#[inline]
fn move_run(frame: &mut [u8], from: usize, to: usize, len: usize) {
    if from == to {
        return;
    }
    if let Some(src_end) = from.checked_add(len) {
        if src_end <= frame.len() && to <= from {
            frame.copy_within(from..src_end, to);
        }
    }
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum State {
    /// Inside a frame (or between frames when nothing is buffered).
    Frame,
    /// Inside a frame, right after an ESC byte.
    Escape,
    /// Dropping bytes up to the next END after an error.
    Discard,
}

/// Streaming SLIP decoder: reassembles frames into a caller-provided buffer.
///
/// `B` is the frame buffer, anything that is `AsMut<[u8]>`: `[u8; N]`, `&mut [u8]`, a
/// `Vec<u8>` where `alloc` is available, …. Its length is the largest payload the decoder delivers;
/// see the [module docs](self) for the call loop and the resynchronisation rules.
///
/// ```
/// use osc_core::slip::SlipDecoder;
///
/// let mut storage = [0u8; 16];
/// let mut decoder = SlipDecoder::new(&mut storage[..]);
/// // Single-END framing, delivered in one chunk: the first call stops after the first frame.
/// let input = [0x01, 0xC0, 0x02, 0xDB, 0xDD, 0xC0];
/// assert_eq!(decoder.feed(&input), (2, Some(Ok(&[0x01][..]))));
/// assert_eq!(decoder.feed(&input[2..]), (4, Some(Ok(&[0x02, 0xDB][..]))));
/// ```
#[derive(Clone, Debug)]
pub struct SlipDecoder<B> {
    buf: B,
    at: Cursor,
}

/// Where a [`SlipDecoder`] is in the stream; kept apart from the buffer so both can be borrowed.
#[derive(Copy, Clone, Debug)]
struct Cursor {
    /// Payload bytes of the unfinished frame in the buffer.
    len: usize,
    /// Encoded bytes of the unfinished frame consumed, excluding a pending ESC.
    raw: usize,
    state: State,
}

impl Cursor {
    const START: Self = Self {
        len: 0,
        raw: 0,
        state: State::Frame,
    };

    const fn restart(&mut self, state: State) {
        self.len = 0;
        self.raw = 0;
        self.state = state;
    }

    /// `byte` followed an ESC and is no escape: the error, and a restart. An END still closes the
    /// frame; otherwise the rest of it is dropped.
    const fn bad_escape(&mut self, byte: u8) -> FrameError {
        let offset = self.raw;
        self.restart(if byte == END {
            State::Frame
        } else {
            State::Discard
        });
        FrameError::BadEscape { offset }
    }
}

impl<B: AsMut<[u8]>> SlipDecoder<B> {
    /// A decoder that assembles frames in `buf`; frames longer than `buf` are reported as
    /// [`FrameError::TooLong`]. The buffer's contents do not matter.
    ///
    /// ```
    /// use osc_core::slip::SlipDecoder;
    ///
    /// // `new` is `const`, so a decoder can also live in a `static` or `const`.
    /// const _: SlipDecoder<[u8; 4]> = SlipDecoder::new([0; 4]);
    ///
    /// let mut decoder = SlipDecoder::new([0u8; 4]);
    /// assert_eq!(decoder.feed(&[0xC0, 0x61, 0xC0]), (3, Some(Ok(&[0x61][..]))));
    /// ```
    #[must_use]
    pub const fn new(buf: B) -> Self {
        Self {
            buf,
            at: Cursor::START,
        }
    }

    /// Consumes bytes from `input` up to and including the end of at most one frame.
    ///
    /// Returns how many bytes were consumed and
    /// * `Some(Ok(payload))` when a non-empty frame completed: the decoded payload, borrowed
    ///   from the buffer until the next call;
    /// * `Some(Err(e))` when a frame was dropped ([`FrameError::TooLong`] or
    ///   [`FrameError::BadEscape`]); the decoder has already resynchronised;
    /// * `None` when all of `input` was consumed without completing a frame.
    ///
    /// The count is at least 1 whenever `input` is non-empty, so
    /// `while !input.is_empty()` loops end. Empty frames are skipped silently.
    ///
    /// ```
    /// use osc_core::{slip::SlipDecoder, FrameError};
    ///
    /// let mut decoder = SlipDecoder::new([0u8; 2]);
    /// // A frame split across two reads.
    /// assert_eq!(decoder.feed(&[0xC0, 0x01]), (2, None));
    /// assert_eq!(decoder.feed(&[0x02, 0xC0, 0xC0]), (2, Some(Ok(&[0x01, 0x02][..]))));
    /// // Three payload bytes do not fit a two-byte buffer. The error comes once, the rest of
    /// // that frame is discarded, and the frame after it comes through.
    /// let input = [0xC0, 0x01, 0x02, 0x03, 0x04, 0xC0, 0x05, 0xC0];
    /// assert_eq!(
    ///     decoder.feed(&input),
    ///     (5, Some(Err(FrameError::TooLong { len: None, max: 2 })))
    /// );
    /// assert_eq!(decoder.feed(&input[5..]), (3, Some(Ok(&[0x05][..]))));
    /// ```
    pub fn feed<'d>(&'d mut self, input: &[u8]) -> (usize, Option<Result<&'d [u8], FrameError>>) {
        if cfg!(feature = "small") {
            return self.feed_bytes(input);
        }
        let buf: &'d mut [u8] = self.buf.as_mut();
        let at = &mut self.at;
        let mut rest = input;
        loop {
            match at.state {
                State::Discard => {
                    let Some(pos) = find2(rest, END, END) else {
                        return (input.len(), None);
                    };
                    rest = rest.get(pos.saturating_add(1)..).unwrap_or_default();
                    at.restart(State::Frame);
                }
                State::Escape => {
                    let Some((&byte, after)) = rest.split_first() else {
                        return (input.len(), None);
                    };
                    rest = after;
                    let consumed = input.len().saturating_sub(rest.len());
                    let decoded = match byte {
                        ESC_END => END,
                        ESC_ESC => ESC,
                        _ => return (consumed, Some(Err(at.bad_escape(byte)))),
                    };
                    let Some(slot) = buf.get_mut(at.len) else {
                        at.restart(State::Discard);
                        return (consumed, Some(Err(too_long(buf.len()))));
                    };
                    *slot = decoded;
                    at.len = at.len.saturating_add(1);
                    at.raw = at.raw.saturating_add(2);
                    at.state = State::Frame;
                }
                State::Frame => {
                    let (run, tail) = match find_special(rest) {
                        Some(pos) => rest.split_at_checked(pos).unwrap_or((rest, &[])),
                        None => (rest, &[][..]),
                    };
                    let Some(copy_to) = buf
                        .get_mut(at.len..)
                        .and_then(|free| free.get_mut(..run.len()))
                    else {
                        // `run` holds no END, so all of it belongs to the dropped frame.
                        at.restart(State::Discard);
                        return (
                            input.len().saturating_sub(tail.len()),
                            Some(Err(too_long(buf.len()))),
                        );
                    };
                    copy_to.copy_from_slice(run);
                    at.len = at.len.saturating_add(run.len());
                    at.raw = at.raw.saturating_add(run.len());
                    let Some((&special, after)) = tail.split_first() else {
                        return (input.len(), None);
                    };
                    rest = after;
                    if special == ESC {
                        at.state = State::Escape;
                    } else if at.len != 0 {
                        let len = at.len;
                        at.restart(State::Frame);
                        let buf: &'d [u8] = buf;
                        let payload = buf.get(..len).unwrap_or_default();
                        return (input.len().saturating_sub(rest.len()), Some(Ok(payload)));
                    }
                    // else: an END with nothing before it is an empty frame; skip it.
                }
            }
        }
    }

    /// [`feed`](Self::feed) a byte at a time, for the `small` feature: the same results in less code
    /// than the run-at-a-time loop.
    fn feed_bytes<'d>(&'d mut self, input: &[u8]) -> (usize, Option<Result<&'d [u8], FrameError>>) {
        let buf: &'d mut [u8] = self.buf.as_mut();
        let at = &mut self.at;
        for (i, &byte) in input.iter().enumerate() {
            let consumed = i.wrapping_add(1);
            let (decoded, raw) = match (at.state, byte) {
                (State::Discard, END) => {
                    at.restart(State::Frame);
                    continue;
                }
                (State::Discard, _) => continue,
                (State::Frame, ESC) => {
                    at.state = State::Escape;
                    continue;
                }
                (State::Frame, END) if at.len == 0 => continue,
                (State::Frame, END) => {
                    let len = at.len;
                    at.restart(State::Frame);
                    let buf: &'d [u8] = buf;
                    return (consumed, Some(Ok(buf.get(..len).unwrap_or_default())));
                }
                (State::Frame, _) => (byte, 1),
                (State::Escape, ESC_END) => (END, 2),
                (State::Escape, ESC_ESC) => (ESC, 2),
                (State::Escape, _) => return (consumed, Some(Err(at.bad_escape(byte)))),
            };
            let Some(slot) = buf.get_mut(at.len) else {
                // As in `feed`: the rest of a run of plain bytes goes with the dropped frame.
                let run = match at.state {
                    State::Frame => input.get(consumed..).unwrap_or_default(),
                    _ => &[],
                };
                let skip = run.iter().take_while(|&&b| b != END && b != ESC).count();
                at.restart(State::Discard);
                return (consumed.wrapping_add(skip), Some(Err(too_long(buf.len()))));
            };
            *slot = decoded;
            at.len = at.len.wrapping_add(1);
            at.raw = at.raw.wrapping_add(raw);
            at.state = State::Frame;
        }
        (input.len(), None)
    }

    /// Drops any partial frame and leaves discard mode: the next byte starts a new frame.
    ///
    /// ```
    /// use osc_core::slip::SlipDecoder;
    ///
    /// let mut decoder = SlipDecoder::new([0u8; 8]);
    /// assert_eq!(decoder.feed(&[0xC0, 0x01, 0x02]), (3, None));
    /// decoder.reset();
    /// assert_eq!(decoder.buffered(), 0);
    /// assert_eq!(decoder.feed(&[0x03, 0xC0]), (2, Some(Ok(&[0x03][..]))));
    /// ```
    pub const fn reset(&mut self) {
        self.at = Cursor::START;
    }

    /// Bytes of the unfinished frame consumed so far, counted as they were on the wire (an
    /// escape pair counts two). Zero between frames and while discarding a dropped frame, so a
    /// non-zero value at the end of a stream means the stream stopped inside a frame.
    ///
    /// ```
    /// use osc_core::slip::SlipDecoder;
    ///
    /// let mut decoder = SlipDecoder::new([0u8; 8]);
    /// assert_eq!(decoder.feed(&[0xC0, 0x01, 0xDB, 0xDC, 0xDB]), (5, None));
    /// assert_eq!(decoder.buffered(), 4);
    /// ```
    #[must_use]
    pub const fn buffered(&self) -> usize {
        match self.at.state {
            State::Frame => self.at.raw,
            State::Escape => self.at.raw.saturating_add(1),
            State::Discard => 0,
        }
    }

    /// Returns the buffer, ending the decoder.
    ///
    /// ```
    /// use osc_core::slip::SlipDecoder;
    ///
    /// let mut decoder = SlipDecoder::new([0u8; 2]);
    /// assert_eq!(decoder.feed(&[0x07, 0xC0]), (2, Some(Ok(&[0x07][..]))));
    /// assert_eq!(decoder.into_inner(), [0x07, 0x00]);
    /// ```
    #[must_use]
    pub fn into_inner(self) -> B {
        self.buf
    }
}

const fn too_long(max: usize) -> FrameError {
    FrameError::TooLong { len: None, max }
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

    /// Reference encoder, byte at a time.
    fn naive_encode(packet: &[u8]) -> Vec<u8> {
        let mut out = Vec::from([END]);
        for &b in packet {
            match b {
                END => out.extend_from_slice(&[ESC, ESC_END]),
                ESC => out.extend_from_slice(&[ESC, ESC_ESC]),
                _ => out.push(b),
            }
        }
        out.push(END);
        out
    }

    fn encode_vec(packet: &[u8]) -> Vec<u8> {
        let mut out = std::vec![0u8; encoded_len(packet)];
        let n = encode(packet, &mut out).expect("sized by encoded_len");
        assert_eq!(n, out.len());
        out
    }

    /// Feeds `input` in chunks of the given sizes (cycled), collecting every outcome and
    /// checking the `feed` contract on the way.
    fn feed_all<B: AsMut<[u8]>>(
        decoder: &mut SlipDecoder<B>,
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

    fn ok(frames: &[&[u8]]) -> Vec<Outcome> {
        frames.iter().map(|f| Ok(f.to_vec())).collect()
    }

    const TOO_LONG_4: FrameError = FrameError::TooLong { len: None, max: 4 };

    #[test]
    fn known_vectors() {
        let cases: &[(&[u8], &[u8])] = &[
            (&[], &[0xC0, 0xC0]),
            (&[0x01], &[0xC0, 0x01, 0xC0]),
            (&[0xC0], &[0xC0, 0xDB, 0xDC, 0xC0]),
            (&[0xDB], &[0xC0, 0xDB, 0xDD, 0xC0]),
            (&[0xDC, 0xDD], &[0xC0, 0xDC, 0xDD, 0xC0]),
            (
                b"/a\xc0\xdb\xc0\xc0xyz\xdb",
                b"\xc0/a\xdb\xdc\xdb\xdd\xdb\xdc\xdb\xdcxyz\xdb\xdd\xc0",
            ),
            (
                b"/osc/address\0\0\0\0,i\0\0\x00\x00\x00\xc0",
                b"\xc0/osc/address\0\0\0\0,i\0\0\x00\x00\x00\xdb\xdc\xc0",
            ),
        ];
        for &(packet, wire) in cases {
            assert_eq!(encoded_len(packet), wire.len());
            assert_eq!(encode_vec(packet), wire);
            assert_eq!(naive_encode(packet), wire);

            let mut frame = wire.to_vec();
            let n = decode_in_place(&mut frame).unwrap();
            assert_eq!(&frame[..n], packet);

            let mut decoder = SlipDecoder::new([0u8; 64]);
            let expected = if packet.is_empty() {
                Vec::new()
            } else {
                ok(&[packet])
            };
            assert_eq!(feed_all(&mut decoder, wire, &[wire.len()], 64), expected);
            assert_eq!(feed_all(&mut decoder, wire, &[1], 64), expected);
            assert_eq!(decoder.buffered(), 0);
        }
    }

    #[test]
    fn exact_fit_and_too_small_output() {
        let packet = [0x01, 0xC0, 0x02, 0xDB];
        let needed = encoded_len(&packet);
        assert_eq!(needed, 8);
        let mut exact = [0u8; 8];
        assert_eq!(encode(&packet, &mut exact), Ok(8));
        assert_eq!(exact, [0xC0, 0x01, 0xDB, 0xDC, 0x02, 0xDB, 0xDD, 0xC0]);
        for size in 0..needed {
            let mut out = std::vec![0u8; size];
            assert_eq!(
                encode(&packet, &mut out),
                Err(FrameError::BufferTooSmall { needed })
            );
        }
        let mut roomy = [0xEEu8; 12];
        assert_eq!(encode(&packet, &mut roomy), Ok(8));
        assert_eq!(&roomy[8..], &[0xEE; 4]);
    }

    #[test]
    fn too_small_output_is_left_alone() {
        let packet = [0x01, 0xDB, 0x02, 0xC0];
        for size in 0..encoded_len(&packet) {
            let mut out = std::vec![0xEEu8; size];
            assert!(encode(&packet, &mut out).is_err());
            assert!(out.iter().all(|&b| b == 0xEE), "nothing written");
        }
    }

    #[test]
    fn empty_frames_are_skipped() {
        let mut decoder = SlipDecoder::new([0u8; 8]);
        let input = [END, END, END, 0x01, END, END, END, END, 0x02, END, END];
        assert_eq!(feed_all(&mut decoder, &input, &[100], 8), ok(&[&[1], &[2]]));
        assert_eq!(feed_all(&mut decoder, &[END; 10], &[3], 8), Vec::new());
        assert_eq!(decoder.buffered(), 0);
    }

    #[test]
    fn single_and_double_end() {
        let single = [0x01, 0x02, END, 0x03, END, ESC, ESC_END, END];
        let double = [END, 0x01, 0x02, END, END, 0x03, END, END, ESC, ESC_END, END];
        let expected = ok(&[&[1, 2], &[3], &[END]]);
        for input in [&single[..], &double[..]] {
            for chunk in [1, 2, 3, 100] {
                let mut decoder = SlipDecoder::new([0u8; 8]);
                assert_eq!(feed_all(&mut decoder, input, &[chunk], 8), expected);
            }
        }
    }

    #[test]
    fn several_frames_in_one_feed_one_at_a_time() {
        let mut decoder = SlipDecoder::new([0u8; 8]);
        let input = [END, 0x0A, END, END, 0x0B, 0x0C, END, END, 0x0D, END];
        assert_eq!(decoder.feed(&input), (3, Some(Ok(&[0x0A][..]))));
        assert_eq!(decoder.feed(&input[3..]), (4, Some(Ok(&[0x0B, 0x0C][..]))));
        assert_eq!(decoder.feed(&input[7..]), (3, Some(Ok(&[0x0D][..]))));
    }

    #[test]
    fn escape_split_across_feeds() {
        let mut decoder = SlipDecoder::new([0u8; 8]);
        assert_eq!(decoder.feed(&[END, 0x01, ESC]), (3, None));
        assert_eq!(decoder.buffered(), 2);
        assert_eq!(decoder.feed(&[ESC_ESC]), (1, None));
        assert_eq!(decoder.buffered(), 3);
        assert_eq!(decoder.feed(&[END]), (1, Some(Ok(&[0x01, ESC][..]))));
    }

    #[test]
    fn exact_fit_frame_and_one_over() {
        let mut decoder = SlipDecoder::new([0u8; 4]);
        let input = [END, 1, 2, 3, ESC, ESC_END, END, END, 1, 2, 3, 4, 5, END];
        assert_eq!(
            feed_all(&mut decoder, &input, &[100], 4),
            [Ok(std::vec![1, 2, 3, END]), Err(TOO_LONG_4)]
        );
        // Overflow on an escaped byte.
        let input = [END, 1, 2, 3, 4, ESC, ESC_ESC, 9, END, 7, END];
        for chunk in [1, 100] {
            assert_eq!(
                feed_all(&mut decoder, &input, &[chunk], 4),
                [Err(TOO_LONG_4), Ok(std::vec![7])]
            );
        }
    }

    #[test]
    fn too_long_then_good_frame() {
        let mut input = std::vec![END];
        input.extend(core::iter::repeat_n(0x55, 100));
        input.extend_from_slice(&[ESC, ESC_END, END, END, 0x42, ESC, ESC_ESC, END]);
        for chunk in [1, 3, 7, 1000] {
            let mut decoder = SlipDecoder::new([0u8; 4]);
            assert_eq!(
                feed_all(&mut decoder, &input, &[chunk], 4),
                [Err(TOO_LONG_4), Ok(std::vec![0x42, ESC])]
            );
        }
        // Single-END style: the good frame directly follows the END of the long one.
        let mut decoder = SlipDecoder::new([0u8; 4]);
        let input = [1, 2, 3, 4, 5, 6, END, 7, END];
        assert_eq!(
            feed_all(&mut decoder, &input, &[100], 4),
            [Err(TOO_LONG_4), Ok(std::vec![7])]
        );
    }

    #[test]
    fn zero_capacity_buffer() {
        let mut decoder = SlipDecoder::new([0u8; 0]);
        let input = [END, END, 1, END, ESC, ESC_END, END];
        let too_long = FrameError::TooLong { len: None, max: 0 };
        assert_eq!(
            feed_all(&mut decoder, &input, &[1], 0),
            [Err(too_long), Err(too_long)]
        );
    }

    #[test]
    fn bad_escape_then_good_frame() {
        let mut decoder = SlipDecoder::new([0u8; 8]);
        let input = [END, 1, 2, ESC, 0x00, 3, ESC, END, 4, END, 5, END];
        for chunk in [1, 2, 100] {
            assert_eq!(
                feed_all(&mut decoder, &input, &[chunk], 8),
                [
                    Err(FrameError::BadEscape { offset: 2 }),
                    Ok(std::vec![4]),
                    Ok(std::vec![5])
                ]
            );
        }
        // ESC END: the END closes the bad frame, the very next frame survives.
        let input = [END, 1, ESC, ESC_END, ESC, END, 6, END];
        assert_eq!(
            feed_all(&mut decoder, &input, &[100], 8),
            [Err(FrameError::BadEscape { offset: 3 }), Ok(std::vec![6])]
        );
        let mut decoder = SlipDecoder::new([0u8; 8]);
        assert_eq!(
            decoder.feed(&[ESC, ESC]),
            (2, Some(Err(FrameError::BadEscape { offset: 0 })))
        );
        assert_eq!(decoder.buffered(), 0);
        assert_eq!(decoder.feed(&[7, END]), (2, None));
        assert_eq!(decoder.feed(&[8, END]), (2, Some(Ok(&[8][..]))));
    }

    #[test]
    fn reset_leaves_discard_mode() {
        let mut decoder = SlipDecoder::new([0u8; 2]);
        assert_eq!(
            decoder.feed(&[1, 2, 3]),
            (3, Some(Err(FrameError::TooLong { len: None, max: 2 })))
        );
        assert_eq!(decoder.feed(&[4]), (1, None));
        decoder.reset();
        assert_eq!(decoder.feed(&[5, END]), (2, Some(Ok(&[5][..]))));
    }

    #[test]
    fn decode_in_place_edges() {
        type Case = (&'static [u8], Result<&'static [u8], FrameError>);
        let cases: &[Case] = &[
            (&[], Ok(&[])),
            (&[END], Ok(&[])),
            (&[END, END, END], Ok(&[])),
            (&[1, 2], Ok(&[1, 2])),
            (&[END, END, 1, ESC, ESC_END, END, END], Ok(&[1, END])),
            (&[ESC, ESC_ESC], Ok(&[ESC])),
            (&[END, 1, ESC], Err(FrameError::BadEscape { offset: 1 })),
            (
                &[END, 1, ESC, END],
                Err(FrameError::BadEscape { offset: 1 }),
            ),
            (&[1, ESC, 2, 3], Err(FrameError::BadEscape { offset: 1 })),
            (
                &[END, 1, ESC, ESC_END, END, 2, END],
                Err(FrameError::EndInFrame { offset: 3 }),
            ),
        ];
        for &(input, expected) in cases {
            let mut frame = input.to_vec();
            let got = decode_in_place(&mut frame).map(|n| frame[..n].to_vec());
            assert_eq!(got, expected.map(<[u8]>::to_vec), "input {input:02X?}");
        }
    }

    #[test]
    fn find_special_every_position() {
        for len in 0..80 {
            for hit in 0..=len {
                for special in [END, ESC] {
                    let mut bytes = std::vec![0xC1u8; len];
                    // Neighbouring values that a sloppy bit trick could confuse.
                    for (i, b) in bytes.iter_mut().enumerate() {
                        *b = [0xC1, 0xBF, 0xDA, 0xDC, 0x40, 0x5B, 0x00, 0xFF][i % 8];
                    }
                    if hit < len {
                        bytes[hit] = special;
                        if hit + 1 < len {
                            bytes[hit + 1] = END;
                        }
                    }
                    let expected = (hit < len).then_some(hit);
                    assert_eq!(find_special(&bytes), expected, "len {len} hit {hit}");
                }
            }
        }
    }

    fn payloads() -> impl Strategy<Value = Vec<Vec<u8>>> {
        // Bias towards the special bytes so escapes are common.
        let byte = prop_oneof![
            3 => any::<u8>(),
            1 => Just(END),
            1 => Just(ESC),
            1 => Just(ESC_END),
            1 => Just(ESC_ESC),
        ];
        prop::collection::vec(prop::collection::vec(byte, 0..80), 0..12)
    }

    fn chunkings() -> impl Strategy<Value = Vec<usize>> {
        prop_oneof![
            1 => Just(std::vec![1]),
            3 => prop::collection::vec(1usize..40, 1..10),
        ]
    }

    proptest! {
        #[test]
        fn roundtrip_double_end(packets in payloads(), chunks in chunkings()) {
            let stream: Vec<u8> = packets.iter().flat_map(|p| encode_vec(p)).collect();
            let expected: Vec<_> = packets
                .iter()
                .filter(|p| !p.is_empty())
                .map(|p| Ok(p.clone()))
                .collect();
            let mut decoder = SlipDecoder::new([0u8; 80]);
            prop_assert_eq!(feed_all(&mut decoder, &stream, &chunks, 80), expected);
            prop_assert_eq!(decoder.buffered(), 0);
        }

        #[test]
        fn roundtrip_single_end(packets in payloads(), chunks in chunkings()) {
            let mut stream = Vec::new();
            for p in &packets {
                let wire = encode_vec(p);
                stream.extend_from_slice(&wire[1..]);
            }
            let expected: Vec<_> = packets
                .iter()
                .filter(|p| !p.is_empty())
                .map(|p| Ok(p.clone()))
                .collect();
            let mut decoder = SlipDecoder::new(std::vec![0u8; 80]);
            prop_assert_eq!(feed_all(&mut decoder, &stream, &chunks, 80), expected);
        }

        #[test]
        fn oversized_frames_do_not_hide_others(
            packets in payloads(),
            chunks in chunkings(),
            max in 0usize..40,
        ) {
            let stream: Vec<u8> = packets.iter().flat_map(|p| encode_vec(p)).collect();
            let expected: Vec<_> = packets
                .iter()
                .filter(|p| !p.is_empty())
                .map(|p| {
                    if p.len() <= max {
                        Ok(p.clone())
                    } else {
                        Err(FrameError::TooLong { len: None, max })
                    }
                })
                .collect();
            let mut buf = [0u8; 40];
            let mut decoder = SlipDecoder::new(&mut buf[..max]);
            prop_assert_eq!(feed_all(&mut decoder, &stream, &chunks, max), expected);
        }

        #[test]
        fn encode_matches_reference(
            packet in prop::collection::vec(
                prop_oneof![4 => any::<u8>(), 1 => Just(END), 1 => Just(ESC)],
                0..300,
            ),
            size in 0usize..700,
        ) {
            let wire = encode_vec(&packet);
            prop_assert_eq!(&wire, &naive_encode(&packet));
            // Any output size: the whole frame, or an error with the exact size and no write.
            let mut out = std::vec![0xEEu8; size];
            match encode(&packet, &mut out) {
                Ok(n) => prop_assert_eq!(&out[..n], &wire[..]),
                Err(e) => {
                    prop_assert_eq!(e, FrameError::BufferTooSmall { needed: wire.len() });
                    prop_assert!(size < wire.len());
                    prop_assert!(out.iter().all(|&b| b == 0xEE));
                }
            }
            let mut frame = wire.clone();
            let n = decode_in_place(&mut frame).unwrap();
            prop_assert_eq!(&frame[..n], &packet[..]);
        }

        #[test]
        fn find_special_matches_position(bytes in prop::collection::vec(
            prop_oneof![4 => any::<u8>(), 1 => Just(END), 1 => Just(ESC)], 0..100)
        ) {
            let expected = bytes.iter().position(|&b| b == END || b == ESC);
            prop_assert_eq!(find_special(&bytes), expected);
        }

        /// The byte-at-a-time decoder of the `small` feature gives the same results, consumed
        /// counts and `buffered` figures as the run-at-a-time one, in every build.
        #[test]
        fn byte_and_run_decoders_agree(
            bytes in prop::collection::vec(
                prop_oneof![4 => any::<u8>(), 2 => Just(END), 2 => Just(ESC), 1 => Just(ESC_END), 1 => Just(ESC_ESC)],
                0..400,
            ),
            chunks in chunkings(),
            max in 0usize..48,
        ) {
            let (mut a, mut b) = ([0u8; 48], [0u8; 48]);
            let mut runs = SlipDecoder::new(&mut a[..max]);
            let mut single = SlipDecoder::new(&mut b[..max]);
            let mut sizes = chunks.iter().copied().cycle();
            let mut input = &bytes[..];
            while !input.is_empty() {
                let size = sizes.next().unwrap_or(1).clamp(1, input.len());
                let (mut chunk, later) = input.split_at(size);
                input = later;
                while !chunk.is_empty() {
                    let (used, frame) = runs.feed(chunk);
                    let frame = frame.map(|f| f.map(<[u8]>::to_vec));
                    let (used_b, frame_b) = single.feed_bytes(chunk);
                    prop_assert_eq!((used, frame), (used_b, frame_b.map(|f| f.map(<[u8]>::to_vec))));
                    prop_assert_eq!(runs.buffered(), single.buffered());
                    chunk = &chunk[used..];
                }
            }
        }

        #[test]
        fn random_bytes_never_panic(
            bytes in prop::collection::vec(
                prop_oneof![4 => any::<u8>(), 1 => Just(END), 1 => Just(ESC)],
                0..600,
            ),
            chunks in chunkings(),
            max in 0usize..64,
        ) {
            let mut buf = [0u8; 64];
            let mut decoder = SlipDecoder::new(&mut buf[..max]);
            // feed_all asserts the contract: progress, full consumption on None, sizes.
            feed_all(&mut decoder, &bytes, &chunks, max);

            // The in-place decoder agrees with the streaming one on a single frame.
            let mut frame = bytes.clone();
            let single = decode_in_place(&mut frame).map(|n| frame[..n].to_vec());
            let mut closed = bytes.clone();
            closed.push(END);
            let mut buf = [0u8; 600];
            let mut decoder = SlipDecoder::new(&mut buf[..]);
            let streamed = feed_all(&mut decoder, &closed, &chunks, 600);
            match single {
                Ok(payload) if payload.is_empty() => prop_assert!(streamed.is_empty()),
                Ok(payload) => prop_assert_eq!(streamed, std::vec![Ok(payload)]),
                Err(FrameError::BadEscape { offset }) => {
                    prop_assert_eq!(streamed.first(), Some(&Err(FrameError::BadEscape { offset })));
                }
                Err(_) => {}
            }
        }
    }
}
