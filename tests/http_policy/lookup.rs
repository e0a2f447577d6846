//! RFC 9111 §4 Constructing responses from caches: the lookup decision.

use edgecache::http::{
    CacheOptions, Headers, Lookup, MissReason, Policy, Request, Response, RevalidateReason,
    StoredResponse,
};

use super::{check_all, expect_eq, get, hs, http_date, private, res, shared, S, T0, URL};
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Want {
    Fresh(u64),
    Stale,
    Swr,
    /// Revalidate for this reason; `stale_if_error` flag.
    Revalidate(RevalidateReason, bool),
    Miss(MissReason),
    GatewayTimeout,
}

pub(super) fn want_of(lookup: &Lookup) -> Want {
    match lookup {
        Lookup::Fresh { age_secs } => Want::Fresh(*age_secs),
        Lookup::Stale { .. } => Want::Stale,
        Lookup::StaleWhileRevalidate { .. } => Want::Swr,
        Lookup::Revalidate(r) => Want::Revalidate(r.reason, r.stale_if_error),
        Lookup::Miss(m) => Want::Miss(*m),
        Lookup::GatewayTimeout => Want::GatewayTimeout,
    }
}

pub(super) struct LookupRow {
    pub(super) name: &'static str,
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

pub(super) fn lookup_rows() -> Vec<LookupRow> {
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
