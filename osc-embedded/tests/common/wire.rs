//! A virtual Ethernet wire between two smoltcp interfaces in one process: no allocation, no OS, no
//! threads (only `core`, heapless and smoltcp, so it also runs on a microcontroller). Frames sent by one
//! end queue up (at most 16 each way) until the other end's interface polls.

use core::cell::RefCell;

use heapless::{Deque, Vec};
use smoltcp::phy::{self, DeviceCapabilities, Medium};
use smoltcp::time::Instant;

/// Largest Ethernet frame carried (1500-byte MTU plus the 14-byte header).
pub const FRAME: usize = 1514;
/// Frames a direction holds before dropping.
pub const DEPTH: usize = 16;

type Queue = RefCell<Deque<Vec<u8, FRAME>, DEPTH>>;

/// The two directions of the wire.
pub struct Wire {
    a_to_b: Queue,
    b_to_a: Queue,
}

impl Wire {
    pub const fn new() -> Self {
        Self {
            a_to_b: RefCell::new(Deque::new()),
            b_to_a: RefCell::new(Deque::new()),
        }
    }

    /// The device at each end.
    pub fn ends(&self) -> (End<'_>, End<'_>) {
        (
            End {
                tx: &self.a_to_b,
                rx: &self.b_to_a,
            },
            End {
                tx: &self.b_to_a,
                rx: &self.a_to_b,
            },
        )
    }

    /// Frames in flight, both ways.
    pub fn in_flight(&self) -> usize {
        self.a_to_b.borrow().len() + self.b_to_a.borrow().len()
    }
}

/// One end of the wire: a smoltcp Ethernet device.
pub struct End<'w> {
    tx: &'w Queue,
    rx: &'w Queue,
}

pub struct Rx(Vec<u8, FRAME>);

pub struct Tx<'w>(&'w Queue);

impl phy::Device for End<'_> {
    type RxToken<'a>
        = Rx
    where
        Self: 'a;
    type TxToken<'a>
        = Tx<'a>
    where
        Self: 'a;

    fn receive(&mut self, _: Instant) -> Option<(Rx, Tx<'_>)> {
        let frame = self.rx.borrow_mut().pop_front()?;
        Some((Rx(frame), Tx(self.tx)))
    }

    fn transmit(&mut self, _: Instant) -> Option<Tx<'_>> {
        Some(Tx(self.tx))
    }

    fn capabilities(&self) -> DeviceCapabilities {
        let mut caps = DeviceCapabilities::default();
        caps.medium = Medium::Ethernet;
        caps.max_transmission_unit = FRAME;
        caps
    }
}

impl phy::RxToken for Rx {
    fn consume<R, F: FnOnce(&[u8]) -> R>(self, f: F) -> R {
        f(&self.0)
    }
}

impl phy::TxToken for Tx<'_> {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, len: usize, f: F) -> R {
        let mut frame: Vec<u8, FRAME> = Vec::new();
        let _ = frame.resize(len.min(FRAME), 0);
        let result = f(&mut frame);
        // A full queue drops the frame, as a congested link would.
        let _ = self.0.borrow_mut().push_back(frame);
        result
    }
}
