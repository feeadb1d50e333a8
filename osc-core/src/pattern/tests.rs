#![allow(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::arithmetic_side_effects
)]

extern crate std;

use std::string::{String, ToString};
use std::vec::Vec;
use std::{format, vec};

use proptest::prelude::*;

use super::AddressErrorKind::{self as K, *};
use super::*;

/// (pattern, address, expected)
const MATCHES: &[(&str, &str, bool)] = &[
    // Literal parts.
    ("/a", "/a", true),
    ("/a", "/b", false),
    ("/a/b", "/a/b", true),
    ("/a/b", "/a", false),
    ("/a", "/a/b", false),
    ("/abc", "/ab", false),
    ("/ab", "/abc", false),
    ("/A", "/a", false),
    ("/synth/1/freq", "/synth/1/freq", true),
    ("/synth/1/freq", "/synth/1/fre", false),
    ("/!$%&'()+-.:;<=>@\\^_`|~", "/!$%&'()+-.:;<=>@\\^_`|~", true),
    // The root.
    ("/", "/", true),
    ("/", "/a", false),
    ("/a", "/", false),
    ("/*", "/", false),
    ("//", "/", false),
    ("", "", false),
    ("", "/", false),
    ("a", "a", false),
    ("/a", "a", false),
    ("/a", "", false),
    // Empty parts: a trailing `/` in a pattern is malformed; an address with one never matches.
    ("/a/", "/a/", false),
    ("/a", "/a/", false),
    ("/*", "/a/", false),
    ("/a/*", "/a/", false),
    ("/a/*/b", "/a//b", false),
    ("/*", "//", false),
    ("//b", "//b", false),
    ("//b", "/a//b", false),
    ("/a/b", "/a//b", false),
    // `?`
    ("/?", "/a", true),
    ("/?", "/ab", false),
    ("/??", "/a", false),
    ("/a?c", "/abc", true),
    ("/a?c", "/ac", false),
    ("/?/?", "/a/b", true),
    ("/?", "/a/b", false),
    // `*`, which never crosses `/`
    ("/*", "/abc", true),
    ("/a*", "/a", true),
    ("/*a", "/a", true),
    ("/*", "/a/b", false),
    ("/a*", "/a/b", false),
    ("/*/b", "/a/b", true),
    ("/*/*", "/a", false),
    ("/a*c", "/abbbc", true),
    ("/a*c", "/abbbd", false),
    ("/*a", "/bab", false),
    ("/*a*", "/bab", true),
    ("/**", "/x", true),
    ("/a**b", "/ab", true),
    ("/*x*y*", "/axbyc", true),
    ("/*x*y", "/ayxb", false),
    ("/*ab", "/aab", true),
    ("/*aab", "/aaab", true),
    ("/a*b*c", "/abcbc", true),
    ("/a*b*c", "/acb", false),
    ("/synth/*", "/synth/1/freq", false),
    // `[...]`: exactly one character.
    ("/ch/[0-9]", "/ch/1", true),
    ("/ch/[0-9]", "/ch/12", false),
    ("/ch/[0-9]", "/ch/a", false),
    ("/ch/[0-9]", "/ch/", false),
    ("/[!0-9]", "/a", true),
    ("/[!0-9]", "/ab", false),
    ("/[!0-9]", "/5", false),
    ("/[abc]", "/b", true),
    ("/[abc]", "/d", false),
    ("/[a-a]", "/a", true),
    ("/x[0-9][0-9]", "/x42", true),
    ("/x[0-9][0-9]", "/x4", false),
    ("/[0-9]*", "/1abc", true),
    ("/*[0-9]", "/abc1", true),
    ("/*[0-9]", "/abc", false),
    ("/[ab]", "/[ab]", false),
    // `-` first or last is literal.
    ("/[a-]", "/-", true),
    ("/[a-]", "/a", true),
    ("/[a-]", "/b", false),
    ("/[-a]", "/-", true),
    ("/[-a]", "/a", true),
    ("/[-a]", "/b", false),
    ("/[-]", "/-", true),
    ("/[!-]", "/-", false),
    ("/[!-]", "/a", true),
    ("/[a-c-e]", "/b", true),
    ("/[a-c-e]", "/-", true),
    ("/[a-c-e]", "/d", false),
    ("/[a-c-e]", "/e", true),
    ("/[--0]", "/.", true),
    ("/[--0]", "/a", false),
    // `!` negates only when first.
    ("/[a!]", "/!", true),
    ("/[a!]", "/a", true),
    ("/[a!]", "/b", false),
    ("/[!!]", "/!", false),
    ("/[!!]", "/a", true),
    ("/[!a!]", "/!", false),
    ("/[!a!]", "/b", true),
    // `{...}`, with backtracking.
    ("/a/{foo,foobar}", "/a/foobar", true),
    ("/a/{foo,foobar}", "/a/foo", true),
    ("/a/{foo,foobar}", "/a/foob", false),
    ("/a/{foobar,foo}", "/a/foo", true),
    ("/{foo,bar}", "/bar", true),
    ("/{foo,bar}", "/baz", false),
    ("/{foo,bar}", "/foobar", false),
    ("/x{a,b}y", "/xay", true),
    ("/x{a,b}y", "/xy", false),
    ("/x{a,b}y", "/xaby", false),
    ("/{,x}", "/x", true),
    ("/a{,x}", "/a", true),
    ("/a{,x}", "/ax", true),
    ("/a{x,}", "/a", true),
    ("/a{}", "/a", true),
    ("/a{}b", "/ab", true),
    ("/a{,}", "/a", true),
    ("/{}", "/", false),
    ("/{foo}", "/foo", true),
    ("/{a,ab}c", "/abc", true),
    ("/{a,ab}{c,bc}", "/abc", true),
    ("/{a,ab}{bc,c}", "/abc", true),
    ("/{ab,a}{bc,c}", "/abc", true),
    ("/{a,b}{c,d}", "/bd", true),
    ("/{a,b}{c,d}", "/bb", false),
    ("/{a,ab}*", "/abz", true),
    ("/*{a,b}", "/xxa", true),
    ("/*{a,b}", "/xxc", false),
    ("/*{a,b}*", "/xxbyy", true),
    ("/*{ab,cd}*", "/xacx", false),
    ("/{a,b}?", "/bz", true),
    ("/{a,b}?", "/b", false),
    ("/{a,b}[0-9]", "/a5", true),
    ("/{a,b}[!0-9]", "/a5", false),
    ("/{a-b}", "/a-b", true),
    ("/{!a}", "/!a", true),
    ("/{a,b}", "/{a,b}", false),
    // Two alternatives ending at once in different groups.
    ("/{aaaa,a}a{aa,b}", "/aaaa", true),
    ("/{aaaa,a}a{aa,b}", "/aaaaa", false),
    ("/{aaaa,a}a{aa,b}", "/aaaaaaa", true),
    ("/{aaaa,a}a{aa,b}", "/aab", true),
    ("/{aaaa,a}a{aa,b}", "/aaaaab", true),
    ("/*{aa,b}x{a,bb}", "/aaxbb", true),
    ("/synth/*/{freq,gain}", "/synth/1/freq", true),
    ("/synth/*/{freq,gain}", "/synth/12/gain", true),
    ("/synth/*/{freq,gain}", "/synth/1/pan", false),
    ("/synth/*/{freq,gain}", "/synth/1/2/freq", false),
    // `//`: zero or more whole parts.
    ("//spherical", "/spherical", true),
    ("//spherical", "/position/spherical", true),
    ("//spherical", "/a/b/spherical", true),
    ("//spherical", "/spherical/x", false),
    ("//spherical", "/sphericalx", false),
    ("/a//b", "/a/b", true),
    ("/a//b", "/a/x/b", true),
    ("/a//b", "/a/x/y/b", true),
    ("/a//b", "/a", false),
    ("/a//b", "/b", false),
    ("/a//b", "/a/b/c", false),
    ("/a//b", "/x/a/b", false),
    ("//a//b", "/x/a/y/b", true),
    ("//a//b", "/a/b", true),
    ("//a//b", "/b/a", false),
    ("//*", "/x", true),
    ("//*", "/x/y", true),
    ("//*/b", "/b", false),
    ("//*/b", "/a/b", true),
    ("//*/b", "/x/a/b", true),
    ("/a//b//c", "/a/b/c", true),
    ("/a//b//c", "/a/x/b/y/z/c", true),
    ("/a//b//c", "/a/c/b", false),
    ("//{b,c}", "/a/c", true),
    ("//b*", "/a/b/bc", true),
    ("//b*/c", "/b/x/bc/c", true),
    ("//[0-9]/x", "/a/1/2/x", true),
    ("//[0-9]/x", "/a/1/b/x", false),
    ("/a//", "/a/b", false),
    ("/a///b", "/a/b", false),
    ("/a///b", "/a/x/b", false),
    ("///b", "/b", false),
    // Every byte of the address is literal.
    ("/a/*", "/a/*", true),
    ("/a/b", "/a/*", false),
    ("/a/?", "/a/*", true),
    ("/?", "/?", true),
    ("/[!a]", "/]", true),
    ("/*", "/a b#", true),
    ("/[!a]", "/\u{e9}", false),
    ("/??", "/\u{e9}", true),
    // Space, `#` and non-ASCII are literal characters of a pattern too.
    ("/a b", "/a b", true),
    ("/a#", "/a#", true),
    ("/layer */opacity", "/layer 1/opacity", true),
    ("/layer */opacity", "/layer1/opacity", false),
    ("/{caf\u{e9},tea}/*", "/caf\u{e9}/x", true),
    ("/caf*", "/caf\u{e9}", true),
    ("/x/\u{e9}", "/x/\u{e9}", true),
    ("/x/?", "/x/\u{e9}", false),
    ("/[ #]x", "/#x", true),
    // A malformed pattern never matches, even itself.
    ("/a/[b", "/a/[b", false),
    ("/a/b]", "/a/b]", false),
    ("/a{b", "/a{b", false),
    ("/a}", "/a}", false),
    ("/a,b", "/a,b", false),
    ("/a\tb", "/a\tb", false),
    ("/[\u{e9}]", "/\u{e9}", false),
    ("/[]", "/a", false),
    ("/[!]", "/a", false),
    ("/[b-a]", "/a", false),
    ("/{a,[b]}", "/b", false),
    ("/{a*}", "/a", false),
    ("/{a/b}", "/a/b", false),
    ("/[a/b]", "/a/b", false),
    ("/*/[", "/a/b", false),
    ("//a/[", "/x/a/b", false),
];

