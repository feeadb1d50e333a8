//! A UDP client: sends messages and a bundle to a server and prints what comes back.
//!
//! Run: `cargo run -p osc-examples --example udp_client -- [HOST:PORT]`
//!
//! With an address, it talks to that peer and waits half a second for replies: any OSC application,
//! or the `osc` tool printing what arrives, started first in another terminal:
//!
//! ```text
//! cargo run -p osc-std --features cli --bin osc -- dump udp://127.0.0.1:9000
//! cargo run -p osc-examples --example udp_client -- 127.0.0.1:9000
//! ```
//!
//! Without an address, it starts a tiny peer on 127.0.0.1 that echoes every packet back, so the
//! example runs on its own. If nothing listens at the address, the system answers the first
//! datagram with "port unreachable", and the next send or receive reports it as
//! `ConnectionRefused` (a connected UDP socket learns of it that way); the example says so.

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
    match talk(&mut client) {
        Err(osc_std::Error::Io(e)) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
            println!("nothing listens at {target} (the system reported the port unreachable)");
            Ok(())
        }
        result => result.map_err(|e| e.to_string().into()),
    }
}

/// Sends two messages and a bundle, then prints the replies until none comes for half a second.
fn talk(client: &mut UdpClient) -> Result<(), osc_std::Error> {
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
    // A malformed datagram is reported and skipped.
    loop {
        match client.recv(Some(Duration::from_millis(500))) {
            Ok(Some((packet, from))) => println!("reply from {from}: {packet}"),
            Ok(None) => return Ok(()),
            Err(osc_std::Error::Decode(e)) => println!("a malformed datagram: {e}"),
            Err(e) => return Err(e),
        }
    }
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
