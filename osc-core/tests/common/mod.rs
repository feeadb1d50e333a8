//! Helpers shared by the integration tests.
#![allow(dead_code)]

use osc_core::{Arg, Packet};

/// Bytes from one line of lowercase hex.
pub(crate) fn hex(s: &str) -> Vec<u8> {
    let s = s.trim();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

/// W1's arguments with the int32 replaced.
pub(crate) fn w1_args(i: i32) -> [Arg<'static>; 3] {
    [Arg::Int(i), Arg::Float(0.5), Arg::String("sine")]
}

/// The digest of shared/bench/WORKLOADS.md ("digest"), optionally with the blob byte sum.
pub(crate) fn digest(p: &Packet<'_>, blob_sum: bool) -> u64 {
    match p {
        Packet::Message(m) => {
            let mut d = m.address().len() as u64;
            for a in m.iter() {
                d = d.wrapping_add(arg_digest(&a, blob_sum));
            }
            d
        }
        Packet::Bundle(b) => b.elements().fold(b.timetag().to_bits(), |d, e| {
            d.wrapping_add(digest(&e, blob_sum))
        }),
    }
}

fn arg_digest(a: &Arg<'_>, blob_sum: bool) -> u64 {
    match *a {
        Arg::Int(v) => v as i64 as u64,
        Arg::Long(v) => v as u64,
        Arg::Float(v) => u64::from(v.to_bits()),
        Arg::Double(v) => v.to_bits(),
        Arg::String(s) | Arg::Symbol(s) => s.len() as u64,
        Arg::Blob(b) => {
            let sum = if blob_sum {
                b.iter().map(|&x| u64::from(x)).sum()
            } else {
                0
            };
            (b.len() as u64).wrapping_add(sum)
        }
        Arg::Bool(true) => 1,
        Arg::Bool(false) => 2,
        Arg::Nil => 3,
        Arg::Time(t) => t.to_bits(),
        Arg::Array(inner) => inner
            .iter()
            .fold(0u64, |d, x| d.wrapping_add(arg_digest(&x, blob_sum))),
        _ => 0,
    }
}

/// `address ,i i`, packed by hand: the encoders refuse the spaces and `#` that Millumin or Max put in
/// addresses, which the dispatcher must still route.
pub(crate) fn raw_message(address: &str, i: i32) -> Vec<u8> {
    let mut buf = address.as_bytes().to_vec();
    buf.resize((buf.len() / 4 + 1) * 4, 0);
    buf.extend_from_slice(b",i\0\0");
    buf.extend_from_slice(&i.to_be_bytes());
    buf
}

/// A bundle timed `IMMEDIATELY` holding `elements` (encoded packets), packed by hand.
pub(crate) fn raw_bundle(elements: &[&[u8]]) -> Vec<u8> {
    let mut out = b"#bundle\0\0\0\0\0\0\0\0\x01".to_vec();
    for e in elements {
        let size = u32::try_from(e.len()).expect("an element under 4 GiB");
        out.extend_from_slice(&size.to_be_bytes());
        out.extend_from_slice(e);
    }
    out
}
