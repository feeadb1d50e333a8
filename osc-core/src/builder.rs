//! Non-allocating builders that write messages and bundles straight into a caller's buffer.
//!
//! [`MessageBuilder`] appends argument data as it goes and keeps the type tags at the far end of the buffer
//! until [`finish`](MessageBuilder::finish) moves them into place, so the number of arguments is not limited
//! by anything but the buffer. [`BundleBuilder`] writes each element's size before it and back-patches it
//! once the element is written, so elements can be built in place and bundles nest.

use crate::decode::BUNDLE_TAG;
use crate::error::EncodeError;
use crate::message::{check_address, Message};
use crate::packet::Packet;
use crate::timetag::TimeTag;
use crate::types::{check_no_nul, Arg, Color, Midi};
use crate::wire::{self, Writer};

/// Builds one message into a caller's buffer.
///
/// Every method returns the builder back or an error; nothing panics and nothing is allocated.
///
/// ```
/// use osc_core::MessageBuilder;
///
/// let mut buf = [0u8; 64];
/// let n = MessageBuilder::new(&mut buf, "/synth/1/freq")?
///     .int(440)?
///     .float(0.5)?
///     .string("sine")?
///     .finish()?;
/// assert_eq!(&buf[..n], b"/synth/1/freq\0\0\0,ifs\0\0\0\0\0\0\x01\xb8?\0\0\0sine\0\0\0\0");
/// # Ok::<(), osc_core::EncodeError>(())
/// ```
#[derive(Debug)]
pub struct MessageBuilder<'b> {
    buf: &'b mut [u8],
    /// End of the padded address; the type-tag string goes here at `finish`.
    addr_end: usize,
    /// End of the argument data written so far.
    pos: usize,
    /// Number of tags kept, in reverse order, at the end of `buf`.
    ntags: usize,
    /// Open arrays.
    depth: usize,
}

impl<'b> MessageBuilder<'b> {
    /// Starts a message with `address` (checked: a leading `/`, no space, `#` or control character).
    pub fn new(buf: &'b mut [u8], address: &str) -> Result<Self, EncodeError> {
        check_address(address)?;
        let mut w = Writer::new(buf);
        w.put_str(address.as_bytes())?;
        let addr_end = w.pos();
        let b = Self {
            buf: w.into_inner(),
            addr_end,
            pos: addr_end,
            ntags: 0,
            depth: 0,
        };
        b.check(0, 0)?;
        Ok(b)
    }

    /// Writes a field of `size` bytes (checked to fit) at the end of the data: the size `word`
    /// of a blob if any, then `data`, then NULs to the end of the field.
    #[inline(always)]
    fn write_field(&mut self, size: usize, word: Option<[u8; 4]>, data: &[u8]) {
        let start = self.pos;
        let field = self.buf.get_mut(start..start + size).unwrap_or_default();
        // The padding first, as one word: it is in the field's last 4 bytes (all fields but those
        // of no bytes have at least 4), which the data may share.
        if let Some(last) = field.last_chunk_mut::<4>() {
            *last = [0; 4];
        }
        let body = match word {
            Some(word) => {
                let (head, body) = field.split_at_mut_checked(4).unwrap_or_default();
                head.copy_from_slice(&word);
                body
            }
            None => field,
        };
        if let Some(out) = body.get_mut(..data.len()) {
            wire::copy_bytes(out, data);
        }
        self.pos = start + size;
    }

    /// The final message size if `data` more bytes and `tags` more tags were added.
    fn size_with(&self, data: usize, tags: usize) -> usize {
        self.pos
            .saturating_add(data)
            .saturating_add(wire::string_size(
                self.ntags.saturating_add(tags).saturating_add(1),
            ))
    }

    fn check(&self, data: usize, tags: usize) -> Result<(), EncodeError> {
        let needed = self.size_with(data, tags);
        if needed > self.buf.len() {
            Err(EncodeError::BufferTooSmall {
                needed,
                available: self.buf.len(),
            })
        } else {
            Ok(())
        }
    }

    /// Adds one tag and `data` (already encoded).
    fn push(mut self, tag: u8, data: &[u8]) -> Result<Self, EncodeError> {
        self.put(tag, data)?;
        Ok(self)
    }

