//! Access control lists: the users, their rules, the permission check the
//! dispatcher runs before each command, and ACL LOG.
//!
//! A user's command permissions are a bitmap indexed by the ids of
//! [`AclIndex`] (every command and subcommand). A user allowed every
//! command, key and channel (the default user, out of the box) is marked
//! `open`, and the dispatcher skips every check for it after one load.
//!
//! Changing a user changes it in place: clients authenticated as it see the
//! new rules at their next command, as in Redis. Deleting a user
//! disconnects them.

use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use bytes::Bytes;
use ferrite_commands::acl_index::{category, AclIndex, CATEGORIES};
use ferrite_commands::keyspecs::{self, KeyFlags};
use ferrite_commands::{CommandSpec, CommandTable, RuntimeCmd};
use ferrite_storage::glob::string_match;

/// Read permission on a key pattern.
const PERM_R: u8 = 1;
/// Write permission on a key pattern.
const PERM_W: u8 = 2;

/// One key pattern and what it allows (`~p`: both, `%R~p`, `%W~p`).
#[derive(Clone, Debug, PartialEq, Eq)]
struct KeyPattern {
    pat: Vec<u8>,
    perm: u8,
}

/// A set of permissions: the root one of a user, or one of its `(...)`
/// selectors. A command is allowed when any of a user's selectors allows it.
#[derive(Clone, Debug)]
struct Selector {
    /// Allowed command ids.
    cmds: Vec<u64>,
    /// Set by `+@all` alone: the rules render from `+@all`.
    future: bool,
    /// First arguments allowed for commands whose bit is off (`+select|0`).
    first_args: Vec<(u32, Vec<Vec<u8>>)>,
    allkeys: bool,
    keys: Vec<KeyPattern>,
    allchannels: bool,
    channels: Vec<Vec<u8>>,
}

impl Selector {
    fn new(n: usize) -> Selector {
        Selector {
            cmds: vec![0; n.div_ceil(64)],
            future: false,
            first_args: Vec::new(),
            allkeys: false,
            keys: Vec::new(),
            allchannels: false,
            channels: Vec::new(),
        }
    }

    fn bit(&self, id: u32) -> bool {
        self.cmds
            .get(id as usize / 64)
            .is_some_and(|w| w & (1 << (id % 64)) != 0)
    }

    fn set_bit(&mut self, id: u32, on: bool) {
        if let Some(w) = self.cmds.get_mut(id as usize / 64) {
            if on {
                *w |= 1 << (id % 64);
            } else {
                *w &= !(1 << (id % 64));
            }
        }
    }

    /// Allows or denies a command and all its subcommands, forgetting its
    /// first-argument rules.
    fn change(&mut self, ix: &AclIndex, id: u32, on: bool) {
        self.set_bit(id, on);
        self.first_args.retain(|(i, _)| *i != id);
        if let Some(e) = ix.entry(id) {
            for c in e.first_child..e.first_child + e.nchildren {
                self.set_bit(c, on);
                self.first_args.retain(|(i, _)| *i != c);
            }
        }
    }

    fn change_category(&mut self, ix: &AclIndex, cat: usize, on: bool) {
        let ids: Vec<u32> = ix.in_category(cat).collect();
        for id in ids {
            self.change(ix, id, on);
        }
    }

    fn all_commands(&mut self, on: bool) {
        for w in &mut self.cmds {
            *w = if on { u64::MAX } else { 0 };
        }
        self.future = on;
        self.first_args.clear();
    }

    fn allows_everything(&self, n: usize) -> bool {
        self.allkeys && self.allchannels && (0..n as u32).all(|i| self.bit(i))
    }
}

/// What a user is, behind its lock.
#[derive(Clone, Debug)]
struct UserState {
    on: bool,
    nopass: bool,
    /// `Some(true)`: sanitize-payload, `Some(false)`: skip-sanitize-payload.
    sanitize: Option<bool>,
    /// SHA-256 of each password.
    passwords: Vec<[u8; 32]>,
    root: Selector,
    selectors: Vec<Selector>,
}

/// One user.
pub struct User {
    /// The name.
    pub name: Vec<u8>,
    /// True when the user may run anything on any key and channel: the
    /// dispatcher then checks nothing.
    open: AtomicBool,
    state: RwLock<UserState>,
}

impl std::fmt::Debug for User {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("User")
            .field("name", &String::from_utf8_lossy(&self.name))
            .finish()
    }
}

impl User {
    /// True when no check is needed for this user's commands.
    #[inline]
    pub fn is_open(&self) -> bool {
        self.open.load(Ordering::Relaxed)
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, UserState> {
        self.state.read().unwrap_or_else(|e| e.into_inner())
    }
}

/// Why a command was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Denied {
    /// The command (or subcommand).
    Command,
    /// The key at this argument position.
    Key(usize),
    /// The channel at this argument position.
    Channel(usize),
}

impl Denied {
    fn rank(self) -> (u8, usize) {
        match self {
            Denied::Command => (1, 0),
            Denied::Key(i) => (2, i),
            Denied::Channel(i) => (4, i),
        }
    }

    /// The NOPERM error a client gets.
    pub fn noperm(self, spec: &CommandSpec) -> String {
        match self {
            Denied::Command => format!(
                "NOPERM this user has no permissions to run the '{}' command",
                spec.name
            ),
            Denied::Key(_) => {
                "NOPERM this user has no permissions to access one of the keys used as arguments"
                    .to_string()
            }
            Denied::Channel(_) => "NOPERM this user has no permissions to access one of the channels used as arguments".to_string(),
        }
    }

    /// The error a script's `redis.call` raises.
    pub fn script_error(self) -> &'static str {
        match self {
            Denied::Command => {
                "ERR The user executing the script can't run this command or subcommand"
            }
            Denied::Key(_) => "ERR The user executing the script can't access at least one of the keys mentioned in the command arguments",
            Denied::Channel(_) => "ERR The user executing the script can't publish to the channel mentioned in the command",
        }
    }

    /// EXEC's error for a queued command the rules no longer allow.
    pub fn exec_changed(self) -> String {
        let why = match self {
            Denied::Command => "no permission to execute the command or subcommand",
            Denied::Key(_) => "no permission to touch the specified keys",
            Denied::Channel(_) => "no permission to access one of the channels used as arguments",
        };
        format!("NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC call. This command is no longer allowed for the following reason: {why}")
    }

    /// ACL DRYRUN's text.
    pub fn dryrun(self, spec: &CommandSpec, argv: &[Bytes]) -> String {
        let at =
            |i: usize| String::from_utf8_lossy(argv.get(i).map_or(&b""[..], |a| a)).into_owned();
        match self {
            Denied::Command => format!(
                "This user has no permissions to run the '{}' command",
                spec.name
            ),
            Denied::Key(i) => format!("This user has no permissions to access the '{}' key", at(i)),
            Denied::Channel(i) => format!(
                "This user has no permissions to access the '{}' channel",
                at(i)
            ),
        }
    }

    /// ACL LOG's reason and object.
    fn log_parts(self, spec: &CommandSpec, argv: &[Bytes]) -> (&'static str, Vec<u8>) {
        let at = |i: usize| argv.get(i).map_or_else(Vec::new, |a| a.to_vec());
        match self {
            Denied::Command => ("command", spec.name.as_bytes().to_vec()),
            Denied::Key(i) => ("key", at(i)),
            Denied::Channel(i) => ("channel", at(i)),
        }
    }
}

/// One ACL LOG entry.
#[derive(Clone, Debug)]
pub struct LogEntry {
    /// Times it happened (similar events within a minute are merged).
    pub count: u64,
    /// `command`, `key`, `channel` or `auth`.
    pub reason: &'static str,
    /// `toplevel`, `multi`, `lua`.
    pub context: &'static str,
    /// The command, key or channel refused (`auth` for AUTH).
    pub object: Vec<u8>,
    /// The user (for AUTH, the name given).
    pub username: Vec<u8>,
    /// Unix ms of the last occurrence.
    pub ctime_ms: u64,
    /// CLIENT LIST line of the client, at the last occurrence.
    pub client_info: Vec<u8>,
}

