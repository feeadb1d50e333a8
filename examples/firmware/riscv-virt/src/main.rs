//! OSC over a real (emulated) NIC: QEMU riscv32 `virt`, virtio-net through virtio-drivers, smoltcp, and
//! the osc-embedded UDP and TCP (SLIP) endpoints serving the same eight routes as the Cortex-M firmware.
//!
//! The guest is 192.0.2.15/24 with UDP port 9000 and TCP port 9001; QEMU's user networking forwards
//! host ports to them (see `tests/ci/embedded/run-virt.sh`). After answering `/quit` the firmware flushes
//! its sockets and powers off with status 0; it exits 1 on a device failure or after 20 s.
//!
//! No global allocator: linking this proves that osc-core, osc-embedded and smoltcp need none.
#![no_std]
#![no_main]

#[path = "../../cortex-m/src/app.rs"]
mod app;
mod board;
mod nic;

use app::{App, Routes};
use board::exit;
use osc_embedded::osc_core::slip::SlipDecoder;
use osc_embedded::tcp::TcpEndpoint;
use osc_embedded::udp::{IpEndpoint, UdpEndpoint};
use osc_embedded::Immediate;
use smoltcp::iface::{Config, Interface, SocketSet, SocketStorage};
use smoltcp::socket::{tcp, udp};
use smoltcp::time::Instant;
use smoltcp::wire::{EthernetAddress, IpAddress, IpCidr, Ipv4Address};

const IP: Ipv4Address = Ipv4Address::new(192, 0, 2, 15);
const GATEWAY: Ipv4Address = Ipv4Address::new(192, 0, 2, 2);
const UDP_PORT: u16 = 9000;
const TCP_PORT: u16 = 9001;
const LIFETIME_US: u64 = 20_000_000;

#[riscv_rt::entry]
fn main() -> ! {
    let Some(mut nic) = nic::Nic::probe() else {
        println!("no virtio-net device");
        exit(false)
    };
    if !nic.start() {
        println!("cannot post the receive buffer");
        exit(false);
    }
    let now = || Instant::from_micros(board::now_us() as i64);
    let mut config = Config::new(EthernetAddress(nic.mac()).into());
    config.random_seed = board::now_us();
    let mut iface = Interface::new(config, &mut nic, now());
    iface.update_ip_addrs(|a| {
        let _ = a.push(IpCidr::new(IpAddress::Ipv4(IP), 24));
    });
    let _ = iface.routes_mut().add_default_ipv4_route(GATEWAY);

    let (mut rx_meta, mut rx) = ([udp::PacketMetadata::EMPTY; 4], [0u8; 1536]);
    let (mut tx_meta, mut tx) = ([udp::PacketMetadata::EMPTY; 4], [0u8; 1536]);
    let (mut tcp_rx, mut tcp_tx) = ([0u8; 1024], [0u8; 1024]);
    let mut storage: [SocketStorage<'_>; 2] = Default::default();
    let mut sockets = SocketSet::new(&mut storage[..]);
    let h_udp = sockets.add(udp::Socket::new(
        udp::PacketBuffer::new(&mut rx_meta[..], &mut rx[..]),
        udp::PacketBuffer::new(&mut tx_meta[..], &mut tx[..]),
    ));
    let h_tcp = sockets.add(tcp::Socket::new(
        tcp::SocketBuffer::new(&mut tcp_rx[..]),
        tcp::SocketBuffer::new(&mut tcp_tx[..]),
    ));
    if sockets
        .get_mut::<udp::Socket<'_>>(h_udp)
        .bind(UDP_PORT)
        .is_err()
    {
        exit(false);
    }

    let mut routes: Routes<IpEndpoint> = Routes::new();
    if app::routes(&mut routes) != 8 {
        exit(false);
    }
    let mut app = App::new();
    let (mut udp_buf, mut tcp_buf, mut frame_buf) = ([0u8; 512], [0u8; 512], [0u8; 512]);
    let mut udp_osc = UdpEndpoint::new(&mut udp_buf);
    let mut tcp_osc = TcpEndpoint::new(SlipDecoder::new(&mut frame_buf[..]), &mut tcp_buf);

    println!(
        "osc-virt: {} up, OSC on udp/{} and tcp/{} (SLIP)",
        IP, UDP_PORT, TCP_PORT
    );
    let start = board::now_us();
    let mut quit_at = None;
    loop {
        iface.poll(now(), &mut nic, &mut sockets);
        let socket = sockets.get_mut::<tcp::Socket<'_>>(h_tcp);
        if !socket.is_open() {
            tcp_osc.reset();
            if socket.listen(TCP_PORT).is_err() {
                exit(false);
            }
        }
        tcp_osc.poll(socket, Immediate::new(&mut routes, &mut app));
        udp_osc.poll(
            sockets.get_mut::<udp::Socket<'_>>(h_udp),
            Immediate::new(&mut routes, &mut app),
        );
        iface.poll(now(), &mut nic, &mut sockets);

        let t = board::now_us();
        if app.quit && quit_at.is_none() {
            quit_at = Some(t);
        }
        // Give the /bye reply 100 ms to leave, then power off.
        if quit_at.is_some_and(|q| t - q > 100_000) {
            let (udp, tcp) = (udp_osc.stats(), tcp_osc.stats());
            println!(
                "osc-virt: udp {} packets / {} replies, tcp {} packets / {} replies; bye",
                udp.packets, udp.replies_sent, tcp.packets, tcp.replies_sent
            );
            exit(true);
        }
        if t - start > LIFETIME_US {
            println!("osc-virt: no /quit within the time limit");
            exit(false);
        }
    }
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    println!("panic: {}", info);
    exit(false)
}
