//! A network round trip you can watch.
//!
//! A UDP server starts on 127.0.0.1 (a port the system picks) in a thread. A client sends it the
//! message `/synth/1/freq 440 0.5 "sine"`, then a bundle timed 100 ms ahead. The server's handlers
//! print what they got and reply; the client prints the replies. Every packet's bytes are shown as
//! they go on the wire. Everything stays on loopback and the program ends in well under a second.
//!
//! Run: `cargo run -p osc-examples --example roundtrip`

use std::net::SocketAddr;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use osc_core::{Arg, BundleBuilder, Dispatcher, HandlerFn, Message, Replies, Request};
use osc_std::{time, udp::UdpServer, UdpClient};

/// What the server's handlers see: the sender's address, as the UDP server reports it.
type Req<'p, 's> = Request<'p, 's, SocketAddr>;

/// When the program started, for the timestamps printed by both sides.
static START: OnceLock<Instant> = OnceLock::new();

/// Milliseconds since the start.
fn ms() -> u128 {
    START.get_or_init(Instant::now).elapsed().as_millis()
}

/// Groups an encoded packet's bytes in 4-byte words, as OSC aligns them.
fn hex(bytes: &[u8]) -> String {
    bytes
        .chunks(4)
        .map(|w| w.iter().map(|b| format!("{b:02x}")).collect::<String>())
        .collect::<Vec<_>>()
        .join(" ")
}

/// `/synth/1/freq`: print the message and acknowledge the frequency.
fn on_freq(_: &mut (), req: &Req<'_, '_>, replies: &mut Replies<'_>) {
    let when = match req.timetag {
        Some(t) => format!(" (in a bundle timed {t})"),
        None => String::new(),
    };
    println!(
        "[{:>3} ms] server  got {} from {}{when}",
        ms(),
        req.message,
        req.sender
    );
    if let Ok((freq,)) = req.message.get_prefix::<(i32,)>() {
        let _ = replies.message_with("/synth/1/freq/ack", |m| m.int(freq));
    }
}

/// `/synth/1/gate`: print it and say whether the voice now sounds.
fn on_gate(_: &mut (), req: &Req<'_, '_>, replies: &mut Replies<'_>) {
    println!(
        "[{:>3} ms] server  got {} from {}",
        ms(),
        req.message,
        req.sender
    );
    if let Ok((open,)) = req.message.get::<(bool,)>() {
        let _ = replies.message_with("/synth/1/state", |m| {
            m.string(if open { "on" } else { "off" })
        });
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    ms(); // starts the clock

    // 1. The server: two routes, on a thread of its own.
    let mut routes: Dispatcher<'_, HandlerFn<(), SocketAddr>, 8> = Dispatcher::new();
    routes.map("/synth/1/freq", on_freq).map_err(|e| e.kind)?;
    routes.map("/synth/1/gate", on_gate).map_err(|e| e.kind)?;
    let server = UdpServer::bind("127.0.0.1:0")?.spawn(routes, ())?;
    println!("server listening on {}", server.local_addr());

    // 2. A client for that server, on an ephemeral port.
    let mut client = UdpClient::connect(server.local_addr())?;
    println!("client bound to {}\n", client.local_addr()?);

    // 3. A message, encoded into a buffer we own, shown, and sent as one datagram.
    let args = [Arg::Int(440), Arg::Float(0.5), Arg::String("sine")];
    let msg = Message::new("/synth/1/freq", &args);
    let mut buf = [0u8; 256];
    let n = msg.encode(&mut buf)?;
    println!("[{:>3} ms] client  sends {msg}", ms());
    println!("          {n} bytes: {}", hex(&buf[..n]));
    client.send_raw(&buf[..n])?;
    let (reply, from) = client
        .recv(Some(Duration::from_secs(2)))?
        .ok_or("no reply")?;
    println!("[{:>3} ms] client  got reply {reply} from {from}\n", ms());

    // 4. A bundle timed 100 ms from now: the server's scheduler holds it until then.
    let at = time::after(Duration::from_millis(100));
    let n = BundleBuilder::new(&mut buf, at)?
        .message_with("/synth/1/freq", |m| m.int(660)?.float(0.25)?.string("saw"))?
        .message_with("/synth/1/gate", |m| m.bool(true))?
        .finish()?;
    println!("[{:>3} ms] client  sends a bundle for {at}", ms());
    println!("          {n} bytes: {}", hex(&buf[..n]));
    client.send_raw(&buf[..n])?;
    for _ in 0..2 {
        let (reply, _) = client
            .recv(Some(Duration::from_secs(2)))?
            .ok_or("no reply")?;
        println!("[{:>3} ms] client  got reply {reply}", ms());
    }

    // 5. Stop the server and look at its counters.
    let stats = server.stop()?;
    println!(
        "\nserver stopped after {} packets, {} messages, {} replies ({} ms in all)",
        stats.received,
        stats.messages,
        stats.replies,
        ms()
    );
    Ok(())
}
