//! [`Replies`]: where handlers encode the packets that go back to the sender.

use crate::builder::MessageBuilder;
use crate::error::EncodeError;
use crate::message::Message;
use crate::packet::Packet;
use crate::timetag::TimeTag;
use crate::types::{Color, Midi};

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
    // With `small`, out of line: the firmware of `tests/ci/footprint.sh` is smaller with it called.
    #[cfg_attr(feature = "small", inline(never))]
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

    /// Starts a reply message to `address`, built in place by `&mut` calls that can be chained and
    /// end with [`send`](ReplyMessage::send).
    ///
    /// The same bytes and errors as [`message_with`](Self::message_with), in less code: the
    /// arguments need no `?` (the first error is kept, and the rest of the message is skipped), and
    /// the message under construction stays where it is instead of moving at every call, which is
    /// what a handler on a small microcontroller pays for.
    ///
    /// ```
    /// use osc_core::Replies;
    ///
    /// let mut buf = [0u8; 64];
    /// let mut replies = Replies::new(&mut buf);
    /// replies.message("/sum").int(3).float(0.5).send()?;
    /// let long_address = "/a-reply-address-longer-than-the-64-byte-buffer-of-this-example";
    /// assert!(replies.message(long_address).int(1).send().is_err());
    /// assert_eq!(replies.len(), 1);
    /// assert_eq!(
    ///     replies.iter().next().unwrap(),
    ///     b"/sum\0\0\0\0,if\0\0\0\0\x03?\0\0\0"
    /// );
    /// # Ok::<(), osc_core::EncodeError>(())
    /// ```
    pub fn message(&mut self, address: &str) -> ReplyMessage<'_> {
        let start = self.len + 4;
        let available = self.buf.len();
        // The errors are kept as the builder reports them, and made ones about the whole buffer
        // by `send` (a start past the end is one of "0 bytes needed" in no room).
        let (state, slot) = match self.buf.split_at_mut_checked(start) {
            Some((head, room)) => (
                MessageBuilder::new(room, address).map_or_else(Building::Failed, Building::Open),
                head.get_mut(self.len..).unwrap_or_default(),
            ),
            None => (
                Building::Failed(EncodeError::BufferTooSmall {
                    needed: 0,
                    available: 0,
                }),
                &mut [][..],
            ),
        };
        ReplyMessage {
            state,
            slot,
            len: &mut self.len,
            count: &mut self.count,
            available,
        }
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

/// An error of a builder writing at offset `start` of a buffer of `available` bytes, made one about
/// the whole buffer.
fn widen(e: EncodeError, start: usize, available: usize) -> EncodeError {
    match e {
        EncodeError::BufferTooSmall { needed, .. } => EncodeError::BufferTooSmall {
            needed: needed.saturating_add(start),
            available,
        },
        other => other,
    }
}

/// A reply message being built in a [`Replies`] sink, from [`Replies::message`].
///
/// Each argument method appends one argument and returns the builder, so that calls chain; the
/// first error is kept, later arguments are then ignored, and [`send`](Self::send) returns it. The
/// reply is recorded only by `send`: a `ReplyMessage` dropped without it leaves the sink as it was.
/// The methods are those of [`MessageBuilder`], with the same bytes and the same errors.
///
/// ```
/// use osc_core::{EncodeError, Replies};
///
/// let mut buf = [0u8; 128];
/// let mut replies = Replies::new(&mut buf);
/// let mut m = replies.message("/status");
/// m.string("ok").begin_array().int(1).int(2).end_array();
/// m.blob(&[1, 2, 3]);
/// m.send()?;
/// // The first error is the one reported.
/// let e = replies.message("/bad").string("a\0b").int(1).end_array().send();
/// assert_eq!(e, Err(EncodeError::StringHasNul { offset: 1 }));
/// assert_eq!(replies.len(), 1);
/// let reply = osc_core::decode(replies.iter().next().unwrap()).unwrap();
/// assert_eq!(reply.into_message().unwrap().args().type_tags(), Some("s[ii]b"));
/// # Ok::<(), EncodeError>(())
/// ```
#[derive(Debug)]
#[must_use = "a reply is recorded only by `send`"]
pub struct ReplyMessage<'r> {
    state: Building<'r>,
    /// The reply's size slot, in front of the message.
    slot: &'r mut [u8],
    /// The sink's byte length and reply count.
    len: &'r mut usize,
    count: &'r mut usize,
    /// The size of the sink's buffer.
    available: usize,
}

/// Where a [`ReplyMessage`] stands.
#[derive(Debug)]
enum Building<'r> {
    Open(MessageBuilder<'r>),
    /// The first error, as the builder reported it (relative to its room).
    Failed(EncodeError),
    Sent,
}

