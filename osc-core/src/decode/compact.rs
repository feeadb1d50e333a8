//! The message validator in less code, for the `small` feature: one pass, the same checks, errors and
//! offsets as [`DecodeConfig::message_full`], with the offsets made absolute in one place. Strings go
//! through `from_utf8` whole instead of a word-at-a-time scan first.

use super::DecodeConfig;
use crate::error::{DecodeError, DecodeErrorKind as K};
use crate::message::Message;
use crate::packet::Packet;
use crate::types::Args;
use crate::wire;

/// What went wrong, at which offset in the message.
type Fail = (K, usize);

/// Validates one message occupying all of `bytes`, which start at offset `base` of the packet.
#[inline(never)]
pub(super) fn message<'a>(
    cfg: &DecodeConfig,
    bytes: &'a [u8],
    base: usize,
) -> Result<Message<'a>, DecodeError> {
    check(cfg, bytes).map_err(|(kind, at)| DecodeError::new(kind, base.wrapping_add(at)))
}

/// A packet that has passed validation (a bundle element), read again: a message through
/// [`message`] in the most tolerant profile, which accepts whatever any profile accepted, with the
/// same result; a bundle from its header.
pub(super) fn validated(bytes: &[u8]) -> Option<Packet<'_>> {
    const ANY: DecodeConfig = DecodeConfig::new().max_depth(super::MAX_DEPTH_LIMIT);
    match bytes.first()? {
        b'/' => message(&ANY, bytes, 0).ok().map(Packet::Message),
        _ => super::bundle_header(bytes, 0)
            .ok()
            .zip(bytes.get(16..))
            .map(|(timetag, elements)| Packet::Bundle(crate::Bundle::wire(timetag, elements))),
    }
}

fn check<'a>(cfg: &DecodeConfig, bytes: &'a [u8]) -> Result<Message<'a>, Fail> {
    let end = bytes.len();
    let (address, tags_at) = string(cfg, bytes, 0)?;
    let empty = Message::with_args(address, Args::empty());
    match bytes.get(tags_at) {
        None if cfg.missing_type_tags => return Ok(empty),
        None => return Err((K::MissingTypeTags, tags_at)),
        Some(b',') => {}
        Some(_) if cfg.missing_type_tags && cfg.trailing_bytes => return Ok(empty),
        Some(_) => return Err((K::BadTypeTagString, tags_at)),
    }
    let (tags, data_start) = string(cfg, bytes, tags_at)?;
    let tags = tags.as_bytes().get(1..).unwrap_or_default();
    let mut pos = data_start;
    let mut depth = 0usize;
    // The offset of each tag: the comma is at `tags_at`.
    let mut tag_at = tags_at;
    for &t in tags {
        tag_at += 1;
        let at = pos;
        let size = match t {
            b'i' | b'f' | b'r' | b'm' | b'c' | b'b' => 4,
            b'h' | b'd' | b't' => 8,
            b's' | b'S' => {
                pos = string(cfg, bytes, pos)?.1;
                continue;
            }
            b'T' | b'F' | b'N' | b'I' => 0,
            b'[' if depth < cfg.max_depth => {
                depth += 1;
                0
            }
            b'[' => return Err((K::DepthExceeded, tag_at)),
            b']' if depth > 0 => {
                depth -= 1;
                0
            }
            b']' => return Err((K::UnbalancedArray, tag_at)),
            _ => return Err((K::UnknownTypeTag(t), tag_at)),
        };
        let field = bytes
            .get(pos..)
            .and_then(|rest| rest.get(..size))
            .ok_or((K::UnexpectedEnd, end))?;
        pos += size;
        let word = field.first_chunk::<4>().map_or(0, |w| u32::from_be_bytes(*w));
        if t == b'c' && char::from_u32(word).is_none() {
            return Err((K::BadChar, at));
        }
        if t == b'b' {
            let len = usize::try_from(word as i32).map_err(|_| (K::NegativeBlobSize, at))?;
            let blob_end = pos
                .checked_add(wire::pad4(len))
                .filter(|&e| e <= end)
                .ok_or((K::UnexpectedEnd, end))?;
            let pad = bytes.get(pos + len..blob_end).unwrap_or_default();
            padding(cfg, pad, pos + len)?;
            pos = blob_end;
        }
    }
    if depth != 0 {
        return Err((K::UnbalancedArray, tag_at + 1));
    }
    if pos != end && !cfg.trailing_bytes {
        return Err((K::TrailingBytes, pos));
    }
    let data = bytes.get(data_start..pos).unwrap_or_default();
    Ok(Message::with_args(address, Args::wire(tags, data)))
}

/// Validates an OSC-string at `pos`; returns it and the position after it.
fn string<'a>(cfg: &DecodeConfig, bytes: &'a [u8], pos: usize) -> Result<(&'a str, usize), Fail> {
    let rest = bytes.get(pos..).unwrap_or_default();
    let nul = rest
        .iter()
        .position(|&b| b == 0)
        .ok_or((K::UnterminatedString, pos))?;
    let s = core::str::from_utf8(rest.get(..nul).unwrap_or_default())
        .map_err(|e| (K::BadUtf8, pos + e.valid_up_to()))?;
    let size = wire::string_size(nul);
    let pad = rest
        .get(nul + 1..size)
        .ok_or((K::UnexpectedEnd, bytes.len()))?;
    padding(cfg, pad, pos + nul + 1)?;
    Ok((s, pos + size))
}

/// The padding rule: anything goes when tolerant, zeros only when strict.
fn padding(cfg: &DecodeConfig, pad: &[u8], at: usize) -> Result<(), Fail> {
    match pad.iter().position(|&b| b != 0) {
        Some(i) if !cfg.nonzero_padding => Err((K::NonZeroPadding, at + i)),
        _ => Ok(()),
    }
}
