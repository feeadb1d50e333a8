//! `oscsend`-style arguments: a type-tag string and one command-line value per tag that takes one.

use osc_core::{Color, Midi, TimeTag, TypeTag};

use super::hex;
use super::value::Value;

/// Parses a timetag given as text. `now` supplies the current time for `now` and `+SECONDS`.
pub(crate) fn parse_timetag(text: &str, now: impl Fn() -> TimeTag) -> Result<TimeTag, String> {
    let bad = || {
        format!(
            "invalid timetag {text:?}: expected now, +SECONDS, immediately, a 64-bit integer, \
             0x followed by up to 16 hex digits, or SSSSSSSS.FFFFFFFF"
        )
    };
    match text {
        "now" => return Ok(now()),
        "immediately" => return Ok(TimeTag::IMMEDIATELY),
        _ => {}
    }
    if let Some(rel) = text.strip_prefix("now+").or_else(|| text.strip_prefix('+')) {
        let secs: f64 = rel.parse().map_err(|_| bad())?;
        let d = std::time::Duration::try_from_secs_f64(secs).map_err(|_| bad())?;
        return Ok(now().wrapping_add(d));
    }
    if let Some(h) = text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        return u64::from_str_radix(h, 16)
            .map(TimeTag::from_bits)
            .map_err(|_| bad());
    }
    if let Some((s, f)) = text.split_once('.') {
        if s.len() == 8 && f.len() == 8 {
            let s = u32::from_str_radix(s, 16).map_err(|_| bad())?;
            let f = u32::from_str_radix(f, 16).map_err(|_| bad())?;
            return Ok(TimeTag::new(s, f));
        }
        return Err(bad());
    }
    text.parse::<u64>()
        .map(TimeTag::from_bits)
        .map_err(|_| bad())
}

/// Parses a MIDI value: 8 hex digits (liblo's `oscsend` form), or 4 integers 0–255 separated by commas,
/// colons or spaces.
pub(crate) fn parse_midi(text: &str) -> Option<Midi> {
    let parts: Vec<&str> = text
        .split(|c: char| c == ',' || c == ':' || c.is_ascii_whitespace())
        .filter(|p| !p.is_empty())
        .collect();
    if parts.len() == 4 {
        let mut bytes = [0u8; 4];
        for (b, p) in bytes.iter_mut().zip(&parts) {
            *b = p.parse().ok()?;
        }
        return Some(Midi::from_bytes(bytes));
    }
    hex::decode_exact::<4>(text).map(Midi::from_bytes)
}

/// Parses a color: 8 hex digits `RRGGBBAA`, optionally after `#` or `0x`.
pub(crate) fn parse_color(text: &str) -> Option<Color> {
    let body = text.strip_prefix('#').unwrap_or(text);
    hex::decode_exact::<4>(body).map(|b| Color::from_u32(u32::from_be_bytes(b)))
}

/// Parses a float the way `f` and `d` values are written: decimal or exponent notation, `nan`, `inf`
/// or `-inf` (any case).
pub(crate) fn parse_f64(text: &str) -> Option<f64> {
    text.parse().ok()
}

