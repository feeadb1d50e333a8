//! OSC messages: an address (pattern) and a list of arguments.

use core::fmt;

use crate::error::{ArgError, EncodeError};
use crate::extract::FromArgs;
use crate::types::{Arg, ArgIter, Args};
use crate::wire::{self, Writer};

/// An OSC message: an address (or address pattern) and its arguments.
///
/// A decoded message borrows its address, strings and blobs from the packet; a message to encode borrows
/// them from the caller. Both kinds compare, iterate and encode the same way.
///
/// ```
/// use osc_core::{Arg, Message};
///
/// let msg = Message::new("/synth/1/freq", &[Arg::Int(440), Arg::Float(0.5), Arg::String("sine")]);
/// let mut buf = [0u8; 64];
/// let n = msg.encode(&mut buf).unwrap();
/// assert_eq!(n, msg.encoded_len());
/// assert_eq!(&buf[..16], b"/synth/1/freq\0\0\0");
///
/// let back = osc_core::decode(&buf[..n]).unwrap().into_message().unwrap();
/// assert_eq!(back, msg);
/// let (freq, gain, wave): (i32, f32, &str) = back.get().unwrap();
/// assert_eq!((freq, gain, wave), (440, 0.5, "sine"));
/// ```
#[derive(Copy, Clone, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Message<'a> {
    address: &'a str,
    args: Args<'a>,
}

impl<'a> Message<'a> {
    /// A message with arguments given as a slice of values.
    ///
    /// The address is checked when the message is encoded.
    pub const fn new(address: &'a str, args: &'a [Arg<'a>]) -> Self {
        Self {
            address,
            args: Args::from_slice(args),
        }
    }

    /// A message with an [`Args`] list (for example the arguments of another message).
    pub const fn with_args(address: &'a str, args: Args<'a>) -> Self {
        Self { address, args }
    }

    /// The address (or address pattern).
    pub const fn address(&self) -> &'a str {
        self.address
    }

    /// The arguments.
    pub const fn args(&self) -> Args<'a> {
        self.args
    }

    /// An iterator over the arguments.
    pub fn iter(&self) -> ArgIter<'a> {
        self.args.iter()
    }

    /// The argument at `index`.
    pub fn arg(&self, index: usize) -> Option<Arg<'a>> {
        self.args.get(index)
    }

    /// Typed extraction of all arguments at once, with a clear error on a count or type mismatch.
    ///
    /// `T` is a tuple of types implementing [`FromArg`](crate::FromArg) (`i32`, `f32`, `&str`, `&[u8]`,
    /// `i64`, `f64`, `bool`, [`TimeTag`](crate::TimeTag), [`Arg`], [`Args`], …). The message must have
    /// exactly as many arguments as the tuple has elements.
    ///
    /// ```
    /// use osc_core::{Arg, ArgError, Message};
    /// let msg = Message::new("/xy", &[Arg::Float(0.25), Arg::Float(0.75)]);
    /// let (x, y): (f32, f32) = msg.get().unwrap();
    /// assert_eq!((x, y), (0.25, 0.75));
    /// assert_eq!(msg.get::<(f32,)>(), Err(ArgError::TooMany { expected: 1, found: 2 }));
    /// ```
    pub fn get<T: FromArgs<'a>>(&self) -> Result<T, ArgError> {
        let mut it = self.arg_iter();
        let v = T::from_args(&mut it)?;
        self.all_taken(&it, T::COUNT)?;
        Ok(v)
    }

    /// The end of [`get`](Self::get): an error if `it` has arguments left after `count`. With
    /// `small`, one copy shared by every `get::<T>`.
    #[cfg_attr(not(feature = "small"), inline)]
    #[cfg_attr(feature = "small", inline(never))]
    fn all_taken(&self, it: &ArgIter<'a>, count: usize) -> Result<(), ArgError> {
        if it.is_done() {
            Ok(())
        } else {
            Err(self.too_many(count))
        }
    }

    /// The iterator of [`get`](Self::get): with `small`, one copy shared by every `get::<T>`.
    #[cfg_attr(not(feature = "small"), inline)]
    #[cfg_attr(feature = "small", inline(never))]
    fn arg_iter(&self) -> ArgIter<'a> {
        self.args.iter()
    }

    /// The error of [`get`](Self::get) for arguments left over (out of line: it is not generic).
    #[cold]
    #[cfg_attr(not(feature = "small"), inline(never))]
    fn too_many(&self, expected: usize) -> ArgError {
        ArgError::TooMany {
            expected,
            found: self.args.len(),
        }
    }

    /// Typed extraction of the first arguments, ignoring any that follow.
    pub fn get_prefix<T: FromArgs<'a>>(&self) -> Result<T, ArgError> {
        T::from_args(&mut self.args.iter())
    }

    /// The exact number of bytes [`encode`](Self::encode) writes.
    pub fn encoded_len(&self) -> usize {
        let (ntags, data) = self.args.sizes();
        wire::string_size(self.address.len())
            .saturating_add(wire::string_size(ntags.saturating_add(1)))
            .saturating_add(data)
    }

    /// Encodes the message into `buf` and returns the number of bytes written.
    ///
    /// Errors: [`EncodeError::BufferTooSmall`] with the exact size needed, an address that does not start
    /// with `/` or contains a space, `#` or a control character, a string or symbol with a NUL. On
    /// error, `buf` may hold part of the message.
    pub fn encode(&self, buf: &mut [u8]) -> Result<usize, EncodeError> {
        wire::encode_with(buf, |w| self.write(w), || self.encoded_len())
    }

    #[inline]
    pub(crate) fn write(&self, w: &mut Writer<'_>) -> Result<(), EncodeError> {
        let ntags = self.args.tag_count();
        check_address(self.address)?;
        w.put_str(self.address.as_bytes())?;
        // The type-tag string, and the data after it in the same pass over the arguments.
        w.reserve_then(wire::string_size(ntags.saturating_add(1)), |out, data| {
            // The NUL padding first: it is in the last word, which the tags may partly overwrite.
            if let Some(last) = out.last_chunk_mut::<4>() {
                *last = [0; 4];
            }
            match out.split_first_mut() {
                Some((comma, tags)) => {
                    *comma = b',';
                    self.args.write_tags_and_data(tags, data)
                }
                None => Ok(()),
            }
        })
    }
}

