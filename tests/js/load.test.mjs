// Load: 1,000,000 random operations against a small bounded memory cache.
// Run with `node --test tests/js/` after a build.
//
// - Both bounds hold after every call: stats() is read after every call that
//   can add to the cache (set, getOrSet, setText) — the others can only
//   remove — and after every 1,000th call of any kind. (stats() costs ~30 µs,
//   seven boundary crossings, so reading it after all 1,000,000 calls would
//   take most of the time budget without checking anything more.)
// - Every read returns the value last written under that key, or nothing
//   (never another key's value, never an expired one).
// - Every 20,000 operations, and at the end, the accounting is exact: the
//   live keys (found with has(), which also drops expired ones) and their
//   bytes (UTF-8 key + value) are exactly stats().entries / bytes.
// - The wasm memory levels off once the cache is full: it does not grow in
//   the second half of the run.
//
// Time is a fake Date.now that moves 1 ms every 50 operations, so TTLs
// expire during the run. The random sequence is seeded: a failure names the
// operation index, and reruns are identical.

import { describe, it } from "node:test";
import assert from "node:assert/strict";

import { EdgeCache } from "../../pkg/node.js";
import * as glue from "../../pkg/wasm/node/edgecache.js"; // the node entry's module

const OPERATIONS = 1_000_000;
const MAX_ENTRIES = 300;
const MAX_BYTES = 256 * 1024;
const KEY_SPACE = 4_000;
const OVERHEAD = 96;
const FULL_CHECK_EVERY = 20_000;

/** xorshift32: deterministic, fast, good enough to pick operations. */
function rng(seed) {
  let x = seed >>> 0 || 1;
  return (n) => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x % n;
  };
}

/** The wasm instance's linear memory, through the glue's exports. */
function wasmMemoryBytes() {
  // initSync returns the existing instance's exports once initialised (the
  // node entry did it on import); nothing new is exposed for this.
  const exports = glue.initSync();
  assert.ok(exports?.memory instanceof WebAssembly.Memory, "the glue does not expose the wasm memory");
  return exports.memory.buffer.byteLength;
}

