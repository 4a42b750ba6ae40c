//! The append-only file at start: finding or creating Redis 7.0's AOF
//! directory, replaying its parts through an internal client, then handing
//! the current incr part to the journal (`journal.rs`), which appends to it.
//!
//! Replay runs the commands exactly as a client's (the dispatcher, its
//! routing and coordination), on shard 0's thread, before any client is
//! accepted. The loading client is Redis's "fake client": authenticated,
//! allowed everything, listed nowhere; its replies are dropped.

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use bytes::Bytes;
use ferrite_config::Config;
use ferrite_persistence::aof::{
    base_name, incr_name, manifest_name, Manifest, Part, ReadError, Reader,
};

use crate::clients::ClientInfo;
use crate::conn::{Conn, Session};
use crate::worker::Worker;

/// The AOF found (or created) at start, to be replayed.
#[derive(Debug)]
pub struct Prepared {
    /// The AOF directory.
    pub dir: PathBuf,
    /// Its manifest.
    pub manifest: Manifest,
    /// `aof-load-truncated`.
    pub load_truncated: bool,
}

/// Reads the AOF directory's manifest, or creates the directory as Redis
/// does at its first start with `appendonly yes` (an empty base and an
/// empty incr part), or upgrades a single pre-7.0 `appendonly.aof` in
/// `dir` into it (the file becomes the base). None when `appendonly` is
/// off.
pub fn prepare(config: &Config) -> Result<Option<Prepared>, String> {
    if !config.appendonly {
        return Ok(None);
    }
    let filename = String::from_utf8_lossy(&config.appendfilename).into_owned();
    let dirname = String::from_utf8_lossy(&config.appenddirname).into_owned();
    let dir = config.dir.join(&dirname);
    let manifest_path = dir.join(manifest_name(&filename));
    let mut manifest = if manifest_path.exists() {
        let text = fs::read(&manifest_path).map_err(|e| {
            format!(
                "Can't read the AOF manifest {}: {e}",
                manifest_path.display()
            )
        })?;
        Manifest::parse(&text).map_err(|e| format!("{e}: {}", manifest_path.display()))?
    } else {
        fs::create_dir_all(&dir)
            .map_err(|e| format!("Can't open or create append-only dir {dirname}: {e}"))?;
        let old = config.dir.join(&filename);
        if old.is_file() {
            // Redis 7.0's upgrade of a single-file AOF: it becomes the base.
            let moved = dir.join(&filename);
            fs::rename(&old, &moved).map_err(|e| {
                format!(
                    "Error moving the AOF file {} into {dirname}: {e}",
                    old.display()
                )
            })?;
            tracing::info!(file = %filename, "Successfully migrated an old-style AOF into the AOF directory");
            Manifest {
                base: Some(Part {
                    name: filename.clone(),
                    seq: 1,
                    kind: ferrite_persistence::aof::PartKind::Base,
                }),
                history: Vec::new(),
                incr: Vec::new(),
            }
        } else {
            let rdb = config.aof_use_rdb_preamble;
            let m = Manifest::fresh(&filename, rdb);
            for part in m.base.iter().chain(&m.incr) {
                create_empty(&dir.join(&part.name))?;
            }
            if rdb {
                // The base of an empty dataset, as Redis writes it.
                let path = dir.join(base_name(&filename, 1, true));
                empty_rdb(&path, config.rdbcompression)?;
            }
            tracing::info!(file = %base_name(&filename, 1, rdb), "Creating AOF base file on server start");
            m
        }
    };
    for p in manifest.base.iter().chain(&manifest.incr) {
        if !dir.join(&p.name).is_file() {
            return Err(format!(
                "The AOF file {} doesn't exist (listed in the manifest {})",
                p.name,
                manifest_path.display()
            ));
        }
    }
    if manifest.incr.is_empty() {
        let seq = 1;
        let name = incr_name(&filename, seq);
        create_empty(&dir.join(&name))?;
        tracing::info!(file = %name, "Creating AOF incr file on server start");
        manifest.incr.push(Part {
            name,
            seq,
            kind: ferrite_persistence::aof::PartKind::Incr,
        });
    }
    write_manifest(&dir, &filename, &manifest)?;
    Ok(Some(Prepared {
        dir,
        manifest,
        load_truncated: config.aof_load_truncated,
    }))
}

