//! The embassy-net adapters for real: embassy-net on a Linux tap device inside a private network
//! namespace (the same set-up as `tap.rs`), serving OSC with `embassy::UdpEndpoint` on UDP and with a
//! `StreamEndpoint` (`poll_async`, SLIP) over an embassy-net `TcpSocket`, against kernel sockets.
//! Skipped (with a message) without root or `/dev/net/tun`.
//!
//! The async side runs on a minimal thread-parking `block_on`; embassy-time's std driver and the
//! tap device's reactor wake it.

mod common;

use std::io::{Read as _, Write as _};
use std::net::{Ipv4Addr, SocketAddrV4, TcpStream, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use common::app::{routes, Routes, Server};
use common::netns::{rerun_in_namespace, NETNS_ENV};
use embassy_net::tcp::TcpSocket;
use embassy_net::udp::{PacketMetadata, UdpSocket as EmbassyUdp};
use embassy_net::{Config, IpEndpoint, Ipv4Cidr, StackResources, StaticConfigV4};
use embassy_net_tuntap::TunTapDevice;
use osc_embedded::embassy::UdpEndpoint;
use osc_embedded::osc_core::slip::{self, SlipDecoder};
use osc_embedded::osc_core::{Arg, Message, Packet};
use osc_embedded::stream::StreamEndpoint;
use osc_embedded::{Error, Framing, Immediate};

const TEST_NAME: &str = "embassy_net_on_tap_against_kernel_sockets";
const EMBASSY_IP: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 2);

/// With the `defmt` feature embassy-net logs through defmt; on the host the bytes go nowhere.
#[cfg(feature = "defmt")]
mod defmt_sink {
    #[defmt::global_logger]
    struct Discard;

    // SAFETY: nothing is shared; every call does nothing.
    unsafe impl defmt::Logger for Discard {
        fn acquire() {}
        unsafe fn flush() {}
        unsafe fn release() {}
        unsafe fn write(_: &[u8]) {}
    }

    defmt::timestamp!("{=u32}", 0);

    #[defmt::panic_handler]
    fn panic() -> ! {
        panic!("defmt panic (message not decodable on the host)")
    }
}

#[test]
fn embassy_net_on_tap_against_kernel_sockets() {
    match std::env::var(NETNS_ENV) {
        Ok(tap) => run_in_namespace(&tap),
        Err(_) => rerun_in_namespace(TEST_NAME),
    }
}

static STOP: AtomicBool = AtomicBool::new(false);

struct Unpark(std::thread::Thread);

impl Wake for Unpark {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
}

/// Polls `future` on this thread, parking between wake-ups.
fn block_on<F: std::future::Future>(future: F) -> F::Output {
    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut future = std::pin::pin!(future);
    loop {
        if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
            return out;
        }
        std::thread::park_timeout(Duration::from_millis(20));
    }
}

async fn stopped() {
    while !STOP.load(Ordering::SeqCst) {
        embassy_time::Timer::after_millis(10).await;
    }
}

fn run_in_namespace(tap: &str) {
    let tap = tap.to_owned();
    let embassy_thread = std::thread::spawn(move || embassy_side(&tap));
    let result = std::panic::catch_unwind(kernel_side);
    STOP.store(true, Ordering::SeqCst);
    embassy_thread.join().unwrap();
    if let Err(panic) = result {
        std::panic::resume_unwind(panic);
    }
    println!("{TEST_NAME}: UDP and TCP (SLIP) through embassy-net: ok");
}

