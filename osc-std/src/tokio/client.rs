//! Async clients on tokio: [`UdpClient`] and [`TcpConnection`], the async forms of
//! [`crate::UdpClient`] and [`crate::TcpConnection`].

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;

use ::tokio::io::AsyncReadExt;
use ::tokio::net::tcp::OwnedReadHalf;
use ::tokio::net::{lookup_host, TcpStream, ToSocketAddrs, UdpSocket};
use osc_core::{Arg, DecodeConfig, Dispatcher, Handler, Message, Outcome, Packet, Replies};

use super::routes::{AfterDispatch, AwaitCalls, Link, Pending, TcpOut};
use super::AsyncRoutes;
use crate::error::Error;
use crate::framing::{frame_packet, frame_replies, FrameReader, Framing};
use crate::sock::{any_local_for, encode_packet};
use crate::udp::{MAX_DATAGRAM, REPLY_BUFFER_SIZE};

const READ_CHUNK: usize = 16 * 1024;

/// An async UDP socket that sends and receives OSC packets (feature `tokio`): the async form of
/// [`crate::UdpClient`], with the same buffers (64 KiB to receive, so no datagram is truncated; a
/// send buffer that grows to the largest packet sent).
///
/// [`recv`](Self::recv) waits for ever; for a timeout, wrap it in `tokio::time::timeout`. It is
/// cancel-safe: a `recv` dropped before it finishes loses no datagram, so it can sit in a
/// `tokio::select!` loop.
///
/// ```
/// use std::time::Duration;
/// use osc_core::Arg;
/// use osc_std::tokio::UdpClient;
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
/// rt.block_on(async {
///     let mut rx = UdpClient::bind("127.0.0.1:0").await?;
///     let mut tx = UdpClient::connect(rx.local_addr()?).await?;
///     tx.send_message("/synth/1/freq", &[Arg::Int(440), Arg::Float(0.5)]).await?;
///
///     let (packet, from) = tokio::time::timeout(Duration::from_secs(5), rx.recv()).await??;
///     assert_eq!(packet.as_message().unwrap().get::<(i32, f32)>()?, (440, 0.5));
///     assert_eq!(from, tx.local_addr()?);
///     Ok(())
/// })
/// # }
/// ```
#[derive(Debug)]
pub struct UdpClient {
    socket: Arc<UdpSocket>,
    /// Whether the socket is connected: replies then go with `send` (BSD and macOS refuse
    /// `send_to` on a connected socket).
    connected: bool,
    recv_buf: Box<[u8]>,
    send_buf: Vec<u8>,
    reply_buf: Vec<u8>,
    decode: DecodeConfig,
}

impl UdpClient {
    /// A client for `remote`: binds an ephemeral port of the remote's family (IPv4 or IPv6) and
    /// connects the socket to it. Each resolved address is tried in turn.
    pub async fn connect(remote: impl ToSocketAddrs) -> io::Result<Self> {
        let mut last = None;
        for addr in lookup_host(remote).await? {
            let attempt = match UdpSocket::bind(any_local_for(addr)).await {
                Ok(socket) => socket.connect(addr).await.map(|()| socket),
                Err(e) => Err(e),
            };
            match attempt {
                Ok(socket) => return Ok(Self::from_socket(socket)),
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| {
            io::Error::new(io::ErrorKind::InvalidInput, "no address to connect to")
        }))
    }

    /// An unconnected socket bound to `local` (port 0 for an ephemeral one): it receives from any
    /// sender and sends with [`send_to`](Self::send_to).
    pub async fn bind(local: impl ToSocketAddrs) -> io::Result<Self> {
        UdpSocket::bind(local).await.map(Self::from_socket)
    }

    /// Wraps a socket configured elsewhere (multicast, broadcast, buffer sizes: through `socket2`
    /// and `UdpSocket::from_std`).
    pub fn from_socket(socket: UdpSocket) -> Self {
        Self {
            connected: socket.peer_addr().is_ok(),
            socket: Arc::new(socket),
            recv_buf: vec![0u8; MAX_DATAGRAM].into_boxed_slice(),
            send_buf: Vec::new(),
            reply_buf: Vec::new(),
            decode: DecodeConfig::new(),
        }
    }

    /// Uses `config` to decode received packets (default: the tolerant profile).
    pub fn set_decode_config(&mut self, config: DecodeConfig) {
        self.decode = config;
    }

