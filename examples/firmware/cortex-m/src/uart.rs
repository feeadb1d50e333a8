//! The CMSDK APB UART (UART0 of QEMU's `mps2-an385` at `0x4000_4000`) as a blocking
//! `embedded_io::Read + Write` stream.

use core::convert::Infallible;

use embedded_io::{ErrorType, Read, ReadReady, Write};

const DATA: usize = 0x00;
const STATE: usize = 0x04;
const CTRL: usize = 0x08;
const BAUDDIV: usize = 0x10;
const STATE_TX_FULL: u32 = 1 << 0;
const STATE_RX_FULL: u32 = 1 << 1;

/// UART0's base address on `mps2-an385`.
pub const UART0: usize = 0x4000_4000;

/// A CMSDK UART, polled (no interrupts).
pub struct Uart {
    base: usize,
}

impl Uart {
    /// Enables the transmitter and receiver of the UART at `base`.
    ///
    /// # Safety
    ///
    /// `base` must be the address of a CMSDK UART that nothing else uses.
    pub unsafe fn new(base: usize) -> Self {
        let uart = Self { base };
        uart.write_reg(BAUDDIV, 16);
        uart.write_reg(CTRL, 0b11);
        uart
    }

    fn read_reg(&self, offset: usize) -> u32 {
        // SAFETY: `new`'s caller guarantees a UART at `base`; the offsets are its registers.
        unsafe { core::ptr::read_volatile((self.base + offset) as *const u32) }
    }

    fn write_reg(&self, offset: usize, value: u32) {
        // SAFETY: as in `read_reg`.
        unsafe { core::ptr::write_volatile((self.base + offset) as *mut u32, value) }
    }

    fn rx_ready(&self) -> bool {
        self.read_reg(STATE) & STATE_RX_FULL != 0
    }
}

impl ErrorType for Uart {
    type Error = Infallible;
}

impl Read for Uart {
    /// Waits for one byte, then takes whatever else has already arrived.
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, Infallible> {
        if buf.is_empty() {
            return Ok(0);
        }
        while !self.rx_ready() {}
        let mut n = 0;
        for slot in buf.iter_mut() {
            if !self.rx_ready() {
                break;
            }
            *slot = self.read_reg(DATA) as u8;
            n += 1;
        }
        Ok(n)
    }
}

impl ReadReady for Uart {
    fn read_ready(&mut self) -> Result<bool, Infallible> {
        Ok(self.rx_ready())
    }
}

impl Write for Uart {
    fn write(&mut self, buf: &[u8]) -> Result<usize, Infallible> {
        for &byte in buf {
            while self.read_reg(STATE) & STATE_TX_FULL != 0 {}
            self.write_reg(DATA, u32::from(byte));
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> Result<(), Infallible> {
        Ok(())
    }
}
