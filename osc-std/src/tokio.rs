//! Async UDP and TCP servers and clients on tokio 1.x (feature `tokio`).
//!
//! The servers run the same engine as the blocking servers (osc-core's scheduler and dispatcher,
//! the same counters, the same handling of bad input), driven by a tokio task instead of a thread.
//! The sockets are configured by the same builders: [`UdpServerBuilder::bind_tokio`] and
//! [`TcpServerBuilder::bind_tokio`] (call them inside a tokio runtime). The clients,
//! [`UdpClient`] and [`TcpConnection`], are the async forms of the blocking ones, with the same
//! buffers and framing, and cancel-safe receives.
//!
//! Handlers come in two kinds:
//!
//! - `run` takes ordinary synchronous osc-core handlers (a [`Dispatcher`]): they run on the task
//!   and must not block, and their replies are sent when they return.
//! - `run_async` takes [`AsyncRoutes`]: handlers that return futures, awaited in order before
//!   the next packet, each with its message copied out ([`OwnedMessage`](crate::OwnedMessage)) and
//!   a [`Responder`] to send back to the peer, at once or later from a spawned task.
//!
//! Either way a future bundle waits in the scheduler while the task goes on receiving; it never
//! blocks the runtime.
//!
//! ```
//! use std::net::SocketAddr;
//! use std::time::Duration;
//! use osc_core::{Dispatcher, HandlerFn};
//! use osc_std::{tokio::UdpClient, udp::UdpServerBuilder};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
//! rt.block_on(async {
//!     let mut d: Dispatcher<HandlerFn<(), SocketAddr>, 4> = Dispatcher::new();
//!     d.map("/ping", |_, _, r| { let _ = r.message_with("/pong", |m| Ok(m)); }).unwrap();
//!
//!     let mut server = UdpServerBuilder::new().bind_tokio("127.0.0.1:0")?;
//!     let (addr, stop) = (server.local_addr()?, server.shutdown_handle());
//!     let task = tokio::spawn(async move { server.run(&mut d, &mut ()).await });
//!
//!     let mut client = UdpClient::connect(addr).await?;
//!     client.send_message("/ping", &[]).await?;
//!     let (reply, from) = tokio::time::timeout(Duration::from_secs(5), client.recv()).await??;
//!     assert_eq!((reply.as_message().unwrap().address(), from), ("/pong", addr));
//!
//!     stop.shutdown();
//!     task.await??;
//!     Ok(())
//! })
//! # }
//! ```

use std::future::Future;
use std::io;
use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ::tokio::io::{AsyncReadExt, Interest};
use ::tokio::net::tcp::OwnedReadHalf;
use ::tokio::net::{TcpListener, TcpStream, UdpSocket};
use ::tokio::sync::watch;
use ::tokio::task::JoinSet;
use osc_core::{Dispatcher, Handler};

use crate::counters::{Counters, Stats};
use crate::engine::Engine;
use crate::error::Error;
use crate::framing::{frame_replies, Framing, StreamDecoder};
use crate::shutdown::Shutdown;
use crate::sock::is_transient;
use crate::tcp::server::{
    decoder_for, handle_frame, FrameStep, TcpEngine, TcpServerBuilder, TCP_SCHEDULER_BYTES,
};
use crate::time;
use crate::udp::batch::RecvBatch;
use crate::udp::server::{UdpEngine, UdpServerBuilder};

mod client;
mod routes;

pub use client::{TcpConnection, UdpClient};
use routes::{AfterDispatch, AwaitCalls, Done, Link, Pending, TcpOut};
pub use routes::{AsyncRequest, AsyncRoutes, Responder};

const READ_CHUNK: usize = 16 * 1024;

