//! Byte-level helpers shared by the decoder, the argument iterators and the encoder.
//!
//! Readers return `None` instead of panicking; after validation they never do.

/// `n` rounded up to a multiple of 4 (saturating, so it cannot overflow).
pub(crate) const fn pad4(n: usize) -> usize {
    n.saturating_add(3) & !3
}

/// Size of an OSC-string holding `len` bytes: the bytes, a NUL, and padding to a multiple of 4.
pub(crate) const fn string_size(len: usize) -> usize {
    pad4(len.saturating_add(1))
}

/// Size of a blob holding `len` bytes: the int32 size, the bytes, padding to a multiple of 4.
pub(crate) const fn blob_size(len: usize) -> usize {
    pad4(len).saturating_add(4)
}

/// Copies `src` into `dst`, which has the same length (as `copy_from_slice`). Up to 16 bytes (most
/// addresses, strings and type tags), in line as two overlapping fixed-size moves: for so few
/// bytes, a call to `memcpy` costs more than the copy, and the registers it clobbers must be
/// reloaded after it. With `small`, always `copy_from_slice` (less code).
#[inline(always)]
pub(crate) fn copy_bytes(dst: &mut [u8], src: &[u8]) {
    if cfg!(feature = "small") || src.len() > 16 || dst.len() != src.len() {
        dst.copy_from_slice(src);
    } else if let (Some(a), Some(b)) = (src.first_chunk::<8>(), src.last_chunk::<8>()) {
        copy_ends(dst, a, b);
    } else if let (Some(a), Some(b)) = (src.first_chunk::<4>(), src.last_chunk::<4>()) {
        copy_ends(dst, a, b);
    } else if let (Some(&first), Some(&last)) = (src.first(), src.last()) {
        // 1 to 3 bytes: the first, the middle and the last (some of them the same byte).
        let mid = src.len() / 2;
        if let (Some(d), Some(&m)) = (dst.get_mut(mid), src.get(mid)) {
            *d = m;
        }
        if let Some(d) = dst.first_mut() {
            *d = first;
        }
        if let Some(d) = dst.last_mut() {
            *d = last;
        }
    }
}

/// Writes `first` at the start of `dst` and `last` at its end (they overlap when `dst` is shorter
/// than `2 * N`).
#[inline(always)]
fn copy_ends<const N: usize>(dst: &mut [u8], first: &[u8; N], last: &[u8; N]) {
    if let Some(d) = dst.first_chunk_mut::<N>() {
        *d = *first;
    }
    if let Some(d) = dst.last_chunk_mut::<N>() {
        *d = *last;
    }
}

/// Bytes in a word of the word-at-a-time scans: a native register (8 on 64-bit hosts, 4 on 32-bit
/// microcontrollers, where 64-bit words would take register pairs and twice the code).
const W: usize = core::mem::size_of::<usize>();
/// `0x01` in every byte of a word.
const LO: usize = usize::MAX / 0xff;
/// `0x80` in every byte of a word.
const HI: usize = LO << 7;

/// Flags (bit 7 of each byte) the zero bytes of `v`. Exact up to and including the lowest zero byte:
/// higher bytes may be flagged spuriously, so callers only look at the lowest flag.
#[inline(always)]
const fn zero_flags(v: usize) -> usize {
    v.wrapping_sub(LO) & !v & HI
}

/// The up to `W - 1` bytes of `tail` as a little-endian word, the missing bytes set to `fill`.
#[inline(always)]
fn tail_word(tail: &[u8], fill: u8) -> usize {
    let mut w = [fill; W];
    for (d, &s) in w.iter_mut().zip(tail) {
        *d = s;
    }
    usize::from_le_bytes(w)
}

/// Whether `bytes` may hold a byte that an address must not: a control character or space (`<= 0x20`),
/// `#` or DEL. Never wrong when it says no; the caller finds the offending byte one by one.
#[inline]
pub(crate) fn may_have_bad_address_byte(bytes: &[u8]) -> bool {
    /// Flags the bad bytes of `v`; like [`zero_flags`], only the lowest flag is exact, and a spurious
    /// flag only ever comes with a real one below it.
    #[inline(always)]
    const fn flags(v: usize) -> usize {
        let below_0x21 = v.wrapping_sub(LO * 0x21) & !v & HI;
        below_0x21 | zero_flags(v ^ (LO * b'#' as usize)) | zero_flags(v ^ (LO * 0x7f))
    }
    let mut acc = 0usize;
    let mut rest = bytes;
    while let Some((w, tail)) = rest.split_first_chunk::<W>() {
        acc |= flags(usize::from_le_bytes(*w));
        rest = tail;
    }
    if !rest.is_empty() {
        // The last word again (a byte seen twice does no harm), or a short input filled with `/`.
        acc |= flags(match bytes.last_chunk::<W>() {
            Some(w) => usize::from_le_bytes(*w),
            None => tail_word(rest, b'/'),
        });
    }
    acc != 0
}

