//! UDP servers: the builder, the blocking server, and the loop they share.

use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, ToSocketAddrs, UdpSocket};
use std::sync::{Arc, Weak};
use std::time::Duration;

use osc_core::{DecodeConfig, Dispatcher, Handler, TimePolicy};
use socket2::{Domain, Protocol, Socket, Type};

use crate::counters::{Counters, Stats};
use crate::engine::{Engine, Wait, DEFAULT_SCHEDULE_HORIZON};
use crate::handle::ServerHandle;
use crate::shutdown::Shutdown;
use crate::sock::{is_timeout, is_transient, ReadTimeout};
use crate::time;
use crate::udp::batch::{RecvBatch, SendBatch, MAX_BATCH};
use crate::udp::UdpClient;

/// Bundles a UDP server thread can hold for later: at most this many…
pub const SCHEDULER_SLOTS: usize = 256;
/// …totalling at most this many bytes (256 KiB). More is dropped and counted in
/// [`Stats::dropped`].
pub const SCHEDULER_BYTES: usize = 256 * 1024;

pub(crate) type UdpEngine = Engine<SCHEDULER_SLOTS, SCHEDULER_BYTES>;

/// The default of [`UdpServerBuilder::recv_batch`].
const DEFAULT_RECV_BATCH: usize = 32;

/// A multicast group to join, with the interface to join it on.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum MulticastGroup {
    /// An IPv4 group (`224.0.0.0/4`) on the interface that has the address `interface`
    /// (`0.0.0.0`: let the system choose).
    V4 {
        /// The group address.
        group: Ipv4Addr,
        /// The local address of the interface to join on.
        interface: Ipv4Addr,
    },
    /// An IPv6 group (`ff00::/8`) on the interface with index `interface` (0: let the system
    /// choose).
    V6 {
        /// The group address.
        group: Ipv6Addr,
        /// The interface index (`if_nametoindex`).
        interface: u32,
    },
}

/// Configuration shared by every UDP server form; the `bind*` methods create the server.
///
/// | option | default |
/// |---|---|
/// | [`reuse_address`](Self::reuse_address) (`SO_REUSEADDR`) | off |
/// | [`reuse_port`](Self::reuse_port) (`SO_REUSEPORT`, Unix) | off (always on for [`bind_reuse_port`](Self::bind_reuse_port)) |
/// | [`broadcast`](Self::broadcast) (`SO_BROADCAST`) | off |
/// | [`join_multicast_v4`](Self::join_multicast_v4) / [`join_multicast_v6`](Self::join_multicast_v6) | none |
/// | [`multicast_loop`](Self::multicast_loop) | the system's (on) |
/// | [`only_v6`](Self::only_v6) (`IPV6_V6ONLY`) | the system's |
/// | [`recv_buffer_size`](Self::recv_buffer_size) (`SO_RCVBUF`) | the system's |
/// | [`time_policy`](Self::time_policy) | [`TimePolicy::Schedule`] |
/// | [`schedule_horizon`](Self::schedule_horizon) (how far ahead a bundle may be timed) | [`DEFAULT_SCHEDULE_HORIZON`] (1 h) |
/// | [`reply_buffer_size`](Self::reply_buffer_size) (all replies to one packet) | 16 KiB |
/// | [`decode_config`](Self::decode_config) | [`DecodeConfig::new`] (tolerant) |
/// | [`poll_interval`](Self::poll_interval) (how often idle threads check for shutdown) | 50 ms |
/// | [`workers`](Self::workers) (threaded and reuse-port forms) | 4 |
/// | [`queue_capacity`](Self::queue_capacity) (threaded form: datagrams waiting for a worker) | 64 |
/// | [`recv_batch`](Self::recv_batch) (blocking, reuse-port and tokio forms: datagrams per receive call) | 32 |
///
/// ```
/// use osc_core::TimePolicy;
/// use osc_std::udp::UdpServerBuilder;
///
/// let server = UdpServerBuilder::new()
///     .reuse_address(true)
///     .recv_buffer_size(1 << 20)
///     .time_policy(TimePolicy::Immediate)
///     .bind("127.0.0.1:0")?;
/// assert!(server.local_addr()?.port() != 0);
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct UdpServerBuilder {
    pub(crate) reuse_address: bool,
    pub(crate) reuse_port: bool,
    pub(crate) broadcast: bool,
    pub(crate) multicast: Vec<MulticastGroup>,
    pub(crate) multicast_loop: Option<bool>,
    pub(crate) only_v6: Option<bool>,
    pub(crate) recv_buffer_size: Option<usize>,
    pub(crate) time_policy: TimePolicy,
    pub(crate) schedule_horizon: Option<Duration>,
    pub(crate) reply_buffer_size: usize,
    pub(crate) decode: DecodeConfig,
    pub(crate) poll_interval: Duration,
    pub(crate) workers: usize,
    pub(crate) queue_capacity: usize,
    pub(crate) recv_batch: usize,
}

