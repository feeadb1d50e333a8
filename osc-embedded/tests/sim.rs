//! Two smoltcp interfaces joined by an in-process virtual Ethernet wire (no OS networking at all):
//! OSC over UDP and TCP through the osc-embedded endpoints and an osc-core `Dispatcher`, with a
//! counting global allocator showing that an exchange allocates nothing.
//!
//! Addresses are from TEST-NET-1 (192.0.2.0/24); the frames never leave the process.

mod common;

use core::time::Duration;

use common::alloc_counter::{allocations, Counting};
use common::app::{routes, Recorder, Routes, Server};
use common::wire::{End, Wire};
use osc_embedded::osc_core::len_prefix::LenPrefixDecoder;
use osc_embedded::osc_core::slip::SlipDecoder;
use osc_embedded::osc_core::{Arg, BundleBuilder, Message, Packet, Scheduler, TimePolicy, TimeTag};
use osc_embedded::tcp::TcpEndpoint;
use osc_embedded::udp::UdpEndpoint;
use osc_embedded::{Framing, Immediate, Scheduled};
use smoltcp::iface::{Config, Interface, SocketHandle, SocketSet, SocketStorage};
use smoltcp::socket::{tcp, udp};
use smoltcp::time::Instant;
use smoltcp::wire::{EthernetAddress, IpAddress, IpCidr, IpEndpoint};

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const SERVER_IP: IpAddress = IpAddress::v4(192, 0, 2, 1);
const CLIENT_IP: IpAddress = IpAddress::v4(192, 0, 2, 2);
const UDP_PORT: u16 = 9000;
const TCP_PORT: u16 = 9001;
const EPOCH: TimeTag = TimeTag::new(3_900_000_000, 0);

fn interface(end: &mut End<'_>, mac: u8, ip: IpAddress) -> Interface {
    let mut config = Config::new(EthernetAddress([0x02, 0, 0, 0, 0, mac]).into());
    config.random_seed = u64::from(mac);
    let mut iface = Interface::new(config, end, Instant::ZERO);
    iface.update_ip_addrs(|a| {
        let _ = a.push(IpCidr::new(ip, 24));
    });
    iface
}

/// Socket storage for one side, on the test's stack.
struct Buffers {
    udp_rx_meta: [udp::PacketMetadata; 4],
    udp_rx: [u8; 1024],
    udp_tx_meta: [udp::PacketMetadata; 4],
    udp_tx: [u8; 1024],
    tcp_rx: [u8; 1024],
    tcp_tx: [u8; 1024],
}

impl Buffers {
    fn new() -> Self {
        Self {
            udp_rx_meta: [udp::PacketMetadata::EMPTY; 4],
            udp_rx: [0; 1024],
            udp_tx_meta: [udp::PacketMetadata::EMPTY; 4],
            udp_tx: [0; 1024],
            tcp_rx: [0; 1024],
            tcp_tx: [0; 1024],
        }
    }

    fn sockets<'a>(
        &'a mut self,
        storage: &'a mut [SocketStorage<'a>],
    ) -> (SocketSet<'a>, SocketHandle, SocketHandle) {
        let mut set = SocketSet::new(storage);
        let udp = set.add(udp::Socket::new(
            udp::PacketBuffer::new(&mut self.udp_rx_meta[..], &mut self.udp_rx[..]),
            udp::PacketBuffer::new(&mut self.udp_tx_meta[..], &mut self.udp_tx[..]),
        ));
        let tcp = set.add(tcp::Socket::new(
            tcp::SocketBuffer::new(&mut self.tcp_rx[..]),
            tcp::SocketBuffer::new(&mut self.tcp_tx[..]),
        ));
        (set, udp, tcp)
    }
}

fn time_of(now: Instant) -> TimeTag {
    EPOCH.wrapping_add(Duration::from_micros(now.total_micros().unsigned_abs()))
}

