//! Async handlers: [`AsyncRoutes`] maps addresses to handlers that return futures, which the tokio
//! servers await in order; each gets an [`AsyncRequest`] that owns its message and a [`Responder`]
//! that sends back to the peer, now or later.
//!
//! The routing is osc-core's [`Dispatcher`] (the same matcher, default handler, bundles and
//! scheduler as every other server): each async route is a dispatcher handler that copies the
//! message out ([`OwnedMessage`]) and queues the handler's call. After each packet (or each bundle
//! that fires later) the server awaits the queued futures one after the other, in dispatch order,
//! before it reads the next packet. That keeps a peer's messages in order, as python-osc's async
//! dispatch does; a handler that should not hold up the next packet spawns its work
//! (`tokio::spawn`) and replies from there with its [`Responder`], which is `Clone + Send + 'static`.

use std::fmt;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};
use std::time::Duration;

use ::tokio::io::AsyncWriteExt;
use ::tokio::net::tcp::OwnedWriteHalf;
use ::tokio::net::UdpSocket;
use ::tokio::sync::{watch, Mutex};
use osc_core::pattern::{self, Captures};
use osc_core::{
    Arg, Dispatcher, Handler, MapErrorKind, Message, Outcome, Packet, Replies, Request, TimeTag,
};

use crate::counters::Counters;
use crate::error::Error;
use crate::framing::Framing;
use crate::owned::OwnedMessage;
use crate::sock::encode_packet;
use crate::tokio::stopped;

type BoxFuture = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;
type AsyncFn = dyn Fn(AsyncRequest) -> BoxFuture + Send + Sync;

/// What an async handler gets: the message, copied out of the packet, and where it came from.
#[derive(Debug)]
#[non_exhaustive]
pub struct AsyncRequest {
    /// The message (its address is the incoming one, which may be a pattern).
    pub message: OwnedMessage,
    /// The timetag of the bundle that held the message; `None` for a message sent on its own.
    pub timetag: Option<TimeTag>,
    /// The sender: the datagram's source (UDP) or the connection's peer (TCP).
    pub sender: SocketAddr,
    /// The registered address or pattern that matched (empty for the default handler).
    pub route: Arc<str>,
    /// Sends packets back to the sender: from the server's socket (UDP) or on the connection (TCP).
    pub reply: Responder,
}

impl AsyncRequest {
    /// The parts of the message's address that the wildcard parts of [`route`](Self::route)
    /// stood for, in order, as [`Request::captures`] gives them.
    pub fn captures(&self) -> Captures<'_, '_> {
        pattern::route_captures(&self.route, self.message.address())
    }
}

/// The routing table of a tokio server's async handlers: [`tokio::UdpServer::run_async`] and
/// [`tokio::TcpServer::run_async`].
///
/// `N` is the number of routes it can hold (a fixed-capacity osc-core [`Dispatcher`]). A handler is
/// any `Fn(AsyncRequest) -> impl Future<Output = ()>` whose future is `Send + 'static` (an `async
/// move` block); the server awaits each call before the next packet, and catches and counts a
/// panic ([`Stats::panics`](crate::Stats::panics)) like the synchronous servers.
///
/// [`tokio::UdpServer::run_async`]: crate::tokio::UdpServer::run_async
/// [`tokio::TcpServer::run_async`]: crate::tokio::TcpServer::run_async
///
/// ```
/// use std::time::Duration;
/// use osc_core::Arg;
/// use osc_std::tokio::{AsyncRoutes, UdpClient};
/// use osc_std::udp::UdpServerBuilder;
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
/// rt.block_on(async {
///     let mut routes: AsyncRoutes<'_, 8> = AsyncRoutes::new();
///     routes.map("/double", |req| async move {
///         // Anything async: a lookup, a query to another device, a timer.
///         tokio::time::sleep(Duration::from_millis(10)).await;
///         let (x,) = req.message.get::<(i32,)>().unwrap_or((0,));
///         let _ = req.reply.send_message("/double/result", &[Arg::Int(2 * x)]).await;
///     })?;
///
///     let mut server = UdpServerBuilder::new().bind_tokio("127.0.0.1:0")?;
///     let (addr, stop) = (server.local_addr()?, server.shutdown_handle());
///     let task = tokio::spawn(async move { server.run_async(&mut routes).await });
///
///     let mut client = UdpClient::connect(addr).await?;
///     client.send_message("/double", &[Arg::Int(21)]).await?;
///     let (reply, _) = tokio::time::timeout(Duration::from_secs(5), client.recv()).await??;
///     assert_eq!(reply.as_message().unwrap().get::<(i32,)>()?, (42,));
///
///     stop.shutdown();
///     task.await??;
///     Ok(())
/// })
/// # }
/// ```
pub struct AsyncRoutes<'r, const N: usize> {
    pub(crate) dispatcher: Dispatcher<'r, AsyncHandler, N>,
}

