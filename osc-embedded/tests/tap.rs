//! smoltcp on a Linux tap device, inside a private network namespace, against kernel sockets.
//!
//! The test re-runs itself under `unshare --net` with a fresh `tap0` (192.0.2.1/24 on the kernel side,
//! 192.0.2.2 for smoltcp), so no packet can reach a real network; the namespace vanishes with the
//! process. Without root, `/dev/net/tun`, `unshare` or `ip` it prints that it was skipped.
//!
//! Kernel side (plain `std::net` + socket2, osc-core for the bytes) against the osc-embedded endpoints:
//! UDP unicast request/reply, broadcast to 192.0.2.255, kernel → smoltcp multicast (239.255.0.1),
//! smoltcp → kernel multicast (239.255.0.2) received by two sockets sharing the port, and TCP with SLIP
//! and with length-prefix framing.

mod common;

use std::io::{Read as _, Write as _};
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4, TcpStream, UdpSocket};
use std::os::unix::io::AsRawFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use common::app::{routes, Routes, Server};
use common::netns::{rerun_in_namespace, NETNS_ENV};
use osc_embedded::osc_core::len_prefix::LenPrefixDecoder;
use osc_embedded::osc_core::slip::{self, SlipDecoder};
use osc_embedded::osc_core::{len_prefix, Arg, Message, Packet};
use osc_embedded::tcp::TcpEndpoint;
use osc_embedded::udp::UdpEndpoint;
use osc_embedded::Immediate;
use smoltcp::iface::{Config, Interface, SocketSet, SocketStorage};
use smoltcp::phy::{self, Medium, TunTapInterface};
use smoltcp::socket::{tcp, udp};
use smoltcp::time::Instant;
use smoltcp::wire::{EthernetAddress, IpAddress, IpCidr, IpEndpoint};

const TEST_NAME: &str = "smoltcp_on_tap_against_kernel_sockets";
const KERNEL_IP: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 1);
const SMOLTCP_IP: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 2);
const GROUP_IN: Ipv4Addr = Ipv4Addr::new(239, 255, 0, 1);
const GROUP_OUT: Ipv4Addr = Ipv4Addr::new(239, 255, 0, 2);
const UDP_PORT: u16 = 9000;
const SLIP_PORT: u16 = 9001;
const LEN_PORT: u16 = 9002;
const ANNOUNCE_PORT: u16 = 9100;

#[test]
fn smoltcp_on_tap_against_kernel_sockets() {
    match std::env::var(NETNS_ENV) {
        Ok(tap) => run_in_namespace(&tap),
        Err(_) => rerun_in_namespace(TEST_NAME),
    }
}

static STOP: AtomicBool = AtomicBool::new(false);

fn run_in_namespace(tap: &str) {
    let tap = tap.to_owned();
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    let smoltcp_thread = std::thread::spawn(move || {
        let mut device = TunTapInterface::new(&tap, Medium::Ethernet).unwrap();
        smoltcp_side(&mut device, &ready_tx);
    });
    ready_rx
        .recv_timeout(Duration::from_secs(5))
        .expect("the smoltcp side started");
    let result = std::panic::catch_unwind(kernel_side);
    STOP.store(true, Ordering::SeqCst);
    smoltcp_thread.join().unwrap();
    if let Err(panic) = result {
        std::panic::resume_unwind(panic);
    }
    println!(
        "{TEST_NAME}: unicast, broadcast, multicast both ways, TCP SLIP and length prefix: ok"
    );
}

