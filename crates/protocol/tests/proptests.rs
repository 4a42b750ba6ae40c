//! Property tests of the request decoder, the reply writer and the reply
//! parser, and the fuzz target bodies run over random and mutated inputs
//! (so they also run where cargo-fuzz cannot).

use bytes::{Bytes, BytesMut};
use ferrite_protocol::{
    encode_request, fuzzing, parse_reply, reply_len, Frame, Limits, ProtocolError, RequestDecoder,
    Writer,
};
use proptest::prelude::*;

/// One request of a generated stream, with how it is written.
#[derive(Debug, Clone)]
enum Req {
    Multibulk(Vec<Vec<u8>>),
    /// Arguments, quoting choice per argument, separators, `\r\n` or `\n`.
    Inline {
        args: Vec<Vec<u8>>,
        quoting: Vec<u8>,
        seps: Vec<&'static [u8]>,
        crlf: bool,
    },
    /// A request Redis ignores.
    Ignored(&'static [u8]),
}

fn arg() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        3 => proptest::collection::vec(any::<u8>(), 0..24),
        2 => proptest::collection::vec(
            prop_oneof![Just(b'\r'), Just(b'\n'), Just(b'"'), Just(b'\''), Just(b'\\'),
                        Just(b' '), Just(b'*'), Just(b'$'), Just(0u8), Just(b'a')],
            0..12),
        1 => "[a-zA-Z0-9:_-]{1,16}".prop_map(String::into_bytes),
    ]
}

fn req() -> impl Strategy<Value = Req> {
    prop_oneof![
        4 => proptest::collection::vec(arg(), 0..6).prop_map(Req::Multibulk),
        4 => (
            proptest::collection::vec(arg(), 1..6),
            proptest::collection::vec(any::<u8>(), 6),
            proptest::collection::vec(
                prop_oneof![Just(&b" "[..]), Just(&b"\t"[..]), Just(&b"  \t "[..])],
                7
            ),
            any::<bool>(),
        )
            .prop_map(|(args, quoting, seps, crlf)| Req::Inline { args, quoting, seps, crlf }),
        1 => prop_oneof![
            Just(&b"\r\n"[..]),
            Just(&b"\n"[..]),
            Just(&b" \t \r\n"[..]),
            Just(&b"*0\r\n"[..]),
            Just(&b"*-1\r\n"[..]),
            Just(&b"*-3\r\n"[..]),
        ]
        .prop_map(Req::Ignored),
    ]
}

fn is_plain(b: u8) -> bool {
    b.is_ascii_graphic() && !matches!(b, b'"' | b'\'')
}

/// Writes `arg` so that Redis's inline splitting gives it back.
fn quote(arg: &[u8], choice: u8, first: bool, line: &mut Vec<u8>) {
    let plain_ok = !arg.is_empty()
        && arg.iter().all(|&b| is_plain(b))
        && !(first && arg.first() == Some(&b'*'));
    let single_ok = !arg.iter().any(|&b| b == b'\n' || b == 0) && arg.last() != Some(&b'\\');
    match choice % 3 {
        0 if plain_ok => line.extend_from_slice(arg),
        1 if single_ok => {
            line.push(b'\'');
            for &b in arg {
                if b == b'\'' {
                    line.push(b'\\');
                }
                line.push(b);
            }
            line.push(b'\'');
        }
        _ => {
            line.push(b'"');
            for &b in arg {
                match b {
                    b'"' => line.extend_from_slice(b"\\\""),
                    b'\\' => line.extend_from_slice(b"\\\\"),
                    b'\n' => line.extend_from_slice(b"\\n"),
                    b'\r' => line.extend_from_slice(b"\\r"),
                    b'\t' => line.extend_from_slice(b"\\t"),
                    0x20..=0x7e => line.push(b),
                    _ => line.extend_from_slice(format!("\\x{b:02x}").as_bytes()),
                }
            }
            line.push(b'"');
        }
    }
}

/// The bytes of a stream of requests and the arguments each must decode to.
fn encode_stream(reqs: &[Req]) -> (Vec<u8>, Vec<Vec<Vec<u8>>>) {
    let mut bytes = Vec::new();
    let mut expected = Vec::new();
    for r in reqs {
        match r {
            Req::Multibulk(args) => {
                let refs: Vec<&[u8]> = args.iter().map(|a| &a[..]).collect();
                let mut buf = BytesMut::new();
                encode_request(&refs, &mut buf);
                bytes.extend_from_slice(&buf);
                expected.push(args.clone());
            }
            Req::Inline {
                args,
                quoting,
                seps,
                crlf,
            } => {
                for (i, a) in args.iter().enumerate() {
                    if i > 0 {
                        bytes.extend_from_slice(seps[i]);
                    }
                    quote(a, quoting[i], i == 0, &mut bytes);
                }
                bytes.extend_from_slice(if *crlf { b"\r\n" } else { b"\n" });
                expected.push(args.clone());
            }
            Req::Ignored(raw) => {
                bytes.extend_from_slice(raw);
                expected.push(Vec::new());
            }
        }
    }
    (bytes, expected)
}

