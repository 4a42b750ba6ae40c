//! Whole RDB files, Redis 7.0's format: a reader for versions 1 to 10 and
//! a writer of version 10 (what `SAVE` writes and what the AOF's base file
//! holds).
//!
//! A file is `REDIS` and the version in four ASCII digits, then records
//! each introduced by an opcode byte or an object type byte:
//! * `AUX` (0xFA): a name and a value string (`redis-ver`, `ctime`, ...);
//! * `FUNCTION2` (0xF5): one function library, as its code string;
//! * `SELECTDB` (0xFE): the database of the keys that follow;
//! * `RESIZEDB` (0xFB): its key and expiry counts (sizing hints);
//! * `EXPIRETIME_MS` (0xFC, 8 bytes LE) or `EXPIRETIME` (0xFD, 4 bytes LE,
//!   seconds), `IDLE` (0xF8, a length) and `FREQ` (0xF9, one byte): about
//!   the key that follows;
//! * an object type byte: a key string and the object (see
//!   [`super::decode`]);
//! * `EOF` (0xFF), then (from version 5) the CRC64 of every byte before it
//!   and itself, little-endian; zero means the writer did not checksum.
//!
//! The reader walks the records of a file held in memory, one at a time,
//! so that a loader can store each key as it comes. It refuses what Redis
//! 7.0 refuses: module values and module aux data, pre-release functions,
//! streams (which Ferrite does not hold), versions above 10. Keys whose
//! value is an empty collection are skipped and counted, as Redis skips
//! them. Whether expired keys are kept, and what to do with a database
//! number beyond `databases` or a duplicate key, is the loader's call.

use std::io::{self, Write};

use ferrite_storage::Value;

use super::decode::{check_type, read_object, Error, ErrorKind, Limits, Reader};
use super::encode::{self, put_len, put_string, Options};
use super::RDB_VERSION;
use crate::crc64::Crc64;

/// RDB opcodes (`RDB_OPCODE_*`).
pub mod opcode {
    /// A function library (Redis 7.0).
    pub const FUNCTION2: u8 = 0xF5;
    /// A function of Redis 7.0's release candidates (refused, as Redis 7.0
    /// refuses it).
    pub const FUNCTION_PRE_GA: u8 = 0xF6;
    /// Module auxiliary data.
    pub const MODULE_AUX: u8 = 0xF7;
    /// The next key's LRU idle time in seconds.
    pub const IDLE: u8 = 0xF8;
    /// The next key's LFU counter.
    pub const FREQ: u8 = 0xF9;
    /// An auxiliary field.
    pub const AUX: u8 = 0xFA;
    /// Database and expiry table sizes.
    pub const RESIZEDB: u8 = 0xFB;
    /// The next key's expiry in Unix milliseconds.
    pub const EXPIRETIME_MS: u8 = 0xFC;
    /// The next key's expiry in Unix seconds.
    pub const EXPIRETIME: u8 = 0xFD;
    /// Select a database.
    pub const SELECTDB: u8 = 0xFE;
    /// End of the file.
    pub const EOF: u8 = 0xFF;
}

/// One key loaded from a file.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    /// Its database number (the last `SELECTDB`; 0 before any).
    pub db: u64,
    /// The key.
    pub key: Vec<u8>,
    /// The value.
    pub value: Value,
    /// Expiry in Unix milliseconds, if any (may be in the past).
    pub expire_ms: Option<i64>,
    /// The LRU idle time in seconds, when the file records it.
    pub idle_secs: Option<u64>,
    /// The LFU counter, when the file records it.
    pub freq: Option<u8>,
}

/// One record of a file, in file order.
#[derive(Debug, Clone, PartialEq)]
pub enum Record {
    /// An auxiliary field: name and value.
    Aux(Vec<u8>, Vec<u8>),
    /// A function library's code.
    Function(Vec<u8>),
    /// The sizing hint of the current database.
    ResizeDb {
        /// The database it is about.
        db: u64,
        /// Keys it holds.
        keys: u64,
        /// Keys with an expiry.
        expires: u64,
    },
    /// A key.
    Key(Item),
}

/// Walks the records of an RDB file in memory.
///
/// The checksum is verified when `EOF` is reached, after the keys have been
/// returned (as Redis checks it after loading them): a loader that stores
/// keys as they come must discard them all if any call returns an error.
#[derive(Debug, Clone)]
pub struct FileReader<'a> {
    r: Reader<'a>,
    bytes: &'a [u8],
    version: u32,
    limits: Limits,
    db: u64,
    done: bool,
    empty_keys_skipped: u64,
}