/// Position of the first NUL in `bytes`.
#[cfg_attr(not(feature = "small"), inline(always))]
#[cfg_attr(feature = "small", inline)]
pub(crate) fn find_nul(bytes: &[u8]) -> Option<usize> {
    if cfg!(feature = "small") {
        return bytes.iter().position(|&b| b == 0);
    }
    // Inlined, the ASCII bookkeeping of `scan_str` is dead code.
    scan_str(bytes).map(|(nul, _)| nul)
}

/// Position of the first NUL in `bytes`, and whether all bytes before it are ASCII (then they are valid
/// UTF-8 without further checking).
///
/// Reads a word (`W` bytes) at a time as little-endian words, so the lowest zero flag is the first NUL in memory
/// order.
#[cfg_attr(not(feature = "small"), inline(always))]
#[cfg_attr(feature = "small", inline)]
pub(crate) fn scan_str(bytes: &[u8]) -> Option<(usize, bool)> {
    let mut rest = bytes;
    let mut high = 0usize;
    while let Some((w, tail)) = rest.split_first_chunk::<W>() {
        let v = usize::from_le_bytes(*w);
        let z = zero_flags(v);
        if z != 0 {
            // The bits below the first NUL's flag: the bytes before it (and the NUL's own low bits).
            let before = (z & z.wrapping_neg()) - 1;
            let ascii = (high | (v & HI & before)) == 0;
            let at = bytes.len() - rest.len();
            return Some((at + (z.trailing_zeros() / 8) as usize, ascii));
        }
        high |= v & HI;
        rest = tail;
    }
    let (nul, ascii) = scan_short(rest)?;
    Some((bytes.len() - rest.len() + nul, ascii && high == 0))
}

/// [`scan_str`] over the last 0 to `W - 1` bytes: one 4-byte word (on 64-bit hosts), then single bytes.
#[inline]
fn scan_short(rest: &[u8]) -> Option<(usize, bool)> {
    let nul = match rest.split_first_chunk::<4>() {
        Some((w, tail)) => {
            let v = u32::from_le_bytes(*w);
            let z = v.wrapping_sub(0x0101_0101) & !v & 0x8080_8080;
            if z != 0 {
                (z.trailing_zeros() / 8) as usize
            } else {
                4 + tail.iter().position(|&b| b == 0)?
            }
        }
        None => rest.iter().position(|&b| b == 0)?,
    };
    Some((nul, rest.get(..nul)?.is_ascii()))
}

/// Takes `N` bytes off the front of `data`.
#[inline]
pub(crate) fn take<const N: usize>(data: &mut &[u8]) -> Option<[u8; N]> {
    let (head, tail) = data.split_first_chunk::<N>()?;
    *data = tail;
    Some(*head)
}

/// Takes an OSC-string off the front of `data`, returning its bytes without NUL and padding.
#[inline]
pub(crate) fn take_str<'a>(data: &mut &'a [u8]) -> Option<&'a [u8]> {
    let d: &'a [u8] = data;
    let nul = find_nul(d)?;
    let s = d.get(..nul)?;
    *data = d.get(string_size(nul)..)?;
    Some(s)
}

/// Takes a blob off the front of `data`, returning its bytes without size and padding.
#[inline]
pub(crate) fn take_blob<'a>(data: &mut &'a [u8]) -> Option<&'a [u8]> {
    let d: &'a [u8] = data;
    let (size, rest) = d.split_first_chunk::<4>()?;
    let len = usize::try_from(i32::from_be_bytes(*size)).ok()?;
    let bytes = rest.get(..len)?;
    *data = rest.get(pad4(len)..)?;
    Some(bytes)
}

/// Number of data bytes the arguments of `tags` occupy at the front of `data` (brackets add none).
pub(crate) fn data_len(tags: &[u8], data: &[u8]) -> Option<usize> {
    let mut rest = data;
    for &t in tags {
        let n = match t {
            b'i' | b'f' | b'c' | b'r' | b'm' => 4,
            b'h' | b'd' | b't' => 8,
            b's' | b'S' => string_size(find_nul(rest)?),
            b'b' => {
                let size = i32::from_be_bytes(*rest.first_chunk::<4>()?);
                blob_size(usize::try_from(size).ok()?)
            }
            _ => 0,
        };
        rest = rest.get(n..)?;
    }
    Some(data.len() - rest.len())
}

