//! RFC conformance of `edgecache::http`: one table row per requirement, each
//! named after the behaviour and the RFC section it comes from
//! (`rfc9111_3_5_...` is RFC 9111 §3.5). Every row states an exact expected
//! outcome, so each one fails if the behaviour changes; a table reports all
//! of its failing rows at once.
#![cfg(not(target_arch = "wasm32"))]

use std::collections::HashSet;

use edgecache::http::{
    cache_key, date, entry_key, invalidations, variant_key, CacheOptions, CacheStatus, Conditional,
    Headers, Lookup, MissReason, NotStorable, Policy, Request, Response, RevalidateReason,
    StoredResponse, Vary,
};

/// Tue, 14 Nov 2023 22:13:20 GMT.
const T0: u64 = 1_700_000_000_000;
const S: u64 = 1_000;
const URL: &str = "https://example.com/x";

fn hs(pairs: &[(&str, &str)]) -> Headers {
    pairs.iter().map(|&(k, v)| (k, v)).collect()
}

fn http_date(ms: u64) -> String {
    date::format(ms)
}

fn get(headers: &[(&str, &str)]) -> Request {
    Request {
        method: "GET".into(),
        url: URL.into(),
        headers: hs(headers),
    }
}

fn res(status: u16, headers: &[(&str, &str)]) -> Response {
    Response {
        status,
        headers: hs(headers),
    }
}

fn shared() -> CacheOptions {
    CacheOptions::default()
}

fn private() -> CacheOptions {
    CacheOptions::default().shared(false)
}

/// Runs every row and fails once, listing all failing rows.
fn check_all<T>(rows: &[T], name: impl Fn(&T) -> &str, check: impl Fn(&T) -> Result<(), String>) {
    let failures: Vec<String> = rows
        .iter()
        .filter_map(|row| check(row).err().map(|e| format!("  {}: {e}", name(row))))
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} rows failed:\n{}",
        failures.len(),
        rows.len(),
        failures.join("\n")
    );
}

fn expect_eq<T: PartialEq + std::fmt::Debug>(got: T, want: T) -> Result<(), String> {
    if got == want {
        Ok(())
    } else {
        Err(format!("got {got:?}, want {want:?}"))
    }
}

// ---------------------------------------------------------------------------
// §3 Storing responses
// ---------------------------------------------------------------------------

struct StoreRow {
    name: &'static str,
    options: CacheOptions,
    request: Request,
    response: Response,
    want: Result<(), NotStorable>,
}

fn store_rows() -> Vec<StoreRow> {
    use NotStorable::*;
    let lm = http_date(T0 - 10 * 86_400 * S);
    let row = |name, options, request, response, want| StoreRow {
        name,
        options,
        request,
        response,
        want,
    };
    let mut rows = vec![
        row(
            "rfc9111_3_get_200_with_max_age_is_stored",
            shared(),
            get(&[]),
            res(200, &[("Cache-Control", "max-age=60")]),
            Ok(()),
        ),
        row(
            "rfc9111_3_post_response_not_stored",
            shared(),
            Request::new("POST", URL),
            res(200, &[("Cache-Control", "max-age=60")]),
            Err(Method),
        ),
        row(
            "rfc9111_3_head_response_not_stored_get_only",
            shared(),
            Request::new("HEAD", URL),
            res(200, &[("Cache-Control", "max-age=60")]),
            Err(Method),
        ),
        row(
            "rfc9111_3_unknown_method_not_stored",
            shared(),
            Request::new("PURGE", URL),
            res(200, &[("Cache-Control", "max-age=60")]),
            Err(Method),
        ),
        row(
            "rfc9111_3_1xx_continue_never_stored",
            shared(),
            get(&[]),
            res(100, &[("Cache-Control", "max-age=60")]),
            Err(NotFinal),
        ),
        row(
            "rfc9111_3_1xx_early_hints_never_stored",
            shared(),
            get(&[]),
            res(103, &[("Cache-Control", "max-age=60")]),
            Err(NotFinal),
        ),
        row(
            "rfc9111_3_206_partial_content_not_understood_not_stored",
            shared(),
            get(&[]),
            res(206, &[("Cache-Control", "max-age=60")]),
            Err(StatusNotUnderstood),
        ),
        row(
            "rfc9111_3_304_not_stored_as_a_response",
            shared(),
            get(&[]),
            res(304, &[("Cache-Control", "max-age=60")]),
            Err(StatusNotUnderstood),
        ),
        row(
            "rfc9111_3_invalid_request_url_not_stored",
            shared(),
            Request::get("/relative"),
            res(200, &[("Cache-Control", "max-age=60")]),
            Err(InvalidUrl),
        ),
        row(
            "rfc9111_5_2_1_5_request_no_store_prevents_storing",
            shared(),
            get(&[("Cache-Control", "no-store")]),
            res(200, &[("Cache-Control", "max-age=60")]),
            Err(RequestNoStore),
        ),
        row(
            "rfc9111_5_2_2_5_response_no_store_not_stored",
            shared(),
            get(&[]),
            res(200, &[("Cache-Control", "no-store")]),
            Err(NoStore),
        ),
        row(
            "rfc9111_4_2_1_no_store_beats_max_age_most_restrictive",
            shared(),
            get(&[]),
            res(200, &[("Cache-Control", "max-age=60, no-store")]),
            Err(NoStore),
        ),
        row(
            "rfc9111_5_2_2_5_no_store_on_a_separate_line",
            shared(),
            get(&[]),
            res(
                200,
                &[
                    ("Cache-Control", "max-age=60"),
                    ("cache-control", "NO-STORE"),
                ],
            ),
            Err(NoStore),
        ),
        row(
            "rfc9111_5_2_2_3_must_understand_with_understood_status_overrides_no_store",
            shared(),
            get(&[]),
            res(
                200,
                &[("Cache-Control", "must-understand, no-store, max-age=60")],
            ),
            Ok(()),
        ),
        row(
            "rfc9111_5_2_2_3_must_understand_with_unknown_status_not_stored",
            shared(),
            get(&[]),
            res(
                299,
                &[("Cache-Control", "must-understand, no-store, max-age=60")],
            ),
            Err(MustUnderstand),
        ),
        row(
            "rfc9111_5_2_2_3_must_understand_with_argument_is_void_so_no_store_applies",
            shared(),
            get(&[]),
            res(
                200,
                &[("Cache-Control", "must-understand=1, no-store, max-age=60")],
            ),
            Err(NoStore),
        ),
        row(
            "rfc9111_5_2_2_7_private_never_stored_by_shared_cache",
            shared(),
            get(&[]),
            res(200, &[("Cache-Control", "private, max-age=60")]),
            Err(Private),
        ),
        row(
            "rfc9111_5_2_directive_names_case_insensitive_private",
            shared(),
            get(&[]),
            res(200, &[("Cache-Control", "PRIVATE, max-age=60")]),
            Err(Private),
        ),
        row(
            "rfc9111_5_2_2_7_private_with_unparsable_field_list_not_stored",
            shared(),
            get(&[]),
            res(200, &[("Cache-Control", "private=\"a b\", max-age=60")]),
            Err(Private),
        ),
        row(
            "rfc9111_5_2_2_7_private_stored_by_private_cache",
            private(),
            get(&[]),
            res(200, &[("Cache-Control", "private, max-age=60")]),
            Ok(()),
        ),
        row(
            "rfc9111_5_2_2_7_qualified_private_stored_without_named_fields",
            shared(),
            get(&[]),
            res(
                200,
                &[
                    ("Cache-Control", "private=\"x-user\", max-age=60"),
                    ("X-User", "ada"),
                ],
            ),
            Ok(()),
        ),
        row(
            "rfc9111_3_5_authorization_not_stored_without_public",
            shared(),
            get(&[("Authorization", "Bearer t")]),
            res(200, &[("Cache-Control", "max-age=60")]),
            Err(Authorization),
        ),
        row(
            "rfc9111_3_5_authorization_stored_with_public",
            shared(),
            get(&[("Authorization", "Bearer t")]),
            res(200, &[("Cache-Control", "public, max-age=60")]),
            Ok(()),
        ),
        row(
            "rfc9111_3_5_authorization_stored_with_s_maxage",
            shared(),
            get(&[("Authorization", "Bearer t")]),
            res(200, &[("Cache-Control", "s-maxage=60")]),
            Ok(()),
        ),
        row(
            "rfc9111_3_5_authorization_stored_with_must_revalidate",
            shared(),
            get(&[("Authorization", "Bearer t")]),
            res(200, &[("Cache-Control", "max-age=60, must-revalidate")]),
            Ok(()),
        ),
        row(
            "rfc9111_3_5_authorization_invalid_s_maxage_does_not_allow_storing",
            shared(),
            get(&[("Authorization", "Bearer t")]),
            res(200, &[("Cache-Control", "s-maxage=soon, max-age=60")]),
            Err(Authorization),
        ),
        row(
            "rfc9111_3_5_authorization_rule_is_for_shared_caches_only",
            private(),
            get(&[("Authorization", "Bearer t")]),
            res(200, &[("Cache-Control", "max-age=60")]),
            Ok(()),
        ),
        row(
            "rfc9111_7_3_set_cookie_not_stored_by_shared_cache_by_default",
            shared(),
            get(&[]),
            res(
                200,
                &[("Cache-Control", "max-age=60"), ("Set-Cookie", "sid=1")],
            ),
            Err(SetCookie),
        ),
        row(
            "rfc9111_7_3_set_cookie_not_unlocked_by_public",
            shared(),
            get(&[]),
            res(
                200,
                &[
                    ("Cache-Control", "public, max-age=60"),
                    ("Set-Cookie", "sid=1"),
                ],
            ),
            Err(SetCookie),
        ),
        row(
            "rfc9111_7_3_set_cookie_stored_when_switch_is_on",
            shared().cache_set_cookie(true),
            get(&[]),
            res(
                200,
                &[("Cache-Control", "max-age=60"), ("Set-Cookie", "sid=1")],
            ),
            Ok(()),
        ),
        row(
            "rfc9111_7_3_set_cookie_stored_by_private_cache",
            private(),
            get(&[]),
            res(
                200,
                &[("Cache-Control", "max-age=60"), ("Set-Cookie", "sid=1")],
            ),
            Ok(()),
        ),
        row(
            "rfc9111_5_2_2_7_set_cookie_named_by_private_is_stripped_and_rest_stored",
            shared(),
            get(&[]),
            res(
                200,
                &[
                    ("Cache-Control", "max-age=60, private=\"Set-Cookie\""),
                    ("Set-Cookie", "sid=1"),
                ],
            ),
            Ok(()),
        ),
        row(
            "rfc9111_4_1_vary_star_not_stored",
            shared(),
            get(&[]),
            res(
                200,
                &[("Cache-Control", "max-age=60"), ("Vary", "Accept, *")],
            ),
            Err(VaryStar),
        ),
        row(
            "rfc9111_4_1_vary_member_that_is_not_a_field_name_treated_as_star",
            shared(),
            get(&[]),
            res(
                200,
                &[("Cache-Control", "max-age=60"), ("Vary", "User Agent")],
            ),
            Err(VaryStar),
        ),
        row(
            "rfc9111_3_302_without_explicit_freshness_not_stored",
            shared(),
            get(&[]),
            res(302, &[("Location", "/y"), ("Last-Modified", &lm)]),
            Err(NotCacheable),
        ),
        row(
            "rfc9111_3_302_with_max_age_is_stored",
            shared(),
            get(&[]),
            res(302, &[("Location", "/y"), ("Cache-Control", "max-age=60")]),
            Ok(()),
        ),
        row(
            "rfc9111_3_302_with_expires_is_stored",
            shared(),
            get(&[]),
            res(302, &[("Expires", &http_date(T0 + 60 * S))]),
            Ok(()),
        ),
        row(
            "rfc9111_3_302_with_public_and_last_modified_is_stored",
            shared(),
            get(&[]),
            res(302, &[("Cache-Control", "public"), ("Last-Modified", &lm)]),
            Ok(()),
        ),
        row(
            "rfc9111_3_302_with_s_maxage_stored_by_shared_cache",
            shared(),
            get(&[]),
            res(302, &[("Cache-Control", "s-maxage=60"), ("ETag", "\"a\"")]),
            Ok(()),
        ),
        row(
            "rfc9111_3_302_with_s_maxage_only_not_cacheable_in_private_cache",
            private(),
            get(&[]),
            res(302, &[("Cache-Control", "s-maxage=60"), ("ETag", "\"a\"")]),
            Err(NotCacheable),
        ),
        row(
            "rfc9213_2_2_expires_ignored_under_targeted_field_does_not_make_302_cacheable",
            shared(),
            get(&[]),
            res(
                302,
                &[
                    ("CDN-Cache-Control", "must-revalidate"),
                    ("Expires", &http_date(T0 + 60 * S)),
                    ("ETag", "\"a\""),
                ],
            ),
            Err(NotCacheable),
        ),
        row(
            "rfc9111_3_qualified_private_does_not_make_302_cacheable_in_shared_cache",
            shared(),
            get(&[]),
            res(
                302,
                &[("Cache-Control", "private=\"x-user\""), ("ETag", "\"a\"")],
            ),
            Err(NotCacheable),
        ),
        row(
            "rfc9111_3_private_makes_302_cacheable_in_private_cache",
            private(),
            get(&[]),
            res(302, &[("Cache-Control", "private"), ("ETag", "\"a\"")]),
            Ok(()),
        ),
        row(
            "rfc9213_2_1_uppercase_key_is_a_parse_error_so_cache_control_applies",
            shared(),
            get(&[]),
            res(
                200,
                &[
                    ("Cache-Control", "no-store"),
                    ("CDN-Cache-Control", "X"),
                    ("ETag", "\"a\""),
                ],
            ),
            Err(NoStore),
        ),
        row(
            "rfc9111_3_500_with_explicit_max_age_is_stored",
            shared(),
            get(&[]),
            res(500, &[("Cache-Control", "max-age=5")]),
            Ok(()),
        ),
        row(
            "rfc9111_3_no_validator_no_freshness_not_useful",
            shared(),
            get(&[]),
            res(200, &[]),
            Err(NotUseful),
        ),
        row(
            "rfc9111_3_no_cache_without_validator_not_useful",
            shared(),
            get(&[]),
            res(200, &[("Cache-Control", "no-cache, max-age=60")]),
            Err(NotUseful),
        ),
        row(
            "rfc9111_3_no_cache_with_validator_is_stored",
            shared(),
            get(&[]),
            res(200, &[("Cache-Control", "no-cache"), ("ETag", "\"a\"")]),
            Ok(()),
        ),
        row(
            "rfc5861_4_max_age_0_with_stale_if_error_is_worth_storing",
            shared(),
            get(&[]),
            res(200, &[("Cache-Control", "max-age=0, stale-if-error=60")]),
            Ok(()),
        ),
        row(
            "rfc9111_5_3_invalid_expires_without_validator_not_useful",
            shared(),
            get(&[]),
            res(200, &[("Expires", "0")]),
            Err(NotUseful),
        ),
        row(
            "rfc9111_4_2_3_already_older_than_its_lifetime_not_useful",
            shared(),
            get(&[]),
            res(200, &[("Cache-Control", "max-age=60"), ("Age", "120")]),
            Err(NotUseful),
        ),
        row(
            "rfc9213_2_2_cdn_cache_control_overrides_cache_control_no_store",
            shared(),
            get(&[]),
            res(
                200,
                &[
                    ("Cache-Control", "no-store"),
                    ("CDN-Cache-Control", "max-age=600"),
                ],
            ),
            Ok(()),
        ),
        row(
            "rfc9213_2_2_cdn_cache_control_no_store_prevents_storing",
            shared(),
            get(&[]),
            res(
                200,
                &[
                    ("Cache-Control", "max-age=600"),
                    ("CDN-Cache-Control", "no-store"),
                ],
            ),
            Err(NoStore),
        ),
        row(
            "rfc9213_2_2_cdn_cache_control_private_prevents_storing",
            shared(),
            get(&[]),
            res(
                200,
                &[
                    ("Cache-Control", "max-age=600"),
                    ("CDN-Cache-Control", "private"),
                ],
            ),
            Err(Private),
        ),
        row(
            "rfc9213_3_cdn_cache_control_cannot_unlock_storage_in_private_cache",
            private(),
            get(&[]),
            res(
                200,
                &[
                    ("Cache-Control", "no-store"),
                    ("CDN-Cache-Control", "max-age=600"),
                ],
            ),
            Err(NoStore),
        ),
        row(
            "rfc9213_2_1_invalid_targeted_field_ignored_falls_back_to_cache_control",
            shared(),
            get(&[]),
            res(
                200,
                &[
                    ("Cache-Control", "no-store"),
                    ("CDN-Cache-Control", "Max-Age=600"),
                ],
            ),
            Err(NoStore),
        ),
        row(
            "rfc9213_2_2_configured_targeted_field_overrides_cdn_cache_control",
            shared().targeted_field("Cloudflare-CDN-Cache-Control"),
            get(&[]),
            res(
                200,
                &[
                    ("CDN-Cache-Control", "no-store"),
                    ("Cloudflare-CDN-Cache-Control", "max-age=60"),
                ],
            ),
            Ok(()),
        ),
    ];
    // RFC 9110 §15.1: the heuristically cacheable statuses are stored on
    // heuristics alone; the others need explicit freshness.
    for status in [200, 203, 204, 300, 301, 308, 404, 405, 410, 414, 501] {
        let name = format!(
            "rfc9110_15_1_heuristically_cacheable_{status}_stored_without_explicit_freshness"
        )
        .leak();
        rows.push(row(
            name,
            shared(),
            get(&[]),
            res(status, &[("Last-Modified", &lm)]),
            Ok(()),
        ));
    }
    for status in [201, 202, 302, 303, 307, 400, 401, 403, 500, 502, 503] {
        let name = format!("rfc9110_15_1_{status}_not_stored_without_explicit_freshness").leak();
        rows.push(row(
            name,
            shared(),
            get(&[]),
            res(status, &[("Last-Modified", &lm)]),
            Err(NotCacheable),
        ));
    }
    rows
}

