//! [`RedisBackend`]: the [`CacheBackend`] over one Redis connection.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use super::conn::{self, unexpected, Credentials, Link, Pipeline};
use super::resp::Value;
use crate::backend::{Entry, ExpiryAware};
use crate::key::{check_namespace, check_ttl, Options, Scope};
use crate::record;
use crate::time::{expiry_after, Clock};
use crate::transport::Connector;
use crate::{CacheBackend, Error, Result};

/// Keys per `MGET` or `UNLINK` command. A batch of more keys is split into
/// several commands, all sent in the same write.
const KEYS_PER_COMMAND: usize = 1_000;

/// Keys per `MGET` of [`RedisBackend::get_each_with_expiry`]. Small, so
/// that each reply is small: the parser re-checks a reply that is not
/// complete from its start whenever more of it arrives, so a reply of `n`
/// values arriving in `c` chunks costs `n * c` (and a batch's gets are
/// answered in as many independent requests, which a broken connection
/// fails one by one).
const KEYS_PER_BATCH_COMMAND: usize = 64;

/// The `COUNT` hint of `clear_all`'s `SCAN`.
const SCAN_COUNT: &[u8] = b"1000";

/// A cache in a Redis server (or anything speaking RESP: Valkey, KeyDB,
/// Dragonfly, Upstash over TCP), with exact millisecond TTLs.
///
/// - **One connection per backend**, opened on the first call through the
///   [`Connector`], shared by clones and [`with_namespace`](Self::with_namespace)
///   handles; calls take turns on it, each sending all its commands in one
///   write. After any failure it is closed, and the next call opens a new one.
/// - **Stored**: key [`key::encode`](crate::key::encode)`(namespace, key)`; value a
///   [`record`] (11-byte header with the exact absolute expiry, then the
///   bytes), written with `SET key record PX <ttl in ms, rounded up>`.
/// - **Exact TTLs**: reads check the record's expiry with the backend's
///   [`Clock`]; `PX` only lets Redis reclaim the key itself.
/// - **Errors**: server down, connect timeout, connection dropped →
///   [`Error::Unavailable`]; refused credentials → [`Error::Auth`]; other
///   error replies → [`Error::Backend`] with the server's message.
///
/// ```no_run
/// use edgecache::redis::Connector;
/// use edgecache::{CacheBackend, RedisBackend};
/// use std::time::Duration;
/// # async fn demo(connector: impl Connector) -> edgecache::Result<()> {
/// let cache = RedisBackend::builder(connector)
///     .namespace("pages")
///     .password("s3cret")
///     .default_ttl(Duration::from_secs(300))
///     .build()?;
/// cache.set("/", b"<html>".to_vec(), Some(Duration::from_millis(1500))).await?;
/// assert_eq!(cache.get("/").await?, Some(b"<html>".to_vec()));
/// # Ok(())
/// # }
/// ```
pub struct RedisBackend<C: Connector> {
    link: Arc<Link<C>>,
    scope: Scope,
}

impl<C: Connector> Clone for RedisBackend<C> {
    fn clone(&self) -> Self {
        Self {
            link: Arc::clone(&self.link),
            scope: self.scope.clone(),
        }
    }
}

impl<C: Connector> fmt::Debug for RedisBackend<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisBackend")
            .field("namespace", &self.scope.namespace())
            .field("default_ttl", &self.scope.default_ttl())
            .field("clock", &self.scope.clock())
            .finish_non_exhaustive()
    }
}

/// Configures a [`RedisBackend`]. [`build`](Self::build) checks the options
/// and opens nothing: the connection is opened by the first call.
///
/// ```no_run
/// use edgecache::redis::Connector;
/// use edgecache::RedisBackend;
/// use std::time::Duration;
/// # fn demo(connector: impl Connector) -> edgecache::Result<()> {
/// let sessions = RedisBackend::builder(connector)
///     .namespace("sessions")
///     .username("app")
///     .password("s3cret")
///     .connect_timeout(Duration::from_secs(2))
///     .build()?;
/// # Ok(())
/// # }
/// ```
pub struct RedisBackendBuilder<C: Connector> {
    connector: C,
    options: Options,
    username: Option<String>,
    password: Option<String>,
    connect_timeout: Duration,
}