/// Writes an RDB file of no keys (an AOF base for an empty dataset).
fn empty_rdb(path: &Path, compression: bool) -> Result<(), String> {
    use ferrite_persistence::rdb::file::{FileWriter, Header};
    let header = Header {
        ctime_secs: crate::server::Shared::now_ms() / 1000,
        used_mem: crate::alloc::used().unwrap_or(0),
        aof_base: true,
    };
    let opts = ferrite_persistence::rdb::encode::Options {
        compression,
        ..Default::default()
    };
    let write = || -> std::io::Result<()> {
        let f = File::create(path)?;
        let w = FileWriter::new(std::io::BufWriter::new(f), &header, opts)?;
        let f = w.finish()?.into_inner().map_err(|e| e.into_error())?;
        f.sync_all()
    };
    write().map_err(|e| format!("Can't write the AOF base file {}: {e}", path.display()))
}

fn create_empty(path: &Path) -> Result<(), String> {
    OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .and_then(|f| f.sync_all())
        .map_err(|e| format!("Can't create the AOF file {}: {e}", path.display()))
}

/// Writes the manifest atomically (a temporary file renamed over it, then
/// the directory fsynced), as Redis does.
pub fn write_manifest(dir: &Path, filename: &str, m: &Manifest) -> Result<(), String> {
    let name = manifest_name(filename);
    let tmp = dir.join(format!("temp-{name}"));
    let path = dir.join(&name);
    let write = || -> std::io::Result<()> {
        let mut f = File::create(&tmp)?;
        f.write_all(m.render().as_bytes())?;
        f.sync_all()?;
        fs::rename(&tmp, &path)?;
        File::open(dir)?.sync_all()
    };
    write().map_err(|e| format!("Can't write the AOF manifest {}: {e}", path.display()))
}

/// What a replay did.
#[derive(Debug, Default)]
pub struct Loaded {
    /// Commands replayed.
    pub commands: u64,
    /// Keys loaded from RDB parts.
    pub keys: u64,
    /// Bytes read.
    pub bytes: u64,
}

/// How much of a part is read at a time.
const CHUNK: usize = 1 << 20;

/// Replays every part, in order, on this thread (shard 0's) through a
/// loading client, then starts the journal on the last incr part.
pub async fn load_and_start(worker: Rc<Worker>, p: Prepared) -> Result<Loaded, String> {
    let shared = worker.shared.clone();
    let mut session = Session::new(worker.clone());
    let addr: std::net::SocketAddr = ([127, 0, 0, 1], 0).into();
    let info = Arc::new(ClientInfo::new(0, addr, addr, -1, worker.id));
    let mut conn = Conn::new(0, info, shared.acl.superuser(), true);
    let mut loaded = Loaded::default();
    let parts: Vec<&Part> = p.manifest.base.iter().chain(&p.manifest.incr).collect();
    let last = parts.len().saturating_sub(1);
    let started = std::time::Instant::now();
    for (i, part) in parts.iter().enumerate() {
        let path = p.dir.join(&part.name);
        load_part(
            &mut session,
            &mut conn,
            &path,
            &part.name,
            i == last && p.load_truncated,
            &mut loaded,
        )
        .await?;
        // Each part starts in database 0, as each is written from there.
        conn.db = 0;
        conn.multi = None;
    }
    session.flush().await;
    session.wbuf.clear();
    let current = p
        .manifest
        .current_incr()
        .ok_or_else(|| "The AOF manifest lists no incr file".to_string())?;
    let path = p.dir.join(&current.name);
    let file = OpenOptions::new()
        .append(true)
        .open(&path)
        .map_err(|e| format!("Can't open the append-only file {}: {e}", path.display()))?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let base_size = p
        .manifest
        .base
        .as_ref()
        .and_then(|b| fs::metadata(p.dir.join(&b.name)).ok())
        .map_or(0, |m| m.len());
    let journal = &shared.journal;
    journal.base_size.store(base_size, Ordering::Relaxed);
    journal.start_size.store(loaded.bytes, Ordering::Relaxed);
    journal
        .start(file, path, size)
        .map_err(|e| format!("Can't start the AOF fsync thread: {e}"))?;
    // Every shard journals from its first command on (before any client
    // is let in).
    for s in 0..shared.nshards {
        crate::coord::run_on(&shared, s, None, crate::notify::sync_expired_recording)
            .await
            .map_err(|e| e.to_string())?;
    }
    tracing::info!(
        commands = loaded.commands,
        rdb_keys = loaded.keys,
        seconds = started.elapsed().as_secs_f64(),
        "DB loaded from append only file"
    );
    Ok(loaded)
}

