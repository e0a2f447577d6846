//! The caching policy of RFC 9111: whether to store a response (§3), how
//! fresh a stored one is (§4.2), whether a stored one may answer a request
//! (§4), how to validate it (§4.3) and what an unsafe request invalidates
//! (§4.4). Every function is pure: times are arguments, in ms since the
//! epoch.
//!
//! The RFC's sentences sit next to the code that implements them. Decisions
//! the RFC leaves open are marked **Decision**.
//!
//! | file | RFC | what |
//! |---|---|---|
//! | `mod.rs` | 9111 §5.4, 9213 §2.2 | [`Policy`], [`CacheOptions`], the constants, the directives that govern a request or a response |
//! | `results.rs` | 9111 §3, §4, §4.3 | what the policy answers: [`NotStorable`], [`Lookup`], [`Revalidation`], [`RevalidateReason`], [`MissReason`], [`Conditional`] |
//! | `storable.rs` | 9111 §3, §3.5, §5.2.2.7; 9110 §6.6.1 | [`Policy::storable`], [`Policy::store`] |
//! | `freshness.rs` | 9111 §4.2.1-§4.2.3 | [`Freshness`], lifetime, heuristics, age, stale windows, [`Policy::useful_until`] |
//! | `lookup.rs` | 9111 §4, §4.2.4, §5.2.1; 5861; 8246 | [`Policy::lookup`], [`Policy::stale_if_error`] |
//! | `conditional.rs` | 9111 §4.3.1, §4.3.2, §4.3.4; 9110 §13 | [`Policy::freshen`], [`Policy::evaluate_conditional`], the validators a revalidation sends |
//! | `etag.rs` | 9110 §8.8.3 | entity-tag parsing and comparison |
//! | `invalidation.rs` | 9111 §4.4 | [`invalidations`] |

mod conditional;
mod freshness;
mod invalidation;
mod lookup;
mod results;
mod storable;

use super::cache_control::{parse_targeted, CacheControl, FieldScope};
use super::date;
use super::headers::{split_list, Headers};

pub(crate) use freshness::current_age_ms;
pub use freshness::Freshness;
pub use invalidation::invalidations;
pub use results::{Conditional, Lookup, MissReason, NotStorable, RevalidateReason, Revalidation};

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
    /// How long past its freshness (seconds) a stored response may stand in
    /// for an origin that fails when the response has no `stale-if-error` of
    /// its own. Default 0 (only the response's or the request's
    /// `stale-if-error` allows it).
    ///
    /// RFC 9111 §4.2.4 lets a cache serve stale when "it is disconnected";
    /// **Decision:** the default never overrides what forbids stale use:
    /// `must-revalidate`, `no-cache` and, in a shared cache,
    /// `proxy-revalidate` and `s-maxage`. Responses are kept that much
    /// longer in storage.
    pub stale_if_error_secs: u64,
}

impl Default for CacheOptions {
    fn default() -> Self {
        CacheOptions {
            shared: true,
            targeted_field: None,
            cache_set_cookie: false,
            heuristic_percent: 10,
            heuristic_max_secs: 86_400,
            stale_if_error_secs: 0,
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

    /// Sets [`CacheOptions::stale_if_error_secs`].
    ///
    /// ```
    /// let o = edgecache::http::CacheOptions::default().stale_if_error(300);
    /// assert_eq!(o.stale_if_error_secs, 300);
    /// ```
    #[must_use]
    pub fn stale_if_error(mut self, secs: u64) -> Self {
        self.stale_if_error_secs = secs;
        self
    }
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
        (
            CacheControl::parse_lines(headers.get_all("cache-control")),
            false,
        )
    }
}

/// The request's cache directives. RFC 7234 §5.4 (kept in RFC 9111 §5.4 as a
/// deprecated field): "When the Cache-Control header field is not present in
/// a request, caches MUST consider the no-cache request pragma-directive as
/// having the same effect as if "Cache-Control: no-cache" were present".
fn request_directives(headers: &Headers) -> CacheControl {
    match headers.get_all("cache-control").next() {
        Some(_) => CacheControl::parse_lines(headers.get_all("cache-control")),
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

#[cfg(test)]
mod tests {
    use super::super::{Request, Response};
    use super::*;

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

    /// Found by the policy fuzz target: a quote left open in one
    /// `Cache-Control` line paired with one in a later line, and the
    /// `no-cache` between them was lost, so the response was served fresh.
    #[test]
    fn a_quote_in_one_cache_control_line_never_hides_another_lines_no_cache() {
        let policy = Policy::default();
        let req = Request::get("https://example.com/");
        let res = Response::new(200)
            .header("Cache-Control", "max-age=99999999999999999999999")
            .header("Cache-Control", "W/\"etag\" x\"")
            .header("Cache-Control", "no-cache, private=\"Age, Location\"")
            .header("ETag", "\"v\"");
        let stored = policy.store(&req, &res, vec![], 0, 0).unwrap();
        assert!(
            matches!(
                policy.lookup(&req, Some(&stored), 1_000),
                Lookup::Revalidate(_)
            ),
            "{:?}",
            policy.lookup(&req, Some(&stored), 1_000)
        );
        let request_lines = Request::get("https://example.com/")
            .header("Cache-Control", "x=\"")
            .header("Cache-Control", "no-cache, y=\"");
        assert!(request_directives(&request_lines.headers)
            .no_cache
            .is_some());
    }
}
