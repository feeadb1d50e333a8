//! [`OwnedMessage`]: a message copied out of the packet it arrived in.

use std::fmt;

use osc_core::{
    Arg, ArgError, ArgIter, DecodeConfig, DecodeError, EncodeError, FromArgs, Message, Packet,
    MAX_DEPTH_LIMIT,
};

/// A message that owns its bytes, so that it can outlive the receive buffer: `Send + Sync +
/// 'static`, for a channel, another thread or an async task (the async routes of the tokio servers
/// hand their handlers one).
///
/// It holds the message's wire bytes (one allocation) and gives back a borrowed
/// [`Message`] with [`message`](Self::message), which decodes them again (a zero-copy walk, tens of
/// nanoseconds for a small message). The address is kept as it came: an incoming address that the
/// encoder would refuse (a space, from a tolerant decode) is copied all the same.
///
/// ```
/// use osc_core::Arg;
/// use osc_std::OwnedMessage;
///
/// let bytes = b"/synth/1/freq\0\0\0,ifs\0\0\0\0\0\0\x01\xb8\x3f\0\0\0sine\0\0\0\0";
/// let packet = osc_core::decode(bytes)?;
/// let owned = OwnedMessage::new(packet.as_message().unwrap())?;
/// drop(packet);
///
/// let task = std::thread::spawn(move || {
///     let (hz, gain, wave): (i32, f32, &str) = owned.get().unwrap();
///     (owned.address().to_string(), hz, gain, wave.to_string())
/// });
/// assert_eq!(task.join().unwrap(), ("/synth/1/freq".into(), 440, 0.5, "sine".into()));
///
/// let built = OwnedMessage::new(&osc_core::Message::new("/a", &[Arg::Int(1)]))?;
/// assert_eq!(built.as_bytes(), b"/a\0\0,i\0\0\0\0\0\x01");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct OwnedMessage {
    bytes: Box<[u8]>,
}

impl OwnedMessage {
    /// Copies `message` (address and arguments) into one owned buffer.
    ///
    /// Errors: the address does not start with `/` or holds a NUL; an argument cannot be encoded
    /// (a string with a NUL, a blob too large); arrays are nested deeper than
    /// [`MAX_DEPTH_LIMIT`] ([`EncodeError::TooLarge`]). A decoded message always copies.
    pub fn new(message: &Message<'_>) -> Result<Self, EncodeError> {
        let address = message.address().as_bytes();
        if address.first() != Some(&b'/') {
            return Err(EncodeError::AddressNoSlash);
        }
        if let Some(offset) = address.iter().position(|&b| b == 0) {
            return Err(EncodeError::AddressBadChar { offset });
        }
        // The arguments are encoded behind a stand-in address of one word ("/" and padding), which
        // is then swapped for the real one: the encoder's address rules are for sending, and a
        // copy keeps what arrived.
        let args = Message::with_args("/", message.args());
        let mut tail = vec![0u8; args.encoded_len()];
        let n = args.encode(&mut tail)?;
        let padded = (address.len() + 4) & !3;
        let mut bytes = Vec::with_capacity(padded + n - 4);
        bytes.extend_from_slice(address);
        bytes.resize(padded, 0);
        bytes.extend_from_slice(tail.get(4..n).unwrap_or_default());
        // What `message` will decode: only arrays nested too deep for any decoder fail here.
        if !matches!(read(&bytes), Ok(Packet::Message(_))) {
            return Err(EncodeError::TooLarge);
        }
        Ok(Self {
            bytes: bytes.into_boxed_slice(),
        })
    }

    /// The message, borrowed from this copy.
    pub fn message(&self) -> Message<'_> {
        match read(&self.bytes) {
            Ok(Packet::Message(m)) => m,
            // Not reached: `new` checked that these bytes decode to a message.
            _ => Message::new("/", &[]),
        }
    }

    /// The address (or address pattern).
    pub fn address(&self) -> &str {
        self.message().address()
    }

    /// Typed extraction of all arguments at once, as [`Message::get`] does.
    ///
    /// ```
    /// use osc_core::{Arg, Message};
    /// use osc_std::OwnedMessage;
    ///
    /// let owned = OwnedMessage::new(&Message::new("/xy", &[Arg::Float(0.25), Arg::String("a")]))?;
    /// let (x, name): (f32, &str) = owned.get()?;
    /// assert_eq!((x, name), (0.25, "a"));
    /// assert_eq!(owned.get_prefix::<(f32,)>()?, (0.25,));
    /// assert_eq!(owned.arg(1), Some(Arg::String("a")));
    /// assert_eq!(owned.iter().count(), 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn get<'s, T: FromArgs<'s>>(&'s self) -> Result<T, ArgError> {
        self.message().get()
    }

    /// Typed extraction of the first arguments, ignoring any that follow ([`Message::get_prefix`]).
    pub fn get_prefix<'s, T: FromArgs<'s>>(&'s self) -> Result<T, ArgError> {
        self.message().get_prefix()
    }

    /// The argument at `index`.
    pub fn arg(&self, index: usize) -> Option<Arg<'_>> {
        self.message().arg(index)
    }

    /// An iterator over the arguments.
    pub fn iter(&self) -> ArgIter<'_> {
        self.message().iter()
    }

    /// The message's OSC bytes, as a datagram or a stream frame's payload carries them.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }
}

