//! The socket and serial side of `osc send` and `osc dump`, on top of the `osc-std` clients and
//! connections.

use std::io::{self, Write};
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener, TcpStream};
use std::process;
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use osc_core::{DecodeConfig, Packet};
use osc_std::serial::{self, SerialConnection};
use osc_std::udp::UdpServerBuilder;
use osc_std::{Error, Framing, FramingMode, TcpConnection, UdpClient};

use super::url::{Endpoint, Interface};
use super::value::PacketValue;
use super::{json, replay, text};
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

/// How packets are printed: text or JSON, with the receive time and the sender or not.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Style {
    pub(crate) json: bool,
    pub(crate) timestamps: bool,
    pub(crate) sender: bool,
}

/// The lines of a packet from `from` (a socket address, or a serial port's path).
fn render(packet: &Packet<'_>, style: Style, from: &dyn std::fmt::Display) -> Vec<String> {
    let from = style.sender.then(|| from.to_string());
    let received = style.timestamps.then(osc_std::time::now);
    if style.json {
        return vec![json::packet_to_json_with(packet, received, from.as_deref())];
    }
    let lines = text::packet_lines(packet, received);
    match from {
        Some(from) => lines.into_iter().map(|l| format!("{from} {l}")).collect(),
        None => lines,
    }
}

/// A framed stream the tool receives from: a TCP connection or a serial port.
trait Framed {
    /// The next packet within `wait` (`None`: no limit), as the connections' receives.
    fn recv_packet(&mut self, wait: Option<Duration>) -> Result<Option<Packet<'_>>, Error>;
}

impl Framed for TcpConnection {
    fn recv_packet(&mut self, wait: Option<Duration>) -> Result<Option<Packet<'_>>, Error> {
        self.recv(wait)
    }
}

impl Framed for SerialConnection {
    fn recv_packet(&mut self, wait: Option<Duration>) -> Result<Option<Packet<'_>>, Error> {
        self.recv_timeout(wait)
    }
}

/// Opens a serial endpoint in `framing`.
fn open_serial(path: &str, baud: u32, framing: Framing) -> Result<SerialConnection, Fail> {
    serial::open_framed(path, baud, framing).map_err(|e| Fail(e.to_string()))
}

/// Options of `osc send`.
pub(crate) struct SendOptions {
    pub(crate) framing: Framing,
    pub(crate) reply: Option<Duration>,
    pub(crate) max_replies: Option<u64>,
    pub(crate) style: Style,
    /// The UDP destination may be a broadcast address (`SO_BROADCAST`); replies come from anyone.
    pub(crate) broadcast: bool,
}

/// The unspecified address of `addr`'s family, port 0.
fn any_local(addr: &SocketAddr) -> SocketAddr {
    match addr {
        SocketAddr::V4(_) => (Ipv4Addr::UNSPECIFIED, 0).into(),
        SocketAddr::V6(_) => (Ipv6Addr::UNSPECIFIED, 0).into(),
    }
}

