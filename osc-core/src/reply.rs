//! [`Replies`]: where handlers encode the packets that go back to the sender.

use crate::builder::MessageBuilder;
use crate::error::EncodeError;
use crate::message::Message;
use crate::packet::Packet;

/// A reply sink over a caller's buffer: handlers encode zero or more reply packets into it, and the
/// adapter sends each one back to the sender (one datagram, or one stream frame, per reply).
///
/// The buffer holds the replies back to back, each preceded by its size as a big-endian int32, which is
/// exactly the OSC 1.0 length-prefixed stream format ([`as_length_prefixed`](Self::as_length_prefixed)).
/// A reply that does not fit is an error for that reply only; the ones before it stay.
///
/// ```
/// use osc_core::{Arg, Message, Replies};
///
/// let mut buf = [0u8; 128];
/// let mut replies = Replies::new(&mut buf);
/// replies.send(&Message::new("/ack", &[Arg::Int(1)]))?;
/// replies.message_with("/status", |m| m.string("ok"))?;
/// assert_eq!(replies.len(), 2);
/// let addresses: Vec<&str> = replies
///     .iter()
///     .map(|p| osc_core::decode(p).unwrap().into_message().unwrap().address())
///     .collect();
/// assert_eq!(addresses, ["/ack", "/status"]);
/// # Ok::<(), osc_core::EncodeError>(())
/// ```
#[derive(Debug)]
pub struct Replies<'b> {
    buf: &'b mut [u8],
    len: usize,
    count: usize,
}

impl<'b> Replies<'b> {
    /// An empty sink over `buf`.
    pub fn new(buf: &'b mut [u8]) -> Self {
        Self {
            buf,
            len: 0,
            count: 0,
        }
    }

    /// A sink with no room: every reply is refused with [`EncodeError::BufferTooSmall`].
    pub fn none() -> Replies<'static> {
        Replies {
            buf: &mut [],
            len: 0,
            count: 0,
        }
    }

    /// Where the next reply goes: the room after its 4-byte size slot, and the slot's position.
    fn room(&mut self) -> Result<(&mut [u8], usize), EncodeError> {
        let start = self.len + 4;
        let available = self.buf.len();
        let room = self
            .buf
            .get_mut(start..)
            .ok_or(EncodeError::BufferTooSmall {
                needed: start,
                available,
            })?;
        Ok((room, start))
    }

    /// Records a reply of `n` bytes written into [`room`](Self::room), or turns the error of writing
    /// it into one about the whole buffer. Not generic: every caller shares it.
    #[inline(never)]
    fn commit(&mut self, written: Result<usize, EncodeError>) -> Result<(), EncodeError> {
        let start = self.len + 4;
        let available = self.buf.len();
        let n = written.map_err(|e| match e {
            EncodeError::BufferTooSmall { needed, .. } => EncodeError::BufferTooSmall {
                needed: needed.saturating_add(start),
                available,
            },
            other => other,
        })?;
        let size = i32::try_from(n).map_err(|_| EncodeError::TooLarge)?;
        if let Some(slot) = self.buf.get_mut(self.len..start) {
            slot.copy_from_slice(&size.to_be_bytes());
        }
        self.len = start + n;
        self.count += 1;
        Ok(())
    }

    fn push(
        &mut self,
        write: impl FnOnce(&mut [u8]) -> Result<usize, EncodeError>,
    ) -> Result<(), EncodeError> {
        let written = write(self.room()?.0);
        self.commit(written)
    }

    /// Starts a reply message in [`room`](Self::room) (the non-generic half of
    /// [`message_with`](Self::message_with)).
    #[inline(never)]
    fn start_message(&mut self, address: &str) -> Result<MessageBuilder<'_>, EncodeError> {
        let (room, start) = self.room()?;
        let available = start + room.len();
        MessageBuilder::new(room, address).map_err(|e| match e {
            EncodeError::BufferTooSmall { needed, .. } => EncodeError::BufferTooSmall {
                needed: needed.saturating_add(start),
                available,
            },
            other => other,
        })
    }

    /// Encodes a reply message.
    pub fn send(&mut self, msg: &Message<'_>) -> Result<(), EncodeError> {
        self.push(|b| msg.encode(b))
    }

    /// Encodes a reply packet (a message or a bundle).
    pub fn send_packet(&mut self, packet: &Packet<'_>) -> Result<(), EncodeError> {
        self.push(|b| packet.encode(b))
    }

    /// Builds a reply message in place.
    pub fn message_with<F>(&mut self, address: &str, f: F) -> Result<(), EncodeError>
    where
        F: for<'x> FnOnce(MessageBuilder<'x>) -> Result<MessageBuilder<'x>, EncodeError>,
    {
        // Only the closure is generic: starting the message, finishing it and recording it are shared.
        let written = f(self.start_message(address)?).and_then(MessageBuilder::finish);
        self.commit(written)
    }

    /// Number of replies.
    #[allow(clippy::misnamed_getters)] // `len` is the reply count; the byte length is private.
    pub fn len(&self) -> usize {
        self.count
    }

    /// Whether there are no replies.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The encoded replies, in the order they were sent.
    pub fn iter(&self) -> ReplyIter<'_> {
        ReplyIter(self.as_length_prefixed())
    }

    /// All replies as one OSC 1.0 length-prefixed stream (each packet preceded by its int32 size).
    pub fn as_length_prefixed(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or_default()
    }

    /// Forgets all replies, keeping the buffer.
    pub fn clear(&mut self) {
        self.len = 0;
        self.count = 0;
    }
}

