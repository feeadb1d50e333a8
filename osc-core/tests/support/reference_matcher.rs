//! An obviously correct OSC address-pattern matcher, straight from the rules in the docs of
//! `osc_core::pattern`: recursive backtracking, exponential, for small inputs only. Shared by the pattern
//! unit tests and the fuzz checks, which compare the real matcher with it. The including module must have
//! `validate_pattern_bytes` in scope.

// Needed when included from the no_std crate's unit tests; redundant in std test crates.
#[allow(unused_extern_crates)]
extern crate std;

use std::vec::Vec;

use super::validate_pattern_bytes;

/// An obviously correct matcher for valid patterns: recursive backtracking, straight from the
/// rules in the module docs. Exponential, so only for small inputs.
pub(crate) fn reference(p: &[u8], a: &[u8]) -> bool {
    if validate_pattern_bytes(p).is_err() {
        return false;
    }
    if p == b"/" || a == b"/" {
        return p == a;
    }
    let (Some(p), Some(a)) = (p.strip_prefix(b"/"), a.strip_prefix(b"/")) else {
        return false;
    };
    let parts: Vec<&[u8]> = p.split(|&b| b == b'/').collect();
    let segs: Vec<&[u8]> = a.split(|&b| b == b'/').collect();
    if segs.iter().any(|s| s.is_empty()) {
        return false;
    }
    reference_parts(&parts, &segs)
}

fn reference_parts(parts: &[&[u8]], segs: &[&[u8]]) -> bool {
    match parts.split_first() {
        None => segs.is_empty(),
        // An empty part is the middle of a `//`.
        Some((&[], rest)) => {
            reference_parts(rest, segs) || (!segs.is_empty() && reference_parts(parts, &segs[1..]))
        }
        Some((first, rest)) => {
            !segs.is_empty() && reference_part(first, segs[0]) && reference_parts(rest, &segs[1..])
        }
    }
}

fn reference_part(p: &[u8], s: &[u8]) -> bool {
    match p.first() {
        None => s.is_empty(),
        Some(b'*') => reference_part(&p[1..], s) || (!s.is_empty() && reference_part(p, &s[1..])),
        Some(b'?') => !s.is_empty() && reference_part(&p[1..], &s[1..]),
        Some(b'[') => {
            let close = p.iter().position(|&b| b == b']').unwrap();
            let mut body = &p[1..close];
            let negated = body.first() == Some(&b'!');
            if negated {
                body = &body[1..];
            }
            let mut members = Vec::new();
            let mut k = 0;
            while k < body.len() {
                if k + 2 < body.len() && body[k + 1] == b'-' {
                    members.extend(body[k]..=body[k + 2]);
                    k += 3;
                } else {
                    members.push(body[k]);
                    k += 1;
                }
            }
            !s.is_empty()
                && members.contains(&s[0]) != negated
                && reference_part(&p[close + 1..], &s[1..])
        }
        Some(b'{') => {
            let close = p.iter().position(|&b| b == b'}').unwrap();
            p[1..close]
                .split(|&b| b == b',')
                .any(|alt| s.starts_with(alt) && reference_part(&p[close + 1..], &s[alt.len()..]))
        }
        Some(&c) => s.first() == Some(&c) && reference_part(&p[1..], &s[1..]),
    }
}