impl<'a> FileReader<'a> {
    /// Checks the header of `bytes` and positions the reader after it.
    pub fn new(bytes: &'a [u8], limits: Limits) -> Result<FileReader<'a>, Error> {
        let mut r = Reader::new(bytes);
        let not_rdb = Error {
            offset: 0,
            kind: ErrorKind::NotRdb,
        };
        let magic: [u8; 9] = r.array().map_err(|_| not_rdb.clone())?;
        let (head, digits) = magic.split_at(5);
        if head != b"REDIS" || !digits.iter().all(u8::is_ascii_digit) {
            return Err(not_rdb);
        }
        let version = digits
            .iter()
            .fold(0u32, |v, &d| v * 10 + u32::from(d - b'0'));
        if !(1..=u32::from(RDB_VERSION)).contains(&version) {
            return Err(Error {
                offset: 5,
                kind: ErrorKind::Version(version),
            });
        }
        Ok(FileReader {
            r,
            bytes,
            version,
            limits,
            db: 0,
            done: false,
            empty_keys_skipped: 0,
        })
    }

    /// The file's RDB version.
    pub fn version(&self) -> u32 {
        self.version
    }

    /// Keys skipped because their value was an empty collection.
    pub fn empty_keys_skipped(&self) -> u64 {
        self.empty_keys_skipped
    }

    /// The offset of the next record.
    pub fn pos(&self) -> usize {
        self.r.pos()
    }

    /// The next record; `None` after `EOF` once the checksum has been
    /// verified. Bytes after the checksum are ignored, as Redis ignores them.
    pub fn next_record(&mut self) -> Result<Option<Record>, Error> {
        if self.done {
            return Ok(None);
        }
        let mut expire_ms = None;
        let mut idle_secs = None;
        let mut freq = None;
        loop {
            let at = self.r.pos();
            let op = self.r.u8()?;
            match op {
                opcode::EOF => {
                    self.check_crc(at)?;
                    self.done = true;
                    return Ok(None);
                }
                opcode::SELECTDB => {
                    self.db = self.r.length()?;
                }
                opcode::RESIZEDB => {
                    let keys = self.r.length()?;
                    let expires = self.r.length()?;
                    return Ok(Some(Record::ResizeDb {
                        db: self.db,
                        keys,
                        expires,
                    }));
                }
                opcode::AUX => {
                    let name = self.r.string()?.into_owned();
                    let value = self.r.string()?.into_owned();
                    return Ok(Some(Record::Aux(name, value)));
                }
                opcode::FUNCTION2 => {
                    return Ok(Some(Record::Function(self.r.string()?.into_owned())));
                }
                opcode::EXPIRETIME_MS => {
                    expire_ms = Some(i64::from_le_bytes(self.r.array()?));
                }
                opcode::EXPIRETIME => {
                    let secs = i32::from_le_bytes(self.r.array()?);
                    expire_ms = Some(i64::from(secs) * 1000);
                }
                opcode::IDLE => idle_secs = Some(self.r.length()?),
                opcode::FREQ => freq = Some(self.r.u8()?),
                opcode::FUNCTION_PRE_GA | opcode::MODULE_AUX => {
                    return Err(self.r.err(at, ErrorKind::Opcode(op)));
                }
                ty => {
                    check_type(ty).map_err(|kind| self.r.err(at, kind))?;
                    let key = self.r.string()?.into_owned();
                    match read_object(&mut self.r, ty, &self.limits) {
                        Ok(value) => {
                            return Ok(Some(Record::Key(Item {
                                db: self.db,
                                key,
                                value,
                                expire_ms,
                                idle_secs,
                                freq,
                            })));
                        }
                        Err(Error {
                            kind: ErrorKind::Empty(_),
                            ..
                        }) => {
                            self.empty_keys_skipped += 1;
                            expire_ms = None;
                            idle_secs = None;
                            freq = None;
                        }
                        Err(e) => return Err(e),
                    }
                }
            }
        }
    }

    fn check_crc(&mut self, eof_at: usize) -> Result<(), Error> {
        if self.version < 5 {
            return Ok(());
        }
        let trailer_at = self.r.pos();
        let stored = u64::from_le_bytes(self.r.array()?);
        if stored == 0 {
            return Ok(());
        }
        let computed = crate::crc64(self.bytes.get(..=eof_at).unwrap_or_default());
        if stored != computed {
            return Err(self
                .r
                .err(trailer_at, ErrorKind::Checksum { stored, computed }));
        }
        Ok(())
    }
}

/// A whole file read at once.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Rdb {
    /// The RDB version.
    pub version: u32,
    /// Auxiliary fields, in file order.
    pub aux: Vec<(Vec<u8>, Vec<u8>)>,
    /// Function libraries' code, in file order.
    pub functions: Vec<Vec<u8>>,
    /// The keys, in file order.
    pub items: Vec<Item>,
    /// Keys skipped because their value was an empty collection.
    pub empty_keys_skipped: u64,
}

