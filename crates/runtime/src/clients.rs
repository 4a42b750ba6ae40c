//! The registry of connected clients (CLIENT LIST / INFO / KILL, INFO clients).
//!
//! A rarely-written shared map: a connection registers once, and updates its
//! own [`ClientInfo`] through relaxed atomics once per batch of commands.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use tokio::sync::Notify;

/// What CLIENT LIST reports about one connection.
#[derive(Debug)]
pub struct ClientInfo {
    /// Unique, increasing id.
    pub id: u64,
    /// Peer address.
    pub addr: SocketAddr,
    /// Local address.
    pub laddr: SocketAddr,
    /// File descriptor number.
    pub fd: i32,
    /// Thread (shard) serving it.
    pub thread: usize,
    /// When it connected.
    pub created: Instant,
    /// Milliseconds since server start of the last command.
    pub last_interaction_ms: AtomicU64,
    /// Selected database.
    pub db: AtomicUsize,
    /// Protocol version (2 or 3).
    pub resp: AtomicU8,
    /// Name set by CLIENT SETNAME / HELLO SETNAME.
    pub name: Mutex<Vec<u8>>,
    /// Library name and version from CLIENT SETINFO.
    pub lib: Mutex<(Vec<u8>, Vec<u8>)>,
    /// Name of the last command run.
    pub last_cmd: Mutex<&'static str>,
    /// Total commands run by this client.
    pub commands: AtomicU64,
    /// Set by CLIENT KILL; the connection closes at its next wake-up.
    pub killed: AtomicBool,
    /// Wakes the connection so that it notices `killed`.
    pub kill_notify: Notify,
}

impl ClientInfo {
    /// A new record.
    pub fn new(id: u64, addr: SocketAddr, laddr: SocketAddr, fd: i32, thread: usize) -> Self {
        ClientInfo {
            id,
            addr,
            laddr,
            fd,
            thread,
            created: Instant::now(),
            last_interaction_ms: AtomicU64::new(0),
            db: AtomicUsize::new(0),
            resp: AtomicU8::new(2),
            name: Mutex::new(Vec::new()),
            lib: Mutex::new((Vec::new(), Vec::new())),
            last_cmd: Mutex::new("NULL"),
            commands: AtomicU64::new(0),
            killed: AtomicBool::new(false),
            kill_notify: Notify::new(),
        }
    }

    /// Marks the client killed and wakes it.
    pub fn kill(&self) {
        self.killed.store(true, Ordering::SeqCst);
        self.kill_notify.notify_one();
    }

    /// The name, as bytes.
    pub fn name(&self) -> Vec<u8> {
        self.name.lock().map(|n| n.clone()).unwrap_or_default()
    }
}

/// All connected clients, by id.
#[derive(Debug, Default)]
pub struct Clients {
    map: Mutex<BTreeMap<u64, Arc<ClientInfo>>>,
    next_id: AtomicU64,
}

impl Clients {
    /// A fresh client id (ids start at 1 and never repeat).
    pub fn next_id(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// Registers a connection.
    pub fn add(&self, info: Arc<ClientInfo>) {
        if let Ok(mut m) = self.map.lock() {
            m.insert(info.id, info);
        }
    }

    /// Unregisters a connection.
    pub fn remove(&self, id: u64) {
        if let Ok(mut m) = self.map.lock() {
            m.remove(&id);
        }
    }

    /// Number of connected clients.
    pub fn len(&self) -> usize {
        self.map.lock().map(|m| m.len()).unwrap_or(0)
    }

    /// True when no client is connected.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A snapshot of every client, ordered by id.
    pub fn snapshot(&self) -> Vec<Arc<ClientInfo>> {
        self.map
            .lock()
            .map(|m| m.values().cloned().collect())
            .unwrap_or_default()
    }

    /// The client with this id.
    pub fn get(&self, id: u64) -> Option<Arc<ClientInfo>> {
        self.map.lock().ok().and_then(|m| m.get(&id).cloned())
    }
}