#[test]
fn rfc9111_3_storing_responses() {
    check_all(
        &store_rows(),
        |r| r.name,
        |r| {
            let policy = Policy::new(r.options.clone());
            let got = policy.storable(&r.request, &r.response, T0);
            expect_eq(got, r.want).map_err(|e| format!("status {}: {e}", r.response.status))?;
            // store() agrees with storable().
            let stored = policy.store(&r.request, &r.response, b"body".to_vec(), T0, T0);
            expect_eq(stored.as_ref().map(|_| ()).map_err(|e| *e), r.want)
        },
    );
}

// ---------------------------------------------------------------------------
// §4.2.1 / §4.2.2 Freshness lifetime, RFC 9213 targeted fields
// ---------------------------------------------------------------------------

struct LifetimeRow {
    name: &'static str,
    options: CacheOptions,
    status: u16,
    headers: Headers,
    /// (lifetime in seconds, heuristic)
    want: (u64, bool),
}

fn lifetime_rows() -> Vec<LifetimeRow> {
    let row = |name, options, status, headers, want| LifetimeRow {
        name,
        options,
        status,
        headers,
        want,
    };
    let date = http_date(T0);
    let d = |pairs: &[(&str, &str)]| {
        let mut h = hs(pairs);
        if !h.contains("date") {
            h.append("Date", &date);
        }
        h
    };
    let cf = || shared().targeted_field("Cloudflare-CDN-Cache-Control");
    vec![
        row(
            "rfc9111_4_2_1_max_age_is_the_lifetime",
            shared(),
            200,
            d(&[("Cache-Control", "max-age=60")]),
            (60, false),
        ),
        row(
            "rfc9111_4_2_1_s_maxage_beats_max_age_in_shared_cache",
            shared(),
            200,
            d(&[("Cache-Control", "max-age=60, s-maxage=600")]),
            (600, false),
        ),
        row(
            "rfc9111_4_2_1_s_maxage_ignored_by_private_cache",
            private(),
            200,
            d(&[("Cache-Control", "max-age=60, s-maxage=600")]),
            (60, false),
        ),
        row(
            "rfc9111_5_3_max_age_beats_expires",
            shared(),
            200,
            d(&[
                ("Cache-Control", "max-age=60"),
                ("Expires", &http_date(T0 + 3_600 * S)),
            ]),
            (60, false),
        ),
        row(
            "rfc9111_5_3_s_maxage_beats_expires_in_shared_cache",
            shared(),
            200,
            d(&[
                ("Cache-Control", "s-maxage=60"),
                ("Expires", &http_date(T0 + 3_600 * S)),
            ]),
            (60, false),
        ),
        row(
            "rfc9111_4_2_1_expires_minus_date",
            shared(),
            200,
            d(&[("Expires", &http_date(T0 + 300 * S))]),
            (300, false),
        ),
        row(
            "rfc9111_4_2_1_expires_minus_date_uses_the_origin_clock",
            shared(),
            200,
            hs(&[
                ("Date", &http_date(T0 - 100 * S)),
                ("Expires", &http_date(T0 + 200 * S)),
            ]),
            (300, false),
        ),
        row(
            "rfc9111_4_2_1_expires_in_the_past_is_stale",
            shared(),
            200,
            d(&[("Expires", &http_date(T0 - 5 * S))]),
            (0, false),
        ),
        row(
            "rfc9111_5_3_invalid_expires_zero_means_already_expired",
            shared(),
            200,
            d(&[("Expires", "0")]),
            (0, false),
        ),
        row(
            "rfc9111_5_3_invalid_expires_iso8601_means_already_expired",
            shared(),
            200,
            d(&[("Expires", "2099-01-01T00:00:00Z")]),
            (0, false),
        ),
        row(
            "rfc9111_5_3_invalid_expires_with_numeric_zone_means_already_expired",
            shared(),
            200,
            d(&[("Expires", "Thu, 01 Jan 2099 00:00:00 +0000")]),
            (0, false),
        ),
        row(
            "rfc9111_4_2_1_two_different_expires_lines_are_stale",
            shared(),
            200,
            d(&[
                ("Expires", &http_date(T0 + 300 * S)),
                ("Expires", &http_date(T0 + 600 * S)),
            ]),
            (0, false),
        ),
        row(
            "rfc9111_4_2_1_repeated_identical_expires_lines_are_fine",
            shared(),
            200,
            d(&[
                ("Expires", &http_date(T0 + 300 * S)),
                ("Expires", &http_date(T0 + 300 * S)),
            ]),
            (300, false),
        ),
        row(
            "rfc9111_4_2_1_duplicate_max_age_with_different_values_is_stale",
            shared(),
            200,
            d(&[("Cache-Control", "max-age=60, max-age=3600")]),
            (0, false),
        ),
        row(
            "rfc9111_4_2_1_duplicate_max_age_across_lines_with_different_values_is_stale",
            shared(),
            200,
            d(&[
                ("Cache-Control", "max-age=60"),
                ("Cache-Control", "max-age=3600"),
            ]),
            (0, false),
        ),
        row(
            "rfc9111_4_2_1_duplicate_max_age_with_the_same_value_is_fine",
            shared(),
            200,
            d(&[("Cache-Control", "max-age=60, max-age=60")]),
            (60, false),
        ),
        row(
            "rfc9111_4_2_1_invalid_max_age_does_not_fall_back_to_expires",
            shared(),
            200,
            d(&[
                ("Cache-Control", "max-age=soon"),
                ("Expires", &http_date(T0 + 300 * S)),
            ]),
            (0, false),
        ),
        row(
            "rfc9111_4_2_1_non_integer_max_age_is_stale",
            shared(),
            200,
            d(&[("Cache-Control", "max-age=1.5")]),
            (0, false),
        ),
        row(
            "rfc9111_4_2_1_negative_max_age_is_stale",
            shared(),
            200,
            d(&[("Cache-Control", "max-age=-1")]),
            (0, false),
        ),
        row(
            "rfc9111_4_2_1_max_age_without_value_is_stale",
            shared(),
            200,
            d(&[("Cache-Control", "max-age")]),
            (0, false),
        ),
        row(
            "rfc9111_4_2_1_invalid_s_maxage_is_stale_in_shared_cache",
            shared(),
            200,
            d(&[("Cache-Control", "s-maxage=x, max-age=60")]),
            (0, false),
        ),
        row(
            "rfc9111_5_2_quoted_max_age_accepted",
            shared(),
            200,
            d(&[("Cache-Control", "max-age=\"60\"")]),
            (60, false),
        ),
        row(
            "rfc9111_5_2_directive_names_case_insensitive_max_age",
            shared(),
            200,
            d(&[("Cache-Control", "Max-Age=60")]),
            (60, false),
        ),
        row(
            "rfc9111_1_2_2_delta_seconds_overflow_is_2_pow_31",
            shared(),
            200,
            d(&[("Cache-Control", "max-age=99999999999999999999")]),
            (2_147_483_648, false),
        ),
        row(
            "rfc9111_5_2_3_unknown_directives_ignored",
            shared(),
            200,
            d(&[("Cache-Control", "foo=bar, community=\"UCI\", max-age=60, x")]),
            (60, false),
        ),
        row(
            "rfc9111_5_2_malformed_members_ignored",
            shared(),
            200,
            d(&[("Cache-Control", "=5, \"q\", max-age=60, ,")]),
            (60, false),
        ),
        row(
            "rfc9111_4_2_2_heuristic_is_ten_percent_since_last_modified",
            shared(),
            200,
            d(&[("Last-Modified", &http_date(T0 - 10 * 3_600 * S))]),
            (3_600, true),
        ),
        row(
            "rfc9111_4_2_2_heuristic_is_capped",
            shared(),
            200,
            d(&[("Last-Modified", &http_date(T0 - 100 * 86_400 * S))]),
            (86_400, true),
        ),
        row(
            "rfc9111_4_2_2_heuristic_fraction_and_cap_are_configurable",
            shared().heuristic(50, 10 * 86_400),
            200,
            d(&[("Last-Modified", &http_date(T0 - 10 * 3_600 * S))]),
            (18_000, true),
        ),
        row(
            "rfc9111_4_2_2_heuristic_disabled_by_option",
            shared().heuristic(0, 86_400),
            200,
            d(&[("Last-Modified", &http_date(T0 - 10 * 3_600 * S))]),
            (0, false),
        ),
        row(
            "rfc9111_4_2_2_no_heuristic_when_explicit_expiry_present",
            shared(),
            200,
            d(&[
                ("Cache-Control", "max-age=5"),
                ("Last-Modified", &http_date(T0 - 10 * 3_600 * S)),
            ]),
            (5, false),
        ),
        row(
            "rfc9111_4_2_2_no_heuristic_for_status_not_heuristically_cacheable",
            shared(),
            302,
            d(&[("Last-Modified", &http_date(T0 - 10 * 3_600 * S))]),
            (0, false),
        ),
        row(
            "rfc9111_4_2_2_heuristic_for_public_response_with_other_status",
            shared(),
            302,
            d(&[
                ("Cache-Control", "public"),
                ("Last-Modified", &http_date(T0 - 10 * 3_600 * S)),
            ]),
            (3_600, true),
        ),
        row(
            "rfc9111_4_2_2_heuristic_for_404",
            shared(),
            404,
            d(&[("Last-Modified", &http_date(T0 - 10 * 3_600 * S))]),
            (3_600, true),
        ),
        row(
            "rfc9111_4_2_2_no_heuristic_without_last_modified",
            shared(),
            200,
            d(&[]),
            (0, false),
        ),
        row(
            "rfc9111_4_2_2_no_heuristic_for_last_modified_after_date",
            shared(),
            200,
            d(&[("Last-Modified", &http_date(T0 + 3_600 * S))]),
            (0, false),
        ),
        row(
            "rfc9213_2_2_cdn_cache_control_longer_than_cache_control_wins",
            shared(),
            200,
            d(&[
                ("Cache-Control", "max-age=60"),
                ("CDN-Cache-Control", "max-age=600"),
            ]),
            (600, false),
        ),
        row(
            "rfc9213_2_2_cdn_cache_control_shorter_than_cache_control_wins",
            shared(),
            200,
            d(&[
                ("Cache-Control", "max-age=600"),
                ("CDN-Cache-Control", "max-age=60"),
            ]),
            (60, false),
        ),
        row(
            "rfc9213_2_2_cdn_cache_control_makes_s_maxage_in_cache_control_ignored",
            shared(),
            200,
            d(&[
                ("Cache-Control", "s-maxage=600"),
                ("CDN-Cache-Control", "max-age=60"),
            ]),
            (60, false),
        ),
        row(
            "rfc9213_2_2_targeted_field_makes_expires_ignored",
            shared(),
            200,
            d(&[
                ("CDN-Cache-Control", "public"),
                ("Expires", &http_date(T0 + 300 * S)),
            ]),
            (0, false),
        ),
        row(
            "rfc9213_2_2_configured_targeted_field_checked_before_cdn_cache_control",
            cf(),
            200,
            d(&[
                ("Cache-Control", "max-age=6000"),
                ("CDN-Cache-Control", "max-age=600"),
                ("Cloudflare-CDN-Cache-Control", "max-age=30"),
            ]),
            (30, false),
        ),
        row(
            "rfc9213_2_2_configured_targeted_field_name_case_insensitive",
            shared().targeted_field("CLOUDFLARE-cdn-cache-control"),
            200,
            d(&[("cloudflare-CDN-cache-control", "max-age=30")]),
            (30, false),
        ),
        row(
            "rfc9213_2_2_first_present_targeted_field_wins_entirely",
            cf(),
            200,
            d(&[
                ("CDN-Cache-Control", "max-age=600"),
                ("Cloudflare-CDN-Cache-Control", "public"),
            ]),
            (0, false),
        ),
        row(
            "rfc9213_2_2_empty_targeted_field_falls_through_to_the_next",
            cf(),
            200,
            d(&[
                ("CDN-Cache-Control", "max-age=600"),
                ("Cloudflare-CDN-Cache-Control", ""),
            ]),
            (600, false),
        ),
        row(
            "rfc9213_2_1_unparsable_targeted_field_falls_through_to_the_next",
            cf(),
            200,
            d(&[
                ("CDN-Cache-Control", "max-age=600"),
                ("Cloudflare-CDN-Cache-Control", "max-age=60,"),
            ]),
            (600, false),
        ),
        row(
            "rfc9213_2_2_targeted_field_not_on_the_list_is_ignored",
            shared(),
            200,
            d(&[
                ("Cache-Control", "max-age=60"),
                ("Cloudflare-CDN-Cache-Control", "max-age=30"),
            ]),
            (60, false),
        ),
        row(
            "rfc9213_3_cdn_cache_control_lifetime_ignored_by_private_cache",
            private(),
            200,
            d(&[
                ("Cache-Control", "max-age=60"),
                ("CDN-Cache-Control", "max-age=600"),
            ]),
            (60, false),
        ),
        row(
            "rfc9213_2_1_targeted_decimal_max_age_is_invalid_so_stale",
            shared(),
            200,
            d(&[
                ("Cache-Control", "max-age=60"),
                ("CDN-Cache-Control", "max-age=1.5"),
            ]),
            (0, false),
        ),
        row(
            "rfc9213_2_1_targeted_repeated_key_last_value_wins",
            shared(),
            200,
            d(&[("CDN-Cache-Control", "max-age=1, max-age=90")]),
            (90, false),
        ),
    ]
}

