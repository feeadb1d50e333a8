//! The error type and the counters shared by every endpoint.

use core::convert::Infallible;
use core::fmt;

use osc_core::{DecodeError, EncodeError, FrameError};

/// Why an endpoint operation failed.
///
/// `E` is the transport's own error: `embedded_io::ErrorType::Error` for streams, [`Infallible`] for the
/// smoltcp and embassy-net sockets (their few failure modes have variants here).
///
/// Decode and frame errors concern one packet only: the endpoint has already dropped it (and a stream
/// decoder has resynchronised), so keep polling.
///
/// ```
/// use osc_embedded::Error;
/// use osc_embedded::osc_core::FrameError;
///
/// let e: Error = Error::Frame(FrameError::NegativeLength);
/// assert_eq!(e.to_string(), "framing: negative length in frame header");
/// assert!(e.is_packet_error());
/// assert!(!Error::<()>::Closed.is_packet_error());
/// ```
#[non_exhaustive]
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Error<E = Infallible> {
    /// A received packet is not valid OSC.
    Decode(DecodeError),
    /// A packet could not be encoded (e.g. the endpoint's buffer is too small for it).
    Encode(EncodeError),
    /// A stream frame was dropped (too long, bad SLIP escape, negative length header).
    Frame(FrameError),
    /// The transport failed.
    Io(E),
    /// The socket's send buffer has no room for the packet now; nothing was sent.
    SendBufferFull,
    /// The packet can never fit the socket's send buffer.
    TooLargeForSocket,
    /// The socket cannot send to that endpoint (unbound socket, unspecified address or port 0).
    Unaddressable,
    /// The stream ended or the connection is not open.
    Closed,
}

impl<E> Error<E> {
    /// Whether the error concerns one received packet only ([`Decode`](Self::Decode),
    /// [`Frame`](Self::Frame)): the endpoint is fine and the next packet can be read.
    pub fn is_packet_error(&self) -> bool {
        matches!(self, Self::Decode(_) | Self::Frame(_))
    }
}

impl<E> From<DecodeError> for Error<E> {
    fn from(e: DecodeError) -> Self {
        Self::Decode(e)
    }
}

impl<E> From<EncodeError> for Error<E> {
    fn from(e: EncodeError) -> Self {
        Self::Encode(e)
    }
}

impl<E> From<FrameError> for Error<E> {
    fn from(e: FrameError) -> Self {
        Self::Frame(e)
    }
}

impl<E: fmt::Debug> fmt::Display for Error<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Decode(e) => write!(f, "decode: {e}"),
            Self::Encode(e) => write!(f, "encode: {e}"),
            Self::Frame(e) => write!(f, "framing: {e}"),
            Self::Io(e) => write!(f, "transport: {e:?}"),
            Self::SendBufferFull => f.write_str("socket send buffer full"),
            Self::TooLargeForSocket => f.write_str("packet larger than the socket send buffer"),
            Self::Unaddressable => f.write_str("destination unaddressable"),
            Self::Closed => f.write_str("stream closed"),
        }
    }
}

impl<E: fmt::Debug> core::error::Error for Error<E> {}

/// Running counters of an endpoint.
///
/// ```
/// let stats = osc_embedded::Stats::default();
/// assert_eq!(stats.packets, 0);
/// ```
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Stats {
    /// Datagrams or frames received.
    pub packets: u32,
    /// Received packets that were not valid OSC.
    pub decode_errors: u32,
    /// Stream frames dropped by the framing decoder.
    pub frame_errors: u32,
    /// Reply packets sent.
    pub replies_sent: u32,
    /// Reply packets that could not be sent (socket buffer full, connection gone, unknown destination).
    pub replies_dropped: u32,
}

impl Stats {
    #[cfg_attr(
        not(any(feature = "smoltcp", feature = "embedded-io")),
        allow(dead_code)
    )]
    pub(crate) fn count(counter: &mut u32) {
        *counter = counter.wrapping_add(1);
    }
}
