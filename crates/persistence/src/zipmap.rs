//! Reading Redis's zipmaps, the blob RDB files of Redis 2.4 and older
//! (type `HASH_ZIPMAP`) hold for small hashes.
//!
//! A zipmap is a count byte (254 or more: unknown), then for each pair the
//! field's length, the field, the value's length, a "free" byte counting
//! unused bytes after the value, the value and those free bytes; a `0xFF`
//! ends it. A length is one byte below 254, else `0xFE` and a u32
//! (little-endian, as the x86 machines that wrote them stored it).

/// The terminator byte.
const END: u8 = 0xFF;
/// The marker of a 4-byte length.
const BIGLEN: u8 = 0xFE;

fn len_at(zm: &[u8], p: usize) -> Option<(usize, usize)> {
    let b = *zm.get(p)?;
    match b {
        0..=253 => Some((usize::from(b), 1)),
        BIGLEN => {
            let v = zm.get(p + 1..p + 5)?;
            let n = u32::from_le_bytes([*v.first()?, *v.get(1)?, *v.get(2)?, *v.get(3)?]);
            Some((n as usize, 5))
        }
        _ => None,
    }
}

/// A field and its value.
pub type Pair<'a> = (&'a [u8], &'a [u8]);

/// Parses and validates a zipmap as Redis's integrity check does
/// (`zipmapValidateIntegrity`): every length and the free bytes lie within
/// the blob, the terminator ends it exactly, and a count below 254 equals
/// the pairs found. Duplicate fields are left to the caller. Returns the
/// (field, value) pairs, or what is wrong.
pub fn parse(zm: &[u8]) -> Result<Vec<Pair<'_>>, &'static str> {
    const OUT: &str = "zipmap entry past the end";
    let count = usize::from(*zm.first().ok_or("empty zipmap")?);
    let mut out = Vec::new();
    let mut p = 1;
    loop {
        let b = *zm.get(p).ok_or(OUT)?;
        if b == END {
            p += 1;
            break;
        }
        let (flen, n) = len_at(zm, p).ok_or(OUT)?;
        p += n;
        let field = zm.get(p..p.checked_add(flen).ok_or(OUT)?).ok_or(OUT)?;
        p += flen;
        let (vlen, n) = len_at(zm, p).ok_or(OUT)?;
        p += n;
        let free = usize::from(*zm.get(p).ok_or(OUT)?);
        p += 1;
        let value = zm.get(p..p.checked_add(vlen).ok_or(OUT)?).ok_or(OUT)?;
        p = p.checked_add(vlen + free).ok_or(OUT)?;
        if p > zm.len() {
            return Err(OUT);
        }
        out.push((field, value));
    }
    if p != zm.len() {
        return Err("zipmap has bytes after its end");
    }
    if count < 254 && count != out.len() {
        return Err("zipmap count differs from its entries");
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_and_corruption() {
        let zm = b"\x02\x01a\x02\x00xy\x03foo\x01\x02z\x00\x00\xff";
        assert_eq!(
            parse(zm).unwrap(),
            [(&b"a"[..], &b"xy"[..]), (&b"foo"[..], &b"z"[..])]
        );
        for cut in 0..zm.len() {
            assert!(parse(&zm[..cut]).is_err());
        }
        let mut bad = zm.to_vec();
        bad[0] = 3;
        assert!(parse(&bad).is_err());
        bad[0] = 254;
        assert_eq!(parse(&bad).unwrap().len(), 2);
        let mut long = zm.to_vec();
        long.push(0);
        assert!(parse(&long).is_err());
        assert_eq!(parse(b"\x00\xff").unwrap(), []);
    }
}
