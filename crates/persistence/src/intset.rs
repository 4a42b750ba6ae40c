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
}
