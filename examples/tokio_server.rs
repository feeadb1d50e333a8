//! The async servers and clients on tokio: a UDP and a TCP server on loopback, each answering
//! `/ping` with `/pong`, queried once by an async client, then shut down.
//!
//! Run: `cargo run -p osc-examples --features tokio --example tokio_server`

use std::net::SocketAddr;
use std::time::Duration;

use osc_core::{Dispatcher, HandlerFn, Replies, Request};
use osc_std::tokio::{TcpConnection, UdpClient};
use osc_std::{tcp::TcpServerBuilder, udp::UdpServerBuilder, Framing, FramingMode};

type Routes = Dispatcher<'static, HandlerFn<u32, SocketAddr>, 4>;

fn pong(count: &mut u32, req: &Request<'_, '_, SocketAddr>, replies: &mut Replies<'_>) {
    *count += 1;
    println!("server: {} from {} (#{count})", req.message, req.sender);
    let _ = replies.message_with("/pong", |m| m.int(*count as i32));
}

fn routes() -> Routes {
    let mut d = Routes::new();
    d.map("/ping", pong).expect("a valid route");
    d
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut udp = UdpServerBuilder::new().bind_tokio("127.0.0.1:0")?;
    let mut tcp = TcpServerBuilder::new()
        .framing(FramingMode::Auto)
        .bind_tokio("127.0.0.1:0")?;
    let (udp_addr, tcp_addr) = (udp.local_addr()?, tcp.local_addr()?);
    let (stop_udp, stop_tcp) = (udp.shutdown_handle(), tcp.shutdown_handle());
    println!("UDP on {udp_addr}, TCP on {tcp_addr}");

    let udp_task = tokio::spawn(async move {
        let mut d = routes();
        udp.run(&mut d, &mut 0).await
    });
    let tcp_task = tokio::spawn(async move { tcp.run(|_peer| (routes(), 0)).await });

    let patience = Duration::from_secs(2);
    let mut client = UdpClient::connect(udp_addr).await?;
    client.send_message("/ping", &[]).await?;
    let (reply, _) = tokio::time::timeout(patience, client.recv()).await??;
    println!("UDP client got {reply}");

    let mut conn = TcpConnection::connect(tcp_addr, Framing::Slip).await?;
    conn.send_message("/ping", &[]).await?;
    let reply = tokio::time::timeout(patience, conn.recv()).await??;
    println!("TCP client got {reply}");

    stop_udp.shutdown();
    stop_tcp.shutdown();
    udp_task.await??;
    tcp_task.await??;
    println!("both servers stopped");
    Ok(())
}
