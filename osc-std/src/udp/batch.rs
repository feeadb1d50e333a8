//! Batched datagram I/O for the blocking receive loop.
//!
//! On Linux and Android one `recvmmsg` call takes up to a batch of datagrams (`MSG_WAITFORONE`:
//! it blocks for the first one only) and one `sendmmsg` call sends a batch of replies. Elsewhere
//! each datagram is one `recv_from` and each reply one `send_to`. Every buffer is allocated when
//! the batch is made; receiving and sending allocate nothing.
//!
//! This module holds the crate's only `unsafe` code: the two system calls and the socket address
//! conversions around them.
#![allow(unsafe_code)]
#![deny(clippy::undocumented_unsafe_blocks)]

use std::io;
use std::net::{SocketAddr, UdpSocket};

use crate::counters::Counters;
use crate::udp::MAX_DATAGRAM;

/// The most datagrams one receive call takes (and replies one send call sends).
pub(crate) const MAX_BATCH: usize = 64;

/// Whether this platform receives and sends several datagrams per system call.
pub(crate) const BATCHED: bool = cfg!(any(target_os = "linux", target_os = "android"));

/// Room for the replies of one receive batch before they are sent (a reply larger than this is
/// sent on its own).
const SEND_BYTES: usize = 64 * 1024;

/// A UDP socket that [`RecvBatch`] receives from: std's (blocking or not, as it is set), and with
/// feature `tokio` tokio's, which never waits.
pub(crate) trait RecvSocket {
    /// The socket's descriptor, for `recvmmsg`.
    #[cfg(any(target_os = "linux", target_os = "android"))]
    fn fd(&self) -> std::os::fd::RawFd;

    /// Receives one datagram, where there is no `recvmmsg`.
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    fn recv_one(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)>;
}

impl RecvSocket for UdpSocket {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    fn fd(&self) -> std::os::fd::RawFd {
        std::os::fd::AsRawFd::as_raw_fd(self)
    }

    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    fn recv_one(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.recv_from(buf)
    }
}

#[cfg(feature = "tokio")]
impl RecvSocket for tokio::net::UdpSocket {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    fn fd(&self) -> std::os::fd::RawFd {
        std::os::fd::AsRawFd::as_raw_fd(self)
    }

    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    fn recv_one(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.try_recv_from(buf)
    }
}

/// Receive buffers for up to `slots` datagrams, each slot [`MAX_DATAGRAM`] bytes, so that no
/// datagram is truncated. The slots are one allocation of zeroed memory, which the system maps
/// page by page as datagrams land in it: a batch of small datagrams touches a page per slot.
pub(crate) struct RecvBatch {
    buf: Box<[u8]>,
    /// How many datagrams the last receive took (their lengths and senders are in `sys`).
    count: usize,
    sys: sys::Headers,
}

impl RecvBatch {
    /// Buffers for `slots` datagrams per receive (clamped to `1..=MAX_BATCH`; 1 where the
    /// platform has no batched receive).
    pub(crate) fn new(slots: usize) -> Self {
        let slots = if BATCHED {
            slots.clamp(1, MAX_BATCH)
        } else {
            1
        };
        Self {
            buf: vec![0u8; slots * MAX_DATAGRAM].into_boxed_slice(),
            count: 0,
            sys: sys::Headers::new(slots),
        }
    }

    /// Waits for a datagram (as the socket's blocking mode and read timeout say) and, where the
    /// platform batches, takes those already queued behind it up to the batch size. Returns how
    /// many it took.
    pub(crate) fn recv(&mut self, socket: &impl RecvSocket) -> io::Result<usize> {
        self.count = 0;
        self.count = self.sys.recv(socket, &mut self.buf)?;
        Ok(self.count)
    }

    /// How many datagrams one receive takes at most.
    #[cfg(feature = "tokio")]
    pub(crate) fn capacity(&self) -> usize {
        self.buf.len() / MAX_DATAGRAM
    }

    /// How many datagrams the last receive took.
    #[cfg(feature = "tokio")]
    pub(crate) fn len(&self) -> usize {
        self.count
    }

