//! [`next_wire`](super::next_wire) in less code, for the `small` feature: the size of the argument
//! first, then one slice of the data, then the value. The same arguments from the same validated
//! data.

use super::{Arg, Args, Color, Midi};
use crate::timetag::TimeTag;
use crate::wire;

/// Reads the next argument from validated wire data, like [`next_wire`](super::next_wire).
#[inline(never)]
pub(super) fn next_wire<'a>(tags: &mut &'a [u8], data: &mut &'a [u8]) -> Option<Arg<'a>> {
    let (&t, rest) = tags.split_first()?;
    *tags = rest;
    let d: &'a [u8] = data;
    if t == b'[' {
        // The tags up to the matching `]`, and the data of those tags (brackets have none).
        let end = wire::array_end(rest)?;
        let inner = rest.get(..end)?;
        *tags = rest.get(end.checked_add(1)?..)?;
        let mut n = 0usize;
        for &t in inner {
            n = n.checked_add(field(t, d.get(n..)?)?.0)?;
        }
        let (inner_data, after) = d.split_at_checked(n)?;
        *data = after;
        return Some(Arg::Array(Args::wire(inner, inner_data)));
    }
    let (size, len) = field(t, d)?;
    let (field, rest) = d.split_at_checked(size)?;
    *data = rest;
    let word = field.first_chunk::<4>().map_or(0, |w| u32::from_be_bytes(*w));
    let low = field
        .get(4..)
        .and_then(<[u8]>::first_chunk::<4>)
        .map_or(0, |w| u32::from_be_bytes(*w));
    let long = u64::from(word) << 32 | u64::from(low);
    Some(match t {
        b'i' => Arg::Int(word as i32),
        b'f' => Arg::Float(f32::from_bits(word)),
        b'c' => Arg::Char(char::from_u32(word)?),
        b'r' => Arg::Color(Color::from_u32(word)),
        b'm' => Arg::Midi(Midi::from_bytes(word.to_be_bytes())),
        b'h' => Arg::Long(long as i64),
        b'd' => Arg::Double(f64::from_bits(long)),
        b't' => Arg::Time(TimeTag::from_bits(long)),
        b's' | b'S' => {
            let s = core::str::from_utf8(field.get(..len)?).ok()?;
            if t == b's' {
                Arg::String(s)
            } else {
                Arg::Symbol(s)
            }
        }
        b'b' => Arg::Blob(field.get(4..)?.get(..len)?),
        b'T' => Arg::Bool(true),
        b'F' => Arg::Bool(false),
        b'N' => Arg::Nil,
        b'I' => Arg::Impulse,
        _ => return None,
    })
}

/// The bytes the argument of tag `t` takes at the front of `d` (none for the brackets of arrays), and
/// the length of its string or blob.
fn field(t: u8, d: &[u8]) -> Option<(usize, usize)> {
    Some(match t {
        b'i' | b'f' | b'c' | b'r' | b'm' => (4, 0),
        b'h' | b'd' | b't' => (8, 0),
        b's' | b'S' => {
            let nul = wire::find_nul(d)?;
            (wire::string_size(nul), nul)
        }
        b'b' => {
            let len = usize::try_from(i32::from_be_bytes(*d.first_chunk::<4>()?)).ok()?;
            (wire::blob_size(len), len)
        }
        _ => (0, 0),
    })
}
