//! [`TcpConnection`]: one framed OSC stream over TCP.

use std::io::{self, Read, Write};
use std::net::{Shutdown as NetShutdown, SocketAddr, TcpStream, ToSocketAddrs};
use std::time::Duration;

use osc_core::{Arg, DecodeConfig, Packet};

use crate::error::Error;
use crate::framing::Framing;
use crate::sock::{ReadTimeout, TimeoutSocket};
use crate::stream::{StreamConnection, TimedRead};

/// Default largest frame a connection or a TCP server accepts: 64 KiB.
pub const DEFAULT_MAX_FRAME: usize = 65_536;

/// The largest `max_frame_size` accepted (512 MiB): below every length a SLIP sender's first byte
/// would announce if read as a length prefix (see [`FramingMode`](crate::FramingMode)).
pub const MAX_FRAME_LIMIT: usize = 512 << 20;

/// A TCP connection carrying OSC packets in SLIP or length-prefix frames.
///
/// Received bytes go through osc-core's incremental decoders, so a frame split over many reads
/// and many frames in one read both work; a frame longer than the maximum frame size (64 KiB by
/// default, see [`set_max_frame_size`](Self::set_max_frame_size)) is reported and skipped. The
/// connection's buffers are allocated once and reused.
///
/// ```
/// use std::net::TcpListener;
/// use std::time::Duration;
/// use osc_core::Arg;
/// use osc_std::{Framing, TcpConnection};
///
/// let listener = TcpListener::bind("127.0.0.1:0")?;
/// let mut client = TcpConnection::connect(listener.local_addr()?, Framing::Slip)?;
/// let mut server = TcpConnection::from_stream(listener.accept()?.0, Framing::Slip);
///
/// client.send_message("/mixer/fader/1", &[Arg::Float(0.75)])?;
/// let packet = server.recv(Some(Duration::from_secs(5)))?.expect("a packet");
/// assert_eq!(packet.as_message().unwrap().get::<(f32,)>()?, (0.75,));
///
/// drop(client);
/// assert!(server.recv(Some(Duration::from_secs(5))).unwrap_err().is_closed());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct TcpConnection {
    inner: StreamConnection<TimedTcp>,
}

/// A TCP stream and its read timeout as last set. Reads with a zero timeout put the socket in
/// non-blocking mode, and a write leaves that mode first, so that it is never cut short.
#[derive(Debug)]
struct TimedTcp {
    stream: TcpStream,
    timeout: ReadTimeout,
}

impl Read for TimedTcp {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.stream.read(buf)
    }
}

impl Write for TimedTcp {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.timeout == ReadTimeout::Poll {
            TimeoutSocket::set_nonblocking(&self.stream, false)?;
            self.timeout = ReadTimeout::Unknown;
        }
        self.stream.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.stream.flush()
    }
}

impl TimedRead for TimedTcp {
    fn set_read_timeout(&mut self, timeout: Option<Duration>) -> io::Result<()> {
        self.timeout.apply(&self.stream, timeout)
    }
}

impl TcpConnection {
    /// Connects to `addr` (each resolved address in turn) and turns Nagle's algorithm off, since
    /// OSC packets are small and latency matters.
    pub fn connect(addr: impl ToSocketAddrs, framing: Framing) -> io::Result<Self> {
        Self::connected(TcpStream::connect(addr)?, framing)
    }

