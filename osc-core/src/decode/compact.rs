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
    // Offsets are taken from what is left: `end - rest.len()`.
    let (address, rest) = string(cfg, bytes, end)?;
    let empty = Message::with_args(address, Args::empty());
    let tags_at = end - rest.len();
    match rest.first() {
        None if cfg.missing_type_tags => return Ok(empty),
        None => return Err((K::MissingTypeTags, tags_at)),
        Some(b',') => {}
        Some(_) if cfg.missing_type_tags && cfg.trailing_bytes => return Ok(empty),
        Some(_) => return Err((K::BadTypeTagString, tags_at)),
    }
    let (tags, args) = string(cfg, rest, end)?;
    let tags = tags.as_bytes().get(1..).unwrap_or_default();
    let mut data = args;
    let mut depth = 0usize;
    // The offset of the tag being checked (the comma is at `tags_at`).
    let mut tag_at = tags_at;
    for &t in tags {
        tag_at += 1;
        let at = end - data.len();
        let size = match t {
            b'i' | b'f' | b'r' | b'm' | b'c' | b'b' => 4,
            b'h' | b'd' | b't' => 8,
            b's' | b'S' => {
                data = string(cfg, data, end)?.1;
                continue;
            }
            b'T' | b'F' | b'N' | b'I' => 0,
            b'[' if depth < cfg.depth_limit() => {
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
        let (field, after) = data.split_at_checked(size).ok_or((K::UnexpectedEnd, end))?;
        data = after;
        let word = field
            .first_chunk::<4>()
            .map_or(0, |w| u32::from_be_bytes(*w));
        if t == b'c' && char::from_u32(word).is_none() {
            return Err((K::BadChar, at));
        }
        if t == b'b' {
            let len = usize::try_from(word as i32).map_err(|_| (K::NegativeBlobSize, at))?;
            let (blob, after) = data
                .split_at_checked(wire::pad4(len))
                .ok_or((K::UnexpectedEnd, end))?;
            padding(cfg, blob.get(len..).unwrap_or_default(), at + 4 + len)?;
            data = after;
        }
    }
    if depth != 0 {
        return Err((K::UnbalancedArray, tag_at + 1));
    }
    if !data.is_empty() && !cfg.trailing_bytes {
        return Err((K::TrailingBytes, end - data.len()));
    }
    let used = args.len() - data.len();
    Ok(Message::with_args(
        address,
        Args::wire(tags, args.get(..used).unwrap_or_default()),
    ))
}

/// Validates an OSC-string at the start of `rest`, the end of a message of `end` bytes; returns it
/// and what follows it.
fn string<'a>(cfg: &DecodeConfig, rest: &'a [u8], end: usize) -> Result<(&'a str, &'a [u8]), Fail> {
    let pos = end - rest.len();
    let nul = rest
        .iter()
        .position(|&b| b == 0)
        .ok_or((K::UnterminatedString, pos))?;
    let (s, tail) = rest.split_at_checked(nul).unwrap_or_default();
    let s = core::str::from_utf8(s).map_err(|e| (K::BadUtf8, pos + e.valid_up_to()))?;
    let size = wire::string_size(nul);
    let (pad, after) = tail
        .get(1..)
        .and_then(|t| t.split_at_checked(size - nul - 1))
        .ok_or((K::UnexpectedEnd, end))?;
    padding(cfg, pad, pos + nul + 1)?;
    Ok((s, after))
}

/// The padding rule: anything goes when tolerant, zeros only when strict.
fn padding(cfg: &DecodeConfig, pad: &[u8], at: usize) -> Result<(), Fail> {
    match pad.iter().position(|&b| b != 0) {
        Some(i) if !cfg.nonzero_padding => Err((K::NonZeroPadding, at + i)),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::tests::for_each_mutation;

    /// The same answer as the full validation (and the fast path before it) on byte mutations of a
    /// few messages, in every profile: the same message, or the same error at the same offset.
    #[test]
    fn agrees_with_full_validation() {
        let bases: [&[u8]; 7] = [
            b"/synth/1/freq\0\0\0,ifs\0\0\0\0\0\0\x01\xb8?\0\0\0sine\0\0\0\0",
            b"/a\0\0,bhTNdt\0\0\0\0\0\0\0\x03xyz\0\0\0\0\0\0\0\0\x01\0\0\0\0\0\0\0\x02\0\0\0\0\0\0\0\x03",
            b"/data/blob\0\0,b\0\0\0\0\0\x05abcde\0\0\0",
            b"/x\0\0,sSrmIF\0\0abcdefgh\0\0\0\0q\0\0\0\x01\x02\x03\x04\x05\x06\x07\x08",
            b"/e\0\0,\0\0\0",
            b"/arr\0\0\0\0,i[f[c]]\0\0\0\0\0\0\0\x01\0\0\0\0\0\0\0a",
            b"/\xc3\xa9\0\0,s\0\0\xc3\xa9t\xc3\xa9\0\0\0",
        ];
        let configs = [
            DecodeConfig::new(),
            DecodeConfig::strict(),
            DecodeConfig::new().allow_trailing_bytes(false),
            DecodeConfig::new().allow_nonzero_padding(false),
            DecodeConfig::new().allow_missing_type_tags(false),
            DecodeConfig::new().max_depth(1),
        ];
        let mut accepted = 0;
        for_each_mutation(&bases, 0x9e37_79b9_7f4a_7c15, b"[]c", |v| {
            for cfg in configs {
                let full = cfg.message_full(v, 3).map(|(address, args)| {
                    Message::with_args(core::str::from_utf8(address).unwrap(), args)
                });
                let compact = message(&cfg, v, 3);
                assert_eq!(compact, full, "{v:?} {cfg:?}");
                if let Ok(m) = compact {
                    accepted += 1;
                    assert_eq!(m.args().type_tags(), full.unwrap().args().type_tags());
                    assert_eq!(m.address().as_ptr(), v.as_ptr());
                }
            }
        });
        assert!(accepted > 1000, "{accepted}");
    }
}
