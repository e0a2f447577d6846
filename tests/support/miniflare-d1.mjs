// Real D1 for the Rust tests in tests/d1.rs (wasm-pack test --node): starts
// Miniflare 4 from the repository's node_modules with one D1 database and
// hands out its Node-side proxy (`getD1Database`: every call goes to
// workerd's real D1, SQLite and all). `CountingD1` wraps that proxy to count
// calls and inject faults.
//
// Miniflare itself is started by ./miniflare.mjs, shared with the R2 tests.
// wasm-bindgen-test copies this file alone into a temporary directory, so
// that module is imported from the working directory (the crate root, where
// wasm-pack runs the tests) rather than from this file's location.
import { pathToFileURL } from "node:url";

const running = new Set();

/** A fresh Miniflare with an empty D1 database; resolves to { mf, db }. */
export async function startD1() {
  const shared = `${process.cwd()}/tests/support/miniflare.mjs`;
  const { startMiniflare } = await import(pathToFileURL(shared).href);
  const mf = await startMiniflare({ d1Databases: ["DB"] });
  running.add(mf);
  const db = await mf.getD1Database("DB");
  return { mf, db };
}

export async function stopD1(handle) {
  running.delete(handle.mf);
  await handle.mf.dispose();
}

/** Raw SQL on the real database (for seeding and inspecting). */
export async function sqlAll(db, sql, params) {
  const { results } = await db.prepare(sql).bind(...params).all();
  return results;
}

/** Inserts `n` rows `${prefix}${i}` of namespace `ns` holding `value`, in one batch. */
export async function seedRows(db, table, ns, prefix, n, value, expiresAt) {
  const sql = `INSERT INTO "${table}" ("namespace", "key", "value", "expires_at") VALUES (?1, ?2, ?3, ?4)`;
  const statements = [];
  for (let i = 0; i < n; i++) {
    statements.push(db.prepare(sql).bind(ns, `${prefix}${i}`, value, expiresAt ?? null));
  }
  await db.batch(statements);
}

// kind: throw | reject | rejectString | rejectUndefined | garbage |
//       resultsNotArray | rowNotObject | shortBatch | noChanges | keyNotText
/** A D1 binding that forwards to a real one, counting calls, with faults. */
export class CountingD1 {
  constructor(db) {
    this.db = db;
    this.fault = null;
    this.reset();
  }

  reset() {
    this.calls = { prepare: 0, bind: 0, all: 0, run: 0, batch: 0 };
    this.batchSizes = [];
    this.sql = [];
  }

  setFault(op, kind) {
    this.fault = { op, kind };
  }

  clearFault() {
    this.fault = null;
  }

  count(op) {
    return this.calls[op];
  }

  roundTrips() {
    return this.calls.all + this.calls.run + this.calls.batch;
  }

  lastBatchSize() {
    return this.batchSizes.at(-1) ?? -1;
  }

  statementsLike(fragment) {
    return this.sql.filter((s) => s.includes(fragment)).length;
  }

  _hit(op) {
    return this.fault !== null && this.fault.op === op;
  }

  _sync(op) {
    this.calls[op]++;
    if (this._hit(op) && this.fault.kind === "throw") throw new Error(`D1_ERROR: injected ${op} throw`);
    if (this._hit(op) && this.fault.kind === "garbage") return 42;
    return undefined;
  }

  async _answer(op, work) {
    if (this._hit(op)) {
      switch (this.fault.kind) {
        case "reject": throw new Error(`D1_ERROR: injected ${op} rejection: SQLITE_BUSY`);
        case "rejectString": throw "D1 is busy";
        case "rejectUndefined": throw undefined;
        case "garbage": return "not a result";
      }
    }
    const value = await work();
    if (this._hit(op)) {
      const first = Array.isArray(value) ? value[0] : value;
      switch (this.fault.kind) {
        case "resultsNotArray": first.results = { length: 1 }; break;
        case "rowNotObject": first.results = [7]; break;
        case "shortBatch": return value.slice(0, -1);
        case "noChanges": delete first.meta; break;
        case "keyNotText": first.results = first.results.map((r) => ({ ...r, key: 5 })); break;
      }
    }
    return value;
  }

  prepare(sql) {
    const garbage = this._sync("prepare");
    if (garbage !== undefined) return garbage;
    this.sql.push(sql);
    return new CountingStatement(this, this.db.prepare(sql));
  }

  batch(statements) {
    const garbage = this._sync("batch");
    if (garbage !== undefined) return garbage;
    this.batchSizes.push(statements.length);
    return this._answer("batch", () => this.db.batch(statements.map((s) => s.inner)));
  }
}

class CountingStatement {
  constructor(owner, inner) {
    this.owner = owner;
    this.inner = inner;
  }

  bind(...values) {
    const garbage = this.owner._sync("bind");
    if (garbage !== undefined) return garbage;
    return new CountingStatement(this.owner, this.inner.bind(...values));
  }

  all() {
    const garbage = this.owner._sync("all");
    if (garbage !== undefined) return garbage;
    return this.owner._answer("all", () => this.inner.all());
  }

  run() {
    const garbage = this.owner._sync("run");
    if (garbage !== undefined) return garbage;
    return this.owner._answer("run", () => this.inner.run());
  }
}
