//! Property test: the memory backend against a simple model.
//!
//! The model is a `HashMap` with expiry times and no bound. The cache may
//! forget more than the model (it evicts), but never returns a value the model
//! does not hold, never returns an expired value, and keeps both bounds and
//! its internal invariants after every step.
#![cfg(not(target_arch = "wasm32"))]

use std::collections::HashMap;
use std::time::Duration;

use edgecache::policy::ENTRY_OVERHEAD_BYTES;
use edgecache::time::{Clock as _, ManualClock};
use edgecache::{CacheBackend, MemoryBackend};
use pollster::block_on;
use proptest::prelude::*;

const MAX_ENTRIES: u64 = 16;
const MAX_BYTES: u64 = 4_096;

#[derive(Debug, Clone)]
enum Op {
    Set {
        ns: usize,
        key: u8,
        len: usize,
        ttl_ms: Option<u64>,
    },
    Get {
        ns: usize,
        key: u8,
    },
    Exists {
        ns: usize,
        key: u8,
    },
    Delete {
        ns: usize,
        key: u8,
    },
    Mget {
        ns: usize,
        keys: Vec<u8>,
    },
    Mdelete {
        ns: usize,
        keys: Vec<u8>,
    },
    Clear {
        ns: usize,
    },
    Advance {
        ms: u64,
    },
}

fn op() -> impl Strategy<Value = Op> {
    let ns = 0..3usize;
    let key = 0..24u8;
    prop_oneof![
        4 => (ns.clone(), key.clone(), prop_oneof![0..200usize, 3_000..5_000usize], prop::option::of((1..20u64).prop_map(|t| t * 100)))
            .prop_map(|(ns, key, len, ttl_ms)| Op::Set { ns, key, len, ttl_ms }),
        4 => (ns.clone(), key.clone()).prop_map(|(ns, key)| Op::Get { ns, key }),
        1 => (ns.clone(), key.clone()).prop_map(|(ns, key)| Op::Exists { ns, key }),
        1 => (ns.clone(), key.clone()).prop_map(|(ns, key)| Op::Delete { ns, key }),
        1 => (ns.clone(), prop::collection::vec(key.clone(), 0..6)).prop_map(|(ns, keys)| Op::Mget { ns, keys }),
        1 => (ns.clone(), prop::collection::vec(key, 0..6)).prop_map(|(ns, keys)| Op::Mdelete { ns, keys }),
        1 => ns.prop_map(|ns| Op::Clear { ns }),
        // Coarse steps so reads often land exactly on an expiry instant.
        2 => (0..15u64).prop_map(|t| Op::Advance { ms: t * 100 }),
    ]
}

/// Model state: (namespace, key) -> (value, absolute expiry).
type Model = HashMap<(usize, String), (Vec<u8>, Option<u64>)>;

fn live(model: &Model, id: &(usize, String), now: u64) -> Option<Vec<u8>> {
    model
        .get(id)
        .filter(|(_, exp)| exp.is_none_or(|at| now < at))
        .map(|(v, _)| v.clone())
}

/// Checks one read against the model, syncing the model when the cache has
/// legitimately forgotten (evicted or expired) the key.
fn check_read(
    model: &mut Model,
    id: (usize, String),
    got: Option<Vec<u8>>,
    now: u64,
) -> Result<(), TestCaseError> {
    let expected = live(model, &id, now);
    match (&got, &expected) {
        (Some(g), Some(e)) => prop_assert_eq!(g, e, "wrong value for {:?}", id),
        (Some(_), None) => prop_assert!(false, "{:?} returned a value the model does not hold", id),
        (None, _) => {
            model.remove(&id);
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn memory_backend_matches_model_and_holds_its_bounds(ops in prop::collection::vec(op(), 1..120)) {
        let clock = ManualClock::new(1_000);
        let root = MemoryBackend::builder()
            .max_entries(MAX_ENTRIES)
            .max_bytes(MAX_BYTES)
            .clock(clock.clone())
            .build()
            .unwrap();
        let handles = [root.clone(), root.with_namespace("a").unwrap(), root.with_namespace("a:b").unwrap()];
        let mut model = Model::new();
        let key_name = |k: u8| format!("k{k}");

        for op in ops {
            let now = || clock.now_ms();
            match op {
                Op::Set { ns, key, len, ttl_ms } => {
                    let value: Vec<u8> = (0..len).map(|i| (i as u8) ^ key).collect();
                    let r = block_on(handles[ns].set(&key_name(key), value.clone(), ttl_ms.map(Duration::from_millis)));
                    let stored_key_len = edgecache::key::encode([None, Some("a"), Some("a:b")][ns], &key_name(key)).len() as u64;
                    if stored_key_len + len as u64 + ENTRY_OVERHEAD_BYTES > MAX_BYTES {
                        prop_assert_eq!(r.unwrap_err().code(), "EDGECACHE_VALUE_TOO_LARGE");
                    } else {
                        r.unwrap();
                        model.insert((ns, key_name(key)), (value, ttl_ms.map(|t| now() + t)));
                    }
                }
                Op::Get { ns, key } => {
                    let got = block_on(handles[ns].get(&key_name(key))).unwrap();
                    check_read(&mut model, (ns, key_name(key)), got, now())?;
                }
                Op::Exists { ns, key } => {
                    let got = block_on(handles[ns].exists(&key_name(key))).unwrap();
                    if got {
                        prop_assert!(live(&model, &(ns, key_name(key)), now()).is_some());
                    } else {
                        model.remove(&(ns, key_name(key)));
                    }
                }
                Op::Delete { ns, key } => {
                    block_on(handles[ns].delete(&key_name(key))).unwrap();
                    model.remove(&(ns, key_name(key)));
                }
                Op::Mget { ns, keys } => {
                    let names: Vec<String> = keys.iter().map(|&k| key_name(k)).collect();
                    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
                    let got = block_on(handles[ns].mget(&refs)).unwrap();
                    prop_assert_eq!(got.len(), names.len());
                    for (name, value) in names.into_iter().zip(got) {
                        check_read(&mut model, (ns, name), value, now())?;
                    }
                }
                Op::Mdelete { ns, keys } => {
                    let names: Vec<String> = keys.iter().map(|&k| key_name(k)).collect();
                    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
                    block_on(handles[ns].mdelete(&refs)).unwrap();
                    for name in names {
                        model.remove(&(ns, name));
                    }
                }
                Op::Clear { ns } => {
                    block_on(handles[ns].clear_all()).unwrap();
                    model.retain(|(n, _), _| *n != ns);
                }
                Op::Advance { ms } => clock.advance(Duration::from_millis(ms)),
            }
            let stats = root.stats();
            prop_assert!(stats.entries <= MAX_ENTRIES, "{} entries", stats.entries);
            prop_assert!(stats.bytes <= MAX_BYTES, "{} bytes", stats.bytes);
            if let Err(violation) = root.validate() {
                prop_assert!(false, "invariant broken: {}", violation);
            }
        }
    }
}
