//! [`Error`]: what can go wrong when sending or receiving OSC over a socket.

use std::fmt;
use std::io;

use osc_core::{DecodeError, EncodeError, FrameError};

/// An error from a client or a connection: I/O, a packet that does not decode or encode, a stream
/// frame that cannot be delivered, or a peer that closed the connection.
///
/// Every variant except [`Io`](Error::Io) leaves the socket usable: after a malformed datagram or
/// frame, the next call receives the next packet.
///
/// ```
/// use osc_std::Error;
///
/// let e = Error::from(std::io::Error::from(std::io::ErrorKind::ConnectionRefused));
/// assert!(matches!(e, Error::Io(_)));
/// assert_eq!(Error::Closed.to_string(), "connection closed by the peer");
/// ```
#[non_exhaustive]
#[derive(Debug)]
pub enum Error {
    /// The operating system reported an error.
    Io(io::Error),
    /// A received datagram or frame is not a valid OSC packet.
    Decode(DecodeError),
    /// A packet could not be encoded (e.g. an address without a leading `/`).
    Encode(EncodeError),
    /// A stream frame could not be delivered (too long, bad SLIP escape, negative length prefix).
    Frame(FrameError),
    /// The peer closed the connection (end of stream).
    Closed,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Io(e) => write!(f, "I/O error: {e}"),
            Self::Decode(e) => write!(f, "malformed packet: {e}"),
            Self::Encode(e) => write!(f, "cannot encode packet: {e}"),
            Self::Frame(e) => write!(f, "bad stream frame: {e}"),
            Self::Closed => f.write_str("connection closed by the peer"),
        }
    }
}

/// The message already includes the inner error's, so `source()` is `None`: a reporter that prints
/// the chain of sources would print it twice. Match the variant to get the inner error.
impl std::error::Error for Error {}

impl From<io::Error> for Error {
    fn from(e: io::Error) -> Self {
        Self::Io(e)
    }
}

impl From<DecodeError> for Error {
    fn from(e: DecodeError) -> Self {
        Self::Decode(e)
    }
}

impl From<EncodeError> for Error {
    fn from(e: EncodeError) -> Self {
        Self::Encode(e)
    }
}

impl From<FrameError> for Error {
    fn from(e: FrameError) -> Self {
        Self::Frame(e)
    }
}

impl From<Error> for io::Error {
    /// Keeps an [`Error::Io`] as it is; the other variants become `InvalidData` (or
    /// `UnexpectedEof` for [`Error::Closed`]) carrying the original error.
    fn from(e: Error) -> Self {
        match e {
            Error::Io(e) => e,
            Error::Closed => io::Error::new(io::ErrorKind::UnexpectedEof, Error::Closed),
            other => io::Error::new(io::ErrorKind::InvalidData, other),
        }
    }
}

impl Error {
    /// Whether the peer closed the connection ([`Error::Closed`]).
    ///
    /// ```
    /// assert!(osc_std::Error::Closed.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        matches!(self, Self::Closed)
    }
}
