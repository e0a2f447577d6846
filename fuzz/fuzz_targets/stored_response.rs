//! The stored form of a response (`src/http/stored.rs`): decoding arbitrary
//! bytes (anything a cache backend hands back) never panics; what decodes
//! re-encodes and decodes to the same value; every structured response
//! survives encode/decode (hop-by-hop fields excepted); and the policy can
//! read whatever decodes (freshness, lookup, conditional answers, `Age`)
//! without panicking — stored data is untrusted too.
#![no_main]

use arbitrary::Arbitrary;
use edgecache::http::{CacheOptions, Headers, Policy, Request, StoredResponse};
use edgecache_fuzz::{headers, Line, T0};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
enum Input {
    Bytes(Vec<u8>),
    Structured {
        url: String,
        status: u16,
        headers: Vec<(String, String)>,
        request_headers: Vec<(String, String)>,
        body: Vec<u8>,
        request_time: u64,
        response_time: u64,
    },
    /// Meaningful header lines, so that the policy reads get exercised.
    Http {
        status: u16,
        headers: Vec<Line>,
        request_headers: Vec<Line>,
        request: Vec<Line>,
        age_ms: u32,
    },
}

const HOP_BY_HOP: [&str; 10] = [
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

/// Header lines that encode keeps: no hop-by-hop name, no `Connection`
/// (which would name more), values as `Headers::append` stores them.
fn kept(lines: &[(String, String)]) -> Headers {
    lines
        .iter()
        .filter(|(n, _)| !HOP_BY_HOP.iter().any(|h| h.eq_ignore_ascii_case(n)))
        .map(|(n, v)| (n.clone(), v.clone()))
        .collect()
}

fn read_with_policies(stored: &StoredResponse, request: &Request) {
    for policy in [
        Policy::default(),
        Policy::new(CacheOptions::default().shared(false)),
        Policy::new(CacheOptions::default().targeted_field("Fuzz-Cache-Control")),
    ] {
        for now in [
            0,
            stored.response_time,
            stored.response_time.saturating_add(60_000),
            u64::MAX,
        ] {
            let _ = stored.headers_at(now);
            let f = policy.freshness(stored, now);
            let _ = (
                f.is_fresh(),
                f.remaining_ms(),
                f.staleness_ms(),
                f.age_secs(),
            );
            let _ = policy.useful_until(stored);
            let _ = policy.lookup(request, Some(stored), now);
            let _ = policy.stale_if_error(request, stored, now);
            let _ = policy.evaluate_conditional(request, stored, now);
        }
    }
}

fuzz_target!(|input: Input| {
    match input {
        Input::Bytes(bytes) => {
            if let Ok(stored) = StoredResponse::decode(&bytes) {
                let again = stored.encode();
                assert_eq!(StoredResponse::decode(&again).as_ref(), Ok(&stored));
                // A canonical encoding is a fixed point.
                assert_eq!(StoredResponse::decode(&again).unwrap().encode(), again);
                let request = Request::get(stored.url.clone());
                read_with_policies(&stored, &request);
            }
        }
        Input::Structured {
            url,
            status,
            headers,
            request_headers,
            body,
            request_time,
            response_time,
        } => {
            let stored = StoredResponse {
                url,
                status,
                headers: kept(&headers),
                request_headers: kept(&request_headers),
                body,
                request_time,
                response_time,
            };
            let bytes = stored.encode();
            assert_eq!(StoredResponse::decode(&bytes).as_ref(), Ok(&stored));
            // Every strict prefix and any trailing byte is refused.
            for cut in [0, 1, bytes.len() / 2, bytes.len() - 1] {
                assert!(
                    StoredResponse::decode(&bytes[..cut]).is_err(),
                    "prefix {cut}"
                );
            }
            let mut longer = bytes;
            longer.push(0);
            assert!(StoredResponse::decode(&longer).is_err());
        }
        Input::Http {
            status,
            headers: lines,
            request_headers,
            request: request_lines,
            age_ms,
        } => {
            let stored = StoredResponse {
                url: "https://example.com/page".into(),
                status,
                headers: headers(&lines),
                request_headers: headers(&request_headers),
                body: b"body".to_vec(),
                request_time: T0,
                response_time: T0.saturating_add(u64::from(age_ms % 10_000)),
            };
            let decoded = StoredResponse::decode(&stored.encode()).unwrap();
            let mut request = Request::get("https://example.com/page");
            request.headers = headers(&request_lines);
            read_with_policies(&decoded, &request);
        }
    }
});
