//! Property test: no argument vector a client can send makes a data command
//! panic, whatever the keyspace holds. Every keyed handler in the table is
//! fed random arguments (keywords, numbers at the edges of every range,
//! binary junk) that satisfy its arity, as the dispatcher guarantees.

#![cfg(test)]

use bytes::{Bytes, BytesMut};
use ferrite_storage::Db;
use proptest::prelude::*;

use crate::ctx::{Ctx, Settings, Stats};
use crate::table::{CommandSpec, Exec};

const WORDS: &[&str] = &[
    "k",
    "k2",
    "{k}3",
    "",
    "0",
    "1",
    "-1",
    "2",
    "10",
    "100",
    "-100",
    "007",
    "+1",
    "1.5",
    "-0",
    "inf",
    "-inf",
    "+inf",
    "nan",
    "1e400",
    "0x10",
    "9223372036854775807",
    "-9223372036854775808",
    "9223372036854775808",
    "18446744073709551616",
    "4294967295",
    "4294967296",
    "536870911",
    "EX",
    "PX",
    "EXAT",
    "PXAT",
    "NX",
    "XX",
    "GT",
    "LT",
    "KEEPTTL",
    "GET",
    "SET",
    "INCRBY",
    "OVERFLOW",
    "WRAP",
    "SAT",
    "FAIL",
    "u8",
    "i64",
    "u63",
    "i1",
    "#1",
    "BYTE",
    "BIT",
    "AND",
    "OR",
    "XOR",
    "NOT",
    "LEN",
    "IDX",
    "MINMATCHLEN",
    "WITHMATCHLEN",
    "DB",
    "REPLACE",
    "PERSIST",
    "MATCH",
    "COUNT",
    "TYPE",
    "*",
    "ENCODING",
    "FREQ",
    "IDLETIME",
    "REFCOUNT",
    "HELP",
    "\u{0}\r\n",
];

fn arg() -> impl Strategy<Value = Bytes> {
    prop_oneof![
        4 => proptest::sample::select(WORDS).prop_map(|w| Bytes::from_static(w.as_bytes())),
        1 => proptest::collection::vec(any::<u8>(), 0..12).prop_map(Bytes::from),
        1 => any::<i64>().prop_map(|n| Bytes::from(n.to_string())),
    ]
}

fn keyed_specs() -> Vec<&'static CommandSpec> {
    let mut out = Vec::new();
    for fam in crate::families() {
        for spec in fam.iter() {
            match spec.exec {
                Exec::Keyed(_) => out.push(spec),
                Exec::Container | Exec::Runtime(_) => out.extend(
                    spec.subcommands
                        .iter()
                        .filter(|s| matches!(s.exec, Exec::Keyed(_))),
                ),
            }
        }
    }
    out
}

fn run(dbs: &mut [Db], spec: &CommandSpec, args: &[Bytes]) {
    let Exec::Keyed(h) = spec.exec else { return };
    let settings = Settings {
        // Keep "grow to the limit" cases small enough for a test.
        proto_max_bulk_len: 1 << 20,
        ..Settings::default()
    };
    let mut stats = Stats::default();
    let mut out = BytesMut::new();
    let mut ctx = Ctx::new(
        dbs,
        0,
        1_700_000_000_000,
        &mut out,
        false,
        &settings,
        &mut stats,
    );
    let _ = h(&mut ctx, args);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

    #[test]
    fn no_argument_vector_panics_a_handler(
        picks in proptest::collection::vec((any::<proptest::sample::Index>(), proptest::collection::vec(arg(), 0..9)), 1..12),
    ) {
        let specs = keyed_specs();
        let mut dbs: Vec<Db> = (0..16).map(|_| Db::new()).collect();
        for (which, extra) in picks {
            let spec = specs[which.index(specs.len())];
            let mut args = Vec::new();
            // The name as its last segment (OBJECT subcommands: "object", "encoding").
            for part in spec.name.split('|') {
                args.push(Bytes::from_static(part.as_bytes()));
            }
            args.extend(extra);
            let need = spec.arity.unsigned_abs() as usize;
            while args.len() < need {
                args.push(Bytes::from_static(b"k"));
            }
            if spec.arity > 0 {
                args.truncate(need);
            }
            run(&mut dbs, spec, &args);
        }
    }
}