impl<'r, const N: usize> AsyncRoutes<'r, N> {
    /// An empty table.
    pub fn new() -> Self {
        Self {
            dispatcher: Dispatcher::new(),
        }
    }

    /// Maps `address` (a literal address or a pattern, as for [`Dispatcher::map`]) to `handler`.
    ///
    /// Errors: the table is full, or the address is not a valid route.
    pub fn map<F, Fut>(&mut self, address: &'r str, handler: F) -> Result<(), MapErrorKind>
    where
        F: Fn(AsyncRequest) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let handler = AsyncHandler::new(address, handler);
        self.dispatcher.map(address, handler).map_err(|e| e.kind)
    }

    /// Sets the handler for messages that match no route (its [`AsyncRequest::route`] is empty).
    pub fn set_default<F, Fut>(&mut self, handler: F)
    where
        F: Fn(AsyncRequest) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.dispatcher
            .set_default(Some(AsyncHandler::new("", handler)));
    }

    /// Removes every route registered under `address`; returns how many.
    pub fn unmap(&mut self, address: &str) -> usize {
        self.dispatcher.unmap(address)
    }

    /// Number of routes.
    pub fn len(&self) -> usize {
        self.dispatcher.len()
    }

    /// Whether there is no route.
    pub fn is_empty(&self) -> bool {
        self.dispatcher.is_empty()
    }

    /// Dispatches `packet` from `from` at once (bundles too), queueing the handlers' calls in
    /// `pending`.
    pub(crate) fn dispatch_now(
        &mut self,
        packet: &Packet<'_>,
        from: SocketAddr,
        pending: &mut Pending,
    ) -> Outcome {
        self.dispatcher
            .dispatch(packet, pending, &from, &mut Replies::none())
    }
}

impl<const N: usize> Default for AsyncRoutes<'_, N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> fmt::Debug for AsyncRoutes<'_, N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.dispatcher.routes().map(|(address, _)| address))
            .finish()
    }
}

/// One async route as the dispatcher holds it: the handler and its route, shared with the calls
/// it queues.
pub(crate) struct AsyncHandler {
    route: Arc<str>,
    call: Arc<AsyncFn>,
}

impl AsyncHandler {
    fn new<F, Fut>(route: &str, handler: F) -> Self
    where
        F: Fn(AsyncRequest) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        Self {
            route: route.into(),
            call: Arc::new(move |req| Box::pin(handler(req)) as BoxFuture),
        }
    }
}

impl Handler<Pending, SocketAddr> for AsyncHandler {
    fn handle(
        &mut self,
        pending: &mut Pending,
        request: &Request<'_, '_, SocketAddr>,
        _: &mut Replies<'_>,
    ) {
        // A decoded message always copies; should one not, it is counted as dropped.
        let Ok(message) = OwnedMessage::new(&request.message) else {
            pending.counters.add_dropped(1);
            return;
        };
        let req = AsyncRequest {
            message,
            timetag: request.timetag,
            sender: *request.sender,
            route: self.route.clone(),
            reply: Responder {
                link: pending.link.clone(),
                to: *request.sender,
                counters: pending.counters.clone(),
                stop: pending.stop.clone(),
            },
        };
        pending.calls.push((self.call.clone(), req));
    }
}

/// The dispatch context of async routes: the calls queued by the last dispatch, and how to reply.
pub(crate) struct Pending {
    calls: Vec<(Arc<AsyncFn>, AsyncRequest)>,
    link: Link,
    counters: Arc<Counters>,
    /// Turns true when the server shuts down.
    stop: watch::Receiver<bool>,
}

impl Pending {
    pub(crate) fn new(link: Link, counters: Arc<Counters>, stop: watch::Receiver<bool>) -> Self {
        Self {
            calls: Vec::new(),
            link,
            counters,
            stop,
        }
    }

    /// For a client: no server to count into or to stop it.
    pub(crate) fn detached(link: Link) -> Self {
        // The sender is dropped at once: the receiver reads `false` for ever.
        let (_, stop) = watch::channel(false);
        Self::new(link, Arc::new(Counters::new()), stop)
    }
}

/// What a server does after each dispatch: nothing for synchronous handlers, await the queued
/// calls for async ones.
pub(crate) trait AfterDispatch<C> {
    fn after<'a>(&'a mut self, ctx: &'a mut C) -> impl Future<Output = ()> + Send + 'a;
}

