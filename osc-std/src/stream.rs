//! [`StreamConnection`]: OSC packets in SLIP or length-prefix frames over any byte stream (a serial
//! port, a Unix socket, a pipe, a child process's stdin and stdout), and [`TimedRead`] for streams
//! whose reads can be given a time limit.
//!
//! [`TcpConnection`](crate::TcpConnection) is this over TCP, with TCP's own setup; serial ports get
//! theirs in the `serial` module (feature `serial`).

use std::io::{self, Read, Write};
use std::time::{Duration, Instant};

use osc_core::{Arg, DecodeConfig, Dispatcher, Handler, Message, Packet, Replies};

use crate::error::Error;
use crate::framing::{frame_packet, FrameReader, Framing};
use crate::sock::is_timeout;

/// Bytes asked of the stream per read.
const READ_CHUNK: usize = 16 * 1024;

/// Room for the replies a handler writes to one received packet in
/// [`StreamConnection::handle_one`].
const REPLY_BUFFER: usize = 8192;

/// A byte stream whose reads can be given a time limit, for
/// [`StreamConnection::recv_timeout`].
///
/// Implemented for serial ports (feature `serial`); implement it for your own stream to bound
/// the waits of a [`StreamConnection`] over it.
///
/// ```
/// use std::io::{self, Read};
/// use std::time::Duration;
/// use osc_std::stream::TimedRead;
///
/// /// A stream that never has data: every read times out.
/// struct Silent;
/// impl Read for Silent {
///     fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
///         Err(io::ErrorKind::TimedOut.into())
///     }
/// }
/// impl TimedRead for Silent {
///     fn set_read_timeout(&mut self, _: Option<Duration>) -> io::Result<()> {
///         Ok(())
///     }
/// }
/// ```
pub trait TimedRead: Read {
    /// Bounds the reads that follow: `None` waits until data arrives, `Some(Duration::ZERO)` takes
    /// only what is already there. A read that runs out of time fails with
    /// [`io::ErrorKind::TimedOut`] or [`io::ErrorKind::WouldBlock`].
    ///
    /// A stream that cannot wait for ever may treat `None` as a long timeout: the connection
    /// reads again when such a read times out.
    fn set_read_timeout(&mut self, timeout: Option<Duration>) -> io::Result<()>;
}

impl<T: TimedRead + ?Sized> TimedRead for Box<T> {
    fn set_read_timeout(&mut self, timeout: Option<Duration>) -> io::Result<()> {
        (**self).set_read_timeout(timeout)
    }
}

/// A byte stream carrying OSC packets in SLIP ([`Framing::Slip`], OSC 1.1) or length-prefix
/// ([`Framing::LengthPrefix`], OSC 1.0) frames: any `Read + Write`, such as a serial port
/// (the `serial` module, feature `serial`), a Unix socket or a child process's pipes.
///
/// Received bytes go through osc-core's incremental decoders, so a frame split over many reads
/// and many frames in one read both work; a frame longer than the maximum frame size (64 KiB by
/// default) or with a bad SLIP escape is reported and skipped, and the frame after it is
/// delivered. Each sent packet is written whole and the stream flushed. The buffers are
/// allocated once and reused.
///
/// How long a receive waits is the stream's business: [`recv`](Self::recv) reads with whatever
/// timeout the stream has, and [`recv_timeout`](Self::recv_timeout) sets one for streams that
/// implement [`TimedRead`].
///
/// ```
/// # #[cfg(unix)] {
/// use std::os::unix::net::UnixStream;
/// use osc_core::Arg;
/// use osc_std::{Framing, StreamConnection};
///
/// let (a, b) = UnixStream::pair()?;
/// let mut host = StreamConnection::new(a, Framing::Slip);
/// let mut device = StreamConnection::new(b, Framing::Slip);
///
/// host.send_message("/led/1", &[Arg::Int(255)])?;
/// let packet = device.recv()?.expect("a packet");
/// assert_eq!(packet.as_message().unwrap().get::<(i32,)>()?, (255,));
///
/// drop(host);
/// assert!(device.recv().unwrap_err().is_closed());
/// # }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct StreamConnection<S> {
    stream: S,
    reader: FrameReader,
    packet_buf: Vec<u8>,
    out_buf: Vec<u8>,
    reply_buf: Vec<u8>,
    decode: DecodeConfig,
}

impl<S> StreamConnection<S> {
    /// Frames OSC packets over `stream`, both ways in `framing`.
    pub fn new(stream: S, framing: Framing) -> Self {
        Self {
            stream,
            reader: FrameReader::new(framing, READ_CHUNK),
            packet_buf: Vec::new(),
            out_buf: Vec::new(),
            reply_buf: Vec::new(),
            decode: DecodeConfig::new(),
        }
    }

