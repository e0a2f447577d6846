//! The hit-ratio traces, generated exactly as `benches/js-memory.mjs`
//! generates them (same PRNG, same arithmetic, same key strings), so the Rust
//! and the JavaScript figures are for the same request sequences. Each trace
//! prints a fingerprint (FNV-1a 32 over its keys) that the JS bench prints too.
//!
//! | trace | what |
//! |---|---|
//! | `zipf-0.8`, `zipf-1.0`, `zipf-1.2` | 100,000 requests, Zipf(s) over 10,000 keys (`item:N`), popularity ranks mapped to keys by a seeded shuffle |
//! | `scan` | `zipf-1.0`'s requests with a scan of 2,000 never-repeated keys (`scan:N`) before every 10,000th request (9 scans) |
//! | `loop` | keys `item:0` .. `item:1249` (1.25 x the 1,000-entry capacity) requested in order, over and over, 100,000 requests |
//! | `sliding` | `zipf-1.0`'s sampling, but the popular keys move: every 10,000 requests the rank -> key mapping shifts by 1,000 keys (a working set whose popularity drifts) |
//! | `one-hit` | a web-like mix: each request is, with probability 1/2, a key never seen before (`once:N`), else Zipf(0.9) over 10,000 keys |
//!
//! `loop` is the looping pattern of Jiang and Zhang's LIRS paper (SIGMETRICS
//! 2002), where a loop longer than the cache makes LRU miss every request. No
//! package on the registries this project can reach ships a real trace (the
//! PyPI `libcachesim` bindings fetch theirs from the network at run time), so
//! no real trace is replayed; see benches/README.md.

/// The seed every trace starts from (as in js-memory.mjs).
pub const SEED: u32 = 0x5eed_cafe;
/// Entries every cache may hold in the hit-ratio runs.
pub const CAPACITY: usize = 1_000;
/// Distinct keys of the Zipf traces.
pub const DISTINCT_KEYS: usize = 10_000;
/// Requests of each trace, scans not counted.
pub const REQUESTS: usize = 100_000;
/// Zipf requests between two scans.
pub const SCAN_EVERY: usize = 10_000;
/// Never-repeated keys per scan (2x the capacity).
pub const SCAN_LENGTH: usize = 2_000;
/// Keys in the loop (1.25x the capacity).
pub const LOOP_LENGTH: usize = CAPACITY * 5 / 4;
/// Requests between two shifts of the sliding trace's popular keys.
pub const SLIDE_EVERY: usize = 10_000;
/// Keys the sliding trace's popularity moves by at each shift.
pub const SLIDE_BY: usize = 1_000;
/// The share of never-repeated keys in the one-hit-wonder trace.
pub const ONE_HIT_SHARE: f64 = 0.5;

/// mulberry32, bit for bit as js-memory.mjs computes it.
pub struct Mulberry32(u32);

impl Mulberry32 {
    /// A generator seeded with `seed`.
    pub fn new(seed: u32) -> Self {
        Self(seed)
    }

    /// The next number in [0, 1).
    pub fn next_f64(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x6d2b_79f5);
        let mut t = self.0;
        t = (t ^ (t >> 15)).wrapping_mul(t | 1);
        t ^= t.wrapping_add((t ^ (t >> 7)).wrapping_mul(t | 61));
        f64::from(t ^ (t >> 14)) / 4_294_967_296.0
    }
}

/// Fisher-Yates from the end, as js-memory.mjs's `shuffle`.
pub fn shuffle<T>(items: &mut [T], random: &mut Mulberry32) {
    for i in (1..items.len()).rev() {
        let j = (random.next_f64() * (i + 1) as f64).floor() as usize;
        items.swap(i, j);
    }
}

/// Zipf(s) over `n` ranks by inverse CDF (binary search), as `zipfSampler`.
pub struct Zipf {
    cdf: Vec<f64>,
}

impl Zipf {
    /// The sampler for `n` ranks with exponent `s`.
    pub fn new(n: usize, s: f64) -> Self {
        let mut cdf = Vec::with_capacity(n);
        let mut sum = 0.0;
        for r in 0..n {
            sum += 1.0 / ((r + 1) as f64).powf(s);
            cdf.push(sum);
        }
        for c in &mut cdf {
            *c /= sum;
        }
        if let Some(last) = cdf.last_mut() {
            *last = 1.0;
        }
        Self { cdf }
    }

    /// A rank, 0 being the most popular.
    pub fn sample(&self, random: &mut Mulberry32) -> usize {
        let u = random.next_f64();
        self.cdf.partition_point(|&c| c < u)
    }
}

/// A request sequence over named keys.
pub struct Trace {
    /// Short name (`zipf-1.0`, `scan`, `loop`).
    pub name: &'static str,
    /// What it is, for the report.
    pub description: String,
    /// Key names; requests refer to them by index.
    pub names: Vec<String>,
    /// The requests.
    pub requests: Vec<u32>,
}

impl Trace {
    /// FNV-1a 32 over the requested keys' bytes, each followed by `\n`.
    pub fn fingerprint(&self) -> u32 {
        let mut h: u32 = 0x811c_9dc5;
        for &id in &self.requests {
            for &b in self.names[id as usize].as_bytes().iter().chain(b"\n") {
                h = (h ^ u32::from(b)).wrapping_mul(0x0100_0193);
            }
        }
        h
    }

    /// Distinct keys requested.
    pub fn distinct(&self) -> usize {
        let mut seen = vec![false; self.names.len()];
        for &id in &self.requests {
            seen[id as usize] = true;
        }
        seen.iter().filter(|&&s| s).count()
    }
}

