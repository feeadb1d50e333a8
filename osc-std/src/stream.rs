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
use crate::framing::{append_frame, frame_packet, FrameReader, Framing};
use crate::sock::is_timeout;
use crate::udp::REPLY_BUFFER_SIZE;

/// Bytes asked of the stream per read.
const READ_CHUNK: usize = 16 * 1024;

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
///
/// let mut conn = osc_std::StreamConnection::new(Silent, osc_std::Framing::Slip);
/// assert!(conn.recv_timeout(Some(Duration::from_millis(10)))?.is_none());
/// # Ok::<(), osc_std::Error>(())
/// ```
pub trait TimedRead: Read {
    /// Bounds the reads that follow: `None` waits until data arrives, `Some(Duration::ZERO)` takes
    /// only what is already there. A read that runs out of time fails with
    /// [`io::ErrorKind::TimedOut`] or [`io::ErrorKind::WouldBlock`].
    ///
    /// A stream that cannot wait for ever may treat `None` as a long timeout: the connection
    /// reads again when such a read times out.
    fn set_read_timeout(&mut self, timeout: Option<Duration>) -> io::Result<()>;

    /// Called when a receive with a time limit ends, however it ends. The default does nothing;
    /// a stream whose writes wait with the read timeout (a serial port) puts back one that cannot
    /// cut the next write short.
    fn end_timed_read(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<T: TimedRead + ?Sized> TimedRead for Box<T> {
    fn set_read_timeout(&mut self, timeout: Option<Duration>) -> io::Result<()> {
        (**self).set_read_timeout(timeout)
    }

    fn end_timed_read(&mut self) -> io::Result<()> {
        (**self).end_timed_read()
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
        read_frame(&mut self.stream, &mut self.reader, |_| Ok(()), |_| false)
    }

    /// Waits for the next packet; like [`recv_raw`](Self::recv_raw), and a frame that is not a
    /// valid OSC packet is `Err(Error::Decode(_))` (the next call goes on). The packet borrows the
    /// connection's buffer until the next call.
    pub fn recv(&mut self) -> Result<Option<Packet<'_>>, Error> {
        let config = self.decode;
        Ok(self
            .recv_raw()?
            .map(|frame| config.decode(frame))
            .transpose()?)
    }
}

impl<S: TimedRead> StreamConnection<S> {
    /// [`recv_raw`](Self::recv_raw) with a limit on the whole wait: `None` waits for ever,
    /// `Some(Duration::ZERO)` takes only a frame whose bytes have already arrived. Returns
    /// `Ok(None)` when the time is up, keeping a partly received frame for the next call.
    pub fn recv_raw_timeout(&mut self, timeout: Option<Duration>) -> Result<Option<&[u8]>, Error> {
        let (before, again) = wait_until(timeout);
        let frame = read_frame(&mut self.stream, &mut self.reader, before, again);
        self.stream.end_timed_read()?;
        frame
    }

    /// [`recv`](Self::recv) with a limit on the whole wait, as in
    /// [`recv_raw_timeout`](Self::recv_raw_timeout).
    pub fn recv_timeout(&mut self, timeout: Option<Duration>) -> Result<Option<Packet<'_>>, Error> {
        let config = self.decode;
        Ok(self
            .recv_raw_timeout(timeout)?
            .map(|frame| config.decode(frame))
            .transpose()?)
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
        self.handle_next(dispatcher, ctx, from, |_| Ok(()), |_| false)
    }

    /// [`handle_one`](Self::handle_one) with the reading policy of [`read_frame`].
    fn handle_next<H, C, A, const N: usize>(
        &mut self,
        dispatcher: &mut Dispatcher<'_, H, N>,
        ctx: &mut C,
        from: &A,
        before: impl FnMut(&mut S) -> io::Result<()>,
        again: impl FnMut(&io::Error) -> bool,
    ) -> Result<bool, Error>
    where
        H: Handler<C, A>,
    {
        if self.reply_buf.len() < REPLY_BUFFER_SIZE {
            self.reply_buf.resize(REPLY_BUFFER_SIZE, 0);
        }
        let config = self.decode;
        let Self {
            stream,
            reader,
            out_buf,
            reply_buf,
            ..
        } = self;
        let Some(frame) = read_frame(stream, reader, before, again)? else {
            return Ok(false);
        };
        let packet = config.decode(frame)?;
        let mut replies = Replies::new(reply_buf);
        dispatcher.dispatch(&packet, ctx, from, &mut replies);
        // All the replies in one write: a serial port's flush waits until they have gone out.
        out_buf.clear();
        for reply in replies.iter() {
            append_frame(reader.framing(), reply, out_buf)?;
        }
        if !out_buf.is_empty() {
            write_flushed(stream, out_buf)?;
        }
        Ok(true)
    }
}

impl<S: TimedRead + Write> StreamConnection<S> {
    /// [`handle_one`](Self::handle_one) with a limit on the wait for the packet, as in
    /// [`recv_raw_timeout`](Self::recv_raw_timeout); `Ok(false)` when the time is up.
    pub fn handle_one_timeout<H, C, A, const N: usize>(
        &mut self,
        dispatcher: &mut Dispatcher<'_, H, N>,
        ctx: &mut C,
        from: &A,
        timeout: Option<Duration>,
    ) -> Result<bool, Error>
    where
        H: Handler<C, A>,
    {
        let (before, again) = wait_until(timeout);
        let handled = self.handle_next(dispatcher, ctx, from, before, again);
        self.stream.end_timed_read()?;
        handled
    }
}

