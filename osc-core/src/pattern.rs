//! Temporary stand-in until the matcher lands: literal comparison only.
#![allow(missing_docs)]

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct AddressError;

impl core::fmt::Display for AddressError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("invalid address")
    }
}

impl core::error::Error for AddressError {}

pub fn validate_address(a: &str) -> Result<(), AddressError> {
    if a.starts_with('/') {
        Ok(())
    } else {
        Err(AddressError)
    }
}

pub fn validate_pattern(a: &str) -> Result<(), AddressError> {
    validate_address(a)
}

pub fn is_pattern(s: &str) -> bool {
    s.bytes()
        .any(|b| matches!(b, b'*' | b'?' | b'[' | b']' | b'{' | b'}'))
        || s.contains("//")
}

pub fn matches(pattern: &str, address: &str) -> bool {
    pattern == address
}
