//! The SQL the Cloudflare D1 backend (`D1Backend`, wasm32) sends, and the
//! plans it follows, as pure functions: table-name checks, statement text,
//! chunking of keys under D1's bound-parameter limit, size checks. Nothing
//! here talks to a database, so all of it is tested natively.
//!
//! ## Schema
//!
//! ```sql
//! CREATE TABLE IF NOT EXISTS "edgecache" (
//!   "namespace"  TEXT    NOT NULL,  -- '' without a namespace
//!   "key"        TEXT    NOT NULL,
//!   "value"      BLOB    NOT NULL,  -- a record: 11-byte header + the value
//!   "expires_at" INTEGER,           -- ms since the epoch; NULL = never
//!   PRIMARY KEY ("namespace", "key")
//! );
//! CREATE INDEX IF NOT EXISTS "edgecache_expires_at"
//!   ON "edgecache" ("expires_at") WHERE "expires_at" IS NOT NULL;
//! ```
//!
//! The namespace has its own column instead of the `"{len}:{ns}:{key}"`
//! encoding other backends use: a namespace is never empty, so `''` means
//! "none" and the pair `(namespace, key)` is injective as it stands, and
//! `clear_all` is an indexed equality instead of a prefix scan.
//!
//! The value column holds a [`record`](crate::record) (the header carries
//! the exact expiry, checked on every read with the backend's clock). The
//! `expires_at` column repeats the expiry so the partial index can find
//! expired rows for [`Statements::purge`] without reading any value.
//!
//! ## Limits (D1's, checked before any call)
//!
//! | limit | constant |
//! |---|---|
//! | bound parameters per statement | [`MAX_BOUND_PARAMETERS`] (100): keys go [`KEYS_PER_STATEMENT`] (99) to a statement, with the namespace |
//! | SQL text per statement | [`MAX_STATEMENT_BYTES`] (100,000): every statement here is under 1 KB |
//! | string, BLOB or row | [`MAX_ROW_BYTES`] (2,000,000): see [`row_bytes`] |

use std::collections::HashSet;

use crate::{Error, Result};

/// D1's limit on bound parameters (`?`) in one statement.
pub const MAX_BOUND_PARAMETERS: usize = 100;

/// Keys bound in one `SELECT`/`DELETE ... IN (...)`: every parameter but the
/// namespace's.
pub const KEYS_PER_STATEMENT: usize = MAX_BOUND_PARAMETERS - 1;

/// D1's limit on the SQL text of one statement, in bytes.
pub const MAX_STATEMENT_BYTES: usize = 100_000;

/// D1's limit on a string, a BLOB or a whole row, in bytes.
pub const MAX_ROW_BYTES: usize = 2_000_000;

/// The table used unless another is configured.
pub const DEFAULT_TABLE: &str = "edgecache";

/// The longest table name accepted, in bytes (ASCII).
pub const MAX_TABLE_NAME_BYTES: usize = 64;

/// Rows one `clear_all` statement deletes at most; it repeats until a
/// statement deletes fewer.
pub const CLEAR_CHUNK_ROWS: u32 = 1_000;

/// The largest `limit` a purge statement takes.
pub const MAX_PURGE_ROWS: u32 = 10_000;

/// Checks a table name: 1 to [`MAX_TABLE_NAME_BYTES`] ASCII letters, digits
/// and underscores, not starting with a digit, and not in the prefixes
/// SQLite (`sqlite_`) and D1 (`_cf_`) reserve (case-insensitive). Names are
/// still quoted in every statement, so SQL keywords (`order`) are fine.
///
/// ```
/// use edgecache::backends::d1::sql::check_table_name;
/// assert!(check_table_name("edgecache_v2").is_ok());
/// for bad in ["", "1st", "a-b", "a b", "x\"; DROP TABLE t; --", "sqlite_master", "_cf_KV"] {
///     assert_eq!(check_table_name(bad).unwrap_err().code(), "EDGECACHE_INVALID_OPTIONS");
/// }
/// ```
pub fn check_table_name(name: &str) -> Result<()> {
    let refuse = |why: &str| {
        Err(Error::InvalidOptions(format!(
            "table name {:?} {why}: use 1-{MAX_TABLE_NAME_BYTES} ASCII letters, digits and \
             underscores, not starting with a digit",
            name.chars().take(80).collect::<String>()
        )))
    };
    let Some(first) = name.chars().next() else {
        return refuse("is empty");
    };
    if name.len() > MAX_TABLE_NAME_BYTES {
        return refuse("is too long");
    }
    if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return refuse("has characters other than letters, digits and underscores");
    }
    if first.is_ascii_digit() {
        return refuse("starts with a digit");
    }
    let lower = name.to_ascii_lowercase();
    if lower.starts_with("sqlite_") || lower.starts_with("_cf_") {
        return refuse("uses a prefix reserved by SQLite (sqlite_) or D1 (_cf_)");
    }
    Ok(())
}

