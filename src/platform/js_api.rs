//! The wasm-bindgen surface behind the JavaScript `EdgeCache` class.
//!
//! The hand-written `js/core.js` owns the public API: argument checks,
//! Promises, text/JSON helpers and request coalescing. For the memory cache it
//! also keeps the key index (a JS `Map`) and the values (the caller's
//! `Uint8Array`s), because crossing the boundary with a string or copying a
//! value out of wasm memory costs more than the whole `lru-cache` lookup we
//! compete with. What crosses per call is a few numbers: a `get` is one call
//! `get(slot, now) -> bool`; only `set` passes the key (for its UTF-8 size and
//! the ghost queue's hash). The policy — eviction, expiry, byte accounting,
//! statistics — is the pure [`Engine`], driven from here.

use std::hash::{BuildHasher, RandomState};

use js_sys::{Object, Reflect};
use wasm_bindgen::prelude::*;

use crate::key::{check_key, ttl_from_ms};
use crate::policy::{Engine, Limits, Lookup, Meta, Removed, Stats, Token, ENTRY_OVERHEAD_BYTES};
use crate::time::expiry_after;
use crate::Error;

/// `set` packs the number of removed entries above the slot (2^32). Counts at
/// or over this saturate and are read with `removedCount()`.
const REMOVED_SATURATED: u32 = (1 << 21) - 1;

/// Converts the crate error into a JavaScript `Error` with a stable `code`.
pub(crate) fn to_js_error(err: Error) -> JsValue {
    let js = js_sys::Error::new(&err.to_string());
    js.set_name("EdgeCacheError");
    // Setting a property on a fresh Error object cannot fail.
    let _ = Reflect::set(
        &js,
        &JsValue::from_str("code"),
        &JsValue::from_str(err.code()),
    );
    js.into()
}

/// Converts an optional JavaScript number into a positive whole count.
fn count_from_js(name: &str, value: Option<f64>, default: u64) -> Result<u64, Error> {
    match value {
        None => Ok(default),
        Some(v)
            if v.is_finite() && v >= 1.0 && v.fract() == 0.0 && v <= 9_007_199_254_740_991.0 =>
        {
            Ok(v as u64)
        }
        Some(v) => Err(Error::InvalidOptions(format!(
            "{name} must be a positive whole number, got {v}"
        ))),
    }
}

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

/// The S3-FIFO engine for a JavaScript memory cache. Entries are addressed by
/// slot numbers that index the JavaScript side's key and value arrays.
#[wasm_bindgen]
pub struct MemoryCore {
    engine: Engine<()>,
    hasher: RandomState,
    default_ttl_ms: Option<f64>,
    removed: Vec<Removed<()>>,
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
                count_from_js(
                    "maxEntries",
                    max_entries,
                    u64::from(Limits::DEFAULT.max_entries()),
                )?,
                count_from_js("maxBytes", max_bytes, Limits::DEFAULT.max_bytes())?,
            )?;
            if let Some(ms) = default_ttl_ms {
                ttl_from_ms(ms)?;
            }
            Ok(MemoryCore {
                engine: Engine::new(limits),
                hasher: RandomState::new(),
                default_ttl_ms,
                removed: Vec::new(),
            })
        };
        build().map_err(to_js_error)
    }

    /// Records a write of `value_len` bytes under `key`, replacing the entry
    /// at `old_slot` if the key had one. Returns the new slot plus 2^32 times
    /// the number of entries removed to make room (read them with
    /// `removed(i)`). Throws, changing nothing, on a bad key or TTL or a value
    /// over the byte bound.
    pub fn set(
        &mut self,
        key: &str,
        value_len: f64,
        ttl_ms: Option<f64>,
        old_slot: Option<u32>,
        now: f64,
    ) -> Result<f64, JsValue> {
        self.set_inner(key, value_len, ttl_ms, old_slot, millis(now))
            .map_err(to_js_error)
    }

    fn set_inner(
        &mut self,
        key: &str,
        value_len: f64,
        ttl_ms: Option<f64>,
        old_slot: Option<u32>,
        now: u64,
    ) -> Result<f64, Error> {
        check_key(key)?;
        let ttl = ttl_ms
            .or(self.default_ttl_ms)
            .map(ttl_from_ms)
            .transpose()?;
        let value_len = if value_len.is_finite() && value_len >= 0.0 {
            value_len as u64
        } else {
            return Err(Error::InvalidValue(format!("bad value length {value_len}")));
        };
        let meta = Meta {
            hash: self.hasher.hash_one(key),
            weight: (key.len() as u64)
                .saturating_add(value_len)
                .saturating_add(ENTRY_OVERHEAD_BYTES),
            expires_at: expiry_after(now, ttl),
        };
        self.removed.clear();
        let old = old_slot.and_then(Token::from_index);
        let token = match old {
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

    /// Reads `slot`: true on a hit (counted, frequency bumped); false if it
    /// expired, in which case it is gone and the caller forgets the key.
    pub fn get(&mut self, slot: u32, now: f64) -> bool {
        match Token::from_index(slot) {
            Some(t) => matches!(self.engine.get(t, millis(now)), Lookup::Hit(_)),
            None => {
                self.engine.record_miss();
                false
            }
        }
    }

    /// Like `get`, but counts nothing and does not bump the frequency.
    pub fn has(&mut self, slot: u32, now: f64) -> bool {
        Token::from_index(slot)
            .is_some_and(|t| matches!(self.engine.peek(t, millis(now)), Lookup::Hit(_)))
    }

    /// Counts a miss the caller's key index answered on its own.
    pub fn miss(&mut self) {
        self.engine.record_miss();
    }

    /// Removes `slot` (a delete).
    pub fn delete(&mut self, slot: u32) {
        if let Some(t) = Token::from_index(slot) {
            self.engine.remove(t);
        }
    }

    /// Removes every entry.
    pub fn clear(&mut self) {
        self.engine.clear();
    }

    /// `{ hits, misses, inserts, evictions, expirations, entries, bytes }`.
    pub fn stats(&self) -> JsValue {
        stats_object(self.engine.stats())
    }
}

/// The JavaScript form of [`Stats`].
pub(crate) fn stats_object(s: Stats) -> JsValue {
    let obj = Object::new();
    for (name, value) in [
        ("hits", s.hits),
        ("misses", s.misses),
        ("inserts", s.inserts),
        ("evictions", s.evictions),
        ("expirations", s.expirations),
        ("entries", s.entries),
        ("bytes", s.bytes),
    ] {
        // Defining a data property on a fresh plain object cannot fail.
        let _ = Reflect::set(
            &obj,
            &JsValue::from_str(name),
            &JsValue::from_f64(value as f64),
        );
    }
    obj.into()
}
