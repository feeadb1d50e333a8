//! Socket plumbing shared by the clients and servers.

use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, TcpStream, UdpSocket};
use std::time::Duration;

use osc_core::{EncodeError, Packet};

/// Encodes `packet` into `buf`, grown to the packet's size if it is smaller (and never shrunk, so a
/// client's buffer stops growing at its largest packet); returns the encoded bytes.
pub(crate) fn encode_packet<'b>(
    packet: &Packet<'_>,
    buf: &'b mut Vec<u8>,
) -> Result<&'b [u8], EncodeError> {
    let n = packet.encoded_len();
    if buf.len() < n {
        buf.resize(n, 0);
    }
    let n = packet.encode(buf)?;
    Ok(buf.get(..n).unwrap_or_default())
}

/// The address a client socket for `remote` binds: any interface and an ephemeral port, in the
/// remote's family (IPv4 or IPv6).
pub(crate) fn any_local_for(remote: SocketAddr) -> SocketAddr {
    match remote {
        SocketAddr::V4(_) => (Ipv4Addr::UNSPECIFIED, 0).into(),
        SocketAddr::V6(_) => (Ipv6Addr::UNSPECIFIED, 0).into(),
    }
}

/// Whether an I/O error means "the read timed out" (the kind differs by platform).
pub(crate) fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

/// Whether a receive error on a UDP socket is about an earlier datagram (an ICMP error report)
/// or a signal, and the socket is still fine.
pub(crate) fn is_transient(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::Interrupted
            | io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionReset
    )
}

/// A socket's read timeout as last set, so that it is only changed (a system call) when it differs.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum ReadTimeout {
    /// Not known (a socket from elsewhere).
    Unknown,
    /// Non-blocking mode: only take what is already there.
    Poll,
    /// Blocking with this timeout (`None`: for ever).
    Wait(Option<Duration>),
}

/// The socket operations [`ReadTimeout`] needs.
pub(crate) trait TimeoutSocket {
    fn set_nonblocking(&self, on: bool) -> io::Result<()>;
    fn set_read_timeout(&self, d: Option<Duration>) -> io::Result<()>;
}

impl TimeoutSocket for UdpSocket {
    fn set_nonblocking(&self, on: bool) -> io::Result<()> {
        UdpSocket::set_nonblocking(self, on)
    }
    fn set_read_timeout(&self, d: Option<Duration>) -> io::Result<()> {
        UdpSocket::set_read_timeout(self, d)
    }
}

impl TimeoutSocket for TcpStream {
    fn set_nonblocking(&self, on: bool) -> io::Result<()> {
        TcpStream::set_nonblocking(self, on)
    }
    fn set_read_timeout(&self, d: Option<Duration>) -> io::Result<()> {
        TcpStream::set_read_timeout(self, d)
    }
}

impl ReadTimeout {
    /// Puts `socket` in the state a read with `timeout` needs (`Some(ZERO)`: non-blocking).
    pub(crate) fn apply<S: TimeoutSocket>(
        &mut self,
        socket: &S,
        timeout: Option<Duration>,
    ) -> io::Result<()> {
        let want = match timeout {
            Some(d) if d.is_zero() => Self::Poll,
            other => Self::Wait(other),
        };
        if *self == want {
            return Ok(());
        }
        match want {
            Self::Poll => socket.set_nonblocking(true)?,
            Self::Wait(d) => {
                if !matches!(*self, Self::Wait(_)) {
                    socket.set_nonblocking(false)?;
                }
                socket.set_read_timeout(d)?;
            }
            Self::Unknown => {}
        }
        *self = want;
        Ok(())
    }
}
