//! The text form of packets: liblo's `oscdump` format, one line per message.
//!
//! A message prints as `ADDRESS TYPES ARG ARG …`, e.g. `/synth/1/freq ifs 440 0.500000 "sine"`. A bundle
//! prints one line per message, nested bundles flattened in packet order, each line prefixed with the
//! timetag of the bundle that directly holds the message (`e8754700.80000000 /a i 7`). The argument forms
//! are liblo's `lo_arg_pp`:
//!
//! | tag | printed as |
//! |---|---|
//! | `i` `h` | decimal |
//! | `f` `d` | C's `%f`: six decimals (`0.500000`), `nan`, `-nan`, `inf`, `-inf` |
//! | `s` | `"text"` |
//! | `S` | `'symbol` |
//! | `c` | `'A'` |
//! | `b` | `[3b 0x01 0x02 0xff]` |
//! | `m` | `MIDI [0x00 0x90 0x3c 0x7f]` |
//! | `t` | `SSSSSSSS.FFFFFFFF` (seconds and fraction in hex) |
//! | `r` | `RGBA [0xff 0x00 0x00 0xff]` (liblo has no `r`) |
//! | `T` `F` `N` `I` | `#T` `#F` `Nil` `Infinitum` |
//! | `[` … `]` | `[1 2]` (liblo has no arrays) |
//!
//! Differences from liblo 0.31, so that one line is always one message and reads back unambiguously:
//! control characters, `\` and the quote character in strings, symbols and chars are escaped (`\n`, `\t`,
//! `\r`, `\\`, `\"`, `\'`, `\u{1b}`); blob bytes are always `0x` and two digits; a message without
//! arguments has no trailing space.

use core::fmt::{self, Write as _};

use crate::bundle::Bundle;
use crate::dispatch::{walk, Visit};
use crate::message::Message;
use crate::packet::Packet;
use crate::timetag::TimeTag;
use crate::types::{Arg, Args};

/// C's `%f` for a float.
fn write_float(f: &mut fmt::Formatter<'_>, v: f64) -> fmt::Result {
    if v.is_nan() {
        f.write_str(if v.is_sign_negative() { "-nan" } else { "nan" })
    } else if v.is_infinite() {
        f.write_str(if v < 0.0 { "-inf" } else { "inf" })
    } else {
        write!(f, "{v:.6}")
    }
}

/// `s` with `\`, `quote` and control characters escaped.
fn write_escaped(f: &mut fmt::Formatter<'_>, s: &str, quote: char) -> fmt::Result {
    for c in s.chars() {
        match c {
            '\\' => f.write_str("\\\\")?,
            '\n' => f.write_str("\\n")?,
            '\r' => f.write_str("\\r")?,
            '\t' => f.write_str("\\t")?,
            c if c == quote => {
                f.write_char('\\')?;
                f.write_char(c)?;
            }
            c if c.is_control() => write!(f, "\\u{{{:x}}}", u32::from(c))?,
            c => f.write_char(c)?,
        }
    }
    Ok(())
}

fn write_bytes(f: &mut fmt::Formatter<'_>, bytes: &[u8]) -> fmt::Result {
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 {
            f.write_char(' ')?;
        }
        write!(f, "0x{b:02x}")?;
    }
    Ok(())
}

impl fmt::Display for Arg<'_> {
    /// ```
    /// use osc_core::{Arg, Color};
    /// assert_eq!(Arg::Float(0.5).to_string(), "0.500000");
    /// assert_eq!(Arg::String("a\"b").to_string(), r#""a\"b""#);
    /// assert_eq!(Arg::Blob(&[0, 255]).to_string(), "[2b 0x00 0xff]");
    /// assert_eq!(Arg::Color(Color::from_u32(0xff0000ff)).to_string(), "RGBA [0xff 0x00 0x00 0xff]");
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Arg::Int(v) => write!(f, "{v}"),
            Arg::Long(v) => write!(f, "{v}"),
            Arg::Float(v) => write_float(f, f64::from(v)),
            Arg::Double(v) => write_float(f, v),
            Arg::String(s) => {
                f.write_char('"')?;
                write_escaped(f, s, '"')?;
                f.write_char('"')
            }
            Arg::Symbol(s) => {
                f.write_char('\'')?;
                write_escaped(f, s, '\0')
            }
            Arg::Char(c) => {
                f.write_char('\'')?;
                write_escaped(f, c.encode_utf8(&mut [0u8; 4]), '\'')?;
                f.write_char('\'')
            }
            Arg::Blob(b) => {
                write!(f, "[{}b", b.len())?;
                if !b.is_empty() {
                    f.write_char(' ')?;
                    write_bytes(f, b)?;
                }
                f.write_char(']')
            }
            Arg::Midi(m) => {
                f.write_str("MIDI [")?;
                write_bytes(f, &m.to_bytes())?;
                f.write_char(']')
            }
            Arg::Color(c) => {
                f.write_str("RGBA [")?;
                write_bytes(f, &c.to_u32().to_be_bytes())?;
                f.write_char(']')
            }
            Arg::Time(t) => write!(f, "{t}"),
            Arg::Bool(true) => f.write_str("#T"),
            Arg::Bool(false) => f.write_str("#F"),
            Arg::Nil => f.write_str("Nil"),
            Arg::Impulse => f.write_str("Infinitum"),
            Arg::Array(inner) => {
                f.write_char('[')?;
                write_args(f, inner, false)?;
                f.write_char(']')
            }
        }
    }
}