    /// Datagram `i` of the last receive: its bytes and its sender. The sender is `None` for an
    /// address family this module does not read (never seen on an IP socket).
    pub(crate) fn get(&self, i: usize) -> Option<(&[u8], Option<&SocketAddr>)> {
        if i >= self.count {
            return None;
        }
        let (len, from) = self.sys.received(i)?;
        let start = i * MAX_DATAGRAM;
        Some((self.buf.get(start..start + len)?, from))
    }

    /// The first slot as a scratch buffer of [`MAX_DATAGRAM`] bytes, for use between receives
    /// (the datagrams of the last receive are forgotten).
    pub(crate) fn scratch(&mut self) -> &mut [u8] {
        self.count = 0;
        self.buf.get_mut(..MAX_DATAGRAM).unwrap_or_default()
    }
}

/// Replies waiting to be sent together, copied into one buffer.
pub(crate) struct SendBatch {
    buf: Box<[u8]>,
    used: usize,
    sys: sys::Headers,
}

impl SendBatch {
    /// Room for `entries` replies (clamped to `1..=MAX_BATCH`) in `SEND_BYTES` bytes.
    pub(crate) fn new(entries: usize) -> Self {
        Self {
            buf: vec![0u8; SEND_BYTES].into_boxed_slice(),
            used: 0,
            sys: sys::Headers::new(entries.clamp(1, MAX_BATCH)),
        }
    }

    /// Queues `packet` for `to`, sending the queue first when it is full. A packet larger than
    /// the queue's buffer is sent at once, after the queue.
    pub(crate) fn push(
        &mut self,
        socket: &UdpSocket,
        packet: &[u8],
        to: SocketAddr,
        counters: &Counters,
    ) {
        if packet.len() > self.buf.len() {
            self.flush(socket, counters);
            match socket.send_to(packet, to) {
                Ok(_) => counters.add_replies(1),
                Err(_) => counters.add_reply_errors(1),
            }
            return;
        }
        if self.sys.is_full() || self.used + packet.len() > self.buf.len() {
            self.flush(socket, counters);
        }
        let start = self.used;
        let end = start + packet.len();
        if let Some(dst) = self.buf.get_mut(start..end) {
            dst.copy_from_slice(packet);
            self.sys.queue(start, packet.len(), to);
            self.used = end;
        }
    }

    /// Sends every queued reply (one `sendmmsg` where the platform has it), counting each as
    /// sent or failed.
    pub(crate) fn flush(&mut self, socket: &UdpSocket, counters: &Counters) {
        if self.sys.is_empty() {
            return;
        }
        let (sent, failed) = self.sys.send(socket, &mut self.buf);
        counters.add_replies(sent);
        counters.add_reply_errors(failed);
        self.used = 0;
    }
}

/// One `recv_from` / `send_to` per datagram, where there is no `recvmmsg` / `sendmmsg`.
#[cfg(not(any(target_os = "linux", target_os = "android")))]
mod sys {
    use std::io;
    use std::net::{SocketAddr, UdpSocket};

    use super::RecvSocket;
    use crate::udp::MAX_DATAGRAM;

    /// The replies queued for sending: (offset, length, destination); and the length and sender of
    /// the datagram last received.
    pub(super) struct Headers {
        queue: Box<[(usize, usize, Option<SocketAddr>)]>,
        queued: usize,
        got: Option<(usize, SocketAddr)>,
    }

    impl Headers {
        pub(super) fn new(entries: usize) -> Self {
            Self {
                queue: vec![(0, 0, None); entries].into_boxed_slice(),
                queued: 0,
                got: None,
            }
        }

        pub(super) fn is_full(&self) -> bool {
            self.queued == self.queue.len()
        }

        pub(super) fn is_empty(&self) -> bool {
            self.queued == 0
        }

        pub(super) fn recv(
            &mut self,
            socket: &impl RecvSocket,
            buf: &mut [u8],
        ) -> io::Result<usize> {
            self.got = None;
            let slot = buf.get_mut(..MAX_DATAGRAM).unwrap_or_default();
            let (len, from) = socket.recv_one(slot)?;
            self.got = Some((len, from));
            Ok(1)
        }

        /// Length and sender of datagram `i` of the last receive.
        pub(super) fn received(&self, i: usize) -> Option<(usize, Option<&SocketAddr>)> {
            match (i, &self.got) {
                (0, Some((len, from))) => Some((*len, Some(from))),
                _ => None,
            }
        }