    /// [`push`](Self::push) in place.
    fn put(&mut self, tag: u8, data: &[u8]) -> Result<(), EncodeError> {
        self.check(data.len(), 1)?;
        let end = self.pos + data.len();
        if let Some(out) = self.buf.get_mut(self.pos..end) {
            out.copy_from_slice(data);
        }
        self.pos = end;
        self.ntags += 1;
        let at = self.buf.len() - self.ntags;
        if let Some(t) = self.buf.get_mut(at) {
            *t = tag;
        }
        Ok(())
    }

    /// Adds an OSC-string (`s` or `S`).
    fn push_str(mut self, tag: u8, s: &str) -> Result<Self, EncodeError> {
        self.put_str(tag, s.as_bytes())?;
        Ok(self)
    }

    /// [`push_str`](Self::push_str) in place, on the string's bytes.
    fn put_str(&mut self, tag: u8, s: &[u8]) -> Result<(), EncodeError> {
        check_no_nul(s)?;
        let size = wire::string_size(s.len());
        self.check(size, 1)?;
        let mut w = Writer::new(self.buf.get_mut(self.pos..).unwrap_or_default());
        w.put_str(s)?;
        self.pos += size;
        self.put(tag, &[])
    }

    /// [`blob`](Self::blob) in place.
    fn put_blob(&mut self, bytes: &[u8]) -> Result<(), EncodeError> {
        let size = wire::blob_size(bytes.len());
        self.check(size, 1)?;
        let mut w = Writer::new(self.buf.get_mut(self.pos..).unwrap_or_default());
        w.put_blob(bytes)?;
        self.pos += size;
        self.put(b'b', &[])
    }

    /// Adds one argument in place: `tag` with its `data` already encoded, or a string or symbol
    /// (`data` its bytes, checked for NUL), a blob (`data` its bytes), or an array bracket. The one
    /// step of [`ReplyMessage`](crate::ReplyMessage), for every type: the same bytes and errors as
    /// the methods that take the builder, from one write of a field (an optional size word, the
    /// bytes, NUL padding to a multiple of 4).
    pub(crate) fn put_arg(&mut self, tag: u8, data: &[u8]) -> Result<(), EncodeError> {
        let size = match tag {
            b's' | b'S' => {
                check_no_nul(data)?;
                wire::string_size(data.len())
            }
            b'b' => wire::blob_size(data.len()),
            b'[' => {
                self.depth += 1;
                0
            }
            b']' => {
                self.depth = self
                    .depth
                    .checked_sub(1)
                    .ok_or(EncodeError::UnbalancedArray)?;
                0
            }
            _ => data.len(),
        };
        self.check(size, 1)?;
        let word = if tag == b'b' {
            let len = i32::try_from(data.len()).map_err(|_| EncodeError::TooLarge)?;
            Some(len.to_be_bytes())
        } else {
            None
        };
        self.write_field(size, word, data);
        self.ntags += 1;
        let at = self.buf.len() - self.ntags;
        if let Some(t) = self.buf.get_mut(at) {
            *t = tag;
        }
        Ok(())
    }

    /// Adds an `i` (int32).
    pub fn int(self, v: i32) -> Result<Self, EncodeError> {
        self.push(b'i', &v.to_be_bytes())
    }

    /// Adds an `f` (float32).
    pub fn float(self, v: f32) -> Result<Self, EncodeError> {
        self.push(b'f', &v.to_be_bytes())
    }

    /// Adds an `s` (string). Errors if it contains NUL.
    pub fn string(self, s: &str) -> Result<Self, EncodeError> {
        self.push_str(b's', s)
    }

    /// Adds an `S` (symbol). Errors if it contains NUL.
    pub fn symbol(self, s: &str) -> Result<Self, EncodeError> {
        self.push_str(b'S', s)
    }

    /// Adds a `b` (blob).
    pub fn blob(mut self, bytes: &[u8]) -> Result<Self, EncodeError> {
        self.put_blob(bytes)?;
        Ok(self)
    }

