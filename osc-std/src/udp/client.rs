//! [`UdpClient`] and [`DispatchClient`].

use std::io;
use std::net::{Ipv4Addr, SocketAddr, ToSocketAddrs, UdpSocket};
use std::time::Duration;

use osc_core::{
    Arg, BundleBuilder, DecodeConfig, Dispatcher, EncodeError, Handler, Message, Packet, Replies,
    TimeTag,
};

use crate::error::Error;
use crate::sock::{any_local_for, encode_packet, ReadTimeout};

/// The size of a client's receive buffer: the largest UDP payload fits, so no datagram is ever
/// truncated.
pub const MAX_DATAGRAM: usize = 65_536;

/// A UDP socket that sends and receives OSC packets, with its own reusable buffers.
///
/// - [`connect`](Self::connect) makes a client for one server: [`send`](Self::send) and
///   [`send_message`](Self::send_message) go there, and [`recv`](Self::recv) takes only its
///   replies (the operating system filters the others out).
/// - [`bind`](Self::bind) makes an unconnected socket on a chosen address: it receives from
///   anyone and sends with [`send_to`](Self::send_to). A "dump" tool or a peer that talks to
///   several hosts uses this.
///
/// The receive buffer holds 64 KiB, so no datagram is truncated; the send buffer grows to the
/// largest packet sent and is then reused. After start-up nothing is allocated per packet.
///
/// ```
/// use std::time::Duration;
/// use osc_core::Arg;
/// use osc_std::UdpClient;
///
/// // Two sockets on loopback: one sends, the other receives.
/// let mut rx = UdpClient::bind("127.0.0.1:0")?;
/// let mut tx = UdpClient::connect(rx.local_addr()?)?;
/// tx.send_message("/synth/1/freq", &[Arg::Int(440), Arg::Float(0.5)])?;
///
/// let (packet, from) = rx.recv(Some(Duration::from_secs(5)))?.expect("a datagram");
/// let msg = packet.as_message().unwrap();
/// assert_eq!(msg.address(), "/synth/1/freq");
/// assert_eq!(msg.get::<(i32, f32)>()?, (440, 0.5));
/// assert_eq!(from, tx.local_addr()?);
///
/// // Nothing else came: a timeout is `Ok(None)`.
/// assert!(rx.recv(Some(Duration::from_millis(10)))?.is_none());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct UdpClient {
    socket: UdpSocket,
    recv_buf: Box<[u8]>,
    send_buf: Vec<u8>,
    timeout: ReadTimeout,
    decode: DecodeConfig,
}

impl UdpClient {
    /// A client for `remote`: binds an ephemeral port of the remote's family (IPv4 or IPv6) and
    /// connects the socket to it. Each resolved address is tried in turn.
    pub fn connect(remote: impl ToSocketAddrs) -> io::Result<Self> {
        let mut last = None;
        for addr in remote.to_socket_addrs()? {
            let attempt =
                UdpSocket::bind(any_local_for(addr)).and_then(|s| s.connect(addr).map(|()| s));
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
    pub fn bind(local: impl ToSocketAddrs) -> io::Result<Self> {
        UdpSocket::bind(local).map(Self::from_socket)
    }

    /// Wraps a socket configured elsewhere (e.g. with `socket2`: multicast, buffer sizes). Its
    /// read timeout is managed by [`recv`](Self::recv) from now on.
    pub fn from_socket(socket: UdpSocket) -> Self {
        Self {
            socket,
            recv_buf: vec![0u8; MAX_DATAGRAM].into_boxed_slice(),
            send_buf: Vec::new(),
            timeout: ReadTimeout::Unknown,
            decode: DecodeConfig::new(),
        }
    }

    /// Uses `config` to decode received packets (default: [`DecodeConfig::new`], the tolerant profile).
    pub fn set_decode_config(&mut self, config: DecodeConfig) {
        self.decode = config;
    }

    /// Allows (or forbids) sending to broadcast addresses (`SO_BROADCAST`).
    pub fn set_broadcast(&self, on: bool) -> io::Result<()> {
        self.socket.set_broadcast(on)
    }

    /// Chooses the interface outgoing IPv4 multicast leaves from (`IP_MULTICAST_IF`), by its address.
    pub fn set_multicast_if_v4(&self, interface: Ipv4Addr) -> io::Result<()> {
        socket2::SockRef::from(&self.socket).set_multicast_if_v4(&interface)
    }

    /// Chooses the interface outgoing IPv6 multicast leaves from (`IPV6_MULTICAST_IF`), by index.
    pub fn set_multicast_if_v6(&self, interface: u32) -> io::Result<()> {
        socket2::SockRef::from(&self.socket).set_multicast_if_v6(interface)
    }

    /// The underlying socket, e.g. to set options this type does not wrap.
    pub fn socket(&self) -> &UdpSocket {
        &self.socket
    }

    /// The local address (the port replies come back to).
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.socket.local_addr()
    }

    /// The connected remote address (an error for an unconnected socket).
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.socket.peer_addr()
    }

