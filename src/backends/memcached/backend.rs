//! [`MemcachedBackend`]: the [`CacheBackend`] over one memcached connection.

use std::fmt;
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use super::conn::{unexpected, Link};
use super::meta::{self, Flag, Reply, Status, WireKey};
use super::rules::{generation_key, initial_generation, item_key, parse_generation, ttl_seconds};
use crate::backend::{Entry, ExpiryAware};
use crate::key::{check_key, check_namespace, check_ttl, Options, Scope};
use crate::record;
use crate::time::{expiry_after, Clock};
use crate::transport::Connector;
use crate::{CacheBackend, Error, Result};

/// Keys per pipelined batch of `mg`/`md` (a larger `mget` or `mdelete`
/// is sent as several exchanges).
const KEYS_PER_BATCH: usize = 10_000;

/// How many times a call is sent again after the namespace's generation
/// changed under it (a concurrent `clear_all`) before it gives up.
const GENERATION_RETRIES: usize = 4;

/// A cache in a memcached server (1.6 or later: the meta protocol), with
/// exact millisecond TTLs.
///
/// - **One connection per backend**, opened on the first call through the
///   [`Connector`], shared by clones and [`with_namespace`](Self::with_namespace)
///   handles and pipelined: calls made while others wait for replies go out
///   together in one write. A broken stream fails the calls it carried, and
///   the next call opens a new connection.
/// - **Stored**: under [`rules::item_key`](super::rules::item_key) (the
///   namespace's generation, the namespace, the key; long keys hashed), a
///   [`record`] (11-byte header with the exact absolute expiry, then the
///   bytes), with memcached TTL [`rules::ttl_seconds`](super::rules::ttl_seconds).
/// - **Exact TTLs**: reads check the record's expiry with the backend's
///   [`Clock`]; memcached's TTL, in whole seconds with a margin, only lets
///   it reclaim the item.
/// - **`clear_all`** increments the namespace's generation; old items age
///   out.
///
/// ```no_run
/// use edgecache::transport::Connector;
/// use edgecache::{CacheBackend, MemcachedBackend};
/// use std::time::Duration;
/// # async fn demo(connector: impl Connector) -> edgecache::Result<()> {
/// let cache = MemcachedBackend::builder(connector)
///     .namespace("pages")
///     .default_ttl(Duration::from_secs(300))
///     .build()?;
/// cache.set("/", b"<html>".to_vec(), Some(Duration::from_millis(1500))).await?;
/// assert_eq!(cache.get("/").await?, Some(b"<html>".to_vec()));
/// # Ok(())
/// # }
/// ```
pub struct MemcachedBackend<C: Connector> {
    link: Arc<Link<C>>,
    scope: Scope,
    /// This namespace's generation as last seen (0: not yet read), shared
    /// by clones.
    generation: Arc<AtomicU64>,
}

impl<C: Connector> Clone for MemcachedBackend<C> {
    fn clone(&self) -> Self {
        Self {
            link: Arc::clone(&self.link),
            scope: self.scope.clone(),
            generation: Arc::clone(&self.generation),
        }
    }
}

impl<C: Connector> fmt::Debug for MemcachedBackend<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemcachedBackend")
            .field("namespace", &self.scope.namespace())
            .field("default_ttl", &self.scope.default_ttl())
            .field("clock", &self.scope.clock())
            .finish_non_exhaustive()
    }
}

/// Builds a [`MemcachedBackend`]: [`MemcachedBackend::builder`], then
/// options, then [`build`](Self::build).
pub struct MemcachedBackendBuilder<C: Connector> {
    connector: C,
    options: Options,
    connect_timeout: Duration,
}

impl<C: Connector> fmt::Debug for MemcachedBackendBuilder<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemcachedBackendBuilder")
            .field("namespace", &self.options.namespace)
            .field("default_ttl", &self.options.default_ttl)
            .field("clock", &self.options.clock)
            .field("connect_timeout", &self.connect_timeout)
            .finish_non_exhaustive()
    }
}

impl<C: Connector> MemcachedBackendBuilder<C> {
    /// Namespace of the handle built (default: none). `clear_all` clears
    /// only its entries.
    pub fn namespace(mut self, namespace: impl Into<String>) -> Self {
        self.options.namespace = Some(namespace.into());
        self
    }

