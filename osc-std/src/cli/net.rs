//! The socket side of `osc send` and `osc dump`, on top of the `osc-std` clients and connections.

use std::io::{self, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process;
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use osc_core::{DecodeConfig, Packet};
use osc_std::{Error, Framing, FramingMode, TcpConnection, UdpClient};

use super::url::{Endpoint, Transport};
use super::{json, text};
use crate::Fail;

/// Writes lines to stdout and flushes. A closed stdout (the reader went away) ends the process quietly.
pub(crate) fn print_lines(lines: &[String]) -> Result<(), Fail> {
    let mut out = io::stdout().lock();
    let r = lines
        .iter()
        .try_for_each(|l| writeln!(out, "{l}"))
        .and_then(|()| out.flush());
    match r {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => process::exit(0),
        Err(e) => Err(Fail(format!("cannot write to stdout: {e}"))),
    }
}

fn render(packet: &Packet<'_>, json_out: bool, timestamps: bool) -> Vec<String> {
    if json_out {
        vec![json::packet_to_json(packet)]
    } else {
        let received = timestamps.then(osc_std::time::now);
        text::packet_lines(packet, received)
    }
}

/// Options of `osc send`.
pub(crate) struct SendOptions {
    pub(crate) framing: Framing,
    pub(crate) reply: Option<Duration>,
    pub(crate) max_replies: Option<u64>,
    pub(crate) json: bool,
}

/// Sends one encoded packet and, with `reply`, prints what comes back until the time is up or
/// `max_replies` have arrived.
pub(crate) fn send(endpoint: Endpoint, bytes: &[u8], options: &SendOptions) -> Result<(), Fail> {
    let mut replies = 0u64;
    // `Some(None)`: a wait too long for `Instant` to represent, i.e. no limit.
    let deadline = options.reply.map(|d| Instant::now().checked_add(d));
    // The next receive timeout while there is time left (`Some(None)`: block).
    let remaining = || -> Option<Option<Duration>> {
        match deadline? {
            None => Some(None),
            Some(at) => {
                let left = at.saturating_duration_since(Instant::now());
                (!left.is_zero()).then_some(Some(left))
            }
        }
    };
    let enough = |n: u64| options.max_replies.is_some_and(|m| n >= m);
    let mut show = |p: &Packet<'_>| -> Result<bool, Fail> {
        replies += 1;
        print_lines(&render(p, options.json, false))?;
        Ok(enough(replies))
    };
    match endpoint.transport {
        Transport::Udp => {
            let mut client = UdpClient::connect(endpoint.addr)
                .map_err(|e| Fail(format!("cannot open a UDP socket to {endpoint}: {e}")))?;
            client
                .send_raw(bytes)
                .map_err(|e| Fail(format!("cannot send to {endpoint}: {e}")))?;
            while let Some(wait) = remaining() {
                match client.recv(wait) {
                    Ok(Some((p, _from))) => {
                        if show(&p)? {
                            break;
                        }
                    }
                    Ok(None) => break,
                    Err(Error::Decode(e)) => eprintln!("osc send: ignored a malformed reply: {e}"),
                    Err(e) => return Err(Fail(format!("receiving from {endpoint}: {e}"))),
                }
            }
        }
        Transport::Tcp => {
            let mut conn = TcpConnection::connect(endpoint.addr, options.framing)
                .map_err(|e| Fail(format!("cannot connect to {endpoint}: {e}")))?;
            conn.send_raw(bytes)
                .map_err(|e| Fail(format!("cannot send to {endpoint}: {e}")))?;
            while let Some(wait) = remaining() {
                match conn.recv(wait) {
                    Ok(Some(p)) => {
                        if show(&p)? {
                            break;
                        }
                    }
                    Ok(None) | Err(Error::Closed) => break,
                    Err(e @ (Error::Decode(_) | Error::Frame(_))) => {
                        eprintln!("osc send: ignored a malformed reply: {e}");
                    }
                    Err(e) => return Err(Fail(format!("receiving from {endpoint}: {e}"))),
                }
            }
        }
    }
    if let Some(d) = options.reply {
        if replies == 0 {
            return Err(Fail(format!(
                "no reply from {endpoint} within {}s",
                d.as_secs_f64()
            )));
        }
    }
    Ok(())
}