#[test]
fn conformance_table() {
    let mut failures = Vec::new();
    for &(p, a, want) in MATCHES {
        if matches(p, a) != want {
            failures.push(format!("matches({p:?}, {a:?}) should be {want}"));
        }
        // The engine of the `small` feature, in every build.
        if matcher::matches_small(p.as_bytes(), a.as_bytes()) != want {
            failures.push(format!("matches_small({p:?}, {a:?}) should be {want}"));
        }
        assert_eq!(matches_bytes(p.as_bytes(), a.as_bytes()), matches(p, a));
        assert_eq!(
            reference(p.as_bytes(), a.as_bytes()),
            want,
            "reference: {p:?} {a:?}"
        );
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

const GOOD_ADDRESSES: &[&str] = &[
    "/",
    "/a",
    "/a/b",
    "/synth/1/freq",
    "/!$%&'()+-.:;<=>@\\^_`|~",
    "/A-Z_0.9/\"quoted\"",
    // Wider than OSC 1.0 (Millumin, Max): space, `#` and non-ASCII.
    "/a b",
    "/a#",
    "/#bundle",
    "/\u{e9}",
    "/millumin/layer:Layer 1/opacity",
    "/cue/\u{dc}berblende/\u{1f3b9}",
];

const BAD_ADDRESSES: &[(&str, K, usize)] = &[
    ("", Empty, 0),
    ("a", MissingSlash, 0),
    ("a/b", MissingSlash, 0),
    (" /a", MissingSlash, 0),
    ("//", EmptyPart, 1),
    ("//a", EmptyPart, 1),
    ("/a/", EmptyPart, 2),
    ("/a//b", EmptyPart, 3),
    ("/a*", InvalidChar, 2),
    ("/a?", InvalidChar, 2),
    ("/a,", InvalidChar, 2),
    ("/[", InvalidChar, 1),
    ("/]", InvalidChar, 1),
    ("/{", InvalidChar, 1),
    ("/}", InvalidChar, 1),
    ("/a\u{7f}", InvalidChar, 2),
    ("/a\t", InvalidChar, 2),
    ("/a\0", InvalidChar, 2),
    ("/a\u{1b}", InvalidChar, 2),
    ("/a/b\nc/", InvalidChar, 4),
];

const GOOD_PATTERNS: &[&str] = &[
    "/",
    "/a",
    "//a",
    "/a//b",
    "//a//b",
    "//a/b",
    "/*",
    "/**",
    "/?",
    "/[a]",
    "/[!a]",
    "/[a-z]",
    "/[-]",
    "/[!-]",
    "/[a-]",
    "/[-a]",
    "/[!!]",
    "/[a-a]",
    "/[--a]",
    "/[a-c-e]",
    "/{}",
    "/{,}",
    "/{a,b}",
    "/{,a}",
    "/{a-b,!c}",
    "/x{a,b}y*[0-9]?",
    "/synth/*/{freq,gain}",
    "/layer {1,2}/*",
    "/[ ]",
    "/[#]",
    "/{ }",
    "/{caf\u{e9},tea}/?\u{e9}",
];

const BAD_PATTERNS: &[(&str, K, usize)] = &[
    ("", Empty, 0),
    ("a", MissingSlash, 0),
    ("*", MissingSlash, 0),
    ("//", EmptyPart, 1),
    ("/a/", EmptyPart, 2),
    ("/a//", EmptyPart, 3),
    ("///", TooManySlashes, 2),
    ("///a", TooManySlashes, 2),
    ("/a///b", TooManySlashes, 4),
    ("/a////b", TooManySlashes, 4),
    ("/a,b", InvalidChar, 2),
    ("/a\u{7f}", InvalidChar, 2),
    ("/a\tb/*", InvalidChar, 2),
    ("/[a", UnclosedBracket, 1),
    ("/[", UnclosedBracket, 1),
    ("/[!", UnclosedBracket, 1),
    ("/x[a/b]", UnclosedBracket, 2),
    ("/a]", UnmatchedBracket, 2),
    ("/[a]]", UnmatchedBracket, 4),
    ("/{a", UnclosedBrace, 1),
    ("/x{a/b}", UnclosedBrace, 2),
    ("/a}", UnmatchedBrace, 2),
    ("/{a}}", UnmatchedBrace, 4),
    ("/[]", EmptySet, 1),
    ("/[!]", EmptySet, 1),
    ("/x[]y", EmptySet, 2),
    ("/[z-a]", ReversedRange, 2),
    ("/[!ab-a]", ReversedRange, 4),
    ("/[a-!]", ReversedRange, 2),
    ("/[a*]", NestedMeta, 3),
    ("/[a?]", NestedMeta, 3),
    ("/[[]", NestedMeta, 2),
    ("/[{]", NestedMeta, 2),
    ("/[}]", NestedMeta, 2),
    ("/[a,b]", InvalidChar, 3),
    // A set matches one byte; a non-ASCII character is two to four.
    ("/[\u{e9}]", InvalidChar, 2),
    ("/[a-\u{e9}]", InvalidChar, 4),
    ("/[\t]", InvalidChar, 2),
    ("/{a*}", NestedMeta, 3),
    ("/{a,{b}}", NestedMeta, 4),
    ("/{[a]}", NestedMeta, 2),
    ("/{a]}", NestedMeta, 3),
    ("/{?}", NestedMeta, 2),
    ("/{\n}", InvalidChar, 2),
    // The first error is the one reported.
    ("/a/[z-a]/[", ReversedRange, 4),
    ("/a,b/]", InvalidChar, 2),
];

#[test]
fn address_validation_table() {
    for &a in GOOD_ADDRESSES {
        assert_eq!(validate_address(a), Ok(()), "{a:?}");
        assert_eq!(
            validate_pattern(a),
            Ok(()),
            "every address is a pattern: {a:?}"
        );
        assert!(matches(a, a), "an address matches itself: {a:?}");
        assert!(!is_pattern(a), "{a:?}");
    }
    for &(a, kind, offset) in BAD_ADDRESSES {
        let err = validate_address(a).expect_err(a);
        assert_eq!((err.kind(), err.offset()), (kind, offset), "{a:?}");
        assert_eq!(validate_address_bytes(a.as_bytes()), Err(err));
    }
}

#[test]
fn pattern_validation_table() {
    for &p in GOOD_PATTERNS {
        assert_eq!(validate_pattern(p), Ok(()), "{p:?}");
    }
    for &(p, kind, offset) in BAD_PATTERNS {
        let err = validate_pattern(p).expect_err(p);
        assert_eq!((err.kind(), err.offset()), (kind, offset), "{p:?}");
        assert_eq!(validate_pattern_bytes(p.as_bytes()), Err(err));
        for &a in GOOD_ADDRESSES {
            assert!(!matches(p, a), "malformed {p:?} matched {a:?}");
        }
        assert!(!matches(p, p), "malformed {p:?} matched itself");
    }
}

#[test]
fn error_display() {
    let err = validate_address("/mixer/*7").unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid address: '*' at byte 7: character not allowed here"
    );
    let err = validate_address("/a\tb").unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid address: byte 0x09 at byte 2: character not allowed here"
    );
    let err = validate_pattern("").unwrap_err();
    assert_eq!(err.to_string(), "invalid address: empty string");
    let err = validate_pattern("/a/[0-9").unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid address: '[' at byte 3: '[' not closed by ']' in the same part"
    );
    let err: &dyn core::error::Error = &err;
    assert!(err.source().is_none());
}

