//! Argument values: [`Arg`], the sequence type [`Args`] and the [`TypeTag`]s that name them on the wire.
//!
//! | tag | [`Arg`] variant | wire data |
//! |---|---|---|
//! | `i` | [`Arg::Int`] | int32, big-endian |
//! | `f` | [`Arg::Float`] | IEEE 754 float32 |
//! | `s` | [`Arg::String`] | OSC-string: bytes, NUL, NUL padding to a multiple of 4 |
//! | `b` | [`Arg::Blob`] | int32 size, bytes, NUL padding |
//! | `h` | [`Arg::Long`] | int64 |
//! | `d` | [`Arg::Double`] | IEEE 754 float64 |
//! | `t` | [`Arg::Time`] | NTP timetag, 64 bits |
//! | `S` | [`Arg::Symbol`] | OSC-string |
//! | `c` | [`Arg::Char`] | 32 bits holding the character's code point |
//! | `r` | [`Arg::Color`] | 32 bits: red, green, blue, alpha |
//! | `m` | [`Arg::Midi`] | 4 bytes: port, status, data1, data2 |
//! | `T` `F` | [`Arg::Bool`] | none |
//! | `N` | [`Arg::Nil`] | none |
//! | `I` | [`Arg::Impulse`] | none (OSC 1.0 "Infinitum", OSC 1.1 "Impulse") |
//! | `[` … `]` | [`Arg::Array`] | the elements' data in line |

use core::fmt;

use crate::timetag::TimeTag;
use crate::wire;

mod compact;

/// A type tag: one character of a message's type-tag string.
///
/// ```
/// use osc_core::TypeTag;
/// assert_eq!(TypeTag::from_byte(b'i'), Some(TypeTag::Int));
/// assert_eq!(TypeTag::Double.as_byte(), b'd');
/// assert_eq!(TypeTag::from_byte(b'x'), None);
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum TypeTag {
    /// `i`: int32.
    Int,
    /// `f`: float32.
    Float,
    /// `s`: string.
    String,
    /// `b`: blob.
    Blob,
    /// `h`: int64.
    Long,
    /// `d`: float64.
    Double,
    /// `t`: timetag.
    Time,
    /// `S`: symbol.
    Symbol,
    /// `c`: character.
    Char,
    /// `r`: RGBA color.
    Color,
    /// `m`: MIDI message.
    Midi,
    /// `T`: true.
    True,
    /// `F`: false.
    False,
    /// `N`: nil.
    Nil,
    /// `I`: impulse (infinitum).
    Impulse,
    /// `[`: start of an array.
    ArrayStart,
    /// `]`: end of an array.
    ArrayEnd,
}

impl TypeTag {
    /// The tag for a type-tag character, or `None` for a character this library does not know.
    pub const fn from_byte(b: u8) -> Option<Self> {
        Some(match b {
            b'i' => Self::Int,
            b'f' => Self::Float,
            b's' => Self::String,
            b'b' => Self::Blob,
            b'h' => Self::Long,
            b'd' => Self::Double,
            b't' => Self::Time,
            b'S' => Self::Symbol,
            b'c' => Self::Char,
            b'r' => Self::Color,
            b'm' => Self::Midi,
            b'T' => Self::True,
            b'F' => Self::False,
            b'N' => Self::Nil,
            b'I' => Self::Impulse,
            b'[' => Self::ArrayStart,
            b']' => Self::ArrayEnd,
            _ => return None,
        })
    }

    /// The type-tag character.
    pub const fn as_byte(self) -> u8 {
        match self {
            Self::Int => b'i',
            Self::Float => b'f',
            Self::String => b's',
            Self::Blob => b'b',
            Self::Long => b'h',
            Self::Double => b'd',
            Self::Time => b't',
            Self::Symbol => b'S',
            Self::Char => b'c',
            Self::Color => b'r',
            Self::Midi => b'm',
            Self::True => b'T',
            Self::False => b'F',
            Self::Nil => b'N',
            Self::Impulse => b'I',
            Self::ArrayStart => b'[',
            Self::ArrayEnd => b']',
        }
    }