/// Decodes the bytes of an [`OwnedMessage`], with arrays as deep as any decoder takes them.
fn read(bytes: &[u8]) -> Result<Packet<'_>, DecodeError> {
    DecodeConfig::new().max_depth(MAX_DEPTH_LIMIT).decode(bytes)
}

impl TryFrom<&Message<'_>> for OwnedMessage {
    type Error = EncodeError;

    fn try_from(message: &Message<'_>) -> Result<Self, EncodeError> {
        Self::new(message)
    }
}

impl PartialEq<Message<'_>> for OwnedMessage {
    fn eq(&self, other: &Message<'_>) -> bool {
        self.message() == *other
    }
}

impl fmt::Debug for OwnedMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.message(), f)
    }
}

impl fmt::Display for OwnedMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.message(), f)
    }
}

#[cfg(test)]
mod tests {
    use osc_core::{Arg, Args, Message};

    use super::*;

    #[test]
    fn copies_every_argument_kind_and_gives_it_back() {
        let nested = [Arg::Int(2), Arg::String("x")];
        let args = [
            Arg::Int(-1),
            Arg::Float(0.25),
            Arg::String("sine"),
            Arg::Blob(&[1, 2, 3]),
            Arg::Long(1 << 40),
            Arg::Double(1.5),
            Arg::Symbol("sym"),
            Arg::Char('c'),
            Arg::Bool(true),
            Arg::Nil,
            Arg::Array(Args::from_slice(&nested)),
        ];
        let built = Message::new("/a/long/address", &args);
        let owned = OwnedMessage::new(&built).unwrap();
        assert_eq!(owned, built);
        let mut wire = vec![0u8; built.encoded_len()];
        built.encode(&mut wire).unwrap();
        assert_eq!(owned.as_bytes(), &wire[..]);
        assert_eq!(owned.address(), "/a/long/address");
    }

    #[test]
    fn keeps_an_address_that_only_a_tolerant_decode_takes() {
        // Spaces are refused by the encoder but come in from devices that send them.
        let packet = osc_core::decode(b"/a b\0\0\0\0,i\0\0\0\0\0\x07").unwrap();
        let owned = OwnedMessage::new(packet.as_message().unwrap()).unwrap();
        assert_eq!(owned.address(), "/a b");
        assert_eq!(owned.message().get::<(i32,)>().unwrap(), (7,));
        // Each address length pads to the next word, with at least one NUL.
        for address in ["/", "/ab", "/abc", "/abcd"] {
            let owned = OwnedMessage::new(&Message::new(address, &[])).unwrap();
            assert_eq!(owned.address(), address);
            assert_eq!(owned.as_bytes().len() % 4, 0);
        }
    }

    #[test]
    fn refuses_what_cannot_be_a_message() {
        assert_eq!(
            OwnedMessage::new(&Message::new("a", &[])),
            Err(EncodeError::AddressNoSlash)
        );
        assert_eq!(
            OwnedMessage::new(&Message::new("/a\0b", &[])),
            Err(EncodeError::AddressBadChar { offset: 2 })
        );
        assert_eq!(
            OwnedMessage::new(&Message::new("/a", &[Arg::String("a\0")])),
            Err(EncodeError::StringHasNul { offset: 1 })
        );
    }

    #[test]
    fn copies_arrays_as_deep_as_any_decoder_takes_them() {
        fn nest(depth: usize, f: &mut dyn FnMut(&Message<'_>)) {
            fn go(left: usize, inner: Args<'_>, f: &mut dyn FnMut(&Message<'_>)) {
                if left == 0 {
                    f(&Message::with_args("/deep", inner));
                } else {
                    let outer = [Arg::Array(inner)];
                    go(left - 1, Args::from_slice(&outer), f);
                }
            }
            go(depth, Args::from_slice(&[Arg::Int(1)]), f);
        }
        nest(MAX_DEPTH_LIMIT, &mut |m| {
            let owned = OwnedMessage::new(m).unwrap();
            assert_eq!(owned, *m);
        });
        nest(MAX_DEPTH_LIMIT + 1, &mut |m| {
            assert_eq!(OwnedMessage::new(m), Err(EncodeError::TooLarge));
        });
    }

    #[test]
    fn formats_as_the_message_does() {
        let m = Message::new("/f", &[Arg::Float(0.5)]);
        let owned = OwnedMessage::new(&m).unwrap();
        assert_eq!(format!("{owned}"), format!("{m}"));
        assert_eq!(format!("{owned:?}"), format!("{m:?}"));
    }
}
