//! The threaded TCP server: one thread per connection, up to a limit.

use std::io::{self, Read, Write};
use std::net::{Shutdown as NetShutdown, SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use osc_core::{DecodeConfig, Dispatcher, FrameError, Handler, TimePolicy};
use socket2::{Domain, Protocol, Socket, Type};

use crate::counters::{Counters, Malformed, MalformedError, Stats};
use crate::engine::{Engine, Wait, DEFAULT_SCHEDULE_HORIZON};
use crate::framing::{frame_replies, Framing, FramingMode, StreamDecoder};
use crate::handle::ServerHandle;
use crate::shutdown::Shutdown;
use crate::sock::{is_timeout, ReadTimeout};
use crate::tcp::{DEFAULT_MAX_FRAME, MAX_FRAME_LIMIT};
use crate::time;
use crate::udp::server::self_address;

/// Bundles one TCP connection can hold for later: at most this many…
pub const TCP_SCHEDULER_SLOTS: usize = 64;
/// …totalling at most this many bytes (64 KiB). More is dropped and counted in
/// [`Stats::dropped`].
pub const TCP_SCHEDULER_BYTES: usize = 64 * 1024;

pub(crate) type TcpEngine = Engine<TCP_SCHEDULER_SLOTS, TCP_SCHEDULER_BYTES>;

const READ_CHUNK: usize = 16 * 1024;

/// Configuration of a TCP server endpoint; [`bind`](Self::bind) creates the server.
///
/// | option | default |
/// |---|---|
/// | [`framing`](Self::framing) | [`FramingMode::Auto`] |
/// | [`max_connections`](Self::max_connections) | 64 |
/// | [`max_frame_size`](Self::max_frame_size) | 64 KiB |
/// | [`idle_timeout`](Self::idle_timeout) | none |
/// | [`write_timeout`](Self::write_timeout) | 5 s |
/// | [`time_policy`](Self::time_policy) | [`TimePolicy::Schedule`] |
/// | [`schedule_horizon`](Self::schedule_horizon) (how far ahead a bundle may be timed) | [`DEFAULT_SCHEDULE_HORIZON`] (1 h) |
/// | [`reply_buffer_size`](Self::reply_buffer_size) | 16 KiB |
/// | [`decode_config`](Self::decode_config) | [`DecodeConfig::new`] |
/// | [`poll_interval`](Self::poll_interval) | 50 ms |
/// | [`reuse_address`](Self::reuse_address) | on (as `std` does on Unix) |
/// | [`only_v6`](Self::only_v6) | the system's |
/// | [`backlog`](Self::backlog) | 128 |
///
/// ```
/// use std::time::Duration;
/// use osc_std::{tcp::TcpServer, FramingMode};
///
/// let server = TcpServer::builder()
///     .framing(FramingMode::Auto)
///     .max_connections(16)
///     .idle_timeout(Some(Duration::from_secs(30)))
///     .bind("127.0.0.1:0")?;
/// assert!(server.local_addr()?.port() != 0);
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct TcpServerBuilder {
    pub(crate) framing: FramingMode,
    pub(crate) max_connections: usize,
    pub(crate) max_frame: usize,
    pub(crate) idle_timeout: Option<Duration>,
    pub(crate) write_timeout: Option<Duration>,
    pub(crate) time_policy: TimePolicy,
    pub(crate) schedule_horizon: Option<Duration>,
    pub(crate) reply_buffer_size: usize,
    pub(crate) decode: DecodeConfig,
    pub(crate) poll_interval: Duration,
    pub(crate) reuse_address: bool,
    pub(crate) only_v6: Option<bool>,
    pub(crate) backlog: i32,
}

impl Default for TcpServerBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl TcpServerBuilder {
    /// The defaults listed above.
    pub fn new() -> Self {
        Self {
            framing: FramingMode::Auto,
            max_connections: 64,
            max_frame: DEFAULT_MAX_FRAME,
            idle_timeout: None,
            write_timeout: Some(Duration::from_secs(5)),
            time_policy: TimePolicy::Schedule,
            schedule_horizon: Some(DEFAULT_SCHEDULE_HORIZON),
            reply_buffer_size: 16 * 1024,
            decode: DecodeConfig::new(),
            poll_interval: Duration::from_millis(50),
            reuse_address: true,
            only_v6: None,
            backlog: 128,
        }
    }

    /// The framing clients use: SLIP, length prefix, or [`FramingMode::Auto`] (the default: detected
    /// per connection from its first byte). Replies use the connection's framing.
    pub fn framing(mut self, mode: impl Into<FramingMode>) -> Self {
        self.framing = mode.into();
        self
    }

    /// Connections served at once (default 64; at least 1). One more is accepted and closed at
    /// once, counted in [`Stats::rejected`].
    pub fn max_connections(mut self, n: usize) -> Self {
        self.max_connections = n.max(1);
        self
    }

    /// The largest frame accepted (default 64 KiB; clamped to 16..=[`MAX_FRAME_LIMIT`]).
    pub fn max_frame_size(mut self, bytes: usize) -> Self {
        self.max_frame = bytes.clamp(16, MAX_FRAME_LIMIT);
        self
    }

    /// Closes a connection that has sent nothing for this long (default: never).
    pub fn idle_timeout(mut self, after: Option<Duration>) -> Self {
        self.idle_timeout = after;
        self
    }

    /// Closes a connection whose peer does not take a reply within this time (default 5 s;
    /// `None`: wait for ever).
    pub fn write_timeout(mut self, after: Option<Duration>) -> Self {
        self.write_timeout = after.filter(|d| !d.is_zero());
        self
    }

    /// What to do with bundle timetags (default [`TimePolicy::Schedule`]).
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

    /// Room for all the replies to one packet (default 16 KiB).
    pub fn reply_buffer_size(mut self, bytes: usize) -> Self {
        self.reply_buffer_size = bytes;
        self
    }

    /// How frames are decoded as packets (default: osc-core's tolerant profile).
    pub fn decode_config(mut self, config: DecodeConfig) -> Self {
        self.decode = config;
        self
    }

    /// How often idle connection threads check for shutdown and idleness (default 50 ms).
    pub fn poll_interval(mut self, every: Duration) -> Self {
        self.poll_interval = every.max(Duration::from_millis(1));
        self
    }

    /// Sets `SO_REUSEADDR` on the listening socket (default on: a restarted server can bind at
    /// once while old connections linger in `TIME_WAIT`).
    pub fn reuse_address(mut self, on: bool) -> Self {
        self.reuse_address = on;
        self
    }

    /// For an IPv6 bind: accept IPv6 only (`true`) or also IPv4-mapped peers (`false`).
    pub fn only_v6(mut self, on: bool) -> Self {
        self.only_v6 = Some(on);
        self
    }

    /// The listen backlog (default 128).
    pub fn backlog(mut self, n: i32) -> Self {
        self.backlog = n.max(1);
        self
    }

    pub(crate) fn listener(&self, addr: impl ToSocketAddrs) -> io::Result<TcpListener> {
        let mut last = None;
        for addr in addr.to_socket_addrs()? {
            match self.listener_at(addr) {
                Ok(l) => return Ok(l),
                Err(e) => last = Some(e),
            }
        }
        Err(last
            .unwrap_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no address to bind")))
    }

    fn listener_at(&self, addr: SocketAddr) -> io::Result<TcpListener> {
        let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
        if self.reuse_address {
            socket.set_reuse_address(true)?;
        }
        if let (Some(only), SocketAddr::V6(_)) = (self.only_v6, addr) {
            socket.set_only_v6(only)?;
        }
        socket.bind(&addr.into())?;
        socket.listen(self.backlog)?;
        Ok(socket.into())
    }

    /// Binds a [`TcpServer`].
    pub fn bind(self, addr: impl ToSocketAddrs) -> io::Result<TcpServer> {
        let listener = Arc::new(self.listener(addr)?);
        // Accept returns after the poll interval where the system honours SO_RCVTIMEO on a
        // listening socket (Linux); elsewhere shutdown's wake-up connection ends the wait.
        let _ = socket2::SockRef::from(&*listener).set_read_timeout(Some(self.poll_interval));
        let shutdown = Shutdown::new();
        let weak: Weak<TcpListener> = Arc::downgrade(&listener);
        shutdown.on_shutdown(move || {
            if let Some(listener) = weak.upgrade() {
                if let Ok(local) = listener.local_addr() {
                    let _ = TcpStream::connect_timeout(
                        &self_address(local),
                        Duration::from_millis(200),
                    );
                }
            }
        });
        Ok(TcpServer {
            listener,
            config: self,
            shutdown,
            counters: Arc::new(Counters::new()),
        })
    }
}

/// A TCP server: the thread that calls [`run`](TcpServer::run) accepts connections, and each
/// connection is served by its own (scoped) thread, up to
/// [`max_connections`](TcpServerBuilder::max_connections).
///
/// Each connection reads frames through osc-core's incremental decoders (any split, any number
/// of frames per read), dispatches each packet, queues future bundles in its own scheduler, and
/// writes the replies back on the same connection, in its framing.
///
/// # Bad input
///
/// A frame that is not a valid OSC packet, a SLIP frame with a bad escape, and a frame longer
/// than the maximum are counted in [`Stats::malformed`] and the connection goes on with the next
/// frame (a too-long length-prefixed frame is skipped by its announced length). A length prefix
/// that is negative as an int32 cannot be skipped: the stream has lost its frame boundaries, so
/// that connection is closed (and counted). A handler panic is counted and the connection goes on.
/// None of this affects other connections.
///
/// # Shutdown
///
/// When the shutdown handle fires, the server stops accepting, each connection finishes the
/// bytes it has read, closes within the poll interval, and `run` returns once all have.
///
/// # Dispatchers
///
/// As for [`ThreadedUdpServer`](crate::udp::ThreadedUdpServer): `run` takes a factory called
/// once per connection, on the connection's thread, with the peer's address; it returns that
/// connection's dispatcher and context. Share state between connections through the context
/// (e.g. an `Arc<Mutex<State>>`).
///
/// ```
/// use std::net::SocketAddr;
/// use std::time::Duration;
/// use osc_core::{Dispatcher, HandlerFn};
/// use osc_std::{tcp::TcpServer, Framing, TcpConnection};
///
/// let mut server = TcpServer::builder().bind("127.0.0.1:0")?;
/// let (addr, stop) = (server.local_addr()?, server.shutdown_handle());
/// std::thread::scope(|s| {
///     s.spawn(|| {
///         server.run(|_peer| {
///             let mut d: Dispatcher<HandlerFn<(), SocketAddr>, 4> = Dispatcher::new();
///             d.map("/echo", |_, req, replies| { let _ = replies.send(&req.message); }).unwrap();
///             (d, ())
///         })
///     });
///     let mut conn = TcpConnection::connect(addr, Framing::Slip)?;
///     conn.send_message("/echo", &[osc_core::Arg::String("hi")])?;
///     let reply = conn.recv(Some(Duration::from_secs(5)))?.expect("a reply");
///     assert_eq!(reply.as_message().unwrap().get::<(&str,)>()?, ("hi",));
///     stop.shutdown();
///     Ok::<(), Box<dyn std::error::Error>>(())
/// })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct TcpServer {
    listener: Arc<TcpListener>,
    config: TcpServerBuilder,
    shutdown: Shutdown,
    counters: Arc<Counters>,
}

impl TcpServer {
    /// A builder for the options.
    pub fn builder() -> TcpServerBuilder {
        TcpServerBuilder::new()
    }

    /// Binds a server with the default options (the framing detected per connection).
    pub fn bind(addr: impl ToSocketAddrs) -> io::Result<Self> {
        TcpServerBuilder::new().bind(addr)
    }

    /// The bound address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// A handle that makes [`run`](Self::run) return.
    pub fn shutdown_handle(&self) -> Shutdown {
        self.shutdown.clone()
    }

    /// The live counters (all connections).
    pub fn counters(&self) -> Arc<Counters> {
        self.counters.clone()
    }

    /// A copy of the counters now.
    pub fn stats(&self) -> Stats {
        self.counters.snapshot()
    }

    /// Accepts and serves connections until the shutdown handle fires. `make(peer)` builds each
    /// connection's dispatcher and context, on its thread.
    ///
    /// Returns `Err` for a listening-socket error that is not about one connection; the
    /// connections are then shut down too.
    pub fn run<'r, H, C, F, const N: usize>(&mut self, make: F) -> io::Result<()>
    where
        F: Fn(SocketAddr) -> (Dispatcher<'r, H, N>, C) + Sync,
        H: Handler<C, SocketAddr>,
    {
        let (listener, config, shutdown, counters) = (
            &*self.listener,
            &self.config,
            &self.shutdown,
            &self.counters,
        );
        let make = &make;
        let active = &AtomicUsize::new(0);
        std::thread::scope(|s| {
            while !shutdown.is_shutdown() {
                let (stream, peer) = match listener.accept() {
                    Ok(c) => c,
                    Err(e) if is_timeout(&e) || is_transient_accept(&e) => continue,
                    Err(e) if is_resource_limit(&e) => {
                        // Out of file descriptors: wait for connections to close.
                        std::thread::sleep(config.poll_interval);
                        continue;
                    }
                    Err(e) => {
                        shutdown.shutdown();
                        return Err(e);
                    }
                };
                if shutdown.is_shutdown() {
                    break;
                }
                if active.load(Ordering::SeqCst) >= config.max_connections {
                    counters.add_rejected(1);
                    let _ = stream.shutdown(NetShutdown::Both);
                    continue;
                }
                active.fetch_add(1, Ordering::SeqCst);
                counters.add_connections(1);
                let spawned = std::thread::Builder::new()
                    .name(format!("osc-tcp-{peer}"))
                    .spawn_scoped(s, move || {
                        let _slot = Slot(active);
                        let (mut dispatcher, mut ctx) = make(peer);
                        let mut conn = Connection::new(stream, peer, config, counters);
                        conn.serve(shutdown, &mut dispatcher, &mut ctx);
                    });
                if spawned.is_err() {
                    active.fetch_sub(1, Ordering::SeqCst);
                    counters.add_rejected(1);
                }
            }
            Ok(())
        })
    }

    /// Runs the server on a new thread; the returned handle stops it.
    ///
    /// `make` builds each connection's dispatcher and context. As for
    /// [`UdpServer::spawn`](crate::udp::UdpServer::spawn), route addresses must be `'static` and
    /// state that outlives the server goes in an `Arc` that the contexts share.
    pub fn spawn<H, C, F, const N: usize>(mut self, make: F) -> io::Result<ServerHandle>
    where
        F: Fn(SocketAddr) -> (Dispatcher<'static, H, N>, C) + Send + Sync + 'static,
        H: Handler<C, SocketAddr> + 'static,
        C: 'static,
    {
        let local = self.local_addr()?;
        let (shutdown, counters) = (self.shutdown_handle(), self.counters());
        let thread = std::thread::Builder::new()
            .name("osc-tcp-accept".into())
            .spawn(move || self.run(make))?;
        Ok(ServerHandle::new(local, shutdown, counters, thread))
    }
}

/// Frees a connection slot when the connection's thread ends, however it ends.
struct Slot<'a>(&'a AtomicUsize);

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Accept errors about one connection that went away before it was accepted.
fn is_transient_accept(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::Interrupted
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}

/// Accept errors that mean "out of descriptors or memory for now" (ENOMEM 12, ENFILE 23, EMFILE 24:
/// the same numbers on Linux, the BSDs and macOS).
fn is_resource_limit(e: &io::Error) -> bool {
    matches!(e.raw_os_error(), Some(12 | 23 | 24)) || e.kind() == io::ErrorKind::OutOfMemory
}

/// Whether the connection goes on after a step.
enum Step {
    Continue,
    Close,
}

/// One server-side connection: its buffers, decoder and engine.
pub(crate) struct Connection<'c> {
    stream: TcpStream,
    peer: SocketAddr,
    config: &'c TcpServerBuilder,
    counters: &'c Counters,
    engine: TcpEngine,
    decoder: Option<(Framing, StreamDecoder)>,
    read_buf: Box<[u8]>,
    scratch: Box<[u8]>,
    out: Vec<u8>,
    timeout: ReadTimeout,
}

impl<'c> Connection<'c> {
    fn new(
        stream: TcpStream,
        peer: SocketAddr,
        config: &'c TcpServerBuilder,
        counters: &'c Arc<Counters>,
    ) -> Self {
        let _ = stream.set_nodelay(true);
        let _ = stream.set_write_timeout(config.write_timeout);
        Self {
            stream,
            peer,
            config,
            counters,
            engine: Engine::new(
                config.time_policy,
                config.schedule_horizon,
                config.reply_buffer_size,
                config.decode,
                counters.clone(),
            ),
            decoder: config
                .framing
                .fixed()
                .map(|f| (f, StreamDecoder::new(f, config.max_frame))),
            read_buf: vec![0u8; READ_CHUNK].into_boxed_slice(),
            scratch: vec![0u8; config.max_frame.min(TCP_SCHEDULER_BYTES)].into_boxed_slice(),
            out: Vec::with_capacity(2 * config.reply_buffer_size + 16),
            timeout: ReadTimeout::Unknown,
        }
    }

    fn serve<'r, H, C, const N: usize>(
        &mut self,
        shutdown: &Shutdown,
        dispatcher: &mut Dispatcher<'r, H, N>,
        ctx: &mut C,
    ) where
        H: Handler<C, SocketAddr>,
    {
        let mut last_input = Instant::now();
        while !shutdown.is_shutdown() {
            let now = time::now();
            if let Step::Close = self.fire_due(dispatcher, ctx) {
                break;
            }
            let mut wait = self.engine.read_wait(now, self.config.poll_interval);
            if let Some(idle) = self.config.idle_timeout {
                let left = idle.saturating_sub(last_input.elapsed());
                if left.is_zero() {
                    break;
                }
                if let Wait::Block(d) = wait {
                    wait = Wait::Block(d.min(left));
                }
            }
            if self
                .timeout
                .apply(&self.stream, Some(wait.read_timeout()))
                .is_err()
            {
                break;
            }
            let n = match self.stream.read(&mut self.read_buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if is_timeout(&e) => {
                    wait.after_timeout();
                    continue;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(_) => break,
            };
            last_input = Instant::now();
            if let Step::Close = self.input(n, dispatcher, ctx) {
                break;
            }
        }
        let _ = self.stream.shutdown(NetShutdown::Both);
    }

    /// Feeds `n` read bytes to the decoder and handles every frame that completes.
    fn input<'r, H, C, const N: usize>(
        &mut self,
        n: usize,
        dispatcher: &mut Dispatcher<'r, H, N>,
        ctx: &mut C,
    ) -> Step
    where
        H: Handler<C, SocketAddr>,
    {
        let Self {
            stream,
            peer,
            config,
            counters,
            engine,
            decoder,
            read_buf,
            out,
            timeout,
            ..
        } = self;
        let mut input = read_buf.get(..n).unwrap_or_default();
        let Some(&first) = input.first() else {
            return Step::Continue;
        };
        let (framing, decoder) = decoder_for(decoder, first, config);
        while !input.is_empty() {
            let (used, frame) = decoder.feed(input);
            input = input.get(used..).unwrap_or_default();
            let Some(frame) = frame else { continue };
            match handle_frame(frame, engine, counters, *peer, dispatcher, ctx) {
                FrameStep::Done => {}
                FrameStep::Close => return Step::Close,
                FrameStep::Reply => {
                    if let Step::Close = write_replies(stream, timeout, engine, *framing, out) {
                        return Step::Close;
                    }
                }
            }
        }
        Step::Continue
    }

    /// Fires due bundles and writes their replies.
    fn fire_due<'r, H, C, const N: usize>(
        &mut self,
        dispatcher: &mut Dispatcher<'r, H, N>,
        ctx: &mut C,
    ) -> Step
    where
        H: Handler<C, SocketAddr>,
    {
        let Some((framing, _)) = self.decoder.as_ref() else {
            return Step::Continue;
        };
        let framing = *framing;
        let now = time::now();
        while self
            .engine
            .poll(now, &mut self.scratch, dispatcher, ctx)
            .is_some()
        {
            if let Step::Close = write_replies(
                &mut self.stream,
                &mut self.timeout,
                &self.engine,
                framing,
                &mut self.out,
            ) {
                return Step::Close;
            }
        }
        Step::Continue
    }
}