    /// A human-readable name with the tag character, e.g. `"int32 (i)"`.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Int => "int32 (i)",
            Self::Float => "float32 (f)",
            Self::String => "string (s)",
            Self::Blob => "blob (b)",
            Self::Long => "int64 (h)",
            Self::Double => "float64 (d)",
            Self::Time => "timetag (t)",
            Self::Symbol => "symbol (S)",
            Self::Char => "char (c)",
            Self::Color => "color (r)",
            Self::Midi => "midi (m)",
            Self::True => "true (T)",
            Self::False => "false (F)",
            Self::Nil => "nil (N)",
            Self::Impulse => "impulse (I)",
            Self::ArrayStart => "array ([)",
            Self::ArrayEnd => "array end (])",
        }
    }
}

/// A 32-bit RGBA color (`r`).
///
/// ```
/// use osc_core::Color;
/// let c = Color::from_u32(0xff00_00ff);
/// assert_eq!(c, Color { red: 255, green: 0, blue: 0, alpha: 255 });
/// assert_eq!(c.to_u32(), 4_278_190_335);
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Color {
    /// Red.
    pub red: u8,
    /// Green.
    pub green: u8,
    /// Blue.
    pub blue: u8,
    /// Alpha.
    pub alpha: u8,
}

impl Color {
    /// The color from its wire value `0xRRGGBBAA`.
    pub const fn from_u32(v: u32) -> Self {
        let [red, green, blue, alpha] = v.to_be_bytes();
        Self {
            red,
            green,
            blue,
            alpha,
        }
    }

    /// The wire value `0xRRGGBBAA`.
    pub const fn to_u32(self) -> u32 {
        u32::from_be_bytes([self.red, self.green, self.blue, self.alpha])
    }
}

/// A 4-byte MIDI message (`m`): port id, status byte and two data bytes, in wire order.
///
/// ```
/// use osc_core::Midi;
/// let note_on = Midi { port: 0, status: 0x90, data1: 60, data2: 127 };
/// assert_eq!(note_on.to_bytes(), [0, 0x90, 60, 127]);
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Midi {
    /// Port id.
    pub port: u8,
    /// Status byte.
    pub status: u8,
    /// First data byte.
    pub data1: u8,
    /// Second data byte.
    pub data2: u8,
}

impl Midi {
    /// The message from its 4 wire bytes.
    pub const fn from_bytes([port, status, data1, data2]: [u8; 4]) -> Self {
        Self {
            port,
            status,
            data1,
            data2,
        }
    }

    /// The 4 wire bytes.
    pub const fn to_bytes(self) -> [u8; 4] {
        [self.port, self.status, self.data1, self.data2]
    }
}

