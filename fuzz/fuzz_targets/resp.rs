//! The RESP reply parser (`src/backends/redis/resp.rs`): arbitrary bytes from a
//! server (broken, hostile, or not Redis) never panic, and decoding them in
//! arbitrary chunks (as they arrive from a socket) gives exactly the values,
//! and the error, that parsing them at once gives. Every proper prefix of a
//! complete value is "need more bytes", never an error or another value.
#![no_main]

use edgecache::redis::resp::{parse, Decoder, Value};
use libfuzzer_sys::fuzz_target;

/// Values parsed one after another, then what stopped the parse: `None` if
/// the rest is incomplete, or the error.
type Outcome = (Vec<Value>, Option<String>);

fn at_once(input: &[u8]) -> (Outcome, Vec<usize>) {
    let mut values = Vec::new();
    let mut ends = Vec::new();
    let mut pos = 0;
    loop {
        match parse(&input[pos..]) {
            Ok(Some((value, used))) => {
                assert!(used > 0 && used <= input.len() - pos, "used {used}");
                values.push(value);
                pos += used;
                ends.push(pos);
            }
            Ok(None) => return ((values, None), ends),
            Err(e) => return ((values, Some(e.to_string())), ends),
        }
    }
}

fn in_chunks(input: &[u8], seed: u8) -> Outcome {
    let mut decoder = Decoder::new();
    let mut values = Vec::new();
    let mut rest = input;
    // Chunk sizes from a small xorshift sequence: 1 byte up to 64 KiB.
    let mut state = u32::from(seed) | 0x9E37_7900;
    while !rest.is_empty() {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        let size = match state % 4 {
            0 => 1,
            1 => (state >> 8) as usize % 8 + 1,
            2 => (state >> 8) as usize % 200 + 1,
            _ => (state >> 8) as usize % 65_536 + 1,
        }
        .min(rest.len());
        let (chunk, tail) = rest.split_at(size);
        decoder.feed(chunk);
        rest = tail;
        loop {
            match decoder.decode() {
                Ok(Some(value)) => values.push(value),
                Ok(None) => break,
                Err(e) => return (values, Some(e.to_string())),
            }
        }
    }
    (values, None)
}

fuzz_target!(|data: &[u8]| {
    let Some((&seed, input)) = data.split_first() else {
        return;
    };
    let (once, ends) = at_once(input);
    let chunked = in_chunks(input, seed);
    assert_eq!(chunked, once, "chunked decoding disagrees with parsing at once");

    // Prefixes of each complete value need more bytes (small inputs only:
    // this is quadratic).
    if input.len() <= 512 {
        let mut start = 0;
        for end in ends {
            for cut in start..end {
                assert!(
                    matches!(parse(&input[start..cut]), Ok(None)),
                    "a proper prefix of a value parsed as something else"
                );
            }
            start = end;
        }
    }
});