/// A UDP socket for `osc send` and where to send (`None`: it is connected). A unicast destination
/// gets a connected socket, so that replies come from it alone and a closed port is reported. A
/// multicast group, the limited broadcast address `255.255.255.255`, or any address with
/// `broadcast` gets an unconnected one: replies come from whichever peers answer.
fn udp_sender(endpoint: &Endpoint, broadcast: bool) -> io::Result<(UdpClient, Option<SocketAddr>)> {
    match *endpoint {
        Endpoint::Multicast {
            group,
            interface,
            ttl,
        } => {
            let client = UdpClient::bind(any_local(&group))?;
            match interface {
                Interface::V4(a) if !a.is_unspecified() => client.set_multicast_if_v4(a)?,
                Interface::V6(i) if i != 0 => client.set_multicast_if_v6(i)?,
                _ => {}
            }
            if let Some(ttl) = ttl {
                let socket = socket2::SockRef::from(client.socket());
                match group {
                    SocketAddr::V4(_) => socket.set_multicast_ttl_v4(ttl)?,
                    SocketAddr::V6(_) => socket.set_multicast_hops_v6(ttl)?,
                }
            }
            Ok((client, Some(group)))
        }
        Endpoint::Udp(addr) if broadcast || addr.ip() == Ipv4Addr::BROADCAST => {
            if addr.is_ipv6() {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "IPv6 has no broadcast; send to a multicast group such as udp://[ff02::1]:PORT",
                ));
            }
            let client = UdpClient::bind(any_local(&addr))?;
            client.set_broadcast(true)?;
            Ok((client, Some(addr)))
        }
        Endpoint::Udp(addr) => UdpClient::connect(addr).map(|c| (c, None)),
        Endpoint::Tcp(_) | Endpoint::Serial { .. } => Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a UDP endpoint",
        )),
    }
}

/// Where `osc send` and `osc replay` send: a UDP socket (with the destination when it is not
/// connected), a TCP connection or a serial port.
enum Outlet {
    Udp(UdpClient, Option<SocketAddr>),
    Tcp(TcpConnection, SocketAddr),
    Serial(SerialConnection, String),
}

impl Outlet {
    fn open(endpoint: &Endpoint, framing: Framing, broadcast: bool) -> Result<Self, Fail> {
        if broadcast && !matches!(endpoint, Endpoint::Udp(_)) {
            return Err(Fail(format!(
                "--broadcast applies to udp://ADDRESS:PORT destinations, not {endpoint}"
            )));
        }
        match endpoint {
            Endpoint::Udp(_) | Endpoint::Multicast { .. } => {
                let (client, to) = udp_sender(endpoint, broadcast).map_err(|e| {
                    let hint = broadcast_hint(e.kind());
                    Fail(format!("cannot open a UDP socket to {endpoint}: {e}{hint}"))
                })?;
                Ok(Outlet::Udp(client, to))
            }
            Endpoint::Tcp(addr) => TcpConnection::connect(addr, framing)
                .map(|c| Outlet::Tcp(c, *addr))
                .map_err(|e| Fail(format!("cannot connect to {endpoint}: {e}"))),
            Endpoint::Serial { path, baud } => {
                open_serial(path, *baud, framing).map(|c| Outlet::Serial(c, path.clone()))
            }
        }
    }

    fn send(&mut self, bytes: &[u8]) -> Result<(), Error> {
        match self {
            Outlet::Udp(client, Some(to)) => client.send_raw_to(bytes, *to),
            Outlet::Udp(client, None) => client.send_raw(bytes),
            Outlet::Tcp(conn, _) => conn.send_raw(bytes),
            Outlet::Serial(conn, _) => conn.send_raw(bytes),
        }
        .map(drop)
    }
}

/// What to add to a refusal to open or send: a broadcast address without `--broadcast` is refused with
/// "permission denied", at the connect on some systems and at the send on others.
fn broadcast_hint(kind: io::ErrorKind) -> &'static str {
    if kind == io::ErrorKind::PermissionDenied {
        " (a broadcast address? add --broadcast)"
    } else {
        ""
    }
}

