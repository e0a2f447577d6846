//! Storing responses (RFC 9111 §3): whether a response may be stored
//! (§3, §3.5, §5.2.2.3, §5.2.2.5, §5.2.2.7) and its stored form (RFC 9110
//! §6.6.1 `Date`, §4.1 selecting fields).

use super::super::cache_control::{Delta, FieldScope};
use super::super::date;
use super::super::headers::{without_hop_by_hop, Headers};
use super::super::stored::StoredResponse;
use super::super::vary::{normalized_url, Vary};
use super::super::{Request, Response};
use super::freshness::initial_age_ms;
use super::{
    has_validator, request_directives, single_date, NotStorable, Policy, HEURISTICALLY_CACHEABLE,
    UNDERSTOOD_STATUSES,
};

impl Policy {
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
        // The selecting request fields, without hop-by-hop ones (a `Vary:
        // Transfer-Encoding`), exactly as the stored form keeps them: what
        // is matched before and after a round trip through storage agrees.
        let request_headers = match Vary::parse(&headers) {
            Vary::Fields(fields) => without_hop_by_hop(
                &fields
                    .iter()
                    .flat_map(|f| request.headers.get_all(f).map(move |v| (f.clone(), v)))
                    .collect(),
            ),
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
}