#[test]
fn wildcard_detection_and_prefix() {
    let cases: &[(&str, bool, usize)] = &[
        ("/synth/1/freq", false, 13),
        ("/", false, 1),
        ("", false, 0),
        ("/synth/*/freq", true, 7),
        ("/a?", true, 2),
        ("/a[0-9]", true, 2),
        ("/a]", true, 2),
        ("/a{b}", true, 2),
        ("/a}", true, 2),
        ("//a", true, 1),
        ("/a//b", true, 3),
        ("/a,b", false, 4),
    ];
    for &(p, wild, prefix) in cases {
        assert_eq!(is_pattern(p), wild, "{p:?}");
        assert_eq!(literal_prefix_len(p), prefix, "{p:?}");
    }
}

#[test]
fn complex_part_limit() {
    // A part with `{...}` and `*` is limited to MAX_COMPLEX_PART_LEN bytes.
    let fits = format!("/*{{a,b}}{}", "x".repeat(MAX_COMPLEX_PART_LEN - 6));
    assert_eq!(fits.len(), MAX_COMPLEX_PART_LEN + 1);
    assert_eq!(validate_pattern(&fits), Ok(()));
    let address = format!("/qqb{}", "x".repeat(MAX_COMPLEX_PART_LEN - 6));
    assert!(matches(&fits, &address));
    assert!(!matches(&fits, &format!("{address}x")));

    let too_long = format!("{fits}x");
    let err = validate_pattern(&too_long).unwrap_err();
    assert_eq!((err.kind(), err.offset()), (TooComplex, 256));
    assert!(!matches(&too_long, &format!("{address}x")));
    // Also after `//`, and in a later part.
    let err = validate_pattern(&format!("/a//{}", &too_long[1..])).unwrap_err();
    assert_eq!((err.kind(), err.offset()), (TooComplex, 259));

    // Literal parts, `*` `?` `[...]` parts and single-group parts have no limit.
    let long = "y".repeat(4000);
    for (p, yes, no) in [
        (format!("/{long}"), format!("/{long}"), format!("/{long}y")),
        (
            format!("/*{long}?"),
            format!("/yy{long}y"),
            format!("/{long}"),
        ),
        (
            format!("/[xy]{long}"),
            format!("/x{long}"),
            format!("/z{long}"),
        ),
        (
            format!("/{{{long},q}}{long}"),
            format!("/q{long}"),
            format!("/y{long}"),
        ),
    ] {
        assert_eq!(validate_pattern(&p), Ok(()));
        assert!(matches(&p, &yes), "{}", &p[..10]);
        assert!(!matches(&p, &no), "{}", &p[..10]);
    }
}