/// The registry of users, shared by all threads.
pub struct Acl {
    /// Command ids.
    pub index: AclIndex,
    users: RwLock<BTreeMap<Vec<u8>, Arc<User>>>,
    default: Arc<User>,
    log: Mutex<VecDeque<LogEntry>>,
    /// `Shared::config_epoch` last looked at.
    epoch_seen: AtomicU64,
    /// The requirepass last applied to the default user.
    requirepass: Mutex<Option<Vec<u8>>>,
    log_max: AtomicU64,
    pubsub_all: AtomicBool,
    /// True while some user is not open: scripts look their caller's user
    /// up only then.
    restricted: AtomicBool,
}

const WRONG_HASH: &str = "The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters";
const UNKNOWN: &str = "Unknown command or category name in ACL";
const SYNTAX: &str = "Syntax error";

/// SHA-256 of a password.
pub fn sha256(data: &[u8]) -> [u8; 32] {
    const K: [u32; 64] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
        0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
        0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
        0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
        0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
        0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
        0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
        0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
        0xc67178f2,
    ];
    let mut h: [u32; 8] = [
        0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab,
        0x5be0cd19,
    ];
    let mut msg = data.to_vec();
    let bits = (data.len() as u64).wrapping_mul(8);
    msg.push(0x80);
    while msg.len() % 64 != 56 {
        msg.push(0);
    }
    msg.extend_from_slice(&bits.to_be_bytes());
    for chunk in msg.chunks_exact(64) {
        let mut w = [0u32; 64];
        for (i, word) in chunk.chunks_exact(4).enumerate() {
            w[i] = u32::from_be_bytes([word[0], word[1], word[2], word[3]]);
        }
        for i in 16..64 {
            let s0 = w[i - 15].rotate_right(7) ^ w[i - 15].rotate_right(18) ^ (w[i - 15] >> 3);
            let s1 = w[i - 2].rotate_right(17) ^ w[i - 2].rotate_right(19) ^ (w[i - 2] >> 10);
            w[i] = w[i - 16]
                .wrapping_add(s0)
                .wrapping_add(w[i - 7])
                .wrapping_add(s1);
        }
        let [mut a, mut b, mut c, mut d, mut e, mut f, mut g, mut hh] = h;
        for i in 0..64 {
            let s1 = e.rotate_right(6) ^ e.rotate_right(11) ^ e.rotate_right(25);
            let ch = (e & f) ^ (!e & g);
            let t1 = hh
                .wrapping_add(s1)
                .wrapping_add(ch)
                .wrapping_add(K[i])
                .wrapping_add(w[i]);
            let s0 = a.rotate_right(2) ^ a.rotate_right(13) ^ a.rotate_right(22);
            let maj = (a & b) ^ (a & c) ^ (b & c);
            let t2 = s0.wrapping_add(maj);
            hh = g;
            g = f;
            f = e;
            e = d.wrapping_add(t1);
            d = c;
            c = b;
            b = a;
            a = t1.wrapping_add(t2);
        }
        for (x, y) in h.iter_mut().zip([a, b, c, d, e, f, g, hh]) {
            *x = x.wrapping_add(y);
        }
    }
    let mut out = [0u8; 32];
    for (o, v) in out.chunks_exact_mut(4).zip(h) {
        o.copy_from_slice(&v.to_be_bytes());
    }
    out
}

fn hex(h: &[u8]) -> String {
    h.iter().map(|b| format!("{b:02x}")).collect()
}

fn parse_hash(s: &[u8]) -> Option<[u8; 32]> {
    if s.len() != 64 || !s.iter().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f')) {
        return None;
    }
    let mut out = [0u8; 32];
    for (o, pair) in out.iter_mut().zip(s.chunks_exact(2)) {
        let v = std::str::from_utf8(pair).ok()?;
        *o = u8::from_str_radix(v, 16).ok()?;
    }
    Some(out)
}

