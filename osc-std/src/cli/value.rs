//! Owned argument and packet values, as parsed from the command line or from JSON, and their encoding
//! through the core's in-place builders.

use osc_core::{BundleBuilder, Color, EncodeError, MessageBuilder, Midi, TimeTag};

/// One argument, owning its strings and bytes.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Value {
    Int(i32),
    Float(f32),
    String(String),
    Blob(Vec<u8>),
    Long(i64),
    Double(f64),
    Time(TimeTag),
    Symbol(String),
    Char(char),
    Color(Color),
    Midi(Midi),
    Bool(bool),
    Nil,
    Impulse,
    Array(Vec<Value>),
}

/// A message or a bundle, owning everything.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum PacketValue {
    Message {
        address: String,
        args: Vec<Value>,
    },
    Bundle {
        timetag: TimeTag,
        elements: Vec<PacketValue>,
    },
}

/// An upper bound of the encoded size of one argument (never below the real size).
fn value_bound(v: &Value) -> usize {
    // One tag byte plus the data: strings and blobs add up to 8 bytes of NUL/size/padding.
    1 + match v {
        Value::String(s) | Value::Symbol(s) => s.len() + 8,
        Value::Blob(b) => b.len() + 8,
        Value::Array(items) => 1 + items.iter().map(value_bound).sum::<usize>(),
        _ => 8,
    }
}

/// An upper bound of the encoded size of a packet.
fn packet_bound(p: &PacketValue) -> usize {
    match p {
        PacketValue::Message { address, args } => {
            address.len() + 8 + 8 + args.iter().map(value_bound).sum::<usize>()
        }
        PacketValue::Bundle { elements, .. } => {
            16 + elements.iter().map(|e| 4 + packet_bound(e)).sum::<usize>()
        }
    }
}

fn add_value<'x>(b: MessageBuilder<'x>, v: &Value) -> Result<MessageBuilder<'x>, EncodeError> {
    match v {
        Value::Int(x) => b.int(*x),
        Value::Float(x) => b.float(*x),
        Value::String(s) => b.string(s),
        Value::Blob(x) => b.blob(x),
        Value::Long(x) => b.long(*x),
        Value::Double(x) => b.double(*x),
        Value::Time(t) => b.time(*t),
        Value::Symbol(s) => b.symbol(s),
        Value::Char(c) => b.char(*c),
        Value::Color(c) => b.color(*c),
        Value::Midi(m) => b.midi(*m),
        Value::Bool(x) => b.bool(*x),
        Value::Nil => b.nil(),
        Value::Impulse => b.impulse(),
        Value::Array(items) => add_values(b.begin_array()?, items)?.end_array(),
    }
}

fn add_values<'x>(
    mut b: MessageBuilder<'x>,
    values: &[Value],
) -> Result<MessageBuilder<'x>, EncodeError> {
    for v in values {
        b = add_value(b, v)?;
    }
    Ok(b)
}

fn add_elements<'x>(
    mut b: BundleBuilder<'x>,
    elements: &[PacketValue],
) -> Result<BundleBuilder<'x>, EncodeError> {
    for e in elements {
        b = match e {
            PacketValue::Message { address, args } => {
                b.message_with(address, |m| add_values(m, args))?
            }
            PacketValue::Bundle { timetag, elements } => {
                b.bundle_with(*timetag, |inner| add_elements(inner, elements))?
            }
        };
    }
    Ok(b)
}

impl PacketValue {
    /// Encodes the packet with the core's builders into a buffer of a safe size.
    pub(crate) fn encode(&self) -> Result<Vec<u8>, EncodeError> {
        let mut buf = vec![0u8; packet_bound(self)];
        let n = match self {
            PacketValue::Message { address, args } => {
                add_values(MessageBuilder::new(&mut buf, address)?, args)?.finish()?
            }
            PacketValue::Bundle { timetag, elements } => {
                add_elements(BundleBuilder::new(&mut buf, *timetag)?, elements)?.finish()?
            }
        };
        buf.truncate(n);
        Ok(buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_like_the_core() {
        let p = PacketValue::Message {
            address: "/synth/1/freq".into(),
            args: vec![
                Value::Int(440),
                Value::Float(0.5),
                Value::String("sine".into()),
            ],
        };
        assert_eq!(
            p.encode().unwrap(),
            b"/synth/1/freq\0\0\0,ifs\0\0\0\0\0\0\x01\xb8?\0\0\0sine\0\0\0\0"
        );
    }

    #[test]
    fn bound_is_enough_for_every_shape() {
        let strings: Vec<Value> = (0..9)
            .map(|n| Value::String("x".repeat(n)))
            .chain((0..9).map(|n| Value::Blob(vec![7; n])))
            .collect();
        let nested = Value::Array(vec![
            Value::Array(vec![Value::Nil, Value::Bool(true)]),
            Value::Array(strings.clone()),
            Value::Array(vec![]),
        ]);
        let msg = PacketValue::Message {
            address: "/a".into(),
            args: strings.into_iter().chain([nested]).collect(),
        };
        let inner = PacketValue::Bundle {
            timetag: TimeTag::IMMEDIATELY,
            elements: vec![msg.clone()],
        };
        let outer = PacketValue::Bundle {
            timetag: TimeTag::new(1, 2),
            elements: vec![msg.clone(), inner, msg.clone()],
        };
        for p in [msg, outer] {
            let bytes = p.encode().unwrap();
            osc_core::decode(&bytes).unwrap();
        }
    }
}