#[test]
fn complex_parts_across_word_sizes() {
    // Complex parts of 56 to 72 bytes: the matcher's state sets change from one word to four at
    // 64 positions, and the end of the part is a position too.
    for n in 56..=72 {
        for tail in ["", "b", "bb"] {
            let fill = "x".repeat(n - 7 - tail.len());
            let p = format!("/*{{a,b}}{fill}?{tail}");
            assert_eq!(p.len() - 1, n);
            for a in [
                format!("/qa{fill}z{tail}"),
                format!("/b{fill}{tail}"),
                format!("/qa{fill}z{tail}x"),
                format!("/qa{fill}{tail}"),
                format!("/a{fill}zz{tail}"),
            ] {
                assert_eq!(
                    matches(&p, &a),
                    reference(p.as_bytes(), a.as_bytes()),
                    "{p} {a}"
                );
            }
        }
    }
}

/// These must finish quickly (a backtracking matcher would take years), and be right.
#[test]
fn pathological_inputs() {
    let a1024 = "a".repeat(1024);
    assert!(!matches("/*a*a*a*a*a*b", &format!("/{a1024}")));
    assert!(matches("/*a*a*a*a*a*b", &format!("/{a1024}b")));
    assert!(!matches("/*a*a*a*a*a*b*", &format!("/{a1024}")));

    let groups = format!("/{}c", "{a,aa}".repeat(20));
    for n in 0..=45 {
        let a = "a".repeat(n);
        assert!(!matches(&groups, &format!("/{a}")), "{n}");
        assert_eq!(
            matches(&groups, &format!("/{a}c")),
            (20..=40).contains(&n),
            "{n}"
        );
    }
    let star_groups = format!("/*{}c", "{a,aa}*".repeat(20));
    assert!(!matches(&star_groups, &format!("/{a1024}")));
    assert!(matches(&star_groups, &format!("/{a1024}c")));

    // Nested `//`.
    let deep: String = "/a".repeat(200);
    assert!(!matches("//a//a//a//a//a//b", &deep));
    assert!(matches("//a//a//a//a//a//b", &format!("{deep}/b")));
    assert!(!matches("//*//*//*//*//c", &deep));
    assert!(matches("//*//*//*//*//c", &format!("{deep}/c")));
    assert!(!matches("//*a*a*a*b//*a*a*b", &"/aaaaaaaa".repeat(100)));

    // Many alternatives next to a `*`, against a long part.
    let commas = format!("/*{{{}}}x", ",".repeat(250));
    assert!(matches(&commas, &format!("/{}x", "b".repeat(10_000))));
    assert!(!matches(&commas, &format!("/{}", "b".repeat(10_000))));
}

