//! Fuzz target `matcher`: see `osc-core/tests/fuzz_checks/mod.rs` for the property it checks.
#![no_main]

#[path = "../../tests/fuzz_checks/mod.rs"]
mod fuzz_checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz_checks::matcher(data));
