//! Argument parsing shared by the families.

use bytes::Bytes;

use crate::error::CmdError;

/// Parses an integer argument with Redis's rules, or gives Redis's error.
pub fn parse_i64(arg: &[u8]) -> Result<i64, CmdError> {
    ferrite_storage::value::canonical_int(arg).ok_or(CmdError::NOT_INTEGER)
}

/// Case-insensitive comparison of an argument with an ASCII keyword.
pub fn is(arg: &[u8], keyword: &str) -> bool {
    arg.eq_ignore_ascii_case(keyword.as_bytes())
}

/// The argument at `i`, or an empty slice (handlers run after the arity check,
/// so this only guards against a wrong table row).
pub fn arg(args: &[Bytes], i: usize) -> &[u8] {
    args.get(i).map(|b| &b[..]).unwrap_or(&[])
}
