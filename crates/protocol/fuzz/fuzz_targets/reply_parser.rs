//! Fuzzes the reply parser: no panics, `reply_len` agrees with
//! `parse_reply`, and parsed frames re-encode stably (see
//! `ferrite_protocol::fuzzing::reply_parser`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    ferrite_protocol::fuzzing::reply_parser(data);
});
