//! Fuzzes the RDB file reader: no panics, and a file that reads is
//! written again and reads back the same (see
//! `ferrite_persistence::fuzzing::file_reader`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    ferrite_persistence::fuzzing::file_reader(data);
});
