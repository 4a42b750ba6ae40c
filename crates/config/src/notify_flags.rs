//! The class letters of `notify-keyspace-events`, as Redis 7.0 parses and
//! prints them.
//!
//! The bits are Redis's own (`K` is bit 0, `E` bit 1, `g` bit 2, ...),
//! defined once in `ferrite_storage::notify` for the commands crate too: the
//! runtime copies the parsed value into the command settings unchanged.

pub use ferrite_storage::notify::*;

/// The error text Redis gives for a character that is not a class letter.
pub const INVALID: &str = "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.";

/// The type classes in the order Redis prints them when not all of `A` is set.
const TYPE_LETTERS: [(u32, u8); 11] = [
    (GENERIC, b'g'),
    (STRING, b'$'),
    (LIST, b'l'),
    (SET, b's'),
    (HASH, b'h'),
    (ZSET, b'z'),
    (EXPIRED, b'x'),
    (EVICTED, b'e'),
    (STREAM, b't'),
    (MODULE, b'd'),
    (NEW, b'n'),
];

/// Parses class letters (any order, repeats allowed, case-sensitive; the
/// empty string disables notifications). `None` for any other character.
pub fn parse(value: &[u8]) -> Option<u32> {
    value.iter().try_fold(0, |flags, &c| {
        let bit = match c {
            b'A' => ALL,
            b'K' => KEYSPACE,
            b'E' => KEYEVENT,
            b'm' => KEY_MISS,
            _ => TYPE_LETTERS.iter().find(|(_, l)| *l == c)?.0,
        };
        Some(flags | bit)
    })
}

/// The canonical form CONFIG GET prints: `A` when every class of `A` is on
/// (which then hides `n`, as in Redis 7.0), else the type letters in
/// Redis's order; then `K`, `E` and `m`.
pub fn format(flags: u32) -> Vec<u8> {
    let mut out = Vec::new();
    if flags & ALL == ALL {
        out.push(b'A');
    } else {
        out.extend(
            TYPE_LETTERS
                .iter()
                .filter(|(bit, _)| flags & bit != 0)
                .map(|(_, l)| l),
        );
    }
    for (bit, letter) in [(KEYSPACE, b'K'), (KEYEVENT, b'E'), (KEY_MISS, b'm')] {
        if flags & bit != 0 {
            out.push(letter);
        }
    }
    out
}
