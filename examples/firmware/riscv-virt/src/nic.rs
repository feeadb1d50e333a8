//! A smoltcp `Device` over virtio-drivers' `VirtIONetRaw`: one receive buffer kept posted to the device,
//! blocking sends. No allocation.

use core::ptr::NonNull;

use smoltcp::phy::{self, DeviceCapabilities, Medium};
use smoltcp::time::Instant;
use virtio_drivers::device::net::VirtIONetRaw;
use virtio_drivers::transport::mmio::{MmioTransport, VirtIOHeader};
use virtio_drivers::transport::{DeviceType, Transport};

use crate::board::DmaHal;

const MMIO_BASE: usize = 0x1000_1000;
const MMIO_SIZE: usize = 0x1000;
const MMIO_SLOTS: usize = 8;
const FRAME: usize = 1514;
/// A received frame plus the virtio-net header in front of it.
const RX_BUF: usize = 2048;

type Net = VirtIONetRaw<DmaHal, MmioTransport<'static>, 16>;

/// The virtio-net device and its buffers. Must not move once [`Nic::start`] has run (the device
/// writes into `rx_buf`): keep it in `main`'s frame.
pub struct Nic {
    net: Net,
    rx_buf: [u8; RX_BUF],
    rx_token: Option<u16>,
    frame: [u8; FRAME],
    tx_buf: [u8; FRAME],
}

impl Nic {
    /// Finds the first virtio-net device on the MMIO bus.
    pub fn probe() -> Option<Self> {
        (0..MMIO_SLOTS).find_map(|slot| {
            let header = NonNull::new((MMIO_BASE + slot * MMIO_SIZE) as *mut VirtIOHeader)?;
            // SAFETY: the virt board's virtio-mmio slots, each MMIO_SIZE bytes, used by nothing else.
            let transport = unsafe { MmioTransport::new(header, MMIO_SIZE) }.ok()?;
            if transport.device_type() != DeviceType::Network {
                return None;
            }
            let net = Net::new(transport).ok()?;
            Some(Self {
                net,
                rx_buf: [0; RX_BUF],
                rx_token: None,
                frame: [0; FRAME],
                tx_buf: [0; FRAME],
            })
        })
    }

    /// The device's MAC address.
    pub fn mac(&self) -> [u8; 6] {
        self.net.mac_address()
    }

    /// Posts the receive buffer. Call once, after the `Nic` has reached its final place.
    pub fn start(&mut self) -> bool {
        self.post()
    }

    fn post(&mut self) -> bool {
        // SAFETY: `rx_buf` is not touched until `receive_complete`, and `self` does not move.
        self.rx_token = unsafe { self.net.receive_begin(&mut self.rx_buf) }.ok();
        self.rx_token.is_some()
    }
}

pub struct Rx<'a>(&'a [u8]);

pub struct Tx<'a> {
    net: &'a mut Net,
    buf: &'a mut [u8; FRAME],
}

impl phy::Device for Nic {
    type RxToken<'a> = Rx<'a>;
    type TxToken<'a> = Tx<'a>;

    fn receive(&mut self, _: Instant) -> Option<(Rx<'_>, Tx<'_>)> {
        let token = self.rx_token?;
        if self.net.poll_receive() != Some(token) {
            return None;
        }
        // SAFETY: the same buffer that was posted with this token.
        let done = unsafe { self.net.receive_complete(token, &mut self.rx_buf) };
        let len = match done {
            Ok((header, len)) => {
                let len = len.min(FRAME);
                self.frame[..len].copy_from_slice(&self.rx_buf[header..header + len]);
                len
            }
            Err(_) => 0,
        };
        self.post();
        Some((
            Rx(&self.frame[..len]),
            Tx {
                net: &mut self.net,
                buf: &mut self.tx_buf,
            },
        ))
    }

    fn transmit(&mut self, _: Instant) -> Option<Tx<'_>> {
        Some(Tx {
            net: &mut self.net,
            buf: &mut self.tx_buf,
        })
    }

    fn capabilities(&self) -> DeviceCapabilities {
        let mut caps = DeviceCapabilities::default();
        caps.medium = Medium::Ethernet;
        caps.max_transmission_unit = FRAME;
        caps.max_burst_size = Some(1);
        caps
    }
}

impl phy::RxToken for Rx<'_> {
    fn consume<R, F: FnOnce(&[u8]) -> R>(self, f: F) -> R {
        f(self.0)
    }
}

impl phy::TxToken for Tx<'_> {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, len: usize, f: F) -> R {
        let len = len.min(FRAME);
        let result = f(&mut self.buf[..len]);
        // `send` adds the virtio-net header and waits until the device has taken the frame.
        let _ = self.net.send(&self.buf[..len]);
        result
    }
}