    /// Sets the largest frame a receive accepts (clamped to 16..=[`MAX_FRAME_LIMIT`]); a partly
    /// received frame is dropped.
    ///
    /// [`MAX_FRAME_LIMIT`]: crate::tcp::MAX_FRAME_LIMIT
    pub fn set_max_frame_size(&mut self, max: usize) {
        self.reader.set_max_frame(max);
    }

    /// [`set_max_frame_size`](Self::set_max_frame_size), builder style.
    pub fn with_max_frame_size(mut self, max: usize) -> Self {
        self.set_max_frame_size(max);
        self
    }

    /// The largest frame accepted (64 KiB unless set).
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

    /// The stream.
    pub fn get_ref(&self) -> &S {
        &self.stream
    }

    /// The stream, e.g. to change its settings. Reading from it directly loses the bytes to the
    /// connection's decoder.
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.stream
    }

    /// The stream back; bytes received and not yet delivered as a frame are dropped.
    pub fn into_inner(self) -> S {
        self.stream
    }

    /// Whether a frame has been partly received (at the end of a stream: the peer stopped
    /// mid-frame).
    pub fn has_partial_frame(&self) -> bool {
        self.reader.has_partial_frame()
    }
}

impl<S: Write> StreamConnection<S> {
    /// Sends one packet, framed; returns the number of bytes written.
    pub fn send(&mut self, packet: &Packet<'_>) -> Result<usize, Error> {
        let framed = frame_packet(
            self.reader.framing(),
            packet,
            &mut self.packet_buf,
            &mut self.out_buf,
        )?;
        write_flushed(&mut self.stream, framed)?;
        Ok(framed.len())
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
        write_flushed(&mut self.stream, framed)?;
        Ok(framed.len())
    }

    /// Writes bytes to the stream as they are, without framing (e.g. to test a peer's decoder).
    pub fn write_unframed(&mut self, bytes: &[u8]) -> Result<(), Error> {
        write_flushed(&mut self.stream, bytes)?;
        Ok(())
    }
}

impl<S: Read> StreamConnection<S> {
    /// Reads until the next frame is whole and returns its payload, without decoding it as OSC.
    ///
    /// Each read waits as the stream does (blocking, or up to the stream's own read timeout).
    /// Returns `Ok(None)` when a read times out (a partly received frame is kept for the next
    /// call), `Err(Error::Closed)` at the end of the stream, and `Err(Error::Frame(_))` for a frame
    /// that cannot be delivered; after that error the next call goes on with the next frame.
    pub fn recv_raw(&mut self) -> Result<Option<&[u8]>, Error> {
        self.recv_frame(|_| Ok(false))
    }

    /// Waits for the next packet; like [`recv_raw`](Self::recv_raw), and a frame that is not a
    /// valid OSC packet is `Err(Error::Decode(_))` (the next call goes on). The packet borrows the
    /// connection's buffer until the next call.
    pub fn recv(&mut self) -> Result<Option<Packet<'_>>, Error> {
        let config = self.decode;
        match self.recv_raw()? {
            Some(frame) => Ok(Some(config.decode(frame)?)),
            None => Ok(None),
        }
    }

    /// Reads until a frame is whole; see [`read_frame`].
    pub(crate) fn recv_frame(
        &mut self,
        prepare: impl FnMut(&mut S) -> io::Result<bool>,
    ) -> Result<Option<&[u8]>, Error> {
        read_frame(&mut self.stream, &mut self.reader, prepare)
    }
}

impl<S: TimedRead> StreamConnection<S> {
    /// [`recv_raw`](Self::recv_raw) with a limit on the whole wait: `None` waits for ever,
    /// `Some(Duration::ZERO)` takes only a frame whose bytes have already arrived. Returns
    /// `Ok(None)` when the time is up, keeping a partly received frame for the next call.
    pub fn recv_raw_timeout(&mut self, timeout: Option<Duration>) -> Result<Option<&[u8]>, Error> {
        // `Some(None)`: a deadline past `Instant`'s range, i.e. no limit.
        let deadline = timeout.map(|t| Instant::now().checked_add(t));
        self.recv_frame(|stream| {
            let (wait, retry) = match deadline {
                None | Some(None) => (None, true),
                Some(Some(at)) => (Some(at.saturating_duration_since(Instant::now())), false),
            };
            stream.set_read_timeout(wait)?;
            Ok(retry)
        })
    }

