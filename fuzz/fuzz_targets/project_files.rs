#![no_main]
//! See fuzz/README.md; the body is shared with the regression replays.

#[path = "../../tests/fuzz_regressions/support.rs"]
#[allow(dead_code)]
mod support;

libfuzzer_sys::fuzz_target!(|data: &[u8]| support::project_files(data));
