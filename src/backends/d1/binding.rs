//! The JavaScript half of a [`D1Backend`](super::D1Backend): the database
//! binding, kept in the per-thread table of `crate::wasm::registry`; safe wrappers
//! around `prepare`/`bind`/`all`/`run`/`batch` that turn throws, rejections
//! and answers of the wrong shape into crate errors; and the per-binding
//! memo of tables already created.

use js_sys::{Array, Object, Reflect, Uint8Array, WeakMap};
use wasm_bindgen::{JsCast, JsValue};

use super::sys;
use crate::wasm::call::{bytes_of, Call};
use crate::wasm::error::{describe, thrown, unexpected};
use crate::wasm::registry::Registered;
use crate::{Error, Result};

thread_local! {
    /// binding object → JS `Set` of the table names created through it in
    /// this isolate. Weak: a binding that goes away takes its entry along.
    static CREATED: WeakMap = WeakMap::new();
}

/// The methods a binding must have.
const METHODS: [&str; 2] = ["prepare", "batch"];

/// Checks that `value` is an object with callable `prepare` and `batch`.
pub(super) fn check(value: JsValue) -> Result<sys::D1Database> {
    if !value.is_object() && !value.is_function() {
        return Err(Error::InvalidOptions(format!(
            "the D1 binding must be a D1 database (env.DB: an object with prepare and batch \
             methods), got {}",
            describe(&value)
        )));
    }
    for method in METHODS {
        let callable = Reflect::get(&value, &JsValue::from_str(method))
            .map(|f| f.is_function())
            .unwrap_or(false);
        if !callable {
            return Err(Error::InvalidOptions(format!(
                "the D1 binding has no callable `{method}` method: pass a D1 database \
                 binding (env.DB), or any object with prepare and batch"
            )));
        }
    }
    Ok(value.unchecked_into())
}

/// Keeps `binding` in this thread's table, until the handle returned is
/// dropped.
pub(super) fn register(binding: sys::D1Database) -> Result<Registered> {
    Registered::new(binding.into(), "the D1 binding")
}

/// The binding kept under `registered`, on this thread.
pub(super) fn lookup(registered: &Registered) -> Result<Binding> {
    Ok(Binding(registered.get()?.unchecked_into()))
}

/// A value bound to a `?N` parameter.
pub(super) enum Param<'a> {
    /// A TEXT value.
    Text(&'a str),
    /// A BLOB, passed as a fresh `ArrayBuffer` of its exact length.
    Blob(&'a [u8]),
    /// An INTEGER (at most 2^53 - 1, so exact as a JavaScript number).
    Int(u64),
    /// NULL.
    Null,
}

/// The largest integer a JavaScript number holds exactly.
const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

impl Param<'_> {
    fn to_js(&self) -> JsValue {
        match self {
            Param::Text(s) => JsValue::from_str(s),
            Param::Blob(bytes) => Uint8Array::new_from_slice(bytes).buffer().into(),
            // Clamped: only the expiry column (whose copy in the record is
            // the authority) and limits are integers, all far below 2^53.
            Param::Int(n) => JsValue::from_f64((*n).min(MAX_SAFE_INTEGER) as f64),
            Param::Null => JsValue::NULL,
        }
    }
}

/// A prepared statement with its parameters bound, and what it is for
/// (for error messages).
pub(super) struct Statement {
    stmt: sys::D1PreparedStatement,
    doing: String,
}

/// What a statement answered: its rows (objects by column name) and, for a
/// write, how many rows it changed.
pub(super) struct Outcome {
    doing: String,
    rows: Array,
    changes: Option<f64>,
}

/// A binding, borrowed from the table for the length of one operation.
#[derive(Clone)]
pub(super) struct Binding(sys::D1Database);