/// Reads a whole file (see [`FileReader`]).
pub fn read(bytes: &[u8], limits: Limits) -> Result<Rdb, Error> {
    let mut fr = FileReader::new(bytes, limits)?;
    let mut out = Rdb {
        version: fr.version(),
        ..Rdb::default()
    };
    while let Some(rec) = fr.next_record()? {
        match rec {
            Record::Aux(k, v) => out.aux.push((k, v)),
            Record::Function(code) => out.functions.push(code),
            Record::ResizeDb { .. } => {}
            Record::Key(item) => out.items.push(item),
        }
    }
    out.empty_keys_skipped = fr.empty_keys_skipped();
    Ok(out)
}

// ---------------------------------------------------------------------------
// Writing.
// ---------------------------------------------------------------------------

/// The Redis version a written file claims (its `redis-ver` aux field).
pub const REDIS_VER: &str = "7.0.15";

/// What the header of a written file says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// `ctime`: the creation time in Unix seconds.
    pub ctime_secs: u64,
    /// `used-mem`: the memory the server used, in bytes.
    pub used_mem: u64,
    /// Write the `aof-base` field (1 for an AOF base file, 0 otherwise), as
    /// Redis writes it in every file.
    pub aof_base: bool,
}

/// The LRU or LFU information written before a key (Redis writes `IDLE`
/// under an LRU `maxmemory-policy`, `FREQ` under an LFU one, and neither
/// otherwise).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// The key's idle time in seconds.
    Idle(u64),
    /// The key's LFU counter.
    Freq(u8),
}

/// Writes an RDB file of version 10 to `W`, checksumming as it goes.
/// Records must come in Redis's order: functions, then for each database
/// [`FileWriter::select_db`] and its keys, then [`FileWriter::finish`].
#[derive(Debug)]
pub struct FileWriter<W: Write> {
    w: W,
    crc: Crc64,
    opts: Options,
    buf: Vec<u8>,
}

impl<W: Write> FileWriter<W> {
    /// Writes the magic, the version and the aux fields Redis 7.0 writes:
    /// `redis-ver`, `redis-bits`, `ctime`, `used-mem`, `aof-base`.
    pub fn new(w: W, header: &Header, opts: Options) -> io::Result<FileWriter<W>> {
        let mut fw = FileWriter {
            w,
            crc: Crc64::new(),
            opts,
            buf: Vec::new(),
        };
        fw.buf
            .extend_from_slice(format!("REDIS{RDB_VERSION:04}").as_bytes());
        fw.aux(b"redis-ver", REDIS_VER.as_bytes());
        fw.aux(b"redis-bits", b"64");
        fw.aux(b"ctime", header.ctime_secs.to_string().as_bytes());
        fw.aux(b"used-mem", header.used_mem.to_string().as_bytes());
        fw.aux(b"aof-base", if header.aof_base { b"1" } else { b"0" });
        fw.flush_buf()?;
        Ok(fw)
    }

    fn aux(&mut self, name: &[u8], value: &[u8]) {
        self.buf.push(opcode::AUX);
        put_string(&mut self.buf, name, &self.opts);
        put_string(&mut self.buf, value, &self.opts);
    }

    fn flush_buf(&mut self) -> io::Result<()> {
        self.crc.update(&self.buf);
        self.w.write_all(&self.buf)?;
        self.buf.clear();
        Ok(())
    }

    /// Writes a function library (its code, as FUNCTION LOAD took it).
    pub fn function(&mut self, code: &[u8]) -> io::Result<()> {
        self.buf.push(opcode::FUNCTION2);
        put_string(&mut self.buf, code, &self.opts);
        self.flush_buf()
    }

