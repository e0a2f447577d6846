//! HTTP-date (RFC 9110 §5.6.7), parsed strictly and formatted as
//! IMF-fixdate.
//!
//! ```text
//! HTTP-date    = IMF-fixdate / obs-date
//! IMF-fixdate  = day-name "," SP date1 SP time-of-day SP GMT   ; Sun, 06 Nov 1994 08:49:37 GMT
//! rfc850-date  = day-name-l "," SP date2 SP time-of-day SP GMT ; Sunday, 06-Nov-94 08:49:37 GMT
//! asctime-date = day-name SP date3 SP time-of-day SP year      ; Sun Nov  6 08:49:37 1994
//! ```
//!
//! "A recipient that parses a timestamp value in an HTTP field MUST accept all
//! three HTTP-date formats." Those three, and nothing else, are accepted: §5.6.7
//! encourages recipients "to be robust in parsing timestamps", but a cache
//! that guesses at `Expires: 2024-01-01` or `Expires: Thu, 1 Jan 2099` risks
//! serving something for a year that its origin meant to expire. A value that
//! does not parse is *invalid*, and RFC 9111 §5.3 says what that means for
//! `Expires`: "A cache recipient MUST interpret invalid date formats,
//! especially the value "0", as representing a time in the past (i.e.,
//! "already expired")."
//!
//! What is checked:
//! - the exact shape of each format: fixed widths, single `SP` separators
//!   (asctime's day is `2DIGIT` or `SP 1DIGIT`), `GMT` and no other zone
//!   (RFC 9111 §4.2: "A cache recipient SHOULD consider a date with a zone
//!   abbreviation other than "GMT" to be invalid");
//! - a real calendar date (`31 Feb` is invalid), `00:00:00`–`23:59:59`, and a
//!   leap second `23:59:60` only, read as `23:59:59` (RFC 9111 §4.2: "the
//!   nearest time equal to or earlier than the received value");
//! - the day name is one of the seven, spelled as its format wants (`Thu` in
//!   IMF-fixdate and asctime, `Thursday` in RFC 850) — but it need not agree
//!   with the date (see `check_day_name`);
//! - names are matched case-insensitively (RFC 9111 §4.2: "a cache recipient
//!   SHOULD match the field value case-insensitively");
//! - RFC 850's two-digit year: "MUST interpret a timestamp that appears to be
//!   more than 50 years in the future as representing the most recent year in
//!   the past that had the same last two digits", relative to a reference time
//!   the caller passes (there is no clock in here).
//!
//! Times are milliseconds since the Unix epoch, like every `now` in this
//! crate; dates before 1970 are clamped to 0 (they are only ever compared with
//! a present-day clock, where "long ago" is all that matters).

const DAY_NAMES: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const DAY_NAMES_LONG: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// The latest instant [`format()`] can express: 9999-12-31T23:59:59Z, in ms.
pub const MAX_FORMATTABLE_MS: u64 = 253_402_300_799_000;

/// Parses an HTTP-date in any of its three formats, strictly; returns ms since
/// the Unix epoch, or `None` for anything else.
///
/// `reference_ms` is only used for the RFC 850 format's two-digit year: pass
/// the time the message was received (or `now`).
///
/// ```
/// use edgecache::http::date;
///
/// let now = 1_700_000_000_000; // November 2023
/// let t = 784_111_777_000; // 1994-11-06T08:49:37Z
/// assert_eq!(date::parse("Sun, 06 Nov 1994 08:49:37 GMT", now), Some(t));
/// assert_eq!(date::parse("Sunday, 06-Nov-94 08:49:37 GMT", now), Some(t));
/// assert_eq!(date::parse("Sun Nov  6 08:49:37 1994", now), Some(t));
/// // A valid day name that is not the date's: the date counts.
/// assert_eq!(date::parse("Mon, 06 Nov 1994 08:49:37 GMT", now), Some(t));
/// // Not an HTTP-date: ISO 8601, a numeric zone, no such day name, "0".
/// assert_eq!(date::parse("1994-11-06T08:49:37Z", now), None);
/// assert_eq!(date::parse("Sun, 06 Nov 1994 08:49:37 +0000", now), None);
/// assert_eq!(date::parse("Xyz, 06 Nov 1994 08:49:37 GMT", now), None);
/// assert_eq!(date::parse("0", now), None);
/// ```
pub fn parse(value: &str, reference_ms: u64) -> Option<u64> {
    let s = value.trim_matches([' ', '\t']);
    if !s.is_ascii() {
        return None;
    }
    imf_fixdate(s)
        .or_else(|| rfc850_date(s, reference_ms))
        .or_else(|| asctime_date(s))
}