impl Binding {
    /// `prepare(sql).bind(...params)`. Both are synchronous; a throw (D1
    /// refuses `undefined`, say) is an [`Error::Backend`].
    pub(super) fn statement(
        &self,
        sql: &str,
        params: &[Param<'_>],
        doing: impl FnOnce() -> String,
    ) -> Result<Statement> {
        let doing = doing();
        let prepared = self.0.prepare(sql).map_err(|e| thrown(&doing, &e))?;
        if !prepared.is_object() {
            return Err(unexpected(
                &doing,
                "prepare() to return a statement",
                &prepared,
            ));
        }
        let values: Array = params.iter().map(Param::to_js).collect();
        let bound = prepared
            .unchecked_ref::<sys::D1PreparedStatement>()
            .bind(&values)
            .map_err(|e| thrown(&doing, &e))?;
        if !bound.is_object() {
            return Err(unexpected(&doing, "bind() to return a statement", &bound));
        }
        Ok(Statement {
            stmt: bound.unchecked_into(),
            doing,
        })
    }

    /// Runs `statements` as one `batch` (one round trip, one transaction),
    /// or a lone statement with `all()`. One outcome per statement, in order.
    pub(super) async fn execute(&self, statements: Vec<Statement>) -> Result<Vec<Outcome>> {
        match <[Statement; 1]>::try_from(statements) {
            Ok([one]) => Ok(vec![one.all().await?]),
            Err(statements) => self.batch(statements).await,
        }
    }

    /// `batch(statements)`: one call, all or nothing.
    pub(super) async fn batch(&self, statements: Vec<Statement>) -> Result<Vec<Outcome>> {
        if statements.is_empty() {
            return Ok(Vec::new());
        }
        let doing = match statements.first() {
            Some(first) if statements.len() == 1 => first.doing.clone(),
            Some(first) => format!(
                "D1 batch of {} statements ({}, ...)",
                statements.len(),
                first.doing
            ),
            None => "D1 batch".into(),
        };
        let array: Array = statements.iter().map(|s| JsValue::from(&s.stmt)).collect();
        let value = Call::new(self.0.batch(&array), || doing.clone())
            .value()
            .await?;
        if !Array::is_array(&value) {
            return Err(unexpected(&doing, "an array of results", &value));
        }
        let results: Array = value.unchecked_into();
        let len = array_length(&results, &doing)?;
        if len != statements.len() {
            return Err(Error::Backend(format!(
                "{doing}: expected {} results, got {len}",
                statements.len()
            )));
        }
        let mut outcomes = Vec::with_capacity(len);
        for (i, statement) in statements.into_iter().enumerate() {
            let index = u32::try_from(i).unwrap_or(u32::MAX);
            let result = Reflect::get_u32(&results, index).map_err(|e| thrown(&doing, &e))?;
            outcomes.push(outcome(statement.doing, &result)?);
        }
        Ok(outcomes)
    }
}

impl Statement {
    /// `all()`: the rows (and `meta.changes` if present).
    pub(super) async fn all(self) -> Result<Outcome> {
        let value = Call::new(self.stmt.all(), || self.doing.clone())
            .value()
            .await?;
        outcome(self.doing, &value)
    }

    /// `run()`: for writes; `meta.changes` if present.
    pub(super) async fn run(self) -> Result<Outcome> {
        let value = Call::new(self.stmt.run(), || self.doing.clone())
            .value()
            .await?;
        outcome(self.doing, &value)
    }
}

impl Outcome {
    /// Rows changed by a write (`meta.changes`): an error if the answer did
    /// not say, or said something that is no row count.
    pub(super) fn changes(&self) -> Result<u64> {
        match self.changes {
            Some(n) if n.is_finite() && n >= 0.0 && n.fract() == 0.0 && n <= 9.0e15 => Ok(n as u64),
            Some(n) => Err(Error::Backend(format!(
                "{}: expected meta.changes to be a row count, got {n}",
                self.doing
            ))),
            None => Err(Error::Backend(format!(
                "{}: the result has no meta.changes",
                self.doing
            ))),
        }
    }

    /// The rows, each read with `read`.
    pub(super) fn rows<T>(&self, mut read: impl FnMut(&Row<'_>) -> Result<T>) -> Result<Vec<T>> {
        let len = array_length(&self.rows, &self.doing)?;
        let mut out = Vec::with_capacity(len.min(1_024));
        for i in 0..len {
            let index = u32::try_from(i).unwrap_or(u32::MAX);
            let value = Reflect::get_u32(&self.rows, index).map_err(|e| thrown(&self.doing, &e))?;
            if !value.is_object() {
                return Err(unexpected(&self.doing, "every row to be an object", &value));
            }
            out.push(read(&Row {
                doing: &self.doing,
                value,
            })?);
        }
        Ok(out)
    }
}

/// One result row: an object by column name.
pub(super) struct Row<'a> {
    doing: &'a str,
    value: JsValue,
}

impl Row<'_> {
    fn column(&self, name: &str) -> Result<JsValue> {
        Reflect::get(&self.value, &JsValue::from_str(name)).map_err(|e| thrown(self.doing, &e))
    }

