//! OSC over byte streams (embedded-io and embedded-io-async): frames split across reads of every size,
//! many frames per read, SLIP and length prefix, bad frames and bad packets in between, and no allocation.

mod common;

use core::convert::Infallible;

use common::alloc_counter::{allocations, Counting};
use common::app::{routes, Recorder, Routes, Server};
use embedded_io::{ErrorType, Read, Write};
use osc_embedded::osc_core::len_prefix::{self, LenPrefixDecoder};
use osc_embedded::osc_core::slip::{self, SlipDecoder};
use osc_embedded::osc_core::{Arg, FrameError, Message, Packet};
use osc_embedded::stream::StreamEndpoint;
use osc_embedded::{Error, Framing, Immediate, Service};

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// A byte stream that hands out its input at most `max_read` bytes per read and collects what is written.
struct Duplex<'a> {
    input: &'a [u8],
    max_read: usize,
    output: heapless::Vec<u8, 2048>,
}

impl ErrorType for Duplex<'_> {
    type Error = Infallible;
}

impl Read for Duplex<'_> {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, Infallible> {
        let n = self.input.len().min(self.max_read).min(buf.len());
        let (now, rest) = self.input.split_at(n);
        buf[..n].copy_from_slice(now);
        self.input = rest;
        Ok(n)
    }
}

impl Write for Duplex<'_> {
    fn write(&mut self, buf: &[u8]) -> Result<usize, Infallible> {
        self.output.extend_from_slice(buf).unwrap();
        Ok(buf.len())
    }

    fn flush(&mut self) -> Result<(), Infallible> {
        Ok(())
    }
}

#[cfg(feature = "embedded-io-async")]
impl embedded_io_async::Read for Duplex<'_> {
    async fn read(&mut self, buf: &mut [u8]) -> Result<usize, Infallible> {
        Read::read(self, buf)
    }
}

#[cfg(feature = "embedded-io-async")]
impl embedded_io_async::Write for Duplex<'_> {
    async fn write(&mut self, buf: &[u8]) -> Result<usize, Infallible> {
        Write::write(self, buf)
    }

    async fn flush(&mut self) -> Result<(), Infallible> {
        Ok(())
    }
}

/// The requests: `/ping`, `/add 2 3`, a frame that is not OSC, `/echo` with bytes SLIP must escape.
fn requests() -> [heapless::Vec<u8, 64>; 4] {
    let mut out: [heapless::Vec<u8, 64>; 4] = Default::default();
    let blob = [0xC0, 0xDB, 0xC0];
    let echo_args = [Arg::Int(0xC0DB), Arg::Blob(&blob)];
    let packets = [
        Message::new("/ping", &[]),
        Message::new("/add", &[Arg::Int(2), Arg::Int(3)]),
        Message::new("/bad", &[]),
        Message::new("/echo", &echo_args),
    ];
    for (slot, m) in out.iter_mut().zip(packets) {
        let _ = slot.resize(64, 0);
        let n = m.encode(slot).unwrap();
        slot.truncate(n);
    }
    // Make the third one invalid OSC: an address without a leading slash.
    out[2][0] = b'x';
    out
}

fn stream_of<F: Framing>() -> heapless::Vec<u8, 512> {
    let mut wire = heapless::Vec::new();
    for packet in requests() {
        let frame = F::frame(&packet).unwrap();
        wire.extend_from_slice(frame.header()).unwrap();
        for piece in frame.pieces() {
            wire.extend_from_slice(piece).unwrap();
        }
    }
    wire
}

/// Decodes the written replies with framing `F` into a recorder.
fn replies_in<F: Framing>(mut decoder: F, mut bytes: &[u8]) -> Recorder {
    let mut rec = Recorder::default();
    while !bytes.is_empty() {
        let (used, frame) = decoder.feed_frame(bytes);
        bytes = &bytes[used..];
        if let Some(frame) = frame {
            let packet = Packet::decode(frame.unwrap()).unwrap();
            rec.handle(&packet, &(), &mut osc_embedded::osc_core::Replies::none());
        }
    }
    rec
}