impl<C: Connector> fmt::Debug for RedisBackendBuilder<C> {
    // The password is left out.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisBackendBuilder")
            .field("namespace", &self.options.namespace)
            .field("default_ttl", &self.options.default_ttl)
            .field("clock", &self.options.clock)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<hidden>"))
            .field("connect_timeout", &self.connect_timeout)
            .finish_non_exhaustive()
    }
}

impl<C: Connector> RedisBackendBuilder<C> {
    /// Namespace of the handle built (default: none). Its keys are stored
    /// as `"{len}:{namespace}:{key}"`; `clear_all` deletes only those.
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

    /// The password sent with `AUTH` on every new connection (`requirepass`,
    /// or an ACL user's password with [`username`](Self::username)).
    pub fn password(mut self, password: impl Into<String>) -> Self {
        self.password = Some(password.into());
        self
    }

    /// The ACL user to authenticate as (`AUTH username password`, Redis 6
    /// and later). Needs a [`password`](Self::password).
    pub fn username(mut self, username: impl Into<String>) -> Self {
        self.username = Some(username.into());
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
    /// # fn demo(connector: impl edgecache::redis::Connector) {
    /// let err = edgecache::RedisBackend::builder(connector).username("app").build().unwrap_err();
    /// assert_eq!(err.code(), "EDGECACHE_INVALID_OPTIONS");
    /// # }
    /// ```
    pub fn build(self) -> Result<RedisBackend<C>> {
        let scope = self.options.check(check_namespace)?;
        if self.connect_timeout.is_zero() {
            return Err(Error::InvalidOptions(
                "connect timeout must be positive".into(),
            ));
        }
        let credentials = match (self.username, self.password) {
            (Some(_), None) => {
                return Err(Error::InvalidOptions(
                    "a Redis username needs a password".into(),
                ))
            }
            (username, Some(password)) => Some(Credentials { username, password }),
            (None, None) => None,
        };
        Ok(RedisBackend {
            link: Arc::new(Link::new(self.connector, self.connect_timeout, credentials)),
            scope,
        })
    }
}

impl<C: Connector> RedisBackend<C> {
    /// The largest record accepted — value plus the 11-byte
    /// [`record`] header — in bytes: 512 MiB, Redis' largest string.
    pub const MAX_VALUE_BYTES: usize = 512 * 1024 * 1024;

    /// The connect timeout unless [`RedisBackendBuilder::connect_timeout`]
    /// sets another.
    pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

    /// A builder over `connector`, which opens connections to the server.
    pub fn builder(connector: C) -> RedisBackendBuilder<C> {
        RedisBackendBuilder {
            connector,
            options: Options::default(),
            username: None,
            password: None,
            connect_timeout: Self::DEFAULT_CONNECT_TIMEOUT,
        }
    }

    /// Another handle on the same connection whose keys live in `namespace`.
    /// `clear_all` on it clears that namespace only.
    pub fn with_namespace(&self, namespace: &str) -> Result<Self> {
        Ok(Self {
            link: Arc::clone(&self.link),
            scope: self.scope.with_namespace(namespace, check_namespace)?,
        })
    }

    /// Closes the connection (shared by every handle of this backend), if one
    /// is open; the next call opens a new one. A call using it now finishes
    /// first. Never fails.
    pub fn disconnect(&self) {
        self.link.disconnect();
    }

    /// Reads `keys` (all checked first) with their expiry: one `MGET` per
    /// [`KEYS_PER_COMMAND`] keys, in one write.
    async fn lookup(&self, keys: &[&str]) -> Result<Vec<Option<Entry>>> {
        let stored = keys
            .iter()
            .map(|k| self.scope.stored_key(k))
            .collect::<Result<Vec<_>>>()?;
        if stored.is_empty() {
            return Ok(Vec::new());
        }
        let mut pipeline = Pipeline::default();
        for chunk in stored.chunks(KEYS_PER_COMMAND) {
            push_mget(&mut pipeline, chunk);
        }
        let values = self
            .link
            .exchange(pipeline, |replies| mget_values(replies, stored.len()))
            .await?;
        let now = self.scope.now_ms();
        Ok(values
            .into_iter()
            .map(|bytes| bytes.and_then(|bytes| record::live(bytes, now)))
            .collect())
    }

