//! The RFC 9111 policy (`src/http/policy/`): arbitrary requests, responses
//! and statuses through `storable`, `store`, `lookup`, `freshen`,
//! `evaluate_conditional`, `stale_if_error` and `invalidations` never panic,
//! and a shared cache NEVER stores
//!
//! - a response whose governing directives say `private` (unqualified),
//! - a response whose governing directives say `no-store` (unless
//!   `must-understand` with a status it implements, RFC 9111 §5.2.2.3),
//! - a response to a request that said `no-store`,
//! - a response to a request with `Authorization` unless the response says
//!   `public`, `must-revalidate` or a valid `s-maxage` (§3.5),
//! - a `Set-Cookie` field (unless `cacheSetCookie`), hop-by-hop fields, or
//!   the fields a qualified `private="..."` names.
//!
//! The oracle reads each `Cache-Control` line on its own, so a malformed
//! line can never hide a restrictive directive on another line. "Governing"
//! follows RFC 9213: a valid targeted field replaces `Cache-Control`.
#![no_main]

use arbitrary::Arbitrary;
use edgecache::http::cache_control::{parse_targeted, CacheControl, Delta, FieldScope};
use edgecache::http::date;
use edgecache::http::policy::UNDERSTOOD_STATUSES;
use edgecache::http::{
    invalidations, CacheOptions, Headers, Lookup, Policy, Request, Response, StoredResponse, Vary,
};
use edgecache_fuzz::{headers, Line, UrlChoice, T0, TARGETED_FIELD};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
enum Method {
    Get,
    Head,
    Post,
    Put,
    Delete,
    Other(String),
}

impl Method {
    fn as_str(&self) -> &str {
        match self {
            Method::Get => "GET",
            Method::Head => "HEAD",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Delete => "DELETE",
            Method::Other(s) => s,
        }
    }
}

#[derive(Arbitrary, Debug)]
struct Input {
    shared: bool,
    targeted: bool,
    cache_set_cookie: bool,
    method: Method,
    url: UrlChoice,
    request: Vec<Line>,
    status: u16,
    response: Vec<Line>,
    /// Delay before the response arrives, and before the later reads (ms).
    delay: u16,
    later: u32,
    /// Another user's request for the same URL.
    other: Vec<Line>,
    other_method: Method,
    /// A 304 (or not) used to freshen the stored response.
    not_modified_status: u16,
    not_modified: Vec<Line>,
}

const NEVER_STORED: [&str; 10] = [
    "connection",
    "keep-alive",
    "proxy-connection",
    "te",
    "transfer-encoding",
    "upgrade",
    "trailer",
    "proxy-authenticate",
    "proxy-authentication-info",
    "proxy-authorization",
];

/// The governing directives, one `CacheControl` per field line.
fn governing(targets: &[&str], h: &Headers) -> Vec<CacheControl> {
    for name in targets {
        if let Some(d) = h.combined(name).and_then(|v| parse_targeted(&v)) {
            return vec![CacheControl::from_directives(&d)];
        }
    }
    h.get_all("cache-control")
        .map(CacheControl::parse)
        .collect()
}

fn request_lines(h: &Headers) -> Vec<CacheControl> {
    h.get_all("cache-control")
        .map(CacheControl::parse)
        .collect()
}

/// Checks that a stored response obeys the rules for a shared cache.
fn assert_shared_store_allowed(
    input: &Input,
    targets: &[&str],
    req: &Request,
    res: &Response,
    stored: &StoredResponse,
) {
    let lines = governing(targets, &res.headers);
    let any = |f: &dyn Fn(&CacheControl) -> bool| lines.iter().any(f);
    assert!(
        !any(&|c| c.private == Some(FieldScope::Whole)),
        "stored a private response: {res:?}"
    );
    assert!(
        !any(&|c| c.no_store)
            || (any(&|c| c.must_understand) && UNDERSTOOD_STATUSES.contains(&res.status)),
        "stored a no-store response: {res:?}"
    );
    assert!(
        !request_lines(&req.headers).iter().any(|c| c.no_store),
        "stored a response to a no-store request: {req:?}"
    );
    if req.headers.contains("authorization") {
        assert!(
            any(&|c| c.public
                || c.must_revalidate
                || matches!(c.s_maxage, Some(Delta::Seconds(_)))),
            "stored a response to an authorised request without public/s-maxage/must-revalidate: {req:?} {res:?}"
        );
    }
    if !input.cache_set_cookie {
        assert!(
            !stored.headers.contains("set-cookie"),
            "stored Set-Cookie: {res:?}"
        );
    }
    for name in NEVER_STORED {
        assert!(!stored.headers.contains(name), "stored hop-by-hop {name}");
    }
    for c in &lines {
        if let Some(FieldScope::Fields(names)) = &c.private {
            for n in names {
                if n == "date" {
                    // The cache's own Date replaces the origin's (RFC 9110 §6.6.1).
                    let own = date::format(stored.response_time);
                    assert_eq!(
                        stored.headers.get_all("date").collect::<Vec<_>>(),
                        [own.as_str()]
                    );
                } else {
                    assert!(!stored.headers.contains(n), "stored private field {n}");
                }
            }
        }
    }
    assert_ne!(Vary::parse(&res.headers), Vary::Any, "stored Vary: *");
}

