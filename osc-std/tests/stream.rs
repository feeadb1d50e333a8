//! `StreamConnection` over Unix socket pairs: both framings, frames split across reads and written a
//! byte at a time, read timeouts that keep a partial frame, bad frames followed by good ones,
//! dispatch with replies on the same stream, the end of the stream.
#![cfg(unix)]

mod common;

use std::io::Write;
use std::os::unix::net::UnixStream;
use std::thread;
use std::time::Duration;

use common::{encode, framed};
use osc_core::{Arg, BundleBuilder, Dispatcher, FrameError, HandlerFn, Message, Packet, TimeTag};
use osc_std::{Error, Framing, StreamConnection};

const PATIENCE: Duration = Duration::from_secs(10);

fn pair(framing: Framing) -> (StreamConnection<UnixStream>, StreamConnection<UnixStream>) {
    let (a, b) = UnixStream::pair().unwrap();
    b.set_read_timeout(Some(PATIENCE)).unwrap();
    a.set_read_timeout(Some(PATIENCE)).unwrap();
    (
        StreamConnection::new(a, framing),
        StreamConnection::new(b, framing),
    )
}

/// Every byte value, SLIP's END (0xC0) and ESC (0xDB) among them.
fn all_bytes() -> Vec<u8> {
    (0..=255).collect()
}

#[test]
fn messages_and_bundles_cross_in_both_framings() {
    for framing in [Framing::Slip, Framing::LengthPrefix] {
        let (mut a, mut b) = pair(framing);
        assert_eq!(a.framing(), framing);
        let blob = all_bytes();
        let sent = a
            .send_message("/data", &[Arg::Blob(&blob), Arg::String("tail")])
            .unwrap();
        assert_eq!(
            sent,
            framing.encoded_len(&encode("/data", &[Arg::Blob(&blob), Arg::String("tail")]))
        );
        let mut buf = [0u8; 128];
        let n = BundleBuilder::new(&mut buf, TimeTag::IMMEDIATELY)
            .and_then(|b| b.message(&Message::new("/x", &[Arg::Int(1)])))
            .and_then(|b| b.message(&Message::new("/y", &[Arg::Float(2.0)])))
            .and_then(|b| b.finish())
            .unwrap();
        let bundle = osc_core::decode(&buf[..n]).unwrap();
        a.send(&bundle).unwrap();

        let p = b.recv().unwrap().expect("the message");
        let (data, tail) = p.as_message().unwrap().get::<(&[u8], &str)>().unwrap();
        assert_eq!((data, tail), (blob.as_slice(), "tail"), "{framing}");
        let p = b.recv().unwrap().expect("the bundle");
        let Packet::Bundle(got) = p else {
            panic!("not a bundle: {p:?}")
        };
        assert_eq!(got.elements().count(), 2);

        // And back the other way.
        b.send_message("/ack", &[]).unwrap();
        assert_eq!(
            a.recv().unwrap().unwrap().as_message().unwrap().address(),
            "/ack"
        );
    }
}

#[test]
fn a_frame_written_a_byte_at_a_time_arrives_whole() {
    for framing in [Framing::Slip, Framing::LengthPrefix] {
        let (a, mut b) = pair(framing);
        let bytes = framed(
            framing,
            &encode("/slow", &[Arg::Blob(&all_bytes()), Arg::Int(7)]),
        );
        let writer = thread::spawn(move || {
            let mut a = a.into_inner();
            for byte in bytes {
                a.write_all(&[byte]).unwrap();
                thread::yield_now();
            }
            a
        });
        let p = b.recv().unwrap().expect("a packet");
        assert_eq!(p.as_message().unwrap().get::<(&[u8], i32)>().unwrap().1, 7);
        drop(writer.join().unwrap());
    }
}

#[test]
fn several_frames_in_one_write_are_delivered_one_by_one() {
    let (a, mut b) = pair(Framing::Slip);
    let mut bytes = Vec::new();
    for i in 0..50 {
        bytes.extend(framed(Framing::Slip, &encode("/n", &[Arg::Int(i)])));
    }
    a.into_inner().write_all(&bytes).unwrap();
    for i in 0..50 {
        let p = b.recv().unwrap().expect("a packet");
        assert_eq!(p.as_message().unwrap().get::<(i32,)>().unwrap(), (i,));
    }
}

