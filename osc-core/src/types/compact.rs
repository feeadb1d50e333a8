//! [`next_wire`](super::next_wire) in less code, for the `small` feature: the size of the argument
//! first, then one slice of the data, then the value. The same arguments from the same validated
//! data.

use super::{Arg, Args, Color, Midi, TypeTag};
use crate::error::ArgError;
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
    let word = field
        .first_chunk::<4>()
        .map_or(0, |w| u32::from_be_bytes(*w));
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

impl<'a> super::ArgIter<'a> {
    /// Takes argument `index` for typed extraction ([`FromArg::WIRE`](crate::FromArg::WIRE)) as
    /// an int32 or float32 (`want` is `i` or `f`): its bits, or the error of taking any argument
    /// and converting it.
    #[inline(never)]
    pub(crate) fn take_word(
        &mut self,
        index: usize,
        want: u8,
        expected: &'static str,
    ) -> Result<u32, ArgError> {
        self.take_raw(index, want, expected).map(|(word, _)| word)
    }

    /// [`take_word`](Self::take_word) for a blob (`want` is `b`: its bytes) or a string or symbol
    /// (`want` is `s`: its UTF-8 bytes).
    #[inline(never)]
    pub(crate) fn take_data(
        &mut self,
        index: usize,
        want: u8,
        expected: &'static str,
    ) -> Result<&'a [u8], ArgError> {
        self.take_raw(index, want, expected).map(|(_, data)| data)
    }

    /// Takes argument `index` if its type tag is `want` (`i`, `f`, `b`, or `s` for `s` and `S`):
    /// its word (`i`, `f`) or its bytes (`b`, `s`). A decoded argument is read for that one type,
    /// without the code that decodes every type. The same argument or error as taking any argument
    /// and converting it to the type of that tag.
    fn take_raw(
        &mut self,
        index: usize,
        want: u8,
        expected: &'static str,
    ) -> Result<(u32, &'a [u8]), ArgError> {
        let mismatch = |found| ArgError::TypeMismatch {
            index,
            expected,
            found,
        };
        let missing = ArgError::Missing { index };
        if let Some(a) = self.slice.next() {
            return match (a, want) {
                (&Arg::Int(v), b'i') => Ok((v as u32, &[])),
                (&Arg::Float(v), b'f') => Ok((v.to_bits(), &[])),
                (&Arg::Blob(b), b'b') => Ok((0, b)),
                (&(Arg::String(s) | Arg::Symbol(s)), b's') => Ok((0, s.as_bytes())),
                (other, _) => Err(crate::extract::mismatch(other, index, expected)),
            };
        }
        let (&t, rest) = self.tags.split_first().ok_or(missing)?;
        if t != want && !(want == b's' && t == b'S') {
            // Validated tags are all known.
            return Err(mismatch(tag_of(t).ok_or(missing)?));
        }
        // Every type taken here has at least 4 bytes: a word, a blob's size, or a string's first
        // bytes (with its NUL and padding).
        let d: &'a [u8] = self.data;
        let word = u32::from_be_bytes(*d.first_chunk::<4>().ok_or(missing)?);
        let (bytes, size): (&'a [u8], usize) = match t {
            b'i' | b'f' => (&[], 4),
            b'b' => {
                let len = usize::try_from(word as i32).map_err(|_| missing)?;
                let blob = d.get(4..).and_then(|b| b.get(..len)).ok_or(missing)?;
                (blob, wire::blob_size(len))
            }
            _ => {
                let nul = wire::find_nul(d).ok_or(missing)?;
                (d.get(..nul).ok_or(missing)?, wire::string_size(nul))
            }
        };
        let after = d.get(size..).ok_or(missing)?;
        (self.tags, self.data) = (rest, after);
        Ok((word, bytes))
    }
}

/// [`TypeTag::from_byte`] by a search in two small tables, in less code than its `match`.
fn tag_of(t: u8) -> Option<TypeTag> {
    use TypeTag as T;
    const ALL: [TypeTag; 17] = [
        T::Int,
        T::Float,
        T::String,
        T::Blob,
        T::Long,
        T::Double,
        T::Time,
        T::Symbol,
        T::Char,
        T::Color,
        T::Midi,
        T::True,
        T::False,
        T::Nil,
        T::Impulse,
        T::ArrayStart,
        T::ArrayEnd,
    ];
    let at = b"ifsbhdtScrmTFNI[]".iter().position(|&b| b == t)?;
    ALL.get(at).copied()
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

#[cfg(test)]
mod tests {
    use super::super::{Args, Repr};
    use super::*;
    use crate::Message;

    /// The same arguments, and the same tags and data left after each, as the reader of the default
    /// build, over messages of every type (arrays nested) encoded and decoded again.
    #[test]
    fn same_arguments_as_next_wire() {
        let blob = [1u8, 2, 3, 4, 5];
        let nested = [Arg::Blob(b"abc"), Arg::Nil];
        let inner = [
            Arg::Int(1),
            Arg::String("x"),
            Arg::Array(Args::from_slice(&nested)),
        ];
        let args = [
            Arg::Int(-5),
            Arg::Float(0.5),
            Arg::String("h\u{e9}llo"),
            Arg::Blob(&blob),
            Arg::Long(-7),
            Arg::Double(2.5),
            Arg::Time(TimeTag::from_bits(0x1234_5678_9abc_def0)),
            Arg::Symbol("sym"),
            Arg::Char('\u{e9}'),
            Arg::Color(Color::from_u32(0x1122_3344)),
            Arg::Midi(Midi::from_bytes([1, 2, 3, 4])),
            Arg::Bool(true),
            Arg::Bool(false),
            Arg::Nil,
            Arg::Impulse,
            Arg::Array(Args::from_slice(&inner)),
            Arg::Array(Args::empty()),
            Arg::Int(9),
        ];
        let mut buf = [0u8; 512];
        for end in 0..=args.len() {
            for start in 0..end {
                let n = Message::new("/t", &args[start..end])
                    .encode(&mut buf)
                    .unwrap();
                let msg = crate::decode(&buf[..n]).unwrap().into_message().unwrap();
                let Repr::Wire { tags, data } = msg.args().0 else {
                    panic!("decoded arguments are wire arguments");
                };
                let (mut t1, mut d1, mut t2, mut d2) = (tags, data, tags, data);
                loop {
                    let a = super::super::next_wire(&mut t1, &mut d1);
                    let b = next_wire(&mut t2, &mut d2);
                    assert_eq!(a, b);
                    assert_eq!((t1, d1), (t2, d2));
                    if a.is_none() {
                        break;
                    }
                }
            }
        }
    }

    #[test]
    fn tag_of_is_from_byte() {
        for b in 0..=u8::MAX {
            assert_eq!(tag_of(b), TypeTag::from_byte(b), "{b}");
        }
    }
}
