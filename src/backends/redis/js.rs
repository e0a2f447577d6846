//! `PersistentCore.openRedis`: the Redis cache behind `EdgeCache.redis`.

use js_sys::{Array, Float64Array, Function, Promise, Uint8Array};
use wasm_bindgen::prelude::*;

use crate::backend::Entry;
use crate::error::JsNumber;
use crate::key::ttl_from_ms;
use crate::wasm::convert::promise;
use crate::wasm::error::to_js_error;
use crate::wasm::persistent::{PersistentCore, Store, StoreOptions};
use crate::wasm::socket::JsConnector;
use crate::{Error, RedisBackend};

fn build(
    open: Function,
    options: StoreOptions,
    username: Option<String>,
    password: Option<String>,
    connect_timeout_ms: Option<f64>,
) -> Result<Store, Error> {
    let mut redis = RedisBackend::builder(JsConnector::new(open, "Redis")?);
    if let Some(ns) = options.namespace() {
        redis = redis.namespace(ns);
    }
    if let Some(ttl) = options.default_ttl()? {
        redis = redis.default_ttl(ttl);
    }
    if let Some(user) = username {
        redis = redis.username(user);
    }
    if let Some(password) = password {
        redis = redis.password(password);
    }
    if let Some(ms) = connect_timeout_ms {
        redis = redis.connect_timeout(ttl_from_ms(ms).map_err(|_| {
            Error::InvalidOptions(format!(
                "connectTimeoutMs must be a positive, finite number of milliseconds, got {}",
                JsNumber(ms)
            ))
        })?);
    }
    Ok(Store::Redis(redis.build()?))
}

#[wasm_bindgen]
impl PersistentCore {
    /// A Redis cache over the sockets `open(timeoutMs)` resolves to (see
    /// `js/redis.js`), authenticating with `username`/`password` if given
    /// (`AUTH [username] password`). Connects on the first call, not here.
    #[wasm_bindgen(js_name = openRedis)]
    pub fn open_redis(
        open: Function,
        options: StoreOptions,
        username: Option<String>,
        password: Option<String>,
        connect_timeout_ms: Option<f64>,
    ) -> Result<PersistentCore, JsValue> {
        build(open, options, username, password, connect_timeout_ms)
            .map(PersistentCore::new)
            .map_err(to_js_error)
    }
}

/// Values shorter than this share a `Uint8Array` with the other values of a
/// batch (see [`PersistentCore::redis_get_batch`]); longer ones get their own.
const SHARED_BELOW: usize = 4 * 1024;

/// The most bytes of values that share one `Uint8Array`: what a kept value
/// can hold on to besides itself.
const SHARED_GROUP_BYTES: usize = 16 * 1024;

/// `keys`, given as one string and the UTF-16 length of each, split back.
fn split_keys<'a>(joined: &'a str, lengths: &[u32]) -> Result<Vec<&'a str>, Error> {
    let mut keys = Vec::with_capacity(lengths.len());
    let mut chars = joined.char_indices();
    let mut start = 0;
    for &length in lengths {
        let mut units = 0usize;
        let mut end = start;
        while units < length as usize {
            let Some((at, c)) = chars.next() else {
                return Err(Error::InvalidKey(
                    "a batch's keys are shorter than their lengths".into(),
                ));
            };
            units += c.len_utf16();
            end = at + c.len_utf8();
        }
        keys.push(joined.get(start..end).unwrap_or_default());
        start = end;
    }
    if chars.next().is_some() {
        return Err(Error::InvalidKey(
            "a batch's keys are longer than their lengths".into(),
        ));
    }
    Ok(keys)
}

/// The outcomes of a batch of gets, in the shape `js/redis.js` reads:
/// `[groups, spans, errors]`. `groups` is an array of `Uint8Array`s holding
/// the values; `spans` four numbers per key: the group (`-1` for a miss,
/// `-2` for a failure), the value's start and end in it, and its expiry
/// (`NaN` for none); `errors` `undefined`, or an array with the error of
/// each failed key at its index. With `share`, values shorter than
/// [`SHARED_BELOW`] are copied together, [`SHARED_GROUP_BYTES`] at most per
/// group (one allocation for many small values instead of one each);
/// without, every value has a group of its own (for a memory tier, which
/// counts each value's bytes and must not keep others alive).
fn batch_answer(outcomes: Vec<Result<Option<Entry>, Error>>, share: bool) -> JsValue {
    let groups = Array::new();
    let mut spans = Vec::with_capacity(outcomes.len() * 4);
    let mut errors: Option<Array> = None;
    let mut group: Vec<u8> = Vec::new();
    let flush = |group: &mut Vec<u8>, groups: &Array| {
        if !group.is_empty() {
            groups.push(&Uint8Array::from(group.as_slice()));
            group.clear();
        }
    };
    for (i, outcome) in outcomes.into_iter().enumerate() {
        match outcome {
            Ok(None) => spans.extend_from_slice(&[-1.0, 0.0, 0.0, f64::NAN]),
            Err(e) => {
                spans.extend_from_slice(&[-2.0, 0.0, 0.0, f64::NAN]);
                let errors = errors.get_or_insert_with(Array::new);
                errors.set(i as u32, to_js_error(e));
            }
            Ok(Some(entry)) => {
                let len = entry.value.len();
                // An empty value gets an array of its own: sharing needs
                // bytes in the group, or the group is never pushed.
                let shared = share && len > 0 && len < SHARED_BELOW;
                if !shared || group.len() + len > SHARED_GROUP_BYTES {
                    flush(&mut group, &groups);
                }
                let (index, start) = if shared {
                    // The group being filled is the next one pushed.
                    let start = group.len();
                    group.extend_from_slice(&entry.value);
                    (groups.length(), start)
                } else {
                    groups.push(&Uint8Array::from(entry.value.as_slice()));
                    (groups.length() - 1, 0)
                };
                // Far below 2^53: expiries are at most a century ahead.
                let expires_at = entry.expires_at.map_or(f64::NAN, |at| at as f64);
                spans.extend_from_slice(&[
                    f64::from(index),
                    start as f64,
                    (start + len) as f64,
                    expires_at,
                ]);
            }
        }
    }
    flush(&mut group, &groups);
    let spans = Float64Array::from(spans.as_slice());
    let errors = errors.map_or(JsValue::UNDEFINED, JsValue::from);
    Array::of3(&groups, &spans, &errors).into()
}

#[wasm_bindgen]
impl PersistentCore {
    /// The gets made in one tick, crossing into wasm once (see
    /// `js/redis.js`): `keys` joined into one string, `lengths` the UTF-16
    /// length of each. Resolves to `[groups, spans, errors]` (see
    /// `batch_answer`), with values sharing arrays unless `withExpiry`.
    #[wasm_bindgen(js_name = redisGetBatch)]
    pub fn redis_get_batch(&self, keys: String, lengths: Vec<u32>, with_expiry: bool) -> Promise {
        let store = self.store.clone();
        promise(async move {
            #[allow(unreachable_patterns)]
            let redis = match store {
                Store::Redis(redis) => redis,
                _ => {
                    return Err(Error::Unsupported(
                        "redisGetBatch is for Redis caches".into(),
                    ))
                }
            };
            let keys = split_keys(&keys, &lengths)?;
            let outcomes = redis.get_each_with_expiry(&keys).await;
            Ok(batch_answer(outcomes, !with_expiry))
        })
    }
}