/// Synchronous handlers: they are done when the dispatch returns.
pub(crate) struct Done;

impl<C> AfterDispatch<C> for Done {
    fn after<'a>(&'a mut self, _: &'a mut C) -> impl Future<Output = ()> + Send + 'a {
        std::future::ready(())
    }
}

/// Async handlers: await the queued calls in order, each panic caught and counted. A shutdown
/// drops the call being awaited and those after it.
pub(crate) struct AwaitCalls;

impl AfterDispatch<Pending> for AwaitCalls {
    async fn after(&mut self, p: &mut Pending) {
        for (call, req) in p.calls.drain(..) {
            let run = async {
                match catch_unwind(AssertUnwindSafe(|| call(req))) {
                    Ok(future) => CatchUnwind(future).await,
                    Err(_) => false,
                }
            };
            let finished = ::tokio::select! {
                biased;
                () = stopped(&mut p.stop) => break,
                finished = run => finished,
            };
            if !finished {
                p.counters.add_panics(1);
            }
        }
    }
}

/// A future that turns a panic in `poll` into `false`.
struct CatchUnwind(BoxFuture);

impl Future for CatchUnwind {
    type Output = bool;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<bool> {
        let inner = self.0.as_mut();
        match catch_unwind(AssertUnwindSafe(|| inner.poll(cx))) {
            Ok(Poll::Ready(())) => Poll::Ready(true),
            Ok(Poll::Pending) => Poll::Pending,
            Err(_) => Poll::Ready(false),
        }
    }
}

/// Where replies go: a UDP server's socket, or a TCP connection's writing half.
#[derive(Clone, Debug)]
pub(crate) enum Link {
    /// The socket, and whether it is connected (to the peer: then `send`, as BSD and macOS refuse
    /// `send_to` on a connected socket).
    Udp(Arc<UdpSocket>, bool),
    Tcp(Arc<TcpOut>),
}

/// Sends packets to the peer of an [`AsyncRequest`]: UDP datagrams from the server's own socket
/// (so that the peer sees them come from the address it sent to), or frames on the TCP connection
/// the request came on, in the connection's framing.
///
/// It is `Clone + Send + Sync + 'static`: keep it in a spawned task or a subscriber list to push
/// packets later. Each packet sent counts in the server's [`Stats::replies`](crate::Stats::replies)
/// (or [`reply_errors`](crate::Stats::reply_errors) when it cannot be sent).
///
/// On TCP the sends of all the responders of a connection and the server's own writes take turns,
/// whole frames at a time. A write that fails, times out, or is dropped before it finishes (which
/// may leave part of a frame behind) ends the connection.
///
/// Once the server has shut down, or (TCP) the connection has ended, sends return
/// [`Error::Closed`] and [`is_closed`](Self::is_closed) is true. A responder kept after that still
/// holds the socket (a UDP server's port stays bound, a TCP socket stays shut down but open) until
/// it is dropped.
#[derive(Clone, Debug)]
pub struct Responder {
    link: Link,
    to: SocketAddr,
    counters: Arc<Counters>,
    /// Turns true when the server shuts down.
    stop: watch::Receiver<bool>,
}

impl Responder {
    /// The peer the packets go to.
    pub fn peer(&self) -> SocketAddr {
        self.to
    }

    /// Whether sends can no longer reach the peer: the server has shut down, or (TCP) the
    /// connection has ended. A subscriber list can drop such responders without trying a send.
    pub fn is_closed(&self) -> bool {
        *self.stop.borrow()
            || match &self.link {
                Link::Udp(..) => false,
                Link::Tcp(out) => out.is_closed(),
            }
    }

    /// Sends `packet` to the peer.
    ///
    /// Errors: the packet cannot be encoded, the system refuses it, the server has shut down
    /// ([`Error::Closed`]), or (TCP) the connection has ended ([`Error::Closed`]) or a write
    /// timed out.
    pub async fn send(&self, packet: &Packet<'_>) -> Result<(), Error> {
        let mut buf = Vec::new();
        let bytes = encode_packet(packet, &mut buf)?;
        self.send_raw(bytes).await
    }

    /// Sends bytes that are already an OSC packet (for example [`OwnedMessage::as_bytes`]), as
    /// they are: one datagram, or one frame on TCP.
    pub async fn send_raw(&self, packet: &[u8]) -> Result<(), Error> {
        let sent = match &self.link {
            _ if *self.stop.borrow() => Err(Error::Closed),
            Link::Udp(socket, true) => socket.send(packet).await.map(drop).map_err(Error::from),
            Link::Udp(socket, false) => socket
                .send_to(packet, self.to)
                .await
                .map(drop)
                .map_err(Error::from),
            Link::Tcp(out) => out.send(packet).await,
        };
        match &sent {
            Ok(()) => self.counters.add_replies(1),
            Err(_) => self.counters.add_reply_errors(1),
        }
        sent
    }

