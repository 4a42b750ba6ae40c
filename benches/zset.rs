//! Criterion benchmarks of the sorted set (`ZSetValue`) at the size
//! redis-benchmark's ZADD builds (100,000 members in a skiplist): score
//! updates as ZADD makes them, rank and score-range reads, and pops.
//! Scores and members come from a fixed-seed generator, so runs compare.

use criterion::{black_box, criterion_main, BatchSize, Criterion};
use ferrite_storage::zset::{ScoreBound, ZSetLimits};
use ferrite_storage::ZSetValue;

const MEMBERS: u64 = 100_000;
const LIMITS: ZSetLimits = ZSetLimits {
    max_entries: 128,
    max_value: 64,
};

/// A small xorshift generator: reproducible, and cheap next to the work.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

fn member(i: u64) -> Vec<u8> {
    format!("element:{i:06}").into_bytes()
}

/// 100,000 members with random integral scores, as `ZADD myzset
/// __rand_int__ element:__rand_int__` leaves them.
fn filled() -> ZSetValue {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut z = ZSetValue::new();
    for i in 0..MEMBERS {
        z.insert(&member(i), (rng.next() % MEMBERS) as f64, LIMITS);
    }
    z
}

fn updates_and_reads(c: &mut Criterion) {
    let mut z = filled();
    let members: Vec<Vec<u8>> = (0..MEMBERS).map(member).collect();
    let mut rng = Rng(42);
    let mut group = c.benchmark_group("zset_100k");
    group.bench_function("zadd_update", |b| {
        b.iter(|| {
            let m = &members[(rng.next() % MEMBERS) as usize];
            let score = (rng.next() % MEMBERS) as f64;
            // ZADD's path: one member lookup, then the skiplist's move.
            black_box(z.update(m, LIMITS, |_| Some(score)))
        })
    });
    group.bench_function("zscore", |b| {
        b.iter(|| black_box(z.score(&members[(rng.next() % MEMBERS) as usize])))
    });
    group.bench_function("zrank", |b| {
        b.iter(|| black_box(z.rank(&members[(rng.next() % MEMBERS) as usize], false)))
    });
    group.bench_function("zrangebyscore_10", |b| {
        b.iter(|| {
            let lo = (rng.next() % MEMBERS) as f64;
            let min = ScoreBound {
                value: lo,
                exclusive: false,
            };
            let max = ScoreBound {
                value: lo + 10.0,
                exclusive: true,
            };
            let r = z.score_range(&min, &max);
            black_box(
                z.iter_range(r, false)
                    .map(|(m, s)| m.len() as f64 + s)
                    .sum::<f64>(),
            )
        })
    });
    group.bench_function("zpopmin_then_zadd", |b| {
        b.iter_batched_ref(
            || (),
            |_| {
                let popped = z.pop(1, false);
                for (m, s) in popped {
                    z.insert(&m, s + MEMBERS as f64, LIMITS);
                }
            },
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

/// Kept in a private module: `criterion_group!` defines an undocumented
/// `pub fn`.
mod groups {
    use super::updates_and_reads;
    criterion::criterion_group!(benches, updates_and_reads);
}
criterion_main!(groups::benches);