/// One OSC argument. Strings, symbols, blobs and arrays borrow from the packet or from the caller.
///
/// Equality compares floats by their bit patterns, the way they travel on the wire, so a decoded `NaN`
/// equals the `NaN` that was encoded and `0.0 != -0.0`.
///
/// ```
/// use osc_core::{Arg, TypeTag};
/// let a = Arg::Float(0.5);
/// assert_eq!(a.type_tag(), TypeTag::Float);
/// assert_eq!(a, Arg::Float(0.5));
/// assert_eq!(Arg::Float(f32::NAN), Arg::Float(f32::NAN));
/// ```
#[derive(Copy, Clone, Debug)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Arg<'a> {
    /// `i`: int32.
    Int(i32),
    /// `f`: float32.
    Float(f32),
    /// `s`: string. Must not contain NUL when encoded.
    String(&'a str),
    /// `b`: blob.
    Blob(&'a [u8]),
    /// `h`: int64.
    Long(i64),
    /// `d`: float64.
    Double(f64),
    /// `t`: timetag.
    Time(TimeTag),
    /// `S`: symbol (an alternate string type). Must not contain NUL when encoded.
    Symbol(&'a str),
    /// `c`: character, sent as its 32-bit code point.
    Char(char),
    /// `r`: RGBA color.
    Color(Color),
    /// `m`: MIDI message.
    Midi(Midi),
    /// `T` (true) or `F` (false).
    Bool(bool),
    /// `N`: nil.
    Nil,
    /// `I`: impulse (infinitum).
    Impulse,
    /// `[` … `]`: an array of arguments.
    Array(Args<'a>),
}

impl Arg<'_> {
    /// The type tag this argument is written with (`[` for arrays).
    pub const fn type_tag(&self) -> TypeTag {
        match self {
            Arg::Int(_) => TypeTag::Int,
            Arg::Float(_) => TypeTag::Float,
            Arg::String(_) => TypeTag::String,
            Arg::Blob(_) => TypeTag::Blob,
            Arg::Long(_) => TypeTag::Long,
            Arg::Double(_) => TypeTag::Double,
            Arg::Time(_) => TypeTag::Time,
            Arg::Symbol(_) => TypeTag::Symbol,
            Arg::Char(_) => TypeTag::Char,
            Arg::Color(_) => TypeTag::Color,
            Arg::Midi(_) => TypeTag::Midi,
            Arg::Bool(true) => TypeTag::True,
            Arg::Bool(false) => TypeTag::False,
            Arg::Nil => TypeTag::Nil,
            Arg::Impulse => TypeTag::Impulse,
            Arg::Array(_) => TypeTag::ArrayStart,
        }
    }
}

impl PartialEq for Arg<'_> {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Arg::Int(a), Arg::Int(b)) => a == b,
            (Arg::Float(a), Arg::Float(b)) => a.to_bits() == b.to_bits(),
            (Arg::String(a), Arg::String(b)) | (Arg::Symbol(a), Arg::Symbol(b)) => a == b,
            (Arg::Blob(a), Arg::Blob(b)) => a == b,
            (Arg::Long(a), Arg::Long(b)) => a == b,
            (Arg::Double(a), Arg::Double(b)) => a.to_bits() == b.to_bits(),
            (Arg::Time(a), Arg::Time(b)) => a == b,
            (Arg::Char(a), Arg::Char(b)) => a == b,
            (Arg::Color(a), Arg::Color(b)) => a == b,
            (Arg::Midi(a), Arg::Midi(b)) => a == b,
            (Arg::Bool(a), Arg::Bool(b)) => a == b,
            (Arg::Nil, Arg::Nil) | (Arg::Impulse, Arg::Impulse) => true,
            (Arg::Array(a), Arg::Array(b)) => a == b,
            _ => false,
        }
    }
}

macro_rules! arg_from {
    ($($t:ty => $v:ident),* $(,)?) => {$(
        impl<'a> From<$t> for Arg<'a> {
            fn from(v: $t) -> Self {
                Arg::$v(v)
            }
        }
    )*};
}

arg_from! {
    i32 => Int, f32 => Float, &'a str => String, &'a [u8] => Blob, i64 => Long, f64 => Double,
    TimeTag => Time, char => Char, Color => Color, Midi => Midi, bool => Bool, Args<'a> => Array,
}

/// A sequence of arguments: the arguments of a [`Message`](crate::Message) or the elements of an
/// [`Arg::Array`].
///
/// It is either a view of validated wire bytes (from decoding) or a slice of [`Arg`] values (for encoding);
/// both behave the same. Iterating cannot fail.
///
/// ```
/// use osc_core::{Arg, Args};
/// let items = [Arg::Int(1), Arg::Int(2)];
/// let array = Args::from_slice(&items);
/// assert_eq!(array.len(), 2);
/// assert_eq!(array.iter().nth(1), Some(Arg::Int(2)));
/// ```
#[derive(Copy, Clone)]
pub struct Args<'a>(Repr<'a>);

#[derive(Copy, Clone)]
enum Repr<'a> {
    /// Validated type tags (without the comma) and the data that follows them.
    Wire {
        tags: &'a [u8],
        data: &'a [u8],
    },
    Slice(&'a [Arg<'a>]),
}