    /// [`connect`](Self::connect), giving up on each resolved address after `timeout` (a peer that is
    /// switched off or behind a firewall that drops packets would otherwise take the system's
    /// default, often minutes). The error is that of the last address tried.
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// use osc_std::{Framing, TcpConnection};
    /// let conn = TcpConnection::connect_timeout("192.0.2.7:3032", Framing::Slip, Duration::from_secs(2))?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn connect_timeout(
        addr: impl ToSocketAddrs,
        framing: Framing,
        timeout: Duration,
    ) -> io::Result<Self> {
        let mut last = io::Error::new(io::ErrorKind::InvalidInput, "no address to connect to");
        for a in addr.to_socket_addrs()? {
            match TcpStream::connect_timeout(&a, timeout) {
                Ok(stream) => return Self::connected(stream, framing),
                Err(e) => last = e,
            }
        }
        Err(last)
    }

    /// A stream this side connected, with Nagle's algorithm off.
    fn connected(stream: TcpStream, framing: Framing) -> io::Result<Self> {
        stream.set_nodelay(true)?;
        Ok(Self::from_stream(stream, framing))
    }

    /// Wraps a connected stream (e.g. one from `TcpListener::accept`).
    pub fn from_stream(stream: TcpStream, framing: Framing) -> Self {
        let stream = TimedTcp {
            stream,
            timeout: ReadTimeout::Unknown,
        };
        Self {
            inner: StreamConnection::new(stream, framing),
        }
    }

    /// Sets the largest frame [`recv`](Self::recv) accepts (clamped to 16..=[`MAX_FRAME_LIMIT`]).
    /// A partly received frame is dropped.
    pub fn set_max_frame_size(&mut self, max: usize) {
        self.inner.set_max_frame_size(max);
    }

    /// [`set_max_frame_size`](Self::set_max_frame_size), builder style.
    ///
    /// ```no_run
    /// use osc_std::{Framing, TcpConnection};
    /// let conn = TcpConnection::connect("127.0.0.1:9000", Framing::LengthPrefix)?.with_max_frame_size(1 << 20);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn with_max_frame_size(mut self, max: usize) -> Self {
        self.set_max_frame_size(max);
        self
    }

    /// The largest frame accepted.
    pub fn max_frame_size(&self) -> usize {
        self.inner.max_frame_size()
    }

    /// Uses `config` to decode received packets (default: the tolerant profile).
    pub fn set_decode_config(&mut self, config: DecodeConfig) {
        self.inner.set_decode_config(config);
    }

    /// The framing used both ways.
    pub fn framing(&self) -> Framing {
        self.inner.framing()
    }

    /// The underlying stream.
    pub fn stream(&self) -> &TcpStream {
        &self.inner.get_ref().stream
    }

    /// The remote address.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.stream().peer_addr()
    }

    /// The local address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.stream().local_addr()
    }

    /// Closes both directions; the peer sees the end of the stream.
    pub fn shutdown(&self) -> io::Result<()> {
        self.stream().shutdown(NetShutdown::Both)
    }

    /// Sends one packet, framed; returns the number of bytes written.
    pub fn send(&mut self, packet: &Packet<'_>) -> Result<usize, Error> {
        self.inner.send(packet)
    }

    /// Sends the message `address args…`.
    pub fn send_message(&mut self, address: &str, args: &[Arg<'_>]) -> Result<usize, Error> {
        self.inner.send_message(address, args)
    }

    /// Frames the bytes of one packet as they are (they need not be valid OSC) and sends them;
    /// returns the number of bytes written.
    pub fn send_raw(&mut self, packet_bytes: &[u8]) -> Result<usize, Error> {
        self.inner.send_raw(packet_bytes)
    }

    /// Writes bytes to the stream as they are, without framing (e.g. to test a peer's decoder).
    pub fn write_unframed(&mut self, bytes: &[u8]) -> Result<(), Error> {
        self.inner.write_unframed(bytes)
    }

    /// Waits for the next frame and returns its payload, without decoding it as OSC.
    ///
    /// `timeout` bounds the whole wait (`None`: for ever; `Some(Duration::ZERO)`: only bytes
    /// already received). Returns `Ok(None)` when it runs out (a partly received frame is kept for
    /// the next call), `Err(Error::Closed)` at the end of the stream, `Err(Error::Frame(_))` for
    /// a frame that cannot be delivered; after that error the next call goes on with the next
    /// frame.
    pub fn recv_raw(&mut self, timeout: Option<Duration>) -> Result<Option<&[u8]>, Error> {
        self.inner.recv_raw_timeout(timeout)
    }

    /// Waits for the next packet; like [`recv_raw`](Self::recv_raw), and a frame that is not a
    /// valid OSC packet is `Err(Error::Decode(_))` (the next call goes on). The packet borrows the
    /// connection's buffer until the next call.
    pub fn recv(&mut self, timeout: Option<Duration>) -> Result<Option<Packet<'_>>, Error> {
        self.inner.recv_timeout(timeout)
    }

    /// Whether a frame has been partly received (at the end of a stream: the peer stopped mid-frame).
    pub fn has_partial_frame(&self) -> bool {
        self.inner.has_partial_frame()
    }
}