/// The value bound to the `namespace` column: the namespace, or `""` for
/// none (namespaces are never empty, so the two cannot meet).
///
/// ```
/// assert_eq!(edgecache::backends::d1::sql::namespace_column(None), "");
/// assert_eq!(edgecache::backends::d1::sql::namespace_column(Some("a")), "a");
/// ```
pub fn namespace_column(namespace: Option<&str>) -> &str {
    namespace.unwrap_or("")
}

/// The bytes a row takes toward [`MAX_ROW_BYTES`]: namespace, key (UTF-8),
/// the record (header + value) and 8 for the expiry. This is a little more
/// than SQLite's own count, so a row it accepts is always under D1's limit.
///
/// ```
/// use edgecache::backends::d1::sql::row_bytes;
/// assert_eq!(row_bytes(Some("ns"), "key", 11 + 5), 2 + 3 + 16 + 8);
/// ```
pub fn row_bytes(namespace: Option<&str>, key: &str, record_len: usize) -> usize {
    namespace_column(namespace)
        .len()
        .saturating_add(key.len())
        .saturating_add(record_len)
        .saturating_add(8)
}

/// Checks a row against [`MAX_ROW_BYTES`]: [`Error::ValueTooLarge`] if D1
/// would refuse it.
///
/// ```
/// use edgecache::backends::d1::sql::{check_row, MAX_ROW_BYTES};
/// assert!(check_row(None, "k", MAX_ROW_BYTES - 9).is_ok());
/// assert_eq!(check_row(None, "k", MAX_ROW_BYTES - 8).unwrap_err().code(), "EDGECACHE_VALUE_TOO_LARGE");
/// ```
pub fn check_row(namespace: Option<&str>, key: &str, record_len: usize) -> Result<()> {
    let size = row_bytes(namespace, key, record_len);
    if size > MAX_ROW_BYTES {
        return Err(Error::ValueTooLarge {
            size: u64::try_from(size).unwrap_or(u64::MAX),
            limit: MAX_ROW_BYTES as u64,
        });
    }
    Ok(())
}

/// `keys` without repeats, in the order they first appear.
///
/// ```
/// assert_eq!(edgecache::backends::d1::sql::distinct(&["a", "b", "a", "c", "b"]), ["a", "b", "c"]);
/// ```
pub fn distinct<'a>(keys: &[&'a str]) -> Vec<&'a str> {
    let mut seen = HashSet::with_capacity(keys.len());
    keys.iter().copied().filter(|k| seen.insert(*k)).collect()
}

/// How many statements `keys` distinct keys take ([`KEYS_PER_STATEMENT`]
/// each), all sent in one `batch`.
///
/// ```
/// use edgecache::backends::d1::sql::statements_for;
/// assert_eq!([0, 1, 99, 100, 1_000].map(statements_for), [0, 1, 1, 2, 11]);
/// ```
pub fn statements_for(keys: usize) -> usize {
    keys.div_ceil(KEYS_PER_STATEMENT)
}

/// The statements of one table, whose name was checked when they were made.
///
/// Parameters are numbered (`?1`, `?2`, ...); every statement's text is
/// under 1 KB (tested), far below [`MAX_STATEMENT_BYTES`].
///
/// ```
/// use edgecache::backends::d1::sql::Statements;
/// let sql = Statements::new("cache")?;
/// assert_eq!(
///     sql.select(2),
///     r#"SELECT "key", "value" FROM "cache" WHERE "namespace" = ?1 AND "key" IN (?2, ?3)"#
/// );
/// # Ok::<(), edgecache::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Statements {
    table: String,
}

impl Statements {
    /// Statements over `table`, refused as [`check_table_name`] refuses it.
    ///
    /// ```
    /// assert!(edgecache::backends::d1::sql::Statements::new("a; DROP").is_err());
    /// ```
    pub fn new(table: &str) -> Result<Self> {
        check_table_name(table)?;
        Ok(Self {
            table: table.to_owned(),
        })
    }

