//! `PersistentCore.openRedis`: the Redis cache behind `EdgeCache.redis`.

use js_sys::{Array, Float64Array, Function, Uint8Array};
use wasm_bindgen::prelude::*;

use crate::backend::{Entry, ExpiryAware};
use crate::error::JsNumber;
use crate::key::ttl_from_ms;
use crate::wasm::error::to_js_error;
use crate::wasm::executor;
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

/// The outcomes of a batch of gets, as the three arguments `js/redis.js`'s
/// callback takes: `values` holds a `Uint8Array` of its own for each hit
/// (`undefined` for a miss or a failure: no value ever shares its
/// `ArrayBuffer`, so transferring or detaching one leaves the others whole);
/// `expiries` `undefined` when no hit has an expiry, else a `Float64Array`
/// of each hit's expiry (`NaN` for none, a miss or a failure); `errors`
/// `undefined`, or an array with the error of each failed key at its index.
/// (Nothing is allocated that a batch of hits without expiries does not
/// need: a one-key get is the common batch, and an `ArrayBuffer` costs
/// about as much as the rest of its answer.)
fn batch_answer(outcomes: Vec<Result<Option<Entry>, Error>>) -> (Array, JsValue, JsValue) {
    let values = Array::new_with_length(outcomes.len() as u32);
    let mut expiries: Option<Vec<f64>> = None;
    let mut errors: Option<Array> = None;
    let count = outcomes.len();
    for (i, outcome) in outcomes.into_iter().enumerate() {
        match outcome {
            Ok(None) => {}
            Err(e) => errors
                .get_or_insert_with(Array::new)
                .set(i as u32, to_js_error(e)),
            Ok(Some(entry)) => {
                values.set(i as u32, Uint8Array::from(entry.value.as_slice()).into());
                if let Some(at) = entry.expires_at {
                    let expiries = expiries.get_or_insert_with(|| vec![f64::NAN; count]);
                    // Far below 2^53: expiries are at most a century ahead.
                    if let Some(slot) = expiries.get_mut(i) {
                        *slot = at as f64;
                    }
                }
            }
        }
    }
    let expiries = expiries.map_or(JsValue::UNDEFINED, |e| {
        Float64Array::from(e.as_slice()).into()
    });
    let errors = errors.map_or(JsValue::UNDEFINED, JsValue::from);
    (values, expiries, errors)
}

#[wasm_bindgen]
impl PersistentCore {
    /// One get, the batch of a tick with one key (an awaited get: the
    /// common call): what [`redis_get_batch`](Self::redis_get_batch) does
    /// for it, without the batch's arrays or its callback. Calls
    /// `resolve(value)` (`undefined` for a miss; `[value, expiresAt]` when
    /// `with_expiry`, `expiresAt` `undefined` for none) or `reject(error)`;
    /// runs on [`executor`] like a batch.
    #[wasm_bindgen(js_name = redisGet)]
    pub fn redis_get(&self, key: String, with_expiry: bool, resolve: Function, reject: Function) {
        let store = self.store.clone();
        executor::spawn(async move {
            #[allow(unreachable_patterns)]
            let outcome = match &store {
                Store::Redis(redis) => redis.get_with_expiry(&key).await,
                _ => Err(Error::Unsupported("redisGet is for Redis caches".into())),
            };
            let none = JsValue::UNDEFINED;
            // A throwing resolve or reject is the glue's bug; it has nothing to unwind.
            let _ = match outcome {
                Ok(None) => resolve.call1(&none, &none),
                Ok(Some(entry)) => {
                    // A buffer of its own, as in a batch's answer.
                    let value = JsValue::from(Uint8Array::from(entry.value.as_slice()));
                    if with_expiry {
                        // Far below 2^53: expiries are at most a century ahead.
                        let expires_at = entry
                            .expires_at
                            .map_or(JsValue::UNDEFINED, |at| JsValue::from_f64(at as f64));
                        resolve.call1(&none, &Array::of2(&value, &expires_at))
                    } else {
                        resolve.call1(&none, &value)
                    }
                }
                Err(e) => reject.call1(&none, &to_js_error(e)),
            };
        });
    }

    /// The gets made in one tick, crossing into wasm once (see
    /// `js/redis.js`): `keys` joined into one string, `lengths` the UTF-16
    /// length of each (`undefined` for a batch of one key). Calls
    /// `settle(values, expiries, errors)` (see `batch_answer`), or
    /// `settle(undefined, undefined, undefined, error)` if the batch failed
    /// as a whole; runs on [`executor`], so the request is written before
    /// this returns and `settle` is called in the event that brings the
    /// reply.
    #[wasm_bindgen(js_name = redisGetBatch)]
    pub fn redis_get_batch(&self, keys: String, lengths: Option<Vec<u32>>, settle: Function) {
        let store = self.store.clone();
        executor::spawn(async move {
            let answer = async {
                #[allow(unreachable_patterns)]
                let redis = match store {
                    Store::Redis(redis) => redis,
                    _ => {
                        return Err(Error::Unsupported(
                            "redisGetBatch is for Redis caches".into(),
                        ))
                    }
                };
                let keys = match lengths.as_deref() {
                    Some(lengths) => split_keys(&keys, lengths)?,
                    None => vec![keys.as_str()],
                };
                Ok(batch_answer(redis.get_each_with_expiry(&keys).await))
            }
            .await;
            let none = JsValue::UNDEFINED;
            // A throwing settle is the glue's bug; it has nothing to unwind.
            let _ = match answer {
                Ok((values, expiries, errors)) => settle.call3(&none, &values, &expiries, &errors),
                Err(e) => settle.call4(&none, &none, &none, &none, &to_js_error(e)),
            };
        });
    }
}