#[test]
fn rfc9111_4_2_freshness_lifetime() {
    check_all(
        &lifetime_rows(),
        |r| r.name,
        |r| {
            let stored = StoredResponse {
                url: URL.into(),
                status: r.status,
                headers: r.headers.clone(),
                request_headers: Headers::new(),
                body: vec![],
                request_time: T0,
                response_time: T0,
            };
            let f = Policy::new(r.options.clone()).freshness(&stored, T0);
            expect_eq((f.lifetime_ms / S, f.heuristic), r.want)
        },
    );
}

// ---------------------------------------------------------------------------
// §4.2.3 Age
// ---------------------------------------------------------------------------

struct AgeRow {
    name: &'static str,
    headers: Headers,
    request_time: u64,
    response_time: u64,
    now: u64,
    want_secs: u64,
}

fn age_rows() -> Vec<AgeRow> {
    let row = |name, headers, request_time, response_time, now, want_secs| AgeRow {
        name,
        headers,
        request_time,
        response_time,
        now,
        want_secs,
    };
    let date = http_date(T0);
    vec![
        row(
            "rfc9111_4_2_3_resident_time_is_added",
            hs(&[("Date", &date)]),
            T0,
            T0,
            T0 + 30 * S,
            30,
        ),
        row(
            "rfc9111_4_2_3_age_value_is_added",
            hs(&[("Date", &date), ("Age", "100")]),
            T0,
            T0,
            T0 + 30 * S,
            130,
        ),
        row(
            "rfc9111_4_2_3_response_delay_is_added_to_age_value",
            hs(&[("Date", &date), ("Age", "10")]),
            T0 - 2 * S,
            T0,
            T0,
            12,
        ),
        row(
            "rfc9111_4_2_3_apparent_age_from_date",
            hs(&[("Date", &http_date(T0 - 50 * S))]),
            T0,
            T0,
            T0,
            50,
        ),
        row(
            "rfc9111_4_2_3_apparent_age_never_negative",
            hs(&[("Date", &http_date(T0 + 3_600 * S))]),
            T0,
            T0,
            T0 + 5 * S,
            5,
        ),
        row(
            "rfc9111_4_2_3_corrected_initial_age_is_the_larger_apparent",
            hs(&[("Date", &http_date(T0 - 50 * S)), ("Age", "10")]),
            T0,
            T0,
            T0,
            50,
        ),
        row(
            "rfc9111_4_2_3_corrected_initial_age_is_the_larger_corrected",
            hs(&[("Date", &http_date(T0 - 5 * S)), ("Age", "10")]),
            T0,
            T0,
            T0,
            10,
        ),
        row(
            "rfc9111_4_2_3_missing_date_uses_response_time",
            hs(&[("Age", "3")]),
            T0,
            T0,
            T0 + S,
            4,
        ),
        row(
            "rfc9111_5_1_list_based_age_uses_first_member",
            hs(&[("Date", &date), ("Age", "7, 99")]),
            T0,
            T0,
            T0,
            7,
        ),
        row(
            "rfc9111_5_1_invalid_age_is_ignored",
            hs(&[("Date", &date), ("Age", "abc")]),
            T0,
            T0,
            T0,
            0,
        ),
        row(
            "rfc9111_5_1_negative_age_is_ignored",
            hs(&[("Date", &date), ("Age", "-3")]),
            T0,
            T0,
            T0,
            0,
        ),
        row(
            "rfc9111_4_served_age_is_whole_seconds_rounded_down",
            hs(&[("Date", &date)]),
            T0,
            T0,
            T0 + 1_999,
            1,
        ),
        row(
            "rfc9111_4_2_3_clock_going_backwards_never_underflows",
            hs(&[("Date", &date)]),
            T0 + 9 * S,
            T0,
            T0 - 9 * S,
            0,
        ),
    ]
}

#[test]
fn rfc9111_4_2_3_calculating_age() {
    check_all(
        &age_rows(),
        |r| r.name,
        |r| {
            let stored = StoredResponse {
                url: URL.into(),
                status: 200,
                headers: r.headers.clone(),
                request_headers: Headers::new(),
                body: vec![],
                request_time: r.request_time,
                response_time: r.response_time,
            };
            // RFC 9111 §4: the served Age replaces any stored one.
            let served = stored.headers_at(r.now);
            expect_eq(
                served.get_all("age").collect::<Vec<_>>(),
                vec![r.want_secs.to_string().as_str()],
            )?;
            expect_eq(
                Policy::default().freshness(&stored, r.now).age_secs(),
                r.want_secs,
            )
        },
    );
}

// ---------------------------------------------------------------------------
// §4 Constructing responses from caches: the lookup decision
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq)]
enum Want {
    Fresh(u64),
    Stale,
    Swr,
    /// Revalidate for this reason; `stale_if_error` flag.
    Revalidate(RevalidateReason, bool),
    Miss(MissReason),
    GatewayTimeout,
}

fn want_of(lookup: &Lookup) -> Want {
    match lookup {
        Lookup::Fresh { age_secs } => Want::Fresh(*age_secs),
        Lookup::Stale { .. } => Want::Stale,
        Lookup::StaleWhileRevalidate { .. } => Want::Swr,
        Lookup::Revalidate(r) => Want::Revalidate(r.reason, r.stale_if_error),
        Lookup::Miss(m) => Want::Miss(*m),
        Lookup::GatewayTimeout => Want::GatewayTimeout,
    }
}

struct LookupRow {
    name: &'static str,
    options: CacheOptions,
    /// The request that fetched the stored response.
    original: Request,
    /// The response stored at T0 (None: nothing stored).
    response: Option<Response>,
    /// The request presented later.
    request: Request,
    /// ms after T0.
    after: u64,
    want: Want,
}

