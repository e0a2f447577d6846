//! RFC 9110 §13 / RFC 9111 §4.3.2: answering the client's conditional request.

use edgecache::http::{Conditional, Headers, Policy, Request, StoredResponse};

use super::{check_all, expect_eq, get, http_date, S, T0, URL};
pub(super) struct ConditionalRow {
    pub(super) name: &'static str,
    status: u16,
    stored: Vec<(&'static str, String)>,
    request: Request,
    /// None: full response; Some: the 304's field names (sorted, lowercase).
    want: Option<Vec<&'static str>>,
}

pub(super) fn conditional_rows() -> Vec<ConditionalRow> {
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