/// Compares two hashes in time independent of where they differ.
fn ct_eq(a: &[u8; 32], b: &[u8; 32]) -> bool {
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn eq_kw(a: &[u8], kw: &str) -> bool {
    a.eq_ignore_ascii_case(kw.as_bytes())
}

/// Splits the rules of ACL SETUSER into modifiers, joining a selector
/// written over several arguments (`(+get` `~x)`).
fn merge_selectors(rules: &[Bytes]) -> Result<Vec<Vec<u8>>, String> {
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(r) = rules.get(i) {
        if r.first() == Some(&b'(') && r.last() != Some(&b')') {
            let mut joined = r.to_vec();
            let mut j = i + 1;
            let mut closed = false;
            while let Some(n) = rules.get(j) {
                joined.push(b' ');
                joined.extend_from_slice(n);
                j += 1;
                if n.last() == Some(&b')') {
                    closed = true;
                    break;
                }
            }
            if !closed {
                return Err(format!(
                    "ERR Unmatched parenthesis in acl selector starting at '{}'.",
                    String::from_utf8_lossy(r)
                ));
            }
            out.push(joined);
            i = j;
        } else {
            out.push(r.to_vec());
            i += 1;
        }
    }
    Ok(out)
}

/// A `default` user allowed every one of `n` commands, every key and
/// channel, without a password (the default user as Redis starts it).
fn unrestricted_user(n: usize) -> User {
    let mut root = Selector::new(n);
    root.all_commands(true);
    root.allkeys = true;
    root.allchannels = true;
    User {
        name: b"default".to_vec(),
        open: AtomicBool::new(true),
        state: RwLock::new(UserState {
            on: true,
            nopass: true,
            sanitize: None,
            passwords: Vec::new(),
            root,
            selectors: Vec::new(),
        }),
    }
}

impl Acl {
    /// A registry holding only the default user (every permission, no
    /// password).
    pub fn new(table: &CommandTable) -> Acl {
        let index = AclIndex::new(table);
        let default = Arc::new(unrestricted_user(index.len()));
        let mut users = BTreeMap::new();
        users.insert(b"default".to_vec(), default.clone());
        Acl {
            index,
            users: RwLock::new(users),
            default,
            log: Mutex::new(VecDeque::new()),
            epoch_seen: AtomicU64::new(u64::MAX),
            requirepass: Mutex::new(None),
            log_max: AtomicU64::new(128),
            pubsub_all: AtomicBool::new(false),
            restricted: AtomicBool::new(false),
        }
    }

    /// A user allowed everything and registered nowhere: the client that
    /// replays the AOF at start (Redis's loading client runs unchecked).
    pub fn superuser(&self) -> Arc<User> {
        Arc::new(unrestricted_user(self.index.len()))
    }

    /// The default user.
    pub fn default_user(&self) -> Arc<User> {
        self.default.clone()
    }

    /// A user by name.
    pub fn user(&self, name: &[u8]) -> Option<Arc<User>> {
        self.users
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(name)
            .cloned()
    }

    /// Every user name, sorted.
    pub fn names(&self) -> Vec<Vec<u8>> {
        self.users
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .keys()
            .cloned()
            .collect()
    }

    /// Applies what CONFIG SET changed since the last call (requirepass,
    /// acllog-max-len, acl-pubsub-default): one atomic load when nothing did.
    pub fn sync_config(&self, shared: &crate::server::Shared) {
        let epoch = shared.config_epoch.load(Ordering::Acquire);
        if self.epoch_seen.swap(epoch, Ordering::AcqRel) == epoch {
            return;
        }
        let (pass, max, all) = {
            let cfg = shared.config.read().unwrap_or_else(|e| e.into_inner());
            (
                cfg.requirepass.clone(),
                cfg.acllog_max_len,
                matches!(
                    cfg.acl_pubsub_default,
                    ferrite_config::AclPubsubDefault::AllChannels
                ),
            )
        };
        self.log_max.store(max, Ordering::Relaxed);
        self.pubsub_all.store(all, Ordering::Relaxed);
        let mut last = self.requirepass.lock().unwrap_or_else(|e| e.into_inner());
        if *last != pass {
            // As Redis: requirepass replaces every password of the default
            // user (or makes it nopass when emptied).
            let mut st = self
                .default
                .state
                .write()
                .unwrap_or_else(|e| e.into_inner());
            st.passwords.clear();
            match &pass {
                Some(p) => {
                    st.nopass = false;
                    st.passwords.push(sha256(p));
                }
                None => st.nopass = true,
            }
            *last = pass;
        }
    }

    /// Sets the config values at start, before any user is created.
    pub fn start_config(&self, cfg: &ferrite_config::Config) {
        self.log_max.store(cfg.acllog_max_len, Ordering::Relaxed);
        self.pubsub_all.store(
            matches!(
                cfg.acl_pubsub_default,
                ferrite_config::AclPubsubDefault::AllChannels
            ),
            Ordering::Relaxed,
        );
    }

    /// True when a connection starting now is authenticated without AUTH:
    /// the default user is on and has nopass.
    pub fn default_needs_no_auth(&self) -> bool {
        let st = self.default.read();
        st.on && st.nopass
    }

    /// True while the default user has `nopass` (protected mode then
    /// refuses clients that are not local, even when the user is off).
    pub fn default_has_nopass(&self) -> bool {
        self.default.read().nopass
    }

    /// Checks a user name and password: the user if it exists, is on, and
    /// the password matches (or it has nopass).
    pub fn authenticate(&self, name: &[u8], pass: &[u8]) -> Option<Arc<User>> {
        let user = self.user(name)?;
        let ok = {
            let st = user.read();
            let h = sha256(pass);
            // Every hash is compared, matching or not, in constant time each.
            let any = st.passwords.iter().fold(false, |acc, p| acc | ct_eq(p, &h));
            st.on && (st.nopass || any)
        };
        ok.then_some(user)
    }

    fn new_state(&self) -> UserState {
        let mut root = Selector::new(self.index.len());
        root.allchannels = self.pubsub_all.load(Ordering::Relaxed);
        UserState {
            on: false,
            nopass: false,
            sanitize: None,
            passwords: Vec::new(),
            root,
            selectors: Vec::new(),
        }
    }

    /// ACL SETUSER: applies the rules to the user (created if missing), all
    /// or none. `Err` is the error reply.
    pub fn setuser(&self, name: &[u8], rules: &[Bytes]) -> Result<(), String> {
        if name.iter().any(|&c| c == b' ' || c == 0) {
            return Err("ERR Usernames can't contain spaces or null characters".into());
        }
        let existing = self.user(name);
        let mut st = match &existing {
            Some(u) => u.read().clone(),
            None => self.new_state(),
        };
        for rule in merge_selectors(rules)? {
            self.apply_user_rule(&mut st, &rule).map_err(|why| {
                format!(
                    "ERR Error in ACL SETUSER modifier '{}': {why}",
                    String::from_utf8_lossy(&rule)
                )
            })?;
        }
        let open = self.state_is_open(&st);
        match existing {
            Some(u) => {
                *u.state.write().unwrap_or_else(|e| e.into_inner()) = st;
                u.open.store(open, Ordering::Relaxed);
            }
            None => {
                let u = Arc::new(User {
                    name: name.to_vec(),
                    open: AtomicBool::new(open),
                    state: RwLock::new(st),
                });
                self.users
                    .write()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(name.to_vec(), u);
            }
        }
        self.recount(&self.users.read().unwrap_or_else(|e| e.into_inner()));
        Ok(())
    }

    /// True when some user is not open.
    pub fn any_restricted(&self) -> bool {
        self.restricted.load(Ordering::Relaxed)
    }

    fn recount(&self, users: &BTreeMap<Vec<u8>, Arc<User>>) {
        let any = users.values().any(|u| !u.is_open());
        self.restricted.store(any, Ordering::Relaxed);
    }

    fn state_is_open(&self, st: &UserState) -> bool {
        st.root.allows_everything(self.index.len())
    }

    /// ACL DELUSER: removes the users (never `default`), returning them.
    pub fn deluser(&self, names: &[Bytes]) -> Result<Vec<Arc<User>>, String> {
        if names.iter().any(|n| &n[..] == b"default") {
            return Err("ERR The 'default' user cannot be removed".into());
        }
        let mut users = self.users.write().unwrap_or_else(|e| e.into_inner());
        let gone = names.iter().filter_map(|n| users.remove(&n[..])).collect();
        self.recount(&users);
        Ok(gone)
    }

    /// Replaces every user but keeps the same `default` object (ACL LOAD):
    /// `lines` are the line number and words of each user line of `path`
    /// (name first). All or nothing; `Err` is Redis's text for the error.
    pub fn replace_all(
        &self,
        path: &str,
        lines: &[(usize, Vec<Bytes>)],
    ) -> Result<Vec<Arc<User>>, String> {
        let mut states: BTreeMap<Vec<u8>, UserState> = BTreeMap::new();
        for (n, line) in lines {
            let Some((name, rules)) = line.split_first() else {
                continue;
            };
            if states.contains_key(&name[..]) {
                return Err(format!(
                    "WARNING: Duplicate user '{}' found on line {n}",
                    String::from_utf8_lossy(name)
                ));
            }
            let mut st = self.new_state();
            let rules = merge_selectors(rules)
                .map_err(|e| format!("{path}:{n}: {}", e.strip_prefix("ERR ").unwrap_or(&e)))?;
            for rule in rules {
                self.apply_user_rule(&mut st, &rule).map_err(|why| {
                    format!(
                        "{path}:{n}: Error in applying operation '{}': {why}",
                        String::from_utf8_lossy(&rule)
                    )
                })?;
            }
            states.insert(name.to_vec(), st);
        }
        let mut users = self.users.write().unwrap_or_else(|e| e.into_inner());
        let old: Vec<Arc<User>> = std::mem::take(&mut *users).into_values().collect();
        // Without a `user default` line the default user is reset to its
        // initial state, as Redis does.
        let mut dst = states.remove(&b"default"[..]).unwrap_or_else(|| {
            let mut s = self.new_state();
            s.on = true;
            s.nopass = true;
            s.root.all_commands(true);
            s.root.allkeys = true;
            s.root.allchannels = true;
            s
        });
        std::mem::swap(
            &mut *self
                .default
                .state
                .write()
                .unwrap_or_else(|e| e.into_inner()),
            &mut dst,
        );
        self.default
            .open
            .store(self.state_is_open(&self.default.read()), Ordering::Relaxed);
        users.insert(b"default".to_vec(), self.default.clone());
        for (name, st) in states {
            let open = self.state_is_open(&st);
            users.insert(
                name.clone(),
                Arc::new(User {
                    name,
                    open: AtomicBool::new(open),
                    state: RwLock::new(st),
                }),
            );
        }
        self.recount(&users);
        Ok(old.into_iter().filter(|u| u.name != b"default").collect())
    }

    fn apply_user_rule(&self, st: &mut UserState, rule: &[u8]) -> Result<(), &'static str> {
        if eq_kw(rule, "on") {
            st.on = true;
        } else if eq_kw(rule, "off") {
            st.on = false;
        } else if eq_kw(rule, "nopass") {
            st.nopass = true;
            st.passwords.clear();
        } else if eq_kw(rule, "resetpass") {
            st.nopass = false;
            st.passwords.clear();
        } else if eq_kw(rule, "skip-sanitize-payload") {
            st.sanitize = Some(false);
        } else if eq_kw(rule, "sanitize-payload") {
            st.sanitize = Some(true);
        } else if eq_kw(rule, "clearselectors") {
            st.selectors.clear();
        } else if eq_kw(rule, "reset") {
            let fresh = self.new_state();
            st.passwords.clear();
            st.nopass = false;
            st.on = false;
            st.selectors.clear();
            st.root = fresh.root;
            st.sanitize = Some(true);
        } else if let Some(pw) = rule.strip_prefix(b">") {
            let h = sha256(pw);
            if !st.passwords.contains(&h) {
                st.passwords.push(h);
            }
            st.nopass = false;
        } else if let Some(h) = rule.strip_prefix(b"#") {
            let h = parse_hash(h).ok_or(WRONG_HASH)?;
            if !st.passwords.contains(&h) {
                st.passwords.push(h);
            }
            st.nopass = false;
        } else if let Some(pw) = rule.strip_prefix(b"<") {
            let h = sha256(pw);
            let before = st.passwords.len();
            st.passwords.retain(|p| *p != h);
            if st.passwords.len() == before {
                return Err("The password you are trying to remove from the user does not exist");
            }
            st.nopass = false;
        } else if let Some(h) = rule.strip_prefix(b"!") {
            let h = parse_hash(h).ok_or(WRONG_HASH)?;
            let before = st.passwords.len();
            st.passwords.retain(|p| *p != h);
            if st.passwords.len() == before {
                return Err("The password you are trying to remove from the user does not exist");
            }
            st.nopass = false;
        } else if rule.first() == Some(&b'(') && rule.last() == Some(&b')') && rule.len() >= 2 {
            let inner = rule.get(1..rule.len() - 1).unwrap_or_default();
            let mut sel = Selector::new(self.index.len());
            for r in inner.split(|&c| c == b' ').filter(|r| !r.is_empty()) {
                self.apply_selector_rule(&mut sel, r)?;
            }
            st.selectors.push(sel);
        } else {
            self.apply_selector_rule(&mut st.root, rule)?;
        }
        Ok(())
    }

    fn apply_selector_rule(&self, sel: &mut Selector, rule: &[u8]) -> Result<(), &'static str> {
        let ix = &self.index;
        if eq_kw(rule, "allkeys") {
            sel.allkeys = true;
            sel.keys.clear();
        } else if eq_kw(rule, "resetkeys") {
            sel.allkeys = false;
            sel.keys.clear();
        } else if eq_kw(rule, "allchannels") {
            sel.allchannels = true;
            sel.channels.clear();
        } else if eq_kw(rule, "resetchannels") {
            sel.allchannels = false;
            sel.channels.clear();
        } else if eq_kw(rule, "allcommands") || eq_kw(rule, "+@all") {
            sel.all_commands(true);
        } else if eq_kw(rule, "nocommands") || eq_kw(rule, "-@all") {
            sel.all_commands(false);
        } else if let Some(rest) = rule.strip_prefix(b"~") {
            add_key_pattern(sel, rest, PERM_R | PERM_W)?;
        } else if let Some(rest) = rule.strip_prefix(b"%") {
            let tilde = rest.iter().position(|&c| c == b'~');
            let (flags, pat) = match tilde {
                Some(t) => (
                    rest.get(..t).unwrap_or_default(),
                    rest.get(t + 1..).unwrap_or_default(),
                ),
                None => (rest, &b""[..]),
            };
            let mut perm = 0;
            for c in flags {
                perm |= match c.to_ascii_uppercase() {
                    b'R' => PERM_R,
                    b'W' => PERM_W,
                    _ => return Err(SYNTAX),
                };
            }
            if perm == 0 {
                return Err(SYNTAX);
            }
            add_key_pattern(sel, pat, perm)?;
        } else if let Some(pat) = rule.strip_prefix(b"&") {
            if pat == b"*" {
                sel.allchannels = true;
                sel.channels.clear();
            } else {
                if sel.allchannels {
                    return Err("Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have any effect. Try 'resetchannels' to start with an empty list of channels");
                }
                if !sel.channels.iter().any(|c| c == pat) {
                    sel.channels.push(pat.to_vec());
                }
            }
        } else if let Some((on, what)) = match rule.first() {
            Some(b'+') => Some((true, rule.get(1..).unwrap_or_default())),
            Some(b'-') => Some((false, rule.get(1..).unwrap_or_default())),
            _ => None,
        } {
            if let Some(cat) = what.strip_prefix(b"@") {
                let c = category(cat).ok_or(UNKNOWN)?;
                sel.change_category(ix, c, on);
                return Ok(());
            }
            let (cmd, sub) = match what.iter().position(|&c| c == b'|') {
                Some(p) => (
                    what.get(..p).unwrap_or_default(),
                    Some(what.get(p + 1..).unwrap_or_default()),
                ),
                None => (what, None),
            };
            let spec = self.top_level(cmd).ok_or(UNKNOWN)?;
            let id = ix.id(spec).ok_or(UNKNOWN)?;
            match sub {
                None => sel.change(ix, id, on),
                Some(sub) => {
                    if sub.is_empty() {
                        return Err(SYNTAX);
                    }
                    if sub.contains(&b'|') {
                        return Err("Allowing first-arg of a subcommand is not supported");
                    }
                    if !spec.subcommands.is_empty() {
                        let s = spec.subcommand(sub).ok_or(UNKNOWN)?;
                        let sid = ix.id(s).ok_or(UNKNOWN)?;
                        sel.change(ix, sid, on);
                    } else {
                        if !on {
                            return Err(UNKNOWN);
                        }
                        if !sel.bit(id) {
                            let lower = sub.to_ascii_lowercase();
                            match sel.first_args.iter_mut().find(|(i, _)| *i == id) {
                                Some((_, args)) => {
                                    if !args.contains(&lower) {
                                        args.push(lower);
                                    }
                                }
                                None => sel.first_args.push((id, vec![lower])),
                            }
                        }
                    }
                }
            }
        } else {
            return Err(SYNTAX);
        }
        Ok(())
    }

    fn top_level(&self, name: &[u8]) -> Option<&'static CommandSpec> {
        self.index
            .entries()
            .iter()
            .find(|e| e.parent.is_none() && e.spec.name.as_bytes().eq_ignore_ascii_case(name))
            .map(|e| e.spec)
    }

    // ---- Rendering.

    fn describe_commands(&self, sel: &Selector) -> String {
        let ix = &self.index;
        let n = ix.len();
        let mut out = Vec::new();
        let mut fake = Selector::new(n);
        let additive = !sel.future;
        if sel.future {
            out.push("+@all".to_string());
            fake.all_commands(true);
        } else {
            out.push("-@all".to_string());
        }
        // Best fit first: the category sharing the most commands with what
        // is left to describe, until none shares more than it differs.
        let mut temp = sel.clone();
        let mut applied = vec![false; CATEGORIES.len()];
        loop {
            let mut best = None;
            let (mut mindiff, mut maxsame) = (u64::MAX, 0u64);
            for (c, done) in applied.iter().enumerate() {
                if *done {
                    continue;
                }
                let (mut on, mut off) = (0u64, 0u64);
                for id in ix.in_category(c) {
                    if temp.bit(id) {
                        on += 1;
                    } else {
                        off += 1;
                    }
                }
                let (diff, same) = if additive { (off, on) } else { (on, off) };
                if same > diff && (diff < mindiff || (diff == mindiff && same > maxsame)) {
                    best = Some(c);
                    mindiff = diff;
                    maxsame = same;
                }
            }
            let Some(c) = best else { break };
            let name = CATEGORIES.get(c).copied().unwrap_or_default();
            out.push(format!("{}@{name}", if additive { '+' } else { '-' }));
            fake.change_category(ix, c, additive);
            temp.change_category(ix, c, !additive);
            if let Some(a) = applied.get_mut(c) {
                *a = true;
            }
        }
        for (id, e) in ix.entries().iter().enumerate() {
            let id = id as u32;
            let user = sel.bit(id);
            if user != fake.bit(id) {
                out.push(format!("{}{}", if user { '+' } else { '-' }, e.spec.name));
                fake.change(ix, id, user);
            }
            if !user {
                if let Some((_, args)) = sel.first_args.iter().find(|(i, _)| *i == id) {
                    for a in args {
                        out.push(format!("+{}|{}", e.spec.name, String::from_utf8_lossy(a)));
                    }
                }
            }
        }
        out.join(" ")
    }

    fn describe_keys(sel: &Selector) -> Vec<String> {
        if sel.allkeys {
            return vec!["~*".into()];
        }
        sel.keys
            .iter()
            .map(|k| {
                let p = String::from_utf8_lossy(&k.pat);
                match k.perm {
                    PERM_R => format!("%R~{p}"),
                    PERM_W => format!("%W~{p}"),
                    _ => format!("~{p}"),
                }
            })
            .collect()
    }

    fn describe_channels(sel: &Selector) -> Vec<String> {
        if sel.allchannels {
            return vec!["&*".into()];
        }
        sel.channels
            .iter()
            .map(|c| format!("&{}", String::from_utf8_lossy(c)))
            .collect()
    }

    fn describe_selector(&self, sel: &Selector) -> String {
        let mut parts = Self::describe_keys(sel);
        if !sel.allchannels {
            parts.push("resetchannels".into());
        }
        parts.extend(Self::describe_channels(sel));
        parts.push(self.describe_commands(sel));
        parts.join(" ")
    }

    fn flags(st: &UserState) -> Vec<&'static str> {
        let mut f = vec![if st.on { "on" } else { "off" }];
        if st.nopass {
            f.push("nopass");
        }
        match st.sanitize {
            Some(false) => f.push("skip-sanitize-payload"),
            Some(true) => f.push("sanitize-payload"),
            None => {}
        }
        f
    }

    /// The user's line of ACL LIST (and of an ACL file).
    pub fn describe(&self, user: &User) -> String {
        let st = user.read();
        let mut parts = vec![
            "user".to_string(),
            String::from_utf8_lossy(&user.name).into_owned(),
        ];
        parts.extend(Self::flags(&st).into_iter().map(String::from));
        parts.extend(st.passwords.iter().map(|p| format!("#{}", hex(p))));
        parts.push(self.describe_selector(&st.root));
        for s in &st.selectors {
            parts.push(format!("({})", self.describe_selector(s)));
        }
        parts.join(" ")
    }

    /// ACL GETUSER's reply.
    pub fn write_getuser(&self, user: &User, w: &mut ferrite_protocol::Writer<'_>) {
        let st = user.read();
        w.map(6);
        w.bulk(b"flags");
        let flags = Self::flags(&st);
        w.set(flags.len());
        for f in flags {
            w.bulk(f.as_bytes());
        }
        w.bulk(b"passwords");
        w.array(st.passwords.len());
        for p in &st.passwords {
            w.bulk(hex(p).as_bytes());
        }
        self.write_selector(&st.root, w);
        w.bulk(b"selectors");
        w.array(st.selectors.len());
        for s in &st.selectors {
            w.map(3);
            self.write_selector(s, w);
        }
    }

    fn write_selector(&self, sel: &Selector, w: &mut ferrite_protocol::Writer<'_>) {
        w.bulk(b"commands");
        w.bulk(self.describe_commands(sel).as_bytes());
        w.bulk(b"keys");
        w.bulk(Self::describe_keys(sel).join(" ").as_bytes());
        w.bulk(b"channels");
        w.bulk(Self::describe_channels(sel).join(" ").as_bytes());
    }

    // ---- Checking.

    /// Checks a command (already looked up, arity checked) against the
    /// user's selectors. Call only when `!user.is_open()`.
    pub fn check(
        &self,
        user: &User,
        spec: &'static CommandSpec,
        argv: &[Bytes],
    ) -> Result<(), Denied> {
        let Some(id) = self.index.id(spec) else {
            return Ok(());
        };
        let st = user.read();
        let mut worst: Option<Denied> = None;
        for sel in std::iter::once(&st.root).chain(st.selectors.iter()) {
            match check_selector(sel, id, spec, argv) {
                Ok(()) => return Ok(()),
                Err(d) => {
                    if worst.is_none_or(|w| d.rank() > w.rank()) {
                        worst = Some(d);
                    }
                }
            }
        }
        Err(worst.unwrap_or(Denied::Command))
    }

    // ---- The log.

    /// Adds an event to ACL LOG, merging it with a similar recent one.
    pub fn log_event(
        &self,
        reason: &'static str,
        context: &'static str,
        object: Vec<u8>,
        username: Vec<u8>,
        client_info: Vec<u8>,
    ) {
        let now = crate::server::Shared::now_ms();
        let mut log = self.log.lock().unwrap_or_else(|e| e.into_inner());
        let similar = log.iter().take(10).position(|e| {
            e.reason == reason
                && e.context == context
                && e.object == object
                && e.username == username
                && now.saturating_sub(e.ctime_ms) < 60_000
        });
        if let Some(i) = similar {
            if let Some(mut e) = log.remove(i) {
                e.count += 1;
                e.ctime_ms = now;
                e.client_info = client_info;
                log.push_front(e);
            }
            return;
        }
        log.push_front(LogEntry {
            count: 1,
            reason,
            context,
            object,
            username,
            ctime_ms: now,
            client_info,
        });
        let max = self.log_max.load(Ordering::Relaxed) as usize;
        log.truncate(max);
    }

    /// Logs a refused command.
    pub fn log_denied(
        &self,
        d: Denied,
        context: &'static str,
        user: &User,
        spec: &CommandSpec,
        argv: &[Bytes],
        client_info: Vec<u8>,
    ) {
        let (reason, object) = d.log_parts(spec, argv);
        self.log_event(reason, context, object, user.name.clone(), client_info);
    }

    /// The newest `count` entries.
    pub fn log_entries(&self, count: usize) -> Vec<LogEntry> {
        let log = self.log.lock().unwrap_or_else(|e| e.into_inner());
        log.iter().take(count).cloned().collect()
    }

    /// ACL LOG RESET.
    pub fn log_reset(&self) {
        self.log.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }
}

