//! Builds a message and a bundle, encodes them into stack buffers, decodes them back and prints every
//! step. No allocation, no I/O: this is what osc-core does on a microcontroller as on a desktop.
//!
//! Run: `cargo run -p osc-examples --example roundtrip`

use osc_core::{decode, Arg, BundleBuilder, Message, Packet, TimeTag};

fn hex(bytes: &[u8]) -> String {
    bytes
        .chunks(4)
        .map(|c| c.iter().map(|b| format!("{b:02x}")).collect::<String>())
        .collect::<Vec<_>>()
        .join(" ")
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // 1. A message from plain values, encoded into a caller-owned buffer.
    let args = [Arg::Int(440), Arg::Float(0.5), Arg::String("sine")];
    let msg = Message::new("/synth/1/freq", &args);
    let mut buf = [0u8; 256];
    let n = msg.encode(&mut buf)?;
    println!("message  {msg}");
    println!("encoded  {n} bytes: {}", hex(&buf[..n]));

    // 2. Decode it back, zero-copy, and extract typed values in one call.
    let packet = decode(&buf[..n])?;
    let decoded = packet.as_message().ok_or("expected a message")?;
    let (freq, gain, wave): (i32, f32, &str) = decoded.get()?;
    println!("decoded  {decoded}  ->  freq={freq} gain={gain} wave={wave}");
    assert_eq!(*decoded, msg);

    // 3. A bundle built in place: a message, another built argument by argument, and a nested bundle
    //    scheduled one second after 2026-11-24 00:00:00 UTC.
    let at = TimeTag::from_unix(std::time::Duration::from_secs(1_795_478_401))?;
    let mut bundle_buf = [0u8; 256];
    let n = BundleBuilder::new(&mut bundle_buf, TimeTag::IMMEDIATELY)?
        .message(&msg)?
        .message_with("/synth/1/gate", |m| m.bool(true))?
        .bundle_with(at, |inner| {
            inner.message_with("/synth/1/env", |m| {
                m.begin_array()?
                    .float(0.0)?
                    .float(1.0)?
                    .float(0.2)?
                    .end_array()
            })
        })?
        .finish()?;
    println!("bundle   {n} bytes: {}", hex(&bundle_buf[..n]));

    // 4. Decode the bundle and walk it.
    let packet = decode(&bundle_buf[..n])?;
    println!("decoded  {packet}");
    if let Packet::Bundle(b) = packet {
        for (i, element) in b.elements().enumerate() {
            println!("  element {i}: {element}");
        }
    }
    Ok(())
}