    /// Sends the message `address args…` to the peer.
    pub async fn send_message(&self, address: &str, args: &[Arg<'_>]) -> Result<(), Error> {
        self.send(&Packet::Message(Message::new(address, args)))
            .await
    }
}

/// The writing half of a tokio TCP connection, shared by the connection's task (the replies of
/// synchronous handlers) and the [`Responder`]s of its async requests.
#[derive(Debug)]
pub(crate) struct TcpOut {
    half: Mutex<OwnedWriteHalf>,
    /// Another handle on the socket, to shut it down at once, even while a write holds `half`.
    shut: Option<socket2::Socket>,
    /// Fixed by the server's framing mode, or by the first byte the peer sent.
    framing: OnceLock<Framing>,
    write_timeout: Option<Duration>,
    /// Set when a write failed or the connection ended: nothing more is written.
    closed: AtomicBool,
}

impl TcpOut {
    pub(crate) fn new(
        half: OwnedWriteHalf,
        shut: Option<socket2::Socket>,
        framing: Option<Framing>,
        write_timeout: Option<Duration>,
    ) -> Self {
        let fixed = OnceLock::new();
        if let Some(f) = framing {
            let _ = fixed.set(f);
        }
        Self {
            half: Mutex::new(half),
            shut,
            framing: fixed,
            write_timeout,
            closed: AtomicBool::new(false),
        }
    }

    /// Records the framing detected from the peer's first byte (the first call wins).
    pub(crate) fn set_framing(&self, framing: Framing) {
        let _ = self.framing.set(framing);
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Relaxed)
    }

    /// Closes the writing half: the peer sees the end of the stream, and nothing more is written.
    /// A write in progress fails (and, part way through a frame, ends the connection).
    pub(crate) async fn finish(&self) -> io::Result<()> {
        self.closed.store(true, Ordering::Relaxed);
        match &self.shut {
            Some(socket) => socket.shutdown(std::net::Shutdown::Write),
            None => self.half.lock().await.shutdown().await,
        }
    }

    /// Ends the connection now: no more writes, a FIN to the peer, and a write or read that is
    /// waiting on the socket fails at once.
    pub(crate) fn close(&self) {
        self.closed.store(true, Ordering::Relaxed);
        if let Some(socket) = &self.shut {
            let _ = socket.shutdown(std::net::Shutdown::Both);
        }
    }

    /// Frames one packet and writes it.
    async fn send(&self, packet: &[u8]) -> Result<(), Error> {
        let framing = *self.framing.get().ok_or(Error::Closed)?;
        let mut out = Vec::new();
        let frame = framing.encode(packet, &mut out)?;
        self.write(frame).await
    }

    /// Writes whole frames, within the write timeout. A failure closes the connection, and so
    /// does a write dropped part way through a length-prefix frame (which would leave the stream
    /// out of step for good; a SLIP peer skips the partial frame).
    pub(crate) async fn write(&self, frames: &[u8]) -> Result<(), Error> {
        let mut half = self.half.lock().await;
        if self.is_closed() {
            return Err(Error::Closed);
        }
        let mut progress = Progress {
            out: self,
            written: 0,
            len: frames.len(),
        };
        let write = async {
            while let Some(rest) = frames.get(progress.written..).filter(|r| !r.is_empty()) {
                match half.write(rest).await {
                    Ok(0) => return Err(io::Error::from(io::ErrorKind::WriteZero)),
                    Ok(n) => progress.written += n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            }
            Ok(())
        };
        let written = match self.write_timeout {
            Some(t) => ::tokio::time::timeout(t, write)
                .await
                .unwrap_or_else(|_| Err(io::Error::from(io::ErrorKind::TimedOut))),
            None => write.await,
        };
        if written.is_err() {
            self.close();
        }
        Ok(written?)
    }
}

/// How far a write has gone. Dropped part way through a length-prefix frame, it closes the
/// connection.
struct Progress<'a> {
    out: &'a TcpOut,
    written: usize,
    len: usize,
}

impl Drop for Progress<'_> {
    fn drop(&mut self) {
        let torn = self.written != 0 && self.written < self.len;
        if torn && self.out.framing.get() == Some(&Framing::LengthPrefix) {
            self.out.close();
        }
    }
}
