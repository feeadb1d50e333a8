//! Every class of bad input yields its typed error at the right byte offset; the tolerant profile accepts
//! exactly what real devices send.

use osc_core::{decode, Arg, DecodeConfig, DecodeErrorKind as K, Packet, TimeTag};

/// `decode_err!(name, bytes, kind, offset)` for the default profile; `strict` for the strict one.
macro_rules! decode_err {
    ($name:ident, $bytes:expr, $kind:expr, $offset:expr) => {
        #[test]
        fn $name() {
            let e = decode(&$bytes[..]).unwrap_err();
            assert_eq!((e.kind(), e.offset()), ($kind, $offset), "{e}");
            let s = DecodeConfig::strict().decode(&$bytes[..]).unwrap_err();
            assert_eq!(s.kind(), $kind, "strict: {s}");
        }
    };
    (strict $name:ident, $bytes:expr, $kind:expr, $offset:expr) => {
        #[test]
        fn $name() {
            assert!(decode(&$bytes[..]).is_ok(), "tolerant profile accepts it");
            let e = DecodeConfig::strict().decode(&$bytes[..]).unwrap_err();
            assert_eq!((e.kind(), e.offset()), ($kind, $offset), "{e}");
        }
    };
}

decode_err!(empty, b"", K::Empty, 0);
decode_err!(not_osc, b"abc\0", K::NotOscPacket, 0);
decode_err!(
    bad_bundle_tag,
    b"#bundlx\0\0\0\0\0\0\0\0\x01",
    K::BadBundleTag,
    0
);
decode_err!(short_bundle, b"#bundle\0\0\0", K::UnexpectedEnd, 10);
decode_err!(unterminated_address, b"/abc", K::UnterminatedString, 0);
decode_err!(address_padding_missing, b"/abc\0", K::UnexpectedEnd, 5);
decode_err!(address_not_utf8, b"/a\xff\0", K::BadUtf8, 2);
decode_err!(strict no_comma_then_data, b"/a\0\0xyz\0", K::BadTypeTagString, 4);
decode_err!(
    unknown_tag,
    b"/a\0\0,iQ\0\0\0\0\x01",
    K::UnknownTypeTag(b'Q'),
    6
);
decode_err!(short_int, b"/a\0\0,i\0\0\0\0", K::UnexpectedEnd, 10);
decode_err!(short_double, b"/a\0\0,d\0\0\0\0\0\0", K::UnexpectedEnd, 12);
decode_err!(string_no_nul, b"/a\0\0,s\0\0abcd", K::UnterminatedString, 8);
decode_err!(string_not_utf8, b"/a\0\0,s\0\0ab\xc3\0", K::BadUtf8, 10);
decode_err!(
    negative_blob,
    b"/a\0\0,b\0\0\xff\xff\xff\xfc",
    K::NegativeBlobSize,
    8
);
decode_err!(
    blob_past_end,
    b"/a\0\0,b\0\0\0\0\0\x08abcd",
    K::UnexpectedEnd,
    16
);
decode_err!(bad_char, b"/a\0\0,c\0\0\0\0\xd8\0", K::BadChar, 8);
decode_err!(unbalanced_close, b"/a\0\0,]\0\0", K::UnbalancedArray, 5);
decode_err!(
    unbalanced_open,
    b"/a\0\0,[i\0\0\0\0\x01",
    K::UnbalancedArray,
    7
);
decode_err!(
    element_negative,
    b"#bundle\0\0\0\0\0\0\0\0\x01\xff\xff\xff\xfc/a\0\0",
    K::ElementSizeNegative,
    16
);
decode_err!(
    element_zero,
    b"#bundle\0\0\0\0\0\0\0\0\x01\0\0\0\0",
    K::ElementSizeZero,
    16
);
decode_err!(
    element_unaligned,
    b"#bundle\0\0\0\0\0\0\0\0\x01\0\0\0\x05/a\0\0,\0\0\0",
    K::ElementSizeUnaligned,
    16
);
decode_err!(
    element_too_long,
    b"#bundle\0\0\0\0\0\0\0\0\x01\0\0\0\x10/a\0\0,\0\0\0",
    K::ElementTooLong,
    16
);
decode_err!(
    element_size_cut,
    b"#bundle\0\0\0\0\0\0\0\0\x01\0\0",
    K::UnexpectedEnd,
    18
);
decode_err!(
    element_not_packet,
    b"#bundle\0\0\0\0\0\0\0\0\x01\0\0\0\x04abc\0",
    K::BadElement,
    20
);
decode_err!(
    element_bad_message,
    b"#bundle\0\0\0\0\0\0\0\0\x01\0\0\0\x08/a\0\0,x\0\0",
    K::UnknownTypeTag(b'x'),
    25
);

decode_err!(strict missing_type_tags, b"/xinfo\0\0", K::MissingTypeTags, 8);
decode_err!(strict trailing, b"/FB\0,f\0\0\x3f\x80\0\0\x01\x02", K::TrailingBytes, 12);
decode_err!(strict nonzero_string_pad, b"/a\0x,\0\0\0", K::NonZeroPadding, 3);
decode_err!(strict nonzero_blob_pad, b"/a\0\0,b\0\0\0\0\0\x01\x07\x01\0\0", K::NonZeroPadding, 13);