fn add_key_pattern(sel: &mut Selector, pat: &[u8], perm: u8) -> Result<(), &'static str> {
    if sel.allkeys {
        return Err("Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns");
    }
    if pat == b"*" && perm == PERM_R | PERM_W {
        sel.allkeys = true;
        sel.keys.clear();
        return Ok(());
    }
    match sel.keys.iter_mut().find(|k| k.pat == pat) {
        Some(k) => k.perm |= perm,
        None => sel.keys.push(KeyPattern {
            pat: pat.to_vec(),
            perm,
        }),
    }
    Ok(())
}

/// The channels a command names, and whether they are patterns.
fn channel_args(spec: &CommandSpec, argv: &[Bytes]) -> Option<(std::ops::Range<usize>, bool)> {
    match spec.exec {
        ferrite_commands::Exec::Runtime(RuntimeCmd::Publish | RuntimeCmd::Spublish) => {
            Some((1..2.min(argv.len()), false))
        }
        ferrite_commands::Exec::Runtime(RuntimeCmd::Subscribe | RuntimeCmd::Ssubscribe) => {
            Some((1..argv.len(), false))
        }
        ferrite_commands::Exec::Runtime(RuntimeCmd::Psubscribe) => Some((1..argv.len(), true)),
        _ => None,
    }
}

