//! The JSON form of packets: one object per packet.
//!
//! - message: `{"address":"/a","args":[ARG,…]}`
//! - bundle: `{"timetag":1,"elements":[PACKET,…]}` (the timetag is the unsigned 64-bit NTP value)
//! - each ARG is an object with one key, the type tag: `{"i":1}`, `{"f":0.5}`, `{"s":"x"}`,
//!   `{"b":"00ff"}` (hex), `{"h":1}`, `{"t":123}` (u64), `{"d":1.5}`, `{"S":"sym"}`, `{"c":"A"}`,
//!   `{"r":4278190335}` (the u32 `0xRRGGBBAA`), `{"m":[0,144,60,127]}`, `{"T":true}`, `{"F":false}`,
//!   `{"N":null}`, `{"I":null}` and `{"[":[ARG,…]}` for an array.
//! - non-finite floats are the strings `"NaN"`, `"inf"` and `"-inf"`.
//!
//! On input the same form is accepted, plus a few conveniences: `args` may be omitted, timetags may also
//! be strings in the command-line forms (`"now"`, `"immediately"`, `"0x…"`, `"SSSSSSSS.FFFFFFFF"`), `r`
//! may be a hex string `"ff0000ff"` and `m` a hex string `"00903c7f"`.

use osc_core::{Arg, Args, Color, Midi, Packet, TimeTag, MAX_DEPTH_LIMIT};
use serde_json::{Map, Value as Json};

use super::hex;
use super::typed::{parse_color, parse_f64, parse_midi, parse_timetag};
use super::value::{PacketValue, Value};

fn push_json_str(out: &mut String, s: &str) {
    // Serializing a string cannot fail.
    out.push_str(&serde_json::to_string(s).unwrap_or_default());
}

fn push_f32(out: &mut String, v: f32) {
    if v.is_finite() {
        out.push_str(&serde_json::to_string(&v).unwrap_or_default());
    } else {
        push_nonfinite(out, f64::from(v));
    }
}

fn push_f64(out: &mut String, v: f64) {
    if v.is_finite() {
        out.push_str(&serde_json::to_string(&v).unwrap_or_default());
    } else {
        push_nonfinite(out, v);
    }
}

fn push_nonfinite(out: &mut String, v: f64) {
    out.push_str(if v.is_nan() {
        "\"NaN\""
    } else if v > 0.0 {
        "\"inf\""
    } else {
        "\"-inf\""
    });
}

fn push_arg(out: &mut String, a: &Arg<'_>) {
    let tag = char::from(a.type_tag().as_byte());
    out.push_str("{\"");
    out.push(tag);
    out.push_str("\":");
    match *a {
        Arg::Int(v) => out.push_str(&v.to_string()),
        Arg::Long(v) => out.push_str(&v.to_string()),
        Arg::Float(v) => push_f32(out, v),
        Arg::Double(v) => push_f64(out, v),
        Arg::String(s) | Arg::Symbol(s) => push_json_str(out, s),
        Arg::Blob(b) => {
            out.push('"');
            out.push_str(&hex::encode(b));
            out.push('"');
        }
        Arg::Time(t) => out.push_str(&t.to_bits().to_string()),
        Arg::Char(c) => {
            let mut buf = [0u8; 4];
            push_json_str(out, c.encode_utf8(&mut buf));
        }
        Arg::Color(c) => out.push_str(&c.to_u32().to_string()),
        Arg::Midi(m) => {
            let [p, s, d1, d2] = m.to_bytes();
            out.push_str(&format!("[{p},{s},{d1},{d2}]"));
        }
        Arg::Bool(true) => out.push_str("true"),
        Arg::Bool(false) => out.push_str("false"),
        Arg::Nil | Arg::Impulse => out.push_str("null"),
        Arg::Array(inner) => push_args(out, inner),
    }
    out.push('}');
}

fn push_args(out: &mut String, args: Args<'_>) {
    out.push('[');
    for (i, a) in args.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_arg(out, &a);
    }
    out.push(']');
}

fn push_packet(out: &mut String, p: &Packet<'_>) {
    match p {
        Packet::Message(m) => {
            out.push_str("{\"address\":");
            push_json_str(out, m.address());
            out.push_str(",\"args\":");
            push_args(out, m.args());
            out.push('}');
        }
        Packet::Bundle(b) => {
            out.push_str("{\"timetag\":");
            out.push_str(&b.timetag().to_bits().to_string());
            out.push_str(",\"elements\":[");
            for (i, e) in b.elements().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                push_packet(out, &e);
            }
            out.push_str("]}");
        }
    }
}