/// The whole scenario; returns the number of allocations made while it ran.
fn exchange<F: Framing, G: Framing>(server_framing: F, client_framing: G) -> u64 {
    let wire = Wire::new();
    let (mut a, mut b) = wire.ends();
    let mut server_iface = interface(&mut a, 1, SERVER_IP);
    let mut client_iface = interface(&mut b, 2, CLIENT_IP);

    let (mut server_bufs, mut client_bufs) = (Buffers::new(), Buffers::new());
    let mut server_storage: [SocketStorage<'_>; 2] = Default::default();
    let mut client_storage: [SocketStorage<'_>; 2] = Default::default();
    let (mut server_set, s_udp, s_tcp) = server_bufs.sockets(&mut server_storage);
    let (mut client_set, c_udp, c_tcp) = client_bufs.sockets(&mut client_storage);

    let mut routes: Routes<IpEndpoint> = routes();
    let mut server = Server::default();
    let mut scheduler: Scheduler<IpEndpoint, 4, 512> = Scheduler::new(TimePolicy::Schedule);
    let mut scratch = [0u8; 512];

    let (mut s_udp_buf, mut s_tcp_buf, mut c_udp_buf, mut c_tcp_buf) =
        ([0u8; 256], [0u8; 256], [0u8; 256], [0u8; 256]);
    let mut server_udp = UdpEndpoint::new(&mut s_udp_buf);
    let mut server_tcp = TcpEndpoint::new(server_framing, &mut s_tcp_buf);
    let mut client_udp = UdpEndpoint::new(&mut c_udp_buf);
    let mut client_tcp = TcpEndpoint::new(client_framing, &mut c_tcp_buf);
    let mut udp_replies = Recorder::default();
    let mut tcp_replies = Recorder::default();

    let before = allocations();

    server_set
        .get_mut::<udp::Socket<'_>>(s_udp)
        .bind(UDP_PORT)
        .unwrap();
    server_set
        .get_mut::<tcp::Socket<'_>>(s_tcp)
        .listen(TCP_PORT)
        .unwrap();
    client_set
        .get_mut::<udp::Socket<'_>>(c_udp)
        .bind(50_000)
        .unwrap();
    let server_udp_ep = IpEndpoint::new(SERVER_IP, UDP_PORT);

    // Client requests: two UDP messages, a UDP bundle due 20 ms from now, and two TCP messages queued
    // before the connection exists.
    let mut now = Instant::ZERO;
    {
        let sock = client_set.get_mut::<udp::Socket<'_>>(c_udp);
        client_udp
            .send(
                sock,
                &Packet::Message(Message::new("/add", &[Arg::Int(2), Arg::Int(3)])),
                server_udp_ep,
            )
            .unwrap();
        client_udp
            .send_message(sock, server_udp_ep, "/led", |m| m.int(7))
            .unwrap();
        let mut bundle = [0u8; 64];
        let due = time_of(now).wrapping_add(Duration::from_millis(20));
        let n = BundleBuilder::new(&mut bundle, due)
            .and_then(|b| b.message_with("/ping", |m| Ok(m)))
            .and_then(|b| b.finish())
            .unwrap();
        sock.send_slice(&bundle[..n], server_udp_ep).unwrap();

        let tcp_sock = client_set.get_mut::<tcp::Socket<'_>>(c_tcp);
        tcp_sock
            .connect(
                client_iface.context(),
                IpEndpoint::new(SERVER_IP, TCP_PORT),
                49_152,
            )
            .unwrap();
        client_tcp
            .send(
                tcp_sock,
                &Packet::Message(Message::new(
                    "/echo",
                    &[
                        Arg::Int(-1),
                        Arg::String("\u{c0}\u{db} escaped"),
                        Arg::Blob(&[0xC0, 0xDB]),
                    ],
                )),
            )
            .unwrap();
        client_tcp
            .send(
                tcp_sock,
                &Packet::Message(Message::new("/add", &[Arg::Int(40), Arg::Int(2)])),
            )
            .unwrap();
    }

    let mut rounds = 0;
    let mut pong_at = None;
    while rounds < 200 {
        rounds += 1;
        client_iface.poll(now, &mut b, &mut client_set);
        server_iface.poll(now, &mut a, &mut server_set);

        let service = Scheduled::new(
            time_of(now),
            &mut scheduler,
            &mut routes,
            &mut server,
            &mut scratch,
        );
        server_udp.poll(server_set.get_mut::<udp::Socket<'_>>(s_udp), service);
        server_tcp.poll(
            server_set.get_mut::<tcp::Socket<'_>>(s_tcp),
            Immediate::new(&mut routes, &mut server),
        );
        client_udp.poll(
            client_set.get_mut::<udp::Socket<'_>>(c_udp),
            &mut udp_replies,
        );
        client_tcp.poll(
            client_set.get_mut::<tcp::Socket<'_>>(c_tcp),
            &mut tcp_replies,
        );

        if pong_at.is_none() && udp_replies.addresses().any(|a| a == "/pong") {
            pong_at = Some(now);
        }
        if pong_at.is_some() && tcp_replies.got.len() == 2 && wire.in_flight() == 0 {
            break;
        }
        now += smoltcp::time::Duration::from_millis(1);
    }
    let allocated = allocations() - before;

    assert!(udp_replies.has("/sum", 5), "{udp_replies:?}");
    assert_eq!(server.led, 7);
    let pong_at = pong_at.expect("the scheduled /ping was answered");
    assert!(
        pong_at >= Instant::from_millis(20),
        "the bundle fired at {pong_at}, before its timetag"
    );
    assert_eq!(
        udp_replies.addresses().collect::<std::vec::Vec<_>>(),
        ["/sum", "/pong"]
    );
    assert!(tcp_replies.has("/echo", -1), "{tcp_replies:?}");
    assert!(tcp_replies.has("/sum", 42), "{tcp_replies:?}");
    assert_eq!(server.requests, 5);
    assert_eq!(server_udp.stats().packets, 3);
    assert_eq!(server_udp.stats().replies_sent, 2);
    assert_eq!(server_tcp.stats().packets, 2);
    assert_eq!(server_tcp.stats().replies_sent, 2);
    assert_eq!(client_tcp.stats().replies_sent, 2, "client requests sent");
    println!(
        "udp + tcp exchange in {rounds} poll rounds ({} ms simulated), {allocated} allocations",
        now.total_millis()
    );
    allocated
}

#[test]
fn udp_request_reply_and_tcp_slip_exchange_allocate_nothing() {
    let (mut s, mut c) = ([0u8; 256], [0u8; 256]);
    let allocated = exchange(SlipDecoder::new(&mut s[..]), SlipDecoder::new(&mut c[..]));
    assert_eq!(allocated, 0);
}

#[test]
fn tcp_length_prefix_exchange_allocates_nothing() {
    let allocated = exchange(
        LenPrefixDecoder::new([0u8; 256]),
        LenPrefixDecoder::new([0u8; 256]),
    );
    assert_eq!(allocated, 0);
}

#[test]
fn the_counter_sees_allocations() {
    let before = allocations();
    let boxed = std::hint::black_box(Box::new(1u8));
    assert_eq!(allocations() - before, 1);
    drop(boxed);
}
