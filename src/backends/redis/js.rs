//! `PersistentCore.openRedis`: the Redis cache behind `EdgeCache.redis`.

use js_sys::Function;
use wasm_bindgen::prelude::*;

use crate::error::JsNumber;
use crate::key::ttl_from_ms;
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
