//! The memory backend (`src/memory.rs` over `src/policy/`), driven by an
//! arbitrary sequence of operations across namespaces that look alike once
//! joined with ':' (`a` + `b:c` vs `a:b` + `c`), with a manual clock.
//!
//! After every step: `MemoryBackend::validate()` (queues, byte accounting,
//! expiry index, key index) and both bounds. Against a small model:
//!
//! - a read returns nothing or exactly the value last written under that
//!   namespace and key (never another key's or namespace's value, never an
//!   expired one), and once a key is gone it stays gone until written again;
//! - writes fail exactly when the key is invalid or the entry alone is larger
//!   than `max_bytes` (and then change nothing);
//! - `clear_all` on one namespace removes its keys and no other's;
//! - on `CheckAccounting`, after a purge, the entries and bytes in `stats()`
//!   are exactly those of the model's live keys (key + value + 96 bytes).
#![no_main]

use std::collections::HashMap;
use std::time::Duration;

use arbitrary::Arbitrary;
use edgecache::time::ManualClock;
use edgecache::{CacheBackend, MemoryBackend};
use edgecache_fuzz::block_on;
use libfuzzer_sys::fuzz_target;

const NAMESPACES: [Option<&str>; 6] = [
    None,
    Some("a"),
    Some("a:b"),
    Some("b"),
    Some("1:a"),
    Some("0"),
];
const MAX_KEY_BYTES: usize = 16 * 1024;
const OVERHEAD: u64 = 96;

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Ns {
    Root,
    A,
    AB,
    B,
    OneA,
    Zero,
}

#[derive(Arbitrary, Debug, Clone)]
enum Key {
    BColonC,
    C,
    K,
    /// Looks like an encoded key of namespace `a`.
    Encoded,
    ColonK,
    AtLimit,
    OverLimit,
    Empty,
    Other(String),
}

impl Key {
    fn render(&self) -> String {
        match self {
            Key::BColonC => "b:c".into(),
            Key::C => "c".into(),
            Key::K => "k".into(),
            Key::Encoded => "1:a:b:c".into(),
            Key::ColonK => ":k".into(),
            Key::AtLimit => "x".repeat(MAX_KEY_BYTES),
            Key::OverLimit => "x".repeat(MAX_KEY_BYTES + 1),
            Key::Empty => String::new(),
            Key::Other(s) => s.clone(),
        }
    }
}

#[derive(Arbitrary, Debug)]
enum Op {
    Set {
        ns: Ns,
        key: Key,
        len: u16,
        ttl_ms: Option<u16>,
    },
    Get {
        ns: Ns,
        key: Key,
    },
    Exists {
        ns: Ns,
        key: Key,
    },
    Delete {
        ns: Ns,
        key: Key,
    },
    MGet {
        ns: Ns,
        keys: Vec<Key>,
    },
    MDelete {
        ns: Ns,
        keys: Vec<Key>,
    },
    ClearAll {
        ns: Ns,
    },
    Advance {
        ms: u16,
    },
    PurgeExpired,
    CheckAccounting,
}

#[derive(Arbitrary, Debug)]
struct Input {
    max_entries: u8,
    max_bytes: u16,
    default_ttl_ms: Option<u16>,
    ops: Vec<Op>,
}

#[derive(Debug)]
struct Live {
    value: Vec<u8>,
    expires_at: Option<u64>,
    weight: u64,
}

/// The stored key's length as documented: "{len}:{namespace}:{key}".
fn stored_len(ns: Option<&str>, key: &str) -> u64 {
    let ns = ns.unwrap_or("");
    (ns.len().to_string().len() + 1 + ns.len() + 1 + key.len()) as u64
}

fn valid(key: &str) -> bool {
    !key.is_empty() && key.len() <= MAX_KEY_BYTES
}

struct Harness {
    handles: Vec<MemoryBackend>,
    clock: ManualClock,
    model: HashMap<(usize, String), Live>,
    max_entries: u64,
    max_bytes: u64,
}