impl<'a> Args<'a> {
    /// Arguments from a slice of values.
    pub const fn from_slice(args: &'a [Arg<'a>]) -> Self {
        Self(Repr::Slice(args))
    }

    /// An empty argument list.
    pub const fn empty() -> Self {
        Self(Repr::Slice(&[]))
    }

    /// Arguments over wire bytes that the decoder has validated.
    pub(crate) const fn wire(tags: &'a [u8], data: &'a [u8]) -> Self {
        Self(Repr::Wire { tags, data })
    }

    /// An iterator over the arguments.
    pub fn iter(&self) -> ArgIter<'a> {
        match self.0 {
            Repr::Wire { tags, data } => ArgIter {
                slice: [].iter(),
                tags,
                data,
            },
            Repr::Slice(s) => ArgIter {
                slice: s.iter(),
                tags: &[],
                data: &[],
            },
        }
    }

    /// The number of arguments (an array counts as one).
    pub fn len(&self) -> usize {
        match self.0 {
            Repr::Slice(s) => s.len(),
            Repr::Wire { tags, .. } => {
                let mut depth = 0usize;
                let mut n = 0usize;
                for &t in tags {
                    match t {
                        b'[' => {
                            if depth == 0 {
                                n += 1;
                            }
                            depth += 1;
                        }
                        b']' => depth = depth.saturating_sub(1),
                        _ if depth == 0 => n += 1,
                        _ => {}
                    }
                }
                n
            }
        }
    }

    /// Whether there are no arguments.
    pub fn is_empty(&self) -> bool {
        match self.0 {
            Repr::Slice(s) => s.is_empty(),
            Repr::Wire { tags, .. } => tags.is_empty(),
        }
    }

    /// The argument at `index`, if any.
    pub fn get(&self, index: usize) -> Option<Arg<'a>> {
        match self.0 {
            Repr::Slice(s) => s.get(index).copied(),
            Repr::Wire { .. } => self.iter().nth(index),
        }
    }

    /// The wire type-tag string of decoded arguments (without the leading comma), or `None` for arguments
    /// built from values.
    ///
    /// ```
    /// let msg = osc_core::decode(b"/a\0\0,i[f]\0\0\0\0\0\0\x01\0\0\0\0").unwrap().into_message().unwrap();
    /// assert_eq!(msg.args().type_tags(), Some("i[f]"));
    /// ```
    pub fn type_tags(&self) -> Option<&'a str> {
        match self.0 {
            Repr::Wire { tags, .. } => core::str::from_utf8(tags).ok(),
            Repr::Slice(_) => None,
        }
    }

    /// Number of type-tag characters these arguments are written with (brackets included).
    #[inline]
    pub(crate) fn tag_count(&self) -> usize {
        match self.0 {
            Repr::Wire { tags, .. } => tags.len(),
            // One tag per value; an array adds its brackets and its own tags, less the one counted.
            Repr::Slice(s) => s.iter().fold(s.len(), |n, a| match a {
                Arg::Array(inner) => n.saturating_add(array_tag_count(inner).saturating_add(1)),
                _ => n,
            }),
        }
    }

    /// [`tag_count`](Self::tag_count) and [`data_size`](Self::data_size) in one pass.
    #[inline]
    pub(crate) fn sizes(&self) -> (usize, usize) {
        match self.0 {
            Repr::Wire { tags, data } => (tags.len(), wire::data_len(tags, data).unwrap_or(0)),
            Repr::Slice(s) => s.iter().fold((s.len(), 0usize), |(n, d), a| {
                let n = match a {
                    Arg::Array(inner) => n.saturating_add(array_tag_count(inner).saturating_add(1)),
                    _ => n,
                };
                (n, d.saturating_add(arg_data_size(a)))
            }),
        }
    }

    /// Number of data bytes these arguments are written with.
    #[inline]
    pub(crate) fn data_size(&self) -> usize {
        match self.0 {
            Repr::Wire { tags, data } => wire::data_len(tags, data).unwrap_or(0),
            Repr::Slice(s) => s
                .iter()
                .map(|a| arg_data_size(a))
                .fold(0usize, usize::saturating_add),
        }
    }

    /// Writes the type tags (without comma) into the front of `out` and returns how many it wrote.
    #[inline]
    pub(crate) fn fill_tags(&self, out: &mut [u8]) -> usize {
        match self.0 {
            Repr::Wire { tags, .. } => {
                if let Some(o) = out.get_mut(..tags.len()) {
                    wire::copy_bytes(o, tags);
                }
                tags.len()
            }
            Repr::Slice(s) => s.iter().fold(0, |n, a| put_tags(out, n, a)),
        }
    }

    /// Writes the type tags (without comma) into the front of `tags` and the argument data into `w`,
    /// in one pass over values.
    #[inline(always)]
    pub(crate) fn write_tags_and_data(
        &self,
        tags: &mut [u8],
        w: &mut wire::Writer<'_>,
    ) -> Result<(), crate::EncodeError> {
        let Repr::Slice(s) = self.0 else {
            self.fill_tags(tags);
            return self.write_data(w);
        };
        let mut n = 0usize;
        for a in s {
            if let Arg::Array(_) = a {
                n = put_tags(tags, n, a);
                write_arg_data(a, w)?;
            } else {
                // The tag comes from the same `match` that writes the value.
                let tag = write_arg_data(a, w)?;
                if let Some(o) = tags.get_mut(n) {
                    *o = tag;
                }
                n += 1;
            }
        }
        Ok(())
    }

    /// Writes the argument data into `w`.
    #[inline(always)]
    pub(crate) fn write_data(&self, w: &mut wire::Writer<'_>) -> Result<(), crate::EncodeError> {
        match self.0 {
            // Values straight from the slice, without copying each out through the iterator.
            Repr::Slice(s) => {
                for a in s {
                    write_arg_data(a, w)?;
                }
            }
            Repr::Wire { .. } => {
                for a in self.iter() {
                    write_arg_data(&a, w)?;
                }
            }
        }
        Ok(())
    }
}