/// Parses one value of a type that takes one, written as `oscsend` takes it.
pub(crate) fn parse_value(
    tag: TypeTag,
    text: &str,
    now: &dyn Fn() -> TimeTag,
) -> Result<Value, String> {
    let invalid = |why: &str| format!("invalid {} value {text:?}: {why}", tag.name());
    Ok(match tag {
        TypeTag::Int => Value::Int(
            text.parse()
                .map_err(|_| invalid("expected an integer from -2147483648 to 2147483647"))?,
        ),
        TypeTag::Long => Value::Long(
            text.parse()
                .map_err(|_| invalid("expected a 64-bit signed integer"))?,
        ),
        TypeTag::Float => Value::Float(
            text.parse()
                .map_err(|_| invalid("expected a number, nan, inf or -inf"))?,
        ),
        TypeTag::Double => Value::Double(
            parse_f64(text).ok_or_else(|| invalid("expected a number, nan, inf or -inf"))?,
        ),
        TypeTag::String => Value::String(text.to_owned()),
        TypeTag::Symbol => Value::Symbol(text.to_owned()),
        TypeTag::Char => {
            let mut chars = text.chars();
            match (chars.next(), chars.next()) {
                (Some(c), None) => Value::Char(c),
                _ => return Err(invalid("expected exactly one character")),
            }
        }
        TypeTag::Blob => Value::Blob(hex::decode(text, false).map_err(|e| invalid(&e))?),
        TypeTag::Midi => Value::Midi(parse_midi(text).ok_or_else(|| {
            invalid("expected 8 hex digits (00903c7f) or 4 integers 0-255 (0,144,60,127)")
        })?),
        TypeTag::Time => Value::Time(parse_timetag(text, now)?),
        TypeTag::Color => Value::Color(
            parse_color(text).ok_or_else(|| invalid("expected 8 hex digits RRGGBBAA"))?,
        ),
        TypeTag::True
        | TypeTag::False
        | TypeTag::Nil
        | TypeTag::Impulse
        | TypeTag::ArrayStart
        | TypeTag::ArrayEnd => return Err(invalid("this type takes no value")),
    })
}

