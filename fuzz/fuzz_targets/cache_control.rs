//! Cache directives (`src/http/cache_control.rs`): `CacheControl::parse`,
//! `parse_directives`, `parse_targeted` and `parse_delta_seconds` never
//! panic on any text, their results are well-formed, and a restrictive
//! directive appended to *any* value — however malformed (an unterminated
//! quote, a stray backslash) — is always seen: garbage earlier in a field
//! must never hide a later `private` or `no-store`.
#![no_main]

use arbitrary::Arbitrary;
use edgecache::http::cache_control::{
    parse_delta_seconds, parse_directives, parse_targeted, CacheControl, Delta, FieldScope,
    MaxStale, MAX_DELTA_SECONDS,
};
use edgecache_fuzz::Directive;
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
enum Text {
    Raw(String),
    Directives(Vec<Directive>),
}

fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

fn check_delta(d: Option<Delta>) {
    if let Some(Delta::Seconds(s)) = d {
        assert!(s <= MAX_DELTA_SECONDS);
    }
}

fn check(cc: &CacheControl) {
    for d in [
        cc.max_age,
        cc.s_maxage,
        cc.min_fresh,
        cc.stale_while_revalidate,
        cc.stale_if_error,
    ] {
        check_delta(d);
    }
    if let Some(MaxStale::Seconds(s)) = cc.max_stale {
        assert!(s <= MAX_DELTA_SECONDS);
    }
    for scope in [&cc.private, &cc.no_cache].into_iter().flatten() {
        if let FieldScope::Fields(names) = scope {
            assert!(!names.is_empty());
            assert!(names
                .iter()
                .all(|n| is_token(n) && *n == n.to_ascii_lowercase()));
        }
    }
}

fuzz_target!(|text: Text| {
    let value = match &text {
        Text::Raw(s) => s.clone(),
        Text::Directives(d) => d
            .iter()
            .map(Directive::render)
            .collect::<Vec<_>>()
            .join(", "),
    };

    let directives = parse_directives(&value);
    for d in &directives {
        assert!(is_token(&d.name), "{:?}", d.name);
        assert_eq!(d.name, d.name.to_ascii_lowercase());
    }
    let cc = CacheControl::parse(&value);
    assert_eq!(cc, CacheControl::from_directives(&directives));
    check(&cc);

    if let Some(targeted) = parse_targeted(&value) {
        let mut names: Vec<&str> = targeted.iter().map(|d| d.name.as_str()).collect();
        for name in &names {
            assert!(!name.is_empty() && name.bytes().all(|b| !b.is_ascii_uppercase()));
        }
        // RFC 8941 §4.2.2: a repeated key keeps one member.
        names.sort_unstable();
        let before = names.len();
        names.dedup();
        assert_eq!(before, names.len(), "duplicate keys in {value:?}");
        check(&CacheControl::from_directives(&targeted));
    }

    if let Some(n) = parse_delta_seconds(&value) {
        assert!(n <= MAX_DELTA_SECONDS);
        assert!(value.bytes().all(|b| b.is_ascii_digit()));
    }

    // Restrictive directives after anything are always seen, whether they
    // follow on the same line or on a second line combined with ", ".
    let private = CacheControl::parse(&format!("{value}, private"));
    assert_eq!(
        private.private,
        Some(FieldScope::Whole),
        "private hidden by {value:?}"
    );
    assert!(
        CacheControl::parse(&format!("{value},no-store")).no_store,
        "no-store hidden by {value:?}"
    );
    assert!(CacheControl::parse(&format!("{value}, no-cache"))
        .no_cache
        .is_some());
    // And so is a must-revalidate (it forbids serving stale).
    assert!(CacheControl::parse(&format!("{value}, must-revalidate")).must_revalidate);
});