#[path = "../../tests/support/reference_matcher.rs"]
mod reference_matcher;
use reference_matcher::reference;

/// Patterns built from well-formed pieces (with some malformed ones mixed in).
fn structured_pattern() -> impl Strategy<Value = String> {
    let item = prop_oneof![
        4 => "[ab]",
        1 => "[ #\u{e9}]",
        2 => Just("*".to_string()),
        2 => Just("?".to_string()),
        2 => r"\[!?[ab!\-]{1,3}\]",
        1 => r"\[!?[ab #]{1,3}\]",
        2 => r"\{[ab]{0,2}(,[ab]{0,2}){0,2}\}",
        1 => r"[\-!,\]}]",
    ];
    let part = proptest::collection::vec(item, 1..4).prop_map(|items| items.concat());
    let step = (prop_oneof![4 => Just("/"), 1 => Just("//")], part)
        .prop_map(|(slashes, part)| format!("{slashes}{part}"));
    proptest::collection::vec(step, 1..4).prop_map(|steps| steps.concat())
}

/// An address that `pattern` probably matches: each wildcard replaced by something it matches,
/// chosen with `seed`, and then sometimes one byte changed.
fn instantiate(pattern: &str, mut seed: u64) -> String {
    let mut next = |n: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % n.max(1) as u64) as usize
    };
    let p = pattern.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < p.len() {
        match p[i] {
            b'/' if p.get(i + 1) == Some(&b'/') => {
                for _ in 0..next(3) {
                    out.extend_from_slice(b"/ab");
                }
                out.push(b'/');
                i += 2;
                continue;
            }
            b'*' => out.extend((0..next(3)).map(|_| b"ab-"[next(3)])),
            b'?' => out.push(b"ab!"[next(3)]),
            b'[' => {
                let close = i + p[i..]
                    .iter()
                    .position(|&b| b == b']')
                    .unwrap_or(p.len() - i);
                let body = &p[(i + 1).min(close)..close];
                out.push(match body {
                    [b'!', ..] => b"ab-!"[next(4)],
                    [] => b'a',
                    _ => body[next(body.len())],
                });
                i = close;
            }
            b'{' => {
                let close = i + p[i..]
                    .iter()
                    .position(|&b| b == b'}')
                    .unwrap_or(p.len() - i);
                let alts: Vec<&[u8]> = p[i + 1..close].split(|&b| b == b',').collect();
                out.extend_from_slice(alts[next(alts.len())]);
                i = close;
            }
            b => out.push(b),
        }
        i += 1;
    }
    if next(4) == 0 && !out.is_empty() {
        let k = next(out.len());
        out[k] = b"ab/-"[next(4)];
    }
    // The changed byte may have split a non-ASCII character.
    String::from_utf8_lossy(&out).into_owned()
}

