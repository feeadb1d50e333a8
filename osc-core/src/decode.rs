//! Decoding: one validating pass over the bytes, then infallible zero-copy views.

use crate::bundle::Bundle;
use crate::error::{DecodeError, DecodeErrorKind as K};
use crate::message::Message;
use crate::packet::Packet;
use crate::timetag::TimeTag;
use crate::types::Args;
use crate::wire::{self, find_nul, scan_str, string_size};

mod compact;

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
    /// At most [`MAX_DEPTH_LIMIT`]: a byte keeps the whole configuration in one register when it is passed
    /// to the out-of-line parts of decoding.
    max_depth: u8,
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
            max_depth: DEFAULT_MAX_DEPTH as u8,
        }
    }

    /// The strict profile: every tolerance off.
    pub const fn strict() -> Self {
        Self {
            missing_type_tags: false,
            trailing_bytes: false,
            nonzero_padding: false,
            max_depth: DEFAULT_MAX_DEPTH as u8,
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
            MAX_DEPTH_LIMIT as u8
        } else {
            depth as u8
        };
        self
    }

    /// The nesting limit.
    const fn depth_limit(&self) -> usize {
        self.max_depth as usize
    }

    /// Decodes and validates a packet.
    ///
    /// Without `small`, the message path is inlined into the caller, up to the full validation (out of
    /// line): the caller then reads the message where it was built, instead of a 56-byte result written
    /// by one function and read back by the next.
    #[cfg_attr(not(feature = "small"), inline(always))]
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
    ///
    /// ASCII strings (found in the same word-at-a-time pass as the NUL) skip `from_utf8`.
    #[inline]
    fn string<'a>(
        &self,
        bytes: &'a [u8],
        pos: usize,
        base: usize,
    ) -> Result<(&'a [u8], usize), DecodeError> {
        let rest = bytes.get(pos..).unwrap_or_default();
        let (nul, ascii) =
            scan_str(rest).ok_or(DecodeError::new(K::UnterminatedString, base + pos))?;
        let (s, tail) = rest.split_at_checked(nul).unwrap_or_default();
        if !ascii {
            core::str::from_utf8(s)
                .map_err(|e| DecodeError::new(K::BadUtf8, base + pos + e.valid_up_to()))?;
        }
        let size = string_size(nul);
        let pad = tail
            .get(1..size - nul)
            .ok_or(DecodeError::new(K::UnexpectedEnd, base + bytes.len()))?;
        self.padding(pad, base + pos + nul + 1)?;
        Ok((s, pos + size))
    }

    /// Validates one message occupying all of `bytes`, which start at offset `base` of the packet.
    #[cfg_attr(not(feature = "small"), inline(always))]
    #[cfg_attr(feature = "small", inline)]
    fn message<'a>(&self, bytes: &'a [u8], base: usize) -> Result<Message<'a>, DecodeError> {
        if cfg!(feature = "small") {
            return compact::message(self, bytes, base);
        }
        if let Some((nul, header, args, _)) = self.message_fast(bytes) {
            // The fast path leaves the address's UTF-8 to this check; the full validation finds the error.
            if let Some(address) = address_str(bytes, nul, header, 0) {
                return Ok(Message::with_args(address, args));
            }
        }
        let (address, args) = self.message_full(bytes, base)?;
        // `message_full` has checked the address: this cannot fail.
        let address = core::str::from_utf8(address)
            .map_err(|e| DecodeError::new(K::BadUtf8, base + e.valid_up_to()))?;
        Ok(Message::with_args(address, args))
    }

    /// The common case of [`message_full`](Self::message_full) in one tight pass: a type-tag string, ASCII
    /// strings, no arrays and no `c`. It returns `None` for anything else and for every error, and the full
    /// validation then runs (to accept what this skips, or to find the error and its offset). It checks
    /// everything but the address's UTF-8, which it only reports as "ASCII or not": [`decode`](Self::decode)
    /// checks that with the `from_utf8` that makes the address a `&str` anyway, and bundle elements take
    /// the fast path only for ASCII addresses. With that check, it accepts nothing that `message_full`
    /// rejects, and finds the same arguments.
    ///
    /// Returns the address length, the length of address and type-tag string with their padding, the
    /// arguments, and whether the address is ASCII.
    #[cfg_attr(not(feature = "small"), inline(always))]
    #[cfg_attr(feature = "small", inline)]
    fn message_fast<'a>(&self, bytes: &'a [u8]) -> Option<(usize, usize, Args<'a>, bool)> {
        // Sizes are computed without saturation: every length here is below `bytes.len()`, which is at
        // most `isize::MAX`.
        let (nul, ascii) = scan_str(bytes)?;
        let size = (nul + 4) & !3;
        let (address, rest) = bytes.split_at_checked(size)?;
        if !self.zero_padding(address.get(nul + 1..)) {
            return None;
        }
        let tag_string = rest.strip_prefix(b",")?;
        let tnul = find_nul(tag_string)?;
        // The tag string's size counts the comma.
        let tsize = (tnul + 5) & !3;
        let (tag_part, data) = rest.split_at_checked(tsize)?;
        let tags = tag_string.get(..tnul)?;
        if !self.zero_padding(tag_part.get(tnul + 2..)) {
            return None;
        }
        let mut d = data;
        for &t in tags {
            d = match t {
                b'i' | b'f' | b'r' | b'm' => d.get(4..)?,
                b'h' | b'd' | b't' => d.get(8..)?,
                b'T' | b'F' | b'N' | b'I' => d,
                b's' | b'S' => {
                    let (n, ascii) = scan_str(d)?;
                    let (s, tail) = d.split_at_checked((n + 4) & !3)?;
                    if !ascii || !self.zero_padding(s.get(n + 1..)) {
                        return None;
                    }
                    tail
                }
                b'b' => {
                    let (len, tail) = d.split_first_chunk::<4>()?;
                    let len = usize::try_from(i32::from_be_bytes(*len)).ok()?;
                    let (blob, tail) = tail.split_at_checked((len + 3) & !3)?;
                    if !self.zero_padding(blob.get(len..)) {
                        return None;
                    }
                    tail
                }
                _ => return None,
            };
        }
        if !d.is_empty() && !self.trailing_bytes {
            return None;
        }
        let data = data.get(..data.len() - d.len())?;
        Some((nul, size + tsize, Args::wire(tags, data), ascii))
    }

    /// Whether [`message_fast`](Self::message_fast) takes a bundle element. Out of line, so that the loop
    /// over the elements keeps its own state in registers.
    #[inline(never)]
    fn element_fast(self, bytes: &[u8]) -> bool {
        matches!(self.message_fast(bytes), Some((.., true)))
    }

    /// Whether `pad` passes the padding rule: anything goes when tolerant, zeros only when strict. `pad`
    /// is `None` where the padding would lie outside the message, which never passes; it is only looked
    /// at when strict, so that the tolerant fast path does no bounds check for it.
    #[inline]
    fn zero_padding(&self, pad: Option<&[u8]>) -> bool {
        if self.nonzero_padding {
            return true;
        }
        pad.is_some_and(|p| p.iter().all(|&b| b == 0))
    }

    /// Validates one message, finding the first error and its offset. Out of line: the uncommon case.
    #[inline(never)]
    fn message_full<'a>(
        self,
        bytes: &'a [u8],
        base: usize,
    ) -> Result<(&'a [u8], Args<'a>), DecodeError> {
        let (address, mut pos) = self.string(bytes, 0, base)?;
        let Some((&first, _)) = bytes.get(pos..).and_then(<[u8]>::split_first) else {
            return if self.missing_type_tags {
                Ok((address, Args::empty()))
            } else {
                Err(DecodeError::new(K::MissingTypeTags, base + pos))
            };
        };
        if first != b',' {
            return if self.missing_type_tags && self.trailing_bytes {
                Ok((address, Args::empty()))
            } else {
                Err(DecodeError::new(K::BadTypeTagString, base + pos))
            };
        }
        let tags_at = pos + 1;
        let (tags, data_start) = self.string(bytes, pos, base)?;
        let tags = tags.get(1..).unwrap_or_default();
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
                    if depth > self.depth_limit() {
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
        Ok((address, Args::wire(tags, data)))
    }

    /// Validates a bundle occupying all of `bytes`, iteratively, with a fixed-size stack of bundle ends.
    ///
    /// Not inlined into [`decode`](Self::decode): its stack of ends would burden the message path.
    /// With `small`, left to the compiler, which inlines it into its one caller for less code (the
    /// firmware's stack for messages does not grow).
    #[cfg_attr(not(feature = "small"), inline(never))]
    fn bundle<'a>(self, bytes: &'a [u8]) -> Result<Bundle<'a>, DecodeError> {
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
                    if cfg!(feature = "small") {
                        compact::message(&self, element, start)?;
                    } else if !self.element_fast(element) {
                        self.message_full(element, start)?;
                    }
                    pos = elem_end;
                }
                Some(b'#') => {
                    bundle_header(element, start)?;
                    if depth >= self.depth_limit() {
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

/// The address (the first `len` bytes of a message, followed by NUL padding and the type-tag string up to
/// `header`) as `&str`, or `None` if it is not UTF-8.
///
/// `from_utf8` checks 16 bytes at a time only over whole 16-byte blocks that start at an 8-byte aligned
/// address, and goes byte by byte otherwise, so the address is checked together with the bytes that
/// follow it, up to the end of a block where they reach one. `skew` is the number of bytes before the
/// first aligned address (below 8), after which the blocks start. If those bytes are not UTF-8 (non-zero
/// padding), the address is checked alone.
#[cfg_attr(not(feature = "small"), inline(always))]
#[cfg_attr(feature = "small", inline)]
fn address_str(bytes: &[u8], len: usize, header: usize, skew: usize) -> Option<&str> {
    // `skew`, then `len + 1 - skew` rounded up to a multiple of 16; `len` is below `bytes.len()` and
    // `skew` below 8, so this can neither overflow nor wrap.
    let span = (skew + ((len + 16 - skew) & !15)).min(header);
    if let Some(Ok(s)) = bytes.get(..span).map(core::str::from_utf8) {
        if let Some(address) = s.get(..len) {
            return Some(address);
        }
    }
    core::str::from_utf8(bytes.get(..len)?).ok()
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
    if cfg!(feature = "small") {
        return compact::validated(bytes);
    }
    match bytes.first()? {
        b'/' => ElementMessage::validated(bytes)?
            .text()
            .map(Packet::Message),
        b'#' => validated_bundle(bytes).map(Packet::Bundle),
        _ => None,
    }
}

/// A validated bundle element, re-read without making its address a `&str` yet: that takes a UTF-8 check
/// (`from_utf8`, the only safe way), which dispatch can skip when a literal route has the same address.
pub(crate) enum Element<'a> {
    /// A bundle, or (with `small`) a message.
    Packet(Packet<'a>),
    /// A message whose address has not been made a `&str` yet.
    Message(ElementMessage<'a>),
}

/// Re-reads a bundle element that has passed validation. Cannot fail on validated input.
#[inline]
pub(crate) fn parse_validated_element(bytes: &[u8]) -> Option<Element<'_>> {
    if cfg!(feature = "small") {
        return compact::validated(bytes).map(Element::Packet);
    }
    match bytes.first()? {
        b'/' => ElementMessage::validated(bytes).map(Element::Message),
        b'#' => validated_bundle(bytes).map(|b| Element::Packet(Packet::Bundle(b))),
        _ => None,
    }
}

/// A validated bundle element that is a bundle.
#[inline(always)]
fn validated_bundle(bytes: &[u8]) -> Option<Bundle<'_>> {
    let tt = bytes.get(8..16)?.first_chunk::<8>()?;
    Some(Bundle::wire(
        TimeTag::from_bits(u64::from_be_bytes(*tt)),
        bytes.get(16..)?,
    ))
}

/// A validated message: its bytes, where its address ends and its arguments start, and the arguments.
#[derive(Clone, Copy)]
pub(crate) struct ElementMessage<'a> {
    bytes: &'a [u8],
    nul: usize,
    header: usize,
    args: Args<'a>,
}