/// Zipf(s) requests, with scans when `scans` is set (js-memory.mjs's `makeTrace`).
pub fn zipf(name: &'static str, s: f64, scans: bool) -> Trace {
    let mut random = Mulberry32::new(SEED);
    let mut names: Vec<String> = (0..DISTINCT_KEYS).map(|i| format!("item:{i}")).collect();
    shuffle(&mut names, &mut random); // names[rank] is the key of that rank
    let sampler = Zipf::new(DISTINCT_KEYS, s);
    let mut requests = Vec::with_capacity(REQUESTS + if scans { 20_000 } else { 0 });
    for i in 0..REQUESTS {
        if scans && i > 0 && i % SCAN_EVERY == 0 {
            for _ in 0..SCAN_LENGTH {
                requests.push(names.len() as u32);
                names.push(format!("scan:{}", names.len() - DISTINCT_KEYS));
            }
        }
        requests.push(sampler.sample(&mut random) as u32);
    }
    let description = if scans {
        format!(
            "Zipf s = {s:.1} over {DISTINCT_KEYS} keys, {REQUESTS} requests, plus a scan of {SCAN_LENGTH} never-repeated keys every {SCAN_EVERY} requests"
        )
    } else {
        format!("Zipf s = {s:.1} over {DISTINCT_KEYS} keys, {REQUESTS} requests")
    };
    Trace {
        name,
        description,
        names,
        requests,
    }
}

/// The LIRS-style loop.
pub fn looping() -> Trace {
    let names = (0..LOOP_LENGTH).map(|i| format!("item:{i}")).collect();
    let requests = (0..REQUESTS).map(|i| (i % LOOP_LENGTH) as u32).collect();
    Trace {
        name: "loop",
        description: format!(
            "keys 0..{LOOP_LENGTH} in order, repeated ({REQUESTS} requests; a loop 1.25x the capacity, as in the LIRS paper)"
        ),
        names,
        requests,
    }
}

/// Zipf(1.0) whose popular keys drift (js-memory.mjs's `makeSliding`).
pub fn sliding() -> Trace {
    let mut random = Mulberry32::new(SEED);
    let mut names: Vec<String> = (0..DISTINCT_KEYS).map(|i| format!("item:{i}")).collect();
    shuffle(&mut names, &mut random);
    let sampler = Zipf::new(DISTINCT_KEYS, 1.0);
    let requests = (0..REQUESTS)
        .map(|i| {
            let offset = (i / SLIDE_EVERY) * SLIDE_BY;
            ((sampler.sample(&mut random) + offset) % DISTINCT_KEYS) as u32
        })
        .collect();
    Trace {
        name: "sliding",
        description: format!(
            "Zipf s = 1.0 over {DISTINCT_KEYS} keys, {REQUESTS} requests; every {SLIDE_EVERY} requests the popular keys shift by {SLIDE_BY}"
        ),
        names,
        requests,
    }
}

/// Half never-repeated keys, half Zipf(0.9) (js-memory.mjs's `makeOneHit`).
pub fn one_hit_wonders() -> Trace {
    let mut random = Mulberry32::new(SEED);
    let mut names: Vec<String> = (0..DISTINCT_KEYS).map(|i| format!("item:{i}")).collect();
    shuffle(&mut names, &mut random);
    let sampler = Zipf::new(DISTINCT_KEYS, 0.9);
    let mut requests = Vec::with_capacity(REQUESTS);
    for _ in 0..REQUESTS {
        if random.next_f64() < ONE_HIT_SHARE {
            requests.push(names.len() as u32);
            names.push(format!("once:{}", names.len() - DISTINCT_KEYS));
        } else {
            requests.push(sampler.sample(&mut random) as u32);
        }
    }
    Trace {
        name: "one-hit",
        description: format!(
            "{REQUESTS} requests: with probability {ONE_HIT_SHARE} a key never seen before, else Zipf s = 0.9 over {DISTINCT_KEYS} keys"
        ),
        names,
        requests,
    }
}

/// Every trace, in report order.
pub fn all() -> Vec<Trace> {
    vec![
        zipf("zipf-0.8", 0.8, false),
        zipf("zipf-1.0", 1.0, false),
        zipf("zipf-1.2", 1.2, false),
        zipf("scan", 1.0, true),
        looping(),
        sliding(),
        one_hit_wonders(),
    ]
}

/// Belady's optimal hit count with bypass (an upper bound for any policy).
pub fn belady_hits(trace: &Trace, capacity: usize) -> usize {
    use std::collections::BTreeSet;
    let n = trace.requests.len();
    let mut next_use = vec![usize::MAX; n];
    let mut last = vec![usize::MAX; trace.names.len()];
    for i in (0..n).rev() {
        let id = trace.requests[i] as usize;
        next_use[i] = last[id];
        last[id] = i;
    }
    // Resident keys by their next use; `at[id]` is the key's entry.
    let mut resident: BTreeSet<(usize, u32)> = BTreeSet::new();
    let mut at = vec![None; trace.names.len()];
    let mut hits = 0;
    for (i, &id) in trace.requests.iter().enumerate() {
        let next = next_use[i];
        if let Some(old) = at[id as usize].take() {
            hits += 1;
            resident.remove(&(old, id));
        } else if resident.len() >= capacity {
            // Keep the `capacity` keys used soonest: bypass this one if it
            // is used later than every resident key.
            match resident.last().copied() {
                Some((far, victim)) if far > next => {
                    resident.remove(&(far, victim));
                    at[victim as usize] = None;
                }
                _ => continue,
            }
        }
        if next != usize::MAX {
            resident.insert((next, id));
            at[id as usize] = Some(next);
        }
    }
    hits
}
