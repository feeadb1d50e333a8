//! Query and reply, as mixers and synths do it: a server keeps parameters; `/get <name>` answers
//! with `/value <name> <v>`, `/set <name> <v>` changes one. The client is a `DispatchClient`,
//! whose own routes handle the answers.
//!
//! Run: `cargo run -p osc-examples --example query_reply`

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use osc_core::{Arg, Dispatcher, HandlerFn, Replies, Request};
use osc_std::{udp::UdpServer, DispatchClient, UdpClient};

type Params = BTreeMap<String, f32>;
type Req<'p, 's> = Request<'p, 's, SocketAddr>;

fn get(params: &mut Params, req: &Req<'_, '_>, replies: &mut Replies<'_>) {
    let Ok((name,)) = req.message.get::<(&str,)>() else {
        return;
    };
    let _ = match params.get(name) {
        Some(v) => replies.message_with("/value", |m| m.string(name)?.float(*v)),
        None => replies.message_with("/error", |m| m.string("no such parameter")?.string(name)),
    };
}

fn set(params: &mut Params, req: &Req<'_, '_>, _: &mut Replies<'_>) {
    if let Ok((name, v)) = req.message.get::<(&str, f32)>() {
        params.insert(name.to_owned(), v);
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut routes: Dispatcher<'_, HandlerFn<Params, SocketAddr>, 4> = Dispatcher::new();
    routes.map("/get", get).map_err(|e| e.kind)?;
    routes.map("/set", set).map_err(|e| e.kind)?;
    let params = Params::from([("volume".to_owned(), 0.8), ("pan".to_owned(), 0.0)]);
    let server = UdpServer::bind("127.0.0.1:0")?.spawn(routes, params)?;

    // The client's routes: what to do with each kind of answer.
    let mut answers: Dispatcher<'_, HandlerFn<Vec<String>, SocketAddr>, 4> = Dispatcher::new();
    answers
        .map("/value", |log, req, _| {
            if let Ok((name, v)) = req.message.get::<(&str, f32)>() {
                log.push(format!("{name} = {v}"));
            }
        })
        .map_err(|e| e.kind)?;
    answers
        .map("/error", |log, req, _| {
            log.push(format!("error: {}", req.message))
        })
        .map_err(|e| e.kind)?;
    let mut client = DispatchClient::new(UdpClient::connect(server.local_addr())?, answers);

    client.send_message("/get", &[Arg::String("volume")])?;
    client.send_message("/set", &[Arg::String("volume"), Arg::Float(0.5)])?;
    client.send_message("/get", &[Arg::String("volume")])?;
    client.send_message("/get", &[Arg::String("reverb")])?;

    let mut log = Vec::new();
    let handled = client.handle_messages(&mut log, Some(Duration::from_millis(200)))?;
    for line in &log {
        println!("{line}");
    }
    println!("{handled} answers");
    server.stop()?;
    Ok(())
}
