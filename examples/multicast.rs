//! Multicast on loopback: two servers on one port join the group 239.255.0.1 on the loopback
//! interface; a client sends one message to the group (`IP_MULTICAST_IF` = 127.0.0.1, TTL 0 so
//! that nothing leaves this host) and both members answer.
//!
//! Run: `cargo run -p osc-examples --example multicast`
//!
//! Some systems do not deliver multicast on loopback; the example then says so and exits.

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use osc_core::{Arg, Dispatcher, HandlerFn};
use osc_std::{udp::UdpServer, ServerHandle, UdpClient};

const GROUP: Ipv4Addr = Ipv4Addr::new(239, 255, 0, 1);

fn member(port: u16, name: &'static str) -> std::io::Result<ServerHandle> {
    let mut d: Dispatcher<'_, HandlerFn<&'static str, SocketAddr>, 4> = Dispatcher::new();
    d.map("/hello", |name, req, replies| {
        println!("{name} got {} from {}", req.message, req.sender);
        let _ = replies.message_with("/member", |m| m.string(name));
    })
    .expect("a valid route");
    UdpServer::builder()
        .reuse_address(true)
        .join_multicast_v4(GROUP, Ipv4Addr::LOCALHOST)
        .bind((Ipv4Addr::UNSPECIFIED, port))?
        .spawn(d, name)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let a = member(0, "member A")?;
    let port = a.local_addr().port();
    let b = member(port, "member B")?;

    let mut client = UdpClient::bind("127.0.0.1:0")?;
    client.set_multicast_if_v4(Ipv4Addr::LOCALHOST)?;
    client.socket().set_multicast_ttl_v4(0)?;
    client.send_message_to("/hello", &[Arg::Int(1)], (GROUP, port).into())?;

    let mut answers = 0;
    while let Some((reply, from)) = client.recv(Some(Duration::from_millis(300)))? {
        println!("client got {reply} from {from}");
        answers += 1;
    }
    if answers == 0 {
        println!("no answer: this system does not deliver multicast on the loopback interface");
    }
    a.stop()?;
    b.stop()?;
    Ok(())
}