    /// Adds an `h` (int64).
    pub fn long(self, v: i64) -> Result<Self, EncodeError> {
        self.push(b'h', &v.to_be_bytes())
    }

    /// Adds a `d` (float64).
    pub fn double(self, v: f64) -> Result<Self, EncodeError> {
        self.push(b'd', &v.to_be_bytes())
    }

    /// Adds a `t` (timetag).
    pub fn time(self, t: TimeTag) -> Result<Self, EncodeError> {
        self.push(b't', &t.to_bits().to_be_bytes())
    }

    /// Adds a `c` (char).
    pub fn char(self, c: char) -> Result<Self, EncodeError> {
        self.push(b'c', &u32::from(c).to_be_bytes())
    }

    /// Adds an `r` (RGBA color).
    pub fn color(self, c: Color) -> Result<Self, EncodeError> {
        self.push(b'r', &c.to_u32().to_be_bytes())
    }

    /// Adds an `m` (MIDI message).
    pub fn midi(self, m: Midi) -> Result<Self, EncodeError> {
        self.push(b'm', &m.to_bytes())
    }

    /// Adds `T` or `F`.
    pub fn bool(self, v: bool) -> Result<Self, EncodeError> {
        self.push(if v { b'T' } else { b'F' }, &[])
    }

    /// Adds `N` (nil).
    pub fn nil(self) -> Result<Self, EncodeError> {
        self.push(b'N', &[])
    }

    /// Adds `I` (impulse).
    pub fn impulse(self) -> Result<Self, EncodeError> {
        self.push(b'I', &[])
    }

    /// Opens an array (`[`); close it with [`end_array`](Self::end_array).
    pub fn begin_array(mut self) -> Result<Self, EncodeError> {
        self.depth += 1;
        self.push(b'[', &[])
    }

    /// Closes the innermost open array (`]`).
    pub fn end_array(mut self) -> Result<Self, EncodeError> {
        self.depth = self
            .depth
            .checked_sub(1)
            .ok_or(EncodeError::UnbalancedArray)?;
        self.push(b']', &[])
    }

    /// Adds any argument, arrays included.
    pub fn arg(self, arg: &Arg<'_>) -> Result<Self, EncodeError> {
        match *arg {
            Arg::Int(v) => self.int(v),
            Arg::Float(v) => self.float(v),
            Arg::String(s) => self.string(s),
            Arg::Blob(b) => self.blob(b),
            Arg::Long(v) => self.long(v),
            Arg::Double(v) => self.double(v),
            Arg::Time(t) => self.time(t),
            Arg::Symbol(s) => self.symbol(s),
            Arg::Char(c) => self.char(c),
            Arg::Color(c) => self.color(c),
            Arg::Midi(m) => self.midi(m),
            Arg::Bool(v) => self.bool(v),
            Arg::Nil => self.nil(),
            Arg::Impulse => self.impulse(),
            Arg::Array(inner) => {
                let mut b = self.begin_array()?;
                for a in inner.iter() {
                    b = b.arg(&a)?;
                }
                b.end_array()
            }
        }
    }