impl Default for UdpServerBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl UdpServerBuilder {
    /// The defaults listed above.
    pub fn new() -> Self {
        Self {
            reuse_address: false,
            reuse_port: false,
            broadcast: false,
            multicast: Vec::new(),
            multicast_loop: None,
            only_v6: None,
            recv_buffer_size: None,
            time_policy: TimePolicy::Schedule,
            schedule_horizon: Some(DEFAULT_SCHEDULE_HORIZON),
            reply_buffer_size: 16 * 1024,
            decode: DecodeConfig::new(),
            poll_interval: Duration::from_millis(50),
            workers: 4,
            queue_capacity: 64,
            recv_batch: DEFAULT_RECV_BATCH,
        }
    }

    /// Sets `SO_REUSEADDR` (several sockets may bind the address, e.g. for multicast).
    pub fn reuse_address(mut self, on: bool) -> Self {
        self.reuse_address = on;
        self
    }

    /// Sets `SO_REUSEPORT` (Unix): several sockets share the port and the kernel spreads datagrams
    /// over them by sender. Binding fails with `Unsupported` elsewhere.
    pub fn reuse_port(mut self, on: bool) -> Self {
        self.reuse_port = on;
        self
    }

    /// Sets `SO_BROADCAST`, so that replies may go to broadcast addresses. (Receiving broadcasts
    /// needs a socket bound to the unspecified address `0.0.0.0`, not this option.)
    pub fn broadcast(mut self, on: bool) -> Self {
        self.broadcast = on;
        self
    }

    /// Joins an IPv4 multicast group on the interface with address `interface` after binding.
    /// Bind to `0.0.0.0:port` (or the group's address) to receive the group's datagrams.
    pub fn join_multicast_v4(mut self, group: Ipv4Addr, interface: Ipv4Addr) -> Self {
        self.multicast.push(MulticastGroup::V4 { group, interface });
        self
    }

    /// Joins an IPv6 multicast group on the interface with index `interface` after binding.
    pub fn join_multicast_v6(mut self, group: Ipv6Addr, interface: u32) -> Self {
        self.multicast.push(MulticastGroup::V6 { group, interface });
        self
    }

    /// Whether this host's own multicast datagrams come back to it (`IP_MULTICAST_LOOP` /
    /// `IPV6_MULTICAST_LOOP`).
    pub fn multicast_loop(mut self, on: bool) -> Self {
        self.multicast_loop = Some(on);
        self
    }

    /// For an IPv6 bind: accept IPv6 only (`true`) or also IPv4-mapped peers (`false`).
    pub fn only_v6(mut self, on: bool) -> Self {
        self.only_v6 = Some(on);
        self
    }

    /// Asks for a socket receive buffer of `bytes` (`SO_RCVBUF`; the system may cap it, see
    /// `net.core.rmem_max` on Linux). A larger buffer absorbs longer bursts.
    pub fn recv_buffer_size(mut self, bytes: usize) -> Self {
        self.recv_buffer_size = Some(bytes);
        self
    }

    /// What to do with bundle timetags (default [`TimePolicy::Schedule`]: future bundles wait in
    /// the scheduler; nothing ever blocks the receive loop).
    pub fn time_policy(mut self, policy: TimePolicy) -> Self {
        self.time_policy = policy;
        self
    }

