//! RFC conformance of `edgecache::http`: one table row per requirement, each
//! named after the behaviour and the RFC section it comes from
//! (`rfc9111_3_5_...` is RFC 9111 §3.5). Every row states an exact expected
//! outcome, so each one fails if the behaviour changes; a table reports all
//! of its failing rows at once.
#![cfg(not(target_arch = "wasm32"))]

mod age;
mod conditional;
mod date;
mod flows;
mod freshen;
mod freshness;
mod invalidation;
mod keys;
mod lookup;
mod storing;
mod tables;
mod validation;

use edgecache::http::{CacheOptions, Headers, Request, Response};

/// Tue, 14 Nov 2023 22:13:20 GMT.
const T0: u64 = 1_700_000_000_000;
const S: u64 = 1_000;
const URL: &str = "https://example.com/x";

fn hs(pairs: &[(&str, &str)]) -> Headers {
    pairs.iter().map(|&(k, v)| (k, v)).collect()
}

fn http_date(ms: u64) -> String {
    edgecache::http::date::format(ms)
}

fn get(headers: &[(&str, &str)]) -> Request {
    Request {
        method: "GET".into(),
        url: URL.into(),
        headers: hs(headers),
    }
}

fn res(status: u16, headers: &[(&str, &str)]) -> Response {
    Response {
        status,
        headers: hs(headers),
    }
}

fn shared() -> CacheOptions {
    CacheOptions::default()
}

fn private() -> CacheOptions {
    CacheOptions::default().shared(false)
}

/// Runs every row and fails once, listing all failing rows.
fn check_all<T>(rows: &[T], name: impl Fn(&T) -> &str, check: impl Fn(&T) -> Result<(), String>) {
    let failures: Vec<String> = rows
        .iter()
        .filter_map(|row| check(row).err().map(|e| format!("  {}: {e}", name(row))))
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} rows failed:\n{}",
        failures.len(),
        rows.len(),
        failures.join("\n")
    );
}

fn expect_eq<T: PartialEq + std::fmt::Debug>(got: T, want: T) -> Result<(), String> {
    if got == want {
        Ok(())
    } else {
        Err(format!("got {got:?}, want {want:?}"))
    }
}