    /// Adds every argument of `args`.
    pub fn args<'x>(
        mut self,
        args: impl IntoIterator<Item = Arg<'x>>,
    ) -> Result<Self, EncodeError> {
        for a in args {
            self = self.arg(&a)?;
        }
        Ok(self)
    }

    /// Writes the type-tag string into place and returns the message's size in bytes.
    pub fn finish(mut self) -> Result<usize, EncodeError> {
        self.finish_in_place()
    }

    /// [`finish`](Self::finish) without taking the builder, for [`ReplyMessage`](crate::ReplyMessage)
    /// (which then no longer uses it).
    pub(crate) fn finish_in_place(&mut self) -> Result<usize, EncodeError> {
        if self.depth != 0 {
            return Err(EncodeError::UnbalancedArray);
        }
        // Fits: `new` and every argument checked that the message would, tags included. The check
        // is left out with `small`; the default build keeps it in front of its `copy_within`s.
        let size = self.size_with(0, 0);
        if !cfg!(feature = "small") {
            self.check(0, 0)?;
        }
        let (addr_end, pos, ntags) = (self.addr_end, self.pos, self.ntags);
        let buf = &mut *self.buf;
        let len = buf.len();
        let tags_size = wire::string_size(ntags + 1);
        let data_len = pos - addr_end;
        let tags_at = len - ntags;
        if cfg!(feature = "small") {
            if let Some(rest) = buf.get_mut(addr_end..) {
                place_tags(rest, ntags, tags_size);
            }
            return Ok(size);
        }
        if addr_end + tags_size + data_len <= tags_at {
            // Room to spare: move the data once, then copy the tags (kept reversed at the end) in front.
            buf.copy_within(addr_end..pos, addr_end + tags_size);
            let (head, tail) = buf.split_at_mut(tags_at);
            if let Some(out) = head.get_mut(addr_end + 1..addr_end + 1 + ntags) {
                for (o, t) in out.iter_mut().zip(tail.iter().rev()) {
                    *o = *t;
                }
            }
        } else {
            // Tight buffer: put the (reversed) tags right after the data and reverse the two together,
            // which leaves the tags in order in front of the reversed data; reverse the data back (two
            // reversals are a rotation, without the code of `rotate_right`). Then open the gap for the
            // comma and padding (data first: it moves furthest).
            buf.copy_within(tags_at..len, pos);
            if let Some(region) = buf.get_mut(addr_end..pos + ntags) {
                region.reverse();
            }
            if let Some(data) = buf.get_mut(addr_end + ntags..pos + ntags) {
                data.reverse();
            }
            buf.copy_within(
                addr_end + ntags..addr_end + ntags + data_len,
                addr_end + tags_size,
            );
            buf.copy_within(addr_end..addr_end + ntags, addr_end + 1);
        }
        if let Some(c) = buf.get_mut(addr_end) {
            *c = b',';
        }
        if let Some(pad) = buf.get_mut(addr_end + 1 + ntags..addr_end + tags_size) {
            pad.fill(0);
        }
        Ok(size)
    }
}

/// [`MessageBuilder::finish`] with reversals only, for the `small` feature (no `memmove`, whose
/// Cortex-M0 code is larger than all of this). `rest` is the buffer after the address: the data at
/// the front, the `ntags` tags reversed at the very end, and room for the type-tag string
/// (`tags_size` bytes) between them. Leaves the type-tag string at the front and the data after it.
/// Out of line: less code in the firmware of `tests/ci/footprint.sh`.
#[inline(never)]
fn place_tags(rest: &mut [u8], ntags: usize, tags_size: usize) {
    // The tags in order at the front; the data reversed at the back.
    rest.reverse();
    // The data in order, right after the type-tag string's room.
    if let Some(data) = rest.get_mut(tags_size..) {
        data.reverse();
    }
    // The tags one byte on, after the comma: rotate the tags and the byte after them.
    if let Some(tags) = rest.get_mut(..=ntags) {
        tags.reverse();
    }
    if let Some(tags) = rest.get_mut(1..=ntags) {
        tags.reverse();
    }
    if let Some(comma) = rest.first_mut() {
        *comma = b',';
    }
    // The padding: 1 to 4 NULs, all in the room's last 4 bytes.
    let word = tags_size.saturating_sub(4);
    if let Some(last) = rest.get_mut(word..tags_size) {
        for (i, b) in last.iter_mut().enumerate() {
            if word + i > ntags {
                *b = 0;
            }
        }
    }
}

/// Builds a bundle into a caller's buffer; elements may be built in place, and bundles may nest.
///
/// ```
/// use osc_core::{Arg, BundleBuilder, Message, TimeTag};
///
/// let mut buf = [0u8; 256];
/// let n = BundleBuilder::new(&mut buf, TimeTag::IMMEDIATELY)?
///     .message(&Message::new("/a", &[Arg::Int(1)]))?
///     .message_with("/b", |m| m.float(0.5)?.string("x"))?
///     .bundle_with(TimeTag::new(3_900_000_000, 0), |inner| {
///         inner.message_with("/c", |m| m.bool(true))
///     })?
///     .finish()?;
///
/// let bundle = osc_core::decode(&buf[..n]).unwrap().into_bundle().unwrap();
/// assert_eq!(bundle.elements().count(), 3);
/// # Ok::<(), osc_core::EncodeError>(())
/// ```
#[derive(Debug)]
pub struct BundleBuilder<'b> {
    buf: &'b mut [u8],
    pos: usize,
}

