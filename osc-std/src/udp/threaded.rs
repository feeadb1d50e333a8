//! The threaded UDP server (one receive loop, a worker pool) and the reuse-port server (one socket
//! and one thread per worker).

use std::io;
use std::net::{SocketAddr, ToSocketAddrs, UdpSocket};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::sync::Arc;

use osc_core::{Dispatcher, Handler, TimeTag};

use crate::counters::{Counters, Stats};
use crate::engine::Engine;
use crate::handle::ServerHandle;
use crate::shutdown::Shutdown;
use crate::sock::{is_timeout, is_transient, ReadTimeout};
use crate::time;
use crate::udp::server::{
    send_replies, wake_on_shutdown, BlockingLoop, UdpEngine, UdpServerBuilder,
};
use crate::udp::{UdpClient, MAX_DATAGRAM};

/// A received datagram on its way to a worker, in a buffer from the pool.
struct Datagram {
    buf: Box<[u8]>,
    len: usize,
    from: SocketAddr,
    at: TimeTag,
}

impl UdpServerBuilder {
    /// Binds a [`ThreadedUdpServer`]: a receive loop feeding [`workers`](Self::workers) threads
    /// through bounded queues ([`queue_capacity`](Self::queue_capacity) datagrams in all).
    pub fn bind_threaded(self, addr: impl ToSocketAddrs) -> io::Result<ThreadedUdpServer> {
        let socket = Arc::new(self.socket(addr)?);
        let shutdown = Shutdown::new();
        wake_on_shutdown(&shutdown, &socket);
        Ok(ThreadedUdpServer {
            socket,
            config: self,
            shutdown,
            counters: Arc::new(Counters::new()),
        })
    }

    /// Binds a [`ReusePortUdpServer`]: [`workers`](Self::workers) sockets on one port with
    /// `SO_REUSEPORT` (Unix), one thread each. With port 0 the first socket picks the port and the
    /// others join it.
    pub fn bind_reuse_port(mut self, addr: impl ToSocketAddrs) -> io::Result<ReusePortUdpServer> {
        self.reuse_port = true;
        let first = self.socket(addr)?;
        let local = first.local_addr()?;
        let shutdown = Shutdown::new();
        let mut sockets = vec![Arc::new(first)];
        for _ in 1..self.workers {
            sockets.push(Arc::new(self.socket(local)?));
        }
        for s in &sockets {
            wake_on_shutdown(&shutdown, s);
        }
        Ok(ReusePortUdpServer {
            sockets,
            config: self,
            shutdown,
            counters: Arc::new(Counters::new()),
        })
    }
}

/// A UDP server with one receive thread and a pool of worker threads.
///
/// The receive loop (the thread that calls [`run`](Self::run)) reads each datagram into a buffer
/// taken from a pool allocated at start, and passes it to a worker through that worker's bounded
/// queue (`std::sync::mpsc::sync_channel`), round robin, skipping full queues. When every queue
/// is full or no buffer is free, the datagram is dropped and counted in [`Stats::dropped`]: a
/// slow handler never makes the socket stop draining. Nothing is allocated per packet.
///
/// Each worker decodes, dispatches and replies from the server's socket, and has its own
/// scheduler for future bundles (a bundle fires on the worker that received it). A handler panic
/// is caught ([`Stats::panics`]) and the worker goes on.
///
/// # Dispatchers and shared state
///
/// A [`Dispatcher`] takes `&mut self` to dispatch (its handlers are `FnMut`), so workers cannot
/// share one without a lock around every packet. Instead [`run`](Self::run) takes a factory that
/// each worker calls once, on its own thread, to build **its own dispatcher and context**. The
/// handlers and context need not be `Send` (they never leave their thread); the factory must be
/// `Sync`. State the workers share goes in the context as something thread-safe: an
/// `Arc<Mutex<State>>`, atomics, or a channel. (A single `Mutex<(Dispatcher, C)>` locked per
/// packet would also work, but then one packet is handled at a time and [`UdpServer`](super::UdpServer)
/// is simpler.) After a handler panic, the worker's dispatcher and context are used as the
/// panic left them.
///
/// ```
/// use std::net::SocketAddr;
/// use std::sync::atomic::{AtomicU32, Ordering};
/// use std::sync::Arc;
/// use std::time::Duration;
/// use osc_core::{Dispatcher, HandlerFn};
/// use osc_std::{udp::UdpServer, UdpClient};
///
/// let total = Arc::new(AtomicU32::new(0));
/// let mut server = UdpServer::builder().workers(2).bind_threaded("127.0.0.1:0")?;
/// let (addr, stop) = (server.local_addr()?, server.shutdown_handle());
/// std::thread::scope(|s| {
///     s.spawn(|| {
///         server.run(|_worker| {
///             let mut d: Dispatcher<HandlerFn<Arc<AtomicU32>, SocketAddr>, 4> = Dispatcher::new();
///             d.map("/add", |total, req, _| {
///                 total.fetch_add(req.message.get::<(i32,)>().unwrap().0 as u32, Ordering::Relaxed);
///             }).unwrap();
///             (d, total.clone())
///         })
///     });
///     let mut client = UdpClient::connect(addr)?;
///     for i in 1..=10 {
///         client.send_message("/add", &[osc_core::Arg::Int(i)])?;
///     }
///     let t0 = std::time::Instant::now();
///     while total.load(Ordering::Relaxed) != 55 && t0.elapsed() < Duration::from_secs(5) {
///         std::thread::sleep(Duration::from_millis(1));
///     }
///     stop.shutdown();
///     Ok::<(), std::io::Error>(())
/// })?;
/// assert_eq!(total.load(Ordering::Relaxed), 55);
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct ThreadedUdpServer {
    socket: Arc<UdpSocket>,
    config: UdpServerBuilder,
    shutdown: Shutdown,
    counters: Arc<Counters>,
}