/// A packet as one line of JSON.
pub(crate) fn packet_to_json(p: &Packet<'_>) -> String {
    let mut out = String::new();
    push_packet(&mut out, p);
    out
}

/// A packet as one line of JSON with what `osc dump` knows about it first: the receive time
/// (`--timestamps`) and the sender (`--sender`), as in
/// `{"time":16895498371049897984,"from":"127.0.0.1:9000","address":…}`.
pub(crate) fn packet_to_json_with(
    p: &Packet<'_>,
    time: Option<TimeTag>,
    from: Option<&str>,
) -> String {
    let mut out = String::from("{");
    if let Some(t) = time {
        out.push_str("\"time\":");
        out.push_str(&t.to_bits().to_string());
        out.push(',');
    }
    if let Some(from) = from {
        out.push_str("\"from\":");
        push_json_str(&mut out, from);
        out.push(',');
    }
    let mut packet = String::new();
    push_packet(&mut packet, p);
    out.push_str(packet.strip_prefix('{').unwrap_or_default());
    out
}

/// One line of a recording (`osc dump --json`): the packet and its `"time"`, if it has one. A
/// `"from"` is allowed and ignored. In a line with a time, timetags given as `"now"` or `"+S"` count
/// from that time (the moment the line stands for), not from when it is read.
pub(crate) fn record_from_json(
    text: &str,
    now: &dyn Fn() -> TimeTag,
) -> Result<(Option<TimeTag>, PacketValue), String> {
    let mut json: Json = serde_json::from_str(text).map_err(|e| format!("invalid JSON: {e}"))?;
    let parser = Parser { now };
    let (time, from) = match json.as_object_mut() {
        Some(obj) => (obj.remove("time"), obj.remove("from")),
        None => (None, None),
    };
    if let Some(from) = from.filter(|f| !f.is_string()) {
        return Err(format!("from: expected a string, got {}", describe(&from)));
    }
    let time = time.map(|t| parser.timetag(&t, "time")).transpose()?;
    let packet = match time {
        Some(t) => Parser { now: &move || t }.packet(&json, "packet", 0)?,
        None => parser.packet(&json, "packet", 0)?,
    };
    Ok((time, packet))
}

/// Parses the JSON form of a packet. `now` supplies the time for timetags given as `"now"`.
pub(crate) fn packet_from_json(
    text: &str,
    now: &dyn Fn() -> TimeTag,
) -> Result<PacketValue, String> {
    let json: Json = serde_json::from_str(text).map_err(|e| format!("invalid JSON: {e}"))?;
    Parser { now }.packet(&json, "packet", 0)
}

struct Parser<'n> {
    now: &'n dyn Fn() -> TimeTag,
}

fn describe(v: &Json) -> String {
    let s = v.to_string();
    if s.chars().count() > 40 {
        let short: String = s.chars().take(40).collect();
        format!("{short}…")
    } else {
        s
    }
}

fn only_keys(obj: &Map<String, Json>, allowed: &[&str], path: &str) -> Result<(), String> {
    match obj.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(k) => Err(format!(
            "{path}: unexpected key {k:?} (expected {})",
            allowed.join(", ")
        )),
        None => Ok(()),
    }
}