/// Index in `tags` of the `]` closing an array whose `[` was just before `tags`.
pub(crate) fn array_end(tags: &[u8]) -> Option<usize> {
    let mut depth = 0usize;
    for (i, &t) in tags.iter().enumerate() {
        match t {
            b'[' => depth = depth.checked_add(1)?,
            b']' => {
                if depth == 0 {
                    return Some(i);
                }
                depth -= 1;
            }
            _ => {}
        }
    }
    None
}

/// Encodes with `write` into `buf` and returns the number of bytes written. The exact size that
/// [`BufferTooSmall`](crate::EncodeError::BufferTooSmall) names is computed by `len` only when `buf`
/// turns out to be too small: a packet that fits is walked once, not measured first. On error, the
/// bytes of `buf` are unspecified.
#[inline]
pub(crate) fn encode_with(
    buf: &mut [u8],
    write: impl FnOnce(&mut Writer<'_>) -> Result<(), crate::EncodeError>,
    len: impl FnOnce() -> usize,
) -> Result<usize, crate::EncodeError> {
    let available = buf.len();
    let mut w = Writer::new(buf);
    match write(&mut w) {
        Ok(()) => Ok(w.pos()),
        Err(crate::EncodeError::BufferTooSmall { .. }) => Err(crate::EncodeError::BufferTooSmall {
            needed: len(),
            available,
        }),
        Err(e) => Err(e),
    }
}

/// A cursor over a caller's output buffer. Every write is bounds-checked and never panics.
pub(crate) struct Writer<'b> {
    buf: &'b mut [u8],
    pos: usize,
}

impl<'b> Writer<'b> {
    pub(crate) fn new(buf: &'b mut [u8]) -> Self {
        Self { buf, pos: 0 }
    }