impl UdpServerBuilder {
    /// Binds an async [`UdpServer`](crate::tokio::UdpServer) (feature `tokio`). Must be called
    /// inside a tokio runtime.
    pub fn bind_tokio(self, addr: impl ToSocketAddrs) -> io::Result<UdpServer> {
        let socket = self.socket(addr)?;
        socket.set_nonblocking(true)?;
        let socket = Arc::new(UdpSocket::from_std(socket)?);
        let (shutdown, stop) = stop_signal();
        Ok(UdpServer {
            socket,
            config: self,
            shutdown,
            stop,
            counters: Arc::new(Counters::new()),
        })
    }
}

impl TcpServerBuilder {
    /// Binds an async [`TcpServer`](crate::tokio::TcpServer) (feature `tokio`). Must be called
    /// inside a tokio runtime.
    pub fn bind_tokio(self, addr: impl ToSocketAddrs) -> io::Result<TcpServer> {
        let listener = self.listener(addr)?;
        listener.set_nonblocking(true)?;
        let listener = TcpListener::from_std(listener)?;
        let (shutdown, stop) = stop_signal();
        Ok(TcpServer {
            listener,
            config: Arc::new(self),
            shutdown,
            stop,
            counters: Arc::new(Counters::new()),
        })
    }
}

/// A shutdown handle, and the channel that tells the server's tasks when it fires.
fn stop_signal() -> (Shutdown, watch::Sender<bool>) {
    let shutdown = Shutdown::new();
    let (stop, _) = watch::channel(false);
    let tx = stop.clone();
    shutdown.on_shutdown(move || {
        let _ = tx.send(true);
    });
    (shutdown, stop)
}

/// Waits until `stop` turns true (for ever if its sender is gone without it).
pub(crate) async fn stopped(stop: &mut watch::Receiver<bool>) {
    while !*stop.borrow_and_update() {
        if stop.changed().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

/// An async UDP server: one task receives, dispatches and replies, like the blocking
/// [`UdpServer`](crate::udp::UdpServer). Built with [`UdpServerBuilder::bind_tokio`]; see the
/// [module docs](self) for an example.
///
/// Each time the socket turns readable, one receive takes the datagrams queued in it, up to
/// [`recv_batch`](UdpServerBuilder::recv_batch) (one `recvmmsg` on Linux and Android, one
/// `recv_from` elsewhere). They are handled in order, each one's replies sent, and each one's
/// async handlers awaited, before the next. Like the blocking server's, each `run` reserves
/// `recv_batch` × 64 KiB of receive buffers (2 MiB by default), which the system maps only as
/// datagrams fill them.
#[derive(Debug)]
pub struct UdpServer {
    socket: Arc<UdpSocket>,
    config: UdpServerBuilder,
    shutdown: Shutdown,
    stop: watch::Sender<bool>,
    counters: Arc<Counters>,
}

impl UdpServer {
    /// Binds a server with the default options (inside a tokio runtime).
    pub fn bind(addr: impl ToSocketAddrs) -> io::Result<Self> {
        UdpServerBuilder::new().bind_tokio(addr)
    }

    /// The bound address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.socket.local_addr()
    }

    /// The server's socket (it can also send).
    pub fn socket(&self) -> &UdpSocket {
        &self.socket
    }

    /// A handle that makes [`run`](Self::run) or [`run_async`](Self::run_async) return.
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

    /// Serves until the shutdown handle fires. Waits for the next datagram, the next bundle
    /// deadline or the shutdown, whichever comes first.
    pub async fn run<'r, H, C, const N: usize>(
        &mut self,
        dispatcher: &mut Dispatcher<'r, H, N>,
        ctx: &mut C,
    ) -> io::Result<()>
    where
        H: Handler<C, SocketAddr>,
    {
        self.serve(dispatcher, ctx, &mut Done).await
    }

    /// Serves async handlers until the shutdown handle fires: like [`run`](Self::run), but each
    /// message that reaches a route is copied out and its handler's future awaited, in order,
    /// before the next datagram is read. See [`AsyncRoutes`] for an example.
    pub async fn run_async<const N: usize>(
        &mut self,
        routes: &mut AsyncRoutes<'_, N>,
    ) -> io::Result<()> {
        let link = Link::Udp(self.socket.clone(), false);
        let stop = self.stop.subscribe();
        let mut pending = Pending::new(link, self.counters.clone(), stop);
        self.serve(&mut routes.dispatcher, &mut pending, &mut AwaitCalls)
            .await
    }

    async fn serve<'r, H, C, const N: usize>(
        &mut self,
        dispatcher: &mut Dispatcher<'r, H, N>,
        ctx: &mut C,
        after: &mut impl AfterDispatch<C>,
    ) -> io::Result<()>
    where
        H: Handler<C, SocketAddr>,
    {
        let mut recv = RecvBatch::new(self.config.recv_batch);
        let mut engine: UdpEngine = Engine::new(
            self.config.time_policy,
            self.config.schedule_horizon,
            self.config.reply_buffer_size,
            self.config.decode,
            self.counters.clone(),
        );
        let mut stop = self.stop.subscribe();
        while !self.shutdown.is_shutdown() {
            // The clock is read again after each fired bundle: its handlers may have awaited.
            while let Some(to) = engine.poll(time::now(), recv.scratch(), dispatcher, ctx) {
                send_replies(&self.socket, &engine, to).await;
                after.after(ctx).await;
            }
            let now = time::now();
            let deadline = engine
                .next_deadline()
                .map(|_| engine.wait(now, Duration::MAX));
            let received = ::tokio::select! {
                biased;
                () = stopped(&mut stop) => break,
                r = recv_batch(&self.socket, &mut recv) => Some(r),
                () = sleep_opt(deadline) => None,
            };
            match received {
                None => {}
                Some(Ok(n)) => {
                    // A bundle that falls due during the batch fires after it, as in the
                    // blocking server. Datagrams left when a shutdown comes are not counted.
                    for i in 0..n {
                        if self.shutdown.is_shutdown() {
                            break;
                        }
                        let Some((bytes, from)) = recv.get(i) else {
                            break;
                        };
                        self.counters.add_received(1);
                        let Some(&from) = from else {
                            // A sender address of a family this crate does not read.
                            self.counters.add_dropped(1);
                            continue;
                        };
                        engine.handle(time::now, bytes, from, dispatcher, ctx);
                        send_replies(&self.socket, &engine, from).await;
                        after.after(ctx).await;
                    }
                }
                Some(Err(e)) if is_transient(&e) => {}
                Some(Err(e)) => return Err(e),
            }
        }
        Ok(())
    }
}

