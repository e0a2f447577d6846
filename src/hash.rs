//! The key hasher of [`MemoryBackend`](crate::MemoryBackend)'s index:
//! foldhash, with a seed nobody can predict, per cache.
//!
//! foldhash is "minimally DoS-resistant" when its seed is secret: whoever
//! knows it can choose keys that all land in one probe sequence, and every
//! lookup then walks all of them (SECURITY.md, threat 6). Natively,
//! foldhash's own `RandomState` is seeded from the process's randomness
//! (the system clock, stack and heap addresses, which ASLR moves). On
//! `wasm32-unknown-unknown` there is no OS randomness and those addresses
//! are the same in every run of a build, so foldhash's seed is predictable;
//! there the seed comes from `crypto.getRandomValues()` instead.
//!
//! The wasm32 seed is drawn on first use, not when the cache is built:
//! Cloudflare Workers refuse random values outside a request handler, and a
//! cache may be built at module scope. A draw that fails anyway (a first
//! `set` at module scope in a Worker, a runtime without `crypto`) falls back
//! to foldhash's own seed, as before, for that cache only.

use std::hash::{BuildHasher, Hasher};
use std::sync::OnceLock;

use foldhash::fast::{FixedState, FoldHasher};

/// The index's hasher: random per cache unless a test fixes the seed.
#[derive(Debug, Clone)]
pub(crate) enum KeyHasher {
    /// A seed chosen by the builder (`MemoryBackendBuilder::hash_seed`).
    Fixed(FixedState),
    /// foldhash's per-process randomness (native).
    #[cfg(not(target_arch = "wasm32"))]
    Random(foldhash::fast::RandomState),
    /// Seeded from `crypto.getRandomValues()` on first use (wasm32).
    #[cfg(target_arch = "wasm32")]
    Lazy(OnceLock<foldhash::fast::SeedableRandomState>),
}

impl KeyHasher {
    /// A hasher with an unpredictable seed of its own.
    pub(crate) fn random() -> Self {
        #[cfg(not(target_arch = "wasm32"))]
        return Self::Random(foldhash::fast::RandomState::default());
        #[cfg(target_arch = "wasm32")]
        return Self::Lazy(OnceLock::new());
    }

    /// A hasher whose seed is `seed`: predictable, for tests only.
    pub(crate) fn fixed(seed: u64) -> Self {
        Self::Fixed(FixedState::with_seed(seed))
    }
}

impl KeyHasher {
    /// The hash of a stored key given as its two parts, the namespace
    /// `prefix` and the caller's `key`: a lookup hashes them where they are
    /// instead of first copying them into one buffer (whose fresh stores
    /// the hash would then read back). Every stored key is hashed this way,
    /// so the split is the same each time; a prefix (`"{len}:{namespace}:"`)
    /// says where it ends, and foldhash's `write` folds each part's length
    /// in, so no terminator is written after the key.
    #[inline]
    pub(crate) fn hash_key(&self, prefix: &[u8], key: &[u8]) -> u64 {
        let mut hasher = self.after(prefix);
        hasher.write(key);
        hasher.finish()
    }

    /// The hasher state once `prefix` is written.
    fn after(&self, prefix: &[u8]) -> FoldHasher<'static> {
        let mut hasher = self.build_hasher();
        hasher.write(prefix);
        hasher
    }
}

/// A handle's namespace prefix, with the hasher state after it: a handle's
/// lookups hash only their key, starting from a copy of that state, and get
/// the hash [`KeyHasher::hash_key`] gives the two parts (about 30 of the
/// 1,030 instructions of an evicting insert, measured with callgrind).
pub(crate) struct Prefix {
    text: Box<str>,
    /// Filled on first use: on wasm32 the seed is drawn then (see above).
    state: OnceLock<FoldHasher<'static>>,
}

impl Prefix {
    /// `text` (a `key::prefix`), with its hasher state still to compute.
    pub(crate) fn new(text: String) -> Self {
        Self {
            text: text.into_boxed_str(),
            state: OnceLock::new(),
        }
    }

    /// The prefix itself.
    pub(crate) fn as_str(&self) -> &str {
        &self.text
    }

    /// `hasher.hash_key(self, key)`, without hashing the prefix again.
    /// `hasher` must be the one every call on this prefix passes (the
    /// store's): the state is computed with the first and kept.
    #[inline]
    pub(crate) fn hash_key(&self, hasher: &KeyHasher, key: &[u8]) -> u64 {
        let mut state = self
            .state
            .get_or_init(|| hasher.after(self.text.as_bytes()))
            .clone();
        state.write(key);
        state.finish()
    }
}