    /// The socket, e.g. for its options.
    pub fn socket(&self) -> &UdpSocket {
        &self.socket
    }

    /// The local address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.socket.local_addr()
    }

    /// The connected remote's address.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.socket.peer_addr()
    }

    /// Sends a packet to the connected remote; returns the datagram's size.
    pub async fn send(&mut self, packet: &Packet<'_>) -> Result<usize, Error> {
        let bytes = encode_packet(packet, &mut self.send_buf)?;
        Ok(self.socket.send(bytes).await?)
    }

    /// Sends a packet to `to`; returns the datagram's size.
    pub async fn send_to(&mut self, packet: &Packet<'_>, to: SocketAddr) -> Result<usize, Error> {
        let bytes = encode_packet(packet, &mut self.send_buf)?;
        Ok(self.socket.send_to(bytes, to).await?)
    }

    /// Sends the message `address args…` to the connected remote.
    pub async fn send_message(&mut self, address: &str, args: &[Arg<'_>]) -> Result<usize, Error> {
        self.send(&Packet::Message(Message::new(address, args)))
            .await
    }

    /// Sends the message `address args…` to `to`.
    pub async fn send_message_to(
        &mut self,
        address: &str,
        args: &[Arg<'_>],
        to: SocketAddr,
    ) -> Result<usize, Error> {
        self.send_to(&Packet::Message(Message::new(address, args)), to)
            .await
    }

    /// Waits for a datagram and returns its bytes and sender, without decoding. Cancel-safe.
    pub async fn recv_raw(&mut self) -> Result<(&[u8], SocketAddr), Error> {
        recv_datagram(&self.socket, &mut self.recv_buf).await
    }

    /// Waits for a datagram and decodes it. A datagram that is not a valid OSC packet is
    /// `Err(Error::Decode(_))`; the next call goes on with the next datagram. The packet borrows
    /// the client's buffer until the next call. Cancel-safe.
    ///
    /// On a connected socket, "port unreachable" reported for an earlier send (no server at the
    /// remote) comes back from here as `Err(Error::Io(_))` of kind `ConnectionRefused`.
    pub async fn recv(&mut self) -> Result<(Packet<'_>, SocketAddr), Error> {
        let config = self.decode;
        let (bytes, from) = self.recv_raw().await?;
        Ok((config.decode(bytes)?, from))
    }

    /// Waits for a packet and dispatches it to `dispatcher` (python-osc's dispatch clients; the
    /// async form of [`DispatchClient::handle_one`](crate::DispatchClient::handle_one)). Bundles
    /// are dispatched at once, their timetags shown to the handlers. The handlers' replies go to
    /// the sender (8 KiB of them at most per packet). A datagram that is not OSC is
    /// `Err(Error::Decode(_))`, and the next call goes on. Cancel-safe while it waits.
    ///
    /// ```
    /// use std::net::SocketAddr;
    /// use std::time::Duration;
    /// use osc_core::{Arg, Dispatcher, HandlerFn};
    /// use osc_std::tokio::UdpClient;
    ///
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    /// rt.block_on(async {
    ///     let mut mixer = UdpClient::bind("127.0.0.1:0").await?;
    ///     let mut client = UdpClient::connect(mixer.local_addr()?).await?;
    ///     client.send_message("/ch/01/mix/fader", &[Arg::Float(0.5)]).await?;
    ///
    ///     let mut d: Dispatcher<HandlerFn<Vec<f32>, SocketAddr>, 4> = Dispatcher::new();
    ///     d.map("/ch/*/mix/fader", |levels, req, _| {
    ///         levels.extend(req.message.get::<(f32,)>().map(|(l,)| l));
    ///     })
    ///     .unwrap();
    ///     let mut levels = Vec::new();
    ///     let wait = Duration::from_secs(5);
    ///     let outcome = tokio::time::timeout(wait, mixer.dispatch(&mut d, &mut levels)).await??;
    ///     assert_eq!((outcome.handler_calls, levels), (1, vec![0.5]));
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub async fn dispatch<H, C, const N: usize>(
        &mut self,
        dispatcher: &mut Dispatcher<'_, H, N>,
        ctx: &mut C,
    ) -> Result<Outcome, Error>
    where
        H: Handler<C, SocketAddr>,
    {
        let Self {
            socket,
            connected,
            recv_buf,
            reply_buf,
            decode,
            ..
        } = self;
        let (bytes, from) = recv_datagram(socket, recv_buf).await?;
        let packet = decode.decode(bytes)?;
        if reply_buf.len() < REPLY_BUFFER_SIZE {
            reply_buf.resize(REPLY_BUFFER_SIZE, 0);
        }
        let mut replies = Replies::new(reply_buf);
        let outcome = dispatcher.dispatch(&packet, ctx, &from, &mut replies);
        for reply in replies.iter() {
            if *connected {
                socket.send(reply).await?;
            } else {
                socket.send_to(reply, from).await?;
            }
        }
        Ok(outcome)
    }

    /// Waits for a packet and dispatches it to async handlers, awaiting each in order before it
    /// returns (python-osc's async dispatch); each handler's
    /// [`Responder`](crate::tokio::Responder) sends from this client's socket to the sender.
    /// Bundles are dispatched at once. Cancel-safe while it waits for the packet; dropped while
    /// a handler runs, that handler and the ones after it are dropped. A handler that panics is
    /// caught and the others still run (a client has no counters to show it). A responder kept
    /// after the client is dropped keeps its socket, and so its port, open.
    pub async fn dispatch_async<const N: usize>(
        &mut self,
        routes: &mut AsyncRoutes<'_, N>,
    ) -> Result<Outcome, Error> {
        let link = Link::Udp(self.socket.clone(), self.connected);
        let mut pending = Pending::detached(link);
        let outcome = {
            let (packet, from) = self.recv().await?;
            routes.dispatch_now(&packet, from, &mut pending)
        };
        AwaitCalls.after(&mut pending).await;
        Ok(outcome)
    }
}

/// Waits for a datagram into `buf`; returns its bytes and sender. Cancel-safe.
async fn recv_datagram<'b>(
    socket: &UdpSocket,
    buf: &'b mut [u8],
) -> Result<(&'b [u8], SocketAddr), Error> {
    loop {
        match socket.recv_from(buf).await {
            Ok((n, from)) => return Ok((buf.get(..n).unwrap_or_default(), from)),
            // A signal: try again.
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e.into()),
        }
    }
}

