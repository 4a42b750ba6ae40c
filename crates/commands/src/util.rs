//! Argument parsing shared by the families.

use bytes::Bytes;

use crate::error::CmdError;

/// Parses an integer argument with Redis's rules, or gives Redis's error.
pub fn parse_i64(arg: &[u8]) -> Result<i64, CmdError> {
    ferrite_storage::num::parse_i64(arg).ok_or(CmdError::NOT_INTEGER)
}

/// Compares an argument with an ASCII keyword as Redis's `strcasecmp` on
/// C strings does: ignoring case, and only up to a NUL byte in the argument
/// (`EXPIRE k 10 "NX\0junk"` is NX in Redis 7.0).
pub fn is(arg: &[u8], keyword: &str) -> bool {
    c_str(arg).eq_ignore_ascii_case(keyword.as_bytes())
}

/// The argument as C code sees it: up to its first NUL byte.
pub fn c_str(arg: &[u8]) -> &[u8] {
    let end = arg.iter().position(|&b| b == 0).unwrap_or(arg.len());
    arg.get(..end).unwrap_or(arg)
}

/// The argument at `i`, or an empty slice (handlers run after the arity check,
/// so this only guards against a wrong table row).
pub fn arg(args: &[Bytes], i: usize) -> &[u8] {
    args.get(i).map(|b| &b[..]).unwrap_or(&[])
}
