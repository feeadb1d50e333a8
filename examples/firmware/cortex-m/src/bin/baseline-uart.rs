//! The footprint baseline: the same UART I/O as `osc-uart` (read into a 256-byte frame buffer until a
//! SLIP END, write a reply frame from a 256-byte buffer, exit on request) with no OSC at all. The
//! difference in size between the two binaries is what OSC costs.
#![no_std]
#![no_main]

use cortex_m_rt::entry;
use embedded_io::{Read, Write};
use osc_firmware_cortex_m::exit;
use osc_firmware_cortex_m::uart::{Uart, UART0};

const PACKET: usize = 256;
const REPLIES: usize = 256;
const END: u8 = 0xC0;
const CANNED: &[u8] = b"\xC0/pong\0\0\0,\0\0\0\xC0";

#[entry]
fn main() -> ! {
    // `#[entry]` turns these into `&'static mut` references (in `.bss`, no run-time check).
    static mut FRAME: [u8; PACKET] = [0; PACKET];
    static mut OUT: [u8; REPLIES] = [0; REPLIES];
    static mut CHUNK: [u8; 32] = [0; 32];
    let (frame, out, chunk) = (FRAME, OUT, CHUNK);
    // SAFETY: UART0 is on the board and only this program drives it.
    let mut uart = unsafe { Uart::new(UART0) };
    let mut len = 0;
    loop {
        let Ok(n) = uart.read(chunk);
        for &byte in chunk.iter().take(n) {
            if byte != END {
                if let Some(slot) = frame.get_mut(len) {
                    *slot = byte;
                    len += 1;
                }
                continue;
            }
            if len == 0 {
                continue;
            }
            if frame.get(..len) == Some(b"/quit".as_slice()) {
                exit(true);
            }
            len = 0;
            let reply = out.get_mut(..CANNED.len()).unwrap_or_default();
            reply.copy_from_slice(CANNED);
            if uart.write_all(reply).is_err() {
                exit(false);
            }
        }
    }
}