/// An async TCP connection carrying OSC packets in SLIP or length-prefix frames (feature `tokio`):
/// the async form of [`crate::TcpConnection`], with the same incremental decoders, frame size
/// limit (64 KiB by default) and recovery after a bad frame.
///
/// [`recv`](Self::recv) waits for ever and is cancel-safe: dropped before it finishes, it loses
/// nothing (bytes already read stay for the next call), so `tokio::time::timeout` or
/// `tokio::select!` around it are fine. [`send`](Self::send) is not. Dropped after part of a
/// frame went out, a length-prefix stream is out of step for good, so the connection is shut
/// down (the peer gets the partial frame, then the end of the stream; later sends return
/// [`Error::Closed`] and receives end too). A SLIP peer skips the partial frame, so a SLIP
/// connection goes on. Let sends finish.
///
/// [`dispatch`](Self::dispatch) and [`dispatch_async`](Self::dispatch_async) hand what arrives to
/// a dispatcher, with synchronous or async handlers, and write their replies on the connection.
///
/// ```
/// use std::time::Duration;
/// use osc_core::Arg;
/// use osc_std::{tokio::TcpConnection, Framing};
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
/// rt.block_on(async {
///     let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
///     let mut client = TcpConnection::connect(listener.local_addr()?, Framing::Slip).await?;
///     let mut server = TcpConnection::from_stream(listener.accept().await?.0, Framing::Slip);
///
///     client.send_message("/mixer/fader/1", &[Arg::Float(0.75)]).await?;
///     let packet = tokio::time::timeout(Duration::from_secs(5), server.recv()).await??;
///     assert_eq!(packet.as_message().unwrap().get::<(f32,)>()?, (0.75,));
///
///     drop(client);
///     assert!(server.recv().await.unwrap_err().is_closed());
///     Ok(())
/// })
/// # }
/// ```
#[derive(Debug)]
pub struct TcpConnection {
    read: OwnedReadHalf,
    /// The remote address, kept: `getpeername` fails once the socket is shut down.
    peer: Option<SocketAddr>,
    /// The writing half, shared with the responders of [`dispatch_async`](Self::dispatch_async).
    out: Arc<TcpOut>,
    reader: FrameReader,
    packet_buf: Vec<u8>,
    out_buf: Vec<u8>,
    reply_buf: Vec<u8>,
    decode: DecodeConfig,
}

