//! The caching policy of RFC 9111: whether to store a response (§3), how
//! fresh a stored one is (§4.2), whether a stored one may answer a request
//! (§4), how to validate it (§4.3) and what an unsafe request invalidates
//! (§4.4). Every function is pure: times are arguments, in ms since the
//! epoch.
//!
//! The RFC's sentences sit next to the code that implements them. Decisions
//! the RFC leaves open are marked **Decision**.

use super::cache_control::{
    parse_targeted, CacheControl, Delta, FieldScope, MaxStale, MAX_DELTA_SECONDS,
};
use super::date;
use super::headers::{
    connection_options, is_never_stored, split_list, without_hop_by_hop, Headers,
};
use super::stored::StoredResponse;
use super::uri::Url;
use super::vary::{normalized_url, Vary};
use super::{Request, Response};

/// Status codes "defined as heuristically cacheable" (RFC 9110 §15.1: "200,
/// 203, 204, 206, 300, 301, 308, 404, 405, 410, 414, and 501 in this
/// specification ... all other status codes are not heuristically
/// cacheable").
pub const HEURISTICALLY_CACHEABLE: [u16; 12] =
    [200, 203, 204, 206, 300, 301, 308, 404, 405, 410, 414, 501];

/// Status codes whose caching requirements this cache implements, for
/// `must-understand` (RFC 9111 §5.2.2.3). 206 is not among them: this cache
/// does not support range requests, and RFC 9111 §3.3 says "a cache MUST NOT
/// store incomplete or partial-content responses if it does not support the
/// Range and Content-Range header fields".
pub const UNDERSTOOD_STATUSES: [u16; 14] = [
    200, 203, 204, 300, 301, 302, 303, 307, 308, 404, 405, 410, 414, 501,
];

/// RFC 9110 §9.2.1: "Of the request methods defined by this specification,
/// the GET, HEAD, OPTIONS, and TRACE methods are defined to be safe."
pub const SAFE_METHODS: [&str; 4] = ["GET", "HEAD", "OPTIONS", "TRACE"];

/// The field that a cache targeted at CDNs obeys (RFC 9213 §3).
pub const CDN_CACHE_CONTROL: &str = "cdn-cache-control";

/// Fields a 304 does not update in the stored response (RFC 9111 §3.2),
/// besides those never stored at all:
///
/// - `Content-Length`: "The cache MUST add each header field in the provided
///   response to the stored response ... with the following exceptions: ...
///   The Content-Length header field."
/// - `Content-Encoding`: one of the "Header fields that the cache's stored
///   response depends upon" — the stored bytes are in the coding they arrived
///   in (or decoded by the runtime), and "Updating that stored metadata with a
///   different Content-Encoding header field would be problematic".
/// - `Content-Range`: "some fields are automatically processed and removed by
///   the HTTP implementation, such as the Content-Range header field.
///   Implementations MAY automatically omit such header fields from updates".
///
/// `Content-Type` *is* updated: this cache stores the content as bytes, not a
/// parsed form, so §3.2's browser example does not apply ("the Content-*
/// prefix is not a signal that a header field is omitted from update").
pub const NOT_UPDATED_BY_304: [&str; 3] = ["content-length", "content-encoding", "content-range"];

/// Configuration of a [`Policy`].
///
/// ```
/// use edgecache::http::CacheOptions;
/// let options = CacheOptions::default()
///     .targeted_field("Cloudflare-CDN-Cache-Control")
///     .cache_set_cookie(false)
///     .heuristic(10, 3_600);
/// assert!(options.shared);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct CacheOptions {
    /// A shared cache (default `true`) stores responses for more than one
    /// user: it honours `s-maxage`, `proxy-revalidate` and `private`, the
    /// `Authorization` rule and [`CDN-Cache-Control`](CDN_CACHE_CONTROL).
    /// Set `false` for a cache that serves one user only (a browser-side
    /// cache of one signed-in user).
    pub shared: bool,
    /// A targeted field (RFC 9213) to obey before `CDN-Cache-Control`, such
    /// as `Cloudflare-CDN-Cache-Control`. Default `None`.
    ///
    /// The target list is `[targeted_field, CDN-Cache-Control]` in a shared
    /// cache and `[targeted_field]` in a private one. The first field on the
    /// list that is present, non-empty and valid replaces `Cache-Control` and
    /// `Expires` entirely, for that response.
    pub targeted_field: Option<String>,
    /// Whether a shared cache may store a response carrying `Set-Cookie`.
    /// Default `false`.
    ///
    /// RFC 9111 §7.3 notes that "the Set-Cookie response header field does
    /// not inhibit caching", which is exactly how one user's session cookie
    /// ends up in everyone's response. So by default a shared cache does not
    /// store such responses at all (it still forwards them). Turn this on only
    /// when the origin's cookies are not per-user, or mark the field instead
    /// with `Cache-Control: private="Set-Cookie"`: the field is then removed
    /// before storage and the rest of the response is stored. A private cache
    /// ignores this switch.
    pub cache_set_cookie: bool,
    /// The heuristic freshness fraction in percent of (`Date` −
    /// `Last-Modified`), RFC 9111 §4.2.2 ("A typical setting of this fraction
    /// might be 10%"). Default 10; 0 turns heuristics off.
    pub heuristic_percent: u8,
    /// The longest heuristic freshness lifetime, in seconds. Default 86 400
    /// (one day).
    pub heuristic_max_secs: u64,
}

impl Default for CacheOptions {
    fn default() -> Self {
        CacheOptions {
            shared: true,
            targeted_field: None,
            cache_set_cookie: false,
            heuristic_percent: 10,
            heuristic_max_secs: 86_400,
        }
    }
}

impl CacheOptions {
    /// Sets [`CacheOptions::shared`].
    ///
    /// ```
    /// assert!(!edgecache::http::CacheOptions::default().shared(false).shared);
    /// ```
    #[must_use]
    pub fn shared(mut self, shared: bool) -> Self {
        self.shared = shared;
        self
    }

    /// Sets [`CacheOptions::targeted_field`].
    ///
    /// ```
    /// let o = edgecache::http::CacheOptions::default().targeted_field("Fastly-Cache-Control");
    /// assert_eq!(o.targeted_field.as_deref(), Some("Fastly-Cache-Control"));
    /// ```
    #[must_use]
    pub fn targeted_field(mut self, name: impl Into<String>) -> Self {
        self.targeted_field = Some(name.into());
        self
    }

    /// Sets [`CacheOptions::cache_set_cookie`].
    ///
    /// ```
    /// assert!(edgecache::http::CacheOptions::default().cache_set_cookie(true).cache_set_cookie);
    /// ```
    #[must_use]
    pub fn cache_set_cookie(mut self, on: bool) -> Self {
        self.cache_set_cookie = on;
        self
    }

    /// Sets the heuristic fraction (percent) and cap (seconds).
    ///
    /// ```
    /// let o = edgecache::http::CacheOptions::default().heuristic(0, 0);
    /// assert_eq!(o.heuristic_percent, 0);
    /// ```
    #[must_use]
    pub fn heuristic(mut self, percent: u8, max_secs: u64) -> Self {
        self.heuristic_percent = percent;
        self.heuristic_max_secs = max_secs;
        self
    }
}

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