fn check_selector(
    sel: &Selector,
    id: u32,
    spec: &CommandSpec,
    argv: &[Bytes],
) -> Result<(), Denied> {
    if !sel.bit(id) {
        let first_ok = argv.get(1).is_some_and(|a| {
            sel.first_args
                .iter()
                .find(|(i, _)| *i == id)
                .is_some_and(|(_, args)| args.iter().any(|x| x.eq_ignore_ascii_case(a)))
        });
        if !first_ok {
            return Err(Denied::Command);
        }
    }
    if !sel.allkeys {
        let mut keys = Vec::new();
        key_access(spec, argv, &mut keys);
        for (pos, flags) in keys {
            let Some(key) = argv.get(pos) else { continue };
            let mut need = 0;
            if flags.reads() {
                need |= PERM_R;
            }
            if flags.writes() {
                need |= PERM_W;
            }
            let ok = sel
                .keys
                .iter()
                .any(|k| k.perm & need == need && string_match(&k.pat, key, false));
            if !ok {
                return Err(Denied::Key(pos));
            }
        }
    }
    if !sel.allchannels {
        if let Some((range, patterns)) = channel_args(spec, argv) {
            for pos in range {
                let Some(ch) = argv.get(pos) else { continue };
                let ok = if patterns {
                    sel.channels.iter().any(|c| c[..] == ch[..])
                } else {
                    sel.channels.iter().any(|c| string_match(c, ch, false))
                };
                if !ok {
                    return Err(Denied::Channel(pos));
                }
            }
        }
    }
    Ok(())
}