impl<'b> BundleBuilder<'b> {
    /// Starts a bundle with `timetag`.
    pub fn new(buf: &'b mut [u8], timetag: TimeTag) -> Result<Self, EncodeError> {
        let mut w = Writer::new(buf);
        w.put(&BUNDLE_TAG)?;
        w.put(&timetag.to_bits().to_be_bytes())?;
        let pos = w.pos();
        Ok(Self {
            buf: w.into_inner(),
            pos,
        })
    }

    /// Runs `write` on the buffer after a 4-byte size slot, then fills in the slot.
    fn element(
        mut self,
        write: impl FnOnce(&mut [u8]) -> Result<usize, EncodeError>,
    ) -> Result<Self, EncodeError> {
        let len = self.buf.len();
        let start = self.pos + 4;
        if start > len {
            return Err(EncodeError::BufferTooSmall {
                needed: start,
                available: len,
            });
        }
        let n = write(self.buf.get_mut(start..).unwrap_or_default()).map_err(|e| match e {
            EncodeError::BufferTooSmall { needed, .. } => EncodeError::BufferTooSmall {
                needed: needed.saturating_add(start),
                available: len,
            },
            other => other,
        })?;
        let size = i32::try_from(n).map_err(|_| EncodeError::TooLarge)?;
        if let Some(slot) = self.buf.get_mut(self.pos..start) {
            slot.copy_from_slice(&size.to_be_bytes());
        }
        self.pos = start + n;
        Ok(self)
    }

    /// Adds a message.
    pub fn message(self, msg: &Message<'_>) -> Result<Self, EncodeError> {
        self.element(|b| msg.encode(b))
    }

    /// Adds a packet (a message or an already-built bundle value).
    pub fn packet(self, packet: &Packet<'_>) -> Result<Self, EncodeError> {
        self.element(|b| packet.encode(b))
    }

    /// Adds a message built in place by `f`.
    pub fn message_with<F>(self, address: &str, f: F) -> Result<Self, EncodeError>
    where
        F: for<'x> FnOnce(MessageBuilder<'x>) -> Result<MessageBuilder<'x>, EncodeError>,
    {
        self.element(|b| f(MessageBuilder::new(b, address)?)?.finish())
    }

    /// Adds a nested bundle built in place by `f`.
    pub fn bundle_with<F>(self, timetag: TimeTag, f: F) -> Result<Self, EncodeError>
    where
        F: for<'x> FnOnce(BundleBuilder<'x>) -> Result<BundleBuilder<'x>, EncodeError>,
    {
        self.element(|b| f(BundleBuilder::new(b, timetag)?)?.finish())
    }

    /// Returns the bundle's size in bytes.
    pub fn finish(self) -> Result<usize, EncodeError> {
        Ok(self.pos)
    }
}

#[cfg(test)]
mod tests {
    extern crate std;

    use super::*;
    use crate::Args;
    use std::vec;
    use std::vec::Vec;

    /// Every buffer size from too small to comfortable: errors below the exact size, and the same bytes
    /// as `Message::encode` from it on (this exercises the in-place tag move at every slack).
    #[test]
    fn builder_matches_encode_at_every_buffer_size() {
        let inner = [Arg::Int(7), Arg::String("in")];
        let args = [
            Arg::Int(-1),
            Arg::String("hello"),
            Arg::Blob(&[1, 2, 3, 4, 5]),
            Arg::Array(Args::from_slice(&inner)),
            Arg::Bool(false),
            Arg::Double(1.5),
        ];
        let msg = Message::new("/some/address", &args);
        let mut want = [0u8; 128];
        let n = msg.encode(&mut want).unwrap();
        for size in 0..128 {
            let mut buf = [0x55u8; 128];
            let r = MessageBuilder::new(&mut buf[..size], "/some/address")
                .and_then(|b| b.args(args.iter().copied()))
                .and_then(MessageBuilder::finish);
            if size < n {
                match r {
                    Err(EncodeError::BufferTooSmall { needed, available }) => {
                        assert_eq!(available, size);
                        assert!(needed > size && needed <= n, "{size}: {needed}");
                    }
                    other => panic!("{size}: {other:?}"),
                }
            } else {
                assert_eq!(r, Ok(n), "{size}");
                assert_eq!(&buf[..n], &want[..n], "{size}");
            }
        }
    }

