// EdgeCache.indexedDb where the runtime has no IndexedDB and the entry
// carries no IndexedDB module (workerd): the same coded error the IndexedDB
// backend gives when there is no indexedDB global.
import { ErrorCode, codedError } from "./options.js";

export async function noIndexedDb() {
  throw codedError(
    ErrorCode.UNAVAILABLE,
    "storage unavailable: IndexedDB is not available in this runtime (there is no indexedDB global)",
  );
}