/// The device under test: an OSC server on smoltcp, plus a periodic multicast announcement.
fn smoltcp_side(device: &mut TunTapInterface, ready: &std::sync::mpsc::Sender<()>) {
    let fd = device.as_raw_fd();
    let mut config = Config::new(EthernetAddress([0x02, 0, 0, 0, 0, 2]).into());
    config.random_seed = 2;
    let mut iface = Interface::new(config, device, Instant::now());
    iface.update_ip_addrs(|a| {
        let _ = a.push(IpCidr::new(IpAddress::Ipv4(SMOLTCP_IP), 24));
    });
    iface
        .routes_mut()
        .add_default_ipv4_route(KERNEL_IP)
        .unwrap();
    iface.join_multicast_group(GROUP_IN).unwrap();

    let (mut rx_meta, mut rx) = ([udp::PacketMetadata::EMPTY; 8], [0u8; 2048]);
    let (mut tx_meta, mut tx) = ([udp::PacketMetadata::EMPTY; 8], [0u8; 2048]);
    let (mut srx, mut stx, mut lrx, mut ltx) = ([0u8; 1024], [0u8; 1024], [0u8; 1024], [0u8; 1024]);
    let mut storage: [SocketStorage<'_>; 3] = Default::default();
    let mut sockets = SocketSet::new(&mut storage[..]);
    let h_udp = sockets.add(udp::Socket::new(
        udp::PacketBuffer::new(&mut rx_meta[..], &mut rx[..]),
        udp::PacketBuffer::new(&mut tx_meta[..], &mut tx[..]),
    ));
    let h_slip = sockets.add(tcp::Socket::new(
        tcp::SocketBuffer::new(&mut srx[..]),
        tcp::SocketBuffer::new(&mut stx[..]),
    ));
    let h_len = sockets.add(tcp::Socket::new(
        tcp::SocketBuffer::new(&mut lrx[..]),
        tcp::SocketBuffer::new(&mut ltx[..]),
    ));
    sockets
        .get_mut::<udp::Socket<'_>>(h_udp)
        .bind(UDP_PORT)
        .unwrap();

    let mut routes: Routes<IpEndpoint> = routes();
    let mut server = Server::default();
    let (mut ubuf, mut sbuf, mut lbuf) = ([0u8; 256], [0u8; 256], [0u8; 256]);
    let mut udp_osc = UdpEndpoint::new(&mut ubuf);
    let mut slip_osc = TcpEndpoint::new(SlipDecoder::new([0u8; 256]), &mut sbuf);
    let mut len_osc = TcpEndpoint::new(LenPrefixDecoder::new([0u8; 256]), &mut lbuf);
    let _ = ready.send(());
    let announce_to = IpEndpoint::new(IpAddress::Ipv4(GROUP_OUT), ANNOUNCE_PORT);
    let mut next_announce = Instant::now();

    while !STOP.load(Ordering::SeqCst) {
        let now = Instant::now();
        iface.poll(now, device, &mut sockets);
        for (handle, port, osc) in [
            (h_slip, SLIP_PORT, &mut slip_osc as &mut dyn TcpServer),
            (h_len, LEN_PORT, &mut len_osc),
        ] {
            let socket = sockets.get_mut::<tcp::Socket<'_>>(handle);
            if !socket.is_open() {
                osc.reset();
                socket.listen(port).unwrap();
            }
            osc.poll(socket, &mut routes, &mut server);
        }
        let socket = sockets.get_mut::<udp::Socket<'_>>(h_udp);
        udp_osc.poll(socket, Immediate::new(&mut routes, &mut server));
        if now >= next_announce {
            let _ = udp_osc.send_message(socket, announce_to, "/hello", |m| m.int(2));
            next_announce = now + smoltcp::time::Duration::from_millis(20);
        }
        iface.poll(Instant::now(), device, &mut sockets);
        let delay = iface
            .poll_delay(Instant::now(), &sockets)
            .map_or(smoltcp::time::Duration::from_millis(5), |d| {
                d.min(smoltcp::time::Duration::from_millis(5))
            });
        phy::wait(fd, Some(delay)).unwrap();
    }
}

/// Both TCP endpoints, whatever their framing, behind one object.
trait TcpServer {
    fn reset(&mut self);
    fn poll(
        &mut self,
        socket: &mut tcp::Socket<'_>,
        routes: &mut Routes<IpEndpoint>,
        server: &mut Server,
    );
}

impl<F: osc_embedded::Framing> TcpServer for TcpEndpoint<'_, F> {
    fn reset(&mut self) {
        TcpEndpoint::reset(self);
    }

    fn poll(
        &mut self,
        socket: &mut tcp::Socket<'_>,
        routes: &mut Routes<IpEndpoint>,
        server: &mut Server,
    ) {
        TcpEndpoint::poll(self, socket, Immediate::new(routes, server));
    }
}

fn encode(msg: &Message<'_>) -> Vec<u8> {
    let mut buf = vec![0u8; msg.encoded_len()];
    msg.encode(&mut buf).unwrap();
    buf
}

/// Receives one datagram and returns (address, first int argument, sender).
fn recv_reply(socket: &UdpSocket) -> (String, Option<i32>, SocketAddr) {
    let mut buf = [0u8; 1536];
    let (n, from) = socket
        .recv_from(&mut buf)
        .expect("a reply within the timeout");
    let msg = Packet::decode(&buf[..n]).unwrap().into_message().unwrap();
    let first = msg.get_prefix::<(i32,)>().ok().map(|(v,)| v);
    (msg.address().to_owned(), first, from)
}

fn udp_socket(bind: SocketAddrV4) -> UdpSocket {
    let socket = UdpSocket::bind(bind).unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(3)))
        .unwrap();
    socket
}

