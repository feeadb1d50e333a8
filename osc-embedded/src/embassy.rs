//! Async OSC endpoints over [embassy-net](https://docs.rs/embassy-net) 0.9.
//!
//! - UDP: [`UdpEndpoint`] waits for a datagram, decodes it in place (embassy-net's zero-copy
//!   `recv_from_with`), hands it to a [`Service`] and sends the replies to the sender.
//! - TCP: embassy-net's `TcpSocket` is an `embedded_io_async::Read + Write`, so a
//!   [`StreamEndpoint`](crate::stream::StreamEndpoint) drives it with its `*_async` methods
//!   (SLIP or length prefix):
//!
//! ```no_run
//! # async fn serve(stack: embassy_net::Stack<'_>) {
//! use embassy_net::tcp::TcpSocket;
//! use osc_embedded::osc_core::{slip::SlipDecoder, Dispatcher, HandlerFn};
//! use osc_embedded::{stream::StreamEndpoint, Immediate};
//!
//! let mut routes: Dispatcher<HandlerFn<(), ()>, 8> = Dispatcher::new();
//! let (mut rx, mut tx) = ([0u8; 512], [0u8; 512]);
//! let (mut frame_buf, mut out_buf) = ([0u8; 256], [0u8; 256]);
//! loop {
//!     let mut socket = TcpSocket::new(stack, &mut rx, &mut tx);
//!     if socket.accept(9001).await.is_err() {
//!         continue;
//!     }
//!     let mut osc: StreamEndpoint<'_, _> = StreamEndpoint::new(SlipDecoder::new(&mut frame_buf[..]), &mut out_buf);
//!     while let Ok(_) | Err(osc_embedded::Error::Decode(_) | osc_embedded::Error::Frame(_)) =
//!         osc.poll_async(&mut socket, &(), Immediate::new(&mut routes, &mut ())).await
//!     {}
//! }
//! # }
//! ```

use embassy_net::udp::{self, UdpSocket};
use embassy_net::IpEndpoint;
use osc_core::{DecodeConfig, EncodeError, MessageBuilder, Outcome, Packet, Replies};

use crate::error::{Error, Stats};
use crate::framing::next_reply;
use crate::service::Service;

/// An async OSC endpoint over an embassy-net UDP socket. It owns no socket: pass it to each call.
///
/// `buf` holds the replies to one packet and the packets you send.
///
/// ```no_run
/// # async fn run(mut socket: embassy_net::udp::UdpSocket<'_>) {
/// use osc_embedded::embassy::UdpEndpoint;
/// use osc_embedded::osc_core::{Dispatcher, HandlerFn};
/// use osc_embedded::udp::IpEndpoint;
/// use osc_embedded::Immediate;
///
/// let mut routes: Dispatcher<HandlerFn<(), IpEndpoint>, 8> = Dispatcher::new();
/// routes.map("/ping", |_, _, r| { let _ = r.message_with("/pong", |m| Ok(m)); }).map_err(|e| e.kind).unwrap();
/// socket.bind(9000).unwrap();
/// let mut buf = [0u8; 256];
/// let mut osc = UdpEndpoint::new(&mut buf);
/// loop {
///     let _ = osc.poll(&mut socket, Immediate::new(&mut routes, &mut ())).await;
/// }
/// # }
/// ```
#[derive(Debug)]
pub struct UdpEndpoint<'b> {
    buf: &'b mut [u8],
    config: DecodeConfig,
    stats: Stats,
}

impl<'b> UdpEndpoint<'b> {
    /// An endpoint that encodes replies and outgoing packets in `buf`.
    pub fn new(buf: &'b mut [u8]) -> Self {
        Self {
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

    /// Waits for one datagram, hands it to `service`, sends the replies to the sender, then runs and
    /// answers whatever `service` has due.
    ///
    /// # Errors
    ///
    /// [`Error::Decode`] for a datagram that is not OSC (nothing else happened; call again). Replies that
    /// cannot be sent are counted in [`Stats::replies_dropped`].
    pub async fn poll<S: Service<IpEndpoint>>(
        &mut self,
        socket: &mut UdpSocket<'_>,
        mut service: S,
    ) -> Result<Outcome, Error> {
        let config = self.config;
        let mut replies = Replies::new(&mut *self.buf);
        let (decoded, sender) = socket
            .recv_from_with(|data, meta| {
                let outcome = config
                    .decode(data)
                    .map(|p| service.handle(&p, &meta.endpoint, &mut replies));
                (outcome, meta.endpoint)
            })
            .await;
        let len = replies.as_length_prefixed().len();
        Stats::count(&mut self.stats.packets);
        let mut total = decoded.map_err(|e| {
            Stats::count(&mut self.stats.decode_errors);
            Error::Decode(e)
        })?;
        self.send_replies(socket, len, sender).await;
        loop {
            let mut replies = Replies::new(&mut *self.buf);
            let Some((to, outcome)) = service.poll_due(&mut replies) else {
                break;
            };
            total.add(&outcome);
            let len = replies.as_length_prefixed().len();
            self.send_replies(socket, len, to).await;
        }
        Ok(total)
    }

    async fn send_replies(&mut self, socket: &UdpSocket<'_>, len: usize, to: IpEndpoint) {
        let mut rest = self.buf.get(..len).unwrap_or_default();
        while let Some((reply, after)) = next_reply(rest) {
            rest = after;
            match socket.send_to(reply, to).await {
                Ok(()) => Stats::count(&mut self.stats.replies_sent),
                Err(_) => Stats::count(&mut self.stats.replies_dropped),
            }
        }
    }

    /// Encodes `packet` and sends it to `to`, waiting for room in the socket.
    ///
    /// # Errors
    ///
    /// [`Error::Encode`] when it does not fit the endpoint's buffer; [`Error::Unaddressable`] (no route,
    /// unbound socket) or [`Error::TooLargeForSocket`] from the socket.
    pub async fn send(
        &mut self,
        socket: &UdpSocket<'_>,
        packet: &Packet<'_>,
        to: IpEndpoint,
    ) -> Result<(), Error> {
        let n = packet.encode(self.buf)?;
        send_bytes(socket, self.buf.get(..n).unwrap_or_default(), to).await
    }

    /// Builds a message in place and sends it to `to`, waiting for room in the socket.
    ///
    /// # Errors
    ///
    /// As [`send`](Self::send).
    pub async fn send_message<F>(
        &mut self,
        socket: &UdpSocket<'_>,
        to: IpEndpoint,
        address: &str,
        build: F,
    ) -> Result<(), Error>
    where
        F: for<'x> FnOnce(MessageBuilder<'x>) -> Result<MessageBuilder<'x>, EncodeError>,
    {
        let n = build(MessageBuilder::new(self.buf, address)?)?.finish()?;
        send_bytes(socket, self.buf.get(..n).unwrap_or_default(), to).await
    }
}

async fn send_bytes(socket: &UdpSocket<'_>, bytes: &[u8], to: IpEndpoint) -> Result<(), Error> {
    socket.send_to(bytes, to).await.map_err(|e| match e {
        udp::SendError::PacketTooLarge => Error::TooLargeForSocket,
        udp::SendError::NoRoute | udp::SendError::SocketNotBound => Error::Unaddressable,
    })
}

#[cfg(feature = "defmt")]
impl defmt::Format for UdpEndpoint<'_> {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(
            f,
            "embassy::UdpEndpoint {{ buffer: {=usize} bytes, stats: {} }}",
            self.buf.len(),
            self.stats
        );
    }
}