    /// Gives the buffer back (to hand it to a builder).
    pub(crate) fn into_inner(self) -> &'b mut [u8] {
        self.buf
    }

    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    fn short(&self, extra: usize) -> crate::EncodeError {
        crate::EncodeError::BufferTooSmall {
            needed: self.pos.saturating_add(extra),
            available: self.buf.len(),
        }
    }

    /// Where `n` more bytes would end, if the buffer has room for them.
    #[inline]
    fn end_of(&self, n: usize) -> Result<usize, crate::EncodeError> {
        let end = self
            .pos
            .checked_add(n)
            .ok_or(crate::EncodeError::TooLarge)?;
        if end > self.buf.len() {
            return Err(self.short(n));
        }
        Ok(end)
    }

    /// Reserves `n` bytes and returns them to be filled.
    #[inline]
    pub(crate) fn reserve(&mut self, n: usize) -> Result<&mut [u8], crate::EncodeError> {
        let end = self.end_of(n)?;
        let start = self.pos;
        self.pos = end;
        self.buf
            .get_mut(start..end)
            .ok_or(crate::EncodeError::TooLarge)
    }

    /// Reserves `n` bytes and calls `f` with them and a writer for the rest of the buffer, which
    /// this writer then moves past.
    #[inline]
    pub(crate) fn reserve_then(
        &mut self,
        n: usize,
        f: impl FnOnce(&mut [u8], &mut Writer<'_>) -> Result<(), crate::EncodeError>,
    ) -> Result<(), crate::EncodeError> {
        let end = self.end_of(n)?;
        let (head, tail) = self
            .buf
            .split_at_mut_checked(end)
            .ok_or(crate::EncodeError::TooLarge)?;
        let mut rest = Writer::new(tail);
        let result = f(head.get_mut(self.pos..).unwrap_or_default(), &mut rest);
        self.pos = end.saturating_add(rest.pos);
        result.map_err(|e| match e {
            // Sizes in the whole buffer, not in the rest.
            crate::EncodeError::BufferTooSmall { needed, available } => {
                crate::EncodeError::BufferTooSmall {
                    needed: needed.saturating_add(end),
                    available: available.saturating_add(end),
                }
            }
            other => other,
        })
    }

    #[inline]
    pub(crate) fn put(&mut self, bytes: &[u8]) -> Result<(), crate::EncodeError> {
        self.reserve(bytes.len())?.copy_from_slice(bytes);
        Ok(())
    }

    /// Writes `bytes` followed by NULs up to the next multiple of 4 (at least one NUL).
    #[inline]
    pub(crate) fn put_str(&mut self, bytes: &[u8]) -> Result<(), crate::EncodeError> {
        let out = self.reserve(string_size(bytes.len()))?;
        // The NULs first, as one word: the padding is in the last 4 bytes, which the string may share.
        if let Some(last) = out.last_chunk_mut::<4>() {
            *last = [0; 4];
        }
        if let Some(head) = out.get_mut(..bytes.len()) {
            copy_bytes(head, bytes);
        }
        Ok(())
    }

    /// Writes a blob: int32 size, bytes, zero padding.
    #[inline]
    pub(crate) fn put_blob(&mut self, bytes: &[u8]) -> Result<(), crate::EncodeError> {
        let size = i32::try_from(bytes.len()).map_err(|_| crate::EncodeError::TooLarge)?;
        let out = self.reserve(blob_size(bytes.len()))?;
        // The padding first, as one word (as in `put_str`): no `memset` for 0 to 3 bytes.
        if let Some(last) = out.last_chunk_mut::<4>() {
            *last = [0; 4];
        }
        let (head, rest) = out.split_at_mut(4);
        head.copy_from_slice(&size.to_be_bytes());
        if let Some(data) = rest.get_mut(..bytes.len()) {
            copy_bytes(data, bytes);
        }
        Ok(())
    }

    /// Overwrites 4 bytes at `at` (a size written before its element).
    pub(crate) fn patch_u32(&mut self, at: usize, v: u32) -> Result<(), crate::EncodeError> {
        let end = at.checked_add(4).ok_or(crate::EncodeError::TooLarge)?;
        self.buf
            .get_mut(at..end)
            .ok_or(crate::EncodeError::TooLarge)?
            .copy_from_slice(&v.to_be_bytes());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_bytes_copies_every_length() {
        let src: [u8; 40] = core::array::from_fn(|i| i as u8 + 1);
        for n in 0..=src.len() {
            let mut dst = [0u8; 40];
            copy_bytes(&mut dst[..n], &src[..n]);
            assert_eq!(dst[..n], src[..n], "length {n}");
            assert!(
                dst[n..].iter().all(|&b| b == 0),
                "length {n}: wrote past the end"
            );
        }
    }

    #[test]
    fn reserve_then_reports_sizes_in_the_whole_buffer() {
        let mut buf = [0u8; 8];
        let mut w = Writer::new(&mut buf);
        w.put(b"ab").unwrap();
        let err = w.reserve_then(2, |_, rest| rest.put(&[1; 8])).unwrap_err();
        assert_eq!(
            err,
            crate::EncodeError::BufferTooSmall {
                needed: 12,
                available: 8
            }
        );
        let mut w = Writer::new(&mut buf);
        w.reserve_then(3, |head, rest| {
            head.copy_from_slice(b"xyz");
            rest.put(b"1234")
        })
        .unwrap();
        assert_eq!(w.pos(), 7);
        assert_eq!(&buf[..7], b"xyz1234");
    }

    #[test]
    fn sizes() {
        assert_eq!(string_size(0), 4);
        assert_eq!(string_size(3), 4);
        assert_eq!(string_size(4), 8);
        assert_eq!(blob_size(0), 4);
        assert_eq!(blob_size(5), 12);
        assert_eq!(pad4(usize::MAX), usize::MAX & !3);
    }

    /// The word-at-a-time scans agree with byte-by-byte ones for every length and NUL position, with a
    /// non-ASCII byte before, at or after the NUL.
    #[test]
    fn scans_match_bytewise() {
        for len in 0..40 {
            for nul in 0..=len {
                for high in 0..=len {
                    let mut v = [b'a'; 40];
                    let bytes = &mut v[..len];
                    if let Some(b) = bytes.get_mut(high) {
                        *b = 0xc3;
                    }
                    if let Some(b) = bytes.get_mut(nul) {
                        *b = 0;
                    }
                    let want = bytes.iter().position(|&b| b == 0);
                    assert_eq!(find_nul(bytes), want, "{len} {nul} {high}");
                    let ascii = want.map(|n| bytes[..n].is_ascii());
                    assert_eq!(scan_str(bytes).map(|(_, a)| a), ascii, "{len} {nul} {high}");
                    assert_eq!(scan_str(bytes).map(|(n, _)| n), want);
                }
            }
        }
    }

    #[test]
    fn address_byte_check_matches_bytewise() {
        let bad = |b: u8| b <= b' ' || b == b'#' || b == 0x7f;
        let fills = [b'a', b'/', b'!', b'"', b'$', b'~', 0x80, 0xff, 0x21, 0x7e];
        for len in 0..24 {
            for fill in fills {
                let v = [fill; 24];
                assert!(!may_have_bad_address_byte(&v[..len]), "{len} {fill}");
                for at in 0..len {
                    for b in 0..=255u8 {
                        let mut v = [fill; 24];
                        v[at] = b;
                        let want = v[..len].iter().any(|&x| bad(x));
                        if want {
                            assert!(may_have_bad_address_byte(&v[..len]), "{len} {at} {b}");
                        } else {
                            assert!(!may_have_bad_address_byte(&v[..len]), "{len} {at} {b}");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn array_ends() {
        assert_eq!(array_end(b"i]"), Some(1));
        assert_eq!(array_end(b"[i]]f"), Some(3));
        assert_eq!(array_end(b"[i]"), None);
    }
}
