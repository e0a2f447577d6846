//! Range requests answered from a stored complete response (RFC 9110 §14,
//! §13.1.5 `If-Range`, §15.3.7 `206`, §15.5.17 `416`).
//!
//! The cache stores only complete responses (a `206` is never stored: RFC
//! 9111 §3.3 lets a cache that does not combine partial content simply not
//! store it), and slices what it holds: one range (`bytes=0-499`,
//! `bytes=500-`, `bytes=-500`) becomes a `206` with `Content-Range`, a range
//! that cannot be satisfied a `416`.
//!
//! **Decision:** a request for several ranges is forwarded to the origin
//! unchanged ([`RangeAnswer::Forward`]) instead of being answered with a
//! `multipart/byteranges` body of our own: such requests are rare (media
//! players and download managers ask for one range at a time), the origin
//! knows how it wants to coalesce them, and a server "MAY ignore the Range
//! header field" anyway (§14.2).
//!
//! ```
//! use edgecache::http::range::{evaluate_range, RangeAnswer};
//! use edgecache::http::Headers;
//!
//! let stored = Headers::new().with("ETag", "\"v1\"");
//! let request = Headers::new().with("Range", "bytes=-3");
//! assert_eq!(
//!     evaluate_range("GET", &request, 200, &stored, 10),
//!     RangeAnswer::Partial { first: 7, last: 9, complete_length: 10 },
//! );
//! ```

use super::date;
use super::etag::EntityTag;
use super::headers::Headers;

/// What to answer a request that may carry `Range`, given a stored complete
/// response of `complete_length` bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RangeAnswer {
    /// Serve the whole stored response: no `Range`, a `Range` that does not
    /// apply (not GET, not a `200`, another unit, invalid syntax), or an
    /// `If-Range` that does not match.
    Full,
    /// Serve bytes `first..=last` as a `206` with
    /// `Content-Range: bytes first-last/complete_length`.
    Partial {
        /// The first byte served.
        first: u64,
        /// The last byte served (inclusive, as in `Content-Range`).
        last: u64,
        /// The length of the whole stored content.
        complete_length: u64,
    },
    /// Answer `416` with `Content-Range: bytes */complete_length`.
    Unsatisfiable {
        /// The length of the whole stored content.
        complete_length: u64,
    },
    /// Several ranges: forward the request to the origin as it is.
    Forward,
}

impl RangeAnswer {
    /// The `Content-Range` field value for a `206` or a `416`; `None` for
    /// [`Full`](RangeAnswer::Full) and [`Forward`](RangeAnswer::Forward).
    ///
    /// ```
    /// use edgecache::http::range::RangeAnswer;
    /// let partial = RangeAnswer::Partial { first: 0, last: 4, complete_length: 10 };
    /// assert_eq!(partial.content_range().as_deref(), Some("bytes 0-4/10"));
    /// let unsatisfiable = RangeAnswer::Unsatisfiable { complete_length: 10 };
    /// assert_eq!(unsatisfiable.content_range().as_deref(), Some("bytes */10"));
    /// ```
    pub fn content_range(&self) -> Option<String> {
        match *self {
            RangeAnswer::Partial {
                first,
                last,
                complete_length,
            } => Some(format!("bytes {first}-{last}/{complete_length}")),
            RangeAnswer::Unsatisfiable { complete_length } => {
                Some(format!("bytes */{complete_length}"))
            }
            RangeAnswer::Full | RangeAnswer::Forward => None,
        }
    }
}

/// One `range-spec` of a `bytes` range set (RFC 9110 §14.1.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum RangeSpec {
    /// `first-last` or `first-` (`last` absent).
    From { first: u64, last: Option<u64> },
    /// `-suffix_length`: the last `suffix_length` bytes.
    Suffix(u64),
}