/// Waits until `socket` is readable and receives a batch from it. Cancel-safe: nothing is
/// received at an await point.
///
/// A batch that does not fill `recv` has emptied the socket's queue (a `recvmmsg` that has taken
/// a datagram stops early only when the queue is empty, or on an error, which the server's
/// unconnected socket does not get part way through a batch). That is reported to tokio as if the
/// receive had found nothing, so that the next wait goes straight to the system's event queue
/// instead of first making a receive call that finds nothing. A datagram that arrived in the
/// meantime is not missed: tokio keeps the readiness event it brought.
///
/// Each call takes a unit of the task's cooperative budget (as tokio's own receives do), so a
/// flood of datagrams cannot keep the runtime from its other tasks and timers.
async fn recv_batch(socket: &UdpSocket, recv: &mut RecvBatch) -> io::Result<usize> {
    ::tokio::task::coop::consume_budget().await;
    loop {
        socket.readable().await?;
        let cap = recv.capacity();
        let r = socket.try_io(Interest::READABLE, || match recv.recv(socket)? {
            n if n < cap => Err(io::ErrorKind::WouldBlock.into()),
            n => Ok(n),
        });
        match r {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock && recv.len() == 0 => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(recv.len()),
            r => return r,
        }
    }
}

/// Sleeps for `d`, or for ever with `None`.
async fn sleep_opt(d: Option<Duration>) {
    match d {
        Some(d) => ::tokio::time::sleep(d).await,
        None => std::future::pending().await,
    }
}

