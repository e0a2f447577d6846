//! The wasm32-only checks that depend on the JavaScript engine's Web Crypto,
//! in Chromium (`wasm-pack test --headless --chrome -- --test wasm_browser`):
//! the key index's seed from `crypto.getRandomValues()` and the HashDoS
//! measurement (the same code as in Node, `tests/wasm.rs`).
#![cfg(target_arch = "wasm32")]
// wasm_bindgen_test functions are tests, but clippy does not know them as such.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

#[path = "support/hashdos.rs"]
mod hashdos;

#[wasm_bindgen_test]
async fn keys_crafted_for_a_known_seed_do_not_slow_down_a_seeded_cache() {
    hashdos::keys_crafted_for_a_known_seed_do_not_slow_down_a_seeded_cache().await;
}

#[wasm_bindgen_test]
fn every_cache_draws_its_own_seed() {
    hashdos::every_cache_draws_its_own_seed();
}