/// Replays one part. `may_truncate`: a torn tail is cut off (the last
/// part under `aof-load-truncated yes`), else it stops the start.
async fn load_part(
    session: &mut Session,
    conn: &mut Conn,
    path: &Path,
    name: &str,
    may_truncate: bool,
    loaded: &mut Loaded,
) -> Result<(), String> {
    let mut file =
        File::open(path).map_err(|e| format!("Can't open the append-only file {name}: {e}"))?;
    let mut pending: Vec<u8> = Vec::new();
    // Offset in the part of `pending`'s first byte.
    let mut base = 0usize;
    let mut eof = false;
    let mut first = true;
    // Where the last complete command ends, and where an open MULTI began.
    let mut valid_up_to = 0usize;
    let mut multi_at: Option<usize> = None;
    let shared = session.worker.shared.clone();
    let table = &shared.table;
    loop {
        if !eof {
            let start = pending.len();
            pending.resize(start + CHUNK, 0);
            let n = file
                .read(&mut pending[start..])
                .map_err(|e| format!("Error reading the append-only file {name}: {e}"))?;
            pending.truncate(start + n);
            eof = n == 0;
        }
        if first && pending.len() >= 5 {
            first = false;
            if pending.starts_with(b"REDIS") {
                // An RDB base, or an AOF with an RDB preamble: the whole part
                // in memory, the RDB loaded, then any commands after it.
                file.read_to_end(&mut pending)
                    .map_err(|e| format!("Error reading the append-only file {name}: {e}"))?;
                eof = true;
                let end = load_rdb(session, conn, &pending, name, loaded).await?;
                pending.drain(..end);
                base = end;
                valid_up_to = end;
            }
        }
        let data = Bytes::from(std::mem::take(&mut pending));
        let mut reader = Reader::new(&data);
        let mut batch = 0usize;
        let stop = loop {
            match reader.next_command() {
                Ok(Some(cmd)) => {
                    let argv: Vec<Bytes> = cmd.argv.iter().map(|a| data.slice_ref(a)).collect();
                    let at = base + cmd.offset;
                    if table.get(&argv[0]).is_none() {
                        return Err(format!(
                            "Unknown command '{}' reading the append only file {name} at offset {at}",
                            String::from_utf8_lossy(argv.first().map_or(&[][..], |a| &a[..]))
                        ));
                    }
                    let verb = &argv[0];
                    if verb.eq_ignore_ascii_case(b"multi") {
                        multi_at = Some(at);
                    } else if verb.eq_ignore_ascii_case(b"exec")
                        || verb.eq_ignore_ascii_case(b"discard")
                    {
                        multi_at = None;
                    }
                    session.dispatch(conn, &argv).await;
                    // A blocking command answers as its non-blocking form:
                    // nothing waits during a replay.
                    drop(session.blocked.take());
                    valid_up_to = base + cmd.end;
                    loaded.commands += 1;
                    batch += 1;
                    if batch.is_multiple_of(1024) {
                        session.flush().await;
                        session.wbuf.clear();
                    }
                }
                Ok(None) => break None,
                Err(ReadError::Truncated { offset }) if !eof => {
                    // The rest comes with the next chunk.
                    break Some(offset);
                }
                Err(ReadError::Truncated { .. }) => break Some(usize::MAX),
                Err(ReadError::BadFormat { offset, why }) => {
                    return Err(format!(
                        "Bad file format reading the append only file {name}: {why} at offset {}; \
                         make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>",
                        base + offset
                    ));
                }
            }
        };
        session.flush().await;
        session.wbuf.clear();
        match stop {
            None => {
                base += data.len();
                if eof {
                    break;
                }
            }
            Some(usize::MAX) => {
                // The part ends inside a command.
                return torn_tail(path, name, may_truncate, valid_up_to, multi_at, loaded);
            }
            Some(offset) => {
                pending.extend_from_slice(&data[offset..]);
                base += offset;
            }
        }
    }
    loaded.bytes += base as u64;
    if let Some(at) = multi_at {
        // A transaction without its EXEC at the very end: a torn write.
        return torn_tail(path, name, may_truncate, at, Some(at), loaded);
    }
    Ok(())
}

/// Keys sent to a shard at a time while an RDB loads.
const RDB_BATCH: usize = 1024;

