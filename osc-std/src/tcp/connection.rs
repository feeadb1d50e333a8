//! [`TcpConnection`]: one framed OSC stream over TCP.

use std::io::{self, Read, Write};
use std::net::{Shutdown as NetShutdown, SocketAddr, TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

use osc_core::{Arg, DecodeConfig, Message, Packet};

use crate::error::Error;
use crate::framing::{frame_packet, FrameReader, Framing};
use crate::sock::{is_timeout, ReadTimeout, TimeoutSocket};

/// Default largest frame a connection or a TCP server accepts: 64 KiB.
pub const DEFAULT_MAX_FRAME: usize = 65_536;

/// The largest `max_frame_size` accepted (512 MiB): below every length a SLIP sender's first byte
/// would announce if read as a length prefix (see [`FramingMode`](crate::FramingMode)).
pub const MAX_FRAME_LIMIT: usize = 512 << 20;

const READ_CHUNK: usize = 16 * 1024;

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
    stream: TcpStream,
    reader: FrameReader,
    packet_buf: Vec<u8>,
    out_buf: Vec<u8>,
    timeout: ReadTimeout,
    decode: DecodeConfig,
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
        Self {
            stream,
            reader: FrameReader::new(framing, READ_CHUNK),
            packet_buf: Vec::new(),
            out_buf: Vec::new(),
            timeout: ReadTimeout::Unknown,
            decode: DecodeConfig::new(),
        }
    }

    /// Sets the largest frame [`recv`](Self::recv) accepts (clamped to 16..=[`MAX_FRAME_LIMIT`]).
    /// A partly received frame is dropped.
    pub fn set_max_frame_size(&mut self, max: usize) {
        self.reader.set_max_frame(max);
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
        &self.stream
    }

    /// The remote address.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.stream.peer_addr()
    }

    /// The local address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.stream.local_addr()
    }

    /// Closes both directions; the peer sees the end of the stream.
    pub fn shutdown(&self) -> io::Result<()> {
        self.stream.shutdown(NetShutdown::Both)
    }

    /// Writes all of `bytes`, leaving non-blocking mode (set by a `recv` with a zero timeout) first.
    fn write_frame(
        stream: &mut TcpStream,
        timeout: &mut ReadTimeout,
        bytes: &[u8],
    ) -> io::Result<()> {
        if *timeout == ReadTimeout::Poll {
            TimeoutSocket::set_nonblocking(stream, false)?;
            *timeout = ReadTimeout::Unknown;
        }
        stream.write_all(bytes)
    }

    /// Sends one packet, framed; returns the number of bytes written.
    pub fn send(&mut self, packet: &Packet<'_>) -> Result<usize, Error> {
        let framed = frame_packet(
            self.reader.framing(),
            packet,
            &mut self.packet_buf,
            &mut self.out_buf,
        )?;
        let len = framed.len();
        Self::write_frame(&mut self.stream, &mut self.timeout, framed)?;
        Ok(len)
    }

    /// Sends the message `address args…`.
    pub fn send_message(&mut self, address: &str, args: &[Arg<'_>]) -> Result<usize, Error> {
        self.send(&Packet::Message(Message::new(address, args)))
    }

    /// Frames the bytes of one packet as they are (they need not be valid OSC) and sends them;
    /// returns the number of bytes written.
    pub fn send_raw(&mut self, packet_bytes: &[u8]) -> Result<usize, Error> {
        let framed = self
            .reader
            .framing()
            .encode(packet_bytes, &mut self.out_buf)?;
        let len = framed.len();
        Self::write_frame(&mut self.stream, &mut self.timeout, framed)?;
        Ok(len)
    }

    /// Writes bytes to the stream as they are, without framing (e.g. to test a peer's decoder).
    pub fn write_unframed(&mut self, bytes: &[u8]) -> Result<(), Error> {
        Self::write_frame(&mut self.stream, &mut self.timeout, bytes)?;
        Ok(())
    }

    /// Waits for the next frame and returns its payload, without decoding it as OSC.
    ///
    /// `timeout` bounds the whole wait (`None`: for ever; `Some(Duration::ZERO)`: only bytes
    /// already received). Returns `Ok(None)` when it runs out (a partly received frame is kept for
    /// the next call), `Err(Error::Closed)` at the end of the stream, `Err(Error::Frame(_))` for
    /// a frame that cannot be delivered; after that error the next call goes on with the next
    /// frame.
    pub fn recv_raw(&mut self, timeout: Option<Duration>) -> Result<Option<&[u8]>, Error> {
        let deadline = timeout.map(|t| Instant::now().checked_add(t));
        loop {
            match self.reader.next_frame() {
                Some(Ok(())) => return Ok(Some(self.reader.frame())),
                Some(Err(e)) => return Err(Error::Frame(e)),
                None => {}
            }
            let wait = match deadline {
                None => None,
                // A deadline past `Instant`'s range: wait for ever.
                Some(None) => None,
                Some(Some(at)) => Some(at.saturating_duration_since(Instant::now())),
            };
            self.timeout.apply(&self.stream, wait)?;
            match self.stream.read(self.reader.space()) {
                Ok(0) => return Err(Error::Closed),
                Ok(n) => self.reader.filled(n),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if is_timeout(&e) => return Ok(None),
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// Waits for the next packet; like [`recv_raw`](Self::recv_raw), and a frame that is not a
    /// valid OSC packet is `Err(Error::Decode(_))` (the next call goes on). The packet borrows the
    /// connection's buffer until the next call.
    pub fn recv(&mut self, timeout: Option<Duration>) -> Result<Option<Packet<'_>>, Error> {
        let config = self.decode;
        match self.recv_raw(timeout)? {
            Some(frame) => Ok(Some(config.decode(frame)?)),
            None => Ok(None),
        }
    }

    /// Whether a frame has been partly received (at the end of a stream: the peer stopped mid-frame).
    pub fn has_partial_frame(&self) -> bool {
        self.reader.has_partial_frame()
    }
}
