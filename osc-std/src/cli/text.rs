//! The one-line-per-message text form, modelled on liblo's `oscdump`.
//!
//! A message prints as `ADDRESS TYPES ARG ARG …`, e.g. `/synth/1/freq ifs 440 0.500000 "sine"`. Messages
//! inside a bundle are prefixed with the timetag of the bundle that directly contains them, as
//! `SSSSSSSS.FFFFFFFF` in hex. The argument forms are liblo's `lo_arg_pp`:
//!
//! | tag | printed as |
//! |---|---|
//! | `i` `h` | decimal |
//! | `f` `d` | `%f`: six decimals (`0.500000`), `nan`, `-nan`, `inf`, `-inf` |
//! | `s` | `"text"` |
//! | `S` | `'symbol` |
//! | `c` | `'A'` |
//! | `b` | `[3b 0x01 0x02 0xff]` |
//! | `m` | `MIDI [0x00 0x90 0x3c 0x7f]` |
//! | `t` | `SSSSSSSS.FFFFFFFF` |
//! | `r` | `RGBA [0xff 0x00 0x00 0xff]` (liblo has no `r`) |
//! | `T` `F` `N` `I` | `#T` `#F` `Nil` `Infinitum` |
//! | `[` … `]` | `[1 2]` (liblo has no arrays) |
//!
//! Differences from liblo 0.31's `oscdump`, all so that one line is always one message and can be read
//! back unambiguously: control characters, `\` and the quote character in strings, symbols and chars
//! are escaped (`\n`, `\t`, `\r`, `\\`, `\"`, `\'`, `\u{1b}`) where liblo prints the raw bytes; blob
//! bytes are always `0x` and two digits (liblo prints `%#02x`: `0x1` but `00` for zero); a message without
//! arguments prints no trailing space; a message outside a bundle has no timetag prefix unless
//! `--timestamps` is given, which prints the receive time like `oscdump` does (and the receive time for
//! bundles timed "immediately", as `oscdump` does).

use std::fmt::Write as _;

use osc_core::{Arg, Args, Message, Packet, TimeTag};

/// Writes `%f` for a float the way C's printf does.
fn push_float(out: &mut String, v: f64) {
    if v.is_nan() {
        out.push_str(if v.is_sign_negative() { "-nan" } else { "nan" });
    } else if v.is_infinite() {
        out.push_str(if v < 0.0 { "-inf" } else { "inf" });
    } else {
        let _ = write!(out, "{v:.6}");
    }
}

/// Writes `s`, escaping `\`, `quote` and control characters.
fn push_escaped(out: &mut String, s: &str, quote: char) {
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
}

fn push_bytes(out: &mut String, bytes: &[u8]) {
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        let _ = write!(out, "0x{b:02x}");
    }
}

/// Writes a timetag as `SSSSSSSS.FFFFFFFF`.
pub(crate) fn push_timetag(out: &mut String, t: TimeTag) {
    let _ = write!(out, "{:08x}.{:08x}", t.seconds(), t.fraction());
}

fn push_arg(out: &mut String, a: &Arg<'_>) {
    match *a {
        Arg::Int(v) => {
            let _ = write!(out, "{v}");
        }
        Arg::Long(v) => {
            let _ = write!(out, "{v}");
        }
        Arg::Float(v) => push_float(out, f64::from(v)),
        Arg::Double(v) => push_float(out, v),
        Arg::String(s) => {
            out.push('"');
            push_escaped(out, s, '"');
            out.push('"');
        }
        Arg::Symbol(s) => {
            out.push('\'');
            push_escaped(out, s, '\0');
        }
        Arg::Char(c) => {
            out.push('\'');
            let mut buf = [0u8; 4];
            push_escaped(out, c.encode_utf8(&mut buf), '\'');
            out.push('\'');
        }
        Arg::Blob(b) => {
            let _ = write!(out, "[{}b", b.len());
            if !b.is_empty() {
                out.push(' ');
                push_bytes(out, b);
            }
            out.push(']');
        }
        Arg::Midi(m) => {
            out.push_str("MIDI [");
            push_bytes(out, &m.to_bytes());
            out.push(']');
        }
        Arg::Color(c) => {
            out.push_str("RGBA [");
            push_bytes(out, &c.to_u32().to_be_bytes());
            out.push(']');
        }
        Arg::Time(t) => push_timetag(out, t),
        Arg::Bool(true) => out.push_str("#T"),
        Arg::Bool(false) => out.push_str("#F"),
        Arg::Nil => out.push_str("Nil"),
        Arg::Impulse => out.push_str("Infinitum"),
        Arg::Array(inner) => {
            out.push('[');
            push_args(out, inner, false);
            out.push(']');
        }
    }
}

fn push_args(out: &mut String, args: Args<'_>, leading_space: bool) {
    for (i, a) in args.iter().enumerate() {
        if leading_space || i > 0 {
            out.push(' ');
        }
        push_arg(out, &a);
    }
}

fn push_tags(out: &mut String, args: Args<'_>) {
    if let Some(tags) = args.type_tags() {
        out.push_str(tags);
        return;
    }
    for a in args.iter() {
        match a {
            Arg::Array(inner) => {
                out.push('[');
                push_tags(out, inner);
                out.push(']');
            }
            other => out.push(char::from(other.type_tag().as_byte())),
        }
    }
}