/// Writes the type tags of `a` into `tags` at `n` (an array's brackets and its values' tags) and returns
/// where the next tags go.
#[inline(always)]
fn put_tags(tags: &mut [u8], n: usize, a: &Arg<'_>) -> usize {
    let Arg::Array(inner) = a else {
        if let Some(o) = tags.get_mut(n) {
            *o = tag_byte(a);
        }
        return n + 1;
    };
    if let Some(o) = tags.get_mut(n) {
        *o = b'[';
    }
    let close = n + 1 + array_fill_tags(inner, tags.get_mut(n + 1..).unwrap_or_default());
    if let Some(o) = tags.get_mut(close) {
        *o = b']';
    }
    close + 1
}

/// The type-tag character of a value that is not an array (one `match`, where
/// `type_tag().as_byte()` takes two).
#[inline]
const fn tag_byte(a: &Arg<'_>) -> u8 {
    match a {
        Arg::Int(_) => b'i',
        Arg::Float(_) => b'f',
        Arg::String(_) => b's',
        Arg::Blob(_) => b'b',
        Arg::Long(_) => b'h',
        Arg::Double(_) => b'd',
        Arg::Time(_) => b't',
        Arg::Symbol(_) => b'S',
        Arg::Char(_) => b'c',
        Arg::Color(_) => b'r',
        Arg::Midi(_) => b'm',
        Arg::Bool(true) => b'T',
        Arg::Bool(false) => b'F',
        Arg::Nil => b'N',
        Arg::Impulse => b'I',
        Arg::Array(_) => b'[',
    }
}

