//! OSC over a smoltcp [`udp::Socket`]: one datagram is one packet.
//!
//! [`UdpEndpoint::poll`] takes every datagram waiting in the socket, decodes it in place (zero copy, straight
//! from smoltcp's receive buffer), hands it to a [`Service`] with the sender's [`IpEndpoint`], and sends the
//! replies back to that endpoint. [`UdpEndpoint::send`] and [`UdpEndpoint::send_message`] send packets of your
//! own (as a client, or to push values to a peer).
//!
//! Broadcast and multicast work as smoltcp does them: bind the socket to the port, join the group on the
//! interface (`Interface::join_multicast_group`, smoltcp feature `multicast`), and send to the broadcast or
//! group address. Replies always go to the sender's unicast endpoint, from an address smoltcp picks.

use osc_core::{DecodeConfig, EncodeError, MessageBuilder, Outcome, Packet, Replies};
use smoltcp::socket::udp;
pub use smoltcp::wire::IpEndpoint;

use crate::error::{Error, Stats};
use crate::framing::next_reply;
use crate::service::Service;

/// An OSC endpoint over a smoltcp UDP socket. It owns no socket: pass the socket to each call, so it
/// stays in your `SocketSet`.
///
/// `buf` holds the replies to one packet (all of them, back to back, each with a 4-byte size) and the
/// packets you send; 128 to 512 bytes is typical.
///
/// ```
/// use osc_embedded::osc_core::{Arg, Message, Packet};
/// use osc_embedded::udp::UdpEndpoint;
/// use smoltcp::socket::udp;
/// use smoltcp::wire::{IpAddress, IpEndpoint};
///
/// let (mut rx_meta, mut rx_data) = ([udp::PacketMetadata::EMPTY; 2], [0u8; 256]);
/// let (mut tx_meta, mut tx_data) = ([udp::PacketMetadata::EMPTY; 2], [0u8; 256]);
/// let mut socket = udp::Socket::new(
///     udp::PacketBuffer::new(&mut rx_meta[..], &mut rx_data[..]),
///     udp::PacketBuffer::new(&mut tx_meta[..], &mut tx_data[..]),
/// );
/// socket.bind(57120).unwrap();
///
/// let mut buf = [0u8; 128];
/// let mut osc = UdpEndpoint::new(&mut buf);
/// let synth = IpEndpoint::new(IpAddress::v4(192, 0, 2, 1), 57110);
/// osc.send(&mut socket, &Packet::Message(Message::new("/s_new", &[Arg::String("sine")])), synth)?;
/// osc.send_message(&mut socket, synth, "/n_set", |m| m.int(1000)?.string("freq")?.float(440.0))?;
/// assert_eq!(socket.send_queue(), 24 + 28);
/// # Ok::<(), osc_embedded::Error>(())
/// ```
#[derive(Debug)]
pub struct UdpEndpoint<'b> {
    buf: &'b mut [u8],
    config: DecodeConfig,
    stats: Stats,
    last_error: Option<Error>,
}

impl<'b> UdpEndpoint<'b> {
    /// An endpoint that encodes replies and outgoing packets in `buf`.
    pub fn new(buf: &'b mut [u8]) -> Self {
        Self {
            buf,
            config: DecodeConfig::new(),
            stats: Stats::default(),
            last_error: None,
        }
    }

    /// Uses `config` (strict or tolerant profile, nesting limit) to decode received packets.
    #[must_use]
    pub fn with_decode_config(mut self, config: DecodeConfig) -> Self {
        self.config = config;
        self
    }

    /// The counters so far.
    pub fn stats(&self) -> Stats {
        self.stats
    }

    /// The most recent error met by [`poll`](Self::poll) (a bad datagram, a reply that could not be
    /// sent), taking it.
    pub fn take_last_error(&mut self) -> Option<Error> {
        self.last_error.take()
    }