/// The freshness of a stored response at some instant (RFC 9111 §4.2).
///
/// ```
/// use edgecache::http::Freshness;
/// let f = Freshness { lifetime_ms: 60_000, age_ms: 61_500, heuristic: false };
/// assert!(!f.is_fresh());
/// assert_eq!((f.staleness_ms(), f.remaining_ms(), f.age_secs()), (1_500, 0, 61));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Freshness {
    /// `freshness_lifetime` (§4.2.1), ms.
    pub lifetime_ms: u64,
    /// `current_age` (§4.2.3), ms.
    pub age_ms: u64,
    /// True when the lifetime is a heuristic (§4.2.2).
    pub heuristic: bool,
}

impl Freshness {
    /// §4.2: `response_is_fresh = (freshness_lifetime > current_age)`.
    ///
    /// ```
    /// let f = edgecache::http::Freshness { lifetime_ms: 10, age_ms: 10, heuristic: false };
    /// assert!(!f.is_fresh());
    /// ```
    pub fn is_fresh(&self) -> bool {
        self.lifetime_ms > self.age_ms
    }

    /// How long past its lifetime the response is (0 while fresh).
    ///
    /// ```
    /// let f = edgecache::http::Freshness { lifetime_ms: 10, age_ms: 4, heuristic: false };
    /// assert_eq!(f.staleness_ms(), 0);
    /// ```
    pub fn staleness_ms(&self) -> u64 {
        self.age_ms.saturating_sub(self.lifetime_ms)
    }

    /// How long the response stays fresh (0 once stale).
    ///
    /// ```
    /// let f = edgecache::http::Freshness { lifetime_ms: 10, age_ms: 4, heuristic: false };
    /// assert_eq!(f.remaining_ms(), 6);
    /// ```
    pub fn remaining_ms(&self) -> u64 {
        self.lifetime_ms.saturating_sub(self.age_ms)
    }

