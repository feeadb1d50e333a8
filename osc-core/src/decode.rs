//! Decoding: one validating pass over the bytes, then infallible zero-copy views.

use crate::bundle::Bundle;
use crate::error::{DecodeError, DecodeErrorKind as K};
use crate::message::Message;
use crate::packet::Packet;
use crate::timetag::TimeTag;
use crate::types::Args;
use crate::wire::{self, find_nul, string_size};

/// The 8 bytes that start every bundle.
pub const BUNDLE_TAG: [u8; 8] = *b"#bundle\0";

/// Default nesting limit for bundles and for arrays.
pub const DEFAULT_MAX_DEPTH: usize = 16;

/// The largest nesting limit [`DecodeConfig::max_depth`] accepts; larger values are clamped.
pub const MAX_DEPTH_LIMIT: usize = 32;

/// How strictly to decode.
///
/// # Profiles
///
/// [`DecodeConfig::new`] (also `Default` and what [`decode`](crate::decode) uses) is **tolerant** where real
/// devices need it; [`DecodeConfig::strict`] follows the OSC 1.0 text to the letter. The differences:
///
/// | input | tolerant (default) | strict |
/// |---|---|---|
/// | no type-tag string after the address (Behringer X32, OSC 1.0 §"robust") | zero arguments | [`MissingTypeTags`](crate::DecodeErrorKind::MissingTypeTags) |
/// | bytes after the address that do not start with `,` | zero arguments, bytes ignored | [`BadTypeTagString`](crate::DecodeErrorKind::BadTypeTagString) |
/// | bytes after the last argument, e.g. Reaktor 5.8's `/FB ,f <float>` plus 2 stray bytes | ignored | [`TrailingBytes`](crate::DecodeErrorKind::TrailingBytes) |
/// | non-zero padding bytes after a string or blob | ignored | [`NonZeroPadding`](crate::DecodeErrorKind::NonZeroPadding) |
///
/// Both profiles reject everything else: unknown type tags (their size cannot be known, and the spec says
/// to discard such messages), strings without NUL or with missing padding, non-UTF-8 strings, negative blob
/// sizes, `c` values that are not Unicode scalar values, unbalanced `[` `]`, and bundle elements whose size
/// is negative, zero, not a multiple of 4 or beyond the end of the enclosing bundle. Each error names the
/// byte offset where it was found.
///
/// # Depth
///
/// Bundles inside bundles and arrays inside arrays are each limited to [`DEFAULT_MAX_DEPTH`] levels (a
/// top-level bundle is level 1, an array in a message is level 1), configurable up to [`MAX_DEPTH_LIMIT`].
/// Validation is iterative: its stack use does not depend on the input.
///
/// ```
/// use osc_core::{DecodeConfig, DecodeErrorKind};
///
/// // Reaktor 5.8: "/FB ,f <float>" followed by two stray bytes.
/// let reaktor = b"/FB\0,f\0\0\x3f\x80\0\0\x01\x02";
/// let msg = DecodeConfig::new().decode(reaktor).unwrap().into_message().unwrap();
/// assert_eq!(msg.get::<(f32,)>(), Ok((1.0,)));
///
/// let err = DecodeConfig::strict().decode(reaktor).unwrap_err();
/// assert_eq!((err.kind(), err.offset()), (DecodeErrorKind::TrailingBytes, 12));
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct DecodeConfig {
    missing_type_tags: bool,
    trailing_bytes: bool,
    nonzero_padding: bool,
    max_depth: usize,
}

impl Default for DecodeConfig {
    fn default() -> Self {
        Self::new()
    }
}

impl DecodeConfig {
    /// The tolerant default profile.
    pub const fn new() -> Self {
        Self {
            missing_type_tags: true,
            trailing_bytes: true,
            nonzero_padding: true,
            max_depth: DEFAULT_MAX_DEPTH,
        }
    }

    /// The strict profile: every tolerance off.
    pub const fn strict() -> Self {
        Self {
            missing_type_tags: false,
            trailing_bytes: false,
            nonzero_padding: false,
            max_depth: DEFAULT_MAX_DEPTH,
        }
    }

    /// Accept a message without type-tag string as a message with zero arguments.
    pub const fn allow_missing_type_tags(mut self, allow: bool) -> Self {
        self.missing_type_tags = allow;
        self
    }

    /// Accept bytes after a message's last argument.
    pub const fn allow_trailing_bytes(mut self, allow: bool) -> Self {
        self.trailing_bytes = allow;
        self
    }

    /// Accept non-zero padding bytes.
    pub const fn allow_nonzero_padding(mut self, allow: bool) -> Self {
        self.nonzero_padding = allow;
        self
    }

