//! The numbers and codes the npm package's JavaScript shares with Rust,
//! rendered as an ES module and its TypeScript declarations. Rust owns them:
//! `scripts/build.sh` writes `pkg/constants.js` and `pkg/constants.d.ts` from
//! [`javascript`] and [`typescript`] (through `cargo run --example
//! js-constants`), so a limit or an error code is spelt in one place.

use crate::key;
use crate::policy::ENTRY_OVERHEAD_BYTES;
use crate::Error;

/// `MemoryCore.set` packs the number of entries it removed above the slot
/// (bits 32 and up of a JavaScript number, which is exact to 2^53). Counts at
/// or over this saturate and are read with `removedCount()`. The packing
/// could carry counts up to 2^21 - 1; saturating lower costs one more call
/// on a write that removes 65,535 entries or more, and lets a test reach
/// that path without filling a cache with two million entries.
pub const REMOVED_SATURATED: u32 = (1 << 16) - 1;

/// The limits JavaScript checks before calling into wasm (so that, say, a
/// stream is not piped into a put that Rust would refuse), by their
/// JavaScript name, with a comment naming the Rust constant.
fn limits() -> Vec<(&'static str, u64, &'static str)> {
    #[allow(unused_mut)]
    let mut limits = vec![
        (
            "MAX_KEY_BYTES",
            key::MAX_KEY_BYTES as u64,
            "key::MAX_KEY_BYTES: the longest key, in UTF-8 bytes",
        ),
        (
            "MAX_NAMESPACE_BYTES",
            key::MAX_NAMESPACE_BYTES as u64,
            "key::MAX_NAMESPACE_BYTES: the longest namespace, in UTF-8 bytes",
        ),
        (
            "MAX_TTL_MS",
            key::MAX_TTL.as_millis() as u64,
            "key::MAX_TTL: the longest TTL (100 years), in ms",
        ),
        (
            "ENTRY_OVERHEAD_BYTES",
            ENTRY_OVERHEAD_BYTES,
            "policy::ENTRY_OVERHEAD_BYTES: what a memory entry costs beyond its key and value",
        ),
        (
            "REMOVED_SATURATED",
            u64::from(REMOVED_SATURATED),
            "js_constants::REMOVED_SATURATED: MemoryCore.set's saturated removal count",
        ),
    ];
    #[cfg(feature = "r2")]
    limits.extend([
        (
            "R2_MAX_KEY_BYTES",
            crate::backends::r2::layout::MAX_KEY_BYTES as u64,
            "backends::r2::layout::MAX_KEY_BYTES: R2's object key limit",
        ),
        (
            "R2_MAX_VALUE_BYTES",
            crate::backends::r2::layout::MAX_VALUE_BYTES,
            "backends::r2::layout::MAX_VALUE_BYTES: R2's single-put limit",
        ),
    ]);
    limits
}

const HEADER: &str = "// Generated from the Rust crate by scripts/js_constants.rs: do not edit.\n";

/// The ES module: `ErrorCode` (frozen) and one `export const` per limit.
///
/// ```
/// let js = edgecache::js_constants::javascript();
/// assert!(js.contains(r#"INVALID_KEY: "EDGECACHE_INVALID_KEY","#));
/// assert!(js.contains("export const MAX_KEY_BYTES = 16384;"));
/// ```
pub fn javascript() -> String {
    let mut out = String::from(HEADER);
    out.push_str("\n/** Stable error codes; `error.code` is always one of these. */\n");
    out.push_str("export const ErrorCode = Object.freeze({\n");
    for (name, code) in Error::CODES {
        out.push_str(&format!("  {name}: \"{code}\",\n"));
    }
    out.push_str("});\n");
    for (name, value, doc) in limits() {
        out.push_str(&format!(
            "\n// Rust's {doc}.\nexport const {name} = {value};\n"
        ));
    }
    out
}

/// The declarations of [`javascript`]'s module: `EdgeCacheErrorCode` (the
/// union of the codes), `ErrorCode` and the limits.
///
/// ```
/// let dts = edgecache::js_constants::typescript();
/// assert!(dts.contains(r#"| "EDGECACHE_AUTH""#));
/// ```
pub fn typescript() -> String {
    let mut out = String::from(HEADER);
    out.push_str("\n/** The codes every edgecache `Error` carries in `code`. */\n");
    out.push_str("export type EdgeCacheErrorCode =");
    for (_, code) in Error::CODES {
        out.push_str(&format!("\n  | \"{code}\""));
    }
    out.push_str(";\n\n/** The error codes by name: `ErrorCode.INVALID_KEY === \"EDGECACHE_INVALID_KEY\"`. */\n");
    out.push_str("export declare const ErrorCode: {\n");
    for (name, code) in Error::CODES {
        out.push_str(&format!("  readonly {name}: \"{code}\";\n"));
    }
    out.push_str("};\n");
    for (name, value, doc) in limits() {
        out.push_str(&format!(
            "\n/** Rust's {doc}. */\nexport declare const {name}: {value};\n"
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_and_limit_is_rendered_in_both_files() {
        let (js, dts) = (javascript(), typescript());
        for (name, code) in Error::CODES {
            assert!(js.contains(&format!("  {name}: \"{code}\",")));
            assert!(dts.contains(&format!("  readonly {name}: \"{code}\";")));
        }
        for (name, value, _) in limits() {
            assert!(js.contains(&format!("export const {name} = {value};")));
            assert!(dts.contains(&format!("export declare const {name}: {value};")));
        }
    }
}