    /// Handles every datagram waiting in `socket`, then whatever `service` has due
    /// ([`Service::poll_due`]), sending replies to their senders. Returns the summed dispatch outcome.
    ///
    /// Never blocks; call it after each `Interface::poll`. Bad datagrams and replies that do not fit the
    /// socket's send buffer are counted in [`stats`](Self::stats) and dropped.
    pub fn poll<S: Service<IpEndpoint>>(
        &mut self,
        socket: &mut udp::Socket<'_>,
        mut service: S,
    ) -> Outcome {
        let mut total = Outcome::default();
        loop {
            let mut replies = Replies::new(&mut *self.buf);
            let sender = match socket.recv() {
                Ok((data, meta)) => {
                    Stats::count(&mut self.stats.packets);
                    match self.config.decode(data) {
                        Ok(packet) => {
                            total.add(&service.handle(&packet, &meta.endpoint, &mut replies));
                        }
                        Err(e) => {
                            Stats::count(&mut self.stats.decode_errors);
                            self.last_error = Some(Error::Decode(e));
                        }
                    }
                    meta.endpoint
                }
                Err(udp::RecvError::Exhausted | udp::RecvError::Truncated) => break,
            };
            let len = replies.as_length_prefixed().len();
            self.send_replies(socket, len, sender);
        }
        loop {
            let mut replies = Replies::new(&mut *self.buf);
            let Some((to, outcome)) = service.poll_due(&mut replies) else {
                break;
            };
            total.add(&outcome);
            let len = replies.as_length_prefixed().len();
            self.send_replies(socket, len, to);
        }
        total
    }

    fn send_replies(&mut self, socket: &mut udp::Socket<'_>, len: usize, to: IpEndpoint) {
        let mut rest = self.buf.get(..len).unwrap_or_default();
        while let Some((reply, after)) = next_reply(rest) {
            rest = after;
            match socket.send_slice(reply, to) {
                Ok(()) => Stats::count(&mut self.stats.replies_sent),
                Err(e) => {
                    Stats::count(&mut self.stats.replies_dropped);
                    self.last_error = Some(send_error(e));
                }
            }
        }
    }

    /// Encodes `packet` and queues it in `socket` for `to`.
    ///
    /// # Errors
    ///
    /// [`Error::Encode`] when the packet does not fit the endpoint's buffer (or is not valid),
    /// [`Error::SendBufferFull`] or [`Error::Unaddressable`] from the socket. Nothing is queued then.
    pub fn send(
        &mut self,
        socket: &mut udp::Socket<'_>,
        packet: &Packet<'_>,
        to: IpEndpoint,
    ) -> Result<(), Error> {
        let n = packet.encode(self.buf)?;
        self.send_bytes(socket, n, to)
    }

    /// Builds a message in place (see [`MessageBuilder`]) and queues it in `socket` for `to`.
    ///
    /// # Errors
    ///
    /// As [`send`](Self::send).
    pub fn send_message<F>(
        &mut self,
        socket: &mut udp::Socket<'_>,
        to: IpEndpoint,
        address: &str,
        build: F,
    ) -> Result<(), Error>
    where
        F: for<'x> FnOnce(MessageBuilder<'x>) -> Result<MessageBuilder<'x>, EncodeError>,
    {
        let n = build(MessageBuilder::new(self.buf, address)?)?.finish()?;
        self.send_bytes(socket, n, to)
    }

    fn send_bytes(
        &mut self,
        socket: &mut udp::Socket<'_>,
        n: usize,
        to: IpEndpoint,
    ) -> Result<(), Error> {
        let bytes = self.buf.get(..n).unwrap_or_default();
        socket.send_slice(bytes, to).map_err(send_error)
    }
}

fn send_error(e: udp::SendError) -> Error {
    match e {
        udp::SendError::Unaddressable => Error::Unaddressable,
        udp::SendError::BufferFull => Error::SendBufferFull,
    }
}

#[cfg(feature = "defmt")]
impl defmt::Format for UdpEndpoint<'_> {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(
            f,
            "UdpEndpoint {{ buffer: {=usize} bytes, stats: {} }}",
            self.buf.len(),
            self.stats
        );
    }
}
