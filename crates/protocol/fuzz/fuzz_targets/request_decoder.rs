//! Fuzzes the request decoder: no panics, and chunked decoding equals
//! whole decoding (see `ferrite_protocol::fuzzing::request_decoder`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    ferrite_protocol::fuzzing::request_decoder(data);
});
