//! QEMU riscv32 `virt` board support: console (16550), exit (SiFive test device), clock (CLINT mtime)
//! and the virtio-drivers HAL (identity-mapped DMA from a static pool).

use core::cell::UnsafeCell;
use core::fmt;
use core::ptr::NonNull;
use core::sync::atomic::{AtomicUsize, Ordering};

use virtio_drivers::{BufferDirection, Hal, PhysAddr, PAGE_SIZE};

const UART: usize = 0x1000_0000;
const TEST_DEVICE: usize = 0x0010_0000;
const MTIME: usize = 0x0200_BFF8;
/// CLINT ticks per microsecond (10 MHz).
const TICKS_PER_US: u64 = 10;

/// The 16550 console.
pub struct Console;

impl fmt::Write for Console {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for byte in s.bytes() {
            // SAFETY: the 16550's transmit holding register on the virt board.
            unsafe { core::ptr::write_volatile(UART as *mut u8, byte) };
        }
        Ok(())
    }
}

/// Prints a line on the console.
#[macro_export]
macro_rules! println {
    ($($arg:tt)*) => {{
        let _ = core::fmt::Write::write_fmt(&mut $crate::board::Console, format_args!($($arg)*));
        let _ = core::fmt::Write::write_str(&mut $crate::board::Console, "\n");
    }};
}

/// Powers QEMU off with exit status 0 (`success`) or 1.
pub fn exit(success: bool) -> ! {
    let value: u32 = if success { 0x5555 } else { (1 << 16) | 0x3333 };
    // SAFETY: the SiFive test device of the virt board.
    unsafe { core::ptr::write_volatile(TEST_DEVICE as *mut u32, value) };
    loop {
        core::hint::spin_loop();
    }
}

/// Microseconds since reset.
pub fn now_us() -> u64 {
    loop {
        // SAFETY: CLINT mtime, read as two halves until the high half is stable.
        let (hi, lo, hi2) = unsafe {
            (
                core::ptr::read_volatile((MTIME + 4) as *const u32),
                core::ptr::read_volatile(MTIME as *const u32),
                core::ptr::read_volatile((MTIME + 4) as *const u32),
            )
        };
        if hi == hi2 {
            return ((u64::from(hi) << 32) | u64::from(lo)) / TICKS_PER_US;
        }
    }
}

const POOL_PAGES: usize = 32;

#[repr(C, align(4096))]
struct Pool(UnsafeCell<[u8; POOL_PAGES * PAGE_SIZE]>);

// SAFETY: one hart, and pages are handed out once each (bump allocation).
unsafe impl Sync for Pool {}

static POOL: Pool = Pool(UnsafeCell::new([0; POOL_PAGES * PAGE_SIZE]));
static NEXT_PAGE: AtomicUsize = AtomicUsize::new(0);

/// virtio-drivers' HAL: physical = virtual (no MMU), DMA pages from a static pool, never freed.
pub struct DmaHal;

// SAFETY: pages are zeroed, page-aligned, never handed out twice, and addresses are identity-mapped.
unsafe impl Hal for DmaHal {
    fn dma_alloc(pages: usize, _: BufferDirection) -> (PhysAddr, NonNull<u8>) {
        let first = NEXT_PAGE.fetch_add(pages, Ordering::SeqCst);
        if first + pages > POOL_PAGES {
            crate::println!("DMA pool exhausted");
            exit(false);
        }
        let base = POOL.0.get().cast::<u8>();
        // SAFETY: within the pool, checked above.
        let ptr = unsafe { base.add(first * PAGE_SIZE) };
        let Some(ptr) = NonNull::new(ptr) else {
            exit(false)
        };
        (ptr.as_ptr() as usize as PhysAddr, ptr)
    }

    unsafe fn dma_dealloc(_: PhysAddr, _: NonNull<u8>, _: usize) -> i32 {
        0
    }

    unsafe fn mmio_phys_to_virt(paddr: PhysAddr, _: usize) -> NonNull<u8> {
        NonNull::new(paddr as usize as *mut u8).unwrap_or(NonNull::dangling())
    }

    unsafe fn share(buffer: NonNull<[u8]>, _: BufferDirection) -> PhysAddr {
        buffer.as_ptr().cast::<u8>() as usize as PhysAddr
    }

    unsafe fn unshare(_: PhysAddr, _: NonNull<[u8]>, _: BufferDirection) {}
}