    /// The table name.
    pub fn table(&self) -> &str {
        &self.table
    }

    /// `CREATE TABLE IF NOT EXISTS` (see the module docs for the schema).
    pub fn create_table(&self) -> String {
        format!(
            r#"CREATE TABLE IF NOT EXISTS "{t}" ("namespace" TEXT NOT NULL, "key" TEXT NOT NULL, "value" BLOB NOT NULL, "expires_at" INTEGER, PRIMARY KEY ("namespace", "key"))"#,
            t = self.table
        )
    }

    /// `CREATE INDEX IF NOT EXISTS` on `expires_at`, partial (rows that
    /// expire only), for [`purge`](Self::purge).
    pub fn create_index(&self) -> String {
        format!(
            r#"CREATE INDEX IF NOT EXISTS "{t}_expires_at" ON "{t}" ("expires_at") WHERE "expires_at" IS NOT NULL"#,
            t = self.table
        )
    }

    /// Writes one row: `?1` namespace, `?2` key, `?3` record, `?4` expiry
    /// (ms, or NULL). An existing row is updated in place.
    pub fn upsert(&self) -> String {
        format!(
            r#"INSERT INTO "{t}" ("namespace", "key", "value", "expires_at") VALUES (?1, ?2, ?3, ?4) ON CONFLICT ("namespace", "key") DO UPDATE SET "value" = excluded."value", "expires_at" = excluded."expires_at""#,
            t = self.table
        )
    }

    /// Reads `keys` rows (`?1` namespace, `?2..` the keys), answering
    /// `key, value` for those that exist. `keys` is clamped to
    /// `1..=`[`KEYS_PER_STATEMENT`].
    pub fn select(&self, keys: usize) -> String {
        format!(
            r#"SELECT "key", "value" FROM "{t}" WHERE "namespace" = ?1 AND "key" IN ({p})"#,
            t = self.table,
            p = placeholders(keys)
        )
    }

    /// Deletes `keys` rows (`?1` namespace, `?2..` the keys). `keys` is
    /// clamped to `1..=`[`KEYS_PER_STATEMENT`].
    pub fn delete(&self, keys: usize) -> String {
        format!(
            r#"DELETE FROM "{t}" WHERE "namespace" = ?1 AND "key" IN ({p})"#,
            t = self.table,
            p = placeholders(keys)
        )
    }

    /// Deletes at most `?2` rows of namespace `?1`. `clear_all` repeats it
    /// until it deletes fewer than asked.
    pub fn clear_chunk(&self) -> String {
        format!(
            r#"DELETE FROM "{t}" WHERE rowid IN (SELECT rowid FROM "{t}" WHERE "namespace" = ?1 LIMIT ?2)"#,
            t = self.table
        )
    }

    /// Deletes at most `?2` rows (any namespace) expired at `?1` (ms),
    /// found through the `expires_at` index: never an unbounded delete.
    pub fn purge(&self) -> String {
        format!(
            r#"DELETE FROM "{t}" WHERE rowid IN (SELECT rowid FROM "{t}" WHERE "expires_at" <= ?1 LIMIT ?2)"#,
            t = self.table
        )
    }

    /// Counts namespace `?1`'s rows live at `?2` (ms) and their bytes (key
    /// and value, without the record header), as `entries, bytes`.
    pub fn stats(&self) -> String {
        format!(
            r#"SELECT count(*) AS "entries", coalesce(sum(length(CAST("key" AS BLOB)) + length("value") - {h}), 0) AS "bytes" FROM "{t}" WHERE "namespace" = ?1 AND ("expires_at" IS NULL OR "expires_at" > ?2)"#,
            t = self.table,
            h = crate::record::HEADER_LEN
        )
    }