/// Checks an address for encoding: a leading `/`, and no space, `#`, NUL or other control character.
pub(crate) fn check_address(address: &str) -> Result<(), EncodeError> {
    let bytes = address.as_bytes();
    if bytes.first() != Some(&b'/') {
        return Err(EncodeError::AddressNoSlash);
    }
    // The word-at-a-time pre-check is left out with `small`.
    if !cfg!(feature = "small") && !wire::may_have_bad_address_byte(bytes) {
        return Ok(());
    }
    match bytes
        .iter()
        .position(|&b| b <= b' ' || b == b'#' || b == 0x7f)
    {
        Some(offset) => Err(EncodeError::AddressBadChar { offset }),
        None => Ok(()),
    }
}

impl fmt::Debug for Message<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Message")
            .field("address", &self.address)
            .field("args", &self.args)
            .finish()
    }
}

impl<'a> IntoIterator for &Message<'a> {
    type Item = Arg<'a>;
    type IntoIter = ArgIter<'a>;
    fn into_iter(self) -> ArgIter<'a> {
        self.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn address_checks() {
        assert_eq!(check_address("/ok/*/[a-z]"), Ok(()));
        assert_eq!(check_address(""), Err(EncodeError::AddressNoSlash));
        assert_eq!(check_address("a/b"), Err(EncodeError::AddressNoSlash));
        assert_eq!(
            check_address("/a b"),
            Err(EncodeError::AddressBadChar { offset: 2 })
        );
        assert_eq!(
            check_address("/a#"),
            Err(EncodeError::AddressBadChar { offset: 2 })
        );
        assert_eq!(
            check_address("/a\0"),
            Err(EncodeError::AddressBadChar { offset: 2 })
        );
    }

    #[test]
    fn encode_errors() {
        let mut buf = [0u8; 64];
        assert_eq!(
            Message::new("nope", &[]).encode(&mut buf),
            Err(EncodeError::AddressNoSlash)
        );
        assert_eq!(
            Message::new("/s", &[Arg::String("a\0b")]).encode(&mut buf),
            Err(EncodeError::StringHasNul { offset: 1 })
        );
        assert_eq!(
            Message::new("/s", &[Arg::Symbol("\0")]).encode(&mut buf),
            Err(EncodeError::StringHasNul { offset: 0 })
        );
    }

    #[test]
    fn exact_fit_and_one_short() {
        let args = [Arg::String("abcd"), Arg::Blob(&[1, 2, 3]), Arg::Bool(true)];
        let msg = Message::new("/abc", &args);
        let len = msg.encoded_len();
        assert_eq!(len, 8 + 8 + 8 + 8);
        let mut buf = [0xaau8; 32];
        assert_eq!(msg.encode(&mut buf), Ok(len));
        assert_eq!(
            &buf[..],
            b"/abc\0\0\0\0,sbT\0\0\0\0abcd\0\0\0\0\0\0\0\x03\x01\x02\x03\0"
        );
        assert_eq!(
            msg.encode(&mut buf[..len - 1]),
            Err(EncodeError::BufferTooSmall {
                needed: len,
                available: len - 1
            })
        );
    }
}
