//! What the benchmark programs (`bench_codec`, `bench_dispatch`, `net_send`, `net_recv`) share:
//! the workload vectors, the timing protocol, allocation counting and the JSON result lines of
//! `WORKLOADS.md` (the copy in `osc-core/tests/vectors/` holds its vectors).

use std::alloc::{GlobalAlloc, Layout, System};
use std::fmt::Write as _;
use std::hint::black_box;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Instant;

/// One workload vector: its name and golden bytes.
#[derive(Clone, Debug)]
pub struct Vector {
    /// `W1`…`W4` or `D2`.
    pub name: &'static str,
    /// The normative bytes.
    pub bytes: Vec<u8>,
}

/// The vectors directory, next to osc-core's tests.
pub const VECTORS_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../osc-core/tests/vectors");

/// Reads `<name>.hex` (one line of lowercase hex) from [`VECTORS_DIR`].
///
/// # Panics
///
/// If the file is missing or not hex: the benchmarks cannot run without their vectors.
pub fn vector(name: &'static str) -> Vector {
    let path = format!("{VECTORS_DIR}/{name}.hex");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let hex = text.trim();
    assert!(hex.len() % 2 == 0, "{path}: odd number of hex digits");
    let bytes = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap_or_else(|e| panic!("{path}: {e}")))
        .collect();
    Vector { name, bytes }
}

/// A number from `expected.json`: `section` is `digests`, `dispatch_calls` or `lengths`, `key`
/// a workload (digests are strings there, the others numbers). The file is small and flat, so a
/// text search does.
///
/// # Panics
///
/// If the section or the key is missing.
pub fn expected(section: &str, key: &str) -> u64 {
    let path = format!("{VECTORS_DIR}/expected.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let body = text
        .find(&format!("\"{section}\""))
        .and_then(|at| text[at..].find('{').map(|open| &text[at + open..]))
        .and_then(|from| from.find('}').map(|close| &from[..close]))
        .unwrap_or_else(|| panic!("{path}: no section {section}"));
    let at = body
        .find(&format!("\"{key}\""))
        .unwrap_or_else(|| panic!("{path}: no {section}.{key}"));
    let digits: String = body[at + key.len() + 2..]
        .chars()
        .skip_while(|c| !c.is_ascii_digit())
        .take_while(char::is_ascii_digit)
        .collect();
    digits
        .parse()
        .unwrap_or_else(|e| panic!("{path}: {section}.{key}: {e}"))
}

/// The 64 dispatch addresses in registration order (`dispatch_table.txt`).
///
/// # Panics
///
/// If the file is missing.
pub fn dispatch_table() -> Vec<String> {
    let path = format!("{VECTORS_DIR}/dispatch_table.txt");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect()
}

/// Timing settings: the scale of the iteration counts and the number of repetitions.
#[derive(Copy, Clone, Debug)]
pub struct Protocol {
    /// `OSC_BENCH_SCALE`, or 0.1 with `--quick`, or 1.
    pub scale: f64,
    /// `OSC_BENCH_REPS`, or 7.
    pub reps: usize,
}

impl Protocol {
    /// From the environment and the command line (`--quick`).
    ///
    /// # Panics
    ///
    /// On an `OSC_BENCH_SCALE` or `OSC_BENCH_REPS` that is not a positive number.
    pub fn from_env() -> Self {
        let quick = std::env::args().any(|a| a == "--quick");
        let scale = match std::env::var("OSC_BENCH_SCALE") {
            Ok(s) => s
                .parse::<f64>()
                .ok()
                .filter(|x| *x > 0.0)
                .expect("OSC_BENCH_SCALE must be a positive number"),
            Err(_) if quick => 0.1,
            Err(_) => 1.0,
        };
        let reps = match std::env::var("OSC_BENCH_REPS") {
            Ok(s) => s
                .parse::<usize>()
                .ok()
                .filter(|x| *x > 0)
                .expect("OSC_BENCH_REPS must be a positive integer"),
            Err(_) => 7,
        };
        Self { scale, reps }
    }

    /// The iterations per repetition for a workload (`W1`, `D1`: 200 000; `W2`, `W4`, `D2`:
    /// 100 000; `W3`, `D3`: 20 000), scaled, at least 1.
    ///
    /// # Panics
    ///
    /// For an unknown workload.
    pub fn iters(&self, workload: &str) -> u64 {
        let base: f64 = match workload {
            "W1" | "D1" => 200_000.0,
            "W2" | "W4" | "D2" => 100_000.0,
            "W3" | "D3" => 20_000.0,
            other => panic!("unknown workload {other}"),
        };
        ((base * self.scale).round() as u64).max(1)
    }

    /// Warm-up of iters/10 ops, then `reps` timed blocks of `iters` ops; ns/op per block.
    pub fn time(&self, iters: u64, mut op: impl FnMut()) -> Timing {
        for _ in 0..iters / 10 {
            op();
        }
        let mut ns: Vec<f64> = (0..self.reps)
            .map(|_| {
                let start = Instant::now();
                for _ in 0..iters {
                    op();
                }
                start.elapsed().as_nanos() as f64 / iters as f64
            })
            .collect();
        ns.sort_by(f64::total_cmp);
        Timing {
            iters,
            reps: self.reps,
            median: ns[ns.len() / 2],
            min: ns[0],
            max: ns[ns.len() - 1],
        }
    }
}

/// The result of [`Protocol::time`].
#[derive(Copy, Clone, Debug)]
pub struct Timing {
    /// Ops per repetition.
    pub iters: u64,
    /// Repetitions.
    pub reps: usize,
    /// Median ns/op.
    pub median: f64,
    /// Fastest repetition's ns/op.
    pub min: f64,
    /// Slowest repetition's ns/op.
    pub max: f64,
}

/// A `#[global_allocator]` that counts allocation calls (alloc, alloc_zeroed, realloc) and the
/// bytes they ask for, only while [`CountingAlloc::count`] runs. Frees are not counted.
///
/// ```ignore
/// #[global_allocator]
/// static ALLOC: osc_examples::bench::CountingAlloc = osc_examples::bench::CountingAlloc::new();
/// ```
#[derive(Debug)]
pub struct CountingAlloc {
    on: AtomicBool,
    calls: AtomicU64,
    bytes: AtomicU64,
}

impl CountingAlloc {
    /// Not counting.
    pub const fn new() -> Self {
        Self {
            on: AtomicBool::new(false),
            calls: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
        }
    }

    fn note(&self, size: usize) {
        if self.on.load(Ordering::Relaxed) {
            self.calls.fetch_add(1, Ordering::Relaxed);
            self.bytes.fetch_add(size as u64, Ordering::Relaxed);
        }
    }

    /// Runs `op` `ops` times while counting; returns (allocations, bytes) per op.
    pub fn count(&self, ops: u64, mut op: impl FnMut()) -> (f64, f64) {
        self.calls.store(0, Ordering::SeqCst);
        self.bytes.store(0, Ordering::SeqCst);
        self.on.store(true, Ordering::SeqCst);
        for _ in 0..ops {
            op();
        }
        self.on.store(false, Ordering::SeqCst);
        let per = |a: &AtomicU64| a.load(Ordering::SeqCst) as f64 / ops as f64;
        (per(&self.calls), per(&self.bytes))
    }
}

impl Default for CountingAlloc {
    fn default() -> Self {
        Self::new()
    }
}

// SAFETY: every call is forwarded unchanged to the system allocator; the wrapper only counts.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        self.note(layout.size());
        // SAFETY: the caller's contract is the system allocator's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        self.note(layout.size());
        // SAFETY: as above.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        self.note(new_size);
        // SAFETY: as above.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }
}

