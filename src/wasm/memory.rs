//! The wasm-bindgen surface behind the JavaScript `EdgeCache` class.
//!
//! The hand-written `js/core.js` owns the public API: argument checks,
//! Promises, text/JSON helpers and request coalescing. For the memory cache it
//! also keeps the key index (a JS `Map`) and the values (the caller's
//! `Uint8Array`s), because crossing the boundary with a string or copying a
//! value out of wasm memory costs more than the whole `lru-cache` lookup we
//! compete with. What crosses per call is a few numbers: a `set` passes the
//! key's UTF-8 length and a hash of it (for the ghost queue) instead of the
//! key itself. A hit on an entry that cannot expire crosses nothing: the
//! JavaScript side writes its slot into the core's *hit log* (see
//! [`MemoryCore::hit_log`]) and every later call applies the logged hits
//! before it does anything else, so the engine sees each frequency bump
//! before any decision it could change. Errors from
//! `set` are reported by a negative result and fetched with `takeError()`, so
//! the common path allocates nothing on the JavaScript side. The policy — eviction, expiry, byte accounting,
//! statistics — is the pure [`Engine`], driven from here.

use std::cell::Cell;

use js_sys::Uint32Array;
use wasm_bindgen::prelude::*;

use super::convert::{stats_object, whole};
use super::error::to_js_error;
use crate::error::JsNumber;
use crate::js_constants::REMOVED_SATURATED;
use crate::key::{ttl_from_ms, MAX_KEY_BYTES};
use crate::policy::{Engine, Limits, Lookup, Meta, Removed, Token, ENTRY_OVERHEAD_BYTES};
use crate::time::{expiry_after, js_write_ms};
use crate::Error;

/// Milliseconds since the epoch from a JavaScript `Date.now()`.
fn millis(now: f64) -> u64 {
    if now.is_finite() && now > 0.0 {
        now as u64
    } else {
        0
    }
}

/// Checks a `ttlMs` option; throws an `EDGECACHE_INVALID_OPTIONS` error.
#[wasm_bindgen(js_name = checkTtlMs)]
pub fn check_ttl_ms(ttl_ms: f64) -> Result<(), JsValue> {
    ttl_from_ms(ttl_ms).map(drop).map_err(to_js_error)
}

/// Hits a JavaScript memory cache logs before a hit calls `get` again
/// (applying them): 1 KiB per cache, one call per 256 hits at most.
const HIT_LOG_LEN: usize = 256;

/// The S3-FIFO engine for a JavaScript memory cache. Entries are addressed by
/// slot numbers that index the JavaScript side's key and value arrays.
#[wasm_bindgen]
pub struct MemoryCore {
    engine: Engine<()>,
    /// Slots read by hits not yet applied, written by JavaScript through a
    /// view (`hitLog()`); `Cell`s because they change behind Rust's back
    /// between calls. Boxed once, never reallocated, so the view's address
    /// holds for the core's life.
    hit_log: Box<[Cell<u32>]>,
    default_ttl_ms: Option<f64>,
    removed: Vec<Removed<()>>,
    error: Option<Error>,
}

#[wasm_bindgen]
impl MemoryCore {
    /// A core with the given bounds (`undefined` for the defaults) and
    /// default TTL (`undefined` for none).
    #[wasm_bindgen(constructor)]
    pub fn new(
        max_entries: Option<f64>,
        max_bytes: Option<f64>,
        default_ttl_ms: Option<f64>,
    ) -> Result<MemoryCore, JsValue> {
        let build = || -> Result<MemoryCore, Error> {
            let limits = Limits::new(
                whole("maxEntries", max_entries)?
                    .unwrap_or(u64::from(Limits::DEFAULT.max_entries())),
                whole("maxBytes", max_bytes)?.unwrap_or(Limits::DEFAULT.max_bytes()),
            )?;
            if let Some(ms) = default_ttl_ms {
                ttl_from_ms(ms)?;
            }
            Ok(MemoryCore {
                engine: Engine::new(limits),
                hit_log: (0..HIT_LOG_LEN).map(|_| Cell::new(0)).collect(),
                default_ttl_ms,
                removed: Vec::new(),
                error: None,
            })
        };
        build().map_err(to_js_error)
    }

    /// Records a write of a value of `value_len` bytes under a key of
    /// `key_bytes` UTF-8 bytes whose hash is `hash`, replacing the entry at
    /// `old_slot` if the key had one. Returns the new slot plus 2^32 times the
    /// number of entries removed to make room (read them with `removed(i)`),
    /// or -1 if the write was refused (a bad TTL, a value over the byte bound),
    /// changing nothing; `takeError()` then returns the coded `Error`. The
    /// first `logged` hits of the hit log are applied first, as by every
    /// call that takes `logged`.
    #[allow(clippy::too_many_arguments)]
    pub fn set(
        &mut self,
        logged: u32,
        key_bytes: f64,
        hash: u32,
        value_len: f64,
        ttl_ms: Option<f64>,
        old_slot: Option<u32>,
        now: f64,
    ) -> f64 {
        self.apply_hits(logged);
        match self.set_inner(key_bytes, hash, value_len, ttl_ms, old_slot, millis(now)) {
            Ok(packed) => packed,
            Err(err) => {
                self.error = Some(err);
                -1.0
            }
        }
    }

    /// The error of the last refused `set`, as a coded JavaScript `Error`.
    #[wasm_bindgen(js_name = takeError)]
    pub fn take_error(&mut self) -> JsValue {
        to_js_error(
            self.error
                .take()
                .unwrap_or_else(|| Error::Backend("no error was recorded".into())),
        )
    }