    /// TTL for writes that give none (default: no expiry).
    pub fn default_ttl(mut self, ttl: Duration) -> Self {
        self.options.default_ttl = Some(ttl);
        self
    }

    /// The clock that stamps and checks expiry (default: the system clock
    /// natively, `Date.now()` on wasm32). Tests pass a
    /// [`ManualClock`](crate::time::ManualClock).
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.options.clock = Arc::new(clock);
        self
    }

    /// How long opening a connection may take before the call fails with
    /// [`Error::Unavailable`] (default 5 s). The [`Connector`] enforces it.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Checks the options and builds the backend. Opens no connection.
    ///
    /// ```no_run
    /// # fn demo(connector: impl edgecache::transport::Connector) {
    /// let err = edgecache::MemcachedBackend::builder(connector).namespace("").build().unwrap_err();
    /// assert_eq!(err.code(), "EDGECACHE_INVALID_OPTIONS");
    /// # }
    /// ```
    pub fn build(self) -> Result<MemcachedBackend<C>> {
        let scope = self.options.check(check_namespace)?;
        if self.connect_timeout.is_zero() {
            return Err(Error::InvalidOptions(
                "connect timeout must be positive".into(),
            ));
        }
        Ok(MemcachedBackend {
            link: Arc::new(Link::new(self.connector, self.connect_timeout)),
            scope,
            generation: Arc::new(AtomicU64::new(0)),
        })
    }
}

/// What [`MemcachedBackend::claim`] saw of a key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Claim {
    /// A live value: use it.
    Hit(Entry),
    /// No live value (or one about to expire), and this caller won the
    /// right to fill it: make the value and `set` it.
    Won,
    /// No live value, and another caller is filling it: wait a little and
    /// ask again.
    Wait,
}

impl<C: Connector> MemcachedBackend<C> {
    /// The largest record sent — value plus the 11-byte [`record`] header —
    /// in bytes: 1 GiB, memcached's largest item size (`-I 1024m`). The
    /// server's own limit (1 MiB by default) is learnt from its answer: a
    /// `set` it refuses as too large is [`Error::ValueTooLarge`] with the
    /// server's `item_size_max`, and later records over that are refused
    /// before any I/O.
    pub const MAX_VALUE_BYTES: usize = meta::MAX_VALUE_BYTES;

    /// The connect timeout unless [`MemcachedBackendBuilder::connect_timeout`]
    /// sets another.
    pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

    /// A builder over `connector`, which opens connections to the server.
    pub fn builder(connector: C) -> MemcachedBackendBuilder<C> {
        MemcachedBackendBuilder {
            connector,
            options: Options::default(),
            connect_timeout: Self::DEFAULT_CONNECT_TIMEOUT,
        }
    }

    /// Another handle on the same connection whose keys live in `namespace`.
    /// `clear_all` on it clears that namespace only.
    pub fn with_namespace(&self, namespace: &str) -> Result<Self> {
        Ok(Self {
            link: Arc::clone(&self.link),
            scope: self.scope.with_namespace(namespace, check_namespace)?,
            generation: Arc::new(AtomicU64::new(0)),
        })
    }

    /// Closes the connection (shared by every handle of this backend), if one
    /// is open; the next call opens a new one. A call using it now finishes
    /// first. Never fails.
    pub fn disconnect(&self) {
        self.link.disconnect();
    }

    fn generation_key(&self) -> WireKey {
        generation_key(self.scope.namespace())
    }

    /// Reads the namespace's generation, creating the counter if it is
    /// missing (`ma <key> N0 J<now> D0 v`), and remembers it.
    async fn read_generation(&self, delta: u64) -> Result<u64> {
        let mut request = Vec::new();
        let now = self.scope.now_ms();
        let initial = initial_generation(now, foldhash::fast::RandomState::default().hash_one(now));
        meta::ma(
            &mut request,
            &self.generation_key(),
            &[
                Flag::Create(0),
                Flag::Initial(initial),
                Flag::Delta(delta),
                Flag::Value,
            ],
        );
        let generation = self
            .link
            .exchange(request, |replies| match replies.first() {
                Some(Reply {
                    status: Status::Value(v),
                    ..
                }) => parse_generation(v),
                Some(other) => Err(unexpected("ma", other)),
                None => Err(Error::Backend("no reply to memcached ma".into())),
            })
            .await?;
        self.generation.store(generation, Ordering::Relaxed);
        Ok(generation)
    }