/// The requests decoded, and the bytes left in the buffer.
type Decoded = (Vec<Vec<Vec<u8>>>, usize);

/// Feeds `stream` cut at `cuts` and collects every decoded request.
fn decode_chunked(stream: &[u8], cuts: &[usize]) -> Result<Decoded, ProtocolError> {
    let mut points: Vec<usize> = cuts.iter().map(|c| c % (stream.len() + 1)).collect();
    points.push(0);
    points.push(stream.len());
    points.sort_unstable();
    let mut dec = RequestDecoder::new();
    let mut buf = BytesMut::new();
    let mut got = Vec::new();
    for w in points.windows(2) {
        buf.extend_from_slice(&stream[w[0]..w[1]]);
        loop {
            let mut out: Vec<Bytes> = Vec::new();
            match dec.decode(&mut buf, &Limits::default(), &mut out)? {
                Some(n) => {
                    assert_eq!(n, out.len());
                    got.push(out.iter().map(|b| b.to_vec()).collect());
                }
                None => break,
            }
        }
    }
    Ok((got, buf.len()))
}

/// A generated reply frame that survives an exact RESP3 roundtrip.
fn frame() -> impl Strategy<Value = Frame> {
    let line = "[ -~]{0,12}".prop_map(String::into_bytes);
    let leaf = prop_oneof![
        line.clone().prop_map(Frame::Simple),
        line.clone().prop_map(Frame::Error),
        any::<i64>().prop_map(Frame::Integer),
        proptest::collection::vec(any::<u8>(), 0..20).prop_map(Frame::Bulk),
        // NullArray is left out: RESP3 writes it as `_`, which reads as Null.
        Just(Frame::Null),
        prop_oneof![
            any::<f64>().prop_filter("nan", |d| !d.is_nan()),
            Just(f64::INFINITY),
            Just(f64::NEG_INFINITY),
            Just(-0.0),
            (-1e6f64..1e6f64),
        ]
        .prop_map(Frame::Double),
        any::<bool>().prop_map(Frame::Boolean),
        "-?[1-9][0-9]{0,40}".prop_map(|s| Frame::BigNumber(s.into_bytes())),
        ("[a-z]{3}", proptest::collection::vec(any::<u8>(), 0..20))
            .prop_map(|(f, t)| Frame::Verbatim(f.into_bytes(), t)),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Frame::Array),
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Frame::Set),
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Frame::Push),
            proptest::collection::vec((inner.clone(), inner.clone()), 0..4).prop_map(Frame::Map),
            (
                proptest::collection::vec((inner.clone(), inner.clone()), 0..3),
                inner
            )
                .prop_map(|(a, d)| Frame::Attribute(a, Box::new(d))),
        ]
    })
}

/// The frame a RESP2 client sees for `f`.
fn downgrade(f: &Frame) -> Frame {
    let all = |v: &[Frame]| v.iter().map(downgrade).collect();
    match f {
        Frame::Array(v) | Frame::Set(v) | Frame::Push(v) => Frame::Array(all(v)),
        Frame::Map(pairs) => Frame::Array(
            pairs
                .iter()
                .flat_map(|(k, v)| [downgrade(k), downgrade(v)])
                .collect(),
        ),
        Frame::Double(d) => {
            let mut b = BytesMut::new();
            Writer::new(&mut b, true).double(*d);
            Frame::Bulk(b[1..b.len() - 2].to_vec())
        }
        Frame::Boolean(b) => Frame::Integer(i64::from(*b)),
        Frame::BigNumber(s) => Frame::Bulk(s.clone()),
        Frame::Verbatim(_, t) => Frame::Bulk(t.clone()),
        Frame::Attribute(_, d) => downgrade(d),
        other => other.clone(),
    }
}

fn encode(f: &Frame, resp3: bool) -> BytesMut {
    let mut b = BytesMut::new();
    f.encode(&mut Writer::new(&mut b, resp3));
    b
}

