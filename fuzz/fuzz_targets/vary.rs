//! Vary (`src/http/vary.rs`): `Vary::parse`, `matches`, `normalized_value`,
//! `variant_key`, `cache_key` and `entry_key` never panic, and the keys are
//! sound: two requests get the same variant key exactly when `Vary` says they
//! match (so a key collision can never hand one user another's variant), the
//! canonical `Vary` value reads back to itself, and storage keys built from
//! different (URL, variant) pairs never collide. With the stored response's
//! language: a request finds a stored response under one of its
//! `variant_keys` exactly when `Vary::selects` says it may answer it.
#![no_main]

use arbitrary::Arbitrary;
use edgecache::http::vary::{normalized_value, variant_key_for_response, variant_keys};
use edgecache::http::{cache_key, entry_key, variant_key, Headers, Vary};
use edgecache_fuzz::{headers, Line, UrlChoice};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Input {
    response: Vec<Line>,
    first: Vec<Line>,
    second: Vec<Line>,
    url_a: UrlChoice,
    url_b: UrlChoice,
}

fuzz_target!(|input: Input| {
    let response = headers(&input.response);
    let (a, b) = (headers(&input.first), headers(&input.second));
    let vary = Vary::parse(&response);

    // The canonical value is a fixed point.
    let canonical = vary.header_value();
    assert_eq!(
        Vary::parse(&Headers::new().with("Vary", &canonical)),
        vary,
        "{canonical:?}"
    );

    match &vary {
        Vary::Any => {
            assert!(!vary.matches(&a, &a));
            assert_eq!(variant_key(&vary, &a), None);
        }
        Vary::Fields(fields) => {
            let mut sorted = fields.clone();
            sorted.sort();
            sorted.dedup();
            assert_eq!(&sorted, fields, "fields are sorted and unique");
            assert!(vary.matches(&a, &a) && vary.matches(&b, &b));
            assert_eq!(vary.matches(&a, &b), vary.matches(&b, &a));
            let (ka, kb) = (
                variant_key(&vary, &a).unwrap(),
                variant_key(&vary, &b).unwrap(),
            );
            // Injective on normalised values: same key <=> the requests match.
            assert_eq!(ka == kb, vary.matches(&a, &b), "{ka:?} vs {kb:?}");
            for f in fields {
                let (va, vb) = (normalized_value(f, &a), normalized_value(f, &b));
                if ka == kb {
                    assert_eq!(va, vb, "{f}");
                }
            }
        }
    }

    // The stored response's key is among a request's candidates exactly
    // when the response may answer that request.
    for (original, presented) in [(&a, &b), (&b, &a), (&a, &a)] {
        let stored = variant_key_for_response(&vary, original, &response);
        let found = stored.is_some_and(|k| variant_keys(&vary, presented).contains(&k));
        assert_eq!(found, vary.selects(original, presented, &response));
        if vary.matches(original, presented) {
            assert!(vary.selects(original, presented, &response), "selects is wider than matches");
        }
    }

    // Primary keys: normalised, newline-free, idempotent; entry keys injective.
    let (ua, ub) = (input.url_a.render(), input.url_b.render());
    let keys: Vec<String> = [&ua, &ub]
        .into_iter()
        .filter_map(|u| {
            let get = cache_key("GET", u).ok();
            assert_eq!(get, cache_key("HEAD", u).ok());
            assert!(cache_key("POST", u).is_err());
            get
        })
        .collect();
    for key in &keys {
        assert!(!key.contains('\n'), "{key:?}");
        assert_eq!(
            cache_key("GET", key).as_deref(),
            Ok(key.as_str()),
            "not idempotent"
        );
    }
    if let [ka, kb] = keys.as_slice() {
        let va = variant_key(&vary, &a).unwrap_or_default();
        let vb = variant_key(&vary, &b).unwrap_or_default();
        if entry_key(ka, &va) == entry_key(kb, &vb) {
            assert_eq!((ka, &va), (kb, &vb));
        }
    }
});