    /// Runs one call under the namespace's current generation: `build`
    /// writes its commands for a generation, and `mg <generation key> v`
    /// goes after them in the same write. If the generation read back is the
    /// one the commands used, `decode` gets their replies; if it changed (a
    /// `clear_all` elsewhere) or is missing, the call is sent again under
    /// the new one.
    async fn run<R>(
        &self,
        build: impl Fn(u64, &mut Vec<u8>),
        decode: impl Fn(Vec<Reply>) -> Result<R>,
    ) -> Result<R> {
        let mut generation = match self.generation.load(Ordering::Relaxed) {
            0 => self.read_generation(0).await?,
            g => g,
        };
        let generation_key = self.generation_key();
        for _ in 0..GENERATION_RETRIES {
            let mut request = Vec::new();
            build(generation, &mut request);
            meta::mg(&mut request, &generation_key, &[Flag::Value]);
            let (result, seen) = self
                .link
                .exchange(request, |mut replies| {
                    let seen = match replies.pop() {
                        Some(Reply {
                            status: Status::Value(v),
                            ..
                        }) => Some(parse_generation(&v)?),
                        Some(Reply {
                            status: Status::Miss,
                            ..
                        }) => None,
                        Some(other) => return Err(unexpected("mg", &other)),
                        None => return Err(Error::Backend("no reply to memcached mg".into())),
                    };
                    Ok((decode(replies), seen))
                })
                .await?;
            match seen {
                Some(seen) if seen == generation => return result,
                Some(seen) => {
                    self.generation.store(seen, Ordering::Relaxed);
                    generation = seen;
                }
                None => generation = self.read_generation(0).await?,
            }
        }
        Err(Error::Backend(
            "the namespace's generation changed on every try (clear_all in a loop elsewhere?)"
                .into(),
        ))
    }

    /// Reads `keys` (all checked first) with their expiry: one quiet `mg`
    /// per key, matched by its opaque number, `KEYS_PER_BATCH` per write.
    async fn lookup(&self, keys: &[&str]) -> Result<Vec<Option<Entry>>> {
        for key in keys {
            check_key(key)?;
        }
        let mut out: Vec<Option<Vec<u8>>> = Vec::with_capacity(keys.len());
        for chunk in keys.chunks(KEYS_PER_BATCH) {
            let ns = self.scope.namespace();
            let values = self
                .run(
                    |generation, request| {
                        for (i, key) in chunk.iter().enumerate() {
                            let opaque = u32::try_from(i).unwrap_or(u32::MAX);
                            meta::mg(
                                request,
                                &item_key(generation, ns, key),
                                &[Flag::Value, Flag::Quiet, Flag::Opaque(opaque)],
                            );
                        }
                    },
                    |replies| {
                        let mut values: Vec<Option<Vec<u8>>> = vec![None; chunk.len()];
                        for reply in replies {
                            let slot = reply
                                .opaque()
                                .and_then(|i| values.get_mut(usize::try_from(i).ok()?));
                            match (reply.status, slot) {
                                (Status::Value(v), Some(slot)) => *slot = Some(v),
                                (status, _) => {
                                    return Err(unexpected(
                                        "mg",
                                        &Reply {
                                            status,
                                            flags: Vec::new(),
                                        },
                                    ))
                                }
                            }
                        }
                        Ok(values)
                    },
                )
                .await?;
            out.extend(values);
        }
        let now = self.scope.now_ms();
        Ok(out
            .into_iter()
            .map(|bytes| bytes.and_then(|bytes| record::live(bytes, now)))
            .collect())
    }

    /// The record for `value` with `ttl` (the default applied): the header
    /// alone (the value is sent after it without a copy), and memcached's TTL.
    fn header(&self, value: &[u8], ttl: Option<Duration>) -> Result<(Vec<u8>, u32)> {
        check_ttl(ttl)?;
        let size = value.len().saturating_add(record::HEADER_LEN);
        let limit = self
            .link
            .item_size_max()
            .map_or(Self::MAX_VALUE_BYTES as u64, |n| {
                n.min(Self::MAX_VALUE_BYTES as u64)
            });
        if size as u64 > limit {
            return Err(Error::ValueTooLarge {
                size: size as u64,
                limit,
            });
        }
        let ttl = self.scope.ttl(ttl);
        let expires_at = expiry_after(self.scope.write_ms(), ttl);
        Ok((record::encode(expires_at, &[]), ttl_seconds(ttl)))
    }