    /// Reads one key with its expiry: what [`lookup`](Self::lookup) of one
    /// key does (one `MGET`, which answers nil for a key of another type
    /// where `GET` would fail), without its vectors. The one-key get is the
    /// common call (an awaited `get` from JavaScript is a batch of one).
    async fn lookup_one(&self, key: &str) -> Result<Option<Entry>> {
        let stored = self.scope.stored_key(key)?;
        let mut command = Vec::new();
        conn::encode(&mut command, "MGET", &[stored.as_bytes()]);
        drop(stored);
        let value = self.link.exchange_one("MGET", command, mget_value).await?;
        let now = self.scope.now_ms();
        Ok(value.and_then(|bytes| record::live(bytes, now)))
    }

    /// Reads each of `keys` with its expiry, with an outcome per key: what a
    /// batch of separate `get_with_expiry` calls made together would answer,
    /// in fewer commands. A key that is not valid fails alone; the others go
    /// out as one `MGET` per 64 keys, each its own request
    /// on the pipelined connection (queued together, so they share a write),
    /// so a connection that breaks fails exactly the keys whose `MGET`
    /// reply was lost, and a stale connection's resend applies per `MGET` as
    /// for any call.
    ///
    /// The JavaScript glue gathers the `get`s made in one tick into one such
    /// batch, so they cross into wasm once.
    pub async fn get_each_with_expiry(&self, keys: &[&str]) -> Vec<Result<Option<Entry>>> {
        let mut outcomes: Vec<Result<Option<Entry>>> = Vec::with_capacity(keys.len());
        // (index in `keys`, stored key) of the valid keys.
        let mut stored = Vec::with_capacity(keys.len());
        for (i, key) in keys.iter().enumerate() {
            match self.scope.stored_key(key) {
                Ok(s) => {
                    stored.push((i, s));
                    outcomes.push(Ok(None));
                }
                Err(e) => outcomes.push(Err(e)),
            }
        }
        let chunks: Vec<_> = stored.chunks(KEYS_PER_BATCH_COMMAND).collect();
        let pipelines = chunks
            .iter()
            .map(|chunk| {
                let mut pipeline = Pipeline::default();
                let keys: Vec<&String> = chunk.iter().map(|(_, s)| s).collect();
                push_mget(&mut pipeline, &keys);
                pipeline
            })
            .collect();
        let answers = self
            .link
            .exchange_each(pipelines, |i, replies| {
                mget_values(replies, chunks.get(i).map_or(0, |chunk| chunk.len()))
            })
            .await;
        let now = self.scope.now_ms();
        for (chunk, values) in chunks.into_iter().zip(answers) {
            match values {
                Ok(values) => {
                    for ((i, _), bytes) in chunk.iter().zip(values) {
                        if let Some(slot) = outcomes.get_mut(*i) {
                            *slot = Ok(bytes.and_then(|bytes| record::live(bytes, now)));
                        }
                    }
                }
                Err(e) => {
                    for (i, _) in chunk {
                        if let Some(slot) = outcomes.get_mut(*i) {
                            *slot = Err(e.clone());
                        }
                    }
                }
            }
        }
        outcomes
    }