/// Parses a `Range` field value: `None` unless it is a syntactically valid
/// `bytes` range set (§14.1.1; the unit compares case-insensitively, §14.1).
/// Numbers too large for a `u64` make the whole value invalid.
fn parse_ranges(value: &str) -> Option<Vec<RangeSpec>> {
    let (unit, set) = value.trim().split_once('=')?;
    if !unit.trim_end().eq_ignore_ascii_case("bytes") {
        return None;
    }
    // ranges-specifier = range-unit "=" range-set; range-set = 1#range-spec.
    // List syntax (§5.6.1) allows empty elements, which recipients ignore.
    let specs: Vec<RangeSpec> = set
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(parse_spec)
        .collect::<Option<_>>()?;
    (!specs.is_empty()).then_some(specs)
}

fn parse_spec(spec: &str) -> Option<RangeSpec> {
    let (first, last) = spec.split_once('-')?;
    if first.is_empty() {
        return Some(RangeSpec::Suffix(digits(last)?));
    }
    let first = digits(first)?;
    let last = if last.is_empty() {
        None
    } else {
        Some(digits(last)?)
    };
    // "A range-spec is invalid if the last-pos value is present and less
    // than the first-pos" (§14.1.1).
    match last {
        Some(last) if last < first => None,
        _ => Some(RangeSpec::From { first, last }),
    }
}

