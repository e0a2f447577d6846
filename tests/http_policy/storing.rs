//! RFC 9111 §3 Storing responses: `Policy::storable` and `Policy::store`.

use edgecache::http::{CacheOptions, NotStorable, Policy, Request, Response};

use super::{check_all, expect_eq, get, http_date, private, res, shared, S, T0, URL};
pub(super) struct StoreRow {
    pub(super) name: &'static str,
    options: CacheOptions,
    request: Request,
    response: Response,
    want: Result<(), NotStorable>,
}

pub(super) fn store_rows() -> Vec<StoreRow> {
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