    /// A TEXT column.
    pub(super) fn text(&self, name: &str) -> Result<String> {
        let value = self.column(name)?;
        value
            .as_string()
            .ok_or_else(|| unexpected(self.doing, &format!("column {name} to be text"), &value))
    }

    /// A numeric column.
    pub(super) fn number(&self, name: &str) -> Result<f64> {
        let value = self.column(name)?;
        value
            .as_f64()
            .ok_or_else(|| unexpected(self.doing, &format!("column {name} to be a number"), &value))
    }

    /// A BLOB column: D1 answers an `Array` of byte numbers (in workerd and
    /// through Miniflare's Node proxy alike); an `ArrayBuffer` or a
    /// `Uint8Array` is taken too. Anything else (TEXT or a number written
    /// into the column by someone else) is `None`: foreign data, a miss.
    pub(super) fn blob(&self, name: &str) -> Result<Option<Vec<u8>>> {
        let value = self.column(name)?;
        if let Some(bytes) = bytes_of(&value) {
            return Ok(Some(bytes));
        }
        if Array::is_array(&value) {
            // `new Uint8Array(array)` copies the numbers in one call
            // (Reflect.construct is `catch`: the array may be a proxy).
            let ctor = Uint8Array::new_with_length(0).constructor();
            let args = Array::of1(&value);
            let bytes = Reflect::construct(&ctor, &args).map_err(|e| thrown(self.doing, &e))?;
            return match bytes.dyn_ref::<Uint8Array>() {
                Some(bytes) => Ok(Some(bytes.to_vec())),
                None => Ok(None),
            };
        }
        Ok(None)
    }
}

/// A D1 result: `{ results: [rows], meta: { changes } }`. `results` may be
/// missing for a write (`run()` in some versions); `meta` may be missing
/// for a read.
fn outcome(doing: String, value: &JsValue) -> Result<Outcome> {
    if !value.is_object() {
        return Err(unexpected(&doing, "a D1 result { results, meta }", value));
    }
    let results =
        Reflect::get(value, &JsValue::from_str("results")).map_err(|e| thrown(&doing, &e))?;
    let rows = if results.is_undefined() || results.is_null() {
        Array::new()
    } else if Array::is_array(&results) {
        results.unchecked_into()
    } else {
        return Err(unexpected(&doing, "`results` to be an array", &results));
    };
    let meta = Reflect::get(value, &JsValue::from_str("meta")).map_err(|e| thrown(&doing, &e))?;
    let changes = if meta.is_object() {
        let changes =
            Reflect::get(&meta, &JsValue::from_str("changes")).map_err(|e| thrown(&doing, &e))?;
        match changes.as_f64() {
            Some(n) => Some(n),
            None if changes.is_undefined() => None,
            // Present but not a number: report it through `changes()`.
            None => Some(f64::NAN),
        }
    } else {
        None
    };
    Ok(Outcome {
        doing,
        rows,
        changes,
    })
}

/// `array.length`, through `Reflect` (the array may be a proxy), checked.
fn array_length(array: &Array, doing: &str) -> Result<usize> {
    let len = Reflect::get(array, &JsValue::from_str("length")).map_err(|e| thrown(doing, &e))?;
    len.as_f64()
        .filter(|n| n.is_finite() && *n >= 0.0 && n.fract() == 0.0 && *n <= f64::from(u32::MAX))
        .map(|n| n as usize)
        .ok_or_else(|| unexpected(doing, "an array length", &len))
}

/// True if `table` was created through `binding` in this isolate.
pub(super) fn created(binding: &Binding, table: &str) -> bool {
    CREATED
        .try_with(|memo| {
            let set = memo.get(binding.0.unchecked_ref::<Object>());
            set.dyn_ref::<js_sys::Set>()
                .is_some_and(|set| set.has(&JsValue::from_str(table)))
        })
        .unwrap_or(false)
}

/// Records that `table` exists behind `binding` (`true`), or forgets it
/// (`false`: the table turned out to be missing, so the next open creates it).
pub(super) fn remember_created(binding: &Binding, table: &str, exists: bool) {
    let _ = CREATED.try_with(|memo| {
        let key = binding.0.unchecked_ref::<Object>();
        let set = match memo.get(key).dyn_into::<js_sys::Set>() {
            Ok(set) => set,
            Err(_) => {
                let set = js_sys::Set::new(&JsValue::UNDEFINED);
                memo.set(key, &set);
                set
            }
        };
        if exists {
            set.add(&JsValue::from_str(table));
        } else {
            set.delete(&JsValue::from_str(table));
        }
    });
}
