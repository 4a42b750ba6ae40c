//! Differential tests against a real `redis-server` (7.0): inline splitting,
//! protocol errors and double formatting must match it byte for byte.
//!
//! Needs `redis-server` on the PATH (see `ferrite_testkit::Oracle`).

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use bytes::BytesMut;
use ferrite_protocol::{encode_request, parse_reply, Frame, Limits, RequestDecoder, Writer};

/// The testkit's redis-server, with raw exchange helpers.
struct Oracle {
    _server: ferrite_testkit::Oracle,
    port: u16,
}

impl Oracle {
    /// Sends `input` and reads `replies` replies, then (when `closes`) the
    /// end of the connection. Returns the replies and whether it closed.
    fn exchange(&self, input: &[u8], replies: usize, closes: bool) -> (Vec<Frame>, bool) {
        let (frames, closed) = self.exchange_raw(input, replies, closes);
        (frames.into_iter().map(|(f, _)| f).collect(), closed)
    }

    /// Like `exchange`, with the raw bytes of each reply.
    fn exchange_raw(
        &self,
        input: &[u8],
        replies: usize,
        closes: bool,
    ) -> (Vec<(Frame, Vec<u8>)>, bool) {
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).expect("connect to oracle");
        s.set_read_timeout(Some(Duration::from_secs(5))).ok();
        s.write_all(input).expect("send to oracle");
        let mut buf = Vec::new();
        let mut frames = Vec::new();
        let mut chunk = [0u8; 65536];
        loop {
            while let Ok(Some((f, n))) = parse_reply(&buf) {
                frames.push((f, buf.drain(..n).collect()));
            }
            if frames.len() >= replies && !closes {
                return (frames, false);
            }
            match s.read(&mut chunk) {
                Ok(0) => return (frames, true),
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
                Err(e) if e.kind() == ErrorKind::ConnectionReset => return (frames, true),
                Err(e) => panic!("oracle read: {e} after {frames:?}"),
            }
        }
    }
}

fn oracle() -> Option<Oracle> {
    // Panics with installation advice when redis-server is missing.
    let server = ferrite_testkit::Oracle::start();
    let port = server.port;
    Some(Oracle {
        _server: server,
        port,
    })
}

/// xorshift64, so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick(&mut self, alphabet: &[u8]) -> u8 {
        alphabet[self.below(alphabet.len())]
    }
}

/// Decodes `input` whole: the requests, then the error if one ends it.
fn decode(input: &[u8]) -> (Vec<Vec<Vec<u8>>>, Option<String>) {
    let mut buf = BytesMut::from(input);
    let mut dec = RequestDecoder::new();
    let mut reqs = Vec::new();
    loop {
        let mut out = Vec::new();
        match dec.decode(&mut buf, &Limits::default(), &mut out) {
            Ok(Some(_)) => reqs.push(out.iter().map(|b| b.to_vec()).collect()),
            Ok(None) => return (reqs, None),
            Err(e) => return (reqs, Some(e.to_string())),
        }
    }
}

/// Random inline lines, appended to `RPUSH <key> s`, must split as Redis
/// splits them (read back with LRANGE), or fail as it fails.
#[test]
fn inline_splitting_matches_redis() {
    let Some(oracle) = oracle() else { return };
    let alphabet = b"ab x\"''\\ \t\x0b\x0c\r01fFgG\x7f\xff";
    let escapes = b"nrtbaxq\"'\\ ";
    let (mut ok, mut failed) = (0, 0);
    let mut rng = Rng(0x5eed_1234_abcd_ef01);
    for case in 0..1500 {
        let key = format!("ferrite-proto-inline-{case}");
        let mut line = format!("RPUSH {key} s ").into_bytes();
        for _ in 0..rng.below(6) {
            match rng.below(4) {
                0 => (0..rng.below(4)).for_each(|_| line.push(rng.pick(alphabet))),
                1 => line.push(rng.pick(b" \t")),
                quote => {
                    let q = if quote == 2 { b'"' } else { b'\'' };
                    line.push(q);
                    for _ in 0..rng.below(6) {
                        match rng.below(3) {
                            0 => line.extend_from_slice(
                                [&b"\\x4"[..], b"\\xfF", b"\\xg", b"\\'", b"\\\""][rng.below(5)],
                            ),
                            1 => line.extend_from_slice(&[b'\\', rng.pick(escapes)]),
                            _ => line.push(rng.pick(alphabet)),
                        }
                    }
                    line.push(q);
                }
            }
        }
        let mut input = line.clone();
        input.extend_from_slice(b"\r\n");
        let mut lrange = BytesMut::new();
        encode_request(&[b"LRANGE", key.as_bytes(), b"0", b"-1"], &mut lrange);
        input.extend_from_slice(&lrange);
        let mut del = BytesMut::new();
        encode_request(&[b"DEL", key.as_bytes()], &mut del);
        input.extend_from_slice(&del);

        let (reqs, err) = decode(&input);
        let shown = String::from_utf8_lossy(&line);
        match err {
            Some(text) => {
                failed += 1;
                assert!(reqs.is_empty(), "{shown:?}");
                let (frames, closed) = oracle.exchange(&input, 1, true);
                assert!(closed, "{shown:?}: redis kept the connection");
                assert_eq!(
                    frames,
                    vec![Frame::Error(format!("ERR {text}").into_bytes())],
                    "{shown:?}"
                );
            }
            None => {
                ok += 1;
                assert_eq!(reqs.len(), 3, "{shown:?}");
                let (frames, _) = oracle.exchange(&input, 3, false);
                let want: Vec<Frame> = reqs[0][3..]
                    .iter()
                    .map(|a| Frame::Bulk(a.clone()))
                    .collect();
                assert_eq!(
                    frames.get(1),
                    Some(&Frame::Array(
                        std::iter::once(Frame::Bulk(b"s".to_vec()))
                            .chain(want)
                            .collect()
                    )),
                    "{shown:?}"
                );
            }
        }
    }
    // Both outcomes must be well represented.
    assert!(ok > 300 && failed > 300, "{ok} split, {failed} refused");
}

