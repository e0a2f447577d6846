//! Constructing responses from caches (RFC 9111 §4): whether a stored
//! response may answer a request, fresh (§4.2), stale (§4.2.4, §5.2.1.2,
//! RFC 5861 §3 `stale-while-revalidate`), after validation (§4.3) or not at
//! all; `only-if-cached` (§5.2.1.7), `immutable` (RFC 8246) and
//! `stale-if-error` (RFC 5861 §4).

use super::super::cache_control::{CacheControl, Delta, MaxStale, MAX_DELTA_SECONDS};
use super::super::stored::StoredResponse;
use super::super::vary::{normalized_url, Vary};
use super::super::Request;
use super::conditional::conditional_fields;
use super::{
    request_directives, Freshness, Lookup, MissReason, Policy, RevalidateReason, Revalidation,
};

impl Policy {
    /// RFC 9111 §4: may the stored response answer this request, and how?
    ///
    /// `stored` is what is stored under the request's key (see
    /// [`super::cache_key`](crate::http::cache_key) and [`super::entry_key`](crate::http::entry_key)), or `None`.
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
        if !vary.selects(&stored.request_headers, &request.headers, &stored.headers) {
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
    /// [`CacheOptions::stale_if_error_secs`](super::CacheOptions::stale_if_error_secs)
    /// as a directive value, if set.
    pub(super) fn default_stale_if_error(&self) -> Option<Delta> {
        let secs = self.options.stale_if_error_secs;
        (secs > 0).then_some(Delta::Seconds(secs))
    }

    pub(super) fn client_may_not_take_stale(&self, cc: &CacheControl) -> bool {
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
    /// Without a response `stale-if-error`, [`CacheOptions::stale_if_error_secs`]
    /// stands in for it where nothing forbids stale use.
    ///
    /// [`CacheOptions::stale_if_error_secs`]: super::CacheOptions::stale_if_error_secs
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
        let stale_allowed = !self.client_may_not_take_stale(cc);
        within(cc.stale_if_error)
            || (stale_allowed && within(request_cc.stale_if_error))
            || (stale_allowed
                && cc.stale_if_error.is_none()
                && within(self.default_stale_if_error()))
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
}
