//! RFC 9110 §5.6.7 HTTP-date.

use edgecache::http::date;

use super::{check_all, expect_eq, T0};
pub(super) struct DateRow {
    pub(super) name: &'static str,
    input: &'static str,
    want: Option<u64>,
}

const SUN_06_NOV_1994: u64 = 784_111_777_000;

pub(super) fn date_rows() -> Vec<DateRow> {
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
        // Decision (src/http/date.rs): RFC 9110 §5.6.7 asks recipients to be
        // robust; a wrong day-name is accepted, the date wins.
        row(
            "rfc9110_5_6_7_wrong_weekday_is_accepted",
            "Mon, 06 Nov 1994 08:49:37 GMT",
            Some(SUN_06_NOV_1994),
        ),
        row(
            "rfc9110_5_6_7_asctime_with_a_wrong_weekday_is_accepted",
            "Thu Aug  8 02:01:18 2050",
            Some(2_543_536_878_000),
        ),
        row(
            "rfc9110_5_6_7_a_weekday_that_is_no_weekday_is_invalid",
            "Xyz, 06 Nov 1994 08:49:37 GMT",
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
