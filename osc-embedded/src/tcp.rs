//! OSC over a smoltcp [`tcp::Socket`], as a server or a client, with SLIP (OSC 1.1) or length-prefix
//! (OSC 1.0) framing.
//!
//! [`TcpEndpoint`] feeds what the socket has received through the framing decoder (osc-core's
//! [`SlipDecoder`](osc_core::slip::SlipDecoder) or [`LenPrefixDecoder`](osc_core::len_prefix::LenPrefixDecoder)),
//! hands each complete packet to a [`Service`] and frames the replies into the socket's send buffer.
//! Replies that do not fit yet stay in the endpoint's buffer and go out on later polls; meanwhile the
//! endpoint stops reading, so TCP flow control slows the peer down instead of replies being lost.
//!
//! Connection handling stays with you, as smoltcp has it:
//!
//! - server: `socket.listen(port)`; when the socket is no longer open, call [`TcpEndpoint::reset`] and
//!   listen again;
//! - client: `socket.connect(iface.context(), remote, local_port)`, then [`TcpEndpoint::send`] and
//!   [`TcpEndpoint::poll`] (the peer's replies reach your service like requests do).
//!
//! The sender handed to the service is the connection's remote [`IpEndpoint`], so one dispatcher can serve
//! UDP and TCP.

use osc_core::{DecodeConfig, Outcome, Packet, Replies};
use smoltcp::socket::tcp;
use smoltcp::wire::IpEndpoint;

use crate::error::{Error, Stats};
use crate::framing::{next_reply, Framing};
use crate::service::Service;

/// An OSC endpoint over a smoltcp TCP socket. It owns no socket: pass the socket to each call.
///
/// `framing` is the incoming frame decoder over a buffer as large as the largest packet you accept;
/// `buf` queues outgoing packets and replies until the socket takes them.
///
/// ```
/// use osc_embedded::osc_core::{slip::SlipDecoder, Message, Packet};
/// use osc_embedded::tcp::TcpEndpoint;
/// use smoltcp::socket::tcp;
///
/// let (mut rx, mut tx) = ([0u8; 256], [0u8; 256]);
/// let mut socket = tcp::Socket::new(tcp::SocketBuffer::new(&mut rx[..]), tcp::SocketBuffer::new(&mut tx[..]));
/// socket.listen(9001).unwrap();
///
/// let (mut frame_buf, mut out_buf) = ([0u8; 128], [0u8; 128]);
/// let mut osc = TcpEndpoint::new(SlipDecoder::new(&mut frame_buf[..]), &mut out_buf);
/// // Not connected yet: a packet waits in the endpoint's buffer.
/// osc.send(&mut socket, &Packet::Message(Message::new("/hello", &[])))?;
/// assert_eq!(osc.queued(), 4 + 12);
/// # Ok::<(), osc_embedded::Error>(())
/// ```
#[derive(Debug)]
pub struct TcpEndpoint<'b, F> {
    framing: F,
    buf: &'b mut [u8],
    /// `buf[sent..queued]` holds size-prefixed packets not yet in the socket.
    sent: usize,
    queued: usize,
    config: DecodeConfig,
    stats: Stats,
    last_error: Option<Error>,
}

