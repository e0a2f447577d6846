//! The wasm-bindgen surface behind the JavaScript `ResponseCache`: the pure
//! [`crate::http`] policy with JavaScript-shaped inputs and outputs.
//!
//! Header lists cross as flat string arrays (`[name, value, name, value, …]`),
//! which wasm-bindgen passes without building objects. Decisions come back as
//! small plain objects; `js/response-cache.js` does the fetching, the
//! storing through any `EdgeCache`, and `waitUntil`.

use js_sys::{Object, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;

use super::error::to_js_error;
use crate::http::range::{evaluate_range, RangeAnswer};
use crate::http::status::{CacheStatusField, Forward};
use crate::http::vary::{variant_key_for_response, variant_keys};
use crate::http::{
    cache_key, entry_key, invalidations, CacheOptions, Conditional, Headers, Lookup, Policy,
    Request, Response, StoredResponse, Vary,
};

fn headers(flat: Vec<String>) -> Headers {
    let mut out = Headers::new();
    let mut it = flat.into_iter();
    while let (Some(name), Some(value)) = (it.next(), it.next()) {
        out.append(name, value);
    }
    out
}

fn flat(headers: &Headers) -> Vec<String> {
    headers
        .iter()
        .flat_map(|(name, value)| [name.to_owned(), value.to_owned()])
        .collect()
}

fn millis(t: f64) -> u64 {
    if t.is_finite() && t > 0.0 {
        t as u64
    } else {
        0
    }
}

fn object(fields: &[(&str, JsValue)]) -> JsValue {
    let obj = Object::new();
    for (name, value) in fields {
        // Defining a data property on a fresh plain object cannot fail.
        let _ = Reflect::set(&obj, &JsValue::from_str(name), value);
    }
    obj.into()
}

fn strings(values: Vec<String>) -> JsValue {
    values
        .into_iter()
        .map(JsValue::from)
        .collect::<js_sys::Array>()
        .into()
}

/// A decoded stored response.
#[wasm_bindgen]
pub struct StoredHandle {
    inner: StoredResponse,
}

#[wasm_bindgen]
impl StoredHandle {
    /// The stored status code.
    #[wasm_bindgen(getter)]
    pub fn status(&self) -> u16 {
        self.inner.status
    }

    /// The header fields to serve at `now`, with a correct `Age`.
    #[wasm_bindgen(js_name = headersAt)]
    pub fn headers_at(&self, now: f64) -> Vec<String> {
        flat(&self.inner.headers_at(millis(now)))
    }

    /// A copy of the stored body.
    pub fn body(&self) -> Uint8Array {
        Uint8Array::from(self.inner.body.as_slice())
    }

    /// A copy of bytes `first..=last` of the stored body (clipped to it).
    #[wasm_bindgen(js_name = bodyRange)]
    pub fn body_range(&self, first: f64, last: f64) -> Uint8Array {
        let body = self.inner.body.as_slice();
        let start = millis(first) as usize;
        let end = (millis(last) as usize).saturating_add(1).min(body.len());
        Uint8Array::from(body.get(start..end).unwrap_or_default())
    }
}

/// The RFC 9111 policy for one `ResponseCache`.
#[wasm_bindgen]
pub struct HttpPolicy {
    policy: Policy,
}

#[wasm_bindgen]
impl HttpPolicy {
    /// A policy: `shared` cache or not, an optional targeted field (checked
    /// before `CDN-Cache-Control`), whether `Set-Cookie` responses may be
    /// stored by a shared cache, and the default stale-if-error window in
    /// seconds (0 for none).
    #[wasm_bindgen(constructor)]
    pub fn new(
        shared: bool,
        targeted_field: Option<String>,
        cache_set_cookie: bool,
        stale_if_error_secs: f64,
    ) -> HttpPolicy {
        let mut options = CacheOptions::default()
            .shared(shared)
            .cache_set_cookie(cache_set_cookie)
            .stale_if_error(millis(stale_if_error_secs));
        if let Some(field) = targeted_field {
            options = options.targeted_field(field);
        }
        HttpPolicy {
            policy: Policy::new(options),
        }
    }

    /// The primary cache key of a request; throws `EDGECACHE_UNSUPPORTED` for
    /// methods whose responses are never stored.
    #[wasm_bindgen(js_name = cacheKey)]
    pub fn cache_key(&self, method: &str, url: &str) -> Result<String, JsValue> {
        cache_key(method, url).map_err(to_js_error)
    }

    /// Why a response cannot be stored, or `undefined` if it can (checked
    /// before reading its body).
    #[wasm_bindgen(js_name = notStorable)]
    pub fn not_storable(
        &self,
        method: String,
        url: String,
        request_headers: Vec<String>,
        status: u16,
        response_headers: Vec<String>,
        now: f64,
    ) -> Option<String> {
        let request = request(method, url, request_headers);
        let response = response(status, response_headers);
        self.policy
            .storable(&request, &response, millis(now))
            .err()
            .map(|reason| reason.as_str().to_owned())
    }

    /// Encodes a response for storage: `{ record, expiresAt, vary, variant }`
    /// (`expiresAt` undefined for "keep while it can be revalidated";
    /// `variant` undefined for `Vary: *`), or `{ notStorable }`.
    #[allow(clippy::too_many_arguments)]
    pub fn store(
        &self,
        method: String,
        url: String,
        request_headers: Vec<String>,
        status: u16,
        response_headers: Vec<String>,
        body: Vec<u8>,
        request_time: f64,
        response_time: f64,
    ) -> JsValue {
        let request = request(method, url, request_headers);
        let response = response(status, response_headers);
        match self.policy.store(
            &request,
            &response,
            body,
            millis(request_time),
            millis(response_time),
        ) {
            Ok(stored) => self.encoded(&request, &stored),
            Err(reason) => object(&[("notStorable", JsValue::from_str(reason.as_str()))]),
        }
    }

    /// Updates a stored response from a 304 and encodes it as `store` does;
    /// `undefined` if the 304 does not select it (then refetch in full).
    #[allow(clippy::too_many_arguments)]
    pub fn freshen(
        &self,
        stored: &StoredHandle,
        method: String,
        url: String,
        request_headers: Vec<String>,
        not_modified_headers: Vec<String>,
        request_time: f64,
        response_time: f64,
    ) -> JsValue {
        let request = request(method, url, request_headers);
        let not_modified = response(304, not_modified_headers);
        let Some(updated) =
            self.policy
                .freshen(&stored.inner, &not_modified, millis(response_time))
        else {
            return JsValue::UNDEFINED;
        };
        match self.policy.store(
            &request,
            &updated,
            stored.inner.body.clone(),
            millis(request_time),
            millis(response_time),
        ) {
            Ok(fresh) => self.encoded(&request, &fresh),
            Err(reason) => object(&[("notStorable", JsValue::from_str(reason.as_str()))]),
        }
    }

    fn encoded(&self, request: &Request, stored: &StoredResponse) -> JsValue {
        let vary = Vary::parse(&stored.headers);
        let variant = variant_key_for_response(&vary, &request.headers, &stored.headers);
        let expires_at = self
            .policy
            .useful_until(stored)
            .map_or(JsValue::UNDEFINED, |t| JsValue::from_f64(t as f64));
        object(&[
            (
                "record",
                Uint8Array::from(stored.encode().as_slice()).into(),
            ),
            ("expiresAt", expires_at),
            ("vary", JsValue::from_str(&vary.header_value())),
            (
                "variant",
                variant.map_or(JsValue::UNDEFINED, |v| JsValue::from_str(&v)),
            ),
        ])
    }

    /// Decodes a stored record; throws `EDGECACHE_DECODE` for anything else.
    pub fn decode(&self, bytes: &[u8]) -> Result<StoredHandle, JsValue> {
        StoredResponse::decode(bytes)
            .map(|inner| StoredHandle { inner })
            .map_err(to_js_error)
    }

    /// The storage key of a variant: `variant` is from `variantKey`.
    #[wasm_bindgen(js_name = entryKey)]
    pub fn entry_key(&self, primary: &str, variant: &str) -> String {
        entry_key(primary, variant)
    }

    /// The variant keys a request may find a stored response under, for a
    /// stored `Vary` value, in the order to try them (none for `Vary: *`,
    /// which never matches).
    #[wasm_bindgen(js_name = variantKeys)]
    pub fn variant_keys(&self, vary: &str, request_headers: Vec<String>) -> Vec<String> {
        let vary = Vary::parse(&Headers::new().with("vary", vary));
        variant_keys(&vary, &headers(request_headers))
    }

    /// What to do with a request given the stored response:
    /// `{ kind, ageSecs, headers, staleIfError, reason }` where `kind` is
    /// `fresh`, `stale`, `stale-while-revalidate`, `revalidate`, `miss` or
    /// `gateway-timeout`, and `headers` are the forwarded request's fields
    /// for a revalidation.
    pub fn lookup(
        &self,
        method: String,
        url: String,
        request_headers: Vec<String>,
        stored: &StoredHandle,
        now: f64,
    ) -> JsValue {
        self.decide(
            request(method, url, request_headers),
            Some(&stored.inner),
            now,
        )
    }

    /// `lookup` when nothing is stored (a miss, or a 504 for `only-if-cached`).
    #[wasm_bindgen(js_name = lookupMissing)]
    pub fn lookup_missing(
        &self,
        method: String,
        url: String,
        request_headers: Vec<String>,
        now: f64,
    ) -> JsValue {
        self.decide(request(method, url, request_headers), None, now)
    }

    fn decide(&self, request: Request, stored: Option<&StoredResponse>, now: f64) -> JsValue {
        let (kind, age, revalidation, reason, fwd) =
            match self.policy.lookup(&request, stored, millis(now)) {
                Lookup::Fresh { age_secs } => ("fresh", Some(age_secs), None, None, None),
                Lookup::Stale { age_secs } => ("stale", Some(age_secs), None, None, None),
                Lookup::StaleWhileRevalidate {
                    age_secs,
                    revalidation,
                } => (
                    "stale-while-revalidate",
                    Some(age_secs),
                    Some(revalidation),
                    None,
                    None,
                ),
                Lookup::Revalidate(revalidation) => {
                    let reason = revalidation.reason;
                    let fwd = Forward::from(reason);
                    let reason = Some(reason.as_str());
                    ("revalidate", None, Some(revalidation), reason, Some(fwd))
                }
                Lookup::Miss(reason) => (
                    "miss",
                    None,
                    None,
                    Some(reason.as_str()),
                    Some(Forward::from(reason)),
                ),
                Lookup::GatewayTimeout => ("gateway-timeout", None, None, None, None),
            };
        object(&[
            ("kind", JsValue::from_str(kind)),
            (
                "ageSecs",
                age.map_or(JsValue::UNDEFINED, |a| JsValue::from_f64(a as f64)),
            ),
            (
                "headers",
                revalidation.as_ref().map_or(JsValue::UNDEFINED, |r| {
                    strings(flat(&r.request_headers(&request.headers)))
                }),
            ),
            (
                "staleIfError",
                JsValue::from_bool(revalidation.as_ref().is_some_and(|r| r.stale_if_error)),
            ),
            (
                "reason",
                reason.map_or(JsValue::UNDEFINED, JsValue::from_str),
            ),
            (
                "fwd",
                fwd.map_or(JsValue::UNDEFINED, |f| JsValue::from_str(f.as_str())),
            ),
        ])
    }

    /// How to answer a `Range` request from `stored` (RFC 9110 §14):
    /// `{ kind: "full" }`, `{ kind: "partial", first, last, contentRange }`,
    /// `{ kind: "unsatisfiable", contentRange }` or `{ kind: "forward" }`.
    pub fn range(
        &self,
        method: &str,
        request_headers: Vec<String>,
        stored: &StoredHandle,
    ) -> JsValue {
        let answer = evaluate_range(
            method,
            &headers(request_headers),
            stored.inner.status,
            &stored.inner.headers,
            stored.inner.body.len() as u64,
        );
        let content_range = answer
            .content_range()
            .map_or(JsValue::UNDEFINED, |v| JsValue::from_str(&v));
        match answer {
            RangeAnswer::Full => object(&[("kind", JsValue::from_str("full"))]),
            RangeAnswer::Forward => object(&[("kind", JsValue::from_str("forward"))]),
            RangeAnswer::Unsatisfiable { .. } => object(&[
                ("kind", JsValue::from_str("unsatisfiable")),
                ("contentRange", content_range),
            ]),
            RangeAnswer::Partial { first, last, .. } => object(&[
                ("kind", JsValue::from_str("partial")),
                ("first", JsValue::from_f64(first as f64)),
                ("last", JsValue::from_f64(last as f64)),
                ("contentRange", content_range),
            ]),
        }
    }

    /// The stored response's remaining freshness at `now` in whole seconds,
    /// negative once stale, rounded away from zero (RFC 9211's `ttl`).
    #[wasm_bindgen(js_name = ttlSecs)]
    pub fn ttl_secs(&self, stored: &StoredHandle, now: f64) -> f64 {
        let freshness = self.policy.freshness(&stored.inner, millis(now));
        if freshness.is_fresh() {
            (freshness.remaining_ms() / 1_000) as f64
        } else {
            // Stale by any amount is negative: -1 for the first second.
            -(freshness.staleness_ms().max(1).div_ceil(1_000) as f64)
        }
    }

    /// Our `Cache-Status` member (RFC 9211): `fwd` is a token from a
    /// decision's `fwd` (an unknown one is left out), `ttl` whole seconds.
    #[wasm_bindgen(js_name = cacheStatus)]
    #[allow(clippy::too_many_arguments)]
    pub fn cache_status(
        &self,
        hit: bool,
        fwd: Option<String>,
        fwd_status: Option<u16>,
        stored: bool,
        collapsed: bool,
        ttl: Option<f64>,
        detail: Option<String>,
    ) -> String {
        CacheStatusField {
            hit,
            fwd: fwd.and_then(|token| token.parse().ok()),
            fwd_status,
            stored,
            collapsed,
            ttl: ttl.filter(|t| t.is_finite()).map(|t| t as i64),
            detail,
        }
        .to_string()
    }

    /// The header fields of a `304` answering the client's own conditional
    /// request from `stored`, or `undefined` to serve it in full.
    #[wasm_bindgen(js_name = notModified)]
    pub fn not_modified(
        &self,
        method: String,
        url: String,
        request_headers: Vec<String>,
        stored: &StoredHandle,
        now: f64,
    ) -> Option<Vec<String>> {
        let request = request(method, url, request_headers);
        match self
            .policy
            .evaluate_conditional(&request, &stored.inner, millis(now))
        {
            Conditional::NotModified(headers) => Some(flat(&headers)),
            Conditional::Full => None,
        }
    }

    /// The age to serve `stored` with when the origin fails, if its
    /// `stale-if-error` allows it now.
    #[wasm_bindgen(js_name = staleIfError)]
    pub fn stale_if_error(
        &self,
        method: String,
        url: String,
        request_headers: Vec<String>,
        stored: &StoredHandle,
        now: f64,
    ) -> Option<f64> {
        let request = request(method, url, request_headers);
        self.policy
            .stale_if_error(&request, &stored.inner, millis(now))
            .map(|age| age as f64)
    }

    /// The primary keys a response to an unsafe request invalidates.
    pub fn invalidations(
        &self,
        method: String,
        url: String,
        request_headers: Vec<String>,
        status: u16,
        response_headers: Vec<String>,
    ) -> Vec<String> {
        invalidations(
            &request(method, url, request_headers),
            &response(status, response_headers),
        )
    }
}

fn request(method: String, url: String, request_headers: Vec<String>) -> Request {
    Request {
        method,
        url,
        headers: headers(request_headers),
    }
}

fn response(status: u16, response_headers: Vec<String>) -> Response {
    Response {
        status,
        headers: headers(response_headers),
    }
}
