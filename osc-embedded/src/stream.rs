//! OSC over a byte stream: any [`embedded_io`] `Read + Write` (a UART, USB CDC, a TCP stream) and, with
//! the `embedded-io-async` feature, any `embedded_io_async` one (embassy-net's `TcpSocket`, async UARTs).
//!
//! Packets travel as frames, SLIP (OSC 1.1) or length prefix (OSC 1.0), chosen by the decoder you give
//! [`StreamEndpoint::new`]. Reads may return any number of bytes: a frame split over many reads, or many
//! frames in one read, come out the same. Writing needs no buffer beyond the encoded packet: SLIP escapes
//! are written piece by piece.
//!
//! Blocking semantics follow embedded-io: `read` waits for at least one byte, so
//! [`StreamEndpoint::poll`] waits for one complete frame. On a non-blocking UART, check
//! `embedded_io::ReadReady` before calling it.

use embedded_io::{Read, Write};
use osc_core::{DecodeConfig, Outcome, Packet, Replies};

use crate::error::{Error, Stats};
use crate::framing::{next_reply, Framing};
use crate::service::Service;

/// An OSC endpoint over a byte stream.
///
/// - `framing`: the incoming frame decoder, over a buffer as large as the largest packet accepted;
/// - `buf`: replies to one packet and outgoing packets are encoded here;
/// - `CHUNK`: bytes read from the stream at a time, kept inside the endpoint (bytes after a frame's end
///   stay there for the next call).
///
/// ```
/// use osc_embedded::osc_core::{slip::SlipDecoder, Arg, Message, Packet};
/// use osc_embedded::stream::StreamEndpoint;
///
/// let (mut frame_buf, mut out_buf) = ([0u8; 64], [0u8; 64]);
/// let mut osc: StreamEndpoint<'_, _, 16> = StreamEndpoint::new(SlipDecoder::new(&mut frame_buf[..]), &mut out_buf);
///
/// // Write a packet into a byte sink (here a slice; a UART in real life)...
/// let mut wire = [0u8; 32];
/// let mut sink = &mut wire[..];
/// osc.send(&mut sink, &Packet::Message(Message::new("/x", &[Arg::Int(0xC0)]))).unwrap();
/// let written = 32 - sink.len();
///
/// // ...and read it back from a byte source.
/// let mut source = &wire[..written];
/// let value = osc.read_packet_with(&mut source, |p| p.into_message().and_then(|m| m.get::<(i32,)>().ok()));
/// assert_eq!(value, Ok(Some((0xC0,))));
/// ```
#[derive(Debug)]
pub struct StreamEndpoint<'b, F, const CHUNK: usize = 64> {
    rx: Rx<F, CHUNK>,
    buf: &'b mut [u8],
    config: DecodeConfig,
    stats: Stats,
}

#[derive(Debug)]
struct Rx<F, const CHUNK: usize> {
    framing: F,
    chunk: [u8; CHUNK],
    start: usize,
    end: usize,
}

impl<F: Framing, const CHUNK: usize> Rx<F, CHUNK> {
    /// Feeds buffered bytes until a frame ends (`Some`) or the buffered bytes run out (`None`).
    fn next_frame<T>(
        &mut self,
        f: &mut Option<impl FnOnce(&[u8]) -> T>,
    ) -> Option<Result<T, osc_core::FrameError>> {
        while self.start < self.end {
            let input = self.chunk.get(self.start..self.end).unwrap_or_default();
            let (used, frame) = self.framing.feed_frame(input);
            self.start += used;
            match frame {
                None => {}
                Some(Err(e)) => return Some(Err(e)),
                Some(Ok(bytes)) => return f.take().map(|f| Ok(f(bytes))),
            }
        }
        None
    }

    fn filled(&mut self, n: usize) {
        self.start = 0;
        self.end = n.min(CHUNK);
    }
}

impl<'b, F: Framing, const CHUNK: usize> StreamEndpoint<'b, F, CHUNK> {
    const CHUNK_IS_NOT_EMPTY: () = assert!(CHUNK > 0, "a StreamEndpoint needs CHUNK > 0");

    /// An endpoint that decodes frames with `framing` and encodes into `buf`.
    pub fn new(framing: F, buf: &'b mut [u8]) -> Self {
        let () = Self::CHUNK_IS_NOT_EMPTY;
        Self {
            rx: Rx {
                framing,
                chunk: [0; CHUNK],
                start: 0,
                end: 0,
            },
            buf,
            config: DecodeConfig::new(),
            stats: Stats::default(),
        }
    }

    /// Uses `config` to decode received packets.
    #[must_use]
    pub fn with_decode_config(mut self, config: DecodeConfig) -> Self {
        self.config = config;
        self
    }

