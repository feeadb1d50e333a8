//! OSC 1.1 over a serial line: SLIP frames on UART0, eight routes, replies on the same line.
//! Exits with status 0 after answering `/quit` (semihosting), 1 on a UART or internal failure.
//!
//! This is also the subject of the footprint measurement (`tests/ci/footprint.sh`): compare it with
//! `baseline-uart`, which does the same I/O without OSC.
#![no_std]
#![no_main]

use core::mem::MaybeUninit;

use cortex_m_rt::entry;
use osc_embedded::osc_core::slip::SlipDecoder;
use osc_embedded::stream::StreamEndpoint;
use osc_embedded::{Error, Immediate};
use osc_firmware_cortex_m::app::{self, App, Routes};
use osc_firmware_cortex_m::exit;
use osc_firmware_cortex_m::uart::{Uart, UART0};

/// Largest packet accepted, and room for the replies to one packet: the user's buffers.
const PACKET: usize = 256;
const REPLIES: usize = 256;

type Endpoint = StreamEndpoint<'static, SlipDecoder<&'static mut [u8]>, 32>;

#[entry]
fn main() -> ! {
    // `#[entry]` turns these into `&'static mut` references (in `.bss`, no run-time check).
    static mut FRAME: [u8; PACKET] = [0; PACKET];
    static mut OUT: [u8; REPLIES] = [0; REPLIES];
    static mut ROUTES: Routes<()> = Routes::new();
    static mut APP: App = App::new();
    static mut OSC: MaybeUninit<Endpoint> = MaybeUninit::uninit();
    let (routes, app) = (ROUTES, APP);
    // SAFETY: UART0 is on the board and only this program drives it.
    let mut uart = unsafe { Uart::new(UART0) };
    if app::routes(routes) != 8 {
        exit(false);
    }
    let osc = OSC.write(StreamEndpoint::new(SlipDecoder::new(&mut FRAME[..]), OUT));
    loop {
        match osc.poll(&mut uart, &(), Immediate::new(routes, app)) {
            Ok(_) | Err(Error::Decode(_) | Error::Frame(_)) => {}
            Err(_) => exit(false),
        }
        if app.quit {
            exit(true);
        }
    }
}
