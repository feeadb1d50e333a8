//! The async servers and clients on tokio: a UDP and a TCP server on loopback, each answering
//! `/ping` with `/pong`, queried once by an async client; then a UDP server with async handlers,
//! one awaiting before it replies and one pushing three updates from a task of its own; then all
//! are shut down.
//!
//! Run: `cargo run -p osc-examples --features tokio --example tokio_server`

use std::net::SocketAddr;
use std::time::Duration;

use osc_core::{Arg, Dispatcher, HandlerFn, Replies, Request};
use osc_std::tokio::{AsyncRequest, AsyncRoutes, TcpConnection, UdpClient};
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

/// `/lookup name`: answers after an await (a stand-in for a database or another device);
/// `/watch`: three `/level` updates, 10 ms apart, sent by a task that outlives the handler.
fn async_routes() -> AsyncRoutes<'static, 4> {
    let mut routes = AsyncRoutes::new();
    routes
        .map("/lookup", |req: AsyncRequest| async move {
            let name = req.message.get::<(&str,)>().map_or("", |(n,)| n).to_owned();
            tokio::time::sleep(Duration::from_millis(20)).await;
            let _ = req
                .reply
                .send_message(
                    "/lookup/reply",
                    &[Arg::String(&name), Arg::Int(name.len() as i32)],
                )
                .await;
        })
        .expect("a valid route");
    routes
        .map("/watch", |req: AsyncRequest| async move {
            tokio::spawn(async move {
                for level in [0.25, 0.5, 0.75] {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    let _ = req.reply.send_message("/level", &[Arg::Float(level)]).await;
                }
            });
        })
        .expect("a valid route");
    routes
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

    let mut async_udp = UdpServerBuilder::new().bind_tokio("127.0.0.1:0")?;
    let (async_addr, stop_async) = (async_udp.local_addr()?, async_udp.shutdown_handle());
    let async_task = tokio::spawn(async move { async_udp.run_async(&mut async_routes()).await });
    let mut client = UdpClient::connect(async_addr).await?;
    client
        .send_message("/lookup", &[Arg::String("osc")])
        .await?;
    client.send_message("/watch", &[]).await?;
    for _ in 0..4 {
        let (reply, _) = tokio::time::timeout(patience, client.recv()).await??;
        println!("async UDP client got {reply}");
    }

    stop_udp.shutdown();
    stop_tcp.shutdown();
    stop_async.shutdown();
    udp_task.await??;
    tcp_task.await??;
    async_task.await??;
    println!("all servers stopped");
    Ok(())
}