#[test]
fn a_read_timeout_keeps_the_partial_frame() {
    let (a, mut b) = pair(Framing::LengthPrefix);
    b.get_mut()
        .set_read_timeout(Some(Duration::from_millis(50)))
        .unwrap();
    let bytes = framed(Framing::LengthPrefix, &encode("/half", &[Arg::Int(5)]));
    let mut raw = a.into_inner();
    raw.write_all(&bytes[..7]).unwrap();
    assert!(b.recv().unwrap().is_none(), "a timed-out read is Ok(None)");
    assert!(b.has_partial_frame());
    raw.write_all(&bytes[7..]).unwrap();
    let p = b.recv().unwrap().expect("the rest of the frame");
    assert_eq!(p.as_message().unwrap().get::<(i32,)>().unwrap(), (5,));
    assert!(!b.has_partial_frame());
}

#[test]
fn bad_frames_are_reported_and_the_next_good_one_is_delivered() {
    let (a, mut b) = pair(Framing::Slip);
    b.set_max_frame_size(64);
    assert_eq!(b.max_frame_size(), 64);
    let mut raw = StreamConnection::new(a.into_inner(), Framing::Slip);
    // Too long for the limit, then not OSC, then a bad escape, then good.
    raw.send_raw(&[b'/'; 200]).unwrap();
    raw.send_raw(b"hello").unwrap();
    raw.write_unframed(&[0xC0, b'/', 0xDB, 0x01, 0xC0]).unwrap();
    raw.send_message("/good", &[Arg::Int(1)]).unwrap();
    assert!(matches!(
        b.recv(),
        Err(Error::Frame(FrameError::TooLong { .. }))
    ));
    assert!(matches!(b.recv(), Err(Error::Decode(_))));
    assert!(matches!(
        b.recv(),
        Err(Error::Frame(FrameError::BadEscape { .. }))
    ));
    let p = b.recv().unwrap().expect("the good frame");
    assert_eq!(p.as_message().unwrap().address(), "/good");
}

#[test]
fn handle_one_dispatches_and_replies_on_the_stream() {
    let mut routes: Dispatcher<'_, HandlerFn<Vec<i32>, &'static str>, 4> = Dispatcher::new();
    routes
        .map("/add", |seen, req, replies| {
            let (x, y) = req.message.get::<(i32, i32)>().unwrap();
            seen.push(x + y);
            assert_eq!(*req.sender, "ttyTEST");
            let _ = replies.message("/sum").int(x + y).send();
        })
        .unwrap();
    for framing in [Framing::Slip, Framing::LengthPrefix] {
        let (mut host, mut device) = pair(framing);
        host.send_message("/add", &[Arg::Int(2), Arg::Int(3)])
            .unwrap();
        host.send_message("/nobody", &[]).unwrap();
        host.send_message("/add", &[Arg::Int(10), Arg::Int(-4)])
            .unwrap();
        let mut seen = Vec::new();
        for _ in 0..3 {
            assert!(device
                .handle_one(&mut routes, &mut seen, &"ttyTEST")
                .unwrap());
        }
        assert_eq!(seen, [5, 6]);
        for want in [5, 6] {
            let p = host.recv().unwrap().expect("a reply");
            assert_eq!(p.as_message().unwrap().get::<(i32,)>().unwrap(), (want,));
        }
        drop(host);
        assert!(device
            .handle_one(&mut routes, &mut seen, &"ttyTEST")
            .unwrap_err()
            .is_closed());
    }
}

#[test]
fn the_end_of_the_stream_is_closed_and_a_cut_frame_shows() {
    let (a, mut b) = pair(Framing::Slip);
    let bytes = framed(Framing::Slip, &encode("/cut", &[Arg::Int(1)]));
    let mut raw = a.into_inner();
    raw.write_all(&bytes[..bytes.len() - 3]).unwrap();
    drop(raw);
    assert!(b.recv().unwrap_err().is_closed());
    assert!(b.has_partial_frame());
}
