//! RFC 9111 §4.2.3 Age.

use edgecache::http::{Headers, Policy, StoredResponse};

use super::{check_all, expect_eq, hs, http_date, S, T0, URL};
pub(super) struct AgeRow {
    pub(super) name: &'static str,
    headers: Headers,
    request_time: u64,
    response_time: u64,
    now: u64,
    want_secs: u64,
}

pub(super) fn age_rows() -> Vec<AgeRow> {
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
