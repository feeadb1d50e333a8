//! Text forms of packets, in the spirit of liblo's `oscdump`.
//!
//! A message prints as its address, its type-tag string and its arguments separated by spaces:
//! `/synth/1/freq ,ifs 440 0.5 "sine"`. A bundle prints as `#bundle <timetag> [ … ]` with its elements
//! separated by `; `. Argument forms: integers and floats as Rust prints them, strings quoted with Rust
//! escapes, symbols as `'name`, blobs as `#blob:` and lowercase hex, timetags as `seconds.fraction` in
//! hex (or `immediately`), chars quoted, colors as `#rrggbbaa`, MIDI as `midi:` and 4 hex bytes,
//! `true`, `false`, `nil`, `impulse`, and arrays as `[a b c]`.

use core::fmt;

use crate::bundle::Bundle;
use crate::message::Message;
use crate::packet::Packet;
use crate::types::{Arg, Args};

impl fmt::Display for Arg<'_> {
    /// ```
    /// use osc_core::{Arg, Color};
    /// assert_eq!(Arg::String("a\"b").to_string(), r#""a\"b""#);
    /// assert_eq!(Arg::Blob(&[0, 255]).to_string(), "#blob:00ff");
    /// assert_eq!(Arg::Color(Color::from_u32(0xff0000ff)).to_string(), "#ff0000ff");
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Arg::Int(v) => write!(f, "{v}"),
            Arg::Float(v) => write!(f, "{v:?}"),
            Arg::String(s) => write!(f, "{s:?}"),
            Arg::Blob(b) => {
                f.write_str("#blob:")?;
                b.iter().try_for_each(|x| write!(f, "{x:02x}"))
            }
            Arg::Long(v) => write!(f, "{v}"),
            Arg::Double(v) => write!(f, "{v:?}"),
            Arg::Time(t) => write!(f, "{t}"),
            Arg::Symbol(s) => write!(f, "'{s}"),
            Arg::Char(c) => write!(f, "{c:?}"),
            Arg::Color(c) => write!(f, "#{:08x}", c.to_u32()),
            Arg::Midi(m) => {
                let [a, b, c, d] = m.to_bytes();
                write!(f, "midi:{a:02x}{b:02x}{c:02x}{d:02x}")
            }
            Arg::Bool(true) => f.write_str("true"),
            Arg::Bool(false) => f.write_str("false"),
            Arg::Nil => f.write_str("nil"),
            Arg::Impulse => f.write_str("impulse"),
            Arg::Array(inner) => {
                f.write_str("[")?;
                write_args(f, inner)?;
                f.write_str("]")
            }
        }
    }
}

fn write_args(f: &mut fmt::Formatter<'_>, args: Args<'_>) -> fmt::Result {
    for (i, a) in args.iter().enumerate() {
        if i > 0 {
            f.write_str(" ")?;
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
                f.write_str("[")?;
                write_tags(f, inner)?;
                f.write_str("]")?;
            }
            other => write!(f, "{}", char::from(other.type_tag().as_byte()))?,
        }
    }
    Ok(())
}

impl fmt::Display for Message<'_> {
    /// ```
    /// use osc_core::{Arg, Message};
    /// let m = Message::new("/synth/1/freq", &[Arg::Int(440), Arg::Float(0.5), Arg::String("sine")]);
    /// assert_eq!(m.to_string(), r#"/synth/1/freq ,ifs 440 0.5 "sine""#);
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ,", self.address())?;
        write_tags(f, self.args())?;
        if !self.args().is_empty() {
            f.write_str(" ")?;
            write_args(f, self.args())?;
        }
        Ok(())
    }
}

impl fmt::Display for Bundle<'_> {
    /// ```
    /// use osc_core::{Bundle, Message, Packet, TimeTag};
    /// let elems = [Packet::Message(Message::new("/a", &[])), Packet::Message(Message::new("/b", &[]))];
    /// let b = Bundle::new(TimeTag::IMMEDIATELY, &elems);
    /// assert_eq!(b.to_string(), "#bundle immediately [/a ,; /b ,]");
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#bundle {} [", self.timetag())?;
        for (i, e) in self.elements().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{e}")?;
        }
        f.write_str("]")
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