async fn send_replies(socket: &UdpSocket, engine: &UdpEngine, to: SocketAddr) {
    for reply in engine.replies() {
        match socket.send_to(reply, to).await {
            Ok(_) => engine.counters().add_replies(1),
            Err(_) => engine.counters().add_reply_errors(1),
        }
    }
}

/// An async TCP server: an accept loop and one task per connection, with the same options and
/// behaviour as the threaded [`TcpServer`](crate::tcp::TcpServer). Built with
/// [`TcpServerBuilder::bind_tokio`].
///
/// Connection tasks are spawned with `::tokio::spawn`, so the factory, the handlers and the
/// context must be `Send + 'static`.
///
/// ```
/// use std::net::SocketAddr;
/// use std::time::Duration;
/// use osc_core::{Dispatcher, HandlerFn};
/// use osc_std::{tcp::TcpServerBuilder, tokio::TcpConnection, Framing, FramingMode};
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let rt = ::tokio::runtime::Builder::new_current_thread().enable_all().build()?;
/// rt.block_on(async {
///     let mut server = TcpServerBuilder::new().framing(FramingMode::Auto).bind_tokio("127.0.0.1:0")?;
///     let (addr, stop) = (server.local_addr()?, server.shutdown_handle());
///     let task = ::tokio::spawn(async move {
///         server.run(|_peer| {
///             let mut d: Dispatcher<HandlerFn<(), SocketAddr>, 4> = Dispatcher::new();
///             d.map("/echo", |_, req, r| { let _ = r.send(&req.message); }).unwrap();
///             (d, ())
///         }).await
///     });
///     let mut conn = TcpConnection::connect(addr, Framing::LengthPrefix).await?;
///     conn.send_message("/echo", &[osc_core::Arg::Int(5)]).await?;
///     let reply = ::tokio::time::timeout(Duration::from_secs(5), conn.recv()).await??;
///     assert_eq!(reply.as_message().unwrap().get::<(i32,)>()?, (5,));
///     stop.shutdown();
///     task.await??;
///     Ok(())
/// })
/// # }
/// ```
#[derive(Debug)]
pub struct TcpServer {
    listener: TcpListener,
    config: Arc<TcpServerBuilder>,
    shutdown: Shutdown,
    stop: watch::Sender<bool>,
    counters: Arc<Counters>,
}

impl TcpServer {
    /// Binds a server with the default options (inside a tokio runtime).
    pub fn bind(addr: impl ToSocketAddrs) -> io::Result<Self> {
        TcpServerBuilder::new().bind_tokio(addr)
    }

    /// The bound address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// A handle that makes [`run`](Self::run) or [`run_async`](Self::run_async) return.
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