    /// Leaves non-blocking mode (set by a `recv` with a zero timeout), so that sends wait for
    /// room in the socket buffer rather than fail.
    fn blocking_for_send(socket: &UdpSocket, timeout: &mut ReadTimeout) -> io::Result<()> {
        if *timeout == ReadTimeout::Poll {
            socket.set_nonblocking(false)?;
            *timeout = ReadTimeout::Unknown;
        }
        Ok(())
    }

    /// Sends a packet to the connected remote; returns the datagram's size.
    pub fn send(&mut self, packet: &Packet<'_>) -> Result<usize, Error> {
        let bytes = encode_packet(packet, &mut self.send_buf)?;
        Self::blocking_for_send(&self.socket, &mut self.timeout)?;
        Ok(self.socket.send(bytes)?)
    }

    /// Sends a packet to `to`; returns the datagram's size.
    pub fn send_to(&mut self, packet: &Packet<'_>, to: SocketAddr) -> Result<usize, Error> {
        let bytes = encode_packet(packet, &mut self.send_buf)?;
        Self::blocking_for_send(&self.socket, &mut self.timeout)?;
        Ok(self.socket.send_to(bytes, to)?)
    }

    /// Sends the message `address args…` to the connected remote.
    pub fn send_message(&mut self, address: &str, args: &[Arg<'_>]) -> Result<usize, Error> {
        self.send(&Packet::Message(Message::new(address, args)))
    }

    /// Sends the message `address args…` to `to`.
    pub fn send_message_to(
        &mut self,
        address: &str,
        args: &[Arg<'_>],
        to: SocketAddr,
    ) -> Result<usize, Error> {
        self.send_to(&Packet::Message(Message::new(address, args)), to)
    }

    /// Builds a bundle in the send buffer (grown to `capacity` bytes first) and sends it to the
    /// connected remote.
    ///
    /// ```
    /// use std::time::Duration;
    /// use osc_std::{time, UdpClient};
    ///
    /// let mut rx = UdpClient::bind("127.0.0.1:0")?;
    /// let mut tx = UdpClient::connect(rx.local_addr()?)?;
    /// tx.send_bundle(time::after(Duration::from_millis(100)), 512, |b| {
    ///     b.message_with("/a", |m| m.int(1))?.message_with("/b", |m| m.string("x"))
    /// })?;
    /// let (packet, _) = rx.recv(Some(Duration::from_secs(5)))?.unwrap();
    /// assert_eq!(packet.as_bundle().unwrap().elements().count(), 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn send_bundle<F>(
        &mut self,
        timetag: TimeTag,
        capacity: usize,
        build: F,
    ) -> Result<usize, Error>
    where
        F: for<'x> FnOnce(BundleBuilder<'x>) -> Result<BundleBuilder<'x>, EncodeError>,
    {
        if self.send_buf.len() < capacity {
            self.send_buf.resize(capacity, 0);
        }
        let n = build(BundleBuilder::new(&mut self.send_buf, timetag)?)?.finish()?;
        Self::blocking_for_send(&self.socket, &mut self.timeout)?;
        Ok(self
            .socket
            .send(self.send_buf.get(..n).unwrap_or_default())?)
    }

