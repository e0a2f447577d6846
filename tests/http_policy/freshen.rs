//! RFC 9111 §4.3.4 Freshening stored responses upon validation (304).

use edgecache::http::{Headers, Policy, Response, StoredResponse};

use super::{check_all, expect_eq, http_date, res, S, T0, URL};
pub(super) struct FreshenRow {
    pub(super) name: &'static str,
    stored: Vec<(&'static str, String)>,
    not_modified: Response,
    /// None: the 304 does not select the stored response. Some: expected
    /// field values (None = absent) in the updated response.
    want: Option<Vec<(&'static str, Option<String>)>>,
}

pub(super) fn freshen_rows() -> Vec<FreshenRow> {
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
        // Decision (src/http/policy/conditional.rs `selects`): the 304 answers
        // our own request, built from this one stored response, so it
        // selects it even without the ETag RFC 9110 §15.4.5 asks for.
        FreshenRow {
            name: "rfc9111_4_3_4_decision_a_validator_less_304_to_our_strong_etag_request_selects_it",
            stored: base(&[("ETag", "\"a\"")]),
            not_modified: res(304, &[("Cache-Control", "max-age=600")]),
            want: Some(vec![
                ("cache-control", s("max-age=600")),
                ("etag", s("\"a\"")),
            ]),
        },
        FreshenRow {
            name: "rfc9111_4_3_4_decision_a_validator_less_304_to_our_weak_etag_request_selects_it",
            stored: base(&[("ETag", "W/\"a\"")]),
            not_modified: res(304, &[("Cache-Control", "max-age=600")]),
            want: Some(vec![
                ("cache-control", s("max-age=600")),
                ("etag", s("W/\"a\"")),
            ]),
        },
        FreshenRow {
            name: "rfc9111_4_3_4_decision_a_validator_less_304_to_our_if_modified_since_request_selects_it",
            stored: base(&[("Last-Modified", &lm)]),
            not_modified: res(304, &[("Cache-Control", "max-age=600")]),
            want: Some(vec![
                ("cache-control", s("max-age=600")),
                ("last-modified", Some(lm.clone())),
            ]),
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
