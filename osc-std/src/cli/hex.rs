//! Hexadecimal text for blobs and whole packets.

use std::fmt::Write as _;

/// Lowercase hex, two digits per byte, no separators.
pub(crate) fn encode(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        // Writing into a String cannot fail.
        let _ = write!(s, "{b:02x}");
    }
    s
}

fn digit(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// Parses hex digits into bytes. An optional `0x` prefix is accepted; whitespace is skipped when
/// `allow_space` is set (for packets pasted or read from a file).
pub(crate) fn decode(text: &str, allow_space: bool) -> Result<Vec<u8>, String> {
    let body = text
        .strip_prefix("0x")
        .or_else(|| text.strip_prefix("0X"))
        .unwrap_or(text);
    let mut out = Vec::with_capacity(body.len() / 2);
    let mut high: Option<u8> = None;
    for (i, c) in body.bytes().enumerate() {
        if allow_space && c.is_ascii_whitespace() {
            continue;
        }
        let d = digit(c).ok_or_else(|| {
            let shown = body.get(i..).and_then(|r| r.chars().next()).unwrap_or('?');
            format!("invalid hex digit {shown:?} at character {i}")
        })?;
        match high.take() {
            None => high = Some(d),
            Some(h) => out.push(h << 4 | d),
        }
    }
    if high.is_some() {
        return Err("odd number of hex digits".into());
    }
    Ok(out)
}

/// Parses exactly `N` bytes of hex (for MIDI and colors).
pub(crate) fn decode_exact<const N: usize>(text: &str) -> Option<[u8; N]> {
    decode(text, false).ok()?.try_into().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        assert_eq!(encode(&[0, 0x9f, 0xff]), "009fff");
        assert_eq!(decode("009FfF", false).unwrap(), [0, 0x9f, 0xff]);
        assert_eq!(decode("0x0a", false).unwrap(), [10]);
        assert_eq!(decode("", false).unwrap(), Vec::<u8>::new());
        assert_eq!(decode(" 0a 0b\n", true).unwrap(), [10, 11]);
        assert!(decode(" 0a", false).is_err());
        assert!(decode("abc", false).is_err());
        assert_eq!(
            decode("0g", false).unwrap_err(),
            "invalid hex digit 'g' at character 1"
        );
        assert_eq!(decode_exact::<4>("00903c7f"), Some([0, 0x90, 0x3c, 0x7f]));
        assert_eq!(decode_exact::<4>("00903c"), None);
    }
}