    /// Starts database `db`, which holds `keys` keys of which `expires`
    /// have an expiry.
    pub fn select_db(&mut self, db: u64, keys: u64, expires: u64) -> io::Result<()> {
        self.buf.push(opcode::SELECTDB);
        put_len(&mut self.buf, db);
        self.buf.push(opcode::RESIZEDB);
        put_len(&mut self.buf, keys);
        put_len(&mut self.buf, expires);
        self.flush_buf()
    }

    /// Writes one key: its expiry (Unix milliseconds) and access
    /// information if any, the type byte, the key and the object.
    pub fn key(
        &mut self,
        key: &[u8],
        value: &Value,
        expire_ms: Option<i64>,
        access: Option<Access>,
    ) -> io::Result<()> {
        if let Some(at) = expire_ms {
            self.buf.push(opcode::EXPIRETIME_MS);
            self.buf.extend_from_slice(&at.to_le_bytes());
        }
        match access {
            Some(Access::Idle(secs)) => {
                self.buf.push(opcode::IDLE);
                put_len(&mut self.buf, secs);
            }
            Some(Access::Freq(f)) => {
                self.buf.push(opcode::FREQ);
                self.buf.push(f);
            }
            None => {}
        }
        self.buf.push(encode::object_type(value));
        put_string(&mut self.buf, key, &self.opts);
        encode::put_object(&mut self.buf, value, &self.opts);
        self.flush_buf()
    }