fuzz_target!(|input: Input| {
    let mut options = CacheOptions::default()
        .shared(input.shared)
        .cache_set_cookie(input.cache_set_cookie);
    if input.targeted {
        options = options.targeted_field(TARGETED_FIELD);
    }
    let policy = Policy::new(options);
    let mut targets: Vec<&str> = Vec::new();
    if input.targeted {
        targets.push("fuzz-cache-control");
    }
    if input.shared {
        targets.push("cdn-cache-control");
    }

    let url = input.url.render();
    let mut req = Request::new(input.method.as_str(), url.clone());
    req.headers = headers(&input.request);
    let res = Response {
        status: input.status,
        headers: headers(&input.response),
    };
    let request_time = T0;
    let response_time = T0 + u64::from(input.delay);

    let storable = policy.storable(&req, &res, response_time);
    let stored = policy.store(&req, &res, b"body".to_vec(), request_time, response_time);
    assert_eq!(
        storable.is_ok(),
        stored.is_ok(),
        "storable and store disagree"
    );
    let _ = invalidations(&req, &res);

    let mut other = Request::new(input.other_method.as_str(), url);
    other.headers = headers(&input.other);
    let other_res = Response {
        status: input.not_modified_status,
        headers: headers(&input.not_modified),
    };
    let _ = invalidations(&other, &other_res);
    let later = response_time + u64::from(input.later);
    let _ = policy.lookup(&other, None, later);

    let Ok(stored) = stored else { return };
    if input.shared {
        assert_shared_store_allowed(&input, &targets, &req, &res, &stored);
    }
    // What is stored survives its encoding, and is read back the same.
    let decoded = StoredResponse::decode(&stored.encode()).expect("a stored response decodes");
    assert_eq!(decoded, stored);

    for (who, request) in [("same user", &req), ("other user", &other)] {
        for now in [response_time, later, u64::MAX] {
            let lookup = policy.lookup(request, Some(&stored), now);
            let served = matches!(
                lookup,
                Lookup::Fresh { .. } | Lookup::Stale { .. } | Lookup::StaleWhileRevalidate { .. }
            );
            if served {
                // Never served across a Vary mismatch, nor unvalidated against
                // a no-cache (the response's or the request's).
                let vary = Vary::parse(&stored.headers);
                assert!(
                    vary.selects(&stored.request_headers, &request.headers, &stored.headers),
                    "{who}: Vary mismatch served"
                );
                assert!(
                    !governing(&targets, &stored.headers)
                        .iter()
                        .any(|c| c.no_cache.is_some()),
                    "{who}: served a no-cache response unvalidated"
                );
                assert!(
                    !request_lines(&request.headers)
                        .iter()
                        .any(|c| c.no_cache.is_some()),
                    "{who}: served despite the request's no-cache"
                );
                assert!(request.method == "GET" || request.method == "HEAD");
                let _ = policy.evaluate_conditional(request, &stored, now);
                let _ = stored.headers_at(now);
            }
            if let Lookup::Stale { .. } = lookup {
                assert!(
                    !governing(&targets, &stored.headers)
                        .iter()
                        .any(|c| c.must_revalidate),
                    "{who}: served stale despite must-revalidate"
                );
            }
            let _ = policy.stale_if_error(request, &stored, now);
        }
    }
    let _ = policy.useful_until(&stored);

    // Freshen with the (maybe) 304, then store again as fetch() does: the
    // re-store is checked by the same rules.
    if let Some(updated) = policy.freshen(&stored, &other_res, later) {
        assert_eq!(updated.status, stored.status);
        if let Ok(restored) = policy.store(&req, &updated, stored.body.clone(), later, later) {
            if input.shared {
                assert_shared_store_allowed(&input, &targets, &req, &updated, &restored);
            }
            let _ = policy.lookup(&other, Some(&restored), later);
        }
    }
});
