//! Replays the fuzz seed corpora and every crash input kept under `fuzz/regressions/` through the same
//! checks the fuzz targets run, so a crash once found stays fixed.

mod fuzz_checks;

use std::path::Path;

fn replay(target: &str, check: fn(&[u8])) -> usize {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut n = 0;
    for dir in [
        root.join("corpus").join(target),
        root.join("regressions").join(target),
    ] {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut files: Vec<_> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
        files.sort();
        for f in files {
            let data = std::fs::read(&f).expect("readable corpus file");
            let r = std::panic::catch_unwind(|| check(&data));
            assert!(r.is_ok(), "{target}: {} fails", f.display());
            n += 1;
        }
    }
    n
}

#[test]
fn decode_corpus() {
    assert!(replay("decode", fuzz_checks::decode_any) > 0);
}

#[test]
fn roundtrip_corpus() {
    assert!(replay("roundtrip", fuzz_checks::roundtrip) > 0);
}

#[test]
fn slip_corpus() {
    assert!(replay("slip_stream", fuzz_checks::slip_stream) > 0);
}

#[test]
fn len_prefix_corpus() {
    assert!(replay("len_prefix_stream", fuzz_checks::len_prefix_stream) > 0);
}

#[test]
fn matcher_corpus() {
    assert!(replay("matcher", fuzz_checks::matcher) > 0);
}

#[test]
fn dispatcher_corpus() {
    assert!(replay("dispatcher_ops", fuzz_checks::dispatcher_ops) > 0);
}
