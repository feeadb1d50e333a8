//! A UDP client: sends messages and a bundle to a server and prints what comes back.
//!
//! Run: `cargo run -p osc-examples --example udp_client -- [HOST:PORT]`
//!
//! With an address, it talks to that server (e.g. one started with `udp_server_threaded`, or any
//! OSC application) and waits half a second for replies. Without one, it starts a tiny peer on
//! 127.0.0.1 that echoes every packet back, so the example runs on its own.

use std::time::Duration;

use osc_core::{Arg, Packet};
use osc_std::{time, UdpClient};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let target = match std::env::args().nth(1) {
        Some(addr) => addr,
        None => start_echo_peer()?,
    };
    let mut client = UdpClient::connect(target.as_str())?;
    println!("client {} -> {target}", client.local_addr()?);

    // A message from values, and the same built from a Packet.
    client.send_message("/mixer/fader/1", &[Arg::Float(0.75)])?;
    client.send(&Packet::Message(osc_core::Message::new(
        "/mixer/mute/1",
        &[Arg::Bool(true)],
    )))?;
    // A bundle for 50 ms from now.
    client.send_bundle(time::after(Duration::from_millis(50)), 256, |b| {
        b.message_with("/transport/play", |m| Ok(m))?
            .message_with("/tempo", |m| m.double(120.0))
    })?;

    // Replies until none comes for half a second. A malformed datagram is reported and skipped.
    loop {
        match client.recv(Some(Duration::from_millis(500))) {
            Ok(Some((packet, from))) => println!("reply from {from}: {packet}"),
            Ok(None) => break,
            Err(osc_std::Error::Decode(e)) => println!("a malformed datagram: {e}"),
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

/// Starts a thread that sends every datagram it gets back to its sender, for a few seconds at
/// most; returns its address.
fn start_echo_peer() -> std::io::Result<String> {
    let mut peer = UdpClient::bind("127.0.0.1:0")?;
    let addr = peer.local_addr()?;
    std::thread::spawn(move || {
        while let Ok(Some((bytes, from))) = peer.recv_raw(Some(Duration::from_secs(3))) {
            let echo = bytes.to_vec();
            let _ = peer.send_raw_to(&echo, from);
        }
    });
    Ok(addr.to_string())
}
