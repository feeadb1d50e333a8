//! Cross-crate and cross-peer tests live in `tests/*.rs`; this library holds the helpers they share.

use std::path::PathBuf;

/// Lower-case hex of `bytes`.
pub fn to_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
    s
}

/// Bytes from hex (either case; surrounding whitespace is ignored). Panics on anything else: test input only.
pub fn from_hex(hex: &str) -> Vec<u8> {
    fn nibble(c: u8) -> u8 {
        match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            b'A'..=b'F' => c - b'A' + 10,
            _ => panic!("not a hex digit: {:?}", char::from(c)),
        }
    }
    let hex = hex.trim().as_bytes();
    assert!(hex.len().is_multiple_of(2), "odd number of hex digits");
    hex.chunks_exact(2)
        .map(|p| (nibble(p[0]) << 4) | nibble(p[1]))
        .collect()
}

/// The path of a golden vector file in `osc-core/tests/vectors/`, e.g. `vector_path("W1.hex")`.
pub fn vector_path(file: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../osc-core/tests/vectors")
        .join(file)
}

/// The bytes of a golden vector: `golden("W1")` reads `osc-core/tests/vectors/W1.hex`.
pub fn golden(name: &str) -> Vec<u8> {
    let path = vector_path(&format!("{name}.hex"));
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    from_hex(&text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trip() {
        let all: Vec<u8> = (0..=255).collect();
        assert_eq!(from_hex(&to_hex(&all)), all);
        assert_eq!(to_hex(&[0x00, 0xab, 0xff]), "00abff");
        assert_eq!(from_hex(" 00ABff\n"), [0x00, 0xab, 0xff]);
    }
}
