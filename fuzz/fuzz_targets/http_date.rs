//! HTTP-dates (`src/http/date.rs`): parsing any text never panics, whatever
//! the reference time; a parsed date is whole seconds and survives a
//! format/parse roundtrip; every instant formats into an IMF-fixdate that
//! parses back to the same second.
#![no_main]

use arbitrary::Arbitrary;
use edgecache::http::date::{self, MAX_FORMATTABLE_MS};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Input<'a> {
    text: &'a str,
    reference: u64,
    instant: u64,
}

fuzz_target!(|input: Input<'_>| {
    for reference in [input.reference, 0, u64::MAX, edgecache_fuzz::T0] {
        if let Some(ms) = date::parse(input.text, reference) {
            assert_eq!(
                ms % 1000,
                0,
                "{:?} parsed to a fraction of a second",
                input.text
            );
            if ms <= MAX_FORMATTABLE_MS {
                let formatted = date::format(ms);
                assert_eq!(formatted.len(), 29, "{formatted}");
                assert_eq!(date::parse(&formatted, reference), Some(ms), "{formatted}");
            }
        }
    }

    let formatted = date::format(input.instant);
    assert_eq!(formatted.len(), 29, "{formatted}");
    let whole = input.instant.min(MAX_FORMATTABLE_MS) / 1000 * 1000;
    assert_eq!(
        date::parse(&formatted, input.reference),
        Some(whole),
        "{formatted}"
    );
});