#[inline]
fn arg_data_size(a: &Arg<'_>) -> usize {
    match a {
        Arg::Int(_) | Arg::Float(_) | Arg::Char(_) | Arg::Color(_) | Arg::Midi(_) => 4,
        Arg::Long(_) | Arg::Double(_) | Arg::Time(_) => 8,
        Arg::String(s) | Arg::Symbol(s) => wire::string_size(s.len()),
        Arg::Blob(b) => wire::blob_size(b.len()),
        Arg::Bool(_) | Arg::Nil | Arg::Impulse => 0,
        Arg::Array(inner) => array_data_size(inner),
    }
}

/// Arrays recurse out of line, so that the per-value functions inline into the loops over values.
#[inline(never)]
fn array_data_size(inner: &Args<'_>) -> usize {
    inner.data_size()
}

#[inline(never)]
fn array_tag_count(inner: &Args<'_>) -> usize {
    inner.tag_count()
}

#[inline(never)]
fn array_fill_tags(inner: &Args<'_>, out: &mut [u8]) -> usize {
    inner.fill_tags(out)
}

#[inline(never)]
fn array_write_data(inner: &Args<'_>, w: &mut wire::Writer<'_>) -> Result<(), crate::EncodeError> {
    inner.write_data(w)
}

/// Checks that a string argument has no interior NUL.
pub(crate) fn check_no_nul(s: &[u8]) -> Result<(), crate::EncodeError> {
    match wire::find_nul(s) {
        Some(offset) => Err(crate::EncodeError::StringHasNul { offset }),
        None => Ok(()),
    }
}

/// Writes the data of `a` and returns its type tag (`[` for an array, whose other tags
/// [`put_tags`] writes).
#[inline(always)]
fn write_arg_data(a: &Arg<'_>, w: &mut wire::Writer<'_>) -> Result<u8, crate::EncodeError> {
    Ok(match *a {
        Arg::Int(v) => {
            w.put(&v.to_be_bytes())?;
            b'i'
        }
        Arg::Float(v) => {
            w.put(&v.to_be_bytes())?;
            b'f'
        }
        Arg::String(s) | Arg::Symbol(s) => {
            check_no_nul(s.as_bytes())?;
            w.put_str(s.as_bytes())?;
            tag_byte(a)
        }
        Arg::Blob(b) => {
            w.put_blob(b)?;
            b'b'
        }
        Arg::Long(v) => {
            w.put(&v.to_be_bytes())?;
            b'h'
        }
        Arg::Double(v) => {
            w.put(&v.to_be_bytes())?;
            b'd'
        }
        Arg::Time(t) => {
            w.put(&t.to_bits().to_be_bytes())?;
            b't'
        }
        Arg::Char(c) => {
            w.put(&u32::from(c).to_be_bytes())?;
            b'c'
        }
        Arg::Color(c) => {
            w.put(&c.to_u32().to_be_bytes())?;
            b'r'
        }
        Arg::Midi(m) => {
            w.put(&m.to_bytes())?;
            b'm'
        }
        Arg::Bool(_) | Arg::Nil | Arg::Impulse => tag_byte(a),
        Arg::Array(inner) => {
            array_write_data(&inner, w)?;
            b'['
        }
    })
}

impl PartialEq for Args<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.iter().eq(other.iter())
    }
}

impl fmt::Debug for Args<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

#[cfg(feature = "defmt")]
impl defmt::Format for Args<'_> {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(f, "[");
        for (i, a) in self.iter().enumerate() {
            if i > 0 {
                defmt::write!(f, ", ");
            }
            defmt::write!(f, "{}", a);
        }
        defmt::write!(f, "]");
    }
}

impl<'a> IntoIterator for Args<'a> {
    type Item = Arg<'a>;
    type IntoIter = ArgIter<'a>;
    fn into_iter(self) -> ArgIter<'a> {
        self.iter()
    }
}

impl<'a> IntoIterator for &Args<'a> {
    type Item = Arg<'a>;
    type IntoIter = ArgIter<'a>;
    fn into_iter(self) -> ArgIter<'a> {
        self.iter()
    }
}