describe("load: a million random operations on a bounded memory cache", () => {
  it("keeps both bounds after every call, exact accounting, and flat wasm memory", async (t) => {
    const realNow = Date.now;
    let now = 1_700_000_000_000;
    Date.now = () => now;
    try {
      const random = rng(0x5eed);
      const cache = EdgeCache.memory({ maxEntries: MAX_ENTRIES, maxBytes: MAX_BYTES });
      const keys = Array.from({ length: KEY_SPACE }, (_, i) => `key:${i}:${"x".repeat(i % 37)}`);
      // Values are reused across keys (the cache stores references): mostly
      // under 512 bytes, one in eight of 2-4 KiB, so that the entry bound
      // binds most of the time and the byte bound whenever large ones pile up.
      const values = Array.from(
        { length: 64 },
        (_, i) => new Uint8Array(i % 8 === 7 ? 2048 + ((i * 211) % 2049) : (i * 67) % 512).fill(i),
      );
      // What each key was last given: the value object and its expiry.
      const model = new Map();
      const forget = (key) => model.delete(key);
      const expect = (key, got, i, op) => {
        const held = model.get(key);
        if (got === undefined) return forget(key);
        assert.ok(held, `op ${i} ${op}(${key}) returned a value never stored (or deleted)`);
        if (held.value === undefined) {
          // setText: a fresh array of the text's UTF-8 bytes.
          assert.equal(got.byteLength, held.byteLength, `op ${i} ${op}(${key}) returned another value`);
        } else {
          assert.equal(got, held.value, `op ${i} ${op}(${key}) returned another value`);
        }
        assert.ok(held.expiresAt === undefined || now < held.expiresAt, `op ${i} ${op}(${key}) returned an expired value`);
      };
      let full = false;
      let memoryWhenFull;
      let memoryAtHalf;
      let maxEntriesSeen = 0;
      let maxBytesSeen = 0;
      let hits = 0;

      for (let i = 0; i < OPERATIONS; i++) {
        if (i % 50 === 0) now += 1;
        const key = keys[random(KEY_SPACE)];
        const dice = random(100);
        const writes = dice < 20 || (dice >= 92 && dice < 97) || (dice >= 97 && dice < 99);
        if (dice < 20) {
          const value = values[random(values.length)];
          const ttlMs = random(4) === 0 ? 1 + random(2_000) : undefined;
          await cache.set(key, value, ttlMs === undefined ? undefined : { ttlMs });
          // A write at a Date.now() reading of `now` is dated from the end of
          // that millisecond (never early): gone from now + 1 + ttlMs.
          model.set(key, { value, byteLength: value.byteLength, expiresAt: ttlMs === undefined ? undefined : now + 1 + ttlMs });
        } else if (dice < 70) {
          const got = await cache.get(key);
          if (got !== undefined) hits++;
          expect(key, got, i, "get");
        } else if (dice < 75) {
          await cache.delete(key);
          forget(key);
        } else if (dice < 83) {
          if (!(await cache.has(key))) forget(key);
        } else if (dice < 90) {
          const batch = [key, keys[random(KEY_SPACE)], keys[random(KEY_SPACE)]];
          const got = await cache.getMany(batch);
          batch.forEach((k, j) => expect(k, got[j], i, "getMany"));
        } else if (dice < 92) {
          const batch = [key, keys[random(KEY_SPACE)]];
          await cache.deleteMany(batch);
          batch.forEach(forget);
        } else if (dice < 97) {
          // A new view (same bytes, new identity): got === fresh means it loaded.
          const fresh = values[random(values.length)].subarray(0);
          const got = await cache.getOrSet(key, () => fresh);
          if (got === fresh) model.set(key, { value: fresh, byteLength: fresh.byteLength, expiresAt: undefined });
          else expect(key, got, i, "getOrSet");
        } else if (dice < 99) {
          const length = random(300);
          await cache.setText(key, "t".repeat(length));
          model.set(key, { value: undefined, byteLength: length, expiresAt: undefined });
        } else if (random(2_000) === 0) {
          await cache.clear();
          model.clear();
        } else {
          // getText: every stored byte here is ASCII, so length = byte length.
          const text = await cache.getText(key);
          const held = model.get(key);
          if (text === undefined) forget(key);
          else {
            assert.ok(held, `op ${i} getText(${key}) returned a value never stored`);
            assert.equal(text.length, held.byteLength, `op ${i} getText(${key}) returned another value`);
            assert.ok(held.expiresAt === undefined || now < held.expiresAt, `op ${i} getText(${key}) returned an expired value`);
          }
        }

        // Bounds after every call that can add (see the header), and regularly.
        if (writes || i % 1_000 === 0) {
          const stats = await cache.stats();
          // What the byte bound charges: keys, values and 96 per entry.
          const charged = stats.bytes + stats.entries * OVERHEAD;
          if (stats.entries > MAX_ENTRIES || charged > MAX_BYTES) {
            assert.fail(`op ${i}: ${stats.entries} entries / ${charged} bytes over the bounds`);
          }
          if (stats.entries > maxEntriesSeen) maxEntriesSeen = stats.entries;
          if (charged > maxBytesSeen) maxBytesSeen = charged;
          if (!full && (stats.entries === MAX_ENTRIES || charged > MAX_BYTES - 4096 - 200)) {
            full = true;
            memoryWhenFull = wasmMemoryBytes();
          }
        }
        if (i === OPERATIONS / 2) memoryAtHalf = wasmMemoryBytes();

        if ((i + 1) % FULL_CHECK_EVERY === 0 || i === OPERATIONS - 1) {
          // Exact accounting: has() drops every expired entry it meets, so
          // afterwards the live keys are exactly what stats() counts.
          let entries = 0;
          let bytes = 0;
          for (const k of keys) {
            if (await cache.has(k)) {
              const held = model.get(k);
              assert.ok(held, `op ${i}: ${k} is held but was never stored (or was deleted)`);
              entries++;
              bytes += k.length + held.byteLength;
            } else {
              forget(k);
            }
          }
          const after = await cache.stats();
          assert.equal(after.entries, entries, `op ${i}: stats.entries != live keys`);
          assert.equal(after.bytes, bytes, `op ${i}: stats.bytes != the live keys' and values' bytes`);
        }
      }

      const memoryAtEnd = wasmMemoryBytes();
      t.diagnostic(
        `wasm memory: ${memoryWhenFull} bytes when first full, ${memoryAtHalf} at op ${OPERATIONS / 2}, ${memoryAtEnd} at the end; ${hits} hits; up to ${maxEntriesSeen} entries and ${maxBytesSeen} bytes`,
      );
      assert.ok(full, "the cache never filled up: the run does not test the bounds");
      assert.equal(maxEntriesSeen, MAX_ENTRIES, "the entry bound was never reached");
      assert.ok(maxBytesSeen > MAX_BYTES - 4096 - 200, `the byte bound was never approached (${maxBytesSeen})`);
      assert.ok(hits > 10_000, `only ${hits} hits`);
      assert.ok(memoryAtHalf >= memoryWhenFull);
      assert.equal(
        memoryAtEnd,
        memoryAtHalf,
        `wasm memory grew in the second half: ${memoryWhenFull} when full, ${memoryAtHalf} at half, ${memoryAtEnd} at the end`,
      );
      // A small cache needs little: the whole instance stays within a few MiB.
      assert.ok(memoryAtEnd < 16 * 1024 * 1024, `wasm memory is ${memoryAtEnd} bytes`);
    } finally {
      Date.now = realNow;
    }
  });
});