impl Parser<'_> {
    fn packet(&self, v: &Json, path: &str, depth: usize) -> Result<PacketValue, String> {
        let obj = v.as_object().ok_or_else(|| {
            format!(
                "{path}: expected an object with \"address\" (a message) or \"timetag\" and \
                 \"elements\" (a bundle), got {}",
                describe(v)
            )
        })?;
        if let Some(addr) = obj.get("address") {
            only_keys(obj, &["address", "args"], path)?;
            let address = addr
                .as_str()
                .ok_or_else(|| {
                    format!("{path}.address: expected a string, got {}", describe(addr))
                })?
                .to_owned();
            let args = match obj.get("args") {
                None => Vec::new(),
                Some(a) => self.args(a, &format!("{path}.args"), 0)?,
            };
            return Ok(PacketValue::Message { address, args });
        }
        if obj.contains_key("timetag") || obj.contains_key("elements") {
            only_keys(obj, &["timetag", "elements"], path)?;
            if depth >= MAX_DEPTH_LIMIT {
                return Err(format!(
                    "{path}: bundles nested deeper than {MAX_DEPTH_LIMIT}"
                ));
            }
            let timetag = match obj.get("timetag") {
                Some(t) => self.timetag(t, &format!("{path}.timetag"))?,
                None => return Err(format!("{path}: a bundle needs a \"timetag\"")),
            };
            let elements = obj
                .get("elements")
                .ok_or_else(|| format!("{path}: a bundle needs \"elements\""))?;
            let list = elements.as_array().ok_or_else(|| {
                format!(
                    "{path}.elements: expected an array, got {}",
                    describe(elements)
                )
            })?;
            let elements = list
                .iter()
                .enumerate()
                .map(|(i, e)| self.packet(e, &format!("{path}.elements[{i}]"), depth + 1))
                .collect::<Result<_, _>>()?;
            return Ok(PacketValue::Bundle { timetag, elements });
        }
        Err(format!(
            "{path}: expected \"address\" (a message) or \"timetag\" and \"elements\" (a bundle)"
        ))
    }

    fn args(&self, v: &Json, path: &str, depth: usize) -> Result<Vec<Value>, String> {
        if depth > MAX_DEPTH_LIMIT {
            return Err(format!(
                "{path}: arrays nested deeper than {MAX_DEPTH_LIMIT}"
            ));
        }
        let list = v
            .as_array()
            .ok_or_else(|| format!("{path}: expected an array, got {}", describe(v)))?;
        list.iter()
            .enumerate()
            .map(|(i, a)| self.arg(a, &format!("{path}[{i}]"), depth))
            .collect()
    }

    fn timetag(&self, v: &Json, path: &str) -> Result<TimeTag, String> {
        if let Some(n) = v.as_u64() {
            return Ok(TimeTag::from_bits(n));
        }
        if let Some(s) = v.as_str() {
            return parse_timetag(s, self.now).map_err(|e| format!("{path}: {e}"));
        }
        Err(format!(
            "{path}: expected an unsigned 64-bit integer or a string such as \"now\", got {}",
            describe(v)
        ))
    }

    fn arg(&self, v: &Json, path: &str, depth: usize) -> Result<Value, String> {
        let obj = v.as_object().filter(|o| o.len() == 1).ok_or_else(|| {
            format!(
                "{path}: expected an object with one type-tag key such as {{\"i\":1}}, got {}",
                describe(v)
            )
        })?;
        let Some((key, val)) = obj.iter().next() else {
            return Err(format!("{path}: empty argument object"));
        };
        let bad = |what: &str| format!("{path}: {key:?} expects {what}, got {}", describe(val));
        let float =
            |v: &Json| -> Option<f64> { v.as_f64().or_else(|| v.as_str().and_then(parse_f64)) };
        Ok(match key.as_str() {
            "i" => Value::Int(
                val.as_i64()
                    .and_then(|n| i32::try_from(n).ok())
                    .ok_or_else(|| bad("an integer from -2147483648 to 2147483647"))?,
            ),
            "h" => Value::Long(val.as_i64().ok_or_else(|| bad("a 64-bit signed integer"))?),
            "f" => {
                let x = float(val).ok_or_else(|| bad("a number, \"NaN\", \"inf\" or \"-inf\""))?;
                // `as` rounds to the nearest float32; a finite value beyond its range is an error.
                let f = x as f32;
                if x.is_finite() && !f.is_finite() {
                    return Err(bad("a number within the float32 range"));
                }
                Value::Float(f)
            }
            "d" => Value::Double(
                float(val).ok_or_else(|| bad("a number, \"NaN\", \"inf\" or \"-inf\""))?,
            ),
            "s" => Value::String(val.as_str().ok_or_else(|| bad("a string"))?.to_owned()),
            "S" => Value::Symbol(val.as_str().ok_or_else(|| bad("a string"))?.to_owned()),
            "b" => Value::Blob(
                val.as_str()
                    .ok_or_else(|| bad("a hex string"))
                    .and_then(|s| hex::decode(s, false).map_err(|e| bad(&format!("hex ({e})"))))?,
            ),
            "t" => Value::Time(self.timetag(val, path)?),
            "c" => {
                let s = val.as_str().ok_or_else(|| bad("a one-character string"))?;
                let mut chars = s.chars();
                match (chars.next(), chars.next()) {
                    (Some(c), None) => Value::Char(c),
                    _ => return Err(bad("a one-character string")),
                }
            }
            "r" => Value::Color(
                match val {
                    Json::String(s) => parse_color(s),
                    _ => val
                        .as_u64()
                        .and_then(|n| u32::try_from(n).ok())
                        .map(Color::from_u32),
                }
                .ok_or_else(|| bad("an unsigned 32-bit integer 0xRRGGBBAA or a hex string"))?,
            ),
            "m" => Value::Midi(
                match val {
                    Json::String(s) => parse_midi(s),
                    Json::Array(items) if items.len() == 4 => {
                        let mut bytes = [0u8; 4];
                        let mut ok = true;
                        for (b, item) in bytes.iter_mut().zip(items) {
                            match item.as_u64().and_then(|n| u8::try_from(n).ok()) {
                                Some(x) => *b = x,
                                None => ok = false,
                            }
                        }
                        ok.then(|| Midi::from_bytes(bytes))
                    }
                    _ => None,
                }
                .ok_or_else(|| bad("4 integers 0-255 such as [0,144,60,127]"))?,
            ),
            "T" if matches!(val, Json::Bool(true) | Json::Null) => Value::Bool(true),
            "T" => return Err(bad("true")),
            "F" if matches!(val, Json::Bool(false) | Json::Null) => Value::Bool(false),
            "F" => return Err(bad("false")),
            "N" if val.is_null() => Value::Nil,
            "N" => return Err(bad("null")),
            "I" if val.is_null() => Value::Impulse,
            "I" => return Err(bad("null")),
            "[" => Value::Array(self.args(val, path, depth + 1)?),
            other => {
                return Err(format!(
                    "{path}: unknown type tag {other:?} (known: i h f d s S c b m t r T F N I [)"
                ))
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> TimeTag {
        TimeTag::new(9, 9)
    }

    fn round_trip(json: &str) -> String {
        let value = packet_from_json(json, &now).unwrap();
        let bytes = value.encode().unwrap();
        packet_to_json(&osc_core::decode(&bytes).unwrap())
    }

    const EVERY_TYPE: &str = r#"{"address":"/a","args":[{"i":1},{"f":0.5},{"s":"x"},{"b":"00ff"},{"h":1},{"t":123},{"d":1.5},{"S":"sym"},{"c":"A"},{"r":4278190335},{"m":[0,144,60,127]},{"T":true},{"F":false},{"N":null},{"I":null},{"[":[{"i":2},{"[":[]}]}]}"#;

    #[test]
    fn every_type_round_trips() {
        assert_eq!(round_trip(EVERY_TYPE), EVERY_TYPE);
        let b = r#"{"timetag":1,"elements":[{"address":"/a","args":[]},{"timetag":16045690984833335296,"elements":[{"address":"/b","args":[{"s":"é\n\""}]}]}]}"#;
        assert_eq!(round_trip(b), b);
    }

    #[test]
    fn the_sender_comes_first() {
        let args = [Arg::Int(1)];
        let m = Packet::Message(osc_core::Message::new("/a", &args));
        assert_eq!(
            packet_to_json_with(&m, None, Some("127.0.0.1:9000")),
            r#"{"from":"127.0.0.1:9000","address":"/a","args":[{"i":1}]}"#
        );
        let elements = [m];
        let b = Packet::Bundle(osc_core::Bundle::new(TimeTag::IMMEDIATELY, &elements));
        assert_eq!(
            packet_to_json_with(&b, None, Some("/dev/tty\"0")),
            r#"{"from":"/dev/tty\"0","timetag":1,"elements":[{"address":"/a","args":[{"i":1}]}]}"#
        );
    }

    #[test]
    fn recorded_lines_read_back_with_their_time() {
        let args = [Arg::Int(1)];
        let m = Packet::Message(osc_core::Message::new("/a", &args));
        let t = TimeTag::new(0xe875_4700, 7);
        let line = packet_to_json_with(&m, Some(t), Some("[::1]:9000"));
        assert_eq!(
            line,
            r#"{"time":16750372454400000007,"from":"[::1]:9000","address":"/a","args":[{"i":1}]}"#
        );
        let (time, value) = record_from_json(&line, &now).unwrap();
        assert_eq!(time, Some(t));
        assert_eq!(
            value.encode().unwrap(),
            packet_from_json(&packet_to_json(&m), &now)
                .unwrap()
                .encode()
                .unwrap()
        );
        let (time, _) = record_from_json(r#"{"address":"/a"}"#, &now).unwrap();
        assert_eq!(time, None);
        // "now" and "+S" count from the line's time where it has one, else from `now`.
        let timed = |line: &str| match record_from_json(line, &now).unwrap().1 {
            PacketValue::Bundle { timetag, .. } => timetag,
            other => panic!("not a bundle: {other:?}"),
        };
        let t = (1u64 << 32) * 100;
        let plus = r#""timetag":"+1.5","elements":[]}"#;
        assert_eq!(
            timed(&format!(r#"{{"time":{t},{plus}"#)),
            TimeTag::new(101, 0x8000_0000)
        );
        assert_eq!(
            timed(&format!(r#"{{"time":{t},"timetag":"now","elements":[]}}"#)),
            TimeTag::new(100, 0)
        );
        assert_eq!(
            timed(&format!("{{{plus}")),
            now().wrapping_add(std::time::Duration::from_millis(1500))
        );
        let err = record_from_json(r#"{"time":"soon","address":"/a"}"#, &now).unwrap_err();
        assert!(err.starts_with("time: invalid timetag"), "{err}");
        let err = record_from_json(r#"{"from":1,"address":"/a"}"#, &now).unwrap_err();
        assert!(err.contains("from: expected a string"), "{err}");
    }

    #[test]
    fn special_floats_and_conveniences() {
        assert_eq!(
            round_trip(
                r#"{"address":"/f","args":[{"f":"NaN"},{"f":"inf"},{"d":"-inf"},{"f":1e30},{"f":0.1},{"d":0.1},{"f":-0.0}]}"#
            ),
            r#"{"address":"/f","args":[{"f":"NaN"},{"f":"inf"},{"d":"-inf"},{"f":1e+30},{"f":0.1},{"d":0.1},{"f":-0.0}]}"#
        );
        assert_eq!(
            round_trip(
                r#"{"address":"/c","args":[{"r":"ff0000ff"},{"m":"00903c7f"},{"t":"now"},{"t":"immediately"}]}"#
            ),
            r#"{"address":"/c","args":[{"r":4278190335},{"m":[0,144,60,127]},{"t":38654705673},{"t":1}]}"#
        );
        assert_eq!(
            round_trip(r#"{"address":"/n"}"#),
            r#"{"address":"/n","args":[]}"#
        );
    }

    #[test]
    fn float32_text_round_trips_exactly() {
        // Shortest float32 text, parsed back through f64, must give the same bits.
        let mut x: u32 = 0x1234_5678;
        for _ in 0..200_000 {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            let f = f32::from_bits(x);
            if !f.is_finite() {
                continue;
            }
            let text = serde_json::to_string(&f).unwrap();
            let back: f64 = serde_json::from_str::<Json>(&text)
                .unwrap()
                .as_f64()
                .unwrap();
            assert_eq!((back as f32).to_bits(), f.to_bits(), "{text}");
        }
    }

    #[test]
    fn errors_name_the_place() {
        let err = |j: &str| packet_from_json(j, &now).unwrap_err();
        assert_eq!(
            err(r#"{"address":"/a","args":[{"i":1},{"i":1.5}]}"#),
            "packet.args[1]: \"i\" expects an integer from -2147483648 to 2147483647, got 1.5"
        );
        assert_eq!(
            err(r#"{"timetag":1,"elements":[{"address":"/a","args":[{"x":1}]}]}"#),
            "packet.elements[0].args[0]: unknown type tag \"x\" (known: i h f d s S c b m t r T F N I [)"
        );
        assert!(err("[1]").starts_with("packet: expected an object"));
        assert!(err("{").starts_with("invalid JSON"));
        assert!(err(r#"{"address":"/a","arg":[]}"#).contains("unexpected key \"arg\""));
        assert!(err(r#"{"address":"/a","args":[{"f":1e300}]}"#).contains("float32 range"));
        assert!(err(r#"{"address":"/a","args":[{"i":1,"f":2}]}"#).contains("one type-tag key"));
        assert!(err(r#"{"address":"/a","args":[{"m":[1,2,3,300]}]}"#).contains("4 integers"));
        assert!(err(r#"{"address":"/a","args":[{"T":false}]}"#).contains("expects true"));
        assert!(err(r#"{"timetag":-1,"elements":[]}"#).contains("unsigned 64-bit"));
        let deep = format!(
            r#"{{"address":"/a","args":[{}{}]}}"#,
            r#"{"[":["#.repeat(40),
            "]}".repeat(40)
        );
        assert!(err(&deep).contains("nested deeper"));
    }
}