/// Builds the argument list from a type-tag string (an optional leading `,` is ignored) and the values.
pub(crate) fn parse_args(
    types: &str,
    values: &[String],
    now: &dyn Fn() -> TimeTag,
) -> Result<Vec<Value>, String> {
    let tags = types.strip_prefix(',').unwrap_or(types);
    // Open arrays: the list being filled is the last one.
    let mut stack: Vec<Vec<Value>> = vec![Vec::new()];
    let mut next = values.iter();
    let mut used = 0usize;
    for (pos, c) in tags.chars().enumerate() {
        let tag = u8::try_from(c)
            .ok()
            .and_then(TypeTag::from_byte)
            .ok_or_else(|| {
                format!(
                    "unknown type {c:?} at position {} of the type string {types:?} \
                     (known: i h f d s S c b m t r T F N I [ ])",
                    pos + 1
                )
            })?;
        let v = match tag {
            TypeTag::True => Value::Bool(true),
            TypeTag::False => Value::Bool(false),
            TypeTag::Nil => Value::Nil,
            TypeTag::Impulse => Value::Impulse,
            TypeTag::ArrayStart => {
                stack.push(Vec::new());
                continue;
            }
            TypeTag::ArrayEnd => {
                if stack.len() < 2 {
                    return Err(format!(
                        "unbalanced ']' at position {} of the type string {types:?}",
                        pos + 1
                    ));
                }
                Value::Array(stack.pop().unwrap_or_default())
            }
            _ => {
                let text = next.next().ok_or_else(|| {
                    format!(
                        "type {c:?} at position {} needs a value, but only {used} value{} given",
                        pos + 1,
                        if used == 1 { " was" } else { "s were" }
                    )
                })?;
                used += 1;
                parse_value(tag, text, now).map_err(|e| format!("value {used}: {e}"))?
            }
        };
        if let Some(top) = stack.last_mut() {
            top.push(v);
        }
    }
    if stack.len() != 1 {
        return Err(format!("unclosed '[' in the type string {types:?}"));
    }
    let rest: Vec<&String> = next.collect();
    if let Some(first) = rest.first() {
        let hint = if first.starts_with("--") {
            " (options must come before the address)"
        } else {
            ""
        };
        return Err(format!(
            "{} value{} left over after the type string {types:?}: {first:?}{hint}",
            rest.len(),
            if rest.len() == 1 { "" } else { "s" }
        ));
    }
    Ok(stack.pop().unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> TimeTag {
        TimeTag::new(100, 0)
    }

    fn args(types: &str, values: &[&str]) -> Result<Vec<Value>, String> {
        let values: Vec<String> = values.iter().map(|s| s.to_string()).collect();
        parse_args(types, &values, &now)
    }

    #[test]
    fn every_type() {
        let got = args(
            "ihfdsScbmtrTFNI[i[]]",
            &[
                "-5",
                "123456789012",
                "0.5",
                "1.5",
                "a b",
                "sym",
                "é",
                "00ff",
                "0,144,60,127",
                "immediately",
                "#ff0000ff",
                "7",
            ],
        )
        .unwrap();
        assert_eq!(
            got,
            vec![
                Value::Int(-5),
                Value::Long(123_456_789_012),
                Value::Float(0.5),
                Value::Double(1.5),
                Value::String("a b".into()),
                Value::Symbol("sym".into()),
                Value::Char('é'),
                Value::Blob(vec![0, 255]),
                Value::Midi(Midi::from_bytes([0, 144, 60, 127])),
                Value::Time(TimeTag::IMMEDIATELY),
                Value::Color(Color::from_u32(0xff00_00ff)),
                Value::Bool(true),
                Value::Bool(false),
                Value::Nil,
                Value::Impulse,
                Value::Array(vec![Value::Int(7), Value::Array(vec![])]),
            ]
        );
    }

    #[test]
    fn special_values() {
        let got = args(",ffdbm", &["nan", "-inf", "inf", "", "00903C7F"]).unwrap();
        assert!(matches!(got[0], Value::Float(x) if x.is_nan()));
        assert_eq!(got[1], Value::Float(f32::NEG_INFINITY));
        assert_eq!(got[2], Value::Double(f64::INFINITY));
        assert_eq!(got[3], Value::Blob(vec![]));
        assert_eq!(got[4], Value::Midi(Midi::from_bytes([0, 0x90, 0x3c, 0x7f])));
    }

    #[test]
    fn timetags() {
        let p = |t: &str| parse_timetag(t, now);
        assert_eq!(p("now"), Ok(TimeTag::new(100, 0)));
        assert_eq!(p("+1.5"), Ok(TimeTag::new(101, 0x8000_0000)));
        assert_eq!(p("now+2"), Ok(TimeTag::new(102, 0)));
        assert_eq!(p("1"), Ok(TimeTag::IMMEDIATELY));
        assert_eq!(
            p("0xe875470080000000"),
            Ok(TimeTag::new(0xe875_4700, 0x8000_0000))
        );
        assert_eq!(
            p("e8754700.80000000"),
            Ok(TimeTag::new(0xe875_4700, 0x8000_0000))
        );
        assert!(p("1.5").is_err());
        assert!(p("-1").is_err());
        assert!(p("+-1").is_err());
        assert!(p("tomorrow").is_err());
    }

    #[test]
    fn errors() {
        assert_eq!(
            args("ii", &["1"]).unwrap_err(),
            "type 'i' at position 2 needs a value, but only 1 value was given"
        );
        assert_eq!(
            args("i", &["x"]).unwrap_err(),
            "value 1: invalid int32 (i) value \"x\": expected an integer from -2147483648 to 2147483647"
        );
        assert_eq!(
            args("i", &["2147483648"]).unwrap_err(),
            "value 1: invalid int32 (i) value \"2147483648\": expected an integer from -2147483648 to 2147483647"
        );
        assert!(args("x", &[])
            .unwrap_err()
            .starts_with("unknown type 'x' at position 1"));
        assert!(args("]", &[]).unwrap_err().starts_with("unbalanced ']'"));
        assert!(args("[", &[]).unwrap_err().starts_with("unclosed '['"));
        assert_eq!(
            args("i", &["1", "--reply"]).unwrap_err(),
            "1 value left over after the type string \"i\": \"--reply\" (options must come before the address)"
        );
        assert!(args("c", &["ab"]).is_err());
        assert!(args("m", &["1,2,3"]).is_err());
        assert!(args("m", &["1,2,3,256"]).is_err());
        assert!(args("r", &["ff0000"]).is_err());
        assert!(args("b", &["abc"]).is_err());
    }
}
