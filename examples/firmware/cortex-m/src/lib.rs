//! Code shared by the Cortex-M firmware binaries:
//!
//! - [`uart::Uart`]: the CMSDK APB UART of QEMU's `mps2-an385` board as an `embedded_io` stream;
//! - [`app`]: the OSC application, eight routes over one [`Dispatcher`](osc_embedded::osc_core::Dispatcher);
//! - [`exit`]: ends the program with an exit code through semihosting, which QEMU passes on;
//! - a panic handler and a HardFault handler that exit with failure instead of hanging.
//!
//! The crate has no global allocator: linking it proves that osc-core and osc-embedded need none.
#![no_std]

pub mod app;
pub mod uart;

use cortex_m_rt::{exception, ExceptionFrame};
use cortex_m_semihosting::debug;

/// Ends the program: QEMU exits with status 0 (`success`) or 1.
pub fn exit(success: bool) -> ! {
    debug::exit(if success {
        debug::EXIT_SUCCESS
    } else {
        debug::EXIT_FAILURE
    });
    // Only reached without a debugger or semihosting host.
    loop {
        cortex_m::asm::nop();
    }
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    exit(false)
}

#[exception]
unsafe fn HardFault(_: &ExceptionFrame) -> ! {
    exit(false)
}