impl std::fmt::Debug for Prefix {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The hasher state stays out of debug output, as the seed does.
        f.debug_tuple("Prefix").field(&self.text).finish()
    }
}

impl BuildHasher for KeyHasher {
    type Hasher = FoldHasher<'static>;

    #[inline]
    fn build_hasher(&self) -> FoldHasher<'static> {
        match self {
            Self::Fixed(state) => state.build_hasher(),
            #[cfg(not(target_arch = "wasm32"))]
            Self::Random(state) => state.build_hasher(),
            #[cfg(target_arch = "wasm32")]
            Self::Lazy(state) => state.get_or_init(js_random::seeded).build_hasher(),
        }
    }
}

/// `crypto.getRandomValues()` through a direct binding: getrandom's
/// `wasm_js` backend would do the same through a `--cfg` every build of
/// the crate (and every user's) would have to pass, for 16 bytes per
/// cache.
#[cfg(target_arch = "wasm32")]
mod js_random {
    use foldhash::fast::SeedableRandomState;
    use foldhash::SharedSeed;
    use std::sync::OnceLock;
    use wasm_bindgen::prelude::wasm_bindgen;
    use wasm_bindgen::JsValue;

    #[wasm_bindgen]
    extern "C" {
        /// `crypto.getRandomValues(array)`, looked up when called (so never
        /// at module scope). Throws where random values are refused.
        #[wasm_bindgen(js_namespace = crypto, js_name = getRandomValues, catch)]
        fn get_random_values(array: &js_sys::Uint8Array) -> Result<JsValue, JsValue>;
    }

    /// Eight random bytes, or `None` where the platform refuses them.
    fn random_u64() -> Option<u64> {
        let array = js_sys::Uint8Array::new_with_length(8);
        get_random_values(&array).ok()?;
        let mut bytes = [0u8; 8];
        array.copy_to(&mut bytes);
        Some(u64::from_le_bytes(bytes))
    }

    /// The instance's shared seed (foldhash's six keys), drawn once; `None`
    /// until a draw succeeds.
    static SHARED: OnceLock<SharedSeed> = OnceLock::new();

    /// A fresh state: the instance's random shared seed and a random
    /// per-cache seed, or foldhash's own (predictable here) if the platform
    /// refuses random values.
    pub(super) fn seeded() -> SeedableRandomState {
        let shared = match SHARED.get() {
            Some(shared) => Some(shared),
            None => random_u64().map(|s| SHARED.get_or_init(|| SharedSeed::from_u64(s))),
        };
        match (shared, random_u64()) {
            (Some(shared), Some(per_cache)) => SeedableRandomState::with_seed(per_cache, shared),
            _ => SeedableRandomState::random(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fixed_seed_hashes_the_same_in_every_cache() {
        let (a, b) = (KeyHasher::fixed(7), KeyHasher::fixed(7));
        assert_eq!(a.hash_one("k"), b.hash_one("k"));
        assert_ne!(a.hash_one("k"), KeyHasher::fixed(8).hash_one("k"));
    }

    #[test]
    fn hash_key_depends_on_the_seed_the_prefix_and_the_key() {
        let (a, b) = (KeyHasher::fixed(7), KeyHasher::fixed(7));
        for key in ["k", "ключ", &"x".repeat(300)] {
            let h = a.hash_key(b"0::", key.as_bytes());
            assert_eq!(h, b.hash_key(b"0::", key.as_bytes()));
            assert_ne!(h, KeyHasher::fixed(8).hash_key(b"0::", key.as_bytes()));
            assert_ne!(h, a.hash_key(b"1:a:", key.as_bytes()));
            assert_ne!(h, a.hash_key(b"0::", b"other"));
        }
    }

    #[test]
    fn a_prefix_hashes_its_keys_as_hash_key_does() {
        for hasher in [KeyHasher::fixed(7), KeyHasher::random()] {
            for text in ["0::", "1:a:", "3:ключ:"] {
                let prefix = Prefix::new(text.to_owned());
                for key in ["k", "ключ", &"x".repeat(300)] {
                    let expected = hasher.hash_key(text.as_bytes(), key.as_bytes());
                    // Twice: computing the state, then from the kept one.
                    assert_eq!(prefix.hash_key(&hasher, key.as_bytes()), expected);
                    assert_eq!(prefix.hash_key(&hasher, key.as_bytes()), expected);
                }
            }
        }
    }

    #[test]
    fn random_seeds_differ_between_caches() {
        let (a, b) = (KeyHasher::random(), KeyHasher::random());
        assert_ne!(a.hash_one("k"), b.hash_one("k"));
    }
}
