//! An OSC packet: a message or a bundle.

use crate::bundle::Bundle;
use crate::decode::DecodeConfig;
use crate::error::{DecodeError, EncodeError};
use crate::message::Message;
use crate::wire::Writer;

/// An OSC packet: the content of one UDP datagram or one stream frame.
///
/// ```
/// use osc_core::Packet;
///
/// let bytes = b"/ping\0\0\0,\0\0\0";
/// let packet = Packet::decode(bytes).unwrap();
/// assert_eq!(packet.as_message().map(|m| m.address()), Some("/ping"));
///
/// let mut out = [0u8; 16];
/// let n = packet.encode(&mut out).unwrap();
/// assert_eq!(&out[..n], bytes);
/// ```
#[derive(Copy, Clone, Debug, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Packet<'a> {
    /// A message.
    Message(Message<'a>),
    /// A bundle.
    Bundle(Bundle<'a>),
}

impl<'a> Packet<'a> {
    /// Decodes and validates a packet with the default (tolerant) [`DecodeConfig`].
    #[cfg_attr(not(feature = "small"), inline(always))]
    pub fn decode(bytes: &'a [u8]) -> Result<Self, DecodeError> {
        DecodeConfig::new().decode(bytes)
    }

    /// The message, if this is one.
    pub const fn as_message(&self) -> Option<&Message<'a>> {
        match self {
            Packet::Message(m) => Some(m),
            Packet::Bundle(_) => None,
        }
    }

    /// The bundle, if this is one.
    pub const fn as_bundle(&self) -> Option<&Bundle<'a>> {
        match self {
            Packet::Bundle(b) => Some(b),
            Packet::Message(_) => None,
        }
    }

    /// The message, if this is one.
    pub const fn into_message(self) -> Option<Message<'a>> {
        match self {
            Packet::Message(m) => Some(m),
            Packet::Bundle(_) => None,
        }
    }

    /// The bundle, if this is one.
    pub const fn into_bundle(self) -> Option<Bundle<'a>> {
        match self {
            Packet::Bundle(b) => Some(b),
            Packet::Message(_) => None,
        }
    }

    /// The exact number of bytes [`encode`](Self::encode) writes.
    pub fn encoded_len(&self) -> usize {
        match self {
            Packet::Message(m) => m.encoded_len(),
            Packet::Bundle(b) => b.encoded_len(),
        }
    }

    /// Encodes the packet into `buf` and returns the number of bytes written.
    pub fn encode(&self, buf: &mut [u8]) -> Result<usize, EncodeError> {
        match self {
            Packet::Message(m) => m.encode(buf),
            Packet::Bundle(b) => b.encode(buf),
        }
    }

    pub(crate) fn write(&self, w: &mut Writer<'_>) -> Result<(), EncodeError> {
        match self {
            Packet::Message(m) => m.write(w),
            Packet::Bundle(b) => b.write(w),
        }
    }
}

impl<'a> From<Message<'a>> for Packet<'a> {
    fn from(m: Message<'a>) -> Self {
        Packet::Message(m)
    }
}

impl<'a> From<Bundle<'a>> for Packet<'a> {
    fn from(b: Bundle<'a>) -> Self {
        Packet::Bundle(b)
    }
}

/// Decodes and validates a packet with the default (tolerant) [`DecodeConfig`].
///
/// After this returns `Ok`, walking the arguments and bundle elements cannot fail. Strings, symbols, blobs
/// and the address borrow from `bytes`; nothing is copied or allocated.
///
/// ```
/// use osc_core::{decode, Arg};
///
/// let bytes = b"/synth/1/freq\0\0\0,ifs\0\0\0\0\0\0\x01\xb8?\0\0\0sine\0\0\0\0";
/// let msg = decode(bytes).unwrap().into_message().unwrap();
/// assert_eq!(msg.address(), "/synth/1/freq");
/// let args: Vec<Arg> = msg.iter().collect();
/// assert_eq!(args, [Arg::Int(440), Arg::Float(0.5), Arg::String("sine")]);
/// ```
#[cfg_attr(not(feature = "small"), inline(always))]
pub fn decode(bytes: &[u8]) -> Result<Packet<'_>, DecodeError> {
    Packet::decode(bytes)
}