    /// The nesting limit for bundles and for arrays, clamped to [`MAX_DEPTH_LIMIT`].
    pub const fn max_depth(mut self, depth: usize) -> Self {
        self.max_depth = if depth > MAX_DEPTH_LIMIT {
            MAX_DEPTH_LIMIT
        } else {
            depth
        };
        self
    }

    /// Decodes and validates a packet.
    pub fn decode<'a>(&self, bytes: &'a [u8]) -> Result<Packet<'a>, DecodeError> {
        match bytes.first() {
            None => Err(DecodeError::new(K::Empty, 0)),
            Some(b'/') => self.message(bytes, 0).map(Packet::Message),
            Some(b'#') => self.bundle(bytes).map(Packet::Bundle),
            Some(_) => Err(DecodeError::new(K::NotOscPacket, 0)),
        }
    }

    fn padding(&self, pad: &[u8], offset: usize) -> Result<(), DecodeError> {
        if self.nonzero_padding {
            return Ok(());
        }
        match pad.iter().position(|&b| b != 0) {
            Some(i) => Err(DecodeError::new(K::NonZeroPadding, offset + i)),
            None => Ok(()),
        }
    }

    /// Validates an OSC-string at `pos`; returns its bytes (UTF-8 checked) and the position after it.
    #[inline]
    fn string<'a>(
        &self,
        bytes: &'a [u8],
        pos: usize,
        base: usize,
    ) -> Result<(&'a str, usize), DecodeError> {
        let rest = bytes.get(pos..).unwrap_or_default();
        let nul = find_nul(rest).ok_or(DecodeError::new(K::UnterminatedString, base + pos))?;
        let (s, tail) = rest.split_at(nul);
        let s = core::str::from_utf8(s)
            .map_err(|e| DecodeError::new(K::BadUtf8, base + pos + e.valid_up_to()))?;
        let size = string_size(nul);
        let pad = tail
            .get(1..size - nul)
            .ok_or(DecodeError::new(K::UnexpectedEnd, base + bytes.len()))?;
        self.padding(pad, base + pos + nul + 1)?;
        Ok((s, pos + size))
    }

    /// Validates one message occupying all of `bytes`, which start at offset `base` of the packet.
    fn message<'a>(&self, bytes: &'a [u8], base: usize) -> Result<Message<'a>, DecodeError> {
        let (address, mut pos) = self.string(bytes, 0, base)?;
        let Some((&first, _)) = bytes.get(pos..).and_then(<[u8]>::split_first) else {
            return if self.missing_type_tags {
                Ok(Message::with_args(address, Args::empty()))
            } else {
                Err(DecodeError::new(K::MissingTypeTags, base + pos))
            };
        };
        if first != b',' {
            return if self.missing_type_tags && self.trailing_bytes {
                Ok(Message::with_args(address, Args::empty()))
            } else {
                Err(DecodeError::new(K::BadTypeTagString, base + pos))
            };
        }
        let tags_at = pos + 1;
        let (tags, data_start) = self.string(bytes, pos, base)?;
        let tags = tags.as_bytes().get(1..).unwrap_or_default();
        pos = data_start;
        let mut depth = 0usize;
        for (i, &t) in tags.iter().enumerate() {
            let at = base + pos;
            let need = |n: usize| -> Result<usize, DecodeError> {
                if bytes.len() - pos < n {
                    Err(DecodeError::new(K::UnexpectedEnd, base + bytes.len()))
                } else {
                    Ok(pos + n)
                }
            };
            pos = match t {
                b'i' | b'f' | b'r' | b'm' => need(4)?,
                b'h' | b'd' | b't' => need(8)?,
                b'c' => {
                    let next = need(4)?;
                    let v = bytes.get(pos..next).and_then(|c| c.first_chunk::<4>());
                    if v.and_then(|c| char::from_u32(u32::from_be_bytes(*c)))
                        .is_none()
                    {
                        return Err(DecodeError::new(K::BadChar, at));
                    }
                    next
                }
                b's' | b'S' => self.string(bytes, pos, base)?.1,
                b'b' => {
                    let next = need(4)?;
                    let size = bytes.get(pos..next).and_then(|c| c.first_chunk::<4>());
                    let size = i32::from_be_bytes(*size.unwrap_or(&[0; 4]));
                    let len = usize::try_from(size)
                        .map_err(|_| DecodeError::new(K::NegativeBlobSize, at))?;
                    let end = next
                        .checked_add(wire::pad4(len))
                        .filter(|&e| e <= bytes.len())
                        .ok_or(DecodeError::new(K::UnexpectedEnd, base + bytes.len()))?;
                    self.padding(bytes.get(next + len..end).unwrap_or_default(), at + 4 + len)?;
                    end
                }
                b'T' | b'F' | b'N' | b'I' => pos,
                b'[' => {
                    depth += 1;
                    if depth > self.max_depth {
                        return Err(DecodeError::new(K::DepthExceeded, base + tags_at + i));
                    }
                    pos
                }
                b']' => {
                    depth = depth
                        .checked_sub(1)
                        .ok_or(DecodeError::new(K::UnbalancedArray, base + tags_at + i))?;
                    pos
                }
                other => {
                    return Err(DecodeError::new(
                        K::UnknownTypeTag(other),
                        base + tags_at + i,
                    ))
                }
            };
        }
        if depth != 0 {
            return Err(DecodeError::new(
                K::UnbalancedArray,
                base + tags_at + tags.len(),
            ));
        }
        if pos != bytes.len() && !self.trailing_bytes {
            return Err(DecodeError::new(K::TrailingBytes, base + pos));
        }
        let data = bytes.get(data_start..pos).unwrap_or_default();
        Ok(Message::with_args(address, Args::wire(tags, data)))
    }

    /// Validates a bundle occupying all of `bytes`, iteratively, with a fixed-size stack of bundle ends.
    fn bundle<'a>(&self, bytes: &'a [u8]) -> Result<Bundle<'a>, DecodeError> {
        let timetag = bundle_header(bytes, 0)?;
        if self.max_depth == 0 {
            return Err(DecodeError::new(K::DepthExceeded, 0));
        }
        let mut ends = [0usize; MAX_DEPTH_LIMIT];
        let mut depth = 1usize;
        if let Some(e) = ends.first_mut() {
            *e = bytes.len();
        }
        let mut pos = 16usize;
        while depth > 0 {
            let end = ends.get(depth - 1).copied().unwrap_or(0);
            if pos >= end {
                depth -= 1;
                continue;
            }
            let size = bytes
                .get(pos..end)
                .and_then(|r| r.first_chunk::<4>())
                .ok_or(DecodeError::new(K::UnexpectedEnd, end))?;
            let size = i32::from_be_bytes(*size);
            let kind = match size {
                s if s < 0 => Some(K::ElementSizeNegative),
                0 => Some(K::ElementSizeZero),
                s if s % 4 != 0 => Some(K::ElementSizeUnaligned),
                s if s as usize > end - pos - 4 => Some(K::ElementTooLong),
                _ => None,
            };
            if let Some(kind) = kind {
                return Err(DecodeError::new(kind, pos));
            }
            let start = pos + 4;
            let elem_end = start + size as usize;
            let element = bytes.get(start..elem_end).unwrap_or_default();
            match element.first() {
                Some(b'/') => {
                    self.message(element, start)?;
                    pos = elem_end;
                }
                Some(b'#') => {
                    bundle_header(element, start)?;
                    if depth >= self.max_depth {
                        return Err(DecodeError::new(K::DepthExceeded, start));
                    }
                    if let Some(e) = ends.get_mut(depth) {
                        *e = elem_end;
                    }
                    depth += 1;
                    pos = start + 16;
                }
                _ => return Err(DecodeError::new(K::BadElement, start)),
            }
        }
        Ok(Bundle::wire(timetag, bytes.get(16..).unwrap_or_default()))
    }
}