impl ThreadedUdpServer {
    /// The bound address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.socket.local_addr()
    }

    /// The server's socket.
    pub fn socket(&self) -> &UdpSocket {
        &self.socket
    }

    /// A client that sends from the server's own socket, for messages that are not replies: see
    /// [`UdpServer::client`](crate::udp::UdpServer::client), also for why it must only send.
    pub fn client(&self) -> io::Result<UdpClient> {
        self.socket.try_clone().map(UdpClient::from_socket)
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

    /// Serves until the shutdown handle fires: this thread receives, the workers (scoped threads)
    /// dispatch. `make(i)` builds worker `i`'s dispatcher and context, on that worker's thread.
    ///
    /// On shutdown the receive loop stops, the workers finish the datagrams already queued, and
    /// `run` returns when they have; bundles still waiting in their schedulers are dropped.
    pub fn run<'r, H, C, F, const N: usize>(&mut self, make: F) -> io::Result<()>
    where
        F: Fn(usize) -> (Dispatcher<'r, H, N>, C) + Sync,
        H: Handler<C, SocketAddr>,
    {
        let workers = self.config.workers;
        let pool_size = self.config.queue_capacity + workers;
        let per_worker = self.config.queue_capacity.div_ceil(workers);
        let (free_tx, free_rx) = mpsc::sync_channel::<Box<[u8]>>(pool_size);
        for _ in 0..pool_size {
            // Cannot fail: the channel has room for the whole pool.
            let _ = free_tx.try_send(vec![0u8; MAX_DATAGRAM].into_boxed_slice());
        }
        let mut queues = Vec::with_capacity(workers);
        let mut inboxes = Vec::with_capacity(workers);
        for _ in 0..workers {
            let (tx, rx) = mpsc::sync_channel::<Datagram>(per_worker);
            queues.push(tx);
            inboxes.push(rx);
        }
        let (socket, config, shutdown, counters) =
            (&*self.socket, &self.config, &self.shutdown, &self.counters);
        let make = &make;
        std::thread::scope(|s| {
            for (i, inbox) in inboxes.into_iter().enumerate() {
                let free = free_tx.clone();
                std::thread::Builder::new()
                    .name(format!("osc-udp-worker-{i}"))
                    .spawn_scoped(s, move || {
                        let (mut dispatcher, mut ctx) = make(i);
                        let mut engine: UdpEngine = Engine::new(
                            config.time_policy,
                            config.schedule_horizon,
                            config.reply_buffer_size,
                            config.decode,
                            counters.clone(),
                        );
                        worker(
                            socket,
                            &inbox,
                            &free,
                            &mut engine,
                            &mut dispatcher,
                            &mut ctx,
                            config,
                        );
                    })?;
            }
            drop(free_tx);
            let result = receive_loop(socket, &queues, &free_rx, shutdown, counters, config);
            // Dropping the queues tells the workers to finish.
            drop(queues);
            result
        })
    }

    /// Runs the server on a new thread; the returned handle stops it.
    pub fn spawn<H, C, F, const N: usize>(mut self, make: F) -> io::Result<ServerHandle>
    where
        F: Fn(usize) -> (Dispatcher<'static, H, N>, C) + Send + Sync + 'static,
        H: Handler<C, SocketAddr> + 'static,
        C: 'static,
    {
        let local = self.local_addr()?;
        let (shutdown, counters) = (self.shutdown_handle(), self.counters());
        let thread = std::thread::Builder::new()
            .name("osc-udp-recv".into())
            .spawn(move || self.run(make))?;
        Ok(ServerHandle::new(local, shutdown, counters, thread))
    }
}

/// Reads datagrams into pool buffers and hands them to the workers until shutdown.
fn receive_loop(
    socket: &UdpSocket,
    queues: &[SyncSender<Datagram>],
    free: &Receiver<Box<[u8]>>,
    shutdown: &Shutdown,
    counters: &Counters,
    config: &UdpServerBuilder,
) -> io::Result<()> {
    // Where a datagram goes when no pool buffer is free: read, counted, dropped.
    let mut overflow = vec![0u8; MAX_DATAGRAM].into_boxed_slice();
    // A pool buffer this loop holds (taken from the pool, or back from a full queue).
    let mut held: Option<Box<[u8]>> = None;
    let mut timeout = ReadTimeout::Unknown;
    let mut next = 0usize;
    while !shutdown.is_shutdown() {
        if held.is_none() {
            held = free.try_recv().ok();
        }
        timeout.apply(socket, Some(config.poll_interval))?;
        let target: &mut [u8] = match held.as_mut() {
            Some(b) => b,
            None => &mut overflow,
        };
        let received = socket.recv_from(target);
        if shutdown.is_shutdown() {
            break;
        }
        let (len, from) = match received {
            Ok(r) => r,
            Err(e) if is_timeout(&e) || is_transient(&e) => continue,
            Err(e) => return Err(e),
        };
        counters.add_received(1);
        let Some(buf) = held.take() else {
            counters.add_dropped(1);
            continue;
        };
        let mut datagram = Datagram {
            buf,
            len,
            from,
            at: time::now(),
        };
        let mut dead = 0;
        for k in 0..queues.len() {
            let i = (next + k) % queues.len();
            let Some(queue) = queues.get(i) else { continue };
            match queue.try_send(datagram) {
                Ok(()) => {
                    next = i + 1;
                    break;
                }
                Err(TrySendError::Full(d)) => datagram = d,
                Err(TrySendError::Disconnected(d)) => {
                    dead += 1;
                    datagram = d;
                }
            }
            if k + 1 == queues.len() {
                counters.add_dropped(1);
                held = Some(datagram.buf);
                if dead == queues.len() {
                    return Err(io::Error::other("every worker thread has stopped"));
                }
                break;
            }
        }
    }
    Ok(())
}

/// A worker: takes datagrams from its queue, fires due bundles, returns buffers to the pool.
fn worker<'r, H, C, const N: usize>(
    socket: &UdpSocket,
    inbox: &Receiver<Datagram>,
    free: &SyncSender<Box<[u8]>>,
    engine: &mut UdpEngine,
    dispatcher: &mut Dispatcher<'r, H, N>,
    ctx: &mut C,
    config: &UdpServerBuilder,
) where
    H: Handler<C, SocketAddr>,
{
    let mut scratch = vec![0u8; MAX_DATAGRAM].into_boxed_slice();
    loop {
        let now = time::now();
        while let Some(to) = engine.poll(now, &mut scratch, dispatcher, ctx) {
            send_replies(socket, engine, to);
        }
        match inbox.recv_timeout(engine.wait(now, config.poll_interval)) {
            Ok(d) => {
                let bytes = d.buf.get(..d.len).unwrap_or_default();
                engine.handle(|| d.at, bytes, d.from, dispatcher, ctx);
                send_replies(socket, engine, d.from);
                let _ = free.try_send(d.buf);
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => return,
        }
    }
}

/// A UDP server of several sockets bound to one port with `SO_REUSEPORT` (Unix), one thread
/// each: the kernel spreads incoming datagrams over the sockets by sender address and port, so
/// one sender's packets always reach the same worker, in order. Each worker is a full blocking
/// server (its own receive loop, scheduler, dispatcher and context); replies leave from the
/// worker's socket, which has the server's port.
///
/// Built with [`UdpServerBuilder::bind_reuse_port`]. Workers get their dispatcher and context
/// from a factory as in [`ThreadedUdpServer`], whose docs explain how to share state.
///
/// ```
/// use std::net::SocketAddr;
/// use std::time::Duration;
/// use osc_core::{Dispatcher, HandlerFn};
/// use osc_std::{udp::UdpServer, UdpClient};
///
/// let mut server = UdpServer::builder().workers(2).bind_reuse_port("127.0.0.1:0")?;
/// let (addr, stop) = (server.local_addr()?, server.shutdown_handle());
/// std::thread::scope(|s| {
///     s.spawn(|| {
///         server.run(|worker| {
///             let mut d: Dispatcher<HandlerFn<usize, SocketAddr>, 4> = Dispatcher::new();
///             d.map("/who", |worker, _, replies| {
///                 let _ = replies.message_with("/worker", |m| m.int(*worker as i32));
///             }).unwrap();
///             (d, worker)
///         })
///     });
///     let mut client = UdpClient::connect(addr)?;
///     client.send_message("/who", &[])?;
///     let (reply, from) = client.recv(Some(Duration::from_secs(5)))?.expect("a reply");
///     assert_eq!(from, addr); // from the server's port, whichever worker answered
///     assert_eq!(reply.as_message().unwrap().address(), "/worker");
///     stop.shutdown();
///     Ok::<(), Box<dyn std::error::Error>>(())
/// })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct ReusePortUdpServer {
    sockets: Vec<Arc<UdpSocket>>,
    config: UdpServerBuilder,
    shutdown: Shutdown,
    counters: Arc<Counters>,
}

impl ReusePortUdpServer {
    /// The bound address (all sockets share it).
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        match self.sockets.first() {
            Some(s) => s.local_addr(),
            None => Err(io::Error::new(io::ErrorKind::NotConnected, "no socket")),
        }
    }

    /// The sockets, one per worker.
    pub fn sockets(&self) -> impl Iterator<Item = &UdpSocket> {
        self.sockets.iter().map(|s| &**s)
    }

    /// A handle that makes [`run`](Self::run) return.
    pub fn shutdown_handle(&self) -> Shutdown {
        self.shutdown.clone()
    }

    /// The live counters (summed over the workers).
    pub fn counters(&self) -> Arc<Counters> {
        self.counters.clone()
    }

    /// A copy of the counters now.
    pub fn stats(&self) -> Stats {
        self.counters.snapshot()
    }

    /// Serves until the shutdown handle fires, one scoped thread per socket; `make(i)` builds
    /// worker `i`'s dispatcher and context on its thread. Returns the first worker's socket error,
    /// if any (the other workers are stopped then).
    pub fn run<'r, H, C, F, const N: usize>(&mut self, make: F) -> io::Result<()>
    where
        F: Fn(usize) -> (Dispatcher<'r, H, N>, C) + Sync,
        H: Handler<C, SocketAddr>,
    {
        let (config, shutdown, counters) = (&self.config, &self.shutdown, &self.counters);
        let make = &make;
        std::thread::scope(|s| {
            let mut threads = Vec::with_capacity(self.sockets.len());
            for (i, socket) in self.sockets.iter().enumerate() {
                let t = std::thread::Builder::new()
                    .name(format!("osc-udp-port-{i}"))
                    .spawn_scoped(s, move || {
                        let (mut dispatcher, mut ctx) = make(i);
                        let mut inner = BlockingLoop::new(socket.clone(), config, counters.clone());
                        let result = inner.run(shutdown, &mut dispatcher, &mut ctx);
                        if result.is_err() {
                            shutdown.shutdown();
                        }
                        result
                    });
                match t {
                    Ok(t) => threads.push(t),
                    Err(e) => {
                        shutdown.shutdown();
                        return Err(e);
                    }
                }
            }
            let mut first = Ok(());
            for t in threads {
                let r = t
                    .join()
                    .unwrap_or_else(|_| Err(io::Error::other("a worker thread panicked")));
                if first.is_ok() {
                    first = r;
                }
            }
            first
        })
    }

    /// Runs the server on a new thread; the returned handle stops it.
    pub fn spawn<H, C, F, const N: usize>(mut self, make: F) -> io::Result<ServerHandle>
    where
        F: Fn(usize) -> (Dispatcher<'static, H, N>, C) + Send + Sync + 'static,
        H: Handler<C, SocketAddr> + 'static,
        C: 'static,
    {
        let local = self.local_addr()?;
        let (shutdown, counters) = (self.shutdown_handle(), self.counters());
        let thread = std::thread::Builder::new()
            .name("osc-udp-reuseport".into())
            .spawn(move || self.run(make))?;
        Ok(ServerHandle::new(local, shutdown, counters, thread))
    }
}
