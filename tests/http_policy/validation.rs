//! RFC 9111 §4.3.1 Sending a validation request.

use edgecache::http::{Headers, Lookup, Policy, StoredResponse};

use super::{check_all, expect_eq, get, http_date, S, T0, URL};
pub(super) struct ValidationRow {
    pub(super) name: &'static str,
    response: Vec<(&'static str, String)>,
    client: Vec<(&'static str, &'static str)>,
    /// The conditional fields of the forwarded request.
    want: Vec<(&'static str, String)>,
}

pub(super) fn validation_rows() -> Vec<ValidationRow> {
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
