//! HTTP response caching policy (RFC 9111), pure: no I/O, no clock, no
//! JavaScript. Every time is an argument in ms since the Unix epoch.
//!
//! This is the logic behind a `ResponseCache` that stores `Response`s in any
//! of the crate's caches. The pieces:
//!
//! | module | RFC | what |
//! |---|---|---|
//! | [`cache_control`] | 9111 §5.2, 9213, 5861, 8246 | directive parsing, duplicates, invalid values, targeted fields |
//! | [`date`] | 9110 §5.6.7 | strict HTTP-date parsing (three formats only), IMF-fixdate formatting |
//! | [`vary`] | 9111 §2, §4.1 | primary key, variant key, `Vary` matching and normalisation |
//! | [`policy`] | 9111 §3, §4 | storable, freshness, age, lookup, stale-while-revalidate / stale-if-error, 304 freshening, conditional requests, invalidation (a folder, one file per concept: see its table) |
//! | [`range`] | 9110 §14, §13.1.5 | single byte ranges of a stored response (`206`, `416`, `If-Range`) |
//! | [`status`] | 9211 | `Cache-Status` and `x-edgecache`: what the cache did |
//! | [`stored`] | — | the compact binary stored form |
//!
//! # Read-through, step by step
//!
//! ```text
//! fetch(request):
//!   key = cache_key(method, url)            // Err(Unsupported) for POST etc. → forward, then
//!                                           //   delete invalidations(request, response)  [BYPASS]
//!   stored = first read(entry_key(key, k)) for k in variant_keys(vary_of(key), request.headers)
//!   match policy.lookup(request, stored, now):
//!     Fresh | Stale          → serve stored.headers_at(now) (after evaluate_conditional)  [HIT | STALE]
//!     StaleWhileRevalidate   → serve as above [STALE]; waitUntil(revalidate in background)
//!     Revalidate(r)          → forward with r.request_headers(request.headers):
//!                                304 → policy.freshen(stored, 304, now) → serve, policy.store(...) [REVALIDATED]
//!                                200 → policy.store(...) if storable, serve [MISS]
//!                                error/5xx → policy.stale_if_error(request, stored, now)? serve stale [STALE]
//!     Miss(_)                → forward; policy.store(...) if storable [MISS]
//!     GatewayTimeout         → 504 (only-if-cached)
//! ```
//!
//! Store with `policy.store(request, response, body, request_time,
//! response_time)`: `request_time` is when the request was sent to the
//! origin, `response_time` when its response arrived (RFC 9111 §4.2.3). Use
//! [`Policy::useful_until`] as the storage TTL.
//!
//! # Decisions the RFCs leave open
//!
//! - **Methods.** Only responses to GET are stored; GET and HEAD are answered
//!   from them. Every other method is forwarded ("write through") and, with a
//!   2xx/3xx answer, invalidates (RFC 9111 §4.4, unknown methods included).
//! - **`no-cache="field"`** is treated as unqualified `no-cache`: the whole
//!   response is revalidated before every use. RFC 9111 §5.2.2.4 allows
//!   serving it without the named fields instead, but also notes the qualified
//!   form "is often handled by caches as if an unqualified no-cache directive
//!   was received"; revalidating is never wrong, stripping is easy to get
//!   wrong across 304 updates.
//! - **`private="field"`** in a shared cache: the named fields are removed and
//!   the rest is stored (RFC 9111 §5.2.2.7 allows exactly that). Unqualified
//!   or unparsable `private` is not stored.
//! - **Duplicates and invalid values** (RFC 9111 §4.2.1): a repeated
//!   `max-age`/`s-maxage` with different values, or a non-integer one, makes
//!   the response stale (it is still stored if it has a validator); two
//!   different `Expires` lines or an invalid `Expires` date mean "already
//!   expired"; an invalid request `max-age` is read as 0, an invalid
//!   `min-fresh` as never satisfied, and invalid permissions (`max-stale`,
//!   `stale-while-revalidate`, `stale-if-error`) grant nothing. See
//!   [`cache_control`].
//! - **Stale responses, client side.** A request's `max-stale` or
//!   `stale-if-error` never overrides `must-revalidate`, `no-cache`, and, in a
//!   shared cache, `proxy-revalidate` or `s-maxage` (which "incorporates the
//!   semantics of the proxy-revalidate response directive").
//! - **Stale responses, origin side.** A response's own
//!   `stale-while-revalidate`/`stale-if-error` is honoured together with
//!   `s-maxage`/`proxy-revalidate` (the origin asked for both, e.g.
//!   `s-maxage=1, stale-while-revalidate=59`), never with `must-revalidate`
//!   or `no-cache`.
//! - **`Set-Cookie`** is not stored by a shared cache unless
//!   [`CacheOptions::cache_set_cookie`] is on (or the origin names it in
//!   `private="Set-Cookie"`).
//! - **`immutable`** (RFC 8246): while fresh, a request's `max-age` (a
//!   browser reload) does not force revalidation; a request's `no-cache` (a
//!   force reload) still does.
//! - **Heuristics** (RFC 9111 §4.2.2): [`CacheOptions::heuristic_percent`]
//!   (10%) of `Date − Last-Modified`, capped at
//!   [`CacheOptions::heuristic_max_secs`] (1 day), for the heuristically
//!   cacheable statuses and for `public` responses. No `Last-Modified`, no
//!   heuristic.
//! - **`Location`/`Content-Location`** are resolved against the target URI
//!   with the full RFC 3986 §5.2 algorithm before the same-origin check.
//! - **Ranges:** a single byte range is served from a stored complete
//!   response; several ranges are forwarded; a 206 is never stored (see
//!   [`range`]).
//! - **Not implemented:** storing 206s and combining them, storing
//!   HEAD responses, freshening from HEAD (RFC 9111 §4.3.5), POST caching
//!   (RFC 9110 §9.3.3), serving stale while disconnected without an explicit
//!   permission, the `Warning` field (obsoleted by RFC 9111).
//!
//! ```
//! use edgecache::http::{cache_key, CacheStatus, Lookup, Policy, Request, Response};
//!
//! let policy = Policy::default(); // a shared cache
//! let t0 = 1_700_000_000_000;
//! let req = Request::get("https://example.com/app.js");
//! let res = Response::new(200)
//!     .header("Cache-Control", "public, max-age=60, stale-while-revalidate=30")
//!     .header("ETag", "\"abc\"");
//! let stored = policy.store(&req, &res, b"console.log(1)".to_vec(), t0, t0).unwrap();
//! let bytes = stored.encode(); // put under cache_key("GET", url)
//! assert_eq!(cache_key("GET", &req.url).unwrap(), "https://example.com/app.js");
//!
//! let stored = edgecache::http::StoredResponse::decode(&bytes).unwrap();
//! match policy.lookup(&req, Some(&stored), t0 + 75_000) {
//!     Lookup::StaleWhileRevalidate { age_secs, revalidation } => {
//!         assert_eq!(age_secs, 75);
//!         assert_eq!(revalidation.headers.get("If-None-Match"), Some("\"abc\""));
//!         assert_eq!(CacheStatus::Stale.as_str(), "STALE");
//!     }
//!     other => panic!("{other:?}"),
//! }
//! ```

