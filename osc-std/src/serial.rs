//! OSC over serial ports (feature `serial`): the host side of a microcontroller that sends and
//! receives SLIP-framed OSC over USB CDC or a UART, as CNMAT's `SLIPEncodedSerial` (Arduino,
//! Teensy) and osc-embedded's `StreamEndpoint` do.
//!
//! A [`SerialConnection`] is a [`StreamConnection`] over a port of the
//! [`serialport`](https://docs.rs/serialport) crate (re-exported), so it sends, receives and
//! dispatches like any framed stream, and [`recv_timeout`](StreamConnection::recv_timeout)
//! bounds the wait. Ports are named as the system names them: `/dev/ttyACM0`, `/dev/ttyUSB0`,
//! `/dev/cu.usbmodem1101`, `COM3`.
//!
//! ```no_run
//! use std::time::Duration;
//! use osc_core::Arg;
//!
//! let mut teensy = osc_std::serial::open("/dev/ttyACM0", 115_200)?;
//! teensy.send_message("/led", &[Arg::Int(1)])?;
//! while let Some(packet) = teensy.recv_timeout(Some(Duration::from_secs(1)))? {
//!     println!("{packet:?}");
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Two things serial lines do that sockets do not:
//!
//! - Opening a port raises DTR, and boards with a USB-serial chip (Arduino Uno, Nano, many ESP32
//!   boards) reset on it: what is sent in the first second or two goes to the bootloader. Wait for
//!   the board's first message, or a fixed delay, before sending. Boards with native USB (Teensy,
//!   Arduino Leonardo and Zero, RP2040) do not reset.
//! - On Unix, when the far end hangs up (a USB device unplugged, the other side of a
//!   pseudo-terminal closed) a receive ends with [`Error::Closed`](crate::Error::Closed), and bytes
//!   that arrived just before the hang-up may not be delivered.
//!
//! Any other port setting (parity, flow control, a port opened elsewhere) goes through
//! `serialport`'s builder, then [`StreamConnection::new`]:
//!
//! ```no_run
//! use osc_std::serial::serialport::{self, FlowControl};
//! use osc_std::{Framing, StreamConnection};
//!
//! let port = serialport::new("/dev/ttyUSB0", 57_600).flow_control(FlowControl::Hardware).open()?;
//! let conn = StreamConnection::new(port, Framing::Slip);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::io;
use std::time::Duration;

pub use serialport;
use serialport::SerialPort;

use crate::framing::Framing;
use crate::stream::{StreamConnection, TimedRead};

/// A serial port carrying SLIP or length-prefix framed OSC packets.
pub type SerialConnection = StreamConnection<Box<dyn SerialPort>>;

/// The timeout that stands for "no limit": `serialport` needs a finite one. A read that reaches it
/// is simply tried again.
const FOREVER: Duration = Duration::from_secs(24 * 60 * 60);

/// Opens the serial port `path` at `baud` bits per second (8 data bits, no parity, 1 stop bit, no
/// flow control) for SLIP-framed OSC, the OSC 1.1 framing that serial OSC peers use.
///
/// A USB CDC device (most boards with native USB) ignores the rate. The error names the port:
/// one that does not exist, is taken by another program, or may not be opened by this user.
pub fn open(path: &str, baud: u32) -> io::Result<SerialConnection> {
    open_framed(path, baud, Framing::Slip)
}

/// [`open`] with a chosen framing.
pub fn open_framed(path: &str, baud: u32, framing: Framing) -> io::Result<SerialConnection> {
    let port = serialport::new(path, baud)
        .timeout(FOREVER)
        .open()
        .map_err(|e| {
            let e = io::Error::from(e);
            io::Error::new(e.kind(), format!("cannot open serial port {path}: {e}"))
        })?;
    Ok(StreamConnection::new(port, framing))
}

/// `TimedRead` for the port types. `serialport`'s writes wait with the read timeout, so a timed
/// receive puts back `FOREVER` when it ends: a send after `recv_timeout(Some(ZERO))` must not be cut
/// short mid-frame.
macro_rules! timed_read_for_ports {
    ($($(#[$cfg:meta])* $port:ty),*) => {$(
        $(#[$cfg])*
        impl TimedRead for $port {
            fn set_read_timeout(&mut self, timeout: Option<Duration>) -> io::Result<()> {
                set_port_timeout(self, timeout)
            }

            fn end_timed_read(&mut self) -> io::Result<()> {
                set_port_timeout(self, None)
            }
        }
    )*};
}

timed_read_for_ports!(
    dyn SerialPort,
    #[cfg(unix)]
    serialport::TTYPort,
    #[cfg(windows)]
    serialport::COMPort
);

/// Sets a port's read timeout, [`FOREVER`] for none.
fn set_port_timeout(port: &mut dyn SerialPort, timeout: Option<Duration>) -> io::Result<()> {
    port.set_timeout(timeout.map_or(FOREVER, |t| t.min(FOREVER)))
        .map_err(io::Error::from)
}