impl<'a> ElementMessage<'a> {
    /// Re-reads a message that has passed validation.
    #[inline(always)]
    fn validated(bytes: &'a [u8]) -> Option<Self> {
        let nul = find_nul(bytes)?;
        let size = string_size(nul);
        let rest = bytes.get(size..).unwrap_or_default();
        let (args, header) = match rest.split_first() {
            Some((b',', tail)) => {
                let tnul = find_nul(tail)?;
                let tsize = string_size(tnul + 1);
                let data = rest.get(tsize..).unwrap_or_default();
                (Args::wire(tail.get(..tnul)?, data), size + tsize)
            }
            _ => (Args::empty(), size),
        };
        Some(Self {
            bytes,
            nul,
            header,
            args,
        })
    }

    /// The address's bytes (UTF-8, checked by the validation).
    #[inline]
    pub(crate) fn address(&self) -> &'a [u8] {
        self.bytes.get(..self.nul).unwrap_or_default()
    }

    /// The arguments.
    #[inline]
    pub(crate) fn args(&self) -> Args<'a> {
        self.args
    }

    /// The message, with its address as `&str`; `None` only if the bytes were not validated.
    #[inline(always)]
    pub(crate) fn text(&self) -> Option<Message<'a>> {
        // Every other element of a bundle starts 4 bytes past an 8-byte boundary.
        let skew = (self.bytes.as_ptr() as usize).wrapping_neg() & 7;
        let address = address_str(self.bytes, self.nul, self.header, skew)?;
        Some(Message::with_args(address, self.args))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whenever the fast path accepts a message, the full validation accepts it too, with the same address,
    /// header length and arguments: checked over byte mutations of a few messages, in every profile.
    #[test]
    fn fast_path_agrees_with_full_validation() {
        let bases: [&[u8]; 6] = [
            b"/synth/1/freq\0\0\0,ifs\0\0\0\0\0\0\x01\xb8?\0\0\0sine\0\0\0\0",
            // A UTF-8 address that is not ASCII ("/é"), which the fast path leaves to address_str.
            b"/\xc3\xa9\0,s\0\0ok\0\0",
            b"/a\0\0,bhTNdt\0\0\0\0\0\0\0\x03xyz\0\0\0\0\0\0\0\0\x01\0\0\0\0\0\0\0\x02\0\0\0\0\0\0\0\x03",
            b"/data/blob\0\0,b\0\0\0\0\0\x05abcde\0\0\0",
            b"/x\0\0,sSrmIF\0\0abcdefgh\0\0\0\0q\0\0\0\x01\x02\x03\x04\x05\x06\x07\x08",
            b"/e\0\0,\0\0\0",
        ];
        let configs = [
            DecodeConfig::new(),
            DecodeConfig::strict(),
            DecodeConfig::new().allow_trailing_bytes(false),
            DecodeConfig::new().allow_nonzero_padding(false),
        ];
        let mut accepted = 0;
        for_each_mutation(&bases, 0x2545_f491_4f6c_dd1d, b"[c", |v| {
            for cfg in configs {
                let Some((nul, header, args, ascii)) = cfg.message_fast(v) else {
                    continue;
                };
                // What decode takes: the address checked by address_str (always UTF-8 when ASCII).
                let Some(fast_address) = address_str(v, nul, header, 0) else {
                    assert!(!ascii);
                    continue;
                };
                assert_eq!(fast_address.as_bytes(), &v[..nul]);
                accepted += 1;
                let (address, full) = cfg.message_full(v, 0).unwrap();
                assert_eq!(address.len(), nul);
                assert_eq!(full, args);
                assert_eq!(full.type_tags(), args.type_tags());
                let tags = args.type_tags().unwrap().len();
                assert_eq!(header, string_size(nul) + string_size(tags + 1));
                if v.first() == Some(&b'/') {
                    let msg = cfg.decode(v).unwrap().into_message().unwrap();
                    assert_eq!(msg.address().as_bytes(), &v[..nul]);
                }
            }
        });
        assert!(accepted > 1000, "{accepted}");
        let msg = crate::decode(b"/\xc3\xa9\0,s\0\0ok\0\0")
            .unwrap()
            .into_message()
            .unwrap();
        assert_eq!((msg.address(), msg.get()), ("/\u{e9}", Ok(("ok",))));
    }

    /// Calls `check` with 3000 byte mutations of each of `bases` (seeded by `seed`): up to three random
    /// truncations, appended bytes or byte replacements, the replacements taken from NUL, non-ASCII bytes,
    /// `,`, the bytes of `special` and a random byte.
    pub(crate) fn for_each_mutation(
        bases: &[&[u8]],
        seed: u64,
        special: &[u8],
        mut check: impl FnMut(&[u8]),
    ) {
        let mut seed = seed;
        let mut rand = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for base in bases {
            for round in 0..3000 {
                let mut v: heapless::Vec<u8, 128> = heapless::Vec::new();
                v.extend_from_slice(base).unwrap();
                for _ in 0..round % 4 {
                    let r = rand();
                    let i = (r as usize >> 8) % v.len().max(1);
                    match r % 5 {
                        0 => v.truncate(i),
                        1 => {
                            let _ = v.push((r >> 32) as u8);
                        }
                        _ => {
                            if let Some(b) = v.get_mut(i) {
                                let k = (r >> 20) as usize % (special.len() + 5);
                                *b = match k {
                                    0 => 0,
                                    1 => 0x80,
                                    2 => 0xff,
                                    3 => b',',
                                    _ => special.get(k - 4).copied().unwrap_or((r >> 40) as u8),
                                };
                            }
                        }
                    }
                }
                check(&v);
            }
        }
    }
}