/// The failure to report when a send to `endpoint` fails.
fn send_failure(endpoint: &Endpoint, e: &Error) -> Fail {
    let hint = match e {
        Error::Io(io) => broadcast_hint(io.kind()),
        _ => "",
    };
    Fail(format!("cannot send to {endpoint}: {e}{hint}"))
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
    let mut show = |p: &Packet<'_>, from: &dyn std::fmt::Display| -> Result<bool, Fail> {
        replies += 1;
        print_lines(&render(p, options.style, from))?;
        Ok(enough(replies))
    };
    let mut outlet = Outlet::open(&endpoint, options.framing, options.broadcast)?;
    outlet
        .send(bytes)
        .map_err(|e| send_failure(&endpoint, &e))?;
    match &mut outlet {
        Outlet::Udp(client, _) => {
            while let Some(wait) = remaining() {
                match client.recv(wait) {
                    Ok(Some((p, from))) => {
                        if show(&p, &from)? {
                            break;
                        }
                    }
                    Ok(None) => break,
                    Err(Error::Decode(e)) => eprintln!("osc send: ignored a malformed reply: {e}"),
                    Err(e) => return Err(Fail(format!("receiving from {endpoint}: {e}"))),
                }
            }
        }
        Outlet::Tcp(conn, addr) => {
            let addr = *addr;
            stream_replies(conn, &endpoint, &addr, remaining, &mut show)?;
        }
        Outlet::Serial(conn, path) => {
            let path = path.clone();
            stream_replies(conn, &endpoint, &path, remaining, &mut show)?;
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

/// Options of `osc replay`.
pub(crate) struct ReplayOptions {
    pub(crate) framing: Framing,
    pub(crate) broadcast: bool,
    /// The speed factor (finite, above 0); `None`: every packet at once.
    pub(crate) speed: Option<f64>,
    /// Longer recorded gaps are skipped (see [`replay::Pacer`]).
    pub(crate) max_gap: Duration,
    /// How many times to play the recording (`u64::MAX`: until interrupted)…
    pub(crate) passes: u64,
    /// …with this pause between the last packet of one pass and the first of the next.
    pub(crate) pause: Duration,
    /// Move bundle timetags to the replay's time (see [`replay::retime`]).
    pub(crate) retime: bool,
}

/// The recording of [`replay()`]: opened once per pass.
pub(crate) type OpenInput<'a> = dyn FnMut() -> Result<Box<dyn io::BufRead + 'a>, Fail> + 'a;

/// Sends the packets of a recording (`open` reads it, `name` names it in messages) at their recorded pace,
/// as many times as `options` say.
///
/// A line that cannot be read (not UTF-8, not a packet) or encoded is reported and skipped, in the first
/// pass only (later passes skip the same lines silently); a datagram the system will not send (too large,
/// say, or no route) is reported and skipped in every pass. Either way the replay goes on, and the result
/// is then a failure that counts them. A UDP destination that refuses a packet (nobody listening) is
/// reported once and the replay goes on: a device may come back during a show. A TCP or serial error ends
/// the replay. So does a pass with nothing to send, and a paced pass that takes no recorded time when
/// another would follow without a pause (it would flood the destination). The summary is printed however
/// the replay ends.
pub(crate) fn replay(
    endpoint: Endpoint,
    open: &mut OpenInput<'_>,
    name: &str,
    options: &ReplayOptions,
) -> Result<(), Fail> {
    let mut r = Replayer {
        outlet: Outlet::open(&endpoint, options.framing, options.broadcast)?,
        pacer: replay::Pacer::new(options.speed, options.max_gap),
        retime: options.retime.then(|| options.speed.unwrap_or(1.0)),
        endpoint: &endpoint,
        name,
        pass: 0,
        sent: 0,
        skipped: 0,
        failed: 0,
        refused: 0,
        unmoved: false,
    };
    let start = Instant::now();
    let played = r.play_passes(open, options);
    let plural = |n: u64| if n == 1 { "" } else { "s" };
    let passes = if r.pass > 1 {
        format!(" ({} passes)", r.pass)
    } else {
        String::new()
    };
    eprintln!(
        "osc replay: sent {} packet{} to {endpoint} in {:.3} s{passes}",
        r.sent,
        plural(r.sent),
        start.elapsed().as_secs_f64()
    );
    played?;
    let mut failures = Vec::new();
    if r.skipped > 0 {
        failures.push(format!(
            "{} line{} of {name} skipped",
            r.skipped,
            plural(r.skipped)
        ));
    }
    if r.failed > 0 {
        failures.push(format!("{} packet{} not sent", r.failed, plural(r.failed)));
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(Fail(failures.join("; ")))
    }
}

/// The sending side of [`replay()`], with its counts.
struct Replayer<'a> {
    outlet: Outlet,
    pacer: replay::Pacer,
    /// `--retime`, at this speed.
    retime: Option<f64>,
    endpoint: &'a Endpoint,
    name: &'a str,
    /// The passes played or being played (from 1).
    pass: u64,
    sent: u64,
    /// Lines skipped (counted in the first pass), datagrams not sent, refused by the destination.
    skipped: u64,
    failed: u64,
    refused: u64,
    /// Whether `--retime` has met a bundle it cannot move (reported once).
    unmoved: bool,
}

impl Replayer<'_> {
    /// Every pass, until the last, a pass with nothing to send, or an error.
    fn play_passes(
        &mut self,
        open: &mut OpenInput<'_>,
        options: &ReplayOptions,
    ) -> Result<(), Fail> {
        while self.pass < options.passes {
            if self.pass > 0 {
                self.pacer.restart(options.pause);
            }
            let mut input = open()?;
            self.pass += 1;
            let items = self.play(&mut *input)?;
            let more = self.pass < options.passes;
            if more && items == 0 {
                eprintln!(
                    "osc replay: pass {} of {} had nothing to send; stopping",
                    self.pass, self.name
                );
                self.pass -= 1;
                break;
            }
            if more && options.speed.is_some() && options.pause.is_zero() && !self.pacer.paced() {
                return Err(Fail(format!(
                    "{} plays in no recorded time: looping it would send without pause (give \
                     --loop-pause SECONDS, or --no-wait to mean it)",
                    self.name
                )));
            }
        }
        Ok(())
    }

    /// One pass over the recording; returns how many items it had to send.
    fn play(&mut self, input: &mut dyn io::BufRead) -> Result<u64, Fail> {
        let mut grouper = replay::Grouper::default();
        let mut items = 0u64;
        let mut bytes = Vec::new();
        let mut line_no = 0usize;
        loop {
            bytes.clear();
            match input.read_until(b'\n', &mut bytes) {
                Ok(0) => break,
                Ok(_) => {}
                Err(e) => return Err(Fail(format!("cannot read {}: {e}", self.name))),
            }
            line_no += 1;
            let Ok(line) = std::str::from_utf8(&bytes) else {
                self.skip(line_no, "not UTF-8 text");
                continue;
            };
            match replay::parse_record(line, &osc_std::time::now) {
                Ok(Some(record)) => {
                    for item in grouper.push(record, line_no) {
                        items += 1;
                        self.send(item)?;
                    }
                }
                Ok(None) => {}
                Err(e) => self.skip(line_no, &e),
            }
        }
        if let Some(item) = grouper.finish() {
            items += 1;
            self.send(item)?;
        }
        Ok(items)
    }

    /// Reports a line skipped for what it holds: in the first pass; later passes skip it silently.
    fn skip(&mut self, line_no: usize, why: &str) {
        if self.pass <= 1 {
            eprintln!("osc replay: {}:{line_no}: skipped: {why}", self.name);
            self.skipped += 1;
        }
    }

    /// Waits for the item's time and sends it.
    fn send(&mut self, mut item: replay::Item) -> Result<(), Fail> {
        let line = item.line;
        let due = self.pacer.due(item.time, Instant::now());
        if let Some(gap) = due.skipped {
            if self.pass <= 1 {
                eprintln!(
                    "osc replay: {}:{line}: skipped a gap of {:.0} s (another clock? --max-gap to keep it)",
                    self.name,
                    gap.as_secs_f64()
                );
            }
        }
        thread::sleep(due.at.saturating_duration_since(Instant::now()));
        if let Some(speed) = self.retime {
            match item.time {
                Some(recorded) => {
                    replay::retime(&mut item.packet, recorded, osc_std::time::now(), speed);
                }
                None if !self.unmoved && matches!(item.packet, PacketValue::Bundle { .. }) => {
                    eprintln!(
                        "osc replay: {}:{line}: a bundle without a receive time goes out as \
                         recorded (--retime moves those of `osc dump --json --timestamps`)",
                        self.name
                    );
                    self.unmoved = true;
                }
                None => {}
            }
        }
        let bytes = match item.packet.encode() {
            Ok(b) => b,
            Err(e) => {
                self.skip(line, &format!("cannot encode: {e}"));
                return Ok(());
            }
        };
        let udp = matches!(self.outlet, Outlet::Udp(..));
        match self.outlet.send(&bytes) {
            Ok(()) => self.sent += 1,
            Err(Error::Io(e)) if udp && e.kind() == io::ErrorKind::ConnectionRefused => {
                if self.refused == 0 {
                    eprintln!(
                        "osc replay: {} refused a packet (nothing listening?); going on",
                        self.endpoint
                    );
                }
                self.refused += 1;
            }
            Err(e) if udp => {
                let why = send_failure(self.endpoint, &e).0;
                eprintln!("osc replay: {}:{line}: not sent: {why}", self.name);
                self.failed += 1;
            }
            Err(e) => return Err(send_failure(self.endpoint, &e)),
        }
        Ok(())
    }
}

