// Page-side source shared by the IndexedDB benches (benches/browser-idb.mjs,
// benches/idb-ab.mjs), pasted into the scripts they run in Chromium: a
// function that opens a database laid out as edgecache's IndexedDB store is
// (src/backends/idb/schema.rs: the entry store with its two indexes, and the
// meta store), for raw IndexedDB writing edgecache's record.

/** `openSchemaDb(name)`: resolves to the open IDBDatabase. */
export const OPEN_SCHEMA_DB = `function openSchemaDb(name) {
  return new Promise((resolve, reject) => {
    const r = indexedDB.open(name, 1);
    r.onupgradeneeded = () => {
      const s = r.result.createObjectStore("entries");
      s.createIndex("by-expiry", "x");
      s.createIndex("by-written", "w");
      r.result.createObjectStore("edgecache-meta");
    };
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}`;