    /// [`recv`](Self::recv) with a limit on the whole wait, as in
    /// [`recv_raw_timeout`](Self::recv_raw_timeout).
    pub fn recv_timeout(&mut self, timeout: Option<Duration>) -> Result<Option<Packet<'_>>, Error> {
        let config = self.decode;
        match self.recv_raw_timeout(timeout)? {
            Some(frame) => Ok(Some(config.decode(frame)?)),
            None => Ok(None),
        }
    }
}

impl<S: Read + Write> StreamConnection<S> {
    /// Receives one packet ([`recv`](Self::recv): as long as the stream waits), dispatches it and
    /// writes the handlers' replies back on the stream; returns whether a packet was dispatched.
    ///
    /// Handlers see `from` as the sender (e.g. the port's name, or `()`). Bundles are dispatched
    /// at once, their timetags shown to the handlers; replies of up to 8 KiB per packet are kept
    /// (a reply that does not fit is dropped, as [`Replies`] does). A frame that is not OSC is
    /// `Err(Error::Decode(_))` and the next call goes on.
    ///
    /// ```
    /// # #[cfg(unix)] {
    /// use std::os::unix::net::UnixStream;
    /// use osc_core::{Arg, Dispatcher, HandlerFn};
    /// use osc_std::{Framing, StreamConnection};
    ///
    /// let mut routes: Dispatcher<HandlerFn<u32, ()>, 4> = Dispatcher::new();
    /// routes.map("/ping", |pings, _, replies| {
    ///     *pings += 1;
    ///     let _ = replies.message("/pong").send();
    /// })?;
    ///
    /// let (a, b) = UnixStream::pair()?;
    /// let (mut host, mut device) = (StreamConnection::new(a, Framing::Slip), StreamConnection::new(b, Framing::Slip));
    /// host.send_message("/ping", &[])?;
    /// let mut pings = 0;
    /// assert!(device.handle_one(&mut routes, &mut pings, &())?);
    /// assert_eq!(host.recv()?.unwrap().as_message().unwrap().address(), "/pong");
    /// assert_eq!(pings, 1);
    /// # }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn handle_one<H, C, A, const N: usize>(
        &mut self,
        dispatcher: &mut Dispatcher<'_, H, N>,
        ctx: &mut C,
        from: &A,
    ) -> Result<bool, Error>
    where
        H: Handler<C, A>,
    {
        if self.reply_buf.len() < REPLY_BUFFER {
            self.reply_buf.resize(REPLY_BUFFER, 0);
        }
        let config = self.decode;
        let Self {
            stream,
            reader,
            out_buf,
            reply_buf,
            ..
        } = self;
        let frame = match read_frame(stream, reader, |_| Ok(false))? {
            Some(frame) => frame,
            None => return Ok(false),
        };
        let packet = config.decode(frame)?;
        let mut replies = Replies::new(reply_buf);
        dispatcher.dispatch(&packet, ctx, from, &mut replies);
        for reply in replies.iter() {
            let framed = reader.framing().encode(reply, out_buf)?;
            write_flushed(stream, framed)?;
        }
        Ok(true)
    }
}

/// Reads from `stream` into `reader` until a frame is whole and returns it. `prepare` runs before
/// each read and says whether a read that times out is tried again (`true`) or ends the wait with
/// `Ok(None)` (`false`). On the parts of a connection, so that a frame can be read while the other
/// buffers are written.
fn read_frame<'r, S: Read>(
    stream: &mut S,
    reader: &'r mut FrameReader,
    mut prepare: impl FnMut(&mut S) -> io::Result<bool>,
) -> Result<Option<&'r [u8]>, Error> {
    loop {
        match reader.next_frame() {
            Some(Ok(())) => return Ok(Some(reader.frame())),
            Some(Err(e)) => return Err(Error::Frame(e)),
            None => {}
        }
        let retry = prepare(stream)?;
        match stream.read(reader.space()) {
            // A serial port whose far end hung up (a pseudo-terminal's, a USB device's) fails
            // reads with `BrokenPipe`: that is its end of the stream.
            Ok(0) => return Err(Error::Closed),
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return Err(Error::Closed),
            Ok(n) => reader.filled(n),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) if is_timeout(&e) => {
                if !retry {
                    return Ok(None);
                }
            }
            Err(e) => return Err(e.into()),
        }
    }
}

/// Writes all of `bytes` and flushes (a buffered writer or a serial driver may hold them back).
fn write_flushed<S: Write>(stream: &mut S, bytes: &[u8]) -> io::Result<()> {
    stream.write_all(bytes)?;
    stream.flush()
}