    /// How far ahead of the server's clock a bundle may be timed and still be queued (default
    /// [`DEFAULT_SCHEDULE_HORIZON`], one hour). A bundle timed later is dropped and counted in
    /// [`Stats::too_far`](crate::Stats::too_far): without a limit, a peer could fill the queue with
    /// bundles timed years ahead, and every timed bundle after them would be dropped as overflow.
    /// `None` queues bundles however far ahead they are.
    pub fn schedule_horizon(mut self, horizon: Option<Duration>) -> Self {
        self.schedule_horizon = horizon;
        self
    }

    /// Room for all the replies handlers make to one packet (default 16 KiB). A reply that does
    /// not fit is refused to its handler (`Replies::send` returns an error).
    pub fn reply_buffer_size(mut self, bytes: usize) -> Self {
        self.reply_buffer_size = bytes;
        self
    }

    /// How received packets are decoded (default: osc-core's tolerant profile).
    pub fn decode_config(mut self, config: DecodeConfig) -> Self {
        self.decode = config;
        self
    }

    /// How often idle threads check for shutdown (default 50 ms; at least 1 ms). A server blocked
    /// in a receive is woken at once anyway.
    pub fn poll_interval(mut self, every: Duration) -> Self {
        self.poll_interval = every.max(Duration::from_millis(1));
        self
    }

    /// Worker threads of the threaded and reuse-port forms (default 4; at least 1).
    pub fn workers(mut self, n: usize) -> Self {
        self.workers = n.max(1);
        self
    }

    /// Datagrams that may wait for a worker in the threaded form (default 64; at least 1). The
    /// receive thread drops (and counts) a datagram when they are all taken.
    pub fn queue_capacity(mut self, n: usize) -> Self {
        self.queue_capacity = n.max(1);
        self
    }

    /// Datagrams the blocking, reuse-port and tokio forms take per receive system call (default
    /// 32; 1..=64). On Linux and Android a receive is one `recvmmsg` that waits for the first
    /// datagram and takes those already queued behind it, and the replies to them leave in one
    /// `sendmmsg`; elsewhere every datagram is one `recv_from`, whatever this says. The tokio
    /// server makes the same `recvmmsg` call, without waiting, each time its socket turns
    /// readable, and sends each datagram's replies before it handles the next.
    ///
    /// Each slot is a 64 KiB buffer (no datagram is truncated), so a receive loop reserves
    /// `n × 64 KiB` of address space; the system maps its pages only as datagrams fill them.
    /// `1` receives one datagram per call.
    pub fn recv_batch(mut self, n: usize) -> Self {
        self.recv_batch = n.clamp(1, MAX_BATCH);
        self
    }

