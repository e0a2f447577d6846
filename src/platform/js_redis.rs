//! `PersistentCore.openRedis`: the Redis cache behind `EdgeCache.redis`.

use js_sys::Function;
use wasm_bindgen::prelude::*;

use super::js_api::to_js_error;
use super::js_persistent::{alone_or_tiered, Persistent, PersistentCore};
use super::redis::JsConnector;
use crate::key::ttl_from_ms;
use crate::{Error, RedisBackend};

/// Options for [`PersistentCore::open_redis`], checked in JavaScript for
/// names and types and here for ranges.
#[wasm_bindgen]
#[derive(Default)]
pub struct RedisOptions {
    username: Option<String>,
    password: Option<String>,
    namespace: Option<String>,
    default_ttl_ms: Option<f64>,
    connect_timeout_ms: Option<f64>,
    memory_max_entries: Option<f64>,
    memory_max_bytes: Option<f64>,
    tiered: bool,
}

#[wasm_bindgen]
impl RedisOptions {
    /// Empty options: every field takes its default.
    #[wasm_bindgen(constructor)]
    pub fn new() -> RedisOptions {
        RedisOptions::default()
    }

    /// Sets the credentials (`AUTH [username] password`).
    #[wasm_bindgen(js_name = setAuth)]
    pub fn set_auth(&mut self, username: Option<String>, password: Option<String>) {
        self.username = username;
        self.password = password;
    }

    /// Sets the namespace and the numeric options.
    #[wasm_bindgen(js_name = setStore)]
    pub fn set_store(
        &mut self,
        namespace: Option<String>,
        default_ttl_ms: Option<f64>,
        connect_timeout_ms: Option<f64>,
    ) {
        self.namespace = namespace;
        self.default_ttl_ms = default_ttl_ms;
        self.connect_timeout_ms = connect_timeout_ms;
    }

    /// Puts a memory tier in front, with these bounds.
    #[wasm_bindgen(js_name = setMemory)]
    pub fn set_memory(&mut self, max_entries: Option<f64>, max_bytes: Option<f64>) {
        self.tiered = true;
        self.memory_max_entries = max_entries;
        self.memory_max_bytes = max_bytes;
    }
}

fn build(open: Function, options: RedisOptions) -> Result<Persistent, Error> {
    let default_ttl = options.default_ttl_ms.map(ttl_from_ms).transpose()?;
    let mut redis = RedisBackend::builder(JsConnector::new(open)?);
    if let Some(ns) = &options.namespace {
        redis = redis.namespace(ns.clone());
    }
    if let Some(ttl) = default_ttl {
        redis = redis.default_ttl(ttl);
    }
    if let Some(user) = options.username {
        redis = redis.username(user);
    }
    if let Some(password) = options.password {
        redis = redis.password(password);
    }
    if let Some(ms) = options.connect_timeout_ms {
        redis = redis.connect_timeout(ttl_from_ms(ms).map_err(|_| {
            Error::InvalidOptions(format!(
                "connectTimeoutMs must be a positive, finite number of milliseconds, got {ms}"
            ))
        })?);
    }
    alone_or_tiered(
        redis.build()?,
        options
            .tiered
            .then_some((options.memory_max_entries, options.memory_max_bytes)),
        default_ttl,
        options.namespace,
        Persistent::Redis,
        Persistent::RedisTiered,
    )
}

#[wasm_bindgen]
impl PersistentCore {
    /// A Redis cache over the sockets `open(timeoutMs)` resolves to (see
    /// `js/redis.js`), tiered behind a memory cache if `options` has a memory
    /// tier. Connects on the first call, not here.
    #[wasm_bindgen(js_name = openRedis)]
    pub fn open_redis(open: Function, options: RedisOptions) -> Result<PersistentCore, JsValue> {
        build(open, options)
            .map(|backend| PersistentCore { backend })
            .map_err(to_js_error)
    }
}