/// Options of `osc dump`.
pub(crate) struct DumpOptions {
    pub(crate) json: bool,
    pub(crate) count: Option<u64>,
    pub(crate) framing: FramingMode,
    pub(crate) timestamps: bool,
    pub(crate) config: DecodeConfig,
}

/// Prints packets and counts them; ends the process once `count` packets are printed. TCP
/// connections print from their own threads: the lock keeps packets whole and the count exact.
struct Printer {
    json: bool,
    timestamps: bool,
    count: Option<u64>,
    seen: Mutex<u64>,
}

impl Printer {
    fn packet(&self, packet: &Packet<'_>) -> Result<(), Fail> {
        let lines = render(packet, self.json, self.timestamps);
        let mut seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
        print_lines(&lines)?;
        *seen += 1;
        if self.count.is_some_and(|c| *seen >= c) {
            process::exit(0);
        }
        Ok(())
    }
}

fn announce(transport: &str, addr: SocketAddr) {
    eprintln!("osc dump: listening on {transport}://{addr}");
}

/// Receives and prints packets until the count is reached or an I/O error ends it.
pub(crate) fn dump(endpoint: Endpoint, options: DumpOptions) -> Result<(), Fail> {
    let printer = Arc::new(Printer {
        json: options.json,
        timestamps: options.timestamps,
        count: options.count,
        seen: Mutex::new(0),
    });
    if options.count == Some(0) {
        return Ok(());
    }
    match endpoint.transport {
        Transport::Udp => {
            let mut sock = UdpClient::bind(endpoint.addr)
                .map_err(|e| Fail(format!("cannot listen on {endpoint}: {e}")))?;
            sock.set_decode_config(options.config);
            announce("udp", sock.local_addr()?);
            loop {
                match sock.recv(None) {
                    Ok(Some((p, _from))) => printer.packet(&p)?,
                    Ok(None) => {}
                    Err(Error::Decode(e)) => eprintln!("osc dump: ignored a malformed packet: {e}"),
                    Err(e) => return Err(Fail(format!("receiving on {endpoint}: {e}"))),
                }
            }
        }
        Transport::Tcp => {
            // Not `osc_std::TcpServer`: it hands messages to a dispatcher, and dump prints whole
            // packets (bundles with their structure). Each connection is a `TcpConnection`, which does
            // the framing; `FramingMode::detect` picks it for `auto`.
            let listener = TcpListener::bind(endpoint.addr)
                .map_err(|e| Fail(format!("cannot listen on {endpoint}: {e}")))?;
            announce("tcp", listener.local_addr()?);
            for stream in listener.incoming() {
                let stream = match stream {
                    Ok(s) => s,
                    Err(e) => {
                        eprintln!("osc dump: accept failed: {e}");
                        continue;
                    }
                };
                let printer = Arc::clone(&printer);
                let (mode, config) = (options.framing, options.config);
                thread::spawn(move || serve_connection(stream, mode, config, &printer));
            }
            Ok(())
        }
    }
}

/// Prints the packets of one TCP connection until it closes.
fn serve_connection(stream: TcpStream, mode: FramingMode, config: DecodeConfig, printer: &Printer) {
    let peer = stream
        .peer_addr()
        .map_or_else(|_| "?".to_owned(), |a| a.to_string());
    let framing = match mode.fixed() {
        Some(f) => f,
        None => {
            let mut first = [0u8; 1];
            match stream.peek(&mut first) {
                Ok(1) => mode.detect(first[0]),
                // Closed before sending anything.
                _ => return,
            }
        }
    };
    let mut conn = TcpConnection::from_stream(stream, framing);
    conn.set_decode_config(config);
    loop {
        match conn.recv(None) {
            Ok(Some(p)) => {
                if let Err(Fail(msg)) = printer.packet(&p) {
                    eprintln!("osc dump: {msg}");
                    process::exit(1);
                }
            }
            Ok(None) => {}
            Err(Error::Closed) => return,
            Err(e @ (Error::Decode(_) | Error::Frame(_))) => {
                eprintln!("osc dump: ignored a malformed packet from {peer}: {e}");
            }
            Err(e) => {
                eprintln!("osc dump: connection from {peer} ended: {e}");
                return;
            }
        }
    }
}