    /// The server's `item_size_max` (`stats settings`), remembered.
    async fn learn_item_size_max(&self) -> Result<u64> {
        let mut request = Vec::new();
        meta::stats_settings(&mut request);
        let n = self
            .link
            .exchange(request, |replies| {
                replies
                    .iter()
                    .find_map(|r| match &r.status {
                        Status::Stat { name, value } if name == "item_size_max" => {
                            value.parse::<u64>().ok()
                        }
                        _ => None,
                    })
                    .ok_or_else(|| {
                        Error::Backend("memcached's stats settings has no item_size_max".into())
                    })
            })
            .await?;
        self.link.set_item_size_max(n);
        Ok(n)
    }

    /// Stores `value` under `key`, mapping memcached's "object too large"
    /// to [`Error::ValueTooLarge`].
    async fn store(&self, key: &str, value: &[u8], ttl: Option<Duration>) -> Result<()> {
        check_key(key)?;
        let (header, seconds) = self.header(value, ttl)?;
        let ns = self.scope.namespace();
        let size = (header.len() + value.len()) as u64;
        let outcome = self
            .run(
                |generation, request| {
                    meta::ms(
                        request,
                        &item_key(generation, ns, key),
                        &[&header, value],
                        &[Flag::Ttl(seconds), Flag::Quiet],
                    );
                },
                |replies| match replies.first().map(|r| &r.status) {
                    None => Ok(Ok(())),
                    Some(Status::Error { message, .. }) if message.contains("too large") => {
                        Ok(Err(()))
                    }
                    Some(_) => Err(replies.first().map_or_else(
                        || Error::Backend("no reply".into()),
                        |r| unexpected("ms", r),
                    )),
                },
            )
            .await?;
        match outcome {
            Ok(()) => Ok(()),
            Err(()) => {
                let limit = self.learn_item_size_max().await?;
                Err(Error::ValueTooLarge { size, limit })
            }
        }
    }

    /// Reads `key` for a fill shared across processes: memcached's
    /// stampede protection (`mg <key> v N<lock> R2`, vivify on miss). Of
    /// all the callers that find no value, on any connection, exactly one
    /// gets [`Claim::Won`] (the others [`Claim::Wait`]) until the winner
    /// stores a value or `lock` (whole seconds, at least 1) passes: then
    /// memcached drops the empty stub it made, and the next caller wins.
    /// An entry within 2 s of memcached's TTL is [`Claim::Won`] by one
    /// caller (to refresh it) and a [`Claim::Hit`] for the others.
    /// [`get_or_set`](Self::get_or_set) is the loop around it.
    ///
    /// ```no_run
    /// use edgecache::memcached::Claim;
    /// # async fn demo(cache: edgecache::MemcachedBackend<impl edgecache::transport::Connector>) -> edgecache::Result<()> {
    /// use edgecache::CacheBackend;
    /// use std::time::Duration;
    /// match cache.claim("report", Duration::from_secs(10)).await? {
    ///     Claim::Hit(entry) => println!("{} bytes", entry.value.len()),
    ///     Claim::Won => cache.set("report", b"...".to_vec(), None).await?,
    ///     Claim::Wait => { /* sleep a little, then claim again */ }
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub async fn claim(&self, key: &str, lock: Duration) -> Result<Claim> {
        check_key(key)?;
        let lock = u32::try_from(lock.as_secs().max(1)).unwrap_or(u32::MAX);
        let ns = self.scope.namespace();
        let now = || self.scope.now_ms();
        self.run(
            |generation, request| {
                meta::mg(
                    request,
                    &item_key(generation, ns, key),
                    &[
                        Flag::Value,
                        Flag::Vivify(lock),
                        Flag::Recache(super::rules::TTL_MARGIN_SECS as u32),
                    ],
                );
            },
            |mut replies| {
                let Some(reply) = replies.pop() else {
                    return Err(Error::Backend("no reply to memcached mg".into()));
                };
                let won = reply.has(b'W');
                let live = match &reply.status {
                    Status::Value(v) => record::live(v.clone(), now()),
                    _ => return Err(unexpected("mg", &reply)),
                };
                Ok(match (live, won) {
                    (_, true) => Claim::Won,
                    (Some(entry), false) => Claim::Hit(entry),
                    (None, false) => Claim::Wait,
                })
            },
        )
        .await
    }

