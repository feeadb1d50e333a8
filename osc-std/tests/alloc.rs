//! After start-up, serving a packet allocates nothing: receive → decode → dispatch → reply, on
//! the blocking UDP server, the threaded UDP server and the TCP server, and on the clients.
//!
//! A counting global allocator sees every allocation of the process. This file holds a single
//! test, so no other test runs beside it; the harness's own threads are idle meanwhile.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU64, Ordering};

use common::{dispatcher, Ctx, PATIENCE};
use osc_core::Arg;
use osc_std::tcp::TcpServerBuilder;
use osc_std::udp::UdpServerBuilder;
use osc_std::{Framing, TcpConnection, UdpClient};

struct Counting;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

// SAFETY: forwards every call to the system allocator unchanged; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::SeqCst);
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::SeqCst);
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::SeqCst);
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const WARM_UP: i32 = 100;
const MEASURED: i32 = 1000;

/// Allocations made by `round_trip(i)` for `MEASURED` values of `i`, after `WARM_UP` calls.
fn allocations_per_packet(mut round_trip: impl FnMut(i32)) -> u64 {
    for i in 0..WARM_UP {
        round_trip(i);
    }
    let before = ALLOCATIONS.load(Ordering::SeqCst);
    for i in 0..MEASURED {
        round_trip(i);
    }
    ALLOCATIONS.load(Ordering::SeqCst) - before
}

fn udp_echo(client: &mut UdpClient, i: i32) {
    client
        .send_message("/echo", &[Arg::Int(i), Arg::String("sine")])
        .unwrap();
    let (reply, _) = client.recv(Some(PATIENCE)).unwrap().expect("an echo");
    assert_eq!(
        reply.as_message().unwrap().get::<(i32, &str)>().unwrap(),
        (i, "sine")
    );
}

fn tcp_echo(conn: &mut TcpConnection, i: i32) {
    conn.send_message("/echo", &[Arg::Int(i), Arg::Float(0.5)])
        .unwrap();
    let reply = conn.recv(Some(PATIENCE)).unwrap().expect("an echo");
    assert_eq!(
        reply.as_message().unwrap().get::<(i32, f32)>().unwrap(),
        (i, 0.5)
    );
}

#[test]
fn serving_a_packet_allocates_nothing_after_start_up() {
    // Blocking UDP server, and a bundle path through the scheduler too (an immediate bundle).
    let handle = UdpServerBuilder::new()
        .bind("127.0.0.1:0")
        .unwrap()
        .spawn(dispatcher(), Ctx::default())
        .unwrap();
    let mut client = UdpClient::connect(handle.local_addr()).unwrap();
    let n = allocations_per_packet(|i| udp_echo(&mut client, i));
    assert_eq!(
        n, 0,
        "blocking UDP server: {n} allocations in {MEASURED} round trips"
    );
    let n = allocations_per_packet(|i| {
        client
            .send_bundle(osc_core::TimeTag::IMMEDIATELY, 128, |b| {
                b.message_with("/echo", |m| m.int(i)?.string("sine"))
            })
            .unwrap();
        let (reply, _) = client.recv(Some(PATIENCE)).unwrap().unwrap();
        assert!(reply.as_message().is_some());
    });
    assert_eq!(n, 0, "blocking UDP server, bundles: {n} allocations");
    handle.stop().unwrap();

    // Threaded UDP server: pooled buffers through bounded channels.
    let handle = UdpServerBuilder::new()
        .workers(2)
        .bind_threaded("127.0.0.1:0")
        .unwrap()
        .spawn(|_| (dispatcher(), Ctx::default()))
        .unwrap();
    let mut client = UdpClient::connect(handle.local_addr()).unwrap();
    let n = allocations_per_packet(|i| udp_echo(&mut client, i));
    assert_eq!(
        n, 0,
        "threaded UDP server: {n} allocations in {MEASURED} round trips"
    );
    handle.stop().unwrap();

    // TCP server, both framings.
    for framing in [Framing::Slip, Framing::LengthPrefix] {
        let handle = TcpServerBuilder::new()
            .framing(framing)
            .bind("127.0.0.1:0")
            .unwrap()
            .spawn(|_| (dispatcher(), Ctx::default()))
            .unwrap();
        let mut conn = TcpConnection::connect(handle.local_addr(), framing).unwrap();
        let n = allocations_per_packet(|i| tcp_echo(&mut conn, i));
        assert_eq!(
            n, 0,
            "TCP server ({framing}): {n} allocations in {MEASURED} round trips"
        );
        handle.stop().unwrap();
    }
}
