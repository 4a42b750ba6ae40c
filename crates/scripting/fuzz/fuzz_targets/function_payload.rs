//! FUNCTION RESTORE's payload reader on arbitrary bytes, with and without
//! a valid footer (so the reader itself is reached past the checksum).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = ferrite_scripting::payload::undump(data);
    let mut framed = data.to_vec();
    framed.extend_from_slice(&10u16.to_le_bytes());
    let crc = crc_of(&framed);
    framed.extend_from_slice(&crc.to_le_bytes());
    let _ = ferrite_scripting::payload::undump(&framed);
});

fn crc_of(data: &[u8]) -> u64 {
    // The same CRC as the payload's, through a dump of nothing: the reader
    // only needs the footer to match.
    ferrite_scripting::payload::crc64(data)
}