/// Iterator over the encoded packets in [`Replies`], or in any buffer of the same layout (packets back to
/// back, each preceded by its size as a big-endian int32).
#[derive(Clone, Debug)]
pub struct ReplyIter<'r>(&'r [u8]);

impl<'r> ReplyIter<'r> {
    /// Iterates the packets of a buffer laid out like [`Replies::as_length_prefixed`]; iteration stops at
    /// the first incomplete entry.
    ///
    /// ```
    /// let stream = b"\0\0\0\x08/a\0\0,\0\0\0\0\0\0\x08/b\0\0,\0\0\0";
    /// let packets: Vec<&[u8]> = osc_core::ReplyIter::new(stream).collect();
    /// assert_eq!(packets, [&b"/a\0\0,\0\0\0"[..], &b"/b\0\0,\0\0\0"[..]]);
    /// ```
    pub const fn new(bytes: &'r [u8]) -> Self {
        Self(bytes)
    }
}

impl<'r> Iterator for ReplyIter<'r> {
    type Item = &'r [u8];

    fn next(&mut self) -> Option<&'r [u8]> {
        let (size, rest) = self.0.split_first_chunk::<4>()?;
        let n = usize::try_from(u32::from_be_bytes(*size)).ok()?;
        let (packet, rest) = rest.split_at_checked(n)?;
        self.0 = rest;
        Some(packet)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Arg;

    #[test]
    fn a_reply_that_does_not_fit_keeps_the_earlier_ones() {
        let mut buf = [0u8; 40];
        let mut r = Replies::new(&mut buf);
        r.send(&Message::new("/a", &[Arg::Int(1)])).unwrap();
        assert_eq!(r.as_length_prefixed().len(), 16);
        let big = Message::new("/bbbbbbbbbbbbbbbbbbbbbbbb", &[Arg::Int(2)]);
        assert_eq!(
            r.send(&big),
            Err(EncodeError::BufferTooSmall {
                needed: 56,
                available: 40
            })
        );
        assert_eq!(r.len(), 1);
        assert_eq!(r.iter().count(), 1);
        r.clear();
        assert!(r.is_empty());
        assert!(Replies::none().send(&Message::new("/a", &[])).is_err());
    }
}
