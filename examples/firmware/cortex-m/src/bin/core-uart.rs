//! The same firmware as `osc-uart` written against osc-core alone (a hand-written read loop around
//! `SlipDecoder::feed`, `decode`, `Dispatcher::dispatch` and `slip::encode_chunks`). The footprint
//! script compares it with `osc-uart` to show what the osc-embedded stream endpoint adds.
#![no_std]
#![no_main]

use cortex_m_rt::entry;
use embedded_io::{Read, Write};
use osc_embedded::osc_core::slip::{self, SlipDecoder};
use osc_embedded::osc_core::{decode, Replies};
use osc_firmware_cortex_m::app::{self, App, Routes};
use osc_firmware_cortex_m::exit;
use osc_firmware_cortex_m::uart::{Uart, UART0};

const PACKET: usize = 256;
const REPLIES: usize = 256;

#[entry]
fn main() -> ! {
    // `#[entry]` turns these into `&'static mut` references (in `.bss`, no run-time check).
    static mut FRAME: [u8; PACKET] = [0; PACKET];
    static mut OUT: [u8; REPLIES] = [0; REPLIES];
    static mut CHUNK: [u8; 32] = [0; 32];
    static mut ROUTES: Routes<()> = Routes::new();
    static mut APP: App = App::new();
    let (frame, out, chunk, routes, app) = (FRAME, OUT, CHUNK, ROUTES, APP);
    // SAFETY: UART0 is on the board and only this program drives it.
    let mut uart = unsafe { Uart::new(UART0) };
    if app::routes(routes) != 8 {
        exit(false);
    }
    let mut decoder = SlipDecoder::new(&mut frame[..]);
    loop {
        let Ok(n) = uart.read(chunk);
        let mut input = chunk.get(..n).unwrap_or_default();
        while !input.is_empty() {
            let (used, result) = decoder.feed(input);
            input = input.get(used..).unwrap_or_default();
            let Some(Ok(bytes)) = result else { continue };
            let Ok(packet) = decode(bytes) else { continue };
            let mut replies = Replies::new(&mut out[..]);
            routes.dispatch(&packet, app, &(), &mut replies);
            for reply in replies.iter() {
                for piece in slip::encode_chunks(reply) {
                    let Ok(()) = uart.write_all(piece);
                }
            }
            if app.quit {
                exit(true);
            }
        }
    }
}