    /// Sends bytes as they are (they need not be a valid packet) to the connected remote.
    ///
    /// This takes `&self` and leaves the socket's mode alone: right after a
    /// [`recv`](Self::recv) with a zero timeout the socket is non-blocking, and a send that finds
    /// the socket buffer full then fails with `WouldBlock` instead of waiting.
    pub fn send_raw(&self, bytes: &[u8]) -> Result<usize, Error> {
        Ok(self.socket.send(bytes)?)
    }

    /// Sends bytes as they are to `to`.
    pub fn send_raw_to(&self, bytes: &[u8], to: SocketAddr) -> Result<usize, Error> {
        Ok(self.socket.send_to(bytes, to)?)
    }

    /// Waits for a datagram and returns its bytes and sender, without decoding.
    ///
    /// `timeout`: `None` waits for ever, `Some(Duration::ZERO)` only takes a datagram already
    /// there. Returns `Ok(None)` when the time runs out.
    pub fn recv_raw(
        &mut self,
        timeout: Option<Duration>,
    ) -> Result<Option<(&[u8], SocketAddr)>, Error> {
        self.timeout.apply(&self.socket, timeout)?;
        loop {
            match self.socket.recv_from(&mut self.recv_buf) {
                Ok((n, from)) => {
                    return Ok(Some((self.recv_buf.get(..n).unwrap_or_default(), from)));
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) if crate::sock::is_timeout(&e) => return Ok(None),
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// Waits for a datagram and decodes it (zero-copy: the packet borrows the client's buffer until
    /// the next call).
    ///
    /// `timeout` as for [`recv_raw`](Self::recv_raw); `Ok(None)` when it runs out. A datagram that
    /// is not a valid OSC packet is `Err(Error::Decode(_))`; the next call receives the next one.
    /// On a client made with [`connect`](Self::connect), an `Err(Error::Io(_))` of kind
    /// `ConnectionRefused` (here or from a send) means that nothing listens at the peer's address:
    /// the system answered an earlier datagram with "port unreachable". The client stays usable.
    pub fn recv(
        &mut self,
        timeout: Option<Duration>,
    ) -> Result<Option<(Packet<'_>, SocketAddr)>, Error> {
        let config = self.decode;
        match self.recv_raw(timeout)? {
            Some((bytes, from)) => Ok(Some((config.decode(bytes)?, from))),
            None => Ok(None),
        }
    }
}

/// Room for the replies that handlers write to one received packet, in the clients that dispatch
/// ([`DispatchClient`], [`StreamConnection::handle_one`](crate::StreamConnection::handle_one)).
pub(crate) const REPLY_BUFFER_SIZE: usize = 8192;

/// A [`UdpClient`] whose received packets go to a [`Dispatcher`]: python-osc's `DispatchClient`.
///
/// Send requests with [`client`](Self::client) (or the forwarding helpers), then call
/// [`handle_messages`](Self::handle_messages) to dispatch the replies that come back. Handlers
/// see the sender's address (`A = SocketAddr`) and may reply; their replies go back to that
/// sender. Each client owns its own dispatcher (python-osc's is shared by every instance).
/// Bundles are dispatched at once, their timetags shown to the handlers.
///
/// ```
/// use std::time::Duration;
/// use std::net::SocketAddr;
/// use osc_core::{Arg, Dispatcher, HandlerFn};
/// use osc_std::{DispatchClient, UdpClient};
///
/// // A fake server that answers one request.
/// let mut server = UdpClient::bind("127.0.0.1:0")?;
///
/// let mut d: Dispatcher<HandlerFn<Vec<i32>, SocketAddr>, 4> = Dispatcher::new();
/// d.map("/volume", |seen, req, _| seen.push(req.message.get::<(i32,)>().unwrap().0)).unwrap();
/// let mut client = DispatchClient::new(UdpClient::connect(server.local_addr()?)?, d);
/// client.send_message("/get/volume", &[])?;
///
/// let (_, from) = server.recv(Some(Duration::from_secs(5)))?.unwrap();
/// server.send_message_to("/volume", &[Arg::Int(7)], from)?;
///
/// let mut seen = Vec::new();
/// let handled = client.handle_messages(&mut seen, Some(Duration::from_millis(200)))?;
/// assert_eq!((handled, seen), (1, vec![7]));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct DispatchClient<'r, H, const N: usize> {
    client: UdpClient,
    dispatcher: Dispatcher<'r, H, N>,
    reply_buf: Box<[u8]>,
}

impl<'r, H, const N: usize> DispatchClient<'r, H, N> {
    /// Joins a client and a dispatcher (replies of up to 8 KiB per received packet).
    pub fn new(client: UdpClient, dispatcher: Dispatcher<'r, H, N>) -> Self {
        Self {
            client,
            dispatcher,
            reply_buf: vec![0u8; REPLY_BUFFER_SIZE].into_boxed_slice(),
        }
    }

    /// The client, for sending.
    pub fn client(&mut self) -> &mut UdpClient {
        &mut self.client
    }

    /// The dispatcher, e.g. to add routes.
    pub fn dispatcher(&mut self) -> &mut Dispatcher<'r, H, N> {
        &mut self.dispatcher
    }

    /// Sends the message `address args…` to the connected remote.
    pub fn send_message(&mut self, address: &str, args: &[Arg<'_>]) -> Result<usize, Error> {
        self.client.send_message(address, args)
    }

    /// Sends a packet to the connected remote.
    pub fn send(&mut self, packet: &Packet<'_>) -> Result<usize, Error> {
        self.client.send(packet)
    }

    /// Receives at most one packet (waiting up to `timeout`) and dispatches it; returns whether one
    /// was dispatched. A malformed datagram is `Err(Error::Decode(_))`.
    pub fn handle_one<C>(&mut self, ctx: &mut C, timeout: Option<Duration>) -> Result<bool, Error>
    where
        H: Handler<C, SocketAddr>,
    {
        let Self {
            client,
            dispatcher,
            reply_buf,
        } = self;
        let config = client.decode;
        let Some((bytes, from)) = client.recv_raw(timeout)? else {
            return Ok(false);
        };
        let packet = config.decode(bytes)?;
        let mut replies = Replies::new(reply_buf);
        dispatcher.dispatch(&packet, ctx, &from, &mut replies);
        // A connected socket sends with `send`: BSD and macOS refuse `send_to` on one.
        let connected = !replies.is_empty() && client.socket.peer_addr().is_ok();
        for reply in replies.iter() {
            if connected {
                client.socket.send(reply)?;
            } else {
                client.socket.send_to(reply, from)?;
            }
        }
        Ok(true)
    }

    /// Dispatches received packets until none arrives for `timeout` (python-osc's
    /// `handle_messages`); returns how many were dispatched. Malformed datagrams are skipped.
    ///
    /// With `timeout = None` this only returns on an I/O error.
    pub fn handle_messages<C>(
        &mut self,
        ctx: &mut C,
        timeout: Option<Duration>,
    ) -> Result<usize, Error>
    where
        H: Handler<C, SocketAddr>,
    {
        let mut handled = 0;
        loop {
            match self.handle_one(ctx, timeout) {
                Ok(true) => handled += 1,
                Ok(false) => return Ok(handled),
                Err(Error::Decode(_)) => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// Splits into the client and the dispatcher.
    pub fn into_parts(self) -> (UdpClient, Dispatcher<'r, H, N>) {
        (self.client, self.dispatcher)
    }
}