    /// Creates and binds a socket with these options (each resolved address in turn).
    pub(crate) fn socket(&self, addr: impl ToSocketAddrs) -> io::Result<UdpSocket> {
        let mut last = None;
        for addr in addr.to_socket_addrs()? {
            match self.socket_at(addr) {
                Ok(s) => return Ok(s),
                Err(e) => last = Some(e),
            }
        }
        Err(last
            .unwrap_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no address to bind")))
    }

    fn socket_at(&self, addr: SocketAddr) -> io::Result<UdpSocket> {
        let socket = Socket::new(Domain::for_address(addr), Type::DGRAM, Some(Protocol::UDP))?;
        if self.reuse_address {
            socket.set_reuse_address(true)?;
        }
        if self.reuse_port {
            set_reuse_port(&socket)?;
        }
        if self.broadcast {
            socket.set_broadcast(true)?;
        }
        if let (Some(only), SocketAddr::V6(_)) = (self.only_v6, addr) {
            socket.set_only_v6(only)?;
        }
        if let Some(bytes) = self.recv_buffer_size {
            socket.set_recv_buffer_size(bytes)?;
        }
        socket.bind(&addr.into())?;
        for group in &self.multicast {
            match *group {
                MulticastGroup::V4 { group, interface } => {
                    socket.join_multicast_v4(&group, &interface)?;
                    if let Some(on) = self.multicast_loop {
                        socket.set_multicast_loop_v4(on)?;
                    }
                }
                MulticastGroup::V6 { group, interface } => {
                    socket.join_multicast_v6(&group, interface)?;
                    if let Some(on) = self.multicast_loop {
                        socket.set_multicast_loop_v6(on)?;
                    }
                }
            }
        }
        Ok(socket.into())
    }

    /// Binds a [`UdpServer`]: one thread (the one calling [`run`](UdpServer::run)) receives,
    /// dispatches and replies.
    pub fn bind(self, addr: impl ToSocketAddrs) -> io::Result<UdpServer> {
        let socket = self.socket(addr)?;
        UdpServer::from_parts(socket, self)
    }

    /// Binds a [`UdpClient`] with these socket options and decode configuration, for a program
    /// that wants whole packets rather than dispatch (a monitor, a recorder, a bridge) from a
    /// multicast group, a shared port or broadcasts. The server-only options (time policy,
    /// workers, batches) do not apply.
    ///
    /// ```
    /// use std::time::Duration;
    /// use osc_std::{udp::UdpServerBuilder, UdpClient};
    ///
    /// // With `.join_multicast_v4(group, interface)` and the group's port, this would monitor a group.
    /// let mut monitor = UdpServerBuilder::new().reuse_address(true).bind_client("127.0.0.1:0")?;
    /// UdpClient::connect(monitor.local_addr()?)?.send_message("/a", &[])?;
    /// let (packet, _from) = monitor.recv(Some(Duration::from_secs(5)))?.expect("a datagram");
    /// assert_eq!(packet.as_message().unwrap().address(), "/a");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn bind_client(self, addr: impl ToSocketAddrs) -> io::Result<UdpClient> {
        let mut client = UdpClient::from_socket(self.socket(addr)?);
        client.set_decode_config(self.decode);
        Ok(client)
    }
}

#[cfg(all(
    unix,
    not(any(target_os = "solaris", target_os = "illumos", target_os = "cygwin"))
))]
fn set_reuse_port(socket: &Socket) -> io::Result<()> {
    socket.set_reuse_port(true)
}

#[cfg(not(all(
    unix,
    not(any(target_os = "solaris", target_os = "illumos", target_os = "cygwin"))
)))]
fn set_reuse_port(_: &Socket) -> io::Result<()> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "SO_REUSEPORT is not available on this platform",
    ))
}

/// Where a datagram reaches a socket bound to `local`: the address itself, or the loopback
/// address of its family when it is unspecified.
pub(crate) fn self_address(local: SocketAddr) -> SocketAddr {
    let mut to = local;
    if to.ip().is_unspecified() {
        to.set_ip(match local {
            SocketAddr::V4(_) => Ipv4Addr::LOCALHOST.into(),
            SocketAddr::V6(_) => Ipv6Addr::LOCALHOST.into(),
        });
    }
    to
}

/// Makes `shutdown` wake a thread blocked receiving on `socket`, with an empty datagram sent to the
/// socket's own address; the receive loop checks the flag after every receive, so the datagram is
/// not mistaken for input. Holds the socket weakly, so a dropped server releases its port.
///
/// With `SO_REUSEPORT` the datagram may reach another socket of the group (the kernel picks by
/// source address); the poll interval bounds the wait of the others.
pub(crate) fn wake_on_shutdown(shutdown: &Shutdown, socket: &Arc<UdpSocket>) {
    let weak: Weak<UdpSocket> = Arc::downgrade(socket);
    shutdown.on_shutdown(move || {
        if let Some(socket) = weak.upgrade() {
            if let Ok(local) = socket.local_addr() {
                let _ = socket.send_to(&[], self_address(local));
            }
        }
    });
}

/// The receive loop of the blocking server and of each reuse-port worker.
///
/// Each turn fires the bundles that are due, then receives a batch of datagrams (see
/// [`UdpServerBuilder::recv_batch`]) and handles them in order; the replies of a turn are sent
/// together at its end.
pub(crate) struct BlockingLoop {
    pub(crate) socket: Arc<UdpSocket>,
    pub(crate) recv: RecvBatch,
    pub(crate) send: SendBatch,
    pub(crate) engine: UdpEngine,
    pub(crate) timeout: ReadTimeout,
    pub(crate) poll_interval: Duration,
}

