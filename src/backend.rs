//! The storage contract every backend implements.

use std::time::Duration;

use crate::{Error, Result};

/// An async key-value store with optional per-entry TTLs.
///
/// Three methods are required (`get`, `set`, `delete`); the rest are provided
/// on top of them and overridden by backends that can batch. Semantics:
///
/// - `Ok(None)` from `get` is a miss; `Err` is a failure of the backend.
/// - `ttl: None` means the backend's default TTL, or no expiry if it has none.
/// - Every method takes `&self`: backends use interior mutability, and
///   `Clone` gives another handle to the same store.
///
/// The trait uses `async fn`, so it is not dyn-compatible: code that works with
/// any backend is generic over it.
///
/// ```
/// use edgecache::{CacheBackend, MemoryBackend, Result};
///
/// async fn remember_visit<B: CacheBackend>(cache: &B, user: &str) -> Result<bool> {
///     let key = format!("visited:{user}");
///     let seen = cache.exists(&key).await?;
///     cache.set(&key, b"1".to_vec(), None).await?;
///     Ok(seen)
/// }
///
/// # pollster::block_on(async {
/// let cache = MemoryBackend::new();
/// assert!(!remember_visit(&cache, "ada").await?);
/// assert!(remember_visit(&cache, "ada").await?);
/// # Ok::<(), edgecache::Error>(())
/// # }).unwrap();
/// ```
// The trait does not require `Send` futures: on wasm32 every backend holds
// JavaScript handles, which are `!Send`, and there is one thread anyway.
// Natively every backend's futures are `Send` (tests/send.rs checks each at
// compile time), so they run in tokio tasks.
#[allow(async_fn_in_trait)]
pub trait CacheBackend: Send + Sync + Clone {
    /// The value stored under `key`, or `None` if there is none or it expired.
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>>;

    /// Stores `value` under `key`, replacing any earlier value. `ttl: None`
    /// applies the backend's default TTL (or none).
    async fn set(&self, key: &str, value: Vec<u8>, ttl: Option<Duration>) -> Result<()>;

    /// Removes `key`. Removing a missing key is not an error.
    async fn delete(&self, key: &str) -> Result<()>;

    /// True if `key` holds a live value.
    async fn exists(&self, key: &str) -> Result<bool> {
        Ok(self.get(key).await?.is_some())
    }

    /// The values of `keys`, in order, `None` for each miss.
    async fn mget(&self, keys: &[&str]) -> Result<Vec<Option<Vec<u8>>>> {
        let mut values = Vec::with_capacity(keys.len());
        for key in keys {
            values.push(self.get(key).await?);
        }
        Ok(values)
    }

    /// Removes every key in `keys`.
    async fn mdelete(&self, keys: &[&str]) -> Result<()> {
        for key in keys {
            self.delete(key).await?;
        }
        Ok(())
    }

    /// True if the backend can serve requests.
    async fn health_check(&self) -> Result<bool> {
        Ok(true)
    }

    /// Removes every entry this handle can see (its namespace only).
    ///
    /// There is no way to build this from `get`/`set`/`delete`, so the
    /// default reports [`Error::Unsupported`]; every backend in this crate
    /// overrides it.
    async fn clear_all(&self) -> Result<()> {
        Err(Error::Unsupported(
            "clear_all is not implemented by this backend".into(),
        ))
    }
}

/// A value together with its absolute expiry, as [`ExpiryAware::get_with_expiry`]
/// returns it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// The stored value.
    pub value: Vec<u8>,
    /// Absolute expiry in ms since the epoch, or `None` for no expiry.
    pub expires_at: Option<u64>,
}

impl Entry {
    /// The values of `entries`, in order: what `mget` answers when a backend
    /// reads entries with their expiry.
    pub(crate) fn values(entries: Vec<Option<Entry>>) -> Vec<Option<Vec<u8>>> {
        entries.into_iter().map(|e| e.map(|e| e.value)).collect()
    }
}

/// A backend that can report when an entry expires, so a cache in front of it
/// ([`TieredBackend`](crate::TieredBackend)) never keeps a copy longer than
/// the entry lives. Kept apart from [`CacheBackend`] so that trait stays
/// exactly the contract every backend implements.
///
/// ```
/// use edgecache::{CacheBackend, ExpiryAware, MemoryBackend, time::ManualClock};
/// use std::time::Duration;
/// # pollster::block_on(async {
/// let clock = ManualClock::new(1_000);
/// let cache = MemoryBackend::builder().clock(clock).build()?;
/// cache.set("k", b"v".to_vec(), Some(Duration::from_secs(2))).await?;
/// let entry = cache.get_with_expiry("k").await?.unwrap();
/// assert_eq!(entry.expires_at, Some(3_000));
/// # Ok::<(), edgecache::Error>(())
/// # }).unwrap();
/// ```
#[allow(async_fn_in_trait)]
pub trait ExpiryAware: CacheBackend {
    /// Like [`CacheBackend::get`], with the entry's absolute expiry.
    async fn get_with_expiry(&self, key: &str) -> Result<Option<Entry>>;

    /// Like [`CacheBackend::mget`], with each entry's absolute expiry.
    /// Backends that can batch override it.
    async fn mget_with_expiry(&self, keys: &[&str]) -> Result<Vec<Option<Entry>>> {
        let mut entries = Vec::with_capacity(keys.len());
        for key in keys {
            entries.push(self.get_with_expiry(key).await?);
        }
        Ok(entries)
    }
}
