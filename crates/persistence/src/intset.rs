//! Redis intsets, as RDB's `SET_INTSET` embeds them: the element width in
//! bytes (2, 4 or 8) as a u32, the count as a u32, then the members
//! ascending, each little-endian at that width (all little-endian).
//!
//! Redis widens an intset when a member needs it and never narrows it;
//! Ferrite keeps no record of past members, so the width here is the
//! smallest that holds the current members. The two differ only after the
//! members that needed a wider width were removed.

/// The width in bytes that holds `n` (Redis's `_intsetValueEncoding`).
pub fn width_of(n: i64) -> usize {
    if i16::try_from(n).is_ok() {
        2
    } else if i32::try_from(n).is_ok() {
        4
    } else {
        8
    }
}

/// The intset of `members`, which must be ascending and distinct.
pub fn encode(members: &[i64]) -> Vec<u8> {
    let width = members.iter().map(|&n| width_of(n)).max().unwrap_or(2);
    let mut out = Vec::with_capacity(8 + width * members.len());
    out.extend_from_slice(&(width as u32).to_le_bytes());
    out.extend_from_slice(&(members.len() as u32).to_le_bytes());
    for n in members {
        out.extend_from_slice(n.to_le_bytes().get(..width).unwrap_or_default());
    }
    out
}

/// Parses and validates an intset as Redis's deep integrity check does
/// (`intsetValidateIntegrity`): a width of 2, 4 or 8, a size that is
/// exactly the header plus count times width, members strictly ascending.
/// Returns the members, or what is wrong.
pub fn parse(blob: &[u8]) -> Result<Vec<i64>, &'static str> {
    let word = |at: usize| -> Option<u32> {
        let b = blob.get(at..at + 4)?;
        Some(u32::from_le_bytes([
            *b.first()?,
            *b.get(1)?,
            *b.get(2)?,
            *b.get(3)?,
        ]))
    };
    let (Some(width), Some(count)) = (word(0), word(4)) else {
        return Err("intset shorter than its header");
    };
    let width = width as usize;
    if !matches!(width, 2 | 4 | 8) {
        return Err("intset with an invalid width");
    }
    if (count as u64).saturating_mul(width as u64) + 8 != blob.len() as u64 {
        return Err("intset size differs from its count");
    }
    let mut out = Vec::with_capacity(count as usize);
    for chunk in blob.get(8..).unwrap_or_default().chunks_exact(width) {
        let mut v: u64 = 0;
        for (i, &x) in chunk.iter().enumerate() {
            v |= u64::from(x) << (8 * i);
        }
        let shift = 64 - 8 * width as u32;
        let n = ((v << shift) as i64) >> shift;
        if out.last().is_some_and(|&last| last >= n) {
            return Err("intset members not strictly ascending");
        }
        out.push(n);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_width() {
        assert_eq!(encode(&[]), [2, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(encode(&[-1, 1]), [2, 0, 0, 0, 2, 0, 0, 0, 0xFF, 0xFF, 1, 0]);
        assert_eq!(
            encode(&[1, 32768]),
            [4, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 0, 0x80, 0, 0]
        );
        let e = encode(&[i64::MIN, 5]);
        assert_eq!(e[..8], [8, 0, 0, 0, 2, 0, 0, 0]);
        assert_eq!(e[8..16], i64::MIN.to_le_bytes());
        assert_eq!(e[16..], 5i64.to_le_bytes());
        assert_eq!(width_of(-32768), 2);
        assert_eq!(width_of(-32769), 4);
        assert_eq!(width_of(i32::MAX.into()), 4);
        assert_eq!(width_of(i64::from(i32::MAX) + 1), 8);
    }

    #[test]
    fn parse_round_trips_and_refuses_corruption() {
        for m in [vec![], vec![-1, 1], vec![1, 32768], vec![i64::MIN, 5]] {
            assert_eq!(parse(&encode(&m)).unwrap(), m);
        }
        let e = encode(&[1, 2]);
        for cut in 0..e.len() {
            assert!(parse(&e[..cut]).is_err());
        }
        assert!(parse(&[3, 0, 0, 0, 0, 0, 0, 0]).is_err());
        assert!(parse(&encode(&[2, 1])).is_err());
        assert!(parse(&[2, 0, 0, 0, 2, 0, 0, 0, 1, 0, 1, 0]).is_err());
        assert!(parse(&[2, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF]).is_err());
    }
}