impl BlockingLoop {
    pub(crate) fn new(
        socket: Arc<UdpSocket>,
        config: &UdpServerBuilder,
        counters: Arc<Counters>,
    ) -> Self {
        Self {
            socket,
            recv: RecvBatch::new(config.recv_batch),
            send: SendBatch::new(config.recv_batch),
            engine: Engine::new(
                config.time_policy,
                config.schedule_horizon,
                config.reply_buffer_size,
                config.decode,
                counters,
            ),
            timeout: ReadTimeout::Unknown,
            poll_interval: config.poll_interval,
        }
    }

    /// Receives and dispatches until `shutdown` fires. Waits for the next datagram or the next
    /// bundle deadline, whichever comes first.
    pub(crate) fn run<'r, H, C, const N: usize>(
        &mut self,
        shutdown: &Shutdown,
        dispatcher: &mut Dispatcher<'r, H, N>,
        ctx: &mut C,
    ) -> io::Result<()>
    where
        H: Handler<C, SocketAddr>,
    {
        let Self {
            socket,
            recv,
            send,
            engine,
            timeout,
            poll_interval,
        } = self;
        while !shutdown.is_shutdown() {
            // The clock is read only when a bundle is queued (here) or received (below).
            let wait = match engine.next_deadline() {
                None => Wait::Block(*poll_interval),
                Some(_) => {
                    let now = time::now();
                    while let Some(to) = engine.poll(now, recv.scratch(), dispatcher, ctx) {
                        queue_replies(socket, send, engine, to);
                    }
                    send.flush(socket, engine.counters());
                    engine.read_wait(now, *poll_interval)
                }
            };
            timeout.apply(&**socket, Some(wait.read_timeout()))?;
            let received = recv.recv(&**socket);
            if shutdown.is_shutdown() {
                break;
            }
            match received {
                Ok(n) => {
                    engine.counters().add_received(n as u64);
                    // One clock reading for the whole batch, taken at its first bundle.
                    let mut at = None;
                    for i in 0..n {
                        let Some((bytes, from)) = recv.get(i) else {
                            break;
                        };
                        let Some(from) = from else {
                            // A sender address of a family this crate does not read: nowhere to
                            // reply to, and no sender to show the handlers.
                            engine.counters().add_dropped(1);
                            continue;
                        };
                        let now = || *at.get_or_insert_with(time::now);
                        engine.handle_batched(now, bytes, from, dispatcher, ctx);
                        if engine.has_replies() {
                            // Queuing may send: the packets answered so far are counted first.
                            engine.publish();
                            queue_replies(socket, send, engine, *from);
                        }
                    }
                    // The batch's counts in one go (an atomic add per counter that moved).
                    engine.publish();
                    send.flush(socket, engine.counters());
                }
                Err(e) if is_timeout(&e) => wait.after_timeout(),
                Err(e) if is_transient(&e) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}

/// Queues the engine's replies to `to` for sending with the rest of the turn's.
fn queue_replies(socket: &UdpSocket, send: &mut SendBatch, engine: &UdpEngine, to: SocketAddr) {
    for reply in engine.replies() {
        send.push(socket, reply, to, engine.counters());
    }
}

/// Sends the engine's replies to `to` from `socket`, counting them.
pub(crate) fn send_replies(socket: &UdpSocket, engine: &UdpEngine, to: SocketAddr) {
    for reply in engine.replies() {
        match socket.send_to(reply, to) {
            Ok(_) => engine.counters().add_replies(1),
            Err(_) => engine.counters().add_reply_errors(1),
        }
    }
}

/// A blocking UDP server: the thread that calls [`run`](Self::run) receives each datagram,
/// decodes it, dispatches it (or queues a future bundle), and sends the handlers' replies back
/// to the sender from the server's own socket.
///
/// The thread waits for the next datagram or the next bundle deadline, whichever comes first, so
/// a bundle due later never holds up the packets after it. A datagram that does not decode is
/// counted and dropped; a handler that panics is counted and the server goes on. Nothing is
/// allocated per packet.
///
/// ```
/// use std::net::SocketAddr;
/// use std::time::Duration;
/// use osc_core::{Arg, Dispatcher, HandlerFn, Replies, Request};
/// use osc_std::{udp::UdpServer, UdpClient};
///
/// fn ping(_: &mut (), _: &Request<'_, '_, SocketAddr>, replies: &mut Replies<'_>) {
///     let _ = replies.message_with("/pong", |m| m.int(1));
/// }
/// let mut dispatcher: Dispatcher<HandlerFn<(), SocketAddr>, 8> = Dispatcher::new();
/// dispatcher.map("/ping", ping).map_err(|e| e.kind)?;
///
/// let mut server = UdpServer::bind("127.0.0.1:0")?;
/// let (addr, stop, counters) = (server.local_addr()?, server.shutdown_handle(), server.counters());
/// std::thread::scope(|s| {
///     s.spawn(|| server.run(&mut dispatcher, &mut ()));
///
///     let mut client = UdpClient::connect(addr)?;
///     client.send_message("/ping", &[])?;
///     let (reply, _) = client.recv(Some(Duration::from_secs(5)))?.expect("a reply");
///     assert_eq!(reply.as_message().unwrap().address(), "/pong");
///
///     stop.shutdown(); // `run` returns
///     Ok::<(), Box<dyn std::error::Error>>(())
/// })?;
/// assert_eq!(counters.snapshot().replies, 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct UdpServer {
    inner: BlockingLoop,
    shutdown: Shutdown,
    counters: Arc<Counters>,
}

impl std::fmt::Debug for BlockingLoop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlockingLoop")
            .field("socket", &self.socket)
            .field("poll_interval", &self.poll_interval)
            .finish_non_exhaustive()
    }
}