/// The keys of a command and how it uses each: from the key specifications
/// when they describe every key, else from the table's key positions with
/// the first spec's flags (read and write when it has none).
pub fn key_access(spec: &CommandSpec, argv: &[Bytes], out: &mut Vec<(usize, KeyFlags)>) {
    let specs = keyspecs::specs(spec.name);
    if !specs.is_empty() && keyspecs::complete(specs) {
        keyspecs::keys_with_flags(specs, argv, out);
        return;
    }
    let flags = specs
        .first()
        .map_or(KeyFlags::RW | KeyFlags::ACCESS | KeyFlags::UPDATE, |s| {
            s.flags
        });
    let mut pos = Vec::new();
    spec.key_positions(argv, &mut pos);
    out.extend(pos.into_iter().map(|p| (p, flags)));
    // Keys the specs find beyond the table's positions (SORT ... STORE).
    let mut extra = Vec::new();
    keyspecs::keys_with_flags(specs, argv, &mut extra);
    for e in extra {
        if !out.iter().any(|(p, _)| *p == e.0) {
            out.push(e);
        }
    }
}

/// Protected mode's idea of a local client: exactly 127.0.0.1 or ::1, as
/// Redis compares the peer's address text (127.0.0.2 is not local).
pub fn is_local(ip: std::net::IpAddr) -> bool {
    match ip {
        std::net::IpAddr::V4(v4) => v4 == std::net::Ipv4Addr::LOCALHOST,
        std::net::IpAddr::V6(v6) => v6 == std::net::Ipv6Addr::LOCALHOST,
    }
}

/// Random bytes as hex for ACL GENPASS: `bits` rounded up to a multiple of 4.
pub fn genpass(bits: u64) -> String {
    use rand::Rng;
    let chars = bits.div_ceil(4) as usize;
    let mut rng = rand::rng();
    (0..chars)
        .map(|_| char::from(b"0123456789abcdef"[rng.random_range(0..16)]))
        .collect()
}

/// The error Redis gives when both `user` lines and an `aclfile` are configured.
const BOTH_AT_START: &str = "Configuring Redis with users defined in redis.conf and at the same setting an ACL file path is invalid. This setup is very likely to lead to configuration errors and security holes, please define either an ACL file or declare users directly in your redis.conf, but not both.";

/// Sets up the users at start: `requirepass` for the default user, then
/// the config's `user` lines, or the `aclfile`.
pub fn load_at_start(acl: &Acl, cfg: &ferrite_config::Config) -> std::io::Result<()> {
    let invalid = |m: String| std::io::Error::new(std::io::ErrorKind::InvalidInput, m);
    acl.start_config(cfg);
    if let Some(p) = &cfg.requirepass {
        let mut st = acl.default.state.write().unwrap_or_else(|e| e.into_inner());
        st.nopass = false;
        st.passwords = vec![sha256(p)];
    }
    *acl.requirepass.lock().unwrap_or_else(|e| e.into_inner()) = cfg.requirepass.clone();
    acl.epoch_seen.store(0, Ordering::Release);
    if !cfg.users.is_empty() && !cfg.aclfile.is_empty() {
        return Err(invalid(BOTH_AT_START.to_string()));
    }
    let mut seen: Vec<&[u8]> = Vec::new();
    for line in &cfg.users {
        let Some((name, rules)) = line.split_first() else {
            continue;
        };
        if seen.contains(&&name[..]) {
            return Err(invalid(format!(
                "Error in user declaration '{}': Duplicate user found. A user can only be defined once in config files",
                String::from_utf8_lossy(name)
            )));
        }
        seen.push(name);
        // Each line describes its user whole: a user that exists already
        // (the default user) is reset first, so its `~*` adds to nothing,
        // as in Redis (whose reset also sets sanitize-payload).
        let reset = acl
            .user(name)
            .is_some()
            .then(|| Bytes::from_static(b"reset"));
        let rules: Vec<Bytes> = reset
            .into_iter()
            .chain(rules.iter().map(|r| Bytes::copy_from_slice(r)))
            .collect();
        acl.setuser(name, &rules).map_err(|e| {
            invalid(format!(
                "Error in user declaration '{}': {}",
                String::from_utf8_lossy(name),
                e.strip_prefix("ERR ").unwrap_or(&e)
            ))
        })?;
    }
    if !cfg.aclfile.is_empty() {
        load_file(acl, &cfg.aclfile).map_err(|e| match e {
            LoadError::Open(m) | LoadError::Content(m) => invalid(m),
        })?;
    }
    Ok(())
}

/// Why an ACL file could not be loaded.
#[derive(Debug)]
pub enum LoadError {
    /// The file could not be read (Redis's text, complete).
    Open(String),
    /// A line is wrong; nothing changed (Redis's text, without the warning
    /// ACL LOAD appends).
    Content(String),
}

/// Reads an ACL file and replaces every user with its users (all or
/// nothing). Returns the users that were replaced.
pub fn load_file(acl: &Acl, path: &str) -> Result<Vec<Arc<User>>, LoadError> {
    let text = std::fs::read(path).map_err(|e| {
        // std appends " (os error N)" to strerror's text; Redis does not.
        let why = e.to_string();
        let why = why
            .split(" (os error")
            .next()
            .unwrap_or_default()
            .to_string();
        LoadError::Open(format!("Error loading ACLs, opening file '{path}': {why}"))
    })?;
    let mut lines = Vec::new();
    for (n, line) in text.split(|&c| c == b'\n').enumerate() {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let words: Vec<Bytes> = line
            .split(|&c| c == b' ' || c == b'\t')
            .filter(|w| !w.is_empty())
            .map(Bytes::copy_from_slice)
            .collect();
        let Some(first) = words.first() else {
            continue;
        };
        if &first[..] != b"user" || words.len() < 2 {
            return Err(LoadError::Content(format!(
                "{path}:{} should start with user keyword followed by the username",
                n + 1
            )));
        }
        lines.push((n + 1, words.get(1..).unwrap_or_default().to_vec()));
    }
    acl.replace_all(path, &lines).map_err(LoadError::Content)
}

/// Writes every user's ACL LIST line to the ACL file (through a temporary
/// file renamed over it, so a failure leaves the old file whole).
pub fn save_file(acl: &Acl, path: &str) -> Result<(), String> {
    let mut text = String::new();
    for name in acl.names() {
        if let Some(u) = acl.user(&name) {
            text.push_str(&acl.describe(&u));
            text.push('\n');
        }
    }
    let tmp = format!("{path}.tmp-{}", std::process::id());
    std::fs::write(&tmp, text.as_bytes())
        .and_then(|()| std::fs::rename(&tmp, path))
        .map_err(|e| format!("Error saving ACLs: {e}"))
}

/// The client's CLIENT LIST line for ACL LOG, showing `cmd` (the command
/// refused, as Redis shows it) in `cmd=`.
pub fn client_line_for(info: &crate::clients::ClientInfo, cmd: &'static str) -> Vec<u8> {
    if let Ok(mut last) = info.last_cmd.lock() {
        *last = cmd;
    }
    client_line(info)
}

/// The client's CLIENT LIST line, for ACL LOG.
pub fn client_line(info: &crate::clients::ClientInfo) -> Vec<u8> {
    let mut out = Vec::new();
    info.render(&mut out, None);
    while out.last().is_some_and(|c| *c == b'\n' || *c == b'\r') {
        out.pop();
    }
    out
}

/// The dispatcher's check for a user that is not open: NOPERM (and an
/// ACL LOG entry) when the command, one of its keys or channels is denied.
/// `at_exec`: the command was queued and EXEC runs it now.
pub fn gate(
    shared: &crate::server::Shared,
    conn: &crate::conn::Conn,
    spec: &'static CommandSpec,
    argv: &[Bytes],
    context: &'static str,
    at_exec: bool,
) -> Result<(), ferrite_commands::CmdError> {
    let acl = &shared.acl;
    acl.check(&conn.user, spec, argv).map_err(|d| {
        let cmd = if at_exec { "exec" } else { spec.name };
        let line = client_line_for(&conn.info, cmd);
        acl.log_denied(d, context, &conn.user, spec, argv, line);
        ferrite_commands::CmdError::other(if at_exec {
            d.exec_changed()
        } else {
            d.noperm(spec)
        })
    })
}

/// The dispatcher's hook: true when the command was refused (its NOPERM
/// reply written, a transaction being queued marked failed).
pub fn refused(
    s: &mut crate::conn::Session,
    conn: &mut crate::conn::Conn,
    spec: &'static CommandSpec,
    argv: &[Bytes],
    skip: bool,
) -> bool {
    let context = if conn.multi.is_some() {
        "multi"
    } else {
        "toplevel"
    };
    let Err(e) = gate(&s.worker.shared, conn, spec, argv, context, false) else {
        return false;
    };
    if let Some(m) = conn.multi.as_mut() {
        m.failed = true;
    }
    let start = s.out_len();
    s.error(conn, &e);
    s.end_local(start, skip);
    true
}