fn lookup_rows() -> Vec<LookupRow> {
    use RevalidateReason::{
        NoCache, RequestMaxAge, RequestMinFresh, RequestNoCache, Stale as Expired,
    };
    use Want::*;
    let row = |name, options, response: &[(&str, &str)], request, after, want| LookupRow {
        name,
        options,
        original: get(&[]),
        response: Some(res(200, response)),
        request,
        after,
        want,
    };
    let etag = ("ETag", "\"v1\"");
    let mut rows = vec![
        row(
            "rfc9111_4_2_fresh_response_served_with_its_age",
            shared(),
            &[("Cache-Control", "max-age=60")],
            get(&[]),
            10 * S,
            Fresh(10),
        ),
        row(
            "rfc9111_4_2_fresh_means_lifetime_strictly_greater_than_age",
            shared(),
            &[("Cache-Control", "max-age=60"), etag],
            get(&[]),
            60 * S,
            Revalidate(Expired, false),
        ),
        row(
            "rfc9111_4_2_4_stale_response_is_revalidated",
            shared(),
            &[("Cache-Control", "max-age=60"), etag],
            get(&[]),
            61 * S,
            Revalidate(Expired, false),
        ),
        row(
            "rfc9111_4_3_1_stale_response_without_validator_still_revalidated",
            shared(),
            &[("Cache-Control", "max-age=60")],
            get(&[]),
            61 * S,
            Revalidate(Expired, false),
        ),
        row(
            "rfc9111_5_3_invalid_expires_is_stale_on_lookup",
            shared(),
            &[("Expires", "0"), etag],
            get(&[]),
            S,
            Revalidate(Expired, false),
        ),
        row(
            "rfc9111_4_2_1_conflicting_max_age_values_are_stale_on_lookup",
            shared(),
            &[("Cache-Control", "max-age=60, max-age=120"), etag],
            get(&[]),
            S,
            Revalidate(Expired, false),
        ),
        row(
            "rfc9111_5_2_2_4_no_cache_response_always_revalidated_even_when_fresh",
            shared(),
            &[("Cache-Control", "no-cache, max-age=60"), etag],
            get(&[]),
            S,
            Revalidate(NoCache, false),
        ),
        row(
            "rfc9111_5_2_2_4_qualified_no_cache_treated_as_unqualified",
            shared(),
            &[("Cache-Control", "no-cache=\"x-debug\", max-age=60"), etag],
            get(&[]),
            S,
            Revalidate(NoCache, false),
        ),
        row(
            "rfc9111_5_2_1_4_request_no_cache_forces_revalidation",
            shared(),
            &[("Cache-Control", "max-age=60"), etag],
            get(&[("Cache-Control", "no-cache")]),
            S,
            Revalidate(RequestNoCache, false),
        ),
        row(
            "rfc9111_5_4_pragma_no_cache_without_cache_control_forces_revalidation",
            shared(),
            &[("Cache-Control", "max-age=60"), etag],
            get(&[("Pragma", "No-Cache")]),
            S,
            Revalidate(RequestNoCache, false),
        ),
        row(
            "rfc9111_5_4_pragma_ignored_when_request_has_cache_control",
            shared(),
            &[("Cache-Control", "max-age=60"), etag],
            get(&[("Pragma", "no-cache"), ("Cache-Control", "max-age=100")]),
            S,
            Fresh(1),
        ),
        row(
            "rfc9111_5_2_1_1_request_max_age_exceeded_revalidates",
            shared(),
            &[("Cache-Control", "max-age=600"), etag],
            get(&[("Cache-Control", "max-age=5")]),
            10 * S,
            Revalidate(RequestMaxAge, false),
        ),
        row(
            "rfc9111_5_2_1_1_request_max_age_is_inclusive",
            shared(),
            &[("Cache-Control", "max-age=600"), etag],
            get(&[("Cache-Control", "max-age=10")]),
            10 * S,
            Fresh(10),
        ),
        row(
            "rfc9111_5_2_1_1_request_max_age_zero_revalidates",
            shared(),
            &[("Cache-Control", "max-age=600"), etag],
            get(&[("Cache-Control", "max-age=0")]),
            S,
            Revalidate(RequestMaxAge, false),
        ),
        row(
            "rfc9111_5_2_1_1_invalid_request_max_age_read_as_zero",
            shared(),
            &[("Cache-Control", "max-age=600"), etag],
            get(&[("Cache-Control", "max-age=abc")]),
            S,
            Revalidate(RequestMaxAge, false),
        ),
        row(
            "rfc9111_5_2_1_3_min_fresh_not_satisfied_revalidates",
            shared(),
            &[("Cache-Control", "max-age=60"), etag],
            get(&[("Cache-Control", "min-fresh=20")]),
            50 * S,
            Revalidate(RequestMinFresh, false),
        ),
        row(
            "rfc9111_5_2_1_3_min_fresh_exactly_met_is_served",
            shared(),
            &[("Cache-Control", "max-age=60"), etag],
            get(&[("Cache-Control", "min-fresh=20")]),
            40 * S,
            Fresh(40),
        ),
        row(
            "rfc9111_5_2_1_3_min_fresh_satisfied_is_served",
            shared(),
            &[("Cache-Control", "max-age=60"), etag],
            get(&[("Cache-Control", "min-fresh=5")]),
            50 * S,
            Fresh(50),
        ),
        row(
            "rfc9111_5_2_1_2_max_stale_without_value_accepts_any_staleness",
            shared(),
            &[("Cache-Control", "max-age=60"), etag],
            get(&[("Cache-Control", "max-stale")]),
            100_000 * S,
            Stale,
        ),
        row(
            "rfc9111_5_2_1_2_max_stale_with_value_inside_limit_is_served",
            shared(),
            &[("Cache-Control", "max-age=60"), etag],
            get(&[("Cache-Control", "max-stale=30")]),
            90 * S,
            Stale,
        ),
        row(
            "rfc9111_5_2_1_2_max_stale_with_value_beyond_limit_revalidates",
            shared(),
            &[("Cache-Control", "max-age=60"), etag],
            get(&[("Cache-Control", "max-stale=30")]),
            90 * S + 1,
            Revalidate(Expired, false),
        ),
        row(
            "rfc9111_5_2_1_2_invalid_max_stale_grants_nothing",
            shared(),
            &[("Cache-Control", "max-age=60"), etag],
            get(&[("Cache-Control", "max-stale=abc")]),
            61 * S,
            Revalidate(Expired, false),
        ),
        // SECURITY: a client's max-stale never overrides a prohibition.
        row(
            "rfc9111_5_2_2_2_max_stale_never_overrides_must_revalidate",
            shared(),
            &[("Cache-Control", "max-age=60, must-revalidate"), etag],
            get(&[("Cache-Control", "max-stale")]),
            61 * S,
            Revalidate(Expired, false),
        ),
        row(
            "rfc9111_5_2_2_8_max_stale_never_overrides_proxy_revalidate_in_shared_cache",
            shared(),
            &[("Cache-Control", "max-age=60, proxy-revalidate"), etag],
            get(&[("Cache-Control", "max-stale")]),
            61 * S,
            Revalidate(Expired, false),
        ),
        row(
            "rfc9111_5_2_2_10_max_stale_never_overrides_s_maxage_in_shared_cache",
            shared(),
            &[("Cache-Control", "s-maxage=60"), etag],
            get(&[("Cache-Control", "max-stale")]),
            61 * S,
            Revalidate(Expired, false),
        ),
        row(
            "rfc9111_5_2_2_10_max_stale_never_overrides_invalid_s_maxage_in_shared_cache",
            shared(),
            &[("Cache-Control", "s-maxage=x, max-age=60"), etag],
            get(&[("Cache-Control", "max-stale")]),
            S,
            Revalidate(Expired, false),
        ),
        row(
            "rfc9111_5_2_2_4_max_stale_never_overrides_no_cache",
            shared(),
            &[("Cache-Control", "no-cache, max-age=60"), etag],
            get(&[("Cache-Control", "max-stale")]),
            61 * S,
            Revalidate(NoCache, false),
        ),
        row(
            "rfc9111_5_2_2_2_must_revalidate_applies_to_private_caches_too",
            private(),
            &[("Cache-Control", "max-age=60, must-revalidate"), etag],
            get(&[("Cache-Control", "max-stale")]),
            61 * S,
            Revalidate(Expired, false),
        ),
        row(
            "rfc9111_5_2_2_8_proxy_revalidate_does_not_apply_to_private_cache",
            private(),
            &[("Cache-Control", "max-age=60, proxy-revalidate"), etag],
            get(&[("Cache-Control", "max-stale")]),
            61 * S,
            Stale,
        ),
        row(
            "rfc9111_5_2_2_10_s_maxage_does_not_apply_to_private_cache",
            private(),
            &[("Cache-Control", "max-age=60, s-maxage=600"), etag],
            get(&[("Cache-Control", "max-stale")]),
            61 * S,
            Stale,
        ),
        row(
            "rfc9213_2_2_targeted_must_revalidate_blocks_max_stale",
            shared(),
            &[
                ("Cache-Control", "max-age=60"),
                ("CDN-Cache-Control", "max-age=60, must-revalidate"),
                etag,
            ],
            get(&[("Cache-Control", "max-stale")]),
            61 * S,
            Revalidate(Expired, false),
        ),
        // RFC 5861 §3 stale-while-revalidate.
        row(
            "rfc5861_3_stale_while_revalidate_not_used_while_fresh",
            shared(),
            &[
                ("Cache-Control", "max-age=60, stale-while-revalidate=30"),
                etag,
            ],
            get(&[]),
            30 * S,
            Fresh(30),
        ),
        row(
            "rfc5861_3_stale_while_revalidate_inside_window_serves_stale",
            shared(),
            &[
                ("Cache-Control", "max-age=60, stale-while-revalidate=30"),
                etag,
            ],
            get(&[]),
            75 * S,
            Swr,
        ),
        row(
            "rfc5861_3_stale_while_revalidate_window_end_is_inclusive",
            shared(),
            &[
                ("Cache-Control", "max-age=60, stale-while-revalidate=30"),
                etag,
            ],
            get(&[]),
            90 * S,
            Swr,
        ),
        row(
            "rfc5861_3_stale_while_revalidate_outside_window_revalidates",
            shared(),
            &[
                ("Cache-Control", "max-age=60, stale-while-revalidate=30"),
                etag,
            ],
            get(&[]),
            90 * S + 1,
            Revalidate(Expired, false),
        ),
        row(
            "rfc5861_3_invalid_stale_while_revalidate_grants_nothing",
            shared(),
            &[
                ("Cache-Control", "max-age=60, stale-while-revalidate=x"),
                etag,
            ],
            get(&[]),
            61 * S,
            Revalidate(Expired, false),
        ),
        row(
            "rfc9111_5_2_2_2_must_revalidate_disables_stale_while_revalidate",
            shared(),
            &[
                (
                    "Cache-Control",
                    "max-age=60, must-revalidate, stale-while-revalidate=30",
                ),
                etag,
            ],
            get(&[]),
            75 * S,
            Revalidate(Expired, false),
        ),
        row(
            "rfc9111_5_2_2_4_no_cache_disables_stale_while_revalidate",
            shared(),
            &[
                (
                    "Cache-Control",
                    "no-cache, max-age=60, stale-while-revalidate=30",
                ),
                etag,
            ],
            get(&[]),
            75 * S,
            Revalidate(NoCache, false),
        ),
        row(
            "rfc5861_3_origin_stale_while_revalidate_honoured_with_s_maxage",
            shared(),
            &[
                ("Cache-Control", "s-maxage=60, stale-while-revalidate=30"),
                etag,
            ],
            get(&[]),
            75 * S,
            Swr,
        ),
        row(
            "rfc9213_2_2_stale_while_revalidate_from_cdn_cache_control",
            shared(),
            &[
                ("CDN-Cache-Control", "max-age=60, stale-while-revalidate=30"),
                etag,
            ],
            get(&[]),
            75 * S,
            Swr,
        ),
        row(
            "rfc9213_2_2_stale_while_revalidate_in_ignored_cache_control_not_used",
            shared(),
            &[
                ("Cache-Control", "max-age=60, stale-while-revalidate=30"),
                ("CDN-Cache-Control", "max-age=60"),
                etag,
            ],
            get(&[]),
            75 * S,
            Revalidate(Expired, false),
        ),
        row(
            "rfc9111_5_2_1_1_request_max_age_revalidates_before_stale_while_revalidate",
            shared(),
            &[
                ("Cache-Control", "max-age=60, stale-while-revalidate=30"),
                etag,
            ],
            get(&[("Cache-Control", "max-age=0")]),
            75 * S,
            Revalidate(RequestMaxAge, false),
        ),
        // RFC 5861 §4 stale-if-error, as flagged on the revalidation.
        row(
            "rfc5861_4_response_stale_if_error_inside_window_flagged",
            shared(),
            &[("Cache-Control", "max-age=60, stale-if-error=300"), etag],
            get(&[]),
            100 * S,
            Revalidate(Expired, true),
        ),
        row(
            "rfc5861_4_response_stale_if_error_outside_window_not_flagged",
            shared(),
            &[("Cache-Control", "max-age=60, stale-if-error=300"), etag],
            get(&[]),
            360 * S + 1,
            Revalidate(Expired, false),
        ),
        row(
            "rfc5861_4_request_stale_if_error_grants_a_window",
            shared(),
            &[("Cache-Control", "max-age=60"), etag],
            get(&[("Cache-Control", "stale-if-error=100")]),
            120 * S,
            Revalidate(Expired, true),
        ),
        row(
            "rfc5861_4_request_stale_if_error_never_overrides_s_maxage_in_shared_cache",
            shared(),
            &[("Cache-Control", "s-maxage=60"), etag],
            get(&[("Cache-Control", "stale-if-error=1000")]),
            120 * S,
            Revalidate(Expired, false),
        ),
        row(
            "rfc5861_4_request_stale_if_error_never_overrides_proxy_revalidate_in_shared_cache",
            shared(),
            &[("Cache-Control", "max-age=60, proxy-revalidate"), etag],
            get(&[("Cache-Control", "stale-if-error=1000")]),
            120 * S,
            Revalidate(Expired, false),
        ),
        row(
            "rfc5861_4_origin_stale_if_error_honoured_with_s_maxage",
            shared(),
            &[("Cache-Control", "s-maxage=60, stale-if-error=300"), etag],
            get(&[]),
            120 * S,
            Revalidate(Expired, true),
        ),
        row(
            "rfc9111_5_2_2_2_must_revalidate_disables_stale_if_error",
            shared(),
            &[
                (
                    "Cache-Control",
                    "max-age=60, must-revalidate, stale-if-error=300",
                ),
                etag,
            ],
            get(&[("Cache-Control", "stale-if-error=300")]),
            120 * S,
            Revalidate(Expired, false),
        ),
        row(
            "rfc9111_5_2_2_4_no_cache_disables_stale_if_error",
            shared(),
            &[("Cache-Control", "no-cache, stale-if-error=300"), etag],
            get(&[]),
            120 * S,
            Revalidate(NoCache, false),
        ),
        // RFC 8246 immutable.
        row(
            "rfc8246_2_immutable_fresh_response_ignores_reload_max_age_0",
            shared(),
            &[("Cache-Control", "max-age=600, immutable"), etag],
            get(&[("Cache-Control", "max-age=0")]),
            10 * S,
            Fresh(10),
        ),
        row(
            "rfc8246_2_immutable_force_reload_no_cache_still_revalidates",
            shared(),
            &[("Cache-Control", "max-age=600, immutable"), etag],
            get(&[("Cache-Control", "no-cache")]),
            10 * S,
            Revalidate(RequestNoCache, false),
        ),
        row(
            "rfc8246_2_immutable_stale_response_revalidated_normally",
            shared(),
            &[("Cache-Control", "max-age=600, immutable"), etag],
            get(&[("Cache-Control", "max-age=0")]),
            601 * S,
            Revalidate(RequestMaxAge, false),
        ),
        row(
            "rfc8246_2_immutable_without_request_directives_revalidates_when_stale",
            shared(),
            &[("Cache-Control", "max-age=600, immutable"), etag],
            get(&[]),
            601 * S,
            Revalidate(Expired, false),
        ),
        // §5.2.1.7 only-if-cached.
        row(
            "rfc9111_5_2_1_7_only_if_cached_fresh_response_served",
            shared(),
            &[("Cache-Control", "max-age=60"), etag],
            get(&[("Cache-Control", "only-if-cached")]),
            S,
            Fresh(1),
        ),
        row(
            "rfc9111_5_2_1_7_only_if_cached_stale_response_gives_504",
            shared(),
            &[("Cache-Control", "max-age=60"), etag],
            get(&[("Cache-Control", "only-if-cached")]),
            61 * S,
            GatewayTimeout,
        ),
        row(
            "rfc9111_5_2_1_7_only_if_cached_with_max_stale_serves_stale",
            shared(),
            &[("Cache-Control", "max-age=60"), etag],
            get(&[("Cache-Control", "only-if-cached, max-stale")]),
            61 * S,
            Stale,
        ),
        row(
            "rfc9111_5_2_1_7_only_if_cached_no_cache_response_gives_504",
            shared(),
            &[("Cache-Control", "no-cache"), etag],
            get(&[("Cache-Control", "only-if-cached")]),
            S,
            GatewayTimeout,
        ),
        row(
            "rfc9111_5_2_1_7_only_if_cached_vary_mismatch_gives_504",
            shared(),
            &[("Cache-Control", "max-age=60"), ("Vary", "Accept-Language")],
            get(&[
                ("Cache-Control", "only-if-cached"),
                ("Accept-Language", "fr"),
            ]),
            S,
            GatewayTimeout,
        ),
        // §4.1 Vary.
        row(
            "rfc9111_4_1_vary_field_absent_in_both_requests_matches",
            shared(),
            &[("Cache-Control", "max-age=60"), ("Vary", "Accept-Language")],
            get(&[]),
            S,
            Fresh(1),
        ),
        row(
            "rfc9111_4_1_vary_absent_field_does_not_match_an_empty_one",
            shared(),
            &[("Cache-Control", "max-age=60"), ("Vary", "Accept-Language")],
            get(&[("Accept-Language", "")]),
            S,
            Miss(MissReason::VaryMismatch),
        ),
        row(
            "rfc9111_4_1_vary_different_value_is_a_miss",
            shared(),
            &[("Cache-Control", "max-age=60"), ("Vary", "X-Mode")],
            get(&[("X-Mode", "b")]),
            S,
            Miss(MissReason::VaryMismatch),
        ),
        // §4 target URI and method.
        row(
            "rfc9111_4_head_request_served_from_stored_get",
            shared(),
            &[("Cache-Control", "max-age=60")],
            Request::new("HEAD", URL),
            S,
            Fresh(1),
        ),
        row(
            "rfc9111_4_unsafe_method_is_written_through",
            shared(),
            &[("Cache-Control", "max-age=60")],
            Request::new("POST", URL),
            S,
            Miss(MissReason::Method),
        ),
        row(
            "rfc9111_4_unsafe_method_with_only_if_cached_still_written_through",
            shared(),
            &[("Cache-Control", "max-age=60")],
            Request::new("DELETE", URL).header("Cache-Control", "only-if-cached"),
            S,
            Miss(MissReason::Method),
        ),
        row(
            "rfc9111_4_stored_response_for_another_uri_does_not_match",
            shared(),
            &[("Cache-Control", "max-age=60")],
            Request::get("https://example.com/y"),
            S,
            Miss(MissReason::UrlMismatch),
        ),
        row(
            "rfc9111_4_equivalent_uri_spelling_matches",
            shared(),
            &[("Cache-Control", "max-age=60")],
            Request::get("HTTPS://EXAMPLE.com:443/./x#top"),
            S,
            Fresh(1),
        ),
        row(
            "rfc9111_4_2_4_authenticated_response_with_s_maxage_never_served_stale",
            shared(),
            &[("Cache-Control", "s-maxage=60"), etag],
            get(&[
                ("Authorization", "Bearer other"),
                ("Cache-Control", "max-stale=600"),
            ]),
            61 * S,
            Revalidate(Expired, false),
        ),
    ];
    // Rows whose stored request differs from the presented one (Vary).
    let mut vary = |name, stored: &[(&str, &str)], vary: &str, presented: &[(&str, &str)], want| {
        rows.push(LookupRow {
            name,
            options: shared(),
            original: get(stored),
            response: Some(res(200, &[("Cache-Control", "max-age=60"), ("Vary", vary)])),
            request: get(presented),
            after: S,
            want,
        });
    };
    vary(
        "rfc9111_4_1_vary_matching_request_is_served",
        &[("Accept-Encoding", "gzip")],
        "Accept-Encoding",
        &[("Accept-Encoding", "gzip")],
        Fresh(1),
    );
    vary(
        "rfc9111_4_1_vary_mismatching_request_is_a_miss",
        &[("Accept-Encoding", "gzip")],
        "Accept-Encoding",
        &[("Accept-Encoding", "br")],
        Miss(MissReason::VaryMismatch),
    );
    vary(
        "rfc9111_4_1_vary_field_names_case_insensitive",
        &[("Accept-Encoding", "gzip")],
        "ACCEPT-encoding",
        &[("accept-ENCODING", "gzip")],
        Fresh(1),
    );
    vary(
        "rfc9111_4_1_vary_lines_combined_and_whitespace_normalised",
        &[("Accept", "text/html,application/json")],
        "Accept",
        &[("Accept", "text/html "), ("accept", " application/json")],
        Fresh(1),
    );
    vary(
        "rfc9111_4_1_vary_value_order_matters_for_generic_fields",
        &[("Accept", "a, b")],
        "Accept",
        &[("Accept", "b, a")],
        Miss(MissReason::VaryMismatch),
    );
    vary(
        "rfc9111_4_1_vary_accept_language_case_and_weights_normalised",
        &[("Accept-Language", "en-GB, fr;q=0.50")],
        "Accept-Language",
        &[("Accept-Language", "en-gb,FR; q=0.5")],
        Fresh(1),
    );
    vary(
        "rfc9111_4_1_vary_all_nominated_fields_must_match",
        &[("Accept-Encoding", "gzip"), ("X-Mode", "a")],
        "Accept-Encoding, X-Mode",
        &[("Accept-Encoding", "gzip"), ("X-Mode", "b")],
        Miss(MissReason::VaryMismatch),
    );
    vary(
        "rfc9111_4_1_vary_unnominated_fields_do_not_matter",
        &[("Accept-Encoding", "gzip"), ("X-Other", "1")],
        "Accept-Encoding",
        &[("Accept-Encoding", "gzip"), ("X-Other", "2")],
        Fresh(1),
    );
    rows.push(LookupRow {
        name: "rfc9111_5_2_1_7_only_if_cached_with_nothing_stored_gives_504",
        options: shared(),
        original: get(&[]),
        response: None,
        request: get(&[("Cache-Control", "only-if-cached")]),
        after: 0,
        want: GatewayTimeout,
    });
    rows.push(LookupRow {
        name: "rfc9111_4_nothing_stored_is_a_miss",
        options: shared(),
        original: get(&[]),
        response: None,
        request: get(&[]),
        after: 0,
        want: Miss(MissReason::NotStored),
    });
    rows
}