impl UdpServer {
    /// A builder for the options (multicast, reuse, buffer sizes, time policy…).
    pub fn builder() -> UdpServerBuilder {
        UdpServerBuilder::new()
    }

    /// Binds a server with the default options.
    pub fn bind(addr: impl ToSocketAddrs) -> io::Result<Self> {
        UdpServerBuilder::new().bind(addr)
    }

    /// A server on a socket bound elsewhere; only the builder's non-socket options (time policy,
    /// buffers, poll interval) apply.
    pub fn from_socket(socket: UdpSocket, config: UdpServerBuilder) -> io::Result<Self> {
        Self::from_parts(socket, config)
    }

    fn from_parts(socket: UdpSocket, config: UdpServerBuilder) -> io::Result<Self> {
        let socket = Arc::new(socket);
        let shutdown = Shutdown::new();
        wake_on_shutdown(&shutdown, &socket);
        let counters = Arc::new(Counters::new());
        Ok(Self {
            inner: BlockingLoop::new(socket, &config, counters.clone()),
            shutdown,
            counters,
        })
    }

    /// The bound address (with the actual port when bound to port 0).
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.socket.local_addr()
    }

    /// The server's socket: it can also send, e.g. to notify a peer from outside a handler.
    pub fn socket(&self) -> &UdpSocket {
        &self.inner.socket
    }

    /// A client that sends from the server's own socket (a clone of it), for messages that are not
    /// replies: pushing meter values to the peers that subscribed (X32 `/xremote`, SuperCollider
    /// `/notify`), from any thread, also after [`spawn`](Self::spawn). Peers see the server's
    /// address as the source, so devices that answer to the source port (X32) answer the server.
    ///
    /// Use it to send only: the socket is the server's, so a datagram it receives is one the
    /// server does not see, and a `recv` would change the read timeout the server relies on. The
    /// two share the socket's modes too: while a timed bundle is less than 10 ms away the server
    /// polls the socket in non-blocking mode, and a send that finds the socket buffer full then
    /// fails with `WouldBlock` instead of waiting (try again). The port stays bound until both the
    /// server and this client are dropped.
    ///
    /// ```
    /// use std::net::SocketAddr;
    /// use std::sync::{Arc, Mutex};
    /// use std::time::Duration;
    /// use osc_core::{Arg, Dispatcher, HandlerFn, Replies, Request};
    /// use osc_std::{udp::UdpServer, UdpClient};
    ///
    /// type Subscribers = Arc<Mutex<Vec<SocketAddr>>>;
    /// fn subscribe(subs: &mut Subscribers, req: &Request<'_, '_, SocketAddr>, _: &mut Replies<'_>) {
    ///     subs.lock().unwrap().push(*req.sender);
    /// }
    /// let mut routes: Dispatcher<HandlerFn<Subscribers, SocketAddr>, 4> = Dispatcher::new();
    /// routes.map("/subscribe", subscribe).map_err(|e| e.kind)?;
    ///
    /// let server = UdpServer::bind("127.0.0.1:0")?;
    /// let mut pusher = server.client()?;
    /// let subscribers = Subscribers::default();
    /// let handle = server.spawn(routes, subscribers.clone())?;
    ///
    /// let mut peer = UdpClient::connect(handle.local_addr())?;
    /// peer.send_message("/subscribe", &[])?;
    /// while subscribers.lock().unwrap().is_empty() {
    ///     std::thread::sleep(Duration::from_millis(1));
    /// }
    /// for &to in subscribers.lock().unwrap().iter() {
    ///     pusher.send_message_to("/meter", &[Arg::Float(0.5)], to)?;
    /// }
    /// let (packet, from) = peer.recv(Some(Duration::from_secs(5)))?.expect("the push");
    /// assert_eq!(packet.as_message().unwrap().address(), "/meter");
    /// assert_eq!(from, handle.local_addr());
    /// handle.stop()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn client(&self) -> io::Result<UdpClient> {
        self.inner.socket.try_clone().map(UdpClient::from_socket)
    }

    /// A handle that makes [`run`](Self::run) return.
    pub fn shutdown_handle(&self) -> Shutdown {
        self.shutdown.clone()
    }

    /// The live counters.
    pub fn counters(&self) -> Arc<Counters> {
        self.counters.clone()
    }

    /// A copy of the counters now.
    pub fn stats(&self) -> Stats {
        self.counters.snapshot()
    }

    /// Serves on this thread until the shutdown handle fires; returns `Err` only for a socket
    /// error that is not about one datagram.
    ///
    /// `ctx` is passed to every handler. Bundles still queued when it returns are not fired.
    pub fn run<'r, H, C, const N: usize>(
        &mut self,
        dispatcher: &mut Dispatcher<'r, H, N>,
        ctx: &mut C,
    ) -> io::Result<()>
    where
        H: Handler<C, SocketAddr>,
    {
        self.inner.run(&self.shutdown, dispatcher, ctx)
    }

    /// Runs the server on a new thread, owning the dispatcher and the context; the returned handle
    /// stops it.
    ///
    /// The thread outlives this call, so the dispatcher's route addresses must be `'static`: string
    /// literals, or strings built at run time and leaked once at start-up (`String::leak`). To borrow
    /// them instead, call [`run`](Self::run) inside `std::thread::scope`. The context moves into the
    /// thread and is dropped with it: keep whatever the handlers change and you need afterwards in an
    /// `Arc` (of atomics or a `Mutex`) that the context shares.
    ///
    /// ```
    /// use std::net::SocketAddr;
    /// use osc_core::{Dispatcher, HandlerFn};
    /// use osc_std::udp::UdpServer;
    ///
    /// let dispatcher: Dispatcher<HandlerFn<u32, SocketAddr>, 4> = Dispatcher::new();
    /// let handle = UdpServer::bind("127.0.0.1:0")?.spawn(dispatcher, 0u32)?;
    /// println!("listening on {}", handle.local_addr());
    /// handle.stop()?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn spawn<H, C, const N: usize>(
        mut self,
        mut dispatcher: Dispatcher<'static, H, N>,
        mut ctx: C,
    ) -> io::Result<ServerHandle>
    where
        H: Handler<C, SocketAddr> + Send + 'static,
        C: Send + 'static,
    {
        let local = self.local_addr()?;
        let (shutdown, counters) = (self.shutdown_handle(), self.counters());
        let thread = std::thread::Builder::new()
            .name("osc-udp".into())
            .spawn(move || self.run(&mut dispatcher, &mut ctx))?;
        Ok(ServerHandle::new(local, shutdown, counters, thread))
    }
}
