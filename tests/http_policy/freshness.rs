//! RFC 9111 §4.2.1 / §4.2.2 Freshness lifetime, RFC 9213 targeted fields.

use edgecache::http::{CacheOptions, Headers, Policy, StoredResponse};

use super::{check_all, expect_eq, hs, http_date, private, shared, S, T0, URL};
pub(super) struct LifetimeRow {
    pub(super) name: &'static str,
    options: CacheOptions,
    status: u16,
    headers: Headers,
    /// (lifetime in seconds, heuristic)
    want: (u64, bool),
}

pub(super) fn lifetime_rows() -> Vec<LifetimeRow> {
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
            "rfc9213_2_1_targeted_decimal_max_age_ignores_the_field",
            shared(),
            200,
            d(&[
                ("Cache-Control", "max-age=60"),
                ("CDN-Cache-Control", "max-age=1.5"),
            ]),
            (60, false),
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