    /// `UNLINK`s `stored` keys, [`KEYS_PER_COMMAND`] per command, after the
    /// commands already in `pipeline`.
    fn push_unlink(pipeline: &mut Pipeline, stored: &[impl AsRef<[u8]>]) {
        for chunk in stored.chunks(KEYS_PER_COMMAND) {
            let args: Vec<&[u8]> = chunk.iter().map(AsRef::as_ref).collect();
            pipeline.push("UNLINK", &args);
        }
    }
}

/// Appends `MGET` of `stored` keys to `pipeline`.
fn push_mget(pipeline: &mut Pipeline, stored: &[impl AsRef<[u8]>]) {
    let args: Vec<&[u8]> = stored.iter().map(AsRef::as_ref).collect();
    pipeline.push("MGET", &args);
}

/// The values of the `MGET` replies to `expected` keys in all, in order
/// (`None`: no such key, or a key of another type).
fn mget_values(replies: Vec<Value>, expected: usize) -> Result<Vec<Option<Vec<u8>>>> {
    let mut values = Vec::with_capacity(expected);
    for reply in replies {
        match reply {
            Value::Array(items) => values.extend(items),
            other => return Err(unexpected("MGET", &other)),
        }
    }
    if values.len() != expected {
        return Err(Error::Backend(format!(
            "Redis MGET of {expected} keys answered {} values",
            values.len()
        )));
    }
    values
        .into_iter()
        .map(|v| match v {
            Value::Bulk(bytes) => Ok(Some(bytes)),
            Value::Null => Ok(None),
            other => Err(unexpected("MGET", &other)),
        })
        .collect()
}

/// The value of an `MGET` reply of one key (see [`mget_values`]).
fn mget_value(reply: Value) -> Result<Option<Vec<u8>>> {
    let Value::Array(items) = reply else {
        return Err(unexpected("MGET", &reply));
    };
    let count = items.len();
    let mut items = items.into_iter();
    match (items.next(), items.next()) {
        (Some(Value::Bulk(bytes)), None) => Ok(Some(bytes)),
        (Some(Value::Null), None) => Ok(None),
        (Some(other), None) => Err(unexpected("MGET", &other)),
        _ => Err(Error::Backend(format!(
            "Redis MGET of 1 keys answered {count} values"
        ))),
    }
}

/// `PX` for `ttl`: whole milliseconds, rounded up (so never 0).
fn px(ttl: Duration) -> u64 {
    u64::try_from(ttl.as_nanos().div_ceil(1_000_000))
        .unwrap_or(u64::MAX)
        .max(1)
}

/// `pattern` with Redis' glob characters escaped, so `SCAN MATCH` takes it
/// literally.
fn glob_escape(literal: &str) -> String {
    let mut out = String::with_capacity(literal.len() + 8);
    for c in literal.chars() {
        if matches!(c, '*' | '?' | '[' | ']' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// An integer reply (`UNLINK`'s count), or the wrong-type error.
fn integer(command: &str, reply: &Value) -> Result<i64> {
    match reply {
        Value::Integer(n) => Ok(*n),
        other => Err(unexpected(command, other)),
    }
}

/// `SCAN`'s reply: the next cursor and the page of keys.
fn scan_page(reply: Value) -> Result<(Vec<u8>, Vec<Vec<u8>>)> {
    let Value::Array(parts) = reply else {
        return Err(unexpected("SCAN", &reply));
    };
    let mut parts = parts.into_iter();
    match (parts.next(), parts.next(), parts.next()) {
        (Some(Value::Bulk(cursor)), Some(Value::Array(keys)), None)
            if !cursor.is_empty() && cursor.iter().all(u8::is_ascii_digit) =>
        {
            let keys = keys
                .into_iter()
                .map(|k| match k {
                    Value::Bulk(k) => Ok(k),
                    other => Err(unexpected("SCAN", &other)),
                })
                .collect::<Result<Vec<_>>>()?;
            Ok((cursor, keys))
        }
        _ => Err(Error::Backend(
            "unexpected reply to Redis SCAN: not [cursor, [keys]]".into(),
        )),
    }
}

impl<C: Connector> CacheBackend for RedisBackend<C> {
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>> {
        Ok(self.get_with_expiry(key).await?.map(|e| e.value))
    }

    async fn set(&self, key: &str, value: Vec<u8>, ttl: Option<Duration>) -> Result<()> {
        let stored = self.scope.stored_key(key)?;
        check_ttl(ttl)?;
        let size = value.len().saturating_add(record::HEADER_LEN);
        if size > Self::MAX_VALUE_BYTES {
            return Err(Error::ValueTooLarge {
                size: u64::try_from(size).unwrap_or(u64::MAX),
                limit: Self::MAX_VALUE_BYTES as u64,
            });
        }
        let ttl = self.scope.ttl(ttl);
        let expires_at = expiry_after(self.scope.write_ms(), ttl);
        // The header alone; the value is copied once, into the command.
        let header = record::encode(expires_at, &[]);
        let mut pipeline = Pipeline::default();
        let record: &[&[u8]] = &[&header, &value];
        match ttl {
            Some(ttl) => {
                let px = px(ttl).to_string();
                pipeline.push_parts(
                    "SET",
                    &[&[stored.as_bytes()], record, &[b"PX"], &[px.as_bytes()]],
                );
            }
            None => pipeline.push_parts("SET", &[&[stored.as_bytes()], record]),
        }
        drop(value);
        self.link
            .exchange(pipeline, |replies| match replies.first() {
                Some(Value::Simple(ok)) if ok == b"OK" => Ok(()),
                Some(other) => Err(unexpected("SET", other)),
                None => Err(Error::Backend("no reply to Redis SET".into())),
            })
            .await
    }

    async fn delete(&self, key: &str) -> Result<()> {
        self.mdelete(&[key]).await
    }

    async fn mget(&self, keys: &[&str]) -> Result<Vec<Option<Vec<u8>>>> {
        Ok(Entry::values(self.lookup(keys).await?))
    }

    async fn mdelete(&self, keys: &[&str]) -> Result<()> {
        let stored = keys
            .iter()
            .map(|k| self.scope.stored_key(k))
            .collect::<Result<Vec<_>>>()?;
        if stored.is_empty() {
            return Ok(());
        }
        let mut pipeline = Pipeline::default();
        Self::push_unlink(&mut pipeline, &stored);
        self.link
            .exchange(pipeline, |replies| {
                for reply in &replies {
                    integer("UNLINK", reply)?;
                }
                Ok(())
            })
            .await
    }

    /// One `PING`: `Ok(true)` on `PONG`, the error otherwise (server down:
    /// [`Error::Unavailable`]; refused credentials: [`Error::Auth`]).
    async fn health_check(&self) -> Result<bool> {
        let mut pipeline = Pipeline::default();
        pipeline.push("PING", &[]);
        self.link
            .exchange(pipeline, |replies| match replies.first() {
                Some(Value::Simple(pong)) if pong == b"PONG" => Ok(true),
                Some(other) => Err(unexpected("PING", other)),
                None => Err(Error::Backend("no reply to Redis PING".into())),
            })
            .await
    }

    /// Deletes every key of this handle's namespace (without one: every key
    /// of the empty namespace, `0::*`), and nothing else: `SCAN cursor MATCH
    /// <escaped prefix>* COUNT 1000` until the cursor comes back to 0, each
    /// page `UNLINK`ed in the same write as the next `SCAN`. Never
    /// `FLUSHDB`. Keys written while it runs may survive.
    async fn clear_all(&self) -> Result<()> {
        let prefix = self.scope.prefix();
        let pattern = format!("{}*", glob_escape(&prefix));
        // The cursor of the next SCAN (`None` once the scan is complete),
        // and the keys of the last page, to UNLINK in the same write.
        let mut cursor: Option<Vec<u8>> = Some(b"0".to_vec());
        let mut doomed: Vec<Vec<u8>> = Vec::new();
        while cursor.is_some() || !doomed.is_empty() {
            let mut pipeline = Pipeline::default();
            Self::push_unlink(&mut pipeline, &doomed);
            let unlinks = doomed.len().div_ceil(KEYS_PER_COMMAND);
            if let Some(cursor) = &cursor {
                pipeline.push(
                    "SCAN",
                    &[cursor, b"MATCH", pattern.as_bytes(), b"COUNT", SCAN_COUNT],
                );
            }
            let scanning = cursor.is_some();
            let page = self
                .link
                .exchange(pipeline, |mut replies| {
                    let scan = if scanning { replies.pop() } else { None };
                    if replies.len() != unlinks {
                        return Err(Error::Backend("missing replies to Redis UNLINK".into()));
                    }
                    for reply in &replies {
                        integer("UNLINK", reply)?;
                    }
                    scan.map(scan_page).transpose()
                })
                .await?;
            let Some((next, keys)) = page else {
                break;
            };
            // Only ours, even if the server's MATCH were looser.
            doomed = keys
                .into_iter()
                .filter(|k| k.starts_with(prefix.as_bytes()))
                .collect();
            cursor = (next != b"0").then_some(next);
        }
        Ok(())
    }
}

impl<C: Connector> ExpiryAware for RedisBackend<C> {
    async fn get_with_expiry(&self, key: &str) -> Result<Option<Entry>> {
        self.lookup_one(key).await
    }

    async fn mget_with_expiry(&self, keys: &[&str]) -> Result<Vec<Option<Entry>>> {
        self.lookup(keys).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn px_rounds_up_to_whole_milliseconds() {
        assert_eq!(px(Duration::from_nanos(1)), 1);
        assert_eq!(px(Duration::from_micros(1_500)), 2);
        assert_eq!(px(Duration::from_millis(150)), 150);
    }

    #[test]
    fn glob_characters_are_escaped() {
        assert_eq!(glob_escape("3:a*b:"), "3:a\\*b:");
        assert_eq!(glob_escape("5:?[]\\:"), "5:\\?\\[\\]\\\\:");
        assert_eq!(glob_escape("0::"), "0::");
    }
}
