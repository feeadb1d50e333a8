//! Stream framing choices for TCP: [`Framing`] for a connection, [`FramingMode`] for a server
//! endpoint (which may detect the framing per connection).
//!
//! The encoders and the incremental decoders are osc-core's [`slip`](osc_core::slip) and
//! [`len_prefix`](osc_core::len_prefix); this module only chooses between them.

use std::fmt;
use std::str::FromStr;

use osc_core::len_prefix::{self, LenPrefixDecoder};
use osc_core::slip::{self, SlipDecoder};
use osc_core::{FrameError, Packet, ReplyIter};

use crate::error::Error;
use crate::sock::encode_packet;
use crate::tcp::{DEFAULT_MAX_FRAME, MAX_FRAME_LIMIT};

/// How OSC packets are delimited on a byte stream.
///
/// - [`Slip`](Framing::Slip): OSC 1.1, each packet SLIP-encoded between END bytes (`0xC0`). The
///   default, as in python-osc and liblo.
/// - [`LengthPrefix`](Framing::LengthPrefix): OSC 1.0, each packet preceded by its size as a
///   big-endian int32.
///
/// ```
/// use osc_std::Framing;
///
/// assert_eq!(Framing::default(), Framing::Slip);
/// assert_eq!("length".parse::<Framing>(), Ok(Framing::LengthPrefix));
/// assert_eq!("SLIP".parse::<Framing>(), Ok(Framing::Slip));
/// assert_eq!(Framing::LengthPrefix.to_string(), "length");
/// assert!("cobs".parse::<Framing>().is_err());
/// ```
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash)]
pub enum Framing {
    /// SLIP (RFC 1055) double-END framing, as OSC 1.1 specifies.
    #[default]
    Slip,
    /// A big-endian int32 size before each packet, as OSC 1.0 specifies.
    LengthPrefix,
}

impl Framing {
    /// The name [`FromStr`] accepts and [`Display`](fmt::Display) prints: `"slip"` or `"length"`.
    ///
    /// ```
    /// assert_eq!(osc_std::Framing::Slip.name(), "slip");
    /// ```
    pub const fn name(self) -> &'static str {
        match self {
            Self::Slip => "slip",
            Self::LengthPrefix => "length",
        }
    }

    /// Exact size of `packet` once framed.
    ///
    /// ```
    /// use osc_std::Framing;
    ///
    /// assert_eq!(Framing::LengthPrefix.encoded_len(&[1, 2, 3, 4]), 8);
    /// assert_eq!(Framing::Slip.encoded_len(&[1, 2, 3, 0xC0]), 7);
    /// ```
    pub fn encoded_len(self, packet: &[u8]) -> usize {
        match self {
            Self::Slip => slip::encoded_len(packet),
            Self::LengthPrefix => len_prefix::encoded_len(packet),
        }
    }

    /// Frames `packet` into `out` (grown as needed, never shrunk: for SLIP to the worst case of
    /// `2 * packet.len() + 2`) and returns the framed bytes.
    ///
    /// ```
    /// use osc_std::Framing;
    ///
    /// let mut out = Vec::new();
    /// assert_eq!(Framing::LengthPrefix.encode(&[0x2F, 0, 0, 0], &mut out)?, &[0, 0, 0, 4, 0x2F, 0, 0, 0]);
    /// assert_eq!(Framing::Slip.encode(&[0x2F, 0xC0], &mut out)?, &[0xC0, 0x2F, 0xDB, 0xDC, 0xC0]);
    /// # Ok::<(), osc_core::FrameError>(())
    /// ```
    pub fn encode<'o>(self, packet: &[u8], out: &'o mut Vec<u8>) -> Result<&'o [u8], FrameError> {
        // SLIP: room for the worst case (every byte escaped), so that one pass encodes and a
        // reused `out` does not grow again for a packet of the same size.
        let n = match self {
            Self::Slip => packet.len().saturating_mul(2).saturating_add(2),
            Self::LengthPrefix => len_prefix::encoded_len(packet),
        };
        if out.len() < n {
            out.resize(n, 0);
        }
        let written = match self {
            Self::Slip => slip::encode(packet, out)?,
            Self::LengthPrefix => len_prefix::encode(packet, out)?,
        };
        Ok(out.get(..written).unwrap_or_default())
    }
}

impl fmt::Display for Framing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The text given to [`Framing::from_str`] or [`FramingMode::from_str`] names no framing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseFramingError {
    auto_allowed: bool,
}

impl fmt::Display for ParseFramingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.auto_allowed {
            f.write_str("unknown framing: expected \"slip\", \"length\" or \"auto\"")
        } else {
            f.write_str("unknown framing: expected \"slip\" or \"length\"")
        }
    }
}

impl std::error::Error for ParseFramingError {}

impl FromStr for Framing {
    type Err = ParseFramingError;