/// `split`, then part by part as the dispatcher's walk does: finite parts by their values, `*` as any
/// part, other parts by `Parts::part_matches`.
fn split_matches(pattern: &str, address: &str) -> Option<bool> {
    let mut parts = Parts::new();
    match parts.split(pattern.as_bytes()) {
        Split::Parts => {}
        Split::Malformed => return Some(false),
        Split::Other => return None,
    }
    let segs: Vec<&[u8]> = match address.as_bytes() {
        [b'/', rest @ ..] => rest.split(|&b| b == b'/').collect(),
        _ => return Some(false),
    };
    if segs.len() != parts.len() || segs.iter().any(|s| s.is_empty()) {
        return Some(false);
    }
    Some(segs.iter().enumerate().all(|(j, seg)| {
        match parts.part(j) {
            Part::Finite {
                prefix,
                alts,
                suffix,
            } => alts
                .split(|&b| b == b',')
                .any(|alt| [prefix, alt, suffix].concat() == *seg),
            Part::Any => true,
            Part::Open => parts.part_matches(j, seg),
        }
    }))
}

/// At least 2048 cases; more with `PROPTEST_CASES`.
fn config() -> ProptestConfig {
    let default = ProptestConfig::default();
    ProptestConfig {
        cases: default.cases.max(2048),
        ..default
    }
}

