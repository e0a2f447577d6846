//! What the policy answers: why a response is not stored (RFC 9111 §3),
//! what to do with a request (§4), how to validate (§4.3.1) and why, why
//! nothing stored answers, and the answer to a client's own conditional
//! request (RFC 9110 §13, RFC 9111 §4.3.2).

use super::super::headers::{without_hop_by_hop, Headers};
#[cfg(doc)]
use super::{invalidations, CacheOptions, Policy};

/// Why a response is not stored. [`NotStorable::as_str`] gives a stable
/// short code for logs and diagnostics.
///
/// ```
/// use edgecache::http::NotStorable;
/// assert_eq!(NotStorable::Private.as_str(), "private");
/// assert_eq!(NotStorable::Private.to_string(), "private");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum NotStorable {
    /// Only responses to GET are stored (§3: "the request method is understood
    /// by the cache"). HEAD requests are answered from stored GET responses,
    /// but a HEAD response, having no content, is not stored.
    Method,
    /// The request URL is not an absolute `scheme://host/...` URI.
    InvalidUrl,
    /// 1xx: §3 "the response status code is final".
    NotFinal,
    /// 206, 304, or outside 100-599 (§3: "if the response status code is 206
    /// or 304 ...: the cache understands the response status code").
    StatusNotUnderstood,
    /// The request said `no-store` (§5.2.1.5).
    RequestNoStore,
    /// The response said `no-store` (§5.2.2.5).
    NoStore,
    /// `must-understand` with a status this cache does not implement
    /// (§5.2.2.3).
    MustUnderstand,
    /// Unqualified `private` in a shared cache (§5.2.2.7).
    Private,
    /// The request carried `Authorization` and the response has neither
    /// `public`, `s-maxage` nor `must-revalidate` (§3.5).
    Authorization,
    /// `Set-Cookie` in a shared cache without [`CacheOptions::cache_set_cookie`].
    SetCookie,
    /// `Vary: *` (or an unparsable `Vary`): it can never be chosen (§4.1).
    VaryStar,
    /// No explicit freshness, no `public` and a status that is not
    /// heuristically cacheable (§3, e.g. a 302 without `max-age`).
    NotCacheable,
    /// Storable but useless: no validator, and no freshness or permitted
    /// staleness left (§3: "some caches will not store a response that has
    /// neither a cache validator nor an explicit expiration time").
    NotUseful,
}

impl NotStorable {
    /// A stable short code.
    ///
    /// ```
    /// assert_eq!(edgecache::http::NotStorable::SetCookie.as_str(), "set-cookie");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            NotStorable::Method => "method",
            NotStorable::InvalidUrl => "invalid-url",
            NotStorable::NotFinal => "not-final",
            NotStorable::StatusNotUnderstood => "status-not-understood",
            NotStorable::RequestNoStore => "request-no-store",
            NotStorable::NoStore => "no-store",
            NotStorable::MustUnderstand => "must-understand",
            NotStorable::Private => "private",
            NotStorable::Authorization => "authorization",
            NotStorable::SetCookie => "set-cookie",
            NotStorable::VaryStar => "vary-star",
            NotStorable::NotCacheable => "not-cacheable",
            NotStorable::NotUseful => "not-useful",
        }
    }
}

impl std::fmt::Display for NotStorable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What to do with a request, given what is stored for it.
///
/// | variant | what the caller does | `x-edgecache` |
/// |---|---|---|
/// | `Fresh` | serve the stored response | `HIT` |
/// | `Stale` | serve it: the client's `max-stale` accepts it | `STALE` |
/// | `StaleWhileRevalidate` | serve it now, revalidate in the background | `STALE` |
/// | `Revalidate` | forward with the conditional fields; 304 → `Policy::freshen` | `REVALIDATED` on 304, else `MISS` (or `STALE` via `stale-if-error`) |
/// | `Miss` | forward; store the answer if storable | `MISS` (`BYPASS` for [`MissReason::Method`]) |
/// | `GatewayTimeout` | answer 504 without contacting the origin | `MISS` |
///
/// ```
/// use edgecache::http::{Lookup, MissReason, Policy, Request};
/// let policy = Policy::default();
/// let lookup = policy.lookup(&Request::get("https://example.com/"), None, 0);
/// assert_eq!(lookup, Lookup::Miss(MissReason::NotStored));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Lookup {
    /// Fresh: serve it, with `Age: age_secs`.
    Fresh {
        /// The current age in whole seconds.
        age_secs: u64,
    },
    /// Stale, but the request's `max-stale` accepts it and nothing forbids it.
    Stale {
        /// The current age in whole seconds.
        age_secs: u64,
    },
    /// Stale within the response's `stale-while-revalidate` window (RFC 5861
    /// §3): serve it now and revalidate in the background ("the cache SHOULD
    /// attempt to revalidate it while still serving stale responses (i.e.,
    /// without blocking)").
    StaleWhileRevalidate {
        /// The current age in whole seconds.
        age_secs: u64,
        /// How to revalidate in the background.
        revalidation: Revalidation,
    },
    /// The stored response may be used only after validation (§4.3).
    Revalidate(Revalidation),
    /// Nothing stored can answer this request.
    Miss(MissReason),
    /// `only-if-cached` and nothing usable is stored: answer 504 (§5.2.1.7:
    /// "respond with either a stored response consistent with the other
    /// constraints of the request or a 504 (Gateway Timeout) status code").
    GatewayTimeout,
}