fn embassy_side(tap: &str) {
    let mut device = TunTapDevice::new(tap).unwrap();
    device.set_hardware_address([0x02, 0, 0, 0, 0, 2]);
    let config = Config::ipv4_static(StaticConfigV4 {
        address: Ipv4Cidr::new(EMBASSY_IP, 24),
        gateway: None,
        dns_servers: heapless::Vec::new(),
    });
    let mut resources = StackResources::<4>::new();
    let (stack, mut runner) = embassy_net::new(device, config, &mut resources, 7);

    let udp = async {
        let (mut rx_meta, mut rx) = ([PacketMetadata::EMPTY; 4], [0u8; 1024]);
        let (mut tx_meta, mut tx) = ([PacketMetadata::EMPTY; 4], [0u8; 1024]);
        let mut socket = EmbassyUdp::new(stack, &mut rx_meta, &mut rx, &mut tx_meta, &mut tx);
        socket.bind(9000).unwrap();
        let mut routes: Routes<IpEndpoint> = routes();
        let mut server = Server::default();
        let mut buf = [0u8; 256];
        let mut osc = UdpEndpoint::new(&mut buf);
        loop {
            match osc
                .poll(&mut socket, Immediate::new(&mut routes, &mut server))
                .await
            {
                Ok(_) | Err(Error::Decode(_)) => {}
                Err(e) => panic!("udp: {e}"),
            }
        }
    };
    let tcp = async {
        let (mut rx, mut tx) = ([0u8; 1024], [0u8; 1024]);
        let mut routes: Routes<()> = routes();
        let mut server = Server::default();
        let mut out = [0u8; 256];
        let mut osc: StreamEndpoint<'_, _, 64> =
            StreamEndpoint::new(SlipDecoder::new([0u8; 256]), &mut out);
        loop {
            let mut socket = TcpSocket::new(stack, &mut rx, &mut tx);
            if socket.accept(9001).await.is_err() {
                continue;
            }
            osc.reset();
            loop {
                match osc
                    .poll_async(&mut socket, &(), Immediate::new(&mut routes, &mut server))
                    .await
                {
                    Ok(_) => {}
                    Err(e) if e.is_packet_error() => {}
                    Err(_) => break,
                }
            }
            socket.close();
            let _ = socket.flush().await;
        }
    };
    block_on(embassy_futures::select::select4(
        runner.run(),
        udp,
        tcp,
        stopped(),
    ));
}

fn encode(msg: &Message<'_>) -> Vec<u8> {
    let mut buf = vec![0u8; msg.encoded_len()];
    msg.encode(&mut buf).unwrap();
    buf
}

fn first_int(bytes: &[u8]) -> (String, Option<i32>) {
    let msg = Packet::decode(bytes).unwrap().into_message().unwrap();
    let first = msg.get_prefix::<(i32,)>().ok().map(|(v,)| v);
    (msg.address().to_owned(), first)
}

fn kernel_side() {
    let add = encode(&Message::new("/add", &[Arg::Int(20), Arg::Int(22)]));

    // UDP; the first requests may go while embassy-net is still starting, so retry.
    let client = UdpSocket::bind(SocketAddrV4::new(Ipv4Addr::new(192, 0, 2, 1), 0)).unwrap();
    client
        .set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    let mut buf = [0u8; 1536];
    let reply = (0..30).find_map(|_| {
        client
            .send_to(&add, SocketAddrV4::new(EMBASSY_IP, 9000))
            .unwrap();
        client.recv_from(&mut buf).ok()
    });
    let (n, from) = reply.expect("a UDP reply from embassy-net");
    assert_eq!(first_int(&buf[..n]), ("/sum".to_owned(), Some(42)));
    assert_eq!(from, SocketAddrV4::new(EMBASSY_IP, 9000).into());

    // TCP with SLIP: two requests in one write, the replies in order.
    let mut stream = TcpStream::connect(SocketAddrV4::new(EMBASSY_IP, 9001)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(3)))
        .unwrap();
    let echo = encode(&Message::new(
        "/echo",
        &[Arg::Int(-3), Arg::Blob(&[0xC0, 0xDB])],
    ));
    let mut wire = vec![0u8; slip::encoded_len(&echo) + slip::encoded_len(&add)];
    let k = slip::encode(&echo, &mut wire).unwrap();
    slip::encode(&add, &mut wire[k..]).unwrap();
    stream.write_all(&wire).unwrap();
    let mut decoder = SlipDecoder::new([0u8; 256]);
    let mut replies = Vec::new();
    while replies.len() < 2 {
        let n = stream.read(&mut buf).expect("TCP replies");
        assert_ne!(n, 0, "connection closed early");
        let mut input = &buf[..n];
        while !input.is_empty() {
            let (used, frame) = decoder.feed_frame(input);
            input = &input[used..];
            if let Some(frame) = frame {
                replies.push(first_int(frame.unwrap()));
            }
        }
    }
    assert_eq!(
        replies,
        [
            ("/echo".to_owned(), Some(-3)),
            ("/sum".to_owned(), Some(42))
        ]
    );
}