/// Mutated multibulk streams of ECHO requests: the same requests are
/// decoded (checked through ECHO's reply) and the same protocol error, if
/// any, ends the stream. Arguments only use bytes that cannot spell a real
/// command, whatever the mutation.
#[test]
fn multibulk_errors_match_redis() {
    let Some(oracle) = oracle() else { return };
    let data = b"0123456789-$*\r\n \x00";
    let mut rng = Rng(0xdead_beef_0bad_f00d);
    for _ in 0..1500 {
        let mut input = Vec::new();
        for _ in 0..1 + rng.below(3) {
            let arg: Vec<u8> = (0..rng.below(6)).map(|_| rng.pick(data)).collect();
            let mut req = BytesMut::new();
            encode_request(&[b"ECHO", &arg], &mut req);
            input.extend_from_slice(&req);
        }
        for _ in 0..rng.below(3) {
            let at = rng.below(input.len() + 1);
            let byte = rng.pick(data);
            match rng.below(3) {
                0 if at < input.len() => input[at] = byte,
                1 => input.insert(at, byte),
                _ if at < input.len() => {
                    input.remove(at);
                }
                _ => {}
            }
        }
        let (reqs, err) = decode(&input);
        let replies = reqs.iter().filter(|r| !r.is_empty()).count();
        let shown = String::from_utf8_lossy(&input);
        let (frames, closed) = oracle.exchange(&input, replies, err.is_some());
        let mut frames = frames.into_iter();
        for req in reqs.iter().filter(|r| !r.is_empty()) {
            let reply = frames.next();
            if req.len() == 2 && req[0] == b"ECHO" {
                assert_eq!(reply, Some(Frame::Bulk(req[1].clone())), "{shown:?}");
            } else {
                assert!(matches!(reply, Some(Frame::Error(_))), "{shown:?}");
            }
        }
        if let Some(text) = err {
            assert!(closed, "{shown:?}: redis kept the connection");
            assert_eq!(
                frames.next(),
                Some(Frame::Error(format!("ERR {text}").into_bytes())),
                "{shown:?}"
            );
        }
        assert_eq!(frames.next(), None, "{shown:?}");
    }
}

/// Scores read back with ZSCORE, in RESP2 and RESP3, are formatted as
/// `Writer::double` formats them.
#[test]
fn doubles_match_redis() {
    let Some(oracle) = oracle() else { return };
    let mut rng = Rng(0x0123_4567_89ab_cdef);
    let mut scores: Vec<f64> = vec![
        0.0,
        -0.0,
        0.1,
        1e20,
        1e16,
        1e17,
        1e-5,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::MAX,
        f64::MIN_POSITIVE,
        5e-324,
    ];
    while scores.len() < 400 {
        let d = f64::from_bits(rng.next());
        if d.is_finite() {
            scores.push(d);
        }
        scores.push((rng.next() % 2_000_000) as f64 / 1000.0 - 1000.0);
    }
    for resp3 in [false, true] {
        let mut input = Vec::new();
        if resp3 {
            input.extend_from_slice(b"HELLO 3\r\n");
        }
        for (i, d) in scores.iter().enumerate() {
            let member = format!("m{i}");
            let score = format!("{d:e}");
            for req in [
                &[
                    &b"ZADD"[..],
                    b"ferrite-proto-z",
                    score.as_bytes(),
                    member.as_bytes(),
                ][..],
                &[b"ZSCORE", b"ferrite-proto-z", member.as_bytes()],
                &[b"DEL", b"ferrite-proto-z"],
            ] {
                let mut b = BytesMut::new();
                encode_request(req, &mut b);
                input.extend_from_slice(&b);
            }
        }
        let hello = usize::from(resp3);
        let (frames, _) = oracle.exchange_raw(&input, hello + 3 * scores.len(), false);
        for (i, d) in scores.iter().enumerate() {
            let mut want = BytesMut::new();
            Writer::new(&mut want, resp3).double(*d);
            let got_bytes = &frames[hello + 3 * i + 1].1;
            // Redis stores -0 as 0.
            if *d == 0.0 {
                continue;
            }
            assert_eq!(
                String::from_utf8_lossy(got_bytes),
                String::from_utf8_lossy(&want),
                "score {d:e} resp3={resp3}"
            );
        }
    }
}
