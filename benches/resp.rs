//! Criterion benchmarks of the RESP decoder and encoder.

use bytes::{Bytes, BytesMut};
use criterion::{black_box, criterion_main, BatchSize, Criterion, Throughput};
use ferrite_protocol::{encode_request, Limits, RequestDecoder, Writer};

/// 16 pipelined `SET key:000123 <16-byte value>` multibulk requests.
fn set_pipeline() -> BytesMut {
    let mut buf = BytesMut::new();
    for i in 0..16 {
        let key = format!("key:{:06}", 123 + i);
        encode_request(&[b"SET", key.as_bytes(), b"0123456789abcdef"], &mut buf);
    }
    buf
}

/// About 1 KiB of inline `SET` requests.
fn inline_stream() -> BytesMut {
    let mut buf = BytesMut::new();
    let mut i = 0;
    while buf.len() < 1024 {
        buf.extend_from_slice(format!("SET key:{:06} 0123456789abcdef\r\n", i).as_bytes());
        i += 1;
    }
    buf
}

/// Decodes every request of `input`, returning how many there were.
fn decode_all(input: BytesMut, out: &mut Vec<Bytes>) -> usize {
    let mut buf = input;
    let mut dec = RequestDecoder::new();
    let limits = Limits::default();
    let mut n = 0;
    while let Ok(Some(_)) = dec.decode(&mut buf, &limits, out) {
        n += 1;
        out.clear();
    }
    n
}

fn decode(c: &mut Criterion) {
    let mut group = c.benchmark_group("decode");
    for (name, input, requests) in [
        ("pipeline_16_set", set_pipeline(), 16),
        ("inline_1k", inline_stream(), 0),
    ] {
        group.throughput(Throughput::Bytes(input.len() as u64));
        let mut out = Vec::with_capacity(8);
        group.bench_function(name, |b| {
            b.iter_batched(
                || input.clone(),
                |buf| {
                    let n = decode_all(black_box(buf), &mut out);
                    assert!(requests == 0 || n == requests);
                    n
                },
                BatchSize::SmallInput,
            )
        });
    }
    group.finish();
}

fn encode(c: &mut Criterion) {
    let mut group = c.benchmark_group("encode");
    let values: Vec<Vec<u8>> = (0..100)
        .map(|i| format!("value:{i:010}").into_bytes())
        .collect();
    group.throughput(Throughput::Elements(values.len() as u64));
    let mut buf = BytesMut::with_capacity(4096);
    group.bench_function("bulk_100", |b| {
        b.iter(|| {
            buf.clear();
            let mut w = Writer::new(&mut buf, false);
            for v in &values {
                w.bulk(black_box(v));
            }
            buf.len()
        })
    });
    group.finish();
}

/// Kept in a private module: `criterion_group!` defines an undocumented
/// `pub fn`.
mod groups {
    use super::{decode, encode};
    criterion::criterion_group!(benches, decode, encode);
}
criterion_main!(groups::benches);