impl Harness {
    /// Checks a read of (ns, key) that returned `got`, updating the model.
    fn observe(&mut self, ns: usize, key: &str, got: Option<&[u8]>) {
        let now = edgecache::time::Clock::now_ms(&self.clock);
        let entry = (ns, key.to_owned());
        match (got, self.model.get(&entry)) {
            (None, _) => {
                self.model.remove(&entry);
            }
            (Some(v), Some(live)) => {
                assert_eq!(v, live.value.as_slice(), "wrong value for {entry:?}");
                assert!(
                    live.expires_at.is_none_or(|at| at > now),
                    "expired value returned for {entry:?}"
                );
            }
            (Some(v), None) => panic!(
                "{entry:?} returned {} bytes it never held (or no longer holds)",
                v.len()
            ),
        }
    }

    fn check(&self) {
        let h = &self.handles[0];
        h.validate()
            .unwrap_or_else(|e| panic!("invariant broken: {e}"));
        let s = h.stats();
        assert!(
            s.entries <= self.max_entries,
            "{} entries > {}",
            s.entries,
            self.max_entries
        );
        assert!(
            s.bytes <= self.max_bytes,
            "{} bytes > {}",
            s.bytes,
            self.max_bytes
        );
    }
}

fuzz_target!(|input: Input| {
    let clock = ManualClock::new(1_700_000_000_000);
    let max_entries = u64::from(input.max_entries.max(1));
    let max_bytes = 97 + u64::from(input.max_bytes) * 4;
    let mut builder = MemoryBackend::builder()
        .max_entries(max_entries)
        .max_bytes(max_bytes)
        .clock(clock.clone());
    let default_ttl = input.default_ttl_ms.map(|ms| u64::from(ms) + 1);
    if let Some(ms) = default_ttl {
        builder = builder.default_ttl(Duration::from_millis(ms));
    }
    let root = builder.build().expect("valid bounds");
    let handles: Vec<MemoryBackend> = NAMESPACES
        .iter()
        .map(|ns| match ns {
            None => root.clone(),
            Some(ns) => root.with_namespace(ns).expect("valid namespace"),
        })
        .collect();
    let mut h = Harness {
        handles,
        clock,
        model: HashMap::new(),
        max_entries,
        max_bytes,
    };
    let mut counter: u64 = 0;

    for op in input.ops.iter().take(512) {
        match op {
            Op::Set {
                ns,
                key,
                len,
                ttl_ms,
            } => {
                let (ns, key) = (*ns as usize, key.render());
                counter += 1;
                let mut value = vec![0xA5; usize::from(*len % 2048)];
                for (b, c) in value.iter_mut().zip(counter.to_le_bytes()) {
                    *b = c;
                }
                let ttl = ttl_ms.map(|ms| u64::from(ms) + 1).or(default_ttl);
                let weight = stored_len(NAMESPACES[ns], &key) + value.len() as u64 + OVERHEAD;
                let now = edgecache::time::Clock::now_ms(&h.clock);
                let result = block_on(h.handles[ns].set(
                    &key,
                    value.clone(),
                    ttl_ms.map(|ms| Duration::from_millis(u64::from(ms) + 1)),
                ));
                match result {
                    Ok(()) => {
                        assert!(
                            valid(&key) && weight <= max_bytes,
                            "accepted {weight} bytes / key {}",
                            key.len()
                        );
                        let expires_at = ttl.map(|t| now + t);
                        h.model.insert(
                            (ns, key),
                            Live {
                                value,
                                expires_at,
                                weight,
                            },
                        );
                    }
                    Err(e) => {
                        let expected = if !valid(&key) {
                            "EDGECACHE_INVALID_KEY"
                        } else {
                            "EDGECACHE_VALUE_TOO_LARGE"
                        };
                        assert_eq!(e.code(), expected, "{e}");
                        assert!(!valid(&key) || weight > max_bytes);
                    }
                }
            }
            Op::Get { ns, key } => {
                let (ns, key) = (*ns as usize, key.render());
                match block_on(h.handles[ns].get(&key)) {
                    Ok(got) => h.observe(ns, &key, got.as_deref()),
                    Err(e) => assert!(!valid(&key) && e.code() == "EDGECACHE_INVALID_KEY", "{e}"),
                }
            }
            Op::Exists { ns, key } => {
                let (ns, key) = (*ns as usize, key.render());
                match block_on(h.handles[ns].exists(&key)) {
                    Ok(true) => {
                        let now = edgecache::time::Clock::now_ms(&h.clock);
                        let live = h
                            .model
                            .get(&(ns, key.clone()))
                            .expect("exists() for a key never held");
                        assert!(live.expires_at.is_none_or(|at| at > now));
                    }
                    Ok(false) => {
                        h.model.remove(&(ns, key));
                    }
                    Err(e) => assert!(!valid(&key) && e.code() == "EDGECACHE_INVALID_KEY", "{e}"),
                }
            }
            Op::Delete { ns, key } => {
                let (ns, key) = (*ns as usize, key.render());
                match block_on(h.handles[ns].delete(&key)) {
                    Ok(()) => {
                        h.model.remove(&(ns, key.clone()));
                        assert_eq!(block_on(h.handles[ns].get(&key)), Ok(None));
                    }
                    Err(e) => assert!(!valid(&key) && e.code() == "EDGECACHE_INVALID_KEY", "{e}"),
                }
            }
            Op::MGet { ns, keys } => {
                let ns = *ns as usize;
                let keys: Vec<String> = keys.iter().take(8).map(Key::render).collect();
                let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
                match block_on(h.handles[ns].mget(&refs)) {
                    Ok(values) => {
                        assert_eq!(values.len(), keys.len());
                        for (key, got) in keys.iter().zip(values) {
                            h.observe(ns, key, got.as_deref());
                        }
                    }
                    Err(e) => assert!(
                        keys.iter().any(|k| !valid(k)) && e.code() == "EDGECACHE_INVALID_KEY",
                        "{e}"
                    ),
                }
            }
            Op::MDelete { ns, keys } => {
                let ns = *ns as usize;
                let keys: Vec<String> = keys.iter().take(8).map(Key::render).collect();
                let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
                match block_on(h.handles[ns].mdelete(&refs)) {
                    Ok(()) => {
                        for key in keys {
                            h.model.remove(&(ns, key));
                        }
                    }
                    Err(e) => assert!(
                        keys.iter().any(|k| !valid(k)) && e.code() == "EDGECACHE_INVALID_KEY",
                        "{e}"
                    ),
                }
            }
            Op::ClearAll { ns } => {
                let ns = *ns as usize;
                block_on(h.handles[ns].clear_all()).expect("clear_all");
                h.model.retain(|(n, _), _| *n != ns);
            }
            Op::Advance { ms } => h.clock.advance(Duration::from_millis(u64::from(*ms))),
            Op::PurgeExpired => {
                h.handles[0].purge_expired();
            }
            Op::CheckAccounting => {
                h.handles[0].purge_expired();
                let now = edgecache::time::Clock::now_ms(&h.clock);
                h.model
                    .retain(|_, live| live.expires_at.is_none_or(|at| at > now));
                let keys: Vec<(usize, String)> = h.model.keys().cloned().collect();
                let (mut entries, mut bytes) = (0u64, 0u64);
                for (ns, key) in keys {
                    if block_on(h.handles[ns].exists(&key)) == Ok(true) {
                        entries += 1;
                        bytes += h.model[&(ns, key)].weight;
                    } else {
                        h.model.remove(&(ns, key));
                    }
                }
                let s = h.handles[0].stats();
                // stats().bytes counts keys (as stored) and values; the
                // byte bound, like the model's weights, adds OVERHEAD each.
                assert_eq!(
                    (s.entries, s.bytes + s.entries * OVERHEAD),
                    (entries, bytes),
                    "stats disagree with the live keys"
                );
            }
        }
        h.check();
    }
});