    /// Writes `EOF` and the checksum; returns the sink.
    pub fn finish(mut self) -> io::Result<W> {
        self.buf.push(opcode::EOF);
        self.flush_buf()?;
        let crc = self.crc.finish();
        self.w.write_all(&crc.to_le_bytes())?;
        self.w.flush()?;
        Ok(self.w)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rdb::testutil::hex;
    use ferrite_storage::ListValue;

    /// A file SAVEd by redis-server 7.0.15: a function library, "a" = 1
    /// and "b" = hello (with an expiry) in db 0, the list "l" in db 2.
    const REDIS_FILE: &str = "524544495330303130fa0972656469732d76657206372e302e3135fa0a72656469732d62697473c040fa056374696d65c2568d026bfa08757365642d6d656dc2f83d1300fa08616f662d62617365c000f5404623216c7561206e616d653d6d796c69620a72656469732e72656769737465725f66756e6374696f6e282766272c2066756e6374696f6e28292072657475726e203120656e6429fe00fb0201000161c001fc79a0f901a20100000001620568656c6c6ffe02fb010012016c01020a0a0000000100817802ffffe71ad444604120b9";
    const CODE: &[u8] = b"#!lua name=mylib\nredis.register_function('f', function() return 1 end)";
    const EXPIRE: i64 = 1_795_329_466_489;

    #[test]
    fn reads_a_redis_file() {
        let bytes = hex(REDIS_FILE);
        let rdb = read(&bytes, Limits::default()).unwrap();
        assert_eq!(rdb.version, 10);
        let aux: Vec<(&[u8], &[u8])> = rdb
            .aux
            .iter()
            .map(|(k, v)| (k.as_slice(), v.as_slice()))
            .collect();
        assert_eq!(
            aux,
            [
                (&b"redis-ver"[..], &b"7.0.15"[..]),
                (b"redis-bits", b"64"),
                (b"ctime", b"1795329366"),
                (b"used-mem", b"1261048"),
                (b"aof-base", b"0"),
            ]
        );
        assert_eq!(rdb.functions, [CODE.to_vec()]);
        let keys: Vec<(u64, &[u8], Option<i64>)> = rdb
            .items
            .iter()
            .map(|i| (i.db, i.key.as_slice(), i.expire_ms))
            .collect();
        assert_eq!(
            keys,
            [
                (0, &b"a"[..], None),
                (0, b"b", Some(EXPIRE)),
                (2, b"l", None)
            ]
        );
        assert_eq!(rdb.items[0].value, Value::string(b"1"));
        assert_eq!(rdb.items[1].value, Value::string(b"hello"));
        assert_eq!(
            rdb.items[2].value,
            Value::List(ListValue::from_items([b"x"], -2))
        );
    }

    #[test]
    fn writes_what_redis_writes() {
        let header = Header {
            ctime_secs: 1_795_329_366,
            used_mem: 1_261_048,
            aof_base: false,
        };
        let mut w = FileWriter::new(Vec::new(), &header, Options::default()).unwrap();
        w.function(CODE).unwrap();
        w.select_db(0, 2, 1).unwrap();
        w.key(b"a", &Value::string(b"1"), None, None).unwrap();
        w.key(b"b", &Value::string(b"hello"), Some(EXPIRE), None)
            .unwrap();
        w.select_db(2, 1, 0).unwrap();
        let l = Value::List(ListValue::from_items([b"x"], -2));
        w.key(b"l", &l, None, None).unwrap();
        let out = w.finish().unwrap();
        assert_eq!(out, hex(REDIS_FILE));
    }

    #[test]
    fn access_opcodes_and_old_expiry_round_trip() {
        let header = Header {
            ctime_secs: 1,
            used_mem: 2,
            aof_base: true,
        };
        let mut w = FileWriter::new(Vec::new(), &header, Options::default()).unwrap();
        w.select_db(0, 2, 0).unwrap();
        w.key(b"i", &Value::string(b"v"), None, Some(Access::Idle(300)))
            .unwrap();
        w.key(b"f", &Value::string(b"v"), Some(5), Some(Access::Freq(9)))
            .unwrap();
        let out = w.finish().unwrap();
        let rdb = read(&out, Limits::default()).unwrap();
        assert_eq!(rdb.aux[4], (b"aof-base".to_vec(), b"1".to_vec()));
        assert_eq!(rdb.items[0].idle_secs, Some(300));
        assert_eq!(rdb.items[0].freq, None);
        assert_eq!(rdb.items[1].freq, Some(9));
        assert_eq!(rdb.items[1].expire_ms, Some(5));
        // Version 4: no checksum, second expiries, an empty key skipped.
        let mut old =
            b"REDIS0004\xfe\x00\xfd\x02\x00\x00\x00\x00\x01k\x01v\x02\x01e\x00\xff".to_vec();
        let rdb = read(&old, Limits::default()).unwrap();
        assert_eq!(rdb.items.len(), 1);
        assert_eq!(rdb.items[0].expire_ms, Some(2000));
        assert_eq!(rdb.empty_keys_skipped, 1);
        old.truncate(old.len() - 1);
        assert!(read(&old, Limits::default()).is_err());
    }

    #[test]
    fn refusals_name_the_offset() {
        let bytes = hex(REDIS_FILE);
        let err = |b: &[u8]| read(b, Limits::default()).unwrap_err();
        assert_eq!(err(b"REDIT0010").kind, ErrorKind::NotRdb);
        assert_eq!(err(b"REDIS").kind, ErrorKind::NotRdb);
        assert_eq!(err(b"REDIS0011\xff").kind, ErrorKind::Version(11));
        assert_eq!(err(b"REDIS0000\xff").kind, ErrorKind::Version(0));
        // A flipped byte in a string: the checksum catches it.
        let mut bad = bytes.clone();
        let at = bad.windows(5).position(|w| w == b"hello").unwrap();
        bad[at] ^= 0x01;
        let e = err(&bad);
        assert!(matches!(e.kind, ErrorKind::Checksum { .. }), "{e}");
        assert_eq!(e.offset, bytes.len() - 8);
        // A zero checksum is not checked.
        let mut unchecked = bad[..bad.len() - 8].to_vec();
        unchecked.extend_from_slice(&[0; 8]);
        assert!(read(&unchecked, Limits::default()).is_ok());
        // Every truncation fails cleanly.
        for cut in 0..bytes.len() {
            assert!(read(&bytes[..cut], Limits::default()).is_err(), "cut {cut}");
        }
        // Module aux data and pre-release functions are refused.
        let e = err(b"REDIS0010\xf7\x00");
        assert_eq!((e.kind, e.offset), (ErrorKind::Opcode(0xF7), 9));
        assert_eq!(err(b"REDIS0010\xf6").kind, ErrorKind::Opcode(0xF6));
        let e = err(b"REDIS0010\xfe\x00\x15\x01k");
        assert_eq!((e.kind.clone(), e.offset), (ErrorKind::UnknownType(21), 11));
        assert_eq!(err(b"REDIS0010\x0f").kind, ErrorKind::Unsupported("stream"));
        assert_eq!(e.to_string(), "unknown object type 21 at offset 11");
    }
}
