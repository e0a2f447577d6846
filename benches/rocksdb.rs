//! RocksDbBackend latency against the raw `rocksdb` crate on a database
//! with the same options (write-ahead log on, no fsync per write), in one
//! process, printing markdown.
//!
//! ```sh
//! bash -c 'source scripts/env.sh; cargo bench --bench rocksdb --features rocksdb'
//! cargo bench --bench rocksdb --features rocksdb -- --quick    # smoke run
//! ```
//!
//! 10,000 keys of 100-byte values in a temporary directory. Each round
//! times every operation once over all keys (in a shuffled order), the
//! backend and the raw crate interleaved; a figure is the median over
//! rounds, and the ratio is taken within each round (this machine's two
//! cores are shared with compilers). The raw peer does only the RocksDB
//! call: the backend also checks the key, encodes and checks the record
//! header, and on writes reads and writes the metadata and index keys.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::cast_precision_loss
)]

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    bench::main();
}

#[cfg(target_arch = "wasm32")]
fn main() {}

#[cfg(not(target_arch = "wasm32"))]
mod bench {
    use std::time::{Duration, Instant};

    use edgecache::{CacheBackend, RocksDbBackend};

    const KEYS: usize = 10_000;
    const VALUE: [u8; 100] = [7; 100];

    fn shuffled(n: usize, seed: u64) -> Vec<usize> {
        let mut order: Vec<usize> = (0..n).collect();
        let mut x = seed;
        for i in (1..n).rev() {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            order.swap(i, (x % (i as u64 + 1)) as usize);
        }
        order
    }

    fn ns_per_op(start: Instant, ops: usize) -> f64 {
        start.elapsed().as_nanos() as f64 / ops as f64
    }

    fn median(mut v: Vec<f64>) -> f64 {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    }

    pub fn main() {
        let quick = std::env::args().any(|a| a == "--quick");
        let rounds = if quick { 3 } else { 11 };
        let base =
            std::env::temp_dir().join(format!("edgecache-bench-rocksdb-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&base);

        let cache = RocksDbBackend::builder(base.join("edgecache"))
            .build()
            .unwrap();
        let bounded = RocksDbBackend::builder(base.join("bounded"))
            .max_entries(KEYS as u64)
            .build()
            .unwrap();
        let mut options = rocksdb::Options::default();
        options.create_if_missing(true);
        let raw = rocksdb::DB::open(&options, base.join("raw")).unwrap();

        let keys: Vec<String> = (0..KEYS).map(|i| format!("key:{i:06}")).collect();
        let stored: Vec<String> = keys
            .iter()
            .map(|k| edgecache::key::encode(None, k))
            .collect();
        pollster::block_on(async {
            for (k, s) in keys.iter().zip(&stored) {
                cache
                    .set(k, VALUE.to_vec(), Some(Duration::from_secs(3600)))
                    .await
                    .unwrap();
                raw.put(s, edgecache::record::encode(None, &VALUE)).unwrap();
            }
        });

        // name -> (backend ns/op per round, raw ns/op per round)
        let mut rows: Vec<(&str, Vec<f64>, Vec<f64>)> = vec![
            ("get (hit)", vec![], vec![]),
            ("get (miss)", vec![], vec![]),
            ("set (overwrite, 1 h TTL)", vec![], vec![]),
            ("mget (100 keys), per key", vec![], vec![]),
            ("set (new key, bounded: evicts one)", vec![], vec![]),
        ];
        let mut next_new = 0usize;
        for round in 0..rounds {
            let order = shuffled(KEYS, 0x9E37_79B9 + round as u64);
            pollster::block_on(async {
                // get (hit)
                let t = Instant::now();
                for &i in &order {
                    assert!(cache.get(&keys[i]).await.unwrap().is_some());
                }
                rows[0].1.push(ns_per_op(t, KEYS));
                let t = Instant::now();
                for &i in &order {
                    assert!(raw.get_pinned(&stored[i]).unwrap().is_some());
                }
                rows[0].2.push(ns_per_op(t, KEYS));
                // get (miss)
                let t = Instant::now();
                for &i in &order {
                    assert!(cache.get(&format!("absent:{i}")).await.unwrap().is_none());
                }
                rows[1].1.push(ns_per_op(t, KEYS));
                let t = Instant::now();
                for &i in &order {
                    assert!(raw.get_pinned(format!("0::absent:{i}")).unwrap().is_none());
                }
                rows[1].2.push(ns_per_op(t, KEYS));
                // set (overwrite)
                let t = Instant::now();
                for &i in &order {
                    cache
                        .set(&keys[i], VALUE.to_vec(), Some(Duration::from_secs(3600)))
                        .await
                        .unwrap();
                }
                rows[2].1.push(ns_per_op(t, KEYS));
                let t = Instant::now();
                for &i in &order {
                    raw.put(&stored[i], edgecache::record::encode(Some(1), &VALUE))
                        .unwrap();
                }
                rows[2].2.push(ns_per_op(t, KEYS));
                // mget
                let t = Instant::now();
                for chunk in order.chunks(100) {
                    let batch: Vec<&str> = chunk.iter().map(|&i| keys[i].as_str()).collect();
                    assert_eq!(cache.mget(&batch).await.unwrap().len(), batch.len());
                }
                rows[3].1.push(ns_per_op(t, KEYS));
                let t = Instant::now();
                for chunk in order.chunks(100) {
                    let batch: Vec<&str> = chunk.iter().map(|&i| stored[i].as_str()).collect();
                    assert_eq!(raw.multi_get(&batch).len(), batch.len());
                }
                rows[3].2.push(ns_per_op(t, KEYS));
                // bounded inserts (the store is full after the first round)
                let t = Instant::now();
                for _ in 0..KEYS {
                    bounded
                        .set(&format!("new:{next_new}"), VALUE.to_vec(), None)
                        .await
                        .unwrap();
                    next_new += 1;
                }
                rows[4].1.push(ns_per_op(t, KEYS));
            });
        }
        bounded.validate().unwrap();

        println!("## RocksDbBackend vs raw rocksdb ({KEYS} keys, 100-byte values, median of {rounds} rounds)\n");
        println!("| operation | RocksDbBackend | raw rocksdb | ratio |");
        println!("|---|---|---|---|");
        for (name, ours, theirs) in rows {
            if theirs.is_empty() {
                println!("| {name} | {:.0} ns | — | — |", median(ours));
            } else {
                let ratios = ours.iter().zip(&theirs).map(|(a, b)| a / b).collect();
                println!(
                    "| {name} | {:.0} ns | {:.0} ns | {:.2}x |",
                    median(ours),
                    median(theirs),
                    median(ratios)
                );
            }
        }
        drop((cache, bounded, raw));
        let _ = std::fs::remove_dir_all(&base);
    }
}