/// The check of a command a script calls, for the client `client`: the
/// error `redis.call` raises when it is denied (logged with context `lua`).
pub fn script_gate(
    shared: &crate::server::Shared,
    client: u64,
    spec: &'static CommandSpec,
    argv: &[Bytes],
) -> Result<(), &'static str> {
    if !shared.acl.any_restricted() {
        return Ok(());
    }
    let Some(user) = client_user(shared, client) else {
        return Ok(());
    };
    if user.is_open() {
        return Ok(());
    }
    shared.acl.check(&user, spec, argv).map_err(|d| {
        let line = shared
            .clients
            .get(client)
            .map(|c| client_line(&c))
            .unwrap_or_default();
        shared.acl.log_denied(d, "lua", &user, spec, argv, line);
        d.script_error()
    })
}

/// The user of a client (`default` unless it authenticated as another).
pub fn client_user(shared: &crate::server::Shared, client: u64) -> Option<Arc<User>> {
    let info = shared.clients.get(client)?;
    let user = info.user.lock().ok()?.clone();
    Some(user.unwrap_or_else(|| shared.acl.default_user()))
}

/// `redis.acl_check_cmd`: None for an unknown command, else whether the
/// script's user may run it (keys included).
pub fn script_acl_check(
    shared: &crate::server::Shared,
    client: u64,
    argv: &[Bytes],
) -> Option<bool> {
    let spec = match crate::conn::lookup(&shared.table, argv) {
        Ok(s) => s,
        Err(e) => {
            // Arity is not the question here: the row still answers.
            if !matches!(e.kind, ferrite_commands::ErrorKind::WrongArity(_)) {
                return None;
            }
            let name = argv.first()?;
            let top = shared.table.get(name)?;
            match argv.get(1) {
                Some(sub) if !top.subcommands.is_empty() => top.subcommand(sub)?,
                _ => top,
            }
        }
    };
    if !shared.acl.any_restricted() {
        return Some(true);
    }
    let Some(user) = client_user(shared, client) else {
        return Some(true);
    };
    Some(user.is_open() || shared.acl.check(&user, spec, argv).is_ok())
}

/// Marks a client as authenticated as `user`.
pub fn login(conn: &mut crate::conn::Conn, user: Arc<User>) {
    conn.authed = true;
    if let Ok(mut u) = conn.info.user.lock() {
        *u = (user.name != b"default").then(|| user.clone());
    }
    conn.user = user;
}

/// After a user changed: disconnects its clients subscribed to a channel
/// or pattern its rules no longer allow, as Redis does.
pub fn kill_unpermitted_subscribers(shared: &crate::server::Shared, user: &Arc<User>) {
    for c in shared.clients.snapshot() {
        let mine = match c.user.lock().ok().and_then(|u| u.clone()) {
            Some(u) => Arc::ptr_eq(&u, user),
            None => Arc::ptr_eq(&shared.acl.default, user),
        };
        let subscribed = c.sub.load(Ordering::Relaxed) > 0
            || c.psub.load(Ordering::Relaxed) > 0
            || c.ssub.load(Ordering::Relaxed) > 0;
        if !mine || !subscribed {
            continue;
        }
        let [channels, patterns, shard] = shared.pubsub.subscriptions_of(c.id);
        let st = user.read();
        let allowed = |name: &Bytes, pattern: bool| {
            std::iter::once(&st.root)
                .chain(st.selectors.iter())
                .any(|sel| {
                    sel.allchannels
                        || sel.channels.iter().any(|p| {
                            if pattern {
                                p[..] == name[..]
                            } else {
                                string_match(p, name, false)
                            }
                        })
                })
        };
        let ok = channels
            .iter()
            .chain(shard.iter())
            .all(|n| allowed(n, false))
            && patterns.iter().all(|n| allowed(n, true));
        drop(st);
        if !ok {
            c.kill();
        }
    }
}

