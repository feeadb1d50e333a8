//! The one-line-per-message text form, modelled on liblo's `oscdump`: osc-core's `Display` forms, plus
//! the receive-time prefix of `--timestamps`.
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

use osc_core::{Message, Packet, TimeTag};

/// One message as a line (without the newline), optionally prefixed by a timetag.
pub(crate) fn message_line(msg: &Message<'_>, prefix: Option<TimeTag>) -> String {
    match prefix {
        Some(t) => format!("{t} {msg}"),
        None => msg.to_string(),
    }
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
    use osc_core::{Arg, Bundle};

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
