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

/// Position of the first NUL in `bytes`.
#[inline]
pub(crate) fn find_nul(bytes: &[u8]) -> Option<usize> {
    bytes.iter().position(|&b| b == 0)
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

    /// Reserves `n` bytes and returns them to be filled.
    #[inline]
    pub(crate) fn reserve(&mut self, n: usize) -> Result<&mut [u8], crate::EncodeError> {
        let end = self
            .pos
            .checked_add(n)
            .ok_or(crate::EncodeError::TooLarge)?;
        if end > self.buf.len() {
            return Err(self.short(n));
        }
        let start = self.pos;
        self.pos = end;
        self.buf
            .get_mut(start..end)
            .ok_or(crate::EncodeError::TooLarge)
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
        let (head, pad) = out.split_at_mut(bytes.len());
        head.copy_from_slice(bytes);
        pad.fill(0);
        Ok(())
    }

    /// Writes a blob: int32 size, bytes, zero padding.
    #[inline]
    pub(crate) fn put_blob(&mut self, bytes: &[u8]) -> Result<(), crate::EncodeError> {
        let size = i32::try_from(bytes.len()).map_err(|_| crate::EncodeError::TooLarge)?;
        let out = self.reserve(blob_size(bytes.len()))?;
        let (head, rest) = out.split_at_mut(4);
        head.copy_from_slice(&size.to_be_bytes());
        let (data, pad) = rest.split_at_mut(bytes.len());
        data.copy_from_slice(bytes);
        pad.fill(0);
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
    fn sizes() {
        assert_eq!(string_size(0), 4);
        assert_eq!(string_size(3), 4);
        assert_eq!(string_size(4), 8);
        assert_eq!(blob_size(0), 4);
        assert_eq!(blob_size(5), 12);
        assert_eq!(pad4(usize::MAX), usize::MAX & !3);
    }

    #[test]
    fn array_ends() {
        assert_eq!(array_end(b"i]"), Some(1));
        assert_eq!(array_end(b"[i]]f"), Some(3));
        assert_eq!(array_end(b"[i]"), None);
    }
}