/// Checks the 16-byte bundle header at the start of `bytes` (offset `base` in the packet).
fn bundle_header(bytes: &[u8], base: usize) -> Result<TimeTag, DecodeError> {
    let tag = bytes.get(..8).unwrap_or(bytes);
    if tag != BUNDLE_TAG.get(..tag.len()).unwrap_or_default() {
        return Err(DecodeError::new(K::BadBundleTag, base));
    }
    let tt = bytes
        .get(8..16)
        .and_then(|t| t.first_chunk::<8>())
        .ok_or(DecodeError::new(K::UnexpectedEnd, base + bytes.len()))?;
    Ok(TimeTag::from_bits(u64::from_be_bytes(*tt)))
}

/// Re-reads a packet that has passed validation (a bundle element). Cannot fail on validated input.
pub(crate) fn parse_validated_packet(bytes: &[u8]) -> Option<Packet<'_>> {
    match bytes.first()? {
        b'/' => {
            let nul = find_nul(bytes)?;
            let address = core::str::from_utf8(bytes.get(..nul)?).ok()?;
            let rest = bytes.get(string_size(nul)..).unwrap_or_default();
            let args = match rest.split_first() {
                Some((b',', tail)) => {
                    let tnul = find_nul(tail)?;
                    Args::wire(
                        tail.get(..tnul)?,
                        rest.get(string_size(tnul + 1)..).unwrap_or_default(),
                    )
                }
                _ => Args::empty(),
            };
            Some(Packet::Message(Message::with_args(address, args)))
        }
        b'#' => {
            let tt = bytes.get(8..16)?.first_chunk::<8>()?;
            Some(Packet::Bundle(Bundle::wire(
                TimeTag::from_bits(u64::from_be_bytes(*tt)),
                bytes.get(16..)?,
            )))
        }
        _ => None,
    }
}
