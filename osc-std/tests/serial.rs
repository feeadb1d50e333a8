//! Serial connections (feature `serial`) over pseudo-terminal pairs, the stand-in for a USB CDC or
//! UART link: every byte value crosses the line unchanged (raw mode: no CR/LF translation, no
//! XON/XOFF, no signal characters), both framings, timeouts, a port opened by name, dispatch.
#![cfg(all(unix, feature = "serial"))]

use std::time::{Duration, Instant};

use osc_core::{Arg, Dispatcher, HandlerFn};
use osc_std::serial;
use osc_std::serial::serialport::{SerialPort, TTYPort};
use osc_std::{Framing, StreamConnection};

const PATIENCE: Duration = Duration::from_secs(10);

/// Every byte value: SLIP's END and ESC, CR, LF, XON, XOFF, ^C, ^D, DEL and the high half.
fn all_bytes() -> Vec<u8> {
    (0..=255).collect()
}

fn pty_pair(framing: Framing) -> (StreamConnection<TTYPort>, StreamConnection<TTYPort>) {
    let (master, slave) = TTYPort::pair().expect("a pseudo-terminal pair");
    (
        StreamConnection::new(master, framing),
        StreamConnection::new(slave, framing),
    )
}

#[test]
fn every_byte_value_crosses_the_line_in_both_framings() {
    for framing in [Framing::Slip, Framing::LengthPrefix] {
        let (mut host, mut device) = pty_pair(framing);
        let blob = all_bytes();
        host.send_message("/raw", &[Arg::Blob(&blob), Arg::String("\r\n")])
            .unwrap();
        let p = device
            .recv_timeout(Some(PATIENCE))
            .unwrap()
            .expect("a packet");
        let got = p.as_message().unwrap().get::<(&[u8], &str)>().unwrap();
        assert_eq!(got, (blob.as_slice(), "\r\n"), "{framing}");

        device.send_message("/raw", &[Arg::Blob(&blob)]).unwrap();
        let p = host
            .recv_timeout(Some(PATIENCE))
            .unwrap()
            .expect("a packet");
        assert_eq!(
            p.as_message().unwrap().get::<(&[u8],)>().unwrap().0,
            blob.as_slice()
        );
    }
}

#[test]
fn timeouts_bound_the_wait_and_zero_only_takes_what_is_there() {
    let (mut host, mut device) = pty_pair(Framing::Slip);
    let start = Instant::now();
    assert!(device
        .recv_timeout(Some(Duration::from_millis(100)))
        .unwrap()
        .is_none());
    let waited = start.elapsed();
    assert!(
        waited >= Duration::from_millis(90),
        "returned after {waited:?}"
    );
    assert!(waited < PATIENCE);
    assert!(device.recv_timeout(Some(Duration::ZERO)).unwrap().is_none());

    host.send_message("/later", &[]).unwrap();
    let p = device.recv_timeout(None).unwrap().expect("a packet");
    assert_eq!(p.as_message().unwrap().address(), "/later");

    // A timed receive gives the port back with no limit, so that a write (which waits with the
    // same timeout in `serialport`) is not cut short after `Some(ZERO)`.
    assert!(host.recv_timeout(Some(Duration::ZERO)).unwrap().is_none());
    assert_eq!(host.get_ref().timeout(), Duration::from_secs(24 * 60 * 60));
    let mut routes: Dispatcher<'_, HandlerFn<(), ()>, 1> = Dispatcher::new();
    assert!(!device
        .handle_one_timeout(&mut routes, &mut (), &(), Some(Duration::ZERO))
        .unwrap());
    assert_eq!(
        device.get_ref().timeout(),
        Duration::from_secs(24 * 60 * 60)
    );
}

#[test]
fn a_port_opened_by_name_talks_slip_at_any_rate() {
    // `_slave` stays open: without it, the master's side would see a hang-up until `open`.
    let (master, _slave) = TTYPort::pair().expect("a pseudo-terminal pair");
    let path = _slave.name().expect("the slave's path");
    let mut host = serial::open(&path, 115_200).unwrap();
    assert_eq!(host.framing(), Framing::Slip);
    let mut device = StreamConnection::new(master, Framing::Slip);

    let mut routes: Dispatcher<'_, HandlerFn<u32, ()>, 4> = Dispatcher::new();
    routes
        .map("/ping", |pings, _, replies| {
            *pings += 1;
            let _ = replies.message("/pong").int(*pings as i32).send();
        })
        .unwrap();
    let mut pings = 0;
    for i in 1..=3 {
        host.send_message("/ping", &[]).unwrap();
        assert!(device
            .handle_one_timeout(&mut routes, &mut pings, &(), Some(PATIENCE))
            .unwrap());
        let p = host.recv_timeout(Some(PATIENCE)).unwrap().expect("a pong");
        assert_eq!(p.as_message().unwrap().get::<(i32,)>().unwrap(), (i,));
    }
}

#[test]
fn a_missing_port_is_an_error_that_names_it() {
    let e = serial::open("/dev/osc-no-such-port", 9600).unwrap_err();
    assert!(e.to_string().contains("/dev/osc-no-such-port"), "{e}");
}
