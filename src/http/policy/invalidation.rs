//! Invalidating stored responses (RFC 9111 §4.4) after an unsafe request.

use super::super::uri::Url;
use super::super::{Request, Response};
use super::SAFE_METHODS;

/// The cache keys an unsafe request invalidates, given its response (RFC
/// 9111 §4.4): the target URI, and the `Location` and `Content-Location` URIs
/// when they have the target's origin. Empty for safe methods and error
/// responses. Keys are primary keys (see [`super::cache_key`](crate::http::cache_key)): remove each
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