    /// Accepts and serves connections until the shutdown handle fires, then waits for the
    /// connection tasks to finish (each closes after the bytes it has read). `make(peer)` builds
    /// a connection's dispatcher and context.
    pub async fn run<H, C, F, const N: usize>(&mut self, make: F) -> io::Result<()>
    where
        F: Fn(SocketAddr) -> (Dispatcher<'static, H, N>, C) + Send + Sync + 'static,
        H: Handler<C, SocketAddr> + Send + 'static,
        C: Send + 'static,
    {
        let make = Arc::new(make);
        self.accept(move |conn| {
            let make = make.clone();
            async move {
                let (mut dispatcher, mut ctx) = make(conn.peer);
                conn.serve(&mut dispatcher, &mut ctx, &mut Done).await;
            }
        })
        .await
    }

    /// Serves async handlers until the shutdown handle fires, like [`run`](Self::run): `make(peer)`
    /// builds a connection's [`AsyncRoutes`]. Each message that reaches a route is copied out and
    /// its handler's future awaited, in order, before the connection's next frame is handled; the
    /// [`Responder`] writes frames on the connection, in the framing the peer uses.
    ///
    /// ```
    /// use std::time::Duration;
    /// use osc_core::Arg;
    /// use osc_std::{tcp::TcpServerBuilder, tokio::{AsyncRoutes, TcpConnection}, Framing};
    ///
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let rt = ::tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    /// rt.block_on(async {
    ///     let mut server = TcpServerBuilder::new().bind_tokio("127.0.0.1:0")?;
    ///     let (addr, stop) = (server.local_addr()?, server.shutdown_handle());
    ///     let task = ::tokio::spawn(async move {
    ///         server.run_async(|_peer| {
    ///             let mut routes: AsyncRoutes<'static, 4> = AsyncRoutes::new();
    ///             // Three updates, a little apart, from a task of their own.
    ///             let _ = routes.map("/watch", |req| async move {
    ///                 ::tokio::spawn(async move {
    ///                     for i in 0..3 {
    ///                         ::tokio::time::sleep(Duration::from_millis(5)).await;
    ///                         let _ = req.reply.send_message("/level", &[Arg::Int(i)]).await;
    ///                     }
    ///                 });
    ///             });
    ///             routes
    ///         }).await
    ///     });
    ///     let mut conn = TcpConnection::connect(addr, Framing::Slip).await?;
    ///     conn.send_message("/watch", &[]).await?;
    ///     for i in 0..3 {
    ///         let update = ::tokio::time::timeout(Duration::from_secs(5), conn.recv()).await??;
    ///         assert_eq!(update.as_message().unwrap().get::<(i32,)>()?, (i,));
    ///     }
    ///     stop.shutdown();
    ///     task.await??;
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub async fn run_async<F, const N: usize>(&mut self, make: F) -> io::Result<()>
    where
        F: Fn(SocketAddr) -> AsyncRoutes<'static, N> + Send + Sync + 'static,
    {
        let make = Arc::new(make);
        self.accept(move |conn| {
            let make = make.clone();
            async move {
                let mut routes = make(conn.peer);
                let link = Link::Tcp(conn.out.clone());
                let stop = conn.stop.clone();
                let mut pending = Pending::new(link, conn.counters.clone(), stop);
                conn.serve(&mut routes.dispatcher, &mut pending, &mut AwaitCalls)
                    .await;
            }
        })
        .await
    }

    /// The accept loop: `start(conn)` is the task that serves each accepted connection.
    async fn accept<S, T>(&mut self, start: S) -> io::Result<()>
    where
        S: Fn(Conn) -> T,
        T: Future<Output = ()> + Send + 'static,
    {
        let mut tasks = JoinSet::new();
        let mut stop = self.stop.subscribe();
        let result = loop {
            if self.shutdown.is_shutdown() {
                break Ok(());
            }
            let accepted = ::tokio::select! {
                biased;
                _ = stop.changed() => break Ok(()),
                r = self.listener.accept() => r,
            };
            let (stream, peer) = match accepted {
                Ok(c) => c,
                Err(e) if is_transient(&e) || e.kind() == io::ErrorKind::ConnectionAborted => {
                    continue
                }
                Err(e) if matches!(e.raw_os_error(), Some(12 | 23 | 24)) => {
                    ::tokio::time::sleep(self.config.poll_interval).await;
                    continue;
                }
                Err(e) => break Err(e),
            };
            while tasks.try_join_next().is_some() {}
            if tasks.len() >= self.config.max_connections {
                self.counters.add_rejected(1);
                drop(stream);
                continue;
            }
            self.counters.add_connections(1);
            tasks.spawn(start(Conn::new(
                stream,
                peer,
                self.config.clone(),
                self.counters.clone(),
                self.stop.subscribe(),
            )));
        };
        // Stop the connections (also after an accept error) and wait for them.
        let _ = self.stop.send(true);
        while tasks.join_next().await.is_some() {}
        result
    }
}

/// An accepted connection: its reading half, its shared writing half, and what its task needs.
struct Conn {
    read: OwnedReadHalf,
    out: Arc<TcpOut>,
    peer: SocketAddr,
    config: Arc<TcpServerBuilder>,
    counters: Arc<Counters>,
    stop: watch::Receiver<bool>,
}

impl Conn {
    fn new(
        stream: TcpStream,
        peer: SocketAddr,
        config: Arc<TcpServerBuilder>,
        counters: Arc<Counters>,
        stop: watch::Receiver<bool>,
    ) -> Self {
        let _ = stream.set_nodelay(true);
        // A second handle on the socket, for shutting it down without waiting for a write.
        let shut = socket2::SockRef::from(&stream).try_clone().ok();
        let (read, write) = stream.into_split();
        let out = Arc::new(TcpOut::new(
            write,
            shut,
            config.framing.fixed(),
            config.write_timeout,
        ));
        Self {
            read,
            out,
            peer,
            config,
            counters,
            stop,
        }
    }

