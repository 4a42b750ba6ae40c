//! Conversions between RESP replies and Lua values, by Redis's rules.
//!
//! * A command's reply becomes a Lua value for `redis.call` in
//!   `rawcall.rs` (integers are numbers, bulk strings strings, a null bulk
//!   or null array `false` (RESP2) or `nil` (RESP3), arrays tables, a
//!   status `{ok=...}`, an error `{err=...}`; with `redis.setresp(3)` also
//!   `{map=...}`, `{set=...}`, `{double=...}`, `{big_number=...}`,
//!   `{verbatim_string=...}` and booleans).
//! * A script's result becomes a reply in the client's protocol: numbers
//!   truncated to integers, arrays stopping at the first nil, and the same
//!   tagged tables the other way.

use bytes::BytesMut;
use ferrite_protocol::Writer;
use mlua::{Table, Value};

/// Deepest table nesting converted to a reply; deeper parts become an
/// error reply instead of exhausting the stack.
pub const MAX_REPLY_DEPTH: usize = 1000;

/// A Lua number as Redis turns it into an integer reply: C's truncating
/// cast, where NaN and out-of-range values give `i64::MIN` as on x86-64.
pub fn number_to_int(n: f64) -> i64 {
    if n.is_nan() || !(-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&n) {
        i64::MIN
    } else {
        n as i64
    }
}

/// Writes a script's result (or a value inside it) as a reply.
/// `script_resp3` is the protocol the script chose with `redis.setresp`:
/// it decides how booleans are answered, as in Redis.
pub fn lua_to_reply(v: &Value, out: &mut BytesMut, resp3: bool, script_resp3: bool) {
    write_value(v, &mut Writer::new(out, resp3), script_resp3, 0);
}

fn write_value(v: &Value, w: &mut Writer<'_>, script_resp3: bool, depth: usize) {
    match v {
        Value::String(s) => w.bulk(&s.as_bytes()),
        Value::Boolean(b) => {
            if script_resp3 {
                w.boolean(*b);
            } else if *b {
                w.int(1);
            } else {
                w.null();
            }
        }
        Value::Integer(n) => w.int(*n),
        Value::Number(n) => w.int(number_to_int(*n)),
        Value::Table(t) => {
            if depth >= MAX_REPLY_DEPTH {
                w.error(b"ERR reached lua stack limit");
                return;
            }
            write_table(t, w, script_resp3, depth);
        }
        _ => w.null(),
    }
}

fn write_table(t: &Table, w: &mut Writer<'_>, script_resp3: bool, depth: usize) {
    if let Ok(Value::String(e)) = t.raw_get::<Value>("err") {
        w.error(&e.as_bytes());
        return;
    }
    if let Ok(Value::String(s)) = t.raw_get::<Value>("ok") {
        w.simple(&s.as_bytes());
        return;
    }
    match t.raw_get::<Value>("double") {
        Ok(Value::Number(d)) => {
            w.double(d);
            return;
        }
        Ok(Value::Integer(d)) => {
            w.double(d as f64);
            return;
        }
        _ => {}
    }
    if let Ok(Value::String(s)) = t.raw_get::<Value>("big_number") {
        w.big_number(&s.as_bytes());
        return;
    }
    if let Ok(Value::Table(m)) = t.raw_get::<Value>("map") {
        let pairs: Vec<(Value, Value)> = m.pairs::<Value, Value>().filter_map(Result::ok).collect();
        w.map(pairs.len());
        for (k, v) in &pairs {
            write_value(k, w, script_resp3, depth + 1);
            write_value(v, w, script_resp3, depth + 1);
        }
        return;
    }
    if let Ok(Value::Table(s)) = t.raw_get::<Value>("set") {
        let keys: Vec<Value> = s
            .pairs::<Value, Value>()
            .filter_map(Result::ok)
            .map(|(k, _)| k)
            .collect();
        w.set(keys.len());
        for k in &keys {
            write_value(k, w, script_resp3, depth + 1);
        }
        return;
    }
    if let Ok(Value::Table(vs)) = t.raw_get::<Value>("verbatim_string") {
        let fmt = vs.raw_get::<Value>("format");
        let text = vs.raw_get::<Value>("string");
        if let (Ok(Value::String(f)), Ok(Value::String(s))) = (fmt, text) {
            let f = f.as_bytes();
            let mut code = *b"txt";
            if f.len() == 3 {
                code.copy_from_slice(&f);
            }
            w.verbatim(&code, &s.as_bytes());
            return;
        }
    }
    // An array, up to the first nil.
    let mut n = 0usize;
    while !matches!(t.raw_get::<Value>(n + 1), Ok(Value::Nil) | Err(_)) {
        n += 1;
    }
    w.array(n);
    for i in 1..=n {
        let v = t.raw_get::<Value>(i).unwrap_or(Value::Nil);
        write_value(&v, w, script_resp3, depth + 1);
    }
}

/// A command argument from a Lua value: strings as they are, numbers as
/// Redis formats them (integers plainly, others with `%.17g`). `None` for
/// any other type.
pub fn arg_bytes(v: &Value, out: &mut Vec<u8>) -> bool {
    match v {
        Value::String(s) => {
            out.extend_from_slice(&s.as_bytes());
            true
        }
        Value::Integer(n) => {
            out.extend_from_slice({ *n }.to_string().as_bytes());
            true
        }
        Value::Number(n) => {
            format_number(*n, out);
            true
        }
        _ => false,
    }
}

/// A Lua number as Redis passes it to a command: `%lld` when integral and
/// within range, else `%.17g`.
pub fn format_number(n: f64, out: &mut Vec<u8>) {
    if n.fract() == 0.0 && n.abs() < 9.2e18 {
        out.extend_from_slice((n as i64).to_string().as_bytes());
    } else {
        let mut tmp = [0u8; 32];
        let len = ferrite_protocol::format_double(n, &mut tmp);
        out.extend_from_slice(tmp.get(..len).unwrap_or_default());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_truncate_like_a_c_cast() {
        assert_eq!(number_to_int(3.99), 3);
        assert_eq!(number_to_int(-1.9), -1);
        assert_eq!(number_to_int(1e30), i64::MIN);
        assert_eq!(number_to_int(f64::NAN), i64::MIN);
        assert_eq!(number_to_int(f64::NEG_INFINITY), i64::MIN);
    }

    #[test]
    fn arguments_format_like_redis() {
        let mut v = Vec::new();
        format_number(1.5, &mut v);
        assert_eq!(v, b"1.5");
        v.clear();
        format_number(1e20, &mut v);
        assert_eq!(v, b"1e+20");
        v.clear();
        format_number(0.1, &mut v);
        assert_eq!(v, b"0.10000000000000001");
        v.clear();
        format_number(-7.0, &mut v);
        assert_eq!(v, b"-7");
    }
}
