//! The persistent-record codec (`src/record.rs`): decoding arbitrary bytes
//! (anything KV or IndexedDB hands back) never panics, every record that
//! decodes is exactly what `encode` writes (no second spelling of the same
//! record), and `encode` then `decode` gives back what was encoded.
#![no_main]

use edgecache::record::{self, Record, HEADER_LEN};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // 1. Untrusted bytes: never a panic; a success is canonical.
    if let Ok(rec) = record::decode(data) {
        assert_eq!(
            record::encode(rec.expires_at, rec.value),
            data,
            "a decodable record must be byte-for-byte what encode writes"
        );
        assert_eq!(rec.value.len(), data.len() - HEADER_LEN);
        // The helpers never panic and agree with each other.
        for now in [0, u64::MAX, rec.expires_at.unwrap_or(0)] {
            let expired = rec.is_expired(now);
            assert_eq!(
                expired,
                rec.remaining_ms(now) == Some(0) && rec.expires_at.is_some()
            );
        }
    }

    // 2. Roundtrip: the first byte chooses an expiry or none, the next eight
    //    give it, the rest is the value.
    let (expires_at, value) = match data.split_first() {
        Some((&flag, rest)) if flag & 1 == 1 && rest.len() >= 8 => {
            let (at, value) = rest.split_at(8);
            let mut buf = [0u8; 8];
            buf.copy_from_slice(at);
            (Some(u64::from_le_bytes(buf)), value)
        }
        Some((_, rest)) => (None, rest),
        None => (None, data),
    };
    let bytes = record::encode(expires_at, value);
    assert_eq!(record::decode(&bytes), Ok(Record { expires_at, value }));
});