    /// Serves the connection until the peer closes, the idle timeout, a fatal framing error, a
    /// failed write, or a stop.
    async fn serve<'r, H, C, const N: usize>(
        mut self,
        dispatcher: &mut Dispatcher<'r, H, N>,
        ctx: &mut C,
        after: &mut impl AfterDispatch<C>,
    ) where
        H: Handler<C, SocketAddr>,
    {
        let config = &*self.config;
        let mut engine: TcpEngine = Engine::new(
            config.time_policy,
            config.schedule_horizon,
            config.reply_buffer_size,
            config.decode,
            self.counters.clone(),
        );
        let mut decoder: Option<(Framing, StreamDecoder)> = config
            .framing
            .fixed()
            .map(|f| (f, StreamDecoder::new(f, config.max_frame)));
        let mut read_buf = vec![0u8; READ_CHUNK].into_boxed_slice();
        let mut scratch = vec![0u8; config.max_frame.min(TCP_SCHEDULER_BYTES)].into_boxed_slice();
        let mut out = Vec::with_capacity(2 * config.reply_buffer_size + 16);
        let mut last_input = Instant::now();
        'conn: loop {
            if self.ending() {
                break;
            }
            if let Some((framing, _)) = decoder.as_ref() {
                let framing = *framing;
                // The clock is read again after each fired bundle: its handlers may have awaited.
                while engine
                    .poll(time::now(), &mut scratch, dispatcher, ctx)
                    .is_some()
                {
                    if !write_replies(&self.out, &mut self.stop, &engine, framing, &mut out).await {
                        break 'conn;
                    }
                    settle(after, ctx, &mut last_input).await;
                    if self.ending() {
                        break 'conn;
                    }
                }
            }
            let now = time::now();
            let mut wait = engine
                .next_deadline()
                .map(|_| engine.wait(now, Duration::MAX));
            if let Some(idle) = config.idle_timeout {
                let left = idle.saturating_sub(last_input.elapsed());
                if left.is_zero() {
                    break;
                }
                wait = Some(wait.map_or(left, |w| w.min(left)));
            }
            let read = ::tokio::select! {
                biased;
                _ = self.stop.changed() => break,
                r = self.read.read(&mut read_buf) => Some(r),
                () = sleep_opt(wait) => None,
            };
            let n = match read {
                None => continue,
                Some(Ok(0) | Err(_)) => break,
                Some(Ok(n)) => n,
            };
            last_input = Instant::now();
            let mut input = read_buf.get(..n).unwrap_or_default();
            let Some(&first) = input.first() else {
                continue;
            };
            let (framing, decoder) = decoder_for(&mut decoder, first, config);
            self.out.set_framing(*framing);
            while !input.is_empty() {
                let (used, frame) = decoder.feed(input);
                input = input.get(used..).unwrap_or_default();
                let Some(frame) = frame else { continue };
                let step = handle_frame(
                    frame,
                    &mut engine,
                    &self.counters,
                    self.peer,
                    dispatcher,
                    ctx,
                );
                match step {
                    FrameStep::Done => {}
                    FrameStep::Close => break 'conn,
                    FrameStep::Reply => {
                        if !write_replies(&self.out, &mut self.stop, &engine, *framing, &mut out)
                            .await
                        {
                            break 'conn;
                        }
                    }
                }
                settle(after, ctx, &mut last_input).await;
                // A stop, or a failed write, ends the connection here: the frames after it
                // are not dispatched.
                if self.ending() {
                    break 'conn;
                }
            }
        }
    }

    /// Whether the server is stopping or the connection can no longer be written.
    fn ending(&self) -> bool {
        *self.stop.borrow() || self.out.is_closed()
    }
}