proptest! {
    #![proptest_config(config())]

    /// The engine of the `small` feature, in every build (the others go through `matches`, which is
    /// that engine only with `small`).
    #[test]
    fn small_engine_agrees_with_reference(
        p in structured_pattern(),
        a in r"(/[ab!\-]{0,4}){1,5}",
        r in r"/[ab \u{e9}/*?\[\]{},!\-\t]{0,10}",
        seed: u64,
    ) {
        let instantiated = instantiate(&p, seed | 1);
        let pad = "x".repeat(70);
        let long = format!("/{pad}{}", p.get(1..).unwrap_or(""));
        let long_address = format!("/{pad}{}", instantiated.get(1..).unwrap_or(""));
        for (p, a) in [(&p, &a), (&p, &instantiated), (&r, &a), (&long, &long_address)] {
            prop_assert_eq!(
                matcher::matches_small(p.as_bytes(), a.as_bytes()),
                reference(p.as_bytes(), a.as_bytes()),
                "{:?} {:?}", p, a
            );
        }
    }

    #[test]
    fn agrees_with_reference_on_random_strings(
        p in r"/[ab \u{e9}/*?\[\]{},!\-\t]{0,10}",
        a in r"/[ab \u{e9}/*!\-]{0,8}",
    ) {
        prop_assert_eq!(matches(&p, &a), reference(p.as_bytes(), a.as_bytes()));
    }

    #[test]
    fn agrees_with_reference_on_structured_patterns(
        p in structured_pattern(),
        a in r"(/[ab!\-]{0,4}){1,5}",
    ) {
        prop_assert_eq!(matches(&p, &a), reference(p.as_bytes(), a.as_bytes()));
    }

    #[test]
    fn agrees_with_reference_on_instantiated_patterns(p in structured_pattern(), seed: u64) {
        let a = instantiate(&p, seed | 1);
        prop_assert_eq!(matches(&p, &a), reference(p.as_bytes(), a.as_bytes()), "{:?}", a);
    }

    #[test]
    fn long_parts_agree_with_reference(p in structured_pattern(), seed: u64) {
        // 70 literal bytes in front of the first part take complex parts past one 64-bit word.
        let a = instantiate(&p, seed | 1);
        let pad = "x".repeat(70);
        let p = format!("/{pad}{}", p.get(1..).unwrap_or(""));
        let a = format!("/{pad}{}", a.get(1..).unwrap_or(""));
        prop_assert_eq!(matches(&p, &a), reference(p.as_bytes(), a.as_bytes()), "{:?} {:?}", p, a);
    }

    #[test]
    fn captures_put_back_in_place_of_the_wildcards_give_the_address(p in structured_pattern(), seed: u64) {
        let a = instantiate(&p, seed | 1);
        let Some(mut caps) = captures(&p, &a) else {
            prop_assert!(!matches(&p, &a));
            return Ok(());
        };
        // Each wildcard part by the part it matched, each `//` by the parts it stepped over.
        let mut rebuilt = String::new();
        for part in p.split('/').skip(1) {
            if part.is_empty() || is_pattern(part) {
                let cap = caps.next();
                prop_assert!(cap.is_some(), "{:?} {:?}", p, a);
                let cap = cap.unwrap_or_default();
                let (part_alone, cap_alone) = (format!("/{}", part), format!("/{}", cap));
                prop_assert!(part.is_empty() || matches(&part_alone, &cap_alone), "{:?} {:?}", p, a);
                if !part.is_empty() || !cap.is_empty() {
                    rebuilt.push('/');
                    rebuilt.push_str(cap);
                }
            } else {
                rebuilt.push('/');
                rebuilt.push_str(part);
            }
        }
        prop_assert_eq!(caps.next(), None);
        prop_assert_eq!(rebuilt, a);
    }

    #[test]
    fn split_parts_agree_with_matches(p in structured_pattern(), seed: u64, a in r"(/[ab!\-]{0,4}){1,5}") {
        let instantiated = instantiate(&p, seed | 1);
        for address in [a.as_str(), instantiated.as_str()] {
            if let Some(m) = split_matches(&p, address) {
                prop_assert_eq!(m, matches(&p, address), "{:?} {:?}", p, address);
            }
        }
    }

    #[test]
    fn bytes_eq_is_equality(a in proptest::collection::vec(0u8..3, 0..40), b in proptest::collection::vec(0u8..3, 0..40)) {
        prop_assert_eq!(bytes_eq(&a, &b), a == b);
        prop_assert!(bytes_eq(&a, &a.clone()));
    }

    #[test]
    fn never_panics_on_arbitrary_bytes(p in any::<Vec<u8>>(), a in any::<Vec<u8>>()) {
        let _ = matches_bytes(&p, &a);
        let _ = validate_pattern_bytes(&p);
        let _ = validate_address_bytes(&a);
        let mut slashed = vec![b'/'];
        slashed.extend_from_slice(&p);
        let _ = matches_bytes(&slashed, &a);
        let _ = matches_bytes(&slashed, &slashed);
        if let Err(err) = validate_pattern_bytes(&slashed) {
            prop_assert!(err.offset() < slashed.len());
            prop_assert!(!matches_bytes(&slashed, &a));
        }
        if let Ok(s) = core::str::from_utf8(&p) {
            let n = literal_prefix_len(s);
            prop_assert!(n <= s.len());
            prop_assert_eq!(is_pattern(s), n < s.len());
        }
    }

    #[test]
    fn literal_prefix_is_a_prefix_of_every_match(
        p in structured_pattern(),
        a in r"(/[ab!\-]{0,4}){1,5}",
    ) {
        if matches(&p, &a) {
            prop_assert!(a.starts_with(&p[..literal_prefix_len(&p)]));
        }
    }

    #[test]
    fn a_literal_pattern_matches_by_byte_compare(
        p in r"/[ab/!\- #,]{0,8}",
        a in r"(/[ab!\-]{1,3}){1,4}",
    ) {
        if !is_pattern(&p) {
            prop_assert_eq!(matches(&p, &a), p == a);
        }
        prop_assert!(matches(&a, &a));
    }

    /// The checker of the `small` feature reports the same errors as the scanner of the others.
    #[test]
    fn both_checkers_agree(
        p in r"[a/*?\[\]{},!\- #\xe9\t\x7f]{0,12}",
        q in structured_pattern(),
    ) {
        // Also past the length limit of complex parts.
        let long = format!("{q}{}", "x".repeat(MAX_COMPLEX_PART_LEN - 4));
        for p in [&p, &q, &long] {
            let small = compact::check(p.as_bytes())
                .map_err(|(kind, at)| AddressError::at(kind, p.as_bytes(), at));
            prop_assert_eq!(small, validate_steps(p.as_bytes()), "{:?}", p);
        }
    }

    /// Parts past the length limit of complex parts, which the `small` engine matches with its
    /// glob matcher.
    #[test]
    fn small_engine_agrees_on_long_parts(p in structured_pattern(), seed: u64) {
        let a = instantiate(&p, seed | 1);
        let pad = "x".repeat(MAX_COMPLEX_PART_LEN);
        for (p, a) in [
            (format!("/{pad}{}", p.get(1..).unwrap_or("")), format!("/{pad}{}", a.get(1..).unwrap_or(""))),
            (format!("{p}{pad}"), format!("{a}{pad}")),
            (format!("{p}{pad}"), format!("{a}x{pad}")),
        ] {
            prop_assert_eq!(
                matcher::matches_small(p.as_bytes(), a.as_bytes()),
                reference(p.as_bytes(), a.as_bytes()),
                "{:?} {:?}", p, a
            );
        }
    }

    /// The dispatcher relies on this with `small`: it checks every route with `validate_pattern`.
    #[test]
    fn a_string_without_wildcards_is_checked_the_same_either_way(
        s in r"[a/!\- #,\x00\x7f\xe9]{0,8}",
    ) {
        if !is_pattern(&s) {
            prop_assert_eq!(validate_pattern(&s), validate_address(&s));
        }
    }

    #[test]
    fn a_valid_address_matches_only_itself(
        x in r"(/[ab!\-]{1,3}){1,4}",
        y in r"(/[ab!\-]{1,3}){1,4}",
    ) {
        prop_assert_eq!(validate_address(&x), Ok(()));
        prop_assert!(!is_pattern(&x));
        prop_assert_eq!(matches(&x, &y), x == y);
    }
}

/// The byte classes of the `small` feature are those of the table, for every byte.
#[test]
fn small_classes_agree() {
    for b in 0..=u8::MAX {
        assert_eq!(syntax::classify_small(b), syntax::classify(b), "{b:#x}");
    }
}
