//! Fuzzes the AOF command reader and the manifest parser (see
//! `ferrite_persistence::fuzzing::aof_reader`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    ferrite_persistence::fuzzing::aof_reader(data);
});
