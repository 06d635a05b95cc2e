//! Fuzz target: `hazcheck::fuzzing::compile_conditions` on whatever bytes libFuzzer
//! makes up. A violated invariant panics, which libFuzzer records as a
//! crash like any other.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Err(e) = hazcheck::fuzzing::compile_conditions(data) {
        panic!("invariant violated: {e}");
    }
});