impl<'b, F: Framing> TcpEndpoint<'b, F> {
    /// An endpoint that decodes frames with `framing` and queues outgoing packets in `buf`.
    pub fn new(framing: F, buf: &'b mut [u8]) -> Self {
        Self {
            framing,
            buf,
            sent: 0,
            queued: 0,
            config: DecodeConfig::new(),
            stats: Stats::default(),
            last_error: None,
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

    /// The most recent error met by [`poll`](Self::poll), taking it.
    pub fn take_last_error(&mut self) -> Option<Error> {
        self.last_error.take()
    }

    /// Bytes of outgoing packets (with their 4-byte sizes) still waiting for room in the socket.
    pub fn queued(&self) -> usize {
        self.queued - self.sent
    }

    /// Forgets any partial incoming frame and any queued outgoing packets: call it when a connection
    /// ends, before the socket is reused.
    pub fn reset(&mut self) {
        self.framing.reset_frame();
        self.sent = 0;
        self.queued = 0;
    }

    /// Moves queued packets into the socket, whole frames only. Returns whether the queue is empty.
    ///
    /// Packets wait while the connection is being set up (listen, SYN sent or received). Packets that can
    /// never fit the socket's send buffer, or that are queued while the connection is closing or closed,
    /// are dropped and counted.
    pub fn flush(&mut self, socket: &mut tcp::Socket<'_>) -> bool {
        while self.sent < self.queued {
            let region = self.buf.get(self.sent..self.queued).unwrap_or_default();
            let Some((packet, rest)) = next_reply(region) else {
                break;
            };
            let advance = region.len() - rest.len();
            if !socket.may_send() && connecting(socket.state()) {
                return false;
            }
            // `Frame::len` counts the SLIP escapes: once per frame.
            let sized = F::frame(packet).map(|frame| {
                let len = frame.len();
                (frame, len)
            });
            let (frame, len) = match sized {
                Ok((frame, len)) if socket.may_send() && len <= socket.send_capacity() => {
                    (frame, len)
                }
                Ok(_) | Err(_) => {
                    self.last_error = Some(if socket.may_send() {
                        Error::TooLargeForSocket
                    } else {
                        Error::Closed
                    });
                    Stats::count(&mut self.stats.replies_dropped);
                    self.sent += advance;
                    continue;
                }
            };
            if len > socket.send_capacity() - socket.send_queue() {
                return false;
            }
            // There is room for the whole frame, so every slice is taken in full.
            let _ = socket.send_slice(frame.header());
            for piece in frame.pieces() {
                let _ = socket.send_slice(piece);
            }
            Stats::count(&mut self.stats.replies_sent);
            self.sent += advance;
        }
        self.sent = 0;
        self.queued = 0;
        true
    }

    /// Queues `packet` and moves what fits into the socket.
    ///
    /// # Errors
    ///
    /// [`Error::Encode`] when the packet does not fit the free part of the endpoint's buffer (nothing is
    /// queued then).
    pub fn send(&mut self, socket: &mut tcp::Socket<'_>, packet: &Packet<'_>) -> Result<(), Error> {
        if self.sent > 0 {
            self.buf.copy_within(self.sent..self.queued, 0);
            self.queued -= self.sent;
            self.sent = 0;
        }
        let mut replies = Replies::new(self.buf.get_mut(self.queued..).unwrap_or_default());
        replies.send_packet(packet)?;
        self.queued += replies.as_length_prefixed().len();
        self.flush(socket);
        Ok(())
    }

    /// Handles every complete packet the socket has received, then whatever `service` has due, queuing
    /// and sending the replies. Returns the summed dispatch outcome.
    ///
    /// Never blocks. While replies wait for room in the socket, no more input is read. Frames and
    /// packets that are not valid are dropped and counted.
    pub fn poll<S: Service<IpEndpoint>>(
        &mut self,
        socket: &mut tcp::Socket<'_>,
        mut service: S,
    ) -> Outcome {
        let mut total = Outcome::default();
        let Some(peer) = socket.remote_endpoint() else {
            return total;
        };
        while self.flush(socket) && socket.can_recv() {
            let Self {
                framing,
                buf,
                config,
                stats,
                last_error,
                ..
            } = self;
            let mut replies = Replies::new(buf);
            let received = socket.recv(|data| {
                let (used, frame) = framing.feed_frame(data);
                let outcome = match frame {
                    None => None,
                    Some(Err(e)) => {
                        Stats::count(&mut stats.frame_errors);
                        *last_error = Some(Error::Frame(e));
                        None
                    }
                    Some(Ok(bytes)) => {
                        Stats::count(&mut stats.packets);
                        match config.decode(bytes) {
                            Ok(packet) => Some(service.handle(&packet, &peer, &mut replies)),
                            Err(e) => {
                                Stats::count(&mut stats.decode_errors);
                                *last_error = Some(Error::Decode(e));
                                None
                            }
                        }
                    }
                };
                (used, outcome)
            });
            self.queued = replies.as_length_prefixed().len();
            match received {
                Ok(Some(outcome)) => total.add(&outcome),
                Ok(None) => {}
                Err(_) => break,
            }
        }
        while self.flush(socket) {
            let mut replies = Replies::new(&mut *self.buf);
            let Some((to, outcome)) = service.poll_due(&mut replies) else {
                break;
            };
            total.add(&outcome);
            if to == peer {
                self.queued = replies.as_length_prefixed().len();
            } else {
                // Scheduled by an earlier connection: its replies have nowhere to go.
                let dropped = u32::try_from(replies.len()).unwrap_or(u32::MAX);
                self.stats.replies_dropped = self.stats.replies_dropped.wrapping_add(dropped);
            }
        }
        total
    }
}

/// Whether the socket may still become able to send.
fn connecting(state: tcp::State) -> bool {
    matches!(
        state,
        tcp::State::Listen | tcp::State::SynSent | tcp::State::SynReceived
    )
}

#[cfg(feature = "defmt")]
impl<F> defmt::Format for TcpEndpoint<'_, F> {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(
            f,
            "TcpEndpoint {{ buffer: {=usize} bytes, queued: {=usize}, stats: {} }}",
            self.buf.len(),
            self.queued - self.sent,
            self.stats
        );
    }
}