/// The reading policy of a receive that waits at most `timeout` in all (`None`: for ever), for
/// [`read_frame`]: each read gets the time left, and a read that times out early is tried again.
/// `WouldBlock` is a stream in non-blocking mode, with nothing more to wait for.
fn wait_until<S: TimedRead>(
    timeout: Option<Duration>,
) -> (
    impl FnMut(&mut S) -> io::Result<()>,
    impl FnMut(&io::Error) -> bool,
) {
    // `None`: no limit, also for a deadline past `Instant`'s range.
    let deadline = timeout.and_then(|t| Instant::now().checked_add(t));
    let before = move |stream: &mut S| {
        stream.set_read_timeout(deadline.map(|at| at.saturating_duration_since(Instant::now())))
    };
    // A stream may time out before the deadline: one that cannot wait for ever, or that long.
    let again = move |e: &io::Error| {
        e.kind() == io::ErrorKind::TimedOut && deadline.is_none_or(|at| Instant::now() < at)
    };
    (before, again)
}

/// Reads from `stream` into `reader` until a frame is whole and returns it. `before` runs before
/// each read; after a read that times out, `again` says whether to read again (`true`) or to end
/// the wait with `Ok(None)` (`false`). On the parts of a connection, so that a frame can be read
/// while the other buffers are written.
fn read_frame<'r, S: Read>(
    stream: &mut S,
    reader: &'r mut FrameReader,
    mut before: impl FnMut(&mut S) -> io::Result<()>,
    mut again: impl FnMut(&io::Error) -> bool,
) -> Result<Option<&'r [u8]>, Error> {
    loop {
        match reader.next_frame() {
            Some(Ok(())) => return Ok(Some(reader.frame())),
            Some(Err(e)) => return Err(Error::Frame(e)),
            None => {}
        }
        before(stream)?;
        match stream.read(reader.space()) {
            Ok(0) => return Err(Error::Closed),
            // A serial port fails reads with `BrokenPipe` once its far end has hung up (on Unix:
            // a pseudo-terminal's other side closed, a USB device gone): its end of the stream.
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return Err(Error::Closed),
            Ok(n) => reader.filled(n),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) if is_timeout(&e) => {
                if !again(&e) {
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A stream that fails its first `stalls` reads with `stall`, then yields `data`, then ends;
    /// it records the timeouts it was given and whether a timed read ended.
    struct Flaky {
        stalls: usize,
        stall: io::ErrorKind,
        data: Vec<u8>,
        timeouts: Vec<Option<Duration>>,
        ended: usize,
    }

    impl Read for Flaky {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.stalls > 0 {
                self.stalls -= 1;
                return Err(self.stall.into());
            }
            let n = self.data.len().min(buf.len());
            buf[..n].copy_from_slice(&self.data[..n]);
            self.data.drain(..n);
            Ok(n)
        }
    }

    impl TimedRead for Flaky {
        fn set_read_timeout(&mut self, timeout: Option<Duration>) -> io::Result<()> {
            self.timeouts.push(timeout);
            Ok(())
        }

        fn end_timed_read(&mut self) -> io::Result<()> {
            self.ended += 1;
            Ok(())
        }
    }

    fn flaky(stalls: usize, stall: io::ErrorKind) -> StreamConnection<Flaky> {
        let mut data = Vec::new();
        Framing::Slip
            .encode(b"/ok\0,\0\0\0", &mut data)
            .expect("a frame");
        StreamConnection::new(
            Flaky {
                stalls,
                stall,
                data,
                timeouts: Vec::new(),
                ended: 0,
            },
            Framing::Slip,
        )
    }

    #[test]
    fn timeouts_before_the_deadline_are_waited_out() {
        // A stream that cannot wait for ever times out three times; with no limit, the receive
        // reads again each time.
        let mut conn = flaky(3, io::ErrorKind::TimedOut);
        let frame = conn.recv_raw_timeout(None).expect("no error");
        assert_eq!(frame, Some(b"/ok\0,\0\0\0".as_slice()));
        assert_eq!(conn.get_ref().timeouts, [None; 4]);
        assert_eq!(conn.get_ref().ended, 1);

        // With a deadline far ahead, an early timeout is waited out too.
        let mut conn = flaky(2, io::ErrorKind::TimedOut);
        let frame = conn.recv_raw_timeout(Some(Duration::from_secs(3600)));
        assert!(frame.expect("no error").is_some());
    }

    #[test]
    fn the_deadline_and_non_blocking_streams_end_the_wait() {
        let mut conn = flaky(usize::MAX, io::ErrorKind::TimedOut);
        assert!(conn
            .recv_raw_timeout(Some(Duration::ZERO))
            .unwrap()
            .is_none());
        assert_eq!(conn.get_ref().timeouts, [Some(Duration::ZERO)]);
        assert_eq!(conn.get_ref().ended, 1);
        // `WouldBlock`: a non-blocking stream, even with no limit, returns instead of spinning.
        let mut conn = flaky(usize::MAX, io::ErrorKind::WouldBlock);
        assert!(conn.recv_raw_timeout(None).unwrap().is_none());
        assert!(conn.recv_raw().unwrap().is_none());
        // And the frame is there once the stream has it.
        conn.get_mut().stalls = 0;
        assert!(conn.recv_raw().unwrap().is_some());
        assert!(conn.recv_raw().unwrap_err().is_closed());
    }
}