/// Allocations are counted over this many ops, after timing.
pub const ALLOC_OPS: u64 = 1000;

/// Times `op` and counts its allocations, and prints the codec result line.
#[allow(clippy::too_many_arguments)]
pub fn run_codec(
    protocol: &Protocol,
    alloc: &CountingAlloc,
    peer: &str,
    workload: &str,
    op_name: &str,
    check: &str,
    ok: bool,
    mut op: impl FnMut(),
) {
    let timing = protocol.time(protocol.iters(workload), &mut op);
    let (allocs, bytes) = alloc.count(ALLOC_OPS, &mut op);
    println!(
        "{}",
        codec_line(peer, workload, op_name, &timing, allocs, bytes, check, ok)
    );
}

/// `{"kind":"codec",…}` as WORKLOADS.md spells it.
#[allow(clippy::too_many_arguments)]
pub fn codec_line(
    peer: &str,
    workload: &str,
    op: &str,
    t: &Timing,
    allocs_per_op: f64,
    alloc_bytes_per_op: f64,
    check: &str,
    ok: bool,
) -> String {
    let mut s = String::new();
    let _ = write!(
        s,
        "{{\"kind\":\"codec\",\"peer\":{},\"workload\":{},\"op\":{},\"iters\":{},\"reps\":{},\
         \"ns_median\":{:.2},\"ns_min\":{:.2},\"ns_max\":{:.2},\"allocs_per_op\":{},\
         \"alloc_bytes_per_op\":{},\"check\":{},\"ok\":{}}}",
        json_str(peer),
        json_str(workload),
        json_str(op),
        t.iters,
        t.reps,
        t.median,
        t.min,
        t.max,
        allocs_per_op,
        alloc_bytes_per_op,
        json_str(check),
        ok
    );
    s
}

/// A JSON string literal.
pub fn json_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Keeps `x` from being optimised away.
pub fn consume<T>(x: T) {
    black_box(x);
}
