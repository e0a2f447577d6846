//! The memcached meta-protocol reply parser
//! (`src/backends/memcached/meta.rs`): arbitrary bytes from a server
//! (broken, hostile, or not memcached) never panic, and decoding them in
//! arbitrary chunks (as they arrive from a socket) gives exactly the
//! replies, and the error, that decoding them at once gives. Every proper
//! prefix of a complete reply is "need more bytes", never an error or
//! another reply; a small value limit is honoured.
#![no_main]

use edgecache::memcached::meta::{Decoder, Reply, Status};
use libfuzzer_sys::fuzz_target;

/// Replies decoded one after another, then what stopped decoding: `None` if
/// the rest is incomplete, or the error.
type Outcome = (Vec<Reply>, Option<String>);

/// The largest value the fuzzed decoders accept.
const MAX_VALUE: usize = 4096;

fn decoder() -> Decoder {
    Decoder::with_max_value(MAX_VALUE)
}

fn at_once(input: &[u8]) -> (Outcome, Vec<usize>) {
    let mut d = decoder();
    d.feed(input);
    let mut replies = Vec::new();
    let mut ends = Vec::new();
    loop {
        match d.decode() {
            Ok(Some(reply)) => {
                if let Status::Value(v) = &reply.status {
                    assert!(v.len() <= MAX_VALUE, "a value over the limit");
                }
                replies.push(reply);
                ends.push(input.len() - d.buffered());
            }
            Ok(None) => return ((replies, None), ends),
            Err(e) => return ((replies, Some(e.to_string())), ends),
        }
    }
}

fn in_chunks(input: &[u8], seed: u8) -> Outcome {
    let mut d = decoder();
    let mut replies = Vec::new();
    let mut rest = input;
    // Chunk sizes from a small xorshift sequence: 1 byte up to 16 KiB.
    let mut state = u32::from(seed) | 0x9E37_7900;
    while !rest.is_empty() {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        let size = match state % 4 {
            0 => 1,
            1 => (state >> 8) as usize % 8 + 1,
            2 => (state >> 8) as usize % 200 + 1,
            _ => (state >> 8) as usize % 16_384 + 1,
        }
        .min(rest.len());
        let (chunk, tail) = rest.split_at(size);
        d.feed(chunk);
        rest = tail;
        loop {
            match d.decode() {
                Ok(Some(reply)) => replies.push(reply),
                Ok(None) => break,
                Err(e) => return (replies, Some(e.to_string())),
            }
        }
    }
    (replies, None)
}

fuzz_target!(|data: &[u8]| {
    let Some((&seed, input)) = data.split_first() else {
        return;
    };
    let (once, ends) = at_once(input);
    let chunked = in_chunks(input, seed);
    assert_eq!(chunked, once, "chunked decoding disagrees with decoding at once");

    // Prefixes of each complete reply need more bytes (small inputs only:
    // this is quadratic).
    if input.len() <= 512 {
        let mut start = 0;
        for end in ends {
            for cut in start..end {
                let mut d = decoder();
                d.feed(&input[start..cut]);
                assert!(
                    matches!(d.decode(), Ok(None)),
                    "a proper prefix of a reply decoded as something else"
                );
            }
            start = end;
        }
    }
});