#[test]
fn rfc9111_4_constructing_responses_from_caches() {
    check_all(
        &lookup_rows(),
        |r| r.name,
        |r| {
            let policy = Policy::new(r.options.clone());
            let stored = match &r.response {
                Some(response) => Some(
                    policy
                        .store(&r.original, response, vec![], T0, T0)
                        .map_err(|e| format!("not stored: {e}"))?,
                ),
                None => None,
            };
            let lookup = policy.lookup(&r.request, stored.as_ref(), T0 + r.after);
            expect_eq(want_of(&lookup), r.want).map_err(|e| format!("{e} (lookup {lookup:?})"))
        },
    );
}

#[test]
fn rfc9111_4_1_vary_star_stored_by_someone_else_never_matches() {
    // store() refuses Vary: *; a stored form written elsewhere still never matches.
    let stored = StoredResponse {
        url: URL.into(),
        status: 200,
        headers: hs(&[
            ("Cache-Control", "max-age=60"),
            ("Vary", "*"),
            ("Date", &http_date(T0)),
        ]),
        request_headers: Headers::new(),
        body: vec![],
        request_time: T0,
        response_time: T0,
    };
    assert_eq!(
        Policy::default().lookup(&get(&[]), Some(&stored), T0),
        Lookup::Miss(MissReason::VaryStar)
    );
}

// ---------------------------------------------------------------------------
// §4.3.1 Sending a validation request
// ---------------------------------------------------------------------------

