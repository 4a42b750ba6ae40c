//! Tests of the VM with a host that answers a few commands.

use bytes::{Bytes, BytesMut};

use crate::{sha1_hex, Host, ScriptVm};

/// Answers PING, ECHO and INCR of a counter; everything else is unknown.
#[derive(Default)]
struct FakeHost {
    counter: i64,
    logged: Vec<(u8, Vec<u8>)>,
    stop_after: Option<u32>,
}

impl Host for FakeHost {
    fn call(&mut self, argv: &[Bytes], _resp3: bool, out: &mut BytesMut) {
        match argv[0].to_ascii_lowercase().as_slice() {
            b"ping" => out.extend_from_slice(b"+PONG\r\n"),
            b"echo" => {
                out.extend_from_slice(format!("${}\r\n", argv[1].len()).as_bytes());
                out.extend_from_slice(&argv[1]);
                out.extend_from_slice(b"\r\n");
            }
            b"incr" => {
                self.counter += 1;
                out.extend_from_slice(format!(":{}\r\n", self.counter).as_bytes());
            }
            _ => out.extend_from_slice(b"-ERR Unknown Redis command called from script\r\n"),
        }
    }

    fn log(&mut self, level: u8, msg: &[u8]) {
        self.logged.push((level, msg.to_vec()));
    }

    fn check(&mut self) -> Option<String> {
        match &mut self.stop_after {
            Some(0) => Some("Script killed by user with SCRIPT KILL...".into()),
            Some(n) => {
                *n -= 1;
                None
            }
            None => None,
        }
    }

    fn acl_check(&mut self, _argv: &[Bytes]) -> Option<bool> {
        Some(true)
    }
}