/// One message as a line (without the newline), optionally prefixed by a timetag.
pub(crate) fn message_line(msg: &Message<'_>, prefix: Option<TimeTag>) -> String {
    let mut out = String::new();
    if let Some(t) = prefix {
        push_timetag(&mut out, t);
        out.push(' ');
    }
    out.push_str(msg.address());
    if !msg.args().is_empty() {
        out.push(' ');
        push_tags(&mut out, msg.args());
        push_args(&mut out, msg.args(), true);
    }
    out
}

/// The lines of a packet: one per message, bundles flattened in order.
///
/// `received` is the time to show for messages outside bundles and for bundles timed "immediately";
/// `None` shows no prefix for the former and the raw value `00000000.00000001` for the latter.
pub(crate) fn packet_lines(packet: &Packet<'_>, received: Option<TimeTag>) -> Vec<String> {
    let mut lines = Vec::new();
    // Depth-first walk with an explicit stack of element iterators and their bundle timetags.
    match packet {
        Packet::Message(m) => lines.push(message_line(m, received)),
        Packet::Bundle(b) => {
            let mut stack = vec![(b.timetag(), b.elements())];
            while let Some((tt, it)) = stack.last_mut() {
                let tt = *tt;
                match it.next() {
                    None => {
                        stack.pop();
                    }
                    Some(Packet::Message(m)) => {
                        let shown = match received {
                            Some(now) if tt.is_immediately() => now,
                            _ => tt,
                        };
                        lines.push(message_line(&m, Some(shown)));
                    }
                    Some(Packet::Bundle(inner)) => stack.push((inner.timetag(), inner.elements())),
                }
            }
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use osc_core::{Bundle, Color, Midi};

    fn line(args: &[Arg<'_>]) -> String {
        message_line(&Message::new("/x", args), None)
    }

    #[test]
    fn liblo_forms() {
        assert_eq!(
            line(&[Arg::Int(440), Arg::Float(0.5), Arg::String("sine")]),
            r#"/x ifs 440 0.500000 "sine""#
        );
        assert_eq!(
            line(&[
                Arg::Int(-5),
                Arg::Long(123_456_789_012),
                Arg::Float(0.5),
                Arg::Double(1.5),
                Arg::String("hi there"),
                Arg::Symbol("sym"),
                Arg::Char('A'),
                Arg::Midi(Midi::from_bytes([0, 0x90, 0x3c, 0x7f])),
                Arg::Bool(true),
                Arg::Bool(false),
                Arg::Nil,
                Arg::Impulse,
            ]),
            r#"/x ihfdsScmTFNI -5 123456789012 0.500000 1.500000 "hi there" 'sym 'A' MIDI [0x00 0x90 0x3c 0x7f] #T #F Nil Infinitum"#
        );
        assert_eq!(
            line(&[
                Arg::Float(1e30),
                Arg::Double(-0.000_001),
                Arg::Double(std::f64::consts::PI)
            ]),
            "/x fdd 1000000015047466219876688855040.000000 -0.000001 3.141593"
        );
        assert_eq!(
            line(&[
                Arg::Float(f32::NAN),
                Arg::Float(-f32::NAN),
                Arg::Float(f32::INFINITY),
                Arg::Double(f64::NEG_INFINITY)
            ]),
            "/x fffd nan -nan inf -inf"
        );
        assert_eq!(
            line(&[
                Arg::Blob(&[1, 2, 255]),
                Arg::Blob(&[]),
                Arg::Time(TimeTag::new(0xe875_4700, 0x8000_0000)),
                Arg::Color(Color::from_u32(0xff00_00ff)),
            ]),
            "/x bbtr [3b 0x01 0x02 0xff] [0b] e8754700.80000000 RGBA [0xff 0x00 0x00 0xff]"
        );
        assert_eq!(line(&[]), "/x");
    }

    #[test]
    fn escapes_and_arrays() {
        let inner = [Arg::Int(1), Arg::Int(2)];
        assert_eq!(
            line(&[
                Arg::String("a\"b\\c\nd\u{1b}é"),
                Arg::Symbol("it's"),
                Arg::Char('\''),
                Arg::Array(osc_core::Args::from_slice(&inner)),
            ]),
            r#"/x sSc[ii] "a\"b\\c\nd\u{1b}é" 'it's '\'' [1 2]"#
        );
    }

    #[test]
    fn bundles_flatten_with_their_timetag() {
        let a = [Arg::Int(7)];
        let m = Packet::Message(Message::new("/a", &a));
        let inner_elems = [m];
        let inner = Packet::Bundle(Bundle::new(TimeTag::new(2, 0), &inner_elems));
        let elems = [m, inner, m];
        let outer = Packet::Bundle(Bundle::new(TimeTag::new(1, 0x10), &elems));
        assert_eq!(
            packet_lines(&outer, None),
            [
                "00000001.00000010 /a i 7",
                "00000002.00000000 /a i 7",
                "00000001.00000010 /a i 7"
            ]
        );
        let imm = [m];
        let now = TimeTag::new(5, 5);
        let b = Packet::Bundle(Bundle::new(TimeTag::IMMEDIATELY, &imm));
        assert_eq!(packet_lines(&b, None), ["00000000.00000001 /a i 7"]);
        assert_eq!(packet_lines(&b, Some(now)), ["00000005.00000005 /a i 7"]);
        assert_eq!(packet_lines(&m, Some(now)), ["00000005.00000005 /a i 7"]);
        assert_eq!(packet_lines(&m, None), ["/a i 7"]);
    }
}