/// Loads the RDB at the start of `data` (a base written with
/// `aof-use-rdb-preamble yes`, as Redis writes it): keys go to their shards
/// in batches, keys already expired are skipped (as Redis skips them on a
/// master), function libraries are loaded. Returns where the RDB ends.
async fn load_rdb(
    session: &mut Session,
    conn: &mut Conn,
    data: &[u8],
    name: &str,
    loaded: &mut Loaded,
) -> Result<usize, String> {
    use ferrite_persistence::rdb::file::{FileReader, Record};
    let shared = session.worker.shared.clone();
    let limits = {
        let shard = session.worker.shard.borrow();
        ferrite_commands::generic::rdb_limits(&shard.settings)
    };
    let bad = |e: ferrite_persistence::rdb::decode::Error| {
        format!("Bad file format reading the RDB preamble of the append only file {name}: {e}")
    };
    let mut reader = FileReader::new(data, limits).map_err(bad)?;
    let now = crate::server::Shared::now_ms() as i64;
    type Batch = Vec<(usize, Vec<u8>, ferrite_storage::Value, Option<u64>)>;
    let n = shared.nshards;
    let mut batches: Vec<Batch> = (0..n).map(|_| Vec::new()).collect();
    async fn send(shared: &crate::server::Shared, s: usize, batch: Batch) -> Result<(), String> {
        crate::coord::run_on(shared, s, None, move |sh| {
            for (db, key, value, expire) in batch {
                if let Some(d) = sh.dbs.get_mut(db) {
                    d.set_with_expire(&key, value, expire);
                }
            }
        })
        .await
        .map_err(|e| e.to_string())
    }
    while let Some(record) = reader.next_record().map_err(bad)? {
        match record {
            Record::Key(item) => {
                if item.expire_ms.is_some_and(|at| at <= now) {
                    continue;
                }
                let db = usize::try_from(item.db).unwrap_or(usize::MAX);
                if db >= shared.databases {
                    return Err(format!(
                        "The append only file {name} holds keys of database {db}, but this \
                         server has {} databases (databases)",
                        shared.databases
                    ));
                }
                let s = crate::slot::shard_of(&item.key, n);
                let expire = item.expire_ms.and_then(|at| u64::try_from(at).ok());
                batches[s].push((db, item.key, item.value, expire));
                loaded.keys += 1;
                if batches[s].len() >= RDB_BATCH {
                    send(&shared, s, std::mem::take(&mut batches[s])).await?;
                }
            }
            Record::Function(code) => {
                let argv = [
                    Bytes::from_static(b"FUNCTION"),
                    Bytes::from_static(b"LOAD"),
                    Bytes::from(code),
                ];
                session.dispatch(conn, &argv).await;
            }
            Record::Aux(..) | Record::ResizeDb { .. } => {}
        }
    }
    for (s, batch) in batches.into_iter().enumerate() {
        if !batch.is_empty() {
            send(&shared, s, batch).await?;
        }
    }
    session.flush().await;
    session.wbuf.clear();
    Ok(reader.pos())
}

/// A part that ends inside a command (or a transaction): cut it back to
/// its last complete command (before an unfinished MULTI), as Redis does
/// under `aof-load-truncated yes`; else refuse to start.
fn torn_tail(
    path: &Path,
    name: &str,
    may_truncate: bool,
    valid_up_to: usize,
    multi_at: Option<usize>,
    loaded: &mut Loaded,
) -> Result<(), String> {
    if !may_truncate {
        return Err(format!(
            "Unexpected end of file reading the append only file {name} (the last complete \
             command ends at offset {valid_up_to}). You can: 1) Make a backup of your AOF file, \
             then use ./redis-check-aof --fix <filename.manifest>. 2) Alternatively you can set \
             the 'aof-load-truncated' configuration option to yes and restart the server."
        ));
    }
    let cut = multi_at.unwrap_or(valid_up_to).min(valid_up_to);
    tracing::warn!(file = %name, "!!! Warning: short read while loading the AOF file {name}!!!");
    if multi_at.is_some() {
        tracing::warn!(file = %name, "Revert incomplete MULTI/EXEC transaction in AOF file {name}");
    }
    let f = OpenOptions::new()
        .write(true)
        .open(path)
        .map_err(|e| format!("Can't open the append-only file {name} to truncate it: {e}"))?;
    f.set_len(cut as u64)
        .and_then(|()| f.sync_all())
        .map_err(|e| format!("Error truncating the AOF file {name}: {e}"))?;
    tracing::warn!(file = %name, offset = cut, "AOF {name} loaded anyway because aof-load-truncated is enabled");
    loaded.bytes += cut as u64;
    Ok(())
}