    /// Accepts `slip` (also `1.1`) and `length` (also `len`, `length-prefix`, `1.0`), in any case.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if s.eq_ignore_ascii_case("slip") || s == "1.1" {
            Ok(Self::Slip)
        } else if ["length", "len", "length-prefix", "1.0"]
            .iter()
            .any(|n| s.eq_ignore_ascii_case(n))
        {
            Ok(Self::LengthPrefix)
        } else {
            Err(ParseFramingError {
                auto_allowed: false,
            })
        }
    }
}

/// The framing a server endpoint accepts: one fixed [`Framing`], or [`Auto`](FramingMode::Auto)
/// detection per connection.
///
/// With `Auto` the first byte a client sends decides, and replies use the same framing:
///
/// - `0xC0` (a SLIP END, how double-END SLIP senders start every packet) → SLIP;
/// - `/` or `#` (the first byte of a message or a bundle: a SLIP sender of the single-END form)
///   → SLIP. As a length prefix this byte would announce a frame of at least 587 MB, which no
///   server accepts;
/// - anything else → length prefix.
///
/// ```
/// use osc_std::{Framing, FramingMode};
///
/// assert_eq!(FramingMode::default(), FramingMode::Auto);
/// assert_eq!("auto".parse::<FramingMode>(), Ok(FramingMode::Auto));
/// assert_eq!(FramingMode::from(Framing::LengthPrefix), FramingMode::LengthPrefix);
/// assert_eq!(FramingMode::Auto.detect(0xC0), Framing::Slip);
/// assert_eq!(FramingMode::Auto.detect(0x00), Framing::LengthPrefix);
/// assert_eq!(FramingMode::Slip.detect(0x00), Framing::Slip);
/// ```
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash)]
pub enum FramingMode {
    /// Every connection uses SLIP.
    Slip,
    /// Every connection uses a length prefix.
    LengthPrefix,
    /// Each connection's first byte decides (see the type docs). The default: no OSC packet can be
    /// taken for the other framing, and a client in either framing is served.
    #[default]
    Auto,
}

impl FramingMode {
    /// The framing of a connection whose first byte is `first`.
    pub const fn detect(self, first: u8) -> Framing {
        match self {
            Self::Slip => Framing::Slip,
            Self::LengthPrefix => Framing::LengthPrefix,
            Self::Auto => match first {
                slip::END | b'/' | b'#' => Framing::Slip,
                _ => Framing::LengthPrefix,
            },
        }
    }

    /// The fixed framing, or `None` for [`Auto`](FramingMode::Auto).
    ///
    /// ```
    /// use osc_std::{Framing, FramingMode};
    /// assert_eq!(FramingMode::Slip.fixed(), Some(Framing::Slip));
    /// assert_eq!(FramingMode::Auto.fixed(), None);
    /// ```
    pub const fn fixed(self) -> Option<Framing> {
        match self {
            Self::Slip => Some(Framing::Slip),
            Self::LengthPrefix => Some(Framing::LengthPrefix),
            Self::Auto => None,
        }
    }
}

impl From<Framing> for FramingMode {
    fn from(f: Framing) -> Self {
        match f {
            Framing::Slip => Self::Slip,
            Framing::LengthPrefix => Self::LengthPrefix,
        }
    }
}

impl fmt::Display for FramingMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.fixed() {
            Some(framing) => f.write_str(framing.name()),
            None => f.write_str("auto"),
        }
    }
}

impl FromStr for FramingMode {
    type Err = ParseFramingError;

    /// Accepts what [`Framing::from_str`] accepts, and `auto`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.trim().eq_ignore_ascii_case("auto") {
            return Ok(Self::Auto);
        }
        s.parse::<Framing>()
            .map(Self::from)
            .map_err(|_| ParseFramingError { auto_allowed: true })
    }
}

/// An incremental frame decoder of either kind, with a heap buffer of the maximum frame size.
#[derive(Debug)]
pub(crate) enum StreamDecoder {
    Slip(SlipDecoder<Box<[u8]>>),
    LengthPrefix(LenPrefixDecoder<Box<[u8]>>),
}

impl StreamDecoder {
    pub(crate) fn new(framing: Framing, max_frame: usize) -> Self {
        let buf = vec![0u8; max_frame].into_boxed_slice();
        match framing {
            Framing::Slip => Self::Slip(SlipDecoder::new(buf)),
            Framing::LengthPrefix => Self::LengthPrefix(LenPrefixDecoder::new(buf)),
        }
    }

    /// osc-core's `feed`: consumes input up to the end of at most one frame.
    pub(crate) fn feed<'d>(
        &'d mut self,
        input: &[u8],
    ) -> (usize, Option<Result<&'d [u8], FrameError>>) {
        match self {
            Self::Slip(d) => d.feed(input),
            Self::LengthPrefix(d) => d.feed(input),
        }
    }

    /// Bytes of an unfinished frame (non-zero at end of stream means the stream stopped mid-frame).
    pub(crate) fn buffered(&self) -> usize {
        match self {
            Self::Slip(d) => d.buffered(),
            Self::LengthPrefix(d) => d.buffered(),
        }
    }
}