/// Applies byte edits to `data` (flip, insert, delete) driven by `edits`.
fn mutate(mut data: Vec<u8>, edits: &[(u16, u8, u8)]) -> Vec<u8> {
    for &(at, op, byte) in edits {
        let at = at as usize % (data.len() + 1);
        match op % 3 {
            0 if at < data.len() => data[at] = byte,
            1 => data.insert(at, byte),
            _ if at < data.len() => {
                data.remove(at);
            }
            _ => {}
        }
    }
    data
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Any split of a valid stream of mixed inline and multibulk requests
    /// decodes to the requests that were encoded, and consumes everything.
    #[test]
    fn any_split_decodes_the_same(
        reqs in proptest::collection::vec(req(), 1..12),
        cuts in proptest::collection::vec(any::<usize>(), 0..16),
    ) {
        let (stream, expected) = encode_stream(&reqs);
        let (got, left) = decode_chunked(&stream, &cuts)
            .map_err(|e| TestCaseError::fail(format!("{e} on {:?}", String::from_utf8_lossy(&stream))))?;
        prop_assert_eq!(got, expected);
        prop_assert_eq!(left, 0);
        // Byte by byte too.
        let every: Vec<usize> = (0..stream.len()).collect();
        let (got, left) = decode_chunked(&stream, &every).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(got.len(), reqs.len());
        prop_assert_eq!(left, 0);
    }

    /// `encode_request` then `decode` gives back the arguments.
    #[test]
    fn encode_request_roundtrip(args in proptest::collection::vec(arg(), 0..10)) {
        let refs: Vec<&[u8]> = args.iter().map(|a| &a[..]).collect();
        let mut buf = BytesMut::new();
        encode_request(&refs, &mut buf);
        let mut out = Vec::new();
        let n = RequestDecoder::new().decode(&mut buf, &Limits::default(), &mut out);
        prop_assert_eq!(n, Ok(Some(args.len())));
        prop_assert!(buf.is_empty());
        let got: Vec<Vec<u8>> = out.iter().map(|b| b.to_vec()).collect();
        prop_assert_eq!(got, args);
    }

    /// Writer output parses back to the frame (RESP3) or to its RESP2 shape,
    /// `reply_len` agrees, and any cut of it is incomplete.
    #[test]
    fn writer_output_parses_back(f in frame(), cut in any::<usize>()) {
        let b3 = encode(&f, true);
        prop_assert_eq!(parse_reply(&b3), Ok(Some((f.clone(), b3.len()))));
        prop_assert_eq!(reply_len(&b3), Ok(Some(b3.len())));
        prop_assert_eq!(parse_reply(&b3[..cut % b3.len()]), Ok(None));
        let b2 = encode(&f, false);
        prop_assert_eq!(parse_reply(&b2), Ok(Some((downgrade(&f), b2.len()))));
        prop_assert_eq!(reply_len(&b2[..cut % b2.len()]), Ok(None));
    }

    /// Frames written back to back parse one after the other.
    #[test]
    fn pipelined_replies(frames in proptest::collection::vec(frame(), 1..6)) {
        let mut all = BytesMut::new();
        for f in &frames {
            f.encode(&mut Writer::new(&mut all, true));
        }
        let mut rest = &all[..];
        for f in &frames {
            let parsed = parse_reply(rest);
            let Ok(Some((got, n))) = parsed else {
                return Err(TestCaseError::fail(format!("{parsed:?}")));
            };
            prop_assert_eq!(&got, f);
            rest = &rest[n..];
        }
        prop_assert!(rest.is_empty());
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(20_000))]

    /// The fuzz bodies over random bytes.
    #[test]
    fn fuzz_bodies_on_garbage(data in proptest::collection::vec(any::<u8>(), 0..256)) {
        fuzzing::request_decoder(&data);
        fuzzing::reply_parser(&data);
    }

    /// The fuzz bodies over mutated valid request streams and replies,
    /// which reach deeper than random bytes.
    #[test]
    fn fuzz_bodies_on_mutations(
        config in any::<u8>(),
        reqs in proptest::collection::vec(req(), 1..6),
        f in frame(),
        edits in proptest::collection::vec((any::<u16>(), any::<u8>(), any::<u8>()), 0..4),
    ) {
        let (stream, _) = encode_stream(&reqs);
        let mut input = vec![config];
        input.extend(mutate(stream, &edits));
        fuzzing::request_decoder(&input);
        fuzzing::reply_parser(&mutate(encode(&f, config & 1 == 0).to_vec(), &edits));
    }
}

/// Wrong limits on an otherwise valid stream fail with the expected error
/// whatever the split.
#[test]
fn limits_errors_do_not_depend_on_splits() {
    let mut stream = BytesMut::new();
    encode_request(&[b"SET", b"k", &[b'v'; 20_000]], &mut stream);
    let limits = Limits {
        authenticated: false,
        ..Limits::default()
    };
    for chunk in [1, 2, 3, 7, 64, 4096, stream.len()] {
        let mut dec = RequestDecoder::new();
        let mut buf = BytesMut::new();
        let mut result = Ok(None);
        for piece in stream.chunks(chunk) {
            buf.extend_from_slice(piece);
            result = dec.decode(&mut buf, &limits, &mut Vec::new());
            if result != Ok(None) {
                break;
            }
        }
        assert_eq!(result, Err(ProtocolError::UnauthenticatedBulkLength));
    }
}
