//! OSC over TCP in both framings: a server that detects each connection's framing from its first
//! byte, and two clients, one SLIP (OSC 1.1) and one length-prefixed (OSC 1.0). The bytes each
//! client puts on the wire are printed.
//!
//! Run: `cargo run -p osc-examples --example tcp`

use std::net::SocketAddr;
use std::time::Duration;

use osc_core::{Arg, Dispatcher, HandlerFn, Message};
use osc_std::{tcp::TcpServer, Framing, FramingMode, TcpConnection};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let server = TcpServer::builder()
        .framing(FramingMode::Auto)
        .max_connections(8)
        .idle_timeout(Some(Duration::from_secs(10)))
        .bind("127.0.0.1:0")?
        .spawn(|peer| {
            println!("server: connection from {peer}");
            let mut d: Dispatcher<'_, HandlerFn<(), SocketAddr>, 4> = Dispatcher::new();
            d.map("/echo", |_, req, replies| {
                let _ = replies.send(&req.message);
            })
            .expect("a valid route");
            (d, ())
        })?;

    for framing in [Framing::Slip, Framing::LengthPrefix] {
        let mut conn = TcpConnection::connect(server.local_addr(), framing)?;
        let args = [Arg::String("hello"), Arg::Int(0xC0)];
        let msg = Message::new("/echo", &args);
        let mut packet = [0u8; 64];
        let n = msg.encode(&mut packet)?;
        let mut wire = Vec::new();
        let wire = framing.encode(&packet[..n], &mut wire)?;
        println!("{framing:>6} client sends {msg}: {wire:02x?}");
        conn.send(&msg.into())?;
        let reply = conn.recv(Some(Duration::from_secs(2)))?.ok_or("no reply")?;
        println!("{framing:>6} client got back {reply}");
    }
    let stats = server.stop()?;
    println!(
        "{} connections, {} frames, {} replies",
        stats.connections, stats.received, stats.replies
    );
    Ok(())
}
