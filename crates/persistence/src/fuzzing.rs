//! Bodies of the fuzz targets (`crates/persistence/fuzz`), shared with the
//! property tests so that they also run on stable toolchains.
//!
//! Not part of the API: these functions panic, on purpose, when an
//! invariant of the decoder or the file reader is broken.

use ferrite_storage::hash::HashLimits;
use ferrite_storage::zset::ZSetLimits;

use crate::rdb::decode::{decode_object, Limits};
use crate::rdb::encode::{encode, Options};
use crate::rdb::file::{self, FileWriter, Header, Record};

/// Limits picked by one input byte: Redis's defaults, or small ones that
/// make conversions happen at fuzzer-sized inputs.
fn limits(b: u8) -> Limits {
    if b & 1 == 0 {
        return Limits::default();
    }
    let n = usize::from(b >> 4);
    Limits {
        list_fill: i32::from(b >> 1 & 7) - 5,
        hash: HashLimits {
            max_entries: n,
            max_value: n * 2,
        },
        set_max_intset: n,
        zset: ZSetLimits {
            max_entries: n,
            max_value: n * 2,
        },
    }
}

/// Fuzz body for the object decoder. The first byte picks the limits; the
/// rest is a type byte and an object. Checks that decoding never panics,
/// and that a decoded value encodes to bytes that decode to the same value
/// in the same encoding.
pub fn object_decoder(data: &[u8]) {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let lim = limits(first);
    let Ok(v) = decode_object(rest, &lim) else {
        return;
    };
    let opts = Options {
        compression: first & 2 != 0,
        list_fill: lim.list_fill,
        list_compress_depth: i32::from(first >> 6),
    };
    let again = decode_object(&encode(&v, &opts), &lim).expect("re-encoded value decodes");
    assert_eq!(again.encoding(), v.encoding(), "encoding changed");
    assert_eq!(again, v, "value changed");
}

/// Fuzz body for the file reader. Reads `data` as an RDB file (after a
/// valid header when it lacks one) record by record without panicking;
/// a file that reads whole is written again and reads back the same.
pub fn file_reader(data: &[u8]) {
    let owned;
    let bytes = if data.starts_with(b"REDIS") {
        data
    } else {
        owned = [b"REDIS0010".as_slice(), data].concat();
        &owned
    };
    let Ok(rdb) = file::read(bytes, Limits::default()) else {
        return;
    };
    let header = Header {
        ctime_secs: 0,
        used_mem: 0,
        aof_base: false,
    };
    let mut w = FileWriter::new(Vec::new(), &header, Options::default()).expect("vec sink");
    for code in &rdb.functions {
        w.function(code).expect("vec sink");
    }
    let mut db = None;
    for it in &rdb.items {
        if db != Some(it.db) {
            w.select_db(it.db, 0, 0).expect("vec sink");
            db = Some(it.db);
        }
        w.key(&it.key, &it.value, it.expire_ms, None)
            .expect("vec sink");
    }
    let out = w.finish().expect("vec sink");
    let back = file::read(&out, Limits::default()).expect("written file reads");
    assert_eq!(back.functions, rdb.functions);
    assert_eq!(back.items.len(), rdb.items.len());
    for (a, b) in back.items.iter().zip(&rdb.items) {
        assert_eq!((a.db, &a.key, a.expire_ms), (b.db, &b.key, b.expire_ms));
        assert_eq!(a.value, b.value);
    }
    // Record by record gives the same keys as reading whole.
    let mut fr = file::FileReader::new(bytes, Limits::default()).expect("header read before");
    let mut keys = 0;
    while let Ok(Some(rec)) = fr.next_record() {
        if let Record::Key(_) = rec {
            keys += 1;
        }
    }
    assert_eq!(keys, rdb.items.len());
}

/// Fuzz body for the AOF reader and the manifest parser: no panics; every
/// command read lies within the input, after the previous one, and reads
/// the same again from its own bytes; the manifest, when it parses,
/// renders to text that parses to the same manifest.
pub fn aof_reader(data: &[u8]) {
    use crate::aof::{Manifest, Reader};
    let mut r = Reader::new(data);
    let mut last = 0;
    while let Ok(Some(c)) = r.next_command() {
        assert!(c.offset >= last && c.end > c.offset && c.end <= data.len());
        let mut again = Reader::new(&data[c.offset..c.end]);
        let same = again.next_command().ok().flatten().map(|d| d.argv);
        assert_eq!(same.as_ref(), Some(&c.argv));
        last = c.end;
    }
    if let Ok(m) = Manifest::parse(data) {
        assert_eq!(Manifest::parse(m.render().as_bytes()).ok(), Some(m));
    }
}

/// Valid inputs for [`object_decoder`] (a limits byte, then an object), to
/// seed a fuzzing corpus.
pub fn seeds() -> Vec<Vec<u8>> {
    use ferrite_storage::{HashValue, ListValue, SetValue, Value, ZSetValue};
    let mut h = HashValue::new();
    h.set(b"f", b"v", HashLimits::default());
    h.set(b"n", b"12", HashLimits::default());
    let mut s = SetValue::new();
    s.add(b"1", 512);
    s.add(b"-70000", 512);
    let mut s2 = s.clone();
    s2.add(b"x", 512);
    let mut z = ZSetValue::new();
    z.insert(b"a", 1.5, ZSetLimits::default());
    z.insert(b"b", f64::INFINITY, ZSetLimits::default());
    let mut z2 = z.clone();
    z2.convert();
    let values = [
        Value::string(b"hello"),
        Value::string(b"12"),
        Value::string(&[b'a'; 40]),
        Value::List(ListValue::from_items([&b"a"[..], b"1", b"bb"], -2)),
        Value::Hash(h),
        Value::Set(s),
        Value::Set(s2),
        Value::ZSet(z),
        Value::ZSet(z2),
    ];
    values
        .iter()
        .map(|v| {
            let mut out = vec![0u8];
            out.extend(encode(v, &Options::default()));
            out
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn object_decoder_holds(data in proptest::collection::vec(any::<u8>(), 0..300)) {
            object_decoder(&data);
        }

        #[test]
        fn aof_reader_holds(data in proptest::collection::vec(any::<u8>(), 0..300)) {
            aof_reader(&data);
        }

        #[test]
        fn file_reader_holds(data in proptest::collection::vec(any::<u8>(), 0..300)) {
            file_reader(&data);
        }
    }

    /// Seeds that reach deep: valid objects of each type.
    #[test]
    fn seeds_hold() {
        for seed in crate::fuzzing::seeds() {
            object_decoder(&seed);
        }
    }
}
