//! The class letters of `notify-keyspace-events`, as Redis 7.0 parses and
//! prints them.
//!
//! The bits are Redis's own (`K` is bit 0, `E` bit 1, `g` bit 2, ...), which
//! is also what `ferrite_commands::ctx::notify` uses: the runtime copies the
//! parsed value into the command settings unchanged.

/// `K`: publish on `__keyspace@<db>__:<key>`.
pub const KEYSPACE: u32 = 1 << 0;
/// `E`: publish on `__keyevent@<db>__:<event>`.
pub const KEYEVENT: u32 = 1 << 1;
/// `g`: generic commands (DEL, EXPIRE, RENAME, ...).
pub const GENERIC: u32 = 1 << 2;
/// `$`: string commands.
pub const STRING: u32 = 1 << 3;
/// `l`: list commands.
pub const LIST: u32 = 1 << 4;
/// `s`: set commands.
pub const SET: u32 = 1 << 5;
/// `h`: hash commands.
pub const HASH: u32 = 1 << 6;
/// `z`: sorted set commands.
pub const ZSET: u32 = 1 << 7;
/// `x`: keys that expired.
pub const EXPIRED: u32 = 1 << 8;
/// `e`: keys evicted by maxmemory.
pub const EVICTED: u32 = 1 << 9;
/// `t`: stream commands.
pub const STREAM: u32 = 1 << 10;
/// `m`: lookups of missing keys.
pub const KEY_MISS: u32 = 1 << 11;
/// `d`: module key types.
pub const MODULE: u32 = 1 << 13;
/// `n`: new keys (not part of `A`).
pub const NEW: u32 = 1 << 14;
/// `A`: alias for `g$lshzxetd`.
pub const ALL: u32 =
    GENERIC | STRING | LIST | SET | HASH | ZSET | EXPIRED | EVICTED | STREAM | MODULE;

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
