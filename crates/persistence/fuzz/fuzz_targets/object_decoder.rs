//! Fuzzes the RDB object decoder (RESTORE's and the file reader's): no
//! panics, and a decoded value re-encodes to the same value (see
//! `ferrite_persistence::fuzzing::object_decoder`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    ferrite_persistence::fuzzing::object_decoder(data);
});
