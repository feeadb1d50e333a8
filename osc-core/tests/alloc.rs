//! A counting global allocator shows that decoding, walking and encoding W1–W4 allocates nothing.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use common::{digest, hex, w1_args};
use osc_core::{decode, Arg, Bundle, BundleBuilder, Message, MessageBuilder, Packet, TimeTag};

struct Counting;

thread_local! {
    static ALLOCS: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: delegates to the system allocator; only counts calls made on the current thread.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCS.try_with(|c| c.set(c.get() + 1));
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCS.try_with(|c| c.set(c.get() + 1));
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let _ = ALLOCS.try_with(|c| c.set(c.get() + 1));
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Allocations made on this thread while `f` runs.
fn allocations<R>(f: impl FnOnce() -> R) -> (usize, R) {
    let before = ALLOCS.with(Cell::get);
    let r = f();
    (ALLOCS.with(Cell::get) - before, r)
}

#[test]
fn counter_sees_allocations() {
    let (n, b) = allocations(|| Box::new(7u64));
    assert_eq!((n, *b), (1, 7));
}

#[test]
fn decode_and_walk_allocate_nothing() {
    let vectors = [
        hex(include_str!("vectors/W1.hex")),
        hex(include_str!("vectors/W2.hex")),
        hex(include_str!("vectors/W3.hex")),
        hex(include_str!("vectors/W4.hex")),
    ];
    for bytes in &vectors {
        let (n, d) = allocations(|| {
            let p = decode(bytes).unwrap();
            digest(&p, true)
        });
        assert_eq!(n, 0, "decode of {} bytes allocated", bytes.len());
        assert_ne!(d, 0);
    }
}

#[test]
fn encode_allocates_nothing() {
    let w2_blob: [u8; 64] = core::array::from_fn(|i| i as u8);
    let w4_blob: [u8; 8192] = core::array::from_fn(|k| (k & 0xff) as u8);
    let mut buf = [0u8; 8300];
    let (n, total) = allocations(|| {
        let mut total = 0;
        // W1
        let args = w1_args(440);
        total += Message::new("/synth/1/freq", &args)
            .encode(&mut buf)
            .unwrap();
        total += MessageBuilder::new(&mut buf, "/synth/1/freq")
            .and_then(|b| b.int(440)?.float(0.5)?.string("sine"))
            .and_then(MessageBuilder::finish)
            .unwrap();
        // W2
        let args = [
            Arg::Int(-123_456_789),
            Arg::Float(1234.5),
            Arg::Double(core::f64::consts::E),
            Arg::Long(1_234_567_890_123_456_789),
            Arg::String("abcdefghijklmnopqrstuvwx"),
            Arg::Blob(&w2_blob),
            Arg::Bool(true),
            Arg::Bool(false),
            Arg::Nil,
            Arg::Time(TimeTag::new(3_900_000_000, 0x8000_0000)),
        ];
        total += Message::new("/mixer/channel/12/eq/band/3", &args)
            .encode(&mut buf)
            .unwrap();
        // W3, as values and in place
        let argv: [[Arg<'_>; 3]; 16] = core::array::from_fn(|i| w1_args(440 + i as i32));
        let elems: [Packet<'_>; 16] =
            core::array::from_fn(|i| Packet::Message(Message::new("/synth/1/freq", &argv[i])));
        total += Bundle::new(TimeTag::IMMEDIATELY, &elems)
            .encode(&mut buf)
            .unwrap();
        let mut bb = BundleBuilder::new(&mut buf, TimeTag::IMMEDIATELY).unwrap();
        for i in 0..16 {
            bb = bb
                .message_with("/synth/1/freq", |m| {
                    m.int(440 + i)?.float(0.5)?.string("sine")
                })
                .unwrap();
        }
        total += bb.finish().unwrap();
        // W4
        let args = [Arg::Blob(&w4_blob)];
        total += Message::new("/data/blob", &args).encode(&mut buf).unwrap();
        total
    });
    assert_eq!(n, 0, "encoding allocated");
    assert_eq!(total, 40 + 40 + 168 + 720 + 720 + 8212);
}

#[test]
fn dispatch_and_schedule_allocate_nothing() {
    use osc_core::{Dispatcher, HandlerFn, Replies, Request, Scheduler, TimePolicy};

    fn count(n: &mut usize, req: &Request<'_, '_, ()>, r: &mut Replies<'_>) {
        *n += 1;
        let _ = r.send(&req.message);
    }
    let table = include_str!("vectors/dispatch_table.txt");
    let w1 = hex(include_str!("vectors/W1.hex"));
    let d2 = hex(include_str!("vectors/D2.hex"));
    let w3 = hex(include_str!("vectors/W3.hex"));
    let mut d: Dispatcher<'_, HandlerFn<usize, ()>, 64> = Dispatcher::new();
    for line in table.lines() {
        d.map(line, count).unwrap();
    }
    let mut sched: Scheduler<(), 8, 2048> = Scheduler::new(TimePolicy::Schedule);
    let base = TimeTag::new(3_900_000_000, 0);
    let mut future = [0u8; 128];
    let mut out = [0u8; 4096];
    let mut scratch = [0u8; 1024];
    let mut calls = 0usize;
    let (n, ()) = allocations(|| {
        for bytes in [&w1[..], &d2[..], &w3[..]] {
            let mut replies = Replies::new(&mut out);
            d.dispatch(&decode(bytes).unwrap(), &mut calls, &(), &mut replies);
        }
        let len = BundleBuilder::new(
            &mut future,
            base.wrapping_add(core::time::Duration::from_millis(5)),
        )
        .and_then(|b| b.message_with("/synth/1/freq", |m| m.int(1)))
        .and_then(BundleBuilder::finish)
        .unwrap();
        let mut replies = Replies::new(&mut out);
        sched.handle(
            base,
            &decode(&future[..len]).unwrap(),
            &mut d,
            &mut calls,
            &(),
            &mut replies,
        );
        let later = base.wrapping_add(core::time::Duration::from_secs(1));
        while sched
            .poll(later, &mut scratch, &mut d, &mut calls, &mut replies)
            .is_some()
        {}
    });
    assert_eq!(n, 0, "dispatching allocated");
    assert_eq!(calls, 1 + 16 + 16 + 1);
}
