//! A threaded UDP server: one receive loop, a pool of worker threads, application state shared
//! between them, live counters. Four client threads send it traffic, one packet malformed and
//! one handler panicking on purpose, then the server is stopped and its counters printed.
//!
//! Run: `cargo run -p osc-examples --example udp_server_threaded -- [BIND_ADDR]`
//! (default 127.0.0.1:0, a port the system picks).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use osc_core::{Arg, Dispatcher, HandlerFn, Replies, Request};
use osc_std::{udp::UdpServer, UdpClient};

/// State every worker shares: a running sum, kept in an atomic.
type Shared = Arc<AtomicI64>;
type Req<'p, 's> = Request<'p, 's, SocketAddr>;

fn add(total: &mut Shared, req: &Req<'_, '_>, replies: &mut Replies<'_>) {
    if let Ok((n,)) = req.message.get::<(i32,)>() {
        let sum = total.fetch_add(i64::from(n), Ordering::Relaxed) + i64::from(n);
        let _ = replies.message_with("/sum", |m| m.long(sum));
    }
}

fn boom(_: &mut Shared, _: &Req<'_, '_>, _: &mut Replies<'_>) {
    panic!("this handler panics on purpose; the server counts it and goes on");
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let bind = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:0".into());
    // One line per panic instead of a backtrace: this example panics on purpose.
    std::panic::set_hook(Box::new(|info| eprintln!("a handler panicked: {info}")));
    let total: Shared = Arc::new(AtomicI64::new(0));
    let shared = total.clone();
    let server = UdpServer::builder()
        .workers(4)
        .queue_capacity(256)
        .bind_threaded(bind.as_str())?
        // Each worker builds its own dispatcher; the state they share is in the context.
        .spawn(move |_worker| {
            let mut d: Dispatcher<'_, HandlerFn<Shared, SocketAddr>, 4> = Dispatcher::new();
            d.map("/add", add).expect("a valid route");
            d.map("/boom", boom).expect("a valid route");
            (d, shared.clone())
        })?;
    let addr = server.local_addr();
    println!("threaded server on {addr}");

    std::thread::scope(|s| {
        for t in 0..4 {
            s.spawn(move || -> Result<(), osc_std::Error> {
                let mut client = UdpClient::connect(addr)?;
                for i in 1..=25 {
                    client.send_message("/add", &[Arg::Int(i)])?;
                    // Wait for each reply: a bounded, lock-step load.
                    client.recv(Some(Duration::from_secs(2)))?;
                }
                if t == 0 {
                    client.send_raw(b"not an OSC packet")?;
                    client.send_message("/boom", &[])?;
                }
                Ok(())
            });
        }
    });

    std::thread::sleep(Duration::from_millis(50));
    let stats = server.stop()?;
    println!("sum of everything added: {}", total.load(Ordering::Relaxed));
    println!("{stats:#?}");
    Ok(())
}