/// Formats ms since the epoch as an IMF-fixdate (whole seconds, rounded
/// down; clamped to [`MAX_FORMATTABLE_MS`]).
///
/// RFC 9110 §5.6.7: "When a sender generates a field that contains one or more
/// timestamps defined as HTTP-date, the sender MUST generate those timestamps
/// in the IMF-fixdate format."
///
/// ```
/// use edgecache::http::date;
/// assert_eq!(date::format(784_111_777_999), "Sun, 06 Nov 1994 08:49:37 GMT");
/// assert_eq!(date::format(0), "Thu, 01 Jan 1970 00:00:00 GMT");
/// ```
pub fn format(ms: u64) -> String {
    let secs = ms.min(MAX_FORMATTABLE_MS) / 1000;
    // Both fit in i64: secs < 2.6e11.
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let (year, month, day) = civil_from_days(days);
    let weekday = weekday_index(days);
    format!(
        "{}, {:02} {} {:04} {:02}:{:02}:{:02} GMT",
        DAY_NAMES.get(weekday).copied().unwrap_or("Thu"),
        day,
        MONTHS
            .get(month.saturating_sub(1) as usize)
            .copied()
            .unwrap_or("Jan"),
        year,
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// `Sun, 06 Nov 1994 08:49:37 GMT`: exactly 29 bytes.
fn imf_fixdate(s: &str) -> Option<u64> {
    if s.len() != 29 {
        return None;
    }
    check_day_name(&DAY_NAMES, s.get(0..3)?)?;
    literal(s.get(3..5)?, ", ")?;
    let day = digits(s.get(5..7)?)?;
    literal(s.get(7..8)?, " ")?;
    let month = name_index(&MONTHS, s.get(8..11)?)? as u32 + 1;
    literal(s.get(11..12)?, " ")?;
    let year = digits(s.get(12..16)?)?;
    literal(s.get(16..17)?, " ")?;
    let (h, m, sec) = time_of_day(s.get(17..25)?)?;
    literal(s.get(25..26)?, " ")?;
    gmt(s.get(26..29)?)?;
    instant(year, month, day, h, m, sec)
}

/// `Sunday, 06-Nov-94 08:49:37 GMT`: a full day name, then 24 fixed bytes.
fn rfc850_date(s: &str, reference_ms: u64) -> Option<u64> {
    let (name, rest) = s.split_once(", ")?;
    check_day_name(&DAY_NAMES_LONG, name)?;
    if rest.len() != 22 {
        return None;
    }
    let day = digits(rest.get(0..2)?)?;
    literal(rest.get(2..3)?, "-")?;
    let month = name_index(&MONTHS, rest.get(3..6)?)? as u32 + 1;
    literal(rest.get(6..7)?, "-")?;
    let yy = digits(rest.get(7..9)?)?;
    literal(rest.get(9..10)?, " ")?;
    let (h, m, sec) = time_of_day(rest.get(10..18)?)?;
    literal(rest.get(18..19)?, " ")?;
    gmt(rest.get(19..22)?)?;
    // "the most recent year in the past that had the same last two digits"
    // for anything more than 50 years ahead: the largest year with these two
    // digits that is at most 50 years after the reference year.
    let reference_year = civil_from_days((reference_ms / 1000 / 86_400) as i64).0;
    let limit = reference_year + 50;
    let year = limit - (limit - i64::from(yy)).rem_euclid(100);
    instant(year.try_into().ok()?, month, day, h, m, sec)
}

/// `Sun Nov  6 08:49:37 1994`: exactly 24 bytes; the day is `2DIGIT` or
/// `SP 1DIGIT`.
fn asctime_date(s: &str) -> Option<u64> {
    if s.len() != 24 {
        return None;
    }
    check_day_name(&DAY_NAMES, s.get(0..3)?)?;
    literal(s.get(3..4)?, " ")?;
    let month = name_index(&MONTHS, s.get(4..7)?)? as u32 + 1;
    literal(s.get(7..8)?, " ")?;
    let day_field = s.get(8..10)?;
    let day = match day_field.strip_prefix(' ') {
        Some(one) => digits(one)?,
        None => digits(day_field)?,
    };
    literal(s.get(10..11)?, " ")?;
    let (h, m, sec) = time_of_day(s.get(11..19)?)?;
    literal(s.get(19..20)?, " ")?;
    let year = digits(s.get(20..24)?)?;
    instant(year, month, day, h, m, sec)
}

fn literal(got: &str, want: &str) -> Option<()> {
    (got == want).then_some(())
}

fn gmt(s: &str) -> Option<()> {
    s.eq_ignore_ascii_case("GMT").then_some(())
}

/// The day name must be one of `names` (the format's spelling, any case);
/// which one does not matter.
///
/// RFC 9110 gives `day-name` the RFC 5322 §3.3 semantics, where "the
/// day-of-week ... MUST be the day implied by the date", but §5.6.7 adds:
/// "Recipients of timestamp values are encouraged to be robust in parsing
/// timestamps unless otherwise restricted by the field definition."
/// **Decision:** a valid day name that disagrees with the date is accepted and
/// the date wins. The day name is redundant: the date alone fixes the instant,
/// so nothing is guessed. Rejecting it made an `Expires` in the future an
/// invalid one, i.e. "already expired" (RFC 9111 §5.3), over a typo in a
/// field no cache needs. Everything else stays strict: an unknown or
/// misspelled name (`Thurs`), a long name in IMF-fixdate or asctime, a short
/// one in RFC 850.
fn check_day_name(names: &[&str], s: &str) -> Option<()> {
    name_index(names, s).map(drop)
}

fn name_index(names: &[&str], s: &str) -> Option<usize> {
    names.iter().position(|n| n.eq_ignore_ascii_case(s))
}

/// All ASCII digits (at least one, at most 4), as a number.
fn digits(s: &str) -> Option<u32> {
    if s.is_empty() || s.len() > 4 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// `hour ":" minute ":" second`, each `2DIGIT`.
fn time_of_day(s: &str) -> Option<(u32, u32, u32)> {
    if s.len() != 8 {
        return None;
    }
    let h = digits(s.get(0..2)?)?;
    literal(s.get(2..3)?, ":")?;
    let m = digits(s.get(3..5)?)?;
    literal(s.get(5..6)?, ":")?;
    let sec = digits(s.get(6..8)?)?;
    Some((h, m, sec))
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Checks ranges and returns ms since the epoch (clamped at 0). The day name
/// is not compared with the date (see [`check_day_name`]).
fn instant(year: u32, month: u32, day: u32, h: u32, m: u32, sec: u32) -> Option<u64> {
    let year = i64::from(year);
    if day == 0 || day > days_in_month(year, month) || h > 23 || m > 59 {
        return None;
    }
    // 00:00:00 - 23:59:60 (leap second); a leap second is read as :59.
    let sec = match sec {
        0..=59 => sec,
        60 if h == 23 && m == 59 => 59,
        _ => return None,
    };
    let days = days_from_civil(year, month, day);
    let secs = days * 86_400 + i64::from(h * 3600 + m * 60 + sec);
    // Before 1970: 0 (see the module docs). Past what u64 milliseconds can
    // hold (only an RFC 850 year read against an absurd reference time gets
    // there): not a date, rather than a saturated, fractional-second one.
    u64::try_from(secs).unwrap_or(0).checked_mul(1000)
}

/// Monday = 0. 1970-01-01 was a Thursday (3).
fn weekday_index(days_since_epoch: i64) -> usize {
    (days_since_epoch + 3).rem_euclid(7) as usize
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant,
/// "chrono-Compatible Low-Level Date Algorithms", `days_from_civil`).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = i64::from((month + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The inverse of [`days_from_civil`] (Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: u64 = 1_700_000_000_000; // 2023-11-14
    const SUN_06_NOV_1994: u64 = 784_111_777_000;

    #[test]
    fn calendar_roundtrips_over_four_centuries() {
        for days in (-800_000..800_000).step_by(997) {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
            assert!((1..=12).contains(&m) && d >= 1 && d <= days_in_month(y, m));
        }
    }

    #[test]
    fn format_then_parse_is_identity_on_whole_seconds() {
        for ms in [
            0,
            951_782_400_000,
            NOW,
            4_102_444_799_000,
            MAX_FORMATTABLE_MS,
        ] {
            assert_eq!(parse(&format(ms), NOW), Some(ms), "{}", format(ms));
        }
        assert_eq!(format(u64::MAX), format(MAX_FORMATTABLE_MS));
    }

    #[test]
    fn rfc850_two_digit_year_pivots_fifty_years_ahead() {
        // Reference 2023: "73" is 2073 (50 years ahead), "74" is 1974.
        assert_eq!(
            parse("Sunday, 01-Jan-73 00:00:00 GMT", NOW)
                .map(format)
                .as_deref(),
            Some("Sun, 01 Jan 2073 00:00:00 GMT")
        );
        assert_eq!(
            parse("Tuesday, 01-Jan-74 00:00:00 GMT", NOW)
                .map(format)
                .as_deref(),
            Some("Tue, 01 Jan 1974 00:00:00 GMT")
        );
    }

    #[test]
    fn leap_second_reads_as_the_second_before() {
        assert_eq!(
            parse("Sat, 31 Dec 2016 23:59:60 GMT", NOW),
            parse("Sat, 31 Dec 2016 23:59:59 GMT", NOW)
        );
        assert_eq!(parse("Sat, 31 Dec 2016 12:00:60 GMT", NOW), None);
    }

    /// Found by `fuzz/fuzz_targets/http_date.rs`: against a reference time
    /// about 523 million years ahead, an RFC 850 date resolved to a year whose
    /// milliseconds overflow u64; `saturating_mul` returned `u64::MAX`, not a
    /// whole second (and not that date).
    #[test]
    fn instants_past_u64_milliseconds_are_not_dates() {
        let reference = 16_501_709_309_036_816_384;
        // Against that reference the date is a whole second some 523 million
        // years ahead (it was `None` only while the day name had to match the
        // date); against `u64::MAX` its milliseconds overflow: not a date.
        assert_eq!(
            parse("Sunday, 03-Nov-47 08:49:37 GMT", reference),
            Some(16_501_710_149_340_577_000)
        );
        assert_eq!(parse("Sunday, 03-Nov-47 08:49:37 GMT", u64::MAX), None);
        for reference in [u64::MAX, reference, NOW, 0] {
            for s in [
                "Sunday, 03-Nov-47 08:49:37 GMT",
                "Sunday, 06-Nov-94 08:49:37 GMT",
            ] {
                assert!(
                    parse(s, reference).is_none_or(|ms| ms % 1000 == 0),
                    "{s} {reference}"
                );
            }
        }
    }

    /// RFC 9110 §5.6.7 robustness: a valid day name that is not the date's is
    /// accepted in all three formats (the date wins); an invalid or wrongly
    /// spelled one is not.
    #[test]
    fn rfc9110_5_6_7_wrong_day_name_is_accepted_but_must_be_a_day_name() {
        // Monday 8 August 2050, 02:01:18 GMT.
        const MON_08_AUG_2050: u64 = 2_543_536_878_000;
        let rows: &[(&str, Option<u64>)] = &[
            // The right day name, in each format.
            ("Mon, 08 Aug 2050 02:01:18 GMT", Some(MON_08_AUG_2050)),
            ("Monday, 08-Aug-50 02:01:18 GMT", Some(MON_08_AUG_2050)),
            ("Mon Aug  8 02:01:18 2050", Some(MON_08_AUG_2050)),
            // A valid but wrong day name: accepted, the date counts.
            ("Thu, 08 Aug 2050 02:01:18 GMT", Some(MON_08_AUG_2050)),
            ("Thursday, 08-Aug-50 02:01:18 GMT", Some(MON_08_AUG_2050)),
            ("Thu Aug  8 02:01:18 2050", Some(MON_08_AUG_2050)),
            ("Thu Aug 08 02:01:18 2050", Some(MON_08_AUG_2050)),
            ("sun, 08 aug 2050 02:01:18 gmt", Some(MON_08_AUG_2050)),
            ("SUNDAY, 08-AUG-50 02:01:18 GMT", Some(MON_08_AUG_2050)),
            ("Sat Aug  8 02:01:18 2050", Some(MON_08_AUG_2050)),
            ("Tue, 06 Nov 1994 08:49:37 GMT", Some(SUN_06_NOV_1994)),
            // Not a day name, or the wrong spelling for the format.
            ("Thr, 08 Aug 2050 02:01:18 GMT", None),
            ("Thursday, 08 Aug 2050 02:01:18 GMT", None),
            ("Thu, 08-Aug-50 02:01:18 GMT", None),
            ("Thurs, 08-Aug-50 02:01:18 GMT", None),
            ("Thursdy, 08-Aug-50 02:01:18 GMT", None),
            ("Thursday Aug  8 02:01:18 2050", None),
            ("Thr Aug  8 02:01:18 2050", None),
            ("Xyz Aug  8 02:01:18 2050", None),
            (", 08 Aug 2050 02:01:18 GMT", None),
            // Every other check still holds with a wrong day name.
            ("Thu, 31 Feb 2050 02:01:18 GMT", None),
            ("Thu, 08 Aug 2050 24:01:18 GMT", None),
            ("Thu, 08 Aug 2050 02:01:18 UTC", None),
            ("Thu, 8 Aug 2050 02:01:18 GMT", None),
            ("Thursday, 08-Aug-2050 02:01:18 GMT", None),
            ("Thu Aug 8 02:01:18 2050", None),
        ];
        for (input, want) in rows {
            assert_eq!(parse(input, NOW), *want, "{input}");
        }
    }

    #[test]
    fn pre_epoch_dates_clamp_to_zero() {
        assert_eq!(parse("Fri, 01 Jan 1960 00:00:00 GMT", NOW), Some(0));
    }

    #[test]
    fn never_panics_on_garbage() {
        let samples = [
            "",
            " ",
            ",",
            "Sun,",
            "Sun, 06 Nov 1994 08:49:37 GM\u{e9}",
            "Sunday, 06-Nov-94 08:49:37 GMTX",
            "Sun Nov 66 08:49:37 1994",
            "Sun, 99 Nov 1994 99:99:99 GMT",
            "\u{1F600}\u{1F600}\u{1F600}\u{1F600}\u{1F600}\u{1F600}\u{1F600}",
        ];
        for s in samples {
            let _ = parse(s, NOW);
            let _ = parse(s, u64::MAX);
            let _ = parse(s, 0);
        }
        assert_eq!(
            parse("Sun, 06 Nov 1994 08:49:37 GMT", u64::MAX),
            Some(SUN_06_NOV_1994)
        );
    }
}
