//! Bodies of the fuzz targets (`crates/protocol/fuzz`), shared with the
//! property tests so that they also run on stable toolchains.
//!
//! Not part of the API: these functions panic, on purpose, when an
//! invariant of the decoder or the parser is broken.

use bytes::{Bytes, BytesMut};

use crate::{
    parse_reply, reply_len, Limits, ProtocolError, RequestDecoder, Writer, INLINE_MAX_SIZE,
};

/// One decoder outcome: a request's arguments, or the error that ended the
/// stream.
type Event = Result<Vec<Bytes>, ProtocolError>;

/// Decodes everything `buf` holds, checking the per-call invariants.
fn drain(
    dec: &mut RequestDecoder,
    buf: &mut BytesMut,
    limits: &Limits,
    events: &mut Vec<Event>,
) -> bool {
    loop {
        let before = buf.len();
        let snapshot = (before <= 256).then(|| buf.to_vec());
        let mut out = Vec::new();
        match dec.decode(buf, limits, &mut out) {
            Ok(Some(n)) => {
                assert_eq!(n, out.len(), "argc matches the arguments appended");
                let consumed = before - buf.len();
                assert!(consumed > 0, "a request consumes bytes");
                let arg_bytes: usize = out.iter().map(Bytes::len).sum();
                assert!(arg_bytes <= consumed, "arguments fit in their request");
                events.push(Ok(out));
            }
            Ok(None) => {
                assert!(out.is_empty(), "nothing appended while incomplete");
                assert_eq!(buf.len(), before, "nothing consumed while incomplete");
                if let Some(snapshot) = snapshot {
                    assert_eq!(&buf[..], &snapshot[..], "buffer left intact");
                }
                return true;
            }
            Err(e) => {
                events.push(Err(e));
                return false;
            }
        }
    }
}

/// Fuzz body for the request decoder. The first byte picks the limits and
/// the chunking; the rest is the stream. Checks that decoding never panics,
/// and that feeding the stream in chunks gives the same requests and errors
/// as feeding it whole (when no 64 KiB line limit can be involved).
pub fn request_decoder(data: &[u8]) {
    let Some((&config, input)) = data.split_first() else {
        return;
    };
    let limits = Limits {
        authenticated: config & 1 == 0,
        max_bulk_len: if config & 2 != 0 {
            64
        } else {
            Limits::default().max_bulk_len
        },
        max_multibulk_len: if config & 4 != 0 {
            8
        } else {
            Limits::default().max_multibulk_len
        },
    };

    let mut whole = Vec::new();
    let mut buf = BytesMut::from(input);
    drain(&mut RequestDecoder::new(), &mut buf, &limits, &mut whole);

    let mut chunked = Vec::new();
    let mut dec = RequestDecoder::new();
    let mut buf = BytesMut::new();
    let mut rng = u32::from(config) | 0x9e37_0000;
    let mut rest = input;
    while !rest.is_empty() {
        rng ^= rng << 13;
        rng ^= rng >> 17;
        rng ^= rng << 5;
        let max = if config & 8 != 0 { 3 } else { 64 };
        let n = (rng as usize % max + 1).min(rest.len());
        let (chunk, tail) = rest.split_at(n);
        rest = tail;
        buf.extend_from_slice(chunk);
        if !drain(&mut dec, &mut buf, &limits, &mut chunked) {
            break;
        }
    }
    if input.len() <= INLINE_MAX_SIZE {
        assert_eq!(whole, chunked, "chunked decoding differs from whole");
    }
}

/// Fuzz body for the reply parser: `parse_reply` and `reply_len` agree, a
/// parsed frame re-encodes to bytes that parse back to the same encoding,
/// and a cut frame is incomplete.
pub fn reply_parser(data: &[u8]) {
    let parsed = parse_reply(data);
    let len = reply_len(data);
    assert_eq!(
        len,
        parsed
            .as_ref()
            .map(|r| r.as_ref().map(|(_, n)| *n))
            .map_err(Clone::clone),
        "reply_len agrees with parse_reply"
    );
    let Ok(Some((frame, n))) = parsed else {
        return;
    };
    assert!(n > 0 && n <= data.len());
    assert!(
        matches!(parse_reply(data.get(..n - 1).unwrap_or_default()), Ok(None)),
        "a cut frame is incomplete"
    );
    for resp3 in [true, false] {
        let mut first = BytesMut::new();
        frame.encode(&mut Writer::new(&mut first, resp3));
        let again = match parse_reply(&first) {
            Ok(Some((f, m))) if m == first.len() => f,
            other => panic!("re-encoded frame does not parse back: {other:?}"),
        };
        let mut second = BytesMut::new();
        again.encode(&mut Writer::new(&mut second, resp3));
        assert_eq!(first, second, "encoding is stable");
    }
}