    /// The reversals of the `small` feature (tested in every build): every count of tags and data
    /// bytes, every slack between the data and the tags, and nothing touched past the message.
    #[test]
    fn place_tags_puts_the_type_tags_in_front_of_the_data() {
        for ntags in 0..10usize {
            for data_len in 0..13usize {
                let tags_size = wire::string_size(ntags + 1);
                for slack in 0..9usize {
                    let len = tags_size + data_len + slack;
                    let mut rest = [0xEEu8; 40];
                    let data: Vec<u8> = (0..data_len).map(|i| 0x80 + i as u8).collect();
                    let tags: Vec<u8> = (0..ntags).map(|i| b'a' + i as u8).collect();
                    rest[..data_len].copy_from_slice(&data);
                    for (i, &t) in tags.iter().enumerate() {
                        rest[len - 1 - i] = t;
                    }
                    place_tags(&mut rest[..len], ntags, tags_size);
                    let mut want = vec![b','];
                    want.extend_from_slice(&tags);
                    want.resize(tags_size, 0);
                    want.extend_from_slice(&data);
                    assert_eq!(&rest[..want.len()], &want[..], "{ntags} {data_len} {slack}");
                    assert!(rest[len..].iter().all(|&b| b == 0xEE));
                }
            }
        }
    }

    #[test]
    fn builder_errors() {
        let mut buf = [0u8; 64];
        assert_eq!(
            MessageBuilder::new(&mut buf, "x").map(|_| ()),
            Err(EncodeError::AddressNoSlash)
        );
        let b = MessageBuilder::new(&mut buf, "/a").unwrap();
        assert_eq!(b.end_array().map(|_| ()), Err(EncodeError::UnbalancedArray));
        let b = MessageBuilder::new(&mut buf, "/a").unwrap();
        assert_eq!(
            b.begin_array().and_then(MessageBuilder::finish),
            Err(EncodeError::UnbalancedArray)
        );
        let b = MessageBuilder::new(&mut buf, "/a").unwrap();
        assert_eq!(
            b.string("a\0").map(|_| ()),
            Err(EncodeError::StringHasNul { offset: 1 })
        );
        let n = MessageBuilder::new(&mut buf, "/empty")
            .unwrap()
            .finish()
            .unwrap();
        assert_eq!(&buf[..n], b"/empty\0\0,\0\0\0");
    }

    #[test]
    fn bundle_builder_matches_bundle_encode() {
        let a = [Arg::Int(1)];
        let inner_elems = [Packet::Message(Message::new("/in", &a))];
        let elems = [
            Packet::Message(Message::new("/a", &a)),
            Packet::Bundle(crate::Bundle::new(TimeTag::new(5, 6), &inner_elems)),
        ];
        let bundle = crate::Bundle::new(TimeTag::IMMEDIATELY, &elems);
        let mut want = [0u8; 128];
        let n = bundle.encode(&mut want).unwrap();
        for size in 0..128 {
            let mut buf = [0u8; 128];
            let r = BundleBuilder::new(&mut buf[..size], TimeTag::IMMEDIATELY)
                .and_then(|b| b.message_with("/a", |m| m.int(1)))
                .and_then(|b| {
                    b.bundle_with(TimeTag::new(5, 6), |i| i.message(&Message::new("/in", &a)))
                })
                .and_then(BundleBuilder::finish);
            if size < n {
                match r {
                    Err(EncodeError::BufferTooSmall { needed, available }) => {
                        assert_eq!(available, size);
                        assert!(needed > size, "{size}: {needed}");
                    }
                    other => panic!("{size}: {other:?}"),
                }
            } else {
                assert_eq!(r, Ok(n));
                assert_eq!(&buf[..n], &want[..n]);
            }
        }
    }
}