impl TcpConnection {
    /// Connects to `addr` (each resolved address in turn) with Nagle's algorithm off, as OSC
    /// messages are small and latency matters.
    pub async fn connect(addr: impl ToSocketAddrs, framing: Framing) -> io::Result<Self> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        Ok(Self::from_stream(stream, framing))
    }

    /// Wraps a connected stream (e.g. one from `TcpListener::accept`).
    pub fn from_stream(stream: TcpStream, framing: Framing) -> Self {
        let shut = socket2::SockRef::from(&stream).try_clone().ok();
        let peer = stream.peer_addr().ok();
        let (read, write) = stream.into_split();
        Self {
            read,
            peer,
            out: Arc::new(TcpOut::new(write, shut, Some(framing), None)),
            reader: FrameReader::new(framing, READ_CHUNK),
            packet_buf: Vec::new(),
            out_buf: Vec::new(),
            reply_buf: Vec::new(),
            decode: DecodeConfig::new(),
        }
    }

    /// Sets the largest frame [`recv`](Self::recv) accepts (clamped to
    /// 16..=[`MAX_FRAME_LIMIT`](crate::tcp::MAX_FRAME_LIMIT)). A partly received frame is dropped.
    pub fn set_max_frame_size(&mut self, max: usize) {
        self.reader.set_max_frame(max);
    }

    /// The largest frame accepted.
    pub fn max_frame_size(&self) -> usize {
        self.reader.max_frame()
    }

    /// Uses `config` to decode received packets (default: the tolerant profile).
    pub fn set_decode_config(&mut self, config: DecodeConfig) {
        self.decode = config;
    }

    /// The framing used both ways.
    pub fn framing(&self) -> Framing {
        self.reader.framing()
    }

    /// The underlying stream.
    pub fn stream(&self) -> &TcpStream {
        self.read.as_ref()
    }

    /// The remote address (known even after the connection has ended).
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        match self.peer {
            Some(peer) => Ok(peer),
            None => self.read.peer_addr(),
        }
    }

    /// The local address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.read.local_addr()
    }

    /// Sends one packet, framed; returns the number of bytes written. Not cancel-safe (see the
    /// type docs).
    pub async fn send(&mut self, packet: &Packet<'_>) -> Result<usize, Error> {
        let framed = frame_packet(
            self.reader.framing(),
            packet,
            &mut self.packet_buf,
            &mut self.out_buf,
        )?;
        self.out.write(framed).await?;
        Ok(framed.len())
    }

    /// Sends the message `address args…`.
    pub async fn send_message(&mut self, address: &str, args: &[Arg<'_>]) -> Result<usize, Error> {
        self.send(&Packet::Message(Message::new(address, args)))
            .await
    }

    /// Waits for the next frame and returns its payload, without decoding it as OSC.
    /// `Err(Error::Closed)` at the end of the stream, `Err(Error::Frame(_))` for a frame that
    /// cannot be delivered (the next call goes on with the next frame). Cancel-safe.
    pub async fn recv_raw(&mut self) -> Result<&[u8], Error> {
        next_frame(&mut self.read, &mut self.reader).await
    }

    /// Waits for the next packet; like [`recv_raw`](Self::recv_raw), and a frame that is not a
    /// valid OSC packet is `Err(Error::Decode(_))` (the next call goes on). The packet borrows the
    /// connection's buffer until the next call. Cancel-safe.
    pub async fn recv(&mut self) -> Result<Packet<'_>, Error> {
        let config = self.decode;
        let frame = self.recv_raw().await?;
        Ok(config.decode(frame)?)
    }

    /// Whether a frame has been partly received (at the end of a stream: the peer stopped mid-frame).
    pub fn has_partial_frame(&self) -> bool {
        self.reader.has_partial_frame()
    }

    /// Waits for a packet and dispatches it to `dispatcher` (python-osc's `TCPDispatchClient`).
    /// Bundles are dispatched at once, their timetags shown to the handlers; the handlers'
    /// replies (8 KiB of them at most per packet) are written on the connection. Errors as for
    /// [`recv`](Self::recv); cancel-safe while it waits for the packet.
    ///
    /// ```
    /// use std::net::SocketAddr;
    /// use std::time::Duration;
    /// use osc_core::{Arg, Dispatcher, HandlerFn};
    /// use osc_std::{tokio::TcpConnection, Framing};
    ///
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    /// rt.block_on(async {
    ///     let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    ///     let mut client = TcpConnection::connect(listener.local_addr()?, Framing::Slip).await?;
    ///     let mut server = TcpConnection::from_stream(listener.accept().await?.0, Framing::Slip);
    ///
    ///     // The client answers the server's `/ping` with `/pong`.
    ///     let mut d: Dispatcher<HandlerFn<(), SocketAddr>, 4> = Dispatcher::new();
    ///     d.map("/ping", |_, _, r| { let _ = r.message_with("/pong", |m| Ok(m)); }).unwrap();
    ///     server.send_message("/ping", &[]).await?;
    ///     let wait = Duration::from_secs(5);
    ///     tokio::time::timeout(wait, client.dispatch(&mut d, &mut ())).await??;
    ///     let reply = tokio::time::timeout(wait, server.recv()).await??;
    ///     assert_eq!(reply.as_message().unwrap().address(), "/pong");
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub async fn dispatch<H, C, const N: usize>(
        &mut self,
        dispatcher: &mut Dispatcher<'_, H, N>,
        ctx: &mut C,
    ) -> Result<Outcome, Error>
    where
        H: Handler<C, SocketAddr>,
    {
        let peer = self.peer.unwrap_or(UNKNOWN_PEER);
        let Self {
            read,
            out,
            reader,
            out_buf,
            reply_buf,
            decode,
            ..
        } = self;
        let framing = reader.framing();
        let packet = decode.decode(next_frame(read, reader).await?)?;
        if reply_buf.len() < REPLY_BUFFER_SIZE {
            reply_buf.resize(REPLY_BUFFER_SIZE, 0);
        }
        let mut replies = Replies::new(reply_buf);
        let outcome = dispatcher.dispatch(&packet, ctx, &peer, &mut replies);
        if frame_replies(replies.iter(), framing, out_buf) != 0 {
            out.write(out_buf).await?;
        }
        Ok(outcome)
    }

    /// Waits for a packet and dispatches it to async handlers, awaiting each in order before it
    /// returns (python-osc's `AsyncDispatchTCPClient`); each handler's
    /// [`Responder`](crate::tokio::Responder) writes frames on this connection, now or later
    /// from a task of its own. Bundles are dispatched at once. Cancel-safe while it waits for the
    /// packet; dropped while a handler runs, that handler and the ones after it are dropped. A
    /// handler that panics is caught and the others still run (a client has no counters to show
    /// it).
    pub async fn dispatch_async<const N: usize>(
        &mut self,
        routes: &mut AsyncRoutes<'_, N>,
    ) -> Result<Outcome, Error> {
        let peer = self.peer.unwrap_or(UNKNOWN_PEER);
        let mut pending = Pending::detached(Link::Tcp(self.out.clone()));
        let outcome = {
            let packet = self.recv().await?;
            routes.dispatch_now(&packet, peer, &mut pending)
        };
        AwaitCalls.after(&mut pending).await;
        Ok(outcome)
    }

    /// Closes the writing half; the peer sees the end of the stream. Nothing more can be sent,
    /// by this connection or by the responders of its async handlers.
    pub async fn shutdown(&mut self) -> io::Result<()> {
        self.out.finish().await
    }
}

/// Waits for the next frame of a stream; `Err(Error::Closed)` at its end. Cancel-safe.
async fn next_frame<'r>(
    read: &mut OwnedReadHalf,
    reader: &'r mut FrameReader,
) -> Result<&'r [u8], Error> {
    loop {
        match reader.next_frame() {
            Some(Ok(())) => return Ok(reader.frame()),
            Some(Err(e)) => return Err(Error::Frame(e)),
            None => {}
        }
        match read.read(reader.space()).await {
            Ok(0) => return Err(Error::Closed),
            Ok(n) => reader.filled(n),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e.into()),
        }
    }
}

/// The sender handlers see when a stream's peer address could not be read (an unconnected
/// socket given to `from_stream`).
const UNKNOWN_PEER: SocketAddr = SocketAddr::V4(std::net::SocketAddrV4::new(
    std::net::Ipv4Addr::UNSPECIFIED,
    0,
));

/// Shuts the socket down when the connection is dropped, even if a responder of one of its async
/// handlers is still held somewhere (which then says [`Closed`](crate::Error::Closed)).
impl Drop for TcpConnection {
    fn drop(&mut self) {
        self.out.close();
    }
}