fn serve<F: Framing>(framing: F, wire: &[u8], max_read: usize) -> (Duplex<'_>, Server, u32) {
    let mut routes: Routes<()> = routes();
    let mut server = Server::default();
    let mut out = [0u8; 128];
    let mut osc: StreamEndpoint<'_, F, 16> = StreamEndpoint::new(framing, &mut out);
    let mut io = Duplex {
        input: wire,
        max_read,
        output: heapless::Vec::new(),
    };
    let mut decode_errors = 0;
    loop {
        match osc.poll(&mut io, &(), Immediate::new(&mut routes, &mut server)) {
            Ok(_) => {}
            Err(Error::Decode(_)) => decode_errors += 1,
            Err(Error::Closed) => break,
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!(osc.stats().packets, 4);
    assert_eq!(osc.stats().replies_sent, 3);
    (io, server, decode_errors)
}

fn check<F: Framing>(replies: Recorder, server: &Server, decode_errors: u32) {
    let _ = core::marker::PhantomData::<F>;
    assert_eq!(
        replies.addresses().collect::<Vec<_>>(),
        ["/pong", "/sum", "/echo"]
    );
    assert!(replies.has("/sum", 5));
    assert!(replies.has("/echo", 0xC0DB));
    assert_eq!(server.requests, 3);
    assert_eq!(decode_errors, 1);
}

#[test]
fn slip_over_reads_of_every_size() {
    let wire = stream_of::<SlipDecoder<[u8; 0]>>();
    for max_read in 1..=wire.len() {
        let before = allocations();
        let mut frame = [0u8; 64];
        let (io, server, errors) = serve(SlipDecoder::new(&mut frame[..]), &wire, max_read);
        assert_eq!(allocations() - before, 0, "reads of {max_read}");
        check::<SlipDecoder<[u8; 0]>>(
            replies_in(SlipDecoder::new([0u8; 64]), &io.output),
            &server,
            errors,
        );
    }
}

#[test]
fn length_prefix_over_reads_of_every_size() {
    let wire = stream_of::<LenPrefixDecoder<[u8; 0]>>();
    for max_read in 1..=wire.len() {
        let before = allocations();
        let (io, server, errors) = serve(LenPrefixDecoder::new([0u8; 64]), &wire, max_read);
        assert_eq!(allocations() - before, 0, "reads of {max_read}");
        check::<LenPrefixDecoder<[u8; 0]>>(
            replies_in(LenPrefixDecoder::new([0u8; 64]), &io.output),
            &server,
            errors,
        );
    }
}

#[test]
fn a_bad_frame_is_reported_once_and_the_next_one_comes_through() {
    // A bad SLIP escape, then a frame too long for the 16-byte decoder, then /ping.
    let mut wire: heapless::Vec<u8, 128> = heapless::Vec::new();
    wire.extend_from_slice(&[slip::END, 0x2F, slip::ESC, 0x00, 0x01, slip::END])
        .unwrap();
    wire.extend_from_slice(&[slip::END]).unwrap();
    wire.extend_from_slice(&[0x41; 20]).unwrap();
    wire.extend_from_slice(&[slip::END]).unwrap();
    let mut ping = [0u8; 32];
    let n = Message::new("/ping", &[]).encode(&mut ping).unwrap();
    let mut framed = [0u8; 40];
    let m = slip::encode(&ping[..n], &mut framed).unwrap();
    wire.extend_from_slice(&framed[..m]).unwrap();

    let mut routes: Routes<()> = routes();
    let mut server = Server::default();
    let mut out = [0u8; 64];
    let mut osc: StreamEndpoint<'_, _, 8> =
        StreamEndpoint::new(SlipDecoder::new([0u8; 16]), &mut out);
    let mut io = Duplex {
        input: &wire,
        max_read: 5,
        output: heapless::Vec::new(),
    };
    let mut svc = Immediate::new(&mut routes, &mut server);
    assert_eq!(
        osc.poll(&mut io, &(), &mut svc),
        Err(Error::Frame(FrameError::BadEscape { offset: 1 }))
    );
    assert_eq!(
        osc.poll(&mut io, &(), &mut svc),
        Err(Error::Frame(FrameError::TooLong { len: None, max: 16 }))
    );
    assert_eq!(
        osc.poll(&mut io, &(), &mut svc).map(|o| o.handler_calls),
        Ok(1)
    );
    assert_eq!(osc.poll(&mut io, &(), &mut svc), Err(Error::Closed));
    assert_eq!(osc.stats().frame_errors, 2);
    let replies = replies_in(SlipDecoder::new([0u8; 64]), &io.output);
    assert!(replies.has("/pong", 1));
}

#[test]
fn read_packet_and_send_round_trip_through_a_length_prefixed_stream() {
    let mut out = [0u8; 64];
    let mut osc: StreamEndpoint<'_, _, 4> =
        StreamEndpoint::new(LenPrefixDecoder::new([0u8; 64]), &mut out);
    let mut sink = Duplex {
        input: &[],
        max_read: 1,
        output: heapless::Vec::new(),
    };
    let msg = Packet::Message(Message::new("/a", &[Arg::Float(0.25)]));
    osc.send(&mut sink, &msg).unwrap();
    assert_eq!(&sink.output[..len_prefix::HEADER_LEN], &[0, 0, 0, 12]);
    let wire = sink.output.clone();
    let mut source = Duplex {
        input: &wire,
        max_read: 3,
        output: heapless::Vec::new(),
    };
    let got = osc.read_packet_with(&mut source, |p| p == msg);
    assert_eq!(got, Ok(true));
    assert_eq!(
        osc.read_packet_with(&mut source, |_| ()),
        Err(Error::Closed)
    );
}

#[cfg(feature = "embedded-io-async")]
/// Runs a future that never waits to completion (the mock stream is always ready).
fn block_on<F: core::future::Future>(future: F) -> F::Output {
    let mut future = core::pin::pin!(future);
    let mut cx = core::task::Context::from_waker(core::task::Waker::noop());
    loop {
        if let core::task::Poll::Ready(out) = future.as_mut().poll(&mut cx) {
            return out;
        }
    }
}

#[cfg(feature = "embedded-io-async")]
#[test]
fn async_slip_over_reads_of_every_size() {
    let wire = stream_of::<SlipDecoder<[u8; 0]>>();
    for max_read in [1, 2, 3, 7, 64, 512] {
        let mut routes: Routes<()> = routes();
        let mut server = Server::default();
        let mut out = [0u8; 128];
        let mut osc: StreamEndpoint<'_, _, 16> =
            StreamEndpoint::new(SlipDecoder::new([0u8; 64]), &mut out);
        let mut io = Duplex {
            input: &wire,
            max_read,
            output: heapless::Vec::new(),
        };
        let before = allocations();
        let mut decode_errors = 0;
        block_on(async {
            loop {
                match osc
                    .poll_async(&mut io, &(), Immediate::new(&mut routes, &mut server))
                    .await
                {
                    Ok(_) => {}
                    Err(Error::Decode(_)) => decode_errors += 1,
                    Err(Error::Closed) => break,
                    Err(e) => panic!("{e}"),
                }
            }
            osc.send_async(&mut io, &Packet::Message(Message::new("/bye", &[])))
                .await
                .unwrap();
        });
        assert_eq!(allocations() - before, 0);
        let replies = replies_in(SlipDecoder::new([0u8; 64]), &io.output);
        assert_eq!(
            replies.addresses().collect::<Vec<_>>(),
            ["/pong", "/sum", "/echo", "/bye"]
        );
        assert_eq!(decode_errors, 1);
    }
}