/// Shows the replies that come back on a framed stream (from `peer`) while there is time left.
fn stream_replies<C: Framed>(
    conn: &mut C,
    endpoint: &Endpoint,
    peer: &dyn std::fmt::Display,
    mut remaining: impl FnMut() -> Option<Option<Duration>>,
    show: &mut impl FnMut(&Packet<'_>, &dyn std::fmt::Display) -> Result<bool, Fail>,
) -> Result<(), Fail> {
    while let Some(wait) = remaining() {
        match conn.recv_packet(wait) {
            Ok(Some(p)) => {
                if show(&p, peer)? {
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
    Ok(())
}

/// Options of `osc dump`.
pub(crate) struct DumpOptions {
    pub(crate) style: Style,
    pub(crate) count: Option<u64>,
    pub(crate) framing: FramingMode,
    pub(crate) config: DecodeConfig,
}

/// Prints packets and counts them; ends the process once `count` packets are printed. TCP
/// connections print from their own threads: the lock keeps packets whole and the count exact.
struct Printer {
    style: Style,
    count: Option<u64>,
    seen: Mutex<u64>,
}

impl Printer {
    fn packet(&self, packet: &Packet<'_>, from: &dyn std::fmt::Display) -> Result<(), Fail> {
        let lines = render(packet, self.style, from);
        let mut seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
        print_lines(&lines)?;
        *seen += 1;
        if self.count.is_some_and(|c| *seen >= c) {
            process::exit(0);
        }
        Ok(())
    }
}

fn announce(endpoint: &Endpoint) {
    eprintln!("osc dump: listening on {endpoint}");
}

/// Receives and prints packets until the count is reached or an I/O error ends it.
pub(crate) fn dump(endpoint: Endpoint, options: DumpOptions) -> Result<(), Fail> {
    let printer = Arc::new(Printer {
        style: options.style,
        count: options.count,
        seen: Mutex::new(0),
    });
    if options.count == Some(0) {
        return Ok(());
    }
    match &endpoint {
        Endpoint::Udp(_) | Endpoint::Multicast { .. } => {
            let mut sock = udp_listener(&endpoint, options.config)
                .map_err(|e| Fail(format!("cannot listen on {endpoint}: {e}")))?;
            let local = sock.local_addr()?;
            announce(&match endpoint {
                Endpoint::Multicast {
                    group,
                    interface,
                    ttl,
                } => Endpoint::Multicast {
                    group: SocketAddr::new(group.ip(), local.port()),
                    interface,
                    ttl,
                },
                _ => Endpoint::Udp(local),
            });
            loop {
                match sock.recv(None) {
                    Ok(Some((p, from))) => printer.packet(&p, &from)?,
                    Ok(None) => {}
                    Err(Error::Decode(e)) => eprintln!("osc dump: ignored a malformed packet: {e}"),
                    Err(e) => return Err(Fail(format!("receiving on {endpoint}: {e}"))),
                }
            }
        }
        Endpoint::Tcp(addr) => {
            // Not `osc_std::TcpServer`: it hands messages to a dispatcher, and dump prints whole
            // packets (bundles with their structure). Each connection is a `TcpConnection`, which does
            // the framing; `FramingMode::detect` picks it for `auto`.
            let listener = TcpListener::bind(addr)
                .map_err(|e| Fail(format!("cannot listen on {endpoint}: {e}")))?;
            announce(&Endpoint::Tcp(listener.local_addr()?));
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
        Endpoint::Serial { path, baud } => {
            // A serial line cannot be peeked at: `auto` means SLIP, the framing serial OSC uses.
            let framing = options.framing.fixed().unwrap_or(Framing::Slip);
            let mut conn = open_serial(path, *baud, framing)?;
            conn.set_decode_config(options.config);
            announce(&endpoint);
            match print_stream(&mut conn, path, &printer) {
                Ok(()) => Err(Fail(format!("serial port {path} closed"))),
                Err(e) => Err(Fail(format!("serial port {path}: {e}"))),
            }
        }
    }
}

/// The socket `osc dump` receives UDP on. A multicast group is joined on its interface, on a socket
/// that shares its port (`SO_REUSEADDR`, as liblo's `oscdump` does) and is bound to an IPv4 group's
/// address where the system filters by it (Unix), to the unspecified address otherwise.
fn udp_listener(endpoint: &Endpoint, config: DecodeConfig) -> io::Result<UdpClient> {
    let builder = UdpServerBuilder::new().decode_config(config);
    match *endpoint {
        Endpoint::Multicast {
            group, interface, ..
        } => {
            let builder = match (group.ip(), interface) {
                (std::net::IpAddr::V4(g), Interface::V4(i)) => builder.join_multicast_v4(g, i),
                (std::net::IpAddr::V6(g), Interface::V6(i)) => builder.join_multicast_v6(g, i),
                _ => {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidInput,
                        "the interface is not of the group's family",
                    ))
                }
            };
            // Linux will not bind an IPv6 link-local group without its scope: IPv6 binds `[::]`.
            let bind = if cfg!(unix) && group.is_ipv4() {
                group
            } else {
                SocketAddr::new(any_local(&group).ip(), group.port())
            };
            builder.reuse_address(true).bind_client(bind)
        }
        Endpoint::Udp(addr) => builder.bind_client(addr),
        Endpoint::Tcp(_) | Endpoint::Serial { .. } => Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a UDP endpoint",
        )),
    }
}

/// Prints the packets of one framed stream until it ends: `Ok` at its end, the error otherwise.
/// Malformed packets are reported and skipped; a failure to print ends the process.
fn print_stream<C: Framed>(conn: &mut C, from: &str, printer: &Printer) -> Result<(), Error> {
    loop {
        match conn.recv_packet(None) {
            Ok(Some(p)) => {
                if let Err(Fail(msg)) = printer.packet(&p, &from) {
                    eprintln!("osc dump: {msg}");
                    process::exit(1);
                }
            }
            Ok(None) => {}
            Err(Error::Closed) => return Ok(()),
            Err(e @ (Error::Decode(_) | Error::Frame(_))) => {
                eprintln!("osc dump: ignored a malformed packet from {from}: {e}");
            }
            Err(e) => return Err(e),
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
    if let Err(e) = print_stream(&mut conn, &peer, printer) {
        eprintln!("osc dump: connection from {peer} ended: {e}");
    }
}