/// `1*DIGIT` as a `u64`; `None` for anything else or an overflow.
fn digits(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Whether the `If-Range` condition holds for the stored response (§13.1.5):
/// an entity tag must match the stored `ETag` by strong comparison; a date
/// must equal the stored `Last-Modified` exactly, and that must be a strong
/// validator (at least one second before the stored `Date`, §8.8.2.2).
fn if_range_holds(value: &str, stored: &Headers) -> bool {
    let value = value.trim();
    if value.starts_with('"') || value.starts_with("W/") {
        // "the recipient MUST use the strong comparison function" — a weak
        // tag never matches.
        let (Some(tag), Some(etag)) = (
            EntityTag::parse(value),
            stored.get("etag").and_then(EntityTag::parse),
        ) else {
            return false;
        };
        return tag.strong_eq(&etag);
    }
    // "A recipient MUST NOT use an HTTP-date ... if [it] is not a strong
    // validator"; the reference year for two-digit dates is irrelevant to an
    // exact comparison, so the stored Date serves.
    let reference = stored
        .get("date")
        .and_then(|d| date::parse(d, 0))
        .unwrap_or(0);
    let (Some(since), Some(modified), Some(stored_date)) = (
        date::parse(value, reference),
        stored
            .get("last-modified")
            .and_then(|d| date::parse(d, reference)),
        stored.get("date").and_then(|d| date::parse(d, reference)),
    ) else {
        return false;
    };
    since == modified && stored_date >= modified.saturating_add(1_000)
}

/// The answer to `method` with `request` header fields from a stored
/// response with `status`, header fields `stored` and `complete_length`
/// bytes of content.
///
/// - "A server MUST ignore a Range header field received with a request
///   method that is unrecognized or for which range handling is not
///   defined. For this specification, GET is the only method for which range
///   handling is defined" (§14.2).
/// - Ranges apply to a `200`'s content; any other stored status is served
///   whole.
/// - An unknown unit or an invalid range set is ignored (§14.2: "An origin
///   server MUST ignore a Range header field that contains a range unit it
///   does not understand. A proxy MAY discard a Range header field that
///   contains a range unit it does not understand"; "A server that receives
///   a Range ... with an invalid ranges-specifier ... MAY ignore").
/// - `If-Range` that does not hold: "the recipient SHOULD ignore the Range
///   header field and send a 200 (OK) response containing the complete
///   representation" (§13.1.5).
/// - A single range that no byte satisfies is a `416` (§14.1.1: a range is
///   satisfiable if its first position is below the length, or it is a
///   suffix range with a non-zero length); a satisfiable one is clipped to
///   the content.
/// - Several ranges are forwarded (see the module's **Decision**).
///
/// ```
/// use edgecache::http::range::{evaluate_range, RangeAnswer};
/// use edgecache::http::Headers;
///
/// let none = Headers::new();
/// let ask = |range: &str| evaluate_range("GET", &Headers::new().with("Range", range), 200, &none, 100);
/// assert_eq!(ask("bytes=90-"), RangeAnswer::Partial { first: 90, last: 99, complete_length: 100 });
/// assert_eq!(ask("bytes=0-999"), RangeAnswer::Partial { first: 0, last: 99, complete_length: 100 });
/// assert_eq!(ask("bytes=100-"), RangeAnswer::Unsatisfiable { complete_length: 100 });
/// assert_eq!(ask("bytes=0-1,5-6"), RangeAnswer::Forward);
/// assert_eq!(ask("items=0-1"), RangeAnswer::Full);
/// ```
pub fn evaluate_range(
    method: &str,
    request: &Headers,
    status: u16,
    stored: &Headers,
    complete_length: u64,
) -> RangeAnswer {
    if method != "GET" || status != 200 {
        return RangeAnswer::Full;
    }
    // Two Range lines make an invalid value (it is not a list field).
    let mut lines = request.get_all("range");
    let (Some(value), None) = (lines.next(), lines.next()) else {
        return RangeAnswer::Full;
    };
    let Some(specs) = parse_ranges(value) else {
        return RangeAnswer::Full;
    };
    if let Some(condition) = request.combined("if-range") {
        if !if_range_holds(&condition, stored) {
            return RangeAnswer::Full;
        }
    }
    let [spec] = specs[..] else {
        return RangeAnswer::Forward;
    };
    let unsatisfiable = RangeAnswer::Unsatisfiable { complete_length };
    let Some(end) = complete_length.checked_sub(1) else {
        // Empty content: no range-spec is satisfiable.
        return unsatisfiable;
    };
    match spec {
        RangeSpec::From { first, .. } if first >= complete_length => unsatisfiable,
        RangeSpec::From { first, last } => RangeAnswer::Partial {
            first,
            last: last.map_or(end, |last| last.min(end)),
            complete_length,
        },
        RangeSpec::Suffix(0) => unsatisfiable,
        RangeSpec::Suffix(n) => RangeAnswer::Partial {
            first: complete_length.saturating_sub(n),
            last: end,
            complete_length,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LEN: u64 = 1_000;

    /// (method, stored status, request fields, answer)
    type Row = (
        &'static str,
        u16,
        &'static [(&'static str, &'static str)],
        RangeAnswer,
    );

    fn partial(first: u64, last: u64) -> RangeAnswer {
        RangeAnswer::Partial {
            first,
            last,
            complete_length: LEN,
        }
    }

    #[test]
    fn rfc9110_14_range_table() {
        use RangeAnswer::{Forward, Full};
        let unsatisfiable = RangeAnswer::Unsatisfiable {
            complete_length: LEN,
        };
        let stored = Headers::new()
            .with("ETag", "\"strong\"")
            .with("Date", "Sun, 06 Nov 1994 08:49:40 GMT")
            .with("Last-Modified", "Sun, 06 Nov 1994 08:49:37 GMT");
        let rows: &[Row] = &[
            ("GET", 200, &[], Full),
            ("GET", 200, &[("Range", "bytes=0-499")], partial(0, 499)),
            ("GET", 200, &[("Range", "bytes=500-999")], partial(500, 999)),
            ("GET", 200, &[("Range", "bytes=500-")], partial(500, 999)),
            ("GET", 200, &[("Range", "bytes=-200")], partial(800, 999)),
            ("GET", 200, &[("Range", "bytes=-5000")], partial(0, 999)),
            (
                "GET",
                200,
                &[("Range", "bytes=900-5000")],
                partial(900, 999),
            ),
            ("GET", 200, &[("Range", "bytes=999-999")], partial(999, 999)),
            ("GET", 200, &[("Range", "BYTES = 1-2")], partial(1, 2)),
            ("GET", 200, &[("Range", "bytes=1-2,")], partial(1, 2)),
            ("GET", 200, &[("Range", "bytes=1000-")], unsatisfiable),
            ("GET", 200, &[("Range", "bytes=1000-2000")], unsatisfiable),
            ("GET", 200, &[("Range", "bytes=-0")], unsatisfiable),
            ("GET", 200, &[("Range", "bytes=0-1,3-4")], Forward),
            ("GET", 200, &[("Range", "bytes=-1,0-0")], Forward),
            // Invalid or foreign: ignored.
            ("GET", 200, &[("Range", "bytes=5-1")], Full),
            ("GET", 200, &[("Range", "bytes=a-b")], Full),
            ("GET", 200, &[("Range", "bytes=1-2-3")], Full),
            ("GET", 200, &[("Range", "bytes=-")], Full),
            ("GET", 200, &[("Range", "bytes=")], Full),
            ("GET", 200, &[("Range", "bytes 0-1")], Full),
            ("GET", 200, &[("Range", "items=0-1")], Full),
            ("GET", 200, &[("Range", "bytes=+1-2")], Full),
            (
                "GET",
                200,
                &[("Range", "bytes=99999999999999999999-")],
                Full,
            ),
            (
                "GET",
                200,
                &[("Range", "bytes=0-1"), ("Range", "bytes=2-3")],
                Full,
            ),
            // Only GET, only a 200.
            ("HEAD", 200, &[("Range", "bytes=0-1")], Full),
            ("POST", 200, &[("Range", "bytes=0-1")], Full),
            ("GET", 404, &[("Range", "bytes=0-1")], Full),
            ("GET", 203, &[("Range", "bytes=0-1")], Full),
            // If-Range (§13.1.5).
            (
                "GET",
                200,
                &[("Range", "bytes=0-1"), ("If-Range", "\"strong\"")],
                partial(0, 1),
            ),
            (
                "GET",
                200,
                &[("Range", "bytes=0-1"), ("If-Range", "\"other\"")],
                Full,
            ),
            (
                "GET",
                200,
                &[("Range", "bytes=0-1"), ("If-Range", "W/\"strong\"")],
                Full,
            ),
            (
                "GET",
                200,
                &[
                    ("Range", "bytes=0-1"),
                    ("If-Range", "Sun, 06 Nov 1994 08:49:37 GMT"),
                ],
                partial(0, 1),
            ),
            (
                "GET",
                200,
                &[
                    ("Range", "bytes=0-1"),
                    ("If-Range", "Sun, 06 Nov 1994 08:49:38 GMT"),
                ],
                Full,
            ),
            (
                "GET",
                200,
                &[("Range", "bytes=0-1"), ("If-Range", "garbage")],
                Full,
            ),
            // If-Range without Range changes nothing.
            ("GET", 200, &[("If-Range", "\"other\"")], Full),
        ];
        for (method, status, fields, want) in rows {
            let request: Headers = fields.iter().copied().collect();
            let got = evaluate_range(method, &request, *status, &stored, LEN);
            assert_eq!(got, *want, "{method} {status} {fields:?}");
        }
    }

    #[test]
    fn if_range_date_needs_a_strong_last_modified() {
        // Last-Modified equal to Date is weak (§8.8.2.2): the range is ignored.
        let stored = Headers::new()
            .with("Date", "Sun, 06 Nov 1994 08:49:37 GMT")
            .with("Last-Modified", "Sun, 06 Nov 1994 08:49:37 GMT");
        let request = Headers::new()
            .with("Range", "bytes=0-1")
            .with("If-Range", "Sun, 06 Nov 1994 08:49:37 GMT");
        assert_eq!(
            evaluate_range("GET", &request, 200, &stored, LEN),
            RangeAnswer::Full
        );
    }

    #[test]
    fn empty_content_satisfies_no_range() {
        let request = Headers::new().with("Range", "bytes=0-");
        assert_eq!(
            evaluate_range("GET", &request, 200, &Headers::new(), 0),
            RangeAnswer::Unsatisfiable { complete_length: 0 }
        );
        let request = Headers::new().with("Range", "bytes=-10");
        assert_eq!(
            evaluate_range("GET", &request, 200, &Headers::new(), 0),
            RangeAnswer::Unsatisfiable { complete_length: 0 }
        );
    }

    #[test]
    fn content_range_values() {
        assert_eq!(
            partial(0, 0).content_range().as_deref(),
            Some("bytes 0-0/1000")
        );
        assert_eq!(RangeAnswer::Full.content_range(), None);
        assert_eq!(RangeAnswer::Forward.content_range(), None);
    }
}