/// How to validate a stored response (RFC 9111 §4.3.1).
///
/// ```
/// use edgecache::http::{Headers, Revalidation, RevalidateReason};
/// let r = Revalidation {
///     reason: RevalidateReason::Stale,
///     headers: Headers::new().with("If-None-Match", "\"v2\""),
///     stale_if_error: false,
/// };
/// let client = Headers::new().with("Accept", "*/*").with("If-None-Match", "\"v1\"");
/// let forwarded = r.request_headers(&client);
/// assert_eq!(forwarded.get("if-none-match"), Some("\"v2\""));
/// assert_eq!(forwarded.get("accept"), Some("*/*"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Revalidation {
    /// Why the stored response cannot be served as it is.
    pub reason: RevalidateReason,
    /// The conditional fields to send: `If-None-Match` with the stored
    /// `ETag`, `If-Modified-Since` with the stored `Last-Modified`. Empty if
    /// the stored response has no validator (then the request is forwarded
    /// unconditionally).
    pub headers: Headers,
    /// True if, at the time of the lookup, the stored response may be served
    /// should the origin fail (RFC 5861 §4). Check again at the time of the
    /// failure with [`Policy::stale_if_error`].
    pub stale_if_error: bool,
}

impl Revalidation {
    /// The forwarded request's header fields: the client's, with its own
    /// `If-None-Match` and `If-Modified-Since` replaced by the cache's
    /// validators (§4.3.2 lets the cache send its own; the client's condition
    /// is then answered from the updated stored response, see
    /// [`Policy::evaluate_conditional`]). Hop-by-hop fields are dropped.
    ///
    /// ```
    /// use edgecache::http::{Headers, Revalidation, RevalidateReason};
    /// let r = Revalidation { reason: RevalidateReason::NoCache, headers: Headers::new(), stale_if_error: false };
    /// let fwd = r.request_headers(&Headers::new().with("If-Modified-Since", "x").with("Connection", "close"));
    /// assert!(fwd.is_empty());
    /// ```
    pub fn request_headers(&self, client: &Headers) -> Headers {
        let mut headers = without_hop_by_hop(client);
        headers.remove("if-none-match");
        headers.remove("if-modified-since");
        for (name, value) in self.headers.iter() {
            headers.append(name, value);
        }
        headers
    }
}

/// Why a stored response needs validation. [`RevalidateReason::as_str`]
/// gives a short code.
///
/// ```
/// assert_eq!(edgecache::http::RevalidateReason::RequestNoCache.as_str(), "request-no-cache");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RevalidateReason {
    /// The response has `no-cache` (§5.2.2.4).
    NoCache,
    /// The request has `no-cache` or `Pragma: no-cache` (§5.2.1.4, §5.4).
    RequestNoCache,
    /// Older than the request's `max-age` (§5.2.1.1).
    RequestMaxAge,
    /// Not fresh for the request's `min-fresh` (§5.2.1.3).
    RequestMinFresh,
    /// Stale, and no permission to serve it stale applies (§4.2.4).
    Stale,
}

impl RevalidateReason {
    /// A stable short code.
    ///
    /// ```
    /// assert_eq!(edgecache::http::RevalidateReason::Stale.as_str(), "stale");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            RevalidateReason::NoCache => "no-cache",
            RevalidateReason::RequestNoCache => "request-no-cache",
            RevalidateReason::RequestMaxAge => "request-max-age",
            RevalidateReason::RequestMinFresh => "request-min-fresh",
            RevalidateReason::Stale => "stale",
        }
    }
}

/// Why nothing stored answers a request. [`MissReason::as_str`] gives a
/// short code.
///
/// ```
/// assert_eq!(edgecache::http::MissReason::VaryMismatch.as_str(), "vary-mismatch");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum MissReason {
    /// The method is not GET or HEAD: forward it (write-through, §4), then
    /// apply [`invalidations`]. Report it as `BYPASS`.
    Method,
    /// Nothing is stored under the key.
    NotStored,
    /// The stored response is for another URI (or the request URL is
    /// invalid).
    UrlMismatch,
    /// The stored response's `Vary` fields do not match (§4.1).
    VaryMismatch,
    /// The stored response has `Vary: *` (§4.1: "always fails to match").
    VaryStar,
}

impl MissReason {
    /// A stable short code.
    ///
    /// ```
    /// assert_eq!(edgecache::http::MissReason::Method.as_str(), "method");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            MissReason::Method => "method",
            MissReason::NotStored => "not-stored",
            MissReason::UrlMismatch => "url-mismatch",
            MissReason::VaryMismatch => "vary-mismatch",
            MissReason::VaryStar => "vary-star",
        }
    }
}

/// The answer to a client's own conditional request (RFC 9110 §13, RFC 9111
/// §4.3.2).
///
/// ```
/// use edgecache::http::Conditional;
/// assert_ne!(Conditional::Full, Conditional::NotModified(Default::default()));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Conditional {
    /// Answer `304 Not Modified` with these header fields.
    NotModified(Headers),
    /// Serve the full stored response.
    Full,
}
