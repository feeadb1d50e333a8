//! OSC bundles: a timetag and a sequence of elements, each a message or a nested bundle.

use core::fmt;

use crate::decode::{parse_validated_element, parse_validated_packet, Element, BUNDLE_TAG};
use crate::error::EncodeError;
use crate::packet::Packet;
use crate::timetag::TimeTag;
use crate::wire::{self, Writer};

/// An OSC bundle: a timetag and its elements (messages or nested bundles), in order.
///
/// A decoded bundle is a view of validated bytes; a bundle to encode borrows a slice of [`Packet`]s.
///
/// ```
/// use osc_core::{Arg, Bundle, Message, Packet, TimeTag};
///
/// let a = [Arg::Int(1)];
/// let elements = [
///     Packet::Message(Message::new("/a", &a)),
///     Packet::Message(Message::new("/b", &[])),
/// ];
/// let bundle = Bundle::new(TimeTag::IMMEDIATELY, &elements);
/// let mut buf = [0u8; 64];
/// let n = bundle.encode(&mut buf).unwrap();
/// assert_eq!(&buf[..16], b"#bundle\0\0\0\0\0\0\0\0\x01");
///
/// let back = osc_core::decode(&buf[..n]).unwrap().into_bundle().unwrap();
/// assert_eq!(back.timetag(), TimeTag::IMMEDIATELY);
/// assert_eq!(back.elements().count(), 2);
/// assert_eq!(back, bundle);
/// ```
#[derive(Copy, Clone)]
pub struct Bundle<'a> {
    timetag: TimeTag,
    // Two fields rather than an enum of the two kinds (one of the two is always empty): an enum's tag byte
    // would share a word with the length of a message's address in `Packet`, and a message written into
    // a `Packet` would then be stored in pieces and read back whole, which the CPU cannot forward.
    /// Validated element bytes (size-prefixed elements after the 16-byte header).
    wire: &'a [u8],
    /// Elements to encode.
    slice: &'a [Packet<'a>],
}

impl<'a> Bundle<'a> {
    /// A bundle to encode, with elements from a slice.
    pub const fn new(timetag: TimeTag, elements: &'a [Packet<'a>]) -> Self {
        Self {
            timetag,
            wire: &[],
            slice: elements,
        }
    }

    /// A view of validated element bytes.
    pub(crate) const fn wire(timetag: TimeTag, elements: &'a [u8]) -> Self {
        Self {
            timetag,
            wire: elements,
            slice: &[],
        }
    }

    /// The bundle's timetag.
    pub const fn timetag(&self) -> TimeTag {
        self.timetag
    }

    /// An iterator over the elements, in packet order.
    pub fn elements(&self) -> Elements<'a> {
        Elements {
            slice: self.slice.iter(),
            wire: self.wire,
        }
    }

    /// The exact number of bytes [`encode`](Self::encode) writes.
    pub fn encoded_len(&self) -> usize {
        self.elements()
            .map(|e| e.encoded_len().saturating_add(4))
            .fold(16usize, usize::saturating_add)
    }

    /// Encodes the bundle into `buf` and returns the number of bytes written.
    ///
    /// Errors as [`Message::encode`](crate::Message::encode); a buffer too small is reported with the
    /// exact size needed. On error, `buf` may hold part of the bundle.
    pub fn encode(&self, buf: &mut [u8]) -> Result<usize, EncodeError> {
        wire::encode_with(buf, |w| self.write(w), || self.encoded_len())
    }

    pub(crate) fn write(&self, w: &mut Writer<'_>) -> Result<(), EncodeError> {
        w.put(&BUNDLE_TAG)?;
        w.put(&self.timetag.to_bits().to_be_bytes())?;
        for e in self.elements() {
            let at = w.pos();
            w.reserve(4)?;
            e.write(w)?;
            let size = u32::try_from(w.pos() - at - 4)
                .ok()
                .filter(|&s| s <= i32::MAX as u32)
                .ok_or(EncodeError::TooLarge)?;
            w.patch_u32(at, size)?;
        }
        Ok(())
    }
}

impl PartialEq for Bundle<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.timetag == other.timetag && self.elements().eq(other.elements())
    }
}

impl fmt::Debug for Bundle<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Bundle")
            .field("timetag", &self.timetag)
            .field("elements", &DebugElements(*self))
            .finish()
    }
}

struct DebugElements<'a>(Bundle<'a>);

impl fmt::Debug for DebugElements<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.0.elements()).finish()
    }
}

#[cfg(feature = "defmt")]
impl defmt::Format for Bundle<'_> {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(f, "Bundle {{ timetag: {}, elements: {} }}", self.timetag, {
            self.elements().count()
        });
    }
}

/// Iterator over the elements of a [`Bundle`].
#[derive(Clone)]
pub struct Elements<'a> {
    /// Elements to encode.
    slice: core::slice::Iter<'a, Packet<'a>>,
    /// Validated element bytes (one of the two parts is always empty).
    wire: &'a [u8],
}

impl<'a> Iterator for Elements<'a> {
    type Item = Packet<'a>;

    fn next(&mut self) -> Option<Packet<'a>> {
        if let Some(p) = self.slice.next() {
            return Some(*p);
        }
        parse_validated_packet(self.next_wire()?)
    }
}

impl<'a> Elements<'a> {
    /// The bytes of the next validated element, size prefix removed.
    #[cfg_attr(not(feature = "small"), inline)]
    #[cfg_attr(feature = "small", inline(never))]
    fn next_wire(&mut self) -> Option<&'a [u8]> {
        let (size, tail) = self.wire.split_first_chunk::<4>()?;
        let size = usize::try_from(u32::from_be_bytes(*size)).ok()?;
        let (element, tail) = tail.split_at_checked(size)?;
        self.wire = tail;
        Some(element)
    }

    /// The next element, a message's address left as bytes (see [`Element`]).
    #[inline]
    pub(crate) fn next_element(&mut self) -> Option<Element<'a>> {
        if let Some(p) = self.slice.next() {
            return Some(Element::Packet(*p));
        }
        parse_validated_element(self.next_wire()?)
    }
}

impl core::iter::FusedIterator for Elements<'_> {}