/// Iterator over [`Args`], yielding each [`Arg`] by value.
// A struct rather than an enum of the two kinds (one of the two parts is always empty): the optimizer
// keeps a struct's fields in registers in the caller's loop, but not an enum's.
#[derive(Clone)]
pub struct ArgIter<'a> {
    /// Values (for arguments built from a slice).
    slice: core::slice::Iter<'a, Arg<'a>>,
    /// Validated type tags and data (for decoded arguments).
    tags: &'a [u8],
    data: &'a [u8],
}

impl ArgIter<'_> {
    /// Whether no argument is left: a cheap test that does not read one. Decoded tags left over always
    /// start another argument (validation rejects unknown tags and a `]` without its `[`).
    #[inline]
    pub(crate) fn is_done(&self) -> bool {
        self.slice.len() == 0 && self.tags.is_empty()
    }
}

impl<'a> Iterator for ArgIter<'a> {
    type Item = Arg<'a>;

    #[inline(always)]
    fn next(&mut self) -> Option<Arg<'a>> {
        match self.slice.next() {
            Some(a) => Some(*a),
            None if cfg!(feature = "small") => compact::next_wire(&mut self.tags, &mut self.data),
            None => next_wire(&mut self.tags, &mut self.data),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.slice.len();
        (
            n.saturating_add(usize::from(!self.tags.is_empty())),
            Some(n.saturating_add(self.tags.len())),
        )
    }
}

impl core::iter::FusedIterator for ArgIter<'_> {}

/// Reads the next argument from validated wire data. Returns `None` at the end (or, impossibly, on data
/// that did not pass validation).
#[inline(always)]
fn next_wire<'a>(tags: &mut &'a [u8], data: &mut &'a [u8]) -> Option<Arg<'a>> {
    let (&t, rest) = tags.split_first()?;
    *tags = rest;
    Some(match t {
        b'i' => Arg::Int(i32::from_be_bytes(wire::take(data)?)),
        b'f' => Arg::Float(f32::from_be_bytes(wire::take(data)?)),
        b's' => Arg::String(core::str::from_utf8(wire::take_str(data)?).ok()?),
        b'S' => Arg::Symbol(core::str::from_utf8(wire::take_str(data)?).ok()?),
        b'b' => Arg::Blob(wire::take_blob(data)?),
        b'h' => Arg::Long(i64::from_be_bytes(wire::take(data)?)),
        b'd' => Arg::Double(f64::from_be_bytes(wire::take(data)?)),
        b't' => Arg::Time(TimeTag::from_bits(u64::from_be_bytes(wire::take(data)?))),
        b'c' => Arg::Char(char::from_u32(u32::from_be_bytes(wire::take(data)?))?),
        b'r' => Arg::Color(Color::from_u32(u32::from_be_bytes(wire::take(data)?))),
        b'm' => Arg::Midi(Midi::from_bytes(wire::take(data)?)),
        b'T' => Arg::Bool(true),
        b'F' => Arg::Bool(false),
        b'N' => Arg::Nil,
        b'I' => Arg::Impulse,
        b'[' => {
            let (array, t, d) = next_wire_array(tags, data)?;
            *tags = t;
            *data = d;
            Arg::Array(array)
        }
        _ => return None,
    })
}

/// The array whose `[` was just taken off `tags`, and the tags and data after it. Out of line, so that
/// [`next_wire`] stays small enough to inline into the caller's loop; by value, so that the caller's
/// iterator state can stay in registers.
#[inline(never)]
fn next_wire_array<'a>(tags: &'a [u8], data: &'a [u8]) -> Option<(Args<'a>, &'a [u8], &'a [u8])> {
    let end = wire::array_end(tags)?;
    let inner_tags = tags.get(..end)?;
    let rest = tags.get(end.checked_add(1)?..)?;
    let n = wire::data_len(inner_tags, data)?;
    let (inner_data, after) = data.split_at_checked(n)?;
    Some((Args::wire(inner_tags, inner_data), rest, after))
}