/// The receiving side of a framed stream, without the stream itself: the framing and the frame size
/// limit, the bytes read and not yet decoded, the incremental decoder, and the last whole frame. The
/// blocking and the async connections read into [`space`](Self::space) and take frames with
/// [`next_frame`](Self::next_frame).
#[derive(Debug)]
pub(crate) struct FrameReader {
    framing: Framing,
    max_frame: usize,
    decoder: StreamDecoder,
    read_buf: Box<[u8]>,
    read_pos: usize,
    read_len: usize,
    frame: Vec<u8>,
}

impl FrameReader {
    /// A reader of `framing` frames up to [`DEFAULT_MAX_FRAME`] bytes, reading `chunk` bytes at a
    /// time.
    pub(crate) fn new(framing: Framing, chunk: usize) -> Self {
        Self {
            framing,
            max_frame: DEFAULT_MAX_FRAME,
            decoder: StreamDecoder::new(framing, DEFAULT_MAX_FRAME),
            read_buf: vec![0u8; chunk].into_boxed_slice(),
            read_pos: 0,
            read_len: 0,
            frame: Vec::new(),
        }
    }

    /// The framing, both ways.
    pub(crate) fn framing(&self) -> Framing {
        self.framing
    }

    /// The largest frame accepted.
    pub(crate) fn max_frame(&self) -> usize {
        self.max_frame
    }

    /// Accepts frames up to `max` bytes (clamped to 16..=[`MAX_FRAME_LIMIT`]) from now on, with a
    /// new decoder: a partly received frame is dropped.
    pub(crate) fn set_max_frame(&mut self, max: usize) {
        self.max_frame = max.clamp(16, MAX_FRAME_LIMIT);
        self.decoder = StreamDecoder::new(self.framing, self.max_frame);
    }

    /// Decodes the bytes already read up to the end of the next frame: `Some(Ok(()))` when one is
    /// whole (then in [`frame`](Self::frame)), `Some(Err(_))` for one that cannot be delivered (the
    /// next call goes on after it), `None` when the bytes are used up.
    pub(crate) fn next_frame(&mut self) -> Option<Result<(), FrameError>> {
        while let Some(input) = self.read_buf.get(self.read_pos..self.read_len) {
            if input.is_empty() {
                break;
            }
            let (used, frame) = self.decoder.feed(input);
            self.read_pos = self.read_pos.saturating_add(used);
            match frame {
                Some(Ok(frame)) => {
                    self.frame.clear();
                    self.frame.extend_from_slice(frame);
                    return Some(Ok(()));
                }
                Some(Err(e)) => return Some(Err(e)),
                None => {}
            }
        }
        None
    }

    /// The frame that [`next_frame`](Self::next_frame) last completed.
    pub(crate) fn frame(&self) -> &[u8] {
        &self.frame
    }

    /// Where the next read goes, once [`next_frame`](Self::next_frame) has returned `None`; then
    /// [`filled`](Self::filled) with the number of bytes read.
    pub(crate) fn space(&mut self) -> &mut [u8] {
        &mut self.read_buf
    }

    /// Records that a read put `n` bytes at the start of [`space`](Self::space).
    pub(crate) fn filled(&mut self, n: usize) {
        self.read_pos = 0;
        self.read_len = n.min(self.read_buf.len());
    }

    /// Whether a frame has been partly received.
    pub(crate) fn has_partial_frame(&self) -> bool {
        self.decoder.buffered() != 0 || self.read_pos < self.read_len
    }
}

/// Encodes `packet` into `packet_buf` and frames it into `out` (both grown as needed); returns the
/// framed bytes.
pub(crate) fn frame_packet<'o>(
    framing: Framing,
    packet: &Packet<'_>,
    packet_buf: &mut Vec<u8>,
    out: &'o mut Vec<u8>,
) -> Result<&'o [u8], Error> {
    let bytes = encode_packet(packet, packet_buf)?;
    Ok(framing.encode(bytes, out)?)
}

/// Frames `replies` into `out` (cleared first); returns how many. A reply too large for a length
/// prefix is left out.
pub(crate) fn frame_replies(replies: ReplyIter<'_>, framing: Framing, out: &mut Vec<u8>) -> u64 {
    out.clear();
    let mut count = 0;
    for reply in replies {
        if append_frame(framing, reply, out).is_ok() {
            count += 1;
        }
    }
    count
}

/// Appends `packet`, framed, to `out`.
pub(crate) fn append_frame(
    framing: Framing,
    packet: &[u8],
    out: &mut Vec<u8>,
) -> Result<(), FrameError> {
    match framing {
        Framing::LengthPrefix => {
            out.extend_from_slice(&len_prefix::write_header(packet.len())?);
            out.extend_from_slice(packet);
        }
        Framing::Slip => {
            let start = out.len();
            out.resize(start + slip::encoded_len(packet), 0);
            let n = slip::encode(packet, out.get_mut(start..).unwrap_or_default())?;
            out.truncate(start + n);
        }
    }
    Ok(())
}