impl ReplyMessage<'_> {
    /// Appends one argument (see [`MessageBuilder::put_arg`]): the one out-of-line step of every
    /// argument method.
    #[inline(never)]
    fn put(&mut self, tag: u8, data: &[u8]) -> &mut Self {
        if let Building::Open(b) = &mut self.state {
            if let Err(e) = b.put_arg(tag, data) {
                self.state = Building::Failed(e);
            }
        }
        self
    }

    /// Adds an `i` (int32).
    pub fn int(&mut self, v: i32) -> &mut Self {
        self.put(b'i', &v.to_be_bytes())
    }

    /// Adds an `f` (float32).
    pub fn float(&mut self, v: f32) -> &mut Self {
        self.put(b'f', &v.to_be_bytes())
    }

    /// Adds an `s` (string); a string containing NUL is an error.
    pub fn string(&mut self, s: &str) -> &mut Self {
        self.put(b's', s.as_bytes())
    }

    /// Adds an `S` (symbol); a symbol containing NUL is an error.
    pub fn symbol(&mut self, s: &str) -> &mut Self {
        self.put(b'S', s.as_bytes())
    }

    /// Adds a `b` (blob).
    pub fn blob(&mut self, bytes: &[u8]) -> &mut Self {
        self.put(b'b', bytes)
    }

    /// Adds an `h` (int64).
    pub fn long(&mut self, v: i64) -> &mut Self {
        self.put(b'h', &v.to_be_bytes())
    }

    /// Adds a `d` (float64).
    pub fn double(&mut self, v: f64) -> &mut Self {
        self.put(b'd', &v.to_be_bytes())
    }

    /// Adds a `t` (timetag).
    pub fn time(&mut self, t: TimeTag) -> &mut Self {
        self.put(b't', &t.to_bits().to_be_bytes())
    }

    /// Adds a `c` (char).
    pub fn char(&mut self, c: char) -> &mut Self {
        self.put(b'c', &u32::from(c).to_be_bytes())
    }

    /// Adds an `r` (RGBA color).
    pub fn color(&mut self, c: Color) -> &mut Self {
        self.put(b'r', &c.to_u32().to_be_bytes())
    }

    /// Adds an `m` (MIDI message).
    pub fn midi(&mut self, m: Midi) -> &mut Self {
        self.put(b'm', &m.to_bytes())
    }

    /// Adds `T` or `F`.
    pub fn bool(&mut self, v: bool) -> &mut Self {
        self.put(if v { b'T' } else { b'F' }, &[])
    }

    /// Adds `N` (nil).
    pub fn nil(&mut self) -> &mut Self {
        self.put(b'N', &[])
    }

    /// Adds `I` (impulse).
    pub fn impulse(&mut self) -> &mut Self {
        self.put(b'I', &[])
    }

    /// Opens an array (`[`); close it with [`end_array`](Self::end_array).
    pub fn begin_array(&mut self) -> &mut Self {
        self.put(b'[', &[])
    }

    /// Closes the innermost open array (`]`).
    pub fn end_array(&mut self) -> &mut Self {
        self.put(b']', &[])
    }

    /// Writes the type-tag string into place and records the reply in the sink; or returns the
    /// first error of the message, and the sink keeps only the replies before it.
    ///
    /// The reply is sent once: after the first call, `send` writes nothing more and returns the
    /// same result.
    #[inline(never)]
    pub fn send(&mut self) -> Result<(), EncodeError> {
        let written = match &mut self.state {
            Building::Open(b) => b.finish_in_place().and_then(|n| {
                i32::try_from(n)
                    .map(|size| (n, size))
                    .map_err(|_| EncodeError::TooLarge)
            }),
            Building::Failed(e) => Err(*e),
            Building::Sent => return Ok(()),
        };
        match written {
            Ok((n, size)) => {
                if let Some(slot) = self.slot.first_chunk_mut::<4>() {
                    *slot = size.to_be_bytes();
                }
                *self.len += 4 + n;
                *self.count += 1;
                self.state = Building::Sent;
                Ok(())
            }
            Err(e) => {
                self.state = Building::Failed(e);
                Err(widen(e, *self.len + 4, self.available))
            }
        }
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
    extern crate std;

    use super::*;
    use crate::Arg;
    use std::vec::Vec;

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

    /// One argument step, applied to both builders.
    #[derive(Clone, Copy, Debug)]
    enum Step {
        Int(i32),
        Float(f32),
        Str(&'static str),
        Sym(&'static str),
        Blob(&'static [u8]),
        Long(i64),
        Double(f64),
        Time(u64),
        Char(char),
        Color(u32),
        Midi([u8; 4]),
        Bool(bool),
        Nil,
        Impulse,
        Begin,
        End,
    }

    fn by_value(m: MessageBuilder<'_>, s: Step) -> Result<MessageBuilder<'_>, EncodeError> {
        match s {
            Step::Int(v) => m.int(v),
            Step::Float(v) => m.float(v),
            Step::Str(v) => m.string(v),
            Step::Sym(v) => m.symbol(v),
            Step::Blob(v) => m.blob(v),
            Step::Long(v) => m.long(v),
            Step::Double(v) => m.double(v),
            Step::Time(v) => m.time(TimeTag::from_bits(v)),
            Step::Char(v) => m.char(v),
            Step::Color(v) => m.color(Color::from_u32(v)),
            Step::Midi(v) => m.midi(Midi::from_bytes(v)),
            Step::Bool(v) => m.bool(v),
            Step::Nil => m.nil(),
            Step::Impulse => m.impulse(),
            Step::Begin => m.begin_array(),
            Step::End => m.end_array(),
        }
    }

    fn in_place(m: &mut ReplyMessage<'_>, s: Step) {
        match s {
            Step::Int(v) => m.int(v),
            Step::Float(v) => m.float(v),
            Step::Str(v) => m.string(v),
            Step::Sym(v) => m.symbol(v),
            Step::Blob(v) => m.blob(v),
            Step::Long(v) => m.long(v),
            Step::Double(v) => m.double(v),
            Step::Time(v) => m.time(TimeTag::from_bits(v)),
            Step::Char(v) => m.char(v),
            Step::Color(v) => m.color(Color::from_u32(v)),
            Step::Midi(v) => m.midi(Midi::from_bytes(v)),
            Step::Bool(v) => m.bool(v),
            Step::Nil => m.nil(),
            Step::Impulse => m.impulse(),
            Step::Begin => m.begin_array(),
            Step::End => m.end_array(),
        };
    }

    /// `message(..)...send()` writes the same bytes, counts and errors as `message_with`, for
    /// every buffer size, after an earlier reply, over sequences of every argument type (errors
    /// included: NUL in strings, unbalanced arrays, bad addresses, buffers too small).
    #[test]
    fn reply_message_agrees_with_message_with() {
        const STEPS: [Step; 18] = [
            Step::Int(-3),
            Step::Float(0.5),
            Step::Str("abc"),
            Step::Sym("sym\0x"),
            Step::Blob(&[1, 2, 3, 4, 5]),
            Step::Long(-9),
            Step::Double(2.25),
            Step::Time(0x0102_0304_0506_0708),
            Step::Char('\u{e9}'),
            Step::Color(0x1122_3344),
            Step::Midi([9, 8, 7, 6]),
            Step::Bool(true),
            Step::Bool(false),
            Step::Nil,
            Step::Impulse,
            Step::Begin,
            Step::End,
            Step::Str(""),
        ];
        let addresses = ["/a", "/reply/x", "no-slash", "/bad addr", "/"];
        // Deterministic pseudo-random step sequences.
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let mut checked = 0;
        for round in 0..400 {
            let len = (next() % 7) as usize;
            let steps: Vec<Step> = (0..len)
                .map(|_| STEPS[(next() % STEPS.len() as u64) as usize])
                .collect();
            let address = addresses[round % addresses.len()];
            for size in 0..96 {
                for earlier in [false, true] {
                    let (mut b1, mut b2) = ([0xaau8; 96], [0xaau8; 96]);
                    let (mut r1, mut r2) =
                        (Replies::new(&mut b1[..size]), Replies::new(&mut b2[..size]));
                    if earlier {
                        let e1 = r1.message_with("/e", |m| m.int(1));
                        let e2 = r2.message("/e").int(1).send();
                        assert_eq!(e1, e2);
                    }
                    let want = r1.message_with(address, |mut m| {
                        for &s in &steps {
                            m = by_value(m, s)?;
                        }
                        Ok(m)
                    });
                    let mut m = r2.message(address);
                    for &s in &steps {
                        in_place(&mut m, s);
                    }
                    let got = m.send();
                    assert_eq!(got, want, "{address} {steps:?} {size}");
                    // A second send writes nothing and gives the same answer.
                    assert_eq!(m.send(), want);
                    assert_eq!(r1.len(), r2.len());
                    assert_eq!(r1.as_length_prefixed(), r2.as_length_prefixed());
                    checked += usize::from(want.is_ok());
                }
            }
        }
        assert!(checked > 1000, "{checked}");
    }

    /// A `ReplyMessage` dropped without `send` leaves the sink as it was.
    #[test]
    fn reply_message_not_sent_is_not_recorded() {
        let mut buf = [0u8; 64];
        let mut r = Replies::new(&mut buf);
        r.message("/a").int(1).send().unwrap();
        let _ = r.message("/b").int(2);
        assert_eq!(r.len(), 1);
        assert_eq!(r.as_length_prefixed().len(), 16);
    }
}
