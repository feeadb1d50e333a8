//! OSC over a serial port: the host side of a board that speaks SLIP-framed OSC over USB or a UART
//! (CNMAT's `SLIPEncodedSerial` on Arduino and Teensy, osc-embedded's `StreamEndpoint`).
//!
//! ```sh
//! cargo run -p osc-examples --example serial --features serial -- /dev/ttyACM0 115200
//! cargo run -p osc-examples --example serial --features serial    # a simulated board (Unix)
//! ```
//!
//! With a port name it asks the board for `/ping` and prints whatever comes back for a second.
//! Without one (on Unix) a thread plays the board on the far end of a pseudo-terminal: it answers
//! `/ping` and streams a sensor reading, so the example runs anywhere.

use std::time::Duration;

use osc_std::serial;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let path = match args.first() {
        Some(path) => path.clone(),
        None => simulated_board()?,
    };
    let baud = match args.get(1) {
        Some(b) => b.parse()?,
        None => 115_200,
    };

    let mut board = serial::open(&path, baud)?;
    println!("host   opened {path} at {baud} baud, SLIP framing");
    board.send_message("/ping", &[])?;
    println!("host   sent /ping");
    // Everything the board sends within a second of the last packet.
    while let Some(packet) = board.recv_timeout(Some(Duration::from_secs(1)))? {
        match packet.as_message() {
            Some(m) => println!(
                "host   got {} {:?}",
                m.address(),
                m.iter().collect::<Vec<_>>()
            ),
            None => println!("host   got a bundle: {packet:?}"),
        }
    }
    println!("host   nothing more for a second; done");
    Ok(())
}

/// Starts a board on the far end of a pseudo-terminal and returns the path the host opens.
#[cfg(unix)]
fn simulated_board() -> Result<String, Box<dyn std::error::Error>> {
    use osc_core::{Arg, Dispatcher, HandlerFn};
    use osc_std::serial::serialport::{SerialPort, TTYPort};
    use osc_std::{Framing, StreamConnection};

    let (mut end, host_end) = TTYPort::pair()?;
    let path = host_end.name().ok_or("the pseudo-terminal has no name")?;
    end.set_timeout(Duration::from_secs(5))?;
    println!("board  simulated on the far end of {path}");

    std::thread::spawn(move || {
        let mut routes: Dispatcher<'_, HandlerFn<(), ()>, 4> = Dispatcher::new();
        routes
            .map("/ping", |_, _, replies| {
                let _ = replies.message("/pong").send();
            })
            .expect("a free route");
        let mut line = StreamConnection::new(end, Framing::Slip);
        // The host's end stays open here until the board is done: a pseudo-terminal whose other
        // end is closed reports a hang-up (the end of the stream).
        let _host_end = host_end;
        match line.handle_one(&mut routes, &mut (), &()) {
            Ok(true) => {}
            _ => return,
        }
        for reading in [0.0f32, 0.25, 0.5] {
            if line
                .send_message("/analog/0", &[Arg::Float(reading)])
                .is_err()
            {
                return;
            }
        }
        // Keep the line open (a closed end is a hang-up for the host) until the host lets go.
        while let Ok(true) = line.handle_one(&mut routes, &mut (), &()) {}
    });
    Ok(path)
}

#[cfg(not(unix))]
fn simulated_board() -> Result<String, Box<dyn std::error::Error>> {
    Err("give the serial port's name, e.g. COM3".into())
}