    /// The counters so far.
    pub fn stats(&self) -> Stats {
        self.stats
    }

    /// Forgets buffered input and any partial frame (e.g. when the peer reconnects).
    pub fn reset(&mut self) {
        self.rx.framing.reset_frame();
        self.rx.start = 0;
        self.rx.end = 0;
    }

    /// Reads until one frame is complete and returns `f(frame bytes)`. Blocks as `io.read` does.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] from the stream, [`Error::Closed`] at end of stream, [`Error::Frame`] for a dropped
    /// frame (the decoder has resynchronised: call again for the next one).
    pub fn read_frame_with<R: Read, T>(
        &mut self,
        io: &mut R,
        f: impl FnOnce(&[u8]) -> T,
    ) -> Result<T, Error<R::Error>> {
        let mut f = Some(f);
        loop {
            match self.rx.next_frame(&mut f) {
                Some(Ok(t)) => return Ok(t),
                Some(Err(e)) => {
                    Stats::count(&mut self.stats.frame_errors);
                    return Err(Error::Frame(e));
                }
                None => {}
            }
            let n = io.read(&mut self.rx.chunk).map_err(Error::Io)?;
            if n == 0 {
                return Err(Error::Closed);
            }
            self.rx.filled(n);
        }
    }

    /// Reads and decodes one packet and returns `f(packet)`. Blocks as `io.read` does.
    ///
    /// # Errors
    ///
    /// As [`read_frame_with`](Self::read_frame_with), plus [`Error::Decode`] for a frame that is not
    /// valid OSC.
    pub fn read_packet_with<R: Read, T>(
        &mut self,
        io: &mut R,
        f: impl FnOnce(Packet<'_>) -> T,
    ) -> Result<T, Error<R::Error>> {
        let config = self.config;
        let decoded = self.read_frame_with(io, |bytes| config.decode(bytes).map(f))?;
        self.count_decoded(decoded)
    }

    /// Reads one packet, hands it to `service` with `peer` as the sender, writes the replies, then
    /// runs and answers whatever `service` has due. Blocks until a frame is complete.
    ///
    /// `peer` identifies the other end to the handlers; use `()` for a serial line.
    ///
    /// ```
    /// use core::convert::Infallible;
    /// use osc_embedded::osc_core::{slip::SlipDecoder, Dispatcher, HandlerFn};
    /// use osc_embedded::{stream::StreamEndpoint, Error, Immediate};
    ///
    /// /// A serial line: what the host sent, and what we write back.
    /// struct Line { rx: &'static [u8], tx: Vec<u8> }
    /// impl embedded_io::ErrorType for Line { type Error = Infallible; }
    /// impl embedded_io::Read for Line {
    ///     fn read(&mut self, buf: &mut [u8]) -> Result<usize, Infallible> { self.rx.read(buf) }
    /// }
    /// impl embedded_io::Write for Line {
    ///     fn write(&mut self, buf: &[u8]) -> Result<usize, Infallible> { self.tx.extend_from_slice(buf); Ok(buf.len()) }
    ///     fn flush(&mut self) -> Result<(), Infallible> { Ok(()) }
    /// }
    ///
    /// let mut routes: Dispatcher<HandlerFn<(), ()>, 4> = Dispatcher::new();
    /// routes.map("/ping", |_, _, r| { let _ = r.message_with("/pong", |m| Ok(m)); }).map_err(|e| e.kind).unwrap();
    ///
    /// // "/ping" as a SLIP frame, arriving on the line.
    /// let mut line = Line { rx: b"\xC0/ping\0\0\0,\0\0\0\xC0", tx: Vec::new() };
    /// let (mut frame_buf, mut out_buf) = ([0u8; 64], [0u8; 64]);
    /// let mut osc: StreamEndpoint<'_, _> = StreamEndpoint::new(SlipDecoder::new(&mut frame_buf[..]), &mut out_buf);
    ///
    /// let outcome = osc.poll(&mut line, &(), Immediate::new(&mut routes, &mut ())).unwrap();
    /// assert_eq!(outcome.handler_calls, 1);
    /// assert_eq!(line.tx, b"\xC0/pong\0\0\0,\0\0\0\xC0");
    /// // The line has nothing more: end of stream.
    /// assert_eq!(osc.poll(&mut line, &(), Immediate::new(&mut routes, &mut ())), Err(Error::Closed));
    /// ```
    ///
    /// # Errors
    ///
    /// As [`read_packet_with`](Self::read_packet_with); replies that cannot be encoded are counted in
    /// [`Stats::replies_dropped`] by the handler's [`Replies`], write failures are [`Error::Io`].
    pub fn poll<IO: Read + Write, A, S: Service<A>>(
        &mut self,
        io: &mut IO,
        peer: &A,
        mut service: S,
    ) -> Result<Outcome, Error<IO::Error>> {
        let Self {
            rx,
            buf,
            config,
            stats,
        } = self;
        let mut replies = Replies::new(buf);
        let mut f = Some(|bytes: &[u8]| {
            config
                .decode(bytes)
                .map(|p| service.handle(&p, peer, &mut replies))
        });
        let decoded = loop {
            match rx.next_frame(&mut f) {
                Some(Ok(d)) => break d,
                Some(Err(e)) => {
                    Stats::count(&mut stats.frame_errors);
                    return Err(Error::Frame(e));
                }
                None => {}
            }
            let n = io.read(&mut rx.chunk).map_err(Error::Io)?;
            if n == 0 {
                return Err(Error::Closed);
            }
            rx.filled(n);
        };
        let len = replies.as_length_prefixed().len();
        let mut total = self.count_decoded(decoded)?;
        self.write_replies(io, len)?;
        loop {
            let mut replies = Replies::new(&mut *self.buf);
            let Some((_, outcome)) = service.poll_due(&mut replies) else {
                break;
            };
            total.add(&outcome);
            let len = replies.as_length_prefixed().len();
            self.write_replies(io, len)?;
        }
        Ok(total)
    }

    fn count_decoded<T, E>(
        &mut self,
        decoded: Result<T, osc_core::DecodeError>,
    ) -> Result<T, Error<E>> {
        Stats::count(&mut self.stats.packets);
        decoded.map_err(|e| {
            Stats::count(&mut self.stats.decode_errors);
            Error::Decode(e)
        })
    }

    fn write_replies<W: Write>(&mut self, io: &mut W, len: usize) -> Result<(), Error<W::Error>> {
        let mut rest = self.buf.get(..len).unwrap_or_default();
        while let Some((reply, after)) = next_reply(rest) {
            rest = after;
            write_frame::<F, W>(io, reply)?;
            Stats::count(&mut self.stats.replies_sent);
        }
        io.flush().map_err(Error::Io)
    }

    /// Encodes `packet` into the endpoint's buffer and writes it as one frame.
    ///
    /// # Errors
    ///
    /// [`Error::Encode`] when it does not fit the buffer (nothing is written), [`Error::Io`] from the
    /// stream.
    pub fn send<W: Write>(
        &mut self,
        io: &mut W,
        packet: &Packet<'_>,
    ) -> Result<(), Error<W::Error>> {
        let n = packet.encode(self.buf)?;
        write_frame::<F, W>(io, self.buf.get(..n).unwrap_or_default())?;
        io.flush().map_err(Error::Io)
    }
}

#[cfg(feature = "defmt")]
impl<F, const CHUNK: usize> defmt::Format for StreamEndpoint<'_, F, CHUNK> {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(
            f,
            "StreamEndpoint {{ buffer: {=usize} bytes, read ahead: {=usize}, stats: {} }}",
            self.buf.len(),
            self.rx.end.saturating_sub(self.rx.start),
            self.stats
        );
    }
}