    /// Reads nothing from the table, but fails if it is missing.
    pub fn health(&self) -> String {
        format!(r#"SELECT 1 FROM "{t}" LIMIT 1"#, t = self.table)
    }
}

/// `?2, ?3, ...` for `keys` keys (clamped to `1..=KEYS_PER_STATEMENT`).
fn placeholders(keys: usize) -> String {
    let keys = keys.clamp(1, KEYS_PER_STATEMENT);
    let mut out = String::with_capacity(keys * 5);
    for i in 0..keys {
        if i > 0 {
            out.push_str(", ");
        }
        out.push('?');
        out.push_str(&(i + 2).to_string());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_names_are_checked_identifiers() {
        for good in ["a", "_", "edgecache", "Cache_2", "order", &"t".repeat(64)] {
            assert!(check_table_name(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "9a",
            "a-b",
            "a.b",
            "a b",
            "\"t\"",
            "t\"",
            "é",
            "t;",
            "SQLite_x",
            "sqlite_",
            "_CF_kv",
            "_cf_",
            &"t".repeat(65),
        ] {
            assert_eq!(
                check_table_name(bad).unwrap_err().code(),
                "EDGECACHE_INVALID_OPTIONS",
                "{bad:?}"
            );
        }
        // The error quotes a long name only in part.
        let err = check_table_name(&"é".repeat(10_000)).unwrap_err();
        assert!(err.to_string().len() < 400, "{err}");
    }

    #[test]
    fn statements_quote_the_table_and_stay_small() {
        let long = "t".repeat(MAX_TABLE_NAME_BYTES);
        let sql = Statements::new(&long).unwrap();
        let all = [
            sql.create_table(),
            sql.create_index(),
            sql.upsert(),
            sql.select(KEYS_PER_STATEMENT),
            sql.delete(KEYS_PER_STATEMENT),
            sql.clear_chunk(),
            sql.purge(),
            sql.stats(),
            sql.health(),
        ];
        for s in &all {
            assert!(s.len() < 1_000, "{} bytes: {s}", s.len());
            assert!(s.len() < MAX_STATEMENT_BYTES);
            assert!(s.contains(&format!("\"{long}\"")), "{s}");
        }
    }

    #[test]
    fn key_statements_bind_at_most_the_parameter_limit() {
        let sql = Statements::new("c").unwrap();
        let count = |s: &str| s.matches('?').count();
        assert_eq!(count(&sql.select(1)), 2);
        assert_eq!(count(&sql.select(KEYS_PER_STATEMENT)), MAX_BOUND_PARAMETERS);
        assert_eq!(count(&sql.select(10_000)), MAX_BOUND_PARAMETERS);
        assert_eq!(count(&sql.delete(0)), 2);
        assert!(sql.select(3).ends_with(r#""key" IN (?2, ?3, ?4)"#));
        assert!(sql.delete(2).ends_with(r#""key" IN (?2, ?3)"#));
        assert!(sql
            .select(KEYS_PER_STATEMENT)
            .ends_with(&format!("?{})", MAX_BOUND_PARAMETERS)));
    }

    #[test]
    fn purge_and_clear_are_bounded_by_a_limit_parameter() {
        let sql = Statements::new("c").unwrap();
        for s in [sql.purge(), sql.clear_chunk()] {
            assert!(
                s.starts_with(r#"DELETE FROM "c" WHERE rowid IN (SELECT rowid FROM "c" WHERE "#)
            );
            assert!(s.ends_with("LIMIT ?2)"), "{s}");
        }
        assert!(sql.purge().contains(r#""expires_at" <= ?1"#));
    }

    #[test]
    fn chunking_plans() {
        assert_eq!(statements_for(0), 0);
        assert_eq!(statements_for(KEYS_PER_STATEMENT), 1);
        assert_eq!(statements_for(KEYS_PER_STATEMENT + 1), 2);
        assert_eq!(statements_for(1_001), 11);
        let keys: Vec<String> = (0..250).map(|i| format!("k{}", i % 200)).collect();
        let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
        let d = distinct(&refs);
        assert_eq!(d.len(), 200);
        assert_eq!(d[0], "k0");
        assert_eq!(d[199], "k199");
        assert_eq!(
            d.chunks(KEYS_PER_STATEMENT).count(),
            statements_for(d.len())
        );
    }

    #[test]
    fn rows_are_measured_in_bytes() {
        assert_eq!(row_bytes(None, "é", 11), 2 + 11 + 8);
        assert!(check_row(Some("n"), "k", MAX_ROW_BYTES - 10).is_ok());
        match check_row(Some("n"), "k", MAX_ROW_BYTES - 9) {
            Err(Error::ValueTooLarge { size, limit }) => {
                assert_eq!(size, MAX_ROW_BYTES as u64 + 1);
                assert_eq!(limit, MAX_ROW_BYTES as u64);
            }
            other => panic!("{other:?}"),
        }
        assert!(check_row(None, "k", usize::MAX).is_err());
    }
}