    /// The age in whole seconds, as the `Age` field carries it.
    ///
    /// ```
    /// let f = edgecache::http::Freshness { lifetime_ms: 0, age_ms: 1_999, heuristic: false };
    /// assert_eq!(f.age_secs(), 1);
    /// ```
    pub fn age_secs(&self) -> u64 {
        self.age_ms / 1000
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

/// The caching policy: [`CacheOptions`] plus the rules of RFC 9111.
///
/// ```
/// use edgecache::http::{Lookup, Policy, Request, Response};
///
/// let policy = Policy::default();
/// let req = Request::get("https://example.com/logo.png");
/// let res = Response::new(200).header("Cache-Control", "max-age=60");
/// let t0 = 1_700_000_000_000;
/// let stored = policy.store(&req, &res, b"png".to_vec(), t0, t0).unwrap();
/// assert_eq!(policy.lookup(&req, Some(&stored), t0 + 10_000), Lookup::Fresh { age_secs: 10 });
/// assert!(matches!(policy.lookup(&req, Some(&stored), t0 + 61_000), Lookup::Revalidate(_)));
/// ```
#[derive(Clone, Debug)]
pub struct Policy {
    options: CacheOptions,
    /// The RFC 9213 target list, lowercased, most applicable first.
    targets: Vec<String>,
}

impl Default for Policy {
    /// `Policy::new(CacheOptions::default())`: a shared cache obeying
    /// `CDN-Cache-Control`.
    fn default() -> Policy {
        Policy::new(CacheOptions::default())
    }
}

impl Policy {
    /// A policy with these options.
    ///
    /// ```
    /// use edgecache::http::{CacheOptions, Policy};
    /// let browser = Policy::new(CacheOptions::default().shared(false));
    /// assert!(!browser.options().shared);
    /// ```
    pub fn new(options: CacheOptions) -> Policy {
        let mut targets = Vec::new();
        if let Some(name) = &options.targeted_field {
            let name = name.trim().to_ascii_lowercase();
            if !name.is_empty() && name != CDN_CACHE_CONTROL {
                targets.push(name);
            }
        }
        if options.shared {
            targets.push(CDN_CACHE_CONTROL.to_owned());
        }
        Policy { options, targets }
    }

    /// The options.
    ///
    /// ```
    /// assert!(edgecache::http::Policy::default().options().shared);
    /// ```
    pub fn options(&self) -> &CacheOptions {
        &self.options
    }

    /// The directives that govern a response, and whether they came from a
    /// targeted field.
    ///
    /// RFC 9213 §2.2: "the cache MUST select the first (in target list order)
    /// field with a valid, non-empty value and use its value to determine the
    /// caching policy for the response, and MUST ignore the Cache-Control and
    /// Expires header fields in that response, unless no valid, non-empty
    /// value is available from the listed header fields."
    ///
    /// ```
    /// use edgecache::http::{cache_control::Delta, Headers, Policy};
    /// let h = Headers::new().with("Cache-Control", "max-age=60").with("CDN-Cache-Control", "max-age=600");
    /// let (cc, targeted) = Policy::default().response_directives(&h);
    /// assert_eq!((cc.max_age, targeted), (Some(Delta::Seconds(600)), true));
    /// ```
    pub fn response_directives(&self, headers: &Headers) -> (CacheControl, bool) {
        for name in &self.targets {
            if let Some(directives) = headers.combined(name).and_then(|v| parse_targeted(&v)) {
                return (CacheControl::from_directives(&directives), true);
            }
        }
        let cc = headers
            .combined("cache-control")
            .map(|v| CacheControl::parse(&v))
            .unwrap_or_default();
        (cc, false)
    }

    /// RFC 9111 §3: may this response be stored? `now` is the time the
    /// response was received (it resolves `Expires` when there is no `Date`).
    ///
    /// ```
    /// use edgecache::http::{NotStorable, Policy, Request, Response};
    /// let policy = Policy::default();
    /// let req = Request::get("https://example.com/me");
    /// let res = Response::new(200).header("Cache-Control", "private, max-age=60");
    /// assert_eq!(policy.storable(&req, &res, 0), Err(NotStorable::Private));
    /// ```
    pub fn storable(
        &self,
        request: &Request,
        response: &Response,
        now: u64,
    ) -> Result<(), NotStorable> {
        let shared = self.options.shared;
        let status = response.status;
        let headers = &response.headers;

        // "A cache MUST NOT store a response to a request unless:
        //  * the request method is understood by the cache;"
        // Decision: GET only (HEADs are answered from stored GETs).
        if request.method != "GET" {
            return Err(NotStorable::Method);
        }
        if normalized_url(&request.url).is_err() {
            return Err(NotStorable::InvalidUrl);
        }
        // "* the response status code is final (see Section 15 of [HTTP]);"
        if status < 200 {
            return Err(NotStorable::NotFinal);
        }
        // "* if the response status code is 206 or 304, or the must-understand
        //    cache directive (see Section 5.2.2.3) is present: the cache
        //    understands the response status code;"
        if status == 206 || status == 304 || status > 599 {
            return Err(NotStorable::StatusNotUnderstood);
        }
        // §5.2.1.5: "The no-store request directive indicates that a cache MUST
        // NOT store any part of either this request or any response to it."
        if request_directives(&request.headers).no_store {
            return Err(NotStorable::RequestNoStore);
        }
        let (cc, targeted) = self.response_directives(headers);
        if cc.must_understand {
            // §5.2.2.3: "the cache SHOULD ignore the no-store directive if it
            // understands and implements the status code's caching requirements."
            if !UNDERSTOOD_STATUSES.contains(&status) {
                return Err(NotStorable::MustUnderstand);
            }
        } else if cc.no_store {
            // "* the no-store cache directive is not present in the response"
            return Err(NotStorable::NoStore);
        }
        // "* if the cache is shared: the private response directive is either
        //    not present or allows a shared cache to store a modified response"
        // A qualified private="field" allows it: the fields are removed by
        // `store`. Anything unqualified (or unparsable) forbids it.
        if shared && cc.private == Some(FieldScope::Whole) {
            return Err(NotStorable::Private);
        }
        // "* if the cache is shared: the Authorization header field is not
        //    present in the request ... or a response directive is present that
        //    explicitly allows shared caching" — §3.5: "must-revalidate,
        //    public, and s-maxage". Decision: an invalid s-maxage does not count.
        if shared
            && request.headers.contains("authorization")
            && !(cc.public || cc.must_revalidate || matches!(cc.s_maxage, Some(Delta::Seconds(_))))
        {
            return Err(NotStorable::Authorization);
        }
        if shared && !self.options.cache_set_cookie && headers.contains("set-cookie") {
            let stripped = matches!(&cc.private, Some(FieldScope::Fields(f)) if f.iter().any(|n| n == "set-cookie"));
            if !stripped {
                return Err(NotStorable::SetCookie);
            }
        }
        // §4.1: "A stored response with a Vary header field value containing a
        // member "*" always fails to match." Storing it would be pointless.
        if Vary::parse(headers) == Vary::Any {
            return Err(NotStorable::VaryStar);
        }
        // "* the response contains at least one of the following:
        //    a public response directive; a private response directive, if the
        //    cache is not shared; an Expires header field; a max-age response
        //    directive; if the cache is shared: an s-maxage response directive;
        //    a cache extension that allows it to be cached; or a status code
        //    that is defined as heuristically cacheable"
        let has_expires = !targeted && headers.contains("expires");
        let explicitly_cacheable = cc.public
            || (!shared && cc.private.is_some())
            || has_expires
            || cc.max_age.is_some()
            || (shared && cc.s_maxage.is_some())
            || HEURISTICALLY_CACHEABLE.contains(&status);
        if !explicitly_cacheable {
            return Err(NotStorable::NotCacheable);
        }
        // "Note that, in normal operation, some caches will not store a response
        // that has neither a cache validator nor an explicit expiration time, as
        // such responses are not usually useful to store."
        // Decision: store if it has a validator (it can be revalidated), or if
        // it is fresh or may be served stale (stale-while-revalidate /
        // stale-if-error) when received, and is not no-cache.
        if !has_validator(headers) {
            let (lifetime_ms, _) = self.lifetime(status, headers, &cc, targeted, now);
            let initial_age = initial_age_ms(headers, now, now);
            let usable_until = lifetime_ms.saturating_add(self.stale_window_ms(&cc));
            if cc.no_cache.is_some() || usable_until <= initial_age {
                return Err(NotStorable::NotUseful);
            }
        }
        Ok(())
    }

    /// Checks [`Policy::storable`] and builds the stored form: hop-by-hop
    /// fields and fields a qualified `private` names (in a shared cache)
    /// removed, `Date` added if missing or invalid, the request's selecting
    /// fields (those `Vary` names) kept.
    ///
    /// RFC 9110 §6.6.1: "A recipient with a clock that receives a response
    /// message without a Date header field MUST record the time it was
    /// received and append a corresponding Date header field to the message's
    /// header section if it is cached or forwarded downstream." and "A
    /// recipient with a clock that receives a response with an invalid Date
    /// header field value MAY replace that value with the time that response
    /// was received."
    ///
    /// ```
    /// use edgecache::http::{Policy, Request, Response};
    /// let req = Request::get("https://example.com/").header("Accept-Language", "fr");
    /// let res = Response::new(200)
    ///     .header("Cache-Control", r#"max-age=60, private="X-User""#)
    ///     .header("X-User", "ada")
    ///     .header("Vary", "Accept-Language")
    ///     .header("Connection", "close");
    /// let stored = Policy::default().store(&req, &res, vec![], 1_000, 2_000).unwrap();
    /// assert!(!stored.headers.contains("x-user") && !stored.headers.contains("connection"));
    /// assert_eq!(stored.headers.get("date"), Some("Thu, 01 Jan 1970 00:00:02 GMT"));
    /// assert_eq!(stored.request_headers.get("accept-language"), Some("fr"));
    /// ```
    pub fn store(
        &self,
        request: &Request,
        response: &Response,
        body: Vec<u8>,
        request_time: u64,
        response_time: u64,
    ) -> Result<StoredResponse, NotStorable> {
        self.storable(request, response, response_time)?;
        let url = normalized_url(&request.url).map_err(|_| NotStorable::InvalidUrl)?;
        let (cc, _) = self.response_directives(&response.headers);
        let mut headers = without_hop_by_hop(&response.headers);
        // §5.2.2.7: "a shared cache MUST NOT store the listed header fields if
        // they are present in the original response but MAY store the
        // remainder of the response message without those header fields".
        if self.options.shared {
            if let Some(FieldScope::Fields(names)) = &cc.private {
                for name in names {
                    headers.remove(name);
                }
            }
        }
        if !matches!(single_date(&headers, "date", response_time), Some(Some(_))) {
            headers.set("Date", date::format(response_time));
        }
        let request_headers = match Vary::parse(&headers) {
            Vary::Fields(fields) => fields
                .iter()
                .flat_map(|f| request.headers.get_all(f).map(move |v| (f.clone(), v)))
                .collect(),
            Vary::Any => Headers::new(),
        };
        Ok(StoredResponse {
            url,
            status: response.status,
            headers,
            request_headers,
            body,
            request_time,
            response_time,
        })
    }

    /// The freshness of a stored response at `now` (§4.2.1, §4.2.2, §4.2.3).
    ///
    /// ```
    /// use edgecache::http::{Policy, Request, Response};
    /// let policy = Policy::default();
    /// let res = Response::new(200)
    ///     .header("Date", "Tue, 14 Nov 2023 22:13:20 GMT") // = 1_700_000_000_000
    ///     .header("Last-Modified", "Sat, 04 Nov 2023 22:13:20 GMT"); // 10 days before
    /// let t0 = 1_700_000_000_000;
    /// let stored = policy.store(&Request::get("https://a/"), &res, vec![], t0, t0).unwrap();
    /// let f = policy.freshness(&stored, t0);
    /// assert!(f.heuristic);
    /// assert_eq!(f.lifetime_ms, 86_400_000); // 10% of 10 days, capped at one day
    /// ```
    pub fn freshness(&self, stored: &StoredResponse, now: u64) -> Freshness {
        let (cc, targeted) = self.response_directives(&stored.headers);
        self.freshness_with(stored, &cc, targeted, now)
    }

    fn freshness_with(
        &self,
        stored: &StoredResponse,
        cc: &CacheControl,
        targeted: bool,
        now: u64,
    ) -> Freshness {
        let (lifetime_ms, heuristic) = self.lifetime(
            stored.status,
            &stored.headers,
            cc,
            targeted,
            stored.response_time,
        );
        Freshness {
            lifetime_ms,
            age_ms: current_age_ms(stored, now),
            heuristic,
        }
    }

    /// §4.2.1: "A cache can calculate the freshness lifetime ... by evaluating
    /// the following rules and using the first match".
    fn lifetime(
        &self,
        status: u16,
        headers: &Headers,
        cc: &CacheControl,
        targeted: bool,
        response_time: u64,
    ) -> (u64, bool) {
        // "If the cache is shared and the s-maxage response directive is
        // present, use its value". Invalid (or duplicated differently) → 0:
        // "Caches are encouraged to consider responses that have invalid
        // freshness information ... to be stale."
        if self.options.shared {
            if let Some(d) = cc.s_maxage {
                return (d.millis_or(0), false);
            }
        }
        // "If the max-age response directive is present, use its value"
        if let Some(d) = cc.max_age {
            return (d.millis_or(0), false);
        }
        let date_ms = single_date(headers, "date", response_time)
            .flatten()
            .unwrap_or(response_time);
        // "If the Expires response header field is present, use its value
        // minus the value of the Date response header field (using the time the
        // message was received if it is not present ...)". §5.3: "A cache
        // recipient MUST interpret invalid date formats, especially the value
        // "0", as representing a time in the past". Two lines that differ are
        // invalid too (§4.2.1). A targeted field makes Expires ignored (RFC
        // 9213 §2.2).
        if !targeted {
            if let Some(expires) = single_date(headers, "expires", response_time) {
                return (expires.map_or(0, |e| e.saturating_sub(date_ms)), false);
            }
        }
        // §4.2.2: "heuristics can only be used on responses without explicit
        // freshness whose status codes are defined as heuristically cacheable
        // ... and on responses without explicit freshness that have been marked
        // as explicitly cacheable (e.g., with a public response directive)."
        // "If the response has a Last-Modified header field ..., caches are
        // encouraged to use a heuristic expiration value that is no more than
        // some fraction of the interval since that time."
        let allowed = HEURISTICALLY_CACHEABLE.contains(&status)
            || cc.public
            || (!self.options.shared && cc.private.is_some());
        if allowed && self.options.heuristic_percent > 0 {
            if let Some(Some(last_modified)) = single_date(headers, "last-modified", response_time)
            {
                if date_ms > last_modified {
                    let interval = date_ms - last_modified;
                    let heuristic = (interval / 100)
                        .saturating_mul(u64::from(self.options.heuristic_percent))
                        .min(self.options.heuristic_max_secs.saturating_mul(1000));
                    return (heuristic, true);
                }
            }
        }
        (0, false)
    }

    /// The longest staleness the origin allows (`stale-while-revalidate`,
    /// `stale-if-error`), 0 under `must-revalidate` or `no-cache`.
    fn stale_window_ms(&self, cc: &CacheControl) -> u64 {
        if cc.must_revalidate || cc.no_cache.is_some() {
            return 0;
        }
        let swr = cc
            .stale_while_revalidate
            .and_then(Delta::seconds)
            .unwrap_or(0);
        let sie = cc.stale_if_error.and_then(Delta::seconds).unwrap_or(0);
        swr.max(sie).saturating_mul(1000)
    }

    /// Until when (ms since the epoch) a stored response can still be of use:
    /// `None` if it has a validator (it can always be revalidated; keep it
    /// while space allows), otherwise the end of its freshness plus the
    /// longest `stale-while-revalidate` / `stale-if-error` window. Use it as
    /// the storage TTL.
    ///
    /// ```
    /// use edgecache::http::{Policy, Request, Response};
    /// let policy = Policy::default();
    /// let res = Response::new(200).header("Cache-Control", "max-age=60, stale-if-error=300");
    /// let stored = policy.store(&Request::get("https://a/"), &res, vec![], 0, 0).unwrap();
    /// assert_eq!(policy.useful_until(&stored), Some(360_000));
    /// ```
    pub fn useful_until(&self, stored: &StoredResponse) -> Option<u64> {
        if has_validator(&stored.headers) {
            return None;
        }
        let (cc, targeted) = self.response_directives(&stored.headers);
        let (lifetime_ms, _) = self.lifetime(
            stored.status,
            &stored.headers,
            &cc,
            targeted,
            stored.response_time,
        );
        let born = stored.response_time.saturating_sub(initial_age_ms(
            &stored.headers,
            stored.request_time,
            stored.response_time,
        ));
        Some(
            born.saturating_add(lifetime_ms)
                .saturating_add(self.stale_window_ms(&cc)),
        )
    }

    /// RFC 9111 §4: may the stored response answer this request, and how?
    ///
    /// `stored` is what is stored under the request's key (see
    /// [`super::cache_key`] and [`super::entry_key`]), or `None`.
    ///
    /// ```
    /// use edgecache::http::{Lookup, Policy, Request, Response, RevalidateReason};
    /// let policy = Policy::default();
    /// let req = Request::get("https://example.com/");
    /// let res = Response::new(200).header("Cache-Control", "max-age=60").header("ETag", "\"v1\"");
    /// let stored = policy.store(&req, &res, vec![], 0, 0).unwrap();
    /// let reload = Request::get("https://example.com/").header("Cache-Control", "no-cache");
    /// let Lookup::Revalidate(r) = policy.lookup(&reload, Some(&stored), 1_000) else { panic!() };
    /// assert_eq!(r.reason, RevalidateReason::RequestNoCache);
    /// assert_eq!(r.headers.get("if-none-match"), Some("\"v1\""));
    /// ```
    pub fn lookup(&self, request: &Request, stored: Option<&StoredResponse>, now: u64) -> Lookup {
        let request_cc = request_directives(&request.headers);
        let lookup = self.lookup_with(request, &request_cc, stored, now);
        // §5.2.1.7 only-if-cached: "Caches that honor this request directive
        // SHOULD, upon receiving it, respond with either a stored response
        // consistent with the other constraints of the request or a 504
        // (Gateway Timeout) status code." Unsafe methods are still written
        // through (§4).
        if request_cc.only_if_cached
            && matches!(&lookup, Lookup::Revalidate(_) | Lookup::Miss(_))
            && lookup != Lookup::Miss(MissReason::Method)
        {
            return Lookup::GatewayTimeout;
        }
        lookup
    }

    fn lookup_with(
        &self,
        request: &Request,
        request_cc: &CacheControl,
        stored: Option<&StoredResponse>,
        now: u64,
    ) -> Lookup {
        // §4: "A cache MUST write through requests with methods that are
        // unsafe". Only GET and HEAD are answered from the cache.
        if request.method != "GET" && request.method != "HEAD" {
            return Lookup::Miss(MissReason::Method);
        }
        let Some(stored) = stored else {
            return Lookup::Miss(MissReason::NotStored);
        };
        // "* the presented target URI ... and that of the stored response
        //    match, and"
        match normalized_url(&request.url) {
            Ok(url) if url == stored.url => {}
            _ => return Lookup::Miss(MissReason::UrlMismatch),
        }
        // "* request header fields nominated by the stored response (if any)
        //    match those presented (see Section 4.1)"
        let vary = Vary::parse(&stored.headers);
        if vary == Vary::Any {
            return Lookup::Miss(MissReason::VaryStar);
        }
        if !vary.matches(&stored.request_headers, &request.headers) {
            return Lookup::Miss(MissReason::VaryMismatch);
        }

        let (cc, targeted) = self.response_directives(&stored.headers);
        let f = self.freshness_with(stored, &cc, targeted, now);
        let revalidate = |reason| {
            Lookup::Revalidate(Revalidation {
                reason,
                headers: conditional_fields(stored),
                stale_if_error: self.stale_if_error_allowed(request_cc, &cc, &f),
            })
        };

        // "* the stored response does not contain the no-cache directive
        //    (Section 5.2.2.4), unless it is successfully validated"
        // §5.2.2.4: "This allows an origin server to prevent a cache from using
        // the response to satisfy a request without contacting it, even by
        // caches that have been configured to send stale responses."
        // Decision: qualified no-cache="field" is treated as unqualified (the
        // RFC's note: "often handled by caches as if an unqualified no-cache
        // directive was received"), so those fields are never served unvalidated.
        if cc.no_cache.is_some() {
            return revalidate(RevalidateReason::NoCache);
        }
        // §4: "the presented request does not contain the no-cache directive"
        // (request no-cache, §5.2.1.4: "the client prefers a stored response not
        // be used to satisfy the request without successful validation"). Also
        // `Pragma: no-cache` when there is no Cache-Control (see
        // `request_directives`). RFC 8246 §2 keeps this for immutable: a client
        // may override it "explicitly ... (e.g., a force reload)".
        if request_cc.no_cache.is_some() {
            return revalidate(RevalidateReason::RequestNoCache);
        }
        let fresh = f.is_fresh();
        // RFC 8246 §2: "Clients SHOULD NOT issue a conditional request during
        // the response's freshness lifetime (e.g., upon a reload) unless
        // explicitly overridden by the user (e.g., a force reload)." A reload's
        // `max-age=0` is therefore not honoured for a fresh immutable response.
        let immutable_fresh = cc.immutable && fresh;
        // §5.2.1.1: "the client prefers a response whose age is less than or
        // equal to the specified number of seconds". Invalid → 0.
        if let Some(max_age) = request_cc.max_age {
            if !immutable_fresh && f.age_ms > max_age.millis_or(0) {
                return revalidate(RevalidateReason::RequestMaxAge);
            }
        }
        // §5.2.1.3: "the client wants a response that will still be fresh for at
        // least the specified number of seconds." Invalid → never satisfied.
        if let Some(min_fresh) = request_cc.min_fresh {
            if f.remaining_ms() < min_fresh.millis_or(MAX_DELTA_SECONDS) {
                return revalidate(RevalidateReason::RequestMinFresh);
            }
        }
        if fresh {
            return Lookup::Fresh {
                age_secs: f.age_secs(),
            };
        }

        // Stale. §4.2.4: "A cache MUST NOT generate a stale response if it is
        // prohibited by an explicit in-protocol directive (e.g., by a no-cache
        // response directive, a must-revalidate response directive, or an
        // applicable s-maxage or proxy-revalidate response directive".
        let staleness = f.staleness_ms();
        // The client's max-stale (§5.2.1.2) never overrides any of them.
        // SECURITY: §5.2.2.2 must-revalidate: "In all circumstances, a cache
        // MUST NOT ignore the must-revalidate directive"; §5.2.2.8
        // proxy-revalidate: "a shared cache MUST NOT reuse that response to
        // satisfy another request until it has been successfully validated";
        // §5.2.2.10 s-maxage: "A shared cache MUST NOT reuse a stale response
        // with s-maxage to satisfy another request until it has been
        // successfully validated by the origin".
        if !self.client_may_not_take_stale(&cc) {
            let accepted = match request_cc.max_stale {
                // "If no value is assigned to max-stale, then the client will
                // accept a stale response of any age."
                Some(MaxStale::Any) => true,
                // "willing to accept a response that has exceeded its freshness
                // lifetime by no more than the specified number of seconds"
                Some(MaxStale::Seconds(s)) => staleness <= s.saturating_mul(1000),
                Some(MaxStale::Invalid) | None => false,
            };
            if accepted {
                return Lookup::Stale {
                    age_secs: f.age_secs(),
                };
            }
        }
        // RFC 5861 §3: "the stale-while-revalidate Cache-Control extension
        // indicates that caches MAY serve the response in which it appears
        // after it becomes stale, up to the indicated number of seconds."
        // Decision: this origin permission is honoured alongside s-maxage and
        // proxy-revalidate (RFC 9111 §5.2.3: behavioural extensions act "as
        // modifiers to the existing base of cache directives"; the origin sent
        // both), but never alongside must-revalidate.
        if !cc.must_revalidate {
            if let Some(Delta::Seconds(window)) = cc.stale_while_revalidate {
                if staleness <= window.saturating_mul(1000) {
                    return Lookup::StaleWhileRevalidate {
                        age_secs: f.age_secs(),
                        revalidation: Revalidation {
                            reason: RevalidateReason::Stale,
                            headers: conditional_fields(stored),
                            stale_if_error: self.stale_if_error_allowed(request_cc, &cc, &f),
                        },
                    };
                }
            }
        }
        revalidate(RevalidateReason::Stale)
    }

    /// True when a *client's* permission to serve stale (`max-stale`, request
    /// `stale-if-error`) must be refused: `must-revalidate`, `no-cache`, and in
    /// a shared cache `proxy-revalidate` or any `s-maxage`.
    fn client_may_not_take_stale(&self, cc: &CacheControl) -> bool {
        cc.must_revalidate
            || cc.no_cache.is_some()
            || (self.options.shared && (cc.proxy_revalidate || cc.s_maxage.is_some()))
    }

    /// RFC 5861 §4: "The stale-if-error Cache-Control extension indicates that
    /// when an error is encountered, a cached stale response MAY be used to
    /// satisfy the request, regardless of other freshness information." "Its
    /// value indicates the upper limit to staleness". "In this context, an
    /// error is any situation that would result in a 500, 502, 503, or 504
    /// HTTP response status code being returned."
    ///
    /// Decision: the response's `stale-if-error` (the origin's permission) is
    /// honoured unless `must-revalidate` or `no-cache` (§5.2.2.2: "if a cache is
    /// disconnected, the cache MUST generate an error response rather than
    /// reuse the stale response"); the request's (the client's permission) is
    /// honoured only where a client's `max-stale` would be. Either suffices.
    fn stale_if_error_allowed(
        &self,
        request_cc: &CacheControl,
        cc: &CacheControl,
        f: &Freshness,
    ) -> bool {
        if cc.must_revalidate || cc.no_cache.is_some() {
            return false;
        }
        let within = |d: Option<Delta>| matches!(d, Some(Delta::Seconds(s)) if f.staleness_ms() <= s.saturating_mul(1000));
        within(cc.stale_if_error)
            || (!self.client_may_not_take_stale(cc) && within(request_cc.stale_if_error))
    }

    /// Call when forwarding failed (a network error, or a 500, 502, 503 or
    /// 504): `Some(age_secs)` if the stored response may be served instead
    /// (RFC 5861 §4, with the restrictions described on
    /// [`Revalidation::stale_if_error`]), `None` if the error must be passed
    /// on. The stored response must be the one [`Policy::lookup`] chose.
    ///
    /// ```
    /// use edgecache::http::{Policy, Request, Response};
    /// let policy = Policy::default();
    /// let req = Request::get("https://a/");
    /// let res = Response::new(200).header("Cache-Control", "max-age=10, stale-if-error=60");
    /// let stored = policy.store(&req, &res, vec![], 0, 0).unwrap();
    /// assert_eq!(policy.stale_if_error(&req, &stored, 70_000), Some(70));
    /// assert_eq!(policy.stale_if_error(&req, &stored, 70_001), None);
    /// ```
    pub fn stale_if_error(
        &self,
        request: &Request,
        stored: &StoredResponse,
        now: u64,
    ) -> Option<u64> {
        let request_cc = request_directives(&request.headers);
        let (cc, targeted) = self.response_directives(&stored.headers);
        let f = self.freshness_with(stored, &cc, targeted, now);
        self.stale_if_error_allowed(&request_cc, &cc, &f)
            .then_some(f.age_secs())
    }

    /// RFC 9111 §4.3.4: applies a 304 (Not Modified) to a stored response.
    ///
    /// Returns the updated response (the stored status, the stored header
    /// fields updated from the 304), or `None` if the 304 does not select the
    /// stored response — then it "MUST NOT" be used to update it, and the
    /// request should be forwarded again without conditions.
    ///
    /// Selection ("the first match of"):
    /// - "If the new response contains one or more strong validators ..., then
    ///   each of those strong validators identifies a selected representation
    ///   for update." A strong `ETag` must equal the stored one by strong
    ///   comparison (RFC 9110 §8.8.3.2).
    /// - "If the new response contains no strong validators but does contain
    ///   one or more weak validators, and those validators correspond to one of
    ///   the initial set's stored responses" — a weak `ETag` by weak
    ///   comparison, a `Last-Modified` by equal date; every validator given
    ///   must correspond.
    /// - "If the new response does not include any form of validator ..., and
    ///   there is only one stored response in the initial set, and that stored
    ///   response also lacks a validator, then that stored response is
    ///   identified for update."
    ///
    /// Update (§3.2): "the cache MUST add each header field in the provided
    /// response to the stored response, replacing field values that are
    /// already present", except fields never stored (§3.1) and
    /// [`NOT_UPDATED_BY_304`]. Two details keep the age calculation right: if
    /// the 304 has no valid `Date`, `Date` becomes `response_time` (RFC 9110
    /// §6.6.1); if it has no `Age`, the stored `Age` is dropped (the response
    /// was just validated, so its age restarts: §4.2 "A response's age is the
    /// time that has passed since it was generated by, or successfully
    /// validated with, the origin server").
    ///
    /// Then store the result like any response: [`Policy::store`] with the
    /// stored body and the new request and response times. It re-checks
    /// storability against the updated fields, so a 304 that adds `no-store`
    /// or a `Set-Cookie` stops the write-back (serve the updated response to
    /// this client anyway).
    ///
    /// ```
    /// use edgecache::http::{Policy, Request, Response};
    /// let policy = Policy::default();
    /// let req = Request::get("https://a/");
    /// let res = Response::new(200).header("ETag", "\"v1\"").header("Cache-Control", "max-age=60")
    ///     .header("Content-Length", "5");
    /// let stored = policy.store(&req, &res, b"hello".to_vec(), 0, 0).unwrap();
    /// let not_modified = Response::new(304).header("ETag", "\"v1\"")
    ///     .header("Cache-Control", "max-age=600").header("Content-Length", "0");
    /// let updated = policy.freshen(&stored, &not_modified, 100_000).unwrap();
    /// assert_eq!(updated.status, 200);
    /// assert_eq!(updated.headers.get("cache-control"), Some("max-age=600"));
    /// assert_eq!(updated.headers.get("content-length"), Some("5"));
    /// let restored = policy.store(&req, &updated, stored.body.clone(), 99_000, 100_000).unwrap();
    /// assert_eq!(policy.freshness(&restored, 100_000).lifetime_ms, 600_000);
    ///
    /// let other = Response::new(304).header("ETag", "\"v2\"");
    /// assert!(policy.freshen(&stored, &other, 100_000).is_none());
    /// ```
    pub fn freshen(
        &self,
        stored: &StoredResponse,
        not_modified: &Response,
        response_time: u64,
    ) -> Option<Response> {
        if not_modified.status != 304
            || !selects(&stored.headers, &not_modified.headers, response_time)
        {
            return None;
        }
        let new = &not_modified.headers;
        let connection = connection_options(new);
        let mut merged = stored.headers.clone();
        let mut replaced: Vec<String> = Vec::new();
        for (name, _) in new.iter() {
            let lower = name.to_ascii_lowercase();
            if replaced.contains(&lower)
                || is_never_stored(name, &connection)
                || NOT_UPDATED_BY_304.contains(&lower.as_str())
            {
                continue;
            }
            merged.remove(name);
            for value in new.get_all(name) {
                merged.append(name, value);
            }
            replaced.push(lower);
        }
        if !matches!(single_date(new, "date", response_time), Some(Some(_))) {
            merged.set("Date", date::format(response_time));
        }
        if !new.contains("age") {
            merged.remove("age");
        }
        Some(Response {
            status: stored.status,
            headers: merged,
        })
    }

    /// Answers the client's own conditional request from a stored response
    /// that [`Policy::lookup`] allowed to be served (RFC 9111 §4.3.2, RFC 9110
    /// §13.1.2, §13.1.3, §13.2.2).
    ///
    /// - Only for GET and HEAD, and only for a stored 200 (§4.3.2: "a stored
    ///   200 (OK) or 206 (Partial Content) response"; 206 is never stored).
    /// - `If-Match` and `If-Unmodified-Since` are left to the origin (§4.3.2:
    ///   they "are not applicable to a cache").
    /// - `If-None-Match` first: `*` or any tag matching the stored `ETag` by
    ///   weak comparison ("A recipient MUST use the weak comparison function
    ///   when comparing entity tags for If-None-Match") → 304.
    /// - Otherwise `If-Modified-Since` ("A recipient MUST ignore
    ///   If-Modified-Since if the request contains an If-None-Match header
    ///   field"; it is also ignored if "not a valid HTTP-date, the field value
    ///   has more than one member"): 304 if the stored `Last-Modified` — or,
    ///   without one, its `Date` (§4.3.2: "a cache SHOULD use the stored
    ///   response's Date field value") — is earlier than or equal to it.
    ///
    /// The 304 carries (RFC 9110 §15.4.5) "Content-Location, Date, ETag, and
    /// Vary" and "Cache-Control and Expires", plus the targeted fields this
    /// cache knows, `Last-Modified` when there is no `ETag` ("e.g.,
    /// Last-Modified might be useful if the response does not have an ETag
    /// field"), and `Age` (§4: the response is used "without validation").
    ///
    /// ```
    /// use edgecache::http::{Conditional, Policy, Request, Response};
    /// let policy = Policy::default();
    /// let res = Response::new(200).header("ETag", "W/\"v1\"").header("Cache-Control", "max-age=60")
    ///     .header("Content-Type", "text/html");
    /// let stored = policy.store(&Request::get("https://a/"), &res, vec![], 0, 0).unwrap();
    /// let req = Request::get("https://a/").header("If-None-Match", "\"v0\", \"v1\"");
    /// let Conditional::NotModified(h) = policy.evaluate_conditional(&req, &stored, 5_000) else { panic!() };
    /// assert_eq!((h.get("etag"), h.get("age"), h.get("content-type")), (Some("W/\"v1\""), Some("5"), None));
    /// ```
    pub fn evaluate_conditional(
        &self,
        request: &Request,
        stored: &StoredResponse,
        now: u64,
    ) -> Conditional {
        if !(request.method == "GET" || request.method == "HEAD") || stored.status != 200 {
            return Conditional::Full;
        }
        let not_modified = if let Some(inm) = request.headers.combined("if-none-match") {
            let stored_tag = stored.headers.get("etag").and_then(EntityTag::parse);
            match inm.trim() {
                // "If the field value is "*", the condition is false if the origin
                // server has a current representation for the target resource."
                "*" => true,
                // "If the field value is a list of entity tags, the condition is
                // false if one of the listed tags matches the entity tag of the
                // selected representation."
                list => stored_tag
                    .is_some_and(|s| EntityTag::parse_list(list).iter().any(|t| t.weak_eq(&s))),
            }
        } else {
            let mut lines = request.headers.get_all("if-modified-since");
            match (lines.next(), lines.next()) {
                (Some(ims), None) => date::parse(ims, now).is_some_and(|since| {
                    let modified =
                        single_date(&stored.headers, "last-modified", stored.response_time)
                            .flatten()
                            .or_else(|| {
                                single_date(&stored.headers, "date", stored.response_time).flatten()
                            })
                            .unwrap_or(stored.response_time);
                    // "If the selected representation's last modification date is
                    // earlier or equal to the date provided in the field value, the
                    // condition is false."
                    modified <= since
                }),
                _ => false,
            }
        };
        if !not_modified {
            return Conditional::Full;
        }
        let mut names: Vec<&str> = vec![
            "cache-control",
            "content-location",
            "date",
            "etag",
            "expires",
            "vary",
        ];
        names.extend(self.targets.iter().map(String::as_str));
        if !stored.headers.contains("etag") {
            names.push("last-modified");
        }
        let mut headers: Headers = stored
            .headers
            .iter()
            .filter(|(n, _)| names.iter().any(|m| m.eq_ignore_ascii_case(n)))
            .collect();
        headers.set("Age", (current_age_ms(stored, now) / 1000).to_string());
        Conditional::NotModified(headers)
    }
}

/// The cache keys an unsafe request invalidates, given its response (RFC
/// 9111 §4.4): the target URI, and the `Location` and `Content-Location` URIs
/// when they have the target's origin. Empty for safe methods and error
/// responses. Keys are primary keys (see [`super::cache_key`]): remove each
/// one and every variant under it.
///
/// - "A cache MUST invalidate the target URI ... when it receives a non-error
///   status code in response to an unsafe request method (including methods
///   whose safety is unknown)." — every method except GET, HEAD, OPTIONS and
///   TRACE.
/// - "A "non-error response" is one with a 2xx (Successful) or 3xx
///   (Redirection) status code."
/// - "the URI(s) in the Location and Content-Location response header fields
///   (if present) are candidates for invalidation ... However, a cache MUST NOT
///   trigger an invalidation under these conditions if the origin ... of the
///   URI to be invalidated differs from that of the target URI". Relative
///   references are resolved against the target URI (RFC 3986 §5.2); a field
///   with more than one line, or that does not parse, is ignored.
///
/// ```
/// use edgecache::http::{invalidations, Request, Response};
/// let req = Request::new("POST", "https://example.com/articles/");
/// let res = Response::new(201).header("Location", "42").header("Content-Location", "https://evil.example/");
/// assert_eq!(invalidations(&req, &res), ["https://example.com/articles/", "https://example.com/articles/42"]);
/// assert!(invalidations(&req, &Response::new(500)).is_empty());
/// assert!(invalidations(&Request::get("https://example.com/"), &Response::new(200)).is_empty());
/// ```
pub fn invalidations(request: &Request, response: &Response) -> Vec<String> {
    if SAFE_METHODS.contains(&request.method.as_str()) || !(200..400).contains(&response.status) {
        return Vec::new();
    }
    let Some(target) = Url::parse_absolute(&request.url) else {
        return Vec::new();
    };
    let mut keys = vec![target.to_key()];
    for field in ["location", "content-location"] {
        let mut lines = response.headers.get_all(field);
        if let (Some(value), None) = (lines.next(), lines.next()) {
            if let Some(url) = target.resolve(value) {
                let key = url.to_key();
                if url.same_origin(&target) && !keys.contains(&key) {
                    keys.push(key);
                }
            }
        }
    }
    keys
}

/// The request's cache directives. RFC 7234 §5.4 (kept in RFC 9111 §5.4 as a
/// deprecated field): "When the Cache-Control header field is not present in
/// a request, caches MUST consider the no-cache request pragma-directive as
/// having the same effect as if "Cache-Control: no-cache" were present".
fn request_directives(headers: &Headers) -> CacheControl {
    match headers.combined("cache-control") {
        Some(value) => CacheControl::parse(&value),
        None => {
            let mut cc = CacheControl::default();
            let pragma_no_cache = headers
                .get_all("pragma")
                .flat_map(split_list)
                .any(|p| p.eq_ignore_ascii_case("no-cache"));
            if pragma_no_cache {
                cc.no_cache = Some(FieldScope::Whole);
            }
            cc
        }
    }
}

/// A date field: `None` if absent, `Some(None)` if invalid (not an
/// HTTP-date, or several lines that differ: §4.2.1), `Some(Some(ms))`.
fn single_date(headers: &Headers, name: &str, reference: u64) -> Option<Option<u64>> {
    let mut lines = headers.get_all(name);
    let first = lines.next()?;
    if lines.any(|other| other != first) {
        return Some(None);
    }
    Some(date::parse(first, reference))
}

fn has_validator(headers: &Headers) -> bool {
    headers.contains("etag") || headers.contains("last-modified")
}

/// §4.2.3 `age_value`: "The Age field value is a non-negative integer" ...
/// "a cache encountering a message with a list-based Age field value SHOULD
/// use the first member of the field value, discarding subsequent ones." ...
/// "If the field value ... is invalid ..., a cache SHOULD ignore the field."
fn age_value_ms(headers: &Headers) -> u64 {
    headers
        .get("age")
        .and_then(|v| v.split(',').next())
        .and_then(|v| super::cache_control::parse_delta_seconds(v.trim_matches([' ', '\t'])))
        .unwrap_or(0)
        .saturating_mul(1000)
}

/// §4.2.3 `corrected_initial_age`, in ms.
///
/// ```text
/// apparent_age = max(0, response_time - date_value);
/// response_delay = response_time - request_time;
/// corrected_age_value = age_value + response_delay;
/// corrected_initial_age = max(apparent_age, corrected_age_value);
/// ```
fn initial_age_ms(headers: &Headers, request_time: u64, response_time: u64) -> u64 {
    let date_value = single_date(headers, "date", response_time)
        .flatten()
        .unwrap_or(response_time);
    let apparent_age = response_time.saturating_sub(date_value);
    let response_delay = response_time.saturating_sub(request_time);
    let corrected_age_value = age_value_ms(headers).saturating_add(response_delay);
    apparent_age.max(corrected_age_value)
}

/// §4.2.3 `current_age`, in ms.
///
/// ```text
/// resident_time = now - response_time;
/// current_age = corrected_initial_age + resident_time;
/// ```
pub(crate) fn current_age_ms(stored: &StoredResponse, now: u64) -> u64 {
    let resident_time = now.saturating_sub(stored.response_time);
    initial_age_ms(&stored.headers, stored.request_time, stored.response_time)
        .saturating_add(resident_time)
}

/// §4.3.1: "When generating a conditional request for validation, a cache:
/// MUST send the relevant entity tags (using If-Match, If-None-Match, or
/// If-Range) if the entity tags were provided in the stored response(s) being
/// validated. SHOULD send the Last-Modified value (using If-Modified-Since) if
/// the request is not for a subrange, a single stored response is being
/// validated, and that response contains a Last-Modified value."
fn conditional_fields(stored: &StoredResponse) -> Headers {
    let mut headers = Headers::new();
    if let Some(etag) = stored
        .headers
        .get("etag")
        .filter(|e| EntityTag::parse(e).is_some())
    {
        headers.append("If-None-Match", etag);
    }
    if let Some(Some(_)) = single_date(&stored.headers, "last-modified", stored.response_time) {
        if let Some(lm) = stored.headers.get("last-modified") {
            headers.append("If-Modified-Since", lm);
        }
    }
    headers
}

/// Does the 304's validator set select the stored response (§4.3.4)?
fn selects(stored: &Headers, new: &Headers, reference: u64) -> bool {
    let stored_tag = stored.get("etag").and_then(EntityTag::parse);
    let new_tag = new.get("etag").and_then(EntityTag::parse);
    if let Some(new_tag) = &new_tag {
        if !new_tag.weak {
            return stored_tag.is_some_and(|s| s.strong_eq(new_tag));
        }
    }
    let stored_lm = single_date(stored, "last-modified", reference).flatten();
    let new_lm = single_date(new, "last-modified", reference).flatten();
    if new_tag.is_some() || new_lm.is_some() {
        let tag_ok = new_tag.is_none_or(|n| stored_tag.is_some_and(|s| s.weak_eq(&n)));
        let lm_ok = new_lm.is_none_or(|n| stored_lm == Some(n));
        return tag_ok && lm_ok;
    }
    stored_tag.is_none() && stored_lm.is_none()
}

/// An entity tag (RFC 9110 §8.8.3): `entity-tag = [ weak ] opaque-tag`,
/// `weak = %s"W/"`, `opaque-tag = DQUOTE *etagc DQUOTE`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct EntityTag<'a> {
    weak: bool,
    opaque: &'a str,
}

impl<'a> EntityTag<'a> {
    fn parse(s: &'a str) -> Option<EntityTag<'a>> {
        match EntityTag::parse_prefix(s.trim_matches([' ', '\t']))? {
            (tag, "") => Some(tag),
            _ => None,
        }
    }

    /// One tag at the start of `s`, and the rest.
    fn parse_prefix(s: &'a str) -> Option<(EntityTag<'a>, &'a str)> {
        let (weak, rest) = match s.strip_prefix("W/") {
            Some(rest) => (true, rest),
            None => (false, s),
        };
        let body = rest.strip_prefix('"')?;
        let end = body.find('"')?;
        let opaque = body.get(..end)?;
        // etagc = %x21 / %x23-7E / obs-text
        if opaque
            .chars()
            .any(|c| c.is_ascii() && !matches!(c, '\x21' | '\x23'..='\x7E'))
        {
            return None;
        }
        Some((EntityTag { weak, opaque }, body.get(end + 1..)?))
    }

    /// `#entity-tag`; stops at the first member that does not parse.
    fn parse_list(s: &'a str) -> Vec<EntityTag<'a>> {
        let mut tags = Vec::new();
        let mut rest = s;
        loop {
            rest = rest.trim_start_matches([' ', '\t', ',']);
            if rest.is_empty() {
                return tags;
            }
            match EntityTag::parse_prefix(rest) {
                Some((tag, after)) => {
                    tags.push(tag);
                    rest = after;
                }
                None => return tags,
            }
        }
    }

    /// RFC 9110 §8.8.3.2: "Strong comparison: two entity tags are equivalent
    /// if both are not weak and their opaque-tags match character-by-character."
    fn strong_eq(&self, other: &EntityTag<'_>) -> bool {
        !self.weak && !other.weak && self.opaque == other.opaque
    }

    /// "Weak comparison: two entity tags are equivalent if their opaque-tags
    /// match character-by-character, regardless of either or both being
    /// tagged as "weak"."
    fn weak_eq(&self, other: &EntityTag<'_>) -> bool {
        self.opaque == other.opaque
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 9110 §8.8.3.2, Table 3.
    #[test]
    fn rfc9110_8_8_3_2_entity_tag_comparison_table() {
        let cases = [
            (r#"W/"1""#, r#"W/"1""#, false, true),
            (r#"W/"1""#, r#"W/"2""#, false, false),
            (r#"W/"1""#, r#""1""#, false, true),
            (r#""1""#, r#""1""#, true, true),
        ];
        for (a, b, strong, weak) in cases {
            let (a, b) = (EntityTag::parse(a).unwrap(), EntityTag::parse(b).unwrap());
            assert_eq!(
                (a.strong_eq(&b), a.weak_eq(&b)),
                (strong, weak),
                "{a:?} {b:?}"
            );
        }
    }

    #[test]
    fn entity_tag_syntax() {
        assert!(EntityTag::parse("xyzzy").is_none());
        assert!(EntityTag::parse("\"a b\"").is_none());
        assert!(EntityTag::parse("w/\"a\"").is_none());
        assert_eq!(EntityTag::parse_list(r#""a", W/"b",, "c"#).len(), 2);
        assert_eq!(EntityTag::parse_list(r#""a,b", "c""#).len(), 2);
    }

    /// Found by `fuzz/fuzz_targets/cache_control.rs`: lines are combined with
    /// `", "` before parsing, so an unterminated quote on one `Cache-Control`
    /// line hid `private` / `no-store` on the next, and a shared cache stored
    /// the private response.
    #[test]
    fn a_malformed_cache_control_line_never_hides_private_or_no_store() {
        let policy = Policy::default();
        let req = Request::get("https://example.com/account");
        for (garbage, restrictive, reason) in [
            ("ext=\"oops", "private", NotStorable::Private),
            ("max-age=60, x=\"", "no-store", NotStorable::NoStore),
            ("%\"", "private", NotStorable::Private),
            (
                "public, max-age=60, a=\"b\\",
                "private",
                NotStorable::Private,
            ),
        ] {
            let two_lines = Response::new(200)
                .header("Cache-Control", garbage)
                .header("Cache-Control", restrictive);
            assert_eq!(
                policy.storable(&req, &two_lines, 0),
                Err(reason),
                "{garbage:?}"
            );
            let one_line =
                Response::new(200).header("Cache-Control", format!("{garbage}, {restrictive}"));
            assert_eq!(
                policy.storable(&req, &one_line, 0),
                Err(reason),
                "{garbage:?}"
            );
        }
    }

    #[test]
    fn age_value_takes_the_first_member_and_ignores_garbage() {
        assert_eq!(age_value_ms(&Headers::new().with("Age", "5, 9")), 5_000);
        assert_eq!(age_value_ms(&Headers::new().with("Age", "-5")), 0);
        assert_eq!(
            age_value_ms(&Headers::new().with("Age", "99999999999999999999")),
            MAX_DELTA_SECONDS * 1000
        );
    }
}