/// What a connection does after a frame.
pub(crate) enum FrameStep {
    /// Nothing to send.
    Done,
    /// Send the engine's replies.
    Reply,
    /// The stream is out of step: close the connection.
    Close,
}

/// Counts and handles one complete frame (or framing error) from a connection to `peer`.
pub(crate) fn handle_frame<'r, H, C, const N: usize>(
    frame: Result<&[u8], FrameError>,
    engine: &mut TcpEngine,
    counters: &Counters,
    peer: SocketAddr,
    dispatcher: &mut Dispatcher<'r, H, N>,
    ctx: &mut C,
) -> FrameStep
where
    H: Handler<C, SocketAddr>,
{
    counters.add_received(1);
    match frame {
        Ok(bytes) => {
            engine.handle(time::now, bytes, peer, dispatcher, ctx);
            if engine.replies().next().is_some() {
                FrameStep::Reply
            } else {
                FrameStep::Done
            }
        }
        Err(e) => {
            counters.note_malformed(Malformed {
                from: peer,
                error: MalformedError::Frame(e),
                len: 0,
            });
            counters.add_malformed(1);
            if e == FrameError::NegativeLength {
                FrameStep::Close
            } else {
                FrameStep::Done
            }
        }
    }
}

/// The decoder of a connection, created on its first byte when the framing is detected.
pub(crate) fn decoder_for<'d>(
    decoder: &'d mut Option<(Framing, StreamDecoder)>,
    first: u8,
    config: &TcpServerBuilder,
) -> &'d mut (Framing, StreamDecoder) {
    decoder.get_or_insert_with(|| {
        let f = config.framing.detect(first);
        (f, StreamDecoder::new(f, config.max_frame))
    })
}

/// Frames the engine's replies into `out` and writes them in one go.
fn write_replies(
    stream: &mut TcpStream,
    timeout: &mut ReadTimeout,
    engine: &TcpEngine,
    framing: Framing,
    out: &mut Vec<u8>,
) -> Step {
    let count = frame_replies(engine.replies(), framing, out);
    if count == 0 {
        return Step::Continue;
    }
    // Reads may have left the socket non-blocking (near a bundle deadline); writes must block.
    if *timeout == ReadTimeout::Poll {
        if stream.set_nonblocking(false).is_err() {
            return Step::Close;
        }
        *timeout = ReadTimeout::Unknown;
    }
    match stream.write_all(out) {
        Ok(()) => {
            engine.counters().add_replies(count);
            Step::Continue
        }
        Err(_) => {
            engine.counters().add_reply_errors(count);
            Step::Close
        }
    }
}