struct ValidationRow {
    name: &'static str,
    response: Vec<(&'static str, String)>,
    client: Vec<(&'static str, &'static str)>,
    /// The conditional fields of the forwarded request.
    want: Vec<(&'static str, String)>,
}

fn validation_rows() -> Vec<ValidationRow> {
    let lm = http_date(T0 - 86_400 * S);
    let cc = ("Cache-Control", "no-cache".to_string());
    vec![
        ValidationRow {
            name: "rfc9111_4_3_1_etag_sent_as_if_none_match",
            response: vec![cc.clone(), ("ETag", "W/\"v1\"".into())],
            client: vec![],
            want: vec![("if-none-match", "W/\"v1\"".into())],
        },
        ValidationRow {
            name: "rfc9111_4_3_1_last_modified_sent_as_if_modified_since",
            response: vec![cc.clone(), ("Last-Modified", lm.clone())],
            client: vec![],
            want: vec![("if-modified-since", lm.clone())],
        },
        ValidationRow {
            name: "rfc9111_4_3_1_both_validators_sent",
            response: vec![
                cc.clone(),
                ("ETag", "\"v1\"".into()),
                ("Last-Modified", lm.clone()),
            ],
            client: vec![],
            want: vec![
                ("if-none-match", "\"v1\"".into()),
                ("if-modified-since", lm.clone()),
            ],
        },
        ValidationRow {
            name: "rfc9111_4_3_2_client_conditionals_replaced_by_the_caches_own",
            response: vec![cc.clone(), ("ETag", "\"v1\"".into())],
            client: vec![
                ("If-None-Match", "\"client\""),
                ("If-Modified-Since", "Sun, 06 Nov 1994 08:49:37 GMT"),
            ],
            want: vec![("if-none-match", "\"v1\"".into())],
        },
        ValidationRow {
            name: "rfc9111_4_3_1_invalid_last_modified_not_sent",
            response: vec![
                cc.clone(),
                ("ETag", "\"v1\"".into()),
                ("Last-Modified", "yesterday".into()),
            ],
            client: vec![],
            want: vec![("if-none-match", "\"v1\"".into())],
        },
        ValidationRow {
            name: "rfc9111_4_3_1_no_validator_means_unconditional_request",
            response: vec![
                ("Cache-Control", "no-cache".into()),
                ("Last-Modified", "garbage".into()),
            ],
            client: vec![],
            want: vec![],
        },
    ]
}

#[test]
fn rfc9111_4_3_1_sending_a_validation_request() {
    check_all(
        &validation_rows(),
        |r| r.name,
        |r| {
            let stored = StoredResponse {
                url: URL.into(),
                status: 200,
                headers: r.response.iter().map(|(k, v)| (*k, v.as_str())).collect(),
                request_headers: Headers::new(),
                body: vec![],
                request_time: T0,
                response_time: T0,
            };
            let client = get(&r.client);
            let Lookup::Revalidate(revalidation) =
                Policy::default().lookup(&client, Some(&stored), T0)
            else {
                return Err("expected Revalidate".into());
            };
            let forwarded = revalidation.request_headers(&client.headers);
            let got: Vec<(String, String)> = forwarded
                .iter()
                .filter(|(n, _)| n.to_ascii_lowercase().starts_with("if-"))
                .map(|(n, v)| (n.to_ascii_lowercase(), v.to_string()))
                .collect();
            let want: Vec<(String, String)> = r
                .want
                .iter()
                .map(|(n, v)| (n.to_string(), v.clone()))
                .collect();
            expect_eq(got, want)
        },
    );
}

// ---------------------------------------------------------------------------
// §4.3.4 Freshening stored responses upon validation (304)
// ---------------------------------------------------------------------------

struct FreshenRow {
    name: &'static str,
    stored: Vec<(&'static str, String)>,
    not_modified: Response,
    /// None: the 304 does not select the stored response. Some: expected
    /// field values (None = absent) in the updated response.
    want: Option<Vec<(&'static str, Option<String>)>>,
}

fn freshen_rows() -> Vec<FreshenRow> {
    let lm = http_date(T0 - 86_400 * S);
    let lm2 = http_date(T0 - 3_600 * S);
    let t1 = T0 + 100 * S;
    let base = |extra: &[(&'static str, &str)]| {
        let mut v: Vec<(&'static str, String)> = vec![("Cache-Control", "max-age=60".into())];
        v.extend(extra.iter().map(|(k, v)| (*k, v.to_string())));
        v
    };
    let s = |v: &str| Some(v.to_string());
    vec![
        FreshenRow {
            name: "rfc9111_4_3_4_strong_etag_match_selects_stored_response",
            stored: base(&[("ETag", "\"a\"")]),
            not_modified: res(304, &[("ETag", "\"a\"")]),
            want: Some(vec![("etag", s("\"a\""))]),
        },
        FreshenRow {
            name: "rfc9111_4_3_4_strong_etag_mismatch_must_not_update",
            stored: base(&[("ETag", "\"a\"")]),
            not_modified: res(304, &[("ETag", "\"b\""), ("Cache-Control", "max-age=600")]),
            want: None,
        },
        FreshenRow {
            name: "rfc9111_4_3_4_strong_etag_does_not_select_weak_stored_etag",
            stored: base(&[("ETag", "W/\"a\"")]),
            not_modified: res(304, &[("ETag", "\"a\"")]),
            want: None,
        },
        FreshenRow {
            name: "rfc9111_4_3_4_weak_etag_selects_by_weak_comparison",
            stored: base(&[("ETag", "\"a\"")]),
            not_modified: res(304, &[("ETag", "W/\"a\"")]),
            want: Some(vec![("etag", s("W/\"a\""))]),
        },
        FreshenRow {
            name: "rfc9111_4_3_4_last_modified_selects_when_equal",
            stored: base(&[("Last-Modified", &lm)]),
            not_modified: res(304, &[("Last-Modified", &lm)]),
            want: Some(vec![("last-modified", s(&lm))]),
        },
        FreshenRow {
            name: "rfc9111_4_3_4_different_last_modified_does_not_select",
            stored: base(&[("Last-Modified", &lm)]),
            not_modified: res(304, &[("Last-Modified", &lm2)]),
            want: None,
        },
        FreshenRow {
            name: "rfc9111_4_3_4_no_validators_selects_validator_less_stored_response",
            stored: base(&[]),
            not_modified: res(304, &[("Cache-Control", "max-age=600")]),
            want: Some(vec![("cache-control", s("max-age=600"))]),
        },
        FreshenRow {
            name: "rfc9111_4_3_4_no_validators_does_not_select_stored_response_with_validator",
            stored: base(&[("ETag", "\"a\"")]),
            not_modified: res(304, &[("Cache-Control", "max-age=600")]),
            want: None,
        },
        FreshenRow {
            name: "rfc9111_4_3_3_only_a_304_freshens",
            stored: base(&[("ETag", "\"a\"")]),
            not_modified: res(200, &[("ETag", "\"a\"")]),
            want: None,
        },
        FreshenRow {
            name: "rfc9111_3_2_cache_control_and_expires_replaced_from_304",
            stored: base(&[("ETag", "\"a\""), ("Expires", &lm)]),
            not_modified: res(
                304,
                &[
                    ("ETag", "\"a\""),
                    ("Cache-Control", "max-age=600"),
                    ("Expires", &lm2),
                ],
            ),
            want: Some(vec![
                ("cache-control", s("max-age=600")),
                ("expires", s(&lm2)),
            ]),
        },
        FreshenRow {
            name: "rfc9111_3_2_content_length_never_updated_from_304",
            stored: base(&[("ETag", "\"a\""), ("Content-Length", "5")]),
            not_modified: res(304, &[("ETag", "\"a\""), ("Content-Length", "0")]),
            want: Some(vec![("content-length", s("5"))]),
        },
        FreshenRow {
            name: "rfc9111_3_2_content_encoding_not_updated_stored_content_depends_on_it",
            stored: base(&[("ETag", "\"a\""), ("Content-Encoding", "gzip")]),
            not_modified: res(304, &[("ETag", "\"a\""), ("Content-Encoding", "br")]),
            want: Some(vec![("content-encoding", s("gzip"))]),
        },
        FreshenRow {
            name: "rfc9111_3_2_content_range_not_updated",
            stored: base(&[("ETag", "\"a\"")]),
            not_modified: res(304, &[("ETag", "\"a\""), ("Content-Range", "bytes 0-1/2")]),
            want: Some(vec![("content-range", None)]),
        },
        FreshenRow {
            name: "rfc9111_3_2_content_type_is_updated_content_prefix_is_no_exception",
            stored: base(&[("ETag", "\"a\""), ("Content-Type", "text/html")]),
            not_modified: res(
                304,
                &[
                    ("ETag", "\"a\""),
                    ("Content-Type", "text/html; charset=utf-8"),
                ],
            ),
            want: Some(vec![("content-type", s("text/html; charset=utf-8"))]),
        },
        FreshenRow {
            name: "rfc9111_3_1_hop_by_hop_fields_of_304_not_stored",
            stored: base(&[("ETag", "\"a\"")]),
            not_modified: res(
                304,
                &[
                    ("ETag", "\"a\""),
                    ("Connection", "x-hop"),
                    ("X-Hop", "1"),
                    ("Keep-Alive", "5"),
                    ("Transfer-Encoding", "chunked"),
                    ("Upgrade", "h2c"),
                    ("TE", "trailers"),
                ],
            ),
            want: Some(vec![
                ("connection", None),
                ("x-hop", None),
                ("keep-alive", None),
                ("transfer-encoding", None),
                ("upgrade", None),
                ("te", None),
            ]),
        },
        FreshenRow {
            name: "rfc9111_3_1_proxy_specific_fields_of_304_not_stored",
            stored: base(&[("ETag", "\"a\"")]),
            not_modified: res(
                304,
                &[
                    ("ETag", "\"a\""),
                    ("Proxy-Authenticate", "Basic"),
                    ("Proxy-Authentication-Info", "x"),
                ],
            ),
            want: Some(vec![
                ("proxy-authenticate", None),
                ("proxy-authentication-info", None),
            ]),
        },
        FreshenRow {
            name: "rfc9111_3_2_all_lines_of_an_updated_field_replaced",
            stored: base(&[("ETag", "\"a\""), ("Link", "<a>"), ("Link", "<b>")]),
            not_modified: res(304, &[("ETag", "\"a\""), ("Link", "<c>")]),
            want: Some(vec![("link", s("<c>"))]),
        },
        FreshenRow {
            name: "rfc9111_3_2_fields_absent_from_304_are_kept",
            stored: base(&[("ETag", "\"a\""), ("X-Keep", "1")]),
            not_modified: res(304, &[("ETag", "\"a\"")]),
            want: Some(vec![("x-keep", s("1")), ("cache-control", s("max-age=60"))]),
        },
        FreshenRow {
            name: "rfc9110_6_6_1_304_date_replaces_stored_date",
            stored: base(&[("ETag", "\"a\""), ("Date", &http_date(T0))]),
            not_modified: res(304, &[("ETag", "\"a\""), ("Date", &http_date(T0 + 99 * S))]),
            want: Some(vec![("date", s(&http_date(T0 + 99 * S)))]),
        },
        FreshenRow {
            name: "rfc9110_6_6_1_304_without_date_gets_its_receipt_time",
            stored: base(&[("ETag", "\"a\""), ("Date", &http_date(T0))]),
            not_modified: res(304, &[("ETag", "\"a\"")]),
            want: Some(vec![("date", s(&http_date(t1)))]),
        },
        FreshenRow {
            name: "rfc9111_4_2_3_stored_age_dropped_when_304_has_none",
            stored: base(&[("ETag", "\"a\""), ("Age", "50")]),
            not_modified: res(304, &[("ETag", "\"a\"")]),
            want: Some(vec![("age", None)]),
        },
        FreshenRow {
            name: "rfc9111_4_2_3_age_of_304_replaces_stored_age",
            stored: base(&[("ETag", "\"a\""), ("Age", "50")]),
            not_modified: res(304, &[("ETag", "\"a\""), ("Age", "3")]),
            want: Some(vec![("age", s("3"))]),
        },
    ]
}

#[test]
fn rfc9111_4_3_4_freshening_stored_responses() {
    check_all(
        &freshen_rows(),
        |r| r.name,
        |r| {
            let stored = StoredResponse {
                url: URL.into(),
                status: 200,
                headers: r.stored.iter().map(|(k, v)| (*k, v.as_str())).collect(),
                request_headers: Headers::new(),
                body: b"hello".to_vec(),
                request_time: T0,
                response_time: T0,
            };
            let updated = Policy::default().freshen(&stored, &r.not_modified, T0 + 100 * S);
            match (&updated, &r.want) {
                (None, None) => Ok(()),
                (Some(u), Some(fields)) => {
                    expect_eq(u.status, 200)?;
                    for (name, want) in fields {
                        let got = u.headers.combined(name);
                        expect_eq(got.as_deref(), want.as_deref())
                            .map_err(|e| format!("{name}: {e}"))?;
                    }
                    Ok(())
                }
                (got, _) => Err(format!(
                    "got {got:?}, want selection = {}",
                    r.want.is_some()
                )),
            }
        },
    );
}

// ---------------------------------------------------------------------------
// RFC 9110 §13 / RFC 9111 §4.3.2: answering the client's conditional request
// ---------------------------------------------------------------------------

struct ConditionalRow {
    name: &'static str,
    status: u16,
    stored: Vec<(&'static str, String)>,
    request: Request,
    /// None: full response; Some: the 304's field names (sorted, lowercase).
    want: Option<Vec<&'static str>>,
}

fn conditional_rows() -> Vec<ConditionalRow> {
    let lm = http_date(T0 - 86_400 * S);
    let cc = || ("Cache-Control", "max-age=600".to_string());
    let with = |extra: &[(&'static str, &str)]| {
        let mut v = vec![
            cc(),
            ("Date", http_date(T0)),
            ("Content-Type", "text/html".into()),
            ("Content-Length", "5".into()),
        ];
        v.extend(extra.iter().map(|(k, v)| (*k, v.to_string())));
        v
    };
    let etag_fields = Some(vec!["age", "cache-control", "date", "etag"]);
    let row = |name, stored, request, want| ConditionalRow {
        name,
        status: 200,
        stored,
        request,
        want,
    };
    vec![
        row(
            "rfc9110_13_1_2_if_none_match_strong_match_gives_304",
            with(&[("ETag", "\"a\"")]),
            get(&[("If-None-Match", "\"a\"")]),
            etag_fields.clone(),
        ),
        row(
            "rfc9110_13_1_2_if_none_match_uses_weak_comparison_weak_stored",
            with(&[("ETag", "W/\"a\"")]),
            get(&[("If-None-Match", "\"a\"")]),
            etag_fields.clone(),
        ),
        row(
            "rfc9110_13_1_2_if_none_match_uses_weak_comparison_weak_presented",
            with(&[("ETag", "\"a\"")]),
            get(&[("If-None-Match", "W/\"a\"")]),
            etag_fields.clone(),
        ),
        row(
            "rfc9110_13_1_2_if_none_match_any_member_of_the_list",
            with(&[("ETag", "\"a\"")]),
            get(&[
                ("If-None-Match", "\"x\", W/\"y\""),
                ("If-None-Match", "\"a\""),
            ]),
            etag_fields.clone(),
        ),
        row(
            "rfc9110_13_1_2_if_none_match_no_match_gives_full_response",
            with(&[("ETag", "\"a\"")]),
            get(&[("If-None-Match", "\"b\"")]),
            None,
        ),
        row(
            "rfc9110_13_1_2_if_none_match_star_gives_304",
            with(&[("ETag", "\"a\"")]),
            get(&[("If-None-Match", "*")]),
            etag_fields.clone(),
        ),
        row(
            "rfc9110_13_1_2_if_none_match_without_stored_etag_gives_full_response",
            with(&[]),
            get(&[("If-None-Match", "\"a\"")]),
            None,
        ),
        row(
            "rfc9110_13_1_2_if_none_match_opaque_tag_is_case_sensitive",
            with(&[("ETag", "\"a\"")]),
            get(&[("If-None-Match", "\"A\"")]),
            None,
        ),
        row(
            "rfc9110_13_1_3_if_modified_since_not_modified_gives_304",
            with(&[("Last-Modified", &lm)]),
            get(&[("If-Modified-Since", &http_date(T0 - 3_600 * S))]),
            Some(vec!["age", "cache-control", "date", "last-modified"]),
        ),
        row(
            "rfc9110_13_1_3_if_modified_since_equal_date_gives_304",
            with(&[("Last-Modified", &lm)]),
            get(&[("If-Modified-Since", &lm)]),
            Some(vec!["age", "cache-control", "date", "last-modified"]),
        ),
        row(
            "rfc9110_13_1_3_modified_after_if_modified_since_gives_full_response",
            with(&[("Last-Modified", &lm)]),
            get(&[("If-Modified-Since", &http_date(T0 - 2 * 86_400 * S))]),
            None,
        ),
        row(
            "rfc9110_13_1_3_if_modified_since_ignored_when_if_none_match_present",
            with(&[("ETag", "\"a\""), ("Last-Modified", &lm)]),
            get(&[
                ("If-None-Match", "\"b\""),
                ("If-Modified-Since", &http_date(T0)),
            ]),
            None,
        ),
        row(
            "rfc9110_13_1_3_invalid_if_modified_since_ignored",
            with(&[("Last-Modified", &lm)]),
            get(&[("If-Modified-Since", "2023-11-14")]),
            None,
        ),
        row(
            "rfc9110_13_1_3_if_modified_since_with_two_members_ignored",
            with(&[("Last-Modified", &lm)]),
            get(&[
                ("If-Modified-Since", &http_date(T0)),
                ("If-Modified-Since", &http_date(T0)),
            ]),
            None,
        ),
        row(
            "rfc9111_4_3_2_if_modified_since_uses_stored_date_without_last_modified",
            with(&[]),
            get(&[("If-Modified-Since", &http_date(T0))]),
            Some(vec!["age", "cache-control", "date"]),
        ),
        row(
            "rfc9110_13_1_3_if_modified_since_only_for_get_and_head",
            with(&[("Last-Modified", &lm)]),
            Request::new("POST", URL).header("If-Modified-Since", http_date(T0)),
            None,
        ),
        row(
            "rfc9110_13_2_2_head_conditional_answered_with_304",
            with(&[("ETag", "\"a\"")]),
            Request::new("HEAD", URL).header("If-None-Match", "\"a\""),
            etag_fields.clone(),
        ),
        row(
            "rfc9111_4_3_2_if_match_is_left_to_the_origin",
            with(&[("ETag", "\"a\"")]),
            get(&[("If-Match", "\"zzz\"")]),
            None,
        ),
        row(
            "rfc9110_15_4_5_304_carries_only_the_listed_fields",
            with(&[
                ("ETag", "\"a\""),
                ("Last-Modified", &lm),
                ("Vary", "Accept"),
                ("Content-Location", "/x.html"),
                ("Expires", &lm),
                ("Set-Cookie", "a=1"),
                ("X-Other", "1"),
            ]),
            get(&[("If-None-Match", "\"a\"")]),
            Some(vec![
                "age",
                "cache-control",
                "content-location",
                "date",
                "etag",
                "expires",
                "vary",
            ]),
        ),
        row(
            "rfc9213_2_2_304_carries_targeted_cache_control_fields",
            with(&[("ETag", "\"a\""), ("CDN-Cache-Control", "max-age=600")]),
            get(&[("If-None-Match", "\"a\"")]),
            Some(vec![
                "age",
                "cache-control",
                "cdn-cache-control",
                "date",
                "etag",
            ]),
        ),
    ]
    .into_iter()
    .chain([ConditionalRow {
        name: "rfc9111_4_3_2_only_a_stored_200_answers_with_304",
        status: 404,
        stored: with(&[("ETag", "\"a\"")]),
        request: get(&[("If-None-Match", "\"a\"")]),
        want: None,
    }])
    .collect()
}

#[test]
fn rfc9110_13_conditional_requests_answered_from_cache() {
    check_all(
        &conditional_rows(),
        |r| r.name,
        |r| {
            let stored = StoredResponse {
                url: URL.into(),
                status: r.status,
                headers: r.stored.iter().map(|(k, v)| (*k, v.as_str())).collect(),
                request_headers: Headers::new(),
                body: b"hello".to_vec(),
                request_time: T0,
                response_time: T0,
            };
            match (
                Policy::default().evaluate_conditional(&r.request, &stored, T0 + 7 * S),
                &r.want,
            ) {
                (Conditional::Full, None) => Ok(()),
                (Conditional::NotModified(h), Some(names)) => {
                    let mut got: Vec<String> =
                        h.iter().map(|(n, _)| n.to_ascii_lowercase()).collect();
                    got.sort();
                    got.dedup();
                    expect_eq(got, names.iter().map(|n| n.to_string()).collect())?;
                    expect_eq(h.get("age"), Some("7"))
                }
                (got, want) => Err(format!("got {got:?}, want 304 = {}", want.is_some())),
            }
        },
    );
}

// ---------------------------------------------------------------------------
// §4.4 Invalidation
// ---------------------------------------------------------------------------

struct InvalidationRow {
    name: &'static str,
    method: &'static str,
    url: &'static str,
    status: u16,
    headers: Vec<(&'static str, &'static str)>,
    want: Vec<&'static str>,
}

fn invalidation_rows() -> Vec<InvalidationRow> {
    let row = |name, method, status, headers, want| InvalidationRow {
        name,
        method,
        url: "https://example.com/a/b",
        status,
        headers,
        want,
    };
    let target = "https://example.com/a/b";
    vec![
        row(
            "rfc9111_4_4_post_2xx_invalidates_target_uri",
            "POST",
            200,
            vec![],
            vec![target],
        ),
        row(
            "rfc9111_4_4_put_invalidates_target_uri",
            "PUT",
            204,
            vec![],
            vec![target],
        ),
        row(
            "rfc9111_4_4_delete_invalidates_target_uri",
            "DELETE",
            202,
            vec![],
            vec![target],
        ),
        row(
            "rfc9111_4_4_patch_invalidates_target_uri",
            "PATCH",
            200,
            vec![],
            vec![target],
        ),
        row(
            "rfc9111_4_4_unknown_method_invalidates_target_uri",
            "FROBNICATE",
            200,
            vec![],
            vec![target],
        ),
        row(
            "rfc9110_9_1_method_is_case_sensitive_so_lowercase_get_is_unknown",
            "get",
            200,
            vec![],
            vec![target],
        ),
        row(
            "rfc9111_4_4_3xx_is_a_non_error_response",
            "POST",
            303,
            vec![],
            vec![target],
        ),
        row(
            "rfc9111_4_4_4xx_error_does_not_invalidate",
            "POST",
            404,
            vec![],
            vec![],
        ),
        row(
            "rfc9111_4_4_5xx_error_does_not_invalidate",
            "DELETE",
            500,
            vec![],
            vec![],
        ),
        row(
            "rfc9111_4_4_1xx_does_not_invalidate",
            "POST",
            100,
            vec![],
            vec![],
        ),
        row(
            "rfc9110_9_2_1_get_is_safe_no_invalidation",
            "GET",
            200,
            vec![("Location", "/z")],
            vec![],
        ),
        row(
            "rfc9110_9_2_1_head_is_safe_no_invalidation",
            "HEAD",
            200,
            vec![],
            vec![],
        ),
        row(
            "rfc9110_9_2_1_options_is_safe_no_invalidation",
            "OPTIONS",
            200,
            vec![],
            vec![],
        ),
        row(
            "rfc9110_9_2_1_trace_is_safe_no_invalidation",
            "TRACE",
            200,
            vec![],
            vec![],
        ),
        row(
            "rfc9111_4_4_same_origin_absolute_location_invalidated",
            "POST",
            201,
            vec![("Location", "https://example.com/new")],
            vec![target, "https://example.com/new"],
        ),
        row(
            "rfc9111_4_4_relative_location_resolved_against_target_uri",
            "POST",
            201,
            vec![("Location", "../c?d=1#frag")],
            vec![target, "https://example.com/c?d=1"],
        ),
        row(
            "rfc9111_4_4_path_absolute_location_resolved",
            "POST",
            201,
            vec![("Location", "/items/7")],
            vec![target, "https://example.com/items/7"],
        ),
        row(
            "rfc9111_4_4_same_origin_content_location_invalidated",
            "PUT",
            200,
            vec![("Content-Location", "/a/b.json")],
            vec![target, "https://example.com/a/b.json"],
        ),
        row(
            "rfc9111_4_4_location_and_content_location_both_invalidated",
            "POST",
            201,
            vec![("Location", "x"), ("Content-Location", "y")],
            vec![target, "https://example.com/a/x", "https://example.com/a/y"],
        ),
        row(
            "rfc9111_4_4_cross_origin_location_not_invalidated",
            "POST",
            201,
            vec![("Location", "https://evil.example/a/b")],
            vec![target],
        ),
        row(
            "rfc9111_4_4_cross_origin_content_location_not_invalidated",
            "PUT",
            200,
            vec![("Content-Location", "https://other.example.com/a")],
            vec![target],
        ),
        row(
            "rfc9111_4_4_other_scheme_is_another_origin",
            "POST",
            201,
            vec![("Location", "http://example.com/new")],
            vec![target],
        ),
        row(
            "rfc9111_4_4_other_scheme_on_the_same_port_is_another_origin",
            "POST",
            201,
            vec![("Location", "http://example.com:443/new")],
            vec![target],
        ),
        row(
            "rfc9111_4_4_other_port_is_another_origin",
            "POST",
            201,
            vec![("Location", "https://example.com:8443/new")],
            vec![target],
        ),
        row(
            "rfc9111_4_4_network_path_reference_to_other_host_not_invalidated",
            "POST",
            201,
            vec![("Location", "//evil.example/new")],
            vec![target],
        ),
        row(
            "rfc9111_4_4_explicit_default_port_is_same_origin",
            "POST",
            201,
            vec![("Location", "HTTPS://EXAMPLE.COM:443/new")],
            vec![target, "https://example.com/new"],
        ),
        row(
            "rfc9111_4_4_unparsable_location_ignored",
            "POST",
            201,
            vec![("Location", "http://exa mple.com/")],
            vec![target],
        ),
        row(
            "rfc9111_4_4_location_with_several_lines_ignored",
            "POST",
            201,
            vec![("Location", "/p"), ("Location", "/q")],
            vec![target],
        ),
        row(
            "rfc9111_4_4_location_equal_to_target_listed_once",
            "POST",
            200,
            vec![("Location", "/a/b#x")],
            vec![target],
        ),
    ]
}

#[test]
fn rfc9111_4_4_invalidating_stored_responses() {
    check_all(
        &invalidation_rows(),
        |r| r.name,
        |r| {
            let request = Request::new(r.method, r.url);
            let response = Response {
                status: r.status,
                headers: hs(&r.headers),
            };
            let got = invalidations(&request, &response);
            expect_eq(
                got.iter().map(String::as_str).collect::<Vec<_>>(),
                r.want.clone(),
            )?;
            // Every key is the GET cache key of that URI, so deleting it removes the entry.
            for key in &got {
                expect_eq(cache_key("GET", key).as_deref().ok(), Some(key.as_str()))?;
            }
            Ok(())
        },
    );
}

// ---------------------------------------------------------------------------
// RFC 9110 §5.6.7 HTTP-date
// ---------------------------------------------------------------------------

struct DateRow {
    name: &'static str,
    input: &'static str,
    want: Option<u64>,
}

const SUN_06_NOV_1994: u64 = 784_111_777_000;

fn date_rows() -> Vec<DateRow> {
    let row = |name, input, want| DateRow { name, input, want };
    vec![
        row(
            "rfc9110_5_6_7_imf_fixdate_accepted",
            "Sun, 06 Nov 1994 08:49:37 GMT",
            Some(SUN_06_NOV_1994),
        ),
        row(
            "rfc9110_5_6_7_obsolete_rfc850_accepted",
            "Sunday, 06-Nov-94 08:49:37 GMT",
            Some(SUN_06_NOV_1994),
        ),
        row(
            "rfc9110_5_6_7_obsolete_asctime_single_digit_day_accepted",
            "Sun Nov  6 08:49:37 1994",
            Some(SUN_06_NOV_1994),
        ),
        row(
            "rfc9110_5_6_7_obsolete_asctime_two_digit_day_accepted",
            "Sun Nov 06 08:49:37 1994",
            Some(SUN_06_NOV_1994),
        ),
        row(
            "rfc9111_4_2_dates_matched_case_insensitively",
            "sun, 06 NOV 1994 08:49:37 gmt",
            Some(SUN_06_NOV_1994),
        ),
        row(
            "rfc9110_5_6_7_surrounding_whitespace_is_not_part_of_the_value",
            "  Sun, 06 Nov 1994 08:49:37 GMT\t",
            Some(SUN_06_NOV_1994),
        ),
        row(
            "rfc9110_5_6_7_rfc850_year_more_than_50_years_ahead_is_in_the_past",
            "Tuesday, 01-Jan-74 00:00:00 GMT",
            Some(126_230_400_000),
        ),
        row(
            "rfc9110_5_6_7_rfc850_year_within_50_years_ahead_is_in_the_future",
            "Sunday, 01-Jan-73 00:00:00 GMT",
            Some(3_250_454_400_000),
        ),
        row(
            "rfc9110_5_6_7_leap_day_valid",
            "Thu, 29 Feb 2024 00:00:00 GMT",
            Some(1_709_164_800_000),
        ),
        row(
            "rfc9111_4_2_leap_second_read_as_the_earlier_second",
            "Sat, 31 Dec 2016 23:59:60 GMT",
            Some(1_483_228_799_000),
        ),
        row(
            "rfc9111_4_2_zone_utc_is_invalid",
            "Sun, 06 Nov 1994 08:49:37 UTC",
            None,
        ),
        row(
            "rfc9111_4_2_numeric_zone_is_invalid",
            "Sun, 06 Nov 1994 08:49:37 +0000",
            None,
        ),
        row(
            "rfc9111_4_2_zone_est_is_invalid",
            "Sun, 06 Nov 1994 03:49:37 EST",
            None,
        ),
        row(
            "rfc9110_5_6_7_missing_zone_is_invalid",
            "Sun, 06 Nov 1994 08:49:37",
            None,
        ),
        row(
            "rfc9110_5_6_7_iso8601_is_invalid",
            "1994-11-06T08:49:37Z",
            None,
        ),
        row("rfc9110_5_6_7_unix_timestamp_is_invalid", "784111777", None),
        row("rfc9110_5_6_7_zero_is_invalid", "0", None),
        row("rfc9110_5_6_7_empty_is_invalid", "", None),
        row(
            "rfc9110_5_6_7_day_without_leading_zero_is_invalid",
            "Sun, 6 Nov 1994 08:49:37 GMT",
            None,
        ),
        row(
            "rfc9110_5_6_7_extra_whitespace_is_invalid",
            "Sun,  06 Nov 1994 08:49:37 GMT",
            None,
        ),
        row(
            "rfc9110_5_6_7_two_digit_year_in_imf_fixdate_is_invalid",
            "Sun, 06 Nov 94 08:49:37 GMT",
            None,
        ),
        row(
            "rfc9110_5_6_7_full_month_name_is_invalid",
            "Sun, 06 November 1994 08:49:37 GMT",
            None,
        ),
        row(
            "rfc9110_5_6_7_missing_comma_is_invalid",
            "Sun 06 Nov 1994 08:49:37 GMT",
            None,
        ),
        row(
            "rfc9110_5_6_7_trailing_garbage_is_invalid",
            "Sun, 06 Nov 1994 08:49:37 GMT x",
            None,
        ),
        row(
            "rfc9110_5_6_7_wrong_weekday_is_invalid",
            "Mon, 06 Nov 1994 08:49:37 GMT",
            None,
        ),
        row(
            "rfc9110_5_6_7_impossible_date_is_invalid",
            "Thu, 30 Feb 2024 00:00:00 GMT",
            None,
        ),
        row(
            "rfc9110_5_6_7_feb_29_in_common_year_is_invalid",
            "Wed, 29 Feb 2023 00:00:00 GMT",
            None,
        ),
        row(
            "rfc9110_5_6_7_hour_24_is_invalid",
            "Sun, 06 Nov 1994 24:00:00 GMT",
            None,
        ),
        row(
            "rfc9110_5_6_7_minute_60_is_invalid",
            "Sun, 06 Nov 1994 08:60:00 GMT",
            None,
        ),
        row(
            "rfc9110_5_6_7_leap_second_only_at_end_of_day",
            "Sun, 06 Nov 1994 08:49:60 GMT",
            None,
        ),
        row(
            "rfc9110_5_6_7_rfc850_with_short_day_name_is_invalid",
            "Sun, 06-Nov-94 08:49:37 GMT",
            None,
        ),
        row(
            "rfc9110_5_6_7_rfc850_with_four_digit_year_is_invalid",
            "Sunday, 06-Nov-1994 08:49:37 GMT",
            None,
        ),
        row(
            "rfc9110_5_6_7_asctime_with_comma_is_invalid",
            "Sun, Nov  6 08:49:37 1994",
            None,
        ),
        row(
            "rfc9110_5_6_7_asctime_with_zone_is_invalid",
            "Sun Nov  6 08:49:37 1994 GMT",
            None,
        ),
        row(
            "rfc9110_5_6_7_non_ascii_is_invalid",
            "Sun, 06 Nov 1994 08:49:37 GMT\u{a0}",
            None,
        ),
    ]
}

#[test]
fn rfc9110_5_6_7_http_date_is_parsed_strictly() {
    check_all(
        &date_rows(),
        |r| r.name,
        |r| expect_eq(date::parse(r.input, T0), r.want),
    );
}

#[test]
fn rfc9110_5_6_7_dates_are_generated_as_imf_fixdate() {
    assert_eq!(
        date::format(SUN_06_NOV_1994),
        "Sun, 06 Nov 1994 08:49:37 GMT"
    );
    assert_eq!(date::format(T0), "Tue, 14 Nov 2023 22:13:20 GMT");
}

// ---------------------------------------------------------------------------
// Keys (§2, §4.1) and the stored form
// ---------------------------------------------------------------------------

#[test]
fn rfc9111_2_cache_key_is_the_normalised_target_uri() {
    let rows = [
        (
            "rfc9110_7_1_fragment_is_not_part_of_the_target_uri",
            "https://example.com/x#a",
            Ok("https://example.com/x"),
        ),
        (
            "rfc3986_6_2_2_scheme_and_host_case_normalised",
            "HTTPS://Example.COM/x",
            Ok("https://example.com/x"),
        ),
        (
            "rfc3986_6_2_3_default_port_removed",
            "https://example.com:443/x",
            Ok("https://example.com/x"),
        ),
        (
            "rfc3986_6_2_3_empty_path_is_slash",
            "https://example.com",
            Ok("https://example.com/"),
        ),
        (
            "rfc3986_6_2_2_3_dot_segments_removed",
            "https://example.com/a/./b/../x",
            Ok("https://example.com/a/x"),
        ),
        (
            "rfc3986_6_2_2_1_percent_encoding_hex_uppercased",
            "https://example.com/%7e?q=%2f",
            Ok("https://example.com/%7E?q=%2F"),
        ),
        (
            "rfc9111_2_query_is_part_of_the_key",
            "https://example.com/x?b=2&a=1",
            Ok("https://example.com/x?b=2&a=1"),
        ),
        (
            "rfc9111_2_non_default_port_kept",
            "https://example.com:8443/x",
            Ok("https://example.com:8443/x"),
        ),
        (
            "rfc9111_2_relative_url_has_no_key",
            "/x",
            Err("EDGECACHE_INVALID_KEY"),
        ),
        (
            "rfc9111_2_url_with_credentials_has_no_key",
            "https://u:p@example.com/",
            Err("EDGECACHE_INVALID_KEY"),
        ),
        (
            "rfc9111_2_url_with_user_name_has_no_key",
            "https://user@example.com/",
            Err("EDGECACHE_INVALID_KEY"),
        ),
        (
            "rfc9111_2_url_with_control_characters_has_no_key",
            "https://example.com/\nx",
            Err("EDGECACHE_INVALID_KEY"),
        ),
    ];
    check_all(
        &rows,
        |r| r.0,
        |&(_, url, want)| {
            expect_eq(
                cache_key("GET", url).map_err(|e| e.code()),
                want.map(String::from),
            )
        },
    );
    assert_eq!(
        cache_key("HEAD", URL).unwrap(),
        cache_key("GET", URL).unwrap()
    );
    assert_eq!(
        cache_key("POST", URL).unwrap_err().code(),
        "EDGECACHE_UNSUPPORTED"
    );
}

#[test]
fn rfc9111_4_1_variant_keys_follow_vary() {
    let vary = Vary::parse(&hs(&[("Vary", "Accept-Encoding, X-Mode")]));
    let key = |h: &[(&str, &str)]| variant_key(&vary, &hs(h)).unwrap();
    // Same normalised values → same key; any difference → a different key.
    assert_eq!(
        key(&[("accept-encoding", "gzip ,br"), ("X-Mode", "a")]),
        key(&[("Accept-Encoding", "gzip, br"), ("x-mode", "a")])
    );
    assert_ne!(
        key(&[("Accept-Encoding", "gzip")]),
        key(&[("Accept-Encoding", "br")])
    );
    assert_ne!(key(&[("Accept-Encoding", "")]), key(&[]));
    assert_eq!(
        variant_key(&Vary::parse(&hs(&[("Vary", "*")])), &Headers::new()),
        None
    );
    // §4.1: "always fails to match", even identical requests.
    assert!(!Vary::Any.matches(&Headers::new(), &Headers::new()));
    let primary = cache_key("GET", URL).unwrap();
    assert_eq!(entry_key(&primary, ""), primary);
    assert_ne!(entry_key(&primary, &key(&[])), primary);
}

struct DecodeRow {
    name: &'static str,
    bytes: Vec<u8>,
    ok: bool,
}

fn decode_rows() -> Vec<DecodeRow> {
    let good = sample_stored().encode();
    let mut future = good.clone();
    if let Some(version) = future.get_mut(1) {
        *version = 2;
    }
    let mut trailing = good.clone();
    trailing.push(0);
    vec![
        DecodeRow {
            name: "stored_form_roundtrip_decodes",
            bytes: good.clone(),
            ok: true,
        },
        DecodeRow {
            name: "stored_form_empty_input_is_decode_error",
            bytes: vec![],
            ok: false,
        },
        DecodeRow {
            name: "stored_form_json_is_decode_error",
            bytes: br#"{"status":200,"headers":[]}"#.to_vec(),
            ok: false,
        },
        DecodeRow {
            name: "stored_form_base64_text_is_decode_error",
            bytes: b"SGVsbG8gd29ybGQ=".to_vec(),
            ok: false,
        },
        DecodeRow {
            name: "stored_form_edgecache_record_is_decode_error",
            bytes: edgecache::record::encode(Some(1), b"x"),
            ok: false,
        },
        DecodeRow {
            name: "stored_form_newer_version_is_decode_error",
            bytes: future,
            ok: false,
        },
        DecodeRow {
            name: "stored_form_trailing_byte_is_decode_error",
            bytes: trailing,
            ok: false,
        },
        DecodeRow {
            name: "stored_form_truncated_content_is_decode_error",
            bytes: good
                .split_last()
                .map(|(_, rest)| rest.to_vec())
                .unwrap_or_default(),
            ok: false,
        },
        DecodeRow {
            name: "stored_form_all_ff_is_decode_error",
            bytes: vec![0xFF; 64],
            ok: false,
        },
    ]
}

fn sample_stored() -> StoredResponse {
    StoredResponse {
        url: "https://example.com/x?y".into(),
        status: 200,
        headers: hs(&[
            ("Content-Type", "text/plain"),
            ("Vary", "Accept-Encoding"),
            ("Set-Cookie", "a=1"),
            ("set-cookie", "b=2"),
        ]),
        request_headers: hs(&[("accept-encoding", "gzip")]),
        body: "héllo\u{0}wörld".as_bytes().to_vec(),
        request_time: T0 - 20,
        response_time: T0,
    }
}

#[test]
fn stored_form_decode_never_panics_and_roundtrips() {
    check_all(
        &decode_rows(),
        |r| r.name,
        |r| {
            let decoded = StoredResponse::decode(&r.bytes);
            match (&decoded, r.ok) {
                (Ok(s), true) => expect_eq(s, &sample_stored()),
                (Err(e), false) => expect_eq(e.code(), "EDGECACHE_DECODE"),
                _ => Err(format!("got {decoded:?}")),
            }
        },
    );
}

#[test]
fn rfc9111_3_1_hop_by_hop_fields_never_stored() {
    let policy = Policy::default();
    let response = res(
        200,
        &[
            ("Cache-Control", "max-age=60"),
            ("Connection", "close, X-Conn"),
            ("X-Conn", "1"),
            ("Keep-Alive", "timeout=5"),
            ("Proxy-Connection", "keep-alive"),
            ("TE", "trailers"),
            ("Transfer-Encoding", "chunked"),
            ("Upgrade", "h2c"),
            ("Trailer", "X-Sum"),
            ("Proxy-Authenticate", "Basic"),
            ("Proxy-Authorization", "Basic x"),
            ("Content-Type", "text/plain"),
        ],
    );
    let stored = policy.store(&get(&[]), &response, vec![], T0, T0).unwrap();
    let decoded = StoredResponse::decode(&stored.encode()).unwrap();
    for s in [&stored, &decoded] {
        let mut names: Vec<String> = s
            .headers
            .iter()
            .map(|(n, _)| n.to_ascii_lowercase())
            .collect();
        names.sort();
        assert_eq!(names, ["cache-control", "content-type", "date"]);
    }
    // Even a hand-built stored response never writes them.
    let mut manual = sample_stored();
    manual.headers.append("Transfer-Encoding", "chunked");
    manual.headers.append("Connection", "x-a");
    manual.headers.append("X-A", "1");
    let bytes = manual.encode();
    for name in [&b"Transfer-Encoding"[..], b"chunked", b"Connection", b"X-A"] {
        assert!(
            !bytes.windows(name.len()).any(|w| w == name),
            "{:?} written",
            String::from_utf8_lossy(name)
        );
    }
    let back = StoredResponse::decode(&bytes).unwrap();
    assert_eq!(back.headers, sample_stored().headers);
}

// ---------------------------------------------------------------------------
// End-to-end flows
// ---------------------------------------------------------------------------

type Scenario = (&'static str, fn() -> Result<(), String>);

fn scenarios() -> Vec<Scenario> {
    vec![
        (
            "rfc9111_4_3_4_freshened_response_is_fresh_again_and_revalidated",
            || {
                let policy = Policy::default();
                let req = get(&[]);
                let stored = policy
                    .store(
                        &req,
                        &res(
                            200,
                            &[
                                ("Cache-Control", "max-age=60"),
                                ("ETag", "\"a\""),
                                ("Age", "30"),
                            ],
                        ),
                        b"body".to_vec(),
                        T0,
                        T0,
                    )
                    .map_err(|e| e.to_string())?;
                let t1 = T0 + 120 * S;
                expect_eq(
                    want_of(&policy.lookup(&req, Some(&stored), t1)),
                    Want::Revalidate(RevalidateReason::Stale, false),
                )?;
                let not_modified = res(304, &[("ETag", "\"a\""), ("Date", &http_date(t1))]);
                let updated = policy
                    .freshen(&stored, &not_modified, t1)
                    .ok_or("not selected")?;
                let restored = policy
                    .store(&req, &updated, stored.body.clone(), t1 - S, t1)
                    .map_err(|e| e.to_string())?;
                expect_eq(&restored.body, &stored.body)?;
                // Old Age dropped; 1 s response delay: age 1 + 9 s resident = 10.
                expect_eq(
                    policy.lookup(&req, Some(&restored), t1 + 9 * S),
                    Lookup::Fresh { age_secs: 10 },
                )?;
                expect_eq(CacheStatus::Revalidated.as_str(), "REVALIDATED")
            },
        ),
        (
            "rfc9111_4_3_4_304_adding_set_cookie_not_written_back_by_shared_cache",
            || {
                let policy = Policy::default();
                let req = get(&[]);
                let stored = policy
                    .store(
                        &req,
                        &res(200, &[("Cache-Control", "max-age=60"), ("ETag", "\"a\"")]),
                        vec![],
                        T0,
                        T0,
                    )
                    .map_err(|e| e.to_string())?;
                let updated = policy
                    .freshen(
                        &stored,
                        &res(304, &[("ETag", "\"a\""), ("Set-Cookie", "sid=secret")]),
                        T0 + S,
                    )
                    .ok_or("not selected")?;
                // This client still receives its cookie...
                expect_eq(updated.headers.get("set-cookie"), Some("sid=secret"))?;
                // ...but it is never stored for the next user.
                expect_eq(
                    policy.store(&req, &updated, vec![], T0, T0 + S).err(),
                    Some(NotStorable::SetCookie),
                )
            },
        ),
        (
            "rfc9111_4_3_4_304_adding_no_store_stops_the_write_back",
            || {
                let policy = Policy::default();
                let req = get(&[]);
                let stored = policy
                    .store(
                        &req,
                        &res(200, &[("Cache-Control", "max-age=60"), ("ETag", "\"a\"")]),
                        vec![],
                        T0,
                        T0,
                    )
                    .map_err(|e| e.to_string())?;
                let updated = policy
                    .freshen(
                        &stored,
                        &res(304, &[("ETag", "\"a\""), ("Cache-Control", "no-store")]),
                        T0 + S,
                    )
                    .ok_or("not selected")?;
                expect_eq(
                    policy.store(&req, &updated, vec![], T0, T0 + S).err(),
                    Some(NotStorable::NoStore),
                )
            },
        ),
        (
            "rfc9111_5_2_2_7_qualified_private_fields_removed_before_storage",
            || {
                let policy = Policy::default();
                let stored = policy
                    .store(
                        &get(&[]),
                        &res(
                            200,
                            &[
                                (
                                    "Cache-Control",
                                    "max-age=60, private=\"Set-Cookie, X-User\"",
                                ),
                                ("Set-Cookie", "sid=1"),
                                ("X-User", "ada"),
                                ("X-Public", "1"),
                            ],
                        ),
                        vec![],
                        T0,
                        T0,
                    )
                    .map_err(|e| e.to_string())?;
                expect_eq(
                    (
                        stored.headers.contains("set-cookie"),
                        stored.headers.contains("x-user"),
                        stored.headers.get("x-public"),
                    ),
                    (false, false, Some("1")),
                )
            },
        ),
        (
            "rfc9110_6_6_1_date_added_when_missing_and_replaced_when_invalid",
            || {
                let policy = Policy::default();
                let a = policy
                    .store(
                        &get(&[]),
                        &res(200, &[("Cache-Control", "max-age=60")]),
                        vec![],
                        T0 - S,
                        T0,
                    )
                    .map_err(|e| e.to_string())?;
                let b = policy
                    .store(
                        &get(&[]),
                        &res(
                            200,
                            &[("Cache-Control", "max-age=60"), ("Date", "yesterday")],
                        ),
                        vec![],
                        T0 - S,
                        T0,
                    )
                    .map_err(|e| e.to_string())?;
                let kept = policy
                    .store(
                        &get(&[]),
                        &res(
                            200,
                            &[
                                ("Cache-Control", "max-age=60"),
                                ("Date", &http_date(T0 - 5 * S)),
                            ],
                        ),
                        vec![],
                        T0 - S,
                        T0,
                    )
                    .map_err(|e| e.to_string())?;
                expect_eq(a.headers.get("date").map(String::from), Some(http_date(T0)))?;
                expect_eq(
                    b.headers.get_all("date").collect::<Vec<_>>(),
                    vec![http_date(T0).as_str()],
                )?;
                expect_eq(
                    kept.headers.get("date").map(String::from),
                    Some(http_date(T0 - 5 * S)),
                )
            },
        ),
        (
            "rfc9111_4_1_selecting_request_fields_are_kept_with_the_stored_response",
            || {
                let policy = Policy::default();
                let stored = policy
                    .store(
                        &get(&[
                            ("Accept-Encoding", "gzip"),
                            ("Cookie", "secret"),
                            ("Accept-Language", "fr"),
                        ]),
                        &res(
                            200,
                            &[
                                ("Cache-Control", "max-age=60"),
                                ("Vary", "accept-encoding, Accept-Language"),
                            ],
                        ),
                        vec![],
                        T0,
                        T0,
                    )
                    .map_err(|e| e.to_string())?;
                let mut names: Vec<&str> = stored.request_headers.iter().map(|(n, _)| n).collect();
                names.sort();
                expect_eq(names, vec!["accept-encoding", "accept-language"])
            },
        ),
        (
            "rfc5861_4_stale_if_error_checked_at_the_time_of_the_error",
            || {
                let policy = Policy::default();
                let req = get(&[]);
                let stored = policy
                    .store(
                        &req,
                        &res(
                            200,
                            &[
                                ("Cache-Control", "max-age=60, stale-if-error=60"),
                                ("ETag", "\"a\""),
                            ],
                        ),
                        vec![],
                        T0,
                        T0,
                    )
                    .map_err(|e| e.to_string())?;
                expect_eq(
                    policy.stale_if_error(&req, &stored, T0 + 120 * S),
                    Some(120),
                )?;
                expect_eq(policy.stale_if_error(&req, &stored, T0 + 120 * S + 1), None)?;
                expect_eq(
                    policy.stale_if_error(
                        &get(&[("Cache-Control", "stale-if-error=600")]),
                        &stored,
                        T0 + 600 * S,
                    ),
                    Some(600),
                )
            },
        ),
        (
            "rfc5861_3_stale_while_revalidate_carries_the_background_revalidation",
            || {
                let policy = Policy::default();
                let req = get(&[]);
                let stored = policy
                    .store(
                        &req,
                        &res(
                            200,
                            &[
                                (
                                    "Cache-Control",
                                    "max-age=60, stale-while-revalidate=30, stale-if-error=600",
                                ),
                                ("ETag", "\"a\""),
                            ],
                        ),
                        vec![],
                        T0,
                        T0,
                    )
                    .map_err(|e| e.to_string())?;
                match policy.lookup(&req, Some(&stored), T0 + 70 * S) {
                    Lookup::StaleWhileRevalidate {
                        age_secs: 70,
                        revalidation,
                    } => {
                        expect_eq(revalidation.headers.get("if-none-match"), Some("\"a\""))?;
                        expect_eq(revalidation.stale_if_error, true)
                    }
                    other => Err(format!("got {other:?}")),
                }
            },
        ),
        (
            "rfc9111_3_useful_until_is_the_end_of_freshness_plus_stale_windows",
            || {
                let policy = Policy::default();
                let stored = policy
                    .store(
                        &get(&[]),
                        &res(
                            200,
                            &[
                                ("Cache-Control", "max-age=60, stale-while-revalidate=30"),
                                ("Age", "10"),
                            ],
                        ),
                        vec![],
                        T0,
                        T0,
                    )
                    .map_err(|e| e.to_string())?;
                expect_eq(policy.useful_until(&stored), Some(T0 + 80 * S))?;
                let with_validator = policy
                    .store(
                        &get(&[]),
                        &res(200, &[("Cache-Control", "max-age=60"), ("ETag", "\"a\"")]),
                        vec![],
                        T0,
                        T0,
                    )
                    .map_err(|e| e.to_string())?;
                expect_eq(policy.useful_until(&with_validator), None)
            },
        ),
        (
            "rfc9111_3_5_authenticated_public_response_does_not_leak_set_cookie",
            || {
                // Security: even when Authorization is allowed by public, a shared
                // cache does not store a per-user Set-Cookie.
                let policy = Policy::default();
                expect_eq(
                    policy.storable(
                        &get(&[("Authorization", "Bearer a")]),
                        &res(
                            200,
                            &[
                                ("Cache-Control", "public, max-age=60"),
                                ("Set-Cookie", "sid=a"),
                            ],
                        ),
                        T0,
                    ),
                    Err(NotStorable::SetCookie),
                )
            },
        ),
    ]
}

#[test]
fn end_to_end_flows() {
    check_all(&scenarios(), |s| s.0, |s| (s.1)());
}

// ---------------------------------------------------------------------------
// The tables themselves
// ---------------------------------------------------------------------------

#[test]
fn every_row_cites_an_rfc_and_names_are_unique() {
    let mut names: Vec<&str> = Vec::new();
    names.extend(store_rows().iter().map(|r| r.name));
    names.extend(lifetime_rows().iter().map(|r| r.name));
    names.extend(age_rows().iter().map(|r| r.name));
    names.extend(lookup_rows().iter().map(|r| r.name));
    names.extend(validation_rows().iter().map(|r| r.name));
    names.extend(freshen_rows().iter().map(|r| r.name));
    names.extend(conditional_rows().iter().map(|r| r.name));
    names.extend(invalidation_rows().iter().map(|r| r.name));
    names.extend(date_rows().iter().map(|r| r.name));
    names.extend(scenarios().iter().map(|s| s.0));
    for name in &names {
        assert!(name.starts_with("rfc"), "{name} does not cite an RFC");
    }
    let mut seen = HashSet::new();
    let duplicates: Vec<&str> = names.iter().copied().filter(|n| !seen.insert(*n)).collect();
    assert!(duplicates.is_empty(), "duplicate row names: {duplicates:?}");
}
