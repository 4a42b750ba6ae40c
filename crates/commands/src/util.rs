//! Argument parsing shared by the families.

use bytes::Bytes;

use crate::error::CmdError;

/// The error for a count of `i64::MIN` (SRANDMEMBER, HRANDFIELD,
/// ZRANDMEMBER take counts in `-i64::MAX..=i64::MAX`).
pub const COUNT_OUT_OF_RANGE: &str =
    "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807";

/// The error for a SCAN-family cursor that is not an unsigned integer.
pub const INVALID_CURSOR: &str = "ERR invalid cursor";

/// C's `atoi`: optional sign and leading digits after white space, else 0.
pub fn c_atoi(arg: &[u8]) -> i64 {
    let mut it = arg
        .iter()
        .skip_while(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c))
        .peekable();
    let neg = match it.peek() {
        Some(b'-') => {
            it.next();
            true
        }
        Some(b'+') => {
            it.next();
            false
        }
        _ => false,
    };
    let mut n: i64 = 0;
    for b in it.take_while(|b| b.is_ascii_digit()) {
        n = n.saturating_mul(10).saturating_add(i64::from(b - b'0'));
    }
    if neg {
        -n
    } else {
        n
    }
}

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

/// HRANDFIELD, SRANDMEMBER (and ZRANDMEMBER) with a negative `count` pick
/// with repetition: a reply of |count| entries whatever the collection's
/// size. Redis builds it however long it gets; Ferrite refuses a reply that
/// could not be smaller than `proto-max-bulk-len` (each pick takes at least
/// 7 bytes), so that a client cannot make a shard allocate without bound or
/// stall for minutes. Called once the collection is known to be non-empty.
pub fn check_repeated_picks(count: i64, settings: &crate::ctx::Settings) -> Result<(), CmdError> {
    if count < 0 && count.unsigned_abs() > settings.proto_max_bulk_len / 7 {
        return Err(CmdError::other(
            "ERR count is too large: the reply would exceed proto-max-bulk-len",
        ));
    }
    Ok(())
}

/// Parses a blocking command's timeout (seconds, fractions allowed) into
/// milliseconds, rounded up; 0 means wait forever. Errors are Redis's:
/// `timeout is not a float or out of range` for text that is not a number,
/// `timeout is negative` below zero or past what a 64-bit millisecond count
/// holds (`inf`, `1e400`).
pub fn parse_timeout(arg: &[u8]) -> Result<u64, CmdError> {
    let v = ferrite_storage::num::parse_long_double(arg)
        .ok_or_else(|| CmdError::other("ERR timeout is not a float or out of range"))?;
    v.timeout_ms()
        .ok_or_else(|| CmdError::other("ERR timeout is negative"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_round_up_to_milliseconds() {
        let ms = |s: &str| parse_timeout(s.as_bytes()).map_err(|e| e.to_string());
        assert_eq!(ms("0"), Ok(0));
        assert_eq!(ms("1"), Ok(1000));
        assert_eq!(ms("1."), Ok(1000));
        assert_eq!(ms(".5"), Ok(500));
        assert_eq!(ms("0.0001"), Ok(1));
        assert_eq!(ms("0.0015"), Ok(2));
        assert_eq!(ms("1e-3"), Ok(1));
        assert_eq!(ms("0x10"), Ok(16_000));
        // Rounds to -0, which is zero: forever, as in Redis.
        assert_eq!(ms("-0.0001"), Ok(0));
        assert_eq!(ms("-0"), Ok(0));
        let negative = Err("ERR timeout is negative".to_owned());
        for s in ["-1", "inf", "1e400", "9223372036854775807"] {
            assert_eq!(ms(s), negative, "{s}");
        }
        let nan = Err("ERR timeout is not a float or out of range".to_owned());
        for s in ["abc", "nan", " 1", "", "1 "] {
            assert_eq!(ms(s), nan, "{s}");
        }
    }
}
