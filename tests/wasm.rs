//! The memory backend and the clock inside a real wasm32 instance
//! (`wasm-pack test --node`): the conformance suite, plus the things that only
//! exist on wasm32 (the `Date.now()` clock, the key hash seeded from `crypto.getRandomValues()`).
#![cfg(target_arch = "wasm32")]
// wasm_bindgen_test functions are tests, but clippy does not know them as such.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::time::Duration;

use edgecache::time::{Clock, DefaultClock, ManualClock};
use edgecache::{conformance, CacheBackend, MemoryBackend};
use wasm_bindgen_test::wasm_bindgen_test;

#[path = "support/hashdos.rs"]
mod hashdos;

#[wasm_bindgen_test]
async fn memory_backend_passes_the_conformance_suite() {
    let clock = ManualClock::new(1_000_000);
    let store = MemoryBackend::builder()
        .max_entries(1_000)
        .clock(clock.clone())
        .build()
        .unwrap();
    conformance::run(
        |ns| match ns {
            Some(ns) => store.with_namespace(ns),
            None => Ok(store.clone()),
        },
        &clock,
    )
    .await
    .unwrap();
    store.validate().unwrap();
}

#[wasm_bindgen_test]
fn the_default_clock_is_date_now() {
    let before = js_sys::Date::now() as u64;
    let now = DefaultClock::default().now_ms();
    let after = js_sys::Date::now() as u64;
    assert!(
        before <= now && now <= after,
        "{before} <= {now} <= {after}"
    );
}

#[wasm_bindgen_test]
async fn the_default_backend_works_with_the_real_clock() {
    let cache = MemoryBackend::new();
    cache
        .set("k", vec![1, 2, 3], Some(Duration::from_secs(60)))
        .await
        .unwrap();
    assert_eq!(cache.get("k").await.unwrap(), Some(vec![1, 2, 3]));
    assert_eq!(cache.stats().entries, 1);
}

#[wasm_bindgen_test]
async fn eviction_holds_the_bounds_on_wasm32() {
    let cache = MemoryBackend::builder()
        .max_entries(50)
        .max_bytes(20_000)
        .build()
        .unwrap();
    for i in 0..2_000u32 {
        cache
            .set(&format!("key-{i}"), vec![0; (i % 700) as usize], None)
            .await
            .unwrap();
        if i % 100 == 0 {
            cache.validate().unwrap();
        }
    }
    let stats = cache.stats();
    assert!(stats.entries <= 50 && stats.bytes <= 20_000, "{stats:?}");
    assert!(stats.evictions > 1_900);
}

#[wasm_bindgen_test]
async fn keys_crafted_for_a_known_seed_do_not_slow_down_a_seeded_cache() {
    hashdos::keys_crafted_for_a_known_seed_do_not_slow_down_a_seeded_cache().await;
}

#[wasm_bindgen_test]
fn every_cache_draws_its_own_seed() {
    hashdos::every_cache_draws_its_own_seed();
}