    /// The value under `key`; on a miss, `fill` makes it and it is stored
    /// with `ttl` — by **one caller across every process and isolate** that
    /// shares the server ([`claim`](Self::claim): memcached's stampede
    /// protection). The winner calls `fill` and stores the value; the others
    /// wait (`sleep`, with backoff from 5 ms to 200 ms) and ask again until
    /// the value is there. A winner that does not store within `lock` loses
    /// the claim, and the next caller wins. A waiter that has seen nothing
    /// after twice `lock` fills the value itself. `fill`'s error is the
    /// winner's; the value is then not stored.
    ///
    /// `sleep` is the platform's timer (the core has none): natively e.g.
    /// `tokio::time::sleep`, in wasm a `setTimeout` promise.
    pub async fn get_or_set<F, Fut, S, SFut>(
        &self,
        key: &str,
        ttl: Option<Duration>,
        lock: Duration,
        fill: F,
        sleep: S,
    ) -> Result<Vec<u8>>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<Vec<u8>>>,
        S: Fn(Duration) -> SFut,
        SFut: std::future::Future<Output = ()>,
    {
        check_key(key)?;
        check_ttl(ttl)?;
        let mut waited = Duration::ZERO;
        let mut pause = Duration::from_millis(5);
        let give_up = lock.max(Duration::from_secs(1)) * 2;
        loop {
            match self.claim(key, lock).await? {
                Claim::Hit(entry) => return Ok(entry.value),
                Claim::Won => {
                    let value = fill().await?;
                    self.store(key, &value, ttl).await?;
                    return Ok(value);
                }
                Claim::Wait if waited >= give_up => {
                    let value = fill().await?;
                    self.store(key, &value, ttl).await?;
                    return Ok(value);
                }
                Claim::Wait => {
                    sleep(pause).await;
                    waited += pause;
                    pause = (pause * 2).min(Duration::from_millis(200));
                }
            }
        }
    }
}

impl<C: Connector> CacheBackend for MemcachedBackend<C> {
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>> {
        Ok(self.get_with_expiry(key).await?.map(|e| e.value))
    }

    async fn set(&self, key: &str, value: Vec<u8>, ttl: Option<Duration>) -> Result<()> {
        self.store(key, &value, ttl).await
    }

    async fn delete(&self, key: &str) -> Result<()> {
        self.mdelete(&[key]).await
    }

    async fn mget(&self, keys: &[&str]) -> Result<Vec<Option<Vec<u8>>>> {
        Ok(Entry::values(self.lookup(keys).await?))
    }

    /// One quiet `md` per key, 10,000 per write.
    async fn mdelete(&self, keys: &[&str]) -> Result<()> {
        for key in keys {
            check_key(key)?;
        }
        let ns = self.scope.namespace();
        for chunk in keys.chunks(KEYS_PER_BATCH) {
            self.run(
                |generation, request| {
                    for key in chunk {
                        meta::md(request, &item_key(generation, ns, key), &[Flag::Quiet]);
                    }
                },
                |replies| {
                    for reply in &replies {
                        if reply.status != Status::NotFound {
                            return Err(unexpected("md", reply));
                        }
                    }
                    Ok(())
                },
            )
            .await?;
        }
        Ok(())
    }

    /// One `mn`: `Ok(true)` on `MN`, the error otherwise (server down:
    /// [`Error::Unavailable`]).
    async fn health_check(&self) -> Result<bool> {
        self.link
            .exchange(Vec::new(), |replies| match replies.first() {
                None => Ok(true),
                Some(other) => Err(unexpected("mn", other)),
            })
            .await
    }

    /// Increments this handle's namespace generation (`ma`), so every entry
    /// written before is unreachable at once; memcached reclaims the old
    /// items by TTL or LRU. Never `flush_all`: other namespaces and other
    /// data on the server are untouched.
    async fn clear_all(&self) -> Result<()> {
        self.read_generation(1).await.map(|_| ())
    }
}

impl<C: Connector> ExpiryAware for MemcachedBackend<C> {
    async fn get_with_expiry(&self, key: &str) -> Result<Option<Entry>> {
        Ok(self.lookup(&[key]).await?.into_iter().next().flatten())
    }

    async fn mget_with_expiry(&self, keys: &[&str]) -> Result<Vec<Option<Entry>>> {
        self.lookup(keys).await
    }
}