        pub(super) fn queue(&mut self, offset: usize, len: usize, to: SocketAddr) {
            if let Some(q) = self.queue.get_mut(self.queued) {
                *q = (offset, len, Some(to));
                self.queued += 1;
            }
        }

        pub(super) fn send(&mut self, socket: &UdpSocket, buf: &mut [u8]) -> (u64, u64) {
            let queued = std::mem::take(&mut self.queued);
            let (mut sent, mut failed) = (0, 0);
            for &(offset, len, to) in self.queue.get(..queued).unwrap_or_default() {
                let packet = buf.get(offset..offset + len);
                match (packet, to) {
                    (Some(p), Some(to)) if socket.send_to(p, to).is_ok() => sent += 1,
                    _ => failed += 1,
                }
            }
            (sent, failed)
        }
    }
}

/// `recvmmsg` / `sendmmsg`.
#[cfg(any(target_os = "linux", target_os = "android"))]
mod sys {
    use std::io;
    use std::mem::size_of;
    use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6, UdpSocket};
    use std::os::fd::AsRawFd;
    use std::ptr;

    use libc::{c_int, c_uint, iovec, mmsghdr, sockaddr_in, sockaddr_in6, sockaddr_storage};

    use super::RecvSocket;
    use crate::udp::MAX_DATAGRAM;

    const NAME_LEN: libc::socklen_t = size_of::<sockaddr_storage>() as libc::socklen_t;

    /// The `mmsghdr` array of one batch, with an `iovec` and a socket address for each entry.
    ///
    /// The pointers inside `msgs` and `iovs` point at `iovs`, `names` (heap allocations that do
    /// not move) and the buffer passed to the system call. For receiving they are set up once
    /// per buffer (`recv_slots` remembers which) and only the fields the kernel changes are reset
    /// before each call; for sending they are written before each call.
    pub(super) struct Headers {
        msgs: Box<[mmsghdr]>,
        iovs: Box<[iovec]>,
        names: Box<[sockaddr_storage]>,
        /// The receive buffer the headers point into (address, entries), and how many entries
        /// the last receive filled.
        recv_slots: (*mut u8, usize),
        filled: usize,
        /// The senders of the entries the last receive filled, read from `names`.
        senders: Box<[Option<SocketAddr>]>,
        /// The replies queued for sending: (offset in the send buffer, length).
        spans: Box<[(usize, usize)]>,
        queued: usize,
    }

    // SAFETY: `Headers` holds plain data and raw pointers that only the kernel dereferences,
    // during system calls made with the buffers they point into mutably borrowed; moving it to
    // another thread changes none of that.
    unsafe impl Send for Headers {}

    /// An all-zero C struct.
    fn zeroed<T: Zeroable>() -> T {
        // SAFETY: `T` is one of the libc socket structs below: integers, arrays of integers and
        // raw pointers, for all of which all-zero bytes are a valid value.
        unsafe { std::mem::zeroed() }
    }

    /// The libc structs [`zeroed`] may create.
    trait Zeroable {}
    impl Zeroable for mmsghdr {}
    impl Zeroable for iovec {}
    impl Zeroable for sockaddr_storage {}
    impl Zeroable for sockaddr_in {}
    impl Zeroable for sockaddr_in6 {}

    impl Headers {
        pub(super) fn new(entries: usize) -> Self {
            Self {
                msgs: (0..entries).map(|_| zeroed()).collect(),
                iovs: (0..entries).map(|_| zeroed()).collect(),
                names: (0..entries).map(|_| zeroed()).collect(),
                recv_slots: (ptr::null_mut(), 0),
                filled: 0,
                senders: vec![None; entries].into_boxed_slice(),
                spans: vec![(0, 0); entries].into_boxed_slice(),
                queued: 0,
            }
        }

        pub(super) fn is_full(&self) -> bool {
            self.queued == self.msgs.len()
        }

        pub(super) fn is_empty(&self) -> bool {
            self.queued == 0
        }

        /// Points entry `i` at `len` bytes at `data` and at its address slot.
        fn point(&mut self, i: usize, data: *mut u8, len: usize, name_len: libc::socklen_t) {
            let (Some(msg), Some(iov), Some(name)) = (
                self.msgs.get_mut(i),
                self.iovs.get_mut(i),
                self.names.get_mut(i),
            ) else {
                return;
            };
            iov.iov_base = data.cast();
            iov.iov_len = len;
            msg.msg_hdr.msg_iov = ptr::from_mut(iov);
            msg.msg_hdr.msg_iovlen = 1;
            msg.msg_hdr.msg_name = ptr::from_mut(name).cast();
            msg.msg_hdr.msg_namelen = name_len;
            msg.msg_hdr.msg_control = ptr::null_mut();
            msg.msg_hdr.msg_controllen = 0;
            msg.msg_hdr.msg_flags = 0;
            msg.msg_len = 0;
        }

        /// One `recvmmsg(MSG_WAITFORONE)` into the slots of `buf` (one per entry); returns how many
        /// datagrams it took ([`received`](Self::received) reads their lengths and senders).
        pub(super) fn recv(
            &mut self,
            socket: &impl RecvSocket,
            buf: &mut [u8],
        ) -> io::Result<usize> {
            let entries = self.msgs.len().min(buf.len() / MAX_DATAGRAM);
            if self.recv_slots != (buf.as_mut_ptr(), entries) {
                for (i, slot) in buf.chunks_exact_mut(MAX_DATAGRAM).take(entries).enumerate() {
                    self.point(i, slot.as_mut_ptr(), slot.len(), NAME_LEN);
                }
                self.recv_slots = (buf.as_mut_ptr(), entries);
            } else {
                // The kernel wrote the address lengths of the datagrams it delivered.
                for msg in self.msgs.iter_mut().take(self.filled) {
                    msg.msg_hdr.msg_namelen = NAME_LEN;
                }
            }
            self.filled = 0;
            // SAFETY: the first `entries` headers point at disjoint `MAX_DATAGRAM`-byte slots of
            // `buf` (set up above for this very buffer, which is borrowed mutably for the
            // duration of the call) and at address slots of `names`; the count passed is
            // `entries`; a null timeout is allowed; `socket` is borrowed, so its descriptor stays
            // open for the call.
            let n = unsafe {
                libc::recvmmsg(
                    socket.fd(),
                    self.msgs.as_mut_ptr(),
                    entries as c_uint,
                    libc::MSG_WAITFORONE as _,
                    ptr::null_mut(),
                )
            };
            let n = usize::try_from(n).map_err(|_| io::Error::last_os_error())?;
            self.filled = n.min(entries);
            let filled = self.msgs.iter().zip(self.names.iter());
            for ((msg, name), sender) in filled.zip(self.senders.iter_mut()).take(self.filled) {
                *sender = socket_addr(name, msg.msg_hdr.msg_namelen);
            }
            Ok(self.filled)
        }

        /// Length and sender of datagram `i` of the last receive.
        pub(super) fn received(&self, i: usize) -> Option<(usize, Option<&SocketAddr>)> {
            if i >= self.filled {
                return None;
            }
            let len = (self.msgs.get(i)?.msg_len as usize).min(MAX_DATAGRAM);
            Some((len, self.senders.get(i)?.as_ref()))
        }

        /// Queues `len` bytes at `offset` of the send buffer for `to`.
        pub(super) fn queue(&mut self, offset: usize, len: usize, to: SocketAddr) {
            let i = self.queued;
            let (Some(span), Some(msg), Some(name)) = (
                self.spans.get_mut(i),
                self.msgs.get_mut(i),
                self.names.get_mut(i),
            ) else {
                return;
            };
            *span = (offset, len);
            msg.msg_hdr.msg_namelen = write_socket_addr(name, to);
            self.queued += 1;
        }

        /// Sends the queued entries from `buf` with `sendmmsg`, again after a partial send; an
        /// entry that fails is counted and skipped. Empties the queue; returns (sent, failed).
        pub(super) fn send(&mut self, socket: &UdpSocket, buf: &mut [u8]) -> (u64, u64) {
            let queued = std::mem::take(&mut self.queued);
            // Sending repoints the entries: a later receive must set them up again.
            self.recv_slots = (ptr::null_mut(), 0);
            let spans = self.spans.get(..queued).unwrap_or_default();
            if spans.len() != queued || spans.iter().any(|&(o, l)| o + l > buf.len()) {
                return (0, queued as u64);
            }
            let base = buf.as_mut_ptr();
            for i in 0..queued {
                let (offset, len) = self.spans.get(i).copied().unwrap_or_default();
                let name_len = self.msgs.get(i).map_or(0, |m| m.msg_hdr.msg_namelen);
                // In bounds: `offset + len <= buf.len()`, checked above.
                self.point(i, base.wrapping_add(offset), len, name_len);
            }
            let (mut sent, mut failed, mut next) = (0u64, 0u64, 0usize);
            while next < queued {
                let rest = self.msgs.get_mut(next..queued).unwrap_or_default();
                // SAFETY: each of the `rest.len()` headers points at its bytes inside `buf` (in
                // bounds, checked above) and at an address of its stated length in `names`;
                // `buf` and the headers stay borrowed for the duration of the call.
                let n = unsafe {
                    libc::sendmmsg(
                        socket.as_raw_fd(),
                        rest.as_mut_ptr(),
                        rest.len() as c_uint,
                        0 as _,
                    )
                };
                match usize::try_from(n) {
                    Ok(n) if n > 0 => {
                        sent += n as u64;
                        next += n;
                    }
                    _ => {
                        if io::Error::last_os_error().kind() != io::ErrorKind::Interrupted {
                            failed += 1;
                            next += 1;
                        }
                    }
                }
            }
            (sent, failed)
        }
    }

    /// Reads the socket address the kernel wrote, as `std` does.
    fn socket_addr(name: &sockaddr_storage, len: libc::socklen_t) -> Option<SocketAddr> {
        let len = len as usize;
        match c_int::from(name.ss_family) {
            libc::AF_INET if len >= size_of::<sockaddr_in>() => {
                // SAFETY: `sockaddr_storage` is large and aligned enough for every socket address
                // type, and the kernel wrote a `sockaddr_in` here (family AF_INET, length checked).
                let a = unsafe { &*ptr::from_ref(name).cast::<sockaddr_in>() };
                let ip = Ipv4Addr::from(u32::from_be(a.sin_addr.s_addr));
                Some(SocketAddrV4::new(ip, u16::from_be(a.sin_port)).into())
            }
            libc::AF_INET6 if len >= size_of::<sockaddr_in6>() => {
                // SAFETY: as above, for a `sockaddr_in6` (family AF_INET6, length checked).
                let a = unsafe { &*ptr::from_ref(name).cast::<sockaddr_in6>() };
                let ip = Ipv6Addr::from(a.sin6_addr.s6_addr);
                let port = u16::from_be(a.sin6_port);
                Some(SocketAddrV6::new(ip, port, a.sin6_flowinfo, a.sin6_scope_id).into())
            }
            _ => None,
        }
    }

    /// Writes `addr` into `name` as the kernel expects it; returns its length.
    fn write_socket_addr(name: &mut sockaddr_storage, addr: SocketAddr) -> libc::socklen_t {
        match addr {
            SocketAddr::V4(a) => {
                let mut sin: sockaddr_in = zeroed();
                sin.sin_family = libc::AF_INET as libc::sa_family_t;
                sin.sin_port = a.port().to_be();
                sin.sin_addr.s_addr = u32::from(*a.ip()).to_be();
                // SAFETY: `sockaddr_storage` is large and aligned enough for a `sockaddr_in`.
                unsafe { ptr::from_mut(name).cast::<sockaddr_in>().write(sin) };
                size_of::<sockaddr_in>() as libc::socklen_t
            }
            SocketAddr::V6(a) => {
                let mut sin6: sockaddr_in6 = zeroed();
                sin6.sin6_family = libc::AF_INET6 as libc::sa_family_t;
                sin6.sin6_port = a.port().to_be();
                sin6.sin6_flowinfo = a.flowinfo();
                sin6.sin6_addr.s6_addr = a.ip().octets();
                sin6.sin6_scope_id = a.scope_id();
                // SAFETY: `sockaddr_storage` is large and aligned enough for a `sockaddr_in6`.
                unsafe { ptr::from_mut(name).cast::<sockaddr_in6>().write(sin6) };
                size_of::<sockaddr_in6>() as libc::socklen_t
            }
        }
    }
}