/// Writes an encoded packet to `io` as one frame of framing `F`, piece by piece (no buffer).
///
/// ```
/// use osc_embedded::osc_core::len_prefix::LenPrefixDecoder;
/// use osc_embedded::stream::write_frame;
///
/// let mut wire = [0u8; 16];
/// let mut sink = &mut wire[..];
/// write_frame::<LenPrefixDecoder<[u8; 0]>, _>(&mut sink, b"/a\0\0,\0\0\0")?;
/// assert_eq!(&wire[..12], b"\0\0\0\x08/a\0\0,\0\0\0");
/// # Ok::<(), osc_embedded::Error<embedded_io::SliceWriteError>>(())
/// ```
///
/// # Errors
///
/// [`Error::Frame`] when the framing cannot carry a packet that large, [`Error::Io`] from the stream.
pub fn write_frame<F: Framing, W: Write>(io: &mut W, packet: &[u8]) -> Result<(), Error<W::Error>> {
    let frame = F::frame(packet)?;
    io.write_all(frame.header()).map_err(Error::Io)?;
    for piece in frame.pieces() {
        io.write_all(piece).map_err(Error::Io)?;
    }
    Ok(())
}

#[cfg(feature = "embedded-io-async")]
mod asynch {
    use embedded_io_async::{Read, Write};
    use osc_core::{Outcome, Packet, Replies};

    use super::{next_reply, Error, Framing, Service, Stats, StreamEndpoint};