fn kernel_side() {
    let server = SocketAddrV4::new(SMOLTCP_IP, UDP_PORT);
    let client = udp_socket(SocketAddrV4::new(KERNEL_IP, 0));

    // 1. Unicast request/reply (the first one also waits out ARP and the thread's start).
    let add = encode(&Message::new("/add", &[Arg::Int(2), Arg::Int(3)]));
    client.send_to(&add, server).unwrap();
    let (address, value, from) = recv_reply(&client);
    assert_eq!((address.as_str(), value), ("/sum", Some(5)));
    assert_eq!(from, SocketAddr::V4(server));

    // 2. Broadcast to the subnet: smoltcp answers from its unicast address.
    client.set_broadcast(true).unwrap();
    let ping = encode(&Message::new("/ping", &[]));
    client
        .send_to(
            &ping,
            SocketAddrV4::new(Ipv4Addr::new(192, 0, 2, 255), UDP_PORT),
        )
        .unwrap();
    let (address, _, from) = recv_reply(&client);
    assert_eq!(address, "/pong");
    assert_eq!(from, SocketAddr::V4(server));

    // 3. Kernel → smoltcp multicast.
    let mcast = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::DGRAM, None).unwrap();
    mcast.set_multicast_if_v4(&KERNEL_IP).unwrap();
    mcast
        .bind(&SocketAddr::V4(SocketAddrV4::new(KERNEL_IP, 0)).into())
        .unwrap();
    let mcast: UdpSocket = mcast.into();
    mcast
        .set_read_timeout(Some(Duration::from_secs(3)))
        .unwrap();
    mcast
        .send_to(&ping, SocketAddrV4::new(GROUP_IN, UDP_PORT))
        .unwrap();
    let (address, _, from) = recv_reply(&mcast);
    assert_eq!(address, "/pong");
    assert_eq!(from, SocketAddr::V4(server));

    // 4. smoltcp → kernel multicast, received by two sockets sharing the port.
    let listeners: Vec<UdpSocket> = (0..2)
        .map(|_| {
            let s =
                socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::DGRAM, None).unwrap();
            s.set_reuse_address(true).unwrap();
            s.set_reuse_port(true).unwrap();
            s.bind(&SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, ANNOUNCE_PORT)).into())
                .unwrap();
            s.join_multicast_v4(&GROUP_OUT, &KERNEL_IP).unwrap();
            let s: UdpSocket = s.into();
            s.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
            s
        })
        .collect();
    for listener in &listeners {
        let (address, value, from) = recv_reply(listener);
        assert_eq!((address.as_str(), value), ("/hello", Some(2)));
        assert_eq!(from.ip(), std::net::IpAddr::V4(SMOLTCP_IP));
    }

    // 5. TCP, SLIP framing: a message whose bytes need escaping, then a second one in the same write.
    let mut stream = TcpStream::connect(SocketAddrV4::new(SMOLTCP_IP, SLIP_PORT)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(3)))
        .unwrap();
    let echo = encode(&Message::new(
        "/echo",
        &[Arg::Int(-2), Arg::Blob(&[0xC0, 0xDB, 0xC0])],
    ));
    let mut wire = vec![0u8; slip::encoded_len(&echo) + slip::encoded_len(&add)];
    let n = slip::encode(&echo, &mut wire).unwrap();
    slip::encode(&add, &mut wire[n..]).unwrap();
    stream.write_all(&wire).unwrap();
    let mut decoder = SlipDecoder::new([0u8; 256]);
    let replies = read_frames(&mut stream, &mut decoder, 2);
    assert_eq!(
        replies,
        [("/echo".to_owned(), Some(-2)), ("/sum".to_owned(), Some(5))]
    );
    drop(stream);

    // 6. TCP, length-prefix framing, written one byte at a time.
    let mut stream = TcpStream::connect(SocketAddrV4::new(SMOLTCP_IP, LEN_PORT)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(3)))
        .unwrap();
    stream.set_nodelay(true).unwrap();
    let mut framed = vec![0u8; len_prefix::encoded_len(&add)];
    len_prefix::encode(&add, &mut framed).unwrap();
    for byte in &framed {
        stream.write_all(std::slice::from_ref(byte)).unwrap();
    }
    let mut decoder = LenPrefixDecoder::new([0u8; 256]);
    let replies = read_frames(&mut stream, &mut decoder, 1);
    assert_eq!(replies, [("/sum".to_owned(), Some(5))]);
}

fn read_frames<F: osc_embedded::Framing>(
    stream: &mut TcpStream,
    decoder: &mut F,
    count: usize,
) -> Vec<(String, Option<i32>)> {
    let mut out = Vec::new();
    let mut buf = [0u8; 512];
    while out.len() < count {
        let n = stream.read(&mut buf).expect("replies within the timeout");
        assert_ne!(n, 0, "connection closed early");
        let mut input = &buf[..n];
        while !input.is_empty() {
            let (used, frame) = decoder.feed_frame(input);
            input = &input[used..];
            if let Some(frame) = frame {
                let msg = Packet::decode(frame.unwrap())
                    .unwrap()
                    .into_message()
                    .unwrap();
                let first = msg.get_prefix::<(i32,)>().ok().map(|(v,)| v);
                out.push((msg.address().to_owned(), first));
            }
        }
    }
    out
}