fn eval(
    vm: &mut ScriptVm,
    host: &mut FakeHost,
    body: &str,
    keys: &[&str],
    args: &[&str],
) -> String {
    let sha = sha1_hex(body.as_bytes());
    let mut out = BytesMut::new();
    match vm.load(&sha, body.as_bytes()) {
        Ok(()) => {
            let keys: Vec<Bytes> = keys.iter().map(|k| Bytes::from(k.to_string())).collect();
            let args: Vec<Bytes> = args.iter().map(|k| Bytes::from(k.to_string())).collect();
            vm.run(&sha, &keys, &args, host, false, &mut out);
        }
        Err(e) => out.extend_from_slice(format!("-{e}\r\n").as_bytes()),
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[test]
fn sha1_of_the_empty_script() {
    assert_eq!(&sha1_hex(b""), b"da39a3ee5e6b4b0d3255bfef95601890afd80709");
}

#[test]
fn replies_convert_both_ways() {
    let mut vm = ScriptVm::new().unwrap();
    let mut h = FakeHost::default();
    assert_eq!(
        eval(&mut vm, &mut h, "return redis.call('ping')", &[], &[]),
        "+PONG\r\n"
    );
    assert_eq!(
        eval(
            &mut vm,
            &mut h,
            "return redis.call('incr', KEYS[1])",
            &["k"],
            &[]
        ),
        ":1\r\n"
    );
    assert_eq!(
        eval(&mut vm, &mut h, "return {1, 'a', {2}, nil, 3}", &[], &[]),
        "*3\r\n:1\r\n$1\r\na\r\n*1\r\n:2\r\n"
    );
    assert_eq!(eval(&mut vm, &mut h, "return 3.99", &[], &[]), ":3\r\n");
    assert_eq!(
        eval(
            &mut vm,
            &mut h,
            "return {ARGV[2], #KEYS}",
            &["a"],
            &["x", "y"]
        ),
        "*2\r\n$1\r\ny\r\n:1\r\n"
    );
    assert_eq!(
        eval(&mut vm, &mut h, "return redis.call('echo', 1.5)", &[], &[]),
        "$3\r\n1.5\r\n"
    );
}

#[test]
fn errors_carry_the_script_line() {
    let mut vm = ScriptVm::new().unwrap();
    let mut h = FakeHost::default();
    let body = "local x = 1\nreturn redis.call('nosuch')";
    let sha = String::from_utf8(sha1_hex(body.as_bytes()).to_vec()).unwrap();
    assert_eq!(
        eval(&mut vm, &mut h, body, &[], &[]),
        format!(
            "-ERR Unknown Redis command called from script script: {sha}, on @user_script:2.\r\n"
        )
    );
    let body = "error('boom')";
    let sha = String::from_utf8(sha1_hex(body.as_bytes()).to_vec()).unwrap();
    assert_eq!(
        eval(&mut vm, &mut h, body, &[], &[]),
        format!("-ERR user_script:1: boom script: {sha}, on @user_script:1.\r\n")
    );
    assert_eq!(
        eval(
            &mut vm,
            &mut h,
            "local ok, e = pcall(redis.call, 'nosuch') return e",
            &[],
            &[]
        ),
        "$44\r\nERR Unknown Redis command called from script\r\n"
    );
}

#[test]
fn globals_are_read_only() {
    let mut vm = ScriptVm::new().unwrap();
    let mut h = FakeHost::default();
    let r = eval(&mut vm, &mut h, "x = 1", &[], &[]);
    assert!(
        r.starts_with("-ERR user_script:1: Attempt to modify a readonly table script: "),
        "{r}"
    );
    let r = eval(&mut vm, &mut h, "return os", &[], &[]);
    assert!(
        r.starts_with(
            "-ERR user_script:1: Script attempted to access nonexistent global variable 'os'"
        ),
        "{r}"
    );
    let r = eval(&mut vm, &mut h, "rawset(_G, 'x', 1)", &[], &[]);
    assert!(
        r.starts_with("-ERR Attempt to modify a readonly table script: "),
        "{r}"
    );
    let r = eval(
        &mut vm,
        &mut h,
        "local n = 0 for k in pairs(_G) do n = n + 1 end return n",
        &[],
        &[],
    );
    assert!(r.starts_with(':') && r != ":0\r\n", "{r}");
    assert_eq!(
        eval(&mut vm, &mut h, "return ('x'):upper()", &[], &[]),
        "$1\r\nX\r\n"
    );
}

#[test]
fn a_stopped_script_cannot_swallow_the_stop() {
    let mut vm = ScriptVm::new().unwrap();
    let mut h = FakeHost {
        stop_after: Some(2),
        ..Default::default()
    };
    let r = eval(
        &mut vm,
        &mut h,
        "while true do pcall(function() while true do end end) end",
        &[],
        &[],
    );
    assert!(
        r.starts_with("-ERR Script killed by user with SCRIPT KILL..."),
        "{r}"
    );
    h.stop_after = None;
    assert_eq!(eval(&mut vm, &mut h, "return 1", &[], &[]), ":1\r\n");
}

#[test]
fn math_random_keeps_lua_ranges() {
    let mut vm = ScriptVm::new().unwrap();
    let mut h = FakeHost::default();
    let r = eval(&mut vm, &mut h, "for i = 1, 1000 do local a, b, c = math.random(), math.random(6), math.random(-3, 3) if a < 0 or a >= 1 or b < 1 or b > 6 or b % 1 ~= 0 or c < -3 or c > 3 then return 0 end end return 1", &[], &[]);
    assert_eq!(r, ":1\r\n");
    let r = eval(&mut vm, &mut h, "return math.random(0)", &[], &[]);
    assert!(
        r.contains("bad argument #1 to 'random' (interval is empty)"),
        "{r}"
    );
}

#[test]
fn a_stopped_script_reports_its_line() {
    let mut vm = ScriptVm::new().unwrap();
    let mut h = FakeHost {
        stop_after: Some(1),
        ..Default::default()
    };
    let body = "local i = 0\nwhile true do i = i + 1 end";
    let r = eval(&mut vm, &mut h, body, &[], &[]);
    let sha = String::from_utf8(sha1_hex(body.as_bytes()).to_vec()).unwrap();
    assert_eq!(
        r,
        format!(
            "-ERR Script killed by user with SCRIPT KILL... script: {sha}, on @user_script:2.\r\n"
        )
    );
}

proptest::proptest! {
    /// What the fuzz target `lua_decoders` runs, on stable: the libraries
    /// that parse script-supplied bytes never panic on arbitrary input.
    #[test]
    fn decoders_survive_arbitrary_bytes(data in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..400)) {
        let lua = mlua::Lua::new();
        lua.set_memory_limit(64 << 20).unwrap();
        crate::libs::open_all(&lua).unwrap();
        let f: mlua::Function = lua
            .load("return function(s) pcall(cjson.decode, s) pcall(cmsgpack.unpack, s) \
                   local n = math.floor(#s / 2) pcall(struct.unpack, s:sub(1, n), s:sub(n + 1)) end")
            .eval()
            .unwrap();
        let s = lua.create_string(&data).unwrap();
        proptest::prop_assert!(f.call::<()>(s).is_ok());
    }
}