    fn set_inner(
        &mut self,
        key_bytes: f64,
        hash: u32,
        value_len: f64,
        ttl_ms: Option<f64>,
        old_slot: Option<u32>,
        now: u64,
    ) -> Result<f64, Error> {
        // The JavaScript side checks keys; a length outside the limits here
        // would be a bug there, refused rather than trusted.
        if !(key_bytes >= 1.0 && key_bytes <= MAX_KEY_BYTES as f64) {
            return Err(Error::InvalidKey(format!(
                "bad key length {}",
                JsNumber(key_bytes)
            )));
        }
        if !(value_len.is_finite() && value_len >= 0.0) {
            return Err(Error::InvalidValue(format!(
                "bad value length {}",
                JsNumber(value_len)
            )));
        }
        let ttl = ttl_ms
            .or(self.default_ttl_ms)
            .map(ttl_from_ms)
            .transpose()?;
        let meta = Meta {
            hash: u64::from(hash),
            weight: (key_bytes as u64)
                .saturating_add(value_len as u64)
                .saturating_add(ENTRY_OVERHEAD_BYTES),
            // `now` is the caller's Date.now(), which truncates.
            expires_at: expiry_after(js_write_ms(now), ttl),
        };
        self.removed.clear();
        let token = match old_slot.and_then(Token::from_index) {
            // Replacing a slot that has gone (expired) is a plain insert.
            Some(old) => {
                self.engine
                    .replace(old, meta, (), now, &mut self.removed)?
                    .0
            }
            None => self.engine.insert(meta, (), now, &mut self.removed)?,
        };
        let removed = (self.removed.len() as u32).min(REMOVED_SATURATED);
        Ok(f64::from(removed) * 4_294_967_296.0 + f64::from(token.index()))
    }

    /// The slot of the `i`-th entry removed by the last `set`.
    pub fn removed(&self, i: u32) -> u32 {
        self.removed
            .get(i as usize)
            .map_or(u32::MAX, |r| r.token.index())
    }

    /// How many entries the last `set` removed.
    #[wasm_bindgen(js_name = removedCount)]
    pub fn removed_count(&self) -> u32 {
        self.removed.len() as u32
    }

    /// A view of the hit log, in wasm memory: JavaScript writes the slot of
    /// each hit on an entry without expiry there (from index 0) instead of
    /// calling `get`, and passes how many it wrote (`logged`) to the next
    /// call, which applies them first. The view goes empty when wasm memory
    /// grows (any call may grow it); ask again then: the log itself never
    /// moves.
    #[wasm_bindgen(js_name = hitLog)]
    pub fn hit_log(&self) -> Uint32Array {
        // The view covers `hit_log` exactly: a boxed slice that is never
        // reallocated and lives as long as this core, which the JavaScript
        // side holds as long as it holds the view. JavaScript writes through
        // it only between calls (wasm32 has one thread), and Rust reads the
        // slots through `Cell`, which allows that. (Built from the memory's
        // buffer, not with `Uint32Array::view`, which needs `unsafe`.)
        let memory: js_sys::WebAssembly::Memory = wasm_bindgen::memory().unchecked_into();
        Uint32Array::new_with_byte_offset_and_length(
            &memory.buffer(),
            self.hit_log.as_ptr() as u32,
            self.hit_log.len() as u32,
        )
    }

    /// Reads `slot`: true on a hit (counted, frequency bumped); false if it
    /// expired, in which case it is gone and the caller forgets the key.
    pub fn get(&mut self, logged: u32, slot: u32, now: f64) -> bool {
        self.apply_hits(logged);
        match Token::from_index(slot) {
            Some(t) => matches!(self.engine.get(t, millis(now)), Lookup::Hit(_)),
            None => {
                self.engine.record_miss();
                false
            }
        }
    }

    /// Like `get`, but counts nothing and does not bump the frequency.
    pub fn has(&mut self, logged: u32, slot: u32, now: f64) -> bool {
        self.apply_hits(logged);
        Token::from_index(slot)
            .is_some_and(|t| matches!(self.engine.peek(t, millis(now)), Lookup::Hit(_)))
    }

    /// Removes `slot` (a delete).
    pub fn delete(&mut self, logged: u32, slot: u32) {
        self.apply_hits(logged);
        if let Some(t) = Token::from_index(slot) {
            self.engine.remove(t);
        }
    }

    /// Removes every entry.
    pub fn clear(&mut self, logged: u32) {
        self.apply_hits(logged);
        self.engine.clear();
    }

    /// `{ hits, misses, inserts, evictions, expirations, entries, bytes }`;
    /// `bytes` counts keys (UTF-8) and values, not the per-entry overhead
    /// the byte bound adds. (Misses the JavaScript side answers from its key
    /// index are counted there.)
    pub fn stats(&mut self, logged: u32) -> JsValue {
        self.apply_hits(logged);
        let stats = self.engine.stats();
        stats_object(crate::Stats {
            bytes: stats
                .bytes
                .saturating_sub(stats.entries.saturating_mul(ENTRY_OVERHEAD_BYTES)),
            ..stats
        })
    }
}

impl MemoryCore {
    /// Counts a hit and bumps the frequency of each of the first `n` slots
    /// in the hit log, in the order they were read. JavaScript logs only
    /// entries without expiry, while no entry has one, and applies the log
    /// before any call that could remove an entry, so each logged slot
    /// still holds the entry that was read. Reading at time 0 expires
    /// nothing either way (an expiry is at least 1 ms after the epoch). A
    /// slot that is not live (a bug on the JavaScript side) counts a miss,
    /// as `get` would; nothing panics.
    fn apply_hits(&mut self, n: u32) {
        for logged in self.hit_log.iter().take(n as usize) {
            match Token::from_index(logged.get()) {
                Some(t) => {
                    self.engine.get(t, 0);
                }
                None => self.engine.record_miss(),
            }
        }
    }
}