fn write_args(f: &mut fmt::Formatter<'_>, args: Args<'_>, leading_space: bool) -> fmt::Result {
    for (i, a) in args.iter().enumerate() {
        if leading_space || i > 0 {
            f.write_char(' ')?;
        }
        write!(f, "{a}")?;
    }
    Ok(())
}

fn write_tags(f: &mut fmt::Formatter<'_>, args: Args<'_>) -> fmt::Result {
    if let Some(tags) = args.type_tags() {
        return f.write_str(tags);
    }
    for a in args.iter() {
        match a {
            Arg::Array(inner) => {
                f.write_char('[')?;
                write_tags(f, inner)?;
                f.write_char(']')?;
            }
            other => f.write_char(char::from(other.type_tag().as_byte()))?,
        }
    }
    Ok(())
}

impl fmt::Display for Message<'_> {
    /// ```
    /// use osc_core::{Arg, Message};
    /// let m = Message::new("/synth/1/freq", &[Arg::Int(440), Arg::Float(0.5), Arg::String("sine")]);
    /// assert_eq!(m.to_string(), r#"/synth/1/freq ifs 440 0.500000 "sine""#);
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.address())?;
        if !self.args().is_empty() {
            f.write_char(' ')?;
            write_tags(f, self.args())?;
            write_args(f, self.args(), true)?;
        }
        Ok(())
    }
}

impl fmt::Display for Bundle<'_> {
    /// One line per message, each prefixed with the timetag of the bundle that holds it.
    ///
    /// ```
    /// use osc_core::{Arg, Bundle, Message, Packet, TimeTag};
    /// let a = [Arg::Int(7)];
    /// let m = Packet::Message(Message::new("/a", &a));
    /// let inner = [m];
    /// let elems = [m, Packet::Bundle(Bundle::new(TimeTag::new(2, 0), &inner))];
    /// let b = Bundle::new(TimeTag::new(1, 0x10), &elems);
    /// assert_eq!(b.to_string(), "00000001.00000010 /a i 7\n00000002.00000000 /a i 7");
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut result = Ok(());
        let mut first = true;
        walk(*self, TimeTag::from_bits(0), |visit| {
            let (message, timetag) = match visit {
                Visit::Message { message, timetag } => (message, timetag),
                // Validated: `text` is always `Some`.
                Visit::Element { message, timetag } => match message.text() {
                    Some(message) => (message, timetag),
                    None => return true,
                },
                Visit::Bundle { .. } => return true,
            };
            if result.is_ok() {
                let sep = if first { "" } else { "\n" };
                first = false;
                result = write!(f, "{sep}{timetag} {message}");
            }
            true
        });
        result
    }
}

impl fmt::Display for Packet<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Packet::Message(m) => write!(f, "{m}"),
            Packet::Bundle(b) => write!(f, "{b}"),
        }
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use std::string::{String, ToString};

    use crate::{Arg, Args, Color, Message, Midi, TimeTag};

    fn line(args: &[Arg<'_>]) -> String {
        Message::new("/x", args).to_string()
    }

    #[test]
    fn liblo_forms() {
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
            line(&[Arg::Float(1e30), Arg::Double(-0.000_001)]),
            "/x fd 1000000015047466219876688855040.000000 -0.000001"
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
                Arg::Array(Args::from_slice(&inner)),
            ]),
            r#"/x sSc[ii] "a\"b\\c\nd\u{1b}é" 'it's '\'' [1 2]"#
        );
    }
}
