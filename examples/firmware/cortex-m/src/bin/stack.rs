//! Measures the stack that OSC needs: paints the free stack with a pattern, runs the work, and finds
//! the deepest word that changed. Prints the figures through semihosting and exits with status 0.
//!
//! Three measurements, all with the eight routes of `osc-uart` and a mix of packets (messages with every
//! common argument type, an array, a nested bundle, a malformed packet):
//! 1. `decode` + dispatch through osc-embedded's `Immediate` service + building the replies, for
//!    messages only;
//! 2. the same with bundles too (the dispatcher walks bundles with a fixed-size stack);
//! 3. the whole `StreamEndpoint::poll` path: SLIP bytes in, frames decoded, dispatched, reply frames out.
#![no_std]
#![no_main]

use core::convert::Infallible;

use cortex_m_rt::entry;
use cortex_m_semihosting::hprintln;
use embedded_io::{ErrorType, Read, Write};
use osc_embedded::osc_core::slip::{self, SlipDecoder};
use osc_embedded::osc_core::{decode, Arg, BundleBuilder, Message, Replies, TimeTag};
use osc_embedded::stream::StreamEndpoint;
use osc_embedded::{Error, Immediate, Service};
use osc_firmware_cortex_m::app::{self, App, Routes};
use osc_firmware_cortex_m::exit;

const PATTERN: u32 = 0xA5C3_5A3C;
/// Bytes below the current stack pointer that are painted (the measured work must need less).
const PAINT: usize = 16 * 1024;

/// Runs `work` on a painted stack and returns how many bytes below the caller's stack pointer it used.
#[inline(never)]
fn high_water(work: &mut dyn FnMut()) -> usize {
    let sp = cortex_m::register::msp::read() as usize;
    let top = sp - 16;
    let bottom = sp - PAINT;
    for addr in (bottom..top).step_by(4) {
        // SAFETY: below the stack pointer, inside RAM (the stack is 4 MiB), and nothing else runs.
        unsafe { core::ptr::write_volatile(addr as *mut u32, PATTERN) };
    }
    work();
    let lowest = (bottom..top)
        .step_by(4)
        // SAFETY: the same words as above.
        .find(|&addr| unsafe { core::ptr::read_volatile(addr as *const u32) } != PATTERN)
        .unwrap_or(top);
    sp - lowest
}

/// An in-memory stream: reads from `input`, counts what is written.
struct Memory<'a> {
    input: &'a [u8],
    written: usize,
}

impl ErrorType for Memory<'_> {
    type Error = Infallible;
}

impl Read for Memory<'_> {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, Infallible> {
        self.input.read(buf)
    }
}

impl Write for Memory<'_> {
    fn write(&mut self, buf: &[u8]) -> Result<usize, Infallible> {
        self.written += buf.len();
        Ok(buf.len())
    }

    fn flush(&mut self) -> Result<(), Infallible> {
        Ok(())
    }
}

/// Encodes the sample packets back to back into `store`; returns their (offset, length) pairs.
fn samples(store: &mut [u8; 1024]) -> ([(usize, usize); 7], usize) {
    let blob = [0xC0, 0xDB, 1, 2, 3];
    let blob_args = [Arg::Blob(&blob)];
    let messages = [
        Message::new("/ping", &[]),
        Message::new("/add", &[Arg::Int(2), Arg::Int(3)]),
        Message::new("/blob", &blob_args),
        Message::new("/status", &[]),
        Message::new("/name", &[Arg::String("osc-embedded")]),
    ];
    let mut spans = [(0, 0); 7];
    let mut at = 0;
    for (span, m) in spans.iter_mut().zip(messages.iter()) {
        let n = m.encode(&mut store[at..]).unwrap_or(0);
        *span = (at, n);
        at += n;
    }
    let n = BundleBuilder::new(&mut store[at..], TimeTag::IMMEDIATELY)
        .and_then(|b| b.message_with("/led", |m| m.int(1)))
        .and_then(|b| {
            b.bundle_with(TimeTag::IMMEDIATELY, |inner| {
                inner.message_with("/gain", |m| m.float(0.75))
            })
        })
        .and_then(|b| b.finish())
        .unwrap_or(0);
    spans[5] = (at, n);
    at += n;
    // Malformed: a truncated /add.
    let n = spans[1].1 - 3;
    store.copy_within(spans[1].0..spans[1].0 + n, at);
    spans[6] = (at, n);
    at += n;
    (spans, at)
}

#[entry]
fn main() -> ! {
    let mut routes: Routes<()> = Routes::new();
    if app::routes(&mut routes) != 8 {
        exit(false);
    }
    let mut app = App::default();
    let mut store = [0u8; 1024];
    let (spans, _) = samples(&mut store);
    let mut reply_buf = [0u8; 256];

    let mut handled = 0;
    let mut run = |packets: &[(usize, usize)]| {
        for &(at, len) in packets {
            let mut replies = Replies::new(&mut reply_buf);
            if let Ok(packet) = decode(&store[at..at + len]) {
                handled += Immediate::new(&mut routes, &mut app)
                    .handle(&packet, &(), &mut replies)
                    .handler_calls;
            }
        }
    };
    let messages_bytes = high_water(&mut || run(&spans[..5]));
    let dispatch_bytes = high_water(&mut || run(&spans));

    let mut wire = [0u8; 2048];
    let mut wire_len = 0;
    for &(at, len) in &spans {
        wire_len += slip::encode(&store[at..at + len], &mut wire[wire_len..]).unwrap_or(0);
    }
    let mut frame = [0u8; 256];
    let mut out = [0u8; 256];
    let mut osc: StreamEndpoint<'_, _, 32> =
        StreamEndpoint::new(SlipDecoder::new(&mut frame[..]), &mut out);
    let mut io = Memory {
        input: &wire[..wire_len],
        written: 0,
    };
    let mut polled = 0;
    let stream_bytes = high_water(&mut || loop {
        match osc.poll(&mut io, &(), Immediate::new(&mut routes, &mut app)) {
            Ok(o) => polled += o.handler_calls,
            Err(Error::Decode(_) | Error::Frame(_)) => {}
            Err(_) => break,
        }
    });

    // 6 handler calls for the messages, 2 for the bundle; the malformed packet is dropped.
    let ok = handled == 5 + 7 && polled == 7 && io.written > 0 && app.led == 1 && app.gain == 0.75;
    hprintln!(
        "stack decode+dispatch+reply, messages only: {} bytes",
        messages_bytes
    );
    hprintln!("stack decode+dispatch+reply: {} bytes", dispatch_bytes);
    hprintln!(
        "stack stream poll (SLIP in, dispatch, SLIP out): {} bytes",
        stream_bytes
    );
    hprintln!(
        "handler calls: {} + {}, written {} bytes",
        handled,
        polled,
        io.written
    );
    exit(ok)
}