/// Disconnects the clients authenticated as one of `users`.
pub fn kill_clients_of(shared: &crate::server::Shared, users: &[Arc<User>]) {
    if users.is_empty() {
        return;
    }
    for c in shared.clients.snapshot() {
        let mine = c
            .user
            .lock()
            .ok()
            .and_then(|u| u.clone())
            .is_some_and(|u| users.iter().any(|x| Arc::ptr_eq(x, &u)));
        if mine {
            c.kill();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(s: &[&str]) -> Vec<Bytes> {
        s.iter()
            .map(|a| Bytes::copy_from_slice(a.as_bytes()))
            .collect()
    }

    #[test]
    fn only_127_0_0_1_and_ipv6_loopback_are_local() {
        let local = |s: &str| is_local(s.parse().expect("ip"));
        assert!(local("127.0.0.1"));
        assert!(local("::1"));
        assert!(!local("127.0.0.2"));
        assert!(!local("10.0.0.1"));
        assert!(!local("::ffff:127.0.0.1"));
    }

    #[test]
    fn sha256_matches_known_digests() {
        assert_eq!(
            hex(&sha256(b"")),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        // Redis's hash of "p1", from ACL LIST.
        assert_eq!(
            hex(&sha256(b"p1")),
            "f64551fcd6f07823cb87971cfb91446425da18286b3ab1ef935e0cbd7a69f68a"
        );
        let long = vec![b'a'; 1000];
        assert_eq!(hex(&sha256(&long)).len(), 64);
    }

    #[test]
    fn rules_render_as_redis_does() {
        let t = ferrite_commands::table();
        let acl = Acl::new(&t);
        acl.setuser(
            b"u",
            &b(&["on", ">p1", "~k*", "%R~r*", "&ch", "+config|get"]),
        )
        .expect("setuser");
        let u = acl.user(b"u").expect("user");
        assert_eq!(
            acl.describe(&u),
            "user u on #f64551fcd6f07823cb87971cfb91446425da18286b3ab1ef935e0cbd7a69f68a ~k* %R~r* resetchannels &ch -@all +config|get"
        );
        acl.setuser(b"v", &b(&["-@all", "+@string", "+get"]))
            .expect("v");
        let v = acl.user(b"v").expect("v");
        assert_eq!(acl.describe(&v), "user v off resetchannels -@all +@string");
        assert_eq!(
            acl.describe(&acl.default_user()),
            "user default on nopass ~* &* +@all"
        );
        assert!(acl.default_user().is_open());
        assert!(!u.is_open());
    }

    #[test]
    fn bad_rules_change_nothing() {
        let t = ferrite_commands::table();
        let acl = Acl::new(&t);
        let e = acl.setuser(b"x", &b(&["on", "+nosuch"])).unwrap_err();
        assert_eq!(
            e,
            "ERR Error in ACL SETUSER modifier '+nosuch': Unknown command or category name in ACL"
        );
        assert!(acl.user(b"x").is_none());
        let e = acl.setuser(b"x", &b(&["(+get", "~x"])).unwrap_err();
        assert_eq!(
            e,
            "ERR Unmatched parenthesis in acl selector starting at '(+get'."
        );
        acl.setuser(b"x", &b(&["(+get", "~x)"])).expect("selector");
        assert_eq!(
            acl.describe(&acl.user(b"x").expect("x")),
            "user x off resetchannels -@all (~x resetchannels -@all +get)"
        );
    }

    #[test]
    fn checks_commands_keys_and_channels() {
        let t = ferrite_commands::table();
        let acl = Acl::new(&t);
        acl.setuser(b"n", &b(&["on", "~k*", "%R~r*", "&ch*", "+@all", "-set"]))
            .expect("n");
        let u = acl.user(b"n").expect("n");
        let run = |args: &[&str]| {
            let argv = b(args);
            let spec = crate::conn::lookup(&t, &argv).expect("lookup");
            acl.check(&u, spec, &argv)
        };
        assert_eq!(run(&["set", "k", "v"]), Err(Denied::Command));
        assert_eq!(run(&["get", "k1"]), Ok(()));
        assert_eq!(run(&["get", "r1"]), Ok(()));
        assert_eq!(run(&["get", "x"]), Err(Denied::Key(1)));
        assert_eq!(
            run(&["lmove", "r1", "k1", "left", "left"]),
            Err(Denied::Key(1))
        );
        assert_eq!(run(&["lmove", "k1", "k2", "left", "left"]), Ok(()));
        assert_eq!(run(&["publish", "ch1", "m"]), Ok(()));
        assert_eq!(run(&["publish", "zz", "m"]), Err(Denied::Channel(1)));
        assert_eq!(run(&["psubscribe", "ch*"]), Ok(()));
        assert_eq!(run(&["psubscribe", "ch1"]), Err(Denied::Channel(1)));
    }

    #[test]
    fn passwords_and_log_merging() {
        let t = ferrite_commands::table();
        let acl = Acl::new(&t);
        acl.setuser(b"a", &b(&["on", ">pw"])).expect("a");
        assert!(acl.authenticate(b"a", b"pw").is_some());
        assert!(acl.authenticate(b"a", b"no").is_none());
        assert!(acl.authenticate(b"nosuch", b"pw").is_none());
        acl.setuser(b"a", &b(&["off"])).expect("off");
        assert!(acl.authenticate(b"a", b"pw").is_none());
        for _ in 0..3 {
            acl.log_event("auth", "toplevel", b"auth".to_vec(), b"a".to_vec(), vec![]);
        }
        acl.log_event("key", "toplevel", b"k".to_vec(), b"a".to_vec(), vec![]);
        let log = acl.log_entries(10);
        assert_eq!(log.len(), 2);
        assert_eq!(log[0].reason, "key");
        assert_eq!(log[1].count, 3);
    }

    #[test]
    fn user_lines_and_an_aclfile_together_refuse_to_start() {
        let t = ferrite_commands::table();
        let acl = Acl::new(&t);
        let mut cfg = ferrite_config::Config {
            users: vec![vec![b"a".to_vec(), b"on".to_vec()]],
            aclfile: "/nonexistent/users.acl".into(),
            ..Default::default()
        };
        let e = load_at_start(&acl, &cfg).unwrap_err();
        assert_eq!(e.to_string(), BOTH_AT_START);
        // A bad rule in a user line is a start error too.
        cfg.aclfile.clear();
        cfg.users = vec![vec![b"a".to_vec(), b"+nosuch".to_vec()]];
        let e = load_at_start(&acl, &cfg).unwrap_err();
        assert!(e
            .to_string()
            .contains("Unknown command or category name in ACL"));
        // requirepass, then user lines, in that order: the default user's
        // line describes it whole (Redis 7.0.15: `pw` no longer works).
        cfg.users = vec![vec![
            b"default".to_vec(),
            b"on".to_vec(),
            b">other".to_vec(),
        ]];
        cfg.requirepass = Some(b"pw".to_vec());
        load_at_start(&acl, &cfg).expect("start");
        assert!(acl.authenticate(b"default", b"pw").is_none());
        assert!(acl.authenticate(b"default", b"other").is_some());
        // A user defined twice is a start error, as in Redis.
        let acl = Acl::new(&t);
        cfg.requirepass = None;
        cfg.users = vec![
            vec![b"u".to_vec(), b"on".to_vec()],
            vec![b"u".to_vec(), b"+get".to_vec()],
        ];
        let e = load_at_start(&acl, &cfg).unwrap_err();
        assert!(e.to_string().contains("Duplicate user found"), "{e}");
        // The default user's line starts from a reset user: `~*` is new.
        let acl = Acl::new(&t);
        cfg.users = vec![["default", "on", "nopass", "~*", "&*", "+@all"]
            .iter()
            .map(|w| w.as_bytes().to_vec())
            .collect()];
        load_at_start(&acl, &cfg).expect("default line");
        assert!(acl.authenticate(b"default", b"anything").is_some());
    }

    /// A TCP connection to 127.0.0.1:`port` from the source address `src`
    /// (std cannot choose the source address before connecting).
    fn connect_from(src: std::net::Ipv4Addr, port: u16) -> std::net::TcpStream {
        use std::os::fd::FromRawFd;
        let sin = |ip: std::net::Ipv4Addr, port: u16| libc::sockaddr_in {
            sin_family: libc::AF_INET as libc::sa_family_t,
            sin_port: port.to_be(),
            sin_addr: libc::in_addr {
                s_addr: u32::from(ip).to_be(),
            },
            sin_zero: [0; 8],
        };
        let len = std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
        let local = sin(src, 0);
        let remote = sin(std::net::Ipv4Addr::LOCALHOST, port);
        // SAFETY: a fresh socket, owned by the TcpStream made from it before
        // anything can fail; both sockaddr structs outlive the calls.
        unsafe {
            let fd = libc::socket(libc::AF_INET, libc::SOCK_STREAM, 0);
            assert!(fd >= 0);
            let stream = std::net::TcpStream::from_raw_fd(fd);
            assert_eq!(
                libc::bind(fd, (&local as *const libc::sockaddr_in).cast(), len),
                0
            );
            assert_eq!(
                libc::connect(fd, (&remote as *const libc::sockaddr_in).cast(), len),
                0
            );
            stream
        }
    }

    fn ping_from(src: [u8; 4], port: u16) -> Vec<u8> {
        use std::io::{Read, Write};
        let mut s = connect_from(src.into(), port);
        s.set_read_timeout(Some(std::time::Duration::from_secs(2)))
            .expect("timeout");
        s.write_all(b"PING\r\n").expect("write");
        let mut out = Vec::new();
        let mut buf = [0u8; 4096];
        while let Ok(n) = s.read(&mut buf) {
            if n == 0 {
                break;
            }
            out.extend_from_slice(&buf[..n]);
            if out.ends_with(b"\r\n") {
                break;
            }
        }
        out
    }

    /// On Linux all of 127/8 reaches the loopback interface, so a client
    /// bound to 127.0.0.2 is "remote" to protected mode as Redis 7.0 sees it
    /// (redis-server 7.0.15 answered -DENIED to such a client, and let it in
    /// once the default user had a password, even with the user off before).
    #[test]
    fn protected_mode_end_to_end_from_127_0_0_2() {
        let args: Vec<String> = ["--port", "0", "--bind", "127.0.0.1", "--shards", "1"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let cfg = ferrite_config::Config::from_args(&args).expect("config");
        let server = crate::server::start(cfg, None).expect("start");
        let port = server.port();
        assert_eq!(ping_from([127, 0, 0, 1], port), b"+PONG\r\n");
        let denied = ping_from([127, 0, 0, 2], port);
        assert!(denied.starts_with(b"-DENIED Redis is running in protected mode"));
        let acl = &server.shared.acl;
        acl.setuser(b"default", &b(&["off"])).expect("off");
        assert!(ping_from([127, 0, 0, 2], port).starts_with(b"-DENIED"));
        acl.setuser(b"default", &b(&["on", ">pw"])).expect("pw");
        assert_eq!(
            ping_from([127, 0, 0, 2], port),
            b"-NOAUTH Authentication required.\r\n"
        );
        server.shutdown();
    }

    proptest::proptest! {
        /// Any rules, well formed or not, are applied or refused with an
        /// error; a refused ACL SETUSER changes nothing.
        #[test]
        fn any_rules_are_applied_or_refused(rules in proptest::collection::vec(
            proptest::string::string_regex("[-+~%&#<>!()@|*a-zA-Z0-9 RW]{0,12}").unwrap(), 0..6)) {
            let t = ferrite_commands::table();
            let acl = Acl::new(&t);
            let rules: Vec<Bytes> = rules.into_iter().map(Bytes::from).collect();
            let before = acl.user(b"u").map(|u| acl.describe(&u));
            match acl.setuser(b"u", &rules) {
                Ok(()) => {
                    let u = acl.user(b"u").expect("created");
                    let _ = acl.describe(&u);
                }
                Err(e) => {
                    proptest::prop_assert!(e.starts_with("ERR "), "{}", e);
                    proptest::prop_assert_eq!(acl.user(b"u").map(|u| acl.describe(&u)), before);
                }
            }
        }
    }
}