/// Awaits the handlers queued by the last dispatch. The time they take is not time without input:
/// it moves `last_input` on by as much.
async fn settle<C>(after: &mut impl AfterDispatch<C>, ctx: &mut C, last_input: &mut Instant) {
    let t = Instant::now();
    after.after(ctx).await;
    *last_input += t.elapsed();
}

/// However the connection's task ends (also when it is aborted), the socket is shut down: the
/// peer gets its FIN, and a [`Responder`] kept elsewhere says [`Closed`](crate::Error::Closed).
impl Drop for Conn {
    fn drop(&mut self) {
        self.out.close();
    }
}

/// Writes the engine's replies, framed; false if the connection should close. A stop while the
/// write waits (for a peer that does not read, or behind a responder's write) gives it up.
async fn write_replies(
    to: &TcpOut,
    stop: &mut watch::Receiver<bool>,
    engine: &TcpEngine,
    framing: Framing,
    out: &mut Vec<u8>,
) -> bool {
    let count = frame_replies(engine.replies(), framing, out);
    if count == 0 {
        return true;
    }
    let written = ::tokio::select! {
        biased;
        () = stopped(stop) => Err(Error::Closed),
        r = to.write(out) => r,
    };
    match written {
        Ok(()) => {
            engine.counters().add_replies(count);
            true
        }
        Err(_) => {
            engine.counters().add_reply_errors(count);
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::udp::batch::BATCHED;

    /// Sends `n` datagrams of one byte to `to` from `from`.
    fn send(from: &std::net::UdpSocket, to: SocketAddr, n: usize) {
        for i in 0..n {
            from.send_to(&[i as u8], to).unwrap();
        }
    }

    #[test]
    fn recv_batch_takes_what_is_queued_and_still_wakes_after_a_short_batch() {
        let rt = ::tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
            let to = socket.local_addr().unwrap();
            let client = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
            let mut recv = RecvBatch::new(7);
            send(&client, to, 10);
            // Loopback delivers at once; give the reactor a turn to see the socket readable.
            ::tokio::time::sleep(Duration::from_millis(20)).await;
            let mut taken = Vec::new();
            while taken.iter().sum::<usize>() < 10 {
                let n = recv_batch(&socket, &mut recv).await.unwrap();
                for i in 0..n {
                    let (bytes, from) = recv.get(i).unwrap();
                    assert_eq!(from, Some(&client.local_addr().unwrap()));
                    assert_eq!(bytes, [taken.iter().sum::<usize>() as u8 + i as u8]);
                }
                taken.push(n);
            }
            if BATCHED {
                assert_eq!(taken, [7, 3]);
            } else {
                assert_eq!(taken, [1; 10]);
            }
            // The short batch cleared the readiness: nothing more is received…
            let wait = Duration::from_millis(50);
            let idle = ::tokio::time::timeout(wait, recv_batch(&socket, &mut recv)).await;
            assert!(idle.is_err(), "nothing is queued");
            // …until a datagram arrives, which wakes the wait.
            let waiting = recv_batch(&socket, &mut recv);
            let sender = async {
                ::tokio::time::sleep(Duration::from_millis(20)).await;
                send(&client, to, 1);
                std::future::pending::<()>().await;
            };
            let n = ::tokio::select! {
                n = waiting => n.unwrap(),
                () = sender => unreachable!(),
                () = ::tokio::time::sleep(Duration::from_secs(10)) => panic!("not woken"),
            };
            assert_eq!(n, 1);
        });
    }
}
