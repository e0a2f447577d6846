// A real local R2 bucket for tests/r2.rs (wasm-pack test --node): Miniflare 4
// from the repository's node_modules starts workerd with one R2 bucket, and
// `getR2Bucket` hands back a Node-side proxy whose get/head/put/delete/list
// run against workerd's own R2 implementation (in memory: r2Persist false).
//
// `Tap` wraps a bucket: it forwards every call, counts calls and calls in
// flight per method, records how many keys each delete carried, and can
// inject faults (throw, reject, answer garbage) into one method.

import { pathToFileURL } from "node:url";

export class LocalR2 {
  static async start() {
    // Started by ./miniflare.mjs, shared with the D1 tests. The snippet is
    // copied alone under target/, so that module is imported from the crate
    // root (wasm-pack runs the tests there).
    const shared = `${process.cwd()}/tests/support/miniflare.mjs`;
    const { startMiniflare } = await import(pathToFileURL(shared).href);
    const mf = await startMiniflare({ r2Buckets: ["BUCKET"], r2Persist: false });
    LocalR2.live = (LocalR2.live ?? 0) + 1;
    if (process.env.R2_TRACE) console.error(`[r2] start, ${LocalR2.live} live`);
    const r2 = new LocalR2();
    r2.mf = mf;
    r2.bucket = await mf.getR2Bucket("BUCKET");
    return r2;
  }

  async dispose() {
    await this.mf.dispose();
    LocalR2.live--;
  }

  // ---- direct access to the bucket, bypassing the backend ----

  async putRaw(key, bytes, customMetadata) {
    await this.bucket.put(key, bytes, customMetadata === undefined ? {} : { customMetadata });
  }

  async exists(key) {
    return (await this.bucket.head(key)) !== null;
  }

  async metadataJson(key) {
    const object = await this.bucket.head(key);
    return object === null ? "null" : JSON.stringify(object.customMetadata);
  }

  async count(prefix) {
    let n = 0;
    let cursor;
    do {
      const page = await this.bucket.list({ prefix, cursor, limit: 1000 });
      n += page.objects.length;
      cursor = page.truncated ? page.cursor : undefined;
    } while (cursor !== undefined);
    return n;
  }

  async putMany(prefix, n, customMetadata) {
    for (let i = 0; i < n; i += 50) {
      const batch = [];
      for (let j = i; j < Math.min(n, i + 50); j++) {
        batch.push(this.bucket.put(`${prefix}${j}`, "x", { customMetadata }));
      }
      await Promise.all(batch);
    }
  }
}

/** Reads a ReadableStream (or a Blob) to a Uint8Array. */
export async function readAll(stream) {
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

export function blobOf(bytes) {
  return new Blob([bytes]);
}

const METHODS = ["get", "head", "put", "delete", "list"];

export class Tap {
  constructor(bucket) {
    this.target = bucket;
    this.fault = null;
    this.reset();
    for (const method of METHODS) {
      this[method] = (...args) => this._call(method, args);
    }
  }

  reset() {
    this.calls = Object.fromEntries(METHODS.map((m) => [m, 0]));
    this.inFlight = Object.fromEntries(METHODS.map((m) => [m, 0]));
    this.maxInFlight = Object.fromEntries(METHODS.map((m) => [m, 0]));
    this.deleteSizes = [];
  }

  // kind: throw | reject | rejectString | rejectUndefined | number | string |
  //       metadataThrows | metadataNumber | arrayBufferString | arrayBufferRejects |
  //       listNoCursor | listStuck | listBadKeys | listIgnorePrefix
  setFault(method, kind) {
    this.fault = { method, kind };
  }

  clearFault() {
    this.fault = null;
  }

  callCount(method) {
    return this.calls[method];
  }

  maxInFlightCount(method) {
    return this.maxInFlight[method];
  }

  deleteSizesJson() {
    return JSON.stringify(this.deleteSizes);
  }

  _call(method, args) {
    this.calls[method]++;
    if (method === "delete") this.deleteSizes.push(Array.isArray(args[0]) ? args[0].length : 1);
    const fault = this.fault?.method === method ? this.fault.kind : null;
    if (fault === "throw") throw new TypeError(`${method}: synchronous throw`);
    this.inFlight[method]++;
    this.maxInFlight[method] = Math.max(this.maxInFlight[method], this.inFlight[method]);
    return (async () => {
      try {
        switch (fault) {
          case "reject":
            throw new Error(`${method}: We encountered an internal error. Please try again. (10001)`);
          case "rejectString":
            throw "R2 is busy";
          case "rejectUndefined":
            throw undefined;
          case "number":
            return 42;
          case "string":
            return "not an object";
          case "listNoCursor":
            return { objects: [], truncated: true };
          case "listStuck":
            return { objects: [], truncated: true, cursor: "same" };
          case "listBadKeys":
            return { objects: [{ key: 7 }], truncated: false };
          case "listIgnorePrefix": {
            const page = await this.target.list({ ...args[0], prefix: "" });
            return page;
          }
        }
        const out = await this.target[method](...args);
        if (out === null || typeof out !== "object") return out;
        switch (fault) {
          case "metadataThrows":
            return { ...out, get customMetadata() { throw new Error("metadata getter threw"); }, arrayBuffer: () => out.arrayBuffer() };
          case "metadataNumber":
            return { ...out, customMetadata: 5, arrayBuffer: () => out.arrayBuffer() };
          case "arrayBufferString":
            return { customMetadata: out.customMetadata, arrayBuffer: async () => "not a buffer" };
          case "arrayBufferRejects":
            return { customMetadata: out.customMetadata, arrayBuffer: async () => { throw new Error("get: body read failed"); } };
        }
        return out;
      } finally {
        this.inFlight[method]--;
      }
    })();
  }
}
