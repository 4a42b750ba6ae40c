//! Criterion benchmarks of the packed list (`ListValue`): pushes and pops at
//! both ends, reads by index near the ends and in the middle, and a full
//! walk, with a `VecDeque<Vec<u8>>` beside it as the unpacked baseline.

use std::collections::VecDeque;

use criterion::{black_box, criterion_main, BatchSize, Criterion, Throughput};
use ferrite_storage::ListValue;

/// Redis's default `list-max-listpack-size`.
const FILL: i32 = -2;

/// `n` short values like those of a typical queue.
fn values(n: usize) -> Vec<Vec<u8>> {
    (0..n)
        .map(|i| format!("item:{i:08}").into_bytes())
        .collect()
}

fn pushes_and_pops(c: &mut Criterion) {
    let vals = values(1000);
    let mut group = c.benchmark_group("list_ends");
    group.throughput(Throughput::Elements(vals.len() as u64));
    group.bench_function("rpush_1000", |b| {
        b.iter(|| {
            let mut l = ListValue::new();
            for v in &vals {
                l.push_back(v, FILL);
            }
            black_box(l.len())
        })
    });
    group.bench_function("lpush_1000", |b| {
        b.iter(|| {
            let mut l = ListValue::new();
            for v in &vals {
                l.push_front(v, FILL);
            }
            black_box(l.len())
        })
    });
    group.bench_function("vecdeque_push_front_1000", |b| {
        b.iter(|| {
            let mut l: VecDeque<Vec<u8>> = VecDeque::new();
            for v in &vals {
                l.push_front(v.clone());
            }
            black_box(l.len())
        })
    });
    group.bench_function("queue_rpush_lpop_1000", |b| {
        let mut l = ListValue::from_items(&vals[..100], FILL);
        b.iter(|| {
            for v in &vals {
                l.push_back(v, FILL);
                black_box(l.pop_front());
            }
        })
    });
    group.bench_function("lpop_1000", |b| {
        b.iter_batched(
            || ListValue::from_items(&vals, FILL),
            |mut l| {
                while let Some(v) = l.pop_front() {
                    black_box(v);
                }
            },
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

fn reads(c: &mut Criterion) {
    let vals = values(100_000);
    let l = ListValue::from_items(&vals, FILL);
    let mut group = c.benchmark_group("list_reads_100k");
    group.bench_function("lindex_head", |b| b.iter(|| black_box(l.get(3))));
    group.bench_function("lindex_tail", |b| {
        b.iter(|| black_box(l.get(vals.len() - 4)))
    });
    group.bench_function("lindex_middle", |b| {
        b.iter(|| black_box(l.get(vals.len() / 2)))
    });
    group.throughput(Throughput::Elements(vals.len() as u64));
    group.bench_function("lrange_all", |b| {
        b.iter(|| black_box(l.iter().map(<[u8]>::len).sum::<usize>()))
    });
    group.finish();
}

/// Kept in a private module: `criterion_group!` defines an undocumented
/// `pub fn`.
mod groups {
    use super::{pushes_and_pops, reads};
    criterion::criterion_group!(benches, pushes_and_pops, reads);
}
criterion_main!(groups::benches);