/// Behringer X32: no type-tag string at all, decoded as zero arguments.
#[test]
fn x32_message_without_type_tags() {
    let m = decode(b"/xinfo\0\0").unwrap().into_message().unwrap();
    assert_eq!(m.address(), "/xinfo");
    assert!(m.args().is_empty());
}

fn nested_bundles(depth: usize) -> Vec<u8> {
    // Innermost: a bundle holding one message; each level wraps the previous one.
    let msg = b"/a\0\0,i\0\0\0\0\0\x07";
    let mut p = b"#bundle\0\0\0\0\0\0\0\0\x01".to_vec();
    p.extend_from_slice(&(msg.len() as i32).to_be_bytes());
    p.extend_from_slice(msg);
    for _ in 1..depth {
        let mut outer = b"#bundle\0\0\0\0\0\0\0\0\x01".to_vec();
        outer.extend_from_slice(&(p.len() as i32).to_be_bytes());
        outer.extend_from_slice(&p);
        p = outer;
    }
    p
}

#[test]
fn bundle_depth_limit() {
    let ok = nested_bundles(osc_core::DEFAULT_MAX_DEPTH);
    assert!(decode(&ok).is_ok());
    let deep = nested_bundles(osc_core::DEFAULT_MAX_DEPTH + 1);
    let e = decode(&deep).unwrap_err();
    assert_eq!(e.kind(), K::DepthExceeded);
    assert_eq!(e.offset(), 20 * osc_core::DEFAULT_MAX_DEPTH);
    assert!(DecodeConfig::new().max_depth(32).decode(&deep).is_ok());
    assert_eq!(
        DecodeConfig::new()
            .max_depth(0)
            .decode(&ok)
            .unwrap_err()
            .kind(),
        K::DepthExceeded
    );
}

/// The rosc stack-overflow case: 3000 nested bundles in one 64 KiB datagram is a clean error, on a
/// small thread stack.
#[test]
fn three_thousand_nested_bundles_on_a_small_stack() {
    let deep = nested_bundles(3000);
    assert!(deep.len() < 65_536);
    let r = std::thread::Builder::new()
        .stack_size(32 * 1024)
        .spawn(move || decode(&deep).map(|_| ()).unwrap_err().kind())
        .unwrap()
        .join()
        .unwrap();
    assert_eq!(r, K::DepthExceeded);
}

#[test]
fn array_depth_limit() {
    let depth = osc_core::DEFAULT_MAX_DEPTH;
    let mut tags = String::from(",");
    tags.push_str(&"[".repeat(depth + 1));
    tags.push_str(&"]".repeat(depth + 1));
    let mut p = b"/a\0\0".to_vec();
    p.extend_from_slice(tags.as_bytes());
    p.resize(4 + (tags.len() + 4) / 4 * 4, 0);
    let e = decode(&p).unwrap_err();
    assert_eq!((e.kind(), e.offset()), (K::DepthExceeded, 5 + depth));
    assert!(DecodeConfig::new().max_depth(depth + 1).decode(&p).is_ok());
}

#[test]
fn nested_array_values() {
    // ,i[i[s]f]T with data 1, 2, "x", 0.5
    let p = b"/a\0\0,i[i[s]f]T\0\0\0\0\0\x01\0\0\0\x02x\0\0\0\x3f\0\0\0";
    let m = decode(p).unwrap().into_message().unwrap();
    let args: Vec<Arg<'_>> = m.iter().collect();
    assert_eq!(args.len(), 3);
    assert_eq!(args[0], Arg::Int(1));
    assert_eq!(args[2], Arg::Bool(true));
    let Arg::Array(outer) = args[1] else {
        panic!("array expected")
    };
    let inner: Vec<Arg<'_>> = outer.iter().collect();
    assert_eq!(inner.len(), 3);
    assert_eq!(inner[0], Arg::Int(2));
    assert_eq!(inner[2], Arg::Float(0.5));
    let Arg::Array(x) = inner[1] else {
        panic!("array expected")
    };
    assert_eq!(x.get(0), Some(Arg::String("x")));
    assert_eq!(m.args().len(), 3);
}

#[test]
fn errors_display_the_offset() {
    let e = decode(b"#bundle\0\0\0\0\0\0\0\0\x01\xff\xff\xff\xfc").unwrap_err();
    assert_eq!(e.to_string(), "negative bundle element size at byte 16");
}

#[test]
fn empty_bundle_and_empty_message() {
    let b = decode(b"#bundle\0\0\0\0\0\0\0\0\x01").unwrap();
    assert_eq!(b.as_bundle().unwrap().elements().count(), 0);
    assert_eq!(b.as_bundle().unwrap().timetag(), TimeTag::IMMEDIATELY);
    assert!(matches!(
        decode(b"/\0\0\0,\0\0\0").unwrap(),
        Packet::Message(_)
    ));
}