pub mod cache_control;
pub mod date;
mod etag;
mod headers;
pub mod policy;
pub mod range;
pub mod status;
pub mod stored;
mod uri;
pub mod vary;

pub use headers::Headers;
pub use policy::{
    invalidations, CacheOptions, Conditional, Freshness, Lookup, MissReason, NotStorable, Policy,
    RevalidateReason, Revalidation,
};
pub use status::CacheStatus;
pub use stored::StoredResponse;
pub use vary::{cache_key, entry_key, variant_key, Vary};

/// A request as the policy sees it: method, absolute URL and header fields.
///
/// The method is case-sensitive (RFC 9110 §9.1: "The method token is
/// case-sensitive"); `fetch` already upper-cases the standard ones.
///
/// ```
/// use edgecache::http::Request;
/// let req = Request::get("https://example.com/").header("Accept", "text/html");
/// assert_eq!((req.method.as_str(), req.headers.get("accept")), ("GET", Some("text/html")));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    /// The request method, e.g. `GET`.
    pub method: String,
    /// The absolute target URL.
    pub url: String,
    /// The request header fields.
    pub headers: Headers,
}

impl Request {
    /// A request with no header fields.
    ///
    /// ```
    /// let req = edgecache::http::Request::new("DELETE", "https://example.com/x");
    /// assert!(req.headers.is_empty());
    /// ```
    pub fn new(method: impl Into<String>, url: impl Into<String>) -> Request {
        Request {
            method: method.into(),
            url: url.into(),
            headers: Headers::new(),
        }
    }

    /// A GET request with no header fields.
    ///
    /// ```
    /// assert_eq!(edgecache::http::Request::get("https://a/").method, "GET");
    /// ```
    pub fn get(url: impl Into<String>) -> Request {
        Request::new("GET", url)
    }

    /// Adds a header field line.
    ///
    /// ```
    /// let req = edgecache::http::Request::get("https://a/").header("Cache-Control", "no-cache");
    /// assert!(req.headers.contains("cache-control"));
    /// ```
    #[must_use]
    pub fn header(mut self, name: impl Into<String>, value: impl AsRef<str>) -> Request {
        self.headers.append(name, value);
        self
    }
}

/// A response's status and header fields (the content travels separately).
///
/// ```
/// use edgecache::http::Response;
/// let res = Response::new(404).header("Cache-Control", "max-age=30");
/// assert_eq!(res.status, 404);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// The response header fields.
    pub headers: Headers,
}

impl Response {
    /// A response with no header fields.
    ///
    /// ```
    /// assert!(edgecache::http::Response::new(204).headers.is_empty());
    /// ```
    pub fn new(status: u16) -> Response {
        Response {
            status,
            headers: Headers::new(),
        }
    }

    /// Adds a header field line.
    ///
    /// ```
    /// let res = edgecache::http::Response::new(200).header("ETag", "\"1\"");
    /// assert_eq!(res.headers.get("etag"), Some("\"1\""));
    /// ```
    #[must_use]
    pub fn header(mut self, name: impl Into<String>, value: impl AsRef<str>) -> Response {
        self.headers.append(name, value);
        self
    }
}