    impl<F: Framing, const CHUNK: usize> StreamEndpoint<'_, F, CHUNK> {
        /// [`read_frame_with`](Self::read_frame_with) over an `embedded_io_async` stream.
        ///
        /// # Errors
        ///
        /// As [`read_frame_with`](Self::read_frame_with).
        pub async fn read_frame_with_async<R: Read, T>(
            &mut self,
            io: &mut R,
            f: impl FnOnce(&[u8]) -> T,
        ) -> Result<T, Error<R::Error>> {
            let mut f = Some(f);
            loop {
                match self.rx.next_frame(&mut f) {
                    Some(Ok(t)) => return Ok(t),
                    Some(Err(e)) => {
                        Stats::count(&mut self.stats.frame_errors);
                        return Err(Error::Frame(e));
                    }
                    None => {}
                }
                let n = io.read(&mut self.rx.chunk).await.map_err(Error::Io)?;
                if n == 0 {
                    return Err(Error::Closed);
                }
                self.rx.filled(n);
            }
        }

        /// [`read_packet_with`](Self::read_packet_with) over an `embedded_io_async` stream.
        ///
        /// # Errors
        ///
        /// As [`read_packet_with`](Self::read_packet_with).
        pub async fn read_packet_with_async<R: Read, T>(
            &mut self,
            io: &mut R,
            f: impl FnOnce(Packet<'_>) -> T,
        ) -> Result<T, Error<R::Error>> {
            let config = self.config;
            let decoded = self
                .read_frame_with_async(io, |bytes| config.decode(bytes).map(f))
                .await?;
            self.count_decoded(decoded)
        }

        /// [`poll`](Self::poll) over an `embedded_io_async` stream: waits for one packet, dispatches it,
        /// writes the replies, then runs and answers what `service` has due.
        ///
        /// # Errors
        ///
        /// As [`poll`](Self::poll).
        pub async fn poll_async<IO: Read + Write, A, S: Service<A>>(
            &mut self,
            io: &mut IO,
            peer: &A,
            mut service: S,
        ) -> Result<Outcome, Error<IO::Error>> {
            let Self {
                rx,
                buf,
                config,
                stats,
            } = self;
            let mut replies = Replies::new(buf);
            let mut f = Some(|bytes: &[u8]| {
                config
                    .decode(bytes)
                    .map(|p| service.handle(&p, peer, &mut replies))
            });
            let decoded = loop {
                match rx.next_frame(&mut f) {
                    Some(Ok(d)) => break d,
                    Some(Err(e)) => {
                        Stats::count(&mut stats.frame_errors);
                        return Err(Error::Frame(e));
                    }
                    None => {}
                }
                let n = io.read(&mut rx.chunk).await.map_err(Error::Io)?;
                if n == 0 {
                    return Err(Error::Closed);
                }
                rx.filled(n);
            };
            let len = replies.as_length_prefixed().len();
            let mut total = self.count_decoded(decoded)?;
            self.write_replies_async(io, len).await?;
            loop {
                let mut replies = Replies::new(&mut *self.buf);
                let Some((_, outcome)) = service.poll_due(&mut replies) else {
                    break;
                };
                total.add(&outcome);
                let len = replies.as_length_prefixed().len();
                self.write_replies_async(io, len).await?;
            }
            Ok(total)
        }

        async fn write_replies_async<W: Write>(
            &mut self,
            io: &mut W,
            len: usize,
        ) -> Result<(), Error<W::Error>> {
            let mut rest = self.buf.get(..len).unwrap_or_default();
            while let Some((reply, after)) = next_reply(rest) {
                rest = after;
                write_frame_async::<F, W>(io, reply).await?;
                Stats::count(&mut self.stats.replies_sent);
            }
            io.flush().await.map_err(Error::Io)
        }

        /// [`send`](Self::send) over an `embedded_io_async` stream.
        ///
        /// # Errors
        ///
        /// As [`send`](Self::send).
        pub async fn send_async<W: Write>(
            &mut self,
            io: &mut W,
            packet: &Packet<'_>,
        ) -> Result<(), Error<W::Error>> {
            let n = packet.encode(self.buf)?;
            write_frame_async::<F, W>(io, self.buf.get(..n).unwrap_or_default()).await?;
            io.flush().await.map_err(Error::Io)
        }
    }

    /// [`write_frame`](super::write_frame) over an `embedded_io_async` stream.
    ///
    /// # Errors
    ///
    /// As [`write_frame`](super::write_frame).
    pub async fn write_frame_async<F: Framing, W: Write>(
        io: &mut W,
        packet: &[u8],
    ) -> Result<(), Error<W::Error>> {
        let frame = F::frame(packet)?;
        io.write_all(frame.header()).await.map_err(Error::Io)?;
        for piece in frame.pieces() {
            io.write_all(piece).await.map_err(Error::Io)?;
        }
        Ok(())
    }
}

#[cfg(feature = "embedded-io-async")]
pub use asynch::write_frame_async;
